/* registry.c - the targets gpuxc can compile for. */
#include <string.h>

#include "target.h"

extern const Target TARGET_C, TARGET_CPU;

static const Target *const TARGETS[] = {&TARGET_C, &TARGET_CPU, NULL};

const Target *target_find(const char *name) {
  for (int i = 0; TARGETS[i]; i++)
    if (strcmp(TARGETS[i]->name, name) == 0) return TARGETS[i];
  return NULL;
}

const Target *const *target_all(void) { return TARGETS; }
