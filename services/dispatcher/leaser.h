/* Pulling work: one Work.Lease call at a time for up to the free credit, as a
 * long poll. Asks again as soon as a reply is handed over and credit is free,
 * from a uv_prepare_t (just before the loop sleeps), so the completions of one
 * loop turn make one larger request. On an error it backs off (100 ms doubling
 * to 2 s) and tries again: the scheduler may not be up yet, or may restart. */
#ifndef DISPATCHER_LEASER_H
#define DISPATCHER_LEASER_H
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "metrics.h"
#include "qf/rpc.h"
#include "scheduler.pb-c.h"

typedef struct leaser leaser;

/* How many leases may be taken now. */
typedef unsigned (*leaser_credit_fn)(void *arg);
/* Leases arrived: reply is handed over (free with
 * protobuf_c_message_free_unpacked). */
typedef void (*leaser_take_fn)(Qunfa__LeaseReply *reply, void *arg);

typedef struct leaser_opts {
  const char *name; /* the dispatcher's name (borrowed for leaser's life) */
  uint32_t wait_ms; /* long poll */
  leaser_credit_fn credit;
  leaser_take_fn take;
  void *arg;
} leaser_opts;

/* Leases from work (borrowed, attached to loop). Call leaser_kick to begin. */
int leaser_new(leaser **out, uv_loop_t *loop, qf_rpc_client *work,
               const leaser_opts *opts, const metrics *m);
/* Credit may have grown: ask before the loop next sleeps, if idle. */
void leaser_kick(leaser *l);
/* Asks for nothing more. A call in flight still hands its leases over. */
void leaser_stop(leaser *l);
/* A Lease call is in flight. */
bool leaser_busy(const leaser *l);
/* Closes its handles; free after the loop has run. */
void leaser_close(leaser *l);
/* NULL is a no-op. */
void leaser_free(leaser *l);

#endif
