/* fuse_gelu.c - the exact Gelu that exporters write out op by op,
 *
 *   y = x * 0.5 * (1 + Erf(x / sqrt(2)))
 *
 * (Div by sqrt 2 or Mul by 1/sqrt 2; the 0.5 on x, on the product or on
 * the sum; operands in either order), becomes one Gelu node, which fuse-act
 * can then move into the MatMul or Gemm before it. Float32 only. */
#include <math.h>
#include <string.h>

#include "../ops/op.h"
#include "pass.h"

static int is_op(const IrNode *n, const char *name) {
  return n && !n->dead && n->op && strcmp(n->op->name, name) == 0;
}

static IrNode *producer(IrGraph *g, int v) {
  return v >= 0 && g->vals[v].producer >= 0 ? &g->nodes[g->vals[v].producer] : NULL;
}

static IrNode *sole_consumer(IrGraph *g, int v) {
  int c = pass_sole_consumer(g, v);
  return c >= 0 ? &g->nodes[c] : NULL;
}

static int near(float v, double want) { return fabs((double)v - want) <= 1e-4 * fabs(want); }

/* Binary node n has value v on one side and a float32 constant scalar near
 * want on the other. */
static int with_const(IrGraph *g, const IrNode *n, int v, double want) {
  float c;
  if (n->nin != 2) return 0;
  if (n->in[0] == v) return pass_const_f32(g, n, 1, &c) && near(c, want);
  if (n->in[1] == v && strcmp(n->op->name, "Div") != 0)
    return pass_const_f32(g, n, 0, &c) && near(c, want);
  return 0;
}

/* The other operand of binary node n than v, or -1. */
static int other(const IrNode *n, int v) {
  if (n->nin != 2) return -1;
  return n->in[0] == v ? n->in[1] : n->in[1] == v ? n->in[0] : -1;
}

/* Matches the pattern around Erf node e; on success turns the last node into
 * Gelu(x), marks the rest dead and returns 1. */
static int fuse_at(IrGraph *g, IrNode *e) {
  IrNode *scale = producer(g, e->in[0]), *add, *m, *last, *dead[5];
  int x, nd = 0;
  if (!scale || g->vals[e->in[0]].nuses != 1) return 0;
  if (is_op(scale, "Div")) {
    x = scale->in[0];
    if (!with_const(g, scale, x, M_SQRT2)) return 0;
  } else if (is_op(scale, "Mul")) {
    x = with_const(g, scale, scale->in[0], M_SQRT1_2) ? scale->in[0] : scale->in[1];
    if (!with_const(g, scale, x, M_SQRT1_2)) return 0;
  } else {
    return 0;
  }
  const IrValue *xv = &g->vals[x];
  if (xv->dtype != DT_F32) return 0;
  dead[nd++] = scale;
  dead[nd++] = e;
  add = sole_consumer(g, e->out[0]);
  if (!is_op(add, "Add") || !with_const(g, add, e->out[0], 1.0)) return 0;
  dead[nd++] = add;
  /* the 0.5: on the sum (a Mul of it by 0.5 comes first), on x, or last */
  m = sole_consumer(g, add->out[0]);
  if (is_op(m, "Mul") && with_const(g, m, add->out[0], 0.5)) {
    dead[nd++] = m;
    m = sole_consumer(g, m->out[0]);
    if (!is_op(m, "Mul") || other(m, dead[nd - 1]->out[0]) != x) return 0;
    last = m;
  } else if (is_op(m, "Mul") && other(m, add->out[0]) == x) {
    last = sole_consumer(g, m->out[0]);
    if (!is_op(last, "Mul") || !with_const(g, last, m->out[0], 0.5)) return 0;
    dead[nd++] = m;
  } else if (is_op(m, "Mul")) {
    IrNode *half = producer(g, other(m, add->out[0]));
    if (!is_op(half, "Mul") || g->vals[half->out[0]].nuses != 1 ||
        !with_const(g, half, x, 0.5))
      return 0;
    dead[nd++] = half;
    last = m;
  } else {
    return 0;
  }
  if (!ir_same_shape(&g->vals[last->out[0]], xv)) return 0;
  for (int i = 0; i < nd; i++) dead[i]->dead = 1;
  last->op = op_find("", "Gelu"); /* approximate "none" */
  last->op_type = "Gelu";
  last->in[0] = x;
  last->nin = 1;
  last->nattr = 0;
  return 1;
}

int pass_fuse_gelu(IrGraph *g, const Options *o, StrBuf *log, Diag *d) {
  int fused = 0;
  (void)o;
  (void)d;
  for (int i = 0; i < g->nnodes; i++)
    if (is_op(&g->nodes[i], "Erf") && g->nodes[i].nin == 1) fused += fuse_at(g, &g->nodes[i]);
  sb_printf(log, "fused %d Gelu%s", fused, fused == 1 ? "" : "s");
  return fused;
}
