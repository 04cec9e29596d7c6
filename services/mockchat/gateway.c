#include "gateway.h"

#include "gateway.pb-c.h"

#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/ipc_guard.h"
#include "qf/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKERS 16
#define REQUEST_MAX (128 * 1024)
#define BURST_WAIT_MS 1000

enum wstate { W_RECV, W_DELAY, W_SEND };

/* One request in progress at a time, on its own context. */
typedef struct worker {
  gateway *g;
  nng_ctx ctx;
  nng_aio *aio;
  enum wstate state;
  nng_msg *reply; /* built, waiting for the delay to pass */
} worker;

struct gateway {
  nng_socket sock;
  qf_ipc_guard *guard; /* re-creates an ipc:// listener that stopped accepting */
  hook_env env;
  worker w[WORKERS];
  int nworkers;
  bool stopped;
};

static nng_msg *pack(const Qunfa__GatewayReply *r) {
  size_t n = qunfa__gateway_reply__get_packed_size(r);
  nng_msg *m;
  if (nng_msg_alloc(&m, n) != 0)
    abort(); /* only on out of memory: the services' policy */
  qunfa__gateway_reply__pack(r, nng_msg_body(m));
  return m;
}

/* The gateway's rate-limit answer: a retry after retry_ms, marked throttled. */
static nng_msg *pack_throttled(int64_t retry_ms) {
  Qunfa__GatewayReply r = QUNFA__GATEWAY_REPLY__INIT;
  r.outcome = QUNFA__OUTCOME__OUTCOME_RETRY;
  r.retry_after_ms = retry_ms;
  r.error = "slow down";
  r.platform_msg_id = "";
  r.throttled = true;
  return pack(&r);
}

static nng_msg *pack_reply(Qunfa__Outcome o, int64_t retry_ms, const char *error,
                           const char *msg_id) {
  Qunfa__GatewayReply r = QUNFA__GATEWAY_REPLY__INIT;
  r.outcome = o;
  r.retry_after_ms = retry_ms;
  r.error = (char *)(error ? error : "");
  r.platform_msg_id = (char *)(msg_id ? msg_id : "");
  return pack(&r);
}

/* What is wrong with s, or NULL. */
static const char *problem(const Qunfa__GatewaySend *s, char *buf, size_t len) {
  if (!s->group_id || !*s->group_id)
    return "group_id is empty";
  if (s->post_id == 0)
    return "post_id is 0";
  snprintf(buf, len, "%" PRIu64 ":%s", s->post_id, s->group_id);
  if (!s->idempotency_key || strcmp(s->idempotency_key, buf) != 0)
    return "idempotency_key is not \"<post_id>:<group_id>\"";
  return NULL;
}

/* Judges a request as the webhooks' pipeline does: faults, then the record. */
/* A sale's fields as the record keeps them (the generic dialect's form). */
static json_t *sale_json(const Qunfa__SaleCard *c) {
  static const char *const kinds[] = {"announce", "reminder", "sold_out"};
  return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "kind",
                   kinds[(unsigned)c->kind < 3 ? c->kind : 0], "item",
                   c->item ? c->item : "", "price", c->price ? c->price : "",
                   "orig_price", c->orig_price ? c->orig_price : "", "stock",
                   (json_int_t)c->stock, "link", c->link ? c->link : "");
}

static nng_msg *handle(gateway *g, const Qunfa__GatewaySend *s) {
  char key[256], post[24], id[24];
  const char *why = problem(s, key, sizeof key);
  if (why) {
    board_count(g->env.board, s->group_id && *s->group_id ? s->group_id : "(unknown)",
                "nng", BOARD_REJECTED);
    return pack_reply(QUNFA__OUTCOME__OUTCOME_FAILED, 0, why, NULL);
  }
  if (faults_fail(g->env.faults)) {
    board_count(g->env.board, s->group_id, "nng", BOARD_FAILED);
    return pack_reply(QUNFA__OUTCOME__OUTCOME_RETRY, 0, "simulated failure", NULL);
  }
  char target[300];
  snprintf(target, sizeof target, "nng:%.200s", s->group_id);
  if (faults_burst(g->env.faults, target)) {
    board_count(g->env.board, s->group_id, "nng", BOARD_THROTTLED);
    return pack_throttled(BURST_WAIT_MS);
  }
  snprintf(post, sizeof post, "%" PRIu64, s->post_id);
  uint64_t n = board_accept(g->env.board, s->group_id, "nng", target, post);
  snprintf(id, sizeof id, "%" PRIu64, n);
  chat_msg m = {.group = s->group_id,
                .post = post,
                .kind = s->kind && *s->kind ? s->kind : "post",
                .text = s->text ? s->text : "",
                .idempotency_key = s->idempotency_key,
                .dialect = "nng",
                .platform_msg_id = id};
  json_t *sale = s->sale ? sale_json(s->sale) : NULL;
  m.card = sale;
  int rc = record_append(g->env.rec, &m, qf_clock_now_ms());
  json_decref(sale);
  if (rc != 0)
    return pack_reply(QUNFA__OUTCOME__OUTCOME_RETRY, 0, "cannot record the message now",
                      NULL);
  return pack_reply(QUNFA__OUTCOME__OUTCOME_DELIVERED, 0, NULL, id);
}

static nng_msg *answer(gateway *g, nng_msg *req) {
  Qunfa__GatewaySend *s =
      qunfa__gateway_send__unpack(NULL, nng_msg_len(req), nng_msg_body(req));
  nng_msg_free(req);
  if (!s) {
    board_count(g->env.board, "(unknown)", "nng", BOARD_REJECTED);
    return pack_reply(QUNFA__OUTCOME__OUTCOME_FAILED, 0, "malformed GatewaySend", NULL);
  }
  nng_msg *r = handle(g, s);
  qunfa__gateway_send__free_unpacked(s, NULL);
  return r;
}

static void send_reply(worker *w) {
  w->state = W_SEND;
  nng_aio_set_msg(w->aio, w->reply);
  w->reply = NULL;
  nng_ctx_send(w->ctx, w->aio);
}

static void on_worker(void *arg) {
  worker *w = arg;
  int rv = nng_aio_result(w->aio);
  switch (w->state) {
  case W_RECV: {
    if (rv != 0)
      return; /* closed: the gateway is stopping */
    w->reply = answer(w->g, nng_aio_get_msg(w->aio));
    uint32_t delay = faults_opts_of(w->g->env.faults)->latency_ms;
    if (delay == 0) {
      send_reply(w);
      return;
    }
    w->state = W_DELAY;
    nng_sleep_aio((nng_duration)delay, w->aio);
    return;
  }
  case W_DELAY:
    if (rv != 0) {
      nng_msg_free(w->reply);
      w->reply = NULL;
      return;
    }
    send_reply(w);
    return;
  case W_SEND:
    if (rv != 0) {
      nng_msg_free(nng_aio_get_msg(w->aio));
      if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
        return;
    }
    w->state = W_RECV;
    nng_ctx_recv(w->ctx, w->aio);
    return;
  }
}

static int start_failed(gateway *g, const char *call, const char *url, int rv) {
  qf_log_error("gateway_failed", "call=%s url=%s err=\"%s\"", call, url,
               nng_strerror(rv));
  gateway_stop(g);
  free(g);
  return QF_EADDR;
}

int gateway_start(gateway **out, const char *url, const hook_env *env) {
  *out = NULL;
  gateway *g = qf_calloc(1, sizeof *g);
  g->env = *env;
  int rv = nng_rep0_open(&g->sock);
  if (rv != 0) {
    free(g);
    qf_log_error("gateway_failed", "call=nng_rep0_open err=\"%s\"", nng_strerror(rv));
    return QF_EADDR;
  }
  if ((rv = nng_socket_set_size(g->sock, NNG_OPT_RECVMAXSZ, REQUEST_MAX)) != 0)
    return start_failed(g, "nng_socket_set_size", url, rv);
  for (int i = 0; i < WORKERS; i++) {
    worker *w = &g->w[i];
    w->g = g;
    if ((rv = nng_ctx_open(&w->ctx, g->sock)) != 0)
      return start_failed(g, "nng_ctx_open", url, rv);
    if ((rv = nng_aio_alloc(&w->aio, on_worker, w)) != 0) {
      nng_ctx_close(w->ctx);
      return start_failed(g, "nng_aio_alloc", url, rv);
    }
    g->nworkers++;
  }
  rv = qf_ipc_guard_listen(&g->guard, g->sock, url, NNG_REP0_PEER, "gateway", NULL);
  if (rv != 0)
    return start_failed(g, "nng_listen", url, rv);
  for (int i = 0; i < g->nworkers; i++) {
    g->w[i].state = W_RECV;
    nng_ctx_recv(g->w[i].ctx, g->w[i].aio);
  }
  *out = g;
  return 0;
}

void gateway_stop(gateway *g) {
  if (!g || g->stopped)
    return;
  g->stopped = true;
  nng_close(g->sock); /* every worker's aio ends with NNG_ECLOSED */
  qf_ipc_guard_stop(g->guard);
  for (int i = 0; i < g->nworkers; i++) {
    nng_aio_stop(g->w[i].aio);
    nng_aio_free(g->w[i].aio);
    nng_msg_free(g->w[i].reply);
  }
  g->nworkers = 0;
}

void gateway_free(gateway *g) {
  free(g);
}
