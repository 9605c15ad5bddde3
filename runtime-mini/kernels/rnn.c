/* rnn.c - the recurrent ops RNN, GRU and LSTM, float32 (see rnn.h).
 *
 * The input projection of all steps is one GEMM per direction into the
 * scratch (G, rows in X's order, the biases that simply add already in).
 * Each step then multiplies the hidden states of the whole batch by R^T
 * (R transposed once into the scratch, so the GEMM core reads it row by
 * row), adds the step's row of G and runs the gates one sequence at a time.
 * A sequence whose length is reached stops; the reverse direction reads
 * sequence b from step lens[b] - 1 down, as ONNX Runtime does.
 *
 * The scratch (rt_rnn_scratch bytes), each part 64-byte aligned:
 *   lens   int64 [batch]
 *   bias   [ndir][G]             Wb + Rb (GRU: Wb alone for the h gate)
 *   h, c   [ndir][batch][hidden] the states (c: LSTM only)
 *   g      [ndir][seq * batch][G]
 *   rt     [ndir][hidden][G]     R transposed
 *   t      [batch][G]            a step's H R^T, then its gates
 *   rh     [batch][hidden]       GRU without linear_before_reset: r (.) H
 */
#include <string.h>

#include "rnn.h"
#include "rt_scalar.h"
#include "rt_sgemm.h"

typedef struct RnnMem {
  int64_t *lens;
  float *bias, *h, *c, *g, *rt, *t, *rh;
} RnnMem;

/* One direction's view of the scratch and the inputs. */
typedef struct RnnDir {
  int64_t d, rev, gh;
  const float *g, *rt;
  const float *rbh;  /* GRU: Rb of the h gate, or NULL */
  const float *peep; /* LSTM: P [3][hidden], or NULL */
  float *h, *c;
  const int64_t *act;
  const float *alpha, *beta;
} RnnDir;

static int64_t rnn_gates(const RtRnn *p) {
  return p->kind == RT_RNN_LSTM ? 4 : p->kind == RT_RNN_GRU ? 3 : 1;
}

static int64_t rnn_nact(const RtRnn *p) {
  return p->kind == RT_RNN_LSTM ? 3 : p->kind == RT_RNN_GRU ? 2 : 1;
}

static int64_t rnn_align(int64_t bytes) { return (bytes + 63) & ~(int64_t)63; }

/* Lays the scratch out (if scratch is not NULL) and returns its size. */
static int64_t rnn_mem(const RtRnn *p, void *scratch, RnnMem *m) {
  int64_t gh = rnn_gates(p) * p->hidden, st = p->ndir * p->batch * p->hidden;
  int64_t size[8], off = 0, i;
  size[0] = p->batch * 8;
  size[1] = p->ndir * gh * 4;
  size[2] = st * 4;
  size[3] = p->kind == RT_RNN_LSTM ? st * 4 : 0;
  size[4] = p->ndir * p->seq * p->batch * gh * 4;
  size[5] = p->ndir * p->hidden * gh * 4;
  size[6] = p->batch * gh * 4;
  size[7] = p->kind == RT_RNN_GRU && !p->linear_before_reset ? p->batch * p->hidden * 4 : 0;
  for (i = 0; i < 8; i++) {
    if (scratch) {
      char *at = (char *)scratch + off;
      switch (i) {
      case 0: m->lens = (int64_t *)(void *)at; break;
      case 1: m->bias = (float *)(void *)at; break;
      case 2: m->h = (float *)(void *)at; break;
      case 3: m->c = (float *)(void *)at; break;
      case 4: m->g = (float *)(void *)at; break;
      case 5: m->rt = (float *)(void *)at; break;
      case 6: m->t = (float *)(void *)at; break;
      default: m->rh = (float *)(void *)at; break;
      }
    }
    off += rnn_align(size[i]);
  }
  return off;
}

RT_API int64_t rt_rnn_scratch(const RtRnn *p) {
  RnnMem m;
  return rnn_mem(p, NULL, &m);
}

/* Row of a state ([ndir, batch] or [batch, ndir]) in initial_h, Y_h ... */
static int64_t rnn_state_row(const RtRnn *p, int64_t d, int64_t b) {
  return p->layout ? b * p->ndir + d : d * p->batch + b;
}

/* Row of step t of sequence b in X (and in G). */
static int64_t rnn_x_row(const RtRnn *p, int64_t t, int64_t b) {
  return p->layout ? b * p->seq + t : t * p->batch + b;
}

static float *rnn_y_row(const RtRnn *p, float *y, int64_t t, int64_t d, int64_t b) {
  int64_t row = p->layout ? (b * p->seq + t) * p->ndir + d : (t * p->ndir + d) * p->batch + b;
  return y + row * p->hidden;
}

/* Copies a state input into the scratch's [ndir][batch][hidden] (zeros if
 * src is NULL). */
static void rnn_load_state(const RtRnn *p, const float *src, float *dst) {
  int64_t d, b, n = p->hidden;
  for (d = 0; d < p->ndir; d++)
    for (b = 0; b < p->batch; b++) {
      float *to = dst + (d * p->batch + b) * n;
      if (src)
        memcpy(to, src + rnn_state_row(p, d, b) * n, sizeof(float) * (size_t)n);
      else
        memset(to, 0, sizeof(float) * (size_t)n);
    }
}

RT_API void rt_rnn_init_f32(const RtRnn *p, const void *lens, const float *h0, const float *c0,
                            void *scratch) {
  RnnMem m;
  int64_t b;
  rnn_mem(p, scratch, &m);
  for (b = 0; b < p->batch; b++) {
    int64_t v = p->seq;
    if (lens) v = p->lens_i64 ? ((const int64_t *)lens)[b] : ((const int32_t *)lens)[b];
    m.lens[b] = v < 0 ? 0 : v > p->seq ? p->seq : v;
  }
  rnn_load_state(p, h0, m.h);
  if (p->kind == RT_RNN_LSTM) rnn_load_state(p, c0, m.c);
}

RT_API void rt_rnn_proj_f32(const RtRnn *p, const float *x, const float *w, const float *b,
                            void *scratch) {
  RnnMem m;
  int64_t gh = rnn_gates(p) * p->hidden, rows = p->seq * p->batch, d, j;
  int64_t merged = p->kind == RT_RNN_GRU ? 2 * p->hidden : gh;
  rnn_mem(p, scratch, &m);
  for (d = 0; d < p->ndir; d++) {
    float *bias = m.bias + d * gh;
    SgemmArgs g = sgemm_args(rows, gh, p->input, x, p->input, 1, w + d * gh * p->input, 1,
                             p->input, m.g + d * rows * gh);
    if (b) {
      const float *wb = b + d * 2 * gh, *rb = wb + gh;
      for (j = 0; j < gh; j++) bias[j] = wb[j] + (j < merged ? rb[j] : 0.0f);
      g.col_bias = bias;
    }
    sgemm(&g);
  }
}

/* ---- the steps ---- */

static void rnn_clip(float *v, int64_t n, float c) {
  int64_t j;
  if (c <= 0.0f) return;
  for (j = 0; j < n; j++) v[j] = v[j] < -c ? -c : v[j] > c ? c : v[j];
}

/* Applies activation f (RT_RNN_*) to v[0..n) in place. */
static void rnn_act(float *v, int64_t n, int64_t f, float a, float b) {
  int64_t j;
  switch (f) {
  case RT_RNN_RELU: for (j = 0; j < n; j++) v[j] = rt_relu_f32(v[j]); break;
  case RT_RNN_TANH: for (j = 0; j < n; j++) v[j] = rt_tanh_f32(v[j]); break;
  case RT_RNN_SIGMOID: for (j = 0; j < n; j++) v[j] = rt_sigmoid_f32(v[j]); break;
  case RT_RNN_AFFINE: for (j = 0; j < n; j++) v[j] = a * v[j] + b; break;
  case RT_RNN_LEAKY_RELU: for (j = 0; j < n; j++) v[j] = rt_leaky_relu_f32(v[j], a); break;
  case RT_RNN_THRESHOLDED_RELU:
    for (j = 0; j < n; j++) v[j] = rt_thresholded_relu_f32(v[j], a);
    break;
  case RT_RNN_SCALED_TANH: for (j = 0; j < n; j++) v[j] = a * rt_tanh_f32(b * v[j]); break;
  case RT_RNN_HARD_SIGMOID: for (j = 0; j < n; j++) v[j] = rt_hard_sigmoid_f32(v[j], a, b); break;
  case RT_RNN_ELU: for (j = 0; j < n; j++) v[j] = rt_elu_f32(v[j], a); break;
  case RT_RNN_SOFTSIGN: for (j = 0; j < n; j++) v[j] = rt_softsign_f32(v[j]); break;
  case RT_RNN_SOFTPLUS: for (j = 0; j < n; j++) v[j] = rt_softplus_f32(v[j]); break;
  default: break;
  }
}

static void rnn_act_k(const RnnDir *dr, int64_t k, float *v, int64_t n) {
  rnn_act(v, n, dr->act[k], dr->alpha[k], dr->beta[k]);
}

/* v[0..n) += g[0..n), then the clip. */
static void rnn_add_clip(float *v, const float *g, int64_t n, float clip) {
  int64_t j;
  for (j = 0; j < n; j++) v[j] += g[j];
  rnn_clip(v, n, clip);
}

/* RNN: H = f(clip(X Wi^T + H Ri^T + Wbi + Rbi)). tr holds H Ri^T. */
static void rnn_cell_plain(const RtRnn *p, const RnnDir *dr, float *tr, const float *gr,
                           float *h) {
  rnn_add_clip(tr, gr, p->hidden, p->clip);
  rnn_act_k(dr, 0, tr, p->hidden);
  memcpy(h, tr, sizeof(float) * (size_t)p->hidden);
}

/* GRU's update and reset gates z and r (tr[0..2n)). */
static void rnn_gru_zr(const RtRnn *p, const RnnDir *dr, float *tr, const float *gr) {
  rnn_add_clip(tr, gr, 2 * p->hidden, p->clip);
  rnn_act_k(dr, 0, tr, 2 * p->hidden);
}

/* GRU's new state, once tr[2n..3n) holds the h gate's recurrent term:
 * r (.) (H Rh^T + Rbh) with linear_before_reset, else (r (.) H) Rh^T + Rbh. */
static void rnn_gru_h(const RtRnn *p, const RnnDir *dr, float *tr, const float *gr, float *h) {
  int64_t n = p->hidden, j;
  float *z = tr, *hh = tr + 2 * n;
  rnn_add_clip(hh, gr + 2 * n, n, p->clip);
  rnn_act_k(dr, 1, hh, n);
  for (j = 0; j < n; j++) h[j] = (1.0f - z[j]) * hh[j] + z[j] * h[j];
}

/* LSTM: gates i, o, f, c in tr; the peepholes see the old cell (i, f) and
 * the new one (o). */
static void rnn_cell_lstm(const RtRnn *p, const RnnDir *dr, float *tr, const float *gr, float *h,
                          float *c) {
  int64_t n = p->hidden, j;
  float *gi = tr, *go = tr + n, *gf = tr + 2 * n, *gc = tr + 3 * n;
  const float *pi = dr->peep, *po = pi ? pi + n : NULL, *pf = pi ? pi + 2 * n : NULL;
  rnn_add_clip(tr, gr, 4 * n, p->clip);
  if (pi)
    for (j = 0; j < n; j++) gi[j] += pi[j] * c[j], gf[j] += pf[j] * c[j];
  rnn_act_k(dr, 0, gi, n);
  if (p->input_forget)
    for (j = 0; j < n; j++) gf[j] = 1.0f - gi[j];
  else
    rnn_act_k(dr, 0, gf, n);
  rnn_act_k(dr, 1, gc, n);
  for (j = 0; j < n; j++) c[j] = gf[j] * c[j] + gi[j] * gc[j];
  if (po)
    for (j = 0; j < n; j++) go[j] += po[j] * c[j];
  rnn_act_k(dr, 0, go, n);
  memcpy(gc, c, sizeof(float) * (size_t)n);
  rnn_act_k(dr, 2, gc, n);
  for (j = 0; j < n; j++) h[j] = go[j] * gc[j];
}

/* tr (ldc gh) = a [batch][hidden] times columns col .. col + n of R^T. */
static void rnn_rec_gemm(const RtRnn *p, const RnnDir *dr, const float *a, int64_t col, int64_t n,
                         float *tr) {
  SgemmArgs g = sgemm_args(p->batch, n, p->hidden, a, p->hidden, 1, dr->rt + col, dr->gh, 1, tr);
  g.ldc = dr->gh;
  sgemm(&g);
}

/* GRU without linear_before_reset: z and r first, then (r (.) H) Rh^T. */
static void rnn_gru_split(const RtRnn *p, const RnnMem *m, const RnnDir *dr, int64_t s) {
  int64_t n = p->hidden, b, j;
  for (b = 0; b < p->batch; b++) {
    float *tr = m->t + b * dr->gh, *rh = m->rh + b * n;
    const float *h = dr->h + b * n;
    if (m->lens[b] <= s) {
      memset(rh, 0, sizeof(float) * (size_t)n);
      continue;
    }
    rnn_gru_zr(p, dr, tr, dr->g + rnn_x_row(p, dr->rev ? m->lens[b] - 1 - s : s, b) * dr->gh);
    for (j = 0; j < n; j++) rh[j] = tr[n + j] * h[j];
  }
  rnn_rec_gemm(p, dr, m->rh, 2 * n, n, m->t + 2 * n);
  for (b = 0; b < p->batch; b++) {
    float *hh = m->t + b * dr->gh + 2 * n;
    if (m->lens[b] <= s) continue;
    for (j = 0; j < n; j++) hh[j] += dr->rbh ? dr->rbh[j] : 0.0f;
  }
}

/* Step s of direction dr for every sequence still running. */
static void rnn_step(const RtRnn *p, const RnnMem *m, const RnnDir *dr, int64_t s, float *y) {
  int64_t n = p->hidden, b, j;
  int split = p->kind == RT_RNN_GRU && !p->linear_before_reset;
  rnn_rec_gemm(p, dr, dr->h, 0, split ? 2 * n : dr->gh, m->t);
  if (split) rnn_gru_split(p, m, dr, s);
  for (b = 0; b < p->batch; b++) {
    int64_t t = dr->rev ? m->lens[b] - 1 - s : s;
    float *tr = m->t + b * dr->gh, *h = dr->h + b * n;
    const float *gr;
    if (m->lens[b] <= s) continue;
    gr = dr->g + rnn_x_row(p, t, b) * dr->gh;
    if (p->kind == RT_RNN_LSTM) {
      rnn_cell_lstm(p, dr, tr, gr, h, dr->c + b * n);
    } else if (p->kind == RT_RNN_GRU) {
      if (!split) {
        float *hh = tr + 2 * n;
        rnn_gru_zr(p, dr, tr, gr);
        for (j = 0; j < n; j++) hh[j] = tr[n + j] * (hh[j] + (dr->rbh ? dr->rbh[j] : 0.0f));
      }
      rnn_gru_h(p, dr, tr, gr, h);
    } else {
      rnn_cell_plain(p, dr, tr, gr, h);
    }
    if (y) memcpy(rnn_y_row(p, y, t, dr->d, b), h, sizeof(float) * (size_t)n);
  }
}

static void rnn_direction(const RtRnn *p, const RnnMem *m, int64_t d, const float *bias,
                          const float *peep, float *y) {
  int64_t gh = rnn_gates(p) * p->hidden, na = rnn_nact(p), maxlen = 0, b, t, s;
  RnnDir dr;
  dr.d = d;
  dr.rev = p->ndir == 2 ? d == 1 : p->reverse != 0;
  dr.gh = gh;
  dr.g = m->g + d * p->seq * p->batch * gh;
  dr.rt = m->rt + d * p->hidden * gh;
  dr.rbh = p->kind == RT_RNN_GRU && bias ? bias + d * 2 * gh + gh + 2 * p->hidden : NULL;
  dr.peep = p->kind == RT_RNN_LSTM && peep ? peep + d * 3 * p->hidden : NULL;
  dr.h = m->h + d * p->batch * p->hidden;
  dr.c = p->kind == RT_RNN_LSTM ? m->c + d * p->batch * p->hidden : NULL;
  dr.act = p->act + d * na;
  dr.alpha = p->alpha + d * na;
  dr.beta = p->beta + d * na;
  for (b = 0; b < p->batch; b++) {
    maxlen = m->lens[b] > maxlen ? m->lens[b] : maxlen;
    if (y)
      for (t = m->lens[b]; t < p->seq; t++)
        memset(rnn_y_row(p, y, t, d, b), 0, sizeof(float) * (size_t)p->hidden);
  }
  for (s = 0; s < maxlen; s++) rnn_step(p, m, &dr, s, y);
}

/* Copies the scratch's states [ndir][batch][hidden] to an output. */
static void rnn_store_state(const RtRnn *p, const float *src, float *dst) {
  int64_t d, b, n = p->hidden;
  for (d = 0; d < p->ndir; d++)
    for (b = 0; b < p->batch; b++)
      memcpy(dst + rnn_state_row(p, d, b) * n, src + (d * p->batch + b) * n,
             sizeof(float) * (size_t)n);
}

RT_API void rt_rnn_seq_f32(const RtRnn *p, const float *r, const float *b, const float *peep,
                           void *scratch, float *y, float *y_h, float *y_c) {
  RnnMem m;
  int64_t gh = rnn_gates(p) * p->hidden, n = p->hidden, d, j, k;
  rnn_mem(p, scratch, &m);
  for (d = 0; d < p->ndir; d++) {
    const float *rd = r + d * gh * n;
    float *to = m.rt + d * n * gh;
    for (j = 0; j < gh; j++)
      for (k = 0; k < n; k++) to[k * gh + j] = rd[j * n + k];
  }
  for (d = 0; d < p->ndir; d++) rnn_direction(p, &m, d, b, peep, y);
  if (y_h) rnn_store_state(p, m.h, y_h);
  if (y_c && p->kind == RT_RNN_LSTM) rnn_store_state(p, m.c, y_c);
}
