/* ssm.c - the sequence-mixing ops of opsets 27 and 28: LinearAttention
 * (update rules linear, gated, delta and gated_delta; per-key or per-head
 * decay; GQA/MQA; past and present state), CausalConvWithState (depthwise
 * causal 1-D convolution with carried state, bias and fused SiLU) and SwiGLU.
 * Float32 (SwiGLU also float64); the 16-bit floats are computed in float32
 * by the generic conversion. */
#include <math.h>
#include <string.h>

#include "op.h"
#include "ssm.h"

KERNEL_DEF(K_LINEAR_ATTENTION, rt_linear_attention_f32, "ssm.c", RtLinearAttention, 8, KA(0), KA(1),
           KA(2), KA(3), KA(4), KA(5), KA(6), KA(7));
KERNEL_DEF(K_CAUSAL_CONV, rt_causal_conv_f32, "ssm.c", RtCausalConv, 6, KA(0), KA(1), KA(2), KA(3),
           KA(4), KA(5));
KERNEL_DEF(K_SWIGLU, rt_swiglu, "ssm.c", RtSwiGlu, 3, KA(0), KA(1), KA(2));

static int ssm_in(OpCtx *c, int i) { return op_has_in(c, i) ? c->n->in[i] : KC_NULL; }

/* Output 1 (present_state) is not optional in the schema. */
static int need_state(OpCtx *c) {
  if (c->n->nout < 2 || c->n->out[1] < 0)
    return op_invalid(c, "output 1 (present_state) is required");
  return 0;
}

/* Input i as the model has it: a 16-bit input reaches the node through one
 * of the conversions to float32 inserted right before it. */
static const IrValue *model_in(OpCtx *c, int i) {
  int v = c->n->in[i];
  for (const IrNode *p = c->n - 1; p >= c->g->nodes && p->op == &OP_CONVERT; p--)
    if (p->out[0] == v) return &c->g->vals[p->in[0]];
  return &c->g->vals[v];
}

/* Every present input in [from, to) except skip has input from's type in
 * the model (one type variable of the schema). */
static int same_types(OpCtx *c, int from, int to, int skip) {
  const IrValue *a = model_in(c, from);
  for (int i = from + 1; i < to; i++) {
    if (i == skip || !op_has_in(c, i)) continue;
    const IrValue *b = model_in(c, i);
    if (b->dtype != a->dtype)
      return op_invalid(c, "input '%s' has type %s; input '%s' has %s (they must match)", b->name,
                        dtype_name(b->dtype), a->name, dtype_name(a->dtype));
  }
  return 0;
}

/* Input i has rank 3; its first two dims are [b, t] when t >= 0. */
static int check_bt(OpCtx *c, int i, int64_t b, int64_t t, const char *layout) {
  IrValue *v = op_in(c, i);
  char buf[128];
  if (v->rank != 3 || (t >= 0 && (v->dims[0] != b || v->dims[1] != t)))
    return op_invalid(c, "input '%s' %s must have shape %s", v->name,
                      ir_shape_str(v, buf, sizeof buf), layout);
  return 0;
}

/* ---- LinearAttention ---- */

enum { LA_Q, LA_K, LA_V, LA_PAST, LA_DECAY, LA_BETA };

/* A required positive head count. */
static int64_t la_heads(OpCtx *c, const char *name) {
  int ok = 1;
  if (!ir_attr(c->n, name)) return op_invalid(c, "attribute '%s' is required", name);
  int64_t h = op_attr_int(c, name, 0, &ok);
  if (!ok) return -1;
  if (h < 1) return op_invalid(c, "%s must be >= 1, got %lld", name, (long long)h);
  return h;
}

/* update_rule, scale and chunk_size; the head counts. */
static int la_attrs(OpCtx *c, RtLinearAttention *p) {
  static const char *RULES[] = {"linear", "gated", "delta", "gated_delta"};
  int ok = 1, rule = -1;
  const char *r = op_attr_str(c, "update_rule", "gated_delta", &ok);
  p->scale = op_attr_float(c, "scale", 0.0f, &ok);
  op_attr_int(c, "chunk_size", 64, &ok); /* a tuning hint: no effect on the result */
  if (!ok) return -1;
  for (int i = 0; i < (int)ARRAY_LEN(RULES); i++)
    if (strcmp(r, RULES[i]) == 0) rule = i;
  if (rule < 0)
    return op_invalid(c, "update_rule '%s' is not one of linear, gated, delta, gated_delta", r);
  p->gated = rule == 1 || rule == 3;
  p->delta = rule == 2 || rule == 3;
  if ((p->qh = la_heads(c, "q_num_heads")) < 0 || (p->kvh = la_heads(c, "kv_num_heads")) < 0)
    return -1;
  if (p->qh % p->kvh)
    return op_invalid(c, "q_num_heads %lld must be a multiple of kv_num_heads %lld",
                      (long long)p->qh, (long long)p->kvh);
  /* decay is there iff the rule gates, beta iff it corrects (as ONNX's reference). */
  const char *what[2] = {"decay", "beta"};
  int need[2] = {(int)p->gated, (int)p->delta};
  for (int i = 0; i < 2; i++)
    if (op_has_in(c, LA_DECAY + i) != need[i])
      return op_invalid(c, "update_rule '%s' %s input %d (%s)", r,
                        need[i] ? "requires" : "does not take", LA_DECAY + i, what[i]);
  return 0;
}

/* The head sizes from query, key and value. */
static int la_heads_dims(OpCtx *c, RtLinearAttention *p) {
  IrValue *q = op_in(c, LA_Q), *k = op_in(c, LA_K), *v = op_in(c, LA_V);
  if (check_bt(c, LA_Q, 0, -1, "[B, T, q_num_heads * d_k]")) return -1;
  p->batch = q->dims[0];
  p->seq = q->dims[1];
  if (check_bt(c, LA_K, p->batch, p->seq, "[B, T, kv_num_heads * d_k] with query's B, T") ||
      check_bt(c, LA_V, p->batch, p->seq, "[B, T, kv_num_heads * d_v] with query's B, T"))
    return -1;
  if (q->dims[2] % p->qh)
    return op_invalid(c, "query '%s' last dim %lld is not a multiple of q_num_heads %lld", q->name,
                      (long long)q->dims[2], (long long)p->qh);
  p->dk = q->dims[2] / p->qh;
  if (k->dims[2] != p->kvh * p->dk)
    return op_invalid(c, "key '%s' last dim %lld must be kv_num_heads * d_k = %lld * %lld", k->name,
                      (long long)k->dims[2], (long long)p->kvh, (long long)p->dk);
  if (v->dims[2] % p->kvh)
    return op_invalid(c, "value '%s' last dim %lld is not a multiple of kv_num_heads %lld", v->name,
                      (long long)v->dims[2], (long long)p->kvh);
  p->dv = v->dims[2] / p->kvh;
  return 0;
}

/* decay, beta and past_state against the head sizes. */
static int la_optional(OpCtx *c, RtLinearAttention *p) {
  IrValue *decay = op_in(c, LA_DECAY), *beta = op_in(c, LA_BETA), *past = op_in(c, LA_PAST);
  char buf[128];
  if (decay) {
    if (check_bt(c, LA_DECAY, p->batch, p->seq, "[B, T, kv_num_heads (* d_k)] with query's B, T"))
      return -1;
    p->decay_per_key = decay->dims[2] != p->kvh; /* a per-head decay wins when d_k is 1 */
    if (decay->dims[2] != p->kvh && decay->dims[2] != p->kvh * p->dk)
      return op_invalid(c,
                        "decay '%s' last dim %lld must be kv_num_heads %lld or "
                        "kv_num_heads * d_k %lld",
                        decay->name, (long long)decay->dims[2], (long long)p->kvh,
                        (long long)(p->kvh * p->dk));
  }
  if (beta) {
    if (check_bt(c, LA_BETA, p->batch, p->seq, "[B, T, kv_num_heads or 1] with query's B, T"))
      return -1;
    p->beta_heads = beta->dims[2];
    if (beta->dims[2] != p->kvh && beta->dims[2] != 1)
      return op_invalid(c, "beta '%s' last dim %lld must be kv_num_heads %lld or 1", beta->name,
                        (long long)beta->dims[2], (long long)p->kvh);
  }
  int64_t st[4] = {p->batch, p->kvh, p->dk, p->dv};
  if (past && (past->rank != 4 || memcmp(past->dims, st, sizeof st) != 0))
    return op_invalid(c,
                      "past_state '%s' %s must have shape [B, kv_num_heads, d_k, d_v] = "
                      "[%lld, %lld, %lld, %lld]",
                      past->name, ir_shape_str(past, buf, sizeof buf), (long long)st[0],
                      (long long)st[1], (long long)st[2], (long long)st[3]);
  return 0;
}

static int la_parse(OpCtx *c, RtLinearAttention *p) {
  memset(p, 0, sizeof *p);
  for (int i = 0; i < c->n->nin; i++)
    if (op_require_float(c, i)) return -1;
  if (la_attrs(c, p) || la_heads_dims(c, p) || la_optional(c, p)) return -1;
  if (p->scale == 0.0f) p->scale = (float)(1.0 / sqrt((double)p->dk));
  return 0;
}

static int infer_linear_attention(OpCtx *c) {
  RtLinearAttention p;
  if (need_state(c) || same_types(c, LA_Q, LA_BETA + 1, LA_PAST) || la_parse(c, &p)) return -1;
  const IrValue *q = model_in(c, LA_Q);
  const IrValue *past = op_has_in(c, LA_PAST) ? model_in(c, LA_PAST) : NULL;
  if (past && past->dtype != q->dtype)
    return op_unsupported(c,
                          "past_state '%s' of type %s with query '%s' of type %s: a state "
                          "type other than the query's is not supported",
                          past->name, dtype_name(past->dtype), q->name, dtype_name(q->dtype));
  int64_t y[3] = {p.batch, p.seq, p.qh * p.dv}, st[4] = {p.batch, p.kvh, p.dk, p.dv};
  op_set_out(c, 0, DT_F32, 3, y);
  op_set_out(c, 1, DT_F32, 4, st);
  return 0;
}

static int lower_linear_attention(OpCtx *c, KList *l) {
  RtLinearAttention p;
  if (la_parse(c, &p)) return -1;
  KCall *k = kl_call(l, &K_LINEAR_ATTENTION);
  kc_i(k, "batch", p.batch);
  kc_i(k, "seq", p.seq);
  kc_i(k, "qh", p.qh);
  kc_i(k, "kvh", p.kvh);
  kc_i(k, "dk", p.dk);
  kc_i(k, "dv", p.dv);
  kc_i(k, "gated", p.gated);
  kc_i(k, "delta", p.delta);
  kc_i(k, "decay_per_key", p.decay_per_key);
  kc_i(k, "beta_heads", p.beta_heads);
  kc_f(k, "scale", p.scale);
  for (int i = LA_Q; i <= LA_BETA; i++) kc_arg(k, ssm_in(c, i));
  kc_arg(k, c->n->out[0]);
  kc_arg(k, c->n->out[1]);
  kc_end(k);
  return 0;
}

/* ---- CausalConvWithState ---- */

enum { CC_X, CC_W, CC_BIAS, CC_PAST };

static int cc_parse(OpCtx *c, RtCausalConv *p) {
  memset(p, 0, sizeof *p);
  for (int i = 0; i < c->n->nin; i++)
    if (op_require_float(c, i)) return -1;
  int ok = 1;
  const char *act = op_attr_str(c, "activation", "none", &ok);
  if (!ok) return -1;
  if (strcmp(act, "silu") && strcmp(act, "swish") && strcmp(act, "none"))
    return op_invalid(c, "activation '%s' is not one of silu, swish, none", act);
  p->silu = strcmp(act, "none") != 0;
  IrValue *x = op_in(c, CC_X), *w = op_in(c, CC_W), *b = op_in(c, CC_BIAS);
  IrValue *past = op_in(c, CC_PAST);
  char buf[128];
  if (check_bt(c, CC_X, 0, -1, "[batch_size, channels, length]")) return -1;
  p->batch = x->dims[0];
  p->channels = x->dims[1];
  p->len = x->dims[2];
  if (w->rank != 3 || w->dims[0] != p->channels || w->dims[1] != 1 || w->dims[2] < 1)
    return op_invalid(c,
                      "weight '%s' %s must have shape [channels, 1, k] with channels %lld "
                      "and k >= 1",
                      w->name, ir_shape_str(w, buf, sizeof buf), (long long)p->channels);
  p->k = w->dims[2];
  if (b && (b->rank != 1 || b->dims[0] != p->channels))
    return op_invalid(c, "bias '%s' %s must have shape [%lld] (channels)", b->name,
                      ir_shape_str(b, buf, sizeof buf), (long long)p->channels);
  int64_t st[3] = {p->batch, p->channels, p->k - 1};
  if (past && (past->rank != 3 || memcmp(past->dims, st, sizeof st) != 0))
    return op_invalid(c,
                      "past_state '%s' %s must have shape [batch_size, channels, k - 1] = "
                      "[%lld, %lld, %lld]",
                      past->name, ir_shape_str(past, buf, sizeof buf), (long long)st[0],
                      (long long)st[1], (long long)st[2]);
  return 0;
}

static int infer_causal_conv(OpCtx *c) {
  RtCausalConv p;
  if (need_state(c) || same_types(c, CC_X, c->n->nin, -1) || cc_parse(c, &p)) return -1;
  int64_t st[3] = {p.batch, p.channels, p.k - 1};
  op_same_as(c, 0, CC_X);
  op_set_out(c, 1, DT_F32, 3, st);
  return 0;
}

static int lower_causal_conv(OpCtx *c, KList *l) {
  RtCausalConv p;
  if (cc_parse(c, &p)) return -1;
  KCall *k = kl_call(l, &K_CAUSAL_CONV);
  kc_i(k, "batch", p.batch);
  kc_i(k, "channels", p.channels);
  kc_i(k, "len", p.len);
  kc_i(k, "k", p.k);
  kc_i(k, "silu", p.silu);
  for (int i = CC_X; i <= CC_PAST; i++) kc_arg(k, ssm_in(c, i));
  kc_arg(k, c->n->out[0]);
  kc_arg(k, c->n->out[1]);
  kc_end(k);
  return 0;
}

/* ---- SwiGLU ---- */

static int swiglu_check(OpCtx *c, float *alpha) {
  static const DType T[] = {DT_F32, DT_F64, DT_UNDEF};
  int ok = 1;
  *alpha = op_attr_float(c, "alpha", 1.0f, &ok);
  if (!ok || op_check_type(c, 0, T) || op_check_type(c, 1, T)) return -1;
  IrValue *a = op_in(c, 0), *b = op_in(c, 1);
  char b1[128], b2[128];
  if (a->rank != b->rank || memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank) != 0)
    return op_invalid(c, "A '%s' %s and B '%s' %s must have the same shape (no broadcasting)",
                      a->name, ir_shape_str(a, b1, sizeof b1), b->name,
                      ir_shape_str(b, b2, sizeof b2));
  return 0;
}

static int infer_swiglu(OpCtx *c) {
  float alpha;
  if (same_types(c, 0, 2, -1) || swiglu_check(c, &alpha)) return -1;
  op_same_as(c, 0, 0);
  return 0;
}

static int lower_swiglu(OpCtx *c, KList *l) {
  float alpha;
  if (swiglu_check(c, &alpha)) return -1;
  IrValue *a = op_in(c, 0);
  KCall *k = kl_call(l, &K_SWIGLU);
  kc_i(k, "n", ir_numel(a));
  kc_i(k, "f64", a->dtype == DT_F64);
  kc_f(k, "alpha", alpha);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OPS_SSM[] = {
    {"LinearAttention", "", 27, 3, 6, 2, 2, OPL_KERNEL, 0, infer_linear_attention,
     lower_linear_attention},
    {"CausalConvWithState", "", 27, 2, 4, 2, 2, OPL_KERNEL, 0, infer_causal_conv,
     lower_causal_conv},
    {"SwiGLU", "", 28, 2, 2, 1, 1, OPL_KERNEL, 0, infer_swiglu, lower_swiglu},
    {NULL},
};
