/* conv.c - Conv and ConvTranspose, 1 to 3 spatial dims.
 *
 * Conv takes one of three routes:
 *   - pointwise (1x1, stride 1, no padding): per group, W [mg, cg] times the
 *     input viewed as [cg, spatial], straight into y; no scratch.
 *   - depthwise (group == c == m, kernel up to CONV_DW_KW wide): a direct
 *     loop, one output row at a time as a sum of shifted input rows; no
 *     scratch.
 *   - anything else: per image and group, im2col into scratch
 *     [cg * kvol, out spatial], then one GEMM.
 * Bias and the activation ride in the GEMM's epilogue.
 * ConvTranspose is one GEMM into a column buffer (scratch), W^T X of shape
 * [mg * kvol, in spatial], then col2im scatter-adds it into y.
 * Index math is written once for (d, h, w); 1-D and 2-D convs have leading
 * sizes of 1, and the innermost (w) loops carry the work.
 * Loops that should vectorize run to n & ~7 and then finish the rest (see
 * rt_sgemm.h). */
#include <string.h>

#include "rt_kernels.h"
#include "rt_scalar.h"
#include "rt_sgemm.h"

#define CONV_DW_KW 16 /* widest kernel the depthwise route takes */

/* The geometry shared by Conv and ConvTranspose: a window of k taps at
 * each of pos positions covers img; tap t of position i is at
 * i * stride - pad + t * dil. Conv: img = in, pos = out; ConvTranspose:
 * img = out, pos = in. */
typedef struct ConvGeom {
  int64_t img[3], pos[3];
  int64_t k[3], stride[3], dil[3], pad[3];
} ConvGeom;

static ConvGeom conv_geom(const int64_t *img, const int64_t *pos, const int64_t *k,
                          const int64_t *stride, const int64_t *dil, const int64_t *pad) {
  ConvGeom q;
  int d;
  for (d = 0; d < 3; d++) {
    q.img[d] = img[d], q.pos[d] = pos[d], q.k[d] = k[d];
    q.stride[d] = stride[d], q.dil[d] = dil[d], q.pad[d] = pad[d];
  }
  return q;
}

/* ceil(a / b) for b > 0 and any sign of a. */
static int64_t conv_ceil_div(int64_t a, int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/* The positions t in [0, n) with 0 <= t * s + off < bound: [*lo, *hi). */
static void conv_range(int64_t n, int64_t s, int64_t off, int64_t bound, int64_t *lo, int64_t *hi) {
  int64_t l = off >= 0 ? 0 : conv_ceil_div(-off, s);
  int64_t h = conv_ceil_div(bound - off, s);
  if (h > n) h = n;
  if (h < 0) h = 0; /* the first position is past the bound already */
  if (l > h) l = h;
  *lo = l, *hi = h;
}

/* y[j] += w * x[j * s] for j < n. */
static void conv_axpy(float *restrict y, const float *restrict x, int64_t n, int64_t s, float w) {
  int64_t j, nv = n & ~(int64_t)7;
  if (s == 1) {
    for (j = 0; j < nv; j++) y[j] += w * x[j];
    for (; j < n; j++) y[j] += w * x[j];
  } else {
    for (j = 0; j < n; j++) y[j] += w * x[j * s];
  }
}

/* ---- im2col for Conv: col[(ci, kd, kh, kw)][(od, oh, ow)] is the input
 * under tap (kd, kh, kw) of output position (od, oh, ow), 0 in padding. */

/* dst[t] = src[t * s + off] where that is inside [0, n), else 0; t < len. */
static void conv_gather_row(float *restrict dst, const float *restrict src, int64_t len, int64_t n,
                            int64_t s, int64_t off) {
  int64_t lo, hi, t;
  conv_range(len, s, off, n, &lo, &hi);
  if (lo > 0) memset(dst, 0, sizeof(float) * (size_t)lo);
  if (s == 1) {
    if (hi > lo) memcpy(dst + lo, src + lo + off, sizeof(float) * (size_t)(hi - lo));
  } else {
    for (t = lo; t < hi; t++) dst[t] = src[t * s + off];
  }
  if (hi < len) memset(dst + hi, 0, sizeof(float) * (size_t)(len - hi));
}

/* One row of col: tap (kd, kh, kw) of input channel plane xc. */
static void conv_im2col_tap(const ConvGeom *q, const float *xc, int64_t kd, int64_t kh, int64_t kw,
                            float *row) {
  int64_t od, oh;
  int64_t wo = q->pos[2], off_w = kw * q->dil[2] - q->pad[2];
  for (od = 0; od < q->pos[0]; od++) {
    int64_t id = od * q->stride[0] - q->pad[0] + kd * q->dil[0];
    for (oh = 0; oh < q->pos[1]; oh++) {
      int64_t ih = oh * q->stride[1] - q->pad[1] + kh * q->dil[1];
      float *dst = row + (od * q->pos[1] + oh) * wo;
      if (id < 0 || id >= q->img[0] || ih < 0 || ih >= q->img[1]) {
        memset(dst, 0, sizeof(float) * (size_t)wo);
      } else {
        const float *src = xc + (id * q->img[1] + ih) * q->img[2];
        conv_gather_row(dst, src, wo, q->img[2], q->stride[2], off_w);
      }
    }
  }
}

/* col [cg * kvol, out spatial] from the cg channels at x. */
static void conv_im2col(const ConvGeom *q, int64_t cg, const float *x, float *col) {
  int64_t in_sp = q->img[0] * q->img[1] * q->img[2];
  int64_t out_sp = q->pos[0] * q->pos[1] * q->pos[2];
  int64_t ci, kd, kh, kw, r = 0;
  for (ci = 0; ci < cg; ci++)
    for (kd = 0; kd < q->k[0]; kd++)
      for (kh = 0; kh < q->k[1]; kh++)
        for (kw = 0; kw < q->k[2]; kw++, r++)
          conv_im2col_tap(q, x + ci * in_sp, kd, kh, kw, col + r * out_sp);
}

/* ---- Conv */

/* Depthwise (one input and one output channel per group), up to
 * CONV_DW_KW taps wide. */
static int conv_is_depthwise(const RtConv *p) {
  return p->group == p->c && p->c == p->m && p->k[2] <= CONV_DW_KW;
}

/* 1x1 kernel, stride 1, no padding: the input is already the column matrix. */
static int conv_is_pointwise(const int64_t *k, const int64_t *stride, const int64_t *pad,
                             const int64_t *in, const int64_t *out) {
  int d;
  for (d = 0; d < 3; d++)
    if (k[d] != 1 || stride[d] != 1 || pad[d] != 0 || in[d] != out[d]) return 0;
  return 1;
}

/* Where each tap kw of a depthwise window row lands: output columns
 * [lo, hi) read inside the input. */
typedef struct ConvTaps {
  int64_t lo[CONV_DW_KW], hi[CONV_DW_KW];
} ConvTaps;

/* y[j] += w0 x[j] + w1 x[j + d] + w2 x[j + 2d] for j < n: three taps of a
 * unit-stride row in one pass. */
static void conv_dw3(float *restrict y, const float *restrict x, int64_t n, int64_t d, float w0,
                     float w1, float w2) {
  const float *x1 = x + d, *x2 = x + 2 * d;
  int64_t j, nv = n & ~(int64_t)7;
  for (j = 0; j < nv; j++) y[j] += w0 * x[j] + w1 * x1[j] + w2 * x2[j];
  for (; j < n; j++) y[j] += w0 * x[j] + w1 * x1[j] + w2 * x2[j];
}

/* Adds one input row xr under kernel row wr (k[2] taps) to the output row
 * yr. With three unit-stride taps, the columns all taps reach go in one
 * pass and only the edges tap by tap. */
static void conv_dw_taps(const ConvGeom *q, const ConvTaps *t, const float *xr, const float *wr,
                         float *yr) {
  int64_t kw, s = q->stride[2], mid_lo = 0, mid_hi = 0;
  if (q->k[2] == 3 && s == 1) {
    mid_lo = t->lo[0] > t->lo[2] ? t->lo[0] : t->lo[2];
    mid_hi = t->hi[0] < t->hi[2] ? t->hi[0] : t->hi[2];
    if (mid_hi > mid_lo)
      conv_dw3(yr + mid_lo, xr + mid_lo - q->pad[2], mid_hi - mid_lo, q->dil[2], wr[0], wr[1],
               wr[2]);
    else
      mid_lo = mid_hi = 0;
  }
  for (kw = 0; kw < q->k[2]; kw++) {
    int64_t off = kw * q->dil[2] - q->pad[2], lo = t->lo[kw], hi = t->hi[kw];
    int64_t a_hi = mid_lo < hi ? mid_lo : hi, b_lo = mid_hi > lo ? mid_hi : lo;
    if (mid_hi <= mid_lo) a_hi = hi, b_lo = hi; /* no fused middle: all of it */
    if (a_hi > lo) conv_axpy(yr + lo, xr + lo * s + off, a_hi - lo, s, wr[kw]);
    if (hi > b_lo) conv_axpy(yr + b_lo, xr + b_lo * s + off, hi - b_lo, s, wr[kw]);
  }
}

/* One output row (od, oh) of one depthwise channel: y = bias + the sum over
 * taps of w * shifted input rows, then the activation. */
static void conv_dw_row(const RtConv *p, const ConvGeom *q, const ConvTaps *t, const float *xc,
                        const float *wc, float bias, int64_t od, int64_t oh, float *yr) {
  int64_t j, kd, kh, wo = q->pos[2];
  for (j = 0; j < wo; j++) yr[j] = bias;
  for (kd = 0; kd < q->k[0]; kd++) {
    int64_t id = od * q->stride[0] - q->pad[0] + kd * q->dil[0];
    if (id < 0 || id >= q->img[0]) continue;
    for (kh = 0; kh < q->k[1]; kh++) {
      int64_t ih = oh * q->stride[1] - q->pad[1] + kh * q->dil[1];
      if (ih < 0 || ih >= q->img[1]) continue;
      conv_dw_taps(q, t, xc + (id * q->img[1] + ih) * q->img[2], wc + (kd * q->k[1] + kh) * q->k[2],
                   yr);
    }
  }
  sgemm_act_row(yr, wo, p->act, p->alpha, p->beta);
}

/* Depthwise conv for kernels up to CONV_DW_KW wide. */
static void conv_depthwise(const RtConv *p, const float *x, const float *w, const float *b,
                           float *y) {
  ConvGeom q = conv_geom(p->in, p->out, p->k, p->stride, p->dil, p->pad_begin);
  ConvTaps t = {{0}, {0}}; /* all set below; zeroed so compilers can see it */
  int64_t in_sp = p->in[0] * p->in[1] * p->in[2];
  int64_t out_sp = p->out[0] * p->out[1] * p->out[2];
  int64_t kvol = p->k[0] * p->k[1] * p->k[2];
  int64_t nc, od, oh, kw;
  for (kw = 0; kw < p->k[2]; kw++)
    conv_range(q.pos[2], q.stride[2], kw * q.dil[2] - q.pad[2], q.img[2], &t.lo[kw], &t.hi[kw]);
  for (nc = 0; nc < p->n * p->c; nc++) {
    int64_t ch = nc % p->c;
    float bias = b ? b[ch] : 0.0f;
    for (od = 0; od < p->out[0]; od++)
      for (oh = 0; oh < p->out[1]; oh++)
        conv_dw_row(p, &q, &t, x + nc * in_sp, w + ch * kvol, bias, od, oh,
                    y + nc * out_sp + (od * p->out[1] + oh) * p->out[2]);
  }
}

RT_API int64_t rt_conv_scratch_f32(const RtConv *p) {
  if (conv_is_depthwise(p) || conv_is_pointwise(p->k, p->stride, p->pad_begin, p->in, p->out))
    return 0;
  return p->c / p->group * p->k[0] * p->k[1] * p->k[2] * p->out[0] * p->out[1] * p->out[2];
}

RT_API void rt_conv_f32(const RtConv *p, const float *x, const float *w, const float *b, float *y,
                        float *scratch) {
  ConvGeom q = conv_geom(p->in, p->out, p->k, p->stride, p->dil, p->pad_begin);
  int64_t cg = p->c / p->group, mg = p->m / p->group;
  int64_t in_sp = p->in[0] * p->in[1] * p->in[2];
  int64_t out_sp = p->out[0] * p->out[1] * p->out[2];
  int64_t kk = cg * p->k[0] * p->k[1] * p->k[2];
  int pointwise = conv_is_pointwise(p->k, p->stride, p->pad_begin, p->in, p->out);
  int64_t img, g;
  if (conv_is_depthwise(p)) {
    conv_depthwise(p, x, w, b, y);
    return;
  }
  for (img = 0; img < p->n; img++) {
    for (g = 0; g < p->group; g++) {
      const float *xg = x + (img * p->c + g * cg) * in_sp;
      SgemmArgs a;
      if (!pointwise) conv_im2col(&q, cg, xg, scratch);
      a = sgemm_args(mg, out_sp, kk, w + g * mg * kk, kk, 1, pointwise ? xg : scratch, out_sp, 1,
                     y + (img * p->m + g * mg) * out_sp);
      a.row_bias = b ? b + g * mg : NULL;
      a.act = p->act, a.act_alpha = p->alpha, a.act_beta = p->beta;
      sgemm(&a);
    }
  }
}

/* ---- ConvTranspose */

/* y[co][o] += col[(co, kd, kh, kw)][i] for o = i * stride - pad + k * dil
 * inside y; col is [mg * kvol, in spatial], y holds mg output planes. */
static void conv_col2im(const ConvGeom *q, int64_t mg, const float *col, float *y) {
  int64_t kvol = q->k[0] * q->k[1] * q->k[2];
  int64_t in_sp = q->pos[0] * q->pos[1] * q->pos[2];
  int64_t out_sp = q->img[0] * q->img[1] * q->img[2];
  int64_t r, id, ih;
  for (r = 0; r < mg * kvol; r++) {
    int64_t co = r / kvol, kd = r % kvol / (q->k[1] * q->k[2]);
    int64_t kh = r % (q->k[1] * q->k[2]) / q->k[2], kw = r % q->k[2];
    int64_t lo, hi, off = kw * q->dil[2] - q->pad[2];
    const float *row = col + r * in_sp;
    float *yc = y + co * out_sp;
    conv_range(q->pos[2], q->stride[2], off, q->img[2], &lo, &hi);
    if (hi <= lo) continue;
    for (id = 0; id < q->pos[0]; id++) {
      int64_t od = id * q->stride[0] - q->pad[0] + kd * q->dil[0];
      if (od < 0 || od >= q->img[0]) continue;
      for (ih = 0; ih < q->pos[1]; ih++) {
        int64_t oh = ih * q->stride[1] - q->pad[1] + kh * q->dil[1], t;
        const float *src = row + (id * q->pos[1] + ih) * q->pos[2];
        float *dst;
        if (oh < 0 || oh >= q->img[1]) continue;
        dst = yc + (od * q->img[1] + oh) * q->img[2];
        if (q->stride[2] == 1) {
          conv_axpy(dst + lo + off, src + lo, hi - lo, 1, 1.0f);
        } else {
          for (t = lo; t < hi; t++) dst[t * q->stride[2] + off] += src[t];
        }
      }
    }
  }
}

RT_API int64_t rt_conv_transpose_scratch_f32(const RtConvTranspose *p) {
  if (conv_is_pointwise(p->k, p->stride, p->pad_begin, p->in, p->out)) return 0;
  return p->m / p->group * p->k[0] * p->k[1] * p->k[2] * p->in[0] * p->in[1] * p->in[2];
}

RT_API void rt_conv_transpose_f32(const RtConvTranspose *p, const float *x, const float *w,
                                  const float *b, float *y, float *scratch) {
  ConvGeom q = conv_geom(p->out, p->in, p->k, p->stride, p->dil, p->pad_begin);
  int64_t cg = p->c / p->group, mg = p->m / p->group;
  int64_t in_sp = p->in[0] * p->in[1] * p->in[2];
  int64_t out_sp = p->out[0] * p->out[1] * p->out[2];
  int64_t rows = mg * p->k[0] * p->k[1] * p->k[2];
  int pointwise = conv_is_pointwise(p->k, p->stride, p->pad_begin, p->in, p->out);
  int64_t img, g, co, j;
  for (img = 0; img < p->n; img++) {
    for (g = 0; g < p->group; g++) {
      float *yg = y + (img * p->m + g * mg) * out_sp;
      /* W_g is [cg, rows]: A = W_g^T through strides. */
      SgemmArgs a =
          sgemm_args(rows, in_sp, cg, w + g * cg * rows, 1, rows, x + (img * p->c + g * cg) * in_sp,
                     in_sp, 1, pointwise ? yg : scratch);
      if (pointwise) {
        a.row_bias = b ? b + g * mg : NULL;
        a.act = p->act, a.act_alpha = p->alpha, a.act_beta = p->beta;
        sgemm(&a);
        continue;
      }
      sgemm(&a);
      for (co = 0; co < mg; co++) {
        float bias = b ? b[g * mg + co] : 0.0f;
        for (j = 0; j < out_sp; j++) yg[co * out_sp + j] = bias;
      }
      conv_col2im(&q, mg, scratch, yg);
      sgemm_act_row(yg, mg * out_sp, p->act, p->alpha, p->beta);
    }
  }
}
