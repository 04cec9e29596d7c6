#include "hook.h"

#include "generic.h"
#include "script.h"

#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (1u << 20)
#define HOOK_PREFIX "/hook"
#define GROUP_MAX 256
#define WHY_MAX 256

struct hook_server {
  nng_http_server *http;
  record *rec;
  tally *tally;
  int port;
};

/* Answers aio with status and a JSON body (borrowed); retry_after >= 0 adds a
 * Retry-After header. */
static void reply(nng_aio *aio, uint16_t status, const char *body,
                  int64_t retry_after) {
  nng_http_res *res;
  int rv = nng_http_res_alloc(&res);
  if (rv != 0) {
    nng_aio_finish(aio, rv);
    return;
  }
  char ra[24];
  snprintf(ra, sizeof ra, "%lld", (long long)retry_after);
  if ((rv = nng_http_res_set_status(res, status)) != 0 ||
      (rv = nng_http_res_set_header(res, "Content-Type", "application/json")) != 0 ||
      (retry_after >= 0 && (rv = nng_http_res_set_header(res, "Retry-After", ra))) ||
      (rv = nng_http_res_copy_data(res, body, strlen(body))) != 0) {
    nng_http_res_free(res);
    nng_aio_finish(aio, rv);
    return;
  }
  nng_aio_set_output(aio, 0, res);
  nng_aio_finish(aio, 0);
}

/* Answers an error the way platforms do: a JSON object with a sentence. */
static void reply_error(nng_aio *aio, uint16_t status, const char *why,
                        int64_t retry_after) {
  json_t *o = json_pack("{s:b,s:i,s:s}", "ok", 0, "code", (int)status, "error", why);
  char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
  reply(aio, status, body ? body : "{\"ok\":false}", retry_after);
  free(body);
  json_decref(o);
}

/* Splits uri "/hook/<group>[?query]" into the decoded group and the query
 * (pointing into uri, or NULL). false when the path names no single group. */
static bool split_uri(const char *uri, char *group, size_t glen, const char **query) {
  const char *q = strchr(uri, '?');
  *query = q ? q + 1 : NULL;
  size_t plen = q ? (size_t)(q - uri) : strlen(uri);
  size_t pre = strlen(HOOK_PREFIX "/");
  if (plen <= pre || strncmp(uri, HOOK_PREFIX "/", pre) != 0)
    return false;
  size_t o = 0;
  for (size_t i = pre; i < plen; i++) {
    char c = uri[i];
    unsigned hv;
    if (c == '%' && i + 2 < plen && sscanf(uri + i + 1, "%2x", &hv) == 1) {
      c = (char)hv;
      i += 2;
    }
    if (c == '/' || c == '\0' || o + 1 >= glen)
      return false;
    group[o++] = c;
  }
  group[o] = '\0';
  return o > 0;
}

/* Answers the group's request number n as scripted, recording a 2xx. */
static void answer(hook_server *s, nng_aio *aio, const script *sc, const chat_msg *m,
                   uint64_t n) {
  uint16_t status = script_status(sc, n);
  if (status < 200 || status > 299) {
    char why[64];
    snprintf(why, sizeof why, "scripted answer %u", (unsigned)status);
    qf_log_debug("hook_scripted", "group=%s status=%u n=%llu", m->group,
                 (unsigned)status, (unsigned long long)n);
    reply_error(aio, status, why, sc->retry_after);
    return;
  }
  int rc = record_append(s->rec, m, qf_clock_now_ms());
  if (rc != 0) {
    reply_error(aio, 503, "the receiver cannot record the message now", -1);
    return;
  }
  reply(aio, status, "{\"ok\":true}", -1);
}

/* A request held back by a scripted delay: what answering it later needs. */
typedef struct delayed {
  hook_server *s;
  nng_aio *http_aio; /* the request's, finished by answer() */
  nng_aio *sleep;
  script sc;
  json_t *doc; /* owns the strings of m but the group */
  char group[GROUP_MAX];
  chat_msg m;
  uint64_t n;
} delayed;

static void on_delay_done(void *arg) {
  delayed *d = arg;
  answer(d->s, d->http_aio, &d->sc, &d->m, d->n);
  json_decref(d->doc);
  /* An aio cannot be freed inside its own callback. */
  nng_aio_reap(d->sleep);
  free(d);
}

/* Holds the request for ms, then answers it; takes over doc. */
static void answer_later(hook_server *s, nng_aio *aio, const script *sc, chat_msg m,
                         json_t *doc, uint64_t n, uint32_t ms) {
  delayed *d = qf_calloc(1, sizeof *d);
  *d = (delayed){.s = s, .http_aio = aio, .sc = *sc, .doc = doc, .m = m, .n = n};
  snprintf(d->group, sizeof d->group, "%s", m.group);
  d->m.group = d->group;
  int rv = nng_aio_alloc(&d->sleep, on_delay_done, d);
  if (rv != 0) {
    answer(s, aio, sc, &d->m, n);
    json_decref(doc);
    free(d);
    return;
  }
  nng_sleep_aio((nng_duration)ms, d->sleep);
}

static void on_hook(nng_aio *aio) {
  nng_http_req *req = nng_aio_get_input(aio, 0);
  hook_server *s = nng_http_handler_get_data(nng_aio_get_input(aio, 1));
  char group[GROUP_MAX], why[WHY_MAX];
  const char *query;
  if (!split_uri(nng_http_req_get_uri(req), group, sizeof group, &query)) {
    reply_error(aio, 404, "no such hook: use /hook/<group>", -1);
    return;
  }
  script sc;
  if (script_parse(query, &sc, why, sizeof why) != 0) {
    reply_error(aio, 400, why, -1);
    return;
  }
  void *body;
  size_t len;
  nng_http_req_get_data(req, &body, &len);
  json_t *doc;
  chat_msg m;
  if (generic_decode(body, len, group, nng_http_req_get_header(req, "Idempotency-Key"),
                     &doc, &m, why, sizeof why) != 0) {
    reply_error(aio, 400, why, -1);
    return;
  }
  /* Counted on arrival, so scripts follow the order requests came in. */
  uint64_t n = tally_next(s->tally, m.group);
  uint32_t delay = script_delay_ms(&sc, n);
  if (delay > 0) {
    answer_later(s, aio, &sc, m, doc, n, delay);
    return;
  }
  answer(s, aio, &sc, &m, n);
  json_decref(doc);
}

static void on_healthz(nng_aio *aio) {
  reply(aio, 200, "{\"ok\":true}", -1);
}

static int add_handler(hook_server *s, const char *path, const char *method, bool tree,
                       void (*cb)(nng_aio *)) {
  nng_http_handler *h;
  int rv = nng_http_handler_alloc(&h, path, cb);
  if (rv != 0)
    return rv;
  if ((rv = nng_http_handler_set_method(h, method)) != 0 ||
      (tree && (rv = nng_http_handler_set_tree(h)) != 0) ||
      (rv = nng_http_handler_collect_body(h, true, MAX_BODY)) != 0 ||
      (rv = nng_http_handler_set_data(h, s, NULL)) != 0 ||
      (rv = nng_http_server_add_handler(s->http, h)) != 0) {
    nng_http_handler_free(h);
    return rv;
  }
  return 0;
}

static int bound_port(nng_http_server *http) {
  nng_sockaddr sa;
  if (nng_http_server_get_addr(http, &sa) != 0)
    return -1;
  if (sa.s_family == NNG_AF_INET)
    return ntohs(sa.s_in.sa_port);
  if (sa.s_family == NNG_AF_INET6)
    return ntohs(sa.s_in6.sa_port);
  return -1;
}

static int start_failed(hook_server *s, const char *call, const char *url, int rv) {
  char q[512];
  qf_log_error("listen_failed", "call=%s url=%s err=\"%s\"", call,
               qf_log_quote(url, q, sizeof q), nng_strerror(rv));
  if (s->http)
    nng_http_server_release(s->http);
  free(s);
  return QF_EADDR;
}

int hook_server_start(hook_server **out, const char *url, record *rec, tally *t) {
  *out = NULL;
  hook_server *s = qf_calloc(1, sizeof *s);
  s->rec = rec;
  s->tally = t;
  nng_url *u;
  int rv = nng_url_parse(&u, url);
  if (rv != 0)
    return start_failed(s, "nng_url_parse", url, rv);
  if (strcmp(u->u_scheme, "http") != 0) {
    nng_url_free(u);
    return start_failed(s, "nng_url_parse", url, NNG_EADDRINVAL);
  }
  rv = nng_http_server_hold(&s->http, u);
  nng_url_free(u);
  if (rv != 0)
    return start_failed(s, "nng_http_server_hold", url, rv);
  if ((rv = add_handler(s, HOOK_PREFIX, "POST", true, on_hook)) != 0 ||
      (rv = add_handler(s, "/healthz", "GET", false, on_healthz)) != 0)
    return start_failed(s, "nng_http_server_add_handler", url, rv);
  if ((rv = nng_http_server_start(s->http)) != 0)
    return start_failed(s, "nng_http_server_start", url, rv);
  s->port = bound_port(s->http);
  *out = s;
  return 0;
}

int hook_server_port(const hook_server *s) {
  return s->port;
}

void hook_server_stop(hook_server *s) {
  if (!s)
    return;
  if (s->http) {
    nng_http_server_stop(s->http);
    nng_http_server_release(s->http);
    s->http = NULL;
  }
}

void hook_server_free(hook_server *s) {
  free(s);
}
