#include "learn.h"

uint32_t learn_count(const learn *s, uint32_t n) {
  return s->limit > 0 && s->limit < n ? s->limit : n;
}

int64_t learn_quiet_us(int64_t window_us) {
  int64_t q = LEARN_QUIET_WINDOWS * window_us;
  return q > LEARN_QUIET_MIN_MS * 1000 ? q : LEARN_QUIET_MIN_MS * 1000;
}

/* Moves the buckets so the current one holds now_us. */
static void roll(learn *s, int64_t window_us, int64_t now_us) {
  int64_t age = now_us - s->acc_at_us;
  if (s->acc_at_us == 0 || age >= 2 * window_us) {
    s->acc_prev = s->acc_cur = 0;
    s->acc_at_us = now_us;
  } else if (age >= window_us) {
    s->acc_prev = s->acc_cur;
    s->acc_cur = 0;
    s->acc_at_us += window_us;
  }
}

void learn_accepted(learn *s, int64_t window_us, int64_t now_us) {
  roll(s, window_us, now_us);
  s->acc_cur++;
}

uint32_t learn_recent(const learn *s, int64_t window_us, int64_t now_us) {
  learn t = *s;
  int64_t left;
  roll(&t, window_us, now_us);
  /* The previous bucket counts for the share of it still inside the window. */
  left = window_us - (now_us - t.acc_at_us);
  if (left < 0)
    left = 0;
  return t.acc_cur + (uint32_t)((int64_t)t.acc_prev * left / window_us);
}

bool learn_throttled(learn *s, uint32_t n, int64_t window_us, int64_t now_us) {
  uint32_t e = learn_count(s, n), accepted, to;
  s->calm_us = now_us;
  if (s->limit > 0 && now_us - s->cut_us < window_us)
    return false; /* answers to leases sent before the last cut */
  accepted = learn_recent(s, window_us, now_us);
  to = e / 2 < accepted ? e / 2 : accepted;
  if (to < e / LEARN_CUT_MAX)
    to = e / LEARN_CUT_MAX;
  if (to < LEARN_FLOOR)
    to = LEARN_FLOOR;
  if (to >= e)
    return false; /* already at the floor */
  s->limit = to;
  s->cut_us = now_us;
  return true;
}

bool learn_recover(learn *s, uint32_t n, int64_t window_us, int64_t now_us) {
  int64_t q = learn_quiet_us(window_us), periods;
  uint32_t step = n / LEARN_STEP_DIV > 1 ? n / LEARN_STEP_DIV : 1;
  learn_accepted(s, window_us, now_us);
  if (s->limit == 0 || now_us - s->calm_us < q)
    return false;
  periods = (now_us - s->calm_us) / q;
  if (s->limit >= n || (int64_t)(n - s->limit) <= periods * step)
    s->limit = 0; /* back at the configured limit */
  else
    s->limit += (uint32_t)(periods * step);
  s->calm_us += periods * q;
  return true;
}
