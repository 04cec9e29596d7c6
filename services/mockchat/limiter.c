#include "limiter.h"

#include "kmap.h"
#include "window.h"

#include "qf/alloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct lentry {
  window w[MC_RATES_MAX];
  size_t nw;
  int64_t silenced_until; /* monotonic ms; 0 = not silenced */
} lentry;

struct limiter {
  pthread_mutex_t mu;
  kmap *keys;
  double scale;
};

static void lentry_free(void *p) {
  lentry *e = p;
  for (size_t i = 0; i < e->nw; i++)
    window_fini(&e->w[i]);
  free(e);
}

limiter *limiter_new(double time_scale) {
  limiter *l = qf_calloc(1, sizeof *l);
  pthread_mutex_init(&l->mu, NULL);
  l->keys = kmap_new();
  l->scale = time_scale > 0 ? time_scale : 1;
  return l;
}

void limiter_free(limiter *l) {
  if (!l)
    return;
  kmap_free(l->keys, lentry_free);
  pthread_mutex_destroy(&l->mu);
  free(l);
}

int64_t limiter_scale(const limiter *l, int64_t ms) {
  int64_t s = (int64_t)((double)ms / l->scale);
  return s > 0 ? s : 1;
}

/* The key's state, created with the rule's windows on first use. A key's
 * limits never change during a run: they are the platform's. */
static lentry *entry(limiter *l, const limit_rule *r) {
  lentry *e = kmap_get(l->keys, r->key);
  if (e)
    return e;
  e = qf_calloc(1, sizeof *e);
  for (size_t i = 0; i < MC_RATES_MAX && r->rates[i].count; i++)
    window_init(&e->w[e->nw++], r->rates[i].count,
                limiter_scale(l, r->rates[i].per_ms));
  kmap_put(l->keys, r->key, e);
  return e;
}

/* Judges one rule without counting; 0 = admitted, else the wait. */
static limit_verdict judge(limiter *l, const limit_rule *r, lentry *e, int64_t now_ms,
                           int64_t *wait_ms) {
  if (e->silenced_until > now_ms) {
    *wait_ms = e->silenced_until - now_ms;
    return LIMIT_SILENCED;
  }
  for (size_t i = 0; i < e->nw; i++) {
    if (!window_admits(&e->w[i], now_ms, wait_ms)) {
      if (r->silence_ms > 0) {
        e->silenced_until = now_ms + limiter_scale(l, r->silence_ms);
        *wait_ms = e->silenced_until - now_ms;
      }
      return LIMIT_OVER;
    }
  }
  return LIMIT_OK;
}

limit_verdict limiter_take(limiter *l, const limit_rule *rules, size_t n,
                           int64_t now_ms, int64_t *wait_ms, size_t *which) {
  lentry *es[8];
  if (n > sizeof es / sizeof es[0])
    n = sizeof es / sizeof es[0];
  limit_verdict v = LIMIT_OK;
  pthread_mutex_lock(&l->mu);
  for (size_t i = 0; i < n && v == LIMIT_OK; i++) {
    es[i] = entry(l, &rules[i]);
    v = judge(l, &rules[i], es[i], now_ms, wait_ms);
    *which = i;
  }
  for (size_t i = 0; i < n && v == LIMIT_OK; i++)
    for (size_t k = 0; k < es[i]->nw; k++)
      window_add(&es[i]->w[k], now_ms);
  pthread_mutex_unlock(&l->mu);
  return v;
}
