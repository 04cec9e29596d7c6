/* Counters, gauges, histograms and rates of a process, rendered as one JSON
 * document and served on a stats socket (NNG REP: any request is answered with
 * the document). The document's layout is versioned (QF_STATS_SCHEMA) and
 * described in docs/stats.md.
 * Updates are atomic and may come from any thread; names are registered once.
 * A name may carry labels as "family{key=value,key=value}" (values without
 * commas, braces or quotes): readers such as the Prometheus relay turn them into
 * labels. */
#ifndef QF_STATS_H
#define QF_STATS_H
#include <stddef.h>
#include <stdint.h>

typedef struct qf_stats qf_stats;
typedef struct qf_counter qf_counter;     /* monotonically increasing */
typedef struct qf_gauge qf_gauge;         /* set to a value */
typedef struct qf_histogram qf_histogram; /* observations in fixed buckets */

/* Bumped when a key of the document changes meaning or disappears; adding keys
 * keeps the number. */
#define QF_STATS_SCHEMA 1
#define QF_STATS_BUCKETS_MAX 16

/* The stats of process proc ("scheduler"); the document carries schema, process,
 * version, pid, uptime_ms, and "counters", "gauges", "histograms", "rates",
 * "details" and "info" objects. */
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

/* Registers a histogram of nbounds (1..QF_STATS_BUCKETS_MAX) ascending upper
 * bounds (copied), plus +Inf. Registering a name twice returns the first one
 * (its bounds win). Rendered as {"le":[...],"counts":[...cumulative, last is
 * +Inf],"sum":S,"count":N}. */
qf_histogram *qf_stats_histogram(qf_stats *s, const char *name, const int64_t *bounds,
                                 size_t nbounds);
void qf_histogram_observe(qf_histogram *h, int64_t v);

/* Renders counter c (borrowed, of s) also as a rate per second under "rates"
 * as name: its increase over the last QF_STATS_RATE_WINDOW_MS, sampled every
 * second by a thread of s (started by the first rate). */
#define QF_STATS_RATE_WINDOW_MS 5000
void qf_stats_rate(qf_stats *s, const char *name, qf_counter *c);

/* Sets the string value (copied) of name under "info": what a reader may need
 * that is not a number, e.g. the stats addresses the scheduler relays. */
void qf_stats_info(qf_stats *s, const char *name, const char *value);

/* Sets name under "details" to the JSON value in json_text (copied; text that
 * does not parse renders as null): figures with a shape of their own, e.g. the
 * scheduler's busiest posts. */
void qf_stats_detail(qf_stats *s, const char *name, const char *json_text);

/* The JSON document, newly allocated (caller frees with free()). */
char *qf_stats_render_json(const qf_stats *s);

/* Serves the document on url (NNG REP, own threads, receive limit set).
 * 0 or a qf error (QF_EADDR for a bad or busy url). */
int qf_stats_serve(qf_stats *s, const char *url);

#endif
