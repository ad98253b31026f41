/*
 * check_ruleset.c: rulesets (src/luahost.c, src/ruleset.c) through the
 * public API: loading (directories, single files, include), diagnostics
 * positioned at the CEL token inside the Lua file, rule order, every hit
 * policy, the decision graph, validations, run-time errors, the sandbox
 * and its limits, an allocation-failure walk over a load, evaluation
 * without allocation, threads, the rule files' own tests, revisions and
 * the renderings of an outcome.
 *
 * Each case writes its rule files into a scratch directory of its own
 * (mkdtemp under $TMPDIR), so the input is in the test; the bundled
 * rulesets under t/rulesets/ are read from the source tree ($top_srcdir
 * under `make check`, else found from the working directory), never
 * written (make distcheck's source tree is read-only).
 *
 * The library's objects a test makes live in file-scope variables the
 * fixture frees, and what is asserted on is copied out first, so a failing
 * assertion (a longjmp under CK_FORK=no) leaks nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND /* no valgrind headers: its preloaded library says */
#define RUNNING_ON_VALGRIND (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "vgpreload"))
#endif

#include "check_main.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the source tree, scratch directories, files ---- */

/* The source tree: $top_srcdir, else the first of ".", ".." and the
 * directory above this file's that holds t/rulesets/pricing. */
static const char *srcdir(void) {
  static char top[4096];
  if (top[0]) return top;
  const char *env = getenv("top_srcdir");
  if (env && *env) {
    snprintf(top, sizeof top, "%s", env);
    return top;
  }
  char here[4096];
  snprintf(here, sizeof here, "%s", __FILE__);
  char *slash = strrchr(here, '/');
  if (slash) {
    *slash = '\0';
    slash = strrchr(here, '/');
    if (slash) *slash = '\0'; else snprintf(here, sizeof here, ".");
  } else {
    snprintf(here, sizeof here, "..");
  }
  const char *candidates[] = {".", "..", here};
  for (size_t i = 0; i < LEN(candidates); i++) {
    char probe[4200];
    struct stat st;
    snprintf(probe, sizeof probe, "%s/t/rulesets/pricing/pricing.lua", candidates[i]);
    if (stat(probe, &st) == 0) {
      snprintf(top, sizeof top, "%s", candidates[i]);
      return top;
    }
  }
  snprintf(top, sizeof top, ".");
  return top;
}

/* rel in the source tree (static storage: one use at a time). */
static const char *src_path(const char *rel) {
  static char path[4300];
  snprintf(path, sizeof path, "%s/%s", srcdir(), rel);
  return path;
}

/* The test's scratch directory (made by the fixture). */
static char D[512];

/* dir/rel (static storage, a ring of four). */
static const char *at(const char *dir, const char *rel) {
  static char ring[4][1200];
  static int k;
  char *p = ring[k++ % 4];
  snprintf(p, sizeof ring[0], "%s/%s", dir, rel);
  return p;
}
#define IN(rel) at(D, rel)

/* Write text into dir/rel, making rel's directories. */
static void put_in(const char *dir, const char *rel, const char *text) {
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
    *p = '\0';
    if (mkdir(path, 0755) != 0 && errno != EEXIST) ck_abort_msg("mkdir %s: %s", path, strerror(errno));
    *p = '/';
  }
  FILE *f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}
#define put(rel, text) put_in(D, rel, text)

/* The contents of path (malloc'd), or NULL. */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *z = malloc((size_t)n + 1);
  if (z && fread(z, 1, (size_t)n, f) != (size_t)n) {
    free(z);
    z = NULL;
  }
  fclose(f);
  if (z) z[n] = '\0';
  if (len) *len = (size_t)n;
  return z;
}

static void rm_tree(const char *dir) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "check_ruleset: could not remove %s\n", dir);
}

/* ---- the objects of a test, freed by the fixture ---- */

static rulecore_ruleset *RS;
static rulecore_decisions *OUT;
static rulecore_activation *ACT;
static rulecore_env *ENV;

/* Every test's scratch directory lies in BASE, which main makes and
 * removes: under CK_FORK a failing test's process exits without its
 * teardown. */
static char BASE[400];

static void remove_scratch(void) {
  if (D[0]) rm_tree(D);
  D[0] = '\0';
}

static void fixture_setup(void) {
  snprintf(D, sizeof D, "%s/t.XXXXXX", BASE);
  ck_assert_ptr_nonnull(mkdtemp(D));
  RS = NULL;
  OUT = NULL;
  ACT = NULL;
  ENV = NULL;
}

static void fixture_teardown(void) {
  rulecore_set_allocator(NULL, NULL);
  rulecore_decisions_free(OUT);
  rulecore_activation_free(ACT);
  rulecore_ruleset_free(RS);
  rulecore_env_free(ENV);
  OUT = NULL;
  ACT = NULL;
  RS = NULL;
  ENV = NULL;
  remove_scratch();
}

/* ---- loading, with the diagnostics copied ---- */

typedef struct ldiag {
  rulecore_severity severity;
  int code;
  char name[40];
  char message[512];
  char file[1024];
  uint32_t line, column, end_line, end_column;
  size_t offset, length;
} ldiag;

#define MAX_DIAGS 32

static struct {
  rulecore_status status;
  size_t count, errors;
  ldiag d[MAX_DIAGS];
  char text[16384];
} L;

static void copy_diags(const rulecore_diagnostics *d) {
  L.count = rulecore_diagnostics_count(d);
  L.errors = rulecore_diagnostics_error_count(d);
  for (size_t i = 0; i < L.count && i < MAX_DIAGS; i++) {
    ldiag *g = &L.d[i];
    g->severity = rulecore_diagnostics_severity(d, i);
    g->code = rulecore_diagnostics_code(d, i);
    snap_copy(g->name, sizeof g->name, rulecore_diagnostics_code_name(d, i));
    snap_copy(g->message, sizeof g->message, rulecore_diagnostics_message(d, i));
    snap_copy(g->file, sizeof g->file, rulecore_diagnostics_file(d, i));
    g->line = rulecore_diagnostics_line(d, i);
    g->column = rulecore_diagnostics_column(d, i);
    g->end_line = rulecore_diagnostics_end_line(d, i);
    g->end_column = rulecore_diagnostics_end_column(d, i);
    g->offset = rulecore_diagnostics_offset(d, i);
    g->length = rulecore_diagnostics_length(d, i);
  }
  L.text[0] = '\0';
  if (d) {
    char *z = rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT);
    snap_copy(L.text, sizeof L.text, z);
    rulecore_free(z);
  }
}

/* Load path with env into RS (the previous one freed), the diagnostics
 * into L. */
static rulecore_status load_env(const rulecore_env *env, const char *path) {
  rulecore_decisions_free(OUT);
  OUT = NULL;
  rulecore_activation_free(ACT);
  ACT = NULL;
  rulecore_ruleset_free(RS);
  RS = NULL;
  rulecore_diagnostics *d = NULL;
  memset(&L, 0, sizeof L);
  L.status = rulecore_ruleset_load(env, path, &RS, &d);
  copy_diags(d);
  rulecore_diagnostics_free(d);
  return L.status;
}
static rulecore_status load(const char *path) { return load_env(NULL, path); }

/* Load and require success, showing the diagnostics otherwise. */
#define load_ok(path)                                                                                         \
  do {                                                                                                        \
    load(path);                                                                                               \
    ck_assert_msg(L.status == RULECORE_OK && RS != NULL, "load %s: status %d: %s", (path), L.status, L.text); \
  } while (0)

/* The index of the first diagnostic with code (and, when msg is not NULL,
 * a message containing it), or -1. */
static int find_diag(int code, const char *msg) {
  for (size_t i = 0; i < L.count && i < MAX_DIAGS; i++)
    if ((code == 0 || L.d[i].code == code) && (!msg || strstr(L.d[i].message, msg))) return (int)i;
  return -1;
}

/* Require diagnostic code with msg; its index. */
#define need_diag(code, msg)                                                                                  \
  ({                                                                                                          \
    int k_ = find_diag((code), (msg));                                                                        \
    ck_assert_msg(k_ >= 0, "no diagnostic %d containing \"%s\" among %zu: %s", (code), (msg) ? (msg) : "", \
                  L.count, L.text);                                                                           \
    k_;                                                                                                       \
  })

/* Whether s ends with suffix. */
static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The 1-based column of the first occurrence of needle in line `line` of
 * text (bytes = code points here: the test files are ASCII). */
static uint32_t column_of(const char *text, uint32_t line, const char *needle) {
  const char *p = text;
  for (uint32_t l = 1; l < line && p; l++) {
    p = strchr(p, '\n');
    if (p) p++;
  }
  ck_assert_ptr_nonnull(p);
  const char *end = strchr(p, '\n');
  const char *q = strstr(p, needle);
  ck_assert_msg(q && (!end || q < end), "'%s' is not on line %u", needle, line);
  return (uint32_t)(q - p) + 1;
}

/* ---- evaluating ---- */

/* Evaluate RS against the JSON context (NULL: no activation) for names
 * (NULL: all) into OUT. */
static rulecore_status eval_names(const char *json, const char *const *names, size_t n) {
  if (!OUT) OUT = rulecore_decisions_new();
  ck_assert_ptr_nonnull(OUT);
  rulecore_activation_free(ACT);
  ACT = NULL;
  if (json) {
    ACT = rulecore_activation_new(rulecore_ruleset_schema(RS));
    ck_assert_ptr_nonnull(ACT);
    rulecore_diagnostics *d = NULL;
    rulecore_status st = rulecore_activation_set_json(ACT, json, strlen(json), RULECORE_JSON_PLAIN, &d);
    char msg[512];
    snap_copy(msg, sizeof msg, rulecore_diagnostics_message(d, 0));
    rulecore_diagnostics_free(d);
    ck_assert_msg(st == RULECORE_OK, "context %s: %s", json, msg);
  }
  return rulecore_ruleset_eval(RS, ACT, names, n, OUT);
}
static void eval_all(const char *json) {
  rulecore_status st = eval_names(json, NULL, 0);
  ck_assert_int_eq(st, RULECORE_OK);
}

static size_t dec(const char *name) {
  int32_t i = rulecore_ruleset_decision_index(RS, name);
  ck_assert_msg(i >= 0, "no decision '%s'", name);
  return (size_t)i;
}

static rulecore_outcome outcome(const char *name) { return rulecore_decisions_outcome(OUT, dec(name)); }

/* Decision name's value rendered as TEXT ("(none)" without one), static
 * storage in a ring. */
static const char *value_text(const char *name) {
  static char ring[8][512];
  static int k;
  char *p = ring[k++ % 8];
  const rulecore_result *r = rulecore_decisions_value(OUT, dec(name));
  if (!r) return "(none)";
  char *z = rulecore_result_render(r, RULECORE_FORMAT_TEXT);
  snap_copy(p, sizeof ring[0], z);
  rulecore_free(z);
  return p;
}

/* Decision name's error message ("" without one). */
static const char *error_text(const char *name, uint32_t *line, uint32_t *column) {
  const rulecore_result *r = rulecore_decisions_value(OUT, dec(name));
  const char *m = r ? rulecore_result_error(r, line, column) : NULL;
  return m ? m : "";
}

static const char *rule_of(const char *name) {
  const char *r = rulecore_decisions_rule(OUT, dec(name));
  return r ? r : "(null)";
}

/* The matched rules of decision name, comma-separated (static ring). */
static const char *matched(const char *name) {
  static char ring[4][512];
  static int k;
  char *p = ring[k++ % 4];
  p[0] = '\0';
  size_t i = dec(name), n = rulecore_decisions_matched_count(OUT, i);
  for (size_t j = 0; j < n; j++) {
    const char *m = rulecore_decisions_matched(OUT, i, j);
    snprintf(p + strlen(p), sizeof ring[0] - strlen(p), "%s%s", j ? "," : "", m ? m : "(null)");
  }
  return p;
}

#define assert_value(name, want)                                                                     \
  do {                                                                                               \
    rulecore_outcome o_ = outcome(name);                                                             \
    ck_assert_msg(o_ == RULECORE_OUTCOME_RULE || o_ == RULECORE_OUTCOME_DEFAULT,                     \
                  "decision %s: outcome %d (%s)", (name), (int)o_, error_text((name), NULL, NULL)); \
    assert_text_eq(value_text(name), (want));                                                        \
  } while (0)

/* ======================================================================
 * loading
 * ====================================================================== */

static const char good_rules[] =
    /* 1 */ "-- a small ruleset using every declaration\n"
    /* 2 */ "schema { variables = { user = { age = \"int\", tier = \"string\" }, amount = \"double\" } }\n"
    /* 3 */ "decision \"discount\" {\n"
    /* 4 */ "  type = \"double\", default = \"0.0\", description = \"the discount\",\n"
    /* 5 */ "  rule \"gold\" { priority = 20, when = [[ user.tier == 'gold' ]], value = \"0.15\",\n"
    /* 6 */ "                tags = { \"vip\", \"2024\" }, description = \"gold members\" },\n"
    /* 7 */ "  rule \"senior\" { priority = 10, when = [[ user.age >= 65 ]], value = 0.1 },\n"
    /* 8 */ "}\n"
    /* 9 */ "decision \"shipping\" { type = \"string\", default = [['standard']],\n"
    /* 10 */ "  rule \"free\" { when = [[ discount > 0.1 || amount > 200.0 ]], value = [['free']] } }\n"
    /* 11 */ "validation \"minor\" { expr = [[ !(user.age < 18 && discount > 0.0) ]],\n"
    /* 12 */ "  message = [[ 'minor gets ' + string(discount) ]], severity = \"warning\" }\n"
    /* 13 */ "test \"gold\" { context = { user = { age = 30, tier = \"gold\" }, amount = 1.0 },\n"
    /* 14 */ "  expect = { discount = 0.15, shipping = \"free\" }, rules = { discount = \"gold\" } }\n";

START_TEST(test_load_directory) {
  put("rules.lua", good_rules);
  put("README.txt", "not a rule file: ignored");
  put("sub/ignored.lua", "error('files in subdirectories run only through include')");
  load_ok(D);
  ck_assert_uint_eq(L.errors, 0);
  ck_assert_uint_eq(rulecore_ruleset_decision_count(RS), 2);
  ck_assert_str_eq(rulecore_ruleset_decision_name(RS, 0), "discount");
  ck_assert_str_eq(rulecore_ruleset_decision_name(RS, 1), "shipping");
  ck_assert_ptr_null(rulecore_ruleset_decision_name(RS, 2));
  ck_assert_int_eq(rulecore_ruleset_decision_index(RS, "shipping"), 1);
  ck_assert_int_eq(rulecore_ruleset_decision_index(RS, "user"), -1); /* a variable, not a decision */
  ck_assert_int_eq(rulecore_ruleset_decision_index(RS, "nope"), -1);
  ck_assert_str_eq(rulecore_ruleset_decision_type(RS, 0), "double");
  ck_assert_str_eq(rulecore_ruleset_decision_hit_policy(RS, 0), "first");
  ck_assert_str_eq(rulecore_ruleset_decision_description(RS, 0), "the discount");
  ck_assert_uint_eq(rulecore_ruleset_decision_input_count(RS, 0), 0);
  ck_assert_uint_eq(rulecore_ruleset_decision_input_count(RS, 1), 1);
  ck_assert_uint_eq(rulecore_ruleset_decision_input(RS, 1, 0), 0);
  ck_assert_uint_eq(rulecore_ruleset_rule_count(RS, 0), 2);
  ck_assert_str_eq(rulecore_ruleset_rule_id(RS, 0, 0), "gold");
  ck_assert_int_eq(rulecore_ruleset_rule_priority(RS, 0, 0), 20);
  ck_assert_str_eq(rulecore_ruleset_rule_condition(RS, 0, 0), " user.tier == 'gold' ");
  ck_assert_str_eq(rulecore_ruleset_rule_description(RS, 0, 0), "gold members");
  ck_assert_uint_eq(rulecore_ruleset_rule_tag_count(RS, 0, 0), 2);
  ck_assert_str_eq(rulecore_ruleset_rule_tag(RS, 0, 0, 1), "2024");
  ck_assert_ptr_null(rulecore_ruleset_rule_tag(RS, 0, 0, 2));
  uint32_t line = 0;
  const char *file = rulecore_ruleset_rule_file(RS, 0, 1, &line);
  ck_assert_ptr_nonnull(file);
  ck_assert_msg(ends_with(file, "/rules.lua"), "rule file %s", file);
  ck_assert_uint_eq(line, 7);
  ck_assert_uint_eq(rulecore_ruleset_validation_count(RS), 1);
  ck_assert_str_eq(rulecore_ruleset_validation_id(RS, 0), "minor");
  ck_assert_int_eq(rulecore_ruleset_validation_severity(RS, 0), RULECORE_SEVERITY_WARNING);
  ck_assert_uint_eq(rulecore_ruleset_test_count(RS), 1);
  ck_assert_str_eq(rulecore_ruleset_test_name(RS, 0), "gold");
  /* the schema: the context's variables, and the decisions readable by name */
  rulecore_schema *s = rulecore_ruleset_schema(RS);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_ge(rulecore_schema_slot(s, "user.age"), 0);
  ck_assert_int_ge(rulecore_schema_slot(s, "amount"), 0);
  /* and it evaluates */
  eval_all("{\"user\": {\"age\": 30, \"tier\": \"gold\"}, \"amount\": 10.0}");
  assert_value("discount", "0.15");
  assert_text_eq(rule_of("discount"), "gold");
  assert_value("shipping", "\"free\"");
  ck_assert_uint_eq(rulecore_decisions_violation_count(OUT), 0);
  ck_assert_ptr_eq(rulecore_decisions_ruleset(OUT), RS);
}
END_TEST

START_TEST(test_load_directory_name_order) {
  /* Files run in name order: b.lua declares after a.lua whatever the
   * directory order; decisions are indexed in declaration order. */
  put("b.lua", "decision \"second\" { type = \"int\", default = \"2\" }\n");
  put("a.lua", "schema { variables = { x = \"int\" } }\ndecision \"first\" { type = \"int\", default = \"1\" }\n");
  put("c.lua", "decision \"third\" { type = \"int\", default = [[ first + second ]] }\n");
  load_ok(D);
  ck_assert_str_eq(rulecore_ruleset_decision_name(RS, 0), "first");
  ck_assert_str_eq(rulecore_ruleset_decision_name(RS, 1), "second");
  ck_assert_str_eq(rulecore_ruleset_decision_name(RS, 2), "third");
  eval_all("{}");
  assert_value("third", "3");
}
END_TEST

START_TEST(test_load_single_file) {
  put("a.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"only\" { type = \"int\", rule \"r\" { value = [[ x * 2 ]] } }\n");
  put("b.lua", "this is not Lua at all (\n");
  load_ok(IN("a.lua"));
  ck_assert_uint_eq(rulecore_ruleset_decision_count(RS), 1);
  eval_all("{\"x\": 21}");
  assert_value("only", "42");
  /* the broken neighbour, loaded as the directory, does fail */
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  int k = need_diag(RULECORE_DIAG_LUA_ERROR, NULL);
  ck_assert_msg(ends_with(L.d[k].file, "/b.lua"), "file %s", L.d[k].file);
}
END_TEST

START_TEST(test_load_single_file_relative) {
  /* A bare file name: the root is the working directory. */
  put("only.lua", "decision \"k\" { type = \"string\", default = [['rel']] }\n");
  char cwd[4096];
  ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
  ck_assert_int_eq(chdir(D), 0);
  load("only.lua");
  int rc = chdir(cwd);
  ck_assert_int_eq(rc, 0);
  ck_assert_msg(L.status == RULECORE_OK, "%s", L.text);
  eval_all(NULL);
  assert_value("k", "\"rel\"");
}
END_TEST

START_TEST(test_load_include) {
  put("main.lua",
      "local lib = include \"lib/common.lua\"\n"
      "local again = include \"lib/common.lua\"\n"
      "assert(lib == again, 'include returns the cached value')\n"
      "assert(include 'z.lua' == true, 'a file returning nothing gives true')\n"
      "schema { variables = { age = \"int\" } }\n"
      "decision \"adult\" { type = \"bool\", default = \"false\", rule \"r\" { when = \"age >= \" .. lib.adult } }\n"
      "decision \"runs\" { type = \"int\", default = tostring(lib.count()) }\n");
  put("lib/common.lua",
      "local n = 0\n"
      "n = n + 1\n"
      "decision \"from_lib\" { type = \"string\", default = [['lib']] }\n"
      "return { adult = 18, count = function() return n end }\n");
  /* z.lua is also a top-level file: it runs once, not again after its include */
  put("z.lua", "decision \"z\" { type = \"int\", default = \"7\" }\n");
  load_ok(D);
  ck_assert_uint_eq(rulecore_ruleset_decision_count(RS), 4); /* no duplicate of z or from_lib */
  eval_all("{\"age\": 18}");
  assert_value("adult", "true");
  assert_value("runs", "1");
  assert_value("from_lib", "\"lib\"");
  assert_value("z", "7");
}
END_TEST

START_TEST(test_load_include_cycle) {
  put("a.lua", "include 'lib/b.lua'\n");
  put("lib/b.lua", "include 'lib/c.lua'\n");
  put("lib/c.lua", "include 'lib/b.lua'\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  need_diag(RULECORE_DIAG_LUA_ERROR, "include cycle");
}
END_TEST

START_TEST(test_load_bundled) {
  load_ok(src_path("t/rulesets/pricing"));
  ck_assert_uint_eq(rulecore_ruleset_decision_count(RS), 2);
  ck_assert_uint_eq(rulecore_ruleset_test_count(RS), 2);
  load_ok(src_path("t/rulesets/include"));
  ck_assert_int_ge(rulecore_ruleset_decision_index(RS, "adult"), 0);
  load_ok(src_path("t/rulesets/hits"));
  ck_assert_uint_eq(rulecore_ruleset_decision_count(RS), 10);
  load_ok(src_path("rules/architecture"));
  ck_assert_uint_eq(rulecore_ruleset_decision_count(RS), 22);
  ck_assert_uint_eq(rulecore_ruleset_validation_count(RS), 12);
  ck_assert_uint_eq(rulecore_ruleset_test_count(RS), 20);
}
END_TEST

START_TEST(test_load_missing) {
  const char *path = IN("no-such-dir");
  errno = 0;
  rulecore_status st = load(path);
  ck_assert_int_eq(st, RULECORE_ERR_IO);
  ck_assert_ptr_null(RS);
  ck_assert_uint_eq(L.errors, 1);
  ck_assert_str_eq(L.d[0].file, path);
  ck_assert_msg(strstr(L.d[0].message, "cannot read the ruleset") && strstr(L.d[0].message, strerror(ENOENT)),
                "%s", L.d[0].message);
  /* a file of a missing directory, too */
  ck_assert_int_eq(load(IN("no-such-dir/x.lua")), RULECORE_ERR_IO);
  ck_assert_ptr_null(RS);
}
END_TEST

START_TEST(test_load_empty_directory) {
  put("notes.txt", "no rule files here\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  ck_assert_uint_eq(L.errors, 1);
  ck_assert_int_eq(L.d[0].code, RULECORE_DIAG_RULESET_INVALID);
  ck_assert_msg(strstr(L.d[0].message, "no rule files"), "%s", L.d[0].message);
  ck_assert_str_eq(L.d[0].file, D);
}
END_TEST

START_TEST(test_load_arguments) {
  rulecore_ruleset *rs = (rulecore_ruleset *)&L;
  rulecore_diagnostics *d = (rulecore_diagnostics *)&L;
  ck_assert_int_eq(rulecore_ruleset_load(NULL, NULL, &rs, &d), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(rs);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(rulecore_ruleset_load(NULL, D, NULL, NULL), RULECORE_ERR_ARGUMENT);
  /* NULL is harmless everywhere */
  rulecore_ruleset_free(NULL);
  ck_assert_ptr_null(rulecore_ruleset_ref(NULL));
  ck_assert_uint_eq(rulecore_ruleset_decision_count(NULL), 0);
  ck_assert_ptr_null(rulecore_ruleset_revision(NULL));
  ck_assert_ptr_null(rulecore_ruleset_schema(NULL));
  rulecore_decisions_free(NULL);
  ck_assert_ptr_null(rulecore_decisions_render(NULL, RULECORE_FORMAT_TEXT));
  /* diagnostics NULL: the load still works */
  put("a.lua", "decision \"k\" { type = \"int\", default = \"1\" }\n");
  ck_assert_int_eq(rulecore_ruleset_load(NULL, D, &rs, NULL), RULECORE_OK);
  RS = rs;
}
END_TEST

/* ---- diagnostics point at the token inside the Lua file ---- */

static const char typed_rules[] =
    /* 1 */ "schema { variables = { user = { age = \"int\", name = \"string\" } } }\n"
    /* 2 */ "decision \"d\" {\n"
    /* 3 */ "  type = \"bool\",\n"
    /* 4 */ "  rule \"short\" { when = \"user.age > 'x'\" },\n"
    /* 5 */ "  rule \"long\" { when = [[ user.age > 'y' ]] },\n"
    /* 6 */ "  rule \"multi\" { when = [==[\n"
    /* 7 */ "      user.age > 1 &&\n"
    /* 8 */ "        user.age > 'z'\n"
    /* 9 */ "    ]==] },\n"
    /* 10 */ "  rule \"escaped\" { when = \"user.name == \\\"A\\tB\\\" && user.agee > 1\" },\n"
    /* 11 */ "}\n";

START_TEST(test_diag_positions) {
  put("types.lua", typed_rules);
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  ck_assert_msg(L.errors == 4, "%zu errors: %s", L.errors, L.text);
  /* in source order: short string, long string, multi-line long string, escapes */
  static const struct {
    uint32_t line;
    const char *token; /* the text the diagnostic starts at, on that line */
    int code;
    const char *msg;
  } want[] = {
      {4, "> 'x'", RULECORE_DIAG_NO_MATCHING_OVERLOAD, "'>'"},
      {5, "> 'y'", RULECORE_DIAG_NO_MATCHING_OVERLOAD, "'>'"},
      {8, "> 'z'", RULECORE_DIAG_NO_MATCHING_OVERLOAD, "'>'"},
      {10, "agee", RULECORE_DIAG_NO_SUCH_FIELD, "did you mean 'age'"},
  };
  for (size_t i = 0; i < LEN(want); i++) {
    const ldiag *g = &L.d[i];
    uint32_t col = column_of(typed_rules, want[i].line, want[i].token);
    ck_assert_msg(ends_with(g->file, "/types.lua"), "diagnostic %zu: file %s", i, g->file);
    ck_assert_msg(g->code == want[i].code && g->line == want[i].line && g->column == col &&
                      strstr(g->message, want[i].msg),
                  "diagnostic %zu: %d at %u:%u \"%s\", expected %d at %u:%u", i, g->code, g->line, g->column,
                  g->message, want[i].code, want[i].line, col);
    ck_assert_int_eq(g->severity, RULECORE_SEVERITY_ERROR);
    ck_assert_str_eq(g->name, want[i].code == RULECORE_DIAG_NO_SUCH_FIELD ? "no-such-field" : "no-matching-overload");
    ck_assert_uint_ge(g->end_column, g->column);
    ck_assert_uint_eq(g->end_line, g->line);
  }
  /* spelled out for the first: `  rule "short" { when = "user.age > 'x'" },` has its '>' in column 35 */
  ck_assert_uint_eq(L.d[0].column, 35);
  /* the offset is a byte offset in the file: it is the token's */
  ck_assert_msg(strncmp(typed_rules + L.d[3].offset, "agee", 4) == 0 && L.d[3].length == 4,
                "offset %zu length %zu", L.d[3].offset, L.d[3].length);
  ck_assert_msg(strncmp(typed_rules + L.d[2].offset, ">", 1) == 0, "offset %zu", L.d[2].offset);
  /* the TEXT rendering shows file:line:col and the line of the file */
  char where[1200];
  snprintf(where, sizeof where, "%s:10:%u: error: ", L.d[3].file, column_of(typed_rules, 10, "agee"));
  ck_assert_msg(strstr(L.text, where), "no \"%s\" in %s", where, L.text);
  ck_assert_msg(strstr(L.text, "rule \"escaped\""), "%s", L.text);
}
END_TEST

START_TEST(test_diag_generated_expression) {
  /* An expression built by concatenation has no literal: the call's line,
   * and the column in the built expression. */
  put("gen.lua", "schema { variables = { n = \"int\" } }\n"
                 "decision \"d\" { type = \"bool\",\n"
                 "  rule \"g\" { when = \"n > \" .. \"'ten'\" } }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  int k = need_diag(RULECORE_DIAG_NO_MATCHING_OVERLOAD, "built");
  ck_assert_uint_eq(L.d[k].line, 3);
  ck_assert_msg(strstr(L.d[k].message, "column 3"), "%s", L.d[k].message);
}
END_TEST

START_TEST(test_diag_all_errors_together) {
  /* four files, each broken differently: every error in one load */
  put("a.lua", "schema { variables = { n = \"int\" } }\n"
               "decision \"a\" { type = \"int\", rule \"ra\" { value = [[ n + 'one' ]] } }\n");
  put("b.lua", "decision \"b\" {\n  type = \"int\",\n");              /* syntax error */
  put("c.lua", "local t = nil\nlocal y = t.field\n");                 /* run-time error */
  put("d.lua", "decision \"d\" { type = \"int\", hit = \"frist\", default = \"1\" }\n" /* misuse */
               "decision \"a\" { type = \"int\", default = \"2\" }\n");             /* duplicate */
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  ck_assert_msg(L.errors >= 5, "%zu errors: %s", L.errors, L.text);
  int k = need_diag(RULECORE_DIAG_NO_MATCHING_OVERLOAD, NULL);
  ck_assert_msg(ends_with(L.d[k].file, "/a.lua") && L.d[k].line == 2, "%s:%u", L.d[k].file, L.d[k].line);
  k = need_diag(RULECORE_DIAG_LUA_ERROR, "expected");
  ck_assert_msg(ends_with(L.d[k].file, "/b.lua"), "%s", L.d[k].file);
  k = need_diag(RULECORE_DIAG_LUA_ERROR, "attempt to index a nil value");
  ck_assert_msg(ends_with(L.d[k].file, "/c.lua") && L.d[k].line == 2, "%s:%u", L.d[k].file, L.d[k].line);
  k = need_diag(RULECORE_DIAG_RULESET_INVALID, "did you mean 'first'");
  ck_assert_msg(ends_with(L.d[k].file, "/d.lua") && L.d[k].line == 1 &&
                    L.d[k].column == column_of("decision \"d\" { type = \"int\", hit = \"frist\"", 1, "frist"),
                "%s:%u:%u", L.d[k].file, L.d[k].line, L.d[k].column);
  k = need_diag(RULECORE_DIAG_RULESET_DUPLICATE, "decision 'a'");
  ck_assert_msg(ends_with(L.d[k].file, "/d.lua") && L.d[k].line == 2, "%s:%u", L.d[k].file, L.d[k].line);
  /* sorted by file */
  for (size_t i = 1; i < L.count && i < MAX_DIAGS; i++)
    ck_assert_msg(strcmp(L.d[i - 1].file, L.d[i].file) <= 0, "diagnostics out of file order: %s", L.text);
}
END_TEST

/* A test's context read from a JSON file that does not fit: the position in that file. */
START_TEST(test_diag_test_context_file) {
  put("r.lua", "schema { variables = { user = { age = \"int\" } } }\n"
               "decision \"a\" { type = \"int\", default = \"1\" }\n"
               "test \"from file\" { context = \"ctx.json\", expect = { a = 1 } }\n");
  put("ctx.json", "{\"user\":\n  {\"age\": \"old\"}}\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  int k = need_diag(RULECORE_DIAG_TEST_DATA, "ctx.json:2:11: user.age: a string does not fit the declared type int");
  ck_assert_uint_eq(L.d[k].line, 3);
}
END_TEST

START_TEST(test_diag_misuse) {
  put("m.lua", "schema { variables = { n = \"int\" } }\n"
               "decision \"a\" { type = \"int\", prority = 3, rule \"r\" { value = \"1\" } }\n"
               "decision \"b\" { type = \"string\", hit = \"collect\", rule \"x\" { value = [['x']] } }\n"
               "decision \"c\" { type = \"int\", aggregate = \"sum\", default = \"0\" }\n"
               "decision \"e\" { default = \"1\" }\n"
               "rule \"stray\" { value = \"1\" }\n"
               "validation \"v\" { expr = [[ n > 0 ]], severity = \"fatal\" }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  int k = need_diag(RULECORE_DIAG_RULESET_INVALID, "no field 'prority'");
  ck_assert_uint_eq(L.d[k].line, 2);
  need_diag(RULECORE_DIAG_RULESET_INVALID, "must be list(T)");
  need_diag(RULECORE_DIAG_RULESET_INVALID, "an aggregate needs hit = \"collect\"");
  need_diag(RULECORE_DIAG_RULESET_INVALID, "has no type");
  need_diag(RULECORE_DIAG_RULESET_INVALID, "'stray' is not inside a decision");
  need_diag(RULECORE_DIAG_RULESET_INVALID, "unknown severity 'fatal'");
}
END_TEST

/* ======================================================================
 * rule order
 * ====================================================================== */

START_TEST(test_order_priority) {
  put("o.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"pick\" { type = \"string\",\n"
               "  rule \"p1\"   { priority = 1,  value = [['p1']] },\n"
               "  rule \"p5a\"  { priority = 5,  value = [['p5a']] },\n"
               "  rule \"zero\" {                value = [['zero']] },\n"
               "  rule \"p5b\"  { priority = 5,  value = [['p5b']] },\n"
               "  rule \"neg\"  { priority = -3, value = [['neg']] },\n"
               "  rule \"p10\"  { priority = 10, when = [[ x > 0 ]], value = [['p10']] },\n"
               "  rule \"p5c\"  { priority = 5,  value = [['p5c']] },\n"
               "}\n"
               "decision \"all\" { type = \"list(string)\", hit = \"collect\",\n"
               "  rule \"c1\" { value = [['c1']] },\n"
               "  rule \"c2\" { priority = 2, value = [['c2']] },\n"
               "  rule \"c3\" { value = [['c3']] },\n"
               "  rule \"c4\" { priority = 2, value = [['c4']] },\n"
               "}\n");
  load_ok(D);
  static const char *const order[] = {"p10", "p5a", "p5b", "p5c", "p1", "zero", "neg"};
  size_t d = dec("pick");
  ck_assert_uint_eq(rulecore_ruleset_rule_count(RS, d), LEN(order));
  for (size_t k = 0; k < LEN(order); k++)
    ck_assert_msg(strcmp(rulecore_ruleset_rule_id(RS, d, k), order[k]) == 0, "rule %zu is %s, expected %s", k,
                  rulecore_ruleset_rule_id(RS, d, k), order[k]);
  ck_assert_int_eq(rulecore_ruleset_rule_priority(RS, d, 6), -3);
  ck_assert_ptr_null(rulecore_ruleset_rule_id(RS, d, LEN(order)));
  /* first: the highest priority that matches, and only it */
  eval_all("{\"x\": 1}");
  assert_value("pick", "\"p10\"");
  assert_text_eq(matched("pick"), "p10");
  eval_all("{\"x\": 0}");
  assert_value("pick", "\"p5a\""); /* the tie goes to the rule declared first */
  assert_text_eq(rule_of("pick"), "p5a");
  ck_assert_uint_eq(rulecore_decisions_matched_count(OUT, dec("pick")), 1);
  /* collect: every match, in the same order */
  assert_value("all", "[\"c2\", \"c4\", \"c1\", \"c3\"]");
  assert_text_eq(matched("all"), "c2,c4,c1,c3");
  assert_text_eq(rule_of("all"), "c2");
}
END_TEST

START_TEST(test_order_first_stops) {
  /* first stops at the first match: the rules after it are not even
   * evaluated (the next one would divide by zero) */
  put("f.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"d\" { type = \"int\",\n"
               "  rule \"miss\"  { priority = 3, when = [[ x > 100 ]], value = 1 },\n"
               "  rule \"hit\"   { priority = 2, when = [[ x > 0 ]], value = 2 },\n"
               "  rule \"boom\"  { priority = 1, when = [[ 10 / (x - x) > 0 ]], value = 3 },\n"
               "  rule \"also\"  { priority = 0, value = 4 },\n"
               "}\n");
  load_ok(D);
  eval_all("{\"x\": 5}");
  ck_assert_int_eq(outcome("d"), RULECORE_OUTCOME_RULE);
  assert_value("d", "2");
  assert_text_eq(rule_of("d"), "hit");
  ck_assert_uint_eq(rulecore_decisions_matched_count(OUT, dec("d")), 1);
  ck_assert_str_eq(rulecore_decisions_matched(OUT, dec("d"), 0), "hit");
  ck_assert_ptr_null(rulecore_decisions_matched(OUT, dec("d"), 1));
  /* x = 0: "hit" misses, and "boom" is reached: an error */
  eval_all("{\"x\": 0}");
  ck_assert_int_eq(outcome("d"), RULECORE_OUTCOME_ERROR);
  ck_assert_msg(strstr(error_text("d", NULL, NULL), "division by zero"), "%s", error_text("d", NULL, NULL));
}
END_TEST

/* ======================================================================
 * hit policies
 * ====================================================================== */

static const char hit_rules[] =
    "schema { variables = { x = \"int\", tags = \"list(string)\" } }\n"
    "decision \"u\" { type = \"int\", hit = \"unique\",\n"
    "  rule \"u1\" { when = [[ x > 1 ]], value = 1 },\n"
    "  rule \"u2\" { when = [[ x > 2 ]], value = 2 },\n"
    "  rule \"u3\" { when = [[ x < 0 ]], value = 3 } }\n"
    "decision \"a\" { type = \"string\", hit = \"any\",\n"
    "  rule \"a1\" { when = [[ x > 1 ]], value = [['same']] },\n"
    "  rule \"a2\" { when = [[ 'k' in tags ]], value = [['same']] },\n"
    "  rule \"a3\" { when = [[ x > 10 ]], value = [['other']] } }\n"
    "decision \"c\" { type = \"list(int)\", hit = \"collect\",\n"
    "  rule \"c1\" { priority = 1, when = [[ x > 1 ]], value = [[ x ]] },\n"
    "  rule \"c2\" { priority = 2, when = [[ x > 2 ]], value = [[ x * 10 ]] } }\n"
    "decision \"cd\" { type = \"list(int)\", hit = \"collect\", default = \"[-1]\",\n"
    "  rule \"cd1\" { when = [[ x > 1 ]], value = 1 } }\n"
    "decision \"sum\" { type = \"int\", hit = \"collect\", aggregate = \"sum\",\n"
    "  rule \"s1\" { when = [[ x > 1 ]], value = 5 },\n"
    "  rule \"s2\" { when = [[ x > 2 ]], value = [[ x ]] } }\n"
    "decision \"dsum\" { type = \"double\", hit = \"collect\", aggregate = \"sum\",\n"
    "  rule \"ds1\" { value = 1 }, rule \"ds2\" { value = 0.5 } }\n"
    "decision \"lo\" { type = \"int\", hit = \"collect\", aggregate = \"min\",\n"
    "  rule \"m1\" { when = [[ x > 1 ]], value = 7 },\n"
    "  rule \"m2\" { when = [[ x > 2 ]], value = [[ x ]] } }\n"
    "decision \"hi\" { type = \"string\", hit = \"collect\", aggregate = \"max\",\n"
    "  rule \"h1\" { when = [[ x > 1 ]], value = [['apple']] },\n"
    "  rule \"h2\" { when = [[ x > 2 ]], value = [['pear']] } }\n"
    "decision \"n\" { type = \"int\", hit = \"collect\", aggregate = \"count\",\n"
    "  rule \"n1\" { when = [[ x > 1 ]] },\n"
    "  rule \"n2\" { when = [[ x > 2 ]] },\n"
    "  rule \"n3\" { when = [[ x > 3 ]] } }\n"
    "decision \"withdefault\" { type = \"string\", default = [['dflt']],\n"
    "  rule \"w1\" { when = [[ x > 1 ]], value = [['matched']] } }\n"
    "decision \"nodefault\" { type = \"string\",\n"
    "  rule \"nd1\" { when = [[ x > 1 ]], value = [['matched']] } }\n";

START_TEST(test_hit_policies_match) {
  put("h.lua", hit_rules);
  load_ok(D);
  ck_assert_str_eq(rulecore_ruleset_decision_hit_policy(RS, dec("u")), "unique");
  ck_assert_str_eq(rulecore_ruleset_decision_hit_policy(RS, dec("a")), "any");
  ck_assert_str_eq(rulecore_ruleset_decision_hit_policy(RS, dec("c")), "collect");
  ck_assert_str_eq(rulecore_ruleset_decision_hit_policy(RS, dec("sum")), "collect sum");
  ck_assert_str_eq(rulecore_ruleset_decision_hit_policy(RS, dec("lo")), "collect min");
  ck_assert_str_eq(rulecore_ruleset_decision_hit_policy(RS, dec("hi")), "collect max");
  ck_assert_str_eq(rulecore_ruleset_decision_hit_policy(RS, dec("n")), "collect count");
  ck_assert_str_eq(rulecore_ruleset_decision_hit_policy(RS, dec("withdefault")), "first");

  /* x = 2: one unique match, two agreeing any matches */
  eval_all("{\"x\": 2, \"tags\": [\"k\"]}");
  assert_value("u", "1");
  assert_text_eq(rule_of("u"), "u1");
  assert_value("a", "\"same\"");
  assert_text_eq(matched("a"), "a1,a2");
  assert_text_eq(rule_of("a"), "a1");
  assert_value("c", "[2]");
  assert_value("cd", "[1]");
  assert_value("sum", "5");
  assert_value("dsum", "1.5");
  assert_value("lo", "7");
  assert_value("hi", "\"apple\"");
  assert_value("n", "1");
  assert_value("withdefault", "\"matched\"");
  ck_assert_int_eq(outcome("withdefault"), RULECORE_OUTCOME_RULE);
  assert_value("nodefault", "\"matched\"");

  /* x = 3: collect in priority order; sum, min, max and count of two */
  eval_all("{\"x\": 3, \"tags\": []}");
  ck_assert_int_eq(outcome("u"), RULECORE_OUTCOME_ERROR);
  const char *why = error_text("u", NULL, NULL);
  ck_assert_msg(strstr(why, "'u1'") && strstr(why, "'u2'") && strstr(why, "unique"), "%s", why);
  ck_assert_ptr_null(rulecore_decisions_rule(OUT, dec("u")));
  assert_value("a", "\"same\"");
  assert_value("c", "[30, 3]");
  assert_text_eq(matched("c"), "c2,c1");
  assert_value("sum", "8");
  assert_value("lo", "3");
  assert_value("hi", "\"pear\"");
  assert_value("n", "2");
  assert_text_eq(matched("n"), "n1,n2");

  /* x = 11: any's matches disagree */
  eval_all("{\"x\": 11, \"tags\": [\"k\"]}");
  ck_assert_int_eq(outcome("a"), RULECORE_OUTCOME_ERROR);
  why = error_text("a", NULL, NULL);
  ck_assert_msg(strstr(why, "'a1'") && strstr(why, "'a3'") && strstr(why, "different values"), "%s", why);
  assert_value("n", "3");
}
END_TEST

START_TEST(test_hit_policies_no_match) {
  put("h.lua", hit_rules);
  load_ok(D);
  eval_all("{\"x\": 0, \"tags\": []}");
  /* first: the default, else no value */
  ck_assert_int_eq(outcome("withdefault"), RULECORE_OUTCOME_DEFAULT);
  assert_value("withdefault", "\"dflt\"");
  assert_text_eq(rule_of("withdefault"), "default");
  ck_assert_uint_eq(rulecore_decisions_matched_count(OUT, dec("withdefault")), 0);
  ck_assert_int_eq(outcome("nodefault"), RULECORE_OUTCOME_NO_MATCH);
  ck_assert_ptr_null(rulecore_decisions_value(OUT, dec("nodefault")));
  ck_assert_ptr_null(rulecore_decisions_rule(OUT, dec("nodefault")));
  ck_assert_int_eq(outcome("u"), RULECORE_OUTCOME_NO_MATCH);
  ck_assert_int_eq(outcome("a"), RULECORE_OUTCOME_NO_MATCH);
  /* collect: [] or its default; sum and count: 0 */
  ck_assert_int_eq(outcome("c"), RULECORE_OUTCOME_RULE);
  assert_value("c", "[]");
  ck_assert_int_eq(outcome("cd"), RULECORE_OUTCOME_DEFAULT);
  assert_value("cd", "[-1]");
  assert_value("sum", "0");
  assert_value("n", "0");
  ck_assert_uint_eq(rulecore_decisions_matched_count(OUT, dec("n")), 0);
}
END_TEST

START_TEST(test_hit_min_max_no_match) {
  /* collect with min or max and no match: no value (there is nothing to
   * take the minimum of), or the default.  README: "No match: the
   * default, else no value". */
  put("m.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"lo\" { type = \"int\", hit = \"collect\", aggregate = \"min\",\n"
               "  rule \"m1\" { when = [[ x > 1 ]], value = 7 } }\n"
               "decision \"hi\" { type = \"string\", hit = \"collect\", aggregate = \"max\",\n"
               "  rule \"h1\" { when = [[ x > 1 ]], value = [['z']] } }\n"
               "decision \"lod\" { type = \"int\", hit = \"collect\", aggregate = \"min\", default = \"-1\",\n"
               "  rule \"md1\" { when = [[ x > 1 ]], value = 7 } }\n"
               "decision \"reads\" { type = \"int\", default = [[ lo + 1 ]] }\n");
  load_ok(D);
  eval_all("{\"x\": 5}"); /* a match first: the scratch holds a value */
  assert_value("lo", "7");
  eval_all("{\"x\": 0}");
  ck_assert_int_eq(outcome("lod"), RULECORE_OUTCOME_DEFAULT);
  assert_value("lod", "-1");
  ck_assert_msg(outcome("lo") == RULECORE_OUTCOME_NO_MATCH, "collect min, no match, no default: outcome %d, value %s",
                (int)outcome("lo"), value_text("lo"));
  ck_assert_msg(outcome("hi") == RULECORE_OUTCOME_NO_MATCH, "collect max, no match, no default: outcome %d",
                (int)outcome("hi"));
  ck_assert_ptr_null(rulecore_decisions_value(OUT, dec("lo")));
  ck_assert_int_eq(outcome("reads"), RULECORE_OUTCOME_ERROR);
}
END_TEST

START_TEST(test_value_types) {
  put("v.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"i\" { type = \"int\", rule \"ri\" { value = 42 } }\n"
               "decision \"neg\" { type = \"int\", rule \"rn\" { value = [[ -x ]] } }\n"
               "decision \"u\" { type = \"uint\", rule \"ru\" { value = 7 } }\n"
               "decision \"d\" { type = \"double\", rule \"rd\" { value = 2 } }\n"        /* a Lua int: 2.0 */
               "decision \"d2\" { type = \"double\", rule \"rd2\" { value = 2.5 } }\n"
               "decision \"s\" { type = \"string\", rule \"rs\" { value = \"'a' + \" .. quote(\"b'c\") } }\n"
               "decision \"b\" { type = \"bool\", rule \"rb\" { when = [[ x > 0 ]] } }\n" /* no value: true */
               "decision \"bf\" { type = \"bool\", rule \"rbf\" { value = false } }\n"
               "decision \"l\" { type = \"list(string)\", rule \"rl\" { value = [[ ['a', 'b'] ]] } }\n"
               "decision \"m\" { type = \"map(string, int)\", rule \"rm\" { value = [[ {'k': x} ]] } }\n"
               "decision \"q\" { type = \"string\", default = quote(\"it's \\\"quoted\\\"\\n\") }\n");
  load_ok(D);
  eval_all("{\"x\": 3}");
  assert_value("s", "\"ab'c\"");
  const rulecore_result *r = rulecore_decisions_value(OUT, dec("i"));
  ck_assert_int_eq(rulecore_result_kind(r), RULECORE_KIND_INT);
  ck_assert_int_eq(rulecore_result_int(r), 42);
  r = rulecore_decisions_value(OUT, dec("neg"));
  ck_assert_int_eq(rulecore_result_int(r), -3);
  r = rulecore_decisions_value(OUT, dec("u"));
  ck_assert_int_eq(rulecore_result_kind(r), RULECORE_KIND_UINT);
  ck_assert_uint_eq(rulecore_result_uint(r), 7);
  r = rulecore_decisions_value(OUT, dec("d"));
  ck_assert_int_eq(rulecore_result_kind(r), RULECORE_KIND_DOUBLE);
  ck_assert_double_eq(rulecore_result_double(r), 2.0);
  ck_assert_double_eq(rulecore_result_double(rulecore_decisions_value(OUT, dec("d2"))), 2.5);
  r = rulecore_decisions_value(OUT, dec("b"));
  ck_assert_int_eq(rulecore_result_kind(r), RULECORE_KIND_BOOL);
  ck_assert_int_eq(rulecore_result_bool(r), 1);
  ck_assert_int_eq(rulecore_result_bool(rulecore_decisions_value(OUT, dec("bf"))), 0);
  r = rulecore_decisions_value(OUT, dec("l"));
  ck_assert_int_eq(rulecore_result_kind(r), RULECORE_KIND_LIST);
  assert_value("l", "[\"a\", \"b\"]");
  ck_assert_int_eq(rulecore_result_kind(rulecore_decisions_value(OUT, dec("m"))), RULECORE_KIND_MAP);
  assert_value("m", "{\"k\": 3}");
  r = rulecore_decisions_value(OUT, dec("q"));
  ck_assert_int_eq(rulecore_result_kind(r), RULECORE_KIND_STRING);
  size_t n = 0;
  const char *z = rulecore_result_string(r, &n);
  ck_assert_uint_eq(n, strlen("it's \"quoted\"\n"));
  ck_assert_int_eq(memcmp(z, "it's \"quoted\"\n", n), 0);
  ck_assert_str_eq(rulecore_ruleset_decision_type(RS, dec("m")), "map(string, int)");
  /* a value of the wrong type is an error at load */
  put("v.lua", "decision \"i\" { type = \"int\", rule \"ri\" { value = [['text']] } }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  need_diag(RULECORE_DIAG_WRONG_RESULT_TYPE, "must be of type int");
}
END_TEST

/* ======================================================================
 * the decision graph
 * ====================================================================== */

static const char graph_rules[] =
    "schema { variables = { x = \"int\" } }\n"
    "decision \"base\" { type = \"int\", rule \"b\" { value = [[ x + 1 ]] } }\n"
    "decision \"twice\" { type = \"int\", rule \"t\" { value = [[ base * 2 ]] } }\n"
    "decision \"label\" { type = \"string\", default = [['small']],\n"
    "  rule \"big\" { when = [[ twice > 10 && base > 1 ]], value = [['big']] } }\n"
    "decision \"other\" { type = \"int\", rule \"o\" { value = [[ x - 1 ]] } }\n"
    "decision \"lonely\" { type = \"int\", default = \"9\" }\n"
    "validation \"on_other\" { expr = [[ other < 0 ]], message = [['other is ' + string(other)]] }\n"
    "validation \"on_base\" { expr = [[ base < 0 ]] }\n"
    "validation \"on_nothing\" { expr = [[ x < 0 ]], message = [['x is not negative']] }\n";

START_TEST(test_graph_reads) {
  put("g.lua", graph_rules);
  load_ok(D);
  size_t lab = dec("label");
  ck_assert_uint_eq(rulecore_ruleset_decision_input_count(RS, lab), 2);
  bool saw_twice = false, saw_base = false;
  for (size_t k = 0; k < 2; k++) {
    size_t in = rulecore_ruleset_decision_input(RS, lab, k);
    saw_twice |= in == dec("twice");
    saw_base |= in == dec("base");
  }
  ck_assert(saw_twice && saw_base);
  eval_all("{\"x\": 5}");
  assert_value("base", "6");
  assert_value("twice", "12");
  assert_value("label", "\"big\"");
  eval_all("{\"x\": 1}");
  assert_value("label", "\"small\"");
  ck_assert_int_eq(outcome("label"), RULECORE_OUTCOME_DEFAULT);
}
END_TEST

START_TEST(test_graph_named) {
  put("g.lua", graph_rules);
  load_ok(D);
  const char *want[] = {"label"};
  ck_assert_int_eq(eval_names("{\"x\": 5}", want, 1), RULECORE_OK);
  assert_value("label", "\"big\"");
  assert_value("twice", "12");
  assert_value("base", "6");
  ck_assert_int_eq(outcome("other"), RULECORE_OUTCOME_NOT_EVALUATED);
  ck_assert_int_eq(outcome("lonely"), RULECORE_OUTCOME_NOT_EVALUATED);
  ck_assert_ptr_null(rulecore_decisions_value(OUT, dec("other")));
  ck_assert_ptr_null(rulecore_decisions_rule(OUT, dec("other")));
  ck_assert_uint_eq(rulecore_decisions_matched_count(OUT, dec("other")), 0);
  /* validations run when what they read was evaluated: on_base and
   * on_nothing, not on_other */
  ck_assert_uint_eq(rulecore_decisions_violation_count(OUT), 2);
  ck_assert_str_eq(rulecore_decisions_violation_id(OUT, 0), "on_base");
  ck_assert_str_eq(rulecore_decisions_violation_id(OUT, 1), "on_nothing");
  /* the rendering shows only what was evaluated */
  char *text = rulecore_decisions_render(OUT, RULECORE_FORMAT_TEXT);
  bool has_other = text && strstr(text, "other =") != NULL, has_label = text && strstr(text, "label = ");
  rulecore_free(text);
  ck_assert(has_label && !has_other);
  /* two names, one repeated: each once */
  const char *two[] = {"other", "base", "other"};
  ck_assert_int_eq(eval_names("{\"x\": 5}", two, 3), RULECORE_OK);
  assert_value("other", "4");
  assert_value("base", "6");
  ck_assert_int_eq(outcome("twice"), RULECORE_OUTCOME_NOT_EVALUATED);
  ck_assert_int_eq(outcome("label"), RULECORE_OUTCOME_NOT_EVALUATED);
  ck_assert_uint_eq(rulecore_decisions_violation_count(OUT), 3);
  /* an unknown name: RULECORE_ERR_ARGUMENT, nothing evaluated */
  const char *bad[] = {"label", "nope"};
  ck_assert_int_eq(eval_names("{\"x\": 5}", bad, 2), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_ruleset_eval(RS, ACT, NULL, 1, OUT), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_ruleset_eval(NULL, ACT, NULL, 0, OUT), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_ruleset_eval(RS, ACT, NULL, 0, NULL), RULECORE_ERR_ARGUMENT);
  /* an activation of another schema */
  rulecore_schema *other = rulecore_schema_new();
  ck_assert_int_eq(rulecore_schema_add_variable(other, "x", "int"), RULECORE_OK);
  rulecore_activation *oa = rulecore_activation_new(other);
  rulecore_schema_free(other);
  rulecore_status st = rulecore_ruleset_eval(RS, oa, NULL, 0, OUT);
  rulecore_activation_free(oa);
  ck_assert_int_eq(st, RULECORE_ERR_ARGUMENT);
}
END_TEST

START_TEST(test_graph_failed_upstream) {
  put("g.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"up\" { type = \"int\", rule \"div\" { value = [[ 10 / x ]] } }\n"
               "decision \"none\" { type = \"int\", rule \"never\" { when = [[ x > 100 ]], value = 1 } }\n"
               "decision \"down\" { type = \"int\", rule \"d\" { value = [[ up + 1 ]] } }\n"
               "decision \"down2\" { type = \"int\", rule \"d2\" { value = [[ none + 1 ]] } }\n");
  load_ok(D);
  eval_all("{\"x\": 0}");
  ck_assert_int_eq(outcome("up"), RULECORE_OUTCOME_ERROR);
  ck_assert_int_eq(outcome("down"), RULECORE_OUTCOME_ERROR);
  const char *why = error_text("down", NULL, NULL);
  ck_assert_msg(strstr(why, "decision 'up' failed") && strstr(why, "division by zero"), "%s", why);
  ck_assert_int_eq(outcome("none"), RULECORE_OUTCOME_NO_MATCH);
  ck_assert_int_eq(outcome("down2"), RULECORE_OUTCOME_ERROR);
  why = error_text("down2", NULL, NULL);
  ck_assert_msg(strstr(why, "decision 'none' has no value"), "%s", why);
}
END_TEST

START_TEST(test_graph_cycle) {
  put("c.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"a\" { type = \"int\", rule \"ra\" { value = [[ b + 1 ]] } }\n"
               "decision \"b\" { type = \"int\", rule \"rb\" { value = [[ c + x ]] } }\n"
               "decision \"c\" { type = \"int\", default = [[ a * 2 ]] }\n"
               "decision \"fine\" { type = \"int\", default = \"1\" }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  int k = need_diag(RULECORE_DIAG_DECISION_CYCLE, NULL);
  ck_assert_msg(strstr(L.d[k].message, "a -> b -> c -> a"), "%s", L.d[k].message);
  ck_assert_str_eq(L.d[k].name, "decision-cycle");
  ck_assert_msg(ends_with(L.d[k].file, "/c.lua") && L.d[k].line == 2, "%s:%u", L.d[k].file, L.d[k].line);
  ck_assert_uint_eq(L.errors, 1);
  /* a decision reading itself */
  put("c.lua", "decision \"self\" { type = \"int\", default = [[ self + 1 ]] }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  k = need_diag(RULECORE_DIAG_DECISION_CYCLE, "self -> self");
  /* a validation reading decisions in a cycle does not hide it */
  put("c.lua", "decision \"p\" { type = \"bool\", default = [[ !q ]] }\n"
               "decision \"q\" { type = \"bool\", default = [[ p ]] }\n"
               "validation \"v\" { expr = [[ p || q ]] }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  need_diag(RULECORE_DIAG_DECISION_CYCLE, "p -> q -> p");
}
END_TEST

START_TEST(test_graph_unknown_reference) {
  put("u.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"a\" { type = \"int\", rule \"r\" { value = [[ x + bse ]] } }\n"
               "decision \"base\" { type = \"int\", default = \"1\" }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  int k = need_diag(RULECORE_DIAG_UNDECLARED_REFERENCE, "bse");
  ck_assert_uint_eq(L.d[k].line, 2);
  ck_assert_uint_eq(L.d[k].column,
                    column_of("decision \"a\" { type = \"int\", rule \"r\" { value = [[ x + bse ]] } }", 1, "bse"));
  /* a test naming a decision the ruleset lacks; a rule id it lacks */
  put("u.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"base\" { type = \"int\", rule \"r\" { value = \"1\" } }\n"
               "test \"t\" { context = { x = 1 }, expect = { bsae = 1 } }\n"
               "test \"t2\" { context = { x = 1 }, rules = { base = \"nope\" } }\n"
               "test \"t3\" { context = { x = 1 }, violations = { \"nosuch\" } }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  k = need_diag(RULECORE_DIAG_UNKNOWN_DECISION, "'bsae'");
  ck_assert_msg(strstr(L.d[k].message, "did you mean 'base'"), "%s", L.d[k].message);
  ck_assert_uint_eq(L.d[k].line, 3);
  need_diag(RULECORE_DIAG_UNKNOWN_DECISION, "has no rule 'nope'");
  need_diag(RULECORE_DIAG_UNKNOWN_DECISION, "validation 'nosuch'");
  /* a test context that does not fit the schema */
  put("u.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"base\" { type = \"int\", default = \"1\" }\n"
               "test \"t\" { context = { x = \"one\" }, expect = { base = \"one\" } }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  need_diag(RULECORE_DIAG_TEST_DATA, "context");
  need_diag(RULECORE_DIAG_TEST_DATA, "expect");
}
END_TEST

START_TEST(test_graph_shadowing) {
  put("s.lua", "schema { variables = { user = { age = \"int\" }, n = \"int\" } }\n"
               "decision \"user\" { type = \"int\", default = \"1\" }\n"
               "decision \"ok\" { type = \"int\", default = \"2\" }\n"
               "decision \"n\" { type = \"string\", default = [['n']] }\n"
               "decision \"in\" { type = \"int\", default = \"3\" }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  int k = need_diag(RULECORE_DIAG_DECISION_SHADOWS, "'user'");
  ck_assert_uint_eq(L.d[k].line, 2);
  k = need_diag(RULECORE_DIAG_DECISION_SHADOWS, "'n'");
  ck_assert_uint_eq(L.d[k].line, 4);
  need_diag(RULECORE_DIAG_RULESET_INVALID, "must be an identifier"); /* 'in' is reserved */
}
END_TEST

START_TEST(test_graph_duplicates) {
  put("a.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"d\" { type = \"int\", rule \"r1\" { value = \"1\" } }\n"
               "validation \"v\" { expr = [[ x > 0 ]] }\n");
  put("b.lua", "decision \"d\" { type = \"int\", rule \"r2\" { value = \"2\" } }\n"
               "decision \"e\" { type = \"int\", rule \"r1\" { value = \"3\" } }\n"
               "validation \"v\" { expr = [[ x > 1 ]] }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  int k = need_diag(RULECORE_DIAG_RULESET_DUPLICATE, "decision 'd'");
  ck_assert_msg(ends_with(L.d[k].file, "/b.lua") && L.d[k].line == 1, "%s:%u", L.d[k].file, L.d[k].line);
  ck_assert_msg(strstr(L.d[k].message, "a.lua:2"), "%s", L.d[k].message); /* where it was first */
  k = need_diag(RULECORE_DIAG_RULESET_DUPLICATE, "rule id 'r1'");
  ck_assert_msg(ends_with(L.d[k].file, "/b.lua") && L.d[k].line == 2, "%s:%u", L.d[k].file, L.d[k].line);
  need_diag(RULECORE_DIAG_RULESET_DUPLICATE, "validation 'v'");
  /* a rule listed in two decisions */
  put("b.lua", "local r = rule \"shared\" { value = \"1\" }\n"
               "decision \"e\" { type = \"int\", r }\n"
               "decision \"f\" { type = \"int\", r }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  need_diag(RULECORE_DIAG_RULESET_INVALID, "listed in decision");
}
END_TEST

/* ======================================================================
 * validations
 * ====================================================================== */

START_TEST(test_validations) {
  put("v.lua", "schema { variables = { age = \"int\", d = \"int\" } }\n"
               "decision \"discount\" { type = \"double\", default = \"0.0\",\n"
               "  rule \"kid\" { when = [[ age < 12 ]], value = 0.5 } }\n"
               "validation \"holds\" { expr = [[ discount >= 0.0 ]], message = [['never shown']] }\n"
               "validation \"minor\" { expr = [[ !(age < 18 && discount > 0.1) ]],\n"
               "  message = [[ 'a minor gets ' + string(discount) ]] }\n"
               "validation \"soft\" { expr = [[ age > 5 ]], message = [['very young']], severity = \"warning\" }\n"
               "validation \"explicit\" { expr = [[ age > 5 ]], severity = \"error\" }\n"
               "validation \"broken\" { expr = [[ 100 / d > 1 ]], message = [['unused']] }\n"
               "validation \"badmsg\" { expr = [[ age > 5 ]], message = [[ string(100 / d) ]] }\n");
  load_ok(D);
  ck_assert_uint_eq(rulecore_ruleset_validation_count(RS), 6);
  ck_assert_int_eq(rulecore_ruleset_validation_severity(RS, 2), RULECORE_SEVERITY_WARNING);
  ck_assert_int_eq(rulecore_ruleset_validation_severity(RS, 3), RULECORE_SEVERITY_ERROR);
  eval_all("{\"age\": 30, \"d\": 10}");
  ck_assert_uint_eq(rulecore_decisions_violation_count(OUT), 0);
  ck_assert_ptr_null(rulecore_decisions_violation_id(OUT, 0));

  eval_all("{\"age\": 4, \"d\": 0}");
  static const struct {
    const char *id, *message;
    rulecore_severity severity;
  } want[] = {
      {"minor", "a minor gets 0.5", RULECORE_SEVERITY_ERROR},
      {"soft", "very young", RULECORE_SEVERITY_WARNING},
      {"explicit", "validation 'explicit' does not hold", RULECORE_SEVERITY_ERROR},
      {"broken", "cannot be checked: division by zero", RULECORE_SEVERITY_ERROR},
      {"badmsg", "its message failed: division by zero", RULECORE_SEVERITY_ERROR},
  };
  ck_assert_uint_eq(rulecore_decisions_violation_count(OUT), LEN(want));
  for (size_t k = 0; k < LEN(want); k++) {
    const char *id = rulecore_decisions_violation_id(OUT, k), *m = rulecore_decisions_violation_message(OUT, k);
    ck_assert_msg(id && strcmp(id, want[k].id) == 0, "violation %zu: %s, expected %s", k, id, want[k].id);
    ck_assert_msg(m && strstr(m, want[k].message), "violation %s: \"%s\", expected \"%s\"", id, m, want[k].message);
    ck_assert_int_eq(rulecore_decisions_violation_severity(OUT, k), want[k].severity);
  }
  ck_assert_msg(strncmp(rulecore_decisions_violation_message(OUT, 3), "cannot be checked: ", 19) == 0, "%s",
                rulecore_decisions_violation_message(OUT, 3));
  /* the decisions themselves are fine */
  assert_value("discount", "0.5");
  /* and a validation reading a failed decision cannot be checked either */
  put("v.lua", "schema { variables = { d = \"int\" } }\n"
               "decision \"q\" { type = \"int\", rule \"r\" { value = [[ 1 / d ]] } }\n"
               "validation \"on_q\" { expr = [[ q > 0 ]] }\n");
  load_ok(D);
  eval_all("{\"d\": 0}");
  ck_assert_uint_eq(rulecore_decisions_violation_count(OUT), 1);
  const char *m = rulecore_decisions_violation_message(OUT, 0);
  ck_assert_msg(strstr(m, "cannot be checked") && strstr(m, "decision 'q' failed"), "%s", m);
}
END_TEST

/* ======================================================================
 * run-time errors
 * ====================================================================== */

static const char runtime_rules[] =
    /* 1 */ "schema { variables = { x = \"int\", m = \"map(string, int)\", s = \"string\" } }\n"
    /* 2 */ "decision \"div\" { type = \"int\", default = \"0\",\n"
    /* 3 */ "  rule \"d\" { when = [[ 10 / x > 1 ]], value = 1 } }\n"
    /* 4 */ "decision \"key\" { type = \"string\",\n"
    /* 5 */ "  rule \"k\" { when = [[ m['missing'] > 0 ]], value = [['yes']] } }\n"
    /* 6 */ "decision \"val\" { type = \"int\",\n"
    /* 7 */ "  rule \"v\" { value = [[\n"
    /* 8 */ "    x + int(s)\n"
    /* 9 */ "  ]] } }\n"
    /* 10 */ "decision \"overflow\" { type = \"int\", hit = \"collect\", aggregate = \"sum\",\n"
    /* 11 */ "  rule \"o1\" { value = [[ 9223372036854775807 ]] }, rule \"o2\" { value = [[ x ]] } }\n"
    /* 12 */ "decision \"dflt\" { type = \"int\", default = [[ 1 / x ]] }\n"
    /* 13 */ "decision \"fine\" { type = \"int\", default = \"5\" }\n";

START_TEST(test_runtime_errors) {
  put("r.lua", runtime_rules);
  load_ok(D);
  eval_all("{\"x\": 0, \"m\": {\"a\": 1}, \"s\": \"nan\"}");
  uint32_t line = 0, col = 0;
  ck_assert_int_eq(outcome("div"), RULECORE_OUTCOME_ERROR);
  const char *why = error_text("div", &line, &col);
  ck_assert_msg(strstr(why, "rule 'd'") && strstr(why, "division by zero"), "%s", why);
  ck_assert_uint_eq(line, 3);
  ck_assert_uint_eq(col, column_of(runtime_rules, 3, "10 / x") + 3); /* the '/' */
  const char *file = rulecore_decisions_error_file(OUT, dec("div"));
  ck_assert_msg(file && ends_with(file, "/r.lua"), "%s", file ? file : "(null)");
  ck_assert_ptr_null(rulecore_decisions_rule(OUT, dec("div")));

  ck_assert_int_eq(outcome("key"), RULECORE_OUTCOME_ERROR);
  why = error_text("key", &line, &col);
  ck_assert_msg(strstr(why, "no such key") && strstr(why, "missing"), "%s", why);
  ck_assert_uint_eq(line, 5);

  ck_assert_int_eq(outcome("val"), RULECORE_OUTCOME_ERROR);
  why = error_text("val", &line, &col);
  ck_assert_msg(strstr(why, "rule 'v'"), "%s", why);
  ck_assert_uint_eq(line, 8); /* inside the multi-line long string */

  ck_assert_int_eq(outcome("overflow"), RULECORE_OUTCOME_RULE); /* x = 0: no overflow */
  ck_assert_int_eq(outcome("dflt"), RULECORE_OUTCOME_ERROR);
  ck_assert_msg(strstr(error_text("dflt", NULL, NULL), "default"), "%s", error_text("dflt", NULL, NULL));
  assert_value("fine", "5");
  ck_assert_ptr_null(rulecore_decisions_error_file(OUT, dec("fine")));

  eval_all("{\"x\": 1, \"m\": {\"missing\": 1}, \"s\": \"2\"}");
  assert_value("div", "1");
  assert_value("key", "\"yes\"");
  assert_value("val", "3");
  ck_assert_int_eq(outcome("overflow"), RULECORE_OUTCOME_ERROR);
  ck_assert_msg(strstr(error_text("overflow", NULL, NULL), "overflow"), "%s", error_text("overflow", NULL, NULL));
  ck_assert_ptr_null(rulecore_decisions_error_file(OUT, dec("div")));

  /* no activation: every variable absent, an error, never a crash */
  ck_assert_int_eq(eval_names(NULL, NULL, 0), RULECORE_OK);
  ck_assert_int_eq(outcome("div"), RULECORE_OUTCOME_ERROR);
  assert_value("fine", "5");
}
END_TEST

/* ======================================================================
 * the sandbox
 * ====================================================================== */

START_TEST(test_sandbox_globals) {
  put("s.lua",
      "local names = { 'io', 'os', 'debug', 'package', 'load', 'loadfile', 'require', 'dofile',\n"
      "  'collectgarbage', 'print', 'coroutine', 'loadstring', 'module' }\n"
      "local found = {}\n"
      "for _, n in ipairs(names) do if _G[n] ~= nil then found[#found + 1] = n end end\n"
      "for _, n in ipairs({ 'find', 'match', 'gmatch', 'gsub', 'dump' }) do\n"
      "  if string[n] ~= nil then found[#found + 1] = 'string.' .. n end\n"
      "  if ('')[n] ~= nil then found[#found + 1] = 'method ' .. n end\n"
      "end\n"
      "-- nothing reaches them indirectly either\n"
      "if getmetatable('').__index ~= string then found[#found + 1] = 'string metatable' end\n"
      "local reg = debug\n"
      "local ok = pcall(function() return require('io') end)\n"
      "if ok then found[#found + 1] = 'require worked' end\n"
      "local q = {}\n"
      "for i, m in ipairs(found) do q[i] = quote(m) end\n"
      "decision \"leaks\" { type = \"list(string)\", default = '[' .. table.concat(q, ', ') .. ']' }\n"
      "decision \"libs\" { type = \"string\", default = quote(type(string.format) .. type(table.concat) ..\n"
      "  type(math.floor) .. type(utf8.char) .. tostring(reg)) }\n");
  load_ok(D);
  eval_all(NULL);
  assert_value("leaks", "[]");
  assert_value("libs", "\"functionfunctionfunctionfunctionnil\"");
  /* and the bundled sandbox ruleset's own test passes */
  load_ok(src_path("t/rulesets/sandbox-api"));
  if (!OUT) OUT = rulecore_decisions_new();
  int passed = 0;
  char *report = NULL;
  ck_assert_int_eq(rulecore_ruleset_test_run(RS, 0, OUT, &passed, &report), RULECORE_OK);
  char copy[512];
  snap_copy(copy, sizeof copy, report);
  rulecore_free(report);
  ck_assert_msg(passed == 1, "%s", copy);
}
END_TEST

START_TEST(test_sandbox_no_binary_chunks) {
  /* a chunk loads as text only: a precompiled (binary) file is refused */
  put("b.lua", "\x1bLua\x54\x00 not really bytecode\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  int k = need_diag(RULECORE_DIAG_LUA_ERROR, NULL);
  ck_assert_msg(ends_with(L.d[k].file, "/b.lua"), "%s", L.d[k].file);
}
END_TEST

START_TEST(test_sandbox_instruction_limit) {
  ENV = rulecore_env_new();
  ck_assert_int_eq(rulecore_env_set_limit(ENV, RULECORE_LIMIT_LOAD_INSTRUCTIONS, 200000), RULECORE_OK);
  ck_assert_uint_eq(rulecore_env_limit(ENV, RULECORE_LIMIT_LOAD_INSTRUCTIONS), 200000);
  ck_assert_int_eq(rulecore_env_set_limit(ENV, RULECORE_LIMIT_LOAD_INSTRUCTIONS, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_uint_eq(rulecore_env_limit(ENV, RULECORE_LIMIT_LOAD_INSTRUCTIONS), 200000);
  put("a.lua", "decision \"before\" { type = \"int\", default = \"1\" }\n"
               "local n = 0\n"
               "while true do n = n + 1 end\n");
  put("b.lua", "decision \"after\" { type = \"int\", default = \"2\" }\n");
  clock_t t0 = clock();
  ck_assert_int_eq(load_env(ENV, D), RULECORE_ERR_SOURCE);
  double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  ck_assert_ptr_null(RS);
  int k = need_diag(RULECORE_DIAG_RULESET_LIMIT, "instruction limit exceeded");
  ck_assert_msg(strstr(L.d[k].message, "200000") && strstr(L.d[k].message, "RULECORE_LIMIT_LOAD_INSTRUCTIONS"), "%s",
                L.d[k].message);
  ck_assert_msg(ends_with(L.d[k].file, "/a.lua") && L.d[k].line == 3, "%s:%u", L.d[k].file, L.d[k].line);
  ck_assert_str_eq(L.d[k].name, "ruleset-limit");
  ck_assert_msg(secs < 5, "the limited load took %.1f s", secs);
  /* the bundled endless loop */
  ck_assert_int_eq(load_env(ENV, src_path("t/rulesets/sandbox-loop")), RULECORE_ERR_SOURCE);
  need_diag(RULECORE_DIAG_RULESET_LIMIT, "instruction limit exceeded");
  ck_assert_ptr_null(RS);
  /* a generous limit lets a real loop finish */
  ck_assert_int_eq(rulecore_env_set_limit(ENV, RULECORE_LIMIT_LOAD_INSTRUCTIONS, 5000000), RULECORE_OK);
  put("a.lua", "local n = 0 for i = 1, 10000 do n = n + i end\n"
               "decision \"sum\" { type = \"int\", default = tostring(n) }\n");
  ck_assert_int_eq(load_env(ENV, D), RULECORE_OK);
  eval_all(NULL);
  assert_value("sum", "50005000");
}
END_TEST

START_TEST(test_sandbox_memory_limit) {
  ENV = rulecore_env_new();
  ck_assert_int_eq(rulecore_env_set_limit(ENV, RULECORE_LIMIT_LOAD_MEMORY, 1u << 20), RULECORE_OK);
  ck_assert_uint_eq(rulecore_env_limit(ENV, RULECORE_LIMIT_LOAD_MEMORY), 1u << 20);
  /* a string doubled until the limit stops it */
  put("a.lua", "local s = 'x'\nwhile true do s = s .. s end\n");
  ck_assert_int_eq(load_env(ENV, D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  int k = need_diag(RULECORE_DIAG_RULESET_LIMIT, "memory limit exceeded");
  ck_assert_msg(strstr(L.d[k].message, "1048576") && strstr(L.d[k].message, "RULECORE_LIMIT_LOAD_MEMORY"), "%s",
                L.d[k].message);
  ck_assert_msg(strstr(L.d[k].file, "a.lua") || strcmp(L.d[k].file, D) == 0, "%s", L.d[k].file);
  /* tables, caught by pcall, kept alive: still the limit, the load fails */
  put("a.lua", "local t = {}\n"
               "pcall(function() while true do t[#t + 1] = { #t, tostring(#t) } end end)\n"
               "decision \"survived\" { type = \"int\", default = \"1\" }\n");
  ck_assert_int_eq(load_env(ENV, D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  need_diag(RULECORE_DIAG_RULESET_LIMIT, "memory limit exceeded");
  /* string.rep asking for far more at once */
  put("a.lua", "local s = string.rep('x', 1 << 30)\n");
  ck_assert_int_eq(load_env(ENV, D), RULECORE_ERR_SOURCE);
  need_diag(RULECORE_DIAG_RULESET_LIMIT, "memory limit exceeded");
  /* the bundled bomb */
  ck_assert_int_eq(load_env(ENV, src_path("t/rulesets/sandbox-memory")), RULECORE_ERR_SOURCE);
  need_diag(RULECORE_DIAG_RULESET_LIMIT, "memory limit exceeded");
  /* a modest ruleset fits in 1 MiB */
  put("a.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"d\" { type = \"int\", rule \"r\" { value = [[ x ]] } }\n");
  ck_assert_int_eq(load_env(ENV, D), RULECORE_OK);
}
END_TEST

START_TEST(test_sandbox_instruction_limit_pcall) {
  ENV = rulecore_env_new();
  ck_assert_int_eq(rulecore_env_set_limit(ENV, RULECORE_LIMIT_LOAD_INSTRUCTIONS, 200000), RULECORE_OK);
  put("b.lua", "decision \"after\" { type = \"int\", default = \"2\" }\n");
  /* pcall cannot swallow it: the load still fails (b.lua, which declares
   * "after", is not run once the state is spent, and must not come back
   * as a ruleset without it) */
  put("a.lua", "pcall(function() while true do end end)\n");
  rulecore_status st = load_env(ENV, D);
  size_t got = rulecore_ruleset_decision_count(RS);
  ck_assert_msg(st == RULECORE_ERR_SOURCE && RS == NULL,
                "the instruction limit caught by pcall: status %d, a ruleset of %zu decisions (b.lua's \"after\" %s)",
                st, got, RS && rulecore_ruleset_decision_index(RS, "after") >= 0 ? "present" : "missing");
  need_diag(RULECORE_DIAG_RULESET_LIMIT, "instruction limit exceeded");
}
END_TEST

START_TEST(test_sandbox_memory_limit_pcall) {
  ENV = rulecore_env_new();
  ck_assert_int_eq(rulecore_env_set_limit(ENV, RULECORE_LIMIT_LOAD_MEMORY, 1u << 20), RULECORE_OK);
  /* caught by pcall, garbage afterwards: the load must still fail, not
   * return a ruleset without b.lua */
  put("a.lua", "pcall(function() local t = {} while true do t[#t + 1] = {} end end)\n");
  put("b.lua", "decision \"after\" { type = \"int\", default = \"1\" }\n");
  rulecore_status st = load_env(ENV, D);
  size_t got = rulecore_ruleset_decision_count(RS);
  ck_assert_msg(st == RULECORE_ERR_SOURCE && RS == NULL,
                "the memory limit caught by pcall: status %d, a ruleset of %zu decisions (b.lua's \"after\" %s)", st,
                got, RS && rulecore_ruleset_decision_index(RS, "after") >= 0 ? "present" : "missing");
  need_diag(RULECORE_DIAG_RULESET_LIMIT, "memory limit exceeded");
}
END_TEST

START_TEST(test_sandbox_lua_error) {
  put("e.lua", "decision \"d\" { type = \"int\", default = \"1\" }\n"
               "\n"
               "error('boom: ' .. 6 * 7)\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  int k = need_diag(RULECORE_DIAG_LUA_ERROR, "boom: 42");
  ck_assert_msg(ends_with(L.d[k].file, "/e.lua") && L.d[k].line == 3 && L.d[k].column == 1, "%s:%u:%u",
                L.d[k].file, L.d[k].line, L.d[k].column);
  ck_assert_str_eq(L.d[k].name, "lua-error");
  /* the message is not prefixed twice with the position */
  ck_assert_msg(!strstr(L.d[k].message, "e.lua:3:"), "%s", L.d[k].message);
  /* an error in an included file is reported there */
  put("e.lua", "include 'lib/bad.lua'\n");
  put("lib/bad.lua", "local x = 1\nlocal y = x + {}\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  k = need_diag(RULECORE_DIAG_LUA_ERROR, "arithmetic");
  ck_assert_msg(ends_with(L.d[k].file, "/lib/bad.lua") && L.d[k].line == 2, "%s:%u", L.d[k].file, L.d[k].line);
  /* an error object that is not a string */
  put("e.lua", "error({ code = 1 })\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  k = need_diag(RULECORE_DIAG_LUA_ERROR, "table");
  /* a syntax error: its line */
  put("e.lua", "decision \"d\" { type = \"int\"\n\n  default = \"1\" }\n");
  ck_assert_int_eq(load(D), RULECORE_ERR_SOURCE);
  k = need_diag(RULECORE_DIAG_LUA_ERROR, NULL);
  ck_assert_msg(ends_with(L.d[k].file, "/e.lua") && L.d[k].line == 3, "%s:%u: %s", L.d[k].file, L.d[k].line,
                L.d[k].message);
}
END_TEST

START_TEST(test_sandbox_include_escape) {
  /* D/outside.lua lies outside the ruleset D/rs */
  put("outside.lua", "decision \"escaped\" { type = \"int\", default = \"1\" }\n");
  put("outside.json", "{\"variables\": {\"x\": \"int\"}}\n");
  put("rs/lib/real.lua", "return 5\n");
  char rs[1024];
  snprintf(rs, sizeof rs, "%s/rs", D);
  /* links out of the directory (not named *.lua: only included) */
  ck_assert_int_eq(symlink("../outside.lua", at(rs, "link.inc")), 0);
  ck_assert_int_eq(symlink(IN("outside.lua"), at(rs, "abs.inc")), 0);
  ck_assert_int_eq(symlink("../outside.json", at(rs, "link.json")), 0);
  ck_assert_int_eq(symlink("..", at(rs, "linkdir")), 0);
  static const struct {
    const char *text, *msg;
  } cases[] = {
      {"include '../outside.lua'\n", "without '..'"},
      {"include 'lib/../../outside.lua'\n", "without '..'"},
      {"include './../outside.lua'\n", "without '..'"},
      {"include '%s/outside.lua'\n", "without '..'"}, /* absolute */
      {"include 'link.inc'\n", "leaves the ruleset's directory"},
      {"include 'abs.inc'\n", "leaves the ruleset's directory"},
      {"include 'linkdir/outside.lua'\n", "leaves the ruleset's directory"},
      {"include 'nothere.lua'\n", "no such file"},
      {"include 'lib'\n", "not a regular file"},
      {"schema '../outside.json'\n", "without '..'"},
      {"schema '%s/outside.json'\n", "without '..'"},
      {"schema 'link.json'\n", "leaves the ruleset's directory"},
      {"test 't' { context = '../outside.json' }\n", "without '..'"},
  };
  for (size_t i = 0; i < LEN(cases); i++) {
    char text[1200];
    snprintf(text, sizeof text, cases[i].text, D);
    put_in(rs, "x.lua", text);
    rulecore_status st = load(rs);
    ck_assert_msg(st == RULECORE_ERR_SOURCE && RS == NULL, "%s: status %d", text, st);
    int k = find_diag(0, cases[i].msg);
    ck_assert_msg(k >= 0, "%s: no diagnostic \"%s\": %s", text, cases[i].msg, L.text);
    ck_assert_msg(find_diag(0, "escaped") < 0 && L.errors == 1, "%s: %s", text, L.text);
    ck_assert_msg(ends_with(L.d[k].file, "/x.lua") && L.d[k].line == 1, "%s: %s:%u", text, L.d[k].file, L.d[k].line);
    int code = strncmp(text, "include", 7) == 0 ? RULECORE_DIAG_LUA_ERROR : RULECORE_DIAG_RULESET_INVALID;
    ck_assert_msg(L.d[k].code == code, "%s: code %d, expected %d", text, L.d[k].code, code);
  }
  /* a top-level rule file that is a link out of the directory */
  put_in(rs, "x.lua", "-- fine\n");
  ck_assert_int_eq(symlink("../outside.lua", at(rs, "y.lua")), 0);
  ck_assert_int_eq(load(rs), RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(RS);
  need_diag(RULECORE_DIAG_RULESET_INVALID, "leaves the ruleset's directory");
  ck_assert_int_lt(find_diag(0, "escaped"), 0);
  /* a link that stays inside is fine */
  ck_assert_int_eq(unlink(at(rs, "y.lua")), 0);
  ck_assert_int_eq(symlink("lib/real.lua", at(rs, "inner.inc")), 0);
  put_in(rs, "x.lua", "decision \"five\" { type = \"int\", default = tostring(include 'inner.inc') }\n");
  load(rs);
  ck_assert_msg(L.status == RULECORE_OK, "%s", L.text);
  eval_all(NULL);
  assert_value("five", "5");
}
END_TEST

/* ======================================================================
 * allocation failures during a load
 * ====================================================================== */

/*
 * A counting allocator that fails the Nth allocation made by rulecore
 * (Lua's and jansson's through it included).  tree-sitter aborts when its
 * allocator returns NULL (its contract), so, as in check_syntax.c, an
 * allocation with a frame inside the tree-sitter runtime's shared object
 * is never failed.  Telling them apart takes a backtrace, which is slow
 * (under valgrind above all): the reference load records which
 * allocations are tree-sitter's (a load's allocations come in the same
 * order every time), and each failing load takes a backtrace only of the
 * allocation it fails, to be sure.
 */
#define WALK_MAX 8192

static struct {
  unsigned long calls;   /* allocation calls (not frees) so far */
  unsigned long fail_at; /* the call that fails (1-based); 0: none */
  bool record;           /* note each call's origin in from_ts */
  bool failed, spared;   /* fail_at was failed; it was tree-sitter's, so not */
  long live;             /* blocks allocated and not freed */
  bool from_ts[WALK_MAX + 1];
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
  void *frames[16];
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
  unsigned long k = ++fa.calls;
  if (fa.record && k <= WALK_MAX) fa.from_ts[k] = called_from_tree_sitter();
  if (k == fa.fail_at) {
    if (called_from_tree_sitter()) {
      fa.spared = true;
    } else {
      fa.failed = true;
      return NULL;
    }
  }
  void *q = realloc(p, n);
  if (q && !p) fa.live++;
  return q;
}

static void alloc_setup(void) {
  fixture_setup();
  void *frames[4];
  backtrace(frames, 4); /* loads the unwinder before the hook is in place */
  if (!ts_lib.found) dl_iterate_phdr(find_ts_lib, NULL);
}

/* One load of path under the failing allocator (fail_at 0: none), the
 * ruleset (when it loaded) evaluated and freed, everything before the
 * allocator is restored.  Its status, revision and diagnostics into L. */
static struct {
  rulecore_status status;
  bool got_rs;
  char revision[65];
  size_t decisions;
} A;

static void alloc_load(const char *path, unsigned long fail_at, bool record) {
  bool keep[WALK_MAX + 1];
  if (!record) memcpy(keep, fa.from_ts, sizeof keep);
  memset(&fa, 0, sizeof fa);
  if (!record) memcpy(fa.from_ts, keep, sizeof keep);
  memset(&A, 0, sizeof A);
  fa.fail_at = fail_at;
  fa.record = record;
  rulecore_set_allocator(failing_realloc, NULL);
  rulecore_ruleset *rs = NULL;
  rulecore_diagnostics *d = NULL;
  A.status = rulecore_ruleset_load(NULL, path, &rs, &d);
  memset(&L, 0, sizeof L);
  L.status = A.status;
  copy_diags(d);
  rulecore_diagnostics_free(d);
  A.got_rs = rs != NULL;
  if (rs) {
    snap_copy(A.revision, sizeof A.revision, rulecore_ruleset_revision(rs));
    A.decisions = rulecore_ruleset_decision_count(rs);
  }
  rulecore_ruleset_free(rs);
  rulecore_set_allocator(NULL, NULL);
  fa.record = false;
}

/* Every how many allocations the walk fails one: 1 (all of them), but
 * under valgrind, where a load is a hundred times slower, about a hundred
 * spread over the load (the plain and sanitizer builds walk them all);
 * $CHECK_ALLOC_STRIDE overrides. */
static unsigned long walk_stride(unsigned long total) {
  const char *e = getenv("CHECK_ALLOC_STRIDE");
  if (e && atol(e) > 0) return (unsigned long)atol(e);
  if (RUNNING_ON_VALGRIND) return total / 100 + 1;
  return 1;
}

/* Walk the allocations of loading path: each failing run gives
 * RULECORE_ERR_NOMEM and no ruleset, or the reference outcome; none leaks
 * a block.  The failure message names the first wrong allocation and how
 * many were wrong ("" when none).  *walked: how many runs failed one. */
static const char *alloc_walk(const char *path, unsigned long *walked) {
  static char why[1024];
  why[0] = '\0';
  *walked = 0;
  ck_assert_msg(ts_lib.found, "the tree-sitter runtime is not a shared library here: its allocations cannot be "
                              "told apart, so this test cannot run");
  /* a first load: the type checker's overload table, made once per
   * process, stays; the reference is the second */
  alloc_load(path, 0, false);
  alloc_load(path, 0, true);
  rulecore_status ref_status = A.status;
  char ref_rev[65];
  snprintf(ref_rev, sizeof ref_rev, "%s", A.revision);
  size_t ref_decisions = A.decisions, ref_count = L.count;
  static char ref_msgs[MAX_DIAGS][512];
  for (size_t i = 0; i < L.count && i < MAX_DIAGS; i++) snprintf(ref_msgs[i], sizeof ref_msgs[i], "%s", L.d[i].message);
  unsigned long total = fa.calls, bad = 0, eligible = 0;
  ck_assert_msg(fa.live == 0, "a load without failures leaks %ld blocks", fa.live);
  ck_assert_msg(total <= WALK_MAX, "%lu allocations: more than the walk records", total);
  for (unsigned long n = 1; n <= total; n++) eligible += !fa.from_ts[n];
  ck_assert_msg(eligible > 50, "only %lu allocations", eligible);
  unsigned long stride = walk_stride(eligible), seen = 0;
  bool verbose = getenv("CHECK_ALLOC_VERBOSE") != NULL;
  for (unsigned long n = 1; n <= total + 1; n++) {
    if (n <= total && fa.from_ts[n]) continue; /* tree-sitter's: never failed */
    if (n <= total && seen++ % stride != 0) continue;
    char wrong[700] = "";
    alloc_load(path, n, false);
    if (n <= total) ++*walked;
    if (fa.spared) {
      snprintf(wrong, sizeof wrong, "allocation %lu was tree-sitter's this time: the loads do not repeat", n);
    } else if (!fa.failed) {
      if (n != total + 1) snprintf(wrong, sizeof wrong, "allocation %lu was never made (of %lu)", n, total);
    } else if (fa.live != 0) {
      snprintf(wrong, sizeof wrong, "allocation %lu failing: %ld blocks leaked (status %d)", n, fa.live, A.status);
    } else if (A.status == RULECORE_ERR_NOMEM) {
      if (A.got_rs) snprintf(wrong, sizeof wrong, "allocation %lu failing: NOMEM, yet a ruleset", n);
    } else if (A.status != ref_status) { /* absorbed: then the outcome is the reference's */
      snprintf(wrong, sizeof wrong, "allocation %lu failing: status %d, expected %d or RULECORE_ERR_NOMEM (%.300s)", n,
               A.status, ref_status, L.count ? L.d[0].message : "no diagnostics");
    } else if (L.count != ref_count) {
      snprintf(wrong, sizeof wrong, "allocation %lu failing: %zu diagnostics, expected %zu (%.300s)", n, L.count,
               ref_count, L.count ? L.d[0].message : "");
    } else if (ref_status == RULECORE_OK && (strcmp(A.revision, ref_rev) != 0 || A.decisions != ref_decisions)) {
      snprintf(wrong, sizeof wrong, "allocation %lu failing: another ruleset", n);
    } else {
      for (size_t i = 0; i < L.count && i < MAX_DIAGS && !wrong[0]; i++)
        if (strcmp(L.d[i].message, ref_msgs[i]) != 0)
          snprintf(wrong, sizeof wrong, "allocation %lu failing: \"%.250s\", expected \"%.250s\"", n, L.d[i].message,
                   ref_msgs[i]);
    }
    if (wrong[0]) {
      if (!bad++) snprintf(why, sizeof why, "%s", wrong);
      if (verbose) fprintf(stderr, "%s\n", wrong);
    }
  }
  if (bad > 1) {
    size_t k = strlen(why);
    snprintf(why + k, sizeof why - k, " (and %lu more of %lu allocations tried wrong)", bad - 1, *walked);
  }
  if (verbose)
    fprintf(stderr, "%s: %lu allocations, %lu of them rulecore's, %lu failed one at a time\n", path, total, eligible,
            *walked);
  alloc_load(path, 0, false); /* leave A as the reference */
  return why;
}

START_TEST(test_alloc_failure_load) {
  put("a.lua", "schema { variables = { user = { age = \"int\" }, tags = \"list(string)\" } }\n"
               "local lib = include 'lib/k.lua'\n"
               "decision \"tier\" { type = \"string\", default = [['basic']],\n"
               "  rule \"gold\" { priority = 2, when = \"user.age > \" .. lib.age, value = [['gold']],\n"
               "    tags = { 'x' } },\n"
               "  rule \"kid\" { when = [[ user.age < 12 ]], value = [['kid']] } }\n"
               "decision \"n\" { type = \"int\", hit = \"collect\", aggregate = \"count\",\n"
               "  rule \"t\" { when = [[ 'vip' in tags ]] }, rule \"u\" { when = [[ tier == 'gold' ]] } }\n"
               "validation \"v\" { expr = [[ n < 2 ]], message = [['too many: ' + string(n)]] }\n"
               "test \"t\" { context = { user = { age = 70 }, tags = { 'vip' } },\n"
               "  expect = { tier = 'gold', n = 2 } }\n");
  put("lib/k.lua", "return { age = 60 }\n");
  unsigned long walked = 0;
  const char *why = alloc_walk(D, &walked);
  ck_assert_msg(!why[0], "%s", why);
  ck_assert_int_eq(A.status, RULECORE_OK);
  ck_assert_uint_gt(walked, 50);
}
END_TEST

START_TEST(test_alloc_failure_load_errors) {
  /* the error paths: a type error, a duplicate, a Lua error, a cycle, a
   * test that names nothing */
  put("a.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"a\" { type = \"int\", rule \"r\" { value = [[ x + 'one' ]] } }\n"
               "decision \"b\" { type = \"int\", default = [[ c ]] }\n"
               "decision \"c\" { type = \"int\", default = [[ b ]] }\n"
               "decision \"a\" { type = \"int\", hit = \"frist\" }\n"
               "test \"t\" { context = { x = 1 }, expect = { bb = 1 } }\n");
  put("b.lua", "error('stop')\n");
  unsigned long walked = 0;
  const char *why = alloc_walk(D, &walked);
  ck_assert_msg(!why[0], "%s", why);
  ck_assert_int_eq(A.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_gt(walked, 50);
}
END_TEST

START_TEST(test_alloc_failure_first) {
  /* the very first allocation failing: NOMEM, nothing returned */
  put("a.lua", "decision \"k\" { type = \"int\", default = \"1\" }\n");
  alloc_load(D, 1, false);
  ck_assert(fa.failed);
  ck_assert_int_eq(A.status, RULECORE_ERR_NOMEM);
  ck_assert(!A.got_rs);
  ck_assert_int_eq(fa.live, 0);
}
END_TEST

/* ======================================================================
 * evaluation allocates nothing once the decisions object has served
 * ====================================================================== */

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

static const char reuse_rules[] =
    "schema { variables = { user = { age = \"int\", name = \"string\" }, tags = \"list(string)\", d = \"int\" } }\n"
    "decision \"greeting\" { type = \"string\", default = [['hello ' + user.name]],\n"
    "  rule \"old\" { when = [[ user.age > 60 ]], value = [[ 'dear ' + user.name + '!' ]] } }\n"
    "decision \"labels\" { type = \"list(string)\", hit = \"collect\",\n"
    "  rule \"l1\" { when = [[ 'vip' in tags ]], value = [[ 'vip:' + user.name ]] },\n"
    "  rule \"l2\" { value = [[ greeting + '?' ]] },\n"
    "  rule \"l3\" { when = [[ size(tags) > 1 ]], value = [[ tags.map(t, t + t).join(',') ]] } }\n"
    "decision \"total\" { type = \"int\", hit = \"collect\", aggregate = \"sum\",\n"
    "  rule \"t1\" { value = [[ size(labels) ]] }, rule \"t2\" { value = [[ user.age ]] } }\n"
    "decision \"ratio\" { type = \"int\", rule \"r\" { value = [[ 100 / d ]] } }\n"
    "decision \"after\" { type = \"int\", default = [[ ratio + 1 ]] }\n"
    "validation \"young\" { expr = [[ user.age > 18 ]], message = [['too young: ' + string(user.age)]] }\n"
    "validation \"check\" { expr = [[ 10 / d > 1 ]] }\n";

START_TEST(test_reuse_no_allocation) {
  put("r.lua", reuse_rules);
  rulecore_set_allocator(counting_realloc, NULL);
  load(D);
  ck_assert_msg(L.status == RULECORE_OK, "%s", L.text);
  /* two contexts, filled once: one where everything succeeds, one with
   * errors and violations (messages made during evaluation) */
  rulecore_schema *s = rulecore_ruleset_schema(RS);
  rulecore_activation *good = rulecore_activation_new(s), *bad = rulecore_activation_new(s);
  ACT = good;
  static const char gj[] = "{\"user\": {\"age\": 70, \"name\": \"Ann\"}, \"tags\": [\"vip\", \"x\"], \"d\": 5}";
  static const char bj[] = "{\"user\": {\"age\": 12, \"name\": \"Bo\"}, \"tags\": [], \"d\": 0}";
  rulecore_status s1 = rulecore_activation_set_json(good, gj, strlen(gj), RULECORE_JSON_PLAIN, NULL);
  rulecore_status s2 = rulecore_activation_set_json(bad, bj, strlen(bj), RULECORE_JSON_PLAIN, NULL);
  OUT = rulecore_decisions_new();
  rulecore_status first = rulecore_ruleset_eval(RS, good, NULL, 0, OUT);
  size_t before = hook_calls;
  int wrong = 0;
  /* the same object, the same context, again and again */
  for (int k = 0; k < 20; k++) {
    wrong += rulecore_ruleset_eval(RS, good, NULL, 0, OUT) != RULECORE_OK;
    wrong += rulecore_decisions_outcome(OUT, 0) != RULECORE_OUTCOME_RULE;
  }
  size_t same = hook_calls - before;
  /* other contexts, named evaluations, errors and violations */
  const char *names[] = {"after"};
  before = hook_calls;
  for (int k = 0; k < 20; k++) {
    wrong += rulecore_ruleset_eval(RS, k % 2 ? bad : good, NULL, 0, OUT) != RULECORE_OK;
    wrong += rulecore_ruleset_eval(RS, bad, names, 1, OUT) != RULECORE_OK;
    wrong += rulecore_decisions_outcome(OUT, 4) != RULECORE_OUTCOME_ERROR;
  }
  size_t mixed = hook_calls - before;
  /* what the last full evaluation gave */
  wrong += rulecore_ruleset_eval(RS, bad, NULL, 0, OUT) != RULECORE_OK;
  size_t nviol = rulecore_decisions_violation_count(OUT);
  rulecore_activation_free(bad);
  rulecore_set_allocator(NULL, NULL);
  ck_assert_int_eq(s1, RULECORE_OK);
  ck_assert_int_eq(s2, RULECORE_OK);
  ck_assert_int_eq(first, RULECORE_OK);
  ck_assert_int_eq(wrong, 0);
  ck_assert_uint_eq(nviol, 2);
  ck_assert_msg(same == 0, "20 evaluations of the same context allocated %zu times", same);
  ck_assert_msg(mixed == 0, "evaluations of other contexts (errors, violations) allocated %zu times", mixed);
  eval_all(gj);
  assert_value("labels", "[\"vip:Ann\", \"dear Ann!?\", \"vipvip,xx\"]");
  assert_value("total", "73");
}
END_TEST

START_TEST(test_reuse_other_ruleset) {
  /* one decisions object serving two rulesets in turn: each result right,
   * and the object keeps the ruleset it last evaluated alive */
  put("a/a.lua", "decision \"k\" { type = \"string\", default = [['a']] }\n");
  put("b/b.lua", "decision \"other\" { type = \"int\", default = \"1\" }\n"
                 "decision \"k\" { type = \"string\", default = [['b']] }\n");
  rulecore_ruleset *a = NULL, *b = NULL;
  ck_assert_int_eq(rulecore_ruleset_load(NULL, IN("a"), &a, NULL), RULECORE_OK);
  RS = a;
  ck_assert_int_eq(rulecore_ruleset_load(NULL, IN("b"), &b, NULL), RULECORE_OK);
  OUT = rulecore_decisions_new();
  char got[4][64];
  for (int k = 0; k < 4; k++) {
    rulecore_ruleset *rs = k % 2 ? b : a;
    rulecore_status st = rulecore_ruleset_eval(rs, NULL, NULL, 0, OUT);
    int32_t i = rulecore_ruleset_decision_index(rs, "k");
    snprintf(got[k], sizeof got[k], "%d %s", (int)st,
             rulecore_result_string(rulecore_decisions_value(OUT, (size_t)i), NULL));
  }
  rulecore_ruleset_free(b); /* OUT still holds it */
  ck_assert_ptr_eq(rulecore_decisions_ruleset(OUT), b);
  ck_assert_uint_eq(rulecore_ruleset_decision_count(rulecore_decisions_ruleset(OUT)), 2);
  char *z = rulecore_decisions_render(OUT, RULECORE_FORMAT_TEXT);
  bool has = z && strstr(z, "k = \"b\"");
  rulecore_free(z);
  ck_assert(has);
  ck_assert_str_eq(got[0], "0 a");
  ck_assert_str_eq(got[1], "0 b");
  ck_assert_str_eq(got[2], "0 a");
  ck_assert_str_eq(got[3], "0 b");
}
END_TEST

/* ======================================================================
 * threads
 * ====================================================================== */

#define THREADS 4
#define ROUNDS 150

typedef struct worker {
  rulecore_ruleset *rs; /* the worker's reference: it frees it */
  int id;
  pthread_barrier_t *start;
  int evaluations;
  char why[256];
} worker;

static void *work(void *arg) {
  worker *w = arg;
  rulecore_decisions *out = rulecore_decisions_new();
  rulecore_activation *a = rulecore_activation_new(rulecore_ruleset_schema(w->rs));
  int32_t slot_x = rulecore_schema_slot(rulecore_ruleset_schema(w->rs), "x");
  int32_t price = rulecore_ruleset_decision_index(w->rs, "price");
  int32_t label = rulecore_ruleset_decision_index(w->rs, "label");
  int32_t bad = rulecore_ruleset_decision_index(w->rs, "bad");
  pthread_barrier_wait(w->start);
  if (!out || !a || slot_x < 0 || price < 0 || label < 0 || bad < 0) {
    snprintf(w->why, sizeof w->why, "thread %d: setup failed", w->id);
    goto done;
  }
  for (int k = 0; k < ROUNDS && !w->why[0]; k++) {
    int64_t x = w->id * 1000 + k;
    rulecore_activation_reset(a);
    if (rulecore_activation_set_int(a, slot_x, x) != RULECORE_OK ||
        rulecore_ruleset_eval(w->rs, a, NULL, 0, out) != RULECORE_OK) {
      snprintf(w->why, sizeof w->why, "thread %d: evaluation %d failed", w->id, k);
      break;
    }
    const rulecore_result *p = rulecore_decisions_value(out, (size_t)price);
    const rulecore_result *l = rulecore_decisions_value(out, (size_t)label);
    size_t n = 0;
    const char *s = l ? rulecore_result_string(l, &n) : NULL;
    char want[64];
    snprintf(want, sizeof want, "%s-%lld", x % 2 ? "odd" : "even", (long long)(x * 3));
    if (!p || rulecore_result_int(p) != x * 3 || !s || n != strlen(want) || memcmp(s, want, n) != 0 ||
        rulecore_decisions_outcome(out, (size_t)bad) != (x % 7 == 0 ? RULECORE_OUTCOME_ERROR : RULECORE_OUTCOME_RULE) ||
        rulecore_decisions_violation_count(out) != (x % 5 == 0 ? 1u : 0u)) {
      snprintf(w->why, sizeof w->why, "thread %d: x=%lld: price %lld, label %.*s (expected %s), bad %d, %zu violations",
               w->id, (long long)x, p ? (long long)rulecore_result_int(p) : -1LL, (int)n, s ? s : "", want,
               (int)rulecore_decisions_outcome(out, (size_t)bad), rulecore_decisions_violation_count(out));
      break;
    }
    w->evaluations++;
  }
done:
  rulecore_activation_free(a);
  rulecore_decisions_free(out);
  rulecore_ruleset_free(w->rs); /* the last of these frees the ruleset */
  return NULL;
}

START_TEST(test_threads) {
  put("t.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"price\" { type = \"int\", rule \"p\" { value = [[ x * 3 ]] } }\n"
               "decision \"label\" { type = \"string\",\n"
               "  rule \"odd\" { when = [[ x % 2 == 1 ]], value = [[ 'odd-' + string(price) ]] },\n"
               "  rule \"even\" { value = [[ 'even-' + string(price) ]] } }\n"
               "decision \"bad\" { type = \"int\", rule \"b\" { value = [[ 1 / (x % 7) ]] } }\n"
               "validation \"five\" { expr = [[ x % 5 != 0 ]], message = [['multiple of five: ' + string(x)]] }\n");
  rulecore_ruleset *rs = NULL;
  ck_assert_int_eq(rulecore_ruleset_load(NULL, D, &rs, NULL), RULECORE_OK);
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS + 1);
  worker w[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) {
    w[i] = (worker){.rs = rulecore_ruleset_ref(rs), .id = i, .start = &start};
    ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
  }
  /* the loading thread lets go first: the workers' references keep it */
  rulecore_ruleset_free(rs);
  pthread_barrier_wait(&start);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&start);
  for (int i = 0; i < THREADS; i++) {
    ck_assert_msg(!w[i].why[0], "%s", w[i].why);
    ck_assert_int_eq(w[i].evaluations, ROUNDS);
  }
}
END_TEST

/* One activation shared by every thread (read-only while they evaluate). */
typedef struct sharer {
  const rulecore_ruleset *rs;
  const rulecore_activation *a;
  int ok;
} sharer;

static void *share(void *arg) {
  sharer *s = arg;
  rulecore_decisions *out = rulecore_decisions_new();
  for (int k = 0; out && k < ROUNDS; k++) {
    if (rulecore_ruleset_eval(s->rs, s->a, NULL, 0, out) != RULECORE_OK) break;
    const rulecore_result *r = rulecore_decisions_value(out, 0);
    if (r && rulecore_result_int(r) == 126) s->ok++;
  }
  rulecore_decisions_free(out);
  return NULL;
}

/* Metrics: every thread counts into its own rulecore_decisions; renderings
 * taken while they run, and after some objects are freed, sum them all. */
typedef struct counter_thread {
  const rulecore_ruleset *rs;
  const rulecore_activation *a;
  bool keep; /* do not free the decisions: the main thread does, after rendering */
  rulecore_decisions *out;
  int done;
} counter_thread;

static void *count_work(void *arg) {
  counter_thread *c = arg;
  c->out = rulecore_decisions_new();
  for (int k = 0; c->out && k < ROUNDS; k++)
    if (rulecore_ruleset_eval(c->rs, c->a, NULL, 0, c->out) == RULECORE_OK) c->done++;
  if (!c->keep) {
    rulecore_decisions_free(c->out);
    c->out = NULL;
  }
  return NULL;
}

/* The value of the series line (exactly `series value`) in text, or -1. */
static long long series(const char *text, const char *name) {
  size_t n = strlen(name);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, name, n) == 0 && p[n] == ' ') return atoll(p + n + 1);
  return -1;
}

START_TEST(test_metrics_threads) {
  put("m.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"price\" { type = \"int\", rule \"p\" { when = [[ x > 10 ]], value = [[ x * 3 ]] },\n"
               "  rule \"never\" { when = [[ x < 0 ]], value = 0 } }\n"
               "decision \"bad\" { type = \"int\", rule \"b\" { value = [[ 1 / (x - 42) ]] } }\n"
               "decision \"both\" { type = \"int\", hit = \"unique\", rule \"u1\" { value = 1 }, rule \"u2\" { value = 2 } }\n"
               "validation \"small\" { expr = [[ x < 10 ]], message = [['x is ' + string(x)]] }\n");
  load_ok(D);
  char *z = rulecore_ruleset_metrics(RS); /* off: zeros */
  long long before = series(z, "rulecore_evaluations_total");
  rulecore_free(z);
  ck_assert_int_eq(before, 0);
  ck_assert_int_eq(rulecore_ruleset_enable_metrics(RS), RULECORE_OK);
  ck_assert_int_eq(rulecore_ruleset_enable_metrics(RS), RULECORE_OK); /* idempotent */
  ck_assert_int_eq(rulecore_ruleset_enable_metrics(NULL), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(rulecore_ruleset_metrics(NULL));
  eval_all("{\"x\": 42}");
  counter_thread c[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) {
    c[i] = (counter_thread){.rs = RS, .a = ACT, .keep = i % 2 == 0};
    ck_assert_int_eq(pthread_create(&t[i], NULL, count_work, &c[i]), 0);
  }
  long long seen = 0; /* renderings while they count: never going back */
  for (int k = 0; k < 20; k++) {
    z = rulecore_ruleset_metrics(RS);
    long long now = series(z, "rulecore_evaluations_total");
    rulecore_free(z);
    ck_assert_int_ge(now, seen);
    seen = now;
  }
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  long long want = 1 + (long long)THREADS * ROUNDS;
  static char text[65536];
  z = rulecore_ruleset_metrics(RS);
  snap_copy(text, sizeof text, z);
  rulecore_free(z);
  for (int i = 0; i < THREADS; i++) rulecore_decisions_free(c[i].out);
  for (int i = 0; i < THREADS; i++) ck_assert_int_eq(c[i].done, ROUNDS);
  ck_assert_int_eq(series(text, "rulecore_evaluations_total"), want);
  ck_assert_int_eq(series(text, "rulecore_rule_matches_total{decision=\"price\",rule=\"p\"}"), want);
  ck_assert_int_eq(series(text, "rulecore_rule_matches_total{decision=\"price\",rule=\"never\"}"), 0);
  ck_assert_int_eq(series(text, "rulecore_decision_outcomes_total{decision=\"bad\",outcome=\"error\"}"), want);
  ck_assert_int_eq(series(text, "rulecore_errors_total{kind=\"expression\"}"), want);
  ck_assert_int_eq(series(text, "rulecore_errors_total{kind=\"hit_policy\"}"), want);
  ck_assert_int_eq(series(text, "rulecore_validation_failures_total{validation=\"small\",severity=\"error\"}"), want);
  ck_assert_int_eq(series(text, "rulecore_evaluation_duration_seconds_count"), want);
  ck_assert_int_eq(series(text, "rulecore_evaluation_duration_seconds_bucket{le=\"+Inf\"}"), want);
  /* the main thread's object, still counting, and after it is freed */
  eval_all("{\"x\": 1}");
  rulecore_decisions_free(OUT);
  OUT = NULL;
  z = rulecore_ruleset_metrics(RS);
  snap_copy(text, sizeof text, z);
  rulecore_free(z);
  ck_assert_int_eq(series(text, "rulecore_evaluations_total"), want + 1);
  ck_assert_int_eq(series(text, "rulecore_decision_outcomes_total{decision=\"price\",outcome=\"no_match\"}"), 1);
}
END_TEST

#define ck_has(text, needle) ck_assert_msg(strstr((text), (needle)), "no \"%s\" in:\n%s", (needle), (text))

/* The decision log: a sink called once per evaluation, from every thread. */
typedef struct log_sink {
  pthread_mutex_t lock;
  int records;
  int with_input, with_digest;
  char last[4096];
} log_sink;

static void sink(void *user, const char *record, size_t len) {
  log_sink *l = user;
  pthread_mutex_lock(&l->lock);
  l->records++;
  l->with_input += strstr(record, "\"input\": {") != NULL;
  l->with_digest += strstr(record, "\"input_sha256\": \"") != NULL;
  snprintf(l->last, sizeof l->last, "%.*s", (int)len, record);
  pthread_mutex_unlock(&l->lock);
}

START_TEST(test_decision_log) {
  put("l.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"price\" { type = \"int\", rule \"p\" { when = [[ x > 10 ]], value = [[ x * 3 ]] } }\n"
               "validation \"small\" { expr = [[ x < 10 ]] }\n");
  load_ok(D);
  static log_sink LOGS;
  memset(&LOGS, 0, sizeof LOGS);
  pthread_mutex_init(&LOGS.lock, NULL);
  ck_assert_int_eq(rulecore_ruleset_set_log(NULL, sink, &LOGS, 0), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_ruleset_set_log(RS, sink, &LOGS, 0), RULECORE_OK);
  eval_all("{\"x\": 42}");
  char last[4096];
  snap_copy(last, sizeof last, LOGS.last);
  ck_assert_int_eq(LOGS.records, 1);
  ck_has(last, "\"input\": {\"x\": 42}");
  ck_has(last, "\"decisions\": {\"price\": {\"value\": 126, \"rule\": \"p\", \"outcome\": \"rule\"}}");
  ck_has(last, "\"violations\": [\"small\"]");
  ck_assert_ptr_null(strchr(last, '\n'));
  counter_thread c[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) {
    c[i] = (counter_thread){.rs = RS, .a = ACT};
    ck_assert_int_eq(pthread_create(&t[i], NULL, count_work, &c[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  ck_assert_int_eq(LOGS.records, 1 + THREADS * ROUNDS);
  ck_assert_int_eq(LOGS.with_input, 1 + THREADS * ROUNDS);
  /* the digest instead of the input */
  ck_assert_int_eq(rulecore_ruleset_set_log(RS, sink, &LOGS, RULECORE_LOG_INPUT_DIGEST), RULECORE_OK);
  eval_all("{\"x\": 42}");
  ck_assert_int_eq(LOGS.with_digest, 1);
  snap_copy(last, sizeof last, LOGS.last);
  ck_assert_ptr_null(strstr(last, "\"input\":"));
  /* no sink: no record */
  ck_assert_int_eq(rulecore_ruleset_set_log(RS, NULL, NULL, 0), RULECORE_OK);
  eval_all("{\"x\": 1}");
  ck_assert_int_eq(LOGS.records, 2 + THREADS * ROUNDS);
  /* the scratch directory is under /tmp, in no git work tree (or the one holding it) */
  const char *commit = rulecore_ruleset_commit(RS);
  ck_assert(commit == NULL || strlen(commit) == 40);
  ck_assert_ptr_null(rulecore_ruleset_commit(NULL));
  pthread_mutex_destroy(&LOGS.lock);
}
END_TEST

START_TEST(test_threads_shared_activation) {
  put("t.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"price\" { type = \"int\", rule \"p\" { value = [[ x * 3 ]] } }\n");
  load_ok(D);
  eval_all("{\"x\": 42}");
  sharer s[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) {
    s[i] = (sharer){RS, ACT, 0};
    ck_assert_int_eq(pthread_create(&t[i], NULL, share, &s[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < THREADS; i++) ck_assert_int_eq(s[i].ok, ROUNDS);
}
END_TEST

/* ======================================================================
 * the rule files' tests
 * ====================================================================== */

/* Run the test named name of RS: passed, and the report copied. */
static int run_test(const char *name, char *report, size_t cap) {
  if (!OUT) OUT = rulecore_decisions_new();
  size_t n = rulecore_ruleset_test_count(RS), i = 0;
  while (i < n && strcmp(rulecore_ruleset_test_name(RS, i), name) != 0) i++;
  ck_assert_msg(i < n, "no test '%s'", name);
  int passed = -1;
  char *z = (char *)&passed;
  rulecore_status st = rulecore_ruleset_test_run(RS, i, OUT, &passed, &z);
  snap_copy(report, cap, z);
  rulecore_free(z);
  ck_assert_int_eq(st, RULECORE_OK);
  return passed;
}

START_TEST(test_test_run_failing) {
  load_ok(src_path("t/rulesets/failing-tests"));
  ck_assert_uint_eq(rulecore_ruleset_test_count(RS), 4);
  char report[2048];
  ck_assert_int_eq(run_test("passes", report, sizeof report), 1);
  ck_assert_str_eq(report, "(null)");
  ck_assert_int_eq(run_test("wrong value", report, sizeof report), 0);
  ck_assert_msg(strstr(report, "discount: expected 0.1, got 0.15 (rule gold)"), "%s", report);
  ck_assert_int_eq(run_test("wrong rule", report, sizeof report), 0);
  ck_assert_msg(strstr(report, "rule of discount: expected gold, got 0.0 (default)"), "%s", report);
  ck_assert_int_eq(run_test("unexpected violation", report, sizeof report), 0);
  ck_assert_msg(strstr(report, "violations: expected [], got [no-discount-for-minors]") &&
                    strstr(report, "a minor gets 0.15"),
                "%s", report);
  /* out of range, NULL arguments */
  int passed = 7;
  char *z = (char *)&passed;
  ck_assert_int_eq(rulecore_ruleset_test_run(RS, 4, OUT, &passed, &z), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(passed, 0);
  ck_assert_ptr_null(z);
  ck_assert_int_eq(rulecore_ruleset_test_run(RS, 0, NULL, &passed, NULL), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_ruleset_test_run(RS, 1, OUT, NULL, NULL), RULECORE_OK);
}
END_TEST

START_TEST(test_test_run_pricing) {
  load_ok(src_path("t/rulesets/pricing"));
  char report[2048];
  ck_assert_uint_eq(rulecore_ruleset_test_count(RS), 2);
  ck_assert_msg(run_test("gold member", report, sizeof report) == 1, "%s", report);
  ck_assert_msg(run_test("gold minor", report, sizeof report) == 1, "%s", report);
  /* and every bundled ruleset's tests pass */
  load_ok(src_path("rules/architecture"));
  for (size_t i = 0; i < rulecore_ruleset_test_count(RS); i++) {
    char name[256];
    snap_copy(name, sizeof name, rulecore_ruleset_test_name(RS, i));
    ck_assert_msg(run_test(name, report, sizeof report) == 1, "%s: %s", name, report);
  }
}
END_TEST

START_TEST(test_test_run_inline) {
  /* expectations of every kind, some failing, in a ruleset of the test's */
  put("t.lua", "schema { variables = { x = \"int\", tags = \"list(string)\", m = \"dyn\" } }\n"
               "decision \"l\" { type = \"list(string)\", hit = \"collect\",\n"
               "  rule \"a\" { when = [[ x > 0 ]], value = [['a']] }, rule \"b\" { value = [['b']] } }\n"
               "decision \"none\" { type = \"int\", rule \"n\" { when = [[ x > 100 ]], value = 1 } }\n"
               "decision \"isnull\" { type = \"bool\", default = \"false\", rule \"isn\" { when = [[ m == null ]] } }\n"
               "validation \"pos\" { expr = [[ x > 0 ]], message = [['not positive']] }\n"
               "test \"ok\" { context = { x = 1, tags = {}, m = null }, expect = { l = { 'a', 'b' }, isnull = true },\n"
               "  rules = { l = 'a', isnull = 'isn' }, violations = {} }\n"
               "test \"bad\" { context = { x = 0, tags = { 'q' }, m = 1 }, expect = { l = { 'a', 'b' }, none = 1 },\n"
               "  violations = { 'pos' } }\n"
               "test \"viol\" { context = { x = 0, tags = {}, m = 1 }, violations = {} }\n");
  load_ok(D);
  char report[2048];
  ck_assert_msg(run_test("ok", report, sizeof report) == 1, "%s", report);
  ck_assert_int_eq(run_test("bad", report, sizeof report), 0);
  ck_assert_msg(strstr(report, "l: expected [\"a\", \"b\"], got [\"b\"]"), "%s", report);
  ck_assert_msg(strstr(report, "none: expected 1, got no value"), "%s", report);
  ck_assert_msg(!strstr(report, "violations"), "%s", report);
  ck_assert_int_eq(run_test("viol", report, sizeof report), 0);
  ck_assert_msg(strstr(report, "got [pos]") && strstr(report, "not positive"), "%s", report);
}
END_TEST

/* ======================================================================
 * revisions
 * ====================================================================== */

static bool is_hex64(const char *s) {
  if (!s || strlen(s) != 64) return false;
  for (size_t i = 0; i < 64; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  return true;
}

/* The revision of the ruleset at path into out[65]. */
static const char *revision_of(const char *path, char *out) {
  load(path);
  ck_assert_msg(L.status == RULECORE_OK, "%s: %s", path, L.text);
  snap_copy(out, 65, rulecore_ruleset_revision(RS));
  return out;
}

START_TEST(test_revision) {
  /* a copy of t/rulesets/pricing: the same files give the same revision */
  static const char *const files[] = {"pricing.lua", "pricing.schema.json", "order.json"};
  char *text[LEN(files)];
  for (size_t i = 0; i < LEN(files); i++) {
    char rel[256];
    snprintf(rel, sizeof rel, "t/rulesets/pricing/%s", files[i]);
    text[i] = slurp(src_path(rel), NULL);
    ck_assert_msg(text[i] != NULL, "cannot read %s", src_path(rel));
    put(files[i], text[i]);
  }
  char orig[65], copy[65], again[65], one[65], two[65], other[65];
  revision_of(src_path("t/rulesets/pricing"), orig);
  revision_of(D, copy);
  ck_assert_msg(is_hex64(orig), "revision %s", orig);
  ck_assert_str_eq(copy, orig);
  ck_assert_str_eq(revision_of(D, again), orig); /* stable */
  /* a file the load does not read changes nothing */
  put("order.json", "{}");
  ck_assert_str_eq(revision_of(D, again), orig);
  /* one byte of the rule file changed */
  char *changed = strdup(text[0]);
  char *p = strstr(changed, "0.15");
  ck_assert_ptr_nonnull(p);
  p[3] = '6'; /* 0.16 */
  put("pricing.lua", changed);
  revision_of(D, one);
  ck_assert_msg(is_hex64(one), "revision %s", one);
  ck_assert_str_ne(one, orig);
  /* changed back: the first revision again */
  put("pricing.lua", text[0]);
  ck_assert_str_eq(revision_of(D, again), orig);
  /* one byte of the schema (a file read through `schema`) */
  char *schema = strdup(text[1]);
  char *q = strchr(schema, '\n');
  ck_assert_ptr_nonnull(q);
  *q = ' ';
  put("pricing.schema.json", schema);
  revision_of(D, two);
  ck_assert_str_ne(two, orig);
  ck_assert_str_ne(two, one);
  /* the same bytes under another name */
  put("pricing.schema.json", text[1]);
  ck_assert_int_eq(rename(IN("pricing.lua"), IN("renamed.lua")), 0);
  ck_assert_str_ne(revision_of(D, other), orig);
  free(changed);
  free(schema);
  for (size_t i = 0; i < LEN(files); i++) free(text[i]);
}
END_TEST

/* ======================================================================
 * renderings
 * ====================================================================== */

/* ======================================================================
 * explaining (src/explain.c)
 * ====================================================================== */

static char XT[65536];

/* OUT's explanation in format, copied into XT (NULL: none). */
static const char *explained(rulecore_format format) {
  char *z = rulecore_decisions_explain(OUT, format, 0);
  if (!z) return NULL;
  snap_copy(XT, sizeof XT, z);
  rulecore_free(z);
  return XT;
}

#define assert_has(text, needle) ck_assert_msg(strstr((text), (needle)), "no \"%s\" in:\n%s", (needle), (text))

static const char explain_rules[] =
    "schema { types = { user = { tier = \"string\", age = \"int\" }, order = { amount = \"double\" },\n"
    "                   item = { qty = \"int\" } },\n"
    "         variables = { user = \"user\", order = \"order\", items = \"list(item)\" } }\n"
    "decision \"discount\" { type = \"double\", hit = \"first\", default = \"0.0\",\n"
    "  rule \"gold\"   { priority = 20, when = [[ user.tier == \"gold\" ]], value = \"0.15\" },\n"
    "  rule \"senior\" { priority = 10, when = [[ user.age >= 65 ]],      value = \"0.10\" } }\n"
    "decision \"shipping\" { type = \"string\", default = [['standard']],\n"
    "  rule \"free\" { when = [[ discount > 0.1 || order.amount > 200.0 ]], value = [['free']] } }\n"
    "decision \"bulk\" { type = \"bool\", default = \"false\",\n"
    "  rule \"many\" { when = [[ items.exists(i, i.qty > 5) ]] } }\n"
    "decision \"ratio\" { type = \"int\", hit = \"collect\", aggregate = \"sum\",\n"
    "  rule \"per-item\" { value = [[ 100 / size(items.filter(i, i.qty == 0)) ]] } }\n"
    "validation \"minor-discount\" { expr = [[ !(user.age < 18 && discount > 0.12) ]],\n"
    "  message = [[ 'discount ' + string(discount) + ' is not allowed for minors' ]] }\n";

static const char explain_ctx[] = "{\"user\": {\"tier\": \"gold\", \"age\": 30}, \"order\": {\"amount\": 50.0},"
                                  " \"items\": [{\"qty\": 1}, {\"qty\": 7}, {\"qty\": 3}]}";

START_TEST(test_explain_off) {
  put("r.lua", explain_rules);
  load_ok(D);
  eval_all(explain_ctx);
  ck_assert_ptr_null(explained(RULECORE_FORMAT_TEXT)); /* not asked for */
  ck_assert_ptr_null(rulecore_decisions_explain(NULL, RULECORE_FORMAT_TEXT, 0));
  ck_assert_int_eq(rulecore_decisions_set_explain(NULL, true), RULECORE_ERR_ARGUMENT);
  /* the rules tried are recorded by every evaluation */
  size_t d = dec("discount");
  ck_assert_uint_eq(rulecore_decisions_tried_count(OUT, d), 1);
  bool m = false;
  assert_text_eq(rulecore_decisions_tried(OUT, d, 0, &m), "gold");
  ck_assert(m);
  ck_assert_ptr_null(rulecore_decisions_tried(OUT, d, 1, &m));
  ck_assert(!m);
  d = dec("shipping");
  ck_assert_uint_eq(rulecore_decisions_tried_count(OUT, d), 1);
  ck_assert_uint_eq(rulecore_decisions_tried_count(OUT, 999), 0);
  eval_all("{\"user\": {\"tier\": \"silver\", \"age\": 30}, \"order\": {\"amount\": 50.0}, \"items\": []}");
  d = dec("discount");
  ck_assert_uint_eq(rulecore_decisions_tried_count(OUT, d), 2); /* both tried, neither matched */
  ck_assert_ptr_nonnull(rulecore_decisions_tried(OUT, d, 1, &m));
  ck_assert(!m);
}
END_TEST

START_TEST(test_explain_text) {
  put("r.lua", explain_rules);
  load_ok(D);
  eval_all(explain_ctx);
  OUT = OUT ? OUT : rulecore_decisions_new();
  ck_assert_int_eq(rulecore_decisions_set_explain(OUT, true), RULECORE_OK);
  eval_all(explain_ctx);
  const char *t = explained(RULECORE_FORMAT_TEXT);
  ck_assert_ptr_nonnull(t);
  static const char *const lines[] = {
      "discount (double, hit policy first) = 0.15   (rule gold)\n",
      "  rule gold (priority 20): matched\n",
      "      user.tier == \"gold\"  ->  \"gold\" == \"gold\"  ->  true\n",
      "    then: 0.15\n",
      "  not tried (the first match decides): senior\n",
      "shipping (string, hit policy first) = \"free\"   (rule free)\n",
      "      discount > 0.1 || order.amount > 200.0  ->  true || (not evaluated)  ->  true  (the left side decided)\n",
      "        discount > 0.1  ->  0.15 > 0.1  ->  true\n",
      "        order.amount > 200.0  ->  not evaluated\n",
      /* a comprehension's body: evaluated per element, the last value shown */
      "        i.qty > 5  ->  7 > 5  ->  true  (evaluated 2 times; the last shown)\n",
      "ratio (int, hit policy collect sum) = error: rule 'per-item': division by zero\n",
      "  rule per-item: error\n",
      "validations:\n",
      "  minor-discount (error): holds\n",
      "      !(user.age < 18 && discount > 0.12)  ->  !false  ->  true\n",
      "          user.age < 18  ->  30 < 18  ->  false\n",
      "          discount > 0.12  ->  not evaluated\n",
  };
  for (size_t i = 0; i < LEN(lines); i++) assert_has(t, lines[i]);
  /* the division's error, on the node that raised it */
  assert_has(t, "->  error: division by zero");
  /* no colour unless asked; colour when asked */
  ck_assert_ptr_null(strchr(t, '\033'));
  char *c = rulecore_decisions_explain(OUT, RULECORE_FORMAT_TEXT, RULECORE_EXPLAIN_COLOR);
  bool coloured = c && strstr(c, "\033[32m");
  rulecore_free(c);
  ck_assert(coloured);
  ck_assert_ptr_null(rulecore_decisions_explain(OUT, RULECORE_FORMAT_SEXP, 0));
  /* off again: no trace */
  rulecore_decisions_set_explain(OUT, false);
  eval_all(explain_ctx);
  ck_assert_ptr_null(explained(RULECORE_FORMAT_TEXT));
}
END_TEST

START_TEST(test_explain_json) {
  put("r.lua", explain_rules);
  load_ok(D);
  OUT = rulecore_decisions_new();
  rulecore_decisions_set_explain(OUT, true);
  eval_all("{\"user\": {\"tier\": \"silver\", \"age\": 15}, \"order\": {\"amount\": 250.0}, \"items\": []}");
  const char *j = explained(RULECORE_FORMAT_JSON);
  ck_assert_ptr_nonnull(j);
  static const char *const parts[] = {
      "{\"name\":\"discount\",\"type\":\"double\",\"hit\":\"first\",\"outcome\":\"default\",\"value\":\"0.0\","
      "\"rule\":\"default\",\"rules\":[{\"id\":\"gold\",\"priority\":20,\"status\":\"no match\",\"when\":[{\"expr\":"
      "\"user.tier == \\\"gold\\\"\",\"evaluated\":true,\"value\":\"false\",\"operands\":[\"\\\"silver\\\"\","
      "\"\\\"gold\\\"\"],\"parts\":[]}]}",
      "{\"id\":\"senior\",\"priority\":10,\"status\":\"no match\"",
      "\"default\":[{\"expr\":\"0.0\",\"evaluated\":true,\"value\":\"0.0\",\"parts\":[]}]",
      "\"decided_by\":\"right\"",
      "{\"name\":\"bulk\",\"type\":\"bool\",\"hit\":\"first\",\"outcome\":\"default\"",
      "{\"id\":\"minor-discount\",\"severity\":\"error\",\"status\":\"holds\"",
  };
  for (size_t i = 0; i < LEN(parts); i++) assert_has(j, parts[i]);
  char rev[120];
  snprintf(rev, sizeof rev, "{\"revision\":\"%s\",\"decisions\":[", rulecore_ruleset_revision(RS));
  ck_assert_msg(strncmp(j, rev, strlen(rev)) == 0, "%s", j);
}
END_TEST

/* Explaining changes no outcome: every bundled ruleset's renderings are
 * the same traced and not, on each of its example contexts. */
START_TEST(test_explain_same_outcomes) {
  static const char *const cases[][2] = {
      {"rules/architecture", "rules/architecture/examples/small.json"},
      {"rules/architecture", "rules/architecture/examples/medium.json"},
      {"rules/architecture", "rules/architecture/examples/large.json"},
      {"rules/architecture", "rules/architecture/examples/impossible-sla.json"},
      {"t/rulesets/pricing", "t/rulesets/pricing/order.json"},
  };
  for (size_t c = 0; c < LEN(cases); c++) {
    rulecore_ruleset_free(RS);
    RS = NULL;
    load_ok(src_path(cases[c][0]));
    size_t len = 0;
    char *json = slurp(src_path(cases[c][1]), &len);
    ck_assert_ptr_nonnull(json);
    static char plain[65536], traced[65536];
    rulecore_decisions_free(OUT);
    OUT = rulecore_decisions_new();
    rulecore_status st = eval_names(json, NULL, 0);
    char *z = rulecore_decisions_render(OUT, RULECORE_FORMAT_JSON);
    snap_copy(plain, sizeof plain, z);
    rulecore_free(z);
    rulecore_decisions_set_explain(OUT, true);
    rulecore_status st2 = eval_names(json, NULL, 0);
    free(json);
    z = rulecore_decisions_render(OUT, RULECORE_FORMAT_JSON);
    snap_copy(traced, sizeof traced, z);
    rulecore_free(z);
    ck_assert_int_eq(st, RULECORE_OK);
    ck_assert_int_eq(st2, RULECORE_OK);
    ck_assert_msg(strcmp(plain, traced) == 0, "%s on %s:\nplain  %s\ntraced %s", cases[c][0], cases[c][1], plain,
                  traced);
    ck_assert_ptr_nonnull(explained(RULECORE_FORMAT_TEXT));
    ck_assert_ptr_nonnull(explained(RULECORE_FORMAT_JSON));
  }
}
END_TEST

START_TEST(test_render) {
  put("r.lua", "schema { variables = { x = \"int\" } }\n"
               "decision \"price\" { type = \"double\", default = \"1.5\",\n"
               "  rule \"big\" { priority = 3, when = [[ x > 10 ]], value = 99.25 } }\n"
               "decision \"names\" { type = \"list(string)\", hit = \"collect\",\n"
               "  rule \"n1\" { value = [['ann']] }, rule \"n2\" { value = [['bo']] } }\n"
               "decision \"nothing\" { type = \"int\", rule \"never\" { when = [[ x < 0 ]], value = 1 } }\n"
               "decision \"broken\" { type = \"int\", rule \"div\" { value = [[ 1 / (x - x) ]] } }\n"
               "validation \"small\" { expr = [[ x < 5 ]], message = [['x is ' + string(x)]],\n"
               "  severity = \"warning\" }\n");
  load_ok(D);
  eval_all("{\"x\": 20}");
  char *text = rulecore_decisions_render(OUT, RULECORE_FORMAT_TEXT);
  char *json = rulecore_decisions_render(OUT, RULECORE_FORMAT_JSON);
  char t[8192], j[8192];
  snap_copy(t, sizeof t, text);
  snap_copy(j, sizeof j, json);
  rulecore_free(text);
  rulecore_free(json);
  ck_assert_ptr_null(rulecore_decisions_render(OUT, RULECORE_FORMAT_SEXP));
  static const char *const in_text[] = {
      "price = 99.25   (rule big, priority 3)\n",
      "names = [\"ann\", \"bo\"]   (rules n1, n2)\n",
      "nothing = (no rule matched, no default)\n",
      "broken = error: rule 'div': division by zero",
      "r.lua:7:",
      "validations: 1 failed\n",
      "  warning small: x is 20\n",
  };
  for (size_t i = 0; i < LEN(in_text); i++) ck_assert_msg(strstr(t, in_text[i]), "no \"%s\" in:\n%s", in_text[i], t);
  char rev[100];
  snprintf(rev, sizeof rev, "{\"revision\": \"%s\"", rulecore_ruleset_revision(RS));
  const char *in_json[] = {
      rev,
      "\"price\": {\"type\": \"double\", \"value\": {\"double\":99.25}, \"rule\": \"big\", \"matched\": [\"big\"], "
      "\"outcome\": \"rule\"}",
      "\"names\": {\"type\": \"list(string)\"",
      "\"matched\": [\"n1\", \"n2\"]",
      "\"nothing\": {\"type\": \"int\", \"value\": null, \"rule\": null, \"matched\": [], \"outcome\": \"no-match\"}",
      "\"outcome\": \"error\", \"error\": \"rule 'div': division by zero\"",
      "\"line\": 7",
      "\"violations\": [{\"id\": \"small\", \"message\": \"x is 20\", \"severity\": \"warning\"}]",
  };
  for (size_t i = 0; i < LEN(in_json); i++) ck_assert_msg(strstr(j, in_json[i]), "no '%s' in:\n%s", in_json[i], j);
  /* the default, and validations that hold */
  eval_all("{\"x\": 1}");
  text = rulecore_decisions_render(OUT, RULECORE_FORMAT_TEXT);
  json = rulecore_decisions_render(OUT, RULECORE_FORMAT_JSON);
  snap_copy(t, sizeof t, text);
  snap_copy(j, sizeof j, json);
  rulecore_free(text);
  rulecore_free(json);
  ck_assert_msg(strstr(t, "price = 1.5   (default)\n") && strstr(t, "validations: ok\n"), "%s", t);
  ck_assert_msg(strstr(j, "\"rule\": \"default\"") && strstr(j, "\"outcome\": \"default\"") &&
                    strstr(j, "\"violations\": []"),
                "%s", j);
  /* a decisions object that never evaluated renders nothing */
  rulecore_decisions *fresh = rulecore_decisions_new();
  char *none = rulecore_decisions_render(fresh, RULECORE_FORMAT_TEXT);
  rulecore_decisions_free(fresh);
  ck_assert_ptr_null(none);
}
END_TEST

static Suite *suite_ruleset(void) {
  Suite *s = suite_create("ruleset");
  TCase *tc;

  tc = tcase_create("rulecore_ruleset_load");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_load_directory);
  tcase_add_test(tc, test_load_directory_name_order);
  tcase_add_test(tc, test_load_single_file);
  tcase_add_test(tc, test_load_single_file_relative);
  tcase_add_test(tc, test_load_include);
  tcase_add_test(tc, test_load_include_cycle);
  tcase_add_test(tc, test_load_bundled);
  tcase_add_test(tc, test_load_missing);
  tcase_add_test(tc, test_load_empty_directory);
  tcase_add_test(tc, test_load_arguments);
  suite_add_tcase(s, tc);

  tc = tcase_create("diagnostics");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_diag_positions);
  tcase_add_test(tc, test_diag_generated_expression);
  tcase_add_test(tc, test_diag_all_errors_together);
  tcase_add_test(tc, test_diag_misuse);
  tcase_add_test(tc, test_diag_test_context_file);
  suite_add_tcase(s, tc);

  tc = tcase_create("order");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_order_priority);
  tcase_add_test(tc, test_order_first_stops);
  suite_add_tcase(s, tc);

  tc = tcase_create("hit_policies");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_hit_policies_match);
  tcase_add_test(tc, test_hit_policies_no_match);
  tcase_add_test(tc, test_hit_min_max_no_match);
  tcase_add_test(tc, test_value_types);
  suite_add_tcase(s, tc);

  tc = tcase_create("graph");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_graph_reads);
  tcase_add_test(tc, test_graph_named);
  tcase_add_test(tc, test_graph_failed_upstream);
  tcase_add_test(tc, test_graph_cycle);
  tcase_add_test(tc, test_graph_unknown_reference);
  tcase_add_test(tc, test_graph_shadowing);
  tcase_add_test(tc, test_graph_duplicates);
  suite_add_tcase(s, tc);

  tc = tcase_create("validations");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_validations);
  tcase_add_test(tc, test_runtime_errors);
  suite_add_tcase(s, tc);

  tc = tcase_create("sandbox");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_sandbox_globals);
  tcase_add_test(tc, test_sandbox_no_binary_chunks);
  tcase_add_test(tc, test_sandbox_instruction_limit);
  tcase_add_test(tc, test_sandbox_instruction_limit_pcall);
  tcase_add_test(tc, test_sandbox_memory_limit);
  tcase_add_test(tc, test_sandbox_memory_limit_pcall);
  tcase_add_test(tc, test_sandbox_lua_error);
  tcase_add_test(tc, test_sandbox_include_escape);
  suite_add_tcase(s, tc);

  /* The allocator hook is process-wide: each test sets it, and restores
   * the C library's before it asserts (the teardown again). */
  tc = tcase_create("rulecore_set_allocator");
  tcase_add_checked_fixture(tc, alloc_setup, fixture_teardown);
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_alloc_failure_load);
  tcase_add_test(tc, test_alloc_failure_load_errors);
  tcase_add_test(tc, test_alloc_failure_first);
  tcase_add_test(tc, test_reuse_no_allocation);
  tcase_add_test(tc, test_reuse_other_ruleset);
  suite_add_tcase(s, tc);

  tc = tcase_create("threads");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_threads);
  tcase_add_test(tc, test_threads_shared_activation);
  tcase_add_test(tc, test_metrics_threads);
  tcase_add_test(tc, test_decision_log);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_ruleset_test_run");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_test_run_failing);
  tcase_add_test(tc, test_test_run_pricing);
  tcase_add_test(tc, test_test_run_inline);
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_decisions_explain");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_explain_off);
  tcase_add_test(tc, test_explain_text);
  tcase_add_test(tc, test_explain_json);
  tcase_add_test(tc, test_explain_same_outcomes);
  suite_add_tcase(s, tc);

  tc = tcase_create("revision_render");
  tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_revision);
  tcase_add_test(tc, test_render);
  suite_add_tcase(s, tc);

  return s;
}

int main(void) {
  const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(BASE, sizeof BASE, "%s/check_ruleset.XXXXXX", tmp);
  if (!mkdtemp(BASE)) {
    fprintf(stderr, "check_ruleset: cannot make a directory in %s: %s\n", tmp, strerror(errno));
    return EXIT_FAILURE;
  }
  int status = check_main(suite_ruleset());
  rm_tree(BASE);
  return status;
}
