/* preview.c - ops of domain ai.onnx.preview (being written). */
#include "op.h"

const OpDef OPS_PREVIEW[] = {
    {NULL},
};
