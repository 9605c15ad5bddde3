/* text.c - see text.h. Counts go straight into y: a float holds every
 * count up to 2^24 exactly. */
#include "text.h"

static int64_t tf_item(const RtTfIdf *p, const void *x, int64_t i) {
  return p->x_i32 ? (int64_t)((const int32_t *)x)[i] : ((const int64_t *)x)[i];
}

/* The child of node with the given key, or -1 (binary search). */
static int64_t tf_child(const int64_t *trie, int64_t node, int64_t key) {
  const int64_t *nd = trie + node * RT_TFIDF_NODE;
  int64_t lo = nd[2], hi = nd[2] + nd[3];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2, k = trie[mid * RT_TFIDF_NODE];
    if (k == key) return mid;
    if (k < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* A hit of the n-gram ending at trie node nd. */
static void tf_hit(const RtTfIdf *p, const int64_t *nd, const float *weights, float *y) {
  float w = weights ? weights[nd[4]] : 1.0f;
  if (p->mode == RT_TFIDF_TF)
    y[nd[1]] += 1.0f;
  else if (p->mode == RT_TFIDF_TFIDF)
    y[nd[1]] += w;
  else
    y[nd[1]] = w;
}

/* The hits of one row (items x[base .. base + len)) into y[0..cols). */
static void tf_row(const RtTfIdf *p, const void *x, int64_t base, const int64_t *trie,
                   const float *weights, float *y) {
  /* a distance of len or more leaves only unigrams, counted at d = 1 */
  int64_t d, s, dmax = p->max_skip < p->len ? p->max_skip + 1 : p->len;
  for (d = 1; d <= dmax; d++) {
    int64_t start = d > 1 && p->min_gram < 2 ? 2 : p->min_gram;
    if (start > p->max_gram || start > p->len) break;
    for (s = 0; s + d * (start - 1) < p->len; s++) {
      int64_t node = 0, n, at = s;
      for (n = 1; n <= p->max_gram && at < p->len; n++, at += d) {
        node = tf_child(trie, node, tf_item(p, x, base + at));
        if (node < 0) break;
        if (n >= start && trie[node * RT_TFIDF_NODE + 1] >= 0)
          tf_hit(p, trie + node * RT_TFIDF_NODE, weights, y);
      }
    }
  }
}

RT_API void rt_tfidf(const RtTfIdf *p, const void *x, const int64_t *trie, const float *weights,
                     float *y) {
  int64_t r, j;
  for (r = 0; r < p->rows; r++) {
    float *yr = y + r * p->cols;
    for (j = 0; j < p->cols; j++) yr[j] = 0.0f;
    tf_row(p, x, r * p->len, trie, weights, yr);
  }
}

/* strcmp of a (width wa) and b (width wb), both padded with NULs. */
static int tf_str_cmp(const char *a, int64_t wa, const char *b, int64_t wb) {
  int64_t i, n = wa > wb ? wa : wb;
  for (i = 0; i < n; i++) {
    unsigned char ca = i < wa ? (unsigned char)a[i] : 0, cb = i < wb ? (unsigned char)b[i] : 0;
    if (ca != cb) return ca < cb ? -1 : 1;
    if (ca == 0) return 0;
  }
  return 0;
}

RT_API void rt_tfidf_str_ids(const RtTfIdfIds *p, const char *x, const char *pool, int64_t *ids) {
  int64_t i;
  for (i = 0; i < p->n; i++) {
    const char *s = x + i * p->w;
    int64_t lo = 0, hi = p->npool;
    ids[i] = -1;
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      int c = tf_str_cmp(s, p->w, pool + mid * p->pw, p->pw);
      if (c == 0) {
        ids[i] = mid;
        break;
      }
      if (c > 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  }
}
