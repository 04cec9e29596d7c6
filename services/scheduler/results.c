#include "results.h"

#include <stdlib.h>

#include "active.h"
#include "commit.h"
#include "metrics.h"
#include "outcome.h"
#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/log.h"
#include "scheduler.pb-c.h"

typedef struct pending_reply {
  qf_rpc_call *call;
  uint32_t count;
} pending_reply;

static void on_committed(int status, void *arg) {
  pending_reply *pr = arg;
  if (status == 0) {
    Qunfa__ReportReply reply = QUNFA__REPORT_REPLY__INIT;
    reply.committed = pr->count;
    qf_rpc_reply(pr->call, &reply.base);
  } else {
    qf_rpc_reply_error(pr->call, status, "results not committed: %s",
                       qf_strerror(status));
  }
  free(pr);
}

/* Applies r if it answers a current lease; returns false for a stale one. */
static bool apply(sched *s, const Qunfa__Result *r) {
  apost *p = active_find(s->act, r->post_id);
  adlv *d;
  if (p == NULL || r->seq >= p->loaded)
    return false;
  d = &p->d[r->seq];
  if (d->state != QUNFA__DELIVERY_STATE__LEASED || d->lease_id != r->lease_id)
    return false;
  outcome_apply(s, p, r->seq, r); /* p may be gone after this */
  return true;
}

void results_on_report(qf_rpc_call *call, const ProtobufCMessage *msg, void *arg) {
  sched *s = arg;
  const Qunfa__ReportRequest *req = (const Qunfa__ReportRequest *)msg;
  pending_reply *pr;
  size_t stale = 0;
  for (size_t i = 0; i < req->n_results; i++)
    if (!apply(s, req->results[i]))
      stale++;
  qf_counter_add(mx.results, req->n_results);
  qf_counter_add(mx.results_stale, stale);
  if (stale > 0)
    qf_log_debug("results_stale", "results=%zu stale=%zu", req->n_results, stale);
  pr = qf_malloc(sizeof(*pr));
  pr->call = call;
  pr->count = (uint32_t)req->n_results;
  commit_defer(s->work, on_committed, pr);
}
