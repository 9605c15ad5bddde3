/* cpu_pool.c - see cpu_pool.h.
 *
 * MaxPool and AveragePool walk as the depthwise conv does (cpu_dw.c): the
 * work is the list of all output rows, a task takes a contiguous run of
 * them, and an output row folds the window rows that lie inside the input.
 * Output rows [row_lo, row_hi) have all their window rows inside ("full"),
 * output columns [col_lo, col_hi) all their taps ("clean"); the geometry is
 * found once per call.
 *   - AVX-512: blocks of 16 columns. A clean block loads its taps unmasked
 *     (stride 2: two loads and a permute); an edge block masks each tap to
 *     the lanes it reaches, and divides by each lane's count from a table.
 *     Full rows of 2x2 and 3x3 windows with stride 1 or 2 (ResNet's 3x3/2)
 *     take an instance with the window unrolled and prefetch the next rows.
 *   - Elsewhere: full rows of those windows are one loop over the clean
 *     columns that the compiler vectorizes; other rows take blocks of 16
 *     columns as fixed-length loops; edge columns go one at a time.
 * Taps are folded in pool.c's order (window rows, then columns), so sums
 * are bit for bit those of rt_avgpool_f32. The vector max keeps the later
 * of equal values as rt_max_f32 does, and turns a window holding a NaN
 * into NaN, so MaxPool matches rt_maxpool_f32 bit for bit too.
 *
 * Global pools: one plane at a time into 16 partial results, loops the
 * compiler vectorizes, with the bias, residual and activation folded in. */
#include <math.h>

#include "cpu_pool.h"
#include "rt_scalar.h"

#if defined(__AVX512F__) && defined(__GNUC__)
#define CPU_POOL_AVX512 1
#include <immintrin.h>
#else
#define CPU_POOL_AVX512 0
#endif

#if defined(__GNUC__)
#define CPU_POOL_INLINE static inline __attribute__((always_inline))
#else
#define CPU_POOL_INLINE static inline
#endif

#define CPU_POOL_VL 16
#define CPU_POOL_LOWEST (-3.40282346638528859812e+38f) /* as pool.c */
#define CPU_POOL_EDGES 8                               /* edge blocks (AVX-512) or ... */
#define CPU_POOL_ECOLS 64 /* ... edge columns (portable) found once per call */
#define CPU_POOL_TAPS 16  /* window columns kept there */

/* AVX-512: an edge block, the columns [o, o + n): the lanes each tap
 * reaches (m), with stride 2 the masks of its two loads (la, lb), and for
 * the average each lane's count of taps along the row. */
typedef struct CpuPoolEdge {
  int64_t o, n;
  uint16_t m[CPU_POOL_TAPS], la[CPU_POOL_TAPS], lb[CPU_POOL_TAPS];
  float cnt[CPU_POOL_VL];
} CpuPoolEdge;

/* The geometry of one call, 2-D (the d entries of RtPool dropped). */
typedef struct CpuPoolGeom {
  int64_t ih, iw, oh, ow;
  int64_t kh, kw, sh, sw, dh, dw, ph, pw, peh, pew; /* pe*: end pads */
  int64_t is_max, incl_pad;
  int64_t col_lo, col_hi; /* clean output columns; col_lo <= col_hi */
  int64_t row_lo, row_hi; /* output rows all of whose window rows are inside */
  int64_t c0, c1;         /* AVX-512: the clean blocks [c0, c1), from 0 by 16 */
  int64_t full;           /* AVX-512: rows [row_lo, row_hi) take cpu_pool_full */
  int64_t nedge;          /* edge blocks or columns in the table below */
  CpuPoolEdge edge[CPU_POOL_EDGES];
  int16_t klo[CPU_POOL_ECOLS], khi[CPU_POOL_ECOLS], kcnt[CPU_POOL_ECOLS]; /* portable */
} CpuPoolGeom;

typedef struct CpuPoolJob {
  CpuPoolGeom g;
  const float *x;
  float *y;
  int64_t rows, per_task; /* output rows in all; rows per task */
} CpuPoolJob;

static int64_t cpu_pool_ceil_div(int64_t a, int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/* The t in [0, n) with 0 <= off + t * s < bound: [*lo, *hi). */
static void cpu_pool_range(int64_t n, int64_t s, int64_t off, int64_t bound, int64_t *lo,
                           int64_t *hi) {
  int64_t l = off >= 0 ? 0 : cpu_pool_ceil_div(-off, s);
  int64_t h = cpu_pool_ceil_div(bound - off, s);
  if (h > n) h = n;
  if (h < 0) h = 0;
  if (l > h) l = h;
  *lo = l, *hi = h;
}

/* The taps of a window of k (dilation d) starting at start that count for
 * the average: inside [0, in), or inside [-pb, in + pe) with incl_pad. */
static int64_t cpu_pool_count(int64_t k, int64_t d, int64_t start, int64_t in, int64_t pb,
                              int64_t pe, int64_t incl_pad) {
  int64_t lo, hi;
  if (incl_pad)
    cpu_pool_range(k, d, start + pb, in + pb + pe, &lo, &hi);
  else
    cpu_pool_range(k, d, start, in, &lo, &hi);
  return hi - lo;
}

/* The count of edge column o along the row. */
static int64_t cpu_pool_col_count(const CpuPoolGeom *g, int64_t o) {
  return cpu_pool_count(g->kw, g->dw, o * g->sw - g->pw, g->iw, g->pw, g->pew, g->incl_pad);
}

#if CPU_POOL_AVX512

static __mmask16 cpu_pool_lanes(int64_t start, int64_t s, int64_t bound, int64_t n) {
  int64_t lo, hi;
  cpu_pool_range(n, s, start, bound, &lo, &hi);
  return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

static uint32_t cpu_pool_spread(uint32_t m) {
  m = (m | m << 8) & 0x00ff00ffu;
  m = (m | m << 4) & 0x0f0f0f0fu;
  m = (m | m << 2) & 0x33333333u;
  return (m | m << 1) & 0x55555555u;
}

/* The masks of tap k in the edge block of n columns at o (as cpu_dw.c). */
static void cpu_pool_tap_masks(const CpuPoolGeom *g, int64_t o, int64_t n, int64_t k, __mmask16 *m,
                               __mmask16 *la, __mmask16 *lb) {
  uint32_t e;
  *m = cpu_pool_lanes(o * g->sw + k * g->dw - g->pw, g->sw, g->iw, n);
  e = cpu_pool_spread(*m);
  *la = (__mmask16)e, *lb = (__mmask16)(e >> 16);
}

/* The column counts of the n lanes at o into cnt (1 past n). */
static void cpu_pool_counts(const CpuPoolGeom *g, int64_t o, int64_t n, float *cnt) {
  int64_t j;
  for (j = 0; j < CPU_POOL_VL; j++) cnt[j] = j < n ? (float)cpu_pool_col_count(g, o + j) : 1.0f;
}

static const int32_t CPU_POOL_EVEN[16] = {0,  2,  4,  6,  8,  10, 12, 14,
                                          16, 18, 20, 22, 24, 26, 28, 30};
static const int32_t CPU_POOL_IOTA[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* p[j * s] for all 16 lanes, each inside the input. */
CPU_POOL_INLINE __m512 cpu_pool_load(const float *p, int64_t s) {
  if (s == 1) return _mm512_loadu_ps(p);
  if (s == 2)
    return _mm512_permutex2var_ps(_mm512_loadu_ps(p), _mm512_loadu_si512(CPU_POOL_EVEN),
                                  _mm512_maskz_loadu_ps(0x7fff, p + 16));
  return _mm512_i32gather_ps(
      _mm512_mullo_epi32(_mm512_loadu_si512(CPU_POOL_IOTA), _mm512_set1_epi32((int)s)), p, 4);
}

/* The edge block of n <= 16 columns at o; e holds its masks and counts, or
 * is NULL (then they are found here). xr is the first of nk input rows,
 * nh the row count of the average's divisor. */
static void cpu_pool_edge(const CpuPoolGeom *g, const CpuPoolEdge *e, int64_t o, int64_t n,
                          const float *xr, int64_t nk, int64_t nh, float *yr) {
  int64_t t, k, s = g->sw, step = g->dh * g->iw;
  const __m512i even = _mm512_loadu_si512(CPU_POOL_EVEN);
  const __m512i idx =
      _mm512_mullo_epi32(_mm512_loadu_si512(CPU_POOL_IOTA), _mm512_set1_epi32((int)s));
  __m512 acc = _mm512_set1_ps(g->is_max ? CPU_POOL_LOWEST : 0.0f);
  __mmask16 isn = 0;
  for (t = 0; t < nk; t++)
    for (k = 0; k < g->kw; k++) {
      const float *p = xr + t * step + o * s + k * g->dw - g->pw;
      __mmask16 m, la, lb;
      __m512 v;
      if (e && k < CPU_POOL_TAPS)
        m = e->m[k], la = e->la[k], lb = e->lb[k];
      else
        cpu_pool_tap_masks(g, o, n, k, &m, &la, &lb);
      if (s == 1)
        v = _mm512_maskz_loadu_ps(m, p);
      else if (s == 2)
        v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(la, p), even,
                                   _mm512_maskz_loadu_ps(lb, p + 16));
      else
        v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, p, 4);
      if (g->is_max) {
        acc = _mm512_mask_max_ps(acc, m, acc, v);
        isn |= _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
      } else {
        acc = _mm512_mask_add_ps(acc, m, acc, v);
      }
    }
  if (g->is_max) {
    acc = _mm512_mask_mov_ps(acc, isn, _mm512_set1_ps(NAN));
  } else {
    float cnt[CPU_POOL_VL];
    if (!e) cpu_pool_counts(g, o, n, cnt);
    acc = _mm512_div_ps(
        acc, _mm512_mul_ps(_mm512_loadu_ps(e ? e->cnt : cnt), _mm512_set1_ps((float)nh)));
  }
  _mm512_mask_storeu_ps(yr + o, (__mmask16)((1u << n) - 1u), acc);
}

/* Clean blocks [c0, c1) of a row; KW, S and MAX are constants where
 * inlined so. */
CPU_POOL_INLINE void cpu_pool_clean(const CpuPoolGeom *g, const float *xr, int64_t nk, int64_t nh,
                                    float *yr, const int64_t KW, const int64_t S, const int MAX) {
  int64_t o, t, k, step = g->dh * g->iw, dw = g->dw;
  const __m512 div = _mm512_set1_ps((float)(nh * KW));
  for (o = g->c0; o < g->c1; o += CPU_POOL_VL) {
    const float *xb = xr + o * S - g->pw;
    __m512 acc = _mm512_set1_ps(MAX ? CPU_POOL_LOWEST : 0.0f);
    __mmask16 isn = 0;
    for (t = 0; t < nk; t++)
      for (k = 0; k < KW; k++) {
        __m512 v = cpu_pool_load(xb + t * step + k * dw, S);
        if (MAX) {
          acc = _mm512_max_ps(acc, v);
          isn |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        } else {
          acc = _mm512_add_ps(acc, v);
        }
      }
    if (MAX)
      acc = _mm512_mask_mov_ps(acc, isn, _mm512_set1_ps(NAN));
    else
      acc = _mm512_div_ps(acc, div);
    _mm512_storeu_ps(yr + o, acc);
  }
}

/* The clean blocks of a row, through the instance for its window. */
static void cpu_pool_clean_any(const CpuPoolGeom *g, const float *xr, int64_t nk, int64_t nh,
                               float *yr) {
  if (g->is_max)
    cpu_pool_clean(g, xr, nk, nh, yr, g->kw, g->sw, 1);
  else
    cpu_pool_clean(g, xr, nk, nh, yr, g->kw, g->sw, 0);
}

/* One output row: the clean blocks, then the edge blocks. */
static void cpu_pool_row(const CpuPoolGeom *g, const float *xr, int64_t nk, int64_t nh, float *yr) {
  int64_t o, i = 0;
  if (g->c1 > g->c0) cpu_pool_clean_any(g, xr, nk, nh, yr);
  for (o = 0; o < g->ow; o += CPU_POOL_VL) {
    if (o >= g->c0 && o < g->c1) continue;
    cpu_pool_edge(g, i < g->nedge ? &g->edge[i] : NULL, o,
                  g->ow - o < CPU_POOL_VL ? g->ow - o : CPU_POOL_VL, xr, nk, nh, yr);
    i++;
  }
}

/* Output rows [oy0, oy1) of plane xc into yp, all of whose K window rows
 * lie inside the input, for a K x K window with stride S along the rows
 * (K, S, MAX constants where inlined so); every edge block's masks and
 * counts come from the table. */
CPU_POOL_INLINE void cpu_pool_full(const CpuPoolGeom *g, const float *xc, float *yp, int64_t oy0,
                                   int64_t oy1, const int64_t K, const int64_t S, const int MAX) {
  int64_t oy, o, i, t, k, step = g->dh * g->iw, dw = g->dw;
  const __m512i even = _mm512_loadu_si512(CPU_POOL_EVEN);
  const __m512 init = _mm512_set1_ps(MAX ? CPU_POOL_LOWEST : 0.0f), nan = _mm512_set1_ps(NAN);
  const __m512 div = _mm512_set1_ps((float)(K * K)), kh = _mm512_set1_ps((float)K);
  for (oy = oy0; oy < oy1; oy++) {
    const float *xr = xc + (oy * g->sh - g->ph) * g->iw;
    float *yr = yp + oy * g->ow;
    if (oy + 1 < g->row_hi) { /* the rows the next output row brings in (see cpu_dw.c) */
      const float *pf = xr + ((K - 1) * g->dh + 1) * g->iw;
      for (o = 0; o < g->sh * g->iw; o += CPU_POOL_VL)
        _mm_prefetch((const char *)(pf + o), _MM_HINT_T0);
    }
    for (o = g->c0; o < g->c1; o += CPU_POOL_VL) {
      const float *xb = xr + o * S - g->pw;
      __m512 acc = init;
      __mmask16 isn = 0;
      for (t = 0; t < K; t++)
        for (k = 0; k < K; k++) {
          __m512 v = cpu_pool_load(xb + t * step + k * dw, S);
          if (MAX) {
            acc = _mm512_max_ps(acc, v);
            isn |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
          } else {
            acc = _mm512_add_ps(acc, v);
          }
        }
      _mm512_storeu_ps(yr + o, MAX ? _mm512_mask_mov_ps(acc, isn, nan) : _mm512_div_ps(acc, div));
    }
    for (i = 0; i < g->nedge; i++) {
      const CpuPoolEdge *e = &g->edge[i];
      const float *xb = xr + e->o * S - g->pw;
      __m512 acc = init;
      __mmask16 isn = 0;
      for (t = 0; t < K; t++)
        for (k = 0; k < K; k++) {
          const float *p = xb + t * step + k * dw;
          __mmask16 m = e->m[k];
          __m512 v = S == 1 ? _mm512_maskz_loadu_ps(m, p)
                            : _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(e->la[k], p), even,
                                                     _mm512_maskz_loadu_ps(e->lb[k], p + 16));
          if (MAX) {
            acc = _mm512_mask_max_ps(acc, m, acc, v);
            isn |= _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
          } else {
            acc = _mm512_mask_add_ps(acc, m, acc, v);
          }
        }
      acc = MAX ? _mm512_mask_mov_ps(acc, isn, nan)
                : _mm512_div_ps(acc, _mm512_mul_ps(_mm512_loadu_ps(e->cnt), kh));
      _mm512_mask_storeu_ps(yr + e->o, (__mmask16)((1u << e->n) - 1u), acc);
    }
  }
}

/* cpu_pool_full through the instance for this window and stride. */
static void cpu_pool_full_any(const CpuPoolGeom *g, const float *xc, float *yp, int64_t oy0,
                              int64_t oy1) {
  if (g->is_max) {
    if (g->kw == 3 && g->sw == 2)
      cpu_pool_full(g, xc, yp, oy0, oy1, 3, 2, 1);
    else if (g->kw == 3)
      cpu_pool_full(g, xc, yp, oy0, oy1, 3, 1, 1);
    else if (g->sw == 2)
      cpu_pool_full(g, xc, yp, oy0, oy1, 2, 2, 1);
    else
      cpu_pool_full(g, xc, yp, oy0, oy1, 2, 1, 1);
  } else {
    if (g->kw == 3 && g->sw == 2)
      cpu_pool_full(g, xc, yp, oy0, oy1, 3, 2, 0);
    else if (g->kw == 3)
      cpu_pool_full(g, xc, yp, oy0, oy1, 3, 1, 0);
    else if (g->sw == 2)
      cpu_pool_full(g, xc, yp, oy0, oy1, 2, 2, 0);
    else
      cpu_pool_full(g, xc, yp, oy0, oy1, 2, 1, 0);
  }
}

/* The clean blocks, the edge table, and whether cpu_pool_full applies. */
static void cpu_pool_plan(CpuPoolGeom *g) {
  int64_t o, k, i = 0;
  g->c0 = (g->col_lo + CPU_POOL_VL - 1) / CPU_POOL_VL * CPU_POOL_VL;
  if (g->col_hi - g->c0 >= CPU_POOL_VL)
    g->c1 = g->c0 + (g->col_hi - g->c0) / CPU_POOL_VL * CPU_POOL_VL;
  else
    g->c0 = g->c1 = 0;
  for (o = 0; o < g->ow; o += CPU_POOL_VL) {
    CpuPoolEdge *e;
    __mmask16 m, la, lb;
    if (o >= g->c0 && o < g->c1) continue;
    if (i++ >= CPU_POOL_EDGES) continue;
    e = &g->edge[i - 1];
    e->o = o, e->n = g->ow - o < CPU_POOL_VL ? g->ow - o : CPU_POOL_VL;
    for (k = 0; k < g->kw && k < CPU_POOL_TAPS; k++) {
      cpu_pool_tap_masks(g, e->o, e->n, k, &m, &la, &lb);
      e->m[k] = m, e->la[k] = la, e->lb[k] = lb;
    }
    cpu_pool_counts(g, e->o, e->n, e->cnt);
  }
  g->nedge = i < CPU_POOL_EDGES ? i : CPU_POOL_EDGES;
  g->full = i <= CPU_POOL_EDGES && g->kh == g->kw && (g->kw == 2 || g->kw == 3) &&
            (g->sw == 1 || g->sw == 2);
}

#else /* portable C */

/* The taps and counts of each edge column (as far as the table goes), and
 * whether cpu_pool_full applies. */
static void cpu_pool_plan(CpuPoolGeom *g) {
  int64_t o, lo, hi, i = 0;
  for (o = 0; o < g->ow && i < CPU_POOL_ECOLS && g->kw <= CPU_POOL_TAPS; o++) {
    if (o == g->col_lo) o = g->col_hi;
    if (o >= g->ow) break;
    cpu_pool_range(g->kw, g->dw, o * g->sw - g->pw, g->iw, &lo, &hi);
    g->klo[i] = (int16_t)lo, g->khi[i] = (int16_t)hi;
    g->kcnt[i] = (int16_t)cpu_pool_col_count(g, o);
    i++;
  }
  g->nedge = i;
  g->full = g->kh == g->kw && (g->kw == 2 || g->kw == 3) && (g->sw == 1 || g->sw == 2);
}

/* Edge column o (the i-th) by itself. */
static float cpu_pool_col(const CpuPoolGeom *g, int64_t i, int64_t o, const float *xr, int64_t nk,
                          int64_t nh) {
  int64_t t, k, k0, k1, cnt, start = o * g->sw - g->pw, step = g->dh * g->iw;
  float acc = g->is_max ? CPU_POOL_LOWEST : 0.0f;
  if (i < g->nedge)
    k0 = g->klo[i], k1 = g->khi[i], cnt = g->kcnt[i];
  else
    cpu_pool_range(g->kw, g->dw, start, g->iw, &k0, &k1), cnt = cpu_pool_col_count(g, o);
  for (t = 0; t < nk; t++)
    for (k = k0; k < k1; k++) {
      float v = xr[t * step + start + k * g->dw];
      acc = g->is_max ? rt_max_f32(acc, v) : acc + v;
    }
  return g->is_max ? acc : acc / (float)(nh * cnt);
}

/* n <= 16 clean columns at o; S and MAX are constants where inlined so. */
CPU_POOL_INLINE void cpu_pool_block(const CpuPoolGeom *g, const float *xr, int64_t nk, int64_t nh,
                                    float *yr, int64_t o, const int64_t n, const int64_t S,
                                    const int MAX) {
  int64_t t, k, j, step = g->dh * g->iw;
  float acc[CPU_POOL_VL], div = (float)(nh * g->kw);
  for (j = 0; j < CPU_POOL_VL; j++) acc[j] = MAX ? CPU_POOL_LOWEST : 0.0f;
  for (t = 0; t < nk; t++)
    for (k = 0; k < g->kw; k++) {
      const float *restrict xp = xr + t * step + o * S - g->pw + k * g->dw;
      if (MAX)
        for (j = 0; j < n; j++) acc[j] = rt_max_f32(acc[j], xp[j * S]);
      else
        for (j = 0; j < n; j++) acc[j] += xp[j * S];
    }
  if (MAX)
    for (j = 0; j < n; j++) yr[o + j] = acc[j];
  else
    for (j = 0; j < n; j++) yr[o + j] = acc[j] / div;
}

CPU_POOL_INLINE void cpu_pool_clean(const CpuPoolGeom *g, const float *xr, int64_t nk, int64_t nh,
                                    float *yr, const int64_t S, const int MAX) {
  int64_t o, o1 = g->col_hi;
  for (o = g->col_lo; o + CPU_POOL_VL <= o1; o += CPU_POOL_VL)
    cpu_pool_block(g, xr, nk, nh, yr, o, CPU_POOL_VL, S, MAX);
  if (o < o1) cpu_pool_block(g, xr, nk, nh, yr, o, o1 - o, S, MAX);
}

/* The K x K window at x (rows step apart, columns dw): max or sum. */
CPU_POOL_INLINE float cpu_pool_taps(const float *x, int64_t step, int64_t dw, const int64_t K,
                                    const int MAX) {
  int64_t t, k;
  float a = MAX ? CPU_POOL_LOWEST : 0.0f;
  for (t = 0; t < K; t++)
    for (k = 0; k < K; k++)
      a = MAX ? rt_max_f32(a, x[t * step + k * dw]) : a + x[t * step + k * dw];
  return a;
}

/* Output rows [oy0, oy1) of plane xc into yp, all of whose K window rows
 * lie inside the input, for a K x K window with stride S and dilation D
 * along the rows (constants where inlined so; D 0: any): the clean columns
 * as one loop the compiler vectorizes, then the edge columns. */
CPU_POOL_INLINE void cpu_pool_full(const CpuPoolGeom *g, const float *xc, float *yp, int64_t oy0,
                                   int64_t oy1, const int64_t K, const int64_t S, const int64_t D,
                                   const int MAX) {
  int64_t oy, o, i, step = g->dh * g->iw, dw = D ? D : g->dw;
  float div = (float)(K * K);
  for (oy = oy0; oy < oy1; oy++) {
    const float *xr = xc + (oy * g->sh - g->ph) * g->iw;
    const float *restrict xb = xr - g->pw;
    float *restrict yr = yp + oy * g->ow;
    if (MAX)
      for (o = g->col_lo; o < g->col_hi; o++) yr[o] = cpu_pool_taps(xb + o * S, step, dw, K, 1);
    else
      for (o = g->col_lo; o < g->col_hi; o++)
        yr[o] = cpu_pool_taps(xb + o * S, step, dw, K, 0) / div;
    for (o = 0, i = 0; o < g->col_lo; o++, i++) yr[o] = cpu_pool_col(g, i, o, xr, K, K);
    for (o = g->col_hi; o < g->ow; o++, i++) yr[o] = cpu_pool_col(g, i, o, xr, K, K);
  }
}

/* cpu_pool_full through the instance for this window. */
static void cpu_pool_full_any(const CpuPoolGeom *g, const float *xc, float *yp, int64_t oy0,
                              int64_t oy1) {
  if (g->dw != 1) {
    if (g->is_max)
      cpu_pool_full(g, xc, yp, oy0, oy1, g->kw, g->sw, 0, 1);
    else
      cpu_pool_full(g, xc, yp, oy0, oy1, g->kw, g->sw, 0, 0);
  } else if (g->is_max) {
    if (g->kw == 3 && g->sw == 2)
      cpu_pool_full(g, xc, yp, oy0, oy1, 3, 2, 1, 1);
    else if (g->kw == 3)
      cpu_pool_full(g, xc, yp, oy0, oy1, 3, 1, 1, 1);
    else if (g->sw == 2)
      cpu_pool_full(g, xc, yp, oy0, oy1, 2, 2, 1, 1);
    else
      cpu_pool_full(g, xc, yp, oy0, oy1, 2, 1, 1, 1);
  } else {
    if (g->kw == 3 && g->sw == 2)
      cpu_pool_full(g, xc, yp, oy0, oy1, 3, 2, 1, 0);
    else if (g->kw == 3)
      cpu_pool_full(g, xc, yp, oy0, oy1, 3, 1, 1, 0);
    else if (g->sw == 2)
      cpu_pool_full(g, xc, yp, oy0, oy1, 2, 2, 1, 0);
    else
      cpu_pool_full(g, xc, yp, oy0, oy1, 2, 1, 1, 0);
  }
}

/* One output row: the clean columns in blocks, then the edge columns. */
static void cpu_pool_row(const CpuPoolGeom *g, const float *xr, int64_t nk, int64_t nh, float *yr) {
  int64_t o, i = 0;
  if (g->is_max) {
    if (g->sw == 1)
      cpu_pool_clean(g, xr, nk, nh, yr, 1, 1);
    else if (g->sw == 2)
      cpu_pool_clean(g, xr, nk, nh, yr, 2, 1);
    else
      cpu_pool_clean(g, xr, nk, nh, yr, g->sw, 1);
  } else {
    if (g->sw == 1)
      cpu_pool_clean(g, xr, nk, nh, yr, 1, 0);
    else if (g->sw == 2)
      cpu_pool_clean(g, xr, nk, nh, yr, 2, 0);
    else
      cpu_pool_clean(g, xr, nk, nh, yr, g->sw, 0);
  }
  for (o = 0; o < g->col_lo; o++, i++) yr[o] = cpu_pool_col(g, i, o, xr, nk, nh);
  for (o = g->col_hi; o < g->ow; o++, i++) yr[o] = cpu_pool_col(g, i, o, xr, nk, nh);
}

#endif

/* Output row oy of plane xc into the output plane yp, on its own. */
static void cpu_pool_row_at(const CpuPoolGeom *g, const float *xc, float *yp, int64_t oy) {
  int64_t top = oy * g->sh - g->ph, t0, t1;
  cpu_pool_range(g->kh, g->dh, top, g->ih, &t0, &t1);
  if (t1 > t0) xc += (top + t0 * g->dh) * g->iw;
  cpu_pool_row(g, xc, t1 - t0, cpu_pool_count(g->kh, g->dh, top, g->ih, g->ph, g->peh, g->incl_pad),
               yp + oy * g->ow);
}

/* Output rows [task * per_task, ...) of the flattened (image, channel,
 * row) list, plane by plane. */
static void cpu_pool_task(void *arg, int64_t task) {
  const CpuPoolJob *j = (const CpuPoolJob *)arg;
  const CpuPoolGeom *g = &j->g;
  int64_t r = task * j->per_task, end = r + j->per_task, plane = r / g->oh, oy = r % g->oh;
  if (end > j->rows) end = j->rows;
  for (; r < end; plane++) {
    int64_t oy1 = end - r < g->oh - oy ? oy + (end - r) : g->oh, o = oy;
    int64_t a = oy > g->row_lo ? oy : g->row_lo, b = oy1 < g->row_hi ? oy1 : g->row_hi;
    const float *xc = j->x + plane * g->ih * g->iw;
    float *yp = j->y + plane * g->oh * g->ow;
    if (g->full && a < b) {
      for (; o < a; o++) cpu_pool_row_at(g, xc, yp, o);
      cpu_pool_full_any(g, xc, yp, a, b);
      o = b;
    }
    for (; o < oy1; o++) cpu_pool_row_at(g, xc, yp, o);
    r += oy1 - oy, oy = 0;
  }
}

/* Tasks of whole units (rows or planes): a few per thread. */
static int64_t cpu_pool_per_task(int64_t units, RtThreads *tp) {
  int64_t threads = rt_tp_threads(tp), ntasks = threads > 1 ? threads * 16 : 1;
  if (ntasks > units) ntasks = units;
  return (units + ntasks - 1) / ntasks;
}

static void cpu_pool_run(const RtPool *p, const float *x, float *y, RtThreads *tp, int is_max) {
  CpuPoolJob j;
  CpuPoolGeom *g = &j.g;
  int64_t lo0, hi0, lo1, hi1;
  g->ih = p->in[1], g->iw = p->in[2], g->oh = p->out[1], g->ow = p->out[2];
  g->kh = p->k[1], g->kw = p->k[2], g->sh = p->stride[1], g->sw = p->stride[2];
  g->dh = p->dil[1], g->dw = p->dil[2], g->ph = p->pad_begin[1], g->pw = p->pad_begin[2];
  g->peh = p->pad_end[1], g->pew = p->pad_end[2];
  g->is_max = is_max, g->incl_pad = p->count_include_pad;
  j.rows = p->n * p->c * g->oh;
  if (j.rows <= 0 || g->ow <= 0) return;
  cpu_pool_range(g->ow, g->sw, -g->pw, g->iw, &lo0, &hi0);
  cpu_pool_range(g->ow, g->sw, (g->kw - 1) * g->dw - g->pw, g->iw, &lo1, &hi1);
  g->col_lo = lo0 > lo1 ? lo0 : lo1;
  g->col_hi = hi0 < hi1 ? hi0 : hi1;
  if (g->col_hi <= g->col_lo) g->col_lo = g->col_hi = 0;
  cpu_pool_range(g->oh, g->sh, -g->ph, g->ih, &lo0, &hi0);
  cpu_pool_range(g->oh, g->sh, (g->kh - 1) * g->dh - g->ph, g->ih, &lo1, &hi1);
  g->row_lo = lo0 > lo1 ? lo0 : lo1;
  g->row_hi = hi0 < hi1 ? hi0 : hi1;
  if (g->row_hi <= g->row_lo) g->row_lo = g->row_hi = 0;
  cpu_pool_plan(g);
  j.x = x, j.y = y;
  j.per_task = cpu_pool_per_task(j.rows, tp);
  rt_tp_run(tp, (j.rows + j.per_task - 1) / j.per_task, cpu_pool_task, &j);
}

RT_API int rt_cpu_pool_ok(const RtPool *p) {
  return p->in[0] == 1 && p->out[0] == 1 && p->k[0] == 1 && p->pad_begin[0] == 0 &&
         p->pad_end[0] == 0;
}

RT_API void rt_cpu_maxpool_f32(const RtPool *p, const float *x, float *y, RtThreads *tp) {
  cpu_pool_run(p, x, y, tp, 1);
}

RT_API void rt_cpu_avgpool_f32(const RtPool *p, const float *x, float *y, RtThreads *tp) {
  cpu_pool_run(p, x, y, tp, 0);
}

/* ---- global pools */

typedef struct CpuGPoolJob {
  const RtCpuGlobalPool *p;
  const float *x, *b, *res;
  float *y;
  int64_t per_task, is_max;
} CpuGPoolJob;

/* The max of n values (NaN if one is; -inf if n is 0), in 16 partial
 * results. */
static float cpu_pool_gmax(const float *x, int64_t n) {
  float lane[CPU_POOL_VL], m = -INFINITY;
  int64_t i, q;
  for (q = 0; q < CPU_POOL_VL; q++) lane[q] = -INFINITY;
  for (i = 0; i + CPU_POOL_VL <= n; i += CPU_POOL_VL)
    for (q = 0; q < CPU_POOL_VL; q++) lane[q] = rt_max_f32(lane[q], x[i + q]);
  for (; i < n; i++) m = rt_max_f32(m, x[i]);
  for (q = 0; q < CPU_POOL_VL; q++) m = rt_max_f32(m, lane[q]);
  return m;
}

/* The sum of act(x + bias + r) over n values (r may be NULL), in 16
 * partial sums; the switch on act and the test of r sit outside the loops
 * so that they vectorize (Sigmoid and Tanh stay scalar: rt_act_f32). */
#define CPU_POOL_GLOOP(V, EXPR)                       \
  for (i = 0; i + CPU_POOL_VL <= n; i += CPU_POOL_VL) \
    for (q = 0; q < CPU_POOL_VL; q++) {               \
      float v;                                        \
      at = i + q;                                     \
      v = (V);                                        \
      lane[q] += (EXPR);                              \
    }                                                 \
  for (at = i; at < n; at++) {                        \
    float v = (V);                                    \
    s += (EXPR);                                      \
  }
#define CPU_POOL_GSUM(EXPR)                    \
  if (r) {                                     \
    CPU_POOL_GLOOP(x[at] + bias + r[at], EXPR) \
  } else {                                     \
    CPU_POOL_GLOOP(x[at] + bias, EXPR)         \
  }

static float cpu_pool_gsum(const RtCpuGlobalPool *p, const float *x, float bias, const float *r,
                           int64_t n) {
  float lane[CPU_POOL_VL], s = 0.0f, al = p->alpha, be = p->beta;
  int64_t i, q, at;
  for (q = 0; q < CPU_POOL_VL; q++) lane[q] = 0.0f;
  switch (p->act) {
    case RT_ACT_NONE: CPU_POOL_GSUM(v); break;
    case RT_ACT_RELU: CPU_POOL_GSUM(rt_relu_f32(v)); break;
    case RT_ACT_CLIP: CPU_POOL_GSUM(rt_clip_f32(v, al, be)); break;
    default: CPU_POOL_GSUM(rt_act_f32(v, p->act, al, be)); break;
  }
  for (q = 0; q < CPU_POOL_VL; q++) s += lane[q];
  return s;
}

static void cpu_pool_gtask(void *arg, int64_t task) {
  const CpuGPoolJob *j = (const CpuGPoolJob *)arg;
  const RtCpuGlobalPool *p = j->p;
  int64_t pl = task * j->per_task, end = pl + j->per_task, sp = p->spatial;
  if (end > p->n * p->c) end = p->n * p->c;
  for (; pl < end; pl++) {
    const float *x = j->x + pl * sp;
    if (j->is_max)
      j->y[pl] = cpu_pool_gmax(x, sp);
    else
      j->y[pl] =
          cpu_pool_gsum(p, x, j->b ? j->b[pl % p->c] : 0.0f, j->res ? j->res + pl * sp : NULL, sp) /
          (float)sp;
  }
}

static void cpu_pool_grun(CpuGPoolJob *j, RtThreads *tp) {
  int64_t planes = j->p->n * j->p->c;
  if (planes <= 0) return;
  j->per_task = cpu_pool_per_task(planes, tp);
  rt_tp_run(tp, (planes + j->per_task - 1) / j->per_task, cpu_pool_gtask, j);
}

RT_API void rt_cpu_global_maxpool_f32(const RtCpuGlobalPool *p, const float *x, float *y,
                                      RtThreads *tp) {
  CpuGPoolJob j = {p, x, NULL, NULL, y, 0, 1};
  cpu_pool_grun(&j, tp);
}

RT_API void rt_cpu_global_avgpool_f32(const RtCpuGlobalPool *p, const float *x, const float *b,
                                      const float *res, float *y, RtThreads *tp) {
  CpuGPoolJob j = {p, x, b, res, y, 0, 0};
  cpu_pool_grun(&j, tp);
}
