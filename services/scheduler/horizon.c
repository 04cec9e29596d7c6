#include "horizon.h"

#include <stdlib.h>

#include "commit.h"
#include "db.h"
#include "dispatch.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"

static const char horizon_key[] = "lease_horizon_ms";

struct horizon {
  sched *s;
  uv_timer_t timer;
  int64_t committed_ms; /* durable: leases may have deadlines up to this */
  unsigned writing;     /* writes waiting for their commit */
  bool stopped, closed;
};

typedef struct hwrite {
  horizon *h;
  int64_t value_ms;
} hwrite;

int horizon_load(qf_kv *kv, int64_t *earlier_ms) {
  qf_kv_txn *txn = NULL;
  qf_kv_val v;
  int rc = qf_kv_read_begin(kv, &txn);
  *earlier_ms = 0;
  if (rc != 0)
    return rc;
  rc = qf_kv_get(txn, DB_META, horizon_key, sizeof horizon_key - 1, &v);
  if (rc == 0 && v.len == 8)
    *earlier_ms = (int64_t)qf_kv_get_be64(v.data);
  qf_kv_read_end(txn);
  return rc == QF_ENOTFOUND ? 0 : rc;
}

static void put(horizon *h, int64_t value_ms) {
  uint8_t v[8];
  qf_kv_put_be64(v, (uint64_t)value_ms);
  qf_kv_batch_put(commit_batch(h->s->work), DB_META, horizon_key,
                  sizeof horizon_key - 1, v, sizeof v);
}

static void on_written(int status, void *arg) {
  hwrite *w = arg;
  horizon *h = w->h;
  int64_t value_ms = w->value_ms;
  free(w);
  h->writing--;
  if (h->closed) {
    if (h->writing == 0)
      free(h);
    return;
  }
  if (status == 0 && value_ms > h->committed_ms) {
    h->committed_ms = value_ms;
    /* Lease calls held back by the horizon may go now. */
    if (h->s->dsp != NULL)
      dispatch_wake(h->s->dsp);
  }
}

static void on_tick(uv_timer_t *t) {
  horizon *h = t->data;
  hwrite *w;
  if (h->stopped)
    return;
  w = qf_malloc(sizeof(*w));
  w->h = h;
  w->value_ms = qf_clock_now_ms() + h->s->lease_ms + HORIZON_SLACK_MS;
  put(h, w->value_ms);
  h->writing++;
  commit_defer(h->s->work, on_written, w);
}

horizon *horizon_new(sched *s) {
  horizon *h = qf_calloc(1, sizeof(*h));
  h->s = s;
  uv_timer_init(s->loop, &h->timer);
  h->timer.data = h;
  uv_timer_start(&h->timer, on_tick, 0, HORIZON_TICK_MS);
  return h;
}

bool horizon_allows(const horizon *h, int64_t deadline_ms) {
  /* Without a horizon (unit tests) every lease may go. */
  return h == NULL || deadline_ms <= h->committed_ms;
}

void horizon_stop(horizon *h, int64_t final_ms) {
  if (h == NULL || h->stopped)
    return;
  h->stopped = true;
  uv_timer_stop(&h->timer);
  put(h, final_ms);
}

static void on_closed(uv_handle_t *hd) {
  horizon *h = hd->data;
  h->closed = true;
  if (h->writing == 0)
    free(h);
}

void horizon_close(horizon *h) {
  if (h == NULL)
    return;
  h->stopped = true;
  uv_close((uv_handle_t *)&h->timer, on_closed);
}
