/* Per-group request counters, so a scripted answer list applies to each group
 * on its own: a string-keyed map (kmap) behind a mutex. Thread-safe. */
#ifndef MOCKCHAT_TALLY_H
#define MOCKCHAT_TALLY_H
#include <stdint.h>

typedef struct tally tally;

tally *tally_new(void);
/* NULL is a no-op. */
void tally_free(tally *t);
/* Counts one more request for group (borrowed) and returns how many came before
 * it: 0 for the group's first request. */
uint64_t tally_next(tally *t, const char *group);

#endif
