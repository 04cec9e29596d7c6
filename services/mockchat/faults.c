#include "faults.h"

#include "tally.h"

#include "qf/alloc.h"
#include "qf/clock.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

struct faults {
  faults_opts o;
  pthread_mutex_t mu;
  uint64_t rng;
  tally *burst;
};

faults *faults_new(const faults_opts *o) {
  faults *f = qf_calloc(1, sizeof *f);
  f->o = *o;
  pthread_mutex_init(&f->mu, NULL);
  f->rng =
      o->seed ? o->seed : ((uint64_t)qf_clock_mono_us() * 0x9E3779B97F4A7C15ull) | 1;
  f->burst = tally_new();
  return f;
}

void faults_free(faults *f) {
  if (!f)
    return;
  tally_free(f->burst);
  pthread_mutex_destroy(&f->mu);
  free(f);
}

const faults_opts *faults_opts_of(const faults *f) {
  return &f->o;
}

/* xorshift64*: a uniform double in [0, 1). */
static double next_unit(faults *f) {
  pthread_mutex_lock(&f->mu);
  uint64_t x = f->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  f->rng = x;
  pthread_mutex_unlock(&f->mu);
  return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

bool faults_fail(faults *f) {
  return f->o.fail_rate > 0 && next_unit(f) < f->o.fail_rate;
}

bool faults_burst(faults *f, const char *target) {
  return f->o.throttle_burst > 0 && tally_next(f->burst, target) < f->o.throttle_burst;
}

bool faults_parse_rate(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || isnan(v) || v < 0 || v > 1)
    return false;
  *out = v;
  return true;
}
