#include "qf/http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "qf/err.h"
#include "qf/log.h"

#define URL_MAX 512

void qf_http_reply(nng_aio *aio, int status, const char *type, const void *body,
                   size_t len, const char *hname, const char *hvalue) {
  nng_http_res *res;
  int rv = nng_http_res_alloc(&res);
  if (rv == 0 &&
      ((rv = nng_http_res_set_status(res, (uint16_t)status)) != 0 ||
       (rv = nng_http_res_set_header(res, "Content-Type", type)) != 0 ||
       (rv = nng_http_res_set_header(res, "Cache-Control", "no-store")) != 0 ||
       (hname && (rv = nng_http_res_set_header(res, hname, hvalue)) != 0) ||
       (rv = nng_http_res_copy_data(res, body, len)) != 0))
    nng_http_res_free(res);
  if (rv != 0) {
    qf_log_warn("http_reply_failed", "status=%d err=\"%s\"", status, nng_strerror(rv));
    nng_aio_finish(aio, rv);
    return;
  }
  nng_aio_set_output(aio, 0, res);
  nng_aio_finish(aio, 0);
}

void *qf_http_data(nng_aio *aio) {
  return nng_http_handler_get_data(nng_aio_get_input(aio, 1));
}

static int add_route(nng_http_server *srv, const qf_http_route *r,
                     const qf_http_opts *o) {
  nng_http_handler *h;
  int rv = nng_http_handler_alloc(&h, r->path, r->cb);
  if (rv != 0)
    return rv;
  if ((rv = nng_http_handler_set_method(h, r->method)) != 0 ||
      (r->tree && (rv = nng_http_handler_set_tree(h)) != 0) ||
      (o->max_body &&
       (rv = nng_http_handler_collect_body(h, true, o->max_body)) != 0) ||
      (rv = nng_http_handler_set_data(h, o->data, NULL)) != 0 ||
      (rv = nng_http_server_add_handler(srv, h)) != 0) {
    nng_http_handler_free(h);
    return rv;
  }
  return 0;
}

static int bound_port(nng_http_server *srv) {
  nng_sockaddr sa;
  if (nng_http_server_get_addr(srv, &sa) != 0)
    return -1;
  if (sa.s_family == NNG_AF_INET)
    return ntohs(sa.s_in.sa_port);
  if (sa.s_family == NNG_AF_INET6)
    return ntohs(sa.s_in6.sa_port);
  return -1;
}

static int start_failed(nng_http_server *srv, const qf_http_opts *o, const char *call,
                        const char *url, int rv) {
  char q[URL_MAX + 8];
  qf_log_error("http_start_failed", "what=%s call=%s url=%s err=\"%s\"", o->what, call,
               qf_log_quote(url, q, sizeof q), nng_strerror(rv));
  if (srv)
    nng_http_server_release(srv);
  return QF_EADDR;
}

/* Parses url as an http:// URL, the scheme added when it has none. */
static int parse_http_url(nng_url **u, const char *url) {
  char full[URL_MAX];
  bool bare = strstr(url, "://") == NULL;
  if ((size_t)snprintf(full, sizeof full, "%s%s", bare ? "http://" : "", url) >=
      sizeof full)
    return NNG_EINVAL;
  int rv = nng_url_parse(u, full);
  if (rv == 0 && strcmp((*u)->u_scheme, "http") != 0) {
    nng_url_free(*u);
    return NNG_EADDRINVAL;
  }
  return rv;
}

int qf_http_start(nng_http_server **out, int *port, const char *url,
                  const qf_http_route *routes, size_t n, const qf_http_opts *o) {
  nng_http_server *srv = NULL;
  nng_url *u;
  *out = NULL;
  int rv = parse_http_url(&u, url);
  if (rv != 0)
    return start_failed(NULL, o, "nng_url_parse", url, rv);
  rv = nng_http_server_hold(&srv, u);
  nng_url_free(u);
  if (rv != 0)
    return start_failed(NULL, o, "nng_http_server_hold", url, rv);
  for (size_t i = 0; i < n; i++)
    if ((rv = add_route(srv, &routes[i], o)) != 0)
      return start_failed(srv, o, "nng_http_server_add_handler", url, rv);
  if ((rv = nng_http_server_start(srv)) != 0)
    return start_failed(srv, o, "nng_http_server_start", url, rv);
  *port = bound_port(srv);
  *out = srv;
  return 0;
}

void qf_http_stop(nng_http_server *srv) {
  if (!srv)
    return;
  nng_http_server_stop(srv);
  nng_http_server_release(srv);
}
