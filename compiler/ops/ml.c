/* ml.c - ops of domain ai.onnx.ml: Binarizer, ArrayFeatureExtractor,
 * TreeEnsemble (version 5) and TreeEnsembleRegressor (versions 1 and 3)
 * (kernels: runtime-mini/kernels/ml.c).
 *
 * Both tree ensembles compile to one kernel: inference turns the node's
 * attributes into two constant tables (ml.h says their layout), appended as
 * inputs 1 and 2 of the node, after checking every index in them, so the
 * kernel walks the trees without checks. TreeEnsembleRegressor's
 * (tree id, node id) pairs, LEAF nodes and target_* weights map onto
 * TreeEnsemble's nodes and leaves; a leaf may carry several weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"
#include "ml.h"
#include "op.h"

KERNEL_DEF(K_BINARIZER, rt_binarizer, "ml.c", RtBinarizer, 2, KA(0), KA(1));
KERNEL_DEF(K_FEATURE_EXTRACT, rt_feature_extract, "ml.c", RtFeatureExtract, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_TREE_ENSEMBLE, rt_tree_ensemble, "ml.c", RtTreeEnsemble, 5, KA(0), KA(1), KA(2), KA(3),
           KA(4));

static int ml_type(DType t) {
  switch (t) {
    case DT_F64: return RT_ML_F64;
    case DT_I32: return RT_ML_I32;
    case DT_I64: return RT_ML_I64;
    default: return RT_ML_F32;
  }
}

/* ---- Binarizer ---- */

static int infer_binarizer(OpCtx *c) {
  static const DType T[] = {DT_F32, DT_F64, DT_I64, DT_I32, DT_UNDEF};
  int ok = 1;
  op_attr_float(c, "threshold", 0.0f, &ok);
  if (!ok || op_check_type(c, 0, T)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_binarizer(OpCtx *c, KList *l) {
  int ok = 1;
  IrValue *x = op_in(c, 0);
  KCall *k = kl_call(l, &K_BINARIZER);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "type", ml_type(x->dtype));
  kc_f(k, "threshold", op_attr_float(c, "threshold", 0.0f, &ok));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- ArrayFeatureExtractor ---- */

static int infer_extract(OpCtx *c) {
  static const DType T[] = {DT_F32, DT_F64, DT_I64, DT_I32, DT_STRING, DT_UNDEF};
  static const DType TI[] = {DT_I64, DT_UNDEF};
  if (op_check_type(c, 0, T) || op_check_type(c, 1, TI)) return -1;
  IrValue *x = op_in(c, 0), *y = op_in(c, 1);
  if (x->rank < 1) return op_invalid(c, "input X '%s' must have rank >= 1, got a scalar", x->name);
  int64_t f = x->dims[x->rank - 1], k = ir_numel(y);
  if (y->flags & VF_CONST)
    for (int64_t i = 0; i < k; i++) {
      int64_t v = ((const int64_t *)y->data)[i];
      if (v < -f || v >= f)
        return op_invalid(c,
                          "index %lld of Y '%s' is out of range for the last axis of X '%s' "
                          "(size %lld)",
                          (long long)v, y->name, x->name, (long long)f);
    }
  int64_t dims[IR_MAX_RANK];
  int rank = x->rank == 1 ? 2 : x->rank;
  memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
  if (x->rank == 1) dims[0] = 1; /* [F] gives [1, K], as ONNX Runtime does */
  dims[rank - 1] = k;
  op_set_out(c, 0, x->dtype, rank, dims);
  if (x->dtype == DT_STRING) op_out(c, 0)->strw = x->strw;
  return 0;
}

static int lower_extract(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0);
  int64_t f = x->dims[x->rank - 1];
  KCall *k = kl_call(l, &K_FEATURE_EXTRACT);
  kc_i(k, "outer", f ? ir_numel(x) / f : 0);
  kc_i(k, "f", f);
  kc_i(k, "k", ir_numel(op_in(c, 1)));
  kc_i(k, "esize", x->dtype == DT_STRING ? x->strw : (int64_t)dtype_size(x->dtype));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- tree ensembles: the tables ---- */

typedef struct TeTables {
  int64_t n_trees, n_nodes, n_leaves, n_weights, n_members, n_targets;
  int64_t agg, post, has_base;
  int64_t *roots, *nodes, *leaves, *targets;
  double *splits, *members, *weights, *base;
  int round_f32; /* thresholds and weights round to float32 (X is not float64) */
} TeTables;

static void te_free(TeTables *t) {
  free(t->roots);
  free(t->nodes);
  free(t->leaves);
  free(t->targets);
  free(t->splits);
  free(t->members);
  free(t->weights);
  free(t->base);
}

static void *te_alloc(int64_t n, size_t size) { return xcalloc((size_t)(n > 0 ? n : 1), size); }

/* An INTS attribute: its values and count; NULL with *n = -1 if absent
 * (reported if required), NULL with *n = -2 if of another type (reported). */
static const int64_t *te_ints(OpCtx *c, const char *name, int required, int64_t *n) {
  const IrAttr *a = ir_attr(c->n, name);
  *n = -1;
  if (!a) {
    if (required) op_invalid(c, "attribute '%s' is required", name);
    return NULL;
  }
  if (a->type != AT_INTS) {
    op_invalid(c, "attribute '%s' must be a list of ints", name);
    *n = -2;
    return NULL;
  }
  *n = a->n;
  return a->ints;
}

/* A float list from a FLOATS attribute, or a TENSOR one (float, double,
 * float16 or bfloat16) where tensor_name is given: xmalloc'd doubles, *n
 * values; NULL with *n = -1 if neither is there, -2 on error (reported). */
static double *te_floats(OpCtx *c, const char *name, const char *tensor_name, int64_t *n) {
  const IrAttr *a = name ? ir_attr(c->n, name) : NULL;
  const IrAttr *t = tensor_name ? ir_attr(c->n, tensor_name) : NULL;
  *n = -2;
  if (a && t) {
    op_invalid(c, "attributes '%s' and '%s' are both given", name, tensor_name);
    return NULL;
  }
  if (a && a->type != AT_FLOATS) {
    op_invalid(c, "attribute '%s' must be a list of floats", name);
    return NULL;
  }
  if (t && t->type != AT_TENSOR) {
    op_invalid(c, "attribute '%s' must be a tensor", tensor_name);
    return NULL;
  }
  if (!a && !t) {
    *n = -1;
    return NULL;
  }
  if (a) {
    double *v = te_alloc(a->n, sizeof(double));
    for (int i = 0; i < a->n; i++) v[i] = a->floats[i];
    *n = a->n;
    return v;
  }
  const IrTensor *x = &t->tensors[0];
  int64_t cnt = 1;
  for (int i = 0; i < x->rank; i++) cnt *= x->dims[i];
  if (x->dtype != DT_F32 && x->dtype != DT_F64 && x->dtype != DT_F16 && x->dtype != DT_BF16) {
    op_invalid(c, "attribute '%s' has type %s; float, double, float16 or bfloat16 expected",
               tensor_name, dtype_name(x->dtype));
    return NULL;
  }
  double *v = te_alloc(cnt, sizeof(double));
  RtConvert cv = {cnt, x->dtype, DT_F64, 0, 0};
  if (cnt > 0 && x->dtype == DT_F64)
    memcpy(v, x->data, (size_t)cnt * sizeof(double));
  else if (cnt > 0)
    rt_convert(&cv, x->data, v);
  *n = cnt;
  return v;
}

/* Node references of tree elements: r >= 0 a node, -1 - r a leaf. */
static int64_t te_ref(int64_t index, int leaf) { return leaf ? -1 - index : index; }

/* Checks that the nodes reachable from the roots form no cycle (DAGs are
 * fine: the kernel only walks down). */
static int te_acyclic(OpCtx *c, const TeTables *t) {
  unsigned char *state = te_alloc(t->n_nodes, 1); /* 0 new, 1 on the path, 2 done */
  int64_t *stack = te_alloc(2 * t->n_nodes, sizeof(int64_t)), bad = -1;
  for (int64_t r = 0; r < t->n_trees && bad < 0; r++) {
    if (t->roots[r] < 0 || state[t->roots[r]]) continue;
    int64_t sp = 0;
    stack[sp++] = t->roots[r];
    stack[sp++] = 0;
    state[t->roots[r]] = 1;
    while (sp > 0 && bad < 0) {
      int64_t nd = stack[sp - 2], k = stack[sp - 1];
      if (k == 2) {
        state[nd] = 2;
        sp -= 2;
        continue;
      }
      stack[sp - 1]++;
      int64_t ch = t->nodes[nd * RT_TE_NODE_FIELDS + 2 + k];
      if (ch < 0 || state[ch] == 2) continue;
      if (state[ch] == 1) {
        bad = ch;
        break;
      }
      state[ch] = 1;
      stack[sp++] = ch;
      stack[sp++] = 0;
    }
  }
  free(state);
  free(stack);
  if (bad >= 0)
    return op_invalid(c, "the trees have a cycle through node %lld: a node leads back to itself",
                      (long long)bad);
  return 0;
}

/* Rounds the thresholds, members and weights as the input's precision holds
 * them (float32 unless X is float64). */
static void te_round(TeTables *t) {
  if (!t->round_f32) return;
  for (int64_t i = 0; i < t->n_nodes; i++) t->splits[i] = (float)t->splits[i];
  for (int64_t i = 0; i < t->n_members; i++) t->members[i] = (float)t->members[i];
  for (int64_t i = 0; i < t->n_weights; i++) t->weights[i] = (float)t->weights[i];
}

/* Copies n elements of size bytes from src (may be NULL if n is 0) to dst;
 * returns the end. */
static void *te_put(void *dst, const void *src, int64_t n, size_t size) {
  if (n > 0) memcpy(dst, src, (size_t)n * size);
  return (char *)dst + (size_t)(n > 0 ? n : 0) * size;
}

/* Appends the tables to the node as constant inputs 1 (int64) and 2 (double). */
static void te_add_inputs(OpCtx *c, const TeTables *t) {
  IrGraph *g = c->g;
  IrNode *n = c->n;
  int64_t ni =
      RT_TE_HEADER + t->n_trees + t->n_nodes * RT_TE_NODE_FIELDS + 2 * t->n_leaves + t->n_weights;
  int64_t nf = t->n_nodes + t->n_members + t->n_weights + (t->has_base ? t->n_targets : 0);
  if (nf < 1) nf = 1;
  int64_t *it = op_alloc(g, (size_t)ni * sizeof(int64_t));
  double *ft = op_alloc(g, (size_t)nf * sizeof(double));
  int64_t head[RT_TE_HEADER] = {t->n_trees,   t->n_nodes, t->n_leaves, t->n_weights,
                                t->n_members, t->agg,     t->post,     t->has_base};
  int64_t *p = it;
  p = te_put(p, head, RT_TE_HEADER, sizeof(int64_t));
  p = te_put(p, t->roots, t->n_trees, sizeof(int64_t));
  p = te_put(p, t->nodes, t->n_nodes * RT_TE_NODE_FIELDS, sizeof(int64_t));
  p = te_put(p, t->leaves, 2 * t->n_leaves, sizeof(int64_t));
  te_put(p, t->targets, t->n_weights, sizeof(int64_t));
  double *q = ft;
  q = te_put(q, t->splits, t->n_nodes, sizeof(double));
  q = te_put(q, t->members, t->n_members, sizeof(double));
  q = te_put(q, t->weights, t->n_weights, sizeof(double));
  if (t->has_base) te_put(q, t->base, t->n_targets, sizeof(double));
  int ids[2];
  ids[0] = ir_add_const(g, arena_printf(&g->arena, "%s/trees", n->name), DT_I64, 1, &ni, it);
  ids[1] = ir_add_const(g, arena_printf(&g->arena, "%s/tree_values", n->name), DT_F64, 1, &nf, ft);
  n->in = xrealloc(n->in, sizeof(int) * 3);
  n->in[1] = ids[0];
  n->in[2] = ids[1];
  n->nin = 3;
}

/* X [N, F] of an allowed type; the output [N, n_targets] of type yt. */
static int te_input(OpCtx *c, const DType *allowed) {
  if (c->n->nin != 1)
    return op_invalid(c, "has %d inputs; %s takes 1 (X)", c->n->nin, c->n->op_type);
  if (op_check_type(c, 0, allowed)) return -1;
  IrValue *x = op_in(c, 0);
  char b[128];
  if (x->rank != 2)
    return op_invalid(c, "input X '%s' must be [N, F], got %s", x->name,
                      ir_shape_str(x, b, sizeof b));
  return 0;
}

/* Checks features and targets; rounds; appends the tables; sets the output. */
static int te_finish(OpCtx *c, TeTables *t, DType yt) {
  IrValue *x = op_in(c, 0);
  for (int64_t i = 0; i < t->n_nodes; i++) {
    int64_t f = t->nodes[i * RT_TE_NODE_FIELDS];
    if (f < 0 || f >= x->dims[1])
      return op_invalid(c, "node %lld tests feature %lld; X '%s' has %lld features", (long long)i,
                        (long long)f, x->name, (long long)x->dims[1]);
  }
  for (int64_t i = 0; i < t->n_weights; i++)
    if (t->targets[i] < 0 || t->targets[i] >= t->n_targets)
      return op_invalid(c, "a leaf weight is for target %lld; n_targets is %lld",
                        (long long)t->targets[i], (long long)t->n_targets);
  if (te_acyclic(c, t)) return -1;
  te_round(t);
  te_add_inputs(c, t);
  int64_t dims[2] = {x->dims[0], t->n_targets};
  op_set_out(c, 0, yt, 2, dims);
  return 0;
}

/* ---- TreeEnsemble (ai.onnx.ml 5) ---- */

/* The nodes_* attributes of TreeEnsemble into t (n_nodes set). */
static int te5_nodes(OpCtx *c, TeTables *t, int64_t n_leaves) {
  static const char *const INTS[] = {"nodes_featureids", "nodes_truenodeids", "nodes_trueleafs",
                                     "nodes_falsenodeids", "nodes_falseleafs"};
  const int64_t *v[5], *miss;
  int64_t n, nm, ns;
  for (int i = 0; i < 5; i++) {
    v[i] = te_ints(c, INTS[i], 1, &n);
    if (!v[i]) return -1;
    if (i == 0) t->n_nodes = n;
    if (n != t->n_nodes)
      return op_invalid(c, "attribute '%s' has %lld values, nodes_featureids %lld", INTS[i],
                        (long long)n, (long long)t->n_nodes);
  }
  miss = te_ints(c, "nodes_missing_value_tracks_true", 0, &nm);
  if (nm == -2) return -1;
  if (miss && nm != t->n_nodes)
    return op_invalid(c,
                      "attribute 'nodes_missing_value_tracks_true' has %lld values, "
                      "nodes_featureids %lld",
                      (long long)nm, (long long)t->n_nodes);
  t->splits = te_floats(c, NULL, "nodes_splits", &ns);
  if (ns == -1) return op_invalid(c, "attribute 'nodes_splits' is required");
  if (!t->splits) return -1;
  if (ns != t->n_nodes)
    return op_invalid(c, "attribute 'nodes_splits' has %lld values, nodes_featureids %lld",
                      (long long)ns, (long long)t->n_nodes);
  t->nodes = te_alloc(t->n_nodes * RT_TE_NODE_FIELDS, sizeof(int64_t));
  for (int64_t i = 0; i < t->n_nodes; i++) {
    int64_t *nd = t->nodes + i * RT_TE_NODE_FIELDS;
    nd[0] = v[0][i];
    nd[4] = miss ? miss[i] != 0 : 0;
    for (int b = 0; b < 2; b++) {
      int64_t id = v[1 + 2 * b][i], leaf = v[2 + 2 * b][i] != 0;
      if (id < 0 || id >= (leaf ? n_leaves : t->n_nodes))
        return op_invalid(c, "node %lld: its %s branch is %s %lld of %lld", (long long)i,
                          b ? "false" : "true", leaf ? "leaf" : "node", (long long)id,
                          (long long)(leaf ? n_leaves : t->n_nodes));
      nd[2 + b] = te_ref(id, (int)leaf);
    }
  }
  return 0;
}

/* nodes_modes, and the sets of the BRANCH_MEMBER nodes (membership_values:
 * one set per such node in node order, each ended by a NaN). */
static int te5_modes(OpCtx *c, TeTables *t) {
  const IrAttr *a = ir_attr(c->n, "nodes_modes");
  if (!a) return op_invalid(c, "attribute 'nodes_modes' is required");
  if (a->type != AT_TENSOR || !dtype_is_int(a->tensors[0].dtype))
    return op_invalid(c, "attribute 'nodes_modes' must be a uint8 tensor");
  const IrTensor *m = &a->tensors[0];
  int64_t n = 1, nmem = 0;
  for (int i = 0; i < m->rank; i++) n *= m->dims[i];
  if (n != t->n_nodes)
    return op_invalid(c, "attribute 'nodes_modes' has %lld values, nodes_featureids %lld",
                      (long long)n, (long long)t->n_nodes);
  t->members = te_floats(c, NULL, "membership_values", &nmem);
  if (nmem == -2) return -1;
  t->n_members = nmem > 0 ? nmem : 0;
  int64_t at = 0;
  size_t es = dtype_size(m->dtype);
  for (int64_t i = 0; i < n; i++) {
    int64_t mode = 0;
    if (es == 1) mode = ((const uint8_t *)m->data)[i];
    if (es == 2) mode = ((const uint16_t *)m->data)[i];
    if (es == 4) mode = ((const int32_t *)m->data)[i];
    if (es == 8) memcpy(&mode, (const char *)m->data + 8 * i, 8);
    if (mode < RT_TE_LEQ || mode > RT_TE_MEMBER)
      return op_invalid(c,
                        "node %lld has mode %lld; modes are 0 (BRANCH_LEQ) to 6 "
                        "(BRANCH_MEMBER)",
                        (long long)i, (long long)mode);
    int64_t *nd = t->nodes + i * RT_TE_NODE_FIELDS;
    nd[1] = mode;
    if (mode != RT_TE_MEMBER) continue;
    if (at >= t->n_members)
      return op_invalid(c,
                        "node %lld is BRANCH_MEMBER but membership_values has no set left "
                        "for it (one NaN-ended set per such node, in node order)",
                        (long long)i);
    nd[5] = at;
    while (at < t->n_members && !isnan(t->members[at])) at++;
    nd[6] = at++;
  }
  if (at < t->n_members)
    return op_invalid(c, "membership_values holds more sets than there are BRANCH_MEMBER nodes");
  return 0;
}

/* leaf_targetids and leaf_weights: one weight per leaf. */
static int te5_leaves(OpCtx *c, TeTables *t) {
  int64_t n, nw;
  const int64_t *tid = te_ints(c, "leaf_targetids", 1, &n);
  if (!tid) return -1;
  t->weights = te_floats(c, NULL, "leaf_weights", &nw);
  if (nw == -1) return op_invalid(c, "attribute 'leaf_weights' is required");
  if (!t->weights) return -1;
  if (nw != n)
    return op_invalid(c, "attribute 'leaf_weights' has %lld values, leaf_targetids %lld",
                      (long long)nw, (long long)n);
  t->n_leaves = t->n_weights = n;
  t->leaves = te_alloc(2 * n, sizeof(int64_t));
  t->targets = te_alloc(n, sizeof(int64_t));
  int64_t mx = -1;
  for (int64_t i = 0; i < n; i++) {
    t->leaves[2 * i] = i;
    t->leaves[2 * i + 1] = i + 1;
    t->targets[i] = tid[i];
    if (tid[i] > mx) mx = tid[i];
  }
  int ok = 1;
  t->n_targets = op_attr_int(c, "n_targets", mx + 1, &ok);
  if (!ok) return -1;
  if (t->n_targets < 1) return op_invalid(c, "n_targets must be positive");
  return 0;
}

static int te5_build(OpCtx *c, TeTables *t) {
  int ok = 1;
  t->agg = op_attr_int(c, "aggregate_function", RT_TE_AGG_SUM, &ok);
  t->post = op_attr_int(c, "post_transform", RT_TE_POST_NONE, &ok);
  if (!ok) return -1;
  if (t->agg < RT_TE_AGG_AVERAGE || t->agg > RT_TE_AGG_MAX)
    return op_invalid(c, "aggregate_function %lld is not one of 0 (AVERAGE) to 3 (MAX)",
                      (long long)t->agg);
  if (t->post < RT_TE_POST_NONE || t->post > RT_TE_POST_PROBIT)
    return op_invalid(c, "post_transform %lld is not one of 0 (NONE) to 4 (PROBIT)",
                      (long long)t->post);
  if (te5_leaves(c, t) || te5_nodes(c, t, t->n_leaves) || te5_modes(c, t)) return -1;
  int64_t nr;
  const int64_t *roots = te_ints(c, "tree_roots", 1, &nr);
  if (!roots) return -1;
  if (nr < 1) return op_invalid(c, "tree_roots is empty: the ensemble has no tree");
  t->n_trees = nr;
  t->roots = te_alloc(nr, sizeof(int64_t));
  for (int64_t i = 0; i < nr; i++) {
    if (roots[i] < 0 || roots[i] >= t->n_nodes)
      return op_invalid(c, "tree %lld has root node %lld; there are %lld nodes", (long long)i,
                        (long long)roots[i], (long long)t->n_nodes);
    t->roots[i] = roots[i];
  }
  return 0;
}

static int infer_tree_ensemble(OpCtx *c) {
  static const DType T[] = {DT_F32, DT_F64, DT_UNDEF};
  if (te_input(c, T)) return -1;
  TeTables t;
  memset(&t, 0, sizeof t);
  t.round_f32 = op_in(c, 0)->dtype != DT_F64;
  int rc = te5_build(c, &t);
  if (!rc) rc = te_finish(c, &t, op_in(c, 0)->dtype);
  te_free(&t);
  return rc;
}

/* ---- TreeEnsembleRegressor (ai.onnx.ml 1 and 3) ---- */

/* (tree id, node id) keys of the nodes or targets, sorted with their index. */
typedef struct TeKey {
  int64_t tree, node, index;
} TeKey;

static int te_key_cmp(const void *a, const void *b) {
  const TeKey *x = a, *y = b;
  if (x->tree != y->tree) return x->tree < y->tree ? -1 : 1;
  if (x->node != y->node) return x->node < y->node ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static TeKey *te_keys(const int64_t *tree, const int64_t *node, int64_t n) {
  TeKey *k = te_alloc(n, sizeof(TeKey));
  for (int64_t i = 0; i < n; i++) k[i] = (TeKey){tree[i], node[i], i};
  qsort(k, (size_t)n, sizeof(TeKey), te_key_cmp);
  return k;
}

/* The first key of (tree, node) in sorted keys k[0..n), or n. */
static int64_t te_find(const TeKey *k, int64_t n, int64_t tree, int64_t node) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (k[mid].tree < tree || (k[mid].tree == tree && k[mid].node < node))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && k[lo].tree == tree && k[lo].node == node ? lo : n;
}

/* A string attribute's index in names[0..n), or -1 (reported). */
static int te_enum(OpCtx *c, const char *attr, const char *dflt, const char *const *names, int n) {
  int ok = 1;
  const char *s = op_attr_str(c, attr, dflt, &ok);
  if (!ok) return -1;
  for (int i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0) return i;
  return op_invalid(c, "%s '%s' is not one of %s, %s, %s, %s%s%s", attr, s, names[0], names[1],
                    names[2], names[3], n > 4 ? ", " : "", n > 4 ? names[4] : "");
}

/* The regressor's node attributes, all of one length; modes as RT_TE_* with
 * 7 for LEAF. */
typedef struct TeOld {
  const int64_t *tree, *id, *feature, *yes, *no, *miss;
  int64_t n, *mode;
  double *values;
} TeOld;

static int te_old_nodes(OpCtx *c, TeOld *o) {
  static const char *const INTS[] = {"nodes_treeids", "nodes_nodeids", "nodes_featureids",
                                     "nodes_truenodeids", "nodes_falsenodeids"};
  static const char *const MODES[] = {"BRANCH_LEQ", "BRANCH_LT",  "BRANCH_GTE", "BRANCH_GT",
                                      "BRANCH_EQ",  "BRANCH_NEQ", "",           "LEAF"};
  const int64_t **dst[] = {&o->tree, &o->id, &o->feature, &o->yes, &o->no};
  int64_t n, nv;
  for (int i = 0; i < 5; i++) {
    *dst[i] = te_ints(c, INTS[i], 1, &n);
    if (!*dst[i]) return -1;
    if (i == 0) o->n = n;
    if (n != o->n)
      return op_invalid(c, "attribute '%s' has %lld values, nodes_treeids %lld", INTS[i],
                        (long long)n, (long long)o->n);
  }
  o->miss = te_ints(c, "nodes_missing_value_tracks_true", 0, &n);
  if (n == -2 || (o->miss && n != o->n))
    return n == -2 ? -1
                   : op_invalid(c,
                                "attribute 'nodes_missing_value_tracks_true' has %lld "
                                "values, nodes_treeids %lld",
                                (long long)n, (long long)o->n);
  const IrAttr *m = ir_attr(c->n, "nodes_modes");
  if (!m || m->type != AT_STRINGS || m->n != o->n)
    return op_invalid(c, "attribute 'nodes_modes' must be %lld strings (one per node)",
                      (long long)o->n);
  o->mode = te_alloc(o->n, sizeof(int64_t));
  for (int64_t i = 0; i < o->n; i++) {
    o->mode[i] = -1;
    for (int k = 0; k < 8; k++)
      if (MODES[k][0] && strcmp(m->strings[i], MODES[k]) == 0) o->mode[i] = k;
    if (o->mode[i] < 0)
      return op_invalid(c,
                        "node %lld has mode '%s'; modes are BRANCH_LEQ, BRANCH_LT, "
                        "BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ, LEAF",
                        (long long)i, m->strings[i]);
  }
  o->values = te_floats(c, "nodes_values", "nodes_values_as_tensor", &nv);
  if (nv == -2) return -1;
  if (nv == -1)
    o->values = te_alloc(o->n, sizeof(double)); /* leaves only need none */
  else if (nv != o->n)
    return op_invalid(c, "attribute 'nodes_values' has %lld values, nodes_treeids %lld",
                      (long long)nv, (long long)o->n);
  for (int64_t i = 0; nv == -1 && i < o->n; i++)
    if (o->mode[i] != 7) return op_invalid(c, "attribute 'nodes_values' is required");
  return 0;
}

/* Node slots: interior nodes numbered in key order, leaves likewise; refs[i]
 * is node i's reference. Trees and their roots (the smallest node id). */
static int te_old_slots(OpCtx *c, const TeOld *o, const TeKey *k, TeTables *t, int64_t *refs) {
  for (int64_t s = 0; s < o->n; s++) {
    if (s > 0 && k[s].tree == k[s - 1].tree && k[s].node == k[s - 1].node)
      return op_invalid(c, "tree %lld has two nodes with id %lld", (long long)k[s].tree,
                        (long long)k[s].node);
    int leaf = o->mode[k[s].index] == 7;
    refs[k[s].index] = te_ref(leaf ? t->n_leaves++ : t->n_nodes++, leaf);
    if (s == 0 || k[s].tree != k[s - 1].tree) t->n_trees++;
  }
  if (t->n_trees < 1) return op_invalid(c, "the ensemble has no tree (nodes_treeids is empty)");
  t->roots = te_alloc(t->n_trees, sizeof(int64_t));
  for (int64_t s = 0, r = 0; s < o->n; s++)
    if (s == 0 || k[s].tree != k[s - 1].tree) t->roots[r++] = refs[k[s].index];
  return 0;
}

/* Interior nodes into t->nodes, children looked up by (tree id, node id). */
static int te_old_links(OpCtx *c, const TeOld *o, const TeKey *k, TeTables *t,
                        const int64_t *refs) {
  t->nodes = te_alloc(t->n_nodes * RT_TE_NODE_FIELDS, sizeof(int64_t));
  t->splits = te_alloc(t->n_nodes, sizeof(double));
  for (int64_t i = 0; i < o->n; i++) {
    if (refs[i] < 0) continue;
    int64_t *nd = t->nodes + refs[i] * RT_TE_NODE_FIELDS;
    nd[0] = o->feature[i];
    nd[1] = o->mode[i];
    nd[4] = o->miss ? o->miss[i] != 0 : 0;
    t->splits[refs[i]] = o->values[i];
    for (int b = 0; b < 2; b++) {
      int64_t child = b ? o->no[i] : o->yes[i], at = te_find(k, o->n, o->tree[i], child);
      if (at == o->n)
        return op_invalid(c, "node %lld of tree %lld: its %s branch, node %lld, does not exist",
                          (long long)o->id[i], (long long)o->tree[i], b ? "false" : "true",
                          (long long)child);
      nd[2 + b] = refs[k[at].index];
    }
  }
  return 0;
}

/* The target_* weights onto the leaves, each leaf's in target order. */
static int te_old_weights(OpCtx *c, const TeOld *o, const TeKey *k, TeTables *t,
                          const int64_t *refs) {
  int64_t n, n2, n3, nw;
  const int64_t *tt = te_ints(c, "target_treeids", 1, &n),
                *tn = te_ints(c, "target_nodeids", 1, &n2);
  const int64_t *ti = te_ints(c, "target_ids", 1, &n3);
  if (!tt || !tn || !ti) return -1;
  t->weights = te_floats(c, "target_weights", "target_weights_as_tensor", &nw);
  if (nw == -2) return -1;
  if (nw == -1) return op_invalid(c, "attribute 'target_weights' is required");
  if (n2 != n || n3 != n || nw != n)
    return op_invalid(c,
                      "target_treeids, target_nodeids, target_ids and target_weights have "
                      "%lld, %lld, %lld and %lld values",
                      (long long)n, (long long)n2, (long long)n3, (long long)nw);
  TeKey *tk = te_keys(tt, tn, n);
  double *w = t->weights;
  t->weights = te_alloc(n, sizeof(double));
  t->targets = te_alloc(n, sizeof(int64_t));
  t->leaves = te_alloc(2 * t->n_leaves, sizeof(int64_t));
  int rc = 0;
  for (int64_t j = 0; j < n && !rc; j++) {
    int64_t at = te_find(k, o->n, tk[j].tree, tk[j].node);
    if (at == o->n || refs[k[at].index] >= 0)
      rc = op_invalid(c,
                      "target weight %lld is for node %lld of tree %lld, which is not a LEAF "
                      "node",
                      (long long)tk[j].index, (long long)tk[j].node, (long long)tk[j].tree);
  }
  for (int64_t j = 0, leaf = -1; j < n && !rc; j++) {
    int64_t l = -1 - refs[k[te_find(k, o->n, tk[j].tree, tk[j].node)].index];
    if (l != leaf) t->leaves[2 * l] = j;
    t->leaves[2 * l + 1] = j + 1;
    leaf = l;
    t->weights[j] = w[tk[j].index];
    t->targets[j] = ti[tk[j].index];
  }
  t->n_weights = n;
  free(w);
  free(tk);
  return rc;
}

static int te_old_build(OpCtx *c, TeTables *t) {
  static const char *const AGG[] = {"AVERAGE", "SUM", "MIN", "MAX"};
  static const char *const POST[] = {"NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT"};
  int ok = 1;
  t->agg = te_enum(c, "aggregate_function", "SUM", AGG, 4);
  t->post = te_enum(c, "post_transform", "NONE", POST, 5);
  if (t->agg < 0 || t->post < 0) return -1;
  if (!ir_attr(c->n, "n_targets")) return op_invalid(c, "attribute 'n_targets' is required");
  t->n_targets = op_attr_int(c, "n_targets", 1, &ok);
  if (!ok) return -1;
  if (t->n_targets < 1) return op_invalid(c, "n_targets must be positive");
  int64_t nb;
  t->base = te_floats(c, "base_values", "base_values_as_tensor", &nb);
  if (nb == -2) return -1;
  if (nb >= 0 && nb != t->n_targets)
    return op_invalid(c, "base_values has %lld values; n_targets is %lld", (long long)nb,
                      (long long)t->n_targets);
  t->has_base = nb >= 0;
  TeOld o;
  memset(&o, 0, sizeof o);
  int rc = te_old_nodes(c, &o);
  TeKey *k = rc ? NULL : te_keys(o.tree, o.id, o.n);
  int64_t *refs = rc ? NULL : te_alloc(o.n, sizeof(int64_t));
  if (!rc) rc = te_old_slots(c, &o, k, t, refs);
  if (!rc) rc = te_old_links(c, &o, k, t, refs);
  if (!rc) rc = te_old_weights(c, &o, k, t, refs);
  free(k);
  free(refs);
  free(o.mode);
  free(o.values);
  return rc;
}

static int infer_tree_regressor(OpCtx *c) {
  static const DType T[] = {DT_F32, DT_F64, DT_I64, DT_I32, DT_UNDEF};
  if (te_input(c, T)) return -1;
  TeTables t;
  memset(&t, 0, sizeof t);
  t.round_f32 = op_in(c, 0)->dtype != DT_F64;
  int rc = te_old_build(c, &t);
  if (!rc) rc = te_finish(c, &t, DT_F32);
  te_free(&t);
  return rc;
}

static int lower_tree(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  RtTreeEnsemble p = {x->dims[0], x->dims[1], y->dims[1], ml_type(x->dtype), y->dtype == DT_F64};
  KCall *k = kl_call(l, &K_TREE_ENSEMBLE);
  kc_i(k, "n", p.n);
  kc_i(k, "nf", p.nf);
  kc_i(k, "n_targets", p.n_targets);
  kc_i(k, "x_type", p.x_type);
  kc_i(k, "y_f64", p.y_f64);
  for (int i = 0; i < 3; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  k->scratch_bytes = rt_tree_scratch(&p);
  kc_end(k);
  return 0;
}

/* The tree ensembles take X; inputs 1 and 2 are the tables inference adds. */
const OpDef OPS_ML[] = {
    {"Binarizer", "ai.onnx.ml", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_binarizer, lower_binarizer},
    {"ArrayFeatureExtractor", "ai.onnx.ml", 1, 2, 2, 1, 1, OPL_KERNEL, 0, infer_extract,
     lower_extract},
    {"TreeEnsemble", "ai.onnx.ml", 5, 1, 3, 1, 1, OPL_KERNEL, 0, infer_tree_ensemble, lower_tree},
    {"TreeEnsembleRegressor", "ai.onnx.ml", 1, 1, 3, 1, 1, OPL_KERNEL, 0, infer_tree_regressor,
     lower_tree},
    {NULL},
};
