/* kcall.h - a call of a runtime-mini kernel, described once for every use.
 *
 * Lowering an op fills KCalls: the kernel, its parameter struct field by
 * field, and its operands. The C target prints the struct as a designated
 * initializer and the call; gpuxc's reference executor runs the same kernel
 * on the same bytes (the builder lays the struct out as the C compiler does,
 * and kc_end checks the size against the real struct). */
#ifndef GPUXC_KCALL_H
#define GPUXC_KCALL_H

#include <stddef.h>
#include <stdint.h>

#define KC_MAX_FIELDS 24
#define KC_MAX_ARR 8
#define KC_MAX_BYTES 512
#define KC_MAX_ARGS 8

/* Special operands. */
#define KC_NULL (-1)    /* a NULL pointer (absent optional operand) */
#define KC_SCRATCH (-2) /* the node's scratch buffer */
#define KC_THREADS (-3) /* the context's thread pool (NULL where there is none) */

typedef void (*KernelThunk)(const void *params, void *const *args);

typedef struct KernelDef {
  const char *fn;     /* "rt_conv_f32" */
  const char *src;    /* runtime-mini/kernels file that defines it */
  const char *ptype;  /* parameter struct type */
  size_t psize;       /* sizeof the struct */
  int nargs;          /* operands after the params pointer */
  KernelThunk thunk;  /* calls it with args[0..nargs) */
} KernelDef;

typedef struct KField {
  const char *name;
  char type; /* 'i' int64, 'f' float, 'I' int64[], 'F' float[] */
  int n;     /* array length (the struct's) */
  int64_t iv[KC_MAX_ARR];
  float fv[KC_MAX_ARR];
} KField;

typedef struct KCall {
  const KernelDef *k;
  int nf;
  KField f[KC_MAX_FIELDS];
  _Alignas(16) unsigned char buf[KC_MAX_BYTES];
  size_t size;
  int nargs;
  int args[KC_MAX_ARGS]; /* value ids, KC_NULL, KC_SCRATCH or KC_THREADS */
  int64_t scratch_bytes; /* size of KC_SCRATCH: one buffer per node, shared by its calls */
} KCall;

typedef struct KList {
  KCall *calls;
  int n, cap;
} KList;

const KernelDef *kernel_find(const char *fn); /* BUG if unknown */

/* Defines a KernelDef for a kernel declared in a runtime-mini header, next to
 * the ops that use it:
 *   KERNEL_DEF(K_ARGMAX, rt_argmax_f32, "argmax.c", RtArgMax, 2, KA(0), KA(1));
 * The thunk passes args[0..nargs) as the operands after the params. */
#define KA(i) args[i]
#define KERNEL_DEF(var, fn, src, P, nargs, ...)                                   \
  static void var##_thunk(const void *p, void *const *args) {                     \
    fn((const P *)p, __VA_ARGS__);                                               \
  }                                                                              \
  static const KernelDef var = {#fn, src, #P, sizeof(P), nargs, var##_thunk}

KCall *kl_call(KList *l, const KernelDef *k); /* begins a call of kernel k */
KCall *kl_add(KList *l, const char *fn);      /* the same, by name (kcall.c's table) */
void kl_free(KList *l);
void kl_reset(KList *l);

void kc_i(KCall *k, const char *name, int64_t v);
void kc_f(KCall *k, const char *name, float v);
/* An int64 array field of cap elements (the struct's size); n given values,
 * the rest zero. */
void kc_iv(KCall *k, const char *name, const int64_t *v, int n, int cap);
/* A float array field of cap elements; n given values, the rest zero. */
void kc_fv(KCall *k, const char *name, const float *v, int n, int cap);
void kc_arg(KCall *k, int value_id);
/* Checks the laid-out size against the kernel's struct. */
void kc_end(KCall *k);

#endif
