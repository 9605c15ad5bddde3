/* norm.c - LayerNormalization and BatchNormalization (inference in float32
 * and float64, training mode).
 *
 * LayerNorm takes two passes over each row in float (mean, then the mean of
 * squared deviations), with 16 partial sums: they vectorize and keep the
 * rounding error of long rows small. */
#include <math.h>

#include "rt_kernels.h"
#include "rt_scalar.h"

/* lane[q] += (x[q] - shift) or its square, over nb blocks of 16 floats:
 * four vector-long loops on a restrict accumulator, which GCC and clang
 * both keep in registers. */
static void norm_lanes(const float *restrict x, int64_t nb, float shift, int sq,
                       float *restrict lane) {
  int64_t b;
  int q;
  for (b = 0; b < nb; b++, x += 16) {
    if (sq) {
      for (q = 0; q < 4; q++) lane[q] += (x[q] - shift) * (x[q] - shift);
      for (q = 4; q < 8; q++) lane[q] += (x[q] - shift) * (x[q] - shift);
      for (q = 8; q < 12; q++) lane[q] += (x[q] - shift) * (x[q] - shift);
      for (q = 12; q < 16; q++) lane[q] += (x[q] - shift) * (x[q] - shift);
    } else {
      for (q = 0; q < 4; q++) lane[q] += x[q] - shift;
      for (q = 4; q < 8; q++) lane[q] += x[q] - shift;
      for (q = 8; q < 12; q++) lane[q] += x[q] - shift;
      for (q = 12; q < 16; q++) lane[q] += x[q] - shift;
    }
  }
}

/* sum over j < n of (x[j] - shift), squared if sq. */
static float norm_sum(const float *x, int64_t n, float shift, int sq) {
  float lane[16], r = 0.0f;
  int64_t j;
  int q;
  for (q = 0; q < 16; q++) lane[q] = 0.0f;
  norm_lanes(x, n / 16, shift, sq, lane);
  for (q = 0; q < 16; q++) r += lane[q];
  for (j = n / 16 * 16; j < n; j++) r += sq ? (x[j] - shift) * (x[j] - shift) : x[j] - shift;
  return r;
}

/* y[j] = (x[j] - shift) * a + b for j < n. y may be x: each block of 8 is
 * read whole before it is written, which also lets GCC vectorize the block
 * at -O2 without an aliasing check. */
static void norm_affine_blocks(const float *x, float *y, int64_t nb, float shift, float a,
                               float b) {
  int64_t i;
  int q;
  for (i = 0; i < nb; i++, x += 8, y += 8) {
    float t[8];
    for (q = 0; q < 8; q++) t[q] = (x[q] - shift) * a + b;
    for (q = 0; q < 8; q++) y[q] = t[q];
  }
}

static void norm_affine(const float *x, float *y, int64_t n, float shift, float a, float b) {
  int64_t j;
  norm_affine_blocks(x, y, n / 8, shift, a, b);
  for (j = n / 8 * 8; j < n; j++) y[j] = (x[j] - shift) * a + b;
}

/* y[j] = y[j] * scale[j] + bias[j] (either may be NULL); y is never a
 * weight, hence restrict. */
static void norm_scale_bias(float *restrict y, const float *restrict scale,
                            const float *restrict bias, int64_t n) {
  int64_t j, nv = n & ~(int64_t)7;
  if (scale) {
    for (j = 0; j < nv; j++) y[j] *= scale[j];
    for (; j < n; j++) y[j] *= scale[j];
  }
  if (bias) {
    for (j = 0; j < nv; j++) y[j] += bias[j];
    for (; j < n; j++) y[j] += bias[j];
  }
}

RT_API void rt_layernorm_f32(const RtLayerNorm *p, const float *x, const float *scale,
                             const float *bias, float *y, float *mean, float *inv_std) {
  int64_t r, len = p->len;
  for (r = 0; r < p->outer; r++) {
    const float *xr = x + r * len;
    float *yr = y + r * len;
    float mu = norm_sum(xr, len, 0.0f, 0) / (float)len;
    float var = norm_sum(xr, len, mu, 1) / (float)len;
    float inv = 1.0f / sqrtf(var + p->eps);
    norm_affine(xr, yr, len, mu, inv, 0.0f);
    norm_scale_bias(yr, scale, bias, len);
    if (mean) mean[r] = mu;
    if (inv_std) inv_std[r] = inv;
  }
}

RT_API void rt_batchnorm_f32(const RtBatchNorm *p, const float *x, const float *scale,
                             const float *bias, const float *mean, const float *var, float *y) {
  int64_t i, ch;
  for (i = 0; i < p->n; i++) {
    for (ch = 0; ch < p->c; ch++) {
      float a = scale[ch] / sqrtf(var[ch] + p->eps);
      int64_t off = (i * p->c + ch) * p->inner;
      norm_affine(x + off, y + off, p->inner, 0.0f, a, bias[ch] - mean[ch] * a);
    }
  }
}

RT_API void rt_batchnorm_f64(const RtBatchNorm *p, const double *x, const double *scale,
                             const double *bias, const double *mean, const double *var,
                             double *y) {
  int64_t i, ch, j;
  for (i = 0; i < p->n; i++) {
    for (ch = 0; ch < p->c; ch++) {
      double a = scale[ch] / sqrt(var[ch] + (double)p->eps), m = mean[ch], b = bias[ch];
      int64_t off = (i * p->c + ch) * p->inner;
      for (j = 0; j < p->inner; j++) y[off + j] = (x[off + j] - m) * a + b;
    }
  }
}

/* ---- training mode */

static double norm_load(const void *x, int f64, int64_t i) {
  return f64 ? ((const double *)x)[i] : (double)((const float *)x)[i];
}

static void norm_store(void *y, int f64, int64_t i, double v) {
  if (f64)
    ((double *)y)[i] = v;
  else
    ((float *)y)[i] = (float)v;
}

/* The mean and population variance of channel ch, in double (two passes). */
static void norm_channel_stats(const RtBatchNormTrain *p, const void *x, int64_t ch, double *mean,
                               double *var) {
  int64_t i, j, count = p->n * p->inner;
  int f64 = p->f64 != 0;
  double sum = 0.0, sq = 0.0, mu;
  for (i = 0; i < p->n; i++) {
    int64_t off = (i * p->c + ch) * p->inner;
    for (j = 0; j < p->inner; j++) sum += norm_load(x, f64, off + j);
  }
  mu = sum / (double)count;
  for (i = 0; i < p->n; i++) {
    int64_t off = (i * p->c + ch) * p->inner;
    for (j = 0; j < p->inner; j++) {
      double d = norm_load(x, f64, off + j) - mu;
      sq += d * d;
    }
  }
  *mean = mu;
  *var = sq / (double)count;
}

RT_API void rt_batchnorm_train(const RtBatchNormTrain *p, const void *x, const void *scale,
                               const void *bias, const void *mean, const void *var, void *y,
                               void *running_mean, void *running_var) {
  int64_t i, ch, j;
  int f64 = p->f64 != 0;
  double mom = (double)p->momentum;
  for (ch = 0; ch < p->c; ch++) {
    double mu, v, a, b;
    norm_channel_stats(p, x, ch, &mu, &v);
    a = norm_load(scale, f64, ch) / sqrt(v + (double)p->eps);
    b = norm_load(bias, f64, ch);
    for (i = 0; i < p->n; i++) {
      int64_t off = (i * p->c + ch) * p->inner;
      if (f64) {
        for (j = 0; j < p->inner; j++)
          norm_store(y, 1, off + j, (norm_load(x, 1, off + j) - mu) * a + b);
      } else {
        norm_affine((const float *)x + off, (float *)y + off, p->inner, (float)mu, (float)a,
                    (float)b);
      }
    }
    if (running_mean)
      norm_store(running_mean, f64, ch, norm_load(mean, f64, ch) * mom + mu * (1.0 - mom));
    if (running_var)
      norm_store(running_var, f64, ch, norm_load(var, f64, ch) * mom + v * (1.0 - mom));
  }
}
