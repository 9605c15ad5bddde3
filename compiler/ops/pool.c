/* pool.c - MaxPool (and its Indices output), AveragePool,
 * GlobalAveragePool, GlobalMaxPool. float32 and float64 (16-bit floats
 * computed in float32); MaxPool also int8 and uint8 (opset 12+). */
#include "rt_kernels.h"
#include "spatial.h"

KERNEL_DEF(K_POOL_ANY, rt_pool_any, "pool.c", RtPoolAny, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_REDUCE_F64, rt_reduce_f64, "reduce.c", RtReduce, 2, KA(0), KA(1));

static int is_max(OpCtx *c) { return c->n->op_type[0] == 'M'; }

/* Input 0 has a type the op takes: -1 (reported) if not. */
static int pool_type(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  DType t = x->dtype;
  if (t == DT_F32 || t == DT_F64) return 0;
  if ((t == DT_I8 || t == DT_U8) && is_max(c) && c->opset >= 12) return 0;
  return op_invalid(c, "input '%s' has type %s, which %s does not take in opset %d", x->name,
                    dtype_name(t), c->n->op_type, c->opset);
}

static int pool_geometry(OpCtx *c, Spatial *s) {
  IrValue *x = op_in(c, 0);
  if (pool_type(c)) return -1;
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

/* MaxPool's storage_order (opset 8+; 0 for AveragePool), or -1 (reported). */
static int storage_order(OpCtx *c) {
  if (!is_max(c) || c->opset < 8) return 0;
  int ok = 1;
  int64_t order = op_attr_int(c, "storage_order", 0, &ok);
  if (!ok) return -1;
  if (order != 0 && order != 1)
    return op_invalid(c, "storage_order is %lld; it must be 0 (row major) or 1 (column major)",
                      (long long)order);
  return (int)order;
}

static int has_indices(OpCtx *c) { return c->n->nout > 1 && c->n->out[1] >= 0; }

static int infer_pool(OpCtx *c) {
  Spatial s;
  if (pool_geometry(c, &s) || storage_order(c) < 0) return -1;
  if (has_indices(c) && c->opset < 8)
    return op_invalid(c, "MaxPool has an Indices output only from opset 8");
  IrValue *x = op_in(c, 0);
  int64_t dims[IR_MAX_RANK] = {x->dims[0], x->dims[1]};
  for (int i = 0; i < s.n; i++) dims[2 + i] = s.out[i];
  op_set_out(c, 0, x->dtype, x->rank, dims);
  if (has_indices(c)) op_set_out(c, 1, DT_I64, x->rank, dims);
  return 0;
}

static int lower_pool(OpCtx *c, KList *l) {
  Spatial s;
  if (pool_geometry(c, &s)) return -1;
  int ok = 1, max = is_max(c), order = storage_order(c);
  int64_t include_pad = max ? 0 : op_attr_int(c, "count_include_pad", 0, &ok);
  if (!ok || order < 0) return -1;
  IrValue *x = op_in(c, 0);
  int fast = x->dtype == DT_F32 && !has_indices(c);
  KCall *k = fast ? kl_add(l, max ? "rt_maxpool_f32" : "rt_avgpool_f32") : kl_call(l, &K_POOL_ANY);
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "c", x->dims[1]);
  spatial_kcall(k, &s, 1);
  kc_i(k, "count_include_pad", include_pad);
  if (!fast) {
    kc_i(k, "type", x->dtype == DT_F64  ? RT_POOL_F64
                    : x->dtype == DT_I8 ? RT_POOL_I8
                    : x->dtype == DT_U8 ? RT_POOL_U8
                                        : RT_POOL_F32);
    kc_i(k, "is_max", max);
    kc_i(k, "storage_order", order);
  }
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  if (!fast) kc_arg(k, has_indices(c) ? c->n->out[1] : KC_NULL);
  kc_end(k);
  return 0;
}

/* Global pools: one window over all spatial dims, written as a reduction. */
static int infer_global(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  if (pool_type(c)) return -1;
  if (x->rank < 3) return op_invalid(c, "X '%s' must have rank >= 3", x->name);
  int64_t dims[IR_MAX_RANK] = {x->dims[0], x->dims[1]};
  for (int i = 2; i < x->rank; i++) dims[i] = 1;
  op_set_out(c, 0, x->dtype, x->rank, dims);
  return 0;
}

static int lower_global(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0);
  int64_t spatial = 1;
  for (int i = 2; i < x->rank; i++) spatial *= x->dims[i];
  int64_t out_dims[1] = {x->dims[0] * x->dims[1]}, out_str[1] = {spatial};
  int64_t red_dims[1] = {spatial}, red_str[1] = {1};
  KCall *k = x->dtype == DT_F64 ? kl_call(l, &K_REDUCE_F64) : kl_add(l, "rt_reduce_f32");
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
