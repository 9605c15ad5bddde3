/* dynamic.c - ops whose output shapes depend on the data: NonZero, Unique,
 * NonMaxSuppression. Such an output gets its upper bound as its shape and is
 * marked data-dependent (op_dynamic_out): the kernel writes it compactly and
 * its actual dims to a value of their own, which the generated API returns
 * after each run (<prefix>_output_shape). These outputs may only be graph
 * outputs (infer.c). Kernels: runtime-mini/kernels/dynamic.c. */
#include "dynamic.h"
#include "op.h"

KERNEL_DEF(K_NONZERO, rt_nonzero, "dynamic.c", RtNonZero, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_UNIQUE, rt_unique, "dynamic.c", RtUnique, 5, KA(0), KA(1), KA(2), KA(3), KA(4));
KERNEL_DEF(K_UNIQUE_STATS, rt_unique_stats, "dynamic.c", RtUnique, 5, KA(0), KA(1), KA(2), KA(3),
           KA(4));
KERNEL_DEF(K_NMS, rt_nms, "dynamic.c", RtNms, 8, KA(0), KA(1), KA(2), KA(3), KA(4), KA(5), KA(6),
           KA(7));

/* The outputs the model gave the node: op_dynamic_out appends one hidden
 * output per data-dependent output after them. */
static int onnx_nout(OpCtx *c) {
  int n = c->n->nout;
  for (int i = 0; i < c->n->nout; i++)
    if (c->n->out[i] >= 0 && c->g->vals[c->n->out[i]].flags & VF_DYNAMIC) n--;
  return n;
}

/* The model's outputs are at most max (check_arity allows the hidden ones too). */
static int check_nout(OpCtx *c, int max) {
  int n = onnx_nout(c);
  if (n > max) return op_invalid(c, "has %d outputs; %s makes at most %d", n, c->n->op_type, max);
  return 0;
}

/* Output i of the model's outputs, NULL if absent or not given; its id or
 * KC_NULL; the id of its actual shape or KC_NULL. */
static IrValue *model_out(OpCtx *c, int i) { return i < onnx_nout(c) ? op_out(c, i) : NULL; }
static int model_out_id(OpCtx *c, int i) { return model_out(c, i) ? c->n->out[i] : KC_NULL; }
static int shape_id(OpCtx *c, int i) { return model_out(c, i) ? op_out(c, i)->shape_val : KC_NULL; }

/* ---- NonZero: int64 [rank, count]; at most [rank, numel]. A scalar counts
 * as [1], as in ONNX Runtime (and NumPy before 2.1): [1, 0] or [1, 1]. ---- */

static int infer_nonzero(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  if (check_nout(c, 1)) return -1;
  if (x->dtype == DT_STRING) return op_unsupported(c, "NonZero of strings is not supported");
  if (x->rank > 8) return op_unsupported(c, "NonZero of rank %d; at most 8", x->rank);
  int64_t dims[2] = {x->rank ? x->rank : 1, ir_numel(x)};
  op_set_out(c, 0, DT_I64, 2, dims);
  op_dynamic_out(c, 0);
  return 0;
}

static int lower_nonzero(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  static const int64_t one = 1;
  KCall *k = kl_call(l, &K_NONZERO);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "rank", x->rank ? x->rank : 1);
  kc_iv(k, "dims", x->rank ? x->dims : &one, x->rank ? x->rank : 1, 8);
  kc_i(k, "esize", (int64_t)dtype_size(x->dtype));
  kc_i(k, "is_f32", x->dtype == DT_F32);
  kc_i(k, "is_f64", x->dtype == DT_F64);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, y->shape_val);
  kc_end(k);
  return 0;
}

/* ---- Unique: Y, indices, inverse_indices, counts ----
 * No axis: Y [count] of at most numel; with axis a: Y is X with dims[a] =
 * count (at most X's); indices and counts [count]; inverse_indices is
 * [numel] or [dims[a]], static. */

/* How the kernel compares elements of type t; -1 if it cannot. */
static int unique_kind(DType t) {
  switch (t) {
    case DT_I8:
    case DT_I16:
    case DT_I32:
    case DT_I64:
    case DT_I4:
    case DT_I2: return RT_UQ_SIGNED;
    case DT_U8:
    case DT_U16:
    case DT_U32:
    case DT_U64:
    case DT_U4:
    case DT_U2:
    case DT_BOOL: return RT_UQ_UNSIGNED;
    case DT_F32: return RT_UQ_F32;
    case DT_F64: return RT_UQ_F64;
    case DT_F16: return RT_UQ_F16;
    case DT_BF16: return RT_UQ_BF16;
    case DT_STRING: return RT_UQ_BYTES;
    default: return -1;
  }
}

/* Reads the attributes into p (without the shape fields); -1 (reported) if bad. */
static int unique_attrs(OpCtx *c, RtUnique *p) {
  IrValue *x = op_in(c, 0);
  int ok = 1;
  int64_t sorted = op_attr_int(c, "sorted", 1, &ok);
  int has_axis = ir_attr(c->n, "axis") != NULL;
  int64_t axis = op_attr_int(c, "axis", 0, &ok);
  if (!ok) return -1;
  if (sorted != 0 && sorted != 1)
    return op_invalid(c, "sorted must be 0 or 1, not %lld", (long long)sorted);
  if (has_axis && x->rank == 0)
    return op_invalid(c, "axis given for the scalar input '%s'", x->name);
  p->sorted = sorted;
  p->axis = -1;
  if (has_axis && (p->axis = op_axis(c, axis, x->rank, "axis")) < 0) return -1;
  p->kind = unique_kind(x->dtype);
  if (p->kind < 0) return op_unsupported(c, "Unique of %s is not supported", dtype_name(x->dtype));
  p->esize = x->dtype == DT_STRING ? x->strw : (int64_t)dtype_size(x->dtype);
  return 0;
}

static int infer_unique(OpCtx *c) {
  RtUnique p;
  IrValue *x = op_in(c, 0);
  if (check_nout(c, 4)) return -1;
  if (!op_out(c, 0)) return op_invalid(c, "output 0 (Y) is required");
  if (unique_attrs(c, &p)) return -1;
  int64_t len = p.axis < 0 ? ir_numel(x) : x->dims[p.axis];
  int nout = onnx_nout(c);
  if (p.axis < 0)
    op_set_out(c, 0, x->dtype, 1, &len);
  else
    op_set_out(c, 0, x->dtype, x->rank, x->dims);
  if (x->dtype == DT_STRING) op_out(c, 0)->strw = x->strw;
  for (int i = 1; i < nout; i++)
    if (op_out(c, i)) op_set_out(c, i, DT_I64, 1, &len);
  op_dynamic_out(c, 0);
  if (nout > 1 && op_out(c, 1)) op_dynamic_out(c, 1);
  if (nout > 3 && op_out(c, 3)) op_dynamic_out(c, 3);
  return 0;
}

static void unique_fields(KCall *k, const RtUnique *p, const IrValue *x) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < x->rank && p->axis >= 0; d++) {
    if (d < p->axis) outer *= x->dims[d];
    if (d > p->axis) inner *= x->dims[d];
  }
  kc_i(k, "outer", outer);
  kc_i(k, "len", p->axis < 0 ? ir_numel(x) : x->dims[p->axis]);
  kc_i(k, "inner", inner);
  kc_i(k, "esize", p->esize);
  kc_i(k, "kind", p->kind);
  kc_i(k, "sorted", p->sorted);
  kc_i(k, "axis", p->axis);
  kc_i(k, "rank", x->rank);
  kc_iv(k, "dims", x->dims, x->rank, 8);
}

static int lower_unique(OpCtx *c, KList *l) {
  RtUnique p;
  IrValue *x = op_in(c, 0);
  if (unique_attrs(c, &p)) return -1;
  p.len = p.axis < 0 ? ir_numel(x) : x->dims[p.axis];
  int64_t scratch = rt_unique_scratch(&p);
  KCall *k = kl_call(l, &K_UNIQUE);
  unique_fields(k, &p, x);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, model_out_id(c, 2));
  kc_arg(k, op_out(c, 0)->shape_val);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = scratch;
  if (!model_out(c, 1) && !model_out(c, 3)) return 0;
  k = kl_call(l, &K_UNIQUE_STATS);
  unique_fields(k, &p, x);
  kc_arg(k, model_out_id(c, 1));
  kc_arg(k, model_out_id(c, 3));
  kc_arg(k, shape_id(c, 1));
  kc_arg(k, shape_id(c, 3));
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = scratch;
  return 0;
}

/* ---- NonMaxSuppression: boxes [B, N, 4], scores [B, C, N], then optional
 * max_output_boxes_per_class, iou_threshold, score_threshold; selected_indices
 * int64 [count, 3], at most B * C * min(max_output_boxes_per_class, N) rows
 * (B * C * N when that is a run-time input). ---- */

/* Input i (present) has type t: ONNX allows only that one (else invalid). */
static int nms_type(OpCtx *c, int i, DType t, const char *what) {
  IrValue *v = op_in(c, i);
  if (v->dtype == t) return 0;
  return op_invalid(c, "%s '%s' must be %s, not %s", what, v->name, dtype_name(t),
                    dtype_name(v->dtype));
}

static int nms_shapes(OpCtx *c) {
  IrValue *b = op_in(c, 0), *s = op_in(c, 1);
  if (nms_type(c, 0, DT_F32, "boxes") || nms_type(c, 1, DT_F32, "scores")) return -1;
  if (b->rank != 3 || b->dims[2] != 4)
    return op_invalid(c, "boxes '%s' must be [num_batches, spatial_dimension, 4]", b->name);
  if (s->rank != 3)
    return op_invalid(c, "scores '%s' must be [num_batches, num_classes, spatial_dimension]",
                      s->name);
  if (b->dims[0] != s->dims[0])
    return op_invalid(c, "boxes '%s' has %lld batches and scores '%s' %lld", b->name,
                      (long long)b->dims[0], s->name, (long long)s->dims[0]);
  if (b->dims[1] != s->dims[2])
    return op_invalid(c, "boxes '%s' has %lld boxes and scores '%s' %lld", b->name,
                      (long long)b->dims[1], s->name, (long long)s->dims[2]);
  return 0;
}

/* Optional scalar input i: one element of type t. */
static int nms_scalar(OpCtx *c, int i, DType t, const char *what) {
  IrValue *v = op_in(c, i);
  if (!v) return 0;
  if (nms_type(c, i, t, what)) return -1;
  if (ir_numel(v) != 1)
    return op_invalid(c, "%s '%s' must hold one value, not %lld", what, v->name,
                      (long long)ir_numel(v));
  return 0;
}

static int infer_nms(OpCtx *c) {
  int ok = 1;
  int64_t cpb = op_attr_int(c, "center_point_box", 0, &ok);
  if (!ok || check_nout(c, 1)) return -1;
  if (cpb != 0 && cpb != 1)
    return op_invalid(c, "center_point_box must be 0 or 1, not %lld", (long long)cpb);
  if (nms_shapes(c) || nms_scalar(c, 2, DT_I64, "max_output_boxes_per_class") ||
      nms_scalar(c, 3, DT_F32, "iou_threshold") || nms_scalar(c, 4, DT_F32, "score_threshold"))
    return -1;
  IrValue *iou = op_in(c, 3), *mo = op_in(c, 2);
  if (iou && iou->flags & VF_CONST) {
    float t = *(const float *)iou->data;
    if (!(t >= 0.0f && t <= 1.0f))
      return op_invalid(c, "iou_threshold '%s' is %g; it must be in [0, 1]", iou->name, (double)t);
  }
  int64_t batches = op_in(c, 0)->dims[0], classes = op_in(c, 1)->dims[1], n = op_in(c, 0)->dims[1];
  int64_t per_class = n;
  if (!mo) per_class = 0;
  if (mo && mo->flags & VF_CONST) {
    int64_t m = *(const int64_t *)mo->data;
    per_class = m < 0 ? 0 : m < n ? m : n;
  }
  int64_t dims[2] = {batches * classes * per_class, 3};
  op_set_out(c, 0, DT_I64, 2, dims);
  op_dynamic_out(c, 0);
  return 0;
}

static int lower_nms(OpCtx *c, KList *l) {
  int ok = 1;
  RtNms p;
  p.batches = op_in(c, 0)->dims[0];
  p.classes = op_in(c, 1)->dims[1];
  p.boxes = op_in(c, 0)->dims[1];
  p.center_point_box = op_attr_int(c, "center_point_box", 0, &ok);
  KCall *k = kl_call(l, &K_NMS);
  kc_i(k, "batches", p.batches);
  kc_i(k, "classes", p.classes);
  kc_i(k, "boxes", p.boxes);
  kc_i(k, "center_point_box", p.center_point_box);
  for (int i = 0; i < 5; i++) kc_arg(k, op_has_in(c, i) ? c->n->in[i] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, op_out(c, 0)->shape_val);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = rt_nms_scratch(&p);
  return ok ? 0 : -1;
}

const OpDef OPS_DYNAMIC[] = {
    /* max_out counts the hidden outputs too: one per data-dependent output,
     * the actual shape (op_dynamic_out) */
    {"NonZero", "", 9, 1, 1, 1, 2, OPL_KERNEL, OPF_NO_FOLD, infer_nonzero, lower_nonzero},
    {"Unique", "", 11, 1, 1, 1, 7, OPL_KERNEL, OPF_NO_FOLD | OPF_ANY_TYPE | OPF_OPT_OUT0,
     infer_unique, lower_unique},
    {"NonMaxSuppression", "", 10, 2, 5, 1, 2, OPL_KERNEL, OPF_NO_FOLD, infer_nms, lower_nms},
    {NULL},
};
