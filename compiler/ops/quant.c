/* quant.c - (being written) */
#include "op.h"

const OpDef OPS_QUANT[] = {
    {NULL},
};
