/*
 * check_eval.c: the evaluator (src/compile.c, src/eval.c), activations
 * (src/activation.c, the JSON fills of src/json.c) and results, through
 * the public API: rulecore_compile_source, rulecore_eval, the result
 * accessors and renderings, the slots, setters, builder and JSON fills of
 * activations, reuse without allocating, every allocation failing in turn
 * (through the allocator hook), the evaluation cost limit, the regular
 * expression limits, error positions, one program shared by several
 * threads, and the API's refusals of bad arguments.
 *
 * The semantics tables run each expression against one schema and one
 * context (sem_schema, sem_ctx) so that every operator is exercised both
 * on constants (folded at compile time, or left to run time when folding
 * fails) and on variables (the specialised closures).  A row expects the
 * TEXT rendering of the value, or "error: " and a substring of the
 * message of the error value.
 *
 * Every helper copies what a test asserts on into static storage and
 * frees the library's objects first (see check_main.h); the objects of a
 * checked fixture are freed by its teardown, which check runs after a
 * failed assertion too, so valgrind stays quiet under CK_FORK=no.
 */
#include <pthread.h>

#include "check_main.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

Suite *suite_eval(void);

/* ---- evaluating an expression into text ---- */

/* src (NULL: "(null)") into dst[0..cap), cut short when it does not fit. */
static void copy_text(char *dst, size_t cap, const char *src) {
  if (!src) src = "(null)";
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

#define OUT_MAX 8192

/* The first diagnostic of d as "MESSAGE" ("(none)" without one). */
static const char *first_message(const rulecore_diagnostics *d) {
  const char *m = rulecore_diagnostics_count(d) ? rulecore_diagnostics_message(d, 0) : NULL;
  return m ? m : "(none)";
}

/* The outcome of result r after rulecore_eval returned st, into out: the
 * TEXT rendering of a value, "error: MESSAGE" for an error value, "eval:
 * STATUS" for anything else. */
static void outcome_text(char *out, size_t cap, rulecore_status st, const rulecore_result *r) {
  if (st == RULECORE_OK) {
    char *z = rulecore_result_render(r, RULECORE_FORMAT_TEXT);
    snprintf(out, cap, "%s", z ? z : "(render failed)");
    rulecore_free(z);
  } else if (st == RULECORE_ERR_EVAL) {
    const char *m = rulecore_result_error(r, NULL, NULL);
    snprintf(out, cap, "error: %s", m ? m : "(no message)");
  } else {
    snprintf(out, cap, "eval: %s", rulecore_status_message(st));
  }
}

/* Evaluate expr (no result type required) in an environment whose schema
 * is the document schema_json (NULL: none), against a context filled from
 * the plain JSON ctx_json (NULL: every variable absent).  Returns the
 * outcome as outcome_text says, or "schema: ...", "compile: ..." or
 * "context: ..." with the first diagnostic when a step before the
 * evaluation fails (static storage; everything else is freed). */
static const char *eval_text(const char *schema_json, const char *expr, const char *ctx_json) {
  static char out[OUT_MAX];
  rulecore_schema *s = NULL;
  rulecore_env *env = rulecore_env_new();
  rulecore_program *p = NULL;
  rulecore_activation *a = NULL;
  rulecore_result *r = rulecore_result_new();
  rulecore_diagnostics *d = NULL;
  rulecore_status st;
  snprintf(out, sizeof out, "(setup failed)");
  if (!env || !r) goto done;
  if (schema_json) {
    s = rulecore_schema_new();
    st = rulecore_schema_load(s, schema_json, strlen(schema_json), "schema.json", &d);
    if (st == RULECORE_OK) {
      rulecore_diagnostics_free(d);
      d = NULL;
      st = rulecore_env_set_schema(env, s, &d);
    }
    if (st == RULECORE_OK) {
      rulecore_diagnostics_free(d);
      d = NULL;
    }
    if (st != RULECORE_OK) {
      snprintf(out, sizeof out, "schema: %s", first_message(d));
      goto done;
    }
  }
  st = rulecore_compile_source(env, expr, strlen(expr), NULL, NULL, &p, &d);
  if (st != RULECORE_OK) {
    snprintf(out, sizeof out, "compile: %s: %s", rulecore_status_message(st), first_message(d));
    goto done;
  }
  rulecore_diagnostics_free(d);
  d = NULL;
  a = rulecore_activation_new(s);
  if (!a) goto done;
  if (ctx_json) {
    st = rulecore_activation_set_json(a, ctx_json, strlen(ctx_json), RULECORE_JSON_PLAIN, &d);
    if (st != RULECORE_OK) {
      snprintf(out, sizeof out, "context: %s", first_message(d));
      goto done;
    }
  }
  st = rulecore_eval(p, a, r);
  outcome_text(out, sizeof out, st, r);
done:
  rulecore_diagnostics_free(d);
  rulecore_result_free(r);
  rulecore_activation_free(a);
  rulecore_program_free(p);
  rulecore_env_free(env);
  rulecore_schema_free(s);
  return out;
}

/* got is what want asks for: exactly want, or for "error: SUBSTRING" an
 * error whose message contains SUBSTRING. */
static void assert_outcome(const char *expr, const char *got, const char *want) {
  static char shown[1024];
  snprintf(shown, sizeof shown, "%s", show(got, strlen(got)));
  if (strncmp(want, "error: ", 7) == 0)
    ck_assert_msg(strncmp(got, "error: ", 7) == 0 && strstr(got + 7, want + 7),
                  "%s: got \"%s\", expected an error containing \"%s\"", expr, shown, want + 7);
  else
    ck_assert_msg(strcmp(got, want) == 0, "%s: got \"%s\", expected \"%s\"", expr, shown, want);
}

/* ---- the semantics tables ---- */

/* The schema and context every semantics row runs against. */
static const char sem_schema[] =
    "{\"types\": {\"Item\": {\"sku\": \"string\", \"qty\": \"int\"}},\n"
    " \"variables\": {\"t\": \"bool\", \"f\": \"bool\", \"i\": \"int\", \"z\": \"int\", \"imax\": \"int\",\n"
    "   \"imin\": \"int\", \"u\": \"uint\", \"uz\": \"uint\", \"d\": \"double\", \"dz\": \"double\",\n"
    "   \"s\": \"string\", \"e\": \"string\", \"p\": \"string\", \"by\": \"bytes\", \"l\": \"list(int)\",\n"
    "   \"ls\": \"list(string)\", \"m\": \"map(string, int)\", \"mi\": \"map(int, string)\",\n"
    "   \"ts\": \"timestamp\", \"du\": \"duration\", \"dy\": \"dyn\", \"it\": \"Item\"}}";

static const char sem_ctx[] =
    "{\"t\": true, \"f\": false, \"i\": 7, \"z\": 0, \"imax\": 9223372036854775807,\n"
    " \"imin\": -9223372036854775808, \"u\": 7, \"uz\": 0, \"d\": 2.5, \"dz\": 0.0,\n"
    " \"s\": \"h\xc3\xa9llo\", \"e\": \"\", \"p\": \"(\", \"by\": \"AP8=\", \"l\": [1, 2, 3],\n"
    " \"ls\": [\"a\", \"b\"], \"m\": {\"a\": 1, \"b\": 2}, \"mi\": {\"1\": \"one\", \"2\": \"two\"},\n"
    " \"ts\": \"2009-02-13T23:31:30.123Z\", \"du\": \"1.5s\", \"dy\": 1, \"it\": {\"sku\": \"x\"}}";

typedef struct sem_case {
  const char *expr, *want;
} sem_case;

static void run_sem(const sem_case *c) {
  const char *got = eval_text(sem_schema, c->expr, sem_ctx);
  assert_outcome(c->expr, got, c->want);
}

#define SEM_TEST(name, table) \
  START_TEST(name) { run_sem(&table[_i]); }   \
  END_TEST

/* Integer, unsigned and double arithmetic, string and bytes concatenation. */
static const sem_case arith_cases[] = {
    {"1 + 2", "3"},
    {"i + 1", "8"},
    {"7 - 10", "-3"},
    {"i - 10", "-3"},
    {"6 * 7", "42"},
    {"i * 6", "42"},
    {"7 / 2", "3"},
    {"-7 / 2", "-3"},
    {"-i / 2", "-3"},
    {"7 % 3", "1"},
    {"-7 % 3", "-1"},
    {"i % 3", "1"},
    {"-7 % -3", "-1"},
    {"7 % -3", "1"},
    {"-i", "-7"},
    {"imin + imax", "-1"},
    {"9223372036854775807 + 1", "error: overflow"},
    {"imax + 1", "error: overflow"},
    {"-9223372036854775808 - 1", "error: overflow"},
    {"imin - 1", "error: overflow"},
    {"-9223372036854775808 * -1", "error: overflow"},
    {"imin * -1", "error: overflow"},
    {"imax * 2", "error: overflow"},
    {"-9223372036854775808 / -1", "error: overflow"},
    {"imin / -1", "error: overflow"},
    {"imin % -1", "error: overflow"},
    {"-imin", "error: overflow"},
    {"1 / 0", "error: division by zero"},
    {"i / z", "error: division by zero"},
    {"1 % 0", "error: modulus by zero"},
    {"i % z", "error: modulus by zero"},
    {"1u + 2u", "3u"},
    {"u + 1u", "8u"},
    {"u - 2u", "5u"},
    {"u * 3u", "21u"},
    {"u / 2u", "3u"},
    {"u % 4u", "3u"},
    {"18446744073709551615u", "18446744073709551615u"},
    {"0u - 1u", "error: overflow"},
    {"uz - 1u", "error: overflow"},
    {"18446744073709551615u + 1u", "error: overflow"},
    {"4294967296u * 4294967296u", "error: overflow"},
    {"u / 0u", "error: division by zero"},
    {"u / uz", "error: division by zero"},
    {"u % uz", "error: modulus by zero"},
    {"1.5 + 1.5", "3.0"},
    {"d + 0.5", "3.0"},
    {"0.1 + 0.2", "0.30000000000000004"},
    {"d - 5.0", "-2.5"},
    {"d * 2.0", "5.0"},
    {"d / 2.0", "1.25"},
    {"-d", "-2.5"},
    {"30.0", "30.0"},
    {"0.1", "0.1"},
    {"1e100", "1e+100"},
    {"-0.0", "-0.0"},
    {"1.0 / 0.0", "double(\"Infinity\")"},
    {"d / dz", "double(\"Infinity\")"},
    {"-d / dz", "double(\"-Infinity\")"},
    {"dz / dz", "double(\"NaN\")"},
    {"1e308 * 10.0", "double(\"Infinity\")"},
    {"dy + 1", "2"},
    {"dyn(1u) + 2u", "3u"},
    {"dyn(1.5) * 2.0", "3.0"},
    {"dy + 1.5", "error: no such overload"},
    {"dyn('a') + 1", "error: no such overload"},
    {"'ab' + 'cd'", "\"abcd\""},
    {"s + '!'", "\"h\xc3\xa9llo!\""},
    {"e + e", "\"\""},
    {"b'ab' + b'\\x00'", "b\"ab\\x00\""},
    {"by + by", "b\"\\x00\\xff\\x00\\xff\""},
};
SEM_TEST(test_arith, arith_cases)

/* Comparisons: within and across numeric kinds, NaN, strings and bytes in
 * code point and byte order, bools, containers, timestamps, durations. */
static const sem_case compare_cases[] = {
    {"1 < 2", "true"},
    {"i < 7", "false"},
    {"i <= 7", "true"},
    {"i > 6", "true"},
    {"i >= 8", "false"},
    {"i == 7", "true"},
    {"i != 7", "false"},
    {"7 > i", "false"},
    {"8 > i", "true"},
    {"3.0 > d", "true"},
    {"8u > u", "true"},
    {"'a' < s", "true"},
    {"i < z", "false"},
    {"1 < 1.5", "true"},
    {"i < 7.5", "true"},
    {"i > 6.9", "true"},
    {"7.0 <= i", "true"},
    {"2u > 1", "true"},
    {"u > 6", "true"},
    {"-1 < 1u", "true"},
    {"imin < uz", "true"},
    {"18446744073709551615u > 9223372036854775807", "true"},
    {"u >= 7.0", "true"},
    {"u < 7.5", "true"},
    {"1.5 > 1u", "true"},
    {"d <= 2u", "false"},
    {"-0.5 < 0u", "true"},
    {"0u > -1.0", "true"},
    {"9223372036854775807 < 9223372036854775808.0", "false"}, /* the int converted to double, as CEL does */
    {"9223372036854775807 <= 9223372036854775808.0", "true"},
    {"dyn(9223372036854775807) < 9223372036854777857.0", "true"},
    {"u < 7u", "false"},
    {"u <= 7u", "true"},
    {"u == 7u", "true"},
    {"u != 7u", "false"},
    {"d == 2.5", "true"},
    {"d != 2.5", "false"},
    {"d < 3.0", "true"},
    {"d >= 2.5", "true"},
    {"dyn(1) == 1.0", "true"},
    {"dyn(1u) == 1", "true"},
    {"dy == 1u", "true"},
    {"dyn(1) == 1.5", "false"},
    {"dyn(2) != 2u", "false"},
    {"dyn(1) == 'a'", "false"},
    {"dyn(1) == dyn(1u)", "true"},
    {"dyn(true) > dyn(false)", "true"},
    {"dyn([1]) < dyn([2])", "error: no such overload"},
    {"type(1) == type(1.0)", "false"},
    {"type(null) == null_type", "true"},
    {"dyn('a') < 1", "error: no such overload"},
    {"null == null", "true"},
    {"dyn(null) == null", "true"},
    {"dyn(1) == null", "false"},
    {"null in [null]", "true"},
    {"double('NaN') == double('NaN')", "false"},
    {"double('NaN') != double('NaN')", "true"},
    {"dz / dz == dz / dz", "false"},
    {"double('NaN') < 1.0", "false"},
    {"double('NaN') >= 1.0", "false"},
    {"double('NaN') > 1", "false"},
    {"dz / dz < i", "false"},
    {"double('NaN') in [double('NaN')]", "false"},
    {"[double('NaN')] == [double('NaN')]", "false"},
    {"'a' < 'b'", "true"},
    {"'ab' < 'abc'", "true"},
    {"'b' > 'abc'", "true"},
    {"'abc' <= 'abc'", "true"},
    {"s > 'h'", "true"},
    {"s < 'hz'", "false"},
    {"'\xc3\xa9' > 'z'", "true"},
    {"s == 'h\xc3\xa9llo'", "true"},
    {"s != e", "true"},
    {"s >= s", "true"},
    {"'' == e", "true"},
    {"b'' < b'a'", "true"},
    {"b'a' < b'b'", "true"},
    {"b'a' < b'ab'", "true"},
    {"b'\\xff' > b'a'", "true"},
    {"by < b'\\x01'", "true"},
    {"by >= b'\\x00'", "true"},
    {"by == b'\\x00\\xff'", "true"},
    {"false < true", "true"},
    {"t > f", "true"},
    {"t <= f", "false"},
    {"t == true", "true"},
    {"t != f", "true"},
    {"true >= true", "true"},
    {"[1, 2] == [1, 2]", "true"},
    {"l == [1, 2, 3]", "true"},
    {"l != [1, 2]", "true"},
    {"[1, 2] == [1, 2, 3]", "false"},
    {"{'a': 1} == {'a': 2}", "false"},
    {"[dyn(1)] == [dyn(1.0)]", "true"},
    {"m == {'b': 2, 'a': 1}", "true"},
    {"m == {'a': 1}", "false"},
    {"{'a': [1]} == {'a': [1]}", "true"},
    {"ts < timestamp('2010-01-01T00:00:00Z')", "true"},
    {"ts == timestamp('2009-02-13T23:31:30.123Z')", "true"},
    {"ts > timestamp('2009-02-13T23:31:30.122Z')", "true"},
    {"ts <= timestamp('2009-02-13T23:31:30Z')", "false"},
    {"du > duration('1s')", "true"},
    {"du <= duration('1500ms')", "true"},
    {"duration('-1s') < duration('0s')", "true"},
    {"du == duration('1.5s')", "true"},
};
SEM_TEST(test_compare, compare_cases)

/* &&, || and !, with error absorption on both sides; the conditional. */
static const sem_case logic_cases[] = {
    {"false && (1/0 > 2)", "false"},
    {"(1/0 > 2) && false", "false"},
    {"true && (1/0 > 2)", "error: division by zero"},
    {"(1/0 > 2) && true", "error: division by zero"},
    {"true || (1/0 > 2)", "true"},
    {"(1/0 > 2) || true", "true"},
    {"false || (1/0 > 2)", "error: division by zero"},
    {"(1/0 > 2) || false", "error: division by zero"},
    {"f && (i/z > 2)", "false"},
    {"(i/z > 2) && f", "false"},
    {"t && (i/z > 2)", "error: division by zero"},
    {"(i/z > 2) && t", "error: division by zero"},
    {"t || (i/z > 2)", "true"},
    {"(i/z > 2) || t", "true"},
    {"f || (i/z > 2)", "error: division by zero"},
    {"(i/z > 2) || f", "error: division by zero"},
    {"(i/z > 2) && (i % z > 2)", "error: by zero"},
    {"(i/z > 2) || (i % z > 2)", "error: by zero"},
    {"t && t", "true"},
    {"t && f", "false"},
    {"f || f", "false"},
    {"f || t", "true"},
    {"!t", "false"},
    {"!f", "true"},
    {"!!t", "true"},
    {"!(i/z > 2)", "error: division by zero"},
    {"!dyn(1)", "error: no such overload"},
    {"dyn(1) && f", "false"},
    {"dyn(1) || t", "true"},
    {"dyn(1) && t", "error: no such overload"},
    {"f || dyn(1)", "error: no such overload"},
    {"t && i > 5 && s.size() == 5", "true"},
    {"f || i > 5 && s.size() == 4", "false"},
    {"true ? 1 : 2", "1"},
    {"t ? 'a' : 'b'", "\"a\""},
    {"f ? 1u : 2u", "2u"},
    {"f ? 1.5 : 2.5", "2.5"},
    {"t ? [1] : [2]", "[1]"},
    {"t ? t : f", "true"},
    {"(i/z > 2) ? 1 : 2", "error: division by zero"},
    {"(1/0 > 2) ? 1 : 2", "error: division by zero"},
    {"dyn(1) ? 1 : 2", "error: no such overload"},
    {"t ? 1 : i/z", "1"},
    {"f ? 1 : i/z", "error: division by zero"},
    {"t ? t : i/z > 1", "true"},
};
SEM_TEST(test_logic, logic_cases)

/* size() in code points, bytes, elements; contains, startsWith, endsWith
 * and matches (a search, not anchored). */
static const sem_case string_cases[] = {
    {"'h\xc3\xa9llo'.size()", "5"},
    {"size('h\xc3\xa9llo')", "5"},
    {"s.size()", "5"},
    {"size(s)", "5"},
    {"e.size()", "0"},
    {"'\xf0\x9f\x98\x80'.size()", "1"},
    {"b'h\\xc3\\xa9'.size()", "3"},
    {"by.size()", "2"},
    {"size(by)", "2"},
    {"size([1, 2, 3])", "3"},
    {"l.size()", "3"},
    {"{'a': 1}.size()", "1"},
    {"size(m)", "2"},
    {"[].size()", "0"},
    {"{}.size()", "0"},
    {"dyn(s).size()", "5"},
    {"size(dyn(l))", "3"},
    {"size(dyn(1))", "error: no such overload"},
    {"'hello'.contains('ell')", "true"},
    {"'hello'.contains('')", "true"},
    {"'hello'.contains('elo')", "false"},
    {"'ab'.contains('abc')", "false"},
    {"s.contains('\xc3\xa9l')", "true"},
    {"s.contains(e)", "true"},
    {"s.contains(s + s)", "false"},
    {"'hello'.startsWith('he')", "true"},
    {"'hello'.startsWith('lo')", "false"},
    {"s.startsWith('h\xc3\xa9')", "true"},
    {"s.startsWith(s + s)", "false"},
    {"'hello'.endsWith('lo')", "true"},
    {"'hello'.endsWith('he')", "false"},
    {"s.endsWith('llo')", "true"},
    {"s.endsWith(e)", "true"},
    {"'hello'.matches('ell')", "true"},
    {"'hello'.matches('^ell')", "false"},
    {"'hello'.matches('^h.*o$')", "true"},
    {"matches('hello', 'l+o$')", "true"},
    {"s.matches('^h.llo$')", "true"},
    {"s.matches('[0-9]')", "false"},
    {"s.matches('L')", "false"},
    {"'abc'.matches('')", "true"},
    {"'a1'.matches('\\\\d')", "true"},
    {"s.matches(ls[0] + '|llo')", "true"},
    {"matches(s, e)", "true"},
    {"s.matches(p)", "error: invalid regular expression"},
    {"'x'.matches('(' + 'a')", "error: invalid regular expression"},
};
SEM_TEST(test_strings, string_cases)

/* Every conversion function, with its errors. */
static const sem_case conversion_cases[] = {
    {"int(42u)", "42"},
    {"int(u)", "7"},
    {"int(3.9)", "3"},
    {"int(-3.9)", "-3"},
    {"int(d)", "2"},
    {"int('42')", "42"},
    {"int('-42')", "-42"},
    {"int('-9223372036854775808')", "-9223372036854775808"},
    {"int(i)", "7"},
    {"int(dy)", "1"},
    {"int(ts)", "1234567890"},
    {"int(timestamp('1969-12-31T23:59:59.5Z'))", "-1"},
    {"int('x')", "error: cannot convert"},
    {"int('')", "error: cannot convert"},
    {"int('1.5')", "error: cannot convert"},
    {"int(s)", "error: cannot convert"},
    {"int('9223372036854775808')", "error: "},
    {"int(1e19)", "error: range"},
    {"int(-1e19)", "error: range"},
    {"int(18446744073709551615u)", "error: range"},
    {"int(double('NaN'))", "error: "},
    {"uint(42)", "42u"},
    {"uint(i)", "7u"},
    {"uint(3.7)", "3u"},
    {"uint('42')", "42u"},
    {"uint('18446744073709551615')", "18446744073709551615u"},
    {"uint(u)", "7u"},
    {"uint(-1)", "error: range"},
    {"uint(-i)", "error: range"},
    {"uint(-1.0)", "error: range"},
    {"uint(1e20)", "error: range"},
    {"uint('-1')", "error: cannot convert"},
    {"uint('18446744073709551616')", "error: "},
    {"double(1)", "1.0"},
    {"double(i)", "7.0"},
    {"double(1u)", "1.0"},
    {"double(u)", "7.0"},
    {"double(d)", "2.5"},
    {"double('1e3')", "1000.0"},
    {"double('1.5')", "1.5"},
    {"double('-0.25')", "-0.25"},
    {"double('-Infinity')", "double(\"-Infinity\")"},
    {"double('x')", "error: cannot convert"},
    {"double('')", "error: "},
    {"double(s)", "error: cannot convert"},
    {"string(1)", "\"1\""},
    {"string(-i)", "\"-7\""},
    {"string(1u)", "\"1\""},
    {"string(u)", "\"7\""},
    {"string(1.5)", "\"1.5\""},
    {"string(d)", "\"2.5\""},
    {"string(0.1)", "\"0.1\""},
    {"string(true)", "\"true\""},
    {"string(f)", "\"false\""},
    {"string(s)", "\"h\xc3\xa9llo\""},
    {"string(b'abc')", "\"abc\""},
    {"string(b'\\xc3\\xa9')", "\"\xc3\xa9\""},
    {"string(b'\\xff')", "error: UTF-8"},
    {"string(by)", "error: UTF-8"},
    {"string(b'\\xed\\xa0\\x80')", "error: UTF-8"},
    {"string(ts)", "\"2009-02-13T23:31:30.123Z\""},
    {"string(timestamp('2009-02-13T23:31:30Z'))", "\"2009-02-13T23:31:30Z\""},
    {"string(du)", "\"1.5s\""},
    {"string(duration('-90s'))", "\"-90s\""},
    {"bytes('abc')", "b\"abc\""},
    {"bytes(s)", "b\"h\\xc3\\xa9llo\""},
    {"bytes(by)", "b\"\\x00\\xff\""},
    {"bytes('')", "b\"\""},
    {"bool('true')", "true"},
    {"bool('false')", "false"},
    {"bool('TRUE')", "true"},
    {"bool('f')", "false"},
    {"bool('1')", "true"},
    {"bool(t)", "true"},
    {"bool('maybe')", "error: cannot convert"},
    {"bool(e)", "error: "},
    {"dyn(1)", "1"},
    {"dyn([1, 'a'])", "[1, \"a\"]"},
    {"dyn(m)", "{\"a\": 1, \"b\": 2}"},
    {"type(1)", "int"},
    {"type(1u)", "uint"},
    {"type(1.0)", "double"},
    {"type('a')", "string"},
    {"type(b'a')", "bytes"},
    {"type(true)", "bool"},
    {"type(null)", "null_type"},
    {"type([1])", "list"},
    {"type(m)", "map"},
    {"type(ts)", "timestamp"},
    {"type(du)", "duration"},
    {"type(it)", "Item"},
    {"type(int)", "type"},
    {"type(type(1))", "type"},
    {"int", "int"},
    {"list", "list"},
    {"type(1) == int", "true"},
    {"type(dy) == int", "true"},
    {"type(dy) == string", "false"},
    {"type(l) == list", "true"},
    {"type(m) == map", "true"},
    {"type(1) == type(2)", "true"},
    {"type(1u) == type(1)", "false"},
    {"type(it) == Item", "true"},
};
SEM_TEST(test_conversions, conversion_cases)

/* Timestamps and durations: parsing, printing, arithmetic, range errors,
 * every accessor in UTC, at a fixed offset and in an IANA zone. */
static const sem_case time_cases[] = {
    {"ts", "timestamp(\"2009-02-13T23:31:30.123Z\")"},
    {"timestamp('2009-02-13T23:31:30Z')", "timestamp(\"2009-02-13T23:31:30Z\")"},
    {"timestamp('2009-02-13T23:31:30.123456789Z')", "timestamp(\"2009-02-13T23:31:30.123456789Z\")"},
    {"timestamp('2009-02-13T23:31:30Z') == timestamp('2009-02-14T08:31:30+09:00')", "true"},
    {"timestamp('2009-02-13T23:31:30.5+01:00')", "timestamp(\"2009-02-13T22:31:30.5Z\")"},
    {"timestamp(1234567890)", "timestamp(\"2009-02-13T23:31:30Z\")"},
    {"timestamp(ts)", "timestamp(\"2009-02-13T23:31:30.123Z\")"},
    {"timestamp('0001-01-01T00:00:00Z')", "timestamp(\"0001-01-01T00:00:00Z\")"},
    {"timestamp(-62135596800)", "timestamp(\"0001-01-01T00:00:00Z\")"},
    {"timestamp(-62135596801)", "error: range"},
    {"timestamp('2009-02-13')", "error: "},
    {"timestamp('bad')", "error: "},
    {"timestamp(s)", "error: "},
    {"timestamp('10000-01-01T00:00:00Z')", "error: "},
    {"timestamp(253402300800)", "error: "},
    {"duration('1h30m')", "duration(\"5400s\")"},
    {"duration('1ms')", "duration(\"0.001s\")"},
    {"duration('-1.5s')", "duration(\"-1.5s\")"},
    {"duration('-0.5s')", "duration(\"-0.5s\")"},
    {"duration('0s')", "duration(\"0s\")"},
    {"duration('1.000000001s')", "duration(\"1.000000001s\")"},
    {"du", "duration(\"1.5s\")"},
    {"duration(du)", "duration(\"1.5s\")"},
    {"duration('xyz')", "error: "},
    {"duration('1')", "error: "},
    {"duration(s)", "error: "},
    {"ts + duration('1h')", "timestamp(\"2009-02-14T00:31:30.123Z\")"},
    {"duration('1h') + ts", "timestamp(\"2009-02-14T00:31:30.123Z\")"},
    {"ts - duration('24h')", "timestamp(\"2009-02-12T23:31:30.123Z\")"},
    {"ts + du", "timestamp(\"2009-02-13T23:31:31.623Z\")"},
    {"ts + duration('-0.5s')", "timestamp(\"2009-02-13T23:31:29.623Z\")"},
    {"timestamp('2009-01-01T00:00:00.2Z') - timestamp('2009-01-01T00:00:00.5Z')", "duration(\"-0.3s\")"},
    {"ts - timestamp('2009-02-13T23:31:30Z')", "duration(\"0.123s\")"},
    {"timestamp('2009-02-13T23:31:30Z') - ts", "duration(\"-0.123s\")"},
    {"du + du", "duration(\"3s\")"},
    {"du - duration('2s')", "duration(\"-0.5s\")"},
    {"timestamp('9999-12-31T23:59:59Z') + duration('1s')", "error: range"},
    {"timestamp('0001-01-01T00:00:00Z') - duration('1s')", "error: range"},
    {"timestamp('9999-12-31T23:59:59Z') + du", "error: range"},
    {"ts.getFullYear()", "2009"},
    {"ts.getMonth()", "1"},
    {"ts.getDayOfYear()", "43"},
    {"ts.getDayOfMonth()", "12"},
    {"ts.getDate()", "13"},
    {"ts.getDayOfWeek()", "5"},
    {"ts.getHours()", "23"},
    {"ts.getMinutes()", "31"},
    {"ts.getSeconds()", "30"},
    {"ts.getMilliseconds()", "123"},
    {"timestamp('1969-12-31T23:59:59.5Z').getFullYear()", "1969"},
    {"timestamp('1969-12-31T23:59:59.5Z').getSeconds()", "59"},
    {"timestamp('1969-12-31T23:59:59.5Z').getMilliseconds()", "500"},
    {"timestamp('2000-02-29T12:00:00Z').getDayOfYear()", "59"},
    {"timestamp('2000-12-31T12:00:00Z').getDayOfYear()", "365"},
    {"ts.getFullYear('+05:30')", "2009"},
    {"ts.getMonth('+05:30')", "1"},
    {"ts.getDayOfYear('+05:30')", "44"},
    {"ts.getDayOfMonth('+05:30')", "13"},
    {"ts.getDate('+05:30')", "14"},
    {"ts.getDayOfWeek('+05:30')", "6"},
    {"ts.getHours('+05:30')", "5"},
    {"ts.getMinutes('+05:30')", "1"},
    {"ts.getSeconds('+05:30')", "30"},
    {"ts.getMilliseconds('+05:30')", "123"},
    {"ts.getHours('-08:00')", "15"},
    {"ts.getHours('UTC')", "23"},
    {"ts.getDayOfWeek('Asia/Tokyo')", "6"},
    {"ts.getFullYear('America/New_York')", "2009"},
    {"ts.getMonth('America/New_York')", "1"},
    {"ts.getDayOfYear('America/New_York')", "43"},
    {"ts.getDayOfMonth('America/New_York')", "12"},
    {"ts.getDate('America/New_York')", "13"},
    {"ts.getDayOfWeek('America/New_York')", "5"},
    {"ts.getHours('America/New_York')", "18"},
    {"ts.getMinutes('America/New_York')", "31"},
    {"ts.getSeconds('America/New_York')", "30"},
    {"ts.getMilliseconds('America/New_York')", "123"},
    {"timestamp('2009-07-01T12:00:00Z').getHours('America/New_York')", "8"},
    {"timestamp('2009-01-01T02:00:00Z').getFullYear('America/New_York')", "2008"},
    {"timestamp('2009-01-01T02:00:00Z').getMonth('America/New_York')", "11"},
    {"timestamp('2009-01-01T02:00:00Z').getDayOfYear('America/New_York')", "365"},
    {"timestamp('2009-01-01T02:00:00Z').getDate('America/New_York')", "31"},
    {"ts.getHours('Mars/Olympus_Mons')", "error: "},
    {"ts.getHours('+25:00')", "error: "},
    {"ts.getHours(s)", "error: "},
    {"duration('3730.5s').getHours()", "1"},
    {"duration('3730.5s').getMinutes()", "62"},
    {"duration('3730.5s').getSeconds()", "3730"},
    {"duration('3730.5s').getMilliseconds()", "3730500"},
    {"du.getMilliseconds()", "1500"},
    {"du.getSeconds()", "1"},
    {"duration('-3730.5s').getMinutes()", "-62"},
    {"duration('-1.5s').getMilliseconds()", "-1500"},
};
SEM_TEST(test_time, time_cases)

/* Lists, maps, records: literals, concatenation, indexing, `in`, has(). */
static const sem_case container_cases[] = {
    {"[1, 2] + [3]", "[1, 2, 3]"},
    {"l + [4]", "[1, 2, 3, 4]"},
    {"[] + l", "[1, 2, 3]"},
    {"l + []", "[1, 2, 3]"},
    {"ls + ['c']", "[\"a\", \"b\", \"c\"]"},
    {"[1, 2, 3][1]", "2"},
    {"l[0]", "1"},
    {"l[2]", "3"},
    {"[[1], [2, 3]][1][0]", "2"},
    {"l[dyn(1u)]", "2"},
    {"l[dyn(1.0)]", "2"},
    {"l[3]", "error: index out of range"},
    {"l[-1]", "error: index out of range"},
    {"[1, 2][2]", "error: index out of range"},
    {"l[i]", "error: index out of range"},
    {"l[dyn(1.5)]", "error: "},
    {"{'a': 1}['a']", "1"},
    {"m['b']", "2"},
    {"m.a", "1"},
    {"mi[1]", "\"one\""},
    {"mi[dyn(2u)]", "\"two\""},
    {"mi[dyn(2.0)]", "\"two\""},
    {"{true: 1, false: 0}[true]", "1"},
    {"{1u: 'a'}[1u]", "\"a\""},
    {"{'a': {'b': 2}}.a.b", "2"},
    {"{'a': 1}['b']", "error: no such key"},
    {"m['c']", "error: no such key"},
    {"m[s]", "error: no such key"},
    {"m.c", "error: no such key"},
    {"mi[3]", "error: no such key"},
    {"mi[dyn(2.5)]", "error: no such key"},
    {"{'a': {'b': 2}}['a']['c']", "error: no such key"},
    {"{'a': 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9, 'j': 10}['j']", "10"},
    {"{'a': 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9, 'j': 10}[ls[1]]", "2"},
    {"{'a': 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9, 'j': 10}[s]", "error: no such key"},
    {"{1: 'a', 2: 'b', 3: 'c', 4: 'd', 5: 'e', 6: 'f', 7: 'g', 8: 'h', 9: 'i', 10: 'j'}[dyn(10u)]", "\"j\""},
    {"dyn(10.0) in {1: 'a', 2: 'b', 3: 'c', 4: 'd', 5: 'e', 6: 'f', 7: 'g', 8: 'h', 9: 'i', 10: 'j'}", "true"},
    {"{'a': 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9, 'a': 10}", "error: repeated key"},
    {"{s: 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9, 'h\xc3\xa9llo': 10}",
     "error: repeated key"},
    {"{'a': 1, 'b': 2}", "{\"a\": 1, \"b\": 2}"},
    {"{s: i}", "{\"h\xc3\xa9llo\": 7}"},
    {"{1: [1.5], 2: []}", "{1: [1.5], 2: []}"},
    {"{'a': 1, 'a': 2}", "error: repeated key"},
    {"{s: 1, 'h\xc3\xa9llo': 2}", "error: repeated key"},
    {"{'a': i, 'b': 1, 'a': 2}", "error: repeated key"},
    {"{dyn(1.5): 1}", "error: key"},
    {"1 in [1, 2]", "true"},
    {"3 in [1, 2]", "false"},
    {"i in l", "false"},
    {"2 in l", "true"},
    {"dyn(1.0) in [1]", "true"},
    {"1.0 in [dyn(1)]", "true"},
    {"dyn(2u) in l", "true"},
    {"dyn(1.5) in l", "false"},
    {"'a' in ['a', 'b']", "true"},
    {"s in ['x', 'h\xc3\xa9llo']", "true"},
    {"s in ['x', 'y']", "false"},
    {"s in ls", "false"},
    {"'a' in ls", "true"},
    {"[1] in [[1], [2]]", "true"},
    {"'a' in m", "true"},
    {"'c' in m", "false"},
    {"s in m", "false"},
    {"1 in mi", "true"},
    {"dyn(1u) in mi", "true"},
    {"dyn(1.0) in mi", "true"},
    {"dyn(1.5) in mi", "false"},
    {"has({'a': 1}.a)", "true"},
    {"has({'a': 1}.b)", "false"},
    {"has(m.a)", "true"},
    {"has(m.z)", "false"},
    {"has(dyn(m).a)", "true"},
    {"has(dyn(1).a)", "error: "},
    {"dyn({'a': 1}).b", "error: no such key"},
    {"[dyn(1), dyn('a')][1]", "\"a\""},
    {"it.sku", "\"x\""},
    {"it.qty", "error: no such key"},
    {"has(it.sku)", "true"},
    {"has(it.qty)", "false"},
    {"Item{sku: 'a', qty: 1}", "Item{sku: \"a\", qty: 1}"},
    {"Item{qty: i}.qty", "7"},
    {"Item{sku: 'a'}.qty", "error: no such key"},
    {"has(Item{sku: 'a'}.qty)", "false"},
    {"Item{sku: 'a', qty: 1} == Item{sku: 'a', qty: 1}", "true"},
    {"Item{sku: 'a'} == Item{sku: 'a', qty: 1}", "false"},
    {"it == Item{sku: 'x'}", "true"},
};
SEM_TEST(test_containers, container_cases)

/* The macros over lists and maps, one and two variables, with their
 * error absorption. */
static const sem_case macro_cases[] = {
    {"[1, 2, 3].all(x, x > 0)", "true"},
    {"l.all(x, x > 1)", "false"},
    {"[].all(x, x > 0)", "true"},
    {"l.exists(x, x == 2)", "true"},
    {"l.exists(x, x > 5)", "false"},
    {"[].exists(x, x > 0)", "false"},
    {"l.exists_one(x, x > 2)", "true"},
    {"l.exists_one(x, x > 1)", "false"},
    {"l.exists_one(x, x > 5)", "false"},
    {"l.map(x, x * 2)", "[2, 4, 6]"},
    {"l.map(x, x > 1, x * 10)", "[20, 30]"},
    {"l.filter(x, x % 2 == 1)", "[1, 3]"},
    {"[].map(x, x)", "[]"},
    {"l.map(x, string(x))", "[\"1\", \"2\", \"3\"]"},
    {"ls.map(x, x + x)", "[\"aa\", \"bb\"]"},
    {"m.all(k, k.size() == 1)", "true"},
    {"m.exists(k, k == 'b')", "true"},
    {"m.exists_one(k, m[k] > 0)", "false"},
    {"m.map(k, k + k)", "[\"aa\", \"bb\"]"},
    {"m.filter(k, m[k] > 1)", "[\"b\"]"},
    {"mi.map(k, k * 10)", "[10, 20]"},
    {"{}.all(k, false)", "true"},
    {"[1, 0].exists(x, 1/x > 0)", "true"},
    {"[0, 1].exists(x, 1/x > 0)", "true"},
    {"[0, 1].all(x, 1/x > 0)", "error: division by zero"},
    {"[1, 0].all(x, 1/x > 0)", "error: division by zero"},
    {"[0, -1].all(x, 1/x > 0)", "false"},
    {"[-1, 0].all(x, 1/x > 0)", "false"},
    {"[0].all(x, 1/x > 0) || true", "true"},
    {"[0].all(x, 1/x > 0) || t", "true"},
    {"[0].all(x, 1/x > 0) && f", "false"},
    {"[0].exists(x, 1/x > 0)", "error: division by zero"},
    {"[0, -1].exists(x, 1/x > 0)", "error: division by zero"},
    {"[0, 1].exists_one(x, 1/x > 0)", "error: division by zero"},
    {"[0].map(x, 1/x)", "error: division by zero"},
    {"[0].filter(x, 1/x > 0)", "error: division by zero"},
    {"[1, 0].map(x, x > 0, 1/x)", "[1]"},
    {"dyn(1).all(x, true)", "error: "},
    {"[10, 20].all(i, v, v > i)", "true"},
    {"[10, 20].all(i, v, i > 0)", "false"},
    {"[10, 20].exists(i, v, i == 1 && v == 20)", "true"},
    {"[10, 20].exists_one(i, v, v > 15)", "true"},
    {"m.all(k, v, v > 0)", "true"},
    {"m.exists(k, v, k == 'b' && v == 2)", "true"},
    {"m.exists_one(k, v, v == 1)", "true"},
    {"[5, 6].transformList(i, v, i)", "[0, 1]"},
    {"[1, 2].transformList(i, v, v * i)", "[0, 2]"},
    {"[1, 2, 3].transformList(i, v, i > 0, v * 10)", "[20, 30]"},
    {"m.transformList(k, v, k + string(v))", "[\"a1\", \"b2\"]"},
    {"[1, 2].transformMap(i, v, v * 10)", "{0: 10, 1: 20}"},
    {"ls.transformMap(i, v, v)", "{0: \"a\", 1: \"b\"}"},
    {"m.transformMap(k, v, v + 1)", "{\"a\": 2, \"b\": 3}"},
    {"m.transformMap(k, v, v > 1, v * 2)", "{\"b\": 4}"},
    {"[1, 2].map(x, [3, 4].map(y, x * y))", "[[3, 4], [6, 8]]"},
    {"[[1, 2], [3]].exists(l, l.exists(x, x == 3))", "true"},
    {"[1].map(x, [2].map(x, x))", "[[2]]"},
    {"l.map(x, l.filter(y, y > x).size())", "[2, 1, 0]"},
    {"l.all(x, l.exists(y, y == x))", "true"},
    {"[1, 2].exists(x, [3, 1].exists(y, x == y))", "true"},
    {"[1, 2, 3].map(x, x * 2).filter(x, x > 2)", "[4, 6]"},
    {"l.map(x, x / z)", "error: division by zero"},
    {"m.exists(k, m[k] / z > 0)", "error: division by zero"},
    {"l.exists(x, x == 3 || x / z > 0)", "true"},
    /* cel.bind: init evaluated once, first; the variable shadows. */
    {"cel.bind(x, i, x * x)", "49"},
    {"cel.bind(i, 2, i * i)", "4"},
    {"cel.bind(x, s, x + x)", "\"h\xc3\xa9lloh\xc3\xa9llo\""},
    {"cel.bind(x, 1, cel.bind(x, x + 1, x * 10))", "20"},
    {"cel.bind(v, l, [4, 1].exists(e, e in v))", "true"},
    {"l.map(x, cel.bind(y, x * 2, [y, x]))", "[[2, 1], [4, 2], [6, 3]]"},
    {"cel.bind(x, dy, x)", "1"},
    {"cel.bind(x, i / z, 1)", "error: division by zero"},
    {"cel.bind(x, i / z > 0, x || true)", "error: division by zero"},
    {"[0].exists(y, cel.bind(x, 1 / y, x > 0)) || true", "true"},
    /* cel.block: each expression evaluated once, on first use (an error
     * only when used), possibly from inside another's comprehension. */
    {"cel.block([1, cel.index(0) + 1, cel.index(1) * 10], cel.index(2))", "20"},
    {"cel.block([i, s], string(cel.index(0)) + cel.index(1))", "\"7h\xc3\xa9llo\""},
    {"cel.block([i / z], 1)", "1"},
    {"cel.block([i / z], cel.index(0))", "error: division by zero"},
    {"cel.block([i / z > 0], cel.index(0) || true)", "true"},
    {"cel.block([m, has(cel.index(0).c), cel.index(0).c], cel.index(1) ? cel.index(2) : 0)", "0"},
    {"cel.block([l.map(x, x * 10), l.map(y, cel.index(0)[y - 1])], l.map(z, [z, cel.index(1)[0]]))",
     "[[1, 10], [2, 10], [3, 10]]"},
    {"cel.block([l.exists(x, x > 2)], l.map(x, [x, cel.index(0)]))", "[[1, true], [2, true], [3, true]]"},
    {"l.map(x, cel.block([x * 2, cel.index(0) + 1], cel.index(1)))", "[3, 5, 7]"},
    {"cel.block([1], cel.block([cel.index(0) + 1, 10], cel.index(0) + cel.index(1)))", "12"},
    {"cel.block([], ls)", "[\"a\", \"b\"]"},
    {"l.map(cel.iterVar(0, 0), ls.map(cel.iterVar(1, 0), cel.iterVar(1, 0) + string(cel.iterVar(0, 0))))",
     "[[\"a1\", \"b1\"], [\"a2\", \"b2\"], [\"a3\", \"b3\"]]"},
};
SEM_TEST(test_macros, macro_cases)

/* The network library: parsing as Go's netip, RFC 5952 text, the
 * predicates, containment, and its errors. */
static const sem_case net_cases[] = {
    {"ip('192.168.0.1')", "ip(\"192.168.0.1\")"},
    {"string(ip('2001:0DB8:0:0:0:0:0:1'))", "\"2001:db8::1\""},
    {"string(ip('1:0:0:2:0:0:1:1'))", "\"1::2:0:0:1:1\""},
    {"string(ip('1:0:0:1:0:0:0:1'))", "\"1:0:0:1::1\""},
    {"string(ip('1:2:3:4:5:6:7::'))", "\"1:2:3:4:5:6:7:0\""},
    {"string(ip('::1.2.3.4'))", "\"::102:304\""},
    {"string(ip('::'))", "\"::\""},
    {"string(ip(s + '.1'))", "error: parse error"},
    {"ip('1.2.3')", "error: IPv4 address too short"},
    {"ip('01.2.3.4')", "error: leading zero"},
    {"ip('1.2.3.256')", "error: >255"},
    {"ip('1::2::3')", "error: multiple ::"},
    {"ip('1:2:3:4:5:6::7:8')", "error: at least one field of zeros"},
    {"ip('12345::')", "error: parse error"},
    {"ip('')", "error: missing IP address"},
    {"ip('fe80::1%en0')", "error: IP Address with zone value is not allowed"},
    {"ip('::ffff:192.168.0.1')", "error: IPv4-mapped IPv6 address is not allowed"},
    /* The hex form of a mapped address reads as the IPv4 address (the corpus). */
    {"ip('::ffff:c0a8:1') == ip('192.168.0.1')", "true"},
    {"ip('::ffff:c0a8:1').family()", "4"},
    {"isIP('10.0.0.1') && isIP('::1') && !isIP('10.0.0.1.0') && !isIP('fe80::1%en0')", "true"},
    {"isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0/08') && !isCIDR('10.0.0.0/33') && !isCIDR('::/129')", "true"},
    {"ip.isCanonical('2001:db8::1')", "true"},
    {"ip.isCanonical('2001:DB8::1')", "false"},
    {"ip.isCanonical('2001:db8:0:0:0:0:0:1')", "false"},
    {"ip.isCanonical('1.2.3')", "error: parse error"},
    {"ip('::1').family()", "6"},
    {"[ip('0.0.0.0').isUnspecified(), ip('::').isUnspecified(), ip('::1').isUnspecified()]", "[true, true, false]"},
    {"[ip('127.1.2.3').isLoopback(), ip('::1').isLoopback(), ip('::2').isLoopback()]", "[true, true, false]"},
    {"[ip('224.0.0.251').isLinkLocalMulticast(), ip('ff12::1').isLinkLocalMulticast(), "
     "ip('224.0.1.1').isLinkLocalMulticast()]",
     "[true, true, false]"},
    {"[ip('169.254.1.1').isLinkLocalUnicast(), ip('fe80::1').isLinkLocalUnicast(), ip('fec0::1').isLinkLocalUnicast()]",
     "[true, true, false]"},
    {"[ip('10.0.0.1').isGlobalUnicast(), ip('fd00::1').isGlobalUnicast(), ip('255.255.255.255').isGlobalUnicast(), "
     "ip('ff02::1').isGlobalUnicast()]",
     "[true, true, false, false]"},
    {"ip('2001:db8::1') == ip('2001:DB8::1')", "true"},
    {"ip('10.0.0.1') != ip('10.0.0.2')", "true"},
    {"dyn(ip('10.0.0.1')) == dyn(cidr('10.0.0.1/32'))", "false"},
    {"dyn(ip('10.0.0.1')) == '10.0.0.1'", "false"},
    {"ip('10.0.0.1') in [ip('10.0.0.2'), ip('10.0.0.1')]", "true"},
    {"cidr('192.168.1.5/24')", "cidr(\"192.168.1.5/24\")"},
    {"string(cidr('2001:db8:ffff::/33').masked())", "\"2001:db8:8000::/33\""},
    {"cidr('192.168.1.5/24').ip()", "ip(\"192.168.1.5\")"},
    {"cidr('192.168.1.5/24').masked() == cidr('192.168.1.0/24')", "true"},
    {"cidr('192.168.1.5/24') == cidr('192.168.1.0/24')", "false"},
    {"cidr('::/0').prefixLength()", "0"},
    {"cidr('10.0.0.0/8').containsIP(ip('10.255.0.1'))", "true"},
    {"cidr('10.0.0.0/8').containsIP('11.0.0.1')", "false"},
    {"cidr('0.0.0.0/0').containsIP('::1')", "false"},
    {"cidr('10.0.0.0/8').containsIP('10.0.0.1.1')", "error: parse error"},
    {"cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", "true"},
    {"cidr('10.1.0.0/16').containsCIDR(cidr('10.0.0.0/8'))", "false"},
    {"cidr('::/0').containsCIDR('10.0.0.0/8')", "false"},
    {"cidr('10.0.0.0/8').containsCIDR('10.0.0.0')", "error: no '/'"},
    {"cidr('10.0.0.0/')", "error: bad bits after slash"},
    {"cidr('10.0.0.0/-1')", "error: bad bits after slash"},
    {"cidr('10.0.0.0/33')", "error: prefix length out of range"},
    {"cidr('fe80::1%en0/64')", "error: CIDR with zone value is not allowed"},
    {"cidr('::ffff:192.168.0.0/120')", "error: IPv4-mapped IPv6 address is not allowed"},
    {"cidr('::ffff:c0a8:0/120')", "error: IPv4-mapped IPv6 address is not allowed"},
    {"type(ip('::1')) == net.IP && type(cidr('::/0')) == net.CIDR", "true"},
    {"type(ip('::1')) == net.CIDR", "false"},
    {"type(ip('::1'))", "net.IP"},
    {"dyn(s).family()", "error: no such overload: family(string)"},
    {"isIP(dy)", "error: no such overload: isIP(int)"},
};
SEM_TEST(test_network, net_cases)

/* ---- the fixture of the schema-typed tests ---- */

static const char user_schema[] =
    "{\"types\": {\"Item\": {\"sku\": \"string\", \"qty\": \"int\"}},\n"
    " \"variables\": {\n"
    "   \"user\": {\"age\": \"int\", \"city\": \"string\", \"tags\": \"list(string)\", \"score\": \"double\"},\n"
    "   \"items\": \"list(Item)\", \"item\": \"Item\", \"counts\": \"map(string, int)\",\n"
    "   \"ids\": \"map(int, string)\", \"grid\": \"list(list(int))\", \"anything\": \"dyn\",\n"
    "   \"b\": \"bool\", \"i\": \"int\", \"u\": \"uint\", \"d\": \"double\", \"s\": \"string\",\n"
    "   \"by\": \"bytes\", \"ts\": \"timestamp\", \"du\": \"duration\", \"n\": \"null_type\", \"t\": \"bool\"}}";

static rulecore_schema *S;
static rulecore_env *E;
static rulecore_activation *A;
static rulecore_result *R;

static void user_setup(void) {
  rulecore_diagnostics *d = NULL;
  S = rulecore_schema_new();
  E = rulecore_env_new();
  R = rulecore_result_new();
  ck_assert(S && E && R);
  rulecore_status st = rulecore_schema_load(S, user_schema, strlen(user_schema), "user.json", &d);
  rulecore_diagnostics_free(d);
  ck_assert_int_eq(st, RULECORE_OK);
  ck_assert_int_eq(rulecore_env_set_schema(E, S, NULL), RULECORE_OK);
  A = rulecore_activation_new(S);
  ck_assert_ptr_nonnull(A);
}

/* Programs a test holds across its assertions (a result may point into
 * its program's constants), freed here. */
static rulecore_program *kept[32];
static size_t nkept;

static void user_teardown(void) {
  while (nkept) rulecore_program_free(kept[--nkept]);
  rulecore_activation_free(A);
  rulecore_result_free(R);
  rulecore_env_free(E);
  rulecore_schema_free(S);
  A = NULL;
  R = NULL;
  E = NULL;
  S = NULL;
}

static int32_t slot(const char *path) { return rulecore_schema_slot(S, path); }

/* Compile expr in E (failing the test when it does not compile). */
static rulecore_program *compile_in(const rulecore_env *env, const char *expr) {
  rulecore_program *p = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_compile_source(env, expr, strlen(expr), NULL, NULL, &p, &d);
  static char msg[512];
  snprintf(msg, sizeof msg, "%s", first_message(d));
  rulecore_diagnostics_free(d);
  ck_assert_msg(st == RULECORE_OK, "%s does not compile: %s", expr, msg);
  return p;
}

/* The outcome (as eval_text) of program p against activation a. */
static const char *run_prog(const rulecore_program *p, const rulecore_activation *a) {
  static char out[OUT_MAX];
  rulecore_status st = rulecore_eval(p, a, R);
  outcome_text(out, sizeof out, st, R);
  return out;
}

/* The outcome of expr compiled in E, evaluated against A. */
static const char *run(const char *expr) {
  rulecore_program *p = compile_in(E, expr);
  const char *out = run_prog(p, A);
  rulecore_program_free(p);
  return out;
}

#define assert_run(expr, want) assert_outcome(expr, run(expr), want)

/* Compile expr in env into a program the teardown frees. */
static rulecore_program *compile_kept(const rulecore_env *env, const char *expr) {
  ck_assert_uint_lt(nkept, LEN(kept));
  rulecore_program *p = compile_in(env, expr);
  kept[nkept++] = p;
  return p;
}

/* As run, keeping the program alive for the result's accessors. */
static const char *run_kept(const char *expr) { return run_prog(compile_kept(E, expr), A); }

#define assert_run_kept(expr, want) assert_outcome(expr, run_kept(expr), want)

/* A diagnostics list, copied: status, count, first code and message. */
typedef struct fill_result {
  rulecore_status status;
  size_t count;
  int code;
  char message[512];
} fill_result;

static fill_result set_json(const char *json, rulecore_json_style style) {
  fill_result f = {0};
  rulecore_diagnostics *d = NULL;
  f.status = rulecore_activation_set_json(A, json, strlen(json), style, &d);
  f.count = rulecore_diagnostics_count(d);
  f.code = f.count ? rulecore_diagnostics_code(d, 0) : 0;
  snprintf(f.message, sizeof f.message, "%s", first_message(d));
  rulecore_diagnostics_free(d);
  return f;
}

#define assert_json_ok(json, style)                                                                 \
  do {                                                                                              \
    fill_result f_ = set_json(json, style);                                                         \
    ck_assert_msg(f_.status == RULECORE_OK, "%s: status %d: %s", json, (int)f_.status, f_.message); \
  } while (0)

/* Fill user{age, city} through the field slots. */
static void set_user(int64_t age, const char *city) {
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("user.age"), age), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("user.city"), city, strlen(city)), RULECORE_OK);
}

static const char w1[] = "user.age > 18 && user.city == 'Beijing'";

/* ---- schema-typed evaluation ---- */

START_TEST(test_w1_true_false) {
  rulecore_program *p = compile_kept(E, w1);
  ck_assert_str_eq(rulecore_program_type(p), "bool");
  set_user(30, "Beijing");
  ck_assert_int_eq(rulecore_eval(p, A, R), RULECORE_OK);
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_BOOL);
  ck_assert_int_eq(rulecore_result_bool(R), 1);
  set_user(30, "Shanghai");
  ck_assert_int_eq(rulecore_eval(p, A, R), RULECORE_OK);
  ck_assert_int_eq(rulecore_result_bool(R), 0);
  set_user(18, "Beijing");
  ck_assert_int_eq(rulecore_eval(p, A, R), RULECORE_OK);
  ck_assert_int_eq(rulecore_result_bool(R), 0);
  set_user(19, "Beijing");
  ck_assert_int_eq(rulecore_eval(p, A, R), RULECORE_OK);
  ck_assert_int_eq(rulecore_result_bool(R), 1);
}
END_TEST

/* The same rule with a required result type, and the other comparisons
 * of fields with constants (the fused closures) and with each other. */
START_TEST(test_w1_variants) {
  set_user(30, "Beijing");
  ck_assert_int_eq(rulecore_activation_set_double(A, slot("user.score"), 1.5), RULECORE_OK);
  rulecore_program *p = NULL;
  rulecore_status st = rulecore_compile_source(E, w1, strlen(w1), NULL, "bool", &p, NULL);
  char got[64];
  copy_text(got, sizeof got, p ? run_prog(p, A) : "(no program)");
  rulecore_program_free(p);
  ck_assert_int_eq(st, RULECORE_OK);
  ck_assert_str_eq(got, "true");
  assert_run("18 < user.age && 'Beijing' == user.city", "true");
  assert_run("user.age >= 30 && user.age <= 30 && user.age != 31 && user.age == 30", "true");
  assert_run("user.age < 30 || user.city != 'Beijing'", "false");
  assert_run("user.city < 'C' && user.city >= 'Beijing' && user.city > 'A' && user.city <= 'Beijing'", "true");
  assert_run("user.score > 1 && user.score >= 1.5 && user.score < 2u && user.score == 1.5", "true");
  assert_run("user.score > 1.5 || user.score < 1.5 || user.score != 1.5", "false");
  assert_run("user.age > user.score && user.city.size() == 7", "true");
  assert_run("user.city in ['Shanghai', 'Beijing']", "true");
  assert_run("user.age + 1", "31");
  assert_run("user", "user{age: 30, city: \"Beijing\", score: 1.5}");
}
END_TEST

/* A field that was never set is an error value "no such key", which has()
 * sees as absent; && absorbs it with false. */
START_TEST(test_missing_field) {
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("user.city"), "Shanghai", 8), RULECORE_OK);
  assert_run("user.age > 18", "error: no such key");
  assert_run("user.age", "error: no such key");
  assert_run("user.tags.size()", "error: no such key");
  assert_run(w1, "false");
  assert_run("user.city == 'Shanghai' && user.age > 18", "error: no such key");
  assert_run("has(user.city)", "true");
  assert_run("has(user.age)", "false");
  assert_run("has(user.tags) ? user.tags.size() : -1", "-1");
  rulecore_activation_reset(A);
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("user.age"), 40), RULECORE_OK);
  assert_run("has(user.city)", "false");
  assert_run("user.city == 'Beijing'", "error: no such key");
  assert_run(w1, "error: no such key");
}
END_TEST

/* A variable that was never set is an error, with or without an
 * activation. */
START_TEST(test_missing_variable) {
  assert_run(w1, "error: user");
  assert_run("i + 1", "error: no value for variable 'i'");
  assert_run("has(user.age)", "error: user");
  rulecore_program *p = compile_kept(E, "s.size()");
  ck_assert_int_eq(rulecore_eval(p, NULL, R), RULECORE_ERR_EVAL);
  const char *m = rulecore_result_error(R, NULL, NULL);
  ck_assert_ptr_nonnull(m);
  ck_assert_msg(strstr(m, "'s'"), "message \"%s\" does not name the variable", m);
  assert_run("b || i > 0", "error: no value for variable");
  ck_assert_int_eq(rulecore_activation_set_bool(A, slot("b"), 1), RULECORE_OK);
  assert_run("b || i > 0", "true");
  assert_run("i > 0 || b", "true");
}
END_TEST

/* A setter given a value of the wrong type is refused and the activation
 * keeps the value it had. */
START_TEST(test_setter_wrong_type) {
  set_user(30, "Beijing");
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("user.age"), "old", 3), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_double(A, slot("user.age"), 31.5), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_uint(A, slot("user.age"), 31), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_null(A, slot("user.age")), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("user.city"), 5), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_bool(A, slot("user.city"), 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_bytes(A, slot("user.city"), "x", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("user"), 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("user.tags"), "a", 1), RULECORE_ERR_ARGUMENT);
  assert_run("user.age", "30");
  assert_run("user.city", "\"Beijing\"");
  assert_run(w1, "true");
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("i"), 5), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("i"), "5", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_double(A, slot("i"), 5.0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_timestamp(A, slot("i"), 5, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_duration(A, slot("i"), 5), RULECORE_ERR_ARGUMENT);
  assert_run("i", "5");
  /* A record variable may be null. */
  ck_assert_int_eq(rulecore_activation_set_null(A, slot("user")), RULECORE_OK);
  assert_run("user == null", "true");
}
END_TEST

/* ---- rulecore_schema_slot ---- */

START_TEST(test_slots) {
  const char *const valid[] = {"user", "user.age", "user.city", "user.tags", "user.score", "items", "item",
                               "item.sku", "item.qty", "counts", "ids", "grid", "anything", "b", "i", "u",
                               "d", "s", "by", "ts", "du", "n", "t"};
  int32_t seen[LEN(valid)];
  for (size_t k = 0; k < LEN(valid); k++) {
    seen[k] = slot(valid[k]);
    ck_assert_msg(seen[k] >= 0, "no slot for %s", valid[k]);
    for (size_t j = 0; j < k; j++)
      ck_assert_msg(seen[j] != seen[k], "%s and %s share slot %d", valid[j], valid[k], seen[k]);
  }
  const char *const invalid[] = {"", "nope", "user.nope", "user.", ".age", "user.age.x", "items.sku",
                                 "counts.a", "i.x", "s.size", "Item", "Item.sku", "USER", "user.Age"};
  for (size_t k = 0; k < LEN(invalid); k++)
    ck_assert_msg(slot(invalid[k]) == -1, "\"%s\" has slot %d", invalid[k], slot(invalid[k]));
  ck_assert_int_eq(rulecore_schema_slot(S, NULL), -1);
  ck_assert_int_eq(rulecore_schema_slot(NULL, "user"), -1);
  /* An unfrozen schema has no slots yet. */
  rulecore_schema *fresh = rulecore_schema_new();
  rulecore_status added = rulecore_schema_add_variable(fresh, "x", "int");
  int32_t before = rulecore_schema_slot(fresh, "x");
  rulecore_status frozen = rulecore_schema_freeze(fresh, NULL);
  int32_t after = rulecore_schema_slot(fresh, "x");
  rulecore_schema_free(fresh);
  ck_assert_int_eq(added, RULECORE_OK);
  ck_assert_int_eq(frozen, RULECORE_OK);
  ck_assert_int_eq(before, -1);
  ck_assert_int_eq(after, 0);
}
END_TEST

/* Slots stay valid for every activation of the schema. */
START_TEST(test_slots_shared) {
  set_user(10, "Beijing");
  rulecore_program *p = compile_kept(E, w1);
  rulecore_activation *other = rulecore_activation_new(S);
  rulecore_status st1 = rulecore_activation_set_int(other, slot("user.age"), 50);
  rulecore_status st2 = rulecore_activation_set_string(other, slot("user.city"), "Beijing", 7);
  char here[64], there[64];
  copy_text(here, sizeof here, run_prog(p, A));
  copy_text(there, sizeof there, run_prog(p, other));
  rulecore_activation_free(other);
  ck_assert_int_eq(st1, RULECORE_OK);
  ck_assert_int_eq(st2, RULECORE_OK);
  ck_assert_str_eq(here, "false");
  ck_assert_str_eq(there, "true");
}
END_TEST

/* ---- the typed setters ---- */

START_TEST(test_setters) {
  ck_assert_int_eq(rulecore_activation_set_bool(A, slot("b"), 2), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("i"), INT64_MIN), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_uint(A, slot("u"), UINT64_MAX), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_double(A, slot("d"), -0.25), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("s"), "a\0b\xc3\xa9", 5), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_bytes(A, slot("by"), "\x00\xff", 2), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_timestamp(A, slot("ts"), 1234567890, 500000000), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_duration(A, slot("du"), -1500000000), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_null(A, slot("n")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_null(A, slot("anything")), RULECORE_OK);
  assert_run("b", "true");
  assert_run("i", "-9223372036854775808");
  assert_run("u", "18446744073709551615u");
  assert_run("d", "-0.25");
  assert_run("s", "\"a\\x00b\xc3\xa9\"");
  assert_run("s.size()", "4");
  assert_run("by", "b\"\\x00\\xff\"");
  assert_run("ts", "timestamp(\"2009-02-13T23:31:30.5Z\")");
  assert_run("du", "duration(\"-1.5s\")");
  assert_run("n", "null");
  assert_run("anything == null", "true");
  /* An int is a double where a double is declared; anything fits dyn. */
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("d"), 3), RULECORE_OK);
  assert_run("d", "3.0");
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("anything"), "x", 1), RULECORE_OK);
  assert_run("anything", "\"x\"");
  ck_assert_int_eq(rulecore_activation_set_uint(A, slot("anything"), 3), RULECORE_OK);
  assert_run("anything + 1u", "4u");
  ck_assert_int_eq(rulecore_activation_set_duration(A, slot("anything"), 1000), RULECORE_OK);
  assert_run("anything", "duration(\"0.000001s\")");
  /* An empty string, and empty bytes given as NULL. */
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("s"), "", 0), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_bytes(A, slot("by"), NULL, 0), RULECORE_OK);
  assert_run("s.size() + by.size()", "0");
  /* Setting again replaces. */
  ck_assert_int_eq(rulecore_activation_set_bool(A, slot("b"), 0), RULECORE_OK);
  assert_run("b", "false");
}
END_TEST

/* What the setters refuse, each time keeping the previous value. */
START_TEST(test_setters_refuse) {
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("s"), "ok", 2), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("s"), "\xff", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("s"), "\xc3", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("s"), NULL, 3), RULECORE_ERR_ARGUMENT);
  assert_run("s", "\"ok\"");
  ck_assert_int_eq(rulecore_activation_set_timestamp(A, slot("ts"), 0, 0), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_timestamp(A, slot("ts"), 0, 1000000000), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_timestamp(A, slot("ts"), 0, -1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_timestamp(A, slot("ts"), 253402300800, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_timestamp(A, slot("ts"), -62135596801, 0), RULECORE_ERR_ARGUMENT);
  assert_run("ts", "timestamp(\"1970-01-01T00:00:00Z\")");
  ck_assert_int_eq(rulecore_activation_set_int(A, -5, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_int(A, 100000, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_null(A, slot("i")), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_null(A, slot("s")), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("b"), 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("n"), 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_double(A, slot("u"), 1.0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("by"), "x", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_bytes(A, slot("s"), "x", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_duration(A, slot("ts"), 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("items"), 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("counts"), 1), RULECORE_ERR_ARGUMENT);
  assert_run("s", "\"ok\"");
  assert_run("i", "error: no value for variable");
  assert_run("b", "error: no value for variable");
}
END_TEST

/* ---- the builder ---- */

static void build_items(void) {
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("items")), RULECORE_OK);
  const char *skus[] = {"apple", "pear"};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(rulecore_activation_begin_map(A, RULECORE_NEXT), RULECORE_OK);
    ck_assert_int_eq(rulecore_activation_key_string(A, "sku", 3), RULECORE_OK);
    ck_assert_int_eq(rulecore_activation_set_string(A, RULECORE_NEXT, skus[k], strlen(skus[k])), RULECORE_OK);
    ck_assert_int_eq(rulecore_activation_key_string(A, "qty", 3), RULECORE_OK);
    ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 2 + k), RULECORE_OK);
    ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  }
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
}

START_TEST(test_builder_list_of_records) {
  build_items();
  assert_run("items.size()", "2");
  assert_run("items[1].sku", "\"pear\"");
  assert_run("items.all(x, x.qty > 1) && items.exists(x, x.sku == 'apple')", "true");
  assert_run("items.map(x, x.qty)", "[2, 3]");
  assert_run("items[0]", "Item{sku: \"apple\", qty: 2}");
  assert_run("items[0] == Item{sku: 'apple', qty: 2}", "true");
  /* A record with a field left out. */
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("item")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "qty", 3), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 9), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  assert_run("item.qty", "9");
  assert_run("has(item.sku)", "false");
  assert_run("item.sku", "error: no such key");
  /* A whole record variable built, then a field changed by its slot. */
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("user")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "age", 3), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 30), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "city", 4), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_string(A, RULECORE_NEXT, "Beijing", 7), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "tags", 4), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_string(A, RULECORE_NEXT, "vip", 3), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  assert_run(w1, "true");
  assert_run("'vip' in user.tags", "true");
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("user.age"), 12), RULECORE_OK);
  assert_run(w1, "false");
  assert_run("user.tags", "[\"vip\"]");
}
END_TEST

START_TEST(test_builder_map) {
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("counts")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "x", 1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "y", 1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 2), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  assert_run("counts", "{\"x\": 1, \"y\": 2}");
  assert_run("counts['y'] + counts.x", "3");
  assert_run("'z' in counts", "false");
  /* Int keys; a big map (indexed). */
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("ids")), RULECORE_OK);
  for (int k = 0; k < 100; k++) {
    char v[16];
    snprintf(v, sizeof v, "v%d", k);
    ck_assert_int_eq(rulecore_activation_key_int(A, k * 3), RULECORE_OK);
    ck_assert_int_eq(rulecore_activation_set_string(A, RULECORE_NEXT, v, strlen(v)), RULECORE_OK);
  }
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  assert_run("ids.size()", "100");
  assert_run("ids[297]", "\"v99\"");
  assert_run("ids[dyn(150u)]", "\"v50\"");
  assert_run("ids[1]", "error: no such key");
  assert_run("298 in ids", "false");
  /* Maps of every key kind in a dyn. */
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("anything")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_bool(A, 1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_string(A, RULECORE_NEXT, "t", 1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_uint(A, 7), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_double(A, RULECORE_NEXT, 0.5), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_int(A, -1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_null(A, RULECORE_NEXT), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  assert_run("anything", "{true: \"t\", 7u: 0.5, -1: null}");
  assert_run("anything[7]", "0.5");
}
END_TEST

START_TEST(test_builder_nested_lists) {
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("grid")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 2), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 3), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  assert_run("grid", "[[1, 2], [], [3]]");
  assert_run("grid[2][0] + grid[0][1]", "5");
  assert_run("grid.map(r, r.size())", "[2, 0, 1]");
  /* 64 levels in a dyn. */
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("anything")), RULECORE_OK);
  for (int k = 1; k < 64; k++) ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 42), RULECORE_OK);
  for (int k = 0; k < 64; k++) ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  assert_run("anything[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
             "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]",
             "42");
}
END_TEST

/* Empty containers, as the first values a new activation builds. */
START_TEST(test_builder_empty) {
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("user.tags")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("counts")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("item")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_OK);
  assert_run("user.tags", "[]");
  assert_run("counts", "{}");
  assert_run("has(item.sku) || has(item.qty)", "false");
}
END_TEST

/* Each builder error leaves the value being built unset (the variable is
 * still absent), and the builder is usable again after it. */
START_TEST(test_builder_errors) {
  /* end without begin */
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_ERR_ARGUMENT);
  /* a key in a list */
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("grid")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "k", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_ERR_ARGUMENT);
  assert_run("grid", "error: no value for variable");
  /* an element of the wrong type, deep inside */
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("grid")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_string(A, RULECORE_NEXT, "2", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_ERR_ARGUMENT);
  assert_run("grid", "error: no value for variable");
  /* a list where a list of lists wants a list, a map where it wants a list */
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("grid")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("grid")), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("counts")), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("i")), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("s")), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_ERR_ARGUMENT);
  assert_run("grid", "error: no value for variable");
  /* a key of the wrong type, a value without a key, a key twice */
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("counts")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_int(A, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("counts")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("counts")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "a", 1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "b", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("counts")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "a", 1), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_ERR_ARGUMENT); /* a key without its value */
  /* a repeated map key, a record field given twice, an unknown field */
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("counts")), RULECORE_OK);
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(rulecore_activation_key_string(A, "a", 1), RULECORE_OK);
    ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, k), RULECORE_OK);
  }
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_ERR_ARGUMENT);
  assert_run("counts", "error: no value for variable");
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("item")), RULECORE_OK);
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(rulecore_activation_key_string(A, "qty", 3), RULECORE_OK);
    ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, k), RULECORE_OK);
  }
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("item")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_string(A, "price", 5), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_map(A, slot("item")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_key_int(A, 1), RULECORE_ERR_ARGUMENT);
  assert_run("item", "error: no value for variable");
  /* a record of the wrong type in a list of records */
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("items")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_ERR_ARGUMENT);
  assert_run("items", "error: no value for variable");
  /* 65 nested levels */
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("anything")), RULECORE_OK);
  for (int k = 1; k < 64; k++) ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_begin_list(A, RULECORE_NEXT), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_end(A), RULECORE_ERR_ARGUMENT);
  assert_run("anything", "error: no value for variable");
  /* the slot setters work again, and so does the builder */
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("i"), 3), RULECORE_OK);
  build_items();
  assert_run("items.size() + i", "5");
}
END_TEST

/* A builder error keeps the value the variable had before. */
START_TEST(test_builder_error_keeps_old) {
  build_items();
  ck_assert_int_eq(rulecore_activation_begin_list(A, slot("items")), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, RULECORE_NEXT, 1), RULECORE_ERR_ARGUMENT);
  assert_run("items.map(x, x.sku)", "[\"apple\", \"pear\"]");
}
END_TEST

/* ---- rulecore_activation_set_json ---- */

START_TEST(test_json_plain) {
  assert_json_ok("{\"user\": {\"age\": 30, \"city\": \"Beijing\", \"tags\": [\"vip\", \"new\"], \"score\": 2},\n"
                 " \"items\": [{\"sku\": \"apple\", \"qty\": 2}, {\"sku\": \"pear\", \"qty\": 3}],\n"
                 " \"item\": null, \"counts\": {\"x\": 1}, \"ids\": {\"1\": \"one\", \"-2\": \"minus two\"},\n"
                 " \"grid\": [[1], []], \"anything\": {\"k\": [1, 2.5, \"s\", true, null]},\n"
                 " \"b\": true, \"i\": -5, \"u\": 18446744073709551, \"d\": 30, \"s\": \"h\\u00e9\\u0000\",\n"
                 " \"by\": \"AP8=\", \"ts\": \"2009-02-13T23:31:30.5+01:00\", \"du\": \"-1.5s\", \"n\": null,\n"
                 " \"t\": false}",
                 RULECORE_JSON_PLAIN);
  assert_run(w1, "true");
  assert_run("user.tags", "[\"vip\", \"new\"]");
  assert_run("user.score", "2.0");
  assert_run("items.map(x, x.sku + ':' + string(x.qty))", "[\"apple:2\", \"pear:3\"]");
  assert_run("item == null", "true");
  assert_run("counts", "{\"x\": 1}");
  assert_run("ids[-2] + '/' + ids[1]", "\"minus two/one\"");
  assert_run("grid", "[[1], []]");
  assert_run("anything", "{\"k\": [1, 2.5, \"s\", true, null]}");
  assert_run("b && !t", "true");
  assert_run("i", "-5");
  assert_run("u", "18446744073709551u");
  assert_run("d", "30.0");
  assert_run("s", "\"h\xc3\xa9\\x00\"");
  assert_run("by", "b\"\\x00\\xff\"");
  assert_run("ts", "timestamp(\"2009-02-13T22:31:30.5Z\")");
  assert_run("du", "duration(\"-1.5s\")");
  assert_run("n", "null");
  /* Variables not named keep their values. */
  assert_json_ok("{\"i\": 6}", RULECORE_JSON_PLAIN);
  assert_run("i + user.age", "36");
  /* A whole number written 30.0 is an int where an int is declared. */
  assert_json_ok("{\"i\": 30.0, \"u\": 2.0}", RULECORE_JSON_PLAIN);
  assert_run("i", "30");
  assert_run("u", "2u");
  assert_json_ok("{}", RULECORE_JSON_PLAIN);
  assert_run("i", "30");
}
END_TEST

/* Doubles JSON has no literal for, as protobuf's JSON mapping writes them;
 * only where a double is declared (elsewhere they are strings). */
START_TEST(test_json_plain_nonfinite) {
  assert_json_ok("{\"d\": \"Infinity\"}", RULECORE_JSON_PLAIN);
  assert_run("d > 1e308 && d == d", "true");
  assert_json_ok("{\"d\": \"-Infinity\"}", RULECORE_JSON_PLAIN);
  assert_run("d < -1e308", "true");
  assert_json_ok("{\"d\": \"NaN\"}", RULECORE_JSON_PLAIN);
  assert_run("d != d", "true");
  assert_json_ok("{\"s\": \"NaN\"}", RULECORE_JSON_PLAIN);
  assert_run("s", "\"NaN\"");
  static const char *const refused[] = {"{\"d\": \"inf\"}", "{\"d\": \"nan\"}", "{\"d\": \"+Infinity\"}",
                                        "{\"d\": \"Infinity \"}", "{\"i\": \"NaN\"}"};
  for (int k = 0; k < (int)LEN(refused); k++) {
    fill_result f = set_json(refused[k], RULECORE_JSON_PLAIN);
    ck_assert_msg(f.status == RULECORE_ERR_SOURCE && f.code == RULECORE_DIAG_CONTEXT_MISMATCH, "%s: %d %s",
                  refused[k], (int)f.status, f.message);
  }
}
END_TEST

/* Bytes: standard base64 padded, or URL-safe base64 unpadded; nothing
 * else, each refusal saying why. */
START_TEST(test_json_strict_base64) {
  static const struct {
    const char *b64, *bytes;
  } ok[] = {
      {"", "b\"\""}, {"AP8=", "b\"\\x00\\xff\""}, {"aGk=", "b\"hi\""}, {"aGk", "b\"hi\""},
      {"aGVsbG8=", "b\"hello\""}, {"aGVsbG8", "b\"hello\""}, {"-_8", "b\"\\xfb\\xff\""}, {"+/8=", "b\"\\xfb\\xff\""},
      {"AAAA", "b\"\\x00\\x00\\x00\""},
      {"AP8", "b\"\\x00\\xff\""}, /* neither alphabet's own characters: read as URL-safe */
  };
  for (int k = 0; k < (int)LEN(ok); k++) {
    char json[64];
    snprintf(json, sizeof json, "{\"by\": \"%s\"}", ok[k].b64);
    assert_json_ok(json, RULECORE_JSON_PLAIN);
    assert_run("by", ok[k].bytes);
  }
  static const struct {
    const char *b64, *why;
  } bad[] = {
      {"+/8", "padded with '=' to a multiple of 4"},     /* standard characters, no padding */
      {"-_8=", "'-' at character 1 in standard base64"}, /* URL-safe characters with padding */
      {"a+_=", "'_' at character 3 in standard base64"}, /* the two alphabets mixed */
      {"aGk==", "padded with '=' to a multiple of 4"},  /* too much padding */
      {"a===", "'=' at character 2"},
      {"aGl=", "not canonical"},                          /* bits left over */
      {"aGVsb", "one too many or too few"},
      {"aG k", "' ' at character 3 is not a base64 character"},
  };
  for (int k = 0; k < (int)LEN(bad); k++) {
    char json[64];
    snprintf(json, sizeof json, "{\"by\": \"%s\"}", bad[k].b64);
    fill_result f = set_json(json, RULECORE_JSON_PLAIN);
    ck_assert_msg(f.status == RULECORE_ERR_SOURCE && f.code == RULECORE_DIAG_CONTEXT_MISMATCH, "%s: %d %s", json,
                  (int)f.status, f.message);
    ck_assert_msg(strstr(f.message, bad[k].why), "%s: \"%s\" does not say \"%s\"", json, f.message, bad[k].why);
  }
}
END_TEST

START_TEST(test_json_typed) {
  assert_json_ok("{\"i\": {\"int\": \"-9223372036854775808\"}, \"u\": {\"uint\": \"18446744073709551615\"},\n"
                 " \"d\": {\"double\": 1.5}, \"s\": {\"string\": \"x\"}, \"by\": {\"bytes\": \"AP8=\"},\n"
                 " \"b\": {\"bool\": true}, \"n\": {\"null\": null},\n"
                 " \"ts\": {\"timestamp\": \"2009-02-13T23:31:30Z\"}, \"du\": {\"duration\": \"90s\"},\n"
                 " \"grid\": {\"list\": [{\"list\": [{\"int\": \"1\"}]}]},\n"
                 " \"ids\": {\"map\": [[{\"int\": \"5\"}, {\"string\": \"five\"}]]},\n"
                 " \"anything\": {\"map\": [[{\"string\": \"a\"}, {\"uint\": \"1\"}],\n"
                 "   [{\"bool\": false}, {\"double\": \"NaN\"}]]}}",
                 RULECORE_JSON_TYPED);
  assert_run("i", "-9223372036854775808");
  assert_run("u", "18446744073709551615u");
  assert_run("d", "1.5");
  assert_run("s", "\"x\"");
  assert_run("by", "b\"\\x00\\xff\"");
  assert_run("b", "true");
  assert_run("n", "null");
  assert_run("ts", "timestamp(\"2009-02-13T23:31:30Z\")");
  assert_run("du", "duration(\"90s\")");
  assert_run("grid", "[[1]]");
  assert_run("ids[5]", "\"five\"");
  assert_run("anything", "{\"a\": 1u, false: double(\"NaN\")}");
}
END_TEST

/* A fill that fails returns RULECORE_ERR_SOURCE with a diagnostic naming
 * where, and sets nothing: every variable keeps its value. */
static const struct {
  const char *json;
  rulecore_json_style style;
  int code;
  const char *where; /* a substring of the message */
} json_errors[] = {
    {"{\"i\": ", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_SYNTAX, ""},
    {"[1]", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_SYNTAX, "object"},
    {"{\"i\": 1, \"i\": 2}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_SYNTAX, ""},
    {"{\"i\": 1, \"nope\": 1}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "nope"},
    {"{\"i\": 1, \"user.age\": 1}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "user.age"},
    {"{\"i\": 1, \"user\": {\"age\": \"old\"}}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "user.age"},
    {"{\"i\": 1, \"user\": {\"agee\": 3}}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "user.agee"},
    {"{\"i\": 1, \"user\": {\"tags\": [\"a\", 2]}}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH,
     "user.tags[1]"},
    {"{\"i\": 1, \"items\": [{\"sku\": \"a\"}, {\"qty\": 1.5}]}", RULECORE_JSON_PLAIN,
     RULECORE_DIAG_CONTEXT_MISMATCH, "items[1].qty"},
    {"{\"i\": 1, \"s\": 5}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "s"},
    {"{\"b\": true, \"i\": 2.5}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "i"},
    {"{\"i\": 1, \"u\": -1}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "u"},
    {"{\"i\": 1, \"by\": \"not base64!\"}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "by"},
    {"{\"i\": 1, \"ts\": \"yesterday\"}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "ts"},
    {"{\"i\": 1, \"du\": \"5\"}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "du"},
    {"{\"i\": 1, \"counts\": {\"a\": \"b\"}}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "counts.a"},
    {"{\"i\": 1, \"ids\": {\"one\": \"1\"}}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "ids.one"},
    {"{\"i\": 1, \"grid\": [1]}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "grid[0]"},
    {"{\"i\": 1, \"counts\": [1]}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "counts"},
    {"{\"i\": 1, \"n\": 0}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, "n"},
    {"{\"i\": 1, \"s\": \"\\udc00\"}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_SYNTAX, ""},
    {"{\"i\": {\"int\": \"1\"}, \"s\": {\"int\": \"2\"}}", RULECORE_JSON_TYPED, RULECORE_DIAG_CONTEXT_MISMATCH, "s"},
    {"{\"i\": {\"int\": \"1\"}, \"u\": {\"bool\": true}}", RULECORE_JSON_TYPED, RULECORE_DIAG_CONTEXT_MISMATCH, "u"},
    {"{\"i\": {\"int\": \"x\"}}", RULECORE_JSON_TYPED, RULECORE_DIAG_CONTEXT_MISMATCH, "i"},
    {"{\"i\": 1}", RULECORE_JSON_TYPED, RULECORE_DIAG_CONTEXT_MISMATCH, "i"},
    {"{\"i\": {\"integer\": \"1\"}}", RULECORE_JSON_TYPED, RULECORE_DIAG_CONTEXT_MISMATCH, "i"},
    {"{\"i\": {\"int\": \"1\"}, \"grid\": {\"list\": [{\"list\": [{\"string\": \"a\"}]}]}}", RULECORE_JSON_TYPED,
     RULECORE_DIAG_CONTEXT_MISMATCH, "grid[0][0]"},
    {"{\"i\": {\"int\": \"1\"}, \"ids\": {\"map\": [[{\"string\": \"a\"}, {\"string\": \"b\"}]]}}",
     RULECORE_JSON_TYPED, RULECORE_DIAG_CONTEXT_MISMATCH, "ids"},
};

START_TEST(test_json_errors) {
  assert_json_ok("{\"i\": 7, \"s\": \"kept\", \"user\": {\"age\": 30, \"city\": \"Beijing\"}}", RULECORE_JSON_PLAIN);
  fill_result f = set_json(json_errors[_i].json, json_errors[_i].style);
  ck_assert_msg(f.status == RULECORE_ERR_SOURCE, "%s: status %d (%s), expected RULECORE_ERR_SOURCE",
                json_errors[_i].json, (int)f.status, f.message);
  ck_assert_msg(f.count >= 1, "%s: no diagnostic", json_errors[_i].json);
  ck_assert_msg(f.code == json_errors[_i].code, "%s: code %d, expected %d (%s)", json_errors[_i].json, f.code,
                json_errors[_i].code, f.message);
  ck_assert_msg(strstr(f.message, json_errors[_i].where), "%s: message \"%s\" does not name \"%s\"",
                json_errors[_i].json, f.message, json_errors[_i].where);
  assert_run("i", "7");
  assert_run("s", "\"kept\"");
  assert_run(w1, "true");
  assert_run("[b, u, n].size()", "error: no value for variable");
}
END_TEST

/* The refusals without diagnostics: bad arguments. */
START_TEST(test_json_arguments) {
  rulecore_diagnostics *d = (rulecore_diagnostics *)1;
  ck_assert_int_eq(rulecore_activation_set_json(NULL, "{}", 2, RULECORE_JSON_PLAIN, &d), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(rulecore_activation_set_json(A, NULL, 2, RULECORE_JSON_PLAIN, NULL), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_json(A, "{}", 2, (rulecore_json_style)7, NULL), RULECORE_ERR_ARGUMENT);
  /* length, not NUL, ends the text */
  ck_assert_int_eq(rulecore_activation_set_json(A, "{\"i\": 12}xyz", 9, RULECORE_JSON_PLAIN, NULL), RULECORE_OK);
  assert_run("i", "12");
}
END_TEST

/* An activation without a schema: every name is unknown. */
START_TEST(test_json_no_schema) {
  rulecore_activation *a = rulecore_activation_new(NULL);
  ck_assert_ptr_nonnull(a);
  rulecore_diagnostics *d = NULL;
  rulecore_status st1 = rulecore_activation_set_json(a, "{}", 2, RULECORE_JSON_PLAIN, NULL);
  rulecore_status st2 = rulecore_activation_set_json(a, "{\"x\": 1}", 8, RULECORE_JSON_PLAIN, &d);
  char msg[256];
  snprintf(msg, sizeof msg, "%s", first_message(d));
  rulecore_diagnostics_free(d);
  rulecore_status st3 = rulecore_activation_set_int(a, 0, 1);
  rulecore_activation_free(a);
  ck_assert_int_eq(st1, RULECORE_OK);
  ck_assert_int_eq(st2, RULECORE_ERR_SOURCE);
  ck_assert_msg(strstr(msg, "x"), "message \"%s\" does not name x", msg);
  ck_assert_int_eq(st3, RULECORE_ERR_ARGUMENT);
}
END_TEST

/* Plain JSON numbers are read by the declared type: a whole number too
 * big for an int64 where a double (or dyn) is declared; a uint beyond 2^53,
 * which a JSON number cannot carry exactly, as a decimal string. */
static const struct {
  const char *json, *expr, *want;
} big_numbers[] = {
    {"{\"u\": \"18446744073709551615\"}", "u", "18446744073709551615u"},
    {"{\"u\": \"9223372036854775808\"}", "u", "9223372036854775808u"},
    {"{\"u\": 9007199254740992}", "u", "9007199254740992u"},
    {"{\"d\": 18446744073709551616}", "d", "18446744073709551616.0"},
    {"{\"d\": -9223372036854775809}", "d", "-9223372036854775808.0"},
    {"{\"anything\": 18446744073709551615}", "anything == 18446744073709551615u", "true"}, /* a uint or a double */
};

START_TEST(test_json_plain_big_numbers) {
  fill_result f = set_json(big_numbers[_i].json, RULECORE_JSON_PLAIN);
  ck_assert_msg(f.status == RULECORE_OK, "%s: status %d: %s", big_numbers[_i].json, (int)f.status, f.message);
  assert_run(big_numbers[_i].expr, big_numbers[_i].want);
}
END_TEST

/* Too big for the int declared: a mismatch, and nothing set. */
START_TEST(test_json_plain_int_too_big) {
  assert_json_ok("{\"i\": 1}", RULECORE_JSON_PLAIN);
  fill_result f = set_json("{\"i\": 9223372036854775808}", RULECORE_JSON_PLAIN);
  ck_assert_int_eq(f.status, RULECORE_ERR_SOURCE);
  ck_assert_msg(strstr(f.message, "i"), "message \"%s\"", f.message);
  assert_run("i", "1");
}
END_TEST

/* ---- set_json: the reader itself ---- */

/* Every error points at the token in the context text: line and column
 * (in code points), as every diagnostic. */
static const struct {
  const char *json;
  rulecore_json_style style;
  int code;
  uint32_t line, column, length;
  const char *where; /* a substring of the message */
} json_positions[] = {
    {"{\n  \"user\": {\n    \"age\": \"old\"\n  }\n}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, 3, 12, 5,
     "user.age: a string does not fit the declared type int"},
    {"{\"i\": 1,\n \"s\": tru}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_SYNTAX, 2, 7, 3, "invalid token"},
    {"{\"i\": 1}  x", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_SYNTAX, 1, 11, 1, "after"},
    {"{\"s\": \"h\xc3\xa9\", \"nope\": 1}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, 1, 13, 6,
     "nope: no such variable"},
    {"{\"i\": ", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_SYNTAX, 1, 7, 0, "premature end"},
    {"{\"items\": [{\"sku\": \"a\"},\n\t{\"qty\": 1.5}]}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, 2, 10,
     3, "items[1].qty: a number does not fit the declared type int"},
    {"{\"user\": {\"agee\": 3}}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, 1, 11, 6,
     "user.agee: no such field in user"},
    {"{\"grid\": [[1], 2]}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, 1, 16, 1, "grid[1]: an integer"},
    {"{\"counts\": [1]}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_MISMATCH, 1, 12, 1,
     "counts: a list does not fit the declared type map(string, int)"},
    /* a syntax error anywhere wins over a mismatch before it */
    {"{\"s\": 5, \"i\": 1 \"x\"}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_SYNTAX, 1, 17, 1, "expected"},
    {"{\"s\": 5, \"i\": 1, \"i\": 2}", RULECORE_JSON_PLAIN, RULECORE_DIAG_CONTEXT_SYNTAX, 1, 18, 3, "twice"},
    {"{\"i\": {\"int\": \"x\"}}", RULECORE_JSON_TYPED, RULECORE_DIAG_CONTEXT_MISMATCH, 1, 15, 3, "i: not a int: x"},
    {"{\"i\": {\"int\": \"1\", \"uint\": \"2\"}}", RULECORE_JSON_TYPED, RULECORE_DIAG_CONTEXT_MISMATCH, 1, 7, 25,
     "i: a typed value must be an object with one key"},
};

START_TEST(test_json_positions) {
  rulecore_diagnostics *d = NULL;
  const char *json = json_positions[_i].json;
  rulecore_status st = rulecore_activation_set_json(A, json, strlen(json), json_positions[_i].style, &d);
  char msg[512];
  snprintf(msg, sizeof msg, "%s", first_message(d));
  size_t count = rulecore_diagnostics_count(d);
  int code = count ? rulecore_diagnostics_code(d, 0) : 0;
  uint32_t line = count ? rulecore_diagnostics_line(d, 0) : 0, column = count ? rulecore_diagnostics_column(d, 0) : 0;
  size_t length = count ? rulecore_diagnostics_length(d, 0) : 0;
  rulecore_diagnostics_free(d);
  ck_assert_msg(st == RULECORE_ERR_SOURCE && count == 1, "%s: status %d, %zu diagnostics", json, (int)st, count);
  ck_assert_msg(code == json_positions[_i].code, "%s: code %d (%s)", json, code, msg);
  ck_assert_msg(line == json_positions[_i].line && column == json_positions[_i].column &&
                    length == json_positions[_i].length,
                "%s: at %u:%u (%zu bytes), expected %u:%u (%u)", json, line, column, length,
                json_positions[_i].line, json_positions[_i].column, json_positions[_i].length);
  ck_assert_msg(strstr(msg, json_positions[_i].where), "%s: message \"%s\" does not say \"%s\"", json, msg,
                json_positions[_i].where);
}
END_TEST

/* Text the reader refuses as JSON (RULECORE_DIAG_CONTEXT_SYNTAX), as
 * jansson did: escapes, UTF-8, numbers, structure. */
static const char *const json_syntax_errors[] = {
    "{\"s\": \"\\ud800\"}",              /* a high surrogate alone */
    "{\"s\": \"\\ud800\\u0041\"}",       /* ... followed by no low one */
    "{\"s\": \"\\udc00\"}",              /* a low surrogate alone */
    "{\"s\": \"\\u12\"}",                /* too few hex digits */
    "{\"s\": \"\\x41\"}",                /* no such escape */
    "{\"s\": \"a\tb\"}",                 /* a raw control character */
    "{\"s\": \"a\nb\"}",                 /* a raw newline */
    "{\"s\": \"\xff\"}",                 /* not UTF-8 */
    "{\"s\": \"\xc0\xaf\"}",             /* overlong */
    "{\"s\": \"\xed\xa0\x80\"}",         /* a surrogate in UTF-8 */
    "{\"s\": \"\xf4\x90\x80\x80\"}",     /* beyond U+10FFFF */
    "{\"s\": \"\xc3\"}",                 /* cut short */
    "{\"s\": \"abc}",                    /* no closing quote */
    "{\"a\\u0000b\": 1}",                /* NUL in a key */
    "{\"d\": 1e400}",                    /* beyond a double */
    "{\"d\": -1e400}",
    "{\"i\": 01}",
    "{\"i\": 1.}",
    "{\"i\": .5}",
    "{\"i\": +1}",
    "{\"i\": 1e}",
    "{\"i\": -}",
    "{\"i\": True}",
    "{\"i\": nul}",
    "{\"i\": 1,}",
    "{,}",
    "{\"i\" 1}",
    "{\"b\": [1,]}",
    "{\"b\": [1 2]}",
    "{\"i\": 1}}",
    "{\"i\": 1} {}",
    "",
    "   ",
    "5",
    "\"x\"",
    "nul",
    "{\"item\": {\"sku\": \"a\", \"sku\": \"b\"}}",
    "{\"counts\": {\"a\": 1, \"a\": 2}}",
    "{\"ids\": {\"1\": \"a\", \"1\": \"b\"}}",
    "{\"anything\": {\"k\": 1, \"k\": \"later error\"}, \"i\": \"x\"}",
    "{\"i\": \"mismatch first\", \"anything\": [1, 2}",
};

START_TEST(test_json_syntax_errors) {
  assert_json_ok("{\"i\": 7, \"s\": \"kept\"}", RULECORE_JSON_PLAIN);
  const char *json = json_syntax_errors[_i];
  for (int style = 0; style < 2; style++) {
    fill_result f = set_json(json, style ? RULECORE_JSON_TYPED : RULECORE_JSON_PLAIN);
    ck_assert_msg(f.status == RULECORE_ERR_SOURCE && f.code == RULECORE_DIAG_CONTEXT_SYNTAX,
                  "%s (style %d): status %d code %d: %s", json, style, (int)f.status, f.code, f.message);
    assert_run("i", "7");
    assert_run("s", "\"kept\"");
  }
}
END_TEST

/* Every escape, and UTF-8 as it stands. */
START_TEST(test_json_escapes) {
  assert_json_ok("{\"s\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u4E2D\\ud83d\\ude00\\u0000\\u0041\xc3\xa9\xf0\x9f\x98\x80\"}",
                 RULECORE_JSON_PLAIN);
  assert_run("s == '\"\\\\/\\b\\f\\n\\r\\t\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\\x00A\xc3\xa9\xf0\x9f\x98\x80'", "true");
  assert_run("size(s)", "15");
  /* keys with escapes name variables and fields too */
  assert_json_ok("{\"\\u0069\": 5, \"user\": {\"\\u0061ge\": 41, \"c\\u0069ty\": \"X\"}}", RULECORE_JSON_PLAIN);
  assert_run("i", "5");
  assert_run("user.age", "41");
  assert_json_ok("{\"counts\": {\"\\u00e9\": 1}}", RULECORE_JSON_PLAIN);
  assert_run("counts['\xc3\xa9']", "1");
  /* long strings, through the fast path and not */
  char json[2100];
  int n = snprintf(json, sizeof json, "{\"s\": \"");
  for (int k = 0; k < 500; k++) n += snprintf(json + n, sizeof json - (size_t)n, k % 100 == 99 ? "\\u00e9" : "abcd");
  snprintf(json + n, sizeof json - (size_t)n, "\"}");
  assert_json_ok(json, RULECORE_JSON_PLAIN);
  assert_run("size(s)", "1985");
}
END_TEST

/* Numbers: exact, whatever their length; what today's big-integer handling
 * does with a document holding one integer beyond int64. */
static const struct {
  const char *json, *expr, *want;
} json_numbers[] = {
    {"{\"d\": 0.1}", "d", "0.1"},
    {"{\"d\": 87.5}", "d", "87.5"},
    {"{\"d\": 2.2250738585072011e-308}", "d", "2.225073858507201e-308"},
    {"{\"d\": 1e-400}", "d", "0.0"},
    {"{\"d\": 4.9e-324}", "d", "5e-324"},
    {"{\"d\": 1.7976931348623157e308}", "d", "1.7976931348623157e+308"},
    {"{\"d\": 123456789012345678901234567890}", "d", "1.2345678901234568e+29"},
    {"{\"d\": 0.30000000000000000000000000000001}", "d == 0.3", "true"},
    {"{\"d\": 9007199254740993}", "d", "9007199254740992.0"},
    {"{\"d\": 1E+2}", "d", "100.0"},
    {"{\"d\": -0.0}", "d", "-0.0"},
    {"{\"d\": -0}", "d", "0.0"}, /* an integer */
    {"{\"i\": -0}", "i", "0"},
    {"{\"i\": 9223372036854775807}", "i", "9223372036854775807"},
    {"{\"i\": -9223372036854775808}", "i", "-9223372036854775808"},
    {"{\"i\": 1e2}", "i", "100"},
    {"{\"u\": 18446744073709551}", "u", "18446744073709551u"},
    {"{\"i\": \"-9223372036854775808\"}", "i", "-9223372036854775808"},
    /* an integer beyond int64 anywhere: every number is a double */
    {"{\"anything\": 5, \"d\": 18446744073709551616}", "type(anything) == double", "true"},
    {"{\"anything\": 5}", "type(anything) == int", "true"},
    {"{\"d\": -0, \"anything\": 18446744073709551616}", "d", "-0.0"},
    {"{\"d\": 1, \"anything\": [1, {\"k\": -9223372036854775809}]}", "anything[1].k", "-9223372036854775808.0"},
};

START_TEST(test_json_numbers) {
  fill_result f = set_json(json_numbers[_i].json, RULECORE_JSON_PLAIN);
  ck_assert_msg(f.status == RULECORE_OK, "%s: status %d: %s", json_numbers[_i].json, (int)f.status, f.message);
  assert_run(json_numbers[_i].expr, json_numbers[_i].want);
}
END_TEST

/* Nesting: 64 composites deep is the builder's limit (a mismatch), 2048
 * JSON's (a syntax error, jansson's limit); neither overflows the stack. */
START_TEST(test_json_deep_nesting) {
  static char json[20000];
  for (int depth = 63; depth <= 66; depth++) {
    int n = snprintf(json, sizeof json, "{\"anything\": ");
    for (int k = 0; k < depth; k++) json[n++] = '[';
    for (int k = 0; k < depth; k++) json[n++] = ']';
    snprintf(json + n, sizeof json - (size_t)n, "}");
    fill_result f = set_json(json, RULECORE_JSON_PLAIN);
    if (depth <= 64)
      ck_assert_msg(f.status == RULECORE_OK, "depth %d: %s", depth, f.message);
    else
      ck_assert_msg(f.status == RULECORE_ERR_SOURCE && f.code == RULECORE_DIAG_CONTEXT_MISMATCH &&
                        strstr(f.message, "anything[0]"),
                    "depth %d: status %d code %d: %s", depth, (int)f.status, f.code, f.message);
  }
  for (int depth = 2047; depth <= 2049; depth++) {
    int n = snprintf(json, sizeof json, "{\"anything\": ");
    for (int k = 0; k < depth; k++) json[n++] = '[';
    for (int k = 0; k < depth; k++) json[n++] = ']';
    snprintf(json + n, sizeof json - (size_t)n, "}");
    fill_result f = set_json(json, RULECORE_JSON_PLAIN);
    int want = depth + 1 <= 2048 ? RULECORE_DIAG_CONTEXT_MISMATCH : RULECORE_DIAG_CONTEXT_SYNTAX;
    ck_assert_msg(f.status == RULECORE_ERR_SOURCE && f.code == want, "depth %d: status %d code %d: %s", depth,
                  (int)f.status, f.code, f.message);
  }
  /* unclosed, very deep: a syntax error, no recursion */
  memset(json, '[', 19000);
  memcpy(json, "{\"i\": ", 6);
  json[19000] = '\0';
  fill_result f = set_json(json, RULECORE_JSON_PLAIN);
  ck_assert_int_eq(f.code, RULECORE_DIAG_CONTEXT_SYNTAX);
}
END_TEST

/* Every prefix of a good text is refused (and sets nothing); blanks may
 * follow it, nothing else. */
START_TEST(test_json_truncated_and_trailing) {
  static const char good[] = "{\"i\": 12, \"user\": {\"age\": 30, \"city\": \"B\\u00e9\", \"tags\": [\"a\"]},"
                             " \"d\": -1.5e3, \"b\": true, \"n\": null, \"ids\": {\"-2\": \"x\"}}";
  assert_json_ok("{\"i\": 7}", RULECORE_JSON_PLAIN);
  char buf[sizeof good + 8];
  for (size_t n = 0; n + 1 < sizeof good; n++) {
    rulecore_status st = rulecore_activation_set_json(A, good, n, RULECORE_JSON_PLAIN, NULL);
    ck_assert_msg(st == RULECORE_ERR_SOURCE, "prefix of %zu bytes: status %d", n, (int)st);
  }
  assert_run("i", "7");
  static const char *const tails[] = {"x", "{}", ",", "]", "}", " 1", "\"", "\x01"};
  for (size_t k = 0; k < LEN(tails); k++) {
    snprintf(buf, sizeof buf, "%s%s", good, tails[k]);
    fill_result f = set_json(buf, RULECORE_JSON_PLAIN);
    ck_assert_msg(f.status == RULECORE_ERR_SOURCE && f.code == RULECORE_DIAG_CONTEXT_SYNTAX, "tail '%s': %d %s",
                  tails[k], (int)f.status, f.message);
  }
  assert_run("i", "7");
  snprintf(buf, sizeof buf, "%s \n\t\r", good);
  assert_json_ok(buf, RULECORE_JSON_PLAIN);
  assert_run("i + user.age", "42");
}
END_TEST

/* Keys: a record's or an int-keyed map's repeated key. */
START_TEST(test_json_repeated_keys) {
  assert_json_ok("{\"i\": 7}", RULECORE_JSON_PLAIN);
  fill_result f = set_json("{\"ids\": {\"1\": \"a\", \"01\": \"b\"}}", RULECORE_JSON_PLAIN);
  ck_assert_msg(f.status == RULECORE_ERR_SOURCE && f.code == RULECORE_DIAG_CONTEXT_MISMATCH &&
                    strstr(f.message, "ids: a repeated key"),
                "%d %s", f.code, f.message);
  f = set_json("{\"i\": {\"int\": \"1\"}, \"i\": {\"int\": \"2\"}}", RULECORE_JSON_TYPED);
  ck_assert_int_eq(f.code, RULECORE_DIAG_CONTEXT_SYNTAX);
  assert_run("i", "7");
}
END_TEST

/* The typed style: a record's "type" may follow its "fields" (other keys
 * are ignored), a map entry needs exactly a key and a value. */
START_TEST(test_json_typed_more) {
  assert_json_ok("{\"item\": {\"record\": {\"fields\": {\"qty\": {\"int\": \"3\"}}, \"x\": [1], \"type\": \"Item\"}},"
                 " \"anything\": {\"record\": {\"type\": \"Item\", \"fields\": {\"sku\": {\"string\": \"z\"}}}},"
                 " \"user\": {\"map\": [[{\"string\": \"age\"}, {\"int\": \"44\"}]]},"
                 " \"grid\": {\"list\": []}, \"d\": {\"double\": 5}, \"u\": {\"uint\": 6}}",
                 RULECORE_JSON_TYPED);
  assert_run("item.qty", "3");
  assert_run("anything.sku", "\"z\"");
  assert_run("user.age", "44");
  assert_run("grid", "[]");
  assert_run("d", "5.0");
  assert_run("u", "6u");
  fill_result f = set_json("{\"ids\": {\"map\": [[{\"int\": \"1\"}, {\"string\": \"a\"}, {\"string\": \"b\"}]]}}",
                           RULECORE_JSON_TYPED);
  ck_assert_msg(f.code == RULECORE_DIAG_CONTEXT_MISMATCH && strstr(f.message, "ids[0]: a map entry"), "%s",
                f.message);
  f = set_json("{\"item\": {\"record\": {\"type\": \"Nope\", \"fields\": {}}}}", RULECORE_JSON_TYPED);
  ck_assert_msg(f.code == RULECORE_DIAG_CONTEXT_MISMATCH && strstr(f.message, "item: a record of type Nope"), "%s",
                f.message);
  f = set_json("{\"i\": {\"int\": \"1\"}, \"s\": {}}", RULECORE_JSON_TYPED);
  ck_assert_msg(f.code == RULECORE_DIAG_CONTEXT_MISMATCH && strstr(f.message, "s: a typed value"), "%s", f.message);
}
END_TEST

/* ---- rulecore_activation_reset ---- */

START_TEST(test_reset) {
  set_user(30, "Beijing");
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("i"), 1), RULECORE_OK);
  assert_run(w1, "true");
  rulecore_activation_reset(A);
  assert_run(w1, "error: user");
  assert_run("i", "error: no value for variable");
  /* After a reset, one field makes the record; the others are absent. */
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("user.age"), 40), RULECORE_OK);
  assert_run("has(user.city)", "false");
  assert_run("user.age", "40");
  rulecore_activation_reset(NULL);
}
END_TEST

/* One activation refilled and evaluated many times gives each fill's
 * result. */
START_TEST(test_reuse_many) {
  rulecore_program *p = compile_in(E, "user.age > 18 && user.city == 'Beijing' && user.tags.exists(t, t == 'vip')");
  rulecore_program *q = compile_in(E, "user.tags.map(t, t + string(user.age)).filter(t, t.startsWith('v'))");
  int bad = 0, first_bad = -1;
  char why[256] = "";
  for (int k = 0; k < 2000 && !bad; k++) {
    rulecore_activation_reset(A);
    char city[32];
    snprintf(city, sizeof city, "%s", k % 3 ? "Beijing" : "Shanghai");
    rulecore_activation_set_int(A, slot("user.age"), k % 40);
    rulecore_activation_set_string(A, slot("user.city"), city, strlen(city));
    rulecore_activation_begin_list(A, slot("user.tags"));
    for (int j = 0; j < k % 5; j++) {
      const char *tag = j == 2 ? "vip" : "new";
      rulecore_activation_set_string(A, RULECORE_NEXT, tag, strlen(tag));
    }
    rulecore_activation_end(A);
    bool want = k % 40 > 18 && k % 3 != 0 && k % 5 > 2;
    rulecore_status st = rulecore_eval(p, A, R);
    if (st != RULECORE_OK || rulecore_result_bool(R) != want) {
      bad = 1;
      snprintf(why, sizeof why, "status %d, %d", (int)st, rulecore_result_bool(R));
    }
    char want_text[64];
    snprintf(want_text, sizeof want_text, k % 5 > 2 ? "[\"vip%d\"]" : "[]", k % 40);
    const char *got = run_prog(q, A);
    if (!bad && strcmp(got, want_text) != 0) {
      bad = 2;
      snprintf(why, sizeof why, "got %.100s, expected %.100s", got, want_text);
    }
    if (bad) first_bad = k;
  }
  rulecore_program_free(p);
  rulecore_program_free(q);
  ck_assert_msg(!bad, "fill %d: %s", first_bad, why);
}
END_TEST

/* ---- reset and refill without allocating ---- */

static size_t hook_calls;

static void *counting_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  if (n == 0) {
    free(p);
    return NULL;
  }
  hook_calls++;
  return realloc(p, n);
}

/* The slots fill_for_reuse sets, resolved once as a host would. */
static int32_t slot_age, slot_city, slot_tags, slot_items, slot_counts;

static void resolve_slots(void) {
  slot_age = slot("user.age");
  slot_city = slot("user.city");
  slot_tags = slot("user.tags");
  slot_items = slot("items");
  slot_counts = slot("counts");
}

/* Fill A by the setters and the builder: a record, strings, a list of
 * records, a map.  The number of calls that failed. */
static int fill_for_reuse(void) {
  int fails = 0;
  fails += rulecore_activation_set_int(A, slot_age, 20) != RULECORE_OK;
  fails += rulecore_activation_set_string(A, slot_city, "Beijing", 7) != RULECORE_OK;
  fails += rulecore_activation_begin_list(A, slot_tags) != RULECORE_OK;
  for (int j = 0; j < 50; j++)
    fails += rulecore_activation_set_string(A, RULECORE_NEXT, "tag-tag-tag", 11) != RULECORE_OK;
  fails += rulecore_activation_end(A) != RULECORE_OK;
  fails += rulecore_activation_begin_list(A, slot_items) != RULECORE_OK;
  for (int j = 0; j < 20; j++) {
    fails += rulecore_activation_begin_map(A, RULECORE_NEXT) != RULECORE_OK;
    fails += rulecore_activation_key_string(A, "sku", 3) != RULECORE_OK;
    fails += rulecore_activation_set_string(A, RULECORE_NEXT, "sku-sku", 7) != RULECORE_OK;
    fails += rulecore_activation_key_string(A, "qty", 3) != RULECORE_OK;
    fails += rulecore_activation_set_int(A, RULECORE_NEXT, j) != RULECORE_OK;
    fails += rulecore_activation_end(A) != RULECORE_OK;
  }
  fails += rulecore_activation_end(A) != RULECORE_OK;
  fails += rulecore_activation_begin_map(A, slot_counts) != RULECORE_OK;
  for (int j = 0; j < 20; j++) {
    char key[8];
    snprintf(key, sizeof key, "k%d", j);
    fails += rulecore_activation_key_string(A, key, strlen(key)) != RULECORE_OK;
    fails += rulecore_activation_set_int(A, RULECORE_NEXT, j) != RULECORE_OK;
  }
  fails += rulecore_activation_end(A) != RULECORE_OK;
  return fails;
}

START_TEST(test_reset_refill_no_allocation) {
  /* The fixture's objects were made with the C library's allocator; the
   * counting one wraps the same realloc, so they mix. */
  rulecore_set_allocator(counting_realloc, NULL);
  rulecore_program *p = compile_in(E, w1);
  rulecore_program *q =
      compile_in(E, "items.filter(x, x.qty % 2 == 0).map(x, x.sku + string(x.qty)).size() + counts['k19'] + "
                    "user.tags.filter(t, t.matches('^tag-')).size()");
  resolve_slots();
  int fails = fill_for_reuse();
  rulecore_status st1 = rulecore_eval(p, A, R);
  rulecore_status st2 = rulecore_eval(q, A, R);
  size_t before = hook_calls;
  int wrong = 0;
  for (int k = 0; k < 3; k++) {
    rulecore_activation_reset(A);
    fails += fill_for_reuse();
    wrong += rulecore_eval(p, A, R) != RULECORE_OK || rulecore_result_bool(R) != 1;
    wrong += rulecore_eval(q, A, R) != RULECORE_OK || rulecore_result_int(R) != 10 + 19 + 50;
  }
  size_t after = hook_calls;
  rulecore_program_free(p);
  rulecore_program_free(q);
  rulecore_set_allocator(NULL, NULL);
  ck_assert_int_eq(fails, 0);
  ck_assert_int_eq(st1, RULECORE_OK);
  ck_assert_int_eq(st2, RULECORE_OK);
  ck_assert_int_eq(wrong, 0);
  ck_assert_msg(after == before, "a reset, the same fill and the same evaluations allocated %zu times",
                after - before);
}
END_TEST

/* Filling from JSON text again, after a reset, allocates nothing once
 * the activation has held as large a context (with diagnostics not asked
 * for; a failed fill's diagnostics are what allocates). */
START_TEST(test_json_refill_no_allocation) {
  static const char ctx_json[] =
      "{\"user\": {\"age\": 30, \"city\": \"Beijing\", \"tags\": [\"vip\", \"early\", \"h\\u00e9\"], \"score\": 87.5},"
      " \"items\": [{\"sku\": \"A1\", \"qty\": 2}, {\"sku\": \"B2\", \"qty\": 1}, {\"sku\": \"C3\", \"qty\": 3}],"
      " \"counts\": {\"a\": 1, \"b\": 2}, \"ids\": {\"1\": \"one\"}, \"grid\": [[1, 2], []],"
      " \"anything\": {\"k\": [1, 2.5, \"s\", null]}, \"by\": \"AP8=\", \"ts\": \"2009-02-13T23:31:30Z\","
      " \"du\": \"1.5s\", \"d\": 0.30000000000000000000001, \"u\": \"18446744073709551615\"}";
  static const char typed_json[] = "{\"i\": {\"int\": \"5\"}, \"grid\": {\"list\": [{\"list\": [{\"int\": \"1\"}]}]},"
                                   " \"ids\": {\"map\": [[{\"int\": \"5\"}, {\"string\": \"five\"}]]}}";
  rulecore_set_allocator(counting_realloc, NULL);
  rulecore_program *p = compile_in(E, "user.tags.size() + items.size() + counts['b'] + grid[0][0]");
  rulecore_status st = rulecore_activation_set_json(A, ctx_json, strlen(ctx_json), RULECORE_JSON_PLAIN, NULL);
  rulecore_status st_typed = rulecore_activation_set_json(A, typed_json, strlen(typed_json), RULECORE_JSON_TYPED, NULL);
  rulecore_status est = rulecore_eval(p, A, R);
  size_t before = hook_calls;
  int wrong = 0;
  for (int k = 0; k < 5; k++) {
    rulecore_activation_reset(A);
    wrong += rulecore_activation_set_json(A, ctx_json, strlen(ctx_json), RULECORE_JSON_PLAIN, NULL) != RULECORE_OK;
    wrong += rulecore_activation_set_json(A, typed_json, strlen(typed_json), RULECORE_JSON_TYPED, NULL) != RULECORE_OK;
    wrong += rulecore_eval(p, A, R) != RULECORE_OK || rulecore_result_int(R) != 3 + 3 + 2 + 1;
  }
  size_t after = hook_calls;
  rulecore_program_free(p);
  rulecore_set_allocator(NULL, NULL);
  ck_assert_int_eq(st, RULECORE_OK);
  ck_assert_int_eq(st_typed, RULECORE_OK);
  ck_assert_int_eq(est, RULECORE_OK);
  ck_assert_int_eq(wrong, 0);
  ck_assert_msg(after == before, "a reset and the same JSON fills allocated %zu times", after - before);
}
END_TEST

/* ---- allocation failures ---- */

static long fail_at;     /* the allocation call that fails (1-based); 0: none */
static long alloc_calls; /* allocation calls since the count was reset */
static bool failed_one;  /* whether the failure happened */

static void *failing_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  if (n == 0) {
    free(p);
    return NULL;
  }
  if (++alloc_calls == fail_at) {
    failed_one = true;
    return NULL;
  }
  return realloc(p, n);
}

static const char alloc_ctx[] = "{\"user\": {\"age\": 30, \"city\": \"Beijing\", \"tags\": [\"vip\", \"a1\"], "
                                "\"score\": 1.5}, \"items\": [{\"sku\": \"x\", \"qty\": 1}], \"s\": \"hello\"}";

/* Programs whose evaluation allocates: strings, lists, maps, a regex's
 * match data, a regex compiled at run time, an error message. */
static const struct {
  const char *expr, *want;
} alloc_cases[] = {
    {"user.age > 18 && user.city == 'Beijing'", "true"},
    {"user.tags.map(t, t + '!').filter(t, t.matches('^[a-z0-9]+!$'))", "[\"vip!\", \"a1!\"]"},
    {"s.matches(user.tags[0] + '|l+')", "true"},
    {"{'k': items.map(x, x.sku), 'n': [counts.a, size(s)], 'g': grid}",
     "{\"k\": [\"x\"], \"n\": [7, 5], \"g\": [[1, 2], [3]]}"},
    {"string(user.score) + s", "\"1.5hello\""},
    {"int(s)", "error: cannot convert"},
};

/* Build counts {"a": 7, "k0": 0, ...} and grid [[1, 2], [3]]; the first
 * status that is not RULECORE_OK. */
static rulecore_status build_under_test(rulecore_activation *a) {
  rulecore_status st = rulecore_activation_begin_map(a, slot("counts"));
  for (int k = 0; k < 12 && st == RULECORE_OK; k++) {
    char key[8];
    snprintf(key, sizeof key, "k%d", k);
    st = rulecore_activation_key_string(a, key, strlen(key));
    if (st == RULECORE_OK) st = rulecore_activation_set_int(a, RULECORE_NEXT, k);
  }
  if (st == RULECORE_OK) st = rulecore_activation_key_string(a, "a", 1);
  if (st == RULECORE_OK) st = rulecore_activation_set_int(a, RULECORE_NEXT, 7);
  if (st == RULECORE_OK) st = rulecore_activation_end(a);
  if (st == RULECORE_OK) st = rulecore_activation_begin_list(a, slot("grid"));
  for (int k = 0; k < 2 && st == RULECORE_OK; k++) {
    st = rulecore_activation_begin_list(a, RULECORE_NEXT);
    for (int j = 1 + 2 * k; j <= 2 + k && st == RULECORE_OK; j++) st = rulecore_activation_set_int(a, RULECORE_NEXT, j);
    if (st == RULECORE_OK) st = rulecore_activation_end(a);
  }
  if (st == RULECORE_OK) st = rulecore_activation_end(a);
  return st;
}

/* One run with allocation call n failing, counted from the activation's
 * creation (json_too) or from just after its JSON fill: fill and evaluate
 * under the failure, then again without it on the same objects.  "" when
 * every status was OK or NOMEM and every value right, else what went
 * wrong; *failed says whether call n was reached. */
static const char *alloc_run(long n, bool json_too, rulecore_program *const *p, bool *failed) {
  static char why[512];
  why[0] = '\0';
  alloc_calls = 0;
  failed_one = false;
  fail_at = json_too ? n : 0;
  rulecore_activation *a = rulecore_activation_new(S);
  rulecore_result *r = rulecore_result_new();
  for (int pass = 0; pass < 2 && a && r && !why[0]; pass++) {
    /* pass 0 under the failure; pass 1 after it, on the same objects */
    rulecore_status st = rulecore_activation_set_json(a, alloc_ctx, strlen(alloc_ctx), RULECORE_JSON_PLAIN, NULL);
    if (st != RULECORE_OK && (pass || !json_too || st != RULECORE_ERR_NOMEM)) {
      snprintf(why, sizeof why, "pass %d: set_json: status %d, not RULECORE_ERR_NOMEM", pass, (int)st);
      break;
    }
    if (pass == 0 && !json_too) {
      alloc_calls = 0;
      fail_at = n;
    }
    rulecore_status bst = st == RULECORE_OK ? build_under_test(a) : st;
    if (bst != RULECORE_OK && (pass || bst != RULECORE_ERR_NOMEM)) {
      snprintf(why, sizeof why, "pass %d: the builder: status %d, not RULECORE_ERR_NOMEM", pass, (int)bst);
      break;
    }
    for (size_t k = 0; k < LEN(alloc_cases) && st == RULECORE_OK && bst == RULECORE_OK; k++) {
      rulecore_status est = rulecore_eval(p[k], a, r);
      char got[OUT_MAX];
      outcome_text(got, sizeof got, est, r);
      bool nomem = est == RULECORE_ERR_NOMEM || strcmp(got, "(render failed)") == 0;
      if (nomem && pass == 0) continue;
      bool right = strncmp(alloc_cases[k].want, "error: ", 7) == 0
                       ? est == RULECORE_ERR_EVAL && strstr(got, alloc_cases[k].want + 7)
                       : est == RULECORE_OK && strcmp(got, alloc_cases[k].want) == 0;
      if (!right) {
        snprintf(why, sizeof why, "pass %d: %s: status %d, %.200s", pass, alloc_cases[k].expr, (int)est, got);
        break;
      }
    }
    if (pass == 0) fail_at = 0;
  }
  rulecore_result_free(r);
  rulecore_activation_free(a);
  *failed = failed_one;
  fail_at = 0;
  return why;
}

/* Fail each allocation, one at a time, from the first (json_too) or from
 * after the JSON fill; the test's failure message, or "". */
static const char *alloc_failures(bool json_too) {
  static char why[600];
  why[0] = '\0';
  rulecore_program *p[LEN(alloc_cases)];
  for (size_t k = 0; k < LEN(alloc_cases); k++) p[k] = compile_in(E, alloc_cases[k].expr);
  rulecore_set_allocator(failing_realloc, NULL);
  long n = 1, runs_failed = 0;
  for (; n < 20000; n++) {
    bool failed;
    const char *w = alloc_run(n, json_too, p, &failed);
    if (w[0]) {
      snprintf(why, sizeof why, "allocation %ld failing: %s", n, w);
      break;
    }
    if (!failed) break; /* fewer allocations than n: every one was tried */
    runs_failed++;
  }
  rulecore_set_allocator(NULL, NULL);
  for (size_t k = 0; k < LEN(alloc_cases); k++) rulecore_program_free(p[k]);
  if (!why[0] && n >= 20000) snprintf(why, sizeof why, "still failing allocations after %ld runs", n);
  /* Not vacuous: the evaluations below allocate (pool chunks, match data,
   * a regex compiled at run time) a dozen times or more. */
  if (!why[0] && runs_failed < 10) snprintf(why, sizeof why, "only %ld allocations were tried", runs_failed);
  return why;
}

/* Every allocation of filling an activation from JSON, then building and
 * evaluating: each call returns RULECORE_OK or RULECORE_ERR_NOMEM, and the
 * same objects work once memory is back.  (Parsing is left out:
 * tree-sitter aborts when an allocation fails.) */
START_TEST(test_allocation_failures_fill) {
  const char *why = alloc_failures(true);
  ck_assert_msg(!why[0], "%s", why);
}
END_TEST

/* The same from after the JSON fill: the builder and evaluations. */
START_TEST(test_allocation_failures_eval) {
  const char *why = alloc_failures(false);
  ck_assert_msg(!why[0], "%s", why);
}
END_TEST

/* ---- one program, one activation, several threads ---- */

#define THREADS 4
#define THREAD_ROUNDS 100000

static const char thread_w1[] = "user.age > 18 && user.city == 'Beijing' && user.score >= 1.5";
static const char thread_macro[] =
    "user.tags.filter(t, t.matches('^[a-z]+[0-9]$')).map(t, t.size()).size() + "
    "(user.tags.exists(t, t.startsWith('v')) ? 100 : 0)";
static const char thread_dynamic[] = "user.city.matches(user.tags[0] + '|^Bei.*g$')";

typedef struct worker {
  const rulecore_program *w1, *macro, *dynamic;
  int bad;
  char why[128];
} worker;

static void *work(void *arg) {
  worker *w = arg;
  rulecore_result *r = rulecore_result_new();
  if (!r) {
    w->bad = 1;
    snprintf(w->why, sizeof w->why, "no result");
    return NULL;
  }
  for (int k = 0; k < THREAD_ROUNDS && !w->bad; k++) {
    rulecore_status st = rulecore_eval(w->w1, A, r);
    if (st != RULECORE_OK || rulecore_result_kind(r) != RULECORE_KIND_BOOL || rulecore_result_bool(r) != 1) {
      w->bad = 1;
      snprintf(w->why, sizeof w->why, "round %d: W1 gave status %d kind %d", k, (int)st, (int)rulecore_result_kind(r));
      break;
    }
    st = rulecore_eval(w->macro, A, r);
    if (st != RULECORE_OK || rulecore_result_int(r) != 102) {
      w->bad = 1;
      snprintf(w->why, sizeof w->why, "round %d: the comprehension gave status %d, %lld", k, (int)st,
               (long long)rulecore_result_int(r));
      break;
    }
    if (k % 10 == 0) {
      st = rulecore_eval(w->dynamic, A, r);
      if (st != RULECORE_OK || rulecore_result_bool(r) != 1) {
        w->bad = 1;
        snprintf(w->why, sizeof w->why, "round %d: the dynamic regex gave status %d", k, (int)st);
      }
    }
  }
  rulecore_result_free(r);
  return NULL;
}

START_TEST(test_threads) {
  assert_json_ok("{\"user\": {\"age\": 30, \"city\": \"Beijing\", \"score\": 1.5, "
                 "\"tags\": [\"vip\", \"a1\", \"bb2\", \"x\", \"C3\"]}}",
                 RULECORE_JSON_PLAIN);
  rulecore_program *p1 = compile_in(E, thread_w1), *p2 = compile_in(E, thread_macro),
                   *p3 = compile_in(E, thread_dynamic);
  worker w[THREADS];
  pthread_t th[THREADS];
  int started = 0;
  for (int k = 0; k < THREADS; k++) {
    w[k] = (worker){.w1 = p1, .macro = p2, .dynamic = p3};
    if (pthread_create(&th[k], NULL, work, &w[k]) == 0) started++;
  }
  for (int k = 0; k < started; k++) pthread_join(th[k], NULL);
  rulecore_program_free(p1);
  rulecore_program_free(p2);
  rulecore_program_free(p3);
  ck_assert_int_eq(started, THREADS);
  for (int k = 0; k < THREADS; k++) ck_assert_msg(!w[k].bad, "thread %d: %s", k, w[k].why);
}
END_TEST

/* ---- RULECORE_LIMIT_EVAL_COST ---- */

/* "[0, 1, ..., n-1]" into buf[0..cap). */
static const char *range_list(char *buf, size_t cap, int n) {
  size_t k = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < n && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, "%s%d", i ? ", " : "", i);
  if (k < cap) snprintf(buf + k, cap - k, "]");
  return buf;
}

/* Three nested map() over 50 elements: 127550 iterations. */
static const char *expensive(void) {
  static char expr[4096];
  char r[512];
  range_list(r, sizeof r, 50);
  snprintf(expr, sizeof expr, "%s.map(x, %s.map(y, %s.map(z, x + y + z)))", r, r, r);
  return expr;
}

/* expr with "%s" replaced by the expensive expression. */
static const char *around(const char *fmt) {
  static char expr[8192];
  snprintf(expr, sizeof expr, fmt, expensive());
  return expr;
}

/* The outcome of expr compiled in env against A, and the status. */
static const char *run_env(const rulecore_env *env, const char *expr, rulecore_status *st) {
  static char out[OUT_MAX];
  rulecore_program *p = compile_in(env, expr);
  *st = rulecore_eval(p, A, R);
  outcome_text(out, sizeof out, *st, R);
  rulecore_program_free(p);
  return out;
}

START_TEST(test_cost_limit) {
  ck_assert_int_eq(rulecore_activation_set_bool(A, slot("t"), 1), RULECORE_OK);
  rulecore_status st;
  /* No limit: it completes. */
  assert_outcome("expensive", run_env(E, around("%s[49][49][49]"), &st), "147");
  ck_assert_int_eq(rulecore_env_limit(E, RULECORE_LIMIT_EVAL_COST), UINT64_MAX);
  ck_assert_int_eq(rulecore_env_set_limit(E, RULECORE_LIMIT_EVAL_COST, 1000), RULECORE_OK);
  ck_assert_int_eq(rulecore_env_limit(E, RULECORE_LIMIT_EVAL_COST), 1000);
  const char *const absorbing[] = {
      "%s.size() > 0",
      "%s.size() > 0 || t",
      "t && %s.size() > 0",
      "%s.size() < 0 && !t",
      "[0, 1].exists(v, v == 1 || %s.size() < 0)",
      "[1, 0].all(v, v == 1 && %s.size() > 0)",
      "[1, 0].exists_one(v, %s.size() < 0)",
      "(%s.size() > 0) ? 1 : 2",
      "t ? %s : []",
  };
  for (size_t k = 0; k < LEN(absorbing); k++) {
    const char *got = run_env(E, around(absorbing[k]), &st);
    ck_assert_msg(st == RULECORE_ERR_EVAL, "%s: status %d (%s), expected RULECORE_ERR_EVAL", absorbing[k], (int)st,
                  got);
    ck_assert_msg(strstr(got, "cost limit"), "%s: \"%s\" does not mention the cost limit", absorbing[k], got);
    ck_assert_msg(strstr(got, "1000"), "%s: \"%s\" does not give the limit", absorbing[k], got);
  }
  /* Cheap programs still run under the limit, on the same result. */
  char r[512];
  range_list(r, sizeof r, 50);
  char cheap[1024];
  snprintf(cheap, sizeof cheap, "%s.map(x, x * 2)[49]", r);
  assert_outcome(cheap, run_env(E, cheap, &st), "98");
  /* The program keeps the limit it was compiled with. */
  rulecore_program *limited = compile_in(E, around("%s.size()"));
  ck_assert_int_eq(rulecore_env_set_limit(E, RULECORE_LIMIT_EVAL_COST, UINT64_C(1) << 40), RULECORE_OK);
  rulecore_program *unlimited = compile_in(E, around("%s.size()"));
  char a[256], b[256];
  copy_text(a, sizeof a, run_prog(limited, A));
  copy_text(b, sizeof b, run_prog(unlimited, A));
  rulecore_program_free(limited);
  rulecore_program_free(unlimited);
  ck_assert_msg(strstr(a, "cost limit"), "compiled under the limit: \"%s\"", a);
  ck_assert_str_eq(b, "50");
}
END_TEST

START_TEST(test_cost_limit_arguments) {
  ck_assert_int_eq(rulecore_env_set_limit(E, RULECORE_LIMIT_EVAL_COST, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_env_set_limit(NULL, RULECORE_LIMIT_EVAL_COST, 10), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_env_limit(NULL, RULECORE_LIMIT_EVAL_COST), 0);
  ck_assert_int_eq(rulecore_env_set_limit(E, RULECORE_LIMIT_EVAL_COST, 1), RULECORE_OK);
  rulecore_status st;
  /* One unit: constants and a one-element comprehension still run. */
  assert_outcome("1 + 2", run_env(E, "1 + 2", &st), "3");
  assert_outcome("[7].map(x, x)", run_env(E, "[7].map(x, x)", &st), "[7]");
  const char *got = run_env(E, "[7, 8].map(x, x)", &st);
  ck_assert_msg(st == RULECORE_ERR_EVAL && strstr(got, "cost limit"), "[7, 8].map(x, x) under 1 unit: %s", got);
}
END_TEST

/* ---- regular expression limits ---- */

START_TEST(test_regex_limits) {
  char subject[6000];
  memset(subject, 'a', 5000);
  subject[5000] = '!';
  subject[5001] = '\0';
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("s"), subject, 5001), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("user.city"), "^(a|aa)+$", 9), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_bool(A, slot("t"), 1), RULECORE_OK);
  const char *const cases[] = {
      "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'.matches('^(a+)+$')",
      "s.matches('^(a+)+$')",
      "s.matches('(a*)*b')",
      "s.matches(user.city)",
      "matches(s, '^(a|a)+$')",
  };
  for (size_t k = 0; k < LEN(cases); k++) {
    rulecore_status st;
    const char *got = run_env(E, cases[k], &st);
    ck_assert_msg(st == RULECORE_ERR_EVAL || (st == RULECORE_OK && strcmp(got, "false") == 0),
                  "%s: status %d: %s", cases[k], (int)st, got);
    if (st == RULECORE_ERR_EVAL)
      ck_assert_msg(strstr(got, "regular expression") && strstr(got, "limit"), "%s: \"%s\"", cases[k], got);
  }
  /* A regex limit is an ordinary error value: || absorbs it. */
  assert_run("s.matches('^(a+)+$') || t", "true");
  assert_run("s.matches('^(a+)+$') && !t", "false");
  /* The same result evaluates the next program normally. */
  assert_run("s.matches('^a+!$')", "true");
}
END_TEST

/* ---- rulecore_result_error: positions ---- */

static const struct {
  const char *expr;
  uint32_t line, column;
  const char *message;
} position_cases[] = {
    {"1 +\n  2 / 0", 2, 5, "division by zero"},
    {"'h\xc3\xa9llo' + string(1/0)", 1, 19, "division by zero"},
    {"[1, 2]\n  .map(x, x / 0)", 2, 13, "division by zero"},
    {"1 % 0", 1, 3, "modulus by zero"},
    {"true &&\n\n   [1][1] > 0", 3, 8, "index out of range"}, /* indexing: at the index */
    {"9223372036854775807 + 1", 1, 21, "overflow"},
    {"0\n+ int('x')", 2, 3, "cannot convert"},
    {"{'a': 1}\n  ['b']", 2, 4, "no such key"},
};

START_TEST(test_error_position) {
  rulecore_program *p = NULL;
  const char *src = position_cases[_i].expr;
  rulecore_status cst = rulecore_compile_source(NULL, src, strlen(src), NULL, NULL, &p, NULL);
  rulecore_result *r = rulecore_result_new();
  rulecore_status st = p && r ? rulecore_eval(p, NULL, r) : RULECORE_ERR_NOMEM;
  uint32_t line = 99, column = 99;
  const char *m = rulecore_result_error(r, &line, &column);
  char msg[256];
  snprintf(msg, sizeof msg, "%s", m ? m : "(none)");
  rulecore_kind kind = rulecore_result_kind(r);
  rulecore_result_free(r);
  rulecore_program_free(p);
  ck_assert_int_eq(cst, RULECORE_OK);
  ck_assert_int_eq(st, RULECORE_ERR_EVAL);
  ck_assert_int_eq(kind, RULECORE_KIND_ERROR);
  ck_assert_msg(strstr(msg, position_cases[_i].message), "%s: message \"%s\"", show(src, strlen(src)), msg);
  ck_assert_msg(line == position_cases[_i].line && column == position_cases[_i].column,
                "%s: at %u:%u, expected %u:%u", show(src, strlen(src)), line, column, position_cases[_i].line,
                position_cases[_i].column);
}
END_TEST

/* A missing field: the position of the field's name. */
START_TEST(test_error_position_fields) {
  rulecore_program *p = compile_in(E, "user.age > 18 &&\n  user.city == 'x'");
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("user.age"), 30), RULECORE_OK);
  rulecore_status st = rulecore_eval(p, A, R);
  uint32_t line = 0, column = 0;
  const char *m = rulecore_result_error(R, &line, &column);
  char msg[256];
  snprintf(msg, sizeof msg, "%s", m ? m : "(none)");
  rulecore_program_free(p);
  ck_assert_int_eq(st, RULECORE_ERR_EVAL);
  ck_assert_msg(strstr(msg, "no such key") && strstr(msg, "city"), "message \"%s\"", msg);
  ck_assert_uint_eq(line, 2);
  ck_assert_uint_eq(column, 8); /* the field's name */
}
END_TEST

/* A value result has no error: NULL and position 0:0. */
START_TEST(test_error_none) {
  assert_run("1 + 1", "2");
  uint32_t line = 9, column = 9;
  ck_assert_ptr_null(rulecore_result_error(R, &line, &column));
  ck_assert_uint_eq(line, 0);
  ck_assert_uint_eq(column, 0);
  ck_assert_ptr_null(rulecore_result_error(R, NULL, NULL));
  ck_assert_ptr_null(rulecore_result_error(NULL, &line, &column));
  ck_assert_uint_eq(line, 0);
}
END_TEST

/* ---- results: kinds, accessors, renderings ---- */

/* The renderings of expr's value in every format, copied. */
typedef struct rendered {
  rulecore_status status;
  rulecore_kind kind;
  char text[1024], json[1024], typed[2048];
} rendered;

static rendered render_all(const char *expr) {
  rendered out = {0};
  rulecore_program *p = compile_in(E, expr);
  out.status = rulecore_eval(p, A, R);
  out.kind = rulecore_result_kind(R);
  char *z[3] = {rulecore_result_render(R, RULECORE_FORMAT_TEXT), rulecore_result_render(R, RULECORE_FORMAT_JSON),
                rulecore_result_render(R, RULECORE_FORMAT_TYPED_JSON)};
  snprintf(out.text, sizeof out.text, "%s", z[0] ? z[0] : "(null)");
  snprintf(out.json, sizeof out.json, "%s", z[1] ? z[1] : "(null)");
  snprintf(out.typed, sizeof out.typed, "%s", z[2] ? z[2] : "(null)");
  for (int k = 0; k < 3; k++) rulecore_free(z[k]);
  rulecore_program_free(p);
  return out;
}

static const struct {
  const char *expr;
  rulecore_kind kind;
  const char *text, *json, *typed;
} render_cases[] = {
    {"[1, 'a', 2.5, true, null, b'\\x01']", RULECORE_KIND_LIST, "[1, \"a\", 2.5, true, null, b\"\\x01\"]",
     "[1,\"a\",2.5,true,null,\"AQ==\"]",
     "{\"list\":[{\"int\":\"1\"},{\"string\":\"a\"},{\"double\":2.5},{\"bool\":true},{\"null\":null},"
     "{\"bytes\":\"AQ==\"}]}"},
    {"{'a': [1], 'b': {'c': 2u}}", RULECORE_KIND_MAP, "{\"a\": [1], \"b\": {\"c\": 2u}}", "{\"a\":[1],\"b\":{\"c\":2}}",
     "{\"map\":[[{\"string\":\"a\"},{\"list\":[{\"int\":\"1\"}]}],[{\"string\":\"b\"},{\"map\":[[{\"string\":\"c\"},"
     "{\"uint\":\"2\"}]]}]]}"},
    {"{1: 'x', 2: 'y'}", RULECORE_KIND_MAP, "{1: \"x\", 2: \"y\"}", "{\"1\":\"x\",\"2\":\"y\"}",
     "{\"map\":[[{\"int\":\"1\"},{\"string\":\"x\"}],[{\"int\":\"2\"},{\"string\":\"y\"}]]}"},
    {"[]", RULECORE_KIND_LIST, "[]", "[]", "{\"list\":[]}"},
    {"{}", RULECORE_KIND_MAP, "{}", "{}", "{\"map\":[]}"},
    {"[timestamp('2009-02-13T23:31:30Z'), duration('1.5s')]", RULECORE_KIND_LIST,
     "[timestamp(\"2009-02-13T23:31:30Z\"), duration(\"1.5s\")]", "[\"2009-02-13T23:31:30Z\",\"1.5s\"]",
     "{\"list\":[{\"timestamp\":\"2009-02-13T23:31:30Z\"},{\"duration\":\"1.5s\"}]}"},
    {"[1.0 / 0.0, 0.1, 1e100]", RULECORE_KIND_LIST, "[double(\"Infinity\"), 0.1, 1e+100]",
     "[\"Infinity\",0.1,1e+100]", "{\"list\":[{\"double\":\"Infinity\"},{\"double\":0.1},{\"double\":1e+100}]}"},
    {"'a\"b\\n'", RULECORE_KIND_STRING, "\"a\\\"b\\n\"", "\"a\\\"b\\n\"", "{\"string\":\"a\\\"b\\n\"}"},
    {"-5", RULECORE_KIND_INT, "-5", "-5", "{\"int\":\"-5\"}"},
    {"5u", RULECORE_KIND_UINT, "5u", "5", "{\"uint\":\"5\"}"},
    {"null", RULECORE_KIND_NULL, "null", "null", "{\"null\":null}"},
    {"Item{sku: 'a', qty: 1}", RULECORE_KIND_RECORD, "Item{sku: \"a\", qty: 1}", "{\"qty\":1,\"sku\":\"a\"}",
     "{\"record\":{\"type\":\"Item\",\"fields\":{\"qty\":{\"int\":\"1\"},\"sku\":{\"string\":\"a\"}}}}"},
    {"type(1)", RULECORE_KIND_TYPE, "int", "\"int\"", "{\"type\":\"int\"}"},
    {"ip('::1')", RULECORE_KIND_OPAQUE, "ip(\"::1\")", "\"::1\"", "{\"net.IP\":\"::1\"}"},
    {"[cidr('10.0.0.0/8')]", RULECORE_KIND_LIST, "[cidr(\"10.0.0.0/8\")]", "[\"10.0.0.0/8\"]",
     "{\"list\":[{\"net.CIDR\":\"10.0.0.0/8\"}]}"},
};

START_TEST(test_render) {
  rendered got = render_all(render_cases[_i].expr);
  ck_assert_msg(got.status == RULECORE_OK, "%s: status %d", render_cases[_i].expr, (int)got.status);
  ck_assert_int_eq(got.kind, render_cases[_i].kind);
  assert_text_eq(got.text, render_cases[_i].text);
  assert_text_eq(got.json, render_cases[_i].json);
  assert_text_eq(got.typed, render_cases[_i].typed);
}
END_TEST

/* What RULECORE_FORMAT_TYPED_JSON renders, rulecore_activation_set_json
 * reads back in the TYPED style as the same value. */
static const char *const roundtrip_cases[] = {
    "[1, -2]",
    "[1u, 2.5, 'a', b'\\x00\\xff', true, null]",
    "{'a': {1: [2u]}}",
    "{true: timestamp('2009-02-13T23:31:30.5Z'), false: duration('-1.5s')}",
    "18446744073709551615u",
    "-9223372036854775808",
    "0.1",
    "1e100",
    "'h\xc3\xa9\"\\n'",
};

/* Evaluate expr, render it as typed JSON, and fill variable var from
 * {"var": <rendering>}; the fill's outcome. */
static fill_result roundtrip(const char *expr, const char *var) {
  rendered got = render_all(expr);
  ck_assert_msg(got.status == RULECORE_OK, "%s: status %d", expr, (int)got.status);
  static char json[4096];
  snprintf(json, sizeof json, "{\"%s\": %s}", var, got.typed);
  return set_json(json, RULECORE_JSON_TYPED);
}

START_TEST(test_render_roundtrip) {
  const char *expr = roundtrip_cases[_i];
  fill_result f = roundtrip(expr, "anything");
  ck_assert_msg(f.status == RULECORE_OK, "%s: the typed rendering does not read back: %s", expr, f.message);
  char eq[512];
  snprintf(eq, sizeof eq, "anything == %s", expr);
  assert_run(eq, "true");
}
END_TEST

START_TEST(test_render_roundtrip_record) {
  fill_result f = roundtrip("Item{sku: 'a', qty: 1}", "item");
  ck_assert_msg(f.status == RULECORE_OK, "a record's typed rendering does not read back: %s", f.message);
  assert_run("item == Item{sku: 'a', qty: 1}", "true");
}
END_TEST

/* An error result renders as its message. */
START_TEST(test_render_error) {
  rendered got = render_all("1 / 0");
  ck_assert_int_eq(got.status, RULECORE_ERR_EVAL);
  ck_assert_int_eq(got.kind, RULECORE_KIND_ERROR);
  assert_text_eq(got.text, "error: division by zero");
  assert_text_eq(got.json, "\"division by zero\"");
  assert_text_eq(got.typed, "{\"error\":\"division by zero\"}");
  ck_assert_ptr_null(rulecore_result_render(R, RULECORE_FORMAT_SEXP));
  ck_assert_ptr_null(rulecore_result_render(NULL, RULECORE_FORMAT_TEXT));
}
END_TEST

/* Each accessor gives its kind's value, and 0 / NULL for the others. */
START_TEST(test_accessors) {
  size_t n = 99;
  assert_run_kept("-3", "-3");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_INT);
  ck_assert_int_eq(rulecore_result_int(R), -3);
  ck_assert_uint_eq(rulecore_result_uint(R), 0);
  ck_assert(rulecore_result_double(R) == 0.0);
  ck_assert_int_eq(rulecore_result_bool(R), 0);
  ck_assert_ptr_null(rulecore_result_string(R, &n));
  ck_assert_uint_eq(n, 0);
  assert_run_kept("18446744073709551615u", "18446744073709551615u");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_UINT);
  ck_assert_uint_eq(rulecore_result_uint(R), UINT64_MAX);
  ck_assert_int_eq(rulecore_result_int(R), 0);
  assert_run_kept("2.5", "2.5");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_DOUBLE);
  ck_assert(rulecore_result_double(R) == 2.5);
  ck_assert_int_eq(rulecore_result_int(R), 0);
  assert_run_kept("1 < 2", "true");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_BOOL);
  ck_assert_int_eq(rulecore_result_bool(R), 1);
  assert_run_kept("'a\\x00b' + 'c'", "\"a\\x00bc\"");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_STRING);
  const char *z = rulecore_result_string(R, &n);
  ck_assert_uint_eq(n, 4);
  ck_assert(z && memcmp(z, "a\0bc", 4) == 0);
  ck_assert_ptr_nonnull(rulecore_result_string(R, NULL));
  assert_run_kept("b'\\xff\\x00'", "b\"\\xff\\x00\"");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_BYTES);
  z = rulecore_result_string(R, &n);
  ck_assert_uint_eq(n, 2);
  ck_assert(z && memcmp(z, "\xff\0", 2) == 0);
  assert_run_kept("timestamp(0)", "timestamp(\"1970-01-01T00:00:00Z\")");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_TIMESTAMP);
  assert_run_kept("duration('1s')", "duration(\"1s\")");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_DURATION);
  assert_run_kept("null", "null");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_NULL);
  assert_run_kept("[1].size() / 0", "error: division by zero");
  ck_assert_int_eq(rulecore_result_kind(R), RULECORE_KIND_ERROR);
  ck_assert_int_eq(rulecore_result_int(R), 0);
  ck_assert_ptr_null(rulecore_result_string(R, &n));
  /* A new result holds null. */
  rulecore_result *fresh = rulecore_result_new();
  rulecore_kind k = rulecore_result_kind(fresh);
  const char *err = rulecore_result_error(fresh, NULL, NULL);
  rulecore_result_free(fresh);
  ck_assert_int_eq(k, RULECORE_KIND_NULL);
  ck_assert_ptr_null(err);
  ck_assert_int_eq(rulecore_result_kind(NULL), RULECORE_KIND_NULL);
  ck_assert_int_eq(rulecore_result_int(NULL), 0);
  ck_assert_ptr_null(rulecore_result_string(NULL, &n));
}
END_TEST

/* A result stays valid until its next evaluation while the program and
 * the activation it read live unchanged (rulecore_eval's contract): a
 * folded constant, a string from the activation and one built by the
 * evaluation all survive another program evaluated into another result. */
START_TEST(test_result_lifetime) {
  ck_assert_int_eq(rulecore_activation_set_string(A, slot("s"), "first value", 11), RULECORE_OK);
  const char *exprs[] = {"'con' + 'stant'", "s", "s + '!'"};
  const char *want[] = {"constant", "first value", "first value!"};
  for (int i = 0; i < 3; i++) {
    rulecore_program *p = compile_kept(E, exprs[i]);
    rulecore_result *mine = rulecore_result_new();
    ck_assert_ptr_nonnull(mine);
    rulecore_status st = rulecore_eval(p, A, mine);
    assert_run("'other ' + 'work' + s", "\"other workfirst value\"");
    size_t n = 0;
    const char *z = rulecore_result_string(mine, &n);
    char got[64];
    snprintf(got, sizeof got, "%.*s", z && n < sizeof got ? (int)n : 6, z && n < sizeof got ? z : "(none)");
    rulecore_result_free(mine);
    ck_assert_int_eq(st, RULECORE_OK);
    ck_assert_str_eq(got, want[i]);
  }
}
END_TEST

/* A program that gave an error value evaluates normally afterwards, with
 * the same result object; so does the result with another program. */
START_TEST(test_program_reusable_after_error) {
  rulecore_program *p = compile_kept(E, "100 / i + user.age");
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("i"), 0), RULECORE_OK);
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("user.age"), 1), RULECORE_OK);
  char first[128], second[128], third[128];
  copy_text(first, sizeof first, run_prog(p, A));
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("i"), 4), RULECORE_OK);
  copy_text(second, sizeof second, run_prog(p, A));
  ck_assert_int_eq(rulecore_activation_set_int(A, slot("i"), 0), RULECORE_OK);
  copy_text(third, sizeof third, run_prog(p, A));
  ck_assert_str_eq(first, "error: division by zero");
  ck_assert_str_eq(second, "26");
  ck_assert_str_eq(third, "error: division by zero");
  assert_run("[1, 2].map(x, x * 2)", "[2, 4]");
}
END_TEST

/* ---- API misuse ---- */

START_TEST(test_api_null_arguments) {
  rulecore_program *p = compile_kept(E, "1 + 1");
  ck_assert_int_eq(rulecore_eval(NULL, A, R), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_eval(p, A, NULL), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_eval(p, A, R), RULECORE_OK);
  ck_assert_int_eq(rulecore_eval(p, NULL, R), RULECORE_OK);
  rulecore_program *out = (rulecore_program *)1;
  ck_assert_int_eq(rulecore_compile(E, NULL, &out), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(out);
  ck_assert_int_eq(rulecore_compile_source(E, "1", 1, NULL, NULL, NULL, NULL), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(rulecore_program_type(NULL));
  /* the setters and the builder without an activation */
  ck_assert_int_eq(rulecore_activation_set_null(NULL, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_bool(NULL, 0, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_int(NULL, 0, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_uint(NULL, 0, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_double(NULL, 0, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_string(NULL, 0, "a", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_bytes(NULL, 0, "a", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_timestamp(NULL, 0, 0, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_set_duration(NULL, 0, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_list(NULL, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_begin_map(NULL, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_key_string(NULL, "a", 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_key_int(NULL, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_key_uint(NULL, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_key_bool(NULL, 1), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_activation_end(NULL), RULECORE_ERR_ARGUMENT);
  /* _free(NULL) */
  rulecore_program_free(NULL);
  rulecore_activation_free(NULL);
  rulecore_result_free(NULL);
  rulecore_activation_reset(NULL);
}
END_TEST

/* rulecore_compile_source: source errors give diagnostics and no program. */
START_TEST(test_api_compile_errors) {
  const char *const bad[] = {"1 +", "nope + 1", "user.agee > 1", "1 + 'a'"};
  for (size_t k = 0; k < LEN(bad); k++) {
    rulecore_program *p = (rulecore_program *)1;
    rulecore_diagnostics *d = NULL;
    rulecore_status st = rulecore_compile_source(E, bad[k], strlen(bad[k]), NULL, NULL, &p, &d);
    size_t errors = rulecore_diagnostics_error_count(d);
    rulecore_diagnostics_free(d);
    ck_assert_msg(st == RULECORE_ERR_SOURCE, "%s: status %d", bad[k], (int)st);
    ck_assert_msg(p == NULL, "%s: a program", bad[k]);
    ck_assert_msg(errors >= 1, "%s: no error", bad[k]);
  }
  /* a result type the expression does not have */
  rulecore_program *p = (rulecore_program *)1;
  ck_assert_int_eq(rulecore_compile_source(E, "1 + 1", 5, NULL, "bool", &p, NULL), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(p);
}
END_TEST

/* Without an activation every variable is absent, however many the schema
 * declares. */
START_TEST(test_api_no_activation_many_variables) {
  rulecore_schema *s = rulecore_schema_new();
  for (int k = 0; k < 100; k++) {
    char name[16];
    snprintf(name, sizeof name, "v%d", k);
    ck_assert_int_eq(rulecore_schema_add_variable(s, name, "int"), RULECORE_OK);
  }
  rulecore_env *env = rulecore_env_new();
  ck_assert_int_eq(rulecore_env_set_schema(env, s, NULL), RULECORE_OK);
  rulecore_program *p = compile_in(env, "v99 + 1");
  rulecore_activation *a = rulecore_activation_new(s);
  rulecore_status st_set = rulecore_activation_set_int(a, rulecore_schema_slot(s, "v99"), 41);
  char with[64], without[128];
  copy_text(with, sizeof with, run_prog(p, a));
  copy_text(without, sizeof without, run_prog(p, NULL));
  rulecore_activation_free(a);
  rulecore_program_free(p);
  rulecore_env_free(env);
  rulecore_schema_free(s);
  ck_assert_int_eq(st_set, RULECORE_OK);
  ck_assert_str_eq(with, "42");
  ck_assert_msg(strstr(without, "error: no value for variable 'v99'"), "no activation: \"%s\"", without);
}
END_TEST

/* rulecore_compile wants a checked expression. */
START_TEST(test_api_unchecked_expr) {
  rulecore_expr *e = NULL;
  ck_assert_int_eq(rulecore_parse(E, "1 + 2", 5, NULL, &e, NULL), RULECORE_OK);
  rulecore_program *p = (rulecore_program *)1;
  rulecore_status unchecked = rulecore_compile(E, e, &p);
  rulecore_program *before = p;
  rulecore_status checked = rulecore_check(E, e, NULL, NULL);
  rulecore_program *q = NULL;
  rulecore_status compiled = checked == RULECORE_OK ? rulecore_compile(E, e, &q) : checked;
  rulecore_expr_free(e); /* the program does not refer to the expression */
  rulecore_status evaluated = q ? rulecore_eval(q, NULL, R) : RULECORE_ERR_ARGUMENT;
  int64_t v = rulecore_result_int(R);
  rulecore_program_free(q);
  ck_assert_int_eq(unchecked, RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(before);
  ck_assert_int_eq(compiled, RULECORE_OK);
  ck_assert_int_eq(evaluated, RULECORE_OK);
  ck_assert_int_eq(v, 3);
  /* rulecore_compile with env NULL: default limits */
  e = NULL;
  rulecore_status st = rulecore_parse(NULL, "2 * 3", 5, NULL, &e, NULL);
  if (st == RULECORE_OK) st = rulecore_check(NULL, e, "int", NULL);
  q = NULL;
  if (st == RULECORE_OK) st = rulecore_compile(NULL, e, &q);
  rulecore_expr_free(e);
  char got[64];
  copy_text(got, sizeof got, q ? run_prog(q, NULL) : "(none)");
  rulecore_program_free(q);
  ck_assert_int_eq(st, RULECORE_OK);
  ck_assert_str_eq(got, "6");
}
END_TEST

/* An activation of another schema (even an identical one), or of none, is
 * refused; a program without a schema takes an activation without one. */
START_TEST(test_api_other_schema) {
  rulecore_schema *other = rulecore_schema_new();
  ck_assert_int_eq(rulecore_schema_load(other, user_schema, strlen(user_schema), "other.json", NULL), RULECORE_OK);
  rulecore_activation *a2 = rulecore_activation_new(other);
  rulecore_activation *none = rulecore_activation_new(NULL);
  rulecore_program *p = compile_in(E, "1 + 1");
  rulecore_env *plain = rulecore_env_new();
  rulecore_program *q = compile_in(plain, "2 + 2");
  rulecore_status st_other = rulecore_eval(p, a2, R);
  rulecore_status st_none = rulecore_eval(p, none, R);
  rulecore_status st_mine = rulecore_eval(p, A, R);
  rulecore_status q_mine = rulecore_eval(q, A, R);
  rulecore_status q_none = rulecore_eval(q, none, R);
  int64_t q_value = rulecore_result_int(R);
  rulecore_program_free(p);
  rulecore_program_free(q);
  rulecore_env_free(plain);
  rulecore_activation_free(a2);
  rulecore_activation_free(none);
  rulecore_schema_free(other);
  ck_assert_int_eq(st_other, RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(st_none, RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(st_mine, RULECORE_OK);
  ck_assert_int_eq(q_mine, RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(q_none, RULECORE_OK);
  ck_assert_int_eq(q_value, 4);
}
END_TEST

/* The schema outlives everything made from it while they hold it. */
START_TEST(test_api_references) {
  rulecore_schema *s = rulecore_schema_new();
  rulecore_env *env = rulecore_env_new();
  ck_assert_int_eq(rulecore_schema_add_variable(s, "x", "int"), RULECORE_OK);
  ck_assert_int_eq(rulecore_env_set_schema(env, s, NULL), RULECORE_OK);
  rulecore_program *p = compile_in(env, "x * 2");
  rulecore_activation *a = rulecore_activation_new(s);
  int32_t x = rulecore_schema_slot(s, "x");
  rulecore_env_free(env);
  rulecore_schema_free(s);
  rulecore_status st = rulecore_activation_set_int(a, x, 21);
  char got[64];
  copy_text(got, sizeof got, run_prog(p, a));
  const char *type = rulecore_program_type(p);
  char type_copy[16];
  snprintf(type_copy, sizeof type_copy, "%s", type ? type : "(null)");
  rulecore_activation_free(a);
  rulecore_program_free(p);
  ck_assert_int_eq(st, RULECORE_OK);
  ck_assert_str_eq(got, "42");
  ck_assert_str_eq(type_copy, "int");
}
END_TEST

/* ---- the suite ---- */

Suite *suite_eval(void) {
  Suite *s = suite_create("eval");
  TCase *tc;

  tc = tcase_create("rulecore_eval");
  tcase_add_loop_test(tc, test_arith, 0, (int)LEN(arith_cases));
  tcase_add_loop_test(tc, test_compare, 0, (int)LEN(compare_cases));
  tcase_add_loop_test(tc, test_logic, 0, (int)LEN(logic_cases));
  tcase_add_loop_test(tc, test_strings, 0, (int)LEN(string_cases));
  tcase_add_loop_test(tc, test_conversions, 0, (int)LEN(conversion_cases));
  tcase_add_loop_test(tc, test_time, 0, (int)LEN(time_cases));
  tcase_add_loop_test(tc, test_containers, 0, (int)LEN(container_cases));
  tcase_add_loop_test(tc, test_macros, 0, (int)LEN(macro_cases));
  tcase_add_loop_test(tc, test_network, 0, (int)LEN(net_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_eval_schema");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_w1_true_false);
  tcase_add_test(tc, test_w1_variants);
  tcase_add_test(tc, test_missing_field);
  tcase_add_test(tc, test_missing_variable);
  tcase_add_test(tc, test_setter_wrong_type);
  tcase_add_test(tc, test_program_reusable_after_error);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_schema_slot");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_slots);
  tcase_add_test(tc, test_slots_shared);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_activation_set");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_setters);
  tcase_add_test(tc, test_setters_refuse);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_activation_begin");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_builder_list_of_records);
  tcase_add_test(tc, test_builder_map);
  tcase_add_test(tc, test_builder_nested_lists);
  tcase_add_test(tc, test_builder_empty);
  tcase_add_test(tc, test_builder_errors);
  tcase_add_test(tc, test_builder_error_keeps_old);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_activation_set_json");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_json_plain);
  tcase_add_test(tc, test_json_plain_nonfinite);
  tcase_add_test(tc, test_json_strict_base64);
  tcase_add_loop_test(tc, test_json_plain_big_numbers, 0, (int)LEN(big_numbers));
  tcase_add_test(tc, test_json_plain_int_too_big);
  tcase_add_test(tc, test_json_typed);
  tcase_add_loop_test(tc, test_json_errors, 0, (int)LEN(json_errors));
  tcase_add_test(tc, test_json_arguments);
  tcase_add_test(tc, test_json_no_schema);
  tcase_add_loop_test(tc, test_json_positions, 0, (int)LEN(json_positions));
  tcase_add_loop_test(tc, test_json_syntax_errors, 0, (int)LEN(json_syntax_errors));
  tcase_add_test(tc, test_json_escapes);
  tcase_add_loop_test(tc, test_json_numbers, 0, (int)LEN(json_numbers));
  tcase_add_test(tc, test_json_deep_nesting);
  tcase_add_test(tc, test_json_truncated_and_trailing);
  tcase_add_test(tc, test_json_repeated_keys);
  tcase_add_test(tc, test_json_typed_more);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_activation_reset");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_reset);
  tcase_add_test(tc, test_reuse_many);
  tcase_add_test(tc, test_reset_refill_no_allocation);
  tcase_add_test(tc, test_json_refill_no_allocation);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  /* The allocator hook is process-wide: the test sets it, and restores
   * the C library's before it asserts. */
  tc = tcase_create("rulecore_set_allocator");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_allocation_failures_fill);
  tcase_add_test(tc, test_allocation_failures_eval);
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_eval_threads");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_threads);
  tcase_set_timeout(tc, 600);
  suite_add_tcase(s, tc);

  tc = tcase_create("RULECORE_LIMIT_EVAL_COST");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_cost_limit);
  tcase_add_test(tc, test_cost_limit_arguments);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_eval_regex_limits");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_regex_limits);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_result_error");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_loop_test(tc, test_error_position, 0, (int)LEN(position_cases));
  tcase_add_test(tc, test_error_position_fields);
  tcase_add_test(tc, test_error_none);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_result_render");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_loop_test(tc, test_render, 0, (int)LEN(render_cases));
  tcase_add_loop_test(tc, test_render_roundtrip, 0, (int)LEN(roundtrip_cases));
  tcase_add_test(tc, test_render_roundtrip_record);
  tcase_add_test(tc, test_render_error);
  tcase_add_test(tc, test_accessors);
  tcase_add_test(tc, test_result_lifetime);
  suite_add_tcase(s, tc);

  tc = tcase_create("api_misuse");
  tcase_add_checked_fixture(tc, user_setup, user_teardown);
  tcase_add_test(tc, test_api_null_arguments);
  tcase_add_test(tc, test_api_unchecked_expr);
  tcase_add_test(tc, test_api_compile_errors);
  tcase_add_test(tc, test_api_no_activation_many_variables);
  tcase_add_test(tc, test_api_other_schema);
  tcase_add_test(tc, test_api_references);
  suite_add_tcase(s, tc);

  return s;
}

int main(void) { return check_main(suite_eval()); }
