/* infer.c - see infer.h. */
#include "infer.h"

#include <string.h>

#include "exec.h"
#include "ops/op.h"

/* Outputs up to this size are folded during inference (shape arithmetic);
 * larger constant computations wait for the fold pass. */
#define INFER_FOLD_BYTES (64 << 10)

int check_supported(IrGraph *g, Diag *d) {
  int bad = 0;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (n->op) continue;
    if (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
      diag_error(d, EK_UNSUPPORTED, ir_where(g, n), "ops of domain '%s' are not supported",
                 n->domain);
    else
      diag_error(d, EK_UNSUPPORTED, ir_where(g, n), "op '%s' is not supported", n->op_type);
    bad++;
  }
  return bad;
}

static int check_arity(IrGraph *g, IrNode *n, Diag *d) {
  const OpDef *op = n->op;
  int nin = n->nin, nout = n->nout;
  while (nin > 0 && n->in[nin - 1] < 0) nin--; /* trailing absent optionals */
  if (nin < op->min_in || n->nin > op->max_in) {
    diag_error(d, EK_INVALID, ir_where(g, n), "has %d inputs; %s takes %d to %d", n->nin,
               op->name, op->min_in, op->max_in);
    return -1;
  }
  if (nout < op->min_out || nout > op->max_out || n->out[0] < 0) {
    diag_error(d, EK_INVALID, ir_where(g, n), "has %d outputs; %s makes %d to %d", nout,
               op->name, op->min_out, op->max_out);
    return -1;
  }
  for (int i = 0; i < op->min_in; i++)
    if (n->in[i] < 0) {
      diag_error(d, EK_INVALID, ir_where(g, n), "required input %d is missing", i);
      return -1;
    }
  if (g->opset < op->since) {
    diag_error(d, EK_INVALID, ir_where(g, n), "%s does not exist in opset %d (it came in %d)",
               op->name, g->opset, op->since);
    return -1;
  }
  return 0;
}

int infer_node(IrGraph *g, IrNode *n, Diag *d) {
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] >= 0 && g->vals[n->in[i]].rank < 0) return -1; /* an earlier error */
  if (check_arity(g, n, d)) return -1;
  OpCtx c = {g, n, d, g->opset};
  if (n->op->infer(&c)) return -1;
  for (int i = 0; i < n->nout; i++)
    if (n->out[i] >= 0 && g->vals[n->out[i]].rank < 0)
      BUG("%s: output %d has no shape after inference", n->op_type, i);
  return 0;
}

static int small_outputs(IrGraph *g, const IrNode *n) {
  int64_t bytes = 0;
  for (int i = 0; i < n->nout; i++)
    if (n->out[i] >= 0) bytes += ir_bytes(&g->vals[n->out[i]]);
  return bytes <= INFER_FOLD_BYTES;
}

int infer_graph(IrGraph *g, InferStats *st, Diag *d) {
  memset(st, 0, sizeof *st);
  if (legalize_graph(g, d)) return -1;
  st->unsupported = check_supported(g, d);
  int bad = st->unsupported;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (n->dead || !n->op) continue;
    if (infer_node(g, n, d)) {
      bad++;
      continue;
    }
    int fold = n->op->lower_kind == OPL_FOLD ||
               (exec_can_fold(g, n) && small_outputs(g, n));
    if (!fold) continue;
    if (exec_node(g, n, d)) {
      bad++;
      continue;
    }
    n->dead = 1;
    st->folded++;
  }
  ir_compact(g);
  return bad ? -1 : 0;
}
