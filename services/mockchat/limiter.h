/* The platforms' rate limits as the simulator enforces them: per key (a robot,
 * a chat, a bot) up to two "count per per_ms" windows, judged exactly over any
 * window (window.h), and an optional silence after a violation (DingTalk mutes
 * a robot that exceeds its limit for 10 minutes). Only accepted messages use
 * the windows; a refused one does not.
 *
 * Time scale: every window and silence is divided by the scale given at
 * creation, so a test can watch a 10-minute silence pass in 10 s (scale 60).
 * Thread-safe. */
#ifndef MOCKCHAT_LIMITER_H
#define MOCKCHAT_LIMITER_H
#include <stddef.h>
#include <stdint.h>

#define MC_RATES_MAX 2

typedef struct mc_rate {
  uint32_t count; /* 0 = unused */
  int64_t per_ms;
} mc_rate;

/* The limits one message is judged against under one key. */
typedef struct limit_rule {
  const char *key; /* borrowed; e.g. "wecom:<key>" */
  mc_rate rates[MC_RATES_MAX];
  int64_t silence_ms; /* after a violation nothing passes for this long; 0 = none */
} limit_rule;

typedef enum limit_verdict {
  LIMIT_OK = 0,   /* accepted and counted under every rule */
  LIMIT_OVER,     /* a window is full: a violation */
  LIMIT_SILENCED, /* the key is silenced after an earlier violation */
} limit_verdict;

typedef struct limiter limiter;

/* time_scale > 0; 1 is real time. */
limiter *limiter_new(double time_scale);
/* NULL is a no-op. */
void limiter_free(limiter *l);
/* Judges one message at monotonic now_ms against every rule at once: either all
 * windows count it (LIMIT_OK) or none does. Otherwise *wait_ms (scaled, > 0)
 * says when the first refusing key would take it and *which names that rule's
 * index. A violation starts the rule's silence. */
limit_verdict limiter_take(limiter *l, const limit_rule *rules, size_t n,
                           int64_t now_ms, int64_t *wait_ms, size_t *which);
/* The scaled length of ms (at least 1). */
int64_t limiter_scale(const limiter *l, int64_t ms);

#endif
