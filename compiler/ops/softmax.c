/* softmax.c - Softmax and LogSoftmax (both the opset < 13 "flatten to 2-D"
 * semantics and the per-axis semantics of opset 13). */
#include "rt_kernels.h"
#include "op.h"

KERNEL_DEF(K_SOFTMAX_F64, rt_softmax_f64, "softmax.c", RtSoftmax, 2, KA(0), KA(1));

static int softmax_split(OpCtx *c, int64_t *outer, int64_t *len, int64_t *inner) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int old = c->opset < 13;
  int64_t axis = op_attr_int(c, "axis", old ? 1 : -1, &ok);
  if (!ok) return -1;
  int a = op_axis(c, axis, x->rank, "axis");
  if (a < 0) return -1;
  *outer = *len = *inner = 1;
  for (int i = 0; i < x->rank; i++) {
    if (i < a)
      *outer *= x->dims[i];
    else if (i == a || old)
      *len *= x->dims[i];
    else
      *inner *= x->dims[i];
  }
  return 0;
}

static int infer_softmax(OpCtx *c) {
  int64_t o, l, i;
  static const DType T[] = {DT_F32, DT_F64, DT_UNDEF};
  if (op_check_type(c, 0, T) || softmax_split(c, &o, &l, &i)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_softmax(OpCtx *c, KList *l) {
  int64_t outer, len, inner;
  if (softmax_split(c, &outer, &len, &inner)) return -1;
  KCall *k = op_in(c, 0)->dtype == DT_F64 ? kl_call(l, &K_SOFTMAX_F64) : kl_add(l, "rt_softmax_f32");
  kc_i(k, "outer", outer);
  kc_i(k, "len", len);
  kc_i(k, "inner", inner);
  kc_i(k, "log", c->n->op_type[0] == 'L');
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OPS_SOFTMAX[] = {
    {"Softmax", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_softmax, lower_softmax},
    {"LogSoftmax", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_softmax, lower_softmax},
    {NULL},
};
