/* attention.c - Attention (opsets 23 to 25), RotaryEmbedding and
 * TensorScatter: the building blocks of transformer decoders. */
#include <math.h>
#include <string.h>

#include "attention.h"
#include "op.h"

KERNEL_DEF(K_ATTENTION, rt_attention_f32, "attention.c", RtAttention, 8, KA(0), KA(1), KA(2), KA(3),
           KA(4), KA(5), KA(6), KA(7));
KERNEL_DEF(K_ATTENTION_NONPAD, rt_attention_nonpad_f32, "attention.c", RtAttention, 7, KA(0), KA(1),
           KA(2), KA(3), KA(4), KA(5), KA(6));
KERNEL_DEF(K_ATTN_CACHE, rt_attention_cache_f32, "attention.c", RtAttnCache, 3, KA(0), KA(1),
           KA(2));
KERNEL_DEF(K_ROTARY, rt_rotary_f32, "attention.c", RtRotary, 5, KA(0), KA(1), KA(2), KA(3), KA(4));
KERNEL_DEF(K_TENSOR_SCATTER, rt_tensor_scatter, "attention.c", RtTensorScatter, 4, KA(0), KA(1),
           KA(2), KA(3));

/* ---- Attention ---- */

enum { IN_Q, IN_K, IN_V, IN_MASK, IN_PAST_K, IN_PAST_V, IN_NONPAD };
enum { OUT_Y, OUT_PRESENT_K, OUT_PRESENT_V, OUT_QK };

/* Everything an Attention node decides, checked once. */
typedef struct AttnShape {
  int rank;
  int64_t batch, q_heads, kv_heads, q_len, kv_len, past_len, head_dim, v_dim;
  int64_t q_st[3], k_st[3], v_st[3], y_st[3]; /* (batch, head, sequence) strides */
  int64_t mask_kind, mask_len, mask_st[4];
  int64_t causal, window_left, window_right, mode, softmax_f64;
  float scale, softcap;
} AttnShape;

/* Strides of a 4-D [b, heads, seq, dim] or 3-D [b, seq, heads * dim] tensor
 * as (batch, head, sequence). */
static void attn_strides(int rank, int64_t heads, int64_t seq, int64_t dim, int64_t *st) {
  st[0] = heads * seq * dim;
  st[1] = rank == 4 ? seq * dim : dim;
  st[2] = rank == 4 ? dim : heads * dim;
}

/* Heads and head sizes of Q, K and V. */
static int attn_heads(OpCtx *c, AttnShape *s) {
  IrValue *q = op_in(c, IN_Q), *k = op_in(c, IN_K), *v = op_in(c, IN_V);
  int ok = 1;
  const IrAttr *qh = ir_attr(c->n, "q_num_heads"), *kh = ir_attr(c->n, "kv_num_heads");
  int64_t qn = op_attr_int(c, "q_num_heads", 0, &ok), kn = op_attr_int(c, "kv_num_heads", 0, &ok);
  if (!ok) return -1;
  s->rank = q->rank;
  if ((q->rank != 3 && q->rank != 4) || k->rank != q->rank || v->rank != q->rank)
    return op_invalid(c,
                      "Q '%s', K '%s' and V '%s' must all be 3-D or all 4-D, got rank %d, %d "
                      "and %d",
                      q->name, k->name, v->name, q->rank, k->rank, v->rank);
  s->batch = q->dims[0];
  if (k->dims[0] != s->batch || v->dims[0] != s->batch)
    return op_invalid(c, "Q, K and V have different batch sizes");
  if (q->rank == 4) {
    if (c->opset >= 25 && (qh || kh))
      return op_invalid(c, "q_num_heads and kv_num_heads are for 3-D inputs only");
    s->q_heads = q->dims[1], s->q_len = q->dims[2], s->head_dim = q->dims[3];
    s->kv_heads = k->dims[1], s->kv_len = k->dims[2], s->v_dim = v->dims[3];
    if (k->dims[3] != s->head_dim || v->dims[1] != s->kv_heads || v->dims[2] != s->kv_len)
      return op_invalid(c,
                        "K '%s' must be [batch, kv_heads, kv_len, %lld] and V '%s' [batch, "
                        "kv_heads, kv_len, v_head_size]",
                        k->name, (long long)s->head_dim, v->name);
    return 0;
  }
  if (!qh || !kh || qn < 1 || kn < 1)
    return op_invalid(c, "3-D inputs need positive q_num_heads and kv_num_heads attributes");
  s->q_heads = qn, s->kv_heads = kn;
  s->q_len = q->dims[1], s->kv_len = k->dims[1];
  s->head_dim = q->dims[2] / qn, s->v_dim = v->dims[2] / kn;
  if (q->dims[2] % qn || k->dims[2] != kn * s->head_dim || v->dims[2] % kn ||
      v->dims[1] != s->kv_len)
    return op_invalid(c,
                      "hidden sizes of Q (%lld), K (%lld) and V (%lld) do not split into %lld "
                      "query and %lld key/value heads of one head size",
                      (long long)q->dims[2], (long long)k->dims[2], (long long)v->dims[2],
                      (long long)qn, (long long)kn);
  return 0;
}

/* past_key / past_value and nonpad_kv_seqlen. */
static int attn_cache(OpCtx *c, AttnShape *s) {
  IrValue *pk = op_in(c, IN_PAST_K), *pv = op_in(c, IN_PAST_V), *np = op_in(c, IN_NONPAD);
  static const DType I64[] = {DT_I64, DT_UNDEF};
  s->past_len = 0;
  if (!pk != !pv) return op_invalid(c, "past_key and past_value must be given together");
  if (np) {
    if (c->opset < 24) return op_invalid(c, "nonpad_kv_seqlen needs opset 24");
    if (pk) return op_invalid(c, "nonpad_kv_seqlen cannot be used with past_key and past_value");
    if (op_check_type(c, IN_NONPAD, I64)) return -1;
    if (np->rank != 1 || np->dims[0] != s->batch)
      return op_invalid(c, "nonpad_kv_seqlen '%s' must have shape [%lld]", np->name,
                        (long long)s->batch);
  }
  if (!pk) return 0;
  if (op_require_float(c, IN_PAST_K) || op_require_float(c, IN_PAST_V)) return -1;
  if (pk->rank != 4 || pv->rank != 4 || pk->dims[0] != s->batch || pk->dims[1] != s->kv_heads ||
      pk->dims[3] != s->head_dim || pv->dims[0] != s->batch || pv->dims[1] != s->kv_heads ||
      pv->dims[2] != pk->dims[2] || pv->dims[3] != s->v_dim)
    return op_invalid(c,
                      "past_key '%s' must be [%lld, %lld, past, %lld] and past_value '%s' "
                      "[%lld, %lld, past, %lld]",
                      pk->name, (long long)s->batch, (long long)s->kv_heads, (long long)s->head_dim,
                      pv->name, (long long)s->batch, (long long)s->kv_heads, (long long)s->v_dim);
  s->past_len = pk->dims[2];
  return 0;
}

/* attn_mask: bool or float, broadcast to [batch, q_heads, q_len, total];
 * the last dim may be shorter (the rest is masked). */
static int attn_mask(OpCtx *c, AttnShape *s) {
  IrValue *m = op_in(c, IN_MASK);
  int64_t want[4] = {s->batch, s->q_heads, s->q_len, s->past_len + s->kv_len}, st = 1;
  memset(s->mask_st, 0, sizeof s->mask_st);
  s->mask_kind = RT_ATTN_MASK_NONE, s->mask_len = 0;
  if (!m) return 0;
  if (m->dtype == DT_BOOL)
    s->mask_kind = RT_ATTN_MASK_BOOL;
  else if (m->dtype == DT_F32)
    s->mask_kind = RT_ATTN_MASK_FLOAT;
  else
    return op_unsupported(c, "attn_mask '%s' has type %s; supported: bool, float32", m->name,
                          dtype_name(m->dtype));
  if (m->rank < 1 || m->rank > 4)
    return op_invalid(c, "attn_mask '%s' must have rank 1 to 4, got %d", m->name, m->rank);
  for (int i = m->rank - 1; i >= 0; i--) {
    int a = 4 - m->rank + i;
    int64_t d = m->dims[i];
    if (a == 3 ? d > want[3] : d != want[a] && d != 1)
      return op_invalid(c, "attn_mask '%s' does not broadcast to [%lld, %lld, %lld, %lld]", m->name,
                        (long long)want[0], (long long)want[1], (long long)want[2],
                        (long long)want[3]);
    s->mask_st[a] = a == 3 || d != 1 ? st : 0;
    st *= d;
  }
  s->mask_len = m->dims[m->rank - 1];
  return 0;
}

static int attn_attrs(OpCtx *c, AttnShape *s) {
  int ok = 1;
  s->causal = op_attr_int(c, "is_causal", 0, &ok);
  s->mode = op_attr_int(c, "qk_matmul_output_mode", 0, &ok);
  s->softcap = op_attr_float(c, "softcap", 0.0f, &ok);
  int64_t prec = op_attr_int(c, "softmax_precision", DT_F32, &ok);
  float scale = op_attr_float(c, "scale", 0.0f, &ok);
  s->window_left = s->window_right = -1;
  if (c->opset >= 25) {
    s->window_left = op_attr_int(c, "left_window_size", -1, &ok);
    s->window_right = op_attr_int(c, "right_window_size", -1, &ok);
  }
  if (!ok) return -1;
  if (s->causal != 0 && s->causal != 1)
    return op_invalid(c, "is_causal must be 0 or 1, got %lld", (long long)s->causal);
  if (s->mode < 0 || s->mode > 3)
    return op_invalid(c, "qk_matmul_output_mode must be 0 to 3, got %lld", (long long)s->mode);
  if (prec != DT_F32 && prec != DT_F16 && prec != DT_BF16 && prec != DT_F64)
    return op_invalid(c, "softmax_precision %lld is not a float type", (long long)prec);
  if (s->window_left < -1 || s->window_right < -1)
    return op_invalid(c, "window sizes must be -1 or >= 0");
  s->softmax_f64 = prec == DT_F64;
  /* ONNX scales Q and K by the square root rounded to the input type. */
  double sc = ir_attr(c->n, "scale") ? (double)scale : 1.0 / sqrt((double)s->head_dim);
  float root = (float)sqrt(sc);
  s->scale = root * root;
  return 0;
}

static int attn_parse(OpCtx *c, AttnShape *s) {
  memset(s, 0, sizeof *s);
  if (op_require_float(c, IN_Q) || op_require_float(c, IN_K) || op_require_float(c, IN_V))
    return -1;
  if (attn_heads(c, s) || attn_cache(c, s) || attn_mask(c, s) || attn_attrs(c, s)) return -1;
  if (s->q_heads < 1 || s->kv_heads < 1 || s->q_heads % s->kv_heads)
    return op_invalid(c, "q_num_heads (%lld) must be a multiple of kv_num_heads (%lld)",
                      (long long)s->q_heads, (long long)s->kv_heads);
  attn_strides(s->rank, s->q_heads, s->q_len, s->head_dim, s->q_st);
  attn_strides(s->rank, s->kv_heads, s->kv_len, s->head_dim, s->k_st);
  attn_strides(s->rank, s->kv_heads, s->kv_len, s->v_dim, s->v_st);
  attn_strides(s->rank, s->q_heads, s->q_len, s->v_dim, s->y_st);
  return 0;
}

static int infer_attention(OpCtx *c) {
  AttnShape s;
  if (attn_parse(c, &s)) return -1;
  int64_t t = s.past_len + s.kv_len;
  int64_t y3[3] = {s.batch, s.q_len, s.q_heads * s.v_dim};
  int64_t y4[4] = {s.batch, s.q_heads, s.q_len, s.v_dim};
  int64_t pk[4] = {s.batch, s.kv_heads, t, s.head_dim};
  int64_t pv[4] = {s.batch, s.kv_heads, t, s.v_dim};
  int64_t qk[4] = {s.batch, s.q_heads, s.q_len, t};
  op_set_out(c, OUT_Y, DT_F32, s.rank, s.rank == 3 ? y3 : y4);
  op_set_out(c, OUT_PRESENT_K, DT_F32, 4, pk);
  op_set_out(c, OUT_PRESENT_V, DT_F32, 4, pv);
  op_set_out(c, OUT_QK, DT_F32, 4, qk);
  return 0;
}

/* present_key or present_value: the past, then the new rows in 4-D. */
static void lower_cache(OpCtx *c, KList *l, const AttnShape *s, int past, int x, int out) {
  int value = x == IN_V;
  KCall *k = kl_call(l, &K_ATTN_CACHE);
  kc_i(k, "batch", s->batch);
  kc_i(k, "heads", s->kv_heads);
  kc_i(k, "past_len", s->past_len);
  kc_i(k, "len", s->kv_len);
  kc_i(k, "dim", value ? s->v_dim : s->head_dim);
  kc_iv(k, "x_strides", value ? s->v_st : s->k_st, 3, 3);
  kc_arg(k, s->past_len > 0 ? c->n->in[past] : KC_NULL);
  kc_arg(k, c->n->in[x]);
  kc_arg(k, c->n->out[out]);
  kc_end(k);
}

/* One attention call writing stage out_kind to output out. */
static void lower_attn_call(OpCtx *c, KList *l, const AttnShape *s, int64_t out_kind, int out) {
  int nonpad = op_has_in(c, IN_NONPAD);
  KCall *k = kl_call(l, nonpad ? &K_ATTENTION_NONPAD : &K_ATTENTION);
  kc_i(k, "batch", s->batch);
  kc_i(k, "q_heads", s->q_heads);
  kc_i(k, "kv_heads", s->kv_heads);
  kc_i(k, "q_len", s->q_len);
  kc_i(k, "kv_len", s->kv_len);
  kc_i(k, "past_len", s->past_len);
  kc_i(k, "head_dim", s->head_dim);
  kc_i(k, "v_dim", s->v_dim);
  kc_iv(k, "q_strides", s->q_st, 3, 3);
  kc_iv(k, "k_strides", s->k_st, 3, 3);
  kc_iv(k, "v_strides", s->v_st, 3, 3);
  kc_iv(k, "out_strides", s->y_st, 3, 3); /* Y's; a score output is contiguous */
  kc_i(k, "mask_kind", s->mask_kind);
  kc_i(k, "mask_len", s->mask_len);
  kc_iv(k, "mask_strides", s->mask_st, 4, 4);
  kc_i(k, "causal", s->causal);
  kc_i(k, "window_left", s->window_left);
  kc_i(k, "window_right", s->window_right);
  kc_f(k, "scale", s->scale);
  kc_f(k, "softcap", s->softcap);
  kc_i(k, "softmax_f64", s->softmax_f64);
  kc_i(k, "out_kind", out_kind);
  kc_arg(k, c->n->in[IN_Q]);
  kc_arg(k, c->n->in[IN_K]);
  kc_arg(k, c->n->in[IN_V]);
  if (nonpad) {
    kc_arg(k, c->n->in[IN_NONPAD]);
  } else {
    kc_arg(k, s->past_len > 0 ? c->n->in[IN_PAST_K] : KC_NULL);
    kc_arg(k, s->past_len > 0 ? c->n->in[IN_PAST_V] : KC_NULL);
  }
  kc_arg(k, op_has_in(c, IN_MASK) ? c->n->in[IN_MASK] : KC_NULL);
  kc_arg(k, c->n->out[out]);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = rt_attention_scratch((const RtAttention *)k->buf);
}

static int lower_attention(OpCtx *c, KList *l) {
  AttnShape s;
  if (attn_parse(c, &s)) return -1;
  if (op_out(c, OUT_PRESENT_K)) lower_cache(c, l, &s, IN_PAST_K, IN_K, OUT_PRESENT_K);
  if (op_out(c, OUT_PRESENT_V)) lower_cache(c, l, &s, IN_PAST_V, IN_V, OUT_PRESENT_V);
  lower_attn_call(c, l, &s, RT_ATTN_Y, OUT_Y);
  if (op_out(c, OUT_QK)) lower_attn_call(c, l, &s, RT_ATTN_QK + s.mode, OUT_QK);
  return 0;
}

/* ---- RotaryEmbedding ---- */

typedef struct RopeShape {
  int64_t batch, heads, seq, head_dim, rot_dim, interleaved;
  int64_t st[3];
  int64_t has_pos, rows, cache_bs, cache_ss;
} RopeShape;

/* cos_cache and sin_cache: [rows, rot/2] with position ids, else
 * [batch or 1, seq or 1, rot/2]. */
static int rope_caches(OpCtx *c, RopeShape *r) {
  IrValue *cs = op_in(c, 1), *sn = op_in(c, 2), *pos = op_in(c, 3);
  static const DType I64[] = {DT_I64, DT_UNDEF};
  int64_t half = r->rot_dim / 2;
  if (cs->rank != sn->rank || memcmp(cs->dims, sn->dims, sizeof(int64_t) * (size_t)cs->rank))
    return op_invalid(c, "cos_cache '%s' and sin_cache '%s' differ in shape", cs->name, sn->name);
  r->has_pos = pos != NULL;
  if (pos) {
    if (op_check_type(c, 3, I64)) return -1;
    if (pos->rank != 2 || pos->dims[0] != r->batch || pos->dims[1] != r->seq)
      return op_invalid(c, "position_ids '%s' must be [%lld, %lld]", pos->name, (long long)r->batch,
                        (long long)r->seq);
    if (cs->rank != 2 || cs->dims[1] != half)
      return op_invalid(c, "with position_ids, cos_cache '%s' must be [max_position, %lld]",
                        cs->name, (long long)half);
    r->rows = cs->dims[0];
    return 0;
  }
  if (cs->rank != 3 || (cs->dims[0] != r->batch && cs->dims[0] != 1) ||
      (cs->dims[1] != r->seq && cs->dims[1] != 1) || cs->dims[2] != half)
    return op_invalid(c, "without position_ids, cos_cache '%s' must be [%lld, %lld, %lld]",
                      cs->name, (long long)r->batch, (long long)r->seq, (long long)half);
  r->cache_ss = cs->dims[1] == 1 ? 0 : half;
  r->cache_bs = cs->dims[0] == 1 ? 0 : cs->dims[1] * half;
  return 0;
}

static int rope_parse(OpCtx *c, RopeShape *r) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t nh = op_attr_int(c, "num_heads", 0, &ok);
  int64_t rot = op_attr_int(c, "rotary_embedding_dim", 0, &ok);
  memset(r, 0, sizeof *r);
  r->interleaved = op_attr_int(c, "interleaved", 0, &ok) != 0;
  if (!ok || op_require_float(c, 0) || op_require_float(c, 1) || op_require_float(c, 2)) return -1;
  if (x->rank != 3 && x->rank != 4)
    return op_invalid(c, "input '%s' must be 3-D or 4-D, got rank %d", x->name, x->rank);
  r->batch = x->dims[0];
  if (x->rank == 4) {
    r->heads = x->dims[1], r->seq = x->dims[2], r->head_dim = x->dims[3];
  } else {
    if (nh < 1 || x->dims[2] % nh)
      return op_invalid(c, "a 3-D input needs num_heads dividing its hidden size %lld",
                        (long long)x->dims[2]);
    r->heads = nh, r->seq = x->dims[1], r->head_dim = x->dims[2] / nh;
  }
  r->rot_dim = rot ? rot : r->head_dim;
  if (r->rot_dim < 0 || r->rot_dim > r->head_dim || r->rot_dim % 2)
    return op_invalid(c, "rotary_embedding_dim %lld must be even and at most the head size %lld",
                      (long long)r->rot_dim, (long long)r->head_dim);
  attn_strides(x->rank, r->heads, r->seq, r->head_dim, r->st);
  return rope_caches(c, r);
}

static int infer_rotary(OpCtx *c) {
  RopeShape r;
  if (rope_parse(c, &r)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_rotary(OpCtx *c, KList *l) {
  RopeShape r;
  if (rope_parse(c, &r)) return -1;
  KCall *k = kl_call(l, &K_ROTARY);
  kc_i(k, "batch", r.batch);
  kc_i(k, "heads", r.heads);
  kc_i(k, "seq", r.seq);
  kc_i(k, "head_dim", r.head_dim);
  kc_i(k, "rot_dim", r.rot_dim);
  kc_i(k, "interleaved", r.interleaved);
  kc_iv(k, "strides", r.st, 3, 3);
  kc_i(k, "has_pos", r.has_pos);
  kc_i(k, "cache_rows", r.rows);
  kc_i(k, "cache_bs", r.cache_bs);
  kc_i(k, "cache_ss", r.cache_ss);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->in[2]);
  kc_arg(k, r.has_pos ? c->n->in[3] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* ---- TensorScatter ---- */

static int scatter_parse(OpCtx *c, int *axis, int *circular) {
  IrValue *x = op_in(c, 0), *u = op_in(c, 1), *w = op_in(c, 2);
  static const DType I64[] = {DT_I64, DT_UNDEF};
  int ok = 1;
  int64_t a = op_attr_int(c, "axis", -2, &ok);
  const char *mode = op_attr_str(c, "mode", "linear", &ok);
  if (!ok || op_check_fixed_size(c, 0)) return -1;
  if (strcmp(mode, "linear") && strcmp(mode, "circular"))
    return op_invalid(c, "mode must be \"linear\" or \"circular\", got \"%s\"", mode);
  *circular = mode[0] == 'c';
  if (u->dtype != x->dtype)
    return op_invalid(c, "update '%s' must have the type of past_cache '%s'", u->name, x->name);
  if ((*axis = op_axis(c, a, x->rank, "axis")) < 0) return -1;
  if (*axis == 0) return op_invalid(c, "axis cannot be the batch dimension");
  int bad = u->rank != x->rank;
  for (int i = 0; !bad && i < x->rank; i++)
    bad = i == *axis ? u->dims[i] > x->dims[i] : u->dims[i] != x->dims[i];
  if (bad)
    return op_invalid(c,
                      "update '%s' must have the shape of past_cache '%s' except for a "
                      "shorter axis %d",
                      u->name, x->name, *axis);
  if (!w) return 0;
  if (op_check_type(c, 2, I64)) return -1;
  if (w->rank != 1 || w->dims[0] != x->dims[0])
    return op_invalid(c, "write_indices '%s' must have shape [%lld]", w->name,
                      (long long)x->dims[0]);
  return 0;
}

static int infer_tensor_scatter(OpCtx *c) {
  int axis, circular;
  if (scatter_parse(c, &axis, &circular)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_tensor_scatter(OpCtx *c, KList *l) {
  int axis, circular;
  if (scatter_parse(c, &axis, &circular)) return -1;
  IrValue *x = op_in(c, 0), *u = op_in(c, 1);
  int64_t mid = 1, inner = 1;
  for (int i = 1; i < axis; i++) mid *= x->dims[i];
  for (int i = axis + 1; i < x->rank; i++) inner *= x->dims[i];
  KCall *k = kl_call(l, &K_TENSOR_SCATTER);
  kc_i(k, "batch", x->dims[0]);
  kc_i(k, "mid", mid);
  kc_i(k, "max_len", x->dims[axis]);
  kc_i(k, "len", u->dims[axis]);
  kc_i(k, "inner", inner);
  kc_i(k, "elem", (int64_t)dtype_size(x->dtype));
  kc_i(k, "circular", circular);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OPS_ATTENTION[] = {
    {"Attention", "", 23, 3, 7, 1, 4, OPL_KERNEL, 0, infer_attention, lower_attention},
    {"RotaryEmbedding", "", 23, 3, 4, 1, 1, OPL_KERNEL, 0, infer_rotary, lower_rotary},
    {"TensorScatter", "", 24, 2, 3, 1, 1, OPL_KERNEL, OPF_ANY_TYPE, infer_tensor_scatter,
     lower_tensor_scatter},
    {NULL},
};
