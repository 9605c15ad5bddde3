/* preview.c - ops of domain ai.onnx.preview: FlexAttention (version 1).
 *
 * FlexAttention expands, before inference reaches it, into the ops of its
 * ONNX function body, with its score_mod and prob_mod subgraphs inlined:
 *
 *   K', V' = K, V with each K/V head repeated for its group of query heads
 *            (Gather on axis 1; only when q_num_heads != kv_num_heads)
 *   c      = sqrt(scale) in float32, as Q's type (scale: 1/sqrt(head_size)
 *            by default)
 *   S      = Cast(MatMul(Q c, Transpose(K' c)), softmax precision)
 *   P      = Softmax(score_mod(S), axis 3)
 *   Y      = Cast(MatMul(prob_mod(P), Cast(V', softmax precision)), Q's type)
 *
 * (the Casts only where the softmax precision is not Q's type). After each
 * inlined subgraph a check node (a view) makes sure it kept its input's
 * shape and type. */
#include <math.h>
#include <string.h>

#include "../inline.h"
#include "half.h"
#include "op.h"

/* Expanding adds default-domain ops in their opset 7+ forms (Mul, Cast with an
 * int "to"). */
#define FLEX_MIN_OPSET 7

/* ---- the check after a modifier subgraph ----
 * Attributes: "what" (score_mod or prob_mod), "dtype" and "shape" (what it
 * must give). */

static int infer_flex_check(OpCtx *c) {
  const IrAttr *what = ir_attr(c->n, "what"), *dt = ir_attr(c->n, "dtype");
  const IrAttr *shape = ir_attr(c->n, "shape");
  IrValue *y = op_in(c, 0);
  int same = y->dtype == (DType)dt->i && y->rank == shape->n;
  for (int i = 0; same && i < y->rank; i++) same = y->dims[i] == shape->ints[i];
  if (!same) {
    IrValue want = *y;
    ir_set_shape(&want, (DType)dt->i, shape->n, shape->ints);
    char b1[128], b2[128];
    return op_invalid(c, "%s gives %s %s ('%s'); it must keep its input's type and shape, %s %s",
                      what->s, dtype_name(y->dtype), ir_shape_str(y, b1, sizeof b1), y->name,
                      dtype_name(want.dtype), ir_shape_str(&want, b2, sizeof b2));
  }
  op_same_as(c, 0, 0);
  return 0;
}

static const OpDef OP_FLEX_CHECK = {
    "FlexAttention", "ai.onnx.preview", 1, 1, 1, 1, 1, OPL_VIEW, OPF_ANY_TYPE, infer_flex_check};

/* ---- FlexAttention ---- */

/* What the expansion needs, checked. */
typedef struct Flex {
  DType t, sp;                 /* Q's type, the softmax precision */
  int64_t b, hq, hkv, l, s, e; /* batch, heads, lengths, head size */
  float sqrt_scale;
  const IrBody *mod[2]; /* score_mod, prob_mod (NULL: none) */
} Flex;

static const char *const MOD_NAME[2] = {"score_mod", "prob_mod"};

static int flex_shapes(OpCtx *c, Flex *f) {
  static const DType T[] = {DT_F32, DT_F64, DT_F16, DT_BF16, DT_UNDEF};
  IrValue *q = op_in(c, 0), *k = op_in(c, 1), *v = op_in(c, 2);
  for (int i = 0; i < 3; i++)
    if (op_check_type(c, i, T)) return -1;
  if (k->dtype != q->dtype || v->dtype != q->dtype)
    return op_invalid(c, "Q, K and V must have one type, got %s, %s and %s", dtype_name(q->dtype),
                      dtype_name(k->dtype), dtype_name(v->dtype));
  if (q->rank != 4 || k->rank != 4 || v->rank != 4)
    return op_invalid(c,
                      "Q '%s', K '%s' and V '%s' must be rank-4 (batch, heads, sequence, "
                      "head size), got rank %d, %d and %d",
                      q->name, k->name, v->name, q->rank, k->rank, v->rank);
  f->t = q->dtype;
  f->b = q->dims[0], f->hq = q->dims[1], f->l = q->dims[2], f->e = q->dims[3];
  f->hkv = k->dims[1], f->s = k->dims[2];
  char b1[128], b2[128], b3[128];
  if (k->dims[0] != f->b || v->dims[0] != f->b || v->dims[1] != f->hkv || v->dims[2] != f->s ||
      k->dims[3] != f->e)
    return op_invalid(c,
                      "shapes Q %s, K %s and V %s do not fit: K must be [%lld, kv_heads, "
                      "kv_len, %lld] and V [%lld, kv_heads, kv_len, v_head_size]",
                      ir_shape_str(q, b1, sizeof b1), ir_shape_str(k, b2, sizeof b2),
                      ir_shape_str(v, b3, sizeof b3), (long long)f->b, (long long)f->e,
                      (long long)f->b);
  if (f->hkv < 1 || f->hq % f->hkv != 0)
    return op_invalid(c,
                      "Q has %lld heads, K and V %lld: q_num_heads must be a multiple of "
                      "kv_num_heads",
                      (long long)f->hq, (long long)f->hkv);
  return 0;
}

/* Whether every name body b reads is defined: by the body (in order) or
 * the scopes around it. Checked before the expansion inserts anything, so
 * inlining cannot fail halfway. */
static int flex_names(OpCtx *c, const IrBody *b, const char *what) {
  StrMap seen;
  smap_init(&seen);
  const char *bad = NULL;
  for (int i = 0; i < b->ninputs; i++) smap_put(&seen, b->inputs[i].name, 1);
  for (int i = 0; i < b->ninits; i++) smap_put(&seen, b->init_names[i], 1);
  for (int i = 0; i < b->nnodes && !bad; i++) {
    const IrBodyNode *bn = &b->nodes[i];
    for (int j = 0; j < bn->nin && !bad; j++) {
      const char *nm = bn->in[j];
      if (nm[0] && !smap_get(&seen, nm, 0) &&
          !(b->captures && smap_get(b->captures, nm, -1) >= 0) && ir_find_value(c->g, nm) < 0)
        bad = nm;
    }
    for (int j = 0; j < bn->nout; j++)
      if (bn->out[j][0]) smap_put(&seen, bn->out[j], 1);
  }
  const char *out = b->outputs[0];
  if (!bad && !smap_get(&seen, out, 0) && ir_find_value(c->g, out) < 0) bad = out;
  smap_free(&seen);
  if (bad) return op_invalid(c, "%s reads '%s', which is not defined", what, bad);
  return 0;
}

/* A modifier subgraph attribute: one input (if typed: the softmax precision,
 * rank 4) and one output. */
static int flex_mod(OpCtx *c, Flex *f, int which) {
  const IrAttr *a = ir_attr(c->n, MOD_NAME[which]);
  f->mod[which] = NULL;
  if (!a) return 0;
  if (a->type != AT_GRAPH) return op_invalid(c, "attribute '%s' must be a graph", MOD_NAME[which]);
  const IrBody *b = a->bodies[0];
  if (b->ninputs != 1 || b->noutputs != 1)
    return op_invalid(c, "%s has %d inputs and %d outputs; it must have 1 and 1", MOD_NAME[which],
                      b->ninputs, b->noutputs);
  const IrBodyValue *in = &b->inputs[0];
  if (in->dtype != DT_UNDEF && in->dtype != f->sp)
    return op_invalid(c, "%s's input '%s' is %s; it receives %s (the softmax precision)",
                      MOD_NAME[which], in->name, dtype_name(in->dtype), dtype_name(f->sp));
  if (in->rank >= 0 && in->rank != 4)
    return op_invalid(c, "%s's input '%s' has rank %d; it receives a rank-4 tensor",
                      MOD_NAME[which], in->name, in->rank);
  if (flex_names(c, b, MOD_NAME[which])) return -1;
  f->mod[which] = b;
  return 0;
}

static int flex_attrs(OpCtx *c, Flex *f) {
  int ok = 1;
  float scale = op_attr_float(c, "scale", 0.0f, &ok);
  int64_t sp = op_attr_int(c, "softmax_precision", f->t == DT_F64 ? DT_F64 : DT_F32, &ok);
  if (!ok) return -1;
  if (!ir_attr(c->n, "scale")) scale = 1.0f / sqrtf((float)f->e);
  f->sqrt_scale = sqrtf(scale);
  if (sp != DT_F32 && sp != DT_F64 && sp != DT_F16 && sp != DT_BF16)
    return op_invalid(c,
                      "softmax_precision %lld is not a float type (1 float, 10 float16, 11 "
                      "double, 16 bfloat16)",
                      (long long)sp);
  f->sp = (DType)sp;
  if (flex_mod(c, f, 0) || flex_mod(c, f, 1)) return -1;
  if (c->g->opset < FLEX_MIN_OPSET)
    return op_unsupported(c,
                          "FlexAttention is compiled into default-domain ops (MatMul, "
                          "Softmax, ...) of opset %d or later; the model imports opset %d",
                          FLEX_MIN_OPSET, c->g->opset);
  return 0;
}

/* Builds the nodes at *pos, one after the other. */
typedef struct FlexBuild {
  IrGraph *g;
  int pos, added;
  const char *name; /* the FlexAttention node's */
} FlexBuild;

/* out = op(ins...) with a new output value named after the node; returns
 * the node (valid until the next insertion). */
static IrNode *fb_node(FlexBuild *fb, const char *op, const char *what, const int *ins, int nin,
                       int out) {
  IrGraph *g = fb->g;
  const char *nm = arena_printf(&g->arena, "%s/%s", fb->name, what);
  if (out < 0) out = ir_new_temp(g, nm);
  IrNode *n = op_new_node(g, fb->pos + fb->added++, op, nm, nin, 1);
  for (int i = 0; i < nin; i++) n->in[i] = ins[i];
  n->out[0] = out;
  return n;
}

static int fb_cast(FlexBuild *fb, int in, DType to, const char *what, int out) {
  IrNode *n = fb_node(fb, "Cast", what, &in, 1, out);
  int y = n->out[0];
  ir_add_attr(fb->g, n, "to", AT_INT)->i = to;
  return y;
}

/* A scalar constant v of type t. */
static int fb_scalar(FlexBuild *fb, float v, DType t) {
  void *d = op_alloc(fb->g, 8);
  RtConvert cv = {1, DT_F32, t, 0, 0};
  rt_convert(&cv, &v, d);
  return ir_add_const(fb->g, arena_printf(&fb->g->arena, "%s/sqrt_scale", fb->name), t, 0, NULL, d);
}

/* K or V with each head repeated for its group of query heads. */
static int fb_repeat(FlexBuild *fb, const Flex *f, int in, const char *what) {
  if (f->hq == f->hkv) return in;
  int64_t *idx = op_alloc(fb->g, (size_t)f->hq * sizeof(int64_t)), n = f->hq;
  for (int64_t h = 0; h < f->hq; h++) idx[h] = h / (f->hq / f->hkv);
  int ins[2] = {in, ir_add_const(fb->g, arena_printf(&fb->g->arena, "%s/heads", fb->name), DT_I64,
                                 1, &n, idx)};
  IrNode *g = fb_node(fb, "Gather", what, ins, 2, -1);
  int y = g->out[0];
  ir_add_attr(fb->g, g, "axis", AT_INT)->i = 1;
  return y;
}

/* The subgraph mod inlined on in, then the check; returns the result. */
static int fb_mod(FlexBuild *fb, OpCtx *c, const Flex *f, int which, int in) {
  const IrBody *b = f->mod[which];
  if (!b) return in;
  IrGraph *g = fb->g;
  int out = -1;
  const char *prefix = arena_printf(&g->arena, "%s/%s", fb->name, MOD_NAME[which]);
  int r = ir_inline_body(g, fb->pos + fb->added, b, prefix, &in, 1, &out, c->d);
  if (r < 0) return -1;
  fb->added += r;
  IrNode *n = ir_insert_node(g, fb->pos + fb->added++, "FlexAttention", prefix, 1, 1);
  n->op = &OP_FLEX_CHECK;
  n->domain = "ai.onnx.preview";
  n->in[0] = out;
  n->out[0] = ir_new_temp(g, prefix);
  int y = n->out[0];
  ir_add_attr(g, n, "what", AT_STRING)->s = MOD_NAME[which];
  ir_add_attr(g, n, "dtype", AT_INT)->i = f->sp;
  IrAttr *sh = ir_add_attr(g, n, "shape", AT_INTS);
  int64_t *dims = op_alloc(g, 4 * sizeof(int64_t));
  dims[0] = f->b, dims[1] = f->hq, dims[2] = f->l, dims[3] = f->s;
  sh->n = 4;
  sh->ints = dims;
  return y;
}

static int fb_body(FlexBuild *fb, OpCtx *c, const Flex *f, int q, int k, int v, int y) {
  IrGraph *g = fb->g;
  int ka = fb_repeat(fb, f, k, "KAligned"), va = fb_repeat(fb, f, v, "VAligned");
  int sc = fb_scalar(fb, f->sqrt_scale, f->t);
  int qs = fb_node(fb, "Mul", "QScaled", (int[]){q, sc}, 2, -1)->out[0];
  int ks = fb_node(fb, "Mul", "KScaled", (int[]){ka, sc}, 2, -1)->out[0];
  IrNode *tr = fb_node(fb, "Transpose", "KTranspose", &ks, 1, -1);
  int kt = tr->out[0];
  IrAttr *perm = ir_add_attr(g, tr, "perm", AT_INTS);
  int64_t *pv = op_alloc(g, 4 * sizeof(int64_t));
  pv[0] = 0, pv[1] = 1, pv[2] = 3, pv[3] = 2;
  perm->n = 4;
  perm->ints = pv;
  int s = fb_node(fb, "MatMul", "Score", (int[]){qs, kt}, 2, -1)->out[0];
  if (f->sp != f->t) s = fb_cast(fb, s, f->sp, "SoftmaxCast", -1);
  s = fb_mod(fb, c, f, 0, s);
  if (s < 0) return -1;
  IrNode *sm = fb_node(fb, "Softmax", "Prob", &s, 1, -1);
  int p = sm->out[0];
  ir_add_attr(g, sm, "axis", AT_INT)->i = 3;
  p = fb_mod(fb, c, f, 1, p);
  if (p < 0) return -1;
  if (f->sp == f->t) {
    fb_node(fb, "MatMul", "Y", (int[]){p, va}, 2, y);
    return 0;
  }
  int vc = fb_cast(fb, va, f->sp, "VSp", -1);
  int ysp = fb_node(fb, "MatMul", "YSp", (int[]){p, vc}, 2, -1)->out[0];
  fb_cast(fb, ysp, f->t, "Y", y);
  return 0;
}

static int expand_flex(OpCtx *c, int pos) {
  Flex f;
  memset(&f, 0, sizeof f);
  if (flex_shapes(c, &f) || flex_attrs(c, &f)) return -1;
  int q = c->n->in[0], k = c->n->in[1], v = c->n->in[2], y = c->n->out[0];
  FlexBuild fb = {c->g, pos, 0, c->n->name};
  if (fb_body(&fb, c, &f, q, k, v, y)) return -1;
  c->g->nodes[pos + fb.added].dead = 1;
  return 1;
}

static int infer_never(OpCtx *c) { BUG("%s should have been expanded", c->n->op_type); }

const OpDef OPS_PREVIEW[] = {
    {"FlexAttention", "ai.onnx.preview", 1, 3, 3, 1, 1, OPL_KERNEL, 0, infer_never, NULL, NULL,
     expand_flex},
    {NULL},
};
