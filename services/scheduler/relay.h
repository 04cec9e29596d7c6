/* The stats documents of other processes (dispatchers, the store), read from
 * their stats sockets (--relay-stats) by a thread of its own once a second and
 * kept for /metrics, so a scrape never waits on a process that does not answer.
 * A document is at most one poll (about a second) old. */
#ifndef SCHED_RELAY_H
#define SCHED_RELAY_H
#include <jansson.h>
#include <stddef.h>

typedef struct relay relay;

/* Starts polling the comma-separated stats urls of list (copied). NULL or ""
 * polls nothing. */
relay *relay_start(const char *list);
/* Stops the thread and frees; NULL is a no-op. */
void relay_stop(relay *r);

size_t relay_count(const relay *r);
/* The url of source i (borrowed, lives as long as r). */
const char *relay_url(const relay *r, size_t i);
/* The last document read from source i (new reference), or NULL when it has
 * not answered at the last poll. */
json_t *relay_doc(relay *r, size_t i);

#endif
