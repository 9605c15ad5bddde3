/* data.c - ops that move data without arithmetic: Transpose, Concat, Split,
 * Slice, Gather, Pad. All but Gather and Pad lower to strided copies. */
#include <string.h>

#include "rt_kernels.h"
#include "op.h"

/* Adds an rt_copy call, dropping size-1 dims and merging dims that are
 * contiguous in both source and destination. */
static void add_copy(KList *l, int src, int dst, int rank, const int64_t *dims,
                     const int64_t *ss, const int64_t *ds, int64_t soff, int64_t doff,
                     int64_t elem) {
  int64_t d[IR_MAX_RANK], s[IR_MAX_RANK], t[IR_MAX_RANK];
  int r = 0;
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 0) return; /* nothing to copy */
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
  kc_i(k, "src_offset", soff);
  kc_i(k, "dst_offset", doff);
  kc_i(k, "elem", elem);
  kc_arg(k, src);
  kc_arg(k, dst);
  kc_end(k);
}

/* ---- Transpose ---- */

static int read_perm(OpCtx *c, int64_t *perm) {
  IrValue *x = op_in(c, 0);
  int n = op_attr_ints(c, "perm", perm, IR_MAX_RANK);
  if (n == -2) return -1;
  if (n == -1) {
    for (int i = 0; i < x->rank; i++) perm[i] = x->rank - 1 - i;
    return 0;
  }
  int seen[IR_MAX_RANK] = {0};
  if (n != x->rank) return op_invalid(c, "perm has %d values for rank %d", n, x->rank);
  for (int i = 0; i < n; i++) {
    if (perm[i] < 0 || perm[i] >= n || seen[perm[i]]++)
      return op_invalid(c, "perm is not a permutation of 0..%d", n - 1);
  }
  return 0;
}

static int infer_transpose(OpCtx *c) {
  int64_t perm[IR_MAX_RANK], dims[IR_MAX_RANK];
  if (op_check_fixed_size(c, 0) || read_perm(c, perm)) return -1;
  IrValue *x = op_in(c, 0);
  for (int i = 0; i < x->rank; i++) dims[i] = x->dims[perm[i]];
  op_set_out(c, 0, x->dtype, x->rank, dims);
  return 0;
}

static int lower_transpose(OpCtx *c, KList *l) {
  int64_t perm[IR_MAX_RANK], in_s[IR_MAX_RANK], ss[IR_MAX_RANK], ds[IR_MAX_RANK];
  if (read_perm(c, perm)) return -1;
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  ir_strides(x, in_s);
  ir_strides(y, ds);
  for (int i = 0; i < x->rank; i++) ss[i] = in_s[perm[i]];
  add_copy(l, c->n->in[0], c->n->out[0], y->rank, y->dims, ss, ds, 0, 0,
           (int64_t)dtype_size(x->dtype));
  return 0;
}

/* ---- Concat ---- */

static int concat_axis(OpCtx *c) {
  int ok = 1;
  IrValue *x = op_in(c, 0);
  if (!ir_attr(c->n, "axis")) return op_invalid(c, "attribute 'axis' is required");
  int64_t axis = op_attr_int(c, "axis", 0, &ok);
  return ok ? op_axis(c, axis, x->rank, "axis") : -1;
}

static int infer_concat(OpCtx *c) {
  int a = concat_axis(c);
  if (a < 0 || op_check_fixed_size(c, 0)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t dims[IR_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  dims[a] = 0;
  for (int i = 0; i < c->n->nin; i++) {
    IrValue *v = op_in(c, i);
    if (!v) return op_invalid(c, "input %d is missing", i);
    int same = v->rank == x->rank && v->dtype == x->dtype;
    for (int j = 0; same && j < x->rank; j++) same = j == a || v->dims[j] == x->dims[j];
    if (!same) {
      char b1[128], b2[128];
      return op_invalid(c, "input '%s' %s %s does not match '%s' %s %s outside axis %d",
                        v->name, dtype_name(v->dtype), ir_shape_str(v, b1, sizeof b1), x->name,
                        dtype_name(x->dtype), ir_shape_str(x, b2, sizeof b2), a);
    }
    dims[a] += v->dims[a];
  }
  op_set_out(c, 0, x->dtype, x->rank, dims);
  return 0;
}

static int lower_concat(OpCtx *c, KList *l) {
  int a = concat_axis(c);
  if (a < 0) return -1;
  IrValue *y = op_out(c, 0);
  int64_t ds[IR_MAX_RANK], ss[IR_MAX_RANK], off = 0;
  ir_strides(y, ds);
  for (int i = 0; i < c->n->nin; i++) {
    IrValue *v = op_in(c, i);
    ir_strides(v, ss);
    add_copy(l, c->n->in[i], c->n->out[0], v->rank, v->dims, ss, ds, 0, off * ds[a],
             (int64_t)dtype_size(v->dtype));
    off += v->dims[a];
  }
  return 0;
}

/* ---- Split ---- */

static int split_sizes(OpCtx *c, int *axis, int64_t *sizes) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t ax = op_attr_int(c, "axis", 0, &ok);
  int64_t num = op_attr_int(c, "num_outputs", 0, &ok);
  if (!ok || (*axis = op_axis(c, ax, x->rank, "axis")) < 0) return -1;
  int nout = c->n->nout;
  if (nout > 64) return op_unsupported(c, "more than 64 outputs");
  int64_t tmp[64];
  int n = c->opset >= 13 ? op_const_ints(c, 1, tmp, 64) : op_attr_ints(c, "split", tmp, 64);
  if (n == -2) return -1;
  int64_t d = x->dims[*axis], total = 0;
  if (n >= 0) {
    if (n != nout) return op_invalid(c, "split has %d sizes for %d outputs", n, nout);
    for (int i = 0; i < n; i++) total += sizes[i] = tmp[i];
    if (total != d)
      return op_invalid(c, "split sizes add up to %lld, axis %d has %lld", (long long)total,
                        *axis, (long long)d);
    return 0;
  }
  if (num && num != nout) return op_invalid(c, "num_outputs is %lld but the node has %d outputs",
                                            (long long)num, nout);
  int64_t chunk = (d + nout - 1) / nout;
  if (!num && d % nout) return op_invalid(c, "axis size %lld is not divisible into %d outputs",
                                          (long long)d, nout);
  for (int i = 0; i < nout; i++) {
    sizes[i] = MIN(chunk, d - total);
    total += sizes[i];
  }
  return 0;
}

static int infer_split(OpCtx *c) {
  int axis;
  int64_t sizes[64];
  if (op_check_fixed_size(c, 0) || split_sizes(c, &axis, sizes)) return -1;
  IrValue *x = op_in(c, 0);
  for (int i = 0; i < c->n->nout; i++) {
    int64_t dims[IR_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = sizes[i];
    op_set_out(c, i, x->dtype, x->rank, dims);
  }
  return 0;
}

static int lower_split(OpCtx *c, KList *l) {
  int axis;
  int64_t sizes[64], ss[IR_MAX_RANK], ds[IR_MAX_RANK], off = 0;
  if (split_sizes(c, &axis, sizes)) return -1;
  IrValue *x = op_in(c, 0);
  ir_strides(x, ss);
  for (int i = 0; i < c->n->nout; i++) {
    IrValue *y = op_out(c, i);
    if (y) {
      ir_strides(y, ds);
      add_copy(l, c->n->in[0], c->n->out[i], y->rank, y->dims, ss, ds, off * ss[axis], 0,
               (int64_t)dtype_size(x->dtype));
    }
    off += sizes[i];
  }
  return 0;
}

/* ---- Slice ---- */

typedef struct SliceSpec {
  int64_t start[IR_MAX_RANK], step[IR_MAX_RANK], count[IR_MAX_RANK];
} SliceSpec;

static int slice_spec(OpCtx *c, SliceSpec *s) {
  IrValue *x = op_in(c, 0);
  int64_t st[IR_MAX_RANK], en[IR_MAX_RANK], ax[IR_MAX_RANK], sp[IR_MAX_RANK];
  int ns, ne, na, np = -1;
  if (c->opset < 10) {
    ns = op_attr_ints(c, "starts", st, IR_MAX_RANK);
    ne = op_attr_ints(c, "ends", en, IR_MAX_RANK);
    na = op_attr_ints(c, "axes", ax, IR_MAX_RANK);
  } else {
    ns = op_const_ints(c, 1, st, IR_MAX_RANK);
    ne = op_const_ints(c, 2, en, IR_MAX_RANK);
    na = op_const_ints(c, 3, ax, IR_MAX_RANK);
    np = op_const_ints(c, 4, sp, IR_MAX_RANK);
  }
  if (ns == -2 || ne == -2 || na == -2 || np == -2) return -1;
  if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (np >= 0 && np != ns))
    return op_invalid(c, "starts, ends, axes and steps must have the same length");
  for (int i = 0; i < x->rank; i++) {
    s->start[i] = 0;
    s->step[i] = 1;
    s->count[i] = x->dims[i];
  }
  int seen[IR_MAX_RANK] = {0};
  for (int i = 0; i < ns; i++) {
    int a = op_axis(c, na >= 0 ? ax[i] : i, x->rank, "axis");
    if (a < 0) return -1;
    if (seen[a]++) return op_invalid(c, "axis %d is sliced twice", a);
    int64_t d = x->dims[a], step = np >= 0 ? sp[i] : 1, b = st[i], e = en[i];
    if (step == 0) return op_invalid(c, "step 0 on axis %d", a);
    if (b < 0) b += d;
    if (e < 0) e += d;
    if (step > 0) {
      b = MAX(0, MIN(b, d));
      e = MAX(0, MIN(e, d));
      s->count[a] = e > b ? (e - b + step - 1) / step : 0;
    } else {
      b = MAX(-1, MIN(b, d - 1));
      e = MAX(-1, MIN(e, d - 1));
      s->count[a] = b > e ? (b - e - step - 1) / -step : 0;
    }
    s->start[a] = b;
    s->step[a] = step;
  }
  return 0;
}

static int infer_slice(OpCtx *c) {
  SliceSpec s;
  if (op_check_fixed_size(c, 0) || slice_spec(c, &s)) return -1;
  IrValue *x = op_in(c, 0);
  op_set_out(c, 0, x->dtype, x->rank, s.count);
  return 0;
}

static int lower_slice(OpCtx *c, KList *l) {
  SliceSpec s;
  if (slice_spec(c, &s)) return -1;
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  int64_t xs[IR_MAX_RANK], ss[IR_MAX_RANK], ds[IR_MAX_RANK], off = 0;
  ir_strides(x, xs);
  ir_strides(y, ds);
  for (int i = 0; i < x->rank; i++) {
    ss[i] = xs[i] * s.step[i];
    if (s.count[i]) off += s.start[i] * xs[i];
  }
  add_copy(l, c->n->in[0], c->n->out[0], y->rank, y->dims, ss, ds, off, 0,
           (int64_t)dtype_size(x->dtype));
  return 0;
}

/* ---- Gather ---- */

static int infer_gather(OpCtx *c) {
  static const DType IDX[] = {DT_I64, DT_I32, DT_UNDEF};
  if (op_check_fixed_size(c, 0) || op_check_type(c, 1, IDX)) return -1;
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int ok = 1;
  int a = op_axis(c, op_attr_int(c, "axis", 0, &ok), x->rank, "axis");
  if (!ok || a < 0) return -1;
  int rank = x->rank - 1 + idx->rank;
  if (rank > IR_MAX_RANK) return op_unsupported(c, "output rank %d", rank);
  if (idx->flags & VF_CONST) {
    for (int64_t i = 0; i < ir_numel(idx); i++) {
      int64_t v = idx->dtype == DT_I64 ? ((const int64_t *)idx->data)[i]
                                       : ((const int32_t *)idx->data)[i];
      if (v < -x->dims[a] || v >= x->dims[a])
        return op_invalid(c, "index %lld is out of range for axis %d of size %lld",
                          (long long)v, a, (long long)x->dims[a]);
    }
  }
  int64_t dims[IR_MAX_RANK];
  int r = 0;
  for (int i = 0; i < a; i++) dims[r++] = x->dims[i];
  for (int i = 0; i < idx->rank; i++) dims[r++] = idx->dims[i];
  for (int i = a + 1; i < x->rank; i++) dims[r++] = x->dims[i];
  op_set_out(c, 0, x->dtype, rank, dims);
  return 0;
}

static int lower_gather(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *idx = op_in(c, 1);
  int ok = 1;
  int a = op_axis(c, op_attr_int(c, "axis", 0, &ok), x->rank, "axis");
  if (a < 0) return -1;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; i++) outer *= x->dims[i];
  for (int i = a + 1; i < x->rank; i++) inner *= x->dims[i];
  KCall *k = kl_add(l, "rt_gather");
  kc_i(k, "outer", outer);
  kc_i(k, "axis_len", x->dims[a]);
  kc_i(k, "inner", inner);
  kc_i(k, "nidx", ir_numel(idx));
  kc_i(k, "elem", (int64_t)dtype_size(x->dtype));
  kc_i(k, "idx_i32", idx->dtype == DT_I32);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- Pad ---- */

static int pad_spec(OpCtx *c, int64_t *begin, int64_t *end, int *mode) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  const char *m = op_attr_str(c, "mode", "constant", &ok);
  if (!ok) return -1;
  static const char *MODES[] = {"constant", "reflect", "edge", "wrap"};
  *mode = -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(m, MODES[i]) == 0) *mode = i;
  if (*mode < 0) return op_invalid(c, "unknown mode '%s'", m);
  int64_t pads[2 * IR_MAX_RANK], axes[IR_MAX_RANK];
  int np = c->opset < 11 ? op_attr_ints(c, "pads", pads, 2 * IR_MAX_RANK)
                         : op_const_ints(c, 1, pads, 2 * IR_MAX_RANK);
  int na = c->opset >= 18 ? op_const_ints(c, 3, axes, IR_MAX_RANK) : -1;
  if (np == -2 || na == -2) return -1;
  if (np < 0) return op_invalid(c, "pads are required");
  if (na < 0) {
    na = x->rank;
    for (int i = 0; i < na; i++) axes[i] = i;
  }
  if (np != 2 * na) return op_invalid(c, "pads has %d values, expected %d", np, 2 * na);
  for (int i = 0; i < x->rank; i++) begin[i] = end[i] = 0;
  for (int i = 0; i < na; i++) {
    int a = op_axis(c, axes[i], x->rank, "axis");
    if (a < 0) return -1;
    begin[a] = pads[i];
    end[a] = pads[i + na];
    if (x->dims[a] + begin[a] + end[a] < 0)
      return op_invalid(c, "pads make axis %d negative", a);
    if (*mode != 0 && x->dims[a] == 0 && begin[a] + end[a] > 0)
      return op_invalid(c, "cannot pad an empty axis in mode '%s'", m);
  }
  return 0;
}

static int infer_pad(OpCtx *c) {
  int64_t b[IR_MAX_RANK], e[IR_MAX_RANK], dims[IR_MAX_RANK];
  int mode;
  if (op_check_fixed_size(c, 0) || pad_spec(c, b, e, &mode)) return -1;
  IrValue *x = op_in(c, 0), *v = op_in(c, 2);
  if (v && (v->dtype != x->dtype || ir_numel(v) != 1))
    return op_invalid(c, "constant_value '%s' must be a scalar of type %s", v->name,
                      dtype_name(x->dtype));
  if (c->opset < 11) {
    int ok = 1;
    float value = op_attr_float(c, "value", 0.0f, &ok);
    if (!ok) return -1;
    if (x->dtype != DT_F32) return op_unsupported(c, "Pad-2 on %s", dtype_name(x->dtype));
    float *d = op_alloc(c->g, 4);
    *d = value;
    if (c->n->nin < 3) {
      c->n->in = xrealloc(c->n->in, 3 * sizeof(int));
      c->n->in[1] = -1;
      c->n->nin = 3;
    }
    c->n->in[2] = ir_add_const(c->g, "pad_value", DT_F32, 0, NULL, d);
    x = op_in(c, 0); /* adding a value may move the others */
  }
  for (int i = 0; i < x->rank; i++) dims[i] = x->dims[i] + b[i] + e[i];
  op_set_out(c, 0, x->dtype, x->rank, dims);
  return 0;
}

static int lower_pad(OpCtx *c, KList *l) {
  int64_t b[IR_MAX_RANK], e[IR_MAX_RANK];
  int mode;
  if (pad_spec(c, b, e, &mode)) return -1;
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  KCall *k = kl_add(l, "rt_pad");
  kc_i(k, "rank", x->rank);
  kc_iv(k, "in", x->dims, x->rank, RT_MAX_RANK);
  kc_iv(k, "out", y->dims, y->rank, RT_MAX_RANK);
  kc_iv(k, "pad_begin", b, x->rank, RT_MAX_RANK);
  kc_i(k, "mode", mode);
  kc_i(k, "elem", (int64_t)dtype_size(x->dtype));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

#define KERNEL(NAME, SINCE, MIN, MAX, NOUT, INFER, LOWER) \
  {NAME, "", SINCE, MIN, MAX, 1, NOUT, OPL_KERNEL, OPF_ANY_TYPE, INFER, LOWER}

const OpDef OPS_DATA[] = {
    KERNEL("Transpose", 1, 1, 1, 1, infer_transpose, lower_transpose),
    KERNEL("Concat", 4, 1, 4096, 1, infer_concat, lower_concat),
    KERNEL("Split", 2, 1, 2, 64, infer_split, lower_split),
    KERNEL("Slice", 1, 1, 5, 1, infer_slice, lower_slice),
    KERNEL("Gather", 1, 2, 2, 1, infer_gather, lower_gather),
    KERNEL("Pad", 2, 1, 4, 1, infer_pad, lower_pad),
    {NULL},
};
