/*
 * regex.c: PCRE2 compilation for CEL's `matches`.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdio.h>

/* UTF-8 patterns and subjects, Unicode classes, and no \C (which could
 * split a character). */
#define REGEX_OPTIONS (PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C)

bool regex_validate(const char *pattern, size_t len, char *err, size_t n, size_t *where) {
  int code;
  PCRE2_SIZE offset;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, REGEX_OPTIONS, &code, &offset, NULL);
  if (re) {
    pcre2_code_free(re);
    return true;
  }
  PCRE2_UCHAR msg[160];
  if (pcre2_get_error_message(code, msg, sizeof msg) < 0) snprintf((char *)msg, sizeof msg, "error %d", code);
  snprintf(err, n, "%s", (const char *)msg);
  *where = offset;
  return false;
}
