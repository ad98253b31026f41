/*
 * watch.c: a ruleset kept current with its files (rulecore_watch_*).
 *
 * Publishing.  The versions live in a ring of slots indexed by a
 * generation number; one 64-bit word holds the serving generation (high
 * half) and how many holders acquired it (low half).  Acquire is one
 * fetch_add on the word: it pins the generation it returns, whose slot
 * cannot change while it is pinned.  Release takes the count back with a
 * compare-and-swap while the generation still serves; after a swap, the
 * swapper moves the old generation's count into its slot's `pending`, and
 * releasers of that generation decrement `pending` instead: whoever brings
 * it to zero (once the swapper's count is in) frees the version.  So the
 * hot path is two atomic operations and no lock, and a version is freed
 * only when its last holder has let it go.  A swap takes the next free
 * slot, skipping generations whose slot a holder still keeps; only RING
 * versions held at once would make the swapper wait.
 *
 * Watching.  One thread per watch: inotify on the ruleset's directory and
 * its subdirectories (for a single file, its directory), or polling of a
 * fingerprint of the files (names, metadata and contents) where inotify
 * cannot be had.  A change starts the debounce: the reload waits until the
 * files have been quiet for debounce_ms.  A load during which the files
 * changed again is thrown away and the wait starts over, so only a
 * consistent directory is published.  Kubernetes' ConfigMap update (the
 * `..data` symbolic link replaced by a rename) is a rename in the watched
 * directory; a directory that disappears is polled for until it is back.
 */
#define _GNU_SOURCE /* pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "diag.h"
#include "internal.h"
#include "mem.h"
#include "sha256.h"

#define RING 64u
#define DEFAULT_DEBOUNCE_MS 100u
#define DEFAULT_POLL_MS 500u
#define MAX_DEPTH 8 /* subdirectories watched below the ruleset's */

typedef struct slot {
  _Atomic(rulecore_ruleset *) rs; /* NULL: free */
  atomic_int_fast64_t pending;    /* holders left once replaced (see above) */
} slot;

struct rulecore_watch {
  _Atomic uint64_t word; /* generation << 32 | holders */
  slot ring[RING];
  rulecore_env *env; /* the caller's limits, copied */
  char *path;        /* as given */
  char *dir;         /* the directory to watch: path, or a file's directory */
  rulecore_watch_options opt;

  pthread_mutex_t reload_lock; /* one reload at a time, and its callback */
  pthread_mutex_t status_lock; /* what rulecore_watch_get_status reads */
  rulecore_watch_status st;
  rulecore_diagnostics *last_diags; /* of the last attempt; NULL: none */

  pthread_t thread;
  bool thread_started;
  int ino;          /* the thread's inotify descriptor; -1: polling */
  char seen[65];    /* polling: the fingerprint of the files last loaded */
  int wake[2]; /* a pipe: a byte written stops the thread */
  _Atomic bool metrics; /* count the evaluations of every version published */
  rulecore_log_fn log_fn; /* the decision log's sink of every version (under reload_lock) */
  void *log_user;
  unsigned log_flags;
};

static int64_t now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- publishing ---- */

static void retire(slot *s) {
  rulecore_ruleset *rs = atomic_exchange(&s->rs, NULL);
  rulecore_ruleset_free(rs);
}

RULECORE_API const rulecore_ruleset *rulecore_watch_acquire(rulecore_watch *w) {
  if (!w) return NULL;
  uint64_t old = atomic_fetch_add_explicit(&w->word, 1, memory_order_acquire);
  return atomic_load_explicit(&w->ring[(old >> 32) % RING].rs, memory_order_relaxed);
}

RULECORE_API void rulecore_watch_release(rulecore_watch *w, const rulecore_ruleset *rs) {
  if (!w || !rs) return;
  uint64_t cur = atomic_load_explicit(&w->word, memory_order_relaxed);
  /* the common case: the version still serves, and the count is its own */
  while (atomic_load_explicit(&w->ring[(cur >> 32) % RING].rs, memory_order_relaxed) == rs) {
    if (atomic_compare_exchange_weak_explicit(&w->word, &cur, cur - 1, memory_order_release, memory_order_relaxed))
      return;
  }
  /* replaced: the version's slot holds its holders' count */
  for (uint32_t i = 0; i < RING; i++) {
    slot *s = &w->ring[i];
    if (atomic_load_explicit(&s->rs, memory_order_acquire) != rs) continue;
    if (atomic_fetch_sub_explicit(&s->pending, 1, memory_order_acq_rel) == 1) retire(s);
    return;
  }
}

/* Make rs (the caller's reference, now the watch's) the serving version. */
static void publish(rulecore_watch *w, rulecore_ruleset *rs) {
  uint64_t cur = atomic_load(&w->word);
  uint32_t gen = (uint32_t)(cur >> 32), next = gen + 1;
  /* the next free slot: generations whose slot a holder still keeps are
   * skipped; only RING versions held at once make the swapper wait */
  while (atomic_load(&w->ring[next % RING].rs) != NULL) {
    if (next - gen >= RING) {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, NULL);
      next = gen;
    }
    next++;
  }
  slot *ns = &w->ring[next % RING];
  atomic_store(&ns->pending, 0);
  atomic_store(&ns->rs, rs);
  uint64_t old = atomic_exchange_explicit(&w->word, (uint64_t)next << 32, memory_order_acq_rel);
  int64_t holders = (int64_t)(old & 0xffffffffu);
  slot *os = &w->ring[gen % RING];
  if (atomic_fetch_add_explicit(&os->pending, holders, memory_order_acq_rel) + holders == 0) retire(os);
}

/* ---- reloading ---- */

static const char *serving_revision(rulecore_watch *w) {
  uint64_t cur = atomic_load(&w->word);
  return rulecore_ruleset_revision(atomic_load(&w->ring[(cur >> 32) % RING].rs));
}

/* Load the files; publish them unless they give the serving revision, or
 * (when still_quiet is given) the files changed while they loaded.  Returns
 * RULECORE_RELOAD_NONE when the load was thrown away for that. */
static rulecore_reload_outcome reload(rulecore_watch *w, bool (*still_quiet)(rulecore_watch *),
                                      rulecore_diagnostics **diagnostics) {
  pthread_mutex_lock(&w->reload_lock);
  rulecore_ruleset *rs = NULL;
  rulecore_diagnostics *d = NULL;
  rulecore_status st = rulecore_ruleset_load(w->env, w->path, &rs, &d);
  if (still_quiet && !still_quiet(w)) {
    rulecore_ruleset_free(rs);
    rulecore_diagnostics_free(d);
    pthread_mutex_unlock(&w->reload_lock);
    return RULECORE_RELOAD_NONE;
  }
  rulecore_reload_outcome outcome;
  if (st != RULECORE_OK) {
    outcome = RULECORE_RELOAD_FAILED;
  } else if (strcmp(rulecore_ruleset_revision(rs), serving_revision(w)) == 0) {
    outcome = RULECORE_RELOAD_UNCHANGED;
    rulecore_ruleset_free(rs);
  } else {
    outcome = RULECORE_RELOAD_SWAPPED;
    /* counting from its first evaluation on (out of memory: not counted) */
    if (atomic_load(&w->metrics)) rulecore_ruleset_enable_metrics(rs);
    if (w->log_fn) rulecore_ruleset_set_log(rs, w->log_fn, w->log_user, w->log_flags);
    publish(w, rs);
  }
  const char *rev = serving_revision(w); /* the reload lock keeps it */
  int64_t t = now_ns(CLOCK_REALTIME);
  pthread_mutex_lock(&w->status_lock);
  rulecore_diagnostics *prev = w->last_diags;
  w->last_diags = d;
  snprintf(w->st.revision, sizeof w->st.revision, "%s", rev);
  w->st.last_outcome = outcome;
  w->st.last_attempt_ns = t;
  if (outcome == RULECORE_RELOAD_SWAPPED) w->st.last_swap_ns = t;
  w->st.attempts++;
  w->st.swaps += outcome == RULECORE_RELOAD_SWAPPED;
  w->st.failures += outcome == RULECORE_RELOAD_FAILED;
  w->st.last_errors = rulecore_diagnostics_error_count(d);
  if (outcome == RULECORE_RELOAD_FAILED && !w->st.last_errors) w->st.last_errors = 1; /* out of memory */
  pthread_mutex_unlock(&w->status_lock);
  rulecore_diagnostics *copy = NULL; /* the caller's: the watch keeps d */
  if (diagnostics && d && (copy = diag_new(0)) && !diag_append(copy, d, NULL, NULL, NULL, NULL, NULL)) {
    rulecore_diagnostics_free(copy);
    copy = NULL;
  }
  /* d stays the watch's until the next attempt, which this lock orders */
  if (w->opt.on_reload) w->opt.on_reload(w->opt.user, outcome, rev, rulecore_diagnostics_count(d) ? d : NULL);
  pthread_mutex_unlock(&w->reload_lock);
  rulecore_diagnostics_free(prev);
  if (diagnostics) *diagnostics = copy;
  return outcome;
}

RULECORE_API rulecore_reload_outcome rulecore_watch_reload(rulecore_watch *w, rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!w) return RULECORE_RELOAD_NONE;
  return reload(w, NULL, diagnostics);
}

/* ---- noticing changes ---- */

/* Names that are not the ruleset's: editors' backups and swap files.
 * Kubernetes' "..data" and its timestamped directories are. */
static bool ignored_name(const char *name) {
  size_t n = strlen(name);
  if (name[0] == '.' && name[1] != '.') return true; /* .swp files, .git, . */
  if (strcmp(name, "..") == 0) return true;
  if (n && name[n - 1] == '~') return true;
  if (n > 4 && (strcmp(name + n - 4, ".swp") == 0 || strcmp(name + n - 4, ".swx") == 0)) return true;
  return false;
}

/* A fingerprint of everything under dir (names, types, sizes, times and
 * contents, in name order), for polling and for telling whether the files
 * changed during a load. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void fingerprint_dir(sha256 *h, const char *dir, int depth) {
  DIR *dp = opendir(dir);
  if (!dp) {
    sha256_update(h, "\0missing", 8);
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(dp))) {
    if (ignored_name(e->d_name) || strcmp(e->d_name, ".") == 0) continue;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 32;
      char **p = mem_realloc(names, nc * sizeof *p);
      if (!p) break;
      names = p, cap = nc;
    }
    if (!(names[n] = mem_strndup(e->d_name, strlen(e->d_name)))) break;
    n++;
  }
  closedir(dp);
  if (n) qsort(names, n, sizeof *names, cmp_str);
  char path[PATH_MAX];
  for (size_t i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    struct stat sb;
    sha256_update(h, names[i], strlen(names[i]) + 1);
    if (stat(path, &sb) != 0) {
      sha256_update(h, "?", 1);
    } else if (S_ISDIR(sb.st_mode)) {
      sha256_update(h, "d", 1);
      if (depth < MAX_DEPTH) fingerprint_dir(h, path, depth + 1);
    } else if (S_ISREG(sb.st_mode)) {
      int64_t meta[4] = {(int64_t)sb.st_size, (int64_t)sb.st_ino, (int64_t)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec};
      sha256_update(h, meta, sizeof meta);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      char chunk[8192];
      ssize_t got;
      while (fd >= 0 && (got = read(fd, chunk, sizeof chunk)) > 0) sha256_update(h, chunk, (size_t)got);
      if (fd >= 0) close(fd);
    }
    mem_free(names[i]);
  }
  mem_free(names);
}

static void fingerprint(rulecore_watch *w, char out[65]) {
  sha256 h;
  sha256_init(&h);
  fingerprint_dir(&h, w->dir, 0);
  sha256_hex(&h, out);
}

/* Watch dir and its subdirectories; false when a watch could not be added
 * (out of watches: ENOSPC), so that a change there would go unseen. */
static bool add_watches(int fd, const char *dir, int depth) {
  if (inotify_add_watch(fd, dir,
                        IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB |
                            IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | (depth ? IN_DONT_FOLLOW : 0)) < 0)
    return depth > 0 && errno != ENOSPC && errno != ENOMEM; /* a subdirectory gone meanwhile is no loss */
  if (depth >= MAX_DEPTH) return true;
  DIR *dp = opendir(dir);
  if (!dp) return depth > 0;
  bool ok = true;
  struct dirent *e;
  char path[PATH_MAX];
  while (ok && (e = readdir(dp))) {
    if (e->d_name[0] == '.' || ignored_name(e->d_name)) continue;
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) ok = add_watches(fd, path, depth + 1);
  }
  closedir(dp);
  return ok;
}

/* An inotify descriptor watching w->dir and its subdirectories; -1 when
 * inotify cannot be had, is out of watches, or the directory is missing. */
static int inotify_open(rulecore_watch *w) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return -1;
  if (!add_watches(fd, w->dir, 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

typedef struct events {
  bool any;    /* something of the ruleset's changed */
  bool rearm;  /* directories came or went: watch anew */
  bool gone;   /* the watched directory itself went */
} events;

/* Read what inotify has queued, without waiting. */
static void drain(int fd, events *ev) {
  char events_buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t n = read(fd, events_buf, sizeof events_buf);
    if (n <= 0) return;
    for (char *p = events_buf; p < events_buf + n;) {
      const struct inotify_event *e = (const struct inotify_event *)p;
      p += sizeof *e + e->len;
      if (e->mask & IN_Q_OVERFLOW) ev->any = ev->rearm = true;
      if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) ev->any = ev->rearm = true;
      if (e->len && ignored_name(e->name)) continue;
      if (e->mask & ~(unsigned)IN_IGNORED) ev->any = true;
      if (e->mask & IN_ISDIR) ev->rearm = true;
    }
  }
}

/* Wait up to ms for fd (when >= 0) or the wake pipe; true when woken to stop. */
static bool wait_for(rulecore_watch *w, int fd, int ms) {
  struct pollfd p[2] = {{w->wake[0], POLLIN, 0}, {fd, POLLIN, 0}};
  int r = poll(p, fd >= 0 ? 2 : 1, ms);
  return r > 0 && (p[0].revents & POLLIN);
}

/* Whether the files stayed as they were when the load began (on the
 * watch's thread). */
static bool still_quiet(rulecore_watch *w) {
  if (w->ino >= 0) {
    struct pollfd p = {w->ino, POLLIN, 0};
    return poll(&p, 1, 0) == 0;
  }
  char now[65];
  fingerprint(w, now);
  return strcmp(now, w->seen) == 0;
}

static void set_polling(rulecore_watch *w, bool polling) {
  pthread_mutex_lock(&w->status_lock);
  w->st.polling = polling;
  pthread_mutex_unlock(&w->status_lock);
}

static void *watch_thread(void *arg) {
  rulecore_watch *w = arg;
  const int debounce = (int)w->opt.debounce_ms, poll_ms = (int)w->opt.poll_ms;
  for (;;) {
    /* wait for a change */
    bool dirty = false;
    if (w->ino >= 0) {
      if (wait_for(w, w->ino, -1)) break;
      events ev = {0};
      drain(w->ino, &ev);
      dirty = ev.any;
      if (ev.rearm) {
        close(w->ino);
        w->ino = inotify_open(w); /* -1 while the directory is gone: poll until it is back */
        set_polling(w, w->ino < 0);
      }
    } else {
      if (wait_for(w, -1, poll_ms)) break;
      char now[65];
      fingerprint(w, now);
      dirty = strcmp(now, w->seen) != 0;
      if (!w->opt.poll && w->ino < 0) { /* inotify lost (directory gone, or out of watches): try again */
        w->ino = inotify_open(w);
        set_polling(w, w->ino < 0);
      }
    }
    if (!dirty) continue;
    /* wait until the files have been quiet for the debounce time, then load;
     * a load during which they changed is thrown away and the wait resumes */
    bool stop = false;
    for (;;) {
      if (w->ino >= 0) {
        if (wait_for(w, w->ino, debounce)) {
          stop = true;
          break;
        }
        struct pollfd p = {w->ino, POLLIN, 0};
        if (poll(&p, 1, 0) > 0) {
          events ev = {0};
          drain(w->ino, &ev);
          if (ev.rearm) {
            close(w->ino);
            w->ino = inotify_open(w);
            set_polling(w, w->ino < 0);
            if (w->ino < 0) fingerprint(w, w->seen);
          }
          continue;
        }
      } else {
        char before[65];
        fingerprint(w, before);
        if (wait_for(w, -1, debounce)) {
          stop = true;
          break;
        }
        fingerprint(w, w->seen);
        if (strcmp(before, w->seen) != 0) continue;
      }
      if (reload(w, still_quiet, NULL) != RULECORE_RELOAD_NONE) break;
      if (w->ino < 0) fingerprint(w, w->seen);
    }
    if (stop) break;
  }
  return NULL;
}

/* ---- the handle ---- */

static void watch_destroy(rulecore_watch *w) {
  if (w->ino >= 0) close(w->ino);
  for (uint32_t i = 0; i < RING; i++) rulecore_ruleset_free(atomic_load(&w->ring[i].rs));
  rulecore_diagnostics_free(w->last_diags);
  rulecore_env_free(w->env);
  if (w->wake[0] >= 0) close(w->wake[0]);
  if (w->wake[1] >= 0) close(w->wake[1]);
  pthread_mutex_destroy(&w->reload_lock);
  pthread_mutex_destroy(&w->status_lock);
  mem_free(w->path);
  mem_free(w->dir);
  mem_free(w);
}

RULECORE_API rulecore_status rulecore_watch_new(const rulecore_env *env, const char *path,
                                                const rulecore_watch_options *options, rulecore_watch **out,
                                                rulecore_diagnostics **diagnostics) {
  if (diagnostics) *diagnostics = NULL;
  if (!out) return RULECORE_ERR_ARGUMENT;
  *out = NULL;
  if (!path) return RULECORE_ERR_ARGUMENT;
  rulecore_watch *w = mem_calloc(1, sizeof *w);
  if (!w) return RULECORE_ERR_NOMEM;
  w->wake[0] = w->wake[1] = w->ino = -1;
  pthread_mutex_init(&w->reload_lock, NULL);
  pthread_mutex_init(&w->status_lock, NULL);
  if (options) w->opt = *options;
  if (!w->opt.debounce_ms) w->opt.debounce_ms = DEFAULT_DEBOUNCE_MS;
  if (!w->opt.poll_ms) w->opt.poll_ms = DEFAULT_POLL_MS;
  w->env = rulecore_env_new();
  w->path = mem_strndup(path, strlen(path));
  struct stat sb;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    w->dir = mem_strndup(path, strlen(path));
  } else {
    const char *slash = strrchr(path, '/');
    w->dir = slash ? mem_strndup(path, (size_t)(slash - path) + (slash == path)) : mem_strndup(".", 1);
  }
  bool ok = w->env && w->path && w->dir && pipe2(w->wake, O_CLOEXEC) == 0;
  for (int l = 0; ok && l <= RULECORE_LIMIT_LOAD_INSTRUCTIONS; l++)
    ok = rulecore_env_set_limit(w->env, (rulecore_limit)l,
                                rulecore_env_limit(env ? env : api_default_env(), (rulecore_limit)l)) == RULECORE_OK;
  if (!ok) {
    watch_destroy(w);
    return RULECORE_ERR_NOMEM;
  }
  /* watch first, then load: a change after this point is seen */
  if (!w->opt.poll) w->ino = inotify_open(w);
  w->st.polling = w->ino < 0;
  fingerprint(w, w->seen);
  rulecore_ruleset *rs = NULL;
  rulecore_status st = rulecore_ruleset_load(w->env, path, &rs, diagnostics);
  if (st != RULECORE_OK) {
    watch_destroy(w);
    return st;
  }
  atomic_store(&w->ring[0].rs, rs);
  atomic_store(&w->word, 0);
  snprintf(w->st.revision, sizeof w->st.revision, "%s", rulecore_ruleset_revision(rs));
  w->st.last_swap_ns = now_ns(CLOCK_REALTIME);
  if (pthread_create(&w->thread, NULL, watch_thread, w) != 0) {
    watch_destroy(w);
    return RULECORE_ERR_NOMEM;
  }
  w->thread_started = true;
  *out = w;
  return RULECORE_OK;
}

RULECORE_API void rulecore_watch_free(rulecore_watch *w) {
  if (!w) return;
  if (w->thread_started) {
    ssize_t r;
    do r = write(w->wake[1], "x", 1);
    while (r < 0 && errno == EINTR);
    pthread_join(w->thread, NULL);
  }
  watch_destroy(w);
}

RULECORE_API void rulecore_watch_get_status(rulecore_watch *w, rulecore_watch_status *status) {
  if (!status) return;
  memset(status, 0, sizeof *status);
  if (!w) return;
  pthread_mutex_lock(&w->status_lock);
  *status = w->st;
  pthread_mutex_unlock(&w->status_lock);
}

RULECORE_API char *rulecore_watch_diagnostics(rulecore_watch *w, rulecore_format format) {
  if (!w) return NULL;
  pthread_mutex_lock(&w->status_lock);
  char *text = rulecore_diagnostics_render(w->last_diags, format);
  pthread_mutex_unlock(&w->status_lock);
  return text;
}

RULECORE_API rulecore_status rulecore_watch_enable_metrics(rulecore_watch *w) {
  if (!w) return RULECORE_ERR_ARGUMENT;
  /* under the reload lock, so no version is published between the two */
  pthread_mutex_lock(&w->reload_lock);
  atomic_store(&w->metrics, true);
  const rulecore_ruleset *rs = rulecore_watch_acquire(w);
  rulecore_status st = rulecore_ruleset_enable_metrics((rulecore_ruleset *)rs);
  rulecore_watch_release(w, rs);
  pthread_mutex_unlock(&w->reload_lock);
  return st;
}

RULECORE_API char *rulecore_watch_metrics(rulecore_watch *w) {
  if (!w) return NULL;
  rulecore_watch_status st;
  rulecore_watch_get_status(w, &st);
  buf b = {0};
  const rulecore_ruleset *rs = rulecore_watch_acquire(w);
  metrics_render(&b, rs);
  rulecore_watch_release(w, rs);
  buf_puts(&b, "# HELP rulecore_reloads_total Reload attempts after the first load, by outcome.\n"
               "# TYPE rulecore_reloads_total counter\n");
  buf_printf(&b, "rulecore_reloads_total{outcome=\"swapped\"} %llu\n", (unsigned long long)st.swaps);
  buf_printf(&b, "rulecore_reloads_total{outcome=\"unchanged\"} %llu\n",
             (unsigned long long)(st.attempts - st.swaps - st.failures));
  buf_printf(&b, "rulecore_reloads_total{outcome=\"failed\"} %llu\n", (unsigned long long)st.failures);
  buf_puts(&b, "# HELP rulecore_last_reload_timestamp_seconds When the last reload attempt ended (0: none yet).\n"
               "# TYPE rulecore_last_reload_timestamp_seconds gauge\n");
  buf_printf(&b, "rulecore_last_reload_timestamp_seconds %.3f\n", (double)st.last_attempt_ns / 1e9);
  buf_puts(&b, "# HELP rulecore_last_swap_timestamp_seconds When the serving revision was published.\n"
               "# TYPE rulecore_last_swap_timestamp_seconds gauge\n");
  buf_printf(&b, "rulecore_last_swap_timestamp_seconds %.3f\n", (double)st.last_swap_ns / 1e9);
  buf_puts(&b, "# HELP rulecore_reload_errors Errors of the last reload attempt (0: it loaded).\n"
               "# TYPE rulecore_reload_errors gauge\n");
  buf_printf(&b, "rulecore_reload_errors %zu\n", st.last_errors);
  buf_puts(&b, "# HELP rulecore_watch_polling 1 when the watch polls the files, 0 with inotify.\n"
               "# TYPE rulecore_watch_polling gauge\n");
  buf_printf(&b, "rulecore_watch_polling %d\n", st.polling);
  return buf_take(&b);
}

RULECORE_API rulecore_status rulecore_watch_set_log(rulecore_watch *w, rulecore_log_fn fn, void *user, unsigned flags) {
  if (!w) return RULECORE_ERR_ARGUMENT;
  pthread_mutex_lock(&w->reload_lock);
  w->log_fn = fn;
  w->log_user = user;
  w->log_flags = flags;
  const rulecore_ruleset *rs = rulecore_watch_acquire(w);
  rulecore_status st = rulecore_ruleset_set_log((rulecore_ruleset *)rs, fn, user, flags);
  rulecore_watch_release(w, rs);
  pthread_mutex_unlock(&w->reload_lock);
  return st;
}
