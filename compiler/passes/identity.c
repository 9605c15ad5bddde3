/* identity.c - removes Identity and inference-time Dropout: consumers read
 * the input directly. When the output is a graph output, the input's producer
 * writes the graph output instead. */
#include <string.h>

#include "pass.h"

static int is_identity(const IrNode *n) {
  return strcmp(n->op_type, "Identity") == 0 ||
         (strcmp(n->op_type, "Dropout") == 0 && (n->nout < 2 || n->out[1] < 0));
}

int pass_identity(IrGraph *g, const Options *o, StrBuf *log, Diag *d) {
  int removed = 0;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (n->dead || !n->op || !is_identity(n)) continue;
    int in = n->in[0], out = n->out[0];
    IrValue *vi = &g->vals[in], *vo = &g->vals[out];
    if (!(vo->flags & VF_OUTPUT)) {
      ir_replace_uses(g, out, in);
    } else if (vi->producer >= 0 && !(vi->flags & (VF_OUTPUT | VF_INPUT | VF_CONST))) {
      /* The producer writes the graph output; other readers read it there. */
      IrNode *p = &g->nodes[vi->producer];
      for (int j = 0; j < p->nout; j++)
        if (p->out[j] == in) p->out[j] = out;
      n->dead = 1;
      ir_replace_uses(g, in, out);
      vo->producer = vi->producer;
      removed++;
      continue;
    } else {
      continue; /* a graph output that copies an input or constant stays a copy */
    }
    n->dead = 1;
    removed++;
  }
  sb_printf(log, "removed %d Identity/Dropout node%s", removed, removed == 1 ? "" : "s");
  return removed;
}
