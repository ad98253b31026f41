/*
 * rulec_graph.c: `rulec graph`, over the public header only:
 *   rulec graph PATH [--format mermaid|dot] [--ctx FILE] [--decision NAME] [-o FILE]
 * draws the ruleset's decision graph (with --ctx: the outcome of that
 * context on it), or with --decision the value of an edge-list decision
 * evaluated against --ctx as a diagram of its own.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulecore.h"
#include "rulec.h"

typedef struct graph_opts {
  const char *path;
  const char *ctx;      /* --ctx FILE */
  const char *decision; /* --decision NAME */
  const char *output;   /* -o FILE; NULL: standard output */
  rulecore_graph_format format;
} graph_opts;

static int parse_graph_opts(int argc, char **argv, graph_opts *o) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *value = NULL;
    if (rulec_option(argc, argv, &i, "--format", &value)) {
      if (value && strcmp(value, "mermaid") == 0)
        o->format = RULECORE_GRAPH_MERMAID;
      else if (value && strcmp(value, "dot") == 0)
        o->format = RULECORE_GRAPH_DOT;
      else
        return rulec_usage_error("option --format needs mermaid or dot%s", "");
    } else if (rulec_option(argc, argv, &i, "--ctx", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a file name", a);
      o->ctx = value;
    } else if (rulec_option(argc, argv, &i, "--decision", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a decision name", a);
      if (o->decision) return rulec_usage_error("graph draws one decision: '%s' was given twice", "--decision");
      o->decision = value;
    } else if (strcmp(a, "-o") == 0 || rulec_option(argc, argv, &i, "--output", &value)) {
      if (strcmp(a, "-o") == 0) value = i + 1 < argc ? argv[++i] : NULL;
      if (!value) return rulec_usage_error("option '%s' needs a file name", a);
      o->output = value;
    } else if (a[0] == '-' && a[1]) {
      return rulec_usage_error("unknown option '%s'", a);
    } else if (o->path) {
      return rulec_usage_error("graph takes one ruleset, not '%s' too", a);
    } else {
      o->path = a;
    }
  }
  if (!o->path) return rulec_usage_error("missing ruleset (a directory of rule files, or a .lua file)%s", "");
  if (o->decision && !o->ctx)
    return rulec_usage_error("--decision draws the value of a decision: give the context to evaluate it with "
                             "--ctx FILE%s",
                             "");
  return 0;
}

/* Why decision i has no value to draw, after an evaluation into out. */
static void no_value(const char *path, const rulecore_ruleset *rs, const rulecore_decisions *out, size_t i) {
  const char *name = rulecore_ruleset_decision_name(rs, i);
  switch (rulecore_decisions_outcome(out, i)) {
  case RULECORE_OUTCOME_NO_MATCH:
    fprintf(stderr, "%s: error: decision '%s' has no value to draw: no rule matched and it has no default\n", path,
            name);
    break;
  case RULECORE_OUTCOME_ERROR: {
    uint32_t line = 0, column = 0;
    const char *msg = rulecore_result_error(rulecore_decisions_value(out, i), &line, &column);
    const char *file = rulecore_decisions_error_file(out, i);
    fprintf(stderr, "%s: error: decision '%s' has no value to draw: it failed: %s", path, name, msg ? msg : "?");
    if (file) fprintf(stderr, " (%s:%u:%u)", file, line, column);
    fputc('\n', stderr);
    break;
  }
  default:
    fprintf(stderr, "%s: error: decision '%s' cannot be drawn: an element of its value has no string 'from' or 'to'\n", path, name);
    break;
  }
}

/* Write text (owned; freed) to o->output or standard output. */
static int write_output(const graph_opts *o, char *text) {
  if (!o->output) return rulec_print_owned(stdout, text) ? 0 : 2;
  FILE *f = fopen(o->output, "w");
  if (!f) {
    fprintf(stderr, "rulec: %s: %s\n", o->output, strerror(errno));
    rulecore_free(text);
    return 2;
  }
  int ok = rulec_print_owned(f, text);
  if (fclose(f) != 0 || !ok) {
    if (ok) fprintf(stderr, "rulec: %s: %s\n", o->output, strerror(errno));
    return 2;
  }
  return 0;
}

int rulec_graph(int argc, char **argv) {
  graph_opts o = {0};
  int rc = parse_graph_opts(argc, argv, &o);
  if (rc) return rc;
  rulecore_ruleset *rs = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_ruleset_load(NULL, o.path, &rs, &d);
  if (rulecore_diagnostics_count(d)) rulec_print_owned(stderr, rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT));
  rulecore_diagnostics_free(d);
  if (st != RULECORE_OK) return st == RULECORE_ERR_SOURCE || st == RULECORE_ERR_IO ? 1 : rulec_fail(st);
  int exit_code = 0;
  int32_t dec = -1;
  if (o.decision) {
    dec = rulecore_ruleset_decision_index(rs, o.decision);
    if (dec < 0) {
      fprintf(stderr, "%s: error: the ruleset has no decision '%s'\n", o.path, o.decision);
      exit_code = 1;
    } else if (!rulecore_ruleset_decision_is_edge_list(rs, (size_t)dec)) {
      fprintf(stderr,
              "%s: error: decision '%s' is not an edge list: its type is %s, not a list of records with string "
              "fields 'from', 'to' (and 'label'), nor list(map(string, string))\n",
              o.path, o.decision, rulecore_ruleset_decision_type(rs, (size_t)dec));
      exit_code = 1;
    }
  }
  rulecore_activation *act = NULL;
  rulecore_decisions *out = NULL;
  if (!exit_code && o.ctx) {
    act = rulec_context(rulecore_ruleset_schema(rs), o.ctx, RULECORE_FORMAT_TEXT, &exit_code);
    if (act && !(out = rulecore_decisions_new())) exit_code = rulec_fail(RULECORE_ERR_NOMEM);
    if (out) {
      const char *names[1] = {o.decision};
      st = rulecore_ruleset_eval(rs, act, o.decision ? names : NULL, o.decision ? 1 : 0, out);
      if (st != RULECORE_OK) exit_code = rulec_fail(st);
    }
  }
  if (!exit_code) {
    char *text = NULL;
    if (o.decision) {
      st = rulecore_decisions_graph(out, (size_t)dec, o.format, &text);
      if (st == RULECORE_ERR_EVAL) {
        no_value(o.path, rs, out, (size_t)dec);
        exit_code = 1;
      } else if (st != RULECORE_OK) {
        exit_code = rulec_fail(st);
      }
    } else {
      st = rulecore_ruleset_graph(rs, out, o.format, &text);
      if (st != RULECORE_OK) exit_code = rulec_fail(st);
    }
    if (!exit_code) exit_code = write_output(&o, text);
  }
  rulecore_decisions_free(out);
  rulecore_activation_free(act);
  rulecore_ruleset_free(rs);
  return exit_code;
}
