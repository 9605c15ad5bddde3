/* text.h - kernels of TfIdfVectorizer (text.c).
 *
 * gpuxc turns the op's n-gram pool into a trie at compile time (a constant
 * int64 table, laid out below), so the kernel only walks it. String inputs
 * first become int64 ids (rt_tfidf_str_ids): the pool's distinct strings,
 * sorted, are numbered 0, 1, ...; a string not in the pool gets -1, which no
 * trie key equals.
 */
#ifndef RT_TEXT_H
#define RT_TEXT_H

#include "rt_kernels.h"

/* RtTfIdf.mode */
enum { RT_TFIDF_TF = 1, RT_TFIDF_IDF = 2, RT_TFIDF_TFIDF = 3 };

/* The trie: RT_TFIDF_NODE int64 per node, node 0 the root. Node k holds
 * [k * 5 + 0] key (an item of the pool; unused for the root),
 * [k * 5 + 1] col: the output column of the n-gram that ends here, or -1,
 * [k * 5 + 2] the index of its first child, [k * 5 + 3] its child count,
 * [k * 5 + 4] the n-gram's number in the pool (its weight's index).
 * A node's children are consecutive nodes sorted by key. */
#define RT_TFIDF_NODE 5

/* TfIdfVectorizer over x [rows, len] (int64, or int32 if x_i32); y: [rows,
 * cols] float32, zero but for the hits. For skip distance d = 1 ..
 * max_skip + 1 and each start s, the items x[s], x[s + d], x[s + 2d], ...
 * (within the row) are looked up one more at a time, at most max_gram of
 * them; each n-gram of n >= the start size found in the trie is a hit at
 * its column. The start size is min_gram, and at least 2 for d > 1
 * (unigrams count once). A hit of n-gram i does, by mode, TF: y[col] += 1;
 * TFIDF: y[col] += w; IDF: y[col] = w, where w = weights[i], or 1 if
 * weights is NULL (so the weights are per n-gram, as ONNX Runtime reads
 * them). */
typedef struct RtTfIdf {
  int64_t rows, len, cols;
  int64_t min_gram, max_gram, max_skip;
  int64_t mode, x_i32;
} RtTfIdf;

/* Strings to pool ids: x holds n strings of width w (UTF-8 padded with
 * NULs), pool npool distinct strings of width pw sorted bytewise (as
 * strcmp orders them). ids[i] = the index of x[i] in pool, or -1. */
typedef struct RtTfIdfIds {
  int64_t n, w, npool, pw;
} RtTfIdfIds;

#ifndef RT_UNITY
RT_API void rt_tfidf(const RtTfIdf *p, const void *x, const int64_t *trie, const float *weights,
                     float *y);
RT_API void rt_tfidf_str_ids(const RtTfIdfIds *p, const char *x, const char *pool, int64_t *ids);
#endif

#endif
