/* cpu_norm.c - see cpu_norm.h. A task is a run of rows, about 4 per thread
 * (at least CPU_NORM_MIN_ELEMS elements each, so that small tensors stay on
 * the caller). */
#include <math.h>

#include "cpu_gemm.h" /* RT_CPU_ISA_NATIVE */
#include "cpu_norm.h"

#if RT_CPU_ISA_NATIVE != RT_CPU_ISA_GENERIC
#include <immintrin.h>

#include "cpu_vmath.h"
#endif

#ifdef RT_UNITY /* the portable kernels come later in the same unit (softmax.c, norm.c) */
RT_API void rt_softmax_f32(const RtSoftmax *p, const float *x, float *y);
RT_API void rt_layernorm_f32(const RtLayerNorm *p, const float *x, const float *scale,
                             const float *bias, float *y, float *mean, float *inv_std);
#endif

#define CPU_NORM_MIN_ELEMS 16384

typedef struct CpuNormJob {
  const void *p; /* RtSoftmax or RtLayerNorm */
  const float *x, *scale, *bias;
  float *y, *mean, *inv_std;
  int64_t rows, per_task; /* rows in all, rows per task */
  int fast;               /* softmax: the vector rows */
} CpuNormJob;

/* Rows per task for rows of len elements on tp. */
static int64_t cpu_norm_split(int64_t rows, int64_t len, RtThreads *tp) {
  int64_t tasks = 4 * (int64_t)rt_tp_threads(tp), most = rows * len / CPU_NORM_MIN_ELEMS;
  if (tasks > most) tasks = most;
  if (tasks > rows) tasks = rows;
  if (tasks < 1) tasks = 1;
  return (rows + tasks - 1) / tasks;
}

#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512

static void cpu_softmax_row(const float *x, float *y, int64_t n) {
  __m512 mx = _mm512_set1_ps(-INFINITY), sum = _mm512_setzero_ps(), v, s;
  int64_t j = 0;
  __mmask16 m;
  for (; j + 16 <= n; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(x + j));
  m = (__mmask16)((1u << (n - j)) - 1);
  mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, x + j));
  v = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
  for (j = 0; j + 16 <= n; j += 16) {
    s = cpu_exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), v));
    _mm512_storeu_ps(y + j, s);
    sum = _mm512_add_ps(sum, s);
  }
  if (j < n) {
    s = cpu_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), v));
    _mm512_mask_storeu_ps(y + j, m, s);
    sum = _mm512_mask_add_ps(sum, m, sum, s);
  }
  v = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (j = 0; j + 16 <= n; j += 16) _mm512_storeu_ps(y + j, _mm512_mul_ps(_mm512_loadu_ps(y + j), v));
  if (j < n) _mm512_mask_storeu_ps(y + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + j), v));
}

#elif RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX2

static float cpu_norm_hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

static float cpu_norm_hmax8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

static void cpu_softmax_row(const float *x, float *y, int64_t n) {
  __m256 mx = _mm256_set1_ps(-INFINITY), sum = _mm256_setzero_ps(), v, s;
  float m1 = -INFINITY, s1 = 0.0f, inv;
  int64_t j, nv = n & ~(int64_t)7;
  for (j = 0; j < nv; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(x + j));
  for (; j < n; j++) m1 = x[j] > m1 ? x[j] : m1;
  m1 = fmaxf(m1, cpu_norm_hmax8(mx));
  v = _mm256_set1_ps(m1);
  for (j = 0; j < nv; j += 8) {
    s = cpu_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), v));
    _mm256_storeu_ps(y + j, s);
    sum = _mm256_add_ps(sum, s);
  }
  for (; j < n; j++) s1 += y[j] = expf(x[j] - m1);
  inv = 1.0f / (s1 + cpu_norm_hsum8(sum));
  v = _mm256_set1_ps(inv);
  for (j = 0; j < nv; j += 8) _mm256_storeu_ps(y + j, _mm256_mul_ps(_mm256_loadu_ps(y + j), v));
  for (; j < n; j++) y[j] *= inv;
}

#endif

static void cpu_softmax_task(void *arg, int64_t t) {
  const CpuNormJob *g = (const CpuNormJob *)arg;
  RtSoftmax q = *(const RtSoftmax *)g->p;
  int64_t r0 = t * g->per_task, r1 = r0 + g->per_task < g->rows ? r0 + g->per_task : g->rows;
  int64_t slab = q.len * q.inner;
#if RT_CPU_ISA_NATIVE != RT_CPU_ISA_GENERIC
  if (g->fast) {
    for (int64_t r = r0; r < r1; r++) cpu_softmax_row(g->x + r * slab, g->y + r * slab, q.len);
    return;
  }
#endif
  q.outer = r1 - r0;
  rt_softmax_f32(&q, g->x + r0 * slab, g->y + r0 * slab);
}

RT_API void rt_cpu_softmax_f32(const RtSoftmax *p, const float *x, float *y, RtThreads *tp) {
  CpuNormJob g;
  g.p = p, g.x = x, g.y = y, g.rows = p->outer;
  g.fast = p->inner == 1 && !p->log && p->len > 0;
  g.per_task = cpu_norm_split(p->outer, p->len * p->inner, tp);
  if (p->outer > 0) rt_tp_run(tp, (p->outer + g.per_task - 1) / g.per_task, cpu_softmax_task, &g);
}

static void cpu_layernorm_task(void *arg, int64_t t) {
  const CpuNormJob *g = (const CpuNormJob *)arg;
  RtLayerNorm q = *(const RtLayerNorm *)g->p;
  int64_t r0 = t * g->per_task, r1 = r0 + g->per_task < g->rows ? r0 + g->per_task : g->rows;
  q.outer = r1 - r0;
  rt_layernorm_f32(&q, g->x + r0 * q.len, g->scale, g->bias, g->y + r0 * q.len,
                   g->mean ? g->mean + r0 : NULL, g->inv_std ? g->inv_std + r0 : NULL);
}

RT_API void rt_cpu_layernorm_f32(const RtLayerNorm *p, const float *x, const float *scale,
                                 const float *bias, float *y, float *mean, float *inv_std,
                                 RtThreads *tp) {
  CpuNormJob g;
  g.p = p, g.x = x, g.scale = scale, g.bias = bias, g.y = y, g.mean = mean, g.inv_std = inv_std;
  g.rows = p->outer;
  g.per_task = cpu_norm_split(p->outer, p->len, tp);
  if (p->outer > 0) rt_tp_run(tp, (p->outer + g.per_task - 1) / g.per_task, cpu_layernorm_task, &g);
}
