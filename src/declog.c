/*
 * declog.c: the decision log (4.4 of the origin document): one JSON
 * object per evaluation, handed to a sink the embedder sets on a ruleset
 * (or a watch, for every version it serves).
 *
 *   {"id": 32 hex digits, unique per record, "time": RFC 3339 in UTC with
 *    nanoseconds, "revision": the ruleset's, "commit": the git commit of
 *    the rules directory's work tree at load (or null), "input": the
 *    context as plain JSON (or "input_sha256": its digest), "decisions":
 *    {NAME: {"value": plain JSON, "rule", "outcome"}}, "violations": [ids],
 *    "duration_ns"}
 *
 * The input is plain JSON that rulecore_activation_set_json reads back, so
 * a log replays: `rulec diff OLD NEW --cases LOG`.  The commit is read
 * from the .git directory's files (HEAD, a loose ref or packed-refs); it
 * does not say whether the work tree had uncommitted changes (the
 * revision does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "activation.h"
#include "ruleset.h"
#include "schema.h"
#include "sha256.h"
#include "value.h"

typedef struct rs_log {
  rulecore_log_fn fn;
  void *user;
  unsigned flags;
  struct rs_log *older; /* sinks replaced, freed with the ruleset */
} rs_log;

RULECORE_API rulecore_status rulecore_ruleset_set_log(rulecore_ruleset *rs, rulecore_log_fn fn, void *user,
                                                      unsigned flags) {
  if (!rs) return RULECORE_ERR_ARGUMENT;
  rs_log *l = NULL;
  if (fn) {
    if (!(l = mem_calloc(1, sizeof *l))) return RULECORE_ERR_NOMEM;
    *l = (rs_log){fn, user, flags, NULL};
  }
  /* an evaluation may still be calling the old sink: it stays until the ruleset goes */
  pthread_mutex_lock(&rs->log_lock);
  rs_log *old = atomic_exchange(&rs->log, l);
  if (old) {
    old->older = rs->logs_retired;
    rs->logs_retired = old;
  }
  pthread_mutex_unlock(&rs->log_lock);
  return RULECORE_OK;
}

void declog_free(rulecore_ruleset *rs) {
  rs_log *l = atomic_load(&rs->log);
  mem_free(l);
  for (rs_log *r = rs->logs_retired, *next; r; r = next) {
    next = r->older;
    mem_free(r);
  }
}

RULECORE_API const char *rulecore_ruleset_commit(const rulecore_ruleset *rs) {
  return rs && rs->commit[0] ? rs->commit : NULL;
}

/* ---- the git commit of the directory's work tree ---- */

static bool read_small(const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) return false;
  size_t n = fread(out, 1, cap - 1, f);
  fclose(f);
  out[n] = '\0';
  out[strcspn(out, "\r\n")] = '\0';
  return n > 0;
}

static bool is_hash(const char *s) { return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40; }

/* out = a "/" b (b alone when absolute or a is NULL); false when too long. */
static bool pjoin(char *out, size_t cap, const char *a, const char *b) {
  int n = !a || b[0] == '/' ? snprintf(out, cap, "%s", b) : snprintf(out, cap, "%s/%s", a, b);
  return n >= 0 && (size_t)n < cap;
}

enum { PATH_CAP = 8192 };

void declog_find_commit(rulecore_ruleset *rs, const char *path) {
  static _Thread_local char dir[PATH_CAP], git[PATH_CAP], file[PATH_CAP], tmp[PATH_CAP];
  char head[512];
  struct stat st;
  if (!pjoin(tmp, sizeof tmp, NULL, path)) return;
  if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) { /* a file: its directory */
    char *slash = strrchr(tmp, '/');
    if (slash) *slash = '\0';
    else pjoin(tmp, sizeof tmp, NULL, ".");
  }
  if (!realpath(tmp, dir)) return;
  for (;;) {
    if (!pjoin(git, sizeof git, dir, ".git")) return;
    if (stat(git, &st) == 0) break;
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return;
    *slash = '\0';
  }
  if (S_ISREG(st.st_mode)) { /* a worktree or submodule: "gitdir: PATH" */
    if (!read_small(git, tmp, sizeof tmp) || strncmp(tmp, "gitdir: ", 8) != 0 || !pjoin(git, sizeof git, dir, tmp + 8))
      return;
  }
  if (!pjoin(file, sizeof file, git, "HEAD") || !read_small(file, head, sizeof head)) return;
  if (is_hash(head)) {
    memcpy(rs->commit, head, 41);
    return;
  }
  if (strncmp(head, "ref: ", 5) != 0) return;
  const char *ref = head + 5;
  char hash[128];
  if (pjoin(file, sizeof file, git, ref) && read_small(file, hash, sizeof hash) && is_hash(hash)) {
    memcpy(rs->commit, hash, 41);
    return;
  }
  /* packed refs: "HASH refs/heads/main"; a worktree's refs live in the common directory */
  if (pjoin(file, sizeof file, git, "commondir") && read_small(file, tmp, sizeof tmp) && pjoin(file, sizeof file, git, tmp))
    memcpy(git, file, sizeof git);
  if (!pjoin(file, sizeof file, git, "packed-refs")) return;
  FILE *f = fopen(file, "r");
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (strlen(line) > 41 && line[40] == ' ' && strcmp(line + 41, ref) == 0) {
      line[40] = '\0';
      if (is_hash(line)) memcpy(rs->commit, line, 41);
      break;
    }
  }
  fclose(f);
}

/* ---- records ---- */

/* 128 random bits per record, from a generator per thread seeded once
 * from the kernel (the records of one process never collide in practice). */
static void record_id(char out[33]) {
  static _Thread_local uint64_t s[2];
  if (!s[0] && !s[1]) {
    if (getrandom(s, sizeof s, 0) != sizeof s) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      s[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)(uintptr_t)&ts << 16);
      s[1] = (uint64_t)ts.tv_sec * 0x9E3779B97F4A7C15u;
    }
    s[0] |= 1;
  }
  for (int k = 0; k < 2; k++) { /* xorshift128+ */
    uint64_t x = s[0], y = s[1];
    s[0] = y;
    x ^= x << 23;
    s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    snprintf(out + 16 * k, 17, "%016llx", (unsigned long long)(s[1] + y));
  }
}

/* The activation's variables as a plain JSON object (absent ones left out). */
static void render_input(buf *b, const rulecore_ruleset *rs, const rulecore_activation *a) {
  uint32_t n = 0;
  const value *vars = a ? act_vars(a, &n) : NULL;
  const rulecore_schema *s = rs->schema;
  buf_putc(b, '{');
  bool first = true;
  for (uint32_t i = 0; i < s->nvars; i++) {
    const schema_var *v = &s->vars[i];
    if (v->computed || v->index >= n || vars[v->index].kind == V_ABSENT) continue;
    buf_puts(b, first ? "" : ", ");
    first = false;
    buf_json_string(b, v->name, strlen(v->name));
    buf_puts(b, ": ");
    value_render(b, vars[v->index], RULECORE_FORMAT_JSON);
  }
  buf_putc(b, '}');
}

void declog_emit(const rulecore_decisions *o, const rulecore_activation *a, int64_t ns) {
  const rulecore_ruleset *rs = o->rs;
  rs_log *l = atomic_load_explicit(&((rulecore_ruleset *)rs)->log, memory_order_acquire);
  if (!l) return;
  buf b = {0};
  char id[33];
  record_id(id);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  buf_printf(&b, "{\"id\": \"%s\", \"time\": \"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\", \"revision\": \"%s\", ", id,
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts.tv_nsec,
             rs->revision);
  if (rs->commit[0]) buf_printf(&b, "\"commit\": \"%s\", ", rs->commit);
  else buf_puts(&b, "\"commit\": null, ");
  buf in = {0};
  render_input(&in, rs, a);
  if (in.oom) b.oom = true;
  if (l->flags & RULECORE_LOG_INPUT_DIGEST) {
    sha256 h;
    char hex[65];
    sha256_init(&h);
    sha256_update(&h, in.data ? in.data : "", in.len);
    sha256_hex(&h, hex);
    buf_printf(&b, "\"input_sha256\": \"%s\", ", hex);
  } else {
    buf_puts(&b, "\"input\": ");
    buf_append(&b, in.data ? in.data : "{}", in.data ? in.len : 2);
    buf_puts(&b, ", ");
  }
  buf_release(&in);
  buf_puts(&b, "\"decisions\": {");
  bool first = true;
  for (uint32_t i = 0; i < rs->ndecisions; i++) {
    const dec_state *s = &o->st[i];
    if (s->outcome == RULECORE_OUTCOME_NOT_EVALUATED) continue;
    const rs_decision *dc = &rs->decisions[i];
    buf_puts(&b, first ? "" : ", ");
    first = false;
    buf_json_string(&b, dc->name, strlen(dc->name));
    buf_puts(&b, ": {\"value\": ");
    if (s->outcome == RULECORE_OUTCOME_RULE || s->outcome == RULECORE_OUTCOME_DEFAULT)
      value_render(&b, o->views[i].result, RULECORE_FORMAT_JSON);
    else
      buf_puts(&b, "null");
    const char *rule = rulecore_decisions_rule(o, i);
    buf_puts(&b, ", \"rule\": ");
    if (rule) buf_json_string(&b, rule, strlen(rule));
    else buf_puts(&b, "null");
    buf_printf(&b, ", \"outcome\": \"%s\"}", rs_outcome_names[s->outcome]);
  }
  buf_puts(&b, "}, \"violations\": [");
  for (uint32_t k = 0; k < o->nviols; k++) {
    const char *vid = rs->validations[o->viols[k].validation].id;
    buf_puts(&b, k ? ", " : "");
    buf_json_string(&b, vid, strlen(vid));
  }
  buf_printf(&b, "], \"duration_ns\": %lld}", (long long)ns);
  if (!b.oom) l->fn(l->user, b.data, b.len);
  buf_release(&b);
}
