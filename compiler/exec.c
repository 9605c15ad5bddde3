/* exec.c - see exec.h. */
#include "exec.h"

#include <string.h>

#include "bcast.h"
#include "ops/op.h"

int ew_nops(const IrNode *n);
int ew_params(OpCtx *c, float *p);

int exec_can_fold(IrGraph *g, const IrNode *n) {
  if (!n->op || (n->op->flags & OPF_NO_FOLD)) return 0;
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] >= 0 && !(g->vals[n->in[i]].flags & VF_CONST)) return 0;
  return 1;
}

static void *alloc_out(IrGraph *g, IrValue *v) {
  size_t bytes = (size_t)ir_bytes(v);
  void *p = arena_alloc_aligned(&g->arena, bytes ? bytes : 1, 64);
  v->data = p;
  return p;
}

static int exec_ew(IrGraph *g, IrNode *n, Diag *d) {
  OpCtx c = {g, n, d, g->opset};
  float params[2] = {0, 0};
  if (ew_params(&c, params)) return -1;
  int nops = ew_nops(n);
  const IrValue *ops[BCAST_MAX_OPS];
  for (int k = 0; k < nops; k++) ops[k] = &g->vals[n->in[k]];
  IrValue *y = &g->vals[n->out[0]];
  char *out = alloc_out(g, y);
  EwThunk th = n->op->ew->thunk[ops[nops - 1]->dtype];
  ENSURE(th != NULL);
  BcastPlan p;
  bcast_plan(&p, y, ops, nops);
  size_t ysize = dtype_size(y->dtype), xsize[BCAST_MAX_OPS];
  for (int k = 0; k < nops; k++) xsize[k] = dtype_size(ops[k]->dtype);
  int64_t idx[IR_MAX_RANK] = {0}, total = ir_numel(y);
  for (int64_t i = 0; i < total; i++) {
    const void *x[BCAST_MAX_OPS];
    for (int k = 0; k < nops; k++) {
      int64_t off = 0;
      for (int j = 0; j < p.rank; j++) off += idx[j] * p.strides[k][j];
      x[k] = (const char *)ops[k]->data + off * (int64_t)xsize[k];
    }
    th(x, out + i * (int64_t)ysize, params);
    for (int j = p.rank - 1; j >= 0 && ++idx[j] == p.dims[j]; j--) idx[j] = 0;
  }
  return 0;
}

static int exec_kernel(IrGraph *g, IrNode *n, Diag *d) {
  OpCtx c = {g, n, d, g->opset};
  KList l = {0};
  if (n->op->lower(&c, &l)) {
    kl_free(&l);
    return -1;
  }
  for (int i = 0; i < n->nout; i++)
    if (n->out[i] >= 0) alloc_out(g, &g->vals[n->out[i]]);
  /* One scratch buffer for all the node's calls, as in generated code. */
  int64_t scratch_bytes = 0;
  for (int j = 0; j < l.n; j++) scratch_bytes = MAX(scratch_bytes, l.calls[j].scratch_bytes);
  void *scratch = scratch_bytes ? xmalloc((size_t)scratch_bytes) : NULL;
  for (int j = 0; j < l.n; j++) {
    KCall *k = &l.calls[j];
    void *args[KC_MAX_ARGS];
    for (int a = 0; a < k->nargs; a++) {
      int id = k->args[a];
      args[a] = id == KC_NULL || id == KC_THREADS ? NULL
                : id == KC_SCRATCH ? scratch : (void *)g->vals[id].data;
    }
    k->k->thunk(k->buf, args);
  }
  free(scratch);
  kl_free(&l);
  return 0;
}

int exec_node(IrGraph *g, IrNode *n, Diag *d) {
  int r = 0;
  switch (n->op->lower_kind) {
  case OPL_VIEW: g->vals[n->out[0]].data = g->vals[n->in[0]].data; break;
  case OPL_EW: r = exec_ew(g, n, d); break;
  case OPL_KERNEL: r = exec_kernel(g, n, d); break;
  case OPL_FOLD: break; /* infer() already computed the data */
  }
  if (r) return r;
  for (int i = 0; i < n->nout; i++)
    if (n->out[i] >= 0) g->vals[n->out[i]].flags |= VF_CONST;
  return 0;
}
