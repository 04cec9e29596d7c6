#include "metrics_http.h"

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/http.h"
#include "qf/log.h"
#include "webapi.h"

/* dashboard_html.c, generated from dashboard.html by CMake. */
extern const unsigned char qf_dashboard_html[];
extern const size_t qf_dashboard_html_len;

#define PATH_MAX_LEN 256

/* An /api request waiting for the loop. */
typedef struct pending {
  nng_aio *aio;
  char path[PATH_MAX_LEN];
  struct pending *next;
} pending;

struct metrics_http {
  sched *s;
  qf_stats *st;
  const sampler *sm;
  relay *r;
  nng_http_server *srv;
  int port;
  uv_async_t wake;
  pthread_mutex_t lock;
  pending *head, *tail;
  bool closing;
};

static void reply_json(nng_aio *aio, int status, const char *body) {
  qf_http_reply(aio, status, "application/json", body, strlen(body), NULL, NULL);
}

static metrics_http *server_of(nng_aio *aio) {
  return qf_http_data(aio);
}

/* The path of the request without its query string. */
static void request_path(nng_aio *aio, char *out, size_t len) {
  nng_http_req *req = nng_aio_get_input(aio, 0);
  const char *uri = nng_http_req_get_uri(req);
  snprintf(out, len, "%.*s", (int)strcspn(uri, "?#"), uri);
}

static void on_metrics(nng_aio *aio) {
  metrics_http *m = server_of(aio);
  prom *p = prom_new();
  char *own = qf_stats_render_json(m->st);
  json_t *doc = json_loads(own, 0, NULL);
  free(own);
  prom_add_doc(p, doc, NULL);
  json_decref(doc);
  for (size_t i = 0; i < relay_count(m->r); i++) {
    json_t *d = relay_doc(m->r, i);
    prom_add_up(p, relay_url(m->r, i),
                d ? json_string_value(json_object_get(d, "process")) : NULL, d != NULL);
    if (d)
      prom_add_doc(p, d, relay_url(m->r, i));
    json_decref(d);
  }
  size_t len;
  char *text = prom_render(p, &len);
  prom_free(p);
  qf_http_reply(aio, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, NULL,
                NULL);
  free(text);
}

/* {"scheduler":{...},"relayed":[{"url":U,"stats":{...}|null}]} */
static void on_stats(nng_aio *aio) {
  metrics_http *m = server_of(aio);
  char *own = qf_stats_render_json(m->st);
  json_t *relayed = json_array();
  for (size_t i = 0; i < relay_count(m->r); i++) {
    json_t *d = relay_doc(m->r, i);
    json_array_append_new(relayed, json_pack("{s:s, s:o}", "url", relay_url(m->r, i),
                                             "stats", d ? d : json_null()));
  }
  json_t *body = json_pack("{s:o, s:o}", "scheduler", json_loads(own, 0, NULL),
                           "relayed", relayed);
  free(own);
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  reply_json(aio, text ? 200 : 500, text ? text : "{}");
  free(text);
}

static void on_dashboard(nng_aio *aio) {
  char path[PATH_MAX_LEN];
  request_path(aio, path, sizeof path);
  if (strcmp(path, "/") != 0 && strcmp(path, "/index.html") != 0) {
    qf_http_reply(aio, 404, "text/plain", "not found\n", 10, NULL, NULL);
    return;
  }
  qf_http_reply(aio, 200, "text/html; charset=utf-8", qf_dashboard_html,
                qf_dashboard_html_len, NULL, NULL);
}

/* Queues the request for the loop; answered by on_wake. */
static void on_api(nng_aio *aio) {
  metrics_http *m = server_of(aio);
  pending *p = qf_calloc(1, sizeof *p);
  p->aio = aio;
  request_path(aio, p->path, sizeof p->path);
  if (strcmp(p->path, "/api/stats") == 0) {
    free(p);
    on_stats(aio);
    return;
  }
  pthread_mutex_lock(&m->lock);
  bool closing = m->closing;
  if (!closing) {
    if (m->tail)
      m->tail->next = p;
    else
      m->head = p;
    m->tail = p;
  }
  pthread_mutex_unlock(&m->lock);
  if (closing) {
    free(p);
    reply_json(aio, 503, "{\"error\":\"the scheduler is stopping\"}");
    return;
  }
  uv_async_send(&m->wake);
}

static pending *take_all(metrics_http *m) {
  pthread_mutex_lock(&m->lock);
  pending *p = m->head;
  m->head = m->tail = NULL;
  pthread_mutex_unlock(&m->lock);
  return p;
}

static void on_wake(uv_async_t *h) {
  metrics_http *m = h->data;
  for (pending *p = take_all(m), *next; p; p = next) {
    int status;
    char *body = webapi_get(m->s, m->sm, p->path, &status);
    next = p->next;
    reply_json(p->aio, status, body);
    free(body);
    free(p);
  }
}

static int serve(metrics_http *m, const char *addr) {
  static const qf_http_route routes[] = {
      {"/metrics", "GET", false, on_metrics},
      {"/api", "GET", true, on_api},
      {"/", "GET", false, on_dashboard},
      {"/index.html", "GET", false, on_dashboard},
  };
  qf_http_opts o = {.what = "metrics_http", .data = m};
  return qf_http_start(&m->srv, &m->port, addr, routes,
                       sizeof routes / sizeof routes[0], &o);
}

static void on_closed(uv_handle_t *h) {
  metrics_http *m = h->data;
  pthread_mutex_destroy(&m->lock);
  free(m);
}

int metrics_http_start(metrics_http **out, sched *s, qf_stats *st, const sampler *sm,
                       relay *r, const char *addr) {
  metrics_http *m = qf_calloc(1, sizeof *m);
  int rc;
  *out = NULL;
  m->s = s;
  m->st = st;
  m->sm = sm;
  m->r = r;
  pthread_mutex_init(&m->lock, NULL);
  /* The async handle first: a request may come as soon as the server starts. */
  uv_async_init(s->loop, &m->wake, on_wake);
  m->wake.data = m;
  if ((rc = serve(m, addr)) != 0) {
    uv_close((uv_handle_t *)&m->wake, on_closed);
    return rc;
  }
  *out = m;
  return 0;
}

int metrics_http_port(const metrics_http *m) {
  return m->port;
}

void metrics_http_stop(metrics_http *m) {
  if (!m)
    return;
  pthread_mutex_lock(&m->lock);
  m->closing = true;
  pthread_mutex_unlock(&m->lock);
  for (pending *p = take_all(m), *next; p; p = next) {
    next = p->next;
    reply_json(p->aio, 503, "{\"error\":\"the scheduler is stopping\"}");
    free(p);
  }
  qf_http_stop(m->srv);
  uv_close((uv_handle_t *)&m->wake, on_closed);
}
