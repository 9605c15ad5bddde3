/* driver.h - the commands of gpuxc, usable as a library: each reports into
 * a Diag and returns 0 on success; only main() turns that into exit codes. */
#ifndef GPUXC_DRIVER_H
#define GPUXC_DRIVER_H

#include "config.h"
#include "diag.h"
#include "ir.h"
#include "options.h"

/* Loads the project: a gpux.yml (cfg filled from it) or a bare model (cfg
 * defaults), and the model into g. */
int load_project(const Options *o, GpuxConfig *cfg, IrGraph *g, Diag *d);

int cmd_build(const Options *o, Diag *d);
int cmd_inspect(const Options *o, Diag *d);
int cmd_targets(const Options *o, Diag *d);

#endif
