/* gpux_rt.h - types shared by every generated model and the tiny runtime.
 *
 * This header is copied into each generated project. It describes a model's
 * interface (inputs, outputs, sizes) in plain C so that generic code - the
 * command-line driver, an HTTP front end, a firmware shell - can drive any
 * generated model without knowing it at compile time.
 *
 * Several generated models may be linked into one program: everything here
 * is guarded and contains no definitions that would collide.
 */
#ifndef GPUX_RT_H
#define GPUX_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types; the numbers are ONNX's TensorProto.DataType values. */
typedef enum gpux_dtype {
  GPUX_UNDEFINED = 0,
  GPUX_FLOAT32 = 1,
  GPUX_UINT8 = 2,
  GPUX_INT8 = 3,
  GPUX_UINT16 = 4,
  GPUX_INT16 = 5,
  GPUX_INT32 = 6,
  GPUX_INT64 = 7,
  GPUX_STRING = 8,
  GPUX_BOOL = 9,
  GPUX_FLOAT16 = 10,
  GPUX_FLOAT64 = 11,
  GPUX_UINT32 = 12,
  GPUX_UINT64 = 13,
  GPUX_BFLOAT16 = 16,
  /* One element per byte: the floats as bit patterns, the integers as
   * int8/uint8 values (ONNX packs the sub-byte ones; gpuxc does not). */
  GPUX_FLOAT8E4M3FN = 17,
  GPUX_FLOAT8E4M3FNUZ = 18,
  GPUX_FLOAT8E5M2 = 19,
  GPUX_FLOAT8E5M2FNUZ = 20,
  GPUX_UINT4 = 21,
  GPUX_INT4 = 22,
  GPUX_FLOAT4E2M1 = 23,
  GPUX_FLOAT8E8M0 = 24,
  GPUX_UINT2 = 25,
  GPUX_INT2 = 26
} gpux_dtype;

/* One input or output of a model. Shapes are static, except that an output
 * whose shape depends on the data (NonZero, Unique, ...) is "dynamic": its
 * shape, numel and bytes are upper bounds (the buffer to provide), and after
 * each run <prefix>_output_shape gives the actual dims; the elements fill
 * the start of the buffer, contiguous in that actual shape. */
typedef struct gpux_tensor_info {
  const char *name;      /* the ONNX name */
  gpux_dtype dtype;
  int rank;
  const int64_t *shape;  /* rank entries */
  size_t numel;          /* product of shape */
  size_t bytes;          /* numel * element size */
  int dynamic;           /* 1: shape is an upper bound (see above) */
} gpux_tensor_info;

/* A node of the generated schedule, for profiles (models built with
 * profiling only). */
typedef struct gpux_node_info {
  const char *name;   /* the ONNX node name */
  const char *op;     /* the ONNX op type */
  const char *shapes; /* "1x64x56x56, 64x64x3x3 -> 1x64x56x56" */
} gpux_node_info;

/* Called before (end 0) and after (end 1) each node that runs code, with
 * the node's index into info()->nodes (see <prefix>_set_profiler). */
typedef void (*gpux_profile_fn)(void *user, int node, int end);

typedef struct gpux_model_info {
  const char *name;        /* model name from gpux.yml (or the file name) */
  const char *version;     /* model version from gpux.yml */
  const char *target;      /* "c", "cpu", ... */
  const char *prefix;      /* C symbol prefix of the generated API */
  int n_inputs;
  int n_outputs;
  const gpux_tensor_info *inputs;
  const gpux_tensor_info *outputs;
  size_t arena_bytes;      /* scratch memory the model needs */
  size_t weight_bytes;     /* constant data linked into the program */
  size_t intermediate_bytes; /* sum of all intermediate tensors (unplanned) */
  int n_nodes;             /* nodes in the generated schedule */
  int threads;             /* threads init starts: 1 for the c target; 0 for one per CPU */
  const gpux_node_info *nodes; /* n_nodes entries if built with profiling, else NULL */
} gpux_model_info;

/* Status codes returned by <prefix>_init and <prefix>_run. */
enum {
  GPUX_OK = 0,
  GPUX_ERR_ARG = 1,        /* a NULL or misaligned pointer */
  GPUX_ERR_STATE = 2,      /* the context was not initialized */
  GPUX_ERR_RESOURCE = 3,   /* threads or memory could not be had (cpu target) */
  GPUX_ERR_UNSUPPORTED = 4 /* the model was built without it (profiling) */
};

/* The most threads <prefix>_set_threads takes. */
#define GPUX_MAX_THREADS 64

/* Required alignment of the arena passed to <prefix>_init. */
#define GPUX_ARENA_ALIGN 64

/* A generated model seen through function pointers, so that one driver can
 * serve any model. main.c fills one of these from the generated API. */
typedef struct gpux_model {
  const gpux_model_info *(*info)(void);
  size_t ctx_bytes;
  int (*init)(void *ctx, void *arena);
  /* inputs and outputs in the order of info()->inputs / ->outputs */
  int (*run)(void *ctx, const void *const *inputs, void *const *outputs);
  /* the actual dims of output i after a run (its info shape if static) */
  const int64_t *(*output_shape)(const void *ctx, int i);
  int (*set_threads)(void *ctx, int n);
  void (*release)(void *ctx);
  int (*set_profiler)(void *ctx, gpux_profile_fn fn, void *user);
} gpux_model;

/* The generated executable's command-line driver (runtime-mini/cli). */
int gpux_cli_main(const gpux_model *model, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* GPUX_RT_H */
