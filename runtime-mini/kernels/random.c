/* random.c - the random ops' kernels on a Philox-4x32-10 generator (see
 * random.h). Each kernel walks its output in blocks of one Philox call: four
 * float32 numbers or two float64 ones per block. */
#include <math.h>

#include "random.h"

/* The unseeded streams' state: [0] the unseeded calls so far, [1] the
 * process key (0 until the first unseeded call draws it). */
static uint64_t rt_random_state[2];

typedef struct RndStream {
  uint32_t key[2];
  uint64_t stream;
} RndStream;

/* splitmix64's finalizer: a bijective 64-bit mix. */
static uint64_t rnd_mix(uint64_t z) {
  z += UINT64_C(0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* The stream of one kernel call: the seed's, or a fresh one (random.h). */
static RndStream rnd_stream(int64_t has_seed, int64_t seed, const void *y) {
  RndStream s;
  uint64_t key;
  if (has_seed) {
    key = rnd_mix((uint64_t)seed);
    s.stream = 0;
  } else {
    if (!rt_random_state[1]) {
      /* Where the stack, the output and this state lie: different in every
       * process under address-space layout randomization. */
      int here = 0;
      uint64_t e = (uint64_t)(uintptr_t)&here ^ ((uint64_t)(uintptr_t)y << 24) ^
                   rnd_mix((uint64_t)(uintptr_t)rt_random_state);
      rt_random_state[1] = rnd_mix(e) | 1;
    }
    key = rt_random_state[1];
    s.stream = ++rt_random_state[0];
  }
  s.key[0] = (uint32_t)key;
  s.key[1] = (uint32_t)(key >> 32);
  return s;
}

/* Philox-4x32-10 of counter (block, stream). */
static void rnd_block(const RndStream *s, uint64_t block, uint32_t w[4]) {
  uint32_t c0 = (uint32_t)block, c1 = (uint32_t)(block >> 32);
  uint32_t c2 = (uint32_t)s->stream, c3 = (uint32_t)(s->stream >> 32);
  uint32_t k0 = s->key[0], k1 = s->key[1];
  for (int round = 0; round < 10; round++) {
    uint64_t p0 = (uint64_t)UINT32_C(0xD2511F53) * c0, p1 = (uint64_t)UINT32_C(0xCD9E8D57) * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += UINT32_C(0x9E3779B9);
    k1 += UINT32_C(0xBB67AE85);
  }
  w[0] = c0;
  w[1] = c1;
  w[2] = c2;
  w[3] = c3;
}

/* Uniform in [0, 1): 24 bits of a word, 53 bits of two. */
static double rnd_u24(uint32_t w) { return (double)(w >> 8) * 0x1p-24; }
static uint64_t rnd_bits53(uint32_t hi, uint32_t lo) { return (((uint64_t)hi << 32) | lo) >> 11; }
static double rnd_u53(uint32_t hi, uint32_t lo) { return (double)rnd_bits53(hi, lo) * 0x1p-53; }

/* A Box-Muller pair from u1 in (0, 1) and u2 in [0, 1). */
static void rnd_box_muller(double u1, double u2, double z[2]) {
  const double two_pi = 6.283185307179586476925286766559;
  double r = sqrt(-2.0 * log(u1)), t = two_pi * u2;
  z[0] = r * cos(t);
  z[1] = r * sin(t);
}

RT_API void rt_random_normal(const RtRandom *p, void *y) {
  RndStream s = rnd_stream(p->has_seed, p->seed, y);
  int64_t per = p->f64 ? 2 : 4;
  double z[4];
  for (int64_t base = 0; base < p->n; base += per) {
    uint32_t w[4];
    rnd_block(&s, (uint64_t)(base / per), w);
    if (p->f64) {
      rnd_box_muller(((double)rnd_bits53(w[0], w[1]) + 0.5) * 0x1p-53, rnd_u53(w[2], w[3]), z);
    } else {
      rnd_box_muller(((double)w[0] + 0.5) * 0x1p-32, (double)w[1] * 0x1p-32, z);
      rnd_box_muller(((double)w[2] + 0.5) * 0x1p-32, (double)w[3] * 0x1p-32, z + 2);
    }
    for (int64_t j = 0; j < per && base + j < p->n; j++) {
      double v = (double)p->a + (double)p->b * z[j];
      if (p->f64)
        ((double *)y)[base + j] = v;
      else
        ((float *)y)[base + j] = (float)v;
    }
  }
}

/* The largest number below hi with `bits` significant bits and the
 * smallest 2^min_exp (exact in double). */
static double rnd_below(double hi, int64_t bits, int64_t min_exp) {
  double tiny = ldexp(1.0, (int)min_exp), ulp;
  int e;
  if (hi == 0.0) return -tiny;
  /* hi = m 2^e with 0.5 <= |m| < 1; below a positive power of two the
   * numbers are twice as fine. */
  double m = frexp(hi, &e);
  ulp = ldexp(1.0, e - (int)bits - (m == 0.5));
  return hi - (ulp > tiny ? ulp : tiny);
}

RT_API void rt_random_uniform(const RtRandom *p, void *y) {
  RndStream s = rnd_stream(p->has_seed, p->seed, y);
  double lo = p->a, span = (double)p->b - lo;
  /* Rounding may reach high: the largest number of the output type below it. */
  double top = p->b > p->a ? rnd_below(p->b, p->bits, p->min_exp) : lo;
  int64_t per = p->f64 ? 2 : 4;
  for (int64_t base = 0; base < p->n; base += per) {
    uint32_t w[4];
    rnd_block(&s, (uint64_t)(base / per), w);
    for (int64_t j = 0; j < per && base + j < p->n; j++) {
      if (p->f64) {
        double v = lo + rnd_u53(w[2 * j], w[2 * j + 1]) * span;
        ((double *)y)[base + j] = v > top ? top : v;
      } else {
        float v = (float)(lo + rnd_u24(w[j]) * span);
        ((float *)y)[base + j] = (double)v > top ? (float)top : v;
      }
    }
  }
}

static void rnd_put(void *y, int64_t esize, int64_t i, uint64_t v) {
  switch (esize) {
    case 1: ((uint8_t *)y)[i] = (uint8_t)v; break;
    case 2: ((uint16_t *)y)[i] = (uint16_t)v; break;
    case 4: ((uint32_t *)y)[i] = (uint32_t)v; break;
    default: ((uint64_t *)y)[i] = v; break;
  }
}

RT_API void rt_bernoulli(const RtBernoulli *p, const void *prob, void *y) {
  RndStream s = rnd_stream(p->has_seed, p->seed, y);
  int64_t per = p->f64 ? 2 : 4;
  for (int64_t base = 0; base < p->n; base += per) {
    uint32_t w[4];
    rnd_block(&s, (uint64_t)(base / per), w);
    for (int64_t j = 0; j < per && base + j < p->n; j++) {
      int64_t i = base + j;
      int hit = p->f64 ? rnd_u53(w[2 * j], w[2 * j + 1]) < ((const double *)prob)[i]
                       : (double)w[j] * 0x1p-32 < (double)((const float *)prob)[i];
      rnd_put(y, p->esize, i, hit ? (uint64_t)p->one : 0);
    }
  }
}

/* The first k < n with cdf[k] > t (strict) or >= t; n - 1 if none. */
static int64_t rnd_search(const double *cdf, int64_t n, double t, int strict) {
  int64_t lo = 0, hi = n - 1;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (strict ? cdf[mid] > t : cdf[mid] >= t)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* Fills cdf with the running sums of row b's class weights; returns the total. */
static double rnd_row_cdf(const RtMultinomial *p, const void *x, int64_t b, double *cdf) {
  double mx = -INFINITY, total = 0.0;
  for (int64_t k = 0; k < p->classes; k++) {
    int64_t i = b * p->classes + k;
    double v = p->f64 ? ((const double *)x)[i] : (double)((const float *)x)[i];
    cdf[k] = v;
    if (v > mx) mx = v; /* NaN never is */
  }
  for (int64_t k = 0; k < p->classes; k++) {
    double v = cdf[k], q = 0.0;
    if (mx == INFINITY)
      q = v == INFINITY;
    else if (v > -INFINITY)
      q = exp(v - mx);
    total += q;
    cdf[k] = total;
  }
  return total;
}

RT_API void rt_multinomial(const RtMultinomial *p, const void *x, void *y, double *scratch) {
  RndStream s = rnd_stream(p->has_seed, p->seed, y);
  uint32_t w[4];
  if (p->classes <= 0) return;
  for (int64_t b = 0; b < p->batch; b++) {
    double total = rnd_row_cdf(p, x, b, scratch);
    for (int64_t j = 0; j < p->samples; j++) {
      int64_t i = b * p->samples + j;
      if (j == 0 || i % 2 == 0) rnd_block(&s, (uint64_t)(i / 2), w);
      double t = rnd_u53(w[2 * (i % 2)], w[2 * (i % 2) + 1]) * total;
      int64_t k = rnd_search(scratch, p->classes, t, 1);
      if (!(scratch[k] > t)) k = rnd_search(scratch, p->classes, total, 0); /* t rounded up */
      if (p->out_i64)
        ((int64_t *)y)[i] = k;
      else
        ((int32_t *)y)[i] = (int32_t)k;
    }
  }
}
