/*
 * eval.h: compiled programs and their evaluation.
 *
 * A program is a tree of closures (cnode): each holds the function that
 * evaluates it, chosen by the compiler (compile.c) from the checked types
 * of its operands and result, plus its operands and constants.  Closures
 * are specialised by result family: a bool node returns 0 / 1 / EV_ERROR,
 * int, uint, double and string nodes return their raw payload, and only
 * nodes whose static type is anything else (dyn, lists, maps, records,
 * timestamps...) return a boxed value.  An error is recorded out of band
 * in the evaluation state (ev.err, with its message and position); after
 * evaluating an operand a closure checks it.  Every closure function is
 * listed once in closures.def.
 *
 * The program is immutable once compiled; the evaluation state (struct
 * rulecore_result, called ev here) is per thread.
 */
#ifndef RULECORE_EVAL_H
#define RULECORE_EVAL_H

#include "internal.h"
#include "mem.h"
#include "schema.h"
#include "type.h"
#include "value.h"

/* Result families. */
typedef enum family { F_BOOL, F_INT, F_UINT, F_DOUBLE, F_STRING, F_VALUE } family;

#define EV_FALSE 0
#define EV_TRUE 1
#define EV_ERROR 2 /* a bool node failed: ev.err says why */

typedef struct rulecore_result ev;
typedef struct cnode cnode;

typedef int (*fn_b)(const cnode *, ev *);
typedef int64_t (*fn_i)(const cnode *, ev *);
typedef uint64_t (*fn_u)(const cnode *, ev *);
typedef double (*fn_d)(const cnode *, ev *);
typedef str (*fn_s)(const cnode *, ev *);
typedef value (*fn_v)(const cnode *, ev *);

struct cnode {
  union {
    fn_b b;
    fn_i i;
    fn_u u;
    fn_d d;
    fn_s s;
    fn_v v;
  } fn;
  uint8_t fam;  /* family */
  uint8_t op;   /* a closure's sub-operation (comparison, macro kind) */
  uint16_t ov;  /* overload id, for generic calls (0: dispatch at run time) */
  uint32_t slot; /* variable or local slot */
  uint32_t field; /* record field index */
  uint32_t n;     /* kids */
  uint32_t line, column;
  const cnode *a, *b, *c;
  const cnode **kids;
  value k;       /* a constant operand */
  const void *p; /* auxiliary data: a regex, a string set, names */
  const char *name; /* the variable, field or function named, for messages */
  const uint32_t *idx; /* record literals: the field index of each kid */
};

/* A constant set of strings, for `s in ["a", "b"]`. */
typedef struct str_set {
  uint32_t n;
  const str *items;
} str_set;

/* The evaluation state: what rulecore_result is inside. */
struct rulecore_result {
  pool pool;         /* scratch of one evaluation, reset at the next */
  const value *vars; /* the activation's variables */
  uint32_t nvars;
  value *locals; /* comprehension variables, by scope slot */
  uint32_t nlocals;
  const char *err; /* the pending error, or NULL */
  uint32_t err_line, err_column;
  bool oom;
  uint64_t cost, cost_limit;
  void *match_data; /* PCRE2 match data, made on first use */
  struct trace_slot *trace; /* explaining: where traced nodes record (see compile_traced) */
  value result;     /* V_ERROR with the message in s after a failure */
};

/* Raise an error at node n (a static message or one in the pool). */
INTERNAL void ev_fail(ev *e, const cnode *n, const char *msg);
INTERNAL void ev_failf(ev *e, const cnode *n, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Allocate from the evaluation's pool; on failure raise "out of memory". */
INTERNAL void *ev_alloc(ev *e, const cnode *n, size_t size);
/* Count units of cost (comprehension iterations, bytes and elements
 * built); false, with the error raised, past the program's limit. */
INTERNAL bool ev_spend(ev *e, const cnode *n, uint64_t units);
/* Evaluate any node as a boxed value. */
INTERNAL value ev_value(const cnode *n, ev *e);

/* Every closure function: cl_NAME, returning its family's type. */
#define EV_RET_B int
#define EV_RET_I int64_t
#define EV_RET_U uint64_t
#define EV_RET_D double
#define EV_RET_S str
#define EV_RET_V value
#define CLOSURE(name, fam) INTERNAL EV_RET_##fam cl_##name(const cnode *n, ev *e);
#include "closures.def"
#undef CLOSURE

/* Comparison operators, as cnode.op of the comparison closures. */
typedef enum cmp_op { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE } cmp_op;

/* The compiled program. */
struct rulecore_program {
  arena arena;             /* every cnode and constant */
  const cnode *root;
  rulecore_schema *schema; /* a reference, or NULL */
  const char *type_name;
  uint64_t cost_limit;     /* 0: none */
  uint32_t nlocals;        /* comprehension nesting */
  struct regex_list *regexes; /* compiled constant regexes, freed with the program */
};

/* Compile the checked tree t (its root typed) into p's closures.
 * RULECORE_OK or RULECORE_ERR_NOMEM. */
struct ast;
INTERNAL rulecore_status compile_program(rulecore_program *p, const struct ast *t);
INTERNAL void compile_release(rulecore_program *p);
/* Whether p's whole program folded to a constant: then *out is its value
 * (pointing into p). */
INTERNAL bool compile_constant(const rulecore_program *p, value *out);

/* Explaining.  A program compiled with compile_traced has, around every
 * node that is not a constant, a trace closure that records the node's
 * value into ev.trace[its point]: the sub-expressions' values of one
 * evaluation, for showing why it came out as it did.  Specialisations that
 * fuse a node with its operands (a field compared with a constant) and
 * folding across traced nodes are given up there; semantics are the same.
 * Points are numbered across every program compiled with one tracer, so
 * one slot array serves them all. */
typedef struct trace_point {
  uint32_t parent;          /* the enclosing traced point; UINT32_MAX: none */
  uint32_t offset, length;  /* the node's bytes in the expression's text */
  uint32_t kid_offset[2], kid_length[2]; /* operator operands (binary: 2, unary: 1) */
  uint8_t kind;             /* ast_kind */
  uint8_t op;               /* ast_op of a unary or binary node */
  uint8_t nkids;
} trace_point;

typedef struct trace_slot {
  value v;         /* the last value recorded (V_ERROR: the message in s) */
  uint32_t hits;   /* times the node was evaluated (comprehensions: more than once) */
} trace_slot;

typedef struct tracer {
  trace_point *points; /* mem_alloc'ed; the tracer's owner frees it */
  uint32_t n, cap;
  bool oom;
} tracer;

/* Compile t into p as compile_program does, with trace closures whose
 * points are appended to tr.  RULECORE_OK or RULECORE_ERR_NOMEM. */
INTERNAL rulecore_status compile_traced(rulecore_program *p, const struct ast *t, tracer *tr);

/* Evaluate p against vars[0..nvars) into e.  RULECORE_OK, ERR_EVAL or
 * ERR_NOMEM; e->result holds the value (or the error). */
INTERNAL rulecore_status eval_program(const rulecore_program *p, const value *vars, uint32_t nvars, ev *e);
/* The same as one step of a larger evaluation (a ruleset's): the pool,
 * the cost spent and its limit are the caller's and left as they are, so
 * values of earlier steps stay valid. */
INTERNAL rulecore_status eval_run(const rulecore_program *p, const value *vars, uint32_t nvars, ev *e);
INTERNAL void eval_release(ev *e);

/* Whether value v fits parameter type t of an overload: the check of
 * run-time dispatch (type parameters and dyn take anything; a list's
 * elements are checked where they are used). */
INTERNAL bool eval_fits(const type *t, value v);

/* Run overload id on boxed arguments (the generic path, also used by
 * constant folding).  Errors are raised at n. */
INTERNAL value eval_overload(ev *e, const cnode *n, uint16_t id, const value *args, uint32_t nargs);

#endif
