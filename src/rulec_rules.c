/*
 * rulec_rules.c: rulec's ruleset commands, over the public header only:
 *   rulec check PATH... [--format text|json]
 *   rulec eval PATH --ctx FILE [--decision NAME]... [--explain] [--metrics FILE] [--log FILE] [--format text|json]
 *   rulec eval PATH --cases FILE.jsonl [--decision NAME]... [--metrics FILE] [--log FILE]
 *   rulec test PATH...
 *   rulec watch PATH --ctx FILE [--decision NAME]... [--metrics HOST:PORT] [--log FILE] [--format text|json]
 * A PATH is a ruleset: a directory of rule files, or one .lua file.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "rulecore.h"
#include "rulec.h"

bool rulec_is_ruleset(const char *path) {
  struct stat st;
  size_t n = strlen(path);
  if (stat(path, &st) != 0) {
    /* a path that does not exist, to report as one: "x.lua", "dir/",
     * or "dir/missing" where dir is a directory */
    if ((n > 4 && strcmp(path + n - 4, ".lua") == 0) || (n && path[n - 1] == '/')) return true;
    const char *slash = strchr(path, '/');
    if (!slash || slash == path || strpbrk(path, " ()+*<>=!&|\"'[]{}?:,")) return false;
    char dir[4096];
    if ((size_t)(slash - path) >= sizeof dir) return false;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
  }
  if (S_ISDIR(st.st_mode)) return true;
  return S_ISREG(st.st_mode) && n > 4 && strcmp(path + n - 4, ".lua") == 0;
}

typedef struct rules_opts {
  const char **paths;
  int npaths;
  const char *ctx;
  const char **decisions;
  int ndecisions;
  bool json;
  bool explain;
  const char *cases;   /* eval: a JSON Lines file of contexts ("-": stdin) */
  const char *log;     /* eval, watch: the decision log, JSON Lines appended to this file */
  const char *metrics; /* eval: a file for the metrics ("-": stdout, instead of the outcome); watch: HOST:PORT */
} rules_opts;

static int parse_opts(int argc, char **argv, rules_opts *o, bool eval_opts) {
  o->paths = calloc((size_t)argc, sizeof *o->paths);
  o->decisions = calloc((size_t)argc, sizeof *o->decisions);
  if (!o->paths || !o->decisions) return rulec_fail(RULECORE_ERR_NOMEM);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *value = NULL;
    if (rulec_option(argc, argv, &i, "--format", &value)) {
      if (!value || (strcmp(value, "json") != 0 && strcmp(value, "text") != 0))
        return rulec_usage_error("option --format needs text or json%s", "");
      o->json = strcmp(value, "json") == 0;
    } else if (eval_opts && rulec_option(argc, argv, &i, "--ctx", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a file name", a);
      o->ctx = value;
    } else if (eval_opts && rulec_option(argc, argv, &i, "--decision", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a decision name", a);
      o->decisions[o->ndecisions++] = value;
    } else if (eval_opts && rulec_option(argc, argv, &i, "--cases", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a JSON Lines file (- for standard input)", a);
      o->cases = value;
    } else if (eval_opts && rulec_option(argc, argv, &i, "--log", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a file for the decision log", a);
      o->log = value;
    } else if (eval_opts && rulec_option(argc, argv, &i, "--metrics", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a file (eval) or HOST:PORT (watch)", a);
      o->metrics = value;
    } else if (eval_opts && strcmp(a, "--explain") == 0) {
      o->explain = true;
    } else if (a[0] == '-' && a[1]) {
      return rulec_usage_error("unknown option '%s'", a);
    } else {
      o->paths[o->npaths++] = a;
    }
  }
  if (o->npaths == 0) return rulec_usage_error("missing ruleset (a directory of rule files, or a .lua file)%s", "");
  if (eval_opts && o->npaths > 1) return rulec_usage_error("eval takes one ruleset, not '%s' too", o->paths[1]);
  return 0;
}

static void free_opts(rules_opts *o) {
  free(o->paths);
  free(o->decisions);
}

/* Load the ruleset at path, printing its diagnostics (text on stderr;
 * JSON on stdout when json).  NULL with *exit_code set when it fails. */
static rulecore_ruleset *load(const char *path, bool json, int *exit_code) {
  rulecore_ruleset *rs = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_ruleset_load(NULL, path, &rs, &d);
  if (json) {
    char *text = rulecore_diagnostics_render(d, RULECORE_FORMAT_JSON);
    printf("{\"path\": \"%s\", \"ok\": %s, \"revision\": %s%s%s, \"diagnostics\": %s}\n", path,
           st == RULECORE_OK ? "true" : "false", rs ? "\"" : "", rs ? rulecore_ruleset_revision(rs) : "null",
           rs ? "\"" : "", text ? text : "null");
    rulecore_free(text);
  } else if (rulecore_diagnostics_count(d)) {
    rulec_print_owned(stderr, rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT));
  }
  rulecore_diagnostics_free(d);
  if (st != RULECORE_OK) *exit_code = st == RULECORE_ERR_SOURCE || st == RULECORE_ERR_IO ? 1 : rulec_fail(st);
  return rs;
}

int rulec_rules_check(int argc, char **argv) {
  rules_opts o = {0};
  int rc = parse_opts(argc, argv, &o, false);
  if (rc) {
    free_opts(&o);
    return rc;
  }
  int exit_code = 0;
  for (int i = 0; i < o.npaths; i++) {
    int one = 0;
    rulecore_ruleset *rs = load(o.paths[i], o.json, &one);
    if (one > exit_code) exit_code = one;
    if (rs && !o.json) {
      size_t nd = rulecore_ruleset_decision_count(rs), nr = 0;
      for (size_t k = 0; k < nd; k++) nr += rulecore_ruleset_rule_count(rs, k);
      printf("%s: ok: %zu decisions, %zu rules, %zu validations, %zu tests (revision %.12s)\n", o.paths[i], nd, nr,
             rulecore_ruleset_validation_count(rs), rulecore_ruleset_test_count(rs), rulecore_ruleset_revision(rs));
    }
    rulecore_ruleset_free(rs);
  }
  free_opts(&o);
  return exit_code;
}

/* The decision log's sink: one record per line, appended to a file. */
typedef struct log_file {
  FILE *f;
  pthread_mutex_t lock;
} log_file;

static void log_line(void *user, const char *record, size_t len) {
  log_file *l = user;
  pthread_mutex_lock(&l->lock);
  fwrite(record, 1, len, l->f);
  fputc('\n', l->f);
  pthread_mutex_unlock(&l->lock);
}

/* Open o->log for appending into l; false after saying why. */
static bool log_open(const rules_opts *o, log_file *l) {
  l->f = fopen(o->log, "a");
  if (!l->f) {
    fprintf(stderr, "rulec: cannot write the decision log '%s': %s\n", o->log, strerror(errno));
    return false;
  }
  pthread_mutex_init(&l->lock, NULL);
  return true;
}

static bool log_close(log_file *l) {
  if (!l->f) return true;
  bool ok = fclose(l->f) == 0;
  pthread_mutex_destroy(&l->lock);
  l->f = NULL;
  return ok;
}

/* Whether out (an evaluation of rs) makes rulec exit 1: a decision
 * failed, or a validation of severity error does not hold. */
static bool decisions_fail(const rulecore_ruleset *rs, const rulecore_decisions *out) {
  for (size_t i = 0; i < rulecore_ruleset_decision_count(rs); i++)
    if (rulecore_decisions_outcome(out, i) == RULECORE_OUTCOME_ERROR) return true;
  for (size_t k = 0; k < rulecore_decisions_violation_count(out); k++)
    if (rulecore_decisions_violation_severity(out, k) == RULECORE_SEVERITY_ERROR) return true;
  return false;
}

/* Write rs's metrics to o->metrics ("-": stdout); false when it cannot. */
static bool write_metrics(const rules_opts *o, const rulecore_ruleset *rs) {
  bool to_stdout = strcmp(o->metrics, "-") == 0;
  FILE *f = to_stdout ? stdout : fopen(o->metrics, "w");
  if (!f) {
    fprintf(stderr, "rulec: %s: %s\n", o->metrics, strerror(errno));
    return false;
  }
  bool ok = rulec_print_owned(f, rulecore_ruleset_metrics(rs)) != 0;
  if (!to_stdout && fclose(f) != 0) ok = false;
  return ok;
}

/* rulec eval --cases: each line of the file a context, each result one
 * line of JSON ({"line": N, then rulec eval's object}); a line that does
 * not read is reported on stderr with its number and skipped.  Exit 1
 * when any line was bad, a decision failed or a validation of severity
 * error failed; the counts on stderr at the end. */
static int eval_cases(const rules_opts *o, rulecore_ruleset *rs) {
  bool from_stdin = strcmp(o->cases, "-") == 0;
  FILE *in = from_stdin ? stdin : fopen(o->cases, "r");
  if (!in) {
    fprintf(stderr, "rulec: cannot read cases '%s': %s\n", o->cases, strerror(errno));
    return 2;
  }
  const char *name = from_stdin ? "<stdin>" : o->cases;
  rulecore_activation *act = rulecore_activation_new(rulecore_ruleset_schema(rs));
  rulecore_decisions *out = rulecore_decisions_new();
  int exit_code = act && out ? 0 : rulec_fail(RULECORE_ERR_NOMEM);
  char *line = NULL;
  size_t cap = 0, lineno = 0, done = 0, bad = 0, failing = 0;
  ssize_t len;
  static char obuf[1 << 16];
  setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
  while (!exit_code && (len = rulec_case_line(in, &line, &cap, &lineno)) >= 0) {
    rulecore_activation_reset(act);
    rulecore_diagnostics *d = NULL;
    rulecore_status st = rulecore_activation_set_json(act, line, (size_t)len, RULECORE_JSON_PLAIN, &d);
    if (st != RULECORE_OK) {
      if (st == RULECORE_ERR_NOMEM) exit_code = rulec_fail(st);
      fprintf(stderr, "%s:%zu:%u: error: %s (line skipped)\n", name, lineno, rulecore_diagnostics_column(d, 0),
              rulecore_diagnostics_message(d, 0) ? rulecore_diagnostics_message(d, 0) : rulecore_status_message(st));
      rulecore_diagnostics_free(d);
      bad++;
      continue;
    }
    rulecore_diagnostics_free(d);
    st = rulecore_ruleset_eval(rs, act, o->ndecisions ? o->decisions : NULL, (size_t)o->ndecisions, out);
    if (st != RULECORE_OK) {
      exit_code = rulec_fail(st);
      break;
    }
    char *text = rulecore_decisions_render(out, RULECORE_FORMAT_JSON);
    if (!text) {
      exit_code = rulec_fail(RULECORE_ERR_NOMEM);
      break;
    }
    printf("{\"line\": %zu, %s", lineno, text + 1); /* the object's own "{" dropped; it ends in "}\n" */
    rulecore_free(text);
    done++;
    failing += decisions_fail(rs, out);
  }
  fflush(stdout);
  if (ferror(in)) {
    fprintf(stderr, "rulec: reading '%s': %s\n", name, strerror(errno));
    exit_code = 2;
  }
  free(line);
  if (!from_stdin) fclose(in);
  rulecore_decisions_free(out); /* its counts join the ruleset's */
  rulecore_activation_free(act);
  fprintf(stderr, "%s: %zu cases evaluated, %zu failing, %zu lines skipped\n", name, done, failing, bad);
  if (!exit_code && (bad || failing)) exit_code = 1;
  if (o->metrics && !write_metrics(o, rs) && !exit_code) exit_code = 2;
  return exit_code;
}

int rulec_rules_eval(int argc, char **argv) {
  rules_opts o = {0};
  int rc = parse_opts(argc, argv, &o, true);
  if (rc) {
    free_opts(&o);
    return rc;
  }
  if (o.cases) {
    if (o.ctx || o.explain) {
      free_opts(&o);
      return rulec_usage_error("--cases reads every context from its file: not with %s", o.ctx ? "--ctx" : "--explain");
    }
    int exit_code = 0;
    rulecore_ruleset *rs = load(o.paths[0], false, &exit_code);
    for (int k = 0; rs && !exit_code && k < o.ndecisions; k++)
      if (rulecore_ruleset_decision_index(rs, o.decisions[k]) < 0) {
        fprintf(stderr, "%s: error: the ruleset has no decision '%s'\n", o.paths[0], o.decisions[k]);
        exit_code = 1;
      }
    if (rs && !exit_code && o.metrics && rulecore_ruleset_enable_metrics(rs) != RULECORE_OK)
      exit_code = rulec_fail(RULECORE_ERR_NOMEM);
    log_file lf = {0};
    if (rs && !exit_code && o.log) {
      if (!log_open(&o, &lf)) exit_code = 2;
      else if (rulecore_ruleset_set_log(rs, log_line, &lf, 0) != RULECORE_OK) exit_code = rulec_fail(RULECORE_ERR_NOMEM);
    }
    if (rs && !exit_code) exit_code = eval_cases(&o, rs);
    rulecore_ruleset_free(rs);
    if (!log_close(&lf) && !exit_code) exit_code = 2;
    free_opts(&o);
    return exit_code;
  }
  int exit_code = 0;
  rulecore_ruleset *rs = load(o.paths[0], false, &exit_code);
  rulecore_activation *act = NULL;
  rulecore_decisions *out = NULL;
  if (rs) {
    act = rulec_context(rulecore_ruleset_schema(rs), o.ctx, o.json ? RULECORE_FORMAT_JSON : RULECORE_FORMAT_TEXT,
                        &exit_code);
  }
  for (int k = 0; act && k < o.ndecisions; k++)
    if (rulecore_ruleset_decision_index(rs, o.decisions[k]) < 0) {
      fprintf(stderr, "%s: error: the ruleset has no decision '%s'\n", o.paths[0], o.decisions[k]);
      exit_code = 1;
    }
  if (act && !exit_code && o.metrics && rulecore_ruleset_enable_metrics(rs) != RULECORE_OK)
    exit_code = rulec_fail(RULECORE_ERR_NOMEM);
  log_file lf = {0};
  if (act && !exit_code && o.log) {
    if (!log_open(&o, &lf)) exit_code = 2;
    else if (rulecore_ruleset_set_log(rs, log_line, &lf, 0) != RULECORE_OK) exit_code = rulec_fail(RULECORE_ERR_NOMEM);
  }
  if (act && !exit_code) {
    out = rulecore_decisions_new();
    if (out && o.explain) rulecore_decisions_set_explain(out, true);
    rulecore_status st = out ? rulecore_ruleset_eval(rs, act, o.ndecisions ? o.decisions : NULL, (size_t)o.ndecisions, out)
                             : RULECORE_ERR_NOMEM;
    rulecore_format fmt = o.json ? RULECORE_FORMAT_JSON : RULECORE_FORMAT_TEXT;
    if (st != RULECORE_OK) {
      exit_code = rulec_fail(st);
    } else {
      /* colour only on a terminal, and not when NO_COLOR is set (no-color.org) */
      unsigned flags = !o.json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR") ? RULECORE_EXPLAIN_COLOR : 0;
      bool to_stdout = o.metrics && strcmp(o.metrics, "-") == 0;
      if (!to_stdout && !rulec_print_owned(stdout, o.explain ? rulecore_decisions_explain(out, fmt, flags)
                                                             : rulecore_decisions_render(out, fmt)))
        exit_code = 2;
      if (!exit_code && decisions_fail(rs, out)) exit_code = 1;
      if (o.metrics) {
        rulecore_decisions_free(out); /* its counts join the ruleset's */
        out = NULL;
        if (!write_metrics(&o, rs) && exit_code != 2) exit_code = 2;
      }
    }
  }
  rulecore_decisions_free(out);
  rulecore_activation_free(act);
  rulecore_ruleset_free(rs);
  if (!log_close(&lf) && !exit_code) exit_code = 2;
  free_opts(&o);
  return exit_code;
}

int rulec_rules_test(int argc, char **argv) {
  rules_opts o = {0};
  int rc = parse_opts(argc, argv, &o, false);
  if (rc) {
    free_opts(&o);
    return rc;
  }
  int exit_code = 0;
  size_t passed = 0, failed = 0;
  rulecore_decisions *out = rulecore_decisions_new();
  if (!out) exit_code = rulec_fail(RULECORE_ERR_NOMEM);
  for (int i = 0; out && i < o.npaths; i++) {
    if (o.npaths > 1) printf("== %s\n", o.paths[i]);
    int one = 0;
    rulecore_ruleset *rs = load(o.paths[i], false, &one);
    if (!rs) {
      printf("FAIL %s: the ruleset does not load\n", o.paths[i]);
      failed++;
      if (one > exit_code) exit_code = one;
      continue;
    }
    size_t n = rulecore_ruleset_test_count(rs);
    if (n == 0) printf("%s: no tests\n", o.paths[i]);
    for (size_t k = 0; k < n; k++) {
      int ok = 0;
      char *report = NULL;
      rulecore_status st = rulecore_ruleset_test_run(rs, k, out, &ok, &report);
      if (st != RULECORE_OK) {
        printf("FAIL %s: %s\n", rulecore_ruleset_test_name(rs, k), rulecore_status_message(st));
        ok = 0;
      } else {
        printf("%s %s\n", ok ? "PASS" : "FAIL", rulecore_ruleset_test_name(rs, k));
        if (report) fputs(report, stdout);
      }
      rulecore_free(report);
      if (ok)
        passed++;
      else
        failed++;
    }
    rulecore_ruleset_free(rs);
  }
  printf("%zu passed, %zu failed\n", passed, failed);
  if (failed && !exit_code) exit_code = 1;
  rulecore_decisions_free(out);
  free_opts(&o);
  return exit_code;
}

/* ---- rulec watch ---- */

typedef struct watching {
  rules_opts *o;
  rulecore_watch *w;
  pthread_mutex_t out_lock; /* the first evaluation and the callback's */
} watching;

/* Evaluate the version serving now and print it: "[rev R]" and the
 * decisions ("[rev R unchanged]" after a reload that found the same
 * files), or with --format json the object rulec eval prints, one line. */
static void watch_show(watching *wt, bool unchanged) {
  rules_opts *o = wt->o;
  const rulecore_ruleset *rs = rulecore_watch_acquire(wt->w);
  int exit_code = 0;
  rulecore_activation *act = rulec_context(rulecore_ruleset_schema(rs), o->ctx,
                                           o->json ? RULECORE_FORMAT_JSON : RULECORE_FORMAT_TEXT, &exit_code);
  for (int k = 0; act && k < o->ndecisions; k++)
    if (rulecore_ruleset_decision_index(rs, o->decisions[k]) < 0) {
      if (o->json)
        printf("{\"revision\": \"%s\", \"error\": \"the ruleset has no decision '%s'\"}\n", rulecore_ruleset_revision(rs),
               o->decisions[k]);
      else
        printf("[rev %.7s] error: the ruleset has no decision '%s'\n", rulecore_ruleset_revision(rs), o->decisions[k]);
      exit_code = 1;
    }
  if (act && !exit_code) {
    rulecore_decisions *out = rulecore_decisions_new();
    rulecore_status st = out ? rulecore_ruleset_eval(rs, act, o->ndecisions ? o->decisions : NULL,
                                                     (size_t)o->ndecisions, out)
                             : RULECORE_ERR_NOMEM;
    if (st != RULECORE_OK) {
      rulec_fail(st);
    } else if (o->json) {
      char *text = rulecore_decisions_render(out, RULECORE_FORMAT_JSON);
      /* one line per attempt */
      size_t len = text ? strlen(text) : 0;
      while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) text[--len] = '\0';
      for (char *c = text; c && *c; c++)
        if (*c == '\n') *c = ' ';
      if (text) printf("%s\n", text);
      rulecore_free(text);
    } else {
      printf("[rev %.7s%s]\n", rulecore_ruleset_revision(rs), unchanged ? " unchanged" : "");
      rulec_print_owned(stdout, rulecore_decisions_render(out, RULECORE_FORMAT_TEXT));
    }
    rulecore_decisions_free(out); /* before the release: it held a reference of its own */
  }
  rulecore_activation_free(act);
  rulecore_watch_release(wt->w, rs);
  fflush(stdout);
  fflush(stderr);
}

static char *watch_metrics(void *w) { return rulecore_watch_metrics(w); }

static void watch_reloaded(void *user, rulecore_reload_outcome outcome, const char *revision,
                           const rulecore_diagnostics *d) {
  watching *wt = user;
  pthread_mutex_lock(&wt->out_lock);
  if (outcome == RULECORE_RELOAD_FAILED) {
    size_t n = rulecore_diagnostics_error_count(d);
    if (wt->o->json) {
      /* the rendering's list of diagnostics, on one line */
      char *text = rulecore_diagnostics_render(d, RULECORE_FORMAT_JSON);
      json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
      char *list = doc ? json_dumps(json_object_get(doc, "diagnostics"), JSON_COMPACT) : NULL;
      printf("{\"kept\": \"%s\", \"diagnostics\": %s}\n", revision, list ? list : "[]");
      free(list);
      json_decref(doc);
      rulecore_free(text);
    } else {
      rulec_print_owned(stdout, rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT));
      printf("[rev %.7s kept: reload failed, %zu error%s]\n", revision, n ? n : 1, n == 1 || !n ? "" : "s");
    }
    fflush(stdout);
  } else {
    watch_show(wt, outcome == RULECORE_RELOAD_UNCHANGED);
  }
  pthread_mutex_unlock(&wt->out_lock);
}

int rulec_rules_watch(int argc, char **argv) {
  rules_opts o = {0};
  int rc = parse_opts(argc, argv, &o, true);
  if (rc) {
    free_opts(&o);
    return rc;
  }
  /* the signals wait for sigwait here, in every thread the watch starts too */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  watching wt = {.o = &o};
  pthread_mutex_init(&wt.out_lock, NULL);
  rulecore_watch_options opt = {.on_reload = watch_reloaded, .user = &wt};
  rulecore_diagnostics *d = NULL;
  pthread_mutex_lock(&wt.out_lock); /* the callback prints after the first evaluation */
  rulecore_status st = rulecore_watch_new(NULL, o.paths[0], &opt, &wt.w, &d);
  if (st != RULECORE_OK) {
    pthread_mutex_unlock(&wt.out_lock);
    rulec_print_owned(stderr, rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT));
    rulecore_diagnostics_free(d);
    free_opts(&o);
    return st == RULECORE_ERR_SOURCE || st == RULECORE_ERR_IO ? 1 : rulec_fail(st);
  }
  if (rulecore_diagnostics_count(d)) rulec_print_owned(stderr, rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT));
  rulecore_diagnostics_free(d);
  log_file lf = {0};
  if (o.log && (!log_open(&o, &lf) || rulecore_watch_set_log(wt.w, log_line, &lf, 0) != RULECORE_OK)) {
    pthread_mutex_unlock(&wt.out_lock);
    rulecore_watch_free(wt.w);
    log_close(&lf);
    pthread_mutex_destroy(&wt.out_lock);
    free_opts(&o);
    return 2;
  }
  struct rulec_http *http = NULL;
  if (o.metrics) {
    rulecore_watch_enable_metrics(wt.w);
    if (!(http = rulec_http_start(o.metrics, watch_metrics, wt.w))) {
      pthread_mutex_unlock(&wt.out_lock);
      rulecore_watch_free(wt.w);
      pthread_mutex_destroy(&wt.out_lock);
      free_opts(&o);
      return 2;
    }
  }
  watch_show(&wt, false);
  pthread_mutex_unlock(&wt.out_lock);
  int sig = 0;
  sigwait(&stop, &sig);
  rulec_http_stop(http);
  rulecore_watch_free(wt.w);
  log_close(&lf);
  pthread_mutex_destroy(&wt.out_lock);
  free_opts(&o);
  return 0;
}
