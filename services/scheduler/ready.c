#include "ready.h"

#include <stdlib.h>

#include "heap.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "scheduler.h"

struct ready {
  apost *ring; /* the post served next; NULL when nothing is ready */
  size_t count;
  heap retry; /* at_ms -> (apost *, seq); holds one reference per entry */
  uv_timer_t timer;
  int64_t armed_ms; /* due time the timer is armed for; 0 = idle */
  void (*wake)(void *);
  void *arg;
};

static void ring_insert(ready *r, apost *p) {
  apost_ref(p);
  if (r->ring == NULL) {
    p->rnext = p->rprev = p;
    r->ring = p;
    return;
  }
  /* Just before the post served next: the last in this round. */
  p->rnext = r->ring;
  p->rprev = r->ring->rprev;
  p->rprev->rnext = p;
  r->ring->rprev = p;
}

static void ring_remove(ready *r, apost *p) {
  if (p->rnext == p) {
    r->ring = NULL;
  } else {
    p->rprev->rnext = p->rnext;
    p->rnext->rprev = p->rprev;
    if (r->ring == p)
      r->ring = p->rnext;
  }
  p->rnext = p->rprev = NULL;
  apost_unref(p);
}

static void rq_push(apost *p, uint32_t seq) {
  if (p->rq_len == p->rq_cap) {
    uint32_t cap = p->rq_cap ? p->rq_cap * 2 : 16;
    uint32_t *q = qf_malloc(cap * sizeof(*q));
    for (uint32_t i = 0; i < p->rq_len; i++)
      q[i] = p->rq[(p->rq_head + i) % p->rq_cap];
    free(p->rq);
    p->rq = q;
    p->rq_cap = cap;
    p->rq_head = 0;
  }
  p->rq[(p->rq_head + p->rq_len) % p->rq_cap] = seq;
  p->rq_len++;
}

static uint32_t rq_pop(apost *p) {
  uint32_t seq = p->rq[p->rq_head];
  p->rq_head = (p->rq_head + 1) % p->rq_cap;
  p->rq_len--;
  return seq;
}

void ready_push(ready *r, apost *p, uint32_t seq) {
  p->d[seq].where = WHERE_READY;
  if (p->rq_len == 0)
    ring_insert(r, p);
  rq_push(p, seq);
  r->count++;
  qf_gauge_set(mx.ready_depth, (int64_t)r->count);
  r->wake(r->arg);
}

bool ready_pop(ready *r, apost **out, uint32_t *seq) {
  while (r->ring != NULL) {
    apost *p = r->ring;
    uint32_t s = rq_pop(p);
    bool live;
    r->count--;
    /* Skip entries whose delivery moved on while queued. */
    live =
        p->d[s].where == WHERE_READY && p->d[s].state == QUNFA__DELIVERY_STATE__PENDING;
    if (live)
      p->d[s].where = WHERE_NONE;
    r->ring = p->rnext;
    apost_ref(p);
    if (p->rq_len == 0)
      ring_remove(r, p);
    qf_gauge_set(mx.ready_depth, (int64_t)r->count);
    if (live) {
      *out = p;
      *seq = s;
      return true;
    }
    apost_unref(p);
  }
  return false;
}

size_t ready_count(const ready *r) {
  return r->count;
}

static void arm(ready *r);

static void on_retry_timer(uv_timer_t *t) {
  ready *r = t->data;
  int64_t now = qf_clock_now_ms();
  heap_item it;
  r->armed_ms = 0;
  while (heap_peek(&r->retry, &it) && it.at_ms <= now) {
    apost *p = it.ptr;
    uint32_t seq = (uint32_t)it.u;
    heap_pop(&r->retry, &it);
    if (p->d[seq].where == WHERE_RETRY && p->d[seq].next_attempt_ms == it.at_ms &&
        p->d[seq].state == QUNFA__DELIVERY_STATE__PENDING)
      ready_push(r, p, seq);
    apost_unref(p);
  }
  qf_gauge_set(mx.retry_depth, (int64_t)r->retry.n);
  arm(r);
}

static void arm(ready *r) {
  heap_item it;
  if (!heap_peek(&r->retry, &it))
    return;
  if (r->armed_ms != 0 && r->armed_ms <= it.at_ms)
    return;
  r->armed_ms = it.at_ms;
  sched_timer_at(&r->timer, on_retry_timer, it.at_ms);
}

void ready_at(ready *r, apost *p, uint32_t seq, int64_t at_ms) {
  p->d[seq].next_attempt_ms = at_ms;
  if (at_ms <= qf_clock_now_ms()) {
    ready_push(r, p, seq);
    return;
  }
  p->d[seq].where = WHERE_RETRY;
  apost_ref(p);
  heap_push(&r->retry, (heap_item){at_ms, p, seq});
  qf_gauge_set(mx.retry_depth, (int64_t)r->retry.n);
  arm(r);
}

ready *ready_new(uv_loop_t *loop, void (*wake)(void *), void *arg) {
  ready *r = qf_calloc(1, sizeof(*r));
  r->wake = wake;
  r->arg = arg;
  uv_timer_init(loop, &r->timer);
  r->timer.data = r;
  return r;
}

static void on_closed(uv_handle_t *h) {
  ready *r = h->data;
  heap_item it;
  apost *p;
  uint32_t seq;
  while (heap_pop(&r->retry, &it))
    apost_unref(it.ptr);
  heap_free(&r->retry);
  while (ready_pop(r, &p, &seq))
    apost_unref(p);
  free(r);
}

void ready_close(ready *r) {
  if (r == NULL)
    return;
  uv_close((uv_handle_t *)&r->timer, on_closed);
}
