/*
 * value.c: equality, ordering, maps, type names and rendering of run-time
 * values.
 */
#include "value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtime.h"

const type value_type_list_ = {.kind = TYPE_LIST};
const type value_type_map_ = {.kind = TYPE_MAP};
const type value_type_type_ = {.kind = TYPE_TYPE};

/* ---- numbers across kinds ---- */

/* -1, 0, 1 comparing an int with a uint. */
static int cmp_int_uint(int64_t i, uint64_t u) {
  if (i < 0) return -1;
  return (uint64_t)i < u ? -1 : (uint64_t)i > u;
}

/* Compare an int or a uint with a double as CEL does: the integer
 * converted to a double (so 9223372036854775807 equals 2^63); 2 when d is
 * NaN. */
static int cmp_double(double x, double d) {
  if (isnan(d)) return 2;
  return x < d ? -1 : x > d;
}
static int cmp_int_double(int64_t i, double d) { return cmp_double((double)i, d); }
static int cmp_uint_double(uint64_t u, double d) { return cmp_double((double)u, d); }

static int cmp3(int c) { return c < 0 ? -1 : c > 0; }

static int cmp_numbers(value a, value b) {
  switch (a.kind) {
  case V_INT:
    if (b.kind == V_INT) return a.i < b.i ? -1 : a.i > b.i;
    if (b.kind == V_UINT) return cmp_int_uint(a.i, b.u);
    return cmp_int_double(a.i, b.d);
  case V_UINT:
    if (b.kind == V_UINT) return a.u < b.u ? -1 : a.u > b.u;
    if (b.kind == V_INT) return -cmp_int_uint(b.i, a.u);
    return cmp_uint_double(a.u, b.d);
  default:
    if (b.kind == V_DOUBLE) {
      if (isnan(a.d) || isnan(b.d)) return 2;
      return a.d < b.d ? -1 : a.d > b.d;
    }
    if (b.kind == V_INT) {
      int c = cmp_int_double(b.i, a.d);
      return c == 2 ? 2 : -c;
    }
    int c = cmp_uint_double(b.u, a.d);
    return c == 2 ? 2 : -c;
  }
}

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  if (c) return cmp3(c);
  return an < bn ? -1 : an > bn;
}

int value_compare(value a, value b) {
  if (value_is_number(a.kind) && value_is_number(b.kind)) return cmp_numbers(a, b);
  if (a.kind != b.kind) return 2;
  switch (a.kind) {
  case V_BOOL: return (int)a.b - (int)b.b;
  case V_STRING:
  case V_BYTES: return cmp_bytes(a.s, a.n, b.s, b.n);
  case V_TIMESTAMP:
    if (a.i != b.i) return a.i < b.i ? -1 : 1;
    return a.n < b.n ? -1 : a.n > b.n;
  case V_DURATION: return a.i < b.i ? -1 : a.i > b.i;
  default: return 2;
  }
}

/* Whether two type values denote the same type. */
static bool type_value_equal(const type *a, const type *b) {
  if (a == b) return true;
  if (a->kind != b->kind) return false;
  if (a->kind == TYPE_RECORD || a->kind == TYPE_OPAQUE) return strcmp(a->name, b->name) == 0;
  return true; /* list, map, type: as type values they carry no parameters */
}

bool value_equal(value a, value b) {
  if (a.kind != b.kind) {
    if (value_is_number(a.kind) && value_is_number(b.kind)) return cmp_numbers(a, b) == 0;
    return false;
  }
  switch (a.kind) {
  case V_NULL: return true;
  case V_BOOL: return a.b == b.b;
  case V_INT:
  case V_DURATION: return a.i == b.i;
  case V_UINT: return a.u == b.u;
  case V_DOUBLE: return a.d == b.d;
  case V_STRING:
  case V_BYTES: return a.n == b.n && memcmp(a.s, b.s, a.n) == 0;
  case V_TIMESTAMP: return a.i == b.i && a.n == b.n;
  case V_TYPE: return type_value_equal(a.t, b.t);
  case V_OPAQUE: return a.o->ops == b.o->ops && a.o->ops->equal(a.o, b.o);
  case V_LIST:
    if (a.l->n != b.l->n) return false;
    for (uint32_t i = 0; i < a.l->n; i++)
      if (!value_equal(a.l->items[i], b.l->items[i])) return false;
    return true;
  case V_MAP:
    if (a.m->n != b.m->n) return false;
    for (uint32_t i = 0; i < a.m->n; i++) {
      const value *v = value_map_get(b.m, a.m->keys[i]);
      if (!v || !value_equal(a.m->vals[i], *v)) return false;
    }
    return true;
  case V_RECORD:
    if (!type_value_equal(a.r->type, b.r->type)) return false;
    for (uint32_t i = 0; i < a.r->type->nfields; i++) {
      value x = a.r->fields[i], y = b.r->fields[i];
      if (x.kind == V_ABSENT || y.kind == V_ABSENT) {
        if (x.kind != y.kind) return false;
      } else if (!value_equal(x, y)) {
        return false;
      }
    }
    return true;
  default: return false;
  }
}

/* ---- types of values ---- */

const type *value_type_of(value v) {
  switch (v.kind) {
  case V_NULL: return T_NULL;
  case V_BOOL: return T_BOOL;
  case V_INT: return T_INT;
  case V_UINT: return T_UINT;
  case V_DOUBLE: return T_DOUBLE;
  case V_STRING: return T_STRING;
  case V_BYTES: return T_BYTES;
  case V_TIMESTAMP: return T_TIMESTAMP;
  case V_DURATION: return T_DURATION;
  case V_LIST: return &value_type_list_;
  case V_MAP: return &value_type_map_;
  case V_RECORD: return v.r->type;
  case V_OPAQUE: return v.o->ops->type;
  default: return &value_type_type_;
  }
}

const char *value_type_name(const type *t, bool cel_names, char *tmp, size_t n) {
  switch (t->kind) {
  case TYPE_LIST: return "list";
  case TYPE_MAP: return "map";
  case TYPE_TYPE: return "type";
  case TYPE_RECORD:
  case TYPE_OPAQUE: return t->name;
  case TYPE_TIMESTAMP: return cel_names ? "google.protobuf.Timestamp" : "timestamp";
  case TYPE_DURATION: return cel_names ? "google.protobuf.Duration" : "duration";
  default: return type_spell(tmp, n, t);
  }
}

/* ---- maps ---- */

bool value_is_key(value v) {
  return v.kind == V_INT || v.kind == V_UINT || v.kind == V_BOOL || v.kind == V_STRING;
}

static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= UINT64_C(0xff51afd7ed558ccd);
  h ^= h >> 33;
  return h;
}

/* A hash consistent with value_equal on keys: equal numbers hash alike
 * whatever their kind. */
static uint64_t key_hash(value k) {
  switch (k.kind) {
  case V_INT: return mix((uint64_t)k.i);
  case V_UINT: return mix(k.u);
  case V_DOUBLE: {
    if (k.d >= -9223372036854775808.0 && k.d < 9223372036854775808.0 && k.d == trunc(k.d))
      return mix((uint64_t)(int64_t)k.d);
    if (k.d >= 0 && k.d < 18446744073709551616.0 && k.d == trunc(k.d)) return mix((uint64_t)k.d);
    return mix(0x9e3779b97f4a7c15u);
  }
  case V_BOOL: return mix(k.b ? 0x51 : 0x50);
  case V_STRING: {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint32_t i = 0; i < k.n; i++) h = (h ^ (unsigned char)k.s[i]) * UINT64_C(0x100000001b3);
    return mix(h);
  }
  default: return 0;
  }
}

#define MAP_INDEX_MIN 9 /* maps this large get a hash index */

const value *value_map_get(const vmap *m, value key) {
  if (m->mask) {
    for (uint64_t h = key_hash(key);; h++) {
      uint32_t e = m->index[h & m->mask];
      if (!e) return NULL;
      if (value_equal(m->keys[e - 1], key)) return &m->vals[e - 1];
    }
  }
  for (uint32_t i = 0; i < m->n; i++)
    if (value_equal(m->keys[i], key)) return &m->vals[i];
  return NULL;
}

typedef void *(*alloc_fn)(void *ctx, size_t n);

static vmap *map_build(alloc_fn alloc, void *ctx, value *keys, value *vals, uint32_t n, int64_t *dup) {
  *dup = -1;
  vmap *m = alloc(ctx, sizeof *m);
  if (!m) return NULL;
  *m = (vmap){.n = n, .keys = keys, .vals = vals};
  if (n < MAP_INDEX_MIN) {
    for (uint32_t i = 1; i < n; i++)
      for (uint32_t j = 0; j < i; j++)
        if (value_equal(keys[i], keys[j])) {
          *dup = i;
          return NULL;
        }
    return m;
  }
  uint32_t size = 16;
  while (size < 2 * (uint64_t)n) size *= 2;
  uint32_t *index = alloc(ctx, size * sizeof *index);
  if (!index) return NULL;
  memset(index, 0, size * sizeof *index);
  m->mask = size - 1;
  m->index = index;
  for (uint32_t i = 0; i < n; i++) {
    for (uint64_t h = key_hash(keys[i]);; h++) {
      uint32_t *slot = &index[h & m->mask];
      if (!*slot) {
        *slot = i + 1;
        break;
      }
      if (value_equal(keys[*slot - 1], keys[i])) {
        *dup = i;
        return NULL;
      }
    }
  }
  return m;
}

static void *pool_alloc_fn(void *ctx, size_t n) { return pool_alloc(ctx, n); }
static void *arena_alloc_fn(void *ctx, size_t n) { return arena_alloc(ctx, n); }

vmap *value_map_build(pool *p, value *keys, value *vals, uint32_t n, int64_t *dup) {
  return map_build(pool_alloc_fn, p, keys, vals, n, dup);
}

vmap *value_map_build_arena(arena *a, value *keys, value *vals, uint32_t n, int64_t *dup) {
  return map_build(arena_alloc_fn, a, keys, vals, n, dup);
}

/* ---- text ---- */

size_t value_utf8_length(const char *s, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xC0) != 0x80;
  return count;
}

void value_format_double(buf *b, double d) {
  if (isnan(d)) {
    buf_puts(b, "NaN");
    return;
  }
  if (isinf(d)) {
    buf_puts(b, d < 0 ? "-Infinity" : "Infinity");
    return;
  }
  /* The fewest significant digits that read back as d, printed in
   * fixed notation for moderate exponents (as JavaScript and Go's %v
   * do), else in exponent notation. */
  char tmp[64];
  int prec = 1;
  for (; prec < 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
    if (strtod(tmp, NULL) == d) break;
  }
  snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
  int exp10 = atoi(strchr(tmp, 'e') + 1);
  if (exp10 >= -7 && exp10 < 21) {
    int decimals = prec - 1 - exp10;
    snprintf(tmp, sizeof tmp, "%.*f", decimals > 0 ? decimals : 0, d);
  }
  buf_puts(b, tmp);
  /* Keep doubles recognisable as doubles: 1.0, not 1. */
  if (!strpbrk(tmp, ".eEn")) buf_puts(b, ".0");
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void value_base64_encode(buf *b, const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)s[i] << 16;
    if (i + 1 < n) v |= (uint32_t)s[i + 1] << 8;
    if (i + 2 < n) v |= s[i + 2];
    char out[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                   i + 2 < n ? b64[v & 63] : '='};
    buf_append(b, out, 4);
  }
}

bool value_base64_decode(const char *s, size_t len, unsigned char *out, size_t *n) {
  uint32_t acc = 0;
  int bits = 0;
  size_t k = 0, pad = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '=') {
      pad++;
      continue;
    }
    if (pad) return false;
    const char *at = c ? strchr(b64, c) : NULL;
    if (!at) {
      if (c == '-') at = b64 + 62; /* the URL-safe alphabet too */
      else if (c == '_') at = b64 + 63;
      else return false;
    }
    acc = (acc << 6) | (uint32_t)(at - b64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (unsigned char)(acc >> bits);
    }
  }
  if (pad > 2 || bits >= 6) return false;
  *n = k;
  return true;
}

static int b64_digit(char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

const char *value_base64_decode_strict(const char *s, size_t len, unsigned char *out, size_t *n, char *why,
                                       size_t why_size) {
  /* Which form: '+', '/' or '=' make it the standard one, which must be
   * padded; else it is read as the URL-safe one (a text of neither's
   * special characters is both). */
  bool url = !memchr(s, '+', len) && !memchr(s, '/', len) && !memchr(s, '=', len);
  size_t data = len;
  if (!url) {
    if (len % 4) {
      snprintf(why, why_size,
               "standard base64 (with '+', '/' or '=') of %zu characters: it must be padded with '=' to a multiple "
               "of 4",
               len);
      return why;
    }
    while (data > 0 && len - data < 2 && s[data - 1] == '=') data--;
  } else if (len % 4 == 1) {
    snprintf(why, why_size, "base64 of %zu character%s: one too many or too few (4k + 1 characters encode nothing)", len, len == 1 ? "" : "s");
    return why;
  }
  uint32_t acc = 0;
  int bits = 0;
  size_t k = 0;
  for (size_t i = 0; i < data; i++) {
    int d = b64_digit(s[i], url);
    if (d < 0) {
      if (s[i] == '=')
        snprintf(why, why_size, "'=' at character %zu: padding only ends standard base64", i + 1);
      else if (!url && (s[i] == '-' || s[i] == '_'))
        snprintf(why, why_size,
                 "'%c' at character %zu in standard base64 (URL-safe base64 has '-' and '_' for '+' and '/', and no "
                 "padding)",
                 s[i], i + 1);
      else if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f)
        snprintf(why, why_size, "'%c' at character %zu is not a base64 character", s[i], i + 1);
      else
        snprintf(why, why_size, "byte 0x%02x at character %zu is not a base64 character", (unsigned char)s[i], i + 1);
      return why;
    }
    acc = (acc << 6) | (uint32_t)d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (unsigned char)(acc >> bits);
    }
  }
  if (acc & ((1u << bits) - 1)) {
    snprintf(why, why_size, "the last base64 character leaves bits set that encode nothing (not canonical base64)");
    return why;
  }
  *n = k;
  return NULL;
}

static void render_text(buf *b, value v);

/* An opaque value's string form: as the call making it (text), or as a
 * JSON string. */
static void render_opaque(buf *b, const vopaque *o, bool text) {
  buf f = {0};
  o->ops->format(&f, o);
  if (f.oom) b->oom = true;
  if (text) {
    buf_puts(b, o->ops->maker);
    buf_putc(b, '(');
    buf_cel_string(b, f.data ? f.data : "", f.len, false);
    buf_putc(b, ')');
  } else {
    buf_json_string(b, f.data ? f.data : "", f.len);
  }
  buf_release(&f);
}

static void render_text_map(buf *b, const vmap *m) {
  buf_putc(b, '{');
  for (uint32_t i = 0; i < m->n; i++) {
    if (i) buf_puts(b, ", ");
    render_text(b, m->keys[i]);
    buf_puts(b, ": ");
    render_text(b, m->vals[i]);
  }
  buf_putc(b, '}');
}

static void render_text(buf *b, value v) {
  char tmp[RTIME_FORMAT_MAX + 64];
  switch (v.kind) {
  case V_NULL: buf_puts(b, "null"); break;
  case V_BOOL: buf_puts(b, v.b ? "true" : "false"); break;
  case V_INT: buf_printf(b, "%lld", (long long)v.i); break;
  case V_UINT: buf_printf(b, "%lluu", (unsigned long long)v.u); break;
  case V_DOUBLE:
    if (isnan(v.d) || isinf(v.d)) {
      buf_puts(b, "double(\"");
      value_format_double(b, v.d);
      buf_puts(b, "\")");
    } else {
      value_format_double(b, v.d);
    }
    break;
  case V_STRING: buf_cel_string(b, v.s, v.n, false); break;
  case V_BYTES: buf_cel_string(b, v.s, v.n, true); break;
  case V_TIMESTAMP:
    rtime_format_timestamp((rtime_ts){v.i, (int32_t)v.n}, tmp, sizeof tmp);
    buf_printf(b, "timestamp(\"%s\")", tmp);
    break;
  case V_DURATION:
    rtime_format_duration((rtime_dur){v.i / 1000000000, (int32_t)(v.i % 1000000000)}, tmp, sizeof tmp);
    buf_printf(b, "duration(\"%s\")", tmp);
    break;
  case V_LIST:
    buf_putc(b, '[');
    for (uint32_t i = 0; i < v.l->n; i++) {
      if (i) buf_puts(b, ", ");
      render_text(b, v.l->items[i]);
    }
    buf_putc(b, ']');
    break;
  case V_MAP: render_text_map(b, v.m); break;
  case V_RECORD: {
    buf_puts(b, v.r->type->name);
    buf_putc(b, '{');
    bool first = true;
    for (uint32_t i = 0; i < v.r->type->nfields; i++) {
      const record_field *f = NULL;
      for (uint32_t k = 0; k < v.r->type->nfields; k++)
        if (v.r->type->fields[k].index == i) f = &v.r->type->fields[k];
      if (!f || v.r->fields[i].kind == V_ABSENT) continue;
      if (!first) buf_puts(b, ", ");
      first = false;
      buf_printf(b, "%s: ", f->name);
      render_text(b, v.r->fields[i]);
    }
    buf_putc(b, '}');
    break;
  }
  case V_TYPE: buf_puts(b, value_type_name(v.t, false, tmp, sizeof tmp)); break;
  case V_OPAQUE: render_opaque(b, v.o, true); break;
  case V_ERROR: buf_printf(b, "error: %s", v.s); break;
  default: buf_puts(b, "<absent>"); break;
  }
}

static void render_json(buf *b, value v, bool typed);

/* A map key as a JSON object key (plain JSON). */
static void json_key(buf *b, value k) {
  if (k.kind == V_STRING) {
    buf_json_string(b, k.s, k.n);
    return;
  }
  buf t = {0};
  render_text(&t, k);
  if (t.oom) b->oom = true;
  if (t.data) buf_json_string(b, t.data, t.len);
  buf_release(&t);
}

static void json_record_fields(buf *b, const vrecord *r, bool typed) {
  buf_putc(b, '{');
  bool first = true;
  for (uint32_t i = 0; i < r->type->nfields; i++) {
    const record_field *f = &r->type->fields[i]; /* sorted by name */
    value fv = r->fields[f->index];
    if (fv.kind == V_ABSENT) continue;
    if (!first) buf_putc(b, ',');
    first = false;
    buf_json_string(b, f->name, strlen(f->name));
    buf_putc(b, ':');
    render_json(b, fv, typed);
  }
  buf_putc(b, '}');
}

static void render_json(buf *b, value v, bool typed) {
  char tmp[RTIME_FORMAT_MAX + 64];
  const char *tag = NULL;
  switch (v.kind) {
  case V_NULL: tag = "null"; break;
  case V_BOOL: tag = "bool"; break;
  case V_INT: tag = "int"; break;
  case V_UINT: tag = "uint"; break;
  case V_DOUBLE: tag = "double"; break;
  case V_STRING: tag = "string"; break;
  case V_BYTES: tag = "bytes"; break;
  case V_TIMESTAMP: tag = "timestamp"; break;
  case V_DURATION: tag = "duration"; break;
  case V_LIST: tag = "list"; break;
  case V_MAP: tag = "map"; break;
  case V_RECORD: tag = "record"; break;
  case V_TYPE: tag = "type"; break;
  case V_OPAQUE: tag = v.o->ops->type->name; break;
  default: tag = "error"; break;
  }
  if (typed) buf_printf(b, "{\"%s\":", tag);
  switch (v.kind) {
  case V_NULL: buf_puts(b, "null"); break;
  case V_BOOL: buf_puts(b, v.b ? "true" : "false"); break;
  case V_INT: buf_printf(b, typed ? "\"%lld\"" : "%lld", (long long)v.i); break;
  case V_UINT: buf_printf(b, typed ? "\"%llu\"" : "%llu", (unsigned long long)v.u); break;
  case V_DOUBLE:
    if (isnan(v.d) || isinf(v.d)) {
      buf_putc(b, '"');
      value_format_double(b, v.d);
      buf_putc(b, '"');
    } else {
      value_format_double(b, v.d);
    }
    break;
  case V_STRING: buf_json_string(b, v.s, v.n); break;
  case V_BYTES:
    buf_putc(b, '"');
    value_base64_encode(b, (const unsigned char *)v.s, v.n);
    buf_putc(b, '"');
    break;
  case V_TIMESTAMP:
    rtime_format_timestamp((rtime_ts){v.i, (int32_t)v.n}, tmp, sizeof tmp);
    buf_printf(b, "\"%s\"", tmp);
    break;
  case V_DURATION:
    rtime_format_duration((rtime_dur){v.i / 1000000000, (int32_t)(v.i % 1000000000)}, tmp, sizeof tmp);
    buf_printf(b, "\"%s\"", tmp);
    break;
  case V_LIST:
    buf_putc(b, '[');
    for (uint32_t i = 0; i < v.l->n; i++) {
      if (i) buf_putc(b, ',');
      render_json(b, v.l->items[i], typed);
    }
    buf_putc(b, ']');
    break;
  case V_MAP:
    buf_putc(b, typed ? '[' : '{');
    for (uint32_t i = 0; i < v.m->n; i++) {
      if (i) buf_putc(b, ',');
      if (typed) {
        buf_putc(b, '[');
        render_json(b, v.m->keys[i], true);
        buf_putc(b, ',');
        render_json(b, v.m->vals[i], true);
        buf_putc(b, ']');
      } else {
        json_key(b, v.m->keys[i]);
        buf_putc(b, ':');
        render_json(b, v.m->vals[i], false);
      }
    }
    buf_putc(b, typed ? ']' : '}');
    break;
  case V_RECORD:
    if (typed) {
      buf_puts(b, "{\"type\":");
      buf_json_string(b, v.r->type->name, strlen(v.r->type->name));
      buf_puts(b, ",\"fields\":");
      json_record_fields(b, v.r, true);
      buf_putc(b, '}');
    } else {
      json_record_fields(b, v.r, false);
    }
    break;
  case V_TYPE: {
    const char *name = value_type_name(v.t, typed, tmp, sizeof tmp);
    buf_json_string(b, name, strlen(name));
    break;
  }
  case V_OPAQUE: render_opaque(b, v.o, false); break;
  default: buf_json_string(b, v.s ? v.s : "", v.s ? strlen(v.s) : 0); break;
  }
  if (typed) buf_putc(b, '}');
}

void value_render(buf *b, value v, rulecore_format format) {
  if (format == RULECORE_FORMAT_TEXT)
    render_text(b, v);
  else
    render_json(b, v, format == RULECORE_FORMAT_TYPED_JSON);
}
