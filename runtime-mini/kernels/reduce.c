/* reduce.c - the Reduce* ops (RT_RED_*) on float32, float64, the integer
 * types and bool.
 *
 * Each op folds its inputs with one of a few "kinds" (sum, sum of |x|, sum
 * of squares, product, max, min, sum of exp(x - shift)) and then finishes
 * the folded value (mean, sqrt, log...). Two walks:
 *   - per output element, over the reduced dims; the innermost reduced run
 *     is one tight loop, with 16 partial results when contiguous.
 *   - when the last output dim is contiguous in the input but the innermost
 *     reduced dim is not (e.g. reducing over axis 0), whole output rows are
 *     folded at once, so that the input is read contiguously.
 * float64 takes the first walk only; integers and bool load each element
 * into int64 (see the section below). */
#include <math.h>

#include "rt_kernels.h"
#include "rt_scalar.h"

enum { REDUCE_SUM, REDUCE_ABS, REDUCE_SQ, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN, REDUCE_EXP };

/* The kind that op folds with. */
static int reduce_kind(int64_t op) {
  switch (op) {
  case RT_RED_MAX: return REDUCE_MAX;
  case RT_RED_MIN: return REDUCE_MIN;
  case RT_RED_PROD: return REDUCE_PROD;
  case RT_RED_L1: return REDUCE_ABS;
  case RT_RED_L2:
  case RT_RED_SUM_SQUARE: return REDUCE_SQ;
  case RT_RED_LOG_SUM_EXP: return REDUCE_EXP;
  default: return REDUCE_SUM; /* SUM, MEAN, LOG_SUM */
  }
}

/* Steps the multi-index idx over dims[0 .. rank) (last fastest), keeping
 * the offset off in step; returns 0 after the last index. */
static int reduce_next(int64_t rank, const int64_t *dims, const int64_t *strides, int64_t *idx,
                       int64_t *off) {
  int64_t d;
  for (d = rank - 1; d >= 0; d--) {
    *off += strides[d];
    if (++idx[d] < dims[d]) return 1;
    *off -= dims[d] * strides[d];
    idx[d] = 0;
  }
  return 0;
}

/* Number of reduced elements (1 when there are no reduced dims). */
static int64_t reduce_count(const RtReduce *p) {
  int64_t d, n = 1;
  for (d = 0; d < p->red_rank; d++) n *= p->red_dims[d];
  return n;
}

/* ---- float */

static float reduce_identity_f32(int kind) {
  switch (kind) {
  case REDUCE_PROD: return 1.0f;
  case REDUCE_MAX: return -INFINITY;
  case REDUCE_MIN: return INFINITY;
  default: return 0.0f;
  }
}

/* Combines two partial results of kind. */
static float reduce_merge_f32(int kind, float a, float b) {
  switch (kind) {
  case REDUCE_PROD: return a * b;
  case REDUCE_MAX: return rt_max_f32(a, b);
  case REDUCE_MIN: return rt_min_f32(a, b);
  default: return a + b;
  }
}

/* The fold of each kind as an expression of the partial result a and the
 * next value v; M is applied to each (REDUCE_EXP needs shift in scope). */
#define REDUCE_KINDS(M)                         \
  case REDUCE_SUM: M(a + v); break;             \
  case REDUCE_ABS: M(a + fabsf(v)); break;      \
  case REDUCE_SQ: M(a + v * v); break;          \
  case REDUCE_PROD: M(rt_mul_f32(a, v)); break; \
  case REDUCE_MAX: M(rt_max_f32(a, v)); break;  \
  case REDUCE_MIN: M(rt_min_f32(a, v)); break;  \
  default: M(a + expf(v - shift)); break;

/* Four lanes of a block of 16, and nb blocks (see reduce_lanes_f32). */
#define REDUCE_LANE4(q0, EXPR)        \
  for (q = (q0); q < (q0) + 4; q++) { \
    float a = lane[q], v = x[q];      \
    lane[q] = (EXPR);                 \
  }
#define REDUCE_BLOCKS(EXPR)                                                                  \
  for (b = 0; b < nb; b++, x += 16) {                                                        \
    REDUCE_LANE4(0, EXPR) REDUCE_LANE4(4, EXPR) REDUCE_LANE4(8, EXPR) REDUCE_LANE4(12, EXPR) \
  }

/* Folds nb blocks of 16 contiguous values into lane[16]: vector-long loops
 * on a restrict accumulator, which GCC and clang both keep in registers. */
static void reduce_lanes_f32(int kind, const float *restrict x, int64_t nb, float shift,
                             float *restrict lane) {
  int64_t b;
  int q;
  switch (kind) { REDUCE_KINDS(REDUCE_BLOCKS) }
}

/* The rest of a row, one value at a time (see reduce_row_f32). */
#define REDUCE_TAIL(EXPR)        \
  for (; j < n; j++) {           \
    float a = acc, v = x[j * s]; \
    acc = (EXPR);                \
  }

/* Folds n values x[j * s] into acc; shift is used by REDUCE_EXP. */
static float reduce_row_f32(int kind, const float *x, int64_t n, int64_t s, float acc,
                            float shift) {
  int64_t j = 0;
  if (s == 1 && n >= 32 && kind != REDUCE_EXP) {
    float lane[16];
    int q;
    for (q = 0; q < 16; q++) lane[q] = reduce_identity_f32(kind);
    reduce_lanes_f32(kind, x, n / 16, shift, lane);
    for (q = 0; q < 16; q++) acc = reduce_merge_f32(kind, acc, lane[q]);
    j = n / 16 * 16;
  }
  switch (kind) { REDUCE_KINDS(REDUCE_TAIL) }
  return acc;
}

/* Folds the whole reduced region that starts at x. */
static float reduce_walk_f32(const RtReduce *p, const float *x, int kind, float shift) {
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t off = 0, rr = p->red_rank, d;
  float acc = reduce_identity_f32(kind);
  if (rr == 0) return reduce_row_f32(kind, x, 1, 1, acc, shift);
  for (d = 0; d < rr; d++)
    if (p->red_dims[d] <= 0) return acc;
  do {
    acc = reduce_row_f32(kind, x + off, p->red_dims[rr - 1], p->red_strides[rr - 1], acc, shift);
  } while (reduce_next(rr - 1, p->red_dims, p->red_strides, idx, &off));
  return acc;
}

/* The op's result from the folded value. */
static float reduce_finish_f32(int64_t op, float acc, int64_t count, float shift) {
  switch (op) {
  case RT_RED_MEAN: return acc / (float)count;
  case RT_RED_L2: return sqrtf(acc);
  case RT_RED_LOG_SUM: return logf(acc);
  case RT_RED_LOG_SUM_EXP: return isinf(shift) ? shift : shift + logf(acc);
  default: return acc;
  }
}

/* One output element, reading the region at x. */
static float reduce_one_f32(const RtReduce *p, const float *x, int64_t count) {
  float shift = 0.0f;
  if (p->op == RT_RED_LOG_SUM_EXP) shift = reduce_walk_f32(p, x, REDUCE_MAX, 0.0f);
  return reduce_finish_f32(p->op, reduce_walk_f32(p, x, reduce_kind(p->op), shift), count, shift);
}

/* y[j] = fold(y[j], x[j]) for j < n (the row walk). */
static void reduce_fold_rows_f32(int kind, float *restrict y, const float *restrict x, int64_t n) {
  int64_t j, nv = n & ~(int64_t)7;
  switch (kind) {
  case REDUCE_SUM:
    for (j = 0; j < nv; j++) y[j] += x[j];
    for (; j < n; j++) y[j] += x[j];
    break;
  case REDUCE_ABS:
    for (j = 0; j < nv; j++) y[j] += fabsf(x[j]);
    for (; j < n; j++) y[j] += fabsf(x[j]);
    break;
  case REDUCE_SQ:
    for (j = 0; j < nv; j++) y[j] += x[j] * x[j];
    for (; j < n; j++) y[j] += x[j] * x[j];
    break;
  case REDUCE_PROD:
    for (j = 0; j < nv; j++) y[j] *= x[j];
    for (; j < n; j++) y[j] *= x[j];
    break;
  case REDUCE_MAX:
    for (j = 0; j < nv; j++) y[j] = rt_max_f32(y[j], x[j]);
    for (; j < n; j++) y[j] = rt_max_f32(y[j], x[j]);
    break;
  default:
    for (j = 0; j < nv; j++) y[j] = rt_min_f32(y[j], x[j]);
    for (; j < n; j++) y[j] = rt_min_f32(y[j], x[j]);
    break;
  }
}

/* The row walk: the last output dim (length inner, input stride 1) is
 * folded a whole row at a time. Not for LogSumExp. */
static void reduce_rows_f32(const RtReduce *p, const float *x, float *y, int64_t count) {
  int64_t oidx[RT_MAX_RANK] = {0}, ridx[RT_MAX_RANK] = {0};
  int64_t orank = p->out_rank - 1, inner = p->out_dims[orank], ooff = 0, j, d;
  int kind = reduce_kind(p->op), empty = 0;
  for (d = 0; d < p->red_rank; d++) empty |= p->red_dims[d] <= 0;
  do {
    int64_t roff = 0;
    for (j = 0; j < inner; j++) y[j] = reduce_identity_f32(kind);
    if (!empty) {
      do {
        reduce_fold_rows_f32(kind, y, x + ooff + roff, inner);
      } while (reduce_next(p->red_rank, p->red_dims, p->red_strides, ridx, &roff));
    }
    for (j = 0; j < inner; j++) y[j] = reduce_finish_f32(p->op, y[j], count, 0.0f);
    y += inner;
  } while (reduce_next(orank, p->out_dims, p->out_strides, oidx, &ooff));
}

/* True if the row walk suits p. */
static int reduce_by_rows(const RtReduce *p) {
  return p->op != RT_RED_LOG_SUM_EXP && p->out_rank > 0 && p->out_strides[p->out_rank - 1] == 1 &&
         p->red_rank > 0 && p->red_strides[p->red_rank - 1] != 1;
}

RT_API void rt_reduce_f32(const RtReduce *p, const float *x, float *y) {
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t off = 0, d, count = reduce_count(p);
  for (d = 0; d < p->out_rank; d++)
    if (p->out_dims[d] <= 0) return;
  if (reduce_by_rows(p)) {
    reduce_rows_f32(p, x, y, count);
    return;
  }
  do {
    *y++ = reduce_one_f32(p, x + off, count);
  } while (reduce_next(p->out_rank, p->out_dims, p->out_strides, idx, &off));
}

/* ---- float64: the same folds in double, one row of the reduced region at
 * a time (no partial lanes, no row walk). */

#define REDUCE_KINDS_F64(M)                     \
  case REDUCE_SUM: M(a + v); break;             \
  case REDUCE_ABS: M(a + fabs(v)); break;       \
  case REDUCE_SQ: M(a + v * v); break;          \
  case REDUCE_PROD: M(a * v); break;            \
  case REDUCE_MAX: M(rt_max_f64(a, v)); break;  \
  case REDUCE_MIN: M(rt_min_f64(a, v)); break;  \
  default: M(a + exp(v - shift)); break;

#define REDUCE_ROW_F64(EXPR)      \
  for (j = 0; j < n; j++) {       \
    double a = acc, v = x[j * s]; \
    acc = (EXPR);                 \
  }

/* Folds n values x[j * s] into acc; shift is used by REDUCE_EXP. */
static double reduce_row_f64(int kind, const double *x, int64_t n, int64_t s, double acc,
                             double shift) {
  int64_t j;
  switch (kind) { REDUCE_KINDS_F64(REDUCE_ROW_F64) }
  return acc;
}

/* Folds the whole reduced region that starts at x. */
static double reduce_walk_f64(const RtReduce *p, const double *x, int kind, double shift) {
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t off = 0, rr = p->red_rank, d;
  double acc = kind == REDUCE_PROD ? 1.0 : kind == REDUCE_MAX ? -INFINITY
               : kind == REDUCE_MIN ? INFINITY : 0.0;
  if (rr == 0) return reduce_row_f64(kind, x, 1, 1, acc, shift);
  for (d = 0; d < rr; d++)
    if (p->red_dims[d] <= 0) return acc;
  do {
    acc = reduce_row_f64(kind, x + off, p->red_dims[rr - 1], p->red_strides[rr - 1], acc, shift);
  } while (reduce_next(rr - 1, p->red_dims, p->red_strides, idx, &off));
  return acc;
}

static double reduce_one_f64(const RtReduce *p, const double *x, int64_t count) {
  double shift = 0.0, acc;
  if (p->op == RT_RED_LOG_SUM_EXP) shift = reduce_walk_f64(p, x, REDUCE_MAX, 0.0);
  acc = reduce_walk_f64(p, x, reduce_kind(p->op), shift);
  switch (p->op) {
  case RT_RED_MEAN: return acc / (double)count;
  case RT_RED_L2: return sqrt(acc);
  case RT_RED_LOG_SUM: return log(acc);
  case RT_RED_LOG_SUM_EXP: return isinf(shift) ? shift : shift + log(acc);
  default: return acc;
  }
}

RT_API void rt_reduce_f64(const RtReduce *p, const double *x, double *y) {
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t off = 0, d, count = reduce_count(p);
  for (d = 0; d < p->out_rank; d++)
    if (p->out_dims[d] <= 0) return;
  do {
    *y++ = reduce_one_f64(p, x + off, count);
  } while (reduce_next(p->out_rank, p->out_dims, p->out_strides, idx, &off));
}

/* ---- integers and bool. Elements load into int64 (sign- or
 * zero-extended); sums and products wrap (computed unsigned, then
 * truncated to the type); uint64 compares unsigned. A mean divides the
 * wrapped sum, truncating. L2 and LogSum compute in double and convert
 * back saturating at the type's range (NaN gives 0). LogSumExp is max +
 * log(sum of exp(v - max)) with each exp and the log truncated to an
 * integer, as ONNX Runtime computes it (ONNX's reference takes no
 * integers). bool is uint8 whose Min over nothing is true. */

typedef struct ReduceInt {
  int elem, is_signed, is_bool;
} ReduceInt;

static int reduce_is_u64(const ReduceInt *t) { return t->elem == 8 && !t->is_signed; }

static int64_t reduce_load(const ReduceInt *t, const void *x, int64_t i) {
  switch (t->elem) {
  case 1: return t->is_signed ? (int64_t)((const int8_t *)x)[i] : (int64_t)((const uint8_t *)x)[i];
  case 4:
    return t->is_signed ? (int64_t)((const int32_t *)x)[i] : (int64_t)((const uint32_t *)x)[i];
  default: return ((const int64_t *)x)[i];
  }
}

static void reduce_store(const ReduceInt *t, void *y, int64_t i, int64_t v) {
  switch (t->elem) {
  case 1: ((uint8_t *)y)[i] = (uint8_t)(uint64_t)v; break;
  case 4: ((uint32_t *)y)[i] = (uint32_t)(uint64_t)v; break;
  default: ((int64_t *)y)[i] = v; break;
  }
}

/* v as the type holds it: truncated, then extended again. */
static int64_t reduce_wrap(const ReduceInt *t, int64_t v) {
  switch (t->elem) {
  case 1:
    return t->is_signed ? (int64_t)(int8_t)(uint8_t)(uint64_t)v : (int64_t)(uint8_t)(uint64_t)v;
  case 4:
    return t->is_signed ? (int64_t)(int32_t)(uint32_t)(uint64_t)v : (int64_t)(uint32_t)(uint64_t)v;
  default: return v;
  }
}

/* A key that orders the loaded values as the type does (signed int64). */
static int64_t reduce_key(const ReduceInt *t, int64_t v) {
  return reduce_is_u64(t) ? (int64_t)((uint64_t)v ^ UINT64_C(0x8000000000000000)) : v;
}

/* The type's lowest (hi = 0) or highest (hi = 1) value, loaded. */
static int64_t reduce_limit(const ReduceInt *t, int hi) {
  int bits = 8 * t->elem;
  if (t->is_bool) return hi;
  if (t->is_signed) {
    if (bits == 64) return hi ? INT64_MAX : INT64_MIN;
    return hi ? ((int64_t)1 << (bits - 1)) - 1 : -((int64_t)1 << (bits - 1));
  }
  if (!hi) return 0;
  return bits == 64 ? -1 : ((int64_t)1 << bits) - 1;
}

static double reduce_int_to_f64(const ReduceInt *t, int64_t v) {
  return reduce_is_u64(t) ? (double)(uint64_t)v : (double)v;
}

static int64_t reduce_int_from_f64(const ReduceInt *t, double r) {
  int64_t lo = reduce_limit(t, 0), hi = reduce_limit(t, 1);
  if (reduce_is_u64(t)) return (int64_t)rt_cast_u64_f64(r);
  if (t->elem == 8) return rt_cast_i64_f64(r);
  if (r != r) return 0;
  return r <= (double)lo ? lo : r >= (double)hi ? hi : (int64_t)r;
}

/* Folds the region at element base of x with kind (wrapping). */
static int64_t reduce_walk_int(const RtReduce *p, const void *x, int64_t base, const ReduceInt *t,
                               int kind) {
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t off = 0, d;
  int64_t acc = kind == REDUCE_PROD  ? 1
                : kind == REDUCE_MAX ? reduce_limit(t, 0)
                : kind == REDUCE_MIN ? reduce_limit(t, 1)
                                     : 0;
  for (d = 0; d < p->red_rank; d++)
    if (p->red_dims[d] <= 0) return acc;
  do {
    int64_t v = reduce_load(t, x, base + off);
    switch (kind) {
    case REDUCE_SUM: acc = rt_add_i64(acc, v); break;
    case REDUCE_ABS: acc = rt_add_i64(acc, t->is_signed ? rt_abs_i64(v) : v); break;
    case REDUCE_SQ: acc = rt_add_i64(acc, rt_mul_i64(v, v)); break;
    case REDUCE_PROD: acc = rt_mul_i64(acc, v); break;
    case REDUCE_MAX: acc = reduce_key(t, v) > reduce_key(t, acc) ? v : acc; break;
    default: acc = reduce_key(t, v) < reduce_key(t, acc) ? v : acc; break;
    }
  } while (reduce_next(p->red_rank, p->red_dims, p->red_strides, idx, &off));
  return acc;
}

/* Folds the region in double: sum of v * v (sq), of exp(v - shift)
 * truncated (exp), or of v. */
static double reduce_walk_int_f64(const RtReduce *p, const void *x, int64_t base,
                                  const ReduceInt *t, int kind, double shift) {
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t off = 0, d;
  double acc = 0.0;
  for (d = 0; d < p->red_rank; d++)
    if (p->red_dims[d] <= 0) return acc;
  do {
    double v = reduce_int_to_f64(t, reduce_load(t, x, base + off));
    acc += kind == REDUCE_SQ ? v * v : kind == REDUCE_EXP ? floor(exp(v - shift)) : v;
  } while (reduce_next(p->red_rank, p->red_dims, p->red_strides, idx, &off));
  return acc;
}

static int64_t reduce_one_int(const RtReduce *p, const void *x, int64_t base, const ReduceInt *t,
                              int64_t count) {
  double shift;
  int64_t s, m;
  switch (p->op) {
  case RT_RED_MEAN:
    if (count <= 0) return 0;
    s = reduce_wrap(t, reduce_walk_int(p, x, base, t, REDUCE_SUM));
    return reduce_is_u64(t) ? (int64_t)((uint64_t)s / (uint64_t)count) : s / count;
  case RT_RED_L2:
    return reduce_int_from_f64(t, sqrt(reduce_walk_int_f64(p, x, base, t, REDUCE_SQ, 0.0)));
  case RT_RED_LOG_SUM:
    return reduce_int_from_f64(t, log(reduce_walk_int_f64(p, x, base, t, REDUCE_SUM, 0.0)));
  case RT_RED_LOG_SUM_EXP:
    if (count <= 0) return reduce_int_from_f64(t, -INFINITY);
    m = reduce_walk_int(p, x, base, t, REDUCE_MAX);
    shift = reduce_int_to_f64(t, m);
    s = reduce_int_from_f64(t, log(reduce_walk_int_f64(p, x, base, t, REDUCE_EXP, shift)));
    return rt_add_i64(m, s);
  default: return reduce_walk_int(p, x, base, t, reduce_kind(p->op));
  }
}

static void reduce_int(const RtReduce *p, const void *x, void *y, const ReduceInt *t) {
  int64_t idx[RT_MAX_RANK] = {0};
  int64_t off = 0, d, count = reduce_count(p), i = 0;
  for (d = 0; d < p->out_rank; d++)
    if (p->out_dims[d] <= 0) return;
  do {
    reduce_store(t, y, i++, reduce_one_int(p, x, off, t, count));
  } while (reduce_next(p->out_rank, p->out_dims, p->out_strides, idx, &off));
}

RT_API void rt_reduce_i64(const RtReduce *p, const int64_t *x, int64_t *y) {
  static const ReduceInt t = {8, 1, 0};
  reduce_int(p, x, y, &t);
}

RT_API void rt_reduce_u64(const RtReduce *p, const void *x, void *y) {
  static const ReduceInt t = {8, 0, 0};
  reduce_int(p, x, y, &t);
}

RT_API void rt_reduce_i32(const RtReduce *p, const void *x, void *y) {
  static const ReduceInt t = {4, 1, 0};
  reduce_int(p, x, y, &t);
}

RT_API void rt_reduce_u32(const RtReduce *p, const void *x, void *y) {
  static const ReduceInt t = {4, 0, 0};
  reduce_int(p, x, y, &t);
}

RT_API void rt_reduce_i8(const RtReduce *p, const void *x, void *y) {
  static const ReduceInt t = {1, 1, 0};
  reduce_int(p, x, y, &t);
}

RT_API void rt_reduce_u8(const RtReduce *p, const void *x, void *y) {
  static const ReduceInt t = {1, 0, 0};
  reduce_int(p, x, y, &t);
}

/* Max is any, Min is all (of nothing: false and true). */
RT_API void rt_reduce_bool(const RtReduce *p, const void *x, void *y) {
  static const ReduceInt t = {1, 0, 1};
  reduce_int(p, x, y, &t);
}
