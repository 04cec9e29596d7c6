/* HTTP sends: libcurl's multi interface driven by the libuv loop (one uv_poll_t
 * per socket, one uv_timer_t for curl's timeouts). A slot (easy handle plus its
 * rendered request and buffers) is kept and reused, and the multi handle keeps
 * connections alive between sends, so a steady stream of sends allocates little
 * beyond what curl itself needs. TLS peers are verified; only http and https are
 * spoken; redirects are not followed. */
#ifndef DISPATCHER_HTTP_H
#define DISPATCHER_HTTP_H
#include <stdint.h>
#include <uv.h>

#include "metrics.h"
#include "qf/dialect.h"

typedef struct http http;

/* The judged answer of one send (borrowed for the call). */
typedef void (*http_done_fn)(const qf_dialect_result *res, void *arg);

/* Creates a sender of at most max_sends concurrent transfers on loop, over at
 * most host_conns connections to any one host (0 or more than max_sends =
 * max_sends; the transfers past it wait for one of them). curl_global_init must
 * have run. 0 or QF_EINTERNAL. */
int http_new(http **out, uv_loop_t *loop, unsigned max_sends, unsigned host_conns,
             const metrics *m);

/* Renders msg in dialect d and starts sending it, giving up after timeout_ms.
 * done runs exactly once, later, on the loop (never inside this call).
 * QF_EINVAL: the dialect cannot render msg, and why says so; QF_EBUSY:
 * max_sends in flight; QF_EINTERNAL: curl refused the transfer. On error done
 * never runs. */
int http_send(http *h, const qf_dialect *d, const qf_dialect_msg *msg,
              int64_t timeout_ms, http_done_fn done, void *arg,
              char why[QF_DIALECT_ERROR_LEN]);

/* Transfers in flight. */
unsigned http_in_flight(const http *h);

/* Aborts transfers still in flight (their done never runs), closes every handle
 * and frees h once the loop has run their close callbacks. NULL is a no-op. */
void http_close(http *h);

#endif
