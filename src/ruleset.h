/*
 * ruleset.h: rulesets, from rule files to one evaluation call.
 *
 * Loading has two stages with this header between them:
 *   luahost.c runs the rule files (Lua 5.4, sandboxed) and records what
 *     they declare into an rs_builder: plain C data, every CEL string
 *     with the place in its file it came from;
 *   ruleset.c builds the ruleset from it: the schema with one computed
 *     variable per decision, every expression checked and compiled (its
 *     diagnostics moved into the rule file), the decision graph with its
 *     cycles rejected and its evaluation order, and the tests' contexts
 *     and expectations read; then it evaluates rulesets.
 * The Lua state is closed before ruleset.c starts: evaluation never
 * enters Lua.
 */
#ifndef RULECORE_RULESET_H
#define RULECORE_RULESET_H

#include "diag.h"
#include "internal.h"
#include "mem.h"
#include "source.h"

/* A file the load read: a rule file, the schema file, a test's context. */
typedef struct rs_file {
  char *path;    /* as diagnostics name it: the ruleset path joined with rel */
  char *rel;     /* relative to the ruleset's directory */
  char *text;    /* its bytes, NUL-terminated */
  size_t len;
  source src;    /* line index, for positions */
  bool lua;      /* a rule file (its string literals are indexed) */
  struct rs_literal *lits; /* lua: its string literals, in source order */
  uint32_t nlits;
} rs_file;

/* A string literal of a rule file. */
typedef struct rs_literal {
  uint32_t offset;       /* of the literal's first content byte */
  uint32_t len;          /* decoded length */
  const char *text;      /* decoded, in the builder's arena */
  const uint32_t *map;   /* short strings with escapes: the file offset of
                          * each decoded byte (len + 1 entries); NULL when
                          * byte i is at offset + i */
  bool claimed;          /* matched to a declared string already */
} rs_literal;

/* Where a declaration stands: a file and a position in it (line 0: none). */
typedef struct rs_loc {
  uint32_t file;
  uint32_t line, column;
  size_t offset, length;
} rs_loc;

/* How a value was written in Lua. */
typedef enum rs_lua_kind { RS_STRING, RS_INT, RS_FLOAT, RS_BOOL } rs_lua_kind;

/* A CEL expression (or a type spelling) given in a rule file. */
typedef struct rs_text {
  const char *text; /* NULL: not given */
  size_t len;
  rs_lua_kind kind; /* RS_INT etc.: a Lua number or boolean, text its CEL literal */
  const rs_literal *lit; /* the literal it was written as; NULL: built by the program */
  rs_loc at;        /* the literal, or the call that declared it */
} rs_text;

typedef enum rs_hit { HIT_FIRST, HIT_UNIQUE, HIT_ANY, HIT_COLLECT } rs_hit;
typedef enum rs_aggregate { AGG_NONE, AGG_SUM, AGG_MIN, AGG_MAX, AGG_COUNT } rs_aggregate;

typedef struct rs_brule {
  const char *id;
  int64_t decision; /* index of its decision; -1 until a decision lists it */
  int64_t priority;
  uint32_t order;   /* declaration order */
  rs_text when, value;
  const char *description;
  const char **tags;
  uint32_t ntags;
  rs_loc loc;
} rs_brule;

typedef struct rs_bdecision {
  const char *name;
  rs_text type;
  rs_hit hit;
  rs_aggregate aggregate;
  rs_text deflt;
  const char *description;
  uint32_t *rules; /* indices into the builder's rules, as listed */
  uint32_t nrules;
  rs_loc loc;
} rs_bdecision;

typedef struct rs_bvalidation {
  const char *id;
  rs_text expr, message;
  rulecore_severity severity;
  const char *description;
  rs_loc loc;
} rs_bvalidation;

typedef struct rs_bpair {
  const char *key, *value;
  rs_loc loc;
} rs_bpair;

typedef struct rs_btest {
  const char *name;
  char *context;     /* JSON text */
  size_t context_len;
  int64_t context_file; /* the file it was read from, or -1: a Lua table */
  char *expect;      /* JSON object text: decision -> value; NULL: none */
  size_t expect_len;
  const char **expect_keys; /* its keys, in order, for diagnostics */
  uint32_t nexpect;
  rs_bpair *rules;   /* decision -> expected rule id ("default") */
  uint32_t nrules;
  const char **violations; /* the exact set expected; NULL with has_violations false: unchecked */
  uint32_t nviolations;
  bool has_violations;
  const char *description;
  rs_loc loc;
} rs_btest;

#define RS_VEC(T) \
  struct {        \
    T *items;     \
    uint32_t n, cap; \
  }

/* What the rule files declared. */
typedef struct rs_builder {
  arena arena;
  const char *root;  /* the ruleset's directory, as given */
  RS_VEC(rs_file) files;
  /* the schema: a file (schema_file >= 0) or inline JSON text */
  int64_t schema_file;
  char *schema_json;
  size_t schema_json_len;
  rs_loc schema_loc;
  bool has_schema;
  RS_VEC(rs_bdecision) decisions;
  RS_VEC(rs_brule) rules;
  RS_VEC(rs_bvalidation) validations;
  RS_VEC(rs_btest) tests;
} rs_builder;

/* Grow a vector to hold one more item; NULL when out of memory. */
#define RS_PUSH(v) \
  ((v).n < (v).cap || rs_grow((void **)&(v).items, &(v).cap, sizeof *(v).items) ? &(v).items[(v).n++] : NULL)
INTERNAL bool rs_grow(void **items, uint32_t *cap, size_t size);

INTERNAL void rs_builder_release(rs_builder *b);

/* A diagnostic at loc of file loc->file of b (no position when line 0). */
INTERNAL bool rs_report(rs_builder *b, rulecore_diagnostics *d, const rs_loc *loc, int code, const char *fmt, ...)
    PRINTF_LIKE(5, 6);

typedef struct luahost_limits {
  uint64_t memory;       /* bytes the Lua state may hold */
  uint64_t instructions; /* Lua instructions the load may run */
} luahost_limits;

/* Run the rule files at path (a directory: each *.lua in it, in name
 * order; or one file) in a sandboxed Lua state and record their
 * declarations into b (zeroed by the caller, released by the caller in
 * every case).  Reports every problem into d and goes on where it can.
 * RULECORE_OK, RULECORE_ERR_SOURCE, RULECORE_ERR_IO (path unreadable;
 * reported too) or RULECORE_ERR_NOMEM. */
INTERNAL rulecore_status luahost_load(rs_builder *b, const char *path, const luahost_limits *limits,
                                      rulecore_diagnostics *d);

#endif
