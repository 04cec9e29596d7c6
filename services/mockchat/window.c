#include "window.h"

#include "qf/alloc.h"

#include <stdlib.h>

void window_init(window *w, uint32_t count, int64_t per_ms) {
  w->cap = count ? count : 1;
  w->ts = qf_calloc(w->cap, sizeof *w->ts);
  w->n = 0;
  w->head = 0;
  w->per_ms = per_ms > 0 ? per_ms : 1;
}

void window_fini(window *w) {
  free(w->ts);
  w->ts = NULL;
}

bool window_admits(const window *w, int64_t now_ms, int64_t *wait_ms) {
  if (w->n < w->cap)
    return true;
  /* Full: the new message may come once the oldest of the last cap leaves the
   * window, i.e. when the window (t - per, t] holds at most cap - 1 of them. */
  int64_t free_at = w->ts[w->head] + w->per_ms;
  if (free_at <= now_ms)
    return true;
  *wait_ms = free_at - now_ms;
  return false;
}

void window_add(window *w, int64_t now_ms) {
  if (w->n < w->cap) {
    w->ts[(w->head + w->n) % w->cap] = now_ms;
    w->n++;
    return;
  }
  w->ts[w->head] = now_ms;
  w->head = (w->head + 1) % w->cap;
}
