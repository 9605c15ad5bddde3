/* training.c - Adagrad, Momentum and Adam on float32 or float64 tensors,
 * element by element in double (see training.h). */
#include <math.h>

#include "training.h"

static double opt_load(const void *p, int64_t i, int64_t f64) {
  return f64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

static void opt_store(void *p, int64_t i, double v, int64_t f64) {
  if (!p) return;
  if (f64)
    ((double *)p)[i] = v;
  else
    ((float *)p)[i] = (float)v;
}

/* The learning rate and update count, scalars of the node. */
static double opt_rate(const RtOptim *p, const void *r) { return opt_load(r, 0, p->r_f64); }
static int64_t opt_count(const void *t) { return ((const int64_t *)t)[0]; }

RT_API void rt_adagrad(const RtOptim *p, const void *r, const void *t, const void *x, const void *g,
                       const void *h, void *x_new, void *h_new) {
  double lr = opt_rate(p, r) / (1.0 + (double)opt_count(t) * (double)p->decay_factor);
  for (int64_t i = 0; i < p->n; i++) {
    double xi = opt_load(x, i, p->f64);
    double gr = (double)p->norm_coefficient * xi + opt_load(g, i, p->f64);
    double hn = opt_load(h, i, p->f64) + gr * gr;
    opt_store(h_new, i, hn, p->f64);
    opt_store(x_new, i, xi - lr * gr / (sqrt(hn) + (double)p->epsilon), p->f64);
  }
}

RT_API void rt_momentum(const RtOptim *p, const void *r, const void *t, const void *x,
                        const void *g, const void *v, void *x_new, void *v_new) {
  double lr = opt_rate(p, r), alpha = p->alpha;
  double beta = opt_count(t) > 0 ? (double)p->beta : 1.0;
  for (int64_t i = 0; i < p->n; i++) {
    double xi = opt_load(x, i, p->f64);
    double gr = (double)p->norm_coefficient * xi + opt_load(g, i, p->f64);
    double vn = alpha * opt_load(v, i, p->f64) + beta * gr;
    double step = p->mode == RT_MOMENTUM_NESTEROV ? gr + alpha * vn : vn;
    opt_store(v_new, i, vn, p->f64);
    opt_store(x_new, i, xi - lr * step, p->f64);
  }
}

/* Adam's moments in scratch where they are not outputs: v_new first, then h_new. */
static void *adam_moment(const RtOptim *p, const void *out, const void *scratch, int which) {
  if (out) return (void *)(uintptr_t)out;
  return (char *)(uintptr_t)scratch + (size_t)(which * p->n) * (p->f64 ? 8u : 4u);
}

RT_API void rt_adam_moments(const RtOptim *p, const void *x, const void *g, const void *v,
                            const void *h, void *v_new, void *h_new, void *scratch) {
  v_new = adam_moment(p, v_new, scratch, 0);
  h_new = adam_moment(p, h_new, scratch, 1);
  double alpha = p->alpha, beta = p->beta;
  for (int64_t i = 0; i < p->n; i++) {
    double gr = (double)p->norm_coefficient * opt_load(x, i, p->f64) + opt_load(g, i, p->f64);
    opt_store(v_new, i, alpha * opt_load(v, i, p->f64) + (1.0 - alpha) * gr, p->f64);
    opt_store(h_new, i, beta * opt_load(h, i, p->f64) + (1.0 - beta) * gr * gr, p->f64);
  }
}

RT_API void rt_adam_update(const RtOptim *p, const void *r, const void *t, const void *x,
                           const void *v_new, const void *h_new, void *x_new, const void *scratch) {
  if (!x_new) return;
  v_new = adam_moment(p, v_new, scratch, 0);
  h_new = adam_moment(p, h_new, scratch, 1);
  double lr = opt_rate(p, r);
  int64_t count = opt_count(t);
  if (count > 0)
    lr = lr * sqrt(1.0 - pow((double)p->beta, (double)count)) /
         (1.0 - pow((double)p->alpha, (double)count));
  double post = 1.0 - (double)p->norm_coefficient_post;
  for (int64_t i = 0; i < p->n; i++) {
    double hs = sqrt(opt_load(h_new, i, p->f64)) + (double)p->epsilon;
    double xn = opt_load(x, i, p->f64) - lr * (opt_load(v_new, i, p->f64) / hs);
    opt_store(x_new, i, post * xn, p->f64);
  }
}
