/* embedded.h - runtime-mini sources and templates, built into gpuxc. */
#ifndef GPUXC_EMBEDDED_H
#define GPUXC_EMBEDDED_H

#include <stddef.h>

typedef struct EmbeddedFile {
  const char *path; /* relative to the repository root: "runtime-mini/kernels/conv.c" */
  const unsigned char *data; /* NUL-terminated */
  size_t len;
} EmbeddedFile;

extern const EmbeddedFile EMBEDDED_FILES[]; /* ends with a NULL path */

/* The file with this path, or NULL. */
const EmbeddedFile *embedded_find(const char *path);

#endif
