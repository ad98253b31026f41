/*
 * syntax.c: parse with tree-sitter, report syntax errors, lower to the AST.
 *
 * The pipeline for one input:
 *   1. limits: the size limit, then UTF-8 validity of the whole text (so
 *      every later message may quote source text);
 *   2. tree-sitter parses; every ERROR and MISSING node becomes a
 *      diagnostic (several per input, up to the error limit);
 *   3. only an error-free tree is lowered: node by node into ast_node,
 *      decoding literals and checking what the grammar leaves open
 *      (reserved words, struct type names), with a nesting-depth limit that
 *      keeps this recursion, and every later one, off the end of the stack.
 */
#include "syntax.h"

#include <pthread.h>
#include <string.h>
#include <tree_sitter/api.h>

#include "literal.h"

const TSLanguage *tree_sitter_rulecore(void);

/* ORDER SYM: symbol names of the grammar this file looks at. */
enum {
  SYM_SOURCE_FILE,
  SYM_CONDITIONAL,
  SYM_BINARY,
  SYM_UNARY,
  SYM_SELECT,
  SYM_INDEX,
  SYM_CALL,
  SYM_STRUCT,
  SYM_FIELD_INIT,
  SYM_LIST,
  SYM_MAP,
  SYM_MAP_ENTRY,
  SYM_PAREN,
  SYM_ABSOLUTE_IDENT,
  SYM_IDENT,
  SYM_INT,
  SYM_UINT,
  SYM_DOUBLE,
  SYM_STRING,
  SYM_BYTES,
  SYM_TRUE,
  SYM_FALSE,
  SYM_NULL,
  SYM_COMMENT,
  SYM_ESCAPED_IDENT,
  SYM_COUNT
};
static const char *const sym_names[SYM_COUNT] = {
    "source_file",      "conditional_expression", "binary_expression", "unary_expression",
    "select_expression", "index_expression",      "call_expression",   "struct_expression",
    "field_initializer", "list_expression",       "map_expression",    "map_entry",
    "parenthesized_expression", "absolute_identifier", "identifier",   "int_literal",
    "uint_literal",     "double_literal",         "string_literal",    "bytes_literal",
    "true",             "false",                  "null",              "comment",
    "escaped_identifier",
};

/* ORDER FLD */
enum {
  FLD_EXPRESSION,
  FLD_CONDITION,
  FLD_CONSEQUENCE,
  FLD_ALTERNATIVE,
  FLD_LEFT,
  FLD_OPERATOR,
  FLD_RIGHT,
  FLD_OPERAND,
  FLD_FIELD,
  FLD_INDEX,
  FLD_RECEIVER,
  FLD_ABSOLUTE,
  FLD_FUNCTION,
  FLD_ARGUMENTS,
  FLD_TYPE,
  FLD_NAME,
  FLD_VALUE,
  FLD_ELEMENT,
  FLD_ENTRY,
  FLD_KEY,
  FLD_COUNT
};
static const char *const field_names[FLD_COUNT] = {
    "expression", "condition", "consequence", "alternative", "left",     "operator", "right",
    "operand",    "field",     "index",       "receiver",    "absolute", "function", "arguments",
    "type",       "name",      "value",       "element",     "entry",    "key",
};

static TSSymbol syms[SYM_COUNT];
static TSFieldId fields[FLD_COUNT];
static pthread_once_t ids_once = PTHREAD_ONCE_INIT;

static void ids_init(void) {
  const TSLanguage *lang = tree_sitter_rulecore();
  for (int i = 0; i < SYM_COUNT; i++)
    syms[i] = ts_language_symbol_for_name(lang, sym_names[i], (uint32_t)strlen(sym_names[i]), true);
  for (int i = 0; i < FLD_COUNT; i++)
    fields[i] = ts_language_field_id_for_name(lang, field_names[i], (uint32_t)strlen(field_names[i]));
}

/* CEL's language keywords can name nothing.  tree-sitter's keyword
 * extraction lexes them as identifiers where a keyword cannot stand
 * (`in + 1`, `a.null`), so the lowering rejects them by name. */
static const char *const keywords[] = {"true", "false", "null", "in"};

/* Reserved words may not name a variable or global function, but may name
 * fields and methods (`a.if`, `a.while()`). */
static const char *const reserved_words[] = {
    "as",   "break",     "const",   "continue", "else", "for", "function", "if", "import",
    "let",  "loop",      "package", "namespace", "return", "var", "void",  "while",
};

typedef struct lower_ctx {
  const syn_limits *limits;
  ast *t;
  rulecore_diagnostics *d;
  TSTreeCursor *cur; /* for fields_of and push_children, reset at every use */
  /* A stack of the children of the lists being lowered (push_children):
   * kids_small, then the heap when it outgrows it. */
  TSNode *kids;
  uint32_t nkids, kids_cap;
  TSNode kids_small[16];
  bool nomem;
  bool too_deep; /* reported once */
} lower_ctx;

static ast_span span_of_bytes(const ast *t, uint32_t start, uint32_t end) {
  ast_span s;
  s.offset = start;
  s.length = end - start;
  src_position(&t->src, start, &s.line, &s.column);
  src_position(&t->src, end, &s.end_line, &s.end_column);
  return s;
}

static ast_span span_of(const ast *t, TSNode n) {
  return span_of_bytes(t, ts_node_start_byte(n), ts_node_end_byte(n));
}

static const char *node_text(const ast *t, TSNode n, size_t *len) {
  uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
  *len = e - s;
  return t->text + s;
}

static void report(lower_ctx *c, int code, uint32_t off, uint32_t len, const char *fmt, const char *arg) {
  diag_add(c->d, &c->t->src, RULECORE_SEVERITY_ERROR, code, off, len, fmt, arg);
}

/* ---- syntax errors from tree-sitter's tree ---- */

/* Comments are extras; so are ERROR nodes, so "extra" is not "comment". */
static bool is_comment(TSNode n) { return ts_node_symbol(n) == syms[SYM_COMMENT]; }

/* The last leaf that ends at or before byte off, or a null node. */
static TSNode leaf_before(TSNode root, uint32_t off) {
  TSNode found = {0};
  TSNode n = root;
  for (;;) {
    uint32_t count = ts_node_child_count(n);
    TSNode next = {0};
    bool have = false;
    for (uint32_t i = count; i-- > 0;) {
      TSNode ch = ts_node_child(n, i);
      if (ts_node_start_byte(ch) < off && !is_comment(ch)) {
        next = ch;
        have = true;
        break;
      }
    }
    if (!have) return found;
    if (ts_node_child_count(next) == 0) return ts_node_end_byte(next) <= off ? next : found;
    n = next;
  }
}

/* The offset of the first token at or after off: whitespace and comments
 * skipped. */
static uint32_t skip_blank(const ast *t, uint32_t off) {
  const char *z = t->text;
  uint32_t n = (uint32_t)t->src.len;
  while (off < n) {
    if (z[off] && strchr(" \t\r\n\f\v", z[off])) {
      off++;
    } else if (z[off] == '/' && off + 1 < n && z[off + 1] == '/') {
      while (off < n && z[off] != '\n') off++;
    } else {
      break;
    }
  }
  return off;
}
/* What may follow a token, as the "expected ..." half of a message. */
static const char *expectation_after(const ast *t, TSNode prev) {
  if (ts_node_is_null(prev)) return "expected an expression";
  size_t len;
  const char *p = node_text(t, prev, &len);
  if (ts_node_is_named(prev) || len == 0) return "expected an operator or the end of the expression";
  if (len == 1 && p[0] && strchr(")]}", p[0])) return "expected an operator or the end of the expression";
  if (len == 1 && p[0] == '.') return "expected a field or method name";
  return "expected an expression"; /* after an operator, '(', '[', '{', ',' or ':' */
}

/* Where in [start, end) a string starts that no string token covers: the
 * opening quote (after any r/b prefix) of an unterminated string. */
static bool find_unterminated_string(const ast *t, TSNode root, uint32_t start, uint32_t end, uint32_t *at) {
  for (uint32_t i = start; i < end && i < t->src.len; i++) {
    char q = t->text[i];
    if (q != '"' && q != '\'') continue;
    TSNode n = ts_node_descendant_for_byte_range(root, i, i + 1);
    TSSymbol sym = ts_node_symbol(n);
    if (sym == syms[SYM_STRING] || sym == syms[SYM_BYTES] || sym == syms[SYM_COMMENT]) {
      i = ts_node_end_byte(n) - 1;
      continue;
    }
    /* A triple quote with nothing after it lexes as the empty string then
     * an unterminated one: back up to the triple quote, then over an r/b
     * prefix that starts a token. */
    if (i >= 2 && t->text[i - 1] == q && t->text[i - 2] == q) i -= 2;
    uint32_t p = i;
    while (p > 0 && i - p < 2 && t->text[p - 1] && strchr("rRbB", t->text[p - 1])) p--;
    char before = p > 0 ? t->text[p - 1] : ' ';
    bool ident_char = (before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
                      (before >= '0' && before <= '9') || before == '_';
    *at = ident_char ? i : p;
    return true;
  }
  return false;
}

/* Scan an ERROR node's direct tokens for brackets.  Returns the offset of
 * a closer (')', ']', '}') that matches no opener inside the node, or
 * UINT32_MAX; *unclosed receives the closer the node still waits for
 * ("expected ')'") or NULL. */
static uint32_t scan_brackets(const ast *t, TSNode err, const char **unclosed) {
  static const char openers[] = "([{?", closers[] = ")]}:";
  char open[32];
  uint32_t n = 0, lost = 0; /* lost: openers beyond the small stack */
  *unclosed = NULL;
  for (uint32_t i = 0, cnt = ts_node_child_count(err); i < cnt; i++) {
    TSNode ch = ts_node_child(err, i);
    uint32_t off = ts_node_start_byte(ch);
    if (ts_node_is_named(ch) || ts_node_end_byte(ch) - off != 1 || !t->text[off]) continue;
    const char *o = strchr(openers, t->text[off]), *cl = strchr(closers, t->text[off]);
    if (o) {
      if (n < sizeof open)
        open[n++] = *o;
      else
        lost++;
    } else if (cl && lost) {
      lost--;
    } else if (cl && n && open[n - 1] == openers[cl - closers]) {
      n--;
    } else if (cl && *cl != ':') {
      return off;
    }
  }
  if (n) {
    static const char *const expect[] = {"expected ')'", "expected ']'", "expected '}'", "expected ':'"};
    *unclosed = expect[strchr(openers, open[n - 1]) - openers];
  }
  return UINT32_MAX;
}

/* Report one ERROR node that holds no more precise error, at the token
 * that went wrong:
 *   - a closer that closes nothing inside the node (`a + )`);
 *   - the first token, when the node holds only tokens the parser skipped
 *     (`1 + * 2` gives ERROR('*'));
 *   - the end of input, when the node runs to it (`[1,`, `a ? b`), with
 *     the closer it waits for;
 *   - otherwise the token after the node, which wraps what the parser
 *     could not continue (`a b` gives ERROR(a) then b). */
static void report_error_node(lower_ctx *c, TSNode root, TSNode err) {
  ast *t = c->t;
  uint32_t start = ts_node_start_byte(err), err_end = ts_node_end_byte(err), quote;
  if (find_unterminated_string(t, root, start, err_end, &quote)) {
    uint32_t e = quote;
    while (e < t->src.len && t->text[e] != '\n') e++;
    report(c, RULECORE_DIAG_UNTERMINATED_STRING, quote, e - quote, "unterminated string literal%s", "");
    return;
  }
  const char *unclosed;
  uint32_t off = scan_brackets(t, err, &unclosed);
  if (off == UINT32_MAX && unclosed && skip_blank(t, err_end) >= t->src.len) {
    off = (uint32_t)t->src.len;
  } else if (off == UINT32_MAX) {
    bool only_tokens = true;
    for (uint32_t i = 0, cnt = ts_node_child_count(err); i < cnt; i++) {
      TSNode ch = ts_node_child(err, i);
      if (ts_node_is_named(ch) && !is_comment(ch)) only_tokens = false;
    }
    off = skip_blank(t, only_tokens ? start : err_end);
  }
  if (off >= t->src.len) {
    report(c, RULECORE_DIAG_SYNTAX_ERROR, off, 0, "unexpected end of input; %s",
           unclosed ? unclosed : expectation_after(t, leaf_before(root, off)));
    return;
  }
  const char *expected = expectation_after(t, leaf_before(root, off));
  /* The token at off: a leaf of the tree, or else one character. */
  TSNode tok = ts_node_descendant_for_byte_range(root, off, off + 1);
  uint32_t end = off + 1;
  const char *what = "";
  if (!ts_node_is_null(tok) && ts_node_child_count(tok) == 0 && ts_node_start_byte(tok) == off &&
      ts_node_end_byte(tok) > off) {
    end = ts_node_end_byte(tok);
    if (ts_node_is_named(tok) && ts_node_symbol(tok) != (TSSymbol)-1) what = ts_node_type(tok);
  }
  while (end < t->src.len && ((unsigned char)t->text[end] & 0xC0) == 0x80) end++;
  /* Quote at most one line and 30 bytes of the token, on a character
   * boundary. */
  uint32_t qend = end;
  for (uint32_t i = off; i < qend; i++)
    if (t->text[i] == '\n') qend = i;
  if (qend - off > 30) {
    qend = off + 30;
    while (qend > off && ((unsigned char)t->text[qend] & 0xC0) == 0x80) qend--;
  }
  char kind[32];
  snprintf(kind, sizeof kind, "%s%s", what, *what ? " " : "");
  for (char *p = kind; *p; p++)
    if (*p == '_') *p = ' ';
  char msg[160];
  snprintf(msg, sizeof msg, "unexpected %s'%.*s'; %s", kind, (int)(qend - off), t->text + off, expected);
  report(c, RULECORE_DIAG_SYNTAX_ERROR, off, end - off, "%s", msg);
}

static void report_missing_node(lower_ctx *c, TSNode root, TSNode n) {
  uint32_t off = ts_node_start_byte(n);
  const char *type = ts_node_type(n);
  if (ts_node_is_named(n)) {
    /* A missing identifier or literal stands for a whole operand, or a
     * field name after a dot. */
    report(c, RULECORE_DIAG_MISSING_TOKEN, off, 0, "%s", expectation_after(c->t, leaf_before(root, off)));
  } else {
    char msg[64];
    snprintf(msg, sizeof msg, "expected '%s'", type);
    report(c, RULECORE_DIAG_MISSING_TOKEN, off, 0, "%s", msg);
  }
}

/* Does an ERROR node hold a more precise error inside it?  tree-sitter
 * wraps what it could not fit into an outer ERROR; an inner ERROR or
 * MISSING node marks the token that really went wrong, so report that. */
static bool has_inner_error(TSNode err) {
  for (uint32_t i = 0, n = ts_node_child_count(err); i < n; i++) {
    TSNode ch = ts_node_child(err, i);
    if (ts_node_has_error(ch) || ts_node_is_missing(ch) || ts_node_symbol(ch) == (TSSymbol)-1) return true;
  }
  return false;
}

/* Walk the tree without recursion (it may be deeper than the depth limit)
 * and report every ERROR and MISSING node, outermost first. */
static void report_syntax_errors(lower_ctx *c, TSNode root) {
  TSTreeCursor cur = ts_tree_cursor_new(root);
  for (;;) {
    TSNode n = ts_tree_cursor_current_node(&cur);
    bool descend = false;
    if (ts_node_is_missing(n)) {
      report_missing_node(c, root, n);
    } else if (ts_node_symbol(n) == (TSSymbol)-1 /* ts_builtin_sym_error */ && !has_inner_error(n)) {
      report_error_node(c, root, n);
    } else if (ts_node_has_error(n) || ts_node_symbol(n) == (TSSymbol)-1) {
      descend = true;
    }
    if (diag_full(c->d)) break;
    if (descend && ts_tree_cursor_goto_first_child(&cur)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cur)) {
      if (!ts_tree_cursor_goto_parent(&cur)) goto done;
    }
  }
done:
  ts_tree_cursor_delete(&cur);
}

/* ---- lowering ---- */

static ast_node *lower(lower_ctx *c, TSNode n, uint32_t depth);

static ast_node *new_node(lower_ctx *c, ast_kind kind, TSNode n) {
  ast_node *a = ast_new_node(c->t, kind, span_of(c->t, n));
  if (!a) c->nomem = true;
  return a;
}

/* The text of n in the tree's arena; a field name in backticks without
 * them. */
static const char *intern_text(lower_ctx *c, TSNode n) {
  size_t len;
  const char *s = node_text(c->t, n, &len);
  if (ts_node_symbol(n) == syms[SYM_ESCAPED_IDENT] && len >= 2) {
    s++;
    len -= 2;
  }
  char *z = arena_strndup(&c->t->arena, s, len);
  if (!z) c->nomem = true;
  return z;
}

static bool in_list(const char *name, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++) /* the first letter rules out most names cheaply */
    if (name[0] == list[i][0] && strcmp(name, list[i]) == 0) return true;
  return false;
}

/* Report a name that CEL forbids where it stands.  as_variable: the name
 * is a variable, a global function or a type's first segment, where the
 * reserved words are forbidden too. */
static void check_name(lower_ctx *c, TSNode ident, const char *name, bool as_variable) {
  if (!name || ts_node_symbol(ident) == syms[SYM_ESCAPED_IDENT]) return; /* `in` is a fine field name */
  uint32_t off = ts_node_start_byte(ident), len = ts_node_end_byte(ident) - off;
  if (in_list(name, keywords, ARRAY_LEN(keywords)))
    report(c, RULECORE_DIAG_RESERVED_IDENTIFIER, off, len, "'%s' is a keyword and cannot be used as a name", name);
  else if (as_variable && in_list(name, reserved_words, ARRAY_LEN(reserved_words)))
    report(c, RULECORE_DIAG_RESERVED_IDENTIFIER, off, len,
           "'%s' is a reserved word and cannot name a variable or function", name);
}

bool syn_is_plain_name(const char *name) {
  const char *p = name;
  for (bool first = true;; first = false) {
    const char *start = p;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_')) return false;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_') p++;
    char word[16];
    size_t len = (size_t)(p - start);
    if (len < sizeof word) {
      memcpy(word, start, len);
      word[len] = '\0';
      if (in_list(word, keywords, ARRAY_LEN(keywords)) ||
          (first && in_list(word, reserved_words, ARRAY_LEN(reserved_words))))
        return false;
    }
    if (*p == '\0') return true;
    if (*p++ != '.') return false;
  }
}

static TSNode field(TSNode n, int f) { return ts_node_child_by_field_id(n, fields[f]); }

/* The children of n under the fields f[0..k), the first under each or a
 * null node, into out[0..k): one pass over n's children with the shared
 * cursor, where a ts_node_child_by_field_id per field walks them again
 * each time. */
static void fields_of(lower_ctx *c, TSNode n, const int *f, TSNode *out, int k) {
  int missing = k;
  for (int i = 0; i < k; i++) out[i] = (TSNode){0};
  ts_tree_cursor_reset(c->cur, n);
  if (!ts_tree_cursor_goto_first_child(c->cur)) return;
  do {
    TSFieldId id = ts_tree_cursor_current_field_id(c->cur);
    if (!id) continue;
    for (int i = 0; i < k; i++) {
      if (id != fields[f[i]] || !ts_node_is_null(out[i])) continue;
      out[i] = ts_tree_cursor_current_node(c->cur);
      if (--missing == 0) return;
      break;
    }
  } while (ts_tree_cursor_goto_next_sibling(c->cur));
}

/* Push onto c's child stack the children of n under field f (f < 0: the
 * named children but comments), in one pass with the shared cursor.
 * Returns how many; on running out of memory, c->nomem is set.  (A
 * cursor, not ts_node_field_name_for_child, which tree-sitter 0.20.7
 * answers wrongly for repeated fields.) */
static uint32_t push_children(lower_ctx *c, TSNode n, int f) {
  uint32_t k = 0;
  ts_tree_cursor_reset(c->cur, n);
  if (!ts_tree_cursor_goto_first_child(c->cur)) return 0;
  do {
    TSNode ch = {0};
    if (f >= 0) {
      if (ts_tree_cursor_current_field_id(c->cur) != fields[f]) continue;
      ch = ts_tree_cursor_current_node(c->cur);
    } else {
      ch = ts_tree_cursor_current_node(c->cur);
      if (!ts_node_is_named(ch) || is_comment(ch)) continue;
    }
    if (c->nkids == c->kids_cap) {
      uint32_t cap = c->kids_cap * 2;
      TSNode *kids = c->kids == c->kids_small ? mem_alloc(cap * sizeof *kids)
                                               : mem_realloc(c->kids, cap * sizeof *kids);
      if (!kids) {
        c->nomem = true;
        return k;
      }
      if (c->kids == c->kids_small) memcpy(kids, c->kids_small, sizeof c->kids_small);
      c->kids = kids;
      c->kids_cap = cap;
    }
    c->kids[c->nkids++] = ch;
    k++;
  } while (ts_tree_cursor_goto_next_sibling(c->cur));
  return k;
}

/* The children of n that push_children selects with f, lowered, into an
 * array (NULL when there are none); *count receives their number. */
static NOINLINE ast_node **lower_children(lower_ctx *c, TSNode n, int f, uint32_t depth, uint32_t *count) {
  uint32_t base = c->nkids, k = push_children(c, n, f);
  ast_node **v = k && !c->nomem ? ast_new_nodes(c->t, k) : NULL;
  if (k && !v) c->nomem = true;
  *count = v ? k : 0;
  /* c->kids may move while the elements are lowered: index it afresh. */
  for (uint32_t i = 0; v && i < k; i++) v[i] = lower(c, c->kids[base + i], depth);
  c->nkids = base;
  return v;
}

static NOINLINE ast_node *lower_number(lower_ctx *c, TSNode lit, TSNode whole, bool negative) {
  size_t len;
  const char *s = node_text(c->t, lit, &len);
  lit_error err;
  TSSymbol sym = ts_node_symbol(lit);
  ast_node *a = NULL;
  if (sym == syms[SYM_INT]) {
    a = new_node(c, AST_INT, whole);
    if (a && !lit_int(s, len, negative, &a->u.i, &err))
      report(c, err.code, ts_node_start_byte(whole), ts_node_end_byte(whole) - ts_node_start_byte(whole), "%s",
             err.message);
  } else if (sym == syms[SYM_UINT]) {
    a = new_node(c, AST_UINT, whole);
    if (a && !lit_uint(s, len, &a->u.u, &err))
      report(c, err.code, ts_node_start_byte(lit), (uint32_t)len, "%s", err.message);
  } else {
    a = new_node(c, AST_DOUBLE, whole);
    if (a && !lit_double(s, len, &a->u.d, &err)) {
      if (err.code == 0)
        c->nomem = true;
      else
        report(c, err.code, ts_node_start_byte(lit), (uint32_t)len, "%s", err.message);
    }
    if (a && negative) a->u.d = -a->u.d;
  }
  return a;
}

static NOINLINE ast_node *lower_string(lower_ctx *c, TSNode n) {
  size_t len;
  const char *s = node_text(c->t, n, &len);
  buf b = {0};
  bool bytes;
  lit_error err;
  bool ok = lit_string(s, len, &b, &bytes, &err);
  if (!ok) report(c, err.code, ts_node_start_byte(n) + (uint32_t)err.offset, (uint32_t)err.len, "%s", err.message);
  ast_node *a = new_node(c, bytes ? AST_BYTES : AST_STRING, n);
  if (b.oom) c->nomem = true;
  if (a && ok && !b.oom) {
    char *z = arena_alloc(&c->t->arena, b.len + 1);
    if (!z) {
      c->nomem = true;
    } else {
      memcpy(z, b.data, b.len + 1);
      a->u.text.data = z;
      a->u.text.len = b.len;
    }
  }
  if (a && !a->u.text.data) a->u.text.data = "";
  buf_release(&b);
  return a;
}

static ast_op op_of(lower_ctx *c, TSNode op, bool unary) {
  size_t len;
  const char *s = node_text(c->t, op, &len);
  if (unary) return s[0] == '!' ? OP_NOT : OP_NEG;
  static const ast_op binary_ops[] = {OP_OR, OP_AND, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ,
                                      OP_NE, OP_IN,  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD};
  for (size_t i = 0; i < ARRAY_LEN(binary_ops); i++) {
    const char *tok = ast_op_token(binary_ops[i]);
    if (strlen(tok) == len && memcmp(tok, s, len) == 0) return binary_ops[i];
  }
  return OP_ADD; /* unreachable: the grammar has no other operator */
}

/* Flatten a struct's type (identifier, .identifier or a select chain of
 * identifiers) into "a.b.C"; NULL (with a diagnostic) when it is not one.
 * Kept out of line: lower() recurses, and its frame must stay small. */
static NOINLINE const char *type_name_of(lower_ctx *c, TSNode n) {
  /* First pass: check the shape and measure; the chain is walked from its
   * last segment, so the second pass fills the name from the right. */
  size_t total = 0;
  bool absolute = false;
  TSNode cur = n;
  for (;;) {
    TSSymbol sym = ts_node_symbol(cur);
    if (sym == syms[SYM_IDENT]) {
      total += ts_node_end_byte(cur) - ts_node_start_byte(cur);
      break;
    }
    if (sym == syms[SYM_ABSOLUTE_IDENT]) {
      total += ts_node_end_byte(cur) - ts_node_start_byte(cur); /* includes the '.' */
      absolute = true;
      break;
    }
    if (sym != syms[SYM_SELECT]) {
      report(c, RULECORE_DIAG_INVALID_TYPE_NAME, ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n),
             "a message type must be a name like 'a.b.Type'%s", "");
      return NULL;
    }
    TSNode f = field(cur, FLD_FIELD);
    total += ts_node_end_byte(f) - ts_node_start_byte(f) + 1;
    cur = field(cur, FLD_OPERAND);
  }
  char *name = arena_alloc(&c->t->arena, total + 1);
  if (!name) {
    c->nomem = true;
    return NULL;
  }
  size_t at = total;
  cur = n;
  for (;;) {
    TSSymbol sym = ts_node_symbol(cur);
    bool last = sym != syms[SYM_SELECT];
    TSNode seg = sym == syms[SYM_SELECT] ? field(cur, FLD_FIELD) : sym == syms[SYM_ABSOLUTE_IDENT] ? field(cur, FLD_NAME) : cur;
    size_t len;
    const char *text = node_text(c->t, seg, &len);
    at -= len;
    memcpy(name + at, text, len);
    /* Keywords are never names; reserved words only not as the first. */
    char word[16];
    if (len < sizeof word) {
      memcpy(word, text, len);
      word[len] = '\0';
      check_name(c, seg, word, last && !absolute);
    }
    if (last) break;
    name[--at] = '.';
    cur = field(cur, FLD_OPERAND);
  }
  if (absolute) name[--at] = '.';
  return name;
}

static NOINLINE ast_node *lower_struct(lower_ctx *c, TSNode n, uint32_t depth) {
  ast_node *a = new_node(c, AST_STRUCT, n);
  if (!a) return NULL;
  TSNode type = field(n, FLD_TYPE);
  a->u.record.type_name = type_name_of(c, type);
  if (!a->u.record.type_name) a->u.record.type_name = "?";
  a->u.record.type_span = span_of(c->t, type);
  uint32_t k = 0;
  for (uint32_t i = 0, cnt = ts_node_child_count(n); i < cnt; i++)
    if (ts_node_symbol(ts_node_child(n, i)) == syms[SYM_FIELD_INIT]) k++;
  a->u.record.n = k;
  if (k) {
    a->u.record.fields = arena_alloc(&c->t->arena, k * sizeof(char *));
    a->u.record.field_spans = arena_alloc(&c->t->arena, k * sizeof(ast_span));
    a->u.record.values = ast_new_nodes(c->t, k);
    if (!a->u.record.fields || !a->u.record.field_spans || !a->u.record.values) {
      c->nomem = true;
      a->u.record.n = 0;
      return a;
    }
  }
  k = 0;
  for (uint32_t i = 0, cnt = ts_node_child_count(n); i < cnt; i++) {
    TSNode f = ts_node_child(n, i);
    if (ts_node_symbol(f) != syms[SYM_FIELD_INIT]) continue;
    TSNode nv[2];
    fields_of(c, f, (const int[]){FLD_NAME, FLD_VALUE}, nv, 2);
    TSNode name = nv[0];
    a->u.record.fields[k] = intern_text(c, name);
    check_name(c, name, a->u.record.fields[k], false);
    a->u.record.field_spans[k] = span_of(c->t, name);
    a->u.record.values[k] = lower(c, nv[1], depth);
    k++;
  }
  return a;
}

/* Report, once per input, that the nesting limit was passed at off. */
static NOINLINE void report_too_deep(lower_ctx *c, uint32_t off) {
  if (c->too_deep) return;
  c->too_deep = true;
  char msg[96];
  snprintf(msg, sizeof msg, "expression is nested more than %u levels deep", c->limits->max_depth);
  report(c, RULECORE_DIAG_NESTING_TOO_DEEP, off, 1, "%s", msg);
}

/* One function per node kind, each out of line so that the recursion
 * through lower() costs only lower()'s small frame plus the one helper on
 * the path.  Each takes the node and the depth of its children. */

static NOINLINE ast_node *lower_ident(lower_ctx *c, TSNode n, uint32_t depth) {
  (void)depth;
  bool absolute = ts_node_symbol(n) == syms[SYM_ABSOLUTE_IDENT];
  ast_node *a = new_node(c, AST_IDENT, n);
  if (!a) return NULL;
  TSNode name = n;
  if (absolute) fields_of(c, n, (const int[]){FLD_NAME}, &name, 1);
  a->u.ident.name = intern_text(c, name);
  a->u.ident.absolute = absolute;
  check_name(c, name, a->u.ident.name, true);
  return a;
}

static NOINLINE ast_node *lower_constant(lower_ctx *c, TSNode n, uint32_t depth) {
  (void)depth;
  TSSymbol sym = ts_node_symbol(n);
  ast_node *a = new_node(c, sym == syms[SYM_NULL] ? AST_NULL : AST_BOOL, n);
  if (a && sym != syms[SYM_NULL]) a->u.b = sym == syms[SYM_TRUE];
  return a;
}

static NOINLINE ast_node *lower_unary(lower_ctx *c, TSNode n, uint32_t depth) {
  TSNode f[2];
  fields_of(c, n, (const int[]){FLD_OPERATOR, FLD_OPERAND}, f, 2);
  TSNode opn = f[0], operand = f[1];
  ast_op op = op_of(c, opn, true);
  TSSymbol osym = ts_node_symbol(operand);
  /* CEL's grammar makes the sign part of int and double literals, so
   * -9223372036854775808 is a literal, not a negated overflow. */
  if (op == OP_NEG && (osym == syms[SYM_INT] || osym == syms[SYM_DOUBLE])) return lower_number(c, operand, n, true);
  ast_node *a = new_node(c, AST_UNARY, n);
  if (!a) return NULL;
  a->u.unary.op = op;
  a->u.unary.op_span = span_of(c->t, opn);
  a->u.unary.operand = lower(c, operand, depth);
  return a;
}

static NOINLINE ast_node *lower_binary(lower_ctx *c, TSNode n, uint32_t depth) {
  TSNode f[3];
  fields_of(c, n, (const int[]){FLD_LEFT, FLD_OPERATOR, FLD_RIGHT}, f, 3);
  ast_node *a = new_node(c, AST_BINARY, n);
  if (!a) return NULL;
  a->u.binary.op = op_of(c, f[1], false);
  a->u.binary.op_span = span_of(c->t, f[1]);
  a->u.binary.left = lower(c, f[0], depth);
  a->u.binary.right = lower(c, f[2], depth);
  return a;
}

static NOINLINE ast_node *lower_conditional(lower_ctx *c, TSNode n, uint32_t depth) {
  ast_node *a = new_node(c, AST_CONDITIONAL, n);
  if (!a) return NULL;
  TSNode f[3];
  fields_of(c, n, (const int[]){FLD_CONDITION, FLD_CONSEQUENCE, FLD_ALTERNATIVE}, f, 3);
  a->u.cond.cond = lower(c, f[0], depth);
  a->u.cond.then = lower(c, f[1], depth);
  a->u.cond.otherwise = lower(c, f[2], depth);
  return a;
}

static NOINLINE ast_node *lower_select(lower_ctx *c, TSNode n, uint32_t depth) {
  ast_node *a = new_node(c, AST_SELECT, n);
  if (!a) return NULL;
  TSNode fo[2];
  fields_of(c, n, (const int[]){FLD_FIELD, FLD_OPERAND}, fo, 2);
  TSNode f = fo[0];
  a->u.select.field = intern_text(c, f);
  check_name(c, f, a->u.select.field, false);
  a->u.select.field_span = span_of(c->t, f);
  a->u.select.operand = lower(c, fo[1], depth);
  return a;
}

static NOINLINE ast_node *lower_index(lower_ctx *c, TSNode n, uint32_t depth) {
  ast_node *a = new_node(c, AST_INDEX, n);
  if (!a) return NULL;
  TSNode f[2];
  fields_of(c, n, (const int[]){FLD_OPERAND, FLD_INDEX}, f, 2);
  a->u.index.operand = lower(c, f[0], depth);
  a->u.index.index = lower(c, f[1], depth);
  return a;
}

static NOINLINE ast_node *lower_call(lower_ctx *c, TSNode n, uint32_t depth) {
  ast_node *a = new_node(c, AST_CALL, n);
  if (!a) return NULL;
  TSNode f[4];
  fields_of(c, n, (const int[]){FLD_FUNCTION, FLD_RECEIVER, FLD_ABSOLUTE, FLD_ARGUMENTS}, f, 4);
  TSNode fn = f[0], recv = f[1], args = f[3];
  a->u.call.function = intern_text(c, fn);
  a->u.call.function_span = span_of(c->t, fn);
  a->u.call.absolute = !ts_node_is_null(f[2]);
  check_name(c, fn, a->u.call.function, ts_node_is_null(recv));
  if (!ts_node_is_null(recv)) a->u.call.target = lower(c, recv, depth);
  a->u.call.args = lower_children(c, args, -1, depth, &a->u.call.nargs);
  return a;
}

static NOINLINE ast_node *lower_list(lower_ctx *c, TSNode n, uint32_t depth) {
  ast_node *a = new_node(c, AST_LIST, n);
  if (a) a->u.list.items = lower_children(c, n, FLD_ELEMENT, depth, &a->u.list.n);
  return a;
}

static NOINLINE ast_node *lower_map(lower_ctx *c, TSNode n, uint32_t depth) {
  ast_node *a = new_node(c, AST_MAP, n);
  if (!a) return NULL;
  uint32_t k = 0;
  for (uint32_t i = 0, cnt = ts_node_child_count(n); i < cnt; i++)
    if (ts_node_symbol(ts_node_child(n, i)) == syms[SYM_MAP_ENTRY]) k++;
  a->u.map.n = k;
  if (k) {
    a->u.map.keys = ast_new_nodes(c->t, k);
    a->u.map.values = ast_new_nodes(c->t, k);
    if (!a->u.map.keys || !a->u.map.values) {
      c->nomem = true;
      a->u.map.n = 0;
      return a;
    }
  }
  k = 0;
  for (uint32_t i = 0, cnt = ts_node_child_count(n); i < cnt; i++) {
    TSNode e = ts_node_child(n, i);
    if (ts_node_symbol(e) != syms[SYM_MAP_ENTRY]) continue;
    TSNode kv[2];
    fields_of(c, e, (const int[]){FLD_KEY, FLD_VALUE}, kv, 2);
    a->u.map.keys[k] = lower(c, kv[0], depth);
    a->u.map.values[k] = lower(c, kv[1], depth);
    k++;
  }
  return a;
}

static NOINLINE ast_node *lower_literal(lower_ctx *c, TSNode n, uint32_t depth) {
  (void)depth;
  TSSymbol sym = ts_node_symbol(n);
  return sym == syms[SYM_STRING] || sym == syms[SYM_BYTES] ? lower_string(c, n) : lower_number(c, n, n, false);
}

static NOINLINE ast_node *lower_unknown(lower_ctx *c, TSNode n, uint32_t depth) {
  (void)depth;
  /* A node kind this file does not know: a grammar change without a
   * matching change here.  Report it rather than guess. */
  report(c, RULECORE_DIAG_SYNTAX_ERROR, ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n),
         "internal error: unhandled syntax node '%s'", ts_node_type(n));
  return NULL;
}

/* Parentheses make no node of their own, only a level of nesting. */
static NOINLINE ast_node *lower_paren(lower_ctx *c, TSNode n, uint32_t depth) {
  TSNode e;
  fields_of(c, n, (const int[]){FLD_EXPRESSION}, &e, 1);
  return lower(c, e, depth);
}

typedef ast_node *(*lower_fn)(lower_ctx *c, TSNode n, uint32_t depth);

/* Lower tree-sitter node n at nesting depth into an AST node (NULL on
 * error, which is then reported). */
static ast_node *lower(lower_ctx *c, TSNode n, uint32_t depth) {
  if (c->nomem) return NULL;
  if (depth > c->limits->max_depth) {
    report_too_deep(c, ts_node_start_byte(n));
    return NULL;
  }
  TSSymbol sym = ts_node_symbol(n);
  lower_fn fn = lower_unknown;
  if (sym == syms[SYM_PAREN]) fn = lower_paren;
  else if (sym == syms[SYM_IDENT] || sym == syms[SYM_ABSOLUTE_IDENT]) fn = lower_ident;
  else if (sym == syms[SYM_INT] || sym == syms[SYM_UINT] || sym == syms[SYM_DOUBLE] || sym == syms[SYM_STRING] ||
           sym == syms[SYM_BYTES])
    fn = lower_literal;
  else if (sym == syms[SYM_TRUE] || sym == syms[SYM_FALSE] || sym == syms[SYM_NULL]) fn = lower_constant;
  else if (sym == syms[SYM_UNARY]) fn = lower_unary;
  else if (sym == syms[SYM_BINARY]) fn = lower_binary;
  else if (sym == syms[SYM_CONDITIONAL]) fn = lower_conditional;
  else if (sym == syms[SYM_SELECT]) fn = lower_select;
  else if (sym == syms[SYM_INDEX]) fn = lower_index;
  else if (sym == syms[SYM_CALL]) fn = lower_call;
  else if (sym == syms[SYM_LIST]) fn = lower_list;
  else if (sym == syms[SYM_MAP]) fn = lower_map;
  else if (sym == syms[SYM_STRUCT]) fn = lower_struct;
  return fn(c, n, depth + 1);
}

/* ---- entry point ---- */

/* Skip a string literal starting at its opening quote text[i]; raw when
 * the prefix had an r.  Returns the offset after it (or the end of the
 * text when it never closes). */
static size_t skip_string(const char *z, size_t n, size_t i, bool raw) {
  char q = z[i];
  bool triple = i + 2 < n && z[i + 1] == q && z[i + 2] == q;
  i += triple ? 3 : 1;
  while (i < n) {
    if (z[i] == '\\' && !raw) {
      i += 2;
    } else if (z[i] == q && (!triple || (i + 2 < n && z[i + 1] == q && z[i + 2] == q))) {
      return i + (triple ? 3 : 1);
    } else if (z[i] == '\n' && !triple) {
      return i;
    } else {
      i++;
    }
  }
  return n;
}

/* tree-sitter 0.20.7 corrupts its heap once its parse stack passes 65535
 * entries, which a run of unclosed brackets, `?` or prefix operators
 * reaches well inside the size limit.  This scan estimates the nesting
 * from the characters alone (brackets, pending `?` per bracket level,
 * runs of prefix `-`/`!`), never below what the lowering will count, and
 * reports the input before tree-sitter sees it.  The lowering's depth
 * check stays the exact one: the slack here only keeps the two from
 * disagreeing by an off-by-one. */
static bool prescan_nesting(lower_ctx *c) {
  const char *z = c->t->text;
  size_t n = c->t->src.len;
  uint32_t limit = c->limits->max_depth + 2;
  uint32_t *base = mem_alloc((limit + 2) * sizeof *base); /* per open bracket: depth at its opening */
  uint32_t *qs = mem_alloc((limit + 2) * sizeof *qs);     /* per level: pending '?' */
  if (!base || !qs) {
    mem_free(base);
    mem_free(qs);
    c->nomem = true;
    return false;
  }
  uint32_t level = 0, unary = 0;
  base[0] = 0;
  qs[0] = 0;
  bool operand = false; /* just after an operand: '-' is binary */
  bool ok = true;
  for (size_t i = 0; i < n && ok;) {
    char ch = z[i];
    if (ch == '/' && i + 1 < n && z[i + 1] == '/') {
      while (i < n && z[i] != '\n') i++;
      continue;
    }
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
        (ch == '.' && i + 1 < n && z[i + 1] >= '0' && z[i + 1] <= '9' && !operand)) {
      size_t w = i;
      bool raw = false;
      while (w < n && ((z[w] >= 'a' && z[w] <= 'z') || (z[w] >= 'A' && z[w] <= 'Z') || (z[w] >= '0' && z[w] <= '9') ||
                       z[w] == '_' || z[w] == '.')) {
        if (z[w] == 'r' || z[w] == 'R') raw = true;
        w++;
      }
      if (w < n && (z[w] == '"' || z[w] == '\'') && w - i <= 2) {
        i = skip_string(z, n, w, raw); /* a prefixed string */
      } else {
        /* `in` is an operator; any other word or number is an operand. */
        bool is_in = w - i == 2 && z[i] == 'i' && z[i + 1] == 'n';
        i = w;
        operand = !is_in;
        if (operand) unary = 0;
        continue;
      }
      operand = true;
      unary = 0;
      continue;
    }
    switch (ch) {
    case '"':
    case '\'':
      i = skip_string(z, n, i, false);
      operand = true;
      unary = 0;
      continue;
    case '`': /* a field name in backticks */
      i++;
      while (i < n && z[i] != '`' && z[i] != '\n') i++;
      i++;
      operand = true;
      unary = 0;
      continue;
    case '(':
    case '[':
    case '{':
      if (level + 1 >= limit) {
        ok = false;
        break;
      }
      base[level + 1] = base[level] + qs[level] + unary + 1;
      level++;
      qs[level] = 0;
      unary = 0;
      operand = false;
      break;
    case ')':
    case ']':
    case '}':
      if (level) level--;
      unary = 0;
      operand = true;
      break;
    case ',': qs[level] = 0; /* fall through */
    case '?':
    case ':':
      if (ch == '?') qs[level]++;
      unary = 0;
      operand = false;
      break;
    case '-':
    case '!':
      if (!operand && !(ch == '!' && i + 1 < n && z[i + 1] == '=')) {
        unary++;
        break;
      }
      operand = false;
      break;
    case ' ': case '\t': case '\r': case '\n': case '\f': case '\v': break;
    default: operand = false; break; /* any other operator */
    }
    if (ok && base[level] + qs[level] + unary > limit) ok = false;
    if (!ok) {
      char msg[96];
      snprintf(msg, sizeof msg, "expression is nested more than %u levels deep", c->limits->max_depth);
      report(c, RULECORE_DIAG_NESTING_TOO_DEEP, (uint32_t)i, 1, "%s", msg);
      break;
    }
    i++;
  }
  mem_free(base);
  mem_free(qs);
  return ok;
}

static bool check_utf8(lower_ctx *c) {
  const ast *t = c->t;
  size_t off = 0;
  bool ok = true;
  while (off < t->src.len) {
    size_t good = lit_utf8_valid_prefix(t->text + off, t->src.len - off);
    off += good;
    if (off >= t->src.len) break;
    ok = false;
    if (!diag_add(c->d, &t->src, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_INVALID_UTF8, off, 1,
                  "invalid UTF-8 byte 0x%02x", (unsigned char)t->text[off]))
      break;
    off++;
    while (off < t->src.len && ((unsigned char)t->text[off] & 0xC0) == 0x80) off++;
  }
  return ok;
}

rulecore_status syn_parse(const syn_limits *limits, const char *text, size_t len, const char *file, ast *t,
                          rulecore_diagnostics *d) {
  pthread_once(&ids_once, ids_init);
  lower_ctx c = {.limits = limits, .t = t, .d = d};
  bool too_large = len > limits->max_source_bytes;
  size_t kept = too_large ? limits->max_source_bytes : len;
  t->file = mem_strndup(file ? file : "<input>", strlen(file ? file : "<input>"));
  t->text = mem_strndup(text ? text : "", kept);
  if (!t->file || !t->text || !src_init(&t->src, t->text, kept, t->file)) return RULECORE_ERR_NOMEM;
  if (too_large) {
    diag_add(d, &t->src, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_SOURCE_TOO_LARGE, kept, 0,
             "source is %zu bytes long; the limit is %zu bytes", len, limits->max_source_bytes);
    return d->oom ? RULECORE_ERR_NOMEM : RULECORE_ERR_SOURCE;
  }
  if (!check_utf8(&c)) return d->oom ? RULECORE_ERR_NOMEM : RULECORE_ERR_SOURCE;
  if (!prescan_nesting(&c)) return c.nomem || d->oom ? RULECORE_ERR_NOMEM : RULECORE_ERR_SOURCE;

  /* tree-sitter's lexer takes a NUL byte for the end of input, yet CEL
   * allows one inside a string.  The parser gets a copy with each NUL made
   * 0x01, which lexes the same way inside a string and is as unexpected
   * outside one; literals are decoded from the original text. */
  char *lexed = t->text;
  if (memchr(t->text, '\0', kept)) {
    lexed = mem_strndup(t->text, kept);
    if (!lexed) return RULECORE_ERR_NOMEM;
    for (size_t i = 0; i < kept; i++)
      if (lexed[i] == '\0') lexed[i] = '\1';
  }
  TSParser *parser = ts_parser_new();
  ts_parser_set_language(parser, tree_sitter_rulecore());
  TSTree *tree = ts_parser_parse_string(parser, NULL, lexed, (uint32_t)kept);
  ts_parser_delete(parser);
  if (lexed != t->text) mem_free(lexed);
  if (!tree) return RULECORE_ERR_NOMEM;
  TSNode root = ts_tree_root_node(tree);
  if (ts_node_has_error(root)) {
    report_syntax_errors(&c, root);
  } else if (ts_node_symbol(root) != syms[SYM_SOURCE_FILE] || ts_node_is_null(field(root, FLD_EXPRESSION))) {
    uint32_t off = 0;
    off = skip_blank(t, 0);
    report(&c, RULECORE_DIAG_SYNTAX_ERROR, off, 0, "unexpected end of input; %s", "expected an expression");
  } else {
    TSTreeCursor cur = ts_tree_cursor_new(root);
    c.cur = &cur;
    c.kids = c.kids_small;
    c.kids_cap = ARRAY_LEN(c.kids_small);
    t->root = lower(&c, field(root, FLD_EXPRESSION), 0);
    if (c.kids != c.kids_small) mem_free(c.kids);
    c.cur = NULL;
    ts_tree_cursor_delete(&cur);
  }
  ts_tree_delete(tree);
  if (c.nomem || d->oom) return RULECORE_ERR_NOMEM;
  if (d->errors) {
    t->root = NULL;
    diag_sort(d);
    return RULECORE_ERR_SOURCE;
  }
  return RULECORE_OK;
}
