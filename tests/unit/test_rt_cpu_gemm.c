/* test_rt_cpu_gemm.c - the cpu target's GEMM and convolution (cpu_gemm.c,
 * cpu_conv.c) against naive references that sum in double.
 *
 * The GEMM: m, n and k of 1, around the layout's MR, NR and KC, and larger;
 * raw operands row-major, transposed and strided (the gaps hold NaN, so a
 * stray read shows), packed for this build's instruction set and for
 * another one (repacked on the fly); every epilogue (alpha, accumulate, row
 * and column bias, residual, each activation); batches with broadcast
 * operands; GEMV shapes; k = 0; wrong headers. The conv: groups, strides,
 * asymmetric pads, dilations, the 1x1 path, kernels larger than the input,
 * batches, bias, residual and activations. Every case runs on NULL and on
 * pools of 1 to 4 threads in turn. C lies between sentinels (and between
 * rows when ldc > n): a stray write is caught. The error bound is relative
 * to the sum of |a||b| products (plus the added terms' magnitudes).
 *
 * This file is also compiled with the AVX2 and AVX-512 flag sets, with and
 * without sanitizers, by tests/ops/test_cpu_kernels.py. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_conv.h"
#include "cpu_gemm.h"
#include "rt_kernels.h"
#include "rt_scalar.h"
#include "test.h"

#define GUARD 32
#define SENTINEL 4321.5f

static RtThreads pools[5]; /* pools[t]: t threads; 0 stands for NULL */
static int next_threads;   /* cycles through 0..4 */
static RtCpuGemmLayout native, foreign;
static double worst_err;
static int64_t cases_run;

static RtThreads *next_pool(void) {
  int t = next_threads++ % 5;
  return t == 0 ? NULL : &pools[t];
}

/* ---- data */

static uint32_t rng = 777u;

static uint32_t urand(void) {
  rng = rng * 1664525u + 1013904223u;
  return rng >> 8;
}

static int64_t irand(int64_t lo, int64_t hi) {
  return lo + (int64_t)(urand() % (uint32_t)(hi - lo + 1));
}

static float frand(void) { return (float)(urand() & 0xffff) / 32768.0f - 1.0f; }

static float *fbuf(int64_t n, float fill) {
  float *a = malloc(sizeof(float) * (size_t)(n + 2 * GUARD));
  int64_t i;
  for (i = 0; i < n + 2 * GUARD; i++) a[i] = fill;
  return a + GUARD;
}

static void ffree(float *a) {
  if (a) free(a - GUARD);
}

static int guards_ok(const float *a, int64_t n) {
  int64_t i;
  for (i = 1; i <= GUARD; i++)
    if (a[-i] != SENTINEL || a[n - 1 + i] != SENTINEL) return 0;
  return 1;
}

#define NACT 9 /* RT_ACT_NONE .. RT_ACT_GELU */
static const float ACT_ALPHA[NACT] = {0, 0, 0.1f, -0.5f, 0, 0.2f, 0, 0, 0};
static const float ACT_BETA[NACT] = {0, 0, 0, 0.5f, 0, 0.5f, 0, 0, 0};

/* |got - want| within tol * (mag + 1e-3); records the worst ratio. */
static int close_to(float got, double want, double mag, double tol) {
  double err = fabs((double)got - want), bound = tol * (mag + 1e-3);
  if (got != got || want != want) return got != got && want != want;
  if (err / bound * tol > worst_err) worst_err = err / bound * tol;
  return err <= bound;
}

/* ---- GEMM operands */

enum { OP_ROW, OP_TRANS, OP_STRIDED, OP_PACKED, OP_FOREIGN, OP_MODES };

/* An operand: rows x cols per copy, copies along the batch dims it uses. */
typedef struct Opnd {
  int mode;
  int64_t rows, cols, copies, rs, cs, copy_size;
  float *vals; /* [copies][rows][cols], the logical values */
  float *buf;  /* what the kernel reads */
} Opnd;

static void opnd_make(Opnd *o, int kind, int64_t rows, int64_t cols, int64_t copies, int mode) {
  int64_t c, r, j, n = rows * cols;
  memset(o, 0, sizeof *o);
  o->mode = mode, o->rows = rows, o->cols = cols, o->copies = copies;
  o->vals = malloc(sizeof(float) * (size_t)(n * copies + 1));
  for (j = 0; j < n * copies; j++) o->vals[j] = frand();
  if (mode == OP_PACKED || mode == OP_FOREIGN) {
    const RtCpuGemmLayout *l = mode == OP_PACKED ? &native : &foreign;
    o->copy_size =
        kind == 0 ? rt_cpu_gemm_pack_a_size(l, rows, cols) : rt_cpu_gemm_pack_b_size(l, rows, cols);
    o->buf = fbuf(o->copy_size * copies, NAN);
    for (c = 0; c < copies; c++) {
      if (kind == 0)
        rt_cpu_gemm_pack_a(l, rows, cols, o->vals + c * n, cols, 1, o->buf + c * o->copy_size);
      else
        rt_cpu_gemm_pack_b(l, rows, cols, o->vals + c * n, cols, 1, o->buf + c * o->copy_size);
    }
    return;
  }
  if (mode == OP_ROW) o->rs = cols, o->cs = 1;
  if (mode == OP_TRANS) o->rs = 1, o->cs = rows;
  if (mode == OP_STRIDED) o->rs = 2 * cols + 3, o->cs = 2;
  o->copy_size = (rows - 1) * o->rs + (cols - 1) * o->cs + 1 + 5;
  o->buf = fbuf(o->copy_size * copies, NAN);
  for (c = 0; c < copies; c++)
    for (r = 0; r < rows; r++)
      for (j = 0; j < cols; j++)
        o->buf[c * o->copy_size + r * o->rs + j * o->cs] = o->vals[c * n + r * cols + j];
}

static void opnd_free(Opnd *o) {
  free(o->vals);
  ffree(o->buf);
}

/* Batch strides of an operand that varies along the dims in uses. */
static int64_t batch_strides(const int64_t *batch, int rank, const int *uses, int64_t size,
                             int64_t *st) {
  int64_t mul = 1;
  int d;
  for (d = rank - 1; d >= 0; d--) {
    st[d] = uses[d] ? mul * size : 0;
    if (uses[d]) mul *= batch[d];
  }
  return mul;
}

/* The copy that batch bi (row-major over batch) reads. */
static int64_t copy_of(const int64_t *batch, int rank, const int *uses, int64_t bi) {
  int64_t idx = 0, mul = 1;
  int d;
  for (d = rank - 1; d >= 0; d--) {
    if (uses[d]) idx += bi % batch[d] * mul, mul *= batch[d];
    bi /= batch[d];
  }
  return idx;
}

typedef struct GemmCase {
  int64_t m, n, k;
  int a_mode, b_mode;
  int batch_kind; /* 0 none, 1 [3], 2 [2,3] shared B, 3 [2,3] both broadcast */
  int accumulate, alpha, row_bias, col_bias, res, act, res_in_c;
} GemmCase;

/* Runs one GEMM case against the reference; returns 1 if it matched. */
static int run_gemm(const GemmCase *gc) {
  static const int USES[4][2][2] = {
      {{0, 0}, {0, 0}}, {{1, 0}, {1, 0}}, {{1, 1}, {0, 0}}, {{1, 0}, {0, 1}}};
  int rank = gc->batch_kind == 0 ? 0 : gc->batch_kind == 1 ? 1 : 2;
  int64_t batch[4] = {gc->batch_kind == 1 ? 3 : 2, 3, 1, 1}, nb = 1, bi, i, j, q;
  int uses_c[2] = {1, 1}, ok = 1, d, rc;
  int64_t m = gc->m, n = gc->n, k = gc->k, ldc = n + (gc->m % 2 ? 3 : 0), ldr = n + 2;
  RtCpuGemm p;
  Opnd A, B;
  float *c, *c0, *res, *rb, *cb;
  double tol = 2e-7 * (double)(k + 8);
  for (d = 0; d < rank; d++) nb *= batch[d];
  memset(&p, 0, sizeof p);
  p.m = m, p.n = n, p.k = k, p.batch_rank = rank;
  memcpy(p.batch, batch, sizeof batch);
  opnd_make(&A, 0, m, k,
            rank ? batch_strides(batch, rank, USES[gc->batch_kind][0], 1, p.a_bstride) : 1,
            gc->a_mode);
  opnd_make(&B, 1, k, n,
            rank ? batch_strides(batch, rank, USES[gc->batch_kind][1], 1, p.b_bstride) : 1,
            gc->b_mode);
  for (d = 0; d < rank; d++) p.a_bstride[d] *= A.copy_size, p.b_bstride[d] *= B.copy_size;
  p.a_packed = A.mode >= OP_PACKED, p.b_packed = B.mode >= OP_PACKED;
  p.a_rs = A.rs, p.a_cs = A.cs, p.b_rs = B.rs, p.b_cs = B.cs;
  p.ldc = ldc, p.res_rs = gc->res_in_c ? ldc : ldr;
  batch_strides(batch, rank, uses_c, m * ldc, p.c_bstride);
  batch_strides(batch, rank, uses_c, m * p.res_rs, p.res_bstride);
  p.accumulate = gc->accumulate, p.alpha = gc->alpha ? -1.5f : 1.0f;
  p.act = gc->act, p.act_alpha = ACT_ALPHA[gc->act], p.act_beta = ACT_BETA[gc->act];
  c = fbuf(nb * m * ldc, SENTINEL), c0 = malloc(sizeof(float) * (size_t)(nb * m * ldc));
  for (q = 0; q < nb * m; q++)
    for (j = 0; j < n; j++) c[q * ldc + j] = frand();
  memcpy(c0, c, sizeof(float) * (size_t)(nb * m * ldc));
  res = gc->res && !gc->res_in_c ? fbuf(nb * m * ldr, NAN) : NULL;
  if (res)
    for (q = 0; q < nb * m; q++)
      for (j = 0; j < n; j++) res[q * ldr + j] = frand();
  rb = gc->row_bias ? fbuf(m, NAN) : NULL, cb = gc->col_bias ? fbuf(n, NAN) : NULL;
  for (i = 0; rb && i < m; i++) rb[i] = frand();
  for (j = 0; cb && j < n; j++) cb[j] = frand();
  rc = rt_cpu_gemm_f32(&p, A.buf, B.buf, rb, cb, gc->res_in_c && gc->res ? c : res, c, next_pool());
  CHECK_EQ_INT(rc, 0);
  for (bi = 0; bi < nb && ok; bi++) {
    const float *a =
        A.vals + (rank ? copy_of(batch, rank, USES[gc->batch_kind][0], bi) : 0) * m * k;
    const float *b =
        B.vals + (rank ? copy_of(batch, rank, USES[gc->batch_kind][1], bi) : 0) * k * n;
    for (i = 0; i < m && ok; i++)
      for (j = 0; j < n; j++) {
        double s = 0, mag = 0, v;
        float old = c0[(bi * m + i) * ldc + j], want, got = c[(bi * m + i) * ldc + j];
        for (q = 0; q < k; q++)
          s += (double)a[i * k + q] * b[q * n + j],
              mag += fabs((double)a[i * k + q] * b[q * n + j]);
        v = p.alpha * s, mag *= fabs(p.alpha);
        if (gc->accumulate) v += old, mag += fabs(old);
        if (rb) v += rb[i], mag += fabs(rb[i]);
        if (cb) v += cb[j], mag += fabs(cb[j]);
        if (gc->res) {
          float r = gc->res_in_c ? old : res[(bi * m + i) * ldr + j];
          v += r, mag += fabs(r);
        }
        want = rt_act_f32((float)v, p.act, p.act_alpha, p.act_beta);
        if (!close_to(got, want, mag, tol)) {
          fprintf(stderr,
                  "  gemm %lldx%lldx%lld a%d b%d batch%d acc%d al%d rb%d cb%d res%d act%d: "
                  "[%lld][%lld][%lld] got %.9g want %.9g\n",
                  (long long)m, (long long)n, (long long)k, gc->a_mode, gc->b_mode, gc->batch_kind,
                  gc->accumulate, gc->alpha, gc->row_bias, gc->col_bias, gc->res, gc->act,
                  (long long)bi, (long long)i, (long long)j, got, want);
          ok = 0;
          break;
        }
      }
  }
  for (q = 0; q < nb * m && ok; q++)
    for (j = n; j < ldc; j++) ok &= c[q * ldc + j] == SENTINEL;
  ok &= guards_ok(c, nb * m * ldc);
  if (!ok)
    fprintf(stderr, "  gemm %lldx%lldx%lld: mismatch or stray write\n", (long long)m, (long long)n,
            (long long)k);
  cases_run++;
  opnd_free(&A), opnd_free(&B);
  ffree(c), free(c0), ffree(res), ffree(rb), ffree(cb);
  return ok;
}

static GemmCase gemm_case(int64_t m, int64_t n, int64_t k) {
  GemmCase g;
  memset(&g, 0, sizeof g);
  g.m = m, g.n = n, g.k = k;
  g.a_mode = (int)irand(0, OP_MODES - 1), g.b_mode = (int)irand(0, OP_MODES - 1);
  return g;
}

TEST(gemm_shapes) {
  int64_t ms[] = {1, 2, native.mr - 1, native.mr, native.mr + 1, 2 * native.mr + 3, 45};
  int64_t ns[] = {1, 3, 16, native.nr - 1, native.nr, native.nr + 1, 2 * native.nr + 17, 75};
  int64_t ks[] = {1, 7, native.kc, native.kc + 1};
  size_t a, b, c;
  for (a = 0; a < sizeof ms / sizeof ms[0]; a++)
    for (b = 0; b < sizeof ns / sizeof ns[0]; b++)
      for (c = 0; c < sizeof ks / sizeof ks[0]; c++) {
        GemmCase g = gemm_case(ms[a], ns[b], ks[c]);
        g.act = (int)irand(0, NACT - 1), g.row_bias = (int)irand(0, 1), g.col_bias = (int)irand(0, 1);
        CHECK(run_gemm(&g));
      }
}

TEST(gemm_epilogues) {
  int bits, act;
  for (bits = 0; bits < 32; bits++)
    for (act = 0; act < NACT; act++) {
      GemmCase g = gemm_case(irand(1, 33), irand(1, 70), irand(1, 40));
      g.accumulate = bits & 1, g.alpha = bits >> 1 & 1, g.row_bias = bits >> 2 & 1;
      g.col_bias = bits >> 3 & 1, g.res = bits >> 4 & 1, g.act = act;
      g.res_in_c = g.res && !g.accumulate && act % 3 == 0;
      CHECK(run_gemm(&g));
      if (g.res_in_c) { /* several KC slices */
        g.k = native.kc + irand(1, 40);
        CHECK(run_gemm(&g));
      }
    }
}

TEST(gemm_operands) {
  int a, b;
  for (a = 0; a < OP_MODES; a++)
    for (b = 0; b < OP_MODES; b++) {
      GemmCase g = gemm_case(2 * native.mr + 1, 2 * native.nr + 5, native.kc + 9);
      g.a_mode = a, g.b_mode = b, g.col_bias = 1;
      CHECK(run_gemm(&g));
      g = gemm_case(1 + a, 1 + b, 300);
      g.a_mode = a, g.b_mode = b, g.row_bias = 1, g.act = 1;
      CHECK(run_gemm(&g));
    }
}

TEST(gemm_batches) {
  int kind, r;
  for (kind = 1; kind < 4; kind++)
    for (r = 0; r < 6; r++) {
      GemmCase g = gemm_case(irand(1, 40), irand(1, 80), irand(1, 300));
      g.batch_kind = kind, g.res = r & 1, g.row_bias = 1, g.act = r % 3;
      CHECK(run_gemm(&g));
    }
}

/* Shapes that split into several tasks (and GEMV shapes). */
TEST(gemm_large) {
  static const int64_t SH[][3] = {{128, 256, 600}, {200, 96, 513}, {1, 700, 300}, {300, 1, 300},
                                  {64, 700, 70},   {9, 1000, 40},  {500, 20, 64}};
  size_t s;
  int r;
  for (s = 0; s < sizeof SH / sizeof SH[0]; s++)
    for (r = 0; r < 3; r++) {
      GemmCase g = gemm_case(SH[s][0], SH[s][1], SH[s][2]);
      g.a_mode = r == 0 ? OP_PACKED : r == 1 ? OP_ROW : g.a_mode;
      g.b_mode = r == 0 ? OP_ROW : r == 1 ? OP_PACKED : g.b_mode;
      g.col_bias = r & 1, g.res = r == 2, g.act = r;
      CHECK(run_gemm(&g));
    }
}

TEST(gemm_no_k) {
  int r;
  for (r = 0; r < 8; r++) {
    GemmCase g = gemm_case(irand(1, 20), irand(1, 40), 0);
    g.accumulate = r & 1, g.row_bias = r >> 1 & 1, g.col_bias = 1, g.res = r >> 2, g.act = 3;
    CHECK(run_gemm(&g));
  }
}

/* A wrong header: -1 and C untouched; m = 0 or n = 0: nothing. */
TEST(gemm_bad_header) {
  RtCpuGemm p;
  float a[64], b[RT_CPU_PACK_HEADER + 256], c[64];
  int64_t i;
  memset(&p, 0, sizeof p);
  for (i = 0; i < 64; i++) a[i] = 1.0f, c[i] = SENTINEL;
  p.m = 2, p.n = 3, p.k = 4, p.a_rs = 4, p.a_cs = 1, p.b_packed = 1, p.ldc = 3, p.alpha = 1;
  rt_cpu_gemm_pack_b(&native, 4, 3, a, 3, 1, b);
  CHECK_EQ_INT(rt_cpu_gemm_f32(&p, a, b, NULL, NULL, NULL, c, NULL), 0);
  CHECK(c[0] == 4.0f && c[5] == 4.0f && c[6] == SENTINEL);
  c[0] = SENTINEL;
  p.k = 5; /* the header says 4 */
  CHECK_EQ_INT(rt_cpu_gemm_f32(&p, a, b, NULL, NULL, NULL, c, NULL), -1);
  p.k = 4, p.b_packed = 0, p.a_packed = 1, p.b_rs = 3, p.b_cs = 1;
  CHECK_EQ_INT(rt_cpu_gemm_f32(&p, b, a, NULL, NULL, NULL, c, NULL), -1); /* a B as A */
  CHECK(c[0] == SENTINEL);
  p.m = 0;
  CHECK_EQ_INT(rt_cpu_gemm_f32(&p, NULL, NULL, NULL, NULL, NULL, c, NULL), 0);
  CHECK(rt_cpu_gemm_pack_a_size(&native, 3, 10) ==
        RT_CPU_PACK_HEADER + 10 * ((3 + native.mr - 1) / native.mr * native.mr));
}

/* ---- Conv */

static int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
  int64_t v = in + pb + pe - d * (k - 1) - 1;
  return v < 0 ? 0 : v / s + 1;
}

typedef struct ConvCase {
  int64_t n, c, m, group, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  int bias, res, act, foreign, res_in_y;
} ConvCase;

static RtConv conv_params(const ConvCase *cc) {
  RtConv p;
  memset(&p, 0, sizeof p);
  p.n = cc->n, p.c = cc->c, p.m = cc->m, p.group = cc->group;
  p.in[0] = p.out[0] = p.k[0] = p.stride[0] = p.dil[0] = 1;
  p.in[1] = cc->ih, p.in[2] = cc->iw, p.k[1] = cc->kh, p.k[2] = cc->kw;
  p.stride[1] = cc->sh, p.stride[2] = cc->sw, p.dil[1] = cc->dh, p.dil[2] = cc->dw;
  p.pad_begin[1] = cc->pt, p.pad_begin[2] = cc->pl;
  p.out[1] = conv_out(cc->ih, cc->kh, cc->sh, cc->dh, cc->pt, cc->pb);
  p.out[2] = conv_out(cc->iw, cc->kw, cc->sw, cc->dw, cc->pl, cc->pr);
  p.act = cc->act, p.alpha = ACT_ALPHA[cc->act], p.beta = ACT_BETA[cc->act];
  return p;
}

/* Runs one conv against a direct loop nest in double. */
static int run_conv(const ConvCase *cc) {
  RtConv p = conv_params(cc);
  int64_t cg = p.c / p.group, mg = p.m / p.group, kk = p.k[1] * p.k[2];
  int64_t xn = p.n * p.c * p.in[1] * p.in[2], ohw = p.out[1] * p.out[2], yn = p.n * p.m * ohw;
  int64_t isa = cc->foreign ? foreign.isa : native.isa, i, ni, mo, oy, ox, ci, ky, kx;
  float *x = fbuf(xn, NAN), *w = malloc(sizeof(float) * (size_t)(p.m * cg * kk + 1));
  float *wp = fbuf(rt_cpu_conv_pack_size(&p, isa), NAN), *b = cc->bias ? fbuf(p.m, NAN) : NULL;
  float *y = fbuf(yn, SENTINEL), *res = cc->res && !cc->res_in_y ? fbuf(yn, NAN) : NULL;
  float *y0 = malloc(sizeof(float) * (size_t)(yn + 1));
  int ok = 1, rc;
  double tol = 2e-7 * (double)(cg * kk + 8);
  CHECK(rt_cpu_conv_ok(&p));
  for (i = 0; i < xn; i++) x[i] = frand();
  for (i = 0; i < p.m * cg * kk; i++) w[i] = frand();
  for (i = 0; b && i < p.m; i++) b[i] = frand();
  for (i = 0; res && i < yn; i++) res[i] = frand();
  if (cc->res_in_y)
    for (i = 0; i < yn; i++) y[i] = frand();
  memcpy(y0, y, sizeof(float) * (size_t)yn);
  rt_cpu_conv_pack(&p, isa, w, wp);
  rc = rt_cpu_conv_f32(&p, x, wp, b, cc->res_in_y ? y : res, y, next_pool());
  CHECK_EQ_INT(rc, 0);
  for (ni = 0; ni < p.n && ok; ni++)
    for (mo = 0; mo < p.m && ok; mo++)
      for (oy = 0; oy < p.out[1] && ok; oy++)
        for (ox = 0; ox < p.out[2] && ok; ox++) {
          int64_t o = (ni * p.m + mo) * ohw + oy * p.out[2] + ox;
          double s = 0, mag = 0;
          float r, want;
          for (ci = 0; ci < cg; ci++)
            for (ky = 0; ky < p.k[1]; ky++)
              for (kx = 0; kx < p.k[2]; kx++) {
                int64_t iy = oy * p.stride[1] - p.pad_begin[1] + ky * p.dil[1];
                int64_t ix = ox * p.stride[2] - p.pad_begin[2] + kx * p.dil[2];
                double t;
                if (iy < 0 || iy >= p.in[1] || ix < 0 || ix >= p.in[2]) continue;
                t = (double)x[((ni * p.c + mo / mg * cg + ci) * p.in[1] + iy) * p.in[2] + ix] *
                    w[((mo * cg + ci) * p.k[1] + ky) * p.k[2] + kx];
                s += t, mag += fabs(t);
              }
          if (b) s += b[mo], mag += fabs(b[mo]);
          r = cc->res_in_y ? y0[o] : res ? res[o] : 0.0f;
          s += r, mag += fabs(r);
          want = rt_act_f32((float)s, p.act, p.alpha, p.beta);
          if (!close_to(y[o], want, mag, tol)) {
            fprintf(stderr,
                    "  conv n%lld c%lld m%lld g%lld in %lldx%lld k %lldx%lld s %lldx%lld "
                    "d %lldx%lld pads %lld,%lld,%lld,%lld: y[%lld] got %.9g want %.9g\n",
                    (long long)cc->n, (long long)cc->c, (long long)cc->m, (long long)cc->group,
                    (long long)cc->ih, (long long)cc->iw, (long long)cc->kh, (long long)cc->kw,
                    (long long)cc->sh, (long long)cc->sw, (long long)cc->dh, (long long)cc->dw,
                    (long long)cc->pt, (long long)cc->pl, (long long)cc->pb, (long long)cc->pr,
                    (long long)o, y[o], want);
            ok = 0;
          }
        }
  ok &= guards_ok(y, yn);
  cases_run++;
  ffree(x), free(w), ffree(wp), ffree(b), ffree(y), ffree(res), free(y0);
  return ok;
}

static ConvCase conv_case(int64_t c, int64_t m, int64_t hw, int64_t k, int64_t s, int64_t pad) {
  ConvCase cc;
  memset(&cc, 0, sizeof cc);
  cc.n = 1, cc.c = c, cc.m = m, cc.group = 1, cc.ih = cc.iw = hw, cc.kh = cc.kw = k;
  cc.sh = cc.sw = s, cc.dh = cc.dw = 1, cc.pt = cc.pl = cc.pb = cc.pr = pad;
  return cc;
}

/* ResNet's and MobileNet's kinds of layers, scaled down. */
TEST(conv_layers) {
  ConvCase cs[] = {conv_case(8, 16, 10, 3, 1, 1),  conv_case(8, 16, 11, 3, 2, 1),
                   conv_case(16, 20, 9, 1, 1, 0),  conv_case(16, 24, 9, 1, 2, 0),
                   conv_case(3, 16, 20, 7, 2, 3),  conv_case(64, 64, 14, 3, 1, 1),
                   conv_case(40, 30, 7, 3, 1, 1),  conv_case(5, 7, 1, 1, 1, 0),
                   conv_case(300, 17, 3, 1, 1, 0), conv_case(6, 9, 5, 5, 1, 2)};
  size_t i;
  for (i = 0; i < sizeof cs / sizeof cs[0]; i++) {
    cs[i].bias = 1, cs[i].act = (int)(i % NACT), cs[i].n = 1 + (int64_t)(i % 2);
    CHECK(run_conv(&cs[i]));
    cs[i].res = 1, cs[i].foreign = 1, cs[i].bias = 0;
    CHECK(run_conv(&cs[i]));
  }
}

/* Groups, asymmetric pads, dilations, 1-D, kernels larger than the input. */
TEST(conv_options) {
  ConvCase c;
  c = conv_case(8, 12, 9, 3, 1, 1), c.group = 4, c.bias = 1;
  CHECK(run_conv(&c));
  c = conv_case(6, 6, 8, 3, 1, 1), c.group = 6, c.act = 1; /* depthwise: slow but right */
  CHECK(run_conv(&c));
  c = conv_case(4, 8, 10, 3, 1, 0), c.pt = 2, c.pb = 0, c.pl = 0, c.pr = 2;
  CHECK(run_conv(&c));
  c = conv_case(4, 8, 10, 3, 1, 0), c.pt = 0, c.pb = 1, c.pl = 1, c.pr = 3, c.res = 1;
  CHECK(run_conv(&c));
  c = conv_case(5, 6, 12, 3, 1, 2), c.dh = c.dw = 2, c.bias = 1;
  CHECK(run_conv(&c));
  c = conv_case(5, 6, 12, 3, 2, 2), c.dh = 2, c.dw = 3, c.sw = 3;
  CHECK(run_conv(&c));
  c = conv_case(3, 5, 3, 5, 1, 2), c.act = 3; /* kernel larger than the input */
  CHECK(run_conv(&c));
  c = conv_case(3, 5, 2, 7, 2, 3), c.kh = 4, c.pb = 0;
  CHECK(run_conv(&c));
  c = conv_case(4, 6, 1, 1, 1, 0), c.iw = 30, c.kw = 5, c.pl = 2, c.pr = 2; /* 1-D */
  CHECK(run_conv(&c));
  c = conv_case(4, 6, 1, 1, 1, 0), c.iw = 31, c.kw = 3, c.sw = 2, c.pl = 1, c.pr = 1;
  CHECK(run_conv(&c));
  c = conv_case(7, 5, 6, 1, 1, 0), c.res = 1, c.res_in_y = 1, c.act = 1, c.n = 3;
  CHECK(run_conv(&c));
  c = conv_case(7, 5, 6, 3, 1, 1), c.res = 1, c.res_in_y = 1, c.bias = 1, c.n = 2;
  CHECK(run_conv(&c));
  c = conv_case(40, 9, 5, 3, 1, 1), c.res = 1, c.res_in_y = 1, c.act = 1; /* k > KC */
  CHECK(run_conv(&c));
}

TEST(conv_random) {
  int r;
  for (r = 0; r < 60; r++) {
    ConvCase c;
    int64_t g = irand(1, 3);
    memset(&c, 0, sizeof c);
    c.n = irand(1, 2), c.group = g, c.c = g * irand(1, 6), c.m = g * irand(1, 20);
    c.ih = irand(1, 12), c.iw = irand(1, 40), c.kh = irand(1, 4), c.kw = irand(1, 4);
    c.sh = irand(1, 3), c.sw = irand(1, 2), c.dh = irand(1, 2), c.dw = irand(1, 2);
    c.pt = irand(0, 3), c.pl = irand(0, 3), c.pb = irand(0, 3), c.pr = irand(0, 3);
    if (c.ih + c.pt + c.pb < c.dh * (c.kh - 1) + 1) c.pb += c.dh * (c.kh - 1);
    if (c.iw + c.pl + c.pr < c.dw * (c.kw - 1) + 1) c.pr += c.dw * (c.kw - 1);
    c.bias = r & 1, c.res = r >> 1 & 1, c.act = r % NACT, c.foreign = r % 7 == 3;
    CHECK(run_conv(&c));
  }
}

/* Wrong packed weights: -1 and y untouched. */
TEST(conv_bad_weights) {
  ConvCase cc = conv_case(2, 3, 4, 3, 1, 1);
  RtConv p = conv_params(&cc), q;
  float x[32], w[64], wp[1024], y[64];
  int i;
  for (i = 0; i < 32; i++) x[i] = 1.0f;
  for (i = 0; i < 64; i++) w[i] = 1.0f, y[i] = SENTINEL;
  rt_cpu_conv_pack(&p, native.isa, w, wp);
  q = p, q.c = 1; /* k differs from the packing's */
  CHECK_EQ_INT(rt_cpu_conv_f32(&q, x, wp, NULL, NULL, y, NULL), -1);
  CHECK(y[0] == SENTINEL);
  CHECK_EQ_INT(rt_cpu_conv_f32(&p, x, wp, NULL, NULL, y, NULL), 0);
  CHECK(y[5] == 18.0f); /* an inner position of the 4x4 output sums 2 x 9 ones */
  q = p, q.in[0] = 2;
  CHECK(!rt_cpu_conv_ok(&q));
}

#define RUN_CONV_TESTS()   \
  do {                     \
    RUN(conv_layers);      \
    RUN(conv_options);     \
    RUN(conv_random);      \
    RUN(conv_bad_weights); \
  } while (0)

int main(void) {
  int t;
  native = rt_cpu_gemm_layout(RT_CPU_ISA_NATIVE);
  foreign = rt_cpu_gemm_layout((RT_CPU_ISA_NATIVE + 1) % 3);
  for (t = 1; t <= 4; t++) rt_tp_start(&pools[t], t);
  fprintf(stderr, "instruction set %d: MR %lld, NR %lld, KC %lld\n", RT_CPU_ISA_NATIVE,
          (long long)native.mr, (long long)native.nr, (long long)native.kc);
  RUN(gemm_shapes);
  RUN(gemm_epilogues);
  RUN(gemm_operands);
  RUN(gemm_batches);
  RUN(gemm_large);
  RUN(gemm_no_k);
  RUN(gemm_bad_header);
  RUN_CONV_TESTS();
  for (t = 1; t <= 4; t++) rt_tp_stop(&pools[t]);
  fprintf(stderr, "%lld cases, worst error %.3g of the bound's scale\n", (long long)cases_run,
          worst_err);
  TEST_MAIN_END();
}
