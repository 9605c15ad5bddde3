/* attention.c - scaled dot product attention (ONNX Attention), its key and
 * value cache, RotaryEmbedding and TensorScatter.
 *
 * Attention works one (batch, query head) at a time, in blocks of up to
 * RT_ATTN_QBLOCK query rows: the block's scores (scale Q K^T, one GEMM per
 * key segment: the cached keys, then the new ones) go to the scratch, each
 * row gets its softcap, bias and softmax in place, and the probabilities
 * times V (again one GEMM per segment, the second accumulating) give the
 * block's output rows. The GEMMs read Q, K and V through strides, so 3-D
 * inputs need no transposes and grouped heads no copies. */
#include <math.h>
#include <string.h>

#include "attention.h"
#include "rt_sgemm.h"

/* One (batch, query head): where its operands start. */
typedef struct AttnHead {
  const float *q, *k, *v, *pk, *pv;
  const void *mask;
  int64_t mask_off; /* of the (batch, head) slice in the mask, elements */
  int64_t offset;   /* causal offset: keys before the first query */
  int64_t valid;    /* keys at or past this are padding */
} AttnHead;

RT_API int64_t rt_attention_scratch(const RtAttention *p) {
  int64_t rows = p->q_len < RT_ATTN_QBLOCK ? p->q_len : RT_ATTN_QBLOCK;
  return rows * (p->past_len + p->kv_len) * (int64_t)sizeof(float);
}

/* The additive bias of query i and key j: 0, the float mask's value or
 * -inf. */
static float attn_bias(const RtAttention *p, const AttnHead *hd, int64_t i, int64_t j) {
  int64_t rel = i + hd->offset - j; /* how far key j lies behind query i */
  int64_t off;
  if (j >= hd->valid) return -INFINITY;
  if (p->causal && rel < 0) return -INFINITY;
  if (p->window_left >= 0 && rel > p->window_left) return -INFINITY;
  if (p->window_right >= 0 && -rel > p->window_right) return -INFINITY;
  if (p->mask_kind == RT_ATTN_MASK_NONE) return 0.0f;
  if (j >= p->mask_len) return -INFINITY;
  off = hd->mask_off + i * p->mask_strides[2] + j * p->mask_strides[3];
  if (p->mask_kind == RT_ATTN_MASK_BOOL)
    return ((const unsigned char *)hd->mask)[off] ? 0.0f : -INFINITY;
  return ((const float *)hd->mask)[off];
}

/* Softmax of n scores in place; all -inf gives zeros. */
static void attn_softmax(float *x, int64_t n, int64_t f64) {
  float mx = -INFINITY, sum = 0.0f;
  int64_t j;
  for (j = 0; j < n; j++) mx = x[j] > mx ? x[j] : mx;
  if (mx == -INFINITY) {
    memset(x, 0, sizeof(float) * (size_t)n);
    return;
  }
  if (f64) {
    double dsum = 0.0;
    for (j = 0; j < n; j++) dsum += exp((double)x[j] - (double)mx);
    for (j = 0; j < n; j++) x[j] = (float)(exp((double)x[j] - (double)mx) / dsum);
    return;
  }
  for (j = 0; j < n; j++) {
    x[j] = expf(x[j] - mx);
    sum += x[j];
  }
  for (j = 0; j < n; j++) x[j] /= sum;
}

/* Query i's scores (row, total long) become probabilities; out (NULL for
 * Y) receives the stage p->out_kind asks for. */
static void attn_row(const RtAttention *p, const AttnHead *hd, int64_t i, float *row, float *out) {
  int64_t t = p->past_len + p->kv_len, j, any = 0;
  size_t bytes = sizeof(float) * (size_t)t;
  if (p->out_kind == RT_ATTN_QK) {
    memcpy(out, row, bytes);
    return;
  }
  if (p->softcap > 0.0f)
    for (j = 0; j < t; j++) row[j] = p->softcap * tanhf(row[j] / p->softcap);
  if (p->out_kind == RT_ATTN_SOFTCAP) {
    memcpy(out, row, bytes);
    return;
  }
  for (j = 0; j < t; j++) {
    float b = attn_bias(p, hd, i, j);
    if (b == -INFINITY) {
      row[j] = -INFINITY;
    } else {
      row[j] += b;
      any = 1;
    }
  }
  if (p->out_kind == RT_ATTN_BIAS) {
    memcpy(out, row, bytes);
    return;
  }
  if (any)
    attn_softmax(row, t, p->softmax_f64);
  else
    memset(row, 0, bytes); /* no key allowed: a zero row, not NaN */
  if (p->out_kind == RT_ATTN_PROBS) memcpy(out, row, bytes);
}

/* s[rows][total] = scale * Q[i0 .. i0+rows] K^T, cached keys first. */
static void attn_scores(const RtAttention *p, const AttnHead *hd, int64_t i0, int64_t rows,
                        float *s) {
  int64_t t = p->past_len + p->kv_len, qs = p->q_strides[2];
  const float *qa = hd->q + i0 * qs;
  SgemmArgs g;
  if (p->past_len > 0) {
    g = sgemm_args(rows, p->past_len, p->head_dim, qa, qs, 1, hd->pk, 1, p->head_dim, s);
    g.ldc = t, g.alpha = p->scale;
    sgemm(&g);
  }
  if (p->kv_len > 0) {
    g = sgemm_args(rows, p->kv_len, p->head_dim, qa, qs, 1, hd->k, 1, p->k_strides[2],
                   s + p->past_len);
    g.ldc = t, g.alpha = p->scale;
    sgemm(&g);
  }
}

/* Y[i0 .. i0+rows] = s V, cached values first. */
static void attn_values(const RtAttention *p, const AttnHead *hd, int64_t i0, int64_t rows,
                        const float *s, float *y) {
  int64_t t = p->past_len + p->kv_len, ys = p->out_strides[2];
  int acc = 0;
  SgemmArgs g;
  if (p->past_len > 0) {
    g = sgemm_args(rows, p->v_dim, p->past_len, s, t, 1, hd->pv, p->v_dim, 1, y + i0 * ys);
    g.ldc = ys;
    sgemm(&g);
    acc = 1;
  }
  if (p->kv_len > 0 || !acc) {
    g = sgemm_args(rows, p->v_dim, p->kv_len, s + p->past_len, t, 1, hd->v, p->v_strides[2], 1,
                   y + i0 * ys);
    g.ldc = ys, g.accumulate = acc;
    sgemm(&g);
  }
}

/* Where (batch b, query head h) starts in every operand. */
static void attn_head(const RtAttention *p, const float *q, const float *k, const float *v,
                      const float *pk, const float *pv, int64_t b, int64_t h, AttnHead *hd) {
  int64_t hk = h / (p->q_heads / p->kv_heads);
  hd->q = q + b * p->q_strides[0] + h * p->q_strides[1];
  hd->k = k + b * p->k_strides[0] + hk * p->k_strides[1];
  hd->v = v + b * p->v_strides[0] + hk * p->v_strides[1];
  hd->pk = pk ? pk + (b * p->kv_heads + hk) * p->past_len * p->head_dim : NULL;
  hd->pv = pv ? pv + (b * p->kv_heads + hk) * p->past_len * p->v_dim : NULL;
  hd->mask_off = b * p->mask_strides[0] + h * p->mask_strides[1];
}

/* No keys at all: Y is zero and so is every score matrix (it is empty). */
static void attn_no_keys(const RtAttention *p, float *out) {
  int64_t b, h, i;
  if (p->out_kind != RT_ATTN_Y) return;
  for (b = 0; b < p->batch; b++)
    for (h = 0; h < p->q_heads; h++)
      for (i = 0; i < p->q_len; i++)
        memset(out + b * p->out_strides[0] + h * p->out_strides[1] + i * p->out_strides[2], 0,
               sizeof(float) * (size_t)p->v_dim);
}

static void attn_run(const RtAttention *p, const float *q, const float *k, const float *v,
                     const float *pk, const float *pv, const int64_t *nonpad, const void *mask,
                     float *out, float *s) {
  int64_t t = p->past_len + p->kv_len, b, h, i0, r;
  AttnHead hd;
  if (t == 0) {
    attn_no_keys(p, out);
    return;
  }
  hd.mask = mask;
  for (b = 0; b < p->batch; b++) {
    hd.offset = nonpad ? nonpad[b] - p->q_len : p->past_len;
    hd.valid = nonpad ? nonpad[b] : t;
    for (h = 0; h < p->q_heads; h++) {
      float *qk = p->out_kind == RT_ATTN_Y ? NULL : out + (b * p->q_heads + h) * p->q_len * t;
      attn_head(p, q, k, v, pk, pv, b, h, &hd);
      for (i0 = 0; i0 < p->q_len; i0 += RT_ATTN_QBLOCK) {
        int64_t rows = p->q_len - i0 < RT_ATTN_QBLOCK ? p->q_len - i0 : RT_ATTN_QBLOCK;
        attn_scores(p, &hd, i0, rows, s);
        for (r = 0; r < rows; r++)
          attn_row(p, &hd, i0 + r, s + r * t, qk ? qk + (i0 + r) * t : NULL);
        if (p->out_kind == RT_ATTN_Y)
          attn_values(p, &hd, i0, rows, s, out + b * p->out_strides[0] + h * p->out_strides[1]);
      }
    }
  }
}

RT_API void rt_attention_f32(const RtAttention *p, const float *q, const float *k, const float *v,
                             const float *past_k, const float *past_v, const void *mask, float *out,
                             float *scratch) {
  attn_run(p, q, k, v, past_k, past_v, NULL, mask, out, scratch);
}

RT_API void rt_attention_nonpad_f32(const RtAttention *p, const float *q, const float *k,
                                    const float *v, const int64_t *nonpad, const void *mask,
                                    float *out, float *scratch) {
  attn_run(p, q, k, v, NULL, NULL, nonpad, mask, out, scratch);
}

RT_API void rt_attention_cache_f32(const RtAttnCache *p, const float *past, const float *x,
                                   float *y) {
  int64_t b, h, s, tot = p->past_len + p->len;
  size_t row = sizeof(float) * (size_t)p->dim;
  for (b = 0; b < p->batch; b++) {
    for (h = 0; h < p->heads; h++) {
      int64_t bh = b * p->heads + h;
      float *dst = y + bh * tot * p->dim;
      if (p->past_len > 0) memcpy(dst, past + bh * p->past_len * p->dim, row * (size_t)p->past_len);
      for (s = 0; s < p->len; s++)
        memcpy(dst + (p->past_len + s) * p->dim,
               x + b * p->x_strides[0] + h * p->x_strides[1] + s * p->x_strides[2], row);
    }
  }
}

/* One head vector rotated by (c, sn), both rot_dim / 2 long. */
static void rope_head(const RtRotary *p, const float *x, const float *c, const float *sn,
                      float *y) {
  int64_t i, half = p->rot_dim / 2;
  for (i = 0; i < half; i++) {
    int64_t a = p->interleaved ? 2 * i : i, b = p->interleaved ? 2 * i + 1 : i + half;
    float x1 = x[a], x2 = x[b];
    y[a] = c[i] * x1 - sn[i] * x2;
    y[b] = sn[i] * x1 + c[i] * x2;
  }
  for (i = p->rot_dim; i < p->head_dim; i++) y[i] = x[i];
}

RT_API void rt_rotary_f32(const RtRotary *p, const float *x, const float *cos_cache,
                          const float *sin_cache, const int64_t *pos, float *y) {
  int64_t b, s, h, half = p->rot_dim / 2;
  for (b = 0; b < p->batch; b++) {
    for (s = 0; s < p->seq; s++) {
      int64_t off = b * p->cache_bs + s * p->cache_ss, ok = 1;
      if (p->has_pos) {
        int64_t r = pos[b * p->seq + s];
        if (r < 0) r += p->cache_rows;
        ok = r >= 0 && r < p->cache_rows;
        off = r * half;
      }
      for (h = 0; h < p->heads; h++) {
        int64_t at = b * p->strides[0] + h * p->strides[1] + s * p->strides[2], i;
        if (ok) {
          rope_head(p, x + at, cos_cache + off, sin_cache + off, y + at);
        } else {
          for (i = 0; i < p->head_dim; i++) y[at + i] = x[at + i];
        }
      }
    }
  }
}

RT_API void rt_tensor_scatter(const RtTensorScatter *p, const void *past, const void *update,
                              const int64_t *idx, void *y) {
  size_t row = (size_t)(p->inner * p->elem);
  const char *src = (const char *)update;
  char *dst = (char *)y;
  int64_t b, m, s;
  if (y != past) memcpy(y, past, row * (size_t)(p->batch * p->mid * p->max_len));
  if (p->max_len <= 0) return;
  for (b = 0; b < p->batch; b++) {
    int64_t w = idx ? idx[b] : 0;
    for (m = 0; m < p->mid; m++) {
      int64_t base = b * p->mid + m;
      for (s = 0; s < p->len; s++) {
        int64_t r = w + s;
        if (p->circular) {
          r %= p->max_len;
          if (r < 0) r += p->max_len;
        } else if (r < 0 || r >= p->max_len) {
          continue;
        }
        memcpy(dst + (base * p->max_len + r) * (int64_t)row,
               src + (base * p->len + s) * (int64_t)row, row);
      }
    }
  }
}
