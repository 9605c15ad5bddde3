/* onnx_tensor.c - TensorProtos and attributes into the IR, without copying
 * weights: raw data stays in the unpacked model (protobuf-c copied it once),
 * external data stays in a read-only mapping of its file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx_internal.h"

void onnx_unmap(void *p, size_t n) {
  if (p && n) munmap(p, n);
}

int onnx_map_file(const char *path, const unsigned char **data, size_t *len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return EISDIR;
  }
  *len = (size_t)st.st_size;
  *data = NULL;
  if (*len) {
    void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      close(fd);
      return e;
    }
    *data = p;
  }
  close(fd);
  return 0;
}

/* ---- tensors ---- */

static int64_t tensor_numel(const Onnx__TensorProto *t, int *ok) {
  int64_t n = 1;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0 || (t->dims[i] && n > INT64_MAX / 16 / t->dims[i])) *ok = 0;
    if (*ok) n *= t->dims[i];
  }
  return n;
}

static const void *external_data(Loader *L, const Onnx__TensorProto *t, int64_t bytes,
                                 const char *what) {
  const char *loc = NULL;
  int64_t off = 0, len = -1;
  for (size_t i = 0; i < t->n_external_data; i++) {
    const char *k = t->external_data[i]->key, *v = t->external_data[i]->value;
    if (!k || !v) continue;
    if (strcmp(k, "location") == 0) loc = v;
    else if (strcmp(k, "offset") == 0) off = strtoll(v, NULL, 10);
    else if (strcmp(k, "length") == 0) len = strtoll(v, NULL, 10);
  }
  if (!loc || !loc[0]) {
    diag_error(L->d, EK_INVALID, L->path, "%s: external data without a location", what);
    return NULL;
  }
  if (loc[0] == '/' || strstr(loc, "..")) {
    diag_error(L->d, EK_INVALID, L->path,
               "%s: external data location '%s' must be a relative path inside the model's "
               "folder", what, loc);
    return NULL;
  }
  char *full = path_join(L->dir, loc);
  int idx = smap_get(&L->mapped, loc, -1);
  if (idx < 0) {
    GROW(L->maps, L->capmaps, L->nmaps + 1);
    idx = L->nmaps++;
    L->maps[idx].path = arena_strdup(&L->g->arena, loc);
    L->maps[idx].err = onnx_map_file(full, &L->maps[idx].data, &L->maps[idx].len);
    if (!L->maps[idx].err)
      ir_on_free(L->g, onnx_unmap, (void *)L->maps[idx].data, L->maps[idx].len);
    smap_put(&L->mapped, L->maps[idx].path, idx);
  }
  const void *res = NULL;
  if (L->maps[idx].err) {
    diag_error(L->d, EK_INVALID, L->path, "%s: cannot read external data '%s': %s", what, full,
               strerror(L->maps[idx].err));
  } else if (len >= 0 && len != bytes) {
    diag_error(L->d, EK_INVALID, L->path,
               "%s: external data length %lld does not match the %lld bytes its shape needs",
               what, (long long)len, (long long)bytes);
  } else if (off < 0 || (uint64_t)off + (uint64_t)bytes > L->maps[idx].len) {
    diag_error(L->d, EK_INVALID, L->path,
               "%s: external data [%lld, +%lld) lies outside '%s' (%zu bytes)", what,
               (long long)off, (long long)bytes, full, L->maps[idx].len);
  } else if (off % 8 && bytes) {
    void *copy = arena_memdup(&L->g->arena, L->maps[idx].data + off, (size_t)bytes);
    res = copy; /* unaligned offset: one aligned copy */
  } else {
    res = L->maps[idx].data + off;
  }
  free(full);
  return res;
}

/* Copies a typed repeated field into a packed buffer of the tensor's type. */
static void *typed_data(Loader *L, const Onnx__TensorProto *t, DType dt, int64_t n,
                        const char *what) {
  size_t es = dtype_size(dt);
  void *buf = arena_alloc_aligned(&L->g->arena, (size_t)n * es + 1, 64);
  size_t have;
  switch (dt) {
  case DT_F32: have = t->n_float_data; break;
  case DT_I64: have = t->n_int64_data; break;
  case DT_F64: have = t->n_double_data; break;
  case DT_U32: case DT_U64: have = t->n_uint64_data; break;
  default: have = t->n_int32_data; break;
  }
  if ((int64_t)have != n) {
    diag_error(L->d, EK_INVALID, L->path, "%s: has %zu values, its shape needs %lld", what, have,
               (long long)n);
    return NULL;
  }
  for (int64_t i = 0; i < n; i++) {
    char *o = (char *)buf + (size_t)i * es;
    switch (dt) {
    case DT_F32: memcpy(o, &t->float_data[i], 4); break;
    case DT_I64: memcpy(o, &t->int64_data[i], 8); break;
    case DT_F64: memcpy(o, &t->double_data[i], 8); break;
    case DT_U64: memcpy(o, &t->uint64_data[i], 8); break;
    case DT_U32: { uint32_t v = (uint32_t)t->uint64_data[i]; memcpy(o, &v, 4); break; }
    case DT_I32: { int32_t v = t->int32_data[i]; memcpy(o, &v, 4); break; }
    case DT_I16: { int16_t v = (int16_t)t->int32_data[i]; memcpy(o, &v, 2); break; }
    case DT_U16: case DT_F16: case DT_BF16: {
      uint16_t v = (uint16_t)t->int32_data[i];
      memcpy(o, &v, 2);
      break;
    }
    case DT_I8: case DT_U8: case DT_BOOL: case DT_F8E4M3FN: case DT_F8E4M3FNUZ: case DT_F8E5M2:
    case DT_F8E5M2FNUZ: case DT_F8E8M0:
      *o = (char)t->int32_data[i];
      break;
    default: BUG("typed data of %s", dtype_name(dt));
    }
  }
  return buf;
}

/* ONNX packs int4/uint4/float4 two and int2/uint2 four to a byte, the first
 * element in the low bits; gpuxc holds one per byte, signed ones extended. */
static void *unpack_subbyte(Loader *L, const void *packed, int64_t n, DType dt) {
  int bits = dtype_packed_bits(dt), per = 8 / bits, sign = dt == DT_I4 || dt == DT_I2;
  unsigned mask = (1u << bits) - 1;
  uint8_t *out = arena_alloc_aligned(&L->g->arena, (size_t)n + 1, 64);
  const uint8_t *p = packed;
  for (int64_t i = 0; i < n; i++) {
    unsigned v = (p[i / per] >> (bits * (i % per))) & mask;
    if (sign && (v >> (bits - 1))) v |= ~mask; /* sign-extend */
    out[i] = (uint8_t)v;
  }
  return out;
}

/* A string tensor: string_data, as fixed-width elements of the longest
 * string's bytes (at least 1), NUL-padded. */
static int string_tensor(Loader *L, const Onnx__TensorProto *t, IrTensor *out, const char *what) {
  int ok = 1;
  int64_t n = tensor_numel(t, &ok);
  if (!ok || t->n_dims > IR_MAX_RANK) {
    diag_error(L->d, EK_INVALID, L->path, "%s: invalid or too large dims", what);
    return -1;
  }
  if ((int64_t)t->n_string_data != n) {
    diag_error(L->d, EK_INVALID, L->path, "%s: has %zu strings, its shape needs %lld", what,
               t->n_string_data, (long long)n);
    return -1;
  }
  size_t w = 1;
  for (size_t i = 0; i < t->n_string_data; i++) {
    const ProtobufCBinaryData *s = &t->string_data[i];
    if (s->len && memchr(s->data, 0, s->len)) {
      diag_error(L->d, EK_UNSUPPORTED, L->path, "%s: string %zu holds a NUL byte", what, i);
      return -1;
    }
    if (s->len > w) w = s->len;
  }
  char *buf = arena_alloc_aligned(&L->g->arena, (size_t)n * w + 1, 64);
  memset(buf, 0, (size_t)n * w + 1);
  for (size_t i = 0; i < t->n_string_data; i++)
    if (t->string_data[i].len) memcpy(buf + i * w, t->string_data[i].data, t->string_data[i].len);
  out->dtype = DT_STRING;
  out->rank = (int)t->n_dims;
  for (size_t i = 0; i < t->n_dims; i++) out->dims[i] = t->dims[i];
  out->data = buf;
  out->strw = (int64_t)w;
  return 0;
}

/* TensorProto -> IrTensor; what names it in errors. Returns 0 or -1. */
int onnx_load_tensor(Loader *L, const Onnx__TensorProto *t, IrTensor *out, const char *what) {
  if (t->data_type == DT_STRING) return string_tensor(L, t, out, what);
  if (!dtype_is_known(t->data_type)) {
    diag_error(L->d, EK_UNSUPPORTED, L->path, "%s: element type %d is not supported", what,
               t->data_type);
    return -1;
  }
  if (t->n_dims > IR_MAX_RANK) {
    diag_error(L->d, EK_UNSUPPORTED, L->path, "%s: rank %zu is over %d", what, t->n_dims,
               IR_MAX_RANK);
    return -1;
  }
  if (t->segment) {
    diag_error(L->d, EK_UNSUPPORTED, L->path, "%s: segmented tensors are not supported", what);
    return -1;
  }
  int ok = 1;
  int64_t n = tensor_numel(t, &ok);
  if (!ok) {
    diag_error(L->d, EK_INVALID, L->path, "%s: invalid or too large dims", what);
    return -1;
  }
  out->dtype = (DType)t->data_type;
  out->strw = 0;
  out->rank = (int)t->n_dims;
  for (size_t i = 0; i < t->n_dims; i++) out->dims[i] = t->dims[i];
  int bits = dtype_packed_bits(out->dtype);
  int64_t bytes = (n * bits + 7) / 8;
  const void *raw = NULL;
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    raw = external_data(L, t, bytes, what);
  } else if (t->has_raw_data) {
    if ((int64_t)t->raw_data.len != bytes) {
      diag_error(L->d, EK_INVALID, L->path,
                 "%s: raw_data has %zu bytes, its shape and type need %lld", what,
                 t->raw_data.len, (long long)bytes);
      return -1;
    }
    raw = bytes ? t->raw_data.data : arena_alloc(&L->g->arena, 1);
  } else {
    /* Sub-byte types keep their packed bytes in int32_data, one per entry. */
    raw = typed_data(L, t, bits < 8 ? DT_U8 : out->dtype, bits < 8 ? bytes : n, what);
  }
  out->data = raw && bits < 8 ? unpack_subbyte(L, raw, n, out->dtype) : (void *)raw;
  return out->data ? 0 : -1;
}

/* ---- attributes ---- */

static AttrType attr_type(const Onnx__AttributeProto *a) {
  if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
    return (AttrType)a->type;
  /* Old models leave the type out: infer it from the field that is set. */
  if (a->has_f) return AT_FLOAT;
  if (a->has_i) return AT_INT;
  if (a->has_s) return AT_STRING;
  if (a->t) return AT_TENSOR;
  if (a->g) return AT_GRAPH;
  if (a->n_floats) return AT_FLOATS;
  if (a->n_ints) return AT_INTS;
  if (a->n_strings) return AT_STRINGS;
  if (a->n_tensors) return AT_TENSORS;
  if (a->n_graphs) return AT_GRAPHS;
  return AT_UNDEF;
}

int onnx_load_attr(Loader *L, IrNode *n, const Onnx__AttributeProto *a) {
  const char *where = ir_where(L->g, n);
  IrAttr *r = ir_add_attr(L->g, n, a->name ? a->name : "", attr_type(a));
  return onnx_convert_attr(L, where, a, r);
}

int onnx_convert_attr(Loader *L, const char *where, const Onnx__AttributeProto *a, IrAttr *r) {
  if (!a->name || !a->name[0]) {
    diag_error(L->d, EK_INVALID, where, "an attribute has no name");
    return -1;
  }
  if (a->ref_attr_name && a->ref_attr_name[0]) {
    diag_error(L->d, EK_INVALID, where, "attribute '%s' refers to a function attribute",
               a->name);
    return -1;
  }
  AttrType t = attr_type(a);
  Arena *ar = &L->g->arena;
  r->name = arena_strdup(ar, a->name);
  r->type = t;
  switch (t) {
  case AT_FLOAT: r->f = a->f; break;
  case AT_INT: r->i = a->i; break;
  case AT_STRING:
    r->s = arena_strndup(ar, (const char *)a->s.data, a->s.len);
    r->slen = (int64_t)a->s.len;
    break;
  case AT_FLOATS: r->n = (int)a->n_floats; r->floats = a->floats; break;
  case AT_INTS: r->n = (int)a->n_ints; r->ints = a->ints; break;
  case AT_STRINGS:
    r->n = (int)a->n_strings;
    r->strings = arena_alloc(ar, sizeof(char *) * (a->n_strings + 1));
    for (size_t i = 0; i < a->n_strings; i++)
      r->strings[i] = arena_strndup(ar, (const char *)a->strings[i].data, a->strings[i].len);
    break;
  case AT_TENSOR:
  case AT_TENSORS: {
    size_t cnt = t == AT_TENSOR ? 1 : a->n_tensors;
    r->n = (int)cnt;
    r->tensors = arena_alloc(ar, sizeof(IrTensor) * (cnt ? cnt : 1));
    for (size_t i = 0; i < cnt; i++) {
      const Onnx__TensorProto *tp = t == AT_TENSOR ? a->t : a->tensors[i];
      const char *what = arena_printf(ar, "%s: attribute '%s'", where, a->name);
      if (!tp || onnx_load_tensor(L, tp, &r->tensors[i], what)) {
        if (!tp) diag_error(L->d, EK_INVALID, where, "attribute '%s' has no tensor", a->name);
        return -1;
      }
    }
    break;
  }
  case AT_GRAPH:
  case AT_GRAPHS: {
    size_t cnt = t == AT_GRAPH ? 1 : a->n_graphs;
    r->n = (int)cnt;
    r->bodies = arena_alloc(ar, sizeof(IrBody *) * (cnt ? cnt : 1));
    for (size_t i = 0; i < cnt; i++) {
      const Onnx__GraphProto *gp = t == AT_GRAPH ? a->g : a->graphs[i];
      const char *what = arena_printf(ar, "%s: attribute '%s'", where, a->name);
      if (!gp || !(r->bodies[i] = onnx_load_body(L, gp, what))) {
        if (!gp) diag_error(L->d, EK_INVALID, where, "attribute '%s' has no graph", a->name);
        return -1;
      }
    }
    break;
  }
  case AT_SPARSE_TENSOR: r->opaque = a->sparse_tensor; break;
  case AT_SPARSE_TENSORS: r->n = (int)a->n_sparse_tensors; r->opaque = a->sparse_tensors; break;
  case AT_TYPE_PROTO: r->opaque = a->tp; break;
  case AT_TYPE_PROTOS: r->n = (int)a->n_type_protos; r->opaque = a->type_protos; break;
  default:
    diag_error(L->d, EK_INVALID, where, "attribute '%s' has an unknown type %d", a->name, (int)t);
    return -1;
  }
  return 0;
}
