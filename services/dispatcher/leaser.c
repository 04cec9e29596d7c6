#include "leaser.h"

#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/log.h"

#include <stdlib.h>

#define WORK_LEASE_METHOD 0 /* qunfa.Work: Lease, Report */
/* Beyond the long poll, how long a Lease answer may take. */
#define LEASE_SLACK_MS 5000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

struct leaser {
  uv_loop_t *loop;
  qf_rpc_client *work;
  leaser_opts o;
  const metrics *m;
  uv_prepare_t prepare;
  uv_timer_t backoff;
  int64_t backoff_ms;
  bool busy, stopped, closed;
  bool failing; /* the last call failed: log the next failures quietly */
};

static void lease_now(leaser *l);

static void on_prepare(uv_prepare_t *h) {
  uv_prepare_stop(h);
  lease_now(h->data);
}

static void on_backoff(uv_timer_t *t) {
  lease_now(t->data);
}

static void back_off(leaser *l, int code, const char *call, const char *err) {
  qf_counter_add(l->m->lease_errors, 1);
  qf_log(l->failing ? QF_LOG_DEBUG : QF_LOG_WARN, "lease_failed",
         "call=%s err=%s reason=\"%s\" retry_ms=%lld", call, qf_errname(code),
         err ? err : "", (long long)l->backoff_ms);
  l->failing = true;
  uv_timer_start(&l->backoff, on_backoff, (uint64_t)l->backoff_ms, 0);
  l->backoff_ms =
      l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

static void on_leased(int status, const char *err, ProtobufCMessage *reply, void *arg) {
  leaser *l = arg;
  l->busy = false;
  if (status != 0) {
    if (!l->closed)
      back_off(l, status, "Work.Lease", err);
    return;
  }
  if (l->failing)
    qf_log_info("lease_resumed", "work=reachable");
  l->failing = false;
  l->backoff_ms = BACKOFF_MIN_MS;
  Qunfa__LeaseReply *r = (Qunfa__LeaseReply *)reply;
  qf_counter_add(l->m->leases_received, r->n_leases);
  l->o.take(r, l->o.arg); /* hands r over; may kick us */
  leaser_kick(l);
}

static void lease_now(leaser *l) {
  if (l->stopped || l->busy)
    return;
  unsigned credit = l->o.credit(l->o.arg);
  if (credit == 0)
    return; /* a completion will kick */
  Qunfa__LeaseRequest req = QUNFA__LEASE_REQUEST__INIT;
  req.dispatcher = (char *)l->o.name;
  req.max = credit;
  req.wait_ms = l->o.wait_ms;
  qf_counter_add(l->m->lease_calls, 1);
  int rc =
      qf_rpc_call_async(l->work, &qunfa__work__descriptor, WORK_LEASE_METHOD, &req.base,
                        (int64_t)l->o.wait_ms + LEASE_SLACK_MS, on_leased, l);
  if (rc != 0) {
    back_off(l, rc, "qf_rpc_call_async", qf_strerror(rc));
    return;
  }
  l->busy = true;
}

void leaser_kick(leaser *l) {
  if (l->stopped || l->busy || uv_is_active((uv_handle_t *)&l->backoff))
    return;
  uv_prepare_start(&l->prepare, on_prepare);
}

int leaser_new(leaser **out, uv_loop_t *loop, qf_rpc_client *work,
               const leaser_opts *opts, const metrics *m) {
  leaser *l = qf_calloc(1, sizeof *l);
  l->loop = loop;
  l->work = work;
  l->o = *opts;
  l->m = m;
  l->backoff_ms = BACKOFF_MIN_MS;
  uv_prepare_init(loop, &l->prepare);
  l->prepare.data = l;
  uv_timer_init(loop, &l->backoff);
  l->backoff.data = l;
  *out = l;
  return 0;
}

void leaser_stop(leaser *l) {
  l->stopped = true;
  uv_prepare_stop(&l->prepare);
  uv_timer_stop(&l->backoff);
}

bool leaser_busy(const leaser *l) {
  return l->busy;
}

void leaser_close(leaser *l) {
  if (!l || l->closed)
    return;
  leaser_stop(l);
  l->closed = true;
  uv_close((uv_handle_t *)&l->prepare, NULL);
  uv_close((uv_handle_t *)&l->backoff, NULL);
}

void leaser_free(leaser *l) {
  free(l);
}
