/*
 * metrics.c: counting a ruleset's evaluations, and the Prometheus text
 * exposition of the counts.
 *
 * What is counted (see ruleset.h for how): evaluations; errors by kind
 * (an expression's error value that failed a decision, a hit policy's
 * conflict or overflow, a validation that could not be checked); each
 * decision's outcomes; each rule's matches; each validation's failures;
 * and a latency histogram.  Counting is off until
 * rulecore_ruleset_enable_metrics; then it costs an evaluation two clock
 * reads and some increments of counters no other thread writes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "ruleset.h"

/* Latency bucket bounds, in ns (the last bucket is +Inf). */
static const int64_t bucket_ns[MC_BUCKETS - 1] = {250,    500,    1000,    2500,    5000,    10000,  25000,
                                                  50000,  100000, 250000,  500000,  1000000, 10000000};

enum { ERR_EXPRESSION, ERR_HIT_POLICY, ERR_VALIDATION, N_ERR };
static const char *const err_kinds[N_ERR] = {"expression", "hit_policy", "validation"};
static const char *const outcome_names[5] = {"not_evaluated", "rule", "default", "no_match", "error"};

/* The layout of the counters. */
#define I_EVALS 0
#define I_ERR 1
#define I_OUTCOME (I_ERR + N_ERR)
#define I_RULE(rs) (I_OUTCOME + 5 * (size_t)(rs)->ndecisions)
#define I_VALID(rs) (I_RULE(rs) + (rs)->nrules)
#define I_BUCKET(rs) (I_VALID(rs) + (rs)->nvalidations)
#define I_SUM(rs) (I_BUCKET(rs) + MC_BUCKETS)

size_t metrics_size(const rulecore_ruleset *rs) { return I_SUM(rs) + 1; }

int64_t metrics_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Add n to a counter only its owner writes. */
static inline void add(_Atomic uint64_t *c, uint64_t n) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

RULECORE_API rulecore_status rulecore_ruleset_enable_metrics(rulecore_ruleset *rs) {
  if (!rs) return RULECORE_ERR_ARGUMENT;
  if (atomic_load(&rs->metrics)) return RULECORE_OK;
  rs_metrics *m = mem_calloc(1, sizeof *m);
  _Atomic uint64_t *t = mem_calloc(metrics_size(rs), sizeof *t);
  if (!m || !t) {
    mem_free(m);
    mem_free((void *)t);
    return RULECORE_ERR_NOMEM;
  }
  pthread_mutex_init(&m->lock, NULL);
  m->totals = t;
  rs_metrics *none = NULL;
  if (!atomic_compare_exchange_strong(&rs->metrics, &none, m)) metrics_free(m); /* another thread won */
  return RULECORE_OK;
}

void metrics_free(rs_metrics *m) {
  if (!m) return;
  pthread_mutex_destroy(&m->lock);
  mem_free((void *)m->totals);
  mem_free(m);
}

bool metrics_attach(rulecore_decisions *o, const rulecore_ruleset *rs) {
  rs_metrics *m = atomic_load(&rs->metrics);
  o->mc = mem_calloc(metrics_size(rs), sizeof *o->mc);
  if (!o->mc) return false;
  pthread_mutex_lock(&m->lock);
  o->mprev = NULL;
  o->mnext = m->head;
  if (m->head) m->head->mprev = o;
  m->head = o;
  pthread_mutex_unlock(&m->lock);
  return true;
}

void metrics_detach(rulecore_decisions *o) {
  if (!o->mc) return;
  rs_metrics *m = atomic_load(&o->rs->metrics);
  size_t n = metrics_size(o->rs);
  pthread_mutex_lock(&m->lock);
  for (size_t i = 0; i < n; i++) atomic_fetch_add_explicit(&m->totals[i], o->mc[i], memory_order_relaxed);
  if (o->mprev) o->mprev->mnext = o->mnext;
  else m->head = o->mnext;
  if (o->mnext) o->mnext->mprev = o->mprev;
  pthread_mutex_unlock(&m->lock);
  mem_free((void *)o->mc);
  o->mc = NULL;
  o->mprev = o->mnext = NULL;
}

void metrics_count(rulecore_decisions *o, int64_t ns) {
  const rulecore_ruleset *rs = o->rs;
  _Atomic uint64_t *c = o->mc;
  add(&c[I_EVALS], 1);
  for (uint32_t i = 0; i < rs->ndecisions; i++) {
    const dec_state *s = &o->st[i];
    if (s->outcome == RULECORE_OUTCOME_NOT_EVALUATED) continue;
    add(&c[I_OUTCOME + 5 * (size_t)i + s->outcome], 1);
    if (s->outcome == RULECORE_OUTCOME_ERROR) add(&c[I_ERR + (s->err_kind ? ERR_HIT_POLICY : ERR_EXPRESSION)], 1);
    _Atomic uint64_t *rules = &c[I_RULE(rs) + rs->decisions[i].rule_base];
    for (uint32_t k = 0; k < s->mcount; k++) add(&rules[o->matched[s->mstart + k]], 1);
  }
  for (uint32_t k = 0; k < o->nviols; k++) {
    add(&c[I_VALID(rs) + o->viols[k].validation], 1);
    if (o->viols[k].error) add(&c[I_ERR + ERR_VALIDATION], 1);
  }
  uint32_t b = 0;
  while (b < MC_BUCKETS - 1 && ns > bucket_ns[b]) b++;
  add(&c[I_BUCKET(rs) + b], 1);
  add(&c[I_SUM(rs)], (uint64_t)(ns > 0 ? ns : 0));
}

/* ---- the exposition ---- */

/* A label value, escaped as the text format wants (\\, \", \n). */
static void label(buf *b, const char *name, const char *v) {
  buf_printf(b, "%s=\"", name);
  for (const char *p = v ? v : ""; *p; p++) {
    if (*p == '\\') buf_puts(b, "\\\\");
    else if (*p == '"') buf_puts(b, "\\\"");
    else if (*p == '\n') buf_puts(b, "\\n");
    else buf_putc(b, *p);
  }
  buf_putc(b, '"');
}

static void metric_family(buf *b, const char *name, const char *kind, const char *help) {
  buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind);
}

void metrics_render(buf *b, const rulecore_ruleset *rs) {
  rs_metrics *m = atomic_load(&rs->metrics);
  size_t n = metrics_size(rs);
  uint64_t *v = mem_calloc(n, sizeof *v);
  if (!v) {
    b->oom = true;
    return;
  }
  if (m) {
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < n; i++) v[i] = atomic_load_explicit(&m->totals[i], memory_order_relaxed);
    for (const rulecore_decisions *o = m->head; o; o = o->mnext)
      for (size_t i = 0; i < n; i++) v[i] += atomic_load_explicit(&o->mc[i], memory_order_relaxed);
    pthread_mutex_unlock(&m->lock);
  }
  metric_family(b, "rulecore_ruleset_info", "gauge", "The ruleset counted: its revision (1 while it serves).");
  buf_puts(b, "rulecore_ruleset_info{");
  label(b, "revision", rs->revision);
  buf_puts(b, "} 1\n");
  metric_family(b, "rulecore_evaluations_total", "counter", "Evaluations of the ruleset.");
  buf_printf(b, "rulecore_evaluations_total %llu\n", (unsigned long long)v[I_EVALS]);
  metric_family(b, "rulecore_errors_total", "counter",
         "Errors by kind: a decision failed by an expression's error or by its hit policy; a validation that could not be checked.");
  for (int k = 0; k < N_ERR; k++) {
    buf_puts(b, "rulecore_errors_total{");
    label(b, "kind", err_kinds[k]);
    buf_printf(b, "} %llu\n", (unsigned long long)v[I_ERR + k]);
  }
  metric_family(b, "rulecore_decision_outcomes_total", "counter",
         "Decisions evaluated, by outcome (rule, default, no_match, error).");
  for (uint32_t i = 0; i < rs->ndecisions; i++)
    for (int k = 1; k < 5; k++) {
      buf_puts(b, "rulecore_decision_outcomes_total{");
      label(b, "decision", rs->decisions[i].name);
      buf_putc(b, ',');
      label(b, "outcome", outcome_names[k]);
      buf_printf(b, "} %llu\n", (unsigned long long)v[I_OUTCOME + 5 * (size_t)i + k]);
    }
  metric_family(b, "rulecore_rule_matches_total", "counter", "Times each rule matched.");
  for (uint32_t i = 0; i < rs->ndecisions; i++) {
    const rs_decision *dc = &rs->decisions[i];
    for (uint32_t k = 0; k < dc->nrules; k++) {
      buf_puts(b, "rulecore_rule_matches_total{");
      label(b, "decision", dc->name);
      buf_putc(b, ',');
      label(b, "rule", dc->rules[k].id);
      buf_printf(b, "} %llu\n", (unsigned long long)v[I_RULE(rs) + dc->rule_base + k]);
    }
  }
  metric_family(b, "rulecore_validation_failures_total", "counter", "Times each validation failed.");
  for (uint32_t i = 0; i < rs->nvalidations; i++) {
    buf_puts(b, "rulecore_validation_failures_total{");
    label(b, "validation", rs->validations[i].id);
    buf_putc(b, ',');
    label(b, "severity", rs->validations[i].severity == RULECORE_SEVERITY_WARNING ? "warning" : "error");
    buf_printf(b, "} %llu\n", (unsigned long long)v[I_VALID(rs) + i]);
  }
  metric_family(b, "rulecore_evaluation_duration_seconds", "histogram", "Time of one evaluation of the ruleset.");
  uint64_t cum = 0;
  for (int k = 0; k < MC_BUCKETS; k++) {
    cum += v[I_BUCKET(rs) + k];
    if (k < MC_BUCKETS - 1)
      buf_printf(b, "rulecore_evaluation_duration_seconds_bucket{le=\"%g\"} %llu\n", (double)bucket_ns[k] / 1e9,
                 (unsigned long long)cum);
    else
      buf_printf(b, "rulecore_evaluation_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
  }
  buf_printf(b, "rulecore_evaluation_duration_seconds_sum %.9f\n", (double)v[I_SUM(rs)] / 1e9);
  buf_printf(b, "rulecore_evaluation_duration_seconds_count %llu\n", (unsigned long long)cum);
  mem_free(v);
}

RULECORE_API char *rulecore_ruleset_metrics(const rulecore_ruleset *rs) {
  if (!rs) return NULL;
  buf b = {0};
  metrics_render(&b, rs);
  return buf_take(&b);
}
