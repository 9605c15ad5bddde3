/* quant.h - kernels of the quantization family (quant.c): QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear, and the integer matrix products
 * and convolutions behind MatMulInteger, ConvInteger, QLinearMatMul and
 * QLinearConv.
 *
 * Element types are ONNX's type numbers (RT_QT_*). Scales are float32.
 * Rounding is half to even (rintf under the default rounding mode), and
 * results saturate to the range of the output type; NaN gives its minimum.
 * Integer products accumulate in 32 bits and wrap on overflow. */
#ifndef RT_QUANT_H
#define RT_QUANT_H

#include "rt_kernels.h"

enum {
  RT_QT_F32 = 1,
  RT_QT_U8 = 2,
  RT_QT_I8 = 3,
  RT_QT_U16 = 4,
  RT_QT_I16 = 5,
  RT_QT_I32 = 6,
  RT_QT_U4 = 21, /* held one per byte, as uint8 */
  RT_QT_I4 = 22, /* as int8 */
  RT_QT_U2 = 25,
  RT_QT_I2 = 26
};

/* QuantizeLinear: y = saturate(round(x / scale) + zp), x float32 or
 * int32 (divided in double), y U8 I8 U16 I16 U4 I4 U2 I2; to the narrow
 * floats (float8, float4; bits, see rt_scalar.h) y = x / scale + zp
 * converted with saturate.
 * DequantizeLinear: y = (x - zp) * scale, x any of those or I32, y float32.
 * zp has the quantized type and may be NULL. Per-tensor, per-axis and
 * blocked parameters: x is viewed as [outer, len, inner]; the scale (and
 * zero point) of x[o, d, i] is element o * s_outer + (d / block) * s_len +
 * i * s_inner. */
typedef struct RtQuantize {
  int64_t outer, len, inner, block;
  int64_t s_outer, s_len, s_inner;
  int64_t x_type, y_type;
  int64_t saturate; /* narrow floats: as Cast's saturate */
} RtQuantize;

/* DynamicQuantizeLinear over n floats: the range [min(0, min x), max(0,
 * max x)] maps to [0, 255] (scale 1 when it is empty), as ONNX Runtime. */
typedef struct RtDynQuantize {
  int64_t n;
} RtDynQuantize;

/* Integer MatMul with zero points. Output batches (batch dims batch[0..
 * batch_rank)) of [m, n] int32; A batch (i0..) starts at sum(i_j *
 * a_bstride[j]), [m, k] contiguous, B likewise [k, n]. The zero point of
 * A's row r in the output batch with flat index f is a_zp[f * az_outer +
 * r * az_row]; B's column c: b_zp[f * bz_outer + c * bz_col] (NULL: 0).
 * acc_elems > 0: y is NULL and the result goes to the start of scratch.
 * scratch: rt_qmatmul_scratch(p) bytes. */
typedef struct RtQMatMul {
  int64_t m, n, k;
  int64_t batch_rank;
  int64_t batch[6];
  int64_t a_bstride[6], b_bstride[6];
  int64_t az_outer, az_row, bz_outer, bz_col;
  int64_t a_type, b_type; /* U8 or I8 */
  int64_t acc_elems;
} RtQMatMul;

/* Integer convolution (ConvInteger) laid out as RtConv: x [n, c, in...]
 * (x_zp scalar), w [m, c/group, k...] (w_zp scalar, or per output channel
 * when wz_per_ch), y [n, m, out...] int32. Padding reads the zero point
 * (contributes 0). acc_elems > 0: y is NULL and the result goes to the
 * start of scratch. scratch: rt_qconv_scratch(p) bytes. */
typedef struct RtQConv {
  int64_t n, c, m, group;
  int64_t in[3], out[3], k[3];
  int64_t stride[3], dil[3], pad_begin[3];
  int64_t x_type, w_type; /* U8 or I8 */
  int64_t wz_per_ch;
  int64_t acc_elems;
} RtQConv;

/* Requantization of int32 accumulators at the start of scratch, viewed as
 * [outer, rows, cols]: y = saturate(round((acc + bias) * (a_scale *
 * b_scale / y_scale)) + y_zp). Each of a_scale, b_scale, y_scale, y_zp and
 * bias (int32; may be NULL, as y_zp) is read at o * st[0] + r * st[1] +
 * c * st[2] with its own strides. */
typedef struct RtRequant {
  int64_t outer, rows, cols;
  int64_t as_st[3], bs_st[3], ys_st[3], yz_st[3], bias_st[3];
  int64_t y_type; /* U8 or I8 */
} RtRequant;

#ifndef RT_UNITY
RT_API void rt_quantize_linear(const RtQuantize *p, const void *x, const float *scale,
                               const void *zp, void *y);
RT_API void rt_dequantize_linear(const RtQuantize *p, const void *x, const float *scale,
                                 const void *zp, float *y);
RT_API void rt_dyn_quantize_linear(const RtDynQuantize *p, const float *x, uint8_t *y,
                                   float *y_scale, uint8_t *y_zp);
RT_API int64_t rt_qmatmul_scratch(const RtQMatMul *p);
RT_API void rt_qmatmul(const RtQMatMul *p, const void *a, const void *b, const void *a_zp,
                       const void *b_zp, int32_t *y, void *scratch);
RT_API int64_t rt_qconv_scratch(const RtQConv *p);
RT_API void rt_qconv(const RtQConv *p, const void *x, const void *w, const void *x_zp,
                     const void *w_zp, int32_t *y, void *scratch);
RT_API void rt_requant(const RtRequant *p, const void *scratch, const int32_t *bias,
                       const float *a_scale, const float *b_scale, const float *y_scale,
                       const void *y_zp, void *y);
#endif

#endif
