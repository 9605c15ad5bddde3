/* dynamic.c - see dynamic.h. */
#include <math.h>
#include <string.h>

#include "dynamic.h"

/* ---- NonZero ---- */

static int dyn_is_nonzero(const RtNonZero *p, const unsigned char *e) {
  if (p->is_f32) {
    float f;
    memcpy(&f, e, 4);
    return f != 0.0f;
  }
  if (p->is_f64) {
    double d;
    memcpy(&d, e, 8);
    return d != 0.0;
  }
  for (int64_t b = 0; b < p->esize; b++)
    if (e[b]) return 1;
  return 0;
}

RT_API void rt_nonzero(const RtNonZero *p, const void *x, int64_t *y, int64_t *shape) {
  const unsigned char *xs = (const unsigned char *)x;
  int64_t count = 0, i, d, k = 0;
  for (i = 0; i < p->n; i++) count += dyn_is_nonzero(p, xs + i * p->esize);
  for (i = 0; i < p->n; i++) {
    int64_t rest = i;
    if (!dyn_is_nonzero(p, xs + i * p->esize)) continue;
    for (d = p->rank - 1; d >= 0; d--) {
      y[d * count + k] = rest % p->dims[d];
      rest /= p->dims[d];
    }
    k++;
  }
  shape[0] = p->rank;
  shape[1] = count;
}

/* ---- a stable merge sort of int64 keys by a comparator ---- */

/* < 0 when key a goes before key b. */
typedef int (*DynCmp)(const void *ctx, int64_t a, int64_t b);

/* Sorts a[0..n) stably; tmp holds n keys. */
static void dyn_sort(int64_t *a, int64_t *tmp, int64_t n, DynCmp cmp, const void *ctx) {
  int64_t *src = a, *dst = tmp, w, lo;
  for (w = 1; w < n; w *= 2) {
    for (lo = 0; lo < n; lo += 2 * w) {
      int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      int64_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = cmp(ctx, src[j], src[i]) < 0 ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    int64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, sizeof(int64_t) * (size_t)n); /* n > 1 here */
}

/* ---- Unique ---- */

static int dyn_cmp_f64(double a, double b) {
  int na = isnan(a) != 0, nb = isnan(b) != 0;
  if (na || nb) return na - nb; /* NaN after numbers, equal to NaN */
  return a < b ? -1 : a > b;    /* -0.0 == 0.0 */
}

/* float16 (exp_mask 0x7c00) or bfloat16 (0x7f80) bits to an unsigned key in
 * the order of the values; NaN -> 0x10000, above every number. */
static int64_t dyn_half_key(uint16_t h, uint16_t exp_mask) {
  uint16_t mag = (uint16_t)(h & 0x7fff);
  if (mag > exp_mask) return 0x10000;
  if (mag == 0) return 0x8000; /* both zeros */
  return h & 0x8000 ? 0x8000 - (int64_t)mag : 0x8000 + (int64_t)mag;
}

static int64_t dyn_load_signed(const unsigned char *e, int64_t esize) {
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  switch (esize) {
    case 1: memcpy(&i8, e, 1); return i8;
    case 2: memcpy(&i16, e, 2); return i16;
    case 4: memcpy(&i32, e, 4); return i32;
    default: memcpy(&i64, e, 8); return i64;
  }
}

static uint64_t dyn_load_unsigned(const unsigned char *e, int64_t esize) {
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  switch (esize) {
    case 1: memcpy(&u8, e, 1); return u8;
    case 2: memcpy(&u16, e, 2); return u16;
    case 4: memcpy(&u32, e, 4); return u32;
    default: memcpy(&u64, e, 8); return u64;
  }
}

static int dyn_cmp_elem(const RtUnique *p, const unsigned char *a, const unsigned char *b) {
  switch (p->kind) {
    case RT_UQ_SIGNED: {
      int64_t x = dyn_load_signed(a, p->esize), y = dyn_load_signed(b, p->esize);
      return x < y ? -1 : x > y;
    }
    case RT_UQ_UNSIGNED: {
      uint64_t x = dyn_load_unsigned(a, p->esize), y = dyn_load_unsigned(b, p->esize);
      return x < y ? -1 : x > y;
    }
    case RT_UQ_F32: {
      float x, y;
      memcpy(&x, a, 4);
      memcpy(&y, b, 4);
      return dyn_cmp_f64(x, y);
    }
    case RT_UQ_F64: {
      double x, y;
      memcpy(&x, a, 8);
      memcpy(&y, b, 8);
      return dyn_cmp_f64(x, y);
    }
    case RT_UQ_F16:
    case RT_UQ_BF16: {
      uint16_t x, y;
      uint16_t mask = p->kind == RT_UQ_F16 ? 0x7c00 : 0x7f80;
      memcpy(&x, a, 2);
      memcpy(&y, b, 2);
      int64_t kx = dyn_half_key(x, mask), ky = dyn_half_key(y, mask);
      return kx < ky ? -1 : kx > ky;
    }
    default: {
      int r = memcmp(a, b, (size_t)p->esize);
      return r < 0 ? -1 : r > 0;
    }
  }
}

/* Compares slices a and b of x (RtUnique's [outer, len, inner] view). */
typedef struct DynSlices {
  const RtUnique *p;
  const unsigned char *x;
} DynSlices;

static int dyn_cmp_slices(const void *ctx, int64_t a, int64_t b) {
  const DynSlices *s = (const DynSlices *)ctx;
  const RtUnique *p = s->p;
  int64_t o, j, row = p->inner * p->esize;
  for (o = 0; o < p->outer; o++) {
    const unsigned char *ra = s->x + (o * p->len + a) * row, *rb = s->x + (o * p->len + b) * row;
    for (j = 0; j < p->inner; j++) {
      int r = dyn_cmp_elem(p, ra + j * p->esize, rb + j * p->esize);
      if (r) return r;
    }
  }
  return 0;
}

/* Scratch layout, int64 arrays of len: [0] count, then first and cnt (in
 * output order: what rt_unique_stats reads), then perm, tmp, grp (the sorted
 * group of each slice), sfirst and scnt (per sorted group). */
RT_API int64_t rt_unique_scratch(const RtUnique *p) {
  return (int64_t)sizeof(int64_t) * (1 + 7 * p->len);
}

/* Groups the slices: grp[i], and per group (in sorted order) its first
 * slice and size. Returns the number of groups. */
static int64_t dyn_unique_groups(const RtUnique *p, const void *x, int64_t *perm, int64_t *tmp,
                                 int64_t *grp, int64_t *sfirst, int64_t *scnt) {
  DynSlices s;
  int64_t i, ng = 0;
  s.p = p;
  s.x = (const unsigned char *)x;
  for (i = 0; i < p->len; i++) perm[i] = i;
  dyn_sort(perm, tmp, p->len, dyn_cmp_slices, &s);
  for (i = 0; i < p->len; i++) {
    if (i == 0 || dyn_cmp_slices(&s, perm[i - 1], perm[i]) != 0) {
      sfirst[ng] = perm[i]; /* stable: the lowest index of its group */
      scnt[ng++] = 0;
    }
    grp[perm[i]] = ng - 1;
    scnt[ng - 1]++;
  }
  return ng;
}

RT_API void rt_unique(const RtUnique *p, const void *x, void *y, int64_t *inverse, int64_t *y_shape,
                      void *scratch) {
  int64_t *s = (int64_t *)scratch, len = p->len;
  int64_t *first = s + 1, *cnt = first + len, *perm = cnt + len, *tmp = perm + len;
  int64_t *grp = tmp + len, *sfirst = grp + len, *scnt = sfirst + len;
  int64_t *pos = tmp; /* sorted group -> output position, once sorted */
  int64_t ng = dyn_unique_groups(p, x, perm, tmp, grp, sfirst, scnt), g, i, o, u = 0;
  for (g = 0; g < ng; g++) pos[g] = g;
  if (!p->sorted)
    for (i = 0; i < len; i++)
      if (sfirst[grp[i]] == i) pos[grp[i]] = u++;
  for (g = 0; g < ng; g++) {
    first[pos[g]] = sfirst[g];
    cnt[pos[g]] = scnt[g];
  }
  s[0] = ng;
  if (inverse)
    for (i = 0; i < len; i++) inverse[i] = pos[grp[i]];
  if (y) {
    size_t row = (size_t)(p->inner * p->esize);
    const unsigned char *xs = (const unsigned char *)x;
    unsigned char *ys = (unsigned char *)y;
    for (o = 0; o < p->outer; o++)
      for (g = 0; g < ng; g++)
        memcpy(ys + (size_t)(o * ng + g) * row, xs + (size_t)(o * len + first[g]) * row, row);
  }
  if (y_shape && p->axis < 0) y_shape[0] = ng;
  if (y_shape && p->axis >= 0)
    for (i = 0; i < p->rank; i++) y_shape[i] = i == p->axis ? ng : p->dims[i];
}

RT_API void rt_unique_stats(const RtUnique *p, int64_t *indices, int64_t *counts,
                            int64_t *idx_shape, int64_t *cnt_shape, const void *scratch) {
  const int64_t *s = (const int64_t *)scratch;
  int64_t ng = s[0];
  if (indices && ng) memcpy(indices, s + 1, sizeof(int64_t) * (size_t)ng);
  if (counts && ng) memcpy(counts, s + 1 + p->len, sizeof(int64_t) * (size_t)ng);
  if (idx_shape) idx_shape[0] = ng;
  if (cnt_shape) cnt_shape[0] = ng;
}

/* ---- NonMaxSuppression ---- */

/* A box as corners (y_min, x_min, y_max, x_max) and its area. */
typedef struct DynBox {
  float c[4], area;
} DynBox;

static void dyn_minmax(float a, float b, float *lo, float *hi) {
  *lo = a >= b ? b : a;
  *hi = a >= b ? a : b;
}

static DynBox dyn_box(const float *b, int64_t center_point_box) {
  DynBox r;
  if (!center_point_box) {
    dyn_minmax(b[1], b[3], &r.c[1], &r.c[3]);
    dyn_minmax(b[0], b[2], &r.c[0], &r.c[2]);
    r.area = (r.c[2] - r.c[0]) * (r.c[3] - r.c[1]);
  } else {
    float half_w = b[2] / 2, half_h = b[3] / 2;
    r.area = b[2] * b[3];
    r.c[1] = b[0] - half_w;
    r.c[3] = b[0] + half_w;
    r.c[0] = b[1] - half_h;
    r.c[2] = b[1] + half_h;
  }
  return r;
}

/* Whether candidate a is suppressed by selected box b. */
static int dyn_suppress(const DynBox *a, const DynBox *b, float iou) {
  float x0 = a->c[1] < b->c[1] ? b->c[1] : a->c[1], x1 = b->c[3] < a->c[3] ? b->c[3] : a->c[3];
  if (x1 <= x0) return 0;
  float y0 = a->c[0] < b->c[0] ? b->c[0] : a->c[0], y1 = b->c[2] < a->c[2] ? b->c[2] : a->c[2];
  if (y1 <= y0) return 0;
  float inter = (x1 - x0) * (y1 - y0);
  if (inter <= 0.0f) return 0;
  float uni = a->area + b->area - inter;
  return inter / uni > iou;
}

/* Candidates by descending score (NaN last); the sort is stable, so equal
 * scores keep ascending box order. */
static int dyn_cmp_scores(const void *ctx, int64_t a, int64_t b) {
  const float *sc = (const float *)ctx;
  float x = sc[a], y = sc[b];
  if (isnan(x) || isnan(y)) return (isnan(x) != 0) - (isnan(y) != 0);
  return x > y ? -1 : x < y;
}

/* Scratch: int64 cand, tmp, sel [boxes]; then DynBox [boxes]. */
RT_API int64_t rt_nms_scratch(const RtNms *p) {
  return p->boxes * (int64_t)(3 * sizeof(int64_t) + sizeof(DynBox));
}

/* Selects among the candidates of one batch and class; returns how many
 * (their box indices in sel). */
static int64_t dyn_nms_class(const DynBox *bx, const int64_t *cand, int64_t ncand, int64_t max_out,
                             float iou, int64_t *sel) {
  int64_t nsel = 0, i, j;
  for (i = 0; i < ncand && nsel < max_out; i++) {
    const DynBox *a = &bx[cand[i]];
    for (j = 0; j < nsel; j++)
      if (dyn_suppress(a, &bx[sel[j]], iou)) break;
    if (j == nsel) sel[nsel++] = cand[i];
  }
  return nsel;
}

RT_API void rt_nms(const RtNms *p, const float *boxes, const float *scores, const int64_t *max_out,
                   const float *iou, const float *score_thr, int64_t *y, int64_t *shape,
                   void *scratch) {
  int64_t nb = p->boxes, *cand = (int64_t *)scratch, *tmp = cand + nb, *sel = tmp + nb;
  DynBox *bx = (DynBox *)(sel + nb);
  int64_t mo = max_out && *max_out > 0 ? *max_out : 0, rows = 0, b, c, i;
  float thr = iou ? *iou : 0.0f;
  for (b = 0; b < p->batches && mo > 0; b++) {
    for (i = 0; i < nb; i++) bx[i] = dyn_box(boxes + (b * nb + i) * 4, p->center_point_box);
    for (c = 0; c < p->classes; c++) {
      const float *sc = scores + (b * p->classes + c) * nb;
      int64_t ncand = 0, nsel;
      for (i = 0; i < nb; i++)
        if (!score_thr || sc[i] > *score_thr) cand[ncand++] = i;
      dyn_sort(cand, tmp, ncand, dyn_cmp_scores, sc);
      nsel = dyn_nms_class(bx, cand, ncand, mo, thr, sel);
      for (i = 0; i < nsel; i++, rows++) {
        y[rows * 3] = b;
        y[rows * 3 + 1] = c;
        y[rows * 3 + 2] = sel[i];
      }
    }
  }
  shape[0] = rows;
  shape[1] = 3;
}
