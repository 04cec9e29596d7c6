/* Serving HTTP with NNG's HTTP server: the routes, the start-up with its errors
 * logged, and the answer to a request. qunfa-mockchat (the platforms' webhooks)
 * and the scheduler's metrics and dashboard server both serve through it.
 *
 * Handlers run on NNG's threads: a handler that needs a loop's state hands the
 * request over (keeping the aio) and answers it later with qf_http_reply. */
#ifndef QF_HTTP_H
#define QF_HTTP_H
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct qf_http_route {
  const char *path;
  const char *method; /* "GET", "POST", ... */
  bool tree;          /* also serves every path below */
  void (*cb)(nng_aio *aio);
} qf_http_route;

typedef struct qf_http_opts {
  const char *what; /* names the server in logs ("mockchat", "metrics_http") */
  void *data;       /* what qf_http_data returns in every handler */
  size_t max_body;  /* request bodies collected up to this; 0 = none collected */
} qf_http_opts;

/* Starts a server on url ("http://HOST:PORT"; "HOST:PORT" alone means http;
 * port 0 picks a free one) with n routes. On success *out is the server and
 * *port its bound port; otherwise the failure is logged
 * (event=http_start_failed) and the result is QF_EADDR. */
int qf_http_start(nng_http_server **out, int *port, const char *url,
                  const qf_http_route *routes, size_t n, const qf_http_opts *o);
/* Stops and releases the server; requests still held are for the caller to
 * answer before. NULL is a no-op. */
void qf_http_stop(nng_http_server *srv);

/* The opts' data of the server a request came to. */
void *qf_http_data(nng_aio *aio);
/* Answers a request: status, Content-Type, body (len bytes, copied) and, when
 * hname is not NULL, one more header. Responses are never cached. */
void qf_http_reply(nng_aio *aio, int status, const char *type, const void *body,
                   size_t len, const char *hname, const char *hvalue);

#endif
