/* training.c - the optimizer ops of domain ai.onnx.preview.training: Adagrad, Adam, Momentum (being written). */
#include "op.h"

const OpDef OPS_TRAINING[] = {
    {NULL},
};
