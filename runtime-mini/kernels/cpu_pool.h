/* cpu_pool.h - pooling for the cpu target (cpu_pool.c): NCHW float32,
 * vectorized along the output rows and spread over the thread pool. tp is
 * the pool, or NULL to run in the caller; nothing is allocated.
 *
 * MaxPool and AveragePool, 2-D: RtPool (rt_kernels.h) with the (d, h, w)
 * layout of rt_maxpool_f32 / rt_avgpool_f32 and the same results (no
 * Indices): the d entries must be 1 (in, out, k) and 0 (pads), which
 * rt_cpu_pool_ok checks; a 1-D pool is the 2-D one with in[1] = out[1] =
 * k[1] = 1. Window o starts at o * stride - pad_begin; max ignores taps
 * outside the input (a window without any gives -FLT_MAX) and propagates
 * NaN; average divides the sum of the taps inside the input by their count
 * (count_include_pad = 0) or by the count of taps inside
 * [-pad_begin, in + pad_end) (count_include_pad = 1). Both are bit for bit
 * those of the portable kernels. Fast routes: 2x2 and 3x3 windows with
 * stride 1 or 2.
 *   x [n, c, in[1], in[2]], y [n, c, out[1], out[2]]
 *
 * Global pools over [n, c, spatial] (spatial: the product of the spatial
 * dims), y [n, c]: RtCpuGlobalPool.
 *   rt_cpu_global_maxpool_f32: y = max over the plane (NaN if one is; act
 *     must be 0).
 *   rt_cpu_global_avgpool_f32: y = mean over the plane of
 *     act(x + b + res), b [c] or NULL, res [n, c, spatial] or NULL: a plain
 *     GlobalAveragePool with NULL, NULL and RT_ACT_NONE, and the tail of
 *     many CNNs (bias, residual add and ReLU, then the average) in one pass
 *     that writes no activation tensor. Sums run in 16 partial sums (to
 *     float rounding of rt_reduce_f32's mean).
 * Tasks are runs of output rows (planes for the global pools), about 16
 * per thread; results are the same on any number of threads. */
#ifndef RT_CPU_POOL_H
#define RT_CPU_POOL_H

#include "rt_kernels.h"
#include "tpool.h"

typedef struct RtCpuGlobalPool {
  int64_t n, c, spatial;
  int64_t act; /* RT_ACT_*, with alpha and beta as rt_act_f32 */
  float alpha, beta;
} RtCpuGlobalPool;

#ifndef RT_UNITY
RT_API int rt_cpu_pool_ok(const RtPool *p);
RT_API void rt_cpu_maxpool_f32(const RtPool *p, const float *x, float *y, RtThreads *tp);
RT_API void rt_cpu_avgpool_f32(const RtPool *p, const float *x, float *y, RtThreads *tp);
RT_API void rt_cpu_global_maxpool_f32(const RtCpuGlobalPool *p, const float *x, float *y,
                                      RtThreads *tp);
RT_API void rt_cpu_global_avgpool_f32(const RtCpuGlobalPool *p, const float *x, const float *b,
                                      const float *res, float *y, RtThreads *tp);
#endif

#endif
