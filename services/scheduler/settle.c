#include "settle.h"

#include <stdlib.h>

#include "active.h"
#include "commit.h"
#include "db.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"

#define POLL_MS 20

typedef struct waiter {
  uint64_t post;
  int64_t until_ms;
  settle_fn cb;
  void *arg;
  settles *st;
  struct waiter *next;
} waiter;

struct settles {
  sched *s;
  uv_timer_t timer;
  waiter *head;
  unsigned committing; /* waiters between their moment and the commit after it */
};

/* The deliveries of a post read from LMDB. */
typedef struct readout {
  settle_entry *e;
  Qunfa__Delivery **recs;
  size_t n, cap;
} readout;

static int read_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  readout *r = arg;
  Qunfa__Delivery *rec;
  if (key->len != DB_DELIVERY_KEY)
    return 0;
  if ((rec = qunfa__delivery__unpack(NULL, val->len, val->data)) == NULL)
    return 0;
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 64;
    r->e = qf_realloc(r->e, r->cap * sizeof(*r->e));
    r->recs = qf_realloc(r->recs, r->cap * sizeof(*r->recs));
  }
  r->recs[r->n] = rec;
  r->e[r->n] = (settle_entry){rec->group_id ? rec->group_id : "", rec->state,
                              rec->platform_msg_id ? rec->platform_msg_id : ""};
  r->n++;
  return 0;
}

static void read_stored(sched *s, uint64_t post, settle_fn cb, void *arg) {
  uint8_t from[DB_DELIVERY_KEY], to[DB_DELIVERY_KEY];
  readout r = {0};
  qf_kv_txn *txn = NULL;
  int rc = qf_kv_read_begin(s->kv, &txn);
  if (rc == 0) {
    db_delivery_key(from, post, 0);
    db_delivery_key(to, post + 1, 0);
    rc = qf_kv_scan(txn, DB_DELIVERIES, from, sizeof from, to, sizeof to, read_one, &r);
    qf_kv_read_end(txn);
  }
  if (rc < 0)
    qf_log_warn("settle_read_failed", "post=%llu err=%s", (unsigned long long)post,
                qf_errname(rc));
  cb(rc < 0 ? rc : 0, rc < 0 ? NULL : r.e, rc < 0 ? 0 : r.n, arg);
  for (size_t i = 0; i < r.n; i++)
    qunfa__delivery__free_unpacked(r.recs[i], NULL);
  free(r.e);
  free(r.recs);
}

static void read_memory(apost *p, settle_fn cb, void *arg) {
  settle_entry *e = qf_calloc(p->loaded ? p->loaded : 1, sizeof(*e));
  for (uint32_t i = 0; i < p->loaded; i++)
    e[i] = (settle_entry){apost_group(p, i), p->d[i].state,
                          p->d[i].msg_id ? p->d[i].msg_id : ""};
  cb(0, e, p->loaded, arg);
  free(e);
}

static void on_committed(int status, void *arg) {
  waiter *w = arg;
  sched *s = w->st->s;
  apost *p = s->act ? active_find(s->act, w->post) : NULL;
  (void)status; /* a failed work commit is retried: memory is what counts */
  w->st->committing--;
  if (p != NULL) {
    apost_ref(p);
    read_memory(p, w->cb, w->arg);
    apost_unref(p);
  } else {
    read_stored(s, w->post, w->cb, w->arg);
  }
  free(w);
}

static bool settled(sched *s, uint64_t post) {
  apost *p = active_find(s->act, post);
  return p == NULL ||
         (p->loaded == p->total && p->counts[QUNFA__DELIVERY_STATE__LEASED] == 0);
}

static void on_poll(uv_timer_t *t) {
  settles *st = t->data;
  int64_t now = qf_clock_now_ms();
  waiter **pw = &st->head;
  while (*pw != NULL) {
    waiter *w = *pw;
    if (!settled(st->s, w->post) && now < w->until_ms) {
      pw = &w->next;
      continue;
    }
    *pw = w->next;
    st->committing++;
    commit_defer(st->s->work, on_committed, w);
  }
  if (st->head == NULL)
    uv_timer_stop(t);
}

void settle_post(settles *st, uint64_t post, int64_t max_wait_ms, settle_fn cb,
                 void *arg) {
  waiter *w = qf_calloc(1, sizeof(*w));
  w->post = post;
  w->until_ms = qf_clock_now_ms() + max_wait_ms;
  w->cb = cb;
  w->arg = arg;
  w->st = st;
  w->next = st->head;
  st->head = w;
  if (!uv_is_active((uv_handle_t *)&st->timer))
    uv_timer_start(&st->timer, on_poll, 0, POLL_MS);
}

settles *settles_new(sched *s) {
  settles *st = qf_calloc(1, sizeof(*st));
  st->s = s;
  uv_timer_init(s->loop, &st->timer);
  st->timer.data = st;
  return st;
}

static void on_closed(uv_handle_t *h) {
  free(h->data);
}

void settles_close(settles *st) {
  if (st == NULL)
    return;
  while (st->head != NULL) {
    waiter *w = st->head;
    st->head = w->next;
    w->cb(QF_ECANCELED, NULL, 0, w->arg);
    free(w);
  }
  uv_close((uv_handle_t *)&st->timer, on_closed);
}
