/* deform.c - DeformConv (opset 19; opset 22 only adds bfloat16, which is
 * computed in float32 like float16): a convolution whose kernel taps
 * sample the input at positions moved by the offset input, with bilinear
 * (N-linear) interpolation and zeros outside, optionally scaled by a mask;
 * groups, offset groups, strides, pads and dilations; 1 to 3 spatial dims;
 * float32 and float64 (kernel: runtime-mini/kernels/deform.c). */
#include <stdio.h>
#include <string.h>

#include "deform.h"
#include "spatial.h"

KERNEL_DEF(K_DEFORM_CONV, rt_deform_conv, "deform.c", RtDeformConv, 7, KA(0), KA(1), KA(2), KA(3),
           KA(4), KA(5), KA(6));

enum { IN_X, IN_W, IN_OFFSET, IN_B, IN_MASK };

static const char *const DC_ROLE[] = {"X", "W", "offset", "B", "mask"};

/* Every input is float32 or float64, of one type. */
static int dc_types(OpCtx *c) {
  IrValue *x = op_in(c, IN_X);
  if (x->dtype != DT_F32 && x->dtype != DT_F64)
    return op_invalid(c, "input X '%s' has type %s; DeformConv takes float types", x->name,
                      dtype_name(x->dtype));
  for (int i = IN_W; i <= IN_MASK; i++) {
    IrValue *v = op_in(c, i);
    if (v && v->dtype != x->dtype)
      return op_invalid(c, "input %s '%s' has type %s; X '%s' has %s", DC_ROLE[i], v->name,
                        dtype_name(v->dtype), x->name, dtype_name(x->dtype));
  }
  return 0;
}

/* Input i, if present, must have the given dims. */
static int dc_expect(OpCtx *c, int i, int rank, const int64_t *dims) {
  IrValue *v = op_in(c, i);
  if (!v) return 0;
  int same = v->rank == rank;
  for (int k = 0; same && k < rank; k++) same = v->dims[k] == dims[k];
  if (same) return 0;
  char got[128], want[160] = "[";
  for (int k = 0; k < rank; k++)
    snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", k ? "," : "",
             (long long)dims[k]);
  strcat(want, "]");
  return op_invalid(c, "input %s '%s' has shape %s; expected %s", DC_ROLE[i], v->name,
                    ir_shape_str(v, got, sizeof got), want);
}

/* group and offset_group, checked against the channels of X and W. */
static int dc_groups(OpCtx *c, int64_t *group, int64_t *ogroup) {
  IrValue *x = op_in(c, IN_X), *w = op_in(c, IN_W);
  int ok = 1;
  *group = op_attr_int(c, "group", 1, &ok);
  *ogroup = op_attr_int(c, "offset_group", 1, &ok);
  if (!ok) return -1;
  if (*group < 1) return op_invalid(c, "group must be >= 1, got %lld", (long long)*group);
  if (*ogroup < 1) return op_invalid(c, "offset_group must be >= 1, got %lld", (long long)*ogroup);
  if (x->dims[1] != w->dims[1] * *group || w->dims[0] % *group != 0)
    return op_invalid(c,
                      "X '%s' has %lld channels and W '%s' %lld output channels; with group "
                      "%lld, W must be [oC, C / group, k...] and oC a multiple of group",
                      x->name, (long long)x->dims[1], w->name, (long long)w->dims[0],
                      (long long)*group);
  if (x->dims[1] % *ogroup != 0)
    return op_invalid(c, "X '%s' has %lld channels, not a multiple of offset_group %lld", x->name,
                      (long long)x->dims[1], (long long)*ogroup);
  return 0;
}

/* Checks everything; fills the geometry and the groups. */
static int dc_parse(OpCtx *c, Spatial *s, int64_t *group, int64_t *ogroup) {
  if (dc_types(c)) return -1;
  IrValue *x = op_in(c, IN_X), *w = op_in(c, IN_W);
  if (x->rank < 3 || w->rank != x->rank)
    return op_invalid(c, "X '%s' and W '%s' must have the same rank >= 3, got %d and %d", x->name,
                      w->name, x->rank, w->rank);
  if (x->rank - 2 > SP_MAX)
    return op_unsupported(c, "%d spatial dims; at most %d are supported", x->rank - 2, SP_MAX);
  if (ir_attr(c->n, "auto_pad")) return op_invalid(c, "DeformConv has no attribute 'auto_pad'");
  if (dc_groups(c, group, ogroup)) return -1;
  s->n = x->rank - 2;
  int64_t ks[SP_MAX], kvol = 1;
  for (int i = 0; i < s->n; i++) {
    s->in[i] = x->dims[2 + i];
    s->k[i] = w->dims[2 + i];
    kvol *= s->k[i];
  }
  int nk = op_attr_ints(c, "kernel_shape", ks, SP_MAX);
  if (nk == -2) return -1;
  for (int i = 0; nk >= 0 && i < s->n; i++)
    if (nk != s->n || ks[i] != s->k[i])
      return op_invalid(c, "kernel_shape does not match the shape of W '%s'", w->name);
  if (spatial_window(c, s, 0)) return -1;
  int64_t off[IR_MAX_RANK] = {x->dims[0], *ogroup * kvol * s->n};
  int64_t mask[IR_MAX_RANK] = {x->dims[0], *ogroup * kvol}, b[1] = {w->dims[0]};
  for (int i = 0; i < s->n; i++) off[2 + i] = mask[2 + i] = s->out[i];
  if (dc_expect(c, IN_OFFSET, x->rank, off) || dc_expect(c, IN_B, 1, b) ||
      dc_expect(c, IN_MASK, x->rank, mask))
    return -1;
  return 0;
}

static int infer_deform(OpCtx *c) {
  Spatial s;
  int64_t group, ogroup;
  if (dc_parse(c, &s, &group, &ogroup)) return -1;
  IrValue *x = op_in(c, IN_X);
  int64_t dims[IR_MAX_RANK] = {x->dims[0], op_in(c, IN_W)->dims[0]};
  for (int i = 0; i < s.n; i++) dims[2 + i] = s.out[i];
  op_set_out(c, 0, x->dtype, x->rank, dims);
  return 0;
}

static int dc_in(OpCtx *c, int i) { return op_has_in(c, i) ? c->n->in[i] : KC_NULL; }

static int lower_deform(OpCtx *c, KList *l) {
  Spatial s;
  int64_t group, ogroup;
  if (dc_parse(c, &s, &group, &ogroup)) return -1;
  IrValue *x = op_in(c, IN_X);
  KCall *k = kl_call(l, &K_DEFORM_CONV);
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "c", x->dims[1]);
  kc_i(k, "m", op_in(c, IN_W)->dims[0]);
  kc_i(k, "group", group);
  kc_i(k, "offset_group", ogroup);
  kc_i(k, "nd", s.n);
  spatial_kcall(k, &s, 0);
  kc_i(k, "f64", x->dtype == DT_F64);
  for (int i = IN_X; i <= IN_MASK; i++) kc_arg(k, dc_in(c, i));
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = rt_deform_conv_scratch((const RtDeformConv *)k->buf);
  return 0;
}

const OpDef OPS_DEFORM[] = {
    {"DeformConv", "", 19, 3, 5, 1, 1, OPL_KERNEL, 0, infer_deform, lower_deform},
    {NULL},
};
