/* half.c - float16, bfloat16 and the narrow types of rt_scalar.h to and
 * from float32/float64, rounding to
 * nearest even from the exact double value (so float64 -> float16 rounds
 * once, as numpy does). */
#include <math.h>
#include <string.h>

#include "half.h"
#include "rt_scalar.h"

static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 0x1f;
  double m = h & 0x3ff, v;
  if (e == 0x1f) return m ? NAN : (h & 0x8000 ? -INFINITY : INFINITY);
  v = e ? ldexp(1024 + m, e - 25) : ldexp(m, -24);
  return h & 0x8000 ? -v : v;
}

static uint16_t half_from_double(double v) {
  uint16_t sign = signbit(v) ? 0x8000 : 0;
  double a = fabs(v);
  int e;
  if (isnan(v)) return 0x7e00;
  if (a >= 65520.0) return sign | 0x7c00; /* rounds to infinity */
  if (a < ldexp(1, -14)) {                  /* subnormal: multiples of 2^-24 */
    double r = rt_round_pow2(a, -24);
    return sign | (uint16_t)ldexp(r, 24);
  }
  frexp(a, &e); /* a = f * 2^e, f in [0.5, 1) */
  double r = rt_round_pow2(a, e - 11);
  frexp(r, &e);
  return sign | (uint16_t)((e + 14) << 10) | (uint16_t)(ldexp(r, 11 - e) - 1024);
}

static double bf16_to_double(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static uint16_t bf16_from_double(double v) {
  if (isnan(v)) return signbit(v) ? 0xffc0 : 0x7fc0;
  float f = (float)v; /* then round the float's 24-bit mantissa to 8 bits */
  if ((double)f != v && !isinf(f)) {
    /* v is not a float: round directly, so only one rounding happens */
    double a = fabs(v);
    int e;
    frexp(a, &e);
    double r = rt_round_pow2(a, e - 8);
    f = (float)(signbit(v) ? -r : r);
    uint32_t u;
    memcpy(&u, &f, 4);
    return (uint16_t)(u >> 16);
  }
  uint32_t u;
  memcpy(&u, &f, 4);
  u += 0x7fff + ((u >> 16) & 1);
  return (uint16_t)(u >> 16);
}

static double half_load(const void *x, int64_t i, int64_t t) {
  switch (t) {
  case 1: return ((const float *)x)[i];
  case 11: return ((const double *)x)[i];
  case 10: return half_to_double(((const uint16_t *)x)[i]);
  case 16: return bf16_to_double(((const uint16_t *)x)[i]);
  default: return rt_narrow_to_double(((const uint8_t *)x)[i], (int)t);
  }
}

RT_API void rt_convert(const RtConvert *p, const void *x, void *y) {
  for (int64_t i = 0; i < p->n; i++) {
    double v = half_load(x, i, p->from);
    switch (p->to) {
    case 1: ((float *)y)[i] = (float)v; break;
    case 11: ((double *)y)[i] = v; break;
    case 10: ((uint16_t *)y)[i] = half_from_double(v); break;
    case 16: ((uint16_t *)y)[i] = bf16_from_double(v); break;
    default:
      ((uint8_t *)y)[i] =
          rt_narrow_from_double(v, (int)p->to, (int)p->saturate, (int)p->round_mode);
      break;
    }
  }
}
