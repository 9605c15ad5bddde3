/* rnn.c - the recurrent ops RNN, GRU and LSTM, opsets 7 and 14 (14 added
 * layout), float32. Each lowers to three calls of runtime-mini's rnn.c
 * kernels that share the node's scratch: the initial state, the input
 * projection of every step at once, and the steps. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "op.h"
#include "rnn.h"

KERNEL_DEF(K_RNN_INIT, rt_rnn_init_f32, "rnn.c", RtRnn, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_RNN_PROJ, rt_rnn_proj_f32, "rnn.c", RtRnn, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_RNN_SEQ, rt_rnn_seq_f32, "rnn.c", RtRnn, 7, KA(0), KA(1), KA(2), KA(3), KA(4),
           KA(5), KA(6));

enum { IN_X, IN_W, IN_R, IN_B, IN_LENS, IN_H0, IN_C0, IN_P };
enum { OUT_Y, OUT_YH, OUT_YC };

/* Activation functions: which of alpha and beta each takes, and their
 * defaults (those of the ONNX ops of the same name). */
typedef struct RnnActDef {
  const char *name;
  int code, uses_alpha, uses_beta;
  float alpha, beta;
} RnnActDef;

static const RnnActDef RNN_ACTS[] = {
    {"Relu", RT_RNN_RELU, 0, 0, 0.0f, 0.0f},
    {"Tanh", RT_RNN_TANH, 0, 0, 0.0f, 0.0f},
    {"Sigmoid", RT_RNN_SIGMOID, 0, 0, 0.0f, 0.0f},
    {"Affine", RT_RNN_AFFINE, 1, 1, 1.0f, 0.0f},
    {"LeakyRelu", RT_RNN_LEAKY_RELU, 1, 0, 0.01f, 0.0f},
    {"ThresholdedRelu", RT_RNN_THRESHOLDED_RELU, 1, 0, 1.0f, 0.0f},
    {"ScaledTanh", RT_RNN_SCALED_TANH, 1, 1, 1.0f, 1.0f},
    {"HardSigmoid", RT_RNN_HARD_SIGMOID, 1, 1, 0.2f, 0.5f},
    {"Elu", RT_RNN_ELU, 1, 0, 1.0f, 0.0f},
    {"Softsign", RT_RNN_SOFTSIGN, 0, 0, 0.0f, 0.0f},
    {"Softplus", RT_RNN_SOFTPLUS, 0, 0, 0.0f, 0.0f},
};

/* Per op: gates, activation functions per direction and their defaults. */
static const struct {
  const char *name;
  int gates, nact;
  const char *dflt[3];
} RNN_KINDS[] = {
    {"RNN", 1, 1, {"Tanh"}},
    {"GRU", 3, 2, {"Sigmoid", "Tanh"}},
    {"LSTM", 4, 3, {"Sigmoid", "Tanh", "Tanh"}},
};

static int rnn_name_eq(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
  return *a == *b;
}

static int rnn_types(OpCtx *c, int kind) {
  static const DType LENS[] = {DT_I32, DT_I64, DT_UNDEF};
  int last = kind == RT_RNN_LSTM ? IN_P : IN_H0;
  for (int i = IN_X; i <= last; i++)
    if (i != IN_LENS && op_require_float(c, i)) return -1;
  return op_check_type(c, IN_LENS, LENS);
}

static int rnn_attrs(OpCtx *c, RtRnn *p, int64_t *hidden_attr) {
  int ok = 1;
  const char *dir = op_attr_str(c, "direction", "forward", &ok);
  *hidden_attr = op_attr_int(c, "hidden_size", 0, &ok);
  int64_t layout = c->opset >= 14 ? op_attr_int(c, "layout", 0, &ok) : 0;
  float clip = op_attr_float(c, "clip", 0.0f, &ok);
  p->linear_before_reset = p->kind == RT_RNN_GRU ? op_attr_int(c, "linear_before_reset", 0, &ok)
                                                 : 0;
  p->input_forget = p->kind == RT_RNN_LSTM ? op_attr_int(c, "input_forget", 0, &ok) : 0;
  if (!ok) return -1;
  if (strcmp(dir, "forward") && strcmp(dir, "reverse") && strcmp(dir, "bidirectional"))
    return op_invalid(c, "direction '%s' is not forward, reverse or bidirectional", dir);
  p->ndir = strcmp(dir, "bidirectional") ? 1 : 2;
  p->reverse = strcmp(dir, "reverse") == 0;
  if (c->opset < 14 && ir_attr(c->n, "layout"))
    return op_invalid(c, "attribute 'layout' came in opset 14; the model has opset %d", c->opset);
  if (layout != 0 && layout != 1) return op_invalid(c, "layout %lld is not 0 or 1", (long long)layout);
  p->layout = layout;
  if (ir_attr(c->n, "hidden_size") && *hidden_attr <= 0)
    return op_invalid(c, "hidden_size %lld must be positive", (long long)*hidden_attr);
  if (ir_attr(c->n, "clip") && !(clip > 0.0f))
    return op_invalid(c, "clip %g must be positive", (double)clip);
  p->clip = clip;
  p->linear_before_reset = p->linear_before_reset != 0;
  p->input_forget = p->input_forget != 0;
  return 0;
}

/* Input i, if present, must have the given dims (its name and role in the
 * message). */
static int rnn_expect(OpCtx *c, int i, const char *role, int rank, const int64_t *dims) {
  IrValue *v = op_in(c, i);
  if (!v) return 0;
  int same = v->rank == rank;
  for (int k = 0; same && k < rank; k++) same = v->dims[k] == dims[k];
  if (same) return 0;
  char got[128], want[128] = "[";
  for (int k = 0; k < rank; k++)
    snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", k ? "," : "",
             (long long)dims[k]);
  strcat(want, "]");
  return op_invalid(c, "%s '%s' has shape %s; expected %s", role, v->name,
                    ir_shape_str(v, got, sizeof got), want);
}

static int rnn_shapes(OpCtx *c, RtRnn *p, int64_t hidden_attr) {
  IrValue *x = op_in(c, IN_X), *r = op_in(c, IN_R);
  int64_t gates = RNN_KINDS[p->kind].gates;
  if (x->rank != 3) return op_invalid(c, "X '%s' must be 3-D, got rank %d", x->name, x->rank);
  if (r->rank != 3) return op_invalid(c, "R '%s' must be 3-D, got rank %d", r->name, r->rank);
  p->seq = x->dims[p->layout ? 1 : 0];
  p->batch = x->dims[p->layout ? 0 : 1];
  p->input = x->dims[2];
  p->hidden = hidden_attr ? hidden_attr : r->dims[2];
  int64_t gh = gates * p->hidden, n = p->hidden;
  int64_t w[3] = {p->ndir, gh, p->input}, rd[3] = {p->ndir, gh, n}, b[2] = {p->ndir, 2 * gh};
  int64_t lens[1] = {p->batch}, pd[2] = {p->ndir, 3 * n};
  int64_t st[3] = {p->ndir, p->batch, n};
  if (p->layout) st[0] = p->batch, st[1] = p->ndir;
  if (rnn_expect(c, IN_W, "W", 3, w) || rnn_expect(c, IN_R, "R", 3, rd) ||
      rnn_expect(c, IN_B, "B", 2, b) || rnn_expect(c, IN_LENS, "sequence_lens", 1, lens) ||
      rnn_expect(c, IN_H0, "initial_h", 3, st))
    return -1;
  if (p->kind == RT_RNN_LSTM &&
      (rnn_expect(c, IN_C0, "initial_c", 3, st) || rnn_expect(c, IN_P, "P", 2, pd)))
    return -1;
  IrValue *l = op_in(c, IN_LENS);
  p->lens_i64 = l && l->dtype == DT_I64;
  return 0;
}

/* activations, activation_alpha and activation_beta; alphas and betas go
 * in order to the functions that take them (as ONNX Runtime reads them). */
static int rnn_acts(OpCtx *c, RtRnn *p) {
  int na = RNN_KINDS[p->kind].nact, total = na * (int)p->ndir, given = 0;
  const char *names[RT_RNN_MAX_ACT];
  const IrAttr *a = ir_attr(c->n, "activations");
  if (a && a->type != AT_STRINGS) return op_invalid(c, "attribute 'activations' must be strings");
  if (a) {
    if (a->n != total && !(p->ndir == 2 && a->n == na))
      return op_invalid(c, "%d activations given; %s with %lld direction(s) takes %d", a->n,
                        RNN_KINDS[p->kind].name, (long long)p->ndir, total);
    given = a->n;
  }
  for (int i = 0; i < total; i++)
    names[i] = given ? a->strings[i % given] : RNN_KINDS[p->kind].dflt[i % na];
  const IrAttr *al = ir_attr(c->n, "activation_alpha"), *be = ir_attr(c->n, "activation_beta");
  if ((al && al->type != AT_FLOATS) || (be && be->type != AT_FLOATS))
    return op_invalid(c, "attributes 'activation_alpha' and 'activation_beta' must be floats");
  int ia = 0, ib = 0;
  for (int i = 0; i < total; i++) {
    const RnnActDef *f = NULL;
    for (size_t k = 0; k < ARRAY_LEN(RNN_ACTS); k++)
      if (rnn_name_eq(names[i], RNN_ACTS[k].name)) f = &RNN_ACTS[k];
    if (!f) return op_invalid(c, "activation '%s' is not one ONNX defines", names[i]);
    p->act[i] = f->code;
    p->alpha[i] = f->alpha;
    p->beta[i] = f->beta;
    if (f->uses_alpha && al && ia < al->n) p->alpha[i] = al->floats[ia++];
    if (f->uses_beta && be && ib < be->n) p->beta[i] = be->floats[ib++];
  }
  return 0;
}

/* Everything a node decides, checked. */
static int rnn_parse(OpCtx *c, int kind, RtRnn *p) {
  int64_t hidden_attr;
  memset(p, 0, sizeof *p);
  p->kind = kind;
  if (rnn_types(c, kind) || rnn_attrs(c, p, &hidden_attr) || rnn_shapes(c, p, hidden_attr) ||
      rnn_acts(c, p))
    return -1;
  return 0;
}

static int rnn_infer(OpCtx *c, int kind) {
  RtRnn p;
  if (rnn_parse(c, kind, &p)) return -1;
  int64_t y[4] = {p.seq, p.ndir, p.batch, p.hidden}, st[3] = {p.ndir, p.batch, p.hidden};
  if (p.layout) {
    y[0] = p.batch, y[1] = p.seq, y[2] = p.ndir;
    st[0] = p.batch, st[1] = p.ndir;
  }
  op_set_out(c, OUT_Y, DT_F32, 4, y);
  op_set_out(c, OUT_YH, DT_F32, 3, st);
  if (kind == RT_RNN_LSTM) op_set_out(c, OUT_YC, DT_F32, 3, st);
  return 0;
}

/* The struct's fields, in RtRnn's order. */
static KCall *rnn_call(KList *l, const KernelDef *def, const RtRnn *p) {
  KCall *k = kl_call(l, def);
  kc_i(k, "kind", p->kind);
  kc_i(k, "seq", p->seq);
  kc_i(k, "batch", p->batch);
  kc_i(k, "input", p->input);
  kc_i(k, "hidden", p->hidden);
  kc_i(k, "ndir", p->ndir);
  kc_i(k, "reverse", p->reverse);
  kc_i(k, "layout", p->layout);
  kc_i(k, "linear_before_reset", p->linear_before_reset);
  kc_i(k, "input_forget", p->input_forget);
  kc_i(k, "lens_i64", p->lens_i64);
  kc_iv(k, "act", p->act, RT_RNN_MAX_ACT, RT_RNN_MAX_ACT);
  kc_f(k, "clip", p->clip);
  kc_fv(k, "alpha", p->alpha, RT_RNN_MAX_ACT, RT_RNN_MAX_ACT);
  kc_fv(k, "beta", p->beta, RT_RNN_MAX_ACT, RT_RNN_MAX_ACT);
  return k;
}

static int rnn_in(OpCtx *c, int i) { return op_has_in(c, i) ? c->n->in[i] : KC_NULL; }
static int rnn_out(OpCtx *c, int i) { return op_out(c, i) ? c->n->out[i] : KC_NULL; }

static void rnn_end(KCall *k, int64_t scratch) {
  kc_end(k);
  k->scratch_bytes = scratch;
}

static int rnn_lower(OpCtx *c, KList *l, int kind) {
  RtRnn p;
  if (rnn_parse(c, kind, &p)) return -1;
  int64_t scratch = rt_rnn_scratch(&p);
  int lstm = kind == RT_RNN_LSTM;
  KCall *k = rnn_call(l, &K_RNN_INIT, &p);
  kc_arg(k, rnn_in(c, IN_LENS));
  kc_arg(k, rnn_in(c, IN_H0));
  kc_arg(k, lstm ? rnn_in(c, IN_C0) : KC_NULL);
  kc_arg(k, KC_SCRATCH);
  rnn_end(k, scratch);
  k = rnn_call(l, &K_RNN_PROJ, &p);
  kc_arg(k, rnn_in(c, IN_X));
  kc_arg(k, rnn_in(c, IN_W));
  kc_arg(k, rnn_in(c, IN_B));
  kc_arg(k, KC_SCRATCH);
  rnn_end(k, scratch);
  k = rnn_call(l, &K_RNN_SEQ, &p);
  kc_arg(k, rnn_in(c, IN_R));
  kc_arg(k, rnn_in(c, IN_B));
  kc_arg(k, lstm ? rnn_in(c, IN_P) : KC_NULL);
  kc_arg(k, KC_SCRATCH);
  kc_arg(k, rnn_out(c, OUT_Y));
  kc_arg(k, rnn_out(c, OUT_YH));
  kc_arg(k, lstm ? rnn_out(c, OUT_YC) : KC_NULL);
  rnn_end(k, scratch);
  return 0;
}

static int infer_rnn(OpCtx *c) { return rnn_infer(c, RT_RNN_PLAIN); }
static int infer_gru(OpCtx *c) { return rnn_infer(c, RT_RNN_GRU); }
static int infer_lstm(OpCtx *c) { return rnn_infer(c, RT_RNN_LSTM); }
static int lower_rnn(OpCtx *c, KList *l) { return rnn_lower(c, l, RT_RNN_PLAIN); }
static int lower_gru(OpCtx *c, KList *l) { return rnn_lower(c, l, RT_RNN_GRU); }
static int lower_lstm(OpCtx *c, KList *l) { return rnn_lower(c, l, RT_RNN_LSTM); }

const OpDef OPS_RNN[] = {
    {"RNN", "", 7, 3, 6, 1, 2, OPL_KERNEL, OPF_OPT_OUT0, infer_rnn, lower_rnn},
    {"GRU", "", 7, 3, 6, 1, 2, OPL_KERNEL, OPF_OPT_OUT0, infer_gru, lower_gru},
    {"LSTM", "", 7, 3, 8, 1, 3, OPL_KERNEL, OPF_OPT_OUT0, infer_lstm, lower_lstm},
    {NULL},
};
