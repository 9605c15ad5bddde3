/* loss.h - kernels of the loss ops (loss.c): NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss. */
#ifndef RT_LOSS_H
#define RT_LOSS_H

#include "rt_kernels.h"

/* RtLoss.reduction */
enum { RT_LOSS_NONE = 0, RT_LOSS_SUM = 1, RT_LOSS_MEAN = 2 };

/* x: [n, c, inner] (float32, or float64 if f64); target: [n, inner] (int64,
 * or int32 if idx_i32); weight: [c] of x's type, or NULL for all ones.
 * Element j with class t = target[j] has weight 0 and loss 0 if has_ignore
 * and t == ignore_index; otherwise t in [-c, 0) counts from the end (as the
 * Gather of ONNX's function body does), weight w = weight[t] and loss
 * -w * x[i, t, d]; a t still outside [0, c) gives NaN for both.
 * reduction NONE: y [n, inner]; SUM: y[0] = the sum of the losses; MEAN:
 * y[0] = that sum / the sum of the weights (0 / 0 = NaN when all are ignored).
 * Sums are taken in double.
 * rt_softmax_cross_entropy uses log_softmax(x) over the c axis in place of x
 * and writes it to log_prob ([n, c, inner]) unless that is NULL. */
typedef struct RtLoss {
  int64_t n, c, inner;
  int64_t reduction;
  int64_t has_ignore, ignore_index;
  int64_t f64, idx_i32;
} RtLoss;

#ifndef RT_UNITY
RT_API void rt_nll_loss(const RtLoss *p, const void *x, const void *target, const void *weight,
                        void *y);
RT_API void rt_softmax_cross_entropy(const RtLoss *p, const void *x, const void *target,
                                     const void *weight, void *y, void *log_prob);
#endif

#endif
