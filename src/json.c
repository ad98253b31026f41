/*
 * json.c: JSON documents in: schema files and contexts (activations), both
 * read by one reader of our own (below), with a position for every value
 * so errors point into the text.
 *
 * A schema file is first checked whole by the reader's validate(), which
 * decides whether the text is JSON and reports where it is not; the
 * document is then walked over the text by a small scanner that trusts
 * that verdict: it only finds where each member's key and value start and
 * end, in document order, so every declaration and every error has a
 * span.  Strings holding escapes are decoded by the reader's
 * decode_string.  (jansson, the reader before, built a tree of the whole
 * document: 100,000 fields took ~150 ms before a declaration was made.)
 *
 * A schema document:
 *   {"types":     {"Item": {"sku": "string", "qty": "int"}},
 *    "variables": {"items": "list(Item)", "user": {"age": "int"}}}
 * A variable declared with an object gets a record type of its own name.
 * The document is read twice: once reporting every error, then, only when
 * there was none, once declaring; so a document with errors adds nothing
 * to the schema.
 */
/* strtod_l and newlocale: numbers whatever LC_NUMERIC says */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "strmap.h"
#include "literal.h"
#include "rtime.h"
#include "suggest.h"
#include "value.h"

/* The longest schema document accepted. */
#define SCHEMA_MAX_BYTES (16u << 20)
/* The most errors reported per document. */
#define SCHEMA_MAX_ERRORS 20


/* Bytes [off, off+len) of the document. */
typedef struct span {
  size_t off, len;
} span;

/* One member of an object: its key (a string token) and its value. */
typedef struct member {
  span key, value;
} member;

typedef struct loader {
  rulecore_schema *s;
  const char *text; /* the document, valid JSON once json_check_text said so */
  size_t len;
  source src;
  rulecore_diagnostics *d;
  arena tmp;              /* decoded strings, released when the load ends */
  bool apply;             /* declare (second reading) rather than check */
  rulecore_status status; /* RULECORE_OK, or why the load stopped */
} loader;

/* The reader's check of a whole text (below): RULECORE_OK when it is JSON
 * (an object or array at the top; keys may repeat: the schema loader
 * reports them as declarations), else RULECORE_ERR_SOURCE with where
 * (*err_off, *err_len) and why (msg, "invalid JSON: ..."), or
 * RULECORE_ERR_NOMEM. */
static rulecore_status json_check_text(const char *text, size_t len, size_t *err_off, size_t *err_len, char *msg,
                                       size_t msg_size);
/* Decode the string token at text[at] into a NUL-terminated copy in a:
 * NULL when out of memory (or not a string token); *nul set when the
 * string holds a NUL (\u0000). */
static char *json_decode_into(arena *a, const char *text, size_t len, size_t at, bool *nul);

/* ---- the scanner (over text json_check_text accepted) ---- */

static size_t skip_blank(const loader *l, size_t i) {
  while (i < l->len && (l->text[i] == ' ' || l->text[i] == '\t' || l->text[i] == '\n' || l->text[i] == '\r')) i++;
  return i;
}

/* The end of the string token whose opening quote is at i. */
static size_t string_end(const loader *l, size_t i) {
  for (i++; i < l->len; i++) {
    if (l->text[i] == '\\')
      i++;
    else if (l->text[i] == '"')
      return i + 1;
  }
  return l->len;
}

/* The end of the value starting at i: a string, an object or array (to
 * its matching bracket, iteratively), or a number or literal. */
static size_t value_end(const loader *l, size_t i) {
  if (i >= l->len) return l->len;
  char c = l->text[i];
  if (c == '"') return string_end(l, i);
  if (c == '{' || c == '[') {
    size_t depth = 0;
    while (i < l->len) {
      c = l->text[i];
      if (c == '"') {
        i = string_end(l, i);
        continue;
      }
      if (c == '{' || c == '[') depth++;
      if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      i++;
    }
    return l->len;
  }
  while (i < l->len && !strchr(",]} \t\r\n", l->text[i])) i++;
  return i;
}

/* The next member of the object being read at *i (just inside its '{',
 * or just after the previous member's value).  false after the last. */
static bool next_member(const loader *l, size_t *i, member *m) {
  size_t p = skip_blank(l, *i);
  if (p < l->len && l->text[p] == ',') p = skip_blank(l, p + 1);
  if (p >= l->len || l->text[p] != '"') return false;
  m->key.off = p;
  p = string_end(l, p);
  m->key.len = p - m->key.off;
  p = skip_blank(l, p);
  if (p < l->len && l->text[p] == ':') p++;
  p = skip_blank(l, p);
  m->value.off = p;
  p = value_end(l, p);
  m->value.len = p - m->value.off;
  *i = p;
  return true;
}

static char kind_of(const loader *l, span v) { return v.off < l->len ? l->text[v.off] : '\0'; }

/* "an object", "a number", ...: what the value at v is, for messages. */
static const char *kind_name(const loader *l, span v) {
  switch (kind_of(l, v)) {
  case '{': return "an object";
  case '[': return "an array";
  case '"': return "a string";
  case 't':
  case 'f': return "a boolean";
  case 'n': return "null";
  default: return "a number";
  }
}

/* ---- reporting and declaring ---- */

static bool loading(const loader *l) { return l->status == RULECORE_OK && !diag_full(l->d); }

/* Report an error about the bytes at `at`.  Only the first reading
 * reports; the second finds nothing to report. */
PRINTF_LIKE(4, 5) static void report(loader *l, int code, span at, const char *fmt, ...) {
  if (l->apply) return;
  char message[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  diag_add(l->d, &l->src, RULECORE_SEVERITY_ERROR, code, at.off, at.len, "%s", message);
  if (l->d->oom) l->status = RULECORE_ERR_NOMEM;
}

/* Where the bytes at `at` are, borrowing the document's strings (the
 * schema copies what it keeps). */
static const diag_loc *loc_of(const loader *l, span at, diag_loc *loc) {
  memset(loc, 0, sizeof *loc);
  loc->file = l->src.file;
  loc->offset = at.off;
  loc->length = at.len;
  src_position(&l->src, at.off, &loc->line, &loc->column);
  src_position(&l->src, at.off + at.len, &loc->end_line, &loc->end_column);
  loc->line_text = src_line(&l->src, loc->line, &loc->line_len);
  return loc;
}

static void declared(loader *l, rulecore_status st) {
  if (st != RULECORE_OK && l->status == RULECORE_OK) l->status = st;
}

static void declare_record(loader *l, const char *name, span at) {
  diag_loc loc;
  if (l->apply) declared(l, schema_declare_record(l->s, name, loc_of(l, at, &loc)));
}

static void declare_field(loader *l, const char *record, const char *field, const char *spec, span at) {
  diag_loc loc;
  if (l->apply) declared(l, schema_declare_field(l->s, record, field, spec, loc_of(l, at, &loc)));
}

static void declare_variable(loader *l, const char *name, const char *spec, span at) {
  diag_loc loc;
  if (l->apply) declared(l, schema_declare_variable(l->s, name, spec, loc_of(l, at, &loc)));
}

/* The string token at `at`, decoded into l->tmp; NULL when out of memory.
 * Most keys and spellings hold no escape and are copied as they stand. */
static const char *string_of(loader *l, span at) {
  const char *z = NULL;
  bool nul = false;
  if (at.len >= 2 && !memchr(l->text + at.off + 1, '\\', at.len - 2))
    z = arena_strndup(&l->tmp, l->text + at.off + 1, at.len - 2);
  else
    z = json_decode_into(&l->tmp, l->text, l->len, at.off, &nul);
  if (!z) l->status = RULECORE_ERR_NOMEM;
  if (nul) { /* no name or spelling holds one */
    report(l, RULECORE_DIAG_SCHEMA_SYNTAX, at, "a NUL (\\u0000) in a schema document's string");
    return NULL;
  }
  return z;
}

/* Whether key (a string of l->tmp, which outlives seen) is in seen,
 * adding it if not: JSON allows repeated keys, which here are names
 * declared twice. */
static bool seen_before(loader *l, strmap *seen, const char *key) {
  if (l->apply) return false; /* the first reading found none */
  if (strmap_get(seen, key, NULL)) return true;
  if (!strmap_put(seen, key, key)) l->status = RULECORE_ERR_NOMEM;
  return false;
}

/* ---- the document ---- */

/* The fields of record `record`, the object at v:
 * {"field": "type spelling", ...}. */
static void load_fields(loader *l, const char *record, span v) {
  strmap seen = {0};
  size_t i = v.off + 1;
  member m;
  while (loading(l) && next_member(l, &i, &m)) {
    const char *field = string_of(l, m.key);
    if (!field) break;
    if (!field[0]) {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.key, "a field name must not be empty");
    } else if (seen_before(l, &seen, field)) {
      report(l, RULECORE_DIAG_SCHEMA_DUPLICATE, m.key, "field '%s' of type '%s' is declared twice", field, record);
    } else if (kind_of(l, m.value) != '"') {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.value,
             "the type of field '%s' must be a string such as \"int\" or \"list(Item)\", not %s", field,
             kind_name(l, m.value));
    } else {
      const char *spec = string_of(l, m.value);
      if (spec) declare_field(l, record, field, spec, m.value);
    }
  }
  strmap_release(&seen);
}

/* "types": {"Record": {fields}, ...}. */
static void load_types(loader *l, span v) {
  if (kind_of(l, v) != '{') {
    report(l, RULECORE_DIAG_SCHEMA_SYNTAX, v,
           "\"types\" must be an object of record types ({\"Name\": {\"field\": \"type\"}}), not %s",
           kind_name(l, v));
    return;
  }
  strmap seen = {0};
  size_t i = v.off + 1;
  member m;
  while (loading(l) && next_member(l, &i, &m)) {
    const char *name = string_of(l, m.key);
    if (!name) break;
    if (!name[0]) {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.key, "a type name must not be empty");
    } else if (seen_before(l, &seen, name)) {
      report(l, RULECORE_DIAG_SCHEMA_DUPLICATE, m.key, "type '%s' is declared twice", name);
    } else if (kind_of(l, m.value) != '{') {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.value,
             "type '%s' must be an object of fields ({\"field\": \"type\"}), not %s", name, kind_name(l, m.value));
    } else {
      declare_record(l, name, m.key);
      load_fields(l, name, m.value);
    }
  }
  strmap_release(&seen);
}

/* "variables": {"name": "type spelling" or {fields}, ...}. */
static void load_variables(loader *l, span v) {
  if (kind_of(l, v) != '{') {
    report(l, RULECORE_DIAG_SCHEMA_SYNTAX, v,
           "\"variables\" must be an object of variables ({\"name\": \"type\"} or {\"name\": {\"field\": "
           "\"type\"}}), not %s",
           kind_name(l, v));
    return;
  }
  strmap seen = {0};
  size_t i = v.off + 1;
  member m;
  while (loading(l) && next_member(l, &i, &m)) {
    const char *name = string_of(l, m.key);
    if (!name) break;
    char kind = kind_of(l, m.value);
    if (!name[0]) {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.key, "a variable name must not be empty");
    } else if (seen_before(l, &seen, name)) {
      report(l, RULECORE_DIAG_SCHEMA_DUPLICATE, m.key, "variable '%s' is declared twice", name);
    } else if (kind == '"') {
      const char *spec = string_of(l, m.value);
      if (spec) declare_variable(l, name, spec, m.value);
    } else if (kind == '{') {
      /* A record type of the variable's own name, declared at the key. */
      declare_record(l, name, m.key);
      load_fields(l, name, m.value);
      declare_variable(l, name, name, m.key);
    } else {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.value,
             "variable '%s' must have a type (a string such as \"int\") or an object of fields, not %s", name,
             kind_name(l, m.value));
    }
  }
  strmap_release(&seen);
}

static const char *const top_keys[] = {"types", "variables"};

static const char *top_key_at(const void *ctx, size_t i) {
  (void)ctx;
  return top_keys[i];
}

/* The document: {"types": ..., "variables": ...}, both optional. */
static void load_document(loader *l, span v) {
  if (kind_of(l, v) != '{') {
    report(l, RULECORE_DIAG_SCHEMA_SYNTAX, v,
           "a schema document must be a JSON object ({\"types\": {...}, \"variables\": {...}}), not %s",
           kind_name(l, v));
    return;
  }
  bool have_types = false, have_variables = false;
  size_t i = v.off + 1;
  member m;
  while (loading(l) && next_member(l, &i, &m)) {
    const char *key = string_of(l, m.key);
    if (!key) break;
    bool types = strcmp(key, "types") == 0, variables = strcmp(key, "variables") == 0;
    if ((types && have_types) || (variables && have_variables)) {
      report(l, RULECORE_DIAG_SCHEMA_DUPLICATE, m.key, "key '%s' appears twice", key);
    } else if (types) {
      have_types = true;
      load_types(l, m.value);
    } else if (variables) {
      have_variables = true;
      load_variables(l, m.value);
    } else {
      const char *near = suggest_closest(key, ARRAY_LEN(top_keys), top_key_at, NULL);
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.key, "unknown key '%s'; expected \"types\" or \"variables\"%s%s%s",
             key, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    }
  }
}

/* Whether the document is JSON, reporting where it is not; *root is then
 * its top-level value. */
static bool check_json(loader *l, span *root) {
  /* A NUL byte ends no JSON text, but some callers' text in C strings. */
  const char *nul = memchr(l->text, '\0', l->len);
  if (nul) {
    span at = {(size_t)(nul - l->text), 1};
    report(l, RULECORE_DIAG_SCHEMA_SYNTAX, at, "invalid JSON: a NUL byte");
    return false;
  }
  if (skip_blank(l, 0) == l->len) {
    span at = {l->len, 0};
    report(l, RULECORE_DIAG_SCHEMA_SYNTAX, at,
           "empty schema document; expected a JSON object ({\"types\": {...}, \"variables\": {...}})");
    return false;
  }
  /* A document that is not an object is told so, whether or not the rest
   * would be JSON. */
  size_t top = skip_blank(l, 0);
  if (l->text[top] != '{') {
    span v = {top, value_end(l, top) - top};
    report(l, RULECORE_DIAG_SCHEMA_SYNTAX, v,
           "a schema document must be a JSON object ({\"types\": {...}, \"variables\": {...}}), not %s",
           kind_name(l, v));
    return false;
  }
  span at;
  char msg[480];
  rulecore_status st = json_check_text(l->text, l->len, &at.off, &at.len, msg, sizeof msg);
  if (st == RULECORE_ERR_NOMEM) l->status = st;
  if (st == RULECORE_ERR_SOURCE) report(l, RULECORE_DIAG_SCHEMA_SYNTAX, at, "%s", msg);
  if (st != RULECORE_OK) return false;
  root->off = skip_blank(l, 0);
  root->len = value_end(l, root->off) - root->off;
  return true;
}

rulecore_status json_load_schema(rulecore_schema *s, const char *text, size_t len, const char *file,
                                 rulecore_diagnostics *d) {
  if (!s || s->frozen || (!text && len)) return RULECORE_ERR_ARGUMENT;
  loader l = {.s = s, .text = text ? text : "", .len = len, .d = d};
  size_t errors_before = d->errors;
  bool too_large = len > SCHEMA_MAX_BYTES;
  if (!src_init(&l.src, l.text, too_large ? SCHEMA_MAX_BYTES : len, file)) return RULECORE_ERR_NOMEM;
  span root;
  if (too_large) {
    span at = {SCHEMA_MAX_BYTES, 0};
    report(&l, RULECORE_DIAG_SOURCE_TOO_LARGE, at, "schema document is larger than the limit of 16 MiB (%u bytes)",
           SCHEMA_MAX_BYTES);
  } else if (check_json(&l, &root)) {
    load_document(&l, root);
    if (l.status == RULECORE_OK && d->errors == errors_before) {
      l.apply = true;
      load_document(&l, root);
    }
  }
  arena_release(&l.tmp);
  src_release(&l.src);
  if (l.status == RULECORE_OK && d->oom) l.status = RULECORE_ERR_NOMEM;
  if (l.status != RULECORE_OK) return l.status;
  return d->errors > errors_before ? RULECORE_ERR_SOURCE : RULECORE_OK;
}

/* ---- public ---- */

/* Hand d to the caller through diagnostics (sorted), or free it. */
static void hand_over(rulecore_diagnostics *d, rulecore_diagnostics **diagnostics) {
  diag_sort(d);
  if (diagnostics)
    *diagnostics = d;
  else
    rulecore_diagnostics_free(d);
}

RULECORE_API rulecore_status rulecore_schema_load(rulecore_schema *schema, const char *text, size_t length,
                                                  const char *file, rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!schema || schema->frozen || (!text && length)) return RULECORE_ERR_ARGUMENT;
  rulecore_diagnostics *d = diag_new(SCHEMA_MAX_ERRORS);
  if (!d) return RULECORE_ERR_NOMEM;
  rulecore_status st = json_load_schema(schema, text, length, file, d);
  hand_over(d, diagnostics);
  return st;
}

/* Read the file at path into *out (a buf), at most one chunk past the
 * size limit.  RULECORE_ERR_IO with errno set, or RULECORE_ERR_NOMEM. */
static rulecore_status read_schema_file(const char *path, buf *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return RULECORE_ERR_IO;
  char chunk[16384];
  size_t got;
  do {
    got = fread(chunk, 1, sizeof chunk, f);
    buf_append(out, chunk, got);
  } while (got == sizeof chunk && out->len <= SCHEMA_MAX_BYTES && !out->oom);
  bool failed = ferror(f);
  int err = errno;
  fclose(f);
  if (failed) {
    errno = err ? err : EIO;
    return RULECORE_ERR_IO;
  }
  return out->oom ? RULECORE_ERR_NOMEM : RULECORE_OK;
}

/*
 * When the file cannot be read: RULECORE_ERR_IO, errno says why (as for
 * fopen and fread), and *diagnostics is an empty list; there is no
 * diagnostic code for a file that is not there, and a caller printing
 * "cannot read 'x': <strerror>" wants errno anyway.
 */
RULECORE_API rulecore_status rulecore_schema_load_file(rulecore_schema *schema, const char *path,
                                                       rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!schema || schema->frozen || !path) return RULECORE_ERR_ARGUMENT;
  rulecore_diagnostics *d = diag_new(SCHEMA_MAX_ERRORS);
  if (!d) return RULECORE_ERR_NOMEM;
  buf text = {0};
  rulecore_status st = read_schema_file(path, &text);
  int err = errno;
  if (st == RULECORE_OK) st = json_load_schema(schema, text.data, text.len, path, d);
  buf_release(&text);
  hand_over(d, diagnostics);
  if (st == RULECORE_ERR_IO) errno = err;
  return st;
}

/* ---- contexts: filling activations from JSON ---- */

/*
 * A context is read in one pass over its text, straight into the
 * activation: a recursive-descent reader that knows, at each value, the
 * type the schema declares there (plain style) or reads the value's tag
 * (typed style), and builds lists, maps and records in the activation's
 * pool as their elements arrive.  There is no document tree: strings are
 * decoded into the pool (or, when only looked at, into the activation's
 * scratch buffer), elements wait on the activation's staging stack until
 * their container ends, so refilling an activation that once held as
 * large a context allocates nothing.
 *
 * What it accepts is what jansson (the reader before this one, flags
 * JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL) accepted: RFC 8259 JSON whose
 * text is valid UTF-8, an object or array at the top, nesting at most
 * 2048 deep, no repeated key in an object, no NUL (\u0000) in a key
 * (strings may hold it), no number beyond the range of a double.  An
 * integer beyond int64 turns every number of the document into a double
 * (jansson's JSON_DECODE_INT_AS_REAL, which the old reader fell back on):
 * the reader starts again in that mode when it meets one.
 *
 * Every error has a position in the text (line, column, span).  A text
 * that is not JSON reports its first syntax error whatever else is wrong
 * with it; else the first value that does not fit the schema, named by
 * its path (order.items[1].sku).  When the one pass stops at an error the
 * whole text is checked again by validate(), which decides between the
 * two (and finds an integer beyond int64 further on): only failures pay.
 * The typed style validates first, as its reader looks ahead (a tag's
 * object must have one key; a record's "type" may follow its "fields").
 *
 * A failed fill leaves the variables as they were: they are saved before
 * (a copy of nvars values into storage the activation keeps) and put
 * back; what the fill built in the pool stays there until a reset.
 */

/* Nesting of arrays and objects, as jansson's JSON_PARSER_MAX_DEPTH. */
#define CTX_MAX_NESTING 2048
/* The path kept for messages (deeper values are named by their first
 * CTX_PATH_MAX steps). */
#define CTX_PATH_MAX 72

typedef struct ctx {
  const char *s; /* the text */
  size_t len;
  size_t p; /* the next byte */
  rulecore_activation *a;
  pool *pool;
  const rulecore_schema *schema;
  bool typed, computed;
  bool repeats; /* validate() lets keys repeat (a schema document's) */
  char *own_scratch; /* without an activation: the scratch buffer */
  size_t own_scratch_cap;
  bool reals;    /* every number a double: the text holds an integer beyond int64 */
  bool overflow; /* met such an integer while !reals */
  rulecore_status status;
  int code; /* of the error: RULECORE_DIAG_CONTEXT_SYNTAX or _MISMATCH */
  size_t err_off, err_len;
  char msg[480];
  /* Where we are, for messages: a key (the offset of its token) or an
   * index.  Formatted only when an error is reported. */
  struct {
    size_t off; /* SIZE_MAX: an index */
    size_t index;
  } path[CTX_PATH_MAX];
  size_t depth;
  uint32_t open; /* containers being built */
  char *blk, *blk_end; /* ctx_alloc's block */
} ctx;

/* A JSON number token. */
typedef struct num {
  size_t end;
  bool is_int;   /* no fraction, no exponent */
  bool too_big;  /* is_int, beyond int64 */
  int64_t i;     /* is_int && !too_big */
  double d;      /* when asked for */
} num;

/* ---- errors ---- */

static bool ctx_ok(const ctx *c) { return c->status == RULECORE_OK; }

static void ctx_nomem(ctx *c) {
  if (ctx_ok(c)) c->status = RULECORE_ERR_NOMEM;
}

PRINTF_LIKE(4, 5) static void ctx_syntax(ctx *c, size_t off, size_t len, const char *fmt, ...) {
  if (!ctx_ok(c)) return;
  c->status = RULECORE_ERR_SOURCE;
  c->code = RULECORE_DIAG_CONTEXT_SYNTAX;
  c->err_off = off;
  c->err_len = len;
  int n = snprintf(c->msg, sizeof c->msg, "invalid JSON: ");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->msg + n, sizeof c->msg - (size_t)n, fmt, ap);
  va_end(ap);
}

static size_t decode_string(const ctx *c, size_t at, char *dst, size_t *n, bool *nul);

/* Append the path to b: keys decoded again from the text. */
static void format_path(const ctx *c, buf *b) {
  for (size_t i = 0; i < c->depth && i < CTX_PATH_MAX; i++) {
    if (c->path[i].off == SIZE_MAX) {
      buf_printf(b, "[%zu]", c->path[i].index);
      continue;
    }
    size_t off = c->path[i].off, end = decode_string(c, off, NULL, NULL, NULL);
    char *key = end > off ? mem_alloc(end - off) : NULL;
    size_t n = 0;
    if (key) decode_string(c, off, key, &n, NULL);
    if (i) buf_putc(b, '.');
    if (key) buf_append(b, key, strnlen(key, n));
    mem_free(key);
  }
}

PRINTF_LIKE(4, 5) static void ctx_mismatch(ctx *c, size_t off, size_t len, const char *fmt, ...) {
  if (!ctx_ok(c)) return;
  c->status = RULECORE_ERR_SOURCE;
  c->code = RULECORE_DIAG_CONTEXT_MISMATCH;
  c->err_off = off;
  c->err_len = len;
  char what[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  buf path = {0};
  format_path(c, &path);
  snprintf(c->msg, sizeof c->msg, "%s: %s", path.data ? path.data : "", what);
  buf_release(&path);
}

static void path_key(ctx *c, size_t key_off) {
  if (c->depth < CTX_PATH_MAX) c->path[c->depth].off = key_off;
  c->depth++;
}

static void path_index(ctx *c, size_t i) {
  if (c->depth < CTX_PATH_MAX) {
    c->path[c->depth].off = SIZE_MAX;
    c->path[c->depth].index = i;
  }
  c->depth++;
}

static void path_pop(ctx *c) { c->depth--; }

/* ---- tokens ---- */

static inline size_t skip_ws(const ctx *c, size_t p) {
  if (p < c->len && (unsigned char)c->s[p] > ' ') return p; /* compact JSON */
  while (p < c->len) {
    char ch = c->s[p];
    if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') break;
    p++;
  }
  return p;
}

static int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* The code unit of the \uXXXX escape at s[p] (the backslash), or -1. */
static long u_escape(const ctx *c, size_t p) {
  if (c->len - p < 6 || c->s[p] != '\\' || c->s[p + 1] != 'u') return -1;
  long v = 0;
  for (size_t k = 2; k < 6; k++) {
    int h = hex_digit(c->s[p + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/* The length of the valid UTF-8 sequence at s[p] (2 to 4), or 0. */
static size_t utf8_seq(const ctx *c, size_t p) {
  size_t got = lit_utf8_valid_prefix(c->s + p, c->len - p < 4 ? c->len - p : 4);
  if (got == 0) return 0;
  unsigned char ch = (unsigned char)c->s[p];
  size_t len = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : 2;
  return got >= len ? len : 0;
}

/* Decode the string token whose quote is at s[at]: into dst (when not
 * NULL; room for the token's length) *n bytes and a NUL, *nul set when it
 * holds a NUL.  Returns the offset past its closing quote, or `at` after
 * reporting a syntax error (when c is not const: see scan_string). */
static size_t decode_string(const ctx *c, size_t at, char *dst, size_t *n, bool *nul) {
  size_t p = at + 1, o = 0;
  bool has_nul = false;
  while (p < c->len) {
    unsigned char ch = (unsigned char)c->s[p];
    if (ch == '"') {
      if (dst) dst[o] = '\0';
      if (n) *n = o;
      if (nul) *nul = has_nul;
      return p + 1;
    }
    if (ch < 0x20) return at;
    if (ch == '\\') {
      if (p + 1 >= c->len) return at;
      char e = c->s[p + 1], out;
      switch (e) {
      case '"': out = '"'; break;
      case '\\': out = '\\'; break;
      case '/': out = '/'; break;
      case 'b': out = '\b'; break;
      case 'f': out = '\f'; break;
      case 'n': out = '\n'; break;
      case 'r': out = '\r'; break;
      case 't': out = '\t'; break;
      case 'u': {
        long u = u_escape(c, p);
        if (u < 0) return at;
        size_t used = 6;
        if (u >= 0xDC00 && u <= 0xDFFF) return at;
        if (u >= 0xD800 && u <= 0xDBFF) {
          long lo = u_escape(c, p + 6);
          if (lo < 0xDC00 || lo > 0xDFFF) return at;
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
          used = 12;
        }
        if (dst) {
          if (u < 0x80) {
            dst[o++] = (char)u;
          } else if (u < 0x800) {
            dst[o++] = (char)(0xC0 | (u >> 6));
            dst[o++] = (char)(0x80 | (u & 0x3F));
          } else if (u < 0x10000) {
            dst[o++] = (char)(0xE0 | (u >> 12));
            dst[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
            dst[o++] = (char)(0x80 | (u & 0x3F));
          } else {
            dst[o++] = (char)(0xF0 | (u >> 18));
            dst[o++] = (char)(0x80 | ((u >> 12) & 0x3F));
            dst[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
            dst[o++] = (char)(0x80 | (u & 0x3F));
          }
        } else {
          o += u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
        }
        if (u == 0) has_nul = true;
        p += used;
        continue;
      }
      default: return at;
      }
      if (dst) dst[o] = out;
      o++;
      p += 2;
      continue;
    }
    if (ch < 0x80) {
      if (dst) dst[o] = (char)ch;
      o++;
      p++;
      continue;
    }
    size_t k = utf8_seq(c, p);
    if (!k) return at;
    if (dst) memcpy(dst + o, c->s + p, k);
    o += k;
    p += k;
  }
  return at;
}

/* Report why the string token at `at` does not decode. */
static void string_error(ctx *c, size_t at) {
  size_t p = at + 1;
  while (p < c->len) {
    unsigned char ch = (unsigned char)c->s[p];
    if (ch == '"') break;
    if (ch < 0x20) {
      ctx_syntax(c, p, 1, ch == '\n' ? "a newline in a string" : "control character 0x%02x in a string", ch);
      return;
    }
    if (ch == '\\') {
      if (p + 1 >= c->len) break;
      char e = c->s[p + 1];
      if (e == 'u') {
        long u = u_escape(c, p);
        if (u < 0) {
          ctx_syntax(c, p, c->len - p < 6 ? c->len - p : 6, "invalid \\u escape (four hex digits expected)");
          return;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
          long lo = u_escape(c, p + 6);
          if (lo < 0xDC00 || lo > 0xDFFF) {
            ctx_syntax(c, p, 6, "invalid Unicode: \\u%04lX is a high surrogate without a low one after it", u);
            return;
          }
          p += 12;
          continue;
        }
        if (u >= 0xDC00 && u <= 0xDFFF) {
          ctx_syntax(c, p, 6, "invalid Unicode: \\u%04lX is a low surrogate without a high one before it", u);
          return;
        }
        p += 6;
        continue;
      }
      if (!strchr("\"\\/bfnrt", e) || !e) {
        ctx_syntax(c, p, 2, "invalid escape");
        return;
      }
      p += 2;
      continue;
    }
    if (ch < 0x80) {
      p++;
      continue;
    }
    size_t k = utf8_seq(c, p);
    if (!k) {
      ctx_syntax(c, p, 1, "invalid UTF-8 (byte 0x%02x)", ch);
      return;
    }
    p += k;
  }
  ctx_syntax(c, at, c->len - at, "premature end of input in a string");
}

/* The end of the string token at `at` (a quote), no decoding; `at` when
 * it does not end.  Only over text known to be valid (lookahead). */
static size_t string_end_fast(const ctx *c, size_t at) {
  for (size_t p = at + 1; p < c->len; p++) {
    if (c->s[p] == '\\')
      p++;
    else if (c->s[p] == '"')
      return p + 1;
  }
  return at;
}

/* Bytes a string token holds as they stand: printable ASCII but the
 * quote and the backslash. */
static const bool plain_byte[256] = {
#define P2(x) [x] = true, [x + 1] = true
#define P4(x) P2(x), P2(x + 2)
#define P16(x) P4(x), P4(x + 4), P4(x + 8), P4(x + 12)
    P2(0x20), /* not '"' (0x22) */ P4(0x23), P4(0x27), P4(0x2b), P2(0x2f), [0x31] = true, P16(0x32) /* to 0x41 */,
    P16(0x42) /* to 0x51 */, P4(0x52), P4(0x56), P2(0x5a), /* not '\\' (0x5c) */ P2(0x5d), [0x5f] = true,
    P16(0x60), P16(0x70),
#undef P16
#undef P4
#undef P2
};

/* The end of the string token at `at` when it holds only plain bytes (so
 * its value is the bytes between its quotes), else 0. */
static inline size_t plain_string_end(const ctx *c, size_t at) {
  const unsigned char *s = (const unsigned char *)c->s;
  size_t p = at + 1, len = c->len;
  /* Eight bytes at a time: a high bit marks each byte that is below 0x20,
   * at or above 0x80, '"' or '\\'. */
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /* (The lowest byte marked is exact: borrows only run upwards from a
   * byte that is marked itself.  The loop below checks again.) */
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
  while (p < len && len - p >= 8) {
    uint64_t w;
    memcpy(&w, s + p, 8);
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t stop = (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w) & highs;
    if (stop) {
      p += (size_t)__builtin_ctzll(stop) / 8;
      break;
    }
    p += 8;
  }
#endif
  while (p < len && plain_byte[s[p]]) p++;
  return p < c->len && s[p] == '"' ? p + 1 : 0;
}

/* strcmp(name, key[0..n)) for a key holding no NUL. */
static inline int key_cmp(const char *name, const char *key, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)name[i], y = (unsigned char)key[i];
    if (x != y) return x < y ? -1 : 1;
  }
  return name[n] ? 1 : 0;
}

/* Record t's field named key[0..n), or NULL (type_field without a NUL). */
static const record_field *find_field(const type *t, const char *key, size_t n) {
  uint32_t lo = 0, hi = t->nfields;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int r = key_cmp(t->fields[mid].name, key, n);
    if (r == 0) return &t->fields[mid];
    if (r < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* The frozen schema's variable named key[0..n), or NULL. */
static const schema_var *find_variable(const rulecore_schema *s, const char *key, size_t n) {
  if (!s || !s->vars) return NULL;
  uint32_t lo = 0, hi = s->nvars;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int r = key_cmp(s->vars[mid].name, key, n);
    if (r == 0) return &s->vars[mid];
    if (r < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* The scratch buffer, with room for the string token at `at` decoded;
 * NULL, reported, when the token does not end (or out of memory). */
static char *scratch_for_string(ctx *c, size_t at) {
  size_t end = string_end_fast(c, at);
  if (end == at) {
    string_error(c, at);
    return NULL;
  }
  size_t need = end - at;
  char *p;
  if (c->a) {
    p = act_scratch(c->a, need);
  } else if (need <= c->own_scratch_cap) {
    p = c->own_scratch;
  } else {
    p = mem_realloc(c->own_scratch, need);
    if (p) c->own_scratch = p, c->own_scratch_cap = need;
  }
  if (!p) ctx_nomem(c);
  return p;
}

/* Decode the string at c->p into dst (cap bytes: the token's length at
 * least), moving past it.  false after reporting. */
static bool scan_string(ctx *c, char *dst, size_t *n, bool *nul) {
  size_t end = decode_string(c, c->p, dst, n, nul);
  if (end == c->p) {
    string_error(c, c->p);
    return false;
  }
  c->p = end;
  return true;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* The double the valid JSON number s[at..at+n) denotes, correctly rounded
 * (strtod in the C locale, whatever LC_NUMERIC says); *inf when it
 * overflows.  The slow path of scan_number. */
static double number_slow(ctx *c, size_t at, size_t n, bool *inf) {
  char small[64], *z = small;
  *inf = false;
  if (n >= sizeof small) {
    z = act_scratch(c->a, n + 1);
    if (!z) {
      ctx_nomem(c);
      return 0;
    }
  }
  memcpy(z, c->s + at, n);
  z[n] = '\0';
  pthread_once(&c_locale_once, make_c_locale);
  double d;
  errno = 0;
  if (c_locale) {
    d = strtod_l(z, NULL, c_locale);
  } else { /* no C locale: the current one's decimal point */
    const char *point = localeconv()->decimal_point;
    char *dot = strchr(z, '.');
    if (dot && point && point[0] && point[0] != '.' && !point[1]) *dot = point[0];
    d = strtod(z, NULL);
  }
  if (errno == ERANGE && isinf(d)) *inf = true;
  return d;
}

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* Scan the number token at c->p (a '-' or a digit), as jansson's grammar:
 * no leading zeros, digits after '.', digits in the exponent; its value
 * too (the double when it has a fraction or an exponent, or c->reals).
 * false after reporting. */
static bool scan_number(ctx *c, num *out) {
  size_t p = c->p, at = p, len = c->len;
  const char *s = c->s;
  bool neg = s[p] == '-';
  if (neg) p++;
  if (p >= len || !is_digit(s[p])) {
    ctx_syntax(c, at, p - at + (p < len), "invalid number");
    return false;
  }
  /* The first 19 significant digits as an integer w, times 10^scale. */
  uint64_t w = 0;
  int sig = 0;
  long scale = 0;
  bool lost = false; /* digits beyond those 19 */
  if (s[p] == '0') {
    p++;
    if (p < len && is_digit(s[p])) {
      ctx_syntax(c, at, p - at + 1, "invalid number (a leading zero)");
      return false;
    }
  } else {
    for (; p < len && is_digit(s[p]); p++) {
      if (sig < 19) {
        w = w * 10 + (uint64_t)(s[p] - '0');
        sig++;
      } else {
        lost = true;
      }
    }
  }
  out->is_int = true;
  if (p < len && s[p] == '.') {
    out->is_int = false;
    p++;
    if (p >= len || !is_digit(s[p])) {
      ctx_syntax(c, at, p - at, "invalid number (digits expected after '.')");
      return false;
    }
    for (; p < len && is_digit(s[p]); p++) {
      if (sig < 19 && !(sig == 0 && s[p] == '0')) {
        w = w * 10 + (uint64_t)(s[p] - '0');
        sig++;
        scale--;
      } else if (sig == 0) {
        scale--; /* a leading zero of the fraction */
      } else {
        lost = true;
      }
    }
  }
  if (p < len && (s[p] == 'e' || s[p] == 'E')) {
    out->is_int = false;
    p++;
    bool eneg = p < len && s[p] == '-';
    if (p < len && (s[p] == '+' || s[p] == '-')) p++;
    if (p >= len || !is_digit(s[p])) {
      ctx_syntax(c, at, p - at, "invalid number (digits expected in the exponent)");
      return false;
    }
    long e = 0;
    for (; p < len && is_digit(s[p]); p++)
      if (e < 100000) e = e * 10 + (s[p] - '0');
    scale += eneg ? -e : e;
  }
  out->end = p;
  out->too_big = false;
  if (out->is_int) {
    if (lost || w > (uint64_t)INT64_MAX + neg) out->too_big = true;
    else out->i = neg ? (int64_t)(0 - w) : (int64_t)w;
  }
  if (!out->is_int || c->reals) {
    /* Exact when the digits fit 2^53 and the power of ten is exact too
     * (Clinger's fast path): then one IEEE operation rounds correctly. */
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (!lost && w <= (UINT64_C(1) << 53) && scale >= -22 && scale <= 22) {
      double d = (double)w;
      d = scale < 0 ? d / pow10[-scale] : d * pow10[scale];
      out->d = neg ? -d : d;
    } else {
      bool inf;
      out->d = number_slow(c, at, p - at, &inf);
      if (!ctx_ok(c)) return false;
      if (inf) {
        ctx_syntax(c, at, p - at, "a number beyond the range of a double");
        return false;
      }
    }
  }
  return true;
}

/* The literal at c->p (true, false, null): 't', 'f', 'n'; 0 after
 * reporting.  A run of letters is one token, as in jansson. */
static char scan_literal(ctx *c) {
  size_t p = c->p;
  while (p < c->len && ((c->s[p] >= 'a' && c->s[p] <= 'z') || (c->s[p] >= 'A' && c->s[p] <= 'Z'))) p++;
  size_t n = p - c->p;
  const char *t = c->s + c->p;
  char kind = 0;
  if (n == 4 && !memcmp(t, "true", 4)) kind = 't';
  else if (n == 5 && !memcmp(t, "false", 5)) kind = 'f';
  else if (n == 4 && !memcmp(t, "null", 4)) kind = 'n';
  if (!kind) {
    ctx_syntax(c, c->p, n ? n : 1, "invalid token");
    return 0;
  }
  c->p = p;
  return kind;
}

/* Report what stands at c->p where a value was expected. */
static void expected_value(ctx *c) {
  if (c->p >= c->len) {
    ctx_syntax(c, c->len, 0, "premature end of input (a value expected)");
    return;
  }
  unsigned char ch = (unsigned char)c->s[c->p];
  if (ch >= 0x80 && !utf8_seq(c, c->p))
    ctx_syntax(c, c->p, 1, "invalid UTF-8 (byte 0x%02x)", ch);
  else
    ctx_syntax(c, c->p, ch >= 0x80 ? utf8_seq(c, c->p) : 1, "unexpected token (a value expected)");
}

/* After a value inside a container: ',' (true, past it) or the closing
 * byte (false, past it); a syntax error else (false). */
static bool next_element(ctx *c, char close, bool *more) {
  c->p = skip_ws(c, c->p);
  if (c->p < c->len && c->s[c->p] == ',') {
    c->p = skip_ws(c, c->p + 1);
    *more = true;
    return true;
  }
  if (c->p < c->len && c->s[c->p] == close) {
    c->p++;
    *more = false;
    return true;
  }
  if (c->p >= c->len)
    ctx_syntax(c, c->len, 0, "premature end of input ('%c' or ',' expected)", close);
  else
    ctx_syntax(c, c->p, 1, "'%c' or ',' expected", close);
  return false;
}

/* The key token at c->p: its n bytes, in the text itself when it holds
 * no escape (so not NUL-terminated), else decoded into the scratch buffer
 * (with a NUL after them); then past the ':' and blanks.  NULL after
 * reporting. */
static const char *scan_key(ctx *c, size_t *n) {
  if (c->p >= c->len || c->s[c->p] != '"') {
    if (c->p >= c->len)
      ctx_syntax(c, c->len, 0, "premature end of input (a string key expected)");
    else
      ctx_syntax(c, c->p, 1, "a string key expected");
    return NULL;
  }
  size_t at = c->p, end = plain_string_end(c, at);
  const char *key;
  if (end) {
    key = c->s + at + 1;
    *n = end - at - 2;
    c->p = end;
  } else {
    char *dst = scratch_for_string(c, at);
    if (!dst) return NULL;
    bool nul;
    if (!scan_string(c, dst, n, &nul)) return NULL;
    if (nul) {
      ctx_syntax(c, at, c->p - at, "a NUL byte (\\u0000) in an object key");
      return NULL;
    }
    key = dst;
  }
  c->p = skip_ws(c, c->p);
  if (c->p >= c->len || c->s[c->p] != ':') {
    if (c->p >= c->len)
      ctx_syntax(c, c->len, 0, "premature end of input (':' expected)");
    else
      ctx_syntax(c, c->p, 1, "':' expected");
    return NULL;
  }
  c->p = skip_ws(c, c->p + 1);
  return key;
}

/* The end of the (valid) value at p, for lookahead. */
static size_t value_end_fast(const ctx *c, size_t p) {
  if (p >= c->len) return c->len;
  char ch = c->s[p];
  if (ch == '"') return string_end_fast(c, p);
  if (ch == '{' || ch == '[') {
    size_t depth = 0;
    while (p < c->len) {
      ch = c->s[p];
      if (ch == '"') {
        size_t e = string_end_fast(c, p);
        if (e == p) return c->len;
        p = e;
        continue;
      }
      if (ch == '{' || ch == '[') depth++;
      if ((ch == '}' || ch == ']') && --depth == 0) return p + 1;
      p++;
    }
    return c->len;
  }
  while (p < c->len && !strchr(",]} \t\r\n", c->s[p])) p++;
  return p;
}

/* ---- validation: the whole text, on the error path ---- */

/* A key of an object, for finding repeats: which object, and its bytes
 * (decoded, in keys). */
typedef struct vkey {
  uint32_t object, hash;
  size_t off, len;
} vkey;

/* The keys seen, in the activation's buffers 1 (items), 2 (the index)
 * and 3 (the keys' bytes), kept from one fill to the next. */
typedef struct vset {
  rulecore_activation *a;
  vkey *items;
  size_t n;
  uint32_t *index; /* open addressing: item + 1, 0 empty */
  size_t mask;     /* index size - 1; 0: no index yet */
  char *bytes;
  size_t nbytes;
} vset;

enum { VSET_ITEMS = 1, VSET_INDEX = 2, VSET_BYTES = 3 };

static uint32_t key_hash(uint32_t object, const char *s, size_t n) {
  uint32_t h = 2166136261u ^ object;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

/* Add key (object, s[0..n)): 1 added, 0 a repeat, -1 out of memory. */
static int vset_add(vset *v, uint32_t object, const char *s, size_t n) {
  if (!v->mask || (v->n + 1) * 2 > v->mask) {
    size_t cap = v->mask ? (v->mask + 1) * 2 : 64;
    if (cap > UINT32_MAX) return -1;
    uint32_t *index = act_buffer(v->a, VSET_INDEX, cap * sizeof *index);
    vkey *items = act_buffer(v->a, VSET_ITEMS, cap / 2 * sizeof *items);
    if (!index || !items) return -1;
    memset(index, 0, cap * sizeof *index);
    v->items = items;
    v->index = index;
    v->mask = cap - 1;
    for (size_t i = 0; i < v->n; i++) {
      size_t h = v->items[i].hash & v->mask;
      while (v->index[h]) h = (h + 1) & v->mask;
      v->index[h] = (uint32_t)(i + 1);
    }
  }
  uint32_t hash = key_hash(object, s, n);
  size_t h = hash & v->mask;
  for (; v->index[h]; h = (h + 1) & v->mask) {
    const vkey *k = &v->items[v->index[h] - 1];
    if (k->hash == hash && k->object == object && k->len == n && !memcmp(v->bytes + k->off, s, n)) return 0;
  }
  /* s may be in the scratch buffer: buffer 3 is another */
  char *bytes = act_buffer(v->a, VSET_BYTES, v->nbytes + n + 1);
  if (!bytes) return -1;
  v->bytes = bytes;
  memcpy(bytes + v->nbytes, s, n);
  v->items[v->n] = (vkey){.object = object, .hash = hash, .off = v->nbytes, .len = n};
  v->nbytes += n;
  v->index[h] = (uint32_t)++v->n;
  return 1;
}

/* Check the whole text as jansson did, reporting its first syntax error
 * into c (c->reals false: an integer beyond int64 sets *big instead).
 * Iterative, so nesting costs no stack. */
static void validate(ctx *c, bool *big) {
  *big = false;
  c->p = skip_ws(c, 0);
  if (c->p >= c->len || (c->s[c->p] != '{' && c->s[c->p] != '[')) {
    if (c->p >= c->len)
      ctx_syntax(c, c->len, 0, "empty text; a JSON object expected");
    else
      ctx_syntax(c, c->p, 1, "a JSON object ('{') expected");
    return;
  }
  char kinds[CTX_MAX_NESTING];
  uint32_t ids[CTX_MAX_NESTING];
  uint32_t next_id = 0;
  size_t depth = 0;
  vset seen = {.a = c->a};
  for (;;) {
    /* a value at c->p */
    char ch = c->p < c->len ? c->s[c->p] : '\0';
    if (ch == '{' || ch == '[') {
      if (depth == CTX_MAX_NESTING) {
        ctx_syntax(c, c->p, 1, "nesting deeper than %d", CTX_MAX_NESTING);
        break;
      }
      kinds[depth] = ch;
      ids[depth++] = next_id++;
      c->p = skip_ws(c, c->p + 1);
      char close = ch == '{' ? '}' : ']';
      if (c->p < c->len && c->s[c->p] == close) {
        c->p++;
        depth--;
      } else if (ch == '[') {
        continue;
      } else {
        goto key;
      }
    } else if (ch == '"') {
      if (!scan_string(c, NULL, NULL, NULL)) break;
    } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
      num n;
      if (!scan_number(c, &n)) break;
      if (n.too_big) *big = true;
      c->p = n.end;
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
      if (!scan_literal(c)) break;
    } else {
      expected_value(c);
      break;
    }
    /* after a value */
    for (;;) {
      if (depth == 0) {
        c->p = skip_ws(c, c->p);
        if (c->p < c->len) ctx_syntax(c, c->p, c->len - c->p, "text after the JSON value");
        goto done;
      }
      bool more;
      if (!next_element(c, kinds[depth - 1] == '{' ? '}' : ']', &more)) goto done;
      if (more) break;
      depth--;
    }
    if (kinds[depth - 1] == '[') continue;
  key:;
    size_t at = c->p, n;
    const char *k = scan_key(c, &n);
    if (!k) break;
    if (c->repeats) continue;
    int added = vset_add(&seen, ids[depth - 1], k, n);
    if (added < 0) {
      ctx_nomem(c);
      break;
    }
    if (!added) {
      size_t end = string_end_fast(c, at);
      ctx_syntax(c, at, end - at, "the key %.*s appears twice in one object", (int)(end - at > 200 ? 200 : end - at),
                 c->s + at);
      break;
    }
  }
done:;
}

static rulecore_status json_check_text(const char *text, size_t len, size_t *err_off, size_t *err_len, char *msg,
                                       size_t msg_size) {
  ctx c = {.s = text, .len = len, .repeats = true};
  bool big;
  validate(&c, &big);
  mem_free(c.own_scratch);
  if (c.status == RULECORE_ERR_SOURCE) {
    *err_off = c.err_off;
    *err_len = c.err_len;
    snprintf(msg, msg_size, "%s", c.msg);
  }
  return c.status;
}

static char *json_decode_into(arena *a, const char *text, size_t len, size_t at, bool *nul) {
  ctx c = {.s = text, .len = len};
  size_t n;
  size_t end = decode_string(&c, at, NULL, &n, nul);
  char *z = end != at ? arena_alloc(a, n + 1) : NULL;
  if (z) decode_string(&c, at, z, NULL, NULL);
  return z;
}

/* ---- filling ---- */

static const char *type_name_of(char *ts, size_t n, const type *t) { return type_spell(ts, n, t); }

/* v, read as `kind` ("an integer") from the token at [off, end), where t
 * is declared: into *out when it fits. */
static bool put(ctx *c, const type *t, value v, const char *kind, size_t off, size_t end, value *out) {
  if (act_fits(t, &v)) {
    *out = v;
    return true;
  }
  char ts[128];
  ctx_mismatch(c, off, end - off, "%s does not fit the declared type %s", kind, type_name_of(ts, sizeof ts, t));
  return false;
}

/* Memory from the activation's pool, carved from blocks of CTX_BLOCK
 * bytes (one pool_alloc per block, not per value; a reset rewinds them
 * with the rest of the pool).  NULL, reported, when out of memory. */
#define CTX_BLOCK 2048
static void *ctx_alloc(ctx *c, size_t n) {
  const size_t align = _Alignof(max_align_t);
  if (n > SIZE_MAX / 2) {
    ctx_nomem(c);
    return NULL;
  }
  n = n ? (n + align - 1) & ~(align - 1) : align;
  if ((size_t)(c->blk_end - c->blk) < n) {
    char *b = pool_alloc(c->pool, n > CTX_BLOCK ? n : CTX_BLOCK);
    if (!b) {
      ctx_nomem(c);
      return NULL;
    }
    if (n >= CTX_BLOCK) return b; /* a block of its own */
    c->blk = b;
    c->blk_end = b + CTX_BLOCK;
  }
  void *r = c->blk;
  c->blk += n;
  return r;
}

/* Room for a string of up to cap bytes: whole words, the tail zeroed
 * after the first n bytes once they are written (PCRE2's JIT reads a
 * subject a word at a time, and must not see bytes nobody wrote). */
static size_t text_size(size_t cap) { return (cap + 16) & ~(size_t)15; }

/* Room for exactly n bytes, whatever follows them zeroed already. */
static char *text_alloc(ctx *c, size_t n) {
  char *p = ctx_alloc(c, text_size(n));
  if (p) memset(p + text_size(n) - 16, 0, 16);
  return p;
}

static void zero_tail(char *p, size_t n, size_t cap) { memset(p + n, 0, text_size(cap) - n); }

/* Parse a decimal integer string (typed JSON's int and uint, and plain
 * JSON's big ints), as strtoll/strtoull read it. */
static bool parse_integer(const char *s, bool is_unsigned, value *out) {
  if (!s || !*s || *s == ' ' || *s == '+') return false;
  char *end;
  errno = 0;
  if (is_unsigned) {
    if (*s == '-') return false;
    unsigned long long u = strtoull(s, &end, 10);
    *out = v_uint(u);
  } else {
    long long i = strtoll(s, &end, 10);
    *out = v_int(i);
  }
  return !*end && !errno;
}

/* A decoded string s[0..n) (NUL-terminated, in the scratch buffer) as the
 * value kind wants: bytes (base64), timestamp (RFC 3339), duration
 * ("1.5s") or string; from the token [off, end). */
static bool text_value(ctx *c, const type *t, uint8_t kind, const char *s, size_t n, size_t off, size_t end,
                       value *out) {
  char err[256];
  if (kind == V_BYTES) {
    size_t cap = n / 4 * 3 + 3, len;
    char *p = ctx_alloc(c, text_size(cap));
    if (!p) return false;
    const char *why = value_base64_decode_strict(s, n, (unsigned char *)p, &len, err, sizeof err);
    if (why) {
      ctx_mismatch(c, off, end - off, "not valid base64 for bytes: %s", why);
      return false;
    }
    zero_tail(p, len, cap);
    return put(c, t, v_bytes(p, (uint32_t)len), "a string", off, end, out);
  }
  if (kind == V_TIMESTAMP) {
    rtime_ts ts;
    if (rtime_parse_timestamp(s, n, &ts, err, sizeof err)) return put(c, t, v_timestamp(ts.sec, ts.nanos), "a string", off, end, out);
    ctx_mismatch(c, off, end - off, "not a timestamp: %s", err);
    return false;
  }
  if (kind == V_DURATION) {
    rtime_dur d;
    if (rtime_parse_duration(s, n, &d, err, sizeof err))
      return put(c, t, v_duration(d.sec * 1000000000 + d.nanos), "a string", off, end, out);
    ctx_mismatch(c, off, end - off, "not a duration: %s", err);
    return false;
  }
  if (n > VALUE_MAX_LEN) {
    ctx_mismatch(c, off, end - off, "a string too long for a value");
    return false;
  }
  char *p = text_alloc(c, n);
  if (!p) return false;
  memcpy(p, s, n);
  return put(c, t, v_string(p, (uint32_t)n), "a string", off, end, out);
}

/* The string token at c->p decoded into the scratch buffer (NUL after
 * it). */
static const char *scan_scratch(ctx *c, size_t *n) {
  char *dst = scratch_for_string(c, c->p);
  if (!dst) return NULL;
  return scan_string(c, dst, n, NULL) ? dst : NULL;
}

static bool fill_value(ctx *c, const type *t, value *out);

/* fill_value's value, V_ABSENT when it failed: returned in registers, as
 * storing a value through a pointer and reading it back whole costs a
 * stall (a 16-byte load cannot forward from two 8-byte stores). */
static value read_value(ctx *c, const type *t) {
  value v;
  if (!fill_value(c, t, &v)) return (value){.kind = V_ABSENT};
  return v;
}

/* A plain string where t is declared. */
static bool fill_string(ctx *c, const type *t, value *out) {
  size_t off = c->p, n;
  type_kind k = t->kind;
  if (k == TYPE_STRING || k == TYPE_DYN || k == TYPE_PARAM) {
    size_t end = plain_string_end(c, off);
    if (end) { /* the bytes as they stand */
      n = end - off - 2;
      char *p = text_alloc(c, n);
      if (!p) return false;
      memcpy(p, c->s + off + 1, n);
      c->p = end;
      *out = v_string(p, (uint32_t)n);
      return true;
    }
    /* Straight into the pool: decoding never lengthens. */
    size_t cap = string_end_fast(c, off) - off;
    char *p = cap ? ctx_alloc(c, text_size(cap)) : NULL;
    if (!cap) {
      string_error(c, off);
      return false;
    }
    if (!p || !scan_string(c, p, &n, NULL)) return false;
    if (n > VALUE_MAX_LEN) {
      ctx_mismatch(c, off, c->p - off, "a string too long for a value");
      return false;
    }
    zero_tail(p, n, cap);
    *out = v_string(p, (uint32_t)n);
    return true;
  }
  const char *s = scan_scratch(c, &n);
  if (!s) return false;
  value x;
  /* Integers too large for JSON numbers may come as decimal strings. */
  if ((k == TYPE_INT || k == TYPE_UINT) && parse_integer(s, k == TYPE_UINT, &x)) return put(c, t, x, "a string", off, c->p, out);
  /* JSON has no literal for them: "Infinity", "-Infinity" and "NaN", as
   * protobuf's JSON mapping and most encoders of doubles write them. */
  if (k == TYPE_DOUBLE && (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0 || strcmp(s, "NaN") == 0))
    return put(c, t, v_double(s[0] == 'N' ? NAN : s[0] == '-' ? -INFINITY : INFINITY), "a string", off, c->p, out);
  uint8_t kind = k == TYPE_BYTES ? V_BYTES : k == TYPE_TIMESTAMP ? V_TIMESTAMP : k == TYPE_DURATION ? V_DURATION : V_STRING;
  if (kind == V_STRING) { /* it cannot fit */
    char ts[128];
    ctx_mismatch(c, off, c->p - off, "a string does not fit the declared type %s", type_name_of(ts, sizeof ts, t));
    return false;
  }
  return text_value(c, t, kind, s, n, off, c->p, out);
}

/* A plain number where t is declared. */
static bool fill_number(ctx *c, const type *t, value *out) {
  size_t off = c->p;
  num n;
  if (!scan_number(c, &n)) return false;
  c->p = n.end;
  type_kind k = t->kind;
  if (n.is_int && !c->reals) {
    if (n.too_big) { /* read again, every number a double */
      c->overflow = true;
      ctx_mismatch(c, off, n.end - off, "an integer beyond int64");
      return false;
    }
    value v = k == TYPE_UINT && n.i >= 0 ? v_uint((uint64_t)n.i) : v_int(n.i);
    return put(c, t, v, "an integer", off, n.end, out);
  }
  double d = n.d;
  value v = v_double(d);
  /* 30.0 for an int: whole numbers are numbers in JSON; but not beyond
   * 2^53, where a double no longer holds every integer. */
  if (k == TYPE_INT && d == trunc(d) && fabs(d) <= 9007199254740992.0) v = v_int((int64_t)d);
  if (k == TYPE_UINT && d == trunc(d) && d >= 0 && d <= 9007199254740992.0) v = v_uint((uint64_t)d);
  return put(c, t, v, "a number", off, n.end, out);
}

/* Elements [mark, top) of the staging stack as a list. */
static bool end_list(ctx *c, size_t mark, value *out) {
  size_t count = act_stage_mark(c->a) - mark;
  vlist *l = ctx_alloc(c, sizeof(vlist) + count * sizeof(value));
  if (!l) {
    ctx_nomem(c);
    return false;
  }
  l->n = (uint32_t)count;
  if (count) memcpy(l->items, act_stage_at(c->a, mark), count * sizeof(value));
  act_stage_cut(c->a, mark);
  *out = v_list(l);
  return true;
}

/* Key, value pairs [mark, top) of the staging stack as a map; the object
 * or array read was [off, c->p). */
static bool end_map(ctx *c, size_t mark, size_t off, value *out) {
  size_t count = act_stage_mark(c->a) - mark;
  uint32_t n = (uint32_t)(count / 2);
  value *items = act_stage_at(c->a, mark);
  value *kv = ctx_alloc(c, count * sizeof(value) + 1);
  if (!kv) {
    ctx_nomem(c);
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    kv[i] = items[2 * i];
    kv[n + i] = items[2 * i + 1];
  }
  act_stage_cut(c->a, mark);
  int64_t dup;
  vmap *m = value_map_build(c->pool, kv, kv + n, n, &dup);
  if (!m) {
    if (dup >= 0)
      ctx_mismatch(c, off, 1, "a repeated key");
    else
      ctx_nomem(c);
    return false;
  }
  *out = v_map(m);
  return true;
}

/* A new record of type t, every field absent. */
static vrecord *new_record(ctx *c, const type *t) {
  uint32_t nf = t->nfields;
  vrecord *r = ctx_alloc(c, sizeof(vrecord) + (nf ? nf : 1) * sizeof(value));
  if (!r) {
    ctx_nomem(c);
    return NULL;
  }
  r->type = t;
  for (uint32_t i = 0; i < nf; i++) r->fields[i] = (value){.kind = V_ABSENT};
  return r;
}

/* The elements of the array at c->p as a list where t is declared (the
 * open bracket at c->p; the check that t takes a list is the caller's). */
static bool fill_elements(ctx *c, const type *t, value *out) {
  const type *elem = t->kind == TYPE_LIST ? t->elem : T_DYN;
  size_t mark = act_stage_mark(c->a);
  c->p = skip_ws(c, c->p + 1);
  c->open++;
  bool more = true, ok = true;
  if (c->p < c->len && c->s[c->p] == ']') {
    c->p++;
    more = false;
  }
  for (size_t i = 0; more; i++) {
    value v;
    path_index(c, i);
    v = read_value(c, elem);
    ok = v.kind != V_ABSENT;
    path_pop(c);
    if (ok && !act_stage_push(c->a, v)) {
      ctx_nomem(c);
      ok = false;
    }
    if (!ok || !next_element(c, ']', &more)) {
      ok = false;
      break;
    }
  }
  c->open--;
  if (!ok) {
    act_stage_cut(c->a, mark);
    return false;
  }
  return end_list(c, mark, out);
}

static bool takes(const type *t, type_kind k) { return t->kind == k || t->kind == TYPE_DYN || t->kind == TYPE_PARAM; }

/* A plain array where t is declared. */
static bool fill_array(ctx *c, const type *t, value *out) {
  if (!takes(t, TYPE_LIST) || c->open == ACT_MAX_DEPTH) {
    char ts[128];
    ctx_mismatch(c, c->p, 1, "a list does not fit the declared type %s", type_name_of(ts, sizeof ts, t));
    return false;
  }
  return fill_elements(c, t, out);
}

/* A map key: the decoded JSON key s[0..n) (NUL-terminated, scratch) read
 * as kt wants it (NULL: dyn), from the key token [off, end). */
static bool map_key(ctx *c, const type *kt, const char *s, size_t n, value *key) {
  value k;
  if (kt && (kt->kind == TYPE_INT || kt->kind == TYPE_UINT || kt->kind == TYPE_BOOL) && s >= c->s &&
      s < c->s + c->len) { /* in the text: a NUL-terminated copy */
    char *z = act_scratch(c->a, n + 1);
    if (!z) {
      ctx_nomem(c);
      return false;
    }
    memcpy(z, s, n);
    z[n] = '\0';
    s = z;
  }
  /* Plain JSON keys are strings: an int, uint or bool keyed map reads them. */
  if (kt && kt->kind == TYPE_INT && parse_integer(s, false, &k)) {
  } else if (kt && kt->kind == TYPE_UINT && parse_integer(s, true, &k)) {
  } else if (kt && kt->kind == TYPE_BOOL && (!strcmp(s, "true") || !strcmp(s, "false"))) {
    k = v_bool(s[0] == 't');
  } else {
    if (n > VALUE_MAX_LEN) return false;
    char *p = ctx_alloc(c, n + 1);
    if (!p) {
      ctx_nomem(c);
      return false;
    }
    memcpy(p, s, n);
    p[n] = '\0';
    k = v_string(p, (uint32_t)n);
  }
  if (kt && !act_fits(kt, &k)) return false;
  *key = k;
  return true;
}

/* A plain object where t is declared: a record, or a map. */
static bool fill_object(ctx *c, const type *t, value *out) {
  size_t off = c->p;
  bool record = t->kind == TYPE_RECORD;
  if ((!record && !takes(t, TYPE_MAP)) || c->open == ACT_MAX_DEPTH) {
    char ts[128];
    ctx_mismatch(c, off, 1, "an object does not fit the declared type %s", type_name_of(ts, sizeof ts, t));
    return false;
  }
  vrecord *r = NULL;
  if (record && !(r = new_record(c, t))) return false;
  const type *kt = t->kind == TYPE_MAP ? t->key : NULL, *vt = t->kind == TYPE_MAP ? t->elem : T_DYN;
  size_t mark = act_stage_mark(c->a);
  c->p = skip_ws(c, c->p + 1);
  c->open++;
  bool more = true, ok = true;
  if (c->p < c->len && c->s[c->p] == '}') {
    c->p++;
    more = false;
  }
  while (more) {
    size_t at = c->p, n;
    const char *key = scan_key(c, &n);
    if (!key) {
      ok = false;
      break;
    }
    path_key(c, at);
    value v, k;
    if (record) {
      const record_field *f = find_field(t, key, n);
      if (!f) {
        ctx_mismatch(c, at, string_end_fast(c, at) - at, "no such field in %s", t->name);
        ok = false;
      } else if (r->fields[f->index].kind != V_ABSENT) {
        ctx_mismatch(c, at, string_end_fast(c, at) - at, "a repeated key");
        ok = false;
      } else if ((ok = (v = read_value(c, f->type)).kind != V_ABSENT)) {
        r->fields[f->index] = v;
      }
    } else if (!map_key(c, kt, key, n, &k)) {
      if (ctx_ok(c)) ctx_mismatch(c, at, string_end_fast(c, at) - at, "a key the map's declared type does not take");
      ok = false;
    } else {
      v = read_value(c, vt);
      ok = v.kind != V_ABSENT;
      if (ok && (!act_stage_push(c->a, k) || !act_stage_push(c->a, v))) {
        ctx_nomem(c);
        ok = false;
      }
    }
    path_pop(c);
    if (!ok || !next_element(c, '}', &more)) {
      ok = false;
      break;
    }
  }
  c->open--;
  if (!ok) {
    act_stage_cut(c->a, mark);
    return false;
  }
  if (record) {
    *out = (value){.kind = V_RECORD, .r = r};
    return true;
  }
  return end_map(c, mark, off, out);
}

/* ---- the typed style (validated first: lookahead may be quick) ---- */

/* The members of the object at c->p, for lookahead: how many, and up to
 * max of them (key token offset, value offset). */
typedef struct tmember {
  size_t key, value;
} tmember;

static size_t members(const ctx *c, size_t p, tmember *m, size_t max) {
  size_t count = 0;
  p = skip_ws(c, p + 1);
  while (p < c->len && c->s[p] == '"') {
    size_t k = p;
    p = skip_ws(c, string_end_fast(c, p));
    p = skip_ws(c, p + 1); /* ':' */
    if (count < max) m[count] = (tmember){k, p};
    count++;
    p = skip_ws(c, value_end_fast(c, p));
    if (p < c->len && c->s[p] == ',') p = skip_ws(c, p + 1);
  }
  return count;
}

/* Elements of the array at p, for lookahead: how many, and up to max of
 * their offsets. */
static size_t elements(const ctx *c, size_t p, size_t *e, size_t max) {
  size_t count = 0;
  p = skip_ws(c, p + 1);
  while (p < c->len && c->s[p] != ']') {
    if (count < max) e[count] = p;
    count++;
    p = skip_ws(c, value_end_fast(c, p));
    if (p < c->len && c->s[p] == ',') p = skip_ws(c, p + 1);
    else break;
  }
  return count;
}

/* Whether the key token at p is exactly word (no escapes: a tag with
 * escapes is compared decoded). */
static bool key_is(ctx *c, size_t p, const char *word) {
  size_t save = c->p, n;
  c->p = p;
  const char *k = scan_scratch(c, &n);
  c->p = save;
  return k && n == strlen(word) && !memcmp(k, word, n);
}

/* The typed key of a map entry, the value at p: {"string": "a"},
 * {"bool": true}, {"int": "1"}, {"uint": "1"}. */
static bool typed_key(ctx *c, size_t p, value *key) {
  tmember m[1];
  if (p >= c->len || c->s[p] != '{' || members(c, p, m, 1) != 1) return false;
  size_t v = m[0].value, save = c->p, n;
  char ch = v < c->len ? c->s[v] : 0;
  bool ok = false;
  if (key_is(c, m[0].key, "bool") && (ch == 't' || ch == 'f')) {
    *key = v_bool(ch == 't');
    ok = true;
  } else if (ch == '"') {
    bool s = key_is(c, m[0].key, "string"), i = !s && key_is(c, m[0].key, "int"),
         u = !s && !i && key_is(c, m[0].key, "uint");
    if (s || i || u) {
      c->p = v;
      const char *text = scan_scratch(c, &n);
      c->p = save;
      if (!text) return false;
      if (s) {
        char *q = n <= VALUE_MAX_LEN ? ctx_alloc(c, n + 1) : NULL;
        if (!q) {
          if (n <= VALUE_MAX_LEN) ctx_nomem(c);
          return false;
        }
        memcpy(q, text, n + 1);
        *key = v_string(q, (uint32_t)n);
        ok = true;
      } else {
        ok = parse_integer(text, u, key);
      }
    }
  }
  return ok;
}

static bool fill_typed(ctx *c, const type *t, value *out);

/* {"map": [[K, V], ...]} where t is declared: a map, or where a record is
 * declared, a record whose keys are its fields' names. */
static bool typed_map(ctx *c, const type *t, size_t arr, value *out) {
  bool record = t->kind == TYPE_RECORD;
  if ((!record && !takes(t, TYPE_MAP)) || c->open == ACT_MAX_DEPTH) {
    ctx_mismatch(c, arr, 1, "a map does not fit the declared type");
    return false;
  }
  vrecord *r = NULL;
  if (record && !(r = new_record(c, t))) return false;
  const type *kt = t->kind == TYPE_MAP ? t->key : NULL, *vt = t->kind == TYPE_MAP ? t->elem : T_DYN;
  size_t mark = act_stage_mark(c->a);
  c->open++;
  bool ok = true;
  size_t p = skip_ws(c, arr + 1);
  for (size_t i = 0; ok && p < c->len && c->s[p] != ']'; i++) {
    path_index(c, i);
    size_t e[3], ne = c->s[p] == '[' ? elements(c, p, e, 3) : 0;
    value key, v;
    bool key_ok = ne >= 1 && typed_key(c, e[0], &key);
    if (key_ok && record) key_ok = key.kind == V_STRING && type_field(t, key.s);
    if (key_ok && kt) key_ok = act_fits(kt, &key);
    if (!ctx_ok(c)) {
      ok = false;
    } else if (!key_ok || ne != 2) {
      ctx_mismatch(c, p, value_end_fast(c, p) - p,
                   "a map entry must be [key, value] with an int, uint, bool or string key");
      ok = false;
    } else {
      c->p = e[1];
      const record_field *f = record ? type_field(t, key.s) : NULL;
      ok = fill_typed(c, f ? f->type : vt, &v);
      if (ok && record) {
        if (r->fields[f->index].kind != V_ABSENT) {
          ctx_mismatch(c, arr, 1, "a repeated key");
          ok = false;
        }
        r->fields[f->index] = v;
      } else if (ok && (!act_stage_push(c->a, key) || !act_stage_push(c->a, v))) {
        ctx_nomem(c);
        ok = false;
      }
    }
    path_pop(c);
    p = skip_ws(c, value_end_fast(c, p));
    if (p < c->len && c->s[p] == ',') p = skip_ws(c, p + 1);
  }
  c->open--;
  c->p = p + 1;
  if (!ok) {
    act_stage_cut(c->a, mark);
    return false;
  }
  if (record) {
    *out = (value){.kind = V_RECORD, .r = r};
    return true;
  }
  return end_map(c, mark, arr, out);
}

/* {"record": {"type": "Item", "fields": {...}}} where t is declared; the
 * inner object at obj. */
static bool typed_record(ctx *c, const type *t, size_t obj, const char *tag, value *out) {
  tmember m[64];
  size_t nm = members(c, obj, m, 64), type_at = SIZE_MAX, fields_at = SIZE_MAX;
  for (size_t i = 0; i < nm && i < 64; i++) {
    if (key_is(c, m[i].key, "type")) type_at = m[i].value;
    else if (key_is(c, m[i].key, "fields")) fields_at = m[i].value;
  }
  if (nm > 64) { /* many members: find the two the slow way */
    size_t p = skip_ws(c, obj + 1);
    while (p < c->len && c->s[p] == '"') {
      size_t k = p;
      p = skip_ws(c, skip_ws(c, string_end_fast(c, p)) + 1);
      if (key_is(c, k, "type")) type_at = p;
      else if (key_is(c, k, "fields")) fields_at = p;
      p = skip_ws(c, value_end_fast(c, p));
      if (p < c->len && c->s[p] == ',') p = skip_ws(c, p + 1);
    }
  }
  if (!ctx_ok(c)) return false;
  if (type_at == SIZE_MAX || fields_at == SIZE_MAX || c->s[type_at] != '"' || c->s[fields_at] != '{') {
    ctx_mismatch(c, obj, 1, "unknown typed value '%s'", tag);
    return false;
  }
  size_t n;
  c->p = type_at;
  const char *name0 = scan_scratch(c, &n);
  if (!name0) return false;
  char name_small[128], *name = n < sizeof name_small ? name_small : mem_alloc(n + 1);
  if (!name) {
    ctx_nomem(c);
    return false;
  }
  memcpy(name, name0, n + 1);
  const type *rt = c->schema ? schema_record(c->schema, name) : NULL;
  bool ok = false;
  if (!rt || (t != rt && t->kind != TYPE_DYN && t->kind != TYPE_PARAM) || c->open == ACT_MAX_DEPTH) {
    ctx_mismatch(c, type_at, string_end_fast(c, type_at) - type_at, "a record of type %s does not fit here", name);
    goto out;
  }
  vrecord *r = new_record(c, rt);
  if (!r) goto out;
  c->open++;
  ok = true;
  size_t p = skip_ws(c, fields_at + 1);
  while (ok && p < c->len && c->s[p] == '"') {
    size_t k = p, kn;
    c->p = p;
    const char *field = scan_key(c, &kn);
    if (!field) {
      ok = false;
      break;
    }
    path_key(c, k);
    const record_field *f = find_field(rt, field, kn);
    value v;
    if (!f) {
      ctx_mismatch(c, k, string_end_fast(c, k) - k, "no such field in %s", name);
      ok = false;
    } else if ((ok = fill_typed(c, f->type, &v))) {
      r->fields[f->index] = v;
    }
    path_pop(c);
    p = skip_ws(c, c->p);
    if (p < c->len && c->s[p] == ',') p = skip_ws(c, p + 1);
  }
  c->open--;
  if (ok) *out = (value){.kind = V_RECORD, .r = r};
out:
  if (name != name_small) mem_free(name);
  return ok;
}

/* A typed value at c->p where t is declared: {"int": "5"}, {"list": [...]}. */
static bool fill_typed(ctx *c, const type *t, value *out) {
  size_t off = c->p, end = value_end_fast(c, off);
  tmember m[1];
  if (c->s[off] != '{' || members(c, off, m, 1) != 1) {
    ctx_mismatch(c, off, end - off, "a typed value must be an object with one key such as {\"int\": \"1\"}");
    return false;
  }
  char tag[16];
  size_t n;
  c->p = m[0].key;
  const char *tg = scan_scratch(c, &n);
  if (!tg) return false;
  snprintf(tag, sizeof tag, "%s", n < sizeof tag ? tg : "?");
  char tag_long[64];
  if (n >= sizeof tag) snprintf(tag_long, sizeof tag_long, "%.60s", tg);
  const char *tag_shown = n >= sizeof tag ? tag_long : tag;
  if (n >= sizeof tag) tag[0] = '\0';
  size_t v = m[0].value, vend = value_end_fast(c, v);
  char ch = c->s[v];
  bool is_string = ch == '"', is_num = ch == '-' || (ch >= '0' && ch <= '9');
  num nv = {0};
  if (is_num) {
    c->p = v;
    if (!scan_number(c, &nv)) return false;
  }
  bool is_integer = is_num && nv.is_int && !c->reals;
  if (is_integer && nv.too_big) { /* validation said no such integer */
    c->overflow = true;
    ctx_mismatch(c, v, vend - v, "an integer beyond int64");
    return false;
  }
  bool ok = false;
  value x;
  if (!strcmp(tag, "null") && ch == 'n') {
    ok = put(c, t, v_null(), "an object", off, end, out);
  } else if (!strcmp(tag, "bool") && (ch == 't' || ch == 'f')) {
    ok = put(c, t, v_bool(ch == 't'), "an object", off, end, out);
  } else if ((!strcmp(tag, "int") || !strcmp(tag, "uint")) && (is_string || is_integer)) {
    bool u = tag[0] == 'u';
    const char *s = NULL;
    if (is_integer) x = u ? v_uint((uint64_t)nv.i) : v_int(nv.i);
    if (is_string) {
      c->p = v;
      if (!(s = scan_scratch(c, &n))) return false;
    }
    if ((is_integer && (!u || nv.i >= 0)) || (s && parse_integer(s, u, &x)))
      ok = put(c, t, x, "an object", off, end, out);
    else
      ctx_mismatch(c, v, vend - v, "not a %s: %s", tag, s ? s : "?");
  } else if (!strcmp(tag, "double") && (is_num || is_string)) {
    double d = is_num ? (nv.is_int && !c->reals ? (double)nv.i : nv.d) : 0;
    if (is_string) {
      c->p = v;
      const char *s = scan_scratch(c, &n);
      if (!s) return false;
      if (!strcmp(s, "NaN")) d = NAN;
      else if (!strcmp(s, "Infinity")) d = INFINITY;
      else if (!strcmp(s, "-Infinity")) d = -INFINITY;
      else if (!strcmp(s, "-0")) d = -0.0;
      else {
        ctx_mismatch(c, v, vend - v, "not a double: %s", s);
        return false;
      }
    }
    ok = put(c, t, v_double(d), "an object", off, end, out);
  } else if ((!strcmp(tag, "string") || !strcmp(tag, "bytes") || !strcmp(tag, "timestamp") ||
              !strcmp(tag, "duration")) && is_string) {
    uint8_t kind = tag[0] == 's' ? V_STRING : tag[0] == 'b' ? V_BYTES : tag[0] == 't' ? V_TIMESTAMP : V_DURATION;
    c->p = v;
    const char *s = scan_scratch(c, &n);
    if (!s) return false;
    ok = text_value(c, t, kind, s, n, v, vend, out);
  } else if (!strcmp(tag, "list") && ch == '[') {
    c->p = v;
    if (!takes(t, TYPE_LIST) || c->open == ACT_MAX_DEPTH) {
      char ts[128];
      ctx_mismatch(c, v, 1, "a list does not fit the declared type %s", type_name_of(ts, sizeof ts, t));
      return false;
    }
    ok = fill_elements(c, t, out);
  } else if (!strcmp(tag, "map") && ch == '[') {
    ok = typed_map(c, t, v, out);
  } else if (!strcmp(tag, "record") && ch == '{') {
    ok = typed_record(c, t, v, tag, out);
  } else {
    ctx_mismatch(c, off, end - off, "unknown typed value '%s'", tag_shown);
  }
  c->p = end;
  return ok;
}

/* The value at c->p (blanks skipped) where t is declared, into *out;
 * c->p then just past it. */
static bool fill_value(ctx *c, const type *t, value *out) {
  if (c->typed) return fill_typed(c, t, out);
  size_t off = c->p;
  char ch = off < c->len ? c->s[off] : '\0';
  switch (ch) {
  case '"': return fill_string(c, t, out);
  case '{': return fill_object(c, t, out);
  case '[': return fill_array(c, t, out);
  case 't':
  case 'f':
  case 'n': {
    char k = scan_literal(c);
    if (!k) return false;
    return put(c, t, k == 'n' ? v_null() : v_bool(k == 't'), k == 'n' ? "null" : "a boolean", off, c->p, out);
  }
  default:
    if (ch == '-' || (ch >= '0' && ch <= '9')) return fill_number(c, t, out);
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
      (void)scan_literal(c); /* not true, false or null: reports */
    else
      expected_value(c);
    return false;
  }
}

/* The document: {"variable": value, ...}.  Fills c->a's variables. */
static void fill_document(ctx *c) {
  c->p = skip_ws(c, 0);
  if (c->p >= c->len || c->s[c->p] != '{') {
    if (c->p < c->len && c->s[c->p] == '[') {
      /* JSON (validate() will say), but not an object */
      c->status = RULECORE_ERR_SOURCE;
      c->code = RULECORE_DIAG_CONTEXT_SYNTAX;
      c->err_off = c->p;
      c->err_len = 1;
      snprintf(c->msg, sizeof c->msg, "the context must be a JSON object whose keys are variable names");
    } else if (c->p >= c->len) {
      ctx_syntax(c, c->len, 0, "empty text; a JSON object expected");
    } else {
      ctx_syntax(c, c->p, 1, "a JSON object ('{') expected");
    }
    return;
  }
  uint32_t nvars;
  act_vars(c->a, &nvars);
  c->p = skip_ws(c, c->p + 1);
  bool more = true;
  if (c->p < c->len && c->s[c->p] == '}') {
    c->p++;
    more = false;
  }
  while (more) {
    size_t at = c->p, n;
    const char *key = scan_key(c, &n);
    if (!key) return;
    path_key(c, at);
    const schema_var *sv = find_variable(c->schema, key, n);
    value v;
    if (!sv || sv->index >= nvars) { /* a variable, not "user.age" */
      ctx_mismatch(c, at, string_end_fast(c, at) - at, "no such variable in the schema");
      return;
    }
    if (sv->computed && !c->computed) {
      ctx_mismatch(c, at, string_end_fast(c, at) - at,
                   "a decision of the ruleset, which evaluation computes: a context cannot give it");
      return;
    }
    if (!act_first_time(c->a, sv->index)) {
      ctx_mismatch(c, at, string_end_fast(c, at) - at, "a repeated key");
      return;
    }
    if ((v = read_value(c, sv->type)).kind == V_ABSENT) return;
    act_put_var(c->a, sv->index, v);
    path_pop(c);
    if (!next_element(c, '}', &more)) return;
  }
  c->p = skip_ws(c, c->p);
  if (c->p < c->len) ctx_syntax(c, c->p, c->len - c->p, "text after the JSON value");
}

/* One fill of the whole text, the variables saved before and put back
 * when it fails. */
static void fill_once(ctx *c) {
  c->status = RULECORE_OK;
  c->overflow = false;
  c->depth = 0;
  c->open = 0;
  act_save(c->a);
  fill_document(c);
  if (!ctx_ok(c)) act_restore(c->a);
}

/* Report c's error into d, at its position in the text. */
static void report_ctx(const ctx *c, rulecore_diagnostics *d) {
  source src;
  bool positioned = c->len < UINT32_MAX && src_init(&src, c->s, c->len, NULL);
  if (positioned) {
    diag_add(d, &src, RULECORE_SEVERITY_ERROR, c->code, c->err_off, c->err_len, "%s", c->msg);
    src_release(&src);
  } else {
    diag_add_at(d, NULL, RULECORE_SEVERITY_ERROR, c->code, "%s", c->msg);
  }
}

RULECORE_API rulecore_status rulecore_activation_set_json(rulecore_activation *a, const char *text, size_t length,
                                                          rulecore_json_style style,
                                                          rulecore_diagnostics **diagnostics) {
  return json_fill_activation(a, text, length, style, false, diagnostics);
}

rulecore_status json_fill_activation(rulecore_activation *a, const char *text, size_t length,
                                     rulecore_json_style style, bool computed, rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!a || (!text && length) || (style != RULECORE_JSON_PLAIN && style != RULECORE_JSON_TYPED))
    return RULECORE_ERR_ARGUMENT;
  ctx c; /* field by field: the path and the message need no zeroing */
  c.s = text ? text : "";
  c.len = length;
  c.p = 0;
  c.a = a;
  c.pool = act_pool(a);
  c.schema = act_schema(a);
  c.typed = style == RULECORE_JSON_TYPED;
  c.computed = computed;
  c.reals = c.overflow = false;
  c.repeats = false;
  c.own_scratch = NULL;
  c.own_scratch_cap = 0;
  c.status = RULECORE_OK;
  c.code = 0;
  c.err_off = c.err_len = 0;
  c.msg[0] = '\0';
  c.depth = 0;
  c.open = 0;
  c.blk = c.blk_end = NULL;
  /* The list first, so that running out of memory for it leaves the
   * activation as it was; none when not asked for and all goes well. */
  rulecore_diagnostics *d = diagnostics ? diag_new(1) : NULL;
  if (diagnostics && !d) return RULECORE_ERR_NOMEM;
  bool big = false;
  if (c.typed) { /* its reader looks ahead: the text must be JSON first */
    validate(&c, &big);
    c.reals = big;
    if (ctx_ok(&c)) fill_once(&c);
  } else {
    fill_once(&c);
    if (c.status == RULECORE_ERR_SOURCE) {
      /* Whether the text is JSON at all, and holds an integer beyond
       * int64 (then every number is a double). */
      ctx v = c;
      v.status = RULECORE_OK;
      v.reals = false;
      validate(&v, &big);
      if (!ctx_ok(&v)) {
        c = v;
      } else if (big) {
        c.reals = true;
        fill_once(&c);
      }
    }
  }
  if (d && c.status == RULECORE_ERR_SOURCE) {
    report_ctx(&c, d);
    if (d->oom) c.status = RULECORE_ERR_NOMEM;
  }
  if (diagnostics) *diagnostics = d;
  return c.status;
}
