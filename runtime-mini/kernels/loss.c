/* loss.c - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss over
 * float32 or float64, with int64 or int32 targets. One loop serves both: the
 * cross-entropy subtracts each position's log-sum-exp over the classes from
 * x first. Arithmetic is in double. */
#include <math.h>

#include "loss.h"

static double loss_load(const void *x, int64_t i, int64_t f64) {
  return f64 ? ((const double *)x)[i] : (double)((const float *)x)[i];
}

static void loss_store(void *y, int64_t i, double v, int64_t f64) {
  if (f64)
    ((double *)y)[i] = v;
  else
    ((float *)y)[i] = (float)v;
}

/* The class of element j: -1 if ignored, -2 if out of range. */
static int64_t loss_class(const RtLoss *p, const void *target, int64_t j) {
  int64_t t = p->idx_i32 ? (int64_t)((const int32_t *)target)[j] : ((const int64_t *)target)[j];
  if (p->has_ignore && t == p->ignore_index) return -1;
  if (t < 0) t += p->c;
  return t >= 0 && t < p->c ? t : -2;
}

/* log(sum(exp(x))) over the c classes of the position at x[base] (classes
 * inner apart); writes x - that to log_prob unless it is NULL. */
static double loss_log_sum_exp(const RtLoss *p, const void *x, int64_t base, void *log_prob) {
  double mx = -INFINITY, sum = 0.0;
  for (int64_t k = 0; k < p->c; k++) {
    double v = loss_load(x, base + k * p->inner, p->f64);
    if (v > mx || isnan(v)) mx = v;
  }
  for (int64_t k = 0; k < p->c; k++) sum += exp(loss_load(x, base + k * p->inner, p->f64) - mx);
  double lse = mx + log(sum);
  if (log_prob)
    for (int64_t k = 0; k < p->c; k++) {
      int64_t at = base + k * p->inner;
      loss_store(log_prob, at, loss_load(x, at, p->f64) - lse, p->f64);
    }
  return lse;
}

static void loss_run(const RtLoss *p, const void *x, const void *target, const void *weight,
                     void *y, void *log_prob, int softmax) {
  double sum = 0.0, wsum = 0.0;
  for (int64_t i = 0; i < p->n; i++) {
    for (int64_t d = 0; d < p->inner; d++) {
      int64_t base = i * p->c * p->inner + d, j = i * p->inner + d;
      double lse = softmax ? loss_log_sum_exp(p, x, base, log_prob) : 0.0;
      int64_t t = loss_class(p, target, j);
      double w = 0.0, l = 0.0;
      if (t >= 0) {
        w = weight ? loss_load(weight, t, p->f64) : 1.0;
        l = -w * (loss_load(x, base + t * p->inner, p->f64) - lse);
      } else if (t == -2) {
        w = l = NAN;
      }
      if (p->reduction == RT_LOSS_NONE) loss_store(y, j, l, p->f64);
      sum += l;
      wsum += w;
    }
  }
  if (p->reduction == RT_LOSS_SUM) loss_store(y, 0, sum, p->f64);
  if (p->reduction == RT_LOSS_MEAN) loss_store(y, 0, sum / wsum, p->f64);
}

RT_API void rt_nll_loss(const RtLoss *p, const void *x, const void *target, const void *weight,
                        void *y) {
  loss_run(p, x, target, weight, y, NULL, 0);
}

RT_API void rt_softmax_cross_entropy(const RtLoss *p, const void *x, const void *target,
                                     const void *weight, void *y, void *log_prob) {
  loss_run(p, x, target, weight, y, log_prob, 1);
}
