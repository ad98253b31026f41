/*
 * strmap.c: see strmap.h.  FNV-1a, linear probing, at most half full.
 * A slot is a key and a value, no more: the tables of a large schema
 * are megabytes, and on this kind of machine touching fresh memory costs
 * more than hashing a key again when the table grows.
 */
#include "strmap.h"

#include <string.h>

#include "mem.h"

static uint32_t hash_of(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  /* FNV's low bits, which pick the slot, follow the last bytes closely:
   * names such as v1 ... v99999 would cluster.  Mix them (murmur3's
   * finaliser). */
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static struct strmap_slot *slot_of(const strmap *m, const char *key) {
  size_t i = hash_of(key) & m->mask;
  while (m->slots[i].key && (m->slots[i].key[0] != key[0] || strcmp(m->slots[i].key, key) != 0))
    i = (i + 1) & m->mask;
  return &m->slots[i];
}

const void *strmap_get(const strmap *m, const char *key, bool *found) {
  struct strmap_slot *s = m->mask ? slot_of(m, key) : NULL;
  if (found) *found = s && s->key;
  return s && s->key ? s->value : NULL;
}

bool strmap_put(strmap *m, const char *key, const void *value) {
  if (!m->mask || (m->n + 1) * 2 > m->mask + 1) {
    size_t cap = m->mask ? (m->mask + 1) * 2 : 8;
    struct strmap_slot *slots = mem_calloc(cap, sizeof *slots);
    if (!slots) return false;
    strmap grown = {.slots = slots, .mask = cap - 1, .n = m->n};
    for (size_t i = 0; m->mask && i <= m->mask; i++)
      if (m->slots[i].key) *slot_of(&grown, m->slots[i].key) = m->slots[i];
    mem_free(m->slots);
    *m = grown;
  }
  struct strmap_slot *s = slot_of(m, key);
  if (!s->key) m->n++;
  *s = (struct strmap_slot){.key = key, .value = value};
  return true;
}

void strmap_release(strmap *m) {
  mem_free(m->slots);
  *m = (strmap){0};
}
