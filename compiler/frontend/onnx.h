/* onnx.h - the ONNX frontend. */
#ifndef GPUXC_ONNX_H
#define GPUXC_ONNX_H

#include "ir.h"

/* Loads path into g (initialized by the caller). Problems go to d with the
 * file name and the reason; returns 0 on success. */
int onnx_load(const char *path, IrGraph *g, Diag *d);

#endif
