/* cpu_conv.c - see cpu_conv.h.
 *
 * The conv is one call of the GEMM driver (rt_cpu_gemm_ext_f32) over the
 * batch (image, group), A the packed weights and B either the input itself
 * (1x1, stride 1, no padding: [c/group, h*w] row-major) or packed on demand
 * by cpu_conv_pack_b, block by block. Row p of B is the tap (ci, ky, kx),
 * column j the output position (oy, ox); a row of a block is written
 *   stride 1 and ow == w (the "same" convs): as B[p, j] = x_ci[j + off],
 *     one contiguous copy over the rows the tap hits, then zeros where it
 *     falls off the left or right edge (|kx*dil - pad| columns per row);
 *   otherwise: per output row, the taps inside the input copied with the
 *     stride (AVX-512: masked loads and a permute for stride 2) and zeros
 *     around them, into a linear row that is then cut into the panels.
 * A block's panels lie ps floats apart (a little more than kc*NR, so that
 * they do not share cache sets). In unity builds this file brings
 * cpu_gemm.c with it. */
#ifdef RT_UNITY
#include "cpu_gemm.c"
#endif

#include "cpu_conv.h"

#include <string.h>

#if defined(__GNUC__)
#define CPU_CONV_ALIGN __attribute__((aligned(64)))
#else
#define CPU_CONV_ALIGN
#endif

#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512
#include <immintrin.h>
#endif

/* The geometry of the packer. */
typedef struct CpuConvGeom {
  int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
  int fast; /* stride 1 and ow == iw */
} CpuConvGeom;

static int64_t cpu_conv_min(int64_t a, int64_t b) { return a < b ? a : b; }

RT_API int rt_cpu_conv_ok(const RtConv *p) {
  return p->in[0] == 1 && p->out[0] == 1 && p->k[0] == 1 && p->stride[0] == 1 && p->dil[0] == 1 &&
         p->pad_begin[0] == 0 && p->group > 0 && p->c % p->group == 0 && p->m % p->group == 0 &&
         p->stride[1] > 0 && p->stride[2] > 0 && p->dil[1] > 0 && p->dil[2] > 0;
}

static int64_t cpu_conv_kdim(const RtConv *p) { return p->c / p->group * p->k[1] * p->k[2]; }

RT_API int64_t rt_cpu_conv_pack_size(const RtConv *p, int64_t isa) {
  RtCpuGemmLayout l = rt_cpu_gemm_layout(isa);
  return p->group * rt_cpu_gemm_pack_a_size(&l, p->m / p->group, cpu_conv_kdim(p));
}

RT_API void rt_cpu_conv_pack(const RtConv *p, int64_t isa, const float *w, float *wp) {
  RtCpuGemmLayout l = rt_cpu_gemm_layout(isa);
  int64_t mg = p->m / p->group, k = cpu_conv_kdim(p), g;
  int64_t size = rt_cpu_gemm_pack_a_size(&l, mg, k);
  for (g = 0; g < p->group; g++) rt_cpu_gemm_pack_a(&l, mg, k, w + g * mg * k, k, 1, wp + g * size);
}

/* The native NR (as cpu_gemm.c's; rt_cpu_conv_f32 checks): a constant, so
 * that lane l of a packed row, row[l / NR * ps + l % NR], is cheap. */
#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512
#define CPU_CONV_NR 32
#else
#define CPU_CONV_NR 16
#endif

#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512
#define CPU_CONV_PUT 1
/* d[t] = 0 or sp[t*s] (s = 1 or 2) for t < n <= 32, in masked vectors. */
static void cpu_conv_put(float *d, const float *sp, int64_t n, int64_t s) {
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  int64_t t;
  for (t = 0; t < n; t += 16) {
    int64_t k = cpu_conv_min(16, n - t), e = s * (k - 1) + 1; /* source floats needed */
    __mmask16 mk = (__mmask16)((1u << k) - 1);
    __m512 v;
    if (!sp) {
      v = _mm512_setzero_ps();
    } else if (s == 1) {
      v = _mm512_maskz_loadu_ps(mk, sp + t);
    } else {
      __m512 v0 = _mm512_maskz_loadu_ps((__mmask16)((1u << cpu_conv_min(16, e)) - 1), sp + 2 * t);
      __m512 v1 =
          _mm512_maskz_loadu_ps((__mmask16)((1u << (e > 16 ? e - 16 : 0)) - 1), sp + 2 * t + 16);
      v = _mm512_permutex2var_ps(v0, even, v1);
    }
    _mm512_mask_storeu_ps(d + t, mk, v);
  }
}
#else
#define CPU_CONV_PUT 0
#define cpu_conv_put(d, sp, n, s) ((void)0)
#endif

/* d[t] = 0 (s NULL) or s[t] for t < NR: in vectors whatever the -O level. */
static void cpu_conv_panel_row(float *restrict d, const float *restrict s) {
#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512
  __m512 z = _mm512_setzero_ps();
  _mm512_storeu_ps(d, s ? _mm512_loadu_ps(s) : z);
  _mm512_storeu_ps(d + 16, s ? _mm512_loadu_ps(s + 16) : z);
#else
  int t;
  if (s)
    for (t = 0; t < CPU_CONV_NR; t++) d[t] = s[t];
  else
    for (t = 0; t < CPU_CONV_NR; t++) d[t] = 0.0f;
#endif
}

/* Lanes [l, l+cnt) of a packed row (row p of every panel, panel stride
 * ps): zeros (src NULL), or src[t*s]. */
static void cpu_conv_copy(float *row, int64_t ps, int64_t l, int64_t cnt, const float *src,
                          int64_t s) {
  while (cnt > 0) {
    int64_t r = l % CPU_CONV_NR, take = cpu_conv_min(cnt, CPU_CONV_NR - r), t;
    float *restrict d = row + l / CPU_CONV_NR * ps + r;
    const float *restrict sp = src;
    if (take == CPU_CONV_NR && s == 1) { /* whole panels: a tight loop */
      int64_t q, nq = cnt / CPU_CONV_NR;
      for (q = 0; q < nq; q++, d += ps, sp = sp ? sp + CPU_CONV_NR : NULL)
        cpu_conv_panel_row(d, sp);
      take = nq * CPU_CONV_NR;
    } else if (CPU_CONV_PUT && s <= 2) {
      cpu_conv_put(d, sp, take, s);
    } else if (!sp) {
      for (t = 0; t < take; t++) d[t] = 0.0f;
    } else {
      for (t = 0; t < take; t++) d[t] = sp[t * s];
    }
    if (src) src += take * s;
    l += take, cnt -= take;
  }
}

static void cpu_conv_zero(float *row, int64_t ps, int64_t l, int64_t cnt) {
  cpu_conv_copy(row, ps, l, cnt, NULL, 1);
}

/* [*lo, *hi): the o in [0, n) with 0 <= o*s + off < bound. */
static void cpu_conv_range(int64_t n, int64_t s, int64_t off, int64_t bound, int64_t *lo,
                           int64_t *hi) {
  int64_t l = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t h = bound - off <= 0 ? 0 : (bound - off + s - 1) / s;
  *lo = l < n ? l : n;
  *hi = h < *lo ? *lo : h > n ? n : h;
}

/* Lane l of a packed row. */
#define CPU_CONV_LANE(row, ps, l) ((row)[(l) / CPU_CONV_NR * (ps) + (l) % CPU_CONV_NR])

/* One row of B (tap dy, dx into the plane xc), lanes [0, nc) from column j0:
 * stride 1 and ow == iw, so lane l reads xc[j0 + l + dy*iw + dx] where the
 * tap is inside the input. */
static void cpu_conv_row_fast(const CpuConvGeom *g, const float *xc, int64_t dy, int64_t dx,
                              int64_t j0, int64_t nc, int64_t ps, float *row) {
  int64_t ow = g->ow, off = dy * g->iw + dx, hw = g->ih * g->iw;
  int64_t oy_lo = dy < 0 ? -dy : 0, oy_hi = cpu_conv_min(g->oh, g->ih - dy);
  int64_t ox_lo = dx < 0 ? -dx : 0, ox_hi = cpu_conv_min(ow, g->iw - dx);
  int64_t l_lo, l_hi, c_lo, c_hi, oy, ox;
  if (oy_hi < oy_lo || ox_hi <= ox_lo) oy_hi = oy_lo;
  l_lo = cpu_conv_min(nc, oy_lo * ow - j0 < 0 ? 0 : oy_lo * ow - j0);
  l_hi = cpu_conv_min(nc, oy_hi * ow - j0 < l_lo ? l_lo : oy_hi * ow - j0);
  /* the copy: lanes whose source index j0 + l + off lies inside the plane */
  c_lo = l_lo + (j0 + l_lo + off < 0 ? -(j0 + l_lo + off) : 0);
  c_hi = l_hi - (j0 + l_hi + off > hw ? j0 + l_hi + off - hw : 0);
  if (c_lo > c_hi) c_lo = c_hi = l_lo;
  cpu_conv_zero(row, ps, 0, c_lo);
  if (c_hi > c_lo) cpu_conv_copy(row, ps, c_lo, c_hi - c_lo, xc + j0 + c_lo + off, 1);
  cpu_conv_zero(row, ps, c_hi, nc - c_hi);
  if (c_lo >= c_hi || (ox_lo == 0 && ox_hi == ow)) return;
  /* zeros where the tap falls off the left or right edge */
  for (oy = (j0 + c_lo) / ow; oy * ow < j0 + c_hi; oy++) {
    int64_t base = oy * ow - j0;
    for (ox = 0; ox < ox_lo; ox++)
      if (base + ox >= c_lo && base + ox < c_hi) CPU_CONV_LANE(row, ps, base + ox) = 0.0f;
    for (ox = ox_hi; ox < ow; ox++)
      if (base + ox >= c_lo && base + ox < c_hi) CPU_CONV_LANE(row, ps, base + ox) = 0.0f;
  }
}

/* d[t] = 0 (src NULL) or src[t*s] for t < n. */
static void cpu_conv_fill(float *restrict d, const float *restrict src, int64_t n, int64_t s) {
  int64_t t = 0;
  if (CPU_CONV_PUT && s <= 2) {
    for (; t < n; t += 32)
      cpu_conv_put(d + t, src ? src + t * s : NULL, cpu_conv_min(32, n - t), s);
    return;
  }
  if (!src)
    for (; t < n; t++) d[t] = 0.0f;
  else
    for (; t < n; t++) d[t] = src[t * s];
}

#define CPU_CONV_LIN 512 /* lanes a row of the general path is built in */

/* The same for any geometry, lanes [0, nc) with nc <= CPU_CONV_LIN: the
 * row built in lin per output row (the taps inside the input copied with
 * the stride, zeros around them), then copied into the panels. */
static void cpu_conv_row_general(const CpuConvGeom *g, const float *xc, int64_t dy, int64_t dx,
                                 int64_t j0, int64_t nc, int64_t ps, float *row) {
  CPU_CONV_ALIGN float lin[CPU_CONV_LIN];
  int64_t ox_lo, ox_hi, l = 0, oy = j0 / g->ow, ox = j0 % g->ow, q, t;
  cpu_conv_range(g->ow, g->sw, dx, g->iw, &ox_lo, &ox_hi);
  while (l < nc) {
    int64_t seg = cpu_conv_min(g->ow - ox, nc - l), iy = oy * g->sh + dy;
    if (iy < 0 || iy >= g->ih || ox_lo >= ox_hi) {
      cpu_conv_fill(lin + l, NULL, seg, 1);
    } else {
      int64_t a = ox_lo > ox ? ox_lo : ox, b = cpu_conv_min(ox_hi, ox + seg);
      if (b < a) b = a;
      cpu_conv_fill(lin + l, NULL, a - ox, 1);
      cpu_conv_fill(lin + l + a - ox, xc + iy * g->iw + a * g->sw + dx, b - a, g->sw);
      cpu_conv_fill(lin + l + b - ox, NULL, ox + seg - b, 1);
    }
    l += seg, ox = 0, oy++;
  }
  for (q = 0; q + CPU_CONV_NR <= nc; q += CPU_CONV_NR)
    cpu_conv_panel_row(row + q / CPU_CONV_NR * ps, lin + q);
  for (t = 0; q + t < nc; t++) row[q / CPU_CONV_NR * ps + t] = lin[q + t];
}

/* RtCpuPackB: rows [p0, p0+kc) x columns [j0, j0+nc) of im2col(x). */
static void cpu_conv_pack_b(const void *ctx, const float *x, int64_t p0, int64_t kc, int64_t j0,
                            int64_t nc, int64_t ps, float *dst) {
  const CpuConvGeom *g = (const CpuConvGeom *)ctx;
  int64_t taps = g->kh * g->kw, ci = p0 / taps, ky = p0 % taps / g->kw, kx = p0 % g->kw, p, l;
  int64_t npad = (nc + CPU_CONV_NR - 1) / CPU_CONV_NR * CPU_CONV_NR;
  for (p = 0; p < kc; p++) {
    const float *xc = x + ci * g->ih * g->iw;
    int64_t dy = ky * g->dh - g->ph, dx = kx * g->dw - g->pw;
    float *row = dst + p * CPU_CONV_NR;
    if (g->fast)
      cpu_conv_row_fast(g, xc, dy, dx, j0, nc, ps, row);
    else
      for (l = 0; l < nc; l += CPU_CONV_LIN)
        cpu_conv_row_general(g, xc, dy, dx, j0 + l, cpu_conv_min(CPU_CONV_LIN, nc - l), ps,
                             row + l / CPU_CONV_NR * ps);
    if (npad > nc) cpu_conv_zero(row, ps, nc, npad - nc);
    if (++kx == g->kw) {
      kx = 0;
      if (++ky == g->kh) ky = 0, ci++;
    }
  }
}

RT_API int rt_cpu_conv_f32(const RtConv *p, const float *x, const float *wp, const float *b,
                           const float *res, float *y, RtThreads *tp) {
  CpuConvGeom geo;
  RtCpuGemm gm;
  RtCpuGemmExt ext;
  RtCpuGemmLayout nat = rt_cpu_gemm_layout(RT_CPU_ISA_NATIVE);
  int64_t cg = p->c / p->group, mg = p->m / p->group, k = cpu_conv_kdim(p);
  int64_t hw = p->in[1] * p->in[2], ohw = p->out[1] * p->out[2];
  int64_t wsize = rt_cpu_gemm_pack_a_size(&nat, mg, k);
  int32_t h[RT_CPU_PACK_HEADER];
  if (nat.nr != CPU_CONV_NR) return -1; /* cpu_gemm.c and this file disagree */
  memset(&geo, 0, sizeof geo);
  geo.ih = p->in[1], geo.iw = p->in[2], geo.oh = p->out[1], geo.ow = p->out[2];
  geo.kh = p->k[1], geo.kw = p->k[2], geo.sh = p->stride[1], geo.sw = p->stride[2];
  geo.dh = p->dil[1], geo.dw = p->dil[2], geo.ph = p->pad_begin[1], geo.pw = p->pad_begin[2];
  geo.fast = geo.sh == 1 && geo.sw == 1 && geo.ow == geo.iw;
  /* the packed weights' group stride follows the layout they were packed for */
  memcpy(h, wp, sizeof h);
  if (h[2] >= 0 && h[2] <= 2) {
    RtCpuGemmLayout l = rt_cpu_gemm_layout(h[2]);
    wsize = rt_cpu_gemm_pack_a_size(&l, mg, k);
  }
  memset(&gm, 0, sizeof gm);
  memset(&ext, 0, sizeof ext);
  gm.m = mg, gm.n = ohw, gm.k = k;
  gm.a_packed = 1;
  gm.ldc = ohw, gm.res_rs = ohw;
  gm.batch_rank = 2, gm.batch[0] = p->n, gm.batch[1] = p->group;
  gm.a_bstride[0] = 0, gm.a_bstride[1] = wsize;
  gm.b_bstride[0] = p->c * hw, gm.b_bstride[1] = cg * hw;
  gm.c_bstride[0] = gm.res_bstride[0] = p->m * ohw;
  gm.c_bstride[1] = gm.res_bstride[1] = mg * ohw;
  gm.alpha = 1.0f, gm.act = p->act, gm.act_alpha = p->alpha, gm.act_beta = p->beta;
  ext.rb_bstride[1] = mg;
  if (p->k[1] == 1 && p->k[2] == 1 && geo.sh == 1 && geo.sw == 1 && geo.ph == 0 && geo.pw == 0 &&
      geo.oh == geo.ih && geo.ow == geo.iw) {
    gm.b_rs = hw, gm.b_cs = 1;
  } else {
    ext.pack_b = cpu_conv_pack_b, ext.pack_ctx = &geo;
  }
  return rt_cpu_gemm_ext_f32(&gm, &ext, wp, x, b, NULL, res, y, tp);
}
