/*
 * conformance.c: `rulec conformance`, CEL's conformance cases
 * (../shared/conformance, JSON Lines: see its README.md) run through the
 * public API only, as a host would: a schema from the case's
 * declarations, parse, check (dynamically for disable_check cases, see
 * rulecore_env_set_unchecked), compile, an activation from its bindings
 * (typed JSON), evaluate, and the result rendered as typed JSON compared
 * with the expected value structurally.  A case expecting an error passes
 * on any parse, check or evaluation error (the wording is the reference
 * implementation's, not ours).
 *
 *   rulec conformance [--skips FILE] [--verbose] [DIR...]
 *
 * Every *.jsonl file under each DIR (default ../shared/conformance) is
 * run, in path order, and reported in one line
 *
 *   core/basic.jsonl: 30 passed, 1 failed, 4 skipped
 *
 * followed by each failure, `FAIL core/basic.jsonl SECTION/NAME: EXPR:
 * expected X, got Y` (the expression as a JSON string when it holds
 * control characters, so that every report is one line), and with
 * --verbose each skip, `SKIP core/basic.jsonl SECTION/NAME: EXPR: REASON`.  Problems of the skip list
 * follow the files, `FAIL SKIPS:LINE: ...`; the last line is
 * `N passed, N failed, N skipped`.  Exit status: 0 no case failed, 1 some
 * did, 2 usage or I/O error (an unreadable or empty directory, an
 * unreadable or malformed skip list).
 *
 * The skip list holds lines `FILE NAME REASON` (see
 * t/conformance-skips.txt).  NAME `*` skips every case of FILE without
 * running it; any other NAME is run all the same, and fails the run when
 * it passes, so the list cannot go stale.  An entry that names no case,
 * or (not `*`) several, or a case another entry names too, fails the run.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rulecore.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* Called by rulec.c's command table. */
int rulec_conformance(int argc, char **argv);

static const char *const progname = "rulec conformance";

/* ---- growable strings ---- */

/* A NUL-terminated string that grows as needed.  An allocation failure
 * sets nomem and makes further appends no-ops, so callers check once, at
 * the end (sb_str then says "(out of memory)"). */
typedef struct strbuf {
  char *z;
  size_t n, cap;
  bool nomem;
} strbuf;

/* Make room for `more` bytes and the NUL; false when out of memory. */
static bool sb_reserve(strbuf *b, size_t more) {
  if (b->nomem) return false;
  if (b->cap > b->n && b->cap - b->n > more) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap - b->n <= more) {
    if (cap > SIZE_MAX / 2) {
      b->nomem = true;
      return false;
    }
    cap *= 2;
  }
  char *z = realloc(b->z, cap);
  if (!z) {
    b->nomem = true;
    return false;
  }
  b->z = z;
  b->cap = cap;
  return true;
}

/* Append s[0..n). */
static void sb_addn(strbuf *b, const char *s, size_t n) {
  if (!sb_reserve(b, n)) return;
  memcpy(b->z + b->n, s, n);
  b->n += n;
  b->z[b->n] = '\0';
}

static void sb_add(strbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append printf-formatted text, whatever its length. */
static void sb_printf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (len < 0 || !sb_reserve(b, (size_t)len)) {
    b->nomem = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(b->z + b->n, b->cap - b->n, fmt, ap);
  va_end(ap);
  b->n += (size_t)len;
}

/* Append s[0..n) with control bytes escaped (\n, \t, \r, \xNN), so that
 * the text stays on one line. */
static void sb_add_shown(strbuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n')
      sb_add(b, "\\n");
    else if (c == '\t')
      sb_add(b, "\\t");
    else if (c == '\r')
      sb_add(b, "\\r");
    else if (c < 0x20 || c == 0x7f)
      sb_printf(b, "\\x%02x", c);
    else
      sb_addn(b, s + i, 1);
  }
}

/* The text so far ("" when empty, "(out of memory)" after a failure). */
static const char *sb_str(const strbuf *b) { return b->nomem ? "(out of memory)" : b->z ? b->z : ""; }

static void sb_reset(strbuf *b) {
  b->n = 0;
  b->nomem = false;
  if (b->z) b->z[0] = '\0';
}

static void sb_free(strbuf *b) {
  free(b->z);
  *b = (strbuf){0};
}

/* ---- the skip list ---- */

/* One line `FILE NAME REASON` of the skip list. */
typedef struct skip_entry {
  char *file;          /* owns the line's copy; name and reason point into it */
  const char *name;    /* NAME, SECTION/NAME, or "*" for every case of file */
  const char *reason;  /* non-empty */
  unsigned line;       /* in the skip list, 1-based */
  size_t matched;      /* cases it named in this run */
  unsigned shared;     /* the line of another entry naming one of its cases, or 0 */
} skip_entry;

typedef struct skip_list {
  const char *path; /* as given on the command line; NULL: no list */
  skip_entry *v;
  size_t n;
} skip_list;

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Split the next blank-separated word off *p (NUL-terminating it in
 * place); NULL when there is none. */
static char *next_word(char **p) {
  char *s = *p;
  while (is_blank(*s)) s++;
  if (!*s) return NULL;
  char *word = s;
  while (*s && !is_blank(*s)) s++;
  if (*s) *s++ = '\0';
  *p = s;
  return word;
}

/* Read the skip list at path into *sl.  False, with the reason on stderr,
 * when it cannot be read, a line is not `FILE NAME REASON` (blank lines
 * and '#' comments aside), or memory runs out. */
static bool skips_read(skip_list *sl, const char *path) {
  sl->path = path;
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "%s: cannot read the skip list %s: %s\n", progname, path, strerror(errno));
    return false;
  }
  char *buf = NULL;
  size_t cap = 0;
  unsigned lineno = 0;
  bool ok = true;
  ssize_t len;
  while (ok && (len = getline(&buf, &cap, f)) >= 0) {
    lineno++;
    buf[strcspn(buf, "\r\n")] = '\0';
    char *p = buf;
    while (is_blank(*p)) p++;
    if (!*p || *p == '#') continue;
    char *copy = strdup(p);
    skip_entry *grown = copy ? realloc(sl->v, (sl->n + 1) * sizeof *grown) : NULL;
    if (!grown) {
      free(copy);
      fprintf(stderr, "%s: out of memory\n", progname);
      ok = false;
      break;
    }
    sl->v = grown;
    char *rest = copy;
    char *file = next_word(&rest), *name = next_word(&rest);
    while (is_blank(*rest)) rest++;
    size_t rn = strlen(rest);
    while (rn && is_blank(rest[rn - 1])) rest[--rn] = '\0';
    if (!file || !name || !*rest) {
      fprintf(stderr, "%s: %s:%u: expected FILE NAME REASON%s\n", progname, path, lineno,
              file && name ? " (every skip needs a reason)" : "");
      free(copy);
      ok = false;
      break;
    }
    sl->v[sl->n++] = (skip_entry){.file = copy, .name = name, .reason = rest, .line = lineno};
  }
  if (ok && ferror(f)) {
    fprintf(stderr, "%s: cannot read the skip list %s: %s\n", progname, path, strerror(errno));
    ok = false;
  }
  free(buf);
  fclose(f);
  return ok;
}

static void skips_free(skip_list *sl) {
  for (size_t i = 0; i < sl->n; i++) free(sl->v[i].file);
  free(sl->v);
  sl->v = NULL;
  sl->n = 0;
}

/* Whether entry e names the case section/name of the file whose stem
 * (name without .jsonl) is stem, or whose path relative to its DIR is
 * relstem without the extension. */
static bool skip_names(const skip_entry *e, const char *stem, const char *relstem, const char *section,
                       const char *name) {
  if (strcmp(e->file, stem) != 0 && strcmp(e->file, relstem) != 0) return false;
  if (strcmp(e->name, "*") == 0 || strcmp(e->name, name) == 0) return true;
  size_t ns = strlen(section);
  return strncmp(e->name, section, ns) == 0 && e->name[ns] == '/' && strcmp(e->name + ns + 1, name) == 0;
}

/* ---- typed values ---- */

/* name as rulecore spells types: CEL's protobuf names of timestamps and
 * durations replaced by timestamp and duration, and blanks dropped when
 * drop_blanks (for comparing spellings).  A new string, or NULL when out
 * of memory. */
static char *type_name_ours(const char *name, bool drop_blanks) {
  static const struct {
    const char *cel, *ours;
  } names[] = {{"google.protobuf.Timestamp", "timestamp"}, {"google.protobuf.Duration", "duration"}};
  char *out = malloc(strlen(name) + 1); /* replacements only shorten it */
  if (!out) return NULL;
  size_t k = 0;
  while (*name) {
    bool replaced = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !replaced; i++) {
      size_t n = strlen(names[i].cel);
      if (strncmp(name, names[i].cel, n) == 0) {
        strcpy(out + k, names[i].ours);
        k += strlen(names[i].ours);
        name += n;
        replaced = true;
      }
    }
    if (replaced) continue;
    if (!(drop_blanks && is_blank(*name))) out[k++] = *name;
    name++;
  }
  out[k] = '\0';
  return out;
}

/* Whether two type names are the same type (CEL's or rulecore's
 * spelling, blanks ignored).  Out of memory counts as different. */
static bool type_names_equal(const char *a, const char *b) {
  char *x = type_name_ours(a, true), *y = type_name_ours(b, true);
  bool same = x && y && strcmp(x, y) == 0;
  free(x);
  free(y);
  return same;
}

/* The double a typed value's payload stands for: a JSON number, or one of
 * the strings "NaN", "Infinity", "-Infinity", "-0" (or any other decimal
 * numeral).  False when it is none of these. */
static bool double_of(json_t *v, double *out) {
  if (json_is_number(v)) {
    *out = json_number_value(v);
    return true;
  }
  const char *s = json_string_value(v);
  if (!s) return false;
  if (strcmp(s, "NaN") == 0 || strcmp(s, "-NaN") == 0) {
    *out = NAN;
  } else if (strcmp(s, "Infinity") == 0 || strcmp(s, "+Infinity") == 0) {
    *out = INFINITY;
  } else if (strcmp(s, "-Infinity") == 0) {
    *out = -INFINITY;
  } else {
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    if (end == s || *end) return false;
  }
  return true;
}

/* The only key of a typed value {"KIND": payload} and its payload; false
 * when v is not an object with exactly one key. */
static bool typed_parts(json_t *v, const char **kind, json_t **payload) {
  if (!json_is_object(v) || json_object_size(v) != 1) return false;
  void *it = json_object_iter(v);
  *kind = json_object_iter_key(it);
  *payload = json_object_iter_value(it);
  return true;
}

static bool typed_equal(json_t *want, json_t *got);

/* Whether two map payloads [[K, V], ...] hold the same entries, in any
 * order. */
static bool map_equal(json_t *want, json_t *got) {
  size_t n = json_array_size(want);
  if (!json_is_array(want) || !json_is_array(got) || json_array_size(got) != n) return false;
  bool *used = calloc(n ? n : 1, sizeof *used);
  if (!used) return false;
  bool same = true;
  for (size_t i = 0; i < n && same; i++) {
    json_t *w = json_array_get(want, i);
    if (json_array_size(w) != 2) {
      same = false;
      break;
    }
    bool found = false;
    for (size_t j = 0; j < n && !found; j++) {
      json_t *g = json_array_get(got, j);
      if (used[j] || json_array_size(g) != 2) continue;
      if (typed_equal(json_array_get(w, 0), json_array_get(g, 0)) &&
          typed_equal(json_array_get(w, 1), json_array_get(g, 1)))
        used[j] = found = true;
    }
    same = found;
  }
  free(used);
  return same;
}

/* Whether two typed values (conformance encoding, see rulecore.h's
 * RULECORE_JSON_TYPED), both as the engine renders them (see canonical),
 * are the same CEL value: doubles by value (NaN equal to NaN), lists in
 * order, maps in any order, types by name (CEL's or rulecore's spelling);
 * everything else (ints and uints as decimal strings, strings, base64
 * bytes, timestamps, durations, bools, null) as equal JSON. */
static bool typed_equal(json_t *want, json_t *got) {
  const char *kw, *kg;
  json_t *w, *g;
  if (!typed_parts(want, &kw, &w) || !typed_parts(got, &kg, &g)) return json_equal(want, got);
  if (strcmp(kw, kg) != 0) return false;
  if (strcmp(kw, "double") == 0) {
    double x, y;
    if (!double_of(w, &x) || !double_of(g, &y)) return false;
    return (isnan(x) && isnan(y)) || x == y;
  }
  if (strcmp(kw, "list") == 0) {
    size_t n = json_array_size(w);
    if (!json_is_array(w) || !json_is_array(g) || json_array_size(g) != n) return false;
    for (size_t i = 0; i < n; i++)
      if (!typed_equal(json_array_get(w, i), json_array_get(g, i))) return false;
    return true;
  }
  if (strcmp(kw, "map") == 0) return map_equal(w, g);
  if (strcmp(kw, "type") == 0) {
    const char *sw = json_string_value(w), *sg = json_string_value(g);
    return sw && sg && type_names_equal(sw, sg);
  }
  return json_equal(w, g);
}

/* The expected value want as the engine renders it: bound to a dyn
 * variable through the typed JSON reader and evaluated, so that the
 * engine's one reading of base64, timestamps and durations (and its one
 * printing of them) serves both sides of the comparison.  A new
 * reference, or NULL when the engine does not take want (type values, a
 * malformed value): then want is compared as written. */
static json_t *canonical(json_t *want) {
  json_t *out = NULL;
  rulecore_schema *schema = rulecore_schema_new();
  rulecore_env *env = rulecore_env_new();
  rulecore_program *program = NULL;
  rulecore_activation *act = NULL;
  rulecore_result *result = rulecore_result_new();
  json_t *bind = json_pack("{sO}", "v", want);
  char *text = bind ? json_dumps(bind, JSON_COMPACT) : NULL, *rendered = NULL;
  if (!schema || !env || !result || !text || rulecore_schema_add_variable(schema, "v", "dyn") != RULECORE_OK ||
      rulecore_env_set_schema(env, schema, NULL) != RULECORE_OK ||
      rulecore_compile_source(env, "v", 1, NULL, NULL, &program, NULL) != RULECORE_OK ||
      !(act = rulecore_activation_new(schema)) ||
      rulecore_activation_set_json(act, text, strlen(text), RULECORE_JSON_TYPED, NULL) != RULECORE_OK ||
      rulecore_eval(program, act, result) != RULECORE_OK ||
      !(rendered = rulecore_result_render(result, RULECORE_FORMAT_TYPED_JSON)))
    goto done;
  json_error_t jerr;
  out = json_loads(rendered, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
done:
  rulecore_free(rendered);
  free(text);
  json_decref(bind);
  rulecore_result_free(result);
  rulecore_activation_free(act);
  rulecore_program_free(program);
  rulecore_env_free(env);
  rulecore_schema_free(schema);
  return out;
}

/* ---- running one case ---- */

/* What a case was to do and what it did, for its report. */
typedef struct verdict {
  bool pass;
  strbuf want, got;
} verdict;

/* The message of the first error among d, or fallback. */
static const char *first_error(const rulecore_diagnostics *d, const char *fallback) {
  for (size_t i = 0; i < rulecore_diagnostics_count(d); i++)
    if (rulecore_diagnostics_severity(d, i) == RULECORE_SEVERITY_ERROR) return rulecore_diagnostics_message(d, i);
  return fallback;
}

/* Append a JSON value in compact form (control characters escaped by
 * JSON itself). */
static void sb_add_json(strbuf *b, const json_t *v) {
  char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!text) {
    b->nomem = true;
    return;
  }
  sb_add(b, text);
  free(text);
}

/* Say in v->want what a case expects (its "expect" object). */
static void describe_expectation(verdict *v, json_t *expect) {
  const char *type = json_string_value(json_object_get(expect, "type"));
  json_t *value = json_object_get(expect, "value");
  json_t *error = json_object_get(expect, "error");
  if (error) {
    sb_add(&v->want, "an error (");
    sb_add_json(&v->want, error);
    sb_add(&v->want, ")");
    return;
  }
  if (type) sb_printf(&v->want, "type %s", type);
  if (type && value) sb_add(&v->want, " and ");
  if (value) sb_add_json(&v->want, value);
}

/* Run case cs (one parsed line) through the public API into v: a schema
 * from its decls, then parse, check, and unless it is check_only or
 * expects only a type, compile, bind and evaluate; v->pass says whether
 * the outcome is the expected one.  Everything it makes is freed. */
static void run_case(json_t *cs, verdict *v) {
  json_t *jexpr = json_object_get(cs, "expr");
  json_t *expect = json_object_get(cs, "expect");
  json_t *decls = json_object_get(cs, "decls");
  json_t *bindings = json_object_get(cs, "bindings");
  const char *want_type = json_string_value(json_object_get(expect, "type"));
  json_t *want_value = json_object_get(expect, "value");
  bool want_error = json_object_get(expect, "error") != NULL;
  bool check_only = json_is_true(json_object_get(cs, "check_only"));
  bool unchecked = json_is_true(json_object_get(cs, "disable_check"));

  rulecore_schema *schema = NULL;
  rulecore_env *env = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_expr *expr = NULL;
  rulecore_program *program = NULL;
  rulecore_activation *act = NULL;
  rulecore_result *result = NULL;
  char *bindings_text = NULL, *rendered = NULL;
  json_t *got = NULL;
  rulecore_status st;

  v->pass = false;
  describe_expectation(v, expect);
  if (!json_is_string(jexpr) || !json_is_object(expect) || (!want_type && !want_value && !want_error) ||
      (decls && !json_is_array(decls)) || (bindings && !json_is_object(bindings))) {
    sb_add(&v->got, "a malformed case (it needs expr, and expect with value, type or error)");
    goto done;
  }

  /* The declarations, with CEL's protobuf type names in rulecore's. */
  schema = rulecore_schema_new();
  env = rulecore_env_new();
  if (!schema || !env) {
    sb_add(&v->got, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < json_array_size(decls); i++) {
    json_t *decl = json_array_get(decls, i);
    const char *name = json_string_value(json_object_get(decl, "name"));
    const char *type = json_string_value(json_object_get(decl, "type"));
    if (!name || !type) {
      sb_printf(&v->got, "a malformed declaration (decls[%zu] needs a name and a type)", i);
      goto done;
    }
    char *ours = type_name_ours(type, false);
    st = ours ? rulecore_schema_add_variable(schema, name, ours) : RULECORE_ERR_NOMEM;
    free(ours);
    if (st != RULECORE_OK) {
      sb_printf(&v->got, "declaring %s %s: %s", name, type, rulecore_status_message(st));
      goto done;
    }
  }
  /* disable_check: what the checker cannot resolve is left to run time. */
  st = unchecked ? rulecore_env_set_unchecked(env, 1) : RULECORE_OK;
  if (st != RULECORE_OK) {
    sb_printf(&v->got, "rulecore_env_set_unchecked: %s", rulecore_status_message(st));
    goto done;
  }
  st = rulecore_env_set_schema(env, schema, &d);
  if (st != RULECORE_OK) {
    sb_printf(&v->got, "the declarations do not make a schema: %s", first_error(d, rulecore_status_message(st)));
    goto done;
  }
  rulecore_diagnostics_free(d);
  d = NULL;

  st = rulecore_parse(env, json_string_value(jexpr), json_string_length(jexpr), "<conformance>", &expr, &d);
  if (st != RULECORE_OK) {
    sb_printf(&v->got, "parse error: %s", first_error(d, rulecore_status_message(st)));
    v->pass = want_error;
    goto done;
  }
  rulecore_diagnostics_free(d);
  d = NULL;

  /* Under disable_check too (rulecore compiles checked expressions only,
   * the environment checking dynamically then): a check error is the
   * case's error. */
  st = rulecore_check(env, expr, NULL, &d);
  if (st != RULECORE_OK) {
    sb_printf(&v->got, "check error: %s", first_error(d, rulecore_status_message(st)));
    v->pass = want_error;
    goto done;
  }
  rulecore_diagnostics_free(d);
  d = NULL;
  const char *checked = rulecore_expr_type(expr);
  if (!checked) {
    sb_add(&v->got, "no type after a successful check");
    goto done;
  }
  if (want_type && !type_names_equal(want_type, checked)) {
    sb_printf(&v->got, "type %s", checked);
    goto done;
  }
  if (check_only || (!want_value && !want_error)) {
    if (want_error)
      sb_printf(&v->got, "type %s (no check error)", checked);
    else
      v->pass = true;
    goto done;
  }

  st = rulecore_compile(env, expr, &program);
  if (st != RULECORE_OK) {
    sb_printf(&v->got, "rulecore_compile: %s", rulecore_status_message(st));
    goto done;
  }
  act = rulecore_activation_new(schema);
  result = rulecore_result_new();
  if (!act || !result) {
    sb_add(&v->got, "out of memory");
    goto done;
  }
  if (bindings) {
    bindings_text = json_dumps(bindings, JSON_COMPACT);
    if (!bindings_text) {
      sb_add(&v->got, "out of memory");
      goto done;
    }
    st = rulecore_activation_set_json(act, bindings_text, strlen(bindings_text), RULECORE_JSON_TYPED, &d);
    if (st != RULECORE_OK) {
      sb_printf(&v->got, "the bindings were rejected: %s", first_error(d, rulecore_status_message(st)));
      goto done;
    }
    rulecore_diagnostics_free(d);
    d = NULL;
  }

  st = rulecore_eval(program, act, result);
  if (st == RULECORE_ERR_EVAL) {
    uint32_t line = 0, column = 0;
    const char *message = rulecore_result_error(result, &line, &column);
    sb_printf(&v->got, "evaluation error: %s", message ? message : "(no message)");
    v->pass = want_error;
    goto done;
  }
  if (st != RULECORE_OK) {
    sb_printf(&v->got, "rulecore_eval: %s", rulecore_status_message(st));
    goto done;
  }
  rendered = rulecore_result_render(result, RULECORE_FORMAT_TYPED_JSON);
  if (!rendered) {
    sb_add(&v->got, "rulecore_result_render: out of memory");
    goto done;
  }
  sb_add(&v->got, rendered);
  json_error_t jerr;
  /* Integers as reals: a double rendered without a fraction may exceed
   * jansson's integers (ints and uints are strings anyway). */
  got = json_loads(rendered, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
  if (!got) {
    sb_printf(&v->got, " (not JSON: %s)", jerr.text);
    goto done;
  }
  json_t *want_canonical = canonical(want_value);
  v->pass = !want_error && typed_equal(want_canonical ? want_canonical : want_value, got);
  json_decref(want_canonical);

done:
  json_decref(got);
  rulecore_free(rendered);
  free(bindings_text);
  rulecore_result_free(result);
  rulecore_activation_free(act);
  rulecore_program_free(program);
  rulecore_expr_free(expr);
  rulecore_diagnostics_free(d);
  rulecore_env_free(env);
  rulecore_schema_free(schema);
}

/* ---- files and directories ---- */

/* A .jsonl file found under a DIR argument. */
typedef struct case_file {
  char *path;      /* DIR/REL, to open */
  const char *rel; /* points into path: the name reported */
} case_file;

typedef struct file_list {
  case_file *v;
  size_t n;
} file_list;

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Add path (owned by the list from now on, freed on failure) with its
 * reported name starting at path + rel. */
static bool files_add(file_list *fl, char *path, size_t rel) {
  case_file *grown = realloc(fl->v, (fl->n + 1) * sizeof *grown);
  if (!grown) {
    free(path);
    fprintf(stderr, "%s: out of memory\n", progname);
    return false;
  }
  fl->v = grown;
  fl->v[fl->n++] = (case_file){.path = path, .rel = path + rel};
  return true;
}

/* Add every *.jsonl file under dir (recursively; symbolic links to
 * directories are not followed, so no cycle) whose reported name starts
 * at offset rel of its path.  False, with the reason on stderr, when a
 * directory cannot be read or memory runs out. */
static bool files_walk(file_list *fl, const char *dir, size_t rel) {
  DIR *dp = opendir(dir);
  if (!dp) {
    fprintf(stderr, "%s: cannot read the directory %s: %s\n", progname, dir, strerror(errno));
    return false;
  }
  bool ok = true;
  struct dirent *de;
  errno = 0;
  while (ok && (de = readdir(dp))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    size_t n = strlen(dir) + 1 + strlen(de->d_name) + 1;
    char *path = malloc(n);
    if (!path) {
      fprintf(stderr, "%s: out of memory\n", progname);
      ok = false;
      break;
    }
    snprintf(path, n, "%s/%s", dir, de->d_name);
    struct stat st;
    if (lstat(path, &st) != 0) {
      fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
      free(path);
      ok = false;
    } else if (S_ISDIR(st.st_mode)) {
      ok = files_walk(fl, path, rel);
      free(path);
    } else if (has_suffix(de->d_name, ".jsonl") && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
      ok = files_add(fl, path, rel);
    } else {
      free(path);
    }
    errno = 0;
  }
  if (ok && errno) {
    fprintf(stderr, "%s: cannot read the directory %s: %s\n", progname, dir, strerror(errno));
    ok = false;
  }
  closedir(dp);
  return ok;
}

static int case_file_cmp(const void *a, const void *b) {
  return strcmp(((const case_file *)a)->rel, ((const case_file *)b)->rel);
}

/* Add the cases of one command-line argument: every *.jsonl file under a
 * directory, sorted by their paths relative to it, or a .jsonl file
 * itself (reported by the name given).  False, with the reason on stderr,
 * when arg cannot be read or holds no case file. */
static bool files_collect(file_list *fl, const char *arg) {
  size_t len = strlen(arg);
  while (len > 1 && arg[len - 1] == '/') len--; /* "dir/" reports as "dir" */
  char *dir = strndup(arg, len);
  if (!dir) {
    fprintf(stderr, "%s: out of memory\n", progname);
    return false;
  }
  struct stat st;
  bool ok;
  if (stat(dir, &st) != 0) {
    fprintf(stderr, "%s: %s: %s\n", progname, dir, strerror(errno));
    ok = false;
  } else if (!S_ISDIR(st.st_mode)) {
    ok = files_add(fl, dir, 0);
    dir = NULL;
  } else {
    size_t first = fl->n;
    ok = files_walk(fl, dir, strcmp(dir, "/") == 0 ? 1 : len + 1);
    if (ok && fl->n == first) {
      fprintf(stderr, "%s: no .jsonl file under %s\n", progname, dir);
      ok = false;
    }
    if (ok) qsort(fl->v + first, fl->n - first, sizeof *fl->v, case_file_cmp);
  }
  free(dir);
  return ok;
}

static void files_free(file_list *fl) {
  for (size_t i = 0; i < fl->n; i++) free(fl->v[i].path);
  free(fl->v);
  fl->v = NULL;
  fl->n = 0;
}

/* ---- the run ---- */

typedef struct runner {
  skip_list skips;
  bool verbose;
  bool io_error;   /* a file could not be read, or memory ran out */
  unsigned long passed, failed, skipped;
} runner;

/* Append `TAG FILE SECTION/NAME: EXPR: ` to a report: the expression as
 * written when it is one line of printable text, else as a JSON string. */
static void report_case(strbuf *b, const char *tag, const char *rel, const char *section, const char *name,
                        json_t *jexpr) {
  const char *s = json_string_value(jexpr);
  size_t n = json_string_length(jexpr);
  bool plain = s != NULL;
  for (size_t i = 0; plain && i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) plain = false;
  sb_printf(b, "%s %s ", tag, rel);
  sb_add_shown(b, section, strlen(section));
  sb_add(b, "/");
  sb_add_shown(b, name, strlen(name));
  sb_add(b, ": ");
  if (plain)
    sb_addn(b, s, n);
  else
    sb_add_json(b, jexpr);
  sb_add(b, ": ");
}

/* Append `expected WANT, got GOT` to a report, control characters
 * escaped so that it stays one line. */
static void report_verdict(strbuf *b, const verdict *v) {
  sb_add(b, "expected ");
  sb_add_shown(b, sb_str(&v->want), strlen(sb_str(&v->want)));
  sb_add(b, ", got ");
  sb_add_shown(b, sb_str(&v->got), strlen(sb_str(&v->got)));
}

/* Run every case of one file, print its line and then its failures (and
 * with --verbose its skips), and add its counts to r. */
static void run_file(runner *r, const case_file *cf) {
  FILE *f = fopen(cf->path, "r");
  if (!f) {
    fprintf(stderr, "%s: cannot read %s: %s\n", progname, cf->path, strerror(errno));
    r->io_error = true;
    return;
  }
  /* The names a skip entry may give this file: its stem, and its path
   * below DIR without the extension. */
  const char *base = strrchr(cf->rel, '/');
  base = base ? base + 1 : cf->rel;
  char *relstem = strndup(cf->rel, strlen(cf->rel) - (has_suffix(cf->rel, ".jsonl") ? 6 : 0));
  char *stem = relstem ? strdup(relstem + (base - cf->rel)) : NULL;
  strbuf report = {0};
  verdict v = {0};
  unsigned long passed = 0, failed = 0, skipped = 0;
  char *line = NULL;
  size_t cap = 0;
  unsigned lineno = 0;
  ssize_t n;
  if (!relstem || !stem) {
    fprintf(stderr, "%s: out of memory\n", progname);
    r->io_error = true;
    goto done;
  }
  while ((n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if (strspn(line, " \t\r\n") == (size_t)n) continue;
    json_error_t jerr;
    json_t *cs = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &jerr);
    if (!json_is_object(cs)) {
      sb_printf(&report, "FAIL %s:%u: not a JSON object: %s\n", cf->rel, lineno, cs ? "another value" : jerr.text);
      failed++;
      json_decref(cs);
      continue;
    }
    const char *section = json_string_value(json_object_get(cs, "section"));
    const char *name = json_string_value(json_object_get(cs, "name"));
    if (!section) section = "?";
    if (!name) name = "?";

    /* Which skip entries name this case: a wildcard one means it is not
     * run; an exact one means it runs but must fail. */
    skip_entry *first = NULL, *wild = NULL, *exact = NULL;
    for (size_t i = 0; i < r->skips.n; i++) {
      skip_entry *e = &r->skips.v[i];
      if (!skip_names(e, stem, relstem, section, name)) continue;
      e->matched++;
      if (first) {
        e->shared = first->line;
        if (!first->shared) first->shared = e->line;
      } else {
        first = e;
      }
      if (strcmp(e->name, "*") == 0) {
        if (!wild) wild = e;
      } else if (!exact) {
        exact = e;
      }
    }
    if (wild) {
      skipped++;
      if (r->verbose) {
        report_case(&report, "SKIP", cf->rel, section, name, json_object_get(cs, "expr"));
        sb_printf(&report, "%s\n", wild->reason);
      }
      json_decref(cs);
      continue;
    }

    sb_reset(&v.want);
    sb_reset(&v.got);
    run_case(cs, &v);
    json_t *jexpr = json_object_get(cs, "expr");
    if (exact && v.pass) {
      failed++;
      report_case(&report, "FAIL", cf->rel, section, name, jexpr);
      sb_printf(&report, "listed as skipped (%s:%u) but passes: remove it from the list\n", r->skips.path,
                exact->line);
    } else if (exact) {
      skipped++;
      if (r->verbose) {
        report_case(&report, "SKIP", cf->rel, section, name, jexpr);
        sb_printf(&report, "%s (", exact->reason);
        report_verdict(&report, &v);
        sb_add(&report, ")\n");
      }
    } else if (v.pass) {
      passed++;
    } else {
      failed++;
      report_case(&report, "FAIL", cf->rel, section, name, jexpr);
      report_verdict(&report, &v);
      sb_add(&report, "\n");
    }
    json_decref(cs);
  }
  if (ferror(f)) {
    fprintf(stderr, "%s: cannot read %s: %s\n", progname, cf->path, strerror(errno));
    r->io_error = true;
  }
  printf("%s: %lu passed, %lu failed, %lu skipped\n", cf->rel, passed, failed, skipped);
  fputs(sb_str(&report), stdout);
  if (report.nomem) {
    fprintf(stderr, "%s: out of memory reporting on %s\n", progname, cf->rel);
    r->io_error = true;
  }
  fflush(stdout);
  r->passed += passed;
  r->failed += failed;
  r->skipped += skipped;
done:
  free(line);
  free(relstem);
  free(stem);
  sb_free(&report);
  sb_free(&v.want);
  sb_free(&v.got);
  fclose(f);
}

/* Report the entries of the skip list that name no case, several cases
 * (without `*`), or a case another entry names, each as one failure. */
static void check_skips(runner *r) {
  for (size_t i = 0; i < r->skips.n; i++) {
    const skip_entry *e = &r->skips.v[i];
    const char *what = NULL;
    char several[64];
    if (e->matched == 0) {
      what = "names no case that was run";
    } else if (e->shared) {
      snprintf(several, sizeof several, "names a case that line %u names too", e->shared);
      what = several;
    } else if (e->matched > 1 && strcmp(e->name, "*") != 0) {
      snprintf(several, sizeof several, "names %zu cases (use SECTION/NAME)", e->matched);
      what = several;
    }
    if (!what) continue;
    printf("FAIL %s:%u: %s %s: %s\n", r->skips.path, e->line, e->file, e->name, what);
    r->failed++;
  }
}

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "%s: ", progname);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nusage: rulec conformance [--skips FILE] [--verbose] [DIR...]\n");
  return EXIT_USAGE;
}

/* `rulec conformance [--skips FILE] [--verbose] [DIR...]`: see the top of
 * this file.  argv[0] is "conformance". */
int rulec_conformance(int argc, char **argv) {
  runner r = {0};
  file_list files = {0};
  const char *skips_path = NULL;
  int status = EXIT_USAGE;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
      r.verbose = true;
    } else if (strcmp(a, "--skips") == 0) {
      if (++i >= argc) return usage_error("option '%s' needs a file name", a);
      skips_path = argv[i];
    } else if (strncmp(a, "--skips=", 8) == 0) {
      skips_path = a + 8;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      printf("usage: rulec conformance [--skips FILE] [--verbose] [DIR...]\n"
             "Run CEL conformance cases: every *.jsonl file under each DIR (default\n"
             "../shared/conformance).  --skips FILE lists cases not expected to pass\n"
             "(FILE NAME REASON per line; NAME * skips a whole file); --verbose reports\n"
             "each skip.  Exit status: 0 all passed, 1 some failed, 2 usage or I/O error.\n");
      return 0;
    } else if (a[0] == '-' && a[1]) {
      return usage_error("unknown option '%s'", a);
    } else {
      break;
    }
  }

  /* The library points jansson's allocator at its own hook on first use:
   * let that happen before this file makes any jansson value. */
  rulecore_env_free(rulecore_env_new());

  if (skips_path && !skips_read(&r.skips, skips_path)) goto done;
  if (i >= argc) {
    if (!files_collect(&files, "../shared/conformance")) goto done;
  } else {
    for (; i < argc; i++)
      if (!files_collect(&files, argv[i])) goto done;
  }

  for (size_t k = 0; k < files.n; k++) run_file(&r, &files.v[k]);
  check_skips(&r);
  printf("%lu passed, %lu failed, %lu skipped\n", r.passed, r.failed, r.skipped);
  status = r.io_error ? EXIT_USAGE : r.failed ? EXIT_FAILED : 0;

done:
  if (fflush(stdout) != 0) status = EXIT_USAGE;
  files_free(&files);
  skips_free(&r.skips);
  return status;
}
