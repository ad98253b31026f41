/*
 * json.h: JSON input, with source positions for diagnostics: schema
 * documents (through jansson) and contexts (a streaming reader of our own,
 * straight into an activation).
 */
#ifndef RULECORE_JSON_H
#define RULECORE_JSON_H

#include "diag.h"
#include "internal.h"
#include "schema.h"

/* Add the declarations of the schema document text[0..len) named file to
 * s, reporting into d with positions in the document.  RULECORE_OK,
 * RULECORE_ERR_SOURCE or RULECORE_ERR_NOMEM. */
INTERNAL rulecore_status json_load_schema(rulecore_schema *s, const char *text, size_t len, const char *file,
                                          rulecore_diagnostics *d);

/* rulecore_activation_set_json, also filling computed variables (a
 * ruleset's decisions, for the expectations of its tests) when computed.
 * One pass over the text, no document tree; *diagnostics (when not NULL)
 * as for rulecore_activation_set_json. */
INTERNAL rulecore_status json_fill_activation(rulecore_activation *a, const char *text, size_t length,
                                              rulecore_json_style style, bool computed,
                                              rulecore_diagnostics **diagnostics);

#endif
