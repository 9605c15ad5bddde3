/* normalize.c - (being written) */
#include "op.h"

const OpDef OPS_NORMALIZE[] = {
    {NULL},
};
