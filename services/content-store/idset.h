/* A set of 32-byte ids (open addressing; the ids are hashes already, so their
 * first bytes index the table). Used for the ids staged in one loop turn. */
#ifndef STORE_IDSET_H
#define STORE_IDSET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qf/hash.h"

typedef struct idset {
  uint8_t (*slots)[QF_SHA256_LEN];
  bool *used;
  size_t cap, n; /* cap: 0 or a power of two */
} idset;

/* Adds id; false when it was there already. */
bool idset_add(idset *s, const uint8_t id[QF_SHA256_LEN]);
bool idset_has(const idset *s, const uint8_t id[QF_SHA256_LEN]);
/* Empties the set, keeping its memory. */
void idset_clear(idset *s);
void idset_free(idset *s);

#endif
