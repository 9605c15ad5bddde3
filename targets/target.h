/* target.h - how the graph becomes code. A target reads the op table and
 * the memory plan and writes model.c / model.h (and whatever else it needs)
 * into the project; the shared parts (weights, driver, build files) are
 * written by codegen. */
#ifndef GPUXC_TARGET_H
#define GPUXC_TARGET_H

#include "config.h"
#include "ir.h"
#include "memplan.h"
#include "options.h"
#include "project.h"
#include "weights.h"

typedef struct TargetCtx {
  IrGraph *g;
  const MemPlan *plan;
  const Weights *w;
  const GpuxConfig *cfg;
  const Options *o;
  Project *proj;
  const char *prefix;  /* C symbol prefix */
  const char *name;    /* model name */
  const char *version; /* model version */
} TargetCtx;

typedef struct Target {
  const char *name;
  const char *summary;
  /* 1 if usable on this machine; else 0 and why. */
  int (*available)(char *why, size_t n);
  ScratchFn scratch;
  int (*emit)(TargetCtx *t, Diag *d);
  /* Rewrites the optimized graph for this target before memory planning
   * (its own kernels, weights packed for them); NULL if nothing to do. */
  int (*prepare)(IrGraph *g, const Options *o, Diag *d);
} Target;

const Target *target_find(const char *name);
const Target *const *target_all(void); /* NULL-terminated */

#endif
