#include "http.h"

#include "conns.h"

#include "qf/alloc.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONNECT_TIMEOUT_MS 5000
/* Enough of a response body for dialects that answer 200 with an error inside. */
#define BODY_KEEP 2048
#define RETRY_AFTER_LEN 128
/* Enough response headers for dialects that read more than Retry-After. */
#define HEADERS_KEEP 2048
/* The ramp of connections to one host (conns.h): a host's budget starts at a
 * step and grows by one every RAMP_MS while it is all used and sends wait. A
 * step of connects is accepted well within a tick by a listener with the
 * common backlog of 128 (docs/dispatcher.md). */
#define RAMP_STEP 32
#define RAMP_MS 50

typedef struct slot {
  http *h;
  CURL *easy;
  struct curl_slist *headers;
  qf_dialect_request req;
  const qf_dialect *dialect;
  http_done_fn done;
  void *arg;
  int64_t start_ms;    /* monotonic */
  conns_ticket ticket; /* its place at its host; deadline_ms ends the send */
  struct slot *next_free;
  char retry_after[RETRY_AFTER_LEN];
  char resp_headers[HEADERS_KEEP];
  size_t resp_headers_len;
  char body[BODY_KEEP];
  size_t body_len;
  char errbuf[CURL_ERROR_SIZE];
} slot;

/* One socket curl asked us to watch. */
typedef struct sock {
  uv_poll_t poll;
  curl_socket_t fd;
  http *h;
  struct sock *prev, *next;
} sock;

struct http {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;
  uv_timer_t ramp; /* runs while sends wait for a host's budget */
  const metrics *m;
  slot **slots; /* created on first use */
  unsigned nslots, max_slots, in_flight;
  slot *free_slots;
  sock *socks; /* every watched socket, to close what curl leaves behind */
  conns *conns;
  unsigned open_handles;
  bool closing;
};

/* ---- teardown helpers ---- */

static void maybe_free(http *h) {
  if (!h->closing || h->open_handles > 0)
    return;
  conns_free(h->conns);
  free(h->slots);
  free(h);
}

static void on_handle_closed(uv_handle_t *hd) {
  http *h = hd->data;
  h->open_handles--;
  maybe_free(h);
}

static void on_sock_closed(uv_handle_t *hd) {
  sock *s = hd->data;
  http *h = s->h;
  free(s);
  h->open_handles--;
  maybe_free(h);
}

static void sock_close(sock *s) {
  http *h = s->h;
  if (s->prev)
    s->prev->next = s->next;
  else
    h->socks = s->next;
  if (s->next)
    s->next->prev = s->prev;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

/* ---- completions ---- */

static qf_xfer xfer_of(CURLcode rc) {
  switch (rc) {
  case CURLE_OK:
    return QF_XFER_OK;
  case CURLE_OPERATION_TIMEDOUT:
    return QF_XFER_TIMEOUT;
  case CURLE_COULDNT_CONNECT:
    return QF_XFER_REFUSED;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return QF_XFER_DNS;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
    return QF_XFER_TLS;
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
    return QF_XFER_BADURL;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_WEIRD_SERVER_REPLY:
    return QF_XFER_NETWORK;
  default:
    return QF_XFER_OTHER;
  }
}

static void slot_release(slot *sl) {
  http *h = sl->h;
  curl_slist_free_all(sl->headers);
  sl->headers = NULL;
  sl->done = NULL;
  sl->arg = NULL;
  sl->next_free = h->free_slots;
  h->free_slots = sl;
  h->in_flight--;
  qf_gauge_add(h->m->sends_in_flight, -1);
}

static void log_xfer_failure(const slot *sl, CURLcode rc) {
  char url[512];
  qf_log_debug("send_failed", "call=curl_multi_socket_action url=%s curl=%d err=\"%s\"",
               qf_log_redact_url(sl->req.url, url, sizeof url), (int)rc,
               sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(rc));
}

static slot *slot_of(conns_ticket *t) {
  return (slot *)(void *)((char *)t - offsetof(slot, ticket));
}

/* Judges a finished send (rc and HTTP status; a send never started has status
 * 0), gives its place at its host back, frees its slot, then tells the caller.
 * Returns the host's next send, admitted by this one's end: the caller starts
 * it (after this call, so that a chain of ends never recurses). */
static conns_ticket *slot_finish(slot *sl, CURLcode rc, long status) {
  qf_dialect_answer ans = {
      .xfer = xfer_of(rc),
      .status = status,
      .retry_after = sl->retry_after[0] ? sl->retry_after : NULL,
      .body = sl->body,
      .body_len = sl->body_len,
      .now_ms = qf_clock_now_ms(),
      .headers = sl->resp_headers_len ? sl->resp_headers : NULL,
      .headers_len = sl->resp_headers_len,
  };
  if (ans.xfer == QF_XFER_OK && status < 100)
    ans.xfer = QF_XFER_NETWORK;
  if (ans.xfer != QF_XFER_OK)
    log_xfer_failure(sl, rc);
  qf_dialect_result res;
  sl->dialect->classify(&ans, &res);
  metrics_send_done(sl->h->m, qf_clock_mono_ms() - sl->start_ms, sl->dialect, &ans);
  http_done_fn done = sl->done;
  void *arg = sl->arg;
  conns_ticket *next = conns_done(sl->h->conns, &sl->ticket);
  slot_release(sl);
  done(&res, arg);
  return next;
}

/* Hands sl's transfer to curl with left_ms of its time left. 0 or QF_EINTERNAL
 * (logged). */
static int xfer_add(slot *sl, int64_t left_ms) {
  CURL *e = sl->easy;
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)left_ms);
  long connect_ms = left_ms < CONNECT_TIMEOUT_MS ? (long)left_ms : CONNECT_TIMEOUT_MS;
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  CURLMcode mc = curl_multi_add_handle(sl->h->multi, e);
  if (mc != CURLM_OK) {
    qf_log_error("http_failed", "call=curl_multi_add_handle err=\"%s\"",
                 curl_multi_strerror(mc));
    return QF_EINTERNAL;
  }
  return 0;
}

/* Starts the admitted sends of list t in turn; one whose time ran out while it
 * waited, or that curl refuses, ends here and its successor joins the list. */
static void start_admitted(conns_ticket *t) {
  while (t) {
    conns_ticket *rest = t->next;
    slot *sl = slot_of(t);
    int64_t left = sl->ticket.deadline_ms - qf_clock_mono_ms();
    conns_ticket *freed = NULL;
    if (left <= 0)
      freed = slot_finish(sl, CURLE_OPERATION_TIMEDOUT, 0);
    else if (xfer_add(sl, left) != 0)
      freed = slot_finish(sl, CURLE_FAILED_INIT, 0);
    if (freed) {
      freed->next = rest;
      rest = freed;
    }
    t = rest;
  }
}

static void check_done(http *h) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(h->multi, &left))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    CURL *easy = msg->easy_handle;
    CURLcode rc = msg->data.result;
    slot *sl = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&sl);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(h->multi, easy);
    start_admitted(slot_finish(sl, rc, status));
  }
}

/* The ramp's tick: sends that waited past their deadline end as timeouts, and
 * the sends the raised budgets admit start. */
static void on_ramp(uv_timer_t *t) {
  http *h = t->data;
  conns_batch b = conns_tick(h->conns, qf_clock_mono_ms());
  while (b.expired) {
    conns_ticket *rest = b.expired->next;
    start_admitted(slot_finish(slot_of(b.expired), CURLE_OPERATION_TIMEDOUT, 0));
    b.expired = rest;
  }
  start_admitted(b.start);
  if (conns_waiting(h->conns) == 0)
    uv_timer_stop(&h->ramp);
}

/* ---- curl <-> libuv ---- */

static void on_poll(uv_poll_t *p, int status, int events) {
  sock *s = p->data;
  http *h = s->h;
  int flags = 0;
  if (status < 0)
    flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  int running;
  /* s may be closed inside this call: do not touch it afterwards. */
  curl_multi_socket_action(h->multi, s->fd, flags, &running);
  check_done(h);
}

static void on_timer(uv_timer_t *t) {
  http *h = t->data;
  int running;
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(h);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
  (void)multi;
  http *h = userp;
  if (timeout_ms < 0)
    uv_timer_stop(&h->timer);
  else
    uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

static sock *sock_open(http *h, curl_socket_t fd) {
  sock *s = qf_calloc(1, sizeof *s);
  int rc = uv_poll_init_socket(h->loop, &s->poll, fd);
  if (rc != 0) {
    qf_log_error("poll_failed", "call=uv_poll_init_socket fd=%d err=%s", (int)fd,
                 uv_strerror(rc));
    free(s);
    return NULL;
  }
  s->fd = fd;
  s->h = h;
  s->poll.data = s;
  s->next = h->socks;
  if (h->socks)
    h->socks->prev = s;
  h->socks = s;
  h->open_handles++;
  return s;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                          void *socketp) {
  (void)easy;
  http *h = userp;
  sock *s = socketp;
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      curl_multi_assign(h->multi, fd, NULL);
      sock_close(s);
    }
    return 0;
  }
  if (!s) {
    if (!(s = sock_open(h, fd)))
      return -1;
    curl_multi_assign(h->multi, fd, s);
  }
  int events = 0;
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, on_poll);
  return 0;
}

/* ---- easy handles ---- */

static size_t on_header(char *buf, size_t size, size_t n, void *arg) {
  slot *sl = arg;
  size_t len = size * n;
  static const char name[] = "retry-after:";
  if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
    sl->retry_after[0] = '\0'; /* a new response (e.g. after 100 Continue) */
    sl->resp_headers_len = 0;
    return len;
  }
  if (sl->resp_headers_len + len < sizeof sl->resp_headers) {
    memcpy(sl->resp_headers + sl->resp_headers_len, buf, len);
    sl->resp_headers_len += len;
    sl->resp_headers[sl->resp_headers_len] = '\0';
  }
  if (len > sizeof name - 1 && strncasecmp(buf, name, sizeof name - 1) == 0) {
    size_t vlen = len - (sizeof name - 1);
    if (vlen >= sizeof sl->retry_after)
      vlen = sizeof sl->retry_after - 1;
    memcpy(sl->retry_after, buf + sizeof name - 1, vlen);
    sl->retry_after[vlen] = '\0'; /* trailing CRLF is trimmed by the parser */
  }
  return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg) {
  slot *sl = arg;
  size_t len = size * n;
  size_t room = sizeof sl->body - 1 - sl->body_len;
  size_t take = len < room ? len : room;
  memcpy(sl->body + sl->body_len, buf, take);
  sl->body_len += take;
  sl->body[sl->body_len] = '\0';
  return len;
}

static curl_socket_t on_open_socket(void *arg, curlsocktype purpose,
                                    struct curl_sockaddr *a) {
  (void)purpose;
  slot *sl = arg;
  return conns_open(sl->h->conns, sl->req.url, a);
}

static int on_close_socket(void *arg, curl_socket_t fd) {
  http *h = arg;
  return conns_close(h->conns, fd);
}

/* Options that never change for a slot. */
static void easy_setup(slot *sl) {
  CURL *e = sl->easy;
  curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)sl);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "qunfa-dispatcher/" QF_VERSION);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, sl);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, sl);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, sl->errbuf);
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, sl);
  /* The connection outlives the slot that opened it: close through h. */
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, sl->h);
}

static slot *slot_get(http *h) {
  if (h->free_slots) {
    slot *sl = h->free_slots;
    h->free_slots = sl->next_free;
    return sl;
  }
  if (h->nslots == h->max_slots)
    return NULL;
  slot *sl = qf_calloc(1, sizeof *sl);
  sl->easy = curl_easy_init();
  if (!sl->easy) {
    qf_log_error("http_failed", "call=curl_easy_init");
    free(sl);
    return NULL;
  }
  sl->h = h;
  qf_dialect_request_init(&sl->req);
  easy_setup(sl);
  h->slots[h->nslots++] = sl;
  return sl;
}

static void slot_put_back(http *h, slot *sl) {
  curl_slist_free_all(sl->headers);
  sl->headers = NULL;
  sl->next_free = h->free_slots;
  h->free_slots = sl;
}

/* Per-send options from the rendered request (the timeouts are set when the
 * send starts: xfer_add). */
static int easy_prepare(slot *sl) {
  struct curl_slist *l = NULL;
  for (size_t i = 0; i < sl->req.nheaders; i++)
    l = curl_slist_append(l, sl->req.headers[i]);
  /* No "Expect: 100-continue" round trip for large bodies. */
  l = curl_slist_append(l, "Expect:");
  if (!l)
    return QF_ENOMEM;
  sl->headers = l;
  CURL *e = sl->easy;
  curl_easy_setopt(e, CURLOPT_URL, sl->req.url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sl->req.body_len);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, sl->req.body);
  sl->retry_after[0] = '\0';
  sl->resp_headers_len = 0;
  sl->body_len = 0;
  sl->body[0] = '\0';
  sl->errbuf[0] = '\0';
  return 0;
}

/* Starts sl's send at once if its host's budget allows, or queues it there
 * (the ramp's timer then runs). 0 or QF_EINTERNAL. */
static int admit(http *h, slot *sl, int64_t timeout_ms) {
  sl->start_ms = qf_clock_mono_ms();
  sl->ticket.deadline_ms = sl->start_ms + timeout_ms;
  if (!conns_admit(h->conns, sl->req.url, &sl->ticket)) {
    if (!uv_is_active((uv_handle_t *)&h->ramp))
      uv_timer_start(&h->ramp, on_ramp, RAMP_MS, RAMP_MS);
    return 0;
  }
  int rc = xfer_add(sl, timeout_ms);
  if (rc != 0)
    /* Admitted at once, so nothing waited behind it: nothing to start. */
    start_admitted(conns_done(h->conns, &sl->ticket));
  return rc;
}

int http_send(http *h, const qf_dialect *d, const qf_dialect_msg *msg,
              int64_t timeout_ms, http_done_fn done, void *arg,
              char why[QF_DIALECT_ERROR_LEN]) {
  slot *sl = slot_get(h);
  if (!sl)
    return QF_EBUSY;
  int rc = d->render(msg, &sl->req);
  if (rc != 0)
    snprintf(why, QF_DIALECT_ERROR_LEN, "%s", sl->req.error);
  if (rc == 0)
    rc = easy_prepare(sl);
  if (rc == 0)
    rc = admit(h, sl, timeout_ms > 0 ? timeout_ms : 1);
  if (rc != 0) {
    slot_put_back(h, sl);
    return rc == QF_ENOMEM ? QF_EINTERNAL : rc;
  }
  sl->dialect = d;
  sl->done = done;
  sl->arg = arg;
  h->in_flight++;
  qf_gauge_add(h->m->sends_in_flight, 1);
  return 0;
}

unsigned http_in_flight(const http *h) {
  return h->in_flight;
}

/* ---- lifecycle ---- */

static void multi_setup(http *h, unsigned host_conns) {
  CURLM *mu = h->multi;
  curl_multi_setopt(mu, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
  curl_multi_setopt(mu, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(mu, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt(mu, CURLMOPT_TIMERDATA, h);
  /* The ramp (conns.h) keeps a host's sends in flight within its budget, so
   * curl opens no more than that; curl's own cap at the ramp's max is a safety
   * net only: past it, curl parks a transfer and wakes one per finished one,
   * so a budget raised later would never be used. */
  curl_multi_setopt(mu, CURLMOPT_MAX_HOST_CONNECTIONS, (long)host_conns);
  curl_multi_setopt(mu, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)h->max_slots);
  curl_multi_setopt(mu, CURLMOPT_MAXCONNECTS, (long)h->max_slots);
}

int http_new(http **out, uv_loop_t *loop, unsigned max_sends, unsigned host_conns,
             const metrics *m) {
  http *h = qf_calloc(1, sizeof *h);
  h->loop = loop;
  h->m = m;
  h->max_slots = max_sends ? max_sends : 1;
  if (!host_conns || host_conns > h->max_slots)
    host_conns = h->max_slots;
  h->slots = qf_calloc(h->max_slots, sizeof *h->slots);
  h->multi = curl_multi_init();
  if (!h->multi) {
    qf_log_error("http_failed", "call=curl_multi_init");
    free(h->slots);
    free(h);
    return QF_EINTERNAL;
  }
  h->conns = conns_new(m, RAMP_STEP, host_conns);
  multi_setup(h, host_conns);
  uv_timer_init(loop, &h->timer);
  h->timer.data = h;
  uv_timer_init(loop, &h->ramp);
  h->ramp.data = h;
  /* Never what keeps the loop running: while a send waits at a host, that
   * host's budget is in flight, and curl's timer and sockets are active. */
  uv_unref((uv_handle_t *)&h->ramp);
  h->open_handles = 2;
  *out = h;
  return 0;
}

static void slot_free(http *h, slot *sl) {
  if (sl->done)
    curl_multi_remove_handle(h->multi, sl->easy);
  curl_easy_cleanup(sl->easy);
  curl_slist_free_all(sl->headers);
  qf_dialect_request_free(&sl->req);
  free(sl);
}

void http_close(http *h) {
  if (!h)
    return;
  h->closing = true;
  for (unsigned i = 0; i < h->nslots; i++)
    slot_free(h, h->slots[i]);
  h->nslots = 0;
  /* Closing cached connections may report sockets removed; close the rest. */
  curl_multi_cleanup(h->multi);
  h->multi = NULL;
  while (h->socks)
    sock_close(h->socks);
  uv_timer_stop(&h->timer);
  uv_close((uv_handle_t *)&h->timer, on_handle_closed);
  uv_timer_stop(&h->ramp);
  uv_close((uv_handle_t *)&h->ramp, on_handle_closed);
}
