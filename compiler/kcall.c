/* kcall.c - the table of the kernels shared by several op files, and the
 * KCall builder. (Kernels used by one op file are defined there, with
 * KERNEL_DEF.) */
#include "kcall.h"

#include <string.h>

#include "rt_kernels.h"
#include "util.h"

/* Thunks: call a kernel with its operands from an array (the reference
 * executor's uniform calling convention). */
#define A(i) args[i]
#define THUNK(fn, P, ...) \
  static void th_##fn(const void *p, void *const *args) { fn((const P *)p, __VA_ARGS__); }

THUNK(rt_conv_f32, RtConv, A(0), A(1), A(2), A(3), A(4))
THUNK(rt_conv_transpose_f32, RtConvTranspose, A(0), A(1), A(2), A(3), A(4))
THUNK(rt_gemm_f32, RtGemm, A(0), A(1), A(2), A(3))
THUNK(rt_matmul_f32, RtMatMul, A(0), A(1), A(2), A(3))
THUNK(rt_maxpool_f32, RtPool, A(0), A(1))
THUNK(rt_avgpool_f32, RtPool, A(0), A(1))
THUNK(rt_softmax_f32, RtSoftmax, A(0), A(1))
THUNK(rt_layernorm_f32, RtLayerNorm, A(0), A(1), A(2), A(3), A(4), A(5))
THUNK(rt_batchnorm_f32, RtBatchNorm, A(0), A(1), A(2), A(3), A(4), A(5))
THUNK(rt_copy, RtCopy, A(0), A(1))
THUNK(rt_gather, RtGather, A(0), A(1), A(2))
THUNK(rt_pad, RtPad, A(0), A(1), A(2))
THUNK(rt_reduce_f32, RtReduce, A(0), A(1))
THUNK(rt_reduce_i64, RtReduce, A(0), A(1))
THUNK(rt_range_f32, RtRange, A(0), A(1), A(2))
THUNK(rt_range_i64, RtRange, A(0), A(1), A(2))
THUNK(rt_fill, RtFill, A(0), A(1))

#define K(fn, src, P, nargs) {#fn, src, #P, sizeof(P), nargs, th_##fn}
static const KernelDef KERNELS[] = {
    K(rt_conv_f32, "conv.c", RtConv, 5),
    K(rt_conv_transpose_f32, "conv.c", RtConvTranspose, 5),
    K(rt_gemm_f32, "gemm.c", RtGemm, 4),
    K(rt_matmul_f32, "gemm.c", RtMatMul, 4),
    K(rt_maxpool_f32, "pool.c", RtPool, 2),
    K(rt_avgpool_f32, "pool.c", RtPool, 2),
    K(rt_softmax_f32, "softmax.c", RtSoftmax, 2),
    K(rt_layernorm_f32, "norm.c", RtLayerNorm, 6),
    K(rt_batchnorm_f32, "norm.c", RtBatchNorm, 6),
    K(rt_copy, "copy.c", RtCopy, 2),
    K(rt_gather, "copy.c", RtGather, 3),
    K(rt_pad, "copy.c", RtPad, 3),
    K(rt_reduce_f32, "reduce.c", RtReduce, 2),
    K(rt_reduce_i64, "reduce.c", RtReduce, 2),
    K(rt_range_f32, "misc.c", RtRange, 3),
    K(rt_range_i64, "misc.c", RtRange, 3),
    K(rt_fill, "misc.c", RtFill, 2),
};

const KernelDef *kernel_find(const char *fn) {
  for (size_t i = 0; i < ARRAY_LEN(KERNELS); i++)
    if (strcmp(KERNELS[i].fn, fn) == 0) return &KERNELS[i];
  BUG("unknown kernel '%s'", fn);
}

KCall *kl_call(KList *l, const KernelDef *def) {
  GROW(l->calls, l->cap, l->n + 1);
  KCall *k = &l->calls[l->n++];
  memset(k, 0, sizeof *k);
  k->k = def;
  return k;
}

KCall *kl_add(KList *l, const char *fn) { return kl_call(l, kernel_find(fn)); }

void kl_reset(KList *l) { l->n = 0; }

void kl_free(KList *l) {
  free(l->calls);
  memset(l, 0, sizeof *l);
}

static KField *add_field(KCall *k, const char *name, char type, int n, size_t elem) {
  ENSURE(k->nf < KC_MAX_FIELDS && n <= KC_MAX_ARR);
  k->size = (k->size + elem - 1) & ~(elem - 1);
  ENSURE(k->size + elem * (size_t)n <= KC_MAX_BYTES);
  KField *f = &k->f[k->nf++];
  memset(f, 0, sizeof *f);
  f->name = name;
  f->type = type;
  f->n = n;
  return f;
}

void kc_i(KCall *k, const char *name, int64_t v) {
  KField *f = add_field(k, name, 'i', 1, 8);
  f->iv[0] = v;
  memcpy(k->buf + k->size, &v, 8);
  k->size += 8;
}

void kc_f(KCall *k, const char *name, float v) {
  KField *f = add_field(k, name, 'f', 1, 4);
  f->fv[0] = v;
  memcpy(k->buf + k->size, &v, 4);
  k->size += 4;
}

void kc_iv(KCall *k, const char *name, const int64_t *v, int n, int cap) {
  ENSURE(n <= cap);
  KField *f = add_field(k, name, 'I', cap, 8);
  for (int i = 0; i < cap; i++) {
    int64_t x = i < n ? v[i] : 0;
    f->iv[i] = x;
    memcpy(k->buf + k->size, &x, 8);
    k->size += 8;
  }
}

void kc_fv(KCall *k, const char *name, const float *v, int n, int cap) {
  ENSURE(n <= cap);
  KField *f = add_field(k, name, 'F', cap, 4);
  for (int i = 0; i < cap; i++) {
    float x = i < n ? v[i] : 0.0f;
    f->fv[i] = x;
    memcpy(k->buf + k->size, &x, 4);
    k->size += 4;
  }
}

void kc_arg(KCall *k, int value_id) {
  ENSURE(k->nargs < KC_MAX_ARGS);
  k->args[k->nargs++] = value_id;
}

void kc_end(KCall *k) {
  size_t align = 4;
  for (int i = 0; i < k->nf; i++)
    if (k->f[i].type == 'i' || k->f[i].type == 'I') align = 8;
  size_t size = (k->size + align - 1) & ~(align - 1);
  if (size != k->k->psize)
    BUG("%s: fields give %zu bytes, struct %s has %zu", k->k->fn, size, k->k->ptype,
        k->k->psize);
  if (k->nargs != k->k->nargs)
    BUG("%s: %d operands given, kernel takes %d", k->k->fn, k->nargs, k->k->nargs);
  k->size = size;
}
