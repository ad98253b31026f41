/*
 * check_literal.c: the literal decoders of src/literal.c, called directly
 * on token text (the internal functions are reachable because the test
 * links the static convenience library).
 */
#include "literal.h"

#include <float.h>
#include <math.h>

#include "check_main.h"

Suite *suite_literal(void);

/* ---- lit_int ---- */

static const struct {
  const char *s;
  bool negative;
  bool ok;
  int64_t value; /* when ok */
} int_cases[] = {
    {"0", false, true, 0},
    {"7", false, true, 7},
    {"123", false, true, 123},
    {"0x1F", false, true, 31},
    {"0XfF", false, true, 255},
    {"0x0", false, true, 0},
    {"9223372036854775807", false, true, INT64_MAX},
    {"0x7fffffffffffffff", false, true, INT64_MAX},
    {"1", true, true, -1},
    {"0", true, true, 0},
    {"0x10", true, true, -16},
    {"9223372036854775807", true, true, -INT64_MAX},
    /* -9223372036854775808 is representable only through the sign. */
    {"9223372036854775808", true, true, INT64_MIN},
    {"0x8000000000000000", true, true, INT64_MIN},
    /* Overflow. */
    {"9223372036854775808", false, false, 0},
    {"9223372036854775809", true, false, 0},
    {"0x8000000000000000", false, false, 0},
    {"0x8000000000000001", true, false, 0},
    {"18446744073709551615", false, false, 0},
    {"18446744073709551616", false, false, 0},
    {"0x10000000000000000", false, false, 0},
    {"0xffffffffffffffff", true, false, 0},
    {"99999999999999999999999999999999", false, false, 0},
};

START_TEST(test_lit_int_table) {
  const char *s = int_cases[_i].s;
  size_t n = strlen(s);
  int64_t v = 12345;
  lit_error err;
  memset(&err, 0, sizeof err);
  bool ok = lit_int(s, n, int_cases[_i].negative, &v, &err);
  ck_assert_msg(ok == int_cases[_i].ok, "lit_int(\"%s\", negative=%d) returned %d", s, int_cases[_i].negative, ok);
  if (ok) {
    ck_assert_msg(v == int_cases[_i].value, "lit_int(\"%s\") gave %lld, expected %lld", s, (long long)v,
                  (long long)int_cases[_i].value);
  } else {
    ck_assert_int_eq(err.code, RULECORE_DIAG_INT_OVERFLOW);
    ck_assert_uint_eq(err.offset, 0);
    ck_assert_uint_eq(err.len, n);
    ck_assert_msg(strstr(err.message, "does not fit in 64 bits") != NULL, "message: %s", err.message);
  }
}
END_TEST

START_TEST(test_lit_int_message) {
  lit_error err;
  int64_t v;
  ck_assert(!lit_int("9223372036854775809", 19, true, &v, &err));
  ck_assert_str_eq(err.message, "int literal -9223372036854775809 does not fit in 64 bits");
  ck_assert(!lit_int("9223372036854775808", 19, false, &v, &err));
  ck_assert_str_eq(err.message, "int literal 9223372036854775808 does not fit in 64 bits");
}
END_TEST

/* The token is s[0..n): bytes after it are not read. */
START_TEST(test_lit_int_length) {
  lit_error err;
  int64_t v = 0;
  ck_assert(lit_int("12345", 2, false, &v, &err));
  ck_assert_int_eq(v, 12);
}
END_TEST

/* ---- lit_uint ---- */

static const struct {
  const char *s;
  bool ok;
  uint64_t value;
} uint_cases[] = {
    {"0u", true, 0},
    {"0U", true, 0},
    {"42u", true, 42},
    {"0xFFu", true, 255},
    {"0xffU", true, 255},
    {"18446744073709551615u", true, UINT64_MAX},
    {"0xffffffffffffffffu", true, UINT64_MAX},
    {"9223372036854775808u", true, (uint64_t)INT64_MAX + 1},
    {"18446744073709551616u", false, 0},
    {"0x10000000000000000u", false, 0},
    {"99999999999999999999u", false, 0},
};

START_TEST(test_lit_uint_table) {
  const char *s = uint_cases[_i].s;
  size_t n = strlen(s);
  uint64_t v = 12345;
  lit_error err;
  memset(&err, 0, sizeof err);
  bool ok = lit_uint(s, n, &v, &err);
  ck_assert_msg(ok == uint_cases[_i].ok, "lit_uint(\"%s\") returned %d", s, ok);
  if (ok) {
    ck_assert_msg(v == uint_cases[_i].value, "lit_uint(\"%s\") gave %llu, expected %llu", s, (unsigned long long)v,
                  (unsigned long long)uint_cases[_i].value);
  } else {
    ck_assert_int_eq(err.code, RULECORE_DIAG_INT_OVERFLOW);
    ck_assert_uint_eq(err.offset, 0);
    ck_assert_uint_eq(err.len, n);
    ck_assert_msg(strstr(err.message, s) != NULL, "message does not quote the literal: %s", err.message);
  }
}
END_TEST

/* ---- lit_double ---- */

static const struct {
  const char *s;
  double value;
} double_cases[] = {
    {"1.5", 1.5},
    {"1e10", 1e10},
    {".5", 0.5},
    {"0.0", 0.0},
    {"2.5E-3", 2.5e-3},
    {"1e+2", 100.0},
    {"1.7976931348623157e308", DBL_MAX},
    {"2.2250738585072014e-308", DBL_MIN},
    /* Longer than the decoder's stack buffer: decoded from a heap copy. */
    {"1.000000000000000000000000000000000000000000000000000000000000000000000000000000000000e0", 1.0},
    {"00000000000000000000000000000000000000000000000000000000000000000000001.5", 1.5},
};

START_TEST(test_lit_double_table) {
  const char *s = double_cases[_i].s;
  double v = -1;
  lit_error err;
  ck_assert_msg(lit_double(s, strlen(s), &v, &err), "lit_double(\"%s\") failed: %s", s, err.message);
  ck_assert_msg(v == double_cases[_i].value, "lit_double(\"%s\") gave %.17g, expected %.17g", s, v,
                double_cases[_i].value);
}
END_TEST

/* Underflow is not an error: the result is zero or a denormal. */
START_TEST(test_lit_double_underflow) {
  static const char *const tiny[] = {"1e-400", "4.9e-324", "1e-320"};
  for (size_t k = 0; k < ARRAY_LEN(tiny); k++) {
    double v = -1;
    lit_error err;
    ck_assert_msg(lit_double(tiny[k], strlen(tiny[k]), &v, &err), "lit_double(\"%s\") failed", tiny[k]);
    ck_assert_msg(v >= 0 && v < DBL_MIN, "lit_double(\"%s\") gave %g", tiny[k], v);
  }
  double v = -1;
  lit_error err;
  ck_assert(lit_double("4.9e-324", 8, &v, &err));
  ck_assert(v > 0); /* the smallest denormal, not flushed to zero */
}
END_TEST

static const char *const double_overflow[] = {
    "1e400",
    "1.8e308",
    "100000000000000000000000000000000000000000000000000000000000000000000000000000000000e300",
};

START_TEST(test_lit_double_overflow) {
  const char *s = double_overflow[_i];
  size_t n = strlen(s);
  double v = 7;
  lit_error err;
  memset(&err, 0, sizeof err);
  ck_assert_msg(!lit_double(s, n, &v, &err), "lit_double(\"%s\") accepted %g", s, v);
  ck_assert_int_eq(err.code, RULECORE_DIAG_INVALID_NUMBER);
  ck_assert_uint_eq(err.offset, 0);
  ck_assert_uint_eq(err.len, n);
  ck_assert_msg(strstr(err.message, "out of range") != NULL, "message: %s", err.message);
}
END_TEST

/* ---- lit_string ---- */

/* A token and what it decodes to (len bytes, since it may hold NUL). */
static const struct {
  const char *token;
  bool bytes;
  const char *value;
  size_t len;
} string_cases[] = {
#define S(tok, val) {tok, false, val, sizeof(val) - 1}
#define B(tok, val) {tok, true, val, sizeof(val) - 1}
    S("\"\"", ""),
    S("''", ""),
    S("\"abc\"", "abc"),
    S("'abc'", "abc"),
    S("\"\xc3\xa9t\xc3\xa9\"", "\xc3\xa9t\xc3\xa9"), /* UTF-8 passes through */
    /* Every simple escape. */
    S("'\\a'", "\a"),
    S("'\\b'", "\b"),
    S("'\\f'", "\f"),
    S("'\\n'", "\n"),
    S("'\\r'", "\r"),
    S("'\\t'", "\t"),
    S("'\\v'", "\v"),
    S("'\\\\'", "\\"),
    S("'\\?'", "?"),
    S("'\\\"'", "\""),
    S("\"\\'\"", "'"),
    S("'\\`'", "`"),
    S("'x\\ny\\tz'", "x\ny\tz"),
    /* Hex and Unicode escapes. */
    S("'\\x41'", "A"),
    S("'\\X41'", "A"),
    S("'\\x7f'", "\x7f"),
    S("'\\xff'", "\xc3\xbf"), /* a code point in strings: U+00FF */
    S("'\\u0041'", "A"),
    S("'\\u00e9'", "\xc3\xa9"),
    S("'\\u263A'", "\xe2\x98\xba"),
    S("'\\u263a'", "\xe2\x98\xba"),
    S("'\\uFFFF'", "\xef\xbf\xbf"),
    S("'\\u12345'", "\xe1\x88\xb4" "5"), /* \u takes exactly 4 digits */
    S("'\\U0001F600'", "\xf0\x9f\x98\x80"),
    S("'\\U0010FFFF'", "\xf4\x8f\xbf\xbf"),
    S("'\\uD7FF'", "\xed\x9f\xbf"),
    S("'\\uE000'", "\xee\x80\x80"),
    /* Octal escapes. */
    S("'\\101'", "A"),
    S("'\\000'", "\0"),
    S("'a\\000b'", "a\0b"),
    S("'\\377'", "\xc3\xbf"), /* U+00FF in a string ... */
    B("b'\\377'", "\xff"),    /* ... one byte in bytes */
    S("'\\0101'", "\x08" "1"),
    /* Bytes. */
    B("b''", ""),
    B("b'abc'", "abc"),
    B("B\"abc\"", "abc"),
    B("b'\\x00\\xff'", "\0\xff"),
    B("b'\\X41'", "A"),
    B("b'\\101\\000'", "A\0"),
    B("b'\\n'", "\n"),
    B("b'\xc3\xa9'", "\xc3\xa9"), /* UTF-8 text in bytes stays its bytes */
    /* Raw strings keep backslashes. */
    S("r'a\\nb'", "a\\nb"),
    S("R\"\\x41\\u263A\"", "\\x41\\u263A"),
    S("r'\\q'", "\\q"),
    B("rb'\\n\\xff'", "\\n\\xff"),
    B("Br'\\0'", "\\0"),
    B("bR\"\\\\\"", "\\\\"),
    /* Triple quotes. */
    S("''''''", ""),
    S("\"\"\"\"\"\"", ""),
    S("'''abc'''", "abc"),
    S("\"\"\"a\"b\"\"\"", "a\"b"),
    S("'''a'b''c'''", "a'b''c"),
    S("'''line1\nline2'''", "line1\nline2"),
    S("\"\"\"x\\ty\"\"\"", "x\ty"),
    S("r'''a\\nb'''", "a\\nb"),
    B("b'''\\x41'''", "A"),
#undef S
#undef B
};

START_TEST(test_lit_string_table) {
  const char *tok = string_cases[_i].token;
  buf b = {0};
  bool bytes = !string_cases[_i].bytes;
  lit_error err;
  memset(&err, 0, sizeof err);
  bool ok = lit_string(tok, strlen(tok), &b, &bytes, &err);
  /* Copy out before asserting, so a failure leaks nothing. */
  char got[64] = {0};
  size_t len = b.len;
  bool oom = b.oom, terminated = b.data && b.data[b.len] == '\0';
  if (b.data) memcpy(got, b.data, len < sizeof got ? len : sizeof got);
  buf_release(&b);
  ck_assert_msg(ok, "lit_string(%s) failed: %s", tok, err.message);
  ck_assert(!oom);
  ck_assert_msg(terminated, "lit_string(%s): result not NUL-terminated", tok);
  ck_assert_msg(bytes == string_cases[_i].bytes, "lit_string(%s): is_bytes %d", tok, bytes);
  ck_assert_msg(len == string_cases[_i].len, "lit_string(%s): %zu bytes, expected %zu", tok, len,
                string_cases[_i].len);
  ck_assert_mem_eq(got, string_cases[_i].value, len);
}
END_TEST

/* Appends to what the buffer holds. */
START_TEST(test_lit_string_appends) {
  buf b = {0};
  buf_puts(&b, "pre:");
  bool bytes;
  lit_error err;
  bool ok = lit_string("'x\\n'", 5, &b, &bytes, &err);
  char got[16] = {0};
  snprintf(got, sizeof got, "%s", b.data ? b.data : "");
  size_t len = b.len;
  buf_release(&b);
  ck_assert(ok);
  ck_assert_uint_eq(len, 6);
  ck_assert_str_eq(got, "pre:x\n");
}
END_TEST

/* A bad escape: its code, its bytes relative to the token, the message. */
static const struct {
  const char *token;
  size_t offset, len;
  const char *message; /* a substring */
} escape_errors[] = {
    {"'\\q'", 1, 2, "invalid escape sequence \\q"},
    {"'ab\\q'", 3, 2, "invalid escape sequence \\q"},
    {"b'a\\q'", 3, 2, "invalid escape sequence \\q"},
    {"'\\\xc3\xa9'", 1, 3, "invalid escape sequence \\\xc3\xa9"}, /* a 2-byte character */
    {"'\\4'", 1, 2, "invalid escape sequence \\4"},
    {"'\\8'", 1, 2, "invalid escape sequence \\8"},
    {"'\\e'", 1, 2, "invalid escape sequence \\e"},
    {"b'\\u0041'", 2, 2, "\\u escapes are not allowed in bytes"},
    {"B'\\U00000041'", 2, 2, "\\U escapes are not allowed in bytes"},
    {"'\\uD800'", 1, 6, "\\uD800 is not a Unicode scalar value"},
    {"'\\uDFFF'", 1, 6, "is not a Unicode scalar value"},
    {"'\\U0000DC00'", 1, 10, "is not a Unicode scalar value"},
    {"'\\U00110000'", 1, 10, "\\U00110000 is not a Unicode scalar value"},
    {"'\\UFFFFFFFF'", 1, 10, "is not a Unicode scalar value"},
    {"'\\x4'", 1, 3, "\\x escape needs 2 hex digits"},
    {"'\\xg1'", 1, 2, "\\x escape needs 2 hex digits"},
    {"'\\u12'", 1, 4, "\\u escape needs 4 hex digits"},
    {"'\\U0001F60'", 1, 9, "\\U escape needs 8 hex digits"},
    {"'\\0'", 1, 2, "octal escape needs three octal digits"},
    {"'\\08'", 1, 2, "octal escape needs three octal digits"},
    {"'\\1'", 1, 2, "octal escape needs three octal digits"},
    {"'''a\\\nb'''", 4, 1, "a backslash cannot continue a line"},
    {"'\\'", 1, 1, "a string cannot end with a backslash"},
};

START_TEST(test_lit_string_errors) {
  const char *tok = escape_errors[_i].token;
  buf b = {0};
  bool bytes;
  lit_error err;
  memset(&err, 0, sizeof err);
  bool ok = lit_string(tok, strlen(tok), &b, &bytes, &err);
  buf_release(&b);
  ck_assert_msg(!ok, "lit_string(%s) accepted a bad escape", tok);
  ck_assert_int_eq(err.code, RULECORE_DIAG_INVALID_ESCAPE);
  ck_assert_msg(err.offset == escape_errors[_i].offset && err.len == escape_errors[_i].len,
                "lit_string(%s): error at offset %zu len %zu, expected %zu len %zu", tok, err.offset, err.len,
                escape_errors[_i].offset, escape_errors[_i].len);
  ck_assert_msg(strstr(err.message, escape_errors[_i].message) != NULL, "lit_string(%s): message \"%s\"", tok,
                err.message);
}
END_TEST

/* ---- lit_utf8_valid_prefix ---- */

static const struct {
  const char *s;
  size_t n, valid;
} utf8_cases[] = {
    {"", 0, 0},
    {"abc", 3, 3},
    {"a\0b", 3, 3}, /* NUL is a valid character */
    {"\xc3\xa9", 2, 2},
    {"\xe2\x98\xba", 3, 3},
    {"\xf0\x9f\x98\x80", 4, 4},
    {"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF */
    {"\xed\x9f\xbf", 3, 3},     /* U+D7FF */
    {"\xee\x80\x80", 3, 3},     /* U+E000 */
    {"a\xc2\x80z", 4, 4},       /* U+0080 */
    {"a\xdf\xbfz", 4, 4},       /* U+07FF */
    {"\xe0\xa0\x80", 3, 3},     /* U+0800 */
    {"\xf0\x90\x80\x80", 4, 4}, /* U+10000 */
    /* Overlong forms. */
    {"a\xc0\x80", 3, 1},
    {"\xc1\xbf", 2, 0},
    {"\xe0\x80\x80", 3, 0},
    {"\xe0\x9f\xbf", 3, 0},
    {"\xf0\x80\x80\x80", 4, 0},
    {"\xf0\x8f\xbf\xbf", 4, 0},
    /* Surrogates. */
    {"ab\xed\xa0\x80", 5, 2},
    {"\xed\xbf\xbf", 3, 0},
    /* Above U+10FFFF. */
    {"\xf4\x90\x80\x80", 4, 0},
    {"\xf5\x80\x80\x80", 4, 0},
    {"\xf7\xbf\xbf\xbf", 4, 0},
    {"\xf8\x88\x80\x80\x80", 5, 0},
    {"\xfc\x84\x80\x80\x80\x80", 6, 0},
    {"\xfe", 1, 0},
    {"\xff", 1, 0},
    /* Truncated sequences. */
    {"x\xe2\x98", 3, 1},
    {"\xf0\x9f\x98", 3, 0},
    {"\xc3", 1, 0},
    {"\xe2\x98\xba", 2, 0}, /* n cuts the character */
    {"\xc3\xa9\xc3\xa9", 3, 2},
    /* Lone continuation bytes and bad continuations. */
    {"\x80", 1, 0},
    {"a\xbf" "b", 3, 1},
    {"\xc3\x28", 2, 0},
    {"\xe2\x28\xa1", 3, 0},
    {"\xe2\x82\x28", 3, 0},
    {"\xf0\x28\x8c\xbc", 4, 0},
    {"ok\xc3\xa9\x80", 5, 4},
};

START_TEST(test_lit_utf8_valid_prefix_table) {
  size_t got = lit_utf8_valid_prefix(utf8_cases[_i].s, utf8_cases[_i].n);
  ck_assert_msg(got == utf8_cases[_i].valid, "case %d: valid prefix %zu, expected %zu", _i, got,
                utf8_cases[_i].valid);
}
END_TEST

/* ---- lit_put_utf8 ---- */

static const struct {
  uint32_t cp;
  const char *utf8;
} put_cases[] = {
    {0x0, ""}, /* checked by length below */
    {0x41, "A"},
    {0x7f, "\x7f"},
    {0x80, "\xc2\x80"},
    {0xff, "\xc3\xbf"},
    {0x7ff, "\xdf\xbf"},
    {0x800, "\xe0\xa0\x80"},
    {0x263a, "\xe2\x98\xba"},
    {0xffff, "\xef\xbf\xbf"},
    {0x10000, "\xf0\x90\x80\x80"},
    {0x1f600, "\xf0\x9f\x98\x80"},
    {0x10ffff, "\xf4\x8f\xbf\xbf"},
};

START_TEST(test_lit_put_utf8_table) {
  buf b = {0};
  lit_put_utf8(&b, put_cases[_i].cp);
  char got[8] = {0};
  size_t len = b.len;
  if (b.data) memcpy(got, b.data, len < sizeof got ? len : sizeof got);
  buf_release(&b);
  size_t want = put_cases[_i].cp ? strlen(put_cases[_i].utf8) : 1;
  ck_assert_msg(len == want, "U+%04X: %zu bytes, expected %zu", put_cases[_i].cp, len, want);
  ck_assert_mem_eq(got, put_cases[_i].cp ? put_cases[_i].utf8 : "\0", want);
  /* What it writes reads back as valid UTF-8. */
  ck_assert_uint_eq(lit_utf8_valid_prefix(got, len), len);
}
END_TEST

Suite *suite_literal(void) {
  Suite *s = suite_create("literal");
  TCase *tc;

  tc = tcase_create("lit_int");
  tcase_add_loop_test(tc, test_lit_int_table, 0, (int)ARRAY_LEN(int_cases));
  tcase_add_test(tc, test_lit_int_message);
  tcase_add_test(tc, test_lit_int_length);
  suite_add_tcase(s, tc);

  tc = tcase_create("lit_uint");
  tcase_add_loop_test(tc, test_lit_uint_table, 0, (int)ARRAY_LEN(uint_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("lit_double");
  tcase_add_loop_test(tc, test_lit_double_table, 0, (int)ARRAY_LEN(double_cases));
  tcase_add_test(tc, test_lit_double_underflow);
  tcase_add_loop_test(tc, test_lit_double_overflow, 0, (int)ARRAY_LEN(double_overflow));
  suite_add_tcase(s, tc);

  tc = tcase_create("lit_string");
  tcase_add_loop_test(tc, test_lit_string_table, 0, (int)ARRAY_LEN(string_cases));
  tcase_add_test(tc, test_lit_string_appends);
  tcase_add_loop_test(tc, test_lit_string_errors, 0, (int)ARRAY_LEN(escape_errors));
  suite_add_tcase(s, tc);

  tc = tcase_create("lit_utf8_valid_prefix");
  tcase_add_loop_test(tc, test_lit_utf8_valid_prefix_table, 0, (int)ARRAY_LEN(utf8_cases));
  suite_add_tcase(s, tc);

  tc = tcase_create("lit_put_utf8");
  tcase_add_loop_test(tc, test_lit_put_utf8_table, 0, (int)ARRAY_LEN(put_cases));
  suite_add_tcase(s, tc);

  return s;
}

int main(void) { return check_main(suite_literal()); }
