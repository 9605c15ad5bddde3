/* select.c - (being written) */
#include "op.h"

const OpDef OPS_SELECT[] = {
    {NULL},
};
