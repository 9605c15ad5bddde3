/* cpu_gemm_ukr.h - the micro-kernels of cpu_gemm.c and their epilogue, one
 * set per instruction set (RT_CPU_ISA_NATIVE); included once, by cpu_gemm.c
 * (which defines CPU_GEMM_MR, _NR, _VL, _NV and the helpers used here).
 *
 * cpu_gemm_tile(kc, a, b, c, ldc, mr, nr, e) computes an mr x nr tile of C
 * (mr <= MR, nr <= NR) from an A panel [kc][MR] and a B panel [kc][NR]
 * (rows e->ldb apart) and stores it through the epilogue e. With AVX-512
 * and AVX2 the whole tile stays in registers; full-height tiles run the
 * epilogue on them too, edge tiles (many variants) through a small buffer.
 * The last vector of a row is masked: only nr columns are read from B and
 * written to C. Plain C otherwise. */
#ifndef RT_CPU_GEMM_UKR_H
#define RT_CPU_GEMM_UKR_H

/* ---- the epilogue ---- */

typedef struct CpuGemmEpi {
  float alpha;
  int scale, load_c, last;
  int64_t act;
  float act_alpha, act_beta;
  const float *rb, *cb, *res; /* at the tile: rb[i], cb[j], res[i*ldr + j] */
  int64_t ldr;
  int64_t ldb; /* the B panel's row stride: NR, or B's own (AVX-512, raw B read in place) */
} CpuGemmEpi;

/* The activation over n contiguous floats (the simple ones vectorize). */
static void cpu_gemm_act_row(float *c, int64_t n, int64_t act, float al, float be) {
  int64_t j;
  switch (act) {
    case RT_ACT_NONE: return;
    case RT_ACT_RELU:
      for (j = 0; j < n; j++) c[j] = rt_relu_f32(c[j]);
      return;
    case RT_ACT_CLIP:
      for (j = 0; j < n; j++) c[j] = rt_clip_f32(c[j], al, be);
      return;
    default:
      for (j = 0; j < n; j++) c[j] = rt_act_f32(c[j], act, al, be);
      return;
  }
}

/* Row i of a tile: c[j] = epilogue(t[j]) for j < n (t NULL: zeros). */
static void cpu_gemm_epi_row(float *c, const float *t, int64_t n, const CpuGemmEpi *e, int64_t i) {
  int64_t j;
  for (j = 0; j < n; j++) {
    float v = t ? t[j] : 0.0f;
    if (e->scale) v *= e->alpha;
    if (e->load_c) v += c[j];
    if (e->last && e->rb) v += e->rb[i];
    if (e->last && e->cb) v += e->cb[j];
    if (e->last && e->res) v += e->res[i * e->ldr + j];
    c[j] = v;
  }
  if (e->last) cpu_gemm_act_row(c, n, e->act, e->act_alpha, e->act_beta);
}

typedef void (*CpuGemmUkr)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                           int64_t nr, const CpuGemmEpi *e);

/* ---- micro-kernels ---- */

#if RT_CPU_ISA_NATIVE != RT_CPU_ISA_GENERIC
/* After a vector epilogue: Sigmoid and Tanh as scalars (Gelu has its vector
 * code, cpu_vmath.h). */
static void cpu_gemm_act_tail(float *c, int64_t ldc, int64_t mr, int64_t nr, const CpuGemmEpi *e) {
  int64_t i;
  if (!e->last || (e->act != RT_ACT_SIGMOID && e->act != RT_ACT_TANH)) return;
  for (i = 0; i < mr; i++) cpu_gemm_act_row(c + i * ldc, nr, e->act, e->act_alpha, e->act_beta);
}
#endif

#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512

CPU_GEMM_INLINE __m512 cpu_gemm_act16(__m512 x, const CpuGemmEpi *e) {
  __m512 z = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f), v;
  switch (e->act) {
    case RT_ACT_RELU: return _mm512_max_ps(z, x);
    case RT_ACT_LEAKY_RELU:
      return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, z, _CMP_GE_OQ),
                                  _mm512_mul_ps(x, _mm512_set1_ps(e->act_alpha)), x);
    case RT_ACT_CLIP:
      return _mm512_min_ps(_mm512_set1_ps(e->act_beta),
                           _mm512_max_ps(_mm512_set1_ps(e->act_alpha), x));
    case RT_ACT_HARD_SIGMOID:
      v = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(e->act_alpha), x),
                        _mm512_set1_ps(e->act_beta));
      return _mm512_min_ps(one, _mm512_max_ps(z, v));
    case RT_ACT_HARD_SWISH:
      v = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(1.0f / 6.0f), x), _mm512_set1_ps(0.5f));
      return _mm512_mul_ps(x, _mm512_min_ps(one, _mm512_max_ps(z, v)));
    case RT_ACT_GELU: return cpu_gelu16(x);
    default: return x;
  }
}

/* The epilogue of a tile t [mr][NR] (the accumulators) into C. */
static void cpu_gemm_epi16(const float *t, int64_t mr, int64_t nr, float *c, int64_t ldc,
                           const CpuGemmEpi *e) {
  __mmask16 ml = (__mmask16)((1u << ((nr - 1) % 16 + 1)) - 1);
  int64_t i, j, nv = (nr + 15) / 16;
  __m512 alpha = _mm512_set1_ps(e->alpha);
  for (i = 0; i < mr; i++)
    for (j = 0; j < nv; j++) {
      __mmask16 m = j == nv - 1 ? ml : (__mmask16)0xffff;
      __m512 x = _mm512_load_ps(t + i * CPU_GEMM_NR + 16 * j);
      float *cp = c + i * ldc + 16 * j;
      if (e->scale) x = _mm512_mul_ps(x, alpha);
      if (e->load_c) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, cp));
      if (e->last) {
        if (e->rb) x = _mm512_add_ps(x, _mm512_set1_ps(e->rb[i]));
        if (e->cb) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, e->cb + 16 * j));
        if (e->res) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, e->res + i * e->ldr + 16 * j));
        x = cpu_gemm_act16(x, e);
      }
      _mm512_mask_storeu_ps(cp, m, x);
    }
  cpu_gemm_act_tail(c, ldc, mr, nr, e);
}

/* [MR_ x 16*NV] = A panel x B panel over kc, then the epilogue into c: on
 * the registers for full-height tiles (nearly all of them), else through
 * the tile t (a far smaller function: edges have many variants). */
CPU_GEMM_INLINE void cpu_gemm_tile16(const int MR_, const int NV, int64_t kc,
                                     const float *restrict a, const float *restrict b, float *c,
                                     int64_t ldc, int64_t nr, const CpuGemmEpi *e) {
  __m512 acc[CPU_GEMM_MR][CPU_GEMM_NV];
  CPU_GEMM_ALIGN float t[CPU_GEMM_MR * CPU_GEMM_NR];
  int64_t p, ldb = e->ldb, tail = nr - 16 * (NV - 1);
  __mmask16 mb = tail >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << tail) - 1);
  int i, v;
#pragma GCC unroll 16
  for (i = 0; i < MR_; i++) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0); /* C is needed at the end */
    _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);
#pragma GCC unroll 4
    for (v = 0; v < NV; v++) acc[i][v] = _mm512_setzero_ps();
  }
  for (p = 0; p < kc; p++) {
    __m512 bv[CPU_GEMM_NV];
    _mm_prefetch((const char *)((uintptr_t)a + 2048), _MM_HINT_T0); /* A streams in: 2 KB ahead */
#pragma GCC unroll 4
    for (v = 0; v < NV; v++)
      bv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(mb, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 16
    for (i = 0; i < MR_; i++) {
      __m512 av = _mm512_set1_ps(a[i]);
#pragma GCC unroll 4
      for (v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
    a += CPU_GEMM_MR;
    b += ldb;
  }
  if (MR_ == CPU_GEMM_MR) { /* on the registers */
    const float *rb = e->rb, *cb = e->cb, *res = e->res;
    const int scale = e->scale, load_c = e->load_c, last = e->last;
    const __m512 alpha = _mm512_set1_ps(e->alpha);
    const int64_t ldr = e->ldr;
#pragma GCC unroll 16
    for (i = 0; i < MR_; i++)
#pragma GCC unroll 4
      for (v = 0; v < NV; v++) {
        __mmask16 m = v == NV - 1 ? mb : (__mmask16)0xffff;
        __m512 x = acc[i][v];
        float *cp = c + i * ldc + 16 * v;
        if (scale) x = _mm512_mul_ps(x, alpha);
        if (load_c) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, cp));
        if (last) {
          if (rb) x = _mm512_add_ps(x, _mm512_set1_ps(rb[i]));
          if (cb) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, cb + 16 * v));
          if (res) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, res + i * ldr + 16 * v));
          x = cpu_gemm_act16(x, e);
        }
        _mm512_mask_storeu_ps(cp, m, x);
      }
    cpu_gemm_act_tail(c, ldc, MR_, nr, e);
    return;
  }
#pragma GCC unroll 16
  for (i = 0; i < MR_; i++)
#pragma GCC unroll 4
    for (v = 0; v < NV; v++) _mm512_store_ps(t + i * CPU_GEMM_NR + 16 * v, acc[i][v]);
  cpu_gemm_epi16(t, MR_, nr, c, ldc, e);
}

/* out[c] = column c of the 16 x 16 block r (4 rounds of 16 shuffles). The
 * loops are unrolled by force, also at -O2, so that the blocks stay in
 * registers. */
CPU_GEMM_INLINE void cpu_gemm_tr16(const __m512 *r, __m512 *out) {
  __m512 t[16], u[16];
  int i, j;
#pragma GCC unroll 8
  for (i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 4
  for (i = 0; i < 4; i++) {
    u[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
    u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
  }
#pragma GCC unroll 4
  for (j = 0; j < 4; j++) { /* u[4i + j]: rows 4i..4i+3 of columns j + 4 * lane */
    __m512 v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88);
    __m512 v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xdd);
    __m512 w0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88);
    __m512 w1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xdd);
    out[j] = _mm512_shuffle_f32x4(v0, w0, 0x88);
    out[j + 8] = _mm512_shuffle_f32x4(v0, w0, 0xdd);
    out[j + 4] = _mm512_shuffle_f32x4(v1, w1, 0x88);
    out[j + 12] = _mm512_shuffle_f32x4(v1, w1, 0xdd);
  }
}

/* cpu_gemm_pack_panel for cs == 1 (each lane's k contiguous): 16 x 16
 * blocks transposed in registers. */
static void cpu_gemm_pack_tr(const float *src, int64_t rs, int64_t rows, int64_t kc, int64_t w,
                             float *restrict dst) {
  int64_t r0, p, q, i;
  for (r0 = 0; r0 < w; r0 += 16) {
    int64_t lanes = cpu_gemm_min(16, w - r0), nr = cpu_gemm_min(lanes, rows - r0);
    __mmask16 m = (__mmask16)((1u << lanes) - 1);
    const float *s = src + r0 * rs;
    __m512 r[16], out[16];
    for (p = 0; p + 16 <= kc; p += 16) {
#pragma GCC unroll 16
      for (i = 0; i < 16; i++)
        r[i] = i < nr ? _mm512_loadu_ps(s + i * rs + p) : _mm512_setzero_ps();
      cpu_gemm_tr16(r, out);
#pragma GCC unroll 16
      for (q = 0; q < 16; q++) _mm512_mask_storeu_ps(dst + (p + q) * w + r0, m, out[q]);
    }
    for (; p < kc; p++)
      for (i = 0; i < lanes; i++) dst[p * w + r0 + i] = i < nr ? s[i * rs + p] : 0.0f;
  }
}

/* cpu_gemm_pack_panel for rs == 1 (each k's lanes contiguous): masked
 * copies, the lanes past rows zero. */
static void cpu_gemm_pack_rows(const float *src, int64_t cs, int64_t rows, int64_t kc, int64_t w,
                               float *restrict dst) {
  int64_t p, v;
  for (v = 0; v < w; v += 16) {
    int64_t n = rows - v < 0 ? 0 : rows - v > 16 ? 16 : rows - v;
    __mmask16 m = (__mmask16)((1u << n) - 1);
    __mmask16 mw = (__mmask16)((1u << cpu_gemm_min(16, w - v)) - 1);
    for (p = 0; p < kc; p++)
      _mm512_mask_storeu_ps(dst + p * w + v, mw, _mm512_maskz_loadu_ps(m, src + p * cs + v));
  }
}

#define CPU_GEMM_UKR(R, V)                                                                 \
  static void cpu_gemm_ukr_##R##_##V(int64_t kc, const float *a, const float *b, float *c, \
                                     int64_t ldc, int64_t nr, const CpuGemmEpi *e) {       \
    cpu_gemm_tile16(R, V, kc, a, b, c, ldc, nr, e);                                        \
  }
#define CPU_GEMM_UKR_ROWS(R) CPU_GEMM_UKR(R, 1) CPU_GEMM_UKR(R, 2)
/* clang-format off */
CPU_GEMM_UKR_ROWS(1) CPU_GEMM_UKR_ROWS(2) CPU_GEMM_UKR_ROWS(3) CPU_GEMM_UKR_ROWS(4)
CPU_GEMM_UKR_ROWS(5) CPU_GEMM_UKR_ROWS(6) CPU_GEMM_UKR_ROWS(7) CPU_GEMM_UKR_ROWS(8)
CPU_GEMM_UKR_ROWS(9) CPU_GEMM_UKR_ROWS(10) CPU_GEMM_UKR_ROWS(11) CPU_GEMM_UKR_ROWS(12)
CPU_GEMM_UKR_ROWS(13) CPU_GEMM_UKR_ROWS(14)
#define CPU_GEMM_ROW(R) { cpu_gemm_ukr_##R##_1, cpu_gemm_ukr_##R##_2 }
static const CpuGemmUkr CPU_GEMM_UKRS[CPU_GEMM_MR][CPU_GEMM_NV] = {
    CPU_GEMM_ROW(1),  CPU_GEMM_ROW(2),  CPU_GEMM_ROW(3),  CPU_GEMM_ROW(4),
    CPU_GEMM_ROW(5),  CPU_GEMM_ROW(6),  CPU_GEMM_ROW(7),  CPU_GEMM_ROW(8),
    CPU_GEMM_ROW(9),  CPU_GEMM_ROW(10), CPU_GEMM_ROW(11), CPU_GEMM_ROW(12),
    CPU_GEMM_ROW(13), CPU_GEMM_ROW(14)};
/* clang-format on */

#elif RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX2

static const int32_t CPU_GEMM_MASK8[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

CPU_GEMM_INLINE __m256 cpu_gemm_act8(__m256 x, const CpuGemmEpi *e) {
  __m256 z = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), v;
  switch (e->act) {
    case RT_ACT_RELU: return _mm256_max_ps(z, x);
    case RT_ACT_LEAKY_RELU:
      return _mm256_blendv_ps(_mm256_mul_ps(x, _mm256_set1_ps(e->act_alpha)), x,
                              _mm256_cmp_ps(x, z, _CMP_GE_OQ));
    case RT_ACT_CLIP:
      return _mm256_min_ps(_mm256_set1_ps(e->act_beta),
                           _mm256_max_ps(_mm256_set1_ps(e->act_alpha), x));
    case RT_ACT_HARD_SIGMOID:
      v = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(e->act_alpha), x),
                        _mm256_set1_ps(e->act_beta));
      return _mm256_min_ps(one, _mm256_max_ps(z, v));
    case RT_ACT_HARD_SWISH:
      v = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(1.0f / 6.0f), x), _mm256_set1_ps(0.5f));
      return _mm256_mul_ps(x, _mm256_min_ps(one, _mm256_max_ps(z, v)));
    case RT_ACT_GELU: return cpu_gelu8(x);
    default: return x;
  }
}

CPU_GEMM_INLINE void cpu_gemm_tile8(const int MR_, const int NV, int64_t kc,
                                    const float *restrict a, const float *restrict b, float *c,
                                    int64_t ldc, int64_t nr, const CpuGemmEpi *e) {
  __m256 acc[CPU_GEMM_MR][CPU_GEMM_NV];
  int64_t p, tail = nr - 8 * (NV - 1);
  __m256i ml = _mm256_loadu_si256((const __m256i *)(CPU_GEMM_MASK8 + 8 - (tail > 8 ? 8 : tail)));
  int i, v;
#pragma GCC unroll 8
  for (i = 0; i < MR_; i++)
#pragma GCC unroll 2
    for (v = 0; v < NV; v++) acc[i][v] = _mm256_setzero_ps();
  for (p = 0; p < kc; p++) {
    __m256 bv[CPU_GEMM_NV];
#pragma GCC unroll 2
    for (v = 0; v < NV; v++) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 8
    for (i = 0; i < MR_; i++) {
      __m256 av = _mm256_broadcast_ss(a + i);
#pragma GCC unroll 2
      for (v = 0; v < NV; v++) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
    }
    a += CPU_GEMM_MR;
    b += CPU_GEMM_NR;
  }
#pragma GCC unroll 8
  for (i = 0; i < MR_; i++)
#pragma GCC unroll 2
    for (v = 0; v < NV; v++) {
      __m256i m = v == NV - 1 ? ml : _mm256_set1_epi32(-1);
      __m256 x = acc[i][v];
      float *cp = c + i * ldc + 8 * v;
      if (e->scale) x = _mm256_mul_ps(x, _mm256_set1_ps(e->alpha));
      if (e->load_c) x = _mm256_add_ps(x, _mm256_maskload_ps(cp, m));
      if (e->last) {
        if (e->rb) x = _mm256_add_ps(x, _mm256_set1_ps(e->rb[i]));
        if (e->cb) x = _mm256_add_ps(x, _mm256_maskload_ps(e->cb + 8 * v, m));
        if (e->res) x = _mm256_add_ps(x, _mm256_maskload_ps(e->res + i * e->ldr + 8 * v, m));
        x = cpu_gemm_act8(x, e);
      }
      _mm256_maskstore_ps(cp, m, x);
    }
  cpu_gemm_act_tail(c, ldc, MR_, nr, e);
}

#define CPU_GEMM_UKR(R, V)                                                                 \
  static void cpu_gemm_ukr_##R##_##V(int64_t kc, const float *a, const float *b, float *c, \
                                     int64_t ldc, int64_t nr, const CpuGemmEpi *e) {       \
    cpu_gemm_tile8(R, V, kc, a, b, c, ldc, nr, e);                                         \
  }
#define CPU_GEMM_UKR_ROWS(R) CPU_GEMM_UKR(R, 1) CPU_GEMM_UKR(R, 2)
/* clang-format off */
CPU_GEMM_UKR_ROWS(1) CPU_GEMM_UKR_ROWS(2) CPU_GEMM_UKR_ROWS(3)
CPU_GEMM_UKR_ROWS(4) CPU_GEMM_UKR_ROWS(5) CPU_GEMM_UKR_ROWS(6)
#define CPU_GEMM_ROW(R) { cpu_gemm_ukr_##R##_1, cpu_gemm_ukr_##R##_2 }
static const CpuGemmUkr CPU_GEMM_UKRS[CPU_GEMM_MR][CPU_GEMM_NV] = {
    CPU_GEMM_ROW(1), CPU_GEMM_ROW(2), CPU_GEMM_ROW(3),
    CPU_GEMM_ROW(4), CPU_GEMM_ROW(5), CPU_GEMM_ROW(6)};
/* clang-format on */

#else

/* Plain C: the whole MR x NR tile (padding included) in a restrict
 * accumulator, then the rows that exist through the scalar epilogue. */
static void cpu_gemm_ukr_generic(int64_t kc, const float *restrict a, const float *restrict b,
                                 float *c, int64_t ldc, int64_t mr, int64_t nr,
                                 const CpuGemmEpi *e) {
  float t[CPU_GEMM_MR * CPU_GEMM_NR];
  int64_t p, i;
  int j;
  for (j = 0; j < CPU_GEMM_MR * CPU_GEMM_NR; j++) t[j] = 0.0f;
  for (p = 0; p < kc; p++, a += CPU_GEMM_MR, b += CPU_GEMM_NR) {
    float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    for (j = 0; j < CPU_GEMM_NR; j++) t[j] += a0 * b[j];
    for (j = 0; j < CPU_GEMM_NR; j++) t[CPU_GEMM_NR + j] += a1 * b[j];
    for (j = 0; j < CPU_GEMM_NR; j++) t[2 * CPU_GEMM_NR + j] += a2 * b[j];
    for (j = 0; j < CPU_GEMM_NR; j++) t[3 * CPU_GEMM_NR + j] += a3 * b[j];
  }
  for (i = 0; i < mr; i++) cpu_gemm_epi_row(c + i * ldc, t + i * CPU_GEMM_NR, nr, e, i);
}

#endif

/* Packing in the kernels: each lane's k contiguous (transposed in
 * registers) or each k's lanes contiguous (masked copies) with AVX-512,
 * else cpu_gemm_pack_panel. */
#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512
#define CPU_GEMM_TR 1
#define CPU_GEMM_PACK_TR cpu_gemm_pack_tr
#define CPU_GEMM_PACK_ROWS cpu_gemm_pack_rows
#else
#define CPU_GEMM_TR 0
#define CPU_GEMM_PACK_TR(src, rs, rows, kc, w, dst) \
  cpu_gemm_pack_panel(src, rs, 1, rows, kc, w, dst)
#define CPU_GEMM_PACK_ROWS(src, cs, rows, kc, w, dst) \
  cpu_gemm_pack_panel(src, 1, cs, rows, kc, w, dst)
#endif

/* B read in place (rows e->ldb apart): only the AVX-512 kernel masks its
 * loads of B. */
#define CPU_GEMM_DIRECT_B (RT_CPU_ISA_NATIVE == RT_CPU_ISA_AVX512)

/* One tile: mr x nr (<= MR x NR) of C from packed panels. */
static void cpu_gemm_tile(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                          int64_t mr, int64_t nr, const CpuGemmEpi *e) {
#if RT_CPU_ISA_NATIVE == RT_CPU_ISA_GENERIC
  cpu_gemm_ukr_generic(kc, a, b, c, ldc, mr, nr, e);
#else
  CPU_GEMM_UKRS[mr - 1][(nr + CPU_GEMM_VL - 1) / CPU_GEMM_VL - 1](kc, a, b, c, ldc, nr, e);
#endif
}

/* A column of C (n = 1): t[i] = sum_p a[p][i] b[p][0] over the panels. */
static void cpu_gemm_col_tile(int64_t kc, const float *restrict a, const float *restrict b,
                              float *c, int64_t ldc, int64_t mr, const CpuGemmEpi *e) {
  float t[CPU_GEMM_MR];
  int64_t p, i;
  for (i = 0; i < CPU_GEMM_MR; i++) t[i] = 0.0f;
  for (p = 0; p < kc; p++, a += CPU_GEMM_MR) {
    float bv = b[p * e->ldb];
    for (i = 0; i < CPU_GEMM_MR; i++) t[i] += a[i] * bv;
  }
  for (i = 0; i < mr; i++) cpu_gemm_epi_row(c + i * ldc, t + i, 1, e, i);
}

#endif
