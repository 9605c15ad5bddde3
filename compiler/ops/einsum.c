/* einsum.c - (being written) */
#include "op.h"

const OpDef OPS_EINSUM[] = {
    {NULL},
};
