/* rnn.h - kernels of the recurrent ops RNN, GRU and LSTM (rnn.c).
 *
 * A node runs three calls that share one RtRnn and the node's scratch
 * memory (rt_rnn_scratch bytes):
 *   rt_rnn_init_f32  sequence lengths and the initial hidden (and cell) state
 *   rt_rnn_proj_f32  the input projection of every step at once:
 *                    G = X W^T + bias, one GEMM per direction
 *   rt_rnn_seq_f32   the steps: H R^T (one GEMM per step and direction),
 *                    the gates, and the outputs Y, Y_h, Y_c
 *
 * Shapes follow ONNX. layout 0: X [seq, batch, input], Y [seq, ndir, batch,
 * hidden], initial_h / Y_h (and initial_c / Y_c) [ndir, batch, hidden].
 * layout 1: X [batch, seq, input], Y [batch, seq, ndir, hidden], states
 * [batch, ndir, hidden]. W [ndir, G, input], R [ndir, G, hidden], B [ndir,
 * 2 G] (Wb then Rb), P [ndir, 3 hidden] (i, o, f), with G = gates * hidden:
 * 1 gate for RNN, 3 for GRU (z, r, h), 4 for LSTM (i, o, f, c).
 *
 * Sequence b runs over its first lens[b] steps (sequence_lens, int32 or
 * int64, clamped to [0, seq]; all of them without it); the reverse
 * direction starts at step lens[b] - 1. Y is zero past lens[b]; Y_h and Y_c
 * hold the state after the last step run (the initial state if lens[b] is
 * 0). Without B the biases are 0; without initial_h / initial_c the states
 * start at 0; without P there are no peepholes.
 */
#ifndef RT_RNN_H
#define RT_RNN_H

#include "rt_kernels.h"

enum { RT_RNN_PLAIN = 0, RT_RNN_GRU = 1, RT_RNN_LSTM = 2 };

/* Activation functions, as ONNX names them. */
enum {
  RT_RNN_RELU = 0,
  RT_RNN_TANH = 1,
  RT_RNN_SIGMOID = 2,
  RT_RNN_AFFINE = 3,           /* alpha x + beta */
  RT_RNN_LEAKY_RELU = 4,       /* alpha */
  RT_RNN_THRESHOLDED_RELU = 5, /* alpha */
  RT_RNN_SCALED_TANH = 6,      /* alpha tanh(beta x) */
  RT_RNN_HARD_SIGMOID = 7,     /* alpha, beta */
  RT_RNN_ELU = 8,              /* alpha */
  RT_RNN_SOFTSIGN = 9,
  RT_RNN_SOFTPLUS = 10
};

/* Up to 3 functions (f, g, h) per direction, 2 directions. */
#define RT_RNN_MAX_ACT 6

/* kind: RT_RNN_*. ndir: 1 or 2; reverse: the single direction runs
 * backwards (with ndir 2, direction 1 does). act[d * nact + k] is function k
 * of direction d (nact = 1, 2, 3 for RNN, GRU, LSTM) with alpha[] and
 * beta[] at the same index. clip > 0 clamps every gate's input to [-clip,
 * clip] before its activation (and before the peephole terms); 0: no clip.
 * linear_before_reset (GRU) and input_forget (LSTM: f = 1 - i) as ONNX.
 * lens_i64: sequence_lens is int64 (else int32). */
typedef struct RtRnn {
  int64_t kind, seq, batch, input, hidden;
  int64_t ndir, reverse, layout;
  int64_t linear_before_reset, input_forget, lens_i64;
  int64_t act[RT_RNN_MAX_ACT];
  float clip;
  float alpha[RT_RNN_MAX_ACT], beta[RT_RNN_MAX_ACT];
} RtRnn;

#ifndef RT_UNITY
RT_API int64_t rt_rnn_scratch(const RtRnn *p);
/* lens, h0 and c0 may be NULL. */
RT_API void rt_rnn_init_f32(const RtRnn *p, const void *lens, const float *h0, const float *c0,
                            void *scratch);
/* b may be NULL. */
RT_API void rt_rnn_proj_f32(const RtRnn *p, const float *x, const float *w, const float *b,
                            void *scratch);
/* b, peep, y, y_h and y_c may be NULL. */
RT_API void rt_rnn_seq_f32(const RtRnn *p, const float *r, const float *b, const float *peep,
                           void *scratch, float *y, float *y_h, float *y_c);
#endif

#endif
