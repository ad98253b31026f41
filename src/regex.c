/*
 * regex.c: PCRE2 for CEL's `matches`: compiled once (with the JIT) for a
 * constant pattern, matched with limits so that a pathological pattern
 * yields an error value rather than a hang.  PCRE2 allocates through
 * librulecore's allocator hook.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>

#include "mem.h"

/* UTF-8 patterns and subjects, Unicode classes, and no \C (which could
 * split a character). */
#define REGEX_OPTIONS (PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C)

static void *pcre_malloc(PCRE2_SIZE n, void *ud) {
  (void)ud;
  return mem_alloc(n ? n : 1);
}
static void pcre_free(void *p, void *ud) {
  (void)ud;
  mem_free(p);
}

/* Process-wide, read-only after creation: the general context (our
 * allocator) and the match context (the limits). */
static pcre2_general_context *gctx;
static pcre2_match_context *mctx;
static pthread_once_t contexts_once = PTHREAD_ONCE_INIT;

static void make_contexts(void) {
  gctx = pcre2_general_context_create(pcre_malloc, pcre_free, NULL);
  mctx = pcre2_match_context_create(gctx);
  if (mctx) {
    pcre2_set_match_limit(mctx, REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(mctx, REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(mctx, REGEX_HEAP_LIMIT_KIB);
  }
}

static bool contexts(void) {
  pthread_once(&contexts_once, make_contexts);
  return gctx && mctx;
}

static void error_text(int code, char *err, size_t n) {
  PCRE2_UCHAR msg[160];
  if (pcre2_get_error_message(code, msg, sizeof msg) < 0) snprintf((char *)msg, sizeof msg, "error %d", code);
  snprintf(err, n, "%s", (const char *)msg);
}

bool regex_validate(const char *pattern, size_t len, char *err, size_t n, size_t *where) {
  int code;
  PCRE2_SIZE offset;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, REGEX_OPTIONS, &code, &offset, NULL);
  if (re) {
    pcre2_code_free(re);
    return true;
  }
  error_text(code, err, n);
  *where = offset;
  return false;
}

regex *regex_compile(const char *pattern, size_t len, char *err, size_t n) {
  if (!contexts()) {
    snprintf(err, n, "out of memory");
    return NULL;
  }
  pcre2_compile_context *cc = pcre2_compile_context_create(gctx);
  if (!cc) {
    snprintf(err, n, "out of memory");
    return NULL;
  }
  int code;
  PCRE2_SIZE offset;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, REGEX_OPTIONS, &code, &offset, cc);
  pcre2_compile_context_free(cc);
  if (!re) {
    error_text(code, err, n);
    return NULL;
  }
  /* Without the JIT (not built for this CPU) the interpreter runs: the
   * same results, under the same limits. */
  (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  return (regex *)re;
}

void regex_free(regex *r) { pcre2_code_free((pcre2_code *)r); }

void regex_match_data_free(void *md) { pcre2_match_data_free(md); }

int regex_search(const regex *r, const char *subject, size_t len, void **match_data, const char **err) {
  if (!*match_data) {
    if (!contexts() || !(*match_data = pcre2_match_data_create(1, gctx))) {
      *err = "out of memory";
      return -1;
    }
  }
  int rc = pcre2_match((const pcre2_code *)r, (PCRE2_SPTR)subject, len, 0, 0, *match_data, mctx);
  if (rc >= 0) return 1;
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  switch (rc) {
  case PCRE2_ERROR_MATCHLIMIT: *err = "regular expression match limit exceeded"; break;
  case PCRE2_ERROR_DEPTHLIMIT: *err = "regular expression depth limit exceeded"; break;
  case PCRE2_ERROR_HEAPLIMIT: *err = "regular expression heap limit exceeded"; break;
  case PCRE2_ERROR_JIT_STACKLIMIT: *err = "regular expression stack limit exceeded"; break;
  case PCRE2_ERROR_NOMEMORY: *err = "out of memory"; break;
  default: *err = "the string is not valid UTF-8 or the match failed"; break;
  }
  return -1;
}
