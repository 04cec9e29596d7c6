#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "apost.h"
#include "cancel.h"
#include "db.h"
#include "horizon.h"
#include "leases.h"
#include "live.h"
#include "metrics.h"
#include "outcome.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "ready.h"
#include "scheduler.pb-c.h"

#define LEASE_MAX 4096        /* leases per call, whatever the credit */
#define WAIT_MAX_MS 60000     /* longest long poll */
#define DEADLINE_MARGIN_MS 50 /* answer this long before the caller gives up */
/* Deliveries judged per call beyond those leased (parked, deferred, ended):
 * bounds one loop turn; the rest is judged on the next. */
#define JUDGE_BUDGET 4096

typedef struct parked {
  uv_timer_t timer;
  qf_rpc_call *call;
  uint32_t max;
  struct parked *next, *prev;
  dispatch *d;
} parked;

struct dispatch {
  sched *s;
  uint64_t next_lease_id;
  parked head; /* list sentinel; oldest first */
  size_t nparked;
  uv_idle_t wake;
  bool closing;
};

/* ---- building a reply ---- */

typedef struct batch {
  Qunfa__Lease *leases;
  Qunfa__Lease **ptrs;
  Qunfa__Group **groups; /* unpacked, freed after the reply */
  size_t n, cap;
  const uint64_t *cancelled; /* posts cancelled lately (borrowed) */
  size_t ncancelled;
} batch;

static bool lease_one(dispatch *d, qf_kv_txn *txn, batch *b, int64_t deadline,
                      unsigned *budget) {
  sched *s = d->s;
  apost *p;
  uint32_t seq;
  Qunfa__Group *g = NULL;
  Qunfa__Lease *l;
  adlv *dl;
  int64_t send_by = deadline;
  if (!ready_pop(s->rdy, txn, &p, &seq, budget))
    return false;
  /* No send may start once the post expired: the dispatcher gives such a lease
   * back, and the delivery then ends expired. */
  if (p->expires_ms > 0 && p->expires_ms < send_by)
    send_by = p->expires_ms;
  if (txn == NULL || db_get_group(txn, apost_group(p, seq), &g) != 0) {
    /* Groups are never deleted: a missing one is damage, not a reason to stall. */
    qf_log_error("lease_group_missing", "post=%llu seq=%u", (unsigned long long)p->id,
                 seq);
    outcome_fail(s, p, seq, "group record missing");
    apost_unref(p);
    return true;
  }
  dl = &p->d[seq];
  dl->lease_id = d->next_lease_id++;
  apost_set_state(p, seq, QUNFA__DELIVERY_STATE__LEASED);
  leases_add(s->lss, p, seq, dl->lease_id, deadline);
  l = &b->leases[b->n];
  qunfa__lease__init(l);
  l->lease_id = dl->lease_id;
  l->attempt = dl->attempts + 1;
  l->post_id = p->id;
  l->seq = seq;
  l->content_id.data = p->content_id;
  l->content_id.len = sizeof p->content_id;
  l->group = g;
  l->deadline_ms = send_by;
  l->platform_msg_id = dl->msg_id ? dl->msg_id : ""; /* a recall's target */
  live_lease(s->lv, p, seq, l);                      /* coalesced live segments */
  b->groups[b->n] = g;
  b->ptrs[b->n] = l;
  b->n++;
  apost_unref(p); /* the lease entry holds the post */
  return true;
}

static void batch_grow(batch *b, size_t cap) {
  Qunfa__Lease *old = b->leases;
  b->leases = qf_realloc(b->leases, cap * sizeof(*b->leases));
  b->ptrs = qf_realloc(b->ptrs, cap * sizeof(*b->ptrs));
  b->groups = qf_realloc(b->groups, cap * sizeof(*b->groups));
  if (b->leases != old)
    for (size_t i = 0; i < b->n; i++)
      b->ptrs[i] = &b->leases[i];
  b->cap = cap;
}

/* Leases up to max ready deliveries into b. Returns how many. */
static size_t take(dispatch *d, uint32_t max, batch *b) {
  qf_kv_txn *txn = NULL;
  int64_t deadline = qf_clock_now_ms() + d->s->lease_ms;
  unsigned budget = JUDGE_BUDGET + max;
  memset(b, 0, sizeof(*b));
  b->cancelled = cancel_recent(d->s->cnl, &b->ncancelled);
  if (max == 0 || ready_count(d->s->rdy) == 0)
    return 0;
  if (!horizon_allows(d->s->hz, deadline))
    return 0; /* the horizon is being committed: the kick comes with it */
  if (qf_kv_read_begin(d->s->kv, &txn) != 0)
    return 0; /* logged by kv; the deliveries stay ready */
  for (;;) {
    if (b->n == b->cap)
      batch_grow(b, b->cap ? (b->cap * 2 < max ? b->cap * 2 : max)
                           : (max < 64 ? max : 64));
    if (b->n >= max || !lease_one(d, txn, b, deadline, &budget))
      break;
  }
  qf_kv_read_end(txn);
  if (budget == 0)
    dispatch_wake(d); /* more to judge: next loop turn */
  qf_counter_add(mx.leases_issued, b->n);
  return b->n;
}

static void batch_free(batch *b) {
  for (size_t i = 0; i < b->n; i++)
    qunfa__group__free_unpacked(b->groups[i], NULL);
  free(b->leases);
  free(b->ptrs);
  free(b->groups);
}

/* Answers call with b (possibly empty) and frees b. */
static void answer(qf_rpc_call *call, batch *b) {
  Qunfa__LeaseReply reply = QUNFA__LEASE_REPLY__INIT;
  reply.n_leases = b->n;
  reply.leases = b->ptrs;
  reply.cancelled_posts = (uint64_t *)b->cancelled;
  reply.n_cancelled_posts = b->ncancelled;
  qf_rpc_reply(call, &reply.base);
  batch_free(b);
}

/* ---- parking ---- */

static void on_parked_closed(uv_handle_t *h) {
  free(h->data);
}

static void unpark(dispatch *d, parked *pk) {
  pk->prev->next = pk->next;
  pk->next->prev = pk->prev;
  d->nparked--;
  qf_gauge_set(mx.lease_calls_parked, (int64_t)d->nparked);
  uv_close((uv_handle_t *)&pk->timer, on_parked_closed);
}

static void on_parked_timeout(uv_timer_t *t) {
  parked *pk = t->data;
  batch b;
  take(pk->d, pk->max, &b);
  answer(pk->call, &b);
  unpark(pk->d, pk);
}

static void park(dispatch *d, qf_rpc_call *call, uint32_t max, int64_t wait_ms) {
  parked *pk = qf_calloc(1, sizeof(*pk));
  pk->call = call;
  pk->max = max;
  pk->d = d;
  pk->timer.data = pk;
  uv_timer_init(d->s->loop, &pk->timer);
  uv_timer_start(&pk->timer, on_parked_timeout, (uint64_t)wait_ms, 0);
  pk->prev = d->head.prev;
  pk->next = &d->head;
  d->head.prev->next = pk;
  d->head.prev = pk;
  d->nparked++;
  qf_gauge_set(mx.lease_calls_parked, (int64_t)d->nparked);
}

static void on_wake(uv_idle_t *h) {
  dispatch *d = h->data;
  uv_idle_stop(h);
  while (d->head.next != &d->head && ready_count(d->s->rdy) > 0) {
    parked *pk = d->head.next;
    batch b;
    if (take(d, pk->max, &b) == 0) {
      /* Only stale entries were queued: the call keeps waiting. */
      batch_free(&b);
      break;
    }
    answer(pk->call, &b);
    unpark(d, pk);
  }
}

void dispatch_wake(void *arg) {
  dispatch *d = arg;
  if (d->nparked > 0 && !d->closing)
    uv_idle_start(&d->wake, on_wake);
}

void dispatch_drain(dispatch *d) {
  while (d->head.next != &d->head) {
    parked *pk = d->head.next;
    batch b;
    take(d, d->s->stopping ? 0 : pk->max, &b);
    answer(pk->call, &b);
    unpark(d, pk);
  }
}

/* ---- the handler ---- */

void dispatch_on_lease(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  dispatch *d = s->dsp;
  const Qunfa__LeaseRequest *req = (const Qunfa__LeaseRequest *)msg;
  uint32_t max = req->max > LEASE_MAX ? LEASE_MAX : req->max;
  int64_t wait = req->wait_ms > WAIT_MAX_MS ? WAIT_MAX_MS : req->wait_ms;
  int64_t deadline = qf_rpc_call_deadline_ms(call); /* 0: none given */
  int64_t left = deadline - qf_clock_now_ms() - DEADLINE_MARGIN_MS;
  batch b;
  if (deadline > 0 && wait > left)
    wait = left;
  if (s->stopping)
    max = 0;
  if (take(d, max, &b) > 0 || s->stopping || max == 0 || wait <= 0) {
    answer(call, &b);
    return;
  }
  batch_free(&b);
  park(d, call, max, wait);
}

dispatch *dispatch_new(sched *s) {
  dispatch *d = qf_calloc(1, sizeof(*d));
  d->s = s;
  /* Unique across restarts, so a result of a lease from before a restart never
   * matches a new lease. */
  d->next_lease_id = ((uint64_t)qf_clock_now_ms() << 16) + 1;
  d->head.next = d->head.prev = &d->head;
  uv_idle_init(s->loop, &d->wake);
  d->wake.data = d;
  return d;
}

static void on_closed(uv_handle_t *h) {
  free(h->data);
}

void dispatch_close(dispatch *d) {
  if (d == NULL)
    return;
  dispatch_drain(d);
  d->closing = true;
  uv_close((uv_handle_t *)&d->wake, on_closed);
}
