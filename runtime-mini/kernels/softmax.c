/* softmax.c - Softmax and LogSoftmax over the middle dim of
 * [outer, len, inner], numerically stable (the maximum is subtracted before
 * exp). With inner == 1 each row is contiguous; otherwise a block of
 * SOFTMAX_IB neighbouring columns is processed together so that every pass
 * reads memory contiguously. */
#include <math.h>

#include "rt_kernels.h"
#include "rt_scalar.h"

#define SOFTMAX_IB 64 /* columns per block when inner > 1 */

/* One contiguous row of len values. */
static void softmax_row(const float *x, float *y, int64_t len, int64_t log_mode) {
  float mx = -INFINITY, sum = 0.0f;
  int64_t l;
  for (l = 0; l < len; l++) mx = x[l] > mx ? x[l] : mx;
  if (log_mode) {
    for (l = 0; l < len; l++) sum += expf(x[l] - mx);
    sum = logf(sum);
    for (l = 0; l < len; l++) y[l] = x[l] - mx - sum;
  } else {
    for (l = 0; l < len; l++) {
      y[l] = expf(x[l] - mx);
      sum += y[l];
    }
    for (l = 0; l < len; l++) y[l] /= sum;
  }
}

/* nb columns (nb <= SOFTMAX_IB) of one [len, inner] slab, starting at x. */
static void softmax_cols(const float *x, float *y, int64_t len, int64_t inner, int64_t nb,
                         int64_t log_mode) {
  float mx[SOFTMAX_IB], sum[SOFTMAX_IB];
  int64_t l, j;
  for (j = 0; j < nb; j++) mx[j] = -INFINITY, sum[j] = 0.0f;
  for (l = 0; l < len; l++)
    for (j = 0; j < nb; j++) mx[j] = x[l * inner + j] > mx[j] ? x[l * inner + j] : mx[j];
  for (l = 0; l < len; l++) {
    for (j = 0; j < nb; j++) {
      float e = expf(x[l * inner + j] - mx[j]);
      sum[j] += e;
      if (!log_mode) y[l * inner + j] = e;
    }
  }
  for (j = 0; j < nb; j++) sum[j] = log_mode ? mx[j] + logf(sum[j]) : sum[j];
  for (l = 0; l < len; l++) {
    for (j = 0; j < nb; j++) {
      if (log_mode) {
        y[l * inner + j] = x[l * inner + j] - sum[j];
      } else {
        y[l * inner + j] /= sum[j];
      }
    }
  }
}

RT_API void rt_softmax_f32(const RtSoftmax *p, const float *x, float *y) {
  int64_t o, j, slab = p->len * p->inner;
  for (o = 0; o < p->outer; o++) {
    if (p->inner == 1) {
      softmax_row(x + o * slab, y + o * slab, p->len, p->log);
      continue;
    }
    for (j = 0; j < p->inner; j += SOFTMAX_IB) {
      int64_t nb = p->inner - j < SOFTMAX_IB ? p->inner - j : SOFTMAX_IB;
      softmax_cols(x + o * slab + j, y + o * slab + j, p->len, p->inner, nb, p->log);
    }
  }
}

/* float64: one strided column at a time (no blocking). */
RT_API void rt_softmax_f64(const RtSoftmax *p, const double *x, double *y) {
  int64_t o, i, l, in = p->inner;
  for (o = 0; o < p->outer; o++)
    for (i = 0; i < in; i++) {
      const double *xs = x + o * p->len * in + i;
      double *ys = y + o * p->len * in + i, mx = -INFINITY, sum = 0.0;
      for (l = 0; l < p->len; l++) mx = xs[l * in] > mx ? xs[l * in] : mx;
      for (l = 0; l < p->len; l++) sum += exp(xs[l * in] - mx);
      for (l = 0; l < p->len; l++)
        ys[l * in] = p->log ? xs[l * in] - mx - log(sum) : exp(xs[l * in] - mx) / sum;
    }
}
