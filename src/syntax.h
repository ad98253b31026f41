/*
 * syntax.h: source text to syntax tree.  The only module that includes
 * tree-sitter's headers: it parses with the generated grammar, turns
 * tree-sitter's ERROR and MISSING nodes into diagnostics, and lowers the
 * tree into rulecore's AST (ast.h) with decoded literals.
 */
#ifndef RULECORE_SYNTAX_H
#define RULECORE_SYNTAX_H

#include "ast.h"
#include "diag.h"
#include "internal.h"

typedef struct syn_limits {
  size_t max_source_bytes;
  uint32_t max_depth;
} syn_limits;

/* Parse text[0..len) named file into t (which must be zeroed; t copies
 * the text), reporting into d.  Returns RULECORE_OK with t->root set,
 * RULECORE_ERR_SOURCE when d holds errors, or RULECORE_ERR_NOMEM.
 * t is the caller's to ast_release in every case. */
INTERNAL rulecore_status syn_parse(const syn_limits *limits, const char *text, size_t len, const char *file, ast *t,
                                   rulecore_diagnostics *d);

/* Whether name is a dotted name the parser reads as one: identifiers
 * joined by '.', none a keyword, the first not a reserved word.  What a
 * type spelling usually is, recognised without parsing. */
INTERNAL bool syn_is_plain_name(const char *name);

#endif
