/* layout.c - (being written) */
#include "op.h"

const OpDef OPS_LAYOUT[] = {
    {NULL},
};
