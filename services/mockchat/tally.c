#include "tally.h"

#include "qf/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  struct entry *next;
  uint64_t count;
  char group[]; /* NUL-terminated */
} entry;

struct tally {
  pthread_mutex_t mu;
  entry **slots;
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

tally *tally_new(void) {
  tally *t = qf_calloc(1, sizeof *t);
  pthread_mutex_init(&t->mu, NULL);
  t->nslots = INITIAL_SLOTS;
  t->slots = qf_calloc(t->nslots, sizeof *t->slots);
  return t;
}

void tally_free(tally *t) {
  if (!t)
    return;
  for (size_t i = 0; i < t->nslots; i++) {
    for (entry *e = t->slots[i], *next; e; e = next) {
      next = e->next;
      free(e);
    }
  }
  free(t->slots);
  pthread_mutex_destroy(&t->mu);
  free(t);
}

/* Doubles the table when it averages more than one entry per slot. */
static void grow(tally *t) {
  size_t nslots = t->nslots * 2;
  entry **slots = qf_calloc(nslots, sizeof *slots);
  for (size_t i = 0; i < t->nslots; i++) {
    for (entry *e = t->slots[i], *next; e; e = next) {
      next = e->next;
      size_t j = fnv1a(e->group) & (nslots - 1);
      e->next = slots[j];
      slots[j] = e;
    }
  }
  free(t->slots);
  t->slots = slots;
  t->nslots = nslots;
}

static entry *find_or_add(tally *t, const char *group) {
  size_t i = fnv1a(group) & (t->nslots - 1);
  for (entry *e = t->slots[i]; e; e = e->next)
    if (strcmp(e->group, group) == 0)
      return e;
  if (t->n >= t->nslots) {
    grow(t);
    i = fnv1a(group) & (t->nslots - 1);
  }
  size_t len = strlen(group);
  entry *e = qf_malloc(sizeof *e + len + 1);
  memcpy(e->group, group, len + 1);
  e->count = 0;
  e->next = t->slots[i];
  t->slots[i] = e;
  t->n++;
  return e;
}

uint64_t tally_next(tally *t, const char *group) {
  pthread_mutex_lock(&t->mu);
  uint64_t before = find_or_add(t, group)->count++;
  pthread_mutex_unlock(&t->mu);
  return before;
}
