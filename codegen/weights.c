/* weights.c - see weights.h. */
#include "weights.h"

#include <errno.h>
#include <string.h>

#define WEIGHT_ALIGN 64

static void place(IrGraph *g, Weights *w, int v) {
  if (w->off[v] >= 0) return;
  const IrValue *x = &g->vals[v];
  for (int i = 0; i < w->n; i++) {
    const IrValue *o = &g->vals[w->order[i]];
    if (o->data == x->data && ir_bytes(o) >= ir_bytes(x)) {
      w->off[v] = w->off[w->order[i]];
      return;
    }
  }
  w->off[v] = w->bytes;
  w->order[w->n++] = v;
  w->bytes += (ir_bytes(x) + WEIGHT_ALIGN - 1) / WEIGHT_ALIGN * WEIGHT_ALIGN;
}

void weights_assign(IrGraph *g, const MemPlan *p, Weights *w) {
  memset(w, 0, sizeof *w);
  w->off = xmalloc(sizeof(int64_t) * (size_t)(g->nvals ? g->nvals : 1));
  w->order = xmalloc(sizeof(int) * (size_t)(g->nvals ? g->nvals : 1));
  for (int i = 0; i < g->nvals; i++) w->off[i] = -1;
  for (int i = 0; i < g->nnodes; i++) {
    const IrNode *n = &g->nodes[i];
    for (int j = 0; j < n->nin; j++)
      if (n->in[j] >= 0 && p->storage[n->in[j]] == ST_CONST) place(g, w, n->in[j]);
  }
  for (int i = 0; i < g->noutputs; i++)
    if (p->storage[g->outputs[i]] == ST_CONST) place(g, w, g->outputs[i]);
}

int weights_write(IrGraph *g, const Weights *w, const char *path, Diag *d) {
  FILE *f = fopen(path, "wb");
  static const char zeros[WEIGHT_ALIGN];
  if (!f) {
    diag_error(d, EK_TOOLCHAIN, NULL, "cannot write '%s': %s", path, strerror(errno));
    return -1;
  }
  int64_t pos = 0;
  int bad = 0;
  for (int i = 0; i < w->n && !bad; i++) {
    const IrValue *v = &g->vals[w->order[i]];
    size_t n = (size_t)ir_bytes(v);
    ENSURE(pos == w->off[w->order[i]]);
    bad |= n && fwrite(v->data, 1, n, f) != n;
    size_t pad = (size_t)((WEIGHT_ALIGN - (int64_t)n % WEIGHT_ALIGN) % WEIGHT_ALIGN);
    bad |= pad && fwrite(zeros, 1, pad, f) != pad;
    pos += (int64_t)(n + pad);
  }
  if (fclose(f) != 0) bad = 1;
  if (bad) diag_error(d, EK_TOOLCHAIN, NULL, "cannot write '%s': %s", path, strerror(errno));
  return bad ? -1 : 0;
}

void weights_free(Weights *w) {
  free(w->off);
  free(w->order);
  memset(w, 0, sizeof *w);
}
