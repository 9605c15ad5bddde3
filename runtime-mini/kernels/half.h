/* half.h - conversions between float32/float64 and the 16-bit floats
 * (float16, bfloat16), which gpuxc computes in float32 (half.c). */
#ifndef RT_HALF_H
#define RT_HALF_H

#include "rt_kernels.h"

/* Converts n elements between types given by their ONNX numbers: 1 float32,
 * 10 float16, 11 float64, 16 bfloat16. Rounding is to nearest even; NaN stays
 * NaN and overflow gives infinity. */
typedef struct RtConvert {
  int64_t n, from, to;
} RtConvert;

#ifndef RT_UNITY
RT_API void rt_convert(const RtConvert *p, const void *x, void *y);
#endif

#endif
