/*
 * check_main.h: what every t/check_<stage>.c shares: the main that runs a
 * suite, and a snapshot of one rulecore_parse call.
 *
 * Each test program runs one suite through srunner with the verbosity and
 * output of the environment: under `make check`, CK_TAP_LOG_FILE_NAME=- and
 * CK_VERBOSITY=silent make stdout pure TAP for automake's tap-driver.sh.
 * The exit status is 0 iff every test passed.
 *
 * The parse snapshot copies everything a test asserts on into static
 * storage and frees the library's objects before the first assertion, so a
 * failing assertion (which longjmps out of the test under CK_FORK=no) leaks
 * nothing and valgrind stays quiet.
 */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulecore.h"

/* Run suite s (which the runner frees); the process's exit status. */
static inline int check_main(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_ENV);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* src[0..len) for a one-line message: control bytes escaped (static
 * storage, so one use per message). */
static inline const char *show(const char *src, size_t len) {
  static char z[1024];
  size_t k = 0;
  for (size_t i = 0; i < len && k + 5 < sizeof z; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c < 0x20 || c == 0x7f)
      k += (size_t)snprintf(z + k, sizeof z - k, "\\x%02x", c);
    else
      z[k++] = (char)c;
  }
  z[k] = '\0';
  return z;
}

/* Like ck_assert_str_eq, but the failure message stays on one line (TAP
 * takes the first line only), with newlines and tabs escaped. */
#define assert_text_eq(got, want)                                                        \
  do {                                                                                   \
    const char *got_ = (got), *want_ = (want);                                           \
    if (strcmp(got_, want_) != 0) {                                                      \
      static char want_shown_[1024];                                                     \
      snprintf(want_shown_, sizeof want_shown_, "%s", show(want_, strlen(want_)));       \
      ck_abort_msg("got \"%s\", expected \"%s\"", show(got_, strlen(got_)), want_shown_); \
    }                                                                                    \
  } while (0)

#define SNAP_MAX_DIAGS 64
#define SNAP_TEXT 16384

typedef struct snap_diag {
  rulecore_severity severity;
  int code;
  char name[32];
  char message[256];
  char file[64];
  uint32_t line, column, end_line, end_column;
  size_t offset, length;
} snap_diag;

/* One parse: its status, its tree rendered as an S-expression ("" when
 * there is none) and its diagnostics, each field copied. */
typedef struct snapshot {
  rulecore_status status;
  bool have_expr;
  char sexp[SNAP_TEXT];
  size_t count, errors;
  snap_diag d[SNAP_MAX_DIAGS];
  char text[SNAP_TEXT]; /* the diagnostics rendered as TEXT */
} snapshot;

static inline void snap_copy(char *dst, size_t cap, const char *src) {
  snprintf(dst, cap, "%s", src ? src : "(null)");
}

/* Copy what a test asserts on of diagnostics d (NULL: none): the counts,
 * each diagnostic's fields (up to SNAP_MAX_DIAGS) and the TEXT rendering
 * (into text[0..text_len), "" when d is NULL). */
static inline void snap_diagnostics(const rulecore_diagnostics *d, size_t *count, size_t *errors, snap_diag *out,
                                    char *text, size_t text_len) {
  *count = rulecore_diagnostics_count(d);
  *errors = rulecore_diagnostics_error_count(d);
  for (size_t i = 0; i < *count && i < SNAP_MAX_DIAGS; i++) {
    snap_diag *g = &out[i];
    g->severity = rulecore_diagnostics_severity(d, i);
    g->code = rulecore_diagnostics_code(d, i);
    snap_copy(g->name, sizeof g->name, rulecore_diagnostics_code_name(d, i));
    snap_copy(g->message, sizeof g->message, rulecore_diagnostics_message(d, i));
    snap_copy(g->file, sizeof g->file, rulecore_diagnostics_file(d, i));
    g->line = rulecore_diagnostics_line(d, i);
    g->column = rulecore_diagnostics_column(d, i);
    g->end_line = rulecore_diagnostics_end_line(d, i);
    g->end_column = rulecore_diagnostics_end_column(d, i);
    g->offset = rulecore_diagnostics_offset(d, i);
    g->length = rulecore_diagnostics_length(d, i);
  }
  text[0] = '\0';
  if (d) {
    char *z = rulecore_diagnostics_render(d, RULECORE_FORMAT_TEXT);
    snap_copy(text, text_len, z);
    rulecore_free(z);
  }
}

/* Parse src[0..len) with env and file into *s. */
static inline void snap_parse(snapshot *s, const rulecore_env *env, const char *src, size_t len, const char *file) {
  rulecore_expr *e = NULL;
  rulecore_diagnostics *d = NULL;
  memset(s, 0, sizeof *s);
  s->status = rulecore_parse(env, src, len, file, &e, &d);
  s->have_expr = e != NULL;
  if (e) {
    char *z = rulecore_expr_render(e, RULECORE_FORMAT_SEXP);
    snap_copy(s->sexp, sizeof s->sexp, z);
    rulecore_free(z);
  }
  snap_diagnostics(d, &s->count, &s->errors, s->d, s->text, sizeof s->text);
  rulecore_expr_free(e);
  rulecore_diagnostics_free(d);
}

/* Parse a NUL-terminated src with default limits. */
static inline void snap_parse_str(snapshot *s, const char *src) {
  snap_parse(s, NULL, src, strlen(src), NULL);
}

#endif
