/* conv.c - Conv and ConvTranspose. */
#include <string.h>

#include "rt_kernels.h"
#include "spatial.h"

/* Shared checks: X [N, C, spatial...], W with at least 3 dims (w: the
 * weights as the model gives them; the cpu target's packed conv passes
 * their original shape). */
static int conv_common_w(OpCtx *c, const IrValue *w, Spatial *s, int64_t *group) {
  IrValue *x = op_in(c, 0);
  if (op_require_float(c, 0) || op_require_float(c, 1) || op_require_float(c, 2)) return -1;
  if (x->rank < 3 || w->rank != x->rank)
    return op_invalid(c, "X '%s' and W '%s' must have the same rank >= 3, got %d and %d",
                      x->name, w->name, x->rank, w->rank);
  if (x->rank - 2 > SP_MAX)
    return op_unsupported(c, "%d spatial dims; at most %d are supported", x->rank - 2, SP_MAX);
  int ok = 1;
  *group = op_attr_int(c, "group", 1, &ok);
  if (!ok) return -1;
  if (*group < 1) return op_invalid(c, "group must be >= 1, got %lld", (long long)*group);
  s->n = x->rank - 2;
  for (int i = 0; i < s->n; i++) {
    s->in[i] = x->dims[2 + i];
    s->k[i] = w->dims[2 + i];
  }
  int64_t ks[SP_MAX];
  int nk = op_attr_ints(c, "kernel_shape", ks, SP_MAX);
  if (nk == -2) return -1;
  for (int i = 0; nk >= 0 && i < s->n; i++)
    if (nk != s->n || ks[i] != s->k[i])
      return op_invalid(c, "kernel_shape does not match the shape of W '%s'", w->name);
  return 0;
}

static int conv_common(OpCtx *c, Spatial *s, int64_t *group) {
  return conv_common_w(c, op_in(c, 1), s, group);
}

static int check_bias(OpCtx *c, int64_t m) {
  IrValue *b = op_in(c, 2);
  if (b && (b->rank != 1 || b->dims[0] != m))
    return op_invalid(c, "bias '%s' must have shape [%lld]", b->name, (long long)m);
  return 0;
}

static int infer_conv(OpCtx *c) {
  Spatial s;
  int64_t group;
  if (conv_common(c, &s, &group)) return -1;
  IrValue *x = op_in(c, 0), *w = op_in(c, 1);
  int64_t m = w->dims[0];
  if (x->dims[1] != w->dims[1] * group || m % group != 0)
    return op_invalid(c, "X '%s' has %lld channels but W '%s' expects %lld x group %lld",
                      x->name, (long long)x->dims[1], w->name, (long long)w->dims[1],
                      (long long)group);
  if (check_bias(c, m) || spatial_window(c, &s, 0)) return -1;
  int64_t dims[IR_MAX_RANK] = {x->dims[0], m};
  for (int i = 0; i < s.n; i++) dims[2 + i] = s.out[i];
  op_set_out(c, 0, DT_F32, x->rank, dims);
  return 0;
}

static void put_act(KCall *k, const IrAct *a) {
  kc_i(k, "act", a->kind);
  kc_f(k, "alpha", a->alpha);
  kc_f(k, "beta", a->beta);
}

/* The fields shared by RtConv and RtConvTranspose. */
static void put_conv_fields(OpCtx *c, KCall *k, const Spatial *s, int64_t c_in, int64_t m,
                            int64_t group) {
  kc_i(k, "n", op_in(c, 0)->dims[0]);
  kc_i(k, "c", c_in);
  kc_i(k, "m", m);
  kc_i(k, "group", group);
  spatial_kcall(k, s, 0);
  put_act(k, &c->n->act);
}

/* The fields and the operands. */
static void put_conv(OpCtx *c, KCall *k, const Spatial *s, int64_t c_in, int64_t m,
                     int64_t group) {
  put_conv_fields(c, k, s, c_in, m, group);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
}

int conv_fields(OpCtx *c, const IrValue *w, KCall *k) {
  Spatial s;
  int64_t group;
  if (conv_common_w(c, w, &s, &group) || spatial_window(c, &s, 0)) return -1;
  put_conv_fields(c, k, &s, op_in(c, 0)->dims[1], w->dims[0], group);
  return 0;
}

static int lower_conv(OpCtx *c, KList *l) {
  Spatial s;
  int64_t group;
  if (conv_common(c, &s, &group) || spatial_window(c, &s, 0)) return -1;
  KCall *k = kl_add(l, "rt_conv_f32");
  put_conv(c, k, &s, op_in(c, 0)->dims[1], op_in(c, 1)->dims[0], group);
  k->scratch_bytes = rt_conv_scratch_f32((const RtConv *)k->buf) * 4;
  return 0;
}

/* ConvTranspose's output size and pads (output_shape, output_padding). */
static int convt_geometry(OpCtx *c, Spatial *s) {
  int ok = 1;
  const char *mode = op_attr_str(c, "auto_pad", "NOTSET", &ok);
  int64_t outpad[SP_MAX] = {0}, oshape[IR_MAX_RANK], pads[2 * SP_MAX] = {0};
  int nop = op_attr_ints(c, "output_padding", outpad, SP_MAX);
  int nos = op_attr_ints(c, "output_shape", oshape, IR_MAX_RANK);
  int np = op_attr_ints(c, "pads", pads, 2 * SP_MAX);
  if (!ok || nop == -2 || nos == -2 || np == -2 || spatial_strides(c, s)) return -1;
  if ((nop >= 0 && nop != s->n) || (np >= 0 && np != 2 * s->n))
    return op_invalid(c, "output_padding or pads has the wrong number of values");
  for (int i = 0; i < s->n; i++) {
    int64_t eff = s->dil[i] * (s->k[i] - 1) + 1;
    int64_t full = s->stride[i] * (s->in[i] - 1) + outpad[i] + eff;
    int64_t want;
    if (nos >= 0)
      want = oshape[nos - s->n + i];
    else if (strcmp(mode, "SAME_UPPER") == 0 || strcmp(mode, "SAME_LOWER") == 0)
      want = s->in[i] * s->stride[i];
    else
      want = -1;
    if (want >= 0) {
      int64_t total = full - want; /* may be negative: the output is longer */
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2); /* floor */
      int upper = strcmp(mode, "SAME_UPPER") == 0;
      s->pad_begin[i] = upper ? half : total - half;
      s->pad_end[i] = total - s->pad_begin[i];
      s->out[i] = want;
    } else {
      s->pad_begin[i] = strcmp(mode, "VALID") == 0 ? 0 : pads[i];
      s->pad_end[i] = strcmp(mode, "VALID") == 0 ? 0 : pads[i + s->n];
      s->out[i] = full - s->pad_begin[i] - s->pad_end[i];
    }
    if (s->out[i] < 1) return op_invalid(c, "output spatial dim %d would be %lld", i,
                                         (long long)s->out[i]);
  }
  return 0;
}

static int infer_convt(OpCtx *c) {
  Spatial s;
  int64_t group;
  if (conv_common(c, &s, &group)) return -1;
  IrValue *x = op_in(c, 0), *w = op_in(c, 1);
  if (x->dims[1] != w->dims[0])
    return op_invalid(c, "X '%s' has %lld channels but W '%s' has %lld", x->name,
                      (long long)x->dims[1], w->name, (long long)w->dims[0]);
  if (x->dims[1] % group) return op_invalid(c, "channels are not divisible by group");
  int64_t m = w->dims[1] * group;
  if (check_bias(c, m) || convt_geometry(c, &s)) return -1;
  int64_t dims[IR_MAX_RANK] = {x->dims[0], m};
  for (int i = 0; i < s.n; i++) dims[2 + i] = s.out[i];
  op_set_out(c, 0, DT_F32, x->rank, dims);
  return 0;
}

static int lower_convt(OpCtx *c, KList *l) {
  Spatial s;
  int64_t group;
  if (conv_common(c, &s, &group) || convt_geometry(c, &s)) return -1;
  KCall *k = kl_add(l, "rt_conv_transpose_f32");
  put_conv(c, k, &s, op_in(c, 0)->dims[1], op_in(c, 1)->dims[1] * group, group);
  k->scratch_bytes = rt_conv_transpose_scratch_f32((const RtConvTranspose *)k->buf) * 4;
  return 0;
}

const OpDef OPS_CONV[] = {
    {"Conv", "", 1, 2, 3, 1, 1, OPL_KERNEL, 0, infer_conv, lower_conv},
    {"ConvTranspose", "", 1, 2, 3, 1, 1, OPL_KERNEL, 0, infer_convt, lower_convt},
    {NULL},
};
