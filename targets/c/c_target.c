/* c_target.c - the portable `c` target: C99 with no heap, no threads and no
 * library beyond memcpy/memset and libm. Kernel ops call runtime-mini's
 * kernels with compile-time parameter structs; elementwise ops become loops
 * over the scalar functions of rt_scalar.h; views cost nothing. */
#include <string.h>

#include "bcast.h"
#include "c_emit.h"
#include "ops/op.h"

int ew_nops(const IrNode *n);
int ew_params(OpCtx *c, float *p);

int64_t c_scratch(IrGraph *g, IrNode *n, Diag *d) {
  if (n->op->lower_kind != OPL_KERNEL) return 0;
  OpCtx c = {g, n, d, g->opset};
  KList l = {0};
  int64_t s = 0;
  if (n->op->lower(&c, &l)) s = -1;
  for (int i = 0; s >= 0 && i < l.n; i++) s = MAX(s, l.calls[i].scratch_bytes);
  kl_free(&l);
  return s;
}

/* A pointer expression for value v, of its C type. */
static void val_ref(const TargetCtx *t, StrBuf *b, int v) {
  const IrValue *x = &t->g->vals[v];
  const MemPlan *p = t->plan;
  const char *ct = dtype_c(x->dtype);
  switch (p->storage[v]) {
  case ST_CONST:
    sb_printf(b, "(const %s *)W(%lld)", ct, (long long)t->w->off[p->root[v]]);
    break;
  case ST_INPUT: sb_printf(b, "(const %s *)in[%d]", ct, p->io_index[v]); break;
  case ST_OUTPUT: sb_printf(b, "(%s *)out[%d]", ct, p->io_index[v]); break;
  case ST_ARENA: sb_printf(b, "(%s *)(A + %lld)", ct, (long long)p->offset[v]); break;
  default: BUG("value '%s' has no storage", x->name);
  }
}

static void shape_list(const IrGraph *g, StrBuf *b, const int *ids, int n) {
  char s[128];
  for (int i = 0, k = 0; i < n; i++) {
    if (ids[i] < 0) continue;
    const IrValue *v = &g->vals[ids[i]];
    sb_printf(b, "%s%s%s", k++ ? ", " : "", ir_shape_str(v, s, sizeof s),
              v->dtype == DT_F32 ? "" : dtype_suffix(v->dtype));
  }
}

void c_node_shapes(const IrGraph *g, StrBuf *b, const IrNode *n) {
  shape_list(g, b, n->in, n->nin);
  sb_puts(b, " -> ");
  shape_list(g, b, n->out, n->nout);
}

/* The comment before each node: index, ONNX name, op, shapes. */
static void node_comment(TargetCtx *t, Emitter *e, int i) {
  const IrNode *n = &t->g->nodes[i];
  StrBuf b;
  sb_init(&b);
  sb_printf(&b, "/* [%d] '%s' %s: ", i, cg_comment_text(n->name), cg_comment_text(n->op_type));
  c_node_shapes(t->g, &b, n);
  static const char *ACT[] = {"", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid",
                              "HardSwish", "Tanh", "Gelu"};
  if (n->act.kind) sb_printf(&b, ", fused %s", ACT[n->act.kind]);
  sb_puts(&b, " */");
  cg_line(e, "%s", b.s);
  sb_free(&b);
}

/* An index expression sum(i_k * stride_k) over the loop variables. */
static void index_expr(StrBuf *b, const BcastPlan *p, const int64_t *strides) {
  int terms = 0;
  for (int k = 0; k < p->rank; k++) {
    if (!strides[k]) continue;
    sb_printf(b, "%s", terms++ ? " + " : "");
    if (strides[k] == 1)
      sb_printf(b, "i%d", k);
    else
      sb_printf(b, "i%d * %lld", k, (long long)strides[k]);
  }
  if (!terms) sb_putc(b, '0');
}

/* The operands of an elementwise loop: the distinct values that node i and
 * the inline_ew nodes under it read. */
static void ew_leaves(const IrGraph *g, int i, int *leaf, int *n) {
  const IrNode *x = &g->nodes[i];
  for (int k = 0; k < ew_nops(x); k++) {
    int v = x->in[k], p = g->vals[v].producer, seen = 0;
    if (p >= 0 && g->nodes[p].inline_ew) {
      ew_leaves(g, p, leaf, n);
      continue;
    }
    for (int j = 0; j < *n; j++) seen |= leaf[j] == v;
    ENSURE(seen || *n < BCAST_MAX_OPS);
    if (!seen) leaf[(*n)++] = v;
  }
}

/* The call that computes node i's element at the loop's position: leaves
 * read as x<k>[index], inline_ew operands as nested calls. */
static int ew_call(TargetCtx *t, StrBuf *b, int i, const int *leaf, int nleaf, const BcastPlan *p,
                   Diag *d) {
  IrNode *n = &t->g->nodes[i];
  OpCtx c = {t->g, n, d, t->g->opset};
  float params[2];
  if (ew_params(&c, params)) return -1;
  const EwDef *ew = n->op->ew;
  int nops = ew_nops(n);
  sb_printf(b, "rt_%s_%s(", ew->fn, dtype_suffix(t->g->vals[n->in[nops - 1]].dtype));
  for (int k = 0; k < nops; k++) {
    int v = n->in[k], pr = t->g->vals[v].producer;
    sb_puts(b, k ? ", " : "");
    if (pr >= 0 && t->g->nodes[pr].inline_ew) {
      if (ew_call(t, b, pr, leaf, nleaf, p, d)) return -1;
      continue;
    }
    int j = 0;
    while (leaf[j] != v) j++;
    sb_printf(b, "x%d[", j);
    index_expr(b, p, p->strides[j]);
    sb_putc(b, ']');
  }
  for (int k = 0; k < ew->nparams; k++) {
    sb_puts(b, ", ");
    cg_float(b, params[k]);
  }
  sb_putc(b, ')');
  return 0;
}

/* One loop nest over the output: y = node i's call on its operands (and
 * on the nodes fuse-ew made inline under it). */
static int emit_ew(TargetCtx *t, Emitter *e, int i, Diag *d) {
  IrNode *n = &t->g->nodes[i];
  int leaf[BCAST_MAX_OPS], nleaf = 0;
  ew_leaves(t->g, i, leaf, &nleaf);
  const IrValue *ops[BCAST_MAX_OPS];
  StrBuf b;
  sb_init(&b);
  cg_line(e, "{");
  for (int k = 0; k < nleaf; k++) {
    ops[k] = &t->g->vals[leaf[k]];
    sb_reset(&b);
    val_ref(t, &b, leaf[k]);
    cg_line(e, "const %s *x%d = %s;", dtype_c(ops[k]->dtype), k, b.s);
  }
  IrValue *y = &t->g->vals[n->out[0]];
  sb_reset(&b);
  val_ref(t, &b, n->out[0]);
  cg_line(e, "%s *y = %s;", dtype_c(y->dtype), b.s);
  BcastPlan p;
  bcast_plan(&p, y, ops, nleaf);
  for (int k = 0; k < p.rank; k++)
    cg_line(e, "for (int64_t i%d = 0; i%d < %lld; i%d++) {", k, k, (long long)p.dims[k], k);
  sb_reset(&b);
  sb_puts(&b, "y[");
  index_expr(&b, &p, p.out_strides);
  sb_puts(&b, "] = ");
  int rc = ew_call(t, &b, i, leaf, nleaf, &p, d);
  sb_puts(&b, ";");
  cg_line(e, "%s", b.s);
  for (int k = 0; k < p.rank; k++) cg_line(e, "}");
  cg_line(e, "}");
  sb_free(&b);
  return rc;
}

/* The parameter struct as a designated initializer, wrapped at 96 columns. */
static void kcall_params(Emitter *e, const KCall *k) {
  StrBuf line, f;
  sb_init(&line);
  sb_init(&f);
  cg_line(e, "static const %s p = {", k->k->ptype);
  for (int i = 0; i < k->nf; i++) {
    const KField *x = &k->f[i];
    sb_reset(&f);
    sb_printf(&f, ".%s = ", x->name);
    if (x->type == 'i') sb_printf(&f, "%lld", (long long)x->iv[0]);
    if (x->type == 'f') cg_float(&f, x->fv[0]);
    if (x->type == 'I' || x->type == 'F') {
      int used = x->n;
      while (used > 1 && (x->type == 'I' ? x->iv[used - 1] == 0 : x->fv[used - 1] == 0)) used--;
      sb_putc(&f, '{');
      for (int j = 0; j < used; j++) {
        sb_puts(&f, j ? ", " : "");
        if (x->type == 'I')
          sb_printf(&f, "%lld", (long long)x->iv[j]);
        else
          cg_float(&f, x->fv[j]);
      }
      sb_putc(&f, '}');
    }
    sb_putc(&f, ',');
    if (line.len && line.len + 1 + f.len > 90) {
      cg_line(e, "%s", line.s);
      sb_reset(&line);
    }
    sb_printf(&line, "%s%s", line.len ? " " : "", f.s);
  }
  if (line.len) cg_line(e, "%s", line.s);
  cg_line(e, "};");
  sb_free(&line);
  sb_free(&f);
}

static int emit_kernel(TargetCtx *t, const CFlavor *fl, Emitter *e, int i, Diag *d) {
  IrNode *n = &t->g->nodes[i];
  OpCtx c = {t->g, n, d, t->g->opset};
  KList l = {0};
  if (n->op->lower(&c, &l)) {
    kl_free(&l);
    return -1;
  }
  StrBuf b;
  sb_init(&b);
  for (int j = 0; j < l.n; j++) {
    const KCall *k = &l.calls[j];
    cg_line(e, "{");
    kcall_params(e, k);
    sb_reset(&b);
    sb_printf(&b, "%s(&p", k->k->fn);
    for (int a = 0; a < k->nargs; a++) {
      sb_puts(&b, ", ");
      if (k->args[a] == KC_NULL)
        sb_puts(&b, "NULL");
      else if (k->args[a] == KC_THREADS)
        sb_puts(&b, fl->threads ? "ctx->threads" : "NULL");
      else if (k->args[a] == KC_SCRATCH && t->plan->scratch_off[i] < 0)
        sb_puts(&b, "NULL");
      else if (k->args[a] == KC_SCRATCH)
        sb_printf(&b, "(void *)(A + %lld)", (long long)t->plan->scratch_off[i]);
      else
        val_ref(t, &b, k->args[a]);
    }
    sb_puts(&b, ");");
    cg_line(e, "%s", b.s);
    cg_line(e, "}");
  }
  sb_free(&b);
  kl_free(&l);
  return 0;
}

static void emit_copy(TargetCtx *t, Emitter *e, int dst, int src) {
  StrBuf a, b;
  sb_init(&a);
  sb_init(&b);
  val_ref(t, &a, dst);
  val_ref(t, &b, src);
  cg_line(e, "memcpy(%s, %s, %lld);", a.s, b.s, (long long)ir_bytes(&t->g->vals[src]));
  sb_free(&a);
  sb_free(&b);
}

/* With profiling, a call of the profiler before (end 0) or after node i. */
static void profile_hook(TargetCtx *t, Emitter *e, int i, int end) {
  if (t->o->profile) cg_line(e, "if (ctx->profile) ctx->profile(ctx->profile_user, %d, %d);", i, end);
}

static int emit_node_code(TargetCtx *t, const CFlavor *f, Emitter *e, int i, Diag *d) {
  IrNode *n = &t->g->nodes[i];
  int rc;
  switch (n->op->lower_kind) {
  case OPL_VIEW:
    if (memplan_view_is_alias(t->plan, n)) {
      cg_line(e, "/* a view of its input: no code */");
    } else if (ir_bytes(&t->g->vals[n->out[0]])) {
      profile_hook(t, e, i, 0);
      emit_copy(t, e, n->out[0], n->in[0]);
      profile_hook(t, e, i, 1);
    }
    return 0;
  case OPL_EW:
    if (!ir_numel(&t->g->vals[n->out[0]])) return 0;
    profile_hook(t, e, i, 0);
    rc = emit_ew(t, e, i, d);
    profile_hook(t, e, i, 1);
    return rc;
  case OPL_KERNEL:
    profile_hook(t, e, i, 0);
    rc = emit_kernel(t, f, e, i, d);
    profile_hook(t, e, i, 1);
    return rc;
  case OPL_FOLD: break;
  }
  BUG("node '%s' (%s) should have been folded", n->name, n->op_type);
}

static int emit_node(TargetCtx *t, const CFlavor *f, Emitter *e, int i, Diag *d) {
  node_comment(t, e, i);
  if (t->g->nodes[i].inline_ew) {
    cg_line(e, "/* computed inside the loop of the node that reads it */");
    return 0;
  }
  return emit_node_code(t, f, e, i, d);
}

/* Graph outputs not written in place by a node: copied at the end. */
static void emit_output_copies(TargetCtx *t, Emitter *e) {
  for (int i = 0; i < t->g->noutputs; i++) {
    int v = t->g->outputs[i];
    if (t->plan->storage[v] == ST_OUTPUT && t->plan->io_index[v] == i) continue;
    if (!ir_bytes(&t->g->vals[v])) continue;
    StrBuf b;
    sb_init(&b);
    val_ref(t, &b, v);
    cg_line(e, "/* output %d '%s' is a copy */", i, cg_comment_text(t->g->vals[v].name));
    cg_line(e, "memcpy(out[%d], %s, %lld);", i, b.s, (long long)ir_bytes(&t->g->vals[v]));
    sb_free(&b);
  }
}

/* Which runtime-mini kernel files the model needs. */
static void copy_runtime(TargetCtx *t, const CFlavor *f, Emitter *e, Diag *d) {
  const char *srcs[32];
  int nsrc = 0;
  if (f->threads) proj_copy(t->proj, "runtime-mini/kernels/tpool.c", "runtime/tpool.c");
  for (int i = 0; i < t->g->nnodes; i++) {
    IrNode *n = &t->g->nodes[i];
    if (n->op->lower_kind != OPL_KERNEL) continue;
    OpCtx c = {t->g, n, d, t->g->opset};
    KList l = {0};
    if (!n->op->lower(&c, &l))
      for (int j = 0; j < l.n; j++) {
        int seen = 0;
        for (int k = 0; k < nsrc; k++) seen |= strcmp(srcs[k], l.calls[j].k->src) == 0;
        if (!seen) srcs[nsrc++] = l.calls[j].k->src;
      }
    kl_free(&l);
  }
  /* Files a kernel file includes in unity builds. */
  static const char *const DEPS[][2] = {
      {"cpu_conv.c", "cpu_gemm.c"}, {"cpu_norm.c", "softmax.c"}, {"cpu_norm.c", "norm.c"}};
  for (size_t k = 0; k < ARRAY_LEN(DEPS); k++) {
    int has = 0, dep = 0;
    for (int i = 0; i < nsrc; i++) {
      has |= strcmp(srcs[i], DEPS[k][0]) == 0;
      dep |= strcmp(srcs[i], DEPS[k][1]) == 0;
    }
    if (has && !dep) srcs[nsrc++] = DEPS[k][1];
  }
  for (int i = 1; i < nsrc; i++) /* sorted: stable output */
    for (int k = i; k > 0 && strcmp(srcs[k - 1], srcs[k]) > 0; k--) {
      const char *tmp = srcs[k];
      srcs[k] = srcs[k - 1];
      srcs[k - 1] = tmp;
    }
  for (int i = 0; i < nsrc; i++) {
    char from[256], to[256];
    snprintf(from, sizeof from, "runtime-mini/kernels/%s", srcs[i]);
    snprintf(to, sizeof to, "runtime/%s", srcs[i]);
    proj_copy(t->proj, from, to);
    cg_line(e, "#include \"runtime/%s\"", srcs[i]);
  }
}

int c_emit_program(TargetCtx *t, const CFlavor *f, Diag *d) {
  Emitter e;
  cg_init(&e);
  cg_line(&e, "/* %s %s: generated by gpuxc from %s for the %s target. Do not edit. */",
          cg_comment_text(t->name), cg_comment_text(t->version),
          cg_comment_text(path_basename(t->g->path)), f->target);
  if (f->detail) cg_line(&e, "/* %s */", f->detail);
  if (f->threads) cg_line(&e, "#define _GNU_SOURCE /* sched_getaffinity */");
  cg_line(&e, "#define RT_UNITY");
  cg_line(&e, "#include <string.h>");
  if (f->threads) cg_line(&e, "#include <stdlib.h>");
  cg_blank(&e);
  cg_line(&e, "#include \"model.h\"");
  cg_line(&e, "#include \"runtime/rt_kernels.h\"");
  cg_line(&e, "#include \"runtime/rt_scalar.h\"");
  if (f->threads) cg_line(&e, "#include \"runtime/tpool.c\"");
  copy_runtime(t, f, &e, d);
  cg_blank(&e);
  cg_line(&e, "extern const unsigned char %s_weights[];", t->prefix);
  cg_line(&e, "#define W(off) (%s_weights + (off))", t->prefix);
  cg_blank(&e);
  c_emit_info(t, f, &e);
  c_emit_api(t, f, &e);
  cg_line(&e, "int %s_run_v(%s_ctx *ctx, const void *const *in, void *const *out) {", t->prefix,
          t->prefix);
  cg_line(&e, "unsigned char *A;");
  cg_line(&e, "if (!ctx || !in || !out) return GPUX_ERR_ARG;");
  cg_line(&e, "if (ctx->ready != 1) return GPUX_ERR_STATE;");
  cg_line(&e, "A = ctx->arena;");
  cg_line(&e, "(void)A;");
  int rc = 0;
  for (int i = 0; i < t->g->nnodes && !rc; i++) rc = emit_node(t, f, &e, i, d);
  emit_output_copies(t, &e);
  cg_line(&e, "return GPUX_OK;");
  cg_line(&e, "}");
  size_t len = e.b.len;
  proj_add(t->proj, "model.c", sb_take(&e.b), len);
  c_emit_header(t, f);
  return rc;
}

static int c_emit(TargetCtx *t, Diag *d) {
  static const CFlavor PORTABLE = {"c", 0, 1, NULL};
  return c_emit_program(t, &PORTABLE, d);
}

static int c_available(char *why, size_t n) {
  snprintf(why, n, "portable C99 (no heap, no threads): any C compiler");
  return 1;
}

const Target TARGET_C = {"c", "portable C99 for any CPU and firmware", c_available, c_scratch,
                         c_emit};
