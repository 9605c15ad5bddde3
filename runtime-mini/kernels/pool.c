/* pool.c - MaxPool and AveragePool, 1 to 3 spatial dims laid out as in
 * RtConv ((d, h, w) with leading sizes of 1).
 *
 * For each output position the taps of the window that fall inside the
 * input are found per dim in closed form, so the inner loops carry no
 * bounds checks. */
#include "rt_kernels.h"
#include "rt_scalar.h"

/* A max window with no tap inside the input yields the lowest float, as in
 * ONNX Runtime. */
#define POOL_LOWEST (-3.40282346638528859812e+38f)

/* The taps t in [0, k) whose position start + t * dil lies in [lo, hi):
 * [*t0, *t1). */
static void pool_taps(int64_t start, int64_t k, int64_t dil, int64_t lo, int64_t hi, int64_t *t0,
                      int64_t *t1) {
  int64_t a = lo - start, b = hi - start;
  int64_t first = a <= 0 ? 0 : (a + dil - 1) / dil;
  int64_t end = b <= 0 ? 0 : (b + dil - 1) / dil;
  if (end > k) end = k;
  if (first > end) first = end;
  *t0 = first, *t1 = end;
}

/* The window of output position (od, oh, ow): per dim, its start and the
 * taps inside the input. */
typedef struct PoolWin {
  int64_t start[3], t0[3], t1[3];
} PoolWin;

static void pool_window(const RtPool *p, int d, int64_t o, PoolWin *w) {
  w->start[d] = o * p->stride[d] - p->pad_begin[d];
  pool_taps(w->start[d], p->k[d], p->dil[d], 0, p->in[d], &w->t0[d], &w->t1[d]);
}

static float pool_max_window(const RtPool *p, const PoolWin *w, const float *xc) {
  float m = POOL_LOWEST;
  int64_t td, th, tw;
  for (td = w->t0[0]; td < w->t1[0]; td++) {
    int64_t id = w->start[0] + td * p->dil[0];
    for (th = w->t0[1]; th < w->t1[1]; th++) {
      int64_t ih = w->start[1] + th * p->dil[1];
      const float *row = xc + (id * p->in[1] + ih) * p->in[2];
      for (tw = w->t0[2]; tw < w->t1[2]; tw++)
        m = rt_max_f32(m, row[w->start[2] + tw * p->dil[2]]);
    }
  }
  return m;
}

static float pool_avg_window(const RtPool *p, const PoolWin *w, const float *xc) {
  float s = 0.0f;
  int64_t td, th, tw, d, count = 1;
  for (td = w->t0[0]; td < w->t1[0]; td++) {
    int64_t id = w->start[0] + td * p->dil[0];
    for (th = w->t0[1]; th < w->t1[1]; th++) {
      int64_t ih = w->start[1] + th * p->dil[1];
      const float *row = xc + (id * p->in[1] + ih) * p->in[2];
      for (tw = w->t0[2]; tw < w->t1[2]; tw++) s += row[w->start[2] + tw * p->dil[2]];
    }
  }
  for (d = 0; d < 3; d++) {
    int64_t t0 = w->t0[d], t1 = w->t1[d];
    if (p->count_include_pad)
      pool_taps(w->start[d], p->k[d], p->dil[d], -p->pad_begin[d], p->in[d] + p->pad_end[d], &t0,
                &t1);
    count *= t1 - t0;
  }
  return s / (float)count;
}

/* Walks every output position of every (n, c) plane. */
static void pool_run(const RtPool *p, const float *x, float *y, int is_max) {
  int64_t in_sp = p->in[0] * p->in[1] * p->in[2];
  int64_t nc, od, oh, ow;
  PoolWin w;
  for (nc = 0; nc < p->n * p->c; nc++) {
    const float *xc = x + nc * in_sp;
    for (od = 0; od < p->out[0]; od++) {
      pool_window(p, 0, od, &w);
      for (oh = 0; oh < p->out[1]; oh++) {
        pool_window(p, 1, oh, &w);
        for (ow = 0; ow < p->out[2]; ow++) {
          pool_window(p, 2, ow, &w);
          *y++ = is_max ? pool_max_window(p, &w, xc) : pool_avg_window(p, &w, xc);
        }
      }
    }
  }
}

RT_API void rt_maxpool_f32(const RtPool *p, const float *x, float *y) {
  pool_run(p, x, y, 1);
}

RT_API void rt_avgpool_f32(const RtPool *p, const float *x, float *y) {
  pool_run(p, x, y, 0);
}
