/* rt_prof.h - per-node timing for the generated executable's --profile: a
 * recorder that the model calls before and after each node (its
 * gpux_profile_fn), a Chrome trace writer (chrome://tracing, Perfetto) and a
 * summary by op and by node.
 *
 *   rt_prof p;
 *   rt_prof_init(&p, info);
 *   model->set_profiler(ctx, rt_prof_hook, &p);
 *   rt_prof_run(&p, 0); model->run(...); rt_prof_run(&p, 1);   per run
 *   rt_prof_write_trace(&p, "trace.json", err, sizeof err);
 *   rt_prof_summary(&p, stderr);
 *   rt_prof_free(&p);
 *
 * Nodes outside a run (between rt_prof_run(p, 1) and the next
 * rt_prof_run(p, 0): warm-up runs) are not recorded. */
#ifndef RT_PROF_H
#define RT_PROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gpux_rt.h"

typedef struct rt_prof_span {
  int node; /* -1: a whole run */
  int64_t t0, t1; /* CLOCK_MONOTONIC ns; t1 < 0 while open */
} rt_prof_span;

typedef struct rt_prof {
  const gpux_model_info *info;
  rt_prof_span *s;
  size_t n, cap;
  int recording;
  int runs;
  int lost; /* spans dropped for want of memory, or unbalanced hooks */
} rt_prof;

void rt_prof_init(rt_prof *p, const gpux_model_info *info);
void rt_prof_free(rt_prof *p);
/* The model's profiler hook (user: the rt_prof). */
void rt_prof_hook(void *user, int node, int end);
/* Marks the start (end 0) or the end (end 1) of a recorded run. */
void rt_prof_run(rt_prof *p, int end);
/* Writes the recorded runs as Chrome trace JSON; 0, or -1 with err set. */
int rt_prof_write_trace(const rt_prof *p, const char *path, char *err, size_t errcap);
/* Time per op type and the slowest nodes, per run, as text. */
void rt_prof_summary(const rt_prof *p, FILE *f);

#endif
