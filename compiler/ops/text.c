/* text.c - TfIdfVectorizer (being written). */
#include "op.h"

const OpDef OPS_TEXT[] = {
    {NULL},
};
