/* cpu_dw.h - depthwise convolution for the cpu target (cpu_dw.c): NCHW
 * float32, 2-D, with the bias, a residual add and the activation fused.
 *
 * The parameters are Conv's own RtConv (rt_kernels.h), with the same
 * semantics as rt_conv_f32: spatial arrays are (d, h, w) and the d entries
 * must be those of a 2-D conv (in[0] = out[0] = k[0] = 1, pad_begin[0] = 0);
 * a 1-D conv is the 2-D one with in[1] = out[1] = k[1] = 1. Depthwise means
 * group == c and m a multiple of c: output channel co reads input channel
 * co / (m / c). Any kernel size, stride, dilation and padding (pad_end is
 * implied by out; taps outside the input read zeros).
 *
 *   x   [n, c, in[1], in[2]]
 *   w   [m, 1, k[1], k[2]]
 *   b   [m] or NULL
 *   res [n, m, out[1], out[2]] or NULL
 *   y   [n, m, out[1], out[2]] = act(conv(x, w) + b + res)
 *
 * act, alpha and beta as rt_act_f32 (RT_ACT_CLIP with alpha 0 and beta 6 is
 * ReLU6). y must not overlap x; it may be res. Results match rt_conv_f32's
 * to float rounding (the taps are summed in another order) and are the
 * same bit for bit on any number of threads.
 *
 * tp: the thread pool, or NULL to run in the caller. The tasks are runs of
 * output rows (whole planes where the plane is small), about 16 per
 * thread. The kernel allocates nothing. Fast routes (cpu_dw.c): 3x3 and
 * 5x5 with stride 1 or 2, and small planes (up to 1024 outputs) with
 * stride 1 and "same" width; the rest is general and slower.
 *
 * rt_cpu_dw_ok(p) says whether p has this shape (1) or not (0); the kernel
 * must be called only where it does. */
#ifndef RT_CPU_DW_H
#define RT_CPU_DW_H

#include "rt_kernels.h"
#include "tpool.h"

#ifndef RT_UNITY
RT_API int rt_cpu_dw_ok(const RtConv *p);
RT_API void rt_cpu_dw_f32(const RtConv *p, const float *x, const float *w, const float *b,
                          const float *res, float *y, RtThreads *tp);
#endif

#endif
