/* ir.h - the graph gpuxc compiles.
 *
 * A graph owns dense arrays of values and nodes addressed by integer ids.
 * Nodes are kept in topological order; passes mark nodes dead and
 * ir_compact() drops them. Names, attributes and small constants live in the
 * graph's arena, freed at once. Large constants (weights) are borrowed from
 * the loaded model and never copied.
 */
#ifndef GPUXC_IR_H
#define GPUXC_IR_H

#include <stdint.h>

#include "diag.h"
#include "dtype.h"
#include "util.h"

#define IR_MAX_RANK 8

typedef struct OpDef OpDef;

/* Value flags. */
enum {
  VF_INPUT = 1 << 0,  /* graph input: data comes from the caller */
  VF_OUTPUT = 1 << 1, /* graph output: data goes to the caller */
  VF_CONST = 1 << 2,  /* data known at compile time */
  VF_MUTABLE = 1 << 3, /* data is a private copy a pass may rewrite in place */
  /* A data-dependent shape (NonZero, Unique, ...): dims are upper bounds and
   * the actual dims are written at run time into value shape_val (int64
   * [rank], VF_KEEP). Only graph outputs may be dynamic. */
  VF_DYNAMIC = 1 << 4,
  VF_KEEP = 1 << 5, /* lives until the end of the run (read after it) */
};

typedef struct IrValue {
  const char *name;
  DType dtype;
  int rank;                       /* -1 until known */
  int64_t dims[IR_MAX_RANK];
  const char *sym[IR_MAX_RANK];   /* symbolic dim names from the model, or NULL */
  unsigned flags;
  int producer;                   /* node id, or -1 */
  const void *data;               /* VF_CONST: numel * dtype_size bytes */
  int nuses;                      /* consumers (ir_count_uses); graph outputs count one */
  int alias;                      /* shares the buffer of this value (views), or -1 */
  int64_t offset;                 /* arena offset after planning, or -1 */
  int shape_val;                  /* VF_DYNAMIC: the value holding the actual dims, else -1 */
  /* Sequences and optionals exist at compile time only: a sequence is the
   * list of its tensors (its length must be known when the graph is built),
   * an optional with an element is that element, an empty one is VK_NONE.
   * Before bind_inputs, a sequence graph input has nelems -1 and its element
   * type in dtype/rank/dims; optional_input marks a graph input that may be
   * left out (--absent). */
  /* DT_STRING: each element is strw bytes of UTF-8, padded with NULs (so a
   * string is at most strw bytes and holds no NUL). */
  int64_t strw;
  int kind;                       /* VK_TENSOR, VK_SEQ, VK_NONE */
  int nelems;                     /* VK_SEQ: element count */
  int *elems;                     /* VK_SEQ: element value ids (graph arena) */
  int optional_input;
} IrValue;

enum { VK_TENSOR = 0, VK_SEQ = 1, VK_NONE = 2 };

typedef enum AttrType {
  AT_UNDEF = 0,
  AT_FLOAT = 1,
  AT_INT = 2,
  AT_STRING = 3,
  AT_TENSOR = 4,
  AT_GRAPH = 5,
  AT_FLOATS = 6,
  AT_INTS = 7,
  AT_STRINGS = 8,
  AT_TENSORS = 9,
  AT_GRAPHS = 10,
  AT_SPARSE_TENSOR = 11,
  AT_SPARSE_TENSORS = 12,
  AT_TYPE_PROTO = 13,
  AT_TYPE_PROTOS = 14,
} AttrType;

/* A constant tensor carried by an attribute (Constant's value, ...). */
typedef struct IrTensor {
  DType dtype;
  int rank;
  int64_t dims[IR_MAX_RANK];
  const void *data;
  int64_t strw; /* DT_STRING: bytes per element (see IrValue.strw) */
} IrTensor;

typedef struct IrBody IrBody;

typedef struct IrAttr {
  const char *name;
  AttrType type;
  int n;                /* element count of list attributes */
  float f;
  int64_t i;
  const char *s;        /* NUL-terminated; strings may hold NULs: slen */
  int64_t slen;
  const float *floats;
  const int64_t *ints;
  const char **strings;
  IrTensor *tensors;    /* AT_TENSOR: one, AT_TENSORS: n */
  IrBody **bodies;      /* AT_GRAPH: one, AT_GRAPHS: n */
  const void *opaque;   /* sparse tensors, type protos: kept as loaded */
} IrAttr;

/* A subgraph (If's branches, Loop's and Scan's bodies) as loaded: nodes refer
 * to values by name. ir_inline_body (inline.c) turns one into nodes of the
 * graph; names it does not define come from the scope it is inlined in. */
typedef struct IrBodyValue {
  const char *name;
  DType dtype;  /* DT_UNDEF if the model does not say */
  int rank;     /* -1 if the model does not say */
  int64_t dims[IR_MAX_RANK];
} IrBodyValue;

typedef struct IrBodyNode {
  const char *op_type, *domain, *name;
  int nin, nout;
  const char **in, **out; /* "" for an absent optional */
  int nattr;
  IrAttr *attrs;
} IrBodyNode;

struct IrBody {
  const char *name;
  int ninputs, noutputs, ninits, nnodes;
  IrBodyValue *inputs;
  const char **outputs;
  const char **init_names;
  IrTensor *inits;
  IrBodyNode *nodes;
  /* Names bound in the scope the body was captured in (a body nested in an
   * inlined body): name -> value id. NULL at load time. */
  StrMap *captures;
};

/* A fused epilogue: activation applied to a node's output (RT_ACT_*). */
typedef struct IrAct {
  int kind;
  float alpha, beta;
} IrAct;

typedef struct IrNode {
  const OpDef *op;      /* NULL if the op is unknown (reported as unsupported) */
  const char *op_type;  /* as in the model */
  const char *domain;   /* "" for the default ONNX domain */
  const char *name;     /* the ONNX node name, or "<op_type>_<index>" */
  int src_index;        /* position in the ONNX graph: diagnostics, tie-breaks */
  int nin, nout;
  int *in;              /* value ids; -1 for an absent optional input */
  int *out;
  int nattr;
  IrAttr *attrs;
  IrAct act;            /* fused activation */
  DType half_type;      /* float16/bfloat16 computed in float32: its outputs convert back */
  int inline_ew;        /* elementwise, evaluated inside its sole consumer's loop (fuse-ew) */
  int dead;
} IrNode;

/* Something the graph borrows from and must release (see ir_on_free). */
typedef struct IrCleanup {
  void (*fn)(void *p, size_t n);
  void *p;
  size_t n;
} IrCleanup;

typedef struct IrGraph {
  Arena arena;
  IrValue *vals;
  int nvals, capvals;
  IrNode *nodes;
  int nnodes, capnodes;
  int *inputs;           /* graph inputs (not initializers), in model order */
  int ninputs, capinputs;
  int *outputs;
  int noutputs, capoutputs;
  int opset;             /* default-domain opset the model imports */
  int64_t ir_version;
  const char *path;      /* model file, for diagnostics */
  const char *producer;  /* producer_name from the model */
  StrMap names;          /* value name -> id */
  IrCleanup *cleanups;   /* run by ir_free, last first: the loaded model, mappings */
  int ncleanups, capcleanups;
} IrGraph;

void ir_init(IrGraph *g, const char *path);
void ir_free(IrGraph *g);
void ir_on_free(IrGraph *g, void (*fn)(void *p, size_t n), void *p, size_t n);

/* Values. Adding a value may move g->vals: IrValue pointers taken before
 * must be fetched again after. */
int ir_add_value(IrGraph *g, const char *name);        /* name is copied; must be new */
int ir_find_value(const IrGraph *g, const char *name); /* -1 if none */
int ir_add_const(IrGraph *g, const char *name_hint, DType t, int rank, const int64_t *dims,
                 const void *data); /* data is borrowed; name made unique */
int ir_new_temp(IrGraph *g, const char *name_hint); /* a fresh uniquely named value */
const char *ir_unique_name(IrGraph *g, const char *hint);

int64_t ir_numel(const IrValue *v);
int64_t ir_bytes(const IrValue *v);
void ir_set_shape(IrValue *v, DType t, int rank, const int64_t *dims);
/* Row-major strides of v, in elements. */
void ir_strides(const IrValue *v, int64_t *strides);
int ir_same_shape(const IrValue *a, const IrValue *b);
/* "[1,3,224,224]" into buf */
const char *ir_shape_str(const IrValue *v, char *buf, size_t n);

/* Nodes. The returned node's in/out arrays have room for nin/nout ids. */
IrNode *ir_add_node(IrGraph *g, const char *op_type, const char *domain, const char *name,
                    int nin, int nout);
/* Inserts a node before position pos (shifting later nodes). */
IrNode *ir_insert_node(IrGraph *g, int pos, const char *op_type, const char *name, int nin,
                       int nout);
IrNode *ir_node(IrGraph *g, int id);
static inline IrValue *ir_val(IrGraph *g, int id) { return &g->vals[id]; }
/* Input i of n as a value, or NULL if absent. */
IrValue *ir_in(IrGraph *g, const IrNode *n, int i);
IrValue *ir_out(IrGraph *g, const IrNode *n, int i);

/* Attributes. */
const IrAttr *ir_attr(const IrNode *n, const char *name);
IrAttr *ir_add_attr(IrGraph *g, IrNode *n, const char *name, AttrType t);

/* Graph maintenance. */
void ir_count_uses(IrGraph *g);               /* fills nuses and producer */
void ir_replace_uses(IrGraph *g, int from, int to); /* in nodes and graph outputs */
void ir_compact(IrGraph *g);                  /* drops dead nodes, keeps order */
int ir_live_nodes(const IrGraph *g);

/* "model.onnx: node 'conv1' (Conv)" for diagnostics; in a static buffer ring. */
const char *ir_where(const IrGraph *g, const IrNode *n);

/* Text form of the graph (--dump-after). */
void ir_dump(const IrGraph *g, FILE *f);

/* Checks the invariants: ids in range, topological order, one producer per
 * value, shapes known after inference (if shapes_known). Reports into d. */
int ir_verify(IrGraph *g, int shapes_known, const char *after, Diag *d);

#endif
