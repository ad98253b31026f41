/*
 * rulec_diff.c: `rulec diff OLD NEW --cases FILE|DIR [--format text|json]
 * [--fail-on-change]`: what a change to a ruleset does to recorded
 * traffic before it is deployed.
 *
 * Every case (a line of a JSON Lines file: a plain context, or a record of
 * the decision log, whose "input" is the context) is evaluated against
 * both versions; per decision the report counts the cases whose value or
 * outcome changed, grouped by transition (old value and rule -> new value
 * and rule), with a few example cases; per validation, the cases where it
 * now fails or now holds.  A version is a path, or PATH@GITREV read from
 * git (git archive into a scratch directory; the work tree is not
 * touched).  Over the public header only.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "rulecore.h"
#include "rulec.h"

#define EXAMPLES 3

typedef struct version {
  const char *spec;    /* as given */
  char path[4096];     /* what was loaded */
  char tmp[64];        /* a scratch directory to remove, or "" */
  rulecore_ruleset *rs;
  rulecore_activation *act;
  rulecore_decisions *out;
} version;

typedef struct transition {
  size_t decision; /* in the old version */
  char *from, *to; /* "VALUE (rule R)" */
  size_t count;
  char *examples[EXAMPLES];
} transition;

typedef struct vchange {
  char *id;
  size_t now_failing, now_holding;
  char *examples[EXAMPLES];
} vchange;

typedef struct differ {
  version old, new;
  size_t cases, changed_cases, bad;
  size_t *changed; /* per old decision: cases changed */
  transition *tr;
  size_t ntr, captr;
  vchange *vc;
  size_t nvc;
} differ;

static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char p[8192];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      struct stat st;
      if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
      else unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

/* Resolve v->spec: PATH, or PATH@REV extracted from git into v->tmp. */
static bool version_path(version *v) {
  const char *at = strrchr(v->spec, '@');
  struct stat st;
  if (!at || stat(v->spec, &st) == 0) {
    snprintf(v->path, sizeof v->path, "%s", v->spec);
    return true;
  }
  char path[4096], dir[4096];
  snprintf(path, sizeof path, "%.*s", (int)(at - v->spec), v->spec);
  const char *rev = at + 1;
  bool file = stat(path, &st) == 0 ? !S_ISDIR(st.st_mode) : strlen(path) > 4 && !strcmp(path + strlen(path) - 4, ".lua");
  const char *base = "";
  snprintf(dir, sizeof dir, "%s", path);
  if (file) {
    char *slash = strrchr(dir, '/');
    base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
  }
  const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  if (snprintf(v->tmp, sizeof v->tmp, "%s/rulec-diff-XXXXXX", tmpdir) >= (int)sizeof v->tmp)
    snprintf(v->tmp, sizeof v->tmp, "/tmp/rulec-diff-XXXXXX");
  if (!mkdtemp(v->tmp)) {
    fprintf(stderr, "rulec: diff: cannot make a scratch directory: %s\n", strerror(errno));
    v->tmp[0] = '\0';
    return false;
  }
  /* the directory's tree at REV, whatever the work tree holds */
  pid_t pid = fork();
  if (pid == 0) {
    execlp("sh", "sh", "-c",
           "cd \"$1\" && prefix=$(git rev-parse --show-prefix) && cd \"$(git rev-parse --show-toplevel)\" && "
           "git archive --format=tar \"$2:$prefix\" | tar -x -C \"$3\"",
           "sh", dir, rev, v->tmp, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "rulec: diff: cannot read %s at %s from git (is it in a git work tree, and %s a revision?)\n",
            path, rev, rev);
    return false;
  }
  snprintf(v->path, sizeof v->path, "%s%s%s", v->tmp, file ? "/" : "", base);
  return true;
}

static bool version_load(version *v) {
  if (!version_path(v)) return false;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_ruleset_load(NULL, v->path, &v->rs, &d);
  if (rulecore_diagnostics_count(d)) rulec_print_owned(stderr, rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT));
  rulecore_diagnostics_free(d);
  if (st != RULECORE_OK) {
    fprintf(stderr, "rulec: diff: %s does not load\n", v->spec);
    return false;
  }
  v->act = rulecore_activation_new(rulecore_ruleset_schema(v->rs));
  v->out = rulecore_decisions_new();
  return v->act && v->out;
}

static void version_free(version *v) {
  rulecore_decisions_free(v->out);
  rulecore_activation_free(v->act);
  rulecore_ruleset_free(v->rs);
  if (v->tmp[0]) remove_tree(v->tmp);
}

/* Decision i of v's last evaluation as "VALUE (rule R)", malloc'ed. */
static char *outcome_text(const version *v, size_t i) {
  rulecore_outcome oc = rulecore_decisions_outcome(v->out, i);
  const rulecore_result *r = rulecore_decisions_value(v->out, i);
  char *value = NULL;
  const char *what = NULL;
  if (oc == RULECORE_OUTCOME_NOT_EVALUATED) what = "(not evaluated)";
  else if (oc == RULECORE_OUTCOME_NO_MATCH) what = "(no rule matched, no default)";
  else if (oc == RULECORE_OUTCOME_ERROR) what = "error";
  else value = rulecore_result_render(r, RULECORE_FORMAT_TEXT);
  const char *rule = rulecore_decisions_rule(v->out, i);
  const char *msg = oc == RULECORE_OUTCOME_ERROR && r ? rulecore_result_error(r, NULL, NULL) : NULL;
  size_t n = (value ? strlen(value) : strlen(what)) + (rule ? strlen(rule) : 0) + (msg ? strlen(msg) : 0) + 32;
  char *z = malloc(n);
  if (z) {
    if (msg) snprintf(z, n, "error: %s", msg);
    else if (value && rule && strcmp(rule, "default")) snprintf(z, n, "%s (rule %s)", value, rule);
    else if (value) snprintf(z, n, "%s (%s)", value, rule ? rule : "no rule");
    else snprintf(z, n, "%s", what);
  }
  rulecore_free(value);
  return z;
}

static void add_example(char **examples, const char *where) {
  for (int k = 0; k < EXAMPLES; k++)
    if (!examples[k]) {
      examples[k] = strdup(where);
      return;
    }
}

static bool violated(const version *v, const char *id) {
  for (size_t k = 0; k < rulecore_decisions_violation_count(v->out); k++)
    if (!strcmp(rulecore_decisions_violation_id(v->out, k), id)) return true;
  return false;
}

/* One case: the context text (NUL-terminated), and where it came from. */
static void diff_case(differ *D, const char *json, size_t len, const char *where) {
  version *vs[2] = {&D->old, &D->new};
  for (int k = 0; k < 2; k++) {
    rulecore_activation_reset(vs[k]->act);
    rulecore_diagnostics *d = NULL;
    rulecore_status st = rulecore_activation_set_json(vs[k]->act, json, len, RULECORE_JSON_PLAIN, &d);
    if (st != RULECORE_OK) {
      fprintf(stderr, "%s:%u: error: %s (%s; case skipped)\n", where, rulecore_diagnostics_column(d, 0),
              rulecore_diagnostics_message(d, 0) ? rulecore_diagnostics_message(d, 0) : rulecore_status_message(st),
              k ? "new version" : "old version");
      rulecore_diagnostics_free(d);
      D->bad++;
      return;
    }
    rulecore_diagnostics_free(d);
    if (rulecore_ruleset_eval(vs[k]->rs, vs[k]->act, NULL, 0, vs[k]->out) != RULECORE_OK) {
      fprintf(stderr, "%s: error: the evaluation failed (case skipped)\n", where);
      D->bad++;
      return;
    }
  }
  D->cases++;
  bool any = false;
  for (size_t i = 0; i < rulecore_ruleset_decision_count(D->old.rs); i++) {
    int32_t j = rulecore_ruleset_decision_index(D->new.rs, rulecore_ruleset_decision_name(D->old.rs, i));
    if (j < 0) continue;
    char *from = outcome_text(&D->old, i), *to = outcome_text(&D->new, (size_t)j);
    if (from && to && strcmp(from, to) != 0) {
      any = true;
      D->changed[i]++;
      transition *t = NULL;
      for (size_t k = 0; k < D->ntr && !t; k++)
        if (D->tr[k].decision == i && !strcmp(D->tr[k].from, from) && !strcmp(D->tr[k].to, to)) t = &D->tr[k];
      if (!t && D->ntr == D->captr) {
        size_t cap = D->captr ? D->captr * 2 : 16;
        transition *g = realloc(D->tr, cap * sizeof *g);
        if (g) D->tr = g, D->captr = cap;
      }
      if (!t && D->ntr < D->captr) {
        t = &D->tr[D->ntr++];
        *t = (transition){.decision = i, .from = from, .to = to};
        from = to = NULL;
      }
      if (t) {
        t->count++;
        add_example(t->examples, where);
      }
    }
    free(from);
    free(to);
  }
  for (size_t k = 0; k < D->nvc; k++) {
    bool was = violated(&D->old, D->vc[k].id), is = violated(&D->new, D->vc[k].id);
    if (was == is) continue;
    any = true;
    if (is) D->vc[k].now_failing++;
    else D->vc[k].now_holding++;
    add_example(D->vc[k].examples, where);
  }
  D->changed_cases += any;
}

/* The cases of one JSON Lines file. */
static bool diff_file(differ *D, const char *path) {
  FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
  if (!f) {
    fprintf(stderr, "rulec: diff: cannot read cases '%s': %s\n", path, strerror(errno));
    return false;
  }
  char *line = NULL, where[4200];
  size_t cap = 0, lineno = 0;
  ssize_t len;
  while ((len = rulec_case_line(f, &line, &cap, &lineno)) >= 0) {
    snprintf(where, sizeof where, "%s:%zu", path, lineno);
    /* a decision-log record: its input is the context */
    json_t *doc = strstr(line, "\"input\"") ? json_loadb(line, (size_t)len, 0, NULL) : NULL;
    json_t *input = json_is_object(doc) && json_object_get(doc, "decisions") ? json_object_get(doc, "input") : NULL;
    char *ctx = json_is_object(input) ? json_dumps(input, JSON_COMPACT) : NULL;
    if (ctx) diff_case(D, ctx, strlen(ctx), where);
    else diff_case(D, line, (size_t)len, where);
    free(ctx);
    json_decref(doc);
  }
  free(line);
  if (f != stdin) fclose(f);
  return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A directory: its *.jsonl files in name order. */
static bool diff_cases(differ *D, const char *path) {
  struct stat st;
  if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (!d) return false;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      size_t l = strlen(e->d_name);
      if (l > 6 && !strcmp(e->d_name + l - 6, ".jsonl")) {
        char **g = realloc(names, (n + 1) * sizeof *g);
        if (!g) break;
        names = g;
        names[n++] = strdup(e->d_name);
      }
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
      char p[8192];
      snprintf(p, sizeof p, "%s/%s", path, names[i]);
      ok &= diff_file(D, p);
      free(names[i]);
    }
    free(names);
    return ok;
  }
  return diff_file(D, path);
}

static json_t *examples_json(char *const *examples) {
  json_t *a = json_array();
  for (int k = 0; k < EXAMPLES && examples[k]; k++) json_array_append_new(a, json_string(examples[k]));
  return a;
}

static void report_json(const differ *D) {
  const rulecore_ruleset *o = D->old.rs, *n = D->new.rs;
  json_t *doc = json_pack("{s:{s:s,s:s},s:{s:s,s:s},s:I,s:I,s:I}", "old", "path", D->old.spec, "revision",
                          rulecore_ruleset_revision(o), "new", "path", D->new.spec, "revision",
                          rulecore_ruleset_revision(n), "cases", (json_int_t)D->cases, "changed_cases",
                          (json_int_t)D->changed_cases, "skipped", (json_int_t)D->bad);
  json_t *decs = json_array(), *added = json_array(), *removed = json_array(), *vals = json_array();
  for (size_t i = 0; i < rulecore_ruleset_decision_count(o); i++) {
    const char *name = rulecore_ruleset_decision_name(o, i);
    if (rulecore_ruleset_decision_index(n, name) < 0) {
      json_array_append_new(removed, json_string(name));
      continue;
    }
    json_t *trs = json_array();
    for (size_t k = 0; k < D->ntr; k++) {
      const transition *t = &D->tr[k];
      if (t->decision != i) continue;
      json_array_append_new(trs, json_pack("{s:s,s:s,s:I,s:o}", "from", t->from, "to", t->to, "count",
                                           (json_int_t)t->count, "examples", examples_json(t->examples)));
    }
    json_array_append_new(decs, json_pack("{s:s,s:I,s:o}", "name", name, "changed", (json_int_t)D->changed[i],
                                          "transitions", trs));
  }
  for (size_t j = 0; j < rulecore_ruleset_decision_count(n); j++) {
    const char *name = rulecore_ruleset_decision_name(n, j);
    if (rulecore_ruleset_decision_index(o, name) < 0) json_array_append_new(added, json_string(name));
  }
  for (size_t k = 0; k < D->nvc; k++)
    json_array_append_new(vals, json_pack("{s:s,s:I,s:I,s:o}", "id", D->vc[k].id, "now_failing",
                                          (json_int_t)D->vc[k].now_failing, "now_holding",
                                          (json_int_t)D->vc[k].now_holding, "examples",
                                          examples_json(D->vc[k].examples)));
  json_object_set_new(doc, "decisions", decs);
  json_object_set_new(doc, "added", added);
  json_object_set_new(doc, "removed", removed);
  json_object_set_new(doc, "validations", vals);
  char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  if (text) printf("%s\n", text);
  free(text);
  json_decref(doc);
}

static void report_text(const differ *D) {
  const rulecore_ruleset *o = D->old.rs, *n = D->new.rs;
  printf("%s (%.12s) -> %s (%.12s): %zu cases, %zu changed", D->old.spec, rulecore_ruleset_revision(o), D->new.spec,
         rulecore_ruleset_revision(n), D->cases, D->changed_cases);
  if (D->bad) printf(", %zu skipped", D->bad);
  printf("\n");
  bool unchanged_any = false;
  for (size_t i = 0; i < rulecore_ruleset_decision_count(o); i++) {
    const char *name = rulecore_ruleset_decision_name(o, i);
    if (rulecore_ruleset_decision_index(n, name) < 0) {
      printf("%s: removed\n", name);
      continue;
    }
    if (!D->changed[i]) continue;
    printf("%s: %zu of %zu cases changed\n", name, D->changed[i], D->cases);
    for (size_t k = 0; k < D->ntr; k++) {
      const transition *t = &D->tr[k];
      if (t->decision != i) continue;
      printf("  %s -> %s: %zu case%s, e.g.", t->from, t->to, t->count, t->count == 1 ? "" : "s");
      for (int e = 0; e < EXAMPLES && t->examples[e]; e++) printf("%s %s", e ? "," : "", t->examples[e]);
      printf("\n");
    }
  }
  for (size_t j = 0; j < rulecore_ruleset_decision_count(n); j++) {
    const char *name = rulecore_ruleset_decision_name(n, j);
    if (rulecore_ruleset_decision_index(o, name) < 0) printf("%s: added\n", name);
  }
  for (size_t k = 0; k < D->nvc; k++) {
    const vchange *v = &D->vc[k];
    if (!v->now_failing && !v->now_holding) continue;
    printf("validation %s: now fails in %zu case%s, now holds in %zu, e.g.", v->id, v->now_failing,
           v->now_failing == 1 ? "" : "s", v->now_holding);
    for (int e = 0; e < EXAMPLES && v->examples[e]; e++) printf("%s %s", e ? "," : "", v->examples[e]);
    printf("\n");
  }
  printf("unchanged:");
  for (size_t i = 0; i < rulecore_ruleset_decision_count(o); i++)
    if (!D->changed[i] && rulecore_ruleset_decision_index(n, rulecore_ruleset_decision_name(o, i)) >= 0) {
      printf(" %s", rulecore_ruleset_decision_name(o, i));
      unchanged_any = true;
    }
  printf("%s\n", unchanged_any ? "" : " (none)");
}

int rulec_diff(int argc, char **argv) {
  const char *specs[2] = {NULL, NULL}, *cases = NULL;
  bool json = false, fail_on_change = false;
  int nspecs = 0;
  for (int i = 1; i < argc; i++) {
    const char *value = NULL;
    if (rulec_option(argc, argv, &i, "--cases", &value)) {
      if (!value) return rulec_usage_error("option --cases needs a JSON Lines file or a directory of them%s", "");
      cases = value;
    } else if (rulec_option(argc, argv, &i, "--format", &value)) {
      if (!value || (strcmp(value, "json") && strcmp(value, "text")))
        return rulec_usage_error("option --format needs text or json%s", "");
      json = !strcmp(value, "json");
    } else if (!strcmp(argv[i], "--fail-on-change")) {
      fail_on_change = true;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return rulec_usage_error("unknown option '%s'", argv[i]);
    } else if (nspecs < 2) {
      specs[nspecs++] = argv[i];
    } else {
      return rulec_usage_error("diff takes two rulesets, not '%s' too", argv[i]);
    }
  }
  if (nspecs < 2) return rulec_usage_error("diff needs two rulesets: OLD NEW (PATH or PATH@GITREV)%s", "");
  if (!cases) return rulec_usage_error("diff needs --cases FILE.jsonl (or a directory of them)%s", "");
  differ D = {.old = {.spec = specs[0]}, .new = {.spec = specs[1]}};
  int exit_code = 0;
  if (!version_load(&D.old) || !version_load(&D.new)) {
    exit_code = 2;
  } else {
    D.changed = calloc(rulecore_ruleset_decision_count(D.old.rs) + 1, sizeof *D.changed);
    size_t nv = rulecore_ruleset_validation_count(D.old.rs) + rulecore_ruleset_validation_count(D.new.rs);
    D.vc = calloc(nv + 1, sizeof *D.vc);
    /* the validations of either version, by id */
    for (int k = 0; D.vc && k < 2; k++) {
      const rulecore_ruleset *rs = k ? D.new.rs : D.old.rs;
      for (size_t v = 0; v < rulecore_ruleset_validation_count(rs); v++) {
        const char *id = rulecore_ruleset_validation_id(rs, v);
        bool seen = false;
        for (size_t j = 0; j < D.nvc && !seen; j++) seen = !strcmp(D.vc[j].id, id);
        if (!seen) D.vc[D.nvc++].id = strdup(id);
      }
    }
    if (!D.changed || !D.vc) exit_code = rulec_fail(RULECORE_ERR_NOMEM);
    else if (!diff_cases(&D, cases)) exit_code = 2;
    if (!exit_code) {
      if (json) report_json(&D);
      else report_text(&D);
      if (fail_on_change && D.changed_cases) exit_code = 1;
    }
  }
  for (size_t k = 0; k < D.ntr; k++) {
    free(D.tr[k].from);
    free(D.tr[k].to);
    for (int e = 0; e < EXAMPLES; e++) free(D.tr[k].examples[e]);
  }
  free(D.tr);
  for (size_t k = 0; k < D.nvc; k++) {
    free(D.vc[k].id);
    for (int e = 0; e < EXAMPLES; e++) free(D.vc[k].examples[e]);
  }
  free(D.vc);
  free(D.changed);
  version_free(&D.old);
  version_free(&D.new);
  return exit_code;
}
