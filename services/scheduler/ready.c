#include "ready.h"

#include <stdlib.h>
#include <string.h>

#include "guards.h"
#include "heap.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "scheduler.h"

/* A key with parked deliveries is waiting (in the heap, for an instant), due
 * (on a due list) or blocked (a lease of it is out: ready_key_freed). */
enum key_state { KEY_IDLE, KEY_WAITING, KEY_DUE, KEY_BLOCKED };

typedef struct pent {
  apost *p;
  uint32_t seq;
} pent;

typedef struct pfifo {
  pent *v;
  uint32_t head, len, cap;
} pfifo;

struct parkq {
  pfifo q[RANKS];
  uint32_t n;
};

struct ready {
  limits *lim;
  apost *ring[RANKS]; /* the post served next per rank; NULL when none */
  size_t count;       /* ring entries */
  heap retry;         /* at_ms -> (apost *, seq); one reference per entry */
  uv_timer_t timer;
  int64_t armed_ms; /* due time the retry timer is armed for; 0 = idle */
  heap keys;        /* wake_us -> lkey *: keys waiting to conform */
  uv_timer_t ktimer;
  int64_t karmed_us;                  /* 0 = idle */
  lkey *due[RANKS], *due_tail[RANKS]; /* keys conforming with parked deliveries */
  size_t ndue, parked;
  int closing;
  ready_hooks h;
};

/* ---- the ring of posts per rank ---- */

static void ring_insert(ready *r, apost *p) {
  apost **ring = &r->ring[p->rank];
  apost_ref(p);
  if (*ring == NULL) {
    p->rnext = p->rprev = p;
    *ring = p;
    return;
  }
  /* Just before the post served next: the last in this round. */
  p->rnext = *ring;
  p->rprev = (*ring)->rprev;
  p->rprev->rnext = p;
  (*ring)->rprev = p;
}

static void ring_remove(ready *r, apost *p) {
  apost **ring = &r->ring[p->rank];
  if (p->rnext == p) {
    *ring = NULL;
  } else {
    p->rprev->rnext = p->rnext;
    p->rnext->rprev = p->rprev;
    if (*ring == p)
      *ring = p->rnext;
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
  r->h.wake(r->h.wake_arg);
}

/* The next entry of rank's ring (round-robin); false when the ring is empty.
 * *p carries a reference. */
static bool ring_pop(ready *r, int rank, apost **out, uint32_t *seq) {
  apost *p = r->ring[rank];
  if (p == NULL)
    return false;
  *seq = rq_pop(p);
  r->count--;
  r->ring[rank] = p->rnext;
  apost_ref(p);
  if (p->rq_len == 0)
    ring_remove(r, p);
  qf_gauge_set(mx.ready_depth, (int64_t)r->count);
  *out = p;
  return true;
}

/* ---- parked deliveries per key ---- */

static void pf_grow(pfifo *f) {
  uint32_t cap = f->cap ? f->cap * 2 : 4;
  pent *v = qf_malloc(cap * sizeof(*v));
  for (uint32_t i = 0; i < f->len; i++)
    v[i] = f->v[(f->head + i) % f->cap];
  free(f->v);
  f->v = v;
  f->cap = cap;
  f->head = 0;
}

static void pf_push(pfifo *f, pent e, bool front) {
  if (f->len == f->cap)
    pf_grow(f);
  if (front) {
    f->head = (f->head + f->cap - 1) % f->cap;
    f->v[f->head] = e;
  } else {
    f->v[(f->head + f->len) % f->cap] = e;
  }
  f->len++;
}

static pent pf_pop(pfifo *f) {
  pent e = f->v[f->head];
  f->head = (f->head + 1) % f->cap;
  f->len--;
  return e;
}

/* The best (lowest) rank with parked deliveries, or RANKS. */
static int pq_best(const parkq *q) {
  int rank = 0;
  while (rank < RANKS && q->q[rank].len == 0)
    rank++;
  return rank;
}

static void pq_free(parkq *q) {
  for (int i = 0; i < RANKS; i++) {
    while (q->q[i].len > 0)
      apost_unref(pf_pop(&q->q[i]).p);
    free(q->q[i].v);
  }
  free(q);
}

static void due_remove(ready *r, lkey *k) {
  int rank = k->due_rank;
  if (k->dprev)
    k->dprev->dnext = k->dnext;
  else
    r->due[rank] = k->dnext;
  if (k->dnext)
    k->dnext->dprev = k->dprev;
  else
    r->due_tail[rank] = k->dprev;
  k->dnext = k->dprev = NULL;
  k->state = KEY_IDLE;
  r->ndue--;
}

static void due_append(ready *r, lkey *k, int rank) {
  k->state = KEY_DUE;
  k->due_rank = (uint8_t)rank;
  k->dnext = NULL;
  k->dprev = r->due_tail[rank];
  if (k->dprev)
    k->dprev->dnext = k;
  else
    r->due[rank] = k;
  r->due_tail[rank] = k;
  r->ndue++;
}

static void arm_keys(ready *r);

/* Puts k where it belongs now: idle when nothing waits on it (a parked queue
 * is freed then), due when it conforms, else waiting for the instant it might.
 * A waiting key is left alone: its timer settles it. */
static void key_settle(ready *r, lkey *k, int64_t now_us) {
  int64_t at;
  if (k->state == KEY_WAITING || k->state == KEY_BLOCKED)
    return;
  if (k->state == KEY_DUE)
    due_remove(r, k);
  if (k->pq == NULL)
    return;
  if (k->pq->n == 0) {
    pq_free(k->pq);
    k->pq = NULL;
    return;
  }
  if ((at = limits_peek(k, now_us)) == 0) {
    due_append(r, k, pq_best(k->pq));
    r->h.wake(r->h.wake_arg);
    return;
  }
  if (at == INT64_MAX) {
    k->state = KEY_BLOCKED;
    return;
  }
  k->state = KEY_WAITING;
  heap_push(&r->keys, (heap_item){at, k, 0});
  arm_keys(r);
}

static void park(ready *r, lkey *k, apost *p, uint32_t seq, bool front,
                 int64_t now_us) {
  if (k->pq == NULL)
    k->pq = qf_calloc(1, sizeof(*k->pq));
  apost_ref(p);
  pf_push(&k->pq->q[p->rank], (pent){p, seq}, front);
  k->pq->n++;
  p->d[seq].where = WHERE_PARKED;
  r->parked++;
  qf_gauge_set(mx.parked_depth, (int64_t)r->parked);
  qf_counter_add(mx.parks, 1);
  /* Idle, or due in a worse rank, or due but no longer conforming (when k
   * itself blocked): settle. */
  key_settle(r, k, now_us);
}

/* Takes k's best parked entry (a reference); the caller settles k. */
static pent key_pop(ready *r, lkey *k) {
  pent e = pf_pop(&k->pq->q[pq_best(k->pq)]);
  k->pq->n--;
  r->parked--;
  qf_gauge_set(mx.parked_depth, (int64_t)r->parked);
  return e;
}

static bool parked_ahead(const lkey *k, int rank) {
  if (k->pq == NULL)
    return false;
  for (int i = 0; i <= rank; i++)
    if (k->pq->q[i].len > 0)
      return true;
  return false;
}

/* ---- judging one delivery ---- */

typedef struct judging {
  qf_kv_txn *txn;
  int64_t now_us, now_ms;
} judging;

/* Decides delivery seq of p (pending, taken from its queue; from is the key
 * it was parked on, or NULL): true when it may be leased now (its limits are
 * taken); otherwise it was parked, deferred or ended. */
static bool judge(ready *r, const judging *j, apost *p, uint32_t seq, lkey *from) {
  adlv *d = &p->d[seq];
  lkey *chain[LIMITS_CHAIN], *blocker;
  ginfo *g;
  size_t n;
  bool inflight;
  bool counts = p->rank != RANK_LIVE && !(d->flags & ADLV_COUNTED);
  d->where = WHERE_NONE;
  if (p->expires_ms > 0 && j->now_ms >= p->expires_ms) {
    r->h.end(r->h.end_arg, p, seq, QUNFA__DELIVERY_STATE__EXPIRED,
             "expired before it was sent");
    return false;
  }
  if ((g = limits_group(r->lim, j->txn, apost_group(p, seq))) == NULL) {
    r->h.end(r->h.end_arg, p, seq, QUNFA__DELIVERY_STATE__FAILED,
             "group record missing");
    return false;
  }
  n = limits_chain(g, chain);
  for (size_t i = 0; i < n; i++) {
    if (chain[i] != from && parked_ahead(chain[i], p->rank)) {
      park(r, chain[i], p, seq, false, j->now_us);
      return false;
    }
  }
  if (g->has_quiet && !(p->ignore_quiet && p->rank <= RANK_LIVE)) {
    int64_t until = guards_quiet_until(g->tz, g->quiet, j->now_ms);
    if (until > 0) {
      qf_counter_add(mx.quiet_deferred, 1);
      ready_at(r, p, seq, until);
      return false;
    }
  }
  if (counts && limits_cap_reached(r->lim, g, j->now_ms)) {
    r->h.end(r->h.end_arg, p, seq, QUNFA__DELIVERY_STATE__CANCELLED, "daily_cap");
    return false;
  }
  if (limits_take(r->lim, g, j->now_us, &blocker, &inflight) != 0) {
    park(r, blocker, p, seq, blocker == from, j->now_us);
    return false;
  }
  if (inflight)
    d->flags |= ADLV_INFLIGHT;
  if (counts) {
    limits_cap_count(r->lim, g, j->now_ms);
    d->flags |= ADLV_COUNTED;
  }
  return true;
}

static bool live(const apost *p, uint32_t seq, int where) {
  return p->d[seq].where == where && p->d[seq].state == QUNFA__DELIVERY_STATE__PENDING;
}

/* Judges the best candidate of rank: a due key's parked delivery first, else
 * the ring's next. Returns 1 when it may be leased (*p, *seq set, a
 * reference held), 0 when one was judged otherwise, -1 when rank has none. */
static int next_of_rank(ready *r, const judging *j, int rank, apost **p,
                        uint32_t *seq) {
  lkey *k = r->due[rank];
  bool ok;
  if (k != NULL) {
    pent e = key_pop(r, k);
    ok = live(e.p, e.seq, WHERE_PARKED) && judge(r, j, e.p, e.seq, k);
    key_settle(r, k, j->now_us);
    if (ok) {
      *p = e.p;
      *seq = e.seq;
      return 1;
    }
    apost_unref(e.p);
    return 0;
  }
  if (!ring_pop(r, rank, p, seq))
    return -1;
  if (live(*p, *seq, WHERE_READY) && judge(r, j, *p, *seq, NULL))
    return 1;
  apost_unref(*p);
  return 0;
}

bool ready_pop(ready *r, qf_kv_txn *txn, apost **p, uint32_t *seq, unsigned *budget) {
  judging j = {txn, qf_clock_mono_us(), qf_clock_now_ms()};
  lkey *global = limits_global(r->lim);
  while (*budget > 0) {
    int rank, got = -1;
    int64_t at;
    if (global->state == KEY_WAITING)
      return false;
    if ((at = limits_peek(global, j.now_us)) != 0) {
      /* Nothing may go: wait for the global limit, judging nothing. (It never
       * has parked deliveries: it is looked at first, at the same instant.) */
      global->state = KEY_WAITING;
      heap_push(&r->keys, (heap_item){at, global, 0});
      arm_keys(r);
      return false;
    }
    for (rank = 0; rank < RANKS && got < 0; rank++)
      got = next_of_rank(r, &j, rank, p, seq);
    if (got < 0)
      return false;
    (*budget)--;
    if (got == 1)
      return true;
  }
  return false;
}

void ready_key_freed(ready *r, lkey *k) {
  if (k->state != KEY_BLOCKED)
    return;
  k->state = KEY_IDLE;
  key_settle(r, k, qf_clock_mono_us());
}

size_t ready_count(const ready *r) {
  return r->count + r->ndue;
}

size_t ready_parked(const ready *r) {
  return r->parked;
}

limits *ready_limits(ready *r) {
  return r->lim;
}

/* ---- timers ---- */

static void on_key_timer(uv_timer_t *t) {
  ready *r = t->data;
  int64_t now = qf_clock_mono_us();
  heap_item it;
  r->karmed_us = 0;
  while (heap_peek(&r->keys, &it) && it.at_ms <= now) {
    lkey *k = it.ptr;
    heap_pop(&r->keys, &it);
    if (k->state != KEY_WAITING)
      continue;
    /* The key may have been held since it was queued: settle looks again. */
    k->state = KEY_IDLE;
    key_settle(r, k, now);
    if (k->tier == TIER_GLOBAL)
      r->h.wake(r->h.wake_arg);
  }
  qf_gauge_set(mx.keys_waiting, (int64_t)r->keys.n);
  arm_keys(r);
}

static void arm_keys(ready *r) {
  heap_item it;
  int64_t now, delay_ms;
  if (r->closing || !heap_peek(&r->keys, &it))
    return;
  if (r->karmed_us != 0 && r->karmed_us <= it.at_ms)
    return;
  r->karmed_us = it.at_ms;
  now = qf_clock_mono_us();
  /* Round up: a timer firing early finds nothing due and re-arms. */
  delay_ms = it.at_ms > now ? (it.at_ms - now + 999) / 1000 : 0;
  uv_update_time(r->ktimer.loop);
  uv_timer_start(&r->ktimer, on_key_timer, (uint64_t)delay_ms, 0);
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
  if (r->closing || !heap_peek(&r->retry, &it))
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

/* ---- life ---- */

ready *ready_new(uv_loop_t *loop, limits *lim, const ready_hooks *hooks) {
  ready *r = qf_calloc(1, sizeof(*r));
  r->lim = lim;
  r->h = *hooks;
  uv_timer_init(loop, &r->timer);
  uv_timer_init(loop, &r->ktimer);
  r->timer.data = r->ktimer.data = r;
  return r;
}

static void drop_key(lkey *k) {
  if (k->pq != NULL)
    pq_free(k->pq);
  k->pq = NULL;
  k->state = KEY_IDLE;
}

static void drop_key_cb(lkey *k, void *arg) {
  (void)arg;
  drop_key(k);
}

static void on_closed(uv_handle_t *h) {
  ready *r = h->data;
  heap_item it;
  if (--r->closing > 0)
    return;
  while (heap_pop(&r->retry, &it))
    apost_unref(it.ptr);
  heap_free(&r->retry);
  heap_free(&r->keys);
  for (int rank = 0; rank < RANKS; rank++)
    while (r->due[rank] != NULL)
      due_remove(r, r->due[rank]);
  /* Parked deliveries sit on waiting, due and blocked keys (as many leases out
   * as the limit allows): drop them on every key. */
  limits_each_key(r->lim, drop_key_cb, NULL);
  for (int rank = 0; rank < RANKS; rank++) {
    apost *p;
    uint32_t seq;
    while (ring_pop(r, rank, &p, &seq))
      apost_unref(p);
  }
  limits_free(r->lim);
  free(r);
}

void ready_close(ready *r) {
  if (r == NULL)
    return;
  r->closing = 2;
  uv_close((uv_handle_t *)&r->timer, on_closed);
  uv_close((uv_handle_t *)&r->ktimer, on_closed);
}

typedef struct tier_counts {
  int64_t *keys, *waiting;
} tier_counts;

static void count_key(lkey *k, void *arg) {
  tier_counts *tc = arg;
  if (k->n == 0 || k->tier > TIER_GLOBAL)
    return;
  tc->keys[k->tier]++;
  if (k->state == KEY_WAITING || k->state == KEY_BLOCKED)
    tc->waiting[k->tier]++;
}

void ready_tier_counts(ready *r, int64_t keys[4], int64_t waiting[4]) {
  tier_counts tc = {keys, waiting};
  for (int t = 0; t < 4; t++)
    keys[t] = waiting[t] = 0;
  limits_each_key(r->lim, count_key, &tc);
}
