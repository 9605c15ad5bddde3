/* ml.c - Binarizer, ArrayFeatureExtractor and the tree ensembles of
 * ai.onnx.ml (see ml.h). */
#include <math.h>
#include <string.h>

#include "ml.h"

static double ml_load(const void *x, int64_t i, int64_t type) {
  switch (type) {
    case RT_ML_F64: return ((const double *)x)[i];
    case RT_ML_I32: return (double)((const int32_t *)x)[i];
    case RT_ML_I64: return (double)((const int64_t *)x)[i];
    default: return (double)((const float *)x)[i];
  }
}

RT_API void rt_binarizer(const RtBinarizer *p, const void *x, void *y) {
  double th = p->threshold;
  for (int64_t i = 0; i < p->n; i++) {
    int on = ml_load(x, i, p->type) > th;
    switch (p->type) {
      case RT_ML_F64: ((double *)y)[i] = on; break;
      case RT_ML_I32: ((int32_t *)y)[i] = on; break;
      case RT_ML_I64: ((int64_t *)y)[i] = on; break;
      default: ((float *)y)[i] = (float)on; break;
    }
  }
}

RT_API void rt_feature_extract(const RtFeatureExtract *p, const void *x, const int64_t *idx,
                               void *y) {
  const unsigned char *src = x;
  unsigned char *dst = y;
  size_t es = (size_t)p->esize;
  for (int64_t o = 0; o < p->outer; o++)
    for (int64_t j = 0; j < p->k; j++) {
      int64_t i = idx[j] < 0 ? idx[j] + p->f : idx[j];
      unsigned char *to = dst + (size_t)(o * p->k + j) * es;
      if (i >= 0 && i < p->f)
        memcpy(to, src + (size_t)(o * p->f + i) * es, es);
      else
        memset(to, 0, es);
    }
}

/* ---- tree ensembles ---- */

/* The tables' parts (ml.h). */
typedef struct TeView {
  const int64_t *roots, *nodes, *leaves, *targets;
  const double *splits, *members, *weights, *base;
  int64_t n_trees, n_nodes;
} TeView;

static TeView te_view(const int64_t *itab, const double *ftab) {
  TeView v;
  int64_t n_leaves = itab[2], n_weights = itab[3], n_members = itab[4];
  v.n_trees = itab[0];
  v.n_nodes = itab[1];
  v.roots = itab + RT_TE_HEADER;
  v.nodes = v.roots + v.n_trees;
  v.leaves = v.nodes + v.n_nodes * RT_TE_NODE_FIELDS;
  v.targets = v.leaves + 2 * n_leaves;
  v.splits = ftab;
  v.members = v.splits + v.n_nodes;
  v.weights = v.members + n_members;
  v.base = itab[7] ? v.weights + n_weights : NULL;
  return v;
}

/* Whether node nd sends feature value x to its true branch. */
static int te_true(const TeView *v, const int64_t *nd, double split, double x) {
  if (isnan(x) && nd[4]) return 1;
  switch (nd[1]) {
    case RT_TE_LEQ: return x <= split;
    case RT_TE_LT: return x < split;
    case RT_TE_GTE: return x >= split;
    case RT_TE_GT: return x > split;
    case RT_TE_EQ: return x == split;
    case RT_TE_NEQ: return x != split;
    default:
      for (int64_t m = nd[5]; m < nd[6]; m++)
        if (v->members[m] == x) return 1;
      return 0;
  }
}

/* The leaf tree t reaches for row x (gpuxc checked that the trees have no
 * cycles; the step bound only guards the loop). */
static int64_t te_leaf(const TeView *v, const RtTreeEnsemble *p, const void *x, int64_t row,
                       int64_t t) {
  int64_t r = v->roots[t];
  for (int64_t steps = 0; r >= 0 && steps <= v->n_nodes; steps++) {
    const int64_t *nd = v->nodes + r * RT_TE_NODE_FIELDS;
    double xv = ml_load(x, row * p->nf + nd[0], p->x_type);
    r = te_true(v, nd, v->splits[r], xv) ? nd[2] : nd[3];
  }
  return r < 0 ? -1 - r : -1;
}

/* PROBIT: sqrt(2) erfinv(2 v - 1) with Winitzki's approximation of erfinv
 * (a = 0.147), the one ONNX Runtime uses (it evaluates it in float32, which
 * loses digits near v = 0.5; this is the same formula in double). */
static double te_probit(double v) {
  double x = 2.0 * v - 1.0, sgn = x < 0 ? -1.0 : 1.0;
  x = (1.0 - x) * (1.0 + x);
  double lg = log(x), a = 2.0 / (3.14159265358979 * 0.147) + 0.5 * lg, b = 1.0 / 0.147 * lg;
  return 1.4142135623730951 * sgn * sqrt(-a + sqrt(a * a - b));
}

static double te_logistic(double v) {
  double e = 1.0 / (1.0 + exp(-fabs(v)));
  return v < 0 ? 1.0 - e : e;
}

static void te_softmax(double *s, int64_t n, int zero) {
  double mx = -INFINITY, sum = 0.0;
  for (int64_t j = 0; j < n; j++)
    if (s[j] > mx) mx = s[j];
  for (int64_t j = 0; j < n; j++) {
    if (zero && fabs(s[j]) <= 1e-7) {
      s[j] *= exp(-mx);
      continue;
    }
    s[j] = exp(s[j] - mx);
    sum += s[j];
  }
  for (int64_t j = 0; j < n; j++) s[j] /= sum;
}

static void te_post(int64_t post, double *s, int64_t n) {
  if (n == 1) {
    if (post == RT_TE_POST_PROBIT) s[0] = te_probit(s[0]);
    return;
  }
  switch (post) {
    case RT_TE_POST_PROBIT:
      for (int64_t j = 0; j < n; j++) s[j] = te_probit(s[j]);
      break;
    case RT_TE_POST_LOGISTIC:
      for (int64_t j = 0; j < n; j++) s[j] = te_logistic(s[j]);
      break;
    case RT_TE_POST_SOFTMAX: te_softmax(s, n, 0); break;
    case RT_TE_POST_SOFTMAX_ZERO: te_softmax(s, n, 1); break;
    default: break;
  }
}

/* Adds weight w to score s (has: whether s holds a value yet). */
static void te_aggregate(int64_t agg, double *s, double *has, double w) {
  if (agg == RT_TE_AGG_MIN)
    *s = !*has || w < *s ? w : *s;
  else if (agg == RT_TE_AGG_MAX)
    *s = !*has || w > *s ? w : *s;
  else
    *s += w;
  *has = 1.0;
}

RT_API int64_t rt_tree_scratch(const RtTreeEnsemble *p) {
  return 2 * p->n_targets * (int64_t)sizeof(double);
}

RT_API void rt_tree_ensemble(const RtTreeEnsemble *p, const void *x, const int64_t *itab,
                             const double *ftab, void *y, void *scratch) {
  TeView v = te_view(itab, ftab);
  int64_t nt = p->n_targets, agg = itab[5];
  double *score = scratch, *has = score + nt;
  for (int64_t row = 0; row < p->n; row++) {
    for (int64_t j = 0; j < nt; j++) score[j] = has[j] = 0.0;
    for (int64_t t = 0; t < v.n_trees; t++) {
      int64_t leaf = te_leaf(&v, p, x, row, t);
      if (leaf < 0) continue;
      for (int64_t w = v.leaves[2 * leaf]; w < v.leaves[2 * leaf + 1]; w++)
        te_aggregate(agg, &score[v.targets[w]], &has[v.targets[w]], v.weights[w]);
    }
    for (int64_t j = 0; j < nt; j++) {
      if (agg == RT_TE_AGG_AVERAGE) score[j] /= (double)v.n_trees;
      if (v.base) score[j] += v.base[j];
    }
    te_post(itab[6], score, nt);
    for (int64_t j = 0; j < nt; j++) {
      if (p->y_f64)
        ((double *)y)[row * nt + j] = score[j];
      else
        ((float *)y)[row * nt + j] = (float)score[j];
    }
  }
}
