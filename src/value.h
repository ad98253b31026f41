/*
 * value.h: CEL values at run time.
 *
 * A value is 16 bytes: a kind, a 32-bit word (a string's or bytes' length,
 * a timestamp's nanoseconds) and an 8-byte payload, so closures pass and
 * return it in two registers.  Strings, bytes, lists, maps and records
 * point at memory owned by someone else: the program (constants), the
 * activation (the host's data) or the evaluation's pool (what an
 * evaluation builds); a value never owns what it points to.
 *
 * Equality is CEL's: numbers compare across int, uint and double by value,
 * other kinds of different kinds are unequal, lists and maps compare
 * element-wise.  Maps keep their entries in insertion order and index them
 * by hash once they are large.
 */
#ifndef RULECORE_VALUE_H
#define RULECORE_VALUE_H

#include "internal.h"
#include "mem.h"
#include "type.h"

/* ORDER VALUE_KIND: the same numbers as rulecore_kind. */
typedef enum value_kind {
  V_NULL = RULECORE_KIND_NULL,
  V_BOOL = RULECORE_KIND_BOOL,
  V_INT = RULECORE_KIND_INT,
  V_UINT = RULECORE_KIND_UINT,
  V_DOUBLE = RULECORE_KIND_DOUBLE,
  V_STRING = RULECORE_KIND_STRING,
  V_BYTES = RULECORE_KIND_BYTES,
  V_TIMESTAMP = RULECORE_KIND_TIMESTAMP, /* i: seconds since the epoch, n: nanos */
  V_DURATION = RULECORE_KIND_DURATION,   /* i: nanoseconds */
  V_LIST = RULECORE_KIND_LIST,
  V_MAP = RULECORE_KIND_MAP,
  V_RECORD = RULECORE_KIND_RECORD,
  V_TYPE = RULECORE_KIND_TYPE,
  V_ERROR = RULECORE_KIND_ERROR,   /* only in results: s is the message */
  V_OPAQUE = RULECORE_KIND_OPAQUE, /* o: a value of an opaque type */
  V_ABSENT                         /* an unset variable or record field */
} value_kind;

typedef struct vlist vlist;
typedef struct vmap vmap;
typedef struct vrecord vrecord;
typedef struct vopaque vopaque;

typedef struct value {
  uint8_t kind;
  uint32_t n; /* string/bytes: length; timestamp: nanos */
  union {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    const char *s;
    const vlist *l;
    const vmap *m;
    const vrecord *r;
    const vopaque *o;
    const type *t;
  };
} value;

struct vlist {
  uint32_t n;
  value items[];
};

struct vmap {
  uint32_t n;
  uint32_t mask;        /* index size - 1, or 0 without an index */
  const uint32_t *index; /* open addressing: entry + 1, 0 empty */
  value *keys, *vals;
};

struct vrecord {
  const type *type;
  value fields[]; /* by declaration index; V_ABSENT when unset */
};

/* What the values of one opaque type (a TYPE_OPAQUE singleton) share: the
 * library that defines the type supplies one static table. */
typedef struct opaque_ops {
  const type *type;
  const char *maker; /* the function making one of its string form ("ip"):
                      * the TEXT rendering is maker("string form") */
  size_t size;       /* of the whole object, which points at nothing: a
                      * copy of its bytes is an equal value */
  /* CEL's == of two values of this type. */
  bool (*equal)(const vopaque *a, const vopaque *b);
  /* Append the string form (what string(x) gives). */
  void (*format)(buf *b, const vopaque *o);
} opaque_ops;

/* An opaque value: immutable, its library's data following the header
 * (a struct whose first member is the vopaque). */
struct vopaque {
  const opaque_ops *ops;
};

/* A string or bytes view. */
typedef struct str {
  const char *p;
  size_t n;
} str;

static inline value v_null(void) { return (value){.kind = V_NULL}; }
static inline value v_bool(bool b) { return (value){.kind = V_BOOL, .b = b}; }
static inline value v_int(int64_t i) { return (value){.kind = V_INT, .i = i}; }
static inline value v_uint(uint64_t u) { return (value){.kind = V_UINT, .u = u}; }
static inline value v_double(double d) { return (value){.kind = V_DOUBLE, .d = d}; }
static inline value v_string(const char *s, uint32_t n) { return (value){.kind = V_STRING, .n = n, .s = s}; }
static inline value v_bytes(const char *s, uint32_t n) { return (value){.kind = V_BYTES, .n = n, .s = s}; }
static inline value v_list(const vlist *l) { return (value){.kind = V_LIST, .l = l}; }
static inline value v_map(const vmap *m) { return (value){.kind = V_MAP, .m = m}; }
static inline value v_type(const type *t) { return (value){.kind = V_TYPE, .t = t}; }
static inline value v_opaque(const vopaque *o) { return (value){.kind = V_OPAQUE, .o = o}; }
static inline value v_duration(int64_t ns) { return (value){.kind = V_DURATION, .i = ns}; }
static inline value v_timestamp(int64_t sec, int32_t nanos) {
  return (value){.kind = V_TIMESTAMP, .n = (uint32_t)nanos, .i = sec};
}

/* Largest string or bytes value (lengths are 32-bit). */
#define VALUE_MAX_LEN UINT32_MAX

/* The types of type values that have no parameters: `list` and `map` (as
 * type([1]) gives), and `type` itself. */
extern const type value_type_list_, value_type_map_, value_type_type_;

/* CEL's equality (==) of a and b: numbers across kinds by value (NaN is
 * unequal to everything), containers element-wise. */
INTERNAL bool value_equal(value a, value b);
/* Order of two values both numbers, or of the same orderable kind (bool,
 * string, bytes, timestamp, duration): -1, 0, 1; 2 when unordered (NaN,
 * or kinds with no order). */
INTERNAL int value_compare(value a, value b);
/* Whether kind k is a number (int, uint, double). */
static inline bool value_is_number(uint8_t k) { return k == V_INT || k == V_UINT || k == V_DOUBLE; }

/* The type of a value, for type(): primitives, `list`, `map`, the record's
 * type, an opaque value's type, `type`. */
INTERNAL const type *value_type_of(value v);
/* CEL's name of a type value ("int", "list", "google.protobuf.Timestamp"
 * when cel_names, else "timestamp"). */
INTERNAL const char *value_type_name(const type *t, bool cel_names, char *tmp, size_t n);

/* Map lookup: the value for key, or NULL.  Keys compare as ==. */
INTERNAL const value *value_map_get(const vmap *m, value key);
/* Build a map from n keys and values (arrays taken over, owned by whoever
 * owns the pool) in pool p, indexing it when large.  NULL when out of
 * memory; *dup set to the index of a repeated key (then NULL). */
INTERNAL vmap *value_map_build(pool *p, value *keys, value *vals, uint32_t n, int64_t *dup);
/* The same in an arena (program constants). */
INTERNAL vmap *value_map_build_arena(arena *a, value *keys, value *vals, uint32_t n, int64_t *dup);
/* Whether v may be a map key (int, uint, bool, string). */
INTERNAL bool value_is_key(value v);

/* Number of code points in UTF-8 s[0..n). */
INTERNAL size_t value_utf8_length(const char *s, size_t n);

/* Render v: TEXT as a CEL literal, JSON as plain JSON, TYPED_JSON tagged
 * (rulecore_json_style's TYPED).  An opaque value is its string form: in
 * TEXT as the call making it (ip("10.0.0.1")), in JSON a string, tagged
 * with its type's name in TYPED_JSON ({"net.IP": "10.0.0.1"}).  Appends
 * to b. */
INTERNAL void value_render(buf *b, value v, rulecore_format format);

/* Base64 (RFC 4648, padded).  Decode returns false on malformed input;
 * *n receives the length written to out (at least len * 3 / 4 bytes). */
INTERNAL void value_base64_encode(buf *b, const unsigned char *s, size_t n);
INTERNAL bool value_base64_decode(const char *s, size_t len, unsigned char *out, size_t *n);
/* The strict reading, for bytes in contexts (RFC 4648): the standard
 * alphabet ('+', '/') padded with '=' to a multiple of 4 characters, or
 * the URL-safe alphabet ('-', '_') without padding; never a mix; unused
 * bits zero.  NULL when s is that, else why not (a message naming the
 * offending character). */
INTERNAL const char *value_base64_decode_strict(const char *s, size_t len, unsigned char *out, size_t *n,
                                                char *why, size_t why_size);

/* Format a double as CEL and JSON print it: the shortest text that reads
 * back as the same double. */
INTERNAL void value_format_double(buf *b, double d);

#endif
