/* norm.c - BatchNormalization (inference) and LayerNormalization. */
#include "rt_kernels.h"
#include "op.h"

static int infer_batchnorm(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  for (int i = 0; i < 5; i++)
    if (op_require_float(c, i)) return -1;
  if (x->rank < 2) return op_invalid(c, "X '%s' must have rank >= 2", x->name);
  for (int i = 1; i < 5; i++) {
    IrValue *p = op_in(c, i);
    if (p->rank != 1 || p->dims[0] != x->dims[1])
      return op_invalid(c, "'%s' must have shape [%lld] (the channels of X)", p->name,
                        (long long)x->dims[1]);
  }
  int ok = 1;
  int64_t training = op_attr_int(c, "training_mode", 0, &ok);
  if (!ok) return -1;
  if (training || (c->n->nout > 1 && c->n->out[1] >= 0))
    return op_unsupported(c, "training mode (running mean/var outputs) is not supported");
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_batchnorm(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  float eps = op_attr_float(c, "epsilon", 1e-5f, &ok);
  if (!ok) return -1;
  int64_t inner = 1;
  for (int i = 2; i < x->rank; i++) inner *= x->dims[i];
  KCall *k = kl_add(l, "rt_batchnorm_f32");
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "c", x->dims[1]);
  kc_i(k, "inner", inner);
  kc_f(k, "eps", eps);
  for (int i = 0; i < 5; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
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
