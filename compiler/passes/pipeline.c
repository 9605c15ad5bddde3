/* pipeline.c - the pass table and the loop that runs it. */
#include <string.h>

#include "pass.h"

typedef struct Pass {
  const char *name;
  PassFn run;
  int min_level; /* runs when the optimize level is at least this */
} Pass;

static const Pass PASSES[] = {
    {"identity", pass_identity, 1},
    {"fold", pass_fold, 1},
    {"dce", pass_dce, 1},
    {"fuse-gelu", pass_fuse_gelu, 1},
    {"fuse-bn", pass_fuse_bn, 1},
    {"fuse-bias", pass_fuse_bias, 1},
    {"fuse-act", pass_fuse_act, 1},
    {"dce", pass_dce, 1},
};

static const Pass LATE_PASSES[] = {
    {"fuse-ew", pass_fuse_ew, 1},
};

int pass_sole_consumer(IrGraph *g, int v) {
  if (v < 0 || g->vals[v].nuses != 1 || (g->vals[v].flags & VF_OUTPUT)) return -1;
  for (int i = 0; i < g->nnodes; i++) {
    IrNode *n = &g->nodes[i];
    if (n->dead) continue;
    for (int j = 0; j < n->nin; j++)
      if (n->in[j] == v) return i;
  }
  return -1;
}

int pass_const_f32(IrGraph *g, const IrNode *n, int i, float *v) {
  if (i >= n->nin || n->in[i] < 0) return 0;
  IrValue *x = &g->vals[n->in[i]];
  if (!(x->flags & VF_CONST) || x->dtype != DT_F32 || ir_numel(x) != 1) return 0;
  *v = *(const float *)x->data;
  return 1;
}

static int run_table(const Pass *PASSES, size_t npasses, IrGraph *g, const Options *o, FILE *out,
                     Diag *d) {
  StrBuf log;
  sb_init(&log);
  int rc = 0;
  for (size_t i = 0; i < npasses && o->optimize >= PASSES[i].min_level; i++) {
    sb_reset(&log);
    int before = ir_live_nodes(g);
    ir_count_uses(g);
    int changes = PASSES[i].run(g, o, &log, d);
    ir_compact(g);
    if (changes < 0 || ir_verify(g, 1, PASSES[i].name, d)) {
      rc = -1;
      break;
    }
    if (o->verbose)
      fprintf(out, "  pass %-10s %s (%d -> %d nodes)\n", PASSES[i].name,
              changes ? log.s : "no change", before, ir_live_nodes(g));
    if (o->dump_after && strcmp(o->dump_after, PASSES[i].name) == 0) ir_dump(g, out);
  }
  sb_free(&log);
  return rc;
}

int run_passes(IrGraph *g, const Options *o, FILE *out, Diag *d) {
  return run_table(PASSES, ARRAY_LEN(PASSES), g, o, out, d);
}

int run_late_passes(IrGraph *g, const Options *o, FILE *out, Diag *d) {
  return run_table(LATE_PASSES, ARRAY_LEN(LATE_PASSES), g, o, out, d);
}
