/* signal.c - (being written) */
#include "op.h"

const OpDef OPS_SIGNAL[] = {
    {NULL},
};
