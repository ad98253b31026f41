/*
 * check_check.c: the type checker, through the public API only:
 * rulecore_check, rulecore_expr_type and the diagnostics accessors, with
 * a schema built by rulecore_schema_*.  Typing rules (expression -> exact
 * type), every kind of error with its code and position, checking twice
 * and without a schema, the checker's cost on long inputs (through the
 * allocator hook).  CEL's conformance cases, types included, are run by
 * `rulec conformance` (t/conformance.sh).
 *
 * Every test copies what it asserts on into static storage and frees the
 * library's objects first (see check_main.h), so a failing assertion under
 * CK_FORK=no leaks nothing.  The schema of most tests lives in an
 * unchecked fixture, built once per tcase and freed after it.
 */
#include "check_main.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

Suite *suite_check(void);

/* ---- the schema every table runs against ---- */

/* user{age, city, tags}, Item{sku, qty}, Order{amount, items}; variables
 * user, order, m and the qualified name a.b. */
static const struct {
  const char *record, *field, *type; /* field NULL: declare the record */
} schema_decls[] = {
    {"Order", "items", "list(Item)"}, /* before Item: declarations may come in any order */
    {"user", NULL, NULL},
    {"user", "age", "int"},
    {"user", "city", "string"},
    {"user", "tags", "list(string)"},
    {"Item", NULL, NULL},
    {"Item", "sku", "string"},
    {"Item", "qty", "int"},
    {"Order", NULL, NULL},
    {"Order", "amount", "double"},
};

static const struct {
  const char *name, *type;
} schema_vars[] = {
    {"user", "user"},
    {"order", "Order"},
    {"m", "map(string, int)"},
    {"a.b", "int"},
};

static rulecore_env *ENV;   /* the fixture's environment, or NULL */
static char ENV_ERROR[512]; /* why the fixture could not build it */

/* An environment whose schema holds schema_decls and schema_vars, or NULL
 * with why set. */
static rulecore_env *test_env(char *why, size_t cap) {
  rulecore_schema *s = rulecore_schema_new();
  rulecore_env *env = rulecore_env_new();
  rulecore_status st = s && env ? RULECORE_OK : RULECORE_ERR_NOMEM;
  for (size_t i = 0; i < LEN(schema_decls) && st == RULECORE_OK; i++) {
    if (schema_decls[i].field)
      st = rulecore_schema_add_field(s, schema_decls[i].record, schema_decls[i].field, schema_decls[i].type);
    else
      st = rulecore_schema_add_record(s, schema_decls[i].record);
  }
  for (size_t i = 0; i < LEN(schema_vars) && st == RULECORE_OK; i++)
    st = rulecore_schema_add_variable(s, schema_vars[i].name, schema_vars[i].type);
  rulecore_diagnostics *d = NULL;
  if (st == RULECORE_OK) st = rulecore_env_set_schema(env, s, &d);
  snprintf(why, cap, "schema: status %d: %s", st,
           rulecore_diagnostics_count(d) ? rulecore_diagnostics_message(d, 0) : "no diagnostic");
  rulecore_diagnostics_free(d);
  rulecore_schema_free(s); /* the environment keeps its own reference */
  if (st != RULECORE_OK) {
    rulecore_env_free(env);
    return NULL;
  }
  return env;
}

static void env_setup(void) { ENV = test_env(ENV_ERROR, sizeof ENV_ERROR); }

static void env_teardown(void) {
  rulecore_env_free(ENV);
  ENV = NULL;
}

#define REQUIRE_ENV() ck_assert_msg(ENV != NULL, "the test schema did not build: %s", ENV_ERROR)

/* ---- one check, copied ---- */

#define CHECKED_DIAGS 16

typedef struct diag_copy {
  rulecore_severity severity;
  int code;
  uint32_t line, column;
  char message[600];
} diag_copy;

typedef struct checked {
  bool parsed;            /* rulecore_parse succeeded */
  rulecore_status status; /* rulecore_check's, or rulecore_parse's when it failed */
  char type[256];         /* rulecore_expr_type after checking, "(null)" when NULL */
  size_t count, errors;
  diag_copy d[CHECKED_DIAGS];
} checked;

static checked C; /* the check under test: static, see check_main.h */

static void copy_diags(checked *c, const rulecore_diagnostics *d) {
  c->count = rulecore_diagnostics_count(d);
  c->errors = rulecore_diagnostics_error_count(d);
  for (size_t i = 0; i < c->count && i < CHECKED_DIAGS; i++) {
    diag_copy *g = &c->d[i];
    g->severity = rulecore_diagnostics_severity(d, i);
    g->code = rulecore_diagnostics_code(d, i);
    g->line = rulecore_diagnostics_line(d, i);
    g->column = rulecore_diagnostics_column(d, i);
    snap_copy(g->message, sizeof g->message, rulecore_diagnostics_message(d, i));
  }
}

/* Parse src with env, then check it (result_type may be NULL), into *c. */
static void check_src(checked *c, const rulecore_env *env, const char *src, const char *result_type) {
  rulecore_expr *e = NULL;
  rulecore_diagnostics *d = NULL;
  memset(c, 0, sizeof *c);
  c->status = rulecore_parse(env, src, strlen(src), NULL, &e, &d);
  c->parsed = c->status == RULECORE_OK;
  if (c->parsed) {
    rulecore_diagnostics_free(d);
    d = NULL;
    c->status = rulecore_check(env, e, result_type, &d);
  }
  snap_copy(c->type, sizeof c->type, rulecore_expr_type(e));
  copy_diags(c, d);
  rulecore_expr_free(e);
  rulecore_diagnostics_free(d);
}

/* The diagnostics of c on one line, for failure messages (static storage). */
static const char *diags_of(const checked *c) {
  static char z[3000];
  size_t k = 0;
  z[0] = '\0';
  if (!c->count) return c->parsed ? "no diagnostics" : "parse failed without diagnostics";
  for (size_t i = 0; i < c->count && i < CHECKED_DIAGS && k < sizeof z; i++)
    k += (size_t)snprintf(z + k, sizeof z - k, "%s[%d @%u:%u] %s", i ? " | " : "", c->d[i].code, c->d[i].line,
                          c->d[i].column, c->d[i].message);
  if (!c->parsed && k < sizeof z) snprintf(z + k, sizeof z - k, " (parse error)");
  return z;
}

/* ---- rulecore_check: typing rules ---- */

#define TS "timestamp('2020-01-01T00:00:00Z')"
#define DUR "duration('90m')"

static const struct {
  const char *src, *type;
} type_cases[] = {
    /* Literals of every type. */
    {"null", "null_type"},
    {"true", "bool"},
    {"false", "bool"},
    {"42", "int"},
    {"-7", "int"},
    {"0x2A", "int"},
    {"-9223372036854775808", "int"},
    {"42u", "uint"},
    {"18446744073709551615u", "uint"},
    {"2.5", "double"},
    {"1e3", "double"},
    {"'s'", "string"},
    {"\"s\"", "string"},
    {"r'\\d+'", "string"},
    {"'''a\nb'''", "string"},
    {"b'\\xff'", "bytes"},
    {"[]", "list(dyn)"},
    {"{}", "map(dyn, dyn)"},
    {"[1, 2]", "list(int)"},
    {"['a']", "list(string)"},
    {"{'a': 1}", "map(string, int)"},
    {"{1: 'a'}", "map(int, string)"},
    {"{true: 1u}", "map(bool, uint)"},
    {"{1u: 2.5}", "map(uint, double)"},
    /* Arithmetic per type. */
    {"1 + 2", "int"},
    {"1 - 2", "int"},
    {"2 * 3", "int"},
    {"7 / 2", "int"},
    {"7 % 2", "int"},
    {"-user.age", "int"},
    {"1u + 2u", "uint"},
    {"1u - 2u", "uint"},
    {"2u * 3u", "uint"},
    {"7u / 2u", "uint"},
    {"7u % 2u", "uint"},
    {"1.5 + 2.0", "double"},
    {"1.5 - 2.0", "double"},
    {"1.5 * order.amount", "double"},
    {"order.amount / 2.0", "double"},
    {"-order.amount", "double"},
    {"'a' + 'b'", "string"},
    {"user.city + '!'", "string"},
    {"b'a' + b'b'", "bytes"},
    {"[1] + [2]", "list(int)"},
    {"[1] + []", "list(int)"},
    {"[] + [1]", "list(int)"},
    {"['a'] + user.tags", "list(string)"},
    {"[] + []", "list(dyn)"},
    {"dyn(1) + 1", "int"},
    {"dyn(1) + 1.5", "double"},
    {"dyn(1) + dyn(2)", "dyn"},
    {"!true", "bool"},
    {"!(user.age > 1)", "bool"},
    {"true && false", "bool"},
    {"false || user.age > 1", "bool"},
    /* Comparisons, including the heterogeneous numeric ones CEL allows. */
    {"1 < 2", "bool"},
    {"1 <= 2.0", "bool"},
    {"1 > 2u", "bool"},
    {"1u >= 2", "bool"},
    {"1u < 2.0", "bool"},
    {"1.0 <= 2", "bool"},
    {"1.0 > 2u", "bool"},
    {"user.age < order.amount", "bool"},
    {"'a' < 'b'", "bool"},
    {"b'a' <= b'b'", "bool"},
    {"false < true", "bool"},
    {"dyn(1) < 2.0", "bool"},
    {"1 == 2", "bool"},
    {"1 != 2", "bool"},
    {"1u == 2u", "bool"},
    {"1.0 == 2.0", "bool"},
    {"'a' == user.city", "bool"},
    {"b'a' != b'b'", "bool"},
    {"null == null", "bool"},
    {"[1] == [2]", "bool"},
    {"[] == [1]", "bool"},
    {"{'a': 1} == m", "bool"},
    {"{} == m", "bool"},
    {"user == user", "bool"},
    {"dyn(1) == 1u", "bool"},
    {"1 == dyn(1.0)", "bool"},
    /* in, on lists and maps. */
    {"1 in [1, 2]", "bool"},
    {"'x' in user.tags", "bool"},
    {"'a' in m", "bool"},
    {"'a' in {'a': 1}", "bool"},
    {"1 in []", "bool"},
    {"dyn(1) in [1]", "bool"},
    {"1 in dyn([1])", "bool"},
    /* size, contains, startsWith, endsWith, matches: methods and globals. */
    {"size('abc')", "int"},
    {"'abc'.size()", "int"},
    {"size(b'ab')", "int"},
    {"b'ab'.size()", "int"},
    {"size([1])", "int"},
    {"user.tags.size()", "int"},
    {"size(m)", "int"},
    {"m.size()", "int"},
    {"size({})", "int"},
    {"'abc'.contains('b')", "bool"},
    {"user.city.startsWith('B')", "bool"},
    {"'abc'.endsWith('c')", "bool"},
    {"user.city.matches('^B.*g$')", "bool"},
    {"matches('abc', 'b+')", "bool"},
    {"'abc'.matches(user.city)", "bool"},
    /* Conversions. */
    {"int('1')", "int"},
    {"int(1u)", "int"},
    {"int(1.5)", "int"},
    {"int(1)", "int"},
    {"int(" TS ")", "int"},
    {"int(dyn('1'))", "int"},
    {"uint(1)", "uint"},
    {"uint(1.5)", "uint"},
    {"uint('1')", "uint"},
    {"uint(1u)", "uint"},
    {"double(1)", "double"},
    {"double(1u)", "double"},
    {"double('1.5')", "double"},
    {"double(1.5)", "double"},
    {"string(1)", "string"},
    {"string(1u)", "string"},
    {"string(1.5)", "string"},
    {"string(b'a')", "string"},
    {"string(true)", "string"},
    {"string('a')", "string"},
    {"string(" TS ")", "string"},
    {"string(" DUR ")", "string"},
    {"string(dyn(1))", "string"},
    {"bytes('a')", "bytes"},
    {"bytes(b'a')", "bytes"},
    {"bool('true')", "bool"},
    {"bool(true)", "bool"},
    {"dyn(1)", "dyn"},
    {"dyn([1])", "dyn"},
    {"dyn(user)", "dyn"},
    {"type(1)", "type(int)"},
    {"type('a')", "type(string)"},
    {"type(user)", "type(user)"},
    {"type([1])", "type(list(int))"},
    {"type(m)", "type(map(string, int))"},
    {"type(null)", "type(null_type)"},
    {"type(dyn(1))", "type(dyn)"},
    {"type(type(1))", "type(type(int))"},
    /* Timestamps and durations. */
    {TS, "timestamp"},
    {"timestamp(1)", "timestamp"},
    {"timestamp(" TS ")", "timestamp"},
    {DUR, "duration"},
    {"duration(" DUR ")", "duration"},
    {TS " + " DUR, "timestamp"},
    {DUR " + " TS, "timestamp"},
    {TS " - " TS, "duration"},
    {TS " - " DUR, "timestamp"},
    {DUR " + " DUR, "duration"},
    {DUR " - " DUR, "duration"},
    {TS " < " TS, "bool"},
    {TS " == " TS, "bool"},
    {DUR " >= " DUR, "bool"},
    {TS ".getFullYear()", "int"},
    {TS ".getFullYear('UTC')", "int"},
    {TS ".getMonth()", "int"},
    {TS ".getDayOfYear()", "int"},
    {TS ".getDayOfMonth()", "int"},
    {TS ".getDate('Asia/Shanghai')", "int"},
    {TS ".getDayOfWeek()", "int"},
    {TS ".getHours()", "int"},
    {TS ".getMinutes('+08:00')", "int"},
    {TS ".getSeconds()", "int"},
    {TS ".getMilliseconds()", "int"},
    {DUR ".getHours()", "int"},
    {DUR ".getMinutes()", "int"},
    {DUR ".getSeconds()", "int"},
    {DUR ".getMilliseconds()", "int"},
    /* List and map literals join their elements, or go to dyn. */
    {"[1, 'a']", "list(dyn)"},
    {"[1, 2u]", "list(dyn)"},
    {"[1, dyn(2)]", "list(dyn)"},
    {"[dyn(1), 2]", "list(dyn)"},
    {"[[1], ['a']]", "list(dyn)"},
    {"[[1], [dyn(1)]]", "list(list(dyn))"},
    {"[user.tags, []]", "list(list(string))"},
    {"[{}, m]", "list(map(string, int))"},
    {"{'a': 1, 'b': 'x'}", "map(string, dyn)"},
    {"{'a': 1, 2: 3}", "map(dyn, int)"},
    /* Nested empty lists. */
    {"[[]]", "list(list(dyn))"},
    {"[[[]]]", "list(list(list(dyn)))"},
    {"[[], [1]]", "list(list(int))"},
    {"[[1], []]", "list(list(int))"},
    {"[[], [[]]]", "list(list(list(dyn)))"},
    {"[[[[[]]]], [], [[[]]]]", "list(list(list(list(list(dyn)))))"},
    {"[{}]", "list(map(dyn, dyn))"},
    {"{'a': []}", "map(string, list(dyn))"},
    {"{'a': [], 'b': [1u]}", "map(string, list(uint))"},
    /* Field selection on records and maps. */
    {"user.age", "int"},
    {"user.city", "string"},
    {"user.tags", "list(string)"},
    {"order.amount", "double"},
    {"order.items", "list(Item)"},
    {"order.items[0].sku", "string"},
    {"m.k", "int"},
    {"m.k + 1", "int"},
    {"{'a': {'b': 1}}.a.b", "int"},
    {"dyn(user).anything", "dyn"},
    {"[1, 'a'][0].x", "dyn"},
    /* Indexing lists and maps. */
    {"user.tags[0]", "string"},
    {"order.items[1]", "Item"},
    {"m['k']", "int"},
    {"[1, 2][1]", "int"},
    {"{1: 'a'}[1]", "string"},
    {"{'a': [1]}['a'][0]", "int"},
    {"[[1]][0][0]", "int"},
    {"dyn([1])[0]", "dyn"},
    {"[1][dyn(0)]", "int"},
    {"m[dyn('k')]", "int"},
    {"{'abc': 123}['abc']", "int"},
    /* The conditional. */
    {"true ? 1 : 2", "int"},
    {"user.age > 18 ? 'adult' : 'minor'", "string"},
    {"true ? [] : [1]", "list(int)"},
    {"true ? [1] : []", "list(int)"},
    {"true ? dyn(1) : 2", "dyn"},
    {"true ? order : null", "Order"},
    /* Macros, with the bound variable's type. */
    {"has(user.age)", "bool"},
    {"has(m.k)", "bool"},
    {"has(order.items)", "bool"},
    {"has(order.items[0].sku)", "bool"},
    {"has(dyn(user).x)", "bool"},
    {"user.tags.all(t, t.size() > 0)", "bool"},
    {"user.tags.exists(t, t == 'x')", "bool"},
    {"user.tags.exists_one(t, t.startsWith('a'))", "bool"},
    {"order.items.map(i, i.qty)", "list(int)"},
    /* two-variable comprehensions: index and element, key and value */
    {"order.items.all(i, it, i >= 0 && it.qty > 0)", "bool"},
    {"m.exists(k, v, k == 'a' && v > 1)", "bool"},
    {"m.existsOne(k, v, v == 1)", "bool"},
    {"order.items.transformList(i, it, it.sku)", "list(string)"},
    {"order.items.transformList(i, it, i > 0, double(i) * order.amount)", "list(double)"},
    {"m.transformMap(k, v, v * 2)", "map(string, int)"},
    {"user.tags.transformMap(i, t, t.size())", "map(int, int)"},
    {"order.items.map(i, i.qty > 1, i.sku)", "list(string)"},
    {"order.items.filter(i, i.qty > 1)", "list(Item)"},
    {"order.items.map(i, i)", "list(Item)"},
    {"m.map(k, k)", "list(string)"},
    {"m.map(k, m[k])", "list(int)"},
    {"m.filter(k, m[k] > 1)", "list(string)"},
    {"m.all(k, k.size() > 0)", "bool"},
    {"m.exists(k, k == 'a')", "bool"},
    {"{1: 'a'}.map(k, k)", "list(int)"},
    {"[1, 2].map(x, double(x) * 2.0)", "list(double)"},
    {"[].map(x, x)", "list(dyn)"},
    {"[].filter(x, true)", "list(dyn)"},
    {"dyn([1]).map(x, x)", "list(dyn)"},
    {"dyn([1]).all(x, x > 0)", "bool"},
    {"[1, 'a'].filter(x, x == 1)", "list(dyn)"},
    {"([].map(x, x))[0].foo", "dyn"},
    /* A bound variable shadows a schema variable of the same name, only
     * inside its macro. */
    {"[1, 2].map(user, user + 1)", "list(int)"},
    {"order.items.map(order, order.qty)", "list(int)"},
    {"[1].exists(m, m == 1)", "bool"},
    {"[1].map(user, user) + [user.age]", "list(int)"},
    {"['a'].map(x, [1].map(x, x))", "list(list(int))"},
    /* Nested comprehensions. */
    {"order.items.map(i, user.tags.map(t, t + i.sku))", "list(list(string))"},
    {"[[1, 2]].map(l, l.filter(x, x > 1))", "list(list(int))"},
    {"order.items.exists(i, order.items.all(j, i.qty >= j.qty))", "bool"},
    {"m.map(k, [k].map(j, j.size()))", "list(list(int))"},
    /* Leading-dot names. */
    {".user.age", "int"},
    {".m", "map(string, int)"},
    {".m.k", "int"},
    {".a.b", "int"},
    /* A qualified variable name. */
    {"a.b", "int"},
    {"a.b + 1", "int"},
    {"[a.b]", "list(int)"},
    {"[1].map(x, x + a.b)", "list(int)"},
    /* Type names as values. */
    {"int", "type(int)"},
    {"uint", "type(uint)"},
    {"double", "type(double)"},
    {"bool", "type(bool)"},
    {"string", "type(string)"},
    {"bytes", "type(bytes)"},
    {"null_type", "type(null_type)"},
    {"list", "type(list(dyn))"},
    {"map", "type(map(dyn, dyn))"},
    {"type", "type(type)"},
    {"Item", "type(Item)"},
    {".Order", "type(Order)"},
    {"google.protobuf.Timestamp", "type(timestamp)"},
    {"google.protobuf.Duration", "type(duration)"},
    {"net.IP", "type(net.IP)"},
    {"net.CIDR", "type(net.CIDR)"},
    {"type(1) == int", "bool"},
    {"int == int", "bool"},
    {"type(order) == Order", "bool"},
    /* CEL compares any two type values (type(0.0) != type(0)). */
    {"type(1) == uint", "bool"},
    {"type(1) != type('a')", "bool"},
    /* Struct construction. */
    {"Item{sku: 'x', qty: 1}", "Item"},
    {"Item{}", "Item"},
    {".Item{sku: 'x'}", "Item"},
    {"Item{sku: dyn(1)}", "Item"},
    {"Item{qty: user.age}", "Item"},
    {"Order{amount: 1.5, items: [Item{sku: 'a', qty: 1}]}", "Order"},
    {"Order{items: []}", "Order"},
    {"Order{items: [Item{}]}.items[0].qty", "int"},
    /* null compared with a record. */
    {"user == null", "bool"},
    {"null == user", "bool"},
    {"order.items[0] != null", "bool"},
    {"null != Item{}", "bool"},
    {"user != null && user.age > 1", "bool"},
    /* null joins with a record to the record, whichever comes first. */
    {"[null, user]", "list(user)"},
    {"[user, null]", "list(user)"},
    {"[user, null][0].age", "int"},
    {"{'a': null, 'b': user}", "map(string, user)"},
    {"{'a': user, 'b': null}", "map(string, user)"},
    {"true ? order : null", "Order"},
    {"true ? null : order", "Order"},
    {"(true ? null : order).amount", "double"},
    /* Type parameters bound through later uses. */
    {"[].map(x, x + 1)", "list(int)"},
    {"[].map(x, [x]) + [[1]]", "list(list(int))"},
    {"[{}].map(x, x['a'] + 1)", "list(int)"},
    {"[[]].map(l, l.map(x, x + 'a'))", "list(list(string))"},
    {"[].filter(x, x)", "list(bool)"},
    {"[1].map(x, [].map(y, x + y))", "list(list(int))"},
    {"{}['a'] + 1", "int"},
    {"[] == []", "bool"},
    {"{} == {}", "bool"},
    {"-dyn(1)", "dyn"},
    /* The extension libraries: methods, and functions of a namespace. */
    {"user.city.charAt(0)", "string"},
    {"user.city.indexOf('a', 1) + user.city.lastIndexOf('a')", "int"},
    {"user.city.split(',')", "list(string)"},
    {"user.city.replace('a', 'b', 1)", "string"},
    {"user.tags.join(', ')", "string"},
    {"[].join()", "string"},
    {"'%s: %d'.format([user.city, user.age])", "string"},
    {"strings.quote(user.city)", "string"},
    {"base64.decode(base64.encode(b'x'))", "bytes"},
    {"math.abs(user.age)", "int"},
    {"math.abs(dyn(1))", "dyn"},
    {"math.bitShiftLeft(1u, 2)", "uint"},
    {"math.greatest(user.age)", "int"},
    {"math.greatest(user.age, 2)", "int"},
    {"math.greatest([1.5, 2.5])", "double"},
    {"math.least(1u, 2u, 3u, 4u, 5u)", "uint"},
    /* Mixed numbers compare by value: the result is dyn. */
    {"math.least(1, 2u)", "dyn"},
    {"math.greatest(1, 2.0, dyn(3))", "dyn"},
    /* The network library: opaque types, `ip` both global and method. */
    {"ip(user.city)", "net.IP"},
    {"cidr('10.0.0.0/8')", "net.CIDR"},
    {"cidr('10.0.0.0/8').ip()", "net.IP"},
    {"cidr('10.0.0.0/8').masked()", "net.CIDR"},
    {"cidr('10.0.0.0/8').containsIP(ip('10.0.0.1')) || cidr('::/0').containsCIDR('::/8')", "bool"},
    {"ip('::1').family() + cidr('::/0').prefixLength()", "int"},
    {"ip.isCanonical(user.city) && isIP('a') && isCIDR('b')", "bool"},
    {"string(ip('::1')) + string(cidr('::/0'))", "string"},
    {"[ip('::1'), ip('::2')]", "list(net.IP)"},
    {"[ip('::1'), cidr('::/0')]", "list(dyn)"},
    {"type(ip('::1'))", "type(net.IP)"},
    {"type(ip('::1')) == net.IP", "bool"},
    /* A macro's bound variable named like a namespace is a receiver. */
    {"[1].map(math, math + 1)", "list(int)"},
    /* cel.bind: the variable has its value's type, shadows a schema
     * variable and an outer binding, and is seen in the result only. */
    {"cel.bind(x, user.age, x * 2)", "int"},
    {"cel.bind(user, 'a', user + user)", "string"},
    {"cel.bind(x, 1, cel.bind(x, 'a', x))", "string"},
    {"cel.bind(xs, order.items, xs.map(i, i.sku))", "list(string)"},
    {"cel.bind(x, [], x)", "list(dyn)"},
    {"user.tags.map(t, cel.bind(n, t.size(), n > 1))", "list(bool)"},
    /* cel.block: cel.index(i) has e_i's type; the result is the block's. */
    {"cel.block([user.age, cel.index(0) > 1], cel.index(1))", "bool"},
    {"cel.block([order.items, cel.index(0)[0]], cel.index(1).sku)", "string"},
    {"cel.block([], 1u)", "uint"},
    {"cel.block([1], cel.block([cel.index(0) + 1, 'a'], cel.index(0)))", "int"},
    {"cel.block([user.tags], cel.index(0).map(cel.iterVar(0, 0), cel.iterVar(0, 0).size()))", "list(int)"},
    {"m.transformMap(cel.iterVar(0, 0), cel.iterVar(0, 1), cel.iterVar(0, 1) + 1)", "map(string, int)"},
    {"cel.bind(cel.accuVar(0, 0), 1.5, cel.accuVar(0, 0))", "double"},
};

START_TEST(test_check_types) {
  REQUIRE_ENV();
  const char *src = type_cases[_i].src, *want = type_cases[_i].type;
  check_src(&C, ENV, src, NULL);
  ck_assert_msg(C.status == RULECORE_OK && C.count == 0, "%s: status %d, want %s: %s", show(src, strlen(src)),
                C.status, want, diags_of(&C));
  ck_assert_msg(strcmp(C.type, want) == 0, "%s: type %s, want %s", show(src, strlen(src)), C.type, want);
}
END_TEST

/* ---- rulecore_check: one error each, exact ---- */

/* The overloads of '+' and '<' as the messages list them. */
#define ADD_OVERLOADS                                                                                       \
  "(int, int), (uint, uint), (double, double), (string, string), (bytes, bytes), (list(A), list(A)), " \
  "(timestamp, duration), (duration, timestamp), (duration, duration)"
#define LESS_OVERLOADS                                                                                    \
  "(bool, bool), (int, int), (uint, uint), (double, double), (string, string), (bytes, bytes), "      \
  "(timestamp, timestamp), (duration, duration), (int, uint), (int, double), (uint, int), (uint, double), " \
  "(double, int), (double, uint)"
#define SIZE_OVERLOADS "(string), (bytes), (list(A)), (map(K, V))"
#define INDEX_OVERLOADS "(list(A), int), (map(K, V), K)"

static const struct {
  const char *src;
  const char *result_type; /* NULL: any */
  int code;
  uint32_t line, column;
  const char *message; /* exact */
} error_cases[] = {
    /* Undeclared references, with a did-you-mean when a name is close. */
    {"usr.age > 1", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1,
     "undeclared reference to 'usr'; did you mean 'user'?"},
    {"ordr", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1, "undeclared reference to 'ordr'; did you mean 'order'?"},
    {"1 + nothing", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 5, "undeclared reference to 'nothing'"},
    {"[1].map(item, itme + 1)", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 15,
     "undeclared reference to 'itme'; did you mean 'item'?"},
    /* A bound variable's scope ends with its macro (and is not suggested after it). */
    {"[1].map(item, item) + [item]", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 24, "undeclared reference to 'item'"},
    {"abc.b", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1, "undeclared reference to 'abc'"},
    /* A leading dot skips the macro's bound variables. */
    {"[1].map(item, .item)", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 15, "undeclared reference to 'item'"},
    {"foo(1)", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1, "undeclared reference to function 'foo'"},
    {"user.city.foo()", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 11, "undeclared reference to function 'foo'"},
    /* Columns count code points; lines count lines. */
    {"'\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e' + nope", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 9,
     "undeclared reference to 'nope'"},
    {"user.age > 1 &&\n  usr.city == 'x'", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 2, 3,
     "undeclared reference to 'usr'; did you mean 'user'?"},
    /* No such field, with a did-you-mean. */
    {"user.agee > 1", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 6, "no field 'agee' on type user; did you mean 'age'?"},
    {"order.items[0].skus", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 16,
     "no field 'skus' on type Item; did you mean 'sku'?"},
    {"order.total", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 7, "no field 'total' on type Order"},
    {"'\xc3\xa9t\xc3\xa9' == user.cty", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 15,
     "no field 'cty' on type user; did you mean 'city'?"},
    {"user.age.x", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 10, "type int has no fields (selecting 'x')"},
    {"Item.sku", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 6, "type type(Item) has no fields (selecting 'sku')"},
    {"[1].map(a, a.b)", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 14, "type int has no fields (selecting 'b')"},
    {"a.b.c", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 5, "type int has no fields (selecting 'c')"},
    {"{1: 2}.x", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 8, "type map(int, int) has no fields (selecting 'x')"},
    {"Item{skus: 'a'}", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 6, "no field 'skus' on type Item; did you mean 'sku'?"},
    {"has(user.agee)", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 10, "no field 'agee' on type user; did you mean 'age'?"},
    /* No matching overload: the argument types and the candidates. */
    {"1 + 'a'", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 3,
     "no matching overload for '+' applied to (int, string); overloads: " ADD_OVERLOADS},
    {"[] + ['a'] + [1]", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 12,
     "no matching overload for '+' applied to (list(string), list(int)); overloads: " ADD_OVERLOADS},
    {"{}.map(k, k + 1) + [1u]", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 18,
     "no matching overload for '+' applied to (list(int), list(uint)); overloads: " ADD_OVERLOADS},
    {"user.age == null", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 10,
     "no matching overload for '==' applied to (int, null_type); overloads: (A, A)"},
    {"1 + 1u", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 3,
     "no matching overload for '+' applied to (int, uint); overloads: " ADD_OVERLOADS},
    {"user.age + order.amount", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 10,
     "no matching overload for '+' applied to (int, double); overloads: " ADD_OVERLOADS},
    {TS " + " TS, NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 35,
     "no matching overload for '+' applied to (timestamp, timestamp); overloads: " ADD_OVERLOADS},
    {"'a' < 1", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 5,
     "no matching overload for '<' applied to (string, int); overloads: " LESS_OVERLOADS},
    {"1 == 1u", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 3,
     "no matching overload for '==' applied to (int, uint); overloads: (A, A)"},
    {"1 != 1.0", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 3,
     "no matching overload for '!=' applied to (int, double); overloads: (A, A)"},
    {"user == order", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 6,
     "no matching overload for '==' applied to (user, Order); overloads: (A, A)"},
    {"1.5 % 2.0", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 5,
     "no matching overload for '%' applied to (double, double); overloads: (int, int), (uint, uint)"},
    {"-1u", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for '-' applied to (uint); overloads: (int), (double)"},
    {"!1", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for '!' applied to (int); overloads: (bool)"},
    {"1 && true", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 3,
     "no matching overload for '&&' applied to (int, bool); overloads: (bool, bool)"},
    {"1 in m", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 3,
     "no matching overload for 'in' applied to (int, map(string, int)); overloads: (A, list(A)), (K, map(K, V))"},
    {"m[1]", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 3,
     "no matching overload for indexing '[]' applied to (map(string, int), int); overloads: " INDEX_OVERLOADS},
    {"user.tags['a']", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 11,
     "no matching overload for indexing '[]' applied to (list(string), string); overloads: " INDEX_OVERLOADS},
    {"true ? 1 : 'a'", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for '?:' applied to (bool, int, string); overloads: (bool, A, A)"},
    {"1 ? 2 : 3", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for '?:' applied to (int, int, int); overloads: (bool, A, A)"},
    {"size(1)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for 'size' applied to (int); overloads: " SIZE_OVERLOADS},
    {"user.age.size()", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 10,
     "no matching overload for 'size' applied to (int); overloads: " SIZE_OVERLOADS},
    {"size('a', 'b')", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for 'size' applied to (string, string); overloads: " SIZE_OVERLOADS},
    {"user.age.contains('a')", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 10,
     "no matching overload for 'contains' applied to (int, string); overloads: (string, string)"},
    {"'a'.startsWith(1)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 5,
     "no matching overload for 'startsWith' applied to (string, int); overloads: (string, string)"},
    {"'a'.int()", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 5,
     "no matching overload for 'int' applied to (string); overloads: none as a method"},
    {"int(true)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for 'int' applied to (bool); overloads: (int), (uint), (double), (string), (timestamp)"},
    {"timestamp(1.5)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for 'timestamp' applied to (double); overloads: (string), (timestamp), (int)"},
    {DUR ".getFullYear()", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 17,
     "no matching overload for 'getFullYear' applied to (duration); overloads: (timestamp), (timestamp, string)"},
    {"[1].all(x, x)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 12,
     "the condition of all() must be a bool, not int"},
    {"[1].map(x, x, x)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 12, "the filter of map() must be a bool, not int"},
    /* A wrong result type. */
    {"1 + 2", "bool", RULECORE_DIAG_WRONG_RESULT_TYPE, 1, 1, "the expression must be of type bool, but it is int"},
    {"user.age", "double", RULECORE_DIAG_WRONG_RESULT_TYPE, 1, 1, "the expression must be of type double, but it is int"},
    {"m", "map(string, double)", RULECORE_DIAG_WRONG_RESULT_TYPE, 1, 1,
     "the expression must be of type map(string, double), but it is map(string, int)"},
    {"  order.items", "list(user)", RULECORE_DIAG_WRONG_RESULT_TYPE, 1, 3,
     "the expression must be of type list(user), but it is list(Item)"},
    /* A constant regular expression that does not compile: at the offending
     * character (where PCRE2 stopped) when the literal's source is its text,
     * columns in code points; else at the literal, with the offset. */
    {"'ab'.matches('[')", NULL, RULECORE_DIAG_BAD_REGEX, 1, 16,
     "invalid regular expression: missing terminating ] for character class"},
    {"matches(user.city, 'a(')", NULL, RULECORE_DIAG_BAD_REGEX, 1, 23,
     "invalid regular expression: missing closing parenthesis"},
    {"'x'.matches('\xc3\xa9(')", NULL, RULECORE_DIAG_BAD_REGEX, 1, 16,
     "invalid regular expression: missing closing parenthesis"},
    {"'x'.matches('a)b')", NULL, RULECORE_DIAG_BAD_REGEX, 1, 15,
     "invalid regular expression: unmatched closing parenthesis"},
    {"'x'.matches(r'\\d(')", NULL, RULECORE_DIAG_BAD_REGEX, 1, 13,
     "invalid regular expression at offset 3: missing closing parenthesis"},
    {"'x'.matches('\\\\d(')", NULL, RULECORE_DIAG_BAD_REGEX, 1, 13,
     "invalid regular expression at offset 3: missing closing parenthesis"},
    /* Macros used with the wrong arguments. */
    {"has(user)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 5, "has() takes a field selection such as has(a.b)"},
    {"user.ag > 1", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 6, "no field 'ag' on type user; did you mean 'age'?"},
    {"user.tags.all(t, t, true)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 18,
     "the second argument of all() must differ from the first"},
    {"m.transformMap(k, v, k, v)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 22,
     "the filter of transformMap() must be a bool, not string"},
    {"Item{sku: 'a', sku: 'b'}", NULL, RULECORE_DIAG_NO_SUCH_FIELD, 1, 16, "field 'sku' is set twice"},
    {"has(m['k'])", NULL, RULECORE_DIAG_BAD_MACRO, 1, 5, "has() takes a field selection such as has(a.b)"},
    {"has(user.age.x)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 5, "has() needs a record or map, not int"},
    {"has(order.items[0])", NULL, RULECORE_DIAG_BAD_MACRO, 1, 5, "has() takes a field selection such as has(a.b)"},
    {"[[]].exists(l, has(l.x))", NULL, RULECORE_DIAG_BAD_MACRO, 1, 20, "has() needs a record or map, not list(dyn)"},
    {"user.tags.all(t.x, true)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 15,
     "the first argument of all() must be a simple name"},
    {"user.tags.exists(.t, true)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 18,
     "the first argument of exists() must be a simple name"},
    {"user.tags.map(1, 2)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 15, "the first argument of map() must be a simple name"},
    {"user.age.all(x, x > 0)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 1, "all() needs a list or a map, not int"},
    {"'abc'.filter(c, c == 'a')", NULL, RULECORE_DIAG_BAD_MACRO, 1, 1, "filter() needs a list or a map, not string"},
    /* Struct construction. */
    {"Itm{sku: 'a'}", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1, "undeclared type 'Itm'"},
    {"Item{sku: 1}", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 11,
     "field 'sku' of Item is string, but the value is int"},
    {"Order{items: [1]}", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 14,
     "field 'items' of Order is list(Item), but the value is list(int)"},
    /* The extension libraries; errors of a namespaced function point at its whole name. */
    {"user.age.charAt(0)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 10,
     "no matching overload for 'charAt' applied to (int, int); overloads: (string, int)"},
    {"1 + math.ceil(1)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 5,
     "no matching overload for 'math.ceil' applied to (int); overloads: (double)"},
    {"math.greatest()", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for 'math.greatest' applied to (); overloads: (int), (uint), (double), (list(int)), "
     "(list(uint)), (list(double))"},
    {"math.least(1, 2, 'a')", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no matching overload for 'math.least' applied to (int, int, string); each argument must be one of: int, "
     "uint, double"},
    {"base64.encode(1, 2, 3, 4, 5)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 1,
     "no function 'base64.encode' takes 5 arguments"},
    {"ip('::1') == cidr('::/0')", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 11,
     "no matching overload for '==' applied to (net.IP, net.CIDR); overloads: (A, A)"},
    {"ip('::1').containsIP('::1')", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 11,
     "no matching overload for 'containsIP' applied to (net.IP, string); overloads: (net.CIDR, net.IP), "
     "(net.CIDR, string)"},
    {"math.nothing(1)", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1, "undeclared reference to 'math'"},
    /* cel.bind and cel.block misused. */
    {"cel.bind(user.age, 1, 2)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 10,
     "the first argument of cel.bind() must be a simple name"},
    {"cel.bind(x, 1, x) + x", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 21, "undeclared reference to 'x'"},
    {"cel.bind(x, x, 1)", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 13, "undeclared reference to 'x'"},
    {"cel.bind(x, 'a', x + 1)", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 20,
     "no matching overload for '+' applied to (string, int); overloads: " ADD_OVERLOADS},
    {"cel.block(user.tags, 1)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 11,
     "the first argument of cel.block() must be a list literal"},
    {"cel.block([1], cel.index(1))", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 16,
     "cel.index(1) names no earlier expression of an enclosing cel.block()"},
    {"cel.block([cel.index(0)], 1)", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 12,
     "cel.index(0) names no earlier expression of an enclosing cel.block()"},
    {"cel.block([1, cel.index(1)], 1)", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 15,
     "cel.index(1) names no earlier expression of an enclosing cel.block()"},
    {"cel.block([1], cel.index(user.age))", NULL, RULECORE_DIAG_BAD_MACRO, 1, 26,
     "cel.index() takes a non-negative int literal"},
    {"cel.block([1], cel.index(-1))", NULL, RULECORE_DIAG_BAD_MACRO, 1, 26,
     "cel.index() takes a non-negative int literal"},
    {"cel.block([1], cel.index(0) + 'a')", NULL, RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 29,
     "no matching overload for '+' applied to (int, string); overloads: " ADD_OVERLOADS},
    {"[1].map(cel.iterVar(0, 0), cel.iterVar(1, 0))", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 28,
     "cel.iterVar(1, 0) names no variable of an enclosing comprehension"},
    {"[1].map(cel.iterVar(0, 1u), 1)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 24,
     "cel.iterVar() takes two non-negative int literals"},
    {"[1].all(cel.iterVar(0, 0), cel.iterVar(0, 0), true)", NULL, RULECORE_DIAG_BAD_MACRO, 1, 28,
     "the second argument of all() must differ from the first"},
    {"cel.index(0)", NULL, RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1,
     "cel.index(0) names no earlier expression of an enclosing cel.block()"},
};

START_TEST(test_check_errors) {
  REQUIRE_ENV();
  const char *src = error_cases[_i].src;
  check_src(&C, ENV, src, error_cases[_i].result_type);
  char where[1100];
  snprintf(where, sizeof where, "%s", show(src, strlen(src)));
  ck_assert_msg(C.parsed, "%s: does not parse: %s", where, diags_of(&C));
  ck_assert_msg(C.status == RULECORE_ERR_SOURCE, "%s: status %d (type %s), want an error", where, C.status, C.type);
  ck_assert_msg(C.count == 1 && C.errors == 1, "%s: %zu diagnostics, want 1: %s", where, C.count, diags_of(&C));
  ck_assert_msg(C.d[0].severity == RULECORE_SEVERITY_ERROR, "%s: severity %d", where, C.d[0].severity);
  ck_assert_msg(C.d[0].code == error_cases[_i].code, "%s: code %d, want %d: %s", where, C.d[0].code,
                error_cases[_i].code, C.d[0].message);
  ck_assert_msg(C.d[0].line == error_cases[_i].line && C.d[0].column == error_cases[_i].column,
                "%s: at %u:%u, want %u:%u", where, C.d[0].line, C.d[0].column, error_cases[_i].line,
                error_cases[_i].column);
  ck_assert_msg(strcmp(C.d[0].message, error_cases[_i].message) == 0, "%s: message \"%s\", want \"%s\"", where,
                C.d[0].message, error_cases[_i].message);
  /* A failed check leaves no type. */
  ck_assert_msg(strcmp(C.type, "(null)") == 0, "%s: type %s after a failed check", where, C.type);
}
END_TEST

/* Several errors in one expression, each once, in source order; an error
 * does not cascade into the expressions built on it. */
static const struct {
  const char *src;
  size_t n;
  struct {
    int code;
    uint32_t line, column;
  } e[4];
} multi_cases[] = {
    {"usr.age > 1 && user.agee == 2 && foo(3)",
     3,
     {{RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1},
      {RULECORE_DIAG_NO_SUCH_FIELD, 1, 21},
      {RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 34}}},
    {"[1 + 'a', user.cty,\n Itm{}, 'x'.matches('(')]",
     4,
     {{RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 4},
      {RULECORE_DIAG_NO_SUCH_FIELD, 1, 16},
      {RULECORE_DIAG_UNDECLARED_REFERENCE, 2, 2},
      {RULECORE_DIAG_BAD_REGEX, 2, 23}}},
    /* Cascades are suppressed: one mistake, one message. */
    {"(nope + 1) * 2", 1, {{RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 2}}},
    {"size(nope.x) > 1 && !nope.y",
     2,
     {{RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 6}, {RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 22}}},
    {"user.agee + 1 == 'a'", 1, {{RULECORE_DIAG_NO_SUCH_FIELD, 1, 6}}},
    {"(1 + 'a').size() > 2 ? nope : [nope][0]", 3,
     {{RULECORE_DIAG_NO_MATCHING_OVERLOAD, 1, 4},
      {RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 24},
      {RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 32}}},
    {"user.age.all(x, x.foo > x.bar)", 1, {{RULECORE_DIAG_BAD_MACRO, 1, 1}}},
    {"nope.map(x, x.y + 1)", 1, {{RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1}}},
    {"Itm{a: nope}", 2, {{RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 1}, {RULECORE_DIAG_UNDECLARED_REFERENCE, 1, 8}}},
};

START_TEST(test_check_several_errors) {
  REQUIRE_ENV();
  const char *src = multi_cases[_i].src;
  check_src(&C, ENV, src, NULL);
  char where[1100];
  snprintf(where, sizeof where, "%s", show(src, strlen(src)));
  ck_assert_msg(C.parsed, "%s: does not parse: %s", where, diags_of(&C));
  ck_assert_int_eq(C.status, RULECORE_ERR_SOURCE);
  ck_assert_msg(C.count == multi_cases[_i].n && C.errors == multi_cases[_i].n, "%s: %zu diagnostics, want %zu: %s",
                where, C.count, multi_cases[_i].n, diags_of(&C));
  for (size_t k = 0; k < C.count; k++)
    ck_assert_msg(C.d[k].code == multi_cases[_i].e[k].code && C.d[k].line == multi_cases[_i].e[k].line &&
                      C.d[k].column == multi_cases[_i].e[k].column,
                  "%s: diagnostic %zu is [%d @%u:%u], want [%d @%u:%u]: %s", where, k, C.d[k].code, C.d[k].line,
                  C.d[k].column, multi_cases[_i].e[k].code, multi_cases[_i].e[k].line, multi_cases[_i].e[k].column,
                  diags_of(&C));
}
END_TEST

/* The error limit applies to the checker too. */
START_TEST(test_check_error_limit) {
  rulecore_env *env = rulecore_env_new();
  rulecore_status set = rulecore_env_set_limit(env, RULECORE_LIMIT_ERRORS, 2);
  const char *src = "a1 + a2 + a3 + a4";
  rulecore_expr *e = NULL;
  rulecore_status parsed = rulecore_parse(env, src, strlen(src), NULL, &e, NULL);
  rulecore_diagnostics *d = NULL;
  memset(&C, 0, sizeof C);
  C.status = rulecore_check(env, e, NULL, &d);
  copy_diags(&C, d);
  rulecore_diagnostics_free(d);
  rulecore_expr_free(e);
  rulecore_env_free(env);
  ck_assert_int_eq(set, RULECORE_OK);
  ck_assert_int_eq(parsed, RULECORE_OK);
  ck_assert_int_eq(C.status, RULECORE_ERR_SOURCE);
  ck_assert_msg(C.errors == 2 && C.count == 3, "%zu errors, %zu diagnostics: %s", C.errors, C.count, diags_of(&C));
  ck_assert_int_eq(C.d[0].column, 1);
  ck_assert_int_eq(C.d[1].column, 6);
  ck_assert_int_eq(C.d[2].code, RULECORE_DIAG_TOO_MANY_ERRORS);
  ck_assert_int_eq(C.d[2].severity, RULECORE_SEVERITY_NOTE);
}
END_TEST

/* ---- rulecore_check: the required result type ---- */

static const struct {
  const char *src, *result_type;
  const char *type; /* the checked type when it fits */
} result_ok_cases[] = {
    {"user.age > 1", "bool", "bool"},
    {"dyn(1)", "bool", "dyn"},
    {"1", "dyn", "int"},
    {"[]", "list(int)", "list(int)"},
    {"{}", "map(string, Item)", "map(string, Item)"},
    {"user", "user", "user"},
    {"order.items", "list(Item)", "list(Item)"},
    {"order.items", "list(dyn)", "list(Item)"},
    {"m", "map(string, int)", "map(string, int)"},
    {"type(1)", "type(int)", "type(int)"},
    {" a.b ", "int", "int"},
    {"[].map(x, x)", "list(string)", "list(string)"},
};

START_TEST(test_check_result_type_ok) {
  REQUIRE_ENV();
  const char *src = result_ok_cases[_i].src;
  check_src(&C, ENV, src, result_ok_cases[_i].result_type);
  ck_assert_msg(C.status == RULECORE_OK && C.count == 0, "%s as %s: status %d: %s", src,
                result_ok_cases[_i].result_type, C.status, diags_of(&C));
  ck_assert_msg(strcmp(C.type, result_ok_cases[_i].type) == 0, "%s as %s: type %s, want %s", src,
                result_ok_cases[_i].result_type, C.type, result_ok_cases[_i].type);
}
END_TEST

/* A result type that is not a type is reported without a position. */
static const struct {
  const char *result_type;
  const char *message; /* exact, or a prefix when it ends in "..." */
} result_bad_cases[] = {
    {"strin", "required result type 'strin': unknown type 'strin'; did you mean 'string'?"},
    {"Itme", "required result type 'Itme': unknown type 'Itme'; did you mean 'Item'?"},
    {"list(Nope)", "required result type 'list(Nope)': unknown type 'Nope'"},
    {"list", "required result type 'list': 'list' needs type arguments: list(T)"},
    {"set(int)",
     "required result type 'set(int)': unknown type constructor 'set' (expected list(T), map(K, V) or type(T))"},
    {"list(", "required result type 'list(': bad type syntax: ..."},
    {"A", "required result type 'A': unknown type 'A'"},
};

START_TEST(test_check_result_type_bad) {
  REQUIRE_ENV();
  const char *want = result_bad_cases[_i].message;
  check_src(&C, ENV, "true", result_bad_cases[_i].result_type);
  ck_assert_int_eq(C.status, RULECORE_ERR_SOURCE);
  ck_assert_msg(C.count == 1, "%zu diagnostics: %s", C.count, diags_of(&C));
  ck_assert_int_eq(C.d[0].code, RULECORE_DIAG_UNDECLARED_REFERENCE);
  ck_assert_int_eq(C.d[0].line, 0);
  ck_assert_int_eq(C.d[0].column, 0);
  size_t n = strlen(want);
  if (n > 3 && strcmp(want + n - 3, "...") == 0)
    ck_assert_msg(strncmp(C.d[0].message, want, n - 3) == 0, "message \"%s\", want \"%s\"", C.d[0].message, want);
  else
    ck_assert_msg(strcmp(C.d[0].message, want) == 0, "message \"%s\", want \"%s\"", C.d[0].message, want);
  ck_assert_str_eq(C.type, "(null)");
}
END_TEST

/* ---- rulecore_check: arguments, repetition, no schema ---- */

START_TEST(test_check_null_expr) {
  rulecore_diagnostics *d = (rulecore_diagnostics *)&C; /* anything not NULL */
  rulecore_status st = rulecore_check(NULL, NULL, NULL, &d);
  ck_assert_int_eq(st, RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(d);
  ck_assert_int_eq(rulecore_check(NULL, NULL, "bool", NULL), RULECORE_ERR_ARGUMENT);
  ck_assert_ptr_null(rulecore_expr_type(NULL));
}
END_TEST

/* An expression has no type until it is checked, and loses it when a
 * check fails. */
START_TEST(test_check_type_before) {
  REQUIRE_ENV();
  rulecore_expr *e = NULL;
  rulecore_status parsed = rulecore_parse(ENV, "user.age", 8, NULL, &e, NULL);
  bool before_null = rulecore_expr_type(e) == NULL;
  rulecore_status ok = rulecore_check(ENV, e, NULL, NULL);
  char after[64];
  snap_copy(after, sizeof after, rulecore_expr_type(e));
  rulecore_status bad = rulecore_check(ENV, e, "string", NULL);
  bool failed_null = rulecore_expr_type(e) == NULL;
  rulecore_expr_free(e);
  ck_assert_int_eq(parsed, RULECORE_OK);
  ck_assert_msg(before_null, "an unchecked expression has a type");
  ck_assert_int_eq(ok, RULECORE_OK);
  ck_assert_str_eq(after, "int");
  ck_assert_int_eq(bad, RULECORE_ERR_SOURCE);
  ck_assert_msg(failed_null, "a failed check left a type");
}
END_TEST

static const char *const twice_cases[] = {
    "order.items.map(i, i.qty)",
    "[[], [1]]",
    "[].map(x, x)",
    "m.filter(k, k.startsWith('a')).size() + a.b",
    "Item{sku: 'a'}.sku",
    "type([1, 'a'])",
    "dyn(1) + dyn(2)",
};

/* Checking twice gives the same type and the same (empty) diagnostics;
 * under valgrind, leaks nothing. */
START_TEST(test_check_twice) {
  REQUIRE_ENV();
  const char *src = twice_cases[_i];
  rulecore_expr *e = NULL;
  rulecore_status parsed = rulecore_parse(ENV, src, strlen(src), NULL, &e, NULL);
  rulecore_diagnostics *d1 = NULL, *d2 = NULL;
  rulecore_status st1 = rulecore_check(ENV, e, NULL, &d1);
  char t1[128];
  snap_copy(t1, sizeof t1, rulecore_expr_type(e));
  rulecore_status st2 = rulecore_check(ENV, e, NULL, &d2);
  char t2[128];
  snap_copy(t2, sizeof t2, rulecore_expr_type(e));
  size_t n1 = rulecore_diagnostics_count(d1), n2 = rulecore_diagnostics_count(d2);
  rulecore_diagnostics_free(d1);
  rulecore_diagnostics_free(d2);
  rulecore_expr_free(e);
  ck_assert_int_eq(parsed, RULECORE_OK);
  ck_assert_int_eq(st1, RULECORE_OK);
  ck_assert_int_eq(st2, RULECORE_OK);
  ck_assert_uint_eq(n1, 0);
  ck_assert_uint_eq(n2, 0);
  ck_assert_msg(strcmp(t1, t2) == 0, "%s: first %s, then %s", src, t1, t2);
}
END_TEST

/* An error checked twice is reported the same way twice. */
START_TEST(test_check_twice_error) {
  REQUIRE_ENV();
  const char *src = "usr.age + [].map(x, x.y)[0]";
  rulecore_expr *e = NULL;
  rulecore_parse(ENV, src, strlen(src), NULL, &e, NULL);
  static checked first, second;
  memset(&first, 0, sizeof first);
  memset(&second, 0, sizeof second);
  first.parsed = second.parsed = true;
  rulecore_diagnostics *d = NULL;
  first.status = rulecore_check(ENV, e, NULL, &d);
  copy_diags(&first, d);
  rulecore_diagnostics_free(d);
  second.status = rulecore_check(ENV, e, NULL, &d);
  copy_diags(&second, d);
  rulecore_diagnostics_free(d);
  rulecore_expr_free(e);
  ck_assert_int_eq(first.status, RULECORE_ERR_SOURCE);
  ck_assert_int_eq(second.status, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(first.count, 1);
  ck_assert_uint_eq(second.count, 1);
  ck_assert_str_eq(first.d[0].message, second.d[0].message);
  ck_assert_int_eq(first.d[0].column, second.d[0].column);
}
END_TEST

static rulecore_env *env_with(const char *name1, const char *type1, const char *name2, const char *type2);

/* One schema declaring x with the given type, in a new environment. */
static rulecore_env *env_with_x(const char *type) { return env_with("x", type, NULL, NULL); }

/* Checking again against another schema replaces the types; the
 * expression keeps the schema it was checked against alive. */
START_TEST(test_check_other_schema) {
  rulecore_env *e1 = env_with_x("int"), *e2 = env_with_x("list(string)");
  rulecore_expr *e = NULL;
  rulecore_status parsed = rulecore_parse(NULL, "x", 1, NULL, &e, NULL);
  rulecore_status st0 = rulecore_check(NULL, e, NULL, NULL);
  rulecore_status st1 = rulecore_check(e1, e, NULL, NULL);
  char t1[64];
  snap_copy(t1, sizeof t1, rulecore_expr_type(e));
  rulecore_status st2 = rulecore_check(e2, e, NULL, NULL);
  rulecore_env_free(e1);
  rulecore_env_free(e2); /* the expression still holds the schema */
  char t2[64];
  snap_copy(t2, sizeof t2, rulecore_expr_type(e));
  rulecore_expr_free(e);
  ck_assert_int_eq(parsed, RULECORE_OK);
  ck_assert_int_eq(st0, RULECORE_ERR_SOURCE);
  ck_assert_int_eq(st1, RULECORE_OK);
  ck_assert_str_eq(t1, "int");
  ck_assert_int_eq(st2, RULECORE_OK);
  ck_assert_str_eq(t2, "list(string)");
}
END_TEST

static const struct {
  const char *src, *type;
} no_schema_ok[] = {
    {"1 + 2", "int"},
    {"[1, 'a']", "list(dyn)"},
    {"{'a': [1.5]}", "map(string, list(double))"},
    {"size('abc') > 1 ? b'x' : b''", "bytes"},
    {"[1, 2].map(x, x * 2)", "list(int)"},
    {"type(null) == null_type", "bool"},
    {TS " + " DUR, "timestamp"},
    {"int", "type(int)"},
};

/* Without a schema (env NULL, or an environment without one), literals
 * and functions check, and every variable is undeclared. */
START_TEST(test_check_no_schema_ok) {
  const char *src = no_schema_ok[_i].src;
  check_src(&C, NULL, src, NULL);
  ck_assert_msg(C.status == RULECORE_OK, "%s: status %d: %s", src, C.status, diags_of(&C));
  ck_assert_msg(strcmp(C.type, no_schema_ok[_i].type) == 0, "%s: type %s, want %s", src, C.type,
                no_schema_ok[_i].type);
  rulecore_env *env = rulecore_env_new();
  check_src(&C, env, src, NULL);
  rulecore_env_free(env);
  ck_assert_msg(C.status == RULECORE_OK, "%s (empty env): status %d: %s", src, C.status, diags_of(&C));
  ck_assert_str_eq(C.type, no_schema_ok[_i].type);
}
END_TEST

static const struct {
  const char *src;
  int code;
  uint32_t column;
  const char *message;
} no_schema_errors[] = {
    {"user.age > 18", RULECORE_DIAG_UNDECLARED_REFERENCE, 1, "undeclared reference to 'user'"},
    {"1 + x", RULECORE_DIAG_UNDECLARED_REFERENCE, 5, "undeclared reference to 'x'"},
    /* dyn converts and declares; it is no type value (conformance:
     * conversions/type/dyn_no_denotation). */
    {"1 + dyn", RULECORE_DIAG_UNDECLARED_REFERENCE, 5, "undeclared reference to 'dyn'"},
    {".a.b", RULECORE_DIAG_UNDECLARED_REFERENCE, 1, "undeclared reference to 'a'"},
    {"Item{}", RULECORE_DIAG_UNDECLARED_REFERENCE, 1, "undeclared type 'Item'"},
    /* One letter is one edit from any other: no suggestion. */
    {"[1].map(x, y)", RULECORE_DIAG_UNDECLARED_REFERENCE, 12, "undeclared reference to 'y'"},
};

START_TEST(test_check_no_schema_errors) {
  const char *src = no_schema_errors[_i].src;
  check_src(&C, NULL, src, NULL);
  ck_assert_msg(C.parsed, "%s does not parse", src);
  ck_assert_int_eq(C.status, RULECORE_ERR_SOURCE);
  ck_assert_msg(C.count == 1, "%s: %zu diagnostics: %s", src, C.count, diags_of(&C));
  ck_assert_int_eq(C.d[0].code, no_schema_errors[_i].code);
  ck_assert_int_eq(C.d[0].line, 1);
  ck_assert_int_eq(C.d[0].column, no_schema_errors[_i].column);
  ck_assert_str_eq(C.d[0].message, no_schema_errors[_i].message);
  /* A required result type naming a record needs a schema. */
  check_src(&C, NULL, "1", "user");
  ck_assert_int_eq(C.status, RULECORE_ERR_SOURCE);
  ck_assert_str_eq(C.d[0].message, "required result type 'user': unknown type 'user'");
}
END_TEST

/* A schema that does not freeze is refused by the environment, which
 * keeps checking as before. */
START_TEST(test_check_bad_schema) {
  rulecore_schema *s = rulecore_schema_new();
  rulecore_schema_add_variable(s, "x", "lst(int)");
  rulecore_env *env = rulecore_env_new();
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_env_set_schema(env, s, &d);
  size_t n = rulecore_diagnostics_count(d);
  int code = rulecore_diagnostics_code(d, 0);
  rulecore_diagnostics_free(d);
  rulecore_schema_free(s);
  check_src(&C, env, "x", NULL);
  rulecore_env_free(env);
  ck_assert_int_eq(st, RULECORE_ERR_SOURCE);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(code, RULECORE_DIAG_SCHEMA_UNKNOWN_TYPE);
  ck_assert_int_eq(C.status, RULECORE_ERR_SOURCE);
  ck_assert_str_eq(C.d[0].message, "undeclared reference to 'x'");
}
END_TEST

/* The checker annotates the tree and leaves its syntax alone: the tree
 * renders the same after checking, and a qualified name resolved against
 * one schema (the variable `a.b`) is resolved afresh against another (a
 * map `a` with a key b). */
static const char *const syntax_kept_cases[] = {
    "a.b + 1",
    ".a.b",
    "a.b.c",
    "order.items.map(i, i.qty)",
    "has(user.city) && m.k > 0",
    "Item{sku: 'a'}.sku",
};

START_TEST(test_check_keeps_syntax) {
  REQUIRE_ENV();
  const char *src = syntax_kept_cases[_i];
  static char before[SNAP_TEXT], after[SNAP_TEXT];
  rulecore_expr *e = NULL;
  rulecore_status parsed = rulecore_parse(ENV, src, strlen(src), NULL, &e, NULL);
  char *z = rulecore_expr_render(e, RULECORE_FORMAT_SEXP);
  snap_copy(before, sizeof before, z);
  rulecore_free(z);
  rulecore_check(ENV, e, NULL, NULL);
  z = rulecore_expr_render(e, RULECORE_FORMAT_SEXP);
  snap_copy(after, sizeof after, z);
  rulecore_free(z);
  rulecore_expr_free(e);
  ck_assert_int_eq(parsed, RULECORE_OK);
  ck_assert_msg(strcmp(before, after) == 0, "%s: the tree changed: %s", src, show(after, strlen(after)));
}
END_TEST

/* An environment whose schema declares name1: type1 (and name2: type2). */
static rulecore_env *env_with(const char *name1, const char *type1, const char *name2, const char *type2) {
  rulecore_schema *s = rulecore_schema_new();
  rulecore_env *env = rulecore_env_new();
  rulecore_schema_add_variable(s, name1, type1);
  if (name2) rulecore_schema_add_variable(s, name2, type2);
  rulecore_status st = rulecore_env_set_schema(env, s, NULL);
  rulecore_schema_free(s);
  if (st != RULECORE_OK) {
    rulecore_env_free(env);
    return NULL;
  }
  return env;
}

START_TEST(test_check_qualified_other_schema) {
  rulecore_env *qualified = env_with("a.b", "int", NULL, NULL);
  rulecore_env *map = env_with("a", "map(string, string)", NULL, NULL);
  rulecore_expr *e = NULL;
  rulecore_status parsed = rulecore_parse(NULL, "a.b", 3, NULL, &e, NULL);
  static checked runs[3];
  rulecore_env *order[3] = {map, qualified, map};
  for (int i = 0; i < 3; i++) {
    rulecore_diagnostics *d = NULL;
    memset(&runs[i], 0, sizeof runs[i]);
    runs[i].parsed = true;
    runs[i].status = rulecore_check(order[i], e, NULL, &d);
    snap_copy(runs[i].type, sizeof runs[i].type, rulecore_expr_type(e));
    copy_diags(&runs[i], d);
    rulecore_diagnostics_free(d);
  }
  rulecore_expr_free(e);
  rulecore_env_free(qualified);
  rulecore_env_free(map);
  ck_assert_int_eq(parsed, RULECORE_OK);
  ck_assert_msg(runs[0].status == RULECORE_OK && strcmp(runs[0].type, "string") == 0, "map a: %s %s", runs[0].type,
                diags_of(&runs[0]));
  ck_assert_msg(runs[1].status == RULECORE_OK && strcmp(runs[1].type, "int") == 0, "variable a.b: %s %s",
                runs[1].type, diags_of(&runs[1]));
  ck_assert_msg(runs[2].status == RULECORE_OK && strcmp(runs[2].type, "string") == 0, "map a again: %s %s",
                runs[2].type, diags_of(&runs[2]));
}
END_TEST

/* `math.greatest(1, 2)` calls the namespaced function, unless a variable
 * named math is declared: then it is a method call on the variable.
 * Checking again against another schema decides again. */
START_TEST(test_check_namespace_or_variable) {
  rulecore_env *plain = env_with("y", "int", NULL, NULL);
  rulecore_env *var = env_with("math", "map(string, int)", NULL, NULL);
  rulecore_expr *e = NULL;
  const char *src = "math.greatest(1, 2)";
  rulecore_status parsed = rulecore_parse(NULL, src, strlen(src), NULL, &e, NULL);
  static checked runs[3];
  rulecore_env *order[3] = {plain, var, plain};
  for (int i = 0; i < 3; i++) {
    rulecore_diagnostics *d = NULL;
    memset(&runs[i], 0, sizeof runs[i]);
    runs[i].parsed = true;
    runs[i].status = rulecore_check(order[i], e, NULL, &d);
    snap_copy(runs[i].type, sizeof runs[i].type, rulecore_expr_type(e));
    copy_diags(&runs[i], d);
    rulecore_diagnostics_free(d);
  }
  rulecore_expr_free(e);
  rulecore_env_free(plain);
  rulecore_env_free(var);
  ck_assert_int_eq(parsed, RULECORE_OK);
  ck_assert_msg(runs[0].status == RULECORE_OK && strcmp(runs[0].type, "int") == 0, "no variable: %s %s",
                runs[0].type, diags_of(&runs[0]));
  ck_assert_msg(runs[1].status == RULECORE_ERR_SOURCE && runs[1].count == 1 &&
                    strcmp(runs[1].d[0].message, "undeclared reference to function 'greatest'") == 0,
                "variable math: %s %s", runs[1].type, diags_of(&runs[1]));
  ck_assert_msg(runs[2].status == RULECORE_OK && strcmp(runs[2].type, "int") == 0, "no variable again: %s %s",
                runs[2].type, diags_of(&runs[2]));
}
END_TEST

/* ---- rulecore_check: cost grows linearly with the expression ---- */

/* Bytes requested through the allocator hook. */
static size_t hook_bytes;

static void *counting_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  if (n == 0) {
    free(p);
    return NULL;
  }
  hook_bytes += n;
  return realloc(p, n);
}

/* Bytes the checker requests for a list literal of n copies of item, or
 * 0 when it does not parse or check. */
static size_t check_bytes(const char *item, size_t n) {
  size_t len = strlen(item);
  char *src = malloc(n * (len + 2) + 2);
  if (!src) return 0;
  size_t k = 0;
  src[k++] = '[';
  for (size_t i = 0; i < n; i++) {
    if (i) src[k++] = ',';
    memcpy(src + k, item, len);
    k += len;
  }
  src[k++] = ']';
  rulecore_expr *e = NULL;
  rulecore_status st = rulecore_parse(NULL, src, k, NULL, &e, NULL);
  free(src);
  hook_bytes = 0;
  if (st == RULECORE_OK) st = rulecore_check(NULL, e, NULL, NULL);
  size_t bytes = hook_bytes;
  rulecore_expr_free(e);
  return st == RULECORE_OK ? bytes : 0;
}

static const char *const cost_items[] = {"1", "[]", "{}", "1 == 1", "dyn(1) + dyn(2)", "[1].map(x, x)"};

/* Four times the elements may cost four times the memory traffic, not
 * sixteen: an input inside the default limits must not take the checker
 * quadratic time (a 200 KB list of empty lists took 20 s). */
START_TEST(test_check_cost_linear) {
  const char *item = cost_items[_i];
  rulecore_set_allocator(counting_realloc, NULL);
  check_bytes(item, 10); /* first uses build process-wide tables: not counted */
  size_t small = check_bytes(item, 500), large = check_bytes(item, 2000);
  rulecore_set_allocator(NULL, NULL);
  ck_assert_msg(small > 0 && large > 0, "[%s, ...] does not check", item);
  ck_assert_msg(large < 8 * small, "[%s, ...]: checking 500 elements requests %zu bytes, 2000 elements %zu (x%.1f)",
                item, small, large, (double)large / (double)small);
}
END_TEST

Suite *suite_check(void) {
  Suite *s = suite_create("check");
  TCase *tc;

  tc = tcase_create("rulecore_check");
  tcase_add_unchecked_fixture(tc, env_setup, env_teardown);
  tcase_add_loop_test(tc, test_check_types, 0, (int)LEN(type_cases));
  tcase_add_loop_test(tc, test_check_errors, 0, (int)LEN(error_cases));
  tcase_add_loop_test(tc, test_check_several_errors, 0, (int)LEN(multi_cases));
  tcase_add_test(tc, test_check_error_limit);
  tcase_add_loop_test(tc, test_check_result_type_ok, 0, (int)LEN(result_ok_cases));
  tcase_add_loop_test(tc, test_check_result_type_bad, 0, (int)LEN(result_bad_cases));
  tcase_add_test(tc, test_check_null_expr);
  tcase_add_loop_test(tc, test_check_twice, 0, (int)LEN(twice_cases));
  tcase_add_test(tc, test_check_twice_error);
  tcase_add_test(tc, test_check_other_schema);
  tcase_add_loop_test(tc, test_check_no_schema_ok, 0, (int)LEN(no_schema_ok));
  tcase_add_loop_test(tc, test_check_no_schema_errors, 0, (int)LEN(no_schema_errors));
  tcase_add_test(tc, test_check_bad_schema);
  tcase_add_loop_test(tc, test_check_keeps_syntax, 0, (int)LEN(syntax_kept_cases));
  tcase_add_test(tc, test_check_qualified_other_schema);
  tcase_add_test(tc, test_check_namespace_or_variable);
  suite_add_tcase(s, tc);

  /* The allocator hook is process-wide: no fixture object may live. */
  tc = tcase_create("rulecore_check_cost");
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, test_check_cost_linear, 0, (int)LEN(cost_items));
  suite_add_tcase(s, tc);

  tc = tcase_create("rulecore_expr_type");
  tcase_add_unchecked_fixture(tc, env_setup, env_teardown);
  tcase_add_test(tc, test_check_type_before);
  suite_add_tcase(s, tc);

  return s;
}

int main(void) { return check_main(suite_check()); }
