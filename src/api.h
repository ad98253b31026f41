/*
 * api.h: what other modules use of api.c's objects (environments and
 * expressions) beyond the public header.
 */
#ifndef RULECORE_API_H
#define RULECORE_API_H

#include "ast.h"
#include "internal.h"

/* The environment a NULL env stands for: default limits, no schema. */
INTERNAL const rulecore_env *api_default_env(void);
/* The syntax tree of a parsed expression (checked: its nodes typed). */
INTERNAL const ast *api_expr_ast(const rulecore_expr *expr);
/* rulecore_compile with trace closures whose points go to tr (eval.h). */
struct tracer;
INTERNAL rulecore_status api_compile_traced(const rulecore_env *env, const rulecore_expr *expr, struct tracer *tr,
                                            rulecore_program **out);

/* metrics.c: render rs's metrics (the Prometheus text format) into b. */
INTERNAL void metrics_render(buf *b, const rulecore_ruleset *rs);

#endif
