/* rt_scalar.h - the scalar semantics of every elementwise op.
 *
 * Each elementwise op is one inline function per element type, named
 * rt_<op>_<type>: generated code calls them in its loops (the C compiler
 * inlines them), and gpuxc calls the same functions to fold constants. Their
 * order of arguments: operands, then float attributes.
 */
#ifndef RT_SCALAR_H
#define RT_SCALAR_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef float rt_f32;
typedef double rt_f64;
typedef int8_t rt_i8;
typedef int16_t rt_i16;
typedef int32_t rt_i32;
typedef int64_t rt_i64;
typedef uint8_t rt_u8;
typedef uint16_t rt_u16;
typedef uint32_t rt_u32;
typedef uint64_t rt_u64;
typedef uint8_t rt_bool;

#define RT_FOR_FLOAT(M) M(f32) M(f64)
#define RT_FOR_SINT(M) M(i8) M(i16) M(i32) M(i64)
#define RT_FOR_UINT(M) M(u8) M(u16) M(u32) M(u64)
#define RT_FOR_INT(M) RT_FOR_SINT(M) RT_FOR_UINT(M)
#define RT_FOR_NUM(M) RT_FOR_FLOAT(M) RT_FOR_INT(M)
#define RT_FOR_SIGNED(M) RT_FOR_FLOAT(M) RT_FOR_SINT(M)
#define RT_FOR_ALL(M) RT_FOR_NUM(M) M(bool)

/* ---- arithmetic. Integers wrap around (computed unsigned), as ONNX
 * Runtime's do; integer division by zero gives 0 instead of trapping. */
#define RT_DEF_ARITH_FLOAT(T)                                                              \
  static inline rt_##T rt_add_##T(rt_##T a, rt_##T b) { return a + b; }                    \
  static inline rt_##T rt_sub_##T(rt_##T a, rt_##T b) { return a - b; }                    \
  static inline rt_##T rt_mul_##T(rt_##T a, rt_##T b) { return a * b; }                    \
  static inline rt_##T rt_div_##T(rt_##T a, rt_##T b) { return a / b; }                    \
  static inline rt_##T rt_neg_##T(rt_##T a) { return -a; }                                 \
  static inline rt_##T rt_abs_##T(rt_##T a) { return a < 0 ? -a : a; }                     \
  static inline rt_##T rt_max_##T(rt_##T a, rt_##T b) { return a != a || a > b ? a : b; }  \
  static inline rt_##T rt_min_##T(rt_##T a, rt_##T b) { return a != a || a < b ? a : b; }
RT_FOR_FLOAT(RT_DEF_ARITH_FLOAT)

#define RT_DEF_ARITH_INT(T)                                                                 \
  static inline rt_##T rt_add_##T(rt_##T a, rt_##T b) {                                     \
    return (rt_##T)((rt_u64)a + (rt_u64)b);                                                 \
  }                                                                                         \
  static inline rt_##T rt_sub_##T(rt_##T a, rt_##T b) {                                     \
    return (rt_##T)((rt_u64)a - (rt_u64)b);                                                 \
  }                                                                                         \
  static inline rt_##T rt_mul_##T(rt_##T a, rt_##T b) {                                     \
    return (rt_##T)((rt_u64)a * (rt_u64)b);                                                 \
  }                                                                                         \
  static inline rt_##T rt_neg_##T(rt_##T a) { return rt_sub_##T(0, a); }                   \
  static inline rt_##T rt_max_##T(rt_##T a, rt_##T b) { return a > b ? a : b; }            \
  static inline rt_##T rt_min_##T(rt_##T a, rt_##T b) { return a < b ? a : b; }
RT_FOR_INT(RT_DEF_ARITH_INT)

#define RT_DEF_DIV_SINT(T)                                                                  \
  static inline rt_##T rt_div_##T(rt_##T a, rt_##T b) {                                     \
    return b == 0 ? 0 : b == -1 ? rt_neg_##T(a) : (rt_##T)(a / b);                          \
  }                                                                                         \
  static inline rt_##T rt_abs_##T(rt_##T a) { return a < 0 ? rt_neg_##T(a) : a; }
RT_FOR_SINT(RT_DEF_DIV_SINT)

#define RT_DEF_DIV_UINT(T)                                                                  \
  static inline rt_##T rt_div_##T(rt_##T a, rt_##T b) { return b == 0 ? 0 : (rt_##T)(a / b); } \
  static inline rt_##T rt_abs_##T(rt_##T a) { return a; }
RT_FOR_UINT(RT_DEF_DIV_UINT)

/* Mod: rt_mod (fmod = 0) takes the sign of the divisor, like Python's %;
 * rt_fmod (fmod = 1) the sign of the dividend, like C's. x % 0 gives 0. */
#define RT_DEF_MOD_SINT(T)                                                                  \
  static inline rt_##T rt_fmod_##T(rt_##T a, rt_##T b) {                                    \
    return b == 0 || b == -1 ? 0 : (rt_##T)(a % b);                                         \
  }                                                                                         \
  static inline rt_##T rt_mod_##T(rt_##T a, rt_##T b) {                                     \
    rt_##T r = rt_fmod_##T(a, b);                                                           \
    return r != 0 && (r < 0) != (b < 0) ? (rt_##T)(r + b) : r;                              \
  }
RT_FOR_SINT(RT_DEF_MOD_SINT)

#define RT_DEF_MOD_UINT(T)                                                                  \
  static inline rt_##T rt_fmod_##T(rt_##T a, rt_##T b) { return b == 0 ? 0 : (rt_##T)(a % b); } \
  static inline rt_##T rt_mod_##T(rt_##T a, rt_##T b) { return rt_fmod_##T(a, b); }
RT_FOR_UINT(RT_DEF_MOD_UINT)

/* ---- bits of integers, and Sign. BitShift by a negative count or by the type's width
 * or more leaves only the sign fill: -1 for a right shift of a negative
 * value, else 0. A signed right shift is arithmetic (written without C's
 * implementation-defined >> of negative values). */
#define RT_DEF_BITWISE(T)                                                                   \
  static inline rt_##T rt_bitwise_and_##T(rt_##T a, rt_##T b) { return (rt_##T)(a & b); }   \
  static inline rt_##T rt_bitwise_or_##T(rt_##T a, rt_##T b) { return (rt_##T)(a | b); }    \
  static inline rt_##T rt_bitwise_xor_##T(rt_##T a, rt_##T b) { return (rt_##T)(a ^ b); }   \
  static inline rt_##T rt_bitwise_not_##T(rt_##T a) { return (rt_##T)~a; }
RT_FOR_INT(RT_DEF_BITWISE)

#define RT_BITS(T) ((rt_##T)(8 * sizeof(rt_##T)))
#define RT_DEF_SHIFT_UINT(T)                                                                \
  static inline rt_##T rt_shift_left_##T(rt_##T x, rt_##T n) {                              \
    return n >= RT_BITS(T) ? 0 : (rt_##T)((rt_u64)x << n);                                  \
  }                                                                                         \
  static inline rt_##T rt_shift_right_##T(rt_##T x, rt_##T n) {                             \
    return n >= RT_BITS(T) ? 0 : (rt_##T)(x >> n);                                          \
  }
RT_FOR_UINT(RT_DEF_SHIFT_UINT)

#define RT_DEF_SHIFT_SINT(T)                                                                \
  static inline rt_##T rt_shift_left_##T(rt_##T x, rt_##T n) {                              \
    return n < 0 || n >= RT_BITS(T) ? 0 : (rt_##T)((rt_u64)x << n);                         \
  }                                                                                         \
  static inline rt_##T rt_shift_right_##T(rt_##T x, rt_##T n) {                             \
    if (n < 0 || n >= RT_BITS(T)) return x < 0 ? -1 : 0;                                    \
    return x < 0 ? (rt_##T)~(~x >> n) : (rt_##T)(x >> n);                                   \
  }
RT_FOR_SINT(RT_DEF_SHIFT_SINT)

#define RT_DEF_SIGN_UINT(T) static inline rt_##T rt_sign_##T(rt_##T x) { return x > 0; }
RT_FOR_UINT(RT_DEF_SIGN_UINT)
#define RT_DEF_SIGN_SINT(T)                                                                 \
  static inline rt_##T rt_sign_##T(rt_##T x) { return (rt_##T)((x > 0) - (x < 0)); }
RT_FOR_SINT(RT_DEF_SIGN_SINT)

/* ---- comparisons -> bool */
#define RT_DEF_CMP(T)                                                                       \
  static inline rt_bool rt_equal_##T(rt_##T a, rt_##T b) { return a == b; }                 \
  static inline rt_bool rt_less_##T(rt_##T a, rt_##T b) { return a < b; }                  \
  static inline rt_bool rt_greater_##T(rt_##T a, rt_##T b) { return a > b; }               \
  static inline rt_bool rt_less_or_equal_##T(rt_##T a, rt_##T b) { return a <= b; }        \
  static inline rt_bool rt_greater_or_equal_##T(rt_##T a, rt_##T b) { return a >= b; }
RT_FOR_ALL(RT_DEF_CMP)

/* ---- logic on bool */
static inline rt_bool rt_not_bool(rt_bool a) { return !a; }
static inline rt_bool rt_and_bool(rt_bool a, rt_bool b) { return a && b; }
static inline rt_bool rt_or_bool(rt_bool a, rt_bool b) { return a || b; }
static inline rt_bool rt_xor_bool(rt_bool a, rt_bool b) { return !a != !b; }

/* ---- selection */
#define RT_DEF_SELECT(T)                                                                    \
  static inline rt_##T rt_where_##T(rt_bool c, rt_##T a, rt_##T b) { return c ? a : b; }   \
  static inline rt_##T rt_identity_##T(rt_##T a) { return a; }
RT_FOR_ALL(RT_DEF_SELECT)

/* Clip: NaN stays NaN; when lo > hi everything becomes hi. */
#define RT_DEF_CLIP(T)                                                                      \
  static inline rt_##T rt_clip_##T(rt_##T x, rt_##T lo, rt_##T hi) {                       \
    rt_##T v = x < lo ? lo : x;                                                             \
    return v > hi ? hi : v;                                                                 \
  }
RT_FOR_NUM(RT_DEF_CLIP)

/* Relu and PRelu are defined for signed types too; NaN stays NaN. */
#define RT_DEF_RELU(T)                                                                      \
  static inline rt_##T rt_relu_##T(rt_##T x) { return x < 0 ? (rt_##T)0 : x; }              \
  static inline rt_##T rt_prelu_##T(rt_##T x, rt_##T slope) {                               \
    return x < 0 ? (rt_##T)(x * slope) : x;                                                 \
  }
RT_FOR_SIGNED(RT_DEF_RELU)

/* ---- float math: one line per op, both precisions from one definition. */
#define RT_F(T, f) RT_F_##T(f)
#define RT_F_f32(fn) fn##f
#define RT_F_f64(fn) fn

#define RT_DEF_FLOAT_MATH(T)                                                                  \
  static inline rt_##T rt_exp_##T(rt_##T x) { return RT_F(T, exp)(x); }                       \
  static inline rt_##T rt_log_##T(rt_##T x) { return RT_F(T, log)(x); }                       \
  static inline rt_##T rt_sqrt_##T(rt_##T x) { return RT_F(T, sqrt)(x); }                     \
  static inline rt_##T rt_tanh_##T(rt_##T x) { return RT_F(T, tanh)(x); }                     \
  static inline rt_##T rt_erf_##T(rt_##T x) { return RT_F(T, erf)(x); }                       \
  static inline rt_##T rt_floor_##T(rt_##T x) { return RT_F(T, floor)(x); }                   \
  static inline rt_##T rt_ceil_##T(rt_##T x) { return RT_F(T, ceil)(x); }                     \
  static inline rt_bool rt_isnan_##T(rt_##T x) { return x != x; }                            \
  static inline rt_##T rt_reciprocal_##T(rt_##T x) { return (rt_##T)1 / x; }                  \
  static inline rt_##T rt_fmod_##T(rt_##T a, rt_##T b) { return RT_F(T, fmod)(a, b); }        \
  static inline rt_##T rt_mod_##T(rt_##T a, rt_##T b) {  /* Python's %, as numpy's mod */    \
    rt_##T m = RT_F(T, fmod)(a, b);                                                           \
    if (b == 0) return m;                                                                     \
    if (m != 0) return (b < 0) != (m < 0) ? m + b : m;                                        \
    return RT_F(T, copysign)((rt_##T)0, b);                                                   \
  }                                                                                           \
  static inline rt_##T rt_sigmoid_##T(rt_##T x) {                                             \
    return x >= 0 ? (rt_##T)1 / ((rt_##T)1 + RT_F(T, exp)(-x))                                \
                  : RT_F(T, exp)(x) / ((rt_##T)1 + RT_F(T, exp)(x));                          \
  }                                                                                           \
  static inline rt_##T rt_leaky_relu_##T(rt_##T x, float alpha) {                             \
    return x >= 0 ? x : x * (rt_##T)alpha;                                                    \
  }                                                                                           \
  static inline rt_##T rt_hard_sigmoid_##T(rt_##T x, float alpha, float beta) {               \
    rt_##T v = (rt_##T)alpha * x + (rt_##T)beta;                                              \
    return v < 0 ? (rt_##T)0 : v > 1 ? (rt_##T)1 : v;                                         \
  }                                                                                           \
  static inline rt_##T rt_hard_swish_##T(rt_##T x) {                                          \
    return x * rt_hard_sigmoid_##T(x, 1.0f / 6.0f, 0.5f);                                     \
  }                                                                                           \
  static inline rt_##T rt_softplus_##T(rt_##T x) {                                            \
    return x > 0 ? x + RT_F(T, log1p)(RT_F(T, exp)(-x)) : RT_F(T, log1p)(RT_F(T, exp)(x));    \
  }                                                                                           \
  static inline rt_##T rt_gelu_##T(rt_##T x) {                                                \
    return (rt_##T)0.5 * x * ((rt_##T)1 + RT_F(T, erf)(x * (rt_##T)0.70710678118654752440)); \
  }                                                                                           \
  static inline rt_##T rt_gelu_tanh_##T(rt_##T x) {                                           \
    rt_##T u = (rt_##T)0.79788456080286535588 * (x + (rt_##T)0.044715 * x * x * x);          \
    return (rt_##T)0.5 * x * ((rt_##T)1 + RT_F(T, tanh)(u));                                  \
  }
RT_FOR_FLOAT(RT_DEF_FLOAT_MATH)

/* Trigonometry, rounding and the activations with attributes. Round is
 * half to even (nearbyint in the default rounding mode); Sign keeps NaN. */
#define RT_DEF_FLOAT_MATH2(T)                                                                 \
  static inline rt_##T rt_sin_##T(rt_##T x) { return RT_F(T, sin)(x); }                       \
  static inline rt_##T rt_cos_##T(rt_##T x) { return RT_F(T, cos)(x); }                       \
  static inline rt_##T rt_tan_##T(rt_##T x) { return RT_F(T, tan)(x); }                       \
  static inline rt_##T rt_asin_##T(rt_##T x) { return RT_F(T, asin)(x); }                     \
  static inline rt_##T rt_acos_##T(rt_##T x) { return RT_F(T, acos)(x); }                     \
  static inline rt_##T rt_atan_##T(rt_##T x) { return RT_F(T, atan)(x); }                     \
  static inline rt_##T rt_sinh_##T(rt_##T x) { return RT_F(T, sinh)(x); }                     \
  static inline rt_##T rt_cosh_##T(rt_##T x) { return RT_F(T, cosh)(x); }                     \
  static inline rt_##T rt_asinh_##T(rt_##T x) { return RT_F(T, asinh)(x); }                   \
  static inline rt_##T rt_acosh_##T(rt_##T x) { return RT_F(T, acosh)(x); }                   \
  static inline rt_##T rt_atanh_##T(rt_##T x) { return RT_F(T, atanh)(x); }                   \
  static inline rt_##T rt_round_##T(rt_##T x) { return RT_F(T, nearbyint)(x); }               \
  static inline rt_##T rt_sign_##T(rt_##T x) {                                               \
    return x > 0 ? (rt_##T)1 : x < 0 ? (rt_##T)-1 : x;                                       \
  }                                                                                           \
  static inline rt_bool rt_isinf_##T(rt_##T x) { return isinf(x) != 0; }                      \
  static inline rt_bool rt_isposinf_##T(rt_##T x) { return x > 0 && rt_isinf_##T(x); }       \
  static inline rt_bool rt_isneginf_##T(rt_##T x) { return x < 0 && rt_isinf_##T(x); }       \
  static inline rt_bool rt_isinf_none_##T(rt_##T x) { (void)x; return 0; }                    \
  static inline rt_##T rt_softsign_##T(rt_##T x) { return x / ((rt_##T)1 + rt_abs_##T(x)); }  \
  static inline rt_##T rt_mish_##T(rt_##T x) { return x * RT_F(T, tanh)(rt_softplus_##T(x)); } \
  static inline rt_##T rt_swish_##T(rt_##T x, float alpha) {                                  \
    return x * rt_sigmoid_##T((rt_##T)alpha * x);                                             \
  }                                                                                           \
  static inline rt_##T rt_elu_##T(rt_##T x, float alpha) {                                    \
    return x >= 0 ? x : (rt_##T)alpha * RT_F(T, expm1)(x);                                    \
  }                                                                                           \
  static inline rt_##T rt_celu_##T(rt_##T x, float alpha) {                                   \
    return x >= 0 ? x : (rt_##T)alpha * RT_F(T, expm1)(x / (rt_##T)alpha);                   \
  }                                                                                           \
  static inline rt_##T rt_selu_##T(rt_##T x, float alpha, float gamma) {                      \
    return (rt_##T)gamma * (x > 0 ? x : (rt_##T)alpha * RT_F(T, expm1)(x));                   \
  }                                                                                           \
  static inline rt_##T rt_thresholded_relu_##T(rt_##T x, float alpha) {                       \
    return x > (rt_##T)alpha ? x : (rt_##T)0;                                                 \
  }
RT_FOR_FLOAT(RT_DEF_FLOAT_MATH2)

/* ---- casts: rt_cast_<to>_<from>. Float to integer saturates at the
 * target's range and maps NaN to 0 (C leaves both undefined); anything to
 * bool is x != 0. */
#define RT_CAST_TO_FLOAT(TO, FROM)                                                            \
  static inline rt_##TO rt_cast_##TO##_##FROM(rt_##FROM x) { return (rt_##TO)x; }
#define RT_CAST_TO_BOOL(FROM)                                                                 \
  static inline rt_bool rt_cast_bool_##FROM(rt_##FROM x) { return x != 0; }
#define RT_CAST_INT_FROM_INT(TO, FROM)                                                        \
  static inline rt_##TO rt_cast_##TO##_##FROM(rt_##FROM x) { return (rt_##TO)x; }
#define RT_CAST_INT_FROM_FLOAT(TO, FROM, LO, HI)                                              \
  static inline rt_##TO rt_cast_##TO##_##FROM(rt_##FROM x) {                                  \
    if (x != x) return 0;                                                                     \
    if (x <= (rt_##FROM)(LO)) return (rt_##TO)(LO);                                           \
    if (x >= (rt_##FROM)(HI)) return (rt_##TO)(HI);                                           \
    return (rt_##TO)x;                                                                        \
  }

#define RT_CAST_FROM_EACH(FROM)                                                               \
  RT_CAST_TO_FLOAT(f32, FROM) RT_CAST_TO_FLOAT(f64, FROM) RT_CAST_TO_BOOL(FROM)
RT_FOR_NUM(RT_CAST_FROM_EACH)
RT_CAST_TO_FLOAT(f32, bool)
RT_CAST_TO_FLOAT(f64, bool)
static inline rt_bool rt_cast_bool_bool(rt_bool x) { return x; }

#define RT_CAST_INT_FROM_INTS(TO)                                                             \
  RT_CAST_INT_FROM_INT(TO, i8) RT_CAST_INT_FROM_INT(TO, i16) RT_CAST_INT_FROM_INT(TO, i32)    \
  RT_CAST_INT_FROM_INT(TO, i64) RT_CAST_INT_FROM_INT(TO, u8) RT_CAST_INT_FROM_INT(TO, u16)    \
  RT_CAST_INT_FROM_INT(TO, u32) RT_CAST_INT_FROM_INT(TO, u64) RT_CAST_INT_FROM_INT(TO, bool)
RT_FOR_INT(RT_CAST_INT_FROM_INTS)

/* The largest float below 2^63 / 2^64 keeps the comparison exact. */
#define RT_CAST_INT_FROM_FLOATS(TO, LO, HI)                                                   \
  RT_CAST_INT_FROM_FLOAT(TO, f32, LO, HI) RT_CAST_INT_FROM_FLOAT(TO, f64, LO, HI)
RT_CAST_INT_FROM_FLOATS(i8, INT8_MIN, INT8_MAX)
RT_CAST_INT_FROM_FLOATS(i16, INT16_MIN, INT16_MAX)
RT_CAST_INT_FROM_FLOATS(i32, INT32_MIN, INT32_MAX)
RT_CAST_INT_FROM_FLOATS(i64, INT64_MIN, 9223372036854774784.0)
RT_CAST_INT_FROM_FLOATS(u8, 0, UINT8_MAX)
RT_CAST_INT_FROM_FLOATS(u16, 0, UINT16_MAX)
RT_CAST_INT_FROM_FLOATS(u32, 0, UINT32_MAX)
RT_CAST_INT_FROM_FLOATS(u64, 0, 18446744073709549568.0)

/* ---- Pow: rt_pow_<base>_<exponent>, the result of the base's type (the
 * exponent may have any numeric type since opset 12). Floats compute in
 * double (float32 ** float32 in float); an integer base with a float
 * exponent too, converted back as Cast does. Integers raise by squaring and
 * wrap around; a negative exponent truncates 1 / x^-n toward zero. */
static inline rt_u64 rt_ipow_u64(rt_u64 x, rt_u64 n) {
  rt_u64 r = 1;
  for (; n; n >>= 1, x *= x)
    if (n & 1) r *= x;
  return r;
}
static inline rt_i64 rt_ipow_neg_i64(rt_i64 x, rt_i64 n) { /* n < 0 */
  return x == 1 ? 1 : x == -1 ? (n & 1 ? -1 : 1) : 0;
}
#define RT_POW_FLOAT(B, E)                                                                    \
  static inline rt_##B rt_pow_##B##_##E(rt_##B a, rt_##E b) {                                \
    return (rt_##B)pow((double)a, (double)b);                                                 \
  }
#define RT_POW_INT_FLOAT(B, E)                                                                \
  static inline rt_##B rt_pow_##B##_##E(rt_##B a, rt_##E b) {                                \
    return rt_cast_##B##_f64(pow((double)a, (double)b));                                      \
  }
#define RT_POW_INT_UINT(B, E)                                                                 \
  static inline rt_##B rt_pow_##B##_##E(rt_##B a, rt_##E b) {                                \
    return (rt_##B)rt_ipow_u64((rt_u64)a, (rt_u64)b);                                         \
  }
#define RT_POW_INT_SINT(B, E)                                                                 \
  static inline rt_##B rt_pow_##B##_##E(rt_##B a, rt_##E b) {                                \
    return b < 0 ? (rt_##B)rt_ipow_neg_i64(a, b) : (rt_##B)rt_ipow_u64((rt_u64)a, (rt_u64)b); \
  }
#define RT_POW_EXPONENTS(B, FL, SI, UI)                                                       \
  FL(B, f64) SI(B, i8) SI(B, i16) SI(B, i32) SI(B, i64) UI(B, u8) UI(B, u16) UI(B, u32)       \
  UI(B, u64)
static inline rt_f32 rt_pow_f32_f32(rt_f32 a, rt_f32 b) { return powf(a, b); }
RT_POW_EXPONENTS(f32, RT_POW_FLOAT, RT_POW_FLOAT, RT_POW_FLOAT)
RT_POW_FLOAT(f64, f32)
RT_POW_EXPONENTS(f64, RT_POW_FLOAT, RT_POW_FLOAT, RT_POW_FLOAT)
RT_POW_INT_FLOAT(i32, f32)
RT_POW_EXPONENTS(i32, RT_POW_INT_FLOAT, RT_POW_INT_SINT, RT_POW_INT_UINT)
RT_POW_INT_FLOAT(i64, f32)
RT_POW_EXPONENTS(i64, RT_POW_INT_FLOAT, RT_POW_INT_SINT, RT_POW_INT_UINT)

/* Shrink: x + bias below -lambd, x - bias above lambd, else 0. Computed in
 * double (exact for float32), converted back as Cast does (integers
 * saturate). */
#define RT_DEF_SHRINK(T)                                                                      \
  static inline rt_##T rt_shrink_##T(rt_##T x, float bias, float lambd) {                    \
    double v = (double)x;                                                                     \
    return v < -(double)lambd  ? rt_cast_##T##_f64(v + (double)bias)                          \
           : v > (double)lambd ? rt_cast_##T##_f64(v - (double)bias)                          \
                               : (rt_##T)0;                                                   \
  }
RT_FOR_NUM(RT_DEF_SHRINK)

/* ---- fused activations (epilogues of Conv, Gemm, MatMul; RT_ACT_* in
 * rt_kernels.h). */
static inline float rt_act_f32(float v, int64_t act, float alpha, float beta) {
  switch (act) {
  case 1: return rt_relu_f32(v);
  case 2: return rt_leaky_relu_f32(v, alpha);
  case 3: return rt_clip_f32(v, alpha, beta);
  case 4: return rt_sigmoid_f32(v);
  case 5: return rt_hard_sigmoid_f32(v, alpha, beta);
  case 6: return rt_hard_swish_f32(v);
  case 7: return rt_tanh_f32(v);
  case 8: return rt_gelu_f32(v);
  default: return v;
  }
}

/* ---- the narrow types (ONNX 17 to 26), one element per byte ----
 * float8 (e4m3fn 17, e4m3fnuz 18, e5m2 19, e5m2fnuz 20), float4e2m1 (23)
 * and float8e8m0 (24) are held as bit patterns; uint4 (21), int4 (22),
 * uint2 (25) and int2 (26) as uint8/int8 values. They convert through
 * double: to a narrow float rounds to nearest even; saturate clamps what
 * overflows (infinities included) to the largest finite value, else it
 * becomes infinity (e5m2) or NaN (the others); float4e2m1 always
 * saturates. float8e8m0 holds 2^(bits - 127) and rounds as its round mode
 * says (0 up, 1 down, 2 nearest, on the float32 value). To an integer type,
 * the value is truncated toward zero and wrapped to its bits, NaN giving 0. */
typedef struct RtNarrowFmt {
  int ebits, mbits, bias;
  int nan_code; /* -1: none (float4); 0x80: the UZ types; else with the sign */
  int has_inf;
  double max;
} RtNarrowFmt;

static inline RtNarrowFmt rt_narrow_fmt(int t) {
  RtNarrowFmt f;
  switch (t) {
  case 17: f.ebits = 4, f.mbits = 3, f.bias = 7, f.nan_code = 0x7f, f.has_inf = 0, f.max = 448; break;
  case 18: f.ebits = 4, f.mbits = 3, f.bias = 8, f.nan_code = 0x80, f.has_inf = 0, f.max = 240; break;
  case 19: f.ebits = 5, f.mbits = 2, f.bias = 15, f.nan_code = 0x7e, f.has_inf = 1, f.max = 57344; break;
  case 20: f.ebits = 5, f.mbits = 2, f.bias = 16, f.nan_code = 0x80, f.has_inf = 0, f.max = 57344; break;
  default: f.ebits = 2, f.mbits = 1, f.bias = 1, f.nan_code = -1, f.has_inf = 0, f.max = 6; break;
  }
  return f;
}

static inline int rt_narrow_is_int(int t) { return t == 21 || t == 22 || t == 25 || t == 26; }

static inline double rt_narrow_to_double(uint8_t b, int t) {
  RtNarrowFmt f;
  int sbit, e, m;
  double v;
  if (t == 22 || t == 26) return (double)(int8_t)b;
  if (t == 21 || t == 25) return (double)b;
  if (t == 24) return b == 0xff ? NAN : ldexp(1.0, (int)b - 127);
  f = rt_narrow_fmt(t);
  sbit = f.ebits + f.mbits;
  if (f.nan_code == 0x80 ? b == 0x80 : f.nan_code == 0x7f && (b & 0x7f) == 0x7f) return NAN;
  e = (b >> f.mbits) & ((1 << f.ebits) - 1);
  m = b & ((1 << f.mbits) - 1);
  if (f.has_inf && e == (1 << f.ebits) - 1) return m ? NAN : (b >> sbit & 1 ? -INFINITY : INFINITY);
  v = e ? ldexp((double)((1 << f.mbits) + m), e - f.bias - f.mbits)
        : ldexp((double)m, 1 - f.bias - f.mbits);
  return b >> sbit & 1 ? -v : v;
}

/* |v| rounded to a multiple of 2^q, ties to even. */
static inline double rt_round_pow2(double v, int q) {
  double s = ldexp(v, -q), fl = floor(s), r = s - fl;
  if (r > 0.5 || (r == 0.5 && fmod(fl, 2.0) != 0)) fl += 1;
  return ldexp(fl, q);
}

static inline uint8_t rt_e8m0_from_float(float x, int saturate, int round_mode) {
  uint32_t u;
  unsigned e;
  memcpy(&u, &x, 4);
  e = (u >> 23) & 0xff;
  if (e == 0xff) return 0xff;
  if (round_mode == 0 && (u & 0x7fffff)) e += !(saturate && e == 0xfe);
  if (round_mode == 2 && (u & 0x400000) && ((u & 0x3fffff) || e > 0))
    e += !(saturate && e == 0xfe);
  return (uint8_t)e;
}

static inline uint8_t rt_narrow_from_double(double v, int t, int saturate, int round_mode) {
  RtNarrowFmt f;
  int sbit, e, sign;
  double a, r;
  if (rt_narrow_is_int(t)) {
    int bits = t == 21 || t == 22 ? 4 : 2;
    int64_t i = v != v ? 0 : v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
    unsigned w = (unsigned)((uint64_t)i & ((1u << bits) - 1));
    if ((t == 22 || t == 26) && w >> (bits - 1)) return (uint8_t)(w | (0xffu << bits));
    return (uint8_t)w;
  }
  if (t == 24) return rt_e8m0_from_float((float)v, saturate, round_mode);
  f = rt_narrow_fmt(t);
  sbit = f.ebits + f.mbits;
  sign = signbit(v) ? 1 << sbit : 0;
  if (v != v) return (uint8_t)(f.nan_code < 0 ? sign : f.nan_code == 0x80 ? 0x80 : sign | f.nan_code);
  if (f.nan_code < 0) saturate = 1;
  a = fabs(v);
  if (a < ldexp(1.0, 1 - f.bias)) {
    r = rt_round_pow2(a, 1 - f.bias - f.mbits);
  } else {
    (void)frexp(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    r = isinf(a) ? a : rt_round_pow2(a, e - 1 - f.mbits);
  }
  if (r > f.max) {
    if (!saturate)
      return (uint8_t)(f.has_inf ? sign | 0x7c : f.nan_code == 0x80 ? 0x80 : sign | f.nan_code);
    r = f.max;
  }
  if (r == 0) return (uint8_t)(f.nan_code == 0x80 ? 0 : sign);
  (void)frexp(r, &e);
  e -= 1;
  if (e < 1 - f.bias) return (uint8_t)(sign | (int)ldexp(r, f.bias - 1 + f.mbits));
  return (uint8_t)(sign | (e + f.bias) << f.mbits | ((int)ldexp(r, f.mbits - e) - (1 << f.mbits)));
}

#endif /* RT_SCALAR_H */
