/*
 * mem.h: the one allocator of librulecore, arenas and string buffers.
 *
 * Every allocation of the library goes through mem_realloc, which calls the
 * hook set by rulecore_set_allocator (or the C library).  tree-sitter and
 * jansson are pointed at the same hook.
 */
#ifndef RULECORE_MEM_H
#define RULECORE_MEM_H

#include "internal.h"

/* Allocate n bytes (NULL when out of memory or n is 0). */
INTERNAL void *mem_alloc(size_t n);
/* Allocate n zeroed bytes. */
INTERNAL void *mem_calloc(size_t count, size_t size);
/* Resize p to n bytes (p NULL allocates; n 0 frees and returns NULL). */
INTERNAL void *mem_realloc(void *p, size_t n);
/* Free p (NULL is a no-op). */
INTERNAL void mem_free(void *p);
/* A NUL-terminated copy of s[0..n) owned by the caller, or NULL. */
INTERNAL char *mem_strndup(const char *s, size_t n);
/* How many allocations have failed in this thread so far: a library that
 * reports out of memory vaguely (jansson, PCRE2) is judged by whether this
 * grew across the call. */
INTERNAL size_t mem_failures(void);
/* Point tree-sitter and jansson at mem_*, once per process (every entry
 * point that may reach them calls it first; later calls cost a check). */
INTERNAL void mem_init_libraries(void);

/* An arena: many allocations freed together.  Owns every block it hands
 * out; a zeroed arena is empty and valid. */
typedef struct arena_block arena_block;
typedef struct arena {
  arena_block *head;
} arena;

/* n bytes aligned for any scalar, zeroed; NULL when out of memory. */
INTERNAL void *arena_alloc(arena *a, size_t n);
/* A NUL-terminated copy of s[0..n) in the arena. */
INTERNAL char *arena_strndup(arena *a, const char *s, size_t n);
INTERNAL void arena_release(arena *a);

/* A pool: scratch memory that is reset and reused.  pool_reset forgets
 * every allocation but keeps the chunks, so a pool that once served a
 * workload serves it again without calling the allocator.  A zeroed pool
 * is empty and valid. */
typedef struct pool_chunk pool_chunk;
typedef struct pool {
  pool_chunk *first, *cur;
} pool;

/* n bytes aligned for any scalar, not zeroed; NULL when out of memory. */
INTERNAL void *pool_alloc(pool *p, size_t n);
INTERNAL void pool_reset(pool *p);
INTERNAL void pool_release(pool *p);

/* A growable string.  After an allocation failure it stays failed (oom set)
 * and ignores further appends, so callers check once at the end. */
typedef struct buf {
  char *data;
  size_t len, cap;
  bool oom;
} buf;

INTERNAL void buf_append(buf *b, const char *s, size_t n);
INTERNAL void buf_puts(buf *b, const char *s);
INTERNAL void buf_putc(buf *b, char c);
INTERNAL void buf_printf(buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Hand the NUL-terminated contents to the caller (NULL after a failure)
 * and reset b. */
INTERNAL char *buf_take(buf *b);
INTERNAL void buf_release(buf *b);



/* Append s[0..n) as a CEL string literal in double quotes (b"..." when
 * bytes): printable ASCII as is, UTF-8 kept for strings, everything else
 * escaped. */
INTERNAL void buf_cel_string(buf *b, const char *s, size_t n, bool bytes);

/* Append s[0..n) as a JSON string literal (quoted, escaped).  s must be
 * valid UTF-8; control characters become \u00XX. */
INTERNAL void buf_json_string(buf *b, const char *s, size_t n);

#endif
