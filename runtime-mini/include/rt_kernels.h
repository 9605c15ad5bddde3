/* rt_kernels.h - the portable kernel library of runtime-mini.
 *
 * Each kernel takes a parameter struct and its operands. gpuxc fills the
 * struct at compile time: in generated code it is a `static const`
 * initializer, and inside gpuxc the same kernel runs on the same struct to
 * fold constants. So each op has one definition of its semantics.
 *
 * Rules for parameter structs (gpuxc builds them field by field, see
 * compiler/kcall.h): only int64_t and float fields and fixed-size arrays of
 * them, in the order written here. Shapes are in elements, row-major.
 *
 * In generated code the kernel sources are included into model.c with
 * RT_UNITY defined, which makes every kernel static: several models link into
 * one program without clashing.
 */
#ifndef RT_KERNELS_H
#define RT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef RT_UNITY
#if defined(__GNUC__)
#define RT_API static __attribute__((unused))
#else
#define RT_API static
#endif
#else
#define RT_API
#endif

#define RT_MAX_RANK 8

/* Fused activations (epilogues of Conv, Gemm, MatMul); see rt_act_f32. */
enum {
  RT_ACT_NONE = 0,
  RT_ACT_RELU = 1,
  RT_ACT_LEAKY_RELU = 2,   /* alpha */
  RT_ACT_CLIP = 3,         /* alpha = min, beta = max */
  RT_ACT_SIGMOID = 4,
  RT_ACT_HARD_SIGMOID = 5, /* alpha, beta */
  RT_ACT_HARD_SWISH = 6,
  RT_ACT_TANH = 7,
  RT_ACT_GELU = 8          /* x/2 (1 + erf(x/sqrt(2))) */
};

/* The activations that SIMD kernels without their own vector code for them
 * leave to a scalar pass through rt_act_f32. */
#define RT_ACT_TRANSCENDENTAL(a) \
  ((a) == RT_ACT_SIGMOID || (a) == RT_ACT_TANH || (a) == RT_ACT_GELU)

/* Convolution, 1 to 3 spatial dims. Spatial arrays are (d, h, w); a 2-D conv
 * has in[0] = out[0] = k[0] = 1, stride[0] = dil[0] = 1, pad_begin[0] = 0.
 * x: [n, c, in...], w: [m, c/group, k...], b: [m] or NULL, y: [n, m, out...].
 * scratch: rt_conv_scratch_f32(p) floats (may be 0). */
typedef struct RtConv {
  int64_t n, c, m, group;
  int64_t in[3], out[3], k[3];
  int64_t stride[3], dil[3], pad_begin[3];
  int64_t act;
  float alpha, beta;
} RtConv;

/* ConvTranspose with the same conventions. w: [c, m/group, k...]; out sizes
 * already include output_padding; pad_begin are the begin pads. */
typedef struct RtConvTranspose {
  int64_t n, c, m, group;
  int64_t in[3], out[3], k[3];
  int64_t stride[3], dil[3], pad_begin[3];
  int64_t act;
  float alpha, beta;
} RtConvTranspose;

/* Gemm: y[m,n] = act(alpha * A' B' + beta * C). A' is A [m,k] or A^T of
 * A [k,m] when trans_a; likewise B' from B [k,n] or [n,k]. C (may be NULL)
 * is read at c[i * c_rs + j * c_cs] (strides 0 broadcast). */
typedef struct RtGemm {
  int64_t m, n, k, trans_a, trans_b;
  float alpha, beta;
  int64_t c_rs, c_cs;
  int64_t act;
  float act_alpha, act_beta;
} RtGemm;

/* Batched MatMul with NumPy broadcasting of the batch dims. Output batch dims
 * batch[0..batch_rank); the batch with index (i0..) starts at
 * a + sum(i_j * a_bstride[j]) (elements; 0 where A broadcasts), same for B.
 * A: [.., m, k], B: [.., k, n], y: [batch.., m, n] contiguous.
 * bias (may be NULL): [n], added to every row before act. */
typedef struct RtMatMul {
  int64_t m, n, k;
  int64_t batch_rank;
  int64_t batch[6];
  int64_t a_bstride[6], b_bstride[6];
  int64_t act;
  float alpha, beta;
} RtMatMul;

/* MaxPool / AveragePool, 1 to 3 spatial dims, laid out as in RtConv.
 * Windows start at o * stride - pad_begin; positions < 0 or >= in + pad_end
 * are outside the padded input. Max ignores padding. Average divides by the
 * number of positions inside [0, in) (count_include_pad = 0) or inside
 * [-pad_begin, in + pad_end) (count_include_pad = 1). */
typedef struct RtPool {
  int64_t n, c;
  int64_t in[3], out[3], k[3];
  int64_t stride[3], dil[3], pad_begin[3], pad_end[3];
  int64_t count_include_pad;
} RtPool;

/* Softmax over the middle dim of [outer, len, inner]; log = 1: LogSoftmax. */
typedef struct RtSoftmax {
  int64_t outer, len, inner, log;
} RtSoftmax;

/* LayerNormalization over the last len elements of [outer, len]. scale and
 * bias (may be NULL) are [len]. mean and inv_std (may be NULL) are [outer]. */
typedef struct RtLayerNorm {
  int64_t outer, len;
  float eps;
} RtLayerNorm;

/* BatchNormalization (inference) on [n, c, inner]. */
typedef struct RtBatchNorm {
  int64_t n, c, inner;
  float eps;
} RtBatchNorm;

/* Strided copy: for every index (i0..i_{rank-1}) < dims,
 * dst[dst_offset + sum(i * dst_strides)] = src[src_offset + sum(i * src_strides)].
 * Strides in elements, may be 0 (broadcast: Expand) or negative (Slice with
 * negative steps). elem: bytes per element (1, 2, 4 or 8). Serves Transpose,
 * Slice, Concat, Split, Expand. */
typedef struct RtCopy {
  int64_t rank;
  int64_t dims[RT_MAX_RANK];
  int64_t src_strides[RT_MAX_RANK];
  int64_t dst_strides[RT_MAX_RANK];
  int64_t src_offset, dst_offset;
  int64_t elem;
} RtCopy;

/* Gather along an axis: x [outer, axis_len, inner], idx [nidx] (int64, or
 * int32 if idx_i32), y [outer, nidx, inner]. Negative indices count from the
 * end; an index still outside [0, axis_len) yields zeros. */
typedef struct RtGather {
  int64_t outer, axis_len, inner, nidx;
  int64_t elem, idx_i32;
} RtGather;

/* Pad: y[o] = x[o - pad_begin] where that is inside x; otherwise by mode:
 * 0 constant (*value, or 0 if value is NULL), 1 reflect, 2 edge, 3 wrap.
 * pad_begin may be negative (cropping). */
typedef struct RtPad {
  int64_t rank;
  int64_t in[RT_MAX_RANK], out[RT_MAX_RANK], pad_begin[RT_MAX_RANK];
  int64_t mode, elem;
} RtPad;

/* Reductions. The input is walked as out_rank outer dims (input strides
 * out_strides) times red_rank reduced dims (input strides red_strides); y is
 * contiguous over the outer dims. op: see RT_RED_*. */
enum {
  RT_RED_SUM = 0,
  RT_RED_MEAN = 1,
  RT_RED_MAX = 2,
  RT_RED_MIN = 3,
  RT_RED_PROD = 4,
  RT_RED_L1 = 5,
  RT_RED_L2 = 6,
  RT_RED_LOG_SUM = 7,
  RT_RED_LOG_SUM_EXP = 8,
  RT_RED_SUM_SQUARE = 9
};
typedef struct RtReduce {
  int64_t out_rank;
  int64_t out_dims[RT_MAX_RANK];
  int64_t out_strides[RT_MAX_RANK];
  int64_t red_rank;
  int64_t red_dims[RT_MAX_RANK];
  int64_t red_strides[RT_MAX_RANK];
  int64_t op;
} RtReduce;

/* Range: y[i] = start + i * delta, n elements. */
typedef struct RtRange {
  int64_t n;
} RtRange;

/* Fill: n copies of the elem-byte value. */
typedef struct RtFill {
  int64_t n, elem;
} RtFill;

#ifndef RT_UNITY
RT_API int64_t rt_conv_scratch_f32(const RtConv *p);
RT_API void rt_conv_f32(const RtConv *p, const float *x, const float *w, const float *b, float *y,
                        float *scratch);
RT_API int64_t rt_conv_transpose_scratch_f32(const RtConvTranspose *p);
RT_API void rt_conv_transpose_f32(const RtConvTranspose *p, const float *x, const float *w,
                                  const float *b, float *y, float *scratch);
RT_API void rt_gemm_f32(const RtGemm *p, const float *a, const float *b, const float *c, float *y);
RT_API void rt_matmul_f32(const RtMatMul *p, const float *a, const float *b, const float *bias,
                          float *y);
RT_API void rt_matmul_f64(const RtMatMul *p, const double *a, const double *b, double *y);
RT_API void rt_maxpool_f32(const RtPool *p, const float *x, float *y);
RT_API void rt_avgpool_f32(const RtPool *p, const float *x, float *y);
RT_API void rt_softmax_f32(const RtSoftmax *p, const float *x, float *y);
RT_API void rt_softmax_f64(const RtSoftmax *p, const double *x, double *y);
RT_API void rt_layernorm_f32(const RtLayerNorm *p, const float *x, const float *scale,
                             const float *bias, float *y, float *mean, float *inv_std);
RT_API void rt_batchnorm_f32(const RtBatchNorm *p, const float *x, const float *scale,
                             const float *bias, const float *mean, const float *var, float *y);
RT_API void rt_copy(const RtCopy *p, const void *x, void *y);
RT_API void rt_gather(const RtGather *p, const void *x, const void *idx, void *y);
RT_API void rt_pad(const RtPad *p, const void *x, const void *value, void *y);
RT_API void rt_reduce_f32(const RtReduce *p, const float *x, float *y);
RT_API void rt_reduce_i64(const RtReduce *p, const int64_t *x, int64_t *y);
RT_API void rt_range_f32(const RtRange *p, const float *start, const float *delta, float *y);
RT_API void rt_range_i64(const RtRange *p, const int64_t *start, const int64_t *delta,
                         int64_t *y);
RT_API void rt_fill(const RtFill *p, const void *value, void *y);
#endif

/* ---- More types and modes of Reduce*, the pools, BatchNormalization and
 * Dropout (reduce.c, pool.c, norm.c, misc.c). ---- */

/* MaxPool (with its Indices) and AveragePool of any type, as RtPool, plus:
 * type RT_POOL_*, is_max, and storage_order of the indices (0: row-major
 * over (n, c, spatial...), 1: the spatial part column-major). A max window
 * with no tap inside the input gives the type's lowest value and index -1. */
enum { RT_POOL_F32 = 0, RT_POOL_F64 = 1, RT_POOL_I8 = 2, RT_POOL_U8 = 3 };
typedef struct RtPoolAny {
  int64_t n, c;
  int64_t in[3], out[3], k[3];
  int64_t stride[3], dil[3], pad_begin[3], pad_end[3];
  int64_t count_include_pad;
  int64_t type, is_max, storage_order;
} RtPoolAny;

/* BatchNormalization in training mode on [n, c, inner] (float64 if f64,
 * else float32): per channel, the mean and the population variance of x
 * over n and inner (in double) normalize x: y = (x - mean) / sqrt(var + eps)
 * * scale + bias. running_mean = mean_in * momentum + mean * (1 - momentum),
 * running_var likewise (either output may be NULL). */
typedef struct RtBatchNormTrain {
  int64_t n, c, inner, f64;
  float eps, momentum;
} RtBatchNormTrain;

/* Dropout in training mode: element i is kept when u_i >= ratio, u_i in
 * [0, 1) a pure function of (seed, i) (splitmix64 of a counter); y = x /
 * (1 - ratio) where kept, else 0; mask (may be NULL) = kept. ratio is
 * *ratio_in (float32, float64 if ratio_f64), or the field when ratio_in is
 * NULL; training (bool) false gives y = x and a true mask. A ratio <= 0 or
 * NaN keeps everything, >= 1 drops everything. x, y: float32 (float64 if
 * f64), n elements. */
typedef struct RtDropout {
  int64_t n, f64, ratio_f64, seed;
  float ratio;
} RtDropout;

#ifndef RT_UNITY
RT_API void rt_reduce_f64(const RtReduce *p, const double *x, double *y);
RT_API void rt_reduce_u64(const RtReduce *p, const void *x, void *y);
RT_API void rt_reduce_i32(const RtReduce *p, const void *x, void *y);
RT_API void rt_reduce_u32(const RtReduce *p, const void *x, void *y);
RT_API void rt_reduce_i8(const RtReduce *p, const void *x, void *y);
RT_API void rt_reduce_u8(const RtReduce *p, const void *x, void *y);
RT_API void rt_reduce_bool(const RtReduce *p, const void *x, void *y);
RT_API void rt_pool_any(const RtPoolAny *p, const void *x, void *y, int64_t *indices);
RT_API void rt_batchnorm_f64(const RtBatchNorm *p, const double *x, const double *scale,
                             const double *bias, const double *mean, const double *var,
                             double *y);
RT_API void rt_batchnorm_train(const RtBatchNormTrain *p, const void *x, const void *scale,
                               const void *bias, const void *mean, const void *var, void *y,
                               void *running_mean, void *running_var);
RT_API void rt_dropout(const RtDropout *p, const void *x, const void *ratio_in,
                       const void *training, void *y, void *mask);
#endif

#endif /* RT_KERNELS_H */
