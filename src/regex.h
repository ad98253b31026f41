/*
 * regex.h: regular expressions (PCRE2 with its JIT).  CEL's `matches` uses
 * RE2 syntax; PCRE2 accepts it (and more), compiled as UTF-8 with Unicode
 * properties.  A match searches (CEL's matches is not anchored).
 */
#ifndef RULECORE_REGEX_H
#define RULECORE_REGEX_H

#include "internal.h"

/* Limits of one match: backtracking steps, nesting depth and heap (KiB).
 * A match that reaches one ends with an error. */
#define REGEX_MATCH_LIMIT 1000000u
#define REGEX_DEPTH_LIMIT 10000u
#define REGEX_HEAP_LIMIT_KIB 20000u

typedef struct regex regex;

/* Does pattern[0..len) compile?  When not, the reason goes to err[0..n)
 * and the offset in the pattern where it was found to *where. */
INTERNAL bool regex_validate(const char *pattern, size_t len, char *err, size_t n, size_t *where);

/* Compile pattern[0..len) (with the JIT when available): the compiled
 * regex, immutable and shareable between threads, or NULL with the reason
 * in err[0..n). */
INTERNAL regex *regex_compile(const char *pattern, size_t len, char *err, size_t n);
INTERNAL void regex_free(regex *r);

/* Search subject[0..len) for r: 1 found, 0 not found, -1 an error (a
 * limit reached, out of memory) with a static message in *err.
 * *match_data is per-thread scratch, created on first use; free it with
 * regex_match_data_free. */
INTERNAL int regex_search(const regex *r, const char *subject, size_t len, void **match_data, const char **err);
INTERNAL void regex_match_data_free(void *match_data);

#endif
