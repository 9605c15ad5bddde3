/* dynamic.h - kernels of the ops whose output shape depends on the data
 * (dynamic.c): NonZero, Unique, NonMaxSuppression. Each writes its outputs
 * compactly in their actual shape at the start of buffers sized for the
 * upper bound, and the actual dims to an int64 array per output. */
#ifndef RT_DYNAMIC_H
#define RT_DYNAMIC_H

#include "rt_kernels.h"

/* NonZero: x of n elements, rank dims (row-major), esize bytes each; an
 * element counts when any of its bytes is not zero, or for floats (is_f32,
 * is_f64) when it is not 0.0 (so -0.0 does not count, NaN does).
 * y: int64 [rank, count], the indices of the counted elements in row-major
 * order; shape = {rank, count}. */
typedef struct RtNonZero {
  int64_t n, rank;
  int64_t dims[8];
  int64_t esize, is_f32, is_f64;
} RtNonZero;

/* How Unique compares elements (RtUnique.kind). Floats: -0.0 equals 0.0,
 * NaN equals NaN and sorts after everything else. */
enum {
  RT_UQ_SIGNED = 0,   /* two's complement integers of esize bytes */
  RT_UQ_UNSIGNED = 1, /* unsigned integers and bool */
  RT_UQ_F32 = 2,
  RT_UQ_F64 = 3,
  RT_UQ_F16 = 4,
  RT_UQ_BF16 = 5,
  RT_UQ_BYTES = 6 /* strings: esize bytes compared as unsigned chars */
};

/* Unique: x viewed as [outer, len, inner] (no axis: outer = inner = 1 and len
 * = numel) holds len slices x[:, i, :] of esize-byte elements, compared
 * element by element in row-major order. rt_unique groups equal slices and
 * writes, for the distinct slices in ascending order (sorted) or in order of
 * first occurrence:
 *   y        [outer, count, inner] (NULL: not wanted); y_shape its dims: rank
 *            dims with dims[axis] = count, or {count} when axis < 0
 *   inverse  int64 [len], the position in y of each slice of x (may be NULL)
 * and leaves in scratch (rt_unique_scratch bytes) what rt_unique_stats reads:
 *   indices  int64 [count], each distinct slice's first index in x
 *   counts   int64 [count], how often it occurs
 * with idx_shape = cnt_shape = {count} (any of the four may be NULL). */
typedef struct RtUnique {
  int64_t outer, len, inner, esize, kind;
  int64_t sorted, axis, rank;
  int64_t dims[8];
} RtUnique;

/* NonMaxSuppression: boxes float [batches, boxes, 4] (center_point_box 0:
 * [y1, x1, y2, x2], any two opposite corners; 1: [x_center, y_center, width,
 * height]), scores float [batches, classes, boxes]. The scalars may be NULL
 * (absent): max_out int64 (absent: 0, negative counts as 0), iou float
 * (absent: 0), score_thr float (absent: no score filter; else a box is a
 * candidate when its score > score_thr). Per batch and class, candidates go
 * by descending score, ties by ascending box index (NaN scores last); one is
 * selected unless its IoU with a box already selected in that class exceeds
 * iou, until max_out are selected. y: int64 [count, 3] rows (batch, class,
 * box) in that order; shape = {count, 3}. scratch: rt_nms_scratch bytes. */
typedef struct RtNms {
  int64_t batches, classes, boxes, center_point_box;
} RtNms;

#ifndef RT_UNITY
RT_API void rt_nonzero(const RtNonZero *p, const void *x, int64_t *y, int64_t *shape);
RT_API int64_t rt_unique_scratch(const RtUnique *p);
RT_API void rt_unique(const RtUnique *p, const void *x, void *y, int64_t *inverse, int64_t *y_shape,
                      void *scratch);
RT_API void rt_unique_stats(const RtUnique *p, int64_t *indices, int64_t *counts,
                            int64_t *idx_shape, int64_t *cnt_shape, const void *scratch);
RT_API int64_t rt_nms_scratch(const RtNms *p);
RT_API void rt_nms(const RtNms *p, const float *boxes, const float *scores, const int64_t *max_out,
                   const float *iou, const float *score_thr, int64_t *y, int64_t *shape,
                   void *scratch);
#endif

#endif
