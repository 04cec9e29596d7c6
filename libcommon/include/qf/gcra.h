/* Rate-limit cells: the Generic Cell Rate Algorithm (GCRA) for "N per W" limits,
 * exact and without burst, as the chat platforms count them.
 *
 * A limit holds the emission interval T = W/N as an exact fraction (whole
 * microseconds plus a remainder in 1/N µs), so 30/s or 7/s lose no throughput to
 * rounding and gain none either. A cell holds one key's theoretical arrival time
 * (TAT), also exact. A cell is a small POD: keep one per key (group, account,
 * dialect, global) in any array; a zeroed cell is fresh (never used).
 *
 * Rule (tolerance tau = 0): a cell conforms at now iff now >= TAT; a take at now
 * sets TAT = v + T, where the take's "virtual time" v is TAT itself if TAT lies in
 * (now - 1, now], else now. Times are whole microseconds, so a take at ceil(TAT)
 * stands for one at TAT; chaining on TAT is what carries T's fraction from take to
 * take (otherwise 30/s would run at 1e6/33334 per second).
 *
 * Guarantee: in every half-open window [t, t + W) at most N cells are taken, and
 * back-to-back takes run at exactly N per W. Proof: take i happens at t_i = ceil(v_i)
 * (t_i - 1 < v_i <= t_i by the choice of v), and v_{i+1} >= TAT =
 * v_i + T. By induction v_{i+N} >= v_i + N*T = v_i + W, so t_{i+N} = ceil(v_{i+N}) >=
 * ceil(v_i + W) = t_i + W, W being whole microseconds. Any N + 1 takes thus span at
 * least W, while two instants inside [t, t + W) differ by less than W. Tight: with
 * T whole, takes at 0, T, ..., (N-1)T all lie in [0, W) and the next one comes at W.
 * (In a chain two neighbours may be floor(T) apart; N + 1 of them always span W.)
 *
 * What the guarantee is about: the instants passed to qf_gcra_take. A receiver sees
 * them shifted by transit time; a caller that must absorb jitter at the receiver
 * widens W (e.g. period + margin) when building the limit.
 *
 * Time: int64 microseconds, >= 0 and < 2^62, from one clock per cell. Use the
 * monotonic clock (qf_clock_mono_us): a clock that jumps forward would grant cells
 * early; one that goes backwards grants nothing extra (TAT stays ahead of it, so the
 * cell waits for the clock to catch up — the spacing in real time only grows).
 * Monotonic state is meaningless in another boot, so it is not persisted: after a
 * restart use qf_gcra_restore (the key counts as just used).
 *
 * No function here allocates, locks or fails at run time: they are pure
 * arithmetic on the caller's memory; a cell is not thread-safe by itself. */
#ifndef QF_GCRA_H
#define QF_GCRA_H
#include <stddef.h>
#include <stdint.h>

struct qf_rate; /* qf/group.h */

/* The emission interval W/N = step_us + step_rem/count µs. */
typedef struct qf_gcra_limit {
  int64_t step_us;
  uint32_t step_rem; /* < count */
  uint32_t count;    /* N */
} qf_gcra_limit;

/* One key's state: TAT = tat_us + tat_rem/count µs (count of the cell's limit);
 * 16 bytes, so 100,000 keys in four tiers take 6.4 MB. */
typedef struct qf_gcra_cell {
  int64_t tat_us;
  uint32_t tat_rem;
} qf_gcra_cell;

#define QF_GCRA_CELL_INIT                                                              \
  { 0, 0 }

/* Builds the limit "count per period_us" (count >= 1, 1 <= period_us < 2^40, so an
 * hour or a day is fine). QF_EINVAL otherwise. */
int qf_gcra_limit_init(qf_gcra_limit *out, uint32_t count, int64_t period_us);

/* The same from a parsed rate ("20/min": count 20, period 60,000 ms). QF_EINVAL if
 * rate is NULL or out of those bounds. rate is borrowed. */
int qf_gcra_limit_from_rate(qf_gcra_limit *out, const struct qf_rate *rate);

/* Asks for one cell at now_us. Returns 0 when it conforms, and then records the
 * take in cell; otherwise leaves cell as it was and returns the earliest instant
 * (always > now_us) at which a take would conform. */
int64_t qf_gcra_take(qf_gcra_cell *cell, const qf_gcra_limit *limit, int64_t now_us);

/* What qf_gcra_take would return, without recording anything. */
int64_t qf_gcra_peek(const qf_gcra_cell *cell, const qf_gcra_limit *limit,
                     int64_t now_us);

/* Tiers: takes one cell from each of cells[0..n) (distinct) only if all conform at
 * now_us (then returns 0); otherwise changes none and returns the latest of their
 * earliest conforming instants, the first moment at which all might conform. */
int64_t qf_gcra_take_all(qf_gcra_cell *const cells[],
                         const qf_gcra_limit *const limits[], size_t n, int64_t now_us);

/* Conservative restore for a key whose state was not saved: counts it as used at
 * now_us (TAT = now_us + T), so what was taken before a crash plus what is taken
 * after never exceeds N in any window, provided every earlier take happened at or
 * before now_us (if leases granted before the restart may still be sent, pass now
 * plus the longest such delay). Proof, in the terms above: earlier takes have
 * virtual times ... <= v_m <= now, later ones v'_j >= now + j*T. Among N + 1
 * consecutive takes, say the last N + 1 - j earlier ones and the first j later ones,
 * the first has v_a <= now - (N - j)*T =: x and the last v'_j >= x + W, so they are
 * ceil(x + W) - ceil(x) = W apart at least. Also use it when a key's limit changes:
 * the cell is then valid for the new limit (whose 1/N units its remainder uses);
 * takes made under the old limit are not recounted against the new one. */
void qf_gcra_restore(qf_gcra_cell *cell, const qf_gcra_limit *limit, int64_t now_us);

#endif
