/* infer.c - see infer.h. */
#include "infer.h"

#include <string.h>

#include "exec.h"
#include "ops/op.h"

/* Outputs up to this size are folded during inference (shape arithmetic);
 * larger constant computations wait for the fold pass. */
#define INFER_FOLD_BYTES (64 << 10)

/* Reports node n's op as unsupported (its op is unknown). */
static void report_unsupported(IrGraph *g, IrNode *n, Diag *d) {
  if (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
    diag_error(d, EK_UNSUPPORTED, ir_where(g, n), "op '%s' of domain '%s' is not supported",
               n->op_type, n->domain);
  else
    diag_error(d, EK_UNSUPPORTED, ir_where(g, n), "op '%s' is not supported", n->op_type);
}

static int check_arity(IrGraph *g, IrNode *n, Diag *d) {
  const OpDef *op = n->op;
  int nin = n->nin, nout = n->nout;
  while (nin > 0 && n->in[nin - 1] < 0) nin--; /* trailing absent optionals */
  if (nin < op->min_in || n->nin > op->max_in) {
    diag_error(d, EK_INVALID, ir_where(g, n), "has %d inputs; %s takes %d to %d", n->nin,
               op->name, op->min_in, op->max_in);
    return -1;
  }
  if (nout < op->min_out || nout > op->max_out ||
      (n->out[0] < 0 && !(op->flags & OPF_OPT_OUT0))) {
    diag_error(d, EK_INVALID, ir_where(g, n), "has %d outputs; %s makes %d to %d", nout,
               op->name, op->min_out, op->max_out);
    return -1;
  }
  for (int i = 0; i < op->min_in; i++)
    if (n->in[i] < 0) {
      diag_error(d, EK_INVALID, ir_where(g, n), "required input %d is missing", i);
      return -1;
    }
  if (!op->domain[0] && g->opset < op->since) { /* other domains version apart */
    diag_error(d, EK_INVALID, ir_where(g, n), "%s does not exist in opset %d (it came in %d)",
               op->name, g->opset, op->since);
    return -1;
  }
  return 0;
}

static int check_inputs_known(IrGraph *g, const IrNode *n) {
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] >= 0 && g->vals[n->in[i]].rank < 0) return 0; /* an earlier error */
  return 1;
}

int infer_node(IrGraph *g, IrNode *n, Diag *d) {
  if (!check_inputs_known(g, n)) return -1;
  if (check_arity(g, n, d)) return -1;
  OpCtx c = {g, n, d, g->opset};
  if (n->op->infer(&c)) return -1;
  for (int i = 0; i < n->nout; i++)
    if (n->out[i] >= 0 && g->vals[n->out[i]].rank < 0)
      BUG("%s: output %d has no shape after inference", n->op_type, i);
  return 0;
}

/* ---- the narrow types (float16, bfloat16, float8, float4, int4, ...):
 * computed in float32 ----
 * An op without kernels for them gets a ConvertFloat to float32 before each
 * narrow input; after its inference, each float32 output gets one back to
 * the narrow type (node->half_type). Every op then rounds its result to the
 * narrow type, as ONNX Runtime's CPU kernels do. A Cast to a narrow type
 * becomes a Cast to float32 and a ConvertFloat that takes its saturate and
 * round_mode. Ops flagged OPF_NARROW_IO (quantization) read and write the
 * one-byte narrow types themselves. */

static int is_half(DType t) { return dtype_is_narrow(t); }

/* Whether input value v of node n must be converted to float32. */
static int promotes(const IrGraph *g, const IrNode *n, int v) {
  if (v < 0 || !is_half(g->vals[v].dtype)) return 0;
  return !(n->op->flags & OPF_NARROW_IO) || dtype_size(g->vals[v].dtype) != 1;
}

static int is_cast(const IrNode *n) {
  return strcmp(n->op_type, "Cast") == 0 || strcmp(n->op_type, "CastLike") == 0;
}

/* The 16-bit type node n must be computed around, or DT_UNDEF. */
static DType half_type_of(IrGraph *g, IrNode *n) {
  if (n->op->flags & OPF_ANY_TYPE || n->half_type) return DT_UNDEF;
  if (is_cast(n)) {
    const IrAttr *to = ir_attr(n, "to");
    DType t = strcmp(n->op_type, "Cast") == 0 ? (to && to->type == AT_INT ? (DType)to->i : DT_UNDEF)
                                              : g->vals[n->in[1]].dtype;
    if (is_half(t)) return t;
    return promotes(g, n, n->in[0]) ? DT_F32 : DT_UNDEF;
  }
  for (int j = 0; j < n->nin; j++)
    if (promotes(g, n, n->in[j])) return g->vals[n->in[j]].dtype;
  return DT_UNDEF;
}

static IrNode *insert_convert(IrGraph *g, int pos, int in, int out, DType to) {
  IrNode *c = ir_insert_node(g, pos, "ConvertFloat", g->vals[out].name, 1, 1);
  c->op = &OP_CONVERT;
  c->domain = "gpuxc";
  c->in[0] = in;
  c->out[0] = out;
  ir_add_attr(g, c, "to", AT_INT)->i = to;
  return c;
}

/* Converts node i's 16-bit inputs to float32 (nodes inserted before it) and
 * rewrites a Cast to a 16-bit type into one to float32. */
static void promote_inputs(IrGraph *g, int i, DType half) {
  IrNode *n = &g->nodes[i];
  n->half_type = half;
  if (is_cast(n) && is_half(half)) {
    if (strcmp(n->op_type, "CastLike") == 0) {
      n->op_type = "Cast";
      n->op = op_find("", "Cast");
      n->nin = 1;
    }
    IrAttr *to = (IrAttr *)ir_attr(n, "to");
    if (!to) to = ir_add_attr(g, n, "to", AT_INT);
    to->type = AT_INT;
    to->i = DT_F32;
  }
  for (int j = 0, added = 0; j < n->nin; j++) {
    int v = n->in[j];
    if (!promotes(g, n, v)) continue;
    int t = ir_new_temp(g, g->vals[v].name);
    insert_convert(g, i + added++, v, t, DT_F32);
    n = &g->nodes[i + added];
    n->in[j] = t;
  }
  if (!is_half(half)) n->half_type = DT_UNDEF; /* a Cast from 16 bits: nothing back */
}

/* After node i is inferred: its float32 outputs convert back to half. */
static void promote_outputs(IrGraph *g, int i) {
  IrNode *n = &g->nodes[i];
  DType half = n->half_type;
  for (int j = 0, added = 0; j < n->nout; j++) {
    int v = n->out[j];
    if (v < 0 || g->vals[v].dtype != DT_F32) continue;
    int t = ir_new_temp(g, g->vals[v].name);
    ir_set_shape(&g->vals[t], DT_F32, g->vals[v].rank, g->vals[v].dims);
    IrNode *cv = insert_convert(g, i + 1 + added++, t, v, half);
    n = &g->nodes[i];
    n->out[j] = t;
    if (!is_cast(n)) continue;
    static const char *const KEEP[] = {"saturate", "round_mode"};
    for (int k = 0; k < 2; k++) {
      const IrAttr *a = ir_attr(n, KEEP[k]);
      if (a) *ir_add_attr(g, cv, KEEP[k], a->type) = *a;
    }
  }
}

/* String outputs need a width (IrValue.strw): views pass theirs on; an op
 * that does not set one does not handle strings (reported). */
static int string_widths(IrGraph *g, IrNode *n, Diag *d) {
  for (int j = 0; j < n->nout; j++) {
    IrValue *y = n->out[j] >= 0 ? &g->vals[n->out[j]] : NULL;
    if (!y || y->dtype != DT_STRING || y->strw > 0) continue;
    if (n->op->lower_kind == OPL_VIEW && n->in[0] >= 0 && g->vals[n->in[0]].dtype == DT_STRING) {
      y->strw = g->vals[n->in[0]].strw;
      continue;
    }
    diag_error(d, EK_UNSUPPORTED, ir_where(g, n), "%s of strings is not supported", n->op_type);
    return 1;
  }
  return 0;
}

/* Values of data-dependent shape may only be graph outputs (reported). */
static int reads_dynamic(IrGraph *g, IrNode *n, Diag *d) {
  for (int j = 0; j < n->nin; j++) {
    const IrValue *v = n->in[j] >= 0 ? &g->vals[n->in[j]] : NULL;
    if (v && v->flags & VF_DYNAMIC) {
      char buf[128];
      diag_error(d, EK_UNSUPPORTED, ir_where(g, n),
                 "input '%s' has a data-dependent shape (at most %s); gpuxc supports such "
                 "values only as graph outputs", v->name, ir_shape_str(v, buf, sizeof buf));
      return 1;
    }
  }
  return 0;
}

/* ---- sequences and optionals (compile-time lists; see IrValue.kind) ---- */

/* Identity of a sequence or an empty optional: the output is the same list. */
static int pass_kind(IrGraph *g, IrNode *n) {
  if (strcmp(n->op_type, "Identity") != 0 || n->nin < 1 || n->in[0] < 0 || n->out[0] < 0) return 0;
  const IrValue *x = &g->vals[n->in[0]];
  if (x->kind == VK_TENSOR) return 0;
  IrValue *y = &g->vals[n->out[0]];
  y->kind = x->kind;
  y->nelems = x->nelems;
  y->elems = x->elems;
  y->dtype = x->dtype;
  y->rank = 0;
  return 1;
}

/* Ops other than the sequence ops take tensors (reported). */
static int reads_non_tensor(IrGraph *g, IrNode *n, Diag *d) {
  for (int j = 0; j < n->nin; j++) {
    const IrValue *v = n->in[j] >= 0 ? &g->vals[n->in[j]] : NULL;
    if (v && v->kind != VK_TENSOR && n->op == &OP_SELECT) {
      diag_error(d, EK_UNSUPPORTED, ir_where(g, n),
                 "input 0 ('%s') must be a compile-time constant (the If gives %s)",
                 g->vals[n->in[0]].name, v->kind == VK_SEQ ? "a sequence" : "an optional");
      return 1;
    }
    if (v && v->kind != VK_TENSOR) {
      diag_error(d, EK_UNSUPPORTED, ir_where(g, n), "input '%s' is %s; %s takes tensors",
                 v->name, v->kind == VK_SEQ ? "a sequence" : "an empty optional", n->op_type);
      return 1;
    }
  }
  return 0;
}

/* A graph output that is a sequence becomes its elements, outputs named
 * "NAME[i]"; an empty optional is no output. */
static int expand_outputs(IrGraph *g, Diag *d) {
  int n = g->noutputs, bad = 0, *old = xmalloc(sizeof(int) * (size_t)(n + 1));
  if (n) memcpy(old, g->outputs, sizeof(int) * (size_t)n);
  g->noutputs = 0;
  for (int i = 0; i < n; i++) {
    IrValue *v = &g->vals[old[i]];
    if (v->kind == VK_NONE) {
      v->flags &= ~VF_OUTPUT;
      continue;
    }
    if (v->kind == VK_TENSOR) {
      GROW(g->outputs, g->capoutputs, g->noutputs + 1);
      g->outputs[g->noutputs++] = old[i];
      continue;
    }
    v->flags &= ~VF_OUTPUT;
    for (int k = 0; k < g->vals[old[i]].nelems; k++) {
      const char *name = arena_printf(&g->arena, "%s[%d]", g->vals[old[i]].name, k);
      if (ir_find_value(g, name) >= 0) {
        diag_error(d, EK_UNSUPPORTED, g->path, "output '%s' would clash with a value of the "
                   "model named '%s'", g->vals[old[i]].name, name);
        bad = 1;
        break;
      }
      int e = g->vals[old[i]].elems[k], o = ir_add_value(g, name);
      ir_set_shape(&g->vals[o], g->vals[e].dtype, g->vals[e].rank, g->vals[e].dims);
      g->vals[o].flags |= VF_OUTPUT;
      IrNode *id = ir_add_node(g, "Identity", "", name, 1, 1);
      id->in[0] = e;
      id->out[0] = o;
      GROW(g->outputs, g->capoutputs, g->noutputs + 1);
      g->outputs[g->noutputs++] = o;
    }
  }
  free(old);
  return bad ? -1 : 0;
}

static int small_outputs(IrGraph *g, const IrNode *n) {
  int64_t bytes = 0;
  for (int i = 0; i < n->nout; i++)
    if (n->out[i] >= 0) bytes += ir_bytes(&g->vals[n->out[i]]);
  return bytes <= INFER_FOLD_BYTES;
}

int infer_graph(IrGraph *g, InferStats *st, Diag *d) {
  memset(st, 0, sizeof *st);
  if (legalize_graph(g, d)) return -1;
  int bad = 0;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (n->dead) continue;
    if (!n->op) { /* reported here, so ops of inlined subgraphs are too */
      report_unsupported(g, n, d);
      st->unsupported++;
      bad++;
      n->dead = 1;
      continue;
    }
    if (pass_kind(g, n)) {
      n->dead = 1;
      continue;
    }
    if (n->op->expand) {
      OpCtx c = {g, n, d, g->opset};
      int r = check_inputs_known(g, n) ? n->op->expand(&c, i) : -1;
      n = &g->nodes[i]; /* the hook may have grown the node array */
      if (r < 0) bad++;
      if (r < 0) n->dead = 1;
      if (r != 0) i--; /* resume at the first node it inserted */
      if (r != 0) continue;
    }
    if (reads_non_tensor(g, n, d)) {
      bad++;
      n->dead = 1;
      continue;
    }
    DType half = half_type_of(g, n);
    if (half != DT_UNDEF) {
      promote_inputs(g, i, half);
      i--; /* infer the conversions first, then the node */
      continue;
    }
    if (infer_node(g, n, d)) {
      bad++;
      continue;
    }
    if (string_widths(g, n, d)) {
      bad++;
      continue;
    }
    if (reads_dynamic(g, n, d)) {
      bad++;
      continue;
    }
    if (n->half_type) {
      promote_outputs(g, i);
      n = &g->nodes[i];
    }
    int fold = n->op->lower_kind == OPL_FOLD ||
               (exec_can_fold(g, n) && small_outputs(g, n));
    if (!fold) continue;
    if (exec_node(g, n, d)) {
      bad++;
      continue;
    }
    n->dead = 1;
    st->folded++;
  }
  if (!bad && expand_outputs(g, d)) bad++;
  ir_compact(g);
  return bad ? -1 : 0;
}
