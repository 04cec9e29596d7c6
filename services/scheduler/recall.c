#include "recall.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "commit.h"
#include "contents.h"
#include "db.h"
#include "posts.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "scheduler.h"
#include "scheduler.pb-c.h"
#include "settle.h"

bool recall_dialect_can(const char *dialect) {
  return dialect != NULL && strcmp(dialect, "telegram") == 0;
}

typedef struct recalling {
  sched *s;
  qf_rpc_call *call;
  uint64_t post_id;
  uint32_t cancelled;
  char **groups, **msg_ids; /* to delete */
  size_t n;
  Qunfa__RecallSkip *skips;
  Qunfa__RecallSkip **skip_ptrs;
  size_t nskips;
  uint64_t recall_post;
} recalling;

static void recalling_free(recalling *r) {
  for (size_t i = 0; i < r->n; i++) {
    free(r->groups[i]);
    free(r->msg_ids[i]);
  }
  for (size_t i = 0; i < r->nskips; i++) {
    free(r->skips[i].group_id);
    free(r->skips[i].reason);
  }
  free(r->groups);
  free(r->msg_ids);
  free(r->skips);
  free(r->skip_ptrs);
  free(r);
}

static void reply(recalling *r) {
  Qunfa__RecallReply rep = QUNFA__RECALL_REPLY__INIT;
  rep.post_id = r->post_id;
  rep.recall_post_id = r->recall_post;
  rep.recalling = (uint32_t)r->n;
  rep.cancelled = r->cancelled;
  r->skip_ptrs = qf_calloc(r->nskips ? r->nskips : 1, sizeof(*r->skip_ptrs));
  for (size_t i = 0; i < r->nskips; i++)
    r->skip_ptrs[i] = &r->skips[i];
  rep.skipped = r->skip_ptrs;
  rep.n_skipped = r->nskips;
  qf_rpc_reply(r->call, &rep.base);
  qf_log_info("post_recalled", "post=%llu recall_post=%llu recalling=%zu skipped=%zu",
              (unsigned long long)r->post_id, (unsigned long long)r->recall_post, r->n,
              r->nskips);
  recalling_free(r);
}

static void skip(recalling *r, const char *group, const char *fmt, const char *arg) {
  char why[160];
  r->skips = qf_realloc(r->skips, (r->nskips + 1) * sizeof(*r->skips));
  qunfa__recall_skip__init(&r->skips[r->nskips]);
  snprintf(why, sizeof why, fmt, arg);
  r->skips[r->nskips].group_id = qf_strdup(group);
  r->skips[r->nskips].reason = qf_strdup(why);
  r->nskips++;
}

static void add(recalling *r, const char *group, const char *msg_id) {
  r->groups = qf_realloc(r->groups, (r->n + 1) * sizeof(*r->groups));
  r->msg_ids = qf_realloc(r->msg_ids, (r->n + 1) * sizeof(*r->msg_ids));
  r->groups[r->n] = qf_strdup(group);
  r->msg_ids[r->n] = qf_strdup(msg_id);
  r->n++;
}

/* Sorts one delivered or leased delivery into "to delete" or "skipped". */
static void judge(recalling *r, qf_kv_txn *txn, const settle_entry *e) {
  Qunfa__Group *g = NULL;
  if (e->state == QUNFA__DELIVERY_STATE__LEASED) {
    skip(r, e->group, "%s",
         "in a dispatcher's hands at the recall: may have been sent");
    return;
  }
  if (e->state != QUNFA__DELIVERY_STATE__DELIVERED)
    return; /* never sent: nothing to delete */
  if (db_get_group(txn, e->group, &g) != 0) {
    skip(r, e->group, "%s", "group record missing");
    return;
  }
  if (!recall_dialect_can(g->dialect))
    skip(r, e->group, "dialect %s: the platform cannot delete a robot's message",
         g->dialect && g->dialect[0] ? g->dialect : "generic");
  else if (e->msg_id[0] == '\0')
    skip(r, e->group, "%s", "the platform gave no message id");
  else
    add(r, e->group, e->msg_id);
  qunfa__group__free_unpacked(g, NULL);
}

static void on_committed(int status, void *arg) {
  recalling *r = arg;
  if (status != 0) {
    qf_rpc_reply_error(r->call, status, "recall not stored: %s", qf_strerror(status));
    recalling_free(r);
    return;
  }
  reply(r);
}

static void post_noop(int status, void *arg) {
  (void)status;
  (void)arg;
}

static void on_stored(int status, const char *err, const uint8_t (*ids)[32],
                      void *arg) {
  recalling *r = arg;
  char aud[64], why[256];
  if (status != 0) {
    qf_rpc_reply_error(r->call, QF_EUNAVAIL, "content store: %s", err);
    recalling_free(r);
    return;
  }
  snprintf(aud, sizeof aud, "recall of post %llu", (unsigned long long)r->post_id);
  posts_new pn = {.audience = aud,
                  .content_id = ids[0],
                  .due_ms = qf_clock_now_ms(),
                  .priority = QUNFA__PRIORITY__PRIORITY_URGENT,
                  .groups = (const char *const *)r->groups,
                  .msg_ids = (const char *const *)r->msg_ids,
                  .ngroups = r->n};
  if (posts_create_stored(r->s, &pn, post_noop, NULL, &r->recall_post, why,
                          sizeof why) != 0) {
    qf_rpc_reply_error(r->call, QF_EINTERNAL, "recall post: %s", why);
    recalling_free(r);
    return;
  }
  commit_defer(r->s->client, on_committed, r);
}

static void on_settled(int status, const settle_entry *e, size_t n, void *arg) {
  recalling *r = arg;
  qf_kv_txn *txn = NULL;
  char text[64];
  const char *texts[1] = {text};
  if (status == 0)
    status = qf_kv_read_begin(r->s->kv, &txn);
  if (status != 0) {
    qf_rpc_reply_error(r->call, QF_EUNAVAIL, "recall: %s", qf_strerror(status));
    recalling_free(r);
    return;
  }
  for (size_t i = 0; i < n; i++)
    judge(r, txn, &e[i]);
  qf_kv_read_end(txn);
  if (r->n == 0) {
    reply(r);
    return;
  }
  snprintf(text, sizeof text, "recall of post %llu", (unsigned long long)r->post_id);
  if (contents_put(r->s, "recall", texts, 1, on_stored, r) != 0) {
    qf_rpc_reply_error(r->call, QF_EUNAVAIL, "content store: unavailable");
    recalling_free(r);
  }
}

void recall_on_post(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__PostRef *req = (const Qunfa__PostRef *)msg;
  cancel_result cr;
  recalling *r;
  int rc;
  if (s->stopping || s->store == NULL) {
    qf_rpc_reply_error(call, QF_EUNAVAIL, "the scheduler is shutting down");
    return;
  }
  if ((rc = cancel_post(s, req->post_id, &cr)) != 0) {
    if (rc == QF_ENOTFOUND)
      qf_rpc_reply_error(call, rc, "post %llu not found",
                         (unsigned long long)req->post_id);
    else
      qf_rpc_reply_error(call, rc, "post %llu could not be recalled: %s",
                         (unsigned long long)req->post_id, qf_strerror(rc));
    return;
  }
  r = qf_calloc(1, sizeof(*r));
  r->s = s;
  r->call = call;
  r->post_id = req->post_id;
  r->cancelled = cr.cancelled;
  settle_post(s->stl, req->post_id, RECALL_SETTLE_MS, on_settled, r);
}
