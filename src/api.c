/*
 * api.c: the rulecore_* entry points that belong to no single stage:
 * versions, statuses, environments and expressions.  (Diagnostics
 * accessors live with the diagnostics in diag.c, the allocator in mem.c.)
 */
#include <pthread.h>
#include <string.h>

#include "type.h"

#include "ast.h"
#include "check.h"
#include "diag.h"
#include "internal.h"
#include "mem.h"
#include "schema.h"
#include "syntax.h"
#include "activation.h"
#include "api.h"
#include "eval.h"
#include "value.h"

#define DEFAULT_SOURCE_BYTES (1u << 20)
#define DEFAULT_NESTING_DEPTH 250u
#define DEFAULT_ERRORS 20u
#define MAX_NESTING_DEPTH 1000u
#define MAX_SOURCE_BYTES (1u << 30)

#define DEFAULT_LOAD_MEMORY (64u << 20)
#define DEFAULT_LOAD_INSTRUCTIONS 100000000u

struct rulecore_env {
  uint64_t limits[6];      /* indexed by rulecore_limit */
  rulecore_schema *schema; /* a reference, frozen; NULL: no declarations */
  bool unchecked;          /* see rulecore_env_set_unchecked */
};

struct rulecore_expr {
  ast tree;
  rulecore_schema *schema; /* the schema it was checked against (a reference), or NULL */
  const char *type_name;   /* the checked root type, in the tree's arena; NULL unchecked */
};

/* UINT64_MAX as the cost limit: none. */
static const rulecore_env default_env = {{DEFAULT_SOURCE_BYTES, DEFAULT_NESTING_DEPTH, DEFAULT_ERRORS, UINT64_MAX,
                                          DEFAULT_LOAD_MEMORY, DEFAULT_LOAD_INSTRUCTIONS},
                                         NULL, false};

const rulecore_env *api_default_env(void) { return &default_env; }

/* Point tree-sitter and jansson at our allocator hook before their first
 * use.  (They keep global hooks; so do we.) */
static void api_init(void) { mem_init_libraries(); }

RULECORE_API const char *rulecore_version(void) { return RULECORE_VERSION_STRING; }
RULECORE_API int rulecore_version_number(void) { return RULECORE_VERSION_NUMBER; }

RULECORE_API const char *rulecore_status_message(rulecore_status status) {
  switch (status) {
  case RULECORE_OK: return "ok";
  case RULECORE_ERR_SOURCE: return "the input has errors";
  case RULECORE_ERR_NOMEM: return "out of memory";
  case RULECORE_ERR_ARGUMENT: return "invalid argument";
  case RULECORE_ERR_IO: return "input/output error";
  case RULECORE_ERR_EVAL: return "the evaluation yielded an error value";
  }
  return "unknown status";
}

RULECORE_API rulecore_env *rulecore_env_new(void) {
  api_init();
  rulecore_env *env = mem_alloc(sizeof *env);
  if (env) *env = default_env;
  return env;
}

RULECORE_API void rulecore_env_free(rulecore_env *env) {
  if (!env) return;
  schema_unref(env->schema);
  mem_free(env);
}

RULECORE_API rulecore_status rulecore_env_set_schema(rulecore_env *env, rulecore_schema *schema,
                                                     rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!env) return RULECORE_ERR_ARGUMENT;
  if (schema) {
    rulecore_status st = rulecore_schema_freeze(schema, diagnostics);
    if (st != RULECORE_OK) return st;
  }
  schema_unref(env->schema);
  env->schema = schema_ref(schema);
  return RULECORE_OK;
}

RULECORE_API rulecore_status rulecore_env_set_unchecked(rulecore_env *env, int unchecked) {
  if (!env) return RULECORE_ERR_ARGUMENT;
  env->unchecked = unchecked != 0;
  return RULECORE_OK;
}

RULECORE_API rulecore_schema *rulecore_env_schema(const rulecore_env *env) { return env ? env->schema : NULL; }

RULECORE_API rulecore_status rulecore_env_set_limit(rulecore_env *env, rulecore_limit limit, uint64_t n) {
  if (!env || (unsigned)limit >= ARRAY_LEN(env->limits) || n == 0) return RULECORE_ERR_ARGUMENT;
  if (limit == RULECORE_LIMIT_NESTING_DEPTH && n > MAX_NESTING_DEPTH) return RULECORE_ERR_ARGUMENT;
  if (limit == RULECORE_LIMIT_SOURCE_BYTES && n > MAX_SOURCE_BYTES) return RULECORE_ERR_ARGUMENT;
  env->limits[limit] = n;
  return RULECORE_OK;
}

RULECORE_API uint64_t rulecore_env_limit(const rulecore_env *env, rulecore_limit limit) {
  if (!env || (unsigned)limit >= ARRAY_LEN(env->limits)) return 0;
  return env->limits[limit];
}

RULECORE_API rulecore_status rulecore_parse(const rulecore_env *env, const char *text, size_t length,
                                            const char *file, rulecore_expr **out,
                                            rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!out) return RULECORE_ERR_ARGUMENT;
  *out = NULL;
  if (!text && length) return RULECORE_ERR_ARGUMENT;
  api_init();
  if (!env) env = &default_env;
  rulecore_diagnostics *d = diag_new(env->limits[RULECORE_LIMIT_ERRORS]);
  rulecore_expr *e = mem_calloc(1, sizeof *e);
  if (!d || !e) {
    rulecore_diagnostics_free(d);
    mem_free(e);
    return RULECORE_ERR_NOMEM;
  }
  syn_limits limits = {.max_source_bytes = env->limits[RULECORE_LIMIT_SOURCE_BYTES],
                       .max_depth = (uint32_t)env->limits[RULECORE_LIMIT_NESTING_DEPTH]};
  rulecore_status st = syn_parse(&limits, text, length, file, &e->tree, d);
  if (st == RULECORE_OK) {
    *out = e;
  } else {
    rulecore_expr_free(e);
  }
  if (diagnostics)
    *diagnostics = d;
  else
    rulecore_diagnostics_free(d);
  return st;
}

RULECORE_API char *rulecore_expr_render(const rulecore_expr *expr, rulecore_format format) {
  if (!expr) return NULL;
  switch (format) {
  case RULECORE_FORMAT_SEXP: return ast_render_sexp(&expr->tree);
  case RULECORE_FORMAT_JSON: return ast_render_json(&expr->tree);
  default: return NULL;
  }
}

RULECORE_API rulecore_status rulecore_check(const rulecore_env *env, rulecore_expr *expr, const char *result_type,
                                            rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!expr) return RULECORE_ERR_ARGUMENT;
  if (!env) env = &default_env;
  rulecore_diagnostics *d = diag_new(env->limits[RULECORE_LIMIT_ERRORS]);
  if (!d) return RULECORE_ERR_NOMEM;
  check_options o = {.schema = env->schema, .unchecked = env->unchecked};
  rulecore_status st = RULECORE_OK;
  if (result_type) {
    char why[160];
    const char *whyp;
    o.result = schema_parse_type(env->schema, &expr->tree.arena, result_type, false, &whyp, why, sizeof why);
    if (!o.result) {
      diag_add_at(d, NULL, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_UNDECLARED_REFERENCE, "required result type '%s': %s",
                  result_type, whyp);
      st = strcmp(why, "out of memory") == 0 ? RULECORE_ERR_NOMEM : RULECORE_ERR_SOURCE;
    }
  }
  expr->type_name = NULL;
  if (st == RULECORE_OK) st = check_ast(&o, &expr->tree, d);
  if (st == RULECORE_OK) {
    buf b = {0};
    type_format(&b, expr->tree.root->type);
    expr->type_name = b.oom ? NULL : arena_strndup(&expr->tree.arena, b.data, b.len);
    buf_release(&b);
    if (!expr->type_name) st = RULECORE_ERR_NOMEM;
  }
  if (st == RULECORE_OK && expr->schema != env->schema) {
    schema_unref(expr->schema);
    expr->schema = schema_ref(env->schema);
  }
  if (diagnostics)
    *diagnostics = d;
  else
    rulecore_diagnostics_free(d);
  return st;
}

RULECORE_API const char *rulecore_expr_type(const rulecore_expr *expr) { return expr ? expr->type_name : NULL; }

const ast *api_expr_ast(const rulecore_expr *expr) { return &expr->tree; }

RULECORE_API void rulecore_expr_free(rulecore_expr *expr) {
  if (!expr) return;
  schema_unref(expr->schema);
  ast_release(&expr->tree);
  mem_free(expr);
}

/* ---- programs ---- */

/* rulecore_compile, with trace closures when tr is not NULL. */
static rulecore_status compile_expr(const rulecore_env *env, const rulecore_expr *expr, tracer *tr,
                                    rulecore_program **out) {
  if (!out) return RULECORE_ERR_ARGUMENT;
  *out = NULL;
  if (!expr || !expr->type_name) return RULECORE_ERR_ARGUMENT;
  if (!env) env = &default_env;
  rulecore_program *p = mem_calloc(1, sizeof *p);
  if (!p) return RULECORE_ERR_NOMEM;
  uint64_t cost = env->limits[RULECORE_LIMIT_EVAL_COST];
  p->cost_limit = cost == UINT64_MAX ? 0 : cost;
  p->schema = schema_ref(expr->schema);
  p->type_name = arena_strndup(&p->arena, expr->type_name, strlen(expr->type_name));
  rulecore_status st = !p->type_name ? RULECORE_ERR_NOMEM
                       : tr            ? compile_traced(p, &expr->tree, tr)
                                       : compile_program(p, &expr->tree);
  if (st != RULECORE_OK) {
    rulecore_program_free(p);
    return st;
  }
  *out = p;
  return RULECORE_OK;
}

RULECORE_API rulecore_status rulecore_compile(const rulecore_env *env, const rulecore_expr *expr,
                                              rulecore_program **out) {
  return compile_expr(env, expr, NULL, out);
}

rulecore_status api_compile_traced(const rulecore_env *env, const rulecore_expr *expr, tracer *tr,
                                   rulecore_program **out) {
  return compile_expr(env, expr, tr, out);
}

RULECORE_API rulecore_status rulecore_compile_source(const rulecore_env *env, const char *text, size_t length,
                                                     const char *file, const char *result_type,
                                                     rulecore_program **out, rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!out) return RULECORE_ERR_ARGUMENT;
  *out = NULL;
  rulecore_expr *e = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_parse(env, text, length, file, &e, &d);
  if (st == RULECORE_OK) {
    rulecore_diagnostics_free(d);
    d = NULL;
    st = rulecore_check(env, e, result_type, &d);
  }
  if (st == RULECORE_OK) st = rulecore_compile(env, e, out);
  rulecore_expr_free(e);
  if (diagnostics)
    *diagnostics = d;
  else
    rulecore_diagnostics_free(d);
  return st;
}

RULECORE_API const char *rulecore_program_type(const rulecore_program *p) { return p ? p->type_name : NULL; }

RULECORE_API void rulecore_program_free(rulecore_program *p) {
  if (!p) return;
  compile_release(p);
  schema_unref(p->schema);
  mem_free(p);
}

/* ---- evaluation ---- */

RULECORE_API rulecore_result *rulecore_result_new(void) {
  rulecore_result *r = mem_calloc(1, sizeof *r);
  if (r) r->result = v_null();
  return r;
}

RULECORE_API void rulecore_result_free(rulecore_result *r) {
  if (!r) return;
  eval_release(r);
  mem_free(r);
}

RULECORE_API rulecore_status rulecore_eval(const rulecore_program *p, const rulecore_activation *a,
                                           rulecore_result *r) {
  if (!p || !r) return RULECORE_ERR_ARGUMENT;
  uint32_t nvars = 0;
  const value *vars = NULL;
  if (a) {
    if (act_schema(a) != p->schema) return RULECORE_ERR_ARGUMENT;
    vars = act_vars(a, &nvars);
  } else if (p->schema) {
    nvars = p->schema->nvars; /* vars NULL: every variable absent */
  }
  return eval_program(p, vars, nvars, r);
}

RULECORE_API rulecore_kind rulecore_result_kind(const rulecore_result *r) {
  return r ? (rulecore_kind)r->result.kind : RULECORE_KIND_NULL;
}
RULECORE_API int rulecore_result_bool(const rulecore_result *r) {
  return r && r->result.kind == V_BOOL ? r->result.b : 0;
}
RULECORE_API int64_t rulecore_result_int(const rulecore_result *r) {
  return r && r->result.kind == V_INT ? r->result.i : 0;
}
RULECORE_API uint64_t rulecore_result_uint(const rulecore_result *r) {
  return r && r->result.kind == V_UINT ? r->result.u : 0;
}
RULECORE_API double rulecore_result_double(const rulecore_result *r) {
  return r && r->result.kind == V_DOUBLE ? r->result.d : 0;
}
RULECORE_API const char *rulecore_result_string(const rulecore_result *r, size_t *length) {
  if (!r || (r->result.kind != V_STRING && r->result.kind != V_BYTES)) {
    if (length) *length = 0;
    return NULL;
  }
  if (length) *length = r->result.n;
  return r->result.s;
}
RULECORE_API const char *rulecore_result_error(const rulecore_result *r, uint32_t *line, uint32_t *column) {
  bool err = r && r->result.kind == V_ERROR;
  if (line) *line = err ? r->err_line : 0;
  if (column) *column = err ? r->err_column : 0;
  return err ? r->result.s : NULL;
}
RULECORE_API char *rulecore_result_render(const rulecore_result *r, rulecore_format format) {
  if (!r || (format != RULECORE_FORMAT_TEXT && format != RULECORE_FORMAT_JSON && format != RULECORE_FORMAT_TYPED_JSON))
    return NULL;
  buf b = {0};
  value_render(&b, r->result, format);
  return buf_take(&b);
}
