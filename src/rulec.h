/*
 * rulec.h: what rulec's files share (rulec.c, rulec_rules.c,
 * conformance.c): option parsing, messages, exit statuses, contexts.
 */
#ifndef RULEC_H
#define RULEC_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "rulecore.h"

/* Is argv[*i] the long option name ("--name VALUE" or "--name=VALUE")?
 * Then *value is its value (NULL when missing). */
bool rulec_option(int argc, char **argv, int *i, const char *name, const char **value);
/* Print "rulec: " fmt (with arg) and a hint; returns the usage status, 2. */
int rulec_usage_error(const char *fmt, const char *arg);
/* Print a library-owned string and free it; 0 when it is NULL. */
int rulec_print_owned(FILE *out, char *text);
/* The exit status for a library status, reporting system errors. */
int rulec_fail(rulecore_status st);
/* An activation for schema filled from the JSON file at path (NULL:
 * empty); NULL with *exit_code set after printing why. */
rulecore_activation *rulec_context(rulecore_schema *schema, const char *path, rulecore_format format,
                                   int *exit_code);
/* The next line of a JSON Lines file that is not blank, its line end cut:
 * its length, or -1 at the end (or on a read error: see ferror).  *line
 * and *cap as getline's; *lineno counts every line read. */
ssize_t rulec_case_line(FILE *f, char **line, size_t *cap, size_t *lineno);
/* Whether path names a ruleset: a directory, or a .lua file. */
bool rulec_is_ruleset(const char *path);

int rulec_rules_check(int argc, char **argv);
int rulec_rules_eval(int argc, char **argv);
int rulec_rules_test(int argc, char **argv);
int rulec_rules_watch(int argc, char **argv);
/* rulec_graph.c */
int rulec_graph(int argc, char **argv);
/* rulec_http.c: answer GET /metrics on addr (HOST:PORT) with render(arg)
 * (freed with rulecore_free), on a thread of its own; NULL after printing
 * why it cannot. */
struct rulec_http;
struct rulec_http *rulec_http_start(const char *addr, char *(*render)(void *), void *arg);
void rulec_http_stop(struct rulec_http *h);
/* rulec_diff.c */
int rulec_diff(int argc, char **argv);
/* conformance.c */
int rulec_conformance(int argc, char **argv);

#endif
