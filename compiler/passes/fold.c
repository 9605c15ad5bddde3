/* fold.c - constant folding: evaluates every node whose inputs are all
 * constant with runtime-mini's kernels (exec.c), unless that would blow up
 * the weights (a small constant expanded into a large one stays a node). */
#include "../exec.h"
#include "pass.h"

#define FOLD_GROWTH_LIMIT (1 << 20) /* bytes of growth allowed per node */

static int64_t const_input_bytes(IrGraph *g, const IrNode *n) {
  int64_t b = 0;
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] >= 0) b += ir_bytes(&g->vals[n->in[i]]);
  return b;
}

static int64_t output_bytes(IrGraph *g, const IrNode *n) {
  int64_t b = 0;
  for (int i = 0; i < n->nout; i++)
    if (n->out[i] >= 0) b += ir_bytes(&g->vals[n->out[i]]);
  return b;
}

int pass_fold(IrGraph *g, const Options *o, StrBuf *log, Diag *d) {
  int folded = 0;
  int64_t bytes = 0;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (n->dead || !exec_can_fold(g, n)) continue;
    int64_t out = output_bytes(g, n);
    if (out - const_input_bytes(g, n) > FOLD_GROWTH_LIMIT) continue;
    if (exec_node(g, n, d)) return -1;
    n->dead = 1;
    folded++;
    bytes += out;
  }
  sb_printf(log, "folded %d node%s into %lld bytes of constants", folded, folded == 1 ? "" : "s",
            (long long)bytes);
  return folded;
}
