#include "transport.h"

#include "http.h"
#include "nngsend.h"

static int http_tsend(void *impl, const qf_dialect *d, const qf_dialect_msg *msg,
                      int64_t timeout_ms, transport_done_fn done, void *arg,
                      char why[QF_DIALECT_ERROR_LEN]) {
  return http_send(impl, d, msg, timeout_ms, done, arg, why);
}

static unsigned http_tin_flight(const void *impl) {
  return http_in_flight(impl);
}

static int nng_tsend(void *impl, const qf_dialect *d, const qf_dialect_msg *msg,
                     int64_t timeout_ms, transport_done_fn done, void *arg,
                     char why[QF_DIALECT_ERROR_LEN]) {
  return nngsend_send(impl, d, msg, timeout_ms, done, arg, why);
}

static unsigned nng_tin_flight(const void *impl) {
  return nngsend_in_flight(impl);
}

transports transports_of(http *h, nngsend *g) {
  return (transports){
      .http = {.name = "http",
               .send = http_tsend,
               .in_flight = http_tin_flight,
               .impl = h},
      .nng = {.name = "nng", .send = nng_tsend, .in_flight = nng_tin_flight, .impl = g},
  };
}

const transport *transports_pick(const transports *t, const qf_dialect *d) {
  return d == &qf_dialect_nng ? &t->nng : &t->http;
}

unsigned transports_in_flight(const transports *t) {
  return t->http.in_flight(t->http.impl) + t->nng.in_flight(t->nng.impl);
}
