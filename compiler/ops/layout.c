/* layout.c - ops that rearrange or generate tensors without arithmetic:
 * Tile, Trilu, EyeLike, OneHot, DepthToSpace, SpaceToDepth,
 * ReverseSequence, CenterCropPad, Compress. DepthToSpace and SpaceToDepth
 * are one 6-D strided copy (rt_copy), CenterCropPad a pad with negative
 * pads where it crops (rt_pad); the others have kernels in
 * runtime-mini/kernels/layout.c. */
#include <string.h>

#include "layout.h"
#include "op.h"

KERNEL_DEF(K_TILE, rt_tile, "layout.c", RtTile, 2, KA(0), KA(1));
KERNEL_DEF(K_TRILU, rt_trilu, "layout.c", RtTrilu, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_EYE_LIKE, rt_eye_like, "layout.c", RtEyeLike, 1, KA(0));
KERNEL_DEF(K_ONE_HOT, rt_one_hot, "layout.c", RtOneHot, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_REVERSE_SEQ, rt_reverse_sequence, "layout.c", RtReverseSeq, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_COMPRESS, rt_compress, "layout.c", RtCompress, 3, KA(0), KA(1), KA(2));

static int64_t elem_of(const IrValue *v) { return (int64_t)dtype_size(v->dtype); }

static int64_t prod(const int64_t *dims, int from, int to) {
  int64_t n = 1;
  for (int i = from; i < to; i++) n *= dims[i];
  return n;
}

/* ---- Tile: repeats is a constant input since opset 6. ---- */

static int tile_repeats(OpCtx *c, int64_t *reps) {
  IrValue *x = op_in(c, 0);
  if (c->opset < 6)
    return op_unsupported(c, "Tile before opset 6 (inputs tiles and axis) is not supported");
  int n = op_const_ints(c, 1, reps, IR_MAX_RANK);
  if (n == -2) return -1;
  if (n != x->rank)
    return op_invalid(c, "repeats has %d values for input '%s' of rank %d", n, x->name, x->rank);
  for (int i = 0; i < n; i++)
    if (reps[i] < 0) return op_invalid(c, "repeats[%d] = %lld is negative", i, (long long)reps[i]);
  return 0;
}

static int infer_tile(OpCtx *c) {
  int64_t reps[IR_MAX_RANK], dims[IR_MAX_RANK];
  if (op_check_fixed_size(c, 0) || tile_repeats(c, reps)) return -1;
  IrValue *x = op_in(c, 0);
  for (int i = 0; i < x->rank; i++) dims[i] = x->dims[i] * reps[i];
  op_set_out(c, 0, x->dtype, x->rank, dims);
  return 0;
}

static int lower_tile(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  KCall *k = kl_call(l, &K_TILE);
  kc_i(k, "rank", x->rank);
  kc_iv(k, "in", x->dims, x->rank, RT_MAX_RANK);
  kc_iv(k, "out", y->dims, y->rank, RT_MAX_RANK);
  kc_i(k, "elem", elem_of(x));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- Trilu: k (optional input, default 0) is read by the kernel. ---- */

static int infer_trilu(OpCtx *c) {
  static const DType K[] = {DT_I64, DT_UNDEF};
  if (op_check_fixed_size(c, 0) || op_check_type(c, 1, K)) return -1;
  IrValue *x = op_in(c, 0), *k = op_in(c, 1);
  int ok = 1;
  op_attr_int(c, "upper", 1, &ok);
  if (!ok) return -1;
  if (x->rank < 2) return op_invalid(c, "input '%s' must have rank >= 2", x->name);
  if (k && ir_numel(k) != 1) return op_invalid(c, "k '%s' must be a scalar", k->name);
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_trilu(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t upper = op_attr_int(c, "upper", 1, &ok);
  if (!ok) return -1;
  KCall *k = kl_call(l, &K_TRILU);
  kc_i(k, "batch", prod(x->dims, 0, x->rank - 2));
  kc_i(k, "rows", x->dims[x->rank - 2]);
  kc_i(k, "cols", x->dims[x->rank - 1]);
  kc_i(k, "upper", upper != 0);
  kc_i(k, "k", 0);
  kc_i(k, "elem", elem_of(x));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, op_has_in(c, 1) ? c->n->in[1] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- EyeLike ---- */

static DType eye_type(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t t = op_attr_int(c, "dtype", x->dtype, &ok);
  if (!ok) return DT_UNDEF;
  if (t <= 0 || t >= DT_COUNT_ || t == DT_STRING || t == DT_C64 || t == DT_C128) {
    op_unsupported(c, "dtype %lld", (long long)t);
    return DT_UNDEF;
  }
  return (DType)t;
}

/* The bits of 1 in type t. */
static int64_t eye_one(DType t) {
  switch (t) {
    case DT_F32: {
      float f = 1.0f;
      uint32_t u;
      memcpy(&u, &f, 4);
      return u;
    }
    case DT_F64: {
      double f = 1.0;
      int64_t u;
      memcpy(&u, &f, 8);
      return u;
    }
    case DT_F16: return 0x3C00;
    case DT_BF16: return 0x3F80;
    default: return 1;
  }
}

static int infer_eye_like(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  DType t = eye_type(c);
  int ok = 1;
  op_attr_int(c, "k", 0, &ok);
  if (t == DT_UNDEF || !ok) return -1;
  if (x->rank != 2) return op_invalid(c, "input '%s' must have rank 2", x->name);
  op_set_out(c, 0, t, 2, x->dims);
  return 0;
}

static int lower_eye_like(OpCtx *c, KList *l) {
  IrValue *y = op_out(c, 0);
  int ok = 1;
  int64_t kk = op_attr_int(c, "k", 0, &ok);
  if (!ok) return -1;
  KCall *k = kl_call(l, &K_EYE_LIKE);
  kc_i(k, "rows", y->dims[0]);
  kc_i(k, "cols", y->dims[1]);
  kc_i(k, "k", kk);
  kc_i(k, "elem", elem_of(y));
  kc_i(k, "one", eye_one(y->dtype));
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- OneHot: depth is a constant scalar; values [off, on] an input. ---- */

static int one_hot_shape(OpCtx *c, int *axis, int64_t *depth) {
  IrValue *idx = op_in(c, 0), *vals = op_in(c, 2);
  int ok = 1;
  int64_t ax = op_attr_int(c, "axis", -1, &ok);
  if (!ok) return -1;
  double d;
  if (op_const_float(c, 1, &d) < 0) return -1;
  if (!(d >= 1 && d < 1e15)) return op_invalid(c, "depth %g must be a positive integer", d);
  *depth = (int64_t)d;
  if (ir_numel(vals) != 2 || vals->rank != 1)
    return op_invalid(c, "values '%s' must be [off_value, on_value]", vals->name);
  if (idx->rank + 1 > IR_MAX_RANK) return op_unsupported(c, "output rank %d", idx->rank + 1);
  *axis = op_axis(c, ax, idx->rank + 1, "axis");
  return *axis < 0 ? -1 : 0;
}

static int infer_one_hot(OpCtx *c) {
  static const DType IDX[] = {DT_I64, DT_I32, DT_I16, DT_I8,  DT_U64,  DT_U32,
                              DT_U16, DT_U8,  DT_F32, DT_F64, DT_UNDEF};
  int a;
  int64_t depth, dims[IR_MAX_RANK];
  if (op_check_type(c, 0, IDX) || op_check_fixed_size(c, 2) || one_hot_shape(c, &a, &depth))
    return -1;
  IrValue *idx = op_in(c, 0);
  int r = 0;
  for (int i = 0; i <= idx->rank; i++) dims[r++] = i == a ? depth : idx->dims[i - (i > a)];
  op_set_out(c, 0, op_in(c, 2)->dtype, r, dims);
  return 0;
}

static int lower_one_hot(OpCtx *c, KList *l) {
  int a;
  int64_t depth;
  if (one_hot_shape(c, &a, &depth)) return -1;
  IrValue *idx = op_in(c, 0);
  KCall *k = kl_call(l, &K_ONE_HOT);
  kc_i(k, "outer", prod(idx->dims, 0, a));
  kc_i(k, "depth", depth);
  kc_i(k, "inner", prod(idx->dims, a, idx->rank));
  kc_i(k, "idx_type", idx->dtype);
  kc_i(k, "elem", elem_of(op_in(c, 2)));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[2]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- DepthToSpace / SpaceToDepth: one 6-D strided copy. ---- */

/* An rt_copy of dims (strides in elements), dropping size-1 dims and merging
 * dims contiguous on both sides. */
static void layout_copy(KList *l, int src, int dst, int rank, const int64_t *dims,
                        const int64_t *ss, const int64_t *ds, int64_t elem) {
  int64_t d[IR_MAX_RANK], s[IR_MAX_RANK], t[IR_MAX_RANK];
  int r = 0;
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 0) return;
    if (dims[i] == 1) continue;
    if (r > 0 && s[r - 1] == ss[i] * dims[i] && t[r - 1] == ds[i] * dims[i]) {
      d[r - 1] *= dims[i];
      s[r - 1] = ss[i];
      t[r - 1] = ds[i];
      continue;
    }
    d[r] = dims[i];
    s[r] = ss[i];
    t[r++] = ds[i];
  }
  KCall *k = kl_add(l, "rt_copy");
  kc_i(k, "rank", r);
  kc_iv(k, "dims", d, r, RT_MAX_RANK);
  kc_iv(k, "src_strides", s, r, RT_MAX_RANK);
  kc_iv(k, "dst_strides", t, r, RT_MAX_RANK);
  kc_i(k, "src_offset", 0);
  kc_i(k, "dst_offset", 0);
  kc_i(k, "elem", elem);
  kc_arg(k, src);
  kc_arg(k, dst);
  kc_end(k);
}

/* Blocksize and mode (1 = CRD, 0 = DCR); to_space: DepthToSpace. */
static int d2s_attrs(OpCtx *c, int to_space, int64_t *b, int *crd) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  if (!ir_attr(c->n, "blocksize")) return op_invalid(c, "attribute 'blocksize' is required");
  *b = op_attr_int(c, "blocksize", 0, &ok);
  const char *mode = op_attr_str(c, "mode", "DCR", &ok);
  if (!ok) return -1;
  if (strcmp(mode, "DCR") && strcmp(mode, "CRD"))
    return op_invalid(c, "mode '%s' must be DCR or CRD", mode);
  *crd = strcmp(mode, "CRD") == 0;
  if (x->rank != 4) return op_invalid(c, "input '%s' must have rank 4", x->name);
  if (*b <= 0) return op_invalid(c, "blocksize %lld must be positive", (long long)*b);
  if (to_space ? x->dims[1] % (*b * *b) != 0 : (x->dims[2] % *b || x->dims[3] % *b))
    return op_invalid(c, "the %s of '%s' are not divisible by blocksize %lld",
                      to_space ? "channels" : "height and width", x->name, (long long)*b);
  return 0;
}

static int infer_d2s(OpCtx *c) {
  int to_space = strcmp(c->n->op_type, "DepthToSpace") == 0, crd;
  int64_t b;
  if (op_check_fixed_size(c, 0) || d2s_attrs(c, to_space, &b, &crd)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t dims[4] = {x->dims[0], x->dims[1], x->dims[2], x->dims[3]};
  if (to_space) {
    dims[1] /= b * b;
    dims[2] *= b;
    dims[3] *= b;
  } else {
    dims[1] *= b * b;
    dims[2] /= b;
    dims[3] /= b;
  }
  op_set_out(c, 0, x->dtype, 4, dims);
  return 0;
}

static int lower_d2s(OpCtx *c, KList *l) {
  int to_space = strcmp(c->n->op_type, "DepthToSpace") == 0, crd;
  int64_t b;
  if (d2s_attrs(c, to_space, &b, &crd)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t n = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  int64_t dims[6], ss[6], ds[6];
  if (to_space) { /* y viewed as [N, C/b², H, b, W, b]; x's channel by mode */
    int64_t c2 = C / (b * b);
    int64_t d[6] = {n, c2, H, b, W, b};
    int64_t sd[6] = {C * H * W, H * W, W, b * c2 * H * W, 1, c2 * H * W};
    int64_t sc[6] = {C * H * W, b * b * H * W, W, b * H * W, 1, H * W};
    memcpy(dims, d, sizeof d);
    memcpy(ss, crd ? sc : sd, sizeof ss);
  } else { /* y viewed as [N, b, b, C, H/b, W/b] (DCR) or [N, C, b, b, H/b, W/b] */
    int64_t h = H / b, w = W / b;
    int64_t d[6] = {n, b, b, C, h, w}, dc[6] = {n, C, b, b, h, w};
    int64_t sd[6] = {C * H * W, W, 1, H * W, b * W, b};
    int64_t sc[6] = {C * H * W, H * W, W, 1, b * W, b};
    memcpy(dims, crd ? dc : d, sizeof dims);
    memcpy(ss, crd ? sc : sd, sizeof ss);
  }
  ds[5] = 1;
  for (int i = 4; i >= 0; i--) ds[i] = ds[i + 1] * dims[i + 1];
  layout_copy(l, c->n->in[0], c->n->out[0], 6, dims, ss, ds, elem_of(x));
  return 0;
}

/* ---- ReverseSequence ---- */

static int rev_axes(OpCtx *c, int *batch_first) {
  IrValue *x = op_in(c, 0), *lens = op_in(c, 1);
  int ok = 1;
  int64_t ba = op_attr_int(c, "batch_axis", 1, &ok);
  int64_t ta = op_attr_int(c, "time_axis", 0, &ok);
  if (!ok) return -1;
  if (!((ba == 0 && ta == 1) || (ba == 1 && ta == 0)))
    return op_invalid(c, "batch_axis %lld and time_axis %lld must be 0 and 1", (long long)ba,
                      (long long)ta);
  if (x->rank < 2) return op_invalid(c, "input '%s' must have rank >= 2", x->name);
  if (lens->rank != 1 || lens->dims[0] != x->dims[ba])
    return op_invalid(c, "sequence_lens '%s' must have shape [%lld] (the batch)", lens->name,
                      (long long)x->dims[ba]);
  *batch_first = ba == 0;
  return 0;
}

static int infer_reverse_seq(OpCtx *c) {
  static const DType LENS[] = {DT_I64, DT_UNDEF};
  int bf;
  if (op_check_fixed_size(c, 0) || op_check_type(c, 1, LENS) || rev_axes(c, &bf)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_reverse_seq(OpCtx *c, KList *l) {
  int bf;
  if (rev_axes(c, &bf)) return -1;
  IrValue *x = op_in(c, 0);
  KCall *k = kl_call(l, &K_REVERSE_SEQ);
  kc_i(k, "batch_first", bf);
  kc_i(k, "d0", x->dims[0]);
  kc_i(k, "d1", x->dims[1]);
  kc_i(k, "inner", prod(x->dims, 2, x->rank));
  kc_i(k, "elem", elem_of(x));
  for (int i = 0; i < 2; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- CenterCropPad: shape is a constant input; per axis the input is
 * centered in the target size (crop and pad offsets round down). ---- */

static int ccp_pads(OpCtx *c, int64_t *out, int64_t *pad_begin) {
  IrValue *x = op_in(c, 0);
  int64_t shape[IR_MAX_RANK], axes[IR_MAX_RANK];
  int n = op_const_ints(c, 1, shape, IR_MAX_RANK);
  if (n == -2) return -1;
  int na = op_attr_ints(c, "axes", axes, IR_MAX_RANK);
  if (na == -2) return -1;
  if (na == -1)
    for (na = 0; na < x->rank; na++) axes[na] = na;
  if (n != na) return op_invalid(c, "shape has %d values for %d axes", n, na);
  int seen[IR_MAX_RANK] = {0};
  memcpy(out, x->dims, sizeof(int64_t) * (size_t)x->rank);
  for (int i = 0; i < x->rank; i++) pad_begin[i] = 0;
  for (int i = 0; i < n; i++) {
    int a = op_axis(c, axes[i], x->rank, "axis");
    if (a < 0) return -1;
    if (seen[a]++) return op_invalid(c, "axis %d is listed twice", a);
    if (shape[i] < 0) return op_invalid(c, "shape[%d] = %lld is negative", i, (long long)shape[i]);
    int64_t d = x->dims[a];
    out[a] = shape[i];
    pad_begin[a] = shape[i] >= d ? (shape[i] - d) / 2 : -((d - shape[i]) / 2);
  }
  return 0;
}

static int infer_ccp(OpCtx *c) {
  int64_t out[IR_MAX_RANK], pb[IR_MAX_RANK];
  if (op_check_fixed_size(c, 0) || ccp_pads(c, out, pb)) return -1;
  IrValue *x = op_in(c, 0);
  op_set_out(c, 0, x->dtype, x->rank, out);
  return 0;
}

static int lower_ccp(OpCtx *c, KList *l) {
  int64_t out[IR_MAX_RANK], pb[IR_MAX_RANK];
  if (ccp_pads(c, out, pb)) return -1;
  IrValue *x = op_in(c, 0);
  KCall *k = kl_add(l, "rt_pad");
  kc_i(k, "rank", x->rank);
  kc_iv(k, "in", x->dims, x->rank, RT_MAX_RANK);
  kc_iv(k, "out", out, x->rank, RT_MAX_RANK);
  kc_iv(k, "pad_begin", pb, x->rank, RT_MAX_RANK);
  kc_i(k, "mode", 0);
  kc_i(k, "elem", elem_of(x));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- Compress: the condition must be constant (it decides the shape);
 * the kernel reads it from the weights. ---- */

typedef struct CompressSpec {
  int axis; /* -1: flattened */
  int64_t outer, axis_len, inner, kept;
} CompressSpec;

static int compress_spec(OpCtx *c, CompressSpec *s) {
  static const DType BOOL[] = {DT_BOOL, DT_UNDEF};
  IrValue *x = op_in(c, 0), *cond = op_in(c, 1);
  if (op_check_type(c, 1, BOOL)) return -1;
  if (!(cond->flags & VF_CONST))
    return op_unsupported(c,
                          "input 1 ('%s') must be a compile-time constant (it decides a "
                          "shape)",
                          cond->name);
  if (cond->rank != 1) return op_invalid(c, "condition '%s' must be 1-D", cond->name);
  s->axis = -1;
  if (ir_attr(c->n, "axis")) {
    int ok = 1;
    int64_t ax = op_attr_int(c, "axis", 0, &ok);
    if (!ok || (s->axis = op_axis(c, ax, x->rank, "axis")) < 0) return -1;
  }
  s->outer = s->axis < 0 ? 1 : prod(x->dims, 0, s->axis);
  s->axis_len = s->axis < 0 ? ir_numel(x) : x->dims[s->axis];
  s->inner = s->axis < 0 ? 1 : prod(x->dims, s->axis + 1, x->rank);
  s->kept = 0;
  const unsigned char *b = cond->data;
  for (int64_t i = 0; i < cond->dims[0]; i++) {
    if (!b[i]) continue;
    if (i >= s->axis_len)
      return op_invalid(c, "condition '%s' selects index %lld of an axis of %lld", cond->name,
                        (long long)i, (long long)s->axis_len);
    s->kept++;
  }
  return 0;
}

static int infer_compress(OpCtx *c) {
  CompressSpec s;
  if (op_check_fixed_size(c, 0) || compress_spec(c, &s)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t dims[IR_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  dims[s.axis < 0 ? 0 : s.axis] = s.kept;
  op_set_out(c, 0, x->dtype, s.axis < 0 ? 1 : x->rank, dims);
  return 0;
}

static int lower_compress(OpCtx *c, KList *l) {
  CompressSpec s;
  if (compress_spec(c, &s)) return -1;
  KCall *k = kl_call(l, &K_COMPRESS);
  kc_i(k, "outer", s.outer);
  kc_i(k, "axis_len", s.axis_len);
  kc_i(k, "inner", s.inner);
  kc_i(k, "ncond", ir_numel(op_in(c, 1)));
  kc_i(k, "elem", elem_of(op_in(c, 0)));
  for (int i = 0; i < 2; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* BitCast: the same bytes seen as another type of the same width (a view).
 * The 4- and 2-bit types are held one per byte, the signed ones
 * sign-extended, so between those a view would be wrong: not supported. */
static int infer_bitcast(OpCtx *c) {
  int ok = 1;
  int64_t to = op_attr_int(c, "to", 0, &ok);
  IrValue *x = op_in(c, 0);
  if (!ok) return -1;
  if (!ir_attr(c->n, "to")) return op_invalid(c, "attribute 'to' is required");
  if (to <= 0 || to >= DT_COUNT_ || !dtype_size((DType)to) || to == DT_STRING)
    return op_unsupported(c, "BitCast to type %lld is not supported", (long long)to);
  if (x->dtype == DT_STRING) return op_invalid(c, "BitCast of strings is not defined");
  if (dtype_packed_bits((DType)to) != dtype_packed_bits(x->dtype))
    return op_invalid(c, "BitCast from %s (%d bits) to %s (%d bits): the widths must match",
                      dtype_name(x->dtype), dtype_packed_bits(x->dtype),
                      dtype_name((DType)to), dtype_packed_bits((DType)to));
  if (dtype_packed_bits(x->dtype) < 8 && (DType)to != x->dtype)
    return op_unsupported(c, "BitCast between %s and %s is not supported", dtype_name(x->dtype),
                          dtype_name((DType)to));
  op_set_out(c, 0, (DType)to, x->rank, x->dims);
  return 0;
}

#define LAYOUT_OP(NAME, SINCE, MIN_IN, MAX_IN, INFER, LOWER) \
  { NAME, "", SINCE, MIN_IN, MAX_IN, 1, 1, OPL_KERNEL, OPF_ANY_TYPE, INFER, LOWER }
const OpDef OPS_LAYOUT[] = {
    LAYOUT_OP("Tile", 1, 2, 3, infer_tile, lower_tile),
    LAYOUT_OP("Trilu", 14, 1, 2, infer_trilu, lower_trilu),
    LAYOUT_OP("EyeLike", 9, 1, 1, infer_eye_like, lower_eye_like),
    LAYOUT_OP("OneHot", 9, 3, 3, infer_one_hot, lower_one_hot),
    LAYOUT_OP("DepthToSpace", 1, 1, 1, infer_d2s, lower_d2s),
    LAYOUT_OP("SpaceToDepth", 1, 1, 1, infer_d2s, lower_d2s),
    LAYOUT_OP("ReverseSequence", 10, 2, 2, infer_reverse_seq, lower_reverse_seq),
    LAYOUT_OP("CenterCropPad", 18, 2, 2, infer_ccp, lower_ccp),
    LAYOUT_OP("Compress", 9, 2, 2, infer_compress, lower_compress),
    {"BitCast", "", 26, 1, 1, 1, 1, OPL_VIEW, OPF_ANY_TYPE, infer_bitcast},
    {NULL},
};
