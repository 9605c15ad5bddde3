/* fuse_act.c - epilogue fusion into Conv, ConvTranspose, Gemm and MatMul:
 * a following Add of a constant row vector becomes MatMul's (or Gemm's) bias
 * (fuse-bias), and a following activation becomes the node's fused
 * activation (fuse-act), so the output is written once. */
#include <math.h>
#include <string.h>

#include "rt_kernels.h"
#include "../ops/op.h"
#include "pass.h"

extern const OpDef OP_MATMUL_BIAS;

static int is_op(const IrNode *n, const char *name) {
  return n->op && strcmp(n->op->name, name) == 0;
}

/* The activation of node a as an IrAct, or kind 0 if it cannot be fused. */
static IrAct act_of(IrGraph *g, const IrNode *a) {
  IrAct r = {0, 0, 0};
  const IrAttr *alpha = ir_attr(a, "alpha"), *beta = ir_attr(a, "beta");
  if (is_op(a, "Relu")) r.kind = RT_ACT_RELU;
  else if (is_op(a, "Sigmoid")) r.kind = RT_ACT_SIGMOID;
  else if (is_op(a, "Tanh")) r.kind = RT_ACT_TANH;
  else if (is_op(a, "HardSwish")) r.kind = RT_ACT_HARD_SWISH;
  else if (is_op(a, "Gelu")) {
    const IrAttr *approx = ir_attr(a, "approximate");
    if (!approx || (approx->s && strcmp(approx->s, "none") == 0)) r.kind = RT_ACT_GELU;
  }
  else if (is_op(a, "LeakyRelu")) {
    r.kind = RT_ACT_LEAKY_RELU;
    r.alpha = alpha ? alpha->f : 0.01f;
  } else if (is_op(a, "HardSigmoid")) {
    r.kind = RT_ACT_HARD_SIGMOID;
    r.alpha = alpha ? alpha->f : 0.2f;
    r.beta = beta ? beta->f : 0.5f;
  } else if (is_op(a, "Clip")) {
    if (pass_const_f32(g, a, 1, &r.alpha) && pass_const_f32(g, a, 2, &r.beta)) r.kind = RT_ACT_CLIP;
  }
  return r;
}

int pass_fuse_act(IrGraph *g, const Options *o, StrBuf *log, Diag *d) {
  int fused = 0;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (n->dead || n->act.kind || n->op == NULL) continue;
    if (!is_op(n, "Conv") && !is_op(n, "ConvTranspose") && !is_op(n, "Gemm") &&
        !is_op(n, "MatMul"))
      continue;
    int c = pass_sole_consumer(g, n->out[0]);
    if (c < 0) continue;
    IrNode *a = &g->nodes[c];
    IrAct act = act_of(g, a);
    if (!act.kind || a->in[0] != n->out[0] || g->vals[a->out[0]].dtype != DT_F32) continue;
    n->act = act;
    n->out[0] = a->out[0];
    a->dead = 1;
    fused++;
  }
  sb_printf(log, "fused %d activation%s", fused, fused == 1 ? "" : "s");
  return fused;
}

/* The constant operand of Add node a that is not value x, if it is a row
 * vector of n floats; -1 otherwise. */
static int bias_operand(IrGraph *g, const IrNode *a, int x, int64_t n) {
  int other = a->in[0] == x ? a->in[1] : a->in[0];
  if (a->in[0] != x && a->in[1] != x) return -1;
  IrValue *b = &g->vals[other];
  if (!(b->flags & VF_CONST) || b->dtype != DT_F32 || ir_numel(b) != n) return -1;
  if (b->rank > 0 && b->dims[b->rank - 1] != n) return -1;
  return other;
}

int pass_fuse_bias(IrGraph *g, const Options *o, StrBuf *log, Diag *d) {
  int fused = 0;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    const IrAttr *beta = ir_attr(n, "beta");
    int gemm = is_op(n, "Gemm") && (n->nin < 3 || n->in[2] < 0) && (!beta || beta->f == 1.0f);
    if (n->dead || n->act.kind || (!gemm && !(is_op(n, "MatMul") && n->nin == 2))) continue;
    IrValue *y = &g->vals[n->out[0]];
    int c = pass_sole_consumer(g, n->out[0]);
    if (c < 0 || !is_op(&g->nodes[c], "Add") || y->rank < 1) continue;
    IrNode *a = &g->nodes[c];
    int64_t cols = y->dims[y->rank - 1];
    int b = bias_operand(g, a, n->out[0], cols);
    if (b < 0 || !ir_same_shape(&g->vals[a->out[0]], y)) continue;
    int bias = ir_add_const(g, g->vals[b].name, DT_F32, 1, &cols, g->vals[b].data);
    n->in = xrealloc(n->in, 3 * sizeof(int));
    if (n->nin < 3) n->in[2] = -1;
    n->nin = 3;
    n->in[2] = bias;
    if (!gemm) n->op = &OP_MATMUL_BIAS;
    n->out[0] = a->out[0];
    a->dead = 1;
    fused++;
  }
  sb_printf(log, "fused %d bias Add%s", fused, fused == 1 ? "" : "s");
  return fused;
}
