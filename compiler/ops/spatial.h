/* spatial.h - the window geometry shared by Conv, ConvTranspose and the
 * pools: kernel, strides, dilations, pads and auto_pad. */
#ifndef GPUXC_SPATIAL_H
#define GPUXC_SPATIAL_H

#include "op.h"

#define SP_MAX 3 /* spatial dims supported by the kernels */

typedef struct Spatial {
  int n;                  /* spatial dims of the op: 1..3 */
  int64_t in[SP_MAX], k[SP_MAX], out[SP_MAX];
  int64_t stride[SP_MAX], dil[SP_MAX], pad_begin[SP_MAX], pad_end[SP_MAX];
} Spatial;

/* Reads strides, dilations, pads, auto_pad (and ceil_mode when allowed) for
 * a window of size k over in, and computes the output size. */
int spatial_window(OpCtx *c, Spatial *s, int allow_ceil);

/* Reads strides and dilations only (default 1). */
int spatial_strides(OpCtx *c, Spatial *s);

/* Writes an array of the n spatial values as the kernel's 3 (d, h, w), with
 * leading fill values. */
void spatial_to3(const int64_t *v, int n, int64_t fill, int64_t out[3]);

/* Adds the kernel fields in, out, k, stride, dil, pad_begin (and pad_end)
 * shared by RtConv, RtConvTranspose and RtPool. */
void spatial_kcall(KCall *k, const Spatial *s, int with_pad_end);

#endif
