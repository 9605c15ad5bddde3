/* rt_npy.h - reading and writing NumPy .npy files, and element-type helpers.
 *
 * Reads format versions 1.0, 2.0 and 3.0 (C order, little-endian or
 * byte-order-free data); writes version 1.0 exactly as numpy.save does, so a
 * file written here is byte-identical to numpy's for the same array.
 *
 * bfloat16 has no NumPy descr: it is read and written as '<u2' (raw bits).
 *
 * Every function that can fail returns 0 on success and -1 on failure, with a
 * one-line message (no trailing newline, no file name) in err[0..errlen).
 */
#ifndef RT_NPY_H
#define RT_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gpux_rt.h"

#define RT_NPY_MAX_RANK 32
/* Longest header accepted when reading (numpy itself refuses > 10000). */
#define RT_NPY_MAX_HEADER (1u << 20)

typedef struct rt_npy_header {
  int major, minor;            /* format version */
  char descr[32];              /* as written in the file, e.g. "<f4" */
  gpux_dtype dtype;            /* GPUX_UNDEFINED if descr is not supported */
  int rank;
  int64_t shape[RT_NPY_MAX_RANK];
  size_t numel;
  size_t data_bytes;           /* numel * element size */
  size_t str_chars;            /* GPUX_STRING: characters per element ('<U7': 7) */
  int str_unicode;             /* GPUX_STRING: 1 for '<U' (UTF-32), 0 for '|S' (bytes) */
  size_t header_bytes;         /* offset of the data from the start of the file */
} rt_npy_header;

/* Element types. */
size_t rt_npy_dtype_size(gpux_dtype dt);       /* 0 for unsupported types */
const char *rt_npy_dtype_name(gpux_dtype dt);  /* "float32", "int64", ...; "undefined" */
const char *rt_npy_descr(gpux_dtype dt);       /* "<f4", "|b1", ...; bfloat16 -> "<u2" */
/* The type whose .npy files hold dt's elements: dt itself, or for the types
 * NumPy lacks their raw bits' type (bfloat16: uint16; float8, float4: uint8)
 * or, for int4/uint4/int2/uint2, int8/uint8 values. */
gpux_dtype rt_npy_storage(gpux_dtype dt);

/* Strings. A model holds each string element as `width` bytes of UTF-8,
 * NUL-padded; .npy files hold fixed-width '<U' (UTF-32) or '|S' (bytes).
 * rt_npy_read_strings reads the data after h's header into dst (numel *
 * width bytes), failing with a message that names the element when one
 * does not fit. rt_npy_save_strings writes '<U' of the longest element's
 * length (at least 1). */
int rt_npy_read_strings(FILE *f, const rt_npy_header *h, char *dst, size_t width, char *err,
                        size_t errlen);
int rt_npy_save_strings(const char *path, int rank, const int64_t *shape, const char *data,
                        size_t width, char *err, size_t errlen);

/* Scalar conversions (round to nearest even). */
float rt_npy_f16_to_f32(uint16_t h);
uint16_t rt_npy_f32_to_f16(float f);
float rt_npy_bf16_to_f32(uint16_t h);
uint16_t rt_npy_f32_to_bf16(float f);

/* Parses the header at the start of buf (len bytes, which may include the
 * data). An unsupported descr is not an error here: h->dtype is then
 * GPUX_UNDEFINED and h->data_bytes is 0. */
int rt_npy_parse_header(const void *buf, size_t len, rt_npy_header *h, char *err,
                        size_t errlen);

/* Reads the header from the current position of f (normally its start). */
int rt_npy_read_header(FILE *f, rt_npy_header *h, char *err, size_t errlen);

/* Reads the h->data_bytes bytes that follow the header into dst (dst_bytes
 * must equal h->data_bytes) and checks that the file ends there. */
int rt_npy_read_data(FILE *f, const rt_npy_header *h, void *dst, size_t dst_bytes, char *err,
                     size_t errlen);

/* Reads a whole file; *data is malloc'ed (free it) and holds h->data_bytes
 * bytes. Unsupported descrs are errors. */
int rt_npy_load(const char *path, rt_npy_header *h, void **data, char *err, size_t errlen);

/* Formats the version 1.0 header numpy.save writes for this array into
 * buf. Returns its length (a multiple of 64), or 0 if it does not fit in cap
 * or the type or rank is not supported. */
size_t rt_npy_format_header(char *buf, size_t cap, gpux_dtype dt, int rank,
                            const int64_t *shape);

/* Writes a .npy file; data holds numel * element size bytes. */
int rt_npy_save(const char *path, gpux_dtype dt, int rank, const int64_t *shape,
                const void *data, char *err, size_t errlen);

#endif /* RT_NPY_H */
