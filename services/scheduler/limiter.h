/* Rate-limit keys in tiers, and what the scheduler knows of each group to judge
 * a delivery: its limits, its account, its time zone, quiet hours and daily cap.
 *
 * A key is one GCRA state per limit in force (qf/gcra.h; a platform may publish
 * two, e.g. 5/s and 100/min) plus a hold (a platform's Retry-After). The tiers
 * of a delivery are its group's key, its account's key (when the group names an
 * account), its dialect's key and the global key. A delivery may be leased only
 * when every one of them conforms; limits_take takes a cell of each at once or
 * none (qf_gcra_take_all).
 *
 * Limits counted at the receiver. A group's own limits are exact whatever the
 * delay between a lease and its message reaching the receiver: each is a window
 * log (wlog.h) of the instants its leases ended (a result came back or the
 * lease expired: by then the message has reached the receiver or never will),
 * and a lease still out counts as arriving within every window that reaches
 * the present. Up to N leases of a group may be out at once, so a busy group
 * runs close to its limit instead of one message per round trip. Shared keys
 * (account, dialect) take their cells at lease time and are enforced as N per
 * (W + margin): a message reaching the receiver up to margin later than its
 * lease still keeps every window of W within N.
 *
 * The global limit is the operator's own: no margin, and a burst of B leases
 * (GCRA with tolerance (B - 1) T, B - 1 = N * LIMITS_GLOBAL_BURST_MS / W
 * rounded down, at most N - 1), so leases taken a little late (timer granularity, a
 * Lease call in transit) catch up and the achieved rate is the set one. Guarantee: at
 * most N + B - 1 leases in any window of W, and N per W in the long run.
 *
 * Restarts: no state of a cell is saved. Every key counts as used at the
 * restore point given at start-up (qf_gcra_restore): a wall-clock instant by
 * which every lease of the earlier run has been sent or given up
 * (docs/scheduler.md, "Rate limits").
 *
 * Learned limits (learn.h): a platform's rate-limit answer for a group lowers
 * the group's shortest-window limit, never above what is configured. Only the
 * group's key learns: no platform's answer says reliably whether the group's
 * or the account's limit tripped (Telegram answers both with the same 429),
 * and lowering the groups that were refused lowers their account's traffic
 * too. A learned limit is written to the work stream ("learn:<group>" in the
 * meta db) and read back with the group, so it survives a restart; a change of
 * the group's configured limits forgets it.
 *
 * Groups are read from LMDB the first time they are needed and kept; a group
 * upsert bumps *groups_gen, after which each group is read again on its next
 * use (a changed limit restores its cells as the gcra header says).
 *
 * Everything runs on the loop thread. Keys live as long as the limits. */
#ifndef SCHED_LIMITER_H
#define SCHED_LIMITER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commit.h"
#include "learn.h"
#include "model.pb-c.h"
#include "qf/gcra.h"
#include "qf/group.h"
#include "qf/kv.h"
#include "qf/tz.h"
#include "wlog.h"

#define LIMITS_CELLS 2
#define LIMITS_CHAIN 3 /* group, account, dialect; global apart */
#define LIMITS_GLOBAL_BURST_MS 100

enum limits_tier { TIER_GROUP, TIER_ACCOUNT, TIER_DIALECT, TIER_GLOBAL };

typedef struct parkq parkq; /* ready.c: deliveries waiting for a key */

typedef struct lkey {
  qf_gcra_cell cell[LIMITS_CELLS]; /* shared and global keys; groups: ginfo.win */
  qf_gcra_limit limit[LIMITS_CELLS];
  uint8_t n;                  /* limits in force; 0 = none */
  uint8_t tier;               /* enum limits_tier */
  uint8_t state;              /* ready.c's: idle, waiting (in its heap) or due */
  uint8_t due_rank;           /* ready.c's: the due list it is on */
  uint32_t inflight;          /* group keys: leases out (at most the smallest N) */
  int64_t hold_us;            /* nothing conforms before this (Retry-After); 0 = none */
  parkq *pq;                  /* ready.c's; NULL = nothing parked */
  struct lkey *dnext, *dprev; /* ready.c's due list */
  const char *name;           /* for logs: a group id, "dialect/account", ... */
} lkey;

/* A group as the limiter sees it. */
typedef struct ginfo {
  lkey key;                   /* first: a group's lkey is its ginfo */
  wlog win[LIMITS_CELLS];     /* the group's limits, key.n of them */
  lkey *up[LIMITS_CHAIN - 1]; /* account, dialect keys; NULL when none */
  const qf_tz *tz;            /* NULL = UTC */
  qf_quiet quiet;
  bool has_quiet;
  uint32_t daily_cap; /* 0 = none */
  int64_t cap_day;    /* local day cap_count is about */
  uint32_t cap_count;
  uint64_t gen; /* *groups_gen when last read */
  learn lrn;    /* lowers win[lcell] when lrn.limit > 0 */
  uint8_t lcell;
  const char *dialect; /* static (qf_dialect.name), for labels and logs */
  struct ginfo *hnext;
  char id[];
} ginfo;

typedef struct limits limits;

typedef struct limits_opts {
  qf_rate global;             /* count 0 = no global limit */
  int64_t margin_ms;          /* added to the period of platform limits */
  int64_t restore_at_ms;      /* wall ms every key counts as used at; 0 = none */
  qf_kv *kv;                  /* groups and daily counts are read here; NULL: none */
  commit *work;               /* daily counts are written here; NULL: not kept */
  const uint64_t *groups_gen; /* NULL: groups never change */
  bool no_learn;              /* rate-limit answers teach nothing */
} limits_opts;

limits *limits_new(const limits_opts *o);
/* NULL is a no-op. Parked queues must be empty (ready.c drains them first). */
void limits_free(limits *l);

/* The group with this id: from memory, or read through txn (borrowed; NULL
 * reads nothing) when unknown or changed since. NULL when it is not found. */
ginfo *limits_group(limits *l, qf_kv_txn *txn, const char *id);
/* Creates or updates the group of rec (borrowed) and returns it. The record
 * must be valid (qf_group_validate). */
ginfo *limits_group_set(limits *l, const Qunfa__Group *rec);

lkey *limits_global(limits *l);
/* Frees the window-log rings nothing in which counts any more at now_us, for
 * about `budget` groups from where the last call stopped (a ring is otherwise
 * freed only at its group's next lease, which may never come). Returns how many
 * rings it freed. */
size_t limits_trim(limits *l, int64_t now_us, size_t budget);
/* Calls fn for every key: each group's, each shared key, the global key. */
void limits_each_key(limits *l, void (*fn)(lkey *k, void *arg), void *arg);
/* The keys of g that may block, lowest tier first: the group's, then its
 * account's and dialect's when they exist. Returns how many (1..3). */
size_t limits_chain(ginfo *g, lkey *out[LIMITS_CHAIN]);

/* 0 when k conforms at now_us, else the earliest instant it might: INT64_MAX
 * while as many leases of it are out as its limit allows (it may conform again
 * once one ends). */
int64_t limits_peek(const lkey *k, int64_t now_us);
/* Leases one delivery of g at now_us if every key conforms: takes a cell of
 * every shared key and of the global key, and counts the lease out on the
 * group's key when it is limited (*inflight set: call limits_done when the
 * lease ends). Returns 0 then; otherwise changes nothing (but may free a
 * stale window log), *blocker is the lowest-tier key that does not conform and
 * the result is when it might. */
int64_t limits_take(limits *l, ginfo *g, int64_t now_us, lkey **blocker,
                    bool *inflight);
/* A lease counted out on g's key ended at now_us: if it may have been sent
 * (anything but given back unused), it is logged as arrived by now. */
void limits_done(ginfo *g, int64_t now_us, bool sent);
/* Nothing of k conforms before until_us (a platform asked to slow down). */
void limits_hold(lkey *k, int64_t until_us);

/* The platform accepted a delivery of g at now_us: counted for what is
 * learned, and a learned limit may recover (logged and written when it does). */
void limits_accepted(limits *l, ginfo *g, int64_t now_us);
/* The platform answered a delivery of g with its rate limit at now_us: g may
 * learn a lower limit (logged and written when it does). */
void limits_throttled(limits *l, ginfo *g, int64_t now_us);
/* The count in force for g's learned-on limit (*window_us set to its window),
 * or 0 when g has no limit. For tests and stats. */
uint32_t limits_learned(const ginfo *g, int64_t *window_us);

/* Daily cap, counted per local day of the group's zone at now_ms: whether the
 * cap is reached, and counting one more post (written to the work stream). */
bool limits_cap_reached(limits *l, ginfo *g, int64_t now_ms);
void limits_cap_count(limits *l, ginfo *g, int64_t now_ms);

/* The limit "count per period_ms" as the receiver must see it, with the
 * margin added: exposed for tests. */
void limits_platform(const limits *l, qf_gcra_limit *out, uint32_t count,
                     int64_t period_ms);

#endif
