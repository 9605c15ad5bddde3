/* quant.c - the quantization kernels: QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear, the integer MatMul and convolution (int32
 * accumulators), and the requantization of QLinearMatMul and QLinearConv.
 *
 * Quantizing divides (as ONNX Runtime does: x / scale, not x * (1 / scale)),
 * rounds half to even with rintf and adds the zero point in float, then
 * saturates; a NaN saturates to the type's minimum (as NumPy's reference
 * and ONNX Runtime's vector path). Integer products accumulate as uint32,
 * so an overflow wraps instead of being undefined.
 *
 * The integer GEMMs are y_row += a * b_row over int32 rows (loops that
 * vectorize): rt_qmatmul converts B in tiles of QUANT_KB x QUANT_NB
 * (zero point subtracted) into scratch; rt_qconv writes the im2col of
 * x - x_zp into scratch and walks it in blocks of QUANT_PB positions. */
#include <math.h>
#include <string.h>

#include "quant.h"
#include "rt_scalar.h"

#define QUANT_KB 128   /* rows of a B tile */
#define QUANT_NB 256   /* columns of a B tile */
#define QUANT_PB 256   /* output positions per block of rt_qconv */
#define QUANT_CHUNK 64 /* values rounded before one typed store */

/* Whether type t is one of the narrow floats (float8, float4), held as bits. */
static int quant_is_float(int64_t t) { return (t >= 17 && t <= 20) || t == 23 || t == 24; }

/* Element i of an integer tensor of type t (int4/int2 as int8, uint4/uint2
 * as uint8). */
static int32_t quant_get(const void *v, int64_t i, int64_t t) {
  switch (t) {
  case RT_QT_U8: case RT_QT_U4: case RT_QT_U2: return ((const uint8_t *)v)[i];
  case RT_QT_I8: case RT_QT_I4: case RT_QT_I2: return ((const int8_t *)v)[i];
  case RT_QT_U16: return ((const uint16_t *)v)[i];
  case RT_QT_I16: return ((const int16_t *)v)[i];
  default: return ((const int32_t *)v)[i];
  }
}

/* Zero point element i of type t as a float. */
static float quant_zero(const void *zp, int64_t i, int64_t t) {
  if (quant_is_float(t)) return (float)rt_narrow_to_double(((const uint8_t *)zp)[i], (int)t);
  return (float)quant_get(zp, i, t);
}

/* The range of the quantized type t. */
static void quant_range(int64_t t, float *lo, float *hi) {
  switch (t) {
  case RT_QT_I8: *lo = -128.0f, *hi = 127.0f; break;
  case RT_QT_I4: *lo = -8.0f, *hi = 7.0f; break;
  case RT_QT_U4: *lo = 0.0f, *hi = 15.0f; break;
  case RT_QT_I2: *lo = -2.0f, *hi = 1.0f; break;
  case RT_QT_U2: *lo = 0.0f, *hi = 3.0f; break;
  case RT_QT_U16: *lo = 0.0f, *hi = 65535.0f; break;
  case RT_QT_I16: *lo = -32768.0f, *hi = 32767.0f; break;
  default: *lo = 0.0f, *hi = 255.0f; break;
  }
}

/* v saturated to [lo, hi]; NaN gives lo. */
static float quant_sat(float v, float lo, float hi) {
  return v >= lo ? (v <= hi ? v : hi) : lo;
}

/* Stores the n integral values v (inside the range of t) at y + off. */
static void quant_store(void *y, int64_t off, int64_t t, const float *v, int64_t n) {
  int64_t j;
  switch (t) {
  case RT_QT_I8: case RT_QT_I4: case RT_QT_I2: {
    int8_t *d = (int8_t *)y + off;
    for (j = 0; j < n; j++) d[j] = (int8_t)v[j];
    break;
  }
  case RT_QT_U16: {
    uint16_t *d = (uint16_t *)y + off;
    for (j = 0; j < n; j++) d[j] = (uint16_t)v[j];
    break;
  }
  case RT_QT_I16: {
    int16_t *d = (int16_t *)y + off;
    for (j = 0; j < n; j++) d[j] = (int16_t)v[j];
    break;
  }
  default: {
    uint8_t *d = (uint8_t *)y + off;
    for (j = 0; j < n; j++) d[j] = (uint8_t)v[j];
    break;
  }
  }
}

/* ---- QuantizeLinear ---- */

/* Quantizes n elements of x from off with one scale and zero point. */
static void quant_run(const RtQuantize *p, const void *x, int64_t off, int64_t n, float s,
                      float zp, void *y) {
  float lo, hi, v[QUANT_CHUNK];
  int64_t i0, j;
  if (quant_is_float(p->y_type)) { /* no rounding to integers: y = x / s + zp */
    uint8_t *d = (uint8_t *)y + off;
    for (j = 0; j < n; j++) {
      double xv = p->x_type == RT_QT_I32 ? (double)((const int32_t *)x)[off + j]
                                         : (double)((const float *)x)[off + j];
      d[j] = rt_narrow_from_double((double)(float)(xv / s) + zp, (int)p->y_type,
                                   (int)p->saturate, 0);
    }
    return;
  }
  quant_range(p->y_type, &lo, &hi);
  for (i0 = 0; i0 < n; i0 += QUANT_CHUNK) {
    int64_t cnt = n - i0 < QUANT_CHUNK ? n - i0 : QUANT_CHUNK;
    if (p->x_type == RT_QT_I32) {
      const int32_t *xx = (const int32_t *)x + off + i0;
      for (j = 0; j < cnt; j++)
        v[j] = quant_sat((float)(rint((double)xx[j] / (double)s) + (double)zp), lo, hi);
    } else {
      const float *xx = (const float *)x + off + i0;
      for (j = 0; j < cnt; j++) v[j] = quant_sat(rintf(xx[j] / s) + zp, lo, hi);
    }
    quant_store(y, off + i0, p->y_type, v, cnt);
  }
}

RT_API void rt_quantize_linear(const RtQuantize *p, const void *x, const float *scale,
                               const void *zp, void *y) {
  int64_t o, d, i;
  for (o = 0; o < p->outer; o++)
    for (d = 0; d < p->len; d++) {
      int64_t off = (o * p->len + d) * p->inner;
      int64_t sb = o * p->s_outer + (d / p->block) * p->s_len;
      if (p->s_inner == 0) {
        float z = zp ? quant_zero(zp, sb, p->y_type) : 0.0f;
        quant_run(p, x, off, p->inner, scale[sb], z, y);
        continue;
      }
      for (i = 0; i < p->inner; i++) {
        int64_t si = sb + i * p->s_inner;
        float z = zp ? quant_zero(zp, si, p->y_type) : 0.0f;
        quant_run(p, x, off + i, 1, scale[si], z, y);
      }
    }
}

/* ---- DequantizeLinear ---- */

/* y[j] = (x[j] - zp) * s for n elements from off. */
static void quant_dequant_run(const void *x, int64_t t, int64_t off, int64_t n, float s,
                              float zp, float *y) {
  int64_t j;
  int32_t zi;
  y += off;
  if (quant_is_float(t)) {
    const uint8_t *xx = (const uint8_t *)x + off;
    for (j = 0; j < n; j++)
      y[j] = (float)(rt_narrow_to_double(xx[j], (int)t) - (double)zp) * s;
    return;
  }
  zi = (int32_t)zp; /* integral for the integer types */
  switch (t) {
  case RT_QT_U8: case RT_QT_U4: case RT_QT_U2: {
    const uint8_t *xx = (const uint8_t *)x + off;
    for (j = 0; j < n; j++) y[j] = (float)((int32_t)xx[j] - zi) * s;
    break;
  }
  case RT_QT_I8: case RT_QT_I4: case RT_QT_I2: {
    const int8_t *xx = (const int8_t *)x + off;
    for (j = 0; j < n; j++) y[j] = (float)((int32_t)xx[j] - zi) * s;
    break;
  }
  case RT_QT_U16: {
    const uint16_t *xx = (const uint16_t *)x + off;
    for (j = 0; j < n; j++) y[j] = (float)((int32_t)xx[j] - zi) * s;
    break;
  }
  case RT_QT_I16: {
    const int16_t *xx = (const int16_t *)x + off;
    for (j = 0; j < n; j++) y[j] = (float)((int32_t)xx[j] - zi) * s;
    break;
  }
  default: {
    const int32_t *xx = (const int32_t *)x + off;
    for (j = 0; j < n; j++) y[j] = (float)((int64_t)xx[j] - zi) * s;
    break;
  }
  }
}

RT_API void rt_dequantize_linear(const RtQuantize *p, const void *x, const float *scale,
                                 const void *zp, float *y) {
  int64_t o, d, i;
  for (o = 0; o < p->outer; o++)
    for (d = 0; d < p->len; d++) {
      int64_t off = (o * p->len + d) * p->inner;
      int64_t sb = o * p->s_outer + (d / p->block) * p->s_len;
      if (p->s_inner == 0) {
        float z = zp ? quant_zero(zp, sb, p->x_type) : 0.0f;
        quant_dequant_run(x, p->x_type, off, p->inner, scale[sb], z, y);
        continue;
      }
      for (i = 0; i < p->inner; i++) {
        int64_t si = sb + i * p->s_inner;
        float z = zp ? quant_zero(zp, si, p->x_type) : 0.0f;
        quant_dequant_run(x, p->x_type, off + i, 1, scale[si], z, y);
      }
    }
}

/* ---- DynamicQuantizeLinear ---- */

RT_API void rt_dyn_quantize_linear(const RtDynQuantize *p, const float *x, uint8_t *y,
                                   float *y_scale, uint8_t *y_zp) {
  float mn = 0.0f, mx = 0.0f, s, zp, v[QUANT_CHUNK];
  int64_t i, i0, j;
  for (i = 0; i < p->n; i++) {
    if (x[i] < mn) mn = x[i];
    if (x[i] > mx) mx = x[i];
  }
  s = mx == mn ? 1.0f : (mx - mn) / 255.0f;
  zp = rintf(quant_sat(0.0f - mn / s, 0.0f, 255.0f));
  *y_scale = s;
  *y_zp = (uint8_t)zp;
  for (i0 = 0; i0 < p->n; i0 += QUANT_CHUNK) {
    int64_t cnt = p->n - i0 < QUANT_CHUNK ? p->n - i0 : QUANT_CHUNK;
    for (j = 0; j < cnt; j++) v[j] = quant_sat(rintf(x[i0 + j] / s) + zp, 0.0f, 255.0f);
    for (j = 0; j < cnt; j++) y[i0 + j] = (uint8_t)v[j];
  }
}

/* ---- integer GEMM ---- */

/* y[j] += a * x[j] for j < n, modulo 2^32. */
static void quant_axpy(uint32_t *restrict y, const uint32_t *restrict x, uint32_t a, int64_t n) {
  int64_t j, nv = n & ~(int64_t)7;
  for (j = 0; j < nv; j++) y[j] += a * x[j];
  for (; j < n; j++) y[j] += a * x[j];
}

/* tile[r][j] = b[r * ldb + j] - zp(j) for r < kb, j < nb; zp(j) is
 * b_zp[zoff + j * zcol] (0 if b_zp is NULL). */
static void quant_tile(const RtQMatMul *p, const void *b, int64_t boff, int64_t ldb, int64_t kb,
                       int64_t nb, const void *b_zp, int64_t zoff, uint32_t *tile) {
  int64_t r, j;
  for (r = 0; r < kb; r++) {
    uint32_t *t = tile + r * nb;
    if (p->b_type == RT_QT_I8) {
      const int8_t *src = (const int8_t *)b + boff + r * ldb;
      for (j = 0; j < nb; j++) t[j] = (uint32_t)(int32_t)src[j];
    } else {
      const uint8_t *src = (const uint8_t *)b + boff + r * ldb;
      for (j = 0; j < nb; j++) t[j] = src[j];
    }
    if (b_zp)
      for (j = 0; j < nb; j++) t[j] -= (uint32_t)quant_get(b_zp, zoff + j * p->bz_col, p->b_type);
  }
}

RT_API int64_t rt_qmatmul_scratch(const RtQMatMul *p) {
  int64_t kb = p->k < QUANT_KB ? p->k : QUANT_KB, nb = p->n < QUANT_NB ? p->n : QUANT_NB;
  return 4 * (p->acc_elems + kb * nb);
}

/* One output batch: y [m, n] from A at aoff and B at boff. */
static void quant_matmul_one(const RtQMatMul *p, const void *a, int64_t aoff, const void *b,
                             int64_t boff, const void *a_zp, const void *b_zp, int64_t f,
                             uint32_t *y, uint32_t *tile) {
  int64_t n0, k0, i, kk;
  memset(y, 0, sizeof(uint32_t) * (size_t)(p->m * p->n));
  for (n0 = 0; n0 < p->n; n0 += QUANT_NB) {
    int64_t nb = p->n - n0 < QUANT_NB ? p->n - n0 : QUANT_NB;
    for (k0 = 0; k0 < p->k; k0 += QUANT_KB) {
      int64_t kb = p->k - k0 < QUANT_KB ? p->k - k0 : QUANT_KB;
      quant_tile(p, b, boff + k0 * p->n + n0, p->n, kb, nb, b_zp, f * p->bz_outer + n0 * p->bz_col,
                 tile);
      for (i = 0; i < p->m; i++) {
        int32_t az = a_zp ? quant_get(a_zp, f * p->az_outer + i * p->az_row, p->a_type) : 0;
        int64_t arow = aoff + i * p->k + k0;
        for (kk = 0; kk < kb; kk++) {
          int32_t av = quant_get(a, arow + kk, p->a_type) - az;
          if (av) quant_axpy(y + i * p->n + n0, tile + kk * nb, (uint32_t)av, nb);
        }
      }
    }
  }
}

RT_API void rt_qmatmul(const RtQMatMul *p, const void *a, const void *b, const void *a_zp,
                       const void *b_zp, int32_t *y, void *scratch) {
  uint32_t *out = y ? (uint32_t *)y : (uint32_t *)scratch;
  uint32_t *tile = (uint32_t *)scratch + p->acc_elems;
  int64_t nbatch = 1, idx[6] = {0}, f, r;
  for (r = 0; r < p->batch_rank; r++) nbatch *= p->batch[r];
  for (f = 0; f < nbatch; f++) {
    int64_t aoff = 0, boff = 0;
    for (r = 0; r < p->batch_rank; r++) {
      aoff += idx[r] * p->a_bstride[r];
      boff += idx[r] * p->b_bstride[r];
    }
    quant_matmul_one(p, a, aoff, b, boff, a_zp, b_zp, f, out + f * p->m * p->n, tile);
    for (r = p->batch_rank - 1; r >= 0 && ++idx[r] == p->batch[r]; r--) idx[r] = 0;
  }
}

/* ---- integer convolution ---- */

RT_API int64_t rt_qconv_scratch(const RtQConv *p) {
  int64_t kvol = p->k[0] * p->k[1] * p->k[2], npos = p->out[0] * p->out[1] * p->out[2];
  return 4 * (p->acc_elems + p->c / p->group * kvol * npos);
}

/* col[(ci, kd, kh, kw)][(od, oh, ow)] = x - xz under that tap of that
 * output position, 0 in the padding; channels ci of the group from xoff. */
static void quant_im2col(const RtQConv *p, const void *x, int64_t xoff, int32_t xz,
                         uint32_t *col) {
  int64_t cg = p->c / p->group, ci, kd, kh, kw, od, oh, ow;
  for (ci = 0; ci < cg; ci++)
    for (kd = 0; kd < p->k[0]; kd++)
      for (kh = 0; kh < p->k[1]; kh++)
        for (kw = 0; kw < p->k[2]; kw++)
          for (od = 0; od < p->out[0]; od++) {
            int64_t id = od * p->stride[0] - p->pad_begin[0] + kd * p->dil[0];
            for (oh = 0; oh < p->out[1]; oh++) {
              int64_t ih = oh * p->stride[1] - p->pad_begin[1] + kh * p->dil[1];
              int64_t inside = id >= 0 && id < p->in[0] && ih >= 0 && ih < p->in[1];
              int64_t row = xoff + ((ci * p->in[0] + id) * p->in[1] + ih) * p->in[2];
              for (ow = 0; ow < p->out[2]; ow++) {
                int64_t iw = ow * p->stride[2] - p->pad_begin[2] + kw * p->dil[2];
                *col++ = inside && iw >= 0 && iw < p->in[2]
                             ? (uint32_t)(quant_get(x, row + iw, p->x_type) - xz)
                             : 0u;
              }
            }
          }
}

RT_API void rt_qconv(const RtQConv *p, const void *x, const void *w, const void *x_zp,
                     const void *w_zp, int32_t *y, void *scratch) {
  uint32_t *out = y ? (uint32_t *)y : (uint32_t *)scratch;
  uint32_t *col = (uint32_t *)scratch + p->acc_elems;
  int64_t cg = p->c / p->group, mg = p->m / p->group;
  int64_t kvol = p->k[0] * p->k[1] * p->k[2], npos = p->out[0] * p->out[1] * p->out[2];
  int64_t isz = p->in[0] * p->in[1] * p->in[2], nj = cg * kvol, b, g, p0, mi, j;
  int32_t xz = x_zp ? quant_get(x_zp, 0, p->x_type) : 0;
  for (b = 0; b < p->n; b++)
    for (g = 0; g < p->group; g++) {
      quant_im2col(p, x, (b * p->c + g * cg) * isz, xz, col);
      for (p0 = 0; p0 < npos; p0 += QUANT_PB) {
        int64_t pb = npos - p0 < QUANT_PB ? npos - p0 : QUANT_PB;
        for (mi = 0; mi < mg; mi++) {
          int64_t mo = g * mg + mi;
          uint32_t *yr = out + (b * p->m + mo) * npos + p0;
          int32_t wz = w_zp ? quant_get(w_zp, p->wz_per_ch ? mo : 0, p->w_type) : 0;
          memset(yr, 0, sizeof(uint32_t) * (size_t)pb);
          for (j = 0; j < nj; j++) {
            int32_t wv = quant_get(w, mo * nj + j, p->w_type) - wz;
            if (wv) quant_axpy(yr, col + j * npos + p0, (uint32_t)wv, pb);
          }
        }
      }
    }
}

/* ---- requantization ---- */

RT_API void rt_requant(const RtRequant *p, const void *scratch, const int32_t *bias,
                       const float *a_scale, const float *b_scale, const float *y_scale,
                       const void *y_zp, void *y) {
  const int32_t *acc = (const int32_t *)scratch;
  float lo, hi, v[QUANT_CHUNK];
  int64_t o, r, c0, j;
  quant_range(p->y_type, &lo, &hi);
#define QUANT_AT(st) (o * (st)[0] + r * (st)[1] + c * (st)[2])
  for (o = 0; o < p->outer; o++)
    for (r = 0; r < p->rows; r++)
      for (c0 = 0; c0 < p->cols; c0 += QUANT_CHUNK) {
        int64_t cnt = p->cols - c0 < QUANT_CHUNK ? p->cols - c0 : QUANT_CHUNK;
        int64_t e = (o * p->rows + r) * p->cols + c0;
        for (j = 0; j < cnt; j++) {
          int64_t c = c0 + j;
          float mult = a_scale[QUANT_AT(p->as_st)] * b_scale[QUANT_AT(p->bs_st)] /
                       y_scale[QUANT_AT(p->ys_st)];
          int64_t sum = (int64_t)acc[e + j] + (bias ? bias[QUANT_AT(p->bias_st)] : 0);
          float zp = y_zp ? (float)quant_get(y_zp, QUANT_AT(p->yz_st), p->y_type) : 0.0f;
          float t = (float)sum * mult;
          v[j] = quant_sat(rintf(t) + zp, lo, hi);
        }
        quant_store(y, e, p->y_type, v, cnt);
      }
#undef QUANT_AT
}
