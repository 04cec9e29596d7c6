#include "qf/stats.h"

#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/ipc_guard.h"
#include "qf/log.h"

#include <jansson.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A stats request carries nothing we read; anything larger is not ours. */
#define STATS_RECV_MAX 4096
/* Requests served at once: a few is plenty for `qunfa top` and scrapers. */
#define STATS_CONTEXTS 4

/* Counters, gauges and histograms start with their name (see registry). */
struct qf_counter {
  char *name;
  _Atomic uint64_t v;
};

struct qf_gauge {
  char *name;
  _Atomic int64_t v;
};

struct qf_histogram {
  char *name;
  size_t nb;
  int64_t le[QF_STATS_BUCKETS_MAX];
  _Atomic uint64_t counts[QF_STATS_BUCKETS_MAX + 1]; /* per bucket, not cumulative */
  _Atomic int64_t sum;
};

/* Samples a counter once a second; its rate spans the oldest sample kept. */
#define RATE_SAMPLES (QF_STATS_RATE_WINDOW_MS / 1000)
typedef struct rate {
  char *name;
  qf_counter *c;
  uint64_t v[RATE_SAMPLES];
  int64_t at_ms[RATE_SAMPLES];
  size_t n, next;
} rate;

typedef struct info {
  char *name, *value;
  bool json; /* a detail: value is JSON text */
} info;

/* One request in flight on its own context: receive, render, send, again. */
typedef struct server_ctx {
  qf_stats *stats;
  nng_ctx ctx;
  nng_aio *aio;
  bool sending;
} server_ctx;

/* Grows *arr (of elements of size sz) to hold one more. */
static void *grow(void *arr, size_t n, size_t *cap, size_t sz) {
  if (n < *cap)
    return arr;
  *cap = *cap ? 2 * *cap : 8;
  return qf_realloc(arr, *cap * sz);
}

/* Handles of one kind found by name: each allocated alone, so it stays put
 * when the array grows, and starting with its name (char *). */
typedef struct registry {
  void **items;
  size_t n, cap;
} registry;

static const char *item_name(const void *item) {
  return *(char *const *)item;
}

/* The handle called name, or NULL. */
static void *registry_find(const registry *r, const char *name) {
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(item_name(r->items[i]), name) == 0)
      return r->items[i];
  return NULL;
}

/* A new zeroed handle of size bytes called name. */
static void *registry_add(registry *r, const char *name, size_t size) {
  r->items = grow(r->items, r->n, &r->cap, sizeof *r->items);
  char **item = qf_calloc(1, size);
  *item = qf_strdup(name);
  r->items[r->n++] = item;
  return item;
}

static void registry_free(registry *r) {
  for (size_t i = 0; i < r->n; i++) {
    free(*(char **)r->items[i]);
    free(r->items[i]);
  }
  free(r->items);
}

struct qf_stats {
  char *proc;
  int64_t start_mono_ms;
  /* Registration and rendering take the lock; updates never do. Handles are
   * allocated one by one so they stay put when the arrays grow. */
  pthread_mutex_t lock;
  registry counters, gauges, hists;
  rate *rates;
  size_t nrates, caprates;
  info *infos;
  size_t ninfos, capinfos;
  /* The rate sampler: started by the first rate, stopped by qf_stats_free. */
  pthread_t ticker;
  pthread_cond_t tick;
  bool ticking, stop_ticking;
  bool serving;
  atomic_bool closing;
  nng_socket sock;
  qf_ipc_guard *guard; /* re-creates an ipc:// listener that stopped accepting */
  server_ctx srv[STATS_CONTEXTS];
};

qf_stats *qf_stats_new(const char *proc) {
  qf_stats *s = qf_calloc(1, sizeof *s);
  s->proc = qf_strdup(proc ? proc : "qunfa");
  s->start_mono_ms = qf_clock_mono_ms();
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->tick, NULL);
  return s;
}

static void serve_stop(qf_stats *s) {
  if (!s->serving)
    return;
  /* Closing the socket fails every pending operation with NNG_ECLOSED; the
   * callbacks see the flag and do not start another, and nng_aio_free waits
   * for a running callback to return before freeing. */
  atomic_store(&s->closing, true);
  nng_close(s->sock);
  qf_ipc_guard_stop(s->guard);
  s->guard = NULL;
  for (int i = 0; i < STATS_CONTEXTS; i++) {
    if (s->srv[i].aio)
      nng_aio_free(s->srv[i].aio);
    s->srv[i].aio = NULL;
  }
  s->serving = false;
}

static void ticker_stop(qf_stats *s) {
  if (!s->ticking)
    return;
  pthread_mutex_lock(&s->lock);
  s->stop_ticking = true;
  pthread_cond_signal(&s->tick);
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->ticker, NULL);
  s->ticking = false;
}

static void free_extras(qf_stats *s) {
  registry_free(&s->hists);
  for (size_t i = 0; i < s->nrates; i++)
    free(s->rates[i].name);
  for (size_t i = 0; i < s->ninfos; i++) {
    free(s->infos[i].name);
    free(s->infos[i].value);
  }
  free(s->rates);
  free(s->infos);
}

void qf_stats_free(qf_stats *s) {
  if (!s)
    return;
  serve_stop(s);
  ticker_stop(s);
  free_extras(s);
  pthread_cond_destroy(&s->tick);
  registry_free(&s->counters);
  registry_free(&s->gauges);
  pthread_mutex_destroy(&s->lock);
  free(s->proc);
  free(s);
}

qf_counter *qf_stats_counter(qf_stats *s, const char *name) {
  pthread_mutex_lock(&s->lock);
  qf_counter *c = registry_find(&s->counters, name);
  if (!c)
    c = registry_add(&s->counters, name, sizeof *c);
  pthread_mutex_unlock(&s->lock);
  return c;
}

qf_gauge *qf_stats_gauge(qf_stats *s, const char *name) {
  pthread_mutex_lock(&s->lock);
  qf_gauge *g = registry_find(&s->gauges, name);
  if (!g)
    g = registry_add(&s->gauges, name, sizeof *g);
  pthread_mutex_unlock(&s->lock);
  return g;
}

void qf_counter_add(qf_counter *c, uint64_t n) {
  atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

uint64_t qf_counter_get(const qf_counter *c) {
  return atomic_load_explicit(&((qf_counter *)c)->v, memory_order_relaxed);
}

void qf_gauge_set(qf_gauge *g, int64_t v) {
  atomic_store_explicit(&g->v, v, memory_order_relaxed);
}

void qf_gauge_add(qf_gauge *g, int64_t delta) {
  atomic_fetch_add_explicit(&g->v, delta, memory_order_relaxed);
}

int64_t qf_gauge_get(const qf_gauge *g) {
  return atomic_load_explicit(&((qf_gauge *)g)->v, memory_order_relaxed);
}

qf_histogram *qf_stats_histogram(qf_stats *s, const char *name, const int64_t *bounds,
                                 size_t nbounds) {
  qf_histogram *h = NULL;
  if (nbounds > QF_STATS_BUCKETS_MAX)
    nbounds = QF_STATS_BUCKETS_MAX;
  pthread_mutex_lock(&s->lock);
  h = registry_find(&s->hists, name);
  if (!h) {
    h = registry_add(&s->hists, name, sizeof *h);
    h->nb = nbounds;
    memcpy(h->le, bounds, nbounds * sizeof *bounds);
  }
  pthread_mutex_unlock(&s->lock);
  return h;
}

void qf_histogram_observe(qf_histogram *h, int64_t v) {
  size_t b = 0;
  while (b < h->nb && v > h->le[b])
    b++;
  atomic_fetch_add_explicit(&h->counts[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

/* Takes one sample of every rate; called with the lock held. */
static void sample_rates(qf_stats *s, int64_t now_ms) {
  for (size_t i = 0; i < s->nrates; i++) {
    rate *r = &s->rates[i];
    r->v[r->next] = qf_counter_get(r->c);
    r->at_ms[r->next] = now_ms;
    r->next = (r->next + 1) % RATE_SAMPLES;
    if (r->n < RATE_SAMPLES)
      r->n++;
  }
}

static void *ticker_main(void *arg) {
  qf_stats *s = arg;
  pthread_mutex_lock(&s->lock);
  while (!s->stop_ticking) {
    sample_rates(s, qf_clock_mono_ms());
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1;
    while (!s->stop_ticking && pthread_cond_timedwait(&s->tick, &s->lock, &until) == 0)
      ; /* woken early by nothing but a stop */
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

void qf_stats_rate(qf_stats *s, const char *name, qf_counter *c) {
  pthread_mutex_lock(&s->lock);
  s->rates = grow(s->rates, s->nrates, &s->caprates, sizeof *s->rates);
  s->rates[s->nrates++] = (rate){.name = qf_strdup(name), .c = c};
  bool start = !s->ticking;
  s->ticking = true;
  pthread_mutex_unlock(&s->lock);
  if (start && pthread_create(&s->ticker, NULL, ticker_main, s) != 0) {
    qf_log_error("stats_rate_failed", "call=pthread_create");
    s->ticking = false;
  }
}

static void set_info(qf_stats *s, const char *name, const char *value, bool json) {
  pthread_mutex_lock(&s->lock);
  info *in = NULL;
  for (size_t i = 0; i < s->ninfos && !in; i++)
    if (s->infos[i].json == json && strcmp(s->infos[i].name, name) == 0)
      in = &s->infos[i];
  if (!in) {
    s->infos = grow(s->infos, s->ninfos, &s->capinfos, sizeof *s->infos);
    in = &s->infos[s->ninfos++];
    in->name = qf_strdup(name);
    in->value = NULL;
    in->json = json;
  }
  free(in->value);
  in->value = qf_strdup(value ? value : "");
  pthread_mutex_unlock(&s->lock);
}

void qf_stats_info(qf_stats *s, const char *name, const char *value) {
  set_info(s, name, value, false);
}

void qf_stats_detail(qf_stats *s, const char *name, const char *json_text) {
  set_info(s, name, json_text, true);
}

static json_t *histogram_json(const qf_histogram *h) {
  json_t *le = json_array(), *counts = json_array();
  uint64_t cum = 0;
  for (size_t b = 0; b <= h->nb; b++) {
    cum += atomic_load_explicit(&((qf_histogram *)h)->counts[b], memory_order_relaxed);
    if (b < h->nb)
      json_array_append_new(le, json_integer(h->le[b]));
    json_array_append_new(counts, json_integer((json_int_t)cum));
  }
  return json_pack(
      "{s:o, s:o, s:I, s:I}", "le", le, "counts", counts, "sum",
      (json_int_t)atomic_load_explicit(&((qf_histogram *)h)->sum, memory_order_relaxed),
      "count", (json_int_t)cum);
}

/* The rate of r now: the increase since its oldest sample. */
static double rate_now(const rate *r, int64_t now_ms) {
  if (r->n == 0)
    return 0;
  size_t oldest = r->n < RATE_SAMPLES ? 0 : r->next;
  int64_t dt = now_ms - r->at_ms[oldest];
  if (dt < 100)
    return 0;
  return (double)(qf_counter_get(r->c) - r->v[oldest]) * 1000.0 / (double)dt;
}

/* The histograms, rates and info objects of the document; lock held. */
static void render_extras(const qf_stats *s, json_t *doc) {
  json_t *hists = json_object(), *rates = json_object(), *infos = json_object();
  json_t *details = json_object();
  int64_t now = qf_clock_mono_ms();
  for (size_t i = 0; i < s->hists.n; i++) {
    const qf_histogram *h = s->hists.items[i];
    json_object_set_new(hists, h->name, histogram_json(h));
  }
  for (size_t i = 0; i < s->nrates; i++)
    json_object_set_new(rates, s->rates[i].name,
                        json_real(rate_now(&s->rates[i], now)));
  for (size_t i = 0; i < s->ninfos; i++) {
    const info *in = &s->infos[i];
    json_t *v = in->json ? json_loads(in->value, JSON_DECODE_ANY, NULL)
                         : json_string(in->value);
    json_object_set_new(in->json ? details : infos, in->name, v ? v : json_null());
  }
  json_object_set_new(doc, "histograms", hists);
  json_object_set_new(doc, "rates", rates);
  json_object_set_new(doc, "info", infos);
  json_object_set_new(doc, "details", details);
}

char *qf_stats_render_json(const qf_stats *cs) {
  /* The lock guards the registry, not the values: rendering is logically const. */
  qf_stats *s = (qf_stats *)cs;
  json_t *counters = json_object();
  json_t *gauges = json_object();
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; i < s->counters.n; i++) {
    const qf_counter *c = s->counters.items[i];
    json_object_set_new(counters, c->name, json_integer((json_int_t)qf_counter_get(c)));
  }
  for (size_t i = 0; i < s->gauges.n; i++) {
    const qf_gauge *g = s->gauges.items[i];
    json_object_set_new(gauges, g->name, json_integer((json_int_t)qf_gauge_get(g)));
  }
  json_t *doc =
      json_pack("{s:i, s:s, s:s, s:I, s:I, s:o, s:o}", "schema", QF_STATS_SCHEMA,
                "process", s->proc, "version", QF_VERSION, "pid", (json_int_t)getpid(),
                "uptime_ms", (json_int_t)(qf_clock_mono_ms() - s->start_mono_ms),
                "counters", counters, "gauges", gauges);
  if (doc)
    render_extras(s, doc);
  pthread_mutex_unlock(&s->lock);
  if (!doc)
    return qf_strdup("{}"); /* only on out of memory inside jansson */
  char *text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  return text ? text : qf_strdup("{}");
}

static void start_recv(server_ctx *c) {
  c->sending = false;
  nng_ctx_recv(c->ctx, c->aio);
}

/* A reply that cannot be built or sent is dropped: the REQ side resends. */
static void send_document(server_ctx *c) {
  nng_msg *req = nng_aio_get_msg(c->aio);
  nng_msg_free(req);
  char *doc = qf_stats_render_json(c->stats);
  nng_msg *rep = NULL;
  int rv = nng_msg_alloc(&rep, 0);
  if (rv == 0)
    rv = nng_msg_append(rep, doc, strlen(doc));
  free(doc);
  if (rv != 0) {
    char q[96];
    if (rep)
      nng_msg_free(rep);
    qf_log_warn("stats_reply_failed", "call=nng_msg_append err=%s",
                qf_log_quote(nng_strerror(rv), q, sizeof q));
    start_recv(c);
    return;
  }
  nng_aio_set_msg(c->aio, rep);
  c->sending = true;
  nng_ctx_send(c->ctx, c->aio);
}

static void on_aio(void *arg) {
  server_ctx *c = arg;
  int rv = nng_aio_result(c->aio);
  if (atomic_load(&c->stats->closing) || rv == NNG_ECLOSED) {
    /* A received request, or a reply that was not sent, is still ours. */
    if ((rv == 0) != c->sending)
      nng_msg_free(nng_aio_get_msg(c->aio));
    return;
  }
  if (c->sending) {
    if (rv != 0) /* the message is still ours when the send failed */
      nng_msg_free(nng_aio_get_msg(c->aio));
    start_recv(c);
    return;
  }
  if (rv != 0) {
    start_recv(c);
    return;
  }
  send_document(c);
}

static int listen_failed(qf_stats *s, const char *call, const char *url, int rv) {
  char red[256], q[96];
  qf_log_error("stats_serve_failed", "call=%s url=%s err=%s", call,
               qf_log_redact_url(url, red, sizeof red),
               qf_log_quote(nng_strerror(rv), q, sizeof q));
  atomic_store(&s->closing, true);
  nng_close(s->sock);
  for (int i = 0; i < STATS_CONTEXTS; i++) {
    if (s->srv[i].aio)
      nng_aio_free(s->srv[i].aio);
    s->srv[i].aio = NULL;
  }
  return QF_EADDR;
}

int qf_stats_serve(qf_stats *s, const char *url) {
  if (s->serving)
    return QF_EBUSY;
  if (!url || !*url)
    return QF_EADDR;
  int rv = nng_rep0_open(&s->sock);
  if (rv != 0) {
    qf_log_error("stats_serve_failed", "call=nng_rep0_open err=%d", rv);
    return QF_EINTERNAL;
  }
  atomic_store(&s->closing, false);
  /* NNG 1.5 has no receive limit by default: set it before listening. */
  rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, STATS_RECV_MAX);
  if (rv != 0)
    return listen_failed(s, "nng_socket_set_size", url, rv);
  for (int i = 0; i < STATS_CONTEXTS; i++) {
    server_ctx *c = &s->srv[i];
    c->stats = s;
    if ((rv = nng_aio_alloc(&c->aio, on_aio, c)) != 0)
      return listen_failed(s, "nng_aio_alloc", url, rv);
    if ((rv = nng_ctx_open(&c->ctx, s->sock)) != 0)
      return listen_failed(s, "nng_ctx_open", url, rv);
  }
  rv = qf_ipc_guard_listen(&s->guard, s->sock, url, NNG_REP0_PEER, "stats", NULL);
  if (rv != 0)
    return listen_failed(s, "nng_listen", url, rv);
  s->serving = true;
  for (int i = 0; i < STATS_CONTEXTS; i++)
    start_recv(&s->srv[i]);
  return 0;
}
