/* misc.c - Range (float and int64) and Fill (any element size). */
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
