/* ml.h - kernels of the ai.onnx.ml ops (ml.c): Binarizer,
 * ArrayFeatureExtractor and the tree ensembles (TreeEnsemble,
 * TreeEnsembleRegressor). */
#ifndef RT_ML_H
#define RT_ML_H

#include "rt_kernels.h"

/* Element types of the inputs these kernels read. */
enum { RT_ML_F32 = 0, RT_ML_F64 = 1, RT_ML_I32 = 2, RT_ML_I64 = 3 };

/* Binarizer: y[i] = x[i] > threshold ? 1 : 0 (NaN gives 0), compared in
 * double; x and y of type `type` (RT_ML_*), n elements. */
typedef struct RtBinarizer {
  int64_t n, type;
  float threshold;
} RtBinarizer;

/* ArrayFeatureExtractor: x [outer, f] of esize-byte elements, idx k int64
 * indices into the last axis, y [outer, k]. An index in [-f, 0) counts from
 * the end; one still outside [0, f) gives a zeroed element. */
typedef struct RtFeatureExtract {
  int64_t outer, f, k, esize;
} RtFeatureExtract;

/* ---- tree ensembles ----
 * The trees are two constant tables gpuxc builds from the node's attributes.
 * A reference to a tree element is a node index r >= 0, or the leaf -1 - r.
 * itab (int64):
 *   header  RT_TE_HEADER values: n_trees, n_nodes, n_leaves, n_weights,
 *           n_members, aggregate (RT_TE_AGG_*), post_transform (RT_TE_POST_*),
 *           has_base
 *   roots   n_trees references
 *   nodes   n_nodes x RT_TE_NODE_FIELDS: feature, mode (RT_TE_*), true
 *           reference, false reference, missing_true (a NaN feature takes
 *           the true branch), first and end member (BRANCH_MEMBER)
 *   leaves  n_leaves x 2: first and end weight
 *   targets n_weights: the target of each weight
 * ftab (double): splits [n_nodes], members [n_members], weights [n_weights],
 * then base values [n_targets] if has_base.
 * A node goes to its true branch if (x mode split) holds, or if x is NaN and
 * missing_true. Per row, each tree adds its leaf's weights to their targets:
 * SUM or AVERAGE (the sum / n_trees) or MIN / MAX (targets no leaf reaches
 * get 0), then the base values, then post_transform: with one target only
 * PROBIT applies; with more, each of PROBIT and LOGISTIC per value, SOFTMAX and
 * SOFTMAX_ZERO (exp of the non-zero values only) per row, as ONNX Runtime
 * does. PROBIT is sqrt(2) erfinv(2 v - 1) with Winitzki's approximation of
 * erfinv. x: [n, nf] of type x_type (RT_ML_*); y: [n, n_targets], float64 if
 * y_f64 else float32. scratch: rt_tree_scratch bytes. */
enum { RT_TE_HEADER = 8, RT_TE_NODE_FIELDS = 7 };
enum {
  RT_TE_LEQ = 0,
  RT_TE_LT = 1,
  RT_TE_GTE = 2,
  RT_TE_GT = 3,
  RT_TE_EQ = 4,
  RT_TE_NEQ = 5,
  RT_TE_MEMBER = 6
};
enum { RT_TE_AGG_AVERAGE = 0, RT_TE_AGG_SUM = 1, RT_TE_AGG_MIN = 2, RT_TE_AGG_MAX = 3 };
enum {
  RT_TE_POST_NONE = 0,
  RT_TE_POST_SOFTMAX = 1,
  RT_TE_POST_LOGISTIC = 2,
  RT_TE_POST_SOFTMAX_ZERO = 3,
  RT_TE_POST_PROBIT = 4
};

typedef struct RtTreeEnsemble {
  int64_t n, nf, n_targets;
  int64_t x_type, y_f64;
} RtTreeEnsemble;

#ifndef RT_UNITY
RT_API void rt_binarizer(const RtBinarizer *p, const void *x, void *y);
RT_API void rt_feature_extract(const RtFeatureExtract *p, const void *x, const int64_t *idx,
                               void *y);
RT_API int64_t rt_tree_scratch(const RtTreeEnsemble *p);
RT_API void rt_tree_ensemble(const RtTreeEnsemble *p, const void *x, const int64_t *itab,
                             const double *ftab, void *y, void *scratch);
#endif

#endif
