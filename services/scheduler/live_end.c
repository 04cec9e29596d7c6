/* How a live session ends (docs/live-and-sales.md): cancelled as a whole
 * (LiveCancel), settled and out of memory once closed with every delivery
 * final, and its status (LiveStatus) from memory or, once settled, from its
 * stored record. */
#include <stdlib.h>
#include <string.h>

#include "active.h"
#include "cancel.h"
#include "commit.h"
#include "db.h"
#include "live_int.h"
#include "metrics.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "scheduler.pb-c.h"

/* ---- leaving memory ---- */

/* Writes ls's record as settled, with its counts by final state. */
static void put_settled(sched *s, const lsess *ls) {
  Qunfa__LiveSession r;
  uint32_t ended[APOST_STATES];
  live_fill_record(ls, &r, true);
  memcpy(ended, ls->ended, sizeof ended);
  r.settled = true;
  r.groups = ls->ngroups;
  r.ended = ended;
  r.n_ended = APOST_STATES;
  live_put(s, &r);
}

/* Takes ls out of the list and its posts out of the map (tombstones). */
static void forget(lives *lv, lsess *ls) {
  for (lsess **pp = &lv->head; *pp; pp = &(*pp)->next_sess) {
    if (*pp == ls) {
      *pp = ls->next_sess;
      break;
    }
  }
  for (size_t i = 0; i < lv->cap; i++)
    if (lv->map[i].ls == ls)
      lv->map[i].ls = NULL;
  lv->nsess--;
  qf_gauge_set(mx.live_sessions, (int64_t)lv->nsess);
}

void live_settle(lives *lv, lsess *ls) {
  if (!ls->closed || ls->busy > 0 || ls->finished < ls->ngroups)
    return;
  put_settled(lv->s, ls);
  forget(lv, ls);
  qf_log_info("live_settled", "live=%llu segments=%u groups=%u cancelled=%d",
              (unsigned long long)ls->id, ls->nseg, ls->ngroups, (int)ls->cancelled);
  live_sess_free(ls);
}

/* ---- reading a settled session ---- */

static int get_record(sched *s, uint64_t id, Qunfa__LiveSession **out) {
  return db_read_by_id(s->kv, DB_LIVES, id, &qunfa__live_session__descriptor,
                       (ProtobufCMessage **)out);
}

bool live_settled(sched *s, uint64_t id, bool *cancelled) {
  Qunfa__LiveSession *r = NULL;
  bool settled = get_record(s, id, &r) == 0 && r->settled;
  *cancelled = settled && r->cancelled;
  if (r != NULL)
    qunfa__live_session__free_unpacked(r, NULL);
  return settled;
}

/* The session id, settled (out of memory): *out handed over, or NULL with
 * the reply sent (not found, unreadable, or not settled: a session that
 * failed to open). */
static Qunfa__LiveSession *settled_or_reply(qf_rpc_call *call, sched *s, uint64_t id) {
  Qunfa__LiveSession *r = NULL;
  int rc = get_record(s, id, &r);
  if (rc == 0 && r->settled)
    return r;
  if (r != NULL)
    qunfa__live_session__free_unpacked(r, NULL);
  if (rc == 0 || rc == QF_ENOTFOUND)
    qf_rpc_reply_error(call, QF_ENOTFOUND, "live session %llu not found",
                       (unsigned long long)id);
  else
    qf_rpc_reply_error(call, rc, "live session %llu could not be read: %s",
                       (unsigned long long)id, qf_strerror(rc));
  return NULL;
}

/* ---- LiveCancel ---- */

typedef struct cancelling {
  qf_rpc_call *call;
  Qunfa__LiveCancelReply rep;
} cancelling;

static void on_cancel_stored(int status, void *arg) {
  cancelling *c = arg;
  if (status != 0)
    qf_rpc_reply_error(c->call, status, "cancel not stored: %s", qf_strerror(status));
  else
    qf_rpc_reply(c->call, &c->rep.base);
  free(c);
}

static void cancel_one(sched *s, uint64_t post, Qunfa__LiveCancelReply *rep) {
  cancel_result r;
  if (post == 0 || cancel_post(s, post, &r) != 0)
    return; /* a post that was never made, or is gone: nothing to cancel */
  rep->cancelled += r.cancelled;
  rep->leased += r.leased;
}

/* Cancels every post of ls, the last segment first, so that a group passed on
 * from a cancelled segment finds the later ones cancelled already rather than
 * queueing them. */
static void cancel_sess(lives *lv, lsess *ls, Qunfa__LiveCancelReply *rep) {
  ls->busy++;
  ls->cancelled = true;
  ls->closed = true;
  ls->finished = 0;
  for (uint32_t g = 0; g < ls->ngroups; g++)
    ls->finished += ls->next[g] >= ls->nseg;
  for (uint32_t k = ls->nseg; k-- > 0;)
    cancel_one(lv->s, ls->posts[k], rep);
  for (size_t i = 0; i < ls->nremind; i++)
    cancel_one(lv->s, ls->reminder_posts[i], rep);
  live_put_record(lv->s, ls);
  qf_log_info("live_cancelled", "live=%llu cancelled=%u leased=%u",
              (unsigned long long)ls->id, rep->cancelled, rep->leased);
  ls->busy--;
  live_settle(lv, ls); /* after the record: a settled one is written later */
}

void live_on_cancel(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__LiveRef *r = (const Qunfa__LiveRef *)msg;
  lsess *ls = live_find(s->lv, r->live_id);
  cancelling *c;
  if (ls == NULL) {
    Qunfa__LiveSession *rec = settled_or_reply(call, s, r->live_id);
    if (rec == NULL)
      return;
    /* Ended already: every delivery is final, nothing is left to cancel. */
    Qunfa__LiveCancelReply rep = QUNFA__LIVE_CANCEL_REPLY__INIT;
    rep.live_id = r->live_id;
    rep.was_cancelled = rec->cancelled;
    qf_rpc_reply(call, &rep.base);
    qunfa__live_session__free_unpacked(rec, NULL);
    return;
  }
  c = qf_calloc(1, sizeof(*c));
  c->call = call;
  qunfa__live_cancel_reply__init(&c->rep);
  c->rep.live_id = r->live_id;
  c->rep.was_cancelled = ls->cancelled;
  if (!ls->cancelled)
    cancel_sess(s->lv, ls, &c->rep);
  /* The cancels ride the work batch and the record the client batch of this
   * turn; the work stream commits first in a round (commit.h), so once the
   * client batch is durable both are. */
  commit_defer(s->client, on_cancel_stored, c);
}

/* ---- LiveStatus ---- */

static void reply_settled(qf_rpc_call *call, const Qunfa__LiveSession *r) {
  Qunfa__LiveStatusReply rep = QUNFA__LIVE_STATUS_REPLY__INIT;
  uint32_t e[APOST_STATES] = {0};
  for (size_t i = 0; i < r->n_ended && i < APOST_STATES; i++)
    e[i] = r->ended[i];
  rep.live_id = r->id;
  rep.segments = (uint32_t)r->n_segment_posts;
  rep.groups = r->groups;
  rep.groups_done = r->groups;
  rep.delivered = e[QUNFA__DELIVERY_STATE__DELIVERED];
  rep.failed = e[QUNFA__DELIVERY_STATE__FAILED];
  rep.expired = e[QUNFA__DELIVERY_STATE__EXPIRED];
  rep.cancelled = e[QUNFA__DELIVERY_STATE__CANCELLED];
  rep.closed = true;
  rep.session_cancelled = r->cancelled;
  rep.settled = true;
  rep.slowest_group = "";
  qf_rpc_reply(call, &rep.base);
}

static void reply_memory(qf_rpc_call *call, sched *s, const lsess *ls) {
  Qunfa__LiveStatusReply rep = QUNFA__LIVE_STATUS_REPLY__INIT;
  uint64_t total, final = 0;
  uint32_t worst = 0;
  for (uint32_t k = 0; k < ls->nseg; k++) {
    apost *p = active_find(s->act, ls->posts[k]);
    if (p != NULL)
      rep.leased += p->counts[QUNFA__DELIVERY_STATE__LEASED];
  }
  for (uint32_t g = 0; g < ls->ngroups; g++) {
    uint32_t lag = ls->nseg - ls->next[g];
    rep.groups_done += lag == 0;
    if (lag > rep.lag_segments) {
      rep.lag_segments = lag;
      worst = g;
    }
  }
  for (int st = QUNFA__DELIVERY_STATE__DELIVERED; st < APOST_STATES; st++)
    final += ls->ended[st];
  total = (uint64_t)ls->nseg * ls->ngroups;
  rep.live_id = ls->id;
  rep.segments = ls->nseg;
  rep.groups = ls->ngroups;
  rep.delivered = ls->ended[QUNFA__DELIVERY_STATE__DELIVERED];
  rep.failed = ls->ended[QUNFA__DELIVERY_STATE__FAILED];
  rep.expired = ls->ended[QUNFA__DELIVERY_STATE__EXPIRED];
  rep.cancelled = ls->ended[QUNFA__DELIVERY_STATE__CANCELLED];
  rep.pending = (uint32_t)(total - final - rep.leased);
  rep.closed = ls->closed;
  rep.session_cancelled = ls->cancelled;
  rep.slowest_group = rep.lag_segments > 0 ? ls->groups[worst] : "";
  if (rep.lag_segments > 0)
    rep.lag_ms = qf_clock_now_ms() - ls->at[ls->next[worst]];
  qf_rpc_reply(call, &rep.base);
}

void live_on_status(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__LiveRef *r = (const Qunfa__LiveRef *)msg;
  lsess *ls = live_find(s->lv, r->live_id);
  if (ls != NULL) {
    reply_memory(call, s, ls);
    return;
  }
  Qunfa__LiveSession *rec = settled_or_reply(call, s, r->live_id);
  if (rec != NULL) {
    reply_settled(call, rec);
    qunfa__live_session__free_unpacked(rec, NULL);
  }
}
