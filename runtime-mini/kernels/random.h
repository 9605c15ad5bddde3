/* random.h - kernels of the random ops (random.c): RandomNormal,
 * RandomUniform (and their *Like forms), Bernoulli and Multinomial.
 *
 * The generator is counter-based: Philox-4x32-10 maps a 64-bit key and a
 * 128-bit counter to four 32-bit words. Element i of an output takes the
 * words of counter (block of i, stream), so every element is a pure
 * function of (key, stream, i), whatever order the elements are computed in.
 *
 * With a seed (has_seed), key = a hash of the seed and stream = 0: the same
 * seed gives the same numbers on every run. Without one, every call draws a
 * fresh stream: key = a per-process key mixed once from addresses (which
 * address-space layout randomization varies between processes) and stream =
 * the model's count of unseeded calls so far, kept in the kernel file's
 * state. That state is static, so one per generated model (the kernels are
 * static there), shared by its contexts, and not safe for concurrent runs.
 *
 * Uniform numbers: float32 ones take 24 bits of a word, float64 ones 53 bits
 * of two, both in [0, 1). Normal numbers by Box-Muller, computed in double:
 * a float32 pair from two words, a float64 pair from four. */
#ifndef RT_RANDOM_H
#define RT_RANDOM_H

#include "rt_kernels.h"

/* RandomNormal, RandomUniform: y holds n float32 (float64 if f64) numbers.
 * Normal: mean a, standard deviation b. Uniform: in [a, b) (a when b == a)
 * also once rounded to the type the output ends up in (float16 or bfloat16
 * are converted from float32 after the kernel), whose numbers have `bits`
 * significant bits and the smallest 2^min_exp (24, -149 for float32; 53,
 * -1074 float64; 11, -24 float16; 8, -133 bfloat16).
 * seed: the bits of the seed attribute (a float), used if has_seed. */
typedef struct RtRandom {
  int64_t n, f64;
  int64_t has_seed, seed;
  int64_t bits, min_exp;
  float a, b;
} RtRandom;

/* Bernoulli: y[i] = 1 with probability prob[i] (float32, float64 if f64),
 * else 0; y has esize-byte elements (1, 2, 4 or 8) and `one` is the bit
 * pattern of 1 in its type. A probability <= 0 or NaN gives 0, >= 1 gives
 * 1. */
typedef struct RtBernoulli {
  int64_t n, f64;
  int64_t esize, one;
  int64_t has_seed, seed;
} RtBernoulli;

/* Multinomial: x [batch, classes] holds unnormalized log-probabilities
 * (float32, float64 if f64); y [batch, samples] (int64 if out_i64, else
 * int32) gets `samples` independent draws of a class per row, class k with
 * probability exp(x[b, k]) / sum(exp(x[b, :])). NaN counts as -inf; a row
 * whose every class is -inf gives class 0. scratch: `classes` doubles. */
typedef struct RtMultinomial {
  int64_t batch, classes, samples;
  int64_t f64, out_i64;
  int64_t has_seed, seed;
} RtMultinomial;

#ifndef RT_UNITY
RT_API void rt_random_normal(const RtRandom *p, void *y);
RT_API void rt_random_uniform(const RtRandom *p, void *y);
RT_API void rt_bernoulli(const RtBernoulli *p, const void *prob, void *y);
RT_API void rt_multinomial(const RtMultinomial *p, const void *x, void *y, double *scratch);
#endif

#endif
