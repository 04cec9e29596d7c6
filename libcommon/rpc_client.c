/* The RPC client of qf/rpc.h. It runs inside other people's programs (libqunfa),
 * so allocation failures are returned as QF_ENOMEM, never abort.
 *
 * Every call, sync or async, is one `pending` on its own REQ context: send, then
 * receive, driven by the aio callback on an NNG thread, within one deadline. A
 * sync call waits on the client's condition variable; an async call is queued
 * and delivered on the attached loop through a uv_async handle.
 *
 * The context resends its request after RESEND_MS without an answer, and at once
 * on a new connection after the old one broke: the server answers a repeated
 * request id from what it already did, so a resend is harmless. */
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"
#include "qf/rpc.h"
#include "rpc_envelope.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Shorter than typical deadlines, so a request lost with a restarting server or
 * a dropped message is tried again before its caller gives up. */
#define RESEND_MS 1000

typedef struct pending {
  qf_rpc_client *c;
  nng_ctx ctx;
  bool ctx_open;
  nng_aio *aio;
  bool receiving; /* else sending */
  uint64_t id;
  int64_t end_mono_ms;
  const ProtobufCMessageDescriptor *out;
  /* The outcome, set once by the aio callback. */
  bool done;
  int status;
  ProtobufCMessage *reply;
  char err[256];
  /* Async calls only. */
  qf_rpc_done_fn done_fn;
  void *arg;
  struct pending *next; /* in the delivery queue */
} pending;

struct qf_rpc_client {
  nng_socket sock;
  char *auth_token;
  uint64_t id_base;
  atomic_uint_fast64_t id_seq;

  pthread_mutex_t mu; /* guards everything below */
  pthread_cond_t cv;  /* a sync call finished */
  uv_loop_t *loop;
  uv_async_t async;
  pending *queue_head, *queue_tail; /* async calls finished, to deliver */
  unsigned n_async;                 /* async calls started, not yet delivered */
  bool closing;                     /* no new calls */
  bool closed;                      /* close is done with c but for the handle */
};

static uint64_t next_id(qf_rpc_client *c) {
  uint64_t id;
  do /* 0 means "no id" to the server */
    id = c->id_base + atomic_fetch_add(&c->id_seq, 1);
  while (id == 0);
  return id;
}

/* ---- one call (any thread) ---- */

/* NNG durations are int32 milliseconds: about 24 days at most. */
static nng_duration ms_duration(int64_t ms) {
  return ms > INT32_MAX ? (nng_duration)INT32_MAX : (nng_duration)ms;
}

static void pending_free(pending *p) {
  if (p->aio) {
    nng_aio_stop(p->aio);
    nng_aio_free(p->aio);
  }
  if (p->ctx_open)
    nng_ctx_close(p->ctx); /* ECLOSED after the socket closed: nothing to do */
  if (p->reply)
    protobuf_c_message_free_unpacked(p->reply, NULL);
  free(p);
}

/* Decodes the answer m into p's outcome. */
static int decode_reply(pending *p, nng_msg *m) {
  size_t len = nng_msg_len(m);
  Qunfa__ReplyEnvelope *env = qunfa__reply_envelope__unpack(NULL, len, nng_msg_body(m));
  if (!env) {
    snprintf(p->err, sizeof p->err, "reply envelope of %zu bytes does not decode", len);
    return QF_EPROTO;
  }
  int rc = 0;
  /* A server that could not read the request id answers with id 0. */
  if (env->request_id != p->id && !(env->request_id == 0 && env->status != 0)) {
    snprintf(p->err, sizeof p->err, "reply is for request %llu, not %llu",
             (unsigned long long)env->request_id, (unsigned long long)p->id);
    rc = QF_EPROTO;
  } else if (env->status != 0) {
    snprintf(p->err, sizeof p->err, "%s", env->error);
    rc = env->status > 0 ? -env->status : QF_EPROTO;
  } else {
    p->reply =
        protobuf_c_message_unpack(p->out, NULL, env->payload.len, env->payload.data);
    if (!p->reply) {
      snprintf(p->err, sizeof p->err,
               "reply payload of %zu bytes does not decode as %s", env->payload.len,
               p->out->name);
      rc = QF_EPROTO;
    }
  }
  qunfa__reply_envelope__free_unpacked(env, NULL);
  return rc;
}

/* Records the outcome and hands p to whoever waits for it. */
static void complete(pending *p, int status) {
  qf_rpc_client *c = p->c;
  if (status != 0 && !p->err[0])
    snprintf(p->err, sizeof p->err, "%s", qf_strerror(status));
  p->status = status;
  pthread_mutex_lock(&c->mu);
  p->done = true;
  if (!p->done_fn) {
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return;
  }
  if (c->queue_tail)
    c->queue_tail->next = p;
  else
    c->queue_head = p;
  c->queue_tail = p;
  pthread_mutex_unlock(&c->mu);
  /* c outlives this: the loop stops p's aio (waiting for us) before it can close
   * the handle. */
  uv_async_send(&c->async);
}

static void pending_cb(void *arg) {
  pending *p = arg;
  int rv = nng_aio_result(p->aio);
  if (rv != 0) {
    nng_msg *m = nng_aio_get_msg(p->aio); /* an unsent request comes back */
    if (m)
      nng_msg_free(m);
    nng_aio_set_msg(p->aio, NULL);
    if (rv == NNG_ETIMEDOUT)
      snprintf(p->err, sizeof p->err, "no answer before the deadline");
    complete(p, rpc_err_from_nng(rv));
    return;
  }
  if (!p->receiving) {
    int64_t left = p->end_mono_ms - qf_clock_mono_ms();
    if (left <= 0) {
      snprintf(p->err, sizeof p->err, "no answer before the deadline");
      complete(p, QF_ETIMEDOUT);
      return;
    }
    p->receiving = true;
    nng_aio_set_timeout(p->aio, ms_duration(left));
    nng_ctx_recv(p->ctx, p->aio);
    return;
  }
  nng_msg *m = nng_aio_get_msg(p->aio);
  nng_aio_set_msg(p->aio, NULL);
  int rc = decode_reply(p, m);
  nng_msg_free(m);
  complete(p, rc);
}

/* Packs the request envelope for method of service into a new message. */
static int build_request(qf_rpc_client *c, const ProtobufCServiceDescriptor *svc,
                         unsigned method, const ProtobufCMessage *req,
                         int64_t timeout_ms, uint64_t id, nng_msg **out) {
  char name[RPC_METHOD_MAX];
  if (rpc_method_name(svc, method, name, sizeof name) != 0 ||
      req->descriptor != svc->methods[method].input)
    return QF_EINVAL;
  Qunfa__RequestEnvelope env = QUNFA__REQUEST_ENVELOPE__INIT;
  env.method = name;
  env.request_id = id;
  env.deadline_ms = qf_clock_now_ms() + timeout_ms;
  if (c->auth_token)
    env.auth_token = c->auth_token;
  int rc = rpc_pack(req, &env.payload.data, &env.payload.len);
  if (rc == 0) {
    rc = rpc_pack_msg(&env.base, out);
    free(env.payload.data);
  }
  return rc;
}

/* Builds a call and sends its request; on error nothing is left behind. */
static int pending_start(qf_rpc_client *c, const ProtobufCServiceDescriptor *svc,
                         unsigned method, const ProtobufCMessage *req,
                         int64_t timeout_ms, qf_rpc_done_fn done_fn, void *arg,
                         pending **out) {
  if (!svc || !req || method >= svc->n_methods || timeout_ms <= 0)
    return QF_EINVAL;
  pending *p = calloc(1, sizeof *p);
  if (!p)
    return QF_ENOMEM;
  p->c = c;
  p->id = next_id(c);
  p->out = svc->methods[method].output;
  p->end_mono_ms = qf_clock_mono_ms() + timeout_ms;
  p->done_fn = done_fn;
  p->arg = arg;
  nng_msg *m = NULL;
  int rc = build_request(c, svc, method, req, timeout_ms, p->id, &m);
  int rv = 0;
  if (rc == 0 && (rv = nng_aio_alloc(&p->aio, pending_cb, p)) == 0 &&
      (rv = nng_ctx_open(&p->ctx, c->sock)) == 0) {
    p->ctx_open = true;
    rv = nng_ctx_set_ms(p->ctx, NNG_OPT_REQ_RESENDTIME, RESEND_MS);
  }
  if (rc == 0 && rv != 0)
    rc = rpc_err_from_nng(rv);
  if (rc != 0) {
    if (m)
      nng_msg_free(m);
    pending_free(p);
    return rc;
  }
  nng_aio_set_timeout(p->aio, ms_duration(timeout_ms));
  nng_aio_set_msg(p->aio, m);
  *out = p; /* set before the send: the callback may run before it returns */
  nng_ctx_send(p->ctx, p->aio);
  return 0;
}

int qf_rpc_call_sync(qf_rpc_client *c, const ProtobufCServiceDescriptor *service,
                     unsigned method, const ProtobufCMessage *req, int64_t timeout_ms,
                     ProtobufCMessage **reply, char *errbuf, size_t errlen) {
  if (reply)
    *reply = NULL;
  if (errbuf && errlen)
    errbuf[0] = '\0';
  pending *p = NULL;
  int rc = c && reply
               ? pending_start(c, service, method, req, timeout_ms, NULL, NULL, &p)
               : QF_EINVAL;
  if (rc != 0) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s", qf_strerror(rc));
    return rc;
  }
  pthread_mutex_lock(&c->mu);
  while (!p->done)
    pthread_cond_wait(&c->cv, &c->mu);
  pthread_mutex_unlock(&c->mu);
  rc = p->status;
  if (rc == 0) {
    *reply = p->reply;
    p->reply = NULL;
  } else if (errbuf && errlen) {
    snprintf(errbuf, errlen, "%s", p->err);
  }
  pending_free(p);
  return rc;
}

/* ---- async delivery (loop thread) ---- */

static void client_free(qf_rpc_client *c) {
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
  free(c->auth_token);
  free(c);
}

static void on_closed(uv_handle_t *h) {
  client_free(h->data);
}

static void on_async(uv_async_t *h) {
  qf_rpc_client *c = h->data;
  pthread_mutex_lock(&c->mu);
  pending *p = c->queue_head;
  c->queue_head = c->queue_tail = NULL;
  pthread_mutex_unlock(&c->mu);
  while (p) {
    pending *next = p->next;
    ProtobufCMessage *reply = p->reply;
    p->reply = NULL;
    nng_aio_stop(p->aio); /* its callback has returned: c may go once counted out */
    pthread_mutex_lock(&c->mu);
    c->n_async--;
    pthread_mutex_unlock(&c->mu);
    p->done_fn(p->status, p->status ? p->err : NULL, reply, p->arg);
    pending_free(p);
    p = next;
  }
  pthread_mutex_lock(&c->mu);
  bool finished = c->closed && c->n_async == 0;
  pthread_mutex_unlock(&c->mu);
  if (finished)
    uv_close((uv_handle_t *)&c->async, on_closed);
}

int qf_rpc_client_attach(qf_rpc_client *c, uv_loop_t *loop) {
  if (!c || !loop || c->loop)
    return QF_EINVAL;
  if (uv_async_init(loop, &c->async, on_async) != 0)
    return QF_EINTERNAL;
  c->async.data = c;
  pthread_mutex_lock(&c->mu);
  c->loop = loop;
  pthread_mutex_unlock(&c->mu);
  return 0;
}

int qf_rpc_call_async(qf_rpc_client *c, const ProtobufCServiceDescriptor *service,
                      unsigned method, const ProtobufCMessage *req, int64_t timeout_ms,
                      qf_rpc_done_fn done, void *arg) {
  if (!c || !done)
    return QF_EINVAL;
  /* Counted before it starts, so the handle stays open until it is delivered. */
  pthread_mutex_lock(&c->mu);
  int rc = !c->loop ? QF_EINVAL : c->closing ? QF_ECLOSED : 0;
  if (rc == 0)
    c->n_async++;
  pthread_mutex_unlock(&c->mu);
  if (rc != 0)
    return rc;
  pending *p;
  rc = pending_start(c, service, method, req, timeout_ms, done, arg, &p);
  if (rc != 0) {
    pthread_mutex_lock(&c->mu);
    c->n_async--;
    pthread_mutex_unlock(&c->mu);
  }
  return rc;
}

/* ---- lifecycle ---- */

static uint64_t random_base(void) {
  uint64_t v;
  if (getrandom(&v, sizeof v, 0) == (ssize_t)sizeof v)
    return v;
  /* Without the kernel's randomness, still differ across processes and runs. */
  return ((uint64_t)getpid() << 40) ^ (uint64_t)qf_clock_mono_us() ^
         ((uint64_t)qf_clock_now_ms() << 20);
}

static int open_socket(qf_rpc_client *c, const char *url, size_t max_msg) {
  const char *call = "nng_req0_open";
  int rv = nng_req0_open(&c->sock);
  if (rv == 0) {
    call = "nng_socket_set_size";
    rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, max_msg);
  }
  if (rv == 0) {
    call = "nng_dial";
    rv = nng_dial(c->sock, url, NULL, NNG_FLAG_NONBLOCK);
  }
  if (rv != 0) {
    char u[512];
    qf_log_error("rpc_dial_failed", "call=%s url=%s err=\"%s\"", call,
                 qf_log_redact_url(url, u, sizeof u), nng_strerror(rv));
    return rv == NNG_ENOMEM ? QF_ENOMEM : QF_EADDR;
  }
  return 0;
}

int qf_rpc_client_open(qf_rpc_client **out, const char *url,
                       const qf_rpc_client_opts *opts) {
  if (!out || !url)
    return QF_EINVAL;
  qf_rpc_client *c = calloc(1, sizeof *c);
  if (!c)
    return QF_ENOMEM;
  size_t max_msg = opts && opts->max_msg ? opts->max_msg : QF_RPC_MAX_MSG_DEFAULT;
  if (opts && opts->auth_token && !(c->auth_token = strdup(opts->auth_token))) {
    free(c);
    return QF_ENOMEM;
  }
  c->id_base = random_base();
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  int rc = open_socket(c, url, max_msg);
  if (rc != 0) {
    nng_close(c->sock);
    client_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

void qf_rpc_client_close(qf_rpc_client *c) {
  if (!c)
    return;
  pthread_mutex_lock(&c->mu);
  c->closing = true;
  bool attached = c->loop != NULL;
  pthread_mutex_unlock(&c->mu);
  /* Every call still out completes with QF_ECANCELED. */
  nng_close(c->sock);
  if (!attached) {
    client_free(c);
    return;
  }
  /* The loop delivers what is left, then closes the handle and frees c; the
   * signal is sent under the lock so the loop cannot free c before it is out. */
  pthread_mutex_lock(&c->mu);
  c->closed = true;
  uv_async_send(&c->async);
  pthread_mutex_unlock(&c->mu);
}
