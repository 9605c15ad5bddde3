/* ssm.c - LinearAttention, CausalConvWithState and SwiGLU (see ssm.h).
 *
 * LinearAttention runs the recurrence token by token, one batch element and
 * key/value head at a time, so the head's state [dk][dv] stays in cache
 * while its steps run and every query head of its group reads it in place
 * (GQA/MQA need no copy of the state). The inner loops run along dv, over
 * contiguous rows of the state; the delta rule's corrected value row is kept
 * in an output row not yet written, so no scratch is needed. File-local
 * helpers are prefixed ssm_. */
#include <math.h>
#include <string.h>

#include "rt_scalar.h"
#include "ssm.h"

/* The step's first pass over s [dk][dv], one row at a time: the decay
 * s = exp(g) s if g is not NULL (row i by exp(g[i]) if per_key, all rows by
 * exp(g[0]) if not), then the delta rule's u [dv] = beta (v - s^T k) if u
 * is not NULL. */
static void ssm_decay_delta(float *restrict s, const float *restrict g, int64_t per_key,
                            const float *restrict k, const float *restrict v, float beta,
                            float *restrict u, int64_t dk, int64_t dv) {
  int64_t i, m;
  float f = g && !per_key ? expf(g[0]) : 1.0f;
  if (u)
    for (m = 0; m < dv; m++) u[m] = 0.0f;
  for (i = 0; i < dk; i++) {
    float *row = s + i * dv;
    if (g && per_key) f = expf(g[i]);
    if (g)
      for (m = 0; m < dv; m++) row[m] *= f;
    if (u)
      for (m = 0; m < dv; m++) u[m] += row[m] * k[i];
  }
  if (u)
    for (m = 0; m < dv; m++) u[m] = beta * (v[m] - u[m]);
}

/* s [dk][dv] += k u^T. */
static void ssm_write(float *restrict s, const float *restrict k, const float *restrict u,
                      int64_t dk, int64_t dv) {
  int64_t i, m;
  for (i = 0; i < dk; i++) {
    float *row = s + i * dv;
    float ki = k[i];
    for (m = 0; m < dv; m++) row[m] += ki * u[m];
  }
}

/* y [dv] = scale q^T s. */
static void ssm_read(const float *restrict s, const float *restrict q, float scale,
                     float *restrict y, int64_t dk, int64_t dv) {
  int64_t i, m;
  for (m = 0; m < dv; m++) y[m] = 0.0f;
  for (i = 0; i < dk; i++) {
    const float *row = s + i * dv;
    float qi = q[i];
    for (m = 0; m < dv; m++) y[m] += qi * row[m];
  }
  for (m = 0; m < dv; m++) y[m] *= scale;
}

/* The steps of batch element b and key/value head h on the state s. */
static void ssm_head(const RtLinearAttention *p, int64_t b, int64_t h, const float *q,
                     const float *k, const float *v, const float *decay, const float *beta,
                     float *y, float *s) {
  int64_t dk = p->dk, dv = p->dv, group = p->qh / p->kvh, t, j;
  for (t = 0; t < p->seq; t++) {
    int64_t row = b * p->seq + t, kv = row * p->kvh + h;
    const float *kt = k + kv * dk, *vt = v + kv * dv;
    /* The corrected value row waits in the output row of the group's first
     * query head, which is written only after the state update. */
    float *u = y + (row * p->qh + h * group) * dv;
    const float *gt = p->gated ? decay + (p->decay_per_key ? kv * dk : kv) : NULL;
    float bt = p->delta ? beta[row * p->beta_heads + (p->beta_heads == 1 ? 0 : h)] : 0.0f;
    if (p->gated || p->delta)
      ssm_decay_delta(s, gt, p->decay_per_key, kt, vt, bt, p->delta ? u : NULL, dk, dv);
    ssm_write(s, kt, p->delta ? u : vt, dk, dv);
    for (j = h * group; j < (h + 1) * group; j++)
      ssm_read(s, q + (row * p->qh + j) * dk, p->scale, y + (row * p->qh + j) * dv, dk, dv);
  }
}

RT_API void rt_linear_attention_f32(const RtLinearAttention *p, const float *q, const float *k,
                                    const float *v, const float *past, const float *decay,
                                    const float *beta, float *y, float *state) {
  int64_t hs = p->dk * p->dv, b, h;
  for (b = 0; b < p->batch; b++) {
    for (h = 0; h < p->kvh; h++) {
      int64_t at = (b * p->kvh + h) * hs;
      float *s = state + at;
      if (hs > 0 && past)
        memcpy(s, past + at, (size_t)hs * sizeof(float));
      else if (hs > 0)
        memset(s, 0, (size_t)hs * sizeof(float));
      ssm_head(p, b, h, q, k, v, decay, beta, y, s);
    }
  }
}

/* Element i of a channel's extended sequence: past[i] for i < k - 1 (0
 * without past), then x[i - (k - 1)]. */
static float ssm_ext(const float *past, const float *x, int64_t k, int64_t i) {
  if (i >= k - 1) return x[i - (k - 1)];
  return past ? past[i] : 0.0f;
}

RT_API void rt_causal_conv_f32(const RtCausalConv *p, const float *x, const float *w,
                               const float *bias, const float *past, float *y, float *state) {
  int64_t k = p->k, len = p->len, ch, t, j;
  for (ch = 0; ch < p->batch * p->channels; ch++) {
    int64_t c = ch % p->channels;
    const float *xs = x + ch * len, *wc = w + c * k;
    const float *ps = past ? past + ch * (k - 1) : NULL;
    float *ys = y + ch * len, b0 = bias ? bias[c] : 0.0f;
    for (t = 0; t < len; t++) {
      float acc = b0;
      if (t >= k - 1) {
        const float *xw = xs + t - (k - 1);
        for (j = 0; j < k; j++) acc += wc[j] * xw[j];
      } else {
        for (j = 0; j < k; j++) acc += wc[j] * ssm_ext(ps, xs, k, t + j);
      }
      ys[t] = p->silu ? rt_swish_f32(acc, 1.0f) : acc;
    }
    for (j = 0; j < k - 1; j++) state[ch * (k - 1) + j] = ssm_ext(ps, xs, k, len + j);
  }
}

RT_API void rt_swiglu(const RtSwiGlu *p, const void *a, const void *b, void *y) {
  int64_t i;
  if (p->f64) {
    const double *a8 = (const double *)a, *b8 = (const double *)b;
    double *y8 = (double *)y;
    for (i = 0; i < p->n; i++) y8[i] = rt_swish_f64(a8[i], p->alpha) * b8[i];
  } else {
    const float *a4 = (const float *)a, *b4 = (const float *)b;
    float *y4 = (float *)y;
    for (i = 0; i < p->n; i++) y4[i] = rt_swish_f32(a4[i], p->alpha) * b4[i];
  }
}
