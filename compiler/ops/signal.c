/* signal.c - the signal-processing ops: DFT (opset 17, axis an attribute;
 * opset 20, axis an input), STFT, HannWindow, HammingWindow,
 * BlackmanWindow and MelWeightMatrix (opset 17). Kernels:
 * runtime-mini/kernels/signal.c.
 *
 * Whatever decides a shape must be a compile-time constant: DFT's
 * dft_length and axis, STFT's frame_step and frame_length, a window's size,
 * MelWeightMatrix's num_mel_bins and dft_length. Signals are float32 or
 * float64 (16-bit floats arrive as float32). Windows and mel matrices are
 * written in any numeric type (output_datatype); a 16-bit float one is made
 * in float32 and converted after the node (infer.c's half_type). */
#include <math.h>
#include <string.h>

#include "op.h"
#include "signal.h"

KERNEL_DEF(K_DFT, rt_dft, "signal.c", RtDft, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_STFT, rt_stft, "signal.c", RtStft, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_WINDOW, rt_window, "signal.c", RtWindow, 1, KA(0));
KERNEL_DEF(K_MEL, rt_mel_weight_matrix, "signal.c", RtMel, 4, KA(0), KA(1), KA(2), KA(3));

static const DType FLOATS[] = {DT_F32, DT_F64, DT_UNDEF};

/* Longest transform: Bluestein's chirp index j^2 mod 2n stays in int64. */
#define MAX_DFT_LEN (INT64_C(1) << 30)

/* An int attribute that must be 0 or 1 into *v; -1 (reported) otherwise. */
static int attr_flag(OpCtx *c, const char *name, int64_t dflt, int64_t *v) {
  int ok = 1;
  *v = op_attr_int(c, name, dflt, &ok);
  if (!ok) return -1;
  if (*v != 0 && *v != 1)
    return op_invalid(c, "%s is %lld; it must be 0 or 1", name, (long long)*v);
  return 0;
}

/* Input i (what) holds exactly one element; -1 (reported) otherwise. */
static int check_scalar(OpCtx *c, int i, const char *what) {
  IrValue *v = op_in(c, i);
  if (ir_numel(v) == 1) return 0;
  char b[128];
  return op_invalid(c, "%s '%s' must be a scalar, got shape %s", what, v->name,
                    ir_shape_str(v, b, sizeof b));
}

/* Input i (what): a constant integer scalar >= min into *v. */
static int const_int(OpCtx *c, int i, const char *what, int64_t min, int64_t *v) {
  if (check_scalar(c, i, what) || op_const_ints(c, i, v, 1) != 1) return -1;
  if (*v < min)
    return op_invalid(c, "%s '%s' is %lld; it must be >= %lld", what, op_in(c, i)->name,
                      (long long)*v, (long long)min);
  return 0;
}

/* The product of dims [from, to) of v. */
static int64_t dims_prod(const IrValue *v, int from, int to) {
  int64_t n = 1;
  for (int i = from; i < to; i++) n *= v->dims[i];
  return n;
}

/* ---- DFT ---- */

typedef struct DftShape {
  int axis;
  int64_t len, n_out, c_out;
  int64_t inverse, onesided;
} DftShape;

/* The axis: an attribute (default 1) before opset 20, since then input 2
 * (default -2). Normalized into *axis, which may not be the last dim. */
static int dft_axis(OpCtx *c, int rank, int *axis) {
  int64_t a = -2;
  if (c->opset < 20) {
    int ok = 1;
    a = op_attr_int(c, "axis", 1, &ok);
    if (!ok) return -1;
    if (op_has_in(c, 2))
      return op_invalid(c, "the axis input came in opset 20 (this model has %d)", c->opset);
  } else {
    if (ir_attr(c->n, "axis"))
      return op_invalid(c, "attribute 'axis' is an input (2) since opset 20");
    if (op_has_in(c, 2) && (check_scalar(c, 2, "axis") || op_const_ints(c, 2, &a, 1) != 1))
      return -1;
  }
  if (a < -rank || a >= rank - 1 || a == -1)
    return op_invalid(c,
                      "axis %lld is out of range for rank %d: it must be in [-%d, -2] or [0, %d]",
                      (long long)a, rank, rank, rank - 2);
  *axis = (int)(a < 0 ? a + rank : a);
  return 0;
}

/* The transform length: input 1, or the axis dim (2 (dim - 1) for IRFFT). */
static int dft_len(OpCtx *c, const IrValue *x, DftShape *s) {
  int64_t n = x->dims[s->axis];
  if (op_has_in(c, 1)) {
    if (const_int(c, 1, "dft_length", 1, &s->len)) return -1;
  } else {
    s->len = s->inverse && s->onesided ? 2 * (n - 1) : n;
    if (s->len < 1)
      return op_invalid(c,
                        "input '%s' has %lld points on axis %d, so the default dft_length is %lld; "
                        "give a dft_length >= 1",
                        x->name, (long long)n, s->axis, (long long)s->len);
  }
  if (s->len > MAX_DFT_LEN)
    return op_unsupported(c, "dft_length %lld (at most %lld)", (long long)s->len,
                          (long long)MAX_DFT_LEN);
  return 0;
}

static int dft_shape(OpCtx *c, DftShape *s) {
  if (op_check_type(c, 0, FLOATS)) return -1;
  IrValue *x = op_in(c, 0);
  if (attr_flag(c, "inverse", 0, &s->inverse) || attr_flag(c, "onesided", 0, &s->onesided))
    return -1;
  char b[128];
  if (x->rank < 2 || (x->dims[x->rank - 1] != 1 && x->dims[x->rank - 1] != 2))
    return op_invalid(c,
                      "input '%s' has shape %s; it must have rank >= 2 and a last dim of 1 "
                      "(real) or 2 (complex)",
                      x->name, ir_shape_str(x, b, sizeof b));
  int64_t cin = x->dims[x->rank - 1];
  if (s->onesided && !s->inverse && cin != 1)
    return op_invalid(c, "a one-sided forward DFT takes real input (last dim 1); '%s' has shape %s",
                      x->name, ir_shape_str(x, b, sizeof b));
  if (s->onesided && s->inverse && cin != 2)
    return op_invalid(c,
                      "a one-sided inverse DFT (IRFFT) takes complex input (last dim 2); '%s' "
                      "has shape %s",
                      x->name, ir_shape_str(x, b, sizeof b));
  if (dft_axis(c, x->rank, &s->axis) || dft_len(c, x, s)) return -1;
  s->n_out = s->onesided && !s->inverse ? s->len / 2 + 1 : s->len;
  s->c_out = s->onesided && s->inverse ? 1 : 2;
  return 0;
}

static int infer_dft(OpCtx *c) {
  DftShape s;
  if (dft_shape(c, &s)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t dims[IR_MAX_RANK];
  memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
  dims[s.axis] = s.n_out;
  dims[x->rank - 1] = s.c_out;
  op_set_out(c, 0, x->dtype, x->rank, dims);
  return 0;
}

static int lower_dft(OpCtx *c, KList *l) {
  DftShape s;
  if (dft_shape(c, &s)) return -1;
  IrValue *x = op_in(c, 0);
  if (!ir_numel(op_out(c, 0))) return 0;
  KCall *k = kl_call(l, &K_DFT);
  kc_i(k, "outer", dims_prod(x, 0, s.axis));
  kc_i(k, "n_in", x->dims[s.axis]);
  kc_i(k, "inner", dims_prod(x, s.axis + 1, x->rank - 1));
  kc_i(k, "c_in", x->dims[x->rank - 1]);
  kc_i(k, "len", s.len);
  kc_i(k, "n_out", s.n_out);
  kc_i(k, "c_out", s.c_out);
  kc_i(k, "inverse", s.inverse);
  kc_i(k, "hermitian", s.onesided && s.inverse);
  kc_i(k, "f64", x->dtype == DT_F64);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = rt_signal_scratch(s.len);
  return 0;
}

/* ---- STFT ---- */

typedef struct StftShape {
  int64_t step, frame_len, frames, n_out;
} StftShape;

/* The frame length: input 3, else the window's length, else the signal's. */
static int stft_frame_len(OpCtx *c, const IrValue *x, StftShape *s) {
  IrValue *w = op_in(c, 2);
  if (w && w->rank != 1)
    return op_invalid(c, "window '%s' must have rank 1, got %d", w->name, w->rank);
  if (w && w->dtype != x->dtype)
    return op_invalid(c, "window '%s' has type %s; signal '%s' has %s", w->name,
                      dtype_name(w->dtype), x->name, dtype_name(x->dtype));
  if (op_has_in(c, 3)) {
    if (const_int(c, 3, "frame_length", 1, &s->frame_len)) return -1;
    if (w && w->dims[0] != s->frame_len)
      return op_invalid(c, "window '%s' has %lld points; frame_length is %lld", w->name,
                        (long long)w->dims[0], (long long)s->frame_len);
  } else {
    s->frame_len = w ? w->dims[0] : x->dims[1];
    if (s->frame_len < 1)
      return op_invalid(c, "the frame length (from %s) is 0", w ? "the window" : "the signal");
  }
  if (s->frame_len > x->dims[1])
    return op_invalid(c, "frame length %lld is longer than signal '%s' (%lld points): no frames",
                      (long long)s->frame_len, x->name, (long long)x->dims[1]);
  if (s->frame_len > MAX_DFT_LEN)
    return op_unsupported(c, "frame length %lld (at most %lld)", (long long)s->frame_len,
                          (long long)MAX_DFT_LEN);
  return 0;
}

static int stft_shape(OpCtx *c, StftShape *s) {
  if (op_check_type(c, 0, FLOATS)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t onesided;
  if (attr_flag(c, "onesided", 1, &onesided)) return -1;
  if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2)) {
    char b[128];
    return op_invalid(c,
                      "signal '%s' has shape %s; it must be [batch, length, 1] (real) or "
                      "[batch, length, 2] (complex)",
                      x->name, ir_shape_str(x, b, sizeof b));
  }
  if (const_int(c, 1, "frame_step", 1, &s->step) || stft_frame_len(c, x, s)) return -1;
  s->frames = (x->dims[1] - s->frame_len) / s->step + 1;
  s->n_out = onesided ? s->frame_len / 2 + 1 : s->frame_len;
  return 0;
}

static int infer_stft(OpCtx *c) {
  StftShape s;
  if (stft_shape(c, &s)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t dims[4] = {x->dims[0], s.frames, s.n_out, 2};
  op_set_out(c, 0, x->dtype, 4, dims);
  return 0;
}

static int lower_stft(OpCtx *c, KList *l) {
  StftShape s;
  if (stft_shape(c, &s)) return -1;
  IrValue *x = op_in(c, 0);
  if (!ir_numel(op_out(c, 0))) return 0;
  KCall *k = kl_call(l, &K_STFT);
  kc_i(k, "batch", x->dims[0]);
  kc_i(k, "sig_len", x->dims[1]);
  kc_i(k, "c_in", x->dims[2]);
  kc_i(k, "frames", s.frames);
  kc_i(k, "step", s.step);
  kc_i(k, "frame_len", s.frame_len);
  kc_i(k, "n_out", s.n_out);
  kc_i(k, "f64", x->dtype == DT_F64);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = rt_signal_scratch(s.frame_len);
  return 0;
}

/* ---- the windows and MelWeightMatrix ---- */

/* The number types of IR version 4: the four floats and the 8 to 64 bit
 * integers (not int4 and the like). */
static int is_number_type(int64_t t) {
  if (t <= 0 || t >= DT_COUNT_) return 0;
  DType d = (DType)t;
  return d == DT_F16 || d == DT_BF16 || d == DT_F32 || d == DT_F64 ||
         (dtype_is_int(d) && !dtype_is_narrow(d));
}

/* output_datatype (default float32): a number type of IR version 4. Sets
 * output 0 to it with the given shape; a 16-bit float is made in float32. */
static int set_typed_out(OpCtx *c, int rank, const int64_t *dims) {
  int ok = 1;
  int64_t t = op_attr_int(c, "output_datatype", DT_F32, &ok);
  if (!ok) return -1;
  int narrow = t == DT_F16 || t == DT_BF16;
  if (!is_number_type(t))
    return op_invalid(c,
                      "output_datatype %lld (%s) is not a number type (float16, float32, "
                      "float64, bfloat16 or an 8 to 64 bit integer)",
                      (long long)t, t > 0 && t < DT_COUNT_ ? dtype_name((DType)t) : "unknown");
  c->n->half_type = narrow ? (DType)t : DT_UNDEF;
  op_set_out(c, 0, narrow ? DT_F32 : (DType)t, rank, dims);
  return 0;
}

static int window_kind(OpCtx *c) {
  static const char *const NAMES[] = {"HannWindow", "HammingWindow", "BlackmanWindow"};
  for (int i = 0; i < (int)ARRAY_LEN(NAMES); i++)
    if (strcmp(c->n->op->name, NAMES[i]) == 0) return i;
  BUG("signal.c: no window kind for %s", c->n->op->name);
}

static int window_shape(OpCtx *c, int64_t *size, int64_t *periodic) {
  return attr_flag(c, "periodic", 1, periodic) ? -1 : const_int(c, 0, "size", 1, size);
}

static int infer_window(OpCtx *c) {
  int64_t size, periodic;
  if (window_shape(c, &size, &periodic)) return -1;
  return set_typed_out(c, 1, &size);
}

static int lower_window(OpCtx *c, KList *l) {
  int64_t size, periodic;
  if (window_shape(c, &size, &periodic)) return -1;
  KCall *k = kl_call(l, &K_WINDOW);
  kc_i(k, "n", size);
  kc_i(k, "kind", window_kind(c));
  kc_i(k, "periodic", periodic);
  kc_i(k, "out_type", op_out(c, 0)->dtype);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* A constant edge (input i) must be finite and, for the lower one, >= 0;
 * *v gets it (NAN if it is not constant). */
static int mel_edge(OpCtx *c, int i, const char *what, double *v) {
  *v = NAN;
  if (check_scalar(c, i, what)) return -1;
  IrValue *e = op_in(c, i);
  if (!(e->flags & VF_CONST)) return 0;
  if (op_const_float(c, i, v) != 1) return -1;
  if (!isfinite(*v) || (i == 3 && *v < 0))
    return op_invalid(c, "%s '%s' is %g; it must be finite%s", what, e->name, *v,
                      i == 3 ? " and >= 0" : "");
  return 0;
}

/* num_mel_bins and dft_length (constants) and the other inputs' types. */
static int mel_shape(OpCtx *c, int64_t *bins, int64_t *dft_len) {
  static const DType INTS[] = {DT_I32, DT_I64, DT_UNDEF};
  if (op_check_type(c, 0, INTS) || op_check_type(c, 3, FLOATS)) return -1;
  for (int i = 1; i < 5; i++) {
    IrValue *v = op_in(c, i), *ref = op_in(c, i < 3 ? 0 : 3);
    if (v->dtype != ref->dtype)
      return op_invalid(c, "input %d ('%s') has type %s; input %d ('%s') has %s", i, v->name,
                        dtype_name(v->dtype), i < 3 ? 0 : 3, ref->name, dtype_name(ref->dtype));
  }
  if (const_int(c, 0, "num_mel_bins", 1, bins) || const_int(c, 1, "dft_length", 1, dft_len) ||
      check_scalar(c, 2, "sample_rate"))
    return -1;
  /* sample_rate and the edges may come at run time; checked here when constant */
  IrValue *rate = op_in(c, 2);
  int64_t r = 0;
  if ((rate->flags & VF_CONST) && const_int(c, 2, "sample_rate", 1, &r)) return -1;
  double lo, hi;
  if (mel_edge(c, 3, "lower_edge_hertz", &lo) || mel_edge(c, 4, "upper_edge_hertz", &hi)) return -1;
  if (hi < lo) return op_invalid(c, "upper_edge_hertz %g is below lower_edge_hertz %g", hi, lo);
  /* Above the Nyquist frequency the top bands would lie past the spectrum. */
  if (r > 0 && hi > (double)r / 2)
    return op_invalid(c, "upper_edge_hertz '%s' is %g; it must be at most sample_rate / 2 = %g",
                      op_in(c, 4)->name, hi, (double)r / 2);
  return 0;
}

static int infer_mel(OpCtx *c) {
  int64_t bins, dft_len;
  if (mel_shape(c, &bins, &dft_len)) return -1;
  int64_t dims[2] = {dft_len / 2 + 1, bins};
  return set_typed_out(c, 2, dims);
}

static int lower_mel(OpCtx *c, KList *l) {
  int64_t bins, dft_len;
  if (mel_shape(c, &bins, &dft_len)) return -1;
  KCall *k = kl_call(l, &K_MEL);
  kc_i(k, "bins", bins);
  kc_i(k, "dft_len", dft_len);
  kc_i(k, "rate_i32", op_in(c, 2)->dtype == DT_I32);
  kc_i(k, "edge_f64", op_in(c, 3)->dtype == DT_F64);
  kc_i(k, "out_type", op_out(c, 0)->dtype);
  for (int i = 2; i < 5; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OPS_SIGNAL[] = {
    {"DFT", "", 17, 1, 3, 1, 1, OPL_KERNEL, 0, infer_dft, lower_dft},
    {"STFT", "", 17, 2, 4, 1, 1, OPL_KERNEL, 0, infer_stft, lower_stft},
    {"HannWindow", "", 17, 1, 1, 1, 1, OPL_KERNEL, 0, infer_window, lower_window},
    {"HammingWindow", "", 17, 1, 1, 1, 1, OPL_KERNEL, 0, infer_window, lower_window},
    {"BlackmanWindow", "", 17, 1, 1, 1, 1, OPL_KERNEL, 0, infer_window, lower_window},
    {"MelWeightMatrix", "", 17, 5, 5, 1, 1, OPL_KERNEL, 0, infer_mel, lower_mel},
    {NULL},
};
