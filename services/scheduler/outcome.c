#include "outcome.h"

#include <stdio.h>
#include <stdlib.h>

#include "active.h"
#include "commit.h"
#include "limiter.h"
#include "live.h"
#include "metrics.h"
#include "qf/clock.h"
#include "ready.h"

#define BACKOFF_BASE_MS 500
#define BACKOFF_MAX_MS 60000
#define RETRY_AFTER_MAX_MS 3600000

/* xorshift64*: jitter needs spread, not secrecy. */
static uint64_t rng_state;

static uint64_t rng_next(void) {
  uint64_t x = rng_state;
  if (x == 0)
    x = (uint64_t)qf_clock_mono_us() * 0x9E3779B97F4A7C15ull | 1;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

int64_t outcome_backoff_ms(uint32_t attempts) {
  int64_t cap = BACKOFF_BASE_MS;
  for (uint32_t i = 1; i < attempts && cap < BACKOFF_MAX_MS; i++)
    cap *= 2;
  if (cap > BACKOFF_MAX_MS)
    cap = BACKOFF_MAX_MS;
  return (int64_t)(rng_next() % (uint64_t)(cap + 1));
}

static void finish(sched *s, apost *p, uint32_t seq) {
  apost_write(p, seq, commit_batch(s->work));
  if (adlv_final(p->d[seq].state)) {
    live_final(s->lv, p, seq); /* a live session's next segment for the group */
    active_check_done(s->act, p);
  }
}

/* The lease of delivery seq ended: a limited group's key takes its cells now
 * (when the message may have been sent) and its parked deliveries may go. */
static void lease_ended(sched *s, apost *p, uint32_t seq, bool sent) {
  ginfo *g;
  if (!(p->d[seq].flags & ADLV_INFLIGHT))
    return;
  p->d[seq].flags &= (uint8_t)~ADLV_INFLIGHT;
  if ((g = limits_group(ready_limits(s->rdy), NULL, apost_group(p, seq))) == NULL)
    return;
  limits_done(g, qf_clock_mono_us(), sent);
  ready_key_freed(s->rdy, &g->key);
}

/* What the platform's answer teaches the group's limit: a rate-limit answer
 * may lower it, an accepted message may let it recover (limiter.h). An
 * outage (5xx, no answer) teaches nothing about the rate. */
static void learn_from(sched *s, apost *p, uint32_t seq, const Qunfa__Result *r) {
  limits *lim = ready_limits(s->rdy);
  bool throttled = r->outcome == QUNFA__OUTCOME__OUTCOME_RETRY && r->throttled;
  ginfo *g;
  if (r->outcome != QUNFA__OUTCOME__OUTCOME_DELIVERED && !throttled)
    return;
  if ((g = limits_group(lim, NULL, apost_group(p, seq))) == NULL)
    return;
  if (throttled) {
    metrics_throttled(g->dialect);
    limits_throttled(lim, g, qf_clock_mono_us());
  } else {
    limits_accepted(lim, g, qf_clock_mono_us());
  }
}

/* A platform that asked to slow down is about the robot, not the message: the
 * group's other deliveries wait as long (its key is held). */
static void hold_group(sched *s, apost *p, uint32_t seq, int64_t delay_ms) {
  ginfo *g = limits_group(ready_limits(s->rdy), NULL, apost_group(p, seq));
  if (g != NULL)
    limits_hold(&g->key, qf_clock_mono_us() + delay_ms * 1000);
}

static void retry_or_fail(sched *s, apost *p, uint32_t seq, const char *err,
                          int64_t retry_after_ms) {
  adlv *d = &p->d[seq];
  int64_t delay, now = qf_clock_now_ms();
  if (p->expires_ms > 0 && now >= p->expires_ms) {
    apost_set_error(p, seq, "expired before it was sent");
    apost_set_state(p, seq, QUNFA__DELIVERY_STATE__EXPIRED);
    return;
  }
  if (d->attempts >= s->max_attempts) {
    char why[512];
    snprintf(why, sizeof why, "attempts exhausted: %s", err);
    apost_set_error(p, seq, why);
    apost_set_state(p, seq, QUNFA__DELIVERY_STATE__FAILED);
    return;
  }
  apost_set_error(p, seq, err);
  apost_set_state(p, seq, QUNFA__DELIVERY_STATE__PENDING);
  if (retry_after_ms > 0) {
    delay = retry_after_ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : retry_after_ms;
    hold_group(s, p, seq, delay);
  } else {
    delay = outcome_backoff_ms(d->attempts);
  }
  ready_at(s->rdy, p, seq, now + delay);
}

void outcome_apply(sched *s, apost *p, uint32_t seq, const Qunfa__Result *r) {
  adlv *d = &p->d[seq];
  const char *err = r->error && r->error[0] ? r->error : NULL;
  d->lease_id = 0;
  lease_ended(s, p, seq, r->outcome != QUNFA__OUTCOME__OUTCOME_RELEASED);
  learn_from(s, p, seq, r);
  switch (r->outcome) {
  case QUNFA__OUTCOME__OUTCOME_DELIVERED:
    d->attempts++;
    d->delivered_at_ms = r->done_ms > 0 ? r->done_ms : qf_clock_now_ms();
    apost_set_msg_id(p, seq, r->platform_msg_id); /* kept for a recall */
    apost_set_error(p, seq, NULL);
    apost_set_state(p, seq, QUNFA__DELIVERY_STATE__DELIVERED);
    break;
  case QUNFA__OUTCOME__OUTCOME_FAILED:
    d->attempts++;
    apost_set_error(p, seq, err ? err : "failed");
    apost_set_state(p, seq, QUNFA__DELIVERY_STATE__FAILED);
    break;
  case QUNFA__OUTCOME__OUTCOME_RELEASED:
    apost_set_state(p, seq, QUNFA__DELIVERY_STATE__PENDING);
    ready_push(s->rdy, p, seq);
    break;
  case QUNFA__OUTCOME__OUTCOME_RETRY:
  default:
    d->attempts++;
    retry_or_fail(s, p, seq, err ? err : "retry", r->retry_after_ms);
    break;
  }
  finish(s, p, seq);
}

void outcome_expire(sched *s, apost *p, uint32_t seq) {
  p->d[seq].lease_id = 0;
  lease_ended(s, p, seq, true); /* no send starts after the deadline */
  p->d[seq].attempts++;
  retry_or_fail(s, p, seq, "lease expired", 0);
  finish(s, p, seq);
}

void outcome_end(sched *s, apost *p, uint32_t seq, int state, const char *reason) {
  qf_counter_add(mx.guard_ends, state != QUNFA__DELIVERY_STATE__FAILED);
  apost_set_error(p, seq, reason);
  apost_set_state(p, seq, state);
  finish(s, p, seq);
}

void outcome_on_judged(void *arg, apost *p, uint32_t seq, int state,
                       const char *reason) {
  outcome_end(arg, p, seq, state, reason);
}

void outcome_fail(sched *s, apost *p, uint32_t seq, const char *reason) {
  lease_ended(s, p, seq, false); /* never handed to a dispatcher */
  apost_set_error(p, seq, reason);
  apost_set_state(p, seq, QUNFA__DELIVERY_STATE__FAILED);
  finish(s, p, seq);
}
