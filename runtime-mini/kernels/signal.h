/* signal.h - kernels of the signal-processing ops (signal.c): DFT, STFT,
 * HannWindow, HammingWindow, BlackmanWindow and MelWeightMatrix.
 *
 * Transforms are computed in double with twiddles taken from a table of
 * cos/sin(2 pi j / n), so no error accumulates along the signal: radix-2
 * Cooley-Tukey when the length is a power of two, a direct sum for short
 * other lengths, and Bluestein's chirp-z (a power-of-two convolution)
 * for long ones. The tables and the work buffers live in the node's
 * scratch memory: rt_signal_scratch(len) bytes.
 *
 * Complex values are (real, imaginary) pairs in the last dim, as ONNX has
 * them; a last dim of 1 is a real value. Elements are float32, or float64
 * where f64 is set.
 */
#ifndef RT_SIGNAL_H
#define RT_SIGNAL_H

#include "rt_kernels.h"

/* DFT. x: [outer, n_in, inner, c_in], y: [outer, n_out, inner, c_out]: the
 * transform runs along the n dim, over len points.
 * Forward: y[k] = sum_{j<len} x[j] e^{-2 pi i j k / len}. inverse: with
 * e^{+2 pi i j k / len} and divided by len. x is cut to its first len
 * points or padded with zeros to len. y holds bins [0, n_out): len, or
 * len / 2 + 1 for a one-sided forward transform.
 * hermitian (the inverse of a one-sided transform, IRFFT): x holds bins
 * [0, len / 2] of a spectrum with conjugate symmetry (cut or padded to
 * those); the rest are their conjugates, the imaginary parts of bin 0 and
 * (len even) bin len / 2 are not used, and y is real (c_out 1).
 * c_out 1 writes the real parts only. */
typedef struct RtDft {
  int64_t outer, n_in, inner, c_in;
  int64_t len, n_out, c_out;
  int64_t inverse, hermitian, f64;
} RtDft;

/* STFT. signal: [batch, sig_len, c_in], window: [frame_len] of the
 * signal's type or NULL (all ones), y: [batch, frames, n_out, 2]. Frame f
 * is signal[f * step + j] * window[j] for j < frame_len, and y its forward
 * transform over frame_len points, bins [0, n_out). */
typedef struct RtStft {
  int64_t batch, sig_len, c_in;
  int64_t frames, step, frame_len, n_out;
  int64_t f64;
} RtStft;

/* RtWindow.kind: the cosine-sum windows
 * a0 - a1 cos(2 pi i / N) + a2 cos(4 pi i / N). */
enum { RT_WINDOW_HANN = 0, RT_WINDOW_HAMMING = 1, RT_WINDOW_BLACKMAN = 2 };

/* The element types a window or mel matrix is written in, as ONNX numbers
 * them. Values are computed in double and converted as C converts (towards
 * zero for the integers; NaN becomes 0). */
enum {
  RT_SIG_F32 = 1,
  RT_SIG_U8 = 2,
  RT_SIG_I8 = 3,
  RT_SIG_U16 = 4,
  RT_SIG_I16 = 5,
  RT_SIG_I32 = 6,
  RT_SIG_I64 = 7,
  RT_SIG_F64 = 11,
  RT_SIG_U32 = 12,
  RT_SIG_U64 = 13
};

/* y: [n] window of the given kind; N = n if periodic, else n - 1 (so a
 * symmetric window of size 1 is 0 / 0 = NaN, as ONNX's reference has it).
 * out_type: RT_SIG_*. */
typedef struct RtWindow {
  int64_t n, kind, periodic, out_type;
} RtWindow;

/* MelWeightMatrix: y [dft_len / 2 + 1, bins] of out_type (RT_SIG_*).
 * sample_rate: a scalar int64 (int32 if rate_i32); lower and upper: scalar
 * edges in hertz, float32 (float64 if edge_f64). The mel scale is
 * mel(f) = 2595 log10(1 + f / 700); the bins + 2 points
 * low_mel + m (high_mel - low_mel) / (bins + 2), m = 0 .. bins + 1, map back
 * to spectrum rows floor((dft_len + 1) hz / sample_rate), and band b is the
 * triangle over rows [p_b, p_b+2] with its peak 1 at p_b+1 (as ONNX's
 * reference computes it). Rows outside the matrix are left out. */
typedef struct RtMel {
  int64_t bins, dft_len;
  int64_t rate_i32, edge_f64, out_type;
} RtMel;

#ifndef RT_UNITY
/* Bytes of scratch memory a transform of len points needs. */
RT_API int64_t rt_signal_scratch(int64_t len);
RT_API void rt_dft(const RtDft *p, const void *x, void *y, void *scratch);
RT_API void rt_stft(const RtStft *p, const void *signal, const void *window, void *y,
                    void *scratch);
RT_API void rt_window(const RtWindow *p, void *y);
RT_API void rt_mel_weight_matrix(const RtMel *p, const void *sample_rate, const void *lower,
                                 const void *upper, void *y);
#endif

#endif
