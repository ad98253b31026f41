/*
 * suggest.c: edit distance for did-you-mean hints.
 */
#include "suggest.h"

#include <string.h>

#define MAX_LEN 64

size_t suggest_distance(const char *a, const char *b, size_t limit) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > MAX_LEN || lb > MAX_LEN) return limit + 1;
  if ((la > lb ? la - lb : lb - la) > limit) return limit + 1;
  /* Three rows of the optimal-string-alignment distance. */
  size_t prev2[MAX_LEN + 1], prev[MAX_LEN + 1], cur[MAX_LEN + 1];
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= lb; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t v = prev[j] + 1;
      if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
      if (prev[j - 1] + cost < v) v = prev[j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
        v = prev2[j - 2] + 1;
      cur[j] = v;
      if (v < row_min) row_min = v;
    }
    if (row_min > limit) return limit + 1;
    memcpy(prev2, prev, sizeof prev);
    memcpy(prev, cur, sizeof cur);
  }
  return prev[lb] > limit ? limit + 1 : prev[lb];
}

const char *suggest_closest(const char *name, size_t n, const char *(*candidate)(const void *ctx, size_t i),
                            const void *ctx) {
  size_t len = strlen(name);
  size_t limit = len <= 4 ? 1 : len / 3;
  if (limit < 1) limit = 1;
  const char *best = NULL;
  size_t best_d = limit + 1;
  for (size_t i = 0; i < n; i++) {
    const char *c = candidate(ctx, i);
    if (!c || strcmp(c, name) == 0) continue;
    size_t d = suggest_distance(name, c, limit);
    /* Every one-letter name is one edit from every other: a suggestion
     * must keep at least one character of the name. */
    if (d >= len) continue;
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}
