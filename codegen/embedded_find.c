#include <string.h>

#include "embedded.h"

const EmbeddedFile *embedded_find(const char *path) {
  for (const EmbeddedFile *f = EMBEDDED_FILES; f->path; f++)
    if (strcmp(f->path, path) == 0) return f;
  return NULL;
}
