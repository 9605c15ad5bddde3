/* rt_json.h - a small JSON reader (for tensor inputs) and writer (for outputs).
 *
 * The reader builds a tree in one document-owned arena. It accepts RFC 8259
 * JSON plus the bare tokens NaN, Infinity and -Infinity (as Python's json
 * module does), and nests at most RT_JSON_MAX_DEPTH levels. Errors name the
 * line and column (1-based, counted in bytes).
 *
 * The writer prints numbers so that they read back exactly: float32 values
 * with %.9g, float64 with %.17g, non-finite values as NaN/Infinity/-Infinity.
 */
#ifndef RT_JSON_H
#define RT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gpux_rt.h"

#define RT_JSON_MAX_DEPTH 128

typedef enum rt_json_type {
  RT_JSON_NULL,
  RT_JSON_BOOL,
  RT_JSON_NUMBER,
  RT_JSON_STRING,
  RT_JSON_ARRAY,
  RT_JSON_OBJECT
} rt_json_type;

typedef struct rt_json rt_json;
struct rt_json {
  rt_json_type type;
  int boolean;       /* RT_JSON_BOOL: 0 or 1 */
  double number;     /* RT_JSON_NUMBER */
  const char *text;  /* RT_JSON_STRING: the decoded string; RT_JSON_NUMBER: the token as
                        written (exact integers are read from it). NUL-terminated. */
  size_t len;        /* length of text */
  const char *key;   /* the member name when the parent is an object */
  size_t count;      /* RT_JSON_ARRAY / RT_JSON_OBJECT: number of children */
  rt_json *child;    /* first element or member */
  rt_json *next;     /* next sibling */
  size_t offset;     /* byte offset of the value in the parsed text */
};

typedef struct rt_json_block rt_json_block;
typedef struct rt_json_doc {
  rt_json *root;
  rt_json_block *blocks;  /* the arena; freed by rt_json_free */
} rt_json_doc;

/* Parses text[0..len). Returns 0, or -1 with a message such as
 * "expected ',' or ']' at line 1, column 17" (doc is then empty). */
int rt_json_parse(rt_json_doc *doc, const char *text, size_t len, char *err, size_t errlen);
void rt_json_free(rt_json_doc *doc);

/* The member named key of an object (the last one if repeated), or NULL. */
const rt_json *rt_json_get(const rt_json *obj, const char *key);

/* "null", "a boolean", "a number", "a string", "a list", "an object". */
const char *rt_json_type_name(rt_json_type t);

/* 1-based line and column of a byte offset in text. */
void rt_json_position(const char *text, size_t len, size_t offset, int *line, int *column);

/* Fills dst (numel elements of dt, shape[rank]) from v, which is a nested
 * list matching the shape exactly, a flat list of numel numbers, or a single
 * number when numel == 1. Booleans are true/false or 0/1. Integers must be
 * exact and in range; floats are rounded to the element type. On error,
 * *where is the offending value's offset in the text. */
int rt_json_to_tensor(const rt_json *v, gpux_dtype dt, int rank, const int64_t *shape,
                      size_t numel, void *dst, size_t *where, char *err, size_t errlen);

/* Writers. Each returns 0, or -1 if the stream reports an error. */
int rt_json_write_string(FILE *f, const char *s);
int rt_json_write_double(FILE *f, double v, int significant_digits);
/* A tensor as nested lists per shape (a bare number for rank 0). The
 * separator between innermost elements is ", "; nothing else is printed. */
int rt_json_write_tensor(FILE *f, gpux_dtype dt, int rank, const int64_t *shape,
                         const void *data);

#endif /* RT_JSON_H */
