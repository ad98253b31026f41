/*
 * fuzz_parse: libFuzzer target for the parser (tree-sitter, error
 * reporting, lowering, literal decoding), both renderings, and the type
 * checker on every expression that parses, and compiling and evaluating
 * every expression that checks (under a cost limit, against a filled
 * context): an evaluation must give a value or an error value, render in
 * every format, and give the same answer twice.
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

/* The context every compiled expression is evaluated against. */
static const char context_doc[] =
    "{\"user\": {\"age\": 30, \"city\": \"Beijing\", \"tags\": [\"vip\", \"\"], \"blocked\": false,"
    " \"born\": \"1990-05-01T12:00:00+08:00\"},"
    " \"order\": {\"amount\": 259.5, \"items\": [{\"sku\": \"A\", \"qty\": 2, \"price\": 1e300,"
    " \"next\": {\"sku\": \"B\", \"qty\": -9223372036854775807}}], \"attrs\": {\"k\": \"v\"}},"
    " \"a.b\": 7, \"x\": [1, \"two\", {\"three\": 3.5}, null], \"n\": 18446744073709551}";

static const rulecore_activation *fuzz_context(void) {
  static rulecore_activation *act;
  if (!act) {
    act = rulecore_activation_new(fuzz_schema());
    if (!act ||
        rulecore_activation_set_json(act, context_doc, sizeof context_doc - 1, RULECORE_JSON_PLAIN, NULL) != RULECORE_OK)
      abort();
  }
  return act;
}

/* Evaluate prog twice; abort on a status that is neither a value nor an
 * error value (out of memory aside), a result that does not render, or
 * two different answers. */
static void evaluate(const rulecore_program *prog) {
  static rulecore_result *r;
  if (!r && !(r = rulecore_result_new())) abort();
  char *text[2] = {NULL, NULL};
  for (int k = 0; k < 2; k++) {
    rulecore_status st = rulecore_eval(prog, fuzz_context(), r);
    if (st == RULECORE_ERR_NOMEM) return;
    if (st != RULECORE_OK && st != RULECORE_ERR_EVAL) abort();
    if (st == RULECORE_ERR_EVAL && !rulecore_result_error(r, NULL, NULL)) abort();
    char *json = rulecore_result_render(r, RULECORE_FORMAT_JSON);
    char *typed = rulecore_result_render(r, RULECORE_FORMAT_TYPED_JSON);
    text[k] = rulecore_result_render(r, RULECORE_FORMAT_TEXT);
    if (!json || !typed || !text[k]) abort();
    rulecore_free(json);
    rulecore_free(typed);
  }
  if (strcmp(text[0], text[1]) != 0) abort();
  rulecore_free(text[0]);
  rulecore_free(text[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rulecore_env *env = rulecore_env_new();
  if (!env) return 0;
  if (rulecore_env_set_schema(env, fuzz_schema(), NULL) != RULECORE_OK) abort();
  rulecore_env_set_limit(env, RULECORE_LIMIT_EVAL_COST, 100000);
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
    if (c1 == RULECORE_OK) {
      rulecore_program *prog = NULL;
      rulecore_status cs = rulecore_compile(env, expr, &prog);
      if (cs == RULECORE_OK)
        evaluate(prog);
      else if (cs != RULECORE_ERR_NOMEM)
        abort();
      rulecore_program_free(prog);
    }
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
