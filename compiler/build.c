/* build.c - `gpuxc build`: the whole pipeline, one stage after another. */
#include <string.h>
#include <time.h>

#include "driver.h"
#include "embedded.h"
#include "emit.h"
#include "frontend/onnx.h"
#include "infer.h"
#include "memplan.h"
#include "passes/pass.h"
#include "project.h"
#include "target.h"
#include "weights.h"

static int is_yml(const char *path) {
  size_t n = strlen(path);
  return (n > 4 && strcmp(path + n - 4, ".yml") == 0) ||
         (n > 5 && strcmp(path + n - 5, ".yaml") == 0);
}

int load_project(const Options *o, GpuxConfig *cfg, IrGraph *g, Diag *d) {
  if (is_yml(o->input)) {
    if (cfg_load(o->input, cfg, d)) return -1;
  } else {
    cfg_defaults(cfg, o->input);
  }
  ir_init(g, cfg->model_path);
  return onnx_load(cfg->model_path, g, d);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Progress: one line per stage with its duration (silenced by --quiet). */
static void stage(const Options *o, double *t0, const char *what) {
  double t = now();
  if (!o->quiet) fprintf(stderr, "gpuxc: %-9s %7.3f s\n", what, t - *t0);
  *t0 = t;
}

/* gpux.yml's outputs: each must exist, and match type and shape if given. */
static int check_outputs(IrGraph *g, const GpuxConfig *cfg, Diag *d) {
  int bad = 0;
  for (int i = 0; i < cfg->noutputs; i++) {
    const CfgTensor *t = &cfg->outputs[i];
    char where[512], s[128];
    snprintf(where, sizeof where, "%s:%d:%d", cfg->path, t->pos.line, t->pos.col);
    int id = -1;
    for (int k = 0; k < g->noutputs; k++)
      if (strcmp(g->vals[g->outputs[k]].name, t->name) == 0) id = g->outputs[k];
    if (id < 0) {
      diag_error(d, EK_INVALID, where, "the model has no output '%s'", t->name);
      bad = 1;
      continue;
    }
    IrValue *v = &g->vals[id];
    if (t->dtype != DT_UNDEF && t->dtype != v->dtype) {
      diag_error(d, EK_INVALID, where, "output '%s' is declared %s but the model gives %s",
                 t->name, dtype_name(t->dtype), dtype_name(v->dtype));
      bad = 1;
    }
    int same = !t->has_shape || t->rank == v->rank;
    for (int k = 0; same && t->has_shape && k < t->rank; k++)
      same = t->dims[k] < 0 || t->dims[k] == v->dims[k];
    if (!same) {
      diag_error(d, EK_INVALID, where, "output '%s' is declared with another shape; the model "
                 "gives %s", t->name, ir_shape_str(v, s, sizeof s));
      bad = 1;
    }
  }
  return bad ? -1 : 0;
}

static void copy_runtime_files(Project *p) {
  proj_copy(p, "runtime-mini/include/gpux_rt.h", "gpux_rt.h");
  proj_copy(p, "runtime-mini/include/rt_kernels.h", "runtime/rt_kernels.h");
  proj_copy(p, "runtime-mini/include/rt_scalar.h", "runtime/rt_scalar.h");
  for (const EmbeddedFile *f = EMBEDDED_FILES; f->path; f++) {
    const char *k = "runtime-mini/kernels/", *c = "runtime-mini/cli/";
    size_t n = strlen(f->path);
    char dst[256];
    if (strncmp(f->path, k, strlen(k)) == 0 && strcmp(f->path + n - 2, ".h") == 0)
      snprintf(dst, sizeof dst, "runtime/%s", f->path + strlen(k));
    else if (strncmp(f->path, c, strlen(c)) == 0)
      snprintf(dst, sizeof dst, "runtime/%s", f->path + strlen(c));
    else
      continue;
    proj_copy(p, f->path, dst);
  }
  proj_template(p, "templates/main.c", "main.c");
  proj_template(p, "templates/weights.S", "weights.S");
  proj_template(p, "templates/Makefile", "Makefile");
  proj_template(p, "templates/CMakeLists.txt", "CMakeLists.txt");
}

static void report_sizes(const IrGraph *g, const MemPlan *p, const Weights *w) {
  fprintf(stderr, "  %d nodes; arena %lld bytes (intermediates without reuse: %lld bytes, %.1fx); "
          "weights %lld bytes\n", g->nnodes, (long long)p->arena_bytes, (long long)p->sum_bytes,
          p->arena_bytes ? (double)p->sum_bytes / (double)p->arena_bytes : 1.0,
          (long long)w->bytes);
}

/* Everything after loading: shapes, passes, plan, code, build. */
static int compile(const Options *o, const GpuxConfig *cfg, IrGraph *g, Diag *d) {
  double t0 = now();
  const Target *target = target_find(o->target);
  if (!target) {
    diag_error(d, EK_USAGE, NULL, "unknown target '%s' (see `gpuxc targets`)", o->target);
    return -1;
  }
  InferStats st;
  if (bind_inputs(g, cfg, o, d) || infer_graph(g, &st, d) || check_outputs(g, cfg, d)) return -1;
  if (o->verbose)
    fprintf(stderr, "  infer: %d nodes, %d evaluated at compile time\n", g->nnodes, st.folded);
  stage(o, &t0, "infer");
  if (ir_verify(g, 1, "infer", d) || run_passes(g, o, stderr, d)) return -1;
  stage(o, &t0, "optimize");
  if (target->prepare && (target->prepare(g, o, d) || ir_verify(g, 1, "prepare", d))) return -1;
  if (run_late_passes(g, o, stderr, d)) return -1;
  MemPlan plan;
  Weights w;
  if (memplan(g, target->scratch, &plan, d)) {
    memplan_free(&plan);
    return -1;
  }
  weights_assign(g, &plan, &w);
  if (o->verbose) report_sizes(g, &plan, &w);
  stage(o, &t0, "plan");
  char *prefix = cg_ident(cfg->name);
  Project proj;
  proj_init(&proj, o->out, prefix);
  TargetCtx tc = {g, &plan, &w, cfg, o, &proj, prefix, cfg->name, cfg->version};
  int rc = target->emit(&tc, d);
  if (!rc) {
    copy_runtime_files(&proj);
    char *wpath = path_join(proj.dir, "weights.bin");
    rc = proj_write(&proj, d) || weights_write(g, &w, wpath, d) ? -1 : 0;
    free(wpath);
  }
  stage(o, &t0, "emit");
  if (!rc && !o->emit_only) {
    rc = proj_build(&proj, o->verbose, d);
    stage(o, &t0, "build");
  }
  proj_free(&proj);
  free(prefix);
  weights_free(&w);
  memplan_free(&plan);
  return rc;
}

/* gpux.yml keys that later gpuxc versions act on: say so instead of ignoring
 * them silently. */
static void warn_unimplemented(const GpuxConfig *cfg, Diag *d) {
  const struct {
    const char *key;
    int set;
  } KEYS[] = {
      {"build.precision (only fp32 is generated)",
       cfg->build.precision && strcmp(cfg->build.precision, "fp32") != 0},
      {"build.http", cfg->build.http},
      {"build.quantize", cfg->build.quantize != NULL},
      {"build.prune", cfg->build.prune != NULL},
      {"build.partition", cfg->build.partition != NULL},
  };
  for (size_t i = 0; i < ARRAY_LEN(KEYS); i++)
    if (KEYS[i].set)
      diag_warning(d, cfg->path, "%s is not implemented yet and has no effect", KEYS[i].key);
}

int cmd_build(const Options *o, Diag *d) {
  GpuxConfig cfg;
  IrGraph g;
  memset(&cfg, 0, sizeof cfg);
  memset(&g, 0, sizeof g);
  double t0 = now();
  int rc = load_project(o, &cfg, &g, d);
  if (!rc) {
    stage(o, &t0, "load");
    warn_unimplemented(&cfg, d);
    Options eff = *o;
    if (!eff.target) eff.target = cfg.build.target ? cfg.build.target : "c";
    if (strcmp(eff.target, "auto") == 0) eff.target = "cpu"; /* cuda once it exists */
    if (eff.optimize < 0) eff.optimize = cfg.build.optimize;
    if (!eff.cpu) eff.cpu = cfg.build.cpu ? cfg.build.cpu : "native";
    if (eff.threads < 0) eff.threads = cfg.build.threads;
    eff.profile |= cfg.build.profile;
    rc = compile(&eff, &cfg, &g, d);
  }
  ir_free(&g);
  cfg_free(&cfg);
  return rc;
}
