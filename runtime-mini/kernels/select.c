/* select.c - ArgMax/ArgMin, TopK, Hardmax, CumSum and CumProd along one axis of
 * [outer, len, inner], for the float and integer types of select.h.
 *
 * Each kernel is written once as a macro over the element type and expanded
 * for every type; the entry points switch on the type number. With NaN
 * inputs the results are those of ONNX Runtime: ArgMax, ArgMin and Hardmax
 * compare in order with plain < and > (a NaN is taken only in first place,
 * and then kept); TopK ranks NaN above every number. */
#include <math.h>
#include <string.h>

#include "select.h"

/* (ONNX type number, C type, type integer sums wrap in, name, NaN test) */
#define SEL_NUM_TYPES(X)                    \
  X(1, float, float, f32, SEL_ISNAN)        \
  X(11, double, double, f64, SEL_ISNAN)     \
  X(2, uint8_t, uint32_t, u8, SEL_NONAN)    \
  X(3, int8_t, uint32_t, i8, SEL_NONAN)     \
  X(4, uint16_t, uint32_t, u16, SEL_NONAN)  \
  X(5, int16_t, uint32_t, i16, SEL_NONAN)   \
  X(6, int32_t, uint32_t, i32, SEL_NONAN)   \
  X(12, uint32_t, uint32_t, u32, SEL_NONAN) \
  X(7, int64_t, uint64_t, i64, SEL_NONAN)   \
  X(13, uint64_t, uint64_t, u64, SEL_NONAN)

#define SEL_FLOAT_TYPES(X)           \
  X(1, float, float, f32, SEL_ISNAN) \
  X(11, double, double, f64, SEL_ISNAN)

#define SEL_ISNAN(v) isnan(v)
#define SEL_NONAN(v) 0
/* a ranks strictly above b */
#define SEL_ABOVE(a, b, NAN_) ((a) > (b) || (NAN_(a) && !NAN_(b)))

/* ---- ArgMax / ArgMin: the best index so far is kept in y itself. */

#define SEL_ARG_FN(code, T, U, sfx, NAN_)                                                  \
  static void sel_arg_##sfx(const RtArgSelect *p, const T *x, int64_t *y) {                \
    int64_t o, j, i, n = p->inner;                                                         \
    for (o = 0; o < p->outer; o++) {                                                       \
      const T *xs = x + o * p->len * n;                                                    \
      int64_t *ys = y + o * n;                                                             \
      for (i = 0; i < n; i++) ys[i] = 0;                                                   \
      for (j = 1; j < p->len; j++)                                                         \
        for (i = 0; i < n; i++) {                                                          \
          T v = xs[j * n + i], b = xs[ys[i] * n + i];                                      \
          if (p->is_min ? (v < b || (p->last && v == b)) : (v > b || (p->last && v == b))) \
            ys[i] = j;                                                                     \
        }                                                                                  \
    }                                                                                      \
  }
SEL_NUM_TYPES(SEL_ARG_FN)

RT_API void rt_arg_select(const RtArgSelect *p, const void *x, int64_t *y) {
  switch (p->type) {
#define SEL_ARG_CASE(code, T, U, sfx, NAN_) \
  case code: sel_arg_##sfx(p, (const T *)x, y); break;
    SEL_NUM_TYPES(SEL_ARG_CASE)
    default: break;
  }
}

/* ---- TopK: a heap of the k best indices with the worst at the root,
 * then sorted best first in place (heapsort). */

#define SEL_TOPK_FN(code, T, U, sfx, NAN_)                                                     \
  /* index a of slice x goes before index b */                                                 \
  static int sel_ahead_##sfx(const T *x, int64_t n, int64_t a, int64_t b, int64_t big) {       \
    T u = x[a * n], v = x[b * n];                                                              \
    if (SEL_ABOVE(u, v, NAN_)) return big != 0;                                                \
    if (SEL_ABOVE(v, u, NAN_)) return big == 0;                                                \
    return a < b;                                                                              \
  }                                                                                            \
  static void sel_sift_##sfx(const T *x, int64_t n, int64_t *h, int64_t size, int64_t i,       \
                             int64_t big) {                                                    \
    for (;;) {                                                                                 \
      int64_t w = i, l = 2 * i + 1, r = l + 1, t;                                              \
      if (l < size && sel_ahead_##sfx(x, n, h[w], h[l], big)) w = l;                           \
      if (r < size && sel_ahead_##sfx(x, n, h[w], h[r], big)) w = r;                           \
      if (w == i) return;                                                                      \
      t = h[i], h[i] = h[w], h[w] = t;                                                         \
      i = w;                                                                                   \
    }                                                                                          \
  }                                                                                            \
  static void sel_topk_##sfx(const RtTopK *p, const T *x, T *vals, int64_t *idx, int64_t *h) { \
    int64_t o, i, j, n = p->inner, k = p->k, big = p->largest;                                 \
    for (o = 0; o < p->outer; o++)                                                             \
      for (i = 0; i < n; i++) {                                                                \
        const T *xs = x + o * p->len * n + i;                                                  \
        int64_t at = o * k * n + i;                                                            \
        for (j = 0; j < k; j++) h[j] = j;                                                      \
        for (j = k / 2 - 1; j >= 0; j--) sel_sift_##sfx(xs, n, h, k, j, big);                  \
        for (j = k; j < p->len; j++)                                                           \
          if (sel_ahead_##sfx(xs, n, j, h[0], big)) {                                          \
            h[0] = j;                                                                          \
            sel_sift_##sfx(xs, n, h, k, 0, big);                                               \
          }                                                                                    \
        for (j = k - 1; j > 0; j--) {                                                          \
          int64_t t = h[0];                                                                    \
          h[0] = h[j], h[j] = t;                                                               \
          sel_sift_##sfx(xs, n, h, j, 0, big);                                                 \
        }                                                                                      \
        for (j = 0; j < k; j++) {                                                              \
          if (vals) vals[at + j * n] = xs[h[j] * n];                                           \
          if (idx) idx[at + j * n] = h[j];                                                     \
        }                                                                                      \
      }                                                                                        \
  }
SEL_NUM_TYPES(SEL_TOPK_FN)

RT_API void rt_topk(const RtTopK *p, const void *x, void *values, int64_t *indices, void *scratch) {
  if (p->k <= 0) return;
  switch (p->type) {
#define SEL_TOPK_CASE(code, T, U, sfx, NAN_) \
  case code: sel_topk_##sfx(p, (const T *)x, (T *)values, indices, (int64_t *)scratch); break;
    SEL_NUM_TYPES(SEL_TOPK_CASE)
    default: break;
  }
}

/* ---- Hardmax */

#define SEL_HARDMAX_FN(code, T, U, sfx, NAN_)                                 \
  static void sel_hardmax_##sfx(const RtHardmax *p, const T *x, T *y) {       \
    int64_t o, i, j, n = p->inner;                                            \
    for (o = 0; o < p->outer; o++)                                            \
      for (i = 0; i < n; i++) {                                               \
        const T *xs = x + o * p->len * n + i;                                 \
        T *ys = y + o * p->len * n + i;                                       \
        int64_t best = 0;                                                     \
        for (j = 1; j < p->len; j++)                                          \
          if (xs[j * n] > xs[best * n]) best = j;                             \
        if (NAN_(xs[best * n])) best = -1; /* as ONNX Runtime: no 1 at all */ \
        for (j = 0; j < p->len; j++) ys[j * n] = (T)(j == best);              \
      }                                                                       \
  }
SEL_FLOAT_TYPES(SEL_HARDMAX_FN)

RT_API void rt_hardmax(const RtHardmax *p, const void *x, void *y) {
  switch (p->type) {
#define SEL_HARDMAX_CASE(code, T, U, sfx, NAN_) \
  case code: sel_hardmax_##sfx(p, (const T *)x, (T *)y); break;
    SEL_FLOAT_TYPES(SEL_HARDMAX_CASE)
    default: break;
  }
}

/* ---- CumSum and CumProd: each row along the axis adds the previous row
 * of y to a row of x, or multiplies them (the same row of x, or the previous
 * one when exclusive). Arithmetic is in the wrapping type U. */

#define SEL_CUMSUM_FN(code, T, U, sfx, NAN_)                                            \
  static void sel_cumsum_##sfx(const T *x, T *y, int64_t outer, int64_t len, int64_t n, \
                               int64_t excl, int64_t rev, int64_t prod) {               \
    int64_t o, t, i;                                                                    \
    for (o = 0; o < outer; o++)                                                         \
      for (t = 0; t < len; t++) {                                                       \
        int64_t j = rev ? len - 1 - t : t, jp = rev ? j + 1 : j - 1;                    \
        const T *xr = x + (o * len + (excl ? jp : j)) * n;                              \
        const T *yp = y + (o * len + jp) * n;                                           \
        T *yr = y + (o * len + j) * n;                                                  \
        if (t == 0) {                                                                   \
          for (i = 0; i < n; i++) yr[i] = excl ? (T)prod : x[(o * len + j) * n + i];    \
        } else if (prod) {                                                              \
          for (i = 0; i < n; i++) yr[i] = (T)((U)yp[i] * (U)xr[i]);                     \
        } else {                                                                        \
          for (i = 0; i < n; i++) yr[i] = (T)((U)yp[i] + (U)xr[i]);                     \
        }                                                                               \
      }                                                                                 \
  }
SEL_NUM_TYPES(SEL_CUMSUM_FN)

static int64_t sel_elem_size(int64_t type) {
  switch (type) {
    case 2:
    case 3: return 1;
    case 4:
    case 5: return 2;
    case 7:
    case 11:
    case 13: return 8;
    default: return 4;
  }
}

RT_API void rt_cumsum(const RtCumSum *p, const void *x, const void *axis, void *y) {
  int64_t a = p->axis_i32 ? (int64_t) * (const int32_t *)axis : *(const int64_t *)axis;
  int64_t d, outer = 1, len, inner = 1;
  if (a < 0) a += p->rank;
  if (a < 0 || a >= p->rank) {
    for (d = 0; d < p->rank; d++) inner *= p->dims[d];
    memcpy(y, x, (size_t)(inner * sel_elem_size(p->type)));
    return;
  }
  for (d = 0; d < a; d++) outer *= p->dims[d];
  for (d = a + 1; d < p->rank; d++) inner *= p->dims[d];
  len = p->dims[a];
  switch (p->type) {
#define SEL_CUMSUM_CASE(code, T, U, sfx, NAN_)                                                    \
  case code:                                                                                      \
    sel_cumsum_##sfx((const T *)x, (T *)y, outer, len, inner, p->exclusive, p->reverse, p->prod); \
    break;
    SEL_NUM_TYPES(SEL_CUMSUM_CASE)
    default: break;
  }
}
