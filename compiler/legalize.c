/* legalize.c - rewrites before inference: the variadic ops Max, Min and Sum
 * become chains of two-input nodes, and Mean(a..z) becomes Sum(a..z)
 * followed by a one-input Mean that divides by the count (ops/ew.c). */
#include <string.h>

#include "infer.h"
#include "ops/op.h"

static int is_op(const IrNode *n, const char *name) {
  return (!n->domain[0] || strcmp(n->domain, "ai.onnx") == 0) && strcmp(n->op_type, name) == 0;
}

/* Mean of k >= 2 inputs at node i: the node becomes their Sum, and a Mean of
 * that sum with the count k follows it. */
static void split_mean(IrGraph *g, int i) {
  IrNode *n = &g->nodes[i];
  int k = n->nin, sum = ir_new_temp(g, n->name);
  IrNode *m = ir_insert_node(g, i + 1, "Mean", n->name, 1, 1);
  n = &g->nodes[i];
  m->in[0] = sum;
  m->out[0] = n->out[0];
  m->src_index = n->src_index;
  ir_add_attr(g, m, "_count", AT_INT)->i = k;
  n->out[0] = sum;
  n->op_type = "Sum";
  n->op = op_find("", "Sum");
}

/* Node i with k > 2 inputs keeps two: a new node before it combines all
 * inputs but the last. */
static void split_variadic(IrGraph *g, int i) {
  IrNode *n = &g->nodes[i];
  int k = n->nin;
  const char *name = arena_printf(&g->arena, "%s/%d", n->name, k - 1);
  int t = ir_new_temp(g, name);
  IrNode *p = ir_insert_node(g, i, n->op_type, name, k - 1, 1);
  n = &g->nodes[i + 1];
  for (int j = 0; j < k - 1; j++) p->in[j] = n->in[j];
  p->out[0] = t;
  p->src_index = n->src_index;
  n->in[0] = t;
  n->in[1] = n->in[k - 1];
  n->nin = 2;
}

int legalize_graph(IrGraph *g, Diag *d) {
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    int mean = is_op(n, "Mean") && !ir_attr(n, "_count");
    if (!mean && !is_op(n, "Sum") && !is_op(n, "Max") && !is_op(n, "Min")) continue;
    for (int j = 0; j < n->nin; j++)
      if (n->in[j] < 0) {
        diag_error(d, EK_INVALID, ir_where(g, n), "input %d is missing", j);
        return -1;
      }
    if (mean && n->nin >= 2)
      split_mean(g, i--); /* visit the Sum again */
    else if (!mean && n->nin > 2)
      split_variadic(g, i--); /* visit the new node, then this one */
  }
  return 0;
}
