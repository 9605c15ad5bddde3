/* layout.c - Tile, Trilu, EyeLike, OneHot, ReverseSequence and Compress on
 * elements of 1, 2, 4 or 8 bytes. Rows that stay contiguous move with one
 * memcpy each. */
#include <string.h>

#include "layout.h"

/* n copies of the elem-byte value v at dst: the first is copied in, then
 * the filled prefix doubles. */
static void layout_fill(unsigned char *dst, const void *v, int64_t n, int64_t elem) {
  int64_t total = n * elem, done;
  if (n <= 0) return;
  memcpy(dst, v, (size_t)elem);
  for (done = elem; done < total; done *= 2) {
    int64_t len = total - done < done ? total - done : done;
    memcpy(dst + done, dst, (size_t)len);
  }
}

RT_API void rt_tile(const RtTile *p, const void *x, void *y) {
  const unsigned char *src = (const unsigned char *)x;
  unsigned char *dst = (unsigned char *)y;
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t r = p->rank, d, t, j, rows = 1, reps;
  size_t row;
  if (r == 0) {
    memcpy(dst, src, (size_t)p->elem);
    return;
  }
  for (d = 0; d < r; d++)
    if (p->out[d] <= 0 || p->in[d] <= 0) return;
  for (d = 0; d < r - 1; d++) rows *= p->out[d];
  row = (size_t)(p->in[r - 1] * p->elem);
  reps = p->out[r - 1] / p->in[r - 1];
  for (t = 0; t < rows; t++) {
    int64_t off = 0;
    for (d = 0; d < r - 1; d++) off = off * p->in[d] + idx[d] % p->in[d];
    for (j = 0; j < reps; j++, dst += row) memcpy(dst, src + off * (int64_t)row, row);
    for (d = r - 2; d >= 0; d--) {
      if (++idx[d] < p->out[d]) break;
      idx[d] = 0;
    }
  }
}

RT_API void rt_trilu(const RtTrilu *p, const void *x, const int64_t *kp, void *y) {
  const unsigned char *src = (const unsigned char *)x;
  unsigned char *dst = (unsigned char *)y;
  int64_t k = kp ? *kp : p->k, b, i, e = p->elem;
  /* beyond these bounds every row is all kept or all zero */
  if (k > p->cols + 1) k = p->cols + 1;
  if (k < -p->rows - 1) k = -p->rows - 1;
  for (b = 0; b < p->batch; b++)
    for (i = 0; i < p->rows; i++) {
      int64_t at = ((b * p->rows) + i) * p->cols * e;
      /* the kept columns are [lo, hi) */
      int64_t lo = p->upper ? i + k : 0, hi = p->upper ? p->cols : i + k + 1;
      if (lo < 0) lo = 0;
      if (hi > p->cols) hi = p->cols;
      if (lo > hi) lo = hi = p->upper ? p->cols : 0;
      memset(dst + at, 0, (size_t)(lo * e));
      memcpy(dst + at + lo * e, src + at + lo * e, (size_t)((hi - lo) * e));
      memset(dst + at + hi * e, 0, (size_t)((p->cols - hi) * e));
    }
}

RT_API void rt_eye_like(const RtEyeLike *p, void *y) {
  unsigned char *dst = (unsigned char *)y;
  uint8_t o1 = (uint8_t)p->one;
  uint16_t o2 = (uint16_t)p->one;
  uint32_t o4 = (uint32_t)p->one;
  uint64_t o8 = (uint64_t)p->one;
  const void *one = p->elem == 1   ? (const void *)&o1
                    : p->elem == 2 ? (const void *)&o2
                    : p->elem == 4 ? (const void *)&o4
                                   : (const void *)&o8;
  int64_t i;
  memset(dst, 0, (size_t)(p->rows * p->cols * p->elem));
  for (i = 0; i < p->rows; i++) {
    int64_t j = i + p->k;
    if (j >= 0 && j < p->cols) memcpy(dst + (i * p->cols + j) * p->elem, one, (size_t)p->elem);
  }
}

/* Index i of idx as int64; values no int64 holds give INT64_MIN (never a
 * valid position). */
static int64_t layout_index(const void *idx, int64_t i, int64_t type) {
  double f;
  switch (type) {
    case 2: return ((const uint8_t *)idx)[i];
    case 3: return ((const int8_t *)idx)[i];
    case 4: return ((const uint16_t *)idx)[i];
    case 5: return ((const int16_t *)idx)[i];
    case 6: return ((const int32_t *)idx)[i];
    case 7: return ((const int64_t *)idx)[i];
    case 12: return ((const uint32_t *)idx)[i];
    case 13: {
      uint64_t u = ((const uint64_t *)idx)[i];
      return u > (uint64_t)INT64_MAX ? INT64_MIN : (int64_t)u;
    }
    case 1: f = ((const float *)idx)[i]; break;
    default: f = ((const double *)idx)[i]; break;
  }
  return f > -9.0e18 && f < 9.0e18 ? (int64_t)f : INT64_MIN;
}

RT_API void rt_one_hot(const RtOneHot *p, const void *idx, const void *values, void *y) {
  const unsigned char *val = (const unsigned char *)values;
  unsigned char *dst = (unsigned char *)y;
  int64_t o, i, e = p->elem;
  layout_fill(dst, val, p->outer * p->depth * p->inner, e);
  for (o = 0; o < p->outer; o++)
    for (i = 0; i < p->inner; i++) {
      int64_t v = layout_index(idx, o * p->inner + i, p->idx_type);
      if (v < 0) v += p->depth;
      if (v >= 0 && v < p->depth)
        memcpy(dst + ((o * p->depth + v) * p->inner + i) * e, val + e, (size_t)e);
    }
}

RT_API void rt_reverse_sequence(const RtReverseSeq *p, const void *x, const int64_t *lens,
                                void *y) {
  const unsigned char *src = (const unsigned char *)x;
  unsigned char *dst = (unsigned char *)y;
  int64_t batch = p->batch_first ? p->d0 : p->d1, time = p->batch_first ? p->d1 : p->d0;
  int64_t b, t, bytes = p->inner * p->elem;
  for (b = 0; b < batch; b++) {
    int64_t len = lens[b] < 0 ? 0 : lens[b] > time ? time : lens[b];
    for (t = 0; t < time; t++) {
      int64_t from = t < len ? len - 1 - t : t;
      int64_t at = p->batch_first ? b * time + t : t * batch + b;
      int64_t src_at = p->batch_first ? b * time + from : from * batch + b;
      memcpy(dst + at * bytes, src + src_at * bytes, (size_t)bytes);
    }
  }
}

RT_API void rt_compress(const RtCompress *p, const void *x, const void *cond, void *y) {
  const unsigned char *src = (const unsigned char *)x, *c = (const unsigned char *)cond;
  unsigned char *dst = (unsigned char *)y;
  int64_t o, a, bytes = p->inner * p->elem;
  for (o = 0; o < p->outer; o++)
    for (a = 0; a < p->axis_len && a < p->ncond; a++)
      if (c[a]) {
        memcpy(dst, src + (o * p->axis_len + a) * bytes, (size_t)bytes);
        dst += bytes;
      }
}
