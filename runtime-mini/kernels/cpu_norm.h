/* cpu_norm.h - Softmax and LayerNormalization for the cpu target
 * (cpu_norm.c): the rows spread over the thread pool (tp, or NULL to run in
 * the caller); nothing is allocated.
 *
 * rt_cpu_softmax_f32: RtSoftmax as rt_softmax_f32. Contiguous rows
 * (inner == 1, not log) take vector code with AVX-512 or AVX2: the row's
 * maximum, exp(x - max) by cpu_vmath.h's exp (within a few ulp of expf)
 * summed in 16 or 8 partial sums, then a multiply by 1 / sum; everything
 * else, and the generic build, runs rt_softmax_f32 on runs of rows.
 *
 * rt_cpu_layernorm_f32: rt_layernorm_f32 on runs of rows, so its results
 * are the portable kernel's bit for bit. */
#ifndef RT_CPU_NORM_H
#define RT_CPU_NORM_H

#include "rt_kernels.h"
#include "tpool.h"

#ifndef RT_UNITY
RT_API void rt_cpu_softmax_f32(const RtSoftmax *p, const float *x, float *y, RtThreads *tp);
RT_API void rt_cpu_layernorm_f32(const RtLayerNorm *p, const float *x, const float *scale,
                                 const float *bias, float *y, float *mean, float *inv_std,
                                 RtThreads *tp);
#endif

#endif
