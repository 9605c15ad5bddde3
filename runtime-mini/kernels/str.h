/* str.h - kernels of the string ops (str.c). A string tensor holds
 * each element as a fixed number of bytes (its width) of UTF-8, padded with
 * NULs; constant strings (patterns, delimiters, stopwords, keys) come as
 * such tensors too. Broadcasting operands are read through strides (0 on a
 * broadcast dimension) over the output's dims. */
#ifndef RT_STR_H
#define RT_STR_H

#include "rt_kernels.h"

#define RT_STR_MAX_RANK 8

/* StringConcat: y = a + b elementwise; y's width is wa + wb. */
typedef struct RtStrConcat {
  int64_t rank, n;
  int64_t dims[RT_STR_MAX_RANK];
  int64_t sa[RT_STR_MAX_RANK], sb[RT_STR_MAX_RANK];
  int64_t wa, wb, wy;
} RtStrConcat;

/* Equal of strings: y (bool) = a == b, broadcasting as above. */
typedef struct RtStrEqual {
  int64_t rank, n;
  int64_t dims[RT_STR_MAX_RANK];
  int64_t sa[RT_STR_MAX_RANK], sb[RT_STR_MAX_RANK];
  int64_t wa, wb;
} RtStrEqual;

/* StringSplit of n strings of width w by delimiter (dlen bytes; 0: runs of
 * whitespace, leading and trailing ones ignored), at most maxsplit splits
 * (-1: no limit). y: [n, k] strings of width w where k is the most pieces
 * of any string (shorter rows padded with ""; k is written to
 * y_shape[rank_x]), z: [n] int64 piece counts. y_shape[0..rank_x) = x's dims. */
typedef struct RtStrSplit {
  int64_t n, w, dlen, maxsplit, rank_x;
  int64_t dims[RT_STR_MAX_RANK];
} RtStrSplit;

/* StringNormalizer over x [rows = 1, n] (width w): drops the strings equal
 * to one of the nstop stopwords (width sw; compared ignoring ASCII case
 * unless case_sensitive), then changes ASCII case (case_change 0 none, 1
 * lower, 2 upper). y: [n'] or [1, n'] (two_d); nothing left gives one ""
 * string. shape gets y's dims. */
typedef struct RtStrNormalize {
  int64_t n, w, nstop, sw, case_sensitive, case_change, two_d;
} RtStrNormalize;

/* RegexFullMatch: y (bool) = whether all of x's string matches the pattern
 * (plen bytes of RE2 syntax; see rt_regex_compile). scratch: rt_regex_scratch
 * bytes. */
typedef struct RtRegexMatch {
  int64_t n, w, plen, prog_len;
} RtRegexMatch;

/* LabelEncoder: y[i] = values[k] where keys[k] equals x[i] (the first such
 * k), else the default (dflt, one element of y's type). Types: 1 float32,
 * 7 int64, 6 int32, 5 int16, 8 string (with widths kw, vw, yw); x has the keys' type.
 * float keys match NaN to NaN. */
typedef struct RtLabelEncode {
  int64_t n, nkeys;
  int64_t key_type, value_type;
  int64_t kw, vw;
} RtLabelEncode;

/* The compiled size of a pattern (instructions), or -1 with a message in
 * err when it is not a valid pattern of the supported syntax: literals and
 * escapes, '.', classes [...] (ranges, negation, \d\w\s and their negations),
 * groups (...) and (?:...), '|', the quantifiers * + ? {m} {m,} {m,n} (and
 * their lazy forms), anchors ^ $ \b \B. */
#ifndef RT_UNITY
RT_API int64_t rt_regex_compile(const char *pat, int64_t plen, char *err, int64_t errlen);
RT_API int64_t rt_regex_scratch(int64_t prog_len, int64_t w);
RT_API void rt_str_concat(const RtStrConcat *p, const char *a, const char *b, char *y);
RT_API void rt_str_equal(const RtStrEqual *p, const char *a, const char *b, uint8_t *y);
RT_API void rt_str_split(const RtStrSplit *p, const char *x, const void *delim, char *y,
                         int64_t *z, int64_t *y_shape);
RT_API void rt_str_normalize(const RtStrNormalize *p, const char *x, const char *stop, char *y,
                             int64_t *shape);
RT_API void rt_regex_full_match(const RtRegexMatch *p, const char *x, const void *pat,
                                uint8_t *y, void *scratch);
RT_API void rt_label_encode(const RtLabelEncode *p, const void *x, const void *keys,
                            const void *values, const void *dflt, void *y);
#endif

#endif
