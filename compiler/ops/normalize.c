/* normalize.c - InstanceNormalization, GroupNormalization, LpNormalization,
 * LRN, MeanVarianceNormalization, RMSNormalization, LpPool and GlobalLpPool
 * (LayerNormalization and BatchNormalization are in norm.c). Float32 only;
 * the 16-bit floats are computed in float32 by the generic conversion. */
#include <string.h>

#include "normalize.h"
#include "spatial.h"

KERNEL_DEF(K_GROUPNORM, rt_groupnorm_f32, "normalize.c", RtGroupNorm, 4, KA(0), KA(1), KA(2),
           KA(3));
KERNEL_DEF(K_LPNORM, rt_lpnorm_f32, "normalize.c", RtLpNorm, 2, KA(0), KA(1));
KERNEL_DEF(K_LRN, rt_lrn_f32, "normalize.c", RtLrn, 2, KA(0), KA(1));
KERNEL_DEF(K_MVN, rt_mvn_f32, "normalize.c", RtMvn, 2, KA(0), KA(1));
KERNEL_DEF(K_RMSNORM, rt_rmsnorm_f32, "normalize.c", RtRmsNorm, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_LPPOOL, rt_lppool_f32, "normalize.c", RtLpPool, 2, KA(0), KA(1));

/* Every present input is float32 and X has at least min_rank dims. */
static int check_inputs(OpCtx *c, int min_rank) {
  for (int i = 0; i < c->n->nin; i++)
    if (op_require_float(c, i)) return -1;
  IrValue *x = op_in(c, 0);
  if (x->rank < min_rank)
    return op_invalid(c, "input '%s' must have rank >= %d, got %d", x->name, min_rank, x->rank);
  return 0;
}

/* The product of dims [from, to) of v. */
static int64_t numel_range(const IrValue *v, int from, int to) {
  int64_t n = 1;
  for (int i = from; i < to; i++) n *= v->dims[i];
  return n;
}

static int64_t numel_from(const IrValue *v, int from) { return numel_range(v, from, v->rank); }

/* Input i must have shape [n]. */
static int check_vec(OpCtx *c, int i, int64_t n, const char *what) {
  IrValue *v = op_in(c, i);
  if (v->rank != 1 || v->dims[0] != n)
    return op_invalid(c, "'%s' must have shape [%lld] (%s)", v->name, (long long)n, what);
  return 0;
}

/* stash_type: only float32 statistics (1) are computed. */
static int check_stash(OpCtx *c) {
  int ok = 1;
  int64_t stash = op_attr_int(c, "stash_type", 1, &ok);
  if (!ok) return -1;
  if (stash != 1) return op_unsupported(c, "stash_type %lld (only 1, float32)", (long long)stash);
  return 0;
}

/* ---- InstanceNormalization and GroupNormalization ---- */

static int infer_instnorm(OpCtx *c) {
  int ok = 1;
  op_attr_float(c, "epsilon", 1e-5f, &ok);
  if (!ok || check_inputs(c, 3)) return -1;
  int64_t ch = op_in(c, 0)->dims[1];
  if (check_vec(c, 1, ch, "the channels of X") || check_vec(c, 2, ch, "the channels of X"))
    return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static void groupnorm_call(OpCtx *c, KList *l, int64_t groups, int per_group, float eps) {
  IrValue *x = op_in(c, 0);
  KCall *k = kl_call(l, &K_GROUPNORM);
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "groups", groups);
  kc_i(k, "cpg", x->dims[1] / groups);
  kc_i(k, "inner", numel_from(x, 2));
  kc_i(k, "per_group", per_group);
  kc_f(k, "eps", eps);
  for (int i = 0; i < 3; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
}

static int lower_instnorm(OpCtx *c, KList *l) {
  int ok = 1;
  float eps = op_attr_float(c, "epsilon", 1e-5f, &ok);
  if (!ok) return -1;
  groupnorm_call(c, l, op_in(c, 0)->dims[1], 0, eps);
  return 0;
}

/* num_groups; scale and bias are per group before opset 21, per channel
 * since. */
static int64_t gn_groups(OpCtx *c) {
  int ok = 1;
  if (!ir_attr(c->n, "num_groups")) return op_invalid(c, "attribute 'num_groups' is required");
  int64_t g = op_attr_int(c, "num_groups", 1, &ok);
  if (!ok) return -1;
  int64_t ch = op_in(c, 0)->dims[1];
  if (g < 1 || ch % g)
    return op_invalid(c, "num_groups %lld must be >= 1 and divide the %lld channels", (long long)g,
                      (long long)ch);
  return g;
}

static int infer_groupnorm(OpCtx *c) {
  int ok = 1;
  op_attr_float(c, "epsilon", 1e-5f, &ok);
  if (!ok || check_inputs(c, 2) || check_stash(c)) return -1;
  int64_t g = gn_groups(c);
  if (g < 0) return -1;
  int64_t n = c->opset < 21 ? g : op_in(c, 0)->dims[1];
  const char *what = c->opset < 21 ? "num_groups, before opset 21" : "the channels of X";
  if (check_vec(c, 1, n, what) || check_vec(c, 2, n, what)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_groupnorm(OpCtx *c, KList *l) {
  int ok = 1;
  float eps = op_attr_float(c, "epsilon", 1e-5f, &ok);
  int64_t g = gn_groups(c);
  if (!ok || g < 0) return -1;
  groupnorm_call(c, l, g, c->opset < 21, eps);
  return 0;
}

/* ---- LpNormalization ---- */

static int lpnorm_attrs(OpCtx *c, int *axis, int64_t *p) {
  int ok = 1;
  *axis = -1;
  int64_t a = op_attr_int(c, "axis", -1, &ok);
  *p = op_attr_int(c, "p", 2, &ok);
  if (!ok) return -1;
  if (*p != 1 && *p != 2) return op_invalid(c, "p must be 1 or 2, got %lld", (long long)*p);
  *axis = op_axis(c, a, op_in(c, 0)->rank, "axis");
  return *axis < 0 ? -1 : 0;
}

static int infer_lpnorm(OpCtx *c) {
  int axis;
  int64_t p;
  if (check_inputs(c, 1) || lpnorm_attrs(c, &axis, &p)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_lpnorm(OpCtx *c, KList *l) {
  int axis;
  int64_t p;
  if (lpnorm_attrs(c, &axis, &p)) return -1;
  IrValue *x = op_in(c, 0);
  KCall *k = kl_call(l, &K_LPNORM);
  kc_i(k, "outer", numel_range(x, 0, axis));
  kc_i(k, "len", x->dims[axis]);
  kc_i(k, "inner", numel_from(x, axis + 1));
  kc_i(k, "p", p);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- LRN ---- */

static int lrn_size(OpCtx *c) {
  int ok = 1;
  if (!ir_attr(c->n, "size")) return op_invalid(c, "attribute 'size' is required");
  int64_t size = op_attr_int(c, "size", 1, &ok);
  if (!ok) return -1;
  if (size < 1) return op_invalid(c, "size must be >= 1, got %lld", (long long)size);
  return (int)MIN(size, INT32_MAX);
}

static int infer_lrn(OpCtx *c) {
  int ok = 1;
  op_attr_float(c, "alpha", 1e-4f, &ok);
  op_attr_float(c, "beta", 0.75f, &ok);
  op_attr_float(c, "bias", 1.0f, &ok);
  if (!ok || check_inputs(c, 2) || lrn_size(c) < 0) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_lrn(OpCtx *c, KList *l) {
  int ok = 1;
  float alpha = op_attr_float(c, "alpha", 1e-4f, &ok);
  float beta = op_attr_float(c, "beta", 0.75f, &ok);
  float bias = op_attr_float(c, "bias", 1.0f, &ok);
  int size = lrn_size(c);
  if (!ok || size < 0) return -1;
  IrValue *x = op_in(c, 0);
  KCall *k = kl_call(l, &K_LRN);
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "c", x->dims[1]);
  kc_i(k, "inner", numel_from(x, 2));
  kc_i(k, "size", size);
  kc_f(k, "alpha", alpha);
  kc_f(k, "beta", beta);
  kc_f(k, "bias", bias);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- MeanVarianceNormalization ---- */

/* Marks the normalized dims of X in red[] (axes, default [0, 2, 3]). */
static int mvn_axes(OpCtx *c, int *red) {
  IrValue *x = op_in(c, 0);
  int64_t axes[IR_MAX_RANK] = {0, 2, 3};
  int n = op_attr_ints(c, "axes", axes, IR_MAX_RANK);
  if (n == -2) return -1;
  if (n == -1) n = 3;
  for (int i = 0; i < x->rank; i++) red[i] = 0;
  for (int i = 0; i < n; i++) {
    int a = op_axis(c, axes[i], x->rank, "axis");
    if (a < 0) return -1;
    if (red[a]) return op_invalid(c, "axis %lld is listed twice", (long long)axes[i]);
    red[a] = 1;
  }
  return 0;
}

static int infer_mvn(OpCtx *c) {
  int red[IR_MAX_RANK];
  if (check_inputs(c, 0) || mvn_axes(c, red)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_mvn(OpCtx *c, KList *l) {
  int red[IR_MAX_RANK];
  if (mvn_axes(c, red)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t stride[IR_MAX_RANK], od[IR_MAX_RANK], os[IR_MAX_RANK], rd[IR_MAX_RANK], rs[IR_MAX_RANK];
  int no = 0, nr = 0, last = -1; /* last: the kind of the previous kept dim */
  ir_strides(x, stride);
  for (int i = 0; i < x->rank; i++) {
    if (x->dims[i] == 1) continue;
    int64_t *d = red[i] ? rd : od, *s = red[i] ? rs : os;
    int *m = red[i] ? &nr : &no;
    if (last == red[i]) { /* merges with the previous (contiguous) dim */
      d[*m - 1] *= x->dims[i];
      s[*m - 1] = stride[i];
    } else {
      d[*m] = x->dims[i];
      s[(*m)++] = stride[i];
    }
    last = red[i];
  }
  KCall *k = kl_call(l, &K_MVN);
  kc_i(k, "out_rank", no);
  kc_iv(k, "out_dims", od, no, RT_MAX_RANK);
  kc_iv(k, "out_strides", os, no, RT_MAX_RANK);
  kc_i(k, "red_rank", nr);
  kc_iv(k, "red_dims", rd, nr, RT_MAX_RANK);
  kc_iv(k, "red_strides", rs, nr, RT_MAX_RANK);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- RMSNormalization ---- */

/* Normalizes over dims [axis, rank). Scale broadcasts to those dims (dims
 * of scale before axis must be 1); *bcast is set unless scale already has
 * the normalized shape. */
static int rms_axis(OpCtx *c, int *bcast) {
  IrValue *x = op_in(c, 0), *s = op_in(c, 1);
  int ok = 1;
  int64_t axis = op_attr_int(c, "axis", -1, &ok);
  op_attr_float(c, "epsilon", 1e-5f, &ok);
  if (!ok) return -1;
  int a = op_axis(c, axis, x->rank, "axis");
  if (a < 0) return -1;
  if (s->rank > x->rank) return op_unsupported(c, "scale '%s' has a higher rank than X", s->name);
  *bcast = 0;
  for (int j = x->rank - s->rank; j < x->rank; j++) {
    int64_t sd = s->dims[j - (x->rank - s->rank)];
    if (sd != 1 && sd != x->dims[j])
      return op_invalid(c, "scale '%s' does not broadcast to X '%s'", s->name, x->name);
    if (j < a && sd != 1)
      return op_unsupported(c, "scale '%s' varies over dim %d, which is not normalized", s->name,
                            j);
  }
  for (int j = a; j < x->rank; j++) {
    int i = j - (x->rank - s->rank);
    *bcast |= (i < 0 ? 1 : s->dims[i]) != x->dims[j];
  }
  return a;
}

static int infer_rmsnorm(OpCtx *c) {
  int bcast;
  if (check_inputs(c, 1) || check_stash(c) || rms_axis(c, &bcast) < 0) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_rmsnorm(OpCtx *c, KList *l) {
  int ok = 1, bcast;
  float eps = op_attr_float(c, "epsilon", 1e-5f, &ok);
  int a = rms_axis(c, &bcast);
  if (!ok || a < 0) return -1;
  IrValue *x = op_in(c, 0), *s = op_in(c, 1);
  int64_t len = numel_from(x, a), sdims[IR_MAX_RANK], sstr[IR_MAX_RANK], st[IR_MAX_RANK];
  int sr = bcast ? x->rank - a : 0;
  ir_strides(s, st);
  for (int j = 0; j < sr; j++) {
    int i = j + a - (x->rank - s->rank);
    sdims[j] = x->dims[a + j];
    sstr[j] = i < 0 || s->dims[i] == 1 ? 0 : st[i];
  }
  KCall *k = kl_call(l, &K_RMSNORM);
  kc_i(k, "outer", numel_range(x, 0, a));
  kc_i(k, "len", len);
  kc_i(k, "srank", sr);
  kc_iv(k, "sdims", sdims, sr, RT_MAX_RANK);
  kc_iv(k, "sstrides", sstr, sr, RT_MAX_RANK);
  kc_f(k, "eps", eps);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, bcast ? KC_SCRATCH : KC_NULL);
  k->scratch_bytes = bcast ? len * 4 : 0;
  kc_end(k);
  return 0;
}

/* ---- LpPool and GlobalLpPool ---- */

/* p: a float in opset 1, an int since opset 2 (default 2). */
static int lp_p(OpCtx *c, float *p) {
  int ok = 1;
  if (c->opset < 2) {
    *p = op_attr_float(c, "p", 2.0f, &ok);
  } else {
    int64_t v = op_attr_int(c, "p", 2, &ok);
    *p = (float)v;
  }
  if (!ok) return -1;
  if (!(*p > 0.0f)) return op_invalid(c, "p must be positive, got %g", (double)*p);
  return 0;
}

static int lppool_geometry(OpCtx *c, Spatial *s, float *p) {
  IrValue *x = op_in(c, 0);
  if (check_inputs(c, 3) || lp_p(c, p)) return -1;
  if (x->rank - 2 > SP_MAX)
    return op_unsupported(c, "%d spatial dims; at most %d are supported", x->rank - 2, SP_MAX);
  s->n = x->rank - 2;
  for (int i = 0; i < s->n; i++) s->in[i] = x->dims[2 + i];
  int nk = op_attr_ints(c, "kernel_shape", s->k, SP_MAX);
  if (nk == -2) return -1;
  if (nk != s->n) return op_invalid(c, "kernel_shape must have %d values", s->n);
  for (int i = 0; i < s->n; i++)
    if (s->k[i] < 1) return op_invalid(c, "kernel_shape values must be >= 1");
  return spatial_window(c, s, c->opset >= 18);
}

static int infer_lppool(OpCtx *c) {
  Spatial s;
  float p;
  if (lppool_geometry(c, &s, &p)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t dims[IR_MAX_RANK] = {x->dims[0], x->dims[1]};
  for (int i = 0; i < s.n; i++) dims[2 + i] = s.out[i];
  op_set_out(c, 0, DT_F32, x->rank, dims);
  return 0;
}

static void lppool_call(OpCtx *c, KList *l, const Spatial *s, float p) {
  IrValue *x = op_in(c, 0);
  KCall *k = kl_call(l, &K_LPPOOL);
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "c", x->dims[1]);
  spatial_kcall(k, s, 0);
  kc_f(k, "p", p);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
}

static int lower_lppool(OpCtx *c, KList *l) {
  Spatial s;
  float p;
  if (lppool_geometry(c, &s, &p)) return -1;
  lppool_call(c, l, &s, p);
  return 0;
}

static int infer_global_lppool(OpCtx *c) {
  float p;
  if (check_inputs(c, 3) || lp_p(c, &p)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t dims[IR_MAX_RANK] = {x->dims[0], x->dims[1]};
  for (int i = 2; i < x->rank; i++) dims[i] = 1;
  op_set_out(c, 0, DT_F32, x->rank, dims);
  return 0;
}

/* One window over the spatial dims flattened into one. */
static int lower_global_lppool(OpCtx *c, KList *l) {
  float p;
  if (lp_p(c, &p)) return -1;
  Spatial s;
  memset(&s, 0, sizeof s);
  s.n = 1;
  s.in[0] = s.k[0] = numel_from(op_in(c, 0), 2);
  s.out[0] = s.stride[0] = s.dil[0] = 1;
  lppool_call(c, l, &s, p);
  return 0;
}

const OpDef OPS_NORMALIZE[] = {
    {"InstanceNormalization", "", 1, 3, 3, 1, 1, OPL_KERNEL, 0, infer_instnorm, lower_instnorm},
    {"GroupNormalization", "", 18, 3, 3, 1, 1, OPL_KERNEL, 0, infer_groupnorm, lower_groupnorm},
    {"LpNormalization", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_lpnorm, lower_lpnorm},
    {"LRN", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_lrn, lower_lrn},
    {"MeanVarianceNormalization", "", 9, 1, 1, 1, 1, OPL_KERNEL, 0, infer_mvn, lower_mvn},
    {"RMSNormalization", "", 23, 2, 2, 1, 1, OPL_KERNEL, 0, infer_rmsnorm, lower_rmsnorm},
    {"LpPool", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_lppool, lower_lppool},
    {"GlobalLpPool", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_global_lppool, lower_global_lppool},
    {NULL},
};
