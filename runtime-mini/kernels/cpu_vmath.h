/* cpu_vmath.h - vector exp and Gelu for the cpu target's kernels, for
 * AVX-512 (16 lanes) and AVX2 (8 lanes); include after <immintrin.h> where
 * RT_CPU_ISA_NATIVE is one of them.
 *
 * exp(y): y clamped to [-87, 88], y = n ln2 + r with |r| <= ln2/2 (ln2 in
 * two parts), e^r by its Taylor polynomial of degree 7 (relative error
 * below 2e-9 on that interval, so the float32 rounding dominates), then
 * scaled by 2^n. NaN stays NaN.
 *
 * Gelu(x) = x/2 (1 + erf(x/sqrt 2)) = x/2 * (x >= 0 ? 2 - E : E) with
 * E = erfc(|x|/sqrt 2), so neither side loses digits to cancellation. With
 * u = |x|/sqrt 2 and t = 1/(1 + u/2), erfc(u) = t P(t) exp(-u^2), where P
 * (degree 9) was fitted to erfc(u) exp(u^2) / t on u in [0, 9.5] by
 * relative least squares: E is within 4e-7 of exact (relative) in float32
 * arithmetic. */
#ifndef RT_CPU_VMATH_H
#define RT_CPU_VMATH_H

#define CPU_VM_LN2_HI 0.693145751953125f
#define CPU_VM_LN2_LO 1.428606765330187e-6f
#define CPU_VM_LOG2E 1.44269504088896341f

#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512 || RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX2

/* e^r's Taylor coefficients 1/k!, k = 0..7. */
static const float CPU_VM_EXP[8] = {1.0f,         1.0f,          0.5f,          1.0f / 6.0f,
                                    1.0f / 24.0f, 1.0f / 120.0f, 1.0f / 720.0f, 1.0f / 5040.0f};

/* P of the Gelu, lowest degree first. */
static const float CPU_VM_P[10] = {2.820653319e-01f,  2.828266919e-01f, 2.390352488e-01f,
                                   2.229860872e-01f,  -8.858246356e-02f, 3.984415531e-01f,
                                   -6.366117597e-01f, 3.992332518e-01f,  -1.086000428e-01f,
                                   9.206019342e-03f};

#endif

#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512

static inline __m512 cpu_exp16(__m512 y) {
  __m512 n, r, p;
  int k;
  y = _mm512_max_ps(_mm512_set1_ps(-87.0f), _mm512_min_ps(_mm512_set1_ps(88.0f), y));
  n = _mm512_roundscale_ps(_mm512_mul_ps(y, _mm512_set1_ps(CPU_VM_LOG2E)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CPU_VM_LN2_HI), y);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CPU_VM_LN2_LO), r);
  p = _mm512_set1_ps(CPU_VM_EXP[7]);
  for (k = 6; k >= 0; k--) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CPU_VM_EXP[k]));
  return _mm512_scalef_ps(p, n);
}

static inline __m512 cpu_gelu16(__m512 x) {
  const __m512 two = _mm512_set1_ps(2.0f);
  __m512 u = _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f));
  __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f),
                           _mm512_fmadd_ps(u, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f)));
  __m512 p = _mm512_set1_ps(CPU_VM_P[9]), e;
  int k;
  for (k = 8; k >= 0; k--) p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(CPU_VM_P[k]));
  e = _mm512_mul_ps(_mm512_mul_ps(p, t), cpu_exp16(_mm512_sub_ps(_mm512_setzero_ps(),
                                                                 _mm512_mul_ps(u, u))));
  e = _mm512_mask_sub_ps(e, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), two, e);
  return _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.5f)), e);
}

#elif RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX2

static inline __m256 cpu_exp8(__m256 y) {
  __m256 n, r, p;
  __m256i e;
  int k;
  y = _mm256_max_ps(_mm256_set1_ps(-87.0f), _mm256_min_ps(_mm256_set1_ps(88.0f), y));
  n = _mm256_round_ps(_mm256_mul_ps(y, _mm256_set1_ps(CPU_VM_LOG2E)),
                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CPU_VM_LN2_HI), y);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CPU_VM_LN2_LO), r);
  p = _mm256_set1_ps(CPU_VM_EXP[7]);
  for (k = 6; k >= 0; k--) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CPU_VM_EXP[k]));
  /* 2^n from its exponent bits: n is in [-126, 127] after the clamp (a NaN
   * gives garbage here, but p is NaN already) */
  e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline __m256 cpu_gelu8(__m256 x) {
  const __m256 two = _mm256_set1_ps(2.0f);
  __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  __m256 u = _mm256_mul_ps(ax, _mm256_set1_ps(0.70710678118654752f));
  __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f),
                           _mm256_fmadd_ps(u, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)));
  __m256 p = _mm256_set1_ps(CPU_VM_P[9]), e;
  int k;
  for (k = 8; k >= 0; k--) p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(CPU_VM_P[k]));
  e = _mm256_mul_ps(_mm256_mul_ps(p, t), cpu_exp8(_mm256_sub_ps(_mm256_setzero_ps(),
                                                                _mm256_mul_ps(u, u))));
  e = _mm256_blendv_ps(e, _mm256_sub_ps(two, e), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
  return _mm256_mul_ps(_mm256_mul_ps(x, _mm256_set1_ps(0.5f)), e);
}

#endif
#endif
