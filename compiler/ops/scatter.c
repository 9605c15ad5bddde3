/* scatter.c - (being written) */
#include "op.h"

const OpDef OPS_SCATTER[] = {
    {NULL},
};
