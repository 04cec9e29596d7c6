/* Putting content into the content store for what the scheduler makes itself
 * (a flash sale's messages, a recall): one Store.Put of several items, the ids
 * handed to a callback on the loop. */
#ifndef SCHED_CONTENTS_H
#define SCHED_CONTENTS_H
#include <stddef.h>
#include <stdint.h>

#include "model.pb-c.h"
#include "scheduler.h"

/* status 0: ids[i] is the 32-byte id of texts[i]; otherwise why says what
 * failed and ids is NULL. ids is borrowed for the call. */
typedef void (*contents_fn)(int status, const char *why, const uint8_t (*ids)[32],
                            void *arg);

/* Puts n items of kind with texts (borrowed for the call). On 0 cb runs later,
 * exactly once; on error (the store is closed, the call could not start) it
 * never runs. */
int contents_put(sched *s, const char *kind, const char *const *texts, size_t n,
                 contents_fn cb, void *arg);
/* Puts n items (borrowed for the call), as contents_put. */
int contents_put_items(sched *s, Qunfa__Content *const *items, size_t n, contents_fn cb,
                       void *arg);

#endif
