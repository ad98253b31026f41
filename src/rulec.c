/*
 * rulec: the rulecore command-line tool.  Uses only the public header.
 *
 * Exit codes: 0 success, 1 the input has diagnostics (errors), 2 usage or
 * system error (bad option, unreadable file, out of memory).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulecore.h"
#include "rulec.h"

#define EXIT_DIAGNOSTICS 1
#define EXIT_USAGE 2

static const char *progname = "rulec";

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *synopsis;
  const char *summary;
} command;

static int cmd_parse(int argc, char **argv);
static int cmd_check(int argc, char **argv);
static int cmd_eval(int argc, char **argv);

static const command commands[] = {
    {"parse", cmd_parse, "parse [--format sexp|json] (EXPR | -f FILE)",
     "print the syntax tree of an expression, or its syntax errors"},
    {"check", cmd_check, "check [--schema FILE] [--type TYPE] [--format text|json] (EXPR | -f FILE)",
     "type-check an expression against a schema: print its type, or its errors"},
    {"check", cmd_check, "check [--format text|json] RULESET...",
     "load rulesets (directories of rule files, or .lua files): report every error, or ok"},
    {"eval", cmd_eval, "eval [--schema FILE] [--ctx FILE] [--type TYPE] [--format text|json] (EXPR | -f FILE)",
     "evaluate an expression against a context (JSON): print its type and value, or its error"},
    {"eval", cmd_eval, "eval RULESET --ctx FILE [--decision NAME]... [--explain] [--metrics FILE] [--log FILE] [--format text|json]",
     "evaluate a ruleset's decisions (all, or the named ones and what they read) and validations"},
    {"eval", cmd_eval, "eval RULESET --cases FILE.jsonl [--decision NAME]... [--metrics FILE] [--log FILE]",
     "evaluate every context of a JSON Lines file (- for standard input): one line of JSON per case"},
    {"test", rulec_rules_test, "test RULESET...",
     "run the tests the rule files declare: PASS/FAIL each, what differed, and N passed, N failed"},
    {"diff", rulec_diff, "diff OLD NEW --cases FILE.jsonl|DIR [--format text|json] [--fail-on-change]",
     "evaluate recorded contexts against two versions of a ruleset (PATH or PATH@GITREV): what changed, and why"},
    {"watch", rulec_rules_watch, "watch RULESET --ctx FILE [--decision NAME]... [--metrics HOST:PORT] [--log FILE] [--format text|json]",
     "evaluate a ruleset, then again after every reload as its files change, until SIGINT or SIGTERM"},
    {"graph", rulec_graph, "graph RULESET [--format mermaid|dot] [--ctx FILE] [--decision NAME] [-o FILE]",
     "draw the decision graph (with --ctx: one context's outcome on it), or an edge-list decision's value"},
    {"conformance", rulec_conformance, "conformance [--skips FILE] [--verbose] [DIR...]",
     "run CEL conformance cases (JSON Lines) and report passed/failed/skipped per file"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: %s COMMAND [OPTIONS] [ARGS]\n       %s --version | --help\n\ncommands:\n", progname,
          progname);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %s %s\n      %s\n", progname, commands[i].synopsis, commands[i].summary);
  fprintf(out,
          "\noptions:\n"
          "  -f, --file FILE     read the expression from FILE ('-' for standard input)\n"
          "  --format FORMAT     output format: sexp (parse's default), text (check's\n"
          "                      default) or json\n"
          "  --schema FILE       the schema (JSON) declaring the context's types and variables\n"
          "  --type TYPE         the type the expression must have, e.g. bool\n"
          "  --ctx FILE          the context (JSON object: variable name -> value)\n"
          "\nexit status: 0 ok, 1 the input has errors, 2 usage or system error\n");
}

int rulec_usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "%s: ", progname);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry '%s --help' for more information.\n", progname);
  return EXIT_USAGE;
}

/* Read all of path ("-" is standard input) into a malloc'd buffer. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *data = malloc(cap);
  while (data) {
    if (n == cap) {
      char *bigger = cap > SIZE_MAX / 2 ? NULL : realloc(data, cap * 2);
      if (!bigger) {
        free(data);
        data = NULL;
        errno = ENOMEM;
        break;
      }
      data = bigger;
      cap *= 2;
    }
    size_t got = fread(data + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) {
        free(data);
        data = NULL;
      }
      break;
    }
  }
  if (f != stdin) fclose(f);
  *len = n;
  return data;
}

/* Print a library-owned string and free it; false when it is NULL. */
ssize_t rulec_case_line(FILE *f, char **line, size_t *cap, size_t *lineno) {
  ssize_t len;
  while ((len = getline(line, cap, f)) >= 0) {
    ++*lineno;
    char *z = *line;
    while (len && (z[len - 1] == '\n' || z[len - 1] == '\r')) z[--len] = '\0';
    if (z[strspn(z, " \t")] != '\0') return len;
  }
  return -1;
}

int rulec_print_owned(FILE *out, char *text) {
  if (!text) {
    fprintf(stderr, "%s: out of memory\n", progname);
    return 0;
  }
  fputs(text, out);
  rulecore_free(text);
  return 1;
}

/* Options shared by the commands that read one expression. */
typedef struct input_opts {
  const char *file;        /* -f FILE */
  const char *expr;        /* the EXPR argument */
  rulecore_format format;  /* SEXP, TEXT or JSON */
  const char *schema;      /* --schema FILE */
  const char *result_type; /* --type TYPE */
  const char *ctx;         /* --ctx FILE */
} input_opts;

/* Is argv[*i] the long option name, as "--name VALUE" or "--name=VALUE"?
 * Then *value is the value (NULL when it is missing) and *i the index of
 * the last argument used. */
bool rulec_option(int argc, char **argv, int *i, const char *name, const char **value) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '=')) return false;
  if (a[n] == '=')
    *value = a + n + 1;
  else
    *value = ++*i < argc ? argv[*i] : NULL;
  return true;
}

/* Which options a command takes, besides -f and --format. */
enum { OPT_SCHEMA = 1, OPT_TYPE = 2, OPT_CTX = 4 };

static int parse_input_opts(int argc, char **argv, input_opts *o, rulecore_format default_format, unsigned allowed) {
  o->format = default_format;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *value = NULL;
    if (strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) {
      if (++i >= argc) return rulec_usage_error("option '%s' needs a file name", a);
      o->file = argv[i];
    } else if (strncmp(a, "--file=", 7) == 0) {
      o->file = a + 7;
    } else if ((allowed & OPT_SCHEMA) && rulec_option(argc, argv, &i, "--schema", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a file name", a);
      o->schema = value;
    } else if ((allowed & OPT_TYPE) && rulec_option(argc, argv, &i, "--type", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a type, e.g. bool", a);
      o->result_type = value;
    } else if ((allowed & OPT_CTX) && rulec_option(argc, argv, &i, "--ctx", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a file name", a);
      o->ctx = value;
    } else if (rulec_option(argc, argv, &i, "--format", &value)) {
      if (!value) return rulec_usage_error("option '%s' needs a value (sexp, text or json)", a);
      if (strcmp(value, "json") == 0)
        o->format = RULECORE_FORMAT_JSON;
      else if (strcmp(value, default_format == RULECORE_FORMAT_SEXP ? "sexp" : "text") == 0)
        o->format = default_format;
      else
        return rulec_usage_error(default_format == RULECORE_FORMAT_SEXP ? "unknown format '%s' (expected sexp or json)"
                                                                  : "unknown format '%s' (expected text or json)",
                           value);
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--") == 0 && i + 1 < argc && !o->expr) {
      o->expr = argv[++i];
    } else if (a[0] == '-' && a[1] != '\0' && !(a[1] >= '0' && a[1] <= '9') && a[1] != '.' && a[1] != '-' &&
               a[1] != ' ' && a[1] != '(') {
      /* An argument like "-1" or "-(x)" is an expression, not an option. */
      return rulec_usage_error("unknown option '%s'", a);
    } else if (!o->expr) {
      o->expr = a;
    } else {
      return rulec_usage_error("unexpected argument '%s' (quote the expression as one argument)", a);
    }
  }
  if (o->file && o->expr) return rulec_usage_error("give an expression or -f FILE, not both%s", "");
  if (!o->file && !o->expr) return rulec_usage_error("missing expression (or -f FILE)%s", "");
  return 0;
}

/* The expression's text per the options: owned (to free) when read from a
 * file.  NULL on a read error, reported. */
static const char *input_text(const input_opts *o, char **owned, size_t *len, const char **name) {
  *owned = NULL;
  *name = "<input>";
  if (!o->file) {
    *len = strlen(o->expr);
    return o->expr;
  }
  *owned = read_file(o->file, len);
  if (!*owned) {
    fprintf(stderr, "%s: cannot read '%s': %s\n", progname, o->file, strerror(errno));
    return NULL;
  }
  *name = strcmp(o->file, "-") == 0 ? "<stdin>" : o->file;
  return *owned;
}

/* Print diagnostics: JSON on stdout for tools (always, when the input
 * failed), text on stderr for people.  false when out of memory. */
static bool print_diagnostics(const rulecore_diagnostics *diags, rulecore_format format, bool failed) {
  bool json = format == RULECORE_FORMAT_JSON;
  if (rulecore_diagnostics_count(diags) == 0 && !(json && failed)) return true;
  return rulec_print_owned(json ? stdout : stderr,
                     rulecore_diagnostics_render(diags, json ? RULECORE_FORMAT_JSON : RULECORE_FORMAT_TEXT));
}

/* The exit status for a library status, reporting system errors. */
int rulec_fail(rulecore_status st) {
  if (st == RULECORE_OK) return 0;
  if (st == RULECORE_ERR_SOURCE) return EXIT_DIAGNOSTICS;
  fprintf(stderr, "%s: %s\n", progname, rulecore_status_message(st));
  return EXIT_USAGE;
}

static int cmd_parse(int argc, char **argv) {
  input_opts o = {0};
  int rc = parse_input_opts(argc, argv, &o, RULECORE_FORMAT_SEXP, 0);
  if (rc) return rc;
  char *owned;
  size_t len;
  const char *name;
  const char *text = input_text(&o, &owned, &len, &name);
  if (!text) return EXIT_USAGE;
  rulecore_expr *expr = NULL;
  rulecore_diagnostics *diags = NULL;
  rulecore_status st = rulecore_parse(NULL, text, len, name, &expr, &diags);
  int exit_code = rulec_fail(st);
  if (st == RULECORE_OK && !rulec_print_owned(stdout, rulecore_expr_render(expr, o.format))) exit_code = EXIT_USAGE;
  if (!print_diagnostics(diags, o.format, st == RULECORE_ERR_SOURCE)) exit_code = EXIT_USAGE;
  rulecore_diagnostics_free(diags);
  rulecore_expr_free(expr);
  free(owned);
  return exit_code;
}

/* An environment with the schema from path (NULL: none), or NULL with the
 * exit status in *exit_code after printing why. */
static rulecore_env *env_with_schema(const char *path, rulecore_format format, int *exit_code) {
  rulecore_env *env = rulecore_env_new();
  if (!env) {
    *exit_code = rulec_fail(RULECORE_ERR_NOMEM);
    return NULL;
  }
  if (!path) return env;
  rulecore_schema *schema = rulecore_schema_new();
  rulecore_diagnostics *diags = NULL;
  rulecore_status st = schema ? rulecore_schema_load_file(schema, path, &diags) : RULECORE_ERR_NOMEM;
  if (st == RULECORE_ERR_IO) {
    fprintf(stderr, "%s: cannot read schema '%s'\n", progname, path);
    *exit_code = EXIT_USAGE;
  } else if (st != RULECORE_OK) {
    *exit_code = rulec_fail(st);
  } else {
    rulecore_diagnostics_free(diags);
    diags = NULL;
    st = rulecore_env_set_schema(env, schema, &diags);
    *exit_code = rulec_fail(st);
  }
  if (st != RULECORE_ERR_IO && !print_diagnostics(diags, format, st == RULECORE_ERR_SOURCE)) *exit_code = EXIT_USAGE;
  rulecore_diagnostics_free(diags);
  rulecore_schema_free(schema);
  if (st != RULECORE_OK) {
    rulecore_env_free(env);
    return NULL;
  }
  return env;
}

/* The first argument that is not an option or an option's value. */
static const char *first_positional(int argc, char **argv) {
  static const char *const with_value[] = {"-f", "--file", "--schema", "--type", "--ctx", "--format", "--decision", "--metrics", "--cases", "--log"};
  for (int i = 1; i < argc; i++) {
    bool takes = false;
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) takes |= strcmp(argv[i], with_value[k]) == 0;
    if (takes) {
      i++;
      continue;
    }
    if (strcmp(argv[i], "--") == 0) return i + 1 < argc ? argv[i + 1] : NULL;
    if (argv[i][0] != '-' || !argv[i][1]) return argv[i];
  }
  return NULL;
}

/* check and eval take a ruleset instead of an expression when their
 * argument names one (and there is no --schema or -f). */
static bool ruleset_form(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strncmp(argv[i], "--schema", 8) == 0 || strcmp(argv[i], "-f") == 0 || strncmp(argv[i], "--file", 6) == 0)
      return false;
  const char *p = first_positional(argc, argv);
  return p && rulec_is_ruleset(p);
}

static int cmd_check(int argc, char **argv) {
  if (ruleset_form(argc, argv)) return rulec_rules_check(argc, argv);
  input_opts o = {0};
  int rc = parse_input_opts(argc, argv, &o, RULECORE_FORMAT_TEXT, OPT_SCHEMA | OPT_TYPE);
  if (rc) return rc;
  int exit_code = 0;
  rulecore_env *env = env_with_schema(o.schema, o.format, &exit_code);
  if (!env) return exit_code;
  char *owned;
  size_t len;
  const char *name;
  const char *text = input_text(&o, &owned, &len, &name);
  if (!text) {
    rulecore_env_free(env);
    return EXIT_USAGE;
  }
  rulecore_expr *expr = NULL;
  rulecore_diagnostics *diags = NULL;
  rulecore_status st = rulecore_parse(env, text, len, name, &expr, &diags);
  if (st == RULECORE_OK) {
    rulecore_diagnostics_free(diags);
    diags = NULL;
    st = rulecore_check(env, expr, o.result_type, &diags);
  }
  exit_code = rulec_fail(st);
  if (st == RULECORE_OK) {
    if (o.format == RULECORE_FORMAT_JSON)
      printf("{\"type\": \"%s\"}\n", rulecore_expr_type(expr)); /* type names need no JSON escaping */
    else
      printf("%s\n", rulecore_expr_type(expr));
  }
  if (!print_diagnostics(diags, o.format, st == RULECORE_ERR_SOURCE)) exit_code = EXIT_USAGE;
  rulecore_diagnostics_free(diags);
  rulecore_expr_free(expr);
  rulecore_env_free(env);
  free(owned);
  return exit_code;
}

/* Fill an activation for env's schema from the JSON file at path (NULL:
 * empty).  NULL with *exit_code set after printing why. */
rulecore_activation *rulec_context(rulecore_schema *schema, const char *path, rulecore_format format,
                                   int *exit_code) {
  rulecore_activation *act = rulecore_activation_new(schema);
  if (!act) {
    *exit_code = rulec_fail(RULECORE_ERR_NOMEM);
    return NULL;
  }
  if (!path) return act;
  size_t len;
  char *text = read_file(path, &len);
  if (!text) {
    fprintf(stderr, "%s: cannot read context '%s': %s\n", progname, path, strerror(errno));
    *exit_code = EXIT_USAGE;
    rulecore_activation_free(act);
    return NULL;
  }
  rulecore_diagnostics *diags = NULL;
  rulecore_status st = rulecore_activation_set_json(act, text, len, RULECORE_JSON_PLAIN, &diags);
  free(text);
  if (st != RULECORE_OK) {
    if (st == RULECORE_ERR_SOURCE) fprintf(stderr, "%s: context '%s':\n", progname, path);
    *exit_code = rulec_fail(st);
    print_diagnostics(diags, format, st == RULECORE_ERR_SOURCE);
    rulecore_activation_free(act);
    act = NULL;
  }
  rulecore_diagnostics_free(diags);
  return act;
}

static int cmd_eval(int argc, char **argv) {
  if (ruleset_form(argc, argv)) return rulec_rules_eval(argc, argv);
  input_opts o = {0};
  int rc = parse_input_opts(argc, argv, &o, RULECORE_FORMAT_TEXT, OPT_SCHEMA | OPT_TYPE | OPT_CTX);
  if (rc) return rc;
  int exit_code = 0;
  rulecore_env *env = env_with_schema(o.schema, o.format, &exit_code);
  if (!env) return exit_code;
  char *owned;
  size_t len;
  const char *name;
  const char *text = input_text(&o, &owned, &len, &name);
  rulecore_program *prog = NULL;
  rulecore_diagnostics *diags = NULL;
  rulecore_status st = text ? rulecore_compile_source(env, text, len, name, o.result_type, &prog, &diags)
                            : RULECORE_ERR_IO;
  exit_code = text ? rulec_fail(st) : EXIT_USAGE;
  if (text && !print_diagnostics(diags, o.format, st == RULECORE_ERR_SOURCE)) exit_code = EXIT_USAGE;
  rulecore_diagnostics_free(diags);
  rulecore_activation *act = NULL;
  rulecore_result *result = NULL;
  if (st == RULECORE_OK) {
    act = rulec_context(rulecore_env_schema(env), o.ctx, o.format, &exit_code);
  }
  if (act && !(result = rulecore_result_new())) exit_code = rulec_fail(RULECORE_ERR_NOMEM);
  if (result) {
    st = rulecore_eval(prog, act, result);
    if (st == RULECORE_OK) {
      char *value = rulecore_result_render(result, o.format == RULECORE_FORMAT_JSON ? RULECORE_FORMAT_TYPED_JSON
                                                                                    : RULECORE_FORMAT_TEXT);
      if (!value) {
        exit_code = rulec_fail(RULECORE_ERR_NOMEM);
      } else if (o.format == RULECORE_FORMAT_JSON) {
        printf("{\"type\": \"%s\", \"value\": %s}\n", rulecore_program_type(prog), value);
      } else {
        printf("%s: %s\n", rulecore_program_type(prog), value);
      }
      rulecore_free(value);
    } else if (st == RULECORE_ERR_EVAL) {
      uint32_t line, column;
      const char *msg = rulecore_result_error(result, &line, &column);
      if (o.format == RULECORE_FORMAT_JSON) {
        char *value = rulecore_result_render(result, RULECORE_FORMAT_JSON);
        printf("{\"error\": %s, \"line\": %u, \"column\": %u}\n", value ? value : "null", line, column);
        rulecore_free(value);
      } else {
        fprintf(stderr, "%s:%u:%u: error: %s\n", name, line, column, msg);
      }
      exit_code = EXIT_DIAGNOSTICS;
    } else {
      exit_code = rulec_fail(st);
    }
  }
  rulecore_result_free(result);
  rulecore_activation_free(act);
  rulecore_program_free(prog);
  rulecore_env_free(env);
  free(owned);
  return exit_code;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    printf("rulec %s (librulecore %s)\n", RULECORE_VERSION_STRING, rulecore_version());
    return 0;
  }
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  return rulec_usage_error("unknown command '%s'", cmd);
}
