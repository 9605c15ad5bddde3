/* misc.c - Range (float and int64), Fill (any element size) and Dropout in
 * training mode. */
#include <string.h>

#include "rt_kernels.h"
#include "rt_scalar.h"

RT_API void rt_range_f32(const RtRange *p, const float *start, const float *delta, float *y) {
  float s = *start, d = *delta;
  int64_t i;
  for (i = 0; i < p->n; i++) y[i] = s + (float)i * d;
}

RT_API void rt_range_i64(const RtRange *p, const int64_t *start, const int64_t *delta, int64_t *y) {
  int64_t s = *start, d = *delta, i;
  for (i = 0; i < p->n; i++) y[i] = rt_add_i64(s, rt_mul_i64(i, d));
}

/* The first element is copied in, then the filled prefix doubles. */
RT_API void rt_fill(const RtFill *p, const void *value, void *y) {
  unsigned char *dst = (unsigned char *)y;
  int64_t total = p->n * p->elem, done;
  if (p->n <= 0) return;
  memcpy(dst, value, (size_t)p->elem);
  for (done = p->elem; done < total; done *= 2) {
    int64_t len = total - done < done ? total - done : done;
    memcpy(dst + done, dst, (size_t)len);
  }
}

/* ---- Dropout in training mode */

/* splitmix64's output function: a bijective 64-bit mix. */
static uint64_t misc_splitmix(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

RT_API void rt_dropout(const RtDropout *p, const void *x, const void *ratio_in,
                       const void *training, void *y, void *mask) {
  const uint64_t gamma = UINT64_C(0x9E3779B97F4A7C15);
  uint64_t key = misc_splitmix((uint64_t)p->seed + gamma);
  double ratio = p->ratio, scale;
  size_t esize = p->f64 ? sizeof(double) : sizeof(float);
  uint8_t *m = (uint8_t *)mask;
  int64_t i;
  if (ratio_in) ratio = p->ratio_f64 ? *(const double *)ratio_in : *(const float *)ratio_in;
  if (!*(const uint8_t *)training || !(ratio > 0)) {
    if (y != x) memcpy(y, x, (size_t)p->n * esize);
    if (m) memset(m, 1, (size_t)p->n);
    return;
  }
  if (ratio >= 1) {
    memset(y, 0, (size_t)p->n * esize);
    if (m) memset(m, 0, (size_t)p->n);
    return;
  }
  scale = 1.0 / (1.0 - ratio);
  for (i = 0; i < p->n; i++) {
    /* u in [0, 1) from the top 53 bits of the mix of counter i */
    uint64_t bits = misc_splitmix(key + (uint64_t)(i + 1) * gamma);
    int keep = (double)(bits >> 11) * 0x1p-53 >= ratio;
    if (p->f64)
      ((double *)y)[i] = keep ? ((const double *)x)[i] * scale : 0.0;
    else
      ((float *)y)[i] = keep ? ((const float *)x)[i] * (float)scale : 0.0f;
    if (m) m[i] = (uint8_t)keep;
  }
}
