/* rt_json.c - a small JSON reader and writer (see rt_json.h). */
#define _POSIX_C_SOURCE 200809L

#include "rt_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rt_npy.h"

/* ---- the document arena */

struct rt_json_block {
  rt_json_block *next;
  size_t used, cap;
};

#define JSON_ALIGN 16
#define JSON_BLOCK 65536
#define JSON_HDR ((sizeof(rt_json_block) + JSON_ALIGN - 1) / JSON_ALIGN * JSON_ALIGN)

static void *json_alloc(rt_json_doc *doc, size_t size) {
  rt_json_block *b = doc->blocks;
  size = (size + JSON_ALIGN - 1) / JSON_ALIGN * JSON_ALIGN;
  if (!b || b->cap - b->used < size) {
    size_t cap = size > JSON_BLOCK ? size : JSON_BLOCK;
    if (cap > SIZE_MAX - JSON_HDR) return NULL;
    b = malloc(JSON_HDR + cap);
    if (!b) return NULL;
    b->used = 0;
    b->cap = cap;
    if (size > JSON_BLOCK / 4 && doc->blocks) { /* keep the current block open */
      b->next = doc->blocks->next;
      doc->blocks->next = b;
    } else {
      b->next = doc->blocks;
      doc->blocks = b;
    }
  }
  b->used += size;
  return (char *)b + JSON_HDR + b->used - size;
}

void rt_json_free(rt_json_doc *doc) {
  rt_json_block *b = doc->blocks;
  while (b) {
    rt_json_block *next = b->next;
    free(b);
    b = next;
  }
  doc->blocks = NULL;
  doc->root = NULL;
}

/* ---- parsing */

typedef struct json_parser {
  const char *s;
  size_t len, pos;
  int depth;
  rt_json_doc *doc;
  char *err;
  size_t errlen;
} json_parser;

void rt_json_position(const char *text, size_t len, size_t offset, int *line, int *column) {
  size_t start = 0;
  int l = 1;
  if (offset > len) offset = len;
  for (size_t i = 0; i < offset; i++)
    if (text[i] == '\n') {
      l++;
      start = i + 1;
    }
  *line = l;
  *column = (int)(offset - start + 1);
}

/* Records "MESSAGE at line L, column C" for the byte at pos; returns NULL. */
static rt_json *json_fail(json_parser *p, size_t pos, const char *fmt, ...) {
  va_list ap;
  int line, col, n;
  if (p->err && p->errlen) {
    va_start(ap, fmt);
    n = vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
    rt_json_position(p->s, p->len, pos, &line, &col);
    if (n >= 0 && (size_t)n < p->errlen)
      snprintf(p->err + n, p->errlen - (size_t)n, " at line %d, column %d", line, col);
  }
  return NULL;
}

/* "WHAT at line L, column C (got 'c')" for the byte at p->pos. */
static rt_json *json_fail_char(json_parser *p, const char *what) {
  size_t n;
  json_fail(p, p->pos, "%s", what);
  if (!p->err || !p->errlen) return NULL;
  n = strlen(p->err);
  if (p->pos >= p->len) {
    snprintf(p->err + n, p->errlen - n, " (got the end of the input)");
  } else {
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c >= 0x20 && c < 0x7f) snprintf(p->err + n, p->errlen - n, " (got '%c')", c);
    else snprintf(p->err + n, p->errlen - n, " (got byte 0x%02x)", c);
  }
  return NULL;
}

static void json_ws(json_parser *p) {
  while (p->pos < p->len) {
    char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

static rt_json *json_node(json_parser *p, rt_json_type type, size_t offset) {
  rt_json *v = json_alloc(p->doc, sizeof *v);
  if (!v) return json_fail(p, offset, "out of memory");
  memset(v, 0, sizeof *v);
  v->type = type;
  v->offset = offset;
  return v;
}

static rt_json *json_value(json_parser *p);

static int json_hex4(const char *s, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static size_t json_utf8(char *out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Decodes \uXXXX (and a following low surrogate) at p->pos (on the 'u'). */
static int json_unicode(json_parser *p, char *out, size_t *n) {
  unsigned cp, lo;
  size_t at = p->pos - 1;
  if (p->len - p->pos < 5 || json_hex4(p->s + p->pos + 1, &cp))
    return json_fail(p, at, "invalid \\u escape"), -1;
  p->pos += 5;
  if (cp >= 0xd800 && cp < 0xdc00) {
    if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
        json_hex4(p->s + p->pos + 2, &lo) || lo < 0xdc00 || lo >= 0xe000)
      return json_fail(p, at, "unpaired surrogate in \\u escape"), -1;
    p->pos += 6;
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
  } else if (cp >= 0xdc00 && cp < 0xe000) {
    return json_fail(p, at, "unpaired surrogate in \\u escape"), -1;
  } else if (cp == 0) {
    return json_fail(p, at, "\\u0000 is not supported in strings"), -1;
  }
  *n += json_utf8(out + *n, cp);
  return 0;
}

static int json_escape(json_parser *p, char *out, size_t *n) {
  static const char FROM[] = "\"\\/bfnrt", TO[] = "\"\\/\b\f\n\r\t";
  const char *hit;
  char c;
  p->pos++; /* the backslash */
  if (p->pos >= p->len) return json_fail(p, p->pos, "unterminated string"), -1;
  c = p->s[p->pos];
  if (c == 'u') return json_unicode(p, out, n);
  hit = c ? strchr(FROM, c) : NULL;
  if (!hit) return json_fail(p, p->pos - 1, "invalid escape in string"), -1;
  out[(*n)++] = TO[hit - FROM];
  p->pos++;
  return 0;
}

/* Parses a string at p->pos (on the quote) into the arena. */
static const char *json_string_raw(json_parser *p, size_t *len) {
  size_t start = p->pos, end = p->pos + 1, n = 0;
  char *out;
  while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
  /* A decoded string is never longer than its source. */
  out = json_alloc(p->doc, end - start + 1);
  if (!out) return json_fail(p, start, "out of memory"), NULL;
  p->pos++;
  for (;;) {
    unsigned char c;
    if (p->pos >= p->len) return json_fail(p, start, "unterminated string"), NULL;
    c = (unsigned char)p->s[p->pos];
    if (c == '"') break;
    if (c < 0x20) return json_fail(p, p->pos, "control character in string"), NULL;
    if (c == '\\') {
      if (json_escape(p, out, &n)) return NULL;
    } else {
      out[n++] = (char)c;
      p->pos++;
    }
  }
  p->pos++;
  out[n] = 0;
  *len = n;
  return out;
}

static size_t json_digits(json_parser *p) {
  size_t n = 0;
  while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++, n++;
  return n;
}

static int json_word(json_parser *p, const char *w) {
  size_t n = strlen(w);
  if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
    p->pos += n;
    return 1;
  }
  return 0;
}

static rt_json *json_number(json_parser *p) {
  size_t start = p->pos;
  rt_json *v = json_node(p, RT_JSON_NUMBER, start);
  char *tok;
  if (!v) return NULL;
  if (p->pos < p->len && p->s[p->pos] == '-') p->pos++;
  if (json_word(p, "Infinity")) {
    v->number = p->s[start] == '-' ? -HUGE_VAL : HUGE_VAL;
  } else if (p->s[start] != '-' && json_word(p, "NaN")) {
    v->number = NAN;
  } else {
    if (p->pos < p->len && p->s[p->pos] == '0') p->pos++;
    else if (!json_digits(p)) return json_fail_char(p, "invalid number: expected a digit");
    if (p->pos < p->len && p->s[p->pos] == '.') {
      p->pos++;
      if (!json_digits(p)) return json_fail_char(p, "invalid number: expected a digit after '.'");
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
      p->pos++;
      if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
      if (!json_digits(p)) return json_fail_char(p, "invalid number: expected an exponent");
    }
  }
  tok = json_alloc(p->doc, p->pos - start + 1);
  if (!tok) return json_fail(p, start, "out of memory");
  memcpy(tok, p->s + start, p->pos - start);
  tok[p->pos - start] = 0;
  if (!isnan(v->number) && !isinf(v->number)) v->number = strtod(tok, NULL);
  v->text = tok;
  v->len = p->pos - start;
  return v;
}

/* Parses '[' ... ']' or '{' ... '}' (p->pos on the bracket). */
static rt_json *json_container(json_parser *p) {
  int obj = p->s[p->pos] == '{';
  char close = obj ? '}' : ']';
  rt_json *v = json_node(p, obj ? RT_JSON_OBJECT : RT_JSON_ARRAY, p->pos), *tail = NULL;
  if (!v) return NULL;
  if (++p->depth > RT_JSON_MAX_DEPTH)
    return json_fail(p, p->pos, "nesting deeper than %d levels", RT_JSON_MAX_DEPTH);
  p->pos++;
  json_ws(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    p->depth--;
    return v;
  }
  for (;;) {
    const char *key = NULL;
    size_t klen;
    rt_json *item;
    json_ws(p);
    if (obj) {
      if (p->pos >= p->len || p->s[p->pos] != '"')
        return json_fail_char(p, "expected a member name in double quotes");
      if (!(key = json_string_raw(p, &klen))) return NULL;
      json_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') return json_fail_char(p, "expected ':'");
      p->pos++;
    }
    if (!(item = json_value(p))) return NULL;
    item->key = key;
    if (tail) tail->next = item;
    else v->child = item;
    tail = item;
    v->count++;
    json_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->pos < p->len && p->s[p->pos] == close) break;
    return json_fail_char(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
  p->pos++;
  p->depth--;
  return v;
}

static rt_json *json_value(json_parser *p) {
  char c;
  rt_json *v;
  json_ws(p);
  if (p->pos >= p->len) return json_fail_char(p, "expected a value");
  c = p->s[p->pos];
  if (c == '{' || c == '[') return json_container(p);
  if (c == '"') {
    if (!(v = json_node(p, RT_JSON_STRING, p->pos))) return NULL;
    v->text = json_string_raw(p, &v->len);
    return v->text ? v : NULL;
  }
  if (c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I') return json_number(p);
  if (!(v = json_node(p, RT_JSON_NULL, p->pos))) return NULL;
  if (json_word(p, "null")) return v;
  v->type = RT_JSON_BOOL;
  if (json_word(p, "true")) v->boolean = 1;
  else if (!json_word(p, "false")) return json_fail_char(p, "expected a value");
  return v;
}

int rt_json_parse(rt_json_doc *doc, const char *text, size_t len, char *err, size_t errlen) {
  json_parser p;
  rt_json *root;
  memset(doc, 0, sizeof *doc);
  memset(&p, 0, sizeof p);
  p.s = text;
  p.len = len;
  p.doc = doc;
  p.err = err;
  p.errlen = errlen;
  root = json_value(&p);
  if (root) {
    json_ws(&p);
    if (p.pos < p.len) root = json_fail_char(&p, "expected the end of the input");
  }
  if (!root) {
    rt_json_free(doc);
    return -1;
  }
  doc->root = root;
  return 0;
}

const rt_json *rt_json_get(const rt_json *obj, const char *key) {
  const rt_json *hit = NULL;
  if (!obj || obj->type != RT_JSON_OBJECT) return NULL;
  for (const rt_json *c = obj->child; c; c = c->next)
    if (c->key && strcmp(c->key, key) == 0) hit = c;
  return hit;
}

const char *rt_json_type_name(rt_json_type t) {
  switch (t) {
  case RT_JSON_NULL: return "null";
  case RT_JSON_BOOL: return "a boolean";
  case RT_JSON_NUMBER: return "a number";
  case RT_JSON_STRING: return "a string";
  case RT_JSON_ARRAY: return "a list";
  case RT_JSON_OBJECT: return "an object";
  }
  return "?";
}

/* ---- JSON -> tensor */

#define JSON_MAX_RANK 64

typedef struct json_fill {
  gpux_dtype dt;
  size_t esize;
  unsigned char *dst;
  size_t i;                     /* next element */
  int rank;
  const int64_t *shape;
  size_t path[JSON_MAX_RANK];   /* indices of the value being read */
  int depth;                    /* entries of path in use */
  size_t *where;
  char *err;
  size_t errlen;
} json_fill;

/* "at [1][2]: " for the current path (empty at the top). */
static int json_fail_at(json_fill *f, const rt_json *v, const char *fmt, ...) {
  va_list ap;
  size_t n = 0;
  if (f->where) *f->where = v->offset;
  if (!f->err || !f->errlen) return -1;
  f->err[0] = 0;
  if (f->depth > 0) n += (size_t)snprintf(f->err, f->errlen, "at ");
  for (int d = 0; d < f->depth && n < f->errlen; d++)
    n += (size_t)snprintf(f->err + n, f->errlen - n, "[%zu]", f->path[d]);
  if (f->depth > 0 && n < f->errlen) n += (size_t)snprintf(f->err + n, f->errlen - n, ": ");
  if (n < f->errlen) {
    va_start(ap, fmt);
    vsnprintf(f->err + n, f->errlen - n, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static void json_shape_str(char *buf, size_t cap, int rank, const int64_t *shape) {
  size_t n = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < rank && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "", (long long)shape[i]);
  if (n < cap) snprintf(buf + n, cap - n, "]");
}

/* An integral JSON value as sign and magnitude; -1 if not an integer. */
static int json_integer(const rt_json *v, int *neg, uint64_t *mag, int *too_big) {
  const char *t = v->text;
  *too_big = 0;
  if (v->type == RT_JSON_BOOL) {
    *neg = 0;
    *mag = (uint64_t)v->boolean;
    return 0;
  }
  *neg = t[0] == '-';
  if (!strpbrk(t, ".eEIN")) { /* exact decimal integer */
    uint64_t m = 0;
    for (const char *c = t + *neg; *c; c++) {
      if (m > (UINT64_MAX - (uint64_t)(*c - '0')) / 10) *too_big = 1;
      m = m * 10 + (uint64_t)(*c - '0');
    }
    *mag = m;
    return 0;
  }
  if (isnan(v->number) || isinf(v->number) || v->number != floor(v->number)) return -1;
  if (fabs(v->number) >= 18446744073709551616.0) *too_big = 1;
  else *mag = (uint64_t)fabs(v->number);
  *neg = v->number < 0;
  return 0;
}

static int json_store_int(json_fill *f, const rt_json *v, unsigned char *out) {
  int neg, big, sign = f->dt == GPUX_INT8 || f->dt == GPUX_INT16 || f->dt == GPUX_INT32 ||
                       f->dt == GPUX_INT64 || f->dt == GPUX_INT4 || f->dt == GPUX_INT2;
  int bits = f->dt == GPUX_INT4 || f->dt == GPUX_UINT4   ? 4
             : f->dt == GPUX_INT2 || f->dt == GPUX_UINT2 ? 2
                                                         : 8 * (int)f->esize;
  uint64_t mag = 0, u, maxv = UINT64_MAX >> (64 - bits + (sign ? 1 : 0));
  if (f->dt == GPUX_BOOL) maxv = 1;
  if (json_integer(v, &neg, &mag, &big)) return json_fail_at(f, v, "%s is not an integer", v->text);
  if (v->type == RT_JSON_BOOL) big = neg = 0; /* true/false are always 1/0 */
  if (neg && mag == 0) neg = 0;
  if (big || (neg && !sign) || mag > maxv + (uint64_t)(neg && sign))
    return json_fail_at(f, v, "%s is out of range for %s", v->text ? v->text : "value",
                        rt_npy_dtype_name(f->dt));
  u = neg ? (uint64_t)0 - mag : mag; /* two's complement */
  if (f->esize == 1) {
    out[0] = (unsigned char)u;
  } else if (f->esize == 2) {
    uint16_t x = (uint16_t)u;
    memcpy(out, &x, 2);
  } else if (f->esize == 4) {
    uint32_t x = (uint32_t)u;
    memcpy(out, &x, 4);
  } else {
    memcpy(out, &u, 8);
  }
  return 0;
}

static int json_store(json_fill *f, const rt_json *v) {
  unsigned char *out = f->dst + f->i * f->esize;
  double d = v->type == RT_JSON_BOOL ? v->boolean : v->number;
  if (v->type != RT_JSON_NUMBER && v->type != RT_JSON_BOOL)
    return json_fail_at(f, v, "expected a number, got %s", rt_json_type_name(v->type));
  f->i++;
  switch (f->dt) {
  case GPUX_FLOAT32: { float x = (float)d; memcpy(out, &x, 4); return 0; }
  case GPUX_FLOAT64: memcpy(out, &d, 8); return 0;
  case GPUX_FLOAT16: { uint16_t x = rt_npy_f32_to_f16((float)d); memcpy(out, &x, 2); return 0; }
  case GPUX_BFLOAT16: { uint16_t x = rt_npy_f32_to_bf16((float)d); memcpy(out, &x, 2); return 0; }
  default: return json_store_int(f, v, out);
  }
}

static int json_nested(json_fill *f, const rt_json *v, int d) {
  char shp[256];
  size_t k = 0;
  if (d == f->rank) return json_store(f, v);
  json_shape_str(shp, sizeof shp, f->rank, f->shape);
  if (v->type != RT_JSON_ARRAY)
    return json_fail_at(f, v, "expected a list of %lld (dimension %d of shape %s), got %s",
                        (long long)f->shape[d], d, shp, rt_json_type_name(v->type));
  if ((uint64_t)v->count != (uint64_t)f->shape[d])
    return json_fail_at(f, v, "expected %lld elements (dimension %d of shape %s), got %zu",
                        (long long)f->shape[d], d, shp, v->count);
  f->depth = d + 1;
  for (const rt_json *c = v->child; c; c = c->next, k++) {
    f->path[d] = k;
    f->depth = d + 1;
    if (json_nested(f, c, d + 1)) return -1;
  }
  f->depth = d;
  return 0;
}

static int json_flat(json_fill *f, const rt_json *v) {
  size_t k = 0;
  for (const rt_json *c = v->child; c; c = c->next, k++) {
    f->path[0] = k;
    f->depth = 1;
    if (json_store(f, c)) return -1;
  }
  f->depth = 0;
  return 0;
}

int rt_json_to_tensor(const rt_json *v, gpux_dtype dt, int rank, const int64_t *shape,
                      size_t numel, void *dst, size_t *where, char *err, size_t errlen) {
  json_fill f;
  char shp[256];
  memset(&f, 0, sizeof f);
  f.dt = dt;
  f.esize = rt_npy_dtype_size(dt);
  f.dst = dst;
  f.rank = rank;
  f.shape = shape;
  f.where = where;
  f.err = err;
  f.errlen = errlen;
  if (!f.esize || rank < 0 || rank > JSON_MAX_RANK)
    return json_fail_at(&f, v, "cannot read %s of rank %d from JSON", rt_npy_dtype_name(dt), rank);
  json_shape_str(shp, sizeof shp, rank, shape);
  if (v->type != RT_JSON_ARRAY) {
    if (numel == 1) return json_store(&f, v);
    return json_fail_at(&f, v, "expected a list for shape %s, got %s", shp,
                        rt_json_type_name(v->type));
  }
  if (rank >= 1 && (rank == 1 || (v->child && v->child->type == RT_JSON_ARRAY)))
    return json_nested(&f, v, 0);
  if (v->count == numel) return json_flat(&f, v);
  if (rank >= 1 && (uint64_t)v->count == (uint64_t)shape[0]) return json_nested(&f, v, 0);
  return json_fail_at(&f, v, "expected %zu values for shape %s (flat or nested), got a list of %zu",
                      numel, shp, v->count);
}

/* ---- writing */

int rt_json_write_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
    else if (*c == '\n') fputs("\\n", f);
    else if (*c == '\t') fputs("\\t", f);
    else if (*c == '\r') fputs("\\r", f);
    else if (*c < 0x20 || *c == 0x7f) fprintf(f, "\\u%04x", *c);
    else fputc(*c, f);
  }
  fputc('"', f);
  return ferror(f) ? -1 : 0;
}

int rt_json_write_double(FILE *f, double v, int significant_digits) {
  if (isnan(v)) fputs("NaN", f);
  else if (isinf(v)) fputs(v > 0 ? "Infinity" : "-Infinity", f);
  else fprintf(f, "%.*g", significant_digits, v);
  return ferror(f) ? -1 : 0;
}

static void json_write_elem(FILE *f, gpux_dtype dt, const unsigned char *p) {
  union { float f32; double f64; uint16_t u16; int8_t i8; int16_t i16; int32_t i32; int64_t i64;
          uint32_t u32; uint64_t u64; } x;
  memcpy(&x, p, rt_npy_dtype_size(dt));
  if (dt > GPUX_BFLOAT16) dt = rt_npy_storage(dt); /* raw bits, or int8/uint8 values */
  switch (dt) {
  case GPUX_FLOAT32: rt_json_write_double(f, x.f32, 9); break;
  case GPUX_FLOAT64: rt_json_write_double(f, x.f64, 17); break;
  case GPUX_FLOAT16: rt_json_write_double(f, rt_npy_f16_to_f32(x.u16), 9); break;
  case GPUX_BFLOAT16: rt_json_write_double(f, rt_npy_bf16_to_f32(x.u16), 9); break;
  case GPUX_BOOL: fputs(p[0] ? "true" : "false", f); break;
  case GPUX_UINT8: fprintf(f, "%u", (unsigned)p[0]); break;
  case GPUX_INT8: fprintf(f, "%d", (int)x.i8); break;
  case GPUX_UINT16: fprintf(f, "%u", (unsigned)x.u16); break;
  case GPUX_INT16: fprintf(f, "%d", (int)x.i16); break;
  case GPUX_UINT32: fprintf(f, "%lu", (unsigned long)x.u32); break;
  case GPUX_INT32: fprintf(f, "%ld", (long)x.i32); break;
  case GPUX_UINT64: fprintf(f, "%llu", (unsigned long long)x.u64); break;
  case GPUX_INT64: fprintf(f, "%lld", (long long)x.i64); break;
  default: fputs("null", f); break;
  }
}

static const unsigned char *json_write_dim(FILE *f, gpux_dtype dt, int d, int rank,
                                           const int64_t *shape, const unsigned char *p) {
  size_t esize = rt_npy_dtype_size(dt);
  if (d == rank) {
    json_write_elem(f, dt, p);
    return p + esize;
  }
  fputc('[', f);
  for (int64_t i = 0; i < shape[d]; i++) {
    if (i) fputs(", ", f);
    p = json_write_dim(f, dt, d + 1, rank, shape, p);
  }
  fputc(']', f);
  return p;
}

int rt_json_write_tensor(FILE *f, gpux_dtype dt, int rank, const int64_t *shape,
                         const void *data) {
  if (!rt_npy_dtype_size(dt)) {
    fputs("null", f);
    return -1;
  }
  json_write_dim(f, dt, 0, rank, shape, data);
  return ferror(f) ? -1 : 0;
}
