/* attention.c - (being written) */
#include "op.h"

const OpDef OPS_ATTENTION[] = {
    {NULL},
};
