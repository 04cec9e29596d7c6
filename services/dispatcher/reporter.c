#include "reporter.h"

#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/log.h"
#include "scheduler.pb-c.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WORK_REPORT_METHOD 1 /* qunfa.Work: Lease, Report */
#define REPORT_TIMEOUT_MS 5000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

_Static_assert((int)QF_OUTCOME_DELIVERED == (int)QUNFA__OUTCOME__OUTCOME_DELIVERED &&
                   (int)QF_OUTCOME_RETRY == (int)QUNFA__OUTCOME__OUTCOME_RETRY &&
                   (int)QF_OUTCOME_FAILED == (int)QUNFA__OUTCOME__OUTCOME_FAILED &&
                   (int)QF_OUTCOME_RELEASED == (int)QUNFA__OUTCOME__OUTCOME_RELEASED,
               "qf_outcome follows the wire's Outcome");

struct reporter {
  uv_loop_t *loop;
  qf_rpc_client *work;
  const metrics *m;
  report_result *q; /* queue: q[head .. head + n) */
  size_t head, n, cap;
  size_t in_flight;     /* the first in_flight of the queue are in a Report */
  uv_prepare_t prepare; /* sends before the loop next sleeps */
  uv_timer_t retry;
  int64_t backoff_ms;
  bool stopped;
  bool failing; /* the last Report failed: log the next failures quietly */
  /* The wire form of one batch, reused: a request is packed before the call
   * returns, and its results stay queued until committed. */
  Qunfa__Result msgs[REPORTER_BATCH_MAX];
  Qunfa__Result *ptrs[REPORTER_BATCH_MAX];
};

static void send_batch(reporter *rp);

static void on_prepare(uv_prepare_t *h) {
  reporter *rp = h->data;
  uv_prepare_stop(h);
  send_batch(rp);
}

static void on_retry(uv_timer_t *t) {
  send_batch(t->data);
}

static void failed(reporter *rp, const char *call, int code, const char *err) {
  qf_counter_add(rp->m->report_errors, 1);
  qf_log(rp->failing ? QF_LOG_DEBUG : QF_LOG_WARN, "report_failed",
         "call=%s results=%zu err=%s reason=\"%s\" retry_ms=%lld", call,
         rp->n < REPORTER_BATCH_MAX ? rp->n : (size_t)REPORTER_BATCH_MAX,
         qf_errname(code), err ? err : "", (long long)rp->backoff_ms);
  rp->failing = true;
}

static void retry_later(reporter *rp) {
  uv_timer_start(&rp->retry, on_retry, (uint64_t)rp->backoff_ms, 0);
  rp->backoff_ms =
      rp->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : rp->backoff_ms * 2;
}

static void committed(reporter *rp) {
  qf_counter_add(rp->m->results_committed, rp->in_flight);
  rp->head += rp->in_flight;
  rp->n -= rp->in_flight;
  rp->in_flight = 0;
  if (rp->n == 0)
    rp->head = 0;
  rp->backoff_ms = BACKOFF_MIN_MS;
  if (rp->failing)
    qf_log_info("report_resumed", "work=reachable");
  rp->failing = false;
  qf_gauge_set(rp->m->results_pending, (int64_t)rp->n);
}

static void on_reported(int status, const char *err, ProtobufCMessage *reply,
                        void *arg) {
  reporter *rp = arg;
  if (reply)
    protobuf_c_message_free_unpacked(reply, NULL);
  if (rp->stopped)
    return;
  if (status == 0) {
    committed(rp);
    send_batch(rp);
    return;
  }
  rp->in_flight = 0;
  failed(rp, "Work.Report", status, err);
  retry_later(rp);
}

static void to_wire(const report_result *r, Qunfa__Result *w) {
  qunfa__result__init(w);
  w->lease_id = r->lease_id;
  w->attempt = r->attempt;
  w->post_id = r->post_id;
  w->seq = r->seq;
  w->outcome = (Qunfa__Outcome)r->outcome;
  w->retry_after_ms = r->retry_after_ms;
  w->throttled = r->throttled;
  w->error = (char *)r->error;
  w->done_ms = r->done_ms;
  w->platform_msg_id = (char *)r->platform_msg_id;
}

static void send_batch(reporter *rp) {
  if (rp->stopped || rp->in_flight || rp->n == 0 ||
      uv_is_active((uv_handle_t *)&rp->retry))
    return;
  size_t k = rp->n < REPORTER_BATCH_MAX ? rp->n : REPORTER_BATCH_MAX;
  for (size_t i = 0; i < k; i++) {
    to_wire(&rp->q[rp->head + i], &rp->msgs[i]);
    rp->ptrs[i] = &rp->msgs[i];
  }
  Qunfa__ReportRequest req = QUNFA__REPORT_REQUEST__INIT;
  req.results = rp->ptrs;
  req.n_results = k;
  qf_counter_add(rp->m->report_calls, 1);
  int rc = qf_rpc_call_async(rp->work, &qunfa__work__descriptor, WORK_REPORT_METHOD,
                             &req.base, REPORT_TIMEOUT_MS, on_reported, rp);
  if (rc != 0) {
    failed(rp, "qf_rpc_call_async", rc, qf_strerror(rc));
    retry_later(rp);
    return;
  }
  rp->in_flight = k;
}

void reporter_add(reporter *rp, const report_result *r) {
  if (rp->head + rp->n == rp->cap) {
    if (rp->head > 0) {
      memmove(rp->q, rp->q + rp->head, rp->n * sizeof *rp->q);
      rp->head = 0;
    } else {
      rp->cap = rp->cap ? rp->cap * 2 : 1024;
      rp->q = qf_realloc(rp->q, rp->cap * sizeof *rp->q);
    }
  }
  rp->q[rp->head + rp->n++] = *r;
  qf_gauge_set(rp->m->results_pending, (int64_t)rp->n);
  if (!rp->in_flight && !rp->stopped)
    uv_prepare_start(&rp->prepare, on_prepare);
}

size_t reporter_pending(const reporter *rp) {
  return rp->n;
}

int reporter_new(reporter **out, uv_loop_t *loop, qf_rpc_client *work,
                 const metrics *m) {
  reporter *rp = qf_calloc(1, sizeof *rp);
  rp->loop = loop;
  rp->work = work;
  rp->m = m;
  rp->backoff_ms = BACKOFF_MIN_MS;
  uv_prepare_init(loop, &rp->prepare);
  rp->prepare.data = rp;
  uv_timer_init(loop, &rp->retry);
  rp->retry.data = rp;
  *out = rp;
  return 0;
}

void reporter_stop(reporter *rp) {
  if (!rp || rp->stopped)
    return;
  rp->stopped = true;
  uv_close((uv_handle_t *)&rp->prepare, NULL);
  uv_close((uv_handle_t *)&rp->retry, NULL);
}

void reporter_free(reporter *rp) {
  if (!rp)
    return;
  free(rp->q);
  free(rp);
}
