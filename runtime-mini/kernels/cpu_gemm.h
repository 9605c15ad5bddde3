/* cpu_gemm.h - packed float32 GEMM for the cpu target (cpu_gemm.c).
 *
 *   C[m,n] = epilogue(alpha * A[m,k] B[k,n])
 *   epilogue(t) = act(t (+ C) (+ row_bias[i]) (+ col_bias[j]) (+ res[i,j]))
 *
 * in that order, act and its alpha/beta as rt_act_f32 (RT_ACT_*); "+ C"
 * when accumulate is 1 (beta = 1). C has unit column stride and row stride
 * ldc; res likewise with res_rs. A and B are each either raw (any row and
 * column strides, so transposes are free) or pre-packed.
 *
 * Instruction sets and layouts. The micro-kernel computes an MR x NR tile
 * of C from an A panel (MR rows) and a B panel (NR columns) over a slice of
 * at most KC of k:
 *   RT_CPU_ISA_GENERIC  MR 4,  NR 16, KC 256 (plain C, auto-vectorized)
 *   RT_CPU_ISA_AVX2     MR 6,  NR 16, KC 256 (AVX2 + FMA)
 *   RT_CPU_ISA_AVX512   MR 14, NR 32, KC 256 (AVX-512F)
 * RT_CPU_ISA_NATIVE is the set the compile flags give; the kernels of this
 * translation unit use its layout. rt_cpu_gemm_layout(isa) gives any set's
 * layout, so that gpuxc (compiled generically) packs constant operands for
 * the target's set at compile time.
 *
 * Packed operands (rt_cpu_gemm_pack_a / _b, sizes in floats from
 * rt_cpu_gemm_pack_a_size / _b_size): a header of RT_CPU_PACK_HEADER floats
 * (magic, A or B, isa, panel width, KC, rows, cols), then for each KC slice
 * s of k (kc_s = min(KC, k - s*KC)), for each panel q:
 *   A [m,k]: panel q holds rows [q*MR, q*MR+MR) as [kc_s][MR]
 *   B [k,n]: panel q holds cols [q*NR, q*NR+NR) as [kc_s][NR]
 * at header + s*KC*P + q*W*kc_s (W: MR or NR; P: m or n rounded up to W);
 * rows or columns past the end are zero. The GEMM checks every header: a
 * wrong magic, kind or size makes it return -1 without writing C; a packing
 * for another instruction set still computes (repacked on the fly, slowly).
 * Pack into 64-byte aligned buffers (the weights blob) for full speed.
 *
 * Batches: the GEMM runs for every index (i0..) < batch[0..batch_rank)
 * (batch_rank 0 to 4: one GEMM); operand X of that batch starts at
 * X + sum(i_j * x_bstride[j]) (elements; 0 broadcasts, e.g. one packed B
 * shared by all, whose per-batch stride is otherwise its packed size).
 * row_bias [m] and col_bias [n] are shared by all batches.
 *
 * Threads: tp is the pool (NULL runs in the caller). The work is split into
 * tasks over the batch and blocks of C; buffers live on the task's stack
 * (about 700 KB with AVX-512), nothing is allocated, and the kernels are
 * reentrant. C must not overlap A, B or res, except that res may be C
 * (same strides) when accumulate is 0. m, n, k >= 0; k = 0 gives
 * epilogue(0). Nothing is padded to a whole tile: edge tiles compute only
 * their rows and 16-column vectors; one row or column of C takes a GEMV
 * loop when both operands are raw, else 1-row tiles (m = 1) or a column
 * kernel (n = 1). */
#ifndef RT_CPU_GEMM_H
#define RT_CPU_GEMM_H

#include "rt_kernels.h"
#include "tpool.h"

#define RT_CPU_ISA_GENERIC 0
#define RT_CPU_ISA_AVX2 1
#define RT_CPU_ISA_AVX512 2

#if defined(__AVX512F__) && defined(__FMA__) && defined(__GNUC__)
#define RT_CPU_ISA_NATIVE RT_CPU_ISA_AVX512
#elif defined(__AVX2__) && defined(__FMA__) && defined(__GNUC__)
#define RT_CPU_ISA_NATIVE RT_CPU_ISA_AVX2
#else
#define RT_CPU_ISA_NATIVE RT_CPU_ISA_GENERIC
#endif

#define RT_CPU_PACK_HEADER 16 /* floats before the panels (64 bytes) */

/* The packing layout of an instruction set (an unknown isa gives the
 * generic one). */
typedef struct RtCpuGemmLayout {
  int64_t isa, mr, nr, kc;
} RtCpuGemmLayout;

/* The GEMM (a parameter struct: gpuxc fills it field by field).
 *   m, n, k                 C [m,n] = A [m,k] B [k,n]
 *   a_packed, b_packed      1: the operand is packed (strides unused)
 *   a_rs, a_cs, b_rs, b_cs  raw operands: A(i,p) = a[i*a_rs + p*a_cs],
 *                           B(p,j) = b[p*b_rs + j*b_cs]
 *   ldc, res_rs             row strides of C and res (columns contiguous)
 *   batch_rank, batch       the batch dims (0 to 4)
 *   *_bstride               each operand's stride along each batch dim
 *   accumulate              1: add C's contents (beta = 1)
 *   alpha                   scales A B
 *   act, act_alpha, act_beta   the activation, as rt_act_f32 */
typedef struct RtCpuGemm {
  int64_t m, n, k;
  int64_t a_packed, b_packed;
  int64_t a_rs, a_cs, b_rs, b_cs;
  int64_t ldc, res_rs;
  int64_t batch_rank;
  int64_t batch[4];
  int64_t a_bstride[4], b_bstride[4], c_bstride[4], res_bstride[4];
  int64_t accumulate;
  float alpha;
  int64_t act;
  float act_alpha, act_beta;
} RtCpuGemm;

/* For cpu_conv.c: B packed on demand. fn(ctx, b, p0, kc, j0, nc, ps, dst)
 * writes rows [p0, p0+kc) and columns [j0, j0+nc) of B as ceil(nc/NR)
 * panels [kc][NR] of the native layout, panel q at dst + q*ps, lanes past
 * nc zero; b is the batch's B pointer (after the batch strides). */
typedef void (*RtCpuPackB)(const void *ctx, const float *b, int64_t p0, int64_t kc, int64_t j0,
                           int64_t nc, int64_t ps, float *dst);
typedef struct RtCpuGemmExt {
  RtCpuPackB pack_b; /* NULL: B as in RtCpuGemm */
  const void *pack_ctx;
  int64_t rb_bstride[4]; /* row_bias per batch (the conv's groups) */
} RtCpuGemmExt;

#ifndef RT_UNITY
RT_API RtCpuGemmLayout rt_cpu_gemm_layout(int64_t isa);
RT_API int64_t rt_cpu_gemm_pack_a_size(const RtCpuGemmLayout *l, int64_t m, int64_t k);
RT_API int64_t rt_cpu_gemm_pack_b_size(const RtCpuGemmLayout *l, int64_t k, int64_t n);
/* Packs a[i*rs + p*cs] (i < m, p < k) into dst (pack_a_size floats). */
RT_API void rt_cpu_gemm_pack_a(const RtCpuGemmLayout *l, int64_t m, int64_t k, const float *a,
                               int64_t rs, int64_t cs, float *dst);
/* Packs b[p*rs + j*cs] (p < k, j < n) into dst (pack_b_size floats). */
RT_API void rt_cpu_gemm_pack_b(const RtCpuGemmLayout *l, int64_t k, int64_t n, const float *b,
                               int64_t rs, int64_t cs, float *dst);
/* Returns 0, or -1 (C untouched) if a packed operand's header is wrong. */
RT_API int rt_cpu_gemm_f32(const RtCpuGemm *p, const float *a, const float *b,
                           const float *row_bias, const float *col_bias, const float *res, float *c,
                           RtThreads *tp);
/* The same with the extensions above (x may be NULL). */
RT_API int rt_cpu_gemm_ext_f32(const RtCpuGemm *p, const RtCpuGemmExt *x, const float *a,
                               const float *b, const float *row_bias, const float *col_bias,
                               const float *res, float *c, RtThreads *tp);
#endif

#endif
