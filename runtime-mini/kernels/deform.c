/* deform.c - see deform.h. Per image, the corners and weights of every
 * sampling position are computed once for all channels of an offset group;
 * then per group the samples go to a column buffer [c/group * K, out] (im2col
 * with the positions moved by the offsets), and float32 runs the shared
 * GEMM core, float64 a plain loop. Positions and interpolation are in
 * double. The scratch holds the column buffer, then the corners' indices
 * (int64) and weights (double). */
#include <math.h>

#include "deform.h"
#include "rt_sgemm.h"

static double dc_load(const void *v, int64_t i, int64_t f64) {
  return f64 ? ((const double *)v)[i] : (double)((const float *)v)[i];
}

static void dc_store(void *v, int64_t i, double x, int64_t f64) {
  if (f64)
    ((double *)v)[i] = x;
  else
    ((float *)v)[i] = (float)x;
}

/* The corners of one sampling position pos (the last nd entries are
 * fractional, the others 0), last dim fastest: at[c] is the corner's index
 * in a channel of x, or -1 outside it (all -1 if pos is outside (-1, in)
 * in some dim, or NaN); wt[c] its weight. */
static void dc_corners(const RtDeformConv *p, const double *pos, int64_t *at, double *wt) {
  int64_t lo[3], j, corner, first = 3 - p->nd, nc = (int64_t)1 << p->nd;
  double fr[3];
  for (j = first; j < 3; j++) {
    if (!(pos[j] > -1.0 && pos[j] < (double)p->in[j])) break;
    lo[j] = (int64_t)floor(pos[j]);
    fr[j] = pos[j] - (double)lo[j];
  }
  if (j < 3) {
    for (corner = 0; corner < nc; corner++) at[corner] = -1, wt[corner] = 0.0;
    return;
  }
  for (corner = 0; corner < nc; corner++) {
    at[corner] = 0;
    wt[corner] = 1.0;
    for (j = first; j < 3; j++) {
      int64_t hi = (corner >> (2 - j)) & 1, i = lo[j] + hi;
      if (i < 0 || i >= p->in[j]) {
        at[corner] = -1;
        break;
      }
      wt[corner] *= hi ? fr[j] : 1.0 - fr[j];
      at[corner] = at[corner] * p->in[j] + i;
    }
  }
}

/* The corners of every sampling position of image img: for offset group
 * og, tap t and output position o, at and wt from (((og * K) + t) * out +
 * o) * 2^nd on. */
static void dc_geometry(const RtDeformConv *p, const void *offset, int64_t img, int64_t *at,
                        double *wt) {
  int64_t out_sp = p->out[0] * p->out[1] * p->out[2], nc = (int64_t)1 << p->nd;
  int64_t og, t, o, j, kd, kh, kw, od, oh, ow, first = 3 - p->nd, e = 0;
  for (og = 0; og < p->offset_group; og++)
    for (t = 0, kd = 0; kd < p->k[0]; kd++)
      for (kh = 0; kh < p->k[1]; kh++)
        for (kw = 0; kw < p->k[2]; kw++, t++) {
          int64_t tk[3] = {kd, kh, kw};
          int64_t obase =
              ((img * p->offset_group + og) * p->k[0] * p->k[1] * p->k[2] + t) * p->nd * out_sp;
          for (o = 0, od = 0; od < p->out[0]; od++)
            for (oh = 0; oh < p->out[1]; oh++)
              for (ow = 0; ow < p->out[2]; ow++, o++, e += nc) {
                int64_t op[3] = {od, oh, ow};
                double pos[3];
                for (j = 0; j < 3; j++) {
                  pos[j] = (double)(op[j] * p->stride[j] - p->pad_begin[j] + tk[j] * p->dil[j]);
                  if (j >= first)
                    pos[j] += dc_load(offset, obase + (j - first) * out_sp + o, p->f64);
                }
                dc_corners(p, pos, at + e, wt + e);
              }
        }
}

/* The column buffer of image img, group g: row (ci, t) holds tap t of
 * channel g * c/group + ci at every output position, times the mask. */
static void dc_columns(const RtDeformConv *p, const void *x, const void *mask, int64_t img,
                       int64_t g, const int64_t *at, const double *wt, void *cols) {
  int64_t out_sp = p->out[0] * p->out[1] * p->out[2], kvol = p->k[0] * p->k[1] * p->k[2];
  int64_t cg = p->c / p->group, nc = (int64_t)1 << p->nd, ci, t, o, k;
  for (ci = 0; ci < cg; ci++) {
    int64_t ch = g * cg + ci, og = ch / (p->c / p->offset_group);
    int64_t xbase = (img * p->c + ch) * p->in[0] * p->in[1] * p->in[2];
    for (t = 0; t < kvol; t++) {
      int64_t e = (og * kvol + t) * out_sp, row = (ci * kvol + t) * out_sp;
      int64_t mbase = ((img * p->offset_group + og) * kvol + t) * out_sp;
      for (o = 0; o < out_sp; o++) {
        const int64_t *a = at + (e + o) * nc;
        const double *w = wt + (e + o) * nc;
        double v = 0.0;
        for (k = 0; k < nc; k++)
          if (a[k] >= 0) v += w[k] * dc_load(x, xbase + a[k], p->f64);
        if (mask) v *= dc_load(mask, mbase + o, p->f64);
        dc_store(cols, row + o, v, p->f64);
      }
    }
  }
}

/* y [mg, out] = w [mg, rows] cols [rows, out] (+ b), in double. */
static void dc_gemm_f64(int64_t mg, int64_t rows, int64_t out_sp, const double *w,
                        const double *cols, const double *b, double *y) {
  int64_t i, r, o;
  for (i = 0; i < mg; i++) {
    double *yr = y + i * out_sp;
    for (o = 0; o < out_sp; o++) yr[o] = b ? b[i] : 0.0;
    for (r = 0; r < rows; r++) {
      double wv = w[i * rows + r];
      const double *cr = cols + r * out_sp;
      for (o = 0; o < out_sp; o++) yr[o] += wv * cr[o];
    }
  }
}

/* Bytes of the column buffer, rounded up to 8, and of the corners. */
static int64_t dc_cols_bytes(const RtDeformConv *p) {
  int64_t n = p->c / p->group * p->k[0] * p->k[1] * p->k[2] * p->out[0] * p->out[1] * p->out[2];
  return (n * (p->f64 ? 8 : 4) + 7) / 8 * 8;
}

static int64_t dc_corner_count(const RtDeformConv *p) {
  return p->offset_group * p->k[0] * p->k[1] * p->k[2] * p->out[0] * p->out[1] * p->out[2] *
         ((int64_t)1 << p->nd);
}

RT_API int64_t rt_deform_conv_scratch(const RtDeformConv *p) {
  return dc_cols_bytes(p) + dc_corner_count(p) * (8 + 8);
}

RT_API void rt_deform_conv(const RtDeformConv *p, const void *x, const void *w, const void *offset,
                           const void *b, const void *mask, void *y, void *scratch) {
  int64_t out_sp = p->out[0] * p->out[1] * p->out[2], cg = p->c / p->group, mg = p->m / p->group;
  int64_t rows = cg * p->k[0] * p->k[1] * p->k[2], img, g;
  int64_t *at = (int64_t *)(void *)((char *)scratch + dc_cols_bytes(p));
  double *wt = (double *)(void *)(at + dc_corner_count(p));
  for (img = 0; img < p->n; img++) {
    dc_geometry(p, offset, img, at, wt);
    for (g = 0; g < p->group; g++) {
      int64_t yoff = (img * p->m + g * mg) * out_sp;
      dc_columns(p, x, mask, img, g, at, wt, scratch);
      if (p->f64) {
        dc_gemm_f64(mg, rows, out_sp, (const double *)w + g * mg * rows, (const double *)scratch,
                    b ? (const double *)b + g * mg : NULL, (double *)y + yoff);
      } else {
        SgemmArgs a = sgemm_args(mg, out_sp, rows, (const float *)w + g * mg * rows, rows, 1,
                                 (const float *)scratch, out_sp, 1, (float *)y + yoff);
        a.row_bias = b ? (const float *)b + g * mg : NULL;
        sgemm(&a);
      }
    }
  }
}
