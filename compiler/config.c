/* config.c - reads and validates gpux.yml (the GPUX schema plus build:).
 *
 * The file is loaded with libyaml's document API and checked against tables
 * of Field entries, one table per section: the key, how its value is read
 * (string, integer in a range, boolean, one of a list, a nested section, or a
 * function for the odd ones) and where in GpuxConfig or CfgTensor it goes.
 * walk_map checks one mapping against a table: wrong node kinds, duplicate
 * keys, unknown keys (with the closest known key as a suggestion).
 *
 * Every problem becomes "PATH:LINE:COL: error: ..." (EK_INVALID) in the Diag
 * and the walk goes on, so one run names every bad key. On failure cfg_load
 * frees what it read and leaves cfg zeroed; on success the caller owns it
 * and calls cfg_free. An empty value (null) of an optional string key or
 * section means "not set"; integers and booleans must be written out. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

typedef struct Ctx {
  const char *path;
  yaml_document_t *doc;
  GpuxConfig *cfg;
  Diag *d;
  char shown[64]; /* scratch for shown() */
} Ctx;

typedef enum FieldKind { F_STR, F_NAME, F_INT, F_BOOL, F_CHOICE, F_MAP, F_FN } FieldKind;

typedef struct Field Field;
typedef void (*FieldFn)(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj);

/* One key of a section. off is into the object the section fills. */
struct Field {
  const char *key;
  FieldKind kind;
  size_t off;
  int lo, hi;                 /* F_INT */
  const char *const *choices; /* F_CHOICE, NULL-terminated */
  const Field *sub;           /* F_MAP */
  FieldFn fn;                 /* F_FN */
};

/* ---- messages ---- */

static void err_mark(Ctx *c, size_t line, size_t col, const char *fmt, ...) PRINTF_LIKE(4, 5);

static void err_mark(Ctx *c, size_t line, size_t col, const char *fmt, ...) {
  StrBuf where;
  va_list ap;
  sb_init(&where);
  sb_printf(&where, "%s:%zu:%zu", c->path, line + 1, col + 1);
  va_start(ap, fmt);
  diag_verror(c->d, EK_INVALID, where.s, fmt, ap);
  va_end(ap);
  sb_free(&where);
}

#define ERR(c, n, ...) err_mark((c), (n)->start_mark.line, (n)->start_mark.column, __VA_ARGS__)

static const char *sval(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static int is_null(const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
  const char *s = sval(n);
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
         !strcmp(s, "NULL");
}

/* How a value is named in a message: 'text' (shortened), null, a mapping... */
static const char *shown(Ctx *c, const yaml_node_t *n) {
  if (n->type == YAML_SEQUENCE_NODE) return "a sequence";
  if (n->type == YAML_MAPPING_NODE) return "a mapping";
  if (n->type != YAML_SCALAR_NODE) return "nothing";
  if (is_null(n)) return "null";
  const char *s = sval(n);
  size_t k = 0, i = 0;
  c->shown[k++] = '\'';
  for (; s[i] && k < 45; i++) c->shown[k++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
  if (s[i]) k += (size_t)snprintf(c->shown + k, 4, "...");
  c->shown[k++] = '\'';
  c->shown[k] = 0;
  return c->shown;
}

static CfgPos pos_of(const yaml_node_t *n) {
  return (CfgPos){(int)n->start_mark.line + 1, (int)n->start_mark.column + 1};
}

static yaml_node_t *node_at(Ctx *c, int index) {
  yaml_node_t *n = yaml_document_get_node(c->doc, index);
  ENSURE(n != NULL);
  return n;
}

static int seq_len(const yaml_node_t *n) {
  return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_at(Ctx *c, const yaml_node_t *n, int i) {
  return node_at(c, n->data.sequence.items.start[i]);
}

static char lower(char ch) { return (char)tolower((unsigned char)ch); }

/* The value of key in mapping m, or NULL. */
static yaml_node_t *map_get(Ctx *c, yaml_node_t *m, const char *key) {
  if (m->type != YAML_MAPPING_NODE) return NULL;
  for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
    yaml_node_t *k = node_at(c, p->key);
    if (k->type == YAML_SCALAR_NODE && strcmp(sval(k), key) == 0) return node_at(c, p->value);
  }
  return NULL;
}

static char *join_key(const char *prefix, const char *key) {
  StrBuf b;
  sb_init(&b);
  if (prefix && *prefix) sb_printf(&b, "%s.", prefix);
  sb_puts(&b, key);
  return sb_take(&b);
}

/* Optimal string alignment distance (a swap counts as one edit). */
static int edit_distance(const char *a, const char *b) {
  int n = (int)strlen(a), m = (int)strlen(b), d[33][33];
  if (n > 32 || m > 32) return 99;
  for (int i = 0; i <= n; i++) d[i][0] = i;
  for (int j = 0; j <= m; j++) d[0][j] = j;
  for (int i = 1; i <= n; i++)
    for (int j = 1; j <= m; j++) {
      int cost = a[i - 1] != b[j - 1];
      int v = MIN(MIN(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        v = MIN(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  return d[n][m];
}

/* "; did you mean 'x'?" for the closest name within 2 edits, or "". */
static void suggest(StrBuf *b, const char *got, const char *const *names) {
  const char *best = NULL;
  int bestd = 3;
  for (const char *const *p = names; *p; p++) {
    int dist = edit_distance(got, *p);
    if (dist < bestd) bestd = dist, best = *p;
  }
  if (best) sb_printf(b, "; did you mean '%s'?", best);
}

static void put_list(StrBuf *b, const char *const *names) {
  for (const char *const *p = names; *p; p++) sb_printf(b, "%s%s", p == names ? "" : ", ", *p);
}

/* "'KEY' must be WHAT: a, b, c; got 'x'; did you mean 'c'?" */
static void bad_choice(Ctx *c, yaml_node_t *v, const char *key, const char *what,
                       const char *const *names) {
  StrBuf b;
  sb_init(&b);
  put_list(&b, names);
  sb_printf(&b, "; got %s", shown(c, v));
  if (v->type == YAML_SCALAR_NODE) suggest(&b, sval(v), names);
  ERR(c, v, "'%s' must be %s: %s", key, what, b.s);
  sb_free(&b);
}

/* ---- scalars ---- */

/* Plain decimal integers only: no fraction, exponent, hex or spaces. */
static int parse_int(const char *s, long long *out) {
  const char *p = s;
  if (*p == '+' || *p == '-') p++;
  if (!*p) return -1;
  for (const char *q = p; *q; q++)
    if (*q < '0' || *q > '9') return -1;
  errno = 0;
  long long v = strtoll(s, NULL, 10);
  if (errno) return -1;
  *out = v;
  return 0;
}

static int parse_bool(const char *s) {
  static const char *const T[] = {"true", "yes", "on"}, *const F[] = {"false", "no", "off"};
  for (size_t i = 0; i < ARRAY_LEN(T); i++) {
    if (strcasecmp(s, T[i]) == 0) return 1;
    if (strcasecmp(s, F[i]) == 0) return 0;
  }
  return -1;
}

static void get_str(Ctx *c, yaml_node_t *v, const char *key, char **dst, int required) {
  if (v->type != YAML_SCALAR_NODE) {
    ERR(c, v, "'%s' must be a string, got %s", key, shown(c, v));
  } else if (required && (is_null(v) || !*sval(v))) {
    ERR(c, v, "'%s' must be a non-empty string, got %s", key, is_null(v) ? "null" : "''");
  } else if (!is_null(v)) {
    free(*dst);
    *dst = xstrdup(sval(v));
  }
}

static int get_int(Ctx *c, yaml_node_t *v, const char *key, int lo, int hi, int *dst) {
  long long x;
  if (v->type == YAML_SCALAR_NODE && parse_int(sval(v), &x) == 0 && x >= lo && x <= hi) {
    *dst = (int)x;
    return 0;
  }
  if (hi == INT_MAX)
    ERR(c, v, "'%s' must be an integer >= %d, got %s", key, lo, shown(c, v));
  else
    ERR(c, v, "'%s' must be an integer between %d and %d, got %s", key, lo, hi, shown(c, v));
  return -1;
}

static void get_bool(Ctx *c, yaml_node_t *v, const char *key, int *dst) {
  int b = v->type == YAML_SCALAR_NODE ? parse_bool(sval(v)) : -1;
  if (b < 0)
    ERR(c, v, "'%s' must be a boolean (true/false, yes/no, on/off), got %s", key, shown(c, v));
  else
    *dst = b;
}

static void get_choice(Ctx *c, yaml_node_t *v, const char *key, const char *const *choices,
                       char **dst) {
  if (v->type == YAML_SCALAR_NODE && is_null(v)) return;
  if (v->type == YAML_SCALAR_NODE)
    for (const char *const *p = choices; *p; p++)
      if (strcasecmp(sval(v), *p) == 0) {
        free(*dst);
        *dst = xstrdup(*p);
        return;
      }
  bad_choice(c, v, key, "one of", choices);
}

/* ---- mappings ---- */

static void read_field(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj);

static void unknown_key(Ctx *c, yaml_node_t *k, const char *prefix, const Field *fields) {
  const char *names[32];
  size_t n = 0;
  for (const Field *f = fields; f->key && n + 1 < ARRAY_LEN(names); f++) names[n++] = f->key;
  names[n] = NULL;
  StrBuf b;
  sb_init(&b);
  sb_printf(&b, "unknown key '%s'", sval(k));
  if (prefix && *prefix) sb_printf(&b, " in '%s'", prefix);
  sb_puts(&b, " (expected one of: ");
  put_list(&b, names);
  sb_putc(&b, ')');
  suggest(&b, sval(k), names);
  ERR(c, k, "%s", b.s);
  sb_free(&b);
}

/* Checks mapping m against fields and reads each key into obj. A null m is
 * an empty section. prefix names the section in messages ("serving"). */
static void walk_map(Ctx *c, yaml_node_t *m, const char *prefix, const Field *fields, void *obj) {
  if (is_null(m)) return;
  if (m->type != YAML_MAPPING_NODE) {
    ERR(c, m, "'%s' must be a mapping, got %s", prefix, shown(c, m));
    return;
  }
  StrMap seen;
  smap_init(&seen);
  yaml_node_pair_t *start = m->data.mapping.pairs.start;
  for (yaml_node_pair_t *p = start; p < m->data.mapping.pairs.top; p++) {
    yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
    if (k->type != YAML_SCALAR_NODE) {
      ERR(c, k, "keys in '%s' must be plain names, got %s", *prefix ? prefix : "(top level)",
          shown(c, k));
      continue;
    }
    char *full = join_key(prefix, sval(k));
    int first = smap_get(&seen, sval(k), -1);
    const Field *f = fields;
    while (f->key && strcmp(f->key, sval(k)) != 0) f++;
    if (first >= 0) {
      yaml_node_t *fk = node_at(c, start[first].key);
      ERR(c, k, "duplicate key '%s' (first at %zu:%zu)", full, fk->start_mark.line + 1,
          fk->start_mark.column + 1);
    } else if (!f->key) {
      unknown_key(c, k, prefix, fields);
    } else {
      read_field(c, f, v, full, obj);
    }
    if (first < 0) smap_put(&seen, sval(k), (int)(p - start));
    free(full);
  }
  smap_free(&seen);
}

static void read_field(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  char *base = obj;
  switch (f->kind) {
  case F_STR:
  case F_NAME: get_str(c, v, key, (char **)(base + f->off), f->kind == F_NAME); break;
  case F_INT: get_int(c, v, key, f->lo, f->hi, (int *)(base + f->off)); break;
  case F_BOOL: get_bool(c, v, key, (int *)(base + f->off)); break;
  case F_CHOICE: get_choice(c, v, key, f->choices, (char **)(base + f->off)); break;
  case F_MAP: walk_map(c, v, key, f->sub, obj); break;
  case F_FN: f->fn(c, f, v, key, obj); break;
  }
}

/* ---- values with their own rules ---- */

static const char *const DTYPES[] = {"float32", "float16", "bfloat16", "float64", "int64",
                                     "int32",   "int16",   "int8",     "uint64",  "uint32",
                                     "uint16",  "uint8",   "bool",     "string",  NULL};

static void read_type(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  CfgTensor *t = obj;
  DType dt = DT_UNDEF;
  if (v->type == YAML_SCALAR_NODE && !is_null(v)) {
    char low[32];
    size_t i = 0;
    for (const char *s = sval(v); *s && i + 1 < sizeof low; s++) low[i++] = lower(*s);
    low[i] = 0;
    dt = dtype_from_name(sval(v));
    if (dt == DT_UNDEF && strlen(sval(v)) < sizeof low) dt = dtype_from_name(low);
    if (dt == DT_C64 || dt == DT_C128) dt = DT_UNDEF;
  }
  if (dt != DT_UNDEF) {
    free(t->type);
    t->type = xstrdup(sval(v));
    t->dtype = dt;
    return;
  }
  bad_choice(c, v, key, "a data type", DTYPES);
}

/* A dimension: an integer >= 0, or dynamic (-1, "?", null or a name). */
static int is_dim_name(const char *s) {
  if (!isalpha((unsigned char)*s) && *s != '_') return 0;
  while (isalnum((unsigned char)*s) || *s == '_') s++;
  return !*s;
}

static int read_dim(Ctx *c, yaml_node_t *v, const char *key, int axis, int64_t *dim) {
  long long x;
  if (v->type == YAML_SCALAR_NODE) {
    const char *s = sval(v);
    if (is_null(v) || strcmp(s, "?") == 0 || is_dim_name(s)) {
      *dim = -1;
      return 0;
    }
    if (parse_int(s, &x) == 0 && x >= -1 && x <= INT32_MAX) {
      *dim = x;
      return 0;
    }
    if (parse_int(s, &x) == 0) {
      ERR(c, v, "'%s' axis %d must be between 0 and %d (or -1, '?', null or a name for a "
                "dynamic dimension), got %s", key, axis, INT32_MAX, shown(c, v));
      return -1;
    }
  }
  ERR(c, v, "'%s' axis %d must be an integer >= 0 or a name for a dynamic dimension, got %s",
      key, axis, shown(c, v));
  return -1;
}

static void read_shape(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  CfgTensor *t = obj;
  if (is_null(v)) return;
  t->shape_pos = pos_of(v);
  if (v->type != YAML_SEQUENCE_NODE) {
    ERR(c, v, "'%s' must be a sequence of dimensions like [1, 3, 224, 224], got %s", key,
        shown(c, v));
    return;
  }
  int n = seq_len(v), ok = 1;
  if (n > CFG_MAX_RANK) {
    ERR(c, v, "'%s' has %d dimensions; at most %d are supported", key, n, CFG_MAX_RANK);
    return;
  }
  for (int i = 0; i < n; i++) ok &= read_dim(c, seq_at(c, v, i), key, i, &t->dims[i]) == 0;
  if (ok) {
    t->rank = n;
    t->has_shape = 1;
  }
}

static void read_labels(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  CfgTensor *t = obj;
  if (is_null(v)) return;
  if (v->type != YAML_SEQUENCE_NODE) {
    ERR(c, v, "'%s' must be a sequence of strings, got %s", key, shown(c, v));
    return;
  }
  int n = seq_len(v);
  t->labels = xcalloc((size_t)n, sizeof *t->labels);
  for (int i = 0; i < n; i++) {
    yaml_node_t *it = seq_at(c, v, i);
    if (it->type != YAML_SCALAR_NODE || is_null(it))
      ERR(c, it, "'%s' entry %d must be a string, got %s", key, i, shown(c, it));
    else
      t->labels[t->nlabels++] = xstrdup(sval(it));
  }
}

static void read_memory(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  GpuxConfig *cfg = obj;
  if (is_null(v)) return;
  int64_t n = v->type == YAML_SCALAR_NODE ? cfg_parse_size(sval(v)) : -1;
  if (n <= 0) {
    ERR(c, v, "'%s' must be a size like \"2GB\", \"512MB\" or \"1.5GiB\", got %s", key,
        shown(c, v));
    return;
  }
  free(cfg->runtime.memory);
  cfg->runtime.memory = xstrdup(sval(v));
  cfg->runtime.memory_bytes = n;
}

static void read_batch(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  GpuxConfig *cfg = obj;
  if (get_int(c, v, key, 1, INT_MAX, &cfg->runtime.batch_size) == 0)
    cfg->runtime.has_batch_size = 1;
}

/* build.optimize: 0..3, or a boolean (true = 2, false = 0). */
static void read_optimize(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  GpuxConfig *cfg = obj;
  long long x;
  int b = v->type == YAML_SCALAR_NODE ? parse_bool(sval(v)) : -1;
  if (b >= 0) {
    cfg->build.optimize = b ? 2 : 0;
  } else if (v->type == YAML_SCALAR_NODE && parse_int(sval(v), &x) == 0 && x >= 0 && x <= 3) {
    cfg->build.optimize = (int)x;
  } else {
    ERR(c, v, "'%s' must be an integer between 0 and 3 or a boolean, got %s", key, shown(c, v));
  }
}

/* A scalar in flow text: plain where that reads back the same, else quoted. */
static void flow_scalar(StrBuf *b, const yaml_node_t *n) {
  const char *s = sval(n);
  size_t len = MIN(strlen(s), (size_t)200);
  int plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && len && s[0] != ' ' &&
              s[len - 1] != ' ';
  for (size_t i = 0; i < len && plain; i++)
    plain = (unsigned char)s[i] >= 0x20 && !strchr(",:[]{}#&*!|>'\"%@`\\", s[i]);
  if (plain) {
    sb_putn(b, s, len);
    return;
  }
  sb_putc(b, '"');
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"' || s[i] == '\\') sb_putc(b, '\\');
    if ((unsigned char)s[i] < 0x20) sb_printf(b, "\\x%02x", (unsigned char)s[i]);
    else sb_putc(b, s[i]);
  }
  sb_putc(b, '"');
}

/* A short flow-style text of a mapping: "{mode: int8, per_channel: true}",
 * which libyaml reads back. Cut at about 200 characters and depth 4. */
static void flow_text(Ctx *c, StrBuf *b, yaml_node_t *n, int depth) {
  if (b->len > 200) return;
  if (n->type == YAML_SCALAR_NODE) {
    flow_scalar(b, n);
  } else if (depth >= 4) {
    sb_puts(b, "...");
  } else if (n->type == YAML_SEQUENCE_NODE) {
    yaml_node_item_t *start = n->data.sequence.items.start;
    sb_putc(b, '[');
    for (yaml_node_item_t *i = start; i < n->data.sequence.items.top && b->len <= 200; i++) {
      if (i != start) sb_puts(b, ", ");
      flow_text(c, b, node_at(c, *i), depth + 1);
    }
    sb_putc(b, ']');
  } else if (n->type == YAML_MAPPING_NODE) {
    yaml_node_pair_t *start = n->data.mapping.pairs.start;
    sb_putc(b, '{');
    for (yaml_node_pair_t *p = start; p < n->data.mapping.pairs.top && b->len <= 200; p++) {
      if (p != start) sb_puts(b, ", ");
      flow_text(c, b, node_at(c, p->key), depth + 1);
      sb_puts(b, ": ");
      flow_text(c, b, node_at(c, p->value), depth + 1);
    }
    sb_putc(b, '}');
  }
}

/* build.quantize / prune / partition: a scalar (kept as written) or a
 * mapping (kept as flow text) for the passes to read; null and false mean
 * off (NULL). */
static void read_loose(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  char **dst = (char **)((char *)obj + f->off);
  if (v->type != YAML_SCALAR_NODE && v->type != YAML_MAPPING_NODE) {
    ERR(c, v, "'%s' must be a string or a mapping of options, got %s", key, shown(c, v));
    return;
  }
  StrBuf b;
  free(*dst);
  *dst = NULL;
  if (v->type == YAML_MAPPING_NODE) {
    sb_init(&b);
    flow_text(c, &b, v, 0);
    *dst = sb_take(&b);
  } else if (!is_null(v) && parse_bool(sval(v)) != 0) {
    *dst = xstrdup(sval(v));
  }
}

static void read_source(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  GpuxConfig *cfg = obj;
  char *src = NULL;
  struct stat st;
  get_str(c, v, key, &src, 1);
  if (!src) return;
  free(cfg->model_source);
  free(cfg->model_path);
  cfg->model_source = src;
  cfg->model_source_pos = pos_of(v);
  cfg->model_path = path_join(cfg->dir, src);
  if (stat(cfg->model_path, &st) != 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR)
      ERR(c, v, "%s '%s' not found (resolved to '%s')", key, src, cfg->model_path);
    else
      ERR(c, v, "%s '%s' cannot be read (resolved to '%s'): %s", key, src, cfg->model_path,
          strerror(e));
  } else if (S_ISDIR(st.st_mode)) {
    ERR(c, v, "%s '%s' is a directory, expected a model file (resolved to '%s')", key, src,
        cfg->model_path);
  }
}

static void read_format(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  char *fmt = NULL;
  get_str(c, v, key, &fmt, 0); /* the default is already "onnx" */
  if (fmt && strcasecmp(fmt, "onnx") != 0)
    ERR(c, v, "unsupported %s '%s' (expected: onnx)", key, fmt);
  free(fmt);
}

/* ---- inputs: and outputs: ---- */

#define TF(m) offsetof(CfgTensor, m)

static const Field INPUT_FIELDS[] = {
    {.key = "name", .kind = F_NAME, .off = TF(name)},
    {.key = "type", .kind = F_FN, .fn = read_type},
    {.key = "shape", .kind = F_FN, .fn = read_shape},
    {.key = "required", .kind = F_BOOL, .off = TF(required)},
    {.key = "description", .kind = F_STR, .off = TF(description)},
    {.key = NULL}};

static const Field OUTPUT_FIELDS[] = {
    {.key = "name", .kind = F_NAME, .off = TF(name)},
    {.key = "type", .kind = F_FN, .fn = read_type},
    {.key = "shape", .kind = F_FN, .fn = read_shape},
    {.key = "labels", .kind = F_FN, .fn = read_labels},
    {.key = "description", .kind = F_STR, .off = TF(description)},
    {.key = NULL}};

/* Entry i of inputs:/outputs: (v), in the mapping form (NAME: spec) or the
 * sequence form (- name: NAME ...). */
static void read_entry(Ctx *c, yaml_node_t *v, int i, const char *key, const Field *fields,
                       CfgTensor *t) {
  int is_map = v->type == YAML_MAPPING_NODE;
  yaml_node_t *at, *spec, *name;
  if (is_map) {
    at = name = node_at(c, v->data.mapping.pairs.start[i].key);
    spec = node_at(c, v->data.mapping.pairs.start[i].value);
    fields++; /* the key is the name: no name: inside */
  } else {
    at = spec = seq_at(c, v, i);
    name = map_get(c, spec, "name");
  }
  t->required = 1;
  t->pos = pos_of(at);
  if (name && name->type == YAML_SCALAR_NODE && !is_null(name) && *sval(name))
    t->name = xstrdup(sval(name));
  StrBuf p;
  sb_init(&p);
  if (t->name) sb_printf(&p, "%s.%s", key, t->name);
  else sb_printf(&p, "%s[%d]", key, i);
  if (is_map && !t->name) {
    ERR(c, at, "'%s' names must be non-empty strings, got %s", key, shown(c, at));
  } else if (!is_map && spec->type != YAML_MAPPING_NODE) {
    ERR(c, spec, "'%s' must be a mapping with at least 'name:', got %s", p.s, shown(c, spec));
  } else {
    walk_map(c, spec, p.s, fields, t);
    if (!name) ERR(c, spec, "missing required key 'name' in '%s'", p.s);
  }
  sb_free(&p);
}

static void read_tensors(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  GpuxConfig *cfg = obj;
  int in = strcmp(key, "inputs") == 0;
  if (is_null(v)) return;
  if (v->type != YAML_MAPPING_NODE && v->type != YAML_SEQUENCE_NODE) {
    ERR(c, v, "'%s' must be a mapping of NAME: spec or a sequence of specs with 'name:', got %s",
        key, shown(c, v));
    return;
  }
  int n = v->type == YAML_MAPPING_NODE
              ? (int)(v->data.mapping.pairs.top - v->data.mapping.pairs.start)
              : seq_len(v);
  CfgTensor *ts = xcalloc((size_t)n, sizeof *ts);
  int *count = in ? &cfg->ninputs : &cfg->noutputs;
  *(in ? &cfg->inputs : &cfg->outputs) = ts;
  StrMap names;
  smap_init(&names);
  for (int i = 0; i < n; i++) {
    CfgTensor *t = &ts[i];
    read_entry(c, v, i, key, in ? INPUT_FIELDS : OUTPUT_FIELDS, t);
    *count = i + 1;
    if (!t->name) continue;
    int first = smap_get(&names, t->name, -1);
    if (first < 0)
      smap_put(&names, t->name, i);
    else
      err_mark(c, (size_t)t->pos.line - 1, (size_t)t->pos.col - 1,
               "%s '%s' listed twice (first at %d:%d)", in ? "input" : "output", t->name,
               ts[first].pos.line, ts[first].pos.col);
  }
  smap_free(&names);
}

/* ---- the sections ---- */

#define CF(m) offsetof(GpuxConfig, m)

static const char *const TARGETS[] = {"c", "cpu", "cuda", "llvm", "auto", NULL};
static const char *const CPUS[] = {"native", "avx512", "avx2", "generic", NULL};
static const char *const PRECISIONS[] = {"fp32", "fp16", "bf16", "int8", NULL};

static const Field MODEL_FIELDS[] = {
    {.key = "source", .kind = F_FN, .fn = read_source},
    {.key = "format", .kind = F_FN, .fn = read_format},
    {.key = "version", .kind = F_STR, .off = CF(model_version)},
    {.key = NULL}};

static const Field GPU_FIELDS[] = {
    {.key = "memory", .kind = F_FN, .fn = read_memory},
    {.key = "backend", .kind = F_STR, .off = CF(runtime.backend)},
    {.key = NULL}};

static const Field RUNTIME_FIELDS[] = {
    {.key = "gpu", .kind = F_MAP, .sub = GPU_FIELDS},
    {.key = "batch_size", .kind = F_FN, .fn = read_batch},
    {.key = "timeout", .kind = F_INT, .off = CF(runtime.timeout), .lo = 1, .hi = INT_MAX},
    {.key = NULL}};

static const Field SERVING_FIELDS[] = {
    {.key = "host", .kind = F_STR, .off = CF(serving.host)},
    {.key = "port", .kind = F_INT, .off = CF(serving.port), .lo = 1, .hi = 65535},
    {.key = "batch_size", .kind = F_INT, .off = CF(serving.batch_size), .lo = 1, .hi = INT_MAX},
    {.key = "timeout", .kind = F_INT, .off = CF(serving.timeout), .lo = 1, .hi = INT_MAX},
    {.key = NULL}};

static void read_resize(Ctx *c, const Field *f, yaml_node_t *v, const char *key, void *obj) {
  GpuxConfig *cfg = obj;
  if (is_null(v)) return;
  if (v->type != YAML_SEQUENCE_NODE || seq_len(v) != 2) {
    ERR(c, v, "'%s' must be two integers [width, height], got %s", key, shown(c, v));
    return;
  }
  int ok = 1;
  for (int i = 0; i < 2; i++)
    ok &= get_int(c, seq_at(c, v, i), key, 1, INT_MAX, &cfg->preprocessing.resize[i]) == 0;
  cfg->preprocessing.has_resize = ok;
}

static const Field PREPROCESSING_FIELDS[] = {
    {.key = "tokenizer", .kind = F_STR, .off = CF(preprocessing.tokenizer)},
    {.key = "max_length", .kind = F_INT, .off = CF(preprocessing.max_length), .lo = 1,
     .hi = INT_MAX},
    {.key = "resize", .kind = F_FN, .fn = read_resize},
    {.key = "normalize", .kind = F_STR, .off = CF(preprocessing.normalize)},
    {.key = NULL}};

static const Field BUILD_FIELDS[] = {
    {.key = "target", .kind = F_CHOICE, .off = CF(build.target), .choices = TARGETS},
    {.key = "optimize", .kind = F_FN, .fn = read_optimize},
    {.key = "cpu", .kind = F_CHOICE, .off = CF(build.cpu), .choices = CPUS},
    {.key = "threads", .kind = F_INT, .off = CF(build.threads), .lo = 0, .hi = 64},
    {.key = "precision", .kind = F_CHOICE, .off = CF(build.precision), .choices = PRECISIONS},
    {.key = "profile", .kind = F_BOOL, .off = CF(build.profile)},
    {.key = "http", .kind = F_BOOL, .off = CF(build.http)},
    {.key = "quantize", .kind = F_FN, .off = CF(build.quantize), .fn = read_loose},
    {.key = "prune", .kind = F_FN, .off = CF(build.prune), .fn = read_loose},
    {.key = "partition", .kind = F_FN, .off = CF(build.partition), .fn = read_loose},
    {.key = NULL}};

static const Field TOP_FIELDS[] = {
    {.key = "name", .kind = F_NAME, .off = CF(name)},
    {.key = "version", .kind = F_NAME, .off = CF(version)},
    {.key = "model", .kind = F_MAP, .sub = MODEL_FIELDS},
    {.key = "inputs", .kind = F_FN, .fn = read_tensors},
    {.key = "outputs", .kind = F_FN, .fn = read_tensors},
    {.key = "runtime", .kind = F_MAP, .sub = RUNTIME_FIELDS},
    {.key = "serving", .kind = F_MAP, .sub = SERVING_FIELDS},
    {.key = "preprocessing", .kind = F_MAP, .sub = PREPROCESSING_FIELDS},
    {.key = "build", .kind = F_MAP, .sub = BUILD_FIELDS},
    {.key = NULL}};

/* ---- loading ---- */

static void walk_root(Ctx *c, yaml_node_t *root) {
  if (root->type != YAML_MAPPING_NODE) {
    ERR(c, root, "the top level must be a mapping (name: ..., version: ..., model: ...), got %s",
        shown(c, root));
    return;
  }
  walk_map(c, root, "", TOP_FIELDS, c->cfg);
  if (!map_get(c, root, "name")) ERR(c, root, "missing required key 'name'");
  if (!map_get(c, root, "version")) ERR(c, root, "missing required key 'version'");
  yaml_node_t *model = map_get(c, root, "model");
  if (!model || is_null(model))
    ERR(c, root, "missing required key 'model.source'");
  else if (model->type == YAML_MAPPING_NODE && !map_get(c, model, "source"))
    ERR(c, model, "missing required key 'model.source'");
}

/* libyaml's problem text at its position. */
static void yaml_problem(Ctx *c, const yaml_parser_t *p, const char *data, size_t len) {
  size_t line = p->problem_mark.line, col = p->problem_mark.column;
  if (p->error == YAML_MEMORY_ERROR) {
    err_mark(c, 0, 0, "out of memory while reading YAML");
    return;
  }
  if (p->error == YAML_READER_ERROR) { /* the reader counts bytes, not lines */
    line = col = 0;
    for (size_t i = 0; i < p->problem_offset && i < len; i++, col++)
      if (data[i] == '\n') line++, col = (size_t)-1;
  }
  StrBuf b;
  sb_init(&b);
  sb_printf(&b, "YAML syntax error: %s", p->problem ? p->problem : "malformed input");
  if (p->error == YAML_READER_ERROR && p->problem_value >= 0)
    sb_printf(&b, " (byte 0x%02x)", (unsigned)p->problem_value);
  if (p->context)
    sb_printf(&b, " (%s at %zu:%zu)", p->context, p->context_mark.line + 1,
              p->context_mark.column + 1);
  err_mark(c, line, col, "%s", b.s);
  sb_free(&b);
}

static void load_doc(Ctx *c, const char *data, size_t len) {
  yaml_parser_t p;
  yaml_document_t doc, extra;
  if (!yaml_parser_initialize(&p)) BUG("cannot initialize libyaml");
  yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
  if (!yaml_parser_load(&p, &doc)) {
    yaml_problem(c, &p, data, len);
    yaml_parser_delete(&p);
    return;
  }
  c->doc = &doc;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (!root || is_null(root)) {
    err_mark(c, 0, 0, "the file is empty (expected at least name, version and model.source)");
  } else {
    walk_root(c, root);
    if (!yaml_parser_load(&p, &extra)) {
      yaml_problem(c, &p, data, len);
    } else {
      yaml_node_t *r2 = yaml_document_get_root_node(&extra);
      if (r2) ERR(c, r2, "a second YAML document starts here; gpux.yml holds one document");
      yaml_document_delete(&extra);
    }
  }
  c->doc = NULL;
  yaml_document_delete(&doc);
  yaml_parser_delete(&p);
}

static void set_defaults(GpuxConfig *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->model_format = xstrdup("onnx");
  cfg->runtime.backend = xstrdup("auto");
  cfg->runtime.batch_size = 1;
  cfg->runtime.timeout = 30;
  cfg->serving.host = xstrdup("0.0.0.0");
  cfg->serving.port = 8080;
  cfg->serving.batch_size = 1;
  cfg->serving.timeout = 5;
  cfg->build.optimize = 2;
}

int cfg_load(const char *path, GpuxConfig *cfg, Diag *d) {
  Ctx c = {.path = path, .cfg = cfg, .d = d};
  int before = d->nerrors, e;
  char *data = NULL;
  size_t len = 0;
  struct stat st;
  set_defaults(cfg);
  cfg->path = xstrdup(path);
  cfg->dir = path_dirname(path);
  if (stat(path, &st) != 0)
    e = errno;
  else
    e = S_ISDIR(st.st_mode) ? EISDIR : read_file(path, &data, &len);
  if (e)
    diag_error(d, EK_INVALID, NULL, "cannot read '%s': %s", path, strerror(e));
  else
    load_doc(&c, data, len);
  free(data);
  if (d->nerrors == before) return 0;
  cfg_free(cfg);
  return -1;
}

void cfg_defaults(GpuxConfig *cfg, const char *model_path) {
  const char *base = path_basename(model_path), *dot = strrchr(base, '.');
  size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  set_defaults(cfg);
  cfg->name = n ? memcpy(xcalloc(n + 1, 1), base, n) : xstrdup("model");
  cfg->version = xstrdup("1.0");
  cfg->dir = xstrdup(".");
  cfg->model_source = xstrdup(model_path);
  cfg->model_path = xstrdup(model_path);
}

static void free_tensors(CfgTensor *ts, int n) {
  for (int i = 0; i < n; i++) {
    free(ts[i].name);
    free(ts[i].type);
    free(ts[i].description);
    for (int j = 0; j < ts[i].nlabels; j++) free(ts[i].labels[j]);
    free(ts[i].labels);
  }
  free(ts);
}

void cfg_free(GpuxConfig *cfg) {
  if (!cfg) return;
  char *strs[] = {cfg->path, cfg->dir, cfg->name, cfg->version, cfg->model_source,
                  cfg->model_path, cfg->model_format, cfg->model_version, cfg->runtime.backend,
                  cfg->runtime.memory, cfg->serving.host, cfg->preprocessing.tokenizer,
                  cfg->preprocessing.normalize, cfg->build.target, cfg->build.cpu, cfg->build.precision,
                  cfg->build.quantize, cfg->build.prune, cfg->build.partition};
  for (size_t i = 0; i < ARRAY_LEN(strs); i++) free(strs[i]);
  free_tensors(cfg->inputs, cfg->ninputs);
  free_tensors(cfg->outputs, cfg->noutputs);
  memset(cfg, 0, sizeof *cfg);
}

/* Sizes: a number and an optional unit, spaces allowed around the unit, case
 * ignored. Every unit is 1024-based: K, KB, KiB = 2^10; M, MB, MiB = 2^20;
 * G, GB, GiB = 2^30; T, TB, TiB = 2^40 (GPUX users mean 2 GiB by "2GB").
 * No unit or B: bytes, and then no fraction. */
int64_t cfg_parse_size(const char *s) {
  static const char PREFIXES[] = "kmgt";
  int64_t ip = 0;
  double frac = 0, scale = 0.1;
  int has_frac = 0;
  char unit[4];
  size_t n = 0;
  if (!s) return -1;
  while (*s == ' ' || *s == '\t') s++;
  if (*s < '0' || *s > '9') return -1;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (ip > (INT64_MAX - 9) / 10) return -1;
    ip = ip * 10 + (*s - '0');
  }
  if (*s == '.') {
    if (*++s < '0' || *s > '9') return -1;
    for (has_frac = 1; *s >= '0' && *s <= '9'; s++, scale /= 10) frac += (*s - '0') * scale;
  }
  while (*s == ' ' || *s == '\t') s++;
  for (; *s && *s != ' ' && *s != '\t'; s++) {
    if (n == 3) return -1;
    unit[n++] = lower(*s);
  }
  unit[n] = 0;
  while (*s == ' ' || *s == '\t') s++;
  if (*s) return -1;
  const char *pre = unit[0] ? strchr(PREFIXES, unit[0]) : NULL, *rest = pre ? unit + 1 : unit;
  int sh = pre ? 10 * (int)(pre - PREFIXES + 1) : 0;
  if (strcmp(rest, "") && strcmp(rest, "b") && (!pre || strcmp(rest, "ib"))) return -1;
  if ((has_frac && sh == 0) || ip >= (INT64_MAX >> sh)) return -1;
  return ip * ((int64_t)1 << sh) + (int64_t)(frac * (double)((int64_t)1 << sh) + 0.5);
}
