/* normalize.c - GroupNormalization (and InstanceNormalization),
 * LpNormalization, LRN, MeanVarianceNormalization, RMSNormalization and Lp
 * pooling, in float32.
 *
 * Means and variances take two passes over the data (the mean, then the mean
 * of squared deviations) with 16 partial sums, which vectorize and keep the
 * rounding error of long rows small. File-local helpers are prefixed nz_. */
#include <math.h>

#include "normalize.h"

/* The sum over j < n of (x[j] - shift), or of its square when sq. */
static float nz_sum(const float *x, int64_t n, float shift, int sq) {
  float lane[16], r = 0.0f;
  int64_t b, j, nb = n / 16;
  int q;
  for (q = 0; q < 16; q++) lane[q] = 0.0f;
  if (sq) {
    for (b = 0; b < nb; b++)
      for (q = 0; q < 16; q++) lane[q] += (x[b * 16 + q] - shift) * (x[b * 16 + q] - shift);
  } else {
    for (b = 0; b < nb; b++)
      for (q = 0; q < 16; q++) lane[q] += x[b * 16 + q] - shift;
  }
  for (q = 0; q < 16; q++) r += lane[q];
  for (j = nb * 16; j < n; j++) r += sq ? (x[j] - shift) * (x[j] - shift) : x[j] - shift;
  return r;
}

/* y[j] = (x[j] - shift) * a + b for j < n. */
static void nz_affine(const float *restrict x, float *restrict y, int64_t n, float shift, float a,
                      float b) {
  int64_t j;
  for (j = 0; j < n; j++) y[j] = (x[j] - shift) * a + b;
}

RT_API void rt_groupnorm_f32(const RtGroupNorm *p, const float *x, const float *scale,
                             const float *bias, float *y) {
  int64_t glen = p->cpg * p->inner, i, g, j;
  if (glen == 0) return;
  for (i = 0; i < p->n; i++) {
    for (g = 0; g < p->groups; g++) {
      int64_t off = (i * p->groups + g) * glen;
      float mu = nz_sum(x + off, glen, 0.0f, 0) / (float)glen;
      float var = nz_sum(x + off, glen, mu, 1) / (float)glen;
      float inv = 1.0f / sqrtf(var + p->eps);
      for (j = 0; j < p->cpg; j++) {
        int64_t k = p->per_group ? g : g * p->cpg + j, o = off + j * p->inner;
        nz_affine(x + o, y + o, p->inner, mu, inv * scale[k], bias[k]);
      }
    }
  }
}

RT_API void rt_lpnorm_f32(const RtLpNorm *p, const float *x, float *y) {
  int64_t o, i, l, len = p->len, inner = p->inner;
  for (o = 0; o < p->outer; o++) {
    for (i = 0; i < inner; i++) {
      const float *xs = x + o * len * inner + i;
      float *ys = y + o * len * inner + i;
      float s = 0.0f;
      if (p->p == 1) {
        for (l = 0; l < len; l++) s += fabsf(xs[l * inner]);
      } else {
        for (l = 0; l < len; l++) s += xs[l * inner] * xs[l * inner];
        s = sqrtf(s);
      }
      for (l = 0; l < len; l++) ys[l * inner] = s != 0.0f ? xs[l * inner] / s : 0.0f;
    }
  }
}

RT_API void rt_lrn_f32(const RtLrn *p, const float *x, float *y) {
  int64_t before = (p->size - 1) / 2, after = p->size - 1 - before;
  int64_t inner = p->inner, i, ch, c2, j;
  float a = p->alpha / (float)p->size;
  for (i = 0; i < p->n; i++) {
    const float *xn = x + i * p->c * inner;
    float *yn = y + i * p->c * inner;
    for (ch = 0; ch < p->c; ch++) {
      float *yr = yn + ch * inner;
      const float *xr = xn + ch * inner;
      int64_t lo = ch - before < 0 ? 0 : ch - before;
      int64_t hi = ch + after >= p->c ? p->c - 1 : ch + after;
      for (j = 0; j < inner; j++) yr[j] = 0.0f;
      for (c2 = lo; c2 <= hi; c2++) {
        const float *xc = xn + c2 * inner;
        for (j = 0; j < inner; j++) yr[j] += xc[j] * xc[j];
      }
      for (j = 0; j < inner; j++) yr[j] = xr[j] * powf(p->bias + a * yr[j], -p->beta);
    }
  }
}

/* Walks the normalized positions that belong to the kept position at
 * offset base: mode 0 returns the sum of x, mode 1 the sum of (x - m)^2,
 * mode 2 writes y = (x - m) * inv. Sums in double: the walk is strided and
 * does not vectorize anyway. */
static double nz_mvn_walk(const RtMvn *p, const float *x, float *y, int64_t base, int mode, float m,
                          float inv) {
  int64_t pos[RT_MAX_RANK] = {0}, r = p->red_rank, rows = 1, i, j, d;
  int64_t len = r ? p->red_dims[r - 1] : 1, step = r ? p->red_strides[r - 1] : 0;
  double s = 0.0;
  for (d = 0; d + 1 < r; d++) rows *= p->red_dims[d];
  for (i = 0; i < rows; i++) {
    int64_t off = base;
    for (d = 0; d + 1 < r; d++) off += pos[d] * p->red_strides[d];
    if (mode == 0) {
      for (j = 0; j < len; j++) s += x[off + j * step];
    } else if (mode == 1) {
      for (j = 0; j < len; j++) {
        double t = (double)x[off + j * step] - m;
        s += t * t;
      }
    } else {
      for (j = 0; j < len; j++) y[off + j * step] = (x[off + j * step] - m) * inv;
    }
    for (d = r - 2; d >= 0 && ++pos[d] == p->red_dims[d]; d--) pos[d] = 0;
  }
  return s;
}

RT_API void rt_mvn_f32(const RtMvn *p, const float *x, float *y) {
  int64_t pos[RT_MAX_RANK] = {0}, outer = 1, count = 1, i, d;
  for (d = 0; d < p->out_rank; d++) outer *= p->out_dims[d];
  for (d = 0; d < p->red_rank; d++) count *= p->red_dims[d];
  if (count == 0) return;
  for (i = 0; i < outer; i++) {
    int64_t base = 0;
    float m, sd;
    for (d = 0; d < p->out_rank; d++) base += pos[d] * p->out_strides[d];
    m = (float)(nz_mvn_walk(p, x, y, base, 0, 0.0f, 0.0f) / (double)count);
    sd = (float)sqrt(nz_mvn_walk(p, x, y, base, 1, m, 0.0f) / (double)count);
    nz_mvn_walk(p, x, y, base, 2, m, 1.0f / (sd + 1e-9f));
    for (d = p->out_rank - 1; d >= 0 && ++pos[d] == p->out_dims[d]; d--) pos[d] = 0;
  }
}

/* Expands RMSNormalization's broadcast scale into w [len]. */
static void nz_expand(const RtRmsNorm *p, const float *scale, float *w) {
  int64_t pos[RT_MAX_RANK] = {0}, i, d;
  for (i = 0; i < p->len; i++) {
    int64_t off = 0;
    for (d = 0; d < p->srank; d++) off += pos[d] * p->sstrides[d];
    w[i] = scale[off];
    for (d = p->srank - 1; d >= 0 && ++pos[d] == p->sdims[d]; d--) pos[d] = 0;
  }
}

RT_API void rt_rmsnorm_f32(const RtRmsNorm *p, const float *x, const float *scale, float *y,
                           float *scratch) {
  const float *w = scale;
  int64_t r, j, len = p->len;
  if (len == 0) return;
  if (p->srank) {
    nz_expand(p, scale, scratch);
    w = scratch;
  }
  for (r = 0; r < p->outer; r++) {
    const float *xr = x + r * len;
    float *yr = y + r * len;
    float inv = 1.0f / sqrtf(nz_sum(xr, len, 0.0f, 1) / (float)len + p->eps);
    for (j = 0; j < len; j++) yr[j] = xr[j] * inv * w[j];
  }
}

/* The taps t in [0, k) whose position start + t * dil lies in [0, in):
 * [*t0, *t1). */
static void nz_taps(int64_t start, int64_t k, int64_t dil, int64_t in, int64_t *t0, int64_t *t1) {
  int64_t first = start >= 0 ? 0 : (-start + dil - 1) / dil;
  int64_t end = in - start <= 0 ? 0 : (in - start + dil - 1) / dil;
  if (end > k) end = k;
  if (first > end) first = end;
  *t0 = first, *t1 = end;
}

/* The sum of |r[t * dil]|^p for t < n. */
static float nz_lp_taps(const float *r, int64_t n, int64_t dil, float p) {
  float s = 0.0f;
  int64_t t;
  if (p == 1.0f) {
    for (t = 0; t < n; t++) s += fabsf(r[t * dil]);
  } else if (p == 2.0f) {
    for (t = 0; t < n; t++) s += r[t * dil] * r[t * dil];
  } else {
    for (t = 0; t < n; t++) s += powf(fabsf(r[t * dil]), p);
  }
  return s;
}

/* Output (od, oh, ow) of the plane xc. */
static float nz_lp_window(const RtLpPool *p, const float *xc, const int64_t *o) {
  int64_t start[3], t0[3], t1[3], td, th, d;
  float s = 0.0f;
  for (d = 0; d < 3; d++) {
    start[d] = o[d] * p->stride[d] - p->pad_begin[d];
    nz_taps(start[d], p->k[d], p->dil[d], p->in[d], &t0[d], &t1[d]);
  }
  for (td = t0[0]; td < t1[0]; td++) {
    int64_t id = start[0] + td * p->dil[0];
    for (th = t0[1]; th < t1[1]; th++) {
      int64_t ih = start[1] + th * p->dil[1], iw = start[2] + t0[2] * p->dil[2];
      s += nz_lp_taps(xc + (id * p->in[1] + ih) * p->in[2] + iw, t1[2] - t0[2], p->dil[2], p->p);
    }
  }
  if (p->p == 1.0f) return s;
  if (p->p == 2.0f) return sqrtf(s);
  return powf(s, 1.0f / p->p);
}

RT_API void rt_lppool_f32(const RtLpPool *p, const float *x, float *y) {
  int64_t in_sp = p->in[0] * p->in[1] * p->in[2], nc, o[3];
  for (nc = 0; nc < p->n * p->c; nc++)
    for (o[0] = 0; o[0] < p->out[0]; o[0]++)
      for (o[1] = 0; o[1] < p->out[1]; o[1]++)
        for (o[2] = 0; o[2] < p->out[2]; o[2]++) *y++ = nz_lp_window(p, x + nc * in_sp, o);
}
