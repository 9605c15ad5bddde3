/* op.h - the op table: what every ONNX op gpuxc knows is, in one place.
 *
 * An OpDef says how many inputs and outputs an op takes, checks its
 * attributes and infers output types and shapes, and says how it lowers:
 *   OPL_KERNEL  calls runtime-mini kernels (lower() fills kernel calls)
 *   OPL_EW      an elementwise expression with NumPy broadcasting (ew)
 *   OPL_VIEW    output 0 is input 0's bytes under another shape
 *   OPL_FOLD    only ever evaluated at compile time: infer() sets the data
 * Ops never switch on the target: targets read this table.
 */
#ifndef GPUXC_OP_H
#define GPUXC_OP_H

#include "../ir.h"
#include "../kcall.h"

typedef struct OpCtx {
  IrGraph *g;
  IrNode *n;
  Diag *d;
  int opset;
} OpCtx;

typedef enum OpLower { OPL_KERNEL, OPL_EW, OPL_VIEW, OPL_FOLD } OpLower;

/* Which element types an elementwise op accepts. */
typedef enum EwTypes {
  EWT_FLOAT,  /* f32 f64 */
  EWT_SIGNED, /* floats and signed integers */
  EWT_NUM,    /* floats and all integers */
  EWT_ALL,    /* numbers and bool */
  EWT_BOOL,   /* bool only */
} EwTypes;

/* One element: x[i] are the operands, y the result, p the float params. */
typedef void (*EwThunk)(const void *const *x, void *y, const float *p);

typedef struct EwDef {
  const char *fn;             /* scalar function stem: "add" -> rt_add_f32 */
  EwTypes types;
  DType out;                  /* result type; DT_UNDEF: the operands' type */
  int nparams;                /* float attributes after the operands */
  const char *param[2];       /* their attribute names */
  float dflt[2];              /* and defaults */
  EwThunk thunk[DT_COUNT_];   /* by operand type (the last operand's for Where) */
} EwDef;

enum {
  OPF_NO_FOLD = 1 << 0,  /* never evaluate at compile time (random ops) */
  OPF_ANY_TYPE = 1 << 1, /* moves elements without arithmetic: float16 and bfloat16
                            need no conversion to float32 around it */
  OPF_OPT_OUT0 = 1 << 2, /* output 0 may be absent (RNN's Y) */
  OPF_NARROW_IO = 1 << 3, /* reads/writes the one-byte narrow types (float8, int4, ...) */
};

/* The internal op that converts between float32/float64 and the 16-bit
 * floats (ops/half.c); attribute "to" is the ONNX type number. */
extern const OpDef OP_CONVERT;
/* Equal of two string tensors (ops/strings.c); Equal hands strings to it. */
extern const OpDef OP_STRING_EQUAL;
/* Where between two If branches of equal shapes (ops/control.c). */
extern const OpDef OP_SELECT;
/* The cpu target's kernels with pre-packed weights (ops/cpu.c), made by its
 * prepare step from Conv, MatMul and Gemm nodes. */
extern const OpDef OP_CPU_CONV, OP_CPU_GEMM, OP_CPU_DWCONV, OP_CPU_POOL, OP_CPU_GAP;
extern const OpDef OP_CPU_SOFTMAX, OP_CPU_LAYERNORM;

/* The RtConv fields (no operands) of Conv node c whose weights have the
 * shape of w (conv.c). */
int conv_fields(OpCtx *c, const IrValue *w, KCall *k);

struct OpDef {
  const char *name;
  const char *domain; /* "" = default ONNX domain */
  int since;          /* oldest opset version handled */
  int min_in, max_in, min_out, max_out;
  OpLower lower_kind;
  unsigned flags;
  int (*infer)(OpCtx *c);                /* attributes + output types and shapes */
  int (*lower)(OpCtx *c, KList *calls);  /* OPL_KERNEL */
  const EwDef *ew;                       /* OPL_EW */
  /* Rewrites the graph before inference reaches the node at position pos
   * (control flow: ops/control.c). 1 if it changed the graph (inference
   * resumes at pos), 0 if not, -1 on error (reported). */
  int (*expand)(OpCtx *c, int pos);
};

/* The registry (ops/registry.c). NULL if the op is unknown. */
const OpDef *op_find(const char *domain, const char *name);
/* All known ops, for `gpuxc inspect` and the docs; NULL-terminated. */
const OpDef *const *op_all(void);

/* ---- helpers for op definitions (ops/opctx.c) ---- */

IrValue *op_in(OpCtx *c, int i);  /* NULL if absent */
IrValue *op_out(OpCtx *c, int i); /* NULL if absent */
int op_has_in(OpCtx *c, int i);

/* Reports an error at the node; returns -1 so callers can `return op_err(...)`. */
int op_err(OpCtx *c, ErrKind kind, const char *fmt, ...) PRINTF_LIKE(3, 4);
#define op_invalid(c, ...) op_err((c), EK_INVALID, __VA_ARGS__)
#define op_unsupported(c, ...) op_err((c), EK_UNSUPPORTED, __VA_ARGS__)

/* Attributes with defaults; a present attribute of the wrong type is an error
 * (*ok set to 0, reported). */
int64_t op_attr_int(OpCtx *c, const char *name, int64_t dflt, int *ok);
float op_attr_float(OpCtx *c, const char *name, float dflt, int *ok);
const char *op_attr_str(OpCtx *c, const char *name, const char *dflt, int *ok);
/* Copies an INTS attribute into out (at most max); returns the count, -1 if
 * absent, -2 on error (reported). */
int op_attr_ints(OpCtx *c, const char *name, int64_t *out, int max);
int op_attr_floats(OpCtx *c, const char *name, float *out, int max);

/* Reads a constant integer tensor input (int64 or int32) into out (at most
 * max elements). Returns the count, -1 if the input is absent, -2 (reported)
 * if it is not a compile-time constant or too long. */
int op_const_ints(OpCtx *c, int input, int64_t *out, int max);
/* A constant scalar float input (any float type, or int); -2 if not const. */
int op_const_float(OpCtx *c, int input, double *out);

/* Normalizes an axis in [-rank, rank) to [0, rank); -1 (reported) if out of range. */
int op_axis(OpCtx *c, int64_t axis, int rank, const char *what);

/* Makes output i (its shape already set, as an upper bound) data-dependent:
 * the node gets one more output, an int64 [rank] value the kernel writes the
 * actual dims to. Returns that value's id. */
int op_dynamic_out(OpCtx *c, int i);

/* Graph rewriting for the ops that expand (control.c, sequence.c). */
/* A node of a default-domain op inserted at pos. */
IrNode *op_new_node(IrGraph *g, int pos, const char *op, const char *name, int nin, int nout);
/* out = Identity(in) at pos, so that out keeps its name. */
void op_add_identity(IrGraph *g, int pos, int in, int out);
/* out = Concat(Unsqueeze(ins[i], axis)...) at pos; returns the nodes added. */
int op_stack(IrGraph *g, int pos, const int *ins, int n, int64_t axis, int out);

/* Sets output i's type and shape. */
void op_set_out(OpCtx *c, int i, DType t, int rank, const int64_t *dims);
/* Output i gets input j's type and shape. */
void op_same_as(OpCtx *c, int i, int j);

/* Requires input i to have one of the types in the NUL-terminated list
 * (DT_UNDEF ends it). Returns 0 or -1 (reported). */
int op_check_type(OpCtx *c, int i, const DType *allowed);
int op_require_float(OpCtx *c, int i); /* f32 only for now in kernels */
/* Input i has elements of 1, 2, 4 or 8 bytes (what the copy kernels move). */
int op_check_fixed_size(OpCtx *c, int i);

/* NumPy broadcasting of input shapes into out; -1 (reported) if they do not
 * broadcast. */
int op_broadcast(OpCtx *c, const int *inputs, int n, int *rank, int64_t *dims);

/* A constant buffer owned by the graph (64-byte aligned, zeroed). */
void *op_alloc(IrGraph *g, size_t bytes);

#endif
