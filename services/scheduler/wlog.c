/* The window log; see wlog.h for the rule and its proof. */
#include "wlog.h"

#include <stdbool.h>
#include <stdlib.h>

#include "qf/alloc.h"

/* Bucket mode keeps this many slots. Slots after the first hold multiples of q,
 * strictly increasing, and a new one is at most now + q; of SLOTS slots the
 * oldest is therefore more than (SLOTS - 2) q older than the newest, i.e.
 * earlier than now - (SLOTS - 3) q <= now - W: overwriting it drops nothing a
 * window ending now or later could count. */
#define BUCKET_SLOTS (WLOG_BUCKETS + 3)

static bool exact(const wlog *w) {
  return w->q_us == 0;
}

/* Bucket counts live after the instants, in the same block. */
static uint32_t *counts(const wlog *w) {
  return (uint32_t *)(w->t + w->slots);
}

void wlog_free(wlog *w) {
  free(w->t);
  w->t = NULL;
  w->base_us = WLOG_NONE;
  w->base_n = 0;
  w->used = 0;
  w->head = 0;
}

void wlog_init(wlog *w, uint32_t count, int64_t window_us, int64_t at_us) {
  free(w->t);
  w->t = NULL;
  w->count = count;
  w->window_us = window_us;
  w->base_us = at_us > 0 ? at_us : WLOG_NONE;
  w->base_n = at_us > 0 ? count : 0;
  w->head = w->used = 0;
  if (count <= WLOG_EXACT_MAX) {
    w->q_us = 0;
    w->slots = count;
  } else {
    w->q_us = (window_us + WLOG_BUCKETS - 1) / WLOG_BUCKETS;
    w->slots = BUCKET_SLOTS;
  }
}

/* Allocates the ring holding what base_us stands for. */
static void materialize(wlog *w) {
  size_t per = exact(w) ? sizeof(int64_t) : sizeof(int64_t) + sizeof(uint32_t);
  w->t = qf_malloc(w->slots * per);
  w->head = 0;
  if (exact(w)) {
    /* Oldest first: the slots before the base_n newest are empty. */
    for (uint32_t i = 0; i < w->slots; i++)
      w->t[i] = i < w->slots - w->base_n ? WLOG_NONE : w->base_us;
    return;
  }
  w->used = w->base_n > 0;
  w->t[0] = w->base_us;
  counts(w)[0] = w->base_n;
}

static int64_t newest(const wlog *w) {
  if (w->t == NULL)
    return w->base_us;
  if (exact(w))
    return w->t[(w->head + w->slots - 1) % w->slots];
  return w->used ? w->t[w->head] : WLOG_NONE;
}

/* The k-th most recent completion (1 <= k <= N), WLOG_NONE when fewer are
 * logged. */
static int64_t kth_recent(const wlog *w, uint32_t k) {
  uint32_t seen = 0;
  if (w->t == NULL)
    return k <= w->base_n ? w->base_us : WLOG_NONE;
  if (exact(w))
    return w->t[(w->head + w->slots - k) % w->slots];
  for (uint32_t i = 0; i < w->used; i++) {
    uint32_t at = (w->head + w->slots - i) % w->slots;
    seen += counts(w)[at];
    if (seen >= k)
      return w->t[at];
  }
  return WLOG_NONE;
}

int64_t wlog_peek(const wlog *w, uint32_t out, int64_t now_us) {
  int64_t at;
  if (w->count == 0)
    return 0;
  if (out >= w->count)
    return INT64_MAX;
  at = kth_recent(w, w->count - out);
  if (at == WLOG_NONE || now_us >= at + w->window_us)
    return 0;
  return at + w->window_us;
}

void wlog_done(wlog *w, int64_t now_us) {
  int64_t last, c = now_us;
  if (w->count == 0)
    return;
  if (!exact(w))
    /* Counted at the end of its bucket: later than it completed, so safe. */
    c = (c + w->q_us - 1) / w->q_us * w->q_us;
  if (w->t == NULL && (w->base_n == 0 || c <= w->base_us)) {
    /* Still one instant: the first completion, or one at (or, out of order,
     * before) the base, recorded as the base as a ring would. */
    if (w->base_n == 0)
      w->base_us = c;
    if (w->base_n < w->count)
      w->base_n++;
    return;
  }
  if (w->t == NULL)
    materialize(w);
  last = newest(w);
  if (exact(w)) {
    w->t[w->head] = c > last ? c : last;
    w->head = (w->head + 1) % w->slots;
    return;
  }
  if (w->used > 0 && c <= last) {
    counts(w)[w->head]++;
    return;
  }
  w->head = w->used ? (w->head + 1) % w->slots : 0;
  w->t[w->head] = c;
  counts(w)[w->head] = 1;
  if (w->used < w->slots)
    w->used++;
}

void wlog_trim(wlog *w, int64_t now_us) {
  int64_t last = newest(w);
  if (last != WLOG_NONE && last + w->window_us > now_us)
    return;
  wlog_free(w);
}
