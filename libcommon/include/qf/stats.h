/* Counters and gauges of a process, rendered as one JSON document and served on
 * a stats socket (NNG REP: any request is answered with the document).
 * Updates are atomic and may come from any thread; names are registered once. */
#ifndef QF_STATS_H
#define QF_STATS_H
#include <stdint.h>

typedef struct qf_stats qf_stats;
typedef struct qf_counter qf_counter; /* monotonically increasing */
typedef struct qf_gauge qf_gauge;     /* set to a value */

/* The stats of process proc ("scheduler"); the document carries process, version,
 * uptime_ms, and "counters" and "gauges" objects. */
qf_stats *qf_stats_new(const char *proc);
/* Stops serving (if serving) and frees; NULL is a no-op. */
void qf_stats_free(qf_stats *s);

/* Registers a counter or gauge (names like "deliveries_delivered"); the returned
 * handle lives as long as s. Registering a name twice returns the same handle. */
qf_counter *qf_stats_counter(qf_stats *s, const char *name);
qf_gauge *qf_stats_gauge(qf_stats *s, const char *name);
void qf_counter_add(qf_counter *c, uint64_t n);
uint64_t qf_counter_get(const qf_counter *c);
void qf_gauge_set(qf_gauge *g, int64_t v);
void qf_gauge_add(qf_gauge *g, int64_t delta);
int64_t qf_gauge_get(const qf_gauge *g);

/* The JSON document, newly allocated (caller frees with free()). */
char *qf_stats_render_json(const qf_stats *s);

/* Serves the document on url (NNG REP, own threads, receive limit set).
 * 0 or a qf error (QF_EADDR for a bad or busy url). */
int qf_stats_serve(qf_stats *s, const char *url);

#endif
