/* test_rt_kernels.c - runtime-mini's kernels against naive references.
 *
 * Every reference here is the obviously-correct loop nest (direct
 * convolution, triple-loop GEMM, per-element index maps), computed in
 * double where it sums. Data come from a small LCG, so runs repeat. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_kernels.h"
#include "rt_scalar.h"
#include "test.h"

/* ---- helpers */

static uint32_t rng = 12345u;

static float frand(void) {
  rng = rng * 1664525u + 1013904223u;
  return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *rand_buf(int64_t n) {
  float *a = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
  int64_t i;
  for (i = 0; i < n; i++) a[i] = frand();
  return a;
}

static float *zero_buf(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(float)); }

/* True if got matches want to a relative tolerance of about 1e-4 (NaNs and
 * infinities must match exactly). */
static int close_f(float got, double want) {
  if (want != want) return got != got;
  if (isinf(want)) return (double)got == want;
  return fabs((double)got - want) <= 1e-4 * (1.0 + fabs(want));
}

/* Compares n floats; reports the first few mismatches. */
static int check_f(const char *what, const float *got, const float *want, int64_t n) {
  int64_t i, bad = 0;
  for (i = 0; i < n; i++) {
    if (close_f(got[i], want[i])) continue;
    if (bad++ < 5)
      fprintf(stderr, "  %s[%lld]: got %.9g, want %.9g\n", what, (long long)i, got[i], want[i]);
  }
  if (bad) fprintf(stderr, "  %s: %lld of %lld differ\n", what, (long long)bad, (long long)n);
  return bad == 0;
}

static const float act_alpha[8] = {0, 0, 0.1f, -0.5f, 0, 0.2f, 0, 0};
static const float act_beta[8] = {0, 0, 0, 0.5f, 0, 0.5f, 0, 0};

/* ---- Conv */

static int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
  return (in + pb + pe - d * (k - 1) - 1) / s + 1;
}

/* A conv from its ONNX attributes (end pads pe give the output size). */
static RtConv mk_conv(int64_t n, int64_t c, int64_t m, int64_t g, const int64_t *in,
                      const int64_t *k, const int64_t *s, const int64_t *d, const int64_t *pb,
                      const int64_t *pe, int64_t act) {
  RtConv p;
  int i;
  memset(&p, 0, sizeof p);
  p.n = n, p.c = c, p.m = m, p.group = g;
  for (i = 0; i < 3; i++) {
    p.in[i] = in[i], p.k[i] = k[i], p.stride[i] = s[i], p.dil[i] = d[i], p.pad_begin[i] = pb[i];
    p.out[i] = conv_out(in[i], k[i], s[i], d[i], pb[i], pe[i]);
  }
  p.act = act, p.alpha = act_alpha[act], p.beta = act_beta[act];
  return p;
}

static void ref_conv(const RtConv *p, const float *x, const float *w, const float *b, float *y) {
  int64_t cg = p->c / p->group, mg = p->m / p->group;
  int64_t n, mo, od, oh, ow, ci, kd, kh, kw;
  for (n = 0; n < p->n; n++)
    for (mo = 0; mo < p->m; mo++)
      for (od = 0; od < p->out[0]; od++)
        for (oh = 0; oh < p->out[1]; oh++)
          for (ow = 0; ow < p->out[2]; ow++) {
            double s = b ? b[mo] : 0.0;
            for (ci = 0; ci < cg; ci++)
              for (kd = 0; kd < p->k[0]; kd++)
                for (kh = 0; kh < p->k[1]; kh++)
                  for (kw = 0; kw < p->k[2]; kw++) {
                    int64_t id = od * p->stride[0] - p->pad_begin[0] + kd * p->dil[0];
                    int64_t ih = oh * p->stride[1] - p->pad_begin[1] + kh * p->dil[1];
                    int64_t iw = ow * p->stride[2] - p->pad_begin[2] + kw * p->dil[2];
                    int64_t xc = n * p->c + mo / mg * cg + ci;
                    if (id < 0 || id >= p->in[0] || ih < 0 || ih >= p->in[1] || iw < 0 ||
                        iw >= p->in[2])
                      continue;
                    s += (double)x[((xc * p->in[0] + id) * p->in[1] + ih) * p->in[2] + iw] *
                         w[(((mo * cg + ci) * p->k[0] + kd) * p->k[1] + kh) * p->k[2] + kw];
                  }
            *y++ = rt_act_f32((float)s, p->act, p->alpha, p->beta);
          }
}

/* Runs one conv against the reference; returns 1 if it matched. */
static int run_conv(const RtConv *p, int with_bias) {
  int64_t in_sp = p->in[0] * p->in[1] * p->in[2], out_sp = p->out[0] * p->out[1] * p->out[2];
  int64_t kvol = p->k[0] * p->k[1] * p->k[2];
  float *x = rand_buf(p->n * p->c * in_sp), *w = rand_buf(p->m * (p->c / p->group) * kvol);
  float *b = with_bias ? rand_buf(p->m) : NULL;
  float *y = zero_buf(p->n * p->m * out_sp), *r = zero_buf(p->n * p->m * out_sp);
  float *scratch = zero_buf(rt_conv_scratch_f32(p));
  int ok;
  rt_conv_f32(p, x, w, b, y, scratch);
  ref_conv(p, x, w, b, r);
  ok = check_f("conv", y, r, p->n * p->m * out_sp);
  free(x), free(w), free(b), free(y), free(r), free(scratch);
  return ok;
}

static const int64_t ONE3[3] = {1, 1, 1}, ZERO3[3] = {0, 0, 0};

TEST(conv_2d_basic) {
  int64_t in[3] = {1, 7, 9}, k[3] = {1, 3, 3}, pad[3] = {0, 1, 1};
  RtConv p = mk_conv(2, 3, 5, 1, in, k, ONE3, ONE3, pad, pad, RT_ACT_NONE);
  CHECK(run_conv(&p, 1));
  CHECK(run_conv(&p, 0));
  CHECK(rt_conv_scratch_f32(&p) == 3 * 9 * 7 * 9);
}

TEST(conv_2d_stride_dil_asym_pads) {
  int64_t in[3] = {1, 11, 13}, k[3] = {1, 3, 2}, s[3] = {1, 2, 3}, d[3] = {1, 2, 1};
  int64_t pb[3] = {0, 0, 1}, pe[3] = {0, 2, 0};
  RtConv p = mk_conv(1, 4, 6, 1, in, k, s, d, pb, pe, RT_ACT_RELU);
  CHECK(run_conv(&p, 1));
}

TEST(conv_groups) {
  int64_t in[3] = {1, 6, 5}, k[3] = {1, 3, 2}, pb[3] = {0, 1, 0}, pe[3] = {0, 1, 1};
  RtConv p = mk_conv(2, 6, 4, 2, in, k, ONE3, ONE3, pb, pe, RT_ACT_NONE);
  CHECK(run_conv(&p, 1));
  p = mk_conv(1, 4, 2, 2, in, k, ONE3, ONE3, pb, pe, RT_ACT_NONE); /* one output per group */
  CHECK(run_conv(&p, 1));
}

TEST(conv_depthwise) {
  int64_t in[3] = {1, 9, 10}, k[3] = {1, 3, 3}, s[3] = {1, 2, 2}, d[3] = {1, 2, 1};
  int64_t pad[3] = {0, 1, 1};
  RtConv p = mk_conv(2, 5, 5, 5, in, k, s, ONE3, pad, pad, RT_ACT_CLIP);
  CHECK(rt_conv_scratch_f32(&p) == 0);
  CHECK(run_conv(&p, 1));
  p = mk_conv(1, 3, 3, 3, in, k, ONE3, d, pad, pad, RT_ACT_NONE);
  CHECK(run_conv(&p, 0));
  /* wide rows exercise the vectorized taps */
  in[2] = 45, s[2] = 1;
  p = mk_conv(1, 2, 2, 2, in, k, s, ONE3, pad, pad, RT_ACT_NONE);
  CHECK(run_conv(&p, 1));
  k[2] = 17; /* too wide for the depthwise route: im2col */
  p = mk_conv(1, 2, 2, 2, in, k, s, ONE3, pad, pad, RT_ACT_NONE);
  CHECK(rt_conv_scratch_f32(&p) > 0);
  CHECK(run_conv(&p, 1));
}

TEST(conv_pointwise) {
  int64_t in[3] = {1, 5, 7};
  RtConv p = mk_conv(2, 7, 9, 1, in, ONE3, ONE3, ONE3, ZERO3, ZERO3, RT_ACT_LEAKY_RELU);
  CHECK(rt_conv_scratch_f32(&p) == 0);
  CHECK(run_conv(&p, 1));
  p = mk_conv(1, 8, 4, 4, in, ONE3, ONE3, ONE3, ZERO3, ZERO3, RT_ACT_NONE);
  CHECK(rt_conv_scratch_f32(&p) == 0);
  CHECK(run_conv(&p, 1));
}

TEST(conv_1d_and_3d) {
  int64_t in1[3] = {1, 1, 23}, k1[3] = {1, 1, 5}, s1[3] = {1, 1, 3}, pb1[3] = {0, 0, 2};
  int64_t pe1[3] = {0, 0, 1};
  int64_t in3[3] = {5, 6, 7}, k3[3] = {3, 2, 3}, s3[3] = {2, 1, 2}, d3[3] = {1, 2, 1};
  int64_t pb3[3] = {1, 0, 1}, pe3[3] = {0, 1, 1};
  RtConv p = mk_conv(2, 3, 4, 1, in1, k1, s1, ONE3, pb1, pe1, RT_ACT_TANH);
  CHECK(run_conv(&p, 1));
  p = mk_conv(1, 3, 5, 1, in3, k3, s3, d3, pb3, pe3, RT_ACT_NONE);
  CHECK(run_conv(&p, 1));
  p = mk_conv(1, 4, 4, 4, in3, k3, s3, d3, pb3, pe3, RT_ACT_NONE); /* 3-D depthwise */
  CHECK(run_conv(&p, 1));
}

TEST(conv_large_blocks) {
  /* k = 40 * 9 > KC and m = 70 > MC: several blocks of the GEMM core */
  int64_t in[3] = {1, 9, 11}, k[3] = {1, 3, 3}, pad[3] = {0, 1, 1};
  RtConv p = mk_conv(1, 40, 70, 1, in, k, ONE3, ONE3, pad, pad, RT_ACT_RELU);
  CHECK(run_conv(&p, 1));
  /* a single output position: the matrix-vector path */
  in[1] = 3, in[2] = 3;
  p = mk_conv(2, 6, 5, 1, in, k, ONE3, ONE3, ZERO3, ZERO3, RT_ACT_NONE);
  CHECK(run_conv(&p, 1));
}

TEST(conv_every_act) {
  int64_t in[3] = {1, 6, 7}, k[3] = {1, 3, 3}, pad[3] = {0, 1, 1}, act;
  for (act = 0; act <= RT_ACT_TANH; act++) {
    RtConv p = mk_conv(1, 3, 4, 1, in, k, ONE3, ONE3, pad, pad, act);
    RtConv q = mk_conv(1, 3, 3, 3, in, k, ONE3, ONE3, pad, pad, act);
    CHECK(run_conv(&p, 1));
    CHECK(run_conv(&q, 1));
  }
}

/* ---- ConvTranspose */

static RtConvTranspose mk_convt(int64_t n, int64_t c, int64_t m, int64_t g, const int64_t *in,
                                const int64_t *k, const int64_t *s, const int64_t *d,
                                const int64_t *pb, const int64_t *pe, const int64_t *opad,
                                int64_t act) {
  RtConvTranspose p;
  int i;
  memset(&p, 0, sizeof p);
  p.n = n, p.c = c, p.m = m, p.group = g;
  for (i = 0; i < 3; i++) {
    p.in[i] = in[i], p.k[i] = k[i], p.stride[i] = s[i], p.dil[i] = d[i], p.pad_begin[i] = pb[i];
    p.out[i] = (in[i] - 1) * s[i] - pb[i] - pe[i] + d[i] * (k[i] - 1) + 1 + opad[i];
  }
  p.act = act, p.alpha = act_alpha[act], p.beta = act_beta[act];
  return p;
}

/* Direct scatter: every input element times every tap. */
static void ref_convt(const RtConvTranspose *p, const float *x, const float *w, const float *b,
                      float *y) {
  int64_t cg = p->c / p->group, mg = p->m / p->group;
  int64_t out_sp = p->out[0] * p->out[1] * p->out[2], total = p->n * p->m * out_sp, i;
  int64_t n, ci, id, ih, iw, co, kd, kh, kw;
  double *acc = calloc((size_t)total, sizeof(double));
  for (n = 0; n < p->n; n++)
    for (ci = 0; ci < p->c; ci++)
      for (id = 0; id < p->in[0]; id++)
        for (ih = 0; ih < p->in[1]; ih++)
          for (iw = 0; iw < p->in[2]; iw++)
            for (co = 0; co < mg; co++)
              for (kd = 0; kd < p->k[0]; kd++)
                for (kh = 0; kh < p->k[1]; kh++)
                  for (kw = 0; kw < p->k[2]; kw++) {
                    int64_t od = id * p->stride[0] - p->pad_begin[0] + kd * p->dil[0];
                    int64_t oh = ih * p->stride[1] - p->pad_begin[1] + kh * p->dil[1];
                    int64_t ow = iw * p->stride[2] - p->pad_begin[2] + kw * p->dil[2];
                    int64_t mo = ci / cg * mg + co;
                    float xv =
                        x[(((n * p->c + ci) * p->in[0] + id) * p->in[1] + ih) * p->in[2] + iw];
                    float wv = w[(((ci * mg + co) * p->k[0] + kd) * p->k[1] + kh) * p->k[2] + kw];
                    if (od < 0 || od >= p->out[0] || oh < 0 || oh >= p->out[1] || ow < 0 ||
                        ow >= p->out[2])
                      continue;
                    acc[(((n * p->m + mo) * p->out[0] + od) * p->out[1] + oh) * p->out[2] + ow] +=
                        (double)xv * wv;
                  }
  for (i = 0; i < total; i++) {
    double v = acc[i] + (b ? b[i / out_sp % p->m] : 0.0f);
    y[i] = rt_act_f32((float)v, p->act, p->alpha, p->beta);
  }
  free(acc);
}

static int run_convt(const RtConvTranspose *p, int with_bias) {
  int64_t in_sp = p->in[0] * p->in[1] * p->in[2], out_sp = p->out[0] * p->out[1] * p->out[2];
  int64_t kvol = p->k[0] * p->k[1] * p->k[2];
  float *x = rand_buf(p->n * p->c * in_sp), *w = rand_buf(p->c * (p->m / p->group) * kvol);
  float *b = with_bias ? rand_buf(p->m) : NULL;
  float *y = zero_buf(p->n * p->m * out_sp), *r = zero_buf(p->n * p->m * out_sp);
  float *scratch = zero_buf(rt_conv_transpose_scratch_f32(p));
  int ok;
  rt_conv_transpose_f32(p, x, w, b, y, scratch);
  ref_convt(p, x, w, b, r);
  ok = check_f("convt", y, r, p->n * p->m * out_sp);
  free(x), free(w), free(b), free(y), free(r), free(scratch);
  return ok;
}

TEST(conv_transpose) {
  int64_t in[3] = {1, 5, 6}, k[3] = {1, 3, 3}, s[3] = {1, 2, 2}, pb[3] = {0, 1, 1};
  int64_t pe[3] = {0, 1, 0}, opad[3] = {0, 1, 1}, d[3] = {1, 2, 1};
  int64_t in1[3] = {1, 1, 9}, k1[3] = {1, 1, 4}, s1[3] = {1, 1, 3}, pb1[3] = {0, 0, 2};
  int64_t in3[3] = {3, 4, 3}, k3[3] = {2, 3, 2}, s3[3] = {2, 1, 2};
  RtConvTranspose p = mk_convt(2, 4, 6, 2, in, k, s, ONE3, pb, pe, opad, RT_ACT_NONE);
  CHECK(run_convt(&p, 1));
  p = mk_convt(1, 3, 2, 1, in, k, s, d, pb, pb, ZERO3, RT_ACT_RELU);
  CHECK(run_convt(&p, 1));
  p = mk_convt(1, 2, 3, 1, in1, k1, s1, ONE3, pb1, ZERO3, ZERO3, RT_ACT_SIGMOID);
  CHECK(run_convt(&p, 0));
  p = mk_convt(1, 2, 2, 1, in3, k3, s3, ONE3, ZERO3, ZERO3, ONE3, RT_ACT_NONE);
  CHECK(run_convt(&p, 1));
  p = mk_convt(2, 5, 3, 1, in, ONE3, ONE3, ONE3, ZERO3, ZERO3, ZERO3, RT_ACT_HARD_SWISH);
  CHECK(rt_conv_transpose_scratch_f32(&p) == 0);
  CHECK(run_convt(&p, 1));
  p = mk_convt(1, 3, 3, 3, in, k, s, ONE3, pb, pe, opad, RT_ACT_NONE); /* depthwise */
  CHECK(run_convt(&p, 1));
  in[2] = 19, s[1] = 1, s[2] = 1; /* unit stride: the vectorized scatter */
  p = mk_convt(1, 3, 4, 1, in, k, s, ONE3, pb, pe, ZERO3, RT_ACT_NONE);
  CHECK(run_convt(&p, 1));
}

/* ---- Gemm and MatMul */

/* y = act(alpha A' B' + beta C) in double. */
static void ref_gemm(const RtGemm *p, const float *a, const float *b, const float *c, float *y) {
  int64_t i, j, q;
  for (i = 0; i < p->m; i++)
    for (j = 0; j < p->n; j++) {
      double s = 0;
      for (q = 0; q < p->k; q++) {
        double av = p->trans_a ? a[q * p->m + i] : a[i * p->k + q];
        double bv = p->trans_b ? b[j * p->k + q] : b[q * p->n + j];
        s += av * bv;
      }
      s *= p->alpha;
      if (c && p->beta != 0) s += (double)p->beta * c[i * p->c_rs + j * p->c_cs];
      y[i * p->n + j] = rt_act_f32((float)s, p->act, p->act_alpha, p->act_beta);
    }
}

/* c_shape: 0 none, 1 full, 2 row [n], 3 column [m, 1], 4 scalar. */
static int run_gemm(int64_t m, int64_t n, int64_t k, int ta, int tb, int c_shape, int64_t act) {
  RtGemm p;
  float *a = rand_buf(m * k), *b = rand_buf(k * n), *c = rand_buf(m * n);
  float *y = zero_buf(m * n), *r = zero_buf(m * n);
  int ok;
  memset(&p, 0, sizeof p);
  p.m = m, p.n = n, p.k = k, p.trans_a = ta, p.trans_b = tb;
  p.alpha = 0.75f, p.beta = c_shape ? 1.5f : 0.0f;
  p.c_rs = c_shape == 1 ? n : c_shape == 3 ? 1 : 0;
  p.c_cs = c_shape == 1 || c_shape == 2 ? 1 : 0;
  p.act = act, p.act_alpha = act_alpha[act], p.act_beta = act_beta[act];
  rt_gemm_f32(&p, a, b, c_shape ? c : NULL, y);
  ref_gemm(&p, a, b, c_shape ? c : NULL, r);
  ok = check_f("gemm", y, r, m * n);
  free(a), free(b), free(c), free(y), free(r);
  return ok;
}

TEST(gemm_shapes_and_transposes) {
  static const int64_t shapes[][3] = {{1, 1, 1},     {3, 5, 7},    {17, 33, 300}, {64, 70, 513},
                                      {120, 9, 256}, {5, 40, 257}, {1, 300, 70},  {90, 1, 33},
                                      {1, 1, 50},    {2, 3, 1},    {4, 8, 4}};
  int s, t;
  for (s = 0; s < (int)(sizeof shapes / sizeof shapes[0]); s++)
    for (t = 0; t < 4; t++)
      CHECK(run_gemm(shapes[s][0], shapes[s][1], shapes[s][2], t & 1, t >> 1, 0, RT_ACT_NONE));
}

TEST(gemm_c_broadcast_and_act) {
  int cs;
  int64_t act;
  for (cs = 0; cs <= 4; cs++) {
    CHECK(run_gemm(13, 21, 19, 0, 1, cs, RT_ACT_NONE));
    CHECK(run_gemm(1, 21, 19, 1, 0, cs, RT_ACT_RELU));
    CHECK(run_gemm(13, 1, 19, 0, 0, cs, RT_ACT_NONE));
  }
  for (act = 0; act <= RT_ACT_TANH; act++) CHECK(run_gemm(9, 18, 11, 0, 0, 1, act));
}

TEST(gemm_k_zero_and_in_place) {
  RtGemm p;
  float c[6] = {1, 2, 3, 4, 5, 6}, y[6], b[1] = {0}, a[1] = {0};
  float want[6];
  int i;
  memset(&p, 0, sizeof p);
  p.m = 2, p.n = 3, p.k = 0, p.alpha = 1.0f, p.beta = 2.0f, p.c_rs = 3, p.c_cs = 1;
  rt_gemm_f32(&p, a, b, c, y);
  for (i = 0; i < 6; i++) CHECK(y[i] == 2.0f * c[i]);
  rt_gemm_f32(&p, a, b, NULL, y);
  for (i = 0; i < 6; i++) CHECK(y[i] == 0.0f);
  /* y aliasing C */
  {
    float *aa = rand_buf(2 * 5), *bb = rand_buf(5 * 3), *cc = rand_buf(6);
    p.k = 5;
    ref_gemm(&p, aa, bb, cc, want);
    rt_gemm_f32(&p, aa, bb, cc, cc);
    CHECK(check_f("gemm in place", cc, want, 6));
    free(aa), free(bb), free(cc);
  }
}

static void ref_matmul(const RtMatMul *p, const float *a, const float *b, const float *bias,
                       float *y) {
  int64_t idx[6] = {0}, nb = 1, t, j, i, q, r;
  for (j = 0; j < p->batch_rank; j++) nb *= p->batch[j];
  for (t = 0; t < nb; t++) {
    int64_t ao = 0, bo = 0, rem = t;
    for (j = p->batch_rank - 1; j >= 0; j--) idx[j] = rem % p->batch[j], rem /= p->batch[j];
    for (j = 0; j < p->batch_rank; j++)
      ao += idx[j] * p->a_bstride[j], bo += idx[j] * p->b_bstride[j];
    for (i = 0; i < p->m; i++)
      for (r = 0; r < p->n; r++) {
        double s = bias ? bias[r] : 0.0f;
        for (q = 0; q < p->k; q++) s += (double)a[ao + i * p->k + q] * b[bo + q * p->n + r];
        y[(t * p->m + i) * p->n + r] = rt_act_f32((float)s, p->act, p->alpha, p->beta);
      }
  }
}

/* batch dims of A and B given separately (1 = broadcast); strides dense. */
static int run_matmul(int64_t rank, const int64_t *ab, const int64_t *bb, int64_t m, int64_t n,
                      int64_t k, int with_bias, int64_t act) {
  RtMatMul p;
  int64_t j, na = 1, nbb = 1, ny = 1, sa = m * k, sb = k * n;
  float *a, *b, *bias, *y, *r;
  int ok;
  memset(&p, 0, sizeof p);
  p.m = m, p.n = n, p.k = k, p.batch_rank = rank;
  for (j = rank - 1; j >= 0; j--) {
    p.batch[j] = ab[j] > bb[j] ? ab[j] : bb[j];
    p.a_bstride[j] = ab[j] == 1 ? 0 : sa;
    p.b_bstride[j] = bb[j] == 1 ? 0 : sb;
    sa *= ab[j], sb *= bb[j];
    na *= ab[j], nbb *= bb[j], ny *= p.batch[j];
  }
  p.act = act, p.alpha = act_alpha[act], p.beta = act_beta[act];
  a = rand_buf(na * m * k), b = rand_buf(nbb * k * n), bias = with_bias ? rand_buf(n) : NULL;
  y = zero_buf(ny * m * n), r = zero_buf(ny * m * n);
  rt_matmul_f32(&p, a, b, bias, y);
  ref_matmul(&p, a, b, bias, r);
  ok = check_f("matmul", y, r, ny * m * n);
  free(a), free(b), free(bias), free(y), free(r);
  return ok;
}

TEST(matmul_batches) {
  int64_t one[1] = {1}, a23[2] = {2, 3}, a13[2] = {1, 3}, a21[2] = {2, 1}, a11[2] = {1, 1};
  int64_t a4[1] = {4};
  CHECK(run_matmul(0, one, one, 7, 9, 11, 1, RT_ACT_NONE));
  CHECK(run_matmul(2, a23, a23, 5, 6, 7, 0, RT_ACT_NONE));
  CHECK(run_matmul(2, a13, a21, 5, 6, 7, 1, RT_ACT_RELU));          /* both broadcast */
  CHECK(run_matmul(2, a23, a11, 3, 20, 9, 1, RT_ACT_NONE));         /* B shared: folded */
  CHECK(run_matmul(2, a11, a23, 3, 20, 9, 0, RT_ACT_NONE));         /* A shared */
  CHECK(run_matmul(1, a4, one, 1, 33, 17, 1, RT_ACT_HARD_SIGMOID)); /* rows of 1 */
  CHECK(run_matmul(1, a4, a4, 1, 33, 17, 1, RT_ACT_NONE));
  CHECK(run_matmul(1, a4, a4, 6, 1, 17, 1, RT_ACT_NONE));
  CHECK(run_matmul(1, a4, a4, 6, 5, 0, 1, RT_ACT_NONE)); /* k = 0: bias only */
}

TEST(matmul_sparse_batch_stride) {
  /* A's batches are every other matrix of its buffer and B is shared: the
   * batches must not be folded into one GEMM. */
  RtMatMul p;
  float *a = rand_buf(6 * 4 * 5), *b = rand_buf(5 * 7), *y = zero_buf(3 * 4 * 7);
  float *r = zero_buf(3 * 4 * 7);
  memset(&p, 0, sizeof p);
  p.m = 4, p.n = 7, p.k = 5, p.batch_rank = 1, p.batch[0] = 3;
  p.a_bstride[0] = 2 * 4 * 5, p.b_bstride[0] = 0;
  rt_matmul_f32(&p, a, b, NULL, y);
  ref_matmul(&p, a, b, NULL, r);
  CHECK(check_f("matmul", y, r, 3 * 4 * 7));
  free(a), free(b), free(y), free(r);
}

/* ---- pooling */

static RtPool mk_pool(int64_t n, int64_t c, const int64_t *in, const int64_t *k, const int64_t *s,
                      const int64_t *d, const int64_t *pb, const int64_t *pe, int ceil_mode,
                      int64_t include_pad) {
  RtPool p;
  int i;
  memset(&p, 0, sizeof p);
  p.n = n, p.c = c, p.count_include_pad = include_pad;
  for (i = 0; i < 3; i++) {
    int64_t span = in[i] + pb[i] + pe[i] - d[i] * (k[i] - 1) - 1;
    p.in[i] = in[i], p.k[i] = k[i], p.stride[i] = s[i], p.dil[i] = d[i];
    p.pad_begin[i] = pb[i], p.pad_end[i] = pe[i];
    p.out[i] = (ceil_mode ? (span + s[i] - 1) / s[i] : span / s[i]) + 1;
  }
  return p;
}

/* Every tap of every window, tested position by position. */
static void ref_pool(const RtPool *p, const float *x, float *y, int is_max) {
  int64_t nc, od, oh, ow, kd, kh, kw;
  for (nc = 0; nc < p->n * p->c; nc++)
    for (od = 0; od < p->out[0]; od++)
      for (oh = 0; oh < p->out[1]; oh++)
        for (ow = 0; ow < p->out[2]; ow++) {
          double m = -3.40282346638528859812e+38, s = 0;
          int64_t cnt = 0, cnt_pad = 0;
          for (kd = 0; kd < p->k[0]; kd++)
            for (kh = 0; kh < p->k[1]; kh++)
              for (kw = 0; kw < p->k[2]; kw++) {
                int64_t pos[3], i, in = 1, inpad = 1;
                pos[0] = od * p->stride[0] - p->pad_begin[0] + kd * p->dil[0];
                pos[1] = oh * p->stride[1] - p->pad_begin[1] + kh * p->dil[1];
                pos[2] = ow * p->stride[2] - p->pad_begin[2] + kw * p->dil[2];
                for (i = 0; i < 3; i++) {
                  in &= pos[i] >= 0 && pos[i] < p->in[i];
                  inpad &= pos[i] >= -p->pad_begin[i] && pos[i] < p->in[i] + p->pad_end[i];
                }
                cnt_pad += inpad;
                if (!in) continue;
                {
                  float v = x[((nc * p->in[0] + pos[0]) * p->in[1] + pos[1]) * p->in[2] + pos[2]];
                  if (v > m) m = v;
                  s += v;
                  cnt++;
                }
              }
          *y++ = is_max ? (float)m : (float)(s / (double)(p->count_include_pad ? cnt_pad : cnt));
        }
}

static int run_pool(const RtPool *p) {
  int64_t nin = p->n * p->c * p->in[0] * p->in[1] * p->in[2];
  int64_t nout = p->n * p->c * p->out[0] * p->out[1] * p->out[2];
  float *x = rand_buf(nin), *y = zero_buf(nout), *r = zero_buf(nout);
  int ok;
  rt_maxpool_f32(p, x, y);
  ref_pool(p, x, r, 1);
  ok = check_f("maxpool", y, r, nout);
  rt_avgpool_f32(p, x, y);
  ref_pool(p, x, r, 0);
  ok &= check_f("avgpool", y, r, nout);
  free(x), free(y), free(r);
  return ok;
}

TEST(pool_options) {
  int64_t in[3] = {1, 9, 10}, k[3] = {1, 3, 3}, s[3] = {1, 2, 2}, d[3] = {1, 2, 1};
  int64_t pb[3] = {0, 1, 0}, pe[3] = {0, 0, 2}, k2[3] = {1, 2, 2};
  int64_t in1[3] = {1, 1, 17}, k1[3] = {1, 1, 4}, s1[3] = {1, 1, 3}, pb1[3] = {0, 0, 2};
  int64_t in3[3] = {4, 5, 6}, k3[3] = {2, 3, 2}, s3[3] = {2, 1, 2};
  int64_t inw[3] = {1, 2, 40}, kw[3] = {1, 1, 17};
  int ceil_mode, inc;
  for (ceil_mode = 0; ceil_mode < 2; ceil_mode++)
    for (inc = 0; inc < 2; inc++) {
      RtPool p = mk_pool(2, 3, in, k, s, ONE3, pb, pe, ceil_mode, inc);
      CHECK(run_pool(&p));
      p = mk_pool(1, 2, in, k, s, d, pb, pe, ceil_mode, inc);
      CHECK(run_pool(&p));
      p = mk_pool(1, 2, in, k2, k2, ONE3, ZERO3, ZERO3, ceil_mode, inc);
      CHECK(run_pool(&p));
      p = mk_pool(2, 2, in1, k1, s1, ONE3, pb1, pb1, ceil_mode, inc);
      CHECK(run_pool(&p));
      p = mk_pool(1, 3, in3, k3, s3, ONE3, ONE3, ZERO3, ceil_mode, inc);
      CHECK(run_pool(&p));
      p = mk_pool(1, 2, inw, kw, s1, ONE3, pb1, pb1, ceil_mode, inc); /* wide window */
      CHECK(run_pool(&p));
    }
}

/* ---- Softmax, LayerNorm, BatchNorm */

static void ref_softmax(const RtSoftmax *p, const float *x, float *y) {
  int64_t o, l, i;
  for (o = 0; o < p->outer; o++)
    for (i = 0; i < p->inner; i++) {
      const float *xr = x + o * p->len * p->inner + i;
      float *yr = y + o * p->len * p->inner + i;
      double mx = -INFINITY, s = 0;
      for (l = 0; l < p->len; l++) mx = xr[l * p->inner] > mx ? xr[l * p->inner] : mx;
      for (l = 0; l < p->len; l++) s += exp(xr[l * p->inner] - mx);
      for (l = 0; l < p->len; l++)
        yr[l * p->inner] = p->log ? (float)(xr[l * p->inner] - mx - log(s))
                                  : (float)(exp(xr[l * p->inner] - mx) / s);
    }
}

TEST(softmax) {
  static const int64_t shapes[][3] = {{3, 7, 1}, {2, 300, 1}, {3, 7, 70}, {2, 5, 3}, {1, 1, 1}};
  int s, lg;
  for (s = 0; s < 5; s++)
    for (lg = 0; lg < 2; lg++) {
      RtSoftmax p;
      int64_t n = shapes[s][0] * shapes[s][1] * shapes[s][2], i;
      float *x = rand_buf(n), *y = zero_buf(n), *r = zero_buf(n);
      p.outer = shapes[s][0], p.len = shapes[s][1], p.inner = shapes[s][2], p.log = lg;
      for (i = 0; i < n; i++) x[i] = x[i] * 20.0f + (i % 3 == 0 ? 1000.0f : 0.0f);
      rt_softmax_f32(&p, x, y);
      ref_softmax(&p, x, r);
      CHECK(check_f("softmax", y, r, n));
      rt_softmax_f32(&p, x, x); /* in place */
      CHECK(check_f("softmax in place", x, r, n));
      free(x), free(y), free(r);
    }
}

TEST(layernorm) {
  static const int64_t shapes[][2] = {{5, 37}, {2, 1000}, {3, 1}, {4, 16}};
  int s, v;
  for (s = 0; s < 4; s++)
    for (v = 0; v < 4; v++) {
      RtLayerNorm p;
      int64_t o, j, n;
      float *x, *sc, *bi, *y, *r, *mean, *inv;
      p.outer = shapes[s][0], p.len = shapes[s][1], p.eps = 1e-5f, n = p.outer * p.len;
      x = rand_buf(n), sc = rand_buf(p.len), bi = rand_buf(p.len);
      y = zero_buf(n), r = zero_buf(n), mean = zero_buf(p.outer), inv = zero_buf(p.outer);
      for (j = 0; j < n; j++) x[j] = x[j] * 3.0f + 5.0f;
      rt_layernorm_f32(&p, x, v & 1 ? sc : NULL, v & 2 ? bi : NULL, y, v ? mean : NULL,
                       v ? inv : NULL);
      for (o = 0; o < p.outer; o++) {
        double mu = 0, var = 0, is;
        for (j = 0; j < p.len; j++) mu += x[o * p.len + j];
        mu /= (double)p.len;
        for (j = 0; j < p.len; j++) var += (x[o * p.len + j] - mu) * (x[o * p.len + j] - mu);
        is = 1.0 / sqrt(var / (double)p.len + p.eps);
        for (j = 0; j < p.len; j++)
          r[o * p.len + j] =
              (float)((x[o * p.len + j] - mu) * is * (v & 1 ? sc[j] : 1.0) + (v & 2 ? bi[j] : 0.0));
        if (v) CHECK(close_f(mean[o], mu) && close_f(inv[o], is));
      }
      CHECK(check_f("layernorm", y, r, n));
      free(x), free(sc), free(bi), free(y), free(r), free(mean), free(inv);
    }
}

TEST(batchnorm) {
  RtBatchNorm p;
  int64_t n = 2 * 3 * 10, i;
  float *x = rand_buf(n), *sc = rand_buf(3), *bi = rand_buf(3), *mu = rand_buf(3);
  float *var = rand_buf(3), *y = zero_buf(n), *r = zero_buf(n);
  p.n = 2, p.c = 3, p.inner = 10, p.eps = 1e-3f;
  for (i = 0; i < 3; i++) var[i] = fabsf(var[i]);
  rt_batchnorm_f32(&p, x, sc, bi, mu, var, y);
  for (i = 0; i < n; i++) {
    int64_t c = i / 10 % 3;
    r[i] = (float)((x[i] - mu[c]) / sqrt((double)var[c] + p.eps) * sc[c] + bi[c]);
  }
  CHECK(check_f("batchnorm", y, r, n));
  free(x), free(sc), free(bi), free(mu), free(var), free(y), free(r);
}

/* ---- Copy, Gather, Pad */

/* The copy by its definition: every index, offsets summed from scratch. */
static void ref_copy(const RtCopy *p, const unsigned char *x, unsigned char *y) {
  int64_t total = 1, t, d;
  for (d = 0; d < p->rank; d++) total *= p->dims[d];
  for (t = 0; t < total; t++) {
    int64_t rem = t, so = p->src_offset, dof = p->dst_offset;
    for (d = p->rank - 1; d >= 0; d--) {
      int64_t i = rem % p->dims[d];
      rem /= p->dims[d];
      so += i * p->src_strides[d], dof += i * p->dst_strides[d];
    }
    memcpy(y + dof * p->elem, x + so * p->elem, (size_t)p->elem);
  }
}

static int run_copy(int64_t rank, const int64_t *dims, const int64_t *ss, const int64_t *ds,
                    int64_t so, int64_t dof, int64_t elem, int64_t src_n, int64_t dst_n) {
  RtCopy p;
  unsigned char *x = malloc((size_t)(src_n * elem)), *y = malloc((size_t)(dst_n * elem));
  unsigned char *r = malloc((size_t)(dst_n * elem));
  int64_t i;
  int ok;
  memset(&p, 0, sizeof p);
  p.rank = rank, p.src_offset = so, p.dst_offset = dof, p.elem = elem;
  for (i = 0; i < rank; i++)
    p.dims[i] = dims[i], p.src_strides[i] = ss[i], p.dst_strides[i] = ds[i];
  for (i = 0; i < src_n * elem; i++) x[i] = (unsigned char)(i * 7 + 3);
  memset(y, 0xAB, (size_t)(dst_n * elem)), memset(r, 0xAB, (size_t)(dst_n * elem));
  rt_copy(&p, x, y);
  ref_copy(&p, x, r);
  ok = memcmp(y, r, (size_t)(dst_n * elem)) == 0;
  free(x), free(y), free(r);
  return ok;
}

TEST(copy_strided) {
  int64_t d1[3] = {4, 2, 3}, s1[3] = {1, 12, 4}, t1[3] = {6, 3, 1};        /* transpose */
  int64_t d2[1] = {5}, s2[1] = {-2}, t2[1] = {1};                          /* reversed slice */
  int64_t d3[2] = {3, 4}, s3[2] = {0, 1}, s3b[2] = {1, 0}, t3[2] = {4, 1}; /* expand */
  int64_t d4[2] = {2, 3}, s4[2] = {3, 1}, t4[2] = {5, 1};                  /* into a concat */
  int64_t d5[2] = {3, 4}, s5[2] = {-4, -1}, t5[2] = {1, 3};                /* both negative */
  int64_t d6[2] = {3, 0};
  int64_t d7[3] = {2, 20, 37}, s7[3] = {740, 1, 20}, t7[3] = {740, 37, 1}; /* tiled */
  int64_t e;
  for (e = 1; e <= 8; e *= 2) {
    CHECK(run_copy(3, d1, s1, t1, 0, 0, e, 24, 24));
    CHECK(run_copy(1, d2, s2, t2, 9, 0, e, 10, 5));
    CHECK(run_copy(2, d3, s3, t3, 0, 0, e, 4, 12));
    CHECK(run_copy(2, d3, s3b, t3, 0, 0, e, 3, 12));
    CHECK(run_copy(2, d4, s4, t4, 0, 2, e, 6, 10));
    CHECK(run_copy(2, d5, s5, t5, 11, 0, e, 12, 12));
    CHECK(run_copy(0, d1, s1, t1, 2, 1, e, 3, 2));
    CHECK(run_copy(2, d6, s4, t4, 0, 0, e, 6, 6));
    CHECK(run_copy(3, d7, s7, t7, 0, 0, e, 1480, 1480));
    CHECK(run_copy(2, d7 + 1, s7 + 1, t7 + 1, 0, 0, e, 740, 740));
  }
}

TEST(gather) {
  int64_t i64[6] = {0, -1, 4, 7, -6, 2};
  int32_t i32[6] = {0, -1, 4, 7, -6, 2};
  int64_t e, o, t, j;
  for (e = 1; e <= 8; e *= 2) {
    RtGather p;
    unsigned char x[2 * 5 * 3 * 8], y[2 * 6 * 3 * 8], r[2 * 6 * 3 * 8];
    int w;
    p.outer = 2, p.axis_len = 5, p.inner = 3, p.nidx = 6, p.elem = e;
    for (j = 0; j < (int64_t)sizeof x; j++) x[j] = (unsigned char)(j * 5 + 1);
    memset(r, 0, sizeof r);
    for (o = 0; o < 2; o++)
      for (t = 0; t < 6; t++) {
        int64_t i = i64[t] < 0 ? i64[t] + 5 : i64[t];
        if (i >= 0 && i < 5)
          memcpy(r + (o * 6 + t) * 3 * e, x + (o * 5 + i) * 3 * e, (size_t)(3 * e));
      }
    for (w = 0; w < 2; w++) {
      p.idx_i32 = w;
      memset(y, 0xCD, sizeof y);
      rt_gather(&p, x, w ? (const void *)i32 : (const void *)i64, y);
      CHECK(memcmp(y, r, (size_t)(2 * 6 * 3 * e)) == 0);
    }
  }
}

/* The input index output index o reads, by bouncing/clamping/wrapping one
 * step at a time; -1 for the constant. */
static int64_t ref_pad_map(int64_t o, int64_t pb, int64_t n, int64_t mode) {
  int64_t i = o - pb;
  if (i >= 0 && i < n) return i;
  if (mode == 0) return -1;
  if (mode == 2) return i < 0 ? 0 : n - 1;
  if (mode == 3) {
    while (i < 0) i += n;
    while (i >= n) i -= n;
    return i;
  }
  if (n == 1) return 0;
  while (i < 0 || i >= n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
  }
  return i;
}

static int run_pad(int64_t rank, const int64_t *in, const int64_t *pb, const int64_t *pe,
                   int64_t mode, int64_t elem, const void *value) {
  RtPad p;
  int64_t nin = 1, nout = 1, d, t;
  unsigned char *x, *y, *r;
  int ok;
  memset(&p, 0, sizeof p);
  p.rank = rank, p.mode = mode, p.elem = elem;
  for (d = 0; d < rank; d++) {
    p.in[d] = in[d], p.pad_begin[d] = pb[d], p.out[d] = in[d] + pb[d] + pe[d];
    nin *= in[d], nout *= p.out[d];
  }
  x = malloc((size_t)(nin * elem)), y = malloc((size_t)(nout * elem));
  r = malloc((size_t)(nout * elem));
  for (t = 0; t < nin * elem; t++) x[t] = (unsigned char)(t * 3 + 1);
  for (t = 0; t < nout; t++) {
    int64_t rem = t, off = 0, stride = 1, fill = 0;
    for (d = rank - 1; d >= 0; d--) {
      int64_t i = ref_pad_map(rem % p.out[d], pb[d], in[d], mode);
      rem /= p.out[d];
      if (i < 0) fill = 1;
      off += i * stride, stride *= in[d];
    }
    if (fill && value)
      memcpy(r + t * elem, value, (size_t)elem);
    else if (fill)
      memset(r + t * elem, 0, (size_t)elem);
    else
      memcpy(r + t * elem, x + off * elem, (size_t)elem);
  }
  rt_pad(&p, x, value, y);
  ok = memcmp(y, r, (size_t)(nout * elem)) == 0;
  free(x), free(y), free(r);
  return ok;
}

TEST(pad_modes) {
  int64_t in[3] = {2, 3, 4}, pb[3] = {1, -1, 2}, pe[3] = {0, 2, 3};
  int64_t in1[1] = {4}, pb1[1] = {7}, pe1[1] = {9}, crop[1] = {-2}, pe0[1] = {-1};
  float v = 2.5f;
  uint16_t h = 0x1234;
  int64_t mode;
  for (mode = 0; mode < 4; mode++) {
    CHECK(run_pad(3, in, pb, pe, mode, 4, &v));
    CHECK(run_pad(3, in, pb, pe, mode, 4, NULL));
    CHECK(run_pad(1, in1, pb1, pe1, mode, 2, &h)); /* pads wider than the input */
    CHECK(run_pad(1, in1, crop, pe0, mode, 8, NULL));
    CHECK(run_pad(0, in1, pb1, pe1, mode, 4, &v));
  }
}

/* ---- Reduce */

/* A reduction of a dense tensor of the given dims over the dims in mask. */
static RtReduce mk_reduce(int64_t rank, const int64_t *dims, unsigned mask, int64_t op) {
  RtReduce p;
  int64_t d, stride = 1, strides[RT_MAX_RANK];
  memset(&p, 0, sizeof p);
  for (d = rank - 1; d >= 0; d--) strides[d] = stride, stride *= dims[d];
  for (d = 0; d < rank; d++) {
    if (mask >> d & 1) {
      p.red_dims[p.red_rank] = dims[d], p.red_strides[p.red_rank++] = strides[d];
    } else {
      p.out_dims[p.out_rank] = dims[d], p.out_strides[p.out_rank++] = strides[d];
    }
  }
  p.op = op;
  return p;
}

static int64_t numel(int64_t rank, const int64_t *dims) {
  int64_t n = 1, d;
  for (d = 0; d < rank; d++) n *= dims[d];
  return n;
}

/* Input offset of element t of a multi-index walk over (dims, strides). */
static int64_t walk_off(int64_t t, int64_t rank, const int64_t *dims, const int64_t *strides) {
  int64_t off = 0, d;
  for (d = rank - 1; d >= 0; d--) off += t % dims[d] * strides[d], t /= dims[d];
  return off;
}

static double ref_reduce_one(const RtReduce *p, const float *x) {
  int64_t cnt = numel(p->red_rank, p->red_dims), t;
  double s = 0, sa = 0, sq = 0, pr = 1, mx = -INFINITY, mn = INFINITY, se = 0;
  for (t = 0; t < cnt; t++) {
    double v = x[walk_off(t, p->red_rank, p->red_dims, p->red_strides)];
    s += v, sa += fabs(v), sq += v * v, pr *= v;
    mx = v > mx ? v : mx, mn = v < mn ? v : mn;
  }
  for (t = 0; t < cnt; t++)
    se += exp(x[walk_off(t, p->red_rank, p->red_dims, p->red_strides)] - mx);
  switch (p->op) {
  case RT_RED_SUM: return s;
  case RT_RED_MEAN: return cnt ? s / (double)cnt : NAN;
  case RT_RED_MAX: return mx;
  case RT_RED_MIN: return mn;
  case RT_RED_PROD: return pr;
  case RT_RED_L1: return sa;
  case RT_RED_L2: return sqrt(sq);
  case RT_RED_LOG_SUM: return log(s);
  case RT_RED_LOG_SUM_EXP: return cnt ? mx + log(se) : -INFINITY;
  default: return sq;
  }
}

static int run_reduce_f32(int64_t rank, const int64_t *dims, unsigned mask, int64_t op) {
  RtReduce p = mk_reduce(rank, dims, mask, op);
  int64_t nin = numel(rank, dims), nout = numel(p.out_rank, p.out_dims), t;
  float *x = rand_buf(nin), *y = zero_buf(nout), *r = zero_buf(nout);
  int ok;
  if (op == RT_RED_LOG_SUM)
    for (t = 0; t < nin; t++) x[t] = fabsf(x[t]) + 0.1f;
  if (op == RT_RED_LOG_SUM_EXP) /* exp would overflow without the shift */
    for (t = 0; t < nin; t++) x[t] = x[t] * 50.0f + 100.0f;
  if (op == RT_RED_PROD)
    for (t = 0; t < nin; t++) x[t] = x[t] * 0.5f + (x[t] < 0 ? -0.75f : 0.75f);
  rt_reduce_f32(&p, x, y);
  for (t = 0; t < nout; t++)
    r[t] = (float)ref_reduce_one(&p, x + walk_off(t, p.out_rank, p.out_dims, p.out_strides));
  ok = check_f("reduce", y, r, nout);
  free(x), free(y), free(r);
  return ok;
}

TEST(reduce_f32_ops) {
  int64_t d3[3] = {3, 4, 5}, d2[2] = {2, 100}, d0[3] = {3, 0, 2};
  static const unsigned masks[] = {2, 4, 5, 7, 0, 1, 3, 6};
  int64_t op;
  int m;
  for (op = 0; op <= RT_RED_SUM_SQUARE; op++) {
    for (m = 0; m < 8; m++) CHECK(run_reduce_f32(3, d3, masks[m], op));
    CHECK(run_reduce_f32(2, d2, 2, op));
    CHECK(run_reduce_f32(2, d2, 1, op));
    CHECK(run_reduce_f32(3, d0, 2, op)); /* empty: identities */
    CHECK(run_reduce_f32(3, d0, 5, op)); /* no outputs */
  }
}

TEST(reduce_f32_empty_values) {
  int64_t d0[3] = {3, 0, 2};
  static const float want[10] = {0, NAN, -INFINITY, INFINITY, 1, 0, 0, -INFINITY, -INFINITY, 0};
  int64_t op;
  for (op = 0; op <= RT_RED_SUM_SQUARE; op++) {
    RtReduce p = mk_reduce(3, d0, 2, op);
    float x[1] = {0}, y[6];
    int i;
    rt_reduce_f32(&p, x, y);
    for (i = 0; i < 6; i++) CHECK(close_f(y[i], want[op]));
  }
}

static int64_t ref_reduce_i64(const RtReduce *p, const int64_t *x) {
  int64_t cnt = numel(p->red_rank, p->red_dims), t;
  uint64_t s = 0, sa = 0, sq = 0, pr = 1;
  int64_t mx = INT64_MIN, mn = INT64_MAX;
  double ds = 0, dsq = 0, se = 0;
  for (t = 0; t < cnt; t++) {
    int64_t v = x[walk_off(t, p->red_rank, p->red_dims, p->red_strides)];
    s += (uint64_t)v, sa += (uint64_t)(v < 0 ? -v : v), sq += (uint64_t)v * (uint64_t)v;
    pr *= (uint64_t)v, mx = v > mx ? v : mx, mn = v < mn ? v : mn;
    ds += (double)v, dsq += (double)v * (double)v;
  }
  for (t = 0; t < cnt; t++)
    se += floor(exp((double)x[walk_off(t, p->red_rank, p->red_dims, p->red_strides)] - (double)mx));
  switch (p->op) {
  case RT_RED_SUM: return (int64_t)s;
  case RT_RED_MEAN: return cnt ? (int64_t)s / cnt : 0;
  case RT_RED_MAX: return mx;
  case RT_RED_MIN: return mn;
  case RT_RED_PROD: return (int64_t)pr;
  case RT_RED_L1: return (int64_t)sa;
  case RT_RED_L2: return rt_cast_i64_f64(sqrt(dsq));
  case RT_RED_LOG_SUM: return rt_cast_i64_f64(log(ds));
  /* As ONNX Runtime: each exp and the log truncate to integers. */
  case RT_RED_LOG_SUM_EXP: return cnt ? mx + rt_cast_i64_f64(log(se)) : rt_cast_i64_f64(-INFINITY);
  default: return (int64_t)sq;
  }
}

TEST(reduce_i64_ops) {
  int64_t d3[3] = {3, 4, 5}, d0[3] = {3, 0, 2}, x[60], y[60], op, t;
  static const unsigned masks[] = {2, 4, 5, 7, 0, 1};
  int m;
  for (t = 0; t < 60; t++) x[t] = (int64_t)(frand() * 50.0f) * (t % 7 == 0 ? 1000000007 : 1);
  for (op = 0; op <= RT_RED_SUM_SQUARE; op++) {
    for (m = 0; m < 6; m++) {
      RtReduce p = mk_reduce(3, d3, masks[m], op);
      int64_t nout = numel(p.out_rank, p.out_dims);
      rt_reduce_i64(&p, x, y);
      for (t = 0; t < nout; t++)
        CHECK_EQ_INT(y[t],
                     ref_reduce_i64(&p, x + walk_off(t, p.out_rank, p.out_dims, p.out_strides)));
    }
    {
      RtReduce p = mk_reduce(3, d0, 2, op);
      rt_reduce_i64(&p, x, y);
      for (t = 0; t < 6; t++) CHECK_EQ_INT(y[t], ref_reduce_i64(&p, x));
    }
  }
  {
    /* Mean truncates toward zero: (-7 + 0) / 2 = -3. */
    int64_t v[2] = {-7, 0}, out, dims[1] = {2};
    RtReduce p = mk_reduce(1, dims, 1, RT_RED_MEAN);
    rt_reduce_i64(&p, v, &out);
    CHECK_EQ_INT(out, -3);
  }
}

/* ---- Range and Fill */

TEST(range_and_fill) {
  RtRange r;
  RtFill f;
  float fs = 1.5f, fd = -0.25f, fy[10];
  int64_t is = -3, id = 4, iy[6], i, n, e;
  r.n = 10;
  rt_range_f32(&r, &fs, &fd, fy);
  for (i = 0; i < 10; i++) CHECK(fy[i] == 1.5f - 0.25f * (float)i);
  r.n = 6;
  rt_range_i64(&r, &is, &id, iy);
  for (i = 0; i < 6; i++) CHECK_EQ_INT(iy[i], -3 + 4 * i);
  for (e = 1; e <= 8; e *= 2)
    for (n = 0; n <= 1000; n = n ? n * 7 : 1) {
      unsigned char val[8] = {1, 2, 3, 4, 5, 6, 7, 8}, buf[8 * 1400 + 1];
      int ok = 1;
      f.n = n, f.elem = e;
      buf[n * e] = 0x5A;
      rt_fill(&f, val, buf);
      for (i = 0; i < n * e; i++) ok &= buf[i] == val[i % e];
      CHECK(ok && buf[n * e] == 0x5A);
    }
}

int main(void) {
  RUN(conv_2d_basic);
  RUN(conv_2d_stride_dil_asym_pads);
  RUN(conv_groups);
  RUN(conv_depthwise);
  RUN(conv_pointwise);
  RUN(conv_1d_and_3d);
  RUN(conv_large_blocks);
  RUN(conv_every_act);
  RUN(conv_transpose);
  RUN(gemm_shapes_and_transposes);
  RUN(gemm_c_broadcast_and_act);
  RUN(gemm_k_zero_and_in_place);
  RUN(matmul_batches);
  RUN(matmul_sparse_batch_stride);
  RUN(pool_options);
  RUN(softmax);
  RUN(layernorm);
  RUN(batchnorm);
  RUN(copy_strided);
  RUN(gather);
  RUN(pad_modes);
  RUN(reduce_f32_ops);
  RUN(reduce_f32_empty_values);
  RUN(reduce_i64_ops);
  RUN(range_and_fill);
  TEST_MAIN_END();
}
