/* NNG sends for the nng dialect: one REQ socket per gateway url (dialled on
 * first use, redialled by NNG in the background), one context and aio per send,
 * so sends to a gateway run concurrently. Completions arrive on NNG's threads
 * and are handed to the loop through a uv_async_t; the dialect judges the
 * reply there. The request resend timer is off: one send is one attempt, and a
 * reply that does not come in time is a retry decided by the scheduler. */
#ifndef DISPATCHER_NNGSEND_H
#define DISPATCHER_NNGSEND_H
#include <stdint.h>
#include <uv.h>

#include "metrics.h"
#include "transport.h"

typedef struct nngsend nngsend;

/* A sender of at most max_sends concurrent requests, completing on loop.
 * 0 or QF_EINTERNAL. */
int nngsend_new(nngsend **out, uv_loop_t *loop, unsigned max_sends, const metrics *m);
/* As transport.send. A url NNG cannot dial is QF_EINVAL with why. */
int nngsend_send(nngsend *g, const qf_dialect *d, const qf_dialect_msg *msg,
                 int64_t timeout_ms, transport_done_fn done, void *arg,
                 char why[QF_DIALECT_ERROR_LEN]);
unsigned nngsend_in_flight(const nngsend *g);
/* Aborts sends in flight (their done never runs), closes the sockets and frees
 * g once the loop has closed its handle. NULL is a no-op. */
void nngsend_close(nngsend *g);

#endif
