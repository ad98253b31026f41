/*
 * activation.c: the values an evaluation reads, filled by the host.
 *
 * An activation holds one value per schema variable (V_ABSENT until set).
 * Scalars are set through slots (a variable, or a field of a record-typed
 * variable, resolved once); lists, maps and records through a builder that
 * works like a streaming JSON writer: begin, the elements (each map or
 * record value after its key), end.  Every value is checked against its
 * declared type as it arrives.  Strings and built containers live in the
 * activation's pool, which a reset rewinds without freeing, so refilling
 * a context of the same size allocates nothing.
 */
#include <string.h>

#include "activation.h"
#include "literal.h"
#include "rtime.h"

#define MAX_DEPTH ACT_MAX_DEPTH

typedef enum frame_kind { FRAME_LIST, FRAME_MAP, FRAME_RECORD } frame_kind;

typedef struct frame {
  frame_kind kind;
  const type *t;   /* the declared type of the container (dyn: unchecked) */
  size_t base;     /* where its elements start in items */
  int32_t slot;    /* its destination, or RULECORE_NEXT */
  value key;       /* its key in the enclosing map or record */
  bool keyed;
} frame;

struct rulecore_activation {
  rulecore_schema *schema;
  uint32_t nvars;
  value *vars;
  value *saved;                 /* vars before a JSON fill, to undo it */
  uint32_t *named;              /* per variable: the JSON fill that named it */
  uint32_t fill;                /* the current JSON fill, counting */
  void *buffers[ACT_BUFFERS];   /* the JSON reader's, kept for the next fill */
  size_t buffer_caps[ACT_BUFFERS];
  const schema_var **by_index;  /* variables in declaration order */
  uint32_t *field_base;         /* slot of each record variable's field 0 */
  vrecord **records;            /* per record variable: its fields' storage */
  pool pool;
  frame stack[MAX_DEPTH];
  uint32_t depth;
  value *items; /* elements of open containers (maps: key, value pairs) */
  size_t nitems, cap;
  value key; /* the key given for the next value */
  bool has_key;
};

/* ---- slots ---- */

/* The variables of s in declaration order (an array of nvars the caller
 * frees), or NULL. */
static const schema_var **vars_by_index(const rulecore_schema *s) {
  const schema_var **v = mem_calloc(s->nvars ? s->nvars : 1, sizeof *v);
  if (v)
    for (uint32_t i = 0; i < s->nvars; i++) v[s->vars[i].index] = &s->vars[i];
  return v;
}

static uint32_t record_fields(const schema_var *v) { return v->type->kind == TYPE_RECORD ? v->type->nfields : 0; }

RULECORE_API int32_t rulecore_schema_slot(const rulecore_schema *s, const char *path) {
  if (!s || !path || !s->frozen || s->failed) return -1;
  const schema_var *v = schema_variable(s, path);
  if (v) return v->computed ? -1 : (int32_t)v->index;
  const char *dot = strrchr(path, '.');
  if (!dot) return -1;
  char name[256];
  size_t n = (size_t)(dot - path);
  if (n >= sizeof name) return -1;
  memcpy(name, path, n);
  name[n] = '\0';
  v = schema_variable(s, name);
  if (!v || v->computed || v->type->kind != TYPE_RECORD) return -1;
  const record_field *f = type_field(v->type, dot + 1);
  if (!f) return -1;
  const schema_var **order = vars_by_index(s);
  if (!order) return -1;
  uint64_t slot = s->nvars;
  for (uint32_t i = 0; i < v->index; i++) slot += record_fields(order[i]);
  mem_free(order);
  slot += f->index;
  return slot > INT32_MAX ? -1 : (int32_t)slot;
}

/* Decode slot: the variable, and the field (-1 for the variable itself).
 * false when it is no slot of this activation. */
static bool decode(const rulecore_activation *a, int32_t slot, uint32_t *var, int64_t *field) {
  if (slot < 0) return false;
  if ((uint32_t)slot < a->nvars) {
    *var = (uint32_t)slot;
    *field = -1;
    return true;
  }
  uint32_t lo = 0, hi = a->nvars;
  while (lo < hi) { /* the last record variable whose base <= slot */
    uint32_t mid = lo + (hi - lo) / 2;
    if (a->field_base[mid] <= (uint32_t)slot)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (uint32_t i = lo; i-- > 0;) {
    uint32_t nf = record_fields(a->by_index[i]);
    if (!nf) continue;
    if ((uint32_t)slot >= a->field_base[i] + nf) return false;
    *var = i;
    *field = (int64_t)((uint32_t)slot - a->field_base[i]);
    return true;
  }
  return false;
}

/* The field of record type t with declaration index i. */
static const record_field *field_at(const type *t, uint32_t i) {
  for (uint32_t k = 0; k < t->nfields; k++)
    if (t->fields[k].index == i) return &t->fields[k];
  return NULL;
}

/* ---- life ---- */

RULECORE_API rulecore_activation *rulecore_activation_new(rulecore_schema *schema) {
  if (schema && rulecore_schema_freeze(schema, NULL) != RULECORE_OK) return NULL;
  rulecore_activation *a = mem_calloc(1, sizeof *a);
  if (!a) return NULL;
  a->schema = schema_ref(schema);
  a->nvars = schema ? schema->nvars : 0;
  size_t n = a->nvars ? a->nvars : 1;
  a->vars = mem_calloc(n, sizeof(value));
  a->saved = mem_calloc(n, sizeof(value));
  a->named = mem_calloc(n, sizeof(uint32_t));
  a->field_base = mem_calloc(n, sizeof(uint32_t));
  a->records = mem_calloc(n, sizeof(vrecord *));
  a->by_index = schema ? vars_by_index(schema) : mem_calloc(1, sizeof *a->by_index);
  if (!a->vars || !a->saved || !a->named || !a->field_base || !a->records || !a->by_index) {
    rulecore_activation_free(a);
    return NULL;
  }
  uint32_t base = a->nvars;
  for (uint32_t i = 0; i < a->nvars; i++) {
    const schema_var *v = a->by_index[i];
    a->field_base[i] = base;
    base += record_fields(v);
    if (v->type->kind == TYPE_RECORD) {
      a->records[i] = mem_alloc(sizeof(vrecord) + (v->type->nfields ? v->type->nfields : 1) * sizeof(value));
      if (!a->records[i]) {
        rulecore_activation_free(a);
        return NULL;
      }
      a->records[i]->type = v->type;
    }
  }
  rulecore_activation_reset(a);
  return a;
}

RULECORE_API void rulecore_activation_reset(rulecore_activation *a) {
  if (!a) return;
  for (uint32_t i = 0; i < a->nvars; i++) a->vars[i] = (value){.kind = V_ABSENT};
  pool_reset(&a->pool);
  a->depth = 0;
  a->nitems = 0;
  a->has_key = false;
}

RULECORE_API void rulecore_activation_free(rulecore_activation *a) {
  if (!a) return;
  if (a->records)
    for (uint32_t i = 0; i < a->nvars; i++) mem_free(a->records[i]);
  mem_free(a->records);
  mem_free(a->vars);
  mem_free(a->saved);
  mem_free(a->named);
  for (int i = 0; i < ACT_BUFFERS; i++) mem_free(a->buffers[i]);
  mem_free(a->field_base);
  mem_free((void *)a->by_index);
  mem_free(a->items);
  pool_release(&a->pool);
  schema_unref(a->schema);
  mem_free(a);
}

const value *act_vars(const rulecore_activation *a, uint32_t *n) {
  *n = a->nvars;
  return a->vars;
}

const rulecore_schema *act_schema(const rulecore_activation *a) { return a->schema; }

/* ---- checking values against declared types ---- */

/* Whether v may be stored where type t is declared, converting numbers as
 * CEL's JSON mapping does (an int into a double or a non-negative int
 * into a uint). */
bool act_fits(const type *t, value *v) {
  switch (t->kind) {
  case TYPE_DYN:
  case TYPE_PARAM: return true;
  case TYPE_NULL: return v->kind == V_NULL;
  case TYPE_BOOL: return v->kind == V_BOOL;
  case TYPE_INT: return v->kind == V_INT;
  case TYPE_UINT:
    if (v->kind == V_INT && v->i >= 0) *v = v_uint((uint64_t)v->i);
    return v->kind == V_UINT;
  case TYPE_DOUBLE:
    if (v->kind == V_INT) *v = v_double((double)v->i);
    if (v->kind == V_UINT) *v = v_double((double)v->u);
    return v->kind == V_DOUBLE;
  case TYPE_STRING: return v->kind == V_STRING;
  case TYPE_BYTES: return v->kind == V_BYTES;
  case TYPE_TIMESTAMP: return v->kind == V_TIMESTAMP;
  case TYPE_DURATION: return v->kind == V_DURATION;
  case TYPE_LIST: return v->kind == V_LIST;
  case TYPE_MAP: return v->kind == V_MAP;
  case TYPE_RECORD: return v->kind == V_NULL || (v->kind == V_RECORD && v->r->type == t);
  case TYPE_TYPE: return v->kind == V_TYPE;
  default: return false;
  }
}

static void builder_abort(rulecore_activation *a) {
  a->depth = 0;
  a->nitems = 0;
  a->has_key = false;
}

/* The declared type of the value going to slot (or the next value of the
 * open container); NULL for a bad slot or a missing key. */
static const type *expected(rulecore_activation *a, int32_t slot, uint32_t *var, int64_t *field) {
  if (a->depth == 0) {
    if (!decode(a, slot, var, field)) return NULL;
    const type *vt = a->by_index[*var]->type;
    if (*field < 0) return vt;
    const record_field *f = field_at(vt, (uint32_t)*field);
    return f ? f->type : NULL;
  }
  if (slot != RULECORE_NEXT) return NULL;
  frame *f = &a->stack[a->depth - 1];
  if (f->kind == FRAME_LIST) return f->t->kind == TYPE_LIST ? f->t->elem : T_DYN;
  if (!a->has_key) return NULL;
  if (f->kind == FRAME_MAP) {
    if (f->t->kind != TYPE_MAP) return T_DYN;
    value k = a->key;
    return act_fits(f->t->key, &k) ? f->t->elem : NULL;
  }
  if (a->key.kind != V_STRING) return NULL;
  const record_field *rf = type_field(f->t, a->key.s);
  return rf ? rf->type : NULL;
}

static bool push_item(rulecore_activation *a, value v) {
  if (a->nitems == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 32;
    value *items = mem_realloc(a->items, cap * sizeof(value));
    if (!items) return false;
    a->items = items;
    a->cap = cap;
  }
  a->items[a->nitems++] = v;
  return true;
}

/* Store v (checked against t) where slot says. */
static rulecore_status store(rulecore_activation *a, int32_t slot, value v) {
  uint32_t var = 0;
  int64_t field = -1;
  const type *t = expected(a, slot, &var, &field);
  if (!t || !act_fits(t, &v)) {
    if (a->depth) builder_abort(a);
    return RULECORE_ERR_ARGUMENT;
  }
  if (a->depth == 0) {
    if (field < 0) {
      a->vars[var] = v;
      return RULECORE_OK;
    }
    if (a->vars[var].kind != V_RECORD) {
      vrecord *r = a->records[var];
      for (uint32_t i = 0; i < r->type->nfields; i++) r->fields[i] = (value){.kind = V_ABSENT};
      a->vars[var] = (value){.kind = V_RECORD, .r = r};
    }
    ((vrecord *)a->vars[var].r)->fields[field] = v;
    return RULECORE_OK;
  }
  frame *f = &a->stack[a->depth - 1];
  if (f->kind != FRAME_LIST) {
    value k = a->key;
    if (f->kind == FRAME_RECORD) k = v_uint(type_field(f->t, a->key.s)->index);
    else if (f->t->kind == TYPE_MAP) act_fits(f->t->key, &k);
    a->has_key = false;
    if (!push_item(a, k)) {
      builder_abort(a);
      return RULECORE_ERR_NOMEM;
    }
  }
  if (!push_item(a, v)) {
    builder_abort(a);
    return RULECORE_ERR_NOMEM;
  }
  return RULECORE_OK;
}

/* A copy of s[0..n) in the pool, as kind. */
static rulecore_status store_text(rulecore_activation *a, int32_t slot, uint8_t kind, const char *s, size_t n) {
  if (!s && n) return RULECORE_ERR_ARGUMENT;
  if (n > VALUE_MAX_LEN) return RULECORE_ERR_ARGUMENT;
  /* Whole words, the tail zeroed: PCRE2's JIT reads a subject a word at a
   * time, and must not see bytes nobody wrote (valgrind would object). */
  size_t size = (n + 16) & ~(size_t)15;
  char *p = pool_alloc(&a->pool, size);
  if (!p) {
    builder_abort(a);
    return RULECORE_ERR_NOMEM;
  }
  if (n) memcpy(p, s, n);
  memset(p + n, 0, size - n);
  return store(a, slot, (value){.kind = kind, .n = (uint32_t)n, .s = p});
}

/* ---- setters ---- */

rulecore_status act_set(rulecore_activation *a, int32_t slot, value v) {
  if (!a) return RULECORE_ERR_ARGUMENT;
  if (v.kind == V_STRING || v.kind == V_BYTES) return store_text(a, slot, v.kind, v.s, v.n);
  return store(a, slot, v);
}

RULECORE_API rulecore_status rulecore_activation_set_null(rulecore_activation *a, int32_t slot) {
  return act_set(a, slot, v_null());
}
RULECORE_API rulecore_status rulecore_activation_set_bool(rulecore_activation *a, int32_t slot, int x) {
  return act_set(a, slot, v_bool(x != 0));
}
RULECORE_API rulecore_status rulecore_activation_set_int(rulecore_activation *a, int32_t slot, int64_t x) {
  return act_set(a, slot, v_int(x));
}
RULECORE_API rulecore_status rulecore_activation_set_uint(rulecore_activation *a, int32_t slot, uint64_t x) {
  return act_set(a, slot, v_uint(x));
}
RULECORE_API rulecore_status rulecore_activation_set_double(rulecore_activation *a, int32_t slot, double x) {
  return act_set(a, slot, v_double(x));
}

RULECORE_API rulecore_status rulecore_activation_set_string(rulecore_activation *a, int32_t slot, const char *s,
                                                            size_t n) {
  if (!a || (!s && n) || (s && lit_utf8_valid_prefix(s, n) != n)) return RULECORE_ERR_ARGUMENT;
  return store_text(a, slot, V_STRING, s ? s : "", n);
}
RULECORE_API rulecore_status rulecore_activation_set_bytes(rulecore_activation *a, int32_t slot, const void *s,
                                                           size_t n) {
  if (!a) return RULECORE_ERR_ARGUMENT;
  return store_text(a, slot, V_BYTES, s ? s : "", n);
}
RULECORE_API rulecore_status rulecore_activation_set_timestamp(rulecore_activation *a, int32_t slot, int64_t sec,
                                                               int32_t nanos) {
  if (!rtime_timestamp_valid((rtime_ts){sec, nanos})) return RULECORE_ERR_ARGUMENT;
  return act_set(a, slot, v_timestamp(sec, nanos));
}
RULECORE_API rulecore_status rulecore_activation_set_duration(rulecore_activation *a, int32_t slot, int64_t ns) {
  return act_set(a, slot, v_duration(ns));
}

/* ---- the builder ---- */

/* Open a list, a map, or (record set, or a record-typed slot) a record. */
static rulecore_status begin(rulecore_activation *a, int32_t slot, bool list, const type *record) {
  if (!a) return RULECORE_ERR_ARGUMENT;
  uint32_t var = 0;
  int64_t field = -1;
  const type *t = expected(a, slot, &var, &field);
  if (!t || a->depth == MAX_DEPTH) {
    builder_abort(a);
    return RULECORE_ERR_ARGUMENT;
  }
  frame_kind kind;
  if (record) { /* a record of a named type, where it or dyn is declared */
    if (t != record && t->kind != TYPE_DYN && t->kind != TYPE_PARAM) t = NULL;
    else t = record;
    kind = FRAME_RECORD;
  } else if (list) {
    if (t->kind != TYPE_LIST && t->kind != TYPE_DYN && t->kind != TYPE_PARAM) t = NULL;
    kind = FRAME_LIST;
  } else if (t->kind == TYPE_RECORD) {
    kind = FRAME_RECORD;
  } else {
    if (t->kind != TYPE_MAP && t->kind != TYPE_DYN && t->kind != TYPE_PARAM) t = NULL;
    kind = FRAME_MAP;
  }
  if (!t) {
    builder_abort(a);
    return RULECORE_ERR_ARGUMENT;
  }
  frame *f = &a->stack[a->depth++];
  *f = (frame){.kind = kind, .t = t, .base = a->nitems, .slot = slot, .key = a->key, .keyed = a->has_key};
  a->has_key = false;
  return RULECORE_OK;
}

RULECORE_API rulecore_status rulecore_activation_begin_list(rulecore_activation *a, int32_t slot) {
  return begin(a, slot, true, NULL);
}
RULECORE_API rulecore_status rulecore_activation_begin_map(rulecore_activation *a, int32_t slot) {
  return begin(a, slot, false, NULL);
}

static rulecore_status set_key(rulecore_activation *a, value k) {
  if (!a || !a->depth || a->stack[a->depth - 1].kind == FRAME_LIST || a->has_key) {
    if (a) builder_abort(a);
    return RULECORE_ERR_ARGUMENT;
  }
  frame *f = &a->stack[a->depth - 1];
  if (f->kind == FRAME_RECORD && (k.kind != V_STRING || !type_field(f->t, k.s))) {
    builder_abort(a);
    return RULECORE_ERR_ARGUMENT;
  }
  if (f->kind == FRAME_MAP && f->t->kind == TYPE_MAP && !act_fits(f->t->key, &k)) {
    builder_abort(a);
    return RULECORE_ERR_ARGUMENT;
  }
  a->key = k;
  a->has_key = true;
  return RULECORE_OK;
}

RULECORE_API rulecore_status rulecore_activation_key_string(rulecore_activation *a, const char *key, size_t n) {
  if (!a || (!key && n) || n > VALUE_MAX_LEN || (key && lit_utf8_valid_prefix(key, n) != n)) return RULECORE_ERR_ARGUMENT;
  char *p = pool_alloc(&a->pool, n + 1);
  if (!p) return RULECORE_ERR_NOMEM;
  if (n) memcpy(p, key, n);
  p[n] = '\0';
  return set_key(a, v_string(p, (uint32_t)n));
}
RULECORE_API rulecore_status rulecore_activation_key_int(rulecore_activation *a, int64_t key) {
  return set_key(a, v_int(key));
}
RULECORE_API rulecore_status rulecore_activation_key_uint(rulecore_activation *a, uint64_t key) {
  return set_key(a, v_uint(key));
}
RULECORE_API rulecore_status rulecore_activation_key_bool(rulecore_activation *a, int key) {
  return set_key(a, v_bool(key != 0));
}

RULECORE_API rulecore_status rulecore_activation_end(rulecore_activation *a) {
  if (!a || !a->depth || a->has_key) {
    if (a) builder_abort(a);
    return RULECORE_ERR_ARGUMENT;
  }
  frame f = a->stack[--a->depth];
  size_t count = a->nitems - f.base;
  value *items = a->items ? a->items + f.base : NULL; /* NULL + 0 is undefined: nothing built yet */
  value built;
  if (f.kind == FRAME_LIST) {
    vlist *l = pool_alloc(&a->pool, sizeof(vlist) + count * sizeof(value));
    if (!l) goto nomem;
    l->n = (uint32_t)count;
    if (count) memcpy(l->items, items, count * sizeof(value));
    built = v_list(l);
  } else if (f.kind == FRAME_MAP) {
    uint32_t n = (uint32_t)(count / 2);
    value *kv = pool_alloc(&a->pool, count * sizeof(value) + 1);
    if (!kv) goto nomem;
    for (uint32_t i = 0; i < n; i++) {
      kv[i] = items[2 * i];
      kv[n + i] = items[2 * i + 1];
    }
    int64_t dup;
    vmap *m = value_map_build(&a->pool, kv, kv + n, n, &dup);
    if (!m) {
      builder_abort(a);
      return dup >= 0 ? RULECORE_ERR_ARGUMENT : RULECORE_ERR_NOMEM;
    }
    built = v_map(m);
  } else {
    uint32_t nf = f.t->nfields;
    vrecord *r = pool_alloc(&a->pool, sizeof(vrecord) + (nf ? nf : 1) * sizeof(value));
    if (!r) goto nomem;
    r->type = f.t;
    for (uint32_t i = 0; i < nf; i++) r->fields[i] = (value){.kind = V_ABSENT};
    for (size_t i = 0; i + 1 < count; i += 2) {
      if (r->fields[items[i].u].kind != V_ABSENT) { /* a field given twice */
        builder_abort(a);
        return RULECORE_ERR_ARGUMENT;
      }
      r->fields[items[i].u] = items[i + 1];
    }
    built = (value){.kind = V_RECORD, .r = r};
  }
  a->nitems = f.base;
  a->key = f.key;
  a->has_key = f.keyed;
  return store(a, f.slot, built);
nomem:
  builder_abort(a);
  return RULECORE_ERR_NOMEM;
}

/* ---- JSON fills ---- */

void act_save(rulecore_activation *a) {
  memcpy(a->saved, a->vars, a->nvars * sizeof(value));
  builder_abort(a);
  if (++a->fill == 0) { /* wrapped: forget every earlier fill */
    memset(a->named, 0, (a->nvars ? a->nvars : 1) * sizeof(uint32_t));
    a->fill = 1;
  }
}

void act_restore(rulecore_activation *a) {
  memcpy(a->vars, a->saved, a->nvars * sizeof(value));
  builder_abort(a);
}

bool act_first_time(rulecore_activation *a, uint32_t var) {
  if (a->named[var] == a->fill) return false;
  a->named[var] = a->fill;
  return true;
}

pool *act_pool(rulecore_activation *a) { return &a->pool; }

void *act_buffer(rulecore_activation *a, int which, size_t n) {
  if (n > a->buffer_caps[which]) {
    size_t cap = a->buffer_caps[which] ? a->buffer_caps[which] : 256;
    while (cap < n) {
      if (cap > SIZE_MAX / 2) return NULL;
      cap *= 2;
    }
    void *p = mem_realloc(a->buffers[which], cap);
    if (!p) return NULL;
    a->buffers[which] = p;
    a->buffer_caps[which] = cap;
  }
  return a->buffers[which];
}

char *act_scratch(rulecore_activation *a, size_t n) { return act_buffer(a, 0, n); }

size_t act_stage_mark(const rulecore_activation *a) { return a->nitems; }
bool act_stage_push(rulecore_activation *a, value v) { return push_item(a, v); }
value *act_stage_at(rulecore_activation *a, size_t mark) { return a->items ? a->items + mark : NULL; }
void act_stage_cut(rulecore_activation *a, size_t mark) { a->nitems = mark; }

void act_put_var(rulecore_activation *a, uint32_t var, value v) { a->vars[var] = v; }
