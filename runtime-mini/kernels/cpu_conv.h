/* cpu_conv.h - NCHW float32 convolution for the cpu target (cpu_conv.c), as
 * an implicit GEMM on cpu_gemm.c: per image and group,
 *   Y[mg, oh*ow] = act(W[mg, cg*kh*kw] X'[cg*kh*kw, oh*ow] + b + res)
 * where X' (im2col of the input) is never built: each task packs the
 * block of it that it needs straight into the GEMM's NR-column panels. A
 * 1x1 conv with stride 1 and no padding reads the input as B directly.
 *
 * The parameters are Conv's own RtConv (rt_kernels.h), 2-D: the d entries
 * must be in[0] = out[0] = k[0] = 1, stride[0] = dil[0] = 1, pad_begin[0] =
 * 0 (a 1-D conv is the 2-D one with in[1] = out[1] = k[1] = 1). Any group
 * count that divides c and m, stride, dilation, and begin pads; the end
 * pads are implied by out (taps outside the input read zeros), so a kernel
 * larger than the input works. rt_cpu_conv_ok(p) checks these. Depthwise
 * convs (c / group == 1) are correct but slow here: use cpu_dw.h.
 *
 *   x   [n, c, in[1], in[2]]
 *   wp  the weights [m, c/group, k[1], k[2]] packed by rt_cpu_conv_pack for
 *       the instruction set this file is compiled for (RT_CPU_ISA_NATIVE;
 *       another set's packing still works, slowly): per group, the A
 *       operand [m/group, c/group*k[1]*k[2]] of rt_cpu_gemm_pack_a, the
 *       groups one after the other (rt_cpu_conv_pack_size floats)
 *   b   [m] or NULL
 *   res [n, m, out[1], out[2]] or NULL
 *   y   [n, m, out[1], out[2]] = act(conv(x, w) + b + res)
 *
 * act, alpha and beta as rt_act_f32. y must not overlap x; it may be res.
 * tp: the thread pool, or NULL. Nothing is allocated; each task keeps
 * about 800 KB on its stack. Returns 0, or -1 (y untouched) if wp's
 * headers do not match p. */
#ifndef RT_CPU_CONV_H
#define RT_CPU_CONV_H

#include "cpu_gemm.h"
#include "rt_kernels.h"
#include "tpool.h"

#ifndef RT_UNITY
RT_API int rt_cpu_conv_ok(const RtConv *p);
RT_API int64_t rt_cpu_conv_pack_size(const RtConv *p, int64_t isa);
RT_API void rt_cpu_conv_pack(const RtConv *p, int64_t isa, const float *w, float *wp);
RT_API int rt_cpu_conv_f32(const RtConv *p, const float *x, const float *wp, const float *b,
                           const float *res, float *y, RtThreads *tp);
#endif

#endif
