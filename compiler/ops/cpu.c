/* cpu.c - the cpu target's own kernels, as ops its prepare step makes
 * (targets/cpu/cpu_target.c); nothing else creates them, and the node keeps
 * the op_type, name and attributes of the node it replaced.
 *
 * CpuConv: inputs X, the packed weights (rt_cpu_conv_pack), B (or absent),
 * a residual R added before the activation (or absent); attribute w_shape
 * holds W's shape, from which Conv's geometry is read again (conv.c).
 *
 * CpuGemm: Y [M', N] = act(A [M', K] B + bias + R) with A the first input
 * read as rows of K (the batch dims of a MatMul fold into M'), B the
 * second (packed by rt_cpu_gemm_pack_b when attribute b_packed is 1, else
 * raw with the strides b_rs, b_cs), bias [N] the third and R (the output's
 * shape) the fourth, each may be absent. Attributes m, n, k, alpha; with
 * b_packed 0, B is a run-time [.., K, N] and attribute batch (the output's
 * batch dims) and a_bs / b_bs (A's and B's batch strides, 0 where they
 * broadcast) make it one GEMM per batch; attributes a_rs and a_cs, when
 * present, are A's row and column strides (else K and 1).
 *
 * CpuDwConv: a depthwise Conv (group = C), inputs X, W, B, R as CpuConv's
 * but W as the model gives it.
 *
 * CpuPool: MaxPool (without Indices) or AveragePool, 2-D; the portable op's
 * parameters. CpuGlobalAvgPool: GlobalAveragePool.
 *
 * CpuSoftmax, CpuLayerNorm: float32 Softmax (LogSoftmax) and
 * LayerNormalization with the portable op's inputs, outputs and parameters.
 * Kernels: runtime-mini/kernels/cpu_conv.c, cpu_gemm.c, cpu_dw.c,
 * cpu_pool.c and cpu_norm.c. */
#include <string.h>

#include "cpu_conv.h"
#include "cpu_dw.h"
#include "cpu_norm.h"
#include "cpu_pool.h"
#include "op.h"
#include "rt_kernels.h"

KERNEL_DEF(K_CPU_CONV, rt_cpu_conv_f32, "cpu_conv.c", RtConv, 6, KA(0), KA(1), KA(2), KA(3),
           KA(4), KA(5));
KERNEL_DEF(K_CPU_DW, rt_cpu_dw_f32, "cpu_dw.c", RtConv, 6, KA(0), KA(1), KA(2), KA(3), KA(4),
           KA(5));
KERNEL_DEF(K_CPU_MAXPOOL, rt_cpu_maxpool_f32, "cpu_pool.c", RtPool, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_CPU_AVGPOOL, rt_cpu_avgpool_f32, "cpu_pool.c", RtPool, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_CPU_GAP, rt_cpu_global_avgpool_f32, "cpu_pool.c", RtCpuGlobalPool, 5, KA(0), KA(1),
           KA(2), KA(3), KA(4));
KERNEL_DEF(K_CPU_SOFTMAX, rt_cpu_softmax_f32, "cpu_norm.c", RtSoftmax, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_CPU_LAYERNORM, rt_cpu_layernorm_f32, "cpu_norm.c", RtLayerNorm, 7, KA(0), KA(1),
           KA(2), KA(3), KA(4), KA(5), KA(6));
KERNEL_DEF(K_CPU_GEMM, rt_cpu_gemm_f32, "cpu_gemm.c", RtCpuGemm, 7, KA(0), KA(1), KA(2), KA(3),
           KA(4), KA(5), KA(6));

/* Shapes were inferred for the node this one replaced. */
static int infer_keep(OpCtx *c) { return 0; }

static int lower_cpu_conv(OpCtx *c, KList *l) {
  const IrAttr *ws = ir_attr(c->n, "w_shape");
  if (!ws || ws->n < 3 || ws->n > IR_MAX_RANK) BUG("CpuConv without w_shape");
  IrValue w;
  memset(&w, 0, sizeof w);
  w.name = op_in(c, 1)->name;
  w.dtype = DT_F32;
  w.rank = ws->n;
  for (int i = 0; i < ws->n; i++) w.dims[i] = ws->ints[i];
  KCall *k = kl_call(l, &K_CPU_CONV);
  if (conv_fields(c, &w, k)) return -1;
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  kc_arg(k, op_has_in(c, 3) ? c->n->in[3] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_THREADS);
  kc_end(k);
  return 0;
}

static int64_t attr_i(const IrNode *n, const char *name) {
  const IrAttr *a = ir_attr(n, name);
  if (!a) BUG("CpuGemm without %s", name);
  return a->i;
}

static int lower_cpu_gemm(OpCtx *c, KList *l) {
  int64_t m = attr_i(c->n, "m"), n = attr_i(c->n, "n"), kk = attr_i(c->n, "k");
  int64_t packed = attr_i(c->n, "b_packed");
  const IrAttr *alpha = ir_attr(c->n, "alpha");
  KCall *k = kl_call(l, &K_CPU_GEMM);
  kc_i(k, "m", m);
  kc_i(k, "n", n);
  kc_i(k, "k", kk);
  kc_i(k, "a_packed", 0);
  kc_i(k, "b_packed", packed);
  const IrAttr *a_rs = ir_attr(c->n, "a_rs"), *a_cs = ir_attr(c->n, "a_cs");
  kc_i(k, "a_rs", a_rs ? a_rs->i : kk); /* strides other than A's own: a Transpose folded in */
  kc_i(k, "a_cs", a_cs ? a_cs->i : 1);
  kc_i(k, "b_rs", packed ? 0 : attr_i(c->n, "b_rs"));
  kc_i(k, "b_cs", packed ? 0 : attr_i(c->n, "b_cs"));
  kc_i(k, "ldc", n);
  kc_i(k, "res_rs", n);
  const IrAttr *batch = ir_attr(c->n, "batch"), *abs = ir_attr(c->n, "a_bs"),
               *bbs = ir_attr(c->n, "b_bs");
  int nb = batch ? batch->n : 0;
  int64_t cbs[4] = {0};
  for (int i = nb - 1; i >= 0; i--) cbs[i] = i == nb - 1 ? m * n : cbs[i + 1] * batch->ints[i + 1];
  kc_i(k, "batch_rank", nb);
  kc_iv(k, "batch", nb ? batch->ints : NULL, nb, 4);
  kc_iv(k, "a_bstride", nb ? abs->ints : NULL, nb, 4);
  kc_iv(k, "b_bstride", nb ? bbs->ints : NULL, nb, 4);
  kc_iv(k, "c_bstride", cbs, nb, 4);
  kc_iv(k, "res_bstride", cbs, nb, 4);
  kc_i(k, "accumulate", 0);
  kc_f(k, "alpha", alpha ? alpha->f : 1.0f);
  kc_i(k, "act", c->n->act.kind);
  kc_f(k, "act_alpha", c->n->act.alpha);
  kc_f(k, "act_beta", c->n->act.beta);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, KC_NULL);
  kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  kc_arg(k, op_has_in(c, 3) ? c->n->in[3] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_THREADS);
  kc_end(k);
  return 0;
}

static int lower_cpu_dw(OpCtx *c, KList *l) {
  KCall *k = kl_call(l, &K_CPU_DW);
  if (conv_fields(c, op_in(c, 1), k)) return -1;
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, op_has_in(c, 2) ? c->n->in[2] : KC_NULL);
  kc_arg(k, op_has_in(c, 3) ? c->n->in[3] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_THREADS);
  kc_end(k);
  return 0;
}

/* The portable op's single call (its parameter struct), retargeted to
 * kernel kd: with the portable operands (keep) or none yet. */
static int portable_call(OpCtx *c, const KernelDef *kd, int keep, KList *l) {
  const OpDef *def = op_find("", c->n->op_type);
  KList tmp = {0};
  if (!def || def->lower(c, &tmp) || tmp.n != 1) {
    kl_free(&tmp);
    return -1;
  }
  KCall *k = kl_call(l, kd);
  const KernelDef *keep_k = k->k;
  *k = tmp.calls[0];
  k->k = keep_k;
  if (!keep) k->nargs = 0;
  kl_free(&tmp);
  return 0;
}

static int lower_cpu_pool(OpCtx *c, KList *l) {
  int max = strcmp(c->n->op_type, "MaxPool") == 0;
  if (portable_call(c, max ? &K_CPU_MAXPOOL : &K_CPU_AVGPOOL, 0, l)) return -1;
  KCall *k = &l->calls[l->n - 1];
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_THREADS);
  kc_end(k);
  return 0;
}

/* The portable op's call and operands, then the thread pool. */
static int lower_with_threads(OpCtx *c, const KernelDef *kd, KList *l) {
  if (portable_call(c, kd, 1, l)) return -1;
  KCall *k = &l->calls[l->n - 1];
  kc_arg(k, KC_THREADS);
  kc_end(k);
  return 0;
}

static int lower_cpu_softmax(OpCtx *c, KList *l) {
  return lower_with_threads(c, &K_CPU_SOFTMAX, l);
}

static int lower_cpu_layernorm(OpCtx *c, KList *l) {
  return lower_with_threads(c, &K_CPU_LAYERNORM, l);
}

static int lower_cpu_gap(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0);
  KCall *k = kl_call(l, &K_CPU_GAP);
  kc_i(k, "n", x->dims[0]);
  kc_i(k, "c", x->dims[1]);
  kc_i(k, "spatial", ir_numel(x) / (x->dims[0] * x->dims[1]));
  kc_i(k, "act", 0);
  kc_f(k, "alpha", 0);
  kc_f(k, "beta", 0);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, KC_NULL);
  kc_arg(k, KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_THREADS);
  kc_end(k);
  return 0;
}

const OpDef OP_CPU_CONV = {"CpuConv", "gpuxc.cpu", 1, 2, 4, 1, 1, OPL_KERNEL, 0, infer_keep,
                           lower_cpu_conv};
const OpDef OP_CPU_GEMM = {"CpuGemm", "gpuxc.cpu", 1, 2, 4, 1, 1, OPL_KERNEL, 0, infer_keep,
                           lower_cpu_gemm};
const OpDef OP_CPU_DWCONV = {"CpuDwConv", "gpuxc.cpu", 1, 2, 4, 1, 1, OPL_KERNEL, 0, infer_keep,
                             lower_cpu_dw};
const OpDef OP_CPU_POOL = {"CpuPool", "gpuxc.cpu", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_keep,
                           lower_cpu_pool};
const OpDef OP_CPU_SOFTMAX = {"CpuSoftmax", "gpuxc.cpu", 1, 1, 1, 1, 1, OPL_KERNEL, 0, infer_keep,
                              lower_cpu_softmax};
const OpDef OP_CPU_LAYERNORM = {"CpuLayerNorm", "gpuxc.cpu", 1, 2, 3, 1, 3, OPL_KERNEL, 0,
                                infer_keep, lower_cpu_layernorm};
const OpDef OP_CPU_GAP = {"CpuGlobalAvgPool", "gpuxc.cpu", 1, 1, 1, 1, 1, OPL_KERNEL, 0,
                          infer_keep, lower_cpu_gap};
