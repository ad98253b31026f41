/*
 * type.h: rulecore's one type representation, used by the schema, the
 * checker, the compiler and (through names) the bindings.
 *
 * Primitive types are static singletons; composite types (list, map,
 * type(T), type parameters) are allocated in an arena by whoever builds
 * them (the schema for declarations, the checked expression for its
 * nodes) and compared structurally with type_equal.  Record types belong
 * to their schema.
 */
#ifndef RULECORE_TYPE_H
#define RULECORE_TYPE_H

#include "internal.h"
#include "mem.h"

/* ORDER TYPE_KIND: type.c's names follow this order. */
typedef enum type_kind {
  TYPE_ERROR, /* a type error already reported: assignable to anything */
  TYPE_DYN,
  TYPE_NULL,
  TYPE_BOOL,
  TYPE_INT,
  TYPE_UINT,
  TYPE_DOUBLE,
  TYPE_STRING,
  TYPE_BYTES,
  TYPE_TIMESTAMP,
  TYPE_DURATION,
  TYPE_LIST,   /* list(elem) */
  TYPE_MAP,    /* map(key, elem) */
  TYPE_RECORD, /* a schema record type */
  TYPE_TYPE,   /* type(elem): the type of a type value */
  TYPE_PARAM,  /* a type parameter (in overload signatures and inference) */
  TYPE_OPAQUE, /* a named built-in type whose values only its library's
                * functions look into (net.IP); compared by name */
  TYPE_KIND_COUNT
} type_kind;

typedef struct type type;

typedef struct record_field {
  const char *name;
  const type *type;
  uint32_t index; /* position in declaration order */
} record_field;

struct type {
  type_kind kind;
  const type *key;  /* map: key type */
  const type *elem; /* list: element; map: value; type(T): T */
  const char *name; /* record, param, opaque: its name */
  /* record: fields sorted by name (binary search); nfields of them */
  const record_field *fields;
  uint32_t nfields;
  uint32_t id; /* param: unique per checker instantiation */
};

extern const type type_error_, type_dyn_, type_null_, type_bool_, type_int_, type_uint_, type_double_,
    type_string_, type_bytes_, type_timestamp_, type_duration_;
#define T_ERROR (&type_error_)
#define T_DYN (&type_dyn_)
#define T_NULL (&type_null_)
#define T_BOOL (&type_bool_)
#define T_INT (&type_int_)
#define T_UINT (&type_uint_)
#define T_DOUBLE (&type_double_)
#define T_STRING (&type_string_)
#define T_BYTES (&type_bytes_)
#define T_TIMESTAMP (&type_timestamp_)
#define T_DURATION (&type_duration_)

/* The opaque types, static singletons named as CEL names them: the
 * network library's address and prefix. */
extern const type type_net_ip_, type_net_cidr_;
#define T_NET_IP (&type_net_ip_)
#define T_NET_CIDR (&type_net_cidr_)

/* Composite constructors, allocated in a (NULL when out of memory). */
INTERNAL const type *type_list(arena *a, const type *elem);
INTERNAL const type *type_map(arena *a, const type *key, const type *value);
INTERNAL const type *type_type(arena *a, const type *of);
INTERNAL const type *type_param(arena *a, const char *name, uint32_t id);

/* The primitive or opaque type named name ("int", "null_type", "net.IP",
 * ...; also CEL's protobuf names for timestamps and durations), or NULL. */
INTERNAL const type *type_primitive(const char *name);

INTERNAL bool type_equal(const type *a, const type *b);
/* A record's field by name, or NULL. */
INTERNAL const record_field *type_field(const type *record, const char *name);

/* Append CEL's spelling of t ("list(int)", "map(string, dyn)", a record's
 * name, "type(int)", "null_type"). */
INTERNAL void type_format(buf *b, const type *t);
/* The same into dst[0..n), cut to fit: for messages. */
INTERNAL const char *type_spell(char *dst, size_t n, const type *t);

#endif
