/* normalize.h - kernels of the normalizations and of Lp pooling
 * (normalize.c): GroupNormalization and InstanceNormalization, LpNormalization,
 * LRN, MeanVarianceNormalization, RMSNormalization, LpPool and GlobalLpPool.
 * All float32. */
#ifndef RT_NORMALIZE_H
#define RT_NORMALIZE_H

#include "rt_kernels.h"

/* GroupNormalization on x [n, groups * cpg, inner]: each group of cpg
 * channels is normalized over its cpg * inner elements (mean, then the mean
 * of squared deviations), then channel ch is scaled and shifted by
 * scale[ch], bias[ch], or by scale[ch / cpg], bias[ch / cpg] when
 * per_group. InstanceNormalization is the case cpg = 1. */
typedef struct RtGroupNorm {
  int64_t n, groups, cpg, inner, per_group;
  float eps;
} RtGroupNorm;

/* LpNormalization: x [outer, len, inner] divided by its p-norm along len
 * (p = 1 or 2). A zero norm gives zeros, as in ONNX Runtime. */
typedef struct RtLpNorm {
  int64_t outer, len, inner, p;
} RtLpNorm;

/* LRN across the channels of x [n, c, inner]:
 * y = x * (bias + alpha / size * sum)^-beta, the sum of squares running
 * over channels [ch - floor((size-1)/2), ch + ceil((size-1)/2)] clipped to
 * [0, c). */
typedef struct RtLrn {
  int64_t n, c, inner, size;
  float alpha, beta, bias;
} RtLrn;

/* MeanVarianceNormalization: the input is walked as out_rank kept dims
 * times red_rank normalized dims, with strides in elements (y has x's
 * layout); every kept position is normalized over the normalized dims:
 * y = (x - mean) / (sqrt(variance) + 1e-9). */
typedef struct RtMvn {
  int64_t out_rank;
  int64_t out_dims[RT_MAX_RANK];
  int64_t out_strides[RT_MAX_RANK];
  int64_t red_rank;
  int64_t red_dims[RT_MAX_RANK];
  int64_t red_strides[RT_MAX_RANK];
} RtMvn;

/* RMSNormalization of x [outer, len]: y = x / sqrt(mean(x^2) + eps) * scale.
 * With srank 0 scale is [len]. Otherwise scale broadcasts over the
 * normalized dims sdims[0..srank) (their product is len) with strides
 * sstrides (0 on broadcast dims), and is expanded into scratch (len floats)
 * first. */
typedef struct RtRmsNorm {
  int64_t outer, len, srank;
  int64_t sdims[RT_MAX_RANK];
  int64_t sstrides[RT_MAX_RANK];
  float eps;
} RtRmsNorm;

/* LpPool on x [n, c, in] (1 to 3 spatial dims as (d, h, w) with leading
 * sizes of 1, as RtPool): y = (sum over the window of |x|^p)^(1/p), padding
 * contributing nothing. GlobalLpPool is one window over the flattened
 * spatial dims. */
typedef struct RtLpPool {
  int64_t n, c;
  int64_t in[3], out[3], k[3];
  int64_t stride[3], dil[3], pad_begin[3];
  float p;
} RtLpPool;

#ifndef RT_UNITY
RT_API void rt_groupnorm_f32(const RtGroupNorm *p, const float *x, const float *scale,
                             const float *bias, float *y);
RT_API void rt_lpnorm_f32(const RtLpNorm *p, const float *x, float *y);
RT_API void rt_lrn_f32(const RtLrn *p, const float *x, float *y);
RT_API void rt_mvn_f32(const RtMvn *p, const float *x, float *y);
RT_API void rt_rmsnorm_f32(const RtRmsNorm *p, const float *x, const float *scale, float *y,
                           float *scratch);
RT_API void rt_lppool_f32(const RtLpPool *p, const float *x, float *y);
#endif

#endif
