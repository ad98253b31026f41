/*
 * fuzz_ruleset: libFuzzer target for the ruleset loader: the sandboxed Lua
 * host (the declaration functions, include, quote, null, the literal lexer
 * that positions diagnostics), the builder (schemas, hit policies, the
 * decision graph, tests), and, for every input that loads, evaluating
 * every decision with an empty activation, rendering the outcome and
 * running every test.
 *
 * Build: ./configure CC=clang --enable-fuzzer && make fuzz/fuzz_ruleset
 * Run:   scripts/fuzz [SECONDS] ruleset
 *
 * Each input is written as the one rules file (rules.lua) of a temporary
 * ruleset directory made once per process.  So that mutations of the
 * flagship ruleset's files find what they name, the directory also holds
 * copies of rules/architecture/architecture.schema.json, lib/figures.lua
 * and examples/ (from RULECORE_SRCDIR, set by fuzz/local.mk).  Loads run
 * under tight limits (8 MiB of Lua memory, a million instructions) and
 * evaluations under a cost limit, so no input can hang the fuzzer or run
 * it out of memory.  Any crash, leak or sanitizer report is a finding.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rulecore.h"

#ifndef RULECORE_SRCDIR
#error "RULECORE_SRCDIR must name the source tree (set in fuzz/local.mk)"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096];        /* the ruleset directory */
static char rules_path[4200]; /* dir/rules.lua, rewritten by every run */

static void die(const char *what, const char *path) {
  fprintf(stderr, "fuzz_ruleset: %s %s: %s\n", what, path, strerror(errno));
  abort();
}

static void write_file(const char *path, const void *data, size_t size) {
  FILE *fp = fopen(path, "wb");
  if (!fp) die("cannot create", path);
  if ((size && fwrite(data, 1, size, fp) != size) || fclose(fp) != 0) die("cannot write", path);
}

static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  if (!in) die("cannot read", from);
  FILE *out = fopen(to, "wb");
  if (!out) die("cannot create", to);
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
    if (fwrite(chunk, 1, n, out) != n) die("cannot write", to);
  if (ferror(in)) die("cannot read", from);
  fclose(in);
  if (fclose(out) != 0) die("cannot write", to);
}

static void make_dir(const char *path) {
  if (mkdir(path, 0700) != 0 && errno != EEXIST) die("cannot create", path);
}

/* Remove the directory and what initialisation and the runs put there. */
static void cleanup(void) {
  char p[4400];
  static const char *const files[] = {"rules.lua", "architecture.schema.json", "lib/figures.lua"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
  snprintf(p, sizeof p, "%s/examples", dir);
  DIR *dp = opendir(p);
  if (dp) {
    struct dirent *e;
    while ((e = readdir(dp))) {
      if (e->d_name[0] == '.') continue;
      snprintf(p, sizeof p, "%s/examples/%s", dir, e->d_name);
      unlink(p);
    }
    closedir(dp);
  }
  snprintf(p, sizeof p, "%s/examples", dir);
  rmdir(p);
  snprintf(p, sizeof p, "%s/lib", dir);
  rmdir(p);
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/rulecore-fuzz-ruleset-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) die("cannot create", dir);
  atexit(cleanup);
  snprintf(rules_path, sizeof rules_path, "%s/rules.lua", dir);

  const char *src = RULECORE_SRCDIR "/rules/architecture";
  char from[4400], to[4400];
  snprintf(from, sizeof from, "%s/architecture.schema.json", src);
  snprintf(to, sizeof to, "%s/architecture.schema.json", dir);
  copy_file(from, to);
  snprintf(to, sizeof to, "%s/lib", dir);
  make_dir(to);
  snprintf(from, sizeof from, "%s/lib/figures.lua", src);
  snprintf(to, sizeof to, "%s/lib/figures.lua", dir);
  copy_file(from, to);
  snprintf(to, sizeof to, "%s/examples", dir);
  make_dir(to);
  snprintf(from, sizeof from, "%s/examples", src);
  DIR *dp = opendir(from);
  if (!dp) die("cannot read", from);
  struct dirent *e;
  while ((e = readdir(dp))) {
    if (e->d_name[0] == '.') continue;
    snprintf(from, sizeof from, "%s/examples/%s", src, e->d_name);
    snprintf(to, sizeof to, "%s/examples/%s", dir, e->d_name);
    copy_file(from, to);
  }
  closedir(dp);
  return 0;
}

/* Render a string-returning call's result; NULL (out of memory aside) is
 * a finding. */
static void owned(char *s) {
  if (!s) abort();
  rulecore_free(s);
}

/* Read back everything the loaded ruleset describes. */
static void inspect(const rulecore_ruleset *rs) {
  if (!rulecore_ruleset_schema(rs)) abort();
  const char *rev = rulecore_ruleset_revision(rs);
  if (!rev || strlen(rev) != 64) abort();
  size_t nd = rulecore_ruleset_decision_count(rs);
  for (size_t i = 0; i < nd; i++) {
    const char *name = rulecore_ruleset_decision_name(rs, i);
    if (!name || rulecore_ruleset_decision_index(rs, name) != (int32_t)i) abort();
    if (!rulecore_ruleset_decision_type(rs, i) || !rulecore_ruleset_decision_hit_policy(rs, i)) abort();
    (void)rulecore_ruleset_decision_description(rs, i);
    for (size_t k = 0; k < rulecore_ruleset_decision_input_count(rs, i); k++)
      if (rulecore_ruleset_decision_input(rs, i, k) >= nd) abort();
    for (size_t r = 0; r < rulecore_ruleset_rule_count(rs, i); r++) {
      if (!rulecore_ruleset_rule_id(rs, i, r)) abort();
      (void)rulecore_ruleset_rule_priority(rs, i, r);
      (void)rulecore_ruleset_rule_description(rs, i, r);
      (void)rulecore_ruleset_rule_condition(rs, i, r);
      for (size_t t = 0; t < rulecore_ruleset_rule_tag_count(rs, i, r); t++)
        if (!rulecore_ruleset_rule_tag(rs, i, r, t)) abort();
      uint32_t line = 0;
      (void)rulecore_ruleset_rule_file(rs, i, r, &line);
    }
  }
  for (size_t v = 0; v < rulecore_ruleset_validation_count(rs); v++) {
    if (!rulecore_ruleset_validation_id(rs, v)) abort();
    (void)rulecore_ruleset_validation_severity(rs, v);
  }
}

/* Evaluate every decision with every variable absent, and render it. */
static void evaluate(const rulecore_ruleset *rs, rulecore_decisions *out) {
  rulecore_status st = rulecore_ruleset_eval(rs, NULL, NULL, 0, out);
  if (st == RULECORE_ERR_NOMEM) return;
  if (st != RULECORE_OK) abort();
  if (rulecore_decisions_ruleset(out) != rs) abort();
  for (size_t i = 0; i < rulecore_ruleset_decision_count(rs); i++) {
    rulecore_outcome oc = rulecore_decisions_outcome(out, i);
    const rulecore_result *r = rulecore_decisions_value(out, i);
    if (oc == RULECORE_OUTCOME_NOT_EVALUATED) abort(); /* every decision was asked for */
    if ((oc == RULECORE_OUTCOME_NO_MATCH) != (r == NULL)) abort();
    if (r) {
      owned(rulecore_result_render(r, RULECORE_FORMAT_TEXT));
      owned(rulecore_result_render(r, RULECORE_FORMAT_JSON));
      owned(rulecore_result_render(r, RULECORE_FORMAT_TYPED_JSON));
    }
    (void)rulecore_decisions_error_file(out, i);
    (void)rulecore_decisions_rule(out, i);
    for (size_t k = 0; k < rulecore_decisions_matched_count(out, i); k++)
      if (!rulecore_decisions_matched(out, i, k)) abort();
  }
  for (size_t k = 0; k < rulecore_decisions_violation_count(out); k++) {
    if (!rulecore_decisions_violation_id(out, k) || !rulecore_decisions_violation_message(out, k)) abort();
    (void)rulecore_decisions_violation_severity(out, k);
  }
  owned(rulecore_decisions_render(out, RULECORE_FORMAT_TEXT));
  owned(rulecore_decisions_render(out, RULECORE_FORMAT_JSON));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  write_file(rules_path, data, size);
  rulecore_env *env = rulecore_env_new();
  if (!env) return 0;
  rulecore_env_set_limit(env, RULECORE_LIMIT_LOAD_MEMORY, 8u << 20);
  rulecore_env_set_limit(env, RULECORE_LIMIT_LOAD_INSTRUCTIONS, 1000000);
  rulecore_env_set_limit(env, RULECORE_LIMIT_EVAL_COST, 1000000);
  rulecore_ruleset *rs = NULL;
  rulecore_diagnostics *diags = NULL;
  rulecore_status st = rulecore_ruleset_load(env, dir, &rs, &diags);
  if (st == RULECORE_OK) {
    if (!rs) abort();
    inspect(rs);
    rulecore_decisions *out = rulecore_decisions_new();
    if (out) {
      evaluate(rs, out);
      for (size_t t = 0; t < rulecore_ruleset_test_count(rs); t++) {
        if (!rulecore_ruleset_test_name(rs, t)) abort();
        int passed = -1;
        char *report = NULL;
        rulecore_status ts = rulecore_ruleset_test_run(rs, t, out, &passed, &report);
        if (ts != RULECORE_OK && ts != RULECORE_ERR_NOMEM) abort();
        if (ts == RULECORE_OK && passed != 0 && passed != 1) abort();
        rulecore_free(report);
      }
      /* the scratch served the tests: evaluating again must still work */
      evaluate(rs, out);
      rulecore_decisions_free(out);
    }
  } else if (st == RULECORE_ERR_SOURCE) {
    /* a load that fails keeps nothing and says why */
    if (rs || rulecore_diagnostics_error_count(diags) == 0) abort();
  } else if (st != RULECORE_ERR_NOMEM) {
    abort(); /* the directory is there: no I/O error, no bad argument */
  }
  if (rulecore_diagnostics_count(diags)) {
    owned(rulecore_diagnostics_render(diags, RULECORE_FORMAT_TEXT));
    owned(rulecore_diagnostics_render(diags, RULECORE_FORMAT_JSON));
  }
  rulecore_diagnostics_free(diags);
  rulecore_ruleset_free(rs);
  rulecore_env_free(env);
  return 0;
}
