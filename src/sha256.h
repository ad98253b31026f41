/*
 * sha256.h: SHA-256 (FIPS 180-4), for a ruleset's revision: the content
 * hash of the files it was loaded from.
 */
#ifndef RULECORE_SHA256_H
#define RULECORE_SHA256_H

#include "internal.h"

typedef struct sha256 {
  uint32_t h[8];
  uint64_t len;       /* bytes hashed so far */
  unsigned char block[64];
  size_t fill;
} sha256;

INTERNAL void sha256_init(sha256 *c);
INTERNAL void sha256_update(sha256 *c, const void *data, size_t n);
/* Finish and write the digest as 64 lowercase hex digits and a NUL. */
INTERNAL void sha256_hex(sha256 *c, char out[65]);

#endif
