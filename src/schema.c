/*
 * schema.c: declarations, their resolution (freezing) and the public
 * rulecore_schema_* functions.
 *
 * Type spellings are parsed by the expression parser itself: `list(Item)`
 * is a call, `a.b.Type` a selection, so there is one parser and one set of
 * syntax diagnostics.  Records may refer to each other in any order and in
 * cycles (`Node: {next: Node}`): a field holds a reference to its record
 * type, and a context simply leaves an absent field out.
 */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "suggest.h"
#include "syntax.h"

typedef enum decl_kind { DECL_RECORD, DECL_FIELD, DECL_VARIABLE } decl_kind;

struct schema_decl {
  decl_kind kind;
  const char *name;   /* record, field or variable name */
  const char *record; /* DECL_FIELD: its record */
  const char *spec;   /* DECL_FIELD, DECL_VARIABLE: the type spelling */
  diag_loc loc;       /* line 0 when declared without a position */
  bool computed;      /* DECL_VARIABLE: see schema_declare_computed */
  bool dup;           /* an earlier declaration has its name (see mark_duplicates) */
  schema_decl *next;
};

rulecore_schema *schema_ref(rulecore_schema *s) {
  if (s) atomic_fetch_add(&s->refs, 1);
  return s;
}

void schema_unref(rulecore_schema *s) {
  if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
  arena_release(&s->arena);
  strmap_release(&s->var_names);
  mem_free(s);
}

/* A copy of loc's strings in s's arena.  Declarations from one document
 * share their file name and, on one line (a minified file), their line
 * text: the last copies are reused when the caller's pointers repeat. */
static bool copy_loc(rulecore_schema *s, diag_loc *dst, const diag_loc *src) {
  memset(dst, 0, sizeof *dst);
  if (!src || !src->line) return true;
  *dst = *src;
  const char *file = src->file ? src->file : "<input>";
  if (file != s->last_file_src) {
    s->last_file = arena_strndup(&s->arena, file, strlen(file));
    s->last_file_src = s->last_file ? file : NULL;
  }
  if (src->line_text != s->last_line_src || src->line_len != s->last_line_len) {
    s->last_line = arena_strndup(&s->arena, src->line_text ? src->line_text : "", src->line_len);
    s->last_line_src = s->last_line ? src->line_text : NULL;
    s->last_line_len = src->line_len;
  }
  dst->file = s->last_file;
  dst->line_text = s->last_line;
  return dst->file && dst->line_text;
}

static rulecore_status declare(rulecore_schema *s, decl_kind kind, const char *name, const char *record,
                               const char *spec, const diag_loc *loc) {
  if (!s || !name || s->frozen || (kind == DECL_FIELD && !record) || (kind != DECL_RECORD && !spec))
    return RULECORE_ERR_ARGUMENT;
  schema_decl *d = arena_alloc(&s->arena, sizeof *d);
  if (!d) return RULECORE_ERR_NOMEM;
  d->kind = kind;
  d->name = arena_strndup(&s->arena, name, strlen(name));
  d->record = record ? arena_strndup(&s->arena, record, strlen(record)) : NULL;
  d->spec = spec ? arena_strndup(&s->arena, spec, strlen(spec)) : NULL;
  if (!d->name || (record && !d->record) || (spec && !d->spec) || !copy_loc(s, &d->loc, loc))
    return RULECORE_ERR_NOMEM;
  if (s->last_decl)
    s->last_decl->next = d;
  else
    s->decls = d;
  s->last_decl = d;
  return RULECORE_OK;
}

rulecore_status schema_declare_record(rulecore_schema *s, const char *name, const diag_loc *loc) {
  return declare(s, DECL_RECORD, name, NULL, NULL, loc);
}
rulecore_status schema_declare_field(rulecore_schema *s, const char *record, const char *field, const char *spec,
                                     const diag_loc *loc) {
  return declare(s, DECL_FIELD, field, record, spec, loc);
}
rulecore_status schema_declare_variable(rulecore_schema *s, const char *name, const char *spec,
                                        const diag_loc *loc) {
  return declare(s, DECL_VARIABLE, name, NULL, spec, loc);
}
rulecore_status schema_declare_computed(rulecore_schema *s, const char *name, const char *spec,
                                        const diag_loc *loc) {
  rulecore_status st = declare(s, DECL_VARIABLE, name, NULL, spec, loc);
  if (st == RULECORE_OK) s->last_decl->computed = true;
  return st;
}

/* Bring var_names up to date with the declarations: each variable's name
 * to its first declaration.  Built when first asked for rather than as
 * declarations come, so that loading a document touches one table at a
 * time.  False when out of memory. */
static bool index_variables(rulecore_schema *s) {
  schema_decl *x = s->var_names_upto ? s->var_names_upto->next : s->decls;
  for (; x; x = x->next) {
    if (x->kind == DECL_VARIABLE && !strmap_get(&s->var_names, x->name, NULL) &&
        !strmap_put(&s->var_names, x->name, x))
      return false;
    s->var_names_upto = x;
  }
  return true;
}

rulecore_status schema_declares_variable(rulecore_schema *s, const char *name, bool *declared) {
  if (s->frozen) {
    *declared = schema_variable(s, name) != NULL;
    return RULECORE_OK;
  }
  if (!index_variables(s)) return RULECORE_ERR_NOMEM;
  *declared = strmap_get(&s->var_names, name, NULL) != NULL;
  return RULECORE_OK;
}

/* ---- lookups ---- */

static int cmp_record(const void *a, const void *b) {
  return strcmp((*(type *const *)a)->name, (*(type *const *)b)->name);
}
static int cmp_var(const void *a, const void *b) {
  return strcmp(((const schema_var *)a)->name, ((const schema_var *)b)->name);
}
static int cmp_field(const void *a, const void *b) {
  return strcmp(((const record_field *)a)->name, ((const record_field *)b)->name);
}

const type *schema_record(const rulecore_schema *s, const char *name) {
  if (!s || !s->records) return NULL;
  type key = {.name = name};
  const type *kp = &key;
  type **hit = bsearch(&kp, s->records, s->nrecords, sizeof *s->records, cmp_record);
  return hit ? *hit : NULL;
}

const schema_var *schema_variable(const rulecore_schema *s, const char *name) {
  if (!s || !s->vars) return NULL;
  schema_var key = {.name = name};
  return bsearch(&key, s->vars, s->nvars, sizeof *s->vars, cmp_var);
}

/* ---- type spellings ---- */

static const char *const type_functions[] = {"list", "map", "type"};

static const char *record_name_at(const void *ctx, size_t i) {
  const rulecore_schema *s = ctx;
  static const char *const prim[] = {"int",   "uint",      "double",   "bool", "string", "bytes",
                                     "dyn",   "null_type", "timestamp", "duration"};
  return i < ARRAY_LEN(prim) ? prim[i] : s->records[i - ARRAY_LEN(prim)]->name;
}

typedef struct spec_ctx {
  const rulecore_schema *s;
  arena *a;
  bool params;
  char *why;
  size_t why_len;
} spec_ctx;

static const type *type_of_ast(spec_ctx *c, const ast_node *n) {
  if (n->kind == AST_IDENT || n->kind == AST_SELECT) {
    buf b = {0};
    bool ok = ast_dotted_name(n, &b);
    const char *name = b.data ? b.data : "";
    const type *t = NULL;
    if (ok && !b.oom) {
      t = type_primitive(name);
      if (!t) t = schema_record(c->s, name);
      if (!t && c->params && name[0] >= 'A' && name[0] <= 'Z' && name[1] == '\0') {
        const char *pn = arena_strndup(c->a, name, 1);
        t = pn ? type_param(c->a, pn, 0) : NULL;
      }
      if (!t && strcmp(name, "list") != 0 && strcmp(name, "map") != 0) {
        const char *near =
            suggest_closest(name, 10 + (c->s ? c->s->nrecords : 0), record_name_at, c->s ? (const void *)c->s : NULL);
        snprintf(c->why, c->why_len, "unknown type '%s'%s%s%s", name, near ? "; did you mean '" : "",
                 near ? near : "", near ? "'?" : "");
      } else if (!t) {
        snprintf(c->why, c->why_len, "'%s' needs type arguments: %s", name,
                 strcmp(name, "list") == 0 ? "list(T)" : "map(K, V)");
      }
    }
    buf_release(&b);
    return t;
  }
  if (n->kind == AST_CALL && !n->u.call.target) {
    const char *f = n->u.call.function;
    uint32_t want = strcmp(f, "map") == 0 ? 2 : 1;
    bool known = false;
    for (size_t i = 0; i < ARRAY_LEN(type_functions); i++)
      if (strcmp(f, type_functions[i]) == 0) known = true;
    if (!known) {
      snprintf(c->why, c->why_len, "unknown type constructor '%s' (expected list(T), map(K, V) or type(T))", f);
      return NULL;
    }
    if (n->u.call.nargs != want) {
      snprintf(c->why, c->why_len, "%s takes %u type argument%s", f, want, want == 1 ? "" : "s");
      return NULL;
    }
    const type *a0 = type_of_ast(c, n->u.call.args[0]);
    if (!a0) return NULL;
    if (want == 2) {
      /* CEL's map keys: int, uint, bool, string, or dyn for any of them. */
      if (a0->kind != TYPE_INT && a0->kind != TYPE_UINT && a0->kind != TYPE_BOOL && a0->kind != TYPE_STRING &&
          a0->kind != TYPE_DYN && a0->kind != TYPE_PARAM) {
        buf kb = {0};
        type_format(&kb, a0);
        snprintf(c->why, c->why_len, "a map's keys must be int, uint, bool or string (or dyn), not %s",
                 kb.data && !kb.oom ? kb.data : "that type");
        buf_release(&kb);
        return NULL;
      }
      const type *a1 = type_of_ast(c, n->u.call.args[1]);
      if (!a1) return NULL;
      return type_map(c->a, a0, a1);
    }
    return f[0] == 'l' ? type_list(c->a, a0) : type_type(c->a, a0);
  }
  snprintf(c->why, c->why_len, "not a type: expected a name, list(T), map(K, V) or type(T)");
  return NULL;
}

const type *schema_parse_type(const rulecore_schema *s, arena *a, const char *spec, bool params, const char **why,
                              char *why_buf, size_t why_len) {
  spec_ctx c = {.s = s, .a = a, .params = params, .why = why_buf, .why_len = why_len};
  why_buf[0] = '\0';
  *why = why_buf;
  /* A name ("int", "Item"), what most spellings are, resolves as
   * type_of_ast would resolve it, without parsing.  What does not resolve
   * is parsed, for the message. */
  if (syn_is_plain_name(spec)) {
    const type *t = type_primitive(spec);
    if (!t) t = schema_record(s, spec);
    if (t) return t;
  }
  /* A spelling is one expression: parse it with small limits. */
  syn_limits limits = {.max_source_bytes = 4096, .max_depth = 32};
  rulecore_diagnostics *d = diag_new(1);
  ast t = {0};
  const type *result = NULL;
  if (!d) {
    snprintf(why_buf, why_len, "out of memory");
    return NULL;
  }
  rulecore_status st = syn_parse(&limits, spec, strlen(spec), "<type>", &t, d);
  if (st == RULECORE_OK) {
    result = type_of_ast(&c, t.root);
    if (!result && !why_buf[0]) snprintf(why_buf, why_len, "out of memory");
  } else if (st == RULECORE_ERR_SOURCE && d->count) {
    snprintf(why_buf, why_len, "bad type syntax: %s", d->items[0].message);
  } else {
    snprintf(why_buf, why_len, "out of memory");
  }
  ast_release(&t);
  rulecore_diagnostics_free(d);
  return result;
}

/* ---- freezing ---- */

/* Set dup on every declaration whose name an earlier one of the same kind
 * (on the same record, for a field) has: judged by declarations, so a
 * duplicate is reported even when the first one did not resolve.  By
 * hashing (a field by "record\x1ffield"), so n declarations cost O(n).
 * False when out of memory. */
static bool mark_duplicates(rulecore_schema *s) {
  strmap records = {0}, fields = {0};
  arena keys = {0};
  bool ok = index_variables(s);
  for (schema_decl *x = s->decls; ok && x; x = x->next) {
    if (x->kind == DECL_VARIABLE) { /* var_names holds each name's first declaration */
      x->dup = strmap_get(&s->var_names, x->name, NULL) != x;
      continue;
    }
    strmap *m = x->kind == DECL_RECORD ? &records : &fields;
    const char *key = x->name;
    if (x->kind == DECL_FIELD) {
      size_t nr = strlen(x->record), nf = strlen(x->name);
      char *k = arena_alloc(&keys, nr + nf + 2);
      if (!k) {
        ok = false;
        break;
      }
      memcpy(k, x->record, nr);
      k[nr] = '\x1f';
      memcpy(k + nr + 1, x->name, nf + 1);
      key = k;
    }
    bool seen;
    strmap_get(m, key, &seen);
    x->dup = seen;
    if (!seen && !strmap_put(m, key, x)) ok = false;
  }
  strmap_release(&records);
  strmap_release(&fields);
  arena_release(&keys);
  return ok;
}

/* Can an expression name it?  A field: an identifier, or what a field
 * name in backticks may hold (letters, digits, '_', '.', '-', '/', ' ').
 * A type or variable: identifiers joined by dots. */
static bool valid_field_name(const char *name) {
  if (!*name) return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("_.-/ ", *p)))
      return false;
  return true;
}

static bool valid_name(const char *name, bool dotted) {
  bool start = true;
  for (const char *p = name;; p++) {
    char ch = *p;
    bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
    if (start) {
      if (!letter) return false;
      start = false;
    } else if (ch == '\0') {
      return true;
    } else if (ch == '.' && dotted) {
      start = true;
    } else if (!letter && !(ch >= '0' && ch <= '9')) {
      return false;
    }
  }
}

static const char *loc_kind_name(decl_kind k) {
  return k == DECL_RECORD ? "type" : k == DECL_FIELD ? "field" : "variable";
}

rulecore_status schema_freeze(rulecore_schema *s, rulecore_diagnostics *d) {
  if (s->frozen) return s->failed ? RULECORE_ERR_SOURCE : RULECORE_OK;
  size_t errors_before = d->errors;
  s->nrecords = s->nvars = 0; /* a retry after running out of memory starts over */
  uint32_t nrec = 0, nvar = 0;
  for (schema_decl *x = s->decls; x; x = x->next) {
    if (x->kind == DECL_RECORD) nrec++;
    if (x->kind == DECL_VARIABLE) nvar++;
  }
  s->records = nrec ? arena_alloc(&s->arena, nrec * sizeof *s->records) : NULL;
  s->vars = nvar ? arena_alloc(&s->arena, nvar * sizeof *s->vars) : NULL;
  if ((nrec && !s->records) || (nvar && !s->vars) || !mark_duplicates(s)) return RULECORE_ERR_NOMEM;

  /* 1. Record types, without fields yet. */
  for (schema_decl *x = s->decls; x; x = x->next) {
    if (x->kind != DECL_RECORD) continue;
    const diag_loc *loc = x->loc.line ? &x->loc : NULL;
    if (!valid_name(x->name, true)) {
      diag_add_at(d, loc, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SCHEMA_SYNTAX,
                  "'%s' is not a valid type name (letters, digits and '_', parts joined by '.')", x->name);
      continue;
    }
    if (type_primitive(x->name) || strcmp(x->name, "list") == 0 || strcmp(x->name, "map") == 0) {
      diag_add_at(d, loc, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SCHEMA_DUPLICATE,
                  "'%s' is a built-in type and cannot be declared", x->name);
      continue;
    }
    if (x->dup) {
      diag_add_at(d, loc, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SCHEMA_DUPLICATE, "type '%s' is declared twice",
                  x->name);
      continue;
    }
    type *t = arena_alloc(&s->arena, sizeof *t);
    if (!t) return RULECORE_ERR_NOMEM;
    t->kind = TYPE_RECORD;
    t->name = x->name;
    s->records[s->nrecords++] = t;
  }
  if (s->nrecords) qsort(s->records, s->nrecords, sizeof *s->records, cmp_record);

  /* 2. Fields: count per record, then resolve each. */
  for (schema_decl *x = s->decls; x; x = x->next) {
    if (x->kind != DECL_FIELD) continue;
    type *r = (type *)schema_record(s, x->record);
    if (r) r->nfields++;
  }
  for (uint32_t i = 0; i < s->nrecords; i++) {
    type *r = s->records[i];
    if (r->nfields) {
      r->fields = arena_alloc(&s->arena, r->nfields * sizeof *r->fields);
      if (!r->fields) return RULECORE_ERR_NOMEM;
    }
    r->nfields = 0;
  }
  char why[160];
  const char *whyp;
  /* Spellings resolved so far: generated schemas repeat a few ("list(Item)")
   * thousands of times, and a spelling that is not a plain name is parsed. */
  strmap specs = {0};
  for (schema_decl *x = s->decls; x; x = x->next) {
    if (x->kind == DECL_RECORD) continue;
    const diag_loc *loc = x->loc.line ? &x->loc : NULL;
    if (x->kind == DECL_VARIABLE ? !valid_name(x->name, true) : !valid_field_name(x->name)) {
      diag_add_at(d, loc, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SCHEMA_SYNTAX,
                  "'%s' is not a valid %s name (%s)", x->name, loc_kind_name(x->kind),
                  x->kind == DECL_VARIABLE ? "letters, digits and '_', parts joined by '.'"
                                           : "letters, digits, '_', '.', '-', '/' and spaces");
      continue;
    }
    const type *ft = strmap_get(&specs, x->spec, NULL);
    if (!ft) {
      ft = schema_parse_type(s, &s->arena, x->spec, false, &whyp, why, sizeof why);
      if ((ft && !strmap_put(&specs, x->spec, ft)) || (!ft && strcmp(why, "out of memory") == 0)) {
        strmap_release(&specs);
        return RULECORE_ERR_NOMEM;
      }
    }
    if (!ft) {
      diag_add_at(d, loc, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, "%s '%s': %s",
                  loc_kind_name(x->kind), x->name, whyp);
    }
    if (x->kind == DECL_VARIABLE) {
      if (x->dup) {
        diag_add_at(d, loc, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SCHEMA_DUPLICATE, "variable '%s' is declared twice",
                    x->name);
        ft = NULL;
      }
      if (ft) {
        s->vars[s->nvars].name = x->name;
        s->vars[s->nvars].type = ft;
        s->vars[s->nvars].index = s->nvars;
        s->vars[s->nvars].computed = x->computed;
        s->nvars++;
      }
      continue;
    }
    type *r = (type *)schema_record(s, x->record);
    if (!r) {
      diag_add_at(d, loc, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE,
                  "field '%s' is declared on '%s', which is not a declared type", x->name, x->record);
      continue;
    }
    if (x->dup) {
      diag_add_at(d, loc, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SCHEMA_DUPLICATE,
                  "field '%s' of type '%s' is declared twice", x->name, r->name);
      continue;
    }
    if (!ft) continue;
    record_field *f = (record_field *)&r->fields[r->nfields];
    f->name = x->name;
    f->type = ft;
    f->index = r->nfields++;
  }
  strmap_release(&specs);
  for (uint32_t i = 0; i < s->nrecords; i++)
    if (s->records[i]->nfields)
      qsort((record_field *)s->records[i]->fields, s->records[i]->nfields, sizeof(record_field), cmp_field);
  if (s->nvars) qsort(s->vars, s->nvars, sizeof *s->vars, cmp_var);
  if (d->oom) return RULECORE_ERR_NOMEM;
  s->frozen = true;
  s->failed = d->errors > errors_before;
  return s->failed ? RULECORE_ERR_SOURCE : RULECORE_OK;
}

/* ---- public ---- */

RULECORE_API rulecore_schema *rulecore_schema_new(void) {
  rulecore_schema *s = mem_calloc(1, sizeof *s);
  if (s) atomic_init(&s->refs, 1);
  return s;
}

RULECORE_API void rulecore_schema_free(rulecore_schema *s) { schema_unref(s); }

RULECORE_API rulecore_status rulecore_schema_add_record(rulecore_schema *s, const char *name) {
  return schema_declare_record(s, name, NULL);
}

RULECORE_API rulecore_status rulecore_schema_add_field(rulecore_schema *s, const char *record, const char *field,
                                                       const char *type_spec) {
  return schema_declare_field(s, record, field, type_spec, NULL);
}

RULECORE_API rulecore_status rulecore_schema_add_variable(rulecore_schema *s, const char *name,
                                                          const char *type_spec) {
  return schema_declare_variable(s, name, type_spec, NULL);
}

RULECORE_API rulecore_status rulecore_schema_freeze(rulecore_schema *s, rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!s) return RULECORE_ERR_ARGUMENT;
  rulecore_diagnostics *d = diag_new(20);
  if (!d) return RULECORE_ERR_NOMEM;
  rulecore_status st = schema_freeze(s, d);
  diag_sort(d);
  if (diagnostics)
    *diagnostics = d;
  else
    rulecore_diagnostics_free(d);
  return st;
}
