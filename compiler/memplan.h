/* memplan.h - the static memory plan: where every tensor lives at run time.
 *
 * Constants live in the weight blob, graph inputs and outputs in the
 * caller's buffers, views share their input's storage, and every other
 * tensor (and each node's scratch) gets an offset in one arena. Offsets are
 * reused between tensors whose lifetimes do not overlap (greedy by size). */
#ifndef GPUXC_MEMPLAN_H
#define GPUXC_MEMPLAN_H

#include "ir.h"

/* ST_INLINE: the result of an inline_ew node, which never reaches memory. */
typedef enum Storage { ST_NONE, ST_CONST, ST_INPUT, ST_OUTPUT, ST_ARENA, ST_INLINE } Storage;

#define PLAN_ALIGN 64

/* One arena buffer: a tensor (value >= 0) or a node's scratch (value -1). */
typedef struct PlanBuf {
  int value, node;
  int64_t size, offset;
  int start, end; /* first and last node (schedule index) that touch it */
} PlanBuf;

typedef struct MemPlan {
  Storage *storage;      /* per value */
  int *root;             /* per value: the value whose buffer it uses (views) */
  int *io_index;         /* ST_INPUT / ST_OUTPUT: index among graph inputs/outputs */
  int64_t *offset;       /* ST_ARENA: offset in the arena */
  int64_t *scratch_off;  /* per node, -1 if none */
  int64_t *scratch_bytes;
  PlanBuf *bufs;
  int nbufs;
  int64_t arena_bytes;   /* the planned arena */
  int64_t sum_bytes;     /* all intermediates and scratch, without reuse */
} MemPlan;

/* scratch(g, n) gives the scratch bytes the target needs for node n. */
typedef int64_t (*ScratchFn)(IrGraph *g, IrNode *n, Diag *d);

int memplan(IrGraph *g, ScratchFn scratch, MemPlan *p, Diag *d);
void memplan_free(MemPlan *p);

/* True if node n's view output can share its input's storage (no copy). */
int memplan_view_is_alias(const MemPlan *p, const IrNode *n);

#endif
