/* memplan.c - see memplan.h. */
#include "memplan.h"

#include <string.h>

#include "ops/op.h"

static void assign_storage(IrGraph *g, MemPlan *p) {
  for (int i = 0; i < g->nvals; i++) {
    p->root[i] = i;
    p->storage[i] = (g->vals[i].flags & VF_CONST) ? ST_CONST : ST_NONE;
  }
  for (int i = 0; i < g->ninputs; i++) {
    p->storage[g->inputs[i]] = ST_INPUT;
    p->io_index[g->inputs[i]] = i;
  }
  for (int i = 0; i < g->noutputs; i++) {
    int v = g->outputs[i];
    if (p->storage[v] != ST_NONE || g->vals[v].producer < 0) continue; /* copied at the end */
    p->storage[v] = ST_OUTPUT;
    p->io_index[v] = i;
  }
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    for (int j = 0; j < n->nout; j++) {
      int v = n->out[j];
      if (v < 0 || p->storage[v] != ST_NONE) continue;
      if (n->inline_ew) {
        p->storage[v] = ST_INLINE;
      } else if (n->op->lower_kind == OPL_VIEW && j == 0) {
        int r = p->root[n->in[0]];
        p->root[v] = r;
        p->storage[v] = p->storage[r];
        p->io_index[v] = p->io_index[r];
      } else {
        p->storage[v] = ST_ARENA;
      }
    }
  }
}

static void add_buf(MemPlan *p, int *cap, int value, int node, int64_t size, int start) {
  GROW(p->bufs, *cap, p->nbufs + 1);
  p->bufs[p->nbufs++] = (PlanBuf){value, node, size, -1, start, start};
}

/* Where each node reads its operands: its own position, or for an
 * inline_ew node the position of the loop it is evaluated in. */
static int *read_positions(const IrGraph *g) {
  int *at = xmalloc(sizeof(int) * (size_t)(g->nnodes ? g->nnodes : 1));
  for (int i = g->nnodes - 1; i >= 0; i--) {
    const IrNode *n = &g->nodes[i];
    at[i] = i;
    if (!n->inline_ew) continue;
    for (int c = i + 1; c < g->nnodes && at[i] == i; c++) /* its sole reader, later on */
      for (int k = 0; k < g->nodes[c].nin; k++)
        if (g->nodes[c].in[k] == n->out[0]) at[i] = at[c];
  }
  return at;
}

/* Buffers with their lifetimes: from the producer to the last reader of
 * the value or of any view of it. */
static int collect_buffers(IrGraph *g, ScratchFn scratch, MemPlan *p, Diag *d) {
  int cap = 0, *buf_of = xmalloc(sizeof(int) * (size_t)(g->nvals ? g->nvals : 1));
  int *at = read_positions(g);
  for (int i = 0; i < g->nvals; i++) buf_of[i] = -1;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    for (int j = 0; j < n->nout; j++) {
      int v = n->out[j];
      if (v >= 0 && p->storage[v] == ST_ARENA && p->root[v] == v && ir_bytes(&g->vals[v]) > 0) {
        buf_of[v] = p->nbufs;
        add_buf(p, &cap, v, i, ir_bytes(&g->vals[v]), i);
        if (g->vals[v].flags & VF_KEEP) p->bufs[p->nbufs - 1].end = g->nnodes;
      }
    }
    int64_t s = scratch(g, n, d);
    if (s < 0) {
      free(buf_of);
      free(at);
      return -1;
    }
    p->scratch_bytes[i] = s;
    if (s > 0) add_buf(p, &cap, -1, i, s, i);
    for (int j = 0; j < n->nin; j++) {
      int v = n->in[j];
      if (v >= 0 && buf_of[p->root[v]] >= 0)
        p->bufs[buf_of[p->root[v]]].end = MAX(p->bufs[buf_of[p->root[v]]].end, at[i]);
    }
  }
  free(buf_of);
  free(at);
  return 0;
}

static int by_size(const void *a, const void *b) {
  const PlanBuf *x = a, *y = b;
  if (x->size != y->size) return x->size > y->size ? -1 : 1;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return x->value < y->value ? -1 : x->value > y->value;
}

static int64_t align_up(int64_t v) { return (v + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN; }

/* Greedy by size: each buffer takes the lowest offset that does not collide
 * with a placed buffer whose lifetime overlaps its own. */
static void place_buffers(MemPlan *p) {
  if (p->nbufs > 1) qsort(p->bufs, (size_t)p->nbufs, sizeof(PlanBuf), by_size);
  for (int i = 0; i < p->nbufs; i++) {
    PlanBuf *b = &p->bufs[i];
    int64_t off = 0;
    for (int moved = 1; moved;) {
      moved = 0;
      for (int j = 0; j < i; j++) {
        PlanBuf *o = &p->bufs[j];
        if (o->end < b->start || b->end < o->start) continue;
        if (off < o->offset + o->size && o->offset < off + b->size) {
          off = align_up(o->offset + o->size);
          moved = 1;
        }
      }
    }
    b->offset = off;
    if (off + b->size > p->arena_bytes) p->arena_bytes = off + b->size;
    p->sum_bytes += align_up(b->size);
  }
  p->arena_bytes = align_up(p->arena_bytes);
}

int memplan(IrGraph *g, ScratchFn scratch, MemPlan *p, Diag *d) {
  memset(p, 0, sizeof *p);
  size_t nv = (size_t)(g->nvals ? g->nvals : 1), nn = (size_t)(g->nnodes ? g->nnodes : 1);
  p->storage = xcalloc(nv, sizeof *p->storage);
  p->root = xcalloc(nv, sizeof *p->root);
  p->io_index = xcalloc(nv, sizeof *p->io_index);
  p->offset = xcalloc(nv, sizeof *p->offset);
  p->scratch_off = xcalloc(nn, sizeof *p->scratch_off);
  p->scratch_bytes = xcalloc(nn, sizeof *p->scratch_bytes);
  ir_count_uses(g);
  assign_storage(g, p);
  if (collect_buffers(g, scratch, p, d)) return -1;
  place_buffers(p);
  for (int i = 0; i < g->nnodes; i++) p->scratch_off[i] = -1;
  for (int i = 0; i < p->nbufs; i++) {
    if (p->bufs[i].value >= 0)
      p->offset[p->bufs[i].value] = p->bufs[i].offset;
    else
      p->scratch_off[p->bufs[i].node] = p->bufs[i].offset;
  }
  for (int v = 0; v < g->nvals; v++)
    if (p->storage[v] == ST_ARENA) p->offset[v] = p->offset[p->root[v]];
  return 0;
}

int memplan_view_is_alias(const MemPlan *p, const IrNode *n) {
  return n->out[0] >= 0 && p->root[n->out[0]] == p->root[n->in[0]];
}

void memplan_free(MemPlan *p) {
  free(p->storage);
  free(p->root);
  free(p->io_index);
  free(p->offset);
  free(p->scratch_off);
  free(p->scratch_bytes);
  free(p->bufs);
  memset(p, 0, sizeof *p);
}
