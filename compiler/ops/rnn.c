/* rnn.c - (being written) */
#include "op.h"

const OpDef OPS_RNN[] = {
    {NULL},
};
