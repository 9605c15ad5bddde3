/* scatter.c - ScatterND and ScatterElements: copy x to y, then write or
 * combine the updates one after the other (duplicate indices see the
 * earlier writes). Integer sums and products are computed unsigned, so
 * they wrap instead of overflowing. max and min keep the old value only
 * when it is strictly larger (smaller): a NaN update wins, as in ONNX
 * Runtime. */
#include <string.h>

#include "scatter.h"

/* (ONNX type number, C type, type arithmetic is done in, name) */
#define SCAT_TYPES(X)            \
  X(1, float, float, f32)        \
  X(11, double, double, f64)     \
  X(2, uint8_t, uint32_t, u8)    \
  X(3, int8_t, uint32_t, i8)     \
  X(4, uint16_t, uint32_t, u16)  \
  X(5, int16_t, uint32_t, i16)   \
  X(6, int32_t, uint32_t, i32)   \
  X(12, uint32_t, uint32_t, u32) \
  X(7, int64_t, uint64_t, i64)   \
  X(13, uint64_t, uint64_t, u64)

#define SCAT_COMBINE_FN(code, T, U, sfx)                                     \
  static void scat_combine_##sfx(T *d, const T *s, int64_t n, int64_t red) { \
    int64_t i;                                                               \
    switch (red) {                                                           \
      case RT_SCATTER_ADD:                                                   \
        for (i = 0; i < n; i++) d[i] = (T)((U)d[i] + (U)s[i]);               \
        break;                                                               \
      case RT_SCATTER_MUL:                                                   \
        for (i = 0; i < n; i++) d[i] = (T)((U)d[i] * (U)s[i]);               \
        break;                                                               \
      case RT_SCATTER_MAX:                                                   \
        for (i = 0; i < n; i++)                                              \
          if (!(s[i] < d[i])) d[i] = s[i];                                   \
        break;                                                               \
      default:                                                               \
        for (i = 0; i < n; i++)                                              \
          if (!(d[i] < s[i])) d[i] = s[i];                                   \
        break;                                                               \
    }                                                                        \
  }
SCAT_TYPES(SCAT_COMBINE_FN)

/* n elements of src into dst under reduction red. */
static void scat_apply(unsigned char *dst, const unsigned char *src, int64_t n, int64_t elem,
                       int64_t type, int64_t red) {
  if (red == RT_SCATTER_NONE) {
    memcpy(dst, src, (size_t)(n * elem));
    return;
  }
  switch (type) {
#define SCAT_COMBINE_CASE(code, T, U, sfx) \
  case code: scat_combine_##sfx((T *)(void *)dst, (const T *)(const void *)src, n, red); break;
    SCAT_TYPES(SCAT_COMBINE_CASE)
    default: break;
  }
}

RT_API void rt_scatter_nd(const RtScatterND *p, const void *x, const int64_t *idx,
                          const void *updates, void *y) {
  const unsigned char *upd = (const unsigned char *)updates;
  unsigned char *dst = (unsigned char *)y;
  int64_t t, j, e = p->elem;
  if (x != y) memcpy(y, x, (size_t)(p->total * e));
  for (t = 0; t < p->n; t++) {
    int64_t off = 0, ok = 1;
    for (j = 0; j < p->k; j++) {
      int64_t v = idx[t * p->k + j];
      if (v < 0) v += p->dims[j];
      ok &= v >= 0 && v < p->dims[j];
      off += v * p->strides[j];
    }
    if (ok) scat_apply(dst + off * e, upd + t * p->inner * e, p->inner, e, p->type, p->reduction);
  }
}

RT_API void rt_scatter_elements(const RtScatterElements *p, const void *x, const void *idx,
                                const void *updates, void *y) {
  const unsigned char *upd = (const unsigned char *)updates;
  unsigned char *dst = (unsigned char *)y;
  int64_t n = 1, i, d, e = p->elem, pos[RT_MAX_RANK] = {0};
  if (x != y) memcpy(y, x, (size_t)(p->total * e));
  for (d = 0; d < p->rank; d++) n *= p->dims[d];
  for (i = 0; i < n; i++) {
    int64_t v = p->idx_i32 ? (int64_t)((const int32_t *)idx)[i] : ((const int64_t *)idx)[i];
    int64_t off = 0;
    if (v < 0) v += p->axis_len;
    for (d = 0; d < p->rank; d++) off += (d == p->axis ? v : pos[d]) * p->y_strides[d];
    if (v >= 0 && v < p->axis_len)
      scat_apply(dst + off * e, upd + i * e, 1, e, p->type, p->reduction);
    for (d = p->rank - 1; d >= 0 && ++pos[d] == p->dims[d]; d--) pos[d] = 0;
  }
}
