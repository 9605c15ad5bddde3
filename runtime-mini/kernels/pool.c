/* pool.c - MaxPool and AveragePool, 1 to 3 spatial dims laid out as in
 * RtConv ((d, h, w) with leading sizes of 1).
 *
 * One output row (fixed od, oh) at a time: for every tap of the window that
 * falls on an input row, the tap is folded into the whole output row over
 * the columns where it lies inside the input. Those column ranges are found
 * once per call, so the inner loops carry no bounds checks. That is float32
 * without indices; rt_pool_any (float64, int8, uint8, MaxPool's Indices)
 * takes one window at a time. */
#include "rt_kernels.h"
#include "rt_scalar.h"

/* A max window with no tap inside the input yields the lowest float, as in
 * ONNX Runtime. */
#define POOL_LOWEST (-3.40282346638528859812e+38f)
#define POOL_KW 16 /* widest window whose column ranges are kept */

/* The taps t in [0, k) whose position start + t * dil lies in [lo, hi):
 * [*t0, *t1). */
static void pool_taps(int64_t start, int64_t k, int64_t dil, int64_t lo, int64_t hi, int64_t *t0,
                      int64_t *t1) {
  int64_t a = lo - start, b = hi - start;
  int64_t first = a <= 0 ? 0 : dil == 1 ? a : (a + dil - 1) / dil;
  int64_t end = b <= 0 ? 0 : dil == 1 ? b : (b + dil - 1) / dil;
  if (end > k) end = k;
  if (first > end) first = end;
  *t0 = first, *t1 = end;
}

/* The output columns o in [0, out) whose tap at offset off (o * s + off)
 * lies in [0, in): [*lo, *hi). */
static void pool_cols(int64_t out, int64_t s, int64_t off, int64_t in, int64_t *lo, int64_t *hi) {
  int64_t l = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t h = in - off <= 0 ? 0 : (in - off + s - 1) / s;
  if (h > out) h = out;
  if (l > h) l = h;
  *lo = l, *hi = h;
}

/* Per-call data: the column range of each tap of the window's last dim. */
typedef struct PoolCtx {
  const RtPool *p;
  int is_max;
  int64_t lo[POOL_KW], hi[POOL_KW];
} PoolCtx;

/* Folds tap tw of input row xr into the output row yr. */
static void pool_fold_tap(const PoolCtx *c, const float *xr, int64_t tw, float *yr) {
  const RtPool *p = c->p;
  int64_t s = p->stride[2], off = tw * p->dil[2] - p->pad_begin[2], lo, hi, o;
  if (p->k[2] <= POOL_KW) {
    lo = c->lo[tw], hi = c->hi[tw];
  } else {
    pool_cols(p->out[2], s, off, p->in[2], &lo, &hi);
  }
  if (c->is_max) {
    for (o = lo; o < hi; o++) yr[o] = rt_max_f32(yr[o], xr[o * s + off]);
  } else {
    for (o = lo; o < hi; o++) yr[o] += xr[o * s + off];
  }
}

/* Divides the sums of row yr by the window counts; n_dh is the count over
 * the d and h dims. */
static void pool_divide(const RtPool *p, int64_t n_dh, float *yr) {
  int64_t o, t0, t1, lo = 0, hi = p->in[2];
  if (p->count_include_pad) lo = -p->pad_begin[2], hi = p->in[2] + p->pad_end[2];
  for (o = 0; o < p->out[2]; o++) {
    pool_taps(o * p->stride[2] - p->pad_begin[2], p->k[2], p->dil[2], lo, hi, &t0, &t1);
    yr[o] /= (float)(n_dh * (t1 - t0));
  }
}

/* Output row (od, oh) of the plane xc. */
static void pool_row(const PoolCtx *c, const float *xc, int64_t od, int64_t oh, float *yr) {
  const RtPool *p = c->p;
  int64_t start[2], t0[2], t1[2], n_dh = 1, td, th, tw, o, d;
  start[0] = od * p->stride[0] - p->pad_begin[0], start[1] = oh * p->stride[1] - p->pad_begin[1];
  for (d = 0; d < 2; d++) pool_taps(start[d], p->k[d], p->dil[d], 0, p->in[d], &t0[d], &t1[d]);
  for (o = 0; o < p->out[2]; o++) yr[o] = c->is_max ? POOL_LOWEST : 0.0f;
  for (td = t0[0]; td < t1[0]; td++) {
    int64_t id = start[0] + td * p->dil[0];
    for (th = t0[1]; th < t1[1]; th++) {
      const float *xr = xc + (id * p->in[1] + start[1] + th * p->dil[1]) * p->in[2];
      for (tw = 0; tw < p->k[2]; tw++) pool_fold_tap(c, xr, tw, yr);
    }
  }
  if (c->is_max) return;
  for (d = 0; d < 2; d++) {
    int64_t a = t0[d], b = t1[d];
    if (p->count_include_pad)
      pool_taps(start[d], p->k[d], p->dil[d], -p->pad_begin[d], p->in[d] + p->pad_end[d], &a, &b);
    n_dh *= b - a;
  }
  pool_divide(p, n_dh, yr);
}

static void pool_run(const RtPool *p, const float *x, float *y, int is_max) {
  int64_t in_sp = p->in[0] * p->in[1] * p->in[2];
  int64_t nc, od, oh, tw;
  PoolCtx c;
  c.p = p, c.is_max = is_max;
  for (tw = 0; tw < p->k[2] && tw < POOL_KW; tw++)
    pool_cols(p->out[2], p->stride[2], tw * p->dil[2] - p->pad_begin[2], p->in[2], &c.lo[tw],
              &c.hi[tw]);
  for (nc = 0; nc < p->n * p->c; nc++)
    for (od = 0; od < p->out[0]; od++)
      for (oh = 0; oh < p->out[1]; oh++, y += p->out[2]) pool_row(&c, x + nc * in_sp, od, oh, y);
}

RT_API void rt_maxpool_f32(const RtPool *p, const float *x, float *y) { pool_run(p, x, y, 1); }

RT_API void rt_avgpool_f32(const RtPool *p, const float *x, float *y) { pool_run(p, x, y, 0); }

/* ---- any type, and MaxPool's indices: one window at a time, each value
 * loaded into a double (exact for float32, float64, int8 and uint8). */

static double pool_load(int64_t type, const void *x, int64_t i) {
  switch (type) {
  case RT_POOL_F64: return ((const double *)x)[i];
  case RT_POOL_I8: return ((const int8_t *)x)[i];
  case RT_POOL_U8: return ((const uint8_t *)x)[i];
  default: return ((const float *)x)[i];
  }
}

static void pool_store(int64_t type, void *y, int64_t i, double v) {
  switch (type) {
  case RT_POOL_F64: ((double *)y)[i] = v; break;
  case RT_POOL_I8: ((int8_t *)y)[i] = (int8_t)v; break;
  case RT_POOL_U8: ((uint8_t *)y)[i] = (uint8_t)v; break;
  default: ((float *)y)[i] = (float)v; break;
  }
}

static double pool_lowest(int64_t type) {
  switch (type) {
  case RT_POOL_F64: return -1.7976931348623157e+308;
  case RT_POOL_I8: return -128.0;
  case RT_POOL_U8: return 0.0;
  default: return POOL_LOWEST;
  }
}

/* One window of plane xc whose first position is start[]: the result, and
 * for a max the position of the first largest value (NaN wins) in *at
 * ((d, h, w); at[0] = -1 if no tap lies inside the input). */
static double pool_window(const RtPoolAny *p, const void *xc_base, int64_t plane,
                          const int64_t start[3], int64_t at[3]) {
  int64_t t0[3], t1[3], a, b, n = 1, td, th, tw, d;
  double best = pool_lowest(p->type), sum = 0.0;
  at[0] = -1;
  for (d = 0; d < 3; d++) pool_taps(start[d], p->k[d], p->dil[d], 0, p->in[d], &t0[d], &t1[d]);
  for (td = t0[0]; td < t1[0]; td++) {
    int64_t id = start[0] + td * p->dil[0];
    for (th = t0[1]; th < t1[1]; th++) {
      int64_t ih = start[1] + th * p->dil[1];
      for (tw = t0[2]; tw < t1[2]; tw++) {
        int64_t iw = start[2] + tw * p->dil[2];
        double v = pool_load(p->type, xc_base, plane + (id * p->in[1] + ih) * p->in[2] + iw);
        if (!p->is_max) {
          sum += v;
        } else if (at[0] < 0 || v > best || (v != v && best == best)) {
          best = v;
          at[0] = id, at[1] = ih, at[2] = iw;
        }
      }
    }
  }
  if (p->is_max) return best;
  for (d = 0; d < 3; d++) {
    a = t0[d], b = t1[d];
    if (p->count_include_pad)
      pool_taps(start[d], p->k[d], p->dil[d], -p->pad_begin[d], p->in[d] + p->pad_end[d], &a, &b);
    n *= b - a;
  }
  return sum / (double)n;
}

RT_API void rt_pool_any(const RtPoolAny *p, const void *x, void *y, int64_t *indices) {
  int64_t in_sp = p->in[0] * p->in[1] * p->in[2], nc, o[3], at[3], s[3], yi = 0;
  for (nc = 0; nc < p->n * p->c; nc++)
    for (o[0] = 0; o[0] < p->out[0]; o[0]++)
      for (o[1] = 0; o[1] < p->out[1]; o[1]++)
        for (o[2] = 0; o[2] < p->out[2]; o[2]++, yi++) {
          int d;
          for (d = 0; d < 3; d++) s[d] = o[d] * p->stride[d] - p->pad_begin[d];
          pool_store(p->type, y, yi, pool_window(p, x, nc * in_sp, s, at));
          if (!indices) continue;
          if (at[0] < 0)
            indices[yi] = -1;
          else if (p->storage_order)
            indices[yi] = nc * in_sp + at[0] + (at[1] + at[2] * p->in[1]) * p->in[0];
          else
            indices[yi] = nc * in_sp + (at[0] * p->in[1] + at[1]) * p->in[2] + at[2];
        }
}
