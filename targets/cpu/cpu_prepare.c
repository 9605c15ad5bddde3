/* cpu_prepare.c - the cpu target's rewrite of the optimized graph: Conv,
 * MatMul and Gemm nodes with constant float32 weights become the target's
 * own ops (ops/cpu.c) whose weights are packed here, at compile time, into
 * the layout of the instruction set the code is built for; a residual Add
 * after a Conv or a MatMul, and the activation after that Add, become the
 * kernel's epilogue. Everything else keeps the portable kernels. */
#include <string.h>

#include "cpu_conv.h"
#include "cpu_dw.h"
#include "cpu_pool.h"
#include "ops/op.h"
#include "passes/pass.h"
#include "target.h"

int cpu_isa_id(const char *cpu); /* cpu_target.c */

static int is_op(const IrNode *n, const char *name) {
  return !n->dead && n->op && strcmp(n->op->name, name) == 0;
}

static int const_f32(const IrGraph *g, int v) {
  return v >= 0 && (g->vals[v].flags & VF_CONST) && g->vals[v].dtype == DT_F32 && g->vals[v].data;
}

/* A new constant of n floats, zeroed, named after value v. */
static int packed_const(IrGraph *g, int v, int64_t n, float **data) {
  char hint[256];
  snprintf(hint, sizeof hint, "%s_packed", g->vals[v].name);
  *data = arena_alloc_aligned(&g->arena, (size_t)n * sizeof(float), 64);
  return ir_add_const(g, hint, DT_F32, 1, &n, *data);
}

/* Replaces node i's inputs by ins[0..nin) (the array may grow; node
 * arrays are the graph's to free). */
static void set_inputs(IrGraph *g, int i, const int *ins, int nin) {
  IrNode *n = &g->nodes[i];
  int *a = xmalloc(sizeof(int) * (size_t)nin);
  memcpy(a, ins, sizeof(int) * (size_t)nin);
  free(n->in);
  n->in = a;
  n->nin = nin;
}

/* The activation ops fuse-act knows; kind 0 for others (see fuse_act.c). */
static int act_kind(const IrNode *a) {
  if (is_op(a, "Relu")) return RT_ACT_RELU;
  if (is_op(a, "Sigmoid")) return RT_ACT_SIGMOID;
  if (is_op(a, "Tanh")) return RT_ACT_TANH;
  return 0;
}

/* Node i (no activation yet) writes y; if y's only reader is an Add of y
 * and a value r of the same shape computed before node i, the Add becomes
 * node i's residual (returned; its output becomes node i's), and a Relu,
 * Sigmoid or Tanh reading only that becomes its activation. -1 if none. */
static int absorb_residual(IrGraph *g, int i) {
  IrNode *n = &g->nodes[i];
  if (n->act.kind) return -1;
  int c = pass_sole_consumer(g, n->out[0]);
  if (c < 0 || !is_op(&g->nodes[c], "Add")) return -1;
  IrNode *add = &g->nodes[c];
  int r = add->in[0] == n->out[0] ? add->in[1] : add->in[0];
  if (r == n->out[0] || !ir_same_shape(&g->vals[r], &g->vals[n->out[0]])) return -1;
  if (g->vals[r].dtype != DT_F32) return -1;
  int p = g->vals[r].producer;
  if (p >= i) return -1; /* computed after the conv: not yet there */
  n->out[0] = add->out[0];
  add->dead = 1;
  int a = pass_sole_consumer(g, n->out[0]);
  if (a >= 0 && act_kind(&g->nodes[a]) && g->nodes[a].in[0] == n->out[0]) {
    n->act = (IrAct){act_kind(&g->nodes[a]), 0, 0};
    n->out[0] = g->nodes[a].out[0];
    g->nodes[a].dead = 1;
  }
  return r;
}

static int prepare_conv(IrGraph *g, int i, int isa, Diag *d) {
  IrNode *n = &g->nodes[i];
  IrValue *x = &g->vals[n->in[0]];
  if (x->dtype != DT_F32 || x->rank < 3 || x->rank > 4 || g->vals[n->in[1]].dtype != DT_F32)
    return 0;
  KList l = {0};
  OpCtx c = {g, n, d, g->opset};
  KCall *k = kl_add(&l, "rt_conv_f32");
  int rc = conv_fields(&c, &g->vals[n->in[1]], k);
  RtConv p;
  memcpy(&p, k->buf, sizeof p);
  kl_free(&l);
  if (rc) return 0;
  if (rt_cpu_dw_ok(&p)) { /* depthwise: its own kernel, W as it is */
    int r = absorb_residual(g, i);
    n = &g->nodes[i];
    int ins[4] = {n->in[0], n->in[1], n->nin > 2 ? n->in[2] : -1, r};
    set_inputs(g, i, ins, 4);
    g->nodes[i].op = &OP_CPU_DWCONV;
    return 1;
  }
  if (!rt_cpu_conv_ok(&p) || !const_f32(g, n->in[1])) return 0;
  int wv = n->in[1];
  int64_t size = rt_cpu_conv_pack_size(&p, isa);
  float *data;
  int pv = packed_const(g, wv, size, &data);
  rt_cpu_conv_pack(&p, isa, (const float *)g->vals[wv].data, data);
  n = &g->nodes[i];
  IrAttr *ws = ir_add_attr(g, n, "w_shape", AT_INTS);
  int64_t *dims = arena_alloc(&g->arena, sizeof(int64_t) * (size_t)g->vals[wv].rank);
  memcpy(dims, g->vals[wv].dims, sizeof(int64_t) * (size_t)g->vals[wv].rank);
  ws->ints = dims;
  ws->n = g->vals[wv].rank;
  int r = absorb_residual(g, i);
  int ins[4] = {n->in[0], pv, n->nin > 2 ? n->in[2] : -1, r};
  set_inputs(g, i, ins, 4);
  g->nodes[i].op = &OP_CPU_CONV;
  return 1;
}

/* MatMul [.., M, K] x constant [K, N] (with fuse-bias's bias), or Gemm
 * without transA whose C is absent or a row [N] (beta 1): one GEMM over
 * every row of A, B packed. */
static int prepare_gemm(IrGraph *g, int i, int isa) {
  IrNode *n = &g->nodes[i];
  IrValue *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out[0]];
  if (a->dtype != DT_F32 || a->rank < 2 || b->rank != 2 || !const_f32(g, n->in[1])) return 0;
  int gemm = is_op(n, "Gemm");
  const IrAttr *ta = ir_attr(n, "transA"), *tb = ir_attr(n, "transB");
  const IrAttr *alpha = ir_attr(n, "alpha"), *beta = ir_attr(n, "beta");
  int trans_b = gemm && tb && tb->i;
  if (gemm && ta && ta->i) return 0;
  int64_t k = a->dims[a->rank - 1], nn = y->dims[y->rank - 1], m = ir_numel(a) / (k ? k : 1);
  if (k == 0 || m == 0 || nn == 0) return 0;
  int bias = n->nin > 2 ? n->in[2] : -1;
  if (gemm && bias >= 0) {
    IrValue *cv = &g->vals[bias];
    if ((beta && beta->f != 1.0f) || ir_numel(cv) != nn || cv->dtype != DT_F32 ||
        (cv->rank == 2 && cv->dims[0] != 1))
      return 0;
  }
  RtCpuGemmLayout lay = rt_cpu_gemm_layout(isa);
  int wv = n->in[1];
  float *data;
  int pv = packed_const(g, wv, rt_cpu_gemm_pack_b_size(&lay, k, nn), &data);
  const float *w = (const float *)g->vals[wv].data;
  rt_cpu_gemm_pack_b(&lay, k, nn, w, trans_b ? 1 : nn, trans_b ? k : 1, data);
  n = &g->nodes[i];
  float al = gemm && alpha ? alpha->f : 1.0f;
  ir_add_attr(g, n, "m", AT_INT)->i = m;
  ir_add_attr(g, n, "n", AT_INT)->i = nn;
  ir_add_attr(g, n, "k", AT_INT)->i = k;
  ir_add_attr(g, n, "b_packed", AT_INT)->i = 1;
  if (!gemm) ir_add_attr(g, n, "alpha", AT_FLOAT)->f = al;
  int r = absorb_residual(g, i);
  int ins[4] = {n->in[0], pv, bias, r};
  set_inputs(g, i, ins, 4);
  g->nodes[i].op = &OP_CPU_GEMM;
  return 1;
}

/* MaxPool without Indices and AveragePool, 2-D (or 1-D) float32, and
 * GlobalAveragePool: the same parameters, the cpu kernels. */
static int prepare_pool(IrGraph *g, int i, Diag *d) {
  IrNode *n = &g->nodes[i];
  IrValue *x = &g->vals[n->in[0]];
  if (x->dtype != DT_F32 || x->rank < 3) return 0;
  if (is_op(n, "GlobalAveragePool")) {
    n->op = &OP_CPU_GAP;
    return 1;
  }
  if (x->rank > 4 || (n->nout > 1 && n->out[1] >= 0)) return 0;
  KList l = {0};
  OpCtx c = {g, n, d, g->opset};
  int ok = n->op->lower(&c, &l) == 0 && l.n == 1 && l.calls[0].size == sizeof(RtPool);
  RtPool p;
  if (ok) memcpy(&p, l.calls[0].buf, sizeof p);
  kl_free(&l);
  if (!ok || !rt_cpu_pool_ok(&p)) return 0;
  n->op = &OP_CPU_POOL;
  return 1;
}

static IrAttr *ints_attr(IrGraph *g, int i, const char *name, const int64_t *v, int n) {
  IrAttr *a = ir_add_attr(g, &g->nodes[i], name, AT_INTS);
  int64_t *copy = arena_alloc(&g->arena, sizeof(int64_t) * (size_t)(n ? n : 1));
  memcpy(copy, v, sizeof(int64_t) * (size_t)n);
  a->ints = copy;
  a->n = n;
  return a;
}

/* The element strides of operand v of node i, in *st (rank entries): its
 * own (row-major), or, when v is a float32 Transpose read only by node i,
 * those of the Transpose's input permuted; then *src is that input and the
 * Transpose is dead. Attention's head split (Reshape then Transpose of Q,
 * K and V) so becomes strides of the GEMM instead of a copy. */
static void operand_strides(IrGraph *g, int i, int v, int64_t *st, int *src) {
  const IrValue *x = &g->vals[v];
  int r = x->rank, p = x->producer;
  *src = v;
  st[r - 1] = 1;
  for (int d = r - 2; d >= 0; d--) st[d] = st[d + 1] * x->dims[d + 1];
  if (p < 0 || p >= i || !is_op(&g->nodes[p], "Transpose") || pass_sole_consumer(g, v) != i)
    return;
  IrNode *t = &g->nodes[p];
  const IrValue *in = &g->vals[t->in[0]];
  const IrAttr *perm = ir_attr(t, "perm");
  if (in->dtype != DT_F32 || in->rank != r || (perm && perm->n != r)) return;
  int64_t ist[IR_MAX_RANK];
  ist[r - 1] = 1;
  for (int d = r - 2; d >= 0; d--) ist[d] = ist[d + 1] * in->dims[d + 1];
  for (int d = 0; d < r; d++) {
    int64_t q = perm ? perm->ints[d] : r - 1 - d;
    if (q < 0 || q >= r) return;
    st[d] = ist[q];
  }
  *src = t->in[0];
  t->dead = 1;
}

/* Node i (no activation) writes y; if y's only reader multiplies it by a
 * float32 constant scalar (Mul, or Div of y by it), that node goes and the
 * factor is returned (node i's alpha; a Div becomes a multiply by the
 * reciprocal, as exact for attention's 1/sqrt(d) with d a power of 4). 1
 * if none. */
static float absorb_scale(IrGraph *g, int i) {
  IrNode *n = &g->nodes[i];
  float v;
  if (n->act.kind) return 1.0f;
  int c = pass_sole_consumer(g, n->out[0]);
  if (c < 0) return 1.0f;
  IrNode *s = &g->nodes[c];
  int div = is_op(s, "Div");
  if ((!div && !is_op(s, "Mul")) || s->nin != 2) return 1.0f;
  int other = s->in[0] == n->out[0] ? 1 : 0;
  if (s->in[1 - other] != n->out[0] || (div && other != 1)) return 1.0f;
  if (!pass_const_f32(g, s, other, &v) || !(v == v) || (div && v == 0.0f)) return 1.0f;
  if (!ir_same_shape(&g->vals[s->out[0]], &g->vals[n->out[0]])) return 1.0f;
  n->out[0] = s->out[0];
  s->dead = 1;
  return div ? 1.0f / v : v;
}

/* Node i (no activation) writes y [.., M, N]; if y's only reader is an Add
 * of y and a float32 value of N elements along y's last dim (every other dim
 * 1: attention's mask over the keys) computed before node i, the Add
 * becomes node i's column bias (returned; its output becomes node i's). -1
 * if none. */
static int absorb_column_bias(IrGraph *g, int i) {
  IrNode *n = &g->nodes[i];
  const IrValue *y = &g->vals[n->out[0]];
  if (n->act.kind || y->rank < 1) return -1;
  int c = pass_sole_consumer(g, n->out[0]);
  if (c < 0 || !is_op(&g->nodes[c], "Add")) return -1;
  IrNode *add = &g->nodes[c];
  int v = add->in[0] == n->out[0] ? add->in[1] : add->in[0];
  if (v == n->out[0] || !ir_same_shape(&g->vals[add->out[0]], y)) return -1;
  const IrValue *b = &g->vals[v];
  int64_t cols = y->dims[y->rank - 1];
  if (b->dtype != DT_F32 || b->rank < 1 || b->rank > y->rank || ir_numel(b) != cols ||
      b->dims[b->rank - 1] != cols || (b->producer >= i && !(b->flags & VF_CONST)))
    return -1;
  n->out[0] = add->out[0];
  add->dead = 1;
  return v;
}

/* MatMul of two run-time operands of the same rank 2 to 6 whose batch
 * dims match or broadcast (attention's Q K^T and P V): one GEMM per batch
 * on the cpu kernel, B unpacked, either operand read through the strides
 * of a Transpose it comes from (operand_strides); a following scale by a
 * constant becomes its alpha, and a residual Add or an Add of a row vector
 * (attention's mask) its epilogue. */
static int prepare_batched_matmul(IrGraph *g, int i) {
  IrNode *n = &g->nodes[i];
  IrValue *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *y = &g->vals[n->out[0]];
  int r = a->rank;
  if (a->dtype != DT_F32 || b->dtype != DT_F32 || r < 2 || b->rank != r || r - 2 > 4) return 0;
  if (n->nin > 2 && n->in[2] >= 0) return 0;
  int64_t m = a->dims[r - 2], k = a->dims[r - 1], nn = b->dims[r - 1];
  if (m == 0 || k == 0 || nn == 0 || b->dims[r - 2] != k) return 0;
  int64_t batch[4], abs[4], bbs[4];
  for (int d = r - 3; d >= 0; d--) {
    int64_t da = a->dims[d], db = b->dims[d];
    if (da != db && da != 1 && db != 1) return 0;
  }
  int64_t ast[IR_MAX_RANK], bst[IR_MAX_RANK];
  int asrc, bsrc;
  operand_strides(g, i, n->in[0], ast, &asrc);
  operand_strides(g, i, n->in[1], bst, &bsrc);
  n = &g->nodes[i];
  for (int d = r - 3; d >= 0; d--) {
    batch[d] = y->dims[d];
    abs[d] = a->dims[d] == 1 ? 0 : ast[d];
    bbs[d] = b->dims[d] == 1 ? 0 : bst[d];
  }
  ir_add_attr(g, n, "m", AT_INT)->i = m;
  ir_add_attr(g, n, "n", AT_INT)->i = nn;
  ir_add_attr(g, n, "k", AT_INT)->i = k;
  ir_add_attr(g, n, "b_packed", AT_INT)->i = 0;
  ir_add_attr(g, n, "a_rs", AT_INT)->i = ast[r - 2];
  ir_add_attr(g, n, "a_cs", AT_INT)->i = ast[r - 1];
  ir_add_attr(g, n, "b_rs", AT_INT)->i = bst[r - 2];
  ir_add_attr(g, n, "b_cs", AT_INT)->i = bst[r - 1];
  float alpha = absorb_scale(g, i);
  n = &g->nodes[i];
  ir_add_attr(g, n, "alpha", AT_FLOAT)->f = alpha;
  if (r > 2) {
    ints_attr(g, i, "batch", batch, r - 2);
    ints_attr(g, i, "a_bs", abs, r - 2);
    ints_attr(g, i, "b_bs", bbs, r - 2);
  }
  int res = absorb_residual(g, i);
  int cb = res < 0 ? absorb_column_bias(g, i) : -1;
  n = &g->nodes[i];
  int ins[4] = {asrc, bsrc, cb, res};
  set_inputs(g, i, ins, 4);
  g->nodes[i].op = &OP_CPU_GEMM;
  return 1;
}

/* Softmax, LogSoftmax and LayerNormalization whose operands are all
 * float32: the same parameters, on the pool (cpu_norm.c). */
static int prepare_norm(IrGraph *g, int i) {
  IrNode *n = &g->nodes[i];
  if (n->half_type != DT_UNDEF) return 0;
  for (int k = 0; k < n->nin; k++)
    if (n->in[k] >= 0 && g->vals[n->in[k]].dtype != DT_F32) return 0;
  for (int k = 0; k < n->nout; k++)
    if (n->out[k] >= 0 && g->vals[n->out[k]].dtype != DT_F32) return 0;
  n->op = is_op(n, "LayerNormalization") ? &OP_CPU_LAYERNORM : &OP_CPU_SOFTMAX;
  return 1;
}

int cpu_prepare(IrGraph *g, const Options *o, Diag *d) {
  int isa = cpu_isa_id(o->cpu);
  ir_count_uses(g);
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (is_op(n, "Conv"))
      prepare_conv(g, i, isa, d);
    else if (is_op(n, "MatMul") || is_op(n, "Gemm")) {
      if (!prepare_gemm(g, i, isa) && is_op(&g->nodes[i], "MatMul"))
        prepare_batched_matmul(g, i);
    }
    else if (is_op(n, "MaxPool") || is_op(n, "AveragePool") || is_op(n, "GlobalAveragePool"))
      prepare_pool(g, i, d);
    else if (is_op(n, "Softmax") || is_op(n, "LogSoftmax") || is_op(n, "LayerNormalization"))
      prepare_norm(g, i);
    ir_count_uses(g);
  }
  ir_compact(g);
  return diag_failed(d) ? -1 : 0;
}
