/* random.c - the random ops (being written). */
#include "op.h"

const OpDef OPS_RANDOM[] = {
    {NULL},
};
