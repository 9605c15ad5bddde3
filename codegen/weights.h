/* weights.h - the weight blob: every constant the generated code reads, at
 * a 64-byte aligned offset, written straight from where the compiler holds
 * it (no second copy in memory). */
#ifndef GPUXC_WEIGHTS_H
#define GPUXC_WEIGHTS_H

#include "ir.h"
#include "memplan.h"

typedef struct Weights {
  int64_t *off;   /* per value: offset in the blob, -1 if not in it */
  int *order;     /* values in blob order (each distinct buffer once) */
  int n;
  int64_t bytes;  /* blob size */
} Weights;

/* Gives every constant used by a live node or as a graph output an offset;
 * constants sharing one buffer share an offset. */
void weights_assign(IrGraph *g, const MemPlan *p, Weights *w);
int weights_write(IrGraph *g, const Weights *w, const char *path, Diag *d);
void weights_free(Weights *w);

#endif
