/*
 * check_syntax.c: source text to syntax tree, through the public API only:
 * rulecore_parse, rulecore_expr_render (SEXP) and the diagnostics
 * accessors.  Also the environment's limits, the version, and an
 * allocation-failure walk over every error path.
 */
#define _GNU_SOURCE
#include <execinfo.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

Suite *suite_syntax(void);

static snapshot S; /* the parse under test: static, see check_main.h */

/* The first diagnostic of s as printf arguments: code, line, column, message. */
#define FIRST_DIAG(s) (s).d[0].code, (s).d[0].line, (s).d[0].column, (s).d[0].message

/* ---- rulecore_version ---- */

START_TEST(test_version) {
  ck_assert_str_eq(rulecore_version(), RULECORE_VERSION_STRING);
  ck_assert_int_eq(rulecore_version_number(), RULECORE_VERSION_NUMBER);
  char expect[32];
  snprintf(expect, sizeof expect, "%d.%d.%d", RULECORE_VERSION_MAJOR, RULECORE_VERSION_MINOR,
           RULECORE_VERSION_PATCH);
  ck_assert_str_eq(rulecore_version(), expect);
}
END_TEST

START_TEST(test_status_message) {
  ck_assert_str_eq(rulecore_status_message(RULECORE_OK), "ok");
  ck_assert_str_eq(rulecore_status_message(RULECORE_ERR_NOMEM), "out of memory");
  ck_assert_str_eq(rulecore_status_message(RULECORE_ERR_ARGUMENT), "invalid argument");
  ck_assert_ptr_nonnull(rulecore_status_message(RULECORE_ERR_SOURCE));
  ck_assert_ptr_nonnull(rulecore_status_message(RULECORE_ERR_IO));
  ck_assert_ptr_nonnull(rulecore_status_message((rulecore_status)99));
}
END_TEST

/* ---- rulecore_env_set_limit ---- */

START_TEST(test_env_defaults) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  uint64_t bytes = rulecore_env_limit(env, RULECORE_LIMIT_SOURCE_BYTES);
  uint64_t depth = rulecore_env_limit(env, RULECORE_LIMIT_NESTING_DEPTH);
  uint64_t errors = rulecore_env_limit(env, RULECORE_LIMIT_ERRORS);
  uint64_t cost = rulecore_env_limit(env, RULECORE_LIMIT_EVAL_COST);
  uint64_t load_memory = rulecore_env_limit(env, RULECORE_LIMIT_LOAD_MEMORY);
  uint64_t load_instructions = rulecore_env_limit(env, RULECORE_LIMIT_LOAD_INSTRUCTIONS);
  uint64_t unknown = rulecore_env_limit(env, (rulecore_limit)6);
  rulecore_env_free(env);
  rulecore_env_free(NULL); /* a no-op */
  ck_assert_uint_eq(bytes, 1u << 20);
  ck_assert_uint_eq(depth, 250);
  ck_assert_uint_eq(errors, 20);
  ck_assert_uint_eq(cost, UINT64_MAX); /* no limit */
  ck_assert_uint_eq(load_memory, 64u << 20);
  ck_assert_uint_eq(load_instructions, 100000000u);
  ck_assert_uint_eq(unknown, 0);
  ck_assert_uint_eq(rulecore_env_limit(NULL, RULECORE_LIMIT_ERRORS), 0);
}
END_TEST

static const struct {
  int limit;
  uint64_t value;
  rulecore_status status;
} limit_cases[] = {
    {RULECORE_LIMIT_SOURCE_BYTES, 1, RULECORE_OK},
    {RULECORE_LIMIT_SOURCE_BYTES, 1u << 30, RULECORE_OK},
    {RULECORE_LIMIT_SOURCE_BYTES, (1u << 30) + 1, RULECORE_ERR_ARGUMENT},
    {RULECORE_LIMIT_SOURCE_BYTES, UINT64_MAX, RULECORE_ERR_ARGUMENT},
    {RULECORE_LIMIT_SOURCE_BYTES, 0, RULECORE_ERR_ARGUMENT},
    {RULECORE_LIMIT_NESTING_DEPTH, 1, RULECORE_OK},
    {RULECORE_LIMIT_NESTING_DEPTH, 1000, RULECORE_OK},
    {RULECORE_LIMIT_NESTING_DEPTH, 1001, RULECORE_ERR_ARGUMENT},
    {RULECORE_LIMIT_NESTING_DEPTH, 0, RULECORE_ERR_ARGUMENT},
    {RULECORE_LIMIT_NESTING_DEPTH, (uint64_t)1 << 32, RULECORE_ERR_ARGUMENT},
    {RULECORE_LIMIT_ERRORS, 1, RULECORE_OK},
    {RULECORE_LIMIT_ERRORS, 1000000, RULECORE_OK},
    {RULECORE_LIMIT_ERRORS, 0, RULECORE_ERR_ARGUMENT},
    {RULECORE_LIMIT_EVAL_COST, 1, RULECORE_OK},
    {RULECORE_LIMIT_EVAL_COST, UINT64_MAX - 1, RULECORE_OK},
    {RULECORE_LIMIT_EVAL_COST, 0, RULECORE_ERR_ARGUMENT},
    {RULECORE_LIMIT_LOAD_MEMORY, 1, RULECORE_OK},
    {RULECORE_LIMIT_LOAD_MEMORY, 0, RULECORE_ERR_ARGUMENT},
    {RULECORE_LIMIT_LOAD_INSTRUCTIONS, 1000, RULECORE_OK},
    {RULECORE_LIMIT_LOAD_INSTRUCTIONS, 0, RULECORE_ERR_ARGUMENT},
    {6, 5, RULECORE_ERR_ARGUMENT},
    {-1, 5, RULECORE_ERR_ARGUMENT},
    {1000, 5, RULECORE_ERR_ARGUMENT},
};

START_TEST(test_env_set_limit_table) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  rulecore_limit limit = (rulecore_limit)limit_cases[_i].limit;
  uint64_t before = rulecore_env_limit(env, limit);
  rulecore_status st = rulecore_env_set_limit(env, limit, limit_cases[_i].value);
  uint64_t after = rulecore_env_limit(env, limit);
  rulecore_env_free(env);
  ck_assert_msg(st == limit_cases[_i].status, "set_limit(%d, %llu) returned %d", limit_cases[_i].limit,
                (unsigned long long)limit_cases[_i].value, st);
  /* Set on success, unchanged on failure. */
  ck_assert_uint_eq(after, st == RULECORE_OK ? limit_cases[_i].value : before);
}
END_TEST

START_TEST(test_env_set_limit_null) {
  ck_assert_int_eq(rulecore_env_set_limit(NULL, RULECORE_LIMIT_ERRORS, 5), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_env_set_limit(NULL, RULECORE_LIMIT_NESTING_DEPTH, 0), RULECORE_ERR_ARGUMENT);
}
END_TEST

/* ---- rulecore_parse: arguments ---- */

START_TEST(test_parse_null_out) {
  rulecore_diagnostics *d = (rulecore_diagnostics *)&S; /* anything not NULL */
  rulecore_status st = rulecore_parse(NULL, "1", 1, NULL, NULL, &d);
  ck_assert_int_eq(st, RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(rulecore_parse(NULL, "1", 1, NULL, NULL, NULL), RULECORE_ERR_ARGUMENT);
}
END_TEST

START_TEST(test_parse_null_source) {
  rulecore_expr *e = (rulecore_expr *)&S;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_parse(NULL, NULL, 5, NULL, &e, &d);
  rulecore_diagnostics_free(d);
  ck_assert_int_eq(st, RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(e);
  /* NULL with length 0 is the empty input: a syntax error. */
  snap_parse(&S, NULL, NULL, 0, NULL);
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(S.count, 1);
  ck_assert_int_eq(S.d[0].code, RULECORE_DIAG_SYNTAX_ERROR);
}
END_TEST

/* Without a diagnostics pointer the status still says what happened. */
START_TEST(test_parse_no_diagnostics) {
  rulecore_expr *e = NULL;
  rulecore_status ok = rulecore_parse(NULL, "a + 1", 5, NULL, &e, NULL);
  bool have = e != NULL;
  rulecore_expr_free(e);
  e = (rulecore_expr *)&S;
  rulecore_status bad = rulecore_parse(NULL, "a +", 3, NULL, &e, NULL);
  ck_assert_int_eq(ok, RULECORE_OK);
  ck_assert(have);
  ck_assert_int_eq(bad, RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(e);
}
END_TEST

/* On success the diagnostics list is still returned, and empty. */
START_TEST(test_parse_ok_empty_diagnostics) {
  rulecore_expr *e = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_parse(NULL, "1", 1, NULL, &e, &d);
  bool have_d = d != NULL;
  size_t n = rulecore_diagnostics_count(d);
  rulecore_expr_free(e);
  rulecore_diagnostics_free(d);
  ck_assert_int_eq(st, RULECORE_OK);
  ck_assert(have_d);
  ck_assert_uint_eq(n, 0);
}
END_TEST

/* The source need not be NUL-terminated: only length bytes are read. */
START_TEST(test_parse_length) {
  snap_parse(&S, NULL, "a + 1garbage", 5, NULL);
  ck_assert_int_eq(S.status, RULECORE_OK);
  assert_text_eq(S.sexp, "(binary + @1:1-1:6\n  (ident a @1:1-1:2)\n  (int 1 @1:5-1:6))\n");
}
END_TEST

START_TEST(test_parse_file_name) {
  snap_parse(&S, NULL, "a +", 3, "rules/x.cel");
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_str_eq(S.d[0].file, "rules/x.cel");
  snap_parse(&S, NULL, "a +", 3, NULL);
  ck_assert_str_eq(S.d[0].file, "<input>");
}
END_TEST

/* ---- rulecore_parse: exact trees ---- */

static const struct {
  const char *src;
  const char *sexp;
} sexp_cases[] = {
    {"user.age > 18 && user.city == \"Beijing\"",
     "(binary && @1:1-1:40\n"
     "  (binary > @1:1-1:14\n"
     "    (select age @1:1-1:9\n"
     "      (ident user @1:1-1:5))\n"
     "    (int 18 @1:12-1:14))\n"
     "  (binary == @1:18-1:40\n"
     "    (select city @1:18-1:27\n"
     "      (ident user @1:18-1:22))\n"
     "    (string \"Beijing\" @1:31-1:40)))\n"},
    {"null", "(null @1:1-1:5)\n"},
    {"true", "(bool true @1:1-1:5)\n"},
    {"false", "(bool false @1:1-1:6)\n"},
    {"42", "(int 42 @1:1-1:3)\n"},
    {"0x2A", "(int 42 @1:1-1:5)\n"},
    {"42u", "(uint 42u @1:1-1:4)\n"},
    {"0xFFu", "(uint 255u @1:1-1:6)\n"},
    {"18446744073709551615u", "(uint 18446744073709551615u @1:1-1:22)\n"},
    {"2.5", "(double 2.5 @1:1-1:4)\n"},
    {"1e10", "(double 1e+10 @1:1-1:5)\n"},
    {"-2.5", "(double -2.5 @1:1-1:5)\n"},
    {"\"s\"", "(string \"s\" @1:1-1:4)\n"},
    {"'\\u263A\\n'", "(string \"\xe2\x98\xba\\n\" @1:1-1:11)\n"},
    {"b'\\x00\\xffA'", "(bytes b\"\\x00\\xffA\" @1:1-1:13)\n"},
    {"r'\\d+'", "(string \"\\\\d+\" @1:1-1:7)\n"},
    {"'''a\nb'''", "(string \"a\\nb\" @1:1-2:5)\n"},
    {"a", "(ident a @1:1-1:2)\n"},
    {".a", "(ident .a @1:1-1:3)\n"},
    {"(a)", "(ident a @1:2-1:3)\n"},
    {"a.b", "(select b @1:1-1:4\n  (ident a @1:1-1:2))\n"},
    {"a[1]", "(index @1:1-1:5\n  (ident a @1:1-1:2)\n  (int 1 @1:3-1:4))\n"},
    {"f(1, 2)", "(call f @1:1-1:8\n  (int 1 @1:3-1:4)\n  (int 2 @1:6-1:7))\n"},
    {"f()", "(call f @1:1-1:4)\n"},
    {"a.f(x)", "(call f @1:1-1:7\n  (target\n    (ident a @1:1-1:2))\n  (ident x @1:5-1:6))\n"},
    {".f(x)", "(call .f @1:1-1:6\n  (ident x @1:4-1:5))\n"},
    {"!a", "(unary ! @1:1-1:3\n  (ident a @1:2-1:3))\n"},
    {"-a", "(unary - @1:1-1:3\n  (ident a @1:2-1:3))\n"},
    {"a in b", "(binary in @1:1-1:7\n  (ident a @1:1-1:2)\n  (ident b @1:6-1:7))\n"},
    {"[]", "(list @1:1-1:3)\n"},
    {"[1, \"x\",]", "(list @1:1-1:10\n  (int 1 @1:2-1:3)\n  (string \"x\" @1:5-1:8))\n"},
    {"{}", "(map @1:1-1:3)\n"},
    {"{\"k\": 1, 2: 3}",
     "(map @1:1-1:15\n"
     "  (entry\n    (string \"k\" @1:2-1:5)\n    (int 1 @1:7-1:8))\n"
     "  (entry\n    (int 2 @1:10-1:11)\n    (int 3 @1:13-1:14)))\n"},
    {"a.b.Msg{x: 1, y: 2}",
     "(struct a.b.Msg @1:1-1:20\n"
     "  (field x @1:9-1:10\n    (int 1 @1:12-1:13))\n"
     "  (field y @1:15-1:16\n    (int 2 @1:18-1:19)))\n"},
    {".pkg.Msg{}", "(struct .pkg.Msg @1:1-1:11)\n"},
    {"Msg{if: 1}", "(struct Msg @1:1-1:11\n  (field if @1:5-1:7\n    (int 1 @1:9-1:10)))\n"},
    {"a ? b : c", "(conditional @1:1-1:10\n  (ident a @1:1-1:2)\n  (ident b @1:5-1:6)\n  (ident c @1:9-1:10))\n"},
    /* Comments are skipped, and positions count lines. */
    {"// first\n[1, // one\n 2]", "(list @2:1-3:4\n  (int 1 @2:2-2:3)\n  (int 2 @3:2-3:3))\n"},
    {"f(// x\n1)", "(call f @1:1-2:3\n  (int 1 @2:1-2:2))\n"},
    /* Columns count code points, not bytes. */
    {"'\xc3\xa9\xc3\xa9' + x", "(binary + @1:1-1:9\n  (string \"\xc3\xa9\xc3\xa9\" @1:1-1:5)\n  (ident x @1:8-1:9))\n"},
    {"'\xf0\x9f\x98\x80' + x", "(binary + @1:1-1:8\n  (string \"\xf0\x9f\x98\x80\" @1:1-1:4)\n  (ident x @1:7-1:8))\n"},
    /* The int64 minimum is a literal, not a negated overflow. */
    {"-9223372036854775808", "(int -9223372036854775808 @1:1-1:21)\n"},
    {"- 9223372036854775808", "(int -9223372036854775808 @1:1-1:22)\n"},
    {"-0x8000000000000000", "(int -9223372036854775808 @1:1-1:20)\n"},
    {"--9223372036854775808", "(unary - @1:1-1:22\n  (int -9223372036854775808 @1:2-1:22))\n"},
    {"9223372036854775807", "(int 9223372036854775807 @1:1-1:20)\n"},
    {"-1u", "(unary - @1:1-1:4\n  (uint 1u @1:2-1:4))\n"},
    {"-(1)", "(unary - @1:1-1:5\n  (int 1 @1:3-1:4))\n"},
    /* Reserved words may name fields and methods. */
    {"a.if", "(select if @1:1-1:5\n  (ident a @1:1-1:2))\n"},
    {"a.while()", "(call while @1:1-1:10\n  (target\n    (ident a @1:1-1:2)))\n"},
    {"a.if{}", "(struct a.if @1:1-1:7)\n"},
    {"null.x", "(select x @1:1-1:7\n  (null @1:1-1:5))\n"},
};

START_TEST(test_parse_sexp_table) {
  const char *src = sexp_cases[_i].src;
  snap_parse_str(&S, src);
  ck_assert_msg(S.status == RULECORE_OK, "parse(%s) failed: %d %u:%u %s", src, FIRST_DIAG(S));
  ck_assert_uint_eq(S.count, 0);
  assert_text_eq(S.sexp, sexp_cases[_i].sexp);
}
END_TEST

/* ---- rulecore_parse: precedence and associativity ---- */

static const struct {
  const char *src;
  const char *sexp;
} precedence_cases[] = {
    {"1 + 2 * 3",
     "(binary + @1:1-1:10\n  (int 1 @1:1-1:2)\n  (binary * @1:5-1:10\n    (int 2 @1:5-1:6)\n    (int 3 @1:9-1:10)))\n"},
    {"1 * 2 + 3",
     "(binary + @1:1-1:10\n  (binary * @1:1-1:6\n    (int 1 @1:1-1:2)\n    (int 2 @1:5-1:6))\n  (int 3 @1:9-1:10))\n"},
    {"(1 + 2) * 3",
     "(binary * @1:1-1:12\n  (binary + @1:2-1:7\n    (int 1 @1:2-1:3)\n    (int 2 @1:6-1:7))\n  (int 3 @1:11-1:12))\n"},
    {"a || b && c",
     "(binary || @1:1-1:12\n  (ident a @1:1-1:2)\n  (binary && @1:6-1:12\n    (ident b @1:6-1:7)\n    (ident c @1:11-1:12)))\n"},
    {"a && b || c",
     "(binary || @1:1-1:12\n  (binary && @1:1-1:7\n    (ident a @1:1-1:2)\n    (ident b @1:6-1:7))\n  (ident c @1:11-1:12))\n"},
    {"-a.b", "(unary - @1:1-1:5\n  (select b @1:2-1:5\n    (ident a @1:2-1:3)))\n"},
    {"!a.b()", "(unary ! @1:1-1:7\n  (call b @1:2-1:7\n    (target\n      (ident a @1:2-1:3))))\n"},
    {"!!a", "(unary ! @1:1-1:4\n  (unary ! @1:2-1:4\n    (ident a @1:3-1:4)))\n"},
    {"a ? b : c ? d : e",
     "(conditional @1:1-1:18\n  (ident a @1:1-1:2)\n  (ident b @1:5-1:6)\n"
     "  (conditional @1:9-1:18\n    (ident c @1:9-1:10)\n    (ident d @1:13-1:14)\n    (ident e @1:17-1:18)))\n"},
    {"a || b ? c : d",
     "(conditional @1:1-1:15\n  (binary || @1:1-1:7\n    (ident a @1:1-1:2)\n    (ident b @1:6-1:7))\n"
     "  (ident c @1:10-1:11)\n  (ident d @1:14-1:15))\n"},
    {"a - b - c",
     "(binary - @1:1-1:10\n  (binary - @1:1-1:6\n    (ident a @1:1-1:2)\n    (ident b @1:5-1:6))\n  (ident c @1:9-1:10))\n"},
    {"a / b * c",
     "(binary * @1:1-1:10\n  (binary / @1:1-1:6\n    (ident a @1:1-1:2)\n    (ident b @1:5-1:6))\n  (ident c @1:9-1:10))\n"},
    {"a % b + c",
     "(binary + @1:1-1:10\n  (binary % @1:1-1:6\n    (ident a @1:1-1:2)\n    (ident b @1:5-1:6))\n  (ident c @1:9-1:10))\n"},
    {"a + b < c",
     "(binary < @1:1-1:10\n  (binary + @1:1-1:6\n    (ident a @1:1-1:2)\n    (ident b @1:5-1:6))\n  (ident c @1:9-1:10))\n"},
    /* The relations share one level, left to right. */
    {"1 < 2 == true",
     "(binary == @1:1-1:14\n  (binary < @1:1-1:6\n    (int 1 @1:1-1:2)\n    (int 2 @1:5-1:6))\n  (bool true @1:10-1:14))\n"},
    {"a in b == c",
     "(binary == @1:1-1:12\n  (binary in @1:1-1:7\n    (ident a @1:1-1:2)\n    (ident b @1:6-1:7))\n  (ident c @1:11-1:12))\n"},
    {"a < b && c >= d",
     "(binary && @1:1-1:16\n  (binary < @1:1-1:6\n    (ident a @1:1-1:2)\n    (ident b @1:5-1:6))\n"
     "  (binary >= @1:10-1:16\n    (ident c @1:10-1:11)\n    (ident d @1:15-1:16)))\n"},
    {"a.b[0].c(d)",
     "(call c @1:1-1:12\n  (target\n    (index @1:1-1:7\n      (select b @1:1-1:4\n        (ident a @1:1-1:2))\n"
     "      (int 0 @1:5-1:6)))\n  (ident d @1:10-1:11))\n"},
    {"-1 - 1", "(binary - @1:1-1:7\n  (int -1 @1:1-1:3)\n  (int 1 @1:6-1:7))\n"},
};

START_TEST(test_parse_precedence_table) {
  const char *src = precedence_cases[_i].src;
  snap_parse_str(&S, src);
  ck_assert_msg(S.status == RULECORE_OK, "parse(%s) failed: %d %u:%u %s", src, FIRST_DIAG(S));
  assert_text_eq(S.sexp, precedence_cases[_i].sexp);
}
END_TEST

/* Every binary operator lowers to itself. */
static const char *const binary_ops[] = {"||", "&&", "<", "<=", ">", ">=", "==", "!=", "in", "+", "-", "*", "/", "%"};

START_TEST(test_parse_binary_ops) {
  char src[32], want[32];
  snprintf(src, sizeof src, "x %s y", binary_ops[_i]);
  snprintf(want, sizeof want, "(binary %s @1:1-", binary_ops[_i]);
  snap_parse_str(&S, src);
  ck_assert_msg(S.status == RULECORE_OK, "parse(%s) failed: %d %u:%u %s", src, FIRST_DIAG(S));
  ck_assert_msg(strncmp(S.sexp, want, strlen(want)) == 0, "parse(%s) gave %s", src, S.sexp);
}
END_TEST

/* ---- rulecore_parse: errors ---- */

/* The first diagnostic (in source order) of an input with errors. */
static const struct {
  const char *src;
  int code;
  uint32_t line, column;
  const char *message; /* a substring */
} error_cases[] = {
    /* Syntax. */
    {"a b", RULECORE_DIAG_SYNTAX_ERROR, 1, 3,
     "unexpected identifier 'b'; expected an operator or the end of the expression"},
    {"1 2", RULECORE_DIAG_SYNTAX_ERROR, 1, 3, "unexpected int literal '2'"},
    {"\"a\" \"b\"", RULECORE_DIAG_SYNTAX_ERROR, 1, 5, "unexpected string literal '\"b\"'"},
    {")", RULECORE_DIAG_SYNTAX_ERROR, 1, 1, "unexpected ')'; expected an expression"},
    {"a +* b", RULECORE_DIAG_SYNTAX_ERROR, 1, 4, "unexpected '*'; expected an expression"},
    {"x = 1", RULECORE_DIAG_SYNTAX_ERROR, 1, 3, "unexpected '='"},
    {"f(x){}", RULECORE_DIAG_SYNTAX_ERROR, 1, 5, "unexpected '{'"},
    {"a..b", RULECORE_DIAG_SYNTAX_ERROR, 1, 3, "unexpected '.'; expected a field or method name"},
    {"(a", RULECORE_DIAG_MISSING_TOKEN, 1, 3, "expected ')'"},
    {"a[1", RULECORE_DIAG_MISSING_TOKEN, 1, 4, "expected ']'"},
    {"f(a", RULECORE_DIAG_MISSING_TOKEN, 1, 4, "expected ')'"},
    {"a.", RULECORE_DIAG_MISSING_TOKEN, 1, 3, "expected a field or method name"},
    {"a ? b :", RULECORE_DIAG_MISSING_TOKEN, 1, 8, "expected an expression"},
    {"Foo{a: 1,", RULECORE_DIAG_MISSING_TOKEN, 1, 10, "expected '}'"},
    {"(a + )", RULECORE_DIAG_MISSING_TOKEN, 1, 5, "expected an expression"},
    /* Columns count code points: the error after a 2-byte character is at
     * column 6, as after an ASCII one. */
    {"'e' + ", RULECORE_DIAG_MISSING_TOKEN, 1, 6, "expected an expression"},
    {"'\xc3\xa9' + ", RULECORE_DIAG_MISSING_TOKEN, 1, 6, "expected an expression"},
    {"'\xc3\xa9\xc3\xa9\xc3\xa9' + if", RULECORE_DIAG_RESERVED_IDENTIFIER, 1, 9, "'if' is a reserved word"},
    {"'\xf0\x9f\x98\x80' + let", RULECORE_DIAG_RESERVED_IDENTIFIER, 1, 7, "'let'"},
    /* Lines. */
    {"x\n + let", RULECORE_DIAG_RESERVED_IDENTIFIER, 2, 4, "'let'"},
    {"a +\n\n  if", RULECORE_DIAG_RESERVED_IDENTIFIER, 3, 3, "'if'"},
    {"a +\r\n b c", RULECORE_DIAG_SYNTAX_ERROR, 2, 4, "unexpected identifier 'c'"},
    {"// c\n// d\n1 2", RULECORE_DIAG_SYNTAX_ERROR, 3, 3, "unexpected int literal '2'"},
    {"x +\n  '\xc3\xa9\xc3\xa9' == 1 2", RULECORE_DIAG_SYNTAX_ERROR, 2, 13, "unexpected int literal '2'"},
    /* Literals. */
    {"9223372036854775808", RULECORE_DIAG_INT_OVERFLOW, 1, 1, "int literal 9223372036854775808 does not fit"},
    {"-9223372036854775809", RULECORE_DIAG_INT_OVERFLOW, 1, 1, "int literal -9223372036854775809 does not fit"},
    {"x + 0x8000000000000000", RULECORE_DIAG_INT_OVERFLOW, 1, 5, "does not fit in 64 bits"},
    {"-(9223372036854775808)", RULECORE_DIAG_INT_OVERFLOW, 1, 3, "does not fit in 64 bits"},
    {"x + 18446744073709551616u", RULECORE_DIAG_INT_OVERFLOW, 1, 5, "uint literal 18446744073709551616u"},
    {"1e400", RULECORE_DIAG_INVALID_NUMBER, 1, 1, "double literal 1e400 is out of range"},
    {"-1e400", RULECORE_DIAG_INVALID_NUMBER, 1, 2, "out of range"},
    {"'\\q'", RULECORE_DIAG_INVALID_ESCAPE, 1, 2, "invalid escape sequence \\q"},
    {"'\xc3\xa9\\q'", RULECORE_DIAG_INVALID_ESCAPE, 1, 3, "invalid escape sequence \\q"},
    {"b'\\u0041'", RULECORE_DIAG_INVALID_ESCAPE, 1, 3, "not allowed in bytes"},
    {"'\\uD800'", RULECORE_DIAG_INVALID_ESCAPE, 1, 2, "not a Unicode scalar value"},
    {"'\\U00110000'", RULECORE_DIAG_INVALID_ESCAPE, 1, 2, "not a Unicode scalar value"},
    {"'\\x4'", RULECORE_DIAG_INVALID_ESCAPE, 1, 2, "\\x escape needs 2 hex digits"},
    /* Reserved words and keywords. */
    {"if(x)", RULECORE_DIAG_RESERVED_IDENTIFIER, 1, 1,
     "'if' is a reserved word and cannot name a variable or function"},
    {"in + 1", RULECORE_DIAG_RESERVED_IDENTIFIER, 1, 1, "'in' is a keyword and cannot be used as a name"},
    {"a.null", RULECORE_DIAG_RESERVED_IDENTIFIER, 1, 3, "'null' is a keyword"},
    {"a.true()", RULECORE_DIAG_RESERVED_IDENTIFIER, 1, 3, "'true' is a keyword"},
    {".if(1)", RULECORE_DIAG_RESERVED_IDENTIFIER, 1, 2, "'if' is a reserved word"},
    {"let.x{}", RULECORE_DIAG_RESERVED_IDENTIFIER, 1, 1, "'let' is a reserved word"},
    {"Msg{in: 1}", RULECORE_DIAG_RESERVED_IDENTIFIER, 1, 5, "'in' is a keyword"},
    /* Struct types that are not names. */
    {"a[0].b{}", RULECORE_DIAG_INVALID_TYPE_NAME, 1, 1, "a message type must be a name"},
    {"f(x).T{a: 1}", RULECORE_DIAG_INVALID_TYPE_NAME, 1, 1, "a message type must be a name"},
    /* Empty inputs. */
    {"", RULECORE_DIAG_SYNTAX_ERROR, 1, 1, "unexpected end of input; expected an expression"},
    {"   ", RULECORE_DIAG_SYNTAX_ERROR, 1, 4, "unexpected end of input; expected an expression"},
    {"\n\n", RULECORE_DIAG_SYNTAX_ERROR, 3, 1, "unexpected end of input; expected an expression"},
    {"// only a comment", RULECORE_DIAG_SYNTAX_ERROR, 1, 18, "unexpected end of input; expected an expression"},
    {"// a\n// b\n", RULECORE_DIAG_SYNTAX_ERROR, 3, 1, "unexpected end of input; expected an expression"},
};

START_TEST(test_parse_error_table) {
  const char *src = error_cases[_i].src;
  snap_parse_str(&S, src);
  ck_assert_msg(S.status == RULECORE_ERR_SOURCE, "parse(%s) returned %d", src, S.status);
  ck_assert(!S.have_expr);
  ck_assert_msg(S.count >= 1 && S.errors >= 1, "parse(%s): no errors", src);
  ck_assert_msg(S.d[0].code == error_cases[_i].code && S.d[0].line == error_cases[_i].line &&
                    S.d[0].column == error_cases[_i].column,
                "parse(%s): got %d at %u:%u \"%s\", expected %d at %u:%u", src, FIRST_DIAG(S), error_cases[_i].code,
                error_cases[_i].line, error_cases[_i].column);
  ck_assert_msg(strstr(S.d[0].message, error_cases[_i].message) != NULL, "parse(%s): message \"%s\", expected \"%s\"",
                src, S.d[0].message, error_cases[_i].message);
  ck_assert_int_eq(S.d[0].severity, RULECORE_SEVERITY_ERROR);
}
END_TEST

/*
 * Where the parser's error recovery swallows a valid prefix, the error is
 * still the token that cannot follow it (or the end of the input), never
 * a token that was fine where it stood.
 */
static const struct {
  const char *src;
  size_t len; /* 0: strlen */
  uint32_t line, column;
  const char *message; /* a substring */
} recovery_cases[] = {
    {"a + )", 0, 1, 5, "')'"},
    {"a +\n b +\n  )", 0, 3, 3, "')'"},
    {"a ? b", 0, 1, 6, "end of input"},
    {"[1,", 0, 1, 4, "end of input"},
    {"{", 0, 1, 2, "end of input"},
    {"f(a,", 0, 1, 5, "end of input"},
    /* A NUL byte is a character that cannot start a token, not a blank. */
    {"a \0 b", 5, 1, 3, "unexpected"},
    {"\0", 1, 1, 1, "unexpected"},
};

START_TEST(test_parse_error_recovery) {
  const char *src = recovery_cases[_i].src;
  size_t len = recovery_cases[_i].len ? recovery_cases[_i].len : strlen(src);
  snap_parse(&S, NULL, src, len, NULL);
  ck_assert_msg(S.status == RULECORE_ERR_SOURCE, "case %d returned %d", _i, S.status);
  ck_assert_msg(S.count >= 1 && S.d[0].line == recovery_cases[_i].line && S.d[0].column == recovery_cases[_i].column &&
                    strstr(S.d[0].message, recovery_cases[_i].message) != NULL,
                "parse(\"%s\"): got %d at %u:%u \"%s\"; expected the error at %u:%u mentioning %s", show(src, len),
                FIRST_DIAG(S), recovery_cases[_i].line, recovery_cases[_i].column, recovery_cases[_i].message);
}
END_TEST

/* Columns on long lines of multi-byte characters (the column index works
 * in blocks of 64 bytes): n copies of U+00E9 in a string, then rest. */
static const struct {
  size_t n;
  const char *rest;
  int code;
  uint32_t column;
} long_line_cases[] = {
    {30, " +", RULECORE_DIAG_MISSING_TOKEN, 35},        /* 64 bytes: the error at the very end */
    {31, " +", RULECORE_DIAG_MISSING_TOKEN, 36},
    {100, " + if", RULECORE_DIAG_RESERVED_IDENTIFIER, 106},
    {1000, " + if", RULECORE_DIAG_RESERVED_IDENTIFIER, 1006},
};

START_TEST(test_parse_long_line_columns) {
  size_t n = long_line_cases[_i].n;
  static char src[4096];
  size_t k = 0;
  src[k++] = '\'';
  for (size_t i = 0; i < n; i++) {
    src[k++] = '\xc3';
    src[k++] = '\xa9';
  }
  src[k++] = '\'';
  k += (size_t)snprintf(src + k, sizeof src - k, "%s", long_line_cases[_i].rest);
  snap_parse(&S, NULL, src, k, NULL);
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_int_eq(S.d[0].code, long_line_cases[_i].code);
  ck_assert_uint_eq(S.d[0].line, 1);
  ck_assert_uint_eq(S.d[0].column, long_line_cases[_i].column);
}
END_TEST

/* Several errors in one input, each reported, in source order. */
static const char *const multi_error_cases[] = {
    "1 + + 2 ) (",
    "if + let + while",
    "'\\q' + b'\\u0041' + 9223372036854775808",
    "a.null + in",
    "x +\n  let +\n  1e400 +\n  '\\x'",
};

START_TEST(test_parse_several_errors) {
  const char *src = multi_error_cases[_i];
  snap_parse_str(&S, src);
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_msg(S.errors >= 2, "parse(%s): %zu errors", src, S.errors);
  ck_assert_uint_eq(S.count, S.errors);
  for (size_t i = 1; i < S.count; i++)
    ck_assert_msg(S.d[i - 1].offset <= S.d[i].offset, "parse(%s): diagnostics out of order at %zu", src, i);
}
END_TEST

START_TEST(test_parse_several_errors_exact) {
  snap_parse_str(&S, "1 + + 2 ) (");
  ck_assert_uint_eq(S.count, 2);
  ck_assert_int_eq(S.d[0].code, RULECORE_DIAG_SYNTAX_ERROR);
  ck_assert_uint_eq(S.d[0].column, 5);
  ck_assert_str_eq(S.d[0].message, "unexpected '+'; expected an expression");
  ck_assert_int_eq(S.d[1].code, RULECORE_DIAG_SYNTAX_ERROR);
  ck_assert_uint_eq(S.d[1].column, 9);
  ck_assert_str_eq(S.d[1].message, "unexpected ')'; expected an operator or the end of the expression");

  snap_parse_str(&S, "x +\n  let +\n  1e400 +\n  '\\x'");
  ck_assert_uint_eq(S.count, 3);
  ck_assert_int_eq(S.d[0].code, RULECORE_DIAG_RESERVED_IDENTIFIER);
  ck_assert_uint_eq(S.d[0].line, 2);
  ck_assert_int_eq(S.d[1].code, RULECORE_DIAG_INVALID_NUMBER);
  ck_assert_uint_eq(S.d[1].line, 3);
  ck_assert_uint_eq(S.d[1].column, 3);
  ck_assert_int_eq(S.d[2].code, RULECORE_DIAG_INVALID_ESCAPE);
  ck_assert_uint_eq(S.d[2].line, 4);
  ck_assert_uint_eq(S.d[2].column, 4);
}
END_TEST

/* Unterminated strings are reported once, where the literal starts. */
static const struct {
  const char *src;
  uint32_t line, column;
} unterminated_cases[] = {
    {"\"abc", 1, 1},
    {"'abc", 1, 1},
    {"a + \"abc", 1, 5},
    {"\"\"\"abc", 1, 1},
    {"'''abc\ndef", 1, 1},
    {"x + '''abc\ndef", 1, 5},
    {"r\"abc", 1, 1},
    {"a + R'abc", 1, 5},
    {"b\"abc", 1, 1},
    {"a + br\"abc", 1, 5},
    {"a + rb\"\"\"abc", 1, 5},
    {"\"ok\" + \"abc", 1, 8},
    {"f(\"a\", \"b)", 1, 8},
    {"x +\n'\xc3\xa9' + \"x", 2, 7},
    {"'''", 1, 1},
    {"\"\\", 1, 1},
};

START_TEST(test_parse_unterminated_table) {
  const char *src = unterminated_cases[_i].src;
  snap_parse_str(&S, src);
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_msg(S.count == 1 && S.d[0].code == RULECORE_DIAG_UNTERMINATED_STRING &&
                    S.d[0].line == unterminated_cases[_i].line && S.d[0].column == unterminated_cases[_i].column,
                "parse(%s): %zu diagnostics, first %d at %u:%u \"%s\"", src, S.count, FIRST_DIAG(S));
  ck_assert_str_eq(S.d[0].message, "unterminated string literal");
}
END_TEST

/* Invalid UTF-8 anywhere in the source: one error per bad sequence, at its
 * first byte; nothing is parsed. */
static const struct {
  const char *src;
  size_t len;
  size_t offset;
  uint32_t column;
  size_t count;
} utf8_cases[] = {
    {"\xff", 1, 0, 1, 1},
    {"1 +\xff 2", 6, 3, 4, 1},
    {"\"\xc3\"", 3, 1, 2, 1},
    {"x\xe2\x82", 3, 1, 2, 1},
    {"'\xc3\xa9' + \xc0\x80", 9, 7, 7, 1},
    {"a\xc0\x80" "b\xed\xa0\x80" "c", 8, 1, 2, 2},
    {"// \xf4\x90\x80\x80\n1", 9, 3, 4, 1},
    {"\xff \xff \xff", 5, 0, 1, 3},
};

START_TEST(test_parse_invalid_utf8_table) {
  snap_parse(&S, NULL, utf8_cases[_i].src, utf8_cases[_i].len, NULL);
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(S.count, utf8_cases[_i].count);
  for (size_t i = 0; i < S.count; i++) ck_assert_int_eq(S.d[i].code, RULECORE_DIAG_INVALID_UTF8);
  ck_assert_uint_eq(S.d[0].offset, utf8_cases[_i].offset);
  ck_assert_uint_eq(S.d[0].length, 1);
  ck_assert_uint_eq(S.d[0].line, 1);
  ck_assert_uint_eq(S.d[0].column, utf8_cases[_i].column);
  char want[40];
  snprintf(want, sizeof want, "invalid UTF-8 byte 0x%02x", (unsigned char)utf8_cases[_i].src[utf8_cases[_i].offset]);
  ck_assert_str_eq(S.d[0].message, want);
}
END_TEST

/* Every reserved word is refused as a variable or global function, and
 * allowed as a field or method name. */
static const char *const reserved_words[] = {
    "as",   "break", "const",   "continue",  "else",   "for", "function", "if",    "import",
    "let",  "loop",  "package", "namespace", "return", "var", "void",     "while",
};

START_TEST(test_parse_reserved_words) {
  const char *w = reserved_words[_i];
  char src[64];
  const char *forms_bad[] = {"%s", "%s + 1", "%s(x)", "1 + %s.b", "%s.T{}"};
  for (size_t k = 0; k < LEN(forms_bad); k++) {
    snprintf(src, sizeof src, forms_bad[k], w);
    snap_parse_str(&S, src);
    ck_assert_msg(S.status == RULECORE_ERR_SOURCE && S.count == 1 && S.d[0].code == RULECORE_DIAG_RESERVED_IDENTIFIER,
                  "parse(%s): status %d, %zu diagnostics, first %d", src, S.status, S.count, S.d[0].code);
    ck_assert_uint_eq(S.d[0].length, strlen(w));
  }
  const char *forms_ok[] = {"a.%s", "a.%s()", "a.%s.T{}", "T{%s: 1}"};
  for (size_t k = 0; k < LEN(forms_ok); k++) {
    snprintf(src, sizeof src, forms_ok[k], w);
    snap_parse_str(&S, src);
    ck_assert_msg(S.status == RULECORE_OK, "parse(%s) failed: %d %u:%u %s", src, FIRST_DIAG(S));
  }
}
END_TEST

static const char *const keywords[] = {"true", "false", "null", "in"};

START_TEST(test_parse_keywords_as_names) {
  const char *w = keywords[_i];
  char src[64];
  const char *forms[] = {"a.%s", "a.%s()", "T{%s: 1}"};
  for (size_t k = 0; k < LEN(forms); k++) {
    snprintf(src, sizeof src, forms[k], w);
    snap_parse_str(&S, src);
    ck_assert_msg(S.status == RULECORE_ERR_SOURCE && S.count >= 1 && S.d[0].code == RULECORE_DIAG_RESERVED_IDENTIFIER,
                  "parse(%s): status %d, first %d", src, S.status, S.d[0].code);
  }
}
END_TEST

/* ---- rulecore_parse: limits ---- */

/* open repeated n times, then mid, then close repeated n times. */
static char *nest(const char *open, size_t n, const char *mid, const char *close, size_t *len) {
  size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
  char *z = malloc(n * (lo + lc) + lm + 1);
  ck_assert_ptr_nonnull(z);
  size_t k = 0;
  for (size_t i = 0; i < n; i++, k += lo) memcpy(z + k, open, lo);
  memcpy(z + k, mid, lm);
  k += lm;
  for (size_t i = 0; i < n; i++, k += lc) memcpy(z + k, close, lc);
  z[k] = '\0';
  *len = k;
  return z;
}

/* Constructs that nest one level each. */
static const struct {
  const char *open, *mid, *close;
} nestings[] = {
    {"(", "1", ")"}, {"[", "1", "]"}, {"-", "a", ""}, {"!", "a", ""},
    {"f(", "1", ")"}, {"a[", "1", "]"}, {"{1: ", "2", "}"}, {"T{f: ", "1", "}"},
};

static void parse_nested(const rulecore_env *env, size_t k, size_t n) {
  size_t len;
  char *src = nest(nestings[k].open, n, nestings[k].mid, nestings[k].close, &len);
  snap_parse(&S, env, src, len, NULL);
  free(src);
}

/* n levels are accepted up to the default limit of 250, and not one more. */
START_TEST(test_parse_nesting_default) {
  parse_nested(NULL, (size_t)_i, 250);
  ck_assert_msg(S.status == RULECORE_OK, "%s x250 failed: %d %u:%u %s", nestings[_i].open, FIRST_DIAG(S));
  parse_nested(NULL, (size_t)_i, 251);
  ck_assert_msg(S.status == RULECORE_ERR_SOURCE, "%s x251 returned %d", nestings[_i].open, S.status);
  ck_assert_uint_eq(S.count, 1);
  ck_assert_int_eq(S.d[0].code, RULECORE_DIAG_NESTING_TOO_DEEP);
  ck_assert_str_eq(S.d[0].message, "expression is nested more than 250 levels deep");
  parse_nested(NULL, (size_t)_i, 300);
  ck_assert_uint_eq(S.count, 1);
  ck_assert_int_eq(S.d[0].code, RULECORE_DIAG_NESTING_TOO_DEEP);
}
END_TEST

START_TEST(test_parse_nesting_parens_position) {
  parse_nested(NULL, 0, 300);
  ck_assert_int_eq(S.d[0].code, RULECORE_DIAG_NESTING_TOO_DEEP);
  /* The node at depth 251: the 252nd character. */
  ck_assert_uint_eq(S.d[0].line, 1);
  ck_assert_uint_eq(S.d[0].column, 252);
}
END_TEST

START_TEST(test_parse_nesting_small_limit) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  ck_assert_int_eq(rulecore_env_set_limit(env, RULECORE_LIMIT_NESTING_DEPTH, 3), RULECORE_OK);
  parse_nested(env, (size_t)_i, 3);
  rulecore_status at_limit = S.status;
  parse_nested(env, (size_t)_i, 4);
  rulecore_env_free(env);
  ck_assert_msg(at_limit == RULECORE_OK, "%s x3 with limit 3 returned %d", nestings[_i].open, at_limit);
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_int_eq(S.d[0].code, RULECORE_DIAG_NESTING_TOO_DEEP);
  ck_assert_str_eq(S.d[0].message, "expression is nested more than 3 levels deep");
}
END_TEST

START_TEST(test_parse_nesting_limit_one) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  ck_assert_int_eq(rulecore_env_set_limit(env, RULECORE_LIMIT_NESTING_DEPTH, 1), RULECORE_OK);
  snap_parse(&S, env, "1 + 2", 5, NULL);
  rulecore_status one = S.status;
  snap_parse(&S, env, "1 + 2 + 3", 9, NULL);
  rulecore_env_free(env);
  ck_assert_int_eq(one, RULECORE_OK);
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_int_eq(S.d[0].code, RULECORE_DIAG_NESTING_TOO_DEEP);
}
END_TEST

/*
 * Inputs that could take the process down run in a child process, so a
 * crash fails this test only (also under CK_FORK=no).  The child writes
 * its result into shared memory.
 */
typedef struct isolated_result {
  int done;
  rulecore_status status;
  int first_code;
  size_t count;
} isolated_result;

/* Parse src in a child; returns its wait status, *out its result. */
static int parse_isolated(const rulecore_env *env, const char *src, size_t len, isolated_result *out) {
  isolated_result *shared =
      mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(out, 0, sizeof *out);
  if (shared == MAP_FAILED) return -1;
  memset(shared, 0, sizeof *shared);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    setenv("LIBC_FATAL_STDERR_", "1", 1); /* glibc's abort messages to stderr, not the terminal */
    rulecore_expr *e = NULL;
    rulecore_diagnostics *d = NULL;
    shared->status = rulecore_parse(env, src, len, NULL, &e, &d);
    if (e) {
      char *z = rulecore_expr_render(e, RULECORE_FORMAT_SEXP);
      rulecore_free(z);
    }
    shared->first_code = rulecore_diagnostics_code(d, 0);
    shared->count = rulecore_diagnostics_count(d);
    rulecore_expr_free(e);
    rulecore_diagnostics_free(d);
    shared->done = 1;
    _exit(0);
  }
  int ws = -1;
  if (pid > 0) waitpid(pid, &ws, 0);
  *out = *shared;
  munmap(shared, sizeof *shared);
  return ws;
}

static void describe_wait(char *z, size_t n, int ws) {
  if (ws == -1)
    snprintf(z, n, "could not fork");
  else if (WIFSIGNALED(ws))
    snprintf(z, n, "killed by signal %d", WTERMSIG(ws));
  else if (WIFEXITED(ws))
    snprintf(z, n, "exited with status %d", WEXITSTATUS(ws));
  else
    snprintf(z, n, "wait status %d", ws);
}

/* Very deep inputs, complete or not, end in an error, not a crash. */
static const struct {
  const char *open;
  size_t n;
  const char *mid, *close;
} deep_cases[] = {
    {"(", 200000, "", ""},       {"-", 100000, "", ""},   {"!", 100000, "", ""},
    {"[", 100000, "", ""},       {"f(", 70000, "", ""},
    {"-", 100000, "a", ""},      {"!", 100000, "a", ""},  {"(", 70000, "1", ")"},
    {"[", 100000, "1", "]"},     {"a + ", 100000, "1", ""},
};

START_TEST(test_parse_deep_input) {
  size_t len;
  char *src = nest(deep_cases[_i].open, deep_cases[_i].n, deep_cases[_i].mid, deep_cases[_i].close, &len);
  isolated_result r;
  int ws = parse_isolated(NULL, src, len, &r);
  free(src);
  char why[64];
  describe_wait(why, sizeof why, ws);
  ck_assert_msg(ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && r.done,
                "parse of %zu x \"%s\" + \"%s\" crashed: %s", deep_cases[_i].n, deep_cases[_i].open, deep_cases[_i].mid,
                why);
  ck_assert_msg(r.status == RULECORE_ERR_SOURCE && r.count >= 1, "status %d, %zu diagnostics", r.status, r.count);
}
END_TEST

/* The nesting limit's documented maximum, 1000, must be usable: every
 * construct nested 990 deep (a few levels of slack for the operand inside)
 * parses (in a process's main thread). */
START_TEST(test_parse_nesting_max_limit) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  ck_assert_int_eq(rulecore_env_set_limit(env, RULECORE_LIMIT_NESTING_DEPTH, 1000), RULECORE_OK);
  size_t len;
  char *src = nest(nestings[_i].open, 990, nestings[_i].mid, nestings[_i].close, &len);
  isolated_result r;
  int ws = parse_isolated(env, src, len, &r);
  free(src);
  rulecore_env_free(env);
  char why[64];
  describe_wait(why, sizeof why, ws);
  ck_assert_msg(ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && r.done,
                "990 x \"%s\" with the nesting limit at 1000 crashed: %s", nestings[_i].open, why);
  ck_assert_msg(r.status == RULECORE_OK, "990 x \"%s\": status %d, first diagnostic %d", nestings[_i].open, r.status,
                r.first_code);
}
END_TEST

START_TEST(test_parse_source_too_large) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  ck_assert_int_eq(rulecore_env_set_limit(env, RULECORE_LIMIT_SOURCE_BYTES, 4), RULECORE_OK);
  snap_parse(&S, env, "1 + 2 + 3", 9, NULL);
  static snapshot at_limit;
  snap_parse(&at_limit, env, "1 + 2", 4, NULL); /* "1 + " : 4 bytes, a syntax error but not too large */
  ck_assert_int_eq(rulecore_env_set_limit(env, RULECORE_LIMIT_SOURCE_BYTES, 9), RULECORE_OK);
  static snapshot exact;
  snap_parse(&exact, env, "1 + 2 + 3", 9, NULL);
  rulecore_env_free(env);

  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(S.count, 1);
  ck_assert_int_eq(S.d[0].code, RULECORE_DIAG_SOURCE_TOO_LARGE);
  ck_assert_str_eq(S.d[0].name, "source-too-large");
  ck_assert_str_eq(S.d[0].message, "source is 9 bytes long; the limit is 4 bytes");
  ck_assert_uint_eq(S.d[0].offset, 4);
  ck_assert_uint_eq(S.d[0].column, 5);

  ck_assert_int_eq(at_limit.status, RULECORE_ERR_SOURCE);
  ck_assert_int_ne(at_limit.d[0].code, RULECORE_DIAG_SOURCE_TOO_LARGE);
  ck_assert_int_eq(exact.status, RULECORE_OK);
}
END_TEST

/* The error limit keeps at most that many errors, then one note. */
static const struct {
  const char *src;
  uint64_t limit;
} error_limit_cases[] = {
    {"\xff \xff \xff \xff \xff", 2},
    {"if + let + for + while + var", 2},
    {"'\\q' + '\\w' + '\\e' + 9223372036854775808", 2},
    {"if + let + for + while + var", 1},
    /* Reported out of source order (a field before its operand). */
    {"let.null + in", 2},
};

START_TEST(test_parse_error_limit) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  uint64_t limit = error_limit_cases[_i].limit;
  ck_assert_int_eq(rulecore_env_set_limit(env, RULECORE_LIMIT_ERRORS, limit), RULECORE_OK);
  const char *src = error_limit_cases[_i].src;
  snap_parse(&S, env, src, strlen(src), NULL);
  rulecore_env_free(env);
  ck_assert_int_eq(S.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(S.errors, limit);
  ck_assert_uint_eq(S.count, limit + 1);
  size_t notes = 0;
  for (size_t i = 0; i < S.count; i++) {
    if (S.d[i].severity == RULECORE_SEVERITY_NOTE) {
      notes++;
      ck_assert_int_eq(S.d[i].code, RULECORE_DIAG_TOO_MANY_ERRORS);
      ck_assert_str_eq(S.d[i].name, "too-many-errors");
    } else {
      ck_assert_int_eq(S.d[i].severity, RULECORE_SEVERITY_ERROR);
    }
  }
  ck_assert_uint_eq(notes, 1);
  /* The note ("stopping here") comes after every error kept. */
  ck_assert_msg(S.d[S.count - 1].severity == RULECORE_SEVERITY_NOTE,
                "parse(%s) with the error limit at %llu: the note is not last; the last is %d at %u:%u \"%s\"", src,
                (unsigned long long)limit, S.d[S.count - 1].code, S.d[S.count - 1].line, S.d[S.count - 1].column,
                S.d[S.count - 1].message);
}
END_TEST

/* Exactly as many errors as the limit: nothing was dropped, so no note
 * says "too many errors". */
START_TEST(test_parse_error_limit_exact) {
  rulecore_env *env = rulecore_env_new();
  ck_assert_ptr_nonnull(env);
  ck_assert_int_eq(rulecore_env_set_limit(env, RULECORE_LIMIT_ERRORS, 2), RULECORE_OK);
  snap_parse(&S, env, "if + let", 8, NULL);
  rulecore_env_free(env);
  ck_assert_uint_eq(S.errors, 2);
  size_t last = S.count ? S.count - 1 : 0;
  ck_assert_msg(S.count == 2, "%zu diagnostics for 2 errors with the limit at 2; the last: %d \"%s\"", S.count,
                S.d[last].code, S.d[last].message);
}
END_TEST

START_TEST(test_parse_error_limit_default) {
  /* 25 invalid bytes: 20 errors and the note. */
  char src[50];
  for (int i = 0; i < 25; i++) {
    src[2 * i] = '\xff';
    src[2 * i + 1] = ' ';
  }
  snap_parse(&S, NULL, src, sizeof src, NULL);
  ck_assert_uint_eq(S.errors, 20);
  ck_assert_uint_eq(S.count, 21);
  ck_assert_int_eq(S.d[20].code, RULECORE_DIAG_TOO_MANY_ERRORS);
  ck_assert_int_eq(S.d[20].severity, RULECORE_SEVERITY_NOTE);
}
END_TEST

/* ---- rulecore_expr_render ---- */

START_TEST(test_expr_render_formats) {
  static const char src[] = "a.b(1u, -2.5, b'\\x01')";
  rulecore_expr *e = NULL;
  ck_assert_int_eq(rulecore_parse(NULL, src, strlen(src), "f.cel", &e, NULL), RULECORE_OK);
  char *sexp = rulecore_expr_render(e, RULECORE_FORMAT_SEXP);
  char *json = rulecore_expr_render(e, RULECORE_FORMAT_JSON);
  char *text = rulecore_expr_render(e, RULECORE_FORMAT_TEXT);
  char sexp_copy[512], json_copy[4096];
  snap_copy(sexp_copy, sizeof sexp_copy, sexp);
  snap_copy(json_copy, sizeof json_copy, json);
  rulecore_free(sexp);
  rulecore_free(json);
  rulecore_free(text);
  rulecore_expr_free(e);
  rulecore_expr_free(NULL); /* a no-op */
  ck_assert_ptr_null(text);
  assert_text_eq(sexp_copy, "(call b @1:1-1:23\n  (target\n    (ident a @1:1-1:2))\n  (uint 1u @1:5-1:7)\n"
                              "  (double -2.5 @1:9-1:13)\n  (bytes b\"\\x01\" @1:15-1:22))\n");
  static const char json_start[] = "{\"file\": \"f.cel\", \"root\": {\"kind\": \"call\"";
  ck_assert_msg(strncmp(json_copy, json_start, strlen(json_start)) == 0, "json: %s", json_copy);
  ck_assert_ptr_nonnull(strstr(json_copy, "\"value\": \"1\""));   /* uint as a string */
  ck_assert_ptr_nonnull(strstr(json_copy, "\"base64\": \"AQ==\"")); /* bytes as base64 */
  ck_assert_ptr_null(rulecore_expr_render(NULL, RULECORE_FORMAT_SEXP));
}
END_TEST

/* ---- alloc_failure ---- */

/*
 * A counting allocator that fails the Nth allocation made by rulecore
 * itself.  tree-sitter aborts when its allocator returns NULL (its
 * contract), and its allocations come through the same hook, so they are
 * told apart by the call stack: an allocation with a frame inside the
 * tree-sitter runtime's shared object is never failed.
 */
static struct {
  unsigned long eligible; /* rulecore allocations so far */
  unsigned long fail_at;  /* fail the eligible allocation with this number; 0: never */
  bool persistent;        /* fail every eligible allocation from fail_at on */
  bool failed;            /* one was failed */
  long live;              /* blocks allocated and not freed */
  unsigned long from_ts;  /* tree-sitter's allocations */
} fa;

#define TS_MAX_SEGMENTS 8
static struct {
  bool found;
  size_t n;
  uintptr_t start[TS_MAX_SEGMENTS], end[TS_MAX_SEGMENTS];
} ts_lib;

static int find_ts_lib(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  (void)data;
  if (!info->dlpi_name || !strstr(info->dlpi_name, "libtree-sitter")) return 0;
  ts_lib.found = true;
  for (int i = 0; i < info->dlpi_phnum && ts_lib.n < TS_MAX_SEGMENTS; i++) {
    if (info->dlpi_phdr[i].p_type != PT_LOAD) continue;
    ts_lib.start[ts_lib.n] = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
    ts_lib.end[ts_lib.n] = ts_lib.start[ts_lib.n] + info->dlpi_phdr[i].p_memsz;
    ts_lib.n++;
  }
  return 1;
}

static bool called_from_tree_sitter(void) {
  void *frames[12];
  int n = backtrace(frames, (int)LEN(frames));
  for (int i = 0; i < n; i++) {
    uintptr_t pc = (uintptr_t)frames[i];
    for (size_t k = 0; k < ts_lib.n; k++)
      if (pc >= ts_lib.start[k] && pc < ts_lib.end[k]) return true;
  }
  return false;
}

static void *failing_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  if (n == 0) {
    if (p) fa.live--;
    free(p);
    return NULL;
  }
  if (called_from_tree_sitter()) {
    fa.from_ts++;
  } else {
    fa.eligible++;
    if (fa.fail_at && (fa.persistent ? fa.eligible >= fa.fail_at : fa.eligible == fa.fail_at)) {
      fa.failed = true;
      return NULL;
    }
  }
  void *q = realloc(p, n);
  if (q && !p) fa.live++;
  return q;
}

static void alloc_setup(void) {
  void *frames[4];
  backtrace(frames, 4); /* loads the unwinder before the hook is in place */
  dl_iterate_phdr(find_ts_lib, NULL);
}

/* Back to the C library's allocator, even after a failed assertion.  The
 * failing allocator forwards to realloc and free, so blocks may cross. */
static void alloc_teardown(void) { rulecore_set_allocator(NULL, NULL); }

static void fa_reset(unsigned long fail_at, bool persistent) {
  memset(&fa, 0, sizeof fa);
  fa.fail_at = fail_at;
  fa.persistent = persistent;
}

static const char *const alloc_cases[] = {
    /* Valid, with every kind of node. */
    "user.age > 18 && user.city == \"Beijing\" || [1, 2.5, -3, 4u, '\\u263A\\x41', b'\\xff\\000', r'\\d'].size() "
    "in {'k': -9223372036854775808, 2u: .pkg.Msg{f: 1.5e3, g: null}} ? a[0].b(c, !d) : .f(-x)",
    /* Errors found while lowering. */
    "if(x) + '\\q' + 99999999999999999999 + a.null + b'\\u0041' + 1e400 + a[0].T{}",
    /* Syntax errors and an unterminated string. */
    "1 + + 2 ) ( \"abc",
    /* Non-ASCII source over several lines (the column index). */
    "'\xc3\xa9\xc3\xa9' +\n  '\xc3\xbc' == x\n  + let",
    /* Invalid UTF-8. */
    "\"a\" + \"\xff\xfe\" + \xc0\x80",
    /* More errors than the limit: the note. */
    "if + let + for + while + var + if + let + for + while + var + if + let + for + while + var + "
    "if + let + for + while + var + if + let",
    /* Too deep: 260 nested lists, built at run time. */
    NULL,
    /* A double literal too long for the decoder's stack buffer. */
    "x == 1.00000000000000000000000000000000000000000000000000000000000000000000000000001",
};

/*
 * Parse alloc_cases[i] once to count rulecore's allocations, then once per
 * allocation with that one failing (persistent: with every one from it on
 * failing).  Each run returns RULECORE_ERR_NOMEM or the reference result,
 * and leaves no block allocated.
 */
static void alloc_walk(int k, bool persistent) {
  ck_assert_msg(ts_lib.found, "the tree-sitter runtime is not a shared library here: its allocations cannot be "
                              "told apart, so this test cannot run");
  const char *mode = persistent ? "persistent" : "single";
  static char deep[2 * 260 + 2];
  const char *src = alloc_cases[k];
  if (!src) {
    memset(deep, '[', 260);
    deep[260] = '1';
    memset(deep + 261, ']', 260);
    deep[521] = '\0';
    src = deep;
  }
  size_t len = strlen(src);
  static snapshot ref;

  rulecore_set_allocator(failing_realloc, NULL);
  fa_reset(0, false);
  snap_parse(&ref, NULL, src, len, NULL);
  unsigned long total = fa.eligible;
  long live = fa.live;
  rulecore_set_allocator(NULL, NULL);
  ck_assert_msg(live == 0, "case %d leaks %ld blocks without failures", k, live);
  ck_assert_msg(ref.status == RULECORE_OK || ref.status == RULECORE_ERR_SOURCE, "case %d: status %d", k, ref.status);
  ck_assert_msg(total > 0, "case %d: no allocations", k);
  if (getenv("CHECK_ALLOC_VERBOSE"))
    fprintf(stderr, "alloc_failure case %d: %lu rulecore allocations, %lu from tree-sitter\n", k, total, fa.from_ts);

  for (unsigned long n = 1; n <= total + 1; n++) {
    rulecore_set_allocator(failing_realloc, NULL);
    fa_reset(n, persistent);
    snap_parse(&S, NULL, src, len, NULL);
    bool failed = fa.failed;
    live = fa.live;
    rulecore_set_allocator(NULL, NULL);
    ck_assert_msg(live == 0, "%s case %d, allocation %lu failed: %ld blocks leaked", mode, k, n, live);
    if (!failed) {
      ck_assert_msg(n == total + 1, "%s case %d: allocation %lu was never made", mode, k, n);
    } else if (S.status == RULECORE_ERR_NOMEM) {
      ck_assert_msg(!S.have_expr, "%s case %d, allocation %lu failed: NOMEM with an expression", mode, k, n);
      continue;
    }
    /* Otherwise the failure was absorbed (or none happened): the result
     * is the reference, except for renderings that ran out of memory. */
    ck_assert_msg(S.status == ref.status,
                  "%s case %d, allocation %lu failed: status %d, expected %d or NOMEM (diagnostic %d: %s)", mode, k,
                  n, S.status, ref.status, S.d[0].code, S.d[0].message);
    ck_assert_uint_eq(S.count, ref.count);
    for (size_t i = 0; i < S.count && i < SNAP_MAX_DIAGS; i++) {
      ck_assert_msg(S.d[i].code == ref.d[i].code && S.d[i].offset == ref.d[i].offset &&
                        strcmp(S.d[i].message, ref.d[i].message) == 0,
                    "%s case %d, allocation %lu failed: diagnostic %zu is %d \"%s\", expected %d \"%s\"", mode, k, n,
                    i, S.d[i].code, S.d[i].message, ref.d[i].code, ref.d[i].message);
    }
    if (strcmp(S.sexp, "(null)") != 0) assert_text_eq(S.sexp, ref.sexp);
    if (strcmp(S.text, "(null)") != 0) assert_text_eq(S.text, ref.text);
  }
}

START_TEST(test_alloc_failure) { alloc_walk(_i, false); }
END_TEST

START_TEST(test_alloc_failure_persistent) { alloc_walk(_i, true); }
END_TEST

/* The very first allocation failing: NOMEM, and nothing returned. */
START_TEST(test_alloc_failure_first) {
  rulecore_set_allocator(failing_realloc, NULL);
  fa_reset(1, false);
  rulecore_expr *e = (rulecore_expr *)&S;
  rulecore_diagnostics *d = (rulecore_diagnostics *)&S;
  rulecore_status st = rulecore_parse(NULL, "1 + 2", 5, NULL, &e, &d);
  rulecore_expr_free(e);
  rulecore_diagnostics_free(d);
  long live = fa.live;
  rulecore_set_allocator(NULL, NULL);
  ck_assert_int_eq(st, RULECORE_ERR_NOMEM);
  ck_assert_ptr_null(e);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(live, 0);
}
END_TEST

Suite *suite_syntax(void) {
  Suite *s = suite_create("syntax");
  TCase *tc;

  tc = tcase_create("rulecore_version");
  tcase_add_test(tc, test_version);
  tcase_add_test(tc, test_status_message);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_env_set_limit");
  tcase_add_test(tc, test_env_defaults);
  tcase_add_loop_test(tc, test_env_set_limit_table, 0, (int)LEN(limit_cases));
  tcase_add_test(tc, test_env_set_limit_null);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_parse");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_parse_null_out);
  tcase_add_test(tc, test_parse_null_source);
  tcase_add_test(tc, test_parse_no_diagnostics);
  tcase_add_test(tc, test_parse_ok_empty_diagnostics);
  tcase_add_test(tc, test_parse_length);
  tcase_add_test(tc, test_parse_file_name);
  tcase_add_loop_test(tc, test_parse_sexp_table, 0, (int)LEN(sexp_cases));
  tcase_add_loop_test(tc, test_parse_precedence_table, 0, (int)LEN(precedence_cases));
  tcase_add_loop_test(tc, test_parse_binary_ops, 0, (int)LEN(binary_ops));
  tcase_add_loop_test(tc, test_parse_error_table, 0, (int)LEN(error_cases));
  tcase_add_loop_test(tc, test_parse_error_recovery, 0, (int)LEN(recovery_cases));
  tcase_add_loop_test(tc, test_parse_long_line_columns, 0, (int)LEN(long_line_cases));
  tcase_add_loop_test(tc, test_parse_several_errors, 0, (int)LEN(multi_error_cases));
  tcase_add_test(tc, test_parse_several_errors_exact);
  tcase_add_loop_test(tc, test_parse_unterminated_table, 0, (int)LEN(unterminated_cases));
  tcase_add_loop_test(tc, test_parse_invalid_utf8_table, 0, (int)LEN(utf8_cases));
  tcase_add_loop_test(tc, test_parse_reserved_words, 0, (int)LEN(reserved_words));
  tcase_add_loop_test(tc, test_parse_keywords_as_names, 0, (int)LEN(keywords));
  tcase_add_loop_test(tc, test_parse_nesting_default, 0, (int)LEN(nestings));
  tcase_add_test(tc, test_parse_nesting_parens_position);
  tcase_add_loop_test(tc, test_parse_nesting_small_limit, 0, (int)LEN(nestings));
  tcase_add_test(tc, test_parse_nesting_limit_one);
  tcase_add_loop_test(tc, test_parse_nesting_max_limit, 0, (int)LEN(nestings));
  tcase_add_loop_test(tc, test_parse_deep_input, 0, (int)LEN(deep_cases));
  tcase_add_test(tc, test_parse_source_too_large);
  tcase_add_loop_test(tc, test_parse_error_limit, 0, (int)LEN(error_limit_cases));
  tcase_add_test(tc, test_parse_error_limit_exact);
  tcase_add_test(tc, test_parse_error_limit_default);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_expr_render");
  tcase_add_test(tc, test_expr_render_formats);
  suite_add_tcase(s, tc);

  tc = tcase_create("alloc_failure");
  tcase_set_timeout(tc, 600);
  tcase_add_unchecked_fixture(tc, alloc_setup, NULL);
  tcase_add_checked_fixture(tc, NULL, alloc_teardown);
  tcase_add_loop_test(tc, test_alloc_failure, 0, (int)LEN(alloc_cases));
  tcase_add_loop_test(tc, test_alloc_failure_persistent, 0, (int)LEN(alloc_cases));
  tcase_add_test(tc, test_alloc_failure_first);
  suite_add_tcase(s, tc);

  return s;
}

int main(void) { return check_main(suite_syntax()); }
