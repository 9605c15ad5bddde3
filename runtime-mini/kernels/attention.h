/* attention.h - kernels of the attention family (attention.c): scaled dot
 * product attention, its key/value cache, rotary embeddings and the cache
 * update of TensorScatter. */
#ifndef RT_ATTENTION_H
#define RT_ATTENTION_H

#include "rt_kernels.h"

/* What an attention call writes to its output operand. */
enum {
  RT_ATTN_Y = 0,       /* softmax(scores) V: [batch, q_heads, q_len, v_dim] by out_strides */
  RT_ATTN_QK = 1,      /* scale Q K^T: [batch, q_heads, q_len, total] contiguous */
  RT_ATTN_SOFTCAP = 2, /* after the softcap */
  RT_ATTN_BIAS = 3,    /* after the softcap and the mask */
  RT_ATTN_PROBS = 4    /* the softmax (a fully masked row is zero) */
};

/* Mask kinds. */
enum { RT_ATTN_MASK_NONE = 0, RT_ATTN_MASK_BOOL = 1, RT_ATTN_MASK_FLOAT = 2 };

/* Scaled dot product attention, float32.
 *
 * Query head h reads key/value head h / (q_heads / kv_heads). The keys of a
 * query are the past_len cached ones (past_k: [batch, kv_heads, past_len,
 * head_dim], past_v likewise with v_dim, both contiguous) followed by the
 * kv_len new ones: total = past_len + kv_len. q, k, v and Y are addressed by
 * strides in elements for (batch, head, sequence); the head vector itself is
 * contiguous. So 3-D [batch, seq, heads * dim] and 4-D [batch, heads, seq,
 * dim] tensors need no transposes.
 *
 * Score s = scale * q.k (scale is already the product of the two rounded
 * square roots ONNX applies to Q and K), then c * tanh(s / c) if softcap
 * c > 0, then the bias: the mask (bool: false gives -inf; float: added;
 * key positions at or past mask_len give -inf; mask_strides are for (batch,
 * q head, query, key), 0 where it broadcasts), and -inf where a key is not
 * allowed: causal (j > i + offset), outside the window (i + offset - j >
 * window_left or j - i - offset > window_right, -1 = unbounded) or, with
 * nonpad lengths, j >= nonpad[b]. The offset is past_len, or nonpad[b] -
 * q_len with nonpad. A row whose bias is -inf everywhere gets zero
 * probabilities. The softmax runs in double if softmax_f64.
 *
 * scratch: rt_attention_scratch(p) bytes. */
typedef struct RtAttention {
  int64_t batch, q_heads, kv_heads, q_len, kv_len, past_len, head_dim, v_dim;
  int64_t q_strides[3], k_strides[3], v_strides[3], out_strides[3];
  int64_t mask_kind, mask_len;
  int64_t mask_strides[4];
  int64_t causal, window_left, window_right;
  float scale, softcap;
  int64_t softmax_f64, out_kind;
} RtAttention;

/* Query rows per block: the scratch holds one block of scores. */
#define RT_ATTN_QBLOCK 64

/* Copies past [batch, heads, past_len, dim] (contiguous; NULL if past_len
 * is 0) and then x (len rows per head, by strides for batch, head and
 * sequence) into y [batch, heads, past_len + len, dim]. */
typedef struct RtAttnCache {
  int64_t batch, heads, past_len, len, dim;
  int64_t x_strides[3];
} RtAttnCache;

/* RotaryEmbedding of x into y, both of one layout: strides for batch, head
 * and sequence, each head vector of head_dim contiguous (3-D [batch, seq,
 * heads * head_dim] or 4-D [batch, heads, seq, head_dim]). The first
 * rot_dim elements of a head
 * rotate in pairs (interleaved: (2i, 2i+1); otherwise (i, i + rot_dim/2))
 * by the angle whose cos and sin sit at row r of the caches, each row
 * rot_dim/2 long: r = pos[b * seq + s] with position ids (negative counts
 * from the end of cache_rows; a row still outside leaves the head
 * unrotated), else the caches are [batch, seq, rot_dim/2] read with strides
 * cache_bs and cache_ss. */
typedef struct RtRotary {
  int64_t batch, heads, seq, head_dim, rot_dim, interleaved;
  int64_t strides[3];
  int64_t has_pos, cache_rows, cache_bs, cache_ss;
} RtRotary;

/* TensorScatter: y = past ([batch, mid, max_len, inner] of elem-byte
 * elements), then row s of update ([batch, mid, len, inner]) goes to row
 * idx[b] + s of y (idx NULL: 0); circular: modulo max_len, else a row
 * outside [0, max_len) is dropped. */
typedef struct RtTensorScatter {
  int64_t batch, mid, max_len, len, inner, elem, circular;
} RtTensorScatter;

#ifndef RT_UNITY
RT_API int64_t rt_attention_scratch(const RtAttention *p);
RT_API void rt_attention_f32(const RtAttention *p, const float *q, const float *k, const float *v,
                             const float *past_k, const float *past_v, const void *mask, float *out,
                             float *scratch);
RT_API void rt_attention_nonpad_f32(const RtAttention *p, const float *q, const float *k,
                                    const float *v, const int64_t *nonpad, const void *mask,
                                    float *out, float *scratch);
RT_API void rt_attention_cache_f32(const RtAttnCache *p, const float *past, const float *x,
                                   float *y);
RT_API void rt_rotary_f32(const RtRotary *p, const float *x, const float *cos_cache,
                          const float *sin_cache, const int64_t *pos, float *y);
RT_API void rt_tensor_scatter(const RtTensorScatter *p, const void *past, const void *update,
                              const int64_t *idx, void *y);
#endif

#endif
