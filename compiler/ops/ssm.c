/* ssm.c - the sequence-mixing ops of opset 26: LinearAttention, CausalConvWithState, and SwiGLU (being written). */
#include "op.h"

const OpDef OPS_SSM[] = {
    {NULL},
};
