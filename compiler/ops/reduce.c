/* reduce.c - the Reduce* family. Axes come from an attribute in older opsets
 * and from an optional input since opset 13 (ReduceSum) or 18 (the rest).
 * Types: float32, float64 (16-bit floats computed in float32), int32,
 * int64, uint32, uint64; int8 and uint8 (Max, Min) and bool (Max, Min
 * since opset 20). */
#include <string.h>

#include "rt_kernels.h"
#include "op.h"

KERNEL_DEF(K_REDUCE_F64, rt_reduce_f64, "reduce.c", RtReduce, 2, KA(0), KA(1));
KERNEL_DEF(K_REDUCE_I32, rt_reduce_i32, "reduce.c", RtReduce, 2, KA(0), KA(1));
KERNEL_DEF(K_REDUCE_U32, rt_reduce_u32, "reduce.c", RtReduce, 2, KA(0), KA(1));
KERNEL_DEF(K_REDUCE_U64, rt_reduce_u64, "reduce.c", RtReduce, 2, KA(0), KA(1));
KERNEL_DEF(K_REDUCE_I8, rt_reduce_i8, "reduce.c", RtReduce, 2, KA(0), KA(1));
KERNEL_DEF(K_REDUCE_U8, rt_reduce_u8, "reduce.c", RtReduce, 2, KA(0), KA(1));
KERNEL_DEF(K_REDUCE_BOOL, rt_reduce_bool, "reduce.c", RtReduce, 2, KA(0), KA(1));

static const struct {
  const char *name;
  int op;
} REDUCE_OPS[] = {
    {"ReduceSum", RT_RED_SUM},         {"ReduceMean", RT_RED_MEAN},
    {"ReduceMax", RT_RED_MAX},         {"ReduceMin", RT_RED_MIN},
    {"ReduceProd", RT_RED_PROD},       {"ReduceL1", RT_RED_L1},
    {"ReduceL2", RT_RED_L2},           {"ReduceLogSum", RT_RED_LOG_SUM},
    {"ReduceLogSumExp", RT_RED_LOG_SUM_EXP}, {"ReduceSumSquare", RT_RED_SUM_SQUARE},
};

static int reduce_kind(const IrNode *n) {
  for (size_t i = 0; i < ARRAY_LEN(REDUCE_OPS); i++)
    if (strcmp(REDUCE_OPS[i].name, n->op_type) == 0) return REDUCE_OPS[i].op;
  BUG("not a reduction: %s", n->op_type);
}

/* Marks the reduced dims of X in red[]; returns the keepdims flag or -1. */
static int reduce_axes(OpCtx *c, int *red) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t keep = op_attr_int(c, "keepdims", 1, &ok);
  int64_t noop = op_attr_int(c, "noop_with_empty_axes", 0, &ok);
  if (!ok) return -1;
  int axes_input = strcmp(c->n->op_type, "ReduceSum") == 0 ? c->opset >= 13 : c->opset >= 18;
  int64_t axes[IR_MAX_RANK];
  int n = axes_input ? op_const_ints(c, 1, axes, IR_MAX_RANK)
                     : op_attr_ints(c, "axes", axes, IR_MAX_RANK);
  if (n == -2) return -1;
  if (!axes_input && op_has_in(c, 1))
    return op_invalid(c, "axes are an attribute before opset %d", c->opset);
  for (int i = 0; i < x->rank; i++) red[i] = n <= 0 && !noop;
  for (int i = 0; i < n; i++) {
    int a = op_axis(c, axes[i], x->rank, "axis");
    if (a < 0) return -1;
    if (red[a]) return op_invalid(c, "axis %lld is listed twice", (long long)axes[i]);
    red[a] = 1;
  }
  return (int)keep;
}

/* Whether ReduceX takes elements of type t in this opset (floats, and
 * 16-bit ones which arrive as float32; the integers; int8/uint8 for
 * Max/Min since 12, bool since 20; no integers for LogSum/LogSumExp
 * since 28). */
static int reduce_takes(OpCtx *c, DType t) {
  int kind = reduce_kind(c->n), minmax = kind == RT_RED_MAX || kind == RT_RED_MIN;
  int logs = kind == RT_RED_LOG_SUM || kind == RT_RED_LOG_SUM_EXP;
  switch (t) {
  case DT_F32:
  case DT_F64: return 1;
  case DT_I32:
  case DT_I64:
  case DT_U32:
  case DT_U64: return !logs || c->opset < 28;
  case DT_I8:
  case DT_U8: return minmax && c->opset >= 12;
  case DT_BOOL: return minmax && c->opset >= 20;
  default: return 0;
  }
}

static int infer_reduce(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  if (!reduce_takes(c, x->dtype))
    return op_invalid(c, "input '%s' has type %s, which %s does not take in opset %d", x->name,
                      dtype_name(x->dtype), c->n->op_type, c->opset);
  int red[IR_MAX_RANK];
  int keep = reduce_axes(c, red);
  if (keep < 0) return -1;
  int rank = 0;
  int64_t dims[IR_MAX_RANK];
  for (int i = 0; i < x->rank; i++) {
    if (!red[i])
      dims[rank++] = x->dims[i];
    else if (keep)
      dims[rank++] = 1;
  }
  op_set_out(c, 0, x->dtype, rank, dims);
  return 0;
}

/* The kernel for elements of type t (reduce_takes). */
static const KernelDef *reduce_kernel(DType t) {
  switch (t) {
  case DT_F32: return kernel_find("rt_reduce_f32");
  case DT_I64: return kernel_find("rt_reduce_i64");
  case DT_F64: return &K_REDUCE_F64;
  case DT_I32: return &K_REDUCE_I32;
  case DT_U32: return &K_REDUCE_U32;
  case DT_U64: return &K_REDUCE_U64;
  case DT_I8: return &K_REDUCE_I8;
  case DT_U8: return &K_REDUCE_U8;
  case DT_BOOL: return &K_REDUCE_BOOL;
  default: BUG("no reduction kernel for %s", dtype_name(t));
  }
}

static int lower_reduce(OpCtx *c, KList *l) {
  int red[IR_MAX_RANK];
  if (reduce_axes(c, red) < 0) return -1;
  IrValue *x = op_in(c, 0);
  int64_t stride[IR_MAX_RANK], od[IR_MAX_RANK], os[IR_MAX_RANK], rd[IR_MAX_RANK],
      rs[IR_MAX_RANK];
  int no = 0, nr = 0;
  ir_strides(x, stride);
  for (int i = 0; i < x->rank; i++) {
    if (red[i]) {
      rd[nr] = x->dims[i];
      rs[nr++] = stride[i];
    } else {
      od[no] = x->dims[i];
      os[no++] = stride[i];
    }
  }
  KCall *k = kl_call(l, reduce_kernel(x->dtype));
  kc_i(k, "out_rank", no);
  kc_iv(k, "out_dims", od, no, RT_MAX_RANK);
  kc_iv(k, "out_strides", os, no, RT_MAX_RANK);
  kc_i(k, "red_rank", nr);
  kc_iv(k, "red_dims", rd, nr, RT_MAX_RANK);
  kc_iv(k, "red_strides", rs, nr, RT_MAX_RANK);
  kc_i(k, "op", reduce_kind(c->n));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

#define REDUCE(NAME) {NAME, "", 1, 1, 2, 1, 1, OPL_KERNEL, 0, infer_reduce, lower_reduce}
const OpDef OPS_REDUCE[] = {
    REDUCE("ReduceSum"),  REDUCE("ReduceMean"), REDUCE("ReduceMax"),       REDUCE("ReduceMin"),
    REDUCE("ReduceProd"), REDUCE("ReduceL1"),   REDUCE("ReduceL2"),        REDUCE("ReduceLogSum"),
    REDUCE("ReduceLogSumExp"), REDUCE("ReduceSumSquare"), {NULL},
};
