/*
 * check.c: names, types and overloads.
 *
 * Inference follows CEL's reference checker: every overload signature is
 * instantiated with fresh type parameters, argument types are unified with
 * its parameters under a substitution, and the result is the substituted
 * result type.  dyn is assignable both ways; an unbound parameter that
 * survives to the end becomes dyn; list and map literals join their
 * elements to the most general common type, or to dyn.  A node whose type
 * is already an error types as *error* silently, so one mistake gives one
 * message.
 */
#include "check.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "suggest.h"

/* ---- the overload table ---- */

/* An overload's STYLE in overloads.def. */
enum { STYLE_GLOBAL, STYLE_METHOD, STYLE_VARIADIC };

typedef struct overload_spec {
  const char *name, *function;
  uint8_t style;
  uint32_t nparams;
  const char *result, *params[OVERLOAD_MAX_PARAMS];
} overload_spec;

#define G STYLE_GLOBAL
#define M STYLE_METHOD
#define V STYLE_VARIADIC
static const overload_spec overload_specs[OVERLOAD_COUNT] = {
    {0},
#define OVERLOAD(id, fn, style, res, n, ...) {#id, fn, style, n, res, {__VA_ARGS__}},
#include "overloads.def"
#undef OVERLOAD
};
#undef G
#undef M
#undef V

static overload overloads[OVERLOAD_COUNT];
/* Overload ids sorted by function name (then id), for lookup by name. */
static overload_id by_function[OVERLOAD_COUNT - 1];
/* by_function's runs, one per function name, in an open-addressing hash
 * table keyed by the name, so that finding a function's overloads costs a
 * hash and a strcmp or two rather than a binary search of strcmps. */
#define FN_SLOTS 1024 /* a power of two, at least twice the names */
_Static_assert(2 * OVERLOAD_COUNT <= FN_SLOTS, "FN_SLOTS is too small for overloads.def");
static struct fn_slot {
  const char *function; /* NULL: empty */
  uint16_t first, count;
} fn_slots[FN_SLOTS];
static arena overload_arena; /* lives as long as the process */
static bool overloads_ok;
static pthread_once_t overloads_once = PTHREAD_ONCE_INIT;

/* FNV-1a. */
static uint32_t hash_name(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static int cmp_by_function(const void *a, const void *b) {
  overload_id x = *(const overload_id *)a, y = *(const overload_id *)b;
  int c = strcmp(overload_specs[x].function, overload_specs[y].function);
  return c ? c : (x > y) - (x < y);
}

static const type *spec_type(const char *spec) {
  const type *t = type_primitive(spec);
  if (t) return t;
  char why[128];
  const char *whyp;
  return schema_parse_type(NULL, &overload_arena, spec, true, &whyp, why, sizeof why);
}

static void overloads_init(void) {
  overloads_ok = true;
  for (int i = 1; i < OVERLOAD_COUNT; i++) {
    const overload_spec *sp = &overload_specs[i];
    overload *o = &overloads[i];
    o->id = (overload_id)i;
    o->name = sp->name;
    o->function = sp->function;
    o->method = sp->style == STYLE_METHOD;
    o->variadic = sp->style == STYLE_VARIADIC;
    o->nparams = sp->nparams;
    o->result = spec_type(sp->result);
    if (!o->result || sp->nparams > OVERLOAD_MAX_PARAMS) overloads_ok = false;
    for (uint32_t k = 0; k < sp->nparams && k < OVERLOAD_MAX_PARAMS; k++) {
      o->params[k] = spec_type(sp->params[k]);
      if (!o->params[k]) overloads_ok = false;
    }
    /* A variadic overload's one parameter is the list its arguments make. */
    if (o->variadic && (o->nparams != 1 || !o->params[0] || o->params[0]->kind != TYPE_LIST)) overloads_ok = false;
    by_function[i - 1] = (overload_id)i;
  }
  qsort(by_function, ARRAY_LEN(by_function), sizeof by_function[0], cmp_by_function);
  size_t n;
  for (size_t i = 0; i < ARRAY_LEN(by_function); i += n) {
    const char *fn = overload_specs[by_function[i]].function;
    n = 1;
    while (i + n < ARRAY_LEN(by_function) && strcmp(overload_specs[by_function[i + n]].function, fn) == 0) n++;
    uint32_t h = hash_name(fn) & (FN_SLOTS - 1);
    while (fn_slots[h].function) h = (h + 1) & (FN_SLOTS - 1);
    fn_slots[h] = (struct fn_slot){fn, (uint16_t)i, (uint16_t)n};
  }
}

/* The overloads of function fn: *first is the index in by_function of the
 * first; returns how many. */
static size_t overloads_of(const char *fn, size_t *first) {
  *first = 0;
  for (uint32_t h = hash_name(fn) & (FN_SLOTS - 1); fn_slots[h].function; h = (h + 1) & (FN_SLOTS - 1)) {
    if (strcmp(fn_slots[h].function, fn) == 0) {
      *first = fn_slots[h].first;
      return fn_slots[h].count;
    }
  }
  return 0;
}

const overload *check_overload(overload_id id) {
  pthread_once(&overloads_once, overloads_init);
  return id > OVERLOAD_NONE && id < OVERLOAD_COUNT && overloads_ok ? &overloads[id] : NULL;
}

/* ---- checker state ---- */

typedef struct scope_entry {
  const char *name;
  const type *type;
} scope_entry;

typedef struct checker {
  const check_options *o;
  ast *t;
  arena *a;
  rulecore_diagnostics *d;
  bool nomem;
  /* The substitution: subst[id - 1] is what parameter id is bound to.
   * Every binding is logged on the trail with the value it replaced, so an
   * attempt that fails is undone in time proportional to what it bound. */
  const type **subst;
  uint32_t nparams, cap;
  struct trail_entry {
    uint32_t id;
    const type *old;
  } *trail;
  uint32_t ntrail, trail_cap;
  /* Macro-bound variables, innermost last; their positions are the
   * compiled program's local slots.  scope_high: the most ever in use. */
  scope_entry *scope;
  uint32_t nscope, scope_cap, scope_high;
  /* Where subst, trail and scope start, enough for a small expression;
   * each moves to the heap when it outgrows its own. */
  const type *subst_small[32];
  struct trail_entry trail_small[64];
  scope_entry scope_small[8];
} checker;

static void report(checker *c, int code, const ast_span *at, const char *fmt, ...) PRINTF_LIKE(4, 5);

static void report(checker *c, int code, const ast_span *at, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  diag_add(c->d, &c->t->src, RULECORE_SEVERITY_ERROR, code, at->offset, at->length, "%s", msg);
}

static const type *oom(checker *c) {
  c->nomem = true;
  return T_ERROR;
}

static const type *fresh_param(checker *c, const char *name) {
  if (c->nparams == c->cap) {
    uint32_t cap = c->cap * 2;
    const type **s = c->subst == c->subst_small ? mem_alloc(cap * sizeof *s) : mem_realloc(c->subst, cap * sizeof *s);
    if (!s) return oom(c);
    if (c->subst == c->subst_small) memcpy(s, c->subst_small, sizeof c->subst_small);
    c->subst = s;
    c->cap = cap;
  }
  c->subst[c->nparams] = NULL;
  const type *p = type_param(c->a, name, c->nparams + 1);
  if (!p) return oom(c);
  c->nparams++;
  return p;
}

/* Follow the substitution at the top of t. */
static const type *walk(const checker *c, const type *t) {
  while (t && t->kind == TYPE_PARAM && t->id && t->id <= c->nparams && c->subst[t->id - 1]) t = c->subst[t->id - 1];
  return t;
}

/* t with every bound parameter replaced; unbound ones become dyn when
 * finalize is set (the end of checking), else stay. */
static const type *substitute(checker *c, const type *t, bool finalize) {
  t = walk(c, t);
  if (!t) return T_DYN;
  switch (t->kind) {
  case TYPE_PARAM: return finalize ? T_DYN : t;
  case TYPE_LIST: {
    const type *e = substitute(c, t->elem, finalize);
    if (e == t->elem) return t;
    const type *r = type_list(c->a, e);
    return r ? r : oom(c);
  }
  case TYPE_TYPE: {
    if (!t->elem) return t; /* the bare `type` type */
    const type *e = substitute(c, t->elem, finalize);
    if (e == t->elem) return t;
    const type *r = type_type(c->a, e);
    return r ? r : oom(c);
  }
  case TYPE_MAP: {
    const type *k = substitute(c, t->key, finalize), *v = substitute(c, t->elem, finalize);
    if (k == t->key && v == t->elem) return t;
    const type *r = type_map(c->a, k, v);
    return r ? r : oom(c);
  }
  default: return t;
  }
}

static bool occurs(checker *c, const type *p, const type *t) {
  t = walk(c, t);
  if (!t) return false;
  if (t->kind == TYPE_PARAM) return t->id == p->id;
  if (t->kind == TYPE_LIST || t->kind == TYPE_TYPE) return occurs(c, p, t->elem);
  if (t->kind == TYPE_MAP) return occurs(c, p, t->key) || occurs(c, p, t->elem);
  return false;
}

/* Set parameter id to t, logging the old value. */
static bool set_binding(checker *c, uint32_t id, const type *t) {
  if (c->ntrail == c->trail_cap) {
    uint32_t cap = c->trail_cap * 2;
    struct trail_entry *tr =
        c->trail == c->trail_small ? mem_alloc(cap * sizeof *tr) : mem_realloc(c->trail, cap * sizeof *tr);
    if (!tr) {
      c->nomem = true;
      return false;
    }
    if (c->trail == c->trail_small) memcpy(tr, c->trail_small, sizeof c->trail_small);
    c->trail = tr;
    c->trail_cap = cap;
  }
  c->trail[c->ntrail].id = id;
  c->trail[c->ntrail].old = c->subst[id - 1];
  c->ntrail++;
  c->subst[id - 1] = t;
  return true;
}

static bool bind(checker *c, const type *p, const type *t) {
  if (occurs(c, p, t)) return false;
  return set_binding(c, p->id, t);
}

static bool less_specific(checker *c, const type *a, const type *b);

/* The last parameter of t's chain of parameter bindings (t itself when it
 * is bound to no parameter), or NULL when t is not a parameter. */
static const type *last_param(const checker *c, const type *t) {
  if (!t || t->kind != TYPE_PARAM) return NULL;
  for (;;) {
    const type *next = t->id && t->id <= c->nparams ? c->subst[t->id - 1] : NULL;
    if (!next || next->kind != TYPE_PARAM) return t;
    t = next;
  }
}

/* Can a value of type `from` be used where `to` is expected?  Binds
 * parameters on either side as it goes (the caller marks the trail to
 * undo a failed attempt). */
static bool assignable(checker *c, const type *to, const type *from) {
  /* A parameter already bound takes the more general of its binding and
   * the new type: in `true ? null : order` A goes from null_type to the
   * record, in `1 == dyn(x)` from int to dyn. */
  const type *p = last_param(c, to);
  if (p && c->subst[p->id - 1]) {
    const type *bound = c->subst[p->id - 1];
    if (!assignable(c, bound, from)) return false;
    const type *wf = walk(c, from);
    if (wf->kind != TYPE_PARAM && !less_specific(c, bound, wf) && !occurs(c, p, wf)) return set_binding(c, p->id, wf);
    return true;
  }
  to = walk(c, to);
  from = walk(c, from);
  if (to == from) return true;
  if (to->kind == TYPE_ERROR || from->kind == TYPE_ERROR) return true;
  if (to->kind == TYPE_PARAM && from->kind == TYPE_PARAM && to->id == from->id) return true;
  if (to->kind == TYPE_PARAM) return bind(c, to, from);
  if (from->kind == TYPE_PARAM) return bind(c, from, to);
  if (to->kind == TYPE_DYN || from->kind == TYPE_DYN) return true;
  /* null stands for an absent record, compared either way round. */
  if ((from->kind == TYPE_NULL && to->kind == TYPE_RECORD) || (to->kind == TYPE_NULL && from->kind == TYPE_RECORD))
    return true;
  if (to->kind != from->kind) return false;
  switch (to->kind) {
  case TYPE_LIST: return assignable(c, to->elem, from->elem);
  case TYPE_MAP: return assignable(c, to->key, from->key) && assignable(c, to->elem, from->elem);
  case TYPE_TYPE: return true; /* type values compare whatever type they denote */
  case TYPE_RECORD:
  case TYPE_OPAQUE: return strcmp(to->name, from->name) == 0;
  default: return true;
  }
}

/* ---- undoing bindings ---- */

/* A point to return to: the trail's length. */
static uint32_t trail_mark(const checker *c) { return c->ntrail; }

static void trail_undo(checker *c, uint32_t mark) {
  while (c->ntrail > mark) {
    c->ntrail--;
    c->subst[c->trail[c->ntrail].id - 1] = c->trail[c->ntrail].old;
  }
}

/* Is a at most as specific as b (dyn or a parameter is least specific)? */
static bool less_specific(checker *c, const type *a, const type *b) {
  a = walk(c, a);
  b = walk(c, b);
  if (a->kind == TYPE_DYN || a->kind == TYPE_PARAM || a->kind == TYPE_ERROR) return true;
  if (b->kind == TYPE_DYN || b->kind == TYPE_PARAM) return false;
  if (b->kind == TYPE_NULL) return true; /* null is the most specific: [user, null] is list(user) */
  if (a->kind != b->kind) return false;
  switch (a->kind) {
  case TYPE_LIST:
  case TYPE_TYPE: return !a->elem || !b->elem || less_specific(c, a->elem, b->elem);
  case TYPE_MAP: return less_specific(c, a->key, b->key) && less_specific(c, a->elem, b->elem);
  default: return true;
  }
}

/* The join of a literal's element types: the most general of the two when
 * one is assignable to the other, else dyn. */
static const type *join(checker *c, const type *prev, const type *cur) {
  if (!prev) return cur;
  uint32_t mark = trail_mark(c);
  if (assignable(c, prev, cur)) return less_specific(c, prev, cur) ? prev : cur;
  trail_undo(c, mark);
  return T_DYN;
}

/* A signature type with its parameters replaced by fresh ones (one set per
 * instantiation, shared across the signature through map). */
typedef struct inst {
  const char *names[4];
  const type *fresh[4];
  uint32_t n;
} inst;

static const type *instantiate(checker *c, inst *in, const type *t) {
  switch (t->kind) {
  case TYPE_PARAM:
    for (uint32_t i = 0; i < in->n; i++)
      if (strcmp(in->names[i], t->name) == 0) return in->fresh[i];
    if (in->n == ARRAY_LEN(in->names)) return T_DYN;
    in->names[in->n] = t->name;
    in->fresh[in->n] = fresh_param(c, t->name);
    return in->fresh[in->n++];
  case TYPE_LIST: {
    const type *r = type_list(c->a, instantiate(c, in, t->elem));
    return r ? r : oom(c);
  }
  case TYPE_TYPE: {
    const type *r = type_type(c->a, instantiate(c, in, t->elem));
    return r ? r : oom(c);
  }
  case TYPE_MAP: {
    const type *k = instantiate(c, in, t->key);
    const type *r = type_map(c->a, k, instantiate(c, in, t->elem));
    return r ? r : oom(c);
  }
  default: return t;
  }
}

/* ---- messages ---- */

/* How a user writes the function: "'>'" for "_>_", "'in'", "index". */
static const char *display_name(const char *fn, char *out, size_t n) {
  size_t len = strlen(fn);
  if (strcmp(fn, "@in") == 0) return "'in'";
  if (strcmp(fn, "_[_]") == 0) return "indexing '[]'";
  if (strcmp(fn, "_?_:_") == 0) return "'?:'";
  if (len >= 3 && fn[0] == '_' && fn[len - 1] == '_') {
    snprintf(out, n, "'%.*s'", (int)(len - 2), fn + 1);
  } else if (len >= 2 && fn[len - 1] == '_') {
    snprintf(out, n, "'%.*s'", (int)(len - 1), fn);
  } else {
    snprintf(out, n, "'%s'", fn);
  }
  return out;
}

/* "(int, list(A))": argument types as inferred (c set), or a signature as
 * declared (c NULL, parameters by name). */
static void format_args(buf *b, checker *c, const type *const *args, uint32_t n) {
  buf_putc(b, '(');
  for (uint32_t i = 0; i < n; i++) {
    if (i) buf_puts(b, ", ");
    type_format(b, c ? substitute(c, args[i], true) : args[i]);
  }
  buf_putc(b, ')');
}

/* ---- overload resolution ---- */

static bool is_error(checker *c, const type *t) { return walk(c, t)->kind == TYPE_ERROR; }

/* Resolve a call of fn (method style when method) on argument types,
 * reporting at at when nothing fits.  Sets *chosen when exactly one
 * overload applies.  Returns the result type. */
static const type *resolve_call(checker *c, const char *fn, bool method, const type *const *args, uint32_t nargs,
                                const ast_span *at, overload_id *chosen) {
  *chosen = OVERLOAD_NONE;
  for (uint32_t i = 0; i < nargs; i++)
    if (is_error(c, args[i])) return T_ERROR;
  const type *result = NULL;
  uint32_t matches = 0;
  bool known = false;
  uint32_t mark = trail_mark(c);
  /* The bindings of the first match, replayed when it is the only one
   * (on the stack when few, as they nearly always are). */
  struct trail_entry won_few[16], *won = NULL;
  uint32_t nwon = 0;
  size_t first, count = overloads_of(fn, &first);
  known = count > 0;
  for (size_t j = 0; j < count; j++) {
    const overload *o = check_overload(by_function[first + j]);
    if (!o || o->method != method || o->nparams != nargs) continue;
    inst in = {.n = 0};
    bool ok = true;
    for (uint32_t k = 0; k < nargs && ok; k++) ok = assignable(c, instantiate(c, &in, o->params[k]), args[k]);
    if (ok) {
      const type *r = substitute(c, instantiate(c, &in, o->result), false);
      result = matches == 0 ? r : (type_equal(substitute(c, result, false), r) ? result : T_DYN);
      if (matches == 0) {
        *chosen = o->id;
        nwon = c->ntrail - mark;
        won = nwon <= ARRAY_LEN(won_few) ? won_few : mem_alloc(nwon * sizeof *won);
        if (!won) return oom(c);
        for (uint32_t k = 0; k < nwon; k++) {
          won[k].id = c->trail[mark + k].id;
          won[k].old = c->subst[won[k].id - 1]; /* the value it was bound to */
        }
      } else {
        *chosen = OVERLOAD_NONE;
      }
      matches++;
    }
    trail_undo(c, mark);
  }
  if (matches == 1) {
    /* Keep what the one match bound (e.g. an empty list's element type). */
    for (uint32_t k = 0; k < nwon; k++) {
      if (!set_binding(c, won[k].id, won[k].old)) {
        if (won != won_few) mem_free(won);
        return oom(c);
      }
    }
  }
  if (won != won_few) mem_free(won);
  if (matches) return result;
  if (c->o->unchecked) return T_DYN; /* resolved (or refused) at run time */
  char namebuf[64];
  const char *name = display_name(fn, namebuf, sizeof namebuf);
  if (!known) {
    report(c, RULECORE_DIAG_UNDECLARED_REFERENCE, at, "undeclared reference to function %s", name);
    return T_ERROR;
  }
  buf b = {0};
  buf_printf(&b, "no matching overload for %s applied to ", name);
  format_args(&b, c, args, nargs);
  buf_puts(&b, "; overloads:");
  uint32_t listed = 0;
  for (size_t j = 0; j < count; j++) {
    const overload *o = check_overload(by_function[first + j]);
    if (!o || o->method != method) continue;
    buf_puts(&b, listed++ ? ", " : " ");
    format_args(&b, NULL, o->params, o->nparams);
  }
  if (!listed) buf_printf(&b, " none as a %s", method ? "method" : "global function");
  if (b.oom) {
    buf_release(&b);
    return oom(c);
  }
  report(c, RULECORE_DIAG_NO_MATCHING_OVERLOAD, at, "%s", b.data ? b.data : "no matching overload");
  buf_release(&b);
  return T_ERROR;
}

/* ---- scopes ---- */

static bool scope_push(checker *c, const char *name, const type *t) {
  if (c->nscope == c->scope_cap) {
    uint32_t cap = c->scope_cap * 2;
    scope_entry *s = c->scope == c->scope_small ? mem_alloc(cap * sizeof *s) : mem_realloc(c->scope, cap * sizeof *s);
    if (!s) return false;
    if (c->scope == c->scope_small) memcpy(s, c->scope_small, sizeof c->scope_small);
    c->scope = s;
    c->scope_cap = cap;
  }
  c->scope[c->nscope].name = name;
  c->scope[c->nscope].type = t;
  c->nscope++;
  if (c->nscope > c->scope_high) c->scope_high = c->nscope;
  return true;
}

/* Fill the scope with unnamed entries up to the most ever in use, so that
 * what is checked next gets local slots no other expression uses. */
static bool scope_pad(checker *c) {
  while (c->nscope < c->scope_high)
    if (!scope_push(c, "", T_DYN)) return false;
  return true;
}

static int32_t scope_find(const checker *c, const char *name) {
  for (uint32_t i = c->nscope; i-- > 0;)
    if (strcmp(c->scope[i].name, name) == 0) return (int32_t)i;
  return -1;
}

/* ---- names ---- */

static const char *variable_name_at(const void *ctx, size_t i) {
  const checker *c = ctx;
  if (i < c->nscope) return c->scope[i].name[0] == '@' ? NULL : c->scope[i].name; /* none of cel.block's */
  i -= c->nscope;
  return c->o->schema && i < c->o->schema->nvars ? c->o->schema->vars[i].name : NULL;
}

/* The type value a type name denotes (`int` -> type(int)), or NULL. */
static const type *type_name_value(checker *c, const char *name) {
  const type *t = type_primitive(name);
  if (t == T_DYN) t = NULL; /* dyn is a conversion and a declaration, not a value */
  if (!t && c->o->schema) t = schema_record(c->o->schema, name);
  if (!t && strcmp(name, "list") == 0) t = type_list(c->a, T_DYN);
  if (!t && strcmp(name, "map") == 0) t = type_map(c->a, T_DYN, T_DYN);
  if (!t && strcmp(name, "type") == 0) t = type_type(c->a, NULL);
  if (!t) return NULL;
  const type *r = type_type(c->a, t);
  return r ? r : oom(c);
}

/* Resolve name as a schema variable or a type name; sets n's reference.
 * NULL when it is neither. */
static const type *resolve_global(checker *c, ast_node *n, const char *name) {
  const schema_var *v = c->o->schema ? schema_variable(c->o->schema, name) : NULL;
  if (v) {
    n->ref_kind = REF_VARIABLE;
    n->ref = (int32_t)v->index;
    return v->type;
  }
  const type *tv = type_name_value(c, name);
  if (tv) {
    n->ref_kind = REF_TYPE;
    return tv;
  }
  return NULL;
}

static const type *check_ident(checker *c, ast_node *n) {
  const char *name = n->u.ident.name;
  if (!n->u.ident.absolute) {
    int32_t k = scope_find(c, name);
    if (k >= 0) {
      n->ref_kind = REF_BOUND;
      n->ref = k;
      return c->scope[k].type;
    }
  }
  const type *t = resolve_global(c, n, name);
  if (t) return t;
  if (c->o->unchecked) return T_DYN; /* an error value at run time */
  const char *near = suggest_closest(name, c->nscope + (c->o->schema ? c->o->schema->nvars : 0), variable_name_at, c);
  report(c, RULECORE_DIAG_UNDECLARED_REFERENCE, &n->span, "undeclared reference to '%s'%s%s%s", name,
         near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
  return T_ERROR;
}

/* ---- nodes ---- */

static const type *check_node(checker *c, ast_node *n);

static const char *field_name_at(const void *ctx, size_t i) { return ((const type *)ctx)->fields[i].name; }

/* The type of selecting field (at field_span) from a value of type t. */
static const type *select_field(checker *c, ast_node *n, const type *t, const char *field, const ast_span *at) {
  t = walk(c, t);
  switch (t->kind) {
  case TYPE_ERROR: return T_ERROR;
  case TYPE_DYN:
  case TYPE_PARAM: return T_DYN;
  case TYPE_RECORD: {
    const record_field *f = type_field(t, field);
    if (f) {
      if (n) n->ref = (int32_t)f->index;
      return f->type;
    }
    if (c->o->unchecked) return T_DYN;
    const char *near = suggest_closest(field, t->nfields, field_name_at, t);
    report(c, RULECORE_DIAG_NO_SUCH_FIELD, at, "no field '%s' on type %s%s%s%s", field, t->name,
           near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    return T_ERROR;
  }
  case TYPE_MAP: {
    const type *k = walk(c, t->key);
    if (k->kind == TYPE_STRING || k->kind == TYPE_DYN || k->kind == TYPE_PARAM) return t->elem;
    break;
  }
  default: break;
  }
  if (c->o->unchecked) return T_DYN;
  char ts[128];
  report(c, RULECORE_DIAG_NO_SUCH_FIELD, at, "type %s has no fields (selecting '%s')",
         type_spell(ts, sizeof ts, substitute(c, t, true)), field);
  return T_ERROR;
}

/* The dotted name n spells (see ast_dotted_name), in the arena; NULL when
 * it is no such chain or memory ran out. */
static char *dotted(checker *c, const ast_node *n) {
  /* Measured first, then filled from its last segment: no buffer. */
  size_t len = 0;
  const ast_node *x = n;
  for (; x->kind == AST_SELECT; x = x->u.select.operand) len += strlen(x->u.select.field) + 1;
  if (x->kind != AST_IDENT) return NULL;
  len += strlen(x->u.ident.name);
  char *name = arena_alloc(c->a, len + 1);
  if (!name) return NULL;
  size_t at = len;
  for (x = n; x->kind == AST_SELECT; x = x->u.select.operand) {
    size_t k = strlen(x->u.select.field);
    at -= k;
    memcpy(name + at, x->u.select.field, k);
    name[--at] = '.';
  }
  memcpy(name, x->u.ident.name, at);
  name[len] = '\0';
  return name;
}

static const type *check_select(checker *c, ast_node *n) {
  if (n->ref_kind != REF_NONE) return n->type; /* a qualified name, resolved by a select above */
  /* A qualified name `a.b.c` may name a variable or type as a whole (CEL
   * namespaces): the longest declared prefix wins, unless its first part is
   * a macro-bound variable, which shadows every global. */
  const ast_node *root = n;
  while (root->kind == AST_SELECT) root = root->u.select.operand;
  if (root->kind == AST_IDENT && (root->u.ident.absolute || scope_find(c, root->u.ident.name) < 0)) {
    char *name = dotted(c, n);
    if (!name) return oom(c);
    /* The whole chain, then shorter prefixes, down to (not including) the
     * bare root identifier, which check_ident resolves. */
    size_t len = strlen(name);
    for (ast_node *x = n; x->kind == AST_SELECT; x = x->u.select.operand) {
      ast_node probe = {0};
      const type *t = resolve_global(c, &probe, name);
      if (t) {
        /* The prefix names the variable as a whole: mark it (the tree keeps
         * its shape, so checking again against another schema starts from
         * the same tree) and select what follows from it. */
        x->ref_kind = probe.ref_kind;
        x->ref = probe.ref;
        x->type = t;
        if (x == n) return t;
        break;
      }
      len -= strlen(x->u.select.field) + 1;
      name[len] = '\0';
    }
  }
  const type *operand = check_node(c, n->u.select.operand);
  return select_field(c, n, operand, n->u.select.field, &n->u.select.field_span);
}

static const type *check_has(checker *c, ast_node *n) {
  ast_node *arg = n->u.call.args[0];
  if (arg->kind != AST_SELECT) {
    report(c, RULECORE_DIAG_BAD_MACRO, &arg->span, "has() takes a field selection such as has(a.b)");
    check_node(c, arg);
    return T_BOOL;
  }
  n->macro = MACRO_HAS;
  const type *operand = check_node(c, arg->u.select.operand);
  const type *w = walk(c, operand);
  if (w->kind == TYPE_RECORD || w->kind == TYPE_MAP || w->kind == TYPE_DYN || w->kind == TYPE_PARAM ||
      w->kind == TYPE_ERROR) {
    arg->type = select_field(c, arg, operand, arg->u.select.field, &arg->u.select.field_span);
  } else {
    char ts[128];
    report(c, RULECORE_DIAG_BAD_MACRO, &arg->span, "has() needs a record or map, not %s",
           type_spell(ts, sizeof ts, substitute(c, operand, true)));
    arg->type = T_ERROR;
  }
  return T_BOOL;
}

/* The comprehension macros: name, macro, argument count, and how many of
 * the arguments are bound variables (1, or 2 for the index/key + value
 * forms of CEL's two-variable comprehensions). */
static const struct {
  const char *name;
  ast_macro macro;
  uint32_t nargs, nvars;
} comprehensions[] = {
    {"all", MACRO_ALL, 2, 1},
    {"exists", MACRO_EXISTS, 2, 1},
    {"exists_one", MACRO_EXISTS_ONE, 2, 1},
    {"existsOne", MACRO_EXISTS_ONE, 2, 1},
    {"map", MACRO_MAP, 2, 1},
    {"map", MACRO_MAP, 3, 1},
    {"filter", MACRO_FILTER, 2, 1},
    {"all", MACRO_ALL, 3, 2},
    {"exists", MACRO_EXISTS, 3, 2},
    {"exists_one", MACRO_EXISTS_ONE, 3, 2},
    {"existsOne", MACRO_EXISTS_ONE, 3, 2},
    {"transformList", MACRO_TRANSFORM_LIST, 3, 2},
    {"transformList", MACRO_TRANSFORM_LIST, 4, 2},
    {"transformMap", MACRO_TRANSFORM_MAP, 3, 2},
    {"transformMap", MACRO_TRANSFORM_MAP, 4, 2},
};

/* Require a condition to be a bool. */
static void require_bool(checker *c, const ast_node *n, const type *t, const char *what) {
  uint32_t mark = trail_mark(c);
  if (!assignable(c, T_BOOL, t)) {
    trail_undo(c, mark);
    if (c->o->unchecked) return;
    char ts[128];
    report(c, RULECORE_DIAG_NO_MATCHING_OVERLOAD, &n->span, "%s must be a bool, not %s", what,
           type_spell(ts, sizeof ts, substitute(c, t, true)));
  }
}

/* Whether n is the call cel.f(...) with nargs arguments: cel-go's macros
 * of the cel namespace are recognised by their spelling alone. */
static bool is_cel_call(const ast_node *n, const char *f, uint32_t nargs) {
  const ast_node *t = n->kind == AST_CALL ? n->u.call.target : NULL;
  return t && t->kind == AST_IDENT && !t->u.ident.absolute && strcmp(t->u.ident.name, "cel") == 0 &&
         strcmp(n->u.call.function, f) == 0 && n->u.call.nargs == nargs;
}

/* The name cel.index(i), cel.iterVar(i, j) or cel.accuVar(i, j) (n, one of
 * them) stands for, spelled as cel-go does ("@index0", "@it:0:1",
 * "@ac:0:1"), in the arena.  NULL (reported) when an argument is not a
 * non-negative int literal, or when memory ran out. */
static const char *cel_name(checker *c, const ast_node *n) {
  bool index = strcmp(n->u.call.function, "index") == 0;
  long long k[2] = {0, 0};
  for (uint32_t i = 0; i < n->u.call.nargs; i++) {
    const ast_node *arg = n->u.call.args[i];
    if (arg->kind != AST_INT || arg->u.i < 0) {
      report(c, RULECORE_DIAG_BAD_MACRO, &arg->span, "cel.%s() takes %s", n->u.call.function,
             index ? "a non-negative int literal" : "two non-negative int literals");
      return NULL;
    }
    k[i] = arg->u.i;
  }
  char name[64];
  if (index)
    snprintf(name, sizeof name, "@index%lld", k[0]);
  else
    snprintf(name, sizeof name, "@%s:%lld:%lld", n->u.call.function[0] == 'i' ? "it" : "ac", k[0], k[1]);
  char *z = arena_strndup(c->a, name, strlen(name));
  if (!z) c->nomem = true;
  return z;
}

/* The name a macro's variable argument var binds: a simple name, or
 * cel.iterVar(i, j) / cel.accuVar(i, j).  NULL (reported, as `which`
 * argument of its macro) when it is neither. */
static const char *bound_name(checker *c, const ast_node *var, const char *which) {
  if (var->kind == AST_IDENT && !var->u.ident.absolute) return var->u.ident.name;
  if (is_cel_call(var, "iterVar", 2) || is_cel_call(var, "accuVar", 2)) return cel_name(c, var);
  report(c, RULECORE_DIAG_BAD_MACRO, &var->span, "%s must be a simple name", which);
  return NULL;
}

/* Bind variable node var, named name (bound_name), to type t in a new
 * innermost scope slot. */
static bool bind_variable(checker *c, ast_node *var, const char *name, const type *t) {
  var->type = t;
  var->ref_kind = REF_BOUND;
  var->ref = (int32_t)c->nscope;
  return scope_push(c, name, t);
}

static const type *check_comprehension(checker *c, ast_node *n, ast_macro macro, uint32_t nvars) {
  const char *fname = n->u.call.function;
  uint32_t nargs = n->u.call.nargs;
  const type *range = check_node(c, n->u.call.target);
  const char *names[2] = {NULL, NULL};
  for (uint32_t i = 0; i < nvars; i++) {
    char which[64];
    snprintf(which, sizeof which, "the %s argument of %s()", i ? "second" : "first", fname);
    names[i] = bound_name(c, n->u.call.args[i], which);
    if (i == 1 && names[1] && strcmp(names[0], names[1]) == 0) {
      report(c, RULECORE_DIAG_BAD_MACRO, &n->u.call.args[1]->span, "%s must differ from the first", which);
      names[1] = NULL;
    }
    if (!names[i]) {
      for (uint32_t k = nvars; k < nargs; k++) check_node(c, n->u.call.args[k]);
      return T_ERROR;
    }
  }
  n->macro = (uint8_t)macro;
  /* What the variables range over: a list's elements (with their index), a
   * map's keys (with their values). */
  const type *r = walk(c, range), *first, *second;
  switch (r->kind) {
  case TYPE_LIST:
    first = nvars == 2 ? T_INT : r->elem;
    second = r->elem;
    break;
  case TYPE_MAP:
    first = r->key;
    second = r->elem;
    break;
  case TYPE_DYN:
  case TYPE_PARAM:
  case TYPE_ERROR: first = second = T_DYN; break;
  default: {
    char ts[128];
    report(c, RULECORE_DIAG_BAD_MACRO, &n->u.call.target->span, "%s() needs a list or a map, not %s", fname,
           type_spell(ts, sizeof ts, substitute(c, range, true)));
    first = second = T_ERROR;
  }
  }
  if (!bind_variable(c, n->u.call.args[0], names[0], first)) return oom(c);
  if (nvars == 2 && !bind_variable(c, n->u.call.args[1], names[1], second)) return oom(c);
  const type *result = T_BOOL;
  bool transform = macro == MACRO_MAP || macro == MACRO_TRANSFORM_LIST || macro == MACRO_TRANSFORM_MAP;
  if (transform) {
    if (nargs == nvars + 2) {
      char what[48];
      snprintf(what, sizeof what, "the filter of %s()", fname);
      require_bool(c, n->u.call.args[nvars], check_node(c, n->u.call.args[nvars]), what);
    }
    const type *t = check_node(c, n->u.call.args[nargs - 1]);
    result = macro == MACRO_TRANSFORM_MAP ? type_map(c->a, first, t) : type_list(c->a, t);
  } else {
    const type *p = check_node(c, n->u.call.args[nvars]);
    char what[48];
    snprintf(what, sizeof what, "the condition of %s()", fname);
    require_bool(c, n->u.call.args[nvars], p, what);
    if (macro == MACRO_FILTER) result = type_list(c->a, first);
  }
  c->nscope -= nvars;
  return result ? result : oom(c);
}

/* cel.bind(var, init, result): result, with var bound to the value of
 * init (evaluated once, first, as cel-go's comprehension does). */
static const type *check_bind(checker *c, ast_node *n) {
  ast_node **args = n->u.call.args;
  const char *name = bound_name(c, args[0], "the first argument of cel.bind()");
  const type *init = check_node(c, args[1]);
  if (!name) return T_ERROR;
  n->macro = MACRO_BIND;
  if (!bind_variable(c, args[0], name, init)) return oom(c);
  const type *r = check_node(c, args[2]);
  c->nscope--;
  return r;
}

/* cel.block([e0, e1, ...], result): result, where cel.index(i) is the value
 * of e_i, which may refer to earlier ones only.  The e_i are evaluated on
 * first use (cel-go's semantics: one guarded by has() fails only when
 * used), possibly inside a comprehension of the result or of a later one:
 * so each, and the result, is checked above every local slot in use
 * (scope_pad), and overwrites none another needs. */
static const type *check_block(checker *c, ast_node *n) {
  ast_node *list = n->u.call.args[0];
  if (list->kind != AST_LIST) {
    report(c, RULECORE_DIAG_BAD_MACRO, &list->span, "the first argument of cel.block() must be a list literal");
    return T_ERROR;
  }
  uint32_t base = c->nscope, count = list->u.list.n;
  n->macro = MACRO_BLOCK;
  n->ref = (int32_t)base;
  for (uint32_t i = 0; i < count; i++)
    if (!scope_push(c, "", T_DYN)) return oom(c);
  for (uint32_t i = 0; i < count; i++) {
    if (!scope_pad(c)) return oom(c);
    const type *t = check_node(c, list->u.list.items[i]);
    c->nscope = base + count;
    char name[32];
    snprintf(name, sizeof name, "@index%u", i);
    c->scope[base + i].name = arena_strndup(c->a, name, strlen(name));
    c->scope[base + i].type = t;
    if (!c->scope[base + i].name) return oom(c);
  }
  list->type = type_list(c->a, T_DYN);
  if (!list->type || !scope_pad(c)) return oom(c);
  const type *r = check_node(c, n->u.call.args[1]);
  c->nscope = base;
  return r;
}

/* cel.index(i), cel.iterVar(i, j) or cel.accuVar(i, j) as an expression:
 * the variable it names, marked REF_BOUND as an identifier would be. */
static const type *check_cel_name(checker *c, ast_node *n) {
  const char *name = cel_name(c, n);
  if (!name) return T_ERROR;
  for (uint32_t i = 0; i < n->u.call.nargs; i++) check_node(c, n->u.call.args[i]); /* int literals */
  int32_t k = scope_find(c, name);
  if (k < 0) {
    report(c, RULECORE_DIAG_UNDECLARED_REFERENCE, &n->span, "%.*s names no %s", (int)n->span.length,
           c->t->text + n->span.offset,
           strncmp(name, "@index", 6) == 0 ? "earlier expression of an enclosing cel.block()"
                                            : "variable of an enclosing comprehension");
    return T_ERROR;
  }
  n->ref_kind = REF_BOUND;
  n->ref = k;
  return c->scope[k].type;
}

/* A constant regular expression is compiled now, so a bad one is an error
 * at its position rather than at every evaluation. */
static void check_regex(checker *c, const ast_node *pattern) {
  if (pattern->kind != AST_STRING) return;
  char err[160];
  size_t where;
  if (regex_validate(pattern->u.text.data, pattern->u.text.len, err, sizeof err, &where)) return;
  /* Point at the offending character when the literal's source is its
   * text between single quotes (no prefix, no escapes); else at the
   * literal. */
  ast_span at = pattern->span;
  const char *src = c->t->text + at.offset;
  if (at.length == pattern->u.text.len + 2 && (src[0] == '"' || src[0] == '\'') &&
      memcmp(src + 1, pattern->u.text.data, pattern->u.text.len) == 0 && where <= pattern->u.text.len) {
    size_t off = at.offset + 1 + where;
    diag_add(c->d, &c->t->src, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_BAD_REGEX, off, where < pattern->u.text.len,
             "invalid regular expression: %s", err);
    return;
  }
  report(c, RULECORE_DIAG_BAD_REGEX, &at, "invalid regular expression at offset %zu: %s", where, err);
}

/* ---- namespaced functions ---- */

/* Whether name[0..len) or a dotted prefix of it ("a" of "a.b") is a
 * schema variable.  name is writable and NUL-terminated at len. */
static bool prefix_is_variable(const checker *c, char *name, size_t len) {
  if (!c->o->schema) return false;
  for (size_t k = 1; k <= len; k++) {
    if (k < len && name[k] != '.') continue;
    char saved = name[k];
    name[k] = '\0';
    bool found = schema_variable(c->o->schema, name) != NULL;
    name[k] = saved;
    if (found) return true;
  }
  return false;
}

/* The global function a method-style call names when its target is a
 * namespace, not a receiver: "math.greatest" for `math.greatest(x)`, when
 * the target spells a dotted name, overloads.def has the function, and
 * neither a macro-bound variable nor a schema variable claims the name (a
 * declared variable `math` wins).  In the arena; NULL otherwise (and when
 * memory ran out, c->nomem set). */
static const char *qualified_function(checker *c, const ast_node *n) {
  const ast_node *root = n->u.call.target;
  while (root->kind == AST_SELECT) root = root->u.select.operand;
  if (root->kind != AST_IDENT || (!root->u.ident.absolute && scope_find(c, root->u.ident.name) >= 0)) return NULL;
  buf b = {0};
  const char *name = NULL;
  if (ast_dotted_name(n->u.call.target, &b)) {
    size_t prefix = b.len;
    buf_putc(&b, '.');
    buf_puts(&b, n->u.call.function);
    size_t first;
    if (b.oom) {
      c->nomem = true;
    } else if (overloads_of(b.data, &first) > 0 && !prefix_is_variable(c, b.data, prefix)) {
      name = arena_strndup(c->a, b.data, b.len);
      if (!name) c->nomem = true;
    }
  }
  buf_release(&b);
  return name;
}

/* Whether a call of fn with nargs arguments passes them as one list: no
 * overload takes nargs parameters, and fn has variadic ones. */
static bool collects_arguments(const char *fn, uint32_t nargs) {
  size_t first, count = overloads_of(fn, &first);
  bool variadic = false;
  for (size_t j = 0; j < count; j++) {
    const overload *o = check_overload(by_function[first + j]);
    if (!o) continue;
    if (o->nparams == nargs) return false;
    variadic |= o->variadic;
  }
  return variadic && nargs >= 2;
}

/* Check the variadic call of fn on arguments of types args[0..nargs): each
 * must fit the element type of one of fn's variadic overloads, and the
 * call resolves as fn applied to the list of them (its elements joined as
 * in a list literal: `math.greatest(1, 2u)` is dyn).  Sets *chosen as
 * resolve_call does. */
static const type *check_variadic(checker *c, const char *fn, const type *const *args, uint32_t nargs,
                                  const ast_span *at, overload_id *chosen) {
  *chosen = OVERLOAD_NONE;
  for (uint32_t i = 0; i < nargs; i++)
    if (is_error(c, args[i])) return T_ERROR;
  size_t first, count = overloads_of(fn, &first);
  const type *elem = NULL;
  for (uint32_t i = 0; i < nargs; i++) {
    bool fits = false;
    for (size_t j = 0; j < count && !fits; j++) {
      const overload *o = check_overload(by_function[first + j]);
      if (!o || !o->variadic) continue;
      uint32_t mark = trail_mark(c);
      inst in = {.n = 0};
      fits = assignable(c, instantiate(c, &in, o->params[0]->elem), args[i]);
      trail_undo(c, mark);
    }
    if (!fits && !c->o->unchecked) {
      char namebuf[64];
      buf b = {0};
      buf_printf(&b, "no matching overload for %s applied to ", display_name(fn, namebuf, sizeof namebuf));
      format_args(&b, c, args, nargs);
      buf_puts(&b, "; each argument must be one of:");
      uint32_t listed = 0;
      for (size_t j = 0; j < count; j++) {
        const overload *o = check_overload(by_function[first + j]);
        if (!o || !o->variadic) continue;
        buf_puts(&b, listed++ ? ", " : " ");
        type_format(&b, o->params[0]->elem);
      }
      report(c, RULECORE_DIAG_NO_MATCHING_OVERLOAD, at, "%s", b.data && !b.oom ? b.data : "no matching overload");
      buf_release(&b);
      return T_ERROR;
    }
    elem = join(c, elem, args[i]);
  }
  const type *list = type_list(c->a, elem);
  if (!list) return oom(c);
  return resolve_call(c, fn, false, &list, 1, at, chosen);
}

/* A call of the namespaced global function fn written as a method of its
 * namespace (`math.greatest(a, b)`): the call's own arguments, no
 * receiver, and errors pointing at the whole name.  Marks n REF_FUNCTION,
 * with ref 1 when the arguments go as one list (check_variadic). */
static const type *check_qualified_call(checker *c, ast_node *n, const char *fn) {
  uint32_t nargs = n->u.call.nargs;
  n->ref_kind = REF_FUNCTION;
  n->ref = 0;
  const ast_span *t = &n->u.call.target->span, *f = &n->u.call.function_span;
  ast_span at = {t->offset, f->offset + f->length - t->offset, t->line, t->column, f->end_line, f->end_column};
  const type *fixed[OVERLOAD_MAX_PARAMS];
  const type **args = nargs <= ARRAY_LEN(fixed) ? fixed : mem_alloc(nargs * sizeof *args);
  if (!args) return oom(c);
  for (uint32_t i = 0; i < nargs; i++) args[i] = check_node(c, n->u.call.args[i]);
  overload_id chosen = OVERLOAD_NONE;
  const type *r = T_ERROR;
  if (collects_arguments(fn, nargs)) {
    n->ref = 1;
    r = check_variadic(c, fn, args, nargs, &at, &chosen);
  } else if (nargs > OVERLOAD_MAX_PARAMS) {
    char namebuf[64];
    report(c, RULECORE_DIAG_NO_MATCHING_OVERLOAD, &at, "no function %s takes %u arguments",
           display_name(fn, namebuf, sizeof namebuf), nargs);
  } else {
    r = resolve_call(c, fn, false, args, nargs, &at, &chosen);
  }
  if (args != fixed) mem_free(args);
  n->overload = (uint16_t)chosen;
  return r;
}

static const type *check_call(checker *c, ast_node *n) {
  const char *fn = n->u.call.function;
  uint32_t nargs = n->u.call.nargs;
  if (!n->u.call.target && !n->u.call.absolute && strcmp(fn, "has") == 0 && nargs == 1) return check_has(c, n);
  if (n->u.call.target) {
    if (is_cel_call(n, "bind", 3)) return check_bind(c, n);
    if (is_cel_call(n, "block", 2)) return check_block(c, n);
    if (is_cel_call(n, "index", 1) || is_cel_call(n, "iterVar", 2) || is_cel_call(n, "accuVar", 2))
      return check_cel_name(c, n);
    for (size_t i = 0; i < ARRAY_LEN(comprehensions); i++)
      if (strcmp(fn, comprehensions[i].name) == 0 && nargs == comprehensions[i].nargs)
        return check_comprehension(c, n, comprehensions[i].macro, comprehensions[i].nvars);
    const char *qualified = qualified_function(c, n);
    if (qualified) return check_qualified_call(c, n, qualified);
    if (c->nomem) return T_ERROR;
  }
  const type *args[OVERLOAD_MAX_PARAMS];
  uint32_t total = nargs + (n->u.call.target ? 1 : 0);
  if (total > ARRAY_LEN(args)) {
    for (uint32_t i = 0; i < nargs; i++) check_node(c, n->u.call.args[i]);
    if (n->u.call.target) check_node(c, n->u.call.target);
    report(c, RULECORE_DIAG_NO_MATCHING_OVERLOAD, &n->u.call.function_span,
           "no function '%s' takes %u arguments", fn, nargs);
    return T_ERROR;
  }
  uint32_t k = 0;
  if (n->u.call.target) args[k++] = check_node(c, n->u.call.target);
  for (uint32_t i = 0; i < nargs; i++) args[k++] = check_node(c, n->u.call.args[i]);
  if (strcmp(fn, "matches") == 0 && total == 2) check_regex(c, n->u.call.target ? n->u.call.args[0] : n->u.call.args[1]);
  overload_id chosen;
  const type *r = resolve_call(c, fn, n->u.call.target != NULL, args, total, &n->u.call.function_span, &chosen);
  n->overload = (uint16_t)chosen;
  return r;
}

static const char *const binary_functions[OP_COUNT] = {
    [OP_OR] = "_||_", [OP_AND] = "_&&_", [OP_LT] = "_<_",  [OP_LE] = "_<=_", [OP_GT] = "_>_",
    [OP_GE] = "_>=_", [OP_EQ] = "_==_",  [OP_NE] = "_!=_", [OP_IN] = "@in",  [OP_ADD] = "_+_",
    [OP_SUB] = "_-_", [OP_MUL] = "_*_",  [OP_DIV] = "_/_", [OP_MOD] = "_%_",
};

static const type *check_list(checker *c, ast_node *n) {
  const type *elem = NULL;
  for (uint32_t i = 0; i < n->u.list.n; i++) elem = join(c, elem, check_node(c, n->u.list.items[i]));
  if (!elem) elem = fresh_param(c, "T");
  const type *r = type_list(c->a, elem);
  return r ? r : oom(c);
}

static const type *check_map(checker *c, ast_node *n) {
  const type *k = NULL, *v = NULL;
  for (uint32_t i = 0; i < n->u.map.n; i++) {
    k = join(c, k, check_node(c, n->u.map.keys[i]));
    v = join(c, v, check_node(c, n->u.map.values[i]));
  }
  if (!k) k = fresh_param(c, "K");
  if (!v) v = fresh_param(c, "V");
  const type *r = type_map(c->a, k, v);
  return r ? r : oom(c);
}

static const type *check_struct(checker *c, ast_node *n) {
  const char *name = n->u.record.type_name;
  if (name[0] == '.') name++;
  const type *rt = c->o->schema ? schema_record(c->o->schema, name) : NULL;
  for (uint32_t i = 0; i < n->u.record.n; i++) {
    const type *vt = check_node(c, n->u.record.values[i]);
    if (!rt) continue;
    const char *fname = n->u.record.fields[i];
    bool dup = false;
    for (uint32_t k = 0; k < i; k++)
      if (strcmp(n->u.record.fields[k], fname) == 0) dup = true;
    if (dup) {
      report(c, RULECORE_DIAG_NO_SUCH_FIELD, &n->u.record.field_spans[i], "field '%s' is set twice", fname);
      continue;
    }
    const type *ft = select_field(c, NULL, rt, fname, &n->u.record.field_spans[i]);
    if (is_error(c, ft)) continue;
    uint32_t mark = trail_mark(c);
    if (!assignable(c, ft, vt)) {
      trail_undo(c, mark);
      char want[128], got[128];
      report(c, RULECORE_DIAG_NO_MATCHING_OVERLOAD, &n->u.record.values[i]->span,
             "field '%s' of %s is %s, but the value is %s", fname, rt->name, type_spell(want, sizeof want, ft),
             type_spell(got, sizeof got, substitute(c, vt, true)));
    }
  }
  if (!rt) {
    report(c, RULECORE_DIAG_UNDECLARED_REFERENCE, &n->u.record.type_span, "undeclared type '%s'", name);
    return T_ERROR;
  }
  return rt;
}

static const type *check_node(checker *c, ast_node *n) {
  if (!n || c->nomem) return T_ERROR;
  const type *t = T_ERROR;
  overload_id chosen = OVERLOAD_NONE;
  switch (n->kind) {
  case AST_NULL: t = T_NULL; break;
  case AST_BOOL: t = T_BOOL; break;
  case AST_INT: t = T_INT; break;
  case AST_UINT: t = T_UINT; break;
  case AST_DOUBLE: t = T_DOUBLE; break;
  case AST_STRING: t = T_STRING; break;
  case AST_BYTES: t = T_BYTES; break;
  case AST_IDENT: t = check_ident(c, n); break;
  case AST_SELECT: t = check_select(c, n); break;
  case AST_CALL: t = check_call(c, n); break;
  case AST_UNARY: {
    const type *a = check_node(c, n->u.unary.operand);
    t = resolve_call(c, n->u.unary.op == OP_NOT ? "!_" : "-_", false, &a, 1, &n->u.unary.op_span, &chosen);
    break;
  }
  case AST_BINARY: {
    const type *a[2] = {check_node(c, n->u.binary.left), check_node(c, n->u.binary.right)};
    t = resolve_call(c, binary_functions[n->u.binary.op], false, a, 2, &n->u.binary.op_span, &chosen);
    break;
  }
  case AST_CONDITIONAL: {
    const type *a[3] = {check_node(c, n->u.cond.cond), check_node(c, n->u.cond.then),
                        check_node(c, n->u.cond.otherwise)};
    t = resolve_call(c, "_?_:_", false, a, 3, &n->span, &chosen);
    break;
  }
  case AST_INDEX: {
    const type *a[2] = {check_node(c, n->u.index.operand), check_node(c, n->u.index.index)};
    t = resolve_call(c, "_[_]", false, a, 2, &n->u.index.index->span, &chosen);
    break;
  }
  case AST_LIST: t = check_list(c, n); break;
  case AST_MAP: t = check_map(c, n); break;
  case AST_STRUCT: t = check_struct(c, n); break;
  default: break;
  }
  if (chosen) n->overload = (uint16_t)chosen;
  n->type = t;
  return t;
}

/* Give every node its final type: bound parameters substituted, unbound
 * ones dyn. */
static void finalize(ast_node *n, void *ctx) {
  checker *c = ctx;
  n->type = n->type ? substitute(c, n->type, true) : T_ERROR;
  ast_for_each_child(n, finalize, c);
}

/* Clear what an earlier check left, so checking twice is checking once. */
static void reset(ast_node *n, void *ctx) {
  n->type = NULL;
  n->macro = 0;
  n->ref_kind = REF_NONE;
  n->overload = 0;
  n->ref = 0;
  ast_for_each_child(n, reset, ctx);
}

rulecore_status check_ast(const check_options *o, ast *t, rulecore_diagnostics *d) {
  if (!check_overload(OV_NOT_BOOL)) return RULECORE_ERR_NOMEM; /* the table failed to build */
  checker c = {.o = o, .t = t, .a = &t->arena, .d = d};
  c.subst = c.subst_small;
  c.cap = ARRAY_LEN(c.subst_small);
  c.trail = c.trail_small;
  c.trail_cap = ARRAY_LEN(c.trail_small);
  c.scope = c.scope_small;
  c.scope_cap = ARRAY_LEN(c.scope_small);
  size_t errors_before = d->errors;
  reset(t->root, NULL);
  const type *root = check_node(&c, t->root);
  if (o->result && !c.nomem && !is_error(&c, root) && !assignable(&c, o->result, root)) {
    char want[128], got[128];
    report(&c, RULECORE_DIAG_WRONG_RESULT_TYPE, &t->root->span, "the expression must be of type %s, but it is %s",
           type_spell(want, sizeof want, o->result), type_spell(got, sizeof got, substitute(&c, root, true)));
  }
  if (!c.nomem) finalize(t->root, &c);
  if (c.subst != c.subst_small) mem_free(c.subst);
  if (c.trail != c.trail_small) mem_free(c.trail);
  if (c.scope != c.scope_small) mem_free(c.scope);
  if (c.nomem || d->oom) return RULECORE_ERR_NOMEM;
  diag_sort(d);
  return d->errors > errors_before ? RULECORE_ERR_SOURCE : RULECORE_OK;
}
