/*
 * luahost.c: rule files run in a sandboxed Lua 5.4 state (see ruleset.h).
 *
 * The sandbox: a fresh state per load, with the base library (without
 * dofile, loadfile, load, require, collectgarbage and print), string
 * (without the pattern functions, whose backtracking the instruction count
 * cannot stop, and dump), table, math and utf8; no io, os, debug, package
 * or coroutine.  Chunks load as text only.  `include` runs a file of the
 * ruleset's own directory (never outside it, symbolic links included).
 * Memory is capped by the allocator and instructions by a count hook.
 *
 * The declaration functions (schema, decision, rule, validation, test,
 * include, quote, null) record into the builder and report misuse as
 * diagnostics without raising Lua errors, so one load reports every
 * problem.  Each CEL string is matched to the string literal it was
 * written as, so diagnostics point into the rule file; the literals of a
 * file come from a small lexer of Lua's string and comment syntax.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "literal.h"
#include "ruleset.h"
#include "suggest.h"
#include "value.h"

#define MAX_FILE_BYTES (16u << 20)
#define MAX_JSON_DEPTH 64
#define HOOK_EVERY 1000

typedef struct host {
  rs_builder *b;
  rulecore_diagnostics *d;
  const luahost_limits *lim;
  uint64_t mem_used;
  uint64_t instructions;
  bool mem_hit, instr_hit;
  bool oom;          /* the library's own allocations failed */
  char *rootreal;    /* realpath of the ruleset directory */
  uint32_t running;  /* the file being run at top level */
  uint32_t *including; /* include stack: files being run */
  uint32_t ninc, capinc;
  uint32_t rule_order;
} host;

static const char null_key = 0; /* &null_key: the `null` sentinel */
static const char rule_meta[] = "rulecore.rule";

/* ---- vectors, reports ---- */

bool rs_grow(void **items, uint32_t *cap, size_t size) {
  uint32_t n = *cap ? *cap * 2 : 8;
  void *p = mem_realloc(*items, (size_t)n * size);
  if (!p) return false;
  *items = p;
  *cap = n;
  return true;
}

void rs_builder_release(rs_builder *b) {
  for (uint32_t i = 0; i < b->files.n; i++) {
    src_release(&b->files.items[i].src);
    mem_free(b->files.items[i].text);
  }
  mem_free(b->files.items);
  for (uint32_t i = 0; i < b->decisions.n; i++) mem_free(b->decisions.items[i].rules);
  mem_free(b->decisions.items);
  mem_free(b->rules.items);
  mem_free(b->validations.items);
  for (uint32_t i = 0; i < b->tests.n; i++) {
    mem_free(b->tests.items[i].context);
    mem_free(b->tests.items[i].expect);
  }
  mem_free(b->tests.items);
  mem_free(b->schema_json);
  arena_release(&b->arena);
  memset(b, 0, sizeof *b);
}

bool rs_report(rs_builder *b, rulecore_diagnostics *d, const rs_loc *loc, int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!loc || loc->file >= b->files.n) return diag_add_at(d, NULL, RULECORE_SEVERITY_ERROR, code, "%s", msg);
  const rs_file *f = &b->files.items[loc->file];
  if (!loc->line) {
    diag_loc at = {.file = f->path};
    return diag_add_at(d, &at, RULECORE_SEVERITY_ERROR, code, "%s", msg);
  }
  return diag_add(d, &f->src, RULECORE_SEVERITY_ERROR, code, loc->offset, loc->length, "%s", msg);
}

static char *bstrdup(host *h, const char *s, size_t n) {
  char *z = arena_strndup(&h->b->arena, s, n);
  if (!z) h->oom = true;
  return z;
}

/* ---- the string literals of a Lua file ---- */

/* Whether s[i..] opens a long bracket [=*[: its level, else -1. */
static int long_open(const char *s, size_t n, size_t i) {
  if (i >= n || s[i] != '[') return -1;
  size_t j = i + 1;
  while (j < n && s[j] == '=') j++;
  return j < n && s[j] == '[' ? (int)(j - i - 1) : -1;
}

/* The end of the long bracket of level lv whose content starts at i: the
 * offset of its closing ']', or n when unterminated. */
static size_t long_close(const char *s, size_t n, size_t i, int lv) {
  for (; i < n; i++) {
    if (s[i] != ']') continue;
    size_t j = i + 1;
    while (j < n && s[j] == '=') j++;
    if ((int)(j - i - 1) == lv && j < n && s[j] == ']') return i;
  }
  return n;
}

static int hexval(int c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Append one decoded byte and its source offset. */
typedef struct lexbuf {
  buf text;
  uint32_t *map;
  size_t n, cap;
  bool oom;
} lexbuf;

static void lex_put(lexbuf *lb, char c, size_t at) {
  if (lb->n + 2 > lb->cap) {
    size_t cap = lb->cap ? lb->cap * 2 : 64;
    uint32_t *m = mem_realloc(lb->map, cap * sizeof *m);
    if (!m) {
      lb->oom = true;
      return;
    }
    lb->map = m;
    lb->cap = cap;
  }
  lb->map[lb->n++] = (uint32_t)at;
  buf_putc(&lb->text, c);
}

/* Decode the short string whose opening quote is at s[i]; returns the
 * offset after it.  false in *ok when it is malformed (then Lua reports
 * it). */
static size_t lex_short(lexbuf *lb, const char *s, size_t n, size_t i, bool *ok) {
  char q = s[i++];
  *ok = true;
  while (i < n && s[i] != q) {
    size_t at = i;
    if (s[i] == '\n' || s[i] == '\r') break;
    if (s[i] != '\\') {
      lex_put(lb, s[i++], at);
      continue;
    }
    i++;
    if (i >= n) break;
    char c = s[i];
    const char *simple = strchr("abfnrtv\\\"'", c);
    if (simple && c) {
      static const char out[] = "\a\b\f\n\r\t\v\\\"'";
      lex_put(lb, out[simple - "abfnrtv\\\"'"], at);
      i++;
    } else if (c == '\n' || c == '\r') {
      i++;
      if (i < n && (s[i] == '\n' || s[i] == '\r') && s[i] != c) i++;
      lex_put(lb, '\n', at);
    } else if (c == 'x') {
      int a = i + 1 < n ? hexval(s[i + 1]) : -1, b2 = i + 2 < n ? hexval(s[i + 2]) : -1;
      if (a < 0 || b2 < 0) {
        *ok = false;
        return i;
      }
      lex_put(lb, (char)(a * 16 + b2), at);
      i += 3;
    } else if (c == 'z') {
      i++;
      while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v'))
        i++;
    } else if (c >= '0' && c <= '9') {
      int v = 0, k = 0;
      while (k < 3 && i < n && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0'), k++;
      if (v > 255) {
        *ok = false;
        return i;
      }
      lex_put(lb, (char)v, at);
    } else if (c == 'u') {
      i++;
      if (i >= n || s[i] != '{') {
        *ok = false;
        return i;
      }
      uint32_t cp = 0;
      i++;
      while (i < n && hexval(s[i]) >= 0 && cp < 0x80000000u) cp = cp * 16 + (uint32_t)hexval(s[i++]);
      if (i >= n || s[i] != '}') {
        *ok = false;
        return i;
      }
      i++;
      buf tmp = {0};
      lit_put_utf8(&tmp, cp);
      for (size_t k2 = 0; k2 < tmp.len; k2++) lex_put(lb, tmp.data[k2], at);
      buf_release(&tmp);
    } else {
      *ok = false;
      return i;
    }
  }
  if (i >= n || s[i] != q) *ok = false;
  return i + 1;
}

/* Decode a long string's content s[i..end): Lua drops a newline right
 * after the opening bracket and reads every newline sequence as '\n'. */
static void lex_long(lexbuf *lb, const char *s, size_t i, size_t end) {
  if (i < end && (s[i] == '\n' || s[i] == '\r')) {
    char c = s[i++];
    if (i < end && (s[i] == '\n' || s[i] == '\r') && s[i] != c) i++;
  }
  while (i < end) {
    size_t at = i;
    if (s[i] == '\n' || s[i] == '\r') {
      char c = s[i++];
      if (i < end && (s[i] == '\n' || s[i] == '\r') && s[i] != c) i++;
      lex_put(lb, '\n', at);
    } else {
      lex_put(lb, s[i++], at);
    }
  }
}

/* Literals by (length, text), then offset. */
static int cmp_text(uint32_t len, const char *text, const rs_literal *l) {
  if (len != l->len) return len < l->len ? -1 : 1;
  return memcmp(text, l->text, len);
}
static int cmp_lit_text(const void *a, const void *b) {
  const rs_literal *x = *(rs_literal *const *)a, *y = *(rs_literal *const *)b;
  int c = cmp_text(x->len, x->text, y);
  if (c) return c;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

typedef RS_VEC(rs_literal) lit_vec;

/* Record the literal decoded into lb (then emptied), whose closing
 * delimiter is at end. */
static bool lex_keep(host *h, lit_vec *v, lexbuf *lb, size_t end) {
  if (lb->oom || lb->text.oom) return false;
  rs_literal *l = RS_PUSH(*v);
  if (!l) return false;
  memset(l, 0, sizeof *l);
  l->len = (uint32_t)lb->n;
  l->text = bstrdup(h, lb->text.data ? lb->text.data : "", lb->text.len);
  l->offset = lb->n ? lb->map[0] : 0;
  bool identity = true;
  for (size_t k = 0; k < lb->n; k++)
    if (lb->map[k] != l->offset + k) identity = false;
  if (!identity) {
    uint32_t *m = arena_alloc(&h->b->arena, (lb->n + 1) * sizeof *m);
    if (!m) return false;
    memcpy(m, lb->map, lb->n * sizeof *m);
    m[lb->n] = (uint32_t)end;
    l->map = m;
  }
  lb->n = 0;
  lb->text.len = 0;
  return l->text != NULL;
}

/* Index the string literals of f.  An empty literal has no content byte:
 * its offset is that of its closing delimiter. */
static bool lex_file(host *h, rs_file *f) {
  const char *s = f->text;
  size_t n = f->len, i = 0;
  lit_vec v = {0};
  lexbuf lb = {0};
  bool ok = true;
  if (n >= 1 && s[0] == '#') /* a shebang line, as luaL_loadfile skips it (we don't, but be kind) */
    while (i < n && s[i] != '\n') i++;
  while (i < n && ok) {
    char c = s[i];
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      int lv = long_open(s, n, i + 2);
      if (lv >= 0) {
        size_t end = long_close(s, n, i + 2 + (size_t)lv + 2, lv);
        i = end + (size_t)lv + 2;
      } else {
        while (i < n && s[i] != '\n') i++;
      }
    } else if (c == '"' || c == '\'') {
      bool good;
      size_t start = i;
      size_t next = lex_short(&lb, s, n, i, &good);
      if (good) {
        ok = lex_keep(h, &v, &lb, next - 1);
        if (ok && v.items[v.n - 1].len == 0) v.items[v.n - 1].offset = (uint32_t)(start + 1);
      }
      lb.n = 0;
      lb.text.len = 0;
      i = next;
    } else if (c == '[' && long_open(s, n, i) >= 0) {
      int lv = long_open(s, n, i);
      size_t content = i + (size_t)lv + 2;
      size_t end = long_close(s, n, content, lv);
      lex_long(&lb, s, content, end);
      if (end < n) {
        ok = lex_keep(h, &v, &lb, end);
        if (ok && v.items[v.n - 1].len == 0) v.items[v.n - 1].offset = (uint32_t)end;
      }
      lb.n = 0;
      lb.text.len = 0;
      i = end + (size_t)lv + 2;
    } else {
      i++;
    }
  }
  buf_release(&lb.text);
  mem_free(lb.map);
  if (!ok || lb.oom) {
    mem_free(v.items);
    return false;
  }
  /* into the arena, so the builder owns one block per file */
  f->lits = v.n ? arena_alloc(&h->b->arena, v.n * sizeof *f->lits) : NULL;
  if (v.n && !f->lits) {
    mem_free(v.items);
    return false;
  }
  if (v.n) memcpy(f->lits, v.items, v.n * sizeof *f->lits);
  f->nlits = v.n;
  mem_free(v.items);
  f->lits_by_text = v.n ? arena_alloc(&h->b->arena, v.n * sizeof *f->lits_by_text) : NULL;
  if (v.n && !f->lits_by_text) return false;
  for (uint32_t k = 0; k < f->nlits; k++) f->lits_by_text[k] = &f->lits[k];
  if (f->nlits) qsort(f->lits_by_text, f->nlits, sizeof *f->lits_by_text, cmp_lit_text);
  return true;
}

/* ---- files ---- */

static bool bad_rel(const char *rel) {
  if (!*rel || rel[0] == '/' || strchr(rel, '\\')) return true;
  for (const char *p = rel; *p;) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 0 || (n == 2 && p[0] == '.' && p[1] == '.')) return true;
    p += n + (e ? 1 : 0);
  }
  return false;
}

static int64_t read_file(host *h, const char *rel, bool lua, const char **why) {
  rs_builder *b = h->b;
  for (uint32_t i = 0; i < b->files.n; i++)
    if (strcmp(b->files.items[i].rel, rel) == 0) return i;
  if (bad_rel(rel)) {
    *why = "a path relative to the ruleset's directory, without '..', is required";
    return -1;
  }
  size_t rl = strlen(b->root);
  char *path = arena_alloc(&b->arena, rl + strlen(rel) + 2);
  if (!path) {
    h->oom = true;
    *why = "out of memory";
    return -1;
  }
  sprintf(path, "%s%s%s", b->root, rl && b->root[rl - 1] == '/' ? "" : "/", rel);
  char real[PATH_MAX];
  if (!realpath(path, real)) {
    *why = errno == ENOENT ? "no such file" : strerror(errno);
    return -1;
  }
  size_t n = strlen(h->rootreal);
  if (strncmp(real, h->rootreal, n) != 0 || real[n] != '/') {
    *why = "it leaves the ruleset's directory";
    return -1;
  }
  FILE *fp = fopen(real, "rb");
  struct stat st;
  if (!fp || fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fp) fclose(fp);
    *why = fp ? "not a regular file" : strerror(errno);
    return -1;
  }
  if (st.st_size > MAX_FILE_BYTES) {
    fclose(fp);
    *why = "larger than 16 MiB";
    return -1;
  }
  size_t len = (size_t)st.st_size;
  char *text = mem_alloc(len + 1);
  if (!text) {
    fclose(fp);
    h->oom = true;
    *why = "out of memory";
    return -1;
  }
  size_t got = fread(text, 1, len, fp);
  fclose(fp);
  if (got != len) {
    mem_free(text);
    *why = "could not be read";
    return -1;
  }
  text[len] = '\0';
  rs_file *f = RS_PUSH(b->files);
  if (!f) {
    mem_free(text);
    h->oom = true;
    *why = "out of memory";
    return -1;
  }
  memset(f, 0, sizeof *f);
  f->text = text;
  f->len = len;
  f->path = path;
  f->rel = bstrdup(h, rel, strlen(rel));
  f->lua = lua;
  if (!f->rel || !src_init(&f->src, text, len, path) || (lua && !lex_file(h, f))) {
    h->oom = true;
    *why = "out of memory";
    return -1;
  }
  return b->files.n - 1;
}

/* ---- positions of calls and strings ---- */

static host *host_of(lua_State *L) {
  void *ud;
  lua_getallocf(L, &ud);
  return ud;
}

/* The file index of a chunk named "=rel", or the running file. */
static uint32_t file_of_source(host *h, const char *chunk) {
  if (chunk && chunk[0] == '=')
    for (uint32_t i = 0; i < h->b->files.n; i++)
      if (strcmp(h->b->files.items[i].rel, chunk + 1) == 0) return i;
  return h->running;
}

/* loc at the start of line `line` of file (its first non-blank). */
static void loc_line(host *h, rs_loc *loc, uint32_t file, int line) {
  memset(loc, 0, sizeof *loc);
  loc->file = file;
  if (line <= 0 || file >= h->b->files.n) return;
  const rs_file *f = &h->b->files.items[file];
  if ((uint32_t)line > f->src.nlines) return;
  size_t off = f->src.line_starts[line - 1];
  while (off < f->len && (f->text[off] == ' ' || f->text[off] == '\t')) off++;
  loc->offset = off;
  loc->line = (uint32_t)line;
  src_position(&f->src, off, &loc->line, &loc->column);
}

/* Where the innermost Lua function on the stack is: the call being made. */
static void call_loc(lua_State *L, rs_loc *loc) {
  host *h = host_of(L);
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar)) break;
    if (ar.currentline > 0) {
      loc_line(h, loc, file_of_source(h, ar.source), ar.currentline);
      return;
    }
  }
  loc_line(h, loc, h->running, 0);
}

/* The first of f's literals, by (text, offset), not before (s[0..n),
 * offset): an index of f->lits_by_text, nlits when there is none. */
static uint32_t literal_at_or_after(const rs_file *f, const char *s, size_t n, size_t offset) {
  uint32_t lo = 0, hi = f->nlits;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const rs_literal *l = f->lits_by_text[mid];
    int c = cmp_text((uint32_t)n, s, l);
    if (c > 0 || (c == 0 && l->offset < offset)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Whether f's literal i (of lits_by_text) exists and is s[0..n). */
static bool literal_is(const rs_file *f, uint32_t i, const char *s, size_t n) {
  return i < f->nlits && cmp_text((uint32_t)n, s, f->lits_by_text[i]) == 0;
}

/* Find the literal s[0..n) was written as, near the call at `at`, and
 * claim it (see the header comment): in at's file, the first unclaimed
 * one from at's line on, else one claimed already there, else the last
 * before it; else the first in any file.  Binary searches of the
 * literals sorted by text, so a generated file of ten thousand rules does
 * not scan its literals per expression. */
static const rs_literal *find_literal(host *h, const rs_loc *at, const char *s, size_t n) {
  rs_builder *b = h->b;
  rs_literal *best = NULL;
  if (n > UINT32_MAX) return NULL;
  if (at->file < b->files.n) {
    rs_file *f = &b->files.items[at->file];
    size_t start = at->line ? f->src.line_starts[at->line - 1] : 0;
    uint32_t lo = literal_at_or_after(f, s, n, start);
    for (uint32_t i = lo; literal_is(f, i, s, n) && !best; i++)
      if (!f->lits_by_text[i]->claimed) best = f->lits_by_text[i];
    if (!best && literal_is(f, lo, s, n)) best = f->lits_by_text[lo]; /* claimed already */
    if (!best && lo > 0 && literal_is(f, lo - 1, s, n)) best = f->lits_by_text[lo - 1];
  }
  for (uint32_t k = 0; !best && k < b->files.n; k++) {
    rs_file *f = &b->files.items[k];
    uint32_t first = literal_at_or_after(f, s, n, 0);
    if (literal_is(f, first, s, n)) best = f->lits_by_text[first];
  }
  if (best) best->claimed = true;
  return best;
}

/* The file whose literal l is. */
static uint32_t file_of_literal(host *h, const rs_literal *l) {
  for (uint32_t k = 0; k < h->b->files.n; k++) {
    const rs_file *f = &h->b->files.items[k];
    if (f->nlits && l >= f->lits && l < f->lits + f->nlits) return k;
  }
  return 0;
}

static void loc_of_literal(host *h, rs_loc *loc, const rs_literal *l) {
  memset(loc, 0, sizeof *loc);
  loc->file = file_of_literal(h, l);
  const rs_file *f = &h->b->files.items[loc->file];
  loc->offset = l->offset;
  loc->length = l->map ? l->map[l->len] - l->offset : l->len;
  src_position(&f->src, l->offset, &loc->line, &loc->column);
}

/* ---- reading declaration tables ---- */

/* Report misuse at the call being made. */
static void misuse(lua_State *L, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void misuse(lua_State *L, const char *fmt, ...) {
  host *h = host_of(L);
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rs_loc at;
  call_loc(L, &at);
  rs_report(h->b, h->d, &at, RULECORE_DIAG_RULESET_INVALID, "%s", msg);
}

/* Report misuse at the literal s was written as (else at the call). */
static void misuse_at(lua_State *L, const char *s, const char *fmt, ...) PRINTF_LIKE(3, 4);

static const char *name_at(const void *ctx, size_t i) { return ((const char *const *)ctx)[i]; }

/* Report every key of the table at idx that is not in allowed (NULL
 * terminated); integer keys too unless ints. */
static void check_keys(lua_State *L, int idx, const char *what, const char *const *allowed, bool ints) {
  size_t n = 0;
  while (allowed[n]) n++;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char *k = lua_tostring(L, -1);
      bool ok = false;
      for (size_t i = 0; i < n; i++) ok |= strcmp(allowed[i], k) == 0;
      if (!ok) {
        const char *near = suggest_closest(k, n, name_at, allowed);
        if (near)
          misuse(L, "%s has no field '%s'; did you mean '%s'?", what, k, near);
        else
          misuse(L, "%s has no field '%s'", what, k);
      }
    } else if (!(ints && lua_isinteger(L, -1))) {
      misuse(L, "%s: keys must be field names", what);
    }
  }
}

/* Field key of the table at idx as a CEL text (a string, or a number or
 * boolean written as a literal); false, reported, when it is something
 * else. */
static bool get_text(lua_State *L, int idx, const char *key, const char *what, rs_text *out) {
  host *h = host_of(L);
  memset(out, 0, sizeof *out);
  int t = lua_getfield(L, idx, key);
  bool ok = true;
  call_loc(L, &out->at);
  if (t == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    out->text = bstrdup(h, s, n);
    out->len = n;
    out->kind = RS_STRING;
    out->lit = find_literal(h, &out->at, s, n);
    if (out->lit) loc_of_literal(h, &out->at, out->lit);
  } else if (t == LUA_TNUMBER || t == LUA_TBOOLEAN) {
    char tmp[64];
    if (t == LUA_TBOOLEAN) {
      snprintf(tmp, sizeof tmp, "%s", lua_toboolean(L, -1) ? "true" : "false");
      out->kind = RS_BOOL;
    } else if (lua_isinteger(L, -1)) {
      snprintf(tmp, sizeof tmp, "%lld", (long long)lua_tointeger(L, -1));
      out->kind = RS_INT;
    } else {
      buf fb = {0};
      value_format_double(&fb, lua_tonumber(L, -1));
      snprintf(tmp, sizeof tmp, "%s", fb.data ? fb.data : "0.0");
      buf_release(&fb);
      if (!strpbrk(tmp, ".eEn")) strcat(tmp, ".0"); /* 15.0 stays a double */
      out->kind = RS_FLOAT;
    }
    out->text = bstrdup(h, tmp, strlen(tmp));
    out->len = strlen(tmp);
  } else if (t != LUA_TNIL) {
    misuse(L, "%s: '%s' must be a CEL expression in a string, not a %s", what, key, lua_typename(L, t));
    ok = false;
  }
  lua_pop(L, 1);
  return ok;
}

/* Field key as a plain string (names, descriptions); NULL when absent. */
static const char *get_string(lua_State *L, int idx, const char *key, const char *what) {
  host *h = host_of(L);
  const char *r = NULL;
  int t = lua_getfield(L, idx, key);
  if (t == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    r = bstrdup(h, s, n);
  } else if (t != LUA_TNIL) {
    misuse(L, "%s: '%s' must be a string, not a %s", what, key, lua_typename(L, t));
  }
  lua_pop(L, 1);
  return r;
}

/* A literal's location for a plain string field, when one is found. */
static void string_loc(lua_State *L, const char *s, rs_loc *loc) {
  host *h = host_of(L);
  call_loc(L, loc);
  const rs_literal *l = s ? find_literal(h, loc, s, strlen(s)) : NULL;
  if (l) loc_of_literal(h, loc, l);
}

static void misuse_at(lua_State *L, const char *s, const char *fmt, ...) {
  host *h = host_of(L);
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rs_loc at;
  string_loc(L, s, &at);
  rs_report(h->b, h->d, &at, RULECORE_DIAG_RULESET_INVALID, "%s", msg);
}

/* The name a declaration function was given: decision "name". */
static const char *decl_name(lua_State *L, const char *fn) {
  if (lua_type(L, 1) != LUA_TSTRING) {
    misuse(L, "%s needs a name: %s \"name\" { ... }", fn, fn);
    return NULL;
  }
  size_t n;
  const char *s = lua_tolstring(L, 1, &n);
  if (n == 0) {
    misuse(L, "%s: the name is empty", fn);
    return NULL;
  }
  return bstrdup(host_of(L), s, n);
}

/* ---- Lua values to JSON ---- */

static int cmp_keys(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Append the Lua value at idx as JSON: integers, floats (finite), UTF-8
 * strings, booleans, `null`, and tables (a sequence 1..n, the empty table
 * included, is an array; otherwise string keys make an object). */
static bool to_json(lua_State *L, int idx, buf *out, int depth, char *why, size_t whylen) {
  idx = lua_absindex(L, idx);
  if (depth > MAX_JSON_DEPTH) {
    snprintf(why, whylen, "nested more than %d levels deep (a table that contains itself?)", MAX_JSON_DEPTH);
    return false;
  }
  switch (lua_type(L, idx)) {
  case LUA_TBOOLEAN: buf_puts(out, lua_toboolean(L, idx) ? "true" : "false"); return true;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) {
      buf_printf(out, "%lld", (long long)lua_tointeger(L, idx));
    } else {
      double d = lua_tonumber(L, idx);
      if (d != d || d - d != 0) {
        snprintf(why, whylen, "%s is not a number JSON can carry", d != d ? "NaN" : "an infinity");
        return false;
      }
      size_t at = out->len;
      value_format_double(out, d);
      if (!out->oom && !memchr(out->data + at, '.', out->len - at) && !memchr(out->data + at, 'e', out->len - at))
        buf_puts(out, ".0");
    }
    return true;
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (lit_utf8_valid_prefix(s, n) != n) {
      snprintf(why, whylen, "a string that is not UTF-8");
      return false;
    }
    buf_json_string(out, s, n);
    return true;
  }
  case LUA_TLIGHTUSERDATA:
    if (lua_touserdata(L, idx) == &null_key) {
      buf_puts(out, "null");
      return true;
    }
    break;
  case LUA_TTABLE: {
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx), count = 0;
    bool all_int = true;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      lua_pop(L, 1);
      count++;
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len) all_int = false;
    }
    if (all_int && count == len) {
      buf_putc(out, '[');
      for (lua_Integer i = 1; i <= len; i++) {
        if (i > 1) buf_puts(out, ", ");
        lua_rawgeti(L, idx, i);
        bool ok = to_json(L, -1, out, depth + 1, why, whylen);
        lua_pop(L, 1);
        if (!ok) return false;
      }
      buf_putc(out, ']');
      return true;
    }
    const char **keys = mem_alloc((size_t)count * sizeof *keys);
    if (!keys) {
      out->oom = true;
      return false;
    }
    size_t nk = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 1);
        mem_free(keys);
        snprintf(why, whylen, "a table with both string keys and other keys");
        return false;
      }
      keys[nk++] = lua_tostring(L, -1); /* the table keeps the string alive */
    }
    qsort(keys, nk, sizeof *keys, cmp_keys);
    buf_putc(out, '{');
    bool ok = true;
    for (size_t i = 0; i < nk && ok; i++) {
      if (i) buf_puts(out, ", ");
      buf_json_string(out, keys[i], strlen(keys[i]));
      buf_puts(out, ": ");
      lua_getfield(L, idx, keys[i]);
      ok = to_json(L, -1, out, depth + 1, why, whylen);
      lua_pop(L, 1);
    }
    mem_free(keys);
    if (ok) buf_putc(out, '}');
    return ok;
  }
  default: break;
  }
  snprintf(why, whylen, "a %s is not a JSON value", luaL_typename(L, idx));
  return false;
}

/* The JSON text of the value at idx, or NULL (reported as what). */
static char *json_of(lua_State *L, int idx, const char *what, size_t *len) {
  buf out = {0};
  char why[160] = "";
  if (!to_json(L, idx, &out, 0, why, sizeof why) || out.oom) {
    if (out.oom) host_of(L)->oom = true;
    else misuse(L, "%s: %s", what, why);
    buf_release(&out);
    return NULL;
  }
  *len = out.len;
  return buf_take(&out);
}

/* ---- the declaration functions ---- */

/* schema "file.json" | schema { types = ..., variables = ... } */
static int l_schema(lua_State *L) {
  host *h = host_of(L);
  rs_builder *b = h->b;
  rs_loc at;
  call_loc(L, &at);
  if (b->has_schema) {
    const rs_file *f = &b->files.items[b->schema_loc.file];
    misuse(L, "the schema is declared twice (first at %s:%u)", f->path, b->schema_loc.line);
    return 0;
  }
  if (lua_type(L, 1) == LUA_TSTRING) {
    const char *rel = lua_tostring(L, 1), *why = NULL;
    string_loc(L, rel, &at);
    int64_t fi = read_file(h, rel, false, &why);
    b->schema_loc = at;
    if (fi < 0) {
      rs_report(b, h->d, &at, RULECORE_DIAG_RULESET_INVALID, "schema file '%s': %s", rel, why);
      return 0;
    }
    b->schema_file = fi;
    b->has_schema = true;
  } else if (lua_type(L, 1) == LUA_TTABLE) {
    static const char *const keys[] = {"types", "variables", NULL};
    check_keys(L, 1, "the schema", keys, false);
    b->schema_json = json_of(L, 1, "the schema", &b->schema_json_len);
    b->schema_loc = at;
    b->schema_file = -1;
    b->has_schema = b->schema_json != NULL;
  } else {
    misuse(L, "schema takes a file name (schema \"x.schema.json\") or a table");
  }
  return 0;
}

/* rule "id" -> function(tbl) -> a rule object */
static int l_rule_body(lua_State *L) {
  host *h = host_of(L);
  const char *id = lua_touserdata(L, lua_upvalueindex(1));
  const char *what_id = id ? id : "?";
  char what[300];
  snprintf(what, sizeof what, "rule '%s'", what_id);
  uint32_t *ud = lua_newuserdatauv(L, sizeof *ud, 0);
  *ud = UINT32_MAX;
  luaL_setmetatable(L, rule_meta);
  if (lua_type(L, 1) != LUA_TTABLE) {
    misuse(L, "%s needs a table: rule \"%s\" { when = ..., value = ... }", what, what_id);
    return 1;
  }
  static const char *const keys[] = {"priority", "when", "value", "description", "tags", NULL};
  check_keys(L, 1, what, keys, false);
  rs_brule r = {.id = id, .decision = -1, .order = h->rule_order++};
  call_loc(L, &r.loc);
  int t = lua_getfield(L, 1, "priority");
  if (t == LUA_TNUMBER && lua_isinteger(L, -1))
    r.priority = lua_tointeger(L, -1);
  else if (t != LUA_TNIL)
    misuse(L, "%s: priority must be an integer", what);
  lua_pop(L, 1);
  get_text(L, 1, "when", what, &r.when);
  get_text(L, 1, "value", what, &r.value);
  r.description = get_string(L, 1, "description", what);
  t = lua_getfield(L, 1, "tags");
  if (t == LUA_TTABLE) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    r.tags = n ? arena_alloc(&h->b->arena, (size_t)n * sizeof *r.tags) : NULL;
    for (lua_Integer i = 1; r.tags && i <= n; i++) {
      if (lua_rawgeti(L, -1, i) == LUA_TSTRING)
        r.tags[r.ntags++] = bstrdup(h, lua_tostring(L, -1), lua_rawlen(L, -1));
      else
        misuse(L, "%s: tags must be strings", what);
      lua_pop(L, 1);
    }
  } else if (t != LUA_TNIL) {
    misuse(L, "%s: tags must be a list of strings", what);
  }
  lua_pop(L, 1);
  if (!id) return 1;
  rs_brule *slot = RS_PUSH(h->b->rules);
  if (!slot) {
    h->oom = true;
    return 1;
  }
  *slot = r;
  *ud = h->b->rules.n - 1;
  return 1;
}

static int l_rule(lua_State *L) {
  lua_pushlightuserdata(L, (void *)decl_name(L, "rule")); /* the builder's copy, or NULL */
  lua_pushcclosure(L, l_rule_body, 1);
  return 1;
}

static bool parse_hit(lua_State *L, const char *s, rs_bdecision *d, const char *what) {
  static const char *const hits[] = {"first", "unique", "any", "collect", NULL};
  for (int i = 0; hits[i]; i++)
    if (strcmp(s, hits[i]) == 0) {
      d->hit = (rs_hit)i;
      return true;
    }
  const char *near = suggest_closest(s, 4, name_at, hits);
  misuse_at(L, s, "%s: unknown hit policy '%s'%s%s%s (first, unique, any or collect)", what, s, near ? "; did you mean '" : "",
         near ? near : "", near ? "'?" : "");
  return false;
}

static int l_decision_body(lua_State *L) {
  host *h = host_of(L);
  const char *name = lua_touserdata(L, lua_upvalueindex(1));
  char what[300];
  snprintf(what, sizeof what, "decision '%s'", name ? name : "?");
  if (lua_type(L, 1) != LUA_TTABLE) {
    misuse(L, "%s needs a table: decision \"%s\" { type = ..., rule \"id\" { ... }, ... }", what, name ? name : "?");
    return 0;
  }
  static const char *const keys[] = {"type", "hit", "aggregate", "default", "description", NULL};
  check_keys(L, 1, what, keys, true);
  rs_bdecision d = {.name = name};
  call_loc(L, &d.loc);
  get_text(L, 1, "type", what, &d.type);
  if (!d.type.text) misuse(L, "%s has no type (type = \"string\", \"double\", \"list(T)\", ...)", what);
  const char *hit = get_string(L, 1, "hit", what);
  if (hit) parse_hit(L, hit, &d, what);
  const char *agg = get_string(L, 1, "aggregate", what);
  if (agg) {
    static const char *const aggs[] = {"sum", "min", "max", "count", NULL};
    int k = -1;
    for (int i = 0; aggs[i]; i++)
      if (strcmp(agg, aggs[i]) == 0) k = i;
    if (k < 0)
      misuse_at(L, agg, "%s: unknown aggregate '%s' (sum, min, max or count)", what, agg);
    else if (d.hit != HIT_COLLECT)
      misuse(L, "%s: an aggregate needs hit = \"collect\"", what);
    else
      d.aggregate = (rs_aggregate)(k + 1);
  }
  get_text(L, 1, "default", what, &d.deflt);
  d.description = get_string(L, 1, "description", what);
  lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
  d.rules = n ? mem_alloc((size_t)n * sizeof *d.rules) : NULL;
  if (n && !d.rules) {
    h->oom = true;
    return 0;
  }
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    uint32_t *ud = luaL_testudata(L, -1, rule_meta);
    if (!ud) {
      misuse(L, "%s: item %lld is a %s, not a rule (rule \"id\" { ... })", what, (long long)i, luaL_typename(L, -1));
    } else if (*ud != UINT32_MAX) {
      rs_brule *r = &h->b->rules.items[*ud];
      if (r->decision >= 0) {
        rs_report(h->b, h->d, &r->loc, RULECORE_DIAG_RULESET_INVALID, "rule '%s' is listed in decision '%s' and in '%s'",
                  r->id, h->b->decisions.items[r->decision].name, name ? name : "?");
      } else {
        r->decision = h->b->decisions.n;
        d.rules[d.nrules++] = *ud;
      }
    }
    lua_pop(L, 1);
  }
  if (!name) {
    mem_free(d.rules);
    return 0;
  }
  rs_bdecision *slot = RS_PUSH(h->b->decisions);
  if (!slot) {
    mem_free(d.rules);
    h->oom = true;
    return 0;
  }
  *slot = d;
  return 0;
}

static int l_decision(lua_State *L) {
  lua_pushlightuserdata(L, (void *)decl_name(L, "decision")); /* the builder's copy, or NULL */
  lua_pushcclosure(L, l_decision_body, 1);
  return 1;
}

static int l_validation_body(lua_State *L) {
  host *h = host_of(L);
  const char *id = lua_touserdata(L, lua_upvalueindex(1));
  char what[300];
  snprintf(what, sizeof what, "validation '%s'", id ? id : "?");
  if (lua_type(L, 1) != LUA_TTABLE) {
    misuse(L, "%s needs a table: validation \"%s\" { expr = ..., message = ... }", what, id ? id : "?");
    return 0;
  }
  static const char *const keys[] = {"expr", "message", "severity", "description", NULL};
  check_keys(L, 1, what, keys, false);
  rs_bvalidation v = {.id = id};
  call_loc(L, &v.loc);
  get_text(L, 1, "expr", what, &v.expr);
  if (!v.expr.text) misuse(L, "%s has no expr (the condition that must hold)", what);
  get_text(L, 1, "message", what, &v.message);
  const char *sev = get_string(L, 1, "severity", what);
  if (sev && strcmp(sev, "warning") == 0)
    v.severity = RULECORE_SEVERITY_WARNING;
  else if (sev && strcmp(sev, "error") != 0)
    misuse_at(L, sev, "%s: unknown severity '%s' (error or warning)", what, sev);
  v.description = get_string(L, 1, "description", what);
  if (!id) return 0;
  rs_bvalidation *slot = RS_PUSH(h->b->validations);
  if (!slot) {
    h->oom = true;
    return 0;
  }
  *slot = v;
  return 0;
}

static int l_validation(lua_State *L) {
  lua_pushlightuserdata(L, (void *)decl_name(L, "validation")); /* the builder's copy, or NULL */
  lua_pushcclosure(L, l_validation_body, 1);
  return 1;
}

static int l_test_body(lua_State *L) {
  host *h = host_of(L);
  const char *name = lua_touserdata(L, lua_upvalueindex(1));
  char what[300];
  snprintf(what, sizeof what, "test '%s'", name ? name : "?");
  if (lua_type(L, 1) != LUA_TTABLE) {
    misuse(L, "%s needs a table: test \"%s\" { context = ..., expect = ... }", what, name ? name : "?");
    return 0;
  }
  static const char *const keys[] = {"context", "expect", "rules", "violations", "description", NULL};
  check_keys(L, 1, what, keys, false);
  rs_btest t = {.name = name, .context_file = -1};
  call_loc(L, &t.loc);
  int ty = lua_getfield(L, 1, "context");
  if (ty == LUA_TSTRING) {
    const char *rel = lua_tostring(L, -1), *why = NULL;
    int64_t fi = read_file(h, rel, false, &why);
    if (fi < 0) {
      rs_loc at;
      string_loc(L, rel, &at);
      rs_report(h->b, h->d, &at, RULECORE_DIAG_RULESET_INVALID, "%s: context file '%s': %s", what, rel, why);
    } else {
      const rs_file *f = &h->b->files.items[fi];
      t.context = mem_strndup(f->text, f->len);
      t.context_len = f->len;
      t.context_file = fi;
      if (!t.context) h->oom = true;
    }
  } else if (ty == LUA_TTABLE) {
    t.context = json_of(L, -1, what, &t.context_len);
  } else {
    misuse(L, "%s needs a context: a table, or the name of a JSON file of the ruleset", what);
  }
  lua_pop(L, 1);
  ty = lua_getfield(L, 1, "expect");
  if (ty == LUA_TTABLE) {
    t.expect = json_of(L, -1, what, &t.expect_len);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) lua_pop(L, 1), n++;
    t.expect_keys = n ? arena_alloc(&h->b->arena, (size_t)n * sizeof *t.expect_keys) : NULL;
    lua_pushnil(L);
    while (t.expect_keys && lua_next(L, -2)) {
      lua_pop(L, 1);
      if (lua_type(L, -1) == LUA_TSTRING) t.expect_keys[t.nexpect++] = bstrdup(h, lua_tostring(L, -1), lua_rawlen(L, -1));
    }
  } else if (ty != LUA_TNIL) {
    misuse(L, "%s: expect must be a table of decision names to values", what);
  }
  lua_pop(L, 1);
  ty = lua_getfield(L, 1, "rules");
  if (ty == LUA_TTABLE) {
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) lua_pop(L, 1), n++;
    t.rules = n ? arena_alloc(&h->b->arena, (size_t)n * sizeof *t.rules) : NULL;
    lua_pushnil(L);
    while (t.rules && lua_next(L, -2)) {
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
        rs_bpair *p = &t.rules[t.nrules++];
        p->key = bstrdup(h, lua_tostring(L, -2), lua_rawlen(L, -2));
        p->value = bstrdup(h, lua_tostring(L, -1), lua_rawlen(L, -1));
        string_loc(L, p->key, &p->loc);
      } else {
        misuse(L, "%s: rules maps decision names to rule ids (strings)", what);
      }
      lua_pop(L, 1);
    }
  } else if (ty != LUA_TNIL) {
    misuse(L, "%s: rules must be a table of decision names to rule ids", what);
  }
  lua_pop(L, 1);
  ty = lua_getfield(L, 1, "violations");
  if (ty == LUA_TTABLE) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    t.has_violations = true;
    t.violations = n ? arena_alloc(&h->b->arena, (size_t)n * sizeof *t.violations) : NULL;
    for (lua_Integer i = 1; t.violations && i <= n; i++) {
      if (lua_rawgeti(L, -1, i) == LUA_TSTRING)
        t.violations[t.nviolations++] = bstrdup(h, lua_tostring(L, -1), lua_rawlen(L, -1));
      else
        misuse(L, "%s: violations must be a list of validation ids", what);
      lua_pop(L, 1);
    }
  } else if (ty != LUA_TNIL) {
    misuse(L, "%s: violations must be a list of validation ids", what);
  }
  lua_pop(L, 1);
  t.description = get_string(L, 1, "description", what);
  if (!name || !t.context) {
    mem_free(t.context);
    mem_free(t.expect);
    return 0;
  }
  rs_btest *slot = RS_PUSH(h->b->tests);
  if (!slot) {
    mem_free(t.context);
    mem_free(t.expect);
    h->oom = true;
    return 0;
  }
  *slot = t;
  return 0;
}

static int l_test(lua_State *L) {
  lua_pushlightuserdata(L, (void *)decl_name(L, "test")); /* the builder's copy, or NULL */
  lua_pushcclosure(L, l_test_body, 1);
  return 1;
}

/* quote(s): s as a CEL string literal, for building expressions. */
static int l_quote(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  buf b = {0};
  buf_cel_string(&b, s, n, false);
  if (b.oom) return luaL_error(L, "out of memory");
  lua_pushlstring(L, b.data, b.len);
  buf_release(&b);
  return 1;
}

static int run_file(lua_State *L, host *h, uint32_t fi);

/* include "rel": run a file of the ruleset once; its results, cached. */
static int l_include(lua_State *L) {
  host *h = host_of(L);
  const char *rel = luaL_checkstring(L, 1), *why = NULL;
  lua_getfield(L, LUA_REGISTRYINDEX, "rulecore.included");
  if (lua_getfield(L, -1, rel) != LUA_TNIL) return 1; /* ran already */
  lua_pop(L, 1);
  int64_t fi = read_file(h, rel, true, &why);
  if (fi < 0) return luaL_error(L, "include '%s': %s", rel, why);
  for (uint32_t i = 0; i < h->ninc; i++)
    if (h->including[i] == fi) return luaL_error(L, "include '%s': an include cycle", rel);
  if (h->ninc == h->capinc && !rs_grow((void **)&h->including, &h->capinc, sizeof *h->including))
    return luaL_error(L, "out of memory");
  h->including[h->ninc++] = (uint32_t)fi;
  const rs_file *f = &h->b->files.items[fi];
  char chunk[PATH_MAX + 2];
  snprintf(chunk, sizeof chunk, "=%s", f->rel);
  int st = luaL_loadbufferx(L, f->text, f->len, chunk, "t");
  if (st != LUA_OK) {
    h->ninc--;
    return lua_error(L); /* the syntax error, named by file and line */
  }
  lua_call(L, 0, 1);
  h->ninc--;
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, rel);
  return 1;
}

/* ---- the sandboxed state ---- */

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  host *h = ud;
  if (!ptr) osize = 0;
  if (nsize == 0) {
    mem_free(ptr);
    h->mem_used -= osize;
    return NULL;
  }
  if (nsize > osize && h->mem_used + (nsize - osize) > h->lim->memory) {
    h->mem_hit = true;
    return NULL;
  }
  void *p = mem_realloc(ptr, nsize);
  if (!p) {
    h->oom = true;
    return NULL;
  }
  h->mem_used = h->mem_used - osize + nsize;
  return p;
}

static void l_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  host *h = host_of(L);
  h->instructions += HOOK_EVERY;
  if (h->instructions > h->lim->instructions) {
    h->instr_hit = true;
    luaL_error(L, "instruction limit exceeded: loading may run at most %I Lua instructions "
                  "(an endless loop?; RULECORE_LIMIT_LOAD_INSTRUCTIONS)",
               (lua_Integer)h->lim->instructions);
  }
}

/* The message handler: the error's message, its position taken from the
 * innermost Lua function on the stack (as "file\x01line\x01message"). */
static int l_msgh(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = lua_pushfstring(L, "(an error object that is a %s)", luaL_typename(L, 1));
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); level++) {
    if (!lua_getinfo(L, "Sl", &ar)) break;
    if (ar.currentline > 0) {
      /* drop the "short_src:line: " prefix Lua put on the message */
      char prefix[LUA_IDSIZE + 32];
      snprintf(prefix, sizeof prefix, "%s:%d: ", ar.short_src, ar.currentline);
      size_t pn = strlen(prefix);
      if (strncmp(msg, prefix, pn) == 0) msg += pn;
      lua_pushfstring(L, "%s\x01%d\x01%s", ar.source, ar.currentline, msg);
      return 1;
    }
  }
  lua_pushfstring(L, "\x01" "0\x01%s", msg);
  return 1;
}

/* Report a Lua error: st from pcall or load, the message on the stack. */
static void report_lua_error(lua_State *L, host *h, int st, uint32_t fi) {
  const char *m = lua_tostring(L, -1);
  if (!m) m = "(no message)";
  rs_loc at;
  if (st == LUA_ERRMEM || h->mem_hit) {
    loc_line(h, &at, fi, 0);
    rs_report(h->b, h->d, &at, RULECORE_DIAG_RULESET_LIMIT,
              "memory limit exceeded: loading may use at most %llu bytes (RULECORE_LIMIT_LOAD_MEMORY)",
              (unsigned long long)h->lim->memory);
    return;
  }
  const char *sep1 = strchr(m, '\x01'), *sep2 = sep1 ? strchr(sep1 + 1, '\x01') : NULL;
  if (sep1 && sep2) { /* from l_msgh */
    char chunk[PATH_MAX + 2];
    size_t sn = (size_t)(sep1 - m) < sizeof chunk - 1 ? (size_t)(sep1 - m) : sizeof chunk - 1;
    memcpy(chunk, m, sn);
    chunk[sn] = '\0';
    loc_line(h, &at, sn ? file_of_source(h, chunk) : fi, atoi(sep1 + 1));
    rs_report(h->b, h->d, &at, h->instr_hit ? RULECORE_DIAG_RULESET_LIMIT : RULECORE_DIAG_LUA_ERROR, "%s", sep2 + 1);
    return;
  }
  /* a syntax error: "rel:line: message" */
  const rs_file *f = &h->b->files.items[fi];
  size_t rn = strlen(f->rel);
  int line = 0;
  const char *rest = m;
  if (strncmp(m, f->rel, rn) == 0 && m[rn] == ':') {
    line = atoi(m + rn + 1);
    const char *c = strchr(m + rn + 1, ':');
    if (c) rest = c + (c[1] == ' ' ? 2 : 1);
  } else {
    const char *c = strchr(m, ':');
    if (c && c[1] >= '0' && c[1] <= '9') {
      line = atoi(c + 1);
      c = strchr(c + 1, ':');
      if (c) rest = c + (c[1] == ' ' ? 2 : 1);
    }
  }
  loc_line(h, &at, fi, line);
  rs_report(h->b, h->d, &at, RULECORE_DIAG_LUA_ERROR, "%s", rest);
}

static int run_file(lua_State *L, host *h, uint32_t fi) {
  const rs_file *f = &h->b->files.items[fi];
  char chunk[PATH_MAX + 2];
  snprintf(chunk, sizeof chunk, "=%s", f->rel);
  lua_pushcfunction(L, l_msgh);
  int st = luaL_loadbufferx(L, f->text, f->len, chunk, "t");
  if (st == LUA_OK) {
    lua_getfield(L, LUA_REGISTRYINDEX, "rulecore.included");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, f->rel); /* an include of a top-level file does not run it again */
    lua_pop(L, 1);
    h->running = fi;
    h->ninc = 0;
    h->including[h->ninc++] = fi;
    st = lua_pcall(L, 0, 0, -2);
  }
  if (st != LUA_OK) {
    report_lua_error(L, h, st, fi);
  } else if (h->mem_hit || h->instr_hit) { /* the limit's error was caught by the file (pcall) */
    rs_loc at;
    loc_line(h, &at, fi, 0);
    if (h->mem_hit)
      rs_report(h->b, h->d, &at, RULECORE_DIAG_RULESET_LIMIT,
                "memory limit exceeded: loading may use at most %llu bytes (RULECORE_LIMIT_LOAD_MEMORY)",
                (unsigned long long)h->lim->memory);
    else
      rs_report(h->b, h->d, &at, RULECORE_DIAG_RULESET_LIMIT,
                "instruction limit exceeded: loading may run at most %llu Lua instructions (an endless loop?; "
                "RULECORE_LIMIT_LOAD_INSTRUCTIONS)", (unsigned long long)h->lim->instructions);
  }
  lua_settop(L, 0);
  return st;
}

/* Make the sandbox in the fresh state L (under lua_pcall: it allocates). */
static void sandbox(lua_State *L) {
  static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},        {LUA_STRLIBNAME, luaopen_string},
                                  {LUA_TABLIBNAME, luaopen_table},  {LUA_MATHLIBNAME, luaopen_math},
                                  {LUA_UTF8LIBNAME, luaopen_utf8}};
  for (size_t i = 0; i < ARRAY_LEN(libs); i++) {
    luaL_requiref(L, libs[i].name, libs[i].func, 1);
    lua_pop(L, 1);
  }
  static const char *const base_out[] = {"dofile", "loadfile", "load", "require", "collectgarbage", "print"};
  for (size_t i = 0; i < ARRAY_LEN(base_out); i++) {
    lua_pushnil(L);
    lua_setglobal(L, base_out[i]);
  }
  lua_getglobal(L, LUA_STRLIBNAME);
  static const char *const string_out[] = {"find", "match", "gmatch", "gsub", "dump"};
  for (size_t i = 0; i < ARRAY_LEN(string_out); i++) {
    lua_pushnil(L);
    lua_setfield(L, -2, string_out[i]);
  }
  lua_pop(L, 1);
  /* package.loaded from luaL_requiref: not reachable without package */
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  static const luaL_Reg dsl[] = {{"schema", l_schema},         {"decision", l_decision}, {"rule", l_rule},
                                 {"validation", l_validation}, {"test", l_test},         {"include", l_include},
                                 {"quote", l_quote}};
  for (size_t i = 0; i < ARRAY_LEN(dsl); i++) {
    lua_pushcfunction(L, dsl[i].func);
    lua_setglobal(L, dsl[i].name);
  }
  lua_pushlightuserdata(L, (void *)&null_key);
  lua_setglobal(L, "null");
  luaL_newmetatable(L, rule_meta);
  lua_pop(L, 1);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "rulecore.included");
  lua_sethook(L, l_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

typedef struct load_job {
  host *h;
  const char *path;
  char **names;
  size_t nnames;
} load_job;

/* Run the top-level files (under lua_pcall, so running out of memory
 * anywhere is an error, not a panic). */
static int l_main(lua_State *L) {
  load_job *job = lua_touserdata(L, 1);
  host *h = job->h;
  lua_settop(L, 0);
  sandbox(L);
  for (size_t i = 0; i < job->nnames; i++) {
    const char *why = NULL;
    int64_t fi = read_file(h, job->names[i], true, &why);
    if (fi < 0) {
      if (h->oom) break;
      diag_loc at = {.file = job->path};
      diag_add_at(h->d, &at, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_RULESET_INVALID, "%s: %s", job->names[i], why);
      continue;
    }
    /* a file already run by an include does not run again */
    lua_getfield(L, LUA_REGISTRYINDEX, "rulecore.included");
    int ran = lua_getfield(L, -1, job->names[i]) != LUA_TNIL;
    lua_settop(L, 0);
    if (ran) continue;
    run_file(L, h, (uint32_t)fi);
    if (h->mem_hit || h->instr_hit || h->oom) break; /* the state is spent */
  }
  return 0;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

rulecore_status luahost_load(rs_builder *b, const char *path, const luahost_limits *limits, rulecore_diagnostics *d) {
  host h = {.b = b, .d = d, .lim = limits};
  b->schema_file = -1;
  struct stat st;
  if (stat(path, &st) != 0) {
    diag_loc at = {.file = path};
    diag_add_at(d, &at, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_RULESET_INVALID, "cannot read the ruleset: %s",
                strerror(errno));
    return RULECORE_ERR_IO;
  }
  bool dir = S_ISDIR(st.st_mode);
  /* the root: the directory itself, or the file's directory */
  char *root;
  const char *single = NULL;
  if (dir) {
    root = arena_strndup(&b->arena, path, strlen(path));
  } else {
    const char *slash = strrchr(path, '/');
    root = slash ? arena_strndup(&b->arena, path, (size_t)(slash - path + (slash == path))) : arena_strndup(&b->arena, ".", 1);
    single = slash ? slash + 1 : path;
  }
  if (!root) return RULECORE_ERR_NOMEM;
  size_t rl = strlen(root);
  while (rl > 1 && root[rl - 1] == '/') root[--rl] = '\0';
  b->root = root;
  char real[PATH_MAX];
  if (!realpath(root, real)) {
    diag_loc at = {.file = path};
    diag_add_at(d, &at, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_RULESET_INVALID, "cannot read the ruleset: %s",
                strerror(errno));
    return RULECORE_ERR_IO;
  }
  h.rootreal = real;
  /* the top-level files, in name order */
  char **names = NULL;
  size_t nnames = 0, cap = 0;
  rulecore_status status = RULECORE_OK;
  if (dir) {
    DIR *dp = opendir(path);
    if (!dp) {
      diag_loc at = {.file = path};
      diag_add_at(d, &at, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_RULESET_INVALID, "cannot read the ruleset: %s",
                  strerror(errno));
      return RULECORE_ERR_IO;
    }
    struct dirent *e;
    while ((e = readdir(dp))) {
      size_t n = strlen(e->d_name);
      if (e->d_name[0] == '.' || n < 5 || strcmp(e->d_name + n - 4, ".lua") != 0) continue;
      if (nnames == cap) {
        cap = cap ? cap * 2 : 16;
        char **nn = mem_realloc(names, cap * sizeof *names);
        if (!nn) {
          status = RULECORE_ERR_NOMEM;
          break;
        }
        names = nn;
      }
      names[nnames] = arena_strndup(&b->arena, e->d_name, n);
      if (!names[nnames]) {
        status = RULECORE_ERR_NOMEM;
        break;
      }
      nnames++;
    }
    closedir(dp);
    if (status == RULECORE_OK && nnames == 0) {
      diag_loc at = {.file = path};
      diag_add_at(d, &at, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_RULESET_INVALID,
                  "no rule files: a ruleset directory holds *.lua files");
      status = RULECORE_ERR_SOURCE;
    }
    if (nnames) qsort(names, nnames, sizeof *names, cmp_names);
  } else {
    names = mem_alloc(sizeof *names);
    if (names) {
      names[0] = (char *)single;
      nnames = 1;
    } else {
      status = RULECORE_ERR_NOMEM;
    }
  }
  lua_State *L = NULL;
  if (status == RULECORE_OK && !rs_grow((void **)&h.including, &h.capinc, sizeof *h.including))
    status = RULECORE_ERR_NOMEM;
  if (status == RULECORE_OK && !(L = lua_newstate(l_alloc, &h))) status = RULECORE_ERR_NOMEM;
  if (L) {
    load_job job = {&h, path, names, nnames};
    lua_pushcfunction(L, l_main);
    lua_pushlightuserdata(L, &job);
    int lst = lua_pcall(L, 1, 0, 0);
    if (lst != LUA_OK && !h.oom) { /* outside every file's own pcall: the limits, or memory */
      if (h.mem_hit || lst == LUA_ERRMEM) {
        diag_loc at = {.file = path};
        diag_add_at(d, &at, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_RULESET_LIMIT,
                    "memory limit exceeded: loading may use at most %llu bytes (RULECORE_LIMIT_LOAD_MEMORY)",
                    (unsigned long long)limits->memory);
      } else {
        diag_loc at = {.file = path};
        diag_add_at(d, &at, RULECORE_SEVERITY_ERROR, RULECORE_DIAG_LUA_ERROR, "%s",
                    lua_tostring(L, -1) ? lua_tostring(L, -1) : "error while loading");
      }
    }
    lua_close(L);
  }
  mem_free(h.including);
  mem_free(names);
  /* rules no decision listed */
  for (uint32_t i = 0; !h.oom && i < b->rules.n; i++)
    if (b->rules.items[i].decision < 0)
      rs_report(b, d, &b->rules.items[i].loc, RULECORE_DIAG_RULESET_INVALID,
                "rule '%s' is not inside a decision (list it in decision \"name\" { ... })", b->rules.items[i].id);
  if (h.oom || d->oom) return RULECORE_ERR_NOMEM;
  if (status != RULECORE_OK) return status;
  return d->errors ? RULECORE_ERR_SOURCE : RULECORE_OK;
}
