/* quant.c - the quantization ops: QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul and
 * QLinearConv (kernels: runtime-mini/kernels/quant.c).
 *
 * Quantized types are int8, uint8, int16 and uint16 (int32 for what
 * DequantizeLinear reads); scales are float32. float16 and bfloat16 scales
 * and data are converted to float32 around the node by inference; the
 * one-byte narrow types (float8, float4, int4, uint4, int2, uint2) reach
 * QuantizeLinear and DequantizeLinear as they are (OPF_NARROW_IO). QLinearMatMul and QLinearConv are two kernel calls: the int32
 * product into the node's scratch, then its requantization. */
#include <string.h>

#include "quant.h"
#include "spatial.h"

KERNEL_DEF(K_QUANTIZE, rt_quantize_linear, "quant.c", RtQuantize, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_DEQUANTIZE, rt_dequantize_linear, "quant.c", RtQuantize, 4, KA(0), KA(1), KA(2),
           KA(3));
KERNEL_DEF(K_DYN_QUANTIZE, rt_dyn_quantize_linear, "quant.c", RtDynQuantize, 4, KA(0), KA(1),
           KA(2), KA(3));
KERNEL_DEF(K_QMATMUL, rt_qmatmul, "quant.c", RtQMatMul, 6, KA(0), KA(1), KA(2), KA(3), KA(4),
           KA(5));
KERNEL_DEF(K_QCONV, rt_qconv, "quant.c", RtQConv, 6, KA(0), KA(1), KA(2), KA(3), KA(4), KA(5));
KERNEL_DEF(K_REQUANT, rt_requant, "quant.c", RtRequant, 7, KA(0), KA(1), KA(2), KA(3), KA(4),
           KA(5), KA(6));

static const DType Q8[] = {DT_U8, DT_I8, DT_UNDEF};
static const DType QDEQ[] = {DT_U8, DT_I8, DT_U16, DT_I16, DT_I32, DT_F8E4M3FN, DT_F8E4M3FNUZ,
                             DT_F8E5M2, DT_F8E5M2FNUZ, DT_U4, DT_I4, DT_F4E2M1, DT_F8E8M0,
                             DT_U2, DT_I2, DT_UNDEF};
static const DType F32[] = {DT_F32, DT_UNDEF};

static int in_id(OpCtx *c, int i) { return op_has_in(c, i) ? c->n->in[i] : KC_NULL; }

/* Input i (a zero point) is absent or has the type of input j. */
static int check_zp_type(OpCtx *c, int i, int j) {
  IrValue *z = op_in(c, i), *x = op_in(c, j);
  if (z && z->dtype != x->dtype)
    return op_invalid(c, "zero point '%s' is %s but '%s' is %s", z->name, dtype_name(z->dtype),
                      x->name, dtype_name(x->dtype));
  return 0;
}

/* Input i is absent or holds one element. */
static int check_scalar(OpCtx *c, int i, const char *what) {
  IrValue *v = op_in(c, i);
  if (v && ir_numel(v) != 1)
    return op_invalid(c, "%s '%s' must be a scalar (per tensor), it has %lld elements", what,
                      v->name, (long long)ir_numel(v));
  return 0;
}

/* Inputs i and j (absent: skipped) have the same shape. */
static int check_same_shape(OpCtx *c, int i, int j) {
  IrValue *a = op_in(c, i), *b = op_in(c, j);
  if (!a || !b) return 0;
  int same = a->rank == b->rank;
  for (int d = 0; same && d < a->rank; d++) same = a->dims[d] == b->dims[d];
  if (!same && !(ir_numel(a) == 1 && ir_numel(b) == 1))
    return op_invalid(c, "scale '%s' and zero point '%s' must have the same shape", a->name,
                      b->name);
  return 0;
}

/* ---- QuantizeLinear and DequantizeLinear ---- */

/* How the scale (input 1) and zero point (input 2) spread over x (input 0):
 * the geometry fields of RtQuantize. */
typedef struct QAxis {
  int64_t outer, len, inner, block, s_outer, s_len, s_inner;
} QAxis;

static int q_axis(OpCtx *c, QAxis *q) {
  IrValue *x = op_in(c, 0), *s = op_in(c, 1);
  int ok = 1;
  int64_t axis = op_attr_int(c, "axis", 1, &ok), block = op_attr_int(c, "block_size", 0, &ok);
  if (!ok || check_same_shape(c, 1, 2)) return -1;
  if (block < 0) return op_invalid(c, "block_size must be >= 0, got %lld", (long long)block);
  memset(q, 0, sizeof *q);
  q->outer = q->len = q->block = 1;
  q->inner = ir_numel(x);
  if (ir_numel(s) == 1) return 0; /* per tensor */
  if (x->rank == 0) return op_invalid(c, "scale '%s' of a scalar must be a scalar", s->name);
  int a = op_axis(c, axis, x->rank, "axis");
  if (a < 0) return -1;
  q->outer = q->inner = 1;
  for (int i = 0; i < a; i++) q->outer *= x->dims[i];
  for (int i = a + 1; i < x->rank; i++) q->inner *= x->dims[i];
  q->len = x->dims[a];
  if (block == 0) { /* per axis */
    if (s->rank != 1 || s->dims[0] != q->len)
      return op_invalid(c, "scale '%s' must be a scalar or a 1-D tensor of %lld (dim %d of '%s')",
                        s->name, (long long)q->len, a, x->name);
    q->s_len = 1;
    return 0;
  }
  int fits = s->rank == x->rank && s->dims[a] == (q->len + block - 1) / block;
  for (int i = 0; fits && i < x->rank; i++) fits = i == a || s->dims[i] == x->dims[i];
  if (!fits)
    return op_invalid(c, "scale '%s' does not fit blocks of %lld along axis %d of '%s'", s->name,
                      (long long)block, a, x->name);
  q->block = block;
  q->s_outer = s->dims[a] * q->inner;
  q->s_len = q->inner;
  q->s_inner = 1;
  return 0;
}

static void put_qaxis(KCall *k, const QAxis *q) {
  kc_i(k, "outer", q->outer);
  kc_i(k, "len", q->len);
  kc_i(k, "inner", q->inner);
  kc_i(k, "block", q->block);
  kc_i(k, "s_outer", q->s_outer);
  kc_i(k, "s_len", q->s_len);
  kc_i(k, "s_inner", q->s_inner);
}

/* QuantizeLinear's output type: the zero point's, else output_dtype, else uint8. */
static int quantize_type(OpCtx *c, DType *t) {
  int ok = 1;
  int64_t od = op_attr_int(c, "output_dtype", 0, &ok);
  int64_t precision = op_attr_int(c, "precision", 0, &ok);
  op_attr_int(c, "saturate", 1, &ok); /* float8 only */
  if (!ok) return -1;
  IrValue *z = op_in(c, 2);
  if (z && od && od != z->dtype)
    return op_invalid(c, "output_dtype %lld differs from the type of zero point '%s' (%s)",
                      (long long)od, z->name, dtype_name(z->dtype));
  *t = z ? z->dtype : od ? (DType)od : DT_U8;
  if (od && !z && (od < 0 || od >= DT_COUNT_ || !dtype_size((DType)od)))
    return op_unsupported(c, "output_dtype %lld (ONNX type number) is not supported",
                          (long long)od);
  if (*t != DT_U8 && *t != DT_I8 && *t != DT_U16 && *t != DT_I16 &&
      !(dtype_is_narrow(*t) && dtype_size(*t) == 1))
    return op_unsupported(c, "quantizing to %s; supported: uint8, int8, uint16, int16 and "
                          "the float8, float4, int4, uint4, int2 and uint2 types",
                          dtype_name(*t));
  /* Division in float32 even when asked for 16 bits (as with 16-bit scales). */
  if (precision && precision != DT_F32 && precision != DT_F16 && precision != DT_BF16)
    return op_unsupported(c, "precision %lld; supported: float, float16, bfloat16",
                          (long long)precision);
  return 0;
}

static int infer_quantize(OpCtx *c) {
  static const DType X[] = {DT_F32, DT_I32, DT_UNDEF};
  DType t = DT_U8;
  QAxis q;
  if (op_check_type(c, 0, X) || op_check_type(c, 1, F32) || quantize_type(c, &t) ||
      q_axis(c, &q))
    return -1;
  IrValue *x = op_in(c, 0);
  op_set_out(c, 0, t, x->rank, x->dims);
  return 0;
}

static int lower_quantize(OpCtx *c, KList *l) {
  QAxis q;
  int ok = 1;
  if (q_axis(c, &q)) return -1;
  KCall *k = kl_call(l, &K_QUANTIZE);
  put_qaxis(k, &q);
  kc_i(k, "x_type", op_in(c, 0)->dtype);
  kc_i(k, "y_type", op_out(c, 0)->dtype);
  kc_i(k, "saturate", op_attr_int(c, "saturate", 1, &ok));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, in_id(c, 2));
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

static int infer_dequantize(OpCtx *c) {
  QAxis q;
  int ok = 1;
  int64_t od = op_attr_int(c, "output_dtype", 0, &ok);
  if (!ok || op_check_type(c, 0, QDEQ) || op_check_type(c, 1, F32) || check_zp_type(c, 2, 0) ||
      q_axis(c, &q))
    return -1;
  /* The result is float32; a 16-bit output_dtype (or scale) converts it
   * afterwards (half_type), float32 keeps it even after a 16-bit scale. */
  if (od == DT_F32)
    c->n->half_type = DT_UNDEF;
  else if (od == DT_F16 || od == DT_BF16)
    c->n->half_type = (DType)od;
  else if (od)
    return op_invalid(c, "output_dtype %lld must be float, float16 or bfloat16", (long long)od);
  IrValue *x = op_in(c, 0);
  op_set_out(c, 0, DT_F32, x->rank, x->dims);
  return 0;
}

static int lower_dequantize(OpCtx *c, KList *l) {
  QAxis q;
  if (q_axis(c, &q)) return -1;
  KCall *k = kl_call(l, &K_DEQUANTIZE);
  put_qaxis(k, &q);
  kc_i(k, "x_type", op_in(c, 0)->dtype);
  kc_i(k, "y_type", DT_F32);
  kc_i(k, "saturate", 1);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, in_id(c, 2));
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- DynamicQuantizeLinear ---- */

static int infer_dyn_quantize(OpCtx *c) {
  if (c->n->half_type) return op_invalid(c, "x must be float32, got %s", dtype_name(c->n->half_type));
  if (op_check_type(c, 0, F32)) return -1;
  IrValue *x = op_in(c, 0);
  op_set_out(c, 0, DT_U8, x->rank, x->dims);
  op_set_out(c, 1, DT_F32, 0, NULL);
  op_set_out(c, 2, DT_U8, 0, NULL);
  return 0;
}

static int lower_dyn_quantize(OpCtx *c, KList *l) {
  KCall *k = kl_call(l, &K_DYN_QUANTIZE);
  kc_i(k, "n", ir_numel(op_in(c, 0)));
  kc_arg(k, c->n->in[0]);
  for (int i = 0; i < 3; i++) kc_arg(k, c->n->out[i]);
  kc_end(k);
  return 0;
}

/* ---- MatMulInteger and QLinearMatMul ---- */

#define QMM_BATCH 6 /* batch dims of RtQMatMul */

/* NumPy matmul shapes of inputs ai and bi; the output [batch.., m, n] with
 * 1-D operands' added dims removed. */
typedef struct QMatMul {
  int ai, bi;
  int64_t m, n, k, nbatch;
  int batch_rank, rank;
  int64_t batch[IR_MAX_RANK], a_bs[IR_MAX_RANK], b_bs[IR_MAX_RANK], dims[IR_MAX_RANK];
} QMatMul;

static int qmm_shape(OpCtx *c, int ai, int bi, QMatMul *s) {
  IrValue *a = op_in(c, ai), *b = op_in(c, bi);
  if (a->rank < 1 || b->rank < 1)
    return op_invalid(c, "'%s' and '%s' must have rank >= 1", a->name, b->name);
  int ar = a->rank, br = b->rank;
  s->ai = ai, s->bi = bi;
  s->m = ar >= 2 ? a->dims[ar - 2] : 1;
  s->k = a->dims[ar - 1];
  s->n = br >= 2 ? b->dims[br - 1] : 1;
  int64_t kb = br >= 2 ? b->dims[br - 2] : b->dims[0];
  if (s->k != kb)
    return op_invalid(c, "inner dimensions differ: '%s' has %lld, '%s' has %lld", a->name,
                      (long long)s->k, b->name, (long long)kb);
  int abr = ar > 2 ? ar - 2 : 0, bbr = br > 2 ? br - 2 : 0;
  s->batch_rank = MAX(abr, bbr);
  if (s->batch_rank > QMM_BATCH)
    return op_unsupported(c, "%d batch dims; at most %d are supported", s->batch_rank, QMM_BATCH);
  int64_t astride = s->m * s->k, bstride = s->k * s->n;
  s->nbatch = 1;
  for (int i = s->batch_rank - 1; i >= 0; i--) {
    int ia = i - (s->batch_rank - abr), ib = i - (s->batch_rank - bbr);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return op_invalid(c, "batch dims of '%s' and '%s' do not broadcast", a->name, b->name);
    s->batch[i] = da == 1 ? db : da;
    s->a_bs[i] = da == 1 ? 0 : astride;
    s->b_bs[i] = db == 1 ? 0 : bstride;
    astride *= da;
    bstride *= db;
    s->nbatch *= s->batch[i];
  }
  s->rank = 0;
  for (int i = 0; i < s->batch_rank; i++) s->dims[s->rank++] = s->batch[i];
  if (ar >= 2) s->dims[s->rank++] = s->m;
  if (br >= 2) s->dims[s->rank++] = s->n;
  return 0;
}

enum { QP_ROW = 1, QP_COL = 2 };

/* Strides (output batch, row, column) of input i (a scale or zero point;
 * absent: all 0) over the [nbatch, m, n] output: a scalar, a 1-D vector
 * (per column if allowed, else per row), or [batch.., m, 1] per row /
 * [batch.., 1, n] per column with no batch dims or the output's. */
static int qmm_param(OpCtx *c, const QMatMul *s, int i, int how, int64_t st[3]) {
  IrValue *v = op_in(c, i);
  st[0] = st[1] = st[2] = 0;
  if (!v || ir_numel(v) == 1) return 0;
  int64_t r = v->rank >= 2 ? v->dims[v->rank - 2] : 1, cc = v->dims[v->rank - 1];
  if (v->rank == 1 && (how & QP_COL) && cc == s->n)
    st[2] = 1;
  else if (v->rank == 1 && (how & QP_ROW) && cc == s->m)
    st[1] = 1;
  else if (v->rank >= 2 && (how & QP_ROW) && r == s->m && cc == 1)
    st[1] = 1;
  else if (v->rank >= 2 && (how & QP_COL) && r == 1 && cc == s->n)
    st[2] = 1;
  else
    return op_invalid(c, "'%s' (input %d) must be a scalar or per %s", v->name, i,
                      how == QP_ROW ? "row" : how == QP_COL ? "column" : "row or column");
  int64_t vb = v->rank > 2 ? ir_numel(v) / (r * cc) : 1;
  if (vb == 1) return 0;
  int same = v->rank - 2 == s->batch_rank;
  for (int d = 0; same && d < s->batch_rank; d++) same = v->dims[d] == s->batch[d];
  if (!same)
    return op_unsupported(c, "batch dims of '%s' must be 1 or those of the output", v->name);
  st[0] = st[1] ? s->m : s->n;
  return 0;
}

/* The int32 product call; acc: into scratch (QLinearMatMul) rather than y. */
static int lower_qmm(OpCtx *c, KList *l, const QMatMul *s, int az, int bz, int acc) {
  int64_t azs[3], bzs[3];
  if (qmm_param(c, s, az, QP_ROW, azs) || qmm_param(c, s, bz, QP_COL, bzs)) return -1;
  KCall *k = kl_call(l, &K_QMATMUL);
  kc_i(k, "m", s->m);
  kc_i(k, "n", s->n);
  kc_i(k, "k", s->k);
  kc_i(k, "batch_rank", s->batch_rank);
  kc_iv(k, "batch", s->batch, s->batch_rank, QMM_BATCH);
  kc_iv(k, "a_bstride", s->a_bs, s->batch_rank, QMM_BATCH);
  kc_iv(k, "b_bstride", s->b_bs, s->batch_rank, QMM_BATCH);
  kc_i(k, "az_outer", azs[0]);
  kc_i(k, "az_row", azs[1]);
  kc_i(k, "bz_outer", bzs[0]);
  kc_i(k, "bz_col", bzs[2]);
  kc_i(k, "a_type", op_in(c, s->ai)->dtype);
  kc_i(k, "b_type", op_in(c, s->bi)->dtype);
  kc_i(k, "acc_elems", acc ? s->nbatch * s->m * s->n : 0);
  kc_arg(k, c->n->in[s->ai]);
  kc_arg(k, c->n->in[s->bi]);
  kc_arg(k, in_id(c, az));
  kc_arg(k, in_id(c, bz));
  kc_arg(k, acc ? KC_NULL : c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = rt_qmatmul_scratch((const RtQMatMul *)k->buf);
  return 0;
}

static int infer_matmul_integer(OpCtx *c) {
  QMatMul s;
  int64_t st[3];
  if (op_check_type(c, 0, Q8) || op_check_type(c, 1, Q8) || check_zp_type(c, 2, 0) ||
      check_zp_type(c, 3, 1) || qmm_shape(c, 0, 1, &s) || qmm_param(c, &s, 2, QP_ROW, st) ||
      qmm_param(c, &s, 3, QP_COL, st))
    return -1;
  op_set_out(c, 0, DT_I32, s.rank, s.dims);
  return 0;
}

static int lower_matmul_integer(OpCtx *c, KList *l) {
  QMatMul s;
  return qmm_shape(c, 0, 1, &s) || lower_qmm(c, l, &s, 2, 3, 0) ? -1 : 0;
}

/* The requantization call: accumulators [outer, rows, cols] in scratch;
 * st[j]: strides of inputs in[j] (a_scale, b_scale, y_scale, y_zp, bias). */
static void lower_requant(OpCtx *c, KList *l, const int64_t dims[3], const int in[5],
                          int64_t st[5][3]) {
  static const char *const NAMES[] = {"as_st", "bs_st", "ys_st", "yz_st", "bias_st"};
  KCall *k = kl_call(l, &K_REQUANT);
  kc_i(k, "outer", dims[0]);
  kc_i(k, "rows", dims[1]);
  kc_i(k, "cols", dims[2]);
  for (int j = 0; j < 5; j++) kc_iv(k, NAMES[j], st[j], 3, 3);
  kc_i(k, "y_type", op_out(c, 0)->dtype);
  kc_arg(k, KC_SCRATCH);
  kc_arg(k, in[4] >= 0 ? in_id(c, in[4]) : KC_NULL);
  for (int j = 0; j < 4; j++) kc_arg(k, in_id(c, in[j]));
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  k->scratch_bytes = 4 * dims[0] * dims[1] * dims[2];
}

/* QLinearMatMul's inputs: a, a_scale, a_zero_point, b, b_scale,
 * b_zero_point, y_scale, y_zero_point. */
static const int QLMM_REQ[5] = {1, 4, 6, 7, -1};

static int qlmm_params(OpCtx *c, const QMatMul *s, int64_t st[5][3]) {
  static const int HOW[4] = {QP_ROW, QP_COL, QP_ROW | QP_COL, QP_ROW | QP_COL};
  for (int j = 0; j < 4; j++)
    if (qmm_param(c, s, QLMM_REQ[j], HOW[j], st[j])) return -1;
  st[4][0] = st[4][1] = st[4][2] = 0;
  return check_same_shape(c, 1, 2) || check_same_shape(c, 4, 5) || check_same_shape(c, 6, 7);
}

static int infer_qlinear_matmul(OpCtx *c) {
  QMatMul s;
  int64_t st[5][3], st2[3];
  if (op_check_type(c, 0, Q8) || op_check_type(c, 3, Q8) || op_check_type(c, 7, Q8) ||
      check_zp_type(c, 2, 0) || check_zp_type(c, 5, 3) || op_check_type(c, 1, F32) ||
      op_check_type(c, 4, F32) || op_check_type(c, 6, F32) || qmm_shape(c, 0, 3, &s) ||
      qlmm_params(c, &s, st) || qmm_param(c, &s, 2, QP_ROW, st2) ||
      qmm_param(c, &s, 5, QP_COL, st2))
    return -1;
  op_set_out(c, 0, op_in(c, 7)->dtype, s.rank, s.dims);
  return 0;
}

static int lower_qlinear_matmul(OpCtx *c, KList *l) {
  QMatMul s;
  int64_t st[5][3];
  if (qmm_shape(c, 0, 3, &s) || qlmm_params(c, &s, st) || lower_qmm(c, l, &s, 2, 5, 1))
    return -1;
  int64_t dims[3] = {s.nbatch, s.m, s.n};
  lower_requant(c, l, dims, QLMM_REQ, st);
  return 0;
}

/* ---- ConvInteger and QLinearConv ---- */

/* Geometry of x (input xi) and w (input wi); group; zero points xz and wz. */
static int qconv_geom(OpCtx *c, int xi, int wi, int xz, int wz, Spatial *s, int64_t *group) {
  IrValue *x = op_in(c, xi), *w = op_in(c, wi);
  if (op_check_type(c, xi, Q8) || op_check_type(c, wi, Q8) || check_zp_type(c, xz, xi) ||
      check_zp_type(c, wz, wi) || check_scalar(c, xz, "x zero point"))
    return -1;
  if (x->rank < 3 || w->rank != x->rank)
    return op_invalid(c, "x '%s' and w '%s' must have the same rank >= 3, got %d and %d",
                      x->name, w->name, x->rank, w->rank);
  if (x->rank - 2 > SP_MAX)
    return op_unsupported(c, "%d spatial dims; at most %d are supported", x->rank - 2, SP_MAX);
  int ok = 1;
  *group = op_attr_int(c, "group", 1, &ok);
  if (!ok) return -1;
  int64_t m = w->dims[0];
  if (*group < 1 || x->dims[1] != w->dims[1] * *group || m % *group != 0)
    return op_invalid(c, "x '%s' has %lld channels; w '%s' expects %lld x group %lld", x->name,
                      (long long)x->dims[1], w->name, (long long)w->dims[1], (long long)*group);
  IrValue *z = op_in(c, wz);
  if (z && ir_numel(z) != 1 && (z->rank != 1 || z->dims[0] != m))
    return op_invalid(c, "w zero point '%s' must be a scalar or have %lld elements", z->name,
                      (long long)m);
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
      return op_invalid(c, "kernel_shape does not match the shape of w '%s'", w->name);
  return spatial_window(c, s, 0);
}

static void qconv_out(OpCtx *c, int xi, int wi, const Spatial *s, DType t) {
  int64_t dims[IR_MAX_RANK] = {op_in(c, xi)->dims[0], op_in(c, wi)->dims[0]};
  for (int i = 0; i < s->n; i++) dims[2 + i] = s->out[i];
  op_set_out(c, 0, t, s->n + 2, dims);
}

/* The int32 convolution call; acc: into scratch (QLinearConv) rather than y. */
static void lower_qconv(OpCtx *c, KList *l, const int in[4], const Spatial *s, int64_t group,
                        int acc) {
  IrValue *x = op_in(c, in[0]), *w = op_in(c, in[1]), *wz = op_in(c, in[3]);
  int64_t npos = 1;
  for (int i = 0; i < s->n; i++) npos *= s->out[i];
  KCall *k = kl_call(l, &K_QCONV);
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "c", x->dims[1]);
  kc_i(k, "m", w->dims[0]);
  kc_i(k, "group", group);
  spatial_kcall(k, s, 0);
  kc_i(k, "x_type", x->dtype);
  kc_i(k, "w_type", w->dtype);
  kc_i(k, "wz_per_ch", wz && ir_numel(wz) != 1);
  kc_i(k, "acc_elems", acc ? x->dims[0] * w->dims[0] * npos : 0);
  kc_arg(k, c->n->in[in[0]]);
  kc_arg(k, c->n->in[in[1]]);
  kc_arg(k, in_id(c, in[2]));
  kc_arg(k, in_id(c, in[3]));
  kc_arg(k, acc ? KC_NULL : c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = rt_qconv_scratch((const RtQConv *)k->buf);
}

static int infer_conv_integer(OpCtx *c) {
  Spatial s;
  int64_t group;
  if (qconv_geom(c, 0, 1, 2, 3, &s, &group)) return -1;
  qconv_out(c, 0, 1, &s, DT_I32);
  return 0;
}

static int lower_conv_integer(OpCtx *c, KList *l) {
  static const int IN[4] = {0, 1, 2, 3};
  Spatial s;
  int64_t group;
  if (qconv_geom(c, 0, 1, 2, 3, &s, &group)) return -1;
  lower_qconv(c, l, IN, &s, group, 0);
  return 0;
}

/* QLinearConv's inputs: x, x_scale, x_zero_point, w, w_scale,
 * w_zero_point, y_scale, y_zero_point, B. */
static int qlconv_check(OpCtx *c, Spatial *s, int64_t *group) {
  if (qconv_geom(c, 0, 3, 2, 5, s, group) || op_check_type(c, 7, Q8) ||
      op_check_type(c, 1, F32) || op_check_type(c, 4, F32) || op_check_type(c, 6, F32) ||
      check_scalar(c, 1, "x_scale") || check_scalar(c, 6, "y_scale") ||
      check_scalar(c, 7, "y_zero_point"))
    return -1;
  static const DType I32[] = {DT_I32, DT_UNDEF};
  int64_t m = op_in(c, 3)->dims[0];
  IrValue *ws = op_in(c, 4), *b = op_in(c, 8);
  if (ir_numel(ws) != 1 && (ws->rank != 1 || ws->dims[0] != m))
    return op_invalid(c, "w_scale '%s' must be a scalar or have %lld elements", ws->name,
                      (long long)m);
  if (op_check_type(c, 8, I32)) return -1;
  if (b && (b->rank != 1 || b->dims[0] != m))
    return op_invalid(c, "bias '%s' must have shape [%lld]", b->name, (long long)m);
  return 0;
}

static int infer_qlinear_conv(OpCtx *c) {
  Spatial s;
  int64_t group;
  if (qlconv_check(c, &s, &group)) return -1;
  qconv_out(c, 0, 3, &s, op_in(c, 7)->dtype);
  return 0;
}

static int lower_qlinear_conv(OpCtx *c, KList *l) {
  static const int IN[4] = {0, 3, 2, 5}, REQ[5] = {1, 4, 6, 7, 8};
  Spatial s;
  int64_t group;
  if (qlconv_check(c, &s, &group)) return -1;
  lower_qconv(c, l, IN, &s, group, 1);
  int64_t npos = 1;
  for (int i = 0; i < s.n; i++) npos *= s.out[i];
  int64_t dims[3] = {op_in(c, 0)->dims[0], op_in(c, 3)->dims[0], npos};
  int64_t st[5][3] = {{0}};
  st[1][1] = ir_numel(op_in(c, 4)) != 1; /* per output channel */
  st[4][1] = 1;                          /* bias */
  lower_requant(c, l, dims, REQ, st);
  return 0;
}

const OpDef OPS_QUANT[] = {
    {"QuantizeLinear", "", 10, 2, 3, 1, 1, OPL_KERNEL, OPF_NARROW_IO, infer_quantize, lower_quantize},
    {"DequantizeLinear", "", 10, 2, 3, 1, 1, OPL_KERNEL, OPF_NARROW_IO, infer_dequantize, lower_dequantize},
    {"DynamicQuantizeLinear", "", 11, 1, 1, 3, 3, OPL_KERNEL, 0, infer_dyn_quantize,
     lower_dyn_quantize},
    {"MatMulInteger", "", 10, 2, 4, 1, 1, OPL_KERNEL, 0, infer_matmul_integer,
     lower_matmul_integer},
    {"ConvInteger", "", 10, 2, 4, 1, 1, OPL_KERNEL, 0, infer_conv_integer, lower_conv_integer},
    {"QLinearMatMul", "", 10, 8, 8, 1, 1, OPL_KERNEL, 0, infer_qlinear_matmul,
     lower_qlinear_matmul},
    {"QLinearConv", "", 10, 8, 9, 1, 1, OPL_KERNEL, 0, infer_qlinear_conv, lower_qlinear_conv},
    {NULL},
};
