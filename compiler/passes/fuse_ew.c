/* fuse_ew.c - elementwise chains into one loop (fuse-ew): an elementwise
 * node whose only reader is another elementwise node of the same output
 * shape is marked inline_ew; the targets then evaluate it inside that
 * reader's loop, as a nested call, and its result never reaches memory.
 * A tree of such nodes reads at most BCAST_MAX_OPS distinct values (the
 * loop's operands). The memory planner keeps the inlined nodes' operands
 * alive until the loop that reads them runs (memplan.c).
 *
 * It runs after the target's prepare step (build.c), so that a target
 * that fuses an Add or an activation into a kernel of its own sees them
 * as nodes. */
#include <string.h>

#include "../bcast.h"
#include "../ops/op.h"
#include "pass.h"

static int is_ew(const IrNode *n) { return !n->dead && n->op && n->op->lower_kind == OPL_EW; }

int ew_nops(const IrNode *n);

/* Adds the distinct values that the tree rooted at node i reads to set
 * (size *n, at most max; returns -1 past it). */
static int tree_leaves(const IrGraph *g, int i, int *set, int *n, int max) {
  const IrNode *x = &g->nodes[i];
  for (int k = 0; k < ew_nops(x); k++) {
    int v = x->in[k], p = g->vals[v].producer;
    if (p >= 0 && g->nodes[p].inline_ew) {
      if (tree_leaves(g, p, set, n, max)) return -1;
      continue;
    }
    int seen = 0;
    for (int j = 0; j < *n; j++) seen |= set[j] == v;
    if (seen) continue;
    if (*n == max) return -1;
    set[(*n)++] = v;
  }
  return 0;
}

static int same_shape(const IrValue *a, const IrValue *b) {
  if (a->rank != b->rank) return 0;
  for (int k = 0; k < a->rank; k++)
    if (a->dims[k] != b->dims[k]) return 0;
  return 1;
}

/* Node p can be evaluated inside its reader c. */
static int can_inline(IrGraph *g, int p, int c) {
  const IrNode *pn = &g->nodes[p], *cn = &g->nodes[c];
  const IrValue *v = &g->vals[pn->out[0]];
  if (!is_ew(pn) || pn->inline_ew || pn->nout != 1) return 0;
  if (v->flags & (VF_OUTPUT | VF_KEEP | VF_DYNAMIC | VF_CONST)) return 0;
  if (pass_sole_consumer(g, pn->out[0]) != c) return 0;
  return same_shape(v, &g->vals[cn->out[0]]) && ir_numel(v) > 0;
}

int pass_fuse_ew(IrGraph *g, const Options *o, StrBuf *log, Diag *d) {
  int fused = 0;
  for (int c = 0; c < g->nnodes; c++) {
    IrNode *cn = &g->nodes[c];
    if (!is_ew(cn)) continue;
    for (int k = 0; k < ew_nops(cn); k++) {
      int p = g->vals[cn->in[k]].producer;
      if (p < 0 || !can_inline(g, p, c)) continue;
      int set[BCAST_MAX_OPS], n = 0;
      g->nodes[p].inline_ew = 1;
      if (tree_leaves(g, c, set, &n, BCAST_MAX_OPS) == 0)
        fused++;
      else
        g->nodes[p].inline_ew = 0;
    }
  }
  sb_printf(log, "evaluated %d elementwise node%s inside the loop of the next", fused,
            fused == 1 ? "" : "s");
  return fused;
}
