/* dynamic.c - ops whose output shapes depend on the data: NonZero. Such an
 * output gets its upper bound as its shape and is marked data-dependent
 * (op_dynamic_out): the kernel writes it compactly and its actual dims to a
 * value of their own, which the generated API returns after each run
 * (<prefix>_output_shape). These outputs may only be graph outputs
 * (infer.c). Kernels: runtime-mini/kernels/dynamic.c. */
#include "dynamic.h"
#include "op.h"

KERNEL_DEF(K_NONZERO, rt_nonzero, "dynamic.c", RtNonZero, 3, KA(0), KA(1), KA(2));

/* NonZero: int64 [rank, count]; at most [rank, numel]. */
static int infer_nonzero(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  if (x->dtype == DT_STRING) return op_unsupported(c, "NonZero of strings is not supported");
  if (x->rank > 8) return op_unsupported(c, "NonZero of rank %d; at most 8", x->rank);
  int64_t dims[2] = {x->rank, ir_numel(x)};
  op_set_out(c, 0, DT_I64, 2, dims);
  op_dynamic_out(c, 0);
  return 0;
}

static int lower_nonzero(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  KCall *k = kl_call(l, &K_NONZERO);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "rank", x->rank);
  kc_iv(k, "dims", x->dims, x->rank, 8);
  kc_i(k, "esize", (int64_t)dtype_size(x->dtype));
  kc_i(k, "is_f32", x->dtype == DT_F32);
  kc_i(k, "is_f64", x->dtype == DT_F64);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, y->shape_val);
  kc_end(k);
  return 0;
}

const OpDef OPS_DYNAMIC[] = {
    /* one more output than ONNX's: the actual shape (op_dynamic_out) */
    {"NonZero", "", 9, 1, 1, 1, 2, OPL_KERNEL, OPF_NO_FOLD, infer_nonzero, lower_nonzero},
    {NULL},
};
