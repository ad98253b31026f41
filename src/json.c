/*
 * json.c: JSON documents in (schema files; later contexts), read with
 * jansson, with a position for every value so errors point into the file.
 *
 * jansson is the one JSON reader: it decides whether the text is JSON
 * (reporting where it is not) and decodes strings that hold escapes.  It
 * keeps no positions and merges duplicate keys, so the document is then
 * walked over the text itself by a small scanner that trusts jansson's
 * verdict: it only finds where each member's key and value start and end,
 * in document order, so every declaration and every error has a span.
 *
 * A schema document:
 *   {"types":     {"Item": {"sku": "string", "qty": "int"}},
 *    "variables": {"items": "list(Item)", "user": {"age": "int"}}}
 * A variable declared with an object gets a record type of its own name.
 * The document is read twice: once reporting every error, then, only when
 * there was none, once declaring; so a document with errors adds nothing
 * to the schema.
 */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "activation.h"
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
  const char *text; /* the document, valid JSON once jansson said so */
  size_t len;
  source src;
  rulecore_diagnostics *d;
  arena tmp;              /* decoded strings, released when the load ends */
  bool apply;             /* declare (second reading) rather than check */
  rulecore_status status; /* RULECORE_OK, or why the load stopped */
} loader;

/* ---- the scanner (over text jansson accepted) ---- */

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
 * Most keys and spellings hold no escape and are copied as they stand;
 * jansson decodes the others. */
static const char *string_of(loader *l, span at) {
  const char *z = NULL;
  if (at.len >= 2 && !memchr(l->text + at.off + 1, '\\', at.len - 2)) {
    z = arena_strndup(&l->tmp, l->text + at.off + 1, at.len - 2);
  } else {
    json_t *j = json_loadb(l->text + at.off, at.len, JSON_DECODE_ANY, NULL);
    if (json_is_string(j)) z = arena_strndup(&l->tmp, json_string_value(j), json_string_length(j));
    json_decref(j);
  }
  if (!z) l->status = RULECORE_ERR_NOMEM;
  return z;
}

/* Whether key is in seen (a jansson object used as a set), adding it if
 * not: JSON allows duplicate keys and jansson keeps the last silently. */
static bool seen_before(loader *l, json_t *seen, const char *key) {
  if (json_object_get(seen, key)) return true;
  if (json_object_set_new(seen, key, json_true()) != 0) l->status = RULECORE_ERR_NOMEM;
  return false;
}

/* A fresh key set; NULL (and status NOMEM) when out of memory. */
static json_t *key_set(loader *l) {
  json_t *seen = json_object();
  if (!seen) l->status = RULECORE_ERR_NOMEM;
  return seen;
}

/* ---- the document ---- */

/* The fields of record `record`, the object at v:
 * {"field": "type spelling", ...}. */
static void load_fields(loader *l, const char *record, span v) {
  json_t *seen = key_set(l);
  size_t i = v.off + 1;
  member m;
  while (loading(l) && next_member(l, &i, &m)) {
    const char *field = string_of(l, m.key);
    if (!field) break;
    if (!field[0]) {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.key, "a field name must not be empty");
    } else if (seen_before(l, seen, field)) {
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
  json_decref(seen);
}

/* "types": {"Record": {fields}, ...}. */
static void load_types(loader *l, span v) {
  if (kind_of(l, v) != '{') {
    report(l, RULECORE_DIAG_SCHEMA_SYNTAX, v,
           "\"types\" must be an object of record types ({\"Name\": {\"field\": \"type\"}}), not %s",
           kind_name(l, v));
    return;
  }
  json_t *seen = key_set(l);
  size_t i = v.off + 1;
  member m;
  while (loading(l) && next_member(l, &i, &m)) {
    const char *name = string_of(l, m.key);
    if (!name) break;
    if (!name[0]) {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.key, "a type name must not be empty");
    } else if (seen_before(l, seen, name)) {
      report(l, RULECORE_DIAG_SCHEMA_DUPLICATE, m.key, "type '%s' is declared twice", name);
    } else if (kind_of(l, m.value) != '{') {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.value,
             "type '%s' must be an object of fields ({\"field\": \"type\"}), not %s", name, kind_name(l, m.value));
    } else {
      declare_record(l, name, m.key);
      load_fields(l, name, m.value);
    }
  }
  json_decref(seen);
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
  json_t *seen = key_set(l);
  size_t i = v.off + 1;
  member m;
  while (loading(l) && next_member(l, &i, &m)) {
    const char *name = string_of(l, m.key);
    if (!name) break;
    char kind = kind_of(l, m.value);
    if (!name[0]) {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, m.key, "a variable name must not be empty");
    } else if (seen_before(l, seen, name)) {
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
  json_decref(seen);
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

/* Where jansson's error is.  It gives the byte offset just past the token
 * it stopped at, and names a token of up to 20 bytes ("... near 'tok'"):
 * when the text before the offset is that token, the span is the token;
 * else an empty span at the offset.  (jansson's column counts code points
 * like ours, but from the token's end; the offset through our source
 * index gives line and column the same way every other error does.) */
static span json_error_span(const loader *l, const json_error_t *e) {
  size_t pos = e->position < 0 ? 0 : (size_t)e->position;
  if (pos > l->len) pos = l->len;
  span at = {pos, 0};
  const char *near = strstr(e->text, " near '");
  if (near) {
    const char *tok = near + strlen(" near '");
    size_t n = strlen(tok);
    if (n >= 2 && tok[n - 1] == '\'' && n - 1 <= pos && memcmp(l->text + pos - (n - 1), tok, n - 1) == 0) {
      at.off = pos - (n - 1);
      at.len = n - 1;
    }
  }
  return at;
}

/* Whether jansson failed for want of memory.  jansson 2.14 seldom says so:
 * most failed allocations leave no message at all, and one for a string
 * token's value turns the token invalid, reported as "invalid token" or,
 * for a key, "string or '}' expected".  Every syntax error it finds has a
 * message, and neither of those two is ever about a complete string token
 * (which ends with its quote, just before the offset), as a '"' always
 * starts one. */
static bool json_error_is_nomem(const loader *l, const json_error_t *e) {
  if (!e->text[0] || json_error_code(e) == json_error_out_of_memory) return true;
  size_t pos = e->position < 0 ? 0 : (size_t)e->position;
  bool after_string = pos >= 2 && pos <= l->len && l->text[pos - 1] == '"';
  return after_string && (strncmp(e->text, "invalid token", strlen("invalid token")) == 0 ||
                          strncmp(e->text, "string or '}' expected", strlen("string or '}' expected")) == 0);
}

/* Whether the document is JSON, reporting where it is not; *root is then
 * its top-level value. */
static bool check_json(loader *l, span *root) {
  /* jansson takes a NUL byte for the end of its input, so it would accept
   * "{}\0anything": reject them first. */
  const char *nul = memchr(l->text, '\0', l->len);
  if (nul) {
    span at = {(size_t)(nul - l->text), 1};
    report(l, RULECORE_DIAG_SCHEMA_SYNTAX, at, "invalid JSON: a NUL byte");
    return false;
  }
  json_error_t e;
  memset(&e, 0, sizeof e); /* jansson leaves the code unset when it fails early */
  json_t *doc = json_loadb(l->text, l->len, JSON_DECODE_ANY, &e);
  if (!doc) {
    if (json_error_is_nomem(l, &e)) {
      l->status = RULECORE_ERR_NOMEM;
    } else if (skip_blank(l, 0) == l->len) {
      span at = {l->len, 0};
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, at,
             "empty schema document; expected a JSON object ({\"types\": {...}, \"variables\": {...}})");
    } else {
      report(l, RULECORE_DIAG_SCHEMA_SYNTAX, json_error_span(l, &e), "invalid JSON: %s", e.text);
    }
    return false;
  }
  json_decref(doc);
  root->off = skip_blank(l, 0);
  root->len = value_end(l, root->off) - root->off;
  return true;
}

rulecore_status json_load_schema(rulecore_schema *s, const char *text, size_t len, const char *file,
                                 rulecore_diagnostics *d) {
  if (!s || s->frozen || (!text && len)) return RULECORE_ERR_ARGUMENT;
  /* jansson allocates through our hook; point it there before its first use. */
  mem_init_libraries();
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

typedef struct filler {
  rulecore_activation *a;
  rulecore_json_style style;
  rulecore_diagnostics *d;
  rulecore_status status;
  /* Where we are, for messages (user.items[2].sku): a key, or an index
   * when key is NULL.  Formatted only when an error is reported. */
  struct {
    const char *key;
    size_t index;
  } path[72];
  size_t depth;
} filler;

static void fill_error(filler *f, rulecore_status st, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void fill_error(filler *f, rulecore_status st, const char *fmt, ...) {
  if (f->status != RULECORE_OK) return;
  f->status = st;
  if (st == RULECORE_ERR_NOMEM) return;
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  buf path = {0};
  for (size_t i = 0; i < f->depth && i < ARRAY_LEN(f->path); i++) {
    if (f->path[i].key)
      buf_printf(&path, "%s%s", i ? "." : "", f->path[i].key);
    else
      buf_printf(&path, "[%zu]", f->path[i].index);
  }
  diag_add_at(f->d, NULL, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_CONTEXT_MISMATCH, "%s: %s",
              path.data ? path.data : "", msg);
  buf_release(&path);
}

static size_t path_key(filler *f, const char *key) {
  if (f->depth < ARRAY_LEN(f->path)) f->path[f->depth].key = key;
  return f->depth++;
}

static size_t path_index(filler *f, size_t i) {
  if (f->depth < ARRAY_LEN(f->path)) {
    f->path[f->depth].key = NULL;
    f->path[f->depth].index = i;
  }
  return f->depth++;
}

static void path_pop(filler *f, size_t old) { f->depth = old; }

static const char *json_kind(const json_t *j) {
  switch (json_typeof(j)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  default: return "null";
  }
}

/* Store v at slot, reporting a mismatch with t. */
static void fill_put(filler *f, int32_t slot, const type *t, value v, const json_t *j) {
  rulecore_status st = act_set(f->a, slot, v);
  if (st == RULECORE_OK) return;
  char ts[128];
  if (st == RULECORE_ERR_NOMEM)
    fill_error(f, st, "out of memory");
  else
    fill_error(f, RULECORE_ERR_SOURCE, "%s does not fit the declared type %s", json_kind(j),
               t ? type_spell(ts, sizeof ts, t) : "?");
}

static void fill_value(filler *f, int32_t slot, const json_t *j);

/* A JSON string as the value a declared type wants: bytes (base64),
 * timestamp (RFC 3339), duration ("1.5s") or string. */
static void fill_text(filler *f, int32_t slot, const type *t, uint8_t kind, const json_t *j) {
  const char *s = json_string_value(j);
  size_t n = json_string_length(j);
  char err[128];
  if (kind == V_BYTES) {
    unsigned char *out = mem_alloc(n + 1);
    size_t len;
    if (!out) {
      fill_error(f, RULECORE_ERR_NOMEM, "out of memory");
      return;
    }
    if (value_base64_decode(s, n, out, &len))
      fill_put(f, slot, t, v_bytes((const char *)out, (uint32_t)len), j);
    else
      fill_error(f, RULECORE_ERR_SOURCE, "not valid base64 for bytes");
    mem_free(out);
  } else if (kind == V_TIMESTAMP) {
    rtime_ts ts;
    if (rtime_parse_timestamp(s, n, &ts, err, sizeof err))
      fill_put(f, slot, t, v_timestamp(ts.sec, ts.nanos), j);
    else
      fill_error(f, RULECORE_ERR_SOURCE, "not a timestamp: %s", err);
  } else if (kind == V_DURATION) {
    rtime_dur d;
    if (rtime_parse_duration(s, n, &d, err, sizeof err))
      fill_put(f, slot, t, v_duration(d.sec * 1000000000 + d.nanos), j);
    else
      fill_error(f, RULECORE_ERR_SOURCE, "not a duration: %s", err);
  } else {
    fill_put(f, slot, t, v_string(s, (uint32_t)n), j);
  }
}

/* Parse a decimal integer string (typed JSON's int and uint). */
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

/* An object's members into the open map or record. */
static void fill_members(filler *f, const json_t *j, const type *t) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)j, key, v) {
    if (f->status != RULECORE_OK) return;
    size_t old = path_key(f, key);
    rulecore_status st = RULECORE_OK;
    const type *kt = t && t->kind == TYPE_MAP ? t->key : NULL;
    value k;
    /* Plain JSON keys are strings: an int, uint or bool keyed map reads them. */
    if (kt && kt->kind == TYPE_INT && parse_integer(key, false, &k))
      st = rulecore_activation_key_int(f->a, k.i);
    else if (kt && kt->kind == TYPE_UINT && parse_integer(key, true, &k))
      st = rulecore_activation_key_uint(f->a, k.u);
    else if (kt && kt->kind == TYPE_BOOL && (!strcmp(key, "true") || !strcmp(key, "false")))
      st = rulecore_activation_key_bool(f->a, key[0] == 't');
    else
      st = rulecore_activation_key_string(f->a, key, strlen(key));
    if (st != RULECORE_OK)
      fill_error(f, st == RULECORE_ERR_NOMEM ? st : RULECORE_ERR_SOURCE, t && t->kind == TYPE_RECORD ? "no such field in %s" : "a key the map's declared type does not take",
                 t && t->kind == TYPE_RECORD ? t->name : "");
    else
      fill_value(f, RULECORE_NEXT, v);
    path_pop(f, old);
  }
}

static void fill_end(filler *f) {
  if (f->status != RULECORE_OK) return;
  rulecore_status st = rulecore_activation_end(f->a);
  if (st == RULECORE_ERR_NOMEM) fill_error(f, st, "out of memory");
  else if (st != RULECORE_OK) fill_error(f, RULECORE_ERR_SOURCE, "a repeated key");
}

/* The elements of a JSON array (either style) as a list at slot, whose
 * declared type is t. */
static void fill_list(filler *f, int32_t slot, const type *t, const json_t *array) {
  if (rulecore_activation_begin_list(f->a, slot) != RULECORE_OK) {
    char ts[128];
    fill_error(f, RULECORE_ERR_SOURCE, "a list does not fit the declared type %s",
               t ? type_spell(ts, sizeof ts, t) : "?");
    return;
  }
  for (size_t i = 0; i < json_array_size(array) && f->status == RULECORE_OK; i++) {
    size_t old = path_index(f, i);
    fill_value(f, RULECORE_NEXT, json_array_get(array, i));
    path_pop(f, old);
  }
  fill_end(f);
}

/* A value in the typed style: {"int": "5"}, {"list": [...]}, ... */
static void fill_typed(filler *f, int32_t slot, const json_t *j) {
  const type *t = act_expected(f->a, slot);
  const char *tag = NULL;
  json_t *v = NULL;
  if (json_is_object(j) && json_object_size(j) == 1) {
    void *it = json_object_iter((json_t *)j);
    tag = json_object_iter_key(it);
    v = json_object_iter_value(it);
  }
  if (!tag) {
    fill_error(f, RULECORE_ERR_SOURCE, "a typed value must be an object with one key such as {\"int\": \"1\"}");
    return;
  }
  value x;
  if (!strcmp(tag, "null") && json_is_null(v)) {
    fill_put(f, slot, t, v_null(), j);
  } else if (!strcmp(tag, "bool") && json_is_boolean(v)) {
    fill_put(f, slot, t, v_bool(json_is_true(v)), j);
  } else if ((!strcmp(tag, "int") || !strcmp(tag, "uint")) && (json_is_string(v) || json_is_integer(v))) {
    bool u = tag[0] == 'u';
    if (json_is_integer(v))
      x = u ? v_uint((uint64_t)json_integer_value(v)) : v_int(json_integer_value(v));
    if ((json_is_integer(v) && (!u || json_integer_value(v) >= 0)) || parse_integer(json_string_value(v), u, &x))
      fill_put(f, slot, t, x, j);
    else
      fill_error(f, RULECORE_ERR_SOURCE, "not a %s: %s", tag, json_is_string(v) ? json_string_value(v) : "?");
  } else if (!strcmp(tag, "double") && (json_is_number(v) || json_is_string(v))) {
    double d = json_number_value(v);
    if (json_is_string(v)) {
      const char *s = json_string_value(v);
      if (!strcmp(s, "NaN")) d = NAN;
      else if (!strcmp(s, "Infinity")) d = INFINITY;
      else if (!strcmp(s, "-Infinity")) d = -INFINITY;
      else if (!strcmp(s, "-0")) d = -0.0;
      else {
        fill_error(f, RULECORE_ERR_SOURCE, "not a double: %s", s);
        return;
      }
    }
    fill_put(f, slot, t, v_double(d), j);
  } else if ((!strcmp(tag, "string") || !strcmp(tag, "bytes") || !strcmp(tag, "timestamp") ||
              !strcmp(tag, "duration")) && json_is_string(v)) {
    uint8_t kind = tag[0] == 's' ? V_STRING : tag[0] == 'b' ? V_BYTES : tag[0] == 't' ? V_TIMESTAMP : V_DURATION;
    fill_text(f, slot, t, kind, v);
  } else if (!strcmp(tag, "list") && json_is_array(v)) {
    fill_list(f, slot, t, v);
  } else if (!strcmp(tag, "map") && json_is_array(v)) {
    rulecore_status st = rulecore_activation_begin_map(f->a, slot);
    if (st != RULECORE_OK) {
      fill_error(f, RULECORE_ERR_SOURCE, "a map does not fit the declared type");
      return;
    }
    for (size_t i = 0; i < json_array_size(v) && f->status == RULECORE_OK; i++) {
      json_t *pair = json_array_get(v, i), *k = json_array_get(pair, 0), *kv = json_object_get(k, "");
      size_t old = path_index(f, i);
      (void)kv;
      const char *kt = NULL;
      json_t *kval = NULL;
      if (json_is_object(k) && json_object_size(k) == 1) {
        void *it = json_object_iter(k);
        kt = json_object_iter_key(it);
        kval = json_object_iter_value(it);
      }
      value key;
      st = RULECORE_ERR_SOURCE;
      if (kt && !strcmp(kt, "string") && json_is_string(kval))
        st = rulecore_activation_key_string(f->a, json_string_value(kval), json_string_length(kval));
      else if (kt && !strcmp(kt, "bool") && json_is_boolean(kval))
        st = rulecore_activation_key_bool(f->a, json_is_true(kval));
      else if (kt && (!strcmp(kt, "int") || !strcmp(kt, "uint")) && json_is_string(kval) &&
               parse_integer(json_string_value(kval), kt[0] == 'u', &key))
        st = kt[0] == 'u' ? rulecore_activation_key_uint(f->a, key.u) : rulecore_activation_key_int(f->a, key.i);
      if (st != RULECORE_OK || json_array_size(pair) != 2)
        fill_error(f, st == RULECORE_ERR_NOMEM ? st : RULECORE_ERR_SOURCE, "a map entry must be [key, value] with an int, uint, bool or string key");
      else
        fill_value(f, RULECORE_NEXT, json_array_get(pair, 1));
      path_pop(f, old);
    }
    fill_end(f);
  } else if (!strcmp(tag, "record") && json_is_object(v) && json_is_string(json_object_get(v, "type")) &&
             json_is_object(json_object_get(v, "fields"))) {
    const char *name = json_string_value(json_object_get(v, "type"));
    rulecore_status st = act_begin_record(f->a, slot, name);
    if (st != RULECORE_OK) {
      fill_error(f, RULECORE_ERR_SOURCE, "a record of type %s does not fit here", name);
      return;
    }
    const char *field;
    json_t *fv;
    json_object_foreach(json_object_get(v, "fields"), field, fv) {
      if (f->status != RULECORE_OK) return;
      size_t old = path_key(f, field);
      st = rulecore_activation_key_string(f->a, field, strlen(field));
      if (st != RULECORE_OK)
        fill_error(f, st == RULECORE_ERR_NOMEM ? st : RULECORE_ERR_SOURCE, "no such field in %s", name);
      else
        fill_value(f, RULECORE_NEXT, fv);
      path_pop(f, old);
    }
    fill_end(f);
  } else {
    fill_error(f, RULECORE_ERR_SOURCE, "unknown typed value '%s'", tag);
  }
}

/* A value in the plain style, read by its declared type. */
static void fill_plain(filler *f, int32_t slot, const json_t *j) {
  const type *t = act_expected(f->a, slot);
  type_kind k = t ? t->kind : TYPE_DYN;
  switch (json_typeof(j)) {
  case JSON_NULL: fill_put(f, slot, t, v_null(), j); break;
  case JSON_TRUE:
  case JSON_FALSE: fill_put(f, slot, t, v_bool(json_is_true(j)), j); break;
  case JSON_INTEGER: {
    json_int_t i = json_integer_value(j);
    fill_put(f, slot, t, k == TYPE_UINT && i >= 0 ? v_uint((uint64_t)i) : v_int(i), j);
    break;
  }
  case JSON_REAL: {
    double d = json_real_value(j);
    value v = v_double(d);
    /* 30.0 for an int: whole numbers are numbers in JSON; but not beyond
     * 2^53, where a double no longer holds every integer. */
    if (k == TYPE_INT && d == trunc(d) && fabs(d) <= 9007199254740992.0) v = v_int((int64_t)d);
    if (k == TYPE_UINT && d == trunc(d) && d >= 0 && d <= 9007199254740992.0) v = v_uint((uint64_t)d);
    fill_put(f, slot, t, v, j);
    break;
  }
  case JSON_STRING: {
    /* Integers too large for JSON numbers may come as decimal strings. */
    value x;
    if ((k == TYPE_INT || k == TYPE_UINT) && parse_integer(json_string_value(j), k == TYPE_UINT, &x)) {
      fill_put(f, slot, t, x, j);
      break;
    }
    fill_text(f, slot, t, k == TYPE_BYTES ? V_BYTES : k == TYPE_TIMESTAMP ? V_TIMESTAMP : k == TYPE_DURATION ? V_DURATION : V_STRING, j);
    break;
  }
  case JSON_ARRAY: fill_list(f, slot, t, j); break;
  case JSON_OBJECT: {
    rulecore_status st = rulecore_activation_begin_map(f->a, slot);
    if (st != RULECORE_OK) {
      char ts[128];
      fill_error(f, RULECORE_ERR_SOURCE, "an object does not fit the declared type %s", t ? type_spell(ts, sizeof ts, t) : "?");
      return;
    }
    fill_members(f, j, act_container(f->a));
    fill_end(f);
    break;
  }
  }
}

static void fill_value(filler *f, int32_t slot, const json_t *j) {
  if (f->status != RULECORE_OK) return;
  if (f->style == RULECORE_JSON_TYPED)
    fill_typed(f, slot, j);
  else
    fill_plain(f, slot, j);
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
  mem_init_libraries();
  rulecore_diagnostics *d = diag_new(1);
  if (!d) return RULECORE_ERR_NOMEM;
  json_error_t jerr = {0};
  size_t failures = mem_failures();
  size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
  json_t *root = json_loadb(text ? text : "", length, flags, &jerr);
  if (!root && mem_failures() == failures && json_error_code(&jerr) == json_error_numeric_overflow) {
    /* An integer beyond int64 (a big uint or double): read every number
     * as a double; fill_plain refuses ints it cannot hold exactly. */
    root = json_loadb(text, length, flags | JSON_DECODE_INT_AS_REAL, &jerr);
  }
  filler f = {.a = a, .style = style, .d = d, .status = RULECORE_OK};
  if (!root) {
    f.status = mem_failures() != failures ? RULECORE_ERR_NOMEM : RULECORE_ERR_SOURCE;
    if (f.status == RULECORE_ERR_SOURCE)
      diag_add_at(d, NULL, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_CONTEXT_SYNTAX, "line %d, column %d: %s", jerr.line,
                  jerr.column, jerr.text);
  } else if (!json_is_object(root)) {
    f.status = RULECORE_ERR_SOURCE;
    diag_add_at(d, NULL, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_CONTEXT_SYNTAX,
                "the context must be a JSON object whose keys are variable names");
  } else {
    act_save(a);
    const rulecore_schema *s = act_schema(a);
    uint32_t nvars;
    act_vars(a, &nvars);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
      if (f.status != RULECORE_OK) break;
      size_t old = path_key(&f, key);
      const schema_var *sv = s ? schema_variable(s, key) : NULL;
      int32_t slot = sv && sv->index < nvars ? (int32_t)sv->index : -1; /* a variable, not "user.age" */
      if (slot < 0)
        fill_error(&f, RULECORE_ERR_SOURCE, "no such variable in the schema");
      else if (sv->computed && !computed)
        fill_error(&f, RULECORE_ERR_SOURCE, "a decision of the ruleset, which evaluation computes: a context cannot give it");
      else
        fill_value(&f, slot, v);
      path_pop(&f, old);
    }
    if (f.status != RULECORE_OK) act_restore(a);
  }
  json_decref(root);
  if (d->oom) f.status = RULECORE_ERR_NOMEM;
  if (diagnostics)
    *diagnostics = d;
  else
    rulecore_diagnostics_free(d);
  return f.status;
}
