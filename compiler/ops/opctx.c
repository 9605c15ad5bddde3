/* opctx.c - helpers shared by the op definitions: attributes, constant
 * inputs, axes, broadcasting, diagnostics. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "op.h"

IrValue *op_in(OpCtx *c, int i) { return ir_in(c->g, c->n, i); }
IrValue *op_out(OpCtx *c, int i) { return ir_out(c->g, c->n, i); }
int op_has_in(OpCtx *c, int i) { return op_in(c, i) != NULL; }

int op_err(OpCtx *c, ErrKind kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_verror(c->d, kind, ir_where(c->g, c->n), fmt, ap);
  va_end(ap);
  return -1;
}

static const char *ATTR_TYPE[] = {"undefined", "float",   "int",     "string",  "tensor",
                                  "graph",     "floats",  "ints",    "strings", "tensors",
                                  "graphs",    "sparse tensor", "sparse tensors", "type",
                                  "types"};

static const IrAttr *typed_attr(OpCtx *c, const char *name, AttrType want, int *ok) {
  const IrAttr *a = ir_attr(c->n, name);
  if (!a) return NULL;
  if (a->type != want) {
    op_invalid(c, "attribute '%s' must be of type %s, got %s", name, ATTR_TYPE[want],
               (unsigned)a->type < ARRAY_LEN(ATTR_TYPE) ? ATTR_TYPE[a->type] : "unknown");
    if (ok) *ok = 0;
    return NULL;
  }
  return a;
}

int64_t op_attr_int(OpCtx *c, const char *name, int64_t dflt, int *ok) {
  const IrAttr *a = typed_attr(c, name, AT_INT, ok);
  return a ? a->i : dflt;
}

float op_attr_float(OpCtx *c, const char *name, float dflt, int *ok) {
  const IrAttr *a = typed_attr(c, name, AT_FLOAT, ok);
  return a ? a->f : dflt;
}

const char *op_attr_str(OpCtx *c, const char *name, const char *dflt, int *ok) {
  const IrAttr *a = typed_attr(c, name, AT_STRING, ok);
  return a ? a->s : dflt;
}

int op_attr_ints(OpCtx *c, const char *name, int64_t *out, int max) {
  int ok = 1;
  const IrAttr *a = typed_attr(c, name, AT_INTS, &ok);
  if (!ok) return -2;
  if (!a) return -1;
  if (a->n > max) {
    op_unsupported(c, "attribute '%s' has %d values; at most %d are supported", name, a->n, max);
    return -2;
  }
  for (int i = 0; i < a->n; i++) out[i] = a->ints[i];
  return a->n;
}

int op_attr_floats(OpCtx *c, const char *name, float *out, int max) {
  int ok = 1;
  const IrAttr *a = typed_attr(c, name, AT_FLOATS, &ok);
  if (!ok) return -2;
  if (!a) return -1;
  if (a->n > max) {
    op_unsupported(c, "attribute '%s' has %d values; at most %d are supported", name, a->n, max);
    return -2;
  }
  for (int i = 0; i < a->n; i++) out[i] = a->floats[i];
  return a->n;
}

int op_const_ints(OpCtx *c, int input, int64_t *out, int max) {
  IrValue *v = op_in(c, input);
  if (!v) return -1;
  if (!(v->flags & VF_CONST)) {
    op_unsupported(c, "input %d ('%s') must be a compile-time constant (it decides a shape)",
                   input, v->name);
    return -2;
  }
  if (v->dtype != DT_I64 && v->dtype != DT_I32) {
    op_invalid(c, "input %d ('%s') must be int64 or int32, got %s", input, v->name,
               dtype_name(v->dtype));
    return -2;
  }
  int64_t n = ir_numel(v);
  if (n > max) {
    op_unsupported(c, "input %d ('%s') has %lld values; at most %d are supported", input,
                   v->name, (long long)n, max);
    return -2;
  }
  for (int64_t i = 0; i < n; i++)
    out[i] = v->dtype == DT_I64 ? ((const int64_t *)v->data)[i] : ((const int32_t *)v->data)[i];
  return (int)n;
}

int op_const_float(OpCtx *c, int input, double *out) {
  IrValue *v = op_in(c, input);
  if (!v) return -1;
  if (!(v->flags & VF_CONST) || ir_numel(v) != 1) {
    op_unsupported(c, "input %d ('%s') must be a compile-time constant scalar", input, v->name);
    return -2;
  }
  switch (v->dtype) {
  case DT_F32: *out = *(const float *)v->data; return 1;
  case DT_F64: *out = *(const double *)v->data; return 1;
  case DT_I64: *out = (double)*(const int64_t *)v->data; return 1;
  case DT_I32: *out = *(const int32_t *)v->data; return 1;
  default:
    op_unsupported(c, "input %d ('%s') has type %s; a float scalar was expected", input,
                   v->name, dtype_name(v->dtype));
    return -2;
  }
}

int op_axis(OpCtx *c, int64_t axis, int rank, const char *what) {
  if (axis < -rank || axis >= (rank ? rank : 1)) {
    op_invalid(c, "%s %lld is out of range for rank %d", what, (long long)axis, rank);
    return -1;
  }
  return (int)(axis < 0 ? axis + rank : axis);
}

void op_set_out(OpCtx *c, int i, DType t, int rank, const int64_t *dims) {
  IrValue *v = op_out(c, i);
  if (v) ir_set_shape(v, t, rank, dims);
}

void op_same_as(OpCtx *c, int i, int j) {
  IrValue *s = op_in(c, j);
  op_set_out(c, i, s->dtype, s->rank, s->dims);
}

int op_check_type(OpCtx *c, int i, const DType *allowed) {
  IrValue *v = op_in(c, i);
  if (!v) return 0;
  StrBuf b;
  sb_init(&b);
  for (const DType *t = allowed; *t != DT_UNDEF; t++) {
    if (*t == v->dtype) {
      sb_free(&b);
      return 0;
    }
    sb_printf(&b, "%s%s", t == allowed ? "" : ", ", dtype_name(*t));
  }
  op_unsupported(c, "input %d ('%s') has type %s; supported: %s", i, v->name,
                 dtype_name(v->dtype), b.s);
  sb_free(&b);
  return -1;
}

int op_check_fixed_size(OpCtx *c, int i) {
  IrValue *v = op_in(c, i);
  size_t e = dtype_size(v->dtype);
  if (v->dtype == DT_STRING || (e != 1 && e != 2 && e != 4 && e != 8))
    return op_unsupported(c, "type %s of '%s'", dtype_name(v->dtype), v->name);
  return 0;
}

int op_require_float(OpCtx *c, int i) {
  static const DType F32[] = {DT_F32, DT_UNDEF};
  return op_check_type(c, i, F32);
}

int op_broadcast(OpCtx *c, const int *inputs, int n, int *rank, int64_t *dims) {
  int r = 0;
  for (int k = 0; k < n; k++) {
    IrValue *v = op_in(c, inputs[k]);
    if (v && v->rank > r) r = v->rank;
  }
  for (int i = 0; i < r; i++) dims[i] = 1;
  for (int k = 0; k < n; k++) {
    IrValue *v = op_in(c, inputs[k]);
    if (!v) continue;
    for (int i = 0; i < v->rank; i++) {
      int64_t d = v->dims[i];
      int64_t *o = &dims[r - v->rank + i];
      if (d == *o || d == 1) continue;
      if (*o == 1) {
        *o = d;
        continue;
      }
      char b1[128], b2[128];
      IrValue *first = op_in(c, inputs[0]);
      return op_invalid(c, "shapes %s ('%s') and %s ('%s') do not broadcast",
                        ir_shape_str(first, b1, sizeof b1), first->name,
                        ir_shape_str(v, b2, sizeof b2), v->name);
    }
  }
  *rank = r;
  return 0;
}

void *op_alloc(IrGraph *g, size_t bytes) { return arena_alloc_aligned(&g->arena, bytes, 64); }

int op_dynamic_out(OpCtx *c, int i) {
  IrGraph *g = c->g;
  IrNode *n = c->n;
  int y = n->out[i];
  if (g->vals[y].flags & VF_DYNAMIC) return g->vals[y].shape_val;
  char hint[256];
  snprintf(hint, sizeof hint, "%s_shape", g->vals[y].name);
  int s = ir_new_temp(g, hint);
  int64_t rank = g->vals[y].rank;
  ir_set_shape(&g->vals[s], DT_I64, 1, &rank);
  g->vals[s].flags |= VF_KEEP;
  n->out = xrealloc(n->out, sizeof(int) * (size_t)(n->nout + 1));
  n->out[n->nout++] = s;
  g->vals[y].flags |= VF_DYNAMIC;
  g->vals[y].shape_val = s;
  return s;
}
