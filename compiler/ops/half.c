/* half.c - ConvertFloat, the internal op that converts between float32 or
 * float64 and float16 or bfloat16. Inference inserts it around ops that have
 * no 16-bit kernels, which then compute in float32 (infer.c). */
#include "half.h"
#include "op.h"

KERNEL_DEF(K_CONVERT, rt_convert, "half.c", RtConvert, 2, KA(0), KA(1));

static int is_convertible(DType t) {
  return t == DT_F32 || t == DT_F64 || t == DT_F16 || t == DT_BF16;
}

static int infer_convert(OpCtx *c) {
  int ok = 1;
  int64_t to = op_attr_int(c, "to", 0, &ok);
  IrValue *x = op_in(c, 0);
  if (!ok || !is_convertible((DType)to) || !is_convertible(x->dtype))
    BUG("ConvertFloat from %s to %lld", dtype_name(x->dtype), (long long)to);
  op_set_out(c, 0, (DType)to, x->rank, x->dims);
  return 0;
}

static int lower_convert(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  KCall *k = kl_call(l, &K_CONVERT);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "from", x->dtype);
  kc_i(k, "to", y->dtype);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OP_CONVERT = {"ConvertFloat", "gpuxc", 1, 1, 1, 1, 1, OPL_KERNEL, OPF_ANY_TYPE,
                          infer_convert, lower_convert};
