/*
 * ruleset.c: a ruleset built from what its rule files declared (see
 * ruleset.h), its evaluation, its tests, and the rulecore_ruleset_* and
 * rulecore_decisions_* functions.
 *
 * The schema gets one computed variable per decision, declared after the
 * context's variables and typed by the decision's output type, so every
 * expression reads upstream decisions by name and the checker types each
 * use against the decision's declared type.  An evaluation copies the
 * activation's variables once into its own array and fills in each
 * decision's slot as the decision is evaluated, in topological order;
 * a decision without a value holds an error value saying why, which a
 * downstream use raises.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "api.h"
#include "eval.h"
#include "json.h"
#include "ruleset.h"
#include "schema.h"
#include "sha256.h"
#include "suggest.h"

const char *const rs_outcome_names[5] = {"not-evaluated", "rule", "default", "no-match", "error"};
static const char *const hit_names[] = {"first", "unique", "any", "collect"};
static const char *const agg_names[] = {"", "sum", "min", "max", "count"};

/* ---- building ---- */

typedef struct build {
  rs_builder *b;
  rulecore_ruleset *rs;
  rulecore_diagnostics *d;
  rulecore_env *env;            /* compiles: the user's limits, the ruleset's schema */
  const rulecore_env *user_env;
  bool oom;
  int32_t *var_decision; /* slot -> decision index, or -1 */
  /* the decision inputs an expression read, collected while walking it */
  uint32_t *deps;
  uint32_t ndeps, capdeps;
  uint8_t *seen;
  /* the context fields it read (in the ruleset's arena), likewise */
  const char **fields;
  uint32_t nfields, capfields;
} build;

static char *rstrdup(build *B, const char *s) {
  if (!s) return NULL;
  char *z = arena_strndup(&B->rs->arena, s, strlen(s));
  if (!z) B->oom = true;
  return z;
}

static size_t lit_map(const void *ctx, size_t off) {
  const rs_literal *l = ctx;
  if (off > l->len) off = l->len;
  return l->map ? l->map[off] : l->offset + off;
}

/* A diag_loc for rs_loc (its strings in the ruleset's arena). */
static bool loc_of(build *B, const rs_loc *loc, diag_loc *out) {
  memset(out, 0, sizeof *out);
  if (loc->file >= B->b->files.n) return true;
  const rs_file *f = &B->b->files.items[loc->file];
  if (!loc->line) {
    out->file = f->path;
    return true;
  }
  return diag_loc_of(out, &B->rs->arena, &f->src, loc->offset, loc->length);
}

/* Record the context field path a select chain (or identifier) rooted at
 * a context variable spells, once per declaration.  true when n is one. */
static bool collect_field(build *B, const ast_node *n) {
  const ast_node *root = n;
  while (root->kind == AST_SELECT && root->ref_kind != REF_VARIABLE) root = root->u.select.operand;
  if ((root->kind != AST_IDENT && root->kind != AST_SELECT) || root->ref_kind != REF_VARIABLE || root->ref < 0 ||
      (uint32_t)root->ref >= B->rs->nvars || B->var_decision[root->ref] >= 0)
    return false;
  buf path = {0};
  if (!ast_dotted_name(n, &path) || path.oom || !path.data) {
    if (path.oom) B->oom = true;
    buf_release(&path);
    return false;
  }
  for (uint32_t i = 0; i < B->nfields; i++)
    if (strcmp(B->fields[i], path.data) == 0) {
      buf_release(&path);
      return true;
    }
  char *z = arena_strndup(&B->rs->arena, path.data, path.len);
  buf_release(&path);
  if (!z || (B->nfields == B->capfields && !rs_grow((void **)&B->fields, &B->capfields, sizeof *B->fields))) {
    B->oom = true;
    return true;
  }
  B->fields[B->nfields++] = z;
  return true;
}

static void collect_dep(ast_node *n, void *ctx) {
  build *B = ctx;
  if ((n->kind == AST_IDENT || n->kind == AST_SELECT) && collect_field(B, n)) return;
  if ((n->kind == AST_IDENT || n->kind == AST_SELECT) && n->ref_kind == REF_VARIABLE && n->ref >= 0 &&
      (uint32_t)n->ref < B->rs->nvars && B->var_decision[n->ref] >= 0) {
    uint32_t dec = (uint32_t)B->var_decision[n->ref];
    if (!B->seen[dec]) {
      B->seen[dec] = 1;
      if (B->ndeps == B->capdeps && !rs_grow((void **)&B->deps, &B->capdeps, sizeof *B->deps)) {
        B->oom = true;
        return;
      }
      B->deps[B->ndeps++] = dec;
    }
  }
  ast_for_each_child(n, collect_dep, ctx);
}

/* Compile text t (required type result_type, NULL: any) into x, reporting
 * its errors where it was written; its decision inputs are added to
 * B->deps.  false when it has errors. */
static bool compile_text(build *B, const rs_text *t, const char *result_type, rs_expr *x) {
  memset(x, 0, sizeof *x);
  if (!t->text) return true;
  rs_builder *b = B->b;
  const rs_file *f = &b->files.items[t->at.file];
  x->text = arena_strndup(&B->rs->arena, t->text, t->len);
  x->len = t->len;
  x->file = t->at.file;
  x->lit = t->lit;
  x->generated = !t->lit;
  x->line = t->at.line;
  x->column = t->at.column;
  x->want = result_type;
  if (t->lit) {
    x->lit_offset = t->lit->offset;
    if (t->lit->map) {
      uint32_t *m = arena_alloc(&B->rs->arena, (t->lit->len + 1) * sizeof *m);
      if (m) memcpy(m, t->lit->map, (t->lit->len + 1) * sizeof *m);
      x->map = m;
      if (!m) B->oom = true;
    }
  }
  if (!x->text) {
    B->oom = true;
    return false;
  }
  rulecore_expr *e = NULL;
  rulecore_diagnostics *ed = NULL;
  rulecore_status st = rulecore_parse(B->env, t->text, t->len, f->path, &e, &ed);
  if (st == RULECORE_OK) {
    rulecore_diagnostics_free(ed);
    ed = NULL;
    st = rulecore_check(B->env, e, result_type, &ed);
  }
  if (st == RULECORE_OK) st = rulecore_compile(B->env, e, &x->prog);
  if (st == RULECORE_OK) {
    x->constant = compile_constant(x->prog, &x->k);
    const ast *tree = api_expr_ast(e);
    collect_dep(tree->root, B);
    if (x->prog->nlocals > B->rs->max_locals) B->rs->max_locals = x->prog->nlocals;
  } else if (st == RULECORE_ERR_NOMEM) {
    B->oom = true;
  } else if (ed) {
    if (t->lit) {
      diag_append(B->d, ed, &f->src, lit_map, t->lit, NULL, NULL);
    } else {
      diag_loc at;
      if (!loc_of(B, &t->at, &at)) B->oom = true;
      diag_append(B->d, ed, NULL, NULL, NULL, &at, "the expression the rule file built");
    }
  }
  rulecore_diagnostics_free(ed);
  rulecore_expr_free(e);
  return st == RULECORE_OK;
}

/* Start collecting the decision inputs of a declaration. */
static void deps_begin(build *B) {
  for (uint32_t i = 0; i < B->ndeps; i++) B->seen[B->deps[i]] = 0;
  B->ndeps = 0;
  B->nfields = 0;
}

static int cmp_field(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The collected context fields, sorted and copied into the ruleset. */
static const char **fields_take(build *B, uint32_t *n) {
  *n = 0;
  if (!B->nfields) return NULL;
  const char **p = arena_alloc(&B->rs->arena, B->nfields * sizeof *p);
  if (!p) {
    B->oom = true;
    return NULL;
  }
  memcpy(p, B->fields, B->nfields * sizeof *p);
  qsort(p, B->nfields, sizeof *p, cmp_field);
  *n = B->nfields;
  return p;
}

/* The collected inputs, copied into the ruleset. */
static uint32_t *deps_take(build *B, uint32_t *n) {
  *n = B->ndeps;
  if (!B->ndeps) return NULL;
  uint32_t *p = arena_alloc(&B->rs->arena, B->ndeps * sizeof *p);
  if (!p) {
    B->oom = true;
    *n = 0;
    return NULL;
  }
  memcpy(p, B->deps, B->ndeps * sizeof *p);
  return p;
}

/* Whether name is a plain CEL identifier (not reserved): what the parser
 * reads as one. */
static bool is_identifier(build *B, const char *name) {
  rulecore_expr *e = NULL;
  rulecore_status st = rulecore_parse(NULL, name, strlen(name), NULL, &e, NULL);
  if (st == RULECORE_ERR_NOMEM) B->oom = true;
  if (st != RULECORE_OK) return st == RULECORE_ERR_NOMEM;
  const ast *t = api_expr_ast(e);
  bool ok = t->root->kind == AST_IDENT && !t->root->u.ident.absolute && strcmp(t->root->u.ident.name, name) == 0;
  rulecore_expr_free(e);
  return ok;
}

static int cmp_rules(const void *a, const void *b) {
  const rs_rule *x = a, *y = b;
  if (x->priority != y->priority) return x->priority > y->priority ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

typedef struct named {
  const char *name;
  const rs_loc *loc;
} named;

static int cmp_named(const void *a, const void *b) {
  const named *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c) return c;
  return x->loc < y->loc ? -1 : x->loc > y->loc; /* declaration order: the arrays are in it */
}

/* Report every name of items[0..n) declared more than once (sorting a
 * copy: n log n). */
static void report_duplicates(build *B, named *items, size_t n, const char *what) {
  qsort(items, n, sizeof *items, cmp_named);
  for (size_t i = 1; i < n; i++) {
    if (strcmp(items[i].name, items[i - 1].name) != 0) continue;
    size_t first = i - 1;
    while (first > 0 && strcmp(items[first - 1].name, items[i].name) == 0) first--;
    const rs_loc *f = items[first].loc;
    rs_report(B->b, B->d, items[i].loc, RULECORE_DIAG_RULESET_DUPLICATE, "%s '%s' is declared twice (first at %s:%u)",
              what, items[i].name, B->b->files.items[f->file].path, f->line);
  }
}

/* Cycle search over the decision graph: colours 0 new, 1 on the path, 2 done. */
static bool visit(build *B, uint32_t dec, uint8_t *colour, uint32_t *path, uint32_t depth, uint32_t *order,
                  uint32_t *norder) {
  rulecore_ruleset *rs = B->rs;
  colour[dec] = 1;
  path[depth] = dec;
  for (uint32_t k = 0; k < rs->decisions[dec].ninputs; k++) {
    uint32_t in = rs->decisions[dec].inputs[k];
    if (colour[in] == 1) { /* the cycle: from in's place on the path */
      buf msg = {0};
      uint32_t from = 0;
      while (path[from] != in) from++;
      for (uint32_t i = from; i <= depth; i++) {
        buf_puts(&msg, rs->decisions[path[i]].name);
        buf_puts(&msg, " -> ");
      }
      buf_puts(&msg, rs->decisions[in].name);
      if (msg.oom) B->oom = true;
      rs_report(B->b, B->d, &rs->decisions[in].loc, RULECORE_DIAG_DECISION_CYCLE,
                "decisions read each other in a cycle: %s", msg.data ? msg.data : "?");
      buf_release(&msg);
      return false;
    }
    if (colour[in] == 0 && !visit(B, in, colour, path, depth + 1, order, norder)) return false;
  }
  colour[dec] = 2;
  order[(*norder)++] = dec;
  return true;
}

/* The spelling of the element type of list type t. */
static const char *spell(build *B, const type *t) {
  buf s = {0};
  type_format(&s, t);
  char *z = s.oom ? NULL : arena_strndup(&B->rs->arena, s.data, s.len);
  buf_release(&s);
  if (!z) B->oom = true;
  return z;
}

/* A rule's value text for decision type t, from a Lua number written as
 * an integer where the decision wants a double or uint. */
static rs_text number_for(build *B, const rs_text *v, const type *t) {
  rs_text r = *v;
  if (v->kind == RS_INT && t && (t->kind == TYPE_DOUBLE || t->kind == TYPE_UINT)) {
    char *z = arena_alloc(&B->rs->arena, v->len + 3);
    if (!z) {
      B->oom = true;
      return r;
    }
    sprintf(z, "%s%s", v->text, t->kind == TYPE_DOUBLE ? ".0" : "u");
    r.text = z;
    r.len = strlen(z);
  }
  return r;
}

/* What evaluation reads of rule r. */
static void hot_of(const rs_rule *r, rs_hot *h) {
  if (!r->when.prog)
    h->wk = HOT_ALWAYS;
  else if (r->when.constant)
    h->wk = r->when.k.kind == V_BOOL && r->when.k.b ? HOT_ALWAYS : HOT_NEVER;
  else if (r->when.prog->root->fam == F_BOOL)
    h->wk = HOT_BOOL, h->when = r->when.prog->root;
  else
    h->wk = HOT_SLOW;
  if (!r->value.prog)
    h->vk = HOT_NONE;
  else if (r->value.constant)
    h->vk = HOT_CONST, h->k = r->value.k;
  else
    h->vk = HOT_EVAL, h->value = r->value.prog->root;
}

static bool numeric(const type *t) { return t->kind == TYPE_INT || t->kind == TYPE_UINT || t->kind == TYPE_DOUBLE; }
static bool ordered(const type *t) {
  return numeric(t) || t->kind == TYPE_STRING || t->kind == TYPE_TIMESTAMP || t->kind == TYPE_DURATION;
}

static void build_decisions(build *B) {
  rs_builder *b = B->b;
  rulecore_ruleset *rs = B->rs;
  for (uint32_t i = 0; i < rs->ndecisions && !B->oom; i++) {
    rs_decision *dc = &rs->decisions[i];
    const rs_bdecision *bd = &b->decisions.items[i];
    if (!dc->type) continue; /* not declared: reported */
    const type *elem = dc->type; /* what each rule's value is */
    if (dc->hit == HIT_COLLECT && dc->aggregate == AGG_NONE) {
      if (dc->type->kind != TYPE_LIST) {
        rs_report(b, B->d, &bd->type.at, RULECORE_DIAG_RULESET_INVALID,
                  "decision '%s': hit policy collect gives a list: its type must be list(T), not %s", dc->name,
                  dc->type_name);
        continue;
      }
      elem = dc->type->elem;
    } else if (dc->aggregate == AGG_COUNT && dc->type->kind != TYPE_INT) {
      rs_report(b, B->d, &bd->type.at, RULECORE_DIAG_RULESET_INVALID,
                "decision '%s': collect with count gives an int, not %s", dc->name, dc->type_name);
      continue;
    } else if (dc->aggregate == AGG_SUM && !numeric(dc->type)) {
      rs_report(b, B->d, &bd->type.at, RULECORE_DIAG_RULESET_INVALID,
                "decision '%s': collect with sum needs int, uint or double, not %s", dc->name, dc->type_name);
      continue;
    } else if ((dc->aggregate == AGG_MIN || dc->aggregate == AGG_MAX) && !ordered(dc->type)) {
      rs_report(b, B->d, &bd->type.at, RULECORE_DIAG_RULESET_INVALID,
                "decision '%s': collect with %s needs an ordered type (numbers, string, timestamp, duration), not %s",
                dc->name, agg_names[dc->aggregate], dc->type_name);
      continue;
    }
    const char *elem_name = elem == dc->type ? dc->type_name : spell(B, elem);
    deps_begin(B);
    dc->rules = bd->nrules ? arena_alloc(&rs->arena, bd->nrules * sizeof *dc->rules) : NULL;
    if (bd->nrules && !dc->rules) {
      B->oom = true;
      return;
    }
    for (uint32_t k = 0; k < bd->nrules; k++) {
      const rs_brule *br = &b->rules.items[bd->rules[k]];
      rs_rule *r = &dc->rules[dc->nrules++];
      r->id = rstrdup(B, br->id);
      r->priority = br->priority;
      r->order = br->order;
      r->description = rstrdup(B, br->description);
      r->tags = br->ntags ? arena_alloc(&rs->arena, br->ntags * sizeof *r->tags) : NULL;
      for (uint32_t j = 0; r->tags && j < br->ntags; j++) r->tags[r->ntags++] = rstrdup(B, br->tags[j]);
      r->file = br->loc.file;
      r->line = br->loc.line;
      compile_text(B, &br->when, "bool", &r->when);
      rs_text v = br->value;
      if (!v.text) {
        if (dc->aggregate == AGG_COUNT) {
        } else if (elem->kind == TYPE_BOOL) {
          v = (rs_text){.text = "true", .len = 4, .kind = RS_BOOL, .at = br->loc};
        } else {
          rs_report(b, B->d, &br->loc, RULECORE_DIAG_RULESET_INVALID,
                    "rule '%s' has no value (value = [[ ... ]]: a CEL expression of type %s)", br->id, elem_name);
          continue;
        }
      } else if (dc->aggregate == AGG_COUNT) {
        rs_report(b, B->d, &br->value.at, RULECORE_DIAG_RULESET_INVALID,
                  "rule '%s': collect with count counts matches: a value is not used", br->id);
        continue;
      }
      if (v.text) {
        v = number_for(B, &v, elem);
        compile_text(B, &v, elem_name, &r->value);
      }
    }
    if (dc->nrules > 1)
      qsort(dc->rules, dc->nrules, sizeof *dc->rules, cmp_rules);
    dc->hot = dc->nrules ? arena_alloc(&rs->arena, dc->nrules * sizeof *dc->hot) : NULL;
    if (dc->nrules && !dc->hot) {
      B->oom = true;
      return;
    }
    for (uint32_t k = 0; k < dc->nrules; k++) hot_of(&dc->rules[k], &dc->hot[k]);
    if (dc->nrules > rs->max_rules) rs->max_rules = dc->nrules;
    dc->rule_base = rs->nrules;
    rs->nrules += dc->nrules;
    if (bd->deflt.text) {
      rs_text v = number_for(B, &bd->deflt, dc->type);
      compile_text(B, &v, dc->type_name, &dc->deflt);
    }
    dc->inputs = deps_take(B, &dc->ninputs);
    dc->fields = fields_take(B, &dc->nfields);
  }
}

static void build_validations(build *B) {
  rs_builder *b = B->b;
  rulecore_ruleset *rs = B->rs;
  rs->validations = b->validations.n ? arena_alloc(&rs->arena, b->validations.n * sizeof *rs->validations) : NULL;
  if (b->validations.n && !rs->validations) {
    B->oom = true;
    return;
  }
  for (uint32_t i = 0; i < b->validations.n && !B->oom; i++) {
    const rs_bvalidation *bv = &b->validations.items[i];
    rs_validation *v = &rs->validations[rs->nvalidations++];
    v->id = rstrdup(B, bv->id);
    v->severity = bv->severity;
    deps_begin(B);
    compile_text(B, &bv->expr, "bool", &v->expr);
    compile_text(B, &bv->message, "string", &v->message);
    v->inputs = deps_take(B, &v->ninputs);
    v->fields = fields_take(B, &v->nfields);
  }
}

static const char *dec_name_at(const void *ctx, size_t i) {
  const rulecore_ruleset *rs = ctx;
  return rs->decisions[i].name;
}

/* Report the diagnostics of reading a test's data, named by the test. */
static void report_test_data(build *B, const rs_btest *bt, const char *part, rulecore_diagnostics *td) {
  /* a context read from a JSON file: the position in that file too (of a
   * Lua table, the JSON is the loader's own: no position worth saying) */
  for (size_t k = 0; k < rulecore_diagnostics_count(td); k++) {
    uint32_t line = rulecore_diagnostics_line(td, k), col = rulecore_diagnostics_column(td, k);
    bool in_file = bt->context_file >= 0 && (uint64_t)bt->context_file < B->b->files.n && strcmp(part, "context") == 0;
    if (line && in_file)
      rs_report(B->b, B->d, &bt->loc, RULECORE_DIAG_TEST_DATA, "test '%s': %s %s:%u:%u: %s", bt->name, part,
                B->b->files.items[bt->context_file].path, line, col, rulecore_diagnostics_message(td, k));
    else
      rs_report(B->b, B->d, &bt->loc, RULECORE_DIAG_TEST_DATA, "test '%s': %s: %s", bt->name, part,
                rulecore_diagnostics_message(td, k));
  }
}

static void build_tests(build *B) {
  rs_builder *b = B->b;
  rulecore_ruleset *rs = B->rs;
  rs->tests = b->tests.n ? arena_alloc(&rs->arena, b->tests.n * sizeof *rs->tests) : NULL;
  if (b->tests.n && !rs->tests) {
    B->oom = true;
    return;
  }
  for (uint32_t i = 0; i < b->tests.n && !B->oom; i++) {
    const rs_btest *bt = &b->tests.items[i];
    rs_test *t = &rs->tests[rs->ntests++];
    t->name = rstrdup(B, bt->name);
    t->context = rulecore_activation_new(rs->schema);
    t->expect = rulecore_activation_new(rs->schema);
    if (!t->context || !t->expect) {
      B->oom = true;
      return;
    }
    rulecore_diagnostics *td = NULL;
    rulecore_status st = json_fill_activation(t->context, bt->context, bt->context_len, RULECORE_JSON_PLAIN, false, &td);
    if (st == RULECORE_ERR_NOMEM) B->oom = true;
    if (st == RULECORE_ERR_SOURCE) report_test_data(B, bt, "context", td);
    rulecore_diagnostics_free(td);
    /* expectations: decision names only */
    t->expect_decisions = bt->nexpect ? arena_alloc(&rs->arena, bt->nexpect * sizeof *t->expect_decisions) : NULL;
    bool names_ok = true;
    for (uint32_t k = 0; k < bt->nexpect; k++) {
      int32_t dec = rulecore_ruleset_decision_index(rs, bt->expect_keys[k]);
      if (dec < 0) {
        names_ok = false;
        const char *near = suggest_closest(bt->expect_keys[k], rs->ndecisions, dec_name_at, rs);
        rs_report(b, B->d, &bt->loc, RULECORE_DIAG_UNKNOWN_DECISION,
                  "test '%s' expects decision '%s', which the ruleset does not declare%s%s%s", bt->name,
                  bt->expect_keys[k], near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
      } else if (t->expect_decisions) {
        t->expect_decisions[t->nexpect++] = (uint32_t)dec;
      }
    }
    if (bt->expect && names_ok) {
      st = json_fill_activation(t->expect, bt->expect, bt->expect_len, RULECORE_JSON_PLAIN, true, &td);
      if (st == RULECORE_ERR_NOMEM) B->oom = true;
      if (st == RULECORE_ERR_SOURCE) report_test_data(B, bt, "expect", td);
      rulecore_diagnostics_free(td);
    }
    t->rule_decisions = bt->nrules ? arena_alloc(&rs->arena, bt->nrules * sizeof *t->rule_decisions) : NULL;
    t->rule_ids = bt->nrules ? arena_alloc(&rs->arena, bt->nrules * sizeof *t->rule_ids) : NULL;
    for (uint32_t k = 0; t->rule_ids && k < bt->nrules; k++) {
      const rs_bpair *p = &bt->rules[k];
      int32_t dec = rulecore_ruleset_decision_index(rs, p->key);
      if (dec < 0) {
        const char *near = suggest_closest(p->key, rs->ndecisions, dec_name_at, rs);
        rs_report(b, B->d, &p->loc, RULECORE_DIAG_UNKNOWN_DECISION,
                  "test '%s' expects a rule of decision '%s', which the ruleset does not declare%s%s%s", bt->name,
                  p->key, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        continue;
      }
      bool found = strcmp(p->value, "default") == 0;
      for (uint32_t j = 0; !found && j < rs->decisions[dec].nrules; j++)
        found = strcmp(rs->decisions[dec].rules[j].id, p->value) == 0;
      if (!found) {
        rs_report(b, B->d, &p->loc, RULECORE_DIAG_UNKNOWN_DECISION,
                  "test '%s': decision '%s' has no rule '%s' (its rule ids, or \"default\")", bt->name, p->key,
                  p->value);
        continue;
      }
      t->rule_decisions[t->nrules] = (uint32_t)dec;
      t->rule_ids[t->nrules++] = rstrdup(B, p->value);
    }
    t->has_violations = bt->has_violations;
    t->violations = bt->nviolations ? arena_alloc(&rs->arena, bt->nviolations * sizeof *t->violations) : NULL;
    for (uint32_t k = 0; t->violations && k < bt->nviolations; k++) {
      bool found = false;
      for (uint32_t j = 0; !found && j < rs->nvalidations; j++) found = strcmp(rs->validations[j].id, bt->violations[k]) == 0;
      if (!found)
        rs_report(b, B->d, &bt->loc, RULECORE_DIAG_UNKNOWN_DECISION,
                  "test '%s' expects validation '%s' to fail, which the ruleset does not declare", bt->name,
                  bt->violations[k]);
      else
        t->violations[t->nviolations++] = rstrdup(B, bt->violations[k]);
    }
  }
}

static int cmp_file_rel(const void *a, const void *b) {
  return strcmp((*(const rs_file *const *)a)->rel, (*(const rs_file *const *)b)->rel);
}

/* The revision: SHA-256 over each file's relative path, length and bytes,
 * in path order. */
static bool revision(build *B) {
  rs_builder *b = B->b;
  const rs_file **by = mem_alloc((b->files.n ? b->files.n : 1) * sizeof *by);
  if (!by) return false;
  for (uint32_t i = 0; i < b->files.n; i++) by[i] = &b->files.items[i];
  qsort(by, b->files.n, sizeof *by, cmp_file_rel);
  sha256 c;
  sha256_init(&c);
  for (uint32_t i = 0; i < b->files.n; i++) {
    char len[32];
    int n = snprintf(len, sizeof len, "%zu", by[i]->len);
    sha256_update(&c, by[i]->rel, strlen(by[i]->rel) + 1);
    sha256_update(&c, len, (size_t)n + 1);
    sha256_update(&c, by[i]->text, by[i]->len);
  }
  sha256_hex(&c, B->rs->revision);
  mem_free(by);
  return true;
}

/* Build the ruleset from b.  RULECORE_OK, _ERR_SOURCE (reported), _NOMEM. */
static rulecore_status ruleset_build(build *B) {
  rs_builder *b = B->b;
  rulecore_ruleset *rs = B->rs;
  if (!revision(B)) return RULECORE_ERR_NOMEM;
  /* the files, kept for positions of run-time errors */
  rs->files = arena_alloc(&rs->arena, (b->files.n ? b->files.n : 1) * sizeof *rs->files);
  if (!rs->files) return RULECORE_ERR_NOMEM;
  for (uint32_t i = 0; i < b->files.n; i++) {
    rs_file *f = &b->files.items[i];
    rs->files[i] = (rs_filecopy){.path = rstrdup(B, f->path), .text = f->text, .src = f->src};
    f->text = NULL; /* the ruleset owns them now */
    memset(&f->src, 0, sizeof f->src);
    rs->files[i].src.text = rs->files[i].text;
    rs->files[i].src.file = rs->files[i].path;
    rs->nfiles++;
  }
  /* keep the builder's view valid for reporting: point it at the copies */
  for (uint32_t i = 0; i < b->files.n; i++) b->files.items[i].src = rs->files[i].src;

  /* the schema: the context's declarations, then one computed variable per decision */
  rs->schema = rulecore_schema_new();
  if (!rs->schema) return RULECORE_ERR_NOMEM;
  rulecore_diagnostics *sd = NULL;
  rulecore_status st = RULECORE_OK;
  if (b->has_schema && b->schema_file >= 0) {
    const rs_filecopy *f = &rs->files[b->schema_file];
    st = rulecore_schema_load(rs->schema, f->text, b->files.items[b->schema_file].len, f->path, &sd);
    diag_append(B->d, sd, NULL, NULL, NULL, NULL, NULL);
  } else if (b->has_schema) {
    st = rulecore_schema_load(rs->schema, b->schema_json, b->schema_json_len, "<inline schema>", &sd);
    diag_loc at;
    if (!loc_of(B, &b->schema_loc, &at)) return RULECORE_ERR_NOMEM;
    diag_append(B->d, sd, NULL, NULL, NULL, &at, NULL);
  }
  rulecore_diagnostics_free(sd);
  sd = NULL;
  if (st == RULECORE_ERR_NOMEM) return st;
  rs->ndecisions = b->decisions.n;
  rs->decisions = arena_alloc(&rs->arena, (b->decisions.n ? b->decisions.n : 1) * sizeof *rs->decisions);
  if (!rs->decisions) return RULECORE_ERR_NOMEM;
  named *names = mem_alloc((b->decisions.n + b->rules.n + b->validations.n + 1) * sizeof *names);
  if (!names) return RULECORE_ERR_NOMEM;
  for (uint32_t i = 0; i < b->decisions.n; i++) names[i] = (named){b->decisions.items[i].name, &b->decisions.items[i].loc};
  report_duplicates(B, names, b->decisions.n, "decision");
  for (uint32_t i = 0; i < b->rules.n; i++) names[i] = (named){b->rules.items[i].id, &b->rules.items[i].loc};
  report_duplicates(B, names, b->rules.n, "rule id");
  for (uint32_t i = 0; i < b->validations.n; i++)
    names[i] = (named){b->validations.items[i].id, &b->validations.items[i].loc};
  report_duplicates(B, names, b->validations.n, "validation");
  mem_free(names);
  uint32_t declared = 0;
  for (uint32_t i = 0; i < b->decisions.n; i++) {
    const rs_bdecision *bd = &b->decisions.items[i];
    rs_decision *dc = &rs->decisions[i];
    dc->name = rstrdup(B, bd->name);
    dc->description = rstrdup(B, bd->description);
    dc->hit = bd->hit;
    dc->aggregate = bd->aggregate;
    dc->loc = bd->loc;
    dc->type_name = bd->type.text ? rstrdup(B, bd->type.text) : NULL;
    if (bd->aggregate) {
      char tmp[32];
      snprintf(tmp, sizeof tmp, "collect %s", agg_names[bd->aggregate]);
      dc->hit_name = rstrdup(B, tmp);
    } else {
      dc->hit_name = hit_names[bd->hit];
    }
    if (!is_identifier(B, bd->name)) {
      rs_report(b, B->d, &bd->loc, RULECORE_DIAG_RULESET_INVALID,
                "decision '%s': a decision's name must be an identifier (letters, digits and '_'; not a reserved word), "
                "since expressions read it by name",
                bd->name);
      continue;
    }
    bool shadows;
    if (schema_declares_variable(rs->schema, bd->name, &shadows) != RULECORE_OK) return RULECORE_ERR_NOMEM;
    if (shadows) {
      rs_report(b, B->d, &bd->loc, RULECORE_DIAG_DECISION_SHADOWS,
                "decision '%s' has the name of a variable of the schema: expressions could not tell them apart",
                bd->name);
      continue;
    }
    if (!bd->type.text) continue;
    diag_loc at;
    if (!loc_of(B, &bd->type.at, &at)) return RULECORE_ERR_NOMEM;
    if (schema_declare_computed(rs->schema, bd->name, bd->type.text, &at) != RULECORE_OK) return RULECORE_ERR_NOMEM;
    declared++;
  }
  sd = diag_new(0);
  if (!sd) return RULECORE_ERR_NOMEM;
  st = schema_freeze(rs->schema, sd);
  diag_append(B->d, sd, NULL, NULL, NULL, NULL, NULL);
  rulecore_diagnostics_free(sd);
  if (st != RULECORE_OK) return st == RULECORE_ERR_NOMEM ? st : RULECORE_ERR_SOURCE;
  rs->nvars = rs->schema->nvars;
  rs->nuser = rs->nvars - declared;
  B->var_decision = mem_alloc((rs->nvars ? rs->nvars : 1) * sizeof *B->var_decision);
  B->seen = mem_calloc(rs->ndecisions ? rs->ndecisions : 1, 1);
  if (!B->var_decision || !B->seen) return RULECORE_ERR_NOMEM;
  for (uint32_t i = 0; i < rs->nvars; i++) B->var_decision[i] = -1;
  for (uint32_t i = 0; i < rs->ndecisions; i++) {
    const schema_var *v = rs->decisions[i].name ? schema_variable(rs->schema, rs->decisions[i].name) : NULL;
    if (!v || !v->computed) continue;
    rs->decisions[i].var = v->index;
    rs->decisions[i].type = v->type;
    B->var_decision[v->index] = (int32_t)i;
  }
  B->env = rulecore_env_new();
  if (!B->env) return RULECORE_ERR_NOMEM;
  for (int l = 0; l <= RULECORE_LIMIT_LOAD_INSTRUCTIONS; l++) {
    uint64_t v = rulecore_env_limit(B->user_env, (rulecore_limit)l);
    if (v) rulecore_env_set_limit(B->env, (rulecore_limit)l, v);
  }
  if (rulecore_env_set_schema(B->env, rs->schema, NULL) != RULECORE_OK) return RULECORE_ERR_NOMEM;
  uint64_t cost = rulecore_env_limit(B->env, RULECORE_LIMIT_EVAL_COST);
  rs->cost_limit = cost == UINT64_MAX ? 0 : cost;

  build_decisions(B);
  if (B->oom) return RULECORE_ERR_NOMEM;
  /* the graph: no cycles; an evaluation order */
  uint8_t *colour = mem_calloc(rs->ndecisions ? rs->ndecisions : 1, 1);
  uint32_t *path = mem_alloc((rs->ndecisions ? rs->ndecisions : 1) * sizeof *path);
  rs->order = arena_alloc(&rs->arena, (rs->ndecisions ? rs->ndecisions : 1) * sizeof *rs->order);
  if (!colour || !path || !rs->order) {
    mem_free(colour);
    mem_free(path);
    return RULECORE_ERR_NOMEM;
  }
  uint32_t norder = 0;
  bool acyclic = true;
  for (uint32_t i = 0; i < rs->ndecisions; i++)
    if (colour[i] == 0 && !visit(B, i, colour, path, 0, rs->order, &norder)) {
      acyclic = false;
      /* the rest of that component is not searched again for the same cycle */
      for (uint32_t k = 0; k < rs->ndecisions; k++)
        if (colour[k] == 1) colour[k] = 2;
    }
  mem_free(colour);
  mem_free(path);
  (void)acyclic;
  build_validations(B);
  if (B->oom) return RULECORE_ERR_NOMEM;
  build_tests(B);
  if (B->oom || B->d->oom) return RULECORE_ERR_NOMEM;
  return B->d->errors ? RULECORE_ERR_SOURCE : RULECORE_OK;
}

/* ---- loading ---- */

static void ruleset_destroy(rulecore_ruleset *rs) {
  for (uint32_t i = 0; i < rs->ndecisions; i++) {
    rs_decision *dc = &rs->decisions[i];
    for (uint32_t k = 0; k < dc->nrules; k++) {
      rulecore_program_free(dc->rules[k].when.prog);
      rulecore_program_free(dc->rules[k].value.prog);
    }
    rulecore_program_free(dc->deflt.prog);
  }
  for (uint32_t i = 0; i < rs->nvalidations; i++) {
    rulecore_program_free(rs->validations[i].expr.prog);
    rulecore_program_free(rs->validations[i].message.prog);
  }
  for (uint32_t i = 0; i < rs->ntests; i++) {
    rulecore_activation_free(rs->tests[i].context);
    rulecore_activation_free(rs->tests[i].expect);
  }
  for (uint32_t i = 0; i < rs->nfiles; i++) {
    src_release(&rs->files[i].src);
    mem_free(rs->files[i].text);
  }
  metrics_free(atomic_load(&rs->metrics));
  declog_free(rs);
  pthread_mutex_destroy(&rs->log_lock);
  schema_unref(rs->schema);
  arena_release(&rs->arena);
  mem_free(rs);
}

RULECORE_API rulecore_status rulecore_ruleset_load(const rulecore_env *env, const char *path, rulecore_ruleset **out,
                                                   rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!out) return RULECORE_ERR_ARGUMENT;
  *out = NULL;
  if (!path) return RULECORE_ERR_ARGUMENT;
  mem_init_libraries();
  if (!env) env = api_default_env();
  rulecore_diagnostics *d = diag_new(rulecore_env_limit(env, RULECORE_LIMIT_ERRORS));
  rs_builder b = {0};
  rulecore_ruleset *rs = mem_calloc(1, sizeof *rs);
  if (!d || !rs) {
    rulecore_diagnostics_free(d);
    mem_free(rs);
    return RULECORE_ERR_NOMEM;
  }
  atomic_init(&rs->refs, 1);
  pthread_mutex_init(&rs->log_lock, NULL);
  luahost_limits lim = {rulecore_env_limit(env, RULECORE_LIMIT_LOAD_MEMORY),
                        rulecore_env_limit(env, RULECORE_LIMIT_LOAD_INSTRUCTIONS)};
  rulecore_status st = luahost_load(&b, path, &lim, d);
  build B = {.b = &b, .rs = rs, .d = d, .user_env = env};
  if (st == RULECORE_OK || st == RULECORE_ERR_SOURCE) {
    rulecore_status bst = ruleset_build(&B);
    if (bst == RULECORE_ERR_NOMEM || B.oom) st = RULECORE_ERR_NOMEM;
    else if (bst != RULECORE_OK && st == RULECORE_OK) st = bst;
  }
  if (st == RULECORE_OK && d->errors) st = RULECORE_ERR_SOURCE;
  diag_sort_files(d);
  if (d->oom) st = RULECORE_ERR_NOMEM;
  rulecore_env_free(B.env);
  mem_free(B.var_decision);
  mem_free(B.seen);
  mem_free(B.deps);
  mem_free(B.fields);
  /* the ruleset took the file texts; the builder's views of them go */
  for (uint32_t i = 0; i < rs->nfiles; i++) memset(&b.files.items[i].src, 0, sizeof b.files.items[i].src);
  rs_builder_release(&b);
  if (st == RULECORE_OK) {
    declog_find_commit(rs, path);
    *out = rs;
  } else {
    ruleset_destroy(rs);
  }
  if (diagnostics)
    *diagnostics = d;
  else
    rulecore_diagnostics_free(d);
  return st;
}

RULECORE_API rulecore_ruleset *rulecore_ruleset_ref(rulecore_ruleset *rs) {
  if (rs) atomic_fetch_add(&rs->refs, 1);
  return rs;
}

RULECORE_API void rulecore_ruleset_free(rulecore_ruleset *rs) {
  if (rs && atomic_fetch_sub(&rs->refs, 1) == 1) ruleset_destroy(rs);
}

/* ---- metadata ---- */

RULECORE_API rulecore_schema *rulecore_ruleset_schema(const rulecore_ruleset *rs) { return rs ? rs->schema : NULL; }
RULECORE_API const char *rulecore_ruleset_revision(const rulecore_ruleset *rs) { return rs ? rs->revision : NULL; }
RULECORE_API size_t rulecore_ruleset_decision_count(const rulecore_ruleset *rs) { return rs ? rs->ndecisions : 0; }

RULECORE_API int32_t rulecore_ruleset_decision_index(const rulecore_ruleset *rs, const char *name) {
  if (!rs || !name) return -1;
  if (rs->schema && rs->schema->frozen && !rs->schema->failed) { /* by the schema's sorted variables */
    const schema_var *v = schema_variable(rs->schema, name);
    if (!v || !v->computed) return -1;
    for (uint32_t i = 0; i < rs->ndecisions; i++)
      if (rs->decisions[i].var == v->index && rs->decisions[i].type) return (int32_t)i;
    return -1;
  }
  for (uint32_t i = 0; i < rs->ndecisions; i++)
    if (rs->decisions[i].name && strcmp(rs->decisions[i].name, name) == 0) return (int32_t)i;
  return -1;
}

static const rs_decision *dec_at(const rulecore_ruleset *rs, size_t i) {
  return rs && i < rs->ndecisions ? &rs->decisions[i] : NULL;
}
static const rs_rule *rule_at(const rulecore_ruleset *rs, size_t i, size_t k) {
  const rs_decision *dc = dec_at(rs, i);
  return dc && k < dc->nrules ? &dc->rules[k] : NULL;
}

RULECORE_API const char *rulecore_ruleset_decision_name(const rulecore_ruleset *rs, size_t i) {
  const rs_decision *dc = dec_at(rs, i);
  return dc ? dc->name : NULL;
}
RULECORE_API const char *rulecore_ruleset_decision_type(const rulecore_ruleset *rs, size_t i) {
  const rs_decision *dc = dec_at(rs, i);
  return dc ? dc->type_name : NULL;
}
RULECORE_API const char *rulecore_ruleset_decision_hit_policy(const rulecore_ruleset *rs, size_t i) {
  const rs_decision *dc = dec_at(rs, i);
  return dc ? dc->hit_name : NULL;
}
RULECORE_API const char *rulecore_ruleset_decision_description(const rulecore_ruleset *rs, size_t i) {
  const rs_decision *dc = dec_at(rs, i);
  return dc ? dc->description : NULL;
}
RULECORE_API size_t rulecore_ruleset_decision_input_count(const rulecore_ruleset *rs, size_t i) {
  const rs_decision *dc = dec_at(rs, i);
  return dc ? dc->ninputs : 0;
}
RULECORE_API size_t rulecore_ruleset_decision_input(const rulecore_ruleset *rs, size_t i, size_t k) {
  const rs_decision *dc = dec_at(rs, i);
  return dc && k < dc->ninputs ? dc->inputs[k] : 0;
}
RULECORE_API size_t rulecore_ruleset_decision_field_count(const rulecore_ruleset *rs, size_t i) {
  const rs_decision *dc = dec_at(rs, i);
  return dc ? dc->nfields : 0;
}
RULECORE_API const char *rulecore_ruleset_decision_field(const rulecore_ruleset *rs, size_t i, size_t k) {
  const rs_decision *dc = dec_at(rs, i);
  return dc && k < dc->nfields ? dc->fields[k] : NULL;
}
RULECORE_API size_t rulecore_ruleset_rule_count(const rulecore_ruleset *rs, size_t i) {
  const rs_decision *dc = dec_at(rs, i);
  return dc ? dc->nrules : 0;
}
RULECORE_API const char *rulecore_ruleset_rule_id(const rulecore_ruleset *rs, size_t i, size_t k) {
  const rs_rule *r = rule_at(rs, i, k);
  return r ? r->id : NULL;
}
RULECORE_API int64_t rulecore_ruleset_rule_priority(const rulecore_ruleset *rs, size_t i, size_t k) {
  const rs_rule *r = rule_at(rs, i, k);
  return r ? r->priority : 0;
}
RULECORE_API const char *rulecore_ruleset_rule_description(const rulecore_ruleset *rs, size_t i, size_t k) {
  const rs_rule *r = rule_at(rs, i, k);
  return r ? r->description : NULL;
}
RULECORE_API const char *rulecore_ruleset_rule_condition(const rulecore_ruleset *rs, size_t i, size_t k) {
  const rs_rule *r = rule_at(rs, i, k);
  return r ? r->when.text : NULL;
}
RULECORE_API size_t rulecore_ruleset_rule_tag_count(const rulecore_ruleset *rs, size_t i, size_t k) {
  const rs_rule *r = rule_at(rs, i, k);
  return r ? r->ntags : 0;
}
RULECORE_API const char *rulecore_ruleset_rule_tag(const rulecore_ruleset *rs, size_t i, size_t k, size_t t) {
  const rs_rule *r = rule_at(rs, i, k);
  return r && t < r->ntags ? r->tags[t] : NULL;
}
RULECORE_API const char *rulecore_ruleset_rule_file(const rulecore_ruleset *rs, size_t i, size_t k, uint32_t *line) {
  const rs_rule *r = rule_at(rs, i, k);
  if (line) *line = r ? r->line : 0;
  return r && r->file < rs->nfiles ? rs->files[r->file].path : NULL;
}
RULECORE_API size_t rulecore_ruleset_validation_count(const rulecore_ruleset *rs) { return rs ? rs->nvalidations : 0; }
RULECORE_API const char *rulecore_ruleset_validation_id(const rulecore_ruleset *rs, size_t v) {
  return rs && v < rs->nvalidations ? rs->validations[v].id : NULL;
}
RULECORE_API rulecore_severity rulecore_ruleset_validation_severity(const rulecore_ruleset *rs, size_t v) {
  return rs && v < rs->nvalidations ? rs->validations[v].severity : RULECORE_SEVERITY_ERROR;
}
RULECORE_API size_t rulecore_ruleset_validation_input_count(const rulecore_ruleset *rs, size_t v) {
  return rs && v < rs->nvalidations ? rs->validations[v].ninputs : 0;
}
RULECORE_API size_t rulecore_ruleset_validation_input(const rulecore_ruleset *rs, size_t v, size_t k) {
  return rs && v < rs->nvalidations && k < rs->validations[v].ninputs ? rs->validations[v].inputs[k] : 0;
}
RULECORE_API size_t rulecore_ruleset_validation_field_count(const rulecore_ruleset *rs, size_t v) {
  return rs && v < rs->nvalidations ? rs->validations[v].nfields : 0;
}
RULECORE_API const char *rulecore_ruleset_validation_field(const rulecore_ruleset *rs, size_t v, size_t k) {
  return rs && v < rs->nvalidations && k < rs->validations[v].nfields ? rs->validations[v].fields[k] : NULL;
}
RULECORE_API size_t rulecore_ruleset_test_count(const rulecore_ruleset *rs) { return rs ? rs->ntests : 0; }
RULECORE_API const char *rulecore_ruleset_test_name(const rulecore_ruleset *rs, size_t t) {
  return rs && t < rs->ntests ? rs->tests[t].name : NULL;
}

/* ---- evaluation ---- */

RULECORE_API rulecore_decisions *rulecore_decisions_new(void) {
  mem_init_libraries();
  return mem_calloc(1, sizeof(rulecore_decisions));
}

static void explain_free(rs_explain *X) {
  if (!X) return;
  for (uint32_t i = 0; i < X->nprogs; i++) rulecore_program_free(X->progs[i]);
  mem_free(X->progs);
  mem_free(X->tr.points);
  mem_free(X->slots);
  arena_release(&X->arena);
  mem_free(X);
}

static void decisions_drop(rulecore_decisions *o) {
  metrics_detach(o);
  explain_free(o->xp);
  o->xp = NULL;
  mem_free(o->vars);
  mem_free(o->st);
  mem_free(o->views);
  mem_free(o->need);
  mem_free(o->stack);
  mem_free(o->matched);
  mem_free(o->tmp);
  mem_free(o->viols);
  o->vars = NULL, o->st = NULL, o->views = NULL, o->need = NULL, o->stack = NULL, o->matched = NULL;
  o->tmp = NULL, o->viols = NULL;
  rulecore_ruleset_free(o->rs);
  o->rs = NULL;
}

RULECORE_API void rulecore_decisions_free(rulecore_decisions *o) {
  if (!o) return;
  decisions_drop(o);
  eval_release(&o->e);
  mem_free(o);
}

/* Size o's arrays for rs (once per ruleset). */
static bool decisions_bind(rulecore_decisions *o, const rulecore_ruleset *rs) {
  if (o->rs == rs) return true;
  decisions_drop(o);
  size_t nd = rs->ndecisions ? rs->ndecisions : 1;
  o->vars = mem_alloc((rs->nvars ? rs->nvars : 1) * sizeof *o->vars);
  o->st = mem_calloc(nd, sizeof *o->st);
  o->views = mem_calloc(nd, sizeof *o->views);
  o->need = mem_calloc(nd, 1);
  o->stack = mem_alloc(nd * sizeof *o->stack);
  o->matched = mem_alloc((rs->nrules ? rs->nrules : 1) * sizeof *o->matched);
  o->tmp = mem_alloc((rs->max_rules ? rs->max_rules : 1) * sizeof *o->tmp);
  o->viols = mem_alloc((rs->nvalidations ? rs->nvalidations : 1) * sizeof *o->viols);
  if (rs->max_locals > o->e.nlocals) {
    value *l = mem_realloc(o->e.locals, rs->max_locals * sizeof(value));
    if (l) {
      o->e.locals = l;
      o->e.nlocals = rs->max_locals;
    }
  }
  if (!o->vars || !o->st || !o->views || !o->need || !o->stack || !o->matched || !o->tmp || !o->viols ||
      o->e.nlocals < rs->max_locals) {
    decisions_drop(o);
    return false;
  }
  o->rs = rulecore_ruleset_ref((rulecore_ruleset *)rs);
  return true;
}

/* A message in the evaluation's pool. */
static const char *pool_msg(rulecore_decisions *o, const char *fmt, ...) PRINTF_LIKE(2, 3);
static const char *pool_msg(rulecore_decisions *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *z = n >= 0 ? pool_alloc(&o->e.pool, (size_t)n + 1) : NULL;
  if (!z) {
    o->e.oom = true;
    return "out of memory";
  }
  va_start(ap, fmt);
  vsnprintf(z, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return z;
}

/* The file position of line:column (code points) of expression x. */
static void expr_position(const rulecore_ruleset *rs, const rs_expr *x, uint32_t line, uint32_t column,
                          uint32_t *fline, uint32_t *fcol) {
  *fline = x->line;
  *fcol = x->column;
  if (x->generated || !line || x->file >= rs->nfiles) return;
  size_t off = 0;
  for (uint32_t l = 1; l < line && off < x->len; off++)
    if (x->text[off] == '\n') l++;
  for (uint32_t c = 1; c < column && off < x->len;) {
    off++;
    if (off >= x->len || ((unsigned char)x->text[off] & 0xC0) != 0x80) c++;
  }
  size_t at = x->map ? x->map[off] : x->lit_offset + off;
  src_position(&rs->files[x->file].src, at, fline, fcol);
}

typedef struct run {
  rulecore_decisions *o;
  const rulecore_ruleset *rs;
  const rs_decision *decs;   /* rs's, or their traced copies when explaining */
  const rs_validation *vals; /* likewise */
  const rs_expr *failed; /* the expression whose error is pending */
} run;

/* Evaluate a bool expression: EV_TRUE, EV_FALSE, or EV_ERROR with the
 * error in o->e.err. */
static inline int run_bool(run *R, const rs_expr *x) {
  if (!x->prog) return EV_TRUE;
  if (x->constant) return x->k.kind == V_BOOL && x->k.b ? EV_TRUE : EV_FALSE;
  ev *e = &R->o->e; /* e->err is NULL here: whoever takes an error clears it */
  const cnode *root = x->prog->root;
  int b;
  if (LIKELY(root->fam == F_BOOL)) {
    b = root->fn.b(root, e);
  } else {
    value v = ev_value(root, e);
    b = e->err ? EV_ERROR : v.kind == V_BOOL ? v.b : EV_ERROR;
    if (!e->err && v.kind != V_BOOL) ev_fail(e, NULL, "the condition is not a bool");
  }
  if (UNLIKELY(e->err != NULL)) {
    R->failed = x;
    return EV_ERROR;
  }
  return b == EV_TRUE ? EV_TRUE : EV_FALSE;
}

static inline bool run_value(run *R, const rs_expr *x, value *out) {
  if (x->constant) {
    *out = x->k;
    return true;
  }
  ev *e = &R->o->e;
  *out = ev_value(x->prog->root, e);
  if (UNLIKELY(e->err != NULL)) {
    R->failed = x;
    return false;
  }
  return true;
}

/* Decision dec failed: message why (pending in e.err when from an
 * expression, at R->failed). */
static void decision_error(run *R, uint32_t dec, const char *why) {
  rulecore_decisions *o = R->o;
  const rs_decision *dc = &R->decs[dec];
  dec_state *s = &o->st[dec];
  rulecore_result *view = &o->views[dec];
  s->outcome = RULECORE_OUTCOME_ERROR;
  s->err_kind = R->failed ? 0 : 1;
  view->err_line = view->err_column = 0;
  s->err_file = NULL;
  if (R->failed) {
    expr_position(R->rs, R->failed, o->e.err_line, o->e.err_column, &view->err_line, &view->err_column);
    s->err_file = R->rs->files[R->failed->file].path;
    R->failed = NULL;
  }
  view->result = (value){.kind = V_ERROR, .s = why};
  o->vars[dc->var] = (value){.kind = V_ERROR, .s = pool_msg(o, "decision '%s' failed: %s", dc->name, why)};
  o->e.err = NULL; /* taken */
}

static void eval_decision(run *R, uint32_t dec) {
  rulecore_decisions *o = R->o;
  const rs_decision *dc = &R->decs[dec];
  dec_state *s = &o->st[dec];
  s->rule = -1;
  s->mstart = o->nmatched;
  s->mcount = 0;
  s->err_file = NULL;
  uint32_t nvals = 0, nmatched = 0;
  bool all = dc->hit != HIT_FIRST;
  ev *e = &o->e;
  uint32_t *matched = o->matched + o->nmatched;
  value *vals = o->tmp;
  const rs_hot *hot = dc->hot;
  for (uint32_t k = 0, n = dc->nrules; k < n; k++) {
    const rs_hot *h = &hot[k];
    int b;
    if (LIKELY(h->wk == HOT_BOOL)) {
      b = h->when->fn.b(h->when, e);
      if (UNLIKELY(e->err != NULL)) {
        R->failed = &dc->rules[k].when;
        b = EV_ERROR;
      }
    } else if (h->wk == HOT_SLOW) {
      b = run_bool(R, &dc->rules[k].when);
    } else {
      b = h->wk == HOT_ALWAYS ? EV_TRUE : EV_FALSE;
    }
    if (b != EV_TRUE) {
      if (UNLIKELY(b == EV_ERROR)) {
        o->nmatched += nmatched;
        s->mcount = nmatched;
        s->tried = k + 1;
        decision_error(R, dec, pool_msg(o, "rule '%s': %s", dc->rules[k].id, e->err));
        return;
      }
      continue;
    }
    matched[nmatched++] = k;
    if (h->vk == HOT_CONST) {
      vals[nvals++] = h->k;
    } else if (h->vk == HOT_EVAL) {
      vals[nvals] = ev_value(h->value, e);
      if (UNLIKELY(e->err != NULL)) {
        R->failed = &dc->rules[k].value;
        o->nmatched += nmatched;
        s->mcount = nmatched;
        s->tried = k + 1;
        decision_error(R, dec, pool_msg(o, "rule '%s': %s", dc->rules[k].id, e->err));
        return;
      }
      nvals++;
    }
    if (!all) break;
  }
  s->tried = nmatched && !all ? matched[0] + 1 : dc->nrules;
  o->nmatched += nmatched;
  s->mcount = nmatched;
  if (nmatched) s->rule = (int32_t)matched[0];
  value v = {0};
  bool minmax = dc->aggregate == AGG_MIN || dc->aggregate == AGG_MAX;
  if (s->mcount == 0 && dc->aggregate != AGG_COUNT && !(dc->hit == HIT_COLLECT && !minmax && !dc->deflt.prog)) {
    if (!dc->deflt.prog && dc->aggregate != AGG_SUM) {
      s->outcome = RULECORE_OUTCOME_NO_MATCH;
      o->views[dec].result = (value){.kind = V_NULL};
      o->vars[dc->var] = (value){.kind = V_ERROR, .s = pool_msg(o, "decision '%s' has no value: no rule matched", dc->name)};
      return;
    }
    if (dc->deflt.prog) {
      if (!run_value(R, &dc->deflt, &v)) {
        decision_error(R, dec, pool_msg(o, "default: %s", o->e.err));
        return;
      }
      s->outcome = RULECORE_OUTCOME_DEFAULT;
      o->views[dec].result = v;
      o->vars[dc->var] = v;
      return;
    }
  }
  switch (dc->hit) {
  case HIT_FIRST: v = nvals ? o->tmp[0] : v_bool(true); break;
  case HIT_UNIQUE:
    if (s->mcount > 1) {
      decision_error(R, dec,
                     pool_msg(o, "rules '%s' and '%s' both match (hit policy unique)", dc->rules[o->matched[s->mstart]].id,
                              dc->rules[o->matched[s->mstart + 1]].id));
      return;
    }
    v = nvals ? o->tmp[0] : v_bool(true);
    break;
  case HIT_ANY:
    for (uint32_t k = 1; k < nvals; k++)
      if (!value_equal(o->tmp[0], o->tmp[k])) {
        decision_error(R, dec,
                       pool_msg(o, "rules '%s' and '%s' match with different values (hit policy any)",
                                dc->rules[o->matched[s->mstart]].id, dc->rules[o->matched[s->mstart + k]].id));
        return;
      }
    v = nvals ? o->tmp[0] : v_bool(true);
    break;
  case HIT_COLLECT:
    if (dc->aggregate == AGG_COUNT) {
      v = v_int(s->mcount);
    } else if (dc->aggregate == AGG_NONE) {
      if (s->mcount == 0 && dc->deflt.prog) break; /* handled above */
      vlist *l = pool_alloc(&o->e.pool, sizeof *l + nvals * sizeof(value));
      if (!l) {
        o->e.oom = true;
        return;
      }
      l->n = nvals;
      memcpy(l->items, o->tmp, nvals * sizeof(value));
      v = v_list(l);
    } else if (dc->aggregate == AGG_SUM) {
      const type *t = dc->type;
      v = t->kind == TYPE_DOUBLE ? v_double(0) : t->kind == TYPE_UINT ? v_uint(0) : v_int(0);
      for (uint32_t k = 0; k < nvals; k++) {
        value x = o->tmp[k];
        bool over = false;
        if (v.kind == V_DOUBLE) v.d += x.kind == V_DOUBLE ? x.d : x.kind == V_INT ? (double)x.i : (double)x.u;
        else if (v.kind == V_UINT) over = __builtin_add_overflow(v.u, x.u, &v.u);
        else over = __builtin_add_overflow(v.i, x.i, &v.i);
        if (over) {
          decision_error(R, dec, pool_msg(o, "the sum overflows (rule '%s')", dc->rules[o->matched[s->mstart + k]].id));
          return;
        }
      }
    } else { /* min, max */
      v = o->tmp[0];
      for (uint32_t k = 1; k < nvals; k++) {
        int c = value_compare(o->tmp[k], v);
        if ((dc->aggregate == AGG_MIN && c < 0) || (dc->aggregate == AGG_MAX && c == 1)) v = o->tmp[k];
      }
    }
    break;
  }
  s->outcome = s->mcount ? RULECORE_OUTCOME_RULE : RULECORE_OUTCOME_DEFAULT;
  if (s->mcount == 0 && !dc->deflt.prog) s->outcome = RULECORE_OUTCOME_RULE; /* count 0, sum 0, collect [] */
  o->views[dec].result = v;
  o->vars[dc->var] = v;
}

static void eval_validation(run *R, uint32_t i) {
  rulecore_decisions *o = R->o;
  const rs_validation *v = &R->vals[i];
  int b = run_bool(R, &v->expr);
  if (b == EV_TRUE) return;
  violation *x = &o->viols[o->nviols++];
  x->validation = i;
  x->error = b == EV_ERROR;
  if (b == EV_ERROR) {
    R->failed = NULL;
    x->message = pool_msg(o, "cannot be checked: %s", o->e.err);
    o->e.err = NULL;
    return;
  }
  value m;
  if (!v->message.prog) {
    x->message = pool_msg(o, "validation '%s' does not hold", v->id);
  } else if (!run_value(R, &v->message, &m)) {
    R->failed = NULL;
    x->message = pool_msg(o, "validation '%s' does not hold (its message failed: %s)", v->id, o->e.err);
    o->e.err = NULL;
  } else {
    x->message = pool_msg(o, "%.*s", (int)m.n, m.s);
  }
}

/* ---- explaining ---- */

/* x (a copy of an expression of X->rs) recompiled with trace closures:
 * parsed and checked again as it was at load, against the same schema.
 * false when out of memory; an expression that is a constant, or that
 * does not compile again (it did at load), stays as it was, untraced. */
static bool explain_expr(rs_explain *X, const rulecore_env *env, rs_expr *x) {
  x->tn = 0;
  if (!x->prog || x->constant) return true;
  if (X->nprogs == X->capprogs && !rs_grow((void **)&X->progs, &X->capprogs, sizeof *X->progs)) return false;
  rulecore_expr *e = NULL;
  rulecore_status st = rulecore_parse(env, x->text, x->len, NULL, &e, NULL);
  if (st == RULECORE_OK) st = rulecore_check(env, e, x->want, NULL);
  uint32_t first = X->tr.n;
  rulecore_program *p = NULL;
  if (st == RULECORE_OK) st = api_compile_traced(env, e, &X->tr, &p);
  rulecore_expr_free(e);
  if (st == RULECORE_ERR_NOMEM || X->tr.oom) return false;
  if (st != RULECORE_OK) return true;
  X->progs[X->nprogs++] = p;
  x->prog = p;
  x->tfirst = first;
  x->tn = X->tr.n - first;
  return true;
}

/* The traced copy of rs for o; NULL when out of memory. */
static rs_explain *explain_build(const rulecore_ruleset *rs) {
  rs_explain *X = mem_calloc(1, sizeof *X);
  rulecore_env *env = rulecore_env_new();
  bool ok = X && env && rulecore_env_set_schema(env, rs->schema, NULL) == RULECORE_OK;
  if (ok) {
    X->rs = rs;
    X->decisions = arena_alloc(&X->arena, (rs->ndecisions + 1) * sizeof *X->decisions);
    X->validations = arena_alloc(&X->arena, (rs->nvalidations + 1) * sizeof *X->validations);
    ok = X->decisions && X->validations;
  }
  for (uint32_t i = 0; ok && i < rs->ndecisions; i++) {
    rs_decision *dc = &X->decisions[i];
    *dc = rs->decisions[i];
    if (!dc->nrules) {
      ok = explain_expr(X, env, &dc->deflt);
      continue;
    }
    dc->rules = arena_alloc(&X->arena, dc->nrules * sizeof *dc->rules);
    dc->hot = arena_alloc(&X->arena, dc->nrules * sizeof *dc->hot);
    ok = dc->rules && dc->hot;
    for (uint32_t k = 0; ok && k < dc->nrules; k++) {
      dc->rules[k] = rs->decisions[i].rules[k];
      ok = explain_expr(X, env, &dc->rules[k].when) && explain_expr(X, env, &dc->rules[k].value);
      hot_of(&dc->rules[k], &dc->hot[k]);
    }
    ok = ok && explain_expr(X, env, &dc->deflt);
  }
  for (uint32_t i = 0; ok && i < rs->nvalidations; i++) {
    X->validations[i] = rs->validations[i];
    ok = explain_expr(X, env, &X->validations[i].expr) && explain_expr(X, env, &X->validations[i].message);
  }
  if (ok) ok = (X->slots = mem_calloc(X->tr.n ? X->tr.n : 1, sizeof *X->slots)) != NULL;
  rulecore_env_free(env);
  if (!ok) {
    explain_free(X);
    return NULL;
  }
  return X;
}

RULECORE_API rulecore_status rulecore_decisions_set_explain(rulecore_decisions *o, bool on) {
  if (!o) return RULECORE_ERR_ARGUMENT;
  o->explain = on;
  return RULECORE_OK;
}

RULECORE_API char *rulecore_decisions_explain(const rulecore_decisions *o, rulecore_format format, unsigned flags) {
  if (!o || !o->rs || !o->xp || !o->explain || (format != RULECORE_FORMAT_TEXT && format != RULECORE_FORMAT_JSON))
    return NULL;
  buf b = {0};
  explain_render(&b, o, format, (flags & RULECORE_EXPLAIN_COLOR) != 0);
  return buf_take(&b);
}

RULECORE_API size_t rulecore_decisions_tried_count(const rulecore_decisions *o, size_t i) {
  const dec_state *s = o && o->rs && i < o->rs->ndecisions ? &o->st[i] : NULL;
  return s && s->outcome != RULECORE_OUTCOME_NOT_EVALUATED ? s->tried : 0;
}

RULECORE_API const char *rulecore_decisions_tried(const rulecore_decisions *o, size_t i, size_t k, bool *matched) {
  if (matched) *matched = false;
  if (k >= rulecore_decisions_tried_count(o, i)) return NULL;
  const dec_state *s = &o->st[i];
  for (uint32_t m = 0; matched && m < s->mcount; m++)
    if (o->matched[s->mstart + m] == k) *matched = true;
  return o->rs->decisions[i].rules[k].id;
}

RULECORE_API rulecore_status rulecore_ruleset_eval(const rulecore_ruleset *rs, const rulecore_activation *a,
                                                   const char *const *names, size_t nnames, rulecore_decisions *o) {
  if (!rs || !o || (nnames && !names)) return RULECORE_ERR_ARGUMENT;
  if (a && act_schema(a) != rs->schema) return RULECORE_ERR_ARGUMENT;
  if (!decisions_bind(o, rs)) return RULECORE_ERR_NOMEM;
  int64_t t0 = 0;
  bool logging = atomic_load_explicit(&rs->log, memory_order_relaxed) != NULL;
  if (UNLIKELY(atomic_load_explicit(&rs->metrics, memory_order_relaxed) != NULL)) {
    if (!o->mc && !metrics_attach(o, rs)) return RULECORE_ERR_NOMEM;
    t0 = metrics_now();
  } else if (UNLIKELY(logging)) {
    t0 = metrics_now();
  }
  ev *e = &o->e;
  e->trace = NULL;
  if (UNLIKELY(o->explain)) {
    if (!o->xp && !(o->xp = explain_build(rs))) return RULECORE_ERR_NOMEM;
    memset(o->xp->slots, 0, (o->xp->tr.n ? o->xp->tr.n : 1) * sizeof *o->xp->slots);
    e->trace = o->xp->slots;
  }
  if (e->pool.first) pool_reset(&e->pool);
  e->oom = false;
  e->err = NULL;
  e->cost = 0;
  e->cost_limit = rs->cost_limit;
  o->nmatched = 0;
  o->nviols = 0;
  /* the context's variables, then the decisions' slots, none evaluated */
  uint32_t nact = 0;
  const value *av = a ? act_vars(a, &nact) : NULL;
  for (uint32_t i = 0; i < rs->nvars; i++) o->vars[i] = (value){.kind = V_ABSENT};
  if (av) memcpy(o->vars, av, (nact < rs->nuser ? nact : rs->nuser) * sizeof *o->vars);
  e->vars = o->vars;
  e->nvars = rs->nvars;
  bool everything = names == NULL;
  if (everything) {
    memset(o->need, 1, rs->ndecisions);
  } else {
    memset(o->need, 0, rs->ndecisions);
    uint32_t sp = 0;
    for (size_t i = 0; i < nnames; i++) {
      int32_t d = rulecore_ruleset_decision_index(rs, names[i]);
      if (d < 0) return RULECORE_ERR_ARGUMENT;
      if (!o->need[d]) o->need[d] = 1, o->stack[sp++] = (uint32_t)d;
    }
    while (sp) {
      const rs_decision *dc = &rs->decisions[o->stack[--sp]];
      for (uint32_t k = 0; k < dc->ninputs; k++)
        if (!o->need[dc->inputs[k]]) o->need[dc->inputs[k]] = 1, o->stack[sp++] = dc->inputs[k];
    }
  }
  run R = {o, rs, rs->decisions, rs->validations, NULL};
  if (e->trace) R.decs = o->xp->decisions, R.vals = o->xp->validations;
  for (uint32_t i = 0; i < rs->ndecisions; i++) {
    o->st[i].outcome = RULECORE_OUTCOME_NOT_EVALUATED;
    o->views[i].result = (value){.kind = V_NULL};
  }
  for (uint32_t k = 0; k < rs->ndecisions; k++) {
    uint32_t d = rs->order[k];
    if (o->need[d]) eval_decision(&R, d);
    if (UNLIKELY(e->oom)) return RULECORE_ERR_NOMEM;
  }
  for (uint32_t i = 0; i < rs->nvalidations; i++) {
    const rs_validation *v = &rs->validations[i];
    bool ready = true;
    for (uint32_t k = 0; ready && k < v->ninputs; k++) ready = o->need[v->inputs[k]];
    if (ready) eval_validation(&R, i);
    if (UNLIKELY(e->oom)) return RULECORE_ERR_NOMEM;
  }
  if (UNLIKELY(o->mc != NULL || logging)) {
    int64_t ns = metrics_now() - t0;
    if (o->mc) metrics_count(o, ns);
    if (logging) declog_emit(o, a, ns);
  }
  return RULECORE_OK;
}

/* ---- outcomes ---- */

static const dec_state *state_at(const rulecore_decisions *o, size_t i) {
  return o && o->rs && i < o->rs->ndecisions ? &o->st[i] : NULL;
}

RULECORE_API const rulecore_ruleset *rulecore_decisions_ruleset(const rulecore_decisions *o) {
  return o ? o->rs : NULL;
}
RULECORE_API rulecore_outcome rulecore_decisions_outcome(const rulecore_decisions *o, size_t i) {
  const dec_state *s = state_at(o, i);
  return s ? (rulecore_outcome)s->outcome : RULECORE_OUTCOME_NOT_EVALUATED;
}
RULECORE_API const rulecore_result *rulecore_decisions_value(const rulecore_decisions *o, size_t i) {
  const dec_state *s = state_at(o, i);
  if (!s || s->outcome == RULECORE_OUTCOME_NOT_EVALUATED || s->outcome == RULECORE_OUTCOME_NO_MATCH) return NULL;
  return &o->views[i];
}
RULECORE_API const char *rulecore_decisions_error_file(const rulecore_decisions *o, size_t i) {
  const dec_state *s = state_at(o, i);
  return s && s->outcome == RULECORE_OUTCOME_ERROR ? s->err_file : NULL;
}
RULECORE_API const char *rulecore_decisions_rule(const rulecore_decisions *o, size_t i) {
  const dec_state *s = state_at(o, i);
  if (!s) return NULL;
  if (s->outcome == RULECORE_OUTCOME_DEFAULT) return "default";
  if (s->outcome != RULECORE_OUTCOME_RULE || s->rule < 0) return NULL;
  return o->rs->decisions[i].rules[s->rule].id;
}
RULECORE_API size_t rulecore_decisions_matched_count(const rulecore_decisions *o, size_t i) {
  const dec_state *s = state_at(o, i);
  return s && s->outcome != RULECORE_OUTCOME_NOT_EVALUATED ? s->mcount : 0;
}
RULECORE_API const char *rulecore_decisions_matched(const rulecore_decisions *o, size_t i, size_t k) {
  const dec_state *s = state_at(o, i);
  if (!s || s->outcome == RULECORE_OUTCOME_NOT_EVALUATED || k >= s->mcount) return NULL;
  return o->rs->decisions[i].rules[o->matched[s->mstart + k]].id;
}
RULECORE_API size_t rulecore_decisions_violation_count(const rulecore_decisions *o) {
  return o && o->rs ? o->nviols : 0;
}
RULECORE_API const char *rulecore_decisions_violation_id(const rulecore_decisions *o, size_t k) {
  return o && o->rs && k < o->nviols ? o->rs->validations[o->viols[k].validation].id : NULL;
}
RULECORE_API const char *rulecore_decisions_violation_message(const rulecore_decisions *o, size_t k) {
  return o && o->rs && k < o->nviols ? o->viols[k].message : NULL;
}
RULECORE_API rulecore_severity rulecore_decisions_violation_severity(const rulecore_decisions *o, size_t k) {
  return o && o->rs && k < o->nviols ? o->rs->validations[o->viols[k].validation].severity : RULECORE_SEVERITY_ERROR;
}

static const char *severity_word(rulecore_severity s) { return s == RULECORE_SEVERITY_WARNING ? "warning" : "error"; }

static void render_text(buf *b, const rulecore_decisions *o) {
  const rulecore_ruleset *rs = o->rs;
  for (uint32_t i = 0; i < rs->ndecisions; i++) {
    const dec_state *s = &o->st[i];
    const rs_decision *dc = &rs->decisions[i];
    if (s->outcome == RULECORE_OUTCOME_NOT_EVALUATED) continue;
    buf_printf(b, "%s = ", dc->name);
    switch (s->outcome) {
    case RULECORE_OUTCOME_NO_MATCH: buf_puts(b, "(no rule matched, no default)\n"); continue;
    case RULECORE_OUTCOME_ERROR:
      buf_printf(b, "error: %s", o->views[i].result.s);
      if (s->err_file) buf_printf(b, "   (%s:%u:%u)", s->err_file, o->views[i].err_line, o->views[i].err_column);
      buf_putc(b, '\n');
      continue;
    default: break;
    }
    value_render(b, o->views[i].result, RULECORE_FORMAT_TEXT);
    if (s->outcome == RULECORE_OUTCOME_DEFAULT) {
      buf_puts(b, "   (default)\n");
    } else if (s->mcount == 0) {
      buf_puts(b, "   (no rule matched)\n");
    } else if (dc->hit == HIT_FIRST || s->mcount == 1) {
      const rs_rule *r = &dc->rules[s->rule];
      if (r->priority)
        buf_printf(b, "   (rule %s, priority %lld)\n", r->id, (long long)r->priority);
      else
        buf_printf(b, "   (rule %s)\n", r->id);
    } else {
      buf_puts(b, "   (rules");
      for (uint32_t k = 0; k < s->mcount; k++)
        buf_printf(b, "%s %s", k ? "," : "", dc->rules[o->matched[s->mstart + k]].id);
      buf_puts(b, ")\n");
    }
  }
  if (o->nviols == 0) {
    buf_puts(b, "validations: ok\n");
    return;
  }
  buf_printf(b, "validations: %u failed\n", o->nviols);
  for (uint32_t k = 0; k < o->nviols; k++) {
    const rs_validation *v = &rs->validations[o->viols[k].validation];
    buf_printf(b, "  %s %s: %s\n", severity_word(v->severity), v->id, o->viols[k].message);
  }
}

static void render_json(buf *b, const rulecore_decisions *o) {
  const rulecore_ruleset *rs = o->rs;
  buf_puts(b, "{\"revision\": ");
  buf_json_string(b, rs->revision, strlen(rs->revision));
  buf_puts(b, ", \"decisions\": {");
  bool first = true;
  for (uint32_t i = 0; i < rs->ndecisions; i++) {
    const dec_state *s = &o->st[i];
    const rs_decision *dc = &rs->decisions[i];
    if (s->outcome == RULECORE_OUTCOME_NOT_EVALUATED) continue;
    buf_puts(b, first ? "" : ", ");
    first = false;
    buf_json_string(b, dc->name, strlen(dc->name));
    buf_puts(b, ": {\"type\": ");
    buf_json_string(b, dc->type_name, strlen(dc->type_name));
    buf_puts(b, ", \"value\": ");
    if (s->outcome == RULECORE_OUTCOME_RULE || s->outcome == RULECORE_OUTCOME_DEFAULT)
      value_render(b, o->views[i].result, RULECORE_FORMAT_TYPED_JSON);
    else
      buf_puts(b, "null");
    buf_puts(b, ", \"rule\": ");
    const char *rule = rulecore_decisions_rule(o, i);
    if (rule)
      buf_json_string(b, rule, strlen(rule));
    else
      buf_puts(b, "null");
    buf_puts(b, ", \"matched\": [");
    for (uint32_t k = 0; k < s->mcount; k++) {
      const char *id = dc->rules[o->matched[s->mstart + k]].id;
      if (k) buf_puts(b, ", ");
      buf_json_string(b, id, strlen(id));
    }
    buf_printf(b, "], \"outcome\": \"%s\"", rs_outcome_names[s->outcome]);
    if (s->outcome == RULECORE_OUTCOME_ERROR) {
      buf_puts(b, ", \"error\": ");
      buf_json_string(b, o->views[i].result.s, strlen(o->views[i].result.s));
      if (s->err_file) {
        buf_puts(b, ", \"file\": ");
        buf_json_string(b, s->err_file, strlen(s->err_file));
        buf_printf(b, ", \"line\": %u, \"column\": %u", o->views[i].err_line, o->views[i].err_column);
      }
    }
    buf_putc(b, '}');
  }
  buf_puts(b, "}, \"violations\": [");
  for (uint32_t k = 0; k < o->nviols; k++) {
    const rs_validation *v = &rs->validations[o->viols[k].validation];
    buf_puts(b, k ? ", {\"id\": " : "{\"id\": ");
    buf_json_string(b, v->id, strlen(v->id));
    buf_puts(b, ", \"message\": ");
    buf_json_string(b, o->viols[k].message, strlen(o->viols[k].message));
    buf_printf(b, ", \"severity\": \"%s\"}", severity_word(v->severity));
  }
  buf_puts(b, "]}\n");
}

RULECORE_API char *rulecore_decisions_render(const rulecore_decisions *o, rulecore_format format) {
  if (!o || !o->rs || (format != RULECORE_FORMAT_TEXT && format != RULECORE_FORMAT_JSON)) return NULL;
  buf b = {0};
  if (format == RULECORE_FORMAT_TEXT)
    render_text(&b, o);
  else
    render_json(&b, o);
  return buf_take(&b);
}

/* ---- tests ---- */

/* Append "got ..." for decision i's outcome. */
static void render_got(buf *b, const rulecore_decisions *o, uint32_t i) {
  const dec_state *s = &o->st[i];
  switch (s->outcome) {
  case RULECORE_OUTCOME_NO_MATCH: buf_puts(b, "no value (no rule matched, no default)"); return;
  case RULECORE_OUTCOME_ERROR: buf_printf(b, "an error: %s", o->views[i].result.s); return;
  case RULECORE_OUTCOME_NOT_EVALUATED: buf_puts(b, "nothing (not evaluated)"); return;
  default: break;
  }
  value_render(b, o->views[i].result, RULECORE_FORMAT_TEXT);
  const char *rule = rulecore_decisions_rule(o, i);
  if (rule) buf_printf(b, " (%s%s)", strcmp(rule, "default") == 0 ? "" : "rule ", rule);
}

RULECORE_API rulecore_status rulecore_ruleset_test_run(const rulecore_ruleset *rs, size_t ti, rulecore_decisions *o,
                                                       int *passed, char **report) {
  if (report) *report = NULL;
  if (passed) *passed = 0;
  if (!rs || !o || ti >= rs->ntests) return RULECORE_ERR_ARGUMENT;
  const rs_test *t = &rs->tests[ti];
  rulecore_status st = rulecore_ruleset_eval(rs, t->context, NULL, 0, o);
  if (st != RULECORE_OK) return st;
  buf b = {0};
  uint32_t nexp;
  const value *exp = act_vars(t->expect, &nexp);
  for (uint32_t k = 0; k < t->nexpect; k++) {
    uint32_t i = t->expect_decisions[k];
    const rs_decision *dc = &rs->decisions[i];
    const dec_state *s = &o->st[i];
    value want = exp[dc->var];
    bool has = s->outcome == RULECORE_OUTCOME_RULE || s->outcome == RULECORE_OUTCOME_DEFAULT;
    if (has && value_equal(want, o->views[i].result)) continue;
    buf_printf(&b, "  %s: expected ", dc->name);
    value_render(&b, want, RULECORE_FORMAT_TEXT);
    buf_puts(&b, ", got ");
    render_got(&b, o, i);
    buf_putc(&b, '\n');
  }
  for (uint32_t k = 0; k < t->nrules; k++) {
    uint32_t i = t->rule_decisions[k];
    const char *got = rulecore_decisions_rule(o, i);
    if (got && strcmp(got, t->rule_ids[k]) == 0) continue;
    buf_printf(&b, "  rule of %s: expected %s, got ", rs->decisions[i].name, t->rule_ids[k]);
    render_got(&b, o, i);
    buf_putc(&b, '\n');
  }
  if (t->has_violations) {
    bool same = o->nviols == t->nviolations;
    for (uint32_t k = 0; same && k < t->nviolations; k++) {
      bool found = false;
      for (uint32_t j = 0; j < o->nviols && !found; j++)
        found = strcmp(rs->validations[o->viols[j].validation].id, t->violations[k]) == 0;
      same = found;
    }
    if (!same) {
      buf_puts(&b, "  violations: expected [");
      for (uint32_t k = 0; k < t->nviolations; k++) buf_printf(&b, "%s%s", k ? ", " : "", t->violations[k]);
      buf_puts(&b, "], got [");
      for (uint32_t j = 0; j < o->nviols; j++)
        buf_printf(&b, "%s%s", j ? ", " : "", rs->validations[o->viols[j].validation].id);
      buf_puts(&b, "]\n");
      for (uint32_t j = 0; j < o->nviols; j++)
        buf_printf(&b, "    %s: %s\n", rs->validations[o->viols[j].validation].id, o->viols[j].message);
    }
  }
  if (b.oom) {
    buf_release(&b);
    return RULECORE_ERR_NOMEM;
  }
  if (passed) *passed = b.len == 0;
  if (b.len && report)
    *report = buf_take(&b);
  else
    buf_release(&b);
  return RULECORE_OK;
}
