/* onnx_internal.h - shared by the pieces of the ONNX frontend. */
#ifndef GPUXC_ONNX_INTERNAL_H
#define GPUXC_ONNX_INTERNAL_H

#include "ir.h"
#include "onnx.pb-c.h"

typedef struct Loader {
  IrGraph *g;
  Diag *d;
  const char *path;
  char *dir;     /* folder of the model: external data is relative to it */
  StrMap mapped; /* external file -> index in maps */
  struct {
    const char *path;
    const unsigned char *data;
    size_t len;
    int err;
  } *maps;
  int nmaps, capmaps;
} Loader;

/* Maps a whole file read-only; returns 0 or an errno value. */
int onnx_map_file(const char *path, const unsigned char **data, size_t *len);
void onnx_unmap(void *p, size_t n);

/* TensorProto -> IrTensor ("what" names it in errors). 0 or -1 (reported). */
int onnx_load_tensor(Loader *L, const Onnx__TensorProto *t, IrTensor *out, const char *what);
/* Adds the attribute to n. 0 or -1 (reported). */
int onnx_load_attr(Loader *L, IrNode *n, const Onnx__AttributeProto *a);
/* Converts an attribute into r; where names its owner in errors. */
int onnx_convert_attr(Loader *L, const char *where, const Onnx__AttributeProto *a, IrAttr *r);
/* A subgraph as an IrBody in the graph's arena; NULL (reported) if invalid. */
IrBody *onnx_load_body(Loader *L, const Onnx__GraphProto *gp, const char *where);

#endif
