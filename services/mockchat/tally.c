#include "tally.h"

#include "kmap.h"
#include "qf/alloc.h"

#include <pthread.h>
#include <stdlib.h>

struct tally {
  pthread_mutex_t mu;
  kmap *counts; /* group -> uint64_t */
};

tally *tally_new(void) {
  tally *t = qf_calloc(1, sizeof *t);
  pthread_mutex_init(&t->mu, NULL);
  t->counts = kmap_new();
  return t;
}

void tally_free(tally *t) {
  if (!t)
    return;
  kmap_free(t->counts, free);
  pthread_mutex_destroy(&t->mu);
  free(t);
}

uint64_t tally_next(tally *t, const char *group) {
  pthread_mutex_lock(&t->mu);
  uint64_t *count = kmap_get(t->counts, group);
  if (!count) {
    count = qf_calloc(1, sizeof *count);
    kmap_put(t->counts, group, count);
  }
  uint64_t before = (*count)++;
  pthread_mutex_unlock(&t->mu);
  return before;
}
