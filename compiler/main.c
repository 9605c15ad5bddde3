/* main.c - gpuxc's command line: parses arguments, runs a command, prints
 * the diagnostics and turns them into the exit code. */
#include <string.h>

#include "driver.h"

static const char USAGE[] =
    "usage: gpuxc build CONFIG|MODEL -o OUT [options]\n"
    "       gpuxc inspect CONFIG|MODEL [--json] [--input-shape NAME=DIMS]\n"
    "       gpuxc targets\n"
    "\n"
    "build options:\n"
    "  -o OUT                    the executable to write; its sources go to OUT.src/\n"
    "  --target c|cpu            code generator (default: build.target in gpux.yml, else c):\n"
    "                            c is portable C99 for any CPU and firmware; cpu is C for this\n"
    "                            kind of host, with SIMD kernels and a thread pool\n"
    "  --cpu NAME                cpu target: the instruction set to compile for: native (the\n"
    "                            build machine's, the default), avx512, avx2 or generic\n"
    "  --threads N               cpu target: threads the program starts (0: one per CPU, the\n"
    "                            default; the executable's --threads overrides it)\n"
    "  --input-shape NAME=DIMS   bind an input's shape, e.g. input=1x3x224x224 (repeatable)\n"
    "  --sequence-length NAME=N  input NAME is a sequence of N tensors, given to the program\n"
    "                            as inputs NAME[0] .. NAME[N-1] (shapes: --input-shape 'NAME[i]=..')\n"
    "  --absent NAME             leave out the optional input NAME (an empty optional)\n"
    "  --string-bytes N          the most UTF-8 bytes of one string of a string input (256)\n"
    "  --constant NAME=FILE.npy  make input NAME a constant with this value; the program\n"
    "                            no longer takes it (repeatable)\n"
    "  --profile                 per-node timing: the program takes --profile trace.json\n"
    "  --emit-only               write OUT.src/ but do not compile it\n"
    "  --no-optimize             skip the optimization passes\n"
    "  -O0 .. -O3                optimization level (default: build.optimize, else 2)\n"
    "  --verbose                 print what every pass changed and the memory plan\n"
    "  --quiet                   print nothing but warnings and errors\n"
    "  --dump-after PASS         print the graph after a pass (identity, fold, dce, ...)\n"
    "\n"
    "Environment: CC, CFLAGS and AR are used to compile the generated code; the compiled\n"
    "command-line driver is kept in GPUXC_CACHE (default ~/.cache/gpuxc; 'off' disables).\n"
    "Exit codes: 0 ok, 1 usage, 2 invalid model or config, 3 unsupported, 4 toolchain.\n";

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "gpuxc: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(see gpuxc --help)\n");
  return EK_USAGE;
}

static int parse_shape(Options *o, const char *arg) {
  const char *eq = strrchr(arg, '=');
  if (!eq || eq == arg || o->nshapes >= (int)ARRAY_LEN(o->shapes)) return -1;
  ShapeBinding *s = &o->shapes[o->nshapes];
  s->rank = parse_dims(eq + 1, s->dims, IR_MAX_RANK);
  if (s->rank < 0) return -1;
  char *name = xmalloc((size_t)(eq - arg) + 1);
  memcpy(name, arg, (size_t)(eq - arg));
  name[eq - arg] = 0;
  s->name = name;
  o->nshapes++;
  return 0;
}

/* Fills o from argv[2..]; returns 0 or an exit code. */
static int parse_args(Options *o, int argc, char **argv) {
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    int takes = 1;
    if (strcmp(a, "-o") == 0 && next) o->out = next;
    else if (strcmp(a, "--target") == 0 && next) o->target = next;
    else if (strcmp(a, "--cpu") == 0 && next) o->cpu = next;
    else if (strcmp(a, "--threads") == 0 && next) {
      char *end = NULL;
      long n = strtol(next, &end, 10);
      if (*end || end == next || n < 0 || n > 64)
        return usage_error("--threads wants 0 (one per CPU) to 64, got '%s'", next);
      o->threads = (int)n;
    }
    else if (strcmp(a, "--input-shape") == 0 && next) {
      if (o->nshapes >= (int)ARRAY_LEN(o->shapes))
        return usage_error("too many --input-shape (at most 256), at '%s'", next);
      if (parse_shape(o, next))
        return usage_error("--input-shape wants NAME=DIMS like input=1x3x224x224, got '%s'",
                           next);
    } else if (strcmp(a, "--constant") == 0 && next) {
      const char *eq = strchr(next, '=');
      if (!eq || eq == next || !eq[1] || o->nconsts >= (int)ARRAY_LEN(o->consts))
        return usage_error("--constant wants NAME=FILE.npy, got '%s'", next);
      char *name = xmalloc((size_t)(eq - next) + 1);
      memcpy(name, next, (size_t)(eq - next));
      name[eq - next] = 0;
      o->consts[o->nconsts].name = name;
      o->consts[o->nconsts++].path = eq + 1;
    } else if (strcmp(a, "--sequence-length") == 0 && next) {
      const char *eq = strrchr(next, '=');
      char *end = NULL;
      long long n = eq ? strtoll(eq + 1, &end, 10) : -1;
      if (!eq || eq == next || !eq[1] || *end || n < 0 || n > 4096 ||
          o->nseqs >= (int)ARRAY_LEN(o->seqs))
        return usage_error("--sequence-length wants NAME=N (0 to 4096), got '%s'", next);
      char *name = xmalloc((size_t)(eq - next) + 1);
      memcpy(name, next, (size_t)(eq - next));
      name[eq - next] = 0;
      o->seqs[o->nseqs].name = name;
      o->seqs[o->nseqs++].len = n;
    } else if (strcmp(a, "--string-bytes") == 0 && next) {
      char *end = NULL;
      long long n = strtoll(next, &end, 10);
      if (*end || n < 1 || n > 1 << 20)
        return usage_error("--string-bytes wants a count of bytes (1 to 1048576), got '%s'", next);
      o->string_bytes = n;
    } else if (strcmp(a, "--absent") == 0 && next) {
      if (o->nabsent >= (int)ARRAY_LEN(o->absent)) return usage_error("too many --absent (at most 32), at '%s'", next);
      o->absent[o->nabsent++] = next;
    } else if (strcmp(a, "--dump-after") == 0 && next) o->dump_after = next;
    else {
      takes = 0;
      if (strcmp(a, "--emit-only") == 0) o->emit_only = 1;
      else if (strcmp(a, "--profile") == 0) o->profile = 1;
      else if (strcmp(a, "--no-optimize") == 0 || strcmp(a, "-O0") == 0) o->optimize = 0;
      else if (strlen(a) == 3 && a[0] == '-' && a[1] == 'O' && a[2] >= '1' && a[2] <= '3')
        o->optimize = a[2] - '0';
      else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) o->verbose = 1;
      else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) o->quiet = 1;
      else if (strcmp(a, "--json") == 0) o->json = 1;
      else if (a[0] == '-' && a[1]) {
        const char *needs[] = {"-o",       "--target",          "--input-shape", "--constant",
                               "--absent", "--sequence-length", "--dump-after",  "--string-bytes",
                               "--cpu",    "--threads"};
        for (size_t k = 0; k < ARRAY_LEN(needs); k++)
          if (strcmp(a, needs[k]) == 0) return usage_error("%s needs a value", a);
        return usage_error("unknown option '%s'", a);
      } else if (!o->input) o->input = a;
      else return usage_error("unexpected argument '%s'", a);
    }
    i += takes;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(USAGE, argc < 2 ? stderr : stdout);
    return argc < 2 ? EK_USAGE : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("gpuxc %s\n", GPUXC_VERSION);
    return 0;
  }
  Options o;
  memset(&o, 0, sizeof o);
  o.optimize = -1;
  o.threads = -1;
  const char *cmd = argv[1];
  int rc = parse_args(&o, argc, argv);
  if (rc) return rc;
  if (strcmp(cmd, "build") == 0) {
    if (!o.input) return usage_error("%s: which model or gpux.yml?", "build");
    if (!o.out) return usage_error("%s: -o OUT is required", "build");
  } else if (strcmp(cmd, "inspect") == 0) {
    if (!o.input) return usage_error("%s: which model or gpux.yml?", "inspect");
  } else if (strcmp(cmd, "targets") != 0) {
    return usage_error("unknown command '%s' (build, inspect, targets)", cmd);
  }
  Diag d;
  diag_init(&d);
  if (strcmp(cmd, "build") == 0) rc = cmd_build(&o, &d);
  else if (strcmp(cmd, "inspect") == 0) rc = cmd_inspect(&o, &d);
  else rc = cmd_targets(&o, &d);
  diag_print(&d, stderr);
  int code = diag_exit_code(&d);
  if (rc && !code) code = EK_INVALID;
  if (code) fprintf(stderr, "gpuxc: %s failed\n", cmd);
  diag_free(&d);
  for (int i = 0; i < o.nshapes; i++) free((char *)o.shapes[i].name);
  for (int i = 0; i < o.nseqs; i++) free((char *)o.seqs[i].name);
  for (int i = 0; i < o.nconsts; i++) free((char *)o.consts[i].name);
  return code;
}
