/* norm.c - BatchNormalization (inference and training mode) and
 * LayerNormalization. */
#include "rt_kernels.h"
#include "op.h"

KERNEL_DEF(K_BATCHNORM_F64, rt_batchnorm_f64, "norm.c", RtBatchNorm, 6, KA(0), KA(1), KA(2),
           KA(3), KA(4), KA(5));
KERNEL_DEF(K_BATCHNORM_TRAIN, rt_batchnorm_train, "norm.c", RtBatchNormTrain, 8, KA(0), KA(1),
           KA(2), KA(3), KA(4), KA(5), KA(6), KA(7));

/* BatchNormalization. Inference normalizes with input_mean and input_var;
 * training mode (training_mode = 1, opset 14+) with the batch's mean and
 * variance, and writes the running statistics to outputs 1 and 2 (both
 * optional). Before opset 14, those outputs (and saved_mean, saved_var)
 * meant training mode; that form is not supported. float32 or float64, all
 * inputs of one type (16-bit floats arrive as float32). */

static int bn_has_out(OpCtx *c, int i) { return i < c->n->nout && c->n->out[i] >= 0; }

/* 1 in training mode, 0 in inference, -1 on error (reported). */
static int bn_training(OpCtx *c) {
  int ok = 1;
  int64_t training = c->opset >= 14 ? op_attr_int(c, "training_mode", 0, &ok) : 0;
  int64_t spatial = c->opset < 9 ? op_attr_int(c, "spatial", 1, &ok) : 1;
  op_attr_float(c, "epsilon", 1e-5f, &ok);
  op_attr_float(c, "momentum", 0.9f, &ok);
  if (!ok) return -1;
  if (spatial != 1)
    return op_unsupported(c, "spatial %lld (statistics per position) is not supported",
                          (long long)spatial);
  if (training != 0 && training != 1)
    return op_invalid(c, "training_mode is %lld; it must be 0 or 1", (long long)training);
  int extra = 0;
  for (int i = 1; i < c->n->nout; i++) extra |= bn_has_out(c, i);
  if (c->opset < 14 && extra)
    return op_unsupported(c, "training mode before opset 14 (outputs mean, var, saved_mean, "
                          "saved_var) is not supported");
  if (!training && extra)
    return op_invalid(c, "outputs running_mean and running_var exist only in training mode "
                      "(training_mode = 1)");
  return (int)training;
}

static int infer_batchnorm(OpCtx *c) {
  static const char *const NAMES[] = {"X", "scale", "B", "input_mean", "input_var"};
  IrValue *x = op_in(c, 0);
  int training = bn_training(c);
  if (training < 0) return -1;
  if (x->dtype != DT_F32 && x->dtype != DT_F64)
    return op_invalid(c, "X '%s' has type %s; BatchNormalization takes float types", x->name,
                      dtype_name(x->dtype));
  if (x->rank < 2) return op_invalid(c, "X '%s' must have rank >= 2", x->name);
  for (int i = 1; i < 5; i++) {
    IrValue *p = op_in(c, i);
    if (p->dtype != x->dtype)
      return op_unsupported(c, "%s '%s' has type %s and X '%s' %s; mixed types are not "
                            "supported", NAMES[i], p->name, dtype_name(p->dtype), x->name,
                            dtype_name(x->dtype));
    if (p->rank != 1 || p->dims[0] != x->dims[1])
      return op_invalid(c, "%s '%s' must have shape [%lld] (the channels of X)", NAMES[i],
                        p->name, (long long)x->dims[1]);
  }
  op_same_as(c, 0, 0);
  for (int i = 1; i < 3; i++)
    if (bn_has_out(c, i)) op_same_as(c, i, 2 + i);
  return 0;
}

static int lower_batchnorm(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0);
  int ok = 1, training = bn_training(c);
  float eps = op_attr_float(c, "epsilon", 1e-5f, &ok);
  float momentum = op_attr_float(c, "momentum", 0.9f, &ok);
  if (!ok || training < 0) return -1;
  int64_t inner = 1;
  for (int i = 2; i < x->rank; i++) inner *= x->dims[i];
  KCall *k = training             ? kl_call(l, &K_BATCHNORM_TRAIN)
             : x->dtype == DT_F64 ? kl_call(l, &K_BATCHNORM_F64)
                                  : kl_add(l, "rt_batchnorm_f32");
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "c", x->dims[1]);
  kc_i(k, "inner", inner);
  if (training) kc_i(k, "f64", x->dtype == DT_F64);
  kc_f(k, "eps", eps);
  if (training) kc_f(k, "momentum", momentum);
  for (int i = 0; i < 5; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
  for (int i = 1; training && i < 3; i++) kc_arg(k, bn_has_out(c, i) ? c->n->out[i] : KC_NULL);
  kc_end(k);
  return 0;
}

/* LayerNormalization: normalizes over dims [axis, rank). */
static int ln_split(OpCtx *c, int64_t *outer, int64_t *len) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t axis = op_attr_int(c, "axis", -1, &ok);
  if (!ok) return -1;
  int a = op_axis(c, axis, x->rank, "axis");
  if (a < 0) return -1;
  *outer = *len = 1;
  for (int i = 0; i < x->rank; i++) *(i < a ? outer : len) *= x->dims[i];
  return a;
}

/* Scale and bias must cover the normalized dims; a constant that broadcasts
 * is expanded to them at compile time. */
static int ln_param(OpCtx *c, int i, int64_t len) {
  IrValue *p = op_in(c, i);
  if (!p) return 0;
  if (ir_numel(p) == len) return 0;
  if (ir_numel(p) != 1 || !(p->flags & VF_CONST))
    return op_unsupported(c, "'%s' must have %lld elements (the normalized size)", p->name,
                          (long long)len);
  float *d = op_alloc(c->g, (size_t)len * 4);
  for (int64_t j = 0; j < len; j++) d[j] = *(const float *)p->data;
  c->n->in[i] = ir_add_const(c->g, p->name, DT_F32, 1, &len, d);
  return 0;
}

static int infer_layernorm(OpCtx *c) {
  for (int i = 0; i < 3; i++)
    if (op_require_float(c, i)) return -1;
  int ok = 1;
  op_attr_float(c, "epsilon", 1e-5f, &ok);
  int64_t stash = op_attr_int(c, "stash_type", 1, &ok);
  if (!ok) return -1;
  if (stash != 1) return op_unsupported(c, "stash_type %lld", (long long)stash);
  int64_t outer, len;
  int a = ln_split(c, &outer, &len);
  if (a < 0 || ln_param(c, 1, len) || ln_param(c, 2, len)) return -1;
  IrValue *x = op_in(c, 0);
  op_same_as(c, 0, 0);
  int64_t dims[IR_MAX_RANK];
  for (int i = 0; i < x->rank; i++) dims[i] = i < a ? x->dims[i] : 1;
  for (int o = 1; o < 3; o++) op_set_out(c, o, DT_F32, x->rank, dims);
  return 0;
}

static int lower_layernorm(OpCtx *c, KList *l) {
  int64_t outer, len;
  int ok = 1;
  float eps = op_attr_float(c, "epsilon", 1e-5f, &ok);
  if (!ok || ln_split(c, &outer, &len) < 0) return -1;
  KCall *k = kl_add(l, "rt_layernorm_f32");
  kc_i(k, "outer", outer);
  kc_i(k, "len", len);
  kc_f(k, "eps", eps);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  for (int o = 0; o < 3; o++) kc_arg(k, o < c->n->nout && c->n->out[o] >= 0 ? c->n->out[o] : KC_NULL);
  kc_end(k);
  return 0;
}

const OpDef OPS_NORM[] = {
    {"BatchNormalization", "", 7, 5, 5, 1, 3, OPL_KERNEL, 0, infer_batchnorm, lower_batchnorm},
    {"LayerNormalization", "", 17, 2, 3, 1, 3, OPL_KERNEL, 0, infer_layernorm, lower_layernorm},
    {NULL},
};
