/* einsum.c - linear algebra ops: Einsum (opset 12) and Det (opset 11).
 *
 * Einsum takes the whole equation syntax: explicit ("ij,jk->ik") and
 * implicit output, "..." with broadcasting (a dim of 1 broadcasts, for
 * letters too), a label repeated within one term (a diagonal), any number of
 * operands, sums over the labels absent from the output. It is planned here,
 * once, as a chain of runtime-mini kernels (kernels/einsum.c) over the
 * node's scratch:
 *   - one operand: a strided sum straight into the output;
 *   - more: operands are contracted left to right. Each step sorts the
 *     labels of the two operands A and B into batch (both, still needed),
 *     rows (A only), columns (B only) and sum (both, no longer needed) and
 *     runs a batched matrix product. An operand is read in place when each
 *     group of its labels is one stride apart (a transpose costs nothing);
 *     otherwise, or when it has labels of its own to sum, a strided sum
 *     copies it first. The last product writes the output directly when the
 *     output lists its labels as batch, rows, columns (A and B may swap);
 *     otherwise a strided sum permutes the result.
 * Labels of size 1 take no part: a dim of 1 is a broadcast, or a dim any
 * stride reads. */
#include <string.h>

#include "einsum.h"
#include "op.h"

KERNEL_DEF(K_EIN_SUM, rt_einsum_sum, "einsum.c", RtEinsumSum, 2, KA(0), KA(1));
KERNEL_DEF(K_EIN_GEMM, rt_einsum_gemm, "einsum.c", RtEinsumGemm, 3, KA(0), KA(1), KA(2));
KERNEL_DEF(K_DET, rt_det, "einsum.c", RtDet, 3, KA(0), KA(1), KA(2));

/* Labels: 'A'..'Z' are 0..25, 'a'..'z' 26..51 (so ids sort as ASCII does),
 * then one per dim that "..." stands for. */
#define EIN_LETTERS 52
#define EIN_LABELS (EIN_LETTERS + IR_MAX_RANK)
#define EIN_MAX_OPS 64
#define EIN_MAX_EQ 2048

typedef struct EinTerm {
  int n;
  int lab[IR_MAX_RANK];
} EinTerm;

typedef struct EinEq {
  int nops, nell; /* nell: dims of "...", -1 if no term has one */
  EinTerm in[EIN_MAX_OPS], out;
  int64_t size[EIN_LABELS]; /* -1: unused */
} EinEq;

static char ein_char(int lab) {
  return lab < 26 ? (char)('A' + lab) : lab < EIN_LETTERS ? (char)('a' + lab - 26) : '.';
}

static int ein_label(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  return -1;
}

/* Parses one term s[0..len) into letters (ellipsis at *ell, -1 if none). */
static int ein_letters(OpCtx *c, const char *s, int len, int *lab, int *nlab, int *ell) {
  *nlab = 0, *ell = -1;
  for (int i = 0; i < len; i++) {
    if (s[i] == '.') {
      if (i + 3 > len || s[i + 1] != '.' || s[i + 2] != '.')
        return op_invalid(c, "equation term '%.*s': '.' only comes as '...'", len, s);
      if (*ell >= 0) return op_invalid(c, "equation term '%.*s' has two '...'", len, s);
      *ell = *nlab;
      i += 2;
      continue;
    }
    int l = ein_label(s[i]);
    if (l < 0) return op_invalid(c, "equation term '%.*s': '%c' is not a letter", len, s, s[i]);
    if (*nlab == EIN_LABELS)
      return op_invalid(c, "equation term '%.*s' has more than %d labels", len, s, EIN_LABELS);
    lab[(*nlab)++] = l;
  }
  return 0;
}

/* Term k (s[0..len)) of input k: its labels, "..." expanded. */
static int ein_input_term(OpCtx *c, EinEq *e, int k, const char *s, int len) {
  IrValue *x = op_in(c, k);
  int lab[EIN_LABELS], n, ell;
  if (ein_letters(c, s, len, lab, &n, &ell)) return -1;
  int ne = x->rank - n;
  if (ne < 0 || (ell < 0 && ne != 0))
    return op_invalid(c, "equation term '%.*s' has %d labels for input '%s' of rank %d", len, s, n,
                      x->name, x->rank);
  if (ell >= 0 && e->nell >= 0 && e->nell != ne)
    return op_invalid(c,
                      "'...' stands for %d dims in term '%.*s' of input '%s' and for %d dims "
                      "in an earlier term",
                      ne, len, s, x->name, e->nell);
  if (ell >= 0) e->nell = ne;
  EinTerm *t = &e->in[k];
  t->n = 0;
  for (int i = 0; i <= n; i++) {
    if (i == ell)
      for (int j = 0; j < ne; j++) t->lab[t->n++] = EIN_LETTERS + j;
    if (i < n) t->lab[t->n++] = lab[i];
  }
  return 0;
}

/* The label sizes: equal, or 1 (broadcast) across inputs; equal within one. */
static int ein_sizes(OpCtx *c, EinEq *e) {
  for (int l = 0; l < EIN_LABELS; l++) e->size[l] = -1;
  for (int k = 0; k < e->nops; k++) {
    IrValue *x = op_in(c, k);
    int64_t own[EIN_LABELS];
    for (int l = 0; l < EIN_LABELS; l++) own[l] = -1;
    for (int a = 0; a < x->rank; a++) {
      int l = e->in[k].lab[a];
      int64_t d = x->dims[a], *s = &e->size[l];
      if (own[l] >= 0 && own[l] != d)
        return op_invalid(c,
                          "label '%c' repeats in the term of input '%s' over dims of %lld and "
                          "%lld; a diagonal needs equal dims",
                          ein_char(l), x->name, (long long)own[l], (long long)d);
      own[l] = d;
      if (*s < 0 || *s == 1)
        *s = d;
      else if (d != 1 && d != *s)
        return op_invalid(c,
                          "label '%c' has size %lld in input '%s' and %lld in an earlier "
                          "input",
                          ein_char(l), (long long)d, x->name, (long long)*s);
    }
  }
  return 0;
}

/* The output term: explicit (s[0..len)), or implicit when s is NULL. */
static int ein_output(OpCtx *c, EinEq *e, const char *s, int len) {
  int count[EIN_LABELS] = {0}, lab[EIN_LABELS], n = 0, ell = -1, nell = MAX(e->nell, 0);
  for (int k = 0; k < e->nops; k++)
    for (int a = 0; a < e->in[k].n; a++) count[e->in[k].lab[a]]++;
  if (s && ein_letters(c, s, len, lab, &n, &ell)) return -1;
  if (s && ell < 0 && nell > 0)
    return op_invalid(c, "the inputs have '...' for %d dims, but the output '%.*s' has no '...'",
                      nell, len, s);
  for (int i = 0; s && i < n; i++) {
    if (!count[lab[i]])
      return op_invalid(c, "output label '%c' is in no input term", ein_char(lab[i]));
    for (int j = 0; j < i; j++)
      if (lab[j] == lab[i])
        return op_invalid(c, "output label '%c' appears twice", ein_char(lab[i]));
  }
  EinTerm *t = &e->out;
  t->n = 0;
  if (!s) { /* "..." first, then the letters seen once, in ASCII order */
    for (int j = 0; j < nell; j++) lab[n++] = EIN_LETTERS + j;
    for (int l = 0; l < EIN_LETTERS; l++)
      if (count[l] == 1) {
        if (n == IR_MAX_RANK)
          return op_unsupported(c, "the output would have more than %d dims", IR_MAX_RANK);
        lab[n++] = l;
      }
    ell = -1;
  }
  if (n + (ell >= 0 ? nell : 0) > IR_MAX_RANK)
    return op_unsupported(c, "the output would have more than %d dims", IR_MAX_RANK);
  for (int i = 0; i <= n; i++) {
    if (i == ell)
      for (int j = 0; j < nell; j++) t->lab[t->n++] = EIN_LETTERS + j;
    if (i < n) t->lab[t->n++] = lab[i];
  }
  return 0;
}

/* All inputs present, of one type gpuxc has kernels for. */
static int ein_types(OpCtx *c) {
  static const DType T[] = {DT_F32, DT_F64, DT_I8,  DT_U8,  DT_I16,  DT_U16,
                            DT_I32, DT_U32, DT_I64, DT_U64, DT_UNDEF};
  for (int k = 0; k < c->n->nin; k++) {
    if (!op_has_in(c, k)) return op_invalid(c, "input %d is missing", k);
    if (op_check_type(c, k, T)) return -1;
    if (op_in(c, k)->dtype != op_in(c, 0)->dtype)
      return op_invalid(c, "input '%s' has type %s; input '%s' has %s", op_in(c, k)->name,
                        dtype_name(op_in(c, k)->dtype), op_in(c, 0)->name,
                        dtype_name(op_in(c, 0)->dtype));
  }
  return 0;
}

/* Checks the attribute, the inputs and the equation; fills e. */
static int ein_parse(OpCtx *c, EinEq *e) {
  int ok = 1;
  const char *eq = op_attr_str(c, "equation", NULL, &ok);
  if (!ok || ein_types(c)) return -1;
  if (!eq) return op_invalid(c, "attribute 'equation' is required");
  e->nops = c->n->nin, e->nell = -1;
  char buf[EIN_MAX_EQ];
  int len = 0;
  for (const char *s = eq; *s; s++)
    if (*s != ' ') {
      if (len == EIN_MAX_EQ - 1)
        return op_unsupported(c, "equation of more than %d characters", EIN_MAX_EQ - 1);
      buf[len++] = *s;
    }
  buf[len] = '\0';
  const char *arrow = strstr(buf, "->");
  int lhs = arrow ? (int)(arrow - buf) : len, terms = 1;
  if (arrow && strstr(arrow + 2, "->"))
    return op_invalid(c, "equation '%s' has more than one '->'", eq);
  for (int i = 0; i < lhs; i++) terms += buf[i] == ',';
  if (terms != e->nops)
    return op_invalid(c, "equation '%s' has %d input terms for %d inputs", eq, terms, e->nops);
  for (int i = 0, k = 0, start = 0; i <= lhs; i++) {
    if (i < lhs && buf[i] != ',') continue;
    if (ein_input_term(c, e, k++, buf + start, i - start)) return -1;
    start = i + 1;
  }
  if (ein_sizes(c, e)) return -1;
  return arrow ? ein_output(c, e, arrow + 2, len - lhs - 2) : ein_output(c, e, NULL, 0);
}

static int infer_einsum(OpCtx *c) {
  EinEq e;
  if (ein_parse(c, &e)) return -1;
  int64_t dims[IR_MAX_RANK];
  for (int i = 0; i < e.out.n; i++) dims[i] = e.size[e.out.lab[i]];
  op_set_out(c, 0, op_in(c, 0)->dtype, e.out.n, dims);
  return 0;
}

/* ---- Einsum lowering ---- */

/* An operand as the kernels read it: its labels of size > 1 (those it
 * broadcasts left out), each with its stride in elements (the sum of the
 * strides of its dims for a diagonal). */
typedef struct EinView {
  int val;     /* value id, or KC_SCRATCH */
  int64_t off; /* elements */
  int n;
  int lab[EIN_LABELS];
  int64_t stride[EIN_LABELS];
} EinView;

typedef struct EinPlan {
  OpCtx *c;
  KList *l;
  const EinEq *e;
  DType type;
  int64_t used; /* scratch elements handed out */
} EinPlan;

/* The label groups of one product of A and B. */
typedef struct EinGroups {
  int bat[EIN_LABELS], m[EIN_LABELS], n[EIN_LABELS], k[EIN_LABELS];
  int ra[EIN_LABELS], rb[EIN_LABELS]; /* summed in A or B alone */
  int nbat, nm, nn, nk, nra, nrb;
} EinGroups;

static int ein_pos(const EinView *v, int lab) {
  for (int i = 0; i < v->n; i++)
    if (v->lab[i] == lab) return i;
  return -1;
}

static int64_t ein_numel(const EinPlan *p, const int *labs, int n) {
  int64_t size = 1;
  for (int i = 0; i < n; i++) size *= p->e->size[labs[i]];
  return size;
}

static void ein_input_view(const EinPlan *p, int k, EinView *v) {
  IrValue *x = op_in(p->c, k);
  int64_t st = 1, strides[IR_MAX_RANK];
  for (int a = x->rank - 1; a >= 0; a--) strides[a] = st, st *= x->dims[a];
  v->val = p->c->n->in[k], v->off = 0, v->n = 0;
  for (int a = 0; a < x->rank; a++) {
    int l = p->e->in[k].lab[a], i = ein_pos(v, l);
    if (p->e->size[l] <= 1 || x->dims[a] == 1) continue;
    if (i < 0) i = v->n++, v->lab[i] = l, v->stride[i] = 0;
    v->stride[i] += strides[a];
  }
}

/* A contiguous view of labs[0..n) at (val, off). */
static void ein_dense(const EinPlan *p, EinView *v, int val, int64_t off, const int *labs, int n) {
  int64_t st = 1;
  v->val = val, v->off = off, v->n = n;
  for (int i = n - 1; i >= 0; i--)
    v->lab[i] = labs[i], v->stride[i] = st, st *= p->e->size[labs[i]];
}

/* A contiguous view of labs[0..n) in new scratch (64-byte aligned). */
static void ein_scratch(EinPlan *p, EinView *v, const int *labs, int n) {
  int64_t align = 64 / (int64_t)dtype_size(p->type);
  int64_t off = (p->used + align - 1) / align * align;
  p->used = off + ein_numel(p, labs, n);
  ein_dense(p, v, KC_SCRATCH, off, labs, n);
}

/* Merges neighbouring dims that one stride walks (the outer one's stride is
 * the inner one's times its size); returns the new count. */
static int ein_merge(int64_t *dims, int64_t *strides, int n) {
  int r = 0;
  for (int i = 0; i < n; i++) {
    if (r && strides[r - 1] == dims[i] * strides[i]) {
      dims[r - 1] *= dims[i], strides[r - 1] = strides[i];
      continue;
    }
    dims[r] = dims[i], strides[r] = strides[i], r++;
  }
  return r;
}

/* y (contiguous) = x summed over red[0..nred); every label of y is in x. */
static int ein_sum_call(EinPlan *p, const EinView *x, const EinView *y, const int *red, int nred) {
  int64_t dims[EIN_LABELS], strides[EIN_LABELS], rdims[EIN_LABELS], rstrides[EIN_LABELS];
  for (int i = 0; i < y->n; i++)
    dims[i] = p->e->size[y->lab[i]], strides[i] = x->stride[ein_pos(x, y->lab[i])];
  for (int i = 0; i < nred; i++) { /* by falling stride: the innermost loop walks the least */
    int64_t d = p->e->size[red[i]], s = x->stride[ein_pos(x, red[i])];
    int j = i;
    for (; j > 0 && rstrides[j - 1] < s; j--)
      rdims[j] = rdims[j - 1], rstrides[j] = rstrides[j - 1];
    rdims[j] = d, rstrides[j] = s;
  }
  int rank = ein_merge(dims, strides, y->n), rrank = ein_merge(rdims, rstrides, nred);
  if (rank > RT_MAX_RANK || rrank > RT_MAX_RANK)
    return op_unsupported(p->c, "an intermediate result of the equation needs more than %d dims",
                          RT_MAX_RANK);
  KCall *k = kl_call(p->l, &K_EIN_SUM);
  kc_i(k, "type", p->type);
  kc_i(k, "x_off", x->off);
  kc_i(k, "y_off", y->off);
  kc_i(k, "rank", rank);
  kc_i(k, "red_rank", rrank);
  kc_iv(k, "dims", dims, rank, RT_MAX_RANK);
  kc_iv(k, "strides", strides, rank, RT_MAX_RANK);
  kc_iv(k, "red_dims", rdims, rrank, RT_MAX_RANK);
  kc_iv(k, "red_strides", rstrides, rrank, RT_MAX_RANK);
  kc_arg(k, x->val);
  kc_arg(k, y->val);
  kc_end(k);
  return 0;
}

/* Whether labs[0..n) of v are one stride apart in that order; *stride is
 * the innermost one's (0 for none). */
static int ein_group(const EinPlan *p, const EinView *v, const int *labs, int n, int64_t *stride) {
  *stride = 0;
  for (int i = 0; i < n; i++) {
    int64_t s = v->stride[ein_pos(v, labs[i])];
    if (i && *stride != s * p->e->size[labs[i]]) return 0;
    *stride = s;
  }
  return 1;
}

/* Whether A (B) can be read in place: nothing of its own to sum, and
 * batch, rows and sum (batch, sum and columns) groups one stride each. */
static int ein_in_place(const EinPlan *p, const EinView *v, const EinGroups *g, int is_b) {
  int64_t s;
  return !(is_b ? g->nrb : g->nra) && ein_group(p, v, g->bat, g->nbat, &s) &&
         ein_group(p, v, g->k, g->nk, &s) &&
         ein_group(p, v, is_b ? g->n : g->m, is_b ? g->nn : g->nm, &s);
}

static int ein_has(const int *labs, int n, int lab) {
  for (int i = 0; i < n; i++)
    if (labs[i] == lab) return 1;
  return 0;
}

/* Puts labs[0..n) in the order in which the list order[0..no) has them. */
static void ein_sort_by(int *labs, int n, const int *order, int no) {
  int out[EIN_LABELS], m = 0;
  for (int i = 0; i < no; i++)
    if (ein_has(labs, n, order[i])) out[m++] = order[i];
  if (m == n) memcpy(labs, out, sizeof(int) * (size_t)n);
}

/* Appends labs[0..n) to list (length *len). */
static void ein_append(int *list, int *len, const int *labs, int n) {
  for (int i = 0; i < n; i++) list[(*len)++] = labs[i];
}

/* The labels of size > 1 of the output term, in order. */
static int ein_out_labels(const EinPlan *p, int *labs) {
  int n = 0;
  for (int i = 0; i < p->e->out.n; i++)
    if (p->e->size[p->e->out.lab[i]] > 1) labs[n++] = p->e->out.lab[i];
  return n;
}

static void ein_classify(const EinView *a, const EinView *b, const int *needed, EinGroups *g) {
  g->nbat = g->nm = g->nn = g->nk = g->nra = g->nrb = 0;
  for (int i = 0; i < a->n; i++) {
    int l = a->lab[i], in_b = ein_pos(b, l) >= 0;
    if (in_b && needed[l])
      g->bat[g->nbat++] = l;
    else if (in_b)
      g->k[g->nk++] = l;
    else if (needed[l])
      g->m[g->nm++] = l;
    else
      g->ra[g->nra++] = l;
  }
  for (int i = 0; i < b->n; i++) {
    int l = b->lab[i];
    if (ein_pos(a, l) >= 0) continue;
    if (needed[l])
      g->n[g->nn++] = l;
    else
      g->rb[g->nrb++] = l;
  }
}

/* For the last product: orders the batch, row and column groups as the
 * output lists them. Returns whether the output is then batch, rows,
 * columns, so that the product writes it in place; *swap: it is batch,
 * columns, rows (A and B trade places). */
static int ein_out_order(const EinPlan *p, EinGroups *g, int *swap) {
  int out[EIN_LABELS], n = ein_out_labels(p, out), fwd = 1, back = 1, prev = 0;
  static const int BACK[3] = {0, 2, 1};
  ein_sort_by(g->bat, g->nbat, out, n);
  ein_sort_by(g->m, g->nm, out, n);
  ein_sort_by(g->n, g->nn, out, n);
  for (int i = 0; i < n; i++) {
    int cls = ein_has(g->bat, g->nbat, out[i]) ? 0 : ein_has(g->m, g->nm, out[i]) ? 1 : 2;
    if (i) fwd &= prev <= cls, back &= BACK[prev] <= BACK[cls];
    prev = cls;
  }
  *swap = !fwd && back;
  return fwd || back;
}

static void ein_swap(EinView *a, EinView *b, EinGroups *g) {
  EinView t = *a;
  *a = *b, *b = t;
  EinGroups h = *g;
  memcpy(g->m, h.n, sizeof g->m), memcpy(g->n, h.m, sizeof g->n);
  memcpy(g->ra, h.rb, sizeof g->ra), memcpy(g->rb, h.ra, sizeof g->rb);
  g->nm = h.nn, g->nn = h.nm, g->nra = h.nrb, g->nrb = h.nra;
}

/* The order of the sum labels: A's, or B's when that copies fewer operands. */
static void ein_pick_k(const EinPlan *p, const EinView *a, const EinView *b, EinGroups *g) {
  int cost = !ein_in_place(p, a, g, 0) + !ein_in_place(p, b, g, 1), keep[EIN_LABELS];
  if (!cost) return;
  memcpy(keep, g->k, sizeof keep);
  ein_sort_by(g->k, g->nk, b->lab, b->n);
  if (!ein_in_place(p, a, g, 0) + !ein_in_place(p, b, g, 1) >= cost)
    memcpy(g->k, keep, sizeof keep);
}

/* Copies A as [batch, rows, sum] (B as [batch, sum, columns]) into scratch,
 * summing its own labels. */
static int ein_copy(EinPlan *p, EinView *v, const EinGroups *g, int is_b) {
  int labs[EIN_LABELS], n = 0;
  EinView d;
  ein_append(labs, &n, g->bat, g->nbat);
  if (!is_b) ein_append(labs, &n, g->m, g->nm);
  ein_append(labs, &n, g->k, g->nk);
  if (is_b) ein_append(labs, &n, g->n, g->nn);
  ein_scratch(p, &d, labs, n);
  if (ein_sum_call(p, v, &d, is_b ? g->rb : g->ra, is_b ? g->nrb : g->nra)) return -1;
  *v = d;
  return 0;
}

static void ein_gemm_call(EinPlan *p, const EinView *a, const EinView *b, const EinView *c,
                          const EinGroups *g) {
  int64_t a_bs, a_ms, a_ks, b_bs, b_ks, b_ns;
  ein_group(p, a, g->bat, g->nbat, &a_bs);
  ein_group(p, a, g->m, g->nm, &a_ms);
  ein_group(p, a, g->k, g->nk, &a_ks);
  ein_group(p, b, g->bat, g->nbat, &b_bs);
  ein_group(p, b, g->k, g->nk, &b_ks);
  ein_group(p, b, g->n, g->nn, &b_ns);
  KCall *k = kl_call(p->l, &K_EIN_GEMM);
  kc_i(k, "type", p->type);
  kc_i(k, "batch", ein_numel(p, g->bat, g->nbat));
  kc_i(k, "m", ein_numel(p, g->m, g->nm));
  kc_i(k, "n", ein_numel(p, g->n, g->nn));
  kc_i(k, "k", ein_numel(p, g->k, g->nk));
  kc_i(k, "a_off", a->off);
  kc_i(k, "a_bs", a_bs);
  kc_i(k, "a_ms", a_ms);
  kc_i(k, "a_ks", a_ks);
  kc_i(k, "b_off", b->off);
  kc_i(k, "b_bs", b_bs);
  kc_i(k, "b_ks", b_ks);
  kc_i(k, "b_ns", b_ns);
  kc_i(k, "c_off", c->off);
  kc_arg(k, a->val);
  kc_arg(k, b->val);
  kc_arg(k, c->val);
  kc_end(k);
}

/* Contracts *cur with input j; *cur becomes the result. */
static int ein_step(EinPlan *p, EinView *cur, int j) {
  const EinEq *e = p->e;
  int last = j == e->nops - 1, needed[EIN_LABELS] = {0}, swap = 0, direct = 0;
  for (int i = 0; i < e->out.n; i++) needed[e->out.lab[i]] = 1;
  for (int k = j + 1; k < e->nops; k++)
    for (int i = 0; i < e->in[k].n; i++) needed[e->in[k].lab[i]] = 1;
  EinView a = *cur, b, c;
  EinGroups g;
  ein_input_view(p, j, &b);
  ein_classify(&a, &b, needed, &g);
  if (last) direct = ein_out_order(p, &g, &swap);
  if (swap) ein_swap(&a, &b, &g);
  ein_pick_k(p, &a, &b, &g);
  if (!ein_in_place(p, &a, &g, 0) && ein_copy(p, &a, &g, 0)) return -1;
  if (!ein_in_place(p, &b, &g, 1) && ein_copy(p, &b, &g, 1)) return -1;
  int labs[EIN_LABELS], n = 0;
  ein_append(labs, &n, g.bat, g.nbat);
  ein_append(labs, &n, g.m, g.nm);
  ein_append(labs, &n, g.n, g.nn);
  if (direct)
    ein_dense(p, &c, p->c->n->out[0], 0, labs, n);
  else
    ein_scratch(p, &c, labs, n);
  ein_gemm_call(p, &a, &b, &c, &g);
  *cur = c;
  if (!last || direct) return 0;
  EinView y;
  n = ein_out_labels(p, labs);
  ein_dense(p, &y, p->c->n->out[0], 0, labs, n);
  return ein_sum_call(p, &c, &y, NULL, 0);
}

/* A sum over an empty label: the output is zeros (nothing is read). */
static void ein_zeros(EinPlan *p) {
  int64_t n = ir_numel(op_out(p->c, 0)), zero = 0;
  KCall *k = kl_call(p->l, &K_EIN_SUM);
  kc_i(k, "type", p->type);
  kc_i(k, "x_off", 0);
  kc_i(k, "y_off", 0);
  kc_i(k, "rank", 1);
  kc_i(k, "red_rank", 1);
  kc_iv(k, "dims", &n, 1, RT_MAX_RANK);
  kc_iv(k, "strides", &zero, 1, RT_MAX_RANK);
  kc_iv(k, "red_dims", &zero, 1, RT_MAX_RANK);
  kc_iv(k, "red_strides", &zero, 1, RT_MAX_RANK);
  kc_arg(k, p->c->n->out[0]);
  kc_arg(k, p->c->n->out[0]);
  kc_end(k);
}

static int lower_einsum(OpCtx *c, KList *l) {
  EinEq e;
  if (ein_parse(c, &e)) return -1;
  EinPlan p = {c, l, &e, op_in(c, 0)->dtype, 0};
  int first = l->n;
  if (ir_numel(op_out(c, 0)) == 0) return 0;
  for (int lab = 0; lab < EIN_LABELS; lab++)
    if (e.size[lab] == 0) {
      ein_zeros(&p);
      return 0;
    }
  EinView cur;
  ein_input_view(&p, 0, &cur);
  if (e.nops == 1) {
    int out[EIN_LABELS], red[EIN_LABELS], n = ein_out_labels(&p, out), nred = 0;
    for (int i = 0; i < cur.n; i++)
      if (!ein_has(out, n, cur.lab[i])) red[nred++] = cur.lab[i];
    EinView y;
    ein_dense(&p, &y, c->n->out[0], 0, out, n);
    if (ein_sum_call(&p, &cur, &y, red, nred)) return -1;
  }
  for (int j = 1; j < e.nops; j++)
    if (ein_step(&p, &cur, j)) return -1;
  for (int i = first; i < l->n; i++)
    l->calls[i].scratch_bytes = p.used * (int64_t)dtype_size(p.type);
  return 0;
}

/* ---- Det: [..., M, M] -> [...] ---- */

static int det_check(OpCtx *c) {
  static const DType T[] = {DT_F32, DT_F64, DT_UNDEF};
  if (op_check_type(c, 0, T)) return -1;
  IrValue *x = op_in(c, 0);
  if (x->rank < 2)
    return op_invalid(c, "input '%s' must have rank >= 2 ([..., M, M]), got %d", x->name, x->rank);
  if (x->dims[x->rank - 1] != x->dims[x->rank - 2]) {
    char b[128];
    return op_invalid(c, "input '%s' %s is not made of square matrices", x->name,
                      ir_shape_str(x, b, sizeof b));
  }
  return 0;
}

static int infer_det(OpCtx *c) {
  if (det_check(c)) return -1;
  IrValue *x = op_in(c, 0);
  op_set_out(c, 0, x->dtype, x->rank - 2, x->dims);
  return 0;
}

static int lower_det(OpCtx *c, KList *l) {
  if (det_check(c)) return -1;
  IrValue *x = op_in(c, 0);
  int64_t m = x->dims[x->rank - 1], batch = 1;
  for (int i = 0; i < x->rank - 2; i++) batch *= x->dims[i];
  if (batch == 0) return 0;
  KCall *k = kl_call(l, &K_DET);
  kc_i(k, "type", x->dtype);
  kc_i(k, "batch", batch);
  kc_i(k, "m", m);
  kc_arg(k, c->n->in[0]);
  kc_arg(k, c->n->out[0]);
  kc_arg(k, KC_SCRATCH);
  k->scratch_bytes = m * m * (int64_t)sizeof(double);
  kc_end(k);
  return 0;
}

const OpDef OPS_EINSUM[] = {
    {"Einsum", "", 12, 1, EIN_MAX_OPS, 1, 1, OPL_KERNEL, 0, infer_einsum, lower_einsum},
    {"Det", "", 11, 1, 1, 1, 1, OPL_KERNEL, 0, infer_det, lower_det},
    {NULL},
};
