/*
 * check_graph.c: the diagrams of src/graph.c: the fields rulesets record
 * for them, rulecore_ruleset_graph and rulecore_decisions_graph (NULL
 * handling, outcomes, errors of edge lists) and the escaping of hostile
 * labels in both formats, checked by scanning every quoted string.
 *
 * Rulesets come from the source tree (t/rulesets/pricing and
 * t/rulesets/graph-hostile, whose labels hold quotes, markup, pipes,
 * newlines and Chinese text).  Whether the output parses is checked by
 * the real tools in t/graph-render.sh.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "graph.h"

/* ---- the source tree ---- */

static const char *src_path(const char *rel) {
  static char path[4300];
  const char *top = getenv("top_srcdir");
  if (!top || !*top) {
    struct stat st;
    top = stat("t/rulesets/pricing/pricing.lua", &st) == 0 ? "." : "..";
  }
  snprintf(path, sizeof path, "%s/%s", top, rel);
  return path;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *z = malloc((size_t)n + 1);
  if (z && fread(z, 1, (size_t)n, f) != (size_t)n) {
    free(z);
    z = NULL;
  }
  fclose(f);
  if (z) z[n] = '\0';
  return z;
}

/* ---- the objects of a test, freed by the fixture ---- */

static rulecore_ruleset *RS, *RS2;
static rulecore_decisions *OUT;
static rulecore_activation *ACT;
static char *TEXT;

static void setup(void) { RS = RS2 = NULL, OUT = NULL, ACT = NULL, TEXT = NULL; }

static void teardown(void) {
  rulecore_decisions_free(OUT);
  rulecore_activation_free(ACT);
  rulecore_ruleset_free(RS);
  rulecore_ruleset_free(RS2);
  rulecore_free(TEXT);
  setup();
}

static rulecore_ruleset *load(const char *rel) {
  rulecore_ruleset *rs = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_ruleset_load(NULL, src_path(rel), &rs, &d);
  char *why = st == RULECORE_OK ? NULL : rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT);
  char msg[2048];
  snprintf(msg, sizeof msg, "%s", why ? why : "");
  rulecore_free(why);
  rulecore_diagnostics_free(d);
  ck_assert_msg(st == RULECORE_OK, "%s does not load: %s", rel, msg);
  return rs;
}

/* Evaluate RS (all decisions, or just one) against the JSON file rel into OUT. */
static void eval_file(const char *rel, const char *only) {
  char *json = slurp(src_path(rel));
  ck_assert_msg(json != NULL, "cannot read %s", rel);
  rulecore_activation_free(ACT);
  ACT = rulecore_activation_new(rulecore_ruleset_schema(RS));
  rulecore_status st = rulecore_activation_set_json(ACT, json, strlen(json), RULECORE_JSON_PLAIN, NULL);
  free(json);
  ck_assert_int_eq(st, RULECORE_OK);
  if (!OUT) OUT = rulecore_decisions_new();
  const char *names[1] = {only};
  ck_assert_int_eq(rulecore_ruleset_eval(RS, ACT, only ? names : NULL, only ? 1 : 0, OUT), RULECORE_OK);
}

static size_t dec(const char *name) {
  int32_t i = rulecore_ruleset_decision_index(RS, name);
  ck_assert_msg(i >= 0, "no decision %s", name);
  return (size_t)i;
}

/* Draw into TEXT (the previous one freed). */
static rulecore_status draw(const rulecore_decisions *taken, rulecore_graph_format f) {
  rulecore_free(TEXT);
  TEXT = NULL;
  return rulecore_ruleset_graph(RS, taken, f, &TEXT);
}
static rulecore_status draw_edges(const char *name, rulecore_graph_format f) {
  rulecore_free(TEXT);
  TEXT = NULL;
  return rulecore_decisions_graph(OUT, dec(name), f, &TEXT);
}

#define assert_contains(hay, needle) \
  ck_assert_msg(strstr((hay), (needle)) != NULL, "output lacks \"%s\"", show((needle), strlen(needle)))
#define assert_lacks(hay, needle) \
  ck_assert_msg(strstr((hay), (needle)) == NULL, "output has \"%s\"", show((needle), strlen(needle)))

/* ---- scanners of the quoted strings of each format ---- */

/* NULL when every double-quoted string of Mermaid text t is clean: no
 * raw <, >, &, |, ` (but the <br/> line breaks), every # starting an
 * entity (#name; or #123;), quotes paired on each line; else why. */
static const char *mermaid_unclean(const char *t) {
  static char why[200];
  for (const char *line = t; *line;) {
    const char *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    bool in = false;
    for (const char *p = line; p < end; p++) {
      if (*p == '"') {
        in = !in;
        continue;
      }
      if (!in) continue;
      if (strncmp(p, "<br/>", 5) == 0) {
        p += 4;
        continue;
      }
      if (*p == '#') {
        const char *q = p + 1;
        while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9')) q++;
        if (q == p + 1 || *q != ';') {
          snprintf(why, sizeof why, "a bare # in \"%.60s\"", line);
          return why;
        }
        p = q;
        continue;
      }
      if (strchr("<>&|`", *p)) {
        snprintf(why, sizeof why, "a raw '%c' in \"%.60s\"", *p, line);
        return why;
      }
    }
    if (in) {
      snprintf(why, sizeof why, "an unpaired quote in \"%.60s\"", line);
      return why;
    }
    line = *end ? end + 1 : end;
  }
  return NULL;
}

/* NULL when every quoted string of DOT text t is well formed: each
 * backslash escapes \, " or n, strings end on their line. */
static const char *dot_unclean(const char *t) {
  static char why[200];
  for (const char *line = t; *line;) {
    const char *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    bool in = false;
    for (const char *p = line; p < end; p++) {
      if (*p == '"') {
        in = !in;
      } else if (in && *p == '\\') {
        if (p + 1 >= end || !strchr("\\\"n", p[1])) {
          snprintf(why, sizeof why, "a bare backslash in \"%.60s\"", line);
          return why;
        }
        p++;
      }
    }
    if (in) {
      snprintf(why, sizeof why, "an unterminated string in \"%.60s\"", line);
      return why;
    }
    line = *end ? end + 1 : end;
  }
  return NULL;
}

/* ---- metadata: the fields each decision and validation reads ---- */

START_TEST(test_fields) {
  RS = load("t/rulesets/pricing");
  size_t d = dec("discount"), s = dec("shipping");
  ck_assert_uint_eq(rulecore_ruleset_decision_field_count(RS, d), 2);
  ck_assert_str_eq(rulecore_ruleset_decision_field(RS, d, 0), "user.age"); /* sorted */
  ck_assert_str_eq(rulecore_ruleset_decision_field(RS, d, 1), "user.tier");
  ck_assert_ptr_null(rulecore_ruleset_decision_field(RS, d, 2));
  ck_assert_uint_eq(rulecore_ruleset_decision_field_count(RS, s), 1);
  ck_assert_str_eq(rulecore_ruleset_decision_field(RS, s, 0), "order.amount");
  /* a decision read is an input, not a field */
  ck_assert_uint_eq(rulecore_ruleset_decision_input_count(RS, s), 1);
  ck_assert_uint_eq(rulecore_ruleset_decision_input(RS, s, 0), d);
  ck_assert_uint_eq(rulecore_ruleset_validation_count(RS), 1);
  ck_assert_uint_eq(rulecore_ruleset_validation_input_count(RS, 0), 1);
  ck_assert_uint_eq(rulecore_ruleset_validation_input(RS, 0, 0), d);
  ck_assert_uint_eq(rulecore_ruleset_validation_field_count(RS, 0), 1);
  ck_assert_str_eq(rulecore_ruleset_validation_field(RS, 0, 0), "user.age");
  /* out of range and NULL */
  ck_assert_uint_eq(rulecore_ruleset_decision_field_count(RS, 99), 0);
  ck_assert_ptr_null(rulecore_ruleset_decision_field(RS, 99, 0));
  ck_assert_uint_eq(rulecore_ruleset_decision_field_count(NULL, 0), 0);
  ck_assert_ptr_null(rulecore_ruleset_decision_field(NULL, 0, 0));
  ck_assert_uint_eq(rulecore_ruleset_validation_input_count(RS, 1), 0);
  ck_assert_uint_eq(rulecore_ruleset_validation_input_count(NULL, 0), 0);
  ck_assert_uint_eq(rulecore_ruleset_validation_field_count(NULL, 0), 0);
  ck_assert_ptr_null(rulecore_ruleset_validation_field(RS, 0, 1));
}
END_TEST

START_TEST(test_fields_whole_and_nested) {
  RS = load("t/rulesets/graph-hostile");
  /* who.name read in a condition and a value: once */
  size_t e = dec("echo");
  ck_assert_uint_eq(rulecore_ruleset_decision_field_count(RS, e), 2);
  ck_assert_str_eq(rulecore_ruleset_decision_field(RS, e, 0), "who.name");
  ck_assert_str_eq(rulecore_ruleset_decision_field(RS, e, 1), "who.note");
  size_t n = dec("names");
  ck_assert_uint_eq(rulecore_ruleset_decision_field_count(RS, n), 2);
  ck_assert_str_eq(rulecore_ruleset_decision_field(RS, n, 0), "end.x");
  /* the message's fields count too */
  ck_assert_str_eq(rulecore_ruleset_validation_field(RS, 1, 0), "who.name");
}
END_TEST

/* ---- rulecore_ruleset_graph ---- */

START_TEST(test_graph_null) {
  char *out = (char *)1;
  ck_assert_int_eq(rulecore_ruleset_graph(NULL, NULL, RULECORE_GRAPH_MERMAID, &out), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(out);
  RS = load("t/rulesets/pricing");
  ck_assert_int_eq(rulecore_ruleset_graph(RS, NULL, RULECORE_GRAPH_MERMAID, NULL), RULECORE_ERR_ARGUMENT);
  out = (char *)1;
  ck_assert_int_eq(rulecore_ruleset_graph(RS, NULL, (rulecore_graph_format)7, &out), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(out);
  /* an outcome never evaluated, or of another ruleset */
  OUT = rulecore_decisions_new();
  ck_assert_int_eq(draw(OUT, RULECORE_GRAPH_DOT), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(TEXT);
  RS2 = load("t/rulesets/pricing");
  eval_file("t/rulesets/pricing/order.json", NULL);
  ck_assert_int_eq(rulecore_ruleset_graph(RS2, OUT, RULECORE_GRAPH_DOT, &TEXT), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(TEXT);
  ck_assert_int_eq(draw(OUT, RULECORE_GRAPH_DOT), RULECORE_OK);
  ck_assert_ptr_nonnull(TEXT);
}
END_TEST

START_TEST(test_graph_plain_mermaid) {
  RS = load("t/rulesets/pricing");
  ck_assert_int_eq(draw(NULL, RULECORE_GRAPH_MERMAID), RULECORE_OK);
  assert_text_eq(TEXT, "flowchart LR\n"
                       "  in_user[/\"user\"/]\n"
                       "  in_order[/\"order\"/]\n"
                       "  d_discount(\"discount<br/>double, first\")\n"
                       "  d_shipping(\"shipping<br/>string, first\")\n"
                       "  vx_minor_2ddiscount{{\"minor-discount<br/>error\"}}\n"
                       "  in_user -->|\"age, tier\"| d_discount\n"
                       "  in_order -->|\"amount\"| d_shipping\n"
                       "  d_discount --> d_shipping\n"
                       "  in_user -->|\"age\"| vx_minor_2ddiscount\n"
                       "  d_discount --> vx_minor_2ddiscount\n");
}
END_TEST

START_TEST(test_graph_outcomes) {
  RS = load("t/rulesets/pricing");
  eval_file("t/rulesets/pricing/order.json", NULL);
  ck_assert_int_eq(draw(OUT, RULECORE_GRAPH_MERMAID), RULECORE_OK);
  assert_contains(TEXT, "d_discount(\"discount<br/>double, first<br/>= 0.15<br/>(rule gold)\")");
  assert_contains(TEXT, "class in_user,in_order,d_discount,d_shipping taken\n");
  assert_contains(TEXT, "class vx_minor_2ddiscount passed\n");
  assert_contains(TEXT, "linkStyle 0,1,2,3,4 stroke:");
  /* only what was asked for, and what it reads, is evaluated */
  eval_file("t/rulesets/pricing/order.json", "discount");
  ck_assert_int_eq(draw(OUT, RULECORE_GRAPH_DOT), RULECORE_OK);
  assert_contains(TEXT, "\"d_shipping\" [label=\"shipping\\nstring, first\\nnot evaluated\"");
  assert_contains(TEXT, "\"in_order\" -> \"d_shipping\" [label=\"amount\", color=\"#bbbbbb\"");
  /* a failed validation is red */
  rulecore_activation_reset(ACT);
  const char *minor = "{\"user\": {\"tier\": \"gold\", \"age\": 15}, \"order\": {\"amount\": 50.0}}";
  ck_assert_int_eq(rulecore_activation_set_json(ACT, minor, strlen(minor), RULECORE_JSON_PLAIN, NULL), RULECORE_OK);
  ck_assert_int_eq(rulecore_ruleset_eval(RS, ACT, NULL, 0, OUT), RULECORE_OK);
  ck_assert_int_eq(draw(OUT, RULECORE_GRAPH_MERMAID), RULECORE_OK);
  assert_contains(TEXT, "failed: discount 0.15 is not allowed for minors");
  assert_contains(TEXT, "class vx_minor_2ddiscount failed\n");
}
END_TEST

START_TEST(test_graph_hostile_escaping) {
  RS = load("t/rulesets/graph-hostile");
  eval_file("t/rulesets/graph-hostile/who.json", NULL);
  ck_assert_int_eq(draw(OUT, RULECORE_GRAPH_MERMAID), RULECORE_OK);
  const char *why = mermaid_unclean(TEXT);
  ck_assert_msg(why == NULL, "mermaid: %s", why ? why : "");
  assert_contains(TEXT, "weird #quot;id#quot; #lt;v#gt; #amp; #124; #35;x 中文<br/>error");
  assert_contains(TEXT, "(rule say #quot;hi#quot; #lt;b#gt;#amp;amp;#lt;/b#gt; #124; #35;1)");
  /* a newline of a value is a line break of its label, not of the text */
  assert_contains(TEXT, " 中文<br/>second line#quot; #lt;n");
  assert_contains(TEXT, "class d_broken,d_broken_edges,vx_weird");
  assert_contains(TEXT, "class d_nothing miss\n");
  assert_contains(TEXT, "in_end[/\"end\"/]"); /* never the keyword `end` alone */
  ck_assert_int_eq(draw(OUT, RULECORE_GRAPH_DOT), RULECORE_OK);
  why = dot_unclean(TEXT);
  ck_assert_msg(why == NULL, "dot: %s", why ? why : "");
  assert_contains(TEXT, "[label=\"weird \\\"id\\\" <v> & | #x 中文\\nerror\\nfailed: echo was \\\"said");
  assert_contains(TEXT, "`x` \\\\ 中文\\nsecond line");
}
END_TEST

/* ---- the model: ids and labels ---- */

START_TEST(test_ids_and_labels) {
  graph g = {0};
  uint32_t a = graph_add_node(&g, "v", "a-", "a-", GRAPH_BOX, GRAPH_PLAIN);
  uint32_t b = graph_add_node(&g, "v", "a_2d", "x", GRAPH_BOX, GRAPH_PLAIN);
  uint32_t c = graph_add_node(&g, "v", "x_a_2d", "x", GRAPH_BOX, GRAPH_PLAIN);
  uint32_t d = graph_add_node(&g, "v", "end", "bad \xff\xfe utf-8\tand a tab\n", GRAPH_BOX, GRAPH_PLAIN);
  ck_assert_uint_eq(d, 3);
  ck_assert_str_eq(g.nodes[a].id, "vx_a_2d");
  ck_assert_str_eq(g.nodes[b].id, "v_a_2d");
  ck_assert_str_eq(g.nodes[c].id, "v_x_a_2d");
  ck_assert_str_eq(g.nodes[d].id, "v_end");
  ck_assert_str_eq(g.nodes[d].label, "bad \xEF\xBF\xBD\xEF\xBF\xBD utf-8 and a tab\n");
  ck_assert_uint_eq(graph_find_node(&g, "v", "a-"), a);
  ck_assert_uint_eq(graph_find_node(&g, "v", "nope"), UINT32_MAX);
  graph_add_edge(&g, a, 99, "dropped: no such node", GRAPH_PLAIN);
  ck_assert_uint_eq(g.nedges, 0);
  graph_release(&g);

  buf m = {0}, t = {0};
  const char *hostile = "\"q\" <b> & | # ` \\ 中文\nnext";
  graph_escape_mermaid(&m, hostile, strlen(hostile));
  graph_escape_dot(&t, hostile, strlen(hostile));
  ck_assert_str_eq(m.data, "#quot;q#quot; #lt;b#gt; #amp; #124; #35; #96; \\ 中文<br/>next");
  ck_assert_str_eq(t.data, "\\\"q\\\" <b> & | # ` \\\\ 中文\\nnext");
  buf_release(&m);
  buf_release(&t);
}
END_TEST

/* ---- rulecore_decisions_graph: edge lists ---- */

START_TEST(test_edges) {
  RS = load("t/rulesets/graph-hostile");
  ck_assert_int_eq(rulecore_ruleset_decision_is_edge_list(RS, dec("edges")), 1);
  ck_assert_int_eq(rulecore_ruleset_decision_is_edge_list(RS, dec("map_edges")), 1);
  ck_assert_int_eq(rulecore_ruleset_decision_is_edge_list(RS, dec("names")), 0);
  ck_assert_int_eq(rulecore_ruleset_decision_is_edge_list(RS, dec("echo")), 0);
  ck_assert_int_eq(rulecore_ruleset_decision_is_edge_list(RS, 99), 0);
  ck_assert_int_eq(rulecore_ruleset_decision_is_edge_list(NULL, 0), 0);
  eval_file("t/rulesets/graph-hostile/who.json", NULL);
  ck_assert_int_eq(draw_edges("edges", RULECORE_GRAPH_MERMAID), RULECORE_OK);
  assert_text_eq(TEXT, "flowchart LR\n"
                       "  n_end[\"end\"]\n"
                       "  nx_a_20_22quoted_22_20_3cnode_3e[\"a #quot;quoted#quot; #lt;node#gt;\"]\n"
                       "  n_graph[\"graph\"]\n"
                       "  n_subgraph[\"subgraph\"]\n"
                       "  nx_o_2dx[\"o-x\"]\n"
                       "  n_end -->|\"x#124;y #lt;z#gt; #amp; #35;1 中文\"| nx_a_20_22quoted_22_20_3cnode_3e\n"
                       "  nx_a_20_22quoted_22_20_3cnode_3e --> n_graph\n"
                       "  n_graph -->|\"back\\slash<br/>new line\"| n_end\n"
                       "  n_subgraph -->|\"Zhang #quot;三#quot; #lt;z#gt;\"| nx_o_2dx\n");
  ck_assert_int_eq(draw_edges("map_edges", RULECORE_GRAPH_DOT), RULECORE_OK);
  assert_contains(TEXT, "\"n_b\" -> \"n_c\";\n}\n");
  const char *why = dot_unclean(TEXT);
  ck_assert_msg(why == NULL, "dot: %s", why ? why : "");
  /* errors: another type, no value, an element without `to`, bad arguments */
  ck_assert_int_eq(draw_edges("names", RULECORE_GRAPH_MERMAID), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(TEXT);
  ck_assert_int_eq(draw_edges("nothing", RULECORE_GRAPH_MERMAID), RULECORE_ERR_EVAL);
  ck_assert_int_eq(draw_edges("broken_edges", RULECORE_GRAPH_MERMAID), RULECORE_ERR_EVAL);
  ck_assert_int_eq(draw_edges("bad_edges", RULECORE_GRAPH_DOT), RULECORE_ERR_EVAL);
  ck_assert_ptr_null(TEXT);
  char *out = (char *)1;
  ck_assert_int_eq(rulecore_decisions_graph(OUT, 99, RULECORE_GRAPH_DOT, &out), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(out);
  ck_assert_int_eq(rulecore_decisions_graph(NULL, 0, RULECORE_GRAPH_DOT, &out), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_decisions_graph(OUT, dec("edges"), RULECORE_GRAPH_DOT, NULL), RULECORE_ERR_ARGUMENT);
  ck_assert_int_eq(rulecore_decisions_graph(OUT, dec("edges"), (rulecore_graph_format)9, &out), RULECORE_ERR_ARGUMENT);
  /* evaluated without it: no value */
  eval_file("t/rulesets/graph-hostile/who.json", "echo");
  ck_assert_int_eq(draw_edges("edges", RULECORE_GRAPH_MERMAID), RULECORE_ERR_EVAL);
  /* never evaluated */
  rulecore_decisions *fresh = rulecore_decisions_new();
  ck_assert_int_eq(rulecore_decisions_graph(fresh, 0, RULECORE_GRAPH_DOT, &out), RULECORE_ERR_ARGUMENT);
  rulecore_decisions_free(fresh);
}
END_TEST

static Suite *suite_graph(void) {
  Suite *s = suite_create("graph");
  TCase *tc = tcase_create("fields");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_fields);
  tcase_add_test(tc, test_fields_whole_and_nested);
  suite_add_tcase(s, tc);
  tc = tcase_create("ruleset_graph");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_graph_null);
  tcase_add_test(tc, test_graph_plain_mermaid);
  tcase_add_test(tc, test_graph_outcomes);
  tcase_add_test(tc, test_graph_hostile_escaping);
  suite_add_tcase(s, tc);
  tc = tcase_create("model");
  tcase_add_test(tc, test_ids_and_labels);
  suite_add_tcase(s, tc);
  tc = tcase_create("decisions_graph");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_edges);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return check_main(suite_graph()); }
