/* dtype.h - element types. The numbers are ONNX's TensorProto.DataType
 * values, so a model's types convert without a table. */
#ifndef GPUXC_DTYPE_H
#define GPUXC_DTYPE_H

#include <stddef.h>

typedef enum DType {
  DT_UNDEF = 0,
  DT_F32 = 1,
  DT_U8 = 2,
  DT_I8 = 3,
  DT_U16 = 4,
  DT_I16 = 5,
  DT_I32 = 6,
  DT_I64 = 7,
  DT_STRING = 8,
  DT_BOOL = 9,
  DT_F16 = 10,
  DT_F64 = 11,
  DT_U32 = 12,
  DT_U64 = 13,
  DT_C64 = 14,
  DT_C128 = 15,
  DT_BF16 = 16,
  /* The narrow types of opsets 19 to 25, held one element per byte (the
   * floats as their bit patterns, the integers as int8/uint8 values) and
   * computed in float32 (infer.c). */
  DT_F8E4M3FN = 17,
  DT_F8E4M3FNUZ = 18,
  DT_F8E5M2 = 19,
  DT_F8E5M2FNUZ = 20,
  DT_U4 = 21,
  DT_I4 = 22,
  DT_F4E2M1 = 23,
  DT_F8E8M0 = 24,
  DT_U2 = 25,
  DT_I2 = 26,
  DT_COUNT_ = 27 /* values above are ONNX types gpuxc does not know */
} DType;

size_t dtype_size(DType t);            /* bytes per element; 0 if unknown */
const char *dtype_name(DType t);       /* "float32", "int64", ... (GPUX names) */
const char *dtype_c(DType t);          /* C type in generated code: "float" */
const char *dtype_suffix(DType t);     /* kernel suffix: "f32", "i64" */
const char *dtype_npy(DType t);        /* numpy descr: "<f4"; NULL if none */
DType dtype_from_name(const char *s);  /* accepts "float32", "float", "int64", ...; DT_UNDEF if unknown */
int dtype_is_float(DType t);
int dtype_is_int(DType t);             /* signed or unsigned integer, not bool */
int dtype_is_known(int onnx_type);     /* one gpuxc can hold (not complex) */
/* Types computed in float32: float16, bfloat16 and the narrow types above. */
int dtype_is_narrow(DType t);
/* Bits per element in ONNX's packed form: 4 or 2 for the sub-byte types, else
 * 8 * dtype_size. */
int dtype_packed_bits(DType t);

#endif
