/*
 * schema.h: the declared context: record types with typed fields and the
 * variables an expression may name.
 *
 * A schema is built by declarations (the C API, a schema file, later the
 * Lua host), each of which may name types not declared yet; freezing
 * resolves every type spelling (`list(Item)`, `map(string, int)`) against
 * the declared records, reports what does not resolve with the position
 * of its declaration, and makes the schema immutable, so it can be shared
 * by every thread and every expression checked against it.  Schemas are
 * reference-counted: an environment and each checked expression hold one.
 */
#ifndef RULECORE_SCHEMA_H
#define RULECORE_SCHEMA_H

#include <stdatomic.h>

#include "diag.h"
#include "internal.h"
#include "strmap.h"
#include "mem.h"
#include "type.h"

typedef struct schema_decl schema_decl;

typedef struct schema_var {
  const char *name;
  const type *type;
  uint32_t index; /* the variable's slot, in declaration order */
  bool computed;  /* a ruleset's decision: evaluation sets it, a context cannot */
} schema_var;

struct rulecore_schema {
  atomic_uint refs;
  bool frozen;
  bool failed; /* freezing reported errors: the schema cannot be used */
  arena arena; /* everything below lives here */
  /* Declarations, in order, until frozen, and the variables' names among
   * them (to schema_decl), so that asking for one costs no scan. */
  schema_decl *decls, *last_decl;
  strmap var_names;
  schema_decl *var_names_upto; /* the last declaration var_names has seen */
  /* copy_loc's last copies, and the caller's pointers they came from. */
  const char *last_file, *last_file_src, *last_line, *last_line_src;
  size_t last_line_len;
  /* After freezing: records and variables sorted by name. */
  type **records;
  uint32_t nrecords;
  schema_var *vars;
  uint32_t nvars;
};

/* Declare a record type named name.  loc (may be NULL) is where the
 * declaration stands, for diagnostics; it is copied.  Fails with
 * RULECORE_ERR_ARGUMENT once the schema is frozen. */
INTERNAL rulecore_status schema_declare_record(rulecore_schema *s, const char *name, const diag_loc *loc);
/* Declare field `field` of type spelling spec on record `record` (declared
 * before or after). */
INTERNAL rulecore_status schema_declare_field(rulecore_schema *s, const char *record, const char *field,
                                              const char *spec, const diag_loc *loc);
/* Declare variable name of type spelling spec. */
INTERNAL rulecore_status schema_declare_variable(rulecore_schema *s, const char *name, const char *spec,
                                                 const diag_loc *loc);

/* Declare a computed variable: a ruleset's decision, which expressions read
 * like any variable but which its evaluation sets, never a context
 * (rulecore_schema_slot and JSON contexts refuse it). */
INTERNAL rulecore_status schema_declare_computed(rulecore_schema *s, const char *name, const char *spec,
                                                 const diag_loc *loc);
/* Whether a variable named name is declared (frozen or not), into
 * *declared: RULECORE_OK or RULECORE_ERR_NOMEM (an unfrozen schema indexes
 * its declarations on the first question). */
INTERNAL rulecore_status schema_declares_variable(rulecore_schema *s, const char *name, bool *declared);

/* Resolve every declaration and make the schema immutable, reporting into
 * d.  RULECORE_OK, RULECORE_ERR_SOURCE (errors in d; the schema stays
 * unusable) or RULECORE_ERR_NOMEM.  Freezing a frozen schema returns its
 * first outcome again without reporting. */
INTERNAL rulecore_status schema_freeze(rulecore_schema *s, rulecore_diagnostics *d);

/* Lookups on a frozen schema (NULL when absent). */
INTERNAL const schema_var *schema_variable(const rulecore_schema *s, const char *name);
INTERNAL const type *schema_record(const rulecore_schema *s, const char *name);

/* Resolve a type spelling against a frozen schema's records, allocating
 * composite types in a; type parameters (single capital letters, as in
 * conformance declarations: `A`, `list(A)`) when params is set.  NULL,
 * with *why set to a message, when it does not resolve. */
INTERNAL const type *schema_parse_type(const rulecore_schema *s, arena *a, const char *spec, bool params,
                                       const char **why, char *why_buf, size_t why_len);

INTERNAL rulecore_schema *schema_ref(rulecore_schema *s);
INTERNAL void schema_unref(rulecore_schema *s);

#endif
