/* shape.c - ops that only move shapes around: views (Reshape, Flatten,
 * Squeeze, Unsqueeze, Identity, Dropout) and compile-time-only ops (Shape,
 * Size, Constant, ConstantOfShape, Range). */
#include <math.h>
#include <string.h>

#include "rt_kernels.h"
#include "op.h"

static int infer_identity(OpCtx *c) {
  op_same_as(c, 0, 0);
  return 0;
}

/* Dropout at inference is Identity; its mask, if wanted, is all true. */
static int infer_dropout(OpCtx *c) {
  int ok = 1;
  if (op_attr_int(c, "training_mode", 0, &ok)) return op_unsupported(c, "training mode");
  if (op_has_in(c, 2)) {
    IrValue *t = op_in(c, 2);
    if (!(t->flags & VF_CONST) || *(const uint8_t *)t->data)
      return op_unsupported(c, "training_mode must be a constant false");
  }
  op_same_as(c, 0, 0);
  IrValue *mask = op_out(c, 1);
  if (mask) {
    IrValue *x = op_in(c, 0);
    ir_set_shape(mask, DT_BOOL, x->rank, x->dims);
    uint8_t *d = op_alloc(c->g, (size_t)ir_numel(x));
    memset(d, 1, (size_t)ir_numel(x));
    mask->data = d;
    mask->flags |= VF_CONST;
  }
  return ok ? 0 : -1;
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

static int infer_range(OpCtx *c) {
  static const DType T[] = {DT_F32, DT_I64, DT_UNDEF};
  for (int i = 0; i < 3; i++) {
    IrValue *v = op_in(c, i);
    if (op_check_type(c, i, T)) return -1;
    if (!(v->flags & VF_CONST) || ir_numel(v) != 1)
      return op_unsupported(c, "'%s' must be a constant scalar (the output size depends on it)",
                            v->name);
    if (v->dtype != op_in(c, 0)->dtype) return op_invalid(c, "inputs must have one type");
  }
  DType t = op_in(c, 0)->dtype;
  const void *s = op_in(c, 0)->data, *l = op_in(c, 1)->data, *dl = op_in(c, 2)->data;
  int64_t n;
  if (t == DT_F32) {
    float d = *(const float *)dl;
    if (d == 0) return op_invalid(c, "delta is 0");
    double cnt = ceil(((double)*(const float *)l - *(const float *)s) / d);
    n = cnt > 0 ? (int64_t)cnt : 0;
  } else {
    int64_t d = *(const int64_t *)dl, a = *(const int64_t *)s, b = *(const int64_t *)l;
    if (d == 0) return op_invalid(c, "delta is 0");
    n = d > 0 ? (b > a ? (b - a + d - 1) / d : 0) : (a > b ? (a - b - d - 1) / -d : 0);
  }
  op_set_out(c, 0, t, 1, &n);
  void *y = op_alloc(c->g, (size_t)(n ? n : 1) * 8);
  RtRange p = {n};
  if (t == DT_F32)
    rt_range_f32(&p, s, dl, y);
  else
    rt_range_i64(&p, s, dl, y);
  op_out(c, 0)->data = y;
  return 0;
}

#define VIEW(NAME, SINCE, NIN, NOUT, INFER) \
  {NAME, "", SINCE, 1, NIN, 1, NOUT, OPL_VIEW, OPF_ANY_TYPE, INFER}
#define FOLD(NAME, SINCE, MIN, MAX, INFER) \
  {NAME, "", SINCE, MIN, MAX, 1, 1, OPL_FOLD, OPF_ANY_TYPE, INFER}

const OpDef OPS_SHAPE[] = {
    VIEW("Identity", 1, 1, 1, infer_identity),
    VIEW("Dropout", 1, 3, 2, infer_dropout),
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
