/* strings.c - the string ops: StringConcat, StringSplit, StringNormalizer,
 * RegexFullMatch, Equal of strings, and ai.onnx.ml's LabelEncoder
 * (kernels: runtime-mini/kernels/str.c).
 *
 * A string tensor holds each element in a fixed number of bytes, its width
 * (IrValue.strw): UTF-8 padded with NULs. Inputs get theirs from
 * --string-bytes, constants from their longest string, and each op computes
 * its output's (StringConcat: the sum of its operands'). The strings an op
 * needs from its attributes (pattern, delimiter, stopwords, keys, values)
 * become constant inputs of the node. StringSplit's and StringNormalizer's
 * outputs have data-dependent shapes (op_dynamic_out). */
#include <stdio.h>
#include <string.h>

#include "op.h"
#include "str.h"

KERNEL_DEF(K_STR_CONCAT, rt_str_concat, "str.c", RtStrConcat, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_STR_EQUAL, rt_str_equal, "str.c", RtStrEqual, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_STR_SPLIT, rt_str_split, "str.c", RtStrSplit, 5, KA(0), KA(1), KA(2), KA(3), KA(4));
KERNEL_DEF(K_STR_NORMALIZE, rt_str_normalize, "str.c", RtStrNormalize, 4, KA(0), KA(1), KA(2),
           KA(3));
KERNEL_DEF(K_REGEX, rt_regex_full_match, "str.c", RtRegexMatch, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_LABEL_ENCODE, rt_label_encode, "str.c", RtLabelEncode, 5, KA(0), KA(1), KA(2),
           KA(3), KA(4));

static const DType STR[] = {DT_STRING, DT_UNDEF};

/* Appends a constant input to the node: n strings of width w (at least 1)
 * from strs (NULL: none), or raw data of type t. Returns its input index. */
static int add_const_input(OpCtx *c, DType t, int64_t n, const void *data, int64_t w) {
  IrGraph *g = c->g;
  IrNode *nd = c->n;
  int64_t bytes = t == DT_STRING ? n * w : n * (int64_t)dtype_size(t);
  void *buf = op_alloc(g, (size_t)(bytes ? bytes : 1));
  if (bytes && data) memcpy(buf, data, (size_t)bytes);
  int id = ir_add_const(g, arena_printf(&g->arena, "%s/const%d", nd->name, nd->nin), t, 1, &n, buf);
  g->vals[id].strw = t == DT_STRING ? w : 0;
  nd->in = xrealloc(nd->in, sizeof(int) * (size_t)(nd->nin + 1));
  nd->in[nd->nin++] = id;
  return nd->nin - 1;
}

/* An attribute's strings as fixed-width elements: returns the buffer (graph
 * arena), sets *n and *w (at least 1). */
static char *attr_strings(OpCtx *c, const char *name, int64_t *n, int64_t *w) {
  const IrAttr *a = ir_attr(c->n, name);
  *n = 0;
  *w = 1;
  if (!a) return NULL;
  if (a->type == AT_STRING) {
    *n = 1;
    *w = (int64_t)strlen(a->s) > 0 ? (int64_t)strlen(a->s) : 1;
    char *b = op_alloc(c->g, (size_t)*w);
    memcpy(b, a->s, strlen(a->s));
    return b;
  }
  *n = a->n;
  for (int i = 0; i < a->n; i++)
    if ((int64_t)strlen(a->strings[i]) > *w) *w = (int64_t)strlen(a->strings[i]);
  char *b = op_alloc(c->g, (size_t)(*n * *w + 1));
  for (int i = 0; i < a->n; i++) memcpy(b + i * *w, a->strings[i], strlen(a->strings[i]));
  return b;
}

/* Broadcast strides of input i over the output dims (0 where broadcast). */
static void bcast_strides(OpCtx *c, int i, int rank, const int64_t *dims, int64_t *st) {
  IrValue *x = op_in(c, i);
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    int xd = d - (rank - x->rank);
    if (xd < 0 || x->dims[xd] == 1) {
      st[d] = 0;
    } else {
      st[d] = s;
      s *= x->dims[xd];
    }
    (void)dims;
  }
}

/* ---- StringConcat and Equal ---- */

static int infer_binary(OpCtx *c, DType out) {
  int idx[2] = {0, 1}, rank;
  int64_t dims[IR_MAX_RANK];
  if (op_check_type(c, 0, STR) || op_check_type(c, 1, STR)) return -1;
  if (op_broadcast(c, idx, 2, &rank, dims)) return -1;
  if (rank > RT_STR_MAX_RANK) return op_unsupported(c, "rank %d; at most %d", rank, RT_STR_MAX_RANK);
  op_set_out(c, 0, out, rank, dims);
  if (out == DT_STRING) op_out(c, 0)->strw = op_in(c, 0)->strw + op_in(c, 1)->strw;
  return 0;
}

static int infer_concat(OpCtx *c) { return infer_binary(c, DT_STRING); }
static int infer_equal(OpCtx *c) { return infer_binary(c, DT_BOOL); }

static KCall *binary_call(OpCtx *c, KList *l, const KernelDef *k) {
  IrValue *y = op_out(c, 0);
  int64_t sa[RT_STR_MAX_RANK], sb[RT_STR_MAX_RANK];
  bcast_strides(c, 0, y->rank, y->dims, sa);
  bcast_strides(c, 1, y->rank, y->dims, sb);
  KCall *kc = kl_call(l, k);
  kc_i(kc, "rank", y->rank);
  kc_i(kc, "n", ir_numel(y));
  kc_iv(kc, "dims", y->dims, y->rank, RT_STR_MAX_RANK);
  kc_iv(kc, "sa", sa, y->rank, RT_STR_MAX_RANK);
  kc_iv(kc, "sb", sb, y->rank, RT_STR_MAX_RANK);
  kc_i(kc, "wa", op_in(c, 0)->strw);
  kc_i(kc, "wb", op_in(c, 1)->strw);
  return kc;
}

static int lower_concat(OpCtx *c, KList *l) {
  KCall *k = binary_call(c, l, &K_STR_CONCAT);
  kc_i(k, "wy", op_out(c, 0)->strw);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

static int lower_equal(OpCtx *c, KList *l) {
  KCall *k = binary_call(c, l, &K_STR_EQUAL);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[1]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OP_STRING_EQUAL = {"Equal", "", 19, 2, 2, 1, 1, OPL_KERNEL, 0, infer_equal,
                               lower_equal};

/* ---- StringSplit: inputs x, then the delimiter (added) ---- */

static int infer_split(OpCtx *c) {
  int ok = 1;
  const char *delim = op_attr_str(c, "delimiter", "", &ok);
  int64_t maxsplit = op_attr_int(c, "maxsplit", -1, &ok);
  if (!ok || op_check_type(c, 0, STR)) return -1;
  IrValue *x = op_in(c, 0);
  if (x->rank + 1 > RT_STR_MAX_RANK) return op_unsupported(c, "rank %d; at most %d", x->rank, RT_STR_MAX_RANK - 1);
  int64_t dlen = (int64_t)strlen(delim), w = x->strw;
  int64_t k = dlen ? w / dlen + 1 : (w + 1) / 2;
  if (maxsplit >= 0 && maxsplit + 1 < k) k = maxsplit + 1;
  if (k < 1) k = 1;
  int64_t dims[IR_MAX_RANK];
  memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
  dims[x->rank] = k;
  op_set_out(c, 0, DT_STRING, x->rank + 1, dims);
  op_out(c, 0)->strw = w;
  op_set_out(c, 1, DT_I64, x->rank, x->dims);
  op_dynamic_out(c, 0);
  if (c->n->nin == 1) add_const_input(c, DT_U8, dlen ? dlen : 1, delim, 0);
  return 0;
}

static int lower_split(OpCtx *c, KList *l) {
  int ok = 1;
  IrValue *x = op_in(c, 0);
  KCall *k = kl_call(l, &K_STR_SPLIT);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "w", x->strw);
  kc_i(k, "dlen", (int64_t)strlen(op_attr_str(c, "delimiter", "", &ok)));
  kc_i(k, "maxsplit", op_attr_int(c, "maxsplit", -1, &ok));
  kc_i(k, "rank_x", x->rank);
  kc_iv(k, "dims", x->dims, x->rank, RT_STR_MAX_RANK);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[c->n->nin - 1]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, c->n->out[1]);
  kc_arg(k, op_out(c, 0)->shape_val);
  kc_end(k);
  return 0;
}

/* ---- StringNormalizer: inputs x, then the stopwords (added) ---- */

static int norm_case(OpCtx *c) {
  int ok = 1;
  const char *m = op_attr_str(c, "case_change_action", "NONE", &ok);
  if (!ok) return -1;
  if (strcmp(m, "NONE") == 0) return 0;
  if (strcmp(m, "LOWER") == 0) return 1;
  if (strcmp(m, "UPPER") == 0) return 2;
  return op_invalid(c, "case_change_action must be NONE, LOWER or UPPER, not '%s'", m);
}

static int infer_normalize(OpCtx *c) {
  if (op_check_type(c, 0, STR) || norm_case(c) < 0) return -1;
  IrValue *x = op_in(c, 0);
  if (!(x->rank == 1 || (x->rank == 2 && x->dims[0] == 1)))
    return op_invalid(c, "input '%s' must be [C] or [1, C]", x->name);
  int64_t n = ir_numel(x), w = x->strw, dims[2] = {1, n > 0 ? n : 1};
  op_set_out(c, 0, DT_STRING, x->rank, x->rank == 1 ? dims + 1 : dims);
  op_out(c, 0)->strw = w;
  op_dynamic_out(c, 0);
  if (c->n->nin == 1) {
    int64_t ns, sw;
    char *stop = attr_strings(c, "stopwords", &ns, &sw);
    add_const_input(c, DT_STRING, ns, stop, sw);
  }
  return 0;
}

static int lower_normalize(OpCtx *c, KList *l) {
  int ok = 1;
  IrValue *x = op_in(c, 0), *stop = op_in(c, c->n->nin - 1);
  KCall *k = kl_call(l, &K_STR_NORMALIZE);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "w", x->strw);
  kc_i(k, "nstop", ir_numel(stop));
  kc_i(k, "sw", stop->strw);
  kc_i(k, "case_sensitive", op_attr_int(c, "is_case_sensitive", 0, &ok));
  kc_i(k, "case_change", norm_case(c));
  kc_i(k, "two_d", x->rank == 2);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[c->n->nin - 1]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, op_out(c, 0)->shape_val);
  kc_end(k);
  return 0;
}

/* ---- RegexFullMatch: inputs x, then the pattern's bytes (added) ---- */

static int infer_regex(OpCtx *c) {
  int ok = 1;
  const IrAttr *a = ir_attr(c->n, "pattern");
  if (!a || a->type != AT_STRING) return op_invalid(c, "attribute 'pattern' (a string) is required");
  if (op_check_type(c, 0, STR)) return -1;
  char err[128];
  if (rt_regex_compile(a->s, (int64_t)strlen(a->s), err, sizeof err) < 0)
    return op_unsupported(c, "pattern '%s': %s", a->s, err);
  (void)ok;
  IrValue *x = op_in(c, 0);
  op_set_out(c, 0, DT_BOOL, x->rank, x->dims);
  if (c->n->nin == 1)
    add_const_input(c, DT_U8, strlen(a->s) ? (int64_t)strlen(a->s) : 1, a->s, 0);
  return 0;
}

static int lower_regex(OpCtx *c, KList *l) {
  const char *pat = ir_attr(c->n, "pattern")->s;
  int64_t plen = (int64_t)strlen(pat), prog = rt_regex_compile(pat, plen, NULL, 0);
  IrValue *x = op_in(c, 0);
  KCall *k = kl_call(l, &K_REGEX);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "w", x->strw);
  kc_i(k, "plen", plen);
  kc_i(k, "prog_len", prog);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->in[c->n->nin - 1]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  kc_end(k);
  k->scratch_bytes = rt_regex_scratch(prog, x->strw);
  return 0;
}

/* ---- LabelEncoder (ai.onnx.ml): inputs x, then keys, values, default ---- */

typedef struct LeSide {
  DType t;
  int64_t n, w;
  const void *data;
} LeSide;

/* keys_* or values_* (prefix), or default_* when dflt: one of strings,
 * int64s, floats or a tensor. */
static int le_side(OpCtx *c, const char *prefix, int dflt, LeSide *s) {
  char name[32];
  const IrAttr *a;
  memset(s, 0, sizeof *s);
  s->w = 1;
  snprintf(name, sizeof name, "%s_tensor", prefix);
  if ((a = ir_attr(c->n, name)) && a->type == AT_TENSOR) {
    const IrTensor *t = &a->tensors[0];
    s->t = t->dtype;
    s->n = 1;
    for (int i = 0; i < t->rank; i++) s->n *= t->dims[i];
    s->w = t->dtype == DT_STRING ? t->strw : 0;
    s->data = t->data;
  } else if ((a = ir_attr(c->n, (snprintf(name, sizeof name, "%s_%s", prefix, dflt ? "string" : "strings"), name)))) {
    int64_t n, w;
    s->data = attr_strings(c, name, &n, &w);
    s->t = DT_STRING, s->n = n, s->w = w;
  } else if ((a = ir_attr(c->n, (snprintf(name, sizeof name, "%s_%s", prefix, dflt ? "int64" : "int64s"), name)))) {
    s->t = DT_I64;
    s->n = dflt ? 1 : a->n;
    s->data = dflt ? (const void *)&a->i : (const void *)a->ints;
  } else if ((a = ir_attr(c->n, (snprintf(name, sizeof name, "%s_%s", prefix, dflt ? "float" : "floats"), name)))) {
    s->t = DT_F32;
    s->n = dflt ? 1 : a->n;
    s->data = dflt ? (const void *)&a->f : (const void *)a->floats;
  }
  if (s->t && s->t != DT_STRING && s->t != DT_I64 && s->t != DT_F32 && s->t != DT_I32 &&
      s->t != DT_I16)
    return op_unsupported(c, "%s of type %s; supported: string, int64, int32, int16, float",
                          prefix, dtype_name(s->t));
  return 0;
}

static int infer_label_encoder(OpCtx *c) {
  LeSide k, v, d;
  if (le_side(c, "keys", 0, &k) || le_side(c, "values", 0, &v) || le_side(c, "default", 1, &d))
    return -1;
  if (!k.t || !v.t) return op_invalid(c, "keys and values are required");
  if (k.n != v.n) return op_invalid(c, "%lld keys but %lld values", (long long)k.n, (long long)v.n);
  IrValue *x = op_in(c, 0);
  if (x->dtype != k.t)
    return op_invalid(c, "input '%s' is %s but the keys are %s", x->name, dtype_name(x->dtype),
                      dtype_name(k.t));
  static const int64_t zero64 = 0;
  static const float nanf_ = -0.0f;
  static const char unused[] = "_Unused";
  if (!d.t) { /* ONNX's defaults: "_Unused", -1, -0.0 */
    static const int64_t minus1 = -1;
    static const int32_t minus1_32 = -1;
    static const int16_t minus1_16 = -1;
    d.t = v.t;
    d.n = 1;
    d.w = v.t == DT_STRING ? (int64_t)strlen(unused) : 0;
    d.data = v.t == DT_STRING ? (const void *)unused
             : v.t == DT_I64  ? (const void *)&minus1
             : v.t == DT_I32  ? (const void *)&minus1_32
             : v.t == DT_I16  ? (const void *)&minus1_16
                              : (const void *)&nanf_;
  }
  (void)zero64;
  if (d.t != v.t) return op_invalid(c, "the default is %s, the values %s", dtype_name(d.t), dtype_name(v.t));
  int64_t vw = v.t == DT_STRING ? (v.w > d.w ? v.w : d.w) : 0;
  op_set_out(c, 0, v.t, x->rank, x->dims);
  op_out(c, 0)->strw = vw;
  if (c->n->nin == 1) {
    int64_t kw = k.t == DT_STRING ? (k.w > x->strw ? k.w : x->strw) : 0;
    /* widths: keys as wide as x (the kernel compares at x's width) */
    if (k.t == DT_STRING && kw != k.w) {
      char *b = op_alloc(c->g, (size_t)(k.n * kw + 1));
      for (int64_t i = 0; i < k.n; i++) memcpy(b + i * kw, (const char *)k.data + i * k.w, (size_t)k.w);
      k.data = b;
    }
    add_const_input(c, k.t, k.n, k.data, kw);
    if (v.t == DT_STRING && vw != v.w) {
      char *b = op_alloc(c->g, (size_t)(v.n * vw + 1));
      for (int64_t i = 0; i < v.n; i++) memcpy(b + i * vw, (const char *)v.data + i * v.w, (size_t)v.w);
      v.data = b;
    }
    add_const_input(c, v.t, v.n, v.data, vw);
    char *db = op_alloc(c->g, (size_t)(vw ? vw : 8));
    memcpy(db, d.data, (size_t)(v.t == DT_STRING ? d.w : (int64_t)dtype_size(v.t)));
    add_const_input(c, v.t, 1, db, vw);
  }
  return 0;
}

static int lower_label_encoder(OpCtx *c, KList *l) {
  IrValue *x = op_in(c, 0), *keys = op_in(c, 1), *y = op_out(c, 0);
  if (x->dtype == DT_STRING && x->strw != keys->strw)
    return op_unsupported(c, "input '%s' is wider than the keys", x->name);
  KCall *k = kl_call(l, &K_LABEL_ENCODE);
  kc_i(k, "n", ir_numel(x));
  kc_i(k, "nkeys", ir_numel(keys));
  kc_i(k, "key_type", keys->dtype);
  kc_i(k, "value_type", y->dtype);
  kc_i(k, "kw", keys->strw);
  kc_i(k, "vw", y->strw);
  for (int i = 0; i < 4; i++) kc_arg(k, c->n->in[i]);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  return 0;
}

const OpDef OPS_STRING[] = {
    /* max inputs count the constant inputs the ops add */
    {"StringConcat", "", 20, 2, 2, 1, 1, OPL_KERNEL, 0, infer_concat, lower_concat},
    {"StringSplit", "", 20, 1, 2, 2, 3, OPL_KERNEL, OPF_NO_FOLD, infer_split, lower_split},
    {"StringNormalizer", "", 10, 1, 2, 1, 2, OPL_KERNEL, OPF_NO_FOLD, infer_normalize,
     lower_normalize},
    {"RegexFullMatch", "", 20, 1, 2, 1, 1, OPL_KERNEL, 0, infer_regex, lower_regex},
    {"LabelEncoder", "ai.onnx.ml", 1, 1, 4, 1, 1, OPL_KERNEL, 0, infer_label_encoder,
     lower_label_encoder},
    {NULL},
};
