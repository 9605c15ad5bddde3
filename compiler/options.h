/* options.h - what the command line asked for. */
#ifndef GPUXC_OPTIONS_H
#define GPUXC_OPTIONS_H

#include <stdint.h>

#include "ir.h"

typedef struct ShapeBinding {
  const char *name; /* input name */
  int rank;
  int64_t dims[IR_MAX_RANK];
} ShapeBinding;

typedef struct Options {
  const char *input;      /* CONFIG (.yml/.yaml) or MODEL */
  const char *out;        /* -o OUT */
  const char *target;     /* --target; NULL: the yml's build.target, else "c" */
  const char *cpu;        /* --cpu: the cpu target's instruction set; NULL: build.cpu, else native */
  int threads;            /* --threads: the cpu target's default; -1: build.threads, else 0 (per CPU) */
  ShapeBinding shapes[256];
  int nshapes;
  struct {
    const char *name; /* input name */
    const char *path; /* .npy file with its value */
  } consts[32];       /* --constant NAME=FILE.npy: the input becomes a constant */
  int nconsts;
  struct {
    const char *name; /* sequence input */
    int64_t len;
  } seqs[32];         /* --sequence-length NAME=N */
  int nseqs;
  const char *absent[32]; /* --absent NAME: an optional input left out */
  int nabsent;
  int64_t string_bytes;   /* --string-bytes: the width of string inputs (0: default) */
  int emit_only;          /* write OUT.src/ but do not compile it */
  int profile;            /* --profile: per-node timing hooks (OUT --profile) */
  int optimize;           /* 0: --no-optimize; else the yml's build.optimize (default 2) */
  int verbose;
  int quiet;
  int json;               /* inspect --json */
  const char *dump_after; /* --dump-after=PASS: print the IR after that pass */
} Options;

#endif
