#include "timeline.h"

#include <stdlib.h>

#include "active.h"
#include "db.h"
#include "heap.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"

struct timeline {
  sched *s;
  heap due; /* due_ms -> post id */
  uv_timer_t timer;
  int64_t armed_ms; /* 0 = idle */
};

static void on_timer(uv_timer_t *h);

static void arm(timeline *t) {
  heap_item it;
  qf_gauge_set(mx.timeline_depth, (int64_t)t->due.n);
  if (!heap_peek(&t->due, &it))
    return;
  if (t->armed_ms != 0 && t->armed_ms <= it.at_ms)
    return;
  t->armed_ms = it.at_ms;
  sched_timer_at(&t->timer, on_timer, it.at_ms);
}

/* Activates the post with this id from its record. */
static void activate(timeline *t, qf_kv_txn *txn, uint64_t id) {
  Qunfa__Post *rec = NULL;
  int rc = db_get_post(txn, id, &rec);
  if (rc != 0) {
    qf_log_error("timeline_post_missing", "post=%llu err=%s", (unsigned long long)id,
                 qf_errname(rc));
    return;
  }
  active_start(t->s->act, rec);
  qunfa__post__free_unpacked(rec, NULL);
}

static void on_timer(uv_timer_t *h) {
  timeline *t = h->data;
  int64_t now = qf_clock_now_ms();
  qf_kv_txn *txn = NULL;
  heap_item it;
  t->armed_ms = 0;
  if (heap_peek(&t->due, &it) && it.at_ms <= now) {
    if (qf_kv_read_begin(t->s->kv, &txn) != 0) {
      t->armed_ms = now + 100; /* retry soon; kv logged why */
      sched_timer_at(&t->timer, on_timer, t->armed_ms);
      return;
    }
    while (heap_peek(&t->due, &it) && it.at_ms <= now) {
      heap_pop(&t->due, &it);
      activate(t, txn, it.u);
    }
    qf_kv_read_end(txn);
  }
  arm(t);
}

void timeline_add(timeline *t, int64_t due_ms, uint64_t post_id) {
  heap_push(&t->due, (heap_item){due_ms, NULL, post_id});
  arm(t);
}

typedef struct load_ctx {
  timeline *t;
  qf_kv_txn *txn;
  int64_t now;
  size_t due, future;
} load_ctx;

static int load_one(const qf_kv_val *key, const qf_kv_val *val, void *arg) {
  load_ctx *c = arg;
  const uint8_t *k = key->data;
  int64_t due_ms;
  uint64_t id;
  (void)val;
  if (key->len != DB_TIMELINE_KEY)
    return 0;
  due_ms = (int64_t)qf_kv_get_be64(k);
  id = qf_kv_get_be64(k + 8);
  if (due_ms <= c->now) {
    activate(c->t, c->txn, id);
    c->due++;
  } else {
    heap_push(&c->t->due, (heap_item){due_ms, NULL, id});
    c->future++;
  }
  return 0;
}

int timeline_load(timeline *t) {
  load_ctx c = {t, NULL, qf_clock_now_ms(), 0, 0};
  int rc = qf_kv_read_begin(t->s->kv, &c.txn);
  if (rc != 0)
    return rc;
  rc = qf_kv_scan(c.txn, DB_TIMELINE, NULL, 0, NULL, 0, load_one, &c);
  qf_kv_read_end(c.txn);
  if (rc < 0)
    return rc;
  qf_log_info("timeline_loaded", "active=%zu scheduled=%zu", c.due, c.future);
  arm(t);
  return 0;
}

timeline *timeline_new(sched *s) {
  timeline *t = qf_calloc(1, sizeof(*t));
  t->s = s;
  uv_timer_init(s->loop, &t->timer);
  t->timer.data = t;
  return t;
}

static void on_closed(uv_handle_t *h) {
  timeline *t = h->data;
  heap_free(&t->due);
  free(t);
}

void timeline_close(timeline *t) {
  if (t == NULL)
    return;
  uv_close((uv_handle_t *)&t->timer, on_closed);
}
