/*
 * suggest.h: "did you mean ...?" by edit distance.
 */
#ifndef RULECORE_SUGGEST_H
#define RULECORE_SUGGEST_H

#include "internal.h"

/* The candidate closest to name by Damerau-Levenshtein distance, if close
 * enough to be a likely typo (distance at most 1 for short names, a third
 * of the length for longer ones, and always less than the name's length,
 * so `x` suggests nothing), else NULL.  candidate(ctx, i) yields the
 * i-th of n candidates (NULL entries are skipped). */
INTERNAL const char *suggest_closest(const char *name, size_t n, const char *(*candidate)(const void *ctx, size_t i),
                                     const void *ctx);

/* The edit distance between a and b (adjacent swaps count one), capped at
 * limit + 1 to stay cheap. */
INTERNAL size_t suggest_distance(const char *a, const char *b, size_t limit);

#endif
