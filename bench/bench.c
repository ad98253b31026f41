/*
 * bench.c: rulecore's benchmark (`make bench`), not a test.  Runs the
 * shared workloads (../shared/bench/workloads.json: W1-W4, C1) through the
 * public API only, and measures
 *   - ns per evaluation (W1 on both contexts, W2, W3), per context (W4: 22
 *     rules, matched ids in priority order) and per compile (C1), as the
 *     median of several timed runs after warm-ups;
 *   - heap allocations per evaluation, counted by an allocator hook
 *     (rulecore_set_allocator);
 *   - filling a context, separately: from JSON text, and through slots and
 *     the typed setters.
 * Every result is checked against the workloads' expected values.
 *
 *   bench/bench WORKLOADS.json RESULTS.json
 *
 * Prints a table and writes RESULTS.json, one number per key.  Exit status:
 * 0 when every result was right (a missed target is reported, not fatal),
 * 1 when a workload gave a wrong result or failed (RESULTS.json is then not
 * written), 2 for usage and setup errors.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <jansson.h>

#include "rulecore.h"

#define EXIT_WRONG 1
#define EXIT_SETUP 2

/* Timing: RUNS timed runs of about RUN_SECONDS each; the reported figure
 * is their median.  Calibration (growing the batch until it takes
 * CALIBRATE_SECONDS) doubles as the warm-up. */
#define RUNS 7
#define RUN_SECONDS 0.2
#define CALIBRATE_SECONDS 0.02

/* The 22 rules of W4, with room to spare. */
#define MAX_RULES 64

/* ---- Counting allocator ---------------------------------------------- */

/* Calls of the hook that allocate (ptr NULL) or grow a block beyond its
 * usable size (which may move it).  Only ever read as differences around a
 * timed section.  The hook passes straight through to the C library, with
 * no header of its own: rulecore points jansson's global allocator at its
 * hook, so blocks jansson allocated for this program before that happened
 * come back through the hook to be freed. */
static uint64_t alloc_calls;

static void *counting_realloc(void *ud, void *ptr, size_t size) {
  (void)ud;
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  if (!ptr) {
    alloc_calls++;
    return malloc(size);
  }
#ifdef __GLIBC__
  if (size > malloc_usable_size(ptr)) alloc_calls++;
#else
  alloc_calls++; /* without the block's size, count every resize */
#endif
  return realloc(ptr, size);
}

/* ---- Timing ------------------------------------------------------------ */

/* Keeps the work observable: every batch stores its checksum here. */
static volatile uint64_t sink;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A batch: do n units of work (evaluations, contexts, compiles) on arg and
 * return a checksum of the results. */
typedef uint64_t (*batch_fn)(void *arg, uint64_t n);

/* What a measurement found: ns per unit (the median run) and allocations
 * per unit (over every timed run). */
typedef struct measure {
  double ns;
  double allocs;
  bool done;
} measure;

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Measure batch on arg: warm up while finding a batch size that runs for
 * about RUN_SECONDS, then time RUNS batches of that size. */
static measure measure_batch(batch_fn batch, void *arg) {
  uint64_t n = 1;
  double elapsed;
  for (;;) {
    double t0 = now_seconds();
    sink = batch(arg, n);
    elapsed = now_seconds() - t0;
    if (elapsed >= CALIBRATE_SECONDS || n >= (UINT64_C(1) << 40)) break;
    n *= 2;
  }
  double scaled = (double)n * RUN_SECONDS / (elapsed > 0 ? elapsed : 1e-9);
  n = scaled < 1 ? 1 : (uint64_t)scaled;

  double ns[RUNS];
  uint64_t allocs_before = alloc_calls;
  for (int r = 0; r < RUNS; r++) {
    double t0 = now_seconds();
    sink = batch(arg, n);
    ns[r] = (now_seconds() - t0) * 1e9 / (double)n;
  }
  uint64_t allocs = alloc_calls - allocs_before;
  qsort(ns, RUNS, sizeof ns[0], compare_double);
  return (measure){.ns = ns[RUNS / 2], .allocs = (double)allocs / ((double)n * RUNS), .done = true};
}

/* ---- Reporting problems --------------------------------------------------- */

/* Print d (when it has anything) under a line saying what failed. */
static void print_diagnostics(const char *what, rulecore_status status, rulecore_diagnostics *d) {
  fprintf(stderr, "bench: %s: %s\n", what, rulecore_status_message(status));
  if (rulecore_diagnostics_count(d) > 0) {
    char *text = rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT);
    if (text) fputs(text, stderr);
    rulecore_free(text);
  }
}

/* Describe result (after an evaluation returning status) into out. */
static void describe_result(rulecore_status status, const rulecore_result *result, char *out, size_t size) {
  if (status == RULECORE_ERR_EVAL) {
    uint32_t line = 0, column = 0;
    const char *message = rulecore_result_error(result, &line, &column);
    snprintf(out, size, "error at %" PRIu32 ":%" PRIu32 ": %s", line, column, message ? message : "(no message)");
  } else if (status != RULECORE_OK) {
    snprintf(out, size, "status %d (%s)", (int)status, rulecore_status_message(status));
  } else if (rulecore_result_kind(result) != RULECORE_KIND_BOOL) {
    char *text = rulecore_result_render(result, RULECORE_FORMAT_TEXT);
    snprintf(out, size, "a non-bool value %s (kind %d)", text ? text : "?", (int)rulecore_result_kind(result));
    rulecore_free(text);
  } else {
    snprintf(out, size, "%s", rulecore_result_bool(result) ? "true" : "false");
  }
}

/* ---- The workloads file ------------------------------------------------ */

/* Everything the workloads need, created once. */
typedef struct bench {
  json_t *doc;       /* workloads.json */
  json_t *types;     /* doc.schema: record name -> {field: type} */
  rulecore_schema *schema;
  rulecore_env *env;
  rulecore_activation *ctx_true, *ctx_false; /* the two contexts, filled once */
  rulecore_result *result;
  char *text_true;   /* context_true as compact JSON text */
  bool wrong;        /* a workload gave a wrong result or failed */
} bench;

/* doc[key] as a string, or NULL (with a message) when it is not one. */
static const char *get_string(json_t *obj, const char *key, const char *where) {
  const char *s = json_string_value(json_object_get(obj, key));
  if (!s) fprintf(stderr, "bench: workloads: %s.%s is not a string\n", where, key);
  return s;
}

/* Build and freeze the schema from doc.schema: a key naming a top-level key
 * of the contexts (user, order) is a variable of a record type of its own
 * name; any other key (Item) is a record type only. */
static bool build_schema(bench *b) {
  json_t *context = json_object_get(b->doc, "context_true");
  b->types = json_object_get(b->doc, "schema");
  if (!json_is_object(b->types) || !json_is_object(context)) {
    fprintf(stderr, "bench: workloads: no \"schema\" or \"context_true\" object\n");
    return false;
  }
  b->schema = rulecore_schema_new();
  if (!b->schema) {
    fprintf(stderr, "bench: rulecore_schema_new: out of memory\n");
    return false;
  }
  const char *name;
  json_t *fields;
  json_object_foreach(b->types, name, fields) {
    rulecore_status status = rulecore_schema_add_record(b->schema, name);
    if (status != RULECORE_OK) {
      fprintf(stderr, "bench: add_record %s: %s\n", name, rulecore_status_message(status));
      return false;
    }
    const char *field;
    json_t *type;
    json_object_foreach(fields, field, type) {
      if (!json_is_string(type)) {
        fprintf(stderr, "bench: workloads: schema.%s.%s is not a type name\n", name, field);
        return false;
      }
      status = rulecore_schema_add_field(b->schema, name, field, json_string_value(type));
      if (status != RULECORE_OK) {
        fprintf(stderr, "bench: add_field %s.%s: %s\n", name, field, rulecore_status_message(status));
        return false;
      }
    }
    if (json_object_get(context, name)) {
      status = rulecore_schema_add_variable(b->schema, name, name);
      if (status != RULECORE_OK) {
        fprintf(stderr, "bench: add_variable %s: %s\n", name, rulecore_status_message(status));
        return false;
      }
    }
  }
  rulecore_diagnostics *diags = NULL;
  rulecore_status status = rulecore_schema_freeze(b->schema, &diags);
  if (status != RULECORE_OK) print_diagnostics("schema", status, diags);
  rulecore_diagnostics_free(diags);
  if (status != RULECORE_OK) return false;

  b->env = rulecore_env_new();
  if (!b->env) {
    fprintf(stderr, "bench: rulecore_env_new: out of memory\n");
    return false;
  }
  diags = NULL;
  status = rulecore_env_set_schema(b->env, b->schema, &diags);
  if (status != RULECORE_OK) print_diagnostics("env_set_schema", status, diags);
  rulecore_diagnostics_free(diags);
  return status == RULECORE_OK;
}

/* A compact JSON text of doc[key] (malloc'd by jansson), or NULL. */
static char *context_text(bench *b, const char *key) {
  json_t *context = json_object_get(b->doc, key);
  char *text = json_is_object(context) ? json_dumps(context, JSON_COMPACT) : NULL;
  if (!text) fprintf(stderr, "bench: workloads: no \"%s\" object\n", key);
  return text;
}

/* A new activation filled from text (RULECORE_JSON_PLAIN), or NULL. */
static rulecore_activation *activation_from_json(bench *b, const char *text, const char *what) {
  rulecore_activation *a = rulecore_activation_new(b->schema);
  if (!a) {
    fprintf(stderr, "bench: rulecore_activation_new: out of memory\n");
    return NULL;
  }
  rulecore_diagnostics *diags = NULL;
  rulecore_status status = rulecore_activation_set_json(a, text, strlen(text), RULECORE_JSON_PLAIN, &diags);
  if (status != RULECORE_OK) print_diagnostics(what, status, diags);
  rulecore_diagnostics_free(diags);
  if (status != RULECORE_OK) {
    rulecore_activation_free(a);
    return NULL;
  }
  return a;
}

/* Compile source as a bool rule, or print why not and return NULL. */
static rulecore_program *compile_rule(bench *b, const char *source, const char *name) {
  rulecore_program *program = NULL;
  rulecore_diagnostics *diags = NULL;
  rulecore_status status =
      rulecore_compile_source(b->env, source, strlen(source), name, "bool", &program, &diags);
  if (status != RULECORE_OK) {
    char what[64];
    snprintf(what, sizeof what, "compiling %s", name);
    print_diagnostics(what, status, diags);
    rulecore_program_free(program);
    program = NULL;
  }
  rulecore_diagnostics_free(diags);
  return program;
}

/* ---- W1-W3: one rule, many evaluations --------------------------------- */

typedef struct eval_case {
  const rulecore_program *program;
  const rulecore_activation *activation;
  rulecore_result *result;
  int status;        /* every evaluation's status, or-ed */
  uint64_t n_true;   /* evaluations that returned true */
  uint64_t n_evals;
} eval_case;

/* Evaluate the rule n times, reading each result as a host would. */
static uint64_t batch_eval(void *arg, uint64_t n) {
  eval_case *c = arg;
  int status = 0;
  uint64_t n_true = 0;
  for (uint64_t i = 0; i < n; i++) {
    status |= (int)rulecore_eval(c->program, c->activation, c->result);
    n_true += rulecore_result_bool(c->result) != 0;
  }
  c->status |= status;
  c->n_true += n_true;
  c->n_evals += n;
  return n_true;
}

/* Check one evaluation of program on activation against expect; print
 * what went wrong under name. */
static bool check_once(const rulecore_program *program, const rulecore_activation *activation,
                       rulecore_result *result, bool expect, const char *name) {
  rulecore_status status = rulecore_eval(program, activation, result);
  if (status == RULECORE_OK && rulecore_result_kind(result) == RULECORE_KIND_BOOL &&
      (rulecore_result_bool(result) != 0) == expect)
    return true;
  char got[256];
  describe_result(status, result, got, sizeof got);
  fprintf(stderr, "bench: %s: WRONG RESULT: expected %s, got %s\n", name, expect ? "true" : "false", got);
  return false;
}

/* Time program on activation, which must give expect every time. */
static measure run_eval(bench *b, const rulecore_program *program, const rulecore_activation *activation,
                        bool expect, const char *name) {
  /* The first evaluation also sizes the result's scratch memory, which
   * later ones reuse: it is not counted. */
  if (!check_once(program, activation, b->result, expect, name)) {
    b->wrong = true;
    return (measure){0};
  }
  eval_case c = {.program = program, .activation = activation, .result = b->result};
  measure m = measure_batch(batch_eval, &c);
  if (c.status != RULECORE_OK || c.n_true != (expect ? c.n_evals : 0)) {
    fprintf(stderr, "bench: %s: WRONG RESULT during the timed runs: %" PRIu64 " of %" PRIu64
                    " evaluations true (expected %s), statuses or-ed %d\n",
            name, c.n_true, c.n_evals, expect ? "all" : "none", c.status);
    b->wrong = true;
    m.done = false;
  }
  return m;
}

/* The expression of workload key (doc[key].expr), compiled; NULL on error
 * (marking the run wrong). */
static rulecore_program *compile_workload(bench *b, const char *key) {
  json_t *w = json_object_get(b->doc, key);
  const char *expr = get_string(w, "expr", key);
  rulecore_program *program = expr ? compile_rule(b, expr, key) : NULL;
  if (!program) b->wrong = true;
  return program;
}

/* doc[key][field] as a bool; false with a message when it is not one. */
static bool get_expect(bench *b, const char *key, const char *field, bool *out) {
  json_t *v = json_object_get(json_object_get(b->doc, key), field);
  if (!json_is_boolean(v)) {
    fprintf(stderr, "bench: workloads: %s.%s is not a boolean\n", key, field);
    b->wrong = true;
    return false;
  }
  *out = json_is_true(v);
  return true;
}

/* ---- W4: a prioritised rule set per context ------------------------------ */

typedef struct rule {
  const char *id;
  json_int_t priority;
  size_t index; /* position in the file: ties keep file order */
  rulecore_program *program;
} rule;

typedef struct ruleset {
  rule rules[MAX_RULES];
  size_t n_rules;
  const char *expect[MAX_RULES]; /* expected matched ids, priority order */
  size_t n_expect;
  const rulecore_activation *activation;
  rulecore_result *result;
  const char *matched[MAX_RULES]; /* the last context's matches */
  size_t n_matched;
  int status;
  uint64_t total_matched;
  uint64_t n_contexts;
} ruleset;

static int compare_rules(const void *a, const void *b) {
  const rule *x = a, *y = b;
  if (x->priority != y->priority) return x->priority > y->priority ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Evaluate every rule on the context n times, collecting the ids that
 * match in priority order. */
static uint64_t batch_ruleset(void *arg, uint64_t n) {
  ruleset *s = arg;
  int status = 0;
  uint64_t total = 0;
  size_t m = 0;
  for (uint64_t k = 0; k < n; k++) {
    m = 0;
    for (size_t i = 0; i < s->n_rules; i++) {
      status |= (int)rulecore_eval(s->rules[i].program, s->activation, s->result);
      if (rulecore_result_bool(s->result)) s->matched[m++] = s->rules[i].id;
    }
    total += m;
  }
  s->n_matched = m;
  s->status |= status;
  s->total_matched += total;
  s->n_contexts += n;
  return total;
}

/* Does the last context's match list equal the expected one? */
static bool ruleset_matches_expected(const ruleset *s) {
  if (s->n_matched != s->n_expect) return false;
  for (size_t i = 0; i < s->n_matched; i++)
    if (strcmp(s->matched[i], s->expect[i]) != 0) return false;
  return true;
}

static void print_id_list(const char *label, const char *const *ids, size_t n) {
  fprintf(stderr, "  %s:", label);
  for (size_t i = 0; i < n; i++) fprintf(stderr, " %s", ids[i]);
  fprintf(stderr, "\n");
}

/* Load W4's rules (sorted by priority, highest first), compile them, and
 * read the expected match list.  False on error (marking the run wrong). */
static bool load_ruleset(bench *b, ruleset *s) {
  json_t *w4 = json_object_get(b->doc, "W4");
  json_t *rules = json_object_get(w4, "rules");
  json_t *expect = json_object_get(w4, "expect_matched_in_priority_order");
  if (!json_is_array(rules) || !json_is_array(expect) || json_array_size(rules) > MAX_RULES ||
      json_array_size(expect) > MAX_RULES) {
    fprintf(stderr, "bench: workloads: W4.rules or W4.expect_matched_in_priority_order is missing or too long\n");
    b->wrong = true;
    return false;
  }
  size_t i;
  json_t *item;
  json_array_foreach(rules, i, item) {
    rule *r = &s->rules[i];
    r->id = get_string(item, "id", "W4.rules[]");
    json_t *priority = json_object_get(item, "priority");
    if (!r->id || !json_is_integer(priority)) {
      b->wrong = true;
      return false;
    }
    r->priority = json_integer_value(priority);
    r->index = i;
    s->n_rules = i + 1;
  }
  qsort(s->rules, s->n_rules, sizeof s->rules[0], compare_rules);
  json_array_foreach(expect, i, item) {
    s->expect[i] = json_string_value(item);
    if (!s->expect[i]) {
      fprintf(stderr, "bench: workloads: W4.expect_matched_in_priority_order[%zu] is not a string\n", i);
      b->wrong = true;
      return false;
    }
    s->n_expect = i + 1;
  }
  bool ok = true;
  for (i = 0; i < s->n_rules; i++) {
    const char *when = get_string(json_array_get(rules, s->rules[i].index), "when", s->rules[i].id);
    s->rules[i].program = when ? compile_rule(b, when, s->rules[i].id) : NULL;
    if (!s->rules[i].program) ok = false;
  }
  if (!ok) b->wrong = true;
  return ok;
}

/* Time W4 on activation (context_true, which the expected list is for). */
static measure run_ruleset(bench *b, ruleset *s, const rulecore_activation *activation) {
  s->activation = activation;
  s->result = b->result;
  /* One context untimed: checks each rule's status, and warms up. */
  sink = batch_ruleset(s, 1);
  bool ok = ruleset_matches_expected(s);
  for (size_t i = 0; i < s->n_rules; i++) {
    rulecore_status status = rulecore_eval(s->rules[i].program, activation, b->result);
    if (status != RULECORE_OK || rulecore_result_kind(b->result) != RULECORE_KIND_BOOL) {
      char got[256];
      describe_result(status, b->result, got, sizeof got);
      fprintf(stderr, "bench: W4 rule %s: WRONG RESULT: %s\n", s->rules[i].id, got);
      ok = false;
    }
  }
  if (!ok) {
    fprintf(stderr, "bench: W4: WRONG RESULT\n");
    print_id_list("expected", s->expect, s->n_expect);
    print_id_list("matched ", s->matched, s->n_matched);
    b->wrong = true;
    return (measure){0};
  }
  s->status = 0;
  s->total_matched = s->n_contexts = 0;
  measure m = measure_batch(batch_ruleset, s);
  if (s->status != RULECORE_OK || s->total_matched != s->n_expect * s->n_contexts ||
      !ruleset_matches_expected(s)) {
    fprintf(stderr, "bench: W4: WRONG RESULT during the timed runs (%" PRIu64 " matches over %" PRIu64
                    " contexts, statuses or-ed %d)\n",
            s->total_matched, s->n_contexts, s->status);
    print_id_list("expected", s->expect, s->n_expect);
    print_id_list("matched ", s->matched, s->n_matched);
    b->wrong = true;
    m.done = false;
  }
  return m;
}

/* ---- W4 as a ruleset: the same rules as rule files, one call per context -- */

typedef struct w4_ruleset {
  rulecore_ruleset *rs;
  const rulecore_activation *activation;
  rulecore_decisions *out;
  const ruleset *expect; /* the per-rule run's expectations */
  int status;
  uint64_t total_matched;
  uint64_t n_contexts;
  bool wrong_ids;
  const char *batch_json; /* non-NULL: as rulec eval --cases, each context filled from this text, its result rendered */
  rulecore_activation *batch_act;
} w4_ruleset;

/* Evaluate the ruleset's one collect decision n times, reading the matched
 * ids as a host would. */
static uint64_t batch_w4_ruleset(void *arg, uint64_t n) {
  w4_ruleset *w = arg;
  uint64_t total = 0;
  int status = 0;
  for (uint64_t k = 0; k < n; k++) {
    if (w->batch_json) {
      rulecore_activation_reset(w->batch_act);
      status |= (int)rulecore_activation_set_json(w->batch_act, w->batch_json, strlen(w->batch_json),
                                                  RULECORE_JSON_PLAIN, NULL);
      status |= (int)rulecore_ruleset_eval(w->rs, w->batch_act, NULL, 0, w->out);
      char *text = rulecore_decisions_render(w->out, RULECORE_FORMAT_JSON);
      total += text ? (unsigned char)text[2] : 0;
      rulecore_free(text);
    } else
    status |= (int)rulecore_ruleset_eval(w->rs, w->activation, NULL, 0, w->out);
    size_t m = rulecore_decisions_matched_count(w->out, 0);
    for (size_t i = 0; i < m; i++) total += rulecore_decisions_matched(w->out, 0, i)[1];
    total += m << 8;
  }
  w->status |= status;
  w->n_contexts += n;
  w->total_matched += total;
  return total;
}

/* Write W4's rules as a ruleset in dir (a schema file and one rule file
 * with one collect decision), using the schema of the workloads. */
static bool write_w4_ruleset(bench *b, const char *dir) {
  json_t *context = json_object_get(b->doc, "context_true");
  json_t *doc = json_pack("{s:O,s:{}}", "types", b->types, "variables");
  const char *name;
  json_t *fields;
  json_object_foreach(b->types, name, fields) {
    if (json_object_get(context, name)) json_object_set_new(json_object_get(doc, "variables"), name, json_string(name));
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/w4.schema.json", dir);
  bool ok = json_dump_file(doc, path, JSON_INDENT(2)) == 0;
  json_decref(doc);
  snprintf(path, sizeof path, "%s/w4.lua", dir);
  FILE *f = ok ? fopen(path, "w") : NULL;
  if (!f) return false;
  fprintf(f, "schema \"w4.schema.json\"\ndecision \"matched\" {\n  type = \"list(string)\", hit = \"collect\",\n");
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(json_object_get(b->doc, "W4"), "rules"), i, item) {
    fprintf(f, "  rule \"%s\" { priority = %" JSON_INTEGER_FORMAT ", when = [==[ %s ]==], value = \"'%s'\" },\n",
            json_string_value(json_object_get(item, "id")), json_integer_value(json_object_get(item, "priority")),
            json_string_value(json_object_get(item, "when")), json_string_value(json_object_get(item, "id")));
  }
  fprintf(f, "}\n");
  return fclose(f) == 0;
}

/* Load W4 as a ruleset and time it on context_true: one rulecore_ruleset_eval
 * per context, every rule under the collect hit policy; explained (every
 * sub-expression's value traced) when explain, counted for metrics when
 * metrics. */
static measure run_w4_ruleset(bench *b, const ruleset *per_rule, bool explain, bool metrics, bool batch) {
  char dir[] = "/tmp/rulecore-bench-XXXXXX";
  measure m = {0};
  w4_ruleset w = {.expect = per_rule};
  rulecore_diagnostics *diags = NULL;
  rulecore_activation *act = NULL;
  if (!mkdtemp(dir) || !write_w4_ruleset(b, dir)) {
    fprintf(stderr, "bench: W4 ruleset: cannot write it in %s\n", dir);
    b->wrong = true;
    return m;
  }
  rulecore_status status = rulecore_ruleset_load(NULL, dir, &w.rs, &diags);
  if (status != RULECORE_OK) print_diagnostics("loading W4 as a ruleset", status, diags);
  if (status == RULECORE_OK && metrics) status = rulecore_ruleset_enable_metrics(w.rs);
  rulecore_diagnostics_free(diags);
  diags = NULL;
  if (status == RULECORE_OK && (act = rulecore_activation_new(rulecore_ruleset_schema(w.rs)))) {
    status = rulecore_activation_set_json(act, b->text_true, strlen(b->text_true), RULECORE_JSON_PLAIN, &diags);
    if (status != RULECORE_OK) print_diagnostics("W4 ruleset context", status, diags);
    rulecore_diagnostics_free(diags);
  }
  w.out = rulecore_decisions_new();
  if (w.out && explain) rulecore_decisions_set_explain(w.out, true);
  if (batch && status == RULECORE_OK) {
    w.batch_json = b->text_true;
    if (!(w.batch_act = rulecore_activation_new(rulecore_ruleset_schema(w.rs)))) status = RULECORE_ERR_NOMEM;
  }
  w.activation = act;
  if (status == RULECORE_OK && act && w.out) {
    sink = batch_w4_ruleset(&w, 1);
    bool ok = w.status == RULECORE_OK && rulecore_decisions_matched_count(w.out, 0) == per_rule->n_expect;
    for (size_t i = 0; ok && i < per_rule->n_expect; i++)
      ok = strcmp(rulecore_decisions_matched(w.out, 0, i), per_rule->expect[i]) == 0;
    if (ok) {
      uint64_t one = w.total_matched;
      w.status = 0;
      w.total_matched = w.n_contexts = 0;
      m = measure_batch(batch_w4_ruleset, &w);
      if (w.status != RULECORE_OK || w.total_matched != one * w.n_contexts) ok = false;
    }
    if (!ok) {
      fprintf(stderr, "bench: W4 as a ruleset: WRONG RESULT\n");
      m.done = false;
      b->wrong = true;
    }
  } else {
    b->wrong = true;
  }
  rulecore_decisions_free(w.out);
  rulecore_activation_free(w.batch_act);
  rulecore_activation_free(act);
  rulecore_ruleset_free(w.rs);
  char path[4200];
  snprintf(path, sizeof path, "%s/w4.lua", dir);
  remove(path);
  snprintf(path, sizeof path, "%s/w4.schema.json", dir);
  remove(path);
  rmdir(dir);
  return m;
}

/* ---- Watched rulesets: acquire + release; a change until it serves ---- */

typedef struct watch_case {
  rulecore_watch *w;
  atomic_bool stop;
} watch_case;

static uint64_t batch_acquire(void *arg, uint64_t n) {
  watch_case *c = arg;
  uint64_t sum = 0;
  for (uint64_t k = 0; k < n; k++) {
    const rulecore_ruleset *rs = rulecore_watch_acquire(c->w);
    sum += (uintptr_t)rs & 0xff;
    rulecore_watch_release(c->w, rs);
  }
  return sum;
}

/* The other thread of the two-thread row: acquires and releases until told. */
static void *acquire_loop(void *arg) {
  watch_case *c = arg;
  while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) sink += batch_acquire(c, 1024);
  return NULL;
}

/* Rewrite W4's rule file with a different comment at its end (a new
 * revision), the way an editor saves: truncate and write. */
static bool touch_w4(bench *b, const char *dir, int k) {
  if (!write_w4_ruleset(b, dir)) return false;
  char path[4200];
  snprintf(path, sizeof path, "%s/w4.lua", dir);
  FILE *f = fopen(path, "a");
  if (!f) return false;
  fprintf(f, "-- change %d\n", k);
  return fclose(f) == 0;
}

/* Acquire + release on a watch of W4's ruleset, alone and with a second
 * thread doing the same; then the time from rewriting a file to its new
 * revision serving, with the default debounce (median of CHANGES). */
#define CHANGES 9
static void run_watch(bench *b, measure *alone, measure *two, measure *change) {
  char dir[] = "/tmp/rulecore-bench-watch-XXXXXX";
  if (!mkdtemp(dir) || !touch_w4(b, dir, 0)) {
    fprintf(stderr, "bench: watch: cannot write W4's ruleset in %s\n", dir);
    b->wrong = true;
    return;
  }
  watch_case c = {0};
  rulecore_diagnostics *diags = NULL;
  rulecore_status status = rulecore_watch_new(NULL, dir, NULL, &c.w, &diags);
  if (status != RULECORE_OK) {
    print_diagnostics("watching W4 as a ruleset", status, diags);
    b->wrong = true;
  }
  rulecore_diagnostics_free(diags);
  if (c.w) {
    *alone = measure_batch(batch_acquire, &c);
    pthread_t other;
    if (pthread_create(&other, NULL, acquire_loop, &c) == 0) {
      *two = measure_batch(batch_acquire, &c);
      atomic_store(&c.stop, true);
      pthread_join(other, NULL);
    }
    double ns[CHANGES];
    int done = 0;
    for (int k = 1; k <= CHANGES; k++) {
      char before[65];
      const rulecore_ruleset *rs = rulecore_watch_acquire(c.w);
      snprintf(before, sizeof before, "%s", rulecore_ruleset_revision(rs));
      rulecore_watch_release(c.w, rs);
      double t0 = now_seconds(), t1 = t0;
      if (!touch_w4(b, dir, k)) break;
      bool swapped = false;
      while (!swapped && (t1 = now_seconds()) - t0 < 5) {
        rs = rulecore_watch_acquire(c.w);
        swapped = strcmp(rulecore_ruleset_revision(rs), before) != 0;
        rulecore_watch_release(c.w, rs);
        if (!swapped) {
          struct timespec us = {0, 200000};
          nanosleep(&us, NULL);
        }
      }
      if (!swapped) break;
      ns[done++] = (t1 - t0) * 1e9;
    }
    if (done == CHANGES) {
      qsort(ns, CHANGES, sizeof ns[0], compare_double);
      *change = (measure){.ns = ns[CHANGES / 2], .done = true};
    } else {
      fprintf(stderr, "bench: watch: change %d never served\n", done + 1);
      b->wrong = true;
    }
    rulecore_watch_free(c.w);
  }
  char path[4200];
  snprintf(path, sizeof path, "%s/w4.lua", dir);
  remove(path);
  snprintf(path, sizeof path, "%s/w4.schema.json", dir);
  remove(path);
  rmdir(dir);
}

/* Loading (running the rule files, checking, compiling) the flagship ruleset. */
typedef struct load_case {
  const char *path;
  uint64_t failures;
} load_case;

static uint64_t batch_load(void *arg, uint64_t n) {
  load_case *c = arg;
  uint64_t sum = 0;
  for (uint64_t k = 0; k < n; k++) {
    rulecore_ruleset *rs = NULL;
    if (rulecore_ruleset_load(NULL, c->path, &rs, NULL) != RULECORE_OK) c->failures++;
    sum += rulecore_ruleset_decision_count(rs);
    rulecore_ruleset_free(rs);
  }
  return sum;
}

/* ---- C1: compile from source ------------------------------------------- */

typedef struct compile_case {
  const rulecore_env *env;
  const char *source;
  size_t length;
  uint64_t failures;
} compile_case;

/* Parse, check and compile the source n times, freeing each program. */
static uint64_t batch_compile(void *arg, uint64_t n) {
  compile_case *c = arg;
  uint64_t failures = 0;
  for (uint64_t i = 0; i < n; i++) {
    rulecore_program *program = NULL;
    if (rulecore_compile_source(c->env, c->source, c->length, "C1", "bool", &program, NULL) != RULECORE_OK)
      failures++;
    rulecore_program_free(program);
  }
  c->failures += failures;
  return failures;
}

/* ---- Loading a generated schema ------------------------------------------ */

/* A schema document of one record with SCHEMA_FIELDS fields, as generated
 * schemas have them: loaded and frozen per unit. */
#define SCHEMA_FIELDS 100000

typedef struct schema_case {
  char *text;
  size_t length;
  uint64_t failures;
} schema_case;

static char *schema_text(size_t *length) {
  size_t cap = 64 + (size_t)SCHEMA_FIELDS * 32, n = 0;
  char *t = malloc(cap);
  if (!t) return NULL;
  n += (size_t)snprintf(t + n, cap - n, "{\"types\": {\"R\": {");
  for (int i = 0; i < SCHEMA_FIELDS; i++)
    n += (size_t)snprintf(t + n, cap - n, "%s\"f%d\": \"%s\"", i ? ", " : "", i, i % 10 ? "int" : "list(string)");
  n += (size_t)snprintf(t + n, cap - n, "}}, \"variables\": {\"r\": \"R\"}}");
  *length = n;
  return t;
}

static uint64_t batch_schema(void *arg, uint64_t n) {
  schema_case *c = arg;
  uint64_t sum = 0;
  for (uint64_t k = 0; k < n; k++) {
    rulecore_schema *s = rulecore_schema_new();
    if (!s || rulecore_schema_load(s, c->text, c->length, "generated.json", NULL) != RULECORE_OK ||
        rulecore_schema_freeze(s, NULL) != RULECORE_OK)
      c->failures++;
    sum += (uint64_t)(s != NULL);
    rulecore_schema_free(s);
  }
  return sum;
}

/* ---- Filling a context ----------------------------------------------------- */

typedef struct fill_json_case {
  rulecore_activation *activation;
  const char *text;
  size_t length;
  int status;
} fill_json_case;

/* Reset the activation and fill it from the JSON text, n times. */
static uint64_t batch_fill_json(void *arg, uint64_t n) {
  fill_json_case *c = arg;
  int status = 0;
  for (uint64_t i = 0; i < n; i++) {
    rulecore_activation_reset(c->activation);
    status |= (int)rulecore_activation_set_json(c->activation, c->text, c->length, RULECORE_JSON_PLAIN, NULL);
  }
  c->status |= status;
  return (uint64_t)status;
}

/* A context as the host would fill it through slots: a flat list of setter
 * calls, prepared from the context's JSON once (slots resolved, values
 * read), so the timed loop measures the library's setters only. */
typedef enum fill_op_kind {
  OP_BOOL,
  OP_INT,
  OP_DOUBLE,
  OP_STRING,
  OP_BEGIN_LIST,
  OP_BEGIN_RECORD,
  OP_KEY,
  OP_END
} fill_op_kind;

typedef struct fill_op {
  fill_op_kind kind;
  int32_t slot; /* a slot or RULECORE_NEXT */
  int64_t i;    /* OP_BOOL, OP_INT */
  double d;     /* OP_DOUBLE */
  const char *s; /* OP_STRING, OP_KEY: borrowed from the workloads document */
  size_t length;
} fill_op;

typedef struct fill_plan {
  fill_op *ops;
  size_t n, cap;
  rulecore_activation *activation;
  int status;
} fill_plan;

static bool plan_push(fill_plan *p, fill_op op) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    fill_op *ops = realloc(p->ops, cap * sizeof *ops);
    if (!ops) return false;
    p->ops = ops;
    p->cap = cap;
  }
  p->ops[p->n++] = op;
  return true;
}

/* Add the calls that set slot to value v of declared type (a type string
 * of the workloads' schema: int, double, string, bool, list(T) or a record
 * name).  False (with a message) for anything else. */
static bool plan_value(bench *b, fill_plan *p, const char *type, json_t *v, int32_t slot) {
  size_t type_len = strlen(type);
  if (strcmp(type, "int") == 0 && json_is_integer(v))
    return plan_push(p, (fill_op){.kind = OP_INT, .slot = slot, .i = json_integer_value(v)});
  if (strcmp(type, "double") == 0 && json_is_number(v))
    return plan_push(p, (fill_op){.kind = OP_DOUBLE, .slot = slot, .d = json_number_value(v)});
  if (strcmp(type, "bool") == 0 && json_is_boolean(v))
    return plan_push(p, (fill_op){.kind = OP_BOOL, .slot = slot, .i = json_is_true(v)});
  if (strcmp(type, "string") == 0 && json_is_string(v))
    return plan_push(p, (fill_op){.kind = OP_STRING, .slot = slot, .s = json_string_value(v),
                                  .length = json_string_length(v)});
  if (strncmp(type, "list(", 5) == 0 && type[type_len - 1] == ')' && json_is_array(v)) {
    char element[128];
    if (type_len - 6 >= sizeof element) return false;
    memcpy(element, type + 5, type_len - 6);
    element[type_len - 6] = '\0';
    if (!plan_push(p, (fill_op){.kind = OP_BEGIN_LIST, .slot = slot})) return false;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
      if (!plan_value(b, p, element, item, RULECORE_NEXT)) return false;
    }
    return plan_push(p, (fill_op){.kind = OP_END});
  }
  json_t *fields = json_object_get(b->types, type);
  if (json_is_object(fields) && json_is_object(v)) {
    if (!plan_push(p, (fill_op){.kind = OP_BEGIN_RECORD, .slot = slot})) return false;
    const char *key;
    json_t *item;
    json_object_foreach(v, key, item) {
      const char *field_type = json_string_value(json_object_get(fields, key));
      if (!field_type) {
        fprintf(stderr, "bench: fill_slots: no field %s on %s\n", key, type);
        return false;
      }
      if (!plan_push(p, (fill_op){.kind = OP_KEY, .s = key, .length = strlen(key)}) ||
          !plan_value(b, p, field_type, item, RULECORE_NEXT))
        return false;
    }
    return plan_push(p, (fill_op){.kind = OP_END});
  }
  fprintf(stderr, "bench: fill_slots: cannot set a value of type %s from this JSON\n", type);
  return false;
}

/* Plan the filling of context doc[key]: every field of every variable set
 * through its own slot ("user.age"). */
static bool plan_context(bench *b, fill_plan *p, const char *key) {
  json_t *context = json_object_get(b->doc, key);
  const char *var;
  json_t *value;
  json_object_foreach(context, var, value) {
    json_t *fields = json_object_get(b->types, var);
    const char *field;
    json_t *item;
    if (!json_is_object(fields) || !json_is_object(value)) {
      fprintf(stderr, "bench: fill_slots: %s.%s is not a record variable\n", key, var);
      return false;
    }
    json_object_foreach(value, field, item) {
      char path[256];
      snprintf(path, sizeof path, "%s.%s", var, field);
      int32_t slot = rulecore_schema_slot(b->schema, path);
      const char *type = json_string_value(json_object_get(fields, field));
      if (slot < 0 || !type) {
        fprintf(stderr, "bench: fill_slots: no slot for %s (rulecore_schema_slot gave %" PRId32 ")\n", path,
                slot);
        return false;
      }
      if (!plan_value(b, p, type, item, slot)) return false;
    }
  }
  return true;
}

/* Execute the plan once on its activation; the or of every status. */
static int plan_execute(const fill_plan *p) {
  rulecore_activation *a = p->activation;
  int status = 0;
  for (size_t i = 0; i < p->n; i++) {
    const fill_op *op = &p->ops[i];
    switch (op->kind) {
    case OP_BOOL: status |= (int)rulecore_activation_set_bool(a, op->slot, (int)op->i); break;
    case OP_INT: status |= (int)rulecore_activation_set_int(a, op->slot, op->i); break;
    case OP_DOUBLE: status |= (int)rulecore_activation_set_double(a, op->slot, op->d); break;
    case OP_STRING: status |= (int)rulecore_activation_set_string(a, op->slot, op->s, op->length); break;
    case OP_BEGIN_LIST: status |= (int)rulecore_activation_begin_list(a, op->slot); break;
    case OP_BEGIN_RECORD: status |= (int)rulecore_activation_begin_map(a, op->slot); break;
    case OP_KEY: status |= (int)rulecore_activation_key_string(a, op->s, op->length); break;
    case OP_END: status |= (int)rulecore_activation_end(a); break;
    }
  }
  return status;
}

/* Reset the activation and fill it through slots, n times. */
static uint64_t batch_fill_slots(void *arg, uint64_t n) {
  fill_plan *p = arg;
  int status = 0;
  for (uint64_t i = 0; i < n; i++) {
    rulecore_activation_reset(p->activation);
    status |= plan_execute(p);
  }
  p->status |= status;
  return (uint64_t)status;
}

/* ---- Report ------------------------------------------------------------ */

typedef struct row {
  const char *name;      /* in the table */
  const char *ns_key;    /* in results.json */
  const char *alloc_key; /* NULL: not written (W1's is written separately) */
  measure m;
  double target_ns;      /* 0: no target */
  bool zero_allocs;      /* the target includes 0 allocations */
} row;

static void print_table(const row *rows, size_t n) {
  printf("\n%-22s %12s %12s  %-22s %s\n", "workload", "ns/unit", "allocs/unit", "target", "met");
  for (size_t i = 0; i < n; i++) {
    const row *r = &rows[i];
    char target[64] = "-";
    if (r->target_ns > 0)
      snprintf(target, sizeof target, "<= %.0f ns%s", r->target_ns, r->zero_allocs ? ", 0 allocs" : "");
    if (!r->m.done) {
      printf("%-22s %12s %12s  %-22s %s\n", r->name, "FAILED", "-", target, "-");
      continue;
    }
    const char *met = "-";
    if (r->target_ns > 0)
      met = r->m.ns <= r->target_ns && (!r->zero_allocs || r->m.allocs == 0) ? "yes" : "NO";
    printf("%-22s %12.1f %12.3g  %-22s %s\n", r->name, r->m.ns, r->m.allocs, target, met);
  }
  printf("(a unit: one evaluation for W1-W3, one context (every rule) for W4, one call of\n"
         " rulecore_ruleset_eval for W4 as a ruleset, one compile for C1, one rulecore_ruleset_load\n"
         " of rules/architecture, one acquire + release for the watch (with 2 threads: each\n"
         " doing it at once), one file rewritten until its revision serves, default debounce\n"
         " 100 ms, for change->serving, one context for the fills and for JSON in, JSON out:\n"
         " filled from its text, evaluated, its result rendered as rulec eval --cases does)\n");
}

/* Write one number per key to path: every ns figure, then W1's
 * allocations (the worse of its two contexts), then the other allocation
 * figures. */
static bool write_results(const row *rows, size_t n, double w1_allocs, const char *path) {
  json_t *out = json_object();
  bool ok = out != NULL;
  for (size_t i = 0; ok && i < n; i++)
    if (rows[i].m.done) ok = json_object_set_new(out, rows[i].ns_key, json_real(round(rows[i].m.ns * 100) / 100)) == 0;
  if (ok) ok = json_object_set_new(out, "W1_allocs", json_real(w1_allocs)) == 0;
  /* the batch row as a rate too: contexts per second on one core */
  for (size_t i = 0; ok && i < n; i++)
    if (rows[i].m.done && rows[i].m.ns > 0 && strcmp(rows[i].ns_key, "batch_W4_ns") == 0)
      ok = json_object_set_new(out, "batch_W4_per_s", json_real(round(1e9 / rows[i].m.ns))) == 0;
  for (size_t i = 0; ok && i < n; i++)
    if (rows[i].m.done && rows[i].alloc_key)
      ok = json_object_set_new(out, rows[i].alloc_key, json_real(rows[i].m.allocs)) == 0;
  if (ok && json_dump_file(out, path, JSON_INDENT(2) | JSON_REAL_PRECISION(8)) != 0) {
    fprintf(stderr, "bench: cannot write %s\n", path);
    ok = false;
  }
  json_decref(out);
  return ok;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: bench WORKLOADS.json RESULTS.json [FLAGSHIP-RULESET-DIR]\n");
    return EXIT_SETUP;
  }
  /* Before any rulecore object exists. */
  rulecore_set_allocator(counting_realloc, NULL);
  /* Keep the table and the messages on stderr in order under make. */
  setvbuf(stdout, NULL, _IOLBF, 0);

  int exit_status = EXIT_SETUP;
  bench b = {0};
  ruleset *rs = calloc(1, sizeof *rs);
  fill_plan plan = {0};
  fill_json_case fill = {0};
  rulecore_program *w1 = NULL, *w2 = NULL, *w3 = NULL;
  json_error_t error;
  if (!rs) {
    fprintf(stderr, "bench: out of memory\n");
    goto done;
  }
  b.doc = json_load_file(argv[1], 0, &error);
  if (!b.doc) {
    fprintf(stderr, "bench: %s:%d:%d: %s\n", argv[1], error.line, error.column, error.text);
    goto done;
  }
  if (!build_schema(&b)) goto done;

  /* The two contexts, filled once and reused by every evaluation. */
  b.text_true = context_text(&b, "context_true");
  char *text_false = context_text(&b, "context_false");
  if (b.text_true && text_false) {
    b.ctx_true = activation_from_json(&b, b.text_true, "filling context_true");
    b.ctx_false = activation_from_json(&b, text_false, "filling context_false");
  }
  free(text_false);
  b.result = rulecore_result_new();
  if (!b.ctx_true || !b.ctx_false || !b.result) goto done;

  printf("rulecore %s: %s, %d runs of ~%.1f s each, median\n", rulecore_version(), argv[1], RUNS, RUN_SECONDS);
  row rows[] = {
      {.name = "W1 (true context)", .ns_key = "W1_true_ns", .target_ns = 15, .zero_allocs = true},
      {.name = "W1 (false context)", .ns_key = "W1_false_ns", .target_ns = 15, .zero_allocs = true},
      {.name = "W2", .ns_key = "W2_ns", .alloc_key = "W2_allocs", .target_ns = 30, .zero_allocs = true},
      {.name = "W3", .ns_key = "W3_ns", .alloc_key = "W3_allocs"},
      {.name = "W4 (rule set)", .ns_key = "W4_ns", .alloc_key = "W4_allocs", .target_ns = 600, .zero_allocs = true},
      {.name = "W4 as a ruleset", .ns_key = "W4_ruleset_ns", .alloc_key = "W4_ruleset_allocs", .target_ns = 200,
       .zero_allocs = true},
      {.name = "  ... explained", .ns_key = "W4_explain_ns", .alloc_key = "W4_explain_allocs", .zero_allocs = true},
      {.name = "  ... with metrics", .ns_key = "W4_metrics_ns", .alloc_key = "W4_metrics_allocs", .zero_allocs = true},
      {.name = "  ... JSON in, JSON out", .ns_key = "batch_W4_ns", .alloc_key = "batch_W4_allocs"},
      {.name = "C1 (compile W2)", .ns_key = "C1_ns", .alloc_key = "C1_allocs", .target_ns = 20000},
      {.name = "load flagship ruleset", .ns_key = "flagship_load_ns", .alloc_key = "flagship_load_allocs"},
      {.name = "watch acquire+release", .ns_key = "watch_acquire_release_ns", .target_ns = 20},
      {.name = "  ... 2 threads", .ns_key = "watch_acquire_release_2threads_ns"},
      {.name = "watch change->serving", .ns_key = "watch_change_to_serving_ns", .target_ns = 200e6},
      {.name = "fill from JSON text", .ns_key = "fill_json_ns", .alloc_key = "fill_json_allocs", .target_ns = 1000,
       .zero_allocs = true},
      {.name = "fill through slots", .ns_key = "fill_slots_ns", .alloc_key = "fill_slots_allocs"},
      {.name = "schema, 100k fields", .ns_key = "schema_100k_fields_ns", .target_ns = 100e6},
  };
  enum {
    ROW_W1_TRUE,
    ROW_W1_FALSE,
    ROW_W2,
    ROW_W3,
    ROW_W4,
    ROW_W4_RULESET,
    ROW_W4_EXPLAIN,
    ROW_W4_METRICS,
    ROW_W4_BATCH,
    ROW_C1,
    ROW_LOAD,
    ROW_WATCH,
    ROW_WATCH_2,
    ROW_WATCH_CHANGE,
    ROW_FILL_JSON,
    ROW_FILL_SLOTS,
    ROW_SCHEMA,
    N_ROWS
  };

  /* W1-W3: each compiled once, evaluated many times with one result. */
  bool expect_true = false, expect_false = true, expect;
  w1 = compile_workload(&b, "W1");
  if (w1 && get_expect(&b, "W1", "expect_true_ctx", &expect_true))
    rows[ROW_W1_TRUE].m = run_eval(&b, w1, b.ctx_true, expect_true, "W1 (true context)");
  if (w1 && get_expect(&b, "W1", "expect_false_ctx", &expect_false))
    rows[ROW_W1_FALSE].m = run_eval(&b, w1, b.ctx_false, expect_false, "W1 (false context)");
  w2 = compile_workload(&b, "W2");
  if (w2 && get_expect(&b, "W2", "expect", &expect)) rows[ROW_W2].m = run_eval(&b, w2, b.ctx_true, expect, "W2");
  w3 = compile_workload(&b, "W3");
  if (w3 && get_expect(&b, "W3", "expect", &expect)) rows[ROW_W3].m = run_eval(&b, w3, b.ctx_true, expect, "W3");

  /* W4: every rule per context, in priority order. */
  if (load_ruleset(&b, rs)) rows[ROW_W4].m = run_ruleset(&b, rs, b.ctx_true);
  /* The same 22 rules loaded as a ruleset: one call per context. */
  if (rs->n_expect) rows[ROW_W4_RULESET].m = run_w4_ruleset(&b, rs, false, false, false);
  /* ... explained: the cost of tracing (rendering the trace is not timed) */
  if (rs->n_expect) rows[ROW_W4_EXPLAIN].m = run_w4_ruleset(&b, rs, true, false, false);
  /* ... counted for metrics */
  if (rs->n_expect) rows[ROW_W4_METRICS].m = run_w4_ruleset(&b, rs, false, true, false);
  /* ... as rulec eval --cases does it: JSON text in, JSON text out */
  if (rs->n_expect) rows[ROW_W4_BATCH].m = run_w4_ruleset(&b, rs, false, false, true);
  /* Loading the flagship ruleset from its files. */
  if (argc == 4) {
    load_case lc = {.path = argv[3]};
    rows[ROW_LOAD].m = measure_batch(batch_load, &lc);
    if (lc.failures) {
      fprintf(stderr, "bench: loading %s failed %" PRIu64 " times\n", argv[3], lc.failures);
      b.wrong = true;
      rows[ROW_LOAD].m.done = false;
    }
  }

  /* The same ruleset watched: the hot path of reloadable rules, and how
   * soon a change serves. */
  run_watch(&b, &rows[ROW_WATCH].m, &rows[ROW_WATCH_2].m, &rows[ROW_WATCH_CHANGE].m);

  /* C1: compile W2 from source against the loaded schema. */
  const char *c1_of = json_string_value(json_object_get(json_object_get(b.doc, "C1"), "expr_of"));
  const char *c1_source = get_string(json_object_get(b.doc, c1_of ? c1_of : "W2"), "expr", "C1.expr_of");
  if (c1_source) {
    compile_case c1 = {.env = b.env, .source = c1_source, .length = strlen(c1_source)};
    rows[ROW_C1].m = measure_batch(batch_compile, &c1);
    if (c1.failures) {
      fprintf(stderr, "bench: C1: %" PRIu64 " compiles failed\n", c1.failures);
      b.wrong = true;
      rows[ROW_C1].m.done = false;
    }
  } else {
    b.wrong = true;
  }

  /* Loading and freezing a generated schema of 100,000 fields. */
  schema_case sc = {0};
  sc.text = schema_text(&sc.length);
  if (sc.text) {
    rows[ROW_SCHEMA].m = measure_batch(batch_schema, &sc);
    if (sc.failures) {
      fprintf(stderr, "bench: the generated schema failed to load %" PRIu64 " times\n", sc.failures);
      b.wrong = true;
      rows[ROW_SCHEMA].m.done = false;
    }
    free(sc.text);
  }

  /* Filling a context from JSON text (reset + set_json), on an activation
   * of its own; the prepared contexts above stay as they are. */
  fill.activation = rulecore_activation_new(b.schema);
  plan.activation = rulecore_activation_new(b.schema);
  if (!fill.activation || !plan.activation) {
    fprintf(stderr, "bench: rulecore_activation_new: out of memory\n");
    goto done;
  }
  fill.text = b.text_true;
  fill.length = strlen(b.text_true);
  rows[ROW_FILL_JSON].m = measure_batch(batch_fill_json, &fill);
  if (fill.status != RULECORE_OK) {
    fprintf(stderr, "bench: fill from JSON: statuses or-ed %d\n", fill.status);
    b.wrong = true;
    rows[ROW_FILL_JSON].m.done = false;
  }

  /* Filling the same context through slots; then the rules must give the
   * same results on it as on the context filled from JSON. */
  if (plan_context(&b, &plan, "context_true")) {
    rows[ROW_FILL_SLOTS].m = measure_batch(batch_fill_slots, &plan);
    bool ok = plan.status == RULECORE_OK;
    if (!ok) fprintf(stderr, "bench: fill through slots: statuses or-ed %d\n", plan.status);
    if (ok && w1) ok = check_once(w1, plan.activation, b.result, expect_true, "W1 on the slot-filled context");
    if (ok && w2 && get_expect(&b, "W2", "expect", &expect))
      ok = check_once(w2, plan.activation, b.result, expect, "W2 on the slot-filled context");
    if (ok && w3 && get_expect(&b, "W3", "expect", &expect))
      ok = check_once(w3, plan.activation, b.result, expect, "W3 on the slot-filled context");
    if (ok && rs->n_rules) {
      sink = batch_ruleset(rs, 1);
      ok = rs->status == RULECORE_OK && ruleset_matches_expected(rs);
      if (!ok) {
        fprintf(stderr, "bench: W4 on the slot-filled context: WRONG RESULT\n");
        print_id_list("expected", rs->expect, rs->n_expect);
        print_id_list("matched ", rs->matched, rs->n_matched);
      }
    }
    if (!ok) {
      b.wrong = true;
      rows[ROW_FILL_SLOTS].m.done = false;
    }
  } else {
    b.wrong = true;
  }

  print_table(rows, N_ROWS);
  if (b.wrong) {
    fprintf(stderr, "bench: some workloads gave wrong results or failed: %s not written\n", argv[2]);
    exit_status = EXIT_WRONG;
  } else if (write_results(rows, N_ROWS, fmax(rows[ROW_W1_TRUE].m.allocs, rows[ROW_W1_FALSE].m.allocs),
                           argv[2])) {
    printf("wrote %s\n", argv[2]);
    exit_status = EXIT_SUCCESS;
  }

done:
  for (size_t i = 0; rs && i < rs->n_rules; i++) rulecore_program_free(rs->rules[i].program);
  free(rs);
  free(plan.ops);
  rulecore_activation_free(plan.activation);
  rulecore_activation_free(fill.activation);
  rulecore_program_free(w1);
  rulecore_program_free(w2);
  rulecore_program_free(w3);
  rulecore_result_free(b.result);
  rulecore_activation_free(b.ctx_true);
  rulecore_activation_free(b.ctx_false);
  rulecore_env_free(b.env);
  rulecore_schema_free(b.schema);
  free(b.text_true);
  json_decref(b.doc);
  return exit_status;
}
