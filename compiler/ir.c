/* ir.c - building, querying and maintaining the graph. */
#include "ir.h"

#include <inttypes.h>
#include <string.h>

#include "ops/op.h"

void ir_init(IrGraph *g, const char *path) {
  memset(g, 0, sizeof *g);
  g->path = path ? arena_strdup(&g->arena, path) : "";
  smap_init(&g->names);
}

void ir_on_free(IrGraph *g, void (*fn)(void *p, size_t n), void *p, size_t n) {
  GROW(g->cleanups, g->capcleanups, g->ncleanups + 1);
  g->cleanups[g->ncleanups++] = (IrCleanup){fn, p, n};
}

void ir_free(IrGraph *g) {
  for (int i = g->ncleanups - 1; i >= 0; i--) g->cleanups[i].fn(g->cleanups[i].p, g->cleanups[i].n);
  free(g->cleanups);
  for (int i = 0; i < g->nnodes; i++) {
    free(g->nodes[i].in);
    free(g->nodes[i].out);
  }
  free(g->vals);
  free(g->nodes);
  free(g->inputs);
  free(g->outputs);
  smap_free(&g->names);
  arena_free(&g->arena);
  memset(g, 0, sizeof *g);
}

int ir_find_value(const IrGraph *g, const char *name) { return smap_get(&g->names, name, -1); }

int ir_add_value(IrGraph *g, const char *name) {
  ENSURE(ir_find_value(g, name) < 0);
  GROW(g->vals, g->capvals, g->nvals + 1);
  int id = g->nvals++;
  IrValue *v = &g->vals[id];
  memset(v, 0, sizeof *v);
  v->name = arena_strdup(&g->arena, name);
  v->rank = -1;
  v->producer = -1;
  v->alias = -1;
  v->offset = -1;
  v->shape_val = -1;
  smap_put(&g->names, v->name, id);
  return id;
}

const char *ir_unique_name(IrGraph *g, const char *hint) {
  if (ir_find_value(g, hint) < 0) return hint;
  for (int k = 1;; k++) {
    const char *s = arena_printf(&g->arena, "%s_%d", hint, k);
    if (ir_find_value(g, s) < 0) return s;
  }
}

int ir_new_temp(IrGraph *g, const char *name_hint) {
  return ir_add_value(g, ir_unique_name(g, name_hint));
}

int ir_add_const(IrGraph *g, const char *name_hint, DType t, int rank, const int64_t *dims,
                 const void *data) {
  int64_t d[IR_MAX_RANK];
  ENSURE(rank >= 0 && rank <= IR_MAX_RANK);
  for (int i = 0; i < rank; i++) d[i] = dims[i]; /* dims may point into g->vals */
  dims = d;
  int id = ir_new_temp(g, name_hint);
  IrValue *v = &g->vals[id];
  ir_set_shape(v, t, rank, dims);
  v->flags |= VF_CONST;
  v->data = data;
  return id;
}

int64_t ir_numel(const IrValue *v) {
  int64_t n = 1;
  for (int i = 0; i < v->rank; i++) n *= v->dims[i];
  return n;
}

int64_t ir_bytes(const IrValue *v) {
  return ir_numel(v) * (v->dtype == DT_STRING ? v->strw : (int64_t)dtype_size(v->dtype));
}

void ir_set_shape(IrValue *v, DType t, int rank, const int64_t *dims) {
  ENSURE(rank >= 0 && rank <= IR_MAX_RANK);
  v->dtype = t;
  v->rank = rank;
  for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
}

void ir_strides(const IrValue *v, int64_t *strides) {
  int64_t acc = 1;
  for (int i = v->rank - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= v->dims[i];
  }
}

int ir_same_shape(const IrValue *a, const IrValue *b) {
  if (a->rank != b->rank) return 0;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return 0;
  return 1;
}

const char *ir_shape_str(const IrValue *v, char *buf, size_t n) {
  StrBuf b;
  sb_init(&b);
  if (v->rank < 0) {
    sb_puts(&b, "[?]");
  } else {
    sb_putc(&b, '[');
    for (int i = 0; i < v->rank; i++) {
      if (i) sb_putc(&b, ',');
      if (v->dims[i] < 0)
        sb_puts(&b, v->sym[i] ? v->sym[i] : "?");
      else
        sb_printf(&b, "%" PRId64, v->dims[i]);
    }
    sb_putc(&b, ']');
  }
  snprintf(buf, n, "%s", b.s);
  sb_free(&b);
  return buf;
}

static void node_init(IrGraph *g, IrNode *n, const char *op_type, const char *domain,
                      const char *name, int nin, int nout) {
  memset(n, 0, sizeof *n);
  n->op_type = arena_strdup(&g->arena, op_type);
  n->domain = arena_strdup(&g->arena, domain ? domain : "");
  n->name = arena_strdup(&g->arena, name);
  n->op = op_find(n->domain, n->op_type);
  n->nin = nin;
  n->nout = nout;
  n->in = xmalloc(sizeof(int) * (size_t)(nin ? nin : 1));
  n->out = xmalloc(sizeof(int) * (size_t)(nout ? nout : 1));
  for (int i = 0; i < nin; i++) n->in[i] = -1;
  for (int i = 0; i < nout; i++) n->out[i] = -1;
  n->src_index = -1;
}

IrNode *ir_add_node(IrGraph *g, const char *op_type, const char *domain, const char *name,
                    int nin, int nout) {
  GROW(g->nodes, g->capnodes, g->nnodes + 1);
  IrNode *n = &g->nodes[g->nnodes];
  node_init(g, n, op_type, domain, name, nin, nout);
  n->src_index = g->nnodes++;
  return n;
}

IrNode *ir_insert_node(IrGraph *g, int pos, const char *op_type, const char *name, int nin,
                       int nout) {
  ENSURE(pos >= 0 && pos <= g->nnodes);
  GROW(g->nodes, g->capnodes, g->nnodes + 1);
  memmove(&g->nodes[pos + 1], &g->nodes[pos], sizeof(IrNode) * (size_t)(g->nnodes - pos));
  g->nnodes++;
  IrNode *n = &g->nodes[pos];
  node_init(g, n, op_type, "", name, nin, nout);
  n->src_index = pos < g->nnodes - 1 ? g->nodes[pos + 1].src_index : g->nnodes;
  return n;
}

IrNode *ir_node(IrGraph *g, int id) {
  ENSURE(id >= 0 && id < g->nnodes);
  return &g->nodes[id];
}

IrValue *ir_in(IrGraph *g, const IrNode *n, int i) {
  return i < n->nin && n->in[i] >= 0 ? &g->vals[n->in[i]] : NULL;
}

IrValue *ir_out(IrGraph *g, const IrNode *n, int i) {
  return i < n->nout && n->out[i] >= 0 ? &g->vals[n->out[i]] : NULL;
}

const IrAttr *ir_attr(const IrNode *n, const char *name) {
  for (int i = 0; i < n->nattr; i++)
    if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
  return NULL;
}

IrAttr *ir_add_attr(IrGraph *g, IrNode *n, const char *name, AttrType t) {
  IrAttr *a = arena_alloc(&g->arena, sizeof(IrAttr) * (size_t)(n->nattr + 1));
  if (n->nattr) memcpy(a, n->attrs, sizeof(IrAttr) * (size_t)n->nattr);
  n->attrs = a;
  IrAttr *r = &a[n->nattr++];
  memset(r, 0, sizeof *r);
  r->name = arena_strdup(&g->arena, name);
  r->type = t;
  return r;
}

void ir_count_uses(IrGraph *g) {
  for (int i = 0; i < g->nvals; i++) {
    g->vals[i].nuses = 0;
    g->vals[i].producer = -1;
  }
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (n->dead) continue;
    for (int j = 0; j < n->nin; j++)
      if (n->in[j] >= 0) g->vals[n->in[j]].nuses++;
    for (int j = 0; j < n->nout; j++)
      if (n->out[j] >= 0) g->vals[n->out[j]].producer = i;
  }
  for (int i = 0; i < g->noutputs; i++) g->vals[g->outputs[i]].nuses++;
}

void ir_replace_uses(IrGraph *g, int from, int to) {
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (n->dead) continue;
    for (int j = 0; j < n->nin; j++)
      if (n->in[j] == from) n->in[j] = to;
  }
  for (int i = 0; i < g->noutputs; i++)
    if (g->outputs[i] == from) g->outputs[i] = to;
}

void ir_compact(IrGraph *g) {
  int k = 0;
  for (int i = 0; i < g->nnodes; i++) {
    if (g->nodes[i].dead) {
      free(g->nodes[i].in);
      free(g->nodes[i].out);
      continue;
    }
    g->nodes[k++] = g->nodes[i];
  }
  g->nnodes = k;
  ir_count_uses(g);
}

int ir_live_nodes(const IrGraph *g) {
  int k = 0;
  for (int i = 0; i < g->nnodes; i++) k += !g->nodes[i].dead;
  return k;
}

const char *ir_where(const IrGraph *g, const IrNode *n) {
  static char ring[4][512];
  static int next;
  char *buf = ring[next++ & 3];
  snprintf(buf, sizeof ring[0], "%s: node '%s' (%s%s%s)", g->path, n->name,
           n->domain[0] ? n->domain : "", n->domain[0] ? "." : "", n->op_type);
  return buf;
}
