#include "cancel.h"

#include <stdlib.h>

#include "active.h"
#include "commit.h"
#include "db.h"
#include "dispatch.h"
#include "live.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "scheduler.pb-c.h"

/* Posts cancelled lately, oldest first; a bounded list (a burst of more cancels
 * than this within one lease period loses the oldest, whose unstarted leases
 * then run to their end as if not cancelled, and end CANCELLED unless sent). */
#define RECENT_MAX 256

struct cancels {
  sched *s;
  uint64_t ids[RECENT_MAX];
  int64_t at_ms[RECENT_MAX];
  size_t n;
};

cancels *cancel_new(sched *s) {
  cancels *c = qf_calloc(1, sizeof(*c));
  c->s = s;
  return c;
}

void cancel_free(cancels *c) {
  free(c);
}

static void drop_oldest(cancels *c, size_t k) {
  for (size_t i = k; i < c->n; i++) {
    c->ids[i - k] = c->ids[i];
    c->at_ms[i - k] = c->at_ms[i];
  }
  c->n -= k;
}

const uint64_t *cancel_recent(cancels *c, size_t *n) {
  int64_t since = qf_clock_now_ms() - c->s->lease_ms;
  size_t old = 0;
  while (old < c->n && c->at_ms[old] < since)
    old++;
  drop_oldest(c, old);
  *n = c->n;
  return c->ids;
}

static void remember(cancels *c, uint64_t id) {
  if (c->n == RECENT_MAX)
    drop_oldest(c, 1);
  c->ids[c->n] = id;
  c->at_ms[c->n] = qf_clock_now_ms();
  c->n++;
}

void cancel_mark(sched *s, apost *p, uint32_t seq) {
  apost_set_error(p, seq, "post cancelled");
  apost_set_state(p, seq, QUNFA__DELIVERY_STATE__CANCELLED);
  apost_write(p, seq, commit_batch(s->work));
}

void cancel_delivery(sched *s, apost *p, uint32_t seq) {
  cancel_mark(s, p, seq);
  live_final(s->lv, p, seq); /* a live session's group goes on to its next segment */
}

/* Cancels the active post p; p may be retired (freed) on return. */
static void cancel_active(sched *s, apost *p, cancel_result *out) {
  out->leased = p->counts[QUNFA__DELIVERY_STATE__LEASED];
  if (p->cancelled)
    return; /* again: nothing more to do */
  out->cancelled = p->total - p->loaded;
  p->cancelled = true;
  apost_write_record(p, commit_batch(s->work));
  for (uint32_t seq = 0; seq < p->loaded; seq++) {
    if (p->d[seq].state != QUNFA__DELIVERY_STATE__PENDING)
      continue;
    if (live_carried(s->lv, p, seq)) { /* its text is out with an earlier segment */
      out->leased++;
      continue;
    }
    cancel_delivery(s, p, seq);
    out->cancelled++;
  }
  active_check_done(s->act, p);
}

int cancel_post(sched *s, uint64_t id, cancel_result *out) {
  apost *p = active_find(s->act, id);
  Qunfa__Post *rec = NULL;
  qf_kv_txn *txn = NULL;
  int rc;
  *out = (cancel_result){0};
  if (p == NULL) {
    if ((rc = qf_kv_read_begin(s->kv, &txn)) != 0)
      return rc;
    rc = db_get_post(txn, id, &rec);
    qf_kv_read_end(txn);
    if (rc != 0)
      return rc;
    if (rec->done) {
      out->was_done = true;
      qunfa__post__free_unpacked(rec, NULL);
      return 0;
    }
    /* Not due yet (or not loaded): active now, so its deliveries are cancelled as
     * they load, a few thousand per loop turn, and the post retires as done. */
    active_start(s->act, rec);
    qunfa__post__free_unpacked(rec, NULL);
    if ((p = active_find(s->act, id)) == NULL)
      return QF_EINTERNAL;
  }
  cancel_active(s, p, out);
  remember(s->cnl, id);
  /* Parked Lease calls answer now, so idle dispatchers hear of it at once. */
  dispatch_drain(s->dsp);
  qf_log_info("post_cancelled", "post=%llu cancelled=%u leased=%u",
              (unsigned long long)id, out->cancelled, out->leased);
  return 0;
}

typedef struct cancelling {
  qf_rpc_call *call;
  uint64_t id;
  cancel_result r;
} cancelling;

static void on_committed(int status, void *arg) {
  cancelling *c = arg;
  Qunfa__CancelPostReply reply = QUNFA__CANCEL_POST_REPLY__INIT;
  if (status != 0) {
    qf_rpc_reply_error(c->call, status, "cancel not stored: %s", qf_strerror(status));
  } else {
    reply.post_id = c->id;
    reply.cancelled = c->r.cancelled;
    reply.leased = c->r.leased;
    reply.was_done = c->r.was_done;
    qf_rpc_reply(c->call, &reply.base);
  }
  free(c);
}

void cancel_on_post(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__PostRef *req = (const Qunfa__PostRef *)msg;
  cancelling *c = qf_calloc(1, sizeof(*c));
  int rc = cancel_post(s, req->post_id, &c->r);
  if (rc != 0) {
    if (rc == QF_ENOTFOUND)
      qf_rpc_reply_error(call, rc, "post %llu not found",
                         (unsigned long long)req->post_id);
    else
      qf_rpc_reply_error(call, rc, "post %llu could not be cancelled: %s",
                         (unsigned long long)req->post_id, qf_strerror(rc));
    free(c);
    return;
  }
  c->call = call;
  c->id = req->post_id;
  commit_defer(s->work, on_committed, c);
}
