/* resize.c - (being written) */
#include "op.h"

const OpDef OPS_RESIZE[] = {
    {NULL},
};
