/* deform.c - DeformConv (being written). */
#include "op.h"

const OpDef OPS_DEFORM[] = {
    {NULL},
};
