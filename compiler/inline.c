/* inline.c - turns a subgraph (IrBody) into nodes of the graph.
 *
 * Control flow is compiled by inlining: If becomes its taken branch (or
 * both, and a select), Loop and Scan become their bodies once per
 * iteration (ops/control.c). A body's names resolve, in order, to its own
 * inputs, initializers and node outputs, then to the scope it was captured in
 * (for bodies nested in an inlined body), then to the graph's values. */
#include <string.h>

#include "inline.h"
#include "ops/op.h"

typedef struct Scope {
  StrMap local;          /* body name -> value id */
  const StrMap *outer;   /* captures, or NULL */
} Scope;

static void free_map(void *p, size_t n) {
  (void)n;
  smap_free(p);
}

static int lookup(IrGraph *g, const Scope *s, const char *name) {
  int id = smap_get(&s->local, name, -1);
  if (id < 0 && s->outer) id = smap_get(s->outer, name, -1);
  if (id < 0) id = ir_find_value(g, name);
  return id;
}

/* A copy of a nested body that remembers the current scope. */
static IrBody *capture(IrGraph *g, const IrBody *b, const Scope *s) {
  IrBody *c = arena_alloc(&g->arena, sizeof *c);
  *c = *b;
  c->captures = arena_alloc(&g->arena, sizeof(StrMap));
  smap_init(c->captures);
  ir_on_free(g, free_map, c->captures, 0);
  if (s->outer)
    for (int i = 0; i < s->outer->cap; i++)
      if (s->outer->keys[i]) smap_put(c->captures, s->outer->keys[i], s->outer->vals[i]);
  for (int i = 0; i < s->local.cap; i++)
    if (s->local.keys[i]) smap_put(c->captures, s->local.keys[i], s->local.vals[i]);
  return c;
}

static void copy_attrs(IrGraph *g, IrNode *n, const IrBodyNode *bn, const Scope *s) {
  n->nattr = bn->nattr;
  n->attrs = arena_alloc(&g->arena, sizeof(IrAttr) * (size_t)(bn->nattr ? bn->nattr : 1));
  for (int i = 0; i < bn->nattr; i++) {
    IrAttr *a = &n->attrs[i];
    *a = bn->attrs[i];
    if (a->type != AT_GRAPH && a->type != AT_GRAPHS) continue;
    IrBody **bodies = arena_alloc(&g->arena, sizeof(IrBody *) * (size_t)(a->n ? a->n : 1));
    for (int k = 0; k < a->n; k++) bodies[k] = capture(g, a->bodies[k], s);
    a->bodies = bodies;
  }
}

/* A value for a body name, named "<prefix>/<name>" in the graph. */
static int new_value(IrGraph *g, Scope *s, const char *prefix, const char *name) {
  int id = ir_new_temp(g, arena_printf(&g->arena, "%s/%s", prefix, name));
  smap_put(&s->local, arena_strdup(&g->arena, name), id);
  return id;
}

/* Adds one body node before position pos. */
static int add_node(IrGraph *g, int pos, const IrBodyNode *bn, Scope *s, const char *prefix,
                    const IrBody *b, Diag *d) {
  for (int j = 0; j < bn->nin; j++)
    if (bn->in[j][0] && lookup(g, s, bn->in[j]) < 0) {
      diag_error(d, EK_INVALID, g->path, "subgraph '%s': node '%s' (%s): input '%s' is not defined",
                 b->name, bn->name, bn->op_type, bn->in[j]);
      return -1;
    }
  const char *name = arena_printf(&g->arena, "%s/%s", prefix, bn->name[0] ? bn->name : bn->op_type);
  IrNode *n = ir_insert_node(g, pos, bn->op_type, name, bn->nin, bn->nout);
  n->domain = bn->domain;
  n->op = op_find(bn->domain, bn->op_type);
  for (int j = 0; j < bn->nin; j++) n->in[j] = bn->in[j][0] ? lookup(g, s, bn->in[j]) : -1;
  copy_attrs(g, n, bn, s);
  for (int j = 0; j < bn->nout; j++) {
    if (!bn->out[j][0]) continue;
    int id = new_value(g, s, prefix, bn->out[j]);
    g->nodes[pos].out[j] = id;
  }
  return 0;
}

int ir_inline_body(IrGraph *g, int pos, const IrBody *b, const char *prefix, const int *in_ids,
                   int nin, int *out_ids, Diag *d) {
  Scope s = {.outer = b->captures};
  smap_init(&s.local);
  int added = 0, rc = 0;
  for (int i = 0; i < b->ninputs; i++)
    if (i < nin && in_ids[i] >= 0) smap_put(&s.local, b->inputs[i].name, in_ids[i]);
  for (int i = 0; i < b->ninits; i++) {
    const IrTensor *t = &b->inits[i];
    int id = ir_add_const(g, arena_printf(&g->arena, "%s/%s", prefix, b->init_names[i]),
                          t->dtype, t->rank, t->dims, t->data);
    g->vals[id].strw = t->strw;
    smap_put(&s.local, b->init_names[i], id);
  }
  for (int i = 0; i < b->nnodes && !rc; i++) {
    rc = add_node(g, pos + added, &b->nodes[i], &s, prefix, b, d);
    if (!rc) added++;
  }
  for (int i = 0; i < b->noutputs && !rc; i++) {
    out_ids[i] = lookup(g, &s, b->outputs[i]);
    if (out_ids[i] < 0) {
      diag_error(d, EK_INVALID, g->path, "subgraph '%s': output '%s' is not defined", b->name,
                 b->outputs[i]);
      rc = -1;
    }
  }
  smap_free(&s.local);
  return rc ? -1 : added;
}
