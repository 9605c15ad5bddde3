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
  static inline rt_##T rt_pow_##T(rt_##T a, rt_##T b) { return RT_F(T, pow)(a, b); }          \
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
  default: return v;
  }
}

#endif /* RT_SCALAR_H */
