/*
 * strmap.h: a map from NUL-terminated strings to pointers, by open
 * addressing.  It borrows its keys (they must outlive it) and owns only
 * its table.  For the places where names are checked or looked up by the
 * thousand while they are still being declared (schemas being loaded),
 * where a scan per name would make loading quadratic.
 */
#ifndef RULECORE_STRMAP_H
#define RULECORE_STRMAP_H

#include "internal.h"

typedef struct strmap {
  struct strmap_slot {
    const char *key; /* NULL: empty */
    const void *value;
  } *slots;
  size_t mask; /* slots - 1; 0: no table yet */
  size_t n;
} strmap;

/* The value stored under key, or NULL (and *found false) when absent. */
INTERNAL const void *strmap_get(const strmap *m, const char *key, bool *found);
/* Store value under key, replacing what was there.  False when out of
 * memory (m is unchanged then). */
INTERNAL bool strmap_put(strmap *m, const char *key, const void *value);
/* Free the table; m is empty and usable again. */
INTERNAL void strmap_release(strmap *m);

#endif
