/* Faults the simulator injects for tests and benchmarks, on top of what each
 * platform does by itself:
 *
 *   fail_rate P       each valid request is answered HTTP 500 (not recorded)
 *                     with probability P (0..1), before any limit is counted
 *   latency_ms N      every answer, good or bad, is held N ms (added to a
 *                     scripted delay)
 *   throttle_burst N  the first N valid requests to each target (a robot, a
 *                     hook, a chat) are answered with that platform's
 *                     rate-limit error, as if its window were full, announcing
 *                     a 1 s wait where the platform announces one. These are
 *                     counted as throttled, not as violations: the sender did
 *                     nothing wrong. It tests a sender's backoff.
 *
 * Thread-safe. */
#ifndef MOCKCHAT_FAULTS_H
#define MOCKCHAT_FAULTS_H
#include <stdbool.h>
#include <stdint.h>

typedef struct faults_opts {
  double fail_rate;
  uint32_t latency_ms;
  uint32_t throttle_burst;
  uint64_t seed; /* 0 = from the clock */
} faults_opts;

typedef struct faults faults;

faults *faults_new(const faults_opts *o);
/* NULL is a no-op. */
void faults_free(faults *f);
const faults_opts *faults_opts_of(const faults *f);
/* True, with probability fail_rate, when this request is to fail. */
bool faults_fail(faults *f);
/* True when this request to target is still within the throttled burst. */
bool faults_burst(faults *f, const char *target);
/* Parses "0".."1" (a decimal fraction) into *out. false when it is not one. */
bool faults_parse_rate(const char *s, double *out);

#endif
