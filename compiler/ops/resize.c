/* resize.c - spatial resampling: Resize, Upsample, GridSample, AffineGrid,
 * Col2Im, MaxUnpool, RoiAlign. Inputs that decide the output shape (scales,
 * sizes, size, image_shape, block_shape, output_shape) and Resize's roi must
 * be compile-time constants. */
#include <math.h>
#include <string.h>

#include "op.h"
#include "resize.h"

KERNEL_DEF(K_RESIZE_NEAREST, rt_resize_nearest, "resize.c", RtResize, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_RESIZE_F32, rt_resize_f32, "resize.c", RtResize, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_GRID_SAMPLE, rt_grid_sample_f32, "resize.c", RtGridSample, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_AFFINE_GRID, rt_affine_grid_f32, "resize.c", RtAffineGrid, 2, KA(0), KA(1));
KERNEL_DEF(K_COL2IM, rt_col2im_f32, "resize.c", RtCol2Im, 2, KA(0), KA(1));
KERNEL_DEF(K_MAX_UNPOOL, rt_max_unpool, "resize.c", RtMaxUnpool, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_ROI_ALIGN, rt_roi_align_f32, "resize.c", RtRoiAlign, 4, KA(0), KA(1), KA(2), KA(3));

/* ---- helpers ---- */

/* A constant float tensor input (float32 or float64) as doubles. Returns the
 * count, -1 if the input is absent, -2 (reported) if it is not constant. */
static int rs_const_floats(OpCtx *c, int input, double *out, int max) {
  IrValue *v = op_in(c, input);
  if (!v) return -1;
  int64_t n = ir_numel(v);
  if (!(v->flags & VF_CONST)) {
    op_unsupported(c, "input %d ('%s') must be a compile-time constant", input, v->name);
    return -2;
  }
  if (v->dtype != DT_F32 && v->dtype != DT_F64) {
    op_unsupported(c, "input %d ('%s') has type %s; float32 or float64 is supported", input,
                   v->name, dtype_name(v->dtype));
    return -2;
  }
  if (n > max) {
    op_invalid(c, "input %d ('%s') has %lld values; at most %d are expected", input, v->name,
               (long long)n, max);
    return -2;
  }
  for (int64_t i = 0; i < n; i++)
    out[i] = v->dtype == DT_F32 ? ((const float *)v->data)[i] : ((const double *)v->data)[i];
  return (int)n;
}

/* v as num / 2^k exactly (num then has at most 53 bits); -1 if k would pass 61
 * or v is not finite or too large. */
static int rs_dyadic(double v, int64_t *num, int64_t *den) {
  int64_t d = 1;
  if (!isfinite(v) || fabs(v) >= 0x1p40) return -1;
  while (v * (double)d != floor(v * (double)d)) {
    if (d >= ((int64_t)1 << 61)) return -1;
    d *= 2;
  }
  *num = (int64_t)(v * (double)d);
  *den = d;
  return 0;
}

/* Index of the string attribute's value in names[0..n), or -1 (reported). */
static int rs_choice(OpCtx *c, const char *attr, const char *dflt, const char *const *names,
                     int n) {
  int ok = 1;
  const char *s = op_attr_str(c, attr, dflt, &ok);
  if (!ok) return -1;
  for (int i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0) return i;
  return op_invalid(c, "%s '%s' is not valid", attr, s);
}

static void rs_kc_in_out(KCall *k, OpCtx *c) {
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
}

/* ---- Resize and Upsample ---- */

typedef struct RsPlan {
  RtResize k;               /* the kernel's parameters (runs of kept axes merged) */
  int rank;                 /* X's */
  int64_t out[IR_MAX_RANK]; /* Y's dims */
} RsPlan;

/* What each axis of X becomes, in X's axes. */
typedef struct RsAxes {
  int64_t num[IR_MAX_RANK], den[IR_MAX_RANK];
  double span[IR_MAX_RANK], off[IR_MAX_RANK];
} RsAxes;

static const char *const RS_MODE[] = {"nearest", "linear", "cubic"};
static const char *const RS_COORD[] = {
    "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",  "align_corners",
    "asymmetric", "tf_crop_and_resize",   "tf_half_pixel_for_nn"};
static const char *const RS_NEAREST[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                         "ceil"};
static const char *const RS_POLICY[] = {"stretch", "not_larger", "not_smaller"};

/* Attributes: mode and the rest. Resize-10 and Upsample map coordinates
 * asymmetrically and round nearest the way onnxruntime does. */
static int rs_attrs(OpCtx *c, RtResize *k, int legacy) {
  int ok = 1;
  const char *mode = op_attr_str(c, "mode", "nearest", &ok);
  if (!ok) return -1;
  k->mode = -1;
  for (int i = 0; i < (legacy ? 2 : 3); i++)
    if (strcmp(mode, RS_MODE[i]) == 0) k->mode = i;
  if (legacy && strcmp(mode, "bilinear") == 0) k->mode = RT_RS_LINEAR;
  if (k->mode < 0) return op_invalid(c, "mode '%s' is not valid", mode);
  k->coord = RT_RS_ASYMMETRIC;
  k->nearest = RT_RS_SIMPLE;
  k->cubic_a = -0.75f;
  if (legacy) return 0;
  k->coord = rs_choice(c, "coordinate_transformation_mode", "half_pixel", RS_COORD, 7);
  k->nearest = rs_choice(c, "nearest_mode", "round_prefer_floor", RS_NEAREST, 4);
  k->cubic_a = op_attr_float(c, "cubic_coeff_a", -0.75f, &ok);
  k->exclude_outside = op_attr_int(c, "exclude_outside", 0, &ok) != 0;
  k->extrapolation = op_attr_float(c, "extrapolation_value", 0.0f, &ok);
  k->antialias = op_attr_int(c, "antialias", 0, &ok) != 0;
  return k->coord < 0 || k->nearest < 0 || !ok ? -1 : 0;
}

/* The axes that scales, sizes and roi refer to (opset 18's axes, or all). */
static int rs_axes_list(OpCtx *c, int rank, int *axes) {
  int64_t a[IR_MAX_RANK];
  int n = c->opset >= 18 ? op_attr_ints(c, "axes", a, IR_MAX_RANK) : -1;
  if (n == -2) return -1;
  if (n < 0) {
    for (int i = 0; i < rank; i++) axes[i] = i;
    return rank;
  }
  unsigned seen = 0;
  for (int i = 0; i < n; i++) {
    if ((axes[i] = op_axis(c, a[i], rank, "axis")) < 0) return -1;
    if (seen >> axes[i] & 1) return op_invalid(c, "axis %d is repeated in axes", axes[i]);
    seen |= 1u << axes[i];
  }
  return n;
}

/* Scales from the attribute (Upsample-7) or an input. 0: none given. */
static int rs_scales(OpCtx *c, int legacy, double *s) {
  if (legacy && c->opset < 9) {
    float f[IR_MAX_RANK];
    int n = op_attr_floats(c, "scales", f, IR_MAX_RANK);
    if (n == -1) return op_invalid(c, "attribute 'scales' is required");
    for (int i = 0; i < n; i++) s[i] = f[i];
    return n;
  }
  int n = rs_const_floats(c, legacy ? 1 : 2, s, IR_MAX_RANK);
  return n == -1 ? 0 : n;
}

/* Output sizes and exact scales from scales or sizes (+ keep_aspect_ratio_policy). */
static int rs_sizes(OpCtx *c, RsPlan *p, RsAxes *ax, const int *axes, int naxes, int legacy) {
  IrValue *x = op_in(c, 0);
  double s[IR_MAX_RANK];
  int64_t sz[IR_MAX_RANK];
  int ns = rs_scales(c, legacy, s);
  int nz = legacy || !op_has_in(c, 3) ? 0 : op_const_ints(c, 3, sz, IR_MAX_RANK);
  if (ns < 0 || nz < 0) return -1;
  if ((ns > 0) == (nz > 0)) return op_invalid(c, "exactly one of scales and sizes must be given");
  if (ns + nz != naxes)
    return op_invalid(c, "%s has %d values; %d are expected", ns ? "scales" : "sizes", ns + nz,
                      naxes);
  for (int i = 0; i < naxes; i++) {
    int d = axes[i];
    if (ns && (!(s[i] > 0) || rs_dyadic(s[i], &ax->num[d], &ax->den[d])))
      return op_invalid(c, "scale %g is not valid", s[i]);
    if (ns && (double)x->dims[d] * s[i] >= 0x1p40)
      return op_invalid(c, "scale %g makes axis %d too large", s[i], d);
    if (ns) p->out[d] = (int64_t)floor((double)x->dims[d] * s[i]);
    if (nz && (sz[i] < 0 || (x->dims[d] == 0 && sz[i] != 0)))
      return op_invalid(c, "size %lld is not valid for an axis of %lld", (long long)sz[i],
                        (long long)x->dims[d]);
    if (nz) {
      p->out[d] = sz[i];
      ax->num[d] = x->dims[d] ? sz[i] : 1;
      ax->den[d] = x->dims[d] ? x->dims[d] : 1;
    }
  }
  int policy =
      nz && c->opset >= 18 ? rs_choice(c, "keep_aspect_ratio_policy", "stretch", RS_POLICY, 3) : 0;
  if (policy <= 0) return policy;
  int best = axes[0]; /* not_larger: the smallest ratio; not_smaller: the largest */
  for (int i = 1; i < naxes; i++) {
    double r = (double)ax->num[axes[i]] / (double)ax->den[axes[i]];
    double b = (double)ax->num[best] / (double)ax->den[best];
    if (policy == 1 ? r < b : r > b) best = axes[i];
  }
  for (int i = 0; i < naxes; i++) {
    int d = axes[i];
    ax->num[d] = ax->num[best];
    ax->den[d] = ax->den[best];
    p->out[d] = (int64_t)((double)ax->num[d] / (double)ax->den[d] * (double)x->dims[d] + 0.5);
  }
  return 0;
}

/* tf_crop_and_resize's region per axis: span = end - start and
 * off = start * (in - 1), rounded to float32 for a float32 roi as ONNX does. */
static int rs_roi(OpCtx *c, RsAxes *ax, const int *axes, int naxes) {
  IrValue *x = op_in(c, 0), *rv = op_in(c, 1);
  double roi[2 * IR_MAX_RANK];
  int n = rs_const_floats(c, 1, roi, 2 * IR_MAX_RANK);
  if (n == -2) return -1;
  if (n <= 0) return 0;
  if (n != 2 * naxes) return op_invalid(c, "roi has %d values; %d are expected", n, 2 * naxes);
  for (int i = 0; i < naxes; i++) {
    int d = axes[i];
    double lo = roi[i], hi = roi[naxes + i], in1 = (double)(x->dims[d] - 1);
    ax->span[d] = rv->dtype == DT_F32 ? (double)(float)(hi - lo) : hi - lo;
    ax->off[d] = rv->dtype == DT_F32 ? (double)(float)(lo * in1) : lo * in1;
  }
  return 0;
}

/* The region as rationals over one denominator. */
static int rs_roi_rational(OpCtx *c, RtResize *k, const double *span, const double *off) {
  int64_t num, den;
  k->roi_den = 1;
  for (int pass = 0; pass < 2; pass++)
    for (int64_t d = 0; d < k->rank; d++) {
      for (int j = 0; j < 2; j++) {
        double v = j ? off[d] : span[d];
        if (rs_dyadic(v, &num, &den) || (pass && fabs(v * (double)k->roi_den) >= 0x1p62))
          return op_unsupported(c, "roi value %g cannot be represented exactly", v);
        if (!pass && den > k->roi_den) k->roi_den = den;
        if (pass) (j ? k->roi_off : k->roi_span)[d] = (int64_t)(v * (double)k->roi_den);
      }
    }
  return 0;
}

/* The kernel's dims: X's axes, with runs of axes that stay as they are merged. */
static int rs_collapse(OpCtx *c, RsPlan *p, const RsAxes *ax) {
  IrValue *x = op_in(c, 0);
  RtResize *k = &p->k;
  double span[IR_MAX_RANK], off[IR_MAX_RANK];
  int prev_kept = 0;
  k->rank = 0;
  for (int d = 0; d < p->rank; d++) {
    int crop = k->coord == RT_RS_TF_CROP_AND_RESIZE;
    int kept = p->out[d] == x->dims[d] && ax->num[d] == ax->den[d] &&
               k->coord != RT_RS_TF_HALF_PIXEL_FOR_NN &&
               !(crop && (ax->span[d] != 1 || ax->off[d] != 0));
    if (kept && prev_kept) {
      k->in[k->rank - 1] *= x->dims[d];
      k->out[k->rank - 1] *= x->dims[d];
      continue;
    }
    int64_t r = k->rank++;
    k->in[r] = x->dims[d];
    k->out[r] = p->out[d];
    k->scale_num[r] = ax->num[d];
    k->scale_den[r] = ax->den[d];
    span[r] = kept ? 1 : ax->span[d];
    off[r] = kept ? 0 : ax->off[d];
    if (!kept) k->resized |= (int64_t)1 << r;
    prev_kept = kept;
  }
  if (k->coord == RT_RS_TF_CROP_AND_RESIZE) return rs_roi_rational(c, k, span, off);
  k->roi_den = 1;
  return 0;
}

static int rs_plan(OpCtx *c, RsPlan *p) {
  IrValue *x = op_in(c, 0);
  int legacy = c->n->op_type[0] == 'U' || c->opset < 11, axes[IR_MAX_RANK];
  RsAxes ax;
  memset(p, 0, sizeof *p);
  if (rs_attrs(c, &p->k, legacy)) return -1;
  if (x->rank < 1) return op_invalid(c, "X '%s' must have rank >= 1", x->name);
  p->rank = x->rank;
  for (int d = 0; d < x->rank; d++) {
    p->out[d] = x->dims[d];
    ax.num[d] = ax.den[d] = 1;
    ax.span[d] = 1;
    ax.off[d] = 0;
  }
  int naxes = rs_axes_list(c, x->rank, axes);
  if (naxes < 0 || rs_sizes(c, p, &ax, axes, naxes, legacy)) return -1;
  if (p->k.coord == RT_RS_TF_CROP_AND_RESIZE && rs_roi(c, &ax, axes, naxes)) return -1;
  if (p->k.mode != RT_RS_NEAREST) {
    if (op_require_float(c, 0)) return -1;
  } else if (op_check_fixed_size(c, 0)) {
    return -1;
  } else if (p->k.coord == RT_RS_TF_CROP_AND_RESIZE && x->dtype != DT_F32) {
    return op_unsupported(c, "tf_crop_and_resize with nearest is supported for float32 only");
  }
  p->k.elem = (int64_t)dtype_size(x->dtype);
  return rs_collapse(c, p, &ax);
}

static int infer_resize(OpCtx *c) {
  RsPlan p;
  if (rs_plan(c, &p)) return -1;
  op_set_out(c, 0, op_in(c, 0)->dtype, p.rank, p.out);
  return 0;
}

static int lower_resize(OpCtx *c, KList *l) {
  RsPlan p;
  if (rs_plan(c, &p)) return -1;
  const RtResize *r = &p.k;
  KCall *k = kl_call(l, r->mode == RT_RS_NEAREST ? &K_RESIZE_NEAREST : &K_RESIZE_F32);
  int n = (int)r->rank;
  kc_i(k, "rank", r->rank);
  kc_i(k, "resized", r->resized);
  kc_iv(k, "in", r->in, n, RT_MAX_RANK);
  kc_iv(k, "out", r->out, n, RT_MAX_RANK);
  kc_iv(k, "scale_num", r->scale_num, n, RT_MAX_RANK);
  kc_iv(k, "scale_den", r->scale_den, n, RT_MAX_RANK);
  kc_iv(k, "roi_span", r->roi_span, n, RT_MAX_RANK);
  kc_iv(k, "roi_off", r->roi_off, n, RT_MAX_RANK);
  kc_i(k, "roi_den", r->roi_den);
  kc_i(k, "mode", r->mode);
  kc_i(k, "coord", r->coord);
  kc_i(k, "nearest", r->nearest);
  kc_i(k, "exclude_outside", r->exclude_outside);
  kc_i(k, "antialias", r->antialias);
  kc_i(k, "elem", r->elem);
  kc_f(k, "cubic_a", r->cubic_a);
  kc_f(k, "extrapolation", r->extrapolation);
  rs_kc_in_out(k, c);
  kc_arg(k, KC_SCRATCH);
  k->scratch_bytes = rt_resize_scratch(r);
  kc_end(k);
  return 0;
}

/* ---- GridSample ---- */

static int gs_params(OpCtx *c, RtGridSample *p) {
  static const char *const MODE16[] = {"nearest", "bilinear", "bicubic"};
  static const char *const MODE20[] = {"nearest", "linear", "cubic"};
  static const char *const PAD[] = {"zeros", "border", "reflection"};
  IrValue *x = op_in(c, 0), *g = op_in(c, 1);
  int ok = 1;
  memset(p, 0, sizeof *p);
  if (op_require_float(c, 0) || op_require_float(c, 1)) return -1;
  int new_names = c->opset >= 20;
  p->mode = rs_choice(c, "mode", new_names ? "linear" : "bilinear", new_names ? MODE20 : MODE16, 3);
  p->padding = rs_choice(c, "padding_mode", "zeros", PAD, 3);
  p->align_corners = op_attr_int(c, "align_corners", 0, &ok) != 0;
  if (p->mode < 0 || p->padding < 0 || !ok) return -1;
  if (x->rank < 3 || (!new_names && x->rank != 4))
    return op_invalid(c, "X '%s' must have rank %s", x->name, new_names ? ">= 3" : "4");
  p->r = x->rank - 2;
  if (g->rank != x->rank || g->dims[0] != x->dims[0] || g->dims[g->rank - 1] != p->r)
    return op_invalid(c, "grid '%s' must have shape [N, ..., %lld] of rank %d", g->name,
                      (long long)p->r, x->rank);
  if (p->mode == 2 && p->r > 3)
    return op_unsupported(c, "cubic GridSample over %lld dims; at most 3 are supported",
                          (long long)p->r);
  p->n = x->dims[0];
  p->c = x->dims[1];
  for (int d = 0; d < p->r; d++) {
    p->in[d] = x->dims[2 + d];
    p->out[d] = g->dims[1 + d];
  }
  return 0;
}

static int infer_grid_sample(OpCtx *c) {
  RtGridSample p;
  if (gs_params(c, &p)) return -1;
  int64_t dims[IR_MAX_RANK] = {p.n, p.c};
  for (int d = 0; d < p.r; d++) dims[2 + d] = p.out[d];
  op_set_out(c, 0, DT_F32, (int)p.r + 2, dims);
  return 0;
}

static int lower_grid_sample(OpCtx *c, KList *l) {
  RtGridSample p;
  if (gs_params(c, &p)) return -1;
  KCall *k = kl_call(l, &K_GRID_SAMPLE);
  kc_i(k, "n", p.n);
  kc_i(k, "c", p.c);
  kc_i(k, "r", p.r);
  kc_iv(k, "in", p.in, (int)p.r, RT_MAX_RANK);
  kc_iv(k, "out", p.out, (int)p.r, RT_MAX_RANK);
  kc_i(k, "mode", p.mode);
  kc_i(k, "padding", p.padding);
  kc_i(k, "align_corners", p.align_corners);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- AffineGrid ---- */

static int ag_params(OpCtx *c, RtAffineGrid *p) {
  IrValue *t = op_in(c, 0);
  int64_t size[5];
  int ok = 1;
  memset(p, 0, sizeof *p);
  if (op_require_float(c, 0)) return -1;
  p->align_corners = op_attr_int(c, "align_corners", 0, &ok) != 0;
  int n = op_const_ints(c, 1, size, 5);
  if (n < 0 || !ok) return -1;
  if (n != 4 && n != 5) return op_invalid(c, "size must have 4 or 5 values, not %d", n);
  p->r = n - 2;
  if (t->rank != 3 || t->dims[0] != size[0] || t->dims[1] != p->r || t->dims[2] != p->r + 1)
    return op_invalid(c, "theta '%s' must have shape [%lld, %lld, %lld]", t->name,
                      (long long)size[0], (long long)p->r, (long long)p->r + 1);
  p->n = size[0];
  p->size[0] = 1;
  for (int i = 2; i < n; i++) {
    if (size[i] < 0) return op_invalid(c, "size %lld is not valid", (long long)size[i]);
    p->size[3 - (n - i)] = size[i];
  }
  return 0;
}

static int infer_affine_grid(OpCtx *c) {
  RtAffineGrid p;
  if (ag_params(c, &p)) return -1;
  int64_t dims[5] = {p.n};
  int r = 1;
  for (int i = 3 - (int)p.r; i < 3; i++) dims[r++] = p.size[i];
  dims[r++] = p.r;
  op_set_out(c, 0, DT_F32, r, dims);
  return 0;
}

static int lower_affine_grid(OpCtx *c, KList *l) {
  RtAffineGrid p;
  if (ag_params(c, &p)) return -1;
  KCall *k = kl_call(l, &K_AFFINE_GRID);
  kc_i(k, "n", p.n);
  kc_i(k, "r", p.r);
  kc_iv(k, "size", p.size, 3, 3);
  kc_i(k, "align_corners", p.align_corners);
  rs_kc_in_out(k, c);
  kc_end(k);
  return 0;
}

/* ---- Col2Im ---- */

/* Reads an INTS attribute of n values, or fills it with dflt. */
static int rs_ints_or(OpCtx *c, const char *name, int64_t *v, int n, int64_t dflt) {
  int got = op_attr_ints(c, name, v, n);
  if (got == -2) return -1;
  if (got == -1)
    for (int i = 0; i < n; i++) v[i] = dflt;
  else if (got != n)
    return op_invalid(c, "attribute '%s' must have %d values, not %d", name, n, got);
  return 0;
}

static int c2i_params(OpCtx *c, RtCol2Im *p) {
  IrValue *x = op_in(c, 0);
  int64_t pads[2 * IR_MAX_RANK];
  memset(p, 0, sizeof *p);
  if (op_require_float(c, 0)) return -1;
  int n = op_const_ints(c, 1, p->image, IR_MAX_RANK - 2);
  int nb = op_const_ints(c, 2, p->block, IR_MAX_RANK - 2);
  if (n < 0 || nb < 0) return -1;
  if (n < 1 || nb != n)
    return op_invalid(c, "image_shape and block_shape must have the same length >= 1");
  p->r = n;
  if (rs_ints_or(c, "strides", p->stride, n, 1) || rs_ints_or(c, "dilations", p->dil, n, 1) ||
      rs_ints_or(c, "pads", pads, 2 * n, 0))
    return -1;
  if (x->rank != 3) return op_invalid(c, "input '%s' must have rank 3", x->name);
  int64_t nblock = 1, ncol = 1;
  for (int d = 0; d < n; d++) {
    if (p->block[d] < 1 || p->stride[d] < 1 || p->dil[d] < 1 || p->image[d] < 0)
      return op_invalid(c, "block_shape, strides and dilations must be >= 1");
    p->pad[d] = pads[d];
    int64_t span = p->image[d] + pads[d] + pads[n + d] - (p->dil[d] * (p->block[d] - 1) + 1);
    p->cols[d] = span < 0 ? 0 : span / p->stride[d] + 1;
    nblock *= p->block[d];
    ncol *= p->cols[d];
  }
  if (x->dims[1] % nblock != 0 || x->dims[2] != ncol)
    return op_invalid(c, "input '%s' must have shape [N, C * %lld, %lld]", x->name,
                      (long long)nblock, (long long)ncol);
  p->n = x->dims[0];
  p->c = x->dims[1] / nblock;
  return 0;
}

static int infer_col2im(OpCtx *c) {
  RtCol2Im p;
  if (c2i_params(c, &p)) return -1;
  int64_t dims[IR_MAX_RANK] = {p.n, p.c};
  for (int d = 0; d < p.r; d++) dims[2 + d] = p.image[d];
  op_set_out(c, 0, DT_F32, (int)p.r + 2, dims);
  return 0;
}

static int lower_col2im(OpCtx *c, KList *l) {
  RtCol2Im p;
  if (c2i_params(c, &p)) return -1;
  KCall *k = kl_call(l, &K_COL2IM);
  int r = (int)p.r;
  kc_i(k, "n", p.n);
  kc_i(k, "c", p.c);
  kc_i(k, "r", p.r);
  kc_iv(k, "image", p.image, r, RT_MAX_RANK);
  kc_iv(k, "block", p.block, r, RT_MAX_RANK);
  kc_iv(k, "cols", p.cols, r, RT_MAX_RANK);
  kc_iv(k, "stride", p.stride, r, RT_MAX_RANK);
  kc_iv(k, "dil", p.dil, r, RT_MAX_RANK);
  kc_iv(k, "pad", p.pad, r, RT_MAX_RANK);
  rs_kc_in_out(k, c);
  kc_end(k);
  return 0;
}

/* ---- MaxUnpool ---- */

static int mu_params(OpCtx *c, RtMaxUnpool *p) {
  static const DType I64[] = {DT_I64, DT_UNDEF};
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int64_t k[IR_MAX_RANK], s[IR_MAX_RANK], pads[2 * IR_MAX_RANK];
  memset(p, 0, sizeof *p);
  if (op_check_fixed_size(c, 0) || op_check_type(c, 1, I64)) return -1;
  if (x->rank < 3) return op_invalid(c, "X '%s' must have rank >= 3", x->name);
  if (!ir_same_shape(x, idx))
    return op_invalid(c, "I '%s' must have the shape of X '%s'", idx->name, x->name);
  int r = x->rank - 2;
  int nk = op_attr_ints(c, "kernel_shape", k, r);
  if (nk == -2) return -1;
  if (nk != r) return op_invalid(c, "kernel_shape must have %d values", r);
  if (rs_ints_or(c, "strides", s, r, 1) || rs_ints_or(c, "pads", pads, 2 * r, 0)) return -1;
  p->rank = x->rank;
  p->count = ir_numel(x);
  p->elem = (int64_t)dtype_size(x->dtype);
  p->inferred[0] = x->dims[0];
  p->inferred[1] = x->dims[1];
  for (int d = 0; d < r; d++) {
    p->inferred[2 + d] = (x->dims[2 + d] - 1) * s[d] - (pads[d] + pads[r + d]) + k[d];
    if (p->inferred[2 + d] < 0) return op_invalid(c, "the unpooled shape is negative");
  }
  memcpy(p->out, p->inferred, sizeof p->out);
  int n = op_has_in(c, 2) ? op_const_ints(c, 2, p->out, IR_MAX_RANK) : x->rank;
  if (n < 0) return -1;
  if (n != x->rank) return op_invalid(c, "output_shape must have %d values", x->rank);
  for (int d = 0; d < x->rank; d++)
    if (p->out[d] < p->inferred[d])
      return op_unsupported(c, "output_shape dim %d (%lld) is smaller than the unpooled %lld", d,
                            (long long)p->out[d], (long long)p->inferred[d]);
  return 0;
}

static int infer_max_unpool(OpCtx *c) {
  RtMaxUnpool p;
  if (mu_params(c, &p)) return -1;
  op_set_out(c, 0, op_in(c, 0)->dtype, (int)p.rank, p.out);
  return 0;
}

static int lower_max_unpool(OpCtx *c, KList *l) {
  RtMaxUnpool p;
  if (mu_params(c, &p)) return -1;
  KCall *k = kl_call(l, &K_MAX_UNPOOL);
  kc_i(k, "count", p.count);
  kc_i(k, "rank", p.rank);
  kc_iv(k, "inferred", p.inferred, (int)p.rank, RT_MAX_RANK);
  kc_iv(k, "out", p.out, (int)p.rank, RT_MAX_RANK);
  kc_i(k, "elem", p.elem);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- RoiAlign ---- */

static int ra_params(OpCtx *c, RtRoiAlign *p) {
  static const char *const MODE[] = {"avg", "max"};
  static const char *const CT[] = {"output_half_pixel", "half_pixel"};
  static const DType I64[] = {DT_I64, DT_UNDEF};
  IrValue *x = op_in(c, 0), *rois = op_in(c, 1), *bi = op_in(c, 2);
  int ok = 1;
  memset(p, 0, sizeof *p);
  if (op_require_float(c, 0) || op_require_float(c, 1) || op_check_type(c, 2, I64)) return -1;
  p->mode_max = rs_choice(c, "mode", "avg", MODE, 2);
  p->half_pixel =
      c->opset >= 16 ? rs_choice(c, "coordinate_transformation_mode", "half_pixel", CT, 2) : 0;
  p->out_h = op_attr_int(c, "output_height", 1, &ok);
  p->out_w = op_attr_int(c, "output_width", 1, &ok);
  p->sampling_ratio = op_attr_int(c, "sampling_ratio", 0, &ok);
  p->spatial_scale = op_attr_float(c, "spatial_scale", 1.0f, &ok);
  if (p->mode_max < 0 || p->half_pixel < 0 || !ok) return -1;
  if (p->out_h < 1 || p->out_w < 1 || p->sampling_ratio < 0)
    return op_invalid(c, "output_height, output_width must be >= 1, sampling_ratio >= 0");
  if (x->rank != 4) return op_invalid(c, "X '%s' must have rank 4", x->name);
  if (rois->rank != 2 || rois->dims[1] != 4 || bi->rank != 1 || bi->dims[0] != rois->dims[0])
    return op_invalid(c, "rois must be [num_rois, 4] and batch_indices [num_rois]");
  p->n = x->dims[0];
  p->c = x->dims[1];
  p->h = x->dims[2];
  p->w = x->dims[3];
  p->num_rois = rois->dims[0];
  return 0;
}

static int infer_roi_align(OpCtx *c) {
  RtRoiAlign p;
  if (ra_params(c, &p)) return -1;
  int64_t dims[4] = {p.num_rois, p.c, p.out_h, p.out_w};
  op_set_out(c, 0, DT_F32, 4, dims);
  return 0;
}

static int lower_roi_align(OpCtx *c, KList *l) {
  RtRoiAlign p;
  if (ra_params(c, &p)) return -1;
  KCall *k = kl_call(l, &K_ROI_ALIGN);
  kc_i(k, "n", p.n);
  kc_i(k, "c", p.c);
  kc_i(k, "h", p.h);
  kc_i(k, "w", p.w);
  kc_i(k, "num_rois", p.num_rois);
  kc_i(k, "out_h", p.out_h);
  kc_i(k, "out_w", p.out_w);
  kc_i(k, "sampling_ratio", p.sampling_ratio);
  kc_i(k, "half_pixel", p.half_pixel);
  kc_i(k, "mode_max", p.mode_max);
  kc_f(k, "spatial_scale", p.spatial_scale);
  for (int i = 0; i < 3; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OPS_RESIZE[] = {
    {"Resize", "", 10, 1, 4, 1, 1, OPL_KERNEL, 0, infer_resize, lower_resize},
    {"Upsample", "", 7, 1, 2, 1, 1, OPL_KERNEL, 0, infer_resize, lower_resize},
    {"GridSample", "", 16, 2, 2, 1, 1, OPL_KERNEL, 0, infer_grid_sample, lower_grid_sample},
    {"AffineGrid", "", 20, 2, 2, 1, 1, OPL_KERNEL, 0, infer_affine_grid, lower_affine_grid},
    {"Col2Im", "", 18, 3, 3, 1, 1, OPL_KERNEL, 0, infer_col2im, lower_col2im},
    {"MaxUnpool", "", 9, 2, 3, 1, 1, OPL_KERNEL, 0, infer_max_unpool, lower_max_unpool},
    {"RoiAlign", "", 10, 3, 3, 1, 1, OPL_KERNEL, 0, infer_roi_align, lower_roi_align},
    {NULL},
};
