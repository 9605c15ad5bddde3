/* scatter.c - ScatterND, ScatterElements and the deprecated Scatter (opset
 * 9/11, ScatterElements without reduction). The output is a copy of the
 * data with the updates written (or combined: add, mul, max, min) where the
 * indices say, in index order; see runtime-mini/kernels/scatter.c. */
#include <string.h>

#include "scatter.h"
#include "op.h"

KERNEL_DEF(K_SCATTER_ND, rt_scatter_nd, "scatter.c", RtScatterND, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_SCATTER_ELEMENTS, rt_scatter_elements, "scatter.c", RtScatterElements, 4, KA(0), KA(1),
           KA(2), KA(3));

/* The reduction (RT_SCATTER_*) and the data type check that goes with it:
 * replacing moves any fixed-size element, combining needs a number type. */
static int scatter_reduction(OpCtx *c) {
  static const char *const NAMES[] = {"none", "add", "mul", "max", "min"};
  static const DType NUM[] = {DT_F32, DT_F64, DT_I8,  DT_U8,  DT_I16,  DT_U16,
                              DT_I32, DT_U32, DT_I64, DT_U64, DT_UNDEF};
  int ok = 1;
  const char *s = op_attr_str(c, "reduction", "none", &ok);
  if (!ok) return -1;
  for (int r = 0; r < (int)ARRAY_LEN(NAMES); r++) {
    if (strcmp(s, NAMES[r])) continue;
    if (r == RT_SCATTER_NONE ? op_check_fixed_size(c, 0) : op_check_type(c, 0, NUM)) return -1;
    return r;
  }
  return op_invalid(c, "reduction '%s' must be none, add, mul, max or min", s);
}

static int same_type(OpCtx *c) {
  IrValue *x = op_in(c, 0), *u = op_in(c, 2);
  if (u->dtype != x->dtype)
    return op_invalid(c, "updates '%s' (%s) must have the type of data '%s' (%s)", u->name,
                      dtype_name(u->dtype), x->name, dtype_name(x->dtype));
  return 0;
}

static void shape_str(const int64_t *dims, int rank, char *buf, size_t n) {
  size_t at = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < rank && at < n; i++)
    at += (size_t)snprintf(buf + at, n - at, "%s%lld", i ? "," : "", (long long)dims[i]);
  if (at < n) snprintf(buf + at, n - at, "]");
}

/* ---- ScatterND: indices [..., k] address the first k dims of data;
 * updates are indices.shape[:-1] + data.shape[k:]. ---- */

static int infer_scatter_nd(OpCtx *c) {
  static const DType IDX[] = {DT_I64, DT_UNDEF};
  if (scatter_reduction(c) < 0 || op_check_type(c, 1, IDX) || same_type(c)) return -1;
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1), *u = op_in(c, 2);
  if (idx->rank < 1) return op_invalid(c, "indices '%s' must have rank >= 1", idx->name);
  int64_t k = idx->dims[idx->rank - 1];
  if (k < 1 || k > x->rank)
    return op_invalid(c, "index tuples of length %lld do not fit data '%s' of rank %d",
                      (long long)k, x->name, x->rank);
  int64_t want[2 * IR_MAX_RANK];
  int r = 0;
  for (int i = 0; i < idx->rank - 1; i++) want[r++] = idx->dims[i];
  for (int i = (int)k; i < x->rank; i++) want[r++] = x->dims[i];
  int same = u->rank == r;
  for (int i = 0; same && i < r; i++) same = u->dims[i] == want[i];
  if (!same) {
    char b1[128], b2[128];
    shape_str(want, r, b2, sizeof b2);
    return op_invalid(c, "updates '%s' has shape %s; indices and data give %s", u->name,
                      ir_shape_str(u, b1, sizeof b1), b2);
  }
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_scatter_nd(OpCtx *c, KList *l) {
  int red = scatter_reduction(c);
  if (red < 0) return -1;
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int64_t strides[IR_MAX_RANK], k = idx->dims[idx->rank - 1], n = 1;
  ir_strides(x, strides);
  for (int i = 0; i < idx->rank - 1; i++) n *= idx->dims[i];
  KCall *kc = kl_call(l, &K_SCATTER_ND);
  kc_i(kc, "n", n);
  kc_i(kc, "k", k);
  kc_iv(kc, "dims", x->dims, (int)k, RT_MAX_RANK);
  kc_iv(kc, "strides", strides, (int)k, RT_MAX_RANK);
  kc_i(kc, "inner", strides[k - 1]);
  kc_i(kc, "total", ir_numel(x));
  kc_i(kc, "elem", (int64_t)dtype_size(x->dtype));
  kc_i(kc, "type", x->dtype);
  kc_i(kc, "reduction", red);
  for (int i = 0; i < 3; i++) kc_arg(kc, c->n->in[i]);
  kc_arg(kc, c->n->out[0]);
  kc_end(kc);
  return 0;
}

/* ---- ScatterElements / Scatter ---- */

static int se_axis(OpCtx *c) {
  int ok = 1;
  int64_t axis = op_attr_int(c, "axis", 0, &ok);
  IrValue *x = op_in(c, 0);
  if (!ok) return -1;
  if (x->rank < 1) return op_invalid(c, "data '%s' must have rank >= 1", x->name);
  return op_axis(c, axis, x->rank, "axis");
}

static int infer_scatter_elements(OpCtx *c) {
  static const DType IDX[] = {DT_I64, DT_I32, DT_UNDEF};
  if (scatter_reduction(c) < 0 || op_check_type(c, 1, IDX) || same_type(c)) return -1;
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1), *u = op_in(c, 2);
  int a = se_axis(c);
  if (a < 0) return -1;
  if (idx->rank != x->rank)
    return op_invalid(c, "indices '%s' must have the rank of data '%s' (%d)", idx->name, x->name,
                      x->rank);
  if (!ir_same_shape(idx, u))
    return op_invalid(c, "updates '%s' must have the shape of indices '%s'", u->name, idx->name);
  for (int i = 0; i < x->rank; i++)
    if (i != a && idx->dims[i] > x->dims[i])
      return op_invalid(c, "indices dim %d (%lld) is larger than the data's (%lld)", i,
                        (long long)idx->dims[i], (long long)x->dims[i]);
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_scatter_elements(OpCtx *c, KList *l) {
  int red = scatter_reduction(c), a = se_axis(c);
  if (red < 0 || a < 0) return -1;
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int64_t strides[IR_MAX_RANK];
  ir_strides(x, strides);
  KCall *k = kl_call(l, &K_SCATTER_ELEMENTS);
  kc_i(k, "rank", idx->rank);
  kc_iv(k, "dims", idx->dims, idx->rank, RT_MAX_RANK);
  kc_iv(k, "y_strides", strides, x->rank, RT_MAX_RANK);
  kc_i(k, "axis", a);
  kc_i(k, "axis_len", x->dims[a]);
  kc_i(k, "total", ir_numel(x));
  kc_i(k, "elem", (int64_t)dtype_size(x->dtype));
  kc_i(k, "type", x->dtype);
  kc_i(k, "reduction", red);
  kc_i(k, "idx_i32", idx->dtype == DT_I32);
  for (int i = 0; i < 3; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* Scatter has no reduction attribute: one given is an error. */
static int infer_scatter(OpCtx *c) {
  if (ir_attr(c->n, "reduction"))
    return op_invalid(c, "Scatter has no attribute 'reduction' (ScatterElements has)");
  return infer_scatter_elements(c);
}

const OpDef OPS_SCATTER[] = {
    {"ScatterND", "", 11, 3, 3, 1, 1, OPL_KERNEL, 0, infer_scatter_nd, lower_scatter_nd},
    {"ScatterElements", "", 11, 3, 3, 1, 1, OPL_KERNEL, 0, infer_scatter_elements,
     lower_scatter_elements},
    {"Scatter", "", 9, 3, 3, 1, 1, OPL_KERNEL, 0, infer_scatter, lower_scatter_elements},
    {NULL},
};
