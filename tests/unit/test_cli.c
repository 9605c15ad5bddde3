/* test_cli.c - the generated executable's driver (runtime-mini/cli): argument
 * handling, .npy and JSON input and output, --info, --benchmark, every error
 * path, and random mutations of .npy and JSON inputs (run it under ASan and
 * UBSan). Fake models stand in for generated ones. */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpux_rt.h"
#include "rt_json.h"
#include "rt_npy.h"
#include "test.h"

/* ---- fake model: y = x * 2 (float32 [2,3]), s = sum(ids) (int64 [1]) */

static const int64_t SH23[] = {2, 3}, SH2[] = {2}, SH1[] = {1}, SH3[] = {3};
static const gpux_tensor_info FAKE_IN[] = {{"x", GPUX_FLOAT32, 2, SH23, 6, 24},
                                           {"ids", GPUX_INT64, 1, SH2, 2, 16}};
static const gpux_tensor_info FAKE_OUT[] = {{"y", GPUX_FLOAT32, 2, SH23, 6, 24},
                                            {"s", GPUX_INT64, 1, SH1, 1, 8}};
static const gpux_model_info FAKE_INFO = {"fake", "1.2", "c", "fake", 2, 2, FAKE_IN, FAKE_OUT,
                                          256, 1000, 48, 2};

typedef struct fake_ctx {
  int magic;
} fake_ctx;

static int g_init_status, g_run_status, g_runs, g_bad_arena;
static float g_last_x[6];
static int64_t g_last_ids[2];

static const gpux_model_info *fake_info(void) { return &FAKE_INFO; }

static int fake_init(void *ctx, void *arena) {
  if (!arena || (uintptr_t)arena % GPUX_ARENA_ALIGN) g_bad_arena = 1;
  memset(arena, 0xab, FAKE_INFO.arena_bytes); /* the whole arena must be ours */
  if (g_init_status) return g_init_status;
  ((fake_ctx *)ctx)->magic = 42;
  return GPUX_OK;
}

static int fake_run(void *ctx, const void *const *in, void *const *out) {
  const float *x = in[0];
  const int64_t *ids = in[1];
  float *y = out[0];
  int64_t *s = out[1];
  if (((fake_ctx *)ctx)->magic != 42) return GPUX_ERR_STATE;
  g_runs++;
  if (g_run_status) return g_run_status;
  for (int i = 0; i < 6; i++) y[i] = x[i] * 2, g_last_x[i] = x[i];
  s[0] = ids[0] + ids[1];
  g_last_ids[0] = ids[0];
  g_last_ids[1] = ids[1];
  return GPUX_OK;
}

static const gpux_model FAKE = {fake_info, sizeof(fake_ctx), fake_init, fake_run};

/* ---- one-input model with awkward names: out/0 = out:0 = a + 1 */

static const gpux_tensor_info ONE_IN[] = {{"in:0/a.b", GPUX_FLOAT32, 1, SH3, 3, 12}};
static const gpux_tensor_info ONE_OUT[] = {{"out/0", GPUX_FLOAT32, 1, SH3, 3, 12},
                                           {"out:0", GPUX_FLOAT32, 1, SH3, 3, 12}};
static const gpux_model_info ONE_INFO = {"one", "0.1", "cpu", "one", 1, 2, ONE_IN, ONE_OUT,
                                         0, 0, 0, 1};
static const gpux_model_info *one_info(void) { return &ONE_INFO; }
static int one_init(void *ctx, void *arena) { return ctx && arena ? 0 : GPUX_ERR_ARG; }
static int one_run(void *ctx, const void *const *in, void *const *out) {
  (void)ctx;
  for (int i = 0; i < 3; i++) {
    ((float *)out[0])[i] = ((const float *)in[0])[i] + 1;
    ((float *)out[1])[i] = ((const float *)in[0])[i] + 1;
  }
  return 0;
}
static const gpux_model ONE = {one_info, 0, one_init, one_run};

/* ---- identity over every element type; outputs share the inputs' names */

#define ALL_N 13
static const int64_t SH0[1] = {0};
static const gpux_tensor_info ALL_T[ALL_N] = {
    {"f32", GPUX_FLOAT32, 1, SH3, 3, 12},  {"f64", GPUX_FLOAT64, 1, SH2, 2, 16},
    {"f16", GPUX_FLOAT16, 1, SH3, 3, 6},   {"bf16", GPUX_BFLOAT16, 1, SH2, 2, 4},
    {"i8", GPUX_INT8, 1, SH2, 2, 2},       {"u8", GPUX_UINT8, 1, SH2, 2, 2},
    {"i16", GPUX_INT16, 1, SH2, 2, 4},     {"u16", GPUX_UINT16, 1, SH2, 2, 4},
    {"i32", GPUX_INT32, 1, SH2, 2, 8},     {"u32", GPUX_UINT32, 1, SH2, 2, 8},
    {"u64", GPUX_UINT64, 2, SH23, 6, 48},  {"mask", GPUX_BOOL, 1, SH3, 3, 3},
    {"scalar", GPUX_FLOAT32, 0, SH0, 1, 4},
};
static const gpux_model_info ALL_INFO = {"all", "3", "c", "all", ALL_N, ALL_N, ALL_T, ALL_T,
                                         64, 0, 0, ALL_N};
static const gpux_model_info *all_info(void) { return &ALL_INFO; }
static int all_init(void *ctx, void *arena) { return (void)ctx, (void)arena, 0; }
static int all_run(void *ctx, const void *const *in, void *const *out) {
  (void)ctx;
  for (int i = 0; i < ALL_N; i++) memcpy(out[i], in[i], ALL_T[i].bytes);
  return 0;
}
static const gpux_model ALL = {all_info, 8, all_init, all_run};

/* ---- calling the driver with captured stdout and stderr */

static char g_dir[64];
static char *g_out, *g_err;
static size_t g_out_len;

static const char *tmp(const char *name) {
  static char buf[8][512];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
  return buf[k];
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  size_t cap = 1 << 16, n = 0;
  char *b;
  if (!f) return NULL;
  b = malloc(cap + 1);
  for (;;) {
    n += fread(b + n, 1, cap - n, f);
    if (n < cap) break;
    cap *= 2;
    b = realloc(b, cap + 1);
  }
  fclose(f);
  b[n] = 0;
  if (len) *len = n;
  return b;
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite(data, 1, n, f);
  fclose(f);
}

static void redirect(int fd, const char *path, int flags) {
  int f = open(path, flags, 0644);
  dup2(f, fd);
  close(f);
}

/* Runs the driver on a NULL-terminated argument list; optional stdin file. */
static int run_in(const gpux_model *m, const char *stdin_path, const char *const *args) {
  char *argv[64];
  int argc = 0, rc, so, se, si = -1;
  argv[argc++] = (char *)"/some/dir/model_bin";
  while (*args && argc < 63) argv[argc++] = (char *)*args++;
  argv[argc] = NULL;
  fflush(stdout);
  fflush(stderr);
  so = dup(1);
  se = dup(2);
  redirect(1, tmp("stdout.txt"), O_WRONLY | O_CREAT | O_TRUNC);
  redirect(2, tmp("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC);
  if (stdin_path) {
    si = dup(0);
    redirect(0, stdin_path, O_RDONLY);
    clearerr(stdin);
  }
  rc = gpux_cli_main(m, argc, argv);
  fflush(stdout);
  fflush(stderr);
  dup2(so, 1);
  dup2(se, 2);
  close(so);
  close(se);
  if (si >= 0) {
    dup2(si, 0);
    close(si);
    clearerr(stdin);
  }
  free(g_out);
  free(g_err);
  g_out = read_file(tmp("stdout.txt"), &g_out_len);
  g_err = read_file(tmp("stderr.txt"), NULL);
  return rc;
}

#define RUN_CLI(m, ...) run_in(m, NULL, (const char *const[]){__VA_ARGS__, NULL})

/* Valid inputs for FAKE: x = 1..6, ids = {10, 20}. */
static void write_fake_inputs(void) {
  float x[6] = {1, 2, 3, 4, 5, 6};
  int64_t ids[2] = {10, 20};
  char err[128];
  rt_npy_save(tmp("x.npy"), GPUX_FLOAT32, 2, SH23, x, err, sizeof err);
  rt_npy_save(tmp("ids.npy"), GPUX_INT64, 1, SH2, ids, err, sizeof err);
}

/* "NAME=PATH" in a rotating buffer. */
static const char *named(const char *name, const char *path) {
  static char buf[8][300];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s=%s", name, path);
  return buf[k];
}

/* The header numpy.save writes, computed from the format description. */
static size_t numpy_header(char *out, const char *descr, int rank, const int64_t *shape) {
  char dict[512];
  int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int i = 0; i < rank; i++) n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld",
                                               i ? ", " : "", (long long)shape[i]);
  n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", rank == 1 ? "," : "");
  if (rank > 0) {
    int digits = snprintf(NULL, 0, "%lld", (long long)shape[0]);
    for (int k = digits; k < 21; k++) dict[n++] = ' ';
  }
  {
    size_t hlen = (size_t)n + 1, pad = 64 - (10 + hlen) % 64, total = 10 + hlen + pad;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (char)((hlen + pad) & 255);
    out[9] = (char)((hlen + pad) >> 8);
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', pad);
    out[total - 1] = '\n';
    return total;
  }
}

/* A .npy file with a hand-written header (version major.0). */
static void write_raw_npy(const char *path, int major, const char *dict, const void *data,
                          size_t n) {
  unsigned char buf[1024];
  size_t d = strlen(dict), pre = major == 1 ? 10 : 12, hl = d + 1;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major;
  buf[7] = 0;
  buf[8] = (unsigned char)(hl & 255);
  buf[9] = (unsigned char)(hl >> 8);
  buf[10] = buf[11] = 0;
  memcpy(buf + pre, dict, d);
  buf[pre + d] = '\n';
  memcpy(buf + pre + hl, data, n);
  write_file(path, buf, pre + hl + n);
}

/* ---- tests */

TEST(test_help_version) {
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--help"), 0);
  {
    static const char *flags[] = {"--input NAME=FILE.npy", "--input-json", "--output-dir",
                                  "--benchmark", "--runs", "--warmup", "--json", "--info",
                                  "--version", "--help", "'_'", "'<u2'", "bfloat16",
                                  "model_bin", "  x    float32   [2,3]\n"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) CHECK_CONTAINS(g_out, flags[i]);
  }
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--version"), 0);
  CHECK_STR(g_out, "fake 1.2\n");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "-h"), 0);
}

TEST(test_usage_errors) {
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--bogus"), 1);
  CHECK_CONTAINS(g_err, "model_bin: unknown option '--bogus'");
  CHECK_CONTAINS(g_err, "Try 'model_bin --help'");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs"), 1);
  CHECK_CONTAINS(g_err, "option '--runs' needs a value");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", "--benchmark"), 1);
  CHECK_CONTAINS(g_err, "option '--input' needs a value");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs", "abc"), 1);
  CHECK_CONTAINS(g_err, "--runs: 'abc' is not a whole number");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs", "12x"), 1);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs", ""), 1);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs", "99999999999999999999999"), 1);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs", "0"), 1);
  CHECK_CONTAINS(g_err, "--runs must be between 1 and");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs=-3"), 1);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--warmup", "-1"), 1);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--runs", "5"), 1);
  CHECK_CONTAINS(g_err, "--runs and --warmup need --benchmark");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--info", "--benchmark"), 1);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "x.npy"), 1);
  CHECK_CONTAINS(g_err, "unexpected argument 'x.npy' (did you mean --input?)");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--info=yes"), 1);
  CHECK_CONTAINS(g_err, "option '--info' takes no value");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "-"), 1);
  CHECK_EQ_INT(run_in(&FAKE, NULL, (const char *const[]){NULL}), 2); /* no inputs */
  CHECK_EQ_INT(run_in(NULL, NULL, (const char *const[]){NULL}), 3);
  CHECK_CONTAINS(g_err, "model_bin: the model has no description");
}

TEST(test_run_to_output_dir) {
  char err[128], want[256];
  rt_npy_header h;
  void *data = NULL;
  size_t n, hl;
  char *file;
  write_fake_inputs();
  g_runs = 0;
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("x.npy")), "--input",
                       named("ids", tmp("ids.npy")), "--output-dir", tmp("out/a/b")),
               0);
  CHECK_STR(g_out, "");
  CHECK_STR(g_err, "");
  CHECK_EQ_INT(g_runs, 1);
  CHECK(!g_bad_arena);
  CHECK_EQ_INT(rt_npy_load(tmp("out/a/b/y.npy"), &h, &data, err, sizeof err), 0);
  CHECK_EQ_INT(h.dtype, GPUX_FLOAT32);
  CHECK_EQ_INT(h.rank, 2);
  CHECK(h.shape[0] == 2 && h.shape[1] == 3);
  CHECK(data && ((float *)data)[0] == 2 && ((float *)data)[5] == 12);
  free(data);
  CHECK_EQ_INT(rt_npy_load(tmp("out/a/b/s.npy"), &h, &data, err, sizeof err), 0);
  CHECK(data && h.dtype == GPUX_INT64 && h.rank == 1 && ((int64_t *)data)[0] == 30);
  free(data);
  /* byte-identical to numpy.save: the header as numpy computes it, and as it printed it */
  file = read_file(tmp("out/a/b/y.npy"), &n);
  hl = numpy_header(want, "<f4", 2, SH23);
  CHECK_EQ_INT(hl, 128);
  CHECK_EQ_INT(n, 128 + 24);
  CHECK(file && memcmp(file, want, hl) == 0);
  CHECK(file && memcmp(file, "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': "
                             "False, 'shape': (2, 3), }      ", 75) == 0);
  CHECK(file && file[127] == '\n' && file[126] == ' ');
  free(file);
  file = read_file(tmp("out/a/b/s.npy"), &n);
  hl = numpy_header(want, "<i8", 1, SH1);
  CHECK(file && n == hl + 8 && memcmp(file, want, hl) == 0);
  CHECK(file && strstr(file + 10, "'shape': (1,), }"));
  free(file);
  /* an existing directory (with a trailing slash) is fine */
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("x.npy")), "--input",
                       named("ids", tmp("ids.npy")), "--output-dir", tmp("out/")),
               0);
  CHECK(access(tmp("out/y.npy"), F_OK) == 0);
}

TEST(test_header_writer) {
  char got[2048], want[2048];
  static const int64_t shapes[][3] = {{1, 1000, 0}, {0, 3, 0}, {12345678901LL, 1, 0}};
  for (int i = 0; i < 3; i++) {
    size_t a = rt_npy_format_header(got, sizeof got, GPUX_FLOAT32, 2, shapes[i]);
    size_t b = numpy_header(want, "<f4", 2, shapes[i]);
    CHECK(a == b && memcmp(got, want, a) == 0 && a % 64 == 0);
  }
  CHECK_EQ_INT(rt_npy_format_header(got, sizeof got, GPUX_FLOAT64, 0, NULL),
               numpy_header(want, "<f8", 0, NULL));
  CHECK(memcmp(got, want, 128) == 0);
  CHECK_CONTAINS(got + 10, "'shape': (), }");
  CHECK(rt_npy_format_header(got, sizeof got, GPUX_BOOL, 1, SH3) > 0);
  CHECK_CONTAINS(got + 10, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }");
  CHECK(rt_npy_format_header(got, sizeof got, GPUX_BFLOAT16, 1, SH3) > 0);
  CHECK_CONTAINS(got + 10, "'descr': '<u2'");
  CHECK(rt_npy_format_header(got, sizeof got, GPUX_INT8, 1, SH3) > 0);
  CHECK_CONTAINS(got + 10, "'descr': '|i1'");
  CHECK_EQ_INT(rt_npy_format_header(got, 64, GPUX_FLOAT32, 2, SH23), 0); /* too small */
  CHECK_EQ_INT(rt_npy_format_header(got, sizeof got, GPUX_STRING, 1, SH3), 0);
}

/* Parses g_out as JSON; the caller frees doc. */
static const rt_json *parse_out(rt_json_doc *doc) {
  char err[256];
  if (rt_json_parse(doc, g_out ? g_out : "", g_out_len, err, sizeof err)) {
    fprintf(stderr, "bad JSON output (%s): %s\n", err, g_out ? g_out : "");
    return NULL;
  }
  return doc->root;
}

static double num_at(const rt_json *v, int i) {
  for (; v && i > 0; i--) v = v->next;
  return v && v->type == RT_JSON_NUMBER ? v->number : -1e300;
}

TEST(test_run_json_out) {
  rt_json_doc doc;
  const rt_json *r, *y, *s;
  write_fake_inputs();
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("x.npy")), "--input",
                       named("ids", tmp("ids.npy"))),
               0);
  CHECK_STR(g_out, "{\n  \"y\": [[2, 4, 6], [8, 10, 12]],\n  \"s\": [30]\n}\n");
  r = parse_out(&doc);
  CHECK(r && r->type == RT_JSON_OBJECT && r->count == 2);
  y = rt_json_get(r, "y");
  s = rt_json_get(r, "s");
  CHECK(y && y->count == 2 && y->child->count == 3 && num_at(y->child->next->child, 2) == 12);
  CHECK(s && s->count == 1 && num_at(s->child, 0) == 30);
  rt_json_free(&doc);
}

TEST(test_json_inputs) {
  const char *out = "{\n  \"y\": [[2, 4, 6], [8, 10, 12]],\n  \"s\": [3]\n}\n";
  const char *in = "{\"x\": [[1, 2, 3], [4, 5, 6]], \"ids\": [1, 2]}";
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", in), 0);
  CHECK_STR(g_out, out);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "  {\"x\":[1,2,3,4,5,6.0e0],\"ids\":[1e0,2]}"), 0);
  CHECK_STR(g_out, out);
  write_file(tmp("in.json"), in, strlen(in));
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", tmp("in.json")), 0);
  CHECK_STR(g_out, out);
  CHECK_EQ_INT(run_in(&FAKE, tmp("in.json"), (const char *const[]){"--input-json", "-", NULL}), 0);
  CHECK_STR(g_out, out);
  write_fake_inputs();
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("x.npy")), "--input-json",
                       "{\"ids\": [5, -2]}"),
               0);
  CHECK_CONTAINS(g_out, "\"s\": [3]");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": [[1,2,3],[4,5,6]]}", "--input-json",
                       "{\"ids\": [9223372036854775807, -9223372036854775808]}"),
               0);
  CHECK(g_last_ids[0] == INT64_MAX && g_last_ids[1] == INT64_MIN);
}

TEST(test_missing_unknown_twice) {
  write_fake_inputs();
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("x.npy"))), 2);
  CHECK_CONTAINS(g_err, "model_bin: missing input 'ids' (int64 [2]); pass --input ids=FILE.npy");
  CHECK_EQ_INT(run_in(&FAKE, NULL, (const char *const[]){NULL}), 2);
  CHECK_CONTAINS(g_err, "missing input 'x' (float32 [2,3]); pass --input x=FILE.npy\n");
  CHECK_CONTAINS(g_err, "missing input 'ids'");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("foo", tmp("x.npy"))), 2);
  CHECK_CONTAINS(g_err, "unknown input 'foo'; the model's inputs are: x, ids");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", tmp("x.npy")), 2);
  CHECK_CONTAINS(g_err, "name the input (--input NAME=FILE.npy)");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"z\": 1}"), 2);
  CHECK_CONTAINS(g_err, "--input-json: unknown input 'z'; the model's inputs are: x, ids");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("x.npy")), "--input",
                       named("x", tmp("x.npy"))),
               2);
  CHECK_CONTAINS(g_err, "input 'x' given twice");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("ids", tmp("ids.npy")), "--input-json",
                       "{\"ids\": [1, 2]}"),
               2);
  CHECK_CONTAINS(g_err, "input 'ids' given twice");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"ids\": [1, 2], \"ids\": [1, 2]}"), 2);
  CHECK_CONTAINS(g_err, "input 'ids' given twice");
}

TEST(test_unreadable_files) {
  write_fake_inputs();
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("nope.npy")), "--input",
                       named("ids", tmp("ids.npy"))),
               2);
  CHECK_CONTAINS(g_err, "input 'x': cannot read '");
  CHECK_CONTAINS(g_err, "nope.npy': No such file or directory");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", g_dir), "--input",
                       named("ids", tmp("ids.npy"))),
               2);
  CHECK_CONTAINS(g_err, "Is a directory");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", tmp("nope.json")), 2);
  CHECK_CONTAINS(g_err, "--input-json: cannot read '");
  CHECK_CONTAINS(g_err, "No such file or directory");
}

/* Runs FAKE with x from path (and good ids); returns the exit code. */
static int run_x(const char *path) {
  return RUN_CLI(&FAKE, "--input", named("x", path), "--input", named("ids", tmp("ids.npy")));
}

TEST(test_bad_npy_files) {
  float six[6] = {0}, five[5] = {0};
  double d6[6] = {0};
  write_fake_inputs();
  write_file(tmp("bad.npy"), "hello world, not numpy", 22);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "bad.npy': not a .npy file (bad magic string)");
  write_file(tmp("bad.npy"), "", 0);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "empty file");
  write_file(tmp("bad.npy"), "\x93NUMPY\x01\x00\x76\x00{'descr'", 17);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "truncated header");
  write_file(tmp("bad.npy"), "\x93NUM", 4);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "truncated header");
  write_raw_npy(tmp("bad.npy"), 4, "{}", "", 0);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "unsupported .npy format version 4.0");
  write_raw_npy(tmp("bad.npy"), 1, "{'descr': '<f4', 'shape': (2, 3)", six, 24);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "bad header");
  write_raw_npy(tmp("bad.npy"), 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                six, 24);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "fortran_order is True");
  write_raw_npy(tmp("bad.npy"), 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }",
                six, 24);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "input 'x': expected float32 ('<f4'), got unsupported descr '<c8' in '");
  write_raw_npy(tmp("bad.npy"), 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
                six, 24);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "big-endian data ('>f4') is not supported");
  write_raw_npy(tmp("bad.npy"), 1, "{'descr': [('a', '<f4')], 'fortran_order': False, "
                "'shape': (2, 3), }", six, 24);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "structured");
  rt_npy_save(tmp("bad.npy"), GPUX_FLOAT64, 2, SH23, d6, NULL, 0);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "model_bin: input 'x': expected float32 ('<f4'), got float64 ('<f8') in '");
  {
    static const int64_t sh[] = {2, 2};
    rt_npy_save(tmp("a.npy"), GPUX_FLOAT32, 2, sh, six, NULL, 0);
  }
  CHECK_EQ_INT(run_x(tmp("a.npy")), 2);
  CHECK_CONTAINS(g_err, "input 'x': expected shape [2,3], got [2,2] in '");
  write_raw_npy(tmp("bad.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                five, 20);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "truncated data: the header promises 24 data bytes");
  write_raw_npy(tmp("bad.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                d6, 28);
  CHECK_EQ_INT(run_x(tmp("bad.npy")), 2);
  CHECK_CONTAINS(g_err, "file size does not match the header");
}

TEST(test_npy_versions_and_variants) {
  float x[6] = {1, 2, 3, 4, 5, 6};
  static const char *dicts[] = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      "{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2,3)}",
      "{ 'shape' : ( 2L , 3L ) , 'fortran_order' : False , 'descr' : '=f4' }  ",
  };
  write_fake_inputs();
  for (int major = 1; major <= 3; major++)
    for (int i = 0; i < 3; i++) {
      write_raw_npy(tmp("v.npy"), major, dicts[i], x, sizeof x);
      CHECK_EQ_INT(run_x(tmp("v.npy")), 0);
      CHECK_CONTAINS(g_out, "\"y\": [[2, 4, 6], [8, 10, 12]]");
    }
}

TEST(test_header_parser) {
  static const struct { const char *dict; gpux_dtype dt; const char *err; } cases[] = {
      {"{'descr': '<i1', 'fortran_order': False, 'shape': (3,), }", GPUX_INT8, NULL},
      {"{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }", GPUX_INT8, NULL},
      {"{'descr': '>u1', 'fortran_order': False, 'shape': (3,), }", GPUX_UINT8, NULL},
      {"{'descr': '|b1', 'fortran_order': False, 'shape': (), }", GPUX_BOOL, NULL},
      {"{'descr': '<f2', 'fortran_order': False, 'shape': (0, 7), }", GPUX_FLOAT16, NULL},
      {"{'descr': '<U3', 'fortran_order': False, 'shape': (3,), }", GPUX_STRING, NULL},
      {"{'descr': '|S5', 'fortran_order': False, 'shape': (2,), }", GPUX_STRING, NULL},
      {"{'descr': '>U3', 'fortran_order': False, 'shape': (3,), }", GPUX_UNDEFINED, NULL},
      {"{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", GPUX_UNDEFINED, NULL},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", 0, "negative dimension"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0,
       "too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }", 0,
       "too large"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }", 0, "not True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", 0, "unexpected key"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", 0, "repeated"},
      {"{'descr': '<f4', 'fortran_order': False}", 0, "missing key 'shape'"},
      {"{'fortran_order': False, 'shape': ()}", 0, "missing key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} x", 0, "unexpected text"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
       "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)}", 0, "more than 32"},
      {"{'descr': '<f\\4', 'fortran_order': False, 'shape': (3,)}", 0, "unsupported string"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    unsigned char buf[1024];
    char err[256] = "";
    rt_npy_header h;
    size_t d = strlen(cases[i].dict);
    int rc;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(d & 255);
    buf[9] = (unsigned char)(d >> 8);
    memcpy(buf + 10, cases[i].dict, d);
    rc = rt_npy_parse_header(buf, 10 + d, &h, err, sizeof err);
    if (cases[i].err) {
      CHECK_EQ_INT(rc, -1);
      CHECK_CONTAINS(err, cases[i].err);
    } else {
      CHECK_EQ_INT(rc, 0);
      CHECK_EQ_INT(h.dtype, cases[i].dt);
      CHECK_EQ_INT(h.header_bytes, 10 + d);
    }
  }
}

TEST(test_json_input_errors) {
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": [1, 2 3]}"), 2);
  CHECK_CONTAINS(g_err, "model_bin: --input-json: expected ',' or ']' at line 1, column 13");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json",
                       "{\"x\":\n [[1,2,3],\n  [4,5,6]],\n \"ids\" [1]}"),
               2);
  CHECK_CONTAINS(g_err, "expected ':' at line 4, column 8");
  write_file(tmp("bad.json"), "{\"x\": tru}", 10);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", tmp("bad.json")), 2);
  CHECK_CONTAINS(g_err, "expected a value at line 1, column 7");
  CHECK_CONTAINS(g_err, "bad.json'");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": [[1,2,3],[4,5]], \"ids\": [1,2]}"), 2);
  CHECK_CONTAINS(g_err, "--input-json: input 'x' at [1]: expected 3 elements (dimension 1 of "
                        "shape [2,3]), got 2 (line 1, column 16)");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": [1,2,3,4,5], \"ids\": [1,2]}"), 2);
  CHECK_CONTAINS(g_err, "input 'x': expected 6 values for shape [2,3]");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": [[1,2,\"a\"],[4,5,6]], \"ids\": [1,2]}"), 2);
  CHECK_CONTAINS(g_err, "input 'x' at [0][2]: expected a number, got a string");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": [[1,2,3],[4,5,null]], \"ids\": [1,2]}"), 2);
  CHECK_CONTAINS(g_err, "expected a number, got null");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": [[1,2,3],[4,5,[6]]], \"ids\": [1,2]}"), 2);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": 7, \"ids\": [1,2]}"), 2);
  CHECK_CONTAINS(g_err, "expected a list for shape [2,3], got a number");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"ids\": [1, 9223372036854775808]}"), 2);
  CHECK_CONTAINS(g_err, "input 'ids' at [1]: 9223372036854775808 is out of range for int64");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"ids\": [1.5, 2]}"), 2);
  CHECK_CONTAINS(g_err, "1.5 is not an integer");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"ids\": [NaN, 2]}"), 2);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "[1, 2]"), 2);
  CHECK_CONTAINS(g_err, "--input-json: expected an object");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": [1,2,3,4,5,6]} trailing"), 2);
  CHECK_CONTAINS(g_err, "expected the end of the input at line 1, column 22 (got 't')");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", "{\"x\": \"\\u12\"}"), 2);
  CHECK_CONTAINS(g_err, "invalid \\u escape");
  {
    char deep[2100];
    memset(deep, '[', 1000);
    memcpy(deep, "{\"x\":", 5);
    deep[1000] = 0;
    CHECK_EQ_INT(RUN_CLI(&FAKE, "--input-json", deep), 2);
    CHECK_CONTAINS(g_err, "nesting deeper than 128 levels");
  }
}

TEST(test_json_ranges) {
  static const struct { const char *json; const char *err; } cases[] = {
      {"{\"i8\": [-128, 127]}", NULL},
      {"{\"i8\": [-129, 0]}", "-129 is out of range for int8"},
      {"{\"u8\": [0, 255]}", NULL},           {"{\"u8\": [256, 0]}", "out of range for uint8"},
      {"{\"u8\": [-1, 0]}", "-1 is out of range for uint8"}, {"{\"u8\": [-0, 0.0]}", NULL},
      {"{\"i16\": [-32768, 32767]}", NULL},   {"{\"i16\": [32768, 0]}", "out of range for int16"},
      {"{\"u16\": [65535, 0]}", NULL},        {"{\"u16\": [65536, 0]}", "out of range"},
      {"{\"i32\": [-2147483648, 2147483647]}", NULL},
      {"{\"i32\": [2147483648, 0]}", "out of range"},
      {"{\"u32\": [4294967295, 0]}", NULL},   {"{\"u32\": [4294967296, 0]}", "out of range"},
      {"{\"u64\": [18446744073709551615, 0, 1, 2, 3, 4]}", NULL},
      {"{\"u64\": [18446744073709551616, 0, 1, 2, 3, 4]}", "out of range for uint64"},
      {"{\"u64\": [1e30, 0, 1, 2, 3, 4]}", "out of range for uint64"},
      {"{\"mask\": [true, false, 1]}", NULL},
      {"{\"mask\": [true, false, 2]}", "out of range for bool"},
      {"{\"mask\": [true, \"no\", 1]}", "got a string"}, {"{\"scalar\": 2.5}", NULL},
      {"{\"scalar\": [2.5]}", NULL},          {"{\"scalar\": [2.5, 1]}", "expected 1 values"},
      {"{\"scalar\": {}}", "got an object"},  {"{\"f16\": [1e10, -1e-10, 0.5]}", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int rc = RUN_CLI(&ALL, "--benchmark", "--runs", "1", "--warmup", "0", "--input-json",
                     cases[i].json);
    CHECK_EQ_INT(rc, cases[i].err ? 2 : 0);
    if (cases[i].err) CHECK_CONTAINS(g_err, cases[i].err);
    if (rc != (cases[i].err ? 2 : 0)) fprintf(stderr, "  case %s: %s\n", cases[i].json, g_err);
  }
}

TEST(test_model_failures) {
  write_fake_inputs();
  g_init_status = GPUX_ERR_ARG;
  CHECK_EQ_INT(run_x(tmp("x.npy")), 3);
  CHECK_CONTAINS(g_err, "model_bin: model init failed (status 1)");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark"), 3);
  g_init_status = 0;
  g_run_status = 7;
  CHECK_EQ_INT(run_x(tmp("x.npy")), 3);
  CHECK_CONTAINS(g_err, "model run failed (status 7)");
  CHECK_STR(g_out, "");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs", "3"), 3);
  g_run_status = 0;
}

TEST(test_info) {
  rt_json_doc doc;
  const rt_json *r, *in;
  static const char *keys[] = {"name",         "version",      "target",
                               "inputs",       "outputs",      "arena_bytes",
                               "weight_bytes", "intermediate_bytes", "nodes", "threads"};
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--info"), 0);
  CHECK_CONTAINS(g_out, "name                fake\n");
  CHECK_CONTAINS(g_out, "version             1.2\n");
  CHECK_CONTAINS(g_out, "target              c\n");
  CHECK_CONTAINS(g_out, "arena_bytes         256\n");
  CHECK_CONTAINS(g_out, "weight_bytes        1000\n");
  CHECK_CONTAINS(g_out, "intermediate_bytes  48\n");
  CHECK_CONTAINS(g_out, "nodes               2\n");
  CHECK_CONTAINS(g_out, "input   x     float32   [2,3]\n");
  CHECK_CONTAINS(g_out, "input   ids   int64     [2]\n");
  CHECK_CONTAINS(g_out, "output  s     int64     [1]\n");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--info", "--json", "--input", "x=ignored.npy"), 0);
  r = parse_out(&doc);
  CHECK(r && r->type == RT_JSON_OBJECT && r->count == 10);
  for (size_t i = 0; r && i < sizeof keys / sizeof *keys; i++) CHECK(rt_json_get(r, keys[i]));
  CHECK(r && !strcmp(rt_json_get(r, "name")->text, "fake"));
  CHECK(r && rt_json_get(r, "arena_bytes")->number == 256);
  CHECK(r && rt_json_get(r, "nodes")->number == 2);
  in = r ? rt_json_get(r, "inputs") : NULL;
  CHECK(in && in->count == 2);
  CHECK(in && !strcmp(rt_json_get(in->child, "type")->text, "float32"));
  CHECK(in && rt_json_get(in->child, "shape")->count == 2);
  CHECK(in && num_at(rt_json_get(in->child, "shape")->child, 1) == 3);
  CHECK(in && !strcmp(rt_json_get(in->child->next, "name")->text, "ids"));
  rt_json_free(&doc);
  CHECK_EQ_INT(RUN_CLI(&ALL, "--info", "--json"), 0);
  r = parse_out(&doc);
  CHECK(r && rt_json_get(r, "outputs")->count == ALL_N);
  CHECK_CONTAINS(g_out, "{\"name\": \"bf16\", \"type\": \"bfloat16\", \"shape\": [2]}");
  CHECK_CONTAINS(g_out, "{\"name\": \"scalar\", \"type\": \"float32\", \"shape\": []}");
  rt_json_free(&doc);
}

TEST(test_benchmark) {
  rt_json_doc doc;
  const rt_json *r;
  static const char *keys[] = {"avg_inference_time", "min_inference_time", "max_inference_time",
                               "p50_inference_time", "p90_inference_time", "p99_inference_time",
                               "fps", "runs", "warmup"};
  float first[6];
  g_runs = 0;
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs", "5", "--warmup", "2", "--json"), 0);
  CHECK_EQ_INT(g_runs, 7);
  r = parse_out(&doc);
  CHECK(r && r->type == RT_JSON_OBJECT && r->count == 9);
  for (size_t i = 0; r && i < sizeof keys / sizeof *keys; i++) CHECK(rt_json_get(r, keys[i]));
  if (r && r->count == 9) {
    double avg = rt_json_get(r, "avg_inference_time")->number;
    double mn = rt_json_get(r, "min_inference_time")->number;
    double mx = rt_json_get(r, "max_inference_time")->number;
    double p50 = rt_json_get(r, "p50_inference_time")->number;
    double p90 = rt_json_get(r, "p90_inference_time")->number;
    double p99 = rt_json_get(r, "p99_inference_time")->number;
    double fps = rt_json_get(r, "fps")->number;
    CHECK(mn >= 0 && mn <= p50 && p50 <= p90 && p90 <= p99 && p99 <= mx);
    CHECK(avg >= mn && avg <= mx);
    CHECK(fps > 0 && fabs(fps - 1000 / avg) <= 1e-6 * fps);
    CHECK(rt_json_get(r, "runs")->number == 5 && rt_json_get(r, "warmup")->number == 2);
  }
  rt_json_free(&doc);
  /* pseudo-random inputs: floats in [0,1), integers 0, the same every time */
  for (int i = 0; i < 6; i++) CHECK(g_last_x[i] >= 0 && g_last_x[i] < 1);
  CHECK(g_last_x[0] != g_last_x[1]);
  CHECK(g_last_ids[0] == 0 && g_last_ids[1] == 0);
  memcpy(first, g_last_x, sizeof first);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs=1", "--warmup=0"), 0);
  CHECK(memcmp(first, g_last_x, sizeof first) == 0);
  for (size_t i = 0; i < 7; i++) CHECK_CONTAINS(g_out, keys[i]);
  CHECK_CONTAINS(g_out, " ms\n");
  CHECK_CONTAINS(g_out, "runs                1\n");
  CHECK_CONTAINS(g_out, "warmup              0\n");
  /* given inputs are used, and --output-dir writes the last outputs */
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--benchmark", "--runs", "2", "--input-json",
                       "{\"ids\": [4, 5]}", "--output-dir", tmp("bench")),
               0);
  CHECK(g_last_ids[0] == 4 && g_last_ids[1] == 5);
  CHECK(access(tmp("bench/s.npy"), F_OK) == 0);
  CHECK_EQ_INT(RUN_CLI(&ALL, "--benchmark", "--runs", "3"), 0);
}

TEST(test_output_dir_errors) {
  write_fake_inputs();
  write_file(tmp("plain"), "x", 1);
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("x.npy")), "--input",
                       named("ids", tmp("ids.npy")), "--output-dir", tmp("plain")),
               2);
  CHECK_CONTAINS(g_err, "cannot create output directory '");
  CHECK_CONTAINS(g_err, "Not a directory");
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("x.npy")), "--input",
                       named("ids", tmp("ids.npy")), "--output-dir", tmp("plain/sub")),
               2);
  mkdir(tmp("od"), 0777);
  mkdir(tmp("od/y.npy"), 0777); /* a directory where the file should go */
  CHECK_EQ_INT(RUN_CLI(&FAKE, "--input", named("x", tmp("x.npy")), "--input",
                       named("ids", tmp("ids.npy")), "--output-dir", tmp("od")),
               2);
  CHECK_CONTAINS(g_err, "cannot write '");
  CHECK_CONTAINS(g_err, "od/y.npy': Is a directory");
}

TEST(test_one_input_model) {
  float a[3] = {1, 2, 3};
  char err[128];
  rt_npy_header h;
  void *data = NULL;
  rt_npy_save(tmp("a.npy"), GPUX_FLOAT32, 1, SH3, a, err, sizeof err);
  CHECK_EQ_INT(RUN_CLI(&ONE, "--input", tmp("a.npy")), 0);
  CHECK_STR(g_out, "{\n  \"out/0\": [2, 3, 4],\n  \"out:0\": [2, 3, 4]\n}\n");
  CHECK_EQ_INT(RUN_CLI(&ONE, "--input", named("in:0/a.b", tmp("a.npy")), "--output-dir",
                       tmp("one")),
               0);
  CHECK_EQ_INT(rt_npy_load(tmp("one/out_0.npy"), &h, &data, err, sizeof err), 0);
  free(data);
  CHECK_EQ_INT(rt_npy_load(tmp("one/out_0_1.npy"), &h, &data, err, sizeof err), 0);
  CHECK(data && ((float *)data)[2] == 4);
  free(data);
  CHECK_EQ_INT(RUN_CLI(&ONE, "--input", named("img", tmp("a.npy"))), 2);
  CHECK_CONTAINS(g_err, "No such file or directory (the model's only input is 'in:0/a.b')");
  CHECK_EQ_INT(RUN_CLI(&ONE, "--input-json", "[5, 6, 7]"), 0);
  CHECK_CONTAINS(g_out, "[6, 7, 8]");
  CHECK_EQ_INT(RUN_CLI(&ONE, "--info"), 0);
  CHECK_CONTAINS(g_out, "input   in:0/a.b  float32   [3]\n");
}

/* Every dtype through .npy files and back, then through JSON and back. */
TEST(test_all_dtypes_roundtrip) {
  unsigned char buf[ALL_N][64];
  const char *args[2 * ALL_N + 4];
  char err[128], *json;
  int n = 0;
  for (int i = 0; i < ALL_N; i++) {
    for (size_t k = 0; k < ALL_T[i].bytes; k++) buf[i][k] = (unsigned char)(k * 37 + i * 11 + 3);
    if (ALL_T[i].dtype == GPUX_BOOL) memcpy(buf[i], "\1\0\1", 3);
    if (ALL_T[i].dtype == GPUX_FLOAT32 && ALL_T[i].rank == 1) {
      float v[3] = {NAN, INFINITY, -1.0f / 3};
      memcpy(buf[i], v, sizeof v);
    }
    CHECK_EQ_INT(rt_npy_save(tmp(ALL_T[i].name), ALL_T[i].dtype, ALL_T[i].rank, ALL_T[i].shape,
                             buf[i], err, sizeof err), 0);
    args[n++] = "--input";
    args[n++] = strdup(named(ALL_T[i].name, tmp(ALL_T[i].name)));
  }
  args[n++] = "--output-dir";
  args[n++] = tmp("all");
  args[n] = NULL;
  CHECK_EQ_INT(run_in(&ALL, NULL, args), 0);
  CHECK_STR(g_err, "");
  for (int i = 0; i < ALL_N; i++) {
    char p[64];
    rt_npy_header h;
    void *data = NULL;
    snprintf(p, sizeof p, "all/%s.npy", ALL_T[i].name);
    CHECK_EQ_INT(rt_npy_load(tmp(p), &h, &data, err, sizeof err), 0);
    CHECK(data && h.data_bytes == ALL_T[i].bytes && memcmp(data, buf[i], h.data_bytes) == 0);
    CHECK_EQ_INT(h.rank, ALL_T[i].rank);
    free(data);
  }
  /* JSON out -> JSON in -> the same JSON out */
  args[2 * ALL_N] = NULL;
  CHECK_EQ_INT(run_in(&ALL, NULL, args), 0);
  CHECK_CONTAINS(g_out, "\"f32\": [NaN, Infinity, -0.333333343]");
  CHECK_CONTAINS(g_out, "\"mask\": [true, false, true]");
  CHECK_CONTAINS(g_out, "\"scalar\": ");
  json = strdup(g_out);
  CHECK_EQ_INT(RUN_CLI(&ALL, "--input-json", json), 0);
  CHECK_STR(g_out, json);
  free(json);
  for (int i = 1; i < 2 * ALL_N; i += 2) free((void *)args[i]);
}

TEST(test_half_conversions) {
  static const struct { float f; uint16_t h; } cases[] = {
      {1.0f, 0x3c00}, {-2.0f, 0xc000}, {65504.0f, 0x7bff}, {65519.0f, 0x7bff}, {65520.0f, 0x7c00},
      {0.1f, 0x2e66}, {5.9604645e-8f, 0x0001}, {2.9802322e-8f, 0x0000}, {2.9802326e-8f, 0x0001},
      {6.1035156e-5f, 0x0400}, {1e-10f, 0}, {INFINITY, 0x7c00}, {-0.0f, 0x8000},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    CHECK_EQ_INT(rt_npy_f32_to_f16(cases[i].f), cases[i].h);
  CHECK((rt_npy_f32_to_f16(NAN) & 0x7c00) == 0x7c00 && (rt_npy_f32_to_f16(NAN) & 0x3ff));
  for (uint32_t h = 0; h < 65536; h++) {
    float f = rt_npy_f16_to_f32((uint16_t)h);
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) CHECK(isnan(f));
    else if (rt_npy_f32_to_f16(f) != h) {
      CHECK_EQ_INT(rt_npy_f32_to_f16(f), h);
      break;
    }
  }
  CHECK_EQ_INT(rt_npy_f32_to_bf16(1.0f), 0x3f80);
  CHECK_EQ_INT(rt_npy_f32_to_bf16(1.00390625f), 0x3f80); /* a tie rounds to even */
  CHECK_EQ_INT(rt_npy_f32_to_bf16(1.01171875f), 0x3f82);
  CHECK(rt_npy_bf16_to_f32(0x4049) == 3.140625f);
}

TEST(test_json_reader_writer) {
  rt_json_doc doc;
  char err[256];
  const char *t = "{\"a\\n\\u00e9\\ud83d\\ude00\": [1, -2.5e-3, true, false, null, \"s\"], "
                  "\"b\": {}, \"c\": [], \"n\": [NaN, Infinity, -Infinity]}";
  CHECK_EQ_INT(rt_json_parse(&doc, t, strlen(t), err, sizeof err), 0);
  CHECK(doc.root && doc.root->count == 4);
  CHECK(doc.root && !strcmp(doc.root->child->key, "a\n\xc3\xa9\xf0\x9f\x98\x80"));
  CHECK(doc.root && num_at(doc.root->child->child, 1) == -2.5e-3);
  CHECK(doc.root && isnan(num_at(rt_json_get(doc.root, "n")->child, 0)));
  CHECK(doc.root && isinf(num_at(rt_json_get(doc.root, "n")->child, 2)));
  rt_json_free(&doc);
  CHECK_EQ_INT(rt_json_parse(&doc, "", 0, err, sizeof err), -1);
  CHECK_CONTAINS(err, "expected a value at line 1, column 1 (got the end of the input)");
  CHECK_EQ_INT(rt_json_parse(&doc, "[01]", 4, err, sizeof err), -1);
  CHECK_EQ_INT(rt_json_parse(&doc, "[1.]", 4, err, sizeof err), -1);
  CHECK_EQ_INT(rt_json_parse(&doc, "[-]", 3, err, sizeof err), -1);
  CHECK_EQ_INT(rt_json_parse(&doc, "[1,]", 4, err, sizeof err), -1);
  CHECK_EQ_INT(rt_json_parse(&doc, "\"a\x01\"", 4, err, sizeof err), -1);
  CHECK_CONTAINS(err, "control character");
  CHECK_EQ_INT(rt_json_parse(&doc, "[1]\0", 4, err, sizeof err), -1);
  CHECK_CONTAINS(err, "(got byte 0x00)");
  CHECK_EQ_INT(rt_json_parse(&doc, "\"\\ud800\"", 8, err, sizeof err), -1);
  CHECK_EQ_INT(rt_json_parse(&doc, "\"\\u0000\"", 8, err, sizeof err), -1);
  {
    FILE *f = fopen(tmp("w.json"), "w+b");
    char *s;
    rt_json_write_string(f, "q\"\\\n\x01/");
    fputc(' ', f);
    rt_json_write_double(f, NAN, 9);
    fputc(' ', f);
    rt_json_write_double(f, -INFINITY, 9);
    fputc(' ', f);
    rt_json_write_double(f, (double)16777217.0f, 9);
    fclose(f);
    s = read_file(tmp("w.json"), NULL);
    CHECK_STR(s, "\"q\\\"\\\\\\n\\u0001/\" NaN -Infinity 16777216");
    free(s);
  }
}

/* ---- mutations: never crash, always exit 0 or 2 */

static uint64_t g_rng = 12345;
static uint32_t rnd(void) {
  g_rng = g_rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(g_rng >> 33);
}

static size_t mutate(unsigned char *b, size_t n, size_t cap) {
  int k = 1 + (int)(rnd() % 4);
  static const char tokens[] = "{}[],:\"'()0123456789-.eE \\ntruefalsNaIiy<>|f248";
  for (int i = 0; i < k && n; i++) {
    switch (rnd() % 6) {
    case 0: b[rnd() % n] = (unsigned char)rnd(); break;
    case 1: b[rnd() % n] = (unsigned char)tokens[rnd() % (sizeof tokens - 1)]; break;
    case 2: n = rnd() % n; break; /* truncate */
    case 3: if (n < cap) b[n++] = (unsigned char)rnd(); break;
    case 4: b[rnd() % n] ^= (unsigned char)(1u << (rnd() % 8)); break;
    default: { /* delete a byte */
      size_t at = rnd() % n;
      memmove(b + at, b + at + 1, n - at - 1);
      n--;
    }
    }
  }
  return n;
}

TEST(test_fuzz_npy) {
  unsigned char good[512], b[600];
  size_t n;
  float x[6] = {1, 2, 3, 4, 5, 6};
  int bad = 0;
  write_fake_inputs();
  {
    char *f = read_file(tmp("x.npy"), &n);
    memcpy(good, f, n);
    free(f);
  }
  for (int it = 0; it < 2000; it++) {
    size_t m;
    int rc;
    rt_npy_header h;
    char err[256];
    memcpy(b, good, n);
    m = mutate(b, n, sizeof b);
    if (it % 4 == 0) { /* mutate inside the header more often */
      m = n;
      b[10 + rnd() % 70] = (unsigned char)"(),' 0129L-{}:<>|=fiub"[rnd() % 22];
    }
    rt_npy_parse_header(b, m, &h, err, sizeof err);
    write_file(tmp("fz.npy"), b, m);
    rc = run_x(tmp("fz.npy"));
    if (rc != 0 && rc != 2) bad++;
    if (rc == 2 && !strstr(g_err, "input 'x'")) bad++;
  }
  CHECK_EQ_INT(bad, 0);
  (void)x;
}

TEST(test_fuzz_json) {
  const char *good = "{\"x\": [[1, 2.5, -3e2], [4, NaN, 6]], \"ids\": [10, -20]}";
  unsigned char b[200];
  int bad = 0;
  size_t n = strlen(good);
  for (int it = 0; it < 2000; it++) {
    size_t m;
    int rc;
    rt_json_doc doc;
    char err[256];
    memcpy(b, good, n);
    m = mutate(b, n, sizeof b - 1);
    if (rt_json_parse(&doc, (const char *)b, m, err, sizeof err) == 0) {
      float x[6];
      size_t where;
      const rt_json *v = rt_json_get(doc.root, "x");
      if (v) rt_json_to_tensor(v, GPUX_FLOAT32, 2, SH23, 6, x, &where, err, sizeof err);
      v = rt_json_get(doc.root, "ids");
      if (v) rt_json_to_tensor(v, GPUX_UINT8, 1, SH2, 2, x, &where, err, sizeof err);
      rt_json_free(&doc);
    }
    b[m] = 0;
    if (!strcmp((const char *)b, "-")) continue; /* would read stdin */
    rc = RUN_CLI(&FAKE, "--input-json", (const char *)b);
    if (rc != 0 && rc != 2) bad++;
    if (rc == 2 && !strstr(g_err, "--input-json") && !strstr(g_err, "missing input")) bad++;
  }
  CHECK_EQ_INT(bad, 0);
}

int main(void) {
  strcpy(g_dir, "/tmp/gpux_test_cli_XXXXXX");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return 1;
  }
  RUN(test_help_version);
  RUN(test_usage_errors);
  RUN(test_run_to_output_dir);
  RUN(test_header_writer);
  RUN(test_run_json_out);
  RUN(test_json_inputs);
  RUN(test_missing_unknown_twice);
  RUN(test_unreadable_files);
  RUN(test_bad_npy_files);
  RUN(test_npy_versions_and_variants);
  RUN(test_header_parser);
  RUN(test_json_input_errors);
  RUN(test_json_ranges);
  RUN(test_model_failures);
  RUN(test_info);
  RUN(test_benchmark);
  RUN(test_output_dir_errors);
  RUN(test_one_input_model);
  RUN(test_all_dtypes_roundtrip);
  RUN(test_half_conversions);
  RUN(test_json_reader_writer);
  RUN(test_fuzz_npy);
  RUN(test_fuzz_json);
  free(g_out);
  free(g_err);
  {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  }
  TEST_MAIN_END();
}
