/* test_rt_cpu_dw.c - the cpu target's depthwise conv and pools (cpu_dw.c,
 * cpu_pool.c) against the portable kernels, which are the reference:
 * rt_conv_f32 with group = c, rt_maxpool_f32 / rt_avgpool_f32, and
 * rt_reduce_f32 for the global pools.
 *
 * Shapes: MobileNetV2's and ResNet's (each route of cpu_dw.c: flat planes,
 * full rows, any row), widths that are not multiples of 16, 1x1 and 2x2
 * images, windows larger than the input, pads larger than the window,
 * asymmetric pads, strides 1 to 4, dilations, ceil_mode, channel
 * multipliers, more edges than the kernels' tables hold, plus a few
 * hundred random ones; every activation, bias and residual on and off,
 * in place, NaN and infinities in the input (and in a weight where the
 * reference skips padding as ours do), NULL and pools of 1 to 4 threads.
 * Around inputs lie NaN guards (a stray read shows as NaN), around outputs
 * sentinels (a stray write is caught); the residual has no guards, so that
 * AddressSanitizer sees a read past it. The conv matches to rounding (its
 * taps are summed in another order); MaxPool and AveragePool fold in
 * pool.c's order and must match bit for bit; the result is the same for
 * every thread count. Data come from a small LCG, so runs repeat. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_dw.h"
#include "cpu_pool.h"
#include "rt_kernels.h"
#include "rt_scalar.h"
#include "test.h"

#define GUARD 48           /* guard floats on each side of a buffer */
#define TOL 4e-6           /* error bound, relative to the output's largest magnitude */
#define SENTINEL 12345.75f /* what the guards of an output hold */

static RtThreads pools[5]; /* pools[t]: t threads; index 0 stands for NULL */
static double worst_err;   /* the largest relative error seen, for the log */

static RtThreads *pool_of(int t) { return t == 0 ? NULL : &pools[t]; }

/* ---- buffers */

static uint32_t rng = 2024u;

static uint32_t urand(void) {
  rng = rng * 1664525u + 1013904223u;
  return rng >> 8;
}

static int64_t irand(int64_t lo, int64_t hi) {
  return lo + (int64_t)(urand() % (uint32_t)(hi - lo + 1));
}

static float frand(void) { return (float)(urand() & 0xffff) / 32768.0f - 1.0f; }

/* n floats between guards of fill; returns the first of the n. */
static float *guarded(int64_t n, float fill) {
  float *a = malloc(sizeof(float) * (size_t)(n + 2 * GUARD));
  int64_t i;
  for (i = 0; i < n + 2 * GUARD; i++) a[i] = fill;
  return a + GUARD;
}

static float *rand_guarded(int64_t n) {
  float *a = guarded(n, NAN);
  int64_t i;
  for (i = 0; i < n; i++) a[i] = frand();
  return a;
}

static void release(float *a) {
  if (a) free(a - GUARD);
}

/* n floats without guards: AddressSanitizer sees a read past either end
 * (the residual: what is read of it reaches the output only where masked
 * lanes are right, so the guards would hide a stray read). */
static float *rand_exact(int64_t n) {
  float *a = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
  int64_t i;
  for (i = 0; i < n; i++) a[i] = frand();
  return a;
}

/* True if the guards around the n floats at a still hold fill. */
static int guards_ok(const float *a, int64_t n, float fill) {
  int64_t i;
  for (i = 1; i <= GUARD; i++)
    if (memcmp(&a[-i], &fill, sizeof fill) || memcmp(&a[n - 1 + i], &fill, sizeof fill)) return 0;
  return 1;
}

/* Puts a NaN, +inf and -inf at random places of a (n > 0). */
static void poison(float *a, int64_t n) {
  a[irand(0, n - 1)] = NAN;
  a[irand(0, n - 1)] = INFINITY;
  a[irand(0, n - 1)] = -INFINITY;
}

/* ---- comparisons */

/* got against want to TOL relative to want's largest finite magnitude;
 * NaN and infinities must match exactly. */
static int check_close(const char *what, const float *got, const float *want, int64_t n) {
  double scale = 0.0, err = 0.0;
  int64_t i, bad = 0;
  for (i = 0; i < n; i++)
    if (isfinite(want[i]) && fabs(want[i]) > scale) scale = fabs(want[i]);
  if (scale < 1e-30) scale = 1e-30;
  for (i = 0; i < n; i++) {
    int ok;
    double e = 0.0;
    if (isnan(want[i]))
      ok = isnan(got[i]);
    else if (isinf(want[i]))
      ok = got[i] == want[i];
    else
      e = fabs((double)got[i] - want[i]) / scale, ok = e <= TOL;
    if (e > err && ok) err = e;
    if (!ok && bad++ < 5)
      fprintf(stderr, "  %s[%lld]: got %.9g, want %.9g\n", what, (long long)i, got[i], want[i]);
  }
  if (err > worst_err) worst_err = err;
  if (bad) fprintf(stderr, "  %s: %lld of %lld differ\n", what, (long long)bad, (long long)n);
  return bad == 0;
}

/* Bit for bit (any NaN matches any NaN). */
static int check_exact(const char *what, const float *got, const float *want, int64_t n) {
  int64_t i, bad = 0;
  for (i = 0; i < n; i++) {
    if (isnan(want[i]) ? isnan(got[i]) : memcmp(&got[i], &want[i], sizeof(float)) == 0) continue;
    if (bad++ < 5)
      fprintf(stderr, "  %s[%lld]: got %.9g, want %.9g\n", what, (long long)i, got[i], want[i]);
  }
  if (bad) fprintf(stderr, "  %s: %lld of %lld differ\n", what, (long long)bad, (long long)n);
  return bad == 0;
}

/* alpha and beta of each activation (Clip's are changed to ReLU6's once) */
static float act_alpha[9] = {0, 0, 0.1f, -0.5f, 0, 0.2f, 0, 0, 0};
static float act_beta[9] = {0, 0, 0, 0.5f, 0, 0.5f, 0, 0, 0};

/* ---- depthwise conv */

typedef struct DwCase {
  int64_t n, c, mult, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
} DwCase;

/* Output size of one dim; < 1 if the window does not fit. */
static int64_t win_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
  int64_t span = in + pb + pe - d * (k - 1) - 1;
  return span < 0 ? 0 : span / s + 1;
}

static RtConv dw_params(const DwCase *k, int64_t act) {
  RtConv p;
  memset(&p, 0, sizeof p);
  p.n = k->n, p.c = k->c, p.m = k->c * k->mult, p.group = k->c;
  p.in[0] = p.out[0] = p.k[0] = p.stride[0] = p.dil[0] = 1;
  p.in[1] = k->ih, p.in[2] = k->iw, p.k[1] = k->kh, p.k[2] = k->kw;
  p.stride[1] = k->sh, p.stride[2] = k->sw, p.dil[1] = k->dh, p.dil[2] = k->dw;
  p.pad_begin[1] = k->pt, p.pad_begin[2] = k->pl;
  p.out[1] = win_out(k->ih, k->kh, k->sh, k->dh, k->pt, k->pb);
  p.out[2] = win_out(k->iw, k->kw, k->sw, k->dw, k->pl, k->pr);
  p.act = act, p.alpha = act_alpha[act], p.beta = act_beta[act];
  return p;
}

/* The reference: rt_conv_f32, then the residual and the activation. */
static void dw_ref(const RtConv *p, const float *x, const float *w, const float *b,
                   const float *res, float *y, int64_t ny) {
  RtConv q = *p;
  float *scratch;
  int64_t i;
  if (res) q.act = RT_ACT_NONE;
  scratch = malloc(sizeof(float) * (size_t)(rt_conv_scratch_f32(&q) + 1));
  rt_conv_f32(&q, x, w, b, y, scratch);
  free(scratch);
  if (!res) return;
  for (i = 0; i < ny; i++) y[i] = rt_act_f32(y[i] + res[i], p->act, p->alpha, p->beta);
}

/* Runs one case: with NULL, then on pools[threads] (bit for bit the same);
 * in_place: y starts as the residual and is passed as it. */
static int run_dw(const DwCase *k, int64_t act, int with_bias, int with_res, int threads,
                  int bad_values, int in_place) {
  RtConv p = dw_params(k, act);
  int64_t nx = p.n * p.c * p.in[1] * p.in[2], ny = p.n * p.m * p.out[1] * p.out[2];
  float *x = rand_guarded(nx), *w = rand_guarded(p.m * p.k[1] * p.k[2]);
  float *b = with_bias ? rand_guarded(p.m) : NULL, *res = with_res ? rand_exact(ny) : NULL;
  float *want = guarded(ny, 0.0f), *y1 = guarded(ny, SENTINEL), *y2 = guarded(ny, SENTINEL);
  int ok = 1;
  CHECK(rt_cpu_dw_ok(&p));
  if (bad_values) poison(x, nx);
  /* a non-finite weight only where the reference is rt_conv_f32's depthwise
   * route (one output per channel, up to 16 taps wide), which skips taps
   * outside the input as ours do; its im2col route multiplies the padding's
   * zeros */
  if (bad_values && k->mult == 1 && k->kw <= 16) { /* the first and last taps of a row */
    w[(irand(0, p.m - 1) * p.k[1] + irand(0, p.k[1] - 1)) * p.k[2]] = INFINITY;
    w[(irand(0, p.m - 1) * p.k[1] + irand(0, p.k[1] - 1)) * p.k[2] + p.k[2] - 1] = -INFINITY;
  }
  dw_ref(&p, x, w, b, res, want, ny);
  if (in_place && res) {
    memcpy(y1, res, sizeof(float) * (size_t)ny);
    memcpy(y2, res, sizeof(float) * (size_t)ny);
    rt_cpu_dw_f32(&p, x, w, b, y1, y1, NULL);
    rt_cpu_dw_f32(&p, x, w, b, y2, y2, pool_of(threads));
  } else {
    rt_cpu_dw_f32(&p, x, w, b, res, y1, NULL);
    rt_cpu_dw_f32(&p, x, w, b, res, y2, pool_of(threads));
  }
  ok &= check_close("dw", y1, want, ny);
  ok &= check_exact("dw threads", y2, y1, ny);
  ok &= guards_ok(y1, ny, SENTINEL) && guards_ok(y2, ny, SENTINEL);
  if (!ok)
    fprintf(stderr,
            "  case n %lld c %lld mult %lld in %lldx%lld k %lldx%lld s %lld,%lld d %lld,%lld "
            "pads %lld,%lld,%lld,%lld act %lld bias %d res %d threads %d\n",
            (long long)k->n, (long long)k->c, (long long)k->mult, (long long)k->ih,
            (long long)k->iw, (long long)k->kh, (long long)k->kw, (long long)k->sh,
            (long long)k->sw, (long long)k->dh, (long long)k->dw, (long long)k->pt,
            (long long)k->pl, (long long)k->pb, (long long)k->pr, (long long)act, with_bias,
            with_res, threads);
  release(x), release(w), release(b), free(res), release(want), release(y1), release(y2);
  return ok;
}

/* n, c, mult, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr */
static const DwCase DW_CASES[] = {
    {1, 3, 1, 20, 37, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  /* MobileNetV2 s1 */
    {1, 3, 1, 21, 35, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},  /* s2 */
    {2, 2, 1, 16, 48, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1},  /* s2, TF's SAME pads */
    {1, 2, 1, 9, 112, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  /* a 112-wide row, flat */
    {1, 2, 1, 12, 112, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, /* too big to go flat: full rows */
    {1, 2, 1, 10, 120, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2}, /* 5x5, full rows */
    {1, 2, 1, 12, 100, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, /* dilated, full rows */
    {1, 2, 1, 9, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},  /* 112 -> 56 */
    {1, 5, 1, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    /* 7x7 */
    {1, 4, 1, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},  /* 14 -> 7 */
    {1, 3, 1, 9, 33, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2},   /* 5x5 s1 */
    {1, 3, 1, 12, 47, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2},  /* 5x5 s2 */
    {1, 3, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    /* 1x1 image */
    {1, 3, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    /* 2x2 image */
    {1, 2, 1, 2, 3, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2},    /* window larger than the image */
    {1, 2, 1, 3, 3, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3},
    {1, 2, 1, 4, 5, 3, 3, 1, 1, 1, 1, 4, 5, 3, 6},   /* pads larger than the window */
    {1, 3, 1, 19, 40, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1}, /* stride 3 */
    {1, 3, 1, 15, 50, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, /* dilation 2 */
    {1, 2, 1, 15, 70, 3, 3, 2, 2, 3, 3, 3, 3, 3, 3}, /* dilation 3, stride 2 */
    {1, 3, 1, 11, 40, 3, 2, 1, 2, 1, 1, 0, 1, 2, 0}, /* asymmetric everything */
    {2, 3, 1, 1, 60, 1, 5, 1, 1, 1, 1, 0, 2, 0, 2},  /* 1-D */
    {1, 2, 2, 9, 30, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  /* channel multiplier 2 */
    {2, 2, 3, 8, 21, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},  /* multiplier 3 */
    {1, 2, 1, 6, 90, 1, 17, 1, 1, 1, 1, 0, 8, 0, 8}, /* wider than 16 taps */
    {1, 2, 1, 40, 9, 9, 1, 1, 1, 1, 1, 4, 0, 4, 0},  /* tall window */
    {1, 2, 1, 5, 70, 3, 3, 1, 4, 1, 1, 1, 1, 1, 1},  /* stride 4 along w */
    {1, 2, 1, 4, 3, 3, 3, 1, 1, 1, 1, 1, 70, 1, 70}, /* more edges than the tables hold */
};

TEST(dw_listed_shapes) {
  size_t i;
  int64_t act;
  for (i = 0; i < sizeof DW_CASES / sizeof DW_CASES[0]; i++)
    for (act = 0; act <= RT_ACT_GELU; act++) {
      int with_bias = (int)(act & 1), with_res = (int)(act >> 1 & 1);
      CHECK(run_dw(&DW_CASES[i], act, with_bias, with_res, (int)(act % 5), 0, 0));
      CHECK(run_dw(&DW_CASES[i], act, !with_bias, !with_res, (int)((act + 2) % 5), 0, 0));
    }
}

TEST(dw_mobilenet_relu6) {
  DwCase k = {1, 2, 1, 10, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
  int t;
  act_alpha[RT_ACT_CLIP] = 0.0f, act_beta[RT_ACT_CLIP] = 1.5f; /* ReLU6, scaled to the data */
  for (t = 0; t <= 4; t++) CHECK(run_dw(&k, RT_ACT_CLIP, 1, t & 1, t, 0, 0));
  act_alpha[RT_ACT_CLIP] = 0.0f, act_beta[RT_ACT_CLIP] = 6.0f; /* ReLU6 itself */
  for (t = 0; t <= 4; t++) CHECK(run_dw(&k, RT_ACT_CLIP, 1, t & 1, t, 0, 0));
  act_alpha[RT_ACT_CLIP] = -0.5f, act_beta[RT_ACT_CLIP] = 0.5f;
}

TEST(dw_nan_inf_and_in_place) {
  size_t i;
  for (i = 0; i < sizeof DW_CASES / sizeof DW_CASES[0]; i++) {
    CHECK(run_dw(&DW_CASES[i], RT_ACT_RELU, 1, 1, 2, 1, 0));
    CHECK(run_dw(&DW_CASES[i], RT_ACT_CLIP, 1, 1, 3, 0, 1));
  }
}

/* A random case whose window fits (or not quite: then the end pad grows). */
static DwCase dw_random(void) {
  DwCase k;
  k.n = irand(1, 2), k.c = irand(1, 4), k.mult = irand(0, 4) == 0 ? 2 : 1;
  k.ih = irand(1, 12), k.iw = irand(0, 3) == 0 ? irand(40, 130) : irand(1, 40);
  k.kh = irand(1, 5), k.kw = irand(1, 5);
  k.sh = irand(1, 3), k.sw = irand(1, 3);
  k.dh = irand(0, 3) == 0 ? irand(2, 3) : 1, k.dw = irand(0, 3) == 0 ? irand(2, 3) : 1;
  k.pt = irand(0, k.kh), k.pb = irand(0, k.kh), k.pl = irand(0, k.kw), k.pr = irand(0, k.kw);
  while (win_out(k.ih, k.kh, k.sh, k.dh, k.pt, k.pb) < 1) k.pb++;
  while (win_out(k.iw, k.kw, k.sw, k.dw, k.pl, k.pr) < 1) k.pr++;
  return k;
}

TEST(dw_random_shapes) {
  int i;
  for (i = 0; i < 400; i++) {
    DwCase k = dw_random();
    int64_t act = irand(0, RT_ACT_TANH);
    CHECK(run_dw(&k, act, (int)irand(0, 1), (int)irand(0, 1), (int)irand(0, 4), irand(0, 7) == 0,
                 irand(0, 7) == 0));
  }
}

TEST(dw_ok) {
  DwCase k = {1, 4, 1, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
  RtConv p = dw_params(&k, 0);
  CHECK(rt_cpu_dw_ok(&p));
  p.group = 2;
  CHECK(!rt_cpu_dw_ok(&p)); /* grouped, not depthwise */
  p.group = 4, p.m = 6;
  CHECK(!rt_cpu_dw_ok(&p)); /* m not a multiple of c */
  p.m = 4, p.in[0] = 3, p.out[0] = 3;
  CHECK(!rt_cpu_dw_ok(&p)); /* 3-D */
}

/* ---- MaxPool and AveragePool */

typedef struct PoolCase {
  int64_t n, c, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, ceil_mode;
} PoolCase;

/* One dim's output size as gpuxc computes it (compiler/ops/spatial.c). */
static int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe,
                        int64_t ceil_mode) {
  int64_t span = in + pb + pe - d * (k - 1) - 1, out;
  if (span < 0) return 0;
  out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + pb) out--;
  return out;
}

static RtPool pool_params(const PoolCase *k, int64_t incl_pad) {
  RtPool p;
  memset(&p, 0, sizeof p);
  p.n = k->n, p.c = k->c;
  p.in[0] = p.out[0] = p.k[0] = p.stride[0] = p.dil[0] = 1;
  p.in[1] = k->ih, p.in[2] = k->iw, p.k[1] = k->kh, p.k[2] = k->kw;
  p.stride[1] = k->sh, p.stride[2] = k->sw, p.dil[1] = k->dh, p.dil[2] = k->dw;
  p.pad_begin[1] = k->pt, p.pad_begin[2] = k->pl, p.pad_end[1] = k->pb, p.pad_end[2] = k->pr;
  p.out[1] = pool_out(k->ih, k->kh, k->sh, k->dh, k->pt, k->pb, k->ceil_mode);
  p.out[2] = pool_out(k->iw, k->kw, k->sw, k->dw, k->pl, k->pr, k->ceil_mode);
  p.count_include_pad = incl_pad;
  return p;
}

/* is_max: MaxPool, else AveragePool with count_include_pad incl_pad. */
static int run_pool(const PoolCase *k, int is_max, int64_t incl_pad, int threads, int bad_values) {
  RtPool p = pool_params(k, incl_pad);
  int64_t nx = p.n * p.c * p.in[1] * p.in[2], ny = p.n * p.c * p.out[1] * p.out[2];
  float *x = rand_guarded(nx), *want = guarded(ny, 0.0f);
  float *y1 = guarded(ny, SENTINEL), *y2 = guarded(ny, SENTINEL);
  int ok = 1;
  CHECK(rt_cpu_pool_ok(&p));
  if (bad_values) poison(x, nx);
  if (is_max) {
    rt_maxpool_f32(&p, x, want);
    rt_cpu_maxpool_f32(&p, x, y1, NULL);
    rt_cpu_maxpool_f32(&p, x, y2, pool_of(threads));
  } else {
    rt_avgpool_f32(&p, x, want);
    rt_cpu_avgpool_f32(&p, x, y1, NULL);
    rt_cpu_avgpool_f32(&p, x, y2, pool_of(threads));
  }
  ok &= check_exact(is_max ? "maxpool" : "avgpool", y1, want, ny);
  ok &= check_exact("pool threads", y2, y1, ny);
  ok &= guards_ok(y1, ny, SENTINEL) && guards_ok(y2, ny, SENTINEL);
  if (!ok)
    fprintf(stderr,
            "  case %s n %lld c %lld in %lldx%lld k %lldx%lld s %lld,%lld d %lld,%lld "
            "pads %lld,%lld,%lld,%lld ceil %lld incl_pad %lld threads %d\n",
            is_max ? "max" : "avg", (long long)k->n, (long long)k->c, (long long)k->ih,
            (long long)k->iw, (long long)k->kh, (long long)k->kw, (long long)k->sh,
            (long long)k->sw, (long long)k->dh, (long long)k->dw, (long long)k->pt,
            (long long)k->pl, (long long)k->pb, (long long)k->pr, (long long)k->ceil_mode,
            (long long)incl_pad, threads);
  release(x), release(want), release(y1), release(y2);
  return ok;
}

/* n, c, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, ceil_mode */
static const PoolCase POOL_CASES[] = {
    {1, 3, 24, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0}, /* ResNet's 3x3/2 */
    {1, 3, 13, 57, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0},
    {2, 2, 12, 40, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0},  /* 2x2/2 */
    {1, 3, 11, 37, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0},  /* 3x3/1 */
    {1, 2, 7, 7, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0, 0},    /* a whole 7x7 plane */
    {1, 2, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0},    /* 1x1 image */
    {1, 2, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},    /* 2x2 image, ceil_mode */
    {1, 2, 2, 3, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 0},    /* window larger than the image */
    {1, 2, 4, 5, 3, 3, 1, 1, 1, 1, 2, 2, 3, 4, 0},    /* pads: windows with no tap inside */
    {1, 2, 10, 35, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1},  /* ceil_mode */
    {1, 2, 11, 36, 3, 3, 2, 2, 1, 1, 1, 0, 0, 1, 1},  /* ceil_mode, asymmetric pads */
    {1, 2, 19, 50, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},  /* stride 3 */
    {1, 2, 15, 47, 3, 3, 1, 2, 2, 2, 2, 2, 2, 2, 0},  /* dilations */
    {1, 2, 9, 60, 2, 5, 2, 3, 1, 2, 1, 2, 0, 1, 1},   /* everything asymmetric */
    {2, 3, 1, 70, 1, 4, 1, 2, 1, 1, 0, 1, 0, 2, 0},   /* 1-D */
    {1, 2, 5, 80, 1, 20, 1, 1, 1, 1, 0, 9, 0, 10, 0}, /* wider than 16 taps */
    {1, 2, 4, 3, 3, 3, 1, 1, 1, 1, 1, 70, 1, 70, 0},  /* more edges than the tables hold */
};

TEST(pool_listed_shapes) {
  size_t i;
  for (i = 0; i < sizeof POOL_CASES / sizeof POOL_CASES[0]; i++) {
    CHECK(run_pool(&POOL_CASES[i], 1, 0, (int)(i % 5), 0));
    CHECK(run_pool(&POOL_CASES[i], 0, 0, (int)((i + 1) % 5), 0));
    CHECK(run_pool(&POOL_CASES[i], 0, 1, (int)((i + 2) % 5), 0));
    CHECK(run_pool(&POOL_CASES[i], 1, 0, (int)((i + 3) % 5), 1));
    CHECK(run_pool(&POOL_CASES[i], 0, 1, (int)((i + 4) % 5), 1));
  }
}

TEST(pool_random_shapes) {
  int i;
  for (i = 0; i < 400; i++) {
    PoolCase k;
    k.n = irand(1, 2), k.c = irand(1, 4);
    k.ih = irand(1, 12), k.iw = irand(0, 3) == 0 ? irand(40, 130) : irand(1, 40);
    k.kh = irand(1, 4), k.kw = irand(1, 4);
    k.sh = irand(1, 3), k.sw = irand(1, 3);
    k.dh = irand(0, 3) == 0 ? 2 : 1, k.dw = irand(0, 3) == 0 ? 2 : 1;
    k.pt = irand(0, k.kh - 1), k.pb = irand(0, k.kh - 1);
    k.pl = irand(0, k.kw - 1), k.pr = irand(0, k.kw - 1);
    k.ceil_mode = irand(0, 1);
    while (pool_out(k.ih, k.kh, k.sh, k.dh, k.pt, k.pb, k.ceil_mode) < 1) k.pb++;
    while (pool_out(k.iw, k.kw, k.sw, k.dw, k.pl, k.pr, k.ceil_mode) < 1) k.pr++;
    CHECK(run_pool(&k, (int)irand(0, 1), irand(0, 1), (int)irand(0, 4), irand(0, 7) == 0));
  }
}

/* ---- global pools */

/* Reference: act(x + b + res) by rt_act_f32, then rt_reduce_f32. */
static void gpool_ref(const RtCpuGlobalPool *p, const float *x, const float *b, const float *res,
                      float *y, int is_max) {
  int64_t planes = p->n * p->c, i;
  float *t = malloc(sizeof(float) * (size_t)(planes * p->spatial + 1));
  RtReduce r;
  memset(&r, 0, sizeof r);
  for (i = 0; i < planes * p->spatial; i++) {
    float v = x[i];
    if (!is_max)
      v = rt_act_f32(v + (b ? b[i / p->spatial % p->c] : 0.0f) + (res ? res[i] : 0.0f), p->act,
                     p->alpha, p->beta);
    t[i] = v;
  }
  r.out_rank = 1, r.out_dims[0] = planes, r.out_strides[0] = p->spatial;
  r.red_rank = 1, r.red_dims[0] = p->spatial, r.red_strides[0] = 1;
  r.op = is_max ? RT_RED_MAX : RT_RED_MEAN;
  rt_reduce_f32(&r, t, y);
  free(t);
}

static int run_gpool(int64_t n, int64_t c, int64_t spatial, int is_max, int64_t act, int with_bias,
                     int with_res, int threads, int bad_values) {
  RtCpuGlobalPool p = {n, c, spatial, is_max ? 0 : act, act_alpha[act], act_beta[act]};
  int64_t nx = n * c * spatial, ny = n * c;
  float *x = rand_guarded(nx), *b = with_bias ? rand_guarded(c) : NULL;
  float *res = with_res ? rand_exact(nx) : NULL, *want = guarded(ny, 0.0f);
  float *y1 = guarded(ny, SENTINEL), *y2 = guarded(ny, SENTINEL);
  int ok = 1;
  if (bad_values) poison(x, nx);
  gpool_ref(&p, x, b, res, want, is_max);
  if (is_max) {
    rt_cpu_global_maxpool_f32(&p, x, y1, NULL);
    rt_cpu_global_maxpool_f32(&p, x, y2, pool_of(threads));
  } else {
    rt_cpu_global_avgpool_f32(&p, x, b, res, y1, NULL);
    rt_cpu_global_avgpool_f32(&p, x, b, res, y2, pool_of(threads));
  }
  ok &= is_max ? check_exact("gmax", y1, want, ny) : check_close("gavg", y1, want, ny);
  ok &= check_exact("gpool threads", y2, y1, ny);
  ok &= guards_ok(y1, ny, SENTINEL) && guards_ok(y2, ny, SENTINEL);
  if (!ok)
    fprintf(stderr, "  case %s n %lld c %lld spatial %lld act %lld bias %d res %d\n",
            is_max ? "max" : "avg", (long long)n, (long long)c, (long long)spatial, (long long)act,
            with_bias, with_res);
  release(x), release(b), free(res), release(want), release(y1), release(y2);
  return ok;
}

TEST(global_pools) {
  static const int64_t SPATIAL[] = {1, 2, 7, 15, 16, 17, 49, 63, 64, 65, 100, 196, 3136};
  size_t i;
  int64_t act;
  for (i = 0; i < sizeof SPATIAL / sizeof SPATIAL[0]; i++) {
    int64_t n = 1 + (int64_t)(i % 2), c = 1 + (int64_t)(i * 5 % 9);
    CHECK(run_gpool(n, c, SPATIAL[i], 1, 0, 0, 0, (int)(i % 5), 0));
    CHECK(run_gpool(n, c, SPATIAL[i], 1, 0, 0, 0, (int)((i + 1) % 5), 1));
    CHECK(run_gpool(n, c, SPATIAL[i], 0, 0, 0, 0, (int)((i + 2) % 5), 0));
    CHECK(run_gpool(n, c, SPATIAL[i], 0, 0, 0, 0, (int)((i + 3) % 5), 1));
    for (act = 0; act <= RT_ACT_TANH; act++)
      CHECK(run_gpool(n, c, SPATIAL[i], 0, act, (int)(act & 1), (int)(act >> 1 & 1),
                      (int)((i + act) % 5), 0));
  }
  CHECK(run_gpool(1, 2048, 49, 0, RT_ACT_RELU, 1, 1, 2, 0)); /* ResNet-50's tail */
  CHECK(run_gpool(1, 1280, 49, 0, 0, 0, 0, 4, 0));           /* MobileNetV2's */
}

int main(void) {
  int t;
  for (t = 1; t <= 4; t++) rt_tp_start(&pools[t], t);
  RUN(dw_listed_shapes);
  RUN(dw_mobilenet_relu6);
  RUN(dw_nan_inf_and_in_place);
  RUN(dw_random_shapes);
  RUN(dw_ok);
  RUN(pool_listed_shapes);
  RUN(pool_random_shapes);
  RUN(global_pools);
  for (t = 1; t <= 4; t++) rt_tp_stop(&pools[t]);
  fprintf(stderr, "largest relative error %.3g (bound %.3g)\n", worst_err, TOL);
  TEST_MAIN_END();
}
