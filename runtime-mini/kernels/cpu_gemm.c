/* cpu_gemm.c - see cpu_gemm.h.
 *
 * The usual Goto/BLIS blocking. The work (every batch, C cut into blocks
 * of rows and columns: cpu_gemm_plan) is split into tasks on the pool; a
 * task runs, on its own stack buffers:
 *   for each block of NC columns (B packed on the fly) or all of them:
 *     for each KC slice of k:            B block [kc x nc], packed if raw
 *       for each block of MC rows:       A block [mc x kc], packed if raw
 *         for each NR panel of B:        stays in L1
 *           for each MR panel of A:      micro-kernel, MR x NR tile of C
 * The micro-kernels keep the whole tile in registers (AVX-512: 14 x 2 zmm
 * accumulators; AVX2: 6 x 2 ymm) and are instantiated for every row count
 * up to MR and every vector count up to NR / VL, so edge tiles compute only
 * what they store (the last vector masked). The epilogue (alpha, C, biases,
 * residual, activation) runs on the registers as the tile is stored;
 * Sigmoid and Tanh then take a scalar pass (rt_act_f32), so every
 * activation is the portable kernels' own. Without AVX2 the micro-kernel
 * is plain C on a small tile, which the compiler vectorizes.
 *
 * Included into cpu_conv.c in unity builds (RT_UNITY); guarded so that it
 * compiles once. */
#ifndef RT_CPU_GEMM_C
#define RT_CPU_GEMM_C

#include "cpu_gemm.h"

#include <string.h>

#include "rt_scalar.h"

#if RT_CPU_ISA_NATIVE != RT_CPU_ISA_GENERIC
#include <immintrin.h>

#include "cpu_vmath.h"
#endif

#if defined(__GNUC__)
#define CPU_GEMM_INLINE static inline __attribute__((always_inline))
#define CPU_GEMM_ALIGN __attribute__((aligned(64)))
#else
#define CPU_GEMM_INLINE static inline
#define CPU_GEMM_ALIGN
#endif

/* The native layout (keep in line with CPU_GEMM_LAYOUTS). */
#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512
#define CPU_GEMM_MR 14
#define CPU_GEMM_NR 32
#define CPU_GEMM_VL 16
#elif RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX2
#define CPU_GEMM_MR 6
#define CPU_GEMM_NR 16
#define CPU_GEMM_VL 8
#else
#define CPU_GEMM_MR 4
#define CPU_GEMM_NR 16
#define CPU_GEMM_VL 16
#endif
#ifndef CPU_GEMM_KC
#define CPU_GEMM_KC 256
#endif
#define CPU_GEMM_NV (CPU_GEMM_NR / CPU_GEMM_VL)
#define CPU_GEMM_MC (CPU_GEMM_MR * 12) /* rows of an A block packed on the stack */
#ifndef CPU_GEMM_MC2
#define CPU_GEMM_MC2 (CPU_GEMM_MR * 36) /* ... of a packed one (stays in L2) */
#endif
#ifndef CPU_GEMM_NC
#define CPU_GEMM_NC 512 /* columns of a B block packed on the stack */
#endif
/* Floats between the panels of a B block packed on the stack: panels
 * KC*NR apart would all map to the same cache sets. */
#define CPU_GEMM_BPAD 16

#define CPU_GEMM_MAGIC 0x4b435047 /* "GPCK" */
#define CPU_GEMM_KIND_A 1
#define CPU_GEMM_KIND_B 2

static const RtCpuGemmLayout CPU_GEMM_LAYOUTS[3] = {{RT_CPU_ISA_GENERIC, 4, 16, CPU_GEMM_KC},
                                                    {RT_CPU_ISA_AVX2, 6, 16, CPU_GEMM_KC},
                                                    {RT_CPU_ISA_AVX512, 14, 32, CPU_GEMM_KC}};

static int64_t cpu_gemm_min(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t cpu_gemm_up(int64_t a, int64_t w) { return (a + w - 1) / w * w; }

RT_API RtCpuGemmLayout rt_cpu_gemm_layout(int64_t isa) {
  return CPU_GEMM_LAYOUTS[isa >= 0 && isa <= 2 ? isa : 0];
}

/* ---- packing (plain C: gpuxc runs it for any target's layout) ---- */

static int64_t cpu_gemm_pack_size(int64_t w, int64_t rows, int64_t k) {
  return RT_CPU_PACK_HEADER + cpu_gemm_up(rows > 0 ? rows : 1, w) * (k > 0 ? k : 0);
}

RT_API int64_t rt_cpu_gemm_pack_a_size(const RtCpuGemmLayout *l, int64_t m, int64_t k) {
  return cpu_gemm_pack_size(l->mr, m, k);
}

RT_API int64_t rt_cpu_gemm_pack_b_size(const RtCpuGemmLayout *l, int64_t k, int64_t n) {
  return cpu_gemm_pack_size(l->nr, n, k);
}

/* One panel: dst[p*w + r] = src[r*rs + p*cs] for r < rows, p < kc; lanes
 * r >= rows are zero. */
static void cpu_gemm_pack_panel(const float *src, int64_t rs, int64_t cs, int64_t rows, int64_t kc,
                                int64_t w, float *restrict dst) {
  int64_t p, r;
  if (rows < w) memset(dst, 0, sizeof(float) * (size_t)(kc * w));
  if (rs == 1) {
    for (p = 0; p < kc; p++)
      for (r = 0; r < rows; r++) dst[p * w + r] = src[p * cs + r];
  } else if (cs == 1) {
    for (p = 0; p + 8 <= kc; p += 8)
      for (r = 0; r < rows; r++) {
        const float *s = src + r * rs + p;
        float *d = dst + p * w + r;
        d[0] = s[0], d[w] = s[1], d[2 * w] = s[2], d[3 * w] = s[3];
        d[4 * w] = s[4], d[5 * w] = s[5], d[6 * w] = s[6], d[7 * w] = s[7];
      }
    for (; p < kc; p++)
      for (r = 0; r < rows; r++) dst[p * w + r] = src[r * rs + p];
  } else {
    for (p = 0; p < kc; p++)
      for (r = 0; r < rows; r++) dst[p * w + r] = src[r * rs + p * cs];
  }
}

static void cpu_gemm_header_put(float *dst, int kind, const RtCpuGemmLayout *l, int64_t w,
                                int64_t rows, int64_t cols) {
  int32_t h[RT_CPU_PACK_HEADER];
  memset(h, 0, sizeof h);
  h[0] = CPU_GEMM_MAGIC, h[1] = kind, h[2] = (int32_t)l->isa, h[3] = (int32_t)w;
  h[4] = (int32_t)l->kc, h[5] = (int32_t)rows, h[6] = (int32_t)cols;
  memcpy(dst, h, sizeof h);
}

/* Packs the operand x[r*rs + p*cs] (r < rows, p < k) as panels of w along r. */
static void cpu_gemm_pack_all(const RtCpuGemmLayout *l, int64_t w, int64_t rows, int64_t k,
                              const float *x, int64_t rs, int64_t cs, float *dst) {
  int64_t rpad = cpu_gemm_up(rows > 0 ? rows : 1, w), p0, q;
  for (p0 = 0; p0 < k; p0 += l->kc) {
    int64_t kc = cpu_gemm_min(l->kc, k - p0);
    float *s = dst + p0 * rpad;
    for (q = 0; q < rpad; q += w)
      cpu_gemm_pack_panel(x + q * rs + p0 * cs, rs, cs, cpu_gemm_min(w, rows - q), kc, w,
                          s + q * kc);
  }
}

RT_API void rt_cpu_gemm_pack_a(const RtCpuGemmLayout *l, int64_t m, int64_t k, const float *a,
                               int64_t rs, int64_t cs, float *dst) {
  cpu_gemm_header_put(dst, CPU_GEMM_KIND_A, l, l->mr, m, k);
  cpu_gemm_pack_all(l, l->mr, m, k, a, rs, cs, dst + RT_CPU_PACK_HEADER);
}

RT_API void rt_cpu_gemm_pack_b(const RtCpuGemmLayout *l, int64_t k, int64_t n, const float *b,
                               int64_t rs, int64_t cs, float *dst) {
  cpu_gemm_header_put(dst, CPU_GEMM_KIND_B, l, l->nr, k, n);
  cpu_gemm_pack_all(l, l->nr, n, k, b, cs, rs, dst + RT_CPU_PACK_HEADER);
}

/* How a packed operand's header reads: 0 wrong, 1 the native layout, 2
 * another set's layout (*l). */
static int cpu_gemm_header_check(const float *x, int kind, int64_t rows, int64_t cols,
                                 RtCpuGemmLayout *l) {
  int32_t h[RT_CPU_PACK_HEADER];
  memcpy(h, x, sizeof h);
  if (h[0] != CPU_GEMM_MAGIC || h[1] != kind || h[5] != rows || h[6] != cols || h[2] < 0 ||
      h[2] > 2)
    return 0;
  *l = rt_cpu_gemm_layout(h[2]);
  if (h[3] != (kind == CPU_GEMM_KIND_A ? l->mr : l->nr) || h[4] != l->kc) return 0;
  return h[2] == RT_CPU_ISA_NATIVE ? 1 : 2;
}

#include "cpu_gemm_ukr.h"

/* ---- the driver ---- */

enum { CPU_GEMM_RAW, CPU_GEMM_NATIVE, CPU_GEMM_FOREIGN, CPU_GEMM_CALLBACK };

typedef struct CpuGemmJob {
  const RtCpuGemm *p;
  const float *a, *b, *rb, *cb, *res;
  float *c;
  RtCpuPackB pack_b;
  const void *pack_ctx;
  int64_t rb_bstride[4];
  int a_mode, b_mode;
  RtCpuGemmLayout al, bl; /* the layouts of foreign packed operands */
  int64_t nbatch, tm, tn, mb, nb;
} CpuGemmJob;

/* The offset of batch bi through the strides st. */
static int64_t cpu_gemm_boff(const RtCpuGemm *p, const int64_t *st, int64_t bi) {
  int64_t off = 0;
  int d;
  for (d = (int)p->batch_rank - 1; d >= 0; d--) {
    off += bi % p->batch[d] * st[d];
    bi /= p->batch[d];
  }
  return off;
}

/* Lanes [r0, r0+nr) and k [p0, p0+kc) of an operand packed with another
 * layout l (panel width w, rows lanes in all), as one panel of width W. */
static void cpu_gemm_pack_foreign(const float *x, const RtCpuGemmLayout *l, int64_t w, int64_t rows,
                                  int64_t k, int64_t r0, int64_t nr, int64_t p0, int64_t kc,
                                  int64_t W, float *dst) {
  int64_t rpad = cpu_gemm_up(rows, w), p, r;
  if (nr < W) memset(dst, 0, sizeof(float) * (size_t)(kc * W));
  for (p = 0; p < kc; p++) {
    int64_t pp = p0 + p, s = pp / l->kc, ks = cpu_gemm_min(l->kc, k - s * l->kc);
    const float *sl = x + RT_CPU_PACK_HEADER + s * l->kc * rpad + (pp - s * l->kc) * w;
    for (r = 0; r < nr; r++) dst[p * W + r] = sl[(r0 + r) / w * w * ks + (r0 + r) % w];
  }
}

/* Rows [i0, i0+mc) by k [p0, p0+kc) of A as MR panels [kc][MR]: in place
 * when A is packed natively (i0 a multiple of MR), else packed into buf. */
static const float *cpu_gemm_a_block(const CpuGemmJob *g, const float *a, int64_t i0, int64_t mc,
                                     int64_t p0, int64_t kc, float *buf) {
  const RtCpuGemm *p = g->p;
  int64_t q;
  if (g->a_mode == CPU_GEMM_NATIVE)
    return a + RT_CPU_PACK_HEADER + p0 * cpu_gemm_up(p->m, CPU_GEMM_MR) + i0 * kc;
  for (q = 0; q < mc; q += CPU_GEMM_MR) {
    int64_t rows = cpu_gemm_min(CPU_GEMM_MR, mc - q);
    if (g->a_mode == CPU_GEMM_RAW && CPU_GEMM_TR && p->a_cs == 1 && rows > 1)
      CPU_GEMM_PACK_TR(a + (i0 + q) * p->a_rs + p0, p->a_rs, rows, kc, CPU_GEMM_MR, buf + q * kc);
    else if (g->a_mode == CPU_GEMM_RAW && p->a_rs == 1)
      CPU_GEMM_PACK_ROWS(a + i0 + q + p0 * p->a_cs, p->a_cs, rows, kc, CPU_GEMM_MR, buf + q * kc);
    else if (g->a_mode == CPU_GEMM_RAW)
      cpu_gemm_pack_panel(a + (i0 + q) * p->a_rs + p0 * p->a_cs, p->a_rs, p->a_cs, rows, kc,
                          CPU_GEMM_MR, buf + q * kc);
    else
      cpu_gemm_pack_foreign(a, &g->al, g->al.mr, p->m, p->k, i0 + q, rows, p0, kc, CPU_GEMM_MR,
                            buf + q * kc);
  }
  return buf;
}

/* Whether B is read in place (see cpu_gemm_b_block). */
static int cpu_gemm_b_direct(const CpuGemmJob *g) {
  return g->b_mode == CPU_GEMM_RAW && CPU_GEMM_DIRECT_B && g->p->b_cs == 1 && g->p->m <= 128;
}

/* k [p0, p0+kc) by columns [j0, j0+nc) of B as NR panels [kc][NR], *ps
 * floats apart with rows *ls apart: packed, or (AVX-512) B itself when its
 * rows are contiguous and few row panels of A share it (m <= 128: packing
 * would cost more than it saves; with more, a panel read in place, its rows
 * far apart, would not stay in L1 as the packed one does). */
static const float *cpu_gemm_b_block(const CpuGemmJob *g, const float *b, int64_t p0, int64_t kc,
                                     int64_t j0, int64_t nc, float *buf, int64_t *ps, int64_t *ls) {
  const RtCpuGemm *p = g->p;
  int64_t q;
  *ps = kc * CPU_GEMM_NR, *ls = CPU_GEMM_NR;
  if (g->b_mode == CPU_GEMM_NATIVE)
    return b + RT_CPU_PACK_HEADER + p0 * cpu_gemm_up(p->n, CPU_GEMM_NR) + j0 * kc;
  if (cpu_gemm_b_direct(g)) {
    *ps = CPU_GEMM_NR, *ls = p->b_rs;
    return b + p0 * p->b_rs + j0;
  }
  *ps += CPU_GEMM_BPAD;
  if (g->b_mode == CPU_GEMM_CALLBACK) {
    g->pack_b(g->pack_ctx, b, p0, kc, j0, nc, *ps, buf);
    return buf;
  }
  for (q = 0; q < nc; q += CPU_GEMM_NR) {
    int64_t cols = cpu_gemm_min(CPU_GEMM_NR, nc - q);
    if (g->b_mode == CPU_GEMM_RAW && CPU_GEMM_TR && p->b_rs == 1 && cols > 1)
      CPU_GEMM_PACK_TR(b + p0 + (j0 + q) * p->b_cs, p->b_cs, cols, kc, CPU_GEMM_NR,
                       buf + q / CPU_GEMM_NR * *ps);
    else if (g->b_mode == CPU_GEMM_RAW && p->b_cs == 1)
      CPU_GEMM_PACK_ROWS(b + p0 * p->b_rs + j0 + q, p->b_rs, cols, kc, CPU_GEMM_NR,
                         buf + q / CPU_GEMM_NR * *ps);
    else if (g->b_mode == CPU_GEMM_RAW)
      cpu_gemm_pack_panel(b + p0 * p->b_rs + (j0 + q) * p->b_cs, p->b_cs, p->b_rs, cols, kc,
                          CPU_GEMM_NR, buf + q / CPU_GEMM_NR * *ps);
    else
      cpu_gemm_pack_foreign(b, &g->bl, g->bl.nr, p->n, p->k, j0 + q, cols, p0, kc, CPU_GEMM_NR,
                            buf + q / CPU_GEMM_NR * *ps);
  }
  return buf;
}

/* Every tile of C[ic.., jc..] (mc x nc) from packed blocks over one slice. */
static void cpu_gemm_macro(const CpuGemmJob *g, const float *ap, const float *bp, int64_t bps,
                           int64_t kc, int64_t ic, int64_t mc, int64_t jc, int64_t nc, float *c,
                           const float *rb, const float *res, CpuGemmEpi e) {
  const RtCpuGemm *p = g->p;
  int64_t jr, ir, nir = (mc + CPU_GEMM_MR - 1) / CPU_GEMM_MR;
  for (jr = 0; jr < nc; jr += CPU_GEMM_NR) {
    int64_t nr = cpu_gemm_min(CPU_GEMM_NR, nc - jr);
    /* the next B panel, a share of its lines per A panel (into L2: packed
     * weights come from memory once per run) */
    const char *next = jr + CPU_GEMM_NR < nc && e.ldb == CPU_GEMM_NR
                           ? (const char *)(bp + (jr / CPU_GEMM_NR + 1) * bps)
                           : NULL;
    int64_t lines = kc * CPU_GEMM_NR * (int64_t)sizeof(float) / 64, share = lines / nir + 1;
    for (ir = 0; ir < mc; ir += CPU_GEMM_MR) {
      int64_t mr = cpu_gemm_min(CPU_GEMM_MR, mc - ir), i = ic + ir, j = jc + jr;
#if defined(__GNUC__)
      if (next)
        for (int64_t l = ir / CPU_GEMM_MR * share, le = cpu_gemm_min(lines, l + share); l < le; l++)
          __builtin_prefetch(next + 64 * l, 0, 2);
#endif
      float *ct = c + i * p->ldc + j;
      e.rb = rb ? rb + i : NULL;
      e.cb = g->cb ? g->cb + j : NULL;
      e.res = res ? res + i * p->res_rs + j : NULL;
      if (nr == 1)
        cpu_gemm_col_tile(kc, ap + ir * kc, bp + jr / CPU_GEMM_NR * bps, ct, p->ldc, mr, &e);
      else
        cpu_gemm_tile(kc, ap + ir * kc, bp + jr / CPU_GEMM_NR * bps, ct, p->ldc, mr, nr, &e);
    }
  }
}

static CpuGemmEpi cpu_gemm_epi(const RtCpuGemm *p) {
  CpuGemmEpi e;
  memset(&e, 0, sizeof e);
  e.alpha = p->alpha, e.scale = p->alpha != 1.0f;
  e.act = p->act, e.act_alpha = p->act_alpha, e.act_beta = p->act_beta;
  e.ldr = p->res_rs;
  return e;
}

/* One task: batch t / (tm*tn), block (t / tn % tm, t % tn) of C. */
static void cpu_gemm_task(void *arg, int64_t t) {
  const CpuGemmJob *g = (const CpuGemmJob *)arg;
  const RtCpuGemm *p = g->p;
  CPU_GEMM_ALIGN float abuf[CPU_GEMM_MC * CPU_GEMM_KC];
  CPU_GEMM_ALIGN float
      bbuf[CPU_GEMM_NC / CPU_GEMM_NR * (CPU_GEMM_KC * CPU_GEMM_NR + CPU_GEMM_BPAD)];
  int64_t bi = t / (g->tm * g->tn), im = t / g->tn % g->tm, jn = t % g->tn;
  const float *a = g->a + cpu_gemm_boff(p, p->a_bstride, bi);
  const float *b = g->b + cpu_gemm_boff(p, p->b_bstride, bi);
  const float *rb = g->rb ? g->rb + cpu_gemm_boff(p, g->rb_bstride, bi) : NULL;
  const float *res = g->res ? g->res + cpu_gemm_boff(p, p->res_bstride, bi) : NULL;
  float *c = g->c + cpu_gemm_boff(p, p->c_bstride, bi);
  int64_t i0 = im * g->mb, i1 = cpu_gemm_min(p->m, i0 + g->mb);
  int64_t j0 = jn * g->nb, j1 = cpu_gemm_min(p->n, j0 + g->nb);
  int64_t ncs = g->b_mode == CPU_GEMM_NATIVE ? j1 - j0 : CPU_GEMM_NC;
  int64_t mcs = g->a_mode == CPU_GEMM_NATIVE ? CPU_GEMM_MC2 : CPU_GEMM_MC;
  int64_t jc, pc, ic;
  CpuGemmEpi e = cpu_gemm_epi(p);
  for (jc = j0; jc < j1; jc += ncs) {
    int64_t nc = cpu_gemm_min(ncs, j1 - jc);
    for (pc = 0; pc < p->k; pc += CPU_GEMM_KC) {
      int64_t kc = cpu_gemm_min(CPU_GEMM_KC, p->k - pc);
      int64_t bps;
      const float *bp = cpu_gemm_b_block(g, b, pc, kc, jc, nc, bbuf, &bps, &e.ldb);
      e.load_c = pc > 0 || p->accumulate;
      e.last = pc + kc == p->k;
      for (ic = i0; ic < i1; ic += mcs) {
        int64_t mc = cpu_gemm_min(mcs, i1 - ic);
        const float *ap = cpu_gemm_a_block(g, a, ic, mc, pc, kc, abuf);
        cpu_gemm_macro(g, ap, bp, bps, kc, ic, mc, jc, nc, c, rb, res, e);
      }
    }
  }
}

/* Cuts C into tm x tn blocks per batch, by a rough model of the time of a
 * task (cycles): its FLOPs at 60 per cycle times the tiles' efficiency,
 * packing the operands that are not packed (about 1 cycle a float for A
 * and 0.5 for B), reading the packed ones again (more when they do not fit
 * in L2), and a few thousand for the handing out; the tasks run in waves
 * over the threads. Among the splits within 3% of the best, the one with
 * the most tasks (up to 4 per thread) wins: when another process shares a
 * core, the other thread takes more of them. (A wider margin picks splits
 * that pack the same B once per row block: 10% cost up to a fifth of the
 * speed of ResNet's 3x3 convs on 2 threads.) Below a million FLOPs the
 * caller does it all. */
static double cpu_gemm_cost(const CpuGemmJob *g, int threads, int64_t tm, int64_t tn, int64_t *mb,
                            int64_t *nb) {
  const RtCpuGemm *p = g->p;
  int64_t gm = g->a_mode == CPU_GEMM_NATIVE ? CPU_GEMM_MR : 1;
  int64_t gn = g->b_mode == CPU_GEMM_NATIVE ? CPU_GEMM_NR : CPU_GEMM_VL;
  int64_t tasks = g->nbatch * tm * tn, waves = (tasks + threads - 1) / threads, jcb;
  double k = (double)p->k, eff, ca, cb, cyc;
  *mb = cpu_gemm_up((p->m + tm - 1) / tm, gm), *nb = cpu_gemm_up((p->n + tn - 1) / tn, gn);
  if ((tm - 1) * *mb >= p->m || (tn - 1) * *nb >= p->n) return -1.0; /* an empty block */
  jcb = g->b_mode == CPU_GEMM_NATIVE ? 1 : (*nb + CPU_GEMM_NC - 1) / CPU_GEMM_NC;
  ca = g->a_mode == CPU_GEMM_RAW       ? 1.0
       : g->a_mode == CPU_GEMM_FOREIGN ? 4.0
       : p->m * p->k > (1 << 18)       ? 0.3
                                       : 0.05;
  cb = cpu_gemm_b_direct(g)                                          ? 0.0
       : g->b_mode == CPU_GEMM_RAW || g->b_mode == CPU_GEMM_CALLBACK ? 0.5
       : g->b_mode == CPU_GEMM_FOREIGN                               ? 4.0
       : p->n * p->k > (1 << 18)                                     ? 0.3
                                                                     : 0.05;
  eff = (double)*mb / (double)cpu_gemm_up(*mb, CPU_GEMM_MR) * (double)*nb /
        (double)cpu_gemm_up(*nb, CPU_GEMM_VL);
  cyc = 2.0 * (double)*mb * (double)*nb * k / (60.0 * eff) + ca * (double)(*mb * jcb) * k +
        cb * (double)*nb * k + 3000.0;
  return cyc * (double)waves;
}

static void cpu_gemm_plan(CpuGemmJob *g, int threads) {
  const RtCpuGemm *p = g->p;
  int64_t tm, tn, mb, nb, most = 0;
  int64_t tm_max = cpu_gemm_min(p->m, 16), tn_max = cpu_gemm_min((p->n + 15) / 16, 16);
  double best = -1.0, c;
  int pass;
  g->tm = g->tn = 1, g->mb = p->m, g->nb = p->n;
  if (threads <= 1 || g->nbatch >= 4 * threads) return;
  if (2.0 * (double)p->m * (double)p->n * (double)p->k * (double)g->nbatch < 1e6) return;
  for (pass = 0; pass < 2; pass++)
    for (tm = 1; tm <= tm_max; tm++)
      for (tn = 1; tn <= tn_max; tn++) {
        int64_t tasks = g->nbatch * tm * tn;
        if ((c = cpu_gemm_cost(g, threads, tm, tn, &mb, &nb)) < 0) continue;
        if (pass == 0 && (best < 0 || c < best)) best = c;
        if (pass == 1 && c <= best * 1.03 && tasks <= 4 * threads && tasks > most)
          most = tasks, g->tm = tm, g->tn = tn, g->mb = mb, g->nb = nb;
      }
}

/* ---- GEMV: one row or one column of C, both operands raw ---- */

#define CPU_GEMM_JB 256 /* outputs per task of the GEMV */

/* y[l*ys] = epilogue(sum_p x[p*xs] mat[p*ms + l*ls]) for l < len. */
typedef struct CpuGemmVec {
  const RtCpuGemm *p;
  int64_t len;
  const float *x, *mat, *rb, *cb, *res;
  float *y;
  int64_t xs, ms, ls, ys, rbs, cbs, ress;
  int64_t xb[4], mb[4], yb[4], resb[4];
} CpuGemmVec;

static void cpu_gemm_vec_task(void *arg, int64_t t) {
  const CpuGemmVec *v = (const CpuGemmVec *)arg;
  const RtCpuGemm *p = v->p;
  int64_t nblk = (v->len + CPU_GEMM_JB - 1) / CPU_GEMM_JB, bi = t / nblk;
  int64_t l0 = t % nblk * CPU_GEMM_JB, ln = cpu_gemm_min(CPU_GEMM_JB, v->len - l0), l, q, k = p->k;
  const float *x = v->x + cpu_gemm_boff(p, v->xb, bi);
  const float *mat = v->mat + cpu_gemm_boff(p, v->mb, bi) + l0 * v->ls;
  const float *res = v->res ? v->res + cpu_gemm_boff(p, v->resb, bi) : NULL;
  float *y = v->y + cpu_gemm_boff(p, v->yb, bi);
  float acc[CPU_GEMM_JB];
  for (l = 0; l < ln; l++) acc[l] = 0.0f;
  if (v->ls == 1) {
    for (q = 0; q < k; q++) {
      const float *row = mat + q * v->ms;
      float xq = x[q * v->xs];
      for (l = 0; l < ln; l++) acc[l] += xq * row[l];
    }
  } else {
    for (l = 0; l < ln; l++) {
      const float *col = mat + l * v->ls;
      float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int j;
      for (q = 0; q + 8 <= k; q += 8)
        for (j = 0; j < 8; j++) s[j] += x[(q + j) * v->xs] * col[(q + j) * v->ms];
      for (; q < k; q++) s[0] += x[q * v->xs] * col[q * v->ms];
      acc[l] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
  }
  for (l = 0; l < ln; l++) {
    int64_t o = l0 + l;
    float r = acc[l];
    if (p->alpha != 1.0f) r *= p->alpha;
    if (p->accumulate) r += y[o * v->ys];
    if (v->rb) r += v->rb[o * v->rbs];
    if (v->cb) r += v->cb[o * v->cbs];
    if (res) r += res[o * v->ress];
    acc[l] = r;
  }
  cpu_gemm_act_row(acc, ln, p->act, p->act_alpha, p->act_beta);
  for (l = 0; l < ln; l++) y[(l0 + l) * v->ys] = acc[l];
}

/* Runs g as a GEMV if it is one (m or n is 1, both operands raw). */
static int cpu_gemm_vector(const CpuGemmJob *g, RtThreads *tp) {
  const RtCpuGemm *p = g->p;
  CpuGemmVec v;
  int d;
  if (g->a_mode != CPU_GEMM_RAW || g->b_mode != CPU_GEMM_RAW || (p->m != 1 && p->n != 1)) return 0;
  memset(&v, 0, sizeof v);
  v.p = p, v.y = g->c, v.res = g->res;
  if (p->m == 1) {
    v.len = p->n, v.x = g->a, v.xs = p->a_cs, v.mat = g->b, v.ms = p->b_rs, v.ls = p->b_cs;
    v.ys = 1, v.rb = g->rb, v.rbs = 0, v.cb = g->cb, v.cbs = 1, v.ress = 1;
  } else {
    v.len = p->m, v.x = g->b, v.xs = p->b_rs, v.mat = g->a, v.ms = p->a_cs, v.ls = p->a_rs;
    v.ys = p->ldc, v.rb = g->rb, v.rbs = 1, v.cb = g->cb, v.cbs = 0, v.ress = p->res_rs;
  }
  for (d = 0; d < 4; d++) {
    v.xb[d] = p->m == 1 ? p->a_bstride[d] : p->b_bstride[d];
    v.mb[d] = p->m == 1 ? p->b_bstride[d] : p->a_bstride[d];
    v.yb[d] = p->c_bstride[d], v.resb[d] = p->res_bstride[d];
  }
  rt_tp_run(tp, g->nbatch * ((v.len + CPU_GEMM_JB - 1) / CPU_GEMM_JB), cpu_gemm_vec_task, &v);
  return 1;
}

/* k = 0: C = epilogue(0). */
static void cpu_gemm_no_k(const CpuGemmJob *g) {
  const RtCpuGemm *p = g->p;
  CpuGemmEpi e = cpu_gemm_epi(p);
  int64_t bi, i;
  e.load_c = (int)p->accumulate, e.last = 1, e.cb = g->cb;
  for (bi = 0; bi < g->nbatch; bi++) {
    const float *res = g->res ? g->res + cpu_gemm_boff(p, p->res_bstride, bi) : NULL;
    float *c = g->c + cpu_gemm_boff(p, p->c_bstride, bi);
    e.rb = g->rb ? g->rb + cpu_gemm_boff(p, g->rb_bstride, bi) : NULL;
    for (i = 0; i < p->m; i++) {
      e.res = res ? res + i * p->res_rs : NULL;
      cpu_gemm_epi_row(c + i * p->ldc, NULL, p->n, &e, 0);
      if (e.rb) e.rb++;
    }
  }
}

/* The mode of a packed operand over all batches (-1: a wrong header). */
static int cpu_gemm_mode(const RtCpuGemm *p, const float *x, const int64_t *st, int kind,
                         int64_t nbatch, RtCpuGemmLayout *l) {
  int64_t bi, rows = kind == CPU_GEMM_KIND_A ? p->m : p->k;
  int64_t cols = kind == CPU_GEMM_KIND_A ? p->k : p->n;
  int mode = 0, d, shared = 1;
  for (d = 0; d < (int)p->batch_rank; d++) shared &= st[d] == 0;
  for (bi = 0; bi < (shared ? 1 : nbatch); bi++) {
    RtCpuGemmLayout lb;
    int h = cpu_gemm_header_check(x + cpu_gemm_boff(p, st, bi), kind, rows, cols, &lb);
    if (h == 0 || (mode && lb.isa != l->isa)) return -1; /* every batch packed alike */
    mode = h, *l = lb;
  }
  return mode == 1 ? CPU_GEMM_NATIVE : CPU_GEMM_FOREIGN;
}

RT_API int rt_cpu_gemm_ext_f32(const RtCpuGemm *p, const RtCpuGemmExt *x, const float *a,
                               const float *b, const float *row_bias, const float *col_bias,
                               const float *res, float *c, RtThreads *tp) {
  CpuGemmJob g;
  RtCpuGemm q;
  int d, same = res == c && p->res_rs == p->ldc && !p->accumulate;
  memset(&g, 0, sizeof g);
  g.p = p, g.a = a, g.b = b, g.rb = row_bias, g.cb = col_bias, g.res = res, g.c = c;
  g.nbatch = 1;
  for (d = 0; d < (int)p->batch_rank; d++) {
    g.nbatch *= p->batch[d];
    same &= p->res_bstride[d] == p->c_bstride[d];
  }
  if (same) { /* the residual is C itself: accumulate into it (KC slices overwrite C) */
    q = *p, q.accumulate = 1, g.p = p = &q, g.res = NULL;
  }
  if (p->m <= 0 || p->n <= 0 || g.nbatch <= 0) return 0;
  if (x) {
    g.pack_b = x->pack_b, g.pack_ctx = x->pack_ctx;
    memcpy(g.rb_bstride, x->rb_bstride, sizeof g.rb_bstride);
  }
  g.a_mode = p->a_packed ? cpu_gemm_mode(p, a, p->a_bstride, CPU_GEMM_KIND_A, g.nbatch, &g.al)
                         : CPU_GEMM_RAW;
  g.b_mode = g.pack_b      ? CPU_GEMM_CALLBACK
             : p->b_packed ? cpu_gemm_mode(p, b, p->b_bstride, CPU_GEMM_KIND_B, g.nbatch, &g.bl)
                           : CPU_GEMM_RAW;
  if (g.a_mode < 0 || g.b_mode < 0) return -1;
  if (p->k <= 0) {
    cpu_gemm_no_k(&g);
    return 0;
  }
  if (cpu_gemm_vector(&g, tp)) return 0;
  cpu_gemm_plan(&g, rt_tp_threads(tp));
  rt_tp_run(tp, g.nbatch * g.tm * g.tn, cpu_gemm_task, &g);
  return 0;
}

RT_API int rt_cpu_gemm_f32(const RtCpuGemm *p, const float *a, const float *b,
                           const float *row_bias, const float *col_bias, const float *res, float *c,
                           RtThreads *tp) {
  return rt_cpu_gemm_ext_f32(p, NULL, a, b, row_bias, col_bias, res, c, tp);
}

#endif /* RT_CPU_GEMM_C */
