/* einsum.h - kernels of the linear algebra ops (einsum.c): Einsum, as sums
 * over strided views and batched matrix products, and Det.
 *
 * `type` is the element type as its ONNX TensorProto number: 1 float,
 * 2 uint8, 3 int8, 4 uint16, 5 int16, 6 int32, 7 int64, 11 double,
 * 12 uint32, 13 uint64 (Det: 1 and 11 only). Integer arithmetic wraps.
 * Operands may be parts of one buffer (the node's scratch): each pointer is
 * offset by its *_off elements first. */
#ifndef RT_EINSUM_H
#define RT_EINSUM_H

#include "rt_kernels.h"

/* y, contiguous [dims[0..rank)], from x read through strides, each element
 * summed over the red_dims (x's strides red_strides):
 *   y[i] = sum over r of x[sum_d i_d * strides[d] + sum_e r_e * red_strides[e]]
 * With red_rank 0 this copies (transposes, takes diagonals); an empty sum (a
 * red dim of 0) gives 0. Floats are summed in double. */
typedef struct RtEinsumSum {
  int64_t type;
  int64_t x_off, y_off;
  int64_t rank, red_rank;
  int64_t dims[RT_MAX_RANK], strides[RT_MAX_RANK];
  int64_t red_dims[RT_MAX_RANK], red_strides[RT_MAX_RANK];
} RtEinsumSum;

/* Batched matrix product: c, contiguous [batch, m, n], gets
 *   c[t, i, j] = sum over q < k of a[t * a_bs + i * a_ms + q * a_ks]
 *                                  * b[t * b_bs + q * b_ks + j * b_ns]
 * All of m, n, k >= 1. c must not overlap a or b. */
typedef struct RtEinsumGemm {
  int64_t type;
  int64_t batch, m, n, k;
  int64_t a_off, a_bs, a_ms, a_ks;
  int64_t b_off, b_bs, b_ks, b_ns;
  int64_t c_off;
} RtEinsumGemm;

/* Det: y[t] = the determinant of the matrix x[t] ([m, m], row-major), for
 * t < batch, by LU decomposition with partial pivoting in double (1 for
 * m = 0). scratch: m * m doubles, 8-byte aligned. */
typedef struct RtDet {
  int64_t type, batch, m;
} RtDet;

#ifndef RT_UNITY
RT_API void rt_einsum_sum(const RtEinsumSum *p, const void *x, void *y);
RT_API void rt_einsum_gemm(const RtEinsumGemm *p, const void *a, const void *b, void *c);
RT_API void rt_det(const RtDet *p, const void *x, void *y, void *scratch);
#endif

#endif
