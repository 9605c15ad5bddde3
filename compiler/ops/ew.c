/* ew.c - elementwise ops: one table row each.
 *
 * Their scalar semantics are runtime-mini's rt_<fn>_<type> functions
 * (rt_scalar.h); this file instantiates thunks for the reference executor,
 * infers NumPy-broadcast shapes, and tells the targets which function to call.
 */
#include <string.h>

#include "op.h"
#include "rt_scalar.h"

/* ---- thunks: one element of op F on type T ---- */
#define X(i, T) (*(const rt_##T *)x[i])
#define TH1(F, T) \
  static void th_##F##_##T(const void *const *x, void *y, const float *p) { \
    (void)p; *(rt_##T *)y = rt_##F##_##T(X(0, T)); }
#define TH1P1(F, T) \
  static void th_##F##_##T(const void *const *x, void *y, const float *p) { \
    *(rt_##T *)y = rt_##F##_##T(X(0, T), p[0]); }
#define TH1P2(F, T) \
  static void th_##F##_##T(const void *const *x, void *y, const float *p) { \
    *(rt_##T *)y = rt_##F##_##T(X(0, T), p[0], p[1]); }
#define TH1B(F, T) \
  static void th_##F##_##T(const void *const *x, void *y, const float *p) { \
    (void)p; *(rt_bool *)y = rt_##F##_##T(X(0, T)); }
#define TH2(F, T) \
  static void th_##F##_##T(const void *const *x, void *y, const float *p) { \
    (void)p; *(rt_##T *)y = rt_##F##_##T(X(0, T), X(1, T)); }
#define TH2B(F, T) \
  static void th_##F##_##T(const void *const *x, void *y, const float *p) { \
    (void)p; *(rt_bool *)y = rt_##F##_##T(X(0, T), X(1, T)); }
#define TH3(F, T) \
  static void th_##F##_##T(const void *const *x, void *y, const float *p) { \
    (void)p; *(rt_##T *)y = rt_##F##_##T(X(0, T), X(1, T), X(2, T)); }
#define TH3W(F, T) \
  static void th_##F##_##T(const void *const *x, void *y, const float *p) { \
    (void)p; *(rt_##T *)y = rt_##F##_##T(X(0, bool), X(1, T), X(2, T)); }

#define TH_POW(B, E)                                                                \
  static void th_pow_##B##_##E(const void *const *x, void *y, const float *p) {     \
    (void)p; *(rt_##B *)y = rt_pow_##B##_##E(X(0, B), X(1, E)); }

#define EACH_FLOAT(M, F) M(F, f32) M(F, f64)
#define EACH_SIGNED(M, F) EACH_FLOAT(M, F) M(F, i8) M(F, i16) M(F, i32) M(F, i64)
#define EACH_NUM(M, F) EACH_SIGNED(M, F) M(F, u8) M(F, u16) M(F, u32) M(F, u64)
#define EACH_ALL(M, F) EACH_NUM(M, F) M(F, bool)
#define EACH_INT(M, F) M(F, i8) M(F, i16) M(F, i32) M(F, i64) M(F, u8) M(F, u16) M(F, u32) M(F, u64)
#define EACH_BOOL(M, F) M(F, bool)

#define DTOK_f32 DT_F32
#define DTOK_f64 DT_F64
#define DTOK_i8 DT_I8
#define DTOK_i16 DT_I16
#define DTOK_i32 DT_I32
#define DTOK_i64 DT_I64
#define DTOK_u8 DT_U8
#define DTOK_u16 DT_U16
#define DTOK_u32 DT_U32
#define DTOK_u64 DT_U64
#define DTOK_bool DT_BOOL
#define ENTRY(F, T) [DTOK_##T] = th_##F##_##T,

/* Defines the thunks of F for a type class and its EwDef. */
#define EW_DEF(F, EACH, TH, TYPES, OUT, NP, P0, D0, P1, D1)                          \
  EACH(TH, F)                                                                      \
  static const EwDef EW_##F = {#F, TYPES, OUT, NP, {P0, P1}, {D0, D1}, {EACH(ENTRY, F)}};

EW_DEF(relu, EACH_SIGNED, TH1, EWT_SIGNED, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(neg, EACH_SIGNED, TH1, EWT_SIGNED, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(abs, EACH_NUM, TH1, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(sigmoid, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(tanh, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(erf, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(exp, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(log, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(sqrt, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(reciprocal, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(softplus, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(hard_swish, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(gelu, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(gelu_tanh, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(floor, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(ceil, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(leaky_relu, EACH_FLOAT, TH1P1, EWT_FLOAT, DT_UNDEF, 1, "alpha", 0.01f, NULL, 0)
EW_DEF(hard_sigmoid, EACH_FLOAT, TH1P2, EWT_FLOAT, DT_UNDEF, 2, "alpha", 0.2f, "beta", 0.5f)
EW_DEF(isnan, EACH_FLOAT, TH1B, EWT_FLOAT, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(isinf, EACH_FLOAT, TH1B, EWT_FLOAT, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(isposinf, EACH_FLOAT, TH1B, EWT_FLOAT, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(isneginf, EACH_FLOAT, TH1B, EWT_FLOAT, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(isinf_none, EACH_FLOAT, TH1B, EWT_FLOAT, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(sin, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(cos, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(tan, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(asin, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(acos, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(atan, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(sinh, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(cosh, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(asinh, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(acosh, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(atanh, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(round, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(sign, EACH_NUM, TH1, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(softsign, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(mish, EACH_FLOAT, TH1, EWT_FLOAT, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(swish, EACH_FLOAT, TH1P1, EWT_FLOAT, DT_UNDEF, 1, "alpha", 1.0f, NULL, 0)
EW_DEF(elu, EACH_FLOAT, TH1P1, EWT_FLOAT, DT_UNDEF, 1, "alpha", 1.0f, NULL, 0)
EW_DEF(celu, EACH_FLOAT, TH1P1, EWT_FLOAT, DT_UNDEF, 1, "alpha", 1.0f, NULL, 0)
EW_DEF(thresholded_relu, EACH_FLOAT, TH1P1, EWT_FLOAT, DT_UNDEF, 1, "alpha", 1.0f, NULL, 0)
EW_DEF(selu, EACH_FLOAT, TH1P2, EWT_FLOAT, DT_UNDEF, 2, "alpha", 1.67326319217681884765625f,
       "gamma", 1.05070102214813232421875f)
EW_DEF(shrink, EACH_NUM, TH1P2, EWT_NUM, DT_UNDEF, 2, "bias", 0.0f, "lambd", 0.5f)
EW_DEF(bitwise_not, EACH_INT, TH1, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(not, EACH_BOOL, TH1, EWT_BOOL, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(identity, EACH_ALL, TH1, EWT_ALL, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(add, EACH_NUM, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(sub, EACH_NUM, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(mul, EACH_NUM, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(div, EACH_NUM, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(max, EACH_NUM, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(min, EACH_NUM, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(mod, EACH_NUM, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(fmod, EACH_NUM, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(bitwise_and, EACH_INT, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(bitwise_or, EACH_INT, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(bitwise_xor, EACH_INT, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(shift_left, EACH_INT, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(shift_right, EACH_INT, TH2, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(prelu, EACH_SIGNED, TH2, EWT_SIGNED, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(and, EACH_BOOL, TH2, EWT_BOOL, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(or, EACH_BOOL, TH2, EWT_BOOL, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(xor, EACH_BOOL, TH2, EWT_BOOL, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(equal, EACH_ALL, TH2B, EWT_ALL, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(less, EACH_NUM, TH2B, EWT_NUM, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(greater, EACH_NUM, TH2B, EWT_NUM, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(less_or_equal, EACH_NUM, TH2B, EWT_NUM, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(greater_or_equal, EACH_NUM, TH2B, EWT_NUM, DT_BOOL, 0, NULL, 0, NULL, 0)
EW_DEF(clip, EACH_NUM, TH3, EWT_NUM, DT_UNDEF, 0, NULL, 0, NULL, 0)
EW_DEF(where, EACH_ALL, TH3W, EWT_ALL, DT_UNDEF, 0, NULL, 0, NULL, 0)

/* Cast: one EwDef per target type; rt_cast_<to>_<from>. */
#define TH_CAST(TO, FROM)                                                          \
  static void th_cast_##TO##_##FROM(const void *const *x, void *y, const float *p) { \
    (void)p; *(rt_##TO *)y = rt_cast_##TO##_##FROM(X(0, FROM)); }
#define ENTRY_CAST(TO, FROM) [DTOK_##FROM] = th_cast_##TO##_##FROM,
/* The inner loop over source types needs its own list: a macro cannot expand
 * inside its own expansion. */
#define EACH_FROM(M, TO)                                                            \
  M(TO, f32) M(TO, f64) M(TO, i8) M(TO, i16) M(TO, i32) M(TO, i64) M(TO, u8) M(TO, u16) \
  M(TO, u32) M(TO, u64) M(TO, bool)
#define CAST_DEF(TO)                                                               \
  EACH_FROM(TH_CAST, TO)                                                           \
  static const EwDef EW_cast_##TO = {"cast_" #TO, EWT_ALL, DTOK_##TO, 0, {0}, {0}, \
                                     {EACH_FROM(ENTRY_CAST, TO)}};
#define CAST_DEFS(M, F) CAST_DEF(F)
EACH_ALL(CAST_DEFS, unused)

/* Pow: one EwDef per base type, its thunks by exponent type;
 * rt_pow_<base>_<exponent>, the result of the base's type. */
#define EACH_FROM_NUM(M, B)                                                         \
  M(B, f32) M(B, f64) M(B, i8) M(B, i16) M(B, i32) M(B, i64) M(B, u8) M(B, u16) M(B, u32) \
  M(B, u64)
#define ENTRY_POW(B, E) [DTOK_##E] = th_pow_##B##_##E,
#define POW_DEF(B)                                                                 \
  EACH_FROM_NUM(TH_POW, B)                                                         \
  static const EwDef EW_pow_##B = {"pow_" #B, EWT_NUM, DTOK_##B, 0, {0}, {0},      \
                                   {EACH_FROM_NUM(ENTRY_POW, B)}};
#define EACH_POW_BASE(M) M(f32) M(f64) M(i32) M(i64)
EACH_POW_BASE(POW_DEF)

/* ---- inference ---- */

static int type_ok(EwTypes t, DType d) {
  switch (t) {
  case EWT_FLOAT: return d == DT_F32 || d == DT_F64;
  case EWT_SIGNED:
    return d == DT_F32 || d == DT_F64 || d == DT_I8 || d == DT_I16 || d == DT_I32 || d == DT_I64;
  case EWT_NUM: return dtype_is_int(d) || d == DT_F32 || d == DT_F64;
  case EWT_ALL: return dtype_is_int(d) || d == DT_F32 || d == DT_F64 || d == DT_BOOL;
  case EWT_BOOL: return d == DT_BOOL;
  }
  return 0;
}

/* Checks operand types: all data operands share one type (Where's condition
 * is bool). */
static int ew_check_types(OpCtx *c, const EwDef *ew, int first, int nops) {
  IrValue *ref = op_in(c, first + nops - 1);
  if (!ref) return op_invalid(c, "input %d is missing", first + nops - 1);
  for (int i = first; i < first + nops; i++) {
    IrValue *v = op_in(c, i);
    if (!v) return op_invalid(c, "input %d is missing", i);
    if (v->dtype != ref->dtype)
      return op_invalid(c, "inputs '%s' (%s) and '%s' (%s) must have the same type", v->name,
                        dtype_name(v->dtype), ref->name, dtype_name(ref->dtype));
  }
  if (!type_ok(ew->types, ref->dtype) || !ew->thunk[ref->dtype])
    return op_unsupported(c, "type %s is not supported by %s", dtype_name(ref->dtype),
                          c->n->op_type);
  return 0;
}

static int ew_infer_ops(OpCtx *c, int first, int nops) {
  const EwDef *ew = c->n->op->ew;
  if (ew_check_types(c, ew, first, nops)) return -1;
  int idx[3], rank;
  int64_t dims[IR_MAX_RANK];
  for (int i = 0; i < nops; i++) idx[i] = first + i;
  if (op_broadcast(c, idx, nops, &rank, dims)) return -1;
  DType t = op_in(c, first + nops - 1)->dtype;
  op_set_out(c, 0, ew->out != DT_UNDEF ? ew->out : t, rank, dims);
  return 0;
}

static int infer_ew(OpCtx *c) { return ew_infer_ops(c, 0, c->n->nin); }

/* Equal: strings go to their own kernel (strings.c). */
static int infer_equal(OpCtx *c) {
  if (op_in(c, 0)->dtype == DT_STRING || op_in(c, 1)->dtype == DT_STRING) {
    c->n->op = &OP_STRING_EQUAL;
    return OP_STRING_EQUAL.infer(c);
  }
  return infer_ew(c);
}

static int infer_where(OpCtx *c) {
  IrValue *cond = op_in(c, 0);
  if (cond->dtype != DT_BOOL)
    return op_invalid(c, "condition '%s' must be bool, got %s", cond->name,
                      dtype_name(cond->dtype));
  if (ew_check_types(c, c->n->op->ew, 1, 2)) return -1;
  int idx[3] = {0, 1, 2}, rank;
  int64_t dims[IR_MAX_RANK];
  if (op_broadcast(c, idx, 3, &rank, dims)) return -1;
  op_set_out(c, 0, op_in(c, 1)->dtype, rank, dims);
  return 0;
}

/* PRelu: slope broadcasts to X (unidirectionally). */
static int infer_prelu(OpCtx *c) {
  if (ew_infer_ops(c, 0, 2)) return -1;
  if (!ir_same_shape(op_out(c, 0), op_in(c, 0)))
    return op_invalid(c, "slope '%s' must broadcast to the shape of X", op_in(c, 1)->name);
  return 0;
}

static const OpDef OP_GELU_TANH, OP_FMOD;

static int infer_gelu(OpCtx *c) {
  int ok = 1;
  const char *approx = op_attr_str(c, "approximate", "none", &ok);
  if (!ok) return -1;
  if (strcmp(approx, "tanh") == 0)
    c->n->op = &OP_GELU_TANH;
  else if (strcmp(approx, "none") != 0)
    return op_invalid(c, "approximate must be 'none' or 'tanh', got '%s'", approx);
  return infer_ew(c);
}

/* Gives a node a constant scalar as input i (growing its input list): the
 * lowest (upper = 0) or highest value of type t, infinities for floats. */
static void set_bound_input(OpCtx *c, int i, DType t, int upper) {
  IrNode *n = c->n;
  if (i >= n->nin) {
    n->in = xrealloc(n->in, sizeof(int) * (size_t)(i + 1));
    for (int k = n->nin; k <= i; k++) n->in[k] = -1;
    n->nin = i + 1;
  }
  void *d = op_alloc(c->g, 8);
  switch (t) {
  case DT_F32: *(float *)d = upper ? INFINITY : -INFINITY; break;
  case DT_F64: *(double *)d = upper ? INFINITY : -INFINITY; break;
  case DT_I8: *(int8_t *)d = upper ? INT8_MAX : INT8_MIN; break;
  case DT_I16: *(int16_t *)d = upper ? INT16_MAX : INT16_MIN; break;
  case DT_I32: *(int32_t *)d = upper ? INT32_MAX : INT32_MIN; break;
  case DT_I64: *(int64_t *)d = upper ? INT64_MAX : INT64_MIN; break;
  case DT_U8: *(uint8_t *)d = upper ? UINT8_MAX : 0; break;
  case DT_U16: *(uint16_t *)d = upper ? UINT16_MAX : 0; break;
  case DT_U32: *(uint32_t *)d = upper ? UINT32_MAX : 0; break;
  case DT_U64: *(uint64_t *)d = upper ? UINT64_MAX : 0; break;
  default: BUG("bound of type %s", dtype_name(t));
  }
  n->in[i] = ir_add_const(c->g, upper ? "clip_max" : "clip_min", t, 0, NULL, d);
}

/* A float scalar constant as input i. */
static void set_float_input(OpCtx *c, int i, DType t, float v) {
  set_bound_input(c, i, t, 0);
  IrValue *b = op_in(c, i);
  if (t == DT_F32)
    *(float *)b->data = v;
  else
    *(double *)b->data = v;
}

/* Mod: fmod = 1 is C's remainder, fmod = 0 Python's (sign of the divisor). */
static int infer_mod(OpCtx *c) {
  int ok = 1;
  int64_t fmod = op_attr_int(c, "fmod", 0, &ok);
  if (!ok) return -1;
  if (fmod) c->n->op = &OP_FMOD;
  return infer_ew(c);
}

/* Clip: min and max are attributes before opset 11, optional inputs after.
 * Absent bounds become +-inf constants so the kernel always has three. */
static int infer_clip(OpCtx *c) {
  DType t = op_in(c, 0)->dtype; /* adding bounds moves the values: keep no pointers */
  if (t == DT_BOOL || !c->n->op->ew->thunk[t])
    return op_unsupported(c, "type %s is not supported by Clip", dtype_name(t));
  if (c->opset < 11) {
    int ok = 1;
    float lo = op_attr_float(c, "min", -INFINITY, &ok);
    float hi = op_attr_float(c, "max", INFINITY, &ok);
    if (!ok) return -1;
    if (t != DT_F32 && t != DT_F64)
      return op_unsupported(c, "type %s is not supported by Clip-6", dtype_name(t));
    c->n->nin = 1;
    set_float_input(c, 1, t, lo);
    set_float_input(c, 2, t, hi);
  } else {
    for (int i = 1; i <= 2; i++)
      if (!op_has_in(c, i)) set_bound_input(c, i, t, i == 2);
  }
  for (int i = 1; i <= 2; i++)
    if (op_in(c, i)->rank > 0 && ir_numel(op_in(c, i)) != 1)
      return op_invalid(c, "bound '%s' must be a scalar", op_in(c, i)->name);
  if (ew_check_types(c, c->n->op->ew, 0, 3)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

/* Max, Min and Sum of one input are Identity (legalize.c splits the longer
 * ones into two-input chains). */
static int infer_variadic(OpCtx *c) {
  if (c->n->nin == 2) return infer_ew(c);
  c->n->op = op_find("", "Identity");
  return c->n->op->infer(c);
}

/* Mean of one input (after legalize.c: a Sum) divided by the count. */
static int infer_mean(OpCtx *c) {
  int ok = 1;
  int64_t count = op_attr_int(c, "_count", 1, &ok);
  DType t = op_in(c, 0)->dtype;
  if (!ok) return -1;
  if (t != DT_F32 && t != DT_F64)
    return op_unsupported(c, "type %s is not supported by Mean", dtype_name(t));
  set_float_input(c, 1, t, (float)count);
  c->n->op = op_find("", "Div");
  return infer_ew(c);
}

/* Expand: input 0 broadcast with the shape given by input 1. */
static int infer_expand(OpCtx *c) {
  int64_t shape[IR_MAX_RANK];
  int n = op_const_ints(c, 1, shape, IR_MAX_RANK);
  if (n < 0) return -1;
  IrValue *x = op_in(c, 0);
  int rank = MAX(n, x->rank);
  int64_t dims[IR_MAX_RANK];
  for (int i = 0; i < rank; i++) {
    int64_t a = i - (rank - x->rank) >= 0 ? x->dims[i - (rank - x->rank)] : 1;
    int64_t b = i - (rank - n) >= 0 ? shape[i - (rank - n)] : 1;
    if (a != b && a != 1 && b != 1)
      return op_invalid(c, "input '%s' does not broadcast to the requested shape", x->name);
    dims[i] = a == 1 ? b : a;
  }
  op_set_out(c, 0, x->dtype, rank, dims);
  return 0;
}

static int infer_cast(OpCtx *c);
static int infer_pow(OpCtx *c);

#define EW_OP(NAME, SINCE, NIN_MIN, NIN_MAX, EW, INFER) \
  {NAME, "", SINCE, NIN_MIN, NIN_MAX, 1, 1, OPL_EW, 0, INFER, NULL, &EW_##EW}

static const OpDef OP_GELU_TANH = EW_OP("Gelu", 20, 1, 1, gelu_tanh, infer_ew);
static const OpDef OP_FMOD = EW_OP("Mod", 10, 2, 2, fmod, infer_ew);
static const OpDef OP_ISPOSINF = EW_OP("IsInf", 10, 1, 1, isposinf, infer_ew);
static const OpDef OP_ISNEGINF = EW_OP("IsInf", 10, 1, 1, isneginf, infer_ew);
static const OpDef OP_ISINF_NONE = EW_OP("IsInf", 10, 1, 1, isinf_none, infer_ew);
static const OpDef OP_SHIFT_RIGHT = EW_OP("BitShift", 11, 2, 2, shift_right, infer_ew);

/* IsInf: detect_positive and detect_negative pick one of four functions. */
static int infer_isinf(OpCtx *c) {
  int ok = 1;
  int64_t pos = op_attr_int(c, "detect_positive", 1, &ok);
  int64_t neg = op_attr_int(c, "detect_negative", 1, &ok);
  if (!ok) return -1;
  if (!pos && !neg)
    c->n->op = &OP_ISINF_NONE;
  else if (!neg)
    c->n->op = &OP_ISPOSINF;
  else if (!pos)
    c->n->op = &OP_ISNEGINF;
  return infer_ew(c);
}

/* BitShift: direction LEFT or RIGHT (required). */
static int infer_bitshift(OpCtx *c) {
  int ok = 1;
  const char *dir = op_attr_str(c, "direction", NULL, &ok);
  if (!ok) return -1;
  if (!dir) return op_invalid(c, "attribute 'direction' is required");
  if (strcmp(dir, "RIGHT") == 0)
    c->n->op = &OP_SHIFT_RIGHT;
  else if (strcmp(dir, "LEFT") != 0)
    return op_invalid(c, "direction must be 'LEFT' or 'RIGHT', got '%s'", dir);
  return infer_ew(c);
}

#define POW_OP(B) [DTOK_##B] = EW_OP("Pow", 7, 2, 2, pow_##B, infer_pow),
static const OpDef OP_POW_OF[DT_COUNT_] = {EACH_POW_BASE(POW_OP)};

/* Pow: since opset 12 the exponent may have any numeric type; the result
 * has the base's. */
static int infer_pow(OpCtx *c) {
  IrValue *x = op_in(c, 0), *e = op_in(c, 1);
  if ((unsigned)x->dtype >= DT_COUNT_ || !OP_POW_OF[x->dtype].name)
    return op_unsupported(c, "Pow of a %s base is not supported", dtype_name(x->dtype));
  c->n->op = &OP_POW_OF[x->dtype];
  if ((unsigned)e->dtype >= DT_COUNT_ || !c->n->op->ew->thunk[e->dtype])
    return op_unsupported(c, "Pow with a %s exponent is not supported", dtype_name(e->dtype));
  int idx[2] = {0, 1}, rank;
  int64_t dims[IR_MAX_RANK];
  if (op_broadcast(c, idx, 2, &rank, dims)) return -1;
  op_set_out(c, 0, x->dtype, rank, dims);
  return 0;
}

#define CAST_OP(M, T) [DTOK_##T] = EW_OP("Cast", 6, 1, 1, cast_##T, infer_cast),
static const OpDef OP_CAST_TO[DT_COUNT_] = {EACH_ALL(CAST_OP, unused)};

static int infer_cast(OpCtx *c) {
  int ok = 1;
  int64_t to = op_attr_int(c, "to", 0, &ok);
  if (!ok) return -1;
  if (!ir_attr(c->n, "to")) return op_invalid(c, "attribute 'to' is required");
  if (to <= 0 || to >= DT_COUNT_ || !OP_CAST_TO[to].name)
    return op_unsupported(c, "Cast to type %lld (%s) is not supported", (long long)to,
                          dtype_is_known((int)to) ? dtype_name((DType)to) : "unknown");
  c->n->op = &OP_CAST_TO[to];
  return infer_ew(c);
}

/* CastLike: Cast to the type of input 1. */
static int infer_cast_like(OpCtx *c) {
  DType to = op_in(c, 1)->dtype;
  if (to <= 0 || to >= DT_COUNT_ || !OP_CAST_TO[to].name)
    return op_unsupported(c, "CastLike to %s is not supported", dtype_name(to));
  c->n->op = &OP_CAST_TO[to];
  c->n->nin = 1;
  return infer_ew(c);
}

const OpDef OPS_EW[] = {
    EW_OP("Relu", 1, 1, 1, relu, infer_ew),
    EW_OP("Neg", 1, 1, 1, neg, infer_ew),
    EW_OP("Abs", 1, 1, 1, abs, infer_ew),
    EW_OP("Sigmoid", 1, 1, 1, sigmoid, infer_ew),
    EW_OP("Tanh", 1, 1, 1, tanh, infer_ew),
    EW_OP("Erf", 9, 1, 1, erf, infer_ew),
    EW_OP("Exp", 1, 1, 1, exp, infer_ew),
    EW_OP("Log", 1, 1, 1, log, infer_ew),
    EW_OP("Sqrt", 1, 1, 1, sqrt, infer_ew),
    EW_OP("Reciprocal", 1, 1, 1, reciprocal, infer_ew),
    EW_OP("Softplus", 1, 1, 1, softplus, infer_ew),
    EW_OP("HardSwish", 14, 1, 1, hard_swish, infer_ew),
    EW_OP("Gelu", 20, 1, 1, gelu, infer_gelu),
    EW_OP("Floor", 1, 1, 1, floor, infer_ew),
    EW_OP("Ceil", 1, 1, 1, ceil, infer_ew),
    EW_OP("LeakyRelu", 1, 1, 1, leaky_relu, infer_ew),
    EW_OP("HardSigmoid", 1, 1, 1, hard_sigmoid, infer_ew),
    EW_OP("Not", 1, 1, 1, not, infer_ew),
    EW_OP("IsNaN", 9, 1, 1, isnan, infer_ew),
    EW_OP("IsInf", 10, 1, 1, isinf, infer_isinf),
    EW_OP("Sin", 7, 1, 1, sin, infer_ew),
    EW_OP("Cos", 7, 1, 1, cos, infer_ew),
    EW_OP("Tan", 7, 1, 1, tan, infer_ew),
    EW_OP("Asin", 7, 1, 1, asin, infer_ew),
    EW_OP("Acos", 7, 1, 1, acos, infer_ew),
    EW_OP("Atan", 7, 1, 1, atan, infer_ew),
    EW_OP("Sinh", 9, 1, 1, sinh, infer_ew),
    EW_OP("Cosh", 9, 1, 1, cosh, infer_ew),
    EW_OP("Asinh", 9, 1, 1, asinh, infer_ew),
    EW_OP("Acosh", 9, 1, 1, acosh, infer_ew),
    EW_OP("Atanh", 9, 1, 1, atanh, infer_ew),
    EW_OP("Round", 11, 1, 1, round, infer_ew),
    EW_OP("Sign", 9, 1, 1, sign, infer_ew),
    EW_OP("Softsign", 1, 1, 1, softsign, infer_ew),
    EW_OP("Mish", 18, 1, 1, mish, infer_ew),
    EW_OP("Swish", 24, 1, 1, swish, infer_ew),
    EW_OP("Elu", 6, 1, 1, elu, infer_ew),
    EW_OP("Celu", 12, 1, 1, celu, infer_ew),
    EW_OP("Selu", 6, 1, 1, selu, infer_ew),
    EW_OP("ThresholdedRelu", 10, 1, 1, thresholded_relu, infer_ew),
    EW_OP("Shrink", 9, 1, 1, shrink, infer_ew),
    EW_OP("BitwiseNot", 18, 1, 1, bitwise_not, infer_ew),
    EW_OP("BitwiseAnd", 18, 2, 2, bitwise_and, infer_ew),
    EW_OP("BitwiseOr", 18, 2, 2, bitwise_or, infer_ew),
    EW_OP("BitwiseXor", 18, 2, 2, bitwise_xor, infer_ew),
    EW_OP("BitShift", 11, 2, 2, shift_left, infer_bitshift),
    EW_OP("Add", 7, 2, 2, add, infer_ew),
    EW_OP("Sub", 7, 2, 2, sub, infer_ew),
    EW_OP("Mul", 7, 2, 2, mul, infer_ew),
    EW_OP("Div", 7, 2, 2, div, infer_ew),
    EW_OP("Pow", 7, 2, 2, pow_f32, infer_pow),
    EW_OP("Mod", 10, 2, 2, mod, infer_mod),
    EW_OP("Max", 8, 1, 2, max, infer_variadic),
    EW_OP("Min", 8, 1, 2, min, infer_variadic),
    EW_OP("Sum", 8, 1, 2, add, infer_variadic),
    EW_OP("Mean", 8, 1, 1, add, infer_mean),
    EW_OP("PRelu", 7, 2, 2, prelu, infer_prelu),
    EW_OP("And", 7, 2, 2, and, infer_ew),
    EW_OP("Or", 7, 2, 2, or, infer_ew),
    EW_OP("Xor", 7, 2, 2, xor, infer_ew),
    EW_OP("Equal", 7, 2, 2, equal, infer_equal),
    EW_OP("Less", 7, 2, 2, less, infer_ew),
    EW_OP("Greater", 7, 2, 2, greater, infer_ew),
    EW_OP("LessOrEqual", 12, 2, 2, less_or_equal, infer_ew),
    EW_OP("GreaterOrEqual", 12, 2, 2, greater_or_equal, infer_ew),
    EW_OP("Clip", 6, 1, 3, clip, infer_clip),
    EW_OP("Where", 9, 3, 3, where, infer_where),
    EW_OP("Expand", 8, 2, 2, identity, infer_expand),
    EW_OP("Cast", 6, 1, 1, cast_f32, infer_cast),
    EW_OP("CastLike", 15, 2, 2, cast_f32, infer_cast_like),
    {NULL},
};

/* Elementwise operands of a node: Expand's shape input is not one. */
int ew_nops(const IrNode *n) { return n->op->ew == &EW_identity ? 1 : n->nin; }

/* The float attributes of an elementwise node, in the EwDef's order. */
int ew_params(OpCtx *c, float *p) {
  const EwDef *ew = c->n->op->ew;
  int ok = 1;
  for (int i = 0; i < ew->nparams; i++) p[i] = op_attr_float(c, ew->param[i], ew->dflt[i], &ok);
  return ok ? 0 : -1;
}
