/* A group's window log: the limit "N per W" counted at the receiver, with up to
 * N leases of the group out at once.
 *
 * The log holds the completion instants c of the group's last messages: when
 * the result came back or the lease expired (a dispatcher starts no send after
 * a lease's deadline and bounds the transfer by it). A message issued at l and
 * completed at c reached its receiver at some a in [l, c], whatever the send
 * delays. A lease still out counts as arriving at its latest possible instant,
 * i.e. inside every window that reaches the present.
 *
 * Rule: with `out` leases out, a new lease may be issued at l only if fewer
 * than N - out logged completions lie in (l - W, l]; that is, the (N - out)-th
 * most recent completion c satisfies c + W <= l.
 *
 * Guarantee: no window [t, t + W) holds N + 1 arrivals. Proof: say it does;
 * let m be the one of those N + 1 messages whose lease was issued last, at l_m.
 * a_m >= l_m and a_m < t + W, so l_m - W < t. Each of the other N was issued at
 * or before l_m, so at l_m it was either out or completed at c >= a >= t >
 * l_m - W, i.e. in (l_m - W, l_m]: out + (completions in the window) >= N at
 * l_m, and the rule refused m. Contradiction.
 *
 * Pace: N leases may be out at once (pipelining), so a busy group runs at N
 * per (W + the lease-to-result time of one message), not one message per
 * (W/N + that time).
 *
 * Memory: exact mode (N <= WLOG_EXACT_MAX) keeps the last N completions, 8 B
 * each. For a larger N the log keeps completions in WLOG_BUCKETS buckets of
 * q = ceil(W / WLOG_BUCKETS), each completion counted at the end of its bucket
 * (later than c, so still an upper bound of its arrival: the guarantee holds
 * unchanged); the price is up to q of pace per window. While every logged
 * completion is at one instant (base_us, base_n of them: a group that has
 * sent once, the common case of a fan-out) the log needs no ring; the ring is
 * allocated on the first completion at a later instant and freed (wlog_trim,
 * at the group's next lease or by the sampler's walk, limits_trim) once nothing
 * in it can matter, so groups without recent traffic cost nothing
 * beyond the struct. (A ring for every group that sent once cost 420 B a group
 * of a 1,000,000/s limit, 43 MB over a 100,000-group fan-out.)
 *
 * Restarts and limit changes: a log started "at" an instant counts N
 * completions at it, so the first lease after it is at + W: every message of an
 * earlier run arrived by then (the lease horizon), and those may have been N
 * within the last W before it.
 *
 * Completions must be recorded in nondecreasing order of now_us (one monotonic
 * clock); an instant earlier than the newest entry (a restore point in the
 * future) is recorded as that entry's, which is later and therefore safe. */
#ifndef SCHED_WLOG_H
#define SCHED_WLOG_H
#include <stdint.h>

#define WLOG_EXACT_MAX 64
#define WLOG_BUCKETS 32

typedef struct wlog {
  int64_t *t;        /* ring of instants; NULL: only base_us */
  int64_t base_us;   /* with t NULL: base_n completions at it; WLOG_NONE: none */
  int64_t window_us; /* W */
  int64_t q_us;      /* bucket width; 0 in exact mode */
  uint32_t count;    /* N; 0: no limit */
  uint32_t slots;    /* ring size */
  uint32_t head;     /* exact: the oldest (next written); buckets: the newest */
  uint32_t used;     /* buckets in use */
  uint32_t base_n;   /* with t NULL: completions at base_us (at most N) */
} wlog;

#define WLOG_NONE (INT64_MIN / 4)

/* Sets w to "count per window_us" (count >= 1) with count completions at
 * at_us (0: none). Frees an earlier ring of w. */
void wlog_init(wlog *w, uint32_t count, int64_t window_us, int64_t at_us);
/* Frees the ring; w stays usable as an empty log. */
void wlog_free(wlog *w);
/* 0 when a lease may be issued at now_us with `out` leases out, INT64_MAX when
 * none may until one of those ends, else the earliest instant one may. */
int64_t wlog_peek(const wlog *w, uint32_t out, int64_t now_us);
/* A lease that may have been sent ended at now_us. */
void wlog_done(wlog *w, int64_t now_us);
/* Frees the ring when no entry can count in a window ending at now_us or
 * later. */
void wlog_trim(wlog *w, int64_t now_us);

#endif
