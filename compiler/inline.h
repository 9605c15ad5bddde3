/* inline.h - subgraphs into nodes (inline.c). */
#ifndef GPUXC_INLINE_H
#define GPUXC_INLINE_H

#include "ir.h"

/* Inserts body b's nodes before node pos, with values named "<prefix>/...".
 * The body's formal inputs take in_ids[0..nin) (-1: not given); out_ids gets
 * the values of its outputs. Returns the number of nodes inserted, or -1
 * (reported). Pointers to nodes and values are invalid afterwards. */
int ir_inline_body(IrGraph *g, int pos, const IrBody *b, const char *prefix, const int *in_ids,
                   int nin, int *out_ids, Diag *d);

#endif
