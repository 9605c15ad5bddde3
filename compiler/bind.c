/* bind.c - static shapes for the graph inputs: from --input-shape, then
 * gpux.yml's inputs, then runtime.batch_size for a symbolic batch dim, and
 * symbol names shared between inputs. */
#include <string.h>

#include "infer.h"
#include "rt_npy.h"

/* The width of string inputs without --string-bytes. */
#define BIND_STRING_BYTES 256

static int find_input(const IrGraph *g, const char *name) {
  for (int i = 0; i < g->ninputs; i++)
    if (strcmp(g->vals[g->inputs[i]].name, name) == 0) return g->inputs[i];
  return -1;
}

static const char *input_names(const IrGraph *g, char *buf, size_t n) {
  StrBuf b;
  sb_init(&b);
  for (int i = 0; i < g->ninputs; i++) sb_printf(&b, "%s'%s'", i ? ", " : "", g->vals[g->inputs[i]].name);
  snprintf(buf, n, "%s", g->ninputs ? b.s : "none");
  sb_free(&b);
  return buf;
}

/* Applies one binding; where names its source for errors. */
static int bind_one(IrGraph *g, const char *name, int rank, const int64_t *dims,
                    const char *where, Diag *d) {
  int id = find_input(g, name);
  char names[1024], b1[128];
  if (id < 0) {
    if (ir_find_value(g, name) >= 0 && (g->vals[ir_find_value(g, name)].flags & VF_CONST))
      diag_error(d, EK_USAGE, where, "'%s' is an initializer of the model, not an input", name);
    else
      diag_error(d, EK_USAGE, where, "the model has no input '%s' (inputs: %s)", name,
                 input_names(g, names, sizeof names));
    return -1;
  }
  IrValue *v = &g->vals[id];
  if (v->rank >= 0 && v->rank != rank) {
    diag_error(d, EK_USAGE, where, "input '%s' has rank %d in the model %s, not %d", name,
               v->rank, ir_shape_str(v, b1, sizeof b1), rank);
    return -1;
  }
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0) continue; /* left dynamic here */
    if (v->rank >= 0 && v->dims[i] >= 0 && v->dims[i] != dims[i]) {
      diag_error(d, EK_USAGE, where,
                 "input '%s': dim %d is fixed to %lld in the model %s, cannot bind it to %lld",
                 name, i, (long long)v->dims[i], ir_shape_str(v, b1, sizeof b1),
                 (long long)dims[i]);
      return -1;
    }
  }
  if (v->rank < 0) {
    v->rank = rank;
    for (int i = 0; i < rank; i++) v->dims[i] = -1;
  }
  for (int i = 0; i < rank; i++)
    if (dims[i] >= 0) v->dims[i] = dims[i];
  return 0;
}

/* A symbol bound in one input binds it everywhere. */
static int share_symbols(IrGraph *g, Diag *d) {
  for (int a = 0; a < g->ninputs; a++) {
    IrValue *va = &g->vals[g->inputs[a]];
    for (int i = 0; i < va->rank; i++) {
      if (!va->sym[i] || va->dims[i] < 0) continue;
      for (int b = 0; b < g->ninputs; b++) {
        IrValue *vb = &g->vals[g->inputs[b]];
        for (int j = 0; j < vb->rank; j++) {
          if (!vb->sym[j] || strcmp(vb->sym[j], va->sym[i]) != 0) continue;
          if (vb->dims[j] < 0) vb->dims[j] = va->dims[i];
          if (vb->dims[j] != va->dims[i]) {
            diag_error(d, EK_USAGE, NULL,
                       "dim '%s' is bound to %lld in input '%s' and to %lld in input '%s'",
                       va->sym[i], (long long)va->dims[i], va->name, (long long)vb->dims[j],
                       vb->name);
            return -1;
          }
        }
      }
    }
  }
  return 0;
}

static int check_yml_type(IrGraph *g, const CfgTensor *t, const GpuxConfig *cfg, Diag *d) {
  int id = find_input(g, t->name);
  if (id < 0 || t->dtype == DT_UNDEF || t->dtype == g->vals[id].dtype) return 0;
  char where[512];
  snprintf(where, sizeof where, "%s:%d:%d", cfg->path, t->pos.line, t->pos.col);
  diag_error(d, EK_INVALID, where, "input '%s' is declared %s but the model takes %s", t->name,
             dtype_name(t->dtype), dtype_name(g->vals[id].dtype));
  return -1;
}

static void free_data(void *p, size_t n) {
  (void)n;
  free(p);
}

/* --constant NAME=FILE.npy: the input becomes a constant of that value. */
static int bind_constant(IrGraph *g, const char *name, const char *path, Diag *d) {
  char where[512], err[256], b1[128];
  snprintf(where, sizeof where, "--constant %s", name);
  int id = find_input(g, name);
  if (id < 0) return bind_one(g, name, 0, NULL, where, d);
  rt_npy_header h;
  void *data;
  if (rt_npy_load(path, &h, &data, err, sizeof err)) {
    diag_error(d, EK_USAGE, where, "cannot read '%s': %s", path, err);
    return -1;
  }
  ir_on_free(g, free_data, data, 0);
  IrValue *v = &g->vals[id];
  if ((int)h.dtype != (int)rt_npy_storage((gpux_dtype)v->dtype)) {
    diag_error(d, EK_USAGE, where, "'%s' holds %s, the input is %s", path,
               rt_npy_dtype_name(h.dtype), dtype_name(v->dtype));
    return -1;
  }
  if (h.rank > IR_MAX_RANK || bind_one(g, name, h.rank, h.shape, where, d)) return -1;
  v = &g->vals[id];
  for (int i = 0; i < v->rank; i++)
    if (v->dims[i] != h.shape[i]) {
      diag_error(d, EK_USAGE, where, "'%s' has another shape than input %s", path,
                 ir_shape_str(v, b1, sizeof b1));
      return -1;
    }
  v->data = data;
  v->flags = (v->flags & ~VF_INPUT) | VF_CONST;
  int k = 0;
  for (int i = 0; i < g->ninputs; i++)
    if (g->inputs[i] != id) g->inputs[k++] = g->inputs[i];
  g->ninputs = k;
  return 0;
}

/* Optional inputs left out become empty optionals; sequence inputs become
 * their elements, inputs "NAME[i]" of the declared element type. */
static int bind_kinds(IrGraph *g, const Options *o, Diag *d) {
  int bad = 0;
  for (int i = 0; i < o->nabsent; i++) {
    int id = find_input(g, o->absent[i]);
    if (id < 0 || !g->vals[id].optional_input) {
      diag_error(d, EK_USAGE, "--absent", "'%s' is not an optional input of the model",
                 o->absent[i]);
      bad = 1;
    }
  }
  for (int i = 0; i < o->nseqs; i++) {
    int id = find_input(g, o->seqs[i].name);
    if (id < 0 || g->vals[id].kind != VK_SEQ) {
      diag_error(d, EK_USAGE, "--sequence-length", "'%s' is not a sequence input of the model",
                 o->seqs[i].name);
      bad = 1;
    }
  }
  if (bad) return -1;
  int n = g->ninputs, *old = xmalloc(sizeof(int) * (size_t)(n + 1));
  if (n) memcpy(old, g->inputs, sizeof(int) * (size_t)n);
  g->ninputs = 0;
  for (int i = 0; i < n; i++) {
    int id = old[i];
    IrValue *v = &g->vals[id];
    int absent = 0;
    for (int k = 0; k < o->nabsent; k++) absent |= strcmp(o->absent[k], v->name) == 0;
    if (absent) {
      v->kind = VK_NONE;
      v->rank = 0;
      v->flags &= ~VF_INPUT;
      continue;
    }
    if (v->kind != VK_SEQ) {
      GROW(g->inputs, g->capinputs, g->ninputs + 1);
      g->inputs[g->ninputs++] = id;
      continue;
    }
    int64_t len = -1;
    for (int k = 0; k < o->nseqs; k++)
      if (strcmp(o->seqs[k].name, v->name) == 0) len = o->seqs[k].len;
    if (len < 0) {
      diag_error(d, EK_UNSUPPORTED, g->path,
                 "input '%s' is a sequence: give its length with --sequence-length %s=N (its "
                 "elements become inputs %s[0] .. %s[N-1])", v->name, v->name, v->name, v->name);
      bad = 1;
      continue;
    }
    int *elems = arena_alloc(&g->arena, sizeof(int) * (size_t)(len + 1));
    for (int64_t k = 0; k < len; k++) {
      const char *en = arena_printf(&g->arena, "%s[%lld]", g->vals[id].name, (long long)k);
      if (ir_find_value(g, en) >= 0) {
        diag_error(d, EK_UNSUPPORTED, g->path, "the model has a value named '%s' already", en);
        bad = 1;
        break;
      }
      int e = ir_add_value(g, en);
      IrValue *s = &g->vals[id], *ev = &g->vals[e];
      ev->flags |= VF_INPUT;
      ev->dtype = s->dtype;
      ev->rank = s->rank;
      memcpy(ev->dims, s->dims, sizeof ev->dims);
      /* no symbolic dims: a sequence's tensors may differ in shape */
      elems[k] = e;
      GROW(g->inputs, g->capinputs, g->ninputs + 1);
      g->inputs[g->ninputs++] = e;
    }
    v = &g->vals[id];
    v->elems = elems;
    v->nelems = (int)len;
    v->rank = 0;
    v->flags &= ~VF_INPUT;
  }
  free(old);
  return bad ? -1 : 0;
}

int bind_inputs(IrGraph *g, const GpuxConfig *cfg, const Options *o, Diag *d) {
  int bad = 0;
  char where[512];
  if (bind_kinds(g, o, d)) return -1;
  for (int i = 0; i < g->ninputs; i++)
    if (g->vals[g->inputs[i]].dtype == DT_STRING)
      g->vals[g->inputs[i]].strw = o->string_bytes ? o->string_bytes : BIND_STRING_BYTES;
  for (int i = 0; i < o->nconsts; i++) bad |= bind_constant(g, o->consts[i].name, o->consts[i].path, d);
  for (int i = 0; i < o->nshapes; i++) {
    snprintf(where, sizeof where, "--input-shape %s", o->shapes[i].name);
    bad |= bind_one(g, o->shapes[i].name, o->shapes[i].rank, o->shapes[i].dims, where, d);
  }
  for (int i = 0; cfg && i < cfg->ninputs; i++) {
    const CfgTensor *t = &cfg->inputs[i];
    snprintf(where, sizeof where, "%s:%d:%d", cfg->path, t->pos.line, t->pos.col);
    if (find_input(g, t->name) < 0) {
      bad |= bind_one(g, t->name, 0, NULL, where, d);
      continue;
    }
    bad |= check_yml_type(g, t, cfg, d);
    if (t->has_shape) bad |= bind_one(g, t->name, t->rank, t->dims, where, d);
  }
  if (bad) return -1;
  if (cfg && cfg->runtime.has_batch_size)
    for (int i = 0; i < g->ninputs; i++) {
      IrValue *v = &g->vals[g->inputs[i]];
      if (v->rank > 0 && v->dims[0] < 0) v->dims[0] = cfg->runtime.batch_size;
    }
  if (share_symbols(g, d)) return -1;
  for (int i = 0; i < g->ninputs; i++) {
    IrValue *v = &g->vals[g->inputs[i]];
    char b[128];
    if (v->rank < 0) {
      diag_error(d, EK_USAGE, g->path,
                 "input '%s' has no shape in the model; give it with --input-shape %s=1x3x224x224 "
                 "or inputs.%s.shape in gpux.yml", v->name, v->name, v->name);
      bad = 1;
      continue;
    }
    for (int k = 0; k < v->rank; k++)
      if (v->dims[k] < 0) {
        diag_error(d, EK_USAGE, g->path,
                   "input '%s' %s has a dynamic dim %d%s%s%s; bind it with --input-shape "
                   "%s=... or inputs.%s.shape in gpux.yml", v->name,
                   ir_shape_str(v, b, sizeof b), k, v->sym[k] ? " ('" : "",
                   v->sym[k] ? v->sym[k] : "", v->sym[k] ? "')" : "", v->name, v->name);
        bad = 1;
        break;
      }
  }
  return bad ? -1 : 0;
}
