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

static const command commands[] = {
    {"parse", cmd_parse, "parse [--format sexp|json] (EXPR | -f FILE)",
     "print the syntax tree of an expression, or its syntax errors"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: %s COMMAND [OPTIONS] [ARGS]\n       %s --version | --help\n\ncommands:\n", progname,
          progname);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %s %s\n      %s\n", progname, commands[i].synopsis, commands[i].summary);
  fprintf(out,
          "\noptions:\n"
          "  -f, --file FILE     read the expression from FILE ('-' for standard input)\n"
          "  --format FORMAT     output format: sexp (default) or json\n"
          "\nexit status: 0 ok, 1 the input has errors, 2 usage or system error\n");
}

static int usage_error(const char *fmt, const char *arg) {
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
static int print_owned(FILE *out, char *text) {
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
  const char *file;       /* -f FILE */
  const char *expr;       /* the EXPR argument */
  rulecore_format format; /* SEXP or JSON */
} input_opts;

static int parse_input_opts(int argc, char **argv, input_opts *o) {
  o->format = RULECORE_FORMAT_SEXP;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *value = NULL;
    if (strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) {
      if (++i >= argc) return usage_error("option '%s' needs a file name", a);
      o->file = argv[i];
    } else if (strncmp(a, "--file=", 7) == 0) {
      o->file = a + 7;
    } else if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
      if (a[8] == '=')
        value = a + 9;
      else if (++i < argc)
        value = argv[i];
      else
        return usage_error("option '%s' needs a value (sexp or json)", a);
      if (strcmp(value, "sexp") == 0)
        o->format = RULECORE_FORMAT_SEXP;
      else if (strcmp(value, "json") == 0)
        o->format = RULECORE_FORMAT_JSON;
      else
        return usage_error("unknown format '%s' (expected sexp or json)", value);
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--") == 0 && i + 1 < argc && !o->expr) {
      o->expr = argv[++i];
    } else if (a[0] == '-' && a[1] != '\0' && !(a[1] >= '0' && a[1] <= '9') && a[1] != '.' && a[1] != '-' &&
               a[1] != ' ' && a[1] != '(') {
      /* An argument like "-1" or "-(x)" is an expression, not an option. */
      return usage_error("unknown option '%s'", a);
    } else if (!o->expr) {
      o->expr = a;
    } else {
      return usage_error("unexpected argument '%s' (quote the expression as one argument)", a);
    }
  }
  if (o->file && o->expr) return usage_error("give an expression or -f FILE, not both%s", "");
  if (!o->file && !o->expr) return usage_error("missing expression (or -f FILE)%s", "");
  return 0;
}

static int cmd_parse(int argc, char **argv) {
  input_opts o = {0};
  int rc = parse_input_opts(argc, argv, &o);
  if (rc) return rc;
  char *owned = NULL;
  const char *text = o.expr;
  size_t len = o.expr ? strlen(o.expr) : 0;
  const char *name = "<input>";
  if (o.file) {
    owned = read_file(o.file, &len);
    if (!owned) {
      fprintf(stderr, "%s: cannot read '%s': %s\n", progname, o.file, strerror(errno));
      return EXIT_USAGE;
    }
    text = owned;
    name = strcmp(o.file, "-") == 0 ? "<stdin>" : o.file;
  }
  rulecore_expr *expr = NULL;
  rulecore_diagnostics *diags = NULL;
  rulecore_status st = rulecore_parse(NULL, text, len, name, &expr, &diags);
  int exit_code = 0;
  if (st == RULECORE_OK) {
    if (!print_owned(stdout, rulecore_expr_render(expr, o.format))) exit_code = EXIT_USAGE;
  } else if (st == RULECORE_ERR_SOURCE) {
    exit_code = EXIT_DIAGNOSTICS;
  } else {
    fprintf(stderr, "%s: %s\n", progname, rulecore_status_message(st));
    exit_code = EXIT_USAGE;
  }
  /* Diagnostics (possibly warnings on success): JSON on stdout for tools,
   * text on stderr for people. */
  if (rulecore_diagnostics_count(diags) > 0 || (o.format == RULECORE_FORMAT_JSON && st == RULECORE_ERR_SOURCE)) {
    bool json = o.format == RULECORE_FORMAT_JSON;
    if (!print_owned(json ? stdout : stderr,
                     rulecore_diagnostics_render(diags, json ? RULECORE_FORMAT_JSON : RULECORE_FORMAT_TEXT)))
      exit_code = EXIT_USAGE;
  }
  rulecore_diagnostics_free(diags);
  rulecore_expr_free(expr);
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
  return usage_error("unknown command '%s'", cmd);
}
