/* onnx.c - reads an ONNX model file into the IR: checks the model, its opset,
 * initializers, inputs, nodes (sorted topologically) and outputs. */
#include "onnx.h"

#include <string.h>
#include <sys/mman.h>

#include "onnx_internal.h"

#define ONNX_MAX_OPSET 28 /* newest default-domain opset whose ops gpuxc knows */

static void free_model(void *p, size_t n) {
  (void)n;
  onnx__model_proto__free_unpacked(p, NULL);
}

/* protobuf-c copies each raw_data out of the mapped file. So that the file's
 * pages and the copies are not resident at once, every large allocation first
 * drops the mapping's pages from this process; the mapping is file-backed, so
 * pages read again come back from the page cache. Peak memory stays near one
 * copy of the weights instead of two. */
typedef struct MapAlloc {
  void *base;
  size_t len;
} MapAlloc;

static void *map_alloc(void *data, size_t size) {
  MapAlloc *m = data;
  if (size >= (1u << 20)) madvise(m->base, m->len, MADV_DONTNEED);
  return malloc(size);
}

static void map_free(void *data, void *p) {
  (void)data;
  free(p);
}

static int load_initializers(Loader *L, const Onnx__GraphProto *gp) {
  int bad = 0;
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *t = gp->initializer[i];
    if (!t->name || !t->name[0]) {
      diag_error(L->d, EK_INVALID, L->path, "initializer %zu has no name", i);
      bad = 1;
      continue;
    }
    if (ir_find_value(L->g, t->name) >= 0) {
      diag_error(L->d, EK_INVALID, L->path, "initializer '%s' is defined twice", t->name);
      bad = 1;
      continue;
    }
    IrTensor tt;
    const char *what = arena_printf(&L->g->arena, "initializer '%s'", t->name);
    if (onnx_load_tensor(L, t, &tt, what)) {
      bad = 1;
      continue;
    }
    IrValue *v = ir_val(L->g, ir_add_value(L->g, t->name));
    ir_set_shape(v, tt.dtype, tt.rank, tt.dims);
    v->data = tt.data;
    v->strw = tt.strw;
    v->flags |= VF_CONST;
    if (!(t->has_data_location &&
          t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
      v->flags |= VF_MUTABLE; /* unpacked copies; external data is a read-only map */
  }
  if (gp->n_sparse_initializer) {
    diag_error(L->d, EK_UNSUPPORTED, L->path, "sparse initializers are not supported");
    bad = 1;
  }
  return bad ? -1 : 0;
}

/* A tensor type into v's dtype and shape; 0 or -1 (reported). */
static int tensor_type(Loader *L, const Onnx__TypeProto__Tensor *tt, IrValue *v) {
  v->dtype = dtype_is_known(tt->elem_type) ? (DType)tt->elem_type : DT_UNDEF;
  if (v->dtype == DT_UNDEF) {
    diag_error(L->d, EK_UNSUPPORTED, L->path, "input '%s' has element type %d, not supported",
               v->name, tt->elem_type);
    return -1;
  }
  if (!tt->shape) return 0;
  if (tt->shape->n_dim > IR_MAX_RANK) {
    diag_error(L->d, EK_UNSUPPORTED, L->path, "input '%s' has rank %zu (max %d)", v->name,
               tt->shape->n_dim, IR_MAX_RANK);
    return -1;
  }
  v->rank = (int)tt->shape->n_dim;
  for (int k = 0; k < v->rank; k++) {
    const Onnx__TensorShapeProto__Dimension *dm = tt->shape->dim[k];
    v->dims[k] = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                     ? dm->dim_value
                     : -1;
    if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
      v->sym[k] = arena_strdup(&L->g->arena, dm->dim_param);
  }
  return 0;
}

/* A graph input's type: a tensor, a sequence of tensors (bound to a length
 * by bind_inputs), or an optional of either. 0 or -1 (reported). */
static int input_type(Loader *L, const Onnx__TypeProto *tp, IrValue *v) {
  if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE && tp->optional_type) {
    v->optional_input = 1;
    tp = tp->optional_type->elem_type;
  }
  if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE && tp->sequence_type) {
    v->kind = VK_SEQ;
    v->nelems = -1;
    tp = tp->sequence_type->elem_type;
  }
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
    diag_error(L->d, EK_UNSUPPORTED, L->path,
               "input '%s' is not a tensor, a sequence of tensors or an optional of those", v->name);
    return -1;
  }
  return tensor_type(L, tp->tensor_type, v);
}

static int load_inputs(Loader *L, const Onnx__GraphProto *gp) {
  int bad = 0;
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    if (!vi->name || !vi->name[0]) {
      diag_error(L->d, EK_INVALID, L->path, "graph input %zu has no name", i);
      bad = 1;
      continue;
    }
    if (ir_find_value(L->g, vi->name) >= 0) continue; /* an initializer: a constant */
    int id = ir_add_value(L->g, vi->name);
    IrValue *v = ir_val(L->g, id);
    v->flags |= VF_INPUT;
    if (input_type(L, vi->type, v)) {
      bad = 1;
      continue;
    }
    GROW(L->g->inputs, L->g->capinputs, L->g->ninputs + 1);
    L->g->inputs[L->g->ninputs++] = id;
  }
  return bad ? -1 : 0;
}

static int add_node(Loader *L, const Onnx__NodeProto *np, int index) {
  IrGraph *g = L->g;
  const char *name = np->name && np->name[0] ? np->name
                                             : arena_printf(&g->arena, "%s_%d", np->op_type, index);
  IrNode *n = ir_add_node(g, np->op_type, np->domain, name, (int)np->n_input, (int)np->n_output);
  n->src_index = index;
  int bad = 0;
  for (size_t i = 0; i < np->n_input; i++)
    n->in[i] = np->input[i][0] ? ir_find_value(g, np->input[i]) : -1;
  for (size_t i = 0; i < np->n_output; i++) {
    if (!np->output[i][0]) continue;
    if (ir_find_value(g, np->output[i]) >= 0) {
      diag_error(L->d, EK_INVALID, ir_where(g, n), "output '%s' is already defined elsewhere",
                 np->output[i]);
      bad = 1;
      continue;
    }
    n->out[i] = ir_add_value(g, np->output[i]);
    ir_val(g, n->out[i])->producer = g->nnodes - 1;
  }
  for (size_t i = 0; i < np->n_attribute; i++)
    bad |= onnx_load_attr(L, &g->nodes[g->nnodes - 1], np->attribute[i]) != 0;
  return bad ? -1 : 0;
}

static int node_ready(const IrGraph *g, const Onnx__NodeProto *np) {
  for (size_t i = 0; i < np->n_input; i++)
    if (np->input[i][0] && ir_find_value(g, np->input[i]) < 0) return 0;
  return 1;
}

/* Adds nodes in topological order (the file's order when it is one). */
static int load_nodes(Loader *L, const Onnx__GraphProto *gp) {
  size_t n = gp->n_node, done = 0;
  char *added = xcalloc(n ? n : 1, 1);
  int bad = 0;
  for (int progress = 1; progress && done < n;) {
    progress = 0;
    for (size_t i = 0; i < n; i++) {
      const Onnx__NodeProto *np = gp->node[i];
      if (added[i] || !node_ready(L->g, np)) continue;
      if (!np->op_type || !np->op_type[0]) {
        diag_error(L->d, EK_INVALID, L->path, "node %zu has no op_type", i);
        bad = 1;
      } else {
        bad |= add_node(L, np, (int)i) != 0;
      }
      added[i] = 1;
      done++;
      progress = 1;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (added[i]) continue;
    const Onnx__NodeProto *np = gp->node[i];
    for (size_t k = 0; k < np->n_input; k++)
      if (np->input[k][0] && ir_find_value(L->g, np->input[k]) < 0)
        diag_error(L->d, EK_INVALID, L->path,
                   "node '%s' (%s): input '%s' is not produced by any node, input or "
                   "initializer (or the graph has a cycle)",
                   np->name ? np->name : "", np->op_type ? np->op_type : "?", np->input[k]);
    bad = 1;
  }
  free(added);
  return bad ? -1 : 0;
}

static int load_outputs(Loader *L, const Onnx__GraphProto *gp) {
  int bad = 0;
  if (gp->n_output == 0) {
    diag_error(L->d, EK_INVALID, L->path, "the graph has no outputs");
    return -1;
  }
  for (size_t i = 0; i < gp->n_output; i++) {
    const char *name = gp->output[i]->name;
    int id = name ? ir_find_value(L->g, name) : -1;
    if (id < 0) {
      diag_error(L->d, EK_INVALID, L->path, "graph output '%s' is not produced by the graph",
                 name ? name : "");
      bad = 1;
      continue;
    }
    ir_val(L->g, id)->flags |= VF_OUTPUT;
    GROW(L->g->outputs, L->g->capoutputs, L->g->noutputs + 1);
    L->g->outputs[L->g->noutputs++] = id;
  }
  return bad ? -1 : 0;
}

static int check_model(Loader *L, const Onnx__ModelProto *m) {
  if (!m->graph || (!m->has_ir_version && m->n_opset_import == 0)) {
    diag_error(L->d, EK_INVALID, L->path, "not an ONNX model: it has no graph or no ir_version");
    return -1;
  }
  L->g->ir_version = m->ir_version;
  L->g->producer = arena_strdup(&L->g->arena, m->producer_name ? m->producer_name : "");
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const char *dom = m->opset_import[i]->domain ? m->opset_import[i]->domain : "";
    if (!dom[0] || strcmp(dom, "ai.onnx") == 0) L->g->opset = (int)m->opset_import[i]->version;
  }
  if (m->n_opset_import == 0 && m->ir_version < 3) L->g->opset = 1; /* IR v1/v2: opset 1 */
  /* A model that imports only other domains (ai.onnx.ml, ...) has no
   * default-domain nodes to version; the newest opset stands for it. */
  if (m->n_opset_import > 0 && L->g->opset == 0) L->g->opset = ONNX_MAX_OPSET;
  if (L->g->opset > ONNX_MAX_OPSET) {
    diag_error(L->d, EK_UNSUPPORTED, L->path,
               "the model imports opset %d; gpuxc knows the default domain up to opset %d",
               L->g->opset, ONNX_MAX_OPSET);
    return -1;
  }
  if (m->n_functions) {
    for (size_t i = 0; i < m->graph->n_node; i++)
      for (size_t f = 0; f < m->n_functions; f++)
        if (m->graph->node[i]->op_type && m->functions[f]->name &&
            strcmp(m->graph->node[i]->op_type, m->functions[f]->name) == 0) {
          diag_error(L->d, EK_UNSUPPORTED, L->path,
                     "node '%s' calls the model-local function '%s'; functions are not "
                     "inlined yet", m->graph->node[i]->name, m->functions[f]->name);
          return -1;
        }
  }
  return 0;
}

int onnx_load(const char *path, IrGraph *g, Diag *d) {
  const unsigned char *data;
  size_t len;
  int err = onnx_map_file(path, &data, &len);
  if (err) {
    diag_error(d, EK_INVALID, NULL, "cannot read '%s': %s", path, strerror(err));
    return -1;
  }
  if (len == 0) {
    diag_error(d, EK_INVALID, path, "the file is empty; it is not an ONNX model");
    return -1;
  }
  MapAlloc ma = {(void *)data, len};
  ProtobufCAllocator alloc = {map_alloc, map_free, &ma};
  Onnx__ModelProto *m = onnx__model_proto__unpack(&alloc, len, data);
  onnx_unmap((void *)data, len);
  if (!m) {
    diag_error(d, EK_INVALID, path,
               "not a valid ONNX model: the protobuf data is truncated or corrupt");
    return -1;
  }
  ir_on_free(g, free_model, m, 0);
  Loader L = {.g = g, .d = d, .path = g->path};
  L.dir = path_dirname(path);
  smap_init(&L.mapped);
  int bad = check_model(&L, m);
  if (!bad) {
    bad |= load_initializers(&L, m->graph);
    bad |= load_inputs(&L, m->graph);
    if (!bad) bad |= load_nodes(&L, m->graph);
    if (!bad) bad |= load_outputs(&L, m->graph);
  }
  free(L.dir);
  free(L.maps);
  smap_free(&L.mapped);
  return bad ? -1 : 0;
}
