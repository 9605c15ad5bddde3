/* training.h - kernels of the optimizer ops of ai.onnx.preview.training
 * (training.c): one step of Adagrad, Adam or Momentum on one tensor.
 *
 * A node updates several tensors with the same learning rate r and update
 * count t: it runs one call per tensor (Adam: two, the moments first). x, g
 * and the accumulators (v, h) hold n elements of float32, or float64 if f64;
 * r is a float32 scalar, or float64 if r_f64; t is an int64 scalar. An output
 * pointer may be NULL (that output is not wanted). Arithmetic is in double;
 * results round once to the tensors' type. */
#ifndef RT_TRAINING_H
#define RT_TRAINING_H

#include "rt_kernels.h"

/* RtOptim.mode (Momentum) */
enum { RT_MOMENTUM_STANDARD = 0, RT_MOMENTUM_NESTEROV = 1 };

typedef struct RtOptim {
  int64_t n;
  int64_t f64, r_f64;
  int64_t mode;
  float norm_coefficient, norm_coefficient_post, decay_factor, epsilon, alpha, beta;
} RtOptim;

#ifndef RT_UNITY
/* Adagrad: lr = r / (1 + t decay_factor); gr = norm_coefficient x + g;
 * h_new = h + gr^2; x_new = x - lr gr / (sqrt(h_new) + epsilon). */
RT_API void rt_adagrad(const RtOptim *p, const void *r, const void *t, const void *x, const void *g,
                       const void *h, void *x_new, void *h_new);
/* Momentum: gr = norm_coefficient x + g; b = t > 0 ? beta : 1;
 * v_new = alpha v + b gr; x_new = x - r v_new (standard) or
 * x - r (gr + alpha v_new) (Nesterov). */
RT_API void rt_momentum(const RtOptim *p, const void *r, const void *t, const void *x,
                        const void *g, const void *v, void *x_new, void *v_new);
/* Adam, first call: gr = norm_coefficient x + g; v_new = alpha v + (1 - alpha) gr;
 * h_new = beta h + (1 - beta) gr^2. Where v_new or h_new is NULL (not an
 * output of the node) it goes to scratch (2 n elements: v_new, then h_new),
 * which the second call then reads. */
RT_API void rt_adam_moments(const RtOptim *p, const void *x, const void *g, const void *v,
                            const void *h, void *v_new, void *h_new, void *scratch);
/* Adam, second call (v_new, h_new from the first): lr = t > 0 ?
 * r sqrt(1 - beta^t) / (1 - alpha^t) : r;
 * x_new = (1 - norm_coefficient_post) (x - lr v_new / (sqrt(h_new) + epsilon)). */
RT_API void rt_adam_update(const RtOptim *p, const void *r, const void *t, const void *x,
                           const void *v_new, const void *h_new, void *x_new, const void *scratch);
#endif

#endif
