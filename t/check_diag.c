/*
 * check_diag.c: the diagnostics list: its accessors, its TEXT and JSON
 * renderings (the JSON read back with jansson), and the internal builder
 * (diag_add, diag_sort, the error limit).
 */
#include "diag.h"

#include <jansson.h>

#include "check_main.h"

Suite *suite_diag(void);

static snapshot S;

/* ---- rulecore_diagnostics_render (TEXT) ---- */

/* Parse src (with file, and env's error limit when not 0) and render its
 * diagnostics; the rendering is copied into out. */
static void render_of(const char *src, size_t len, const char *file, uint64_t max_errors, rulecore_format format,
                      char *out, size_t cap) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  if (max_errors) ck_assert_int_eq(rulecore_env_set_limit(env, RULECORE_LIMIT_ERRORS, max_errors), RULECORE_OK);
  rulecore_expr *e = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_parse(env, src, len, file, &e, &d);
  char *z = rulecore_diagnostics_render(d, format);
  snap_copy(out, cap, z);
  rulecore_free(z);
  rulecore_expr_free(e);
  rulecore_diagnostics_free(d);
  rulecore_env_free(env);
}

static const struct {
  const char *src;
  const char *file;
  const char *text;
} text_cases[] = {
    {"a b", NULL,
     "<input>:1:3: error: unexpected identifier 'b'; expected an operator or the end of the expression\n"
     "a b\n"
     "  ^\n"},
    /* The file name, and the line of the error only. */
    {"x\n + let", "rules/x.cel",
     "rules/x.cel:2:4: error: 'let' is a reserved word and cannot name a variable or function\n"
     " + let\n"
     "   ^~~\n"},
    /* Tabs before the column are kept so the caret lines up. */
    {"\tif(x)", NULL,
     "<input>:1:2: error: 'if' is a reserved word and cannot name a variable or function\n"
     "\tif(x)\n"
     "\t^~\n"},
    {"\t\t x + if", NULL,
     "<input>:1:8: error: 'if' is a reserved word and cannot name a variable or function\n"
     "\t\t x + if\n"
     "\t\t     ^~\n"},
    /* Tildes under the rest of the span. */
    {"x + '\\q'", NULL,
     "<input>:1:6: error: invalid escape sequence \\q\n"
     "x + '\\q'\n"
     "     ^~\n"},
    {"9223372036854775808", NULL,
     "<input>:1:1: error: int literal 9223372036854775808 does not fit in 64 bits\n"
     "9223372036854775808\n"
     "^~~~~~~~~~~~~~~~~~~\n"},
    /* One space per code point before the caret. */
    {"'\xc3\xa9' + if", NULL,
     "<input>:1:7: error: 'if' is a reserved word and cannot name a variable or function\n"
     "'\xc3\xa9' + if\n"
     "      ^~\n"},
    {"'\xf0\x9f\x98\x80\xc3\xa9' + '\\q'", NULL,
     "<input>:1:9: error: invalid escape sequence \\q\n"
     "'\xf0\x9f\x98\x80\xc3\xa9' + '\\q'\n"
     "        ^~\n"},
    /* A zero-length span is a caret alone. */
    {"(a", NULL,
     "<input>:1:3: error: expected ')'\n"
     "(a\n"
     "  ^\n"},
    {"", NULL,
     "<input>:1:1: error: unexpected end of input; expected an expression\n"
     "\n"
     "^\n"},
    /* A CR before the newline is not part of the line. */
    {"a +\r\n b c", NULL,
     "<input>:2:4: error: unexpected identifier 'c'; expected an operator or the end of the expression\n"
     " b c\n"
     "   ^\n"},
    /* A span over several lines: tildes to the end of its first line. */
    {"a '''e\nx'''", NULL,
     "<input>:1:3: error: unexpected string literal ''''e'; expected an operator or the end of the expression\n"
     "a '''e\n"
     "  ^~~~\n"},
    /* ... counted in code points too. */
    {"a '''\xc3\xa9\nx'''", NULL,
     "<input>:1:3: error: unexpected string literal ''''\xc3\xa9'; expected an operator or the end of the expression\n"
     "a '''\xc3\xa9\n"
     "  ^~~~\n"},
    /* Several diagnostics, in source order. */
    {"if.null", NULL,
     "<input>:1:1: error: 'if' is a reserved word and cannot name a variable or function\n"
     "if.null\n"
     "^~\n"
     "<input>:1:4: error: 'null' is a keyword and cannot be used as a name\n"
     "if.null\n"
     "   ^~~~\n"},
    /* No diagnostics: nothing. */
    {"a + b", NULL, ""},
};

START_TEST(test_render_text_table) {
  static char got[4096];
  render_of(text_cases[_i].src, strlen(text_cases[_i].src), text_cases[_i].file, 0, RULECORE_FORMAT_TEXT, got,
            sizeof got);
  assert_text_eq(got, text_cases[_i].text);
}
END_TEST

START_TEST(test_render_text_note) {
  static char got[4096];
  render_of("if + let + var", 14, NULL, 1, RULECORE_FORMAT_TEXT, got, sizeof got);
  assert_text_eq(got, "<input>:1:1: error: 'if' is a reserved word and cannot name a variable or function\n"
                        "if + let + var\n"
                        "^~\n"
                        "<input>:1:6: note: too many errors; stopping here (raise RULECORE_LIMIT_ERRORS to see more)\n"
                        "if + let + var\n"
                        "     ^~~\n");
}
END_TEST

START_TEST(test_render_null_and_format) {
  char *text = rulecore_diagnostics_render(NULL, RULECORE_FORMAT_TEXT);
  char *json = rulecore_diagnostics_render(NULL, RULECORE_FORMAT_JSON);
  char *sexp = rulecore_diagnostics_render(NULL, RULECORE_FORMAT_SEXP);
  char text_copy[64], json_copy[128];
  snap_copy(text_copy, sizeof text_copy, text);
  snap_copy(json_copy, sizeof json_copy, json);
  rulecore_free(text);
  rulecore_free(json);
  rulecore_free(sexp);
  rulecore_free(NULL); /* a no-op */
  ck_assert_str_eq(text_copy, "");
  ck_assert_str_eq(json_copy, "{\"diagnostics\": [], \"errors\": 0}\n");
  ck_assert_ptr_null(sexp);

  /* A format that does not apply to diagnostics, on a real list. */
  rulecore_expr *e = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_parse(NULL, "a b", 3, NULL, &e, &d);
  char *z = rulecore_diagnostics_render(d, RULECORE_FORMAT_SEXP);
  char *w = rulecore_diagnostics_render(d, (rulecore_format)42);
  bool null_z = z == NULL, null_w = w == NULL;
  rulecore_free(z);
  rulecore_free(w);
  rulecore_diagnostics_free(d);
  ck_assert(null_z);
  ck_assert(null_w);
}
END_TEST

/* ---- rulecore_diagnostics_render (JSON) ---- */

/* Parse src, render its diagnostics as JSON and read them back.  Returns
 * the document (the caller json_decref's it) or NULL with why set. */
static json_t *json_of(const char *src, size_t len, const char *file, uint64_t max_errors, char *why, size_t cap) {
  static char got[16384];
  render_of(src, len, file, max_errors, RULECORE_FORMAT_JSON, got, sizeof got);
  json_error_t err;
  json_t *doc = json_loads(got, 0, &err);
  if (!doc) snprintf(why, cap, "%s at %d:%d in %.200s", err.text, err.line, err.column, got);
  return doc;
}

static const char *const json_keys[] = {"severity", "code",     "name",   "message", "file",  "line",
                                        "column",   "end_line", "end_column", "offset", "length"};

START_TEST(test_render_json_fields) {
  static const char src[] = "x +\n  '\xc3\xa9' + if";
  char why[512] = "";
  json_t *doc = json_of(src, strlen(src), "dir/a\"b\\c\t\x01.cel", 0, why, sizeof why);
  ck_assert_msg(doc != NULL, "invalid JSON: %s", why);
  /* Read everything out, free the document, then assert. */
  bool is_object = json_is_object(doc);
  size_t nkeys = json_object_size(doc);
  json_t *list = json_object_get(doc, "diagnostics");
  bool is_array = json_is_array(list);
  size_t n = json_array_size(list);
  json_int_t errors = json_integer_value(json_object_get(doc, "errors"));
  json_t *g = json_array_get(list, 0);
  size_t gkeys = json_object_size(g);
  bool all_keys = true;
  for (size_t k = 0; k < sizeof json_keys / sizeof json_keys[0]; k++)
    if (!json_object_get(g, json_keys[k])) all_keys = false;
  char severity[32], name[64], message[256], file[64];
  snap_copy(severity, sizeof severity, json_string_value(json_object_get(g, "severity")));
  snap_copy(name, sizeof name, json_string_value(json_object_get(g, "name")));
  snap_copy(message, sizeof message, json_string_value(json_object_get(g, "message")));
  snap_copy(file, sizeof file, json_string_value(json_object_get(g, "file")));
  json_int_t code = json_integer_value(json_object_get(g, "code"));
  json_int_t line = json_integer_value(json_object_get(g, "line"));
  json_int_t column = json_integer_value(json_object_get(g, "column"));
  json_int_t end_line = json_integer_value(json_object_get(g, "end_line"));
  json_int_t end_column = json_integer_value(json_object_get(g, "end_column"));
  json_int_t offset = json_integer_value(json_object_get(g, "offset"));
  json_int_t length = json_integer_value(json_object_get(g, "length"));
  json_decref(doc);

  ck_assert(is_object);
  ck_assert_uint_eq(nkeys, 2);
  ck_assert(is_array);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(errors, 1);
  ck_assert_uint_eq(gkeys, sizeof json_keys / sizeof json_keys[0]);
  ck_assert(all_keys);
  ck_assert_str_eq(severity, "error");
  ck_assert_int_eq(code, RULECORE_DIAG_RESERVED_IDENTIFIER);
  ck_assert_str_eq(name, "reserved-identifier");
  ck_assert_str_eq(message, "'if' is a reserved word and cannot name a variable or function");
  ck_assert_str_eq(file, "dir/a\"b\\c\t\x01.cel");
  ck_assert_int_eq(line, 2);
  ck_assert_int_eq(column, 9);
  ck_assert_int_eq(end_line, 2);
  ck_assert_int_eq(end_column, 11);
  ck_assert_int_eq(offset, 13);
  ck_assert_int_eq(length, 2);
}
END_TEST

START_TEST(test_render_json_note) {
  char why[512] = "";
  json_t *doc = json_of("if + let + var", 14, NULL, 2, why, sizeof why);
  ck_assert_msg(doc != NULL, "invalid JSON: %s", why);
  json_t *list = json_object_get(doc, "diagnostics");
  size_t n = json_array_size(list);
  json_int_t errors = json_integer_value(json_object_get(doc, "errors"));
  char sev[3][16];
  json_int_t codes[3] = {0};
  for (size_t i = 0; i < 3; i++) {
    json_t *g = json_array_get(list, i);
    snap_copy(sev[i], sizeof sev[i], json_string_value(json_object_get(g, "severity")));
    codes[i] = json_integer_value(json_object_get(g, "code"));
  }
  json_decref(doc);
  ck_assert_uint_eq(n, 3);
  ck_assert_int_eq(errors, 2);
  ck_assert_str_eq(sev[0], "error");
  ck_assert_str_eq(sev[1], "error");
  ck_assert_str_eq(sev[2], "note");
  ck_assert_int_eq(codes[2], RULECORE_DIAG_TOO_MANY_ERRORS);
}
END_TEST

START_TEST(test_render_json_empty) {
  static char got[256];
  render_of("a + 1", 5, NULL, 0, RULECORE_FORMAT_JSON, got, sizeof got);
  assert_text_eq(got, "{\"diagnostics\": [], \"errors\": 0}\n");
}
END_TEST

/* For many inputs the JSON is valid and says what the accessors say. */
static const struct {
  const char *src;
  size_t len; /* 0: strlen */
} json_inputs[] = {
    {"\"a\" \"b\"", 0},          /* quotes in the message */
    {"'\\q' + '\\\\' + \"\\\"\"", 0},
    {"1 \xc3\xa9", 0},           /* non-ASCII quoted in the message */
    {"1 + \xff\xfe", 0},         /* invalid UTF-8 in the source */
    {"'\\\xe2\x98\xba'", 0},     /* an invalid escape of a 3-byte character */
    {"a\tb", 0},
    {"1 +\n+ 2 ) (\n\"abc", 0},
    {"x \x01 y", 0},
    {"if + let + for + while + var + if + let + for + while + var + if + let + for + while + var + "
     "if + let + for + while + var + if + let", 0},
    {"a \0 b", 5},
};

START_TEST(test_render_json_matches_accessors) {
  const char *src = json_inputs[_i].src;
  size_t len = json_inputs[_i].len ? json_inputs[_i].len : strlen(src);
  snap_parse(&S, NULL, src, len, NULL);
  char why[512] = "";
  json_t *doc = json_of(src, len, NULL, 0, why, sizeof why);
  ck_assert_msg(doc != NULL, "case %d: invalid JSON: %s", _i, why);
  json_t *list = json_object_get(doc, "diagnostics");
  size_t n = json_array_size(list);
  json_int_t errors = json_integer_value(json_object_get(doc, "errors"));
  size_t mismatch = SIZE_MAX;
  for (size_t i = 0; i < n && i < SNAP_MAX_DIAGS && mismatch == SIZE_MAX; i++) {
    json_t *g = json_array_get(list, i);
    const char *msg = json_string_value(json_object_get(g, "message"));
    if (!msg || strcmp(msg, S.d[i].message) != 0 ||
        json_integer_value(json_object_get(g, "code")) != S.d[i].code ||
        (size_t)json_integer_value(json_object_get(g, "offset")) != S.d[i].offset ||
        (uint32_t)json_integer_value(json_object_get(g, "column")) != S.d[i].column)
      mismatch = i;
  }
  json_decref(doc);
  ck_assert_uint_eq(n, S.count);
  ck_assert_int_eq(errors, (json_int_t)S.errors);
  ck_assert_msg(mismatch == SIZE_MAX, "case %d: diagnostic %zu differs from the accessors", _i, mismatch);
}
END_TEST

/* ---- accessors ---- */

static void assert_defaults(const rulecore_diagnostics *d, size_t i) {
  ck_assert_int_eq(rulecore_diagnostics_severity(d, i), RULECORE_SEVERITY_ERROR);
  ck_assert_int_eq(rulecore_diagnostics_code(d, i), 0);
  ck_assert_str_eq(rulecore_diagnostics_code_name(d, i), "");
  ck_assert_str_eq(rulecore_diagnostics_message(d, i), "");
  ck_assert_str_eq(rulecore_diagnostics_file(d, i), "");
  ck_assert_uint_eq(rulecore_diagnostics_line(d, i), 0);
  ck_assert_uint_eq(rulecore_diagnostics_column(d, i), 0);
  ck_assert_uint_eq(rulecore_diagnostics_end_line(d, i), 0);
  ck_assert_uint_eq(rulecore_diagnostics_end_column(d, i), 0);
  ck_assert_uint_eq(rulecore_diagnostics_offset(d, i), 0);
  ck_assert_uint_eq(rulecore_diagnostics_length(d, i), 0);
}

START_TEST(test_accessors_null) {
  ck_assert_uint_eq(rulecore_diagnostics_count(NULL), 0);
  ck_assert_uint_eq(rulecore_diagnostics_error_count(NULL), 0);
  assert_defaults(NULL, 0);
  assert_defaults(NULL, 5);
  rulecore_diagnostics_free(NULL); /* a no-op */
}
END_TEST

/* Diagnostics built directly, so the test keeps nothing it must free
 * after a failed assertion. */
static rulecore_diagnostics *D;
static source SRC;
static const char SRC_TEXT[] = "a b\nc + if";

static void diag_setup(void) {
  D = diag_new(0);
  ck_assert_ptr_nonnull(D);
  ck_assert(src_init(&SRC, SRC_TEXT, sizeof SRC_TEXT - 1, "t.cel"));
}

static void diag_teardown(void) {
  rulecore_diagnostics_free(D);
  D = NULL;
  src_release(&SRC);
}

START_TEST(test_accessors_out_of_range) {
  ck_assert(diag_add(D, &SRC, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SYNTAX_ERROR, 2, 1, "unexpected %s", "'b'"));
  ck_assert_uint_eq(rulecore_diagnostics_count(D), 1);
  assert_defaults(D, 1);
  assert_defaults(D, 1000);
  assert_defaults(D, SIZE_MAX);
}
END_TEST

START_TEST(test_accessors_values) {
  ck_assert(diag_add(D, &SRC, RULECORE_SEVERITY_WARNING, RULECORE_DIAG_RESERVED_IDENTIFIER, 8, 2, "word %d", 7));
  ck_assert_uint_eq(rulecore_diagnostics_count(D), 1);
  ck_assert_uint_eq(rulecore_diagnostics_error_count(D), 0); /* a warning */
  ck_assert_int_eq(rulecore_diagnostics_severity(D, 0), RULECORE_SEVERITY_WARNING);
  ck_assert_int_eq(rulecore_diagnostics_code(D, 0), RULECORE_DIAG_RESERVED_IDENTIFIER);
  ck_assert_str_eq(rulecore_diagnostics_code_name(D, 0), "reserved-identifier");
  ck_assert_str_eq(rulecore_diagnostics_message(D, 0), "word 7");
  ck_assert_str_eq(rulecore_diagnostics_file(D, 0), "t.cel");
  ck_assert_uint_eq(rulecore_diagnostics_line(D, 0), 2);
  ck_assert_uint_eq(rulecore_diagnostics_column(D, 0), 5);
  ck_assert_uint_eq(rulecore_diagnostics_end_line(D, 0), 2);
  ck_assert_uint_eq(rulecore_diagnostics_end_column(D, 0), 7);
  ck_assert_uint_eq(rulecore_diagnostics_offset(D, 0), 8);
  ck_assert_uint_eq(rulecore_diagnostics_length(D, 0), 2);
  char *text = rulecore_diagnostics_render(D, RULECORE_FORMAT_TEXT);
  char copy[256];
  snap_copy(copy, sizeof copy, text);
  rulecore_free(text);
  assert_text_eq(copy, "t.cel:2:5: warning: word 7\nc + if\n    ^~\n");
}
END_TEST

/* Spans are clamped to the source. */
START_TEST(test_diag_add_clamps) {
  ck_assert(diag_add(D, &SRC, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SYNTAX_ERROR, 8, 100, "x"));
  ck_assert(diag_add(D, &SRC, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SYNTAX_ERROR, 500, 3, "y"));
  ck_assert_uint_eq(rulecore_diagnostics_length(D, 0), 2);
  ck_assert_uint_eq(rulecore_diagnostics_end_column(D, 0), 7);
  ck_assert_uint_eq(rulecore_diagnostics_offset(D, 1), sizeof SRC_TEXT - 1);
  ck_assert_uint_eq(rulecore_diagnostics_length(D, 1), 0);
  ck_assert_uint_eq(rulecore_diagnostics_line(D, 1), 2);
  ck_assert_uint_eq(rulecore_diagnostics_column(D, 1), 7);
}
END_TEST

/* Without a source: no position, and no caret line in TEXT. */
START_TEST(test_diag_add_no_source) {
  ck_assert(diag_add(D, NULL, RULECORE_SEVERITY_NOTE, RULECORE_DIAG_TOO_MANY_ERRORS, 3, 4, "free-standing"));
  ck_assert_str_eq(rulecore_diagnostics_file(D, 0), "<input>");
  ck_assert_uint_eq(rulecore_diagnostics_line(D, 0), 0);
  ck_assert_uint_eq(rulecore_diagnostics_error_count(D), 0);
  char *text = rulecore_diagnostics_render(D, RULECORE_FORMAT_TEXT);
  char copy[256];
  snap_copy(copy, sizeof copy, text);
  rulecore_free(text);
  assert_text_eq(copy, "<input>: note: free-standing\n");
}
END_TEST

/* A long message is cut, not overflowed. */
START_TEST(test_diag_add_long_message) {
  static char big[2000];
  memset(big, 'm', sizeof big - 1);
  ck_assert(diag_add(D, &SRC, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SYNTAX_ERROR, 0, 1, "%s", big));
  size_t n = strlen(rulecore_diagnostics_message(D, 0));
  ck_assert_uint_gt(n, 100);
  ck_assert_uint_lt(n, sizeof big - 1);
}
END_TEST

/* The error limit: diag_add says false once it is reached, adds one note,
 * and drops further errors but not warnings. */
START_TEST(test_diag_add_limit) {
  rulecore_diagnostics *d = diag_new(2);
  ck_assert_ptr_nonnull(d);
  bool first = diag_add(d, &SRC, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SYNTAX_ERROR, 0, 1, "one");
  bool full1 = diag_full(d);
  bool second = diag_add(d, &SRC, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SYNTAX_ERROR, 2, 1, "two");
  bool full2 = diag_full(d);
  bool third = diag_add(d, &SRC, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SYNTAX_ERROR, 4, 1, "three");
  bool full3 = diag_full(d);
  bool warning = diag_add(d, &SRC, RULECORE_SEVERITY_WARNING, RULECORE_DIAG_SYNTAX_ERROR, 6, 1, "warn");
  size_t count = d->count, errors = d->errors;
  int note_code = d->count > 2 ? d->items[2].code : 0;
  rulecore_severity note_sev = d->count > 2 ? d->items[2].severity : RULECORE_SEVERITY_ERROR;
  size_t note_off = d->count > 2 ? d->items[2].offset : 0;
  rulecore_diagnostics_free(d);
  ck_assert(first);
  ck_assert(!full1);
  ck_assert(second); /* kept: the limit is reached, nothing dropped yet */
  ck_assert(!full2);
  ck_assert(!third); /* dropped */
  ck_assert(full3);
  ck_assert(warning);
  ck_assert_uint_eq(errors, 2);
  ck_assert_uint_eq(count, 4); /* two errors, the note, the warning */
  ck_assert_int_eq(note_code, RULECORE_DIAG_TOO_MANY_ERRORS);
  ck_assert_int_eq(note_sev, RULECORE_SEVERITY_NOTE);
  ck_assert_uint_eq(note_off, 4); /* at the first error dropped */
}
END_TEST

/* ---- diag_sort ---- */

START_TEST(test_diag_sort_stable) {
  static const size_t offsets[] = {5, 1, 5, 0, 9, 1};
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
    ck_assert(diag_add(D, &SRC, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SYNTAX_ERROR, offsets[i], 0, "#%zu", i));
  diag_sort(D);
  static const char *const order[] = {"#3", "#1", "#5", "#0", "#2", "#4"};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    ck_assert_str_eq(rulecore_diagnostics_message(D, i), order[i]);
    if (i) ck_assert_uint_le(rulecore_diagnostics_offset(D, i - 1), rulecore_diagnostics_offset(D, i));
  }
}
END_TEST

/* Stages report out of order (a field before its operand); the list comes
 * back sorted. */
START_TEST(test_diag_sort_through_parse) {
  snap_parse_str(&S, "let.null + a.in");
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(S.count, 3);
  ck_assert_uint_eq(S.d[0].offset, 0);
  ck_assert_uint_eq(S.d[1].offset, 4);
  ck_assert_uint_eq(S.d[2].offset, 13);
  ck_assert_str_eq(S.d[0].message, "'let' is a reserved word and cannot name a variable or function");
}
END_TEST

/* ---- rulecore_diagnostics_code_name ---- */

static const struct {
  int code;
  const char *name;
} code_names[] = {
    {RULECORE_DIAG_SOURCE_TOO_LARGE, "source-too-large"},
    {RULECORE_DIAG_NESTING_TOO_DEEP, "nesting-too-deep"},
    {RULECORE_DIAG_TOO_MANY_ERRORS, "too-many-errors"},
    {RULECORE_DIAG_SYNTAX_ERROR, "syntax-error"},
    {RULECORE_DIAG_MISSING_TOKEN, "missing-token"},
    {RULECORE_DIAG_UNTERMINATED_STRING, "unterminated-string"},
    {RULECORE_DIAG_INVALID_ESCAPE, "invalid-escape"},
    {RULECORE_DIAG_INVALID_UTF8, "invalid-utf8"},
    {RULECORE_DIAG_INT_OVERFLOW, "int-overflow"},
    {RULECORE_DIAG_INVALID_NUMBER, "invalid-number"},
    {RULECORE_DIAG_RESERVED_IDENTIFIER, "reserved-identifier"},
    {RULECORE_DIAG_INVALID_TYPE_NAME, "invalid-type-name"},
    {0, "unknown"},
    {999, "unknown"},
};

START_TEST(test_code_name_table) {
  ck_assert(diag_add(D, &SRC, RULECORE_SEVERITY_ERROR, code_names[_i].code, 0, 1, "m"));
  ck_assert_str_eq(rulecore_diagnostics_code_name(D, 0), code_names[_i].name);
  ck_assert_str_eq(diag_code_name(code_names[_i].code), code_names[_i].name);
}
END_TEST

/* The code each kind of input gets, and its name. */
static const struct {
  const char *src;
  int code;
  const char *name;
} input_codes[] = {
    {"a b", RULECORE_DIAG_SYNTAX_ERROR, "syntax-error"},
    {"(a", RULECORE_DIAG_MISSING_TOKEN, "missing-token"},
    {"'abc", RULECORE_DIAG_UNTERMINATED_STRING, "unterminated-string"},
    {"'\\q'", RULECORE_DIAG_INVALID_ESCAPE, "invalid-escape"},
    {"\xff", RULECORE_DIAG_INVALID_UTF8, "invalid-utf8"},
    {"99999999999999999999", RULECORE_DIAG_INT_OVERFLOW, "int-overflow"},
    {"1e999", RULECORE_DIAG_INVALID_NUMBER, "invalid-number"},
    {"while", RULECORE_DIAG_RESERVED_IDENTIFIER, "reserved-identifier"},
    {"a[0].T{}", RULECORE_DIAG_INVALID_TYPE_NAME, "invalid-type-name"},
};

START_TEST(test_code_name_from_input) {
  snap_parse_str(&S, input_codes[_i].src);
  ck_assert_uint_ge(S.count, 1);
  ck_assert_int_eq(S.d[0].code, input_codes[_i].code);
  ck_assert_str_eq(S.d[0].name, input_codes[_i].name);
}
END_TEST

Suite *suite_diag(void) {
  Suite *s = suite_create("diag");
  TCase *tc;

  tc = tcase_create("rulecore_diagnostics_render");
  tcase_add_loop_test(tc, test_render_text_table, 0, (int)ARRAY_LEN(text_cases));
  tcase_add_test(tc, test_render_text_note);
  tcase_add_test(tc, test_render_null_and_format);
  tcase_add_test(tc, test_render_json_fields);
  tcase_add_test(tc, test_render_json_note);
  tcase_add_test(tc, test_render_json_empty);
  tcase_add_loop_test(tc, test_render_json_matches_accessors, 0, (int)ARRAY_LEN(json_inputs));
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_diagnostics_accessors");
  tcase_add_checked_fixture(tc, diag_setup, diag_teardown);
  tcase_add_test(tc, test_accessors_null);
  tcase_add_test(tc, test_accessors_out_of_range);
  tcase_add_test(tc, test_accessors_values);
  suite_add_tcase(s, tc);

  tc = tcase_create("diag_add");
  tcase_add_checked_fixture(tc, diag_setup, diag_teardown);
  tcase_add_test(tc, test_diag_add_clamps);
  tcase_add_test(tc, test_diag_add_no_source);
  tcase_add_test(tc, test_diag_add_long_message);
  tcase_add_test(tc, test_diag_add_limit);
  suite_add_tcase(s, tc);

  tc = tcase_create("diag_sort");
  tcase_add_checked_fixture(tc, diag_setup, diag_teardown);
  tcase_add_test(tc, test_diag_sort_stable);
  tcase_add_test(tc, test_diag_sort_through_parse);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_diagnostics_code_name");
  tcase_add_checked_fixture(tc, diag_setup, diag_teardown);
  tcase_add_loop_test(tc, test_code_name_table, 0, (int)ARRAY_LEN(code_names));
  tcase_add_loop_test(tc, test_code_name_from_input, 0, (int)ARRAY_LEN(input_codes));
  suite_add_tcase(s, tc);

  return s;
}

int main(void) { return check_main(suite_diag()); }
