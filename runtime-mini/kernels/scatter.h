/* scatter.h - ScatterND and ScatterElements (scatter.c): y is a copy of x
 * with updates written at the places indices name, in index order.
 *
 * reduction: RT_SCATTER_NONE replaces (elements of elem bytes, any type);
 * the others combine the old value with the update and need `type`, the
 * ONNX type number (1 float, 2 uint8, 3 int8, 4 uint16, 5 int16, 6 int32,
 * 7 int64, 11 double, 12 uint32, 13 uint64; integers wrap). Negative
 * indices count from the end; an index still out of range is skipped. */
#ifndef RT_SCATTER_H
#define RT_SCATTER_H

#include "rt_kernels.h"

enum {
  RT_SCATTER_NONE = 0,
  RT_SCATTER_ADD = 1,
  RT_SCATTER_MUL = 2,
  RT_SCATTER_MAX = 3,
  RT_SCATTER_MIN = 4
};

/* ScatterND: idx holds n tuples of k indices (int64) into the first k dims
 * of x (sizes dims[], strides strides[], in elements); tuple t writes
 * updates[t * inner ..] to the inner elements it addresses. x has total
 * elements. */
typedef struct RtScatterND {
  int64_t n, k;
  int64_t dims[RT_MAX_RANK], strides[RT_MAX_RANK];
  int64_t inner, total, elem, type, reduction;
} RtScatterND;

/* ScatterElements: idx and updates have shape dims (rank); each element
 * writes y at its own index except along axis, where it uses idx's value
 * (int32 if idx_i32, else int64). y_strides: x's strides in elements. */
typedef struct RtScatterElements {
  int64_t rank;
  int64_t dims[RT_MAX_RANK];
  int64_t y_strides[RT_MAX_RANK];
  int64_t axis, axis_len, total, elem, type, reduction, idx_i32;
} RtScatterElements;

#ifndef RT_UNITY
RT_API void rt_scatter_nd(const RtScatterND *p, const void *x, const int64_t *idx,
                          const void *updates, void *y);
RT_API void rt_scatter_elements(const RtScatterElements *p, const void *x, const void *idx,
                                const void *updates, void *y);
#endif

#endif
