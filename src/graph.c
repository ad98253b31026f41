/*
 * graph.c: a ruleset's decision graph, and edge-list decisions, drawn as
 * Mermaid flowcharts or Graphviz digraphs (see graph.h), and the
 * rulecore_ruleset_graph / rulecore_decisions_graph functions.
 *
 * The decision graph is built from the ruleset's metadata only (the same
 * accessors a binding has): context variables, grouped from the fields
 * each decision and validation reads, then decisions, then validations,
 * each in declaration order; edges in the order of their targets.  An
 * evaluation adds each decision's outcome to its label and a style to
 * every node and edge.  Output depends on nothing but its inputs, so the
 * same ruleset and context always draw the same text.
 */
#include <stdio.h>
#include <string.h>

#include "eval.h"
#include "graph.h"
#include "schema.h"
#include "value.h"

/* ---- the model ---- */

/* The length of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  unsigned cp = c & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/* Append s[0..n) as clean text: valid UTF-8 kept, invalid bytes as U+FFFD,
 * control characters as spaces ('\n' kept when lines). */
static void put_clean(buf *b, const char *s, size_t n, bool lines) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    size_t len = utf8_seq(p + i, n - i);
    if (!len) {
      buf_puts(b, "\xEF\xBF\xBD");
      i++;
    } else if (len == 1 && (p[i] < 0x20 || p[i] == 0x7F)) {
      buf_putc(b, p[i] == '\n' && lines ? '\n' : ' ');
      i++;
    } else {
      buf_append(b, s + i, len);
      i += len;
    }
  }
}

/* Append at most max code points of s[0..n), and "…" when it was cut. */
static void put_cut(buf *b, const char *s, size_t n, size_t max) {
  size_t i = 0, cps = 0;
  while (i < n && cps < max) {
    unsigned char c = (unsigned char)s[i];
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + len > n) len = n - i;
    i += len;
    cps++;
  }
  buf_append(b, s, i);
  if (i < n) buf_puts(b, "\xE2\x80\xA6");
}

static const char *arena_take(graph *g, buf *b) {
  if (b->oom) {
    g->oom = true;
    buf_release(b);
    return NULL;
  }
  const char *z = arena_strndup(&g->arena, b->data ? b->data : "", b->len);
  buf_release(b);
  if (!z) g->oom = true;
  return z;
}

/* A node's id: prefix "_" name when name is made of [A-Za-z0-9_] only (a
 * decision's name always is), else prefix "x_" and name with every other
 * byte as "_XX" (hex) and '_' as "__".  Distinct names give distinct ids
 * (the two forms differ in the byte after the prefix), each a safe
 * identifier in both formats, never a Mermaid keyword such as `end`. */
static void put_id(buf *b, const char *prefix, const char *name) {
  static const char hex[] = "0123456789abcdef";
  bool plain = true;
  for (const unsigned char *p = (const unsigned char *)name; *p && plain; p++)
    plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
  buf_puts(b, prefix);
  if (plain) {
    buf_putc(b, '_');
    buf_puts(b, name);
    return;
  }
  buf_puts(b, "x_");
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) {
      buf_putc(b, (char)*p);
    } else if (*p == '_') {
      buf_puts(b, "__");
    } else {
      buf_putc(b, '_');
      buf_putc(b, hex[*p >> 4]);
      buf_putc(b, hex[*p & 15]);
    }
  }
}

INTERNAL uint32_t graph_find_node(const graph *g, const char *prefix, const char *name) {
  buf id = {0};
  put_id(&id, prefix, name);
  uint32_t found = UINT32_MAX;
  for (uint32_t i = 0; id.data && i < g->nnodes && found == UINT32_MAX; i++)
    if (strcmp(g->nodes[i].id, id.data) == 0) found = i;
  buf_release(&id);
  return found;
}

INTERNAL uint32_t graph_add_node(graph *g, const char *prefix, const char *name, const char *label,
                                 graph_shape shape, graph_style style) {
  if (g->oom) return UINT32_MAX;
  if (g->nnodes == g->capnodes) {
    uint32_t cap = g->capnodes ? g->capnodes * 2 : 16;
    graph_node *p = mem_realloc(g->nodes, cap * sizeof *p);
    if (!p) {
      g->oom = true;
      return UINT32_MAX;
    }
    g->nodes = p;
    g->capnodes = cap;
  }
  buf id = {0}, text = {0};
  put_id(&id, prefix, name);
  put_clean(&text, label, strlen(label), true);
  graph_node *n = &g->nodes[g->nnodes];
  n->id = arena_take(g, &id);
  n->label = arena_take(g, &text);
  n->shape = shape;
  n->style = style;
  if (g->oom) return UINT32_MAX;
  return g->nnodes++;
}

INTERNAL void graph_add_edge(graph *g, uint32_t from, uint32_t to, const char *label, graph_style style) {
  if (g->oom || from >= g->nnodes || to >= g->nnodes) return;
  if (g->nedges == g->capedges) {
    uint32_t cap = g->capedges ? g->capedges * 2 : 16;
    graph_edge *p = mem_realloc(g->edges, cap * sizeof *p);
    if (!p) {
      g->oom = true;
      return;
    }
    g->edges = p;
    g->capedges = cap;
  }
  graph_edge *e = &g->edges[g->nedges];
  e->from = from;
  e->to = to;
  e->style = style;
  e->label = NULL;
  if (label && *label) {
    buf text = {0};
    put_clean(&text, label, strlen(label), true);
    e->label = arena_take(g, &text);
    if (!e->label) return;
  }
  g->nedges++;
}

INTERNAL void graph_release(graph *g) {
  mem_free(g->nodes);
  mem_free(g->edges);
  arena_release(&g->arena);
  memset(g, 0, sizeof *g);
}

/* ---- rendering ---- */

typedef struct style_spec {
  const char *cls;     /* Mermaid class name (never `default`) */
  const char *mermaid; /* its classDef / linkStyle CSS */
  const char *fill, *color, *fontcolor; /* DOT; NULL: Graphviz's own */
  int penwidth;
} style_spec;

/* ORDER GRAPH_STYLE */
static const style_spec styles[GRAPH_STYLE_COUNT] = {
    {"plain", "", NULL, NULL, NULL, 1},
    {"taken", "fill:#d4f7d4,stroke:#2a7a2a,stroke-width:2px", "#d4f7d4", "#2a7a2a", NULL, 2},
    {"dflt", "fill:#f3f7d4,stroke:#7a7a2a,stroke-width:2px", "#f3f7d4", "#7a7a2a", NULL, 2},
    {"miss", "fill:#eeeeee,stroke:#999999,color:#666666", "#eeeeee", "#999999", "#666666", 1},
    {"failed", "fill:#fdd8d8,stroke:#cc0000,stroke-width:2px", "#fdd8d8", "#cc0000", NULL, 2},
    {"warned", "fill:#ffe8cc,stroke:#dd7700,stroke-width:2px", "#ffe8cc", "#dd7700", NULL, 2},
    {"passed", "fill:#d4f7d4,stroke:#2a7a2a", "#d4f7d4", "#2a7a2a", NULL, 1},
    {"skipped", "fill:#f6f6f6,stroke:#bbbbbb,color:#999999", "#f6f6f6", "#bbbbbb", "#999999", 1},
};

INTERNAL void graph_escape_mermaid(buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    /* what ends or re-reads a quoted label, an edge label or a markdown
     * string, and what the HTML label would read as markup: entities,
     * which Mermaid decodes after parsing */
    case '"': buf_puts(b, "#quot;"); break;
    case '#': buf_puts(b, "#35;"); break;
    case '<': buf_puts(b, "#lt;"); break;
    case '>': buf_puts(b, "#gt;"); break;
    case '&': buf_puts(b, "#amp;"); break;
    case '|': buf_puts(b, "#124;"); break;
    case '`': buf_puts(b, "#96;"); break;
    case '\n': buf_puts(b, "<br/>"); break;
    default: buf_putc(b, c < 0x20 ? ' ' : (char)c);
    }
  }
}

INTERNAL void graph_escape_dot(buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': buf_puts(b, "\\\""); break;
    case '\\': buf_puts(b, "\\\\"); break; /* also keeps \N, \G, \l... literal */
    case '\n': buf_puts(b, "\\n"); break;
    default: buf_putc(b, c < 0x20 ? ' ' : (char)c);
    }
  }
}

static void mermaid_node(buf *b, const graph_node *n) {
  static const char *const open[] = {"[\"", "(\"", "[/\"", "{{\""}, *const close[] = {"\"]", "\")", "\"/]", "\"}}"};
  buf_printf(b, "  %s%s", n->id, open[n->shape]);
  graph_escape_mermaid(b, n->label, strlen(n->label));
  buf_printf(b, "%s\n", close[n->shape]);
}

static void render_mermaid(buf *b, const graph *g) {
  buf_puts(b, "flowchart LR\n");
  for (uint32_t i = 0; i < g->nnodes; i++) mermaid_node(b, &g->nodes[i]);
  for (uint32_t i = 0; i < g->nedges; i++) {
    const graph_edge *e = &g->edges[i];
    buf_printf(b, "  %s -->", g->nodes[e->from].id);
    if (e->label) {
      buf_puts(b, "|\"");
      graph_escape_mermaid(b, e->label, strlen(e->label));
      buf_puts(b, "\"|");
    }
    buf_printf(b, " %s\n", g->nodes[e->to].id);
  }
  if (!g->highlighted) return;
  for (int s = GRAPH_TAKEN; s < GRAPH_STYLE_COUNT; s++) {
    bool used = false;
    for (uint32_t i = 0; i < g->nnodes && !used; i++) used = g->nodes[i].style == (graph_style)s;
    if (!used) continue;
    buf_printf(b, "  classDef %s %s\n  class ", styles[s].cls, styles[s].mermaid);
    bool first = true;
    for (uint32_t i = 0; i < g->nnodes; i++)
      if (g->nodes[i].style == (graph_style)s) {
        buf_printf(b, "%s%s", first ? "" : ",", g->nodes[i].id);
        first = false;
      }
    buf_printf(b, " %s\n", styles[s].cls);
  }
  for (int s = GRAPH_TAKEN; s < GRAPH_STYLE_COUNT; s++) {
    bool first = true;
    for (uint32_t i = 0; i < g->nedges; i++)
      if (g->edges[i].style == (graph_style)s) {
        buf_printf(b, "%s%u", first ? "  linkStyle " : ",", i);
        first = false;
      }
    if (first) continue;
    /* an edge takes the stroke of its style, not the node fill */
    buf_printf(b, " stroke:%s,stroke-width:%dpx\n", styles[s].color, styles[s].penwidth);
  }
}

static void dot_style(buf *b, const graph *g, graph_style s, bool node) {
  if (!g->highlighted || s == GRAPH_PLAIN) return;
  const style_spec *sp = &styles[s];
  if (node) buf_printf(b, ", fillcolor=\"%s\"", sp->fill);
  buf_printf(b, ", color=\"%s\"", sp->color);
  if (sp->fontcolor) buf_printf(b, ", fontcolor=\"%s\"", sp->fontcolor);
  if (sp->penwidth > 1) buf_printf(b, ", penwidth=%d", sp->penwidth);
}

static void render_dot(buf *b, const graph *g) {
  static const char *const shape[] = {"box", "box", "parallelogram", "hexagon"};
  buf_puts(b, "digraph rulecore {\n  rankdir=LR;\n  node [shape=box];\n");
  for (uint32_t i = 0; i < g->nnodes; i++) {
    const graph_node *n = &g->nodes[i];
    buf_printf(b, "  \"%s\" [label=\"", n->id);
    graph_escape_dot(b, n->label, strlen(n->label));
    buf_printf(b, "\", shape=%s", shape[n->shape]);
    bool filled = g->highlighted && n->style != GRAPH_PLAIN;
    if (n->shape == GRAPH_ROUNDED)
      buf_puts(b, filled ? ", style=\"rounded,filled\"" : ", style=rounded");
    else if (filled)
      buf_puts(b, ", style=filled");
    dot_style(b, g, n->style, true);
    buf_puts(b, "];\n");
  }
  for (uint32_t i = 0; i < g->nedges; i++) {
    const graph_edge *e = &g->edges[i];
    buf_printf(b, "  \"%s\" -> \"%s\"", g->nodes[e->from].id, g->nodes[e->to].id);
    buf attrs = {0};
    if (e->label) {
      buf_puts(&attrs, ", label=\"");
      graph_escape_dot(&attrs, e->label, strlen(e->label));
      buf_putc(&attrs, '"');
    }
    dot_style(&attrs, g, e->style, false);
    if (attrs.oom) b->oom = true;
    if (attrs.len > 2) buf_printf(b, " [%s]", attrs.data + 2); /* without the first ", " */
    buf_release(&attrs);
    buf_puts(b, ";\n");
  }
  buf_puts(b, "}\n");
}

INTERNAL char *graph_render(const graph *g, rulecore_graph_format format) {
  buf b = {0};
  if (format == RULECORE_GRAPH_DOT)
    render_dot(&b, g);
  else
    render_mermaid(&b, g);
  return buf_take(&b);
}

/* ---- the decision graph ---- */

/* The context variable (by slot order index into vars) a field path
 * belongs to: the longest variable name that is the path or a prefix of
 * it ending at a '.'.  NULL when none. */
static const schema_var *field_variable(const rulecore_schema *s, const char *field) {
  const schema_var *best = NULL;
  size_t best_len = 0;
  for (uint32_t i = 0; i < s->nvars; i++) {
    const schema_var *v = &s->vars[i];
    size_t n = strlen(v->name);
    if (v->computed || n <= best_len || strncmp(field, v->name, n) != 0) continue;
    if (field[n] == '\0' || field[n] == '.') best = v, best_len = n;
  }
  return best;
}

/* What one reader (a decision or a validation) reads: its fields' count
 * and k-th. */
typedef struct reader {
  size_t (*count)(const rulecore_ruleset *, size_t);
  const char *(*field)(const rulecore_ruleset *, size_t, size_t);
  size_t (*input_count)(const rulecore_ruleset *, size_t);
  size_t (*input)(const rulecore_ruleset *, size_t, size_t);
} reader;

static const reader decision_reader = {rulecore_ruleset_decision_field_count, rulecore_ruleset_decision_field,
                                       rulecore_ruleset_decision_input_count, rulecore_ruleset_decision_input};
static const reader validation_reader = {rulecore_ruleset_validation_field_count, rulecore_ruleset_validation_field,
                                         rulecore_ruleset_validation_input_count, rulecore_ruleset_validation_input};

/* The fields of reader i under variable v, joined: "age, tier" (the
 * variable read whole: "(whole)"); false when there is none. */
static bool fields_label(const rulecore_schema *s, const rulecore_ruleset *rs, const reader *rd, size_t i,
                         const schema_var *v, buf *out) {
  size_t n = rd->count(rs, i), vlen = strlen(v->name);
  bool any = false;
  for (size_t k = 0; k < n; k++) {
    const char *f = rd->field(rs, i, k);
    if (field_variable(s, f) != v) continue;
    buf_puts(out, any ? ", " : "");
    buf_puts(out, f[vlen] ? f + vlen + 1 : "(whole)");
    any = true;
  }
  return any;
}

static bool has_value(rulecore_outcome o) { return o == RULECORE_OUTCOME_RULE || o == RULECORE_OUTCOME_DEFAULT; }

static graph_style outcome_style(rulecore_outcome o) {
  switch (o) {
  case RULECORE_OUTCOME_RULE: return GRAPH_TAKEN;
  case RULECORE_OUTCOME_DEFAULT: return GRAPH_DEFAULT;
  case RULECORE_OUTCOME_NO_MATCH: return GRAPH_MISS;
  case RULECORE_OUTCOME_ERROR: return GRAPH_ERROR;
  default: return GRAPH_SKIPPED;
  }
}

#define VALUE_CUT 60
#define MESSAGE_CUT 80

/* Decision i's label: name, type and hit policy; with an evaluation, its
 * outcome on the next lines. */
static void decision_label(buf *b, const rulecore_ruleset *rs, const rulecore_decisions *taken, size_t i) {
  const char *spelled = rulecore_ruleset_decision_type(rs, i);
  buf_printf(b, "%s\n%s, %s", rulecore_ruleset_decision_name(rs, i), spelled ? spelled : "?",
             rulecore_ruleset_decision_hit_policy(rs, i));
  if (!taken) return;
  rulecore_outcome o = rulecore_decisions_outcome(taken, i);
  const rulecore_result *r = rulecore_decisions_value(taken, i);
  switch (o) {
  case RULECORE_OUTCOME_NOT_EVALUATED: buf_puts(b, "\nnot evaluated"); return;
  case RULECORE_OUTCOME_NO_MATCH: buf_puts(b, "\nno rule matched, no default"); return;
  case RULECORE_OUTCOME_ERROR: {
    const char *msg = r ? rulecore_result_error(r, NULL, NULL) : NULL;
    buf_puts(b, "\nerror: ");
    if (msg) put_cut(b, msg, strlen(msg), MESSAGE_CUT);
    return;
  }
  default: break;
  }
  buf text = {0};
  if (r) value_render(&text, r->result, RULECORE_FORMAT_TEXT);
  if (text.oom) b->oom = true;
  buf_puts(b, "\n= ");
  if (text.data) put_cut(b, text.data, text.len, VALUE_CUT);
  buf_release(&text);
  if (o == RULECORE_OUTCOME_DEFAULT) {
    buf_puts(b, "\n(default)");
    return;
  }
  size_t m = rulecore_decisions_matched_count(taken, i);
  const char *hit = rulecore_ruleset_decision_hit_policy(rs, i);
  if (m <= 1 || strncmp(hit, "collect", 7) != 0) {
    const char *rule = rulecore_decisions_rule(taken, i);
    if (rule) buf_printf(b, "\n(rule %s)", rule);
    else buf_puts(b, "\n(no rule matched)");
    return;
  }
  buf list = {0};
  for (size_t k = 0; k < m; k++) buf_printf(&list, "%s%s", k ? ", " : "", rulecore_decisions_matched(taken, i, k));
  if (list.oom) b->oom = true;
  buf_printf(b, "\n(%zu rules: ", m);
  if (list.data) put_cut(b, list.data, list.len, VALUE_CUT);
  buf_putc(b, ')');
  buf_release(&list);
}

/* Validation v's style with an evaluation, and its message when it failed. */
static graph_style validation_outcome(const rulecore_ruleset *rs, const rulecore_decisions *taken, size_t v,
                                      const char **message) {
  *message = NULL;
  const char *id = rulecore_ruleset_validation_id(rs, v);
  for (size_t k = 0; k < rulecore_decisions_violation_count(taken); k++)
    if (strcmp(rulecore_decisions_violation_id(taken, k), id) == 0) {
      *message = rulecore_decisions_violation_message(taken, k);
      return rulecore_decisions_violation_severity(taken, k) == RULECORE_SEVERITY_WARNING ? GRAPH_WARNED
                                                                                          : GRAPH_ERROR;
    }
  /* validations run when every decision they read was evaluated */
  for (size_t k = 0; k < rulecore_ruleset_validation_input_count(rs, v); k++)
    if (rulecore_decisions_outcome(taken, rulecore_ruleset_validation_input(rs, v, k)) ==
        RULECORE_OUTCOME_NOT_EVALUATED)
      return GRAPH_SKIPPED;
  return GRAPH_PASSED;
}

/* The style of an edge from a node of style from into a node of style to. */
static graph_style edge_style(graph_style from, graph_style to) {
  switch (to) {
  case GRAPH_TAKEN:
  case GRAPH_DEFAULT: return from == GRAPH_PLAIN || from == GRAPH_TAKEN || from == GRAPH_DEFAULT ? GRAPH_TAKEN : GRAPH_PLAIN;
  case GRAPH_PASSED: return GRAPH_TAKEN;
  case GRAPH_ERROR:
  case GRAPH_WARNED:
  case GRAPH_SKIPPED: return to;
  default: return GRAPH_PLAIN;
  }
}

/* Edges into node `to` (reader i) from the variables and decisions it reads. */
static void reader_edges(graph *g, const rulecore_ruleset *rs, const reader *rd, size_t i, uint32_t to,
                         const uint32_t *var_node, const uint32_t *dec_node) {
  const rulecore_schema *s = rulecore_ruleset_schema(rs);
  for (uint32_t v = 0; v < s->nvars; v++) {
    if (var_node[v] == UINT32_MAX) continue;
    buf label = {0};
    const schema_var *sv = NULL;
    for (uint32_t k = 0; k < s->nvars && !sv; k++)
      if (s->vars[k].index == v) sv = &s->vars[k];
    if (sv && fields_label(s, rs, rd, i, sv, &label)) {
      if (label.oom) g->oom = true;
      graph_add_edge(g, var_node[v], to, label.data, edge_style(GRAPH_PLAIN, g->nodes[to].style));
    }
    buf_release(&label);
  }
  for (size_t k = 0; k < rd->input_count(rs, i); k++) {
    uint32_t from = dec_node[rd->input(rs, i, k)];
    graph_add_edge(g, from, to, NULL, edge_style(g->nodes[from].style, g->nodes[to].style));
  }
}

static void build_decision_graph(graph *g, const rulecore_ruleset *rs, const rulecore_decisions *taken) {
  const rulecore_schema *s = rulecore_ruleset_schema(rs);
  size_t nd = rulecore_ruleset_decision_count(rs), nv = rulecore_ruleset_validation_count(rs);
  uint32_t *var_node = mem_alloc((s->nvars ? s->nvars : 1) * sizeof *var_node);
  uint32_t *dec_node = mem_alloc((nd ? nd : 1) * sizeof *dec_node);
  if (!var_node || !dec_node) {
    g->oom = true;
    goto done;
  }
  g->highlighted = taken != NULL;
  /* the context variables read by anything, in declaration (slot) order */
  for (uint32_t v = 0; v < s->nvars; v++) var_node[v] = UINT32_MAX;
  uint8_t *read = mem_calloc(s->nvars ? s->nvars : 1, 1);
  if (!read) {
    g->oom = true;
    goto done;
  }
  for (int pass = 0; pass < 2; pass++) {
    const reader *rd = pass ? &validation_reader : &decision_reader;
    size_t n = pass ? nv : nd;
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < rd->count(rs, i); k++) {
        const schema_var *sv = field_variable(s, rd->field(rs, i, k));
        if (sv) read[sv->index] = 1;
      }
  }
  for (uint32_t v = 0; v < s->nvars; v++) {
    if (!read[v]) continue;
    for (uint32_t k = 0; k < s->nvars; k++)
      if (s->vars[k].index == v)
        var_node[v] = graph_add_node(g, "in", s->vars[k].name, s->vars[k].name, GRAPH_INPUT, GRAPH_PLAIN);
  }
  mem_free(read);
  for (size_t i = 0; i < nd; i++) {
    buf label = {0};
    decision_label(&label, rs, taken, i);
    if (label.oom) g->oom = true;
    graph_style st = taken ? outcome_style(rulecore_decisions_outcome(taken, i)) : GRAPH_PLAIN;
    dec_node[i] = graph_add_node(g, "d", rulecore_ruleset_decision_name(rs, i), label.data ? label.data : "",
                                 GRAPH_ROUNDED, st);
    buf_release(&label);
  }
  uint32_t first_validation = g->nnodes;
  for (size_t v = 0; v < nv; v++) {
    buf label = {0};
    rulecore_severity sev = rulecore_ruleset_validation_severity(rs, v);
    buf_printf(&label, "%s\n%s", rulecore_ruleset_validation_id(rs, v),
               sev == RULECORE_SEVERITY_WARNING ? "warning" : "error");
    graph_style st = GRAPH_PLAIN;
    if (taken) {
      const char *message;
      st = validation_outcome(rs, taken, v, &message);
      if (message) {
        buf_puts(&label, "\nfailed: ");
        put_cut(&label, message, strlen(message), MESSAGE_CUT);
      } else {
        buf_puts(&label, st == GRAPH_PASSED ? "\nholds" : "\nnot run");
      }
    }
    if (label.oom) g->oom = true;
    graph_add_node(g, "v", rulecore_ruleset_validation_id(rs, v), label.data ? label.data : "", GRAPH_CHECK, st);
    buf_release(&label);
  }
  if (g->oom) goto done;
  for (size_t i = 0; i < nd; i++) reader_edges(g, rs, &decision_reader, i, dec_node[i], var_node, dec_node);
  for (size_t v = 0; v < nv; v++)
    reader_edges(g, rs, &validation_reader, v, first_validation + (uint32_t)v, var_node, dec_node);
  /* a variable's node: taken when an edge from it is, skipped when every
   * reader was skipped */
  for (uint32_t v = 0; taken && v < s->nvars; v++) {
    if (var_node[v] == UINT32_MAX) continue;
    bool any_taken = false, all_skipped = true;
    for (uint32_t e = 0; e < g->nedges; e++) {
      if (g->edges[e].from != var_node[v]) continue;
      any_taken |= g->edges[e].style == GRAPH_TAKEN;
      all_skipped &= g->edges[e].style == GRAPH_SKIPPED;
    }
    g->nodes[var_node[v]].style = any_taken ? GRAPH_TAKEN : all_skipped ? GRAPH_SKIPPED : GRAPH_PLAIN;
  }
done:
  mem_free(var_node);
  mem_free(dec_node);
}

RULECORE_API rulecore_status rulecore_ruleset_graph(const rulecore_ruleset *rs, const rulecore_decisions *taken,
                                                    rulecore_graph_format format, char **out) {
  if (out) *out = NULL;
  if (!rs || !out || (format != RULECORE_GRAPH_MERMAID && format != RULECORE_GRAPH_DOT)) return RULECORE_ERR_ARGUMENT;
  if (taken && rulecore_decisions_ruleset(taken) != rs) return RULECORE_ERR_ARGUMENT;
  graph g = {0};
  build_decision_graph(&g, rs, taken);
  char *text = g.oom ? NULL : graph_render(&g, format);
  graph_release(&g);
  if (!text) return RULECORE_ERR_NOMEM;
  *out = text;
  return RULECORE_OK;
}

/* ---- edge lists ---- */

static const type *decision_type(const rulecore_ruleset *rs, size_t decision) {
  const char *name = rulecore_ruleset_decision_name(rs, decision);
  const schema_var *v = name ? schema_variable(rulecore_ruleset_schema(rs), name) : NULL;
  return v && v->computed ? v->type : NULL;
}

static bool string_field(const type *record, const char *name, bool required) {
  const record_field *f = type_field(record, name);
  return f ? f->type->kind == TYPE_STRING : !required;
}

RULECORE_API int rulecore_ruleset_decision_is_edge_list(const rulecore_ruleset *rs, size_t decision) {
  const type *t = rs ? decision_type(rs, decision) : NULL;
  if (!t || t->kind != TYPE_LIST || !t->elem) return 0;
  const type *e = t->elem;
  if (e->kind == TYPE_RECORD)
    return string_field(e, "from", true) && string_field(e, "to", true) && string_field(e, "label", false);
  return e->kind == TYPE_MAP && e->key->kind == TYPE_STRING && e->elem->kind == TYPE_STRING;
}

/* The string an edge's element gives for name: *s set, or false when it
 * has none. */
static bool edge_part(value item, const char *name, str *s) {
  const value *v = NULL;
  if (item.kind == V_RECORD) {
    const record_field *f = type_field(item.r->type, name);
    v = f ? &item.r->fields[f->index] : NULL;
  } else if (item.kind == V_MAP) {
    v = value_map_get(item.m, v_string(name, (uint32_t)strlen(name)));
  }
  if (!v || v->kind != V_STRING) return false;
  s->p = v->s;
  s->n = v->n;
  return true;
}

/* Node for name (a string of n bytes) in g: found or added. */
static uint32_t edge_node(graph *g, str name) {
  char *z = mem_strndup(name.p, name.n);
  if (!z) {
    g->oom = true;
    return UINT32_MAX;
  }
  uint32_t i = graph_find_node(g, "n", z);
  if (i == UINT32_MAX) i = graph_add_node(g, "n", z, z, GRAPH_BOX, GRAPH_PLAIN);
  mem_free(z);
  return i;
}

RULECORE_API rulecore_status rulecore_decisions_graph(const rulecore_decisions *d, size_t decision,
                                                      rulecore_graph_format format, char **out) {
  if (out) *out = NULL;
  const rulecore_ruleset *rs = d ? rulecore_decisions_ruleset(d) : NULL;
  if (!rs || !out || decision >= rulecore_ruleset_decision_count(rs) ||
      !rulecore_ruleset_decision_is_edge_list(rs, decision) ||
      (format != RULECORE_GRAPH_MERMAID && format != RULECORE_GRAPH_DOT))
    return RULECORE_ERR_ARGUMENT;
  if (!has_value(rulecore_decisions_outcome(d, decision))) return RULECORE_ERR_EVAL;
  value list = rulecore_decisions_value(d, decision)->result;
  if (list.kind != V_LIST) return RULECORE_ERR_EVAL;
  graph g = {0};
  rulecore_status st = RULECORE_OK;
  for (uint32_t i = 0; i < list.l->n && !g.oom; i++) {
    str from, to, label = {NULL, 0};
    if (!edge_part(list.l->items[i], "from", &from) || !edge_part(list.l->items[i], "to", &to)) {
      st = RULECORE_ERR_EVAL;
      break;
    }
    bool labelled = edge_part(list.l->items[i], "label", &label);
    uint32_t a = edge_node(&g, from), b = edge_node(&g, to);
    char *z = labelled ? mem_strndup(label.p, label.n) : NULL;
    if (labelled && !z) g.oom = true;
    graph_add_edge(&g, a, b, z, GRAPH_PLAIN);
    mem_free(z);
  }
  char *text = NULL;
  if (st == RULECORE_OK && !g.oom) text = graph_render(&g, format);
  if (st == RULECORE_OK && !text) st = RULECORE_ERR_NOMEM;
  graph_release(&g);
  *out = text;
  return st;
}
