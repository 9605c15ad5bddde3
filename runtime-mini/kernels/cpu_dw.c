/* cpu_dw.c - see cpu_dw.h.
 *
 * The work is the list of all output rows (every row of every output plane
 * of every image); a task takes a contiguous run of them. An output row is
 * the bias, plus each tap of the kernel rows that lie inside the input (the
 * others read zeros), plus the residual, then the activation. Output rows
 * [row_lo, row_hi) have all their kernel rows inside the input ("full");
 * along a row, output columns [col_lo, col_hi) have all their taps inside
 * ("clean"); the other columns are edges. Everything about the geometry
 * (those ranges, the edges' masks) is found once per call.
 *
 * AVX-512, 16 output columns per vector, three routes:
 *   - flat: stride 1 and planes as wide as their input, of at most 1024
 *     outputs and 25 taps (MobileNet's 28x28, 14x14 and 7x7): the plane is
 *     one run of 16-blocks, across rows, whose taps are masked loads at
 *     fixed offsets, edges included (larger planes lose more to reading
 *     the masks than they gain).
 *   - full rows of 3x3 and 5x5 kernels with stride 1 or 2: the weights in
 *     registers; clean blocks from the first multiple of 16 at or after
 *     col_lo load each tap unmasked (stride 2: two loads and a permute that
 *     keeps the even elements); edge blocks mask each tap to the lanes it
 *     reaches (masks from a table), so nothing outside the input is read or
 *     added; the next rows are prefetched. With stride 2 and rows of at
 *     most 8 outputs (14x14 -> 7x7), two rows share each vector.
 *   - any other row: the same blocks with the kernel's sizes at run time
 *     (a stride over 2 gathers).
 * Elsewhere, full rows of 3x3 and 5x5 (stride 1 or 2, no dilation along
 * the row) are one loop over the clean columns whose body sums all taps,
 * which the compiler vectorizes; other rows take blocks of 16 columns as
 * fixed-length loops; edge columns go one at a time.
 * The activation is applied in vector form with the operations of
 * rt_act_f32 where they vectorize (clamps, Leaky ReLU, HardSigmoid,
 * HardSwish); Sigmoid and Tanh are a scalar pass through rt_act_f32.
 */
#include "cpu_dw.h"

#include <math.h>
#include <string.h>

#include "rt_scalar.h"

#if defined(__AVX512F__) && defined(__GNUC__)
#define CPU_DW_AVX512 1
#include <immintrin.h>
#else
#define CPU_DW_AVX512 0
#endif

#if defined(__GNUC__)
#define CPU_DW_INLINE static inline __attribute__((always_inline))
#else
#define CPU_DW_INLINE static inline
#endif

#define CPU_DW_VL 16    /* output columns per block */
#define CPU_DW_EDGES 8  /* edge blocks (AVX-512) or ... */
#define CPU_DW_ECOLS 64 /* ... edge columns (portable) whose taps are found once per call */
#define CPU_DW_TAPS 16  /* taps per kernel row kept there */
#define CPU_DW_FLATB 64 /* AVX-512: blocks of a plane taken flat ... */
#define CPU_DW_FLATT 25 /* ... and its taps, at most */

/* AVX-512: an edge block, the columns [o, o + n), and the lanes each tap
 * reaches (m); with stride 2 also the masks of its two loads (la, lb). */
typedef struct CpuDwEdge {
  int64_t o, n;
  uint16_t m[CPU_DW_TAPS], la[CPU_DW_TAPS], lb[CPU_DW_TAPS];
} CpuDwEdge;

/* The geometry of one call, 2-D (the d entries of RtConv dropped). */
typedef struct CpuDwGeom {
  int64_t c, m, mult;     /* input, output channels; m / c */
  int64_t ih, iw, oh, ow; /* plane sizes */
  int64_t kh, kw, sh, sw, dh, dw, ph, pw;
  int64_t col_lo, col_hi; /* clean output columns; col_lo <= col_hi */
  int64_t act;
  float alpha, beta;
  int64_t clamp; /* act is None, Relu or Clip: a clamp to [lo, hi] */
  float lo, hi;
  int64_t row_lo, row_hi; /* full output rows; row_lo <= row_hi */
  int64_t full;           /* rows [row_lo, row_hi) take cpu_dw_full */
  int64_t c0, c1;         /* AVX-512: the clean blocks [c0, c1) */
  int64_t nedge;          /* edge blocks or columns in the tables below */
  CpuDwEdge edge[CPU_DW_EDGES];
  int16_t klo[CPU_DW_ECOLS], khi[CPU_DW_ECOLS]; /* portable: each edge column's taps */
  int64_t flat;                                 /* AVX-512: planes go whole (cpu_dw_flat) */
  int64_t foff[CPU_DW_FLATT];                   /* where each tap reads, from the output */
  uint16_t fmask[CPU_DW_FLATB][CPU_DW_FLATT];   /* and the lanes it reaches, per block */
} CpuDwGeom;

/* One output plane: its input plane, weights [kh, kw], bias, residual
 * plane (or NULL) and output plane. */
typedef struct CpuDwPlane {
  const float *x, *w, *res;
  float *y;
  float bias;
} CpuDwPlane;

typedef struct CpuDwJob {
  CpuDwGeom g;
  const float *x, *w, *b, *res;
  float *y;
  int64_t rows, per_task; /* output rows in all; rows per task */
} CpuDwJob;

/* ceil(a / b) for b > 0 and any sign of a. */
static int64_t cpu_dw_ceil_div(int64_t a, int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/* The t in [0, n) with 0 <= off + t * s < bound: [*lo, *hi). */
static void cpu_dw_range(int64_t n, int64_t s, int64_t off, int64_t bound, int64_t *lo,
                         int64_t *hi) {
  int64_t l = off >= 0 ? 0 : cpu_dw_ceil_div(-off, s);
  int64_t h = cpu_dw_ceil_div(bound - off, s);
  if (h > n) h = n;
  if (h < 0) h = 0;
  if (l > h) l = h;
  *lo = l, *hi = h;
}

/* Applies the activation to the n outputs at yr: all of it, or only
 * Sigmoid, Tanh and Gelu (vec_done: the others are done). */
static void cpu_dw_epilogue(const CpuDwGeom *g, float *yr, int64_t n, int vec_done) {
  int64_t j;
  float al = g->alpha, be = g->beta;
  switch (vec_done && !RT_ACT_TRANSCENDENTAL(g->act) ? RT_ACT_NONE : g->act) {
    case RT_ACT_NONE: break;
    case RT_ACT_RELU:
      for (j = 0; j < n; j++) yr[j] = rt_relu_f32(yr[j]);
      break;
    case RT_ACT_CLIP:
      for (j = 0; j < n; j++) yr[j] = rt_clip_f32(yr[j], al, be);
      break;
    default:
      for (j = 0; j < n; j++) yr[j] = rt_act_f32(yr[j], g->act, al, be);
      break;
  }
}

#if CPU_DW_AVX512

/* The lanes j < n with 0 <= start + j * s < bound. */
static __mmask16 cpu_dw_lanes(int64_t start, int64_t s, int64_t bound, int64_t n) {
  int64_t lo, hi;
  cpu_dw_range(n, s, start, bound, &lo, &hi);
  return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/* Bit j of m moved to bit 2j (32 bits). */
static uint32_t cpu_dw_spread(uint32_t m) {
  m = (m | m << 8) & 0x00ff00ffu;
  m = (m | m << 4) & 0x0f0f0f0fu;
  m = (m | m << 2) & 0x33333333u;
  return (m | m << 1) & 0x55555555u;
}

/* The masks of tap k in the edge block of n columns at o: the lanes it
 * reaches, and for stride 2 those of its two loads. */
static void cpu_dw_tap_masks(const CpuDwGeom *g, int64_t o, int64_t n, int64_t k, __mmask16 *m,
                             __mmask16 *la, __mmask16 *lb) {
  uint32_t e;
  *m = cpu_dw_lanes(o * g->sw + k * g->dw - g->pw, g->sw, g->iw, n);
  e = cpu_dw_spread(*m);
  *la = (__mmask16)e, *lb = (__mmask16)(e >> 16);
}

/* The edge blocks and the masks of their taps (as far as the table goes). */
static int64_t cpu_dw_plan_edges(CpuDwGeom *g) {
  int64_t o, k, i = 0;
  for (o = 0; o < g->ow; o += CPU_DW_VL) {
    CpuDwEdge *e;
    __mmask16 m, la, lb;
    if (o >= g->c0 && o < g->c1) continue;
    if (i++ >= CPU_DW_EDGES) continue;
    e = &g->edge[i - 1];
    e->o = o, e->n = g->ow - o < CPU_DW_VL ? g->ow - o : CPU_DW_VL;
    for (k = 0; k < g->kw && k < CPU_DW_TAPS; k++) {
      cpu_dw_tap_masks(g, e->o, e->n, k, &m, &la, &lb);
      e->m[k] = m, e->la[k] = la, e->lb[k] = lb;
    }
  }
  g->nedge = i < CPU_DW_EDGES ? i : CPU_DW_EDGES;
  return i;
}

static const int32_t CPU_DW_EVEN[16] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
static const int32_t CPU_DW_IOTA[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* p[j * s] for all 16 lanes, each inside the input (stride 2: the 31st
 * element is the last one read). */
CPU_DW_INLINE __m512 cpu_dw_load(const float *p, int64_t s) {
  if (s == 1) return _mm512_loadu_ps(p);
  if (s == 2)
    return _mm512_permutex2var_ps(_mm512_loadu_ps(p), _mm512_loadu_si512(CPU_DW_EVEN),
                                  _mm512_maskz_loadu_ps(0x7fff, p + 16));
  return _mm512_i32gather_ps(
      _mm512_mullo_epi32(_mm512_loadu_si512(CPU_DW_IOTA), _mm512_set1_epi32((int)s)), p, 4);
}

/* The activations but Sigmoid and Tanh, as rt_act_f32 (operand order
 * keeps NaN as the scalar code does). */
CPU_DW_INLINE __m512 cpu_dw_act(__m512 v, int64_t act, __m512 al, __m512 be) {
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  __m512 h;
  switch (act) {
    case RT_ACT_RELU: return _mm512_max_ps(zero, v);
    case RT_ACT_CLIP: return _mm512_min_ps(be, _mm512_max_ps(al, v));
    case RT_ACT_LEAKY_RELU:
      return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GE_OQ), _mm512_mul_ps(v, al), v);
    case RT_ACT_HARD_SIGMOID:
      h = _mm512_add_ps(_mm512_mul_ps(al, v), be);
      return _mm512_min_ps(one, _mm512_max_ps(zero, h));
    case RT_ACT_HARD_SWISH:
      h = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(1.0f / 6.0f), v), _mm512_set1_ps(0.5f));
      return _mm512_mul_ps(v, _mm512_min_ps(one, _mm512_max_ps(zero, h)));
    default: return v;
  }
}

/* Residual, activation and store of the lanes in m of block o. */
CPU_DW_INLINE void cpu_dw_finish(const CpuDwGeom *g, __m512 acc, const float *rr, float *yr,
                                 int64_t o, __mmask16 m) {
  if (rr) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, rr + o));
  if (g->clamp)
    acc = _mm512_min_ps(_mm512_set1_ps(g->hi), _mm512_max_ps(_mm512_set1_ps(g->lo), acc));
  else
    acc = cpu_dw_act(acc, g->act, _mm512_set1_ps(g->alpha), _mm512_set1_ps(g->beta));
  _mm512_mask_storeu_ps(yr + o, m, acc);
}

/* The edge block of n <= 16 columns at o; e holds its masks, or is NULL
 * (then they are found here). Each tap is masked to the lanes it reaches:
 * nothing outside the input is read or added. */
static void cpu_dw_edge(const CpuDwGeom *g, const CpuDwEdge *e, int64_t o, int64_t n,
                        const float *xr, const float *wr, int64_t nk, float bias, const float *rr,
                        float *yr) {
  int64_t t, k, s = g->sw, step = g->dh * g->iw;
  const __m512i even = _mm512_loadu_si512(CPU_DW_EVEN);
  const __m512i idx =
      _mm512_mullo_epi32(_mm512_loadu_si512(CPU_DW_IOTA), _mm512_set1_epi32((int)s));
  __m512 acc = _mm512_set1_ps(bias);
  for (k = 0; k < g->kw; k++) {
    const float *p = xr + o * s + k * g->dw - g->pw;
    __mmask16 m, la, lb;
    if (e && k < CPU_DW_TAPS)
      m = e->m[k], la = e->la[k], lb = e->lb[k];
    else
      cpu_dw_tap_masks(g, o, n, k, &m, &la, &lb);
    if (!m) continue;
    for (t = 0; t < nk; t++, p += step) {
      __m512 v;
      if (s == 1)
        v = _mm512_maskz_loadu_ps(m, p);
      else if (s == 2)
        v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(la, p), even,
                                   _mm512_maskz_loadu_ps(lb, p + 16));
      else
        v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, p, 4);
      acc = _mm512_mask3_fmadd_ps(_mm512_set1_ps(wr[t * g->kw + k]), v, acc, m);
    }
  }
  cpu_dw_finish(g, acc, rr, yr, o, (__mmask16)((1u << n) - 1u));
}

/* Clean blocks from o0 to o1 (a multiple of 16 apart) under nk kernel
 * rows. KW and S are the kernel width and the stride, constants where
 * inlined so. One sum per kernel row (up to 3) shortens the chain of
 * dependent FMAs. */
CPU_DW_INLINE void cpu_dw_clean(const CpuDwGeom *g, const float *xr, const float *wr, int64_t nk,
                                float bias, const float *rr, float *yr, int64_t o0, int64_t o1,
                                const int64_t KW, const int64_t S) {
  int64_t o, t, k, step = g->dh * g->iw, dw = g->dw;
  for (o = o0; o < o1; o += CPU_DW_VL) {
    const float *xb = xr + o * S - g->pw;
    __m512 a[3];
    a[0] = _mm512_set1_ps(bias), a[1] = a[2] = _mm512_setzero_ps();
    for (t = 0; t < nk; t++)
      for (k = 0; k < KW; k++)
        a[t % 3] = _mm512_fmadd_ps(_mm512_set1_ps(wr[t * KW + k]),
                                   cpu_dw_load(xb + t * step + k * dw, S), a[t % 3]);
    cpu_dw_finish(g, _mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]), rr, yr, o, 0xffff);
  }
}

/* The clean blocks of a row, through the instance for its kernel width
 * and stride (full rows of 3x3 and 5x5 mostly take cpu_dw_full). */
static void cpu_dw_clean_any(const CpuDwGeom *g, const float *xr, const float *wr, int64_t nk,
                             float bias, const float *rr, float *yr) {
  int64_t o0 = g->c0, o1 = g->c1;
  if (g->kw == 3 && g->sw == 1)
    cpu_dw_clean(g, xr, wr, nk, bias, rr, yr, o0, o1, 3, 1);
  else if (g->kw == 3 && g->sw == 2)
    cpu_dw_clean(g, xr, wr, nk, bias, rr, yr, o0, o1, 3, 2);
  else
    cpu_dw_clean(g, xr, wr, nk, bias, rr, yr, o0, o1, g->kw, g->sw);
}

/* One output row: the clean blocks, then the edge blocks. */
static void cpu_dw_row(const CpuDwGeom *g, const float *xr, const float *wr, int64_t nk, float bias,
                       const float *rr, float *yr) {
  int64_t o, i = 0;
  if (g->c1 > g->c0) cpu_dw_clean_any(g, xr, wr, nk, bias, rr, yr);
  for (o = 0; o < g->ow; o += CPU_DW_VL) {
    if (o >= g->c0 && o < g->c1) continue;
    cpu_dw_edge(g, i < g->nedge ? &g->edge[i] : NULL, o,
                g->ow - o < CPU_DW_VL ? g->ow - o : CPU_DW_VL, xr, wr, nk, bias, rr, yr);
    i++;
  }
  cpu_dw_epilogue(g, yr, g->ow, 1);
}

/* Prefetches the sh input rows from xr on, those the next output row
 * brings into the window: the hardware prefetcher alone leaves the
 * strided reads of stride 2 short of the memory's bandwidth. */
static inline void cpu_dw_prefetch(const CpuDwGeom *g, const float *xr) {
  int64_t c;
  for (c = 0; c < g->sh * g->iw; c += CPU_DW_VL) _mm_prefetch((const char *)(xr + c), _MM_HINT_T0);
}

/* Stride 2 and rows of at most 8 outputs (one edge block each): output
 * rows oy and oy + 1 of plane pl, both full, in one vector (lanes 0-7 and
 * 8-15; the permute takes the second row's taps from sh input rows
 * further). The two rows lie one after the other, so the residual comes in
 * by an expanding load and the outputs leave by a compressing store. */
CPU_DW_INLINE void cpu_dw_pair(const CpuDwGeom *g, const CpuDwPlane *pl, const __m512 *wv,
                               int64_t oy, const int64_t K) {
  const CpuDwEdge *e = &g->edge[0];
  int64_t t, k, step = g->dh * g->iw, next = g->sh * g->iw;
  const float *xb = pl->x + (oy * g->sh - g->ph) * g->iw - g->pw;
  const __m512i even = _mm512_loadu_si512(CPU_DW_EVEN);
  const __mmask16 mo = (__mmask16)(((1u << e->n) - 1u) * 0x101u);
  float *yr = pl->y + oy * g->ow;
  __m512 a[3], acc;
  a[0] = _mm512_set1_ps(pl->bias), a[1] = a[2] = _mm512_setzero_ps();
  for (t = 0; t < K; t++)
    for (k = 0; k < K; k++) {
      const float *p = xb + t * step + k * g->dw;
      __m512 v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(e->la[k], p), even,
                                        _mm512_maskz_loadu_ps(e->la[k], p + next));
      a[t % 3] = _mm512_mask3_fmadd_ps(wv[t * K + k], v, a[t % 3], (__mmask16)(e->m[k] * 0x101u));
    }
  acc = _mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]);
  if (pl->res) acc = _mm512_add_ps(acc, _mm512_maskz_expandloadu_ps(mo, pl->res + oy * g->ow));
  if (g->clamp)
    acc = _mm512_min_ps(_mm512_set1_ps(g->hi), _mm512_max_ps(_mm512_set1_ps(g->lo), acc));
  else
    acc = cpu_dw_act(acc, g->act, _mm512_set1_ps(g->alpha), _mm512_set1_ps(g->beta));
  _mm512_mask_compressstoreu_ps(yr, mo, acc);
  cpu_dw_epilogue(g, yr, 2 * g->ow, 1);
}

/* Output rows [oy0, oy1) of plane pl, all of whose K kernel rows lie
 * inside the input, for a K x K kernel with stride S along the rows
 * (constants where inlined so): the weights stay in registers, and every
 * edge block's masks come from the table. */
CPU_DW_INLINE void cpu_dw_full(const CpuDwGeom *g, const CpuDwPlane *pl, int64_t oy0, int64_t oy1,
                               const int64_t K, const int64_t S) {
  int64_t oy, o, i, t, k, step = g->dh * g->iw, dw = g->dw;
  const __m512i even = _mm512_loadu_si512(CPU_DW_EVEN);
  __m512 wv[25];
  for (k = 0; k < K * K; k++) wv[k] = _mm512_set1_ps(pl->w[k]);
  for (oy = oy0; oy < oy1; oy++) {
    const float *xr = pl->x + (oy * g->sh - g->ph) * g->iw, *rr = pl->res;
    float *yr = pl->y + oy * g->ow;
    if (S == 2 && g->ow <= 8 && oy + 1 < oy1) { /* two rows at a time */
      cpu_dw_pair(g, pl, wv, oy++, K);
      continue;
    }
    if (rr) rr += oy * g->ow;
    if (oy + 1 < g->row_hi) cpu_dw_prefetch(g, xr + ((K - 1) * g->dh + 1) * g->iw);
    for (o = g->c0; o < g->c1; o += CPU_DW_VL) {
      const float *xb = xr + o * S - g->pw;
      __m512 a[3];
      a[0] = _mm512_set1_ps(pl->bias), a[1] = a[2] = _mm512_setzero_ps();
      for (t = 0; t < K; t++)
        for (k = 0; k < K; k++)
          a[t % 3] =
              _mm512_fmadd_ps(wv[t * K + k], cpu_dw_load(xb + t * step + k * dw, S), a[t % 3]);
      cpu_dw_finish(g, _mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]), rr, yr, o, 0xffff);
    }
    for (i = 0; i < g->nedge; i++) {
      const CpuDwEdge *e = &g->edge[i];
      const float *xb = xr + e->o * S - g->pw;
      __m512 a[3];
      a[0] = _mm512_set1_ps(pl->bias), a[1] = a[2] = _mm512_setzero_ps();
      for (t = 0; t < K; t++)
        for (k = 0; k < K; k++) {
          const float *p = xb + t * step + k * dw;
          __m512 v = S == 1 ? _mm512_maskz_loadu_ps(e->m[k], p)
                            : _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(e->la[k], p), even,
                                                     _mm512_maskz_loadu_ps(e->lb[k], p + 16));
          a[t % 3] = _mm512_mask3_fmadd_ps(wv[t * K + k], v, a[t % 3], e->m[k]);
        }
      cpu_dw_finish(g, _mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]), rr, yr, e->o,
                    (__mmask16)((1u << e->n) - 1u));
    }
    cpu_dw_epilogue(g, yr, g->ow, 1);
  }
}

/* cpu_dw_full through the instance for this kernel and stride. */
static void cpu_dw_full_any(const CpuDwGeom *g, const CpuDwPlane *pl, int64_t oy0, int64_t oy1) {
  if (g->kw == 3 && g->sw == 1)
    cpu_dw_full(g, pl, oy0, oy1, 3, 1);
  else if (g->kw == 3)
    cpu_dw_full(g, pl, oy0, oy1, 3, 2);
  else if (g->sw == 1)
    cpu_dw_full(g, pl, oy0, oy1, 5, 1);
  else
    cpu_dw_full(g, pl, oy0, oy1, 5, 2);
}

/* A whole plane with stride 1 and as wide as its input, as one run of
 * 16-blocks: tap (t, k) of output q reads input q + foff[t * kw + k]
 * (= foff[0] + t * dh * iw + k * dw), and fmask says which lanes of each
 * block that lies inside the input. KH and KW: the kernel, constants where
 * inlined so. */
CPU_DW_INLINE void cpu_dw_flat(const CpuDwGeom *g, const CpuDwPlane *pl, const int64_t KH,
                               const int64_t KW) {
  int64_t n = g->oh * g->ow, q, t, k, dw = g->dw, step = g->dh * g->iw;
  const float *x0 = pl->x + g->foff[0];
  const uint16_t *fm = g->fmask[0];
  __m512 wv[CPU_DW_FLATT];
  for (t = 0; t < KH * KW; t++) wv[t] = _mm512_set1_ps(pl->w[t]);
  for (q = 0; q < n; q += CPU_DW_VL, fm += CPU_DW_FLATT) {
    __m512 a[3];
    a[0] = _mm512_set1_ps(pl->bias), a[1] = a[2] = _mm512_setzero_ps();
    for (t = 0; t < KH; t++)
      for (k = 0; k < KW; k++) {
        __mmask16 m = fm[t * KW + k];
        __m512 v = _mm512_maskz_loadu_ps(m, x0 + q + t * step + k * dw);
        a[t % 3] = _mm512_mask3_fmadd_ps(wv[t * KW + k], v, a[t % 3], m);
      }
    cpu_dw_finish(g, _mm512_add_ps(_mm512_add_ps(a[0], a[1]), a[2]), pl->res, pl->y, q,
                  (__mmask16)(n - q >= CPU_DW_VL ? 0xffffu : (1u << (n - q)) - 1u));
  }
  cpu_dw_epilogue(g, pl->y, n, 1);
}

static void cpu_dw_flat_any(const CpuDwGeom *g, const CpuDwPlane *pl) {
  if (g->kh == 3 && g->kw == 3)
    cpu_dw_flat(g, pl, 3, 3);
  else if (g->kh == 5 && g->kw == 5)
    cpu_dw_flat(g, pl, 5, 5);
  else
    cpu_dw_flat(g, pl, g->kh, g->kw);
}

/* Flat planes: the offsets and masks of every tap. */
static void cpu_dw_plan_flat(CpuDwGeom *g) {
  int64_t n = g->oh * g->ow, t, k, q, oy, ox;
  uint16_t rows[CPU_DW_FLATB][CPU_DW_FLATT], cols[CPU_DW_FLATB][CPU_DW_FLATT];
  g->flat = g->sh == 1 && g->sw == 1 && g->ow == g->iw && n <= CPU_DW_FLATB * CPU_DW_VL &&
            g->kh * g->kw <= CPU_DW_FLATT;
  if (!g->flat) return;
  memset(rows, 0, sizeof rows), memset(cols, 0, sizeof cols);
  for (q = 0, oy = 0, ox = 0; q < n; q++) { /* the lanes where kernel row t, column k fit */
    for (t = 0; t < g->kh; t++)
      if (oy + t * g->dh - g->ph >= 0 && oy + t * g->dh - g->ph < g->ih)
        rows[q >> 4][t] |= (uint16_t)(1u << (q & 15));
    for (k = 0; k < g->kw; k++)
      if (ox + k * g->dw - g->pw >= 0 && ox + k * g->dw - g->pw < g->iw)
        cols[q >> 4][k] |= (uint16_t)(1u << (q & 15));
    if (++ox == g->ow) ox = 0, oy++;
  }
  for (t = 0; t < g->kh; t++)
    for (k = 0; k < g->kw; k++) {
      g->foff[t * g->kw + k] = (t * g->dh - g->ph) * g->iw + k * g->dw - g->pw;
      for (q = 0; q < n; q += CPU_DW_VL)
        g->fmask[q >> 4][t * g->kw + k] = rows[q >> 4][t] & cols[q >> 4][k];
    }
}

/* The clean blocks: from the first multiple of 16 at or after col_lo, as
 * many whole blocks as end by col_hi; none if not even one does. */
static void cpu_dw_plan(CpuDwGeom *g) {
  g->c0 = (g->col_lo + CPU_DW_VL - 1) / CPU_DW_VL * CPU_DW_VL;
  if (g->col_hi - g->c0 >= CPU_DW_VL)
    g->c1 = g->c0 + (g->col_hi - g->c0) / CPU_DW_VL * CPU_DW_VL;
  else
    g->c0 = g->c1 = 0;
  g->full = cpu_dw_plan_edges(g) <= CPU_DW_EDGES && g->kh == g->kw && (g->kw == 3 || g->kw == 5) &&
            (g->sw == 1 || g->sw == 2);
  cpu_dw_plan_flat(g);
}

#else /* portable C */

/* The taps of each edge column (as far as the table goes), and whether
 * cpu_dw_full applies. */
static void cpu_dw_plan(CpuDwGeom *g) {
  int64_t o, lo, hi, i = 0;
  for (o = 0; o < g->ow && i < CPU_DW_ECOLS && g->kw <= CPU_DW_TAPS; o++) {
    if (o == g->col_lo) o = g->col_hi;
    if (o >= g->ow) break;
    cpu_dw_range(g->kw, g->dw, o * g->sw - g->pw, g->iw, &lo, &hi);
    g->klo[i] = (int16_t)lo, g->khi[i] = (int16_t)hi;
    i++;
  }
  g->nedge = i;
  g->full = g->kh == g->kw && (g->kw == 3 || g->kw == 5) && (g->sw == 1 || g->sw == 2);
  g->flat = 0;
}

/* Edge column o (the i-th), with the residual row rr (may be NULL),
 * before the activation: xr is the first of nk input rows (dh rows apart)
 * under the kernel rows from wr on. */
static float cpu_dw_col(const CpuDwGeom *g, int64_t i, int64_t o, const float *xr, const float *wr,
                        int64_t nk, float bias, const float *rr) {
  int64_t t, k, k0, k1, start = o * g->sw - g->pw, step = g->dh * g->iw;
  float acc = bias;
  if (i < g->nedge)
    k0 = g->klo[i], k1 = g->khi[i];
  else
    cpu_dw_range(g->kw, g->dw, start, g->iw, &k0, &k1);
  for (t = 0; t < nk; t++)
    for (k = k0; k < k1; k++) acc += wr[t * g->kw + k] * xr[t * step + start + k * g->dw];
  return rr ? acc + rr[o] : acc;
}

/* n <= 16 clean columns at o (S: the stride, a constant where inlined
 * so) with the residual row rr (may be NULL), before the activation. */
CPU_DW_INLINE void cpu_dw_block(const CpuDwGeom *g, const float *xr, const float *wr, int64_t nk,
                                float bias, const float *rr, float *yr, int64_t o, const int64_t n,
                                const int64_t S) {
  int64_t t, k, j, step = g->dh * g->iw;
  float acc[CPU_DW_VL];
  for (j = 0; j < CPU_DW_VL; j++) acc[j] = bias;
  for (t = 0; t < nk; t++)
    for (k = 0; k < g->kw; k++) {
      const float *restrict xp = xr + t * step + o * S - g->pw + k * g->dw;
      float wv = wr[t * g->kw + k];
      for (j = 0; j < n; j++) acc[j] += wv * xp[j * S];
    }
  if (rr)
    for (j = 0; j < n; j++) yr[o + j] = acc[j] + rr[o + j];
  else
    for (j = 0; j < n; j++) yr[o + j] = acc[j];
}

/* The clean columns in blocks of 16 and one shorter block. */
CPU_DW_INLINE void cpu_dw_clean(const CpuDwGeom *g, const float *xr, const float *wr, int64_t nk,
                                float bias, const float *rr, float *yr, const int64_t S) {
  int64_t o, o1 = g->col_hi;
  for (o = g->col_lo; o + CPU_DW_VL <= o1; o += CPU_DW_VL)
    cpu_dw_block(g, xr, wr, nk, bias, rr, yr, o, CPU_DW_VL, S);
  if (o < o1) cpu_dw_block(g, xr, wr, nk, bias, rr, yr, o, o1 - o, S);
}

/* bias + the K x K taps of the window at x (rows step apart, columns dw). */
CPU_DW_INLINE float cpu_dw_taps(const float *x, const float *wv, float bias, int64_t step,
                                int64_t dw, const int64_t K) {
  int64_t t, k;
  float a = bias;
  for (t = 0; t < K; t++)
    for (k = 0; k < K; k++) a += wv[t * K + k] * x[t * step + k * dw];
  return a;
}

/* Output rows [oy0, oy1) of plane pl, all of whose K kernel rows lie
 * inside the input, for a K x K kernel with stride S along the rows
 * (constants where inlined so): the clean columns as one loop whose body
 * sums all the taps, which the compiler vectorizes, then the edge columns
 * one by one. */
CPU_DW_INLINE void cpu_dw_full(const CpuDwGeom *g, const CpuDwPlane *pl, int64_t oy0, int64_t oy1,
                               const int64_t K, const int64_t S, const int64_t D) {
  int64_t oy, o, k, i, step = g->dh * g->iw, dw = D ? D : g->dw;
  float wv[25], bias = pl->bias;
  for (k = 0; k < K * K; k++) wv[k] = pl->w[k];
  for (oy = oy0; oy < oy1; oy++) {
    const float *xr = pl->x + (oy * g->sh - g->ph) * g->iw, *rr = pl->res;
    const float *restrict xb = xr - g->pw;
    float *yr = pl->y + oy * g->ow;
    if (rr) rr += oy * g->ow;
    if (rr)
      for (o = g->col_lo; o < g->col_hi; o++)
        yr[o] = cpu_dw_taps(xb + o * S, wv, bias, step, dw, K) + rr[o];
    else
      for (o = g->col_lo; o < g->col_hi; o++)
        yr[o] = cpu_dw_taps(xb + o * S, wv, bias, step, dw, K);
    for (o = 0, i = 0; o < g->col_lo; o++, i++) yr[o] = cpu_dw_col(g, i, o, xr, pl->w, K, bias, rr);
    for (o = g->col_hi; o < g->ow; o++, i++) yr[o] = cpu_dw_col(g, i, o, xr, pl->w, K, bias, rr);
    cpu_dw_epilogue(g, yr, g->ow, 0);
  }
}

/* cpu_dw_full through the instance for this kernel and stride, and
 * dilation 1 along the rows (D: 0 for any). */
static void cpu_dw_full_any(const CpuDwGeom *g, const CpuDwPlane *pl, int64_t oy0, int64_t oy1) {
  if (g->dw != 1)
    cpu_dw_full(g, pl, oy0, oy1, g->kw, g->sw, 0);
  else if (g->kw == 3 && g->sw == 1)
    cpu_dw_full(g, pl, oy0, oy1, 3, 1, 1);
  else if (g->kw == 3)
    cpu_dw_full(g, pl, oy0, oy1, 3, 2, 1);
  else if (g->sw == 1)
    cpu_dw_full(g, pl, oy0, oy1, 5, 1, 1);
  else
    cpu_dw_full(g, pl, oy0, oy1, 5, 2, 1);
}

/* One output row: the clean columns in blocks, then the edge columns. */
static void cpu_dw_row(const CpuDwGeom *g, const float *xr, const float *wr, int64_t nk, float bias,
                       const float *rr, float *yr) {
  int64_t o, i = 0;
  if (g->sw == 1)
    cpu_dw_clean(g, xr, wr, nk, bias, rr, yr, 1);
  else if (g->sw == 2)
    cpu_dw_clean(g, xr, wr, nk, bias, rr, yr, 2);
  else
    cpu_dw_clean(g, xr, wr, nk, bias, rr, yr, g->sw);
  for (o = 0; o < g->col_lo; o++, i++) yr[o] = cpu_dw_col(g, i, o, xr, wr, nk, bias, rr);
  for (o = g->col_hi; o < g->ow; o++, i++) yr[o] = cpu_dw_col(g, i, o, xr, wr, nk, bias, rr);
  cpu_dw_epilogue(g, yr, g->ow, 0);
}

#endif

/* Output row oy of plane pl, on its own. */
static void cpu_dw_row_at(const CpuDwGeom *g, const CpuDwPlane *pl, int64_t oy) {
  int64_t top = oy * g->sh - g->ph, t0, t1;
  const float *xr = pl->x;
  cpu_dw_range(g->kh, g->dh, top, g->ih, &t0, &t1);
  if (t1 > t0) xr += (top + t0 * g->dh) * g->iw;
  cpu_dw_row(g, xr, pl->w + t0 * g->kw, t1 - t0, pl->bias, pl->res ? pl->res + oy * g->ow : NULL,
             pl->y + oy * g->ow);
}

/* Output rows [oy0, oy1) of plane pl. */
static void cpu_dw_rows(const CpuDwGeom *g, const CpuDwPlane *pl, int64_t oy0, int64_t oy1) {
  int64_t oy = oy0, a = oy0 > g->row_lo ? oy0 : g->row_lo, b = oy1 < g->row_hi ? oy1 : g->row_hi;
#if CPU_DW_AVX512
  if (g->flat) { /* the task holds whole planes */
    cpu_dw_flat_any(g, pl);
    return;
  }
#endif
  if (g->full && a < b) {
    for (; oy < a; oy++) cpu_dw_row_at(g, pl, oy);
    cpu_dw_full_any(g, pl, a, b);
    oy = b;
  }
  for (; oy < oy1; oy++) cpu_dw_row_at(g, pl, oy);
}

/* Output rows [task * per_task, ...) of the flattened (image, channel,
 * row) list, plane by plane. */
static void cpu_dw_task(void *arg, int64_t task) {
  const CpuDwJob *j = (const CpuDwJob *)arg;
  const CpuDwGeom *g = &j->g;
  int64_t r = task * j->per_task, end = r + j->per_task, isz = g->ih * g->iw, osz = g->oh * g->ow;
  int64_t plane = r / g->oh, oy = r % g->oh, co = plane % g->m, sub = co % g->mult;
  const float *x = j->x + (plane / g->m * g->c + co / g->mult) * isz;
  if (end > j->rows) end = j->rows;
  while (r < end) {
    int64_t oy1 = end - r < g->oh - oy ? oy + (end - r) : g->oh;
    CpuDwPlane pl;
    pl.x = x, pl.w = j->w + co * g->kh * g->kw;
    pl.res = j->res ? j->res + plane * osz : NULL;
    pl.y = j->y + plane * osz;
    pl.bias = j->b ? j->b[co] : 0.0f;
    cpu_dw_rows(g, &pl, oy, oy1);
    r += oy1 - oy, oy = 0, plane++; /* the next plane */
    if (++co == g->m) co = 0;
    if (++sub == g->mult) sub = 0, x += isz;
  }
}

RT_API int rt_cpu_dw_ok(const RtConv *p) {
  return p->group == p->c && p->c > 0 && p->m % p->c == 0 && p->in[0] == 1 && p->out[0] == 1 &&
         p->k[0] == 1 && p->pad_begin[0] == 0;
}

RT_API void rt_cpu_dw_f32(const RtConv *p, const float *x, const float *w, const float *b,
                          const float *res, float *y, RtThreads *tp) {
  CpuDwJob j;
  CpuDwGeom *g = &j.g;
  int64_t lo0, hi0, lo1, hi1, ntasks, threads = rt_tp_threads(tp);
  g->c = p->c, g->m = p->m, g->mult = p->m / p->c;
  g->ih = p->in[1], g->iw = p->in[2], g->oh = p->out[1], g->ow = p->out[2];
  g->kh = p->k[1], g->kw = p->k[2], g->sh = p->stride[1], g->sw = p->stride[2];
  g->dh = p->dil[1], g->dw = p->dil[2], g->ph = p->pad_begin[1], g->pw = p->pad_begin[2];
  g->act = p->act, g->alpha = p->alpha, g->beta = p->beta;
  /* None, Relu and Clip as one clamp (max(lo, v), then min(hi, v): NaN stays) */
  g->clamp = p->act == RT_ACT_NONE || p->act == RT_ACT_RELU || p->act == RT_ACT_CLIP;
  g->lo = p->act == RT_ACT_CLIP ? p->alpha : p->act == RT_ACT_RELU ? 0.0f : -INFINITY;
  g->hi = p->act == RT_ACT_CLIP ? p->beta : INFINITY;
  j.rows = p->n * g->m * g->oh;
  if (j.rows <= 0 || g->ow <= 0) return;
  /* clean columns: the first and the last tap inside the row */
  cpu_dw_range(g->ow, g->sw, -g->pw, g->iw, &lo0, &hi0);
  cpu_dw_range(g->ow, g->sw, (g->kw - 1) * g->dw - g->pw, g->iw, &lo1, &hi1);
  g->col_lo = lo0 > lo1 ? lo0 : lo1;
  g->col_hi = hi0 < hi1 ? hi0 : hi1;
  if (g->col_hi <= g->col_lo) g->col_lo = g->col_hi = 0;
  cpu_dw_range(g->oh, g->sh, -g->ph, g->ih, &lo0, &hi0);
  cpu_dw_range(g->oh, g->sh, (g->kh - 1) * g->dh - g->ph, g->ih, &lo1, &hi1);
  g->row_lo = lo0 > lo1 ? lo0 : lo1;
  g->row_hi = hi0 < hi1 ? hi0 : hi1;
  if (g->row_hi <= g->row_lo) g->row_lo = g->row_hi = 0;
  cpu_dw_plan(g);
  j.x = x, j.w = w, j.b = b, j.res = res, j.y = y;
  ntasks = threads > 1 ? threads * 16 : 1;
  if (ntasks > j.rows) ntasks = j.rows;
  j.per_task = (j.rows + ntasks - 1) / ntasks;
  if (g->flat) j.per_task = (j.per_task + g->oh - 1) / g->oh * g->oh; /* whole planes */
  rt_tp_run(tp, (j.rows + j.per_task - 1) / j.per_task, cpu_dw_task, &j);
}
