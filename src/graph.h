/*
 * graph.h: diagrams of rulesets (src/graph.c).
 *
 * A graph is a list of nodes and labelled edges, built from a ruleset's
 * metadata (and an evaluation's outcomes) or from an edge-list value, and
 * rendered as Mermaid or Graphviz DOT by one function per format.  The
 * model is plain data in an arena: labels are UTF-8 text (lines separated
 * by '\n', invalid bytes already replaced), ids are safe identifiers, so
 * a renderer only has to escape and print.
 */
#ifndef RULECORE_GRAPH_H
#define RULECORE_GRAPH_H

#include "internal.h"
#include "mem.h"

typedef enum graph_shape { GRAPH_BOX, GRAPH_ROUNDED, GRAPH_INPUT, GRAPH_CHECK } graph_shape;

/* ORDER GRAPH_STYLE: graph.c's style table follows this order. */
typedef enum graph_style {
  GRAPH_PLAIN,   /* no evaluation shown */
  GRAPH_TAKEN,   /* produced a value by a rule / an edge on that path */
  GRAPH_DEFAULT, /* produced its default */
  GRAPH_MISS,    /* no rule matched, no value */
  GRAPH_ERROR,   /* failed: a decision's error, a failed validation of severity error */
  GRAPH_WARNED,  /* a failed validation of severity warning */
  GRAPH_PASSED,  /* a validation that held */
  GRAPH_SKIPPED, /* not evaluated */
  GRAPH_STYLE_COUNT
} graph_style;

typedef struct graph_node {
  const char *id;    /* [A-Za-z0-9_]+, unique */
  const char *label; /* lines separated by '\n' */
  graph_shape shape;
  graph_style style;
} graph_node;

typedef struct graph_edge {
  uint32_t from, to; /* node indexes */
  const char *label; /* NULL: none */
  graph_style style;
} graph_edge;

typedef struct graph {
  arena arena;
  graph_node *nodes;
  uint32_t nnodes, capnodes;
  graph_edge *edges;
  uint32_t nedges, capedges;
  bool highlighted; /* styles are set: render them */
  bool oom;
} graph;

/* Add a node: id made from prefix ([a-z]+, one per kind of node) and name
 * ("d_name", or "dx_" and the name encoded when it is not made of
 * [A-Za-z0-9_]: distinct names give distinct ids); label copied
 * with invalid UTF-8 and control characters (but '\n') replaced.  Its
 * index, or UINT32_MAX when out of memory (g->oom set). */
INTERNAL uint32_t graph_add_node(graph *g, const char *prefix, const char *name, const char *label,
                                 graph_shape shape, graph_style style);
/* The index of the node with prefix and name, or UINT32_MAX. */
INTERNAL uint32_t graph_find_node(const graph *g, const char *prefix, const char *name);
/* Add an edge (label NULL or "": none; copied and cleaned as node labels). */
INTERNAL void graph_add_edge(graph *g, uint32_t from, uint32_t to, const char *label, graph_style style);
INTERNAL void graph_release(graph *g);

/* Render g (RULECORE_GRAPH_MERMAID or _DOT) into a new string, or NULL
 * when out of memory. */
INTERNAL char *graph_render(const graph *g, rulecore_graph_format format);

/* Append s[0..n) escaped for a double-quoted Mermaid label ("#quot;" and
 * numeric entities) or a DOT quoted string ("\"", "\\", "\n"). */
INTERNAL void graph_escape_mermaid(buf *b, const char *s, size_t n);
INTERNAL void graph_escape_dot(buf *b, const char *s, size_t n);

#endif
