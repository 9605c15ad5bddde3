/* test_ir.c - the IR, shape inference, the passes and the memory planner,
 * on graphs built in code. */
#include <string.h>

#include "exec.h"
#include "infer.h"
#include "memplan.h"
#include "ops/op.h"
#include "passes/pass.h"
#include "test.h"

static int input(IrGraph *g, const char *name, DType t, int rank, const int64_t *dims) {
  int id = ir_add_value(g, name);
  ir_set_shape(ir_val(g, id), t, rank, dims);
  g->vals[id].flags |= VF_INPUT;
  GROW(g->inputs, g->capinputs, g->ninputs + 1);
  g->inputs[g->ninputs++] = id;
  return id;
}

static void output(IrGraph *g, int id) {
  g->vals[id].flags |= VF_OUTPUT;
  GROW(g->outputs, g->capoutputs, g->noutputs + 1);
  g->outputs[g->noutputs++] = id;
}

static int node1(IrGraph *g, const char *op, int a, int b, const char *out) {
  IrNode *n = ir_add_node(g, op, "", out, b >= 0 ? 2 : 1, 1);
  n->in[0] = a;
  if (b >= 0) n->in[1] = b;
  n->out[0] = ir_add_value(g, out);
  return n->out[0];
}

static int const_i64(IrGraph *g, const char *name, int n, const int64_t *v) {
  int64_t dims[1] = {n};
  int64_t *d = arena_alloc(&g->arena, 8 * (size_t)(n ? n : 1));
  memcpy(d, v, 8 * (size_t)n);
  return ir_add_const(g, name, DT_I64, 1, dims, d);
}

TEST(broadcast_shapes) {
  IrGraph g;
  Diag d;
  ir_init(&g, "t.onnx");
  diag_init(&d);
  g.opset = 17;
  int64_t a[3] = {2, 1, 4}, b[2] = {3, 1};
  int x = input(&g, "x", DT_F32, 3, a), y = input(&g, "y", DT_F32, 2, b);
  int z = node1(&g, "Add", x, y, "z");
  output(&g, z);
  InferStats st;
  CHECK_EQ_INT(infer_graph(&g, &st, &d), 0);
  CHECK_EQ_INT(g.vals[z].rank, 3);
  CHECK_EQ_INT(g.vals[z].dims[0], 2);
  CHECK_EQ_INT(g.vals[z].dims[1], 3);
  CHECK_EQ_INT(g.vals[z].dims[2], 4);
  ir_free(&g);
  diag_free(&d);
}

TEST(broadcast_error_names_inputs) {
  IrGraph g;
  Diag d;
  ir_init(&g, "t.onnx");
  diag_init(&d);
  g.opset = 17;
  int64_t a[2] = {2, 3}, b[2] = {4, 3};
  int x = input(&g, "x", DT_F32, 2, a), y = input(&g, "y", DT_F32, 2, b);
  output(&g, node1(&g, "Mul", x, y, "z"));
  InferStats st;
  CHECK(infer_graph(&g, &st, &d) != 0);
  CHECK_EQ_INT(diag_exit_code(&d), EK_INVALID);
  CHECK_CONTAINS(d.msgs[0].text, "node 'z' (Mul)");
  CHECK_CONTAINS(d.msgs[0].text, "[2,3] ('x') and [4,3] ('y') do not broadcast");
  ir_free(&g);
  diag_free(&d);
}

/* Shape -> Gather -> Concat -> Reshape folds to a constant shape. */
TEST(shape_arithmetic_folds) {
  IrGraph g;
  Diag d;
  ir_init(&g, "t.onnx");
  diag_init(&d);
  g.opset = 17;
  int64_t a[3] = {2, 6, 4}, idx0 = 0, minus1 = -1;
  int x = input(&g, "x", DT_F32, 3, a);
  int s = node1(&g, "Shape", x, -1, "s");
  int i0 = ir_add_const(&g, "i0", DT_I64, 0, NULL, &idx0);
  int b = node1(&g, "Gather", s, i0, "b");
  int64_t ax = 0;
  int u = node1(&g, "Unsqueeze", b, const_i64(&g, "axes", 1, &ax), "u");
  IrNode *cat = ir_add_node(&g, "Concat", "", "cat", 2, 1);
  cat->in[0] = u;
  cat->in[1] = const_i64(&g, "m1", 1, &minus1);
  cat->out[0] = ir_add_value(&g, "shape");
  ir_add_attr(&g, cat, "axis", AT_INT)->i = 0;
  int r = node1(&g, "Reshape", x, cat->out[0], "r");
  output(&g, r);
  InferStats st;
  CHECK_EQ_INT(infer_graph(&g, &st, &d), 0);
  CHECK_EQ_INT(st.folded, 4);
  CHECK_EQ_INT(g.nnodes, 1);
  CHECK_EQ_INT(g.vals[r].rank, 2);
  CHECK_EQ_INT(g.vals[r].dims[0], 2);
  CHECK_EQ_INT(g.vals[r].dims[1], 24);
  ir_free(&g);
  diag_free(&d);
}

TEST(unsupported_ops_listed_at_once) {
  IrGraph g;
  Diag d;
  ir_init(&g, "t.onnx");
  diag_init(&d);
  g.opset = 17;
  int64_t a[1] = {4};
  int x = input(&g, "x", DT_F32, 1, a);
  int y = node1(&g, "FancyOp", x, -1, "y");
  int z = node1(&g, "OtherOp", y, -1, "z");
  output(&g, z);
  InferStats st;
  CHECK(infer_graph(&g, &st, &d) != 0);
  CHECK_EQ_INT(st.unsupported, 2);
  CHECK_EQ_INT(diag_exit_code(&d), EK_UNSUPPORTED);
  CHECK_CONTAINS(d.msgs[0].text, "'FancyOp' is not supported");
  CHECK_CONTAINS(d.msgs[1].text, "'OtherOp' is not supported");
  ir_free(&g);
  diag_free(&d);
}

static int64_t no_scratch(IrGraph *g, IrNode *n, Diag *d) { return n->src_index % 3 ? 0 : 256; }

/* No two buffers whose lifetimes overlap may overlap in the arena. */
static int plan_is_sound(const MemPlan *p) {
  for (int i = 0; i < p->nbufs; i++)
    for (int j = i + 1; j < p->nbufs; j++) {
      const PlanBuf *a = &p->bufs[i], *b = &p->bufs[j];
      int live = !(a->end < b->start || b->end < a->start);
      int mem = a->offset < b->offset + b->size && b->offset < a->offset + a->size;
      if (live && mem) return 0;
    }
  return 1;
}

/* Random DAGs of Relu/Add/Reshape: plans are sound and reuse memory. */
TEST(memplan_random_graphs) {
  uint32_t seed = 12345;
  for (int trial = 0; trial < 200; trial++) {
    IrGraph g;
    Diag d;
    ir_init(&g, "t.onnx");
    diag_init(&d);
    g.opset = 17;
    int vals[64], nv = 0;
    int64_t dims[1];
    seed = seed * 1103515245u + 12345u;
    dims[0] = 1 + (seed >> 16) % 300;
    vals[nv++] = input(&g, "x", DT_F32, 1, dims);
    int nodes = 5 + trial % 40;
    for (int k = 0; k < nodes; k++) {
      char name[32];
      snprintf(name, sizeof name, "v%d", k);
      seed = seed * 1103515245u + 12345u;
      int a = vals[(seed >> 8) % (uint32_t)nv], b = vals[(seed >> 20) % (uint32_t)nv];
      vals[nv++] = (seed >> 4) % 2 ? node1(&g, "Relu", a, -1, name) : node1(&g, "Add", a, b, name);
    }
    output(&g, vals[nv - 1]);
    InferStats st;
    CHECK_EQ_INT(infer_graph(&g, &st, &d), 0);
    MemPlan p;
    CHECK_EQ_INT(memplan(&g, no_scratch, &p, &d), 0);
    CHECK(plan_is_sound(&p));
    CHECK(p.arena_bytes <= p.sum_bytes);
    CHECK(p.arena_bytes % PLAN_ALIGN == 0);
    memplan_free(&p);
    ir_free(&g);
    diag_free(&d);
  }
}

/* A chain reuses two buffers; views alias their input. */
TEST(memplan_chain_and_views) {
  IrGraph g;
  Diag d;
  ir_init(&g, "t.onnx");
  diag_init(&d);
  g.opset = 17;
  int64_t a[2] = {16, 16}, shp[1] = {256};
  int x = input(&g, "x", DT_F32, 2, a);
  int v = x;
  for (int k = 0; k < 6; k++) {
    char name[16];
    snprintf(name, sizeof name, "r%d", k);
    v = node1(&g, "Relu", v, -1, name);
  }
  int r = node1(&g, "Reshape", v, const_i64(&g, "shape", 1, shp), "flat");
  int y = node1(&g, "Relu", r, -1, "y");
  output(&g, y);
  InferStats st;
  CHECK_EQ_INT(infer_graph(&g, &st, &d), 0);
  MemPlan p;
  CHECK_EQ_INT(memplan(&g, no_scratch, &p, &d), 0);
  CHECK(plan_is_sound(&p));
  CHECK_EQ_INT(p.storage[r], ST_ARENA);
  CHECK_EQ_INT(p.root[r], v);
  CHECK_EQ_INT(p.offset[r], p.offset[v]);
  CHECK_EQ_INT(p.storage[y], ST_OUTPUT);
  /* six 1 KiB tensors in a chain need two buffers, plus scratch */
  CHECK(p.arena_bytes <= 2 * 1024 + 256 + 2 * PLAN_ALIGN);
  memplan_free(&p);
  ir_free(&g);
  diag_free(&d);
}

/* Conv + BatchNormalization + Relu: BN folds, Relu fuses, numbers agree. */
TEST(fuse_conv_bn_relu) {
  IrGraph g;
  Diag d;
  ir_init(&g, "t.onnx");
  diag_init(&d);
  g.opset = 17;
  int64_t xd[4] = {1, 2, 5, 5}, wd[4] = {3, 2, 3, 3}, cd[1] = {3};
  float *w = arena_alloc(&g.arena, 54 * 4), *p[4];
  for (int i = 0; i < 54; i++) w[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
  int x = input(&g, "x", DT_F32, 4, xd);
  int wid = ir_add_const(&g, "w", DT_F32, 4, wd, w);
  IrNode *conv = ir_add_node(&g, "Conv", "", "conv", 2, 1);
  conv->in[0] = x;
  conv->in[1] = wid;
  conv->out[0] = ir_add_value(&g, "c");
  IrNode *bn = ir_add_node(&g, "BatchNormalization", "", "bn", 5, 1);
  bn->in[0] = g.nodes[0].out[0];
  for (int k = 0; k < 4; k++) {
    p[k] = arena_alloc(&g.arena, 12);
    for (int i = 0; i < 3; i++) p[k][i] = k == 3 ? 0.5f + (float)i : 0.1f * (float)(i + k);
    bn->in[1 + k] = ir_add_const(&g, "bnp", DT_F32, 1, cd, p[k]);
  }
  bn->out[0] = ir_add_value(&g, "b");
  int y = node1(&g, "Relu", g.nodes[1].out[0], -1, "y");
  output(&g, y);
  InferStats st;
  CHECK_EQ_INT(infer_graph(&g, &st, &d), 0);
  Options o;
  memset(&o, 0, sizeof o);
  o.optimize = 2;
  CHECK_EQ_INT(run_passes(&g, &o, stderr, &d), 0);
  CHECK_EQ_INT(g.nnodes, 1);
  CHECK_STR(g.nodes[0].op_type, "Conv");
  CHECK_EQ_INT(g.nodes[0].act.kind, 1);
  CHECK_EQ_INT(g.nodes[0].out[0], y);
  ir_free(&g);
  diag_free(&d);
}

int main(void) {
  RUN(broadcast_shapes);
  RUN(broadcast_error_names_inputs);
  RUN(shape_arithmetic_folds);
  RUN(unsupported_ops_listed_at_once);
  RUN(memplan_random_graphs);
  RUN(memplan_chain_and_views);
  RUN(fuse_conv_bn_relu);
  TEST_MAIN_END();
}
