/* The RPC server of qf/rpc.h.
 *
 * Threads: each context's aio callback runs on an NNG thread; it decodes the
 * request (envelope, method, payload) and either answers a request that cannot
 * be served at once (malformed, unknown method, server stopping) or queues the
 * call for the loop. Everything else (the reply cache, live calls, handlers)
 * belongs to the loop thread. The mutex guards only the queue and `stopping`.
 *
 * A context holds one request at a time: RECV (waiting for one) -> LOOP (its
 * request is with the loop) -> SEND (the answer is going out) -> RECV. While in
 * LOOP no NNG operation is pending on it, so the loop thread may start one.
 *
 * Request ids make every call idempotent: the cache keeps the packed answers of
 * recent calls and the calls still in progress, so a repeat (REQ resends after
 * NNG_OPT_REQ_RESENDTIME, or a new pipe after a reconnect) gets the first
 * answer, and the handler runs once per request id. Request id 0 means "none"
 * and is never cached. */
#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/ipc_guard.h"
#include "qf/log.h"
#include "qf/rpc.h"
#include "rpc_cache.h"
#include "rpc_envelope.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONTEXTS 64

typedef enum ctx_state { CTX_IDLE, CTX_RECV, CTX_LOOP, CTX_SEND } ctx_state;

typedef struct rpc_ctx {
  qf_rpc_server *s;
  nng_ctx ctx;
  nng_aio *aio;
  ctx_state state;
  uint32_t pipe;               /* the pipe its request came on */
  struct rpc_ctx *next_target; /* in the list of contexts a call answers */
} rpc_ctx;

struct qf_rpc_call {
  qf_rpc_server *s; /* NULL once the server stopped: answering only releases it */
  rpc_ctx *targets; /* contexts holding this request, answered together */
  uint64_t id;
  int64_t deadline_ms; /* 0: the caller gave none */
  unsigned method;
  ProtobufCMessage *req;
  struct qf_rpc_call *next, *prev; /* in the queue, then in the live list */
};

struct qf_rpc_server {
  uv_loop_t *loop;
  uv_async_t async;
  nng_socket sock;
  qf_ipc_guard *guard; /* re-creates an ipc:// listener that stopped accepting */
  const ProtobufCServiceDescriptor *svc;
  qf_rpc_handler_fn *handlers; /* svc->n_methods, copied */
  void *arg;
  rpc_ctx *ctxs;
  unsigned n_ctxs;

  pthread_mutex_t mu; /* guards queue_* and stopping */
  qf_rpc_call *queue_head, *queue_tail;
  bool stopping;

  /* Loop thread only. */
  bool closed;       /* the socket is closed and every aio stopped */
  qf_rpc_call *live; /* calls being handled */
  rpc_cache *cache;

  atomic_uint_fast64_t n_calls, n_repeats, n_rejected;
};

/* ---- contexts (any thread) ---- */

static bool is_stopping(qf_rpc_server *s) {
  pthread_mutex_lock(&s->mu);
  bool stopping = s->stopping;
  pthread_mutex_unlock(&s->mu);
  return stopping;
}

/* Waits for the next request on c, unless the server is stopping. */
static void ctx_recv(rpc_ctx *c) {
  if (is_stopping(c->s)) {
    c->state = CTX_IDLE;
    return;
  }
  c->state = CTX_RECV;
  nng_ctx_recv(c->ctx, c->aio);
}

/* Sends m (handed over) as the answer to the request c holds. A send that fails
 * is seen, and m freed, in ctx_cb. */
static void ctx_send(rpc_ctx *c, nng_msg *m) {
  c->state = CTX_SEND;
  nng_aio_set_msg(c->aio, m);
  nng_ctx_send(c->ctx, c->aio);
}

static void ctx_send_bytes(rpc_ctx *c, const uint8_t *buf, size_t len) {
  nng_msg *m;
  /* Only when a handler stopped the server while the loop still had calls in
   * hand: a stopped aio would never take the message. */
  if (c->s->closed)
    return;
  if (rpc_msg_from_bytes(buf, len, &m) != 0) {
    /* Unanswered, the caller resends or times out. */
    qf_log_error("rpc_send_failed", "call=nng_msg_alloc err=ENOMEM");
    ctx_recv(c);
    return;
  }
  ctx_send(c, m);
}

static int pack_reply(uint64_t id, int code, const char *why,
                      const ProtobufCBinaryData *payload, uint8_t **out, size_t *len) {
  Qunfa__ReplyEnvelope env = QUNFA__REPLY_ENVELOPE__INIT;
  env.request_id = id;
  env.status = -code;
  if (why)
    env.error = (char *)why;
  if (payload)
    env.payload = *payload;
  return rpc_pack(&env.base, out, len);
}

__attribute__((noreturn)) static void oom(const char *what) {
  qf_log_error("out_of_memory", "call=%s", what);
  abort();
}

/* Answers the request c holds with an error, from the thread at hand: for
 * requests that never reach the loop. */
static void ctx_answer_error(rpc_ctx *c, uint64_t id, int code, const char *why) {
  uint8_t *buf;
  size_t len;
  if (pack_reply(id, code, why, NULL, &buf, &len) != 0)
    oom("rpc_pack");
  ctx_send_bytes(c, buf, len);
  free(buf);
}

/* ---- requests (NNG thread) ---- */

static void call_free(qf_rpc_call *call) {
  if (call->req)
    protobuf_c_message_free_unpacked(call->req, NULL);
  free(call);
}

/* Decodes a request into *out. On failure, the code and sentence to answer with,
 * and in *id the request id if it could be recovered. */
static int decode_call(qf_rpc_server *s, const uint8_t *buf, size_t len,
                       qf_rpc_call **out, uint64_t *id, char *why, size_t wlen) {
  Qunfa__RequestEnvelope *env = qunfa__request_envelope__unpack(NULL, len, buf);
  if (!env) {
    rpc_scan_request_id(buf, len, id);
    snprintf(why, wlen, "request envelope of %zu bytes does not decode", len);
    return QF_EPROTO;
  }
  int rc = 0;
  *id = env->request_id;
  int m = rpc_method_find(s->svc, env->method);
  if (m < 0 || !s->handlers[m]) {
    snprintf(why, wlen, "%s has no method \"%.*s\"", s->svc->name, RPC_METHOD_MAX,
             env->method);
    rc = QF_EMETHOD;
    goto out;
  }
  const ProtobufCMessageDescriptor *in = s->svc->methods[m].input;
  ProtobufCMessage *req =
      protobuf_c_message_unpack(in, NULL, env->payload.len, env->payload.data);
  if (!req) {
    snprintf(why, wlen, "payload of %s (%zu bytes) does not decode as %s", env->method,
             env->payload.len, in->name);
    rc = QF_EPROTO;
    goto out;
  }
  qf_rpc_call *call = qf_calloc(1, sizeof *call);
  call->s = s;
  call->id = env->request_id;
  call->deadline_ms = env->deadline_ms > 0 ? env->deadline_ms : 0;
  call->method = (unsigned)m;
  call->req = req;
  *out = call;
out:
  qunfa__request_envelope__free_unpacked(env, NULL);
  return rc;
}

/* Hands call to the loop; false when the server is stopping. */
static bool enqueue(qf_rpc_server *s, qf_rpc_call *call) {
  pthread_mutex_lock(&s->mu);
  bool stopping = s->stopping;
  if (!stopping) {
    if (s->queue_tail)
      s->queue_tail->next = call;
    else
      s->queue_head = call;
    s->queue_tail = call;
  }
  pthread_mutex_unlock(&s->mu);
  if (!stopping)
    uv_async_send(&s->async);
  return !stopping;
}

static void on_request(rpc_ctx *c, nng_msg *m) {
  qf_rpc_server *s = c->s;
  char why[RPC_METHOD_MAX + 128];
  uint64_t id = 0;
  qf_rpc_call *call = NULL;
  c->pipe = nng_pipe_id(nng_msg_get_pipe(m));
  int code =
      decode_call(s, nng_msg_body(m), nng_msg_len(m), &call, &id, why, sizeof why);
  nng_msg_free(m);
  if (code != 0) {
    char q[RPC_METHOD_MAX + 160];
    qf_log_warn("rpc_bad_request", "status=%s request_id=%llu pipe=%u why=%s",
                qf_errname(code), (unsigned long long)id, (unsigned)c->pipe,
                qf_log_quote(why, q, sizeof q));
    atomic_fetch_add(&s->n_rejected, 1);
    ctx_answer_error(c, id, code, why);
    return;
  }
  c->state = CTX_LOOP;
  c->next_target = NULL;
  call->targets = c;
  if (!enqueue(s, call)) {
    call_free(call);
    atomic_fetch_add(&s->n_rejected, 1);
    ctx_answer_error(c, id, QF_EUNAVAIL, "server is stopping");
  }
}

static void ctx_cb(void *arg) {
  rpc_ctx *c = arg;
  int rv = nng_aio_result(c->aio);
  if (c->state == CTX_SEND) {
    if (rv != 0) {
      /* The caller resends or times out; a closed socket is not news. */
      nng_msg_free(nng_aio_get_msg(c->aio));
      nng_aio_set_msg(c->aio, NULL);
      if (rv != NNG_ECLOSED && rv != NNG_ECANCELED)
        qf_log_warn("rpc_send_failed", "call=nng_ctx_send err=\"%s\"",
                    nng_strerror(rv));
    }
    ctx_recv(c);
    return;
  }
  if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
    c->state = CTX_IDLE;
    return;
  }
  if (rv != 0) {
    qf_log_warn("rpc_recv_failed", "call=nng_ctx_recv err=\"%s\"", nng_strerror(rv));
    ctx_recv(c);
    return;
  }
  nng_msg *m = nng_aio_get_msg(c->aio);
  nng_aio_set_msg(c->aio, NULL);
  on_request(c, m);
}

/* ---- calls (loop thread) ---- */

static void live_add(qf_rpc_server *s, qf_rpc_call *call) {
  call->prev = NULL;
  call->next = s->live;
  if (s->live)
    s->live->prev = call;
  s->live = call;
}

static void live_remove(qf_rpc_server *s, qf_rpc_call *call) {
  if (call->prev)
    call->prev->next = call->next;
  else
    s->live = call->next;
  if (call->next)
    call->next->prev = call->prev;
}

/* A repeat of the live call's request arrived on c: c is answered with it. A
 * context already holding the request from the same pipe is released: REQ
 * resends there with the same NNG request id, so answering the newest is
 * enough, and long calls do not pile up contexts. */
static void join(qf_rpc_call *live, rpc_ctx *c) {
  for (rpc_ctx **p = &live->targets; *p; p = &(*p)->next_target) {
    rpc_ctx *old = *p;
    if (old->pipe == c->pipe) {
      c->next_target = old->next_target;
      *p = c;
      ctx_recv(old);
      return;
    }
  }
  c->next_target = live->targets;
  live->targets = c;
}

static void dispatch(qf_rpc_server *s, qf_rpc_call *call) {
  if (call->id) {
    rpc_cache_entry *e = rpc_cache_find(s->cache, call->id, qf_clock_mono_ms());
    if (e)
      atomic_fetch_add(&s->n_repeats, 1);
    if (e && e->reply) {
      ctx_send_bytes(call->targets, e->reply, e->len);
      call_free(call);
      return;
    }
    if (e) {
      join(e->call, call->targets);
      call_free(call);
      return;
    }
    rpc_cache_add(s->cache, call->id, call);
  }
  live_add(s, call);
  if (s->stopping) {
    atomic_fetch_add(&s->n_rejected, 1);
    qf_rpc_reply_error(call, QF_EUNAVAIL, "server is stopping");
    return;
  }
  int64_t now = qf_clock_now_ms();
  if (call->deadline_ms && now >= call->deadline_ms) {
    atomic_fetch_add(&s->n_rejected, 1);
    qf_rpc_reply_error(call, QF_ETIMEDOUT,
                       "deadline passed %lld ms before the call was served",
                       (long long)(now - call->deadline_ms));
    return;
  }
  atomic_fetch_add(&s->n_calls, 1);
  s->handlers[call->method](call, call->req, s->arg);
}

static qf_rpc_call *take_queue(qf_rpc_server *s) {
  pthread_mutex_lock(&s->mu);
  qf_rpc_call *head = s->queue_head;
  s->queue_head = s->queue_tail = NULL;
  pthread_mutex_unlock(&s->mu);
  return head;
}

static void on_async(uv_async_t *h) {
  qf_rpc_server *s = h->data;
  qf_rpc_call *call = take_queue(s);
  while (call) {
    qf_rpc_call *next = call->next;
    dispatch(s, call);
    call = next;
  }
}

/* Sends the packed answer to every context holding the call. */
static void send_targets(qf_rpc_call *call, const uint8_t *buf, size_t len) {
  rpc_ctx *c = call->targets;
  call->targets = NULL;
  while (c) {
    /* Read first: once sent, the context may take its next request at once. */
    rpc_ctx *next = c->next_target;
    ctx_send_bytes(c, buf, len);
    c = next;
  }
}

/* Sends the packed answer (buf, handed over), keeps it for repeats and releases
 * the call. */
static void finish(qf_rpc_call *call, uint8_t *buf, size_t len) {
  qf_rpc_server *s = call->s;
  send_targets(call, buf, len);
  int64_t now = qf_clock_mono_ms();
  rpc_cache_entry *e = call->id ? rpc_cache_find(s->cache, call->id, now) : NULL;
  if (e)
    rpc_cache_answer(s->cache, e, buf, len, now);
  else
    free(buf);
  live_remove(s, call);
  call_free(call);
}

void qf_rpc_server_get_counters(const qf_rpc_server *s, qf_rpc_server_counters *out) {
  /* The counters only grow; a reader needs no snapshot across them. */
  out->calls = atomic_load(&s->n_calls);
  out->repeats = atomic_load(&s->n_repeats);
  out->rejected = atomic_load(&s->n_rejected);
  out->listener_restarts = qf_ipc_guard_restarts(s->guard);
}

unsigned qf_rpc_call_method(const qf_rpc_call *call) {
  return call->method;
}

int64_t qf_rpc_call_deadline_ms(const qf_rpc_call *call) {
  return call->deadline_ms;
}

void qf_rpc_reply(qf_rpc_call *call, const ProtobufCMessage *reply) {
  if (!call->s) { /* answered EUNAVAIL when the server stopped */
    call_free(call);
    return;
  }
  const ProtobufCMethodDescriptor *md = &call->s->svc->methods[call->method];
  if (!reply || reply->descriptor != md->output) {
    /* Our own bug, but the caller still deserves an answer. */
    qf_log_error("rpc_bad_reply", "method=%s want=%s got=%s", md->name,
                 md->output->name, reply ? reply->descriptor->name : "NULL");
    qf_rpc_reply_error(call, QF_EINTERNAL, "%s answered with the wrong message type",
                       md->name);
    return;
  }
  ProtobufCBinaryData payload;
  uint8_t *buf;
  size_t len;
  if (rpc_pack(reply, &payload.data, &payload.len) != 0 ||
      pack_reply(call->id, 0, NULL, &payload, &buf, &len) != 0)
    oom("rpc_pack");
  free(payload.data);
  finish(call, buf, len);
}

void qf_rpc_reply_error(qf_rpc_call *call, int code, const char *fmt, ...) {
  if (!call->s) { /* answered EUNAVAIL when the server stopped */
    call_free(call);
    return;
  }
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  if (code >= 0) /* an answer that is not an error cannot carry a sentence */
    code = QF_EINTERNAL;
  uint8_t *buf;
  size_t len;
  if (pack_reply(call->id, code, why, NULL, &buf, &len) != 0)
    oom("rpc_pack");
  finish(call, buf, len);
}

/* ---- lifecycle (loop thread) ---- */

static void server_free(qf_rpc_server *s) {
  for (unsigned i = 0; i < s->n_ctxs; i++)
    if (s->ctxs[i].aio) {
      nng_aio_stop(s->ctxs[i].aio);
      nng_aio_free(s->ctxs[i].aio);
    }
  rpc_cache_free(s->cache);
  pthread_mutex_destroy(&s->mu);
  free(s->ctxs);
  free(s->handlers);
  free(s);
}

static void on_closed(uv_handle_t *h) {
  server_free(h->data);
}

/* Opens the socket, its contexts and listens; nothing is received yet. */
static int open_socket(qf_rpc_server *s, const char *url, size_t max_msg,
                       const qf_ipc_guard_opts *guard) {
  const char *call = "nng_rep0_open";
  int rv = nng_rep0_open(&s->sock);
  if (rv == 0) {
    call = "nng_socket_set_size";
    rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, max_msg);
  }
  for (unsigned i = 0; rv == 0 && i < s->n_ctxs; i++) {
    rpc_ctx *c = &s->ctxs[i];
    c->s = s;
    call = "nng_aio_alloc";
    rv = nng_aio_alloc(&c->aio, ctx_cb, c);
    if (rv == 0) {
      call = "nng_ctx_open";
      rv = nng_ctx_open(&c->ctx, s->sock);
    }
  }
  if (rv == 0) {
    call = "nng_listen";
    rv = qf_ipc_guard_listen(&s->guard, s->sock, url, NNG_REP0_PEER, "rpc", guard);
  }
  if (rv != 0) {
    char u[512];
    qf_log_error("rpc_listen_failed", "call=%s url=%s err=\"%s\"", call,
                 qf_log_redact_url(url, u, sizeof u), nng_strerror(rv));
    return rv == NNG_ENOMEM ? QF_ENOMEM : QF_EADDR;
  }
  return 0;
}

int qf_rpc_server_start(qf_rpc_server **out, uv_loop_t *loop, const char *url,
                        const ProtobufCServiceDescriptor *service,
                        const qf_rpc_handler_fn *handlers, void *arg,
                        const qf_rpc_server_opts *opts) {
  if (!out || !loop || !url || !service)
    return QF_EINVAL;
  size_t max_msg = opts && opts->max_msg ? opts->max_msg : QF_RPC_MAX_MSG_DEFAULT;
  unsigned n_ctxs = opts && opts->contexts ? opts->contexts : DEFAULT_CONTEXTS;
  qf_rpc_server *s = qf_calloc(1, sizeof *s);
  s->loop = loop;
  s->svc = service;
  s->arg = arg;
  s->handlers = qf_calloc(service->n_methods + 1, sizeof *s->handlers);
  if (handlers)
    memcpy(s->handlers, handlers, service->n_methods * sizeof *s->handlers);
  s->n_ctxs = n_ctxs;
  s->ctxs = qf_calloc(n_ctxs, sizeof *s->ctxs);
  s->cache = rpc_cache_new();
  pthread_mutex_init(&s->mu, NULL);
  int rc = open_socket(s, url, max_msg, opts ? opts->ipc_guard : NULL);
  if (rc == 0 && uv_async_init(loop, &s->async, on_async) != 0)
    rc = QF_EINTERNAL;
  if (rc != 0) {
    nng_close(s->sock); /* no operation was started: free at once */
    qf_ipc_guard_stop(s->guard);
    server_free(s);
    return rc;
  }
  s->async.data = s;
  for (unsigned i = 0; i < n_ctxs; i++)
    ctx_recv(&s->ctxs[i]);
  *out = s;
  return 0;
}

/* Answers a call its handler still holds with EUNAVAIL and detaches it from the
 * server: the handler's own answer, later, only releases it. */
static void orphan(qf_rpc_call *call) {
  uint8_t *buf;
  size_t len;
  if (pack_reply(call->id, QF_EUNAVAIL, "server is stopping", NULL, &buf, &len) != 0)
    oom("rpc_pack");
  send_targets(call, buf, len);
  free(buf);
  live_remove(call->s, call);
  call->s = NULL;
}

void qf_rpc_server_stop(qf_rpc_server *s) {
  if (!s)
    return;
  pthread_mutex_lock(&s->mu);
  s->stopping = true; /* from now on contexts answer EUNAVAIL and stop receiving */
  pthread_mutex_unlock(&s->mu);
  /* Queued calls are dispatched (answered EUNAVAIL, or from the cache, or joined
   * to a live call), then every call a handler holds is answered EUNAVAIL. */
  on_async(&s->async);
  while (s->live)
    orphan(s->live);
  /* Closing completes every pending operation; once each aio is stopped no
   * callback of ours runs again, and none queued a call after `stopping`. */
  nng_close(s->sock);
  qf_ipc_guard_stop(s->guard);
  for (unsigned i = 0; i < s->n_ctxs; i++)
    nng_aio_stop(s->ctxs[i].aio);
  s->closed = true;
  uv_close((uv_handle_t *)&s->async, on_closed);
}
