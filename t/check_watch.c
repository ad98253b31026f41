/*
 * check_watch.c: watched rulesets (src/watch.c) through the public API.
 *
 * The stress cases run evaluating threads continuously while a writer
 * thread replaces the ruleset, version after version, by rename, by
 * in-place writes in two halves, and by a Kubernetes ConfigMap-style swap
 * of a `..data` symbolic link, with a broken version every few.  Each good
 * version's three decisions all name the version ("v17"), so a torn
 * evaluation (decisions of two versions) would show.  Asserted: no torn
 * and no failed evaluation, no broken or half-written version ever served,
 * every good version served (the writer waits for it), and, in the
 * sanitizer build, no leak.  RULECORE_STRESS_ROUNDS sets the rounds per
 * way of writing (default 100).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"

#define EVALUATORS 4
#define MAX_VERSIONS 4096

/* ---- scratch files ---- */

static void put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

static void rm_tree(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static char *scratch(void) {
  static _Thread_local char dir[256];
  const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(dir, sizeof dir, "%s/check_watch.XXXXXX", tmp);
  ck_assert_ptr_nonnull(mkdtemp(dir));
  return dir;
}

/* Version n of the ruleset: three decisions naming it, one reading
 * another; broken: a type error in its last line, so no prefix of the
 * file is a good version either (a prefix lacks decision "c"). */
static void version_text(char *out, size_t cap, int n, bool broken) {
  snprintf(out, cap,
           "schema { variables = { x = \"int\" } }\n"
           "decision \"a\" { type = \"string\", default = [['v%d']] }\n"
           "decision \"b\" { type = \"string\", default = [['none']],\n"
           "  rule \"same\" { when = [[ a == 'v%d' && x >= 0 ]], value = [['v%d']] } }\n"
           "decision \"c\" { type = \"string\", default = [[%s]] }\n",
           n, n, n, broken ? "'v' + 1" : "a");
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* ---- callbacks ---- */

typedef struct counts {
  atomic_int swapped, unchanged, failed;
} counts;

static void count_reloads(void *user, rulecore_reload_outcome outcome, const char *revision,
                          const rulecore_diagnostics *d) {
  counts *c = user;
  (void)revision;
  if (outcome == RULECORE_RELOAD_SWAPPED) atomic_fetch_add(&c->swapped, 1);
  if (outcome == RULECORE_RELOAD_UNCHANGED) atomic_fetch_add(&c->unchanged, 1);
  if (outcome == RULECORE_RELOAD_FAILED && rulecore_diagnostics_error_count(d) > 0) atomic_fetch_add(&c->failed, 1);
}

/* ---- evaluating ---- */

/* The version the serving ruleset gives (all three decisions agreeing),
 * or -1 with *why when they do not or an evaluation failed. */
typedef struct evaluator {
  rulecore_watch *w;
  rulecore_activation *act; /* for the schema it was made for */
  rulecore_schema *schema;
  rulecore_decisions *out;
} evaluator;

static int eval_version(evaluator *ev, char *why, size_t whylen) {
  const rulecore_ruleset *rs = rulecore_watch_acquire(ev->w);
  int version = -1;
  if (!rs) {
    snprintf(why, whylen, "acquire gave NULL");
    return -1;
  }
  if (rulecore_ruleset_schema(rs) != ev->schema) {
    rulecore_activation_free(ev->act);
    ev->schema = rulecore_ruleset_schema(rs);
    ev->act = rulecore_activation_new(ev->schema);
    int32_t x = rulecore_schema_slot(ev->schema, "x");
    if (!ev->act || x < 0 || rulecore_activation_set_int(ev->act, x, 1) != RULECORE_OK) {
      snprintf(why, whylen, "no activation");
      goto done;
    }
  }
  if (rulecore_ruleset_eval(rs, ev->act, NULL, 0, ev->out) != RULECORE_OK) {
    snprintf(why, whylen, "eval failed");
    goto done;
  }
  char seen[3][32];
  static const char *const names[3] = {"a", "b", "c"};
  for (size_t i = 0; i < 3; i++) {
    int32_t k = rulecore_ruleset_decision_index(rs, names[i]);
    rulecore_outcome o = k < 0 ? RULECORE_OUTCOME_NOT_EVALUATED : rulecore_decisions_outcome(ev->out, (size_t)k);
    if (o != RULECORE_OUTCOME_RULE && o != RULECORE_OUTCOME_DEFAULT) {
      snprintf(why, whylen, "decision %s: %s %d", names[i], k < 0 ? "missing" : "outcome", (int)o);
      goto done;
    }
    snprintf(seen[i], sizeof seen[i], "%s", rulecore_result_string(rulecore_decisions_value(ev->out, (size_t)k), NULL));
  }
  if (strcmp(seen[0], seen[1]) != 0 || strcmp(seen[0], seen[2]) != 0 || seen[0][0] != 'v') {
    snprintf(why, whylen, "torn: a=%s b=%s c=%s", seen[0], seen[1], seen[2]);
    goto done;
  }
  version = atoi(seen[0] + 1);
done:
  rulecore_watch_release(ev->w, rs);
  return version;
}

typedef struct stress {
  rulecore_watch *w;
  atomic_bool stop;
  atomic_int latest_seen;           /* the newest version any evaluator saw */
  atomic_uchar served[MAX_VERSIONS]; /* versions seen by an evaluator */
  atomic_long evaluations, bad;
  char bad_why[256];
  pthread_mutex_t why_lock;
} stress;

static void *evaluate_loop(void *arg) {
  stress *s = arg;
  evaluator ev = {.w = s->w, .out = rulecore_decisions_new()};
  char why[256];
  while (!atomic_load(&s->stop)) {
    int v = eval_version(&ev, why, sizeof why);
    atomic_fetch_add(&s->evaluations, 1);
    if (v < 0 || v >= MAX_VERSIONS) {
      if (atomic_fetch_add(&s->bad, 1) == 0) {
        pthread_mutex_lock(&s->why_lock);
        snprintf(s->bad_why, sizeof s->bad_why, "%s", why);
        pthread_mutex_unlock(&s->why_lock);
      }
      continue;
    }
    atomic_store(&s->served[v], 1);
    int prev = atomic_load(&s->latest_seen);
    while (v > prev && !atomic_compare_exchange_weak(&s->latest_seen, &prev, v)) {
    }
  }
  rulecore_decisions_free(ev.out);
  rulecore_activation_free(ev.act);
  return NULL;
}

typedef enum way { BY_RENAME, IN_PLACE, CONFIGMAP } way;

/* Write version n into the ruleset at dir the given way. */
static void write_version(const char *dir, way how, int n, bool broken) {
  char text[1024], path[1100], tmp[560];
  version_text(text, sizeof text, n, broken);
  if (how == BY_RENAME) {
    snprintf(tmp, sizeof tmp, "%s/.rules.lua.tmp", dir); /* an editor's temporary file */
    snprintf(path, sizeof path, "%s/rules.lua", dir);
    put(tmp, text);
    ck_assert_int_eq(rename(tmp, path), 0);
  } else if (how == IN_PLACE) {
    snprintf(path, sizeof path, "%s/rules.lua", dir);
    int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    size_t len = strlen(text), half = len / 2;
    ck_assert_int_eq(write(fd, text, half), (ssize_t)half); /* a partial write, then the rest */
    sleep_ms(2);
    ck_assert_int_eq(write(fd, text + half, len - half), (ssize_t)(len - half));
    ck_assert_int_eq(close(fd), 0);
  } else {
    /* as the kubelet does: a new timestamped directory, a ..data_tmp link
     * to it renamed over ..data, the old directory removed */
    char old[256] = "", link[512];
    snprintf(link, sizeof link, "%s/..data", dir);
    ssize_t k = readlink(link, old, sizeof old - 1);
    old[k > 0 ? k : 0] = '\0';
    snprintf(tmp, sizeof tmp, "%s/..v%d", dir, n);
    ck_assert_int_eq(mkdir(tmp, 0755), 0);
    snprintf(path, sizeof path, "%s/rules.lua", tmp);
    put(path, text);
    snprintf(path, sizeof path, "%s/..data_tmp", dir);
    ck_assert_int_eq(symlink(tmp + strlen(dir) + 1, path), 0);
    ck_assert_int_eq(rename(path, link), 0);
    if (old[0]) {
      snprintf(path, sizeof path, "%s/%s", dir, old);
      rm_tree(path);
    }
  }
}

static void run_stress(way how) {
  const char *env_rounds = getenv("RULECORE_STRESS_ROUNDS");
  int rounds = env_rounds ? atoi(env_rounds) : 100;
  if (rounds < 5) rounds = 5;
  if (rounds > MAX_VERSIONS - 2) rounds = MAX_VERSIONS - 2;
  char *dir = scratch();
  char path[512];
  if (how == CONFIGMAP) {
    write_version(dir, CONFIGMAP, 0, false);
    snprintf(path, sizeof path, "%s/rules.lua", dir);
    ck_assert_int_eq(symlink("..data/rules.lua", path), 0);
  } else {
    write_version(dir, BY_RENAME, 0, false);
  }
  counts c = {0};
  rulecore_watch_options opt = {.debounce_ms = 15, .on_reload = count_reloads, .user = &c};
  stress *s = calloc(1, sizeof *s);
  ck_assert_ptr_nonnull(s);
  pthread_mutex_init(&s->why_lock, NULL);
  rulecore_diagnostics *d = NULL;
  ck_assert_int_eq(rulecore_watch_new(NULL, dir, &opt, &s->w, &d), RULECORE_OK);
  ck_assert_uint_eq(rulecore_diagnostics_error_count(d), 0);
  rulecore_diagnostics_free(d);
  pthread_t th[EVALUATORS];
  for (int i = 0; i < EVALUATORS; i++) ck_assert_int_eq(pthread_create(&th[i], NULL, evaluate_loop, s), 0);

  int good = 0, broken = 0, last_good = 0, missed = -1, kept_wrong = -1;
  for (int n = 1; n <= rounds; n++) {
    bool is_broken = n % 5 == 0;
    int failed_before = atomic_load(&c.failed);
    write_version(dir, how, n, is_broken);
    int64_t deadline = mono_ms() + 10000;
    if (is_broken) {
      broken++;
      while (atomic_load(&c.failed) == failed_before && mono_ms() < deadline) sleep_ms(1);
      if (atomic_load(&c.failed) == failed_before && missed < 0) missed = n;
      /* still the last good version, and only it */
      evaluator ev = {.w = s->w, .out = rulecore_decisions_new()};
      char why[256];
      int v = eval_version(&ev, why, sizeof why);
      rulecore_decisions_free(ev.out);
      rulecore_activation_free(ev.act);
      if (v != last_good && kept_wrong < 0) kept_wrong = n;
    } else {
      good++;
      while (!atomic_load(&s->served[n]) && mono_ms() < deadline) sleep_ms(1);
      if (!atomic_load(&s->served[n]) && missed < 0) missed = n;
      last_good = n;
    }
  }
  atomic_store(&s->stop, true);
  for (int i = 0; i < EVALUATORS; i++) pthread_join(th[i], NULL);
  rulecore_watch_status st;
  rulecore_watch_get_status(s->w, &st);
  rulecore_watch_free(s->w);

  long evaluations = atomic_load(&s->evaluations), bad = atomic_load(&s->bad);
  int served_broken = -1;
  for (int n = 1; n <= rounds; n++)
    if (n % 5 == 0 && atomic_load(&s->served[n])) served_broken = n;
  char why[256];
  snprintf(why, sizeof why, "%s", s->bad_why);
  pthread_mutex_destroy(&s->why_lock);
  free(s);
  rm_tree(dir);

  ck_assert_msg(bad == 0, "%ld of %ld evaluations failed or were torn; the first: %s", bad, evaluations, why);
  ck_assert_msg(missed < 0, "version %d was never served (or its failure never reported)", missed);
  ck_assert_msg(kept_wrong < 0, "after broken version %d, the serving version was not %d", kept_wrong,
                kept_wrong - 1);
  ck_assert_msg(served_broken < 0, "broken version %d was served", served_broken);
  ck_assert_int_ge(atomic_load(&c.swapped), good);
  ck_assert_int_ge(atomic_load(&c.failed), broken);
  ck_assert_uint_ge(st.swaps, (uint64_t)good);
  ck_assert_uint_ge(st.failures, (uint64_t)broken);
  ck_assert_int_gt(evaluations, rounds);
}

START_TEST(test_stress_rename) { run_stress(BY_RENAME); }
END_TEST
START_TEST(test_stress_in_place) { run_stress(IN_PLACE); }
END_TEST
START_TEST(test_stress_configmap) { run_stress(CONFIGMAP); }
END_TEST

/* ---- behaviour ---- */

/* Wait up to 5 s for the watch's status to show more than `attempts`
 * attempts; the status then. */
static rulecore_watch_status wait_attempt(rulecore_watch *w, uint64_t attempts) {
  rulecore_watch_status st;
  int64_t deadline = mono_ms() + 5000;
  do {
    rulecore_watch_get_status(w, &st);
    if (st.attempts > attempts) break;
    sleep_ms(2);
  } while (mono_ms() < deadline);
  return st;
}

static int serving_version(rulecore_watch *w) {
  evaluator ev = {.w = w, .out = rulecore_decisions_new()};
  char why[256];
  int v = eval_version(&ev, why, sizeof why);
  rulecore_decisions_free(ev.out);
  rulecore_activation_free(ev.act);
  return v;
}

static void behaviour(bool poll) {
  char *dir = scratch(), path[512], text[1024];
  snprintf(path, sizeof path, "%s/rules.lua", dir);
  version_text(text, sizeof text, 1, false);
  put(path, text);
  rulecore_watch_options opt = {.debounce_ms = 10, .poll_ms = 20, .poll = poll};
  rulecore_watch *w = NULL;
  ck_assert_int_eq(rulecore_watch_new(NULL, dir, &opt, &w, NULL), RULECORE_OK);
  rulecore_watch_status st;
  rulecore_watch_get_status(w, &st);
  ck_assert_int_eq(st.polling, poll);
  ck_assert_uint_eq(st.attempts, 0);
  ck_assert_int_eq(st.last_outcome, RULECORE_RELOAD_NONE);
  ck_assert_int_eq(serving_version(w), 1);

  /* a change is picked up */
  version_text(text, sizeof text, 2, false);
  put(path, text);
  st = wait_attempt(w, 0);
  ck_assert_int_eq(st.last_outcome, RULECORE_RELOAD_SWAPPED);
  ck_assert_int_eq(serving_version(w), 2);
  const rulecore_ruleset *rs = rulecore_watch_acquire(w);
  ck_assert_str_eq(st.revision, rulecore_ruleset_revision(rs));
  rulecore_watch_release(w, rs);

  /* a broken one is reported and kept out */
  version_text(text, sizeof text, 3, true);
  put(path, text);
  st = wait_attempt(w, st.attempts);
  ck_assert_int_eq(st.last_outcome, RULECORE_RELOAD_FAILED);
  ck_assert_uint_eq(st.last_errors, 1);
  ck_assert_int_eq(serving_version(w), 2);
  char *diags = rulecore_watch_diagnostics(w, RULECORE_FORMAT_TEXT);
  ck_assert_ptr_nonnull(diags);
  bool positioned = strstr(diags, "rules.lua:5:") != NULL;
  rulecore_free(diags);
  ck_assert_msg(positioned, "the diagnostics name the file and line");

  /* a file added: a second rule file is part of the ruleset */
  snprintf(path, sizeof path, "%s/more.lua", dir);
  put(path, "decision \"d\" { type = \"int\", default = [[ 4 ]] }\n");
  snprintf(path, sizeof path, "%s/rules.lua", dir);
  version_text(text, sizeof text, 4, false);
  put(path, text);
  int64_t deadline = mono_ms() + 5000;
  while (serving_version(w) != 4 && mono_ms() < deadline) sleep_ms(2);
  rs = rulecore_watch_acquire(w);
  int32_t dd = rulecore_ruleset_decision_index(rs, "d");
  rulecore_watch_release(w, rs);
  ck_assert_int_eq(serving_version(w), 4);
  ck_assert_int_ge(dd, 0);

  /* the directory removed: keep serving; recreated: resume */
  rm_tree(dir);
  sleep_ms(100);
  ck_assert_int_eq(serving_version(w), 4);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  version_text(text, sizeof text, 5, false);
  put(path, text);
  deadline = mono_ms() + 5000;
  while (serving_version(w) != 5 && mono_ms() < deadline) sleep_ms(5);
  ck_assert_int_eq(serving_version(w), 5);

  /* reload now, on unchanged files */
  rulecore_diagnostics *d = NULL;
  ck_assert_int_eq(rulecore_watch_reload(w, &d), RULECORE_RELOAD_UNCHANGED);
  ck_assert_uint_eq(rulecore_diagnostics_error_count(d), 0);
  rulecore_diagnostics_free(d);
  rulecore_watch_free(w);
  rm_tree(dir);
}

START_TEST(test_inotify) { behaviour(false); }
END_TEST
START_TEST(test_polling) { behaviour(true); }
END_TEST

START_TEST(test_first_load_fails) {
  char *dir = scratch(), path[512], text[1024];
  snprintf(path, sizeof path, "%s/rules.lua", dir);
  version_text(text, sizeof text, 1, true);
  put(path, text);
  rulecore_watch *w = (rulecore_watch *)&w;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_watch_new(NULL, dir, NULL, &w, &d);
  size_t errors = rulecore_diagnostics_error_count(d);
  rulecore_diagnostics_free(d);
  rm_tree(dir);
  ck_assert_int_eq(st, RULECORE_ERR_SOURCE);
  ck_assert_ptr_null(w);
  ck_assert_uint_eq(errors, 1);
  ck_assert_int_eq(rulecore_watch_new(NULL, "/nonexistent/rules", NULL, &w, NULL), RULECORE_ERR_IO);
  ck_assert_int_eq(rulecore_watch_new(NULL, NULL, NULL, &w, NULL), RULECORE_ERR_ARGUMENT);
}
END_TEST

/* Explicit reloads: the callback sees each outcome; a version held across
 * reloads stays usable, and is freed by its release (ASan: no leak, no use
 * after free). */
START_TEST(test_reload_now_and_holders) {
  char *dir = scratch(), path[512], text[1024];
  snprintf(path, sizeof path, "%s/rules.lua", dir);
  version_text(text, sizeof text, 1, false);
  put(path, text);
  counts c = {0};
  rulecore_watch_options opt = {.debounce_ms = 5000, .poll = 1, .poll_ms = 60000, .on_reload = count_reloads, .user = &c};
  rulecore_watch *w = NULL;
  ck_assert_int_eq(rulecore_watch_new(NULL, dir, &opt, &w, NULL), RULECORE_OK);
  const rulecore_ruleset *held = rulecore_watch_acquire(w);
  char first_rev[65];
  snprintf(first_rev, sizeof first_rev, "%s", rulecore_ruleset_revision(held));
  for (int n = 2; n <= 150; n++) { /* more reloads than the ring has slots, one holder through 60 */
    version_text(text, sizeof text, n, n % 7 == 0);
    put(path, text);
    rulecore_diagnostics *d = NULL;
    rulecore_reload_outcome o = rulecore_watch_reload(w, &d);
    size_t errors = rulecore_diagnostics_error_count(d);
    rulecore_diagnostics_free(d);
    ck_assert_int_eq(o, n % 7 == 0 ? RULECORE_RELOAD_FAILED : RULECORE_RELOAD_SWAPPED);
    ck_assert_uint_eq(errors, n % 7 == 0 ? 1 : 0);
    ck_assert_int_eq(serving_version(w), n % 7 == 0 ? n - 1 : n);
    if (n == 60) {
      rulecore_watch_release(w, held); /* the oldest version goes here */
      held = NULL;
    }
  }
  ck_assert_ptr_null(held);
  ck_assert_int_eq(atomic_load(&c.failed), 21);
  ck_assert_int_eq(atomic_load(&c.swapped), 149 - 21);
  ck_assert_int_eq(rulecore_watch_reload(w, NULL), RULECORE_RELOAD_UNCHANGED);
  ck_assert_int_eq(atomic_load(&c.unchanged), 1);
  rulecore_watch_free(w);
  rm_tree(dir);
  ck_assert_int_eq((int)strlen(first_rev), 64);
}
END_TEST

/* A burst of writes becomes one reload of the final state. */
START_TEST(test_debounce) {
  char *dir = scratch(), path[512], text[1024];
  snprintf(path, sizeof path, "%s/rules.lua", dir);
  version_text(text, sizeof text, 1, false);
  put(path, text);
  counts c = {0};
  rulecore_watch_options opt = {.debounce_ms = 150, .on_reload = count_reloads, .user = &c};
  rulecore_watch *w = NULL;
  ck_assert_int_eq(rulecore_watch_new(NULL, dir, &opt, &w, NULL), RULECORE_OK);
  for (int n = 2; n <= 19; n++) {
    version_text(text, sizeof text, n, n % 2 == 0); /* broken versions among them: never loaded */
    put(path, text);
    sleep_ms(5);
  }
  rulecore_watch_status st = wait_attempt(w, 0);
  sleep_ms(300);
  rulecore_watch_get_status(w, &st);
  int v = serving_version(w);
  rulecore_watch_free(w);
  rm_tree(dir);
  ck_assert_int_eq(v, 19);
  ck_assert_uint_eq(st.attempts, 1);
  ck_assert_int_eq(atomic_load(&c.failed), 0);
}
END_TEST

/* A single rule file is watched through its directory. */
START_TEST(test_single_file) {
  char *dir = scratch(), path[512], text[1024];
  snprintf(path, sizeof path, "%s/only.lua", dir);
  version_text(text, sizeof text, 1, false);
  put(path, text);
  rulecore_watch_options opt = {.debounce_ms = 10};
  rulecore_watch *w = NULL;
  ck_assert_int_eq(rulecore_watch_new(NULL, path, &opt, &w, NULL), RULECORE_OK);
  version_text(text, sizeof text, 2, false);
  put(path, text);
  int64_t deadline = mono_ms() + 5000;
  while (serving_version(w) != 2 && mono_ms() < deadline) sleep_ms(2);
  int v = serving_version(w);
  rulecore_watch_free(w);
  rm_tree(dir);
  ck_assert_int_eq(v, 2);
}
END_TEST

static Suite *suite_watch(void) {
  Suite *s = suite_create("watch");
  TCase *tc = tcase_create("behaviour");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_first_load_fails);
  tcase_add_test(tc, test_inotify);
  tcase_add_test(tc, test_polling);
  tcase_add_test(tc, test_reload_now_and_holders);
  tcase_add_test(tc, test_debounce);
  tcase_add_test(tc, test_single_file);
  suite_add_tcase(s, tc);
  tc = tcase_create("stress");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_stress_rename);
  tcase_add_test(tc, test_stress_in_place);
  tcase_add_test(tc, test_stress_configmap);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return check_main(suite_watch()); }
