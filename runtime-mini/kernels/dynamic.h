/* dynamic.h - kernels of the ops whose output shape depends on the data
 * (dynamic.c). Each writes its outputs compactly in their actual shape at
 * the start of buffers sized for the upper bound, and the actual dims to an
 * int64 array per output. */
#ifndef RT_DYNAMIC_H
#define RT_DYNAMIC_H

#include "rt_kernels.h"

/* NonZero: x of n elements, rank dims (row-major), esize bytes each; an
 * element counts when any of its bytes is not zero, or for floats (is_f32,
 * is_f64) when it is not 0.0 (so -0.0 does not count, NaN does).
 * y: int64 [rank, count], the indices of the counted elements in row-major
 * order; shape = {rank, count}. */
typedef struct RtNonZero {
  int64_t n, rank;
  int64_t dims[8];
  int64_t esize, is_f32, is_f64;
} RtNonZero;

#ifndef RT_UNITY
RT_API void rt_nonzero(const RtNonZero *p, const void *x, int64_t *y, int64_t *shape);
#endif

#endif
