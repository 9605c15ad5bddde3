/* config.h - gpux.yml, the project file (GPUX schema plus a build: section).
 *
 * Every value remembers its line and column so that errors point at it. */
#ifndef GPUXC_CONFIG_H
#define GPUXC_CONFIG_H

#include <stdint.h>

#include "diag.h"
#include "dtype.h"

#define CFG_MAX_RANK 8

typedef struct CfgPos {
  int line, col; /* 1-based; 0 when the value was not in the file */
} CfgPos;

/* One entry of inputs: or outputs:. */
typedef struct CfgTensor {
  char *name;
  char *type;           /* as written ("float32"); NULL if absent */
  DType dtype;          /* DT_UNDEF if absent */
  int has_shape;
  int rank;
  int64_t dims[CFG_MAX_RANK]; /* -1: dynamic (written as a name, "?" or null) */
  int required;         /* inputs only; default 1 */
  char *description;
  char **labels;        /* outputs only */
  int nlabels;
  CfgPos pos;           /* where the entry starts */
  CfgPos shape_pos;
} CfgTensor;

typedef struct GpuxConfig {
  char *path;           /* the yml path as given */
  char *dir;            /* its folder: relative paths resolve against it */

  char *name;           /* required */
  char *version;        /* required */

  char *model_source;   /* as written */
  char *model_path;     /* resolved against dir */
  char *model_format;   /* default "onnx" */
  char *model_version;
  CfgPos model_source_pos;

  CfgTensor *inputs;
  int ninputs;
  CfgTensor *outputs;
  int noutputs;

  struct {
    char *backend;      /* gpu.backend, default "auto" */
    char *memory;       /* gpu.memory as written ("2GB") */
    int64_t memory_bytes; /* 0 if unset */
    int batch_size;     /* default 1 */
    int has_batch_size; /* written in the file */
    int timeout;        /* seconds, default 30 */
  } runtime;

  struct {
    char *host;         /* default "0.0.0.0" */
    int port;           /* default 8080 */
    int batch_size;     /* default 1 */
    int timeout;        /* default 5 */
  } serving;

  struct {
    char *tokenizer;
    int max_length;
    int resize[2];
    int has_resize;
    char *normalize;
  } preprocessing;

  struct {
    char *target;       /* c | cpu | cuda | llvm | auto; NULL = default */
    char *cpu;          /* native | avx512 | avx2 | generic; NULL = native */
    int threads;        /* the cpu target's default thread count; 0 = one per CPU */
    int optimize;       /* 0..3, default 2 */
    char *precision;    /* fp32 | fp16 | ..., NULL = fp32 */
    int profile;        /* bool */
    int http;           /* bool */
    char *quantize;     /* accepted and recorded; passes come later */
    char *prune;
    char *partition;
  } build;
} GpuxConfig;

/* Reads and validates a gpux.yml. Unknown keys, wrong types, missing required
 * keys: errors "path:line:col: ..." in d (EK_INVALID). Returns 0 on success. */
int cfg_load(const char *path, GpuxConfig *cfg, Diag *d);

/* Fills defaults for a model given without a yml (name from the file name). */
void cfg_defaults(GpuxConfig *cfg, const char *model_path);

void cfg_free(GpuxConfig *cfg);

/* "2GB", "512MB", "1.5GiB", "1024" -> bytes; -1 if not a size. */
int64_t cfg_parse_size(const char *s);

#endif
