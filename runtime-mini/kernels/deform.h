/* deform.h - the kernel of DeformConv (deform.c). */
#ifndef RT_DEFORM_H
#define RT_DEFORM_H

#include "rt_kernels.h"

/* Deformable convolution with 1 to 3 spatial dims (nd). Spatial arrays are
 * (d, h, w) as in RtConv: the last nd entries are the op's dims, the ones
 * before them 1 (in, out, k, stride, dil) or 0 (pad_begin).
 * x: [n, c, in...], w: [m, c/group, k...], b: [m] or NULL,
 * offset: [n, offset_group * K * nd, out...] with K = the product of k,
 * mask: [n, offset_group * K, out...] or NULL (all ones), y: [n, m, out...];
 * float32, or float64 if f64. Channel ch uses offset group
 * ch / (c / offset_group). Kernel tap t of output position o samples x at
 * o * stride - pad_begin + t * dil + the tap's offset (one per spatial
 * dim, in order), interpolating linearly along each dim between the two
 * nearest elements, each taken as 0 outside x (so a position at -1 or
 * in[j] or further out gives 0); the sample is scaled by the mask. Then
 * y = w * samples + b, one GEMM per image and group.
 * scratch: rt_deform_conv_scratch(p) bytes. */
typedef struct RtDeformConv {
  int64_t n, c, m, group, offset_group, nd;
  int64_t in[3], out[3], k[3];
  int64_t stride[3], dil[3], pad_begin[3];
  int64_t f64;
} RtDeformConv;

#ifndef RT_UNITY
RT_API int64_t rt_deform_conv_scratch(const RtDeformConv *p);
RT_API void rt_deform_conv(const RtDeformConv *p, const void *x, const void *w, const void *offset,
                           const void *b, const void *mask, void *y, void *scratch);
#endif

#endif
