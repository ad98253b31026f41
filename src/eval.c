/*
 * eval.c: the closure functions (closures.def), CEL's run-time semantics
 * of every standard overload, and errors.
 *
 * Conventions: a closure evaluates its operands with EV* and returns as
 * soon as one failed (FAILED()), leaving the error in e; a bool closure
 * returns EV_ERROR exactly when e->err is set.  Memory an evaluation
 * builds comes from e->pool.
 */
#include "eval.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "literal.h"
#include "ext.h"
#include "regex.h"
#include "rtime.h"


#define EVB(x) ((x)->fn.b((x), e))
#define EVI(x) ((x)->fn.i((x), e))
#define EVU(x) ((x)->fn.u((x), e))
#define EVD(x) ((x)->fn.d((x), e))
#define EVS(x) ((x)->fn.s((x), e))
#define EVV(x) ev_value((x), e)
#define FAILED() UNLIKELY(e->err != NULL)

/* ---- errors ---- */

void ev_fail(ev *e, const cnode *n, const char *msg) {
  if (e->err) return;
  e->err = msg;
  e->err_line = n ? n->line : 0;
  e->err_column = n ? n->column : 0;
}

static char oom_message[] = "out of memory";

void *ev_alloc(ev *e, const cnode *n, size_t size) {
  void *p = pool_alloc(&e->pool, size);
  if (!p) {
    e->oom = true;
    e->err = NULL;
    ev_fail(e, n, oom_message);
  }
  return p;
}

void ev_failf(ev *e, const cnode *n, const char *fmt, ...) {
  if (e->err) return;
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (len < 0) len = 0;
  if ((size_t)len >= sizeof tmp) len = sizeof tmp - 1;
  char *msg = ev_alloc(e, n, (size_t)len + 1);
  if (!msg) return;
  memcpy(msg, tmp, (size_t)len + 1);
  ev_fail(e, n, msg);
}

/* Errors that stop the whole evaluation: no && or || absorbs them. */
static bool ev_stopped(const ev *e) { return e->oom || (e->cost_limit && e->cost > e->cost_limit); }

bool ev_spend(ev *e, const cnode *n, uint64_t units) {
  e->cost += units;
  if (UNLIKELY(e->cost_limit && e->cost > e->cost_limit)) {
    e->err = NULL;
    ev_failf(e, n, "evaluation cost limit of %llu exceeded", (unsigned long long)e->cost_limit);
    return false;
  }
  return true;
}

static const char *kind_name(uint8_t k) {
  static const char *const names[] = {"null_type", "bool",      "int",      "uint",  "double",
                                      "string",    "bytes",     "timestamp", "duration", "list",
                                      "map",       "record",    "type",     "error", "opaque", "absent"};
  return k < ARRAY_LEN(names) ? names[k] : "?";
}

value ev_value(const cnode *n, ev *e) {
  switch (n->fam) {
  case F_BOOL: {
    int r = EVB(n);
    return r == EV_ERROR ? (value){0} : v_bool(r);
  }
  case F_INT: return v_int(EVI(n));
  case F_UINT: return v_uint(EVU(n));
  case F_DOUBLE: return v_double(EVD(n));
  case F_STRING: {
    str s = EVS(n);
    return v_string(s.p, (uint32_t)s.n);
  }
  default: return n->fn.v(n, e);
  }
}

/* ---- constants ---- */

int cl_k_b(const cnode *n, ev *e) {
  (void)e;
  return n->k.b;
}
int64_t cl_k_i(const cnode *n, ev *e) {
  (void)e;
  return n->k.i;
}
uint64_t cl_k_u(const cnode *n, ev *e) {
  (void)e;
  return n->k.u;
}
double cl_k_d(const cnode *n, ev *e) {
  (void)e;
  return n->k.d;
}
str cl_k_s(const cnode *n, ev *e) {
  (void)e;
  return (str){n->k.s, n->k.n};
}
value cl_k_v(const cnode *n, ev *e) {
  (void)e;
  return n->k;
}

/* ---- variables, fields, locals ---- */

/* The error for variable slot of node n holding v (absent, or of another
 * kind than the family needs). */
static NOINLINE void var_error(const cnode *n, ev *e, const value *v) {
  if (v->kind == V_ERROR) /* a ruleset's decision that has no value: why */
    ev_fail(e, n, v->s);
  else if (v->kind == V_ABSENT)
    ev_failf(e, n, "no value for variable '%s'", n->name);
  else
    ev_failf(e, n, "variable '%s' holds a %s, not the declared type", n->name, kind_name(v->kind));
}

/* The error for field n->field of variable n->slot. */
static NOINLINE void field_error(const cnode *n, ev *e, const value *var) {
  if (var->kind == V_ERROR) {
    ev_fail(e, n, var->s);
  } else if (var->kind == V_ABSENT) {
    ev_failf(e, n, "no value for variable '%s'", n->p ? (const char *)n->p : "?");
  } else if (var->kind != V_RECORD) {
    ev_failf(e, n, "no such key: %s (selected from %s)", n->name, kind_name(var->kind));
  } else {
    value f = var->r->fields[n->field];
    if (f.kind == V_ABSENT)
      ev_failf(e, n, "no such key: %s", n->name);
    else
      ev_failf(e, n, "field '%s' holds a %s, not the declared type", n->name, kind_name(f.kind));
  }
}

#define VAR_CLOSURES(suffix, KIND, RET, EXPR, ZERO)                  \
  RET cl_var_##suffix(const cnode *n, ev *e) {                       \
    const value *v = &e->vars[n->slot];                              \
    if (LIKELY(v->kind == KIND)) return EXPR;                        \
    var_error(n, e, v);                                              \
    return ZERO;                                                     \
  }                                                                  \
  RET cl_fld_##suffix(const cnode *n, ev *e) {                       \
    const value *var = &e->vars[n->slot];                            \
    if (LIKELY(var->kind == V_RECORD)) {                             \
      const value *v = &var->r->fields[n->field];                    \
      if (LIKELY(v->kind == KIND)) return EXPR;                      \
    }                                                                \
    field_error(n, e, var);                                          \
    return ZERO;                                                     \
  }                                                                  \
  RET cl_lfld_##suffix(const cnode *n, ev *e) {                      \
    const value *rec = &e->locals[n->slot];                          \
    if (LIKELY(rec->kind == V_RECORD)) {                             \
      const value *v = &rec->r->fields[n->field];                    \
      if (LIKELY(v->kind == KIND)) return EXPR;                      \
    }                                                                \
    field_error(n, e, rec);                                          \
    return ZERO;                                                     \
  }                                                                  \
  RET cl_loc_##suffix(const cnode *n, ev *e) {                       \
    const value *v = &e->locals[n->slot];                            \
    if (LIKELY(v->kind == KIND)) return EXPR;                        \
    ev_failf(e, n, "no such overload: '%s' is a %s", n->name, kind_name(v->kind)); \
    return ZERO;                                                     \
  }

VAR_CLOSURES(b, V_BOOL, int, v->b, EV_ERROR)
VAR_CLOSURES(i, V_INT, int64_t, v->i, 0)
VAR_CLOSURES(u, V_UINT, uint64_t, v->u, 0)
VAR_CLOSURES(d, V_DOUBLE, double, v->d, 0)
VAR_CLOSURES(s, V_STRING, str, ((str){v->s, v->n}), ((str){"", 0}))

value cl_var_v(const cnode *n, ev *e) {
  const value *v = &e->vars[n->slot];
  if (LIKELY(v->kind != V_ABSENT && v->kind != V_ERROR)) return *v;
  var_error(n, e, v);
  return (value){0};
}

value cl_fld_v(const cnode *n, ev *e) {
  const value *var = &e->vars[n->slot];
  if (LIKELY(var->kind == V_RECORD)) {
    const value *v = &var->r->fields[n->field];
    if (LIKELY(v->kind != V_ABSENT)) return *v;
  }
  field_error(n, e, var);
  return (value){0};
}

value cl_lfld_v(const cnode *n, ev *e) {
  const value *rec = &e->locals[n->slot];
  if (LIKELY(rec->kind == V_RECORD)) {
    const value *v = &rec->r->fields[n->field];
    if (LIKELY(v->kind != V_ABSENT)) return *v;
  }
  field_error(n, e, rec);
  return (value){0};
}

value cl_loc_v(const cnode *n, ev *e) { return e->locals[n->slot]; }

/* ---- unboxing a dyn operand ---- */

static NOINLINE void unbox_error(const cnode *n, ev *e, value v, const char *want) {
  ev_failf(e, n, "no such overload: a %s where %s is needed", kind_name(v.kind), want);
}

int cl_ub_b(const cnode *n, ev *e) {
  value v = EVV(n->a);
  if (FAILED()) return EV_ERROR;
  if (LIKELY(v.kind == V_BOOL)) return v.b;
  unbox_error(n, e, v, "a bool");
  return EV_ERROR;
}
int64_t cl_ub_i(const cnode *n, ev *e) {
  value v = EVV(n->a);
  if (FAILED()) return 0;
  if (LIKELY(v.kind == V_INT)) return v.i;
  unbox_error(n, e, v, "an int");
  return 0;
}
uint64_t cl_ub_u(const cnode *n, ev *e) {
  value v = EVV(n->a);
  if (FAILED()) return 0;
  if (LIKELY(v.kind == V_UINT)) return v.u;
  unbox_error(n, e, v, "a uint");
  return 0;
}
double cl_ub_d(const cnode *n, ev *e) {
  value v = EVV(n->a);
  if (FAILED()) return 0;
  if (LIKELY(v.kind == V_DOUBLE)) return v.d;
  unbox_error(n, e, v, "a double");
  return 0;
}
str cl_ub_s(const cnode *n, ev *e) {
  value v = EVV(n->a);
  if (FAILED()) return (str){"", 0};
  if (LIKELY(v.kind == V_STRING)) return (str){v.s, v.n};
  unbox_error(n, e, v, "a string");
  return (str){"", 0};
}

/* ---- explaining (compile_traced) ---- */

/* Record v (or the pending error) as the value of n's point. */
static NOINLINE void trace_record(const cnode *n, ev *e, value v) {
  trace_slot *t = &e->trace[n->slot];
  t->hits++;
  t->v = e->err ? (value){.kind = V_ERROR, .s = e->err, .n = (uint32_t)strlen(e->err)} : v;
}

int cl_trace_b(const cnode *n, ev *e) {
  int r = EVB(n->a);
  trace_record(n, e, r == EV_ERROR ? (value){0} : v_bool(r));
  return r;
}
int64_t cl_trace_i(const cnode *n, ev *e) {
  int64_t r = EVI(n->a);
  trace_record(n, e, v_int(r));
  return r;
}
uint64_t cl_trace_u(const cnode *n, ev *e) {
  uint64_t r = EVU(n->a);
  trace_record(n, e, v_uint(r));
  return r;
}
double cl_trace_d(const cnode *n, ev *e) {
  double r = EVD(n->a);
  trace_record(n, e, v_double(r));
  return r;
}
str cl_trace_s(const cnode *n, ev *e) {
  str r = EVS(n->a);
  trace_record(n, e, v_string(r.p, (uint32_t)r.n));
  return r;
}
value cl_trace_v(const cnode *n, ev *e) {
  value r = EVV(n->a);
  trace_record(n, e, r);
  return r;
}

/* ---- selection ---- */

/* The field of record r named name (index hint when its type is known). */
static const value *record_field_value(const vrecord *r, const char *name, uint32_t hint, const type *known) {
  if (known && r->type == known) return &r->fields[hint];
  const record_field *f = type_field(r->type, name);
  return f ? &r->fields[f->index] : NULL;
}

/* Select n->name from v: record field or map entry; NULL when absent.
 * *bad is set when v cannot have fields. */
static const value *select_from(const cnode *n, value v, bool *bad) {
  *bad = false;
  if (v.kind == V_RECORD) {
    const value *f = record_field_value(v.r, n->name, n->field, n->p);
    return f && f->kind != V_ABSENT ? f : NULL;
  }
  if (v.kind == V_MAP) return value_map_get(v.m, v_string(n->name, (uint32_t)strlen(n->name)));
  *bad = true;
  return NULL;
}

value cl_sel_v(const cnode *n, ev *e) {
  value v = EVV(n->a);
  if (FAILED()) return v;
  bool bad;
  const value *f = select_from(n, v, &bad);
  if (LIKELY(f != NULL)) return *f;
  if (bad)
    ev_failf(e, n, "no such overload: a %s has no fields (selecting '%s')", kind_name(v.kind), n->name);
  else
    ev_failf(e, n, "no such key: %s", n->name);
  return (value){0};
}

int cl_has_v(const cnode *n, ev *e) {
  value v = EVV(n->a);
  if (FAILED()) return EV_ERROR;
  bool bad;
  const value *f = select_from(n, v, &bad);
  if (bad) {
    ev_failf(e, n, "no such overload: has() on a %s", kind_name(v.kind));
    return EV_ERROR;
  }
  return f != NULL;
}

int cl_has_fld(const cnode *n, ev *e) {
  const value *var = &e->vars[n->slot];
  if (LIKELY(var->kind == V_RECORD)) return var->r->fields[n->field].kind != V_ABSENT;
  if (var->kind == V_ABSENT)
    ev_failf(e, n, "no value for variable '%s'", n->p ? (const char *)n->p : "?");
  else
    ev_failf(e, n, "no such overload: has() on a %s", kind_name(var->kind));
  return EV_ERROR;
}

/* ---- logic ---- */

typedef struct saved_error {
  const char *err;
  uint32_t line, column;
} saved_error;

static saved_error take_error(ev *e) {
  saved_error s = {e->err, e->err_line, e->err_column};
  e->err = NULL;
  return s;
}

static void restore_error(ev *e, saved_error s) {
  e->err = s.err;
  e->err_line = s.line;
  e->err_column = s.column;
}

/* false && x is false and x && false is false, whatever the other side,
 * error included; otherwise an error wins. */
int cl_and_b(const cnode *n, ev *e) {
  int x = EVB(n->a);
  if (x == EV_FALSE) return EV_FALSE;
  if (x == EV_TRUE) return EVB(n->b);
  if (ev_stopped(e)) return EV_ERROR;
  saved_error s = take_error(e);
  int y = EVB(n->b);
  if (y == EV_FALSE) return EV_FALSE;
  if (y == EV_ERROR) return EV_ERROR;
  restore_error(e, s);
  return EV_ERROR;
}

int cl_or_b(const cnode *n, ev *e) {
  int x = EVB(n->a);
  if (x == EV_TRUE) return EV_TRUE;
  if (x == EV_FALSE) return EVB(n->b);
  if (ev_stopped(e)) return EV_ERROR;
  saved_error s = take_error(e);
  int y = EVB(n->b);
  if (y == EV_TRUE) return EV_TRUE;
  if (y == EV_ERROR) return EV_ERROR;
  restore_error(e, s);
  return EV_ERROR;
}

int cl_not_b(const cnode *n, ev *e) {
  int x = EVB(n->a);
  return x == EV_ERROR ? EV_ERROR : !x;
}

#define COND_CLOSURE(suffix, RET, EVX, ZERO)      \
  RET cl_cond_##suffix(const cnode *n, ev *e) {   \
    int c = EVB(n->a);                            \
    if (c == EV_ERROR) return ZERO;               \
    return c ? EVX(n->b) : EVX(n->c);             \
  }
COND_CLOSURE(b, int, EVB, EV_ERROR)
COND_CLOSURE(i, int64_t, EVI, 0)
COND_CLOSURE(u, uint64_t, EVU, 0)
COND_CLOSURE(d, double, EVD, 0)
COND_CLOSURE(s, str, EVS, ((str){"", 0}))
COND_CLOSURE(v, value, EVV, ((value){0}))

/* ---- comparisons ---- */

/* x[0..n) == y[0..n), without a call for short strings: two overlapping
 * word loads cover 4..16 bytes. */
static inline bool bytes_equal(const char *x, const char *y, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b, c, d;
    memcpy(&a, x, 8);
    memcpy(&b, y, 8);
    memcpy(&c, x + n - 8, 8);
    memcpy(&d, y + n - 8, 8);
    return ((a ^ b) | (c ^ d)) == 0;
  }
  if (n >= 4 && n < 8) {
    uint32_t a, b, c, d;
    memcpy(&a, x, 4);
    memcpy(&b, y, 4);
    memcpy(&c, x + n - 4, 4);
    memcpy(&d, y + n - 4, 4);
    return ((a ^ b) | (c ^ d)) == 0;
  }
  if (n < 4) {
    for (size_t i = 0; i < n; i++)
      if (x[i] != y[i]) return false;
    return true;
  }
  return memcmp(x, y, n) == 0;
}

/* x OP y of two operands of type T, and of an operand and the constant
 * k.K: cl_NAME_ii and cl_NAME_ik for ints, and so on. */
#define CMP_OPERANDS(name, OP, t, T, EVX, K)                                    \
  int cl_##name##_##t##t(const cnode *n, ev *e) {                               \
    T x = EVX(n->a);                                                            \
    if (FAILED()) return EV_ERROR;                                              \
    T y = EVX(n->b);                                                            \
    if (FAILED()) return EV_ERROR;                                              \
    return x OP y;                                                              \
  }                                                                             \
  int cl_##name##_##t##k(const cnode *n, ev *e) {                               \
    T x = EVX(n->a);                                                            \
    if (FAILED()) return EV_ERROR;                                              \
    return x OP n->k.K;                                                         \
  }

/* Field `field` of the record in variable `slot` OP the constant k.K:
 * cl_NAME_fik, cl_NAME_fdk. */
#define CMP_FIELD(name, OP, t, KIND, K)                                         \
  int cl_##name##_f##t##k(const cnode *n, ev *e) {                              \
    const value *var = &e->vars[n->slot];                                       \
    if (LIKELY(var->kind == V_RECORD)) {                                        \
      const value *v = &var->r->fields[n->field];                               \
      if (LIKELY(v->kind == KIND)) return v->K OP n->k.K;                       \
    }                                                                           \
    field_error(n, e, var);                                                     \
    return EV_ERROR;                                                            \
  }

#define CMP_CLOSURES(name, OP)                                                  \
  CMP_OPERANDS(name, OP, i, int64_t, EVI, i)                                    \
  CMP_OPERANDS(name, OP, d, double, EVD, d)                                     \
  CMP_OPERANDS(name, OP, u, uint64_t, EVU, u)                                   \
  CMP_FIELD(name, OP, i, V_INT, i)                                              \
  CMP_FIELD(name, OP, d, V_DOUBLE, d)

CMP_CLOSURES(lt, <)
CMP_CLOSURES(le, <=)
CMP_CLOSURES(gt, >)
CMP_CLOSURES(ge, >=)
CMP_CLOSURES(eq, ==)
CMP_CLOSURES(ne, !=)

/* The truth of `c op 0` for a three-way comparison c. */
static int cmp_holds(cmp_op op, int c) {
  switch (op) {
  case CMP_LT: return c < 0;
  case CMP_LE: return c <= 0;
  case CMP_GT: return c > 0;
  case CMP_GE: return c >= 0;
  case CMP_EQ: return c == 0;
  default: return c != 0;
  }
}

static int cmp_strings(cmp_op op, str x, str y) {
  if (op == CMP_EQ) return x.n == y.n && bytes_equal(x.p, y.p, x.n);
  if (op == CMP_NE) return x.n != y.n || !bytes_equal(x.p, y.p, x.n);
  int c = memcmp(x.p, y.p, x.n < y.n ? x.n : y.n);
  if (c == 0) c = x.n < y.n ? -1 : x.n > y.n;
  return cmp_holds(op, c);
}

int cl_cmp_ss(const cnode *n, ev *e) {
  str x = EVS(n->a);
  if (FAILED()) return EV_ERROR;
  str y = EVS(n->b);
  if (FAILED()) return EV_ERROR;
  return cmp_strings(n->op, x, y);
}

int cl_cmp_sk(const cnode *n, ev *e) {
  str x = EVS(n->a);
  if (FAILED()) return EV_ERROR;
  return cmp_strings(n->op, x, (str){n->k.s, n->k.n});
}

int cl_cmp_fsk(const cnode *n, ev *e) {
  const value *var = &e->vars[n->slot];
  if (LIKELY(var->kind == V_RECORD)) {
    const value *v = &var->r->fields[n->field];
    if (LIKELY(v->kind == V_STRING)) {
      if (n->op == CMP_EQ) return v->n == n->k.n && bytes_equal(v->s, n->k.s, v->n);
      return cmp_strings(n->op, (str){v->s, v->n}, (str){n->k.s, n->k.n});
    }
  }
  field_error(n, e, var);
  return EV_ERROR;
}

int cl_cmp_bb(const cnode *n, ev *e) {
  int x = EVB(n->a);
  if (x == EV_ERROR) return EV_ERROR;
  int y = EVB(n->b);
  if (y == EV_ERROR) return EV_ERROR;
  return cmp_holds(n->op, x - y);
}

/* Compare two values with operator op: equality of anything, order of
 * numbers (across kinds) and of two values of one orderable kind. */
static int compare_values(const cnode *n, ev *e, cmp_op op, value x, value y) {
  if (op == CMP_EQ) return value_equal(x, y);
  if (op == CMP_NE) return !value_equal(x, y);
  int c = value_compare(x, y);
  if (c == 2) {
    if (value_is_number(x.kind) && value_is_number(y.kind)) return EV_FALSE; /* NaN */
    ev_failf(e, n, "no such overload: %s %s %s", kind_name(x.kind),
             (const char *[]){"<", "<=", ">", ">="}[op], kind_name(y.kind));
    return EV_ERROR;
  }
  return cmp_holds(op, c);
}

int cl_cmp_vv(const cnode *n, ev *e) {
  value x = EVV(n->a);
  if (FAILED()) return EV_ERROR;
  value y = EVV(n->b);
  if (FAILED()) return EV_ERROR;
  return compare_values(n, e, n->op, x, y);
}

/* ---- arithmetic ---- */

static int64_t int_add(const cnode *n, ev *e, int64_t x, int64_t y) {
  int64_t r;
  if (UNLIKELY(__builtin_add_overflow(x, y, &r))) ev_fail(e, n, "integer overflow");
  return r;
}
static int64_t int_sub(const cnode *n, ev *e, int64_t x, int64_t y) {
  int64_t r;
  if (UNLIKELY(__builtin_sub_overflow(x, y, &r))) ev_fail(e, n, "integer overflow");
  return r;
}
static int64_t int_mul(const cnode *n, ev *e, int64_t x, int64_t y) {
  int64_t r;
  if (UNLIKELY(__builtin_mul_overflow(x, y, &r))) ev_fail(e, n, "integer overflow");
  return r;
}
static int64_t int_div(const cnode *n, ev *e, int64_t x, int64_t y) {
  if (UNLIKELY(y == 0)) {
    ev_fail(e, n, "division by zero");
    return 0;
  }
  if (UNLIKELY(x == INT64_MIN && y == -1)) {
    ev_fail(e, n, "integer overflow");
    return 0;
  }
  return x / y;
}
static int64_t int_mod(const cnode *n, ev *e, int64_t x, int64_t y) {
  if (UNLIKELY(y == 0)) {
    ev_fail(e, n, "modulus by zero");
    return 0;
  }
  if (UNLIKELY(x == INT64_MIN && y == -1)) {
    ev_fail(e, n, "integer overflow");
    return 0;
  }
  return x % y;
}
static int64_t int_neg(const cnode *n, ev *e, int64_t x) {
  if (UNLIKELY(x == INT64_MIN)) {
    ev_fail(e, n, "integer overflow");
    return 0;
  }
  return -x;
}
static uint64_t uint_add(const cnode *n, ev *e, uint64_t x, uint64_t y) {
  uint64_t r;
  if (UNLIKELY(__builtin_add_overflow(x, y, &r))) ev_fail(e, n, "unsigned integer overflow");
  return r;
}
static uint64_t uint_sub(const cnode *n, ev *e, uint64_t x, uint64_t y) {
  uint64_t r;
  if (UNLIKELY(__builtin_sub_overflow(x, y, &r))) ev_fail(e, n, "unsigned integer overflow");
  return r;
}
static uint64_t uint_mul(const cnode *n, ev *e, uint64_t x, uint64_t y) {
  uint64_t r;
  if (UNLIKELY(__builtin_mul_overflow(x, y, &r))) ev_fail(e, n, "unsigned integer overflow");
  return r;
}
static uint64_t uint_div(const cnode *n, ev *e, uint64_t x, uint64_t y) {
  if (UNLIKELY(y == 0)) {
    ev_fail(e, n, "division by zero");
    return 0;
  }
  return x / y;
}
static uint64_t uint_mod(const cnode *n, ev *e, uint64_t x, uint64_t y) {
  if (UNLIKELY(y == 0)) {
    ev_fail(e, n, "modulus by zero");
    return 0;
  }
  return x % y;
}

#define ARITH2(name, RET, EVX, FN)           \
  RET cl_##name(const cnode *n, ev *e) {     \
    RET x = EVX(n->a);                       \
    if (FAILED()) return 0;                  \
    RET y = EVX(n->b);                       \
    if (FAILED()) return 0;                  \
    return FN(n, e, x, y);                   \
  }
ARITH2(add_ii, int64_t, EVI, int_add)
ARITH2(sub_ii, int64_t, EVI, int_sub)
ARITH2(mul_ii, int64_t, EVI, int_mul)
ARITH2(div_ii, int64_t, EVI, int_div)
ARITH2(mod_ii, int64_t, EVI, int_mod)
ARITH2(add_uu, uint64_t, EVU, uint_add)
ARITH2(sub_uu, uint64_t, EVU, uint_sub)
ARITH2(mul_uu, uint64_t, EVU, uint_mul)
ARITH2(div_uu, uint64_t, EVU, uint_div)
ARITH2(mod_uu, uint64_t, EVU, uint_mod)

int64_t cl_neg_i(const cnode *n, ev *e) {
  int64_t x = EVI(n->a);
  if (FAILED()) return 0;
  return int_neg(n, e, x);
}

#define ARITHD(name, OP)                     \
  double cl_##name(const cnode *n, ev *e) {  \
    double x = EVD(n->a);                    \
    if (FAILED()) return 0;                  \
    double y = EVD(n->b);                    \
    if (FAILED()) return 0;                  \
    return x OP y;                           \
  }
ARITHD(add_dd, +)
ARITHD(sub_dd, -)
ARITHD(mul_dd, *)
ARITHD(div_dd, /)

double cl_neg_d(const cnode *n, ev *e) {
  double x = EVD(n->a);
  if (FAILED()) return 0;
  return -x;
}

/* x followed by y in the pool. */
static str concat(const cnode *n, ev *e, str x, str y) {
  if (x.n + y.n > VALUE_MAX_LEN) {
    ev_fail(e, n, "string too long");
    return (str){"", 0};
  }
  if (!ev_spend(e, n, (x.n + y.n) / 64)) return (str){"", 0};
  char *p = ev_alloc(e, n, x.n + y.n + 1);
  if (!p) return (str){"", 0};
  memcpy(p, x.p, x.n);
  memcpy(p + x.n, y.p, y.n);
  p[x.n + y.n] = '\0';
  return (str){p, x.n + y.n};
}

str cl_add_ss(const cnode *n, ev *e) {
  str x = EVS(n->a);
  if (FAILED()) return x;
  str y = EVS(n->b);
  if (FAILED()) return y;
  return concat(n, e, x, y);
}

/* ---- strings ---- */

int64_t cl_size_s(const cnode *n, ev *e) {
  str s = EVS(n->a);
  if (FAILED()) return 0;
  return (int64_t)value_utf8_length(s.p, s.n);
}

static bool starts_with(str s, str p) { return s.n >= p.n && memcmp(s.p, p.p, p.n) == 0; }
static bool ends_with(str s, str p) { return s.n >= p.n && memcmp(s.p + s.n - p.n, p.p, p.n) == 0; }
static bool contains(str s, str p) {
  if (p.n == 0) return true;
  if (p.n > s.n) return false;
  const char *end = s.p + s.n - p.n + 1;
  for (const char *at = s.p; at < end; at++) {
    at = memchr(at, p.p[0], (size_t)(end - at));
    if (!at) return false;
    if (memcmp(at, p.p, p.n) == 0) return true;
  }
  return false;
}

#define STRFN(name, FN)                              \
  int cl_##name##_sk(const cnode *n, ev *e) {        \
    str s = EVS(n->a);                               \
    if (FAILED()) return EV_ERROR;                   \
    return FN(s, (str){n->k.s, n->k.n});             \
  }                                                  \
  int cl_##name##_ss(const cnode *n, ev *e) {        \
    str s = EVS(n->a);                               \
    if (FAILED()) return EV_ERROR;                   \
    str p = EVS(n->b);                               \
    if (FAILED()) return EV_ERROR;                   \
    return FN(s, p);                                 \
  }
STRFN(starts, starts_with)
STRFN(ends, ends_with)
STRFN(contains, contains)

static int search(const cnode *n, ev *e, const regex *re, str s) {
  const char *why;
  int r = regex_search(re, s.p, s.n, &e->match_data, &why);
  if (r >= 0) return r;
  if (why == oom_message || strcmp(why, "out of memory") == 0) e->oom = true;
  ev_fail(e, n, why);
  return EV_ERROR;
}

int cl_matches_sk(const cnode *n, ev *e) {
  str s = EVS(n->a);
  if (FAILED()) return EV_ERROR;
  return search(n, e, n->p, s);
}

/* Match s against a pattern known only now: compiled for this call. */
static int matches_dynamic(const cnode *n, ev *e, str s, str pattern) {
  char err[160];
  size_t failures = mem_failures();
  regex *re = regex_compile(pattern.p, pattern.n, err, sizeof err);
  if (!re) {
    if (mem_failures() != failures) { /* PCRE2 ran out of memory: not the pattern's fault */
      e->oom = true;
      e->err = NULL;
      ev_fail(e, n, oom_message);
    } else {
      ev_failf(e, n, "invalid regular expression: %s", err);
    }
    return EV_ERROR;
  }
  int r = search(n, e, re, s);
  regex_free(re);
  return r;
}

/* ---- in ---- */

int cl_in_sset(const cnode *n, ev *e) {
  str s = EVS(n->a);
  if (FAILED()) return EV_ERROR;
  const str_set *set = n->p;
  for (uint32_t i = 0; i < set->n; i++)
    if (set->items[i].n == s.n && bytes_equal(set->items[i].p, s.p, s.n)) return EV_TRUE;
  return EV_FALSE;
}

static int value_in(const cnode *n, ev *e, value x, value c) {
  if (c.kind == V_LIST) {
    for (uint32_t i = 0; i < c.l->n; i++)
      if (value_equal(x, c.l->items[i])) return EV_TRUE;
    return EV_FALSE;
  }
  if (c.kind == V_MAP) return value_map_get(c.m, x) != NULL;
  ev_failf(e, n, "no such overload: 'in' a %s", kind_name(c.kind));
  return EV_ERROR;
}

int cl_in_v(const cnode *n, ev *e) {
  value x = EVV(n->a);
  if (FAILED()) return EV_ERROR;
  value c = EVV(n->b);
  if (FAILED()) return EV_ERROR;
  return value_in(n, e, x, c);
}

/* ---- size ---- */

static int64_t size_of(const cnode *n, ev *e, value v) {
  switch (v.kind) {
  case V_STRING: return (int64_t)value_utf8_length(v.s, v.n);
  case V_BYTES: return v.n;
  case V_LIST: return v.l->n;
  case V_MAP: return v.m->n;
  default: ev_failf(e, n, "no such overload: size of a %s", kind_name(v.kind)); return 0;
  }
}

int64_t cl_size_fld(const cnode *n, ev *e) {
  const value *var = &e->vars[n->slot];
  if (LIKELY(var->kind == V_RECORD)) {
    const value *v = &var->r->fields[n->field];
    if (LIKELY(v->kind == V_LIST)) return v->l->n;
    if (v->kind != V_ABSENT) return size_of(n, e, *v);
  }
  field_error(n, e, var);
  return 0;
}

int64_t cl_size_v(const cnode *n, ev *e) {
  value v = EVV(n->a);
  if (FAILED()) return 0;
  return size_of(n, e, v);
}

/* ---- conversions ---- */

static value to_int(const cnode *n, ev *e, value v) {
  switch (v.kind) {
  case V_INT: return v;
  case V_UINT:
    if (v.u > INT64_MAX) break;
    return v_int((int64_t)v.u);
  case V_DOUBLE:
    if (!(v.d > -9223372036854775809.0 && v.d < 9223372036854775808.0)) break;
    return v_int((int64_t)v.d);
  case V_STRING: {
    char tmp[32];
    if (v.n == 0 || v.n >= sizeof tmp) goto bad_string;
    memcpy(tmp, v.s, v.n);
    tmp[v.n] = '\0';
    char *end;
    errno = 0;
    long long r = strtoll(tmp, &end, 10);
    if (*end || errno || tmp[0] == ' ' || tmp[0] == '+') goto bad_string;
    return v_int(r);
  }
  case V_TIMESTAMP: return v_int(v.i);
  default: ev_failf(e, n, "no such overload: int(%s)", kind_name(v.kind)); return (value){0};
  }
  ev_fail(e, n, "integer overflow: the value is out of int's range");
  return (value){0};
bad_string:
  ev_failf(e, n, "cannot convert '%.*s' to int", (int)(v.n > 64 ? 64 : v.n), v.s);
  return (value){0};
}

static value to_uint(const cnode *n, ev *e, value v) {
  switch (v.kind) {
  case V_UINT: return v;
  case V_INT:
    if (v.i < 0) break;
    return v_uint((uint64_t)v.i);
  case V_DOUBLE:
    if (!(v.d > -1.0 && v.d < 18446744073709551616.0)) break;
    return v_uint((uint64_t)v.d);
  case V_STRING: {
    char tmp[32];
    if (v.n == 0 || v.n >= sizeof tmp || v.s[0] == '-' || v.s[0] == '+' || v.s[0] == ' ') goto bad_string;
    memcpy(tmp, v.s, v.n);
    tmp[v.n] = '\0';
    char *end;
    errno = 0;
    unsigned long long r = strtoull(tmp, &end, 10);
    if (*end || errno) goto bad_string;
    return v_uint(r);
  }
  default: ev_failf(e, n, "no such overload: uint(%s)", kind_name(v.kind)); return (value){0};
  }
  ev_fail(e, n, "unsigned integer overflow: the value is out of uint's range");
  return (value){0};
bad_string:
  ev_failf(e, n, "cannot convert '%.*s' to uint", (int)(v.n > 64 ? 64 : v.n), v.s);
  return (value){0};
}

static value to_double(const cnode *n, ev *e, value v) {
  switch (v.kind) {
  case V_DOUBLE: return v;
  case V_INT: return v_double((double)v.i);
  case V_UINT: return v_double((double)v.u);
  case V_STRING: {
    char tmp[128];
    if (v.n == 0 || v.n >= sizeof tmp || v.s[0] == ' ') goto bad_string;
    memcpy(tmp, v.s, v.n);
    tmp[v.n] = '\0';
    char *end;
    double r = strtod(tmp, &end);
    if (*end || (tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X'))) goto bad_string;
    return v_double(r);
  }
  default: ev_failf(e, n, "no such overload: double(%s)", kind_name(v.kind)); return (value){0};
  }
bad_string:
  ev_failf(e, n, "cannot convert '%.*s' to double", (int)(v.n > 64 ? 64 : v.n), v.s);
  return (value){0};
}

/* Copy b's bytes into the pool as a value of kind k. */
static value pool_text(const cnode *n, ev *e, uint8_t kind, const char *s, size_t len) {
  char *p = ev_alloc(e, n, len + 1);
  if (!p) return (value){0};
  memcpy(p, s, len);
  p[len] = '\0';
  return (value){.kind = kind, .n = (uint32_t)len, .s = p};
}

static rtime_dur dur_of(int64_t ns) { return (rtime_dur){ns / 1000000000, (int32_t)(ns % 1000000000)}; }
static int64_t ns_of(rtime_dur d) { return d.sec * 1000000000 + d.nanos; }

static value to_string(const cnode *n, ev *e, value v) {
  char tmp[64];
  switch (v.kind) {
  case V_STRING: return v;
  case V_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)v.i); break;
  case V_UINT: snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v.u); break;
  case V_BOOL: snprintf(tmp, sizeof tmp, "%s", v.b ? "true" : "false"); break;
  case V_DOUBLE: {
    buf b = {0};
    value_format_double(&b, v.d);
    /* string(1.0) is "1": the ".0" marks double literals, not text. */
    if (b.data && b.len > 2 && strcmp(b.data + b.len - 2, ".0") == 0) b.len -= 2;
    value r = b.data ? pool_text(n, e, V_STRING, b.data, b.len) : (value){0};
    if (b.oom) {
      e->oom = true;
      ev_fail(e, n, oom_message);
    }
    buf_release(&b);
    return r;
  }
  case V_BYTES:
    if (lit_utf8_valid_prefix(v.s, v.n) != v.n) {
      ev_fail(e, n, "invalid UTF-8 in bytes converted to string");
      return (value){0};
    }
    return v_string(v.s, v.n);
  case V_TIMESTAMP: rtime_format_timestamp((rtime_ts){v.i, (int32_t)v.n}, tmp, sizeof tmp); break;
  case V_DURATION: rtime_format_duration(dur_of(v.i), tmp, sizeof tmp); break;
  default: ev_failf(e, n, "no such overload: string(%s)", kind_name(v.kind)); return (value){0};
  }
  return pool_text(n, e, V_STRING, tmp, strlen(tmp));
}

static value to_bool(const cnode *n, ev *e, value v) {
  if (v.kind == V_BOOL) return v;
  if (v.kind == V_STRING) {
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
      if (v.n == strlen(yes[i]) && memcmp(v.s, yes[i], v.n) == 0) return v_bool(true);
      if (v.n == strlen(no[i]) && memcmp(v.s, no[i], v.n) == 0) return v_bool(false);
    }
    ev_failf(e, n, "cannot convert '%.*s' to bool", (int)(v.n > 64 ? 64 : v.n), v.s);
    return (value){0};
  }
  ev_failf(e, n, "no such overload: bool(%s)", kind_name(v.kind));
  return (value){0};
}

static value to_timestamp(const cnode *n, ev *e, value v) {
  char err[128];
  if (v.kind == V_TIMESTAMP) return v;
  if (v.kind == V_STRING) {
    rtime_ts t;
    if (rtime_parse_timestamp(v.s, v.n, &t, err, sizeof err)) return v_timestamp(t.sec, t.nanos);
  } else if (v.kind == V_INT) {
    rtime_ts t;
    if (rtime_timestamp_from_seconds(v.i, &t, err, sizeof err)) return v_timestamp(t.sec, t.nanos);
  } else {
    ev_failf(e, n, "no such overload: timestamp(%s)", kind_name(v.kind));
    return (value){0};
  }
  ev_failf(e, n, "timestamp: %s", err);
  return (value){0};
}

static value to_duration(const cnode *n, ev *e, value v) {
  char err[128];
  if (v.kind == V_DURATION) return v;
  if (v.kind == V_STRING) {
    rtime_dur d;
    if (rtime_parse_duration(v.s, v.n, &d, err, sizeof err)) return v_duration(ns_of(d));
    ev_failf(e, n, "duration: %s", err);
    return (value){0};
  }
  ev_failf(e, n, "no such overload: duration(%s)", kind_name(v.kind));
  return (value){0};
}

/* ---- timestamps and durations ---- */

static value ts_value(rtime_ts t) { return v_timestamp(t.sec, t.nanos); }
static rtime_ts ts_of(value v) { return (rtime_ts){v.i, (int32_t)v.n}; }

static value time_range_error(const cnode *n, ev *e) {
  ev_fail(e, n, "timestamp or duration out of range");
  return (value){0};
}

static value ts_field(const cnode *n, ev *e, value t, rtime_field f, const value *zone) {
  int64_t out;
  char err[128];
  if (!rtime_ts_get(ts_of(t), f, zone ? zone->s : NULL, zone ? zone->n : 0, &out, err, sizeof err)) {
    ev_failf(e, n, "%s", err);
    return (value){0};
  }
  return v_int(out);
}

/* ---- lists ---- */

static vlist *new_list(const cnode *n, ev *e, uint32_t count) {
  vlist *l = ev_alloc(e, n, sizeof(vlist) + (size_t)count * sizeof(value));
  if (l) l->n = count;
  return l;
}

static value list_concat(const cnode *n, ev *e, const vlist *x, const vlist *y) {
  if (x->n == 0) return v_list(y);
  if (y->n == 0) return v_list(x);
  if ((uint64_t)x->n + y->n > UINT32_MAX) {
    ev_fail(e, n, "list too long");
    return (value){0};
  }
  if (!ev_spend(e, n, (x->n + y->n) / 8)) return (value){0};
  vlist *l = new_list(n, e, x->n + y->n);
  if (!l) return (value){0};
  memcpy(l->items, x->items, x->n * sizeof(value));
  memcpy(l->items + x->n, y->items, y->n * sizeof(value));
  return v_list(l);
}

/* An index into a list: an int, or a uint or integral double (CEL's
 * heterogeneous numbers); -1 with an error raised otherwise. */
static int64_t list_index(const cnode *n, ev *e, const vlist *l, value i) {
  int64_t k;
  if (i.kind == V_INT) {
    k = i.i;
  } else if (i.kind == V_UINT && i.u <= INT64_MAX) {
    k = (int64_t)i.u;
  } else if (i.kind == V_DOUBLE && i.d == trunc(i.d) && fabs(i.d) < 9e18) {
    k = (int64_t)i.d;
  } else {
    ev_failf(e, n, "no such overload: list index of kind %s", kind_name(i.kind));
    return -1;
  }
  if (k < 0 || k >= l->n) {
    ev_failf(e, n, "index out of range: %lld (the list has %u elements)", (long long)k, l->n);
    return -1;
  }
  return k;
}

static value index_value(const cnode *n, ev *e, value c, value i) {
  if (c.kind == V_LIST) {
    int64_t k = list_index(n, e, c.l, i);
    return k < 0 ? (value){0} : c.l->items[k];
  }
  if (c.kind == V_MAP) {
    if (!value_is_key(i) && i.kind != V_DOUBLE) {
      ev_failf(e, n, "no such overload: a map key of kind %s", kind_name(i.kind));
      return (value){0};
    }
    const value *v = value_map_get(c.m, i);
    if (v) return *v;
    buf b = {0};
    value_render(&b, i, RULECORE_FORMAT_TEXT);
    ev_failf(e, n, "no such key: %.*s", (int)(b.len > 100 ? 100 : b.len), b.data ? b.data : "?");
    buf_release(&b);
    return (value){0};
  }
  ev_failf(e, n, "no such overload: indexing a %s", kind_name(c.kind));
  return (value){0};
}

/* ---- the overloads on boxed values ---- */

static bool in_range(uint16_t id, overload_id lo, overload_id hi) { return id >= lo && id <= hi; }

value eval_overload(ev *e, const cnode *n, uint16_t id, const value *a, uint32_t nargs) {
  (void)nargs;
  if (in_range(id, OV_LESS_BOOL, OV_LESS_DOUBLE_UINT) || in_range(id, OV_LESS_EQUALS_BOOL, OV_LESS_EQUALS_DOUBLE_UINT) ||
      in_range(id, OV_GREATER_BOOL, OV_GREATER_DOUBLE_UINT) ||
      in_range(id, OV_GREATER_EQUALS_BOOL, OV_GREATER_EQUALS_DOUBLE_UINT)) {
    cmp_op op = id <= OV_LESS_DOUBLE_UINT ? CMP_LT : id <= OV_LESS_EQUALS_DOUBLE_UINT ? CMP_LE
                : id <= OV_GREATER_DOUBLE_UINT ? CMP_GT : CMP_GE;
    int r = compare_values(n, e, op, a[0], a[1]);
    return r == EV_ERROR ? (value){0} : v_bool(r);
  }
  if (in_range(id, OV_TIMESTAMP_GET_FULL_YEAR, OV_TIMESTAMP_GET_MILLISECONDS_TZ)) {
    unsigned k = id - OV_TIMESTAMP_GET_FULL_YEAR;
    return ts_field(n, e, a[0], (rtime_field)(k / 2), k % 2 ? &a[1] : NULL);
  }
  rtime_ts ts;
  rtime_dur d;
  switch ((overload_id)id) {
  case OV_NOT_BOOL: return v_bool(!a[0].b);
  case OV_NEG_INT: return v_int(int_neg(n, e, a[0].i));
  case OV_NEG_DOUBLE: return v_double(-a[0].d);
  case OV_EQUALS: return v_bool(value_equal(a[0], a[1]));
  case OV_NOT_EQUALS: return v_bool(!value_equal(a[0], a[1]));
  case OV_ADD_INT: return v_int(int_add(n, e, a[0].i, a[1].i));
  case OV_ADD_UINT: return v_uint(uint_add(n, e, a[0].u, a[1].u));
  case OV_ADD_DOUBLE: return v_double(a[0].d + a[1].d);
  case OV_ADD_STRING:
  case OV_ADD_BYTES: {
    str s = concat(n, e, (str){a[0].s, a[0].n}, (str){a[1].s, a[1].n});
    return (value){.kind = a[0].kind, .n = (uint32_t)s.n, .s = s.p};
  }
  case OV_ADD_LIST: return list_concat(n, e, a[0].l, a[1].l);
  case OV_ADD_TIMESTAMP_DURATION:
    if (!rtime_ts_add(ts_of(a[0]), dur_of(a[1].i), &ts)) return time_range_error(n, e);
    return ts_value(ts);
  case OV_ADD_DURATION_TIMESTAMP:
    if (!rtime_ts_add(ts_of(a[1]), dur_of(a[0].i), &ts)) return time_range_error(n, e);
    return ts_value(ts);
  case OV_ADD_DURATION:
    if (!rtime_dur_add(dur_of(a[0].i), dur_of(a[1].i), &d)) return time_range_error(n, e);
    return v_duration(ns_of(d));
  case OV_SUBTRACT_INT: return v_int(int_sub(n, e, a[0].i, a[1].i));
  case OV_SUBTRACT_UINT: return v_uint(uint_sub(n, e, a[0].u, a[1].u));
  case OV_SUBTRACT_DOUBLE: return v_double(a[0].d - a[1].d);
  case OV_SUBTRACT_TIMESTAMP:
    if (!rtime_ts_diff(ts_of(a[0]), ts_of(a[1]), &d)) return time_range_error(n, e);
    return v_duration(ns_of(d));
  case OV_SUBTRACT_TIMESTAMP_DURATION:
    if (!rtime_ts_sub(ts_of(a[0]), dur_of(a[1].i), &ts)) return time_range_error(n, e);
    return ts_value(ts);
  case OV_SUBTRACT_DURATION:
    if (!rtime_dur_sub(dur_of(a[0].i), dur_of(a[1].i), &d)) return time_range_error(n, e);
    return v_duration(ns_of(d));
  case OV_MULTIPLY_INT: return v_int(int_mul(n, e, a[0].i, a[1].i));
  case OV_MULTIPLY_UINT: return v_uint(uint_mul(n, e, a[0].u, a[1].u));
  case OV_MULTIPLY_DOUBLE: return v_double(a[0].d * a[1].d);
  case OV_DIVIDE_INT: return v_int(int_div(n, e, a[0].i, a[1].i));
  case OV_DIVIDE_UINT: return v_uint(uint_div(n, e, a[0].u, a[1].u));
  case OV_DIVIDE_DOUBLE: return v_double(a[0].d / a[1].d);
  case OV_MODULO_INT: return v_int(int_mod(n, e, a[0].i, a[1].i));
  case OV_MODULO_UINT: return v_uint(uint_mod(n, e, a[0].u, a[1].u));
  case OV_INDEX_LIST:
  case OV_INDEX_MAP: return index_value(n, e, a[0], a[1]);
  case OV_IN_LIST:
  case OV_IN_MAP: {
    int r = value_in(n, e, a[0], a[1]);
    return r == EV_ERROR ? (value){0} : v_bool(r);
  }
  case OV_SIZE_STRING:
  case OV_SIZE_STRING_METHOD:
  case OV_SIZE_BYTES:
  case OV_SIZE_BYTES_METHOD:
  case OV_SIZE_LIST:
  case OV_SIZE_LIST_METHOD:
  case OV_SIZE_MAP:
  case OV_SIZE_MAP_METHOD: return v_int(size_of(n, e, a[0]));
  case OV_CONTAINS_STRING: return v_bool(contains((str){a[0].s, a[0].n}, (str){a[1].s, a[1].n}));
  case OV_STARTS_WITH_STRING: return v_bool(starts_with((str){a[0].s, a[0].n}, (str){a[1].s, a[1].n}));
  case OV_ENDS_WITH_STRING: return v_bool(ends_with((str){a[0].s, a[0].n}, (str){a[1].s, a[1].n}));
  case OV_MATCHES_STRING:
  case OV_MATCHES: {
    int r = matches_dynamic(n, e, (str){a[0].s, a[0].n}, (str){a[1].s, a[1].n});
    return r == EV_ERROR ? (value){0} : v_bool(r);
  }
  case OV_INT_FROM_INT:
  case OV_INT_FROM_UINT:
  case OV_INT_FROM_DOUBLE:
  case OV_INT_FROM_STRING:
  case OV_INT_FROM_TIMESTAMP: return to_int(n, e, a[0]);
  case OV_UINT_FROM_INT:
  case OV_UINT_FROM_UINT:
  case OV_UINT_FROM_DOUBLE:
  case OV_UINT_FROM_STRING: return to_uint(n, e, a[0]);
  case OV_DOUBLE_FROM_INT:
  case OV_DOUBLE_FROM_UINT:
  case OV_DOUBLE_FROM_DOUBLE:
  case OV_DOUBLE_FROM_STRING: return to_double(n, e, a[0]);
  case OV_STRING_FROM_INT:
  case OV_STRING_FROM_UINT:
  case OV_STRING_FROM_DOUBLE:
  case OV_STRING_FROM_STRING:
  case OV_STRING_FROM_BYTES:
  case OV_STRING_FROM_BOOL:
  case OV_STRING_FROM_TIMESTAMP:
  case OV_STRING_FROM_DURATION: return to_string(n, e, a[0]);
  case OV_BYTES_FROM_BYTES: return a[0];
  case OV_BYTES_FROM_STRING: return v_bytes(a[0].s, a[0].n);
  case OV_BOOL_FROM_BOOL:
  case OV_BOOL_FROM_STRING: return to_bool(n, e, a[0]);
  case OV_DYN: return a[0];
  case OV_TYPE: return v_type(value_type_of(a[0]));
  case OV_TIMESTAMP_FROM_STRING:
  case OV_TIMESTAMP_FROM_TIMESTAMP:
  case OV_TIMESTAMP_FROM_INT: return to_timestamp(n, e, a[0]);
  case OV_DURATION_FROM_STRING:
  case OV_DURATION_FROM_DURATION: return to_duration(n, e, a[0]);
  case OV_DURATION_GET_HOURS:
  case OV_DURATION_GET_MINUTES:
  case OV_DURATION_GET_SECONDS:
  case OV_DURATION_GET_MILLISECONDS: {
    int64_t out = 0;
    rtime_dur_get(dur_of(a[0].i), (rtime_field)(RTIME_HOURS + (id - OV_DURATION_GET_HOURS)), &out);
    return v_int(out);
  }
  default: {
    bool handled; /* the extension libraries' overloads */
    value r = ext_overload(e, n, id, a, nargs, &handled);
    if (handled) return r;
    break;
  }
  }
  ev_failf(e, n, "no such overload (%u)", id);
  return (value){0};
}

bool eval_fits(const type *t, value v) {
  switch (t->kind) {
  case TYPE_DYN:
  case TYPE_PARAM: return true;
  case TYPE_NULL: return v.kind == V_NULL;
  case TYPE_BOOL: return v.kind == V_BOOL;
  case TYPE_INT: return v.kind == V_INT;
  case TYPE_UINT: return v.kind == V_UINT;
  case TYPE_DOUBLE: return v.kind == V_DOUBLE;
  case TYPE_STRING: return v.kind == V_STRING;
  case TYPE_BYTES: return v.kind == V_BYTES;
  case TYPE_TIMESTAMP: return v.kind == V_TIMESTAMP;
  case TYPE_DURATION: return v.kind == V_DURATION;
  case TYPE_LIST: return v.kind == V_LIST;
  case TYPE_MAP: return v.kind == V_MAP;
  case TYPE_RECORD: return v.kind == V_RECORD && strcmp(v.r->type->name, t->name) == 0;
  case TYPE_TYPE: return v.kind == V_TYPE;
  case TYPE_OPAQUE: return v.kind == V_OPAQUE && v.o->ops->type == t;
  default: return false;
  }
}

/* The candidates of a call left to run-time dispatch: overload ids. */
typedef struct candidates {
  uint32_t n;
  uint16_t ids[];
} candidates;

value cl_call_v(const cnode *n, ev *e) {
  value args[4];
  for (uint32_t i = 0; i < n->n; i++) {
    args[i] = EVV(n->kids[i]);
    if (FAILED()) return (value){0};
  }
  if (LIKELY(n->ov)) return eval_overload(e, n, n->ov, args, n->n);
  const candidates *c = n->p;
  for (uint32_t k = 0; c && k < c->n; k++) {
    const overload *o = check_overload(c->ids[k]);
    bool ok = o && o->nparams == n->n;
    for (uint32_t i = 0; ok && i < n->n; i++) ok = eval_fits(o->params[i], args[i]);
    if (ok) return eval_overload(e, n, c->ids[k], args, n->n);
  }
  char kinds[160] = "";
  size_t len = 0;
  for (uint32_t i = 0; i < n->n && len < sizeof kinds; i++)
    len += (size_t)snprintf(kinds + len, sizeof kinds - len, "%s%s", i ? ", " : "", kind_name(args[i].kind));
  ev_failf(e, n, "no such overload: %s(%s)", n->name, kinds);
  return (value){0};
}

/* ---- literals ---- */

value cl_list_v(const cnode *n, ev *e) {
  vlist *l = new_list(n, e, n->n);
  if (!l) return (value){0};
  for (uint32_t i = 0; i < n->n; i++) {
    l->items[i] = EVV(n->kids[i]);
    if (FAILED()) return (value){0};
  }
  return v_list(l);
}

value cl_map_v(const cnode *n, ev *e) {
  uint32_t count = n->n / 2;
  value *kv = ev_alloc(e, n, (size_t)n->n * sizeof(value) + 1);
  if (!kv) return (value){0};
  for (uint32_t i = 0; i < count; i++) {
    kv[i] = EVV(n->kids[2 * i]);
    if (FAILED()) return (value){0};
    if (!value_is_key(kv[i])) {
      ev_failf(e, n->kids[2 * i], "unsupported key type: %s", kind_name(kv[i].kind));
      return (value){0};
    }
    kv[count + i] = EVV(n->kids[2 * i + 1]);
    if (FAILED()) return (value){0};
  }
  int64_t dup;
  vmap *m = value_map_build(&e->pool, kv, kv + count, count, &dup);
  if (!m) {
    if (dup >= 0) {
      ev_fail(e, n->kids[2 * dup], "repeated key in a map literal");
    } else {
      e->oom = true;
      ev_fail(e, n, oom_message);
    }
    return (value){0};
  }
  return v_map(m);
}

value cl_record_v(const cnode *n, ev *e) {
  const type *t = n->p;
  vrecord *r = ev_alloc(e, n, sizeof(vrecord) + (size_t)t->nfields * sizeof(value));
  if (!r) return (value){0};
  r->type = t;
  for (uint32_t i = 0; i < t->nfields; i++) r->fields[i] = (value){.kind = V_ABSENT};
  for (uint32_t i = 0; i < n->n; i++) {
    value v = EVV(n->kids[i]);
    if (FAILED()) return (value){0};
    r->fields[n->idx[i]] = v;
  }
  return (value){.kind = V_RECORD, .r = r};
}

value cl_fail_v(const cnode *n, ev *e) {
  ev_fail(e, n, n->name);
  return (value){0};
}

/* ---- comprehensions ---- */

/* Iterate over the range value r: call body for each element, binding
 * the variables.  The body returns false to stop. */
typedef struct iter {
  value range;
  uint32_t i, count;
} iter;

static bool iter_start(const cnode *n, ev *e, iter *it) {
  it->range = EVV(n->kids[0]);
  if (FAILED()) return false;
  it->i = 0;
  if (it->range.kind == V_LIST)
    it->count = it->range.l->n;
  else if (it->range.kind == V_MAP)
    it->count = it->range.m->n;
  else {
    ev_failf(e, n, "no such overload: a comprehension over a %s", kind_name(it->range.kind));
    return false;
  }
  return true;
}

/* Bind the variables to element it->i, advancing; false at the end or
 * when the cost limit is reached (then with an error). */
static bool iter_next(const cnode *n, ev *e, iter *it) {
  if (it->i >= it->count) return false;
  if (!ev_spend(e, n, 1)) return false;
  uint32_t i = it->i++;
  value *loc = &e->locals[n->slot];
  bool two = n->field == 2;
  if (it->range.kind == V_LIST) {
    if (two) {
      loc[0] = v_int(i);
      loc[1] = it->range.l->items[i];
    } else {
      loc[0] = it->range.l->items[i];
    }
  } else {
    loc[0] = it->range.m->keys[i];
    if (two) loc[1] = it->range.m->vals[i];
  }
  return true;
}

int cl_all_b(const cnode *n, ev *e) {
  iter it;
  if (!iter_start(n, e, &it)) return EV_ERROR;
  saved_error pending = {0};
  while (iter_next(n, e, &it)) {
    int r = EVB(n->kids[1]);
    if (r == EV_FALSE) return EV_FALSE;
    if (r == EV_ERROR) {
      if (ev_stopped(e)) return EV_ERROR;
      if (!pending.err) pending = take_error(e);
      e->err = NULL;
    }
  }
  if (FAILED()) return EV_ERROR;
  if (pending.err) {
    restore_error(e, pending);
    return EV_ERROR;
  }
  return EV_TRUE;
}

int cl_exists_b(const cnode *n, ev *e) {
  iter it;
  if (!iter_start(n, e, &it)) return EV_ERROR;
  saved_error pending = {0};
  while (iter_next(n, e, &it)) {
    int r = EVB(n->kids[1]);
    if (r == EV_TRUE) return EV_TRUE;
    if (r == EV_ERROR) {
      if (ev_stopped(e)) return EV_ERROR;
      if (!pending.err) pending = take_error(e);
      e->err = NULL;
    }
  }
  if (FAILED()) return EV_ERROR;
  if (pending.err) {
    restore_error(e, pending);
    return EV_ERROR;
  }
  return EV_FALSE;
}

int cl_exists_one_b(const cnode *n, ev *e) {
  iter it;
  if (!iter_start(n, e, &it)) return EV_ERROR;
  uint32_t count = 0;
  while (iter_next(n, e, &it)) {
    int r = EVB(n->kids[1]);
    if (r == EV_ERROR) return EV_ERROR;
    count += (uint32_t)r;
  }
  if (FAILED()) return EV_ERROR;
  return count == 1;
}

/* map, filter, transformList, transformMap: kids[1] the filter (or NULL),
 * kids[2] the transform (NULL for filter). */
value cl_collect_v(const cnode *n, ev *e) {
  iter it;
  if (!iter_start(n, e, &it)) return (value){0};
  bool to_map = n->op == 2;
  value *out = ev_alloc(e, n, (size_t)it.count * sizeof(value) * (to_map ? 2 : 1) + 1);
  if (!out) return (value){0};
  uint32_t k = 0;
  while (iter_next(n, e, &it)) {
    if (n->kids[1]) {
      int r = EVB(n->kids[1]);
      if (r == EV_ERROR) return (value){0};
      if (!r) continue;
    }
    value v = n->kids[2] ? EVV(n->kids[2]) : e->locals[n->slot];
    if (FAILED()) return (value){0};
    if (to_map) {
      out[k] = e->locals[n->slot];
      out[it.count + k] = v;
    } else {
      out[k] = v;
    }
    k++;
  }
  if (FAILED()) return (value){0};
  if (to_map) {
    int64_t dup;
    vmap *m = value_map_build(&e->pool, out, out + it.count, k, &dup);
    if (!m) {
      if (dup < 0) {
        e->oom = true;
        ev_fail(e, n, oom_message);
      } else {
        ev_fail(e, n, "repeated key in transformMap");
      }
      return (value){0};
    }
    return v_map(m);
  }
  vlist *l = new_list(n, e, k);
  if (!l) return (value){0};
  memcpy(l->items, out, (size_t)k * sizeof(value));
  return v_list(l);
}

/* ---- cel.bind, cel.block ---- */

/* Set the locals of a bind (each evaluated now) or a block (each marked
 * absent: not evaluated yet); false when one failed. */
static bool bind_locals(const cnode *n, ev *e) {
  value *loc = &e->locals[n->slot];
  for (uint32_t i = 0; i < n->n; i++) {
    loc[i] = n->op ? (value){.kind = V_ABSENT} : EVV(n->kids[i]);
    if (FAILED()) return false;
  }
  return true;
}

#define BIND_CLOSURE(suffix, RET, EVAL, ZERO)    \
  RET cl_bind_##suffix(const cnode *n, ev *e) { \
    if (!bind_locals(n, e)) return ZERO;        \
    return EVAL(n->a);                          \
  }

BIND_CLOSURE(b, int, EVB, EV_ERROR)
BIND_CLOSURE(i, int64_t, EVI, 0)
BIND_CLOSURE(u, uint64_t, EVU, 0)
BIND_CLOSURE(d, double, EVD, 0)
BIND_CLOSURE(s, str, EVS, ((str){"", 0}))
BIND_CLOSURE(v, value, EVV, (value){0})

/* An error leaves the slot unevaluated: a later use fails the same way. */
value cl_index_v(const cnode *n, ev *e) {
  if (e->locals[n->slot].kind == V_ABSENT) {
    value v = EVV(n->kids[n->field]);
    if (FAILED()) return v;
    e->locals[n->slot] = v;
  }
  return e->locals[n->slot];
}

/* ---- programs ---- */

rulecore_status eval_program(const rulecore_program *p, const value *vars, uint32_t nvars, ev *e) {
  if (e->pool.first) pool_reset(&e->pool);
  e->oom = false;
  e->cost = 0;
  e->cost_limit = p->cost_limit;
  return eval_run(p, vars, nvars, e);
}

rulecore_status eval_run(const rulecore_program *p, const value *vars, uint32_t nvars, ev *e) {
  e->err = NULL;
  if (!vars && nvars) { /* no activation: every variable absent */
    value *absent = pool_alloc(&e->pool, nvars * sizeof(value));
    if (!absent) return RULECORE_ERR_NOMEM;
    for (uint32_t i = 0; i < nvars; i++) absent[i] = (value){.kind = V_ABSENT};
    vars = absent;
  }
  e->vars = vars;
  e->nvars = nvars;
  if (p->nlocals > e->nlocals) {
    value *l = mem_realloc(e->locals, p->nlocals * sizeof(value));
    if (!l) return RULECORE_ERR_NOMEM;
    e->locals = l;
    e->nlocals = p->nlocals;
  }
  value r;
  if (p->root->fam == F_BOOL) { /* rules: no boxing on the way */
    int b = p->root->fn.b(p->root, e);
    r = v_bool(b == EV_TRUE);
  } else {
    r = ev_value(p->root, e);
  }
  if (UNLIKELY(e->oom)) {
    e->result = (value){.kind = V_ERROR, .s = oom_message};
    return RULECORE_ERR_NOMEM;
  }
  if (e->err) {
    e->result = (value){.kind = V_ERROR, .s = e->err};
    return RULECORE_ERR_EVAL;
  }
  e->result = r;
  return RULECORE_OK;
}

void eval_release(ev *e) {
  pool_release(&e->pool);
  mem_free(e->locals);
  if (e->match_data) regex_match_data_free(e->match_data);
  e->locals = NULL;
  e->match_data = NULL;
}
