#include "idset.h"

#include "qf/alloc.h"

#include <stdlib.h>
#include <string.h>

#define MIN_CAP 64

static size_t slot_of(const uint8_t id[QF_SHA256_LEN], size_t cap) {
  uint64_t h;
  memcpy(&h, id, sizeof h);
  return (size_t)h & (cap - 1);
}

/* The slot holding id, or the empty slot where it would go. */
static size_t probe(const idset *s, const uint8_t id[QF_SHA256_LEN]) {
  size_t i = slot_of(id, s->cap);
  while (s->used[i] && memcmp(s->slots[i], id, QF_SHA256_LEN) != 0)
    i = (i + 1) & (s->cap - 1);
  return i;
}

static void grow(idset *s) {
  idset bigger = {0};
  bigger.cap = s->cap ? s->cap * 2 : MIN_CAP;
  bigger.slots = qf_malloc(bigger.cap * sizeof *bigger.slots);
  bigger.used = qf_calloc(bigger.cap, sizeof *bigger.used);
  for (size_t i = 0; i < s->cap; i++)
    if (s->used[i])
      idset_add(&bigger, s->slots[i]);
  idset_free(s);
  *s = bigger;
}

bool idset_add(idset *s, const uint8_t id[QF_SHA256_LEN]) {
  if ((s->n + 1) * 2 > s->cap) /* at most half full */
    grow(s);
  size_t i = probe(s, id);
  if (s->used[i])
    return false;
  memcpy(s->slots[i], id, QF_SHA256_LEN);
  s->used[i] = true;
  s->n++;
  return true;
}

bool idset_has(const idset *s, const uint8_t id[QF_SHA256_LEN]) {
  return s->cap && s->used[probe(s, id)];
}

void idset_clear(idset *s) {
  if (s->cap)
    memset(s->used, 0, s->cap * sizeof *s->used);
  s->n = 0;
}

void idset_free(idset *s) {
  free(s->slots);
  free(s->used);
  memset(s, 0, sizeof *s);
}
