/* The operators' commands: `qunfa stats` (every process's stats document in one
 * table), `qunfa top` (the same, live) and `qunfa status POST --watch` (a
 * progress bar). Stats documents are read from the processes' stats sockets
 * (NNG REQ; docs/stats.md). */
#ifndef QUNFA_CLI_STATS_H
#define QUNFA_CLI_STATS_H
#include <jansson.h>
#include <stdint.h>

#include "cli.h"

/* Reads the stats documents of the comma-separated urls, and of every url a
 * document names in info.relay_stats (the scheduler's relays), each once.
 * Returns an array of {"url":U,"stats":DOC} or {"url":U,"error":"..."}
 * (new reference). */
json_t *cli_stats_gather(const char *urls, int64_t timeout_ms);

/* The figure name of doc's section ("counters", "gauges", "rates"), 0 when
 * absent. */
double cli_stats_num(const json_t *doc, const char *section, const char *name);

int cli_stats(int argc, char **argv);
int cli_top(int argc, char **argv);
/* `qunfa status POST --watch`: until every delivery of post is final. */
int cli_watch_post(const cli_global *g, qunfa_post_id post);

#endif
