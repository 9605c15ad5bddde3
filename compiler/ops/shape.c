/* shape.c - ops that only move shapes around: views (Reshape, Flatten,
 * Squeeze, Unsqueeze, Identity, Dropout) and compile-time-only ops (Shape,
 * Size, Constant, ConstantOfShape, Range). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"
#include "rt_kernels.h"
#include "op.h"

KERNEL_DEF(K_DROPOUT, rt_dropout, "misc.c", RtDropout, 5, KA(0), KA(1), KA(2), KA(3), KA(4));

static int infer_identity(OpCtx *c) {
  op_same_as(c, 0, 0);
  return 0;
}

/* ---- Dropout. Before opset 12, and from 12 when training_mode is absent
 * or a constant false, it is Identity (a view, which the identity pass
 * removes) with a mask of ones (bool; of X's type before opset 10); in
 * training mode with a constant ratio of 0 too. Otherwise (training_mode
 * true, or known only at run time) expand_dropout makes the node the
 * internal op gpuxc.DropoutTraining, a kernel that drops elements at
 * random (misc.c): with the seed attribute, or without it a seed made of
 * the node's name, so every run of a build draws the same mask. */

/* A float input (any float type) that is a constant scalar, into *v. */
static int const_float_scalar(const IrValue *x, double *v) {
  if (!(x->flags & VF_CONST) || ir_numel(x) != 1) return 0;
  switch (x->dtype) {
  case DT_F32: *v = *(const float *)x->data; return 1;
  case DT_F64: *v = *(const double *)x->data; return 1;
  case DT_F16:
  case DT_BF16: {
    RtConvert p = {1, x->dtype, DT_F64, 1, 0};
    rt_convert(&p, x->data, v);
    return 1;
  }
  default: return 0;
  }
}

/* Checks ratio (input 1) and training_mode (input 2) of opset 12+. */
static int dropout_inputs(OpCtx *c) {
  IrValue *r = op_in(c, 1), *t = op_in(c, 2);
  double ratio;
  if (r && (!dtype_is_float(r->dtype) || ir_numel(r) != 1))
    return op_invalid(c, "ratio '%s' must be a float scalar", r->name);
  if (r && const_float_scalar(r, &ratio) && !(ratio >= 0 && ratio < 1))
    return op_invalid(c, "ratio is %g; it must be in [0, 1)", ratio);
  if (t && (t->dtype != DT_BOOL || ir_numel(t) != 1))
    return op_invalid(c, "training_mode '%s' must be a bool scalar", t->name);
  return 0;
}

/* 1 if the node drops at random (see above), 0 if it is Identity. */
static int dropout_trains(OpCtx *c) {
  IrValue *r = op_in(c, 1), *t = op_in(c, 2);
  double ratio = 0.5;
  if (c->opset < 12 || !t) return 0;
  if (!(t->flags & VF_CONST)) return 1;
  if (!*(const uint8_t *)t->data) return 0;
  return r && !const_float_scalar(r, &ratio) ? 1 : ratio != 0;
}

static int infer_dropout_train(OpCtx *c);
static int lower_dropout_train(OpCtx *c, KList *l);
static const OpDef OP_DROPOUT_TRAIN = {
    "Dropout", "", 12, 1, 3, 1, 2, OPL_KERNEL, 0, infer_dropout_train, lower_dropout_train};

static int expand_dropout(OpCtx *c, int pos) {
  (void)pos;
  if (c->opset < 12) return 0;
  if (dropout_inputs(c)) return -1;
  if (!dropout_trains(c)) return 0;
  c->n->op = &OP_DROPOUT_TRAIN;
  c->n->op_type = "DropoutTraining";
  c->n->domain = "gpuxc";
  return 1;
}

/* The bytes of 1 in float type t (Dropout's mask before opset 10). */
static int float_one(DType t, unsigned char *one) {
  static const float f32 = 1.0f;
  static const double f64 = 1.0;
  static const uint16_t f16 = 0x3C00, bf16 = 0x3F80;
  const void *v = t == DT_F32    ? (const void *)&f32
                  : t == DT_F64  ? (const void *)&f64
                  : t == DT_F16  ? (const void *)&f16
                  : t == DT_BF16 ? (const void *)&bf16
                                 : NULL;
  if (v) memcpy(one, v, dtype_size(t));
  return v != NULL;
}

static int infer_dropout(OpCtx *c) {
  IrValue *x = op_in(c, 0), *mask = op_out(c, 1);
  if (c->opset >= 12 && dropout_inputs(c)) return -1;
  op_same_as(c, 0, 0);
  if (!mask) return 0;
  DType t = c->opset < 10 ? x->dtype : DT_BOOL;
  unsigned char one[8] = {1};
  if (t != DT_BOOL && !float_one(t, one))
    return op_invalid(c, "X '%s' has type %s; Dropout takes float types", x->name, dtype_name(t));
  ir_set_shape(mask, t, x->rank, x->dims);
  void *d = op_alloc(c->g, ir_numel(x) ? (size_t)ir_bytes(mask) : 1);
  RtFill p = {ir_numel(x), (int64_t)dtype_size(t)};
  rt_fill(&p, one, d);
  mask->data = d;
  mask->flags |= VF_CONST;
  return 0;
}

/* Its inputs as the kernel takes them: 16-bit floats arrive as float32. */
static int infer_dropout_train(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  op_attr_int(c, "seed", 0, &ok);
  if (!ok || dropout_inputs(c)) return -1;
  if (x->dtype != DT_F32 && x->dtype != DT_F64)
    return op_invalid(c, "X '%s' has type %s; Dropout takes float types", x->name,
                      dtype_name(x->dtype));
  op_same_as(c, 0, 0);
  if (op_out(c, 1)) op_set_out(c, 1, DT_BOOL, x->rank, x->dims);
  return 0;
}

/* FNV-1a of the node's name: the seed when the model gives none. */
static int64_t name_seed(const char *s) {
  uint64_t h = UINT64_C(0xCBF29CE484222325);
  for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001B3);
  return (int64_t)(h >> 1);
}

static int lower_dropout_train(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *r = op_in(c, 1);
  int ok = 1;
  int64_t seed = op_attr_int(c, "seed", 0, &ok);
  if (!ok) return -1;
  if (!ir_attr(c->n, "seed")) seed = name_seed(c->n->name);
  if (!ir_numel(x)) return 0;
  KCall *k = kl_call(l, &K_DROPOUT);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "f64", x->dtype == DT_F64);
  kc_i(k, "ratio_f64", r && r->dtype == DT_F64);
  kc_i(k, "seed", seed);
  kc_f(k, "ratio", 0.5f);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, r ? c->n->in[1] : KC_NULL);
  kc_arg(k, c->n->in[2]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, op_out(c, 1) ? c->n->out[1] : KC_NULL);
  kc_end(k);
  return 0;
}

static int set_view(OpCtx *c, int rank, const int64_t *dims) {
  IrValue *x = op_in(c, 0);
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  if (n != ir_numel(x)) {
    char b[128];
    return op_invalid(c, "cannot reshape '%s' %s (%lld elements) to %lld elements", x->name,
                      ir_shape_str(x, b, sizeof b), (long long)ir_numel(x), (long long)n);
  }
  op_set_out(c, 0, x->dtype, rank, dims);
  return 0;
}

static int infer_reshape(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  int64_t shape[IR_MAX_RANK];
  int n = op_const_ints(c, 1, shape, IR_MAX_RANK);
  if (n < 0) return n == -1 ? op_invalid(c, "the shape input is missing") : -1;
  int ok = 1;
  int64_t allowzero = op_attr_int(c, "allowzero", 0, &ok);
  if (!ok) return -1;
  int infer_at = -1;
  int64_t known = 1;
  for (int i = 0; i < n; i++) {
    if (shape[i] == 0 && !allowzero) {
      if (i >= x->rank) return op_invalid(c, "shape[%d] = 0 copies a dim X does not have", i);
      shape[i] = x->dims[i];
    }
    if (shape[i] == -1) {
      if (infer_at >= 0) return op_invalid(c, "shape has more than one -1");
      infer_at = i;
    } else if (shape[i] < 0) {
      return op_invalid(c, "shape[%d] = %lld is invalid", i, (long long)shape[i]);
    } else {
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    if (known == 0 || ir_numel(x) % known)
      return op_invalid(c, "cannot infer the -1 dim: %lld elements into blocks of %lld",
                        (long long)ir_numel(x), (long long)known);
    shape[infer_at] = ir_numel(x) / known;
  }
  return set_view(c, n, shape);
}

static int infer_flatten(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t axis = op_attr_int(c, "axis", 1, &ok);
  if (!ok) return -1;
  if (axis < -x->rank || axis > x->rank)
    return op_invalid(c, "axis %lld is out of range for rank %d", (long long)axis, x->rank);
  if (axis < 0) axis += x->rank;
  int64_t dims[2] = {1, 1};
  for (int i = 0; i < x->rank; i++) dims[i >= axis] *= x->dims[i];
  return set_view(c, 2, dims);
}

/* Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input after. */
static int read_axes(OpCtx *c, int64_t *axes) {
  if (c->opset >= 13) return op_const_ints(c, 1, axes, IR_MAX_RANK);
  return op_attr_ints(c, "axes", axes, IR_MAX_RANK);
}

static int infer_squeeze(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  int64_t axes[IR_MAX_RANK];
  int n = read_axes(c, axes);
  if (n == -2) return -1;
  int drop[IR_MAX_RANK] = {0};
  for (int i = 0; i < x->rank; i++) drop[i] = n < 0 && x->dims[i] == 1;
  for (int i = 0; i < n; i++) {
    int a = op_axis(c, axes[i], x->rank, "axis");
    if (a < 0) return -1;
    if (x->dims[a] != 1)
      return op_invalid(c, "cannot squeeze axis %d of '%s': its size is %lld", a, x->name,
                        (long long)x->dims[a]);
    drop[a] = 1;
  }
  int64_t dims[IR_MAX_RANK];
  int r = 0;
  for (int i = 0; i < x->rank; i++)
    if (!drop[i]) dims[r++] = x->dims[i];
  return set_view(c, r, dims);
}

static int infer_unsqueeze(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  int64_t axes[IR_MAX_RANK];
  int n = read_axes(c, axes);
  if (n < 0) return n == -1 ? op_invalid(c, "axes are required") : -1;
  int rank = x->rank + n;
  if (rank > IR_MAX_RANK) return op_unsupported(c, "rank %d is over %d", rank, IR_MAX_RANK);
  int add[IR_MAX_RANK] = {0};
  for (int i = 0; i < n; i++) {
    int a = op_axis(c, axes[i], rank, "axis");
    if (a < 0) return -1;
    if (add[a]) return op_invalid(c, "axis %lld is listed twice", (long long)axes[i]);
    add[a] = 1;
  }
  int64_t dims[IR_MAX_RANK];
  for (int i = 0, j = 0; i < rank; i++) dims[i] = add[i] ? 1 : x->dims[j++];
  return set_view(c, rank, dims);
}

/* ---- compile-time only ---- */

static int infer_shape(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t start = op_attr_int(c, "start", 0, &ok), end = op_attr_int(c, "end", x->rank, &ok);
  if (!ok) return -1;
  if (start < 0) start += x->rank;
  if (end < 0) end += x->rank;
  start = MAX(0, MIN(start, x->rank));
  end = MAX(start, MIN(end, x->rank));
  int64_t n = end - start;
  int64_t *d = op_alloc(c->g, (size_t)(n ? n : 1) * 8);
  for (int64_t i = 0; i < n; i++) d[i] = x->dims[start + i];
  op_set_out(c, 0, DT_I64, 1, &n);
  op_out(c, 0)->data = d;
  return 0;
}

static int infer_size(OpCtx *c) {
  int64_t *d = op_alloc(c->g, 8);
  *d = ir_numel(op_in(c, 0));
  op_set_out(c, 0, DT_I64, 0, NULL);
  op_out(c, 0)->data = d;
  return 0;
}

static int infer_constant(OpCtx *c) {
  const IrNode *n = c->n;
  if (n->nattr != 1) return op_invalid(c, "Constant needs exactly one value attribute");
  const IrAttr *a = &n->attrs[0];
  IrValue *y = op_out(c, 0);
  if (strcmp(a->name, "value") == 0 && a->type == AT_TENSOR) {
    ir_set_shape(y, a->tensors[0].dtype, a->tensors[0].rank, a->tensors[0].dims);
    y->data = a->tensors[0].data;
    y->strw = a->tensors[0].strw;
  } else if (strcmp(a->name, "value_float") == 0 && a->type == AT_FLOAT) {
    ir_set_shape(y, DT_F32, 0, NULL);
    y->data = &a->f;
  } else if (strcmp(a->name, "value_int") == 0 && a->type == AT_INT) {
    ir_set_shape(y, DT_I64, 0, NULL);
    y->data = &a->i;
  } else if (strcmp(a->name, "value_floats") == 0 && a->type == AT_FLOATS) {
    int64_t len = a->n;
    ir_set_shape(y, DT_F32, 1, &len);
    y->data = a->floats;
  } else if (strcmp(a->name, "value_ints") == 0 && a->type == AT_INTS) {
    int64_t len = a->n;
    ir_set_shape(y, DT_I64, 1, &len);
    y->data = a->ints;
  } else {
    return op_unsupported(c, "Constant with attribute '%s'", a->name);
  }
  if (!y->data && ir_numel(y) > 0) return op_invalid(c, "Constant has no data");
  if (!y->data) y->data = op_alloc(c->g, 1);
  return 0;
}

static int infer_constant_of_shape(OpCtx *c) {
  int64_t dims[IR_MAX_RANK];
  int rank = op_const_ints(c, 0, dims, IR_MAX_RANK);
  if (rank < 0) return -1;
  const IrAttr *a = ir_attr(c->n, "value");
  DType t = DT_F32;
  static const float zero[2];
  const void *v = zero;
  if (a) {
    int64_t numel = 1;
    for (int i = 0; a->type == AT_TENSOR && i < a->tensors[0].rank; i++)
      numel *= a->tensors[0].dims[i];
    if (a->type != AT_TENSOR || numel != 1)
      return op_invalid(c, "attribute 'value' must be a one-element tensor");
    t = a->tensors[0].dtype;
    v = a->tensors[0].data;
  }
  for (int i = 0; i < rank; i++)
    if (dims[i] < 0) return op_invalid(c, "negative dim %lld", (long long)dims[i]);
  op_set_out(c, 0, t, rank, dims);
  IrValue *y = op_out(c, 0);
  int64_t n = ir_numel(y);
  void *d = op_alloc(c->g, (size_t)(n ? ir_bytes(y) : 1));
  RtFill p = {n, (int64_t)dtype_size(t)};
  rt_fill(&p, v, d);
  y->data = d;
  return 0;
}

/* ---- Range, folded here: integers (int16, int32, int64) compute in int64,
 * wrapping, and truncate; float32 and float64 in their type; float16 and
 * bfloat16 (opset 27+) in float32, or float64 with stash_type 11, rounded
 * back. */

#define RANGE_MAX_ELEMS (1 << 26) /* 512 MiB of int64 */

static int range_takes(OpCtx *c, DType t) {
  switch (t) {
  case DT_F32:
  case DT_F64:
  case DT_I16:
  case DT_I32:
  case DT_I64: return 1;
  case DT_F16:
  case DT_BF16: return c->opset >= 27;
  default: return 0;
  }
}

/* A constant scalar as a double (*f) and, for integers, an int64 (*n). */
static void range_scalar(const IrValue *v, double *f, int64_t *n) {
  switch (v->dtype) {
  case DT_I16: *n = *(const int16_t *)v->data; break;
  case DT_I32: *n = *(const int32_t *)v->data; break;
  case DT_I64: *n = *(const int64_t *)v->data; break;
  default: const_float_scalar(v, f); return;
  }
  *f = (double)*n;
}

/* The element count for integers: ceil((b - a) / d), at least 0. */
static uint64_t range_count_int(int64_t a, int64_t b, int64_t d) {
  if (d > 0 ? b <= a : b >= a) return 0;
  uint64_t span = d > 0 ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
  uint64_t step = d > 0 ? (uint64_t)d : 0 - (uint64_t)d;
  return span / step + (span % step != 0);
}

/* The element count, or -1 (reported). */
static int64_t range_count(OpCtx *c, DType t, const double *f, const int64_t *v) {
  double cnt;
  if (dtype_is_float(t) ? f[2] == 0 : v[2] == 0) return op_invalid(c, "delta is 0");
  if (dtype_is_float(t))
    cnt = ceil((f[1] - f[0]) / f[2]);
  else
    cnt = (double)range_count_int(v[0], v[1], v[2]);
  if (cnt > RANGE_MAX_ELEMS)
    return op_unsupported(c, "the output would have %.17g elements; at most %d are supported",
                          cnt, RANGE_MAX_ELEMS);
  return cnt > 0 ? (int64_t)cnt : 0; /* NaN: none */
}

/* y[i] = start + i * delta for i < n, of type t (stash: stash_type). */
static void range_fill(DType t, int64_t stash, const double *f, const int64_t *v, int64_t n,
                       void *y) {
  RtRange p = {n};
  float s32 = (float)f[0], d32 = (float)f[2];
  switch (t) {
  case DT_I64: rt_range_i64(&p, &v[0], &v[2], y); return;
  case DT_I32:
    for (int64_t i = 0; i < n; i++)
      ((int32_t *)y)[i] = (int32_t)(uint32_t)((uint64_t)v[0] + (uint64_t)i * (uint64_t)v[2]);
    return;
  case DT_I16:
    for (int64_t i = 0; i < n; i++)
      ((int16_t *)y)[i] = (int16_t)(uint16_t)((uint64_t)v[0] + (uint64_t)i * (uint64_t)v[2]);
    return;
  case DT_F32: rt_range_f32(&p, &s32, &d32, y); return;
  case DT_F64:
    for (int64_t i = 0; i < n; i++) ((double *)y)[i] = f[0] + (double)i * f[2];
    return;
  default: {
    DType wide = stash == 11 ? DT_F64 : DT_F32;
    void *tmp = xmalloc((size_t)n * dtype_size(wide));
    range_fill(wide, stash, f, v, n, tmp);
    RtConvert cv = {n, wide, t, 1, 0};
    rt_convert(&cv, tmp, y);
    free(tmp);
  }
  }
}

static int infer_range(OpCtx *c) {
  static const char *const NAMES[] = {"start", "limit", "delta"};
  DType t = op_in(c, 0)->dtype;
  double f[3] = {0, 0, 0};
  int64_t v[3] = {0, 0, 0};
  int ok = 1;
  int64_t stash = c->opset >= 27 ? op_attr_int(c, "stash_type", 1, &ok) : 1;
  if (!ok) return -1;
  if (!range_takes(c, t))
    return op_invalid(c, "start '%s' has type %s, which Range does not take in opset %d",
                      op_in(c, 0)->name, dtype_name(t), c->opset);
  if ((t == DT_F16 || t == DT_BF16) && stash != 1 && stash != 11)
    return op_invalid(c, "stash_type is %lld; it must be 1 (float) or 11 (double)",
                      (long long)stash);
  for (int i = 0; i < 3; i++) {
    IrValue *x = op_in(c, i);
    if (x->dtype != t)
      return op_invalid(c, "%s '%s' has type %s and start '%s' %s; the inputs must have one "
                        "type", NAMES[i], x->name, dtype_name(x->dtype), op_in(c, 0)->name,
                        dtype_name(t));
    if (ir_numel(x) != 1) return op_invalid(c, "%s '%s' must be a scalar", NAMES[i], x->name);
    if (!(x->flags & VF_CONST))
      return op_unsupported(c, "'%s' must be a constant scalar (the output size depends on it)",
                            x->name);
    range_scalar(x, &f[i], &v[i]);
  }
  int64_t n = range_count(c, t, f, v);
  if (n < 0) return -1;
  op_set_out(c, 0, t, 1, &n);
  void *y = op_alloc(c->g, n ? (size_t)ir_bytes(op_out(c, 0)) : 1);
  range_fill(t, stash, f, v, n, y);
  op_out(c, 0)->data = y;
  return 0;
}

#define VIEW(NAME, SINCE, NIN, NOUT, INFER) \
  {NAME, "", SINCE, 1, NIN, 1, NOUT, OPL_VIEW, OPF_ANY_TYPE, INFER}
#define FOLD(NAME, SINCE, MIN, MAX, INFER) \
  {NAME, "", SINCE, MIN, MAX, 1, 1, OPL_FOLD, OPF_ANY_TYPE, INFER}

const OpDef OPS_SHAPE[] = {
    VIEW("Identity", 1, 1, 1, infer_identity),
    {"Dropout", "", 1, 1, 3, 1, 2, OPL_VIEW, OPF_ANY_TYPE, infer_dropout, NULL, NULL,
     expand_dropout},
    VIEW("Reshape", 5, 2, 1, infer_reshape),
    VIEW("Flatten", 1, 1, 1, infer_flatten),
    VIEW("Squeeze", 1, 2, 1, infer_squeeze),
    VIEW("Unsqueeze", 1, 2, 1, infer_unsqueeze),
    FOLD("Shape", 1, 1, 1, infer_shape),
    FOLD("Size", 1, 1, 1, infer_size),
    FOLD("Constant", 1, 0, 0, infer_constant),
    FOLD("ConstantOfShape", 9, 1, 1, infer_constant_of_shape),
    FOLD("Range", 11, 3, 3, infer_range),
    {NULL},
};
