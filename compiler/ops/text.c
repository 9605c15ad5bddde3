/* text.c - TfIdfVectorizer (opset 9): n-gram counts of int32, int64 or
 * string sequences, [C] or [N, C], weighted by mode TF, IDF or TFIDF
 * (kernels: runtime-mini/kernels/text.c).
 *
 * Inference checks the attributes and builds the trie of the pool's
 * n-grams whose length is in [min_gram_length, max_gram_length] (text.h
 * says its layout); it becomes constant input 1 of the node, the weights
 * input 2. A string pool is numbered first: its distinct strings, sorted,
 * are the keys, and they become input 3, for the kernel that numbers the
 * input's strings before the count.
 *
 * Weights are per n-gram, as the operator's text says and ONNX Runtime
 * reads them (ONNX's reference implementation indexes them by output
 * column instead; the two agree when ngram_indexes is 0, 1, 2, ...). As
 * ONNX Runtime does, gpuxc rejects a pool that holds an n-gram twice or
 * whose n-gram section is not whole n-grams; unlike it, gpuxc accepts a
 * max_gram_length past the sizes ngram_counts gives (there are no such
 * n-grams to find). */
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "text.h"

KERNEL_DEF(K_TFIDF, rt_tfidf, "text.c", RtTfIdf, 4, KA(0), KA(1), KA(2), KA(3));
KERNEL_DEF(K_TFIDF_STR_IDS, rt_tfidf_str_ids, "text.c", RtTfIdfIds, 3, KA(0), KA(1), KA(2));

enum { IN_X, IN_TRIE, IN_WEIGHTS, IN_POOL };

/* The attributes, checked. keys[0..npool) is the pool as int64 keys (a
 * string pool's numbered strings); grams are numbered in pool order. */
typedef struct TfAttrs {
  int mode;
  int64_t min_gram, max_gram, max_skip;
  const IrAttr *counts, *indexes, *weights, *strings;
  const int64_t *keys;
  int64_t npool, cols;
} TfAttrs;

/* One n-gram of the pool, seen as its first len keys while the trie's
 * level len is built. */
typedef struct TfGram {
  const int64_t *keys;
  int64_t len, size, id;
} TfGram;

static int tf_gram_cmp(const void *pa, const void *pb) {
  const TfGram *a = pa, *b = pb;
  for (int64_t i = 0; i < a->len; i++)
    if (a->keys[i] != b->keys[i]) return a->keys[i] < b->keys[i] ? -1 : 1;
  if ((a->size == a->len) != (b->size == b->len)) return a->size == a->len ? -1 : 1;
  return a->id < b->id ? -1 : a->id > b->id;
}

static int tf_same_prefix(const TfGram *a, const TfGram *b, int64_t len) {
  for (int64_t i = 0; i < len; i++)
    if (a->keys[i] != b->keys[i]) return 0;
  return 1;
}

/* A list attribute of type t (NULL if absent; *ok = 0 if of another type,
 * or absent and required; reported). */
static const IrAttr *tf_list(OpCtx *c, const char *name, AttrType t, int required, int *ok) {
  static const char *TYPE[] = {
      [AT_INTS] = "ints", [AT_FLOATS] = "floats", [AT_STRINGS] = "strings"};
  const IrAttr *a = ir_attr(c->n, name);
  if (!*ok) return NULL;
  if (a && a->type != t) {
    *ok = 0;
    op_invalid(c, "attribute '%s' must be of type %s", name, TYPE[t]);
    return NULL;
  }
  if (!a && required) {
    *ok = 0;
    op_invalid(c, "attribute '%s' is required", name);
  }
  return a;
}

/* mode, the gram lengths and the skip count. */
static int tf_scalars(OpCtx *c, TfAttrs *a) {
  static const char *REQ[] = {"mode", "min_gram_length", "max_gram_length", "max_skip_count"};
  static const char *MODES[] = {"TF", "IDF", "TFIDF"};
  for (int i = 0; i < (int)ARRAY_LEN(REQ); i++)
    if (!ir_attr(c->n, REQ[i])) return op_invalid(c, "attribute '%s' is required", REQ[i]);
  int ok = 1;
  const char *mode = op_attr_str(c, "mode", "", &ok);
  a->min_gram = op_attr_int(c, "min_gram_length", 0, &ok);
  a->max_gram = op_attr_int(c, "max_gram_length", 0, &ok);
  a->max_skip = op_attr_int(c, "max_skip_count", 0, &ok);
  if (!ok) return -1;
  a->mode = 0;
  for (int i = 0; i < (int)ARRAY_LEN(MODES); i++)
    if (strcmp(mode, MODES[i]) == 0) a->mode = RT_TFIDF_TF + i;
  if (!a->mode) return op_invalid(c, "mode '%s' is not one of TF, IDF, TFIDF", mode);
  if (a->min_gram < 1)
    return op_invalid(c, "min_gram_length %lld must be >= 1", (long long)a->min_gram);
  if (a->max_gram < a->min_gram)
    return op_invalid(c, "max_gram_length %lld is less than min_gram_length %lld",
                      (long long)a->max_gram, (long long)a->min_gram);
  if (a->max_skip < 0)
    return op_invalid(c, "max_skip_count %lld must be >= 0", (long long)a->max_skip);
  return 0;
}

/* A pool string and its position in pool_strings. */
typedef struct TfStr {
  const char *s;
  int64_t at;
} TfStr;

static int tf_str_cmp(const void *pa, const void *pb) {
  const TfStr *a = pa, *b = pb;
  int r = strcmp(a->s, b->s);
  return r ? r : (a->at < b->at ? -1 : a->at > b->at);
}

/* Numbers a string pool: keys[i] = the rank of strings[i] among the
 * distinct strings, which go sorted, width *pw, to *table (graph memory).
 * Returns the count of distinct strings. */
static int64_t tf_number_strings(OpCtx *c, const IrAttr *s, int64_t *keys, char **table,
                                 int64_t *pw) {
  TfStr *sorted = xmalloc(sizeof(TfStr) * (size_t)s->n);
  int64_t ndist = 0;
  *pw = 1;
  for (int i = 0; i < s->n; i++) {
    sorted[i].s = s->strings[i];
    sorted[i].at = i;
    if ((int64_t)strlen(s->strings[i]) > *pw) *pw = (int64_t)strlen(s->strings[i]);
  }
  qsort(sorted, (size_t)s->n, sizeof(TfStr), tf_str_cmp);
  *table = op_alloc(c->g, (size_t)(s->n * *pw));
  for (int i = 0; i < s->n; i++) {
    if (i == 0 || strcmp(sorted[i].s, sorted[i - 1].s) != 0)
      memcpy(*table + ndist++ * *pw, sorted[i].s, strlen(sorted[i].s));
    keys[sorted[i].at] = ndist - 1;
  }
  free(sorted);
  return ndist;
}

/* The list attributes: pool, ngram_counts, ngram_indexes, weights. */
static int tf_lists(OpCtx *c, TfAttrs *a) {
  int ok = 1;
  const IrAttr *ints = tf_list(c, "pool_int64s", AT_INTS, 0, &ok);
  a->strings = tf_list(c, "pool_strings", AT_STRINGS, 0, &ok);
  a->counts = tf_list(c, "ngram_counts", AT_INTS, 1, &ok);
  a->indexes = tf_list(c, "ngram_indexes", AT_INTS, 1, &ok);
  a->weights = tf_list(c, "weights", AT_FLOATS, 0, &ok);
  if (!ok) return -1;
  if ((ints && ints->n) == (a->strings && a->strings->n))
    return op_invalid(c,
                      "exactly one of the attributes 'pool_int64s' and 'pool_strings' must "
                      "be given, and not empty");
  if (ints && ints->n) {
    a->keys = ints->ints;
    a->npool = ints->n;
    a->strings = NULL;
  } else {
    a->npool = a->strings->n;
  }
  if (a->counts->n == 0) return op_invalid(c, "attribute 'ngram_counts' is empty");
  for (int i = 0; i < a->counts->n; i++) {
    int64_t v = a->counts->ints[i], prev = i ? a->counts->ints[i - 1] : 0;
    if (v < prev || v > a->npool)
      return op_invalid(c, "ngram_counts[%d] = %lld is out of order or past the pool's %lld items",
                        i, (long long)v, (long long)a->npool);
  }
  if (a->indexes->n == 0) return op_invalid(c, "attribute 'ngram_indexes' is empty");
  a->cols = 0;
  for (int i = 0; i < a->indexes->n; i++) {
    int64_t v = a->indexes->ints[i];
    if (v < 0) return op_invalid(c, "ngram_indexes[%d] = %lld is negative", i, (long long)v);
    if (v + 1 > a->cols) a->cols = v + 1;
  }
  if (a->weights && a->weights->n != a->indexes->n)
    return op_invalid(c, "attribute 'weights' has %d values; ngram_indexes has %d", a->weights->n,
                      a->indexes->n);
  return 0;
}

static int tf_attrs(OpCtx *c, TfAttrs *a) {
  memset(a, 0, sizeof *a);
  return tf_scalars(c, a) || tf_lists(c, a) ? -1 : 0;
}

/* The n-grams of lengths min_gram..max_gram into grams (xmalloc'ed, *n set);
 * each has the number of its place in the pool. NULL on error (reported). */
static TfGram *tf_grams(OpCtx *c, const TfAttrs *a, int64_t *n) {
  TfGram *grams = xmalloc(sizeof(TfGram) * (size_t)(a->npool + 1));
  int64_t id = 0;
  *n = 0;
  for (int i = 0; i < a->counts->n; i++) {
    int64_t size = i + 1, start = a->counts->ints[i];
    int64_t end = i + 1 < a->counts->n ? a->counts->ints[i + 1] : a->npool;
    if ((end - start) % size) {
      free(grams);
      op_invalid(c,
                 "the pool has %lld items for %lld-grams (ngram_counts[%d] = %lld to %lld), "
                 "not a multiple of %lld",
                 (long long)(end - start), (long long)size, i, (long long)start, (long long)end,
                 (long long)size);
      return NULL;
    }
    for (int64_t at = start; at < end; at += size, id++)
      if (size >= a->min_gram && size <= a->max_gram)
        grams[(*n)++] = (TfGram){a->keys + at, 0, size, id};
  }
  if (id > a->indexes->n) {
    free(grams);
    op_invalid(c, "the pool holds %lld n-grams but ngram_indexes has %d values, one per n-gram",
               (long long)id, a->indexes->n);
    return NULL;
  }
  return grams;
}

/* Sorts the grams of length >= len by their first len keys (after those of
 * length exactly len ending there) into lv; returns their count. */
static int64_t tf_level(const TfGram *grams, int64_t n, int64_t len, TfGram *lv) {
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++)
    if (grams[i].size >= len) {
      lv[m] = grams[i];
      lv[m++].len = len;
    }
  qsort(lv, (size_t)m, sizeof(TfGram), tf_gram_cmp);
  return m;
}

/* Appends a trie node; returns its index. */
static int64_t tf_node(int64_t **trie, int64_t *nnodes, int64_t *cap, int64_t key, int64_t col,
                       int64_t id) {
  if (*nnodes == *cap) {
    *cap *= 2;
    *trie = xrealloc(*trie, sizeof(int64_t) * RT_TFIDF_NODE * (size_t)*cap);
  }
  int64_t *nd = *trie + *nnodes * RT_TFIDF_NODE;
  nd[0] = key, nd[1] = col, nd[2] = 0, nd[3] = 0, nd[4] = id;
  return (*nnodes)++;
}

/* The trie (text.h) of the grams, level by level: the nodes of level len
 * are the distinct prefixes of length len, in sorted order, so each node's
 * children are consecutive and sorted. xmalloc'ed; NULL if the pool holds
 * an n-gram twice (reported). */
static int64_t *tf_trie(OpCtx *c, const TfAttrs *a, const TfGram *grams, int64_t n,
                        int64_t *nnodes) {
  TfGram *lv = xmalloc(sizeof(TfGram) * (size_t)(n + 1));
  /* the distinct prefixes of the level above (up) and of this one (nx), and their nodes */
  TfGram *up = xmalloc(sizeof(TfGram) * (size_t)(n + 1));
  TfGram *nx = xmalloc(sizeof(TfGram) * (size_t)(n + 1));
  int64_t *up_node = xmalloc(sizeof(int64_t) * (size_t)(n + 1));
  int64_t *nx_node = xmalloc(sizeof(int64_t) * (size_t)(n + 1));
  int64_t cap = 64, *trie = xmalloc(sizeof(int64_t) * RT_TFIDF_NODE * (size_t)cap);
  const TfGram *dup = NULL;
  *nnodes = 0;
  tf_node(&trie, nnodes, &cap, 0, -1, -1);
  for (int64_t len = 1; len <= a->max_gram && !dup; len++) {
    int64_t m = tf_level(grams, n, len, lv), p = 0, nlv = 0;
    if (m == 0) break; /* no longer n-grams */
    for (int64_t i = 0; i < m && !dup; i++) {
      if (i > 0 && tf_same_prefix(&lv[i], &lv[i - 1], len)) {
        if (lv[i].size == len) dup = &lv[i]; /* exact ones sort first */
        continue;
      }
      int64_t parent = 0;
      if (len > 1) {
        while (!tf_same_prefix(&lv[i], &up[p], len - 1)) p++;
        parent = up_node[p];
      }
      int exact = lv[i].size == len;
      int64_t k = tf_node(&trie, nnodes, &cap, lv[i].keys[len - 1],
                          exact ? a->indexes->ints[lv[i].id] : -1, exact ? lv[i].id : -1);
      if (trie[parent * RT_TFIDF_NODE + 3]++ == 0) trie[parent * RT_TFIDF_NODE + 2] = k;
      nx[nlv] = lv[i];
      nx_node[nlv++] = k;
    }
    TfGram *t = up;
    int64_t *tn = up_node;
    up = nx, up_node = nx_node;
    nx = t, nx_node = tn;
  }
  if (dup) {
    op_invalid(c,
               "the %lld-gram at pool item %lld repeats an earlier one; each n-gram may be "
               "in the pool once",
               (long long)dup->size, (long long)(dup->keys - a->keys));
    free(trie);
    trie = NULL;
  }
  free(lv);
  free(up);
  free(nx);
  free(up_node);
  free(nx_node);
  return trie;
}

/* Appends a constant input of n elements of type t (width w for strings);
 * returns its value id. */
static int tf_add_const(OpCtx *c, const char *what, DType t, int64_t n, const void *data,
                        int64_t w) {
  size_t bytes = (size_t)(n * (t == DT_STRING ? w : (int64_t)dtype_size(t)));
  void *buf = op_alloc(c->g, bytes ? bytes : 1);
  memcpy(buf, data, bytes);
  int id = ir_add_const(c->g, arena_printf(&c->g->arena, "%s/%s", c->n->name, what), t, 1, &n, buf);
  c->g->vals[id].strw = t == DT_STRING ? w : 0;
  return id;
}

/* Builds the trie (and numbers a string pool) and appends the constant
 * inputs: trie, weights (or none), the pool's strings. */
static int tf_add_inputs(OpCtx *c, TfAttrs *a) {
  int64_t *keys = NULL, ndist = 0, pw = 1, ngrams, nnodes;
  char *strs = NULL;
  if (a->strings) {
    keys = xmalloc(sizeof(int64_t) * (size_t)a->npool);
    ndist = tf_number_strings(c, a->strings, keys, &strs, &pw);
    a->keys = keys;
  }
  TfGram *grams = tf_grams(c, a, &ngrams);
  int64_t *trie = grams ? tf_trie(c, a, grams, ngrams, &nnodes) : NULL;
  free(grams);
  free(keys);
  a->keys = NULL;
  if (!trie) return -1;
  IrNode *n = c->n;
  int ids[3] = {tf_add_const(c, "trie", DT_I64, nnodes * RT_TFIDF_NODE, trie, 0), -1, -1};
  free(trie);
  if (a->weights) ids[1] = tf_add_const(c, "weights", DT_F32, a->weights->n, a->weights->floats, 0);
  if (a->strings) ids[2] = tf_add_const(c, "pool", DT_STRING, ndist, strs, pw);
  n->nin = a->strings ? 4 : 3;
  n->in = xrealloc(n->in, sizeof(int) * (size_t)n->nin);
  for (int i = 1; i < n->nin; i++) n->in[i] = ids[i - 1];
  return 0;
}

static int infer_tfidf(OpCtx *c) {
  IrValue *x = op_in(c, IN_X);
  if (x->dtype != DT_I32 && x->dtype != DT_I64 && x->dtype != DT_STRING)
    return op_invalid(c,
                      "input X '%s' has type %s; TfIdfVectorizer takes int32, int64 or "
                      "string",
                      x->name, dtype_name(x->dtype));
  TfAttrs a;
  if (tf_attrs(c, &a)) return -1;
  x = op_in(c, IN_X);
  char b[128];
  if (x->rank < 1 || x->rank > 2)
    return op_invalid(c, "input X '%s' must be [C] or [N, C], got %s", x->name,
                      ir_shape_str(x, b, sizeof b));
  if ((x->dtype == DT_STRING) != (a.strings != NULL))
    return op_invalid(c, "input X '%s' is %s but the pool is %s; they must be alike", x->name,
                      dtype_name(x->dtype), a.strings ? "pool_strings" : "pool_int64s");
  int64_t dims[2] = {x->rank == 2 ? x->dims[0] : a.cols, a.cols};
  int rank = x->rank == 2 ? 2 : 1;
  if (tf_add_inputs(c, &a)) return -1;
  op_set_out(c, 0, DT_F32, rank, dims);
  return 0;
}

static int lower_tfidf(OpCtx *c, KList *l) {
  TfAttrs a;
  memset(&a, 0, sizeof a);
  if (tf_scalars(c, &a)) return -1;
  IrValue *x = op_in(c, IN_X), *y = op_out(c, 0);
  int str = x->dtype == DT_STRING;
  int64_t numel = ir_numel(x), scratch = str ? (numel ? numel : 1) * 8 : 0;
  KCall *k;
  if (str) {
    IrValue *pool = op_in(c, IN_POOL);
    k = kl_call(l, &K_TFIDF_STR_IDS);
    kc_i(k, "n", numel);
    kc_i(k, "w", x->strw);
    kc_i(k, "npool", pool->dims[0]);
    kc_i(k, "pw", pool->strw);
    kc_arg(k, c->n->in[IN_X]);
    kc_arg(k, c->n->in[IN_POOL]);
    kc_arg(k, KC_SCRATCH);
    kc_end(k);
    k->scratch_bytes = scratch;
  }
  k = kl_call(l, &K_TFIDF);
  kc_i(k, "rows", x->rank == 2 ? x->dims[0] : 1);
  kc_i(k, "len", x->dims[x->rank - 1]);
  kc_i(k, "cols", y->dims[y->rank - 1]);
  kc_i(k, "min_gram", a.min_gram);
  kc_i(k, "max_gram", a.max_gram);
  kc_i(k, "max_skip", a.max_skip);
  kc_i(k, "mode", a.mode);
  kc_i(k, "x_i32", x->dtype == DT_I32);
  kc_arg(k, str ? KC_SCRATCH : c->n->in[IN_X]);
  kc_arg(k, c->n->in[IN_TRIE]);
  kc_arg(k, op_has_in(c, IN_WEIGHTS) ? c->n->in[IN_WEIGHTS] : KC_NULL);
  kc_arg(k, c->n->out[0]);
  kc_end(k);
  k->scratch_bytes = scratch;
  return 0;
}

const OpDef OPS_TEXT[] = {
    {"TfIdfVectorizer", "", 9, 1, 1, 1, 1, OPL_KERNEL, 0, infer_tfidf, lower_tfidf},
    {NULL},
};
