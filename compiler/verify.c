/* verify.c - the IR's invariants, checked after every pass. A failure is a
 * bug in gpuxc (a pass broke the graph), reported with the pass's name. */
#include <inttypes.h>
#include <string.h>

#include "ops/op.h"

static int fail(Diag *d, const IrGraph *g, const char *after, const IrNode *n, const char *what,
                int64_t a) {
  diag_error(d, EK_INVALID, n ? ir_where(g, n) : g->path,
             "internal error: the graph is broken after pass '%s': %s (%" PRId64 ")", after, what,
             a);
  return -1;
}

int ir_verify(IrGraph *g, int shapes_known, const char *after, Diag *d) {
  char *defined = xcalloc((size_t)g->nvals + 1, 1);
  int rc = 0;
  for (int i = 0; i < g->nvals; i++)
    if (g->vals[i].flags & (VF_INPUT | VF_CONST)) defined[i] = 1;
  for (int i = 0; i < g->nnodes && !rc; i++) {
    IrNode *n = &g->nodes[i];
    if (n->dead) continue;
    for (int j = 0; j < n->nin && !rc; j++) {
      int v = n->in[j];
      if (v < -1 || v >= g->nvals) rc = fail(d, g, after, n, "input id out of range", v);
      else if (v >= 0 && !defined[v]) rc = fail(d, g, after, n, "input used before defined", j);
    }
    for (int j = 0; j < n->nout && !rc; j++) {
      int v = n->out[j];
      if (v < -1 || v >= g->nvals) rc = fail(d, g, after, n, "output id out of range", v);
      else if (v >= 0 && defined[v] == 1 && !(g->vals[v].flags & VF_CONST))
        rc = fail(d, g, after, n, "value defined twice", j);
      else if (v >= 0 && shapes_known && g->vals[v].rank < 0)
        rc = fail(d, g, after, n, "output without a shape", j);
      else if (v >= 0)
        defined[v] = 1;
    }
  }
  for (int i = 0; i < g->noutputs && !rc; i++)
    if (!defined[g->outputs[i]]) rc = fail(d, g, after, NULL, "graph output never written", i);
  free(defined);
  return rc;
}

void ir_dump(const IrGraph *g, FILE *f) {
  char b[128];
  fprintf(f, "graph %s (opset %d)\n", g->path, g->opset);
  for (int i = 0; i < g->ninputs; i++) {
    const IrValue *v = &g->vals[g->inputs[i]];
    fprintf(f, "  input  %s: %s%s\n", v->name, dtype_name(v->dtype), ir_shape_str(v, b, sizeof b));
  }
  for (int i = 0; i < g->nnodes; i++) {
    const IrNode *n = &g->nodes[i];
    if (n->dead) continue;
    fprintf(f, "  %s = %s(", n->name, n->op_type);
    for (int j = 0; j < n->nin; j++) {
      const IrValue *v = n->in[j] >= 0 ? &g->vals[n->in[j]] : NULL;
      fprintf(f, "%s%s%s", j ? ", " : "", v ? v->name : "-", v && (v->flags & VF_CONST) ? "*" : "");
    }
    fprintf(f, ")");
    if (n->act.kind) fprintf(f, " +act%d", n->act.kind);
    if (n->inline_ew) fprintf(f, " inline");
    fprintf(f, " ->");
    for (int j = 0; j < n->nout; j++) {
      const IrValue *v = n->out[j] >= 0 ? &g->vals[n->out[j]] : NULL;
      if (v) fprintf(f, " %s:%s%s", v->name, dtype_name(v->dtype), ir_shape_str(v, b, sizeof b));
    }
    fputc('\n', f);
  }
  for (int i = 0; i < g->noutputs; i++)
    fprintf(f, "  output %s\n", g->vals[g->outputs[i]].name);
}
