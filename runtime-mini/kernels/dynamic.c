/* dynamic.c - see dynamic.h. */
#include <string.h>

#include "dynamic.h"

static int dyn_is_nonzero(const RtNonZero *p, const unsigned char *e) {
  if (p->is_f32) {
    float f;
    memcpy(&f, e, 4);
    return f != 0.0f;
  }
  if (p->is_f64) {
    double d;
    memcpy(&d, e, 8);
    return d != 0.0;
  }
  for (int64_t b = 0; b < p->esize; b++)
    if (e[b]) return 1;
  return 0;
}

RT_API void rt_nonzero(const RtNonZero *p, const void *x, int64_t *y, int64_t *shape) {
  const unsigned char *xs = (const unsigned char *)x;
  int64_t count = 0, i, d, k = 0;
  for (i = 0; i < p->n; i++) count += dyn_is_nonzero(p, xs + i * p->esize);
  for (i = 0; i < p->n; i++) {
    int64_t rest = i;
    if (!dyn_is_nonzero(p, xs + i * p->esize)) continue;
    for (d = p->rank - 1; d >= 0; d--) {
      y[d * count + k] = rest % p->dims[d];
      rest /= p->dims[d];
    }
    k++;
  }
  shape[0] = p->rank;
  shape[1] = count;
}
