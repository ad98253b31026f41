/*
 * fuzz_parse: libFuzzer target for the parser (tree-sitter, error
 * reporting, lowering, literal decoding), both renderings, and the type
 * checker on every expression that parses.
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

/* The schema every parsed expression is also type-checked against: records
 * referring to each other and to themselves, maps, lists, a qualified
 * variable name. */
static const char schema_doc[] =
    "{\"types\": {\"Item\": {\"sku\": \"string\", \"qty\": \"int\", \"price\": \"double\", \"next\": \"Item\"}},"
    " \"variables\": {\"user\": {\"age\": \"int\", \"city\": \"string\", \"tags\": \"list(string)\","
    " \"blocked\": \"bool\", \"born\": \"timestamp\"},"
    " \"order\": {\"amount\": \"double\", \"items\": \"list(Item)\", \"attrs\": \"map(string, string)\"},"
    " \"a.b\": \"int\", \"x\": \"dyn\", \"n\": \"uint\"}}";

static rulecore_schema *fuzz_schema(void) {
  static rulecore_schema *schema;
  if (!schema) {
    schema = rulecore_schema_new();
    if (!schema || rulecore_schema_load(schema, schema_doc, sizeof schema_doc - 1, "fuzz.json", NULL) != RULECORE_OK ||
        rulecore_schema_freeze(schema, NULL) != RULECORE_OK)
      abort();
  }
  return schema;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rulecore_env *env = rulecore_env_new();
  if (!env) return 0;
  if (rulecore_env_set_schema(env, fuzz_schema(), NULL) != RULECORE_OK) abort();
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
    /* Check it (twice: checking again must give the same answer). */
    rulecore_diagnostics *cd = NULL;
    rulecore_status c1 = rulecore_check(env, expr, (data[0] & 2) ? "bool" : NULL, &cd);
    if (c1 == RULECORE_OK && !rulecore_expr_type(expr)) abort();
    if (c1 == RULECORE_ERR_SOURCE && rulecore_diagnostics_error_count(cd) == 0) abort();
    if (c1 != RULECORE_OK && c1 != RULECORE_ERR_SOURCE) abort();
    char *first = c1 == RULECORE_OK ? strdup(rulecore_expr_type(expr)) : NULL;
    rulecore_diagnostics_free(cd);
    rulecore_status c2 = rulecore_check(env, expr, (data[0] & 2) ? "bool" : NULL, NULL);
    if (c2 != c1 || (first && strcmp(first, rulecore_expr_type(expr)) != 0)) abort();
    free(first);
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
