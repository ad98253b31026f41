/*
 * type.c: primitive singletons, composite constructors, equality, names.
 */
#include "type.h"

#include <stdio.h>
#include <string.h>

const type type_error_ = {.kind = TYPE_ERROR}, type_dyn_ = {.kind = TYPE_DYN}, type_null_ = {.kind = TYPE_NULL},
           type_bool_ = {.kind = TYPE_BOOL}, type_int_ = {.kind = TYPE_INT}, type_uint_ = {.kind = TYPE_UINT},
           type_double_ = {.kind = TYPE_DOUBLE}, type_string_ = {.kind = TYPE_STRING},
           type_bytes_ = {.kind = TYPE_BYTES}, type_timestamp_ = {.kind = TYPE_TIMESTAMP},
           type_duration_ = {.kind = TYPE_DURATION};
const type type_net_ip_ = {.kind = TYPE_OPAQUE, .name = "net.IP"},
           type_net_cidr_ = {.kind = TYPE_OPAQUE, .name = "net.CIDR"};

static const struct {
  const char *name;
  const type *t;
} primitives[] = {
    {"dyn", &type_dyn_},
    {"null_type", &type_null_},
    {"bool", &type_bool_},
    {"int", &type_int_},
    {"uint", &type_uint_},
    {"double", &type_double_},
    {"string", &type_string_},
    {"bytes", &type_bytes_},
    {"timestamp", &type_timestamp_},
    {"duration", &type_duration_},
    {"google.protobuf.Timestamp", &type_timestamp_},
    {"google.protobuf.Duration", &type_duration_},
    {"net.IP", &type_net_ip_},
    {"net.CIDR", &type_net_cidr_},
};

const type *type_primitive(const char *name) {
  for (size_t i = 0; i < ARRAY_LEN(primitives); i++)
    if (strcmp(primitives[i].name, name) == 0) return primitives[i].t;
  return NULL;
}

static const type *make(arena *a, type_kind kind, const type *key, const type *elem) {
  type *t = arena_alloc(a, sizeof *t);
  if (!t) return NULL;
  t->kind = kind;
  t->key = key;
  t->elem = elem;
  return t;
}

const type *type_list(arena *a, const type *elem) { return make(a, TYPE_LIST, NULL, elem); }
const type *type_map(arena *a, const type *key, const type *value) { return make(a, TYPE_MAP, key, value); }
const type *type_type(arena *a, const type *of) { return make(a, TYPE_TYPE, NULL, of); }

const type *type_param(arena *a, const char *name, uint32_t id) {
  type *t = arena_alloc(a, sizeof *t);
  if (!t) return NULL;
  t->kind = TYPE_PARAM;
  t->name = name;
  t->id = id;
  return t;
}

bool type_equal(const type *a, const type *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind) return false;
  switch (a->kind) {
  case TYPE_LIST:
  case TYPE_TYPE: return type_equal(a->elem, b->elem);
  case TYPE_MAP: return type_equal(a->key, b->key) && type_equal(a->elem, b->elem);
  case TYPE_RECORD:
  case TYPE_OPAQUE: return strcmp(a->name, b->name) == 0;
  case TYPE_PARAM: return a->id == b->id && strcmp(a->name, b->name) == 0;
  default: return true;
  }
}

const record_field *type_field(const type *record, const char *name) {
  uint32_t lo = 0, hi = record->nfields;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = strcmp(record->fields[mid].name, name);
    if (c == 0) return &record->fields[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void type_format(buf *b, const type *t) {
  if (!t) {
    buf_puts(b, "?");
    return;
  }
  switch (t->kind) {
  case TYPE_ERROR: buf_puts(b, "*error*"); break;
  case TYPE_DYN: buf_puts(b, "dyn"); break;
  case TYPE_NULL: buf_puts(b, "null_type"); break;
  case TYPE_BOOL: buf_puts(b, "bool"); break;
  case TYPE_INT: buf_puts(b, "int"); break;
  case TYPE_UINT: buf_puts(b, "uint"); break;
  case TYPE_DOUBLE: buf_puts(b, "double"); break;
  case TYPE_STRING: buf_puts(b, "string"); break;
  case TYPE_BYTES: buf_puts(b, "bytes"); break;
  case TYPE_TIMESTAMP: buf_puts(b, "timestamp"); break;
  case TYPE_DURATION: buf_puts(b, "duration"); break;
  case TYPE_LIST:
    buf_puts(b, "list(");
    type_format(b, t->elem);
    buf_putc(b, ')');
    break;
  case TYPE_MAP:
    buf_puts(b, "map(");
    type_format(b, t->key);
    buf_puts(b, ", ");
    type_format(b, t->elem);
    buf_putc(b, ')');
    break;
  case TYPE_TYPE:
    buf_puts(b, "type");
    if (t->elem) {
      buf_putc(b, '(');
      type_format(b, t->elem);
      buf_putc(b, ')');
    }
    break;
  case TYPE_RECORD:
  case TYPE_PARAM:
  case TYPE_OPAQUE: buf_puts(b, t->name); break;
  default: buf_puts(b, "?"); break;
  }
}

const char *type_spell(char *dst, size_t n, const type *t) {
  buf b = {0};
  type_format(&b, t);
  if (b.oom || !b.data) {
    snprintf(dst, n, "?");
  } else {
    snprintf(dst, n, "%s", b.data);
  }
  buf_release(&b);
  return dst;
}
