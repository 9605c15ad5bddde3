/* index.c - gathers driven by index tensors: GatherElements and GatherND.
 * Indices may be int64 or int32 and negative (from the end); an index still
 * out of range yields zeros rather than a read outside the tensor. */
#include <string.h>

#include "index.h"

static int64_t index_at(const void *idx, int64_t i, int64_t i32) {
  return i32 ? (int64_t)((const int32_t *)idx)[i] : ((const int64_t *)idx)[i];
}

RT_API void rt_gather_elements(const RtGatherElements *p, const void *x, const void *idx,
                               void *y) {
  int64_t n = 1, pos[RT_MAX_RANK] = {0};
  for (int64_t d = 0; d < p->rank; d++) n *= p->dims[d];
  const char *src = (const char *)x;
  char *dst = (char *)y;
  for (int64_t i = 0; i < n; i++) {
    int64_t v = index_at(idx, i, p->idx_i32), off = 0;
    if (v < 0) v += p->axis_len;
    for (int64_t d = 0; d < p->rank; d++) off += (d == p->axis ? v : pos[d]) * p->x_strides[d];
    if (v >= 0 && v < p->axis_len)
      memcpy(dst + i * p->elem, src + off * p->elem, (size_t)p->elem);
    else
      memset(dst + i * p->elem, 0, (size_t)p->elem);
    for (int64_t d = p->rank - 1; d >= 0 && ++pos[d] == p->dims[d]; d--) pos[d] = 0;
  }
}

RT_API void rt_gather_nd(const RtGatherND *p, const void *x, const void *idx, void *y) {
  const char *src = (const char *)x;
  char *dst = (char *)y;
  size_t bytes = (size_t)(p->inner * p->elem);
  for (int64_t b = 0; b < p->nbatch; b++) {
    for (int64_t t = 0; t < p->per_batch; t++) {
      int64_t tuple = b * p->per_batch + t, off = b * p->batch_stride, ok = 1;
      for (int64_t j = 0; j < p->k; j++) {
        int64_t v = index_at(idx, tuple * p->k + j, p->idx_i32);
        if (v < 0) v += p->dims[j];
        ok &= v >= 0 && v < p->dims[j];
        off += v * p->strides[j];
      }
      if (ok)
        memcpy(dst + tuple * (int64_t)bytes, src + off * p->elem, bytes);
      else
        memset(dst + tuple * (int64_t)bytes, 0, bytes);
    }
  }
}
