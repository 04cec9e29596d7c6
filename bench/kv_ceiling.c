/* kv-ceiling: LMDB's durable write rates through libcommon's qf/kv.h, the same
 * path the scheduler commits through.
 *
 *   kv-ceiling DIR SECONDS
 *
 * Measures, each for SECONDS: single-put durable commits per second, then
 * 1,000-put commits with sequential big-endian keys and with random keys (puts per
 * second). Values are 48 bytes, about one delivery record. Prints one JSON line. */
#include "qf/clock.h"
#include "qf/kv.h"

#include <stdio.h>
#include <stdlib.h>

#define VAL_BYTES 48
#define BATCH 1000

typedef enum { ONE, SEQ, RANDOM } mode;

static uint64_t next_key(mode m, uint64_t *seq) {
  if (m == RANDOM)
    return ((uint64_t)mrand48() << 32) ^ (uint64_t)(uint32_t)mrand48();
  return (*seq)++;
}

/* Puts per second in mode m over about `seconds`. */
static double run(qf_kv *kv, mode m, double seconds, uint64_t *seq) {
  qf_kv_batch *b = qf_kv_batch_new();
  uint8_t key[8], val[VAL_BYTES] = {0};
  int per = m == ONE ? 1 : BATCH;
  long puts = 0;
  int64_t t0 = qf_clock_mono_us(), end = t0 + (int64_t)(seconds * 1e6);
  while (qf_clock_mono_us() < end) {
    for (int i = 0; i < per; i++) {
      qf_kv_put_be64(key, next_key(m, seq));
      qf_kv_batch_put(b, 0, key, sizeof key, val, sizeof val);
    }
    if (qf_kv_commit(kv, b) != 0) {
      fprintf(stderr, "kv-ceiling: commit failed\n");
      exit(1);
    }
    puts += per;
  }
  qf_kv_batch_free(b);
  return (double)puts * 1e6 / (double)(qf_clock_mono_us() - t0);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: kv-ceiling DIR SECONDS\n");
    return 2;
  }
  double seconds = atof(argv[2]);
  const char *dbs[] = {"bench"};
  qf_kv *kv;
  if (qf_kv_open(&kv, argv[1], dbs, 1, NULL) != 0)
    return 1;
  srand48(1);
  uint64_t seq = 1ull << 40;
  double one = run(kv, ONE, seconds, &seq);
  double sq = run(kv, SEQ, seconds, &seq);
  double rnd = run(kv, RANDOM, seconds, &seq);
  printf("{\"commits_per_s\":%.0f,\"batch_seq_puts_per_s\":%.0f,"
         "\"batch_random_puts_per_s\":%.0f}\n",
         one, sq, rnd);
  qf_kv_close(kv);
  return 0;
}
