/* Stats documents (qf/stats.h, docs/stats.md) rendered in the Prometheus text
 * exposition format (version 0.0.4): one family per metric name with its HELP
 * and TYPE lines, every sample of a family together, names following the
 * Prometheus conventions (docs/stats.md, "Prometheus"):
 *   counter  NAME            -> qunfa_<process>_NAME_total
 *   gauge    NAME            -> qunfa_<process>_NAME
 *   histogram NAME_ms        -> qunfa_<process>_NAME_seconds (_bucket/_sum/_count)
 *   a name ending in _ms     -> _seconds, the value divided by 1000
 *   "family{k=v,...}"        -> labels k="v"
 * plus a few renames that turn a state in a name into a label. Rates are left
 * out: Prometheus computes them. Pure: no I/O, no threads. */
#ifndef SCHED_PROM_H
#define SCHED_PROM_H
#include <jansson.h>
#include <stddef.h>

typedef struct prom prom;

prom *prom_new(void);
/* NULL is a no-op. */
void prom_free(prom *p);
/* Adds the samples of stats document doc (borrowed). source, when not NULL,
 * labels every sample (source="<stats url>") so several processes of one kind
 * stay apart. */
void prom_add_doc(prom *p, const json_t *doc, const char *source);
/* Adds qunfa_relay_up{source=...}: 1 when source's document was read. */
void prom_add_up(prom *p, const char *source, const char *process, int up);
/* The exposition text, newly allocated (caller frees); *len its length. */
char *prom_render(const prom *p, size_t *len);

#endif
