#include "kmap.h"

#include "qf/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct kentry {
  struct kentry *next;
  void *value;
  char key[]; /* NUL-terminated */
} kentry;

struct kmap {
  kentry **slots;
  size_t nslots; /* a power of two */
  size_t n;
};

#define INITIAL_SLOTS 64

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

kmap *kmap_new(void) {
  kmap *m = qf_calloc(1, sizeof *m);
  m->nslots = INITIAL_SLOTS;
  m->slots = qf_calloc(m->nslots, sizeof *m->slots);
  return m;
}

void kmap_free(kmap *m, void (*free_value)(void *)) {
  if (!m)
    return;
  for (size_t i = 0; i < m->nslots; i++) {
    for (kentry *e = m->slots[i], *next; e; e = next) {
      next = e->next;
      if (free_value)
        free_value(e->value);
      free(e);
    }
  }
  free(m->slots);
  free(m);
}

void *kmap_get(const kmap *m, const char *key) {
  for (kentry *e = m->slots[fnv1a(key) & (m->nslots - 1)]; e; e = e->next)
    if (strcmp(e->key, key) == 0)
      return e->value;
  return NULL;
}

/* Doubles the table when it averages more than one entry per slot. */
static void grow(kmap *m) {
  size_t nslots = m->nslots * 2;
  kentry **slots = qf_calloc(nslots, sizeof *slots);
  for (size_t i = 0; i < m->nslots; i++) {
    for (kentry *e = m->slots[i], *next; e; e = next) {
      next = e->next;
      size_t j = fnv1a(e->key) & (nslots - 1);
      e->next = slots[j];
      slots[j] = e;
    }
  }
  free(m->slots);
  m->slots = slots;
  m->nslots = nslots;
}

void kmap_put(kmap *m, const char *key, void *value) {
  if (m->n >= m->nslots)
    grow(m);
  size_t len = strlen(key);
  kentry *e = qf_malloc(sizeof *e + len + 1);
  memcpy(e->key, key, len + 1);
  e->value = value;
  size_t i = fnv1a(key) & (m->nslots - 1);
  e->next = m->slots[i];
  m->slots[i] = e;
  m->n++;
}

void kmap_each(const kmap *m, void (*fn)(const char *key, void *value, void *arg),
               void *arg) {
  for (size_t i = 0; i < m->nslots; i++)
    for (kentry *e = m->slots[i]; e; e = e->next)
      fn(e->key, e->value, arg);
}
