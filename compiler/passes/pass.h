/* pass.h - graph passes. Each returns the number of changes it made (>= 0)
 * or -1 on error, and writes what it did into log (one line). */
#ifndef GPUXC_PASS_H
#define GPUXC_PASS_H

#include "../ir.h"
#include "../options.h"

typedef int (*PassFn)(IrGraph *g, const Options *o, StrBuf *log, Diag *d);

int pass_identity(IrGraph *g, const Options *o, StrBuf *log, Diag *d);
int pass_fold(IrGraph *g, const Options *o, StrBuf *log, Diag *d);
int pass_dce(IrGraph *g, const Options *o, StrBuf *log, Diag *d);
int pass_fuse_gelu(IrGraph *g, const Options *o, StrBuf *log, Diag *d);
int pass_fuse_bn(IrGraph *g, const Options *o, StrBuf *log, Diag *d);
int pass_fuse_bias(IrGraph *g, const Options *o, StrBuf *log, Diag *d);
int pass_fuse_act(IrGraph *g, const Options *o, StrBuf *log, Diag *d);
int pass_fuse_ew(IrGraph *g, const Options *o, StrBuf *log, Diag *d);

/* Runs the optimization passes in order (none with optimize == 0), checking
 * the graph after each; with verbose, prints one line per pass to out. */
int run_passes(IrGraph *g, const Options *o, FILE *out, Diag *d);
/* The passes that run after the target's prepare step (fuse-ew). */
int run_late_passes(IrGraph *g, const Options *o, FILE *out, Diag *d);

/* The single consumer node of value v, or -1 (none, several, or v is a graph
 * output). Needs ir_count_uses. */
int pass_sole_consumer(IrGraph *g, int v);
/* 1 and *v if input i of n is a float32 constant of one element, else 0. */
int pass_const_f32(IrGraph *g, const IrNode *n, int i, float *v);

#endif
