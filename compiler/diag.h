/* diag.h - diagnostics collected while compiling.
 *
 * Modules report problems here and keep going where they can, so that one
 * run names every problem (every unsupported op, every bad key). Only main
 * prints them and decides the exit code. */
#ifndef GPUXC_DIAG_H
#define GPUXC_DIAG_H

#include <stdio.h>

#include "util.h"

/* Exit codes of gpuxc (DESIGN.md): the kind of an error decides them. */
typedef enum ErrKind {
  EK_NONE = 0,
  EK_USAGE = 1,       /* bad command line */
  EK_INVALID = 2,     /* invalid model or config */
  EK_UNSUPPORTED = 3, /* valid but not supported (yet) */
  EK_TOOLCHAIN = 4,   /* the C compiler or another tool failed */
} ErrKind;

typedef enum DiagLevel { DL_NOTE, DL_WARNING, DL_ERROR } DiagLevel;

typedef struct DiagMsg {
  DiagLevel level;
  ErrKind kind;
  char *text; /* "where: error: what" */
} DiagMsg;

typedef struct Diag {
  DiagMsg *msgs;
  int n, cap;
  int nerrors;
  ErrKind worst;  /* the kind of the first error */
} Diag;

void diag_init(Diag *d);
void diag_free(Diag *d);

/* where: "gpux.yml:3:7", "model.onnx: node 'conv1' (Conv)", or NULL. */
void diag_error(Diag *d, ErrKind kind, const char *where, const char *fmt, ...) PRINTF_LIKE(4, 5);
void diag_warning(Diag *d, const char *where, const char *fmt, ...) PRINTF_LIKE(3, 4);
void diag_note(Diag *d, const char *where, const char *fmt, ...) PRINTF_LIKE(3, 4);
void diag_verror(Diag *d, ErrKind kind, const char *where, const char *fmt, va_list ap);

void diag_print(const Diag *d, FILE *f);
int diag_exit_code(const Diag *d);
static inline int diag_failed(const Diag *d) { return d->nerrors > 0; }

#endif
