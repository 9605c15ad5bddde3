/* gemm.c - Gemm and MatMul (with a fused bias after fusion). */
#include "rt_kernels.h"
#include "op.h"

KERNEL_DEF(K_MATMUL_F64, rt_matmul_f64, "gemm.c", RtMatMul, 3, KA(0), KA(1), KA(2));

static int infer_gemm(OpCtx *c) {
  if (op_require_float(c, 0) || op_require_float(c, 1) || op_require_float(c, 2)) return -1;
  IrValue *a = op_in(c, 0), *b = op_in(c, 1), *cc = op_in(c, 2);
  int ok = 1;
  int64_t ta = op_attr_int(c, "transA", 0, &ok), tb = op_attr_int(c, "transB", 0, &ok);
  if (!ok) return -1;
  if (a->rank != 2 || b->rank != 2)
    return op_invalid(c, "A '%s' and B '%s' must be 2-D, got rank %d and %d", a->name, b->name,
                      a->rank, b->rank);
  int64_t m = ta ? a->dims[1] : a->dims[0], k = ta ? a->dims[0] : a->dims[1];
  int64_t kb = tb ? b->dims[1] : b->dims[0], n = tb ? b->dims[0] : b->dims[1];
  if (k != kb)
    return op_invalid(c, "inner dimensions differ: A '%s' gives %lld, B '%s' gives %lld",
                      a->name, (long long)k, b->name, (long long)kb);
  if (cc) {
    if (cc->rank > 2) return op_invalid(c, "C '%s' must have rank <= 2", cc->name);
    int64_t cm = cc->rank == 2 ? cc->dims[0] : 1;
    int64_t cn = cc->rank >= 1 ? cc->dims[cc->rank - 1] : 1;
    if ((cm != 1 && cm != m) || (cn != 1 && cn != n))
      return op_invalid(c, "C '%s' does not broadcast to [%lld,%lld]", cc->name, (long long)m,
                        (long long)n);
  }
  int64_t dims[2] = {m, n};
  op_set_out(c, 0, DT_F32, 2, dims);
  return 0;
}

static int lower_gemm(OpCtx *c, KList *l) {
  IrValue *a = op_in(c, 0), *y = op_out(c, 0), *cc = op_in(c, 2);
  int ok = 1;
  int64_t ta = op_attr_int(c, "transA", 0, &ok), tb = op_attr_int(c, "transB", 0, &ok);
  float alpha = op_attr_float(c, "alpha", 1.0f, &ok), beta = op_attr_float(c, "beta", 1.0f, &ok);
  if (!ok) return -1;
  KCall *k = kl_add(l, "rt_gemm_f32");
  kc_i(k, "m", y->dims[0]);
  kc_i(k, "n", y->dims[1]);
  kc_i(k, "k", ta ? a->dims[0] : a->dims[1]);
  kc_i(k, "trans_a", ta);
  kc_i(k, "trans_b", tb);
  kc_f(k, "alpha", alpha);
  kc_f(k, "beta", cc ? beta : 0.0f);
  int64_t cm = cc && cc->rank == 2 ? cc->dims[0] : 1;
  int64_t cn = cc && cc->rank >= 1 ? cc->dims[cc->rank - 1] : 1;
  kc_i(k, "c_rs", cm == 1 ? 0 : cn);
  kc_i(k, "c_cs", cn == 1 ? 0 : 1);
  kc_i(k, "act", c->n->act.kind);
  kc_f(k, "act_alpha", c->n->act.alpha);
  kc_f(k, "act_beta", c->n->act.beta);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, cc ? c->n->in[2] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* MatMul shapes with NumPy's rules: 1-D operands are promoted and the added
 * dim removed from the result; batch dims broadcast. */
typedef struct MatMulShape {
  int64_t m, n, k;
  int batch_rank;
  int64_t batch[IR_MAX_RANK], a_bs[IR_MAX_RANK], b_bs[IR_MAX_RANK];
} MatMulShape;

static int matmul_shape(OpCtx *c, MatMulShape *s, int *rank, int64_t *dims) {
  IrValue *a = op_in(c, 0), *b = op_in(c, 1);
  if (a->rank < 1 || b->rank < 1) return op_invalid(c, "MatMul operands must have rank >= 1");
  int ar = a->rank, br = b->rank;
  s->m = ar >= 2 ? a->dims[ar - 2] : 1;
  s->k = a->dims[ar - 1];
  s->n = br >= 2 ? b->dims[br - 1] : 1;
  int64_t kb = br >= 2 ? b->dims[br - 2] : b->dims[0];
  if (s->k != kb)
    return op_invalid(c, "inner dimensions differ: '%s' has %lld, '%s' has %lld", a->name,
                      (long long)s->k, b->name, (long long)kb);
  int abr = ar > 2 ? ar - 2 : 0, bbr = br > 2 ? br - 2 : 0;
  s->batch_rank = MAX(abr, bbr);
  int64_t astride = s->m * s->k, bstride = s->k * s->n;
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
  }
  *rank = 0;
  for (int i = 0; i < s->batch_rank; i++) dims[(*rank)++] = s->batch[i];
  if (ar >= 2) dims[(*rank)++] = s->m;
  if (br >= 2) dims[(*rank)++] = s->n;
  return 0;
}

static int infer_matmul(OpCtx *c) {
  static const DType T[] = {DT_F32, DT_F64, DT_UNDEF};
  if (op_check_type(c, 0, T) || op_check_type(c, 1, T)) return -1;
  DType t = op_in(c, 0)->dtype;
  if (op_in(c, 1)->dtype != t)
    return op_invalid(c, "inputs of different types: %s and %s", dtype_name(t),
                      dtype_name(op_in(c, 1)->dtype));
  MatMulShape s;
  int rank;
  int64_t dims[IR_MAX_RANK];
  if (matmul_shape(c, &s, &rank, dims)) return -1;
  if (s.batch_rank > 6) return op_unsupported(c, "more than 6 batch dims");
  IrValue *bias = op_in(c, 2);
  if (bias && (ir_numel(bias) != s.n || bias->dtype != DT_F32))
    BUG("fused MatMul bias of the wrong shape");
  if (t == DT_F64 && (bias || c->n->act.kind)) BUG("fused float64 MatMul");
  op_set_out(c, 0, t, rank, dims);
  return 0;
}

static int lower_matmul(OpCtx *c, KList *l) {
  MatMulShape s;
  int rank;
  int64_t dims[IR_MAX_RANK];
  if (matmul_shape(c, &s, &rank, dims)) return -1;
  int f64 = op_in(c, 0)->dtype == DT_F64;
  KCall *k = f64 ? kl_call(l, &K_MATMUL_F64) : kl_add(l, "rt_matmul_f32");
  kc_i(k, "m", s.m);
  kc_i(k, "n", s.n);
  kc_i(k, "k", s.k);
  kc_i(k, "batch_rank", s.batch_rank);
  kc_iv(k, "batch", s.batch, s.batch_rank, 6);
  kc_iv(k, "a_bstride", s.a_bs, s.batch_rank, 6);
  kc_iv(k, "b_bstride", s.b_bs, s.batch_rank, 6);
  kc_i(k, "act", c->n->act.kind);
  kc_f(k, "alpha", c->n->act.alpha);
  kc_f(k, "beta", c->n->act.beta);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  if (!f64) kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OPS_GEMM[] = {
    {"Gemm", "", 7, 2, 3, 1, 1, OPL_KERNEL, 0, infer_gemm, lower_gemm},
    {"MatMul", "", 1, 2, 2, 1, 1, OPL_KERNEL, 0, infer_matmul, lower_matmul},
    {NULL},
};

/* MatMul after bias fusion: a third input, the bias [n] (passes/fuse.c). */
const OpDef OP_MATMUL_BIAS = {"MatMul", "", 1, 3, 3, 1, 1, OPL_KERNEL, 0, infer_matmul,
                              lower_matmul};
