/* onnx_body.c - subgraphs (GraphProto attributes) into IrBody: their inputs,
 * outputs, initializers and nodes, by name. Nested subgraphs are converted
 * too; names are resolved when a body is inlined (inline.c). */
#include <string.h>

#include "onnx_internal.h"

static const char *str(Arena *a, const char *s) { return arena_strdup(a, s ? s : ""); }

static void body_value(Arena *a, const Onnx__ValueInfoProto *vi, IrBodyValue *v) {
  v->name = str(a, vi->name);
  v->dtype = DT_UNDEF;
  v->rank = -1;
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) return;
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  if (dtype_is_known(tt->elem_type)) v->dtype = (DType)tt->elem_type;
  if (!tt->shape || tt->shape->n_dim > IR_MAX_RANK) return;
  v->rank = (int)tt->shape->n_dim;
  for (int k = 0; k < v->rank; k++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[k];
    v->dims[k] = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                     ? d->dim_value
                     : -1;
  }
}

static int body_node(Loader *L, const Onnx__NodeProto *np, IrBodyNode *bn, const char *where) {
  Arena *a = &L->g->arena;
  bn->op_type = str(a, np->op_type);
  bn->domain = str(a, np->domain);
  bn->name = str(a, np->name);
  bn->nin = (int)np->n_input;
  bn->nout = (int)np->n_output;
  bn->in = arena_alloc(a, sizeof(char *) * (np->n_input + 1));
  bn->out = arena_alloc(a, sizeof(char *) * (np->n_output + 1));
  for (size_t i = 0; i < np->n_input; i++) bn->in[i] = str(a, np->input[i]);
  for (size_t i = 0; i < np->n_output; i++) bn->out[i] = str(a, np->output[i]);
  bn->nattr = (int)np->n_attribute;
  bn->attrs = arena_alloc(a, sizeof(IrAttr) * (np->n_attribute + 1));
  const char *w = arena_printf(a, "%s: node '%s' (%s)", where, bn->name, bn->op_type);
  for (size_t i = 0; i < np->n_attribute; i++)
    if (onnx_convert_attr(L, w, np->attribute[i], &bn->attrs[i])) return -1;
  return 0;
}

IrBody *onnx_load_body(Loader *L, const Onnx__GraphProto *gp, const char *where) {
  Arena *a = &L->g->arena;
  IrBody *b = arena_alloc(a, sizeof *b);
  b->name = str(a, gp->name);
  b->ninputs = (int)gp->n_input;
  b->inputs = arena_alloc(a, sizeof(IrBodyValue) * (gp->n_input + 1));
  for (size_t i = 0; i < gp->n_input; i++) body_value(a, gp->input[i], &b->inputs[i]);
  b->noutputs = (int)gp->n_output;
  b->outputs = arena_alloc(a, sizeof(char *) * (gp->n_output + 1));
  for (size_t i = 0; i < gp->n_output; i++) b->outputs[i] = str(a, gp->output[i]->name);
  b->ninits = (int)gp->n_initializer;
  b->inits = arena_alloc(a, sizeof(IrTensor) * (gp->n_initializer + 1));
  b->init_names = arena_alloc(a, sizeof(char *) * (gp->n_initializer + 1));
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *t = gp->initializer[i];
    b->init_names[i] = str(a, t->name);
    const char *what = arena_printf(a, "%s: initializer '%s'", where, b->init_names[i]);
    if (onnx_load_tensor(L, t, &b->inits[i], what)) return NULL;
  }
  if (gp->n_sparse_initializer) {
    diag_error(L->d, EK_UNSUPPORTED, where, "sparse initializers are not supported");
    return NULL;
  }
  b->nnodes = (int)gp->n_node;
  b->nodes = arena_alloc(a, sizeof(IrBodyNode) * (gp->n_node + 1));
  for (size_t i = 0; i < gp->n_node; i++) {
    if (!gp->node[i]->op_type || !gp->node[i]->op_type[0]) {
      diag_error(L->d, EK_INVALID, where, "node %zu of the subgraph has no op_type", i);
      return NULL;
    }
    if (body_node(L, gp->node[i], &b->nodes[i], where)) return NULL;
  }
  return b;
}
