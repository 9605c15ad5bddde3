/* dce.c - removes nodes whose outputs nobody uses. */
#include "pass.h"

static int node_needed(IrGraph *g, const IrNode *n) {
  for (int i = 0; i < n->nout; i++)
    if (n->out[i] >= 0 && g->vals[n->out[i]].nuses > 0) return 1;
  return 0;
}

int pass_dce(IrGraph *g, const Options *o, StrBuf *log, Diag *d) {
  int removed = 0;
  for (int i = g->nnodes - 1; i >= 0; i--) {
    IrNode *n = &g->nodes[i];
    if (n->dead || node_needed(g, n)) continue;
    n->dead = 1;
    removed++;
    for (int j = 0; j < n->nin; j++)
      if (n->in[j] >= 0) g->vals[n->in[j]].nuses--;
  }
  sb_printf(log, "removed %d unused node%s", removed, removed == 1 ? "" : "s");
  return removed;
}
