/* bcast.c - see bcast.h. */
#include "bcast.h"

#include <string.h>

void bcast_plan(BcastPlan *p, const IrValue *out, const IrValue *const *ops, int nops) {
  ENSURE(nops <= BCAST_MAX_OPS);
  memset(p, 0, sizeof *p);
  p->nops = nops;
  /* Strides of every operand against the output's dims (right-aligned). */
  int64_t st[BCAST_MAX_OPS][IR_MAX_RANK];
  for (int k = 0; k < nops; k++) {
    const IrValue *v = ops[k];
    int64_t acc = 1;
    for (int i = out->rank - 1; i >= 0; i--) {
      int j = i - (out->rank - v->rank);
      int64_t d = j >= 0 ? v->dims[j] : 1;
      st[k][i] = d == 1 ? 0 : acc;
      acc *= d;
    }
  }
  int r = 0;
  for (int i = 0; i < out->rank; i++) {
    int64_t d = out->dims[i];
    if (d == 1) continue;
    int merge = r > 0;
    for (int k = 0; merge && k < nops; k++)
      merge = p->strides[k][r - 1] == st[k][i] * d;
    if (merge) {
      p->dims[r - 1] *= d;
      for (int k = 0; k < nops; k++) p->strides[k][r - 1] = st[k][i];
      continue;
    }
    p->dims[r] = d;
    for (int k = 0; k < nops; k++) p->strides[k][r] = st[k][i];
    r++;
  }
  p->rank = r;
  int64_t acc = 1;
  for (int i = r - 1; i >= 0; i--) {
    p->out_strides[i] = acc;
    acc *= p->dims[i];
  }
}
