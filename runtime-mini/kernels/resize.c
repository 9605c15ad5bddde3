/* resize.c - spatial resampling: Resize/Upsample (nearest as a gather of
 * elements of any size, linear and cubic as float32 passes, one per axis),
 * GridSample, AffineGrid, Col2Im, MaxUnpool and RoiAlign. Arithmetic follows
 * ONNX's reference implementation: Resize's coordinates in float64, the
 * others in float32 where it computes in float32. Where that reference and
 * PyTorch (which GridSample and AffineGrid are defined by) disagree, PyTorch
 * wins: cubic GridSample pads each tap, AffineGrid's single position is 0. */
#include <math.h>
#include <string.h>

#include "resize.h"

/* ---- Resize ---- */

static double resize_scale(const RtResize *p, int64_t d) {
  return (double)p->scale_num[d] / (double)p->scale_den[d];
}

/* The input coordinate of output position xi on axis d. */
static double resize_coord(const RtResize *p, int64_t d, int64_t xi) {
  double s = resize_scale(p, d), x = (double)xi, in = (double)p->in[d];
  double ow = s * in; /* output width, fractional when it comes from a scale */
  switch (p->coord) {
    case RT_RS_HALF_PIXEL_SYMMETRIC: {
      double offset = in / 2 * (1 - (double)p->out[d] / ow);
      return offset + (x + 0.5) / s - 0.5;
    }
    case RT_RS_PYTORCH_HALF_PIXEL: return p->out[d] > 1 ? (x + 0.5) / s - 0.5 : 0.0;
    case RT_RS_ALIGN_CORNERS: return ow == 1 ? 0.0 : x * (in - 1) / (ow - 1);
    case RT_RS_ASYMMETRIC: return x / s;
    case RT_RS_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / s;
    case RT_RS_TF_CROP_AND_RESIZE: {
      /* span and off are rounded as ONNX rounds them (to float32 for a
       * float32 roi) */
      double span = (double)p->roi_span[d] / (double)p->roi_den;
      double off = (double)p->roi_off[d] / (double)p->roi_den;
      double v = ow == 1 ? span * (in - 1) / 2 : x * span * (in - 1) / (ow - 1);
      return v + off;
    }
    default: return (x + 0.5) / s - 0.5;
  }
}

static int resize_outside(const RtResize *p, int64_t d, double x) {
  return p->coord == RT_RS_TF_CROP_AND_RESIZE && (x < 0 || x > (double)(p->in[d] - 1));
}

static int64_t resize_clamp(int64_t i, int64_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

/* Nearest: the source index of output position o on axis d, -1 where
 * tf_crop_and_resize extrapolates, -2 where exclude_outside leaves no weight. */
static int64_t resize_nearest_index(const RtResize *p, int64_t d, int64_t o) {
  double x = resize_coord(p, d, o), f = floor(x);
  int64_t i;
  if (resize_outside(p, d, x)) return -1;
  switch (p->nearest) {
    case RT_RS_ROUND_PREFER_CEIL: i = (int64_t)(x - f < 0.5 ? f : f + 1); break;
    case RT_RS_FLOOR: i = (int64_t)f; break;
    case RT_RS_CEIL: i = (int64_t)ceil(x); break;
    case RT_RS_SIMPLE: {
      /* onnxruntime's rule for Resize-10 and Upsample, in float32 */
      float xf = (float)o / (float)resize_scale(p, d);
      i = resize_scale(p, d) < 1 ? (int64_t)ceilf(xf) : (int64_t)xf;
      break;
    }
    default: i = (int64_t)(x - f <= 0.5 ? f : f + 1); break;
  }
  if (p->exclude_outside && (i < 0 || i >= p->in[d])) return -2;
  return resize_clamp(i, p->in[d]);
}

static void resize_put(unsigned char *dst, const unsigned char *src, int64_t elem) {
  switch (elem) {
    case 1: *dst = *src; break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    default: memcpy(dst, src, 8); break;
  }
}

/* An element that no input element gives: the extrapolation value (float32
 * inputs only) or zero. */
static void resize_special(const RtResize *p, unsigned char *dst, int64_t kind) {
  memset(dst, 0, (size_t)p->elem);
  if (kind == -1 && p->elem == 4) memcpy(dst, &p->extrapolation, 4);
}

RT_API void rt_resize_nearest(const RtResize *p, const void *x, void *y, void *scratch) {
  int64_t *tab[RT_MAX_RANK], *t = (int64_t *)scratch;
  int64_t stride[RT_MAX_RANK], pos[RT_MAX_RANK] = {0};
  int64_t r = p->rank, last = r - 1, d, o, total = 1, row = 0;
  const unsigned char *src = (const unsigned char *)x;
  unsigned char *dst = (unsigned char *)y;
  for (d = r - 1; d >= 0; d--) stride[d] = d == r - 1 ? 1 : stride[d + 1] * p->in[d + 1];
  for (d = 0; d < r; d++) {
    tab[d] = t;
    t += p->out[d];
    total *= p->out[d];
    for (o = 0; o < p->out[d]; o++)
      tab[d][o] = (p->resized >> d & 1) ? resize_nearest_index(p, d, o) : o;
  }
  if (total == 0) return;
  for (;;) {
    int64_t base = 0, special = 0;
    unsigned char *out = dst + row * p->out[last] * p->elem;
    for (d = 0; d < last; d++) {
      int64_t v = tab[d][pos[d]];
      if (v < 0)
        special = v;
      else
        base += v * stride[d];
    }
    for (o = 0; o < p->out[last]; o++) {
      int64_t v = tab[last][o];
      if (v < 0 || special)
        resize_special(p, out + o * p->elem, v < 0 ? v : special);
      else
        resize_put(out + o * p->elem, src + (base + v) * p->elem, p->elem);
    }
    row++;
    for (d = last - 1; d >= 0 && ++pos[d] == p->out[d]; d--) pos[d] = 0;
    if (d < 0) break;
  }
}

/* Taps per output position of linear and cubic: 2 and 4, more when
 * antialiasing stretches the filter by 1 / scale. */
static int64_t resize_taps(const RtResize *p, int64_t d) {
  double s = resize_scale(p, d), sa = s < 1 ? s : 1;
  if (!p->antialias) return p->mode == RT_RS_CUBIC ? 4 : 2;
  if (p->mode == RT_RS_CUBIC) return 2 - 2 * (int64_t)(floor(-2 / sa) + 1);
  return 2 - 2 * (int64_t)(floor(-1 / sa) + 1);
}

static double resize_cubic_aa(double x, double a) {
  double x2, x3;
  x = fabs(x);
  x2 = x * x;
  x3 = x * x2;
  if (x <= 1) return (a + 2) * x3 - (a + 3) * x2 + 1;
  if (x < 2) return a * x3 - 5 * a * x2 + 8 * a * x - 4 * a;
  return 0;
}

/* The n weights of output position x on axis d and the input index of the
 * first (before clamping). The taps are f + i0 .. f + i0 + n - 1 where
 * x = f + r, r in (0, 1]. */
static int64_t resize_weights(const RtResize *p, int64_t d, double x, int64_t n, double *w) {
  double f = floor(x), r = x - f, a = p->cubic_a, s = resize_scale(p, d), sa = s < 1 ? s : 1;
  double sum = 0;
  int64_t i0 = 1 - n / 2, j, first;
  if (r == 0) {
    f -= 1;
    r = 1;
  }
  first = (int64_t)f + i0;
  if (!p->antialias && p->mode == RT_RS_LINEAR) {
    w[0] = 1 - r;
    w[1] = r;
  } else if (!p->antialias) {
    w[0] = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
    w[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
    w[2] = ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1;
    w[3] = ((a * ((1 - r) + 1) - 5 * a) * ((1 - r) + 1) + 8 * a) * ((1 - r) + 1) - 4 * a;
  } else {
    for (j = 0; j < n; j++) {
      double t = (double)(i0 + j) - r, v;
      if (p->mode == RT_RS_CUBIC) {
        v = resize_cubic_aa(sa * t, a);
      } else {
        v = 1 - fabs(t * sa);
        v = v < 0 ? 0 : v > 1 ? 1 : v;
      }
      w[j] = v;
      sum += v;
    }
    for (j = 0; j < n; j++) w[j] /= sum;
  }
  if (p->exclude_outside) {
    sum = 0;
    for (j = 0; j < n; j++) {
      if (first + j < 0 || first + j >= p->in[d]) w[j] = 0;
      sum += w[j];
    }
    if (sum == 0) sum = 1;
    for (j = 0; j < n; j++) w[j] /= sum;
  }
  return first;
}

/* One pass: src [outer, in[d], inner] -> dst [outer, out[d], inner]. idx and
 * w hold out[d] * taps entries; idx < 0 marks an extrapolated position. */
static void resize_pass(const RtResize *p, int64_t d, const float *src, float *dst, int64_t outer,
                        int64_t inner, int64_t *idx, double *w) {
  int64_t in = p->in[d], out = p->out[d], n = resize_taps(p, d), b, o, j, i;
  for (o = 0; o < out; o++) {
    double x = resize_coord(p, d, o);
    int64_t first = resize_weights(p, d, x, n, w + o * n);
    for (j = 0; j < n; j++) idx[o * n + j] = resize_clamp(first + j, in);
    if (resize_outside(p, d, x)) idx[o * n] = -1;
  }
  for (b = 0; b < outer; b++) {
    const float *s = src + b * in * inner;
    for (o = 0; o < out; o++) {
      float *row = dst + (b * out + o) * inner;
      const int64_t *ix = idx + o * n;
      if (ix[0] < 0) {
        for (i = 0; i < inner; i++) row[i] = p->extrapolation;
        continue;
      }
      if (inner == 1) {
        double acc = 0;
        for (j = 0; j < n; j++) acc += w[o * n + j] * s[ix[j]];
        row[0] = (float)acc;
        continue;
      }
      for (i = 0; i < inner; i++) row[i] = 0;
      for (j = 0; j < n; j++) {
        const float *srow = s + ix[j] * inner;
        float wj = (float)w[o * n + j];
        for (i = 0; i < inner; i++) row[i] += wj * srow[i];
      }
    }
  }
}

/* Scratch of the float passes: the index and weight tables of the largest
 * pass, then up to two intermediate tensors. */
static void resize_layout(const RtResize *p, int64_t *table, int64_t *inter, int64_t *bufs) {
  int64_t cur[RT_MAX_RANK], d, k, npass = 0, done = 0;
  *table = *inter = 0;
  for (d = 0; d < p->rank; d++) {
    cur[d] = p->in[d];
    if (p->resized >> d & 1) npass++;
  }
  for (d = 0; d < p->rank; d++) {
    int64_t t, size = 1;
    if (!(p->resized >> d & 1)) continue;
    t = p->out[d] * resize_taps(p, d);
    *table = t > *table ? t : *table;
    cur[d] = p->out[d];
    if (++done == npass) break;
    for (k = 0; k < p->rank; k++) size *= cur[k];
    *inter = size > *inter ? size : *inter;
  }
  *bufs = npass >= 3 ? 2 : npass - 1 > 0 ? npass - 1 : 0;
}

RT_API int64_t rt_resize_scratch(const RtResize *p) {
  int64_t table, inter, bufs, d, sum = 0;
  if (p->mode == RT_RS_NEAREST) {
    for (d = 0; d < p->rank; d++) sum += p->out[d];
    return sum * (int64_t)sizeof(int64_t);
  }
  resize_layout(p, &table, &inter, &bufs);
  return table * (int64_t)(sizeof(int64_t) + sizeof(double)) +
         bufs * inter * (int64_t)sizeof(float);
}

RT_API void rt_resize_f32(const RtResize *p, const float *x, float *y, void *scratch) {
  int64_t table, inter, bufs, cur[RT_MAX_RANK], d, k, npass = 0, done = 0;
  int64_t *idx = (int64_t *)scratch;
  double *w;
  float *buf[2];
  const float *src = x;
  resize_layout(p, &table, &inter, &bufs);
  w = (double *)(idx + table);
  buf[0] = (float *)(w + table);
  buf[1] = buf[0] + inter;
  for (d = 0; d < p->rank; d++) {
    cur[d] = p->in[d];
    if (p->resized >> d & 1) npass++;
  }
  if (npass == 0) {
    int64_t total = 1;
    for (d = 0; d < p->rank; d++) total *= p->in[d];
    if (total > 0) memcpy(y, x, (size_t)total * sizeof(float));
    return;
  }
  for (d = 0; d < p->rank; d++) {
    int64_t outer = 1, inner = 1;
    float *dst;
    if (!(p->resized >> d & 1)) continue;
    for (k = 0; k < d; k++) outer *= cur[k];
    for (k = d + 1; k < p->rank; k++) inner *= cur[k];
    dst = ++done == npass ? y : buf[(done - 1) % 2];
    resize_pass(p, d, src, dst, outer, inner, idx, w);
    cur[d] = p->out[d];
    src = dst;
  }
}

/* ---- GridSample ---- */

/* Reflects x into [lo, hi] (in float64, as ONNX's reference does). */
static double resize_reflect(double x, double lo, double hi) {
  double rng = hi - lo, dx, r;
  int64_t n;
  if (rng <= 0) return lo;
  if (x >= lo && x <= hi) return x;
  dx = x < lo ? lo - x : x - hi;
  n = (int64_t)(dx / rng);
  r = dx - (double)n * rng;
  if (x < lo) return n % 2 == 0 ? lo + r : hi - r;
  return n % 2 == 0 ? hi - r : lo + r;
}

/* The input index of tap i on an axis of length len under the padding mode;
 * -1 for a zero. */
static int64_t resize_gs_index(const RtGridSample *p, int64_t i, int64_t len, double lo,
                               double hi) {
  if (p->padding == 1) return resize_clamp(i, len);
  if (p->padding == 2) return resize_clamp((int64_t)resize_reflect((double)i, lo, hi), len);
  return i >= 0 && i < len ? i : -1;
}

/* Taps (input index or -1, weight) of normalized coordinate nv on axis d. */
static int64_t resize_gs_axis(const RtGridSample *p, int64_t d, float nv, int64_t *idx, float *w) {
  int64_t len = p->in[d], i0, j, n = p->mode == 0 ? 1 : p->mode == 1 ? 2 : 4;
  float fl = (float)len, x, r;
  double lo = p->align_corners ? 0.0 : -0.5, hi = p->align_corners ? fl - 1.0 : fl - 0.5;
  x = p->align_corners ? (nv + 1) / 2.0f * (fl - 1) : ((nv + 1) * fl - 1) / 2.0f;
  if (p->mode == 0) x = nearbyintf(x);
  /* Nearest and linear move an outside location inside first (as ONNX's
   * reference; the same as mapping each tap). Cubic maps only its taps, as
   * PyTorch and onnxruntime do: clamping the location would change the
   * weights. */
  if ((x < lo || x > hi) && p->mode != 2) {
    if (p->padding == 1) x = x < 0 ? 0.0f : x > fl - 1 ? fl - 1 : x;
    if (p->padding == 2) x = (float)resize_reflect(x, lo, hi);
  }
  if (p->mode == 0) {
    idx[0] = resize_gs_index(p, (int64_t)x, len, lo, hi);
    w[0] = 1;
    return 1;
  }
  i0 = (int64_t)floorf(x);
  r = x - (float)i0;
  if (p->mode == 1) {
    w[0] = 1 - r;
    w[1] = r;
  } else {
    const float a = -0.75f;
    w[0] = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
    w[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
    w[2] = ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1;
    w[3] = ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a;
    i0 -= 1;
  }
  for (j = 0; j < n; j++) idx[j] = resize_gs_index(p, i0 + j, len, lo, hi);
  return n;
}

#define RESIZE_GS_MAX_TAPS 64 /* taps^r: the compiler keeps cubic to 3 dims */

RT_API void rt_grid_sample_f32(const RtGridSample *p, const float *x, const float *grid, float *y) {
  int64_t r = p->r, npos = 1, nin = 1, b, q, c, d, t;
  int64_t stride[RT_MAX_RANK], idx[RT_MAX_RANK][4], cnt[RT_MAX_RANK];
  float w[RT_MAX_RANK][4];
  int64_t off[RESIZE_GS_MAX_TAPS];
  float wt[RESIZE_GS_MAX_TAPS];
  for (d = r - 1; d >= 0; d--) {
    stride[d] = nin;
    nin *= p->in[d];
    npos *= p->out[d];
  }
  for (b = 0; b < p->n; b++) {
    for (q = 0; q < npos; q++) {
      const float *g = grid + (b * npos + q) * r;
      int64_t ntap = 0, pos[RT_MAX_RANK] = {0};
      for (d = 0; d < r; d++) cnt[d] = resize_gs_axis(p, d, g[r - 1 - d], idx[d], w[d]);
      for (;;) { /* every combination of one tap per axis */
        int64_t o = 0, ok = 1;
        float v = 1;
        for (d = 0; d < r; d++) {
          ok &= idx[d][pos[d]] >= 0;
          o += idx[d][pos[d]] * stride[d];
          v *= w[d][pos[d]];
        }
        if (ok && ntap < RESIZE_GS_MAX_TAPS) {
          off[ntap] = o;
          wt[ntap++] = v;
        }
        for (d = r - 1; d >= 0 && ++pos[d] == cnt[d]; d--) pos[d] = 0;
        if (d < 0) break;
      }
      for (c = 0; c < p->c; c++) {
        const float *xc = x + (b * p->c + c) * nin;
        float acc = 0;
        for (t = 0; t < ntap; t++) acc += wt[t] * xc[off[t]];
        y[(b * p->c + c) * npos + q] = acc;
      }
    }
  }
}

/* ---- AffineGrid ---- */

/* Position i of n in [-1, 1] as numpy's arange makes it. */
static double resize_ag_base(int64_t i, int64_t n, int64_t align_corners) {
  double step, start, delta;
  if (align_corners) {
    if (n <= 1) return 0.0; /* PyTorch's (and onnxruntime's) single position */
    step = 2.0 / (double)(n - 1);
    start = -1.0;
  } else {
    step = 2.0 / (double)n;
    start = -1.0 + step / 2;
  }
  if (i == 0) return start;
  delta = (start + step) - start;
  return i == 1 ? start + step : start + (double)i * delta;
}

RT_API void rt_affine_grid_f32(const RtAffineGrid *p, const float *theta, float *y) {
  int64_t r = p->r, nd = r == 3 ? p->size[0] : 1, nh = p->size[1], nw = p->size[2];
  int64_t b, i, j, k, row, col;
  for (b = 0; b < p->n; b++) {
    const float *th = theta + b * r * (r + 1);
    for (i = 0; i < nd; i++) {
      for (j = 0; j < nh; j++) {
        for (k = 0; k < nw; k++) {
          double g[4];
          g[0] = resize_ag_base(k, nw, p->align_corners);
          g[1] = resize_ag_base(j, nh, p->align_corners);
          g[2] = resize_ag_base(i, nd, p->align_corners);
          g[r] = 1.0;
          for (row = 0; row < r; row++) {
            double v = 0;
            for (col = 0; col <= r; col++) v += (double)th[row * (r + 1) + col] * g[col];
            *y++ = (float)v;
          }
        }
      }
    }
  }
}

/* ---- Col2Im ---- */

RT_API void rt_col2im_f32(const RtCol2Im *p, const float *x, float *y) {
  int64_t r = p->r, nblock = 1, ncol = 1, nimg = 1, b, c, k, l, d;
  for (d = 0; d < r; d++) {
    nblock *= p->block[d];
    ncol *= p->cols[d];
    nimg *= p->image[d];
  }
  if (p->n * p->c * nimg > 0) memset(y, 0, (size_t)(p->n * p->c * nimg) * sizeof(float));
  for (b = 0; b < p->n; b++) {
    for (c = 0; c < p->c; c++) {
      float *img = y + (b * p->c + c) * nimg;
      for (k = 0; k < nblock; k++) {
        const float *col = x + ((b * p->c + c) * nblock + k) * ncol;
        int64_t kpos[RT_MAX_RANK], lpos[RT_MAX_RANK] = {0}, rem = k;
        for (d = r - 1; d >= 0; d--) {
          kpos[d] = rem % p->block[d];
          rem /= p->block[d];
        }
        for (l = 0; l < ncol; l++) {
          int64_t off = 0, ok = 1;
          for (d = 0; d < r; d++) {
            int64_t v = lpos[d] * p->stride[d] - p->pad[d] + kpos[d] * p->dil[d];
            ok &= v >= 0 && v < p->image[d];
            off = off * p->image[d] + v;
          }
          if (ok) img[off] += col[l];
          for (d = r - 1; d >= 0 && ++lpos[d] == p->cols[d]; d--) lpos[d] = 0;
        }
      }
    }
  }
}

/* ---- MaxUnpool ---- */

RT_API void rt_max_unpool(const RtMaxUnpool *p, const void *x, const int64_t *idx, void *y) {
  int64_t total = 1, inferred = 1, i, d;
  const unsigned char *src = (const unsigned char *)x;
  unsigned char *dst = (unsigned char *)y;
  for (d = 0; d < p->rank; d++) {
    total *= p->out[d];
    inferred *= p->inferred[d];
  }
  if (total > 0) memset(dst, 0, (size_t)(total * p->elem));
  for (i = 0; i < p->count; i++) {
    int64_t v = idx[i], off = 0, stride = 1;
    if (v < 0 || v >= inferred) continue;
    for (d = p->rank - 1; d >= 0; d--) {
      off += v % p->inferred[d] * stride;
      v /= p->inferred[d];
      stride *= p->out[d];
    }
    memcpy(dst + off * p->elem, src + i * p->elem, (size_t)p->elem);
  }
}

/* ---- RoiAlign ---- */

/* One bilinear sample at (yy, xx): up to four positions and weights (all
 * zero outside the feature map). As ONNX's reference, in float32. */
static void resize_roi_sample(const RtRoiAlign *p, float yy, float xx, int64_t *pos, float *w) {
  int64_t yl, xl, yh, xh;
  float ly, lx, hy, hx;
  if (yy < -1.0f || yy > (float)p->h || xx < -1.0f || xx > (float)p->w) {
    memset(pos, 0, 4 * sizeof *pos);
    w[0] = w[1] = w[2] = w[3] = 0;
    return;
  }
  yy = yy < 0 ? 0 : yy;
  xx = xx < 0 ? 0 : xx;
  yl = (int64_t)yy;
  xl = (int64_t)xx;
  if (yl >= p->h - 1) {
    yh = yl = p->h - 1;
    yy = (float)yl;
  } else {
    yh = yl + 1;
  }
  if (xl >= p->w - 1) {
    xh = xl = p->w - 1;
    xx = (float)xl;
  } else {
    xh = xl + 1;
  }
  ly = yy - (float)yl;
  lx = xx - (float)xl;
  hy = 1.0f - ly;
  hx = 1.0f - lx;
  pos[0] = yl * p->w + xl;
  pos[1] = yl * p->w + xh;
  pos[2] = yh * p->w + xl;
  pos[3] = yh * p->w + xh;
  w[0] = hy * hx;
  w[1] = hy * lx;
  w[2] = ly * hx;
  w[3] = ly * lx;
}

static float resize_max4(float a, float b, float c, float d) {
  float m = a;
  m = b > m ? b : m;
  m = c > m ? c : m;
  return d > m ? d : m;
}

/* One roi: every bin of every channel. */
static void resize_roi(const RtRoiAlign *p, const float *x, const float *roi, float *y) {
  float off = p->half_pixel ? 0.5f : 0.0f, sc = p->spatial_scale;
  float x0 = roi[0] * sc - off, y0 = roi[1] * sc - off;
  float rw = roi[2] * sc - off - x0, rh = roi[3] * sc - off - y0, bw, bh;
  int64_t gh, gw, count, ph, pw, iy, ix, c, plane = p->out_h * p->out_w;
  if (!p->half_pixel) {
    rw = rw > 1.0f ? rw : 1.0f;
    rh = rh > 1.0f ? rh : 1.0f;
  }
  bh = rh / (float)p->out_h;
  bw = rw / (float)p->out_w;
  gh = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceilf(rh / (float)p->out_h);
  gw = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceilf(rw / (float)p->out_w);
  count = gh * gw > 1 ? gh * gw : 1;
  for (ph = 0; ph < p->out_h; ph++) {
    for (pw = 0; pw < p->out_w; pw++) {
      float *out = y + ph * p->out_w + pw;
      int first = 1;
      for (c = 0; c < p->c; c++) out[c * plane] = 0;
      for (iy = 0; iy < gh; iy++) {
        float yy = y0 + (float)ph * bh + ((float)iy + 0.5f) * bh / (float)gh;
        for (ix = 0; ix < gw; ix++) {
          float xx = x0 + (float)pw * bw + ((float)ix + 0.5f) * bw / (float)gw, w[4];
          int64_t pos[4];
          resize_roi_sample(p, yy, xx, pos, w);
          for (c = 0; c < p->c; c++) {
            const float *xc = x + c * p->h * p->w;
            float *o = out + c * plane;
            if (p->mode_max) {
              float v = resize_max4(w[0] * xc[pos[0]], w[1] * xc[pos[1]], w[2] * xc[pos[2]],
                                    w[3] * xc[pos[3]]);
              *o = first || v > *o ? v : *o;
            } else {
              *o += w[0] * xc[pos[0]] + w[1] * xc[pos[1]] + w[2] * xc[pos[2]] + w[3] * xc[pos[3]];
            }
          }
          first = 0;
        }
      }
      if (!p->mode_max)
        for (c = 0; c < p->c; c++) out[c * plane] /= (float)count;
    }
  }
}

RT_API void rt_roi_align_f32(const RtRoiAlign *p, const float *x, const float *rois,
                             const int64_t *batch, float *y) {
  int64_t i, per_roi = p->c * p->out_h * p->out_w;
  for (i = 0; i < p->num_rois; i++) {
    float *out = y + i * per_roi;
    if (batch[i] < 0 || batch[i] >= p->n) {
      memset(out, 0, (size_t)per_roi * sizeof(float));
      continue;
    }
    resize_roi(p, x + batch[i] * p->c * p->h * p->w, rois + i * 4, out);
  }
}
