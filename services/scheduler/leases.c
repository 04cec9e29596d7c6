#include "leases.h"

#include <stdlib.h>

#include "metrics.h"
#include "outcome.h"
#include "qf/alloc.h"
#include "qf/clock.h"

typedef struct entry {
  int64_t deadline_ms;
  uint64_t lease_id;
  apost *p;
  uint32_t seq;
} entry;

struct leases {
  sched *s;
  entry *q; /* ring */
  size_t head, len, cap;
  uv_timer_t timer;
  int64_t armed_ms; /* 0 = idle */
};

static void grow(leases *l) {
  size_t cap = l->cap ? l->cap * 2 : 256;
  entry *q = qf_malloc(cap * sizeof(*q));
  for (size_t i = 0; i < l->len; i++)
    q[i] = l->q[(l->head + i) % l->cap];
  free(l->q);
  l->q = q;
  l->cap = cap;
  l->head = 0;
}

static void on_timer(uv_timer_t *t);

static void arm(leases *l) {
  if (l->len == 0 || l->armed_ms != 0)
    return;
  l->armed_ms = l->q[l->head].deadline_ms;
  sched_timer_at(&l->timer, on_timer, l->armed_ms);
}

static void expire(leases *l, const entry *e) {
  adlv *d = &e->p->d[e->seq];
  if (d->state != QUNFA__DELIVERY_STATE__LEASED || d->lease_id != e->lease_id)
    return; /* answered in time */
  qf_counter_add(mx.leases_expired, 1);
  outcome_expire(l->s, e->p, e->seq);
}

static void on_timer(uv_timer_t *t) {
  leases *l = t->data;
  int64_t now = qf_clock_now_ms();
  l->armed_ms = 0;
  while (l->len > 0 && l->q[l->head].deadline_ms <= now) {
    entry e = l->q[l->head];
    l->head = (l->head + 1) % l->cap;
    l->len--;
    expire(l, &e);
    apost_unref(e.p);
  }
  arm(l);
}

void leases_add(leases *l, apost *p, uint32_t seq, uint64_t lease_id,
                int64_t deadline_ms) {
  if (l->len == l->cap)
    grow(l);
  apost_ref(p);
  l->q[(l->head + l->len) % l->cap] = (entry){deadline_ms, lease_id, p, seq};
  l->len++;
  arm(l);
}

int64_t leases_latest(const leases *l) {
  int64_t latest = 0;
  for (size_t i = 0; i < l->len; i++) {
    const entry *e = &l->q[(l->head + i) % l->cap];
    const adlv *d = &e->p->d[e->seq];
    if (d->state == QUNFA__DELIVERY_STATE__LEASED && d->lease_id == e->lease_id &&
        e->deadline_ms > latest)
      latest = e->deadline_ms;
  }
  return latest;
}

leases *leases_new(sched *s) {
  leases *l = qf_calloc(1, sizeof(*l));
  l->s = s;
  uv_timer_init(s->loop, &l->timer);
  l->timer.data = l;
  return l;
}

static void on_closed(uv_handle_t *h) {
  leases *l = h->data;
  for (size_t i = 0; i < l->len; i++)
    apost_unref(l->q[(l->head + i) % l->cap].p);
  free(l->q);
  free(l);
}

void leases_close(leases *l) {
  if (l == NULL)
    return;
  uv_close((uv_handle_t *)&l->timer, on_closed);
}
