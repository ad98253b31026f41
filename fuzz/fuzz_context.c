/*
 * fuzz_context: libFuzzer target for contexts read from JSON
 * (rulecore_activation_set_json, both styles).
 *
 * Build: ./configure CC=clang --enable-fuzzer && make fuzz/fuzz_context
 * Run:   scripts/fuzz [SECONDS] context
 *
 * The first input byte picks the style (bit 0: typed) and the schema
 * (bit 1: the input's own, up to the first NUL byte, else the built-in
 * one); the rest is the context.  A fill must give OK, SOURCE (with a
 * diagnostic of a context code pointing into the text) or NOMEM; with the
 * built-in schema a failed fill must leave every variable as it was, and
 * a fill must give the same outcome again after a reset.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rulecore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char schema_doc[] =
    "{\"types\": {\"Item\": {\"sku\": \"string\", \"qty\": \"int\", \"price\": \"double\", \"next\": \"Item\","
    " \"tags\": \"list(string)\"}},"
    " \"variables\": {\"user\": {\"age\": \"int\", \"city\": \"string\", \"tags\": \"list(string)\","
    " \"blocked\": \"bool\", \"born\": \"timestamp\", \"wait\": \"duration\", \"key\": \"bytes\"},"
    " \"items\": \"list(Item)\", \"item\": \"Item\", \"counts\": \"map(string, int)\","
    " \"ids\": \"map(int, string)\", \"flags\": \"map(bool, double)\", \"um\": \"map(uint, dyn)\","
    " \"grid\": \"list(list(int))\", \"x\": \"dyn\", \"n\": \"uint\", \"nothing\": \"null_type\"}}";

static const char *const names[] = {"user", "items", "item", "counts", "ids", "flags", "um", "grid", "x", "n", "nothing"};
#define NNAMES (sizeof names / sizeof names[0])

static rulecore_schema *schema;
static rulecore_program *programs[NNAMES];
static rulecore_result *result;

static void setup(void) {
  if (schema) return;
  schema = rulecore_schema_new();
  rulecore_env *env = rulecore_env_new();
  result = rulecore_result_new();
  if (!schema || !env || !result ||
      rulecore_schema_load(schema, schema_doc, sizeof schema_doc - 1, "fuzz.json", NULL) != RULECORE_OK ||
      rulecore_schema_freeze(schema, NULL) != RULECORE_OK || rulecore_env_set_schema(env, schema, NULL) != RULECORE_OK)
    abort();
  for (size_t i = 0; i < NNAMES; i++)
    if (rulecore_compile_source(env, names[i], strlen(names[i]), NULL, NULL, &programs[i], NULL) != RULECORE_OK)
      abort();
  rulecore_env_free(env);
}

/* Every variable rendered, one after another (the caller frees). */
static char *snapshot(const rulecore_activation *a) {
  size_t cap = 256, len = 0;
  char *out = malloc(cap);
  if (!out) abort();
  for (size_t i = 0; i < NNAMES; i++) {
    rulecore_status st = rulecore_eval(programs[i], a, result);
    char *r = st == RULECORE_OK ? rulecore_result_render(result, RULECORE_FORMAT_TYPED_JSON) : NULL;
    const char *s = r ? r : st == RULECORE_OK ? "(render failed)" : rulecore_result_error(result, NULL, NULL);
    size_t n = strlen(s ? s : "");
    while (len + n + 2 > cap) {
      cap *= 2;
      if (!(out = realloc(out, cap))) abort();
    }
    memcpy(out + len, s ? s : "", n);
    len += n;
    out[len++] = '\n';
    rulecore_free(r);
  }
  out[len] = '\0';
  return out;
}

/* Check the outcome of one fill of text[0..n). */
static void check_outcome(rulecore_status st, rulecore_diagnostics *d, size_t n) {
  if (st == RULECORE_OK || st == RULECORE_ERR_NOMEM) return;
  if (st != RULECORE_ERR_SOURCE || rulecore_diagnostics_count(d) < 1) abort();
  int code = rulecore_diagnostics_code(d, 0);
  if (code != RULECORE_DIAG_CONTEXT_SYNTAX && code != RULECORE_DIAG_CONTEXT_MISMATCH) abort();
  if (rulecore_diagnostics_offset(d, 0) + rulecore_diagnostics_length(d, 0) > n) abort();
  char *text = rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT);
  if (!text) abort();
  rulecore_free(text);
}

static const char base[] = "{\"user\": {\"age\": 30, \"city\": \"Beijing\"}, \"n\": 7, \"x\": [1, \"two\"]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  setup();
  rulecore_json_style style = data[0] & 1 ? RULECORE_JSON_TYPED : RULECORE_JSON_PLAIN;
  const char *text = (const char *)data + 1;
  size_t n = size - 1;
  rulecore_diagnostics *d = NULL;
  if (data[0] & 2) { /* the input's own schema */
    const char *nul = memchr(text, '\0', n);
    if (!nul) return 0;
    rulecore_schema *s = rulecore_schema_new();
    if (!s) return 0;
    if (rulecore_schema_load(s, text, (size_t)(nul - text), "s.json", NULL) == RULECORE_OK &&
        rulecore_schema_freeze(s, NULL) == RULECORE_OK) {
      rulecore_activation *a = rulecore_activation_new(s);
      if (a) {
        const char *ctx = nul + 1;
        size_t cn = n - (size_t)(nul + 1 - text);
        rulecore_status st = rulecore_activation_set_json(a, ctx, cn, style, &d);
        check_outcome(st, d, cn);
        rulecore_diagnostics_free(d);
        rulecore_activation_reset(a);
        if (rulecore_activation_set_json(a, ctx, cn, style, NULL) != st && st != RULECORE_ERR_NOMEM) abort();
        rulecore_activation_free(a);
      }
    }
    rulecore_schema_free(s);
    return 0;
  }
  rulecore_activation *a = rulecore_activation_new(schema);
  if (!a) return 0;
  if (rulecore_activation_set_json(a, base, sizeof base - 1, RULECORE_JSON_PLAIN, NULL) != RULECORE_OK) abort();
  char *before = snapshot(a);
  rulecore_status st = rulecore_activation_set_json(a, text, n, style, &d);
  check_outcome(st, d, n);
  rulecore_diagnostics_free(d);
  char *after = snapshot(a);
  if (st != RULECORE_OK && strcmp(before, after) != 0) abort(); /* a failed fill changed something */
  /* Again after a reset: the same outcome, and on success the same values
   * from a reused pool. */
  rulecore_activation_reset(a);
  if (rulecore_activation_set_json(a, base, sizeof base - 1, RULECORE_JSON_PLAIN, NULL) != RULECORE_OK) abort();
  rulecore_status st2 = rulecore_activation_set_json(a, text, n, style, NULL);
  if (st != RULECORE_ERR_NOMEM && st2 != RULECORE_ERR_NOMEM) {
    if (st2 != st) abort();
    char *again = snapshot(a);
    if (strcmp(after, again) != 0) abort();
    free(again);
  }
  free(before);
  free(after);
  rulecore_activation_free(a);
  return 0;
}
