/* norm.c - LayerNormalization and BatchNormalization (inference).
 *
 * LayerNorm takes two passes over each row in float (mean, then the mean of
 * squared deviations), with NORM_LANES partial sums: they vectorize and keep
 * the rounding error of long rows small. */
#include <math.h>

#include "rt_kernels.h"
#include "rt_scalar.h"

#define NORM_LANES 16

/* sum over j < n of (x[j] - shift)^sq, sq being 1 or 2. */
static float norm_sum(const float *restrict x, int64_t n, float shift, int sq) {
  float s[NORM_LANES], r = 0.0f;
  int64_t j = 0;
  int q;
  for (q = 0; q < NORM_LANES; q++) s[q] = 0.0f;
  if (sq) {
    for (; j + NORM_LANES <= n; j += NORM_LANES)
      for (q = 0; q < NORM_LANES; q++) s[q] += (x[j + q] - shift) * (x[j + q] - shift);
    for (; j < n; j++) r += (x[j] - shift) * (x[j] - shift);
  } else {
    for (; j + NORM_LANES <= n; j += NORM_LANES)
      for (q = 0; q < NORM_LANES; q++) s[q] += x[j + q] - shift;
    for (; j < n; j++) r += x[j] - shift;
  }
  for (q = 0; q < NORM_LANES; q++) r += s[q];
  return r;
}

RT_API void rt_layernorm_f32(const RtLayerNorm *p, const float *x, const float *scale,
                             const float *bias, float *y, float *mean, float *inv_std) {
  int64_t r, j, len = p->len;
  for (r = 0; r < p->outer; r++) {
    const float *xr = x + r * len;
    float *yr = y + r * len;
    float mu = norm_sum(xr, len, 0.0f, 0) / (float)len;
    float var = norm_sum(xr, len, mu, 1) / (float)len;
    float inv = 1.0f / sqrtf(var + p->eps);
    for (j = 0; j < len; j++) yr[j] = (xr[j] - mu) * inv;
    if (scale)
      for (j = 0; j < len; j++) yr[j] *= scale[j];
    if (bias)
      for (j = 0; j < len; j++) yr[j] += bias[j];
    if (mean) mean[r] = mu;
    if (inv_std) inv_std[r] = inv;
  }
}

RT_API void rt_batchnorm_f32(const RtBatchNorm *p, const float *x, const float *scale,
                             const float *bias, const float *mean, const float *var, float *y) {
  int64_t i, ch, j;
  for (i = 0; i < p->n; i++) {
    for (ch = 0; ch < p->c; ch++) {
      float a = scale[ch] / sqrtf(var[ch] + p->eps);
      float b = bias[ch] - mean[ch] * a;
      const float *xr = x + (i * p->c + ch) * p->inner;
      float *yr = y + (i * p->c + ch) * p->inner;
      for (j = 0; j < p->inner; j++) yr[j] = xr[j] * a + b;
    }
  }
}
