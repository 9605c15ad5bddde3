/* training.c - the optimizer ops of domain ai.onnx.preview.training (version
 * 1): Adagrad, Adam and Momentum (standard and Nesterov).
 *
 * Inputs: the learning rate R (float or double scalar), the update count T
 * (int64 scalar), then the variadic tensors group by group: X1..Xn, G1..Gn
 * and the accumulators (Adagrad: H; Momentum: V; Adam: V, then H). Outputs:
 * the new X1..Xn, then the new accumulators in the same order. R and T are
 * run-time values. Each tensor is one kernel call (Adam: two), see
 * runtime-mini/kernels/training.h. */
#include <string.h>

#include "op.h"
#include "training.h"

KERNEL_DEF(K_ADAGRAD, rt_adagrad, "training.c", RtOptim, 7, KA(0), KA(1), KA(2), KA(3), KA(4),
           KA(5), KA(6));
KERNEL_DEF(K_MOMENTUM, rt_momentum, "training.c", RtOptim, 7, KA(0), KA(1), KA(2), KA(3), KA(4),
           KA(5), KA(6));
KERNEL_DEF(K_ADAM_MOMENTS, rt_adam_moments, "training.c", RtOptim, 7, KA(0), KA(1), KA(2), KA(3),
           KA(4), KA(5), KA(6));
KERNEL_DEF(K_ADAM_UPDATE, rt_adam_update, "training.c", RtOptim, 7, KA(0), KA(1), KA(2), KA(3),
           KA(4), KA(5), KA(6));

/* Variadic: at most this many inputs (R, T and the groups). */
#define OPT_MAX_IN 30002

/* The tensors of one optimized variable, in input order. */
static const char *const *opt_names(const IrNode *n) {
  static const char *const ADAGRAD[] = {"X", "G", "H", NULL},
                           *const MOMENTUM[] = {"X", "G", "V", NULL},
                           *const ADAM[] = {"X", "G", "V", "H", NULL};
  if (strcmp(n->op_type, "Adam") == 0) return ADAM;
  return strcmp(n->op_type, "Momentum") == 0 ? MOMENTUM : ADAGRAD;
}

/* How many tensors one variable has: X, G and the accumulators. */
static int opt_group(const IrNode *n) { return strcmp(n->op_type, "Adam") == 0 ? 4 : 3; }

/* The attributes, checked; mode: RT_MOMENTUM_* (Momentum only). */
static int opt_attrs(OpCtx *c, RtOptim *p) {
  int ok = 1;
  const char *op = c->n->op_type;
  memset(p, 0, sizeof *p);
  p->norm_coefficient = op_attr_float(c, "norm_coefficient", 0.0f, &ok);
  p->epsilon = op_attr_float(c, "epsilon", 1e-6f, &ok);
  if (strcmp(op, "Adagrad") == 0) p->decay_factor = op_attr_float(c, "decay_factor", 0.0f, &ok);
  if (strcmp(op, "Adam") == 0) {
    p->alpha = op_attr_float(c, "alpha", 0.9f, &ok);
    p->beta = op_attr_float(c, "beta", 0.999f, &ok);
    p->norm_coefficient_post = op_attr_float(c, "norm_coefficient_post", 0.0f, &ok);
  }
  if (!ok) return -1;
  if (strcmp(op, "Momentum") != 0) return 0;
  static const char *const REQUIRED[] = {"alpha", "beta", "norm_coefficient", "mode"};
  for (int i = 0; i < 4; i++)
    if (!ir_attr(c->n, REQUIRED[i]))
      return op_invalid(c, "attribute '%s' is required", REQUIRED[i]);
  p->alpha = op_attr_float(c, "alpha", 0.0f, &ok);
  p->beta = op_attr_float(c, "beta", 0.0f, &ok);
  const char *mode = op_attr_str(c, "mode", "", &ok);
  if (!ok) return -1;
  if (strcmp(mode, "standard") == 0)
    p->mode = RT_MOMENTUM_STANDARD;
  else if (strcmp(mode, "nesterov") == 0)
    p->mode = RT_MOMENTUM_NESTEROV;
  else
    return op_invalid(c, "mode '%s' is not one of standard, nesterov", mode);
  return 0;
}

/* R and T: scalars (one element) of their types. */
static int opt_scalars(OpCtx *c) {
  static const DType TR[] = {DT_F32, DT_F64, DT_UNDEF}, TT[] = {DT_I64, DT_UNDEF};
  if (op_check_type(c, 0, TR) || op_check_type(c, 1, TT)) return -1;
  for (int i = 0; i < 2; i++) {
    IrValue *v = op_in(c, i);
    if (ir_numel(v) != 1) {
      char b[128];
      return op_invalid(c, "%s '%s' must be a scalar, got shape %s", i ? "T" : "R", v->name,
                        ir_shape_str(v, b, sizeof b));
    }
  }
  return 0;
}

/* The number of updated tensors; the groups' types and shapes checked. */
static int opt_count_vars(OpCtx *c) {
  int per = opt_group(c->n), nin = c->n->nin, nout = c->n->nout;
  const char *const *names = opt_names(c->n);
  if ((nin - 2) % per != 0)
    return op_invalid(c,
                      "has %d inputs; %s takes R, T and then %d tensors per optimized "
                      "variable (%s, %s, %s%s%s)",
                      nin, c->n->op_type, per, names[0], names[1], names[2], per == 4 ? ", " : "",
                      per == 4 ? names[3] : "");
  int nvar = (nin - 2) / per;
  if (nout != (per - 1) * nvar)
    return op_invalid(c,
                      "has %d outputs for %d optimized tensors; %s makes %d (the new X and "
                      "accumulators)",
                      nout, nvar, c->n->op_type, (per - 1) * nvar);
  for (int i = 2; i < nin; i++)
    if (!op_has_in(c, i)) return op_invalid(c, "input %d is missing", i);
  static const DType T[] = {DT_F32, DT_F64, DT_UNDEF};
  IrValue *x0 = op_in(c, 2);
  for (int i = 2; i < nin; i++) {
    if (op_check_type(c, i, T)) return -1;
    if (op_in(c, i)->dtype != x0->dtype)
      return op_invalid(c, "input '%s' has type %s; '%s' has %s (all tensors must share one)",
                        op_in(c, i)->name, dtype_name(op_in(c, i)->dtype), x0->name,
                        dtype_name(x0->dtype));
  }
  for (int v = 0; v < nvar; v++) {
    IrValue *x = op_in(c, 2 + v);
    for (int k = 1; k < per; k++) {
      IrValue *y = op_in(c, 2 + k * nvar + v);
      if (ir_same_shape(x, y)) continue;
      char b1[128], b2[128];
      return op_invalid(c, "%s%d '%s' %s must have the shape of X%d '%s' %s", names[k], v + 1,
                        y->name, ir_shape_str(y, b1, sizeof b1), v + 1, x->name,
                        ir_shape_str(x, b2, sizeof b2));
    }
  }
  return nvar;
}

static int infer_optim(OpCtx *c) {
  RtOptim p;
  if (opt_attrs(c, &p) || opt_scalars(c)) return -1;
  int nvar = opt_count_vars(c);
  if (nvar < 0) return -1;
  int per = opt_group(c->n);
  for (int k = 0; k < per - 1; k++) {
    int from = k == 0 ? 0 : k + 1; /* X, then the accumulators after G */
    for (int v = 0; v < nvar; v++) {
      IrValue *x = op_in(c, 2 + from * nvar + v);
      op_set_out(c, k * nvar + v, x->dtype, x->rank, x->dims);
    }
  }
  return 0;
}

/* Output i, or KC_NULL if absent. */
static int out_or_null(OpCtx *c, int i) { return op_out(c, i) ? c->n->out[i] : KC_NULL; }

static KCall *optim_call(KList *l, const KernelDef *k, const RtOptim *p, int64_t n) {
  KCall *kc = kl_call(l, k);
  kc_i(kc, "n", n);
  kc_i(kc, "f64", p->f64);
  kc_i(kc, "r_f64", p->r_f64);
  kc_i(kc, "mode", p->mode);
  kc_f(kc, "norm_coefficient", p->norm_coefficient);
  kc_f(kc, "norm_coefficient_post", p->norm_coefficient_post);
  kc_f(kc, "decay_factor", p->decay_factor);
  kc_f(kc, "epsilon", p->epsilon);
  kc_f(kc, "alpha", p->alpha);
  kc_f(kc, "beta", p->beta);
  return kc;
}

static void adam_calls(OpCtx *c, KList *l, const RtOptim *p, int nvar, int v, int64_t scratch) {
  const int *in = c->n->in;
  int64_t n = ir_numel(op_in(c, 2 + v));
  KCall *k = optim_call(l, &K_ADAM_MOMENTS, p, n);
  for (int g = 0; g < 4; g++) kc_arg(k, in[2 + g * nvar + v]); /* x, g, v, h */
  kc_arg(k, out_or_null(c, nvar + v));
  kc_arg(k, out_or_null(c, 2 * nvar + v));
  kc_arg(k, KC_SCRATCH);
  k->scratch_bytes = scratch;
  kc_end(k);
  k = optim_call(l, &K_ADAM_UPDATE, p, n);
  kc_arg(k, in[0]);
  kc_arg(k, in[1]);
  kc_arg(k, in[2 + v]);
  kc_arg(k, out_or_null(c, nvar + v));
  kc_arg(k, out_or_null(c, 2 * nvar + v));
  kc_arg(k, out_or_null(c, v));
  kc_arg(k, KC_SCRATCH);
  k->scratch_bytes = scratch;
  kc_end(k);
}

static int lower_optim(OpCtx *c, KList *l) {
  RtOptim p;
  if (opt_attrs(c, &p)) return -1;
  int nvar = opt_count_vars(c);
  if (nvar < 0) return -1;
  p.f64 = op_in(c, 2)->dtype == DT_F64;
  p.r_f64 = op_in(c, 0)->dtype == DT_F64;
  const int *in = c->n->in;
  int adam = opt_group(c->n) == 4, adagrad = strcmp(c->n->op_type, "Adagrad") == 0;
  int64_t scratch = 0; /* Adam: room for moments that are not outputs (largest tensor) */
  for (int v = 0; adam && v < nvar; v++) {
    int64_t b = 2 * ir_bytes(op_in(c, 2 + v));
    if (b > scratch && (!op_out(c, nvar + v) || !op_out(c, 2 * nvar + v))) scratch = b;
  }
  for (int v = 0; v < nvar; v++) {
    if (adam) {
      adam_calls(c, l, &p, nvar, v, scratch);
      continue;
    }
    KCall *k = optim_call(l, adagrad ? &K_ADAGRAD : &K_MOMENTUM, &p, ir_numel(op_in(c, 2 + v)));
    kc_arg(k, in[0]);
    kc_arg(k, in[1]);
    for (int g = 0; g < 3; g++) kc_arg(k, in[2 + g * nvar + v]); /* x, g, and h or v */
    kc_arg(k, out_or_null(c, v));
    kc_arg(k, out_or_null(c, nvar + v));
    kc_end(k);
  }
  return 0;
}

const OpDef OPS_TRAINING[] = {
    {"Adagrad", "ai.onnx.preview.training", 1, 5, OPT_MAX_IN, 2, OPT_MAX_IN, OPL_KERNEL,
     OPF_OPT_OUT0, infer_optim, lower_optim},
    {"Adam", "ai.onnx.preview.training", 1, 6, OPT_MAX_IN, 3, OPT_MAX_IN, OPL_KERNEL, OPF_OPT_OUT0,
     infer_optim, lower_optim},
    {"Momentum", "ai.onnx.preview.training", 1, 5, OPT_MAX_IN, 2, OPT_MAX_IN, OPL_KERNEL,
     OPF_OPT_OUT0, infer_optim, lower_optim},
    {NULL},
};
