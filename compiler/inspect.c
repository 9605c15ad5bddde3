/* inspect.c - `gpuxc inspect` and `gpuxc targets`. */
#include <string.h>

#include "driver.h"
#include "emit.h"
#include "infer.h"
#include "ops/op.h"
#include "target.h"

typedef struct OpCount {
  const char *op;
  int n, supported;
} OpCount;

static int count_ops(const IrGraph *g, OpCount *c, int max) {
  int n = 0;
  for (int i = 0; i < g->nnodes; i++) {
    const IrNode *x = &g->nodes[i];
    int k = 0;
    while (k < n && strcmp(c[k].op, x->op_type) != 0) k++;
    if (k == n && n < max) c[n++] = (OpCount){x->op_type, 0, x->op != NULL};
    if (k < n) c[k].n++;
  }
  return n;
}

static int64_t parameters(const IrGraph *g, int64_t *bytes) {
  int64_t n = 0;
  *bytes = 0;
  for (int i = 0; i < g->nvals; i++)
    if (g->vals[i].flags & VF_CONST) {
      n += ir_numel(&g->vals[i]);
      *bytes += ir_bytes(&g->vals[i]);
    }
  return n;
}

/* The targets that compile an op gpuxc knows: every C-family target lowers
 * the whole op table (the cpu target swaps in kernels of its own where it
 * has them), so the list is all of them, separated by sep and quoted as asked. */
static void print_targets(const char *sep, int quoted) {
  const Target *const *t = target_all();
  for (int i = 0; t[i]; i++)
    printf("%s%s%s%s", i ? sep : "", quoted ? "\"" : "", t[i]->name, quoted ? "\"" : "");
}

static void print_tensors(const IrGraph *g, const int *ids, int n, const char *kind, int json) {
  char s[128];
  for (int i = 0; i < n; i++) {
    const IrValue *v = &g->vals[ids[i]];
    if (json) {
      StrBuf b;
      sb_init(&b);
      cg_cstring(&b, v->name);
      printf("%s{\"name\": %s, \"type\": \"%s\", \"shape\": [", i ? ", " : "", b.s,
             dtype_name(v->dtype));
      for (int k = 0; k < v->rank; k++)
        if (v->dims[k] >= 0) printf("%s%lld", k ? ", " : "", (long long)v->dims[k]);
        else printf("%s\"%s\"", k ? ", " : "", v->sym[k] ? v->sym[k] : "?");
      printf("]}");
      sb_free(&b);
    } else {
      printf("  %-7s %-24s %-8s %s\n", kind, v->name, dtype_name(v->dtype),
             ir_shape_str(v, s, sizeof s));
    }
  }
}

int cmd_inspect(const Options *o, Diag *d) {
  GpuxConfig cfg;
  IrGraph g;
  memset(&cfg, 0, sizeof cfg);
  memset(&g, 0, sizeof g);
  int rc = load_project(o, &cfg, &g, d);
  if (!rc) {
    OpCount ops[256];
    int nops = count_ops(&g, ops, 256);
    int64_t bytes, params = parameters(&g, &bytes);
    if (o->json) {
      StrBuf name;
      sb_init(&name);
      cg_cstring(&name, cfg.name);
      printf("{\"name\": %s, \"opset\": %d, \"ir_version\": %lld, \"parameters\": %lld, "
             "\"weight_bytes\": %lld, \"nodes\": %d, \"inputs\": [", name.s, g.opset,
             (long long)g.ir_version, (long long)params, (long long)bytes, g.nnodes);
      print_tensors(&g, g.inputs, g.ninputs, "input", 1);
      printf("], \"outputs\": [");
      print_tensors(&g, g.outputs, g.noutputs, "output", 1);
      printf("], \"ops\": {");
      for (int i = 0; i < nops; i++) {
        printf("%s\"%s\": {\"count\": %d, \"targets\": [", i ? ", " : "", ops[i].op, ops[i].n);
        if (ops[i].supported) print_targets(", ", 1);
        printf("]}");
      }
      printf("}}\n");
      sb_free(&name);
    } else {
      printf("%s: opset %d, %d nodes, %lld parameters (%.1f MB)\n", g.path, g.opset, g.nnodes,
             (long long)params, (double)bytes / 1e6);
      print_tensors(&g, g.inputs, g.ninputs, "input", 0);
      print_tensors(&g, g.outputs, g.noutputs, "output", 0);
      printf("  %-24s %6s  %s\n", "op", "count", "targets");
      for (int i = 0; i < nops; i++) {
        printf("  %-24s %6d  ", ops[i].op, ops[i].n);
        if (ops[i].supported)
          print_targets(" ", 0);
        else
          printf("(unsupported)");
        printf("\n");
      }
    }
  }
  ir_free(&g);
  cfg_free(&cfg);
  return rc;
}

int cmd_targets(const Options *o, Diag *d) {
  const Target *const *t = target_all();
  for (int i = 0; t[i]; i++) {
    char why[256];
    int ok = t[i]->available(why, sizeof why);
    printf("%-6s %-10s %s\n", t[i]->name, ok ? "available" : "missing", why);
  }
  return 0;
}
