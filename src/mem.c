/*
 * mem.c: the allocator hook, arenas and string buffers.
 */
#include "mem.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

static void *default_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  if (n == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, n);
}

static rulecore_realloc_fn hook = default_realloc;
static void *hook_ud;

RULECORE_API void rulecore_set_allocator(rulecore_realloc_fn fn, void *ud) {
  hook = fn ? fn : default_realloc;
  hook_ud = fn ? ud : NULL;
}

RULECORE_API void rulecore_free(void *ptr) { mem_free(ptr); }

static _Thread_local size_t failures;

size_t mem_failures(void) { return failures; }

void *mem_realloc(void *p, size_t n) {
  void *r = hook(hook_ud, p, n);
  if (!r && n) failures++;
  return r;
}
void *mem_alloc(size_t n) {
  void *r = n ? hook(hook_ud, NULL, n) : NULL;
  if (!r && n) failures++;
  return r;
}
void mem_free(void *p) {
  if (p) hook(hook_ud, p, 0);
}

void *mem_calloc(size_t count, size_t size) {
  if (size && count > SIZE_MAX / size) return NULL;
  void *p = mem_alloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

char *mem_strndup(const char *s, size_t n) {
  char *d = mem_alloc(n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* tree-sitter aborts when its allocator returns NULL; that is its contract
 * and we cannot change it, only make the hook the same one. */
static void *ts_malloc_hook(size_t n) { return mem_alloc(n ? n : 1); }
static void *ts_calloc_hook(size_t c, size_t n) { return mem_calloc(c ? c : 1, n ? n : 1); }
static void *ts_realloc_hook(void *p, size_t n) { return mem_realloc(p, n ? n : 1); }
static void *json_malloc_hook(size_t n) { return mem_alloc(n ? n : 1); }

static void init_libraries(void) {
  ts_set_allocator(ts_malloc_hook, ts_calloc_hook, ts_realloc_hook, mem_free);
  json_set_alloc_funcs(json_malloc_hook, mem_free);
}

static pthread_once_t libraries_once = PTHREAD_ONCE_INIT;

void mem_init_libraries(void) { pthread_once(&libraries_once, init_libraries); }

/* ---- arena ---- */

struct arena_block {
  arena_block *next;
  size_t used, size;
  max_align_t data[];
};

#define ARENA_BLOCK_SIZE 4096

void *arena_alloc(arena *a, size_t n) {
  size_t align = sizeof(max_align_t);
  n = (n + align - 1) / align * align;
  if (n == 0) n = align;
  arena_block *b = a->head;
  if (!b || b->size - b->used < n) {
    size_t size = n > ARENA_BLOCK_SIZE ? n : ARENA_BLOCK_SIZE;
    b = mem_alloc(sizeof(arena_block) + size);
    if (!b) return NULL;
    b->size = size;
    b->used = 0;
    if (a->head && n > ARENA_BLOCK_SIZE) {
      /* A big allocation gets a block of its own behind the current one, so
       * the current block's free space is not wasted. */
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
  }
  char *p = (char *)b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

char *arena_strndup(arena *a, const char *s, size_t n) {
  char *d = arena_alloc(a, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

void arena_release(arena *a) {
  arena_block *b = a->head;
  while (b) {
    arena_block *next = b->next;
    mem_free(b);
    b = next;
  }
  a->head = NULL;
}

/* ---- pool ---- */

struct pool_chunk {
  pool_chunk *next;
  size_t used, size;
  max_align_t data[];
};

#define POOL_CHUNK_SIZE 4096

void *pool_alloc(pool *p, size_t n) {
  size_t align = sizeof(max_align_t);
  if (n > SIZE_MAX / 2) return NULL;
  n = n ? (n + align - 1) / align * align : align;
  pool_chunk *c = p->cur;
  if (c && c->size - c->used >= n) {
    void *r = (char *)c->data + c->used;
    c->used += n;
    return r;
  }
  /* The next chunk kept by a reset, when it is big enough. */
  if (c && c->next && c->next->size >= n) {
    c = p->cur = c->next;
    c->used = n;
    return c->data;
  }
  size_t size = c ? c->size * 2 : POOL_CHUNK_SIZE;
  if (size < n) size = n;
  pool_chunk *fresh = mem_alloc(sizeof(pool_chunk) + size);
  if (!fresh) return NULL;
  fresh->size = size;
  fresh->used = n;
  if (c) {
    fresh->next = c->next;
    c->next = fresh;
  } else {
    fresh->next = p->first;
    p->first = fresh;
  }
  p->cur = fresh;
  return fresh->data;
}

void pool_reset(pool *p) {
  /* Chunks after cur were not touched since the last reset. */
  for (pool_chunk *c = p->first; c; c = c->next) {
    c->used = 0;
    if (c == p->cur) break;
  }
  p->cur = p->first;
}

void pool_release(pool *p) {
  pool_chunk *c = p->first;
  while (c) {
    pool_chunk *next = c->next;
    mem_free(c);
    c = next;
  }
  p->first = p->cur = NULL;
}

/* ---- buf ---- */

static bool buf_reserve(buf *b, size_t extra) {
  if (b->oom) return false;
  if (b->len + extra + 1 <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) {
    if (cap > SIZE_MAX / 2) {
      b->oom = true;
      return false;
    }
    cap *= 2;
  }
  char *d = mem_realloc(b->data, cap);
  if (!d) {
    b->oom = true;
    return false;
  }
  b->data = d;
  b->cap = cap;
  return true;
}

void buf_append(buf *b, const char *s, size_t n) {
  if (!buf_reserve(b, n)) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void buf_puts(buf *b, const char *s) { buf_append(b, s, strlen(s)); }
void buf_putc(buf *b, char c) { buf_append(b, &c, 1); }

void buf_printf(buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = true;
    return;
  }
  if ((size_t)n < sizeof small) {
    buf_append(b, small, (size_t)n);
    return;
  }
  if (!buf_reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

char *buf_take(buf *b) {
  if (!b->oom && !b->data && buf_reserve(b, 0)) b->data[0] = '\0';
  char *d = b->oom ? NULL : b->data;
  if (!d) mem_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = false;
  return d;
}

void buf_release(buf *b) {
  mem_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = false;
}

void buf_cel_string(buf *b, const char *s, size_t n, bool bytes) {
  if (bytes) buf_putc(b, 'b');
  buf_putc(b, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': buf_puts(b, "\\\""); break;
    case '\\': buf_puts(b, "\\\\"); break;
    case '\n': buf_puts(b, "\\n"); break;
    case '\r': buf_puts(b, "\\r"); break;
    case '\t': buf_puts(b, "\\t"); break;
    default:
      if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80))
        buf_printf(b, "\\x%02x", c);
      else
        buf_putc(b, (char)c);
    }
  }
  buf_putc(b, '"');
}

void buf_json_string(buf *b, const char *s, size_t n) {
  buf_putc(b, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': buf_puts(b, "\\\""); break;
    case '\\': buf_puts(b, "\\\\"); break;
    case '\n': buf_puts(b, "\\n"); break;
    case '\r': buf_puts(b, "\\r"); break;
    case '\t': buf_puts(b, "\\t"); break;
    default:
      if (c < 0x20 || c == 0x7f)
        buf_printf(b, "\\u%04x", c);
      else
        buf_putc(b, (char)c);
    }
  }
  buf_putc(b, '"');
}
