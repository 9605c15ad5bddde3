/* einsum.c - the kernels of Einsum and Det (einsum.h).
 *
 * gpuxc plans an Einsum at compile time as a chain of two kernels: a strided
 * sum (transposes, diagonals and reductions of one operand) and a batched
 * matrix product of two operands seen through one stride per group of
 * labels (batch, rows, sum, columns). float32 products run on the sgemm core
 * (rt_sgemm.h, any strides); the other types on a plain loop whose innermost
 * loop runs along contiguous columns when it can. Each kernel is written once
 * as a macro over the element type and expanded for every type. */
#include <math.h>

#include "einsum.h"
#include "rt_sgemm.h"

/* (ONNX type number, C type, type the arithmetic is done in, name) */
#define EIN_OTHER_TYPES(X)       \
  X(11, double, double, f64)     \
  X(2, uint8_t, uint32_t, u8)    \
  X(3, int8_t, uint32_t, i8)     \
  X(4, uint16_t, uint32_t, u16)  \
  X(5, int16_t, uint32_t, i16)   \
  X(6, int32_t, uint32_t, i32)   \
  X(12, uint32_t, uint32_t, u32) \
  X(7, int64_t, uint64_t, i64)   \
  X(13, uint64_t, uint64_t, u64)
#define EIN_TYPES(X)       \
  X(1, float, double, f32) \
  EIN_OTHER_TYPES(X)

/* Steps the index idx over dims[0..rank) (the last fastest) and returns how
 * much the offset with the given strides changes. */
static int64_t ein_next(int64_t *idx, const int64_t *dims, const int64_t *strides, int64_t rank) {
  int64_t d, delta = 0;
  for (d = rank - 1; d >= 0; d--) {
    if (++idx[d] < dims[d]) return delta + strides[d];
    delta -= (dims[d] - 1) * strides[d];
    idx[d] = 0;
  }
  return delta;
}

/* ---- the strided sum: a copy along the last output dim when nothing is
 * summed, else a sum whose innermost loop is the last red dim. */

#define EIN_SUM_FN(code, T, ACC, sfx)                                                           \
  static void ein_copy_##sfx(const RtEinsumSum *p, const T *x, T *y, int64_t total) {           \
    int64_t idx[RT_MAX_RANK] = {0}, o, t, xo = 0;                                               \
    int64_t n = p->rank ? p->dims[p->rank - 1] : 1, st = p->rank ? p->strides[p->rank - 1] : 0; \
    for (o = 0; o < total; o += n) {                                                            \
      for (t = 0; t < n; t++) y[o + t] = x[xo + t * st];                                        \
      xo += ein_next(idx, p->dims, p->strides, p->rank - 1);                                    \
    }                                                                                           \
  }                                                                                             \
  static void ein_sum_##sfx(const RtEinsumSum *p, const T *x, T *y) {                           \
    int64_t idx[RT_MAX_RANK] = {0}, ridx[RT_MAX_RANK], i, r, t, total = 1, outer = 1, xo = 0;   \
    int64_t last = p->red_rank - 1, rn, rs;                                                     \
    for (i = 0; i < p->rank; i++) total *= p->dims[i];                                          \
    if (total == 0) return;                                                                     \
    if (last < 0) {                                                                             \
      ein_copy_##sfx(p, x, y, total);                                                           \
      return;                                                                                   \
    }                                                                                           \
    rn = p->red_dims[last], rs = p->red_strides[last];                                          \
    for (i = 0; i < last; i++) outer *= p->red_dims[i];                                         \
    for (i = 0; i < total; i++) {                                                               \
      ACC s = 0;                                                                                \
      int64_t ro = 0;                                                                           \
      for (r = 0; r < last; r++) ridx[r] = 0;                                                   \
      for (r = 0; r < outer; r++) {                                                             \
        const T *xs = x + xo + ro;                                                              \
        for (t = 0; t < rn; t++) s += (ACC)xs[t * rs];                                          \
        ro += ein_next(ridx, p->red_dims, p->red_strides, last);                                \
      }                                                                                         \
      y[i] = (T)s;                                                                              \
      xo += ein_next(idx, p->dims, p->strides, p->rank);                                        \
    }                                                                                           \
  }
EIN_TYPES(EIN_SUM_FN)

RT_API void rt_einsum_sum(const RtEinsumSum *p, const void *x, void *y) {
  switch (p->type) {
#define EIN_SUM_CASE(code, T, ACC, sfx) \
  case code: ein_sum_##sfx(p, (const T *)x + p->x_off, (T *)y + p->y_off); break;
    EIN_TYPES(EIN_SUM_CASE)
    default: break;
  }
}

/* ---- the batched product. Rows of c accumulate a[i, q] * b[q, :] when
 * b's columns are contiguous, else each element is a dot product. */

#define EIN_GEMM_FN(code, T, ACC, sfx)                                              \
  static void ein_gemm_##sfx(const RtEinsumGemm *p, const T *a, const T *b, T *c) { \
    int64_t t, i, j, q, m = p->m, n = p->n;                                         \
    for (t = 0; t < p->batch; t++)                                                  \
      for (i = 0; i < m; i++) {                                                     \
        const T *ar = a + t * p->a_bs + i * p->a_ms, *bt = b + t * p->b_bs;         \
        T *cr = c + (t * m + i) * n;                                                \
        if (p->b_ns == 1) {                                                         \
          for (j = 0; j < n; j++) cr[j] = 0;                                        \
          for (q = 0; q < p->k; q++) {                                              \
            ACC av = (ACC)ar[q * p->a_ks];                                          \
            const T *br = bt + q * p->b_ks;                                         \
            for (j = 0; j < n; j++) cr[j] = (T)((ACC)cr[j] + av * (ACC)br[j]);      \
          }                                                                         \
          continue;                                                                 \
        }                                                                           \
        for (j = 0; j < n; j++) {                                                   \
          ACC s = 0;                                                                \
          for (q = 0; q < p->k; q++)                                                \
            s += (ACC)ar[q * p->a_ks] * (ACC)bt[q * p->b_ks + j * p->b_ns];         \
          cr[j] = (T)s;                                                             \
        }                                                                           \
      }                                                                             \
  }
EIN_OTHER_TYPES(EIN_GEMM_FN)

static void ein_gemm_f32(const RtEinsumGemm *p, const float *a, const float *b, float *c) {
  int64_t t;
  for (t = 0; t < p->batch; t++) {
    SgemmArgs g = sgemm_args(p->m, p->n, p->k, a + t * p->a_bs, p->a_ms, p->a_ks, b + t * p->b_bs,
                             p->b_ks, p->b_ns, c + t * p->m * p->n);
    sgemm(&g);
  }
}

RT_API void rt_einsum_gemm(const RtEinsumGemm *p, const void *a, const void *b, void *c) {
  switch (p->type) {
#define EIN_GEMM_CASE(code, T, ACC, sfx)                                                    \
  case code:                                                                                \
    ein_gemm_##sfx(p, (const T *)a + p->a_off, (const T *)b + p->b_off, (T *)c + p->c_off); \
    break;
    EIN_TYPES(EIN_GEMM_CASE)
    default: break;
  }
}

/* ---- Det: Gaussian elimination on a copy in double; each row swap flips
 * the sign. A NaN is taken as pivot, so it reaches the result. */

static double det_lu(double *a, int64_t m) {
  double det = 1.0;
  int64_t col, r, q;
  for (col = 0; col < m; col++) {
    int64_t piv = col;
    double best = fabs(a[col * m + col]);
    for (r = col + 1; r < m; r++)
      if (!(fabs(a[r * m + col]) <= best)) best = fabs(a[r * m + col]), piv = r;
    if (best == 0.0) return 0.0;
    if (piv != col) {
      for (q = col; q < m; q++) {
        double v = a[col * m + q];
        a[col * m + q] = a[piv * m + q];
        a[piv * m + q] = v;
      }
      det = -det;
    }
    det *= a[col * m + col];
    for (r = col + 1; r < m; r++) {
      double f = a[r * m + col] / a[col * m + col];
      if (f == 0.0) continue;
      for (q = col + 1; q < m; q++) a[r * m + q] -= f * a[col * m + q];
    }
  }
  return det;
}

RT_API void rt_det(const RtDet *p, const void *x, void *y, void *scratch) {
  double *a = (double *)scratch;
  int64_t t, i, mm = p->m * p->m;
  for (t = 0; t < p->batch; t++) {
    double d;
    for (i = 0; i < mm; i++)
      a[i] =
          p->type == 11 ? ((const double *)x)[t * mm + i] : (double)((const float *)x)[t * mm + i];
    d = det_lu(a, p->m);
    if (p->type == 11)
      ((double *)y)[t] = d;
    else
      ((float *)y)[t] = (float)d;
  }
}
