/* Live-share sessions (docs/live-and-sales.md). A session is a record in the
 * lives db and a chain of ordinary posts of priority live, all to the same
 * groups in the same order (delivery seq i of each is group i): segment 0 the
 * opening message, then one post per segment appended, the closing message
 * last. Reminders before the start are posts of priority normal expiring at
 * the start.
 *
 * Order, one in flight per group per session: delivery i of segment k is
 * queued only once group i's delivery of segment k - 1 is final (next[i] == k);
 * until then it is pending and held here (live_hold at load, live_final when
 * the previous one ends). So a group receives the segments in order however
 * many dispatchers run, and retries, expiry and restarts keep the order.
 *
 * Coalescing: when group i's segment k is leased while later segments
 * k+1..m are already appended and held for it (they piled up while the group
 * was at its rate limit, or while k was in flight), the lease carries their
 * texts joined by newlines (Lease.text, up to the dialect's max_text) and, once
 * it is delivered, k+1..m end delivered with it. A group that fell behind
 * catches up instead of falling further behind. */
#ifndef SCHED_LIVE_H
#define SCHED_LIVE_H
#include <stdbool.h>
#include <stdint.h>

#include "apost.h"
#include "model.pb-c.h"
#include "qf/rpc.h"
#include "scheduler.h"

typedef struct lives lives;

/* Loads the sessions and rebuilds where each group stands. Call before the
 * timeline loads. On 0 *out is new (free with lives_free). */
int lives_new(sched *s, lives **out);
void lives_free(lives *lv);

/* At load: whether pending delivery seq of p must wait for the group's earlier
 * segment (true: not queued now; live_final queues it). */
bool live_hold(lives *lv, apost *p, uint32_t seq);
/* Delivery seq of p became final: the group's next segment may go. */
void live_final(lives *lv, apost *p, uint32_t seq);
/* Delivery seq of p is being leased in l: coalesces the group's held
 * segments into l->text (borrowed until the next lease of that group). */
void live_lease(lives *lv, apost *p, uint32_t seq, Qunfa__Lease *l);
/* Whether pending delivery seq of p is a segment that the group's lease now
 * out (of an earlier segment) carries, coalesced: it ends with that lease
 * (delivered with it, or cancelled if its post is cancelled meanwhile). */
bool live_carried(lives *lv, const apost *p, uint32_t seq);

/* Joins texts[0..n) with newlines while the result stays within max bytes
 * (at least texts[0]); returns how many were taken. Pure; for tests. A NULL
 * text ends the run. */
size_t live_join(const char *const *texts, size_t n, size_t max, char *out);

void live_on_open(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void live_on_say(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void live_on_close(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void live_on_status(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
/* LiveCancel (live_end.c): every unsent delivery of the session (reminders,
 * opening, segments, closing) ends CANCELLED, the session is closed and
 * marked cancelled; answers after the commit. Once closed and settled a
 * session leaves memory; its status is then read from its stored record. */
void live_on_cancel(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

#endif
