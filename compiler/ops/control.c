/* control.c - If, Loop and Scan, compiled by inlining their subgraphs.
 *
 * gpuxc compiles static shapes, so control flow is resolved at compile time:
 *   If    with a constant condition becomes the taken branch; with a run-time
 *         condition both branches are inlined and each output selects
 *         between them (the branches must give the same shapes).
 *   Loop  is unrolled one iteration at a time: its trip count and its
 *         condition must be compile-time constants after each iteration.
 *   Scan  is unrolled over its (static) sequence length.
 * Each expand() rewrites the graph before inference reaches the node. */
#include <string.h>

#include "../inline.h"
#include "op.h"

#define MAX_UNROLL 4096

IrNode *op_new_node(IrGraph *g, int pos, const char *op, const char *name, int nin,
                        int nout) {
  IrNode *n = ir_insert_node(g, pos, op, name, nin, nout);
  n->op = op_find("", op);
  return n;
}

/* out = Identity(in), so that the node's output keeps its name. */
void op_add_identity(IrGraph *g, int pos, int in, int out) {
  IrNode *n = op_new_node(g, pos, "Identity", g->vals[out].name, 1, 1);
  n->in[0] = in;
  n->out[0] = out;
}

static const IrBody *body_attr(OpCtx *c, const char *name) {
  const IrAttr *a = ir_attr(c->n, name);
  if (!a || a->type != AT_GRAPH) {
    op_invalid(c, "attribute '%s' (a graph) is required", name);
    return NULL;
  }
  return a->bodies[0];
}

/* A constant bool or integer scalar input: 0 or 1 in *v; -1 (reported) if
 * it is not a compile-time constant. */
static int const_scalar(OpCtx *c, int i, int64_t *v, const char *why) {
  IrValue *x = op_in(c, i);
  if (!(x->flags & VF_CONST) || ir_numel(x) != 1) {
    op_unsupported(c, "input %d ('%s') must be a compile-time constant (%s)", i, x->name, why);
    return -1;
  }
  switch (x->dtype) {
  case DT_BOOL: case DT_U8: case DT_I8: *v = *(const uint8_t *)x->data; return 0;
  case DT_I32: *v = *(const int32_t *)x->data; return 0;
  case DT_I64: *v = *(const int64_t *)x->data; return 0;
  default: return op_invalid(c, "input %d ('%s') has type %s", i, x->name, dtype_name(x->dtype));
  }
}

/* ---- If ---- */

static int check_outputs(OpCtx *c, const IrBody *b) {
  if (b->noutputs != c->n->nout)
    return op_invalid(c, "branch '%s' has %d outputs, the node %d", b->name, b->noutputs,
                      c->n->nout);
  return 0;
}

static int expand_if(OpCtx *c, int pos) {
  const IrBody *then_b = body_attr(c, "then_branch"), *else_b = body_attr(c, "else_branch");
  if (!then_b || !else_b || check_outputs(c, then_b) || check_outputs(c, else_b)) return -1;
  IrGraph *g = c->g;
  int nout = c->n->nout, cond = c->n->in[0];
  int *outs = xmalloc(sizeof(int) * (size_t)(2 * nout + 1)), added = 0;
  int *node_out = xmalloc(sizeof(int) * (size_t)(nout + 1));
  for (int j = 0; j < nout; j++) node_out[j] = c->n->out[j];
  const char *name = c->n->name;
  int64_t v = 0;
  int constant = (g->vals[cond].flags & VF_CONST) && ir_numel(&g->vals[cond]) == 1;
  if (constant) v = *(const uint8_t *)g->vals[cond].data;
  for (int br = 0; br < 2; br++) {
    if (constant && br == (v ? 1 : 0)) continue; /* the branch not taken */
    int r = ir_inline_body(g, pos + added, br ? else_b : then_b,
                           arena_printf(&g->arena, "%s/%s", name, br ? "else" : "then"), NULL, 0,
                           outs + br * nout, c->d);
    if (r < 0) goto fail;
    added += r;
  }
  for (int j = 0; j < nout; j++) {
    if (node_out[j] < 0) continue;
    if (constant) {
      op_add_identity(g, pos + added++, outs[(v ? 0 : 1) * nout + j], node_out[j]);
    } else {
      IrNode *s = ir_insert_node(g, pos + added++, "Select", g->vals[node_out[j]].name, 3, 1);
      s->op = &OP_SELECT;
      s->domain = "gpuxc";
      s->in[0] = cond;
      s->in[1] = outs[j];
      s->in[2] = outs[nout + j];
      s->out[0] = node_out[j];
    }
  }
  g->nodes[pos + added].dead = 1;
  free(outs);
  free(node_out);
  return 1;
fail:
  free(outs);
  free(node_out);
  return -1;
}

/* Select: Where between two If branches, which must agree on shape and type
 * (otherwise the output's shape would depend on the condition). */
static int infer_select(OpCtx *c) {
  IrValue *a = op_in(c, 1), *b = op_in(c, 2);
  char s1[128], s2[128];
  if (!ir_same_shape(a, b) || a->dtype != b->dtype)
    return op_unsupported(c, "the If branches give %s %s and %s %s: with a run-time condition "
                          "the output shape must not depend on it", dtype_name(a->dtype),
                          ir_shape_str(a, s1, sizeof s1), dtype_name(b->dtype),
                          ir_shape_str(b, s2, sizeof s2));
  c->n->op = op_find("", "Where");
  return c->n->op->infer(c);
}

const OpDef OP_SELECT = {"Select", "gpuxc", 1, 3, 3, 1, 1, OPL_EW, 0, infer_select};

static int infer_never(OpCtx *c) { BUG("%s should have been expanded", c->n->op_type); }


/* ---- shared by Loop and Scan ---- */

/* out = Unsqueeze(in, axis), in the form of the model's opset. */
static int add_unsqueeze(IrGraph *g, int pos, int in, int64_t axis, const char *name) {
  int out = ir_new_temp(g, name);
  int withinput = g->opset >= 13;
  IrNode *n = op_new_node(g, pos, "Unsqueeze", name, withinput ? 2 : 1, 1);
  n->in[0] = in;
  n->out[0] = out;
  if (withinput) {
    int64_t *a = op_alloc(g, 8), one = 1;
    *a = axis;
    n->in[1] = ir_add_const(g, "axes", DT_I64, 1, &one, a);
  } else {
    IrAttr *at = ir_add_attr(g, &g->nodes[pos], "axes", AT_INTS);
    int64_t *a = op_alloc(g, 8);
    *a = axis;
    at->n = 1;
    at->ints = a;
  }
  return out;
}

/* out = Concat(ins[0..n), axis) of the per-iteration values, each
 * unsqueezed at axis first. Returns the nodes added. */
int op_stack(IrGraph *g, int pos, const int *ins, int n, int64_t axis, int out) {
  int added = 0;
  int *u = xmalloc(sizeof(int) * (size_t)n);
  for (int t = 0; t < n; t++)
    u[t] = add_unsqueeze(g, pos + added++, ins[t], axis, g->vals[out].name);
  IrNode *cat = op_new_node(g, pos + added++, "Concat", g->vals[out].name, n, 1);
  for (int t = 0; t < n; t++) cat->in[t] = u[t];
  cat->out[0] = out;
  ir_add_attr(g, cat, "axis", AT_INT)->i = axis;
  free(u);
  return added;
}

static int64_t int_attr(const IrNode *n, const char *name, int64_t dflt) {
  const IrAttr *a = ir_attr(n, name);
  return a && a->type == AT_INT ? a->i : dflt;
}

/* ---- Loop: unrolled one iteration per expansion ----
 * The node keeps its iteration count in the attribute "_iter" and the scan
 * outputs of the iterations so far as extra inputs after its own. */

static int finish_loop(OpCtx *c, int pos, int nv, int ns, int64_t iter) {
  IrGraph *g = c->g;
  IrNode *n = c->n;
  if (ns && iter == 0)
    return op_unsupported(c, "the loop runs no iteration: its scan outputs have no shape");
  int *ins = xmalloc(sizeof(int) * (size_t)(2 + nv + ns * iter + 1));
  int *outs = xmalloc(sizeof(int) * (size_t)(n->nout + 1));
  memcpy(ins, n->in, sizeof(int) * (size_t)n->nin);
  memcpy(outs, n->out, sizeof(int) * (size_t)n->nout);
  int added = 0, *per = xmalloc(sizeof(int) * (size_t)(iter + 1));
  for (int j = 0; j < nv; j++)
    if (outs[j] >= 0) op_add_identity(g, pos + added++, ins[2 + j], outs[j]);
  for (int k = 0; k < ns; k++) {
    if (outs[nv + k] < 0) continue;
    for (int64_t t = 0; t < iter; t++) per[t] = ins[2 + nv + t * ns + k];
    added += op_stack(g, pos + added, per, (int)iter, 0, outs[nv + k]);
  }
  g->nodes[pos + added].dead = 1;
  free(ins);
  free(outs);
  free(per);
  return 1;
}

static int expand_loop(OpCtx *c, int pos) {
  const IrBody *b = body_attr(c, "body");
  if (!b) return -1;
  IrGraph *g = c->g;
  int nv = c->n->nout - (b->noutputs - 1 - (b->ninputs - 2)), ns = b->noutputs - 1 - nv;
  if (b->ninputs != 2 + nv || nv < 0 || ns < 0)
    return op_invalid(c, "the body's %d inputs and %d outputs do not fit the node's", b->ninputs,
                      b->noutputs);
  int64_t iter = int_attr(c->n, "_iter", 0), m = -1, cond = 1;
  if (op_has_in(c, 0) && const_scalar(c, 0, &m, "the trip count")) return -1;
  if (op_has_in(c, 1) && const_scalar(c, 1, &cond, "it decides the number of iterations"))
    return -1;
  if ((m >= 0 && iter >= m) || !cond) return finish_loop(c, pos, nv, ns, iter);
  if (iter >= MAX_UNROLL || (m < 0 && !op_has_in(c, 1)))
    return op_unsupported(c, "loops of more than %d iterations are not supported", MAX_UNROLL);
  int *in = xmalloc(sizeof(int) * (size_t)(2 + nv)), *out = xmalloc(sizeof(int) * (size_t)(1 + nv + ns));
  int64_t *iv = op_alloc(g, 8);
  uint8_t *cv = op_alloc(g, 1);
  *iv = iter;
  *cv = 1;
  in[0] = ir_add_const(g, "iteration", DT_I64, 0, NULL, iv);
  in[1] = op_has_in(c, 1) ? c->n->in[1] : ir_add_const(g, "cond", DT_BOOL, 0, NULL, cv);
  for (int j = 0; j < nv; j++) in[2 + j] = c->n->in[2 + j];
  const char *prefix = arena_printf(&g->arena, "%s/%lld", c->n->name, (long long)iter);
  int added = ir_inline_body(g, pos, b, prefix, in, 2 + nv, out, c->d);
  if (added >= 0) {
    IrNode *n = &g->nodes[pos + added];
    int old = n->nin;
    n->in = xrealloc(n->in, sizeof(int) * (size_t)(old + ns));
    if (n->nin > 1 && n->in[1] >= 0) n->in[1] = out[0];
    for (int j = 0; j < nv; j++) n->in[2 + j] = out[1 + j];
    for (int k = 0; k < ns; k++) n->in[old + k] = out[1 + nv + k];
    n->nin = old + ns;
    IrAttr *a = (IrAttr *)ir_attr(n, "_iter");
    if (!a) a = ir_add_attr(g, n, "_iter", AT_INT);
    a->i = iter + 1;
  }
  free(in);
  free(out);
  return added < 0 ? -1 : 1;
}

/* ---- Scan (opset 9 on): unrolled over the sequence ---- */

static int scan_ints(OpCtx *c, const char *name, int64_t *v, int n) {
  for (int i = 0; i < n; i++) v[i] = 0;
  int got = op_attr_ints(c, name, v, n);
  if (got == -2) return -1;
  if (got >= 0 && got != n) return op_invalid(c, "attribute '%s' needs %d values", name, n);
  return 0;
}

/* The unrolled scan over the values ins[0..nstate + m) (states, then scan
 * inputs) into the values outs[0..nout) (-1: unused), at pos. Returns the
 * nodes added, or -1 (reported). */
static int scan_unroll(OpCtx *c, int pos, const IrBody *b, const int *ins, int nstate, int m,
                       int ns, int64_t *in_axes, const int64_t *in_dirs, const int64_t *out_axes,
                       const int64_t *out_dirs, const char *name, const int *node_out) {
  IrGraph *g = c->g;
  int nin = nstate + m, nout = nstate + ns;
  int64_t T = -1;
  for (int i = 0; i < m; i++) {
    IrValue *x = &g->vals[ins[nstate + i]];
    int a = op_axis(c, in_axes[i], x->rank, "scan_input_axes");
    if (a < 0) return -1;
    in_axes[i] = a;
    if (T >= 0 && x->dims[a] != T) return op_invalid(c, "scan inputs differ in length");
    T = x->dims[a];
  }
  if (T < 1 || T > MAX_UNROLL) return op_unsupported(c, "a scan of %lld steps", (long long)T);
  int *outs = xmalloc(sizeof(int) * (size_t)nout), *state = xmalloc(sizeof(int) * (size_t)(nstate + 1));
  int *scan = xmalloc(sizeof(int) * (size_t)(ns * T + 1)), *args = xmalloc(sizeof(int) * (size_t)nin);
  memcpy(state, ins, sizeof(int) * (size_t)nstate);
  int added = 0, rc = 0;
  for (int64_t t = 0; t < T && !rc; t++) {
    for (int i = 0; i < m; i++) {
      int64_t *idx = op_alloc(g, 8);
      *idx = in_dirs[i] ? T - 1 - t : t;
      const char *sn = arena_printf(&g->arena, "%s/%lld/in%d", name, (long long)t, i);
      IrNode *gn = op_new_node(g, pos + added++, "Gather", sn, 2, 1);
      gn->in[0] = ins[nstate + i];
      gn->in[1] = ir_add_const(g, "index", DT_I64, 0, NULL, idx);
      gn->out[0] = ir_new_temp(g, sn);
      ir_add_attr(g, &g->nodes[pos + added - 1], "axis", AT_INT)->i = in_axes[i];
      args[nstate + i] = g->nodes[pos + added - 1].out[0];
    }
    memcpy(args, state, sizeof(int) * (size_t)nstate);
    int r = ir_inline_body(g, pos + added, b, arena_printf(&g->arena, "%s/%lld", name, (long long)t),
                           args, nin, outs, c->d);
    if (r < 0) rc = -1;
    added += r < 0 ? 0 : r;
    memcpy(state, outs, sizeof(int) * (size_t)nstate);
    for (int k = 0; k < ns; k++) scan[k * T + t] = outs[nstate + k];
  }
  for (int j = 0; !rc && j < nstate; j++)
    if (node_out[j] >= 0) op_add_identity(g, pos + added++, state[j], node_out[j]);
  for (int k = 0; !rc && k < ns; k++) {
    if (node_out[nstate + k] < 0) continue;
    int *seq = scan + k * T;
    if (out_dirs[k])
      for (int64_t t = 0; t < T / 2; t++) {
        int tmp = seq[t];
        seq[t] = seq[T - 1 - t];
        seq[T - 1 - t] = tmp;
      }
    added += op_stack(g, pos + added, seq, (int)T, out_axes[k], node_out[nstate + k]);
  }
  free(outs);
  free(state);
  free(scan);
  free(args);
  return rc ? -1 : added;
}

static int src_id(OpCtx *c, int i) { return c->n->in[1 + i]; }

/* Scan-8: inputs and states have a batch axis 0 and the sequence axis 1;
 * each batch element is scanned on its own and the results are stacked. An
 * optional first input, sequence_lens, must be absent (or all full). */
static int expand_scan8(OpCtx *c, int pos, const IrBody *b, int m) {
  IrGraph *g = c->g;
  int nin = c->n->nin - 1, nout = c->n->nout, nstate = nin - m, ns = nout - nstate, ok = 1;
  if (op_has_in(c, 0))
    return op_unsupported(c, "Scan-8 with sequence_lens is not supported; leave it out");
  int64_t dirs[16] = {0}, zeros[16] = {0};
  int got = op_attr_ints(c, "directions", dirs, 16);
  if (got == -2 || !ok) return -1;
  if (got >= 0 && got != m) return op_invalid(c, "attribute 'directions' needs %d values", m);
  for (int i = 0; i < nin; i++)
    if (g->vals[src_id(c, i)].rank < (i < nstate ? 1 : 2))
      return op_invalid(c, "input %d ('%s') needs a batch axis%s", i + 1,
                        g->vals[src_id(c, i)].name, i < nstate ? "" : " and a sequence axis");
  int64_t B = g->vals[c->n->in[1]].dims[0];
  if (B < 1 || B > MAX_UNROLL) return op_unsupported(c, "a batch of %lld", (long long)B);
  int *ins = xmalloc(sizeof(int) * (size_t)nin), *node_out = xmalloc(sizeof(int) * (size_t)nout);
  int *per = xmalloc(sizeof(int) * (size_t)(nout * B + 1)), *outs_b = xmalloc(sizeof(int) * (size_t)nout);
  int *src = xmalloc(sizeof(int) * (size_t)nin);
  memcpy(src, c->n->in + 1, sizeof(int) * (size_t)nin);
  memcpy(node_out, c->n->out, sizeof(int) * (size_t)nout);
  const char *name = c->n->name;
  int added = 0, rc = 0;
  for (int64_t bi = 0; bi < B && !rc; bi++) {
    for (int i = 0; i < nin; i++) {
      int64_t *idx = op_alloc(g, 8);
      *idx = bi;
      const char *sn = arena_printf(&g->arena, "%s/batch%lld/in%d", name, (long long)bi, i);
      IrNode *gn = op_new_node(g, pos + added++, "Gather", sn, 2, 1);
      gn->in[0] = src[i];
      gn->in[1] = ir_add_const(g, "index", DT_I64, 0, NULL, idx);
      gn->out[0] = ir_new_temp(g, sn);
      ir_add_attr(g, &g->nodes[pos + added - 1], "axis", AT_INT)->i = 0;
      ins[i] = g->nodes[pos + added - 1].out[0];
      IrValue *sv = &g->vals[src[i]]; /* its shape now: scan_unroll reads it */
      ir_set_shape(&g->vals[ins[i]], sv->dtype, sv->rank - 1, sv->dims + 1);
    }
    for (int j = 0; j < nout; j++)
      outs_b[j] = node_out[j] < 0 ? -1
                  : ir_new_temp(g, arena_printf(&g->arena, "%s/batch%lld/out%d", name,
                                                (long long)bi, j));
    int64_t axes[16] = {0};
    int r = scan_unroll(c, pos + added, b, ins, nstate, m, ns, axes, dirs, zeros, zeros,
                        arena_printf(&g->arena, "%s/batch%lld", name, (long long)bi), outs_b);
    if (r < 0) rc = -1;
    else added += r;
    for (int j = 0; j < nout; j++) per[j * B + bi] = outs_b[j];
  }
  for (int j = 0; !rc && j < nout; j++)
    if (node_out[j] >= 0) added += op_stack(g, pos + added, per + j * B, (int)B, 0, node_out[j]);
  if (!rc) g->nodes[pos + added].dead = 1;
  free(ins);
  free(node_out);
  free(per);
  free(outs_b);
  free(src);
  return rc ? -1 : 1;
}

static int expand_scan(OpCtx *c, int pos) {
  const IrBody *b = body_attr(c, "body");
  if (!b) return -1;
  int ok = 1;
  int m = (int)op_attr_int(c, "num_scan_inputs", 0, &ok), nin = c->n->nin, nout = c->n->nout;
  int opset8 = c->opset < 9, nstate = nin - opset8 - m, ns = nout - nstate;
  if (!ok || m < 1 || nstate < 0 || ns < 0 || m > 16 || ns > 16 || b->ninputs != nin - opset8 ||
      b->noutputs != nout)
    return op_invalid(c, "num_scan_inputs and the body do not fit the node");
  if (opset8) return expand_scan8(c, pos, b, m);
  int64_t in_axes[16], in_dirs[16], out_axes[16], out_dirs[16];
  if (scan_ints(c, "scan_input_axes", in_axes, m) || scan_ints(c, "scan_input_directions", in_dirs, m) ||
      scan_ints(c, "scan_output_axes", out_axes, ns) ||
      scan_ints(c, "scan_output_directions", out_dirs, ns))
    return -1;
  int *ins = xmalloc(sizeof(int) * (size_t)nin), *node_out = xmalloc(sizeof(int) * (size_t)nout);
  memcpy(ins, c->n->in, sizeof(int) * (size_t)nin);
  memcpy(node_out, c->n->out, sizeof(int) * (size_t)nout);
  int added = scan_unroll(c, pos, b, ins, nstate, m, ns, in_axes, in_dirs, out_axes, out_dirs,
                          c->n->name, node_out);
  if (added >= 0) c->g->nodes[pos + added].dead = 1;
  free(ins);
  free(node_out);
  return added < 0 ? -1 : 1;
}

#define CONTROL(NAME, SINCE, MIN, MAX, NOUT, EXPAND)                                   \
  {NAME, "", SINCE, MIN, MAX, 0, NOUT, OPL_KERNEL, OPF_ANY_TYPE, infer_never, NULL, NULL, \
   EXPAND}

const OpDef OPS_CONTROL[] = {
    CONTROL("If", 1, 1, 1, 1 << 20, expand_if),
    CONTROL("Loop", 1, 2, 1 << 20, 1 << 20, expand_loop),
    CONTROL("Scan", 8, 1, 1 << 20, 1 << 20, expand_scan),
    {NULL},
};
