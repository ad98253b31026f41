/*
 * check.h: the type checker.  It resolves every name of an AST against a
 * schema and the standard overloads (overloads.def), infers a type for
 * every node (type parameters and CEL's assignability rules, dyn where
 * CEL joins to it), recognises macros and scopes their bound variables,
 * and reports what does not fit with positions a user can act on.  The
 * checked AST is the single input of the compiler.
 */
#ifndef RULECORE_CHECK_H
#define RULECORE_CHECK_H

#include "ast.h"
#include "diag.h"
#include "internal.h"
#include "schema.h"
#include "type.h"

/* ORDER OVERLOAD: ids are 1.. in overloads.def's order. */
typedef enum overload_id {
  OVERLOAD_NONE = 0,
#define OVERLOAD(id, fn, style, result, n, ...) OV_##id,
#include "overloads.def"
#undef OVERLOAD
  OVERLOAD_COUNT
} overload_id;

/* The most parameters an overload has, a method's receiver included. */
#define OVERLOAD_MAX_PARAMS 4

typedef struct overload {
  overload_id id;
  const char *name;     /* "OV_ADD_INT" without the prefix */
  const char *function; /* "_+_" */
  bool method;          /* called as receiver.function(...) */
  bool variadic;        /* global, its one list parameter also taken as f(a, b, ...) */
  uint32_t nparams;
  const type *params[OVERLOAD_MAX_PARAMS];
  const type *result;
} overload;

/* The overload with this id (its types resolved), or NULL. */
INTERNAL const overload *check_overload(overload_id id);

typedef struct check_options {
  const rulecore_schema *schema; /* frozen, or NULL */
  const type *result;            /* required result type, or NULL */
  /* Names and calls that do not resolve, and fields types do not have,
   * are typed dyn and left to run time (CEL's disable_check) instead of
   * being errors. */
  bool unchecked;
} check_options;

/* Check t (parsed, error-free) in place, reporting into d.  RULECORE_OK,
 * RULECORE_ERR_SOURCE or RULECORE_ERR_NOMEM.  Types of composite nodes
 * are allocated in t's arena. */
INTERNAL rulecore_status check_ast(const check_options *o, ast *t, rulecore_diagnostics *d);

#endif
