/* index.c - GatherElements and GatherND. */
#include "index.h"
#include "op.h"

KERNEL_DEF(K_GATHER_ELEMENTS, rt_gather_elements, "index.c", RtGatherElements, 3, KA(0), KA(1),
           KA(2));
KERNEL_DEF(K_GATHER_ND, rt_gather_nd, "index.c", RtGatherND, 3, KA(0), KA(1), KA(2));

static int check_common(OpCtx *c) {
  static const DType IDX[] = {DT_I64, DT_I32, DT_UNDEF};
  return op_check_fixed_size(c, 0) || op_check_type(c, 1, IDX) ? -1 : 0;
}

static int ge_axis(OpCtx *c) {
  int ok = 1;
  int64_t axis = op_attr_int(c, "axis", 0, &ok);
  return ok ? op_axis(c, axis, op_in(c, 0)->rank, "axis") : -1;
}

static int infer_gather_elements(OpCtx *c) {
  if (check_common(c)) return -1;
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int a = ge_axis(c);
  if (a < 0) return -1;
  if (idx->rank != x->rank)
    return op_invalid(c, "indices '%s' must have the rank of data '%s' (%d)", idx->name, x->name,
                      x->rank);
  for (int i = 0; i < x->rank; i++)
    if (i != a && idx->dims[i] > x->dims[i])
      return op_invalid(c, "indices dim %d (%lld) is larger than the data's (%lld)", i,
                        (long long)idx->dims[i], (long long)x->dims[i]);
  op_set_out(c, 0, x->dtype, idx->rank, idx->dims);
  return 0;
}

static int lower_gather_elements(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int a = ge_axis(c);
  if (a < 0) return -1;
  int64_t strides[IR_MAX_RANK];
  ir_strides(x, strides);
  KCall *k = kl_call(l, &K_GATHER_ELEMENTS);
  kc_i(k, "rank", idx->rank);
  kc_iv(k, "dims", idx->dims, idx->rank, RT_MAX_RANK);
  kc_iv(k, "x_strides", strides, x->rank, RT_MAX_RANK);
  kc_i(k, "axis", a);
  kc_i(k, "axis_len", x->dims[a]);
  kc_i(k, "elem", (int64_t)dtype_size(x->dtype));
  kc_i(k, "idx_i32", idx->dtype == DT_I32);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* GatherND: indices [b..., n..., k] address the k dims of data after its b
 * batch dims; the output is indices.shape[:-1] + data.shape[b + k:]. */
static int gnd_shape(OpCtx *c, int64_t *batch_dims, int64_t *k) {
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int ok = 1;
  *batch_dims = op_attr_int(c, "batch_dims", 0, &ok);
  if (!ok) return -1;
  if (idx->rank < 1) return op_invalid(c, "indices must have rank >= 1");
  *k = idx->dims[idx->rank - 1];
  if (*batch_dims < 0 || *batch_dims >= MIN(x->rank, idx->rank) ||
      *batch_dims + *k > x->rank || *k < 1)
    return op_invalid(c, "batch_dims %lld and index length %lld do not fit data of rank %d",
                      (long long)*batch_dims, (long long)*k, x->rank);
  for (int i = 0; i < *batch_dims; i++)
    if (x->dims[i] != idx->dims[i])
      return op_invalid(c, "batch dim %d differs between data and indices", i);
  return 0;
}

static int infer_gather_nd(OpCtx *c) {
  int64_t b, k;
  if (check_common(c) || gnd_shape(c, &b, &k)) return -1;
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int64_t dims[2 * IR_MAX_RANK];
  int r = 0;
  for (int i = 0; i < idx->rank - 1; i++) dims[r++] = idx->dims[i];
  for (int i = (int)(b + k); i < x->rank; i++) dims[r++] = x->dims[i];
  if (r > IR_MAX_RANK) return op_unsupported(c, "output rank %d", r);
  op_set_out(c, 0, x->dtype, r, dims);
  return 0;
}

static int lower_gather_nd(OpCtx *c, KList *l) {
  int64_t b, k;
  if (gnd_shape(c, &b, &k)) return -1;
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int64_t strides[IR_MAX_RANK], nbatch = 1, tuples = 1;
  ir_strides(x, strides);
  for (int i = 0; i < b; i++) nbatch *= x->dims[i];
  for (int i = 0; i < idx->rank - 1; i++) tuples *= idx->dims[i];
  KCall *kc = kl_call(l, &K_GATHER_ND);
  kc_i(kc, "nbatch", nbatch);
  kc_i(kc, "per_batch", nbatch ? tuples / nbatch : 0);
  kc_i(kc, "batch_stride", b ? strides[b - 1] : 0);
  kc_i(kc, "k", k);
  kc_iv(kc, "dims", x->dims + b, (int)k, RT_MAX_RANK);
  kc_iv(kc, "strides", strides + b, (int)k, RT_MAX_RANK);
  kc_i(kc, "inner", strides[b + k - 1]);
  kc_i(kc, "elem", (int64_t)dtype_size(x->dtype));
  kc_i(kc, "idx_i32", idx->dtype == DT_I32);
  kc_arg(kc, c->n->in[0]);
  kc_arg(kc, c->n->in[1]);
  kc_arg(kc, c->n->out[0]);
  kc_end(kc);
  return 0;
}

const OpDef OPS_INDEX[] = {
    {"GatherElements", "", 11, 2, 2, 1, 1, OPL_KERNEL, OPF_ANY_TYPE, infer_gather_elements,
     lower_gather_elements},
    {"GatherND", "", 11, 2, 2, 1, 1, OPL_KERNEL, OPF_ANY_TYPE, infer_gather_nd,
     lower_gather_nd},
    {NULL},
};
