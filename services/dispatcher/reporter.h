/* Results going back to the scheduler: a queue sent as Work.Report in batches
 * (at most REPORTER_BATCH_MAX results, one Report in flight, the next one as soon
 * as results wait and none is in flight, gathered until the loop is about to
 * sleep). A result stays queued until a Report reply says it is committed; on an
 * error the same results are sent again after a short backoff, which is safe:
 * the scheduler ignores results of leases that are no longer current. */
#ifndef DISPATCHER_REPORTER_H
#define DISPATCHER_REPORTER_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "metrics.h"
#include "qf/dialect.h"
#include "qf/rpc.h"

#define REPORTER_BATCH_MAX 1000

typedef struct reporter reporter;

/* One result, as it goes on the wire. */
typedef struct report_result {
  uint64_t lease_id;
  uint32_t attempt;
  uint64_t post_id;
  uint32_t seq;
  qf_outcome outcome;
  int64_t retry_after_ms;
  bool throttled; /* a rate-limit answer (qf_dialect_result) */
  int64_t done_ms;
  char error[QF_DIALECT_ERROR_LEN];
  char platform_msg_id[QF_DIALECT_MSGID_LEN];
} report_result;

/* Reports on work (borrowed, attached to loop). */
int reporter_new(reporter **out, uv_loop_t *loop, qf_rpc_client *work,
                 const metrics *m);
/* Queues a copy of r. */
void reporter_add(reporter *rp, const report_result *r);
/* Results not yet committed (queued or in flight). */
size_t reporter_pending(const reporter *rp);
/* Stops its timers and sends nothing more; a Report in flight (cancelled when
 * the client closes) only frees. Run the loop, then reporter_free. */
void reporter_stop(reporter *rp);
/* NULL is a no-op. */
void reporter_free(reporter *rp);

#endif
