/* select.c - ops that select along an axis: ArgMax, ArgMin, TopK, Hardmax,
 * CumSum, CumProd. The kernels (runtime-mini/kernels/select.c) see the input as
 * [outer, len, inner] around the axis and take the ONNX type number. */
#include <string.h>

#include "select.h"
#include "op.h"

KERNEL_DEF(K_ARG_SELECT, rt_arg_select, "select.c", RtArgSelect, 2, KA(0), KA(1));
KERNEL_DEF(K_TOPK, rt_topk, "select.c", RtTopK, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_HARDMAX, rt_hardmax, "select.c", RtHardmax, 2, KA(0), KA(1));
KERNEL_DEF(K_CUMSUM, rt_cumsum, "select.c", RtCumSum, 3, KA(0), KA(1), KA(2));

static const DType SEL_NUM[] = {DT_F32, DT_F64, DT_I8,  DT_U8,  DT_I16,  DT_U16,
                                DT_I32, DT_U32, DT_I64, DT_U64, DT_UNDEF};
static const DType SEL_FLOAT[] = {DT_F32, DT_F64, DT_UNDEF};

/* x as [outer, len, inner] around dims [a, b). */
static void sel_split(const IrValue *x, int a, int b, int64_t *outer, int64_t *len,
                      int64_t *inner) {
  *outer = *len = *inner = 1;
  for (int i = 0; i < x->rank; i++) *(i < a ? outer : i < b ? len : inner) *= x->dims[i];
}

static int sel_rank1(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  if (x->rank < 1) return op_invalid(c, "input '%s' must have rank >= 1", x->name);
  return 0;
}

/* ---- ArgMax / ArgMin ---- */

static int arg_attrs(OpCtx *c, int *axis, int *keep, int *last) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t ax = op_attr_int(c, "axis", 0, &ok);
  *keep = (int)op_attr_int(c, "keepdims", 1, &ok);
  *last = (int)op_attr_int(c, "select_last_index", 0, &ok);
  if (!ok || sel_rank1(c)) return -1;
  if ((*axis = op_axis(c, ax, x->rank, "axis")) < 0) return -1;
  if (x->dims[*axis] == 0)
    return op_invalid(c, "axis %d of '%s' is empty: there is no extreme to select", *axis, x->name);
  return 0;
}

static int infer_arg(OpCtx *c) {
  int a, keep, last;
  if (op_check_type(c, 0, SEL_NUM) || arg_attrs(c, &a, &keep, &last)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t dims[IR_MAX_RANK];
  int r = 0;
  for (int i = 0; i < x->rank; i++)
    if (i != a)
      dims[r++] = x->dims[i];
    else if (keep)
      dims[r++] = 1;
  op_set_out(c, 0, DT_I64, r, dims);
  return 0;
}

static int lower_arg(OpCtx *c, KList *l) {
  int a, keep, last;
  if (arg_attrs(c, &a, &keep, &last)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t outer, len, inner;
  sel_split(x, a, a + 1, &outer, &len, &inner);
  KCall *k = kl_call(l, &K_ARG_SELECT);
  kc_i(k, "outer", outer);
  kc_i(k, "len", len);
  kc_i(k, "inner", inner);
  kc_i(k, "type", x->dtype);
  kc_i(k, "is_min", strcmp(c->n->op_type, "ArgMin") == 0);
  kc_i(k, "last", last != 0);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- TopK: k is an attribute before opset 10, then a constant input. ---- */

static int topk_attrs(OpCtx *c, int *axis, int64_t *k, int *largest) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t ax = op_attr_int(c, "axis", -1, &ok);
  *largest = (int)op_attr_int(c, "largest", 1, &ok);
  op_attr_int(c, "sorted", 1, &ok); /* results are always sorted */
  if (!ok || sel_rank1(c)) return -1;
  if (c->opset < 10) {
    if (!ir_attr(c->n, "k")) return op_invalid(c, "attribute 'k' is required before opset 10");
    *k = op_attr_int(c, "k", 0, &ok);
    if (!ok) return -1;
  } else {
    if (!op_has_in(c, 1)) return op_invalid(c, "input K is required since opset 10");
    int64_t kv[2];
    int n = op_const_ints(c, 1, kv, 2);
    if (n == -2) return -1;
    if (n != 1) return op_invalid(c, "K must hold one value, it has %d", n);
    *k = kv[0];
  }
  if ((*axis = op_axis(c, ax, x->rank, "axis")) < 0) return -1;
  if (*k < 0 || *k > x->dims[*axis])
    return op_invalid(c, "K = %lld is outside [0, %lld] (axis %d of '%s')", (long long)*k,
                      (long long)x->dims[*axis], *axis, x->name);
  return 0;
}

static int infer_topk(OpCtx *c) {
  int a, largest;
  int64_t k;
  if (op_check_type(c, 0, SEL_NUM) || topk_attrs(c, &a, &k, &largest)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t dims[IR_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  dims[a] = k;
  op_set_out(c, 0, x->dtype, x->rank, dims);
  op_set_out(c, 1, DT_I64, x->rank, dims);
  return 0;
}

static int lower_topk(OpCtx *c, KList *l) {
  int a, largest;
  int64_t k;
  if (topk_attrs(c, &a, &k, &largest)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t outer, len, inner;
  sel_split(x, a, a + 1, &outer, &len, &inner);
  KCall *kc = kl_call(l, &K_TOPK);
  kc_i(kc, "outer", outer);
  kc_i(kc, "len", len);
  kc_i(kc, "inner", inner);
  kc_i(kc, "k", k);
  kc_i(kc, "type", x->dtype);
  kc_i(kc, "largest", largest != 0);
  kc_arg(kc, c->n->in[0]);
  kc_arg(kc, c->n->out[0] >= 0 ? c->n->out[0] : KC_NULL);
  kc_arg(kc, c->n->nout > 1 && c->n->out[1] >= 0 ? c->n->out[1] : KC_NULL);
  kc_arg(kc, KC_SCRATCH);
  kc->scratch_bytes = MAX(k, 1) * (int64_t)sizeof(int64_t);
  kc_end(kc);
  return 0;
}

/* ---- Hardmax: before opset 13 the input is flattened to 2-D at axis
 * (default 1); since 13 it works along one axis (default -1). ---- */

static int hardmax_split(OpCtx *c, int64_t *outer, int64_t *len, int64_t *inner) {
  IrValue *x = op_in(c, 0);
  int ok = 1, old = c->opset < 13;
  int64_t ax = op_attr_int(c, "axis", old ? 1 : -1, &ok);
  if (!ok || sel_rank1(c)) return -1;
  int a = op_axis(c, ax, x->rank, "axis");
  if (a < 0) return -1;
  sel_split(x, a, old ? x->rank : a + 1, outer, len, inner);
  return 0;
}

static int infer_hardmax(OpCtx *c) {
  int64_t outer, len, inner;
  if (op_check_type(c, 0, SEL_FLOAT) || hardmax_split(c, &outer, &len, &inner)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_hardmax(OpCtx *c, KList *l) {
  int64_t outer, len, inner;
  if (hardmax_split(c, &outer, &len, &inner)) return -1;
  KCall *k = kl_call(l, &K_HARDMAX);
  kc_i(k, "outer", outer);
  kc_i(k, "len", len);
  kc_i(k, "inner", inner);
  kc_i(k, "type", op_in(c, 0)->dtype);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- CumSum and CumProd (one kernel): the axis is read by the kernel,
 * so it may be a graph input; a constant one is checked here. ---- */

static int infer_cumsum(OpCtx *c) {
  static const DType IDX[] = {DT_I64, DT_I32, DT_UNDEF};
  if (op_check_type(c, 0, SEL_NUM) || op_check_type(c, 1, IDX) || sel_rank1(c)) return -1;
  IrValue *x = op_in(c, 0), *axis = op_in(c, 1);
  int ok = 1;
  op_attr_int(c, "exclusive", 0, &ok);
  op_attr_int(c, "reverse", 0, &ok);
  if (!ok) return -1;
  if (axis->rank > 1 || ir_numel(axis) != 1)
    return op_invalid(c, "axis '%s' must be a scalar", axis->name);
  if (axis->flags & VF_CONST) {
    int64_t a;
    if (op_const_ints(c, 1, &a, 1) != 1 || op_axis(c, a, x->rank, "axis") < 0) return -1;
  }
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_cumsum(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t excl = op_attr_int(c, "exclusive", 0, &ok);
  int64_t rev = op_attr_int(c, "reverse", 0, &ok);
  if (!ok) return -1;
  KCall *k = kl_call(l, &K_CUMSUM);
  kc_i(k, "rank", x->rank);
  kc_iv(k, "dims", x->dims, x->rank, RT_MAX_RANK);
  kc_i(k, "type", x->dtype);
  kc_i(k, "exclusive", excl != 0);
  kc_i(k, "reverse", rev != 0);
  kc_i(k, "axis_i32", op_in(c, 1)->dtype == DT_I32);
  kc_i(k, "prod", strcmp(c->n->op_type, "CumProd") == 0);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OPS_SELECT[] = {
    {"ArgMax", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_arg, lower_arg},
    {"ArgMin", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_arg, lower_arg},
    {"TopK", "", 1, 1, 2, 2, 2, OPL_KERNEL, 0, infer_topk, lower_topk},
    {"Hardmax", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_hardmax, lower_hardmax},
    {"CumSum", "", 11, 2, 2, 1, 1, OPL_KERNEL, 0, infer_cumsum, lower_cumsum},
    {"CumProd", "", 26, 2, 2, 1, 1, OPL_KERNEL, 0, infer_cumsum, lower_cumsum},
    {NULL},
};
