/* gpux_cli.c - the command-line driver compiled into every generated executable.
 *
 * gpux_cli_main parses the arguments, allocates what the model needs (it
 * allocates nothing itself), reads inputs from .npy files or JSON, runs the
 * model and writes outputs as .npy files or JSON; or prints the model's
 * description, or benchmarks it. Exit codes: 0 ok, 1 usage, 2 bad input or
 * output data, 3 the model failed (or its description is inconsistent).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "gpux_rt.h"
#include "rt_json.h"
#include "rt_npy.h"
#include "rt_prof.h"

enum { CLI_OK = 0, CLI_USAGE = 1, CLI_DATA = 2, CLI_MODEL = 3 };

#define CLI_MAX_RUNS 100000000L
#define CLI_SHAPE_CHARS 640

typedef struct cli_opts {
  int help, version, info, benchmark, json;
  long runs, warmup, threads; /* threads 0: the model's default */
  int runs_set, warmup_set;
  const char *output_dir;
  const char *profile; /* --profile FILE */
  const char **npys, **jsons; /* --input and --input-json values */
  int n_npys, n_jsons;
} cli_opts;

typedef struct cli {
  const char *prog;
  const gpux_model *model;
  const gpux_model_info *info;
  cli_opts o;
  void **in, **out;
  char *given;
  void *ctx, *arena;
  int ready; /* init succeeded: release at the end */
  rt_prof *prof; /* --profile: the recorder, NULL without */
} cli;

static int cli_fail(const cli *c, int code, const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fprintf(stderr, "%s: ", c->prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  if (code == CLI_USAGE) fprintf(stderr, "Try '%s --help' for more information.\n", c->prog);
  return code;
}

static void cli_shape(char *buf, size_t cap, int rank, const int64_t *shape) {
  size_t n = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < rank && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "", (long long)shape[i]);
  if (n < cap) snprintf(buf + n, cap - n, "]");
}

/* "x, ids" into buf. */
static void cli_names(const gpux_tensor_info *t, int n, char *buf, size_t cap) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < n && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? ", " : "", t[i].name);
  if (n == 0) snprintf(buf, cap, "(none)");
}

static const char *cli_str(const char *s) { return s ? s : ""; }

/* ---- usage */

static void cli_usage(const cli *c) {
  const gpux_model_info *m = c->info;
  int w = 1;
  printf("Usage: %s [--input NAME=FILE.npy]... [--input-json JSON|FILE|-] [--output-dir DIR]\n"
         "       %s --benchmark [--runs N] [--warmup W] [--json]\n"
         "       %s --info [--json] | --help | --version\n"
         "       (any of these with --threads N; a run or --benchmark with --profile FILE)\n\n",
         c->prog, c->prog, c->prog);
  printf("Runs the model %s %s (target %s), compiled by gpuxc.\n\n", cli_str(m->name),
         cli_str(m->version), cli_str(m->target));
  printf(
      "Options:\n"
      "  --input NAME=FILE.npy  an input from a .npy file (repeat once per input); with a\n"
      "                         one-input model, --input FILE.npy is enough\n"
      "  --input-json ARG       inputs as JSON: inline if ARG starts with '{' or '[', '-'\n"
      "                         for stdin, else a file. {\"NAME\": VALUE, ...} where VALUE is a\n"
      "                         nested list matching the shape, a flat list of all values,\n"
      "                         or a number when the input has one element; bools are\n"
      "                         true/false or 0/1. A one-input model also takes a bare VALUE\n"
      "  --output-dir DIR       write DIR/<output name>.npy per output (DIR is created);\n"
      "                         characters other than A-Z a-z 0-9 . _ - in a name become\n"
      "                         '_' (and '_<index>' is appended if two names then clash).\n"
      "                         Without it, outputs are printed to stdout as one JSON\n"
      "                         object {\"NAME\": nested lists}; NaN and infinities are\n"
      "                         written NaN, Infinity, -Infinity (as Python's json reads)\n"
      "  --benchmark            time the model: avg/min/max/p50/p90/p99 in milliseconds\n"
      "                         and fps; inputs not given are pseudo-random (floats in\n"
      "                         [0,1), integers and bools 0)\n"
      "  --runs N               timed runs (default 100)\n"
      "  --warmup W             untimed runs first (default 10)\n"
      "  --info                 the model's name, version, target, inputs, outputs, sizes\n"
      "  --json                 print --info or --benchmark as JSON\n"
      "  --threads N            run on N threads (cpu target; default: the model's own,\n"
      "                         see --info; the c target runs on one)\n"
      "  --profile FILE         time every node of the run (with --benchmark: of every\n"
      "                         timed run) and write a Chrome trace JSON to FILE; a\n"
      "                         summary by op and the slowest nodes go to stderr (needs\n"
      "                         a program built with gpuxc build --profile)\n"
      "  --version              print the model's name and version\n"
      "  -h, --help             this text\n\n"
      "bfloat16 tensors are read and written in .npy files as '<u2' (the raw bits); in\n"
      "JSON they are numbers.\n\n");
  printf("Inputs:\n");
  for (int i = 0; i < m->n_inputs; i++)
    if ((int)strlen(m->inputs[i].name) > w) w = (int)strlen(m->inputs[i].name);
  for (int i = 0; i < m->n_inputs; i++) {
    char s[CLI_SHAPE_CHARS];
    cli_shape(s, sizeof s, m->inputs[i].rank, m->inputs[i].shape);
    printf("  %-*s  %-8s  %s\n", w, m->inputs[i].name, rt_npy_dtype_name(m->inputs[i].dtype), s);
  }
  printf("\nExit status: 0 ok, 1 usage error, 2 bad input or output data, 3 the model failed.\n");
}

/* ---- arguments */

typedef struct cli_flag {
  const char *name;
  int has_value;
} cli_flag;

static const cli_flag CLI_FLAGS[] = {
    {"--help", 0},  {"-h", 0},         {"--version", 0},    {"--info", 0},
    {"--benchmark", 0}, {"--json", 0}, {"--input", 1},      {"--input-json", 1},
    {"--output-dir", 1}, {"--runs", 1}, {"--warmup", 1}, {"--threads", 1},
    {"--profile", 1},
};
#define CLI_NFLAGS (sizeof CLI_FLAGS / sizeof CLI_FLAGS[0])

static const cli_flag *cli_find_flag(const char *name, size_t len) {
  for (size_t i = 0; i < CLI_NFLAGS; i++)
    if (strlen(CLI_FLAGS[i].name) == len && memcmp(CLI_FLAGS[i].name, name, len) == 0)
      return &CLI_FLAGS[i];
  return NULL;
}

static int cli_count(const cli *c, const char *flag, const char *s, long min, long *out) {
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+') || *end || errno == ERANGE)
    return cli_fail(c, CLI_USAGE, "%s: '%s' is not a whole number", flag, s);
  if (v < min || v > CLI_MAX_RUNS)
    return cli_fail(c, CLI_USAGE, "%s must be between %ld and %ld, got %ld", flag, min,
                    CLI_MAX_RUNS, v);
  *out = v;
  return 0;
}

static int cli_set(cli *c, const cli_flag *f, const char *v) {
  cli_opts *o = &c->o;
  const char *n = f->name;
  if (!strcmp(n, "--help") || !strcmp(n, "-h")) o->help = 1;
  else if (!strcmp(n, "--version")) o->version = 1;
  else if (!strcmp(n, "--info")) o->info = 1;
  else if (!strcmp(n, "--benchmark")) o->benchmark = 1;
  else if (!strcmp(n, "--json")) o->json = 1;
  else if (!strcmp(n, "--input")) o->npys[o->n_npys++] = v;
  else if (!strcmp(n, "--input-json")) o->jsons[o->n_jsons++] = v;
  else if (!strcmp(n, "--output-dir")) o->output_dir = v;
  else if (!strcmp(n, "--profile")) o->profile = v;
  else if (!strcmp(n, "--runs")) return o->runs_set = 1, cli_count(c, n, v, 1, &o->runs);
  else if (!strcmp(n, "--warmup")) return o->warmup_set = 1, cli_count(c, n, v, 0, &o->warmup);
  else if (!strcmp(n, "--threads")) {
    if (cli_count(c, n, v, 1, &o->threads)) return CLI_USAGE;
    if (o->threads > GPUX_MAX_THREADS)
      return cli_fail(c, CLI_USAGE, "--threads must be between 1 and %d, got %ld",
                      GPUX_MAX_THREADS, o->threads);
  }
  return 0;
}

static int cli_parse_args(cli *c, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i] ? argv[i] : "", *eq = strchr(a, '='), *v = NULL;
    size_t len = strlen(a);
    const cli_flag *f;
    if (a[0] == '-' && a[1] == '-' && eq) {
      len = (size_t)(eq - a);
      v = eq + 1;
    }
    f = a[0] == '-' ? cli_find_flag(a, len) : NULL;
    if (!f && a[0] == '-') return cli_fail(c, CLI_USAGE, "unknown option '%.*s'", (int)len, a);
    if (!f)
      return cli_fail(c, CLI_USAGE, "unexpected argument '%s'%s", a,
                      strstr(a, ".npy") ? " (did you mean --input?)" : "");
    if (!f->has_value && v) return cli_fail(c, CLI_USAGE, "option '%s' takes no value", f->name);
    if (f->has_value && !v) {
      const char *next = i + 1 < argc && argv[i + 1] ? argv[i + 1] : NULL;
      if (!next || (next[0] == '-' && next[1] == '-' && cli_find_flag(next, strlen(next))))
        return cli_fail(c, CLI_USAGE, "option '%s' needs a value", f->name);
      v = next;
      i++;
    }
    if (cli_set(c, f, v)) return CLI_USAGE;
  }
  if (c->o.info && c->o.profile)
    return cli_fail(c, CLI_USAGE, "--info and --profile cannot be combined");
  if (c->o.info && c->o.benchmark)
    return cli_fail(c, CLI_USAGE, "--info and --benchmark cannot be combined");
  if ((c->o.runs_set || c->o.warmup_set) && !c->o.benchmark)
    return cli_fail(c, CLI_USAGE, "--runs and --warmup need --benchmark");
  return 0;
}

/* ---- the model's description */

/* Bytes per element: strings are fixed-width UTF-8 (bytes / numel). */
static size_t cli_elem_bytes(const gpux_tensor_info *t) {
  if (t->dtype == GPUX_STRING) return t->numel ? t->bytes / t->numel : 1;
  return rt_npy_dtype_size(t->dtype);
}

static int cli_check_tensor(const cli *c, const gpux_tensor_info *t, const char *kind, int i) {
  size_t numel = 1, size = t->name ? cli_elem_bytes(t) : 0;
  int zero = 0;
  if (!t->name)
    return cli_fail(c, CLI_MODEL, "%s %d has no name", kind, i);
  if (!size)
    return cli_fail(c, CLI_MODEL, "%s '%s' has an unsupported type", kind, t->name);
  if (t->rank < 0 || t->rank > RT_NPY_MAX_RANK || (t->rank && !t->shape))
    return cli_fail(c, CLI_MODEL, "%s '%s' has an unsupported rank %d", kind, t->name, t->rank);
  for (int d = 0; d < t->rank; d++) {
    uint64_t n = (uint64_t)t->shape[d];
    if (t->shape[d] < 0 || (!zero && n && n > SIZE_MAX / size / numel))
      return cli_fail(c, CLI_MODEL, "%s '%s' has a bad shape", kind, t->name);
    if (!n) zero = 1;
    else if (!zero) numel *= (size_t)n;
  }
  if (zero) numel = 0;
  if (numel != t->numel || numel * size != t->bytes)
    return cli_fail(c, CLI_MODEL, "%s '%s': numel or bytes do not match its shape", kind,
                    t->name);
  return 0;
}

static int cli_check_info(const cli *c) {
  const gpux_model_info *m = c->info;
  if (m->n_inputs < 0 || m->n_outputs < 0 || (m->n_inputs && !m->inputs) ||
      (m->n_outputs && !m->outputs))
    return cli_fail(c, CLI_MODEL, "the model's description is inconsistent");
  for (int i = 0; i < m->n_inputs; i++)
    if (cli_check_tensor(c, &m->inputs[i], "input", i)) return CLI_MODEL;
  for (int i = 0; i < m->n_outputs; i++)
    if (cli_check_tensor(c, &m->outputs[i], "output", i)) return CLI_MODEL;
  return 0;
}

static void cli_info_json_tensors(const gpux_tensor_info *t, int n) {
  printf("[");
  for (int i = 0; i < n; i++) {
    printf("%s\n    {\"name\": ", i ? "," : "");
    rt_json_write_string(stdout, t[i].name);
    printf(", \"type\": \"%s\", \"shape\": [", rt_npy_dtype_name(t[i].dtype));
    for (int d = 0; d < t[i].rank; d++) printf("%s%lld", d ? ", " : "", (long long)t[i].shape[d]);
    printf("]%s}", t[i].dynamic ? ", \"dynamic\": true" : "");
  }
  printf(n ? "\n  ]" : "]");
}

static void cli_info_json(const gpux_model_info *m) {
  printf("{\n  \"name\": ");
  rt_json_write_string(stdout, cli_str(m->name));
  printf(",\n  \"version\": ");
  rt_json_write_string(stdout, cli_str(m->version));
  printf(",\n  \"target\": ");
  rt_json_write_string(stdout, cli_str(m->target));
  printf(",\n  \"inputs\": ");
  cli_info_json_tensors(m->inputs, m->n_inputs);
  printf(",\n  \"outputs\": ");
  cli_info_json_tensors(m->outputs, m->n_outputs);
  printf(",\n  \"arena_bytes\": %llu,\n  \"weight_bytes\": %llu,\n"
         "  \"intermediate_bytes\": %llu,\n  \"nodes\": %d,\n  \"threads\": %d\n}\n",
         (unsigned long long)m->arena_bytes, (unsigned long long)m->weight_bytes,
         (unsigned long long)m->intermediate_bytes, m->n_nodes, m->threads);
}

static void cli_info_tensors(const char *kind, const gpux_tensor_info *t, int n, int w) {
  for (int i = 0; i < n; i++) {
    char s[CLI_SHAPE_CHARS];
    cli_shape(s, sizeof s, t[i].rank, t[i].shape);
    printf("%-6s  %-*s  %-8s  %s%s\n", kind, w, t[i].name, rt_npy_dtype_name(t[i].dtype),
           t[i].dynamic ? "at most " : "", s);
  }
}

static void cli_info_text(const gpux_model_info *m) {
  int w = 4;
  char threads[32];
  if (m->threads > 0)
    snprintf(threads, sizeof threads, "%d", m->threads);
  else
    snprintf(threads, sizeof threads, "one per CPU");
  printf("%-19s %s\n%-19s %s\n%-19s %s\n%-19s %d\n%-19s %s\n", "name", cli_str(m->name),
         "version", cli_str(m->version), "target", cli_str(m->target), "nodes", m->n_nodes,
         "threads", threads);
  printf("%-19s %llu\n%-19s %llu\n%-19s %llu\n\n", "arena_bytes",
         (unsigned long long)m->arena_bytes, "weight_bytes", (unsigned long long)m->weight_bytes,
         "intermediate_bytes", (unsigned long long)m->intermediate_bytes);
  for (int i = 0; i < m->n_inputs; i++)
    if ((int)strlen(m->inputs[i].name) > w) w = (int)strlen(m->inputs[i].name);
  for (int i = 0; i < m->n_outputs; i++)
    if ((int)strlen(m->outputs[i].name) > w) w = (int)strlen(m->outputs[i].name);
  printf("%-6s  %-*s  %-8s  %s\n", "", w, "name", "type", "shape");
  cli_info_tensors("input", m->inputs, m->n_inputs, w);
  cli_info_tensors("output", m->outputs, m->n_outputs, w);
}

/* ---- memory */

static void *cli_alloc(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, GPUX_ARENA_ALIGN, bytes ? bytes : 1) != 0) return NULL;
  memset(p, 0, bytes ? bytes : 1);
  return p;
}

static int cli_alloc_all(cli *c) {
  const gpux_model_info *m = c->info;
  int ok = 1;
  c->in = calloc((size_t)m->n_inputs + 1, sizeof *c->in);
  c->out = calloc((size_t)m->n_outputs + 1, sizeof *c->out);
  c->given = calloc((size_t)m->n_inputs + 1, 1);
  c->ctx = cli_alloc(c->model->ctx_bytes);
  c->arena = cli_alloc(m->arena_bytes > GPUX_ARENA_ALIGN ? m->arena_bytes : GPUX_ARENA_ALIGN);
  ok = c->in && c->out && c->given && c->ctx && c->arena;
  for (int i = 0; ok && i < m->n_inputs; i++) ok = (c->in[i] = cli_alloc(m->inputs[i].bytes)) != 0;
  for (int i = 0; ok && i < m->n_outputs; i++)
    ok = (c->out[i] = cli_alloc(m->outputs[i].bytes)) != 0;
  return ok ? 0 : cli_fail(c, CLI_MODEL, "out of memory");
}

static void cli_free_all(cli *c) {
  const gpux_model_info *m = c->info;
  if (c->ready && c->model->release) c->model->release(c->ctx);
  for (int i = 0; c->in && i < m->n_inputs; i++) free(c->in[i]);
  for (int i = 0; c->out && i < m->n_outputs; i++) free(c->out[i]);
  free(c->in);
  free(c->out);
  free(c->given);
  free(c->ctx);
  free(c->arena);
  free(c->o.npys);
  free(c->o.jsons);
  if (c->prof) rt_prof_free(c->prof);
  free(c->prof);
}

/* ---- inputs from .npy */

static int cli_input_index(const cli *c, const char *name, size_t len) {
  for (int i = 0; i < c->info->n_inputs; i++) {
    const char *n = c->info->inputs[i].name;
    if (strlen(n) == len && memcmp(n, name, len) == 0) return i;
  }
  return -1;
}

static int cli_npy_header(const cli *c, const gpux_tensor_info *t, FILE *f, const char *path) {
  char err[256], want[CLI_SHAPE_CHARS], got[CLI_SHAPE_CHARS];
  rt_npy_header h;
  gpux_dtype dt = rt_npy_storage(t->dtype);
  int same;
  if (rt_npy_read_header(f, &h, err, sizeof err))
    return cli_fail(c, CLI_DATA, "input '%s': '%s': %s", t->name, path, err);
  if (h.dtype != dt) {
    if (h.dtype == GPUX_UNDEFINED) snprintf(got, sizeof got, "unsupported descr '%s'", h.descr);
    else snprintf(got, sizeof got, "%s ('%s')", rt_npy_dtype_name(h.dtype), h.descr);
    return cli_fail(c, CLI_DATA, "input '%s': expected %s ('%s'%s), got %s in '%s'", t->name,
                    rt_npy_dtype_name(t->dtype), rt_npy_descr(t->dtype),
                    dt != t->dtype ? ", as its storage type" : "", got, path);
  }
  same = h.rank == t->rank;
  for (int d = 0; same && d < t->rank; d++) same = h.shape[d] == t->shape[d];
  cli_shape(want, sizeof want, t->rank, t->shape);
  cli_shape(got, sizeof got, h.rank, h.shape);
  if (!same)
    return cli_fail(c, CLI_DATA, "input '%s': expected shape %s, got %s in '%s'", t->name, want,
                    got, path);
  if (t->dtype == GPUX_STRING
          ? rt_npy_read_strings(f, &h, c->in[t - c->info->inputs], cli_elem_bytes(t), err,
                                sizeof err)
          : rt_npy_read_data(f, &h, c->in[t - c->info->inputs], t->bytes, err, sizeof err))
    return cli_fail(c, CLI_DATA, "input '%s': '%s': %s", t->name, path, err);
  return 0;
}

static int cli_load_npy(cli *c, int idx, const char *path, int maybe_named) {
  const gpux_tensor_info *t = &c->info->inputs[idx];
  FILE *f = fopen(path, "rb");
  int rc;
  if (!f) {
    int e = errno;
    if (maybe_named)
      return cli_fail(c, CLI_DATA, "input '%s': cannot read '%s': %s (the model's only input is "
                      "'%s')", t->name, path, strerror(e), t->name);
    return cli_fail(c, CLI_DATA, "input '%s': cannot read '%s': %s", t->name, path, strerror(e));
  }
  rc = cli_npy_header(c, t, f, path);
  fclose(f);
  return rc;
}

static int cli_input_arg(cli *c, const char *arg) {
  const gpux_model_info *m = c->info;
  const char *path = arg, *eq = strchr(arg, '=');
  char names[512];
  int idx = -1;
  for (const char *q = eq; q && idx < 0; q = strchr(q + 1, '=')) {
    idx = cli_input_index(c, arg, (size_t)(q - arg));
    if (idx >= 0) path = q + 1;
  }
  cli_names(m->inputs, m->n_inputs, names, sizeof names);
  if (idx < 0 && m->n_inputs == 1) idx = 0;
  else if (idx < 0 && eq)
    return cli_fail(c, CLI_DATA, "--input: unknown input '%.*s'; the model's inputs are: %s",
                    (int)(eq - arg), arg, names);
  else if (idx < 0)
    return cli_fail(c, CLI_DATA, "--input '%s': name the input (--input NAME=FILE.npy); the "
                    "model's inputs are: %s", arg, names);
  if (c->given[idx]) return cli_fail(c, CLI_DATA, "input '%s' given twice", m->inputs[idx].name);
  c->given[idx] = 1;
  return cli_load_npy(c, idx, path, path == arg && eq != NULL);
}

/* ---- inputs from JSON */

static char *cli_read_all(FILE *f, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap), *nb;
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
    if (!nb) free(buf);
    buf = nb;
    cap *= 2;
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
    if (!errno) errno = EIO;
  }
  *len = n;
  return buf;
}

/* The JSON text of an --input-json argument; *src names it for messages
 * (NULL for inline JSON). */
static char *cli_json_text(const cli *c, const char *arg, size_t *len, const char **src) {
  const char *p = arg;
  FILE *f;
  char *text;
  int e;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  *src = NULL;
  if (*p == '{' || *p == '[') {
    *len = strlen(arg);
    text = malloc(*len + 1);
    if (text) memcpy(text, arg, *len + 1);
    else cli_fail(c, CLI_MODEL, "out of memory");
    return text;
  }
  *src = strcmp(arg, "-") == 0 ? "<stdin>" : arg;
  f = strcmp(arg, "-") == 0 ? stdin : fopen(arg, "rb");
  if (!f) {
    e = errno;
    cli_fail(c, CLI_DATA, "--input-json: cannot read '%s': %s", *src, strerror(e));
    return NULL;
  }
  errno = 0;
  text = cli_read_all(f, len);
  e = errno;
  if (f != stdin) fclose(f);
  if (!text) cli_fail(c, CLI_DATA, "--input-json: cannot read '%s': %s", *src, strerror(e));
  return text;
}

static int cli_json_input(cli *c, int idx, const rt_json *v, const char *text, size_t len,
                          const char *src) {
  const gpux_tensor_info *t = &c->info->inputs[idx];
  char err[512];
  size_t where = 0;
  int line, col;
  if (c->given[idx]) return cli_fail(c, CLI_DATA, "input '%s' given twice", t->name);
  c->given[idx] = 1;
  if (t->dtype == GPUX_STRING)
    return cli_fail(c, CLI_DATA, "input '%s': strings cannot be given as JSON yet; use --input "
                    "%s=FILE.npy", t->name, t->name);
  if (!rt_json_to_tensor(v, t->dtype, t->rank, t->shape, t->numel, c->in[idx], &where, err,
                         sizeof err))
    return 0;
  rt_json_position(text, len, where, &line, &col);
  return cli_fail(c, CLI_DATA, "--input-json: input '%s'%s%s (line %d, column %d%s%s%s)", t->name,
                  strncmp(err, "at [", 4) ? ": " : " ", err, line, col, src ? " in '" : "",
                  src ? src : "", src ? "'" : "");
}

static int cli_json_members(cli *c, const rt_json *root, const char *text, size_t len,
                            const char *src) {
  char names[512];
  if (root->type != RT_JSON_OBJECT) {
    if (c->info->n_inputs == 1) return cli_json_input(c, 0, root, text, len, src);
    return cli_fail(c, CLI_DATA, "--input-json: expected an object {\"NAME\": [...], ...}, got %s",
                    rt_json_type_name(root->type));
  }
  cli_names(c->info->inputs, c->info->n_inputs, names, sizeof names);
  for (const rt_json *m = root->child; m; m = m->next) {
    int idx = cli_input_index(c, m->key, strlen(m->key));
    if (idx < 0)
      return cli_fail(c, CLI_DATA, "--input-json: unknown input '%s'; the model's inputs are: %s",
                      m->key, names);
    if (cli_json_input(c, idx, m, text, len, src)) return CLI_DATA;
  }
  return 0;
}

static int cli_json_arg(cli *c, const char *arg) {
  const char *src;
  size_t len;
  char *text = cli_json_text(c, arg, &len, &src), err[256];
  rt_json_doc doc;
  int rc;
  if (!text) return CLI_DATA;
  if (rt_json_parse(&doc, text, len, err, sizeof err))
    rc = cli_fail(c, CLI_DATA, "--input-json: %s%s%s%s", err, src ? " in '" : "",
                  src ? src : "", src ? "'" : "");
  else
    rc = cli_json_members(c, doc.root, text, len, src);
  rt_json_free(&doc);
  free(text);
  return rc;
}

/* Reads every --input and --input-json; with need_all, reports every missing input. */
static int cli_load_inputs(cli *c, int need_all) {
  const gpux_model_info *m = c->info;
  int missing = 0;
  for (int i = 0; i < c->o.n_npys; i++)
    if (cli_input_arg(c, c->o.npys[i])) return CLI_DATA;
  for (int i = 0; i < c->o.n_jsons; i++)
    if (cli_json_arg(c, c->o.jsons[i])) return CLI_DATA;
  for (int i = 0; need_all && i < m->n_inputs; i++) {
    char s[CLI_SHAPE_CHARS];
    if (c->given[i]) continue;
    cli_shape(s, sizeof s, m->inputs[i].rank, m->inputs[i].shape);
    cli_fail(c, CLI_DATA, "missing input '%s' (%s %s); pass --input %s=FILE.npy",
             m->inputs[i].name, rt_npy_dtype_name(m->inputs[i].dtype), s, m->inputs[i].name);
    missing = 1;
  }
  return missing ? CLI_DATA : 0;
}

/* Deterministic stand-ins for inputs not given: floats uniform in [0,1),
 * integers and bools 0 (the buffers start zeroed). */
static void cli_random_inputs(cli *c) {
  uint64_t s = 0x9e3779b97f4a7c15u;
  for (int i = 0; i < c->info->n_inputs; i++) {
    const gpux_tensor_info *t = &c->info->inputs[i];
    unsigned char *p = c->in[i];
    if (c->given[i]) continue;
    for (size_t k = 0; k < t->numel; k++) {
      uint64_t z = (s += 0x9e3779b97f4a7c15u);
      float f;
      double d;
      uint16_t h;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
      z ^= z >> 31;
      f = (float)(z >> 40) * (1.0f / 16777216.0f);
      d = (double)(z >> 11) * (1.0 / 9007199254740992.0);
      if (t->dtype == GPUX_FLOAT32) memcpy(p + 4 * k, &f, 4);
      if (t->dtype == GPUX_FLOAT64) memcpy(p + 8 * k, &d, 8);
      h = t->dtype == GPUX_FLOAT16 ? rt_npy_f32_to_f16(f) : rt_npy_f32_to_bf16(f);
      if (h >= 0x3c00 && t->dtype == GPUX_FLOAT16) h = 0x3bff; /* rounded up to 1.0 */
      if (h >= 0x3f80 && t->dtype == GPUX_BFLOAT16) h = 0x3f7f;
      if (t->dtype == GPUX_FLOAT16 || t->dtype == GPUX_BFLOAT16) memcpy(p + 2 * k, &h, 2);
    }
  }
}

/* ---- running */

static int cli_init(cli *c) {
  int rc = c->model->init(c->ctx, c->arena);
  if (rc) return cli_fail(c, CLI_MODEL, "model init failed (status %d)", rc);
  c->ready = 1;
  if (c->o.threads > 0 && c->model->set_threads) {
    if (c->o.threads > 1 && c->info->threads == 1 && strcmp(cli_str(c->info->target), "c") == 0)
      return cli_fail(c, CLI_USAGE, "--threads %ld: the c target runs on one thread "
                      "(build with --target cpu for more)", c->o.threads);
    rc = c->model->set_threads(c->ctx, (int)c->o.threads);
    if (rc) return cli_fail(c, CLI_MODEL, "cannot run on %ld threads (status %d)",
                            c->o.threads, rc);
  }
  return 0;
}

/* One run; recorded by the profiler if any (record 0: a warm-up run). */
static int cli_run(cli *c, int record) {
  int rc;
  if (c->prof && record) rt_prof_run(c->prof, 0);
  rc = c->model->run(c->ctx, (const void *const *)c->in, (void *const *)c->out);
  if (c->prof && record) rt_prof_run(c->prof, 1);
  if (rc) return cli_fail(c, CLI_MODEL, "model run failed (status %d)", rc);
  return 0;
}

static int64_t cli_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cli_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The p-th percentile of sorted[0..n), interpolated linearly (numpy's default). */
static double cli_percentile(const double *sorted, size_t n, double p) {
  double pos = p / 100.0 * (double)(n - 1);
  size_t lo = (size_t)pos;
  if (lo + 1 >= n) return sorted[n - 1];
  return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - (double)lo);
}

static void cli_bench_report(const cli *c, double *t, size_t n) {
  static const char *KEYS[] = {"avg_inference_time", "min_inference_time", "max_inference_time",
                               "p50_inference_time", "p90_inference_time", "p99_inference_time",
                               "fps"};
  double v[7], sum = 0;
  qsort(t, n, sizeof *t, cli_cmp_double);
  for (size_t i = 0; i < n; i++) sum += t[i];
  v[0] = sum / (double)n;
  v[1] = t[0];
  v[2] = t[n - 1];
  v[3] = cli_percentile(t, n, 50);
  v[4] = cli_percentile(t, n, 90);
  v[5] = cli_percentile(t, n, 99);
  v[6] = v[0] > 0 ? 1000.0 / v[0] : 0;
  if (c->o.json) {
    printf("{");
    for (int i = 0; i < 7; i++) {
      printf("%s\"%s\": ", i ? ", " : "", KEYS[i]);
      rt_json_write_double(stdout, v[i], 9);
    }
    printf(", \"runs\": %ld, \"warmup\": %ld}\n", c->o.runs, c->o.warmup);
    return;
  }
  printf("%-19s %s %s (target %s)\n%-19s %ld\n%-19s %ld\n", "model", cli_str(c->info->name),
         cli_str(c->info->version), cli_str(c->info->target), "runs", c->o.runs, "warmup",
         c->o.warmup);
  for (int i = 0; i < 6; i++) printf("%-19s %14.6f ms\n", KEYS[i], v[i]);
  printf("%-19s %14.2f\n", KEYS[6], v[6]);
}

static int cli_benchmark(cli *c) {
  double *t = malloc((size_t)c->o.runs * sizeof *t);
  int rc = 0;
  if (!t) return cli_fail(c, CLI_MODEL, "out of memory");
  for (long i = 0; !rc && i < c->o.warmup; i++) rc = cli_run(c, 0);
  for (long i = 0; !rc && i < c->o.runs; i++) {
    int64_t t0 = cli_now_ns();
    rc = cli_run(c, 1);
    t[i] = (double)(cli_now_ns() - t0) / 1e6; /* milliseconds */
  }
  if (!rc) cli_bench_report(c, t, (size_t)c->o.runs);
  free(t);
  return rc;
}

/* ---- outputs */

static int cli_mkdirs(const cli *c, const char *dir) {
  char *p = malloc(strlen(dir) + 1);
  struct stat st;
  int e = 0;
  if (!p) return cli_fail(c, CLI_MODEL, "out of memory");
  strcpy(p, dir);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/' || s[-1] == '/') continue;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) e = errno;
    *s = '/';
  }
  free(p);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) e = errno;
  else if (stat(dir, &st) != 0) e = errno;
  else if (!S_ISDIR(st.st_mode)) e = ENOTDIR;
  else e = 0;
  if (e) return cli_fail(c, CLI_DATA, "cannot create output directory '%s': %s", dir, strerror(e));
  return 0;
}

/* DIR/<sanitized name>.npy for output i, distinct from prev[0..i). */
static char *cli_out_path(const cli *c, int i, char *const *prev) {
  const char *dir = c->o.output_dir, *name = c->info->outputs[i].name;
  size_t dl = strlen(dir), n, cap = dl + strlen(name) + 32;
  char *p = malloc(cap);
  if (!p) return NULL;
  n = (size_t)snprintf(p, cap, "%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/");
  for (const char *s = name; *s; s++) {
    char ch = *s;
    int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
             ch == '.' || ch == '_' || ch == '-';
    p[n++] = ok ? ch : '_';
  }
  if (!*name) p[n++] = '_';
  for (;;) {
    int clash = 0;
    char *np;
    snprintf(p + n, cap - n, ".npy");
    for (int j = 0; j < i && !clash; j++) clash = strcmp(prev[j], p) == 0;
    if (!clash) return p;
    /* append "_<i>" (again, in the unlikely case that clashes too) */
    np = realloc(p, cap += 16);
    if (!np) {
      free(p);
      return NULL;
    }
    p = np;
    n += (size_t)snprintf(p + n, cap - n, "_%d", i);
  }
}


/* The dims of output i after the run: the model's actual ones for an output
 * of data-dependent shape (the elements fill the start of its buffer). */
static const int64_t *cli_out_shape(const cli *c, int i) {
  const gpux_tensor_info *t = &c->info->outputs[i];
  const int64_t *s = t->dynamic && c->model->output_shape ? c->model->output_shape(c->ctx, i) : 0;
  return s ? s : t->shape;
}

static int cli_write_npys(cli *c) {
  int n = c->info->n_outputs, rc = 0;
  char **paths;
  if (cli_mkdirs(c, c->o.output_dir)) return CLI_DATA;
  paths = calloc((size_t)n + 1, sizeof *paths);
  if (!paths) return cli_fail(c, CLI_MODEL, "out of memory");
  for (int i = 0; !rc && i < n; i++) {
    const gpux_tensor_info *t = &c->info->outputs[i];
    char err[256];
    paths[i] = cli_out_path(c, i, paths);
    if (!paths[i]) rc = cli_fail(c, CLI_MODEL, "out of memory");
    else if (t->dtype == GPUX_STRING
                 ? rt_npy_save_strings(paths[i], t->rank, cli_out_shape(c, i), c->out[i],
                                       cli_elem_bytes(t), err, sizeof err)
                 : rt_npy_save(paths[i], t->dtype, t->rank, cli_out_shape(c, i), c->out[i], err,
                               sizeof err))
      rc = cli_fail(c, CLI_DATA, "cannot write '%s': %s", paths[i], err);
  }
  for (int i = 0; i < n; i++) free(paths[i]);
  free(paths);
  return rc;
}

/* JSON of a string tensor: nested lists of JSON strings. */
static const char *cli_json_strings(int d, int rank, const int64_t *shape, const char *p,
                                    size_t width) {
  if (d == rank) {
    char *s = malloc(width + 1);
    size_t n = 0;
    if (s) {
      while (n < width && p[n]) n++;
      memcpy(s, p, n);
      s[n] = 0;
      rt_json_write_string(stdout, s);
      free(s);
    }
    return p + width;
  }
  putchar('[');
  for (int64_t i = 0; i < shape[d]; i++) {
    if (i) fputs(", ", stdout);
    p = cli_json_strings(d + 1, rank, shape, p, width);
  }
  putchar(']');
  return p;
}

static void cli_write_json(const cli *c) {
  const gpux_model_info *m = c->info;
  printf("{");
  for (int i = 0; i < m->n_outputs; i++) {
    printf("%s\n  ", i ? "," : "");
    rt_json_write_string(stdout, m->outputs[i].name);
    printf(": ");
    if (m->outputs[i].dtype == GPUX_STRING)
      cli_json_strings(0, m->outputs[i].rank, cli_out_shape(c, i), (const char *)c->out[i],
                       cli_elem_bytes(&m->outputs[i]));
    else
      rt_json_write_tensor(stdout, m->outputs[i].dtype, m->outputs[i].rank, cli_out_shape(c, i),
                           c->out[i]);
  }
  printf("%s}\n", m->n_outputs ? "\n" : "");
}

/* ---- profile */

static int cli_profile_start(cli *c) {
  int rc;
  if (!c->info->nodes || !c->model->set_profiler)
    return cli_fail(c, CLI_USAGE, "--profile: %s was built without profiling (rebuild it with "
                    "gpuxc build --profile, or build.profile: true in gpux.yml)", c->prog);
  c->prof = malloc(sizeof *c->prof);
  if (!c->prof) return cli_fail(c, CLI_MODEL, "out of memory");
  rt_prof_init(c->prof, c->info);
  rc = c->model->set_profiler(c->ctx, rt_prof_hook, c->prof);
  if (rc) return cli_fail(c, CLI_MODEL, "cannot set the profiler (status %d)", rc);
  return 0;
}

/* Writes the trace and prints the summary on stderr. */
static int cli_profile_end(cli *c) {
  char err[256];
  if (rt_prof_write_trace(c->prof, c->o.profile, err, sizeof err))
    return cli_fail(c, CLI_DATA, "cannot write '%s': %s", c->o.profile, err);
  fflush(stdout);
  rt_prof_summary(c->prof, stderr);
  return 0;
}

/* ---- main */

static int cli_execute(cli *c) {
  int rc = cli_alloc_all(c);
  if (!rc) rc = cli_load_inputs(c, !c->o.benchmark);
  if (rc) return rc;
  if (c->o.benchmark) cli_random_inputs(c);
  if ((rc = cli_init(c)) != 0) return rc;
  if (c->o.profile && (rc = cli_profile_start(c)) != 0) return rc;
  rc = c->o.benchmark ? cli_benchmark(c) : cli_run(c, 1);
  if (!rc && c->prof) rc = cli_profile_end(c);
  if (!rc && c->o.output_dir) rc = cli_write_npys(c);
  else if (!rc && !c->o.benchmark) cli_write_json(c);
  return rc;
}

static const char *cli_prog(int argc, char **argv) {
  const char *p = argc > 0 && argv && argv[0] && argv[0][0] ? argv[0] : "gpux-model";
  const char *s = strrchr(p, '/');
  return s && s[1] ? s + 1 : p;
}

int gpux_cli_main(const gpux_model *model, int argc, char **argv) {
  cli c;
  int rc;
  memset(&c, 0, sizeof c);
  c.prog = cli_prog(argc, argv);
  c.model = model;
  c.info = model && model->info ? model->info() : NULL;
  if (!c.info || !model->init || !model->run)
    return cli_fail(&c, CLI_MODEL, "the model has no description");
  c.o.runs = 100;
  c.o.warmup = 10;
  c.o.npys = calloc((size_t)(argc > 0 ? argc : 1), sizeof *c.o.npys);
  c.o.jsons = calloc((size_t)(argc > 0 ? argc : 1), sizeof *c.o.jsons);
  if (!c.o.npys || !c.o.jsons) rc = cli_fail(&c, CLI_MODEL, "out of memory");
  else if ((rc = cli_parse_args(&c, argc, argv)) == 0 && (rc = cli_check_info(&c)) == 0) {
    if (c.o.help) cli_usage(&c);
    else if (c.o.version) printf("%s %s\n", cli_str(c.info->name), cli_str(c.info->version));
    else if (c.o.info && c.o.json) cli_info_json(c.info);
    else if (c.o.info) cli_info_text(c.info);
    else rc = cli_execute(&c);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    if (!rc) rc = cli_fail(&c, CLI_DATA, "cannot write to standard output: %s", strerror(errno));
    clearerr(stdout);
  }
  cli_free_all(&c);
  return rc;
}
