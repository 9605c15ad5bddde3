/* gemm.c - Gemm and batched MatMul on the sgemm core of rt_sgemm.h (which
 * also holds the vector-times-matrix path for a single output row). */
#include <string.h>

#include "rt_kernels.h"
#include "rt_scalar.h"
#include "rt_sgemm.h"

RT_API void rt_gemm_f32(const RtGemm *p, const float *a, const float *b, const float *c, float *y) {
  int64_t m = p->m, n = p->n, k = p->k, i, j;
  SgemmArgs g = sgemm_args(m, n, k, a, p->trans_a ? 1 : k, p->trans_a ? m : 1, b,
                           p->trans_b ? 1 : n, p->trans_b ? k : 1, y);
  g.alpha = p->alpha;
  g.act = p->act, g.act_alpha = p->act_alpha, g.act_beta = p->act_beta;
  if (c && p->beta != 0.0f) {
    /* y = beta * C first (safe when y is C itself), then y += alpha A' B'. */
    for (i = 0; i < m; i++) {
      const float *ci = c + i * p->c_rs;
      float *yi = y + i * n;
      for (j = 0; j < n; j++) yi[j] = p->beta * ci[j * p->c_cs];
    }
    g.accumulate = 1;
  }
  sgemm(&g);
}

/* True if the batch dims of A are laid out densely, one [m, k] matrix after
 * the other, and B is the same matrix for every batch: then the batches are
 * one tall GEMM. */
static int gemm_batches_fold(const RtMatMul *p) {
  int64_t j, expect = p->m * p->k;
  for (j = p->batch_rank - 1; j >= 0; j--) {
    if (p->b_bstride[j] != 0) return 0;
    if (p->batch[j] != 1 && p->a_bstride[j] != expect) return 0;
    expect *= p->batch[j];
  }
  return 1;
}

RT_API void rt_matmul_f32(const RtMatMul *p, const float *a, const float *b, const float *bias,
                          float *y) {
  int64_t idx[6] = {0, 0, 0, 0, 0, 0};
  int64_t nb = 1, t, j, rank = p->batch_rank;
  for (j = 0; j < rank; j++) nb *= p->batch[j];
  if (nb <= 0) return;
  if (gemm_batches_fold(p)) {
    SgemmArgs g = sgemm_args(nb * p->m, p->n, p->k, a, p->k, 1, b, p->n, 1, y);
    g.col_bias = bias;
    g.act = p->act, g.act_alpha = p->alpha, g.act_beta = p->beta;
    sgemm(&g);
    return;
  }
  for (t = 0; t < nb; t++) {
    int64_t aoff = 0, boff = 0;
    SgemmArgs g;
    for (j = 0; j < rank; j++) aoff += idx[j] * p->a_bstride[j], boff += idx[j] * p->b_bstride[j];
    g = sgemm_args(p->m, p->n, p->k, a + aoff, p->k, 1, b + boff, p->n, 1, y + t * p->m * p->n);
    g.col_bias = bias;
    g.act = p->act, g.act_alpha = p->alpha, g.act_beta = p->beta;
    sgemm(&g);
    for (j = rank - 1; j >= 0; j--) {
      if (++idx[j] < p->batch[j]) break;
      idx[j] = 0;
    }
  }
}

/* float64 MatMul (no bias or activation: those are fused for float32 only),
 * accumulated in double, i-k-j order so the inner loop is contiguous. */
RT_API void rt_matmul_f64(const RtMatMul *p, const double *a, const double *b, double *y) {
  int64_t idx[6] = {0, 0, 0, 0, 0, 0};
  int64_t nb = 1, t, j, rank = p->batch_rank, i, kk;
  for (j = 0; j < rank; j++) nb *= p->batch[j];
  for (t = 0; t < nb; t++) {
    int64_t aoff = 0, boff = 0;
    double *yt = y + t * p->m * p->n;
    for (j = 0; j < rank; j++) aoff += idx[j] * p->a_bstride[j], boff += idx[j] * p->b_bstride[j];
    for (i = 0; i < p->m * p->n; i++) yt[i] = 0.0;
    for (i = 0; i < p->m; i++)
      for (kk = 0; kk < p->k; kk++) {
        double av = a[aoff + i * p->k + kk];
        const double *br = b + boff + kk * p->n;
        for (j = 0; j < p->n; j++) yt[i * p->n + j] += av * br[j];
      }
    for (j = rank - 1; j >= 0; j--) {
      if (++idx[j] < p->batch[j]) break;
      idx[j] = 0;
    }
  }
}
