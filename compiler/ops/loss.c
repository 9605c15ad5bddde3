/* loss.c - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opsets 12
 * to 22: the versions differ only in the types they allow). Input [N, C] or
 * [N, C, d1..dk], target [N] or [N, d1..dk], optional weight [C]; reduction
 * none, sum or mean (weighted); ignore_index. */
#include <string.h>

#include "loss.h"
#include "op.h"

KERNEL_DEF(K_NLL_LOSS, rt_nll_loss, "loss.c", RtLoss, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_SOFTMAX_CROSS_ENTROPY, rt_softmax_cross_entropy, "loss.c", RtLoss, 5, KA(0), KA(1),
           KA(2), KA(3), KA(4));

/* The reduction attribute as RT_LOSS_*, or -1 (reported). */
static int loss_reduction(OpCtx *c) {
  static const char *NAMES[] = {"none", "sum", "mean"};
  int ok = 1;
  const char *r = op_attr_str(c, "reduction", "mean", &ok);
  if (!ok) return -1;
  for (int i = 0; i < (int)ARRAY_LEN(NAMES); i++)
    if (strcmp(r, NAMES[i]) == 0) return i;
  return op_invalid(c, "reduction '%s' is not one of none, sum, mean", r);
}

/* Checks types and shapes; returns the reduction or -1. */
static int loss_check(OpCtx *c) {
  static const DType T[] = {DT_F32, DT_F64, DT_UNDEF};
  static const DType TIND[] = {DT_I64, DT_I32, DT_UNDEF};
  if (op_check_type(c, 0, T) || op_check_type(c, 1, TIND)) return -1;
  IrValue *x = op_in(c, 0), *t = op_in(c, 1), *w = op_in(c, 2);
  int ok = 1;
  op_attr_int(c, "ignore_index", 0, &ok);
  if (!ok) return -1;
  if (x->rank < 2)
    return op_invalid(c, "input '%s' must have rank >= 2 ([N, C, d1..dk]), got %d", x->name,
                      x->rank);
  int dims_ok = t->rank == x->rank - 1 && t->dims[0] == x->dims[0];
  for (int i = 1; dims_ok && i < t->rank; i++) dims_ok = t->dims[i] == x->dims[i + 1];
  if (!dims_ok) {
    char b1[128], b2[128];
    return op_invalid(c, "target '%s' %s must be input '%s' %s without dim 1", t->name,
                      ir_shape_str(t, b1, sizeof b1), x->name, ir_shape_str(x, b2, sizeof b2));
  }
  if (w && w->dtype != x->dtype)
    return op_invalid(c, "weight '%s' has type %s; input '%s' has %s", w->name,
                      dtype_name(w->dtype), x->name, dtype_name(x->dtype));
  if (w && (w->rank != 1 || w->dims[0] != x->dims[1]))
    return op_invalid(c, "weight '%s' must have shape [%lld] (one per class)", w->name,
                      (long long)x->dims[1]);
  return loss_reduction(c);
}

static int infer_loss(OpCtx *c) {
  int red = loss_check(c);
  if (red < 0) return -1;
  IrValue *x = op_in(c, 0), *t = op_in(c, 1);
  if (red == RT_LOSS_NONE)
    op_set_out(c, 0, x->dtype, t->rank, t->dims);
  else
    op_set_out(c, 0, x->dtype, 0, NULL);
  op_same_as(c, 1, 0); /* log_prob of SoftmaxCrossEntropyLoss */
  return 0;
}

static int lower_loss(OpCtx *c, KList *l) {
  int red = loss_check(c);
  if (red < 0) return -1;
  IrValue *x = op_in(c, 0);
  int softmax = strcmp(c->n->op_type, "SoftmaxCrossEntropyLoss") == 0;
  int64_t inner = 1;
  for (int i = 2; i < x->rank; i++) inner *= x->dims[i];
  const IrAttr *ii = ir_attr(c->n, "ignore_index");
  KCall *k = kl_call(l, softmax ? &K_SOFTMAX_CROSS_ENTROPY : &K_NLL_LOSS);
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "c", x->dims[1]);
  kc_i(k, "inner", inner);
  kc_i(k, "reduction", red);
  kc_i(k, "has_ignore", ii != NULL);
  kc_i(k, "ignore_index", ii ? ii->i : 0);
  kc_i(k, "f64", x->dtype == DT_F64);
  kc_i(k, "idx_i32", op_in(c, 1)->dtype == DT_I32);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  if (softmax) kc_arg(k, op_out(c, 1) ? c->n->out[1] : KC_NULL);
  kc_end(k);
  return 0;
}

const OpDef OPS_LOSS[] = {
    {"NegativeLogLikelihoodLoss", "", 12, 2, 3, 1, 1, OPL_KERNEL, 0, infer_loss, lower_loss},
    {"SoftmaxCrossEntropyLoss", "", 12, 2, 3, 1, 2, OPL_KERNEL, 0, infer_loss, lower_loss},
    {NULL},
};
