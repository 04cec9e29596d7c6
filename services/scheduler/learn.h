/* A group's learned limit: a rate below the configured one that the platform's
 * "slow down" answers (qf_dialect_result.throttled) taught the scheduler, so
 * the next burst into the group does not trip the platform again (AIMD).
 *
 * The learned limit L lowers one limit "N per W" of the group (the limiter
 * picks the one with the shortest window) to L per W, 1 <= L < N; L = 0 means
 * nothing is learned and N applies. It never raises a limit: the configured
 * (or dialect) limit stays exact, the learned one only adds to it.
 *
 * Decrease, on a throttled answer: L becomes min(E / 2, A), but at least
 * E / LEARN_CUT_MAX and LEARN_FLOOR (rounded down), where E is the count in
 * force (L, or N) and A the answers the platform accepted within the last W:
 * the platform just took A and refused one more, so what it takes is near A;
 * at least half goes, so a cut is felt even when A is high; at most three
 * quarters, since A says little when the refusal was not about our rate (the
 * robot's quota spent by another sender, a platform's burst penalty): one
 * such answer costs a 20/min group 15/min, not 19. Throttled answers within W
 * of a decrease are the same episode (sent at the old rate: a group may have
 * N leases out at once) and change nothing.
 *
 * Recovery: after a quiet period Q = max(LEARN_QUIET_MIN_MS, LEARN_QUIET_WINDOWS
 * x W) without a throttled answer, an accepted answer raises L by
 * max(1, N / LEARN_STEP_DIV) for each whole Q elapsed; reaching N forgets it.
 * Slow on purpose: a platform whose limit is steady is probed again at most
 * once per Q, and every probe that trips it costs a retry.
 *
 * Pure arithmetic on monotonic microseconds: no clock, no I/O. */
#ifndef SCHED_LEARN_H
#define SCHED_LEARN_H
#include <stdbool.h>
#include <stdint.h>

#define LEARN_FLOOR 1
#define LEARN_CUT_MAX 4 /* one decrease keeps at least a quarter */
#define LEARN_QUIET_MIN_MS 60000
#define LEARN_QUIET_WINDOWS 10
#define LEARN_STEP_DIV 10

typedef struct learn {
  uint32_t limit;             /* L; 0 = nothing learned */
  uint32_t acc_cur, acc_prev; /* accepted answers in this and the previous W */
  int64_t acc_at_us;          /* when the current bucket of W began */
  int64_t cut_us;             /* the last decrease */
  int64_t calm_us;            /* the last throttled answer or change: Q runs from it */
} learn;

/* The count in force for a limit of n: L when learned, else n. */
uint32_t learn_count(const learn *s, uint32_t n);
/* Counts an answer the platform accepted at now_us. */
void learn_accepted(learn *s, int64_t window_us, int64_t now_us);
/* The answers accepted within the last window_us before now_us (the current
 * bucket plus the part of the previous one the window still covers). */
uint32_t learn_recent(const learn *s, int64_t window_us, int64_t now_us);
/* A throttled answer at now_us for the limit "n per window_us": true when L
 * changed. */
bool learn_throttled(learn *s, uint32_t n, int64_t window_us, int64_t now_us);
/* An accepted answer at now_us: counts it, and true when L rose (or was
 * forgotten: back at n) after the quiet period. */
bool learn_recover(learn *s, uint32_t n, int64_t window_us, int64_t now_us);
/* The quiet period Q for a window. */
int64_t learn_quiet_us(int64_t window_us);

#endif
