/*
 * ast.h: rulecore's own syntax tree, the single input of every stage after
 * parsing.  No tree-sitter type appears here: src/syntax.c lowers
 * tree-sitter's tree into this one and is the only file that sees both.
 *
 * Every node carries its source span; literals carry their decoded values.
 * `type` is the seam for the checker: NULL until the tree is checked.
 * All nodes and strings live in the tree's arena.
 */
#ifndef RULECORE_AST_H
#define RULECORE_AST_H

#include "internal.h"
#include "mem.h"
#include "source.h"

/* ORDER AST_KIND: ast.c's kind_names follows this order. */
typedef enum ast_kind {
  AST_NULL,
  AST_BOOL,
  AST_INT,
  AST_UINT,
  AST_DOUBLE,
  AST_STRING,
  AST_BYTES,
  AST_IDENT,       /* name, or .name when absolute */
  AST_SELECT,      /* operand.field */
  AST_INDEX,       /* operand[index] */
  AST_CALL,        /* f(args), .f(args) or target.f(args) */
  AST_UNARY,       /* !x, -x */
  AST_BINARY,      /* x op y */
  AST_CONDITIONAL, /* c ? a : b */
  AST_LIST,        /* [a, b] */
  AST_MAP,         /* {k: v} */
  AST_STRUCT,      /* Type{field: v} */
  AST_KIND_COUNT
} ast_kind;

/* ORDER AST_OP: ast.c's op_names follows this order. */
typedef enum ast_op {
  OP_NOT,
  OP_NEG,
  OP_OR,
  OP_AND,
  OP_LT,
  OP_LE,
  OP_GT,
  OP_GE,
  OP_EQ,
  OP_NE,
  OP_IN,
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_DIV,
  OP_MOD,
  OP_COUNT
} ast_op;

/* A span of source: byte offset and length, and 1-based line/column
 * (columns in code points) of its first and one-past-last character. */
typedef struct ast_span {
  uint32_t offset, length;
  uint32_t line, column, end_line, end_column;
} ast_span;

/* Decoded string or bytes (may contain NUL; also NUL-terminated). */
typedef struct ast_text {
  const char *data;
  size_t len;
} ast_text;

struct type; /* type.h */

/* What a checked call is, when it is one of CEL's macros. */
typedef enum ast_macro {
  MACRO_NONE,
  MACRO_HAS,        /* has(a.f): operand is args[0], a select */
  MACRO_ALL,        /* target.all(x, p) */
  MACRO_EXISTS,     /* target.exists(x, p) */
  MACRO_EXISTS_ONE, /* target.exists_one(x, p) */
  MACRO_MAP,        /* target.map(x, t) or target.map(x, p, t) */
  MACRO_FILTER,     /* target.filter(x, p) */
  /* Two-variable forms (index or key, then value): all, exists and
   * exists_one/existsOne with three arguments are MACRO_ALL, MACRO_EXISTS
   * and MACRO_EXISTS_ONE with nargs 3; and: */
  MACRO_TRANSFORM_LIST, /* target.transformList(i, v, t) or (i, v, p, t) */
  MACRO_TRANSFORM_MAP,  /* target.transformMap(k, v, t) or (k, v, p, t) */
  /* The bindings and block extensions: */
  MACRO_BIND,  /* cel.bind(x, init, t): x's scope slot is args[0]->ref */
  MACRO_BLOCK  /* cel.block([e0, ...], t): ref is e0's scope slot, e1's next... */
} ast_macro;

/* What a checked identifier names.  A select chain naming a qualified
 * variable (`a.b` declared as one name) is marked on its select node, whose
 * operand then plays no part.  A call of a namespaced function is marked
 * on its AST_CALL node. */
typedef enum ast_ref {
  REF_NONE,
  REF_VARIABLE, /* a schema variable: ref is its index */
  REF_BOUND,    /* a macro's bound variable: ref is its scope slot (0 outermost);
                 * also on the AST_CALL of cel.index(i), cel.iterVar(i, j) and
                 * cel.accuVar(i, j), which name bound variables */
  REF_TYPE,     /* a type name used as a value: the node's type is type(T) */
  /* On AST_CALL: `ns.f(args)` calls the global function "ns.f" (the dotted
   * target is a namespace, not a receiver, and plays no part); ref is 1
   * when the arguments are passed as one list (a variadic function). */
  REF_FUNCTION
} ast_ref;

typedef struct ast_node ast_node;
struct ast_node {
  ast_kind kind;
  uint32_t id; /* 1..n in creation order, unique within a tree */
  ast_span span;
  /* Set by the checker (check.c); zero until then. */
  const struct type *type;
  uint8_t macro;     /* ast_macro, on AST_CALL */
  uint8_t ref_kind;  /* ast_ref, on AST_IDENT (or AST_SELECT, see ast_ref) */
  uint16_t overload; /* the overload id when exactly one applies, else 0 */
  int32_t ref;       /* see ast_ref; on AST_SELECT of a record: the field index */
  union {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    ast_text text; /* AST_STRING, AST_BYTES */
    struct {
      const char *name;
      bool absolute;
    } ident;
    struct {
      ast_node *operand;
      const char *field;
      ast_span field_span;
    } select;
    struct {
      ast_node *operand, *index;
    } index;
    struct {
      ast_node *target; /* receiver of a method call, or NULL */
      const char *function;
      ast_span function_span;
      bool absolute; /* .f(x) */
      ast_node **args;
      uint32_t nargs;
    } call;
    struct {
      ast_op op;
      ast_span op_span;
      ast_node *operand;
    } unary;
    struct {
      ast_op op;
      ast_span op_span;
      ast_node *left, *right;
    } binary;
    struct {
      ast_node *cond, *then, *otherwise;
    } cond;
    struct {
      ast_node **items;
      uint32_t n;
    } list;
    struct {
      ast_node **keys, **values;
      uint32_t n;
    } map;
    struct {
      const char *type_name; /* dotted, with a leading '.' when absolute */
      ast_span type_span;
      const char **fields;
      ast_span *field_spans;
      ast_node **values;
      uint32_t n;
    } record;
  } u;
};

typedef struct ast {
  arena arena;
  ast_node *root;
  uint32_t node_count;
  char *text;  /* owned copy of the source */
  char *file;  /* owned */
  source src;  /* line index over text */
} ast;

/* A new node of kind with span in tree t (NULL when out of memory). */
INTERNAL ast_node *ast_new_node(ast *t, ast_kind kind, ast_span span);
/* An array of n node pointers in t's arena. */
INTERNAL ast_node **ast_new_nodes(ast *t, uint32_t n);
INTERNAL void ast_release(ast *t);

/* Call fn(child, ctx) on each direct child of n, in source order: operands,
 * arguments (a call's target first), elements, map keys and values in
 * turn, struct field values. */
INTERNAL void ast_for_each_child(ast_node *n, void (*fn)(ast_node *child, void *ctx), void *ctx);

/* Append the dotted name a chain of selects over an identifier spells
 * ("a.b.c", without the leading dot of an absolute name) to out.  false
 * when the chain holds anything else. */
INTERNAL bool ast_dotted_name(const ast_node *n, buf *out);

INTERNAL const char *ast_kind_name(ast_kind k);
/* The operator's source spelling ("&&"). */
INTERNAL const char *ast_op_token(ast_op op);

/* Render the tree rooted at n.  SEXP: one node per line, indented, with
 * @line:col positions; JSON: nested objects.  NULL when out of memory. */
INTERNAL char *ast_render_sexp(const ast *t);
INTERNAL char *ast_render_json(const ast *t);

#endif
