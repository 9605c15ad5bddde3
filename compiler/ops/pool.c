/* pool.c - MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool. */
#include "rt_kernels.h"
#include "spatial.h"

static int pool_geometry(OpCtx *c, Spatial *s) {
  IrValue *x = op_in(c, 0);
  if (op_require_float(c, 0)) return -1;
  if (x->rank < 3) return op_invalid(c, "X '%s' must have rank >= 3", x->name);
  if (x->rank - 2 > SP_MAX)
    return op_unsupported(c, "%d spatial dims; at most %d are supported", x->rank - 2, SP_MAX);
  s->n = x->rank - 2;
  for (int i = 0; i < s->n; i++) s->in[i] = x->dims[2 + i];
  int nk = op_attr_ints(c, "kernel_shape", s->k, SP_MAX);
  if (nk == -2) return -1;
  if (nk != s->n) return op_invalid(c, "kernel_shape must have %d values", s->n);
  for (int i = 0; i < s->n; i++)
    if (s->k[i] < 1) return op_invalid(c, "kernel_shape values must be >= 1");
  return spatial_window(c, s, c->opset >= 10);
}

static int infer_pool(OpCtx *c) {
  Spatial s;
  if (pool_geometry(c, &s)) return -1;
  if (c->n->nout > 1 && c->n->out[1] >= 0)
    return op_unsupported(c, "the Indices output of MaxPool is not supported");
  int ok = 1;
  if (op_attr_int(c, "storage_order", 0, &ok) != 0 || !ok)
    return op_unsupported(c, "storage_order 1 is not supported");
  IrValue *x = op_in(c, 0);
  int64_t dims[IR_MAX_RANK] = {x->dims[0], x->dims[1]};
  for (int i = 0; i < s.n; i++) dims[2 + i] = s.out[i];
  op_set_out(c, 0, DT_F32, x->rank, dims);
  return 0;
}

static int lower_pool(OpCtx *c, KList *l) {
  Spatial s;
  if (pool_geometry(c, &s)) return -1;
  int ok = 1;
  int avg = c->n->op_type[0] == 'A';
  int64_t include_pad = avg ? op_attr_int(c, "count_include_pad", 0, &ok) : 0;
  if (!ok) return -1;
  KCall *k = kl_add(l, avg ? "rt_avgpool_f32" : "rt_maxpool_f32");
  kc_i(k, "n", op_in(c, 0)->dims[0]);
  kc_i(k, "c", op_in(c, 0)->dims[1]);
  spatial_kcall(k, &s, 1);
  kc_i(k, "count_include_pad", include_pad);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* Global pools: one window over all spatial dims, written as a reduction. */
static int infer_global(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  if (op_require_float(c, 0)) return -1;
  if (x->rank < 3) return op_invalid(c, "X '%s' must have rank >= 3", x->name);
  int64_t dims[IR_MAX_RANK] = {x->dims[0], x->dims[1]};
  for (int i = 2; i < x->rank; i++) dims[i] = 1;
  op_set_out(c, 0, DT_F32, x->rank, dims);
  return 0;
}

static int lower_global(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0);
  int64_t spatial = 1;
  for (int i = 2; i < x->rank; i++) spatial *= x->dims[i];
  int64_t out_dims[1] = {x->dims[0] * x->dims[1]}, out_str[1] = {spatial};
  int64_t red_dims[1] = {spatial}, red_str[1] = {1};
  KCall *k = kl_add(l, "rt_reduce_f32");
  kc_i(k, "out_rank", 1);
  kc_iv(k, "out_dims", out_dims, 1, RT_MAX_RANK);
  kc_iv(k, "out_strides", out_str, 1, RT_MAX_RANK);
  kc_i(k, "red_rank", 1);
  kc_iv(k, "red_dims", red_dims, 1, RT_MAX_RANK);
  kc_iv(k, "red_strides", red_str, 1, RT_MAX_RANK);
  kc_i(k, "op", c->n->op_type[6] == 'A' ? RT_RED_MEAN : RT_RED_MAX);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OPS_POOL[] = {
    {"MaxPool", "", 1, 1, 1, 1, 2, OPL_KERNEL, 0, infer_pool, lower_pool},
    {"AveragePool", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_pool, lower_pool},
    {"GlobalAveragePool", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_global, lower_global},
    {"GlobalMaxPool", "", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_global, lower_global},
    {NULL},
};
