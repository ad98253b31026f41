/*
 * conformance.c: `rulec conformance`, CEL's conformance cases run through
 * the public API.  (Being written.)
 */
#include <stdio.h>

#include "rulecore.h"

int rulec_conformance(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "rulec conformance: not implemented yet\n");
  return 2;
}
