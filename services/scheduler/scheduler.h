/* The scheduler's wiring: one value that main.c builds and every module reaches
 * its peers through. Everything here runs on the one libuv loop thread.
 *
 * Two group-commit streams write to LMDB:
 *  - work: delivery outcomes, lease expiry, posts marked done. Its in-memory state
 *    changes first; on a failed commit the batch is kept and retried, so memory
 *    and disk converge.
 *  - client: groups and new posts. Applied to memory only after the commit; on a
 *    failed commit the batch is dropped and the caller told, so nothing half-done
 *    survives. */
#ifndef SCHED_SCHEDULER_H
#define SCHED_SCHEDULER_H
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "qf/clock.h"
#include "qf/kv.h"
#include "qf/rpc.h"

typedef struct commit commit;
typedef struct active active;
typedef struct ready ready;
typedef struct leases leases;
typedef struct dispatch dispatch;
typedef struct timeline timeline;
typedef struct upserts upserts;
typedef struct cancels cancels;
typedef struct schedules schedules;
typedef struct horizon horizon;
typedef struct expiry expiry;
typedef struct sales sales;
typedef struct settles settles;
typedef struct lives lives;

typedef struct sched {
  uv_loop_t *loop;
  qf_kv *kv;
  commit *work;
  commit *client;
  active *act;
  ready *rdy;
  leases *lss;
  dispatch *dsp;
  timeline *tl;
  upserts *ups;
  cancels *cnl;
  schedules *sch;
  horizon *hz;          /* the lease horizon (rate limits across restarts) */
  expiry *exp;          /* posts that expire */
  sales *sal;           /* flash sales */
  settles *stl;         /* waits for posts to settle (sold-out, recall) */
  lives *lv;            /* live-share sessions */
  qf_rpc_client *store; /* the content store; NULL once closed */
  int64_t lease_ms;
  uint32_t max_attempts;
  int64_t catch_up_ms; /* a missed occurrence younger than this fires once */
  uint64_t next_post_id;
  uint64_t groups_gen;  /* bumped by every group upsert (cached groups re-read) */
  unsigned store_calls; /* Store.Put calls in flight */
  bool stopping;        /* no new work is accepted */
} sched;

/* Starts t (one-shot) to fire at wall-clock time at_ms. libuv timers may fire up
 * to ~1 ms early: whoever owns t compares the wall clock with its due time when
 * it fires and calls this again if early. */
static inline void sched_timer_at(uv_timer_t *t, uv_timer_cb cb, int64_t at_ms) {
  int64_t now = qf_clock_now_ms();
  uv_update_time(t->loop);
  uv_timer_start(t, cb, at_ms > now ? (uint64_t)(at_ms - now) : 0, 0);
}

#endif
