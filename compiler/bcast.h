/* bcast.h - NumPy broadcasting of elementwise operands, reduced to the
 * fewest loops: size-1 dims dropped and dims that are contiguous in every
 * operand merged. Used by the reference executor and by the targets. */
#ifndef GPUXC_BCAST_H
#define GPUXC_BCAST_H

#include "ir.h"

#define BCAST_MAX_OPS 8

typedef struct BcastPlan {
  int rank;
  int64_t dims[IR_MAX_RANK];
  int nops;
  int64_t strides[BCAST_MAX_OPS][IR_MAX_RANK]; /* in elements; 0 = broadcast */
  int64_t out_strides[IR_MAX_RANK];            /* the output is contiguous */
} BcastPlan;

void bcast_plan(BcastPlan *p, const IrValue *out, const IrValue *const *ops, int nops);

#endif
