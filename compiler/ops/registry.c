/* registry.c - the list of op tables. Adding an op family means adding its
 * table here; lookups go through op_find. */
#include <string.h>

#include "op.h"

extern const OpDef OPS_EW[], OPS_CONV[], OPS_GEMM[], OPS_NORM[], OPS_POOL[], OPS_SOFTMAX[],
    OPS_REDUCE[], OPS_SHAPE[], OPS_DATA[], OPS_INDEX[], OPS_SELECT[], OPS_LAYOUT[],
    OPS_SCATTER[], OPS_NORMALIZE[], OPS_RESIZE[], OPS_LOSS[], OPS_ATTENTION[], OPS_RNN[],
    OPS_QUANT[], OPS_EINSUM[], OPS_SIGNAL[], OPS_CONTROL[], OPS_SSM[], OPS_TRAINING[],
    OPS_ML[], OPS_PREVIEW[], OPS_DYNAMIC[], OPS_TEXT[], OPS_DEFORM[], OPS_RANDOM[], OPS_SEQUENCE[], OPS_STRING[];

static const OpDef *const TABLES[] = {
    OPS_EW,     OPS_CONV,   OPS_GEMM,    OPS_NORM,    OPS_POOL,      OPS_SOFTMAX,
    OPS_REDUCE, OPS_SHAPE,  OPS_DATA,    OPS_INDEX,   OPS_SELECT,    OPS_LAYOUT,
    OPS_SCATTER, OPS_NORMALIZE, OPS_RESIZE, OPS_LOSS, OPS_ATTENTION, OPS_RNN,
    OPS_QUANT,  OPS_EINSUM, OPS_SIGNAL, OPS_CONTROL, OPS_SSM, OPS_TRAINING, OPS_ML,
    OPS_PREVIEW, OPS_DYNAMIC, OPS_TEXT, OPS_DEFORM, OPS_RANDOM, OPS_SEQUENCE, OPS_STRING};

/* "" and "ai.onnx" are the default domain; an OpDef's domain is "" there. */
static const char *canon_domain(const char *d) {
  return !d || strcmp(d, "ai.onnx") == 0 ? "" : d;
}

const OpDef *op_find(const char *domain, const char *name) {
  domain = canon_domain(domain);
  for (size_t t = 0; t < ARRAY_LEN(TABLES); t++)
    for (const OpDef *d = TABLES[t]; d->name; d++)
      if (strcmp(d->name, name) == 0 && strcmp(d->domain, domain) == 0) return d;
  return NULL;
}

const OpDef *const *op_all(void) {
  static const OpDef **all;
  if (all) return (const OpDef *const *)all;
  int n = 0;
  for (size_t t = 0; t < ARRAY_LEN(TABLES); t++)
    for (const OpDef *d = TABLES[t]; d->name; d++) n++;
  all = xcalloc((size_t)n + 1, sizeof *all);
  n = 0;
  for (size_t t = 0; t < ARRAY_LEN(TABLES); t++)
    for (const OpDef *d = TABLES[t]; d->name; d++) all[n++] = d;
  return (const OpDef *const *)all;
}
