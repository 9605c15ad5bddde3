/* exec.h - gpuxc's reference executor: runs one node on constant inputs with
 * runtime-mini's kernels (the same code the generated program runs), for
 * constant folding. */
#ifndef GPUXC_EXEC_H
#define GPUXC_EXEC_H

#include "ir.h"

/* True if every present input of n is a constant. */
int exec_can_fold(IrGraph *g, const IrNode *n);

/* Computes n's outputs into buffers owned by the graph and marks them
 * VF_CONST. The node is left for the caller to mark dead. 0 or -1 (reported). */
int exec_node(IrGraph *g, IrNode *n, Diag *d);

#endif
