/*
 * explain.c: why each decision came out as it did.
 *
 * An explained evaluation (rulecore_decisions_set_explain) runs traced
 * copies of a ruleset's expressions (ruleset.c, compile_traced): every
 * node that is not a constant records its value into a slot.  This file
 * turns those slots back into the expressions' structure: per decision
 * the rules tried in priority order, each condition as a tree of its
 * sub-expressions with their values (an operator also with its operands'
 * values, `30 > 18`; `&&` and `||` with the side that decided), the value
 * and default; then the validations.  TEXT is for people, JSON for tools.
 */
#include <string.h>

#include "ast.h"
#include "ruleset.h"
#include "value.h"

#define NONE UINT32_MAX
#define MAX_SHOWN 72 /* bytes of an expression or value shown in TEXT before "..." */

typedef struct xr {
  buf *b;
  const rulecore_decisions *o;
  const trace_point *pts;
  const trace_slot *slots;
  bool json, colour;
} xr;

enum { C_OFF, C_DIM, C_GREEN, C_RED, C_BOLD };
static void colour(xr *X, int c) {
  static const char *const codes[] = {"\033[0m", "\033[2m", "\033[32m", "\033[31m", "\033[1m"};
  if (X->colour) buf_puts(X->b, codes[c]);
}

/* Append s[0..n) on one line (runs of white space as one space), cut to
 * max bytes (at a character boundary) with "..." (max 0: whole). */
static void put_flat(buf *b, const char *s, size_t n, size_t max) {
  size_t shown = 0;
  bool space = false;
  while (n && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ws = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (ws) {
      space = true;
      continue;
    }
    if (max && shown >= max && ((unsigned char)c & 0xC0) != 0x80) {
      buf_puts(b, "...");
      return;
    }
    if (space) buf_putc(b, ' '), shown++;
    space = false;
    buf_putc(b, c);
    shown++;
  }
}

/* A value as a CEL literal (errors as "error: message"), cut in TEXT. */
static void put_value(xr *X, buf *b, value v) {
  if (v.kind == V_ERROR) {
    buf_puts(b, "error: ");
    buf_puts(b, v.s ? v.s : "?");
    return;
  }
  buf t = {0};
  value_render(&t, v, RULECORE_FORMAT_TEXT);
  if (t.oom) b->oom = true;
  put_flat(b, t.data ? t.data : "", t.len, X->json ? 0 : MAX_SHOWN);
  buf_release(&t);
}

static void put_json_value(xr *X, value v) {
  buf t = {0};
  put_value(X, &t, v);
  if (t.oom) X->b->oom = true;
  buf_json_string(X->b, t.data ? t.data : "", t.len);
  buf_release(&t);
}

static void indent(xr *X, int depth) {
  for (int i = 0; i < depth; i++) buf_puts(X->b, "  ");
}

/* The child point of p over bytes [off, off+len) of the expression, or NONE. */
static uint32_t operand_point(xr *X, const rs_expr *x, uint32_t p, uint32_t off, uint32_t len) {
  for (uint32_t i = x->tfirst; i < p; i++)
    if (X->pts[i].parent == p && X->pts[i].offset == off && X->pts[i].length == len) return i;
  return NONE;
}

/* Whether child point c of an operator is shown inline only: a read of a
 * variable or field, whose value the operator's operands already show. */
static bool inline_only(xr *X, const rs_expr *x, uint32_t p, uint32_t c) {
  const trace_point *pp = &X->pts[p], *cp = &X->pts[c];
  if (cp->kind != AST_IDENT && cp->kind != AST_SELECT) return false;
  for (int k = 0; k < pp->nkids; k++)
    if (operand_point(X, x, p, pp->kid_offset[k], pp->kid_length[k]) == c) return true;
  return false;
}

/* Operand k of operator point p: its value, or its text when a constant. */
static void put_operand(xr *X, buf *b, const rs_expr *x, uint32_t p, int k) {
  const trace_point *pp = &X->pts[p];
  uint32_t c = operand_point(X, x, p, pp->kid_offset[k], pp->kid_length[k]);
  if (c == NONE) {
    put_flat(b, x->text + pp->kid_offset[k], pp->kid_length[k], X->json ? 0 : MAX_SHOWN);
  } else if (!X->slots[c].hits) {
    buf_puts(b, "(not evaluated)");
  } else {
    put_value(X, b, X->slots[c].v);
  }
}

/* "left" or "right": which side of && or || point p decided its value. */
static const char *decided_by(xr *X, const rs_expr *x, uint32_t p) {
  const trace_point *pp = &X->pts[p];
  if (pp->kind != AST_BINARY || (pp->op != OP_AND && pp->op != OP_OR) || !X->slots[p].hits) return NULL;
  uint32_t r = operand_point(X, x, p, pp->kid_offset[1], pp->kid_length[1]);
  return r != NONE && X->slots[r].hits ? "right" : "left";
}

static void render_point(xr *X, const rs_expr *x, uint32_t p, int depth);

static void render_kids(xr *X, const rs_expr *x, uint32_t p, int depth) {
  bool first = true;
  for (uint32_t c = x->tfirst; c < p; c++) {
    if (X->pts[c].parent != p || inline_only(X, x, p, c)) continue;
    if (X->json) buf_puts(X->b, first ? "" : ",");
    first = false;
    render_point(X, x, c, depth);
  }
}

static void render_point(xr *X, const rs_expr *x, uint32_t p, int depth) {
  const trace_point *pt = &X->pts[p];
  const trace_slot *s = &X->slots[p];
  buf *b = X->b;
  const char *side = decided_by(X, x, p);
  if (X->json) {
    buf_puts(b, "{\"expr\":");
    buf t = {0};
    put_flat(&t, x->text + pt->offset, pt->length, 0);
    buf_json_string(b, t.data ? t.data : "", t.len);
    if (t.oom) b->oom = true;
    buf_release(&t);
    buf_printf(b, ",\"evaluated\":%s", s->hits ? "true" : "false");
    if (s->hits) {
      buf_puts(b, s->v.kind == V_ERROR ? ",\"error\":" : ",\"value\":");
      if (s->v.kind == V_ERROR)
        buf_json_string(b, s->v.s ? s->v.s : "?", s->v.s ? strlen(s->v.s) : 1);
      else
        put_json_value(X, s->v);
      if (s->hits > 1) buf_printf(b, ",\"times\":%u", s->hits);
      if (pt->nkids) {
        buf_puts(b, ",\"operands\":[");
        for (int k = 0; k < pt->nkids; k++) {
          buf o = {0};
          put_operand(X, &o, x, p, k);
          if (o.oom) b->oom = true;
          buf_puts(b, k ? "," : "");
          buf_json_string(b, o.data ? o.data : "", o.len);
          buf_release(&o);
        }
        buf_putc(b, ']');
      }
      if (side) buf_printf(b, ",\"decided_by\":\"%s\"", side);
    }
    buf_puts(b, ",\"parts\":[");
    render_kids(X, x, p, depth + 1);
    buf_puts(b, "]}");
    return;
  }
  indent(X, depth);
  put_flat(b, x->text + pt->offset, pt->length, MAX_SHOWN);
  buf_puts(b, "  ->  ");
  if (!s->hits) {
    colour(X, C_DIM);
    buf_puts(b, "not evaluated");
    colour(X, C_OFF);
    buf_putc(b, '\n');
    return;
  }
  if (pt->nkids && s->v.kind != V_ERROR) {
    if (pt->nkids == 2) {
      put_operand(X, b, x, p, 0);
      buf_printf(b, " %s ", ast_op_token((ast_op)pt->op));
      put_operand(X, b, x, p, 1);
    } else {
      buf_puts(b, ast_op_token((ast_op)pt->op));
      put_operand(X, b, x, p, 0);
    }
    buf_puts(b, "  ->  ");
  }
  bool is_bool = s->v.kind == V_BOOL;
  colour(X, s->v.kind == V_ERROR ? C_RED : is_bool ? (s->v.b ? C_GREEN : C_RED) : C_BOLD);
  put_value(X, b, s->v);
  colour(X, C_OFF);
  if (s->hits > 1) buf_printf(b, "  (evaluated %u times; the last shown)", s->hits);
  if (side) buf_printf(b, "  (the %s side decided)", side);
  buf_putc(b, '\n');
  render_kids(X, x, p, depth + 1);
}

/* Expression x's trace: its top points (normally one: the root). */
static void render_expr(xr *X, const rs_expr *x, int depth) {
  bool first = true;
  if (X->json) buf_putc(X->b, '[');
  for (uint32_t p = x->tfirst; p < x->tfirst + x->tn; p++) {
    if (X->pts[p].parent != NONE) continue;
    if (X->json) buf_puts(X->b, first ? "" : ",");
    first = false;
    render_point(X, x, p, depth);
  }
  if (X->json) buf_putc(X->b, ']');
}

/* A line "label  <expr>  ->  value" for an expression that was not traced
 * (a constant), or its trace. */
static void render_part(xr *X, const char *label, const rs_expr *x, int depth, bool ran) {
  buf *b = X->b;
  if (X->json) {
    buf_printf(b, ",\"%s\":", label);
    if (x->tn) {
      render_expr(X, x, depth);
    } else {
      buf_puts(b, "[{\"expr\":");
      buf t = {0};
      put_flat(&t, x->text, x->len, 0);
      buf_json_string(b, t.data ? t.data : "", t.len);
      buf_release(&t);
      buf_printf(b, ",\"evaluated\":%s", ran ? "true" : "false");
      if (ran && x->constant) {
        buf_puts(b, ",\"value\":");
        put_json_value(X, x->k);
      }
      buf_puts(b, ",\"parts\":[]}]");
    }
    return;
  }
  if (x->tn) {
    indent(X, depth);
    buf_printf(b, "%s:\n", label);
    render_expr(X, x, depth + 1);
    return;
  }
  indent(X, depth);
  buf_printf(b, "%s: ", label);
  put_flat(b, x->text, x->len, MAX_SHOWN);
  buf_putc(b, '\n');
}

static bool rule_matched(const rulecore_decisions *o, uint32_t dec, uint32_t k) {
  const dec_state *s = &o->st[dec];
  for (uint32_t m = 0; m < s->mcount; m++)
    if (o->matched[s->mstart + m] == k) return true;
  return false;
}

static void render_decision(xr *X, uint32_t i, bool first) {
  const rulecore_decisions *o = X->o;
  const rs_decision *dc = &o->xp->decisions[i];
  const dec_state *s = &o->st[i];
  const value *v = &o->views[i].result;
  buf *b = X->b;
  bool err = s->outcome == RULECORE_OUTCOME_ERROR;
  if (X->json) {
    buf_puts(b, first ? "{\"name\":" : ",{\"name\":");
    buf_json_string(b, dc->name, strlen(dc->name));
    buf_puts(b, ",\"type\":");
    buf_json_string(b, dc->type_name ? dc->type_name : "", dc->type_name ? strlen(dc->type_name) : 0);
    buf_printf(b, ",\"hit\":\"%s\",\"outcome\":\"%s\"", dc->hit_name, rs_outcome_names[s->outcome]);
    if (err) {
      buf_puts(b, ",\"error\":");
      buf_json_string(b, v->s ? v->s : "?", v->s ? strlen(v->s) : 1);
    } else if (s->outcome == RULECORE_OUTCOME_RULE || s->outcome == RULECORE_OUTCOME_DEFAULT) {
      buf_puts(b, ",\"value\":");
      put_json_value(X, *v);
    }
    const char *rule = rulecore_decisions_rule(o, i);
    if (rule) {
      buf_puts(b, ",\"rule\":");
      buf_json_string(b, rule, strlen(rule));
    }
    buf_puts(b, ",\"rules\":[");
  } else {
    colour(X, C_BOLD);
    buf_printf(b, "%s", dc->name);
    colour(X, C_OFF);
    buf_printf(b, " (%s, hit policy %s) = ", dc->type_name ? dc->type_name : "?", dc->hit_name);
    switch (s->outcome) {
    case RULECORE_OUTCOME_NO_MATCH: buf_puts(b, "no value: no rule matched, no default\n"); break;
    case RULECORE_OUTCOME_ERROR:
      colour(X, C_RED);
      buf_printf(b, "error: %s\n", v->s ? v->s : "?");
      colour(X, C_OFF);
      break;
    default:
      put_value(X, b, *v);
      if (s->outcome == RULECORE_OUTCOME_DEFAULT) buf_puts(b, "   (default)\n");
      else if (s->rule >= 0) buf_printf(b, "   (rule %s)\n", dc->rules[s->rule].id);
      else buf_puts(b, "   (no rule matched)\n");
    }
  }
  uint32_t nt = 0;
  for (uint32_t k = 0; k < dc->nrules; k++) {
    const rs_rule *r = &dc->rules[k];
    bool tried = k < s->tried;
    bool m = tried && rule_matched(o, i, k);
    /* the last rule tried failed (its condition, or its value) */
    bool failed = err && tried && k + 1 == s->tried;
    const char *status = !tried ? "not tried" : failed ? "error" : m ? "matched" : "no match";
    if (X->json) {
      buf_puts(b, k ? ",{\"id\":" : "{\"id\":");
      buf_json_string(b, r->id, strlen(r->id));
      buf_printf(b, ",\"priority\":%lld,\"status\":\"%s\"", (long long)r->priority, status);
      if (tried && r->when.prog) render_part(X, "when", &r->when, 0, true);
      if (m && r->value.prog) render_part(X, "then", &r->value, 0, true);
      buf_putc(b, '}');
      continue;
    }
    if (!tried) {
      nt++;
      continue;
    }
    indent(X, 1);
    colour(X, failed ? C_RED : m ? C_GREEN : C_DIM);
    buf_printf(b, "rule %s", r->id);
    colour(X, C_OFF);
    if (r->priority) buf_printf(b, " (priority %lld)", (long long)r->priority);
    buf_printf(b, ": %s\n", status);
    if (r->when.prog) render_part(X, "when", &r->when, 2, true);
    else {
      indent(X, 2);
      buf_puts(b, "when: (no condition: always)\n");
    }
    if (m && r->value.prog) render_part(X, "then", &r->value, 2, true);
  }
  if (X->json) {
    buf_putc(b, ']');
    if (dc->deflt.prog && s->outcome == RULECORE_OUTCOME_DEFAULT) render_part(X, "default", &dc->deflt, 0, true);
    buf_putc(b, '}');
    return;
  }
  if (nt) {
    indent(X, 1);
    colour(X, C_DIM);
    buf_printf(b, "not tried (%s):", dc->hit == HIT_FIRST ? "the first match decides" : "an earlier rule failed");
    for (uint32_t k = s->tried; k < dc->nrules; k++) buf_printf(b, " %s", dc->rules[k].id);
    colour(X, C_OFF);
    buf_putc(b, '\n');
  }
  if (dc->deflt.prog && s->outcome == RULECORE_OUTCOME_DEFAULT) render_part(X, "default", &dc->deflt, 1, true);
}

static void render_validation(xr *X, uint32_t i, bool first) {
  const rulecore_decisions *o = X->o;
  const rs_validation *v = &o->xp->validations[i];
  buf *b = X->b;
  bool ran = true;
  for (uint32_t k = 0; ran && k < v->ninputs; k++) ran = o->need[v->inputs[k]];
  const char *message = NULL;
  for (uint32_t k = 0; k < o->nviols; k++)
    if (o->viols[k].validation == i) message = o->viols[k].message;
  const char *status = !ran ? "not evaluated" : message ? "violated" : "holds";
  const char *sev = v->severity == RULECORE_SEVERITY_WARNING ? "warning" : "error";
  if (X->json) {
    buf_puts(b, first ? "{\"id\":" : ",{\"id\":");
    buf_json_string(b, v->id, strlen(v->id));
    buf_printf(b, ",\"severity\":\"%s\",\"status\":\"%s\"", sev, status);
    if (message) {
      buf_puts(b, ",\"message\":");
      buf_json_string(b, message, strlen(message));
    }
    if (ran && v->expr.prog) render_part(X, "expr", &v->expr, 0, true);
    buf_putc(b, '}');
    return;
  }
  indent(X, 1);
  colour(X, !ran ? C_DIM : message ? C_RED : C_GREEN);
  buf_printf(b, "%s", v->id);
  colour(X, C_OFF);
  buf_printf(b, " (%s): %s", sev, status);
  if (message) buf_printf(b, ": %s", message);
  buf_putc(b, '\n');
  if (ran && v->expr.prog) render_part(X, "expr", &v->expr, 2, true);
}

void explain_render(buf *b, const rulecore_decisions *o, rulecore_format format, bool colour_on) {
  const rulecore_ruleset *rs = o->rs;
  xr X = {b, o, o->xp->tr.points, o->xp->slots, format == RULECORE_FORMAT_JSON, colour_on && format == RULECORE_FORMAT_TEXT};
  if (X.json) buf_printf(b, "{\"revision\":\"%s\",\"decisions\":[", rs->revision);
  bool first = true;
  for (uint32_t k = 0; k < rs->ndecisions; k++) {
    uint32_t d = rs->order[k];
    if (o->st[d].outcome == RULECORE_OUTCOME_NOT_EVALUATED) continue;
    render_decision(&X, d, first);
    first = false;
  }
  if (X.json) buf_puts(b, "],\"validations\":[");
  else if (rs->nvalidations) buf_puts(b, "validations:\n");
  for (uint32_t i = 0; i < rs->nvalidations; i++) render_validation(&X, i, i == 0);
  if (X.json) buf_puts(b, "]}\n");
}
