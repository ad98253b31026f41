/*
 * ext.c: CEL's extension libraries strings, math and encoders.
 *
 * The semantics are cel-go's ext package's (Strings, Math, Encoders): string
 * positions count code points, not bytes; an index out of range, a negative
 * shift, an int overflow are CEL error values.  Where cel-go's own versions
 * disagree the conformance suite decides: string.format is its second
 * version (%d, %f and %e take ints, uints and doubles; %s prints lists and
 * maps without quotes, map entries sorted), math.bitShiftRight fills with
 * zeros.  Memory a result needs comes from the evaluation's pool, and
 * building a string costs as concatenation does (a unit per 64 bytes).
 */
#include "ext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rtime.h"

/* ---- errors, memory and cost ---- */

static value fail(ev *e, const cnode *n, const char *msg) {
  ev_fail(e, n, msg);
  return (value){0};
}

/* Memory ran out outside the pool (in a buf): the evaluation stops, as
 * when ev_alloc fails. */
static value fail_oom(ev *e, const cnode *n) {
  e->oom = true;
  e->err = NULL;
  ev_fail(e, n, "out of memory");
  return (value){0};
}

/* Room for a string or bytes value of len bytes in the pool, NUL-terminated
 * at len, for the caller to fill; NULL (the error raised) when it is too
 * long, costs too much or memory ran out. */
static char *new_text(ev *e, const cnode *n, uint64_t len) {
  if (len > VALUE_MAX_LEN) {
    ev_fail(e, n, "string too long");
    return NULL;
  }
  if (!ev_spend(e, n, len / 64)) return NULL;
  char *p = ev_alloc(e, n, (size_t)len + 1);
  if (p) p[len] = '\0';
  return p;
}

static value text_value(uint8_t kind, const char *p, size_t len) {
  return (value){.kind = kind, .n = (uint32_t)len, .s = p};
}

/* s[0..len) copied into the pool as a value of kind (V_STRING, V_BYTES). */
static value copy_text(ev *e, const cnode *n, uint8_t kind, const char *s, size_t len) {
  char *p = new_text(e, n, len);
  if (!p) return (value){0};
  memcpy(p, s, len);
  return text_value(kind, p, len);
}

/* What b holds as a value of kind in the pool; b is released. */
static value buf_text(ev *e, const cnode *n, uint8_t kind, buf *b) {
  value r = b->oom ? fail_oom(e, n) : copy_text(e, n, kind, b->data ? b->data : "", b->len);
  buf_release(b);
  return r;
}

static str as_str(value v) { return (str){v.s, v.n}; }

/* The name of v's type for messages: "int", "list", "google.protobuf.Duration",
 * a record's name. */
static const char *type_name_of(value v, char *tmp, size_t n) {
  return value_type_name(value_type_of(v), true, tmp, n);
}

/* The error for function fn applied to arguments a[0..nargs) of kinds it
 * has no overload for. */
static value no_overload(ev *e, const cnode *n, const char *fn, const value *a, uint32_t nargs) {
  buf b = {0};
  char tmp[128];
  buf_printf(&b, "no such overload: %s(", fn);
  for (uint32_t i = 0; i < nargs; i++) {
    if (i) buf_puts(&b, ", ");
    buf_puts(&b, value_type_name(value_type_of(a[i]), false, tmp, sizeof tmp));
  }
  buf_putc(&b, ')');
  if (b.oom) {
    buf_release(&b);
    return fail_oom(e, n);
  }
  ev_failf(e, n, "%s", b.data);
  buf_release(&b);
  return (value){0};
}

/* ---- code points ---- */

/* Strings are UTF-8: a code point starts at every byte that is no
 * continuation byte (as size() counts them). */
static bool cp_start(const char *s, size_t i) { return ((unsigned char)s[i] & 0xC0) != 0x80; }

/* The byte offset of the code point after the one at byte i (< s.n). */
static size_t cp_next(str s, size_t i) {
  do i++;
  while (i < s.n && !cp_start(s.p, i));
  return i;
}

/* The byte offset of code point k (0 <= k; s.n when k is the count or
 * beyond). */
static size_t cp_offset(str s, int64_t k) {
  size_t i = 0;
  for (; k > 0 && i < s.n; k--) i = cp_next(s, i);
  return i;
}

static int64_t cp_count(str s) { return (int64_t)value_utf8_length(s.p, s.n); }

/* The code point of the UTF-8 sequence at s[i..) and its length in *len:
 * U+FFFD of length 1 for a byte that starts no valid sequence. */
static uint32_t cp_decode(str s, size_t i, size_t *len) {
  const unsigned char *p = (const unsigned char *)s.p + i;
  size_t avail = s.n - i;
  unsigned c = p[0];
  *len = 1;
  if (c < 0x80) return c;
  size_t need;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) {
    need = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    need = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    need = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0xFFFD;
  }
  if (need > avail) return 0xFFFD;
  for (size_t k = 1; k < need; k++) {
    if ((p[k] & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (p[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
  *len = need;
  return cp;
}

/* ---- strings ---- */

/* s.charAt(k): the code point at k as a string, "" at the end. */
static value char_at(ev *e, const cnode *n, str s, int64_t k) {
  if (k < 0 || k > cp_count(s)) {
    ev_failf(e, n, "index out of range: %lld", (long long)k);
    return (value){0};
  }
  size_t at = cp_offset(s, k), end = at < s.n ? cp_next(s, at) : at;
  return copy_text(e, n, V_STRING, s.p + at, end - at);
}

/* s.indexOf(sub[, off]): the code point index of the first sub at or after
 * off, or -1.  An empty sub is found at off itself (cel-go); an off outside
 * the string is an error. */
static value index_of(ev *e, const cnode *n, str s, str sub, int64_t off, bool has_off) {
  if (sub.n == 0) return v_int(off);
  if (has_off && (off < 0 || off >= cp_count(s))) {
    ev_failf(e, n, "index out of range: %lld", (long long)off);
    return (value){0};
  }
  size_t at = cp_offset(s, off);
  for (int64_t k = off; at < s.n && s.n - at >= sub.n; k++, at = cp_next(s, at))
    if (memcmp(s.p + at, sub.p, sub.n) == 0) return v_int(k);
  return v_int(-1);
}

/* s.lastIndexOf(sub[, off]): the code point index of the last sub that
 * starts at or before off (default: anywhere), or -1.  An empty sub is
 * found at off (default: the end). */
static value last_index_of(ev *e, const cnode *n, str s, str sub, int64_t off, bool has_off) {
  int64_t len = cp_count(s);
  if (sub.n == 0) return v_int(has_off ? off : len);
  if (has_off && (off < 0 || off >= len)) {
    ev_failf(e, n, "index out of range: %lld", (long long)off);
    return (value){0};
  }
  if (!has_off) off = len - 1;
  int64_t last = len - cp_count(sub); /* the last place sub fits */
  if (off > last) off = last;
  if (off < 0) return v_int(-1);
  size_t at = cp_offset(s, off);
  for (int64_t k = off;; k--) {
    if (s.n - at >= sub.n && memcmp(s.p + at, sub.p, sub.n) == 0) return v_int(k);
    if (k == 0) break;
    do at--;
    while (at > 0 && !cp_start(s.p, at));
  }
  return v_int(-1);
}

/* s with its ASCII letters in lower (upper false) or upper case. */
static value ascii_case(ev *e, const cnode *n, str s, bool upper) {
  char *p = new_text(e, n, s.n);
  if (!p) return (value){0};
  for (size_t i = 0; i < s.n; i++) {
    char c = s.p[i];
    if (upper && c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    p[i] = c;
  }
  return text_value(V_STRING, p, s.n);
}

/* The byte offset of the first old in s at or after byte i, or s.n. */
static size_t find(str s, str old, size_t i) {
  for (; i < s.n && s.n - i >= old.n; i++)
    if (memcmp(s.p + i, old.p, old.n) == 0) return i;
  return s.n;
}

/* s.replace(old, rep[, limit]): s with its first limit non-overlapping
 * occurrences of old (every one when limit is negative) replaced by rep,
 * as Go's strings.Replace (an empty old matches before every code point
 * and at the end). */
static value replace(ev *e, const cnode *n, value sv, str old, str rep, int64_t limit) {
  str s = as_str(sv);
  uint64_t count = 0;
  if (limit != 0) {
    if (old.n == 0) {
      count = (uint64_t)cp_count(s) + 1;
    } else {
      for (size_t i = find(s, old, 0); i < s.n; i = find(s, old, i + old.n)) count++;
    }
    if (limit > 0 && count > (uint64_t)limit) count = (uint64_t)limit;
  }
  if (count == 0) return sv;
  char *p = new_text(e, n, s.n - count * old.n + count * rep.n);
  if (!p) return (value){0};
  size_t i = 0, w = 0;
  for (uint64_t done = 0; done < count; done++) {
    size_t at = old.n == 0 ? i : find(s, old, i);
    memcpy(p + w, s.p + i, at - i);
    w += at - i;
    memcpy(p + w, rep.p, rep.n);
    w += rep.n;
    i = at + old.n;
    if (old.n == 0 && i < s.n) { /* the code point the empty match precedes */
      size_t next = cp_next(s, i);
      memcpy(p + w, s.p + i, next - i);
      w += next - i;
      i = next;
    }
  }
  memcpy(p + w, s.p + i, s.n - i);
  w += s.n - i;
  return text_value(V_STRING, p, w);
}

/* s.split(sep[, limit]): the pieces of s between occurrences of sep, at
 * most limit of them (the last holding the rest; every piece when limit
 * is negative; none when 0), as Go's strings.SplitN.  An empty sep splits
 * s into its code points. */
static value split(ev *e, const cnode *n, str s, str sep, int64_t limit) {
  /* How many pieces: the separators found, plus one, up to the limit. */
  uint64_t count = 0;
  if (sep.n == 0) {
    count = (uint64_t)cp_count(s);
  } else {
    count = 1;
    for (size_t i = find(s, sep, 0); i < s.n && (limit < 0 || count < (uint64_t)limit); i = find(s, sep, i + sep.n))
      count++;
  }
  if (limit >= 0 && count > (uint64_t)limit) count = (uint64_t)limit;
  if (count > UINT32_MAX) return fail(e, n, "list too long");
  if (!ev_spend(e, n, count / 8)) return (value){0};
  vlist *l = ev_alloc(e, n, sizeof(vlist) + (size_t)count * sizeof(value));
  /* Every piece NUL-terminated, in one block. */
  char *text = l ? new_text(e, n, s.n + count) : NULL;
  if (!text) return (value){0};
  l->n = (uint32_t)count;
  size_t i = 0, w = 0;
  for (uint64_t k = 0; k < count; k++) {
    size_t end;
    if (k + 1 == count)
      end = s.n; /* the last piece holds the rest */
    else
      end = sep.n == 0 ? cp_next(s, i) : find(s, sep, i);
    memcpy(text + w, s.p + i, end - i);
    text[w + end - i] = '\0';
    l->items[k] = text_value(V_STRING, text + w, end - i);
    w += end - i + 1;
    i = end + sep.n;
  }
  return v_list(l);
}

/* s.substring(start[, end]): the code points from start up to (not
 * including) end, which defaults to the end of s. */
static value substring(ev *e, const cnode *n, str s, int64_t start, int64_t end, bool has_end) {
  int64_t len = cp_count(s);
  if (!has_end) end = len;
  if (has_end && start > end) {
    ev_failf(e, n, "invalid substring range. start: %lld, end: %lld", (long long)start, (long long)end);
    return (value){0};
  }
  if (start < 0 || start > len || end > len) {
    ev_failf(e, n, "index out of range: %lld", (long long)(start < 0 || start > len ? start : end));
    return (value){0};
  }
  size_t from = cp_offset(s, start);
  size_t to = from + cp_offset((str){s.p + from, s.n - from}, end - start);
  return copy_text(e, n, V_STRING, s.p + from, to - from);
}

/* Unicode's White_Space, which trim() removes (Go's unicode.IsSpace). */
static bool is_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* s without leading and trailing white space. */
static value trim(ev *e, const cnode *n, str s) {
  size_t from = 0, to = s.n, len;
  while (from < to && is_space(cp_decode(s, from, &len))) from += len;
  while (to > from) {
    size_t at = to - 1;
    while (at > from && !cp_start(s.p, at)) at--;
    if (!is_space(cp_decode(s, at, &len)) || at + len != to) break;
    to = at;
  }
  return copy_text(e, n, V_STRING, s.p + from, to - from);
}

/* s with its code points in reverse order. */
static value reverse(ev *e, const cnode *n, str s) {
  char *p = new_text(e, n, s.n);
  if (!p) return (value){0};
  size_t w = s.n;
  for (size_t i = 0; i < s.n;) {
    size_t next = cp_next(s, i);
    w -= next - i;
    memcpy(p + w, s.p + i, next - i);
    i = next;
  }
  return text_value(V_STRING, p, s.n);
}

/* The strings of list l joined with sep between them. */
static value join(ev *e, const cnode *n, const vlist *l, str sep) {
  uint64_t len = 0;
  for (uint32_t i = 0; i < l->n; i++) {
    if (l->items[i].kind != V_STRING) {
      char tmp[128];
      ev_failf(e, n, "no such overload: join() of a list holding a %s", type_name_of(l->items[i], tmp, sizeof tmp));
      return (value){0};
    }
    len += l->items[i].n + (i ? sep.n : 0);
  }
  char *p = new_text(e, n, len);
  if (!p) return (value){0};
  size_t w = 0;
  for (uint32_t i = 0; i < l->n; i++) {
    if (i) {
      memcpy(p + w, sep.p, sep.n);
      w += sep.n;
    }
    memcpy(p + w, l->items[i].s, l->items[i].n);
    w += l->items[i].n;
  }
  return text_value(V_STRING, p, w);
}

/* strings.quote(s): s in double quotes with CEL's escapes for \a \b \f \n
 * \r \t \v, backslash and the double quote; bytes of no valid UTF-8
 * sequence become U+FFFD. */
static value quote(ev *e, const cnode *n, str s) {
  buf b = {0};
  buf_putc(&b, '"');
  for (size_t i = 0, len; i < s.n; i += len) {
    uint32_t c = cp_decode(s, i, &len);
    switch (c) {
    case '\a': buf_puts(&b, "\\a"); break;
    case '\b': buf_puts(&b, "\\b"); break;
    case '\f': buf_puts(&b, "\\f"); break;
    case '\n': buf_puts(&b, "\\n"); break;
    case '\r': buf_puts(&b, "\\r"); break;
    case '\t': buf_puts(&b, "\\t"); break;
    case '\v': buf_puts(&b, "\\v"); break;
    case '\\': buf_puts(&b, "\\\\"); break;
    case '"': buf_puts(&b, "\\\""); break;
    default:
      if (c == 0xFFFD && len == 1)
        buf_puts(&b, "\xEF\xBF\xBD");
      else
        buf_append(&b, s.p + i, len);
    }
  }
  buf_putc(&b, '"');
  return buf_text(e, n, V_STRING, &b);
}

/* ---- string.format ---- */

/* d (finite) as Go's strconv.FormatFloat(d, 'f', -1, 64) prints it: the
 * fewest significant digits that read back as d, in fixed notation
 * (1e+20 is "100000000000000000000", 1.5e-07 "0.00000015"). */
static void put_shortest_fixed(buf *b, double d) {
  char tmp[40];
  int prec = 1;
  for (; prec < 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
    if (strtod(tmp, NULL) == d) break;
  }
  snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
  const char *p = tmp;
  if (*p == '-') buf_putc(b, *p++);
  char digits[24];
  int nd = 0;
  for (; *p && *p != 'e'; p++)
    if (*p != '.' && nd < (int)sizeof digits) digits[nd++] = *p;
  int point = (*p == 'e' ? atoi(p + 1) : 0) + 1; /* digits before the decimal point */
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  if (nd == 1 && digits[0] == '0') {
    buf_putc(b, '0');
  } else if (point <= 0) {
    buf_puts(b, "0.");
    for (int i = point; i < 0; i++) buf_putc(b, '0');
    buf_append(b, digits, (size_t)nd);
  } else if (point >= nd) {
    buf_append(b, digits, (size_t)nd);
    for (int i = nd; i < point; i++) buf_putc(b, '0');
  } else {
    buf_append(b, digits, (size_t)point);
    buf_putc(b, '.');
    buf_append(b, digits + point, (size_t)(nd - point));
  }
}

/* NaN and the infinities as format prints them; false for other doubles. */
static bool put_special_double(buf *b, double d) {
  if (isnan(d))
    buf_puts(b, "NaN");
  else if (isinf(d))
    buf_puts(b, d < 0 ? "-Infinity" : "Infinity");
  else
    return false;
  return true;
}

/* u in base 2, 8 or 16 (upper-case digits when upper), after a '-' when
 * negative (Go's strconv.FormatInt, not two's complement). */
static void put_radix(buf *b, uint64_t u, bool negative, unsigned base, bool upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[65];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = digits[u % base];
    u /= base;
  } while (u);
  if (negative) buf_putc(b, '-');
  buf_append(b, tmp + i, sizeof tmp - i);
}

/* The magnitude of an int, INT64_MIN included. */
static uint64_t magnitude(int64_t i) { return i < 0 ? (uint64_t)(-(i + 1)) + 1 : (uint64_t)i; }

/* A formatted map entry, sorted by key (then by position, for a stable
 * order). */
typedef struct format_entry {
  buf key, val;
  uint32_t index;
} format_entry;

static int cmp_entries(const void *x, const void *y) {
  const format_entry *a = x, *b = y;
  size_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
  int c = n ? memcmp(a->key.data, b->key.data, n) : 0;
  if (c == 0) c = (a->key.len > b->key.len) - (a->key.len < b->key.len);
  return c ? c : (a->index > b->index) - (a->index < b->index);
}

static bool put_string_clause(buf *b, value v, value *bad);

/* A map for %s: "{k: v, ...}", entries sorted by their formatted keys.
 * false with *bad set when something in it cannot be formatted. */
static bool put_map(buf *b, const vmap *m, value *bad) {
  format_entry *es = m->n ? mem_calloc(m->n, sizeof *es) : NULL;
  if (m->n && !es) {
    b->oom = true;
    return true;
  }
  bool ok = true;
  for (uint32_t i = 0; i < m->n && ok; i++) {
    es[i].index = i;
    ok = put_string_clause(&es[i].key, m->keys[i], bad) && put_string_clause(&es[i].val, m->vals[i], bad);
    if (es[i].key.oom || es[i].val.oom) b->oom = true;
  }
  if (ok && !b->oom) {
    if (m->n) qsort(es, m->n, sizeof *es, cmp_entries);
    buf_putc(b, '{');
    for (uint32_t i = 0; i < m->n; i++) {
      if (i) buf_puts(b, ", ");
      buf_append(b, es[i].key.data ? es[i].key.data : "", es[i].key.len);
      buf_puts(b, ": ");
      buf_append(b, es[i].val.data ? es[i].val.data : "", es[i].val.len);
    }
    buf_putc(b, '}');
  }
  for (uint32_t i = 0; i < m->n; i++) {
    buf_release(&es[i].key);
    buf_release(&es[i].val);
  }
  mem_free(es);
  return ok;
}

/* v as %s prints it: strings and bytes as they are, numbers in decimal
 * (doubles in fixed notation), timestamps and durations as string()
 * makes them, types by name, lists and maps element by element.  false
 * with *bad set to what cannot be formatted (a record); memory failures
 * are left in b->oom. */
static bool put_string_clause(buf *b, value v, value *bad) {
  char tmp[RTIME_FORMAT_MAX > 128 ? RTIME_FORMAT_MAX : 128];
  switch (v.kind) {
  case V_NULL: buf_puts(b, "null"); return true;
  case V_BOOL: buf_puts(b, v.b ? "true" : "false"); return true;
  case V_INT: buf_printf(b, "%lld", (long long)v.i); return true;
  case V_UINT: buf_printf(b, "%llu", (unsigned long long)v.u); return true;
  case V_DOUBLE:
    if (!put_special_double(b, v.d)) put_shortest_fixed(b, v.d);
    return true;
  case V_STRING:
  case V_BYTES: buf_append(b, v.s, v.n); return true;
  case V_TIMESTAMP:
    rtime_format_timestamp((rtime_ts){v.i, (int32_t)v.n}, tmp, sizeof tmp);
    buf_puts(b, tmp);
    return true;
  case V_DURATION:
    rtime_format_duration((rtime_dur){v.i / 1000000000, (int32_t)(v.i % 1000000000)}, tmp, sizeof tmp);
    buf_puts(b, tmp);
    return true;
  case V_TYPE: buf_puts(b, value_type_name(v.t, true, tmp, sizeof tmp)); return true;
  case V_LIST:
    buf_putc(b, '[');
    for (uint32_t i = 0; i < v.l->n; i++) {
      if (i) buf_puts(b, ", ");
      if (!put_string_clause(b, v.l->items[i], bad)) return false;
    }
    buf_putc(b, ']');
    return true;
  case V_MAP: return put_map(b, v.m, bad);
  default: *bad = v; return false;
  }
}

/* Format one clause (its letter c, its precision) of argument v into b;
 * NULL, or the reason v does not fit it (a static message). */
static const char *format_clause(buf *b, char c, int precision, value v, value *bad) {
  *bad = v;
  switch (c) {
  case 's':
    return put_string_clause(b, v, bad)
               ? NULL
               : "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, "
                 "durations, and timestamps";
  case 'd':
    if (v.kind == V_INT)
      buf_printf(b, "%lld", (long long)v.i);
    else if (v.kind == V_UINT)
      buf_printf(b, "%llu", (unsigned long long)v.u);
    else if (v.kind == V_DOUBLE) {
      if (!put_special_double(b, v.d)) put_shortest_fixed(b, v.d);
    } else
      return "decimal clause can only be used on ints, uints, and doubles";
    return NULL;
  case 'f':
  case 'e': {
    double d;
    if (v.kind == V_INT)
      d = (double)v.i;
    else if (v.kind == V_UINT)
      d = (double)v.u;
    else if (v.kind == V_DOUBLE)
      d = v.d;
    else
      return c == 'f' ? "fixed-point clause can only be used on ints, uints, and doubles"
                      : "scientific clause can only be used on ints, uints, and doubles";
    if (!put_special_double(b, d)) buf_printf(b, c == 'f' ? "%.*f" : "%.*e", precision, d);
    return NULL;
  }
  case 'b':
    if (v.kind == V_INT)
      put_radix(b, magnitude(v.i), v.i < 0, 2, false);
    else if (v.kind == V_UINT)
      put_radix(b, v.u, false, 2, false);
    else if (v.kind == V_BOOL)
      buf_putc(b, v.b ? '1' : '0');
    else
      return "only ints, uints, and bools can be formatted as binary";
    return NULL;
  case 'o':
    if (v.kind == V_INT)
      put_radix(b, magnitude(v.i), v.i < 0, 8, false);
    else if (v.kind == V_UINT)
      put_radix(b, v.u, false, 8, false);
    else
      return "octal clause can only be used on ints and uints";
    return NULL;
  case 'x':
  case 'X': {
    bool upper = c == 'X';
    if (v.kind == V_INT) {
      put_radix(b, magnitude(v.i), v.i < 0, 16, upper);
    } else if (v.kind == V_UINT) {
      put_radix(b, v.u, false, 16, upper);
    } else if (v.kind == V_STRING || v.kind == V_BYTES) {
      const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
      for (uint32_t i = 0; i < v.n; i++) {
        unsigned char ch = (unsigned char)v.s[i];
        char two[2] = {digits[ch >> 4], digits[ch & 15]};
        buf_append(b, two, 2);
      }
    } else {
      return "only ints, uints, bytes, and strings can be formatted as hex";
    }
    return NULL;
  }
  default: return NULL; /* the caller checked the letter */
  }
}

/* The largest precision a clause may ask for. */
#define FORMAT_MAX_PRECISION 100

/* f.format(args): f with each clause (%s %d %f %e %b %o %x %X, %f and %e
 * with an optional precision such as %.3f; %% for a percent sign)
 * replaced by the next argument formatted by it. */
static value format(ev *e, const cnode *n, str f, const vlist *args) {
  buf b = {0};
  uint32_t next = 0;
  char tmp[128];
  for (size_t i = 0; i < f.n;) {
    if (f.p[i] != '%') {
      size_t j = i;
      while (j < f.n && f.p[j] != '%') j++;
      buf_append(&b, f.p + i, j - i);
      i = j;
      continue;
    }
    if (i + 1 < f.n && f.p[i + 1] == '%') {
      buf_putc(&b, '%');
      i += 2;
      continue;
    }
    if (next >= args->n) {
      ev_failf(e, n, "index %u out of range", next);
      goto failed;
    }
    if (i + 1 >= f.n) {
      ev_fail(e, n, "could not parse formatting clause: unexpected end of string");
      goto failed;
    }
    size_t k = i + 1;
    int precision = 6;
    if (f.p[k] == '.') {
      size_t digits = ++k;
      long p = 0;
      while (k < f.n && f.p[k] >= '0' && f.p[k] <= '9') {
        if (p <= FORMAT_MAX_PRECISION) p = p * 10 + (f.p[k] - '0');
        k++;
      }
      if (k >= f.n || k == digits) {
        ev_fail(e, n,
                k >= f.n ? "could not parse formatting clause: could not find end of precision specifier"
                         : "could not parse formatting clause: missing precision after '.'");
        goto failed;
      }
      if (p > FORMAT_MAX_PRECISION) {
        ev_failf(e, n, "could not parse formatting clause: precision exceeds the maximum of %d",
                 FORMAT_MAX_PRECISION);
        goto failed;
      }
      precision = (int)p;
    }
    char c = f.p[k];
    if (!strchr("sdfebxXo", c) || c == '\0') {
      size_t end = cp_next(f, k);
      ev_failf(e, n, "could not parse formatting clause: unrecognized formatting clause \"%.*s\"", (int)(end - k),
               f.p + k);
      goto failed;
    }
    value bad;
    const char *why = format_clause(&b, c, precision, args->items[next], &bad);
    if (why) {
      ev_failf(e, n, "error during formatting: %s, was given %s", why, type_name_of(bad, tmp, sizeof tmp));
      goto failed;
    }
    next++;
    i = k + 1;
  }
  return buf_text(e, n, V_STRING, &b);
failed:
  if (b.oom) {
    buf_release(&b);
    return fail_oom(e, n);
  }
  buf_release(&b);
  return (value){0};
}

/* ---- math ---- */

/* The greatest (or least) of a number, or of a non-empty list of numbers
 * compared by value across int, uint and double; among equal ones the
 * first. */
static value extremum(ev *e, const cnode *n, value v, bool greatest) {
  if (v.kind != V_LIST) return v;
  const vlist *l = v.l;
  const char *fn = greatest ? "math.greatest" : "math.least";
  if (l->n == 0) {
    ev_failf(e, n, "%s() of an empty list", fn);
    return (value){0};
  }
  value best = l->items[0];
  for (uint32_t i = 0; i < l->n; i++) {
    value x = l->items[i];
    if (!value_is_number(x.kind)) return no_overload(e, n, fn, &x, 1);
    if (i == 0) continue;
    int c = value_compare(best, x);
    if (c == 2) {
      ev_failf(e, n, "%s(): NaN values cannot be ordered", fn);
      return (value){0};
    }
    if (greatest ? c < 0 : c > 0) best = x;
  }
  return best;
}

/* math.sign of a double: -1.0, 0.0, 1.0, or NaN. */
static double sign_double(double d) { return isnan(d) ? d : d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0; }

/* A shift count: the error when negative (name is the function). */
static bool shift_ok(ev *e, const cnode *n, const char *name, int64_t bits) {
  if (bits >= 0) return true;
  ev_failf(e, n, "%s() negative offset: %lld", name, (long long)bits);
  return false;
}

/* ---- encoders ---- */

/* base64.decode(s): the bytes s encodes (padded or not). */
static value base64_decode(ev *e, const cnode *n, str s) {
  unsigned char *out = ev_alloc(e, n, s.n / 4 * 3 + 4);
  if (!out) return (value){0};
  size_t len;
  if (!value_base64_decode(s.p, s.n, out, &len)) return fail(e, n, "base64.decode: invalid base64 data");
  out[len] = '\0';
  return text_value(V_BYTES, (const char *)out, len);
}

/* ---- dispatch ---- */

value ext_overload(ev *e, const cnode *n, uint16_t id, const value *a, uint32_t nargs, bool *handled) {
  if (id >= OV_NET_IS_IP && id <= OV_NET_STRING_FROM_CIDR) {
    *handled = true;
    return ext_net_overload(e, n, id, a, nargs);
  }
  *handled = id >= OV_STRING_CHAR_AT && id <= OV_BASE64_DECODE;
  if (!*handled) return (value){0};
  const overload *o = check_overload(id);
  bool ok = o && o->nparams == nargs;
  for (uint32_t i = 0; ok && i < nargs; i++) ok = eval_fits(o->params[i], a[i]);
  if (!ok) return no_overload(e, n, o ? o->function : "?", a, nargs);
  switch ((overload_id)id) {
  case OV_STRING_CHAR_AT: return char_at(e, n, as_str(a[0]), a[1].i);
  case OV_STRING_INDEX_OF: return index_of(e, n, as_str(a[0]), as_str(a[1]), 0, false);
  case OV_STRING_INDEX_OF_OFFSET: return index_of(e, n, as_str(a[0]), as_str(a[1]), a[2].i, true);
  case OV_STRING_LAST_INDEX_OF: return last_index_of(e, n, as_str(a[0]), as_str(a[1]), 0, false);
  case OV_STRING_LAST_INDEX_OF_OFFSET: return last_index_of(e, n, as_str(a[0]), as_str(a[1]), a[2].i, true);
  case OV_STRING_LOWER_ASCII: return ascii_case(e, n, as_str(a[0]), false);
  case OV_STRING_UPPER_ASCII: return ascii_case(e, n, as_str(a[0]), true);
  case OV_STRING_REPLACE: return replace(e, n, a[0], as_str(a[1]), as_str(a[2]), -1);
  case OV_STRING_REPLACE_N: return replace(e, n, a[0], as_str(a[1]), as_str(a[2]), a[3].i);
  case OV_STRING_SPLIT: return split(e, n, as_str(a[0]), as_str(a[1]), -1);
  case OV_STRING_SPLIT_N: return split(e, n, as_str(a[0]), as_str(a[1]), a[2].i);
  case OV_STRING_SUBSTRING: return substring(e, n, as_str(a[0]), a[1].i, 0, false);
  case OV_STRING_SUBSTRING_RANGE: return substring(e, n, as_str(a[0]), a[1].i, a[2].i, true);
  case OV_STRING_TRIM: return trim(e, n, as_str(a[0]));
  case OV_STRING_REVERSE: return reverse(e, n, as_str(a[0]));
  case OV_LIST_JOIN: return join(e, n, a[0].l, (str){"", 0});
  case OV_LIST_JOIN_SEPARATOR: return join(e, n, a[0].l, as_str(a[1]));
  case OV_STRING_FORMAT: return format(e, n, as_str(a[0]), a[1].l);
  case OV_STRINGS_QUOTE: return quote(e, n, as_str(a[0]));

  case OV_MATH_GREATEST_INT:
  case OV_MATH_GREATEST_UINT:
  case OV_MATH_GREATEST_DOUBLE:
  case OV_MATH_GREATEST_LIST_INT:
  case OV_MATH_GREATEST_LIST_UINT:
  case OV_MATH_GREATEST_LIST_DOUBLE: return extremum(e, n, a[0], true);
  case OV_MATH_LEAST_INT:
  case OV_MATH_LEAST_UINT:
  case OV_MATH_LEAST_DOUBLE:
  case OV_MATH_LEAST_LIST_INT:
  case OV_MATH_LEAST_LIST_UINT:
  case OV_MATH_LEAST_LIST_DOUBLE: return extremum(e, n, a[0], false);
  case OV_MATH_CEIL: return v_double(ceil(a[0].d));
  case OV_MATH_FLOOR: return v_double(floor(a[0].d));
  case OV_MATH_ROUND: return v_double(round(a[0].d)); /* halves away from zero */
  case OV_MATH_TRUNC: return v_double(trunc(a[0].d));
  case OV_MATH_IS_INF: return v_bool(isinf(a[0].d));
  case OV_MATH_IS_NAN: return v_bool(isnan(a[0].d));
  case OV_MATH_IS_FINITE: return v_bool(isfinite(a[0].d));
  case OV_MATH_ABS_INT:
    if (a[0].i == INT64_MIN) return fail(e, n, "integer overflow");
    return v_int(a[0].i < 0 ? -a[0].i : a[0].i);
  case OV_MATH_ABS_UINT: return a[0];
  case OV_MATH_ABS_DOUBLE: return v_double(fabs(a[0].d));
  case OV_MATH_SIGN_INT: return v_int((a[0].i > 0) - (a[0].i < 0));
  case OV_MATH_SIGN_UINT: return v_uint(a[0].u != 0);
  case OV_MATH_SIGN_DOUBLE: return v_double(sign_double(a[0].d));
  case OV_MATH_SQRT_INT: return v_double(sqrt((double)a[0].i));
  case OV_MATH_SQRT_UINT: return v_double(sqrt((double)a[0].u));
  case OV_MATH_SQRT_DOUBLE: return v_double(sqrt(a[0].d));
  case OV_MATH_BIT_AND_INT: return v_int(a[0].i & a[1].i);
  case OV_MATH_BIT_AND_UINT: return v_uint(a[0].u & a[1].u);
  case OV_MATH_BIT_OR_INT: return v_int(a[0].i | a[1].i);
  case OV_MATH_BIT_OR_UINT: return v_uint(a[0].u | a[1].u);
  case OV_MATH_BIT_XOR_INT: return v_int(a[0].i ^ a[1].i);
  case OV_MATH_BIT_XOR_UINT: return v_uint(a[0].u ^ a[1].u);
  case OV_MATH_BIT_NOT_INT: return v_int(~a[0].i);
  case OV_MATH_BIT_NOT_UINT: return v_uint(~a[0].u);
  case OV_MATH_BIT_SHIFT_LEFT_INT:
  case OV_MATH_BIT_SHIFT_LEFT_UINT:
  case OV_MATH_BIT_SHIFT_RIGHT_INT:
  case OV_MATH_BIT_SHIFT_RIGHT_UINT: {
    bool left = id == OV_MATH_BIT_SHIFT_LEFT_INT || id == OV_MATH_BIT_SHIFT_LEFT_UINT;
    if (!shift_ok(e, n, left ? "math.bitShiftLeft" : "math.bitShiftRight", a[1].i)) return (value){0};
    /* Shifts of 64 bits or more leave 0; right shifts fill with zeros. */
    uint64_t x = a[0].kind == V_INT ? (uint64_t)a[0].i : a[0].u;
    uint64_t r = a[1].i >= 64 ? 0 : left ? x << a[1].i : x >> a[1].i;
    return a[0].kind == V_INT ? v_int((int64_t)r) : v_uint(r);
  }

  case OV_BASE64_ENCODE: {
    buf b = {0};
    value_base64_encode(&b, (const unsigned char *)a[0].s, a[0].n);
    return buf_text(e, n, V_STRING, &b);
  }
  case OV_BASE64_DECODE: return base64_decode(e, n, as_str(a[0]));
  default: break;
  }
  *handled = false;
  return (value){0};
}
