/* fuse_bn.c - folds BatchNormalization into the Conv before it:
 *   W' = W * s,  b' = (b - mean) * s + beta,  s = scale / sqrt(var + eps)
 * per output channel. New constants are made; the model's are untouched. */
#include <math.h>
#include <string.h>

#include "../ops/op.h"
#include "pass.h"

static int all_const_f32(IrGraph *g, const IrNode *n, int from, int to) {
  for (int i = from; i < to; i++)
    if (n->in[i] < 0 || !(g->vals[n->in[i]].flags & VF_CONST) || g->vals[n->in[i]].dtype != DT_F32)
      return 0;
  return 1;
}

static void fold_into(IrGraph *g, IrNode *conv, IrNode *bn, float eps) {
  IrValue *w = &g->vals[conv->in[1]];
  int64_t m = w->dims[0], per = ir_numel(w) / m;
  const float *scale = g->vals[bn->in[1]].data, *beta = g->vals[bn->in[2]].data;
  const float *mean = g->vals[bn->in[3]].data, *var = g->vals[bn->in[4]].data;
  const float *b = conv->nin > 2 && conv->in[2] >= 0 ? g->vals[conv->in[2]].data : NULL;
  /* The weights are scaled in place when they are a private copy no other node
   * reads: large models then hold one copy of their weights, not two. */
  int in_place = (w->flags & VF_MUTABLE) && w->nuses == 1;
  float *nw = in_place ? (float *)w->data : op_alloc(g, (size_t)ir_bytes(w));
  float *nb = op_alloc(g, (size_t)m * 4);
  const float *ow = w->data;
  for (int64_t c = 0; c < m; c++) {
    float s = scale[c] / sqrtf(var[c] + eps);
    for (int64_t k = 0; k < per; k++) nw[c * per + k] = ow[c * per + k] * s;
    nb[c] = ((b ? b[c] : 0.0f) - mean[c]) * s + beta[c];
  }
  int wid = in_place ? conv->in[1] : ir_add_const(g, w->name, DT_F32, w->rank, w->dims, nw);
  int bid = ir_add_const(g, conv->nin > 2 && conv->in[2] >= 0 ? g->vals[conv->in[2]].name
                                                               : "conv_bias",
                         DT_F32, 1, &m, nb);
  if (conv->nin < 3) {
    conv->in = xrealloc(conv->in, 3 * sizeof(int));
    conv->nin = 3;
  }
  conv->in[1] = wid;
  conv->in[2] = bid;
  conv->out[0] = bn->out[0];
  bn->dead = 1;
}

int pass_fuse_bn(IrGraph *g, const Options *o, StrBuf *log, Diag *d) {
  int fused = 0;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *conv = &g->nodes[i];
    if (conv->dead || !conv->op || strcmp(conv->op->name, "Conv") != 0) continue;
    if (conv->act.kind || !all_const_f32(g, conv, 1, conv->nin)) continue;
    int c = pass_sole_consumer(g, conv->out[0]);
    if (c < 0) continue;
    IrNode *bn = &g->nodes[c];
    const IrAttr *training = ir_attr(bn, "training_mode"); /* batch statistics: no folding */
    if (strcmp(bn->op_type, "BatchNormalization") != 0 || bn->in[0] != conv->out[0] ||
        !all_const_f32(g, bn, 1, 5) || (bn->nout > 1 && bn->out[1] >= 0) ||
        (training && training->type == AT_INT && training->i != 0))
      continue;
    const IrAttr *eps = ir_attr(bn, "epsilon");
    fold_into(g, conv, bn, eps && eps->type == AT_FLOAT ? eps->f : 1e-5f);
    fused++;
  }
  sb_printf(log, "folded %d BatchNormalization%s into Conv", fused, fused == 1 ? "" : "s");
  return fused;
}
