/* GCRA with tau = 0 and exact fractional emission intervals; see qf/gcra.h for the
 * rule and the proof of the window guarantee. Instants of the 1/N µs grid are held
 * as (whole µs, remainder in [0, N)) pairs and compared lexicographically. */
#include "qf/gcra.h"

#include <stdbool.h>

#include "qf/err.h"
#include "qf/group.h"

#define PERIOD_US_MAX (INT64_C(1) << 40)

int qf_gcra_limit_init(qf_gcra_limit *out, uint32_t count, int64_t period_us) {
  if (!out || count < 1 || period_us < 1 || period_us >= PERIOD_US_MAX)
    return QF_EINVAL;
  out->count = count;
  out->step_us = period_us / count;
  out->step_rem = (uint32_t)(period_us % count);
  return 0;
}

int qf_gcra_limit_from_rate(qf_gcra_limit *out, const struct qf_rate *rate) {
  if (!rate || rate->period_ms < 1 || rate->period_ms >= PERIOD_US_MAX / 1000)
    return QF_EINVAL;
  return qf_gcra_limit_init(out, rate->count, rate->period_ms * 1000);
}

/* The cell's TAT in the limit's units. A remainder that does not fit (the cell was
 * last used with a larger N) is rounded up to the next whole µs: later, never
 * earlier, so the limit still holds. */
static qf_gcra_cell normalized(const qf_gcra_cell *cell, const qf_gcra_limit *limit) {
  qf_gcra_cell c = *cell;

  if (c.tat_rem >= limit->count) {
    c.tat_us++;
    c.tat_rem = 0;
  }
  return c;
}

/* ceil(TAT): the first whole µs at which the cell conforms. */
static int64_t earliest(const qf_gcra_cell *c) {
  return c->tat_us + (c->tat_rem != 0);
}

static bool grid_less(const qf_gcra_cell *a, const qf_gcra_cell *b) {
  return a->tat_us < b->tat_us || (a->tat_us == b->tat_us && a->tat_rem < b->tat_rem);
}

static void add_step(qf_gcra_cell *c, const qf_gcra_limit *limit) {
  c->tat_us += limit->step_us;
  c->tat_rem += limit->step_rem;
  if (c->tat_rem >= limit->count) {
    c->tat_rem -= limit->count;
    c->tat_us++;
  }
}

int64_t qf_gcra_peek(const qf_gcra_cell *cell, const qf_gcra_limit *limit,
                     int64_t now_us) {
  qf_gcra_cell c = normalized(cell, limit);
  int64_t at = earliest(&c);

  return now_us >= at ? 0 : at;
}

int64_t qf_gcra_take(qf_gcra_cell *cell, const qf_gcra_limit *limit, int64_t now_us) {
  qf_gcra_cell tat = normalized(cell, limit);
  qf_gcra_cell v;
  int64_t at = earliest(&tat);

  if (now_us < at)
    return at;
  /* A take that follows its predecessor within the µs rounding keeps the exact
   * chain (v = TAT); after idle time the chain restarts at now. */
  v.tat_us = now_us - 1;
  v.tat_rem = 0;
  if (grid_less(&v, &tat))
    v = tat;
  else
    v.tat_us = now_us;
  add_step(&v, limit);
  *cell = v;
  return 0;
}

int64_t qf_gcra_take_all(qf_gcra_cell *const cells[],
                         const qf_gcra_limit *const limits[], size_t n,
                         int64_t now_us) {
  int64_t latest = 0;

  for (size_t i = 0; i < n; i++) {
    int64_t at = qf_gcra_peek(cells[i], limits[i], now_us);
    if (at > latest)
      latest = at;
  }
  if (latest != 0)
    return latest;
  for (size_t i = 0; i < n; i++)
    qf_gcra_take(cells[i], limits[i], now_us);
  return 0;
}

void qf_gcra_restore(qf_gcra_cell *cell, const qf_gcra_limit *limit, int64_t now_us) {
  cell->tat_us = now_us;
  cell->tat_rem = 0;
  add_step(cell, limit);
}
