/* ml.c - ops of domain ai.onnx.ml (being written). */
#include "op.h"

const OpDef OPS_ML[] = {
    {NULL},
};
