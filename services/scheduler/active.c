#include "active.h"

#include <stdlib.h>

#include "cancel.h"
#include "commit.h"
#include "db.h"
#include "expiry.h"
#include "live.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "ready.h"

/* Deliveries loaded per loop turn: a few milliseconds of work. */
#define LOAD_CHUNK 4096

struct active {
  sched *s;
  apost **buckets;
  size_t nbuckets, count;
  apost *loading; /* FIFO of posts still loading, via lnext */
  apost *loading_tail;
  uv_idle_t loader;
};

static size_t slot(const active *a, uint64_t id) {
  return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 20) & (a->nbuckets - 1);
}

static void grow(active *a) {
  size_t old = a->nbuckets;
  apost **ob = a->buckets;
  a->nbuckets = old ? old * 2 : 64;
  a->buckets = qf_calloc(a->nbuckets, sizeof(*a->buckets));
  for (size_t i = 0; i < old; i++) {
    for (apost *p = ob[i], *next; p != NULL; p = next) {
      size_t k = slot(a, p->id);
      next = p->hnext;
      p->hnext = a->buckets[k];
      a->buckets[k] = p;
    }
  }
  free(ob);
}

apost *active_find(active *a, uint64_t id) {
  if (a->nbuckets == 0)
    return NULL;
  for (apost *p = a->buckets[slot(a, id)]; p != NULL; p = p->hnext)
    if (p->id == id)
      return p;
  return NULL;
}

static void table_add(active *a, apost *p) {
  size_t k;
  if (a->count >= a->nbuckets)
    grow(a);
  k = slot(a, p->id);
  p->hnext = a->buckets[k];
  a->buckets[k] = p;
  a->count++;
  qf_gauge_set(mx.posts_active, (int64_t)a->count);
}

static void table_remove(active *a, apost *p) {
  apost **pp = &a->buckets[slot(a, p->id)];
  while (*pp != p)
    pp = &(*pp)->hnext;
  *pp = p->hnext;
  p->hnext = NULL;
  a->count--;
  qf_gauge_set(mx.posts_active, (int64_t)a->count);
}

size_t active_count(const active *a) {
  return a->count;
}

typedef struct retiring {
  active *a;
  apost *p;
} retiring;

/* The done record is durable: the post leaves memory. A kept batch that failed
 * is retried, so wait for that. At shutdown (QF_ECLOSED) this runs from
 * commit_close, which main.c calls before the loop turns again, so while a is
 * still there (active_close frees it in a close callback). */
static void on_retired(int status, void *arg) {
  retiring *r = arg;
  if (status != 0 && status != QF_ECLOSED) {
    commit_defer(r->a->s->work, on_retired, r);
    return;
  }
  apost_forget_counts(r->p);
  table_remove(r->a, r->p);
  apost_unref(r->p);
  free(r);
}

void active_check_done(active *a, apost *p) {
  qf_kv_batch *b;
  retiring *r;
  if (p->done || !apost_complete(p))
    return;
  p->done = true;
  b = commit_batch(a->s->work);
  apost_write_record(p, b);
  db_del_timeline(b, p->due_ms, p->id);
  qf_log_info("post_done", "post=%llu total=%u delivered=%u failed=%u",
              (unsigned long long)p->id, p->total,
              p->counts[QUNFA__DELIVERY_STATE__DELIVERED],
              p->counts[QUNFA__DELIVERY_STATE__FAILED]);
  /* Commits are on a writer thread now: until the record is durable, the store
   * the loop reads still shows the post unfinished, so the post stays in memory
   * (status, live sessions read it there) until then. */
  r = qf_malloc(sizeof(*r));
  *r = (retiring){a, p};
  commit_defer(a->s->work, on_retired, r);
}

/* ---- loading ---- */

typedef struct load_ctx {
  apost *p;
  unsigned budget;
  int64_t now;
  sched *s;
} load_ctx;

static int load_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  load_ctx *c = arg;
  apost *p = c->p;
  uint32_t seq;
  Qunfa__Delivery *rec;
  if (key->len != DB_DELIVERY_KEY)
    return 1;
  seq = qf_kv_get_be32((const uint8_t *)key->data + 8);
  if (seq != p->loaded || seq >= p->total)
    return 1; /* a gap or excess: handled by the caller */
  rec = qunfa__delivery__unpack(NULL, val->len, val->data);
  if (rec == NULL)
    return 1;
  apost_load(p, seq, rec);
  qunfa__delivery__free_unpacked(rec, NULL);
  if (p->d[seq].state == QUNFA__DELIVERY_STATE__PENDING && p->cancelled)
    cancel_delivery(c->s, p, seq); /* cancelled while loading, or before a restart */
  else if (p->d[seq].state == QUNFA__DELIVERY_STATE__PENDING &&
           !expiry_check(c->s, p, seq, c->now) && !live_hold(c->s->lv, p, seq))
    ready_at(c->s->rdy, p, seq, p->d[seq].next_attempt_ms);
  return --c->budget == 0 ? 2 : 0;
}

/* Loads up to budget deliveries of p; returns how many were loaded, or -1 when
 * LMDB could not be read (tried again next turn). */
static int load_chunk(active *a, apost *p, unsigned budget) {
  uint8_t from[DB_DELIVERY_KEY], to[DB_DELIVERY_KEY];
  load_ctx c = {p, budget, qf_clock_now_ms(), a->s};
  qf_kv_txn *txn = NULL;
  uint32_t before = p->loaded;
  int rc;
  if ((rc = qf_kv_read_begin(a->s->kv, &txn)) != 0)
    return -1;
  db_delivery_key(from, p->id, p->loaded);
  db_delivery_key(to, p->id + 1, 0);
  rc = qf_kv_scan(txn, DB_DELIVERIES, from, sizeof from, to, sizeof to, load_one, &c);
  qf_kv_read_end(txn);
  if (rc != 2 && p->loaded < p->total) {
    /* The records end early: believe what is stored. */
    qf_log_error("post_truncated", "post=%llu total=%u stored=%u",
                 (unsigned long long)p->id, p->total, p->loaded);
    p->total = p->loaded;
  }
  return (int)(p->loaded - before);
}

static void loading_pop(active *a) {
  apost *p = a->loading;
  a->loading = p->lnext;
  if (a->loading == NULL)
    a->loading_tail = NULL;
  p->lnext = NULL;
}

static void on_load(uv_idle_t *h) {
  active *a = h->data;
  unsigned budget = LOAD_CHUNK;
  while (a->loading != NULL && budget > 0) {
    apost *p = a->loading;
    int n = load_chunk(a, p, budget);
    if (n < 0)
      return;
    budget -= (unsigned)n;
    if (p->loaded < p->total && budget == 0)
      break;
    loading_pop(a);
    active_check_done(a, p);
    apost_unref(p);
  }
  if (a->loading == NULL)
    uv_idle_stop(&a->loader);
}

void active_start(active *a, const Qunfa__Post *rec) {
  apost *p;
  if (rec->done || active_find(a, rec->id) != NULL)
    return;
  p = apost_new(rec);
  table_add(a, p);
  apost_ref(p); /* the loading list's */
  if (a->loading_tail)
    a->loading_tail->lnext = p;
  else
    a->loading = p;
  a->loading_tail = p;
  uv_idle_start(&a->loader, on_load);
  if (p->expires_ms > 0)
    expiry_add(a->s->exp, p);
  qf_log_info("post_active", "post=%llu total=%u", (unsigned long long)p->id, p->total);
}

active *active_new(sched *s) {
  active *a = qf_calloc(1, sizeof(*a));
  a->s = s;
  uv_idle_init(s->loop, &a->loader);
  a->loader.data = a;
  return a;
}

static void on_closed(uv_handle_t *h) {
  active *a = h->data;
  while (a->loading != NULL) {
    apost *p = a->loading;
    loading_pop(a);
    apost_unref(p);
  }
  for (size_t i = 0; i < a->nbuckets; i++) {
    for (apost *p = a->buckets[i], *next; p != NULL; p = next) {
      next = p->hnext;
      apost_forget_counts(p);
      apost_unref(p);
    }
  }
  free(a->buckets);
  free(a);
}

void active_close(active *a) {
  if (a == NULL)
    return;
  uv_idle_stop(&a->loader);
  uv_close((uv_handle_t *)&a->loader, on_closed);
}
