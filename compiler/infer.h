/* infer.h - binding input shapes and inferring every value's type and shape.
 *
 * Inference walks the nodes in order. Nodes whose inputs are all constant
 * and whose outputs are small (shape arithmetic) are evaluated on the spot,
 * so that Reshape, Expand, Slice ... see constant shapes; compile-time-only
 * ops (Shape, Constant, ...) always are. */
#ifndef GPUXC_INFER_H
#define GPUXC_INFER_H

#include "config.h"
#include "ir.h"
#include "options.h"

/* Gives every graph input a static shape from gpux.yml and --input-shape;
 * an unbound dynamic dim is an error naming the input. */
int bind_inputs(IrGraph *g, const GpuxConfig *cfg, const Options *o, Diag *d);

typedef struct InferStats {
  int folded;       /* nodes evaluated at compile time */
  int unsupported;  /* nodes of ops gpuxc does not know (each reported) */
} InferStats;

/* Rewrites variadic ops (Max, Min, Sum, Mean) into two-input chains. */
int legalize_graph(IrGraph *g, Diag *d);

int infer_graph(IrGraph *g, InferStats *st, Diag *d);

/* Re-infers one node (after a pass changed it). */
int infer_node(IrGraph *g, IrNode *n, Diag *d);

#endif
