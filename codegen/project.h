/* project.h - the generated project OUT.src/: its files, collected in
 * memory and written in one go, and the build of OUT and lib<prefix>.a. */
#ifndef GPUXC_PROJECT_H
#define GPUXC_PROJECT_H

#include "diag.h"
#include "emit.h"

typedef struct ProjFile {
  char *path; /* relative to the project folder */
  char *data;
  size_t len;
} ProjFile;

typedef struct Project {
  char *dir;       /* OUT.src */
  char *exe;       /* OUT */
  char *prefix;    /* C symbol prefix */
  char *exe_name;  /* file name of OUT, used inside the Makefile */
  char *cflags;    /* the target's compiler flags (after gpuxc's, before $CFLAGS) */
  char *libs;      /* the target's link flags */
  ProjFile *files;
  int n, cap;
} Project;

void proj_init(Project *p, const char *out, const char *prefix);
/* The target's compiler and link flags (space-separated; copied). */
void proj_set_flags(Project *p, const char *cflags, const char *libs);
void proj_free(Project *p);
/* Takes ownership of data. */
void proj_add(Project *p, const char *path, char *data, size_t len);
/* Copies an embedded file (runtime-mini, templates) into the project. */
void proj_copy(Project *p, const char *embedded_path, const char *dst);
/* Expands an embedded template with the project's variables. */
void proj_template(Project *p, const char *embedded_path, const char *dst);
int proj_has(const Project *p, const char *path);

/* Writes every file (sorted by path) into p->dir. */
int proj_write(Project *p, Diag *d);

/* Compiles OUT.src into lib<prefix>.a and the executable OUT with $CC
 * (default cc) and $CFLAGS appended to gpuxc's flags. */
int proj_build(Project *p, int verbose, Diag *d);

#endif
