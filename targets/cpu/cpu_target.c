/* cpu_target.c - the `cpu` target: C for the build host (or the instruction
 * set --cpu names), compiled with that set's SIMD flags, with a thread pool
 * in the model's context. It stays at -O2: the portable kernels are written
 * for it, and GCC 12's -O3 with AVX-512 turns rt_sgemm.h's micro-kernel
 * into scalar shuffles (18x slower on a 784-1024-1024-10 MLP). The node code is the c target's
 * (c_emit.h); the kernels that differ come in as ops of their own. */
#include <string.h>

#include "c_emit.h"
#include "cpu_gemm.h"

typedef struct CpuIsa {
  const char *name;
  const char *cflags;
} CpuIsa;

static const CpuIsa ISAS[] = {
    {"avx512", "-mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mf16c -pthread"},
    {"avx2", "-mavx2 -mfma -mf16c -pthread"},
    {"generic", "-pthread"},
};

/* The richest instruction set of ISAS this machine runs. */
static const char *native_isa(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return "avx512";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
#endif
  return "generic";
}

/* The instruction set for a --cpu name (native resolved); NULL if unknown. */
static const CpuIsa *find_isa(const char *name) {
  if (!name || strcmp(name, "native") == 0) name = native_isa();
  for (size_t i = 0; i < ARRAY_LEN(ISAS); i++)
    if (strcmp(ISAS[i].name, name) == 0) return &ISAS[i];
  return NULL;
}

/* The instruction set's id in cpu_gemm.h (RT_CPU_ISA_*), for packing. */
int cpu_isa_id(const char *cpu) {
  const CpuIsa *isa = find_isa(cpu);
  if (!isa || strcmp(isa->name, "generic") == 0) return RT_CPU_ISA_GENERIC;
  return strcmp(isa->name, "avx2") == 0 ? RT_CPU_ISA_AVX2 : RT_CPU_ISA_AVX512;
}

int cpu_prepare(IrGraph *g, const Options *o, Diag *d); /* cpu_prepare.c */

static int cpu_emit(TargetCtx *t, Diag *d) {
  const CpuIsa *isa = find_isa(t->o->cpu);
  if (!isa) {
    diag_error(d, EK_USAGE, NULL,
               "unknown --cpu '%s' (native, avx512, avx2 or generic)", t->o->cpu);
    return -1;
  }
  char detail[160];
  snprintf(detail, sizeof detail, "instruction set %s: %s", isa->name, isa->cflags);
  CFlavor f = {"cpu", 1, t->o->threads > 0 ? t->o->threads : 0, detail};
  proj_set_flags(t->proj, isa->cflags, "-pthread");
  return c_emit_program(t, &f, d);
}

static int cpu_available(char *why, size_t n) {
  snprintf(why, n, "C for this host: SIMD (%s here) and threads; needs a C compiler and pthreads",
           native_isa());
  return 1;
}

const Target TARGET_CPU = {"cpu",     "C for the host CPU: SIMD kernels and a thread pool",
                           cpu_available, c_scratch, cpu_emit, cpu_prepare};
