#include "nngsend.h"

#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_MAX (64 * 1024)

typedef struct peer {
  struct peer *next;
  nng_socket sock;
  char url[];
} peer;

typedef struct nreq {
  nngsend *g;
  struct nreq *prev, *next; /* in flight, on the loop thread */
  struct nreq *qnext;       /* completed, under the mutex */
  nng_ctx ctx;
  nng_aio *aio;
  bool receiving, queued;
  int err;
  nng_msg *reply;
  int64_t deadline_mono_ms;
  int64_t start_ms;
  const qf_dialect *d;
  transport_done_fn done;
  void *arg;
} nreq;

struct nngsend {
  uv_loop_t *loop;
  uv_async_t async;
  const metrics *m;
  unsigned max, in_flight;
  peer *peers;
  nreq *flying;
  pthread_mutex_t mu;
  nreq *qhead, *qtail;    /* completed, waiting for the loop */
  qf_dialect_request req; /* rendering buffer, reused */
};

/* ---- NNG's threads ---- */

static void complete(nreq *r, int err) {
  nngsend *g = r->g;
  pthread_mutex_lock(&g->mu);
  if (!r->queued) {
    r->queued = true;
    r->err = err;
    r->qnext = NULL;
    if (g->qtail)
      g->qtail->qnext = r;
    else
      g->qhead = r;
    g->qtail = r;
  }
  pthread_mutex_unlock(&g->mu);
  uv_async_send(&g->async);
}

static void on_aio(void *arg) {
  nreq *r = arg;
  int rv = nng_aio_result(r->aio);
  if (!r->receiving) {
    if (rv != 0) {
      nng_msg_free(nng_aio_get_msg(r->aio)); /* still ours when the send failed */
      complete(r, rv);
      return;
    }
    r->receiving = true;
    int64_t left = r->deadline_mono_ms - qf_clock_mono_ms();
    nng_aio_set_timeout(r->aio, (nng_duration)(left > 1 ? left : 1));
    nng_ctx_recv(r->ctx, r->aio);
    return;
  }
  if (rv == 0)
    r->reply = nng_aio_get_msg(r->aio);
  complete(r, rv);
}

/* ---- the loop ---- */

static qf_xfer xfer_of(int err) {
  switch (err) {
  case 0:
    return QF_XFER_OK;
  case NNG_ETIMEDOUT:
    return QF_XFER_TIMEOUT;
  case NNG_ECONNREFUSED:
    return QF_XFER_REFUSED;
  case NNG_ECONNRESET:
  case NNG_ECONNSHUT:
  case NNG_ECLOSED:
    return QF_XFER_NETWORK;
  default:
    return QF_XFER_OTHER;
  }
}

static void unlink_flying(nngsend *g, nreq *r) {
  if (r->prev)
    r->prev->next = r->next;
  else
    g->flying = r->next;
  if (r->next)
    r->next->prev = r->prev;
}

/* Frees r's NNG resources; r must have completed (its callback is done). */
static void nreq_free(nreq *r) {
  nng_aio_free(r->aio); /* waits for a callback still returning */
  nng_ctx_close(r->ctx);
  nng_msg_free(r->reply);
  free(r);
}

static void finish(nngsend *g, nreq *r) {
  qf_dialect_answer ans = {
      .xfer = xfer_of(r->err), .status = 200, .now_ms = qf_clock_now_ms()};
  if (r->reply) {
    ans.body = nng_msg_body(r->reply);
    ans.body_len = nng_msg_len(r->reply);
  }
  if (r->err != 0)
    qf_log_debug("send_failed", "call=nng_ctx_recv dialect=nng err=\"%s\"",
                 nng_strerror(r->err));
  qf_dialect_result res;
  r->d->classify(&ans, &res);
  metrics_send_done(g->m, qf_clock_mono_ms() - r->start_ms, r->d, &ans);
  transport_done_fn done = r->done;
  void *arg = r->arg;
  unlink_flying(g, r);
  g->in_flight--;
  qf_gauge_add(g->m->sends_in_flight, -1);
  nreq_free(r);
  done(&res, arg);
}

static void on_async(uv_async_t *h) {
  nngsend *g = h->data;
  pthread_mutex_lock(&g->mu);
  nreq *r = g->qhead;
  g->qhead = g->qtail = NULL;
  pthread_mutex_unlock(&g->mu);
  while (r) {
    nreq *next = r->qnext;
    finish(g, r);
    r = next;
  }
}

/* The REQ socket of url, dialled on first use; NULL with why when NNG cannot
 * use url. */
static peer *peer_get(nngsend *g, const char *url, char why[QF_DIALECT_ERROR_LEN]) {
  for (peer *p = g->peers; p; p = p->next)
    if (strcmp(p->url, url) == 0)
      return p;
  size_t n = strlen(url);
  peer *p = qf_calloc(1, sizeof *p + n + 1);
  memcpy(p->url, url, n + 1);
  int rv = nng_req0_open(&p->sock);
  if (rv == 0 &&
      (rv = nng_socket_set_size(p->sock, NNG_OPT_RECVMAXSZ, REPLY_MAX)) == 0 &&
      (rv = nng_socket_set_ms(p->sock, NNG_OPT_REQ_RESENDTIME,
                              NNG_DURATION_INFINITE)) == 0)
    rv = nng_dial(p->sock, url, NULL, NNG_FLAG_NONBLOCK);
  if (rv != 0) {
    char u[512];
    qf_log_warn("gateway_unusable", "call=nng_dial url=%s err=\"%s\"",
                qf_log_redact_url(url, u, sizeof u), nng_strerror(rv));
    snprintf(why, QF_DIALECT_ERROR_LEN, "nng url cannot be dialled: %s",
             nng_strerror(rv));
    nng_close(p->sock);
    free(p);
    return NULL;
  }
  p->next = g->peers;
  g->peers = p;
  return p;
}

/* Starts r's request: a context on the peer's socket, the body as a message. */
static int start(nreq *r, peer *p, const qf_dialect_request *req, int64_t timeout_ms) {
  nng_msg *msg = NULL;
  int rv = nng_ctx_open(&r->ctx, p->sock);
  if (rv == 0 && (rv = nng_aio_alloc(&r->aio, on_aio, r)) != 0)
    nng_ctx_close(r->ctx);
  if (rv != 0)
    return rv;
  if ((rv = nng_msg_alloc(&msg, 0)) != 0 ||
      (rv = nng_msg_append(msg, req->body, req->body_len)) != 0) {
    nng_msg_free(msg);
    nng_aio_free(r->aio);
    nng_ctx_close(r->ctx);
    return rv;
  }
  r->deadline_mono_ms = qf_clock_mono_ms() + timeout_ms;
  nng_aio_set_timeout(r->aio, (nng_duration)timeout_ms);
  nng_aio_set_msg(r->aio, msg);
  nng_ctx_send(r->ctx, r->aio);
  return 0;
}

int nngsend_send(nngsend *g, const qf_dialect *d, const qf_dialect_msg *msg,
                 int64_t timeout_ms, transport_done_fn done, void *arg,
                 char why[QF_DIALECT_ERROR_LEN]) {
  if (g->in_flight >= g->max)
    return QF_EBUSY;
  if (d->render(msg, &g->req) != 0) {
    snprintf(why, QF_DIALECT_ERROR_LEN, "%s", g->req.error);
    return QF_EINVAL;
  }
  peer *p = peer_get(g, g->req.url, why);
  if (!p)
    return QF_EINVAL;
  nreq *r = qf_calloc(1, sizeof *r);
  *r = (nreq){.g = g, .d = d, .done = done, .arg = arg, .start_ms = qf_clock_mono_ms()};
  int rv = start(r, p, &g->req, timeout_ms > 0 ? timeout_ms : 1);
  if (rv != 0) {
    qf_log_error("nng_failed", "call=nng_ctx_send err=\"%s\"", nng_strerror(rv));
    free(r);
    return QF_EINTERNAL;
  }
  r->next = g->flying;
  if (g->flying)
    g->flying->prev = r;
  g->flying = r;
  g->in_flight++;
  qf_gauge_add(g->m->sends_in_flight, 1);
  return 0;
}

unsigned nngsend_in_flight(const nngsend *g) {
  return g->in_flight;
}

int nngsend_new(nngsend **out, uv_loop_t *loop, unsigned max_sends, const metrics *m) {
  nngsend *g = qf_calloc(1, sizeof *g);
  g->loop = loop;
  g->m = m;
  g->max = max_sends ? max_sends : 1;
  pthread_mutex_init(&g->mu, NULL);
  qf_dialect_request_init(&g->req);
  if (uv_async_init(loop, &g->async, on_async) != 0) {
    qf_log_error("nng_failed", "call=uv_async_init");
    pthread_mutex_destroy(&g->mu);
    free(g);
    return QF_EINTERNAL;
  }
  g->async.data = g;
  *out = g;
  return 0;
}

static void on_closed(uv_handle_t *h) {
  nngsend *g = h->data;
  pthread_mutex_destroy(&g->mu);
  qf_dialect_request_free(&g->req);
  free(g);
}

void nngsend_close(nngsend *g) {
  if (!g)
    return;
  /* Stopping an aio waits for its callback, so nothing completes after this. */
  for (nreq *r = g->flying; r; r = r->next)
    nng_aio_stop(r->aio);
  for (nreq *r = g->flying, *next; r; r = next) {
    next = r->next;
    nreq_free(r);
  }
  g->flying = NULL;
  g->qhead = g->qtail = NULL;
  for (peer *p = g->peers, *next; p; p = next) {
    next = p->next;
    nng_close(p->sock);
    free(p);
  }
  g->peers = NULL;
  uv_close((uv_handle_t *)&g->async, on_closed);
}
