/* rt_npy.c - NumPy .npy reader and writer (see rt_npy.h).
 *
 * The format: the magic "\x93NUMPY", a major and a minor version byte, the
 * header length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), then
 * the header - a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a newline so that the data starts at a multiple of
 * 64 - then the raw elements in C order.
 */
#define _POSIX_C_SOURCE 200809L

#include "rt_npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
/* numpy leaves room for the growing axis to reach this many digits. */
#define NPY_GROWTH_DIGITS 21

static void npy_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || !errlen) return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- element types */

typedef struct npy_type {
  gpux_dtype dt;
  const char *name;
  const char *descr;
  size_t size;
  gpux_dtype storage; /* types NumPy lacks: the one their files hold */
} npy_type;

static const npy_type NPY_TYPES[] = {
    {GPUX_FLOAT32, "float32", "<f4", 4, GPUX_UNDEFINED},
    {GPUX_FLOAT64, "float64", "<f8", 8, GPUX_UNDEFINED},
    {GPUX_FLOAT16, "float16", "<f2", 2, GPUX_UNDEFINED},
    {GPUX_BFLOAT16, "bfloat16", "<u2", 2, GPUX_UINT16},
    {GPUX_INT8, "int8", "|i1", 1, GPUX_UNDEFINED},
    {GPUX_UINT8, "uint8", "|u1", 1, GPUX_UNDEFINED},
    {GPUX_INT16, "int16", "<i2", 2, GPUX_UNDEFINED},
    {GPUX_UINT16, "uint16", "<u2", 2, GPUX_UNDEFINED},
    {GPUX_INT32, "int32", "<i4", 4, GPUX_UNDEFINED},
    {GPUX_UINT32, "uint32", "<u4", 4, GPUX_UNDEFINED},
    {GPUX_INT64, "int64", "<i8", 8, GPUX_UNDEFINED},
    {GPUX_UINT64, "uint64", "<u8", 8, GPUX_UNDEFINED},
    {GPUX_BOOL, "bool", "|b1", 1, GPUX_UNDEFINED},
    {GPUX_FLOAT8E4M3FN, "float8e4m3fn", "|u1", 1, GPUX_UINT8},
    {GPUX_FLOAT8E4M3FNUZ, "float8e4m3fnuz", "|u1", 1, GPUX_UINT8},
    {GPUX_FLOAT8E5M2, "float8e5m2", "|u1", 1, GPUX_UINT8},
    {GPUX_FLOAT8E5M2FNUZ, "float8e5m2fnuz", "|u1", 1, GPUX_UINT8},
    {GPUX_FLOAT8E8M0, "float8e8m0", "|u1", 1, GPUX_UINT8},
    {GPUX_FLOAT4E2M1, "float4e2m1", "|u1", 1, GPUX_UINT8},
    {GPUX_UINT4, "uint4", "|u1", 1, GPUX_UINT8},
    {GPUX_INT4, "int4", "|i1", 1, GPUX_INT8},
    {GPUX_UINT2, "uint2", "|u1", 1, GPUX_UINT8},
    {GPUX_INT2, "int2", "|i1", 1, GPUX_INT8},
};
#define NPY_NTYPES (sizeof NPY_TYPES / sizeof NPY_TYPES[0])

static const npy_type *npy_type_of(gpux_dtype dt) {
  for (size_t i = 0; i < NPY_NTYPES; i++)
    if (NPY_TYPES[i].dt == dt) return &NPY_TYPES[i];
  return NULL;
}

size_t rt_npy_dtype_size(gpux_dtype dt) {
  const npy_type *t = npy_type_of(dt);
  return t ? t->size : 0;
}

const char *rt_npy_dtype_name(gpux_dtype dt) {
  const npy_type *t = npy_type_of(dt);
  if (t) return t->name;
  return dt == GPUX_STRING ? "string" : "undefined";
}

gpux_dtype rt_npy_storage(gpux_dtype dt) {
  const npy_type *t = npy_type_of(dt);
  return t && t->storage ? t->storage : dt;
}

const char *rt_npy_descr(gpux_dtype dt) {
  const npy_type *t = npy_type_of(dt);
  return t ? t->descr : dt == GPUX_STRING ? "<U" : "?";
}

/* The type a descr denotes, or GPUX_UNDEFINED. The byte-order character is
 * checked by the caller; types stored as another ('<u2' for bfloat16) are
 * never returned. */
static gpux_dtype npy_dtype_of_code(const char *code) {
  for (size_t i = 0; i < NPY_NTYPES; i++)
    if (!NPY_TYPES[i].storage && strcmp(NPY_TYPES[i].descr + 1, code) == 0)
      return NPY_TYPES[i].dt;
  return GPUX_UNDEFINED;
}

static int npy_host_little(void) {
  const uint16_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 1;
}

static void npy_swap(void *data, size_t n, size_t size) {
  unsigned char *p = data;
  for (size_t i = 0; size > 1 && i < n; i++, p += size)
    for (size_t a = 0, b = size - 1; a < b; a++, b--) {
      unsigned char t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
}

/* ---- half precision */

static uint32_t npy_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static float npy_bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

float rt_npy_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0) {
    float v = (float)mant * 5.9604644775390625e-8f; /* mant * 2^-24, exact */
    return sign ? -v : v;
  }
  if (exp == 31) return npy_bits_f32(sign | 0x7f800000u | (mant << 13));
  return npy_bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t rt_npy_f32_to_f16(float f) {
  uint32_t x = npy_f32_bits(f), ax = x & 0x7fffffffu, r, rem, half;
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to infinity */
  if (ax >= 0x38800000u) { /* normal in half precision */
    r = (ax >> 13) - (112u << 10);
    rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1))) r++;
    return (uint16_t)(sign | r);
  }
  if (ax < 0x33000000u) return sign; /* below half the smallest subnormal */
  {
    uint32_t e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u, shift = 126 - e;
    r = m >> shift;
    rem = m & ((1u << shift) - 1);
    half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return (uint16_t)(sign | r);
  }
}

float rt_npy_bf16_to_f32(uint16_t h) { return npy_bits_f32((uint32_t)h << 16); }

uint16_t rt_npy_f32_to_bf16(float f) {
  uint32_t x = npy_f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
  return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

/* ---- header parsing: a tiny reader for the Python literal */

typedef struct npy_lex {
  const char *p, *end;
  char *err;
  size_t errlen;
} npy_lex;

static void npy_ws(npy_lex *l) {
  while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
    l->p++;
}

static int npy_accept(npy_lex *l, char c) {
  npy_ws(l);
  if (l->p < l->end && *l->p == c) {
    l->p++;
    return 1;
  }
  return 0;
}

static int npy_expect(npy_lex *l, char c, const char *what) {
  if (npy_accept(l, c)) return 0;
  npy_err(l->err, l->errlen, "bad header: expected %s", what);
  return -1;
}

static int npy_word(npy_lex *l, const char *w) {
  size_t n = strlen(w);
  npy_ws(l);
  if ((size_t)(l->end - l->p) >= n && memcmp(l->p, w, n) == 0) {
    l->p += n;
    return 1;
  }
  return 0;
}

/* A quoted string without escapes, copied into out. */
static int npy_string(npy_lex *l, char *out, size_t cap) {
  char q;
  size_t n = 0;
  npy_ws(l);
  if (l->p >= l->end || (*l->p != '\'' && *l->p != '"')) {
    npy_err(l->err, l->errlen, "bad header: expected a quoted string");
    return -1;
  }
  q = *l->p++;
  while (l->p < l->end && *l->p != q) {
    if (*l->p == '\\' || n + 1 >= cap) {
      npy_err(l->err, l->errlen, "bad header: unsupported string");
      return -1;
    }
    out[n++] = *l->p++;
  }
  if (l->p >= l->end) {
    npy_err(l->err, l->errlen, "bad header: unterminated string");
    return -1;
  }
  l->p++;
  out[n] = 0;
  return 0;
}

static int npy_dim(npy_lex *l, int64_t *out) {
  uint64_t v = 0;
  int digits = 0;
  npy_ws(l);
  if (l->p < l->end && *l->p == '-') {
    npy_err(l->err, l->errlen, "bad header: negative dimension in shape");
    return -1;
  }
  while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
    v = v * 10 + (uint64_t)(*l->p++ - '0');
    if (v > (uint64_t)INT64_MAX) {
      npy_err(l->err, l->errlen, "bad header: dimension too large");
      return -1;
    }
    digits++;
  }
  if (!digits) {
    npy_err(l->err, l->errlen, "bad header: expected an integer in shape");
    return -1;
  }
  if (l->p < l->end && (*l->p == 'L' || *l->p == 'l')) l->p++; /* Python 2 long */
  *out = (int64_t)v;
  return 0;
}

static int npy_shape(npy_lex *l, rt_npy_header *h) {
  if (npy_expect(l, '(', "'(' for the shape")) return -1;
  h->rank = 0;
  while (!npy_accept(l, ')')) {
    if (h->rank == RT_NPY_MAX_RANK) {
      npy_err(l->err, l->errlen, "shape has more than %d dimensions", RT_NPY_MAX_RANK);
      return -1;
    }
    if (npy_dim(l, &h->shape[h->rank])) return -1;
    h->rank++;
    if (npy_accept(l, ')')) break;
    if (npy_expect(l, ',', "',' or ')' in the shape")) return -1;
  }
  return 0;
}

enum { NPY_HAS_DESCR = 1, NPY_HAS_ORDER = 2, NPY_HAS_SHAPE = 4 };

static int npy_entry(npy_lex *l, rt_npy_header *h, int *seen) {
  char key[32];
  int bit;
  if (npy_string(l, key, sizeof key)) return -1;
  if (!strcmp(key, "descr")) bit = NPY_HAS_DESCR;
  else if (!strcmp(key, "fortran_order")) bit = NPY_HAS_ORDER;
  else if (!strcmp(key, "shape")) bit = NPY_HAS_SHAPE;
  else bit = 0;
  if (!bit || (*seen & bit)) {
    npy_err(l->err, l->errlen, "bad header: %s key '%s'", bit ? "repeated" : "unexpected", key);
    return -1;
  }
  *seen |= bit;
  if (npy_expect(l, ':', "':' after a key")) return -1;
  if (bit == NPY_HAS_SHAPE) return npy_shape(l, h);
  if (bit == NPY_HAS_ORDER) {
    if (npy_word(l, "False")) return 0;
    if (npy_word(l, "True")) {
      npy_err(l->err, l->errlen,
              "fortran_order is True (column-major data is not supported; save "
              "np.ascontiguousarray(a))");
      return -1;
    }
    npy_err(l->err, l->errlen, "bad header: fortran_order is not True or False");
    return -1;
  }
  npy_ws(l);
  if (l->p < l->end && (*l->p == '[' || *l->p == '{')) {
    npy_err(l->err, l->errlen, "unsupported descr (structured arrays are not supported)");
    return -1;
  }
  return npy_string(l, h->descr, sizeof h->descr);
}

static int npy_dict(npy_lex *l, rt_npy_header *h) {
  int seen = 0;
  if (npy_expect(l, '{', "'{' at the start of the header")) return -1;
  while (!npy_accept(l, '}')) {
    if (npy_entry(l, h, &seen)) return -1;
    if (npy_accept(l, '}')) break;
    if (npy_expect(l, ',', "',' or '}' in the header")) return -1;
  }
  npy_ws(l);
  if (l->p != l->end) {
    npy_err(l->err, l->errlen, "bad header: unexpected text after '}'");
    return -1;
  }
  if (seen != (NPY_HAS_DESCR | NPY_HAS_ORDER | NPY_HAS_SHAPE)) {
    const char *key = !(seen & NPY_HAS_DESCR) ? "descr" : "shape";
    if (!(seen & NPY_HAS_ORDER) && (seen & NPY_HAS_DESCR)) key = "fortran_order";
    npy_err(l->err, l->errlen, "bad header: missing key '%s'", key);
    return -1;
  }
  return 0;
}

/* '<U7' / '|S7' (strings): sets the string fields; 1 if descr is one. */
static int npy_string_descr(rt_npy_header *h) {
  const char *d = h->descr;
  char *end = NULL;
  unsigned long n;
  if (!d[0] || (d[1] != 'U' && d[1] != 'S') || d[2] < '0' || d[2] > '9') return 0;
  n = strtoul(d + 2, &end, 10);
  if (*end || n > (1u << 20)) return 0;
  if (d[1] == 'U' && d[0] != '<' && d[0] != '=' && !(d[0] == '|' && n == 0)) return 0;
  h->dtype = GPUX_STRING;
  h->str_chars = n;
  h->str_unicode = d[1] == 'U';
  return 1;
}

/* Maps h->descr to h->dtype; big-endian multi-byte data is an error. */
static int npy_descr(rt_npy_header *h, char *err, size_t errlen) {
  char order = h->descr[0];
  if (npy_string_descr(h)) return 0;
  gpux_dtype dt = h->descr[0] ? npy_dtype_of_code(h->descr + 1) : GPUX_UNDEFINED;
  size_t size = rt_npy_dtype_size(dt);
  h->dtype = GPUX_UNDEFINED;
  if (dt == GPUX_UNDEFINED) return 0;
  if (size > 1 && order == '>') {
    npy_err(err, errlen, "big-endian data ('%s') is not supported; save it with a.astype('<%s')",
            h->descr, h->descr + 1);
    return -1;
  }
  if (size == 1 ? strchr("<>|=", order) != NULL : (order == '<' || order == '='))
    h->dtype = dt;
  return 0;
}

static int npy_sizes(rt_npy_header *h, char *err, size_t errlen) {
  size_t numel = 1, size = h->dtype == GPUX_STRING ? h->str_chars * (h->str_unicode ? 4 : 1)
                                                   : rt_npy_dtype_size(h->dtype);
  int zero = 0;
  for (int i = 0; i < h->rank; i++) {
    uint64_t d = (uint64_t)h->shape[i];
    if (d == 0) zero = 1;
    else if (!zero && d > SIZE_MAX / numel) {
      npy_err(err, errlen, "array too large");
      return -1;
    }
    if (!zero) numel *= (size_t)d;
  }
  h->numel = zero ? 0 : numel;
  if (size && h->numel > SIZE_MAX / size) {
    npy_err(err, errlen, "array too large");
    return -1;
  }
  h->data_bytes = h->numel * size;
  return 0;
}

/* Checks the magic and version; sets *lenbytes (2 or 4). n may be short. */
static int npy_prefix(const unsigned char *b, size_t n, rt_npy_header *h, size_t *lenbytes,
                      char *err, size_t errlen) {
  size_t m = n < NPY_MAGIC_LEN ? n : NPY_MAGIC_LEN;
  if (n == 0) return npy_err(err, errlen, "empty file, not a .npy file"), -1;
  if (memcmp(b, NPY_MAGIC, m) != 0)
    return npy_err(err, errlen, "not a .npy file (bad magic string)"), -1;
  if (n < 8) return npy_err(err, errlen, "truncated header"), -1;
  h->major = b[6];
  h->minor = b[7];
  if (h->major < 1 || h->major > 3 || h->minor != 0)
    return npy_err(err, errlen, "unsupported .npy format version %d.%d", h->major, h->minor), -1;
  *lenbytes = h->major == 1 ? 2 : 4;
  return 0;
}

int rt_npy_parse_header(const void *buf, size_t len, rt_npy_header *h, char *err,
                        size_t errlen) {
  const unsigned char *b = buf;
  size_t lenbytes = 0, hlen;
  npy_lex l;
  memset(h, 0, sizeof *h);
  if (npy_prefix(b, len, h, &lenbytes, err, errlen)) return -1;
  if (len < 8 + lenbytes) return npy_err(err, errlen, "truncated header"), -1;
  hlen = (size_t)b[8] | (size_t)b[9] << 8;
  if (lenbytes == 4) hlen |= (size_t)b[10] << 16 | (size_t)b[11] << 24;
  if (hlen > RT_NPY_MAX_HEADER)
    return npy_err(err, errlen, "header too large (%zu bytes)", hlen), -1;
  h->header_bytes = 8 + lenbytes + hlen;
  if (len < h->header_bytes) return npy_err(err, errlen, "truncated header"), -1;
  l.p = (const char *)b + 8 + lenbytes;
  l.end = l.p + hlen;
  l.err = err;
  l.errlen = errlen;
  if (npy_dict(&l, h) || npy_descr(h, err, errlen)) return -1;
  return npy_sizes(h, err, errlen);
}

/* ---- file reading */

/* Reads n bytes; -1 with a message on an error or a short read. */
static int npy_fread(FILE *f, void *dst, size_t n, const char *what, char *err, size_t errlen) {
  size_t got = n ? fread(dst, 1, n, f) : 0;
  if (got == n) return 0;
  if (ferror(f)) npy_err(err, errlen, "%s", strerror(errno ? errno : EIO));
  else npy_err(err, errlen, "%s", what);
  return -1;
}

int rt_npy_read_header(FILE *f, rt_npy_header *h, char *err, size_t errlen) {
  unsigned char pre[12], *buf;
  size_t got, lenbytes = 0, hlen;
  int rc;
  memset(h, 0, sizeof *h);
  errno = 0;
  got = fread(pre, 1, 8, f);
  if (got < 8 && ferror(f)) return npy_err(err, errlen, "%s", strerror(errno ? errno : EIO)), -1;
  if (npy_prefix(pre, got, h, &lenbytes, err, errlen)) return -1;
  if (npy_fread(f, pre + 8, lenbytes, "truncated header", err, errlen)) return -1;
  hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
  if (lenbytes == 4) hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
  if (hlen > RT_NPY_MAX_HEADER)
    return npy_err(err, errlen, "header too large (%zu bytes)", hlen), -1;
  buf = malloc(8 + lenbytes + hlen);
  if (!buf) return npy_err(err, errlen, "out of memory"), -1;
  memcpy(buf, pre, 8 + lenbytes);
  rc = npy_fread(f, buf + 8 + lenbytes, hlen, "truncated header", err, errlen);
  if (!rc) rc = rt_npy_parse_header(buf, 8 + lenbytes + hlen, h, err, errlen);
  free(buf);
  return rc;
}

/* For a regular file, compares its size with what the header promises. */
static int npy_check_size(FILE *f, const rt_npy_header *h, char *err, size_t errlen) {
  struct stat st;
  uint64_t want = (uint64_t)h->header_bytes + h->data_bytes;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  if ((uint64_t)st.st_size == want) return 0;
  npy_err(err, errlen,
          "%s: the header promises %zu data bytes (%zu elements of %zu bytes) but the file has "
          "%lld",
          (uint64_t)st.st_size < want ? "truncated data" : "file size does not match the header",
          h->data_bytes, h->numel, rt_npy_dtype_size(h->dtype),
          (long long)st.st_size - (long long)h->header_bytes);
  return -1;
}

int rt_npy_read_data(FILE *f, const rt_npy_header *h, void *dst, size_t dst_bytes, char *err,
                     size_t errlen) {
  size_t size = rt_npy_dtype_size(h->dtype);
  if (!size) return npy_err(err, errlen, "unsupported descr '%s'", h->descr), -1;
  if (dst_bytes != h->data_bytes)
    return npy_err(err, errlen, "buffer of %zu bytes for %zu bytes of data", dst_bytes,
                   h->data_bytes), -1;
  if (npy_check_size(f, h, err, errlen)) return -1;
  errno = 0;
  if (npy_fread(f, dst, h->data_bytes, "truncated data", err, errlen)) return -1;
  if (fgetc(f) != EOF)
    return npy_err(err, errlen, "file size does not match the header (extra bytes at the end)"),
           -1;
  if (!npy_host_little()) npy_swap(dst, h->numel, size);
  return 0;
}

int rt_npy_load(const char *path, rt_npy_header *h, void **data, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  int rc;
  *data = NULL;
  if (!f) return npy_err(err, errlen, "%s", strerror(errno)), -1;
  rc = rt_npy_read_header(f, h, err, errlen);
  if (!rc && h->dtype == GPUX_UNDEFINED) {
    npy_err(err, errlen, "unsupported descr '%s'", h->descr);
    rc = -1;
  }
  if (!rc) {
    *data = malloc(h->data_bytes ? h->data_bytes : 1);
    if (!*data) npy_err(err, errlen, "out of memory");
    rc = *data ? rt_npy_read_data(f, h, *data, h->data_bytes, err, errlen) : -1;
  }
  fclose(f);
  if (rc) {
    free(*data);
    *data = NULL;
  }
  return rc;
}

/* ---- writing */

size_t rt_npy_format_header(char *buf, size_t cap, gpux_dtype dt, int rank,
                            const int64_t *shape) {
  char dict[64 + RT_NPY_MAX_RANK * 24 + NPY_GROWTH_DIGITS];
  size_t n, hlen, pad, total;
  int k;
  if (!npy_type_of(dt) || rank < 0 || rank > RT_NPY_MAX_RANK) return 0;
  n = (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                       rt_npy_descr(dt));
  for (int i = 0; i < rank; i++)
    n += (size_t)snprintf(dict + n, sizeof dict - n, "%s%lld", i ? ", " : "",
                          (long long)shape[i]);
  n += (size_t)snprintf(dict + n, sizeof dict - n, "%s), }", rank == 1 ? "," : "");
  if (rank > 0) { /* the spare room numpy leaves for appending along axis 0 */
    char digits[32];
    k = snprintf(digits, sizeof digits, "%lld", (long long)shape[0]);
    for (; k < NPY_GROWTH_DIGITS; k++) dict[n++] = ' ';
  }
  hlen = n + 1;
  pad = NPY_ALIGN - (10 + hlen) % NPY_ALIGN; /* numpy pads a full 64 when aligned */
  total = 10 + hlen + pad;
  if (total > cap || hlen + pad > 65535) return 0;
  memcpy(buf, NPY_MAGIC "\x01\x00", 8);
  buf[8] = (char)((hlen + pad) & 0xff);
  buf[9] = (char)((hlen + pad) >> 8);
  memcpy(buf + 10, dict, n);
  memset(buf + 10 + n, ' ', pad);
  buf[total - 1] = '\n';
  return total;
}

/* Writes the elements little-endian, swapping through a bounce buffer on
 * big-endian hosts. */
static int npy_write_data(FILE *f, const void *data, size_t numel, size_t size) {
  unsigned char tmp[4096];
  const unsigned char *p = data;
  size_t per = sizeof tmp / size;
  if (npy_host_little() || size == 1) return fwrite(p, size, numel, f) == numel ? 0 : -1;
  while (numel) {
    size_t k = numel < per ? numel : per;
    memcpy(tmp, p, k * size);
    npy_swap(tmp, k, size);
    if (fwrite(tmp, size, k, f) != k) return -1;
    p += k * size;
    numel -= k;
  }
  return 0;
}

int rt_npy_save(const char *path, gpux_dtype dt, int rank, const int64_t *shape,
                const void *data, char *err, size_t errlen) {
  char hdr[2048];
  size_t n = rt_npy_format_header(hdr, sizeof hdr, dt, rank, shape), numel = 1;
  FILE *f;
  int rc;
  if (!n) {
    npy_err(err, errlen, "cannot write %s of rank %d", rt_npy_dtype_name(dt), rank);
    return -1;
  }
  for (int i = 0; i < rank; i++) numel *= (size_t)shape[i];
  f = fopen(path, "wb");
  if (!f) return npy_err(err, errlen, "%s", strerror(errno)), -1;
  errno = 0;
  rc = fwrite(hdr, 1, n, f) == n ? 0 : -1;
  if (!rc && numel) rc = npy_write_data(f, data, numel, rt_npy_dtype_size(dt));
  if (fclose(f) != 0) rc = -1;
  if (rc) {
    npy_err(err, errlen, "%s", strerror(errno ? errno : EIO));
    remove(path);
  }
  return rc;
}

/* ---- strings */

static size_t npy_strlen(const unsigned char *s, size_t width) {
  size_t n = 0;
  while (n < width && s[n]) n++;
  return n;
}

/* Appends code point u as UTF-8 at out[*n]; 0, or -1 if it does not fit in
 * cap bytes or is not a valid scalar value. */
static int npy_utf8_put(char *out, size_t cap, size_t *n, uint32_t u) {
  unsigned char b[4];
  size_t k;
  if (u == 0 || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) return -1;
  if (u < 0x80) b[0] = (unsigned char)u, k = 1;
  else if (u < 0x800) b[0] = (unsigned char)(0xc0 | u >> 6), b[1] = (unsigned char)(0x80 | (u & 0x3f)), k = 2;
  else if (u < 0x10000)
    b[0] = (unsigned char)(0xe0 | u >> 12), b[1] = (unsigned char)(0x80 | (u >> 6 & 0x3f)),
    b[2] = (unsigned char)(0x80 | (u & 0x3f)), k = 3;
  else
    b[0] = (unsigned char)(0xf0 | u >> 18), b[1] = (unsigned char)(0x80 | (u >> 12 & 0x3f)),
    b[2] = (unsigned char)(0x80 | (u >> 6 & 0x3f)), b[3] = (unsigned char)(0x80 | (u & 0x3f)), k = 4;
  if (*n + k > cap) return -2;
  memcpy(out + *n, b, k);
  *n += k;
  return 0;
}

/* The code point at s[*i] of UTF-8 s (n bytes); advances *i. Invalid
 * sequences give U+FFFD, one byte at a time. */
static uint32_t npy_utf8_get(const unsigned char *s, size_t n, size_t *i) {
  unsigned char c = s[*i];
  size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
  uint32_t u = k == 1 ? c : k == 2 ? (uint32_t)(c & 0x1f) : k == 3 ? (uint32_t)(c & 0x0f) : (uint32_t)(c & 0x07);
  if (!k || *i + k > n) {
    (*i)++;
    return 0xfffd;
  }
  for (size_t j = 1; j < k; j++) {
    if ((s[*i + j] & 0xc0) != 0x80) {
      (*i)++;
      return 0xfffd;
    }
    u = u << 6 | (s[*i + j] & 0x3f);
  }
  *i += k;
  return u;
}

int rt_npy_read_strings(FILE *f, const rt_npy_header *h, char *dst, size_t width, char *err,
                        size_t errlen) {
  size_t item = h->str_chars * (h->str_unicode ? 4 : 1), k;
  unsigned char *buf;
  if (h->dtype != GPUX_STRING) return npy_err(err, errlen, "not a string array"), -1;
  if (npy_check_size(f, h, err, errlen)) return -1;
  buf = malloc(item ? item : 1);
  if (!buf) return npy_err(err, errlen, "out of memory"), -1;
  memset(dst, 0, h->numel * width);
  for (size_t e = 0; e < h->numel; e++) {
    size_t n = 0;
    if (npy_fread(f, buf, item, "truncated data", err, errlen)) break;
    for (k = 0; k < h->str_chars; k++) {
      uint32_t u;
      int rc;
      if (h->str_unicode)
        u = (uint32_t)buf[4 * k] | (uint32_t)buf[4 * k + 1] << 8 | (uint32_t)buf[4 * k + 2] << 16 |
            (uint32_t)buf[4 * k + 3] << 24;
      else
        u = buf[k];
      if (u == 0) break; /* numpy pads with NULs */
      if (!h->str_unicode) {
        if (n + 1 > width) rc = -2;
        else dst[e * width + n++] = (char)u, rc = 0;
      } else {
        rc = npy_utf8_put(dst + e * width, width, &n, u);
      }
      if (rc == -1) {
        npy_err(err, errlen, "string %zu holds an invalid character (U+%04lX)", e, (unsigned long)u);
        free(buf);
        return -1;
      }
      if (rc == -2) {
        npy_err(err, errlen, "string %zu is longer than the %zu UTF-8 bytes the model was built "
                "for (gpuxc build --string-bytes)", e, width);
        free(buf);
        return -1;
      }
    }
    if (h->str_unicode == 0 && k < h->str_chars)
      for (size_t j = k; j < h->str_chars; j++)
        if (buf[j]) {
          npy_err(err, errlen, "string %zu holds a NUL byte", e);
          free(buf);
          return -1;
        }
  }
  free(buf);
  if (h->numel && ferror(f)) return -1;
  if (fgetc(f) != EOF)
    return npy_err(err, errlen, "file size does not match the header (extra bytes at the end)"), -1;
  return 0;
}

int rt_npy_save_strings(const char *path, int rank, const int64_t *shape, const char *data,
                        size_t width, char *err, size_t errlen) {
  char hdr[2048], dict[64 + RT_NPY_MAX_RANK * 24 + NPY_GROWTH_DIGITS];
  size_t numel = 1, chars = 1, n, hlen, pad, total;
  FILE *f;
  int rc = 0;
  for (int i = 0; i < rank; i++) numel *= (size_t)shape[i];
  for (size_t e = 0; e < numel; e++) { /* the longest element, in code points */
    const unsigned char *s = (const unsigned char *)data + e * width;
    size_t len = npy_strlen(s, width), c = 0;
    for (size_t i = 0; i < len; c++) (void)npy_utf8_get(s, len, &i);
    if (c > chars) chars = c;
  }
  if (rank < 0 || rank > RT_NPY_MAX_RANK) return npy_err(err, errlen, "rank %d", rank), -1;
  n = (size_t)snprintf(dict, sizeof dict, "{'descr': '<U%zu', 'fortran_order': False, 'shape': (",
                       chars);
  for (int i = 0; i < rank; i++)
    n += (size_t)snprintf(dict + n, sizeof dict - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
  n += (size_t)snprintf(dict + n, sizeof dict - n, "%s), }", rank == 1 ? "," : "");
  hlen = n + 1;
  pad = NPY_ALIGN - (10 + hlen) % NPY_ALIGN;
  total = 10 + hlen + pad;
  memcpy(hdr, NPY_MAGIC "\x01\x00", 8);
  hdr[8] = (char)((hlen + pad) & 0xff);
  hdr[9] = (char)((hlen + pad) >> 8);
  memcpy(hdr + 10, dict, n);
  memset(hdr + 10 + n, ' ', pad);
  hdr[total - 1] = '\n';
  f = fopen(path, "wb");
  if (!f) return npy_err(err, errlen, "%s", strerror(errno)), -1;
  errno = 0;
  if (fwrite(hdr, 1, total, f) != total) rc = -1;
  for (size_t e = 0; !rc && e < numel; e++) {
    const unsigned char *s = (const unsigned char *)data + e * width;
    size_t len = npy_strlen(s, width), i = 0, c = 0;
    unsigned char u4[4];
    for (; i < len || c < chars; c++) {
      uint32_t u = i < len ? npy_utf8_get(s, len, &i) : 0;
      u4[0] = (unsigned char)u, u4[1] = (unsigned char)(u >> 8), u4[2] = (unsigned char)(u >> 16),
      u4[3] = (unsigned char)(u >> 24);
      if (fwrite(u4, 1, 4, f) != 4) rc = -1;
    }
  }
  if (fclose(f) != 0) rc = -1;
  if (rc) {
    npy_err(err, errlen, "%s", strerror(errno ? errno : EIO));
    remove(path);
  }
  return rc;
}
