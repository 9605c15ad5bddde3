/* spatial.c - window geometry for convolutions and pools (ONNX's output size
 * and auto_pad rules). */
#include "spatial.h"

#include <string.h>

void spatial_to3(const int64_t *v, int n, int64_t fill, int64_t out[3]) {
  for (int i = 0; i < 3; i++) out[i] = i < 3 - n ? fill : v[i - (3 - n)];
}

void spatial_kcall(KCall *k, const Spatial *s, int with_pad_end) {
  int64_t v[3];
  spatial_to3(s->in, s->n, 1, v);
  kc_iv(k, "in", v, 3, 3);
  spatial_to3(s->out, s->n, 1, v);
  kc_iv(k, "out", v, 3, 3);
  spatial_to3(s->k, s->n, 1, v);
  kc_iv(k, "k", v, 3, 3);
  spatial_to3(s->stride, s->n, 1, v);
  kc_iv(k, "stride", v, 3, 3);
  spatial_to3(s->dil, s->n, 1, v);
  kc_iv(k, "dil", v, 3, 3);
  spatial_to3(s->pad_begin, s->n, 0, v);
  kc_iv(k, "pad_begin", v, 3, 3);
  if (with_pad_end) {
    spatial_to3(s->pad_end, s->n, 0, v);
    kc_iv(k, "pad_end", v, 3, 3);
  }
}

static int read_list(OpCtx *c, const char *name, int64_t *v, int n, int64_t dflt) {
  int64_t tmp[2 * SP_MAX];
  int got = op_attr_ints(c, name, tmp, 2 * SP_MAX);
  if (got == -2) return -1;
  if (got == -1) {
    for (int i = 0; i < n; i++) v[i] = dflt;
    return 0;
  }
  if (got != n) return op_invalid(c, "attribute '%s' has %d values, expected %d", name, got, n);
  for (int i = 0; i < n; i++) {
    if (tmp[i] < (strcmp(name, "pads") == 0 ? 0 : 1))
      return op_invalid(c, "attribute '%s' has an invalid value %lld", name, (long long)tmp[i]);
    v[i] = tmp[i];
  }
  return 0;
}

static int64_t div_ceil(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
static int64_t div_floor(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static int auto_pads(Spatial *s, const char *mode) {
  for (int i = 0; i < s->n; i++) {
    int64_t eff = s->dil[i] * (s->k[i] - 1) + 1;
    if (strcmp(mode, "VALID") == 0) {
      s->pad_begin[i] = s->pad_end[i] = 0;
      s->out[i] = div_ceil(s->in[i] - eff + 1, s->stride[i]);
      continue;
    }
    s->out[i] = div_ceil(s->in[i], s->stride[i]);
    int64_t total = (s->out[i] - 1) * s->stride[i] + eff - s->in[i];
    if (total < 0) total = 0;
    int upper = strcmp(mode, "SAME_UPPER") == 0;
    s->pad_begin[i] = upper ? total / 2 : total - total / 2;
    s->pad_end[i] = total - s->pad_begin[i];
  }
  return 0;
}

int spatial_strides(OpCtx *c, Spatial *s) {
  return read_list(c, "strides", s->stride, s->n, 1) ||
                 read_list(c, "dilations", s->dil, s->n, 1)
             ? -1
             : 0;
}

int spatial_window(OpCtx *c, Spatial *s, int allow_ceil) {
  int ok = 1;
  const char *mode = op_attr_str(c, "auto_pad", "NOTSET", &ok);
  int64_t ceil_mode = allow_ceil ? op_attr_int(c, "ceil_mode", 0, &ok) : 0;
  if (!ok) return -1;
  if (spatial_strides(c, s)) return -1;
  if (strcmp(mode, "NOTSET") != 0) {
    if (strcmp(mode, "SAME_UPPER") && strcmp(mode, "SAME_LOWER") && strcmp(mode, "VALID"))
      return op_invalid(c, "auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '%s'",
                        mode);
    auto_pads(s, mode);
  } else {
    int64_t pads[2 * SP_MAX];
    if (read_list(c, "pads", pads, 2 * s->n, 0)) return -1;
    for (int i = 0; i < s->n; i++) {
      s->pad_begin[i] = pads[i];
      s->pad_end[i] = pads[i + s->n];
      int64_t eff = s->dil[i] * (s->k[i] - 1) + 1;
      int64_t span = s->in[i] + s->pad_begin[i] + s->pad_end[i] - eff;
      s->out[i] = (ceil_mode ? div_ceil(span, s->stride[i]) : div_floor(span, s->stride[i])) + 1;
      /* With ceil_mode the last window must start inside the input or the
       * begin padding (ONNX Runtime and PyTorch drop it otherwise). */
      if (ceil_mode && (s->out[i] - 1) * s->stride[i] >= s->in[i] + s->pad_begin[i]) s->out[i]--;
    }
  }
  for (int i = 0; i < s->n; i++)
    if (s->out[i] < 1)
      return op_invalid(c, "window of size %lld does not fit spatial dim %d of size %lld",
                        (long long)s->k[i], i, (long long)s->in[i]);
  return 0;
}
