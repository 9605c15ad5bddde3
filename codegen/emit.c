/* emit.c - see emit.h. */
#include "emit.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

void cg_init(Emitter *e) {
  sb_init(&e->b);
  e->indent = 0;
}

void cg_free(Emitter *e) { sb_free(&e->b); }

void cg_line(Emitter *e, const char *fmt, ...) {
  StrBuf t;
  va_list ap;
  sb_init(&t);
  va_start(ap, fmt);
  sb_vprintf(&t, fmt, ap);
  va_end(ap);
  if (t.len && t.s[0] == '}' && e->indent > 0) e->indent--;
  if (t.len)
    for (int i = 0; i < e->indent; i++) sb_puts(&e->b, "  ");
  sb_puts(&e->b, t.s);
  sb_putc(&e->b, '\n');
  if (t.len && t.s[t.len - 1] == '{') e->indent++;
  sb_free(&t);
}

void cg_blank(Emitter *e) { sb_putc(&e->b, '\n'); }
void cg_raw(Emitter *e, const char *s) { sb_puts(&e->b, s); }

static int is_keyword(const char *s) {
  static const char *KW[] = {"auto",     "break",  "case",     "char",   "const",    "continue",
                             "default",  "do",     "double",   "else",   "enum",     "extern",
                             "float",    "for",    "goto",     "if",     "inline",   "int",
                             "long",     "register", "restrict", "return", "short",  "signed",
                             "sizeof",   "static", "struct",   "switch", "typedef",  "union",
                             "unsigned", "void",   "volatile", "while",  "_Bool",    "main"};
  for (size_t i = 0; i < ARRAY_LEN(KW); i++)
    if (strcmp(s, KW[i]) == 0) return 1;
  return 0;
}

char *cg_ident(const char *name) {
  StrBuf b;
  sb_init(&b);
  if (!name[0] || isdigit((unsigned char)name[0])) sb_putc(&b, 'x');
  for (const char *s = name; *s; s++) sb_putc(&b, isalnum((unsigned char)*s) ? *s : '_');
  if (is_keyword(b.s)) sb_putc(&b, '_');
  return sb_take(&b);
}

char *cg_macro(const char *name) {
  char *s = cg_ident(name);
  for (char *p = s; *p; p++) *p = (char)toupper((unsigned char)*p);
  return s;
}

void cg_float(StrBuf *b, float v) {
  char hex[64];
  if (isnan(v)) {
    sb_puts(b, "NAN");
  } else if (isinf(v)) {
    sb_puts(b, v > 0 ? "INFINITY" : "-INFINITY");
  } else if (v == floorf(v) && fabsf(v) < 1e7f) {
    sb_printf(b, "%.1ff", (double)v);
  } else {
    fmt_hexfloat(hex, sizeof hex, v);
    sb_printf(b, "%s /* %.9g */", hex, (double)v);
  }
}

const char *cg_comment_text(const char *s) {
  static char ring[8][512];
  static int next;
  char *out = ring[next++ & 7];
  size_t n = 0;
  for (; *s && n + 3 < sizeof ring[0]; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '*' && s[1] == '/') {
      out[n++] = '*';
      out[n++] = ' ';
    } else {
      out[n++] = ch < 32 || ch == 127 ? '?' : (char)ch;
    }
  }
  out[n] = 0;
  return out;
}

void cg_cstring(StrBuf *b, const char *s) {
  sb_putc(b, '"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      sb_printf(b, "\\%c", c);
    else if (c < 32 || c >= 127)
      sb_printf(b, "\\%03o", c);
    else
      sb_putc(b, (char)c);
  }
  sb_putc(b, '"');
}

char *cg_expand(const char *tmpl, const TemplateVar *vars, int nvars) {
  StrBuf b;
  sb_init(&b);
  for (const char *s = tmpl; *s;) {
    if (s[0] == '$' && s[1] == '{') {
      const char *end = strchr(s + 2, '}');
      int found = 0;
      for (int i = 0; end && i < nvars; i++) {
        size_t n = strlen(vars[i].name);
        if ((size_t)(end - s - 2) == n && strncmp(s + 2, vars[i].name, n) == 0) {
          sb_puts(&b, vars[i].value);
          s = end + 1;
          found = 1;
          break;
        }
      }
      if (found) continue;
    }
    sb_putc(&b, *s++);
  }
  return sb_take(&b);
}
