#include "expiry.h"

#include <stdlib.h>

#include "heap.h"
#include "outcome.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/log.h"

#define EXPIRED_WHY "expired before it was sent"

struct expiry {
  sched *s;
  heap h; /* expires_ms -> apost *, one reference each */
  uv_timer_t timer;
  int64_t armed_ms; /* 0 = idle */
};

bool expiry_check(sched *s, apost *p, uint32_t seq, int64_t now_ms) {
  if (p->expires_ms == 0 || now_ms < p->expires_ms ||
      p->d[seq].state != QUNFA__DELIVERY_STATE__PENDING)
    return false;
  outcome_end(s, p, seq, QUNFA__DELIVERY_STATE__EXPIRED, EXPIRED_WHY);
  return true;
}

/* Every loaded pending delivery of p ends expired (queue entries left behind
 * are skipped when reached). */
static void sweep(expiry *e, apost *p, int64_t now_ms) {
  uint32_t n = 0;
  apost_ref(p); /* outcome_end may retire p from the active table */
  for (uint32_t seq = 0; seq < p->loaded && !p->done; seq++)
    n += expiry_check(e->s, p, seq, now_ms);
  if (n > 0)
    qf_log_info("post_expired", "post=%llu expired=%u", (unsigned long long)p->id, n);
  apost_unref(p);
}

static void arm(expiry *e);

static void on_timer(uv_timer_t *t) {
  expiry *e = t->data;
  int64_t now = qf_clock_now_ms();
  heap_item it;
  e->armed_ms = 0;
  while (heap_peek(&e->h, &it) && it.at_ms <= now) {
    heap_pop(&e->h, &it);
    sweep(e, it.ptr, now);
    apost_unref(it.ptr);
  }
  arm(e);
}

static void arm(expiry *e) {
  heap_item it;
  if (!heap_peek(&e->h, &it))
    return;
  if (e->armed_ms != 0 && e->armed_ms <= it.at_ms)
    return;
  e->armed_ms = it.at_ms;
  sched_timer_at(&e->timer, on_timer, it.at_ms);
}

void expiry_add(expiry *e, apost *p) {
  apost_ref(p);
  heap_push(&e->h, (heap_item){p->expires_ms, p, 0});
  arm(e);
}

expiry *expiry_new(sched *s) {
  expiry *e = qf_calloc(1, sizeof(*e));
  e->s = s;
  uv_timer_init(s->loop, &e->timer);
  e->timer.data = e;
  return e;
}

static void on_closed(uv_handle_t *h) {
  expiry *e = h->data;
  heap_item it;
  while (heap_pop(&e->h, &it))
    apost_unref(it.ptr);
  heap_free(&e->h);
  free(e);
}

void expiry_close(expiry *e) {
  if (e == NULL)
    return;
  uv_close((uv_handle_t *)&e->timer, on_closed);
}
