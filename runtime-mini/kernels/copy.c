/* copy.c - data movement on raw bytes: the N-D strided copy (Transpose,
 * Slice, Concat, Split, Expand), Gather and Pad, for elements of 1, 2, 4 or
 * 8 bytes.
 *
 * Elements move with fixed-size memcpy, which compilers turn into single
 * loads and stores without breaking the aliasing rules; an innermost run
 * that is contiguous on both sides is one memcpy, and a transpose of the
 * last two dims goes tile by tile. */
#include <string.h>

#include "rt_kernels.h"
#include "rt_scalar.h"

/* dst[j * ds] = src[j * ss] for j < n, elements of elem bytes. */
static void copy_run(unsigned char *dst, const unsigned char *src, int64_t n, int64_t ds,
                     int64_t ss, int64_t elem) {
  int64_t j;
  if (ds == 1 && ss == 1) {
    memcpy(dst, src, (size_t)(n * elem));
    return;
  }
  switch (elem) {
  case 1:
    for (j = 0; j < n; j++) dst[j * ds] = src[j * ss];
    break;
  case 2:
    for (j = 0; j < n; j++) memcpy(dst + j * ds * 2, src + j * ss * 2, 2);
    break;
  case 4:
    for (j = 0; j < n; j++) memcpy(dst + j * ds * 4, src + j * ss * 4, 4);
    break;
  default:
    for (j = 0; j < n; j++) memcpy(dst + j * ds * 8, src + j * ss * 8, 8);
    break;
  }
}

/* Steps the multi-index idx over dims[0 .. rank) (last fastest), keeping the
 * two offsets in step; returns 0 after the last index. */
static int copy_next(int64_t rank, const int64_t *dims, const int64_t *s1, const int64_t *s2,
                     int64_t *idx, int64_t *o1, int64_t *o2) {
  int64_t d;
  for (d = rank - 1; d >= 0; d--) {
    *o1 += s1[d], *o2 += s2[d];
    if (++idx[d] < dims[d]) return 1;
    *o1 -= dims[d] * s1[d], *o2 -= dims[d] * s2[d];
    idx[d] = 0;
  }
  return 0;
}

/* ---- Copy */

/* A transpose of the last two dims: the source runs contiguously along the
 * second-last dim and the destination along the last. Such a copy goes in
 * COPY_TILE x COPY_TILE tiles, so that both sides stay in cache. */
#define COPY_TILE 16

static int copy_is_transpose(const RtCopy *p) {
  int64_t r = p->rank;
  return r >= 2 && p->dst_strides[r - 1] == 1 && p->src_strides[r - 2] == 1 &&
         p->src_strides[r - 1] != 1 && p->dims[r - 1] > 1 && p->dims[r - 2] > 1;
}

/* One tile: dst[i * ds + j] = src[i + j * ss] for i < ni, j < nj. */
#define COPY_TILE_LOOP(E)  \
  for (i = 0; i < ni; i++) \
    for (j = 0; j < nj; j++) memcpy(dst + (i * ds + j) * (E), src + (i + j * ss) * (E), E)

static void copy_tile(unsigned char *dst, const unsigned char *src, int64_t ni, int64_t nj,
                      int64_t ds, int64_t ss, int64_t elem) {
  int64_t i, j;
  switch (elem) {
  case 1: COPY_TILE_LOOP(1); break;
  case 2: COPY_TILE_LOOP(2); break;
  case 4: COPY_TILE_LOOP(4); break;
  default: COPY_TILE_LOOP(8); break;
  }
}

/* The last two dims at dst and src, tile by tile. */
static void copy_transpose(const RtCopy *p, unsigned char *dst, const unsigned char *src) {
  int64_t r = p->rank, ni = p->dims[r - 2], nj = p->dims[r - 1], e = p->elem;
  int64_t ds = p->dst_strides[r - 2], ss = p->src_strides[r - 1], i0, j0;
  for (i0 = 0; i0 < ni; i0 += COPY_TILE)
    for (j0 = 0; j0 < nj; j0 += COPY_TILE)
      copy_tile(dst + (i0 * ds + j0) * e, src + (i0 + j0 * ss) * e,
                ni - i0 < COPY_TILE ? ni - i0 : COPY_TILE,
                nj - j0 < COPY_TILE ? nj - j0 : COPY_TILE, ds, ss, e);
}

RT_API void rt_copy(const RtCopy *p, const void *x, void *y) {
  const unsigned char *src = (const unsigned char *)x;
  unsigned char *dst = (unsigned char *)y;
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t so = p->src_offset, dof = p->dst_offset, r = p->rank, d, inner;
  for (d = 0; d < r; d++)
    if (p->dims[d] <= 0) return;
  if (r == 0) {
    memcpy(dst + dof * p->elem, src + so * p->elem, (size_t)p->elem);
    return;
  }
  if (copy_is_transpose(p)) {
    do {
      copy_transpose(p, dst + dof * p->elem, src + so * p->elem);
    } while (copy_next(r - 2, p->dims, p->src_strides, p->dst_strides, idx, &so, &dof));
    return;
  }
  inner = p->dims[r - 1];
  do {
    copy_run(dst + dof * p->elem, src + so * p->elem, inner, p->dst_strides[r - 1],
             p->src_strides[r - 1], p->elem);
  } while (copy_next(r - 1, p->dims, p->src_strides, p->dst_strides, idx, &so, &dof));
}

RT_API void rt_gather(const RtGather *p, const void *x, const void *idx, void *y) {
  const unsigned char *src = (const unsigned char *)x;
  unsigned char *dst = (unsigned char *)y;
  size_t row = (size_t)(p->inner * p->elem);
  int64_t o, t;
  for (o = 0; o < p->outer; o++) {
    for (t = 0; t < p->nidx; t++, dst += row) {
      int64_t i = p->idx_i32 ? ((const int32_t *)idx)[t] : ((const int64_t *)idx)[t];
      if (i < 0) i += p->axis_len;
      if (i < 0 || i >= p->axis_len) {
        memset(dst, 0, row);
      } else {
        memcpy(dst, src + (size_t)(o * p->axis_len + i) * row, row);
      }
    }
  }
}

/* ---- Pad */

/* The input index that output index o of a dim reads (n input elements,
 * pb begin pad), or -1 for the constant. */
static int64_t copy_pad_map(int64_t o, int64_t pb, int64_t n, int64_t mode) {
  int64_t i = o - pb, period;
  if (i >= 0 && i < n) return i;
  if (mode == 0 || n <= 0) return -1;
  switch (mode) {
  case 1: /* reflect: ... 2 1 | 0 1 2 | 1 0 ..., periodic beyond that */
    if (n == 1) return 0;
    period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
  case 2: return i < 0 ? 0 : n - 1; /* edge */
  default: return (i % n + n) % n; /* wrap */
  }
}

/* n copies of the constant (zero bytes when value is NULL). */
static void copy_fill(unsigned char *dst, const void *value, int64_t n, int64_t elem) {
  int64_t j;
  if (!value) {
    memset(dst, 0, (size_t)(n * elem));
    return;
  }
  for (j = 0; j < n; j++) memcpy(dst + j * elem, value, (size_t)elem);
}

/* One output row of the last dim; src is the input row it reads, or NULL
 * when an outer index fell into the constant. */
static void copy_pad_row(const RtPad *p, const unsigned char *src, const void *value,
                         unsigned char *dst) {
  int64_t r = p->rank - 1, n = p->in[r], pb = p->pad_begin[r], out = p->out[r];
  int64_t e = p->elem, lo = pb < 0 ? 0 : pb, hi = pb + n, o;
  if (!src) {
    copy_fill(dst, value, out, e);
    return;
  }
  if (lo > out) lo = out;
  if (hi > out) hi = out;
  if (hi < lo) hi = lo;
  for (o = 0; o < lo; o++) {
    int64_t i = copy_pad_map(o, pb, n, p->mode);
    if (i < 0)
      copy_fill(dst + o * e, value, 1, e);
    else
      memcpy(dst + o * e, src + i * e, (size_t)e);
  }
  if (hi > lo) memcpy(dst + lo * e, src + (lo - pb) * e, (size_t)((hi - lo) * e));
  for (o = hi; o < out; o++) {
    int64_t i = copy_pad_map(o, pb, n, p->mode);
    if (i < 0)
      copy_fill(dst + o * e, value, 1, e);
    else
      memcpy(dst + o * e, src + i * e, (size_t)e);
  }
}

RT_API void rt_pad(const RtPad *p, const void *x, const void *value, void *y) {
  const unsigned char *src = (const unsigned char *)x;
  unsigned char *dst = (unsigned char *)y;
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t r = p->rank, d, rows = 1, t;
  if (r == 0) {
    memcpy(dst, src, (size_t)p->elem);
    return;
  }
  for (d = 0; d < r; d++)
    if (p->out[d] <= 0) return;
  for (d = 0; d < r - 1; d++) rows *= p->out[d];
  for (t = 0; t < rows; t++, dst += p->out[r - 1] * p->elem) {
    int64_t off = 0;
    for (d = 0; d < r - 1 && off >= 0; d++) {
      int64_t i = copy_pad_map(idx[d], p->pad_begin[d], p->in[d], p->mode);
      off = i < 0 ? -1 : off * p->in[d] + i;
    }
    if (p->in[r - 1] <= 0) off = -1;
    copy_pad_row(p, off < 0 ? NULL : src + off * p->in[r - 1] * p->elem, value, dst);
    for (d = r - 2; d >= 0; d--) {
      if (++idx[d] < p->out[d]) break;
      idx[d] = 0;
    }
  }
}
