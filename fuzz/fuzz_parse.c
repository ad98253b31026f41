/*
 * fuzz_parse: libFuzzer target for the parser (tree-sitter, error
 * reporting, lowering, literal decoding) and both renderings.
 *
 * Build: ./configure CC=clang --enable-fuzzer && make fuzz/fuzz_parse
 * Run:   scripts/fuzz [SECONDS]
 *
 * The first input byte, when present, picks small limits half of the time
 * so the nesting-depth and size limits are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rulecore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rulecore_env *env = rulecore_env_new();
  if (!env) return 0;
  if (size > 0 && (data[0] & 1)) {
    rulecore_env_set_limit(env, RULECORE_LIMIT_NESTING_DEPTH, 1 + (data[0] >> 1) % 16);
    rulecore_env_set_limit(env, RULECORE_LIMIT_SOURCE_BYTES, 64);
    rulecore_env_set_limit(env, RULECORE_LIMIT_ERRORS, 3);
  }
  rulecore_expr *expr = NULL;
  rulecore_diagnostics *diags = NULL;
  rulecore_status st = rulecore_parse(env, (const char *)data, size, "fuzz", &expr, &diags);
  if (st == RULECORE_OK) {
    /* A tree without errors must render; an error list must be non-empty. */
    char *s = rulecore_expr_render(expr, RULECORE_FORMAT_SEXP);
    char *j = rulecore_expr_render(expr, RULECORE_FORMAT_JSON);
    if (!s || !j) abort();
    rulecore_free(s);
    rulecore_free(j);
  } else if (st == RULECORE_ERR_SOURCE) {
    if (rulecore_diagnostics_error_count(diags) == 0) abort();
    for (size_t i = 0; i < rulecore_diagnostics_count(diags); i++)
      if (rulecore_diagnostics_line(diags, i) == 0 || rulecore_diagnostics_column(diags, i) == 0) abort();
    char *t = rulecore_diagnostics_render(diags, RULECORE_FORMAT_TEXT);
    char *j = rulecore_diagnostics_render(diags, RULECORE_FORMAT_JSON);
    if (!t || !j) abort();
    rulecore_free(t);
    rulecore_free(j);
  } else {
    abort(); /* no other status is possible for in-memory input */
  }
  rulecore_diagnostics_free(diags);
  rulecore_expr_free(expr);
  rulecore_env_free(env);
  return 0;
}
