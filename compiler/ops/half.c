/* half.c - ConvertFloat, the internal op that converts between float32 or
 * float64 and the narrow types (float16, bfloat16, float8, float4, int4,
 * uint4, int2, uint2). Inference inserts it around ops that have no kernels
 * for those, which then compute in float32 (infer.c). A Cast to a narrow
 * type passes its saturate and round_mode attributes on to it. */
#include <string.h>

#include "half.h"
#include "op.h"

KERNEL_DEF(K_CONVERT, rt_convert, "half.c", RtConvert, 2, KA(0), KA(1));

static int is_convertible(DType t) { return t == DT_F32 || t == DT_F64 || dtype_is_narrow(t); }

/* Cast's round_mode attribute (float8e8m0), as RtConvert numbers it. */
static int round_mode(OpCtx *c) {
  int ok = 1;
  const char *m = op_attr_str(c, "round_mode", "up", &ok);
  return !ok ? -1 : strcmp(m, "up") == 0 ? 0 : strcmp(m, "down") == 0 ? 1
                  : strcmp(m, "nearest") == 0 ? 2 : -1;
}

static int infer_convert(OpCtx *c) {
  int ok = 1;
  int64_t to = op_attr_int(c, "to", 0, &ok);
  IrValue *x = op_in(c, 0);
  if (!ok || !is_convertible((DType)to) || !is_convertible(x->dtype))
    BUG("ConvertFloat from %s to %lld", dtype_name(x->dtype), (long long)to);
  if (round_mode(c) < 0)
    return op_invalid(c, "round_mode must be 'up', 'down' or 'nearest', not '%s'",
                      op_attr_str(c, "round_mode", "", &ok));
  op_set_out(c, 0, (DType)to, x->rank, x->dims);
  return 0;
}

static int lower_convert(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  int ok = 1;
  KCall *k = kl_call(l, &K_CONVERT);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "from", x->dtype);
  kc_i(k, "to", y->dtype);
  kc_i(k, "saturate", op_attr_int(c, "saturate", 1, &ok));
  kc_i(k, "round_mode", round_mode(c));
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OP_CONVERT = {"ConvertFloat", "gpuxc", 1, 1, 1, 1, 1, OPL_KERNEL, OPF_ANY_TYPE,
                          infer_convert, lower_convert};
