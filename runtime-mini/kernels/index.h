/* index.h - kernels of gathers driven by index tensors (index.c). A kernel
 * family keeps its parameter structs and prototypes in its own header next to
 * its source; rt_kernels.h holds the shared ones. */
#ifndef RT_INDEX_H
#define RT_INDEX_H

#include "rt_kernels.h"

/* GatherElements: y has the shape of idx (dims, rank <= 8); each element
 * reads x at the same index except along axis, where it reads idx's value
 * (negative counts from the end; outside [0, axis_len) gives 0). x_strides
 * are x's strides in elements. */
typedef struct RtGatherElements {
  int64_t rank;
  int64_t dims[RT_MAX_RANK];
  int64_t x_strides[RT_MAX_RANK];
  int64_t axis, axis_len, elem, idx_i32;
} RtGatherElements;

/* GatherND: idx holds nbatch * per_batch tuples of k indices into the k dims
 * after the batch dims of x (sizes dims[], strides strides[], elements);
 * each tuple copies inner elements. x's batches are batch_stride elements
 * apart. Out-of-range tuples give zeros. */
typedef struct RtGatherND {
  int64_t nbatch, per_batch, batch_stride, k;
  int64_t dims[RT_MAX_RANK], strides[RT_MAX_RANK];
  int64_t inner, elem, idx_i32;
} RtGatherND;

#ifndef RT_UNITY
RT_API void rt_gather_elements(const RtGatherElements *p, const void *x, const void *idx,
                               void *y);
RT_API void rt_gather_nd(const RtGatherND *p, const void *x, const void *idx, void *y);
#endif

#endif
