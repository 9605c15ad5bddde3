/* layout.h - kernels that rearrange or generate tensors (layout.c): Tile,
 * Trilu, EyeLike, OneHot, ReverseSequence, Compress. All move elements of
 * elem bytes (1, 2, 4 or 8) without arithmetic. (DepthToSpace, SpaceToDepth
 * and CenterCropPad lower to rt_copy and rt_pad.) */
#ifndef RT_LAYOUT_H
#define RT_LAYOUT_H

#include "rt_kernels.h"

/* Tile: y (dims out) repeats x (dims in); out[d] is a multiple of in[d]. */
typedef struct RtTile {
  int64_t rank;
  int64_t in[RT_MAX_RANK], out[RT_MAX_RANK];
  int64_t elem;
} RtTile;

/* Trilu on [batch, rows, cols]: keeps x[i][j] where j - i >= k (upper) or
 * j - i <= k (lower), zeros elsewhere. k is *kp when kp is not NULL. */
typedef struct RtTrilu {
  int64_t batch, rows, cols, upper, k, elem;
} RtTrilu;

/* EyeLike: y [rows, cols] is `one` on the diagonal j - i = k, 0 elsewhere;
 * `one` holds the bits of 1 in the element type (in its low elem bytes). */
typedef struct RtEyeLike {
  int64_t rows, cols, k, elem, one;
} RtEyeLike;

/* OneHot: y [outer, depth, inner] is values[1] where the index idx[outer,
 * inner] equals the position along depth (negative indices count from the
 * end), values[0] elsewhere. idx_type: the ONNX type number of idx (1
 * float, 2 uint8, 3 int8, 4 uint16, 5 int16, 6 int32, 7 int64, 11 double,
 * 12 uint32, 13 uint64); floats are truncated. */
typedef struct RtOneHot {
  int64_t outer, depth, inner, idx_type, elem;
} RtOneHot;

/* ReverseSequence on x [d0, d1, inner] with the batch in dim 0
 * (batch_first) or dim 1 and time in the other: the first lens[b] time
 * steps of batch b are reversed, the rest copied (lens clamped to the time
 * length). */
typedef struct RtReverseSeq {
  int64_t batch_first, d0, d1, inner, elem;
} RtReverseSeq;

/* Compress: x [outer, axis_len, inner]; y keeps the positions p along the
 * axis with p < ncond and cond[p] != 0 (cond: one byte per position). */
typedef struct RtCompress {
  int64_t outer, axis_len, inner, ncond, elem;
} RtCompress;

#ifndef RT_UNITY
RT_API void rt_tile(const RtTile *p, const void *x, void *y);
RT_API void rt_trilu(const RtTrilu *p, const void *x, const int64_t *kp, void *y);
RT_API void rt_eye_like(const RtEyeLike *p, void *y);
RT_API void rt_one_hot(const RtOneHot *p, const void *idx, const void *values, void *y);
RT_API void rt_reverse_sequence(const RtReverseSeq *p, const void *x, const int64_t *lens, void *y);
RT_API void rt_compress(const RtCompress *p, const void *x, const void *cond, void *y);
#endif

#endif
