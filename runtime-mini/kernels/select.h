/* select.h - kernels that pick elements along an axis (select.c): ArgMax,
 * ArgMin, TopK, Hardmax, CumSum and CumProd.
 *
 * The tensor is seen as [outer, len, inner] around the axis. `type` is the
 * element type as its ONNX TensorProto number: 1 float, 2 uint8, 3 int8,
 * 4 uint16, 5 int16, 6 int32, 7 int64, 11 double, 12 uint32, 13 uint64
 * (Hardmax: 1 and 11 only). NaN: see select.c. */
#ifndef RT_SELECT_H
#define RT_SELECT_H

#include "rt_kernels.h"

/* ArgMax (is_min = 0) / ArgMin (is_min = 1): y [outer, inner] holds the
 * index of the first extreme along the axis, the last one if last = 1. */
typedef struct RtArgSelect {
  int64_t outer, len, inner;
  int64_t type, is_min, last;
} RtArgSelect;

/* TopK: the k largest (largest = 1) or smallest elements of each slice,
 * best first; equal values keep index order. values and indices (either may
 * be NULL) are [outer, k, inner]. scratch: room for k int64, 8-byte aligned. */
typedef struct RtTopK {
  int64_t outer, len, inner, k;
  int64_t type, largest;
} RtTopK;

/* Hardmax: y is 1 at the first maximum of each slice, 0 elsewhere. */
typedef struct RtHardmax {
  int64_t outer, len, inner, type;
} RtHardmax;

/* CumSum (prod = 0) or CumProd (prod = 1) of x (rank, dims) along the
 * axis *axis (int32 if axis_i32, else int64; negative counts from the end;
 * out of range copies x). exclusive: each sum (product) leaves out its own
 * element, so the first is 0 (1); reverse: they run from the end.
 * Integers wrap. */
typedef struct RtCumSum {
  int64_t rank;
  int64_t dims[RT_MAX_RANK];
  int64_t type, exclusive, reverse, axis_i32, prod;
} RtCumSum;

#ifndef RT_UNITY
RT_API void rt_arg_select(const RtArgSelect *p, const void *x, int64_t *y);
RT_API void rt_topk(const RtTopK *p, const void *x, void *values, int64_t *indices, void *scratch);
RT_API void rt_hardmax(const RtHardmax *p, const void *x, void *y);
RT_API void rt_cumsum(const RtCumSum *p, const void *x, const void *axis, void *y);
#endif

#endif
