/* c_emit.h - the C code generator shared by the C-family targets: `c`
 * (portable, single-threaded) and `cpu` (host SIMD, a thread pool). They
 * differ only in what a CFlavor says; the node code is the same, and the
 * cpu target's own kernels come in through ops its prepare pass creates. */
#ifndef GPUXC_C_EMIT_H
#define GPUXC_C_EMIT_H

#include "target.h"

typedef struct CFlavor {
  const char *target; /* its name, as the comments and info() say it */
  int threads;        /* the context owns a thread pool (runtime/tpool.c) */
  int default_threads; /* threads <prefix>_init starts (0: one per CPU) */
  const char *detail; /* a line for model.c's head comment, or NULL */
} CFlavor;

int c_emit_program(TargetCtx *t, const CFlavor *f, Diag *d);
int64_t c_scratch(IrGraph *g, IrNode *n, Diag *d);
/* "in shapes -> out shapes" of node n (as the node comments show them). */
void c_node_shapes(const IrGraph *g, StrBuf *b, const IrNode *n);

void c_emit_header(TargetCtx *t, const CFlavor *f);
void c_emit_info(TargetCtx *t, const CFlavor *f, Emitter *e);
void c_emit_api(TargetCtx *t, const CFlavor *f, Emitter *e);

#endif
