/*
 * ruleset.h: rulesets, from rule files to one evaluation call.
 *
 * Loading has two stages with this header between them:
 *   luahost.c runs the rule files (Lua 5.4, sandboxed) and records what
 *     they declare into an rs_builder: plain C data, every CEL string
 *     with the place in its file it came from;
 *   ruleset.c builds the ruleset from it: the schema with one computed
 *     variable per decision, every expression checked and compiled (its
 *     diagnostics moved into the rule file), the decision graph with its
 *     cycles rejected and its evaluation order, and the tests' contexts
 *     and expectations read; then it evaluates rulesets.
 * The Lua state is closed before ruleset.c starts: evaluation never
 * enters Lua.
 */
#ifndef RULECORE_RULESET_H
#define RULECORE_RULESET_H

#include "diag.h"
#include "eval.h"

#include <pthread.h>
#include "internal.h"
#include "mem.h"
#include "source.h"

/* A file the load read: a rule file, the schema file, a test's context. */
typedef struct rs_file {
  char *path;    /* as diagnostics name it: the ruleset path joined with rel */
  char *rel;     /* relative to the ruleset's directory */
  char *text;    /* its bytes, NUL-terminated */
  size_t len;
  source src;    /* line index, for positions */
  bool lua;      /* a rule file (its string literals are indexed) */
  struct rs_literal *lits; /* lua: its string literals, in source order */
  struct rs_literal **lits_by_text; /* the same by (length, text, offset), for finding one */
  uint32_t nlits;
} rs_file;

/* A string literal of a rule file. */
typedef struct rs_literal {
  uint32_t offset;       /* of the literal's first content byte */
  uint32_t len;          /* decoded length */
  const char *text;      /* decoded, in the builder's arena */
  const uint32_t *map;   /* short strings with escapes: the file offset of
                          * each decoded byte (len + 1 entries); NULL when
                          * byte i is at offset + i */
  bool claimed;          /* matched to a declared string already */
} rs_literal;

/* Where a declaration stands: a file and a position in it (line 0: none). */
typedef struct rs_loc {
  uint32_t file;
  uint32_t line, column;
  size_t offset, length;
} rs_loc;

/* How a value was written in Lua. */
typedef enum rs_lua_kind { RS_STRING, RS_INT, RS_FLOAT, RS_BOOL } rs_lua_kind;

/* A CEL expression (or a type spelling) given in a rule file. */
typedef struct rs_text {
  const char *text; /* NULL: not given */
  size_t len;
  rs_lua_kind kind; /* RS_INT etc.: a Lua number or boolean, text its CEL literal */
  const rs_literal *lit; /* the literal it was written as; NULL: built by the program */
  rs_loc at;        /* the literal, or the call that declared it */
} rs_text;

typedef enum rs_hit { HIT_FIRST, HIT_UNIQUE, HIT_ANY, HIT_COLLECT } rs_hit;
typedef enum rs_aggregate { AGG_NONE, AGG_SUM, AGG_MIN, AGG_MAX, AGG_COUNT } rs_aggregate;

typedef struct rs_brule {
  const char *id;
  int64_t decision; /* index of its decision; -1 until a decision lists it */
  int64_t priority;
  uint32_t order;   /* declaration order */
  rs_text when, value;
  const char *description;
  const char **tags;
  uint32_t ntags;
  rs_loc loc;
} rs_brule;

typedef struct rs_bdecision {
  const char *name;
  rs_text type;
  rs_hit hit;
  rs_aggregate aggregate;
  rs_text deflt;
  const char *description;
  uint32_t *rules; /* indices into the builder's rules, as listed */
  uint32_t nrules;
  rs_loc loc;
} rs_bdecision;

typedef struct rs_bvalidation {
  const char *id;
  rs_text expr, message;
  rulecore_severity severity;
  const char *description;
  rs_loc loc;
} rs_bvalidation;

typedef struct rs_bpair {
  const char *key, *value;
  rs_loc loc;
} rs_bpair;

typedef struct rs_btest {
  const char *name;
  char *context;     /* JSON text */
  size_t context_len;
  int64_t context_file; /* the file it was read from, or -1: a Lua table */
  char *expect;      /* JSON object text: decision -> value; NULL: none */
  size_t expect_len;
  const char **expect_keys; /* its keys, in order, for diagnostics */
  uint32_t nexpect;
  rs_bpair *rules;   /* decision -> expected rule id ("default") */
  uint32_t nrules;
  const char **violations; /* the exact set expected; NULL with has_violations false: unchecked */
  uint32_t nviolations;
  bool has_violations;
  const char *description;
  rs_loc loc;
} rs_btest;

#define RS_VEC(T) \
  struct {        \
    T *items;     \
    uint32_t n, cap; \
  }

/* What the rule files declared. */
typedef struct rs_builder {
  arena arena;
  const char *root;  /* the ruleset's directory, as given */
  RS_VEC(rs_file) files;
  /* the schema: a file (schema_file >= 0) or inline JSON text */
  int64_t schema_file;
  char *schema_json;
  size_t schema_json_len;
  rs_loc schema_loc;
  bool has_schema;
  RS_VEC(rs_bdecision) decisions;
  RS_VEC(rs_brule) rules;
  RS_VEC(rs_bvalidation) validations;
  RS_VEC(rs_btest) tests;
} rs_builder;

/* Grow a vector to hold one more item; NULL when out of memory. */
#define RS_PUSH(v) \
  ((v).n < (v).cap || rs_grow((void **)&(v).items, &(v).cap, sizeof *(v).items) ? &(v).items[(v).n++] : NULL)
INTERNAL bool rs_grow(void **items, uint32_t *cap, size_t size);

INTERNAL void rs_builder_release(rs_builder *b);

/* A diagnostic at loc of file loc->file of b (no position when line 0). */
INTERNAL bool rs_report(rs_builder *b, rulecore_diagnostics *d, const rs_loc *loc, int code, const char *fmt, ...)
    PRINTF_LIKE(5, 6);

typedef struct luahost_limits {
  uint64_t memory;       /* bytes the Lua state may hold */
  uint64_t instructions; /* Lua instructions the load may run */
} luahost_limits;

/* Run the rule files at path (a directory: each *.lua in it, in name
 * order; or one file) in a sandboxed Lua state and record their
 * declarations into b (zeroed by the caller, released by the caller in
 * every case).  Reports every problem into d and goes on where it can.
 * RULECORE_OK, RULECORE_ERR_SOURCE, RULECORE_ERR_IO (path unreadable;
 * reported too) or RULECORE_ERR_NOMEM. */
INTERNAL rulecore_status luahost_load(rs_builder *b, const char *path, const luahost_limits *limits,
                                      rulecore_diagnostics *d);

/* ---- the built ruleset ----
 * Made by ruleset.c and evaluated there; explain.c renders the traces of
 * an explained evaluation from the same structures. */

/* A compiled expression and where it was written. */
typedef struct rs_expr {
  rulecore_program *prog; /* NULL: not given */
  bool constant;          /* prog folded to k: no need to run it */
  value k;
  const char *text;       /* as written, in the ruleset's arena */
  size_t len;
  uint32_t file;
  const rs_literal *lit;  /* its literal in that file (the builder's: only while loading) */
  uint32_t lit_offset;    /* copies of lit's mapping, kept for run-time errors */
  const uint32_t *map;
  bool generated;         /* built by the program: positions are the call's */
  uint32_t line, column;  /* the literal's start, or the call */
  const char *want;       /* the result type it was checked for (NULL: any) */
  uint32_t tfirst, tn;    /* explaining copies: its trace points (tn 0: none) */
} rs_expr;

typedef struct rs_rule {
  const char *id;
  int64_t priority;
  uint32_t order;
  rs_expr when, value;
  const char *description;
  const char **tags;
  uint32_t ntags;
  uint32_t file, line;
} rs_rule;

/* What evaluation reads of a rule, packed so the loop over a decision's
 * rules stays in a few cache lines. */
enum { HOT_ALWAYS, HOT_NEVER, HOT_BOOL, HOT_SLOW }; /* conditions */
enum { HOT_NONE, HOT_CONST, HOT_EVAL };            /* values */
typedef struct rs_hot {
  const cnode *when;  /* HOT_BOOL: its bool root */
  const cnode *value; /* HOT_EVAL: its root */
  value k;            /* HOT_CONST: the value */
  uint8_t wk, vk;
} rs_hot;

typedef struct rs_decision {
  const char *name, *type_name, *hit_name, *description;
  rs_hit hit;
  rs_aggregate aggregate;
  uint32_t var; /* its computed variable's slot */
  const type *type;
  rs_expr deflt;
  rs_rule *rules;
  rs_hot *hot; /* per rule, as rules */
  uint32_t nrules;
  uint32_t rule_base; /* of its first rule in the ruleset's numbering of rules (metrics) */
  uint32_t *inputs; /* decisions it reads */
  uint32_t ninputs;
  const char **fields; /* context fields it reads ("user.age"), sorted */
  uint32_t nfields;
  rs_loc loc;
} rs_decision;

typedef struct rs_validation {
  const char *id;
  rs_expr expr, message;
  rulecore_severity severity;
  uint32_t *inputs;
  uint32_t ninputs;
  const char **fields; /* context fields it reads, sorted */
  uint32_t nfields;
} rs_validation;

typedef struct rs_test {
  const char *name;
  rulecore_activation *context;
  rulecore_activation *expect; /* computed slots hold the expected values */
  uint32_t *expect_decisions;
  uint32_t nexpect;
  uint32_t *rule_decisions;
  const char **rule_ids;
  uint32_t nrules;
  const char **violations;
  uint32_t nviolations;
  bool has_violations;
} rs_test;

typedef struct rs_filecopy {
  char *path;
  char *text;
  source src;
} rs_filecopy;

struct rulecore_ruleset {
  atomic_uint refs;
  arena arena;
  rulecore_schema *schema;
  uint32_t nuser; /* the context's variables: slots 0..nuser-1 */
  uint32_t nvars;
  char revision[65];
  rs_filecopy *files;
  uint32_t nfiles;
  rs_decision *decisions;
  uint32_t ndecisions;
  uint32_t *order; /* decisions in evaluation order */
  _Atomic(struct rs_metrics *) metrics; /* counting evaluations; NULL: not */
  _Atomic(struct rs_log *) log;   /* the decision log's sink (declog.c); NULL: none */
  struct rs_log *logs_retired;    /* sinks replaced, freed with the ruleset */
  pthread_mutex_t log_lock;       /* setting the sink */
  char commit[41];                /* the git commit of the rules' work tree at load; "": none */
  rs_validation *validations;
  uint32_t nvalidations;
  rs_test *tests;
  uint32_t ntests;
  uint32_t nrules;     /* in all */
  uint32_t max_rules;  /* of one decision */
  uint32_t max_locals;
  uint64_t cost_limit; /* 0: none */
};

typedef struct dec_state {
  uint8_t outcome;   /* rulecore_outcome */
  uint8_t err_kind;  /* RULECORE_OUTCOME_ERROR: an expression's (0) or the hit policy's (1) */
  uint32_t tried;    /* rules tried, in priority order */
  int32_t rule;      /* index in its decision of the producing rule; -1 */
  uint32_t mstart, mcount; /* its matched rules in the matched array */
  const char *err_file;
} dec_state;

typedef struct violation {
  uint32_t validation;
  bool error;        /* its expression failed: it could not be checked */
  const char *message;
} violation;

struct rulecore_decisions {
  rulecore_ruleset *rs; /* a reference */
  ev e;
  value *vars;
  dec_state *st;
  rulecore_result *views;
  uint8_t *need;
  uint32_t *stack;
  uint32_t *matched; /* rule indexes (within their decision) */
  uint32_t nmatched;
  value *tmp;
  violation *viols;
  uint32_t nviols;
  bool explain;           /* trace evaluations (rulecore_decisions_set_explain) */
  _Atomic uint64_t *mc;   /* metrics on: this object's counts for rs (metrics.c); NULL: none */
  struct rulecore_decisions *mprev, *mnext; /* in rs->metrics' list of counting objects */
  struct rs_explain *xp;  /* the traced copy of rs, made on the first explained evaluation */
};

/* An explained ruleset: copies of rs's decisions and validations whose
 * expressions are compiled with trace closures (compile_traced), all
 * recording into slots.  One per rulecore_decisions (so per thread). */
typedef struct rs_explain {
  const rulecore_ruleset *rs; /* the one copied (o->rs) */
  arena arena;                /* the copies */
  tracer tr;                  /* the points of every traced expression */
  trace_slot *slots;          /* tr.n of them, cleared before each evaluation */
  rs_decision *decisions;
  rs_validation *validations;
  rulecore_program **progs;   /* the traced programs, owned */
  uint32_t nprogs, capprogs;
} rs_explain;

/* How outcomes (rulecore_outcome) are named in JSON: rendered outcomes,
 * explanations, decision-log records. */
INTERNAL extern const char *const rs_outcome_names[5];

/* ---- metrics (metrics.c) ----
 * Counting is per rulecore_decisions, so per thread: the owner adds to
 * its own counters with relaxed loads and stores (no lock, no shared
 * cache line), and a rendering sums the ruleset's totals and every
 * counting object's counters.  An object that rebinds or is freed adds
 * its counts to the totals and leaves the list. */
enum { MC_BUCKETS = 14 }; /* latency buckets, +Inf last */
typedef struct rs_metrics {
  pthread_mutex_t lock;            /* the list, and folding counts into totals */
  struct rulecore_decisions *head; /* the counting objects */
  _Atomic uint64_t *totals;        /* metrics_size(rs) counters */
} rs_metrics;

/* Counter indexes (see metrics.c): evaluations, errors by kind, outcomes
 * per decision, matches per rule, failures per validation, latency. */
INTERNAL size_t metrics_size(const rulecore_ruleset *rs);
/* Give o (bound to rs, whose metrics are on) counters; false: no memory. */
INTERNAL bool metrics_attach(rulecore_decisions *o, const rulecore_ruleset *rs);
/* Fold o's counts into its ruleset's totals and free them. */
INTERNAL void metrics_detach(rulecore_decisions *o);
/* Count o's last evaluation, which took ns. */
INTERNAL void metrics_count(rulecore_decisions *o, int64_t ns);
INTERNAL void metrics_free(rs_metrics *m);
/* CLOCK_MONOTONIC in ns. */
INTERNAL int64_t metrics_now(void);

/* declog.c: the decision log.  declog_emit hands the record of o's last
 * evaluation of activation a (taking ns) to its ruleset's sink, if any;
 * declog_find_commit records the commit of the work tree holding path;
 * declog_free frees the sinks. */
INTERNAL void declog_emit(const rulecore_decisions *o, const rulecore_activation *a, int64_t ns);
INTERNAL void declog_find_commit(rulecore_ruleset *rs, const char *path);
INTERNAL void declog_free(rulecore_ruleset *rs);

/* explain.c: render o's last evaluation with its traces (o->xp) into b:
 * format TEXT or JSON; colour (ANSI) in TEXT when asked. */
INTERNAL void explain_render(buf *b, const rulecore_decisions *o, rulecore_format format, bool colour);

#endif
