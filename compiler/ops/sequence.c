/* sequence.c - the sequence and optional ops, resolved at compile time.
 *
 * A sequence is the list of its tensors (IrValue.kind VK_SEQ, elems), so
 * its length and every position must be known when the graph is built; an
 * optional with an element is that element, an empty one is VK_NONE. Each
 * op rewrites the graph before inference reaches it (expand): list
 * operations only change the list, SequenceAt and OptionalGetElement become
 * an Identity of the element, ConcatFromSequence a Concat, SplitToSequence a
 * Split, SequenceLength and OptionalHasElement constants, and SequenceMap
 * its body inlined once per position. Graph inputs and outputs that are
 * sequences are passed as their elements, "NAME[i]" (bind.c, infer.c). */
#include <string.h>

#include "../inline.h"
#include "op.h"

static int infer_never(OpCtx *c) { BUG("%s should have been expanded", c->n->op_type); }

static IrValue *seq_in(OpCtx *c, int i) {
  IrValue *s = op_in(c, i);
  if (s && s->kind != VK_SEQ) {
    op_invalid(c, "input %d ('%s') must be a sequence", i, s->name);
    return NULL;
  }
  return s;
}

/* Output i becomes the sequence elems[0..n) of element type t. */
static void set_seq(OpCtx *c, int i, const int *elems, int n, DType t) {
  IrGraph *g = c->g;
  int *copy = arena_alloc(&g->arena, sizeof(int) * (size_t)(n + 1));
  if (n) memcpy(copy, elems, sizeof(int) * (size_t)n);
  IrValue *y = op_out(c, i);
  y->kind = VK_SEQ;
  y->elems = copy;
  y->nelems = n;
  y->dtype = t;
  y->rank = 0;
}

/* Marks node pos + added dead; the expand result. */
static int done(OpCtx *c, int pos, int added) {
  c->g->nodes[pos + added].dead = 1;
  return 1;
}

/* The position input i (absent: dflt), normalized for a sequence of n
 * elements where positions [-n, n + extra) are valid. */
static int seq_pos(OpCtx *c, int i, int64_t dflt, int n, int extra, int64_t *pos) {
  *pos = dflt;
  if (op_has_in(c, i)) {
    int64_t v[1];
    int got = op_const_ints(c, i, v, 1);
    if (got == -2) return -1;
    if (got != 1) return op_invalid(c, "position '%s' must be a scalar", op_in(c, i)->name);
    *pos = v[0];
  }
  if (*pos < -n || *pos >= n + extra)
    return op_invalid(c, "position %lld is outside a sequence of %d", (long long)*pos, n);
  if (*pos < 0) *pos += n;
  return 0;
}

static DType dtype_attr(OpCtx *c, DType dflt) {
  int ok = 1;
  int64_t t = op_attr_int(c, "dtype", dflt, &ok);
  return ok ? (DType)t : DT_UNDEF;
}

static int expand_construct(OpCtx *c, int pos) {
  IrNode *n = c->n;
  for (int i = 1; i < n->nin; i++)
    if (op_in(c, i)->dtype != op_in(c, 0)->dtype)
      return op_invalid(c, "the tensors of a sequence must have one type, '%s' is %s and '%s' %s",
                        op_in(c, 0)->name, dtype_name(op_in(c, 0)->dtype), op_in(c, i)->name,
                        dtype_name(op_in(c, i)->dtype));
  set_seq(c, 0, n->in, n->nin, op_in(c, 0)->dtype);
  return done(c, pos, 0);
}

static int expand_empty(OpCtx *c, int pos) {
  DType t = dtype_attr(c, DT_F32);
  if (t == DT_UNDEF) return -1;
  set_seq(c, 0, NULL, 0, t);
  return done(c, pos, 0);
}

static int expand_insert(OpCtx *c, int pos) {
  IrValue *s = seq_in(c, 0);
  if (!s) return -1;
  int n = s->nelems, *e = s->elems;
  int64_t at;
  if (seq_pos(c, 2, n, n, 1, &at)) return -1;
  DType et = n ? c->g->vals[e[0]].dtype : s->dtype;
  if ((n || et != DT_UNDEF) && op_in(c, 1)->dtype != et)
    return op_invalid(c, "inserting %s into a sequence of %s", dtype_name(op_in(c, 1)->dtype),
                      dtype_name(et));
  int *v = xmalloc(sizeof(int) * (size_t)(n + 1));
  memcpy(v, e, sizeof(int) * (size_t)at);
  v[at] = c->n->in[1];
  memcpy(v + at + 1, e + at, sizeof(int) * (size_t)(n - at));
  set_seq(c, 0, v, n + 1, op_in(c, 1)->dtype);
  free(v);
  return done(c, pos, 0);
}

static int expand_erase(OpCtx *c, int pos) {
  IrValue *s = seq_in(c, 0);
  if (!s) return -1;
  int n = s->nelems;
  if (!n) return op_invalid(c, "erasing from an empty sequence");
  int64_t at;
  if (seq_pos(c, 1, n - 1, n, 0, &at)) return -1;
  int *v = xmalloc(sizeof(int) * (size_t)n);
  memcpy(v, s->elems, sizeof(int) * (size_t)at);
  memcpy(v + at, s->elems + at + 1, sizeof(int) * (size_t)(n - at - 1));
  set_seq(c, 0, v, n - 1, s->dtype);
  free(v);
  return done(c, pos, 0);
}

static int expand_at(OpCtx *c, int pos) {
  IrValue *s = seq_in(c, 0);
  int64_t at;
  if (!s || seq_pos(c, 1, 0, s->nelems, 0, &at)) return -1;
  op_add_identity(c->g, pos, s->elems[at], c->n->out[0]);
  return done(c, pos, 1);
}

/* out = a new int64 or bool scalar constant, through an Identity. */
static int const_out(OpCtx *c, int pos, DType t, int64_t v) {
  IrGraph *g = c->g;
  void *p = op_alloc(g, 8);
  if (t == DT_BOOL) *(uint8_t *)p = (uint8_t)v;
  else *(int64_t *)p = v;
  op_add_identity(g, pos, ir_add_const(g, c->n->name, t, 0, NULL, p), c->n->out[0]);
  return done(c, pos, 1);
}

static int expand_length(OpCtx *c, int pos) {
  IrValue *s = seq_in(c, 0);
  return s ? const_out(c, pos, DT_I64, s->nelems) : -1;
}

static int expand_concat(OpCtx *c, int pos) {
  IrValue *s = seq_in(c, 0);
  int ok = 1;
  int64_t axis = op_attr_int(c, "axis", 0, &ok), new_axis = op_attr_int(c, "new_axis", 0, &ok);
  if (!s || !ok) return -1;
  if (!ir_attr(c->n, "axis")) return op_invalid(c, "attribute 'axis' is required");
  if (!s->nelems) return op_unsupported(c, "ConcatFromSequence of an empty sequence");
  IrGraph *g = c->g;
  int n = s->nelems, *e = xmalloc(sizeof(int) * (size_t)n), out = c->n->out[0];
  memcpy(e, s->elems, sizeof(int) * (size_t)n);
  int added;
  if (new_axis) {
    int rank = g->vals[e[0]].rank;
    if (axis < -(rank + 1) || axis > rank) {
      free(e);
      return op_invalid(c, "axis %lld is outside [-%d, %d]", (long long)axis, rank + 1, rank);
    }
    if (axis < 0) axis += rank + 1;
    added = op_stack(g, pos, e, n, axis, out);
  } else {
    IrNode *cat = op_new_node(g, pos, "Concat", c->n->name, n, 1);
    memcpy(cat->in, e, sizeof(int) * (size_t)n);
    cat->out[0] = out;
    ir_add_attr(g, cat, "axis", AT_INT)->i = axis;
    added = 1;
  }
  free(e);
  return done(c, pos, added);
}

static int expand_split(OpCtx *c, int pos) {
  IrGraph *g = c->g;
  IrValue *x = op_in(c, 0);
  DType xt = x->dtype;
  int ok = 1;
  int64_t axis = op_attr_int(c, "axis", 0, &ok), keepdims = op_attr_int(c, "keepdims", 1, &ok);
  if (!ok) return -1;
  int a = op_axis(c, axis, x->rank, "axis");
  if (a < 0) return -1;
  int64_t len = x->dims[a], sizes[4096];
  int n = 0, squeeze = 0;
  if (op_has_in(c, 1)) {
    IrValue *sp = op_in(c, 1);
    int got = op_const_ints(c, 1, sizes, 4096);
    if (got < 0) return -1;
    if (sp->rank == 0) { /* chunks of that size, the last one shorter */
      int64_t k = sizes[0];
      if (k <= 0) return op_invalid(c, "split must be positive, got %lld", (long long)k);
      for (int64_t at = 0; at < len && n < 4096; at += k) sizes[n++] = at + k <= len ? k : len - at;
    } else {
      int64_t sum = 0;
      n = got;
      for (int i = 0; i < n; i++) sum += sizes[i];
      if (sum != len)
        return op_invalid(c, "split sizes add up to %lld, dimension %d is %lld", (long long)sum,
                          a, (long long)len);
    }
  } else {
    if (len > 4096) return op_unsupported(c, "a sequence of %lld tensors", (long long)len);
    for (n = 0; n < len; n++) sizes[n] = 1;
    squeeze = !keepdims;
  }
  int *elems = xmalloc(sizeof(int) * (size_t)(n + 1)), added = 0, in = c->n->in[0];
  const char *name = c->n->name;
  if (n) {
    int64_t *sv = op_alloc(g, sizeof(int64_t) * (size_t)n), dims = n;
    memcpy(sv, sizes, sizeof(int64_t) * (size_t)n);
    IrNode *sp = op_new_node(g, pos + added++, "Split", name, g->opset >= 13 ? 2 : 1, n);
    sp->in[0] = in;
    if (g->opset >= 13) sp->in[1] = ir_add_const(g, "split", DT_I64, 1, &dims, sv);
    for (int i = 0; i < n; i++) {
      int t = ir_new_temp(g, arena_printf(&g->arena, "%s[%d]", name, i));
      g->nodes[pos].out[i] = t;
      elems[i] = t;
    }
    IrNode *spn = &g->nodes[pos];
    ir_add_attr(g, spn, "axis", AT_INT)->i = a;
    if (g->opset < 13) {
      IrAttr *at = ir_add_attr(g, spn, "split", AT_INTS);
      at->n = n;
      at->ints = sv;
    }
  }
  for (int i = 0; squeeze && i < n; i++) {
    int t = ir_new_temp(g, arena_printf(&g->arena, "%s[%d]/squeezed", name, i));
    int withinput = g->opset >= 13;
    IrNode *sq = op_new_node(g, pos + added++, "Squeeze", name, withinput ? 2 : 1, 1);
    sq->in[0] = elems[i];
    sq->out[0] = t;
    int64_t *ax = op_alloc(g, 8), one = 1;
    *ax = a;
    if (withinput) {
      g->nodes[pos + added - 1].in[1] = ir_add_const(g, "axes", DT_I64, 1, &one, ax);
    } else {
      IrAttr *at = ir_add_attr(g, &g->nodes[pos + added - 1], "axes", AT_INTS);
      at->n = 1;
      at->ints = ax;
    }
    elems[i] = t;
  }
  c->n = &g->nodes[pos + added];
  set_seq(c, 0, elems, n, xt);
  free(elems);
  return done(c, pos, added);
}

/* SequenceMap: the body once per position; sequence inputs give their
 * element at that position, tensor inputs themselves. */
static int expand_map(OpCtx *c, int pos) {
  const IrAttr *ba = ir_attr(c->n, "body");
  if (!ba || ba->type != AT_GRAPH) return op_invalid(c, "attribute 'body' (a graph) is required");
  const IrBody *b = ba->bodies[0];
  IrGraph *g = c->g;
  IrValue *s0 = seq_in(c, 0);
  if (!s0) return -1;
  int nin = c->n->nin, nout = c->n->nout, len = s0->nelems;
  if (b->ninputs != nin || b->noutputs != nout)
    return op_invalid(c, "the body's %d inputs and %d outputs do not fit the node's", b->ninputs,
                      b->noutputs);
  for (int i = 1; i < nin; i++) {
    IrValue *v = op_in(c, i);
    if (v->kind == VK_SEQ && v->nelems != len)
      return op_invalid(c, "sequences of %d and %d elements", len, v->nelems);
  }
  int *ins = xmalloc(sizeof(int) * (size_t)nin), *node_in = xmalloc(sizeof(int) * (size_t)nin);
  int *node_out = xmalloc(sizeof(int) * (size_t)nout);
  int *outs = xmalloc(sizeof(int) * (size_t)nout), *res = xmalloc(sizeof(int) * (size_t)(nout * len + 1));
  memcpy(node_in, c->n->in, sizeof(int) * (size_t)nin);
  memcpy(node_out, c->n->out, sizeof(int) * (size_t)nout);
  const char *name = c->n->name;
  int added = 0, rc = 0;
  for (int t = 0; t < len && !rc; t++) {
    for (int i = 0; i < nin; i++) {
      const IrValue *v = &g->vals[node_in[i]];
      ins[i] = v->kind == VK_SEQ ? v->elems[t] : node_in[i];
    }
    int r = ir_inline_body(g, pos + added, b, arena_printf(&g->arena, "%s/%d", name, t), ins,
                           nin, outs, c->d);
    if (r < 0) rc = -1;
    else added += r;
    for (int j = 0; j < nout; j++) res[j * len + t] = outs[j];
  }
  if (!rc) {
    /* the outputs are lists of values the inlined nodes produce: an
     * Identity per element gives each a name of the node's output */
    OpCtx cc = *c;
    cc.n = &g->nodes[pos + added];
    for (int j = 0; j < nout; j++)
      if (node_out[j] >= 0) set_seq(&cc, j, res + j * len, len, DT_UNDEF); /* types: the elements' */
    done(&cc, pos, added);
  }
  free(ins);
  free(node_in);
  free(node_out);
  free(outs);
  free(res);
  return rc ? -1 : 1;
}

/* ---- optionals ---- */

static int expand_optional(OpCtx *c, int pos) {
  if (op_has_in(c, 0)) {
    op_add_identity(c->g, pos, c->n->in[0], c->n->out[0]);
    return done(c, pos, 1);
  }
  IrValue *y = op_out(c, 0);
  y->kind = VK_NONE;
  y->rank = 0;
  return done(c, pos, 0);
}

static int expand_has_element(OpCtx *c, int pos) {
  IrValue *x = op_in(c, 0);
  return const_out(c, pos, DT_BOOL, x && x->kind != VK_NONE);
}

static int expand_get_element(OpCtx *c, int pos) {
  IrValue *x = op_in(c, 0);
  if (x->kind == VK_NONE)
    return op_invalid(c, "OptionalGetElement of the empty optional '%s'", x->name);
  op_add_identity(c->g, pos, c->n->in[0], c->n->out[0]);
  return done(c, pos, 1);
}

#define SEQ_OP(NAME, SINCE, MIN, MAX, NOUT, EXPAND)                                          \
  {NAME, "", SINCE, MIN, MAX, 1, NOUT, OPL_KERNEL, OPF_ANY_TYPE, infer_never, NULL, NULL, \
   EXPAND}

const OpDef OPS_SEQUENCE[] = {
    SEQ_OP("SequenceConstruct", 11, 1, 1 << 20, 1, expand_construct),
    SEQ_OP("SequenceEmpty", 11, 0, 0, 1, expand_empty),
    SEQ_OP("SequenceInsert", 11, 2, 3, 1, expand_insert),
    SEQ_OP("SequenceErase", 11, 1, 2, 1, expand_erase),
    SEQ_OP("SequenceAt", 11, 2, 2, 1, expand_at),
    SEQ_OP("SequenceLength", 11, 1, 1, 1, expand_length),
    SEQ_OP("ConcatFromSequence", 11, 1, 1, 1, expand_concat),
    SEQ_OP("SplitToSequence", 11, 1, 2, 1, expand_split),
    SEQ_OP("SequenceMap", 17, 1, 1 << 20, 1 << 20, expand_map),
    SEQ_OP("Optional", 15, 0, 1, 1, expand_optional),
    SEQ_OP("OptionalHasElement", 15, 0, 1, 1, expand_has_element),
    SEQ_OP("OptionalGetElement", 15, 1, 1, 1, expand_get_element),
    {NULL},
};
