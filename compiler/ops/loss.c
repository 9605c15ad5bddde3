/* loss.c - (being written) */
#include "op.h"

const OpDef OPS_LOSS[] = {
    {NULL},
};
