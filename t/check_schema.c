/*
 * check_schema.c: schemas: declarations through the C API and schema
 * documents (rulecore_schema_load, rulecore_schema_load_file), their
 * resolution (rulecore_schema_freeze) with positions in the document, and
 * the reference an environment keeps.  Declared types are read back with
 * the internal lookups (schema_variable, schema_record, type_spell).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"
#include "type.h"

#include "check_main.h"

Suite *suite_schema(void);

/* ---- snapshots ---- */

/* One load or freeze: its status and diagnostics, copied (see
 * check_main.h: nothing of the library's is left when an assertion fails). */
typedef struct result {
  rulecore_status status;
  bool have_diags;
  size_t count, errors;
  snap_diag d[SNAP_MAX_DIAGS];
  char text[SNAP_TEXT];
} result;

static result R;

static void take(result *r, rulecore_status st, rulecore_diagnostics *d) {
  memset(r, 0, sizeof *r);
  r->status = st;
  r->have_diags = d != NULL;
  snap_diagnostics(d, &r->count, &r->errors, r->d, r->text, sizeof r->text);
  rulecore_diagnostics_free(d);
}

/* Load doc[0..len) into s as file, into R. */
static void load_n(rulecore_schema *s, const char *doc, size_t len, const char *file) {
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_schema_load(s, doc, len, file, &d);
  take(&R, st, d);
}

static void load(rulecore_schema *s, const char *doc) { load_n(s, doc, strlen(doc), "s.json"); }

static void load_file(rulecore_schema *s, const char *path) {
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_schema_load_file(s, path, &d);
  take(&R, st, d);
}

static void freeze(rulecore_schema *s) {
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_schema_freeze(s, &d);
  take(&R, st, d);
}

/* Diagnostic i of R is code at line:column with message. */
#define assert_diag(i, code_, line_, column_, message_)                                                         \
  do {                                                                                                          \
    ck_assert_msg(R.count > (i), "diagnostic %d missing: only %zu (%s)", (int)(i), R.count,                      \
                  show(R.text, strlen(R.text)));                                                                \
    ck_assert_int_eq(R.d[i].code, code_);                                                                      \
    ck_assert_uint_eq(R.d[i].line, line_);                                                                     \
    ck_assert_uint_eq(R.d[i].column, column_);                                                                 \
    assert_text_eq(R.d[i].message, message_);                                                                  \
  } while (0)

/* The spelling of field `field` of record `record` of frozen s, or "(none)". */
static const char *field_type(const rulecore_schema *s, const char *record, const char *field) {
  static char z[128];
  const type *r = schema_record(s, record);
  const record_field *f = r ? type_field(r, field) : NULL;
  return f ? type_spell(z, sizeof z, f->type) : "(none)";
}

/* The spelling of variable name's type, or "(none)". */
static const char *variable_type(const rulecore_schema *s, const char *name) {
  static char z[128];
  const schema_var *v = schema_variable(s, name);
  return v ? type_spell(z, sizeof z, v->type) : "(none)";
}

static unsigned refs_of(rulecore_schema *s) { return atomic_load(&s->refs); }

/* The schema under test, new for each test and freed after it (even after
 * a failed assertion). */
static rulecore_schema *S;

static void schema_setup(void) {
  S = rulecore_schema_new();
  ck_assert_ptr_nonnull(S);
}

static void schema_teardown(void) {
  rulecore_schema_free(S);
  S = NULL;
}

/* ---- rulecore_schema_load: valid documents ---- */

static const char example_doc[] = "{\n"
                                  "  \"types\": {\n"
                                  "    \"Item\":  {\"sku\": \"string\", \"qty\": \"int\"},\n"
                                  "    \"Order\": {\"amount\": \"double\", \"items\": \"list(Item)\"}\n"
                                  "  },\n"
                                  "  \"variables\": {\n"
                                  "    \"user\":  {\"age\": \"int\", \"city\": \"string\", "
                                  "\"tags\": \"list(string)\"},\n"
                                  "    \"order\": \"Order\"\n"
                                  "  }\n"
                                  "}\n";

START_TEST(test_load_example) {
  load(S, example_doc);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert(R.have_diags);
  ck_assert_uint_eq(R.count, 0);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert_uint_eq(R.count, 0);
  ck_assert_uint_eq(S->nrecords, 3); /* Item, Order, user */
  ck_assert_uint_eq(S->nvars, 2);
  ck_assert_str_eq(variable_type(S, "user"), "user");
  ck_assert_str_eq(variable_type(S, "order"), "Order");
  ck_assert_str_eq(field_type(S, "user", "age"), "int");
  ck_assert_str_eq(field_type(S, "user", "city"), "string");
  ck_assert_str_eq(field_type(S, "user", "tags"), "list(string)");
  ck_assert_str_eq(field_type(S, "Order", "amount"), "double");
  ck_assert_str_eq(field_type(S, "Order", "items"), "list(Item)");
  ck_assert_str_eq(field_type(S, "Item", "sku"), "string");
  ck_assert_str_eq(field_type(S, "Item", "qty"), "int");
  ck_assert_uint_eq(schema_record(S, "Item")->nfields, 2);
  ck_assert_uint_eq(schema_record(S, "user")->nfields, 3);
  /* list(Item) names the record itself, not a copy. */
  const type *items = type_field(schema_record(S, "Order"), "items")->type;
  ck_assert_ptr_eq(items->elem, schema_record(S, "Item"));
  ck_assert_ptr_null(schema_record(S, "order")); /* declared with a spelling: no record of its own */
}
END_TEST

/* Both keys are optional; an empty record is a record. */
static const struct {
  const char *doc;
  unsigned nrecords, nvars;
} valid_docs[] = {
    {"{}", 0, 0},
    {" \n{ }\n\n", 0, 0},
    {"{\"types\": {}}", 0, 0},
    {"{\"variables\": {}}", 0, 0},
    {"{\"types\": {\"Empty\": {}}}", 1, 0},
    {"{\"variables\": {\"x\": \"int\", \"m\": \"map(string, list(double))\"}}", 0, 2},
    {"{\"variables\": {\"e\": {}}}", 1, 1},
    {"{\"variables\": {\"a\": \"A\"}, \"types\": {\"A\": {\"b\": \"B\"}, \"B\": {}}}", 2, 1},
};

START_TEST(test_load_valid_table) {
  load(S, valid_docs[_i].doc);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert_uint_eq(R.count, 0);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert_uint_eq(S->nrecords, valid_docs[_i].nrecords);
  ck_assert_uint_eq(S->nvars, valid_docs[_i].nvars);
}
END_TEST

/* Keys and spellings with escapes are decoded. */
START_TEST(test_load_escapes) {
  load(S, "{\"types\": {\"It\\u0065m\": {\"q\\u002dty\": \"in\\u0074\", \"a\\/b\": \"bool\"}},\n"
          " \"variables\": {\"x\\u002ey\": \"Item\"}}");
  ck_assert_int_eq(R.status, RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert_str_eq(field_type(S, "Item", "q-ty"), "int"); /* reachable as Item.`q-ty` */
  ck_assert_str_eq(field_type(S, "Item", "a/b"), "bool");
  ck_assert_str_eq(variable_type(S, "x.y"), "Item");
}
END_TEST

/* The text need not be NUL-terminated: only length bytes are read. */
START_TEST(test_load_length) {
  static const char doc[] = "{\"variables\": {\"x\": \"int\"}}garbage";
  load_n(S, doc, sizeof doc - 1 - strlen("garbage"), "s.json");
  ck_assert_int_eq(R.status, RULECORE_OK);
  rulecore_schema *t = rulecore_schema_new();
  ck_assert_ptr_nonnull(t);
  load_n(t, doc, sizeof doc - 1, "s.json");
  rulecore_schema_free(t);
  assert_diag(0, RULECORE_DIAG_SCHEMA_SYNTAX, 1, 28, "invalid JSON: text after the JSON value");
  ck_assert_uint_eq(R.d[0].length, 7);
}
END_TEST

/* Values the schema does not read are skipped whole, brackets inside
 * strings included: the error spans the whole value. */
START_TEST(test_load_value_span) {
  load(S, "{\"types\": {\"Item\": {\"qty\": {\"a\": [1, {\"b\": \"}]\\\"\"}], \"c\": {}}, \"sku\": 2}}}");
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 2);
  assert_diag(0, RULECORE_DIAG_SCHEMA_SYNTAX, 1, 28,
              "the type of field 'qty' must be a string such as \"int\" or \"list(Item)\", not an object");
  ck_assert_uint_eq(R.d[0].length, strlen("{\"a\": [1, {\"b\": \"}]\\\"\"}], \"c\": {}}"));
  assert_diag(1, RULECORE_DIAG_SCHEMA_SYNTAX, 1, 71,
              "the type of field 'sku' must be a string such as \"int\" or \"list(Item)\", not a number");
}
END_TEST

/* ---- rulecore_schema_load: errors ---- */

static const struct {
  const char *doc;
  int code;
  uint32_t line, column;
  const char *message;
} error_cases[] = {
    /* Shapes. */
    {"[1]", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 1,
     "a schema document must be a JSON object ({\"types\": {...}, \"variables\": {...}}), not an array"},
    {"  \"x\"", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 3,
     "a schema document must be a JSON object ({\"types\": {...}, \"variables\": {...}}), not a string"},
    {"\n\n 42", RULECORE_DIAG_SCHEMA_SYNTAX, 3, 2,
     "a schema document must be a JSON object ({\"types\": {...}, \"variables\": {...}}), not a number"},
    {"{\"types\": []}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 11,
     "\"types\" must be an object of record types ({\"Name\": {\"field\": \"type\"}}), not an array"},
    {"{\"variables\": \"x\"}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 15,
     "\"variables\" must be an object of variables ({\"name\": \"type\"} or {\"name\": {\"field\": \"type\"}}), not a "
     "string"},
    {"{\"types\": {\"Item\": \"string\"}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 20,
     "type 'Item' must be an object of fields ({\"field\": \"type\"}), not a string"},
    {"{\"types\": {\"Item\": {\"qty\": 1}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 28,
     "the type of field 'qty' must be a string such as \"int\" or \"list(Item)\", not a number"},
    {"{\"types\": {\"Item\": {\"qty\": null}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 28,
     "the type of field 'qty' must be a string such as \"int\" or \"list(Item)\", not null"},
    {"{\"types\": {\"Item\": {\"qty\": [\"int\"]}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 28,
     "the type of field 'qty' must be a string such as \"int\" or \"list(Item)\", not an array"},
    {"{\"types\": {\"Item\": {\"qty\": false}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 28,
     "the type of field 'qty' must be a string such as \"int\" or \"list(Item)\", not a boolean"},
    {"{\"variables\": {\"x\": 5}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 21,
     "variable 'x' must have a type (a string such as \"int\") or an object of fields, not a number"},
    {"{\"variables\": {\"user\": {\"age\": true}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 32,
     "the type of field 'age' must be a string such as \"int\" or \"list(Item)\", not a boolean"},
    /* Keys. */
    {"{\"typse\": {}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 2,
     "unknown key 'typse'; expected \"types\" or \"variables\"; did you mean 'types'?"},
    {"{\"types\": {}, \"Variables\": {}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 15,
     "unknown key 'Variables'; expected \"types\" or \"variables\"; did you mean 'variables'?"},
    {"{\"records\": {}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 2,
     "unknown key 'records'; expected \"types\" or \"variables\""},
    {"{\"types\": {\"\": {}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 12, "a type name must not be empty"},
    {"{\"types\": {\"Item\": {\"\": \"int\"}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 21, "a field name must not be empty"},
    {"{\"variables\": {\"\": \"int\"}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 16, "a variable name must not be empty"},
    /* Duplicate keys: at the second. */
    {"{\"types\": {}, \"types\": {}}", RULECORE_DIAG_SCHEMA_DUPLICATE, 1, 15, "key 'types' appears twice"},
    {"{\"types\": {\n  \"Item\": {\"sku\": \"string\"},\n  \"Item\": {\"qty\": \"int\"}\n}}",
     RULECORE_DIAG_SCHEMA_DUPLICATE, 3, 3, "type 'Item' is declared twice"},
    {"{\"types\": {\"Item\": {\"qty\": \"int\", \"qty\": \"uint\"}}}", RULECORE_DIAG_SCHEMA_DUPLICATE, 1, 35,
     "field 'qty' of type 'Item' is declared twice"},
    {"{\"variables\": {\"x\": \"int\", \"x\": {}}}", RULECORE_DIAG_SCHEMA_DUPLICATE, 1, 28,
     "variable 'x' is declared twice"},
    {"{\"variables\": {\"user\": {\"age\": \"int\", \"age\": \"int\"}}}", RULECORE_DIAG_SCHEMA_DUPLICATE, 1, 39,
     "field 'age' of type 'user' is declared twice"},
    /* Escapes are decoded before keys are compared. */
    {"{\"variables\": {\"x\": \"int\", \"\\u0078\": \"int\"}}", RULECORE_DIAG_SCHEMA_DUPLICATE, 1, 28,
     "variable 'x' is declared twice"},
    /* Not JSON: where the reader stopped. */
    {"{\"a\": x}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 7, "invalid JSON: invalid token"},
    {"{\"types\": {},}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 14, "invalid JSON: a string key expected"},
    {"{\"types\" {}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 10, "invalid JSON: ':' expected"},
    {"{\"types\": {\"Item\": {\"a\": \"int\n}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 30,
     "invalid JSON: a newline in a string"},
    /* Columns count code points. */
    {"{\"types\": {\"\xc3\x89\x61\": {\"x\": \"int\"} \"Y\": {}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 31,
     "invalid JSON: '}' or ',' expected"},
    {"{\"types\": {\"\xff\": {}}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 13,
     "invalid JSON: invalid UTF-8 (byte 0xff)"},
    {"{\"variables\": {\"x\": \"\\u0000\"}}", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 21,
     "a NUL (\\u0000) in a schema document's string"},
    {"{} x", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 4, "invalid JSON: text after the JSON value"},
    {"{\n  \"types\": {}\n", RULECORE_DIAG_SCHEMA_SYNTAX, 3, 1, "invalid JSON: premature end of input ('}' or ',' expected)"},
    {"", RULECORE_DIAG_SCHEMA_SYNTAX, 1, 1,
     "empty schema document; expected a JSON object ({\"types\": {...}, \"variables\": {...}})"},
    {" \n\t", RULECORE_DIAG_SCHEMA_SYNTAX, 2, 2,
     "empty schema document; expected a JSON object ({\"types\": {...}, \"variables\": {...}})"},
};

/* Each error: exact code, position and message; and a document with
 * errors declares nothing. */
START_TEST(test_load_error_table) {
  load(S, error_cases[_i].doc);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 1);
  ck_assert_uint_eq(R.errors, 1);
  ck_assert_int_eq(R.d[0].severity, RULECORE_SEVERITY_ERROR);
  ck_assert_str_eq(R.d[0].file, "s.json");
  assert_diag(0, error_cases[_i].code, error_cases[_i].line, error_cases[_i].column, error_cases[_i].message);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert_uint_eq(S->nrecords, 0);
  ck_assert_uint_eq(S->nvars, 0);
}
END_TEST

/* Several errors, all reported, in document order. */
START_TEST(test_load_several_errors) {
  load(S, "{\n"
          "  \"types\": {\n"
          "    \"Item\": {\"sku\": 1, \"qty\": \"int\"},\n"
          "    \"\": {},\n"
          "    \"Item\": {}\n"
          "  },\n"
          "  \"variables\": {\"x\": 2, \"ok\": \"int\"},\n"
          "  \"extra\": true\n"
          "}\n");
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 5);
  assert_diag(0, RULECORE_DIAG_SCHEMA_SYNTAX, 3, 21,
              "the type of field 'sku' must be a string such as \"int\" or \"list(Item)\", not a number");
  assert_diag(1, RULECORE_DIAG_SCHEMA_SYNTAX, 4, 5, "a type name must not be empty");
  assert_diag(2, RULECORE_DIAG_SCHEMA_DUPLICATE, 5, 5, "type 'Item' is declared twice");
  assert_diag(3, RULECORE_DIAG_SCHEMA_SYNTAX, 7, 22,
              "variable 'x' must have a type (a string such as \"int\") or an object of fields, not a number");
  assert_diag(4, RULECORE_DIAG_SCHEMA_SYNTAX, 8, 3, "unknown key 'extra'; expected \"types\" or \"variables\"");
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert_uint_eq(S->nvars, 0); /* not even "ok" */
}
END_TEST

/* The error limit: 20 errors and a note. */
START_TEST(test_load_error_limit) {
  char doc[2048];
  size_t n = (size_t)snprintf(doc, sizeof doc, "{\"types\": {\"T\": {");
  for (int i = 0; i < 25; i++) n += (size_t)snprintf(doc + n, sizeof doc - n, "%s\"f%d\": %d", i ? ", " : "", i, i);
  snprintf(doc + n, sizeof doc - n, "}}}");
  load(S, doc);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.errors, 20);
  ck_assert_uint_eq(R.count, 21);
  ck_assert_int_eq(R.d[20].code, RULECORE_DIAG_TOO_MANY_ERRORS);
  ck_assert_int_eq(R.d[20].severity, RULECORE_SEVERITY_NOTE);
}
END_TEST

/* The diagnostic as rulec prints it. */
START_TEST(test_load_render) {
  load(S, "{\"types\": {\"Item\": {\"qty\": 1}}}");
  assert_text_eq(R.text, "s.json:1:28: error: the type of field 'qty' must be a string such as \"int\" or "
                         "\"list(Item)\", not a number\n"
                         "{\"types\": {\"Item\": {\"qty\": 1}}}\n"
                         "                           ^\n");
  ck_assert_str_eq(R.d[0].name, "schema-syntax");
  ck_assert_uint_eq(R.d[0].offset, 27);
  ck_assert_uint_eq(R.d[0].length, 1);
}
END_TEST

/* A NUL byte: jansson would stop at it and accept what came before. */
START_TEST(test_load_nul_byte) {
  static const char doc[] = "{\"types\": {}}\0{";
  load_n(S, doc, sizeof doc - 1, NULL);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 1);
  ck_assert_str_eq(R.d[0].file, "<input>");
  assert_diag(0, RULECORE_DIAG_SCHEMA_SYNTAX, 1, 14, "invalid JSON: a NUL byte");
  static const char doc2[] = "{\"types\": {\"It\0em\": {}}}";
  load_n(S, doc2, sizeof doc2 - 1, NULL);
  assert_diag(0, RULECORE_DIAG_SCHEMA_SYNTAX, 1, 15, "invalid JSON: a NUL byte");
}
END_TEST

/* jansson's nesting limit is reported like any other JSON error; below it,
 * a deep value the schema does not read is skipped. */
START_TEST(test_load_deep) {
  static char doc[2 * 3000 + 64];
  size_t n = (size_t)snprintf(doc, sizeof doc, "{\"x\": ");
  memset(doc + n, '[', 2000);
  memset(doc + n + 2000, ']', 2000);
  snprintf(doc + n + 4000, sizeof doc - n - 4000, "}");
  load(S, doc);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  assert_diag(0, RULECORE_DIAG_SCHEMA_SYNTAX, 1, 2, "unknown key 'x'; expected \"types\" or \"variables\"");
  memset(doc + n, '[', 3000);
  memset(doc + n + 3000, ']', 3000);
  snprintf(doc + n + 6000, sizeof doc - n - 6000, "}");
  load(S, doc);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 1);
  ck_assert_int_eq(R.d[0].code, RULECORE_DIAG_SCHEMA_SYNTAX);
  ck_assert_msg(strstr(R.d[0].message, "nesting deeper than 2048") != NULL, "%s", R.d[0].message);
}
END_TEST

/* Over 16 MiB: one diagnostic, nothing parsed; exactly 16 MiB is fine. */
START_TEST(test_load_too_large) {
  size_t limit = 16u << 20;
  char *doc = malloc(limit + 1);
  ck_assert_ptr_nonnull(doc);
  memset(doc, ' ', limit + 1);
  doc[0] = '{';
  doc[limit - 1] = '}';
  rulecore_diagnostics *d = NULL;
  rulecore_status ok = rulecore_schema_load(S, doc, limit, NULL, &d);
  rulecore_diagnostics_free(d);
  load_n(S, doc, limit + 1, "big.json");
  free(doc);
  ck_assert_int_eq(ok, RULECORE_OK);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 1);
  ck_assert_int_eq(R.d[0].code, RULECORE_DIAG_SOURCE_TOO_LARGE);
  ck_assert_str_eq(R.d[0].message, "schema document is larger than the limit of 16 MiB (16777216 bytes)");
  ck_assert_uint_eq(R.d[0].offset, limit);
  ck_assert_str_eq(R.d[0].file, "big.json");
}
END_TEST

/* Argument errors: no diagnostics object; else one, even without errors;
 * diagnostics NULL is fine. */
START_TEST(test_load_arguments) {
  rulecore_diagnostics *d = (rulecore_diagnostics *)&R;
  ck_assert_int_eq(rulecore_schema_load(NULL, "{}", 2, NULL, &d), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
  d = (rulecore_diagnostics *)&R;
  ck_assert_int_eq(rulecore_schema_load(S, NULL, 2, NULL, &d), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(rulecore_schema_load(S, "{}", 2, NULL, NULL), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_load(S, "{", 1, NULL, NULL), RULECORE_ERR_SOURCE);
  /* NULL text of length 0 is the empty document. */
  load_n(S, NULL, 0, NULL);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_str_eq(R.d[0].message,
                   "empty schema document; expected a JSON object ({\"types\": {...}, \"variables\": {...}})");
  /* A frozen schema takes no more declarations. */
  ck_assert_int_eq(rulecore_schema_freeze(S, NULL), RULECORE_OK);
  d = (rulecore_diagnostics *)&R;
  ck_assert_int_eq(rulecore_schema_load(S, "{}", 2, NULL, &d), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
}
END_TEST

/* Two documents into one schema: declarations add up, and a record
 * declared in both is reported when frozen, at the second. */
START_TEST(test_load_two_documents) {
  rulecore_diagnostics *d = NULL;
  static const char a[] = "{\"types\": {\"A\": {\"b\": \"B\"}}}";
  static const char b[] = "{\"types\": {\"B\": {}},\n \"variables\": {\"a\": \"A\", \"A\": {}}}";
  ck_assert_int_eq(rulecore_schema_load(S, a, strlen(a), "a.json", &d), RULECORE_OK);
  rulecore_diagnostics_free(d);
  load_n(S, b, strlen(b), "b.json");
  ck_assert_int_eq(R.status, RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 1);
  ck_assert_str_eq(R.d[0].file, "b.json");
  assert_diag(0, RULECORE_DIAG_SCHEMA_DUPLICATE, 2, 26, "type 'A' is declared twice");
}
END_TEST

/* ---- rulecore_schema_freeze: resolution errors point into the document ---- */

START_TEST(test_freeze_unknown_type_position) {
  load(S, "{\n"
          "  \"types\": {\n"
          "    \"Item\":  {\"sku\": \"string\", \"qty\": \"int\"},\n"
          "    \"Order\": {\"amount\": \"double\", \"items\": \"list(Itm)\"}\n"
          "  },\n"
          "  \"variables\": {\"order\": \"Ordr\", \"user\": {\"tags\": \"set(string)\"}}\n"
          "}\n");
  ck_assert_int_eq(R.status, RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 3);
  assert_diag(0, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 4, 44, "field 'items': unknown type 'Itm'; did you mean 'Item'?");
  ck_assert_str_eq(R.d[0].file, "s.json");
  ck_assert_uint_eq(R.d[0].end_line, 4);
  ck_assert_uint_eq(R.d[0].end_column, 55); /* the whole string, quotes included */
  ck_assert_uint_eq(R.d[0].length, 11);
  assert_diag(1, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 6, 26,
              "variable 'order': unknown type 'Ordr'; did you mean 'Order'?");
  assert_diag(2, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 6, 51,
              "field 'tags': unknown type constructor 'set' (expected list(T), map(K, V) or type(T))");
  assert_text_eq(R.text,
                 "s.json:4:44: error: field 'items': unknown type 'Itm'; did you mean 'Item'?\n"
                 "    \"Order\": {\"amount\": \"double\", \"items\": \"list(Itm)\"}\n"
                 "                                           ^~~~~~~~~~~\n"
                 "s.json:6:26: error: variable 'order': unknown type 'Ordr'; did you mean 'Order'?\n"
                 "  \"variables\": {\"order\": \"Ordr\", \"user\": {\"tags\": \"set(string)\"}}\n"
                 "                         ^~~~~~\n"
                 "s.json:6:51: error: field 'tags': unknown type constructor 'set' "
                 "(expected list(T), map(K, V) or type(T))\n"
                 "  \"variables\": {\"order\": \"Ordr\", \"user\": {\"tags\": \"set(string)\"}}\n"
                 "                                                  ^~~~~~~~~~~~~\n");
  /* A failed schema stays failed: freezing again gives the same status,
   * without reporting again. */
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 0);
}
END_TEST

/* Built-in names cannot be records, wherever they are declared. */
static const struct {
  const char *doc;
  uint32_t line, column;
  const char *message;
} builtin_cases[] = {
    {"{\"types\": {\"int\": {}}}", 1, 12, "'int' is a built-in type and cannot be declared"},
    {"{\"types\": {\"Item\": {},\n  \"list\": {\"a\": \"int\"}}}", 2, 3,
     "'list' is a built-in type and cannot be declared"},
    {"{\"variables\": {\"timestamp\": {}}}", 1, 16, "'timestamp' is a built-in type and cannot be declared"},
};

START_TEST(test_freeze_builtin_names) {
  load(S, builtin_cases[_i].doc);
  ck_assert_int_eq(R.status, RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_ge(R.count, 1);
  assert_diag(0, RULECORE_DIAG_SCHEMA_DUPLICATE, builtin_cases[_i].line, builtin_cases[_i].column,
              builtin_cases[_i].message);
}
END_TEST

/* Records may refer to themselves and to each other, in any order. */
START_TEST(test_freeze_cycles) {
  load(S, "{\"variables\": {\"root\": \"Node\", \"a\": \"A\"},\n"
          " \"types\": {\"Node\": {\"next\": \"Node\", \"children\": \"list(Node)\", "
          "\"index\": \"map(string, Node)\"},\n"
          "           \"A\": {\"b\": \"B\"}, \"B\": {\"a\": \"A\", \"self\": \"type(B)\"}}}");
  ck_assert_int_eq(R.status, RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert_uint_eq(R.count, 0);
  const type *node = schema_record(S, "Node");
  ck_assert_ptr_nonnull(node);
  ck_assert_ptr_eq(type_field(node, "next")->type, node);
  ck_assert_ptr_eq(type_field(node, "children")->type->elem, node);
  ck_assert_str_eq(field_type(S, "Node", "index"), "map(string, Node)");
  ck_assert_ptr_eq(type_field(schema_record(S, "A"), "b")->type, schema_record(S, "B"));
  ck_assert_ptr_eq(type_field(schema_record(S, "B"), "a")->type, schema_record(S, "A"));
  ck_assert_str_eq(field_type(S, "B", "self"), "type(B)");
  ck_assert_str_eq(variable_type(S, "root"), "Node");
}
END_TEST

/* Spellings that do not parse are reported by freezing, at the string. */
START_TEST(test_freeze_bad_spellings) {
  load(S, "{\"types\": {\"T\": {\"a\": \"\", \"b\": \"list\", \"c\": \"map(int)\", \"d\": \"1 + 2\"}}}");
  ck_assert_int_eq(R.status, RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 4);
  ck_assert_int_eq(R.d[0].code, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE);
  ck_assert_uint_eq(R.d[0].column, 23);
  ck_assert_msg(strncmp(R.d[0].message, "field 'a': bad type syntax: ", 28) == 0, "%s", R.d[0].message);
  assert_diag(1, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 1, 32, "field 'b': 'list' needs type arguments: list(T)");
  assert_diag(2, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 1, 45, "field 'c': map takes 2 type arguments");
  assert_diag(3, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 1, 62,
              "field 'd': not a type: expected a name, list(T), map(K, V) or type(T)");
}
END_TEST

/* CEL's map keys are int, uint, bool or string (or dyn): anything else is
 * refused where the spelling stands. */
START_TEST(test_freeze_map_keys) {
  load(S, "{\"types\": {\"K\": {}, \"T\": {\"a\": \"map(int, K)\", \"b\": \"map(uint, int)\", "
          "\"c\": \"map(bool, int)\", \"d\": \"map(string, list(int))\", \"e\": \"map(dyn, int)\",\n"
          "\"f\": \"map(list(int), int)\", \"g\": \"map(double, int)\", \"h\": \"map(K, int)\", "
          "\"i\": \"map(map(string, int), int)\", \"j\": \"list(map(bytes, int))\", \"k\": \"map(strng, int)\"}}}");
  ck_assert_int_eq(R.status, RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 6);
  assert_diag(0, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 2, 6,
              "field 'f': a map's keys must be int, uint, bool or string (or dyn), not list(int)");
  assert_diag(1, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 2, 34,
              "field 'g': a map's keys must be int, uint, bool or string (or dyn), not double");
  assert_diag(2, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 2, 59,
              "field 'h': a map's keys must be int, uint, bool or string (or dyn), not K");
  assert_diag(3, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 2, 79,
              "field 'i': a map's keys must be int, uint, bool or string (or dyn), not map(string, int)");
  assert_diag(4, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 2, 114,
              "field 'j': a map's keys must be int, uint, bool or string (or dyn), not bytes");
  assert_diag(5, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, 2, 144, "field 'k': unknown type 'strng'; did you mean 'string'?");
}
END_TEST

/* Tens of thousands of declarations (generated schemas): every duplicate
 * found, and nothing else taken for one, by names that differ only at
 * the end, fields of the same name on different records, a variable
 * named like a record.  (How fast: `make bench`, "schema, 100k fields".) */
START_TEST(test_freeze_many_declarations) {
  enum { N = 30000 };
  char name[32], rec[32];
  for (int i = 0; i < N; i++) {
    snprintf(rec, sizeof rec, "R%d", i % 100);
    if (i < 100) ck_assert_int_eq(rulecore_schema_add_record(S, rec), RULECORE_OK);
    snprintf(name, sizeof name, "f%d", i / 100);
    ck_assert_int_eq(rulecore_schema_add_field(S, rec, name, i % 7 ? "int" : "list(string)"), RULECORE_OK);
    snprintf(name, sizeof name, "v%d", i);
    ck_assert_int_eq(rulecore_schema_add_variable(S, name, i % 2 ? "R1" : "map(string, R2)"), RULECORE_OK);
  }
  ck_assert_int_eq(rulecore_schema_add_variable(S, "R5", "int"), RULECORE_OK); /* not a duplicate */
  ck_assert_int_eq(rulecore_schema_add_field(S, "R7", "f299", "int"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_variable(S, "v12345", "int"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_record(S, "R99"), RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 3);
  assert_diag(0, RULECORE_DIAG_SCHEMA_DUPLICATE, 0, 0, "type 'R99' is declared twice");
  assert_diag(1, RULECORE_DIAG_SCHEMA_DUPLICATE, 0, 0, "field 'f299' of type 'R7' is declared twice");
  assert_diag(2, RULECORE_DIAG_SCHEMA_DUPLICATE, 0, 0, "variable 'v12345' is declared twice");
}
END_TEST

START_TEST(test_freeze_null) {
  rulecore_diagnostics *d = (rulecore_diagnostics *)&R;
  ck_assert_int_eq(rulecore_schema_freeze(NULL, &d), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(rulecore_schema_freeze(S, NULL), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_freeze(S, NULL), RULECORE_OK);
}
END_TEST

/* ---- rulecore_schema_load_file ---- */

/* $top_srcdir/rel (make check exports top_srcdir). */
static const char *srcdir_path(const char *rel) {
  static char path[4096];
  const char *top = getenv("top_srcdir");
  snprintf(path, sizeof path, "%s/%s", top && *top ? top : ".", rel);
  return path;
}

/* The example every later test and rulec use loads and freezes cleanly. */
START_TEST(test_load_file_origin) {
  const char *path = srcdir_path("t/schemas/origin.json");
  load_file(S, path);
  ck_assert_msg(R.status == RULECORE_OK, "%s: status %d, errno %d: %s", path, R.status, errno, R.text);
  ck_assert_uint_eq(R.count, 0);
  freeze(S);
  ck_assert_msg(R.status == RULECORE_OK, "%s", R.text);
  ck_assert_str_eq(variable_type(S, "user"), "user");
  ck_assert_str_eq(field_type(S, "user", "age"), "int");
  ck_assert_str_eq(field_type(S, "user", "city"), "string");
  ck_assert_str_eq(field_type(S, "user", "tags"), "list(string)");
  ck_assert_str_eq(variable_type(S, "order"), "order");
  ck_assert_str_eq(field_type(S, "order", "amount"), "double");
  ck_assert_str_eq(field_type(S, "order", "items"), "list(Item)");
  ck_assert_str_eq(field_type(S, "Item", "sku"), "string");
  ck_assert_str_eq(field_type(S, "Item", "qty"), "int");
}
END_TEST

/* A temporary file holding len bytes of text (or a sparse file of size
 * len when text is NULL); its path in path. */
static void temp_file(char *path, size_t cap, const char *text, size_t len) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, cap, "%s/check_schema.XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  bool ok = text ? write(fd, text, len) == (ssize_t)len : ftruncate(fd, (off_t)len) == 0;
  close(fd);
  ck_assert(ok);
}

/* Errors carry the path as their file name. */
START_TEST(test_load_file_errors) {
  char path[4096];
  static const char doc[] = "{\n  \"variables\": {\"x\": 1}\n}\n";
  temp_file(path, sizeof path, doc, sizeof doc - 1);
  load_file(S, path);
  unlink(path);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 1);
  ck_assert_str_eq(R.d[0].file, path);
  assert_diag(0, RULECORE_DIAG_SCHEMA_SYNTAX, 2, 22,
              "variable 'x' must have a type (a string such as \"int\") or an object of fields, not a number");
}
END_TEST

/* A file that cannot be read: RULECORE_ERR_IO with errno, and an empty
 * list of diagnostics. */
START_TEST(test_load_file_io) {
  rulecore_diagnostics *d = NULL;
  errno = 0;
  rulecore_status st = rulecore_schema_load_file(S, "/nonexistent/schema.json", &d);
  int err = errno;
  size_t count = rulecore_diagnostics_count(d);
  bool have = d != NULL;
  rulecore_diagnostics_free(d);
  ck_assert_int_eq(st, RULECORE_ERR_IO);
  ck_assert_int_eq(err, ENOENT);
  ck_assert(have);
  ck_assert_uint_eq(count, 0);

  errno = 0;
  st = rulecore_schema_load_file(S, srcdir_path("t"), NULL); /* a directory */
  err = errno;
  ck_assert_int_eq(st, RULECORE_ERR_IO);
  ck_assert_int_eq(err, EISDIR);
}
END_TEST

/* The size limit holds for files too, without reading them whole. */
START_TEST(test_load_file_too_large) {
  char path[4096];
  temp_file(path, sizeof path, NULL, (size_t)64 << 20); /* sparse */
  load_file(S, path);
  unlink(path);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 1);
  ck_assert_int_eq(R.d[0].code, RULECORE_DIAG_SOURCE_TOO_LARGE);
}
END_TEST

START_TEST(test_load_file_arguments) {
  rulecore_diagnostics *d = (rulecore_diagnostics *)&R;
  ck_assert_int_eq(rulecore_schema_load_file(NULL, "x.json", &d), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
  d = (rulecore_diagnostics *)&R;
  ck_assert_int_eq(rulecore_schema_load_file(S, NULL, &d), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(rulecore_schema_freeze(S, NULL), RULECORE_OK);
  d = (rulecore_diagnostics *)&R;
  ck_assert_int_eq(rulecore_schema_load_file(S, srcdir_path("t/schemas/origin.json"), &d), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
}
END_TEST

/* ---- rulecore_schema_add_* ---- */

START_TEST(test_add_and_freeze) {
  ck_assert_int_eq(rulecore_schema_add_variable(S, "user", "User"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_field(S, "User", "age", "int"), RULECORE_OK); /* before its record */
  ck_assert_int_eq(rulecore_schema_add_record(S, "User"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_field(S, "User", "friends", "list(User)"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_variable(S, "limits", "map(string, uint)"), RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert_uint_eq(R.count, 0);
  ck_assert_str_eq(variable_type(S, "user"), "User");
  ck_assert_str_eq(variable_type(S, "limits"), "map(string, uint)");
  ck_assert_str_eq(field_type(S, "User", "age"), "int");
  ck_assert_str_eq(field_type(S, "User", "friends"), "list(User)");
  ck_assert_ptr_null(schema_variable(S, "nobody"));
  ck_assert_ptr_null(schema_record(S, "Nobody"));
  /* Variables get slots in declaration order. */
  ck_assert_uint_eq(schema_variable(S, "user")->index, 0);
  ck_assert_uint_eq(schema_variable(S, "limits")->index, 1);
}
END_TEST

/* Frozen: no more declarations. */
START_TEST(test_add_after_freeze) {
  ck_assert_int_eq(rulecore_schema_add_record(S, "A"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_freeze(S, NULL), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_record(S, "B"), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_field(S, "A", "f", "int"), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_variable(S, "a", "A"), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_nonnull(schema_record(S, "A"));
  ck_assert_ptr_null(schema_record(S, "B"));
  ck_assert_uint_eq(S->nvars, 0);
}
END_TEST

START_TEST(test_add_null) {
  ck_assert_int_eq(rulecore_schema_add_record(NULL, "A"), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_record(S, NULL), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_field(NULL, "A", "f", "int"), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_field(S, NULL, "f", "int"), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_field(S, "A", NULL, "int"), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_field(S, "A", "f", NULL), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_variable(NULL, "a", "int"), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_variable(S, NULL, "int"), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_schema_add_variable(S, "a", NULL), RULECORE_ERR_ARGUMENT);
  rulecore_schema_free(NULL); /* a no-op */
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_OK);
  ck_assert_uint_eq(S->nrecords + S->nvars, 0);
}
END_TEST

/* Errors in declarations made through the C API have no position. */
START_TEST(test_add_errors) {
  ck_assert_int_eq(rulecore_schema_add_record(S, "A"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_record(S, "A"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_field(S, "A", "f", "int"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_field(S, "A", "f", "Bb"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_field(S, "Nope", "g", "int"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_variable(S, "a", "A"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_variable(S, "a", "int"), RULECORE_OK);
  ck_assert_int_eq(rulecore_schema_add_record(S, "double"), RULECORE_OK);
  freeze(S);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 6);
  static const struct {
    int code;
    const char *message;
  } want[] = {
      {RULECORE_DIAG_SCHEMA_DUPLICATE, "type 'A' is declared twice"},
      {RULECORE_DIAG_SCHEMA_DUPLICATE, "'double' is a built-in type and cannot be declared"},
      {RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, "field 'f': unknown type 'Bb'"},
      {RULECORE_DIAG_SCHEMA_DUPLICATE, "field 'f' of type 'A' is declared twice"},
      {RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, "field 'g' is declared on 'Nope', which is not a declared type"},
      {RULECORE_DIAG_SCHEMA_DUPLICATE, "variable 'a' is declared twice"},
  };
  for (size_t i = 0; i < ARRAY_LEN(want); i++) {
    assert_diag(i, want[i].code, 0, 0, want[i].message);
    ck_assert_str_eq(R.d[i].file, "<input>");
  }
  /* Unusable: an environment refuses it. */
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  rulecore_status st = rulecore_env_set_schema(env, S, NULL);
  rulecore_env_free(env);
  ck_assert_int_eq(st, RULECORE_ERR_SOURCE);
}
END_TEST

/* ---- rulecore_env_set_schema: references ---- */

/* The environment keeps the schema alive after the caller's free, and
 * releases it when freed (valgrind proves nothing leaks). */
START_TEST(test_env_keeps_schema) {
  rulecore_schema *s = rulecore_schema_new();
  ck_assert_ptr_nonnull(s);
  static const char doc[] = "{\"variables\": {\"x\": \"int\"}}";
  ck_assert_int_eq(rulecore_schema_load(s, doc, strlen(doc), NULL, NULL), RULECORE_OK);
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  rulecore_diagnostics *d = NULL;
  ck_assert_int_eq(rulecore_env_set_schema(env, s, &d), RULECORE_OK); /* freezes it */
  ck_assert_uint_eq(rulecore_diagnostics_count(d), 0);
  rulecore_diagnostics_free(d);
  ck_assert(s->frozen);
  ck_assert_uint_eq(refs_of(s), 2);
  rulecore_schema_free(s);
  ck_assert_uint_eq(refs_of(s), 1); /* still alive: the environment's */
  ck_assert_str_eq(variable_type(s, "x"), "int");
  rulecore_env_free(env);
}
END_TEST

/* Two environments share one schema; replacing and removing it drops the
 * environment's reference. */
START_TEST(test_env_share_and_replace) {
  rulecore_env *a = rulecore_env_new(), *b = rulecore_env_new();
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  rulecore_schema *t = rulecore_schema_new();
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(rulecore_env_set_schema(a, S, NULL), RULECORE_OK);
  ck_assert_int_eq(rulecore_env_set_schema(b, S, NULL), RULECORE_OK);
  ck_assert_uint_eq(refs_of(S), 3);
  ck_assert_int_eq(rulecore_env_set_schema(a, S, NULL), RULECORE_OK); /* the same again */
  ck_assert_uint_eq(refs_of(S), 3);
  ck_assert_int_eq(rulecore_env_set_schema(a, t, NULL), RULECORE_OK);
  ck_assert_uint_eq(refs_of(S), 2);
  ck_assert_uint_eq(refs_of(t), 2);
  ck_assert_int_eq(rulecore_env_set_schema(b, NULL, NULL), RULECORE_OK);
  ck_assert_uint_eq(refs_of(S), 1);
  rulecore_schema_free(t);
  rulecore_env_free(a); /* frees t */
  rulecore_env_free(b);
  ck_assert_uint_eq(refs_of(S), 1);
}
END_TEST

/* A schema that fails to freeze is not taken. */
START_TEST(test_env_refuses_failed_schema) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  ck_assert_int_eq(rulecore_schema_add_variable(S, "x", "Missing"), RULECORE_OK);
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_env_set_schema(env, S, &d);
  take(&R, st, d);
  unsigned refs = refs_of(S);
  rulecore_env_free(env);
  ck_assert_int_eq(R.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(R.count, 1);
  ck_assert_int_eq(R.d[0].code, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE);
  ck_assert_uint_eq(refs, 1);
  ck_assert_int_eq(rulecore_env_set_schema(NULL, S, NULL), RULECORE_ERR_ARGUMENT);
}
END_TEST

/* ---- alloc_failure: rulecore_schema_load ---- */

/* A counting allocator that fails the Nth allocation (tree-sitter is not
 * involved in loading, and jansson copes with NULL). */
static struct {
  unsigned long count, fail_at;
  bool failed;
  long live;
} fa;

static void *failing_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  if (n == 0) {
    if (p) fa.live--;
    free(p);
    return NULL;
  }
  if (++fa.count == fa.fail_at) {
    fa.failed = true;
    return NULL;
  }
  void *q = realloc(p, n);
  if (q && !p) fa.live++;
  return q;
}

static const char *const alloc_cases[] = {
    "{\"types\": {\"Item\": {\"sku\": \"string\", \"q\\u0074y\": \"int\"}},\n"
    " \"variables\": {\"user\": {\"age\": \"int\", \"tags\": \"list(string)\"}, \"items\": \"list(Item)\"}}",
    "{\"types\": {\"Item\": {\"sku\": 1}, \"Item\": {}, \"\": {}},"
    " \"variables\": {\"x\": [], \"x\": \"int\"}, \"typs\": 1}",
    "{\"types\": {\"Item\": {\"sku\": x}}}",
    "",
    NULL, /* t/schemas/origin.json, through rulecore_schema_load_file */
};

/* Load alloc_cases[k] into a new schema (into R); false when even the
 * schema could not be allocated. */
static bool alloc_load(int k) {
  rulecore_schema *s = rulecore_schema_new();
  if (!s) return false;
  if (alloc_cases[k])
    load_n(s, alloc_cases[k], strlen(alloc_cases[k]), "a.json");
  else
    load_file(s, srcdir_path("t/schemas/origin.json"));
  rulecore_schema_free(s);
  return true;
}

/* Load alloc_cases[k] once to count allocations, then once per allocation
 * with that one failing: each run gives RULECORE_ERR_NOMEM or the
 * reference result, and leaves nothing allocated. */
static void alloc_walk(int k) {
  static result ref;
  rulecore_set_allocator(failing_realloc, NULL);
  memset(&fa, 0, sizeof fa);
  bool made = alloc_load(k);
  ref = R;
  unsigned long total = fa.count;
  long live = fa.live;
  rulecore_set_allocator(NULL, NULL);
  ck_assert(made);
  ck_assert_msg(live == 0, "case %d leaks %ld blocks without failures", k, live);
  ck_assert_msg(ref.status == RULECORE_OK || ref.status == RULECORE_ERR_SOURCE, "case %d: status %d", k, ref.status);

  for (unsigned long n = 1; n <= total + 1; n++) {
    rulecore_set_allocator(failing_realloc, NULL);
    memset(&fa, 0, sizeof fa);
    fa.fail_at = n;
    made = alloc_load(k);
    bool failed = fa.failed;
    live = fa.live;
    rulecore_set_allocator(NULL, NULL);
    ck_assert_msg(live == 0, "case %d, allocation %lu failed: %ld blocks leaked", k, n, live);
    if (!made || (failed && R.status == RULECORE_ERR_NOMEM)) continue;
    ck_assert_msg(failed || n == total + 1, "case %d: allocation %lu was never made", k, n);
    ck_assert_msg(R.status == ref.status, "case %d, allocation %lu failed: status %d, expected %d or NOMEM (%s)", k, n,
                  R.status, ref.status, R.d[0].message);
    ck_assert_uint_eq(R.count, ref.count);
    for (size_t i = 0; i < R.count && i < SNAP_MAX_DIAGS; i++)
      ck_assert_msg(R.d[i].code == ref.d[i].code && R.d[i].offset == ref.d[i].offset &&
                        strcmp(R.d[i].message, ref.d[i].message) == 0,
                    "case %d, allocation %lu failed: diagnostic %zu is \"%s\", expected \"%s\"", k, n, i,
                    R.d[i].message, ref.d[i].message);
  }
}

START_TEST(test_alloc_failure) { alloc_walk(_i); }
END_TEST

static void alloc_teardown(void) { rulecore_set_allocator(NULL, NULL); }

Suite *suite_schema(void) {
  Suite *s = suite_create("schema");
  TCase *tc;

  tc = tcase_create("rulecore_schema_load");
  tcase_add_checked_fixture(tc, schema_setup, schema_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_load_example);
  tcase_add_loop_test(tc, test_load_valid_table, 0, (int)ARRAY_LEN(valid_docs));
  tcase_add_test(tc, test_load_escapes);
  tcase_add_test(tc, test_load_length);
  tcase_add_test(tc, test_load_value_span);
  tcase_add_loop_test(tc, test_load_error_table, 0, (int)ARRAY_LEN(error_cases));
  tcase_add_test(tc, test_load_several_errors);
  tcase_add_test(tc, test_load_error_limit);
  tcase_add_test(tc, test_load_render);
  tcase_add_test(tc, test_load_nul_byte);
  tcase_add_test(tc, test_load_deep);
  tcase_add_test(tc, test_load_too_large);
  tcase_add_test(tc, test_load_arguments);
  tcase_add_test(tc, test_load_two_documents);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_schema_load_file");
  tcase_add_checked_fixture(tc, schema_setup, schema_teardown);
  tcase_add_test(tc, test_load_file_origin);
  tcase_add_test(tc, test_load_file_errors);
  tcase_add_test(tc, test_load_file_io);
  tcase_add_test(tc, test_load_file_too_large);
  tcase_add_test(tc, test_load_file_arguments);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_schema_freeze");
  tcase_add_checked_fixture(tc, schema_setup, schema_teardown);
  tcase_add_test(tc, test_freeze_unknown_type_position);
  tcase_add_loop_test(tc, test_freeze_builtin_names, 0, (int)ARRAY_LEN(builtin_cases));
  tcase_add_test(tc, test_freeze_cycles);
  tcase_add_test(tc, test_freeze_bad_spellings);
  tcase_add_test(tc, test_freeze_map_keys);
  tcase_add_test(tc, test_freeze_many_declarations);
  tcase_add_test(tc, test_freeze_null);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_schema_add");
  tcase_add_checked_fixture(tc, schema_setup, schema_teardown);
  tcase_add_test(tc, test_add_and_freeze);
  tcase_add_test(tc, test_add_after_freeze);
  tcase_add_test(tc, test_add_null);
  tcase_add_test(tc, test_add_errors);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_env_set_schema");
  tcase_add_checked_fixture(tc, schema_setup, schema_teardown);
  tcase_add_test(tc, test_env_keeps_schema);
  tcase_add_test(tc, test_env_share_and_replace);
  tcase_add_test(tc, test_env_refuses_failed_schema);
  suite_add_tcase(s, tc);

  tc = tcase_create("alloc_failure");
  tcase_add_checked_fixture(tc, NULL, alloc_teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, test_alloc_failure, 0, (int)ARRAY_LEN(alloc_cases));
  suite_add_tcase(s, tc);

  return s;
}

int main(void) { return check_main(suite_schema()); }
