/*
 * literal.c: CEL literal decoding (integers, doubles, strings, bytes) and
 * UTF-8 validation.
 */
#include "literal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool fail(lit_error *err, int code, size_t off, size_t len, const char *fmt, ...) PRINTF_LIKE(5, 6);

static bool fail(lit_error *err, int code, size_t off, size_t len, const char *fmt, ...) {
  err->code = code;
  err->offset = off;
  err->len = len;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return false;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parse the digits of s[0..n) (decimal, or hex after 0x) into *out;
 * false when the value does not fit in 64 bits. */
static bool parse_u64(const char *s, size_t n, uint64_t *out) {
  unsigned base = 10;
  size_t i = 0;
  if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    i = 2;
  }
  uint64_t v = 0;
  for (; i < n; i++) {
    int d = base == 16 ? hex_value(s[i]) : s[i] - '0';
    if (d < 0 || d >= (int)base) return false;
    if (v > (UINT64_MAX - (uint64_t)d) / base) return false;
    v = v * base + (uint64_t)d;
  }
  *out = v;
  return true;
}

bool lit_int(const char *s, size_t n, bool negative, int64_t *out, lit_error *err) {
  uint64_t v;
  uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  if (!parse_u64(s, n, &v) || v > limit)
    return fail(err, RULECORE_DIAG_INT_OVERFLOW, 0, n, "int literal %s%.*s does not fit in 64 bits",
                negative ? "-" : "", (int)(n > 40 ? 40 : n), s);
  *out = negative ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
  return true;
}

bool lit_uint(const char *s, size_t n, uint64_t *out, lit_error *err) {
  size_t digits = n && (s[n - 1] == 'u' || s[n - 1] == 'U') ? n - 1 : n;
  if (!parse_u64(s, digits, out))
    return fail(err, RULECORE_DIAG_INT_OVERFLOW, 0, n, "uint literal %.*s does not fit in 64 bits",
                (int)(n > 40 ? 40 : n), s);
  return true;
}

bool lit_double(const char *s, size_t n, double *out, lit_error *err) {
  char tmp[64];
  char *heap = NULL;
  char *z = tmp;
  if (n >= sizeof tmp) {
    heap = mem_strndup(s, n);
    if (!heap) return fail(err, 0, 0, n, "out of memory");
    z = heap;
  } else {
    memcpy(tmp, s, n);
    tmp[n] = '\0';
  }
  errno = 0;
  double d = strtod(z, NULL);
  bool range = errno == ERANGE && isinf(d);
  mem_free(heap);
  if (range)
    return fail(err, RULECORE_DIAG_INVALID_NUMBER, 0, n, "double literal %.*s is out of range",
                (int)(n > 40 ? 40 : n), s);
  *out = d;
  return true;
}

void lit_put_utf8(buf *b, uint32_t cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  buf_append(b, u, n);
}

size_t lit_utf8_valid_prefix(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return i;
    }
    if (n - i < len) return i;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return n;
}

bool lit_string(const char *s, size_t n, buf *out, bool *is_bytes, lit_error *err) {
  size_t i = 0;
  bool raw = false, bytes = false;
  while (i < n && s[i] != '"' && s[i] != '\'') {
    if (s[i] == 'r' || s[i] == 'R') raw = true;
    if (s[i] == 'b' || s[i] == 'B') bytes = true;
    i++;
  }
  *is_bytes = bytes;
  size_t q = (n - i >= 6 && s[i + 1] == s[i] && s[i + 2] == s[i]) ? 3 : 1;
  size_t end = n - q; /* the grammar guarantees the closing quotes */
  i += q;
  buf_append(out, "", 0); /* NUL-terminated even when empty */
  while (i < end) {
    size_t start = i;
    char c = s[i];
    if (c != '\\' || raw) {
      buf_putc(out, c);
      i++;
      continue;
    }
    if (i + 1 >= end) return fail(err, RULECORE_DIAG_INVALID_ESCAPE, start, 1, "a string cannot end with a backslash");
    char e = s[i + 1];
    i += 2;
    switch (e) {
    case 'a': buf_putc(out, '\a'); continue;
    case 'b': buf_putc(out, '\b'); continue;
    case 'f': buf_putc(out, '\f'); continue;
    case 'n': buf_putc(out, '\n'); continue;
    case 'r': buf_putc(out, '\r'); continue;
    case 't': buf_putc(out, '\t'); continue;
    case 'v': buf_putc(out, '\v'); continue;
    case '\\':
    case '?':
    case '"':
    case '\'':
    case '`': buf_putc(out, e); continue;
    default: break;
    }
    if (e >= '0' && e <= '3') {
      if (end - i < 2 || s[i] < '0' || s[i] > '7' || s[i + 1] < '0' || s[i + 1] > '7')
        return fail(err, RULECORE_DIAG_INVALID_ESCAPE, start, 2,
                    "octal escape needs three octal digits (\\000 to \\377)");
      uint32_t v = (uint32_t)(e - '0') * 64 + (uint32_t)(s[i] - '0') * 8 + (uint32_t)(s[i + 1] - '0');
      i += 2;
      if (bytes)
        buf_putc(out, (char)v);
      else
        lit_put_utf8(out, v);
      continue;
    }
    size_t digits = 0;
    if (e == 'x' || e == 'X') digits = 2;
    if (e == 'u') digits = 4;
    if (e == 'U') digits = 8;
    if (digits == 0) {
      /* Quote the escape, which may be a multi-byte character. */
      size_t elen = 1;
      while (start + 1 + elen < end && ((unsigned char)s[start + 1 + elen] & 0xC0) == 0x80) elen++;
      if (e == '\n' || e == '\r')
        return fail(err, RULECORE_DIAG_INVALID_ESCAPE, start, 1,
                    "a backslash cannot continue a line; use a triple-quoted string for several lines");
      return fail(err, RULECORE_DIAG_INVALID_ESCAPE, start, 1 + elen, "invalid escape sequence \\%.*s", (int)elen,
                  s + start + 1);
    }
    if (bytes && digits > 2)
      return fail(err, RULECORE_DIAG_INVALID_ESCAPE, start, 2,
                  "\\%c escapes are not allowed in bytes literals; use \\x or octal escapes", e);
    uint32_t v = 0;
    for (size_t k = 0; k < digits; k++) {
      int h = i + k < end ? hex_value(s[i + k]) : -1;
      if (h < 0)
        return fail(err, RULECORE_DIAG_INVALID_ESCAPE, start, 2 + k, "\\%c escape needs %zu hex digits", e, digits);
      v = v * 16 + (uint32_t)h;
    }
    i += digits;
    if (bytes) {
      buf_putc(out, (char)v);
      continue;
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
      return fail(err, RULECORE_DIAG_INVALID_ESCAPE, start, 2 + digits,
                  "\\%c%.*s is not a Unicode scalar value", e, (int)digits, s + start + 2);
    lit_put_utf8(out, v);
  }
  return true;
}
