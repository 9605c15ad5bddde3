/* signal.c - DFT, STFT, the cosine-sum windows and MelWeightMatrix.
 *
 * Every transform goes through one plan of its length, made once per call
 * in the scratch memory: twiddle tables and work buffers of complex doubles
 * ((re, im) pairs). An inverse transform is the conjugate of the forward
 * transform of the conjugate, so only forward tables are needed. */
#include <math.h>
#include <string.h>

#include "signal.h"

#define SIG_PI 3.14159265358979323846
/* Lengths that are no power of two up to this are summed directly (n^2);
 * longer ones go through Bluestein's power-of-two convolution. */
#define SIG_DIRECT_MAX 64

enum { SIG_POW2, SIG_DIRECT, SIG_CHIRP };

typedef struct SigPlan {
  int64_t n;     /* transform length */
  int64_t m;     /* length of the power-of-two FFTs: n, or >= 2n - 1 (chirp) */
  int kind;      /* SIG_* */
  double *tw;    /* e^{-2 pi i j / m}, j < m (direct sum: m = n) */
  double *chirp; /* chirp: e^{pi i j^2 / n}, j < n */
  double *fb;    /* chirp: FFT of the chirp filter, m points */
  double *work;  /* m points (chirp), n (direct sum) */
  double *buf;   /* the signal, n points, transformed in place */
} SigPlan;

static int sig_is_pow2(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

static int sig_kind(int64_t n) {
  return sig_is_pow2(n) ? SIG_POW2 : n <= SIG_DIRECT_MAX ? SIG_DIRECT : SIG_CHIRP;
}

/* The power of two the chirp transform of n points convolves over. */
static int64_t sig_chirp_len(int64_t n) {
  int64_t m = 1;
  while (m < 2 * n - 1) m <<= 1;
  return m;
}

/* Doubles of scratch: 2 per complex point. */
static int64_t sig_doubles(int64_t n) {
  switch (sig_kind(n)) {
    case SIG_POW2: return 4 * n;
    case SIG_DIRECT: return 6 * n;
    default: return 6 * sig_chirp_len(n) + 4 * n;
  }
}

RT_API int64_t rt_signal_scratch(int64_t len) { return sig_doubles(len) * (int64_t)sizeof(double); }

static void sig_twiddles(double *tw, int64_t m) {
  for (int64_t j = 0; j < m; j++) {
    double a = 2.0 * SIG_PI * (double)j / (double)m;
    tw[2 * j] = cos(a);
    tw[2 * j + 1] = -sin(a);
  }
}

/* In-place radix-2 FFT of m (a power of two) points; tw has m entries.
 * inv: with conjugate twiddles (unscaled inverse). */
static void sig_fft(double *a, int64_t m, const double *tw, int inv) {
  for (int64_t i = 1, j = 0; i < m; i++) {
    int64_t bit = m >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j |= bit;
    if (i < j) {
      double r = a[2 * i], im = a[2 * i + 1];
      a[2 * i] = a[2 * j];
      a[2 * i + 1] = a[2 * j + 1];
      a[2 * j] = r;
      a[2 * j + 1] = im;
    }
  }
  for (int64_t len = 2; len <= m; len <<= 1) {
    int64_t half = len >> 1, step = m / len;
    for (int64_t s = 0; s < m; s += len)
      for (int64_t k = 0; k < half; k++) {
        double wr = tw[2 * k * step], wi = inv ? -tw[2 * k * step + 1] : tw[2 * k * step + 1];
        double *u = a + 2 * (s + k), *v = a + 2 * (s + k + half);
        double tr = v[0] * wr - v[1] * wi, ti = v[0] * wi + v[1] * wr;
        v[0] = u[0] - tr;
        v[1] = u[1] - ti;
        u[0] += tr;
        u[1] += ti;
      }
  }
}

/* The chirp e^{pi i j^2 / n} (j^2 taken mod 2n, so the angle stays exact)
 * and the FFT of its filter: c_j at j and m - j, zero between. */
static void sig_chirp_setup(SigPlan *pl) {
  int64_t n = pl->n, m = pl->m;
  for (int64_t j = 0; j < n; j++) {
    double a = SIG_PI * (double)((j * j) % (2 * n)) / (double)n;
    pl->chirp[2 * j] = cos(a);
    pl->chirp[2 * j + 1] = sin(a);
  }
  memset(pl->fb, 0, (size_t)(2 * m) * sizeof(double));
  for (int64_t j = 0; j < n; j++) {
    int64_t at = j ? m - j : 0;
    memcpy(pl->fb + 2 * j, pl->chirp + 2 * j, 2 * sizeof(double));
    memcpy(pl->fb + 2 * at, pl->chirp + 2 * j, 2 * sizeof(double));
  }
  sig_fft(pl->fb, m, pl->tw, 0);
}

/* Lays the plan of n points out in scratch and fills its tables. */
static void sig_plan(SigPlan *pl, int64_t n, void *scratch) {
  double *s = (double *)scratch;
  memset(pl, 0, sizeof *pl);
  pl->n = n;
  pl->kind = sig_kind(n);
  pl->m = pl->kind == SIG_CHIRP ? sig_chirp_len(n) : n;
  pl->tw = s;
  s += 2 * pl->m;
  if (pl->kind == SIG_CHIRP) {
    pl->chirp = s;
    s += 2 * n;
    pl->fb = s;
    s += 2 * pl->m;
  }
  if (pl->kind != SIG_POW2) {
    pl->work = s;
    s += 2 * pl->m;
  }
  pl->buf = s;
  sig_twiddles(pl->tw, pl->m);
  if (pl->kind == SIG_CHIRP) sig_chirp_setup(pl);
}

/* y_k = sum_j x_j tw[j k mod n], the index kept exact in integers. */
static void sig_direct(const SigPlan *pl) {
  int64_t n = pl->n;
  const double *x = pl->buf;
  for (int64_t k = 0; k < n; k++) {
    double sr = 0.0, si = 0.0;
    for (int64_t j = 0, at = 0; j < n; j++) {
      double wr = pl->tw[2 * at], wi = pl->tw[2 * at + 1];
      sr += x[2 * j] * wr - x[2 * j + 1] * wi;
      si += x[2 * j] * wi + x[2 * j + 1] * wr;
      at += k;
      if (at >= n) at -= n;
    }
    pl->work[2 * k] = sr;
    pl->work[2 * k + 1] = si;
  }
  memcpy(pl->buf, pl->work, (size_t)(2 * n) * sizeof(double));
}

/* Bluestein: X_k = conj(c_k) sum_j (x_j conj(c_j)) c_{k-j}, the sum a
 * circular convolution of m points done with FFTs. */
static void sig_bluestein(const SigPlan *pl) {
  int64_t n = pl->n, m = pl->m;
  double *a = pl->work;
  const double *c = pl->chirp;
  memset(a, 0, (size_t)(2 * m) * sizeof(double));
  for (int64_t j = 0; j < n; j++) {
    double xr = pl->buf[2 * j], xi = pl->buf[2 * j + 1];
    a[2 * j] = xr * c[2 * j] + xi * c[2 * j + 1];
    a[2 * j + 1] = xi * c[2 * j] - xr * c[2 * j + 1];
  }
  sig_fft(a, m, pl->tw, 0);
  for (int64_t j = 0; j < m; j++) {
    double ar = a[2 * j], ai = a[2 * j + 1], br = pl->fb[2 * j], bi = pl->fb[2 * j + 1];
    a[2 * j] = ar * br - ai * bi;
    a[2 * j + 1] = ar * bi + ai * br;
  }
  sig_fft(a, m, pl->tw, 1);
  double scale = 1.0 / (double)m;
  for (int64_t k = 0; k < n; k++) {
    double ar = a[2 * k] * scale, ai = a[2 * k + 1] * scale;
    pl->buf[2 * k] = ar * c[2 * k] + ai * c[2 * k + 1];
    pl->buf[2 * k + 1] = ai * c[2 * k] - ar * c[2 * k + 1];
  }
}

static void sig_conj(double *a, int64_t n) {
  for (int64_t j = 0; j < n; j++) a[2 * j + 1] = -a[2 * j + 1];
}

/* Transforms pl->buf in place: forward, or unscaled inverse. */
static void sig_transform(const SigPlan *pl, int64_t inverse) {
  if (inverse) sig_conj(pl->buf, pl->n);
  switch (pl->kind) {
    case SIG_POW2: sig_fft(pl->buf, pl->n, pl->tw, 0); break;
    case SIG_DIRECT: sig_direct(pl); break;
    default: sig_bluestein(pl); break;
  }
  if (inverse) sig_conj(pl->buf, pl->n);
}

static double sig_load(const void *x, int64_t i, int64_t f64) {
  return f64 ? ((const double *)x)[i] : (double)((const float *)x)[i];
}

static void sig_store(void *y, int64_t i, double v, int64_t f64) {
  if (f64)
    ((double *)y)[i] = v;
  else
    ((float *)y)[i] = (float)v;
}

/* ---- DFT ---- */

/* Signal (o, i) of x into buf: len points, cut or zero-padded; a one-sided
 * spectrum (hermitian) completed by conjugate symmetry. */
static void dft_load(const RtDft *p, const void *x, int64_t o, int64_t i, double *buf) {
  int64_t len = p->len, take = p->hermitian ? len / 2 + 1 : len;
  if (take > p->n_in) take = p->n_in;
  memset(buf, 0, (size_t)(2 * len) * sizeof(double));
  for (int64_t k = 0; k < take; k++) {
    int64_t at = ((o * p->n_in + k) * p->inner + i) * p->c_in;
    buf[2 * k] = sig_load(x, at, p->f64);
    buf[2 * k + 1] = p->c_in == 2 ? sig_load(x, at + 1, p->f64) : 0.0;
  }
  if (!p->hermitian) return;
  buf[1] = 0.0;
  for (int64_t k = 1; k < take; k++) {
    if (2 * k == len) {
      buf[2 * k + 1] = 0.0;
      continue;
    }
    buf[2 * (len - k)] = buf[2 * k];
    buf[2 * (len - k) + 1] = -buf[2 * k + 1];
  }
}

static void dft_store(const RtDft *p, void *y, int64_t o, int64_t i, const double *buf) {
  double scale = p->inverse ? 1.0 / (double)p->len : 1.0;
  for (int64_t k = 0; k < p->n_out; k++) {
    int64_t at = ((o * p->n_out + k) * p->inner + i) * p->c_out;
    sig_store(y, at, buf[2 * k] * scale, p->f64);
    if (p->c_out == 2) sig_store(y, at + 1, buf[2 * k + 1] * scale, p->f64);
  }
}

RT_API void rt_dft(const RtDft *p, const void *x, void *y, void *scratch) {
  SigPlan pl;
  sig_plan(&pl, p->len, scratch);
  for (int64_t o = 0; o < p->outer; o++)
    for (int64_t i = 0; i < p->inner; i++) {
      dft_load(p, x, o, i, pl.buf);
      sig_transform(&pl, p->inverse);
      dft_store(p, y, o, i, pl.buf);
    }
}

/* ---- STFT ---- */

RT_API void rt_stft(const RtStft *p, const void *signal, const void *window, void *y,
                    void *scratch) {
  SigPlan pl;
  sig_plan(&pl, p->frame_len, scratch);
  for (int64_t b = 0; b < p->batch; b++)
    for (int64_t f = 0; f < p->frames; f++) {
      for (int64_t j = 0; j < p->frame_len; j++) {
        int64_t at = (b * p->sig_len + f * p->step + j) * p->c_in;
        double w = window ? sig_load(window, j, p->f64) : 1.0;
        pl.buf[2 * j] = sig_load(signal, at, p->f64) * w;
        pl.buf[2 * j + 1] = p->c_in == 2 ? sig_load(signal, at + 1, p->f64) * w : 0.0;
      }
      sig_transform(&pl, 0);
      for (int64_t k = 0; k < p->n_out; k++) {
        int64_t at = ((b * p->frames + f) * p->n_out + k) * 2;
        sig_store(y, at, pl.buf[2 * k], p->f64);
        sig_store(y, at + 1, pl.buf[2 * k + 1], p->f64);
      }
    }
}

/* ---- windows and the mel matrix ---- */

/* y[i] = v in type t (RT_SIG_*). */
static void sig_store_as(void *y, int64_t i, double v, int64_t t) {
  if (t == RT_SIG_F32) {
    ((float *)y)[i] = (float)v;
    return;
  }
  if (t == RT_SIG_F64) {
    ((double *)y)[i] = v;
    return;
  }
  if (v != v) v = 0.0;
  switch (t) {
    case RT_SIG_U8: ((uint8_t *)y)[i] = (uint8_t)v; break;
    case RT_SIG_I8: ((int8_t *)y)[i] = (int8_t)v; break;
    case RT_SIG_U16: ((uint16_t *)y)[i] = (uint16_t)v; break;
    case RT_SIG_I16: ((int16_t *)y)[i] = (int16_t)v; break;
    case RT_SIG_I32: ((int32_t *)y)[i] = (int32_t)v; break;
    case RT_SIG_I64: ((int64_t *)y)[i] = (int64_t)v; break;
    case RT_SIG_U32: ((uint32_t *)y)[i] = (uint32_t)v; break;
    case RT_SIG_U64: ((uint64_t *)y)[i] = (uint64_t)v; break;
    default: break;
  }
}

RT_API void rt_window(const RtWindow *p, void *y) {
  static const double A[3][3] = {
      {0.5, 0.5, 0.0},                       /* Hann */
      {25.0 / 46.0, 1.0 - 25.0 / 46.0, 0.0}, /* Hamming */
      {0.42, 0.5, 0.08},                     /* Blackman */
  };
  const double *a = A[p->kind];
  double big_n = (double)(p->periodic ? p->n : p->n - 1);
  for (int64_t i = 0; i < p->n; i++) {
    double t = 2.0 * SIG_PI * (double)i / big_n;
    /* summed in this order, a window's peak is exactly 1 (as in ONNX's
     * reference), which matters to the integer output types */
    double v = (a[2] * cos(2.0 * t) - a[1] * cos(t)) + a[0];
    sig_store_as(y, i, v, p->out_type);
  }
}

/* a // b as Python divides floats (floor of the exact quotient of a less
 * its remainder), so rows match ONNX's reference at their edges. */
static double sig_floor_div(double a, double b) {
  double mod = fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0 && (b < 0.0) != (mod < 0.0)) div -= 1.0;
  double f = floor(div);
  if (div - f > 0.5) f += 1.0;
  return f;
}

static double mel_of_hz(double hz) { return 2595.0 * log1p(hz / 700.0) / log(10.0); }

RT_API void rt_mel_weight_matrix(const RtMel *p, const void *sample_rate, const void *lower,
                                 const void *upper, void *y) {
  double rate =
      p->rate_i32 ? (double)*(const int32_t *)sample_rate : (double)*(const int64_t *)sample_rate;
  double lo = mel_of_hz(sig_load(lower, 0, p->edge_f64));
  double hi = mel_of_hz(sig_load(upper, 0, p->edge_f64));
  double step = (hi - lo) / (double)(p->bins + 2);
  int64_t rows = p->dft_len / 2 + 1;
  for (int64_t b = 0; b < p->bins; b++) {
    double pt[3]; /* the band's left edge, peak and right edge, in rows */
    for (int k = 0; k < 3; k++) {
      double hz = 700.0 * expm1(((double)(b + k) * step + lo) / 2595.0 * log(10.0));
      pt[k] = sig_floor_div((double)(p->dft_len + 1) * hz, rate);
    }
    for (int64_t j = 0; j < rows; j++) {
      double r = (double)j, v = 0.0;
      if (pt[1] == pt[0] && r == pt[1]) v = 1.0;
      if (pt[1] > pt[0] && r >= pt[0] && r <= pt[1]) v = (r - pt[0]) / (pt[1] - pt[0]);
      if (pt[2] > pt[1] && r >= pt[1] && r < pt[2]) v = (pt[2] - r) / (pt[2] - pt[1]);
      sig_store_as(y, j * p->bins + b, v, p->out_type);
    }
  }
}
