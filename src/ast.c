/*
 * ast.c: syntax tree nodes and their two renderings (S-expression, JSON).
 */
#include "ast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ORDER AST_KIND */
static const char *const kind_names[AST_KIND_COUNT] = {
    "null", "bool", "int", "uint", "double", "string", "bytes", "ident", "select",
    "index", "call", "unary", "binary", "conditional", "list", "map", "struct",
};

/* ORDER AST_OP */
static const char *const op_tokens[OP_COUNT] = {
    "!", "-", "||", "&&", "<", "<=", ">", ">=", "==", "!=", "in", "+", "-", "*", "/", "%",
};

const char *ast_kind_name(ast_kind k) { return k < AST_KIND_COUNT ? kind_names[k] : "?"; }
const char *ast_op_token(ast_op op) { return op < OP_COUNT ? op_tokens[op] : "?"; }

ast_node *ast_new_node(ast *t, ast_kind kind, ast_span span) {
  ast_node *n = arena_alloc(&t->arena, sizeof *n);
  if (!n) return NULL;
  n->kind = kind;
  n->span = span;
  n->id = ++t->node_count;
  return n;
}

ast_node **ast_new_nodes(ast *t, uint32_t n) { return arena_alloc(&t->arena, (size_t)n * sizeof(ast_node *)); }

void ast_for_each_child(ast_node *n, void (*fn)(ast_node *child, void *ctx), void *ctx) {
  switch (n->kind) {
  case AST_SELECT: fn(n->u.select.operand, ctx); break;
  case AST_INDEX:
    fn(n->u.index.operand, ctx);
    fn(n->u.index.index, ctx);
    break;
  case AST_CALL:
    if (n->u.call.target) fn(n->u.call.target, ctx);
    for (uint32_t i = 0; i < n->u.call.nargs; i++) fn(n->u.call.args[i], ctx);
    break;
  case AST_UNARY: fn(n->u.unary.operand, ctx); break;
  case AST_BINARY:
    fn(n->u.binary.left, ctx);
    fn(n->u.binary.right, ctx);
    break;
  case AST_CONDITIONAL:
    fn(n->u.cond.cond, ctx);
    fn(n->u.cond.then, ctx);
    fn(n->u.cond.otherwise, ctx);
    break;
  case AST_LIST:
    for (uint32_t i = 0; i < n->u.list.n; i++) fn(n->u.list.items[i], ctx);
    break;
  case AST_MAP:
    for (uint32_t i = 0; i < n->u.map.n; i++) {
      fn(n->u.map.keys[i], ctx);
      fn(n->u.map.values[i], ctx);
    }
    break;
  case AST_STRUCT:
    for (uint32_t i = 0; i < n->u.record.n; i++) fn(n->u.record.values[i], ctx);
    break;
  default: break;
  }
}

bool ast_dotted_name(const ast_node *n, buf *out) {
  if (n->kind == AST_IDENT) {
    buf_puts(out, n->u.ident.name);
    return true;
  }
  if (n->kind != AST_SELECT || !ast_dotted_name(n->u.select.operand, out)) return false;
  buf_putc(out, '.');
  buf_puts(out, n->u.select.field);
  return true;
}

void ast_release(ast *t) {
  arena_release(&t->arena);
  src_release(&t->src);
  mem_free(t->text);
  mem_free(t->file);
  t->root = NULL;
  t->text = t->file = NULL;
}

/* ---- shared helpers ---- */

/* The shortest %g form that reads back as the same double, always with a
 * '.', an exponent or a special name so it reads as a double. */
static void put_double(buf *b, double d) {
  if (isnan(d)) {
    buf_puts(b, "NaN");
    return;
  }
  if (isinf(d)) {
    buf_puts(b, d < 0 ? "-Infinity" : "Infinity");
    return;
  }
  char tmp[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, d);
    if (strtod(tmp, NULL) == d) break;
  }
  buf_puts(b, tmp);
  if (!strpbrk(tmp, ".eEn")) buf_puts(b, ".0");
}

static void put_span(buf *b, const ast_span *s) {
  buf_printf(b, " @%u:%u-%u:%u", s->line, s->column, s->end_line, s->end_column);
}

/* ---- S-expression ---- */

static void sexp_node(buf *b, const ast_node *n, int depth);

static void sexp_child(buf *b, const ast_node *n, int depth) {
  buf_putc(b, '\n');
  for (int i = 0; i < depth; i++) buf_puts(b, "  ");
  sexp_node(b, n, depth);
}

static void sexp_node(buf *b, const ast_node *n, int depth) {
  buf_printf(b, "(%s", ast_kind_name(n->kind));
  switch (n->kind) {
  case AST_NULL: break;
  case AST_BOOL: buf_puts(b, n->u.b ? " true" : " false"); break;
  case AST_INT: buf_printf(b, " %lld", (long long)n->u.i); break;
  case AST_UINT: buf_printf(b, " %lluu", (unsigned long long)n->u.u); break;
  case AST_DOUBLE:
    buf_putc(b, ' ');
    put_double(b, n->u.d);
    break;
  case AST_STRING:
  case AST_BYTES:
    buf_putc(b, ' ');
    buf_cel_string(b, n->u.text.data, n->u.text.len, n->kind == AST_BYTES);
    break;
  case AST_IDENT: buf_printf(b, " %s%s", n->u.ident.absolute ? "." : "", n->u.ident.name); break;
  case AST_SELECT: buf_printf(b, " %s", n->u.select.field); break;
  case AST_CALL: buf_printf(b, " %s%s", n->u.call.absolute ? "." : "", n->u.call.function); break;
  case AST_UNARY: buf_printf(b, " %s", ast_op_token(n->u.unary.op)); break;
  case AST_BINARY: buf_printf(b, " %s", ast_op_token(n->u.binary.op)); break;
  case AST_STRUCT: buf_printf(b, " %s", n->u.record.type_name); break;
  default: break;
  }
  put_span(b, &n->span);
  int d = depth + 1;
  switch (n->kind) {
  case AST_SELECT: sexp_child(b, n->u.select.operand, d); break;
  case AST_INDEX:
    sexp_child(b, n->u.index.operand, d);
    sexp_child(b, n->u.index.index, d);
    break;
  case AST_CALL:
    if (n->u.call.target) {
      buf_putc(b, '\n');
      for (int i = 0; i < d; i++) buf_puts(b, "  ");
      buf_puts(b, "(target");
      sexp_child(b, n->u.call.target, d + 1);
      buf_putc(b, ')');
    }
    for (uint32_t i = 0; i < n->u.call.nargs; i++) sexp_child(b, n->u.call.args[i], d);
    break;
  case AST_UNARY: sexp_child(b, n->u.unary.operand, d); break;
  case AST_BINARY:
    sexp_child(b, n->u.binary.left, d);
    sexp_child(b, n->u.binary.right, d);
    break;
  case AST_CONDITIONAL:
    sexp_child(b, n->u.cond.cond, d);
    sexp_child(b, n->u.cond.then, d);
    sexp_child(b, n->u.cond.otherwise, d);
    break;
  case AST_LIST:
    for (uint32_t i = 0; i < n->u.list.n; i++) sexp_child(b, n->u.list.items[i], d);
    break;
  case AST_MAP:
    for (uint32_t i = 0; i < n->u.map.n; i++) {
      buf_putc(b, '\n');
      for (int k = 0; k < d; k++) buf_puts(b, "  ");
      buf_puts(b, "(entry");
      sexp_child(b, n->u.map.keys[i], d + 1);
      sexp_child(b, n->u.map.values[i], d + 1);
      buf_putc(b, ')');
    }
    break;
  case AST_STRUCT:
    for (uint32_t i = 0; i < n->u.record.n; i++) {
      buf_putc(b, '\n');
      for (int k = 0; k < d; k++) buf_puts(b, "  ");
      buf_printf(b, "(field %s", n->u.record.fields[i]);
      put_span(b, &n->u.record.field_spans[i]);
      sexp_child(b, n->u.record.values[i], d + 1);
      buf_putc(b, ')');
    }
    break;
  default: break;
  }
  buf_putc(b, ')');
}

char *ast_render_sexp(const ast *t) {
  buf b = {0};
  if (t->root) sexp_node(&b, t->root, 0);
  buf_putc(&b, '\n');
  return buf_take(&b);
}

/* ---- JSON ---- */

static void json_node(buf *b, const ast_node *n);

static void json_span(buf *b, const char *key, const ast_span *s) {
  buf_printf(b,
             ", \"%s\": {\"offset\": %u, \"length\": %u, \"line\": %u, \"column\": %u, \"end_line\": %u, "
             "\"end_column\": %u}",
             key, s->offset, s->length, s->line, s->column, s->end_line, s->end_column);
}

static void json_key_node(buf *b, const char *key, const ast_node *n) {
  buf_printf(b, ", \"%s\": ", key);
  json_node(b, n);
}

static void json_node_array(buf *b, const char *key, ast_node *const *v, uint32_t n) {
  buf_printf(b, ", \"%s\": [", key);
  for (uint32_t i = 0; i < n; i++) {
    if (i) buf_puts(b, ", ");
    json_node(b, v[i]);
  }
  buf_putc(b, ']');
}

static void json_base64(buf *b, const ast_text *t) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *p = (const unsigned char *)t->data;
  buf_putc(b, '"');
  for (size_t i = 0; i < t->len; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16;
    if (i + 1 < t->len) v |= (uint32_t)p[i + 1] << 8;
    if (i + 2 < t->len) v |= p[i + 2];
    buf_putc(b, alphabet[(v >> 18) & 63]);
    buf_putc(b, alphabet[(v >> 12) & 63]);
    buf_putc(b, i + 1 < t->len ? alphabet[(v >> 6) & 63] : '=');
    buf_putc(b, i + 2 < t->len ? alphabet[v & 63] : '=');
  }
  buf_putc(b, '"');
}

static void json_node(buf *b, const ast_node *n) {
  buf_printf(b, "{\"kind\": \"%s\"", ast_kind_name(n->kind));
  switch (n->kind) {
  case AST_BOOL: buf_printf(b, ", \"value\": %s", n->u.b ? "true" : "false"); break;
  case AST_INT: buf_printf(b, ", \"value\": %lld", (long long)n->u.i); break;
  /* uint as a string: JSON readers often hold numbers as doubles or int64. */
  case AST_UINT: buf_printf(b, ", \"value\": \"%llu\"", (unsigned long long)n->u.u); break;
  case AST_DOUBLE:
    if (isfinite(n->u.d)) {
      buf_puts(b, ", \"value\": ");
      put_double(b, n->u.d);
    } else {
      buf_puts(b, ", \"value\": \"");
      put_double(b, n->u.d);
      buf_putc(b, '"');
    }
    break;
  case AST_STRING:
    buf_puts(b, ", \"value\": ");
    buf_json_string(b, n->u.text.data, n->u.text.len);
    break;
  case AST_BYTES:
    buf_puts(b, ", \"base64\": ");
    json_base64(b, &n->u.text);
    break;
  case AST_IDENT:
    buf_printf(b, ", \"name\": \"%s\", \"absolute\": %s", n->u.ident.name, n->u.ident.absolute ? "true" : "false");
    break;
  case AST_SELECT:
    buf_printf(b, ", \"field\": \"%s\"", n->u.select.field);
    json_span(b, "field_span", &n->u.select.field_span);
    json_key_node(b, "operand", n->u.select.operand);
    break;
  case AST_INDEX:
    json_key_node(b, "operand", n->u.index.operand);
    json_key_node(b, "index", n->u.index.index);
    break;
  case AST_CALL:
    buf_printf(b, ", \"function\": \"%s\", \"absolute\": %s", n->u.call.function,
               n->u.call.absolute ? "true" : "false");
    json_span(b, "function_span", &n->u.call.function_span);
    if (n->u.call.target) json_key_node(b, "target", n->u.call.target);
    json_node_array(b, "args", n->u.call.args, n->u.call.nargs);
    break;
  case AST_UNARY:
    buf_printf(b, ", \"op\": \"%s\"", ast_op_token(n->u.unary.op));
    json_span(b, "op_span", &n->u.unary.op_span);
    json_key_node(b, "operand", n->u.unary.operand);
    break;
  case AST_BINARY:
    buf_printf(b, ", \"op\": \"%s\"", ast_op_token(n->u.binary.op));
    json_span(b, "op_span", &n->u.binary.op_span);
    json_key_node(b, "left", n->u.binary.left);
    json_key_node(b, "right", n->u.binary.right);
    break;
  case AST_CONDITIONAL:
    json_key_node(b, "condition", n->u.cond.cond);
    json_key_node(b, "then", n->u.cond.then);
    json_key_node(b, "else", n->u.cond.otherwise);
    break;
  case AST_LIST: json_node_array(b, "elements", n->u.list.items, n->u.list.n); break;
  case AST_MAP:
    buf_puts(b, ", \"entries\": [");
    for (uint32_t i = 0; i < n->u.map.n; i++) {
      buf_puts(b, i ? ", {\"key\": " : "{\"key\": ");
      json_node(b, n->u.map.keys[i]);
      json_key_node(b, "value", n->u.map.values[i]);
      buf_putc(b, '}');
    }
    buf_putc(b, ']');
    break;
  case AST_STRUCT:
    buf_printf(b, ", \"type\": \"%s\"", n->u.record.type_name);
    json_span(b, "type_span", &n->u.record.type_span);
    buf_puts(b, ", \"fields\": [");
    for (uint32_t i = 0; i < n->u.record.n; i++) {
      buf_printf(b, "%s{\"name\": \"%s\"", i ? ", " : "", n->u.record.fields[i]);
      json_span(b, "span", &n->u.record.field_spans[i]);
      json_key_node(b, "value", n->u.record.values[i]);
      buf_putc(b, '}');
    }
    buf_putc(b, ']');
    break;
  default: break;
  }
  json_span(b, "span", &n->span);
  buf_putc(b, '}');
}

char *ast_render_json(const ast *t) {
  buf b = {0};
  buf_puts(&b, "{\"file\": ");
  buf_json_string(&b, t->file, strlen(t->file));
  buf_puts(&b, ", \"root\": ");
  if (t->root)
    json_node(&b, t->root);
  else
    buf_puts(&b, "null");
  buf_puts(&b, "}\n");
  return buf_take(&b);
}
