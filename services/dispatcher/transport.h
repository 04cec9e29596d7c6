/* Transports: how a rendered delivery travels, chosen by its group's dialect.
 * The webhook dialects go over HTTP (http.c, libcurl); the nng dialect goes
 * over NNG REQ to a gateway (nngsend.c). Either way the dialect renders the
 * request and judges the answer, and done runs exactly once, on the loop, so a
 * job neither knows nor cares which one carried it. */
#ifndef DISPATCHER_TRANSPORT_H
#define DISPATCHER_TRANSPORT_H
#include <stdint.h>

#include "qf/dialect.h"

/* The judged answer of one send (borrowed for the call). */
typedef void (*transport_done_fn)(const qf_dialect_result *res, void *arg);

typedef struct transport {
  const char *name;
  /* Renders msg in dialect d and starts sending it, giving up after
   * timeout_ms; done runs later, never inside this call. QF_EINVAL: the
   * dialect refused msg (why says so); QF_EBUSY: too many in flight; other
   * codes: the transport could not start. On error done never runs. */
  int (*send)(void *impl, const qf_dialect *d, const qf_dialect_msg *msg,
              int64_t timeout_ms, transport_done_fn done, void *arg,
              char why[QF_DIALECT_ERROR_LEN]);
  unsigned (*in_flight)(const void *impl);
  void *impl;
} transport;

/* The transports of a dispatcher, by dialect. */
typedef struct transports {
  transport http;
  transport nng;
} transports;

typedef struct http http;
typedef struct nngsend nngsend;

/* The transports over h and g (borrowed; they must outlive the result). */
transports transports_of(http *h, nngsend *g);

/* The transport that carries dialect d. */
const transport *transports_pick(const transports *t, const qf_dialect *d);
/* Sends in flight over every transport. */
unsigned transports_in_flight(const transports *t);

#endif
