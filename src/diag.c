/*
 * diag.c: the diagnostics list, its accessors and its two renderings.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  int code;
  const char *name;
} code_names[] = {
    {RULECORE_DIAG_SOURCE_TOO_LARGE, "source-too-large"},
    {RULECORE_DIAG_NESTING_TOO_DEEP, "nesting-too-deep"},
    {RULECORE_DIAG_TOO_MANY_ERRORS, "too-many-errors"},
    {RULECORE_DIAG_SYNTAX_ERROR, "syntax-error"},
    {RULECORE_DIAG_MISSING_TOKEN, "missing-token"},
    {RULECORE_DIAG_UNTERMINATED_STRING, "unterminated-string"},
    {RULECORE_DIAG_INVALID_ESCAPE, "invalid-escape"},
    {RULECORE_DIAG_INVALID_UTF8, "invalid-utf8"},
    {RULECORE_DIAG_INT_OVERFLOW, "int-overflow"},
    {RULECORE_DIAG_INVALID_NUMBER, "invalid-number"},
    {RULECORE_DIAG_RESERVED_IDENTIFIER, "reserved-identifier"},
    {RULECORE_DIAG_INVALID_TYPE_NAME, "invalid-type-name"},
    {RULECORE_DIAG_SCHEMA_SYNTAX, "schema-syntax"},
    {RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE, "schema-unknown-type"},
    {RULECORE_DIAG_SCHEMA_DUPLICATE, "schema-duplicate"},
    {RULECORE_DIAG_CONTEXT_SYNTAX, "context-syntax"},
    {RULECORE_DIAG_CONTEXT_MISMATCH, "context-mismatch"},
    {RULECORE_DIAG_UNDECLARED_REFERENCE, "undeclared-reference"},
    {RULECORE_DIAG_NO_SUCH_FIELD, "no-such-field"},
    {RULECORE_DIAG_NO_MATCHING_OVERLOAD, "no-matching-overload"},
    {RULECORE_DIAG_WRONG_RESULT_TYPE, "wrong-result-type"},
    {RULECORE_DIAG_BAD_REGEX, "bad-regex"},
    {RULECORE_DIAG_BAD_MACRO, "bad-macro"},
    {RULECORE_DIAG_LUA_ERROR, "lua-error"},
    {RULECORE_DIAG_RULESET_LIMIT, "ruleset-limit"},
    {RULECORE_DIAG_RULESET_INVALID, "ruleset-invalid"},
    {RULECORE_DIAG_RULESET_DUPLICATE, "ruleset-duplicate"},
    {RULECORE_DIAG_DECISION_CYCLE, "decision-cycle"},
    {RULECORE_DIAG_DECISION_SHADOWS, "decision-shadows"},
    {RULECORE_DIAG_UNKNOWN_DECISION, "unknown-decision"},
    {RULECORE_DIAG_TEST_DATA, "test-data"},
};

const char *diag_code_name(int code) {
  for (size_t i = 0; i < ARRAY_LEN(code_names); i++)
    if (code_names[i].code == code) return code_names[i].name;
  return "unknown";
}

static const char *severity_name(rulecore_severity s) {
  switch (s) {
  case RULECORE_SEVERITY_ERROR: return "error";
  case RULECORE_SEVERITY_WARNING: return "warning";
  case RULECORE_SEVERITY_NOTE: return "note";
  }
  return "error";
}

rulecore_diagnostics *diag_new(size_t max_errors) {
  rulecore_diagnostics *d = mem_calloc(1, sizeof *d);
  if (d) d->max_errors = max_errors;
  return d;
}

bool diag_full(const rulecore_diagnostics *d) { return d->oom || d->truncated; }

static diag *diag_push(rulecore_diagnostics *d) {
  if (d->count == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 8;
    diag *items = mem_realloc(d->items, cap * sizeof *items);
    if (!items) {
      d->oom = true;
      return NULL;
    }
    d->items = items;
    d->cap = cap;
  }
  diag *g = &d->items[d->count++];
  memset(g, 0, sizeof *g);
  return g;
}

/* Where bytes [off, off+len) of src are, borrowing src's strings. */
static void loc_from_source(diag_loc *loc, const source *src, size_t off, size_t len) {
  memset(loc, 0, sizeof *loc);
  if (!src) return;
  if (off > src->len) off = src->len;
  if (len > src->len - off) len = src->len - off;
  loc->file = src->file;
  loc->offset = off;
  loc->length = len;
  src_position(src, off, &loc->line, &loc->column);
  src_position(src, off + len, &loc->end_line, &loc->end_column);
  loc->line_text = src_line(src, loc->line, &loc->line_len);
}

bool diag_loc_of(diag_loc *loc, arena *a, const source *src, size_t off, size_t len) {
  loc_from_source(loc, src, off, len);
  const char *file = loc->file ? loc->file : "<input>";
  loc->file = arena_strndup(a, file, strlen(file));
  loc->line_text = arena_strndup(a, loc->line_text ? loc->line_text : "", loc->line_len);
  return loc->file && loc->line_text;
}

static bool diag_addv(rulecore_diagnostics *d, const diag_loc *loc, rulecore_severity severity, int code,
                      const char *fmt, va_list ap) {
  if (d->oom) return false;
  bool is_error = severity == RULECORE_SEVERITY_ERROR;
  if (is_error && d->max_errors && d->errors >= d->max_errors) {
    /* Dropped: say so once, where the first dropped error was (the note
     * sorts after everything that was kept). */
    if (!d->truncated) {
      d->truncated = true;
      diag_add_at(d, loc, RULECORE_SEVERITY_NOTE, RULECORE_DIAG_TOO_MANY_ERRORS,
                  "too many errors; stopping here (raise RULECORE_LIMIT_ERRORS to see more)");
    }
    return false;
  }
  diag *g = diag_push(d);
  if (!g) return false;
  char small[512];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof small) n = sizeof small - 1; /* messages are short; a long quote is cut */
  g->severity = severity;
  g->code = code;
  g->message = arena_strndup(&d->strings, small, (size_t)n);
  const char *file = loc && loc->file ? loc->file : "<input>";
  g->file = arena_strndup(&d->strings, file, strlen(file));
  if (loc && loc->line) {
    g->offset = loc->offset;
    g->length = loc->length;
    g->line = loc->line;
    g->column = loc->column;
    g->end_line = loc->end_line;
    g->end_column = loc->end_column;
    g->line_text = arena_strndup(&d->strings, loc->line_text ? loc->line_text : "", loc->line_len);
  } else {
    g->line_text = "";
  }
  if (!g->message || !g->file || !g->line_text) {
    d->count--;
    d->oom = true;
    return false;
  }
  if (is_error) d->errors++;
  return true;
}

bool diag_add_at(rulecore_diagnostics *d, const diag_loc *loc, rulecore_severity severity, int code, const char *fmt,
                 ...) {
  va_list ap;
  va_start(ap, fmt);
  bool ok = diag_addv(d, loc, severity, code, fmt, ap);
  va_end(ap);
  return ok;
}

bool diag_add(rulecore_diagnostics *d, const source *src, rulecore_severity severity, int code, size_t off,
              size_t len, const char *fmt, ...) {
  diag_loc loc;
  loc_from_source(&loc, src, off, len);
  va_list ap;
  va_start(ap, fmt);
  bool ok = diag_addv(d, &loc, severity, code, fmt, ap);
  va_end(ap);
  return ok;
}

bool diag_append(rulecore_diagnostics *d, const rulecore_diagnostics *from, const source *src,
                 size_t (*map)(const void *ctx, size_t off), const void *ctx, const diag_loc *fixed,
                 const char *what) {
  for (size_t i = 0; from && i < from->count && !d->oom; i++) {
    const diag *g = &from->items[i];
    if (g->code == RULECORE_DIAG_TOO_MANY_ERRORS) continue; /* d says so itself */
    if (map && src && g->line) {
      size_t a = map(ctx, g->offset), b = map(ctx, g->offset + g->length);
      diag_add(d, src, g->severity, g->code, a, b > a ? b - a : 0, "%s", g->message);
    } else if (fixed && g->line && what) {
      diag_add_at(d, fixed, g->severity, g->code, "%s (column %u of %s)", g->message, g->column, what);
    } else if (fixed) {
      diag_add_at(d, fixed, g->severity, g->code, "%s", g->message);
    } else {
      diag_loc loc = {.file = g->file, .line_text = g->line_text, .line_len = strlen(g->line_text), .line = g->line,
                      .column = g->column, .end_line = g->end_line, .end_column = g->end_column,
                      .offset = g->offset, .length = g->length};
      diag_add_at(d, fixed && !g->line ? fixed : &loc, g->severity, g->code, "%s", g->message);
    }
  }
  if (from && from->oom) d->oom = true;
  return !d->oom;
}

static int diag_cmp(const void *a, const void *b) {
  const diag *x = a, *y = b;
  bool xl = x->code == RULECORE_DIAG_TOO_MANY_ERRORS, yl = y->code == RULECORE_DIAG_TOO_MANY_ERRORS;
  if (xl != yl) return xl ? 1 : -1;
  if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
  return 0;
}

void diag_sort(rulecore_diagnostics *d) {
  /* Insertion sort keeps equal positions in report order; lists are short. */
  for (size_t i = 1; i < d->count; i++) {
    diag t = d->items[i];
    size_t j = i;
    while (j > 0 && diag_cmp(&d->items[j - 1], &t) > 0) {
      d->items[j] = d->items[j - 1];
      j--;
    }
    d->items[j] = t;
  }
}

static int diag_cmp_files(const void *a, const void *b) {
  const diag *x = a, *y = b;
  bool xl = x->code == RULECORE_DIAG_TOO_MANY_ERRORS, yl = y->code == RULECORE_DIAG_TOO_MANY_ERRORS;
  if (xl != yl) return xl ? 1 : -1;
  int c = strcmp(x->file, y->file);
  if (c) return c;
  if (x->line != y->line) return x->line < y->line ? -1 : 1; /* line 0 (the whole file) first */
  if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
  return 0;
}

void diag_sort_files(rulecore_diagnostics *d) {
  for (size_t i = 1; i < d->count; i++) {
    diag t = d->items[i];
    size_t j = i;
    while (j > 0 && diag_cmp_files(&d->items[j - 1], &t) > 0) {
      d->items[j] = d->items[j - 1];
      j--;
    }
    d->items[j] = t;
  }
}

/* ---- public accessors ---- */

static const diag *diag_at(const rulecore_diagnostics *d, size_t i) {
  return d && i < d->count ? &d->items[i] : NULL;
}

RULECORE_API size_t rulecore_diagnostics_count(const rulecore_diagnostics *d) { return d ? d->count : 0; }
RULECORE_API size_t rulecore_diagnostics_error_count(const rulecore_diagnostics *d) { return d ? d->errors : 0; }

RULECORE_API rulecore_severity rulecore_diagnostics_severity(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->severity : RULECORE_SEVERITY_ERROR;
}
RULECORE_API int rulecore_diagnostics_code(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->code : 0;
}
RULECORE_API const char *rulecore_diagnostics_code_name(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? diag_code_name(g->code) : "";
}
RULECORE_API const char *rulecore_diagnostics_message(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->message : "";
}
RULECORE_API const char *rulecore_diagnostics_file(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->file : "";
}
RULECORE_API uint32_t rulecore_diagnostics_line(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->line : 0;
}
RULECORE_API uint32_t rulecore_diagnostics_column(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->column : 0;
}
RULECORE_API uint32_t rulecore_diagnostics_end_line(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->end_line : 0;
}
RULECORE_API uint32_t rulecore_diagnostics_end_column(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->end_column : 0;
}
RULECORE_API size_t rulecore_diagnostics_offset(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->offset : 0;
}
RULECORE_API size_t rulecore_diagnostics_length(const rulecore_diagnostics *d, size_t i) {
  const diag *g = diag_at(d, i);
  return g ? g->length : 0;
}

RULECORE_API void rulecore_diagnostics_free(rulecore_diagnostics *d) {
  if (!d) return;
  mem_free(d->items);
  arena_release(&d->strings);
  mem_free(d);
}

/* ---- rendering ---- */

/* The source line, then a caret under the start column and tildes under
 * the rest of the span on that line.  Tabs before the column are copied so
 * the caret lines up in a terminal. */
static void render_caret(buf *b, const diag *g) {
  const char *t = g->line_text;
  buf_puts(b, t);
  buf_putc(b, '\n');
  uint32_t col = 1;
  const char *p = t;
  while (*p && col < g->column) {
    buf_putc(b, *p == '\t' ? '\t' : ' ');
    p++;
    while ((*p & 0xC0) == 0x80) p++;
    col++;
  }
  buf_putc(b, '^');
  /* The span on this line, in code points. */
  uint32_t last = g->end_column;
  if (g->end_line != g->line) { /* to the end of this line */
    last = col;
    for (const char *q = p; *q; q++)
      if ((*q & 0xC0) != 0x80) last++;
  }
  for (uint32_t c = col + 1; c < last; c++) buf_putc(b, '~');
  buf_putc(b, '\n');
}

static char *render_text(const rulecore_diagnostics *d) {
  buf b = {0};
  for (size_t i = 0; d && i < d->count; i++) {
    const diag *g = &d->items[i];
    if (g->line) {
      buf_printf(&b, "%s:%u:%u: %s: %s\n", g->file, g->line, g->column, severity_name(g->severity), g->message);
      render_caret(&b, g);
    } else {
      buf_printf(&b, "%s: %s: %s\n", g->file, severity_name(g->severity), g->message);
    }
  }
  return buf_take(&b);
}

static char *render_json(const rulecore_diagnostics *d) {
  buf b = {0};
  buf_puts(&b, "{\"diagnostics\": [");
  for (size_t i = 0; d && i < d->count; i++) {
    const diag *g = &d->items[i];
    buf_puts(&b, i ? ",\n  {" : "\n  {");
    buf_printf(&b, "\"severity\": \"%s\", \"code\": %d, \"name\": \"%s\", \"message\": ",
               severity_name(g->severity), g->code, diag_code_name(g->code));
    buf_json_string(&b, g->message, strlen(g->message));
    buf_puts(&b, ", \"file\": ");
    buf_json_string(&b, g->file, strlen(g->file));
    buf_printf(&b,
               ", \"line\": %u, \"column\": %u, \"end_line\": %u, \"end_column\": %u, \"offset\": %zu, "
               "\"length\": %zu}",
               g->line, g->column, g->end_line, g->end_column, g->offset, g->length);
  }
  buf_printf(&b, "%s], \"errors\": %zu}\n", d && d->count ? "\n" : "", d ? d->errors : 0);
  return buf_take(&b);
}

RULECORE_API char *rulecore_diagnostics_render(const rulecore_diagnostics *d, rulecore_format format) {
  switch (format) {
  case RULECORE_FORMAT_TEXT: return render_text(d);
  case RULECORE_FORMAT_JSON: return render_json(d);
  default: return NULL;
  }
}
