#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

void internal_error(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "gpuxc: internal error at %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) BUG("out of memory (%zu bytes)", n);
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) BUG("out of memory (%zu x %zu bytes)", n, size);
  return p;
}

void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) BUG("out of memory (%zu bytes)", n);
  return p;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

void grow_array(void **p, int *cap, int need, size_t elem) {
  if (need <= *cap) return;
  int c = *cap ? *cap : 8;
  while (c < need) c *= 2;
  *p = xrealloc(*p, (size_t)c * elem);
  memset((char *)*p + (size_t)*cap * elem, 0, (size_t)(c - *cap) * elem);
  *cap = c;
}

/* ---- arena ---- */

struct ArenaBlock {
  ArenaBlock *next;
  size_t used, cap;
  _Alignas(64) unsigned char data[];
};

void *arena_alloc_aligned(Arena *a, size_t n, size_t align) {
  ArenaBlock *b = a->head;
  size_t off = b ? (b->used + align - 1) & ~(align - 1) : 0;
  if (!b || off + n > b->cap) {
    size_t cap = n + align > 1 << 16 ? n + align : 1 << 16;
    b = xmalloc(sizeof(ArenaBlock) + cap);
    b->used = 0;
    b->cap = cap;
    b->next = a->head;
    a->head = b;
    off = 0;
  }
  b->used = off + n;
  a->used_total += n;
  memset(b->data + off, 0, n);
  return b->data + off;
}

void *arena_alloc(Arena *a, size_t n) { return arena_alloc_aligned(a, n, 16); }

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *p = arena_alloc_aligned(a, n + 1, 1);
  if (n) memcpy(p, s, n); /* s may be NULL when n is 0 (an empty protobuf bytes) */
  p[n] = 0;
  return p;
}

char *arena_strdup(Arena *a, const char *s) { return s ? arena_strndup(a, s, strlen(s)) : NULL; }

char *arena_printf(Arena *a, const char *fmt, ...) {
  StrBuf b;
  va_list ap;
  sb_init(&b);
  va_start(ap, fmt);
  sb_vprintf(&b, fmt, ap);
  va_end(ap);
  char *s = arena_strndup(a, b.s, b.len);
  sb_free(&b);
  return s;
}

void *arena_memdup(Arena *a, const void *p, size_t n) {
  void *q = arena_alloc_aligned(a, n, 64);
  if (n) memcpy(q, p, n);
  return q;
}

void arena_free(Arena *a) {
  while (a->head) {
    ArenaBlock *next = a->head->next;
    free(a->head);
    a->head = next;
  }
  a->used_total = 0;
}

/* ---- string buffer ---- */

void sb_init(StrBuf *b) {
  b->cap = 64;
  b->len = 0;
  b->s = xmalloc(b->cap);
  b->s[0] = 0;
}

void sb_free(StrBuf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

void sb_reset(StrBuf *b) {
  b->len = 0;
  b->s[0] = 0;
}

static void sb_reserve(StrBuf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  while (b->len + extra + 1 > b->cap) b->cap *= 2;
  b->s = xrealloc(b->s, b->cap);
}

void sb_putn(StrBuf *b, const char *s, size_t n) {
  sb_reserve(b, n);
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

void sb_putc(StrBuf *b, char c) { sb_putn(b, &c, 1); }
void sb_puts(StrBuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

void sb_vprintf(StrBuf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  size_t room = b->cap - b->len;
  int n = vsnprintf(b->s + b->len, room, fmt, ap2);
  va_end(ap2);
  if (n < 0) BUG("bad format '%s'", fmt);
  if ((size_t)n >= room) {
    sb_reserve(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  }
  b->len += (size_t)n;
}

void sb_printf(StrBuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(b, fmt, ap);
  va_end(ap);
}

char *sb_take(StrBuf *b) {
  char *s = b->s;
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

/* ---- string map ---- */

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

void smap_init(StrMap *m) { memset(m, 0, sizeof *m); }

void smap_free(StrMap *m) {
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}

static void smap_rehash(StrMap *m) {
  StrMap n;
  n.cap = m->cap ? m->cap * 2 : 64;
  n.len = 0;
  n.keys = xcalloc((size_t)n.cap, sizeof(char *));
  n.vals = xcalloc((size_t)n.cap, sizeof(int));
  for (int i = 0; i < m->cap; i++)
    if (m->keys[i]) smap_put(&n, m->keys[i], m->vals[i]);
  smap_free(m);
  *m = n;
}

void smap_put(StrMap *m, const char *key, int val) {
  if ((m->len + 1) * 2 > m->cap) smap_rehash(m);
  uint32_t i = hash_str(key) & (uint32_t)(m->cap - 1);
  while (m->keys[i] && strcmp(m->keys[i], key) != 0) i = (i + 1) & (uint32_t)(m->cap - 1);
  if (!m->keys[i]) m->len++;
  m->keys[i] = key;
  m->vals[i] = val;
}

int smap_get(const StrMap *m, const char *key, int dflt) {
  if (!m->cap) return dflt;
  uint32_t i = hash_str(key) & (uint32_t)(m->cap - 1);
  while (m->keys[i]) {
    if (strcmp(m->keys[i], key) == 0) return m->vals[i];
    i = (i + 1) & (uint32_t)(m->cap - 1);
  }
  return dflt;
}

/* ---- files ---- */

int read_file(const char *path, char **data, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return errno ? errno : EIO;
  StrBuf b;
  sb_init(&b);
  char tmp[1 << 16];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) sb_putn(&b, tmp, n);
  int err = ferror(f) ? EIO : 0;
  fclose(f);
  if (err) {
    sb_free(&b);
    return err;
  }
  *len = b.len;
  *data = sb_take(&b);
  return 0;
}

int write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return errno ? errno : EIO;
  size_t n = len ? fwrite(data, 1, len, f) : 0;
  int err = (n != len) ? EIO : 0;
  if (fclose(f) != 0 && !err) err = errno ? errno : EIO;
  return err;
}

int write_file_if_changed(const char *path, const void *data, size_t len) {
  char *old;
  size_t oldlen;
  if (read_file(path, &old, &oldlen) == 0) {
    int same = oldlen == len && memcmp(old, data, len) == 0;
    free(old);
    if (same) return 0;
  }
  return write_file(path, data, len);
}

int make_dirs(const char *path) {
  char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
      int e = errno;
      free(p);
      return e;
    }
    *s = '/';
  }
  int err = 0;
  if (mkdir(p, 0777) != 0 && errno != EEXIST) err = errno;
  free(p);
  return err;
}

char *path_dirname(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return xstrdup(".");
  if (slash == path) return xstrdup("/");
  size_t n = (size_t)(slash - path);
  char *d = xmalloc(n + 1);
  memcpy(d, path, n);
  d[n] = 0;
  return d;
}

const char *path_basename(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

char *path_join(const char *dir, const char *rel) {
  if (rel[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0) return xstrdup(rel);
  StrBuf b;
  sb_init(&b);
  sb_puts(&b, dir);
  if (b.s[b.len - 1] != '/') sb_putc(&b, '/');
  sb_puts(&b, rel);
  return sb_take(&b);
}

int path_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

int parse_dims(const char *s, int64_t *dims, int max) {
  int rank = 0;
  if (!s || !*s) return -1;
  while (*s) {
    char *end;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || rank >= max) return -1;
    dims[rank++] = v;
    s = end;
    if (*s == 'x' || *s == 'X' || *s == ',') {
      s++;
      if (!*s) return -1;
    } else if (*s) {
      return -1;
    }
  }
  return rank;
}

void fmt_hexfloat(char *buf, size_t n, float v) {
  if (isnan(v))
    snprintf(buf, n, "NAN");
  else if (isinf(v))
    snprintf(buf, n, v > 0 ? "INFINITY" : "-INFINITY");
  else
    snprintf(buf, n, "%af", (double)v);
}
