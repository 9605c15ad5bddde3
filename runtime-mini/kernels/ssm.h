/* ssm.h - kernels of the sequence-mixing ops (ssm.c): LinearAttention,
 * CausalConvWithState and SwiGLU. Float32 (SwiGLU also float64); the 16-bit
 * floats are computed in float32 by the compiler's generic conversion. */
#ifndef RT_SSM_H
#define RT_SSM_H

#include "rt_kernels.h"

/* LinearAttention: a recurrence over the seq steps of each batch element and
 * key/value head h, on a state S [dk][dv] that starts as past[b, h] (zeros
 * if past is NULL). Operands, packed with the heads in the last dim:
 *   q [batch, seq, qh * dk], k [batch, seq, kvh * dk], v [batch, seq, kvh * dv]
 *   decay [batch, seq, kvh * dk] (decay_per_key) or [batch, seq, kvh]
 *   beta [batch, seq, beta_heads] (beta_heads is kvh, or 1 for all heads)
 *   past, state [batch, kvh, dk, dv]; y [batch, seq, qh * dv]
 * A step with key kt, value vt, decay gt (log space) and update rate bt:
 *   gated:  S = exp(gt) S (row i of S by exp(gt[i]), or all rows by exp(gt))
 *   delta:  vt = bt (vt - S^T kt)
 *   always: S = S + kt vt^T
 * then each query head j of the group h * qh / kvh .. (h + 1) * qh / kvh - 1
 * reads y[b, t, j] = scale * q[b, t, j]^T S. state gets the final S. */
typedef struct RtLinearAttention {
  int64_t batch, seq, qh, kvh, dk, dv;
  int64_t gated, delta, decay_per_key, beta_heads;
  float scale;
} RtLinearAttention;

/* CausalConvWithState: depthwise causal 1-D convolution of x [batch,
 * channels, len] with w [channels, 1, k]. Each channel's sequence is
 * extended on the left by its k - 1 carried values, past [batch, channels,
 * k - 1] (zeros if past is NULL): y[t] = bias + sum_j w[j] ext[t + j]
 * (bias 0 if NULL), then y * sigmoid(y) if silu. state [batch, channels,
 * k - 1] gets the last k - 1 values of ext. */
typedef struct RtCausalConv {
  int64_t batch, channels, len, k, silu;
} RtCausalConv;

/* SwiGLU: y[i] = a[i] sigmoid(alpha a[i]) b[i] for i < n, float32 or float64
 * (f64). */
typedef struct RtSwiGlu {
  int64_t n, f64;
  float alpha;
} RtSwiGlu;

#ifndef RT_UNITY
/* past may be NULL; decay unless gated, beta unless delta. */
RT_API void rt_linear_attention_f32(const RtLinearAttention *p, const float *q, const float *k,
                                    const float *v, const float *past, const float *decay,
                                    const float *beta, float *y, float *state);
/* bias and past may be NULL. */
RT_API void rt_causal_conv_f32(const RtCausalConv *p, const float *x, const float *w,
                               const float *bias, const float *past, float *y, float *state);
RT_API void rt_swiglu(const RtSwiGlu *p, const void *a, const void *b, void *y);
#endif

#endif
