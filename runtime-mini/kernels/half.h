/* half.h - conversions between float32/float64 and the narrow types
 * (float16, bfloat16, float8, float4, int4, uint4, int2, uint2), which gpuxc
 * computes in float32 (half.c). */
#ifndef RT_HALF_H
#define RT_HALF_H

#include "rt_kernels.h"

/* Converts n elements between types given by their ONNX numbers: 1 float32,
 * 10 float16, 11 float64, 16 bfloat16, 17 to 26 the narrow types of
 * rt_scalar.h. Rounding is to nearest even; NaN stays NaN and overflow gives
 * infinity, except as rt_narrow_from_double says for the narrow types
 * (saturate, round_mode: Cast's attributes). */
typedef struct RtConvert {
  int64_t n, from, to;
  int64_t saturate, round_mode;
} RtConvert;

#ifndef RT_UNITY
RT_API void rt_convert(const RtConvert *p, const void *x, void *y);
#endif

#endif
