/*
 * compile.c: the checked AST becomes a tree of closures (eval.h).
 *
 * Each node gets the closure function its checked types call for: an int
 * comparison of a record field with a constant is cl_gt_fik, not a
 * comparison that looks at tags.  Constants are folded (a node whose
 * operands are all constants is evaluated now, unless that fails, in which
 * case the error is left for run time where CEL puts it), fields of
 * variables are resolved to slots, constant regular expressions are
 * compiled once, and `s in [constant strings]` becomes a set.  Everything
 * lands in the program's arena; the program keeps nothing of the AST.
 */
#include <string.h>

#include "ast.h"
#include "check.h"
#include "eval.h"
#include "regex.h"

struct regex_list {
  struct regex_list *next;
  regex *re;
};

/* A cel.block being compiled: cel.index(i) in it reads a local of one of
 * its expressions. */
struct block_scope {
  const cnode *node;
  const struct block_scope *up;
};

typedef struct compiler {
  rulecore_program *p;
  arena *a;
  bool oom;
  ev fold; /* evaluates constant subtrees */
  const struct block_scope *blocks; /* innermost first */
  tracer *tr; /* compile_traced: the points of trace closures; NULL: none */
} compiler;

static family family_of(const type *t) {
  switch (t->kind) {
  case TYPE_BOOL: return F_BOOL;
  case TYPE_INT: return F_INT;
  case TYPE_UINT: return F_UINT;
  case TYPE_DOUBLE: return F_DOUBLE;
  case TYPE_STRING: return F_STRING;
  default: return F_VALUE;
  }
}

static cnode *cnew(compiler *c, const ast_node *src, family fam) {
  cnode *n = arena_alloc(c->a, sizeof *n);
  if (!n) {
    c->oom = true;
    return NULL;
  }
  n->fam = (uint8_t)fam;
  /* Errors of operators point at the operator: `a / b` at the '/'. */
  const ast_span *at = src->kind == AST_BINARY ? &src->u.binary.op_span
                       : src->kind == AST_UNARY ? &src->u.unary.op_span
                       : src->kind == AST_SELECT ? &src->u.select.field_span
                       : src->kind == AST_INDEX ? &src->u.index.index->span
                       : src->kind == AST_CALL && src->u.call.target ? &src->u.call.function_span
                                                                      : &src->span;
  n->line = at->line;
  n->column = at->column;
  return n;
}

/* A copy of an AST name in the program's arena: the program outlives the
 * expression it was compiled from. */
static const char *keep(compiler *c, const char *name) {
  char *z = name ? arena_strndup(c->a, name, strlen(name)) : NULL;
  if (name && !z) c->oom = true;
  return z ? z : "";
}

/* A closure in each result family: the one a node gets is its family's. */
typedef struct family_fns {
  fn_b b;
  fn_i i;
  fn_u u;
  fn_d d;
  fn_s s;
  fn_v v;
} family_fns;

#define FAMILY_FNS(prefix) {cl_##prefix##_b, cl_##prefix##_i, cl_##prefix##_u, cl_##prefix##_d, cl_##prefix##_s, cl_##prefix##_v}
static const family_fns k_fns = FAMILY_FNS(k), var_fns = FAMILY_FNS(var), fld_fns = FAMILY_FNS(fld),
                        loc_fns = FAMILY_FNS(loc), lfld_fns = FAMILY_FNS(lfld), cond_fns = FAMILY_FNS(cond), bind_fns = FAMILY_FNS(bind),
                        trace_fns = FAMILY_FNS(trace),
                        ub_fns = {cl_ub_b, cl_ub_i, cl_ub_u, cl_ub_d, cl_ub_s, NULL};

/* Give n the closure of its family from fns. */
static void set_fn(cnode *n, const family_fns *fns) {
  switch (n->fam) {
  case F_BOOL: n->fn.b = fns->b; break;
  case F_INT: n->fn.i = fns->i; break;
  case F_UINT: n->fn.u = fns->u; break;
  case F_DOUBLE: n->fn.d = fns->d; break;
  case F_STRING: n->fn.s = fns->s; break;
  default: n->fn.v = fns->v; break;
  }
}

/* Whether n's closure is its family's in fns. */
static bool has_fn(const cnode *n, const family_fns *fns) {
  switch (n->fam) {
  case F_BOOL: return n->fn.b == fns->b;
  case F_INT: return n->fn.i == fns->i;
  case F_UINT: return n->fn.u == fns->u;
  case F_DOUBLE: return n->fn.d == fns->d;
  case F_STRING: return n->fn.s == fns->s;
  default: return n->fn.v == fns->v;
  }
}

static bool is_const(const cnode *n) { return has_fn(n, &k_fns); }

bool compile_constant(const rulecore_program *p, value *out) {
  if (!is_const(p->root)) return false;
  *out = p->root->k;
  return true;
}

/* The type a type value may point to for the program's life: static
 * singletons, or the schema's records. */
static const type *stable_type(const type *t) {
  switch (t->kind) {
  case TYPE_LIST: return &value_type_list_;
  case TYPE_MAP: return &value_type_map_;
  case TYPE_TYPE: return &value_type_type_;
  case TYPE_RECORD: return t;
  case TYPE_PARAM:
  case TYPE_ERROR: return T_DYN;
  default: return t; /* primitives are static */
  }
}

/* v copied into the program's arena, with everything it points to. */
static value copy_value(compiler *c, value v) {
  switch (v.kind) {
  case V_STRING:
  case V_BYTES: {
    char *s = arena_strndup(c->a, v.s, v.n);
    if (!s) c->oom = true;
    v.s = s ? s : "";
    return v;
  }
  case V_LIST: {
    vlist *l = arena_alloc(c->a, sizeof(vlist) + v.l->n * sizeof(value));
    if (!l) {
      c->oom = true;
      return v_null();
    }
    l->n = v.l->n;
    for (uint32_t i = 0; i < l->n; i++) l->items[i] = copy_value(c, v.l->items[i]);
    v.l = l;
    return v;
  }
  case V_MAP: {
    uint32_t n = v.m->n;
    value *kv = arena_alloc(c->a, 2 * (size_t)n * sizeof(value) + 1);
    if (!kv) {
      c->oom = true;
      return v_null();
    }
    for (uint32_t i = 0; i < n; i++) {
      kv[i] = copy_value(c, v.m->keys[i]);
      kv[n + i] = copy_value(c, v.m->vals[i]);
    }
    int64_t dup;
    vmap *m = value_map_build_arena(c->a, kv, kv + n, n, &dup);
    if (!m) {
      c->oom = true;
      return v_null();
    }
    v.m = m;
    return v;
  }
  case V_RECORD: {
    uint32_t nf = v.r->type->nfields;
    vrecord *r = arena_alloc(c->a, sizeof(vrecord) + nf * sizeof(value));
    if (!r) {
      c->oom = true;
      return v_null();
    }
    r->type = v.r->type;
    for (uint32_t i = 0; i < nf; i++) r->fields[i] = copy_value(c, v.r->fields[i]);
    v.r = r;
    return v;
  }
  case V_TYPE: v.t = stable_type(v.t); return v;
  case V_OPAQUE: {
    void *o = arena_alloc(c->a, v.o->ops->size);
    if (!o) {
      c->oom = true;
      return v_null();
    }
    memcpy(o, v.o, v.o->ops->size);
    v.o = o;
    return v;
  }
  default: return v;
  }
}

/* A constant node of family fam holding v (already in the arena). */
static cnode *konst(compiler *c, const ast_node *src, family fam, value v) {
  cnode *n = cnew(c, src, fam);
  if (!n) return NULL;
  n->k = v;
  set_fn(n, &k_fns);
  return n;
}

/* The family a value of kind k is held in, or F_VALUE. */
static family family_of_kind(uint8_t k) {
  switch (k) {
  case V_BOOL: return F_BOOL;
  case V_INT: return F_INT;
  case V_UINT: return F_UINT;
  case V_DOUBLE: return F_DOUBLE;
  case V_STRING: return F_STRING;
  default: return F_VALUE;
  }
}

/* When n has operands and all of them are constants, evaluate it now and
 * return the constant; n itself when it has none, some are not constant,
 * or the evaluation fails (the error belongs to run time). */
static cnode *fold(compiler *c, cnode *n, const ast_node *src) {
  if (!n) return NULL;
  bool any = false;
  const cnode *ops[3] = {n->a, n->b, n->c};
  for (int i = 0; i < 3; i++) {
    if (!ops[i]) continue;
    if (!is_const(ops[i])) return n;
    any = true;
  }
  for (uint32_t i = 0; i < n->n; i++) {
    if (n->kids[i] && !is_const(n->kids[i])) return n;
    if (n->kids[i]) any = true;
  }
  if (!any) return n;
  ev *e = &c->fold;
  pool_reset(&e->pool);
  e->err = NULL;
  e->oom = false;
  e->cost = 0;
  value v = ev_value(n, e);
  if (e->oom) {
    c->oom = true;
    return n;
  }
  if (e->err) return n;
  /* A typed node keeps its family: its consumers call that family. */
  if (n->fam != F_VALUE && family_of_kind(v.kind) != n->fam) return n;
  return konst(c, src, (family)n->fam, copy_value(c, v));
}

/* x as family fam: unboxed (with a run-time kind check) when x is boxed
 * and fam is not.  Every boxed consumer accepts any family. */
static cnode *want(compiler *c, cnode *x, family fam, const ast_node *src) {
  if (!x || x->fam == fam || fam == F_VALUE) return x;
  cnode *n = cnew(c, src, fam);
  if (!n) return NULL;
  n->a = x;
  set_fn(n, &ub_fns); /* fam is not F_VALUE here */
  return fold(c, n, src);
}

static cnode *compile_node(compiler *c, const ast_node *x);

/* Compile x and convert it to family fam. */
static cnode *compile_as(compiler *c, const ast_node *x, family fam) { return want(c, compile_node(c, x), fam, x); }

/* Closures reading a variable, a field of a variable, a local. */
static cnode *var_node(compiler *c, const ast_node *src, uint32_t slot, const char *name) {
  family fam = family_of(src->type);
  cnode *n = cnew(c, src, fam);
  if (!n) return NULL;
  n->slot = slot;
  n->name = keep(c, name);
  set_fn(n, &var_fns);
  return n;
}

static cnode *field_node(compiler *c, const ast_node *src, uint32_t slot, const char *var, uint32_t field,
                         const char *name) {
  family fam = family_of(src->type);
  cnode *n = cnew(c, src, fam);
  if (!n) return NULL;
  n->slot = slot;
  n->field = field;
  n->name = keep(c, name);
  n->p = keep(c, var);
  set_fn(n, &fld_fns);
  return n;
}

static cnode *local_node(compiler *c, const ast_node *src, uint32_t slot, const char *name) {
  family fam = family_of(src->type);
  cnode *n = cnew(c, src, fam);
  if (!n) return NULL;
  n->slot = slot;
  n->name = keep(c, name);
  set_fn(n, &loc_fns);
  return n;
}

/* The variable a node names, when it is one (an identifier or a
 * qualified name resolved to a schema variable). */
static bool names_variable(const ast_node *x) {
  return (x->kind == AST_IDENT || x->kind == AST_SELECT) && x->ref_kind == REF_VARIABLE;
}

static const char *var_name(const ast_node *x) {
  return x->kind == AST_IDENT ? x->u.ident.name : x->u.select.field;
}

/* Every overload of function fn taking nargs arguments (with the
 * receiver), for run-time dispatch. */
static const void *candidates_for(compiler *c, const char *fn, bool method, uint32_t nargs) {
  uint16_t ids[OVERLOAD_COUNT];
  uint32_t count = 0;
  for (uint16_t id = 1; id < OVERLOAD_COUNT; id++) {
    const overload *o = check_overload(id);
    if (o && strcmp(o->function, fn) == 0 && o->nparams == nargs && (!method || o->method)) ids[count++] = id;
  }
  struct {
    uint32_t n;
    uint16_t ids[];
  } *set = arena_alloc(c->a, sizeof *set + count * sizeof(uint16_t));
  if (!set) {
    c->oom = true;
    return NULL;
  }
  set->n = count;
  memcpy(set->ids, ids, count * sizeof(uint16_t));
  return set;
}

/* A generic call of overload ov (0: dispatched at run time among fn's
 * overloads) on args, as a node of the family of src's type. */
static cnode *call_node(compiler *c, const ast_node *src, uint16_t ov, const char *fn, bool method, cnode **args,
                        uint32_t nargs) {
  cnode *n = cnew(c, src, F_VALUE);
  if (!n) return NULL;
  for (uint32_t i = 0; i < nargs; i++)
    if (!args[i]) return NULL;
  n->fn.v = cl_call_v;
  n->ov = ov;
  n->name = keep(c, fn);
  n->n = nargs;
  n->kids = arena_alloc(c->a, nargs * sizeof(cnode *) + 1);
  if (!n->kids) {
    c->oom = true;
    return NULL;
  }
  memcpy(n->kids, args, nargs * sizeof(cnode *));
  if (!ov) n->p = candidates_for(c, fn, method, nargs);
  return want(c, fold(c, n, src), family_of(src->type), src);
}

static cmp_op cmp_of(ast_op op) {
  switch (op) {
  case OP_LT: return CMP_LT;
  case OP_LE: return CMP_LE;
  case OP_GT: return CMP_GT;
  case OP_GE: return CMP_GE;
  case OP_EQ: return CMP_EQ;
  default: return CMP_NE;
  }
}

/* The operator with its operands swapped: k < x is x > k. */
static cmp_op mirror(cmp_op op) {
  switch (op) {
  case CMP_LT: return CMP_GT;
  case CMP_LE: return CMP_GE;
  case CMP_GT: return CMP_LT;
  case CMP_GE: return CMP_LE;
  default: return op;
  }
}

#define CMP_TABLE(kind) {cl_lt_##kind, cl_le_##kind, cl_gt_##kind, cl_ge_##kind, cl_eq_##kind, cl_ne_##kind}
static const fn_b cmp_ii[6] = CMP_TABLE(ii), cmp_ik[6] = CMP_TABLE(ik), cmp_fik[6] = CMP_TABLE(fik),
                  cmp_dd[6] = CMP_TABLE(dd), cmp_dk[6] = CMP_TABLE(dk), cmp_fdk[6] = CMP_TABLE(fdk),
                  cmp_uu[6] = CMP_TABLE(uu), cmp_uk[6] = CMP_TABLE(uk);

/* Whether x is a field of a variable read as family fam. */
static bool is_field(const cnode *x, family fam) {
  switch (fam) {
  case F_INT: return x->fn.i == cl_fld_i;
  case F_DOUBLE: return x->fn.d == cl_fld_d;
  case F_STRING: return x->fn.s == cl_fld_s;
  default: return false;
  }
}

static cnode *compile_compare(compiler *c, const ast_node *src, cmp_op op) {
  cnode *l = compile_node(c, src->u.binary.left), *r = compile_node(c, src->u.binary.right);
  if (!l || !r) return NULL;
  cnode *n = cnew(c, src, F_BOOL);
  if (!n) return NULL;
  if (l->fam == r->fam && is_const(l) && !is_const(r) && l->fam != F_VALUE) {
    cnode *t = l;
    l = r;
    r = t;
    op = mirror(op);
  }
  n->op = (uint8_t)op;
  n->a = l;
  n->b = r;
  bool k = is_const(r) && !is_const(l);
  if (l->fam == r->fam) {
    switch ((family)l->fam) {
    case F_INT:
    case F_DOUBLE:
    case F_UINT: {
      const fn_b *plain = l->fam == F_INT ? cmp_ii : l->fam == F_DOUBLE ? cmp_dd : cmp_uu;
      const fn_b *withk = l->fam == F_INT ? cmp_ik : l->fam == F_DOUBLE ? cmp_dk : cmp_uk;
      if (k && is_field(l, (family)l->fam)) {
        n->fn.b = l->fam == F_INT ? cmp_fik[op] : cmp_fdk[op];
        n->line = l->line; /* its errors are the field's */
        n->column = l->column;
        n->slot = l->slot;
        n->field = l->field;
        n->name = l->name;
        n->p = l->p;
        n->k = r->k;
        n->a = n->b = NULL;
        return n;
      }
      if (k) {
        n->fn.b = withk[op];
        n->k = r->k;
        n->b = NULL;
        return n;
      }
      n->fn.b = plain[op];
      return fold(c, n, src);
    }
    case F_STRING:
      if (k && is_field(l, F_STRING)) {
        n->fn.b = cl_cmp_fsk;
        n->line = l->line;
        n->column = l->column;
        n->slot = l->slot;
        n->field = l->field;
        n->name = l->name;
        n->p = l->p;
        n->k = r->k;
        n->a = n->b = NULL;
        return n;
      }
      if (k) {
        n->fn.b = cl_cmp_sk;
        n->k = r->k;
        n->b = NULL;
        return n;
      }
      n->fn.b = cl_cmp_ss;
      return fold(c, n, src);
    case F_BOOL: n->fn.b = cl_cmp_bb; return fold(c, n, src);
    default: break;
    }
  }
  n->fn.b = cl_cmp_vv;
  return fold(c, n, src);
}

/* `x in [constant strings]` as a set, when it is one. */
static const str_set *string_set(compiler *c, const cnode *list) {
  if (!is_const(list) || list->k.kind != V_LIST) return NULL;
  const vlist *l = list->k.l;
  for (uint32_t i = 0; i < l->n; i++)
    if (l->items[i].kind != V_STRING) return NULL;
  str_set *set = arena_alloc(c->a, sizeof *set);
  str *items = arena_alloc(c->a, l->n * sizeof(str) + 1);
  if (!set || !items) {
    c->oom = true;
    return NULL;
  }
  for (uint32_t i = 0; i < l->n; i++) items[i] = (str){l->items[i].s, l->items[i].n};
  set->n = l->n;
  set->items = items;
  return set;
}

static cnode *binary_node(compiler *c, const ast_node *src, family fam, cnode *a, cnode *b) {
  if (!a || !b) return NULL;
  cnode *n = cnew(c, src, fam);
  if (!n) return NULL;
  n->a = a;
  n->b = b;
  return n;
}

static cnode *compile_binary(compiler *c, const ast_node *src) {
  ast_op op = src->u.binary.op;
  const ast_node *L = src->u.binary.left, *R = src->u.binary.right;
  switch (op) {
  case OP_AND:
  case OP_OR: {
    cnode *a = compile_as(c, L, F_BOOL), *b = compile_as(c, R, F_BOOL);
    if (!a || !b) return NULL;
    bool zero = op == OP_OR; /* the absorbing value: false for &&, true for || */
    /* `false && x` and `x && false` are false whatever x is. */
    if (is_const(a)) return a->k.b == zero ? a : b;
    if (is_const(b) && b->k.b == zero) return b;
    if (is_const(b)) return a;
    cnode *n = binary_node(c, src, F_BOOL, a, b);
    if (n) n->fn.b = op == OP_AND ? cl_and_b : cl_or_b;
    return n;
  }
  case OP_LT:
  case OP_LE:
  case OP_GT:
  case OP_GE:
  case OP_EQ:
  case OP_NE: return compile_compare(c, src, cmp_of(op));
  case OP_IN: {
    cnode *a = compile_node(c, L), *b = compile_node(c, R);
    if (!a || !b) return NULL;
    cnode *n = binary_node(c, src, F_BOOL, a, b);
    if (!n) return NULL;
    const str_set *set = a->fam == F_STRING ? string_set(c, b) : NULL;
    if (set) {
      n->fn.b = cl_in_sset;
      n->p = set;
      n->b = NULL;
    } else {
      n->fn.b = cl_in_v;
    }
    return fold(c, n, src);
  }
  default: break;
  }
  static const struct {
    overload_id ov;
    family fam;
    void *fn;
  } arith[] = {
      {OV_ADD_INT, F_INT, (void *)cl_add_ii},         {OV_SUBTRACT_INT, F_INT, (void *)cl_sub_ii},
      {OV_MULTIPLY_INT, F_INT, (void *)cl_mul_ii},    {OV_DIVIDE_INT, F_INT, (void *)cl_div_ii},
      {OV_MODULO_INT, F_INT, (void *)cl_mod_ii},      {OV_ADD_UINT, F_UINT, (void *)cl_add_uu},
      {OV_SUBTRACT_UINT, F_UINT, (void *)cl_sub_uu},  {OV_MULTIPLY_UINT, F_UINT, (void *)cl_mul_uu},
      {OV_DIVIDE_UINT, F_UINT, (void *)cl_div_uu},    {OV_MODULO_UINT, F_UINT, (void *)cl_mod_uu},
      {OV_ADD_DOUBLE, F_DOUBLE, (void *)cl_add_dd},   {OV_SUBTRACT_DOUBLE, F_DOUBLE, (void *)cl_sub_dd},
      {OV_MULTIPLY_DOUBLE, F_DOUBLE, (void *)cl_mul_dd}, {OV_DIVIDE_DOUBLE, F_DOUBLE, (void *)cl_div_dd},
      {OV_ADD_STRING, F_STRING, (void *)cl_add_ss},
  };
  for (size_t i = 0; i < ARRAY_LEN(arith); i++) {
    if (src->overload != arith[i].ov) continue;
    family fam = arith[i].fam;
    cnode *n = binary_node(c, src, fam, compile_as(c, L, fam), compile_as(c, R, fam));
    if (!n) return NULL;
    switch (fam) {
    case F_INT: n->fn.i = (fn_i)arith[i].fn; break;
    case F_UINT: n->fn.u = (fn_u)arith[i].fn; break;
    case F_DOUBLE: n->fn.d = (fn_d)arith[i].fn; break;
    default: n->fn.s = (fn_s)arith[i].fn; break;
    }
    return want(c, fold(c, n, src), family_of(src->type), src);
  }
  static const char *const names[OP_COUNT] = {[OP_ADD] = "_+_", [OP_SUB] = "_-_", [OP_MUL] = "_*_",
                                              [OP_DIV] = "_/_", [OP_MOD] = "_%_"};
  cnode *args[2] = {compile_node(c, L), compile_node(c, R)};
  return call_node(c, src, src->overload, names[op], false, args, 2);
}

static cnode *compile_unary(compiler *c, const ast_node *src) {
  const ast_node *x = src->u.unary.operand;
  if (src->u.unary.op == OP_NOT) {
    cnode *n = cnew(c, src, F_BOOL);
    if (!n || !(n->a = compile_as(c, x, F_BOOL))) return NULL;
    n->fn.b = cl_not_b;
    return fold(c, n, src);
  }
  if (src->overload == OV_NEG_INT || src->overload == OV_NEG_DOUBLE) {
    family fam = src->overload == OV_NEG_INT ? F_INT : F_DOUBLE;
    cnode *n = cnew(c, src, fam);
    if (!n || !(n->a = compile_as(c, x, fam))) return NULL;
    if (fam == F_INT)
      n->fn.i = cl_neg_i;
    else
      n->fn.d = cl_neg_d;
    return want(c, fold(c, n, src), family_of(src->type), src);
  }
  cnode *arg = compile_node(c, x);
  return call_node(c, src, src->overload, "-_", false, &arg, 1);
}

static cnode *compile_conditional(compiler *c, const ast_node *src) {
  family fam = family_of(src->type);
  cnode *cond = compile_as(c, src->u.cond.cond, F_BOOL);
  cnode *a = compile_as(c, src->u.cond.then, fam), *b = compile_as(c, src->u.cond.otherwise, fam);
  if (!cond || !a || !b) return NULL;
  if (is_const(cond)) return cond->k.b ? a : b;
  cnode *n = cnew(c, src, fam);
  if (!n) return NULL;
  n->a = cond;
  n->b = a;
  n->c = b;
  set_fn(n, &cond_fns);
  return n;
}

static cnode *compile_select(compiler *c, const ast_node *src) {
  if (names_variable(src)) return var_node(c, src, (uint32_t)src->ref, var_name(src));
  /* A qualified type name (net.IP, google.protobuf.Timestamp), as check_select resolved it. */
  if (src->ref_kind == REF_TYPE)
    return konst(c, src, F_VALUE, v_type(stable_type(src->type->elem ? src->type->elem : T_DYN)));
  const ast_node *o = src->u.select.operand;
  bool record = o->type && o->type->kind == TYPE_RECORD;
  if (record && names_variable(o))
    return field_node(c, src, (uint32_t)o->ref, var_name(o), (uint32_t)src->ref, src->u.select.field);
  cnode *n = cnew(c, src, F_VALUE);
  if (!n || !(n->a = compile_node(c, o))) return NULL;
  if (record && has_fn(n->a, &loc_fns)) { /* a field of a comprehension variable */
    n->fam = (uint8_t)family_of(src->type);
    n->slot = n->a->slot;
    n->field = (uint32_t)src->ref;
    n->name = keep(c, src->u.select.field);
    n->p = "";
    n->a = NULL;
    set_fn(n, &lfld_fns);
    return n;
  }
  n->fn.v = cl_sel_v;
  n->name = keep(c, src->u.select.field);
  if (record) {
    n->p = o->type;
    n->field = (uint32_t)src->ref;
  }
  return want(c, fold(c, n, src), family_of(src->type), src);
}

static cnode *compile_has(compiler *c, const ast_node *src) {
  const ast_node *sel = src->u.call.args[0], *o = sel->u.select.operand;
  bool record = o->type && o->type->kind == TYPE_RECORD;
  cnode *n = cnew(c, src, F_BOOL);
  if (!n) return NULL;
  n->name = keep(c, sel->u.select.field);
  if (record && names_variable(o)) {
    n->fn.b = cl_has_fld;
    n->slot = (uint32_t)o->ref;
    n->field = (uint32_t)sel->ref;
    n->p = keep(c, var_name(o));
    return n;
  }
  if (!(n->a = compile_node(c, o))) return NULL;
  n->fn.b = cl_has_v;
  if (record) {
    n->p = o->type;
    n->field = (uint32_t)sel->ref;
  }
  return fold(c, n, src);
}

static cnode *compile_comprehension(compiler *c, const ast_node *src) {
  ast_macro m = src->macro;
  uint32_t nargs = src->u.call.nargs;
  bool two = (m == MACRO_ALL || m == MACRO_EXISTS || m == MACRO_EXISTS_ONE) ? nargs == 3
             : (m == MACRO_TRANSFORM_LIST || m == MACRO_TRANSFORM_MAP);
  uint32_t nvars = two ? 2 : 1;
  const ast_node *const *args = (const ast_node *const *)src->u.call.args;
  uint32_t slot = (uint32_t)args[0]->ref;
  if (slot + nvars > c->p->nlocals) c->p->nlocals = slot + nvars;
  bool predicate = m == MACRO_ALL || m == MACRO_EXISTS || m == MACRO_EXISTS_ONE;
  cnode *n = cnew(c, src, predicate ? F_BOOL : F_VALUE);
  if (!n) return NULL;
  n->slot = slot;
  n->field = nvars;
  n->n = 3;
  n->kids = arena_alloc(c->a, 3 * sizeof(cnode *));
  if (!n->kids) {
    c->oom = true;
    return NULL;
  }
  if (!(n->kids[0] = compile_node(c, src->u.call.target))) return NULL;
  if (predicate) {
    if (!(n->kids[1] = compile_as(c, args[nvars], F_BOOL))) return NULL;
    n->fn.b = m == MACRO_ALL ? cl_all_b : m == MACRO_EXISTS ? cl_exists_b : cl_exists_one_b;
    return n;
  }
  bool has_filter = m == MACRO_FILTER || nargs == nvars + 2;
  if (has_filter && !(n->kids[1] = compile_as(c, args[nvars], F_BOOL))) return NULL;
  if (m != MACRO_FILTER && !(n->kids[2] = compile_node(c, args[nargs - 1]))) return NULL;
  n->op = m == MACRO_TRANSFORM_MAP ? 2 : m == MACRO_FILTER ? 1 : 0;
  n->fn.v = cl_collect_v;
  return n;
}

/* cel.bind and cel.block: the locals' expressions, then the result. */
static cnode *compile_bind(compiler *c, const ast_node *src) {
  bool block = src->macro == MACRO_BLOCK;
  const ast_node *const *args = (const ast_node *const *)src->u.call.args;
  uint32_t count = block ? args[0]->u.list.n : 1;
  uint32_t slot = (uint32_t)(block ? src->ref : args[0]->ref);
  if (slot + count > c->p->nlocals) c->p->nlocals = slot + count;
  family fam = family_of(src->type);
  cnode *n = cnew(c, src, fam);
  if (!n) return NULL;
  n->slot = slot;
  n->op = block;
  n->n = count;
  n->kids = arena_alloc(c->a, count * sizeof(cnode *) + 1);
  if (!n->kids) {
    c->oom = true;
    return NULL;
  }
  struct block_scope scope = {n, c->blocks};
  if (block) c->blocks = &scope;
  bool ok = true;
  for (uint32_t i = 0; i < count && ok; i++)
    ok = (n->kids[i] = compile_node(c, block ? args[0]->u.list.items[i] : args[1])) != NULL;
  n->a = ok ? compile_as(c, args[block ? 1 : 2], fam) : NULL;
  c->blocks = scope.up;
  if (!n->a) return NULL;
  set_fn(n, &bind_fns);
  return n;
}

/* cel.index(i) of the innermost block holding its slot; cel.iterVar(i, j)
 * and cel.accuVar(i, j), plain locals. */
static cnode *compile_cel_name(compiler *c, const ast_node *src) {
  uint32_t slot = (uint32_t)src->ref;
  if (strcmp(src->u.call.function, "index") != 0) return local_node(c, src, slot, src->u.call.function);
  const struct block_scope *b = c->blocks;
  while (b && (slot < b->node->slot || slot - b->node->slot >= b->node->n)) b = b->up;
  if (!b) return NULL;
  cnode *n = cnew(c, src, F_VALUE);
  if (!n) return NULL;
  n->slot = slot;
  n->field = slot - b->node->slot;
  n->kids = b->node->kids; /* not n->n: its one operand is kids[field] */
  n->fn.v = cl_index_v;
  return want(c, n, family_of(src->type), src);
}

/* String functions with a constant second operand get their own
 * closures; `matches` with a constant pattern compiles it now. */
static cnode *compile_string_fn(compiler *c, const ast_node *src, cnode *s, cnode *arg) {
  overload_id ov = src->overload;
  if (!s || !arg) return NULL;
  cnode *n = cnew(c, src, F_BOOL);
  if (!n) return NULL;
  n->a = s = want(c, s, F_STRING, src);
  arg = want(c, arg, F_STRING, src);
  if (!s || !arg) return NULL;
  bool k = is_const(arg);
  if (ov == OV_MATCHES || ov == OV_MATCHES_STRING) {
    if (!k) {
      cnode *args[2] = {s, arg};
      return call_node(c, src, ov, "matches", false, args, 2);
    }
    char err[160];
    regex *re = regex_compile(arg->k.s, arg->k.n, err, sizeof err);
    if (!re) {
      /* A pattern folded from constants the checker did not see whole:
       * its error is raised when evaluated, as any other. */
      cnode *args[2] = {s, arg};
      return call_node(c, src, ov, "matches", false, args, 2);
    }
    struct regex_list *item = arena_alloc(c->a, sizeof *item);
    if (!item) {
      regex_free(re);
      c->oom = true;
      return NULL;
    }
    item->re = re;
    item->next = c->p->regexes;
    c->p->regexes = item;
    n->fn.b = cl_matches_sk;
    n->p = re;
    return fold(c, n, src);
  }
  if (k) {
    n->k = arg->k;
    n->fn.b = ov == OV_STARTS_WITH_STRING ? cl_starts_sk : ov == OV_ENDS_WITH_STRING ? cl_ends_sk : cl_contains_sk;
  } else {
    n->b = arg;
    n->fn.b = ov == OV_STARTS_WITH_STRING ? cl_starts_ss : ov == OV_ENDS_WITH_STRING ? cl_ends_ss : cl_contains_ss;
  }
  return fold(c, n, src);
}

/* A call of a namespaced global function (check.c marks `math.greatest(a,
 * b)` REF_FUNCTION): the function is "target.f", the target is no
 * argument, and a variadic call (ref 1) passes its arguments as one list. */
static cnode *compile_qualified_call(compiler *c, const ast_node *src) {
  uint32_t nargs = src->u.call.nargs;
  cnode *fixed[OVERLOAD_MAX_PARAMS], *list = NULL;
  cnode **args = src->ref == 1 ? &list : fixed;
  if (src->ref == 1) {
    list = cnew(c, src, F_VALUE);
    if (!list) return NULL;
    list->n = nargs;
    list->kids = arena_alloc(c->a, nargs * sizeof(cnode *) + 1);
    if (!list->kids) {
      c->oom = true;
      return NULL;
    }
    for (uint32_t i = 0; i < nargs; i++)
      if (!(list->kids[i] = compile_node(c, src->u.call.args[i]))) return NULL;
    list->fn.v = cl_list_v;
    if (!(list = fold(c, list, src))) return NULL;
    nargs = 1;
  } else {
    if (nargs > ARRAY_LEN(fixed)) return NULL;
    for (uint32_t i = 0; i < nargs; i++)
      if (!(fixed[i] = compile_node(c, src->u.call.args[i]))) return NULL;
  }
  buf name = {0};
  ast_dotted_name(src->u.call.target, &name);
  buf_putc(&name, '.');
  buf_puts(&name, src->u.call.function);
  cnode *n = name.oom ? NULL : call_node(c, src, src->overload, name.data, false, args, nargs);
  if (name.oom) c->oom = true;
  buf_release(&name);
  return n;
}

static cnode *compile_call(compiler *c, const ast_node *src) {
  if (src->macro == MACRO_HAS) return compile_has(c, src);
  if (src->macro == MACRO_BIND || src->macro == MACRO_BLOCK) return compile_bind(c, src);
  if (src->macro != MACRO_NONE) return compile_comprehension(c, src);
  if (src->ref_kind == REF_BOUND) return compile_cel_name(c, src);
  if (src->ref_kind == REF_FUNCTION) return compile_qualified_call(c, src);
  uint32_t nargs = src->u.call.nargs + (src->u.call.target ? 1 : 0);
  cnode *args[4];
  if (nargs > ARRAY_LEN(args)) return NULL;
  uint32_t k = 0;
  if (src->u.call.target) args[k++] = compile_node(c, src->u.call.target);
  for (uint32_t i = 0; i < src->u.call.nargs; i++) args[k++] = compile_node(c, src->u.call.args[i]);
  for (uint32_t i = 0; i < nargs; i++)
    if (!args[i]) return NULL;
  switch ((overload_id)src->overload) {
  case OV_SIZE_STRING:
  case OV_SIZE_STRING_METHOD:
  case OV_SIZE_LIST:
  case OV_SIZE_LIST_METHOD:
  case OV_SIZE_MAP:
  case OV_SIZE_MAP_METHOD:
  case OV_SIZE_BYTES:
  case OV_SIZE_BYTES_METHOD: {
    cnode *n = cnew(c, src, F_INT);
    if (!n) return NULL;
    n->a = args[0];
    if (args[0]->fam == F_STRING) {
      n->fn.i = cl_size_s;
    } else if (args[0]->fn.v == cl_fld_v) {
      n->fn.i = cl_size_fld;
      n->slot = args[0]->slot;
      n->field = args[0]->field;
      n->name = args[0]->name;
      n->p = args[0]->p;
      n->a = NULL;
      return n;
    } else {
      n->fn.i = cl_size_v;
    }
    return fold(c, n, src);
  }
  case OV_STARTS_WITH_STRING:
  case OV_ENDS_WITH_STRING:
  case OV_CONTAINS_STRING:
  case OV_MATCHES_STRING:
  case OV_MATCHES: return compile_string_fn(c, src, args[0], args[1]);
  default: break;
  }
  return call_node(c, src, src->overload, src->u.call.function, src->u.call.target != NULL, args, nargs);
}

static cnode *compile_list(compiler *c, const ast_node *src) {
  cnode *n = cnew(c, src, F_VALUE);
  if (!n) return NULL;
  n->n = src->u.list.n;
  n->kids = arena_alloc(c->a, n->n * sizeof(cnode *) + 1);
  if (!n->kids) {
    c->oom = true;
    return NULL;
  }
  for (uint32_t i = 0; i < n->n; i++)
    if (!(n->kids[i] = compile_node(c, src->u.list.items[i]))) return NULL;
  n->fn.v = cl_list_v;
  if (n->n == 0) return konst(c, src, F_VALUE, copy_value(c, v_list(&(vlist){0})));
  return fold(c, n, src);
}

static cnode *compile_map(compiler *c, const ast_node *src) {
  cnode *n = cnew(c, src, F_VALUE);
  if (!n) return NULL;
  n->n = 2 * src->u.map.n;
  n->kids = arena_alloc(c->a, n->n * sizeof(cnode *) + 1);
  if (!n->kids) {
    c->oom = true;
    return NULL;
  }
  for (uint32_t i = 0; i < src->u.map.n; i++) {
    if (!(n->kids[2 * i] = compile_node(c, src->u.map.keys[i]))) return NULL;
    if (!(n->kids[2 * i + 1] = compile_node(c, src->u.map.values[i]))) return NULL;
  }
  n->fn.v = cl_map_v;
  if (n->n == 0) {
    vmap *m = arena_alloc(c->a, sizeof *m);
    if (!m) {
      c->oom = true;
      return NULL;
    }
    return konst(c, src, F_VALUE, v_map(m));
  }
  return fold(c, n, src);
}

static cnode *compile_struct(compiler *c, const ast_node *src) {
  const type *rt = src->type;
  if (!rt || rt->kind != TYPE_RECORD) return NULL;
  cnode *n = cnew(c, src, F_VALUE);
  if (!n) return NULL;
  n->n = src->u.record.n;
  n->kids = arena_alloc(c->a, n->n * sizeof(cnode *) + 1);
  uint32_t *idx = arena_alloc(c->a, n->n * sizeof(uint32_t) + 1);
  if (!n->kids || !idx) {
    c->oom = true;
    return NULL;
  }
  for (uint32_t i = 0; i < n->n; i++) {
    const record_field *f = type_field(rt, src->u.record.fields[i]);
    if (!f || !(n->kids[i] = compile_node(c, src->u.record.values[i]))) return NULL;
    idx[i] = f->index;
  }
  n->idx = idx;
  n->p = rt;
  n->fn.v = cl_record_v;
  return fold(c, n, src);
}

static cnode *compile_untraced(compiler *c, const ast_node *x);

/* n, compiled from x, inside a trace closure with a new point; the points
 * added while compiling x (from first on) without an enclosing one get
 * it as their parent. */
static cnode *trace_wrap(compiler *c, const ast_node *x, cnode *n, uint32_t first) {
  tracer *tr = c->tr;
  if (tr->n == tr->cap) {
    uint32_t cap = tr->cap ? tr->cap * 2 : 64;
    trace_point *p = mem_realloc(tr->points, cap * sizeof *p);
    if (!p) {
      tr->oom = c->oom = true;
      return NULL;
    }
    tr->points = p;
    tr->cap = cap;
  }
  uint32_t id = tr->n++;
  trace_point *pt = &tr->points[id];
  memset(pt, 0, sizeof *pt);
  pt->parent = UINT32_MAX;
  pt->offset = x->span.offset;
  pt->length = x->span.length;
  pt->kind = (uint8_t)x->kind;
  const ast_node *kids[2] = {NULL, NULL};
  if (x->kind == AST_BINARY) {
    pt->op = (uint8_t)x->u.binary.op;
    kids[0] = x->u.binary.left, kids[1] = x->u.binary.right;
    pt->nkids = 2;
  } else if (x->kind == AST_UNARY) {
    pt->op = (uint8_t)x->u.unary.op;
    kids[0] = x->u.unary.operand;
    pt->nkids = 1;
  }
  for (int i = 0; i < pt->nkids; i++) pt->kid_offset[i] = kids[i]->span.offset, pt->kid_length[i] = kids[i]->span.length;
  for (uint32_t i = first; i < id; i++)
    if (tr->points[i].parent == UINT32_MAX) tr->points[i].parent = id;
  cnode *w = cnew(c, x, (family)n->fam);
  if (!w) return NULL;
  w->a = n;
  w->slot = id;
  set_fn(w, &trace_fns);
  return w;
}

static cnode *compile_node(compiler *c, const ast_node *x) {
  if (!c->tr) return compile_untraced(c, x);
  uint32_t first = c->tr->n;
  cnode *n = compile_untraced(c, x);
  if (!n || is_const(n)) return n;
  return trace_wrap(c, x, n, first);
}

static cnode *compile_untraced(compiler *c, const ast_node *x) {
  if (!x || c->oom) return NULL;
  switch (x->kind) {
  case AST_NULL: return konst(c, x, F_VALUE, v_null());
  case AST_BOOL: return konst(c, x, F_BOOL, v_bool(x->u.b));
  case AST_INT: return konst(c, x, F_INT, v_int(x->u.i));
  case AST_UINT: return konst(c, x, F_UINT, v_uint(x->u.u));
  case AST_DOUBLE: return konst(c, x, F_DOUBLE, v_double(x->u.d));
  case AST_STRING:
  case AST_BYTES: {
    if (x->u.text.len > VALUE_MAX_LEN) return NULL;
    value v = x->kind == AST_STRING ? v_string(x->u.text.data, (uint32_t)x->u.text.len)
                                    : v_bytes(x->u.text.data, (uint32_t)x->u.text.len);
    return konst(c, x, x->kind == AST_STRING ? F_STRING : F_VALUE, copy_value(c, v));
  }
  case AST_IDENT:
    switch (x->ref_kind) {
    case REF_VARIABLE: return var_node(c, x, (uint32_t)x->ref, x->u.ident.name);
    case REF_BOUND: return local_node(c, x, (uint32_t)x->ref, x->u.ident.name);
    case REF_TYPE: return konst(c, x, F_VALUE, v_type(stable_type(x->type->elem ? x->type->elem : T_DYN)));
    default: {
      /* Unchecked: an undeclared name is an error when evaluated. */
      cnode *n = cnew(c, x, F_VALUE);
      buf b = {0};
      buf_printf(&b, "undeclared reference to '%s'", x->u.ident.name);
      if (n) n->name = b.oom ? NULL : arena_strndup(c->a, b.data, b.len);
      buf_release(&b);
      if (!n || !n->name) {
        c->oom = true;
        return NULL;
      }
      n->fn.v = cl_fail_v;
      return n;
    }
    }
  case AST_SELECT: return compile_select(c, x);
  case AST_INDEX: {
    cnode *args[2] = {compile_node(c, x->u.index.operand), compile_node(c, x->u.index.index)};
    return call_node(c, x, x->overload, "_[_]", false, args, 2);
  }
  case AST_CALL: return compile_call(c, x);
  case AST_UNARY: return compile_unary(c, x);
  case AST_BINARY: return compile_binary(c, x);
  case AST_CONDITIONAL: return compile_conditional(c, x);
  case AST_LIST: return compile_list(c, x);
  case AST_MAP: return compile_map(c, x);
  case AST_STRUCT: return compile_struct(c, x);
  default: return NULL;
  }
}

rulecore_status compile_program(rulecore_program *p, const ast *t) {
  compiler c = {.p = p, .a = &p->arena};
  const cnode *root = compile_node(&c, t->root);
  eval_release(&c.fold);
  if (c.oom || !root) return RULECORE_ERR_NOMEM;
  p->root = root;
  return RULECORE_OK;
}

rulecore_status compile_traced(rulecore_program *p, const ast *t, tracer *tr) {
  compiler c = {.p = p, .a = &p->arena, .tr = tr};
  const cnode *root = compile_node(&c, t->root);
  eval_release(&c.fold);
  if (c.oom || !root) return RULECORE_ERR_NOMEM;
  p->root = root;
  return RULECORE_OK;
}

void compile_release(rulecore_program *p) {
  for (struct regex_list *r = p->regexes; r; r = r->next) regex_free(r->re);
  p->regexes = NULL;
  arena_release(&p->arena);
}
