/* A sliding-window log: the times of the last `count` accepted messages, so
 * "at most count in any window of per_ms" is judged exactly, the way a receiver
 * counts (a platform's limit holds for every window, not only calendar ones).
 * Pure; not thread-safe (limiter.c locks around it). */
#ifndef MOCKCHAT_WINDOW_H
#define MOCKCHAT_WINDOW_H
#include <stdbool.h>
#include <stdint.h>

typedef struct window {
  int64_t *ts;   /* ring of accepted times, cap entries */
  uint32_t cap;  /* the limit's count */
  uint32_t n;    /* entries held, <= cap */
  uint32_t head; /* the oldest entry */
  int64_t per_ms;
} window;

/* Starts w for count messages per per_ms (count >= 1, per_ms >= 1). */
void window_init(window *w, uint32_t count, int64_t per_ms);
/* Frees the ring. */
void window_fini(window *w);
/* True when one more message at now_ms keeps every window within the limit;
 * otherwise false and *wait_ms says how long until it would (> 0). Does not
 * count the message: see window_add. */
bool window_admits(const window *w, int64_t now_ms, int64_t *wait_ms);
/* Counts one accepted message at now_ms (times must not go backwards). */
void window_add(window *w, int64_t now_ms);

#endif
