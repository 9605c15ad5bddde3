/* random.c - the random ops: RandomNormal, RandomUniform and their *Like
 * forms (opset 1), Multinomial (opset 7) and Bernoulli (opset 15). They are
 * never folded (OPF_NO_FOLD): without a seed every run draws new numbers,
 * with one every run draws the same. Kernels and the generator:
 * runtime-mini/kernels/random.c.
 *
 * The normal and uniform kernels make float32 or float64; a float16 or
 * bfloat16 output is made in float32 and converted after the node (infer.c's
 * half_type). Bernoulli writes every output type itself; Multinomial int32
 * or int64. Their probability inputs arrive as float32 when the model gives
 * 16-bit floats (infer.c converts them). */
#include <math.h>
#include <string.h>

#include "op.h"
#include "random.h"

KERNEL_DEF(K_NORMAL, rt_random_normal, "random.c", RtRandom, 1, KA(0));
KERNEL_DEF(K_UNIFORM, rt_random_uniform, "random.c", RtRandom, 1, KA(0));
KERNEL_DEF(K_BERNOULLI, rt_bernoulli, "random.c", RtBernoulli, 2, KA(0), KA(1));
KERNEL_DEF(K_MULTINOMIAL, rt_multinomial, "random.c", RtMultinomial, 3, KA(0), KA(1), KA(2));

#define FLOAT_TYPES "float16, float32, float64 (bfloat16 from opset 22)"

/* The float types of the ops' type constraints: bfloat16 came in opset 22. */
static int is_float_type(OpCtx *c, DType t) {
  return t == DT_F16 || t == DT_F32 || t == DT_F64 || (t == DT_BF16 && c->opset >= 22);
}

/* Bernoulli's output types: the numbers of IR version 4 and bool. */
static int is_number_type(OpCtx *c, DType t) {
  return is_float_type(c, t) || dtype_is_int(t) || t == DT_BOOL;
}

/* "int64", or "unknown" for a number that is no ONNX type. */
static const char *type_text(int64_t t) {
  return t > 0 && t < DT_COUNT_ ? dtype_name((DType)t) : "unknown";
}

/* The dtype attribute (dflt if absent) into *t, checked with ok(); -1
 * (reported) if it is not one the op makes. */
static int attr_dtype(OpCtx *c, DType dflt, int (*ok)(OpCtx *, DType), const char *allowed,
                      DType *t) {
  int good = 1;
  const IrAttr *a = ir_attr(c->n, "dtype");
  int64_t v = op_attr_int(c, "dtype", dflt, &good);
  if (!good) return -1;
  if (v > 0 && v < DT_COUNT_ && ok(c, (DType)v)) {
    *t = (DType)v;
    return 0;
  }
  if (!a)
    return op_invalid(c,
                      "input '%s' has type %s and there is no dtype attribute; the output "
                      "must be one of %s",
                      op_in(c, 0)->name, type_text(dflt), allowed);
  return op_invalid(c, "dtype %lld (%s) is not one of %s", (long long)v, type_text(v), allowed);
}

/* The seed attribute: *has 0 if absent or NaN, else 1 and *bits its bits. */
static int attr_seed(OpCtx *c, int64_t *has, int64_t *bits) {
  int ok = 1;
  float f = op_attr_float(c, "seed", NAN, &ok);
  if (!ok) return -1;
  uint32_t u = 0;
  *has = !isnan(f);
  if (*has && f != 0.0f) memcpy(&u, &f, sizeof u); /* -0.0 seeds as 0.0 does */
  *bits = u;
  return 0;
}

static int is_uniform(OpCtx *c) { return strncmp(c->n->op->name, "RandomUniform", 13) == 0; }

/* The attributes of the normal and uniform ops, checked, into p. */
static int random_attrs(OpCtx *c, RtRandom *p) {
  int ok = 1, uniform = is_uniform(c);
  p->a = op_attr_float(c, uniform ? "low" : "mean", 0.0f, &ok);
  p->b = op_attr_float(c, uniform ? "high" : "scale", 1.0f, &ok);
  if (!ok || attr_seed(c, &p->has_seed, &p->seed)) return -1;
  const char *na = uniform ? "low" : "mean", *nb = uniform ? "high" : "scale";
  if (!isfinite(p->a) || !isfinite(p->b))
    return op_invalid(c, "%s %g and %s %g must be finite", na, (double)p->a, nb, (double)p->b);
  if (uniform && p->b < p->a)
    return op_invalid(c, "high %g is below low %g", (double)p->b, (double)p->a);
  if (!uniform && p->b < 0)
    return op_invalid(c, "scale %g is negative (it is the standard deviation)", (double)p->b);
  return 0;
}

/* Output 0 of float type t: a 16-bit one is made in float32 and converted. */
static void set_float_out(OpCtx *c, DType t, int rank, const int64_t *dims) {
  int narrow = t == DT_F16 || t == DT_BF16;
  c->n->half_type = narrow ? t : DT_UNDEF;
  op_set_out(c, 0, narrow ? DT_F32 : t, rank, dims);
}

/* RandomNormal, RandomUniform: the shape and dtype attributes. */
static int infer_random(OpCtx *c) {
  int64_t dims[IR_MAX_RANK];
  int rank = op_attr_ints(c, "shape", dims, IR_MAX_RANK);
  if (rank == -2) return -1;
  if (rank == -1) return op_invalid(c, "attribute 'shape' is required");
  for (int i = 0; i < rank; i++)
    if (dims[i] < 0)
      return op_invalid(c, "shape[%d] is %lld; dims must be >= 0", i, (long long)dims[i]);
  DType t = DT_UNDEF;
  RtRandom p;
  if (attr_dtype(c, DT_F32, is_float_type, FLOAT_TYPES, &t) || random_attrs(c, &p)) return -1;
  set_float_out(c, t, rank, dims);
  return 0;
}

/* RandomNormalLike, RandomUniformLike: the input's shape, and its type
 * unless dtype says. The input's elements are never read (OPF_ANY_TYPE). */
static int infer_like(OpCtx *c) {
  IrValue *x = op_in(c, 0);
  DType t = DT_UNDEF;
  RtRandom p;
  if (attr_dtype(c, x->dtype, is_float_type, FLOAT_TYPES, &t) || random_attrs(c, &p)) return -1;
  set_float_out(c, t, x->rank, x->dims);
  return 0;
}

/* The type output 0 ends up in: a 16-bit one is converted from float32. */
static DType op_out_type(OpCtx *c) {
  return c->n->half_type ? c->n->half_type : op_out(c, 0)->dtype;
}

/* Significant bits and log2 of the smallest number of the float types. */
static int64_t out_bits(DType t) {
  return t == DT_F64 ? 53 : t == DT_F16 ? 11 : t == DT_BF16 ? 8 : 24;
}
static int64_t out_min_exp(DType t) {
  return t == DT_F64 ? -1074 : t == DT_F16 ? -24 : t == DT_BF16 ? -133 : -149;
}

static int lower_random(OpCtx *c, KList *l) {
  RtRandom p;
  if (random_attrs(c, &p)) return -1;
  IrValue *y = op_out(c, 0);
  if (!ir_numel(y)) return 0;
  KCall *k = kl_call(l, is_uniform(c) ? &K_UNIFORM : &K_NORMAL);
  kc_i(k, "n", ir_numel(y));
  kc_i(k, "f64", y->dtype == DT_F64);
  kc_i(k, "has_seed", p.has_seed);
  kc_i(k, "seed", p.seed);
  kc_i(k, "bits", out_bits(op_out_type(c)));
  kc_i(k, "min_exp", out_min_exp(op_out_type(c)));
  kc_f(k, "a", p.a);
  kc_f(k, "b", p.b);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

/* The model's name of input 0: a 16-bit float comes through a ConvertFloat
 * to float32 (infer.c). */
static const char *input_name(OpCtx *c) {
  int v = c->n->in[0];
  for (int i = 0; i < c->g->nnodes; i++) {
    const IrNode *n = &c->g->nodes[i];
    if (n->op == &OP_CONVERT && !n->dead && n->out[0] == v) return c->g->vals[n->in[0]].name;
  }
  return c->g->vals[v].name;
}

/* The type of input 0 as the model gives it (before any conversion of a
 * 16-bit float to float32), which must be a float type. */
static int check_float_input(OpCtx *c, DType *t) {
  *t = c->n->half_type ? c->n->half_type : op_in(c, 0)->dtype;
  if (!is_float_type(c, *t))
    return op_invalid(c, "input '%s' has type %s; %s takes " FLOAT_TYPES, input_name(c),
                      dtype_name(*t), c->n->op->name);
  return 0;
}

static int infer_bernoulli(OpCtx *c) {
  DType in = DT_UNDEF, t = DT_UNDEF;
  int64_t has, bits;
  if (check_float_input(c, &in) || attr_dtype(c, in, is_number_type, "the numbers and bool", &t) ||
      attr_seed(c, &has, &bits))
    return -1;
  IrValue *x = op_in(c, 0);
  c->n->half_type = DT_UNDEF; /* the kernel writes every output type */
  op_set_out(c, 0, t, x->rank, x->dims);
  return 0;
}

/* The bits of 1 in type t. */
static int64_t one_bits(DType t) {
  switch (t) {
    case DT_F32: return 0x3F800000;
    case DT_F64: return INT64_C(0x3FF0000000000000);
    case DT_F16: return 0x3C00;
    case DT_BF16: return 0x3F80;
    default: return 1;
  }
}

static int lower_bernoulli(OpCtx *c, KList *l) {
  int64_t has, bits;
  if (attr_seed(c, &has, &bits)) return -1;
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  if (!ir_numel(y)) return 0;
  KCall *k = kl_call(l, &K_BERNOULLI);
  kc_i(k, "n", ir_numel(y));
  kc_i(k, "f64", x->dtype == DT_F64);
  kc_i(k, "esize", (int64_t)dtype_size(y->dtype));
  kc_i(k, "one", one_bits(y->dtype));
  kc_i(k, "has_seed", has);
  kc_i(k, "seed", bits);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

static int is_index_type(OpCtx *c, DType t) {
  (void)c;
  return t == DT_I32 || t == DT_I64;
}

static int infer_multinomial(OpCtx *c) {
  DType in = DT_UNDEF, t = DT_UNDEF;
  int64_t has, bits;
  int ok = 1;
  int64_t samples = op_attr_int(c, "sample_size", 1, &ok);
  if (!ok || check_float_input(c, &in) ||
      attr_dtype(c, DT_I32, is_index_type, "int32, int64", &t) || attr_seed(c, &has, &bits))
    return -1;
  IrValue *x = op_in(c, 0);
  char s[128];
  if (x->rank != 2)
    return op_invalid(c, "input '%s' must have rank 2 ([batch_size, class_size]), got %s", x->name,
                      ir_shape_str(x, s, sizeof s));
  if (x->dims[1] == 0 && x->dims[0] > 0)
    return op_invalid(c, "input '%s' %s has no classes to sample from", x->name,
                      ir_shape_str(x, s, sizeof s));
  if (samples < 1) return op_invalid(c, "sample_size %lld must be >= 1", (long long)samples);
  int64_t dims[2] = {x->dims[0], samples};
  op_set_out(c, 0, t, 2, dims);
  return 0;
}

static int lower_multinomial(OpCtx *c, KList *l) {
  int64_t has, bits;
  if (attr_seed(c, &has, &bits)) return -1;
  IrValue *x = op_in(c, 0), *y = op_out(c, 0);
  if (!ir_numel(y)) return 0;
  KCall *k = kl_call(l, &K_MULTINOMIAL);
  kc_i(k, "batch", y->dims[0]);
  kc_i(k, "classes", x->dims[1]);
  kc_i(k, "samples", y->dims[1]);
  kc_i(k, "f64", x->dtype == DT_F64);
  kc_i(k, "out_i64", y->dtype == DT_I64);
  kc_i(k, "has_seed", has);
  kc_i(k, "seed", bits);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  k->scratch_bytes = x->dims[1] * (int64_t)sizeof(double);
  kc_end(k);
  return 0;
}

const OpDef OPS_RANDOM[] = {
    {"RandomNormal", "", 1, 0, 0, 1, 1, OPL_KERNEL, OPF_NO_FOLD, infer_random, lower_random},
    {"RandomUniform", "", 1, 0, 0, 1, 1, OPL_KERNEL, OPF_NO_FOLD, infer_random, lower_random},
    {"RandomNormalLike", "", 1, 1, 1, 1, 1, OPL_KERNEL, OPF_NO_FOLD | OPF_ANY_TYPE, infer_like,
     lower_random},
    {"RandomUniformLike", "", 1, 1, 1, 1, 1, OPL_KERNEL, OPF_NO_FOLD | OPF_ANY_TYPE, infer_like,
     lower_random},
    {"Multinomial", "", 7, 1, 1, 1, 1, OPL_KERNEL, OPF_NO_FOLD, infer_multinomial,
     lower_multinomial},
    {"Bernoulli", "", 15, 1, 1, 1, 1, OPL_KERNEL, OPF_NO_FOLD, infer_bernoulli, lower_bernoulli},
    {NULL},
};
