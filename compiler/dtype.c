#include "dtype.h"

#include <string.h>

typedef struct DTypeInfo {
  const char *name, *c, *suffix, *npy;
  size_t size;
} DTypeInfo;

static const DTypeInfo INFO[DT_COUNT_] = {
    [DT_F32] = {"float32", "float", "f32", "<f4", 4},
    [DT_U8] = {"uint8", "uint8_t", "u8", "|u1", 1},
    [DT_I8] = {"int8", "int8_t", "i8", "|i1", 1},
    [DT_U16] = {"uint16", "uint16_t", "u16", "<u2", 2},
    [DT_I16] = {"int16", "int16_t", "i16", "<i2", 2},
    [DT_I32] = {"int32", "int32_t", "i32", "<i4", 4},
    [DT_I64] = {"int64", "int64_t", "i64", "<i8", 8},
    [DT_STRING] = {"string", "char", "str", NULL, 0}, /* width per value: IrValue.strw */
    [DT_BOOL] = {"bool", "uint8_t", "bool", "|b1", 1},
    [DT_F16] = {"float16", "uint16_t", "f16", "<f2", 2},
    [DT_F64] = {"float64", "double", "f64", "<f8", 8},
    [DT_U32] = {"uint32", "uint32_t", "u32", "<u4", 4},
    [DT_U64] = {"uint64", "uint64_t", "u64", "<u8", 8},
    [DT_C64] = {"complex64", NULL, "c64", "<c8", 8},
    [DT_C128] = {"complex128", NULL, "c128", "<c16", 16},
    [DT_BF16] = {"bfloat16", "uint16_t", "bf16", NULL, 2},
    [DT_F8E4M3FN] = {"float8e4m3fn", "uint8_t", "f8e4m3fn", "|u1", 1},
    [DT_F8E4M3FNUZ] = {"float8e4m3fnuz", "uint8_t", "f8e4m3fnuz", "|u1", 1},
    [DT_F8E5M2] = {"float8e5m2", "uint8_t", "f8e5m2", "|u1", 1},
    [DT_F8E5M2FNUZ] = {"float8e5m2fnuz", "uint8_t", "f8e5m2fnuz", "|u1", 1},
    [DT_U4] = {"uint4", "uint8_t", "u4", "|u1", 1},
    [DT_I4] = {"int4", "int8_t", "i4", "|i1", 1},
    [DT_F4E2M1] = {"float4e2m1", "uint8_t", "f4e2m1", "|u1", 1},
    [DT_F8E8M0] = {"float8e8m0", "uint8_t", "f8e8m0", "|u1", 1},
    [DT_U2] = {"uint2", "uint8_t", "u2", "|u1", 1},
    [DT_I2] = {"int2", "int8_t", "i2", "|i1", 1},
};

static const DTypeInfo *info(DType t) {
  static const DTypeInfo none = {"undefined", NULL, "undef", NULL, 0};
  if ((int)t <= 0 || t >= DT_COUNT_ || !INFO[t].name) return &none;
  return &INFO[t];
}

size_t dtype_size(DType t) { return info(t)->size; }
const char *dtype_name(DType t) { return info(t)->name; }
const char *dtype_c(DType t) { return info(t)->c; }
const char *dtype_suffix(DType t) { return info(t)->suffix; }
const char *dtype_npy(DType t) { return info(t)->npy; }

DType dtype_from_name(const char *s) {
  static const struct {
    const char *alias;
    DType t;
  } ALIASES[] = {{"float", DT_F32}, {"double", DT_F64}, {"half", DT_F16}, {"long", DT_I64},
                 {"int", DT_I32},   {"boolean", DT_BOOL}, {"fp32", DT_F32}, {"fp16", DT_F16}};
  if (!s) return DT_UNDEF;
  for (int t = 1; t < DT_COUNT_; t++)
    if (INFO[t].name && strcmp(s, INFO[t].name) == 0) return (DType)t;
  for (size_t i = 0; i < sizeof(ALIASES) / sizeof(ALIASES[0]); i++)
    if (strcmp(s, ALIASES[i].alias) == 0) return ALIASES[i].t;
  return DT_UNDEF;
}

int dtype_is_float(DType t) { return t == DT_F32 || t == DT_F64 || t == DT_F16 || t == DT_BF16; }

int dtype_is_int(DType t) {
  switch (t) {
  case DT_U8: case DT_I8: case DT_U16: case DT_I16: case DT_I32: case DT_I64: case DT_U32:
  case DT_U64:
    return 1;
  default:
    return 0;
  }
}

int dtype_is_narrow(DType t) { return t == DT_F16 || t == DT_BF16 || (t >= DT_F8E4M3FN && t <= DT_I2); }

int dtype_packed_bits(DType t) {
  switch (t) {
  case DT_U4: case DT_I4: case DT_F4E2M1: return 4;
  case DT_U2: case DT_I2: return 2;
  default: return 8 * (int)dtype_size(t);
  }
}

int dtype_is_known(int onnx_type) {
  return onnx_type > 0 && onnx_type < DT_COUNT_ && INFO[onnx_type].name && onnx_type != DT_C64 &&
         onnx_type != DT_C128;
}
