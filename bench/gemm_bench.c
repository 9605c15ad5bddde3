/* gemm_bench.c - the cpu target's GEMM and convolution (cpu_gemm.c,
 * cpu_conv.c) against OpenBLAS's cblas_sgemm, in GFLOP/s. Built and run by
 * bench/gemm_bench.sh, which sets OPENBLAS_NUM_THREADS to --threads.
 *
 *   gemm_bench [--threads T] [--rounds R] [--ms M] [--only TEXT] [--no-blas]
 *              [--cputime] [--best] [--rest MS]
 *
 * Shapes: the GEMMs of TOOLCHAIN.md (A packed as constant weights, B raw),
 * ResNet-50's conv layers (ours: the implicit-GEMM conv on packed weights;
 * OpenBLAS: an explicit im2col, timed, then sgemm; the sgemm alone is shown
 * too), MobileNetV2's pointwise convs, BERT-base's GEMMs (activations
 * [128, k] times packed weights) and its attention (12 heads, run-time
 * operands: Q K^T with K read transposed, then P V).
 *
 * Each round times, shape after shape, ours and OpenBLAS's one after the
 * other, each sample repeating its kernel for about M ms (20 by default);
 * the table shows medians over R rounds (7 by default). The machine may be
 * shared: alternating and taking medians keeps the comparison fair. With
 * two threads each OpenBLAS sample is followed by a rest (see rest()).
 * --no-blas times ours alone (to compare builds of it); --cputime measures
 * CPU time instead of wall time (one thread only); --best shows the fastest
 * round instead of the median (with short samples: what the kernel does
 * when nothing else runs). */
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu_conv.h"
#include "cpu_gemm.h"
#include "tpool.h"

enum { K_GEMM, K_CONV, K_BERT, K_ATTN_QK, K_ATTN_PV };

typedef struct Shape {
  const char *name;
  int kind;
  int64_t m, n, k;                /* GEMM: C[m,n] = A[m,k] B[k,n] */
  int64_t c, hw, kk, stride, pad; /* conv: c -> m channels, hw x hw input, kk x kk kernel */
} Shape;

#define CONV(name, c, m, hw, k, s, p) \
  { name, K_CONV, m, 0, 0, c, hw, k, s, p }
static const Shape SHAPES[] = {
    {"gemm 64x12544x147", K_GEMM, 64, 12544, 147, 0, 0, 0, 0, 0},
    {"gemm 64x3136x576", K_GEMM, 64, 3136, 576, 0, 0, 0, 0, 0},
    {"gemm 256x784x1152", K_GEMM, 256, 784, 1152, 0, 0, 0, 0, 0},
    {"gemm 512x196x4608", K_GEMM, 512, 196, 4608, 0, 0, 0, 0, 0},
    {"gemm 2048x2048x2048", K_GEMM, 2048, 2048, 2048, 0, 0, 0, 0, 0},
    CONV("r50 stem 7x7/2 3->64 224", 3, 64, 224, 7, 2, 3),
    CONV("r50 1x1 64->64 56", 64, 64, 56, 1, 1, 0),
    CONV("r50 3x3 64->64 56", 64, 64, 56, 3, 1, 1),
    CONV("r50 1x1 64->256 56", 64, 256, 56, 1, 1, 0),
    CONV("r50 1x1 256->64 56", 256, 64, 56, 1, 1, 0),
    CONV("r50 1x1 256->128 56", 256, 128, 56, 1, 1, 0),
    CONV("r50 3x3/2 128->128 56", 128, 128, 56, 3, 2, 1),
    CONV("r50 3x3 128->128 28", 128, 128, 28, 3, 1, 1),
    CONV("r50 1x1 128->512 28", 128, 512, 28, 1, 1, 0),
    CONV("r50 1x1/2 256->512 56", 256, 512, 56, 1, 2, 0),
    CONV("r50 1x1 512->128 28", 512, 128, 28, 1, 1, 0),
    CONV("r50 3x3 256->256 14", 256, 256, 14, 3, 1, 1),
    CONV("r50 1x1 256->1024 14", 256, 1024, 14, 1, 1, 0),
    CONV("r50 1x1 1024->256 14", 1024, 256, 14, 1, 1, 0),
    CONV("r50 3x3 512->512 7", 512, 512, 7, 3, 1, 1),
    CONV("r50 1x1 512->2048 7", 512, 2048, 7, 1, 1, 0),
    CONV("r50 1x1 2048->512 7", 2048, 512, 7, 1, 1, 0),
    CONV("mbv2 1x1 16->96 112", 16, 96, 112, 1, 1, 0),
    CONV("mbv2 1x1 96->24 56", 96, 24, 56, 1, 1, 0),
    CONV("mbv2 1x1 144->24 56", 144, 24, 56, 1, 1, 0),
    CONV("mbv2 1x1 192->32 28", 192, 32, 28, 1, 1, 0),
    CONV("mbv2 1x1 384->64 14", 384, 64, 14, 1, 1, 0),
    CONV("mbv2 1x1 960->160 7", 960, 160, 7, 1, 1, 0),
    CONV("mbv2 1x1 320->1280 7", 320, 1280, 7, 1, 1, 0),
    {"bert 128x768x768", K_BERT, 128, 768, 768, 0, 0, 0, 0, 0},
    {"bert 128x3072x768", K_BERT, 128, 3072, 768, 0, 0, 0, 0, 0},
    {"bert 128x768x3072", K_BERT, 128, 768, 3072, 0, 0, 0, 0, 0},
    {"bert attn QK^T 12x128x128x64", K_ATTN_QK, 128, 128, 64, 0, 0, 0, 0, 0},
    {"bert attn PV 12x128x64x128", K_ATTN_PV, 128, 64, 128, 0, 0, 0, 0, 0},
};
#define HEADS 12

typedef struct Bufs {
  const Shape *s;
  RtConv conv;
  RtCpuGemm g;
  float *a, *ap, *b, *c, *cb, *col; /* col: OpenBLAS's im2col */
  double flops;
  int64_t ohw;
} Bufs;

static RtThreads pool;
static int threads = 1;

static int cputime; /* --cputime: time by the process's CPU time (1 thread only) */

static double now(void) {
  struct timespec t;
  clock_gettime(cputime ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* After OpenBLAS (two threads): sleeps until its idle threads have stopped
 * spinning (they poll for about 2^28 TSC cycles, THREAD_TIMEOUT, which
 * would take a core from ours): rest_ms, 300 by default. */
static double rest_ms = 300;

static void rest(void) {
  struct timespec ts;
  ts.tv_sec = (time_t)(rest_ms / 1000);
  ts.tv_nsec = (long)((rest_ms - 1000.0 * (double)ts.tv_sec) * 1e6);
  nanosleep(&ts, NULL);
}

static float *rnd(int64_t n) {
  float *a = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
  int64_t i;
  for (i = 0; i < n; i++) a[i] = (float)((i * 7919) % 201 - 100) / 1000.0f;
  return a;
}

static void setup(Bufs *u, const Shape *s) {
  RtCpuGemmLayout l = rt_cpu_gemm_layout(RT_CPU_ISA_NATIVE);
  memset(u, 0, sizeof *u);
  u->s = s;
  if (s->kind == K_CONV) {
    RtConv *p = &u->conv;
    int64_t o = (s->hw + 2 * s->pad - s->kk) / s->stride + 1;
    p->n = 1, p->c = s->c, p->m = s->m, p->group = 1;
    p->in[0] = p->out[0] = p->k[0] = p->stride[0] = p->dil[0] = 1;
    p->in[1] = p->in[2] = s->hw, p->out[1] = p->out[2] = o, p->k[1] = p->k[2] = s->kk;
    p->stride[1] = p->stride[2] = s->stride, p->dil[1] = p->dil[2] = 1;
    p->pad_begin[1] = p->pad_begin[2] = s->pad, p->act = RT_ACT_RELU;
    u->ohw = o * o;
    u->a = rnd(s->m * s->c * s->kk * s->kk);
    u->ap = rnd(rt_cpu_conv_pack_size(p, RT_CPU_ISA_NATIVE));
    rt_cpu_conv_pack(p, RT_CPU_ISA_NATIVE, u->a, u->ap);
    u->b = rnd(s->c * s->hw * s->hw);
    u->col = rnd(s->c * s->kk * s->kk * u->ohw);
    u->c = rnd(s->m * u->ohw), u->cb = rnd(s->m);
    u->flops = 2.0 * (double)(s->m * u->ohw * s->c * s->kk * s->kk);
    return;
  }
  u->g.m = s->m, u->g.n = s->n, u->g.k = s->k, u->g.alpha = 1.0f, u->g.ldc = s->n;
  u->flops = 2.0 * (double)(s->m * s->n * s->k);
  if (s->kind == K_GEMM) { /* A constant (packed), B raw */
    u->a = rnd(s->m * s->k), u->b = rnd(s->k * s->n), u->c = rnd(s->m * s->n);
    u->ap = rnd(rt_cpu_gemm_pack_a_size(&l, s->m, s->k));
    rt_cpu_gemm_pack_a(&l, s->m, s->k, u->a, s->k, 1, u->ap);
    u->g.a_packed = 1, u->g.b_rs = s->n, u->g.b_cs = 1;
  } else if (s->kind == K_BERT) { /* A activations, B constant (packed) */
    u->a = rnd(s->m * s->k), u->b = rnd(s->k * s->n), u->c = rnd(s->m * s->n);
    u->ap = rnd(rt_cpu_gemm_pack_b_size(&l, s->k, s->n));
    rt_cpu_gemm_pack_b(&l, s->k, s->n, u->b, s->n, 1, u->ap);
    u->g.a_rs = s->k, u->g.a_cs = 1, u->g.b_packed = 1;
  } else { /* attention: per head A [m,k], B [k,n] (QK^T: B = K^T of K [n,k]) */
    u->a = rnd(HEADS * s->m * s->k), u->b = rnd(HEADS * s->k * s->n);
    u->c = rnd(HEADS * s->m * s->n);
    u->g.a_rs = s->k, u->g.a_cs = 1;
    if (s->kind == K_ATTN_QK)
      u->g.b_rs = 1, u->g.b_cs = s->k;
    else
      u->g.b_rs = s->n, u->g.b_cs = 1;
    u->g.batch_rank = 1, u->g.batch[0] = HEADS;
    u->g.a_bstride[0] = s->m * s->k, u->g.b_bstride[0] = s->k * s->n;
    u->g.c_bstride[0] = s->m * s->n;
    u->flops *= HEADS;
  }
}

static void release(Bufs *u) {
  free(u->a), free(u->ap), free(u->b), free(u->c), free(u->cb), free(u->col);
}

static void run_ours(Bufs *u) {
  RtThreads *tp = threads > 1 ? &pool : NULL;
  const Shape *s = u->s;
  if (s->kind == K_CONV)
    rt_cpu_conv_f32(&u->conv, u->b, u->ap, u->cb, NULL, u->c, tp);
  else if (s->kind == K_GEMM)
    rt_cpu_gemm_f32(&u->g, u->ap, u->b, NULL, NULL, NULL, u->c, tp);
  else if (s->kind == K_BERT)
    rt_cpu_gemm_f32(&u->g, u->a, u->ap, NULL, NULL, NULL, u->c, tp);
  else
    rt_cpu_gemm_f32(&u->g, u->a, u->b, NULL, NULL, NULL, u->c, tp);
}

/* OpenBLAS: the conv as im2col (if with_im2col) and sgemm. */
static void im2col(const Bufs *u) {
  const RtConv *p = &u->conv;
  int64_t ci, ky, kx, oy, ox, o = p->out[1], hw = p->in[1], r = 0;
  for (ci = 0; ci < p->c; ci++)
    for (ky = 0; ky < p->k[1]; ky++)
      for (kx = 0; kx < p->k[2]; kx++, r++) {
        float *d = u->col + r * u->ohw;
        for (oy = 0; oy < o; oy++) {
          int64_t iy = oy * p->stride[1] - p->pad_begin[1] + ky;
          for (ox = 0; ox < o; ox++) {
            int64_t ix = ox * p->stride[2] - p->pad_begin[2] + kx;
            d[oy * o + ox] =
                iy < 0 || iy >= hw || ix < 0 || ix >= hw ? 0.0f : u->b[(ci * hw + iy) * hw + ix];
          }
        }
      }
}

static void run_blas(Bufs *u, int with_im2col) {
  const Shape *s = u->s;
  int h;
  if (s->kind == K_CONV) {
    int64_t k = s->c * s->kk * s->kk;
    const float *bm = u->b;
    if (s->kk > 1 || s->stride > 1) {
      if (with_im2col) im2col(u);
      bm = u->col;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)s->m, (int)u->ohw, (int)k, 1.0f,
                u->a, (int)k, bm, (int)u->ohw, 0.0f, u->c, (int)u->ohw);
  } else if (s->kind == K_GEMM || s->kind == K_BERT) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)s->m, (int)s->n, (int)s->k, 1.0f,
                u->a, (int)s->k, u->b, (int)s->n, 0.0f, u->c, (int)s->n);
  } else {
    for (h = 0; h < HEADS; h++)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, s->kind == K_ATTN_QK ? CblasTrans : CblasNoTrans,
                  (int)s->m, (int)s->n, (int)s->k, 1.0f, u->a + h * s->m * s->k, (int)s->k,
                  u->b + h * s->k * s->n, s->kind == K_ATTN_QK ? (int)s->k : (int)s->n, 0.0f,
                  u->c + h * s->m * s->n, (int)s->n);
  }
}

/* Seconds per call of which (0 ours, 1 OpenBLAS with im2col, 2 sgemm alone). */
static double sample(Bufs *u, int which, double ms) {
  double t0 = now(), t;
  int64_t reps = 0;
  do {
    if (which == 0)
      run_ours(u);
    else
      run_blas(u, which == 1);
    reps++;
    t = now() - t0;
  } while (t < ms * 1e-3);
  return t / (double)reps;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_d);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define NSHAPES (sizeof SHAPES / sizeof SHAPES[0])

typedef struct Opts {
  int rounds, no_blas, best;
  double ms;
  const char *only;
} Opts;

static int parse(int argc, char **argv, Opts *o) {
  int i;
  o->rounds = 7, o->no_blas = 0, o->best = 0, o->ms = 20, o->only = NULL;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
      o->rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
      o->ms = atof(argv[++i]);
    else if (!strcmp(argv[i], "--only") && i + 1 < argc)
      o->only = argv[++i];
    else if (!strcmp(argv[i], "--no-blas"))
      o->no_blas = 1;
    else if (!strcmp(argv[i], "--cputime"))
      cputime = 1;
    else if (!strcmp(argv[i], "--best"))
      o->best = 1;
    else if (!strcmp(argv[i], "--rest") && i + 1 < argc)
      rest_ms = atof(argv[++i]);
    else {
      fprintf(stderr,
              "usage: gemm_bench [--threads T] [--rounds R] [--ms M] [--only TEXT] "
              "[--no-blas] [--cputime] [--best] [--rest MS]\n");
      return -1;
    }
  }
  if (o->rounds < 1 || o->rounds > 99) o->rounds = 7;
  if (threads > 1) cputime = 0;
  return 0;
}

static void print_row(const char *name, int nw, const double *g) {
  if (nw == 1)
    printf("| %-30s | %8.1f | %8s | %8s | %6s |\n", name, g[0], "", "", "");
  else if (nw == 2)
    printf("| %-30s | %8.1f | %8.1f | %8s | %6.2f |\n", name, g[0], g[1], "", g[0] / g[1]);
  else
    printf("| %-30s | %8.1f | %8.1f | %8.1f | %6.2f |\n", name, g[0], g[1], g[2], g[0] / g[1]);
}

/* Times every selected shape, round after round (a burst of other work on
 * the machine then touches a few samples of many shapes, not all of one),
 * and prints the table. */
static void bench(const Opts *o) {
  static Bufs u[NSHAPES];
  static double t[NSHAPES][3][99];
  int nw[NSHAPES], r, w;
  size_t si;
  for (si = 0; si < NSHAPES; si++) {
    nw[si] = 0;
    if (o->only && !strstr(SHAPES[si].name, o->only)) continue;
    setup(&u[si], &SHAPES[si]);
    nw[si] = SHAPES[si].kind == K_CONV && (SHAPES[si].kk > 1 || SHAPES[si].stride > 1) ? 3 : 2;
    if (o->no_blas) nw[si] = 1;
    for (w = 0; w < nw[si]; w++) sample(&u[si], w, 2); /* warm up */
  }
  if (threads > 1 && !o->no_blas) rest();
  for (r = 0; r < o->rounds; r++)
    for (si = 0; si < NSHAPES; si++)
      for (w = 0; w < nw[si]; w++) {
        t[si][w][r] = sample(&u[si], w, o->ms);
        if (w > 0 && threads > 1) rest(); /* OpenBLAS's idle threads spin for a while */
      }
  for (si = 0; si < NSHAPES; si++) {
    double g[3];
    if (!nw[si]) continue;
    for (w = 0; w < nw[si]; w++) {
      double tw = median(t[si][w], o->rounds);
      if (o->best) tw = t[si][w][0]; /* sorted by median() */
      g[w] = u[si].flops / tw * 1e-9;
    }
    print_row(SHAPES[si].name, nw[si], g);
    release(&u[si]);
  }
}

int main(int argc, char **argv) {
  Opts o;
  if (parse(argc, argv, &o)) return 2;
  if (threads > 1) rt_tp_start(&pool, threads);
  printf("threads %d, instruction set %d, %s of %d rounds (GFLOP/s)\n", threads, RT_CPU_ISA_NATIVE,
         o.best ? "best" : "median", o.rounds);
  printf("| %-30s | %8s | %8s | %8s | %6s |\n", "shape", "ours", "OpenBLAS", "sgemm", "ratio");
  printf("|%s|%s|%s|%s|%s|\n", "--------------------------------", "----------", "----------",
         "----------", "--------");
  fflush(stdout);
  bench(&o);
  if (threads > 1) rt_tp_stop(&pool);
  return 0;
}
