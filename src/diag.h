/*
 * diag.h: building the diagnostics list every stage reports into.
 */
#ifndef RULECORE_DIAG_H
#define RULECORE_DIAG_H

#include "internal.h"
#include "mem.h"
#include "source.h"

typedef struct diag {
  rulecore_severity severity;
  int code;
  const char *message; /* in the list's arena */
  const char *file;    /* in the list's arena */
  const char *line_text; /* the source line the diagnostic starts on */
  uint32_t line, column, end_line, end_column;
  size_t offset, length;
} diag;

struct rulecore_diagnostics {
  diag *items;
  size_t count, cap;
  size_t errors;
  size_t max_errors; /* errors beyond this are dropped with one note */
  bool oom;          /* an allocation failed: the list may be incomplete */
  bool truncated;    /* an error was dropped (and the note says so) */
  arena strings;
};

/* Where a diagnostic points, detached from its source: what a declaration
 * keeps to report about itself later (strings owned by whoever fills it). */
typedef struct diag_loc {
  const char *file;      /* NULL: "<input>" */
  const char *line_text; /* the source line it starts on (line_len bytes) */
  size_t line_len;
  uint32_t line, column, end_line, end_column; /* line 0: no position */
  size_t offset, length;
} diag_loc;

/* Fill loc for bytes [off, off+len) of src, copying the file name and the
 * line into a.  false when out of memory. */
INTERNAL bool diag_loc_of(diag_loc *loc, arena *a, const source *src, size_t off, size_t len);

/* Report a diagnostic at loc (NULL: no position, line 0).  Returns as
 * diag_add does. */
INTERNAL bool diag_add_at(rulecore_diagnostics *d, const diag_loc *loc, rulecore_severity severity, int code,
                          const char *fmt, ...) PRINTF_LIKE(5, 6);

/* A new empty list that keeps at most max_errors errors (0 = no limit). */
INTERNAL rulecore_diagnostics *diag_new(size_t max_errors);

/* Report a diagnostic about bytes [off, off+len) of src.  Returns false when
 * it was dropped: an error past the error limit (the first one dropped adds
 * a too-many-errors note) or out of memory. */
INTERNAL bool diag_add(rulecore_diagnostics *d, const source *src, rulecore_severity severity, int code,
                       size_t off, size_t len, const char *fmt, ...) PRINTF_LIKE(7, 8);

/* Append every diagnostic of from to d.  With map, each moves into src:
 * map(ctx, off) is the byte offset in src of from's byte offset off (an
 * expression read out of a string literal of a larger file).  Without map,
 * each is put at fixed (NULL: where it was), with "(column N of WHAT)"
 * added to its message when what is set (an expression a program built,
 * with no text of its own in any file).  false when out of memory. */
INTERNAL bool diag_append(rulecore_diagnostics *d, const rulecore_diagnostics *from, const source *src,
                          size_t (*map)(const void *ctx, size_t off), const void *ctx, const diag_loc *fixed,
                          const char *what);

/* True once an error was dropped or memory ran out: stop looking. */
INTERNAL bool diag_full(const rulecore_diagnostics *d);

/* Sort by position (stable), so stages may report out of order; the
 * too-many-errors note stays last. */
INTERNAL void diag_sort(rulecore_diagnostics *d);

/* Sort by file name, then position (stable): the diagnostics of a load
 * of several files.  The too-many-errors note stays last. */
INTERNAL void diag_sort_files(rulecore_diagnostics *d);

/* The stable name of a code ("syntax-error"), or "unknown". */
INTERNAL const char *diag_code_name(int code);

#endif
