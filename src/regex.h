/*
 * regex.h: regular expressions (PCRE2 with its JIT).  CEL's `matches` uses
 * RE2 syntax; PCRE2 accepts it (and more), compiled as UTF-8 with Unicode
 * properties.
 */
#ifndef RULECORE_REGEX_H
#define RULECORE_REGEX_H

#include "internal.h"

/* Does pattern[0..len) compile?  When not, the reason goes to err[0..n)
 * and the offset in the pattern where it was found to *where. */
INTERNAL bool regex_validate(const char *pattern, size_t len, char *err, size_t n, size_t *where);

#endif
