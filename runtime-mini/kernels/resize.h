/* resize.h - spatial resampling kernels (resize.c): Resize and Upsample,
 * GridSample, AffineGrid, Col2Im, MaxUnpool, RoiAlign. */
#ifndef RT_RESIZE_H
#define RT_RESIZE_H

#include "rt_kernels.h"

/* Resize interpolation (RtResize.mode). */
enum { RT_RS_NEAREST = 0, RT_RS_LINEAR = 1, RT_RS_CUBIC = 2 };

/* How an output coordinate maps to an input one (RtResize.coord): ONNX's
 * coordinate_transformation_mode. */
enum {
  RT_RS_HALF_PIXEL = 0,
  RT_RS_HALF_PIXEL_SYMMETRIC = 1,
  RT_RS_PYTORCH_HALF_PIXEL = 2,
  RT_RS_ALIGN_CORNERS = 3,
  RT_RS_ASYMMETRIC = 4,
  RT_RS_TF_CROP_AND_RESIZE = 5,
  RT_RS_TF_HALF_PIXEL_FOR_NN = 6
};

/* Rounding of nearest (RtResize.nearest). SIMPLE is Resize-10 and Upsample:
 * ceil when the axis shrinks, floor otherwise. */
enum {
  RT_RS_ROUND_PREFER_FLOOR = 0,
  RT_RS_ROUND_PREFER_CEIL = 1,
  RT_RS_FLOOR = 2,
  RT_RS_CEIL = 3,
  RT_RS_SIMPLE = 4
};

/* Resize of a tensor of rank dims in[] to out[] (runs of axes left alone are
 * merged into one dim by the compiler). Bit d of `resized` marks a resampled
 * axis; the others are copied. Axis d's scale s is scale_num[d] / scale_den[d]
 * (exact: ONNX computes coordinates in float64 from a float32 scale or from
 * sizes / input size). tf_crop_and_resize maps x to
 * x * span * (in - 1) / (s * in - 1) + off, where span = roi_span[d] / roi_den
 * is end - start and off = roi_off[d] / roi_den is start * (in - 1), and
 * writes `extrapolation` where that is outside the input. Interpolation is
 * separable: one pass per resampled axis, in axis order, through the scratch
 * memory (rt_resize_scratch bytes). Linear and cubic are float32; nearest
 * copies elements of elem bytes (any type). */
typedef struct RtResize {
  int64_t rank, resized;
  int64_t in[RT_MAX_RANK], out[RT_MAX_RANK];
  int64_t scale_num[RT_MAX_RANK], scale_den[RT_MAX_RANK];
  int64_t roi_span[RT_MAX_RANK], roi_off[RT_MAX_RANK], roi_den;
  int64_t mode, coord, nearest, exclude_outside, antialias, elem;
  float cubic_a, extrapolation;
} RtResize;

/* GridSample: x [n, c, in...] sampled at grid [n, out..., r] (normalized
 * coordinates in [-1, 1], innermost dim first) into y [n, c, out...]; r
 * spatial dims. mode: 0 nearest, 1 linear, 2 cubic; padding: 0 zeros,
 * 1 border, 2 reflection. */
typedef struct RtGridSample {
  int64_t n, c, r;
  int64_t in[RT_MAX_RANK], out[RT_MAX_RANK];
  int64_t mode, padding, align_corners;
} RtGridSample;

/* AffineGrid: theta [n, r, r + 1] applied to the normalized grid of the r = 2
 * (size[1..2] = h, w; size[0] = 1) or 3 (size = d, h, w) spatial dims;
 * y [n, size..., r]. */
typedef struct RtAffineGrid {
  int64_t n, r;
  int64_t size[3];
  int64_t align_corners;
} RtAffineGrid;

/* Col2Im: x [n, c * prod(block), prod(cols)] summed into y [n, c, image...]
 * (r spatial dims); block position b of column l lands at
 * l * stride - pad + b * dil per dim. */
typedef struct RtCol2Im {
  int64_t n, c, r;
  int64_t image[RT_MAX_RANK], block[RT_MAX_RANK], cols[RT_MAX_RANK];
  int64_t stride[RT_MAX_RANK], dil[RT_MAX_RANK], pad[RT_MAX_RANK];
} RtCol2Im;

/* MaxUnpool: y (dims out[]) is zeros except that each of the count elements
 * of x goes to the flat index idx[i] of a tensor of dims inferred[] (the
 * unpooled shape), which sits at the origin of y. elem: bytes per element. */
typedef struct RtMaxUnpool {
  int64_t count, rank;
  int64_t inferred[RT_MAX_RANK], out[RT_MAX_RANK];
  int64_t elem;
} RtMaxUnpool;

/* RoiAlign: x [n, c, h, w]; rois [num_rois, 4] (x1, y1, x2, y2) in input
 * pixels / spatial_scale; batch [num_rois] (int64); y [num_rois, c, out_h,
 * out_w]. Each bin averages (or takes the max of) sampling_ratio^2 bilinear
 * samples (0: ceil(bin size) per dim). half_pixel shifts the rois by -0.5. */
typedef struct RtRoiAlign {
  int64_t n, c, h, w, num_rois, out_h, out_w;
  int64_t sampling_ratio, half_pixel, mode_max;
  float spatial_scale;
} RtRoiAlign;

#ifndef RT_UNITY
RT_API int64_t rt_resize_scratch(const RtResize *p);
RT_API void rt_resize_nearest(const RtResize *p, const void *x, void *y, void *scratch);
RT_API void rt_resize_f32(const RtResize *p, const float *x, float *y, void *scratch);
RT_API void rt_grid_sample_f32(const RtGridSample *p, const float *x, const float *grid, float *y);
RT_API void rt_affine_grid_f32(const RtAffineGrid *p, const float *theta, float *y);
RT_API void rt_col2im_f32(const RtCol2Im *p, const float *x, float *y);
RT_API void rt_max_unpool(const RtMaxUnpool *p, const void *x, const int64_t *idx, void *y);
RT_API void rt_roi_align_f32(const RtRoiAlign *p, const float *x, const float *rois,
                             const int64_t *batch, float *y);
#endif

#endif
