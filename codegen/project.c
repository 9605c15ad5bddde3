/* project.c - see project.h. */
#include "project.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "embedded.h"

void proj_init(Project *p, const char *out, const char *prefix) {
  memset(p, 0, sizeof *p);
  StrBuf b;
  sb_init(&b);
  sb_printf(&b, "%s.src", out);
  p->dir = sb_take(&b);
  p->exe = xstrdup(out);
  p->exe_name = xstrdup(path_basename(out));
  p->prefix = xstrdup(prefix);
  p->cflags = xstrdup("");
  p->libs = xstrdup("");
}

void proj_set_flags(Project *p, const char *cflags, const char *libs) {
  free(p->cflags);
  free(p->libs);
  p->cflags = xstrdup(cflags);
  p->libs = xstrdup(libs);
}

void proj_free(Project *p) {
  for (int i = 0; i < p->n; i++) {
    free(p->files[i].path);
    free(p->files[i].data);
  }
  free(p->files);
  free(p->dir);
  free(p->exe);
  free(p->exe_name);
  free(p->prefix);
  free(p->cflags);
  free(p->libs);
  memset(p, 0, sizeof *p);
}

void proj_add(Project *p, const char *path, char *data, size_t len) {
  for (int i = 0; i < p->n; i++)
    if (strcmp(p->files[i].path, path) == 0) BUG("project file '%s' added twice", path);
  GROW(p->files, p->cap, p->n + 1);
  p->files[p->n++] = (ProjFile){xstrdup(path), data, len};
}

int proj_has(const Project *p, const char *path) {
  for (int i = 0; i < p->n; i++)
    if (strcmp(p->files[i].path, path) == 0) return 1;
  return 0;
}

void proj_copy(Project *p, const char *embedded_path, const char *dst) {
  const EmbeddedFile *f = embedded_find(embedded_path);
  if (!f) BUG("'%s' is not embedded in gpuxc", embedded_path);
  char *data = xmalloc(f->len + 1);
  memcpy(data, f->data, f->len + 1);
  proj_add(p, dst, data, f->len);
}

/* The driver's sources (runtime-mini/cli), space-separated, as copied. */
static char *cli_sources(void) {
  StrBuf b;
  sb_init(&b);
  for (const EmbeddedFile *f = EMBEDDED_FILES; f->path; f++) {
    const char *pre = "runtime-mini/cli/";
    size_t n = strlen(f->path);
    if (strncmp(f->path, pre, strlen(pre)) == 0 && n > 2 && strcmp(f->path + n - 2, ".c") == 0)
      sb_printf(&b, "%sruntime/%s", b.len ? " " : "", f->path + strlen(pre));
  }
  return sb_take(&b);
}

void proj_template(Project *p, const char *embedded_path, const char *dst) {
  const EmbeddedFile *f = embedded_find(embedded_path);
  if (!f) BUG("template '%s' is not embedded in gpuxc", embedded_path);
  char *cli = cli_sources();
  TemplateVar vars[] = {{"PREFIX", p->prefix},
                        {"EXE", p->exe_name},
                        {"CLI_SRCS", cli},
                        {"TARGET_CFLAGS", p->cflags},
                        {"TARGET_LIBS", p->libs}};
  char *s = cg_expand((const char *)f->data, vars, (int)ARRAY_LEN(vars));
  free(cli);
  proj_add(p, dst, s, strlen(s));
}

static int by_path(const void *a, const void *b) {
  return strcmp(((const ProjFile *)a)->path, ((const ProjFile *)b)->path);
}

int proj_write(Project *p, Diag *d) {
  qsort(p->files, (size_t)p->n, sizeof(ProjFile), by_path);
  for (int i = 0; i < p->n; i++) {
    char *full = path_join(p->dir, p->files[i].path);
    char *dir = path_dirname(full);
    int err = make_dirs(dir);
    if (!err) err = write_file_if_changed(full, p->files[i].data, p->files[i].len);
    if (err) diag_error(d, EK_TOOLCHAIN, NULL, "cannot write '%s': %s", full, strerror(err));
    free(dir);
    free(full);
    if (err) return -1;
  }
  return 0;
}

/* ---- building ---- */

typedef struct Argv {
  char **v;
  int n, cap;
} Argv;

static void av_add(Argv *a, const char *s) {
  GROW(a->v, a->cap, a->n + 2);
  a->v[a->n++] = xstrdup(s);
  a->v[a->n] = NULL;
}

/* Adds the words of a space-separated string (flags from the environment). */
static void av_split(Argv *a, const char *s) {
  while (s && *s) {
    while (*s == ' ' || *s == '\t') s++;
    const char *e = s;
    while (*e && *e != ' ' && *e != '\t') e++;
    if (e > s) {
      char *w = xmalloc((size_t)(e - s) + 1);
      memcpy(w, s, (size_t)(e - s));
      w[e - s] = 0;
      av_add(a, w);
      free(w);
    }
    s = e;
  }
}

static void av_free(Argv *a) {
  for (int i = 0; i < a->n; i++) free(a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}

static int run(Argv *a, const char *cwd, int verbose, Diag *d) {
  if (verbose) {
    fprintf(stderr, "  (cd %s &&", cwd);
    for (int i = 0; i < a->n; i++) fprintf(stderr, " %s", a->v[i]);
    fprintf(stderr, ")\n");
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    diag_error(d, EK_TOOLCHAIN, NULL, "cannot start '%s': %s", a->v[0], strerror(errno));
    return -1;
  }
  if (pid == 0) {
    if (chdir(cwd) != 0) _exit(126);
    execvp(a->v[0], a->v);
    fprintf(stderr, "gpuxc: cannot run '%s': %s\n", a->v[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  diag_error(d, EK_TOOLCHAIN, NULL, "'%s' failed (%s %d) building '%s'", a->v[0],
             WIFEXITED(status) ? "exit code" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), cwd);
  return -1;
}

static void cc_flags(const Project *p, Argv *a) {
  const char *cc = getenv("CC");
  av_split(a, cc && *cc ? cc : "cc");
  av_split(a, "-std=c99 -O2 -Wall -Wextra");
  av_split(a, p->cflags);
  av_split(a, getenv("CFLAGS"));
}

static char *absolute(const char *path) {
  if (path[0] == '/') return xstrdup(path);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) return xstrdup(path);
  return path_join(cwd, path);
}

/* $CC $CFLAGS -c src -o obj, in the project folder. */
static int compile(Project *p, const char *src, const char *obj, int verbose, Diag *d) {
  Argv a = {0};
  cc_flags(p, &a);
  av_add(&a, "-I.");
  av_add(&a, "-c");
  av_add(&a, src);
  av_add(&a, "-o");
  av_add(&a, obj);
  int rc = run(&a, p->dir, verbose, d);
  av_free(&a);
  return rc;
}

/* ar rcsD archive objs... (a fresh archive). */
static int archive(Project *p, const char *lib, const char *const *objs, int n, int verbose,
                   Diag *d) {
  Argv a = {0};
  unlink(lib);
  av_add(&a, getenv("AR") && *getenv("AR") ? getenv("AR") : "ar");
  av_add(&a, "rcsD");
  av_add(&a, lib);
  for (int i = 0; i < n; i++) av_add(&a, objs[i]);
  int rc = run(&a, p->dir, verbose, d);
  av_free(&a);
  return rc;
}

/* The folder where compiled driver objects are kept between builds:
 * $GPUXC_CACHE ("off" disables it), else $XDG_CACHE_HOME/gpuxc or
 * ~/.cache/gpuxc. NULL when there is none. */
static char *cache_dir(void) {
  const char *env = getenv("GPUXC_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  if (env && (!*env || strcmp(env, "off") == 0)) return NULL;
  char *dir = env ? xstrdup(env) : xdg && *xdg ? path_join(xdg, "gpuxc")
                                 : home && *home ? path_join(home, ".cache/gpuxc") : NULL;
  if (dir && make_dirs(dir) != 0) {
    free(dir);
    return NULL;
  }
  return dir;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

/* A key for the driver: the compiler command, its flags and the sources. */
static uint64_t driver_key(const Project *p) {
  uint64_t h = 1469598103934665603ull;
  Argv a = {0};
  cc_flags(p, &a);
  for (int i = 0; i < a.n; i++) h = fnv(h, a.v[i], strlen(a.v[i]) + 1);
  av_free(&a);
  for (int i = 0; i < p->n; i++) {
    const ProjFile *f = &p->files[i];
    if (strncmp(f->path, "runtime/", 8) != 0 && strcmp(f->path, "gpux_rt.h") != 0) continue;
    h = fnv(h, f->path, strlen(f->path) + 1);
    h = fnv(h, f->data, f->len);
  }
  return h;
}

/* The command-line driver as an archive: from the cache when an identical
 * one was built before (it is the same for every model), else compiled into
 * tmp and, if there is a cache, stored there (atomically, by rename). */
static char *driver_archive(Project *p, const char *tmp, int verbose, Diag *d) {
  char *cdir = cache_dir(), name[64];
  snprintf(name, sizeof name, "driver-%016llx.a", (unsigned long long)driver_key(p));
  char *cached = cdir ? path_join(cdir, name) : NULL;
  free(cdir);
  if (cached && path_exists(cached)) return cached;
  char *srcs = cli_sources(), *objs[16], *lib = path_join(tmp, "driver.a");
  Argv list = {0};
  av_split(&list, srcs);
  int n = 0, rc = 0;
  for (int i = 0; i < list.n && i < 16 && !rc; i++) {
    char o[32];
    snprintf(o, sizeof o, "driver%d.o", i);
    objs[n] = path_join(tmp, o);
    rc = compile(p, list.v[i], objs[n++], verbose, d);
  }
  if (!rc) rc = archive(p, lib, (const char *const *)objs, n, verbose, d);
  for (int i = 0; i < n; i++) {
    unlink(objs[i]);
    free(objs[i]);
  }
  av_free(&list);
  free(srcs);
  if (!rc && cached) {
    char *part = xmalloc(strlen(cached) + 32);
    sprintf(part, "%s.%d.part", cached, (int)getpid());
    char *data;
    size_t len;
    if (read_file(lib, &data, &len) == 0) {
      if (write_file(part, data, len) == 0 && rename(part, cached) == 0) {
        free(part);
        free(data);
        unlink(lib);
        free(lib);
        return cached;
      }
      unlink(part);
      free(data);
    }
    free(part);
  }
  free(cached);
  if (rc) {
    free(lib);
    return NULL;
  }
  return lib;
}

int proj_build(Project *p, int verbose, Diag *d) {
  const char *tmpdir = getenv("TMPDIR");
  char *tmp = path_join(tmpdir && *tmpdir ? tmpdir : "/tmp", "gpuxc-build-XXXXXX");
  if (!mkdtemp(tmp)) {
    diag_error(d, EK_TOOLCHAIN, NULL, "cannot make a temporary folder: %s", strerror(errno));
    free(tmp);
    return -1;
  }
  char *model_o = path_join(tmp, "model.o"), *weights_o = path_join(tmp, "weights.o");
  char *exe = absolute(p->exe), *lib = NULL, *driver = NULL;
  StrBuf b;
  sb_init(&b);
  sb_printf(&b, "lib%s.a", p->prefix);
  lib = sb_take(&b);
  const char *objs[2] = {model_o, weights_o};
  int rc = compile(p, "model.c", model_o, verbose, d);
  if (!rc) rc = compile(p, "weights.S", weights_o, verbose, d);
  if (!rc) rc = archive(p, lib, objs, 2, verbose, d);
  if (!rc) rc = (driver = driver_archive(p, tmp, verbose, d)) ? 0 : -1;
  if (!rc) {
    Argv a = {0};
    cc_flags(p, &a);
    av_add(&a, "-I.");
    av_add(&a, "-o");
    av_add(&a, exe);
    av_add(&a, "main.c");
    av_add(&a, driver);
    av_add(&a, lib);
    av_split(&a, p->libs);
    av_add(&a, "-lm");
    rc = run(&a, p->dir, verbose, d);
    av_free(&a);
  }
  if (driver && strncmp(driver, tmp, strlen(tmp)) == 0) unlink(driver);
  unlink(model_o);
  unlink(weights_o);
  rmdir(tmp);
  free(model_o);
  free(weights_o);
  free(tmp);
  free(exe);
  free(lib);
  free(driver);
  return rc;
}
