/* rt_sgemm.h - the single-precision GEMM core shared by conv.c and gemm.c.
 *
 * C[m,n] = alpha * A[m,k] B[k,n] (+ C) (+ row bias) (+ column bias), then a
 * fused activation. A and B are read through arbitrary row and column
 * strides, so transposes cost nothing; C has unit column stride. A single
 * output row or column (vector times matrix) takes sgemm_gemv instead: it
 * is memory bound, and the blocked path would pad it to a whole tile.
 *
 * The usual Goto/BLIS blocking, sized for a small stack (no heap, no static
 * buffers: the kernels must stay reentrant):
 *   for each KC slice of k:
 *     for each MC block of rows:    pack A[MC x KC] as MR-row panels
 *       for each NR panel of cols:  pack B[KC x NR]
 *         for each MR panel of rows: micro-kernel, MR x NR tile of C
 * The micro-kernel is plain C: each row of the tile is a few fixed-length
 * loops of VL floats over a restrict accumulator, which GCC and clang turn
 * into register-resident vector code at -O2. VL is 4 (SSE2, the baseline)
 * unless the target has AVX; define RT_SGEMM_VL to override. Plain loops
 * that should vectorize run to n & ~7 and then finish the rest: GCC's -O2
 * vectorizes only loops it need not peel, and clang likes them plain.
 *
 * Everything here is static inline: the header is included by several
 * kernel files, also into one translation unit (RT_UNITY).
 */
#ifndef RT_SGEMM_H
#define RT_SGEMM_H

#include <stdint.h>
#include <string.h>

#include "rt_scalar.h"

#ifndef RT_SGEMM_VL
#if defined(__AVX512F__)
#define RT_SGEMM_VL 16
#elif defined(__AVX__)
#define RT_SGEMM_VL 8
#else
#define RT_SGEMM_VL 4
#endif
#endif

#define SGEMM_VL RT_SGEMM_VL
#define SGEMM_MR 4 /* fixed: the micro-kernel is unrolled by hand */
#define SGEMM_NR (2 * SGEMM_VL)
#define SGEMM_KC 256
/* The packed A block (MC x KC) and B panel (KC x NR) take at most 60 KB of
 * stack together. */
#define SGEMM_STACK_FLOATS 15360
#define SGEMM_MC ((SGEMM_STACK_FLOATS / SGEMM_KC - SGEMM_NR) / SGEMM_MR * SGEMM_MR)

/* One GEMM call. */
typedef struct SgemmArgs {
  int64_t m, n, k;
  const float *a;
  int64_t a_rs, a_cs;
  const float *b;
  int64_t b_rs, b_cs;
  float *c;
  int64_t ldc;
  float alpha;
  int accumulate;        /* 1: add to C's current contents */
  const float *row_bias; /* [m] or NULL */
  const float *col_bias; /* [n] or NULL */
  int64_t act;           /* RT_ACT_*, applied last */
  float act_alpha, act_beta;
} SgemmArgs;

/* An SgemmArgs with everything set: no bias, no accumulation. */
static inline SgemmArgs sgemm_args(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_rs,
                                   int64_t a_cs, const float *b, int64_t b_rs, int64_t b_cs,
                                   float *c) {
  SgemmArgs g;
  g.m = m, g.n = n, g.k = k;
  g.a = a, g.a_rs = a_rs, g.a_cs = a_cs;
  g.b = b, g.b_rs = b_rs, g.b_cs = b_cs;
  g.c = c, g.ldc = n;
  g.alpha = 1.0f;
  g.accumulate = 0;
  g.row_bias = NULL, g.col_bias = NULL;
  g.act = RT_ACT_NONE, g.act_alpha = 0.0f, g.act_beta = 0.0f;
  return g;
}

/* Applies the fused activation to n contiguous floats. The switch sits
 * outside the loops so that the simple cases vectorize. */
static inline void sgemm_act_row(float *c, int64_t n, int64_t act, float al, float be) {
  int64_t j, nv = n & ~(int64_t)7;
  switch (act) {
  case 0: return;
  case 1:
    for (j = 0; j < nv; j++) c[j] = rt_relu_f32(c[j]);
    for (; j < n; j++) c[j] = rt_relu_f32(c[j]);
    return;
  case 3:
    for (j = 0; j < nv; j++) c[j] = rt_clip_f32(c[j], al, be);
    for (; j < n; j++) c[j] = rt_clip_f32(c[j], al, be);
    return;
  default:
    for (j = 0; j < n; j++) c[j] = rt_act_f32(c[j], act, al, be);
    return;
  }
}

/* One row of the micro-tile: t[i][.] += a[i] * b[.], as two VL-long loops
 * that each become one vector operation. */
#define SGEMM_ROW(i)                                                                          \
  do {                                                                                        \
    float av_ = a[i];                                                                         \
    for (j = 0; j < SGEMM_VL; j++) t[SGEMM_NR * (i) + j] += av_ * b[j];                       \
    for (j = 0; j < SGEMM_VL; j++) t[SGEMM_NR * (i) + SGEMM_VL + j] += av_ * b[SGEMM_VL + j]; \
  } while (0)

/* The micro-kernel: t[MR][NR] = sum over p < kc of a[p][.] (x) b[p][.],
 * with a and b packed panels ([kc][MR] and [kc][NR]). */
static inline void sgemm_micro(int64_t kc, const float *restrict a, const float *restrict b,
                               float *restrict t) {
  int64_t p;
  int j;
  for (j = 0; j < SGEMM_MR * SGEMM_NR; j++) t[j] = 0.0f;
  for (p = 0; p < kc; p++) {
    SGEMM_ROW(0);
    SGEMM_ROW(1);
    SGEMM_ROW(2);
    SGEMM_ROW(3);
    a += SGEMM_MR;
    b += SGEMM_NR;
  }
}

/* Writes an mr x nr corner (mr <= MR, nr <= NR) of the tile t into C at
 * (i0, j0). first: C holds nothing yet; last: add the biases and apply the
 * activation. */
static inline void sgemm_store(const SgemmArgs *g, const float *t, int64_t i0, int64_t j0,
                               int64_t mr, int64_t nr, int first, int last) {
  int64_t i, j;
  for (i = 0; i < mr; i++) {
    float *c = g->c + (i0 + i) * g->ldc + j0;
    const float *ti = t + i * SGEMM_NR;
    if (first) {
      for (j = 0; j < nr; j++) c[j] = g->alpha * ti[j];
    } else {
      for (j = 0; j < nr; j++) c[j] += g->alpha * ti[j];
    }
    if (!last) continue;
    if (g->row_bias) {
      float rb = g->row_bias[i0 + i];
      for (j = 0; j < nr; j++) c[j] += rb;
    }
    if (g->col_bias) {
      const float *cb = g->col_bias + j0;
      for (j = 0; j < nr; j++) c[j] += cb[j];
    }
    sgemm_act_row(c, nr, g->act, g->act_alpha, g->act_beta);
  }
}

/* Packs B[p0 .. p0+kc, j0 .. j0+nr] as [kc][NR], zero-padding columns past
 * nr. */
static inline void sgemm_pack_b(const SgemmArgs *g, int64_t p0, int64_t kc, int64_t j0, int64_t nr,
                                float *restrict bp) {
  const float *b = g->b + p0 * g->b_rs + j0 * g->b_cs;
  int64_t p, j, rs = g->b_rs, cs = g->b_cs;
  if (nr < SGEMM_NR) memset(bp, 0, sizeof(float) * (size_t)(kc * SGEMM_NR));
  if (cs == 1 && nr == SGEMM_NR) {
    for (p = 0; p < kc; p++) memcpy(bp + p * SGEMM_NR, b + p * rs, sizeof(float) * SGEMM_NR);
  } else if (rs == 1) {
    for (j = 0; j < nr; j++)
      for (p = 0; p < kc; p++) bp[p * SGEMM_NR + j] = b[j * cs + p];
  } else {
    for (p = 0; p < kc; p++)
      for (j = 0; j < nr; j++) bp[p * SGEMM_NR + j] = b[p * rs + j * cs];
  }
}

/* Packs A[i0 .. i0+mc, p0 .. p0+kc] as MR-row panels [kc][MR], zero-padding
 * rows past mc in the last panel. */
static inline void sgemm_pack_a(const SgemmArgs *g, int64_t i0, int64_t mc, int64_t p0, int64_t kc,
                                float *restrict ap) {
  int64_t ir, i, p, rs = g->a_rs, cs = g->a_cs;
  for (ir = 0; ir < mc; ir += SGEMM_MR) {
    int64_t mr = mc - ir < SGEMM_MR ? mc - ir : SGEMM_MR;
    const float *a = g->a + (i0 + ir) * rs + p0 * cs;
    float *dst = ap + ir * kc;
    if (mr < SGEMM_MR) memset(dst, 0, sizeof(float) * (size_t)(kc * SGEMM_MR));
    if (cs == 1) {
      for (i = 0; i < mr; i++)
        for (p = 0; p < kc; p++) dst[p * SGEMM_MR + i] = a[i * rs + p];
    } else {
      for (p = 0; p < kc; p++)
        for (i = 0; i < mr; i++) dst[p * SGEMM_MR + i] = a[i * rs + p * cs];
    }
  }
}

/* One KC slice of one MC block against all of C's columns. */
static inline void sgemm_block(const SgemmArgs *g, int64_t p0, int64_t kc, int64_t i0, int64_t mc,
                               const float *ap, int first, int last) {
  float bp[SGEMM_KC * SGEMM_NR];
  float t[SGEMM_MR * SGEMM_NR];
  int64_t ir, jr;
  for (jr = 0; jr < g->n; jr += SGEMM_NR) {
    int64_t nr = g->n - jr < SGEMM_NR ? g->n - jr : SGEMM_NR;
    sgemm_pack_b(g, p0, kc, jr, nr, bp);
    for (ir = 0; ir < mc; ir += SGEMM_MR) {
      int64_t mr = mc - ir < SGEMM_MR ? mc - ir : SGEMM_MR;
      sgemm_micro(kc, ap + ir * kc, bp, t);
      sgemm_store(g, t, i0 + ir, jr, mr, nr, first, last);
    }
  }
}

#define SGEMM_JB 256 /* outputs per block of sgemm_gemv */

/* acc[j] = sum over p < k of x[p] * mat[p * ms + j], for j < jn; the rows
 * of mat are contiguous. Four rows per pass over acc. */
static inline void sgemm_axpy_rows(int64_t k, const float *restrict x, const float *restrict mat,
                                   int64_t ms, int64_t jn, float *restrict acc) {
  int64_t p = 0, j, jv = jn & ~(int64_t)7;
  for (j = 0; j < jn; j++) acc[j] = 0.0f;
  for (; p + 4 <= k; p += 4) {
    const float *r0 = mat + p * ms, *r1 = r0 + ms, *r2 = r1 + ms, *r3 = r2 + ms;
    float x0 = x[p], x1 = x[p + 1], x2 = x[p + 2], x3 = x[p + 3];
    for (j = 0; j < jv; j++) acc[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
    for (; j < jn; j++) acc[j] += x0 * r0[j] + x1 * r1[j] + x2 * r2[j] + x3 * r3[j];
  }
  for (; p < k; p++) {
    const float *r0 = mat + p * ms;
    for (j = 0; j < jv; j++) acc[j] += x[p] * r0[j];
    for (; j < jn; j++) acc[j] += x[p] * r0[j];
  }
}

/* s[q] += x[q] * v[q] over nb blocks of 16: sixteen partial sums as four
 * vector-long loops on a restrict accumulator, which both GCC and clang
 * keep in registers. */
static inline void sgemm_dot_lanes(int64_t nb, const float *restrict x, const float *restrict v,
                                   float *restrict s) {
  int64_t p;
  int q;
  for (p = 0; p < nb; p++, x += 16, v += 16) {
    for (q = 0; q < 4; q++) s[q] += x[q] * v[q];
    for (q = 4; q < 8; q++) s[q] += x[q] * v[q];
    for (q = 8; q < 12; q++) s[q] += x[q] * v[q];
    for (q = 12; q < 16; q++) s[q] += x[q] * v[q];
  }
}

/* sum over p < k of x[p] * v[p]. */
static inline float sgemm_dot(int64_t k, const float *x, const float *v) {
  float s[16], r = 0.0f;
  int64_t p = k / 16 * 16;
  int q;
  for (q = 0; q < 16; q++) s[q] = 0.0f;
  sgemm_dot_lanes(k / 16, x, v, s);
  for (q = 0; q < 16; q++) r += s[q];
  for (; p < k; p++) r += x[p] * v[p];
  return r;
}

/* One GEMM whose output is a single vector:
 *   y[j * ys] = act(alpha * sum_p x[p] mat[p * ms + j * js] (+ y) + rb + cb)
 * for j < len, with rb = row_bias[j * rbs] and cb = col_bias[j * cbs]
 * (either may be NULL). x is contiguous. */
typedef struct SgemmVec {
  int64_t len, k;
  const float *x, *mat;
  int64_t ms, js;
  float *y;
  int64_t ys;
  const float *row_bias, *col_bias;
  int64_t rbs, cbs;
} SgemmVec;

static inline void sgemm_gemv(const SgemmVec *v, const SgemmArgs *g) {
  float acc[SGEMM_JB];
  int64_t j0, j;
  for (j0 = 0; j0 < v->len; j0 += SGEMM_JB) {
    int64_t jn = v->len - j0 < SGEMM_JB ? v->len - j0 : SGEMM_JB;
    if (v->js == 1) {
      sgemm_axpy_rows(v->k, v->x, v->mat + j0, v->ms, jn, acc);
    } else if (v->ms == 1) {
      for (j = 0; j < jn; j++) acc[j] = sgemm_dot(v->k, v->x, v->mat + (j0 + j) * v->js);
    } else {
      for (j = 0; j < jn; j++) {
        const float *col = v->mat + (j0 + j) * v->js;
        int64_t p;
        acc[j] = 0.0f;
        for (p = 0; p < v->k; p++) acc[j] += v->x[p] * col[p * v->ms];
      }
    }
    for (j = 0; j < jn; j++) {
      float *yj = v->y + (j0 + j) * v->ys;
      acc[j] = g->alpha * acc[j] + (g->accumulate ? *yj : 0.0f);
      if (v->row_bias) acc[j] += v->row_bias[(j0 + j) * v->rbs];
      if (v->col_bias) acc[j] += v->col_bias[(j0 + j) * v->cbs];
    }
    sgemm_act_row(acc, jn, g->act, g->act_alpha, g->act_beta);
    for (j = 0; j < jn; j++) v->y[(j0 + j) * v->ys] = acc[j];
  }
}

/* Runs g through sgemm_gemv if it has a single output row or column (and a
 * contiguous vector operand); returns 0 if it does not. */
static inline int sgemm_vector(const SgemmArgs *g) {
  SgemmVec v;
  if (g->k > 0 && g->m == 1 && g->a_cs == 1) {
    v.len = g->n, v.k = g->k, v.x = g->a, v.mat = g->b, v.ms = g->b_rs, v.js = g->b_cs;
    v.y = g->c, v.ys = 1;
    v.row_bias = g->row_bias, v.rbs = 0, v.col_bias = g->col_bias, v.cbs = 1;
    sgemm_gemv(&v, g);
  } else if (g->k > 0 && g->n == 1 && g->b_rs == 1) {
    v.len = g->m, v.k = g->k, v.x = g->b, v.mat = g->a, v.ms = g->a_cs, v.js = g->a_rs;
    v.y = g->c, v.ys = g->ldc;
    v.row_bias = g->row_bias, v.rbs = 1, v.col_bias = g->col_bias, v.cbs = 0;
    sgemm_gemv(&v, g);
  } else {
    return 0;
  }
  return 1;
}

/* k == 0: C = 0 (or unchanged) plus biases, then the activation. */
static inline void sgemm_no_k(const SgemmArgs *g) {
  float zero[SGEMM_MR * SGEMM_NR];
  int64_t i, j;
  memset(zero, 0, sizeof zero);
  for (i = 0; i < g->m; i += SGEMM_MR) {
    int64_t mr = g->m - i < SGEMM_MR ? g->m - i : SGEMM_MR;
    for (j = 0; j < g->n; j += SGEMM_NR)
      sgemm_store(g, zero, i, j, mr, g->n - j < SGEMM_NR ? g->n - j : SGEMM_NR, !g->accumulate, 1);
  }
}

/* Runs the GEMM described by g. */
static inline void sgemm(const SgemmArgs *g) {
  float ap[SGEMM_MC * SGEMM_KC];
  int64_t p0, i0;
  if (g->m <= 0 || g->n <= 0) return;
  if (g->k <= 0) {
    sgemm_no_k(g);
    return;
  }
  if (sgemm_vector(g)) return;
  for (p0 = 0; p0 < g->k; p0 += SGEMM_KC) {
    int64_t kc = g->k - p0 < SGEMM_KC ? g->k - p0 : SGEMM_KC;
    int first = p0 == 0 && !g->accumulate, last = p0 + kc == g->k;
    for (i0 = 0; i0 < g->m; i0 += SGEMM_MC) {
      int64_t mc = g->m - i0 < SGEMM_MC ? g->m - i0 : SGEMM_MC;
      sgemm_pack_a(g, i0, mc, p0, kc, ap);
      sgemm_block(g, p0, kc, i0, mc, ap, first, last);
    }
  }
}

#endif /* RT_SGEMM_H */
