/*
 * literal.h: decoding CEL literal tokens into values.
 *
 * Pure functions over the token text, so they are tested on their own;
 * src/syntax.c calls them and turns a failure into a diagnostic at
 * token offset + err.offset.
 */
#ifndef RULECORE_LITERAL_H
#define RULECORE_LITERAL_H

#include "internal.h"
#include "mem.h"

typedef struct lit_error {
  int code;            /* a RULECORE_DIAG_* code, or 0: out of memory */
  size_t offset, len;  /* the offending bytes, relative to the token */
  char message[96];
} lit_error;

/* Decode an int literal (decimal or 0x hex), negated when negative is set
 * so that -9223372036854775808 is representable.  false on overflow. */
INTERNAL bool lit_int(const char *s, size_t n, bool negative, int64_t *out, lit_error *err);
/* Decode a uint literal ("123u", "0xFFU").  false on overflow. */
INTERNAL bool lit_uint(const char *s, size_t n, uint64_t *out, lit_error *err);
/* Decode a double literal.  false when out of range (finite only). */
INTERNAL bool lit_double(const char *s, size_t n, double *out, lit_error *err);
/* Decode a string or bytes literal token, with its prefix and quotes, into
 * out (appended; NUL-terminated).  Strings come out as UTF-8; escapes are
 * checked (\u and \U are not allowed in bytes; code points must be Unicode
 * scalar values).  The token's own bytes must already be valid UTF-8.
 * *is_bytes tells which kind the prefix made it.  false on a bad escape. */
INTERNAL bool lit_string(const char *s, size_t n, buf *out, bool *is_bytes, lit_error *err);

/* Length of the valid UTF-8 prefix of s[0..n): n when all of it is valid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
INTERNAL size_t lit_utf8_valid_prefix(const char *s, size_t n);
/* Append code point cp as UTF-8. */
INTERNAL void lit_put_utf8(buf *b, uint32_t cp);

#endif
