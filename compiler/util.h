/* util.h - small things every module of gpuxc uses: a bump arena, a growable
 * string buffer, a string map, and file helpers. */
#ifndef GPUXC_UTIL_H
#define GPUXC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTF_LIKE(f, a)
#define NORETURN
#endif

/* A broken invariant inside gpuxc: prints file, line and message, aborts. */
NORETURN void internal_error(const char *file, int line, const char *fmt, ...) PRINTF_LIKE(3, 4);
#define BUG(...) internal_error(__FILE__, __LINE__, __VA_ARGS__)
#define ENSURE(c) ((c) ? (void)0 : BUG("assertion failed: %s", #c))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Grows *p (an array of *cap elements of size elem) to hold at least need. */
void grow_array(void **p, int *cap, int need, size_t elem);
#define GROW(p, cap, need) grow_array((void **)&(p), &(cap), (need), sizeof(*(p)))

/* Arena: many allocations, freed at once. */
typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
  ArenaBlock *head;
  size_t used_total;
} Arena;

void *arena_alloc(Arena *a, size_t n);          /* zeroed, 16-byte aligned */
void *arena_alloc_aligned(Arena *a, size_t n, size_t align);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) PRINTF_LIKE(2, 3);
void *arena_memdup(Arena *a, const void *p, size_t n);
void arena_free(Arena *a);

/* A growable, always NUL-terminated string. */
typedef struct StrBuf {
  char *s;
  size_t len, cap;
} StrBuf;

void sb_init(StrBuf *b);
void sb_free(StrBuf *b);
void sb_reset(StrBuf *b);
void sb_putc(StrBuf *b, char c);
void sb_puts(StrBuf *b, const char *s);
void sb_putn(StrBuf *b, const char *s, size_t n);
void sb_printf(StrBuf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void sb_vprintf(StrBuf *b, const char *fmt, va_list ap);
char *sb_take(StrBuf *b); /* hands the buffer to the caller */

/* String -> int map (open addressing). Keys are borrowed, not copied. */
typedef struct StrMap {
  const char **keys;
  int *vals;
  int cap, len;
} StrMap;

void smap_init(StrMap *m);
void smap_free(StrMap *m);
void smap_put(StrMap *m, const char *key, int val);
int smap_get(const StrMap *m, const char *key, int dflt);

/* Files. */
int read_file(const char *path, char **data, size_t *len); /* 0 ok, errno otherwise */
int write_file(const char *path, const void *data, size_t len);
int write_file_if_changed(const char *path, const void *data, size_t len);
int make_dirs(const char *path);
char *path_dirname(const char *path);          /* malloc'd; "." for a bare name */
const char *path_basename(const char *path);   /* points into path */
char *path_join(const char *dir, const char *rel); /* rel if rel is absolute */
int path_exists(const char *path);

/* "1x3x224x224" or "1,3,224,224" -> dims; returns rank or -1. */
int parse_dims(const char *s, int64_t *dims, int max);

/* Writes a float as an exact C99 hexfloat literal ("0x1.8p+1f"). */
void fmt_hexfloat(char *buf, size_t n, float v);

#endif
