#include "hook.h"

#include "platform.h"
#include "script.h"

#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/http.h"
#include "qf/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (1u << 20)
#define PATH_MAX_LEN 2048
#define BURST_WAIT_MS 1000
#define RECALL_PATH "/mockchat/recall"

struct hook_server {
  nng_http_server *http;
  hook_env env;
  int port;
};

/* A request being served: decoded, maybe waiting for its scripted delay. */
typedef struct pending {
  hook_server *s;
  nng_aio *http_aio; /* the request's, finished by answer() */
  nng_aio *sleep;
  const mc_platform *plat;
  script sc;
  uint64_t n; /* the group's request number, for the script */
  mc_message msg;
  char msg_id[24];
} pending;

/* ---- answering ---- */

/* Answers aio with status, body and content type (borrowed); hname, if not
 * NULL, adds one header. */
static void reply_raw(nng_aio *aio, uint16_t status, const char *ctype,
                      const char *body, const char *hname, const char *hvalue) {
  qf_http_reply(aio, status, ctype, body, strlen(body), hname, hvalue);
}

/* Sends r and frees its body. */
static void reply_send(nng_aio *aio, mc_reply *r) {
  reply_raw(aio, r->status, r->content_type ? r->content_type : "application/json",
            r->body ? r->body : "", r->hname, r->hvalue);
  mc_reply_clear(r);
}

/* An answer that is not a platform's (scripts, faults, the simulator's own
 * endpoints): {"ok":false,"code":N,"error":why}; retry_after >= 0 adds the
 * header. */
static void reply_error(nng_aio *aio, uint16_t status, const char *why,
                        int64_t retry_after) {
  mc_reply r = {0};
  mc_reply_json(
      &r, status,
      json_pack("{s:b,s:i,s:s?}", "ok", 0, "code", (int)status, "error", why));
  if (retry_after >= 0) {
    r.hname = "Retry-After";
    snprintf(r.hvalue, sizeof r.hvalue, "%lld", (long long)retry_after);
  }
  reply_send(aio, &r);
}

static void pending_free(pending *p) {
  json_decref(p->msg.doc);
  free(p);
}

static void answer_recall(pending *p) {
  hook_server *s = p->s;
  mc_message *m = &p->msg;
  board_msg found;
  int rc = board_recall(s->env.board, m->target, m->recall_id, &found);
  if (rc == 0) {
    snprintf(p->msg_id, sizeof p->msg_id, "%" PRIu64, m->recall_id);
    chat_msg line = {.group = found.group,
                     .post = found.post,
                     .dialect = found.dialect,
                     .platform_msg_id = p->msg_id};
    record_append_recall(s->env.rec, &line, qf_clock_now_ms());
  }
  mc_reply r = {0};
  p->plat->recalled(m, rc, &r);
  reply_send(p->http_aio, &r);
}

/* The platform's limits for m, as rules; returns how many. */
static size_t limit_rules(const mc_platform *pl, const mc_message *m, limit_rule *r) {
  size_t n = 0;
  if (pl->target_rates[0].count) {
    r[n] = (limit_rule){.key = m->target, .silence_ms = pl->silence_ms};
    memcpy(r[n].rates, pl->target_rates, sizeof r[n].rates);
    n++;
  }
  if (pl->bot_rates[0].count && m->bot[0]) {
    r[n] = (limit_rule){.key = m->bot};
    memcpy(r[n].rates, pl->bot_rates, sizeof r[n].rates);
    n++;
  }
  return n;
}

/* Throttles m when a fault or the platform's limit says so; true when it did. */
static bool throttle(pending *p, mc_reply *r) {
  hook_server *s = p->s;
  const mc_message *m = &p->msg;
  if (faults_burst(s->env.faults, m->target)) {
    board_count(s->env.board, m->m.group, p->plat->name, BOARD_THROTTLED);
    p->plat->throttled(m, BURST_WAIT_MS, r);
    return true;
  }
  limit_rule rules[2];
  size_t n = limit_rules(p->plat, m, rules), which = 0;
  int64_t wait_ms = 0;
  limit_verdict v =
      n ? limiter_take(s->env.limiter, rules, n, qf_clock_mono_ms(), &wait_ms, &which)
        : LIMIT_OK;
  if (v == LIMIT_OK)
    return false;
  board_count(s->env.board, m->m.group, p->plat->name, BOARD_THROTTLED);
  board_count(s->env.board, m->m.group, p->plat->name, BOARD_VIOLATIONS);
  char g[300];
  qf_log_warn("limit_violation", "dialect=%s group=%s limit=%s state=%s wait_ms=%lld",
              p->plat->name, qf_log_quote(m->m.group, g, sizeof g),
              which == 0 ? "target" : "bot", v == LIMIT_SILENCED ? "silenced" : "over",
              (long long)wait_ms);
  p->plat->throttled(m, wait_ms, r);
  return true;
}

/* Accepts m: a message id, the record, the platform's answer. */
static void accept_msg(pending *p, uint16_t status) {
  hook_server *s = p->s;
  mc_message *m = &p->msg;
  int64_t now = qf_clock_now_ms();
  uint64_t id =
      board_accept(s->env.board, m->m.group, p->plat->name, m->target, m->m.post);
  snprintf(p->msg_id, sizeof p->msg_id, "%" PRIu64, id);
  if (m->m.dialect)
    m->m.platform_msg_id = p->msg_id;
  if (record_append(s->env.rec, &m->m, now) != 0) {
    reply_error(p->http_aio, 503, "the receiver cannot record the message now", -1);
    return;
  }
  mc_reply r = {0};
  p->plat->accepted(m, id, now, &r);
  if (status != 200 && r.status == 200)
    r.status = status; /* a scripted 2xx other than 200 */
  reply_send(p->http_aio, &r);
}

/* Answers a decoded request, now that its delay (if any) is over. */
static void answer(pending *p) {
  hook_server *s = p->s;
  const mc_message *m = &p->msg;
  if (m->op == MC_OP_RECALL) {
    answer_recall(p);
    return;
  }
  uint16_t status = script_status(&p->sc, p->n);
  if (status < 200 || status > 299) {
    char why[64];
    snprintf(why, sizeof why, "scripted answer %u", (unsigned)status);
    board_count(s->env.board, m->m.group, p->plat->name, BOARD_FAILED);
    reply_error(p->http_aio, status, why, p->sc.retry_after);
    return;
  }
  if (faults_fail(s->env.faults)) {
    board_count(s->env.board, m->m.group, p->plat->name, BOARD_FAILED);
    reply_error(p->http_aio, 500, "simulated failure", -1);
    return;
  }
  mc_reply r = {0};
  if (throttle(p, &r)) {
    reply_send(p->http_aio, &r);
    return;
  }
  accept_msg(p, status);
}

static void on_delay_done(void *arg) {
  pending *p = arg;
  answer(p);
  /* An aio cannot be freed inside its own callback. */
  nng_aio_reap(p->sleep);
  pending_free(p);
}

/* Answers p now or after ms; takes p over. */
static void answer_after(pending *p, uint32_t ms) {
  int rv;
  if (ms == 0 || (rv = nng_aio_alloc(&p->sleep, on_delay_done, p)) != 0) {
    answer(p);
    pending_free(p);
    return;
  }
  nng_sleep_aio((nng_duration)ms, p->sleep);
}

/* ---- requests ---- */

/* Splits uri into path (copied, at most len-1 bytes) and query (into uri or
 * NULL). false when the path is too long. */
static bool split_uri(const char *uri, char *path, size_t len, const char **query) {
  const char *q = strchr(uri, '?');
  *query = q ? q + 1 : NULL;
  size_t plen = q ? (size_t)(q - uri) : strlen(uri);
  if (plen >= len)
    return false;
  memcpy(path, uri, plen);
  path[plen] = '\0';
  return true;
}

/* The group a rejected request was for, as far as it is known. */
static const char *rejected_group(const mc_message *m) {
  if (m->m.group)
    return m->m.group;
  return m->target[0] ? m->target : "(unknown)";
}

/* Decodes and answers a request to platform pl; takes p over. */
static void serve(pending *p, const mc_request *rq) {
  hook_server *s = p->s;
  mc_reply rej = {0};
  if (p->plat->decode(rq, &p->msg, &rej) != 0) {
    board_count(s->env.board, rejected_group(&p->msg), p->plat->name, BOARD_REJECTED);
    char why[160];
    qf_log_debug("rejected", "dialect=%s status=%u body=%s", p->plat->name,
                 (unsigned)rej.status,
                 qf_log_quote(rej.body ? rej.body : "", why, sizeof why));
    reply_send(p->http_aio, &rej);
    pending_free(p);
    return;
  }
  /* Counted on arrival, so scripts follow the order requests came in. */
  p->n = tally_next(s->env.tally, p->msg.m.group);
  uint32_t delay =
      script_delay_ms(&p->sc, p->n) + faults_opts_of(s->env.faults)->latency_ms;
  answer_after(p, delay);
}

static void on_recall(nng_aio *aio);

static void on_hook(nng_aio *aio) {
  nng_http_req *req = nng_aio_get_input(aio, 0);
  hook_server *s = qf_http_data(aio);
  char path[PATH_MAX_LEN], why[MC_WHY_MAX];
  const char *query;
  const mc_platform *pl = NULL;
  if (split_uri(nng_http_req_get_uri(req), path, sizeof path, &query)) {
    if (strcmp(path, RECALL_PATH) == 0) {
      on_recall(aio);
      return;
    }
    pl = mc_platform_route(path);
  }
  if (!pl) {
    reply_error(aio, 404, "no such endpoint: see docs/mockchat.md", -1);
    return;
  }
  pending *p = qf_calloc(1, sizeof *p);
  *p = (pending){.s = s, .http_aio = aio, .plat = pl};
  if (script_parse(query, &p->sc, why, sizeof why) != 0) {
    reply_error(aio, 400, why, -1);
    free(p);
    return;
  }
  mc_request rq = {.path = path,
                   .query = query,
                   .idem_key = nng_http_req_get_header(req, "Idempotency-Key"),
                   .now_ms = qf_clock_now_ms(),
                   .secrets = s->env.secrets};
  void *body;
  nng_http_req_get_data(req, &body, &rq.len);
  rq.body = body;
  serve(p, &rq);
}

/* POST /mockchat/recall {"group":G,"message_id":N}: a recall for platforms
 * whose robots cannot recall, so tests can still see one in the record. */
static void on_recall(nng_aio *aio) {
  nng_http_req *req = nng_aio_get_input(aio, 0);
  hook_server *s = qf_http_data(aio);
  void *body;
  size_t len;
  nng_http_req_get_data(req, &body, &len);
  json_t *o = json_loadb(body ? body : "", len, 0, NULL);
  const char *group = json_string_value(json_object_get(o, "group"));
  json_t *idv = json_object_get(o, "message_id");
  long long id = json_is_integer(idv)  ? json_integer_value(idv)
                 : json_is_string(idv) ? strtoll(json_string_value(idv), NULL, 10)
                                       : 0;
  board_msg found;
  int rc = group && id > 0
               ? board_recall_group(s->env.board, group, (uint64_t)id, &found)
               : QF_EINVAL;
  json_decref(o);
  if (rc != 0) {
    reply_error(aio,
                rc == QF_EINVAL   ? 400
                : rc == QF_EEXIST ? 409
                                  : 404,
                rc == QF_EINVAL   ? "want {\"group\":G,\"message_id\":N}"
                : rc == QF_EEXIST ? "message already recalled"
                                  : "no such message",
                -1);
    return;
  }
  char idtext[24];
  snprintf(idtext, sizeof idtext, "%lld", id);
  chat_msg line = {.group = found.group,
                   .post = found.post,
                   .dialect = found.dialect,
                   .platform_msg_id = idtext};
  record_append_recall(s->env.rec, &line, qf_clock_now_ms());
  reply_raw(aio, 200, "application/json", "{\"ok\":true}", NULL, NULL);
}

static void on_stats(nng_aio *aio) {
  hook_server *s = qf_http_data(aio);
  char *doc = board_json(s->env.board);
  reply_raw(aio, 200, "application/json", doc, NULL, NULL);
  free(doc);
}

static void on_healthz(nng_aio *aio) {
  reply_raw(aio, 200, "application/json", "{\"ok\":true}", NULL, NULL);
}

/* ---- the server ---- */

int hook_server_start(hook_server **out, const char *url, const hook_env *env) {
  /* One POST tree at "/" (NNG refuses other POST handlers below it): on_hook
   * routes by path. */
  static const qf_http_route routes[] = {
      {"/", "POST", true, on_hook},
      {"/stats", "GET", false, on_stats},
      {"/healthz", "GET", false, on_healthz},
  };
  hook_server *s = qf_calloc(1, sizeof *s);
  s->env = *env;
  qf_http_opts o = {.what = "mockchat", .data = s, .max_body = MAX_BODY};
  int rc = qf_http_start(&s->http, &s->port, url, routes,
                         sizeof routes / sizeof routes[0], &o);
  if (rc != 0) {
    free(s);
    s = NULL;
  }
  *out = s;
  return rc;
}

int hook_server_port(const hook_server *s) {
  return s->port;
}

void hook_server_stop(hook_server *s) {
  if (!s)
    return;
  qf_http_stop(s->http);
  s->http = NULL;
}

void hook_server_free(hook_server *s) {
  free(s);
}
