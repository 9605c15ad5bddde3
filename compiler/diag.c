#include "diag.h"

#include <stdlib.h>
#include <string.h>

void diag_init(Diag *d) { memset(d, 0, sizeof *d); }

void diag_free(Diag *d) {
  for (int i = 0; i < d->n; i++) free(d->msgs[i].text);
  free(d->msgs);
  memset(d, 0, sizeof *d);
}

static void add(Diag *d, DiagLevel level, ErrKind kind, const char *where, const char *fmt,
                va_list ap) {
  static const char *LEVEL[] = {"note", "warning", "error"};
  StrBuf b;
  sb_init(&b);
  if (where && *where) sb_printf(&b, "%s: ", where);
  sb_printf(&b, "%s: ", LEVEL[level]);
  sb_vprintf(&b, fmt, ap);
  GROW(d->msgs, d->cap, d->n + 1);
  d->msgs[d->n++] = (DiagMsg){level, kind, sb_take(&b)};
  if (level == DL_ERROR) {
    if (!d->nerrors) d->worst = kind;
    d->nerrors++;
  }
}

void diag_verror(Diag *d, ErrKind kind, const char *where, const char *fmt, va_list ap) {
  add(d, DL_ERROR, kind, where, fmt, ap);
}

void diag_error(Diag *d, ErrKind kind, const char *where, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add(d, DL_ERROR, kind, where, fmt, ap);
  va_end(ap);
}

void diag_warning(Diag *d, const char *where, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add(d, DL_WARNING, EK_NONE, where, fmt, ap);
  va_end(ap);
}

void diag_note(Diag *d, const char *where, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add(d, DL_NOTE, EK_NONE, where, fmt, ap);
  va_end(ap);
}

void diag_print(const Diag *d, FILE *f) {
  for (int i = 0; i < d->n; i++) fprintf(f, "%s\n", d->msgs[i].text);
}

int diag_exit_code(const Diag *d) { return d->nerrors ? (int)d->worst : 0; }
