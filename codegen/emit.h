/* emit.h - writing generated source: an emitter with automatic indentation,
 * C identifiers from ONNX names, literals, and ${NAME} templates. Everything
 * here is deterministic: the same input always gives the same bytes. */
#ifndef GPUXC_EMIT_H
#define GPUXC_EMIT_H

#include "util.h"

typedef struct Emitter {
  StrBuf b;
  int indent;
} Emitter;

void cg_init(Emitter *e);
void cg_free(Emitter *e);
/* One line. A line ending in '{' indents what follows; one starting with '}'
 * is dedented first. */
void cg_line(Emitter *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
void cg_blank(Emitter *e);
/* Text without indentation or newline handling. */
void cg_raw(Emitter *e, const char *s);

/* A C identifier from any name: other characters become '_', a leading
 * digit gets a prefix, C keywords get a trailing '_'. Caller frees. */
char *cg_ident(const char *name);
/* Like cg_ident but upper case, for macros. */
char *cg_macro(const char *name);

/* A float literal: exact, and readable where possible ("6.0f", or a
 * hexfloat followed by its decimal value in a comment). */
void cg_float(StrBuf *b, float v);
/* Text safe inside a C comment: a star-slash and control characters are broken up.
 * Returns a buffer from a small ring (valid for the next few calls). */
const char *cg_comment_text(const char *s);

/* A C string literal with escapes. */
void cg_cstring(StrBuf *b, const char *s);

typedef struct TemplateVar {
  const char *name, *value;
} TemplateVar;

/* Replaces ${NAME} for the given names; other ${...} stay as they are. */
char *cg_expand(const char *tmpl, const TemplateVar *vars, int nvars);

#endif
