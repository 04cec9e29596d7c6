/* The simulator's HTTP face, on NNG's HTTP server:
 *   POST /hook/<group>   a group's webhook (generic dialect for now), with the
 *                        scripted answers of script.h; a 2xx answer is recorded
 *   GET  /healthz        200 once serving
 * Requests are served on NNG's threads, concurrently; the record and the tally
 * are thread-safe. */
#ifndef MOCKCHAT_HOOK_H
#define MOCKCHAT_HOOK_H

#include "record.h"
#include "tally.h"

typedef struct hook_server hook_server;

/* Listens on url ("http://HOST:PORT"; PORT 0 picks a free one). rec and t are
 * borrowed and must outlive the server's handlers (see hook_server_stop).
 * QF_EADDR, logged, when url is malformed or cannot be listened on. */
int hook_server_start(hook_server **out, const char *url, record *rec, tally *t);
/* The TCP port actually listened on. */
int hook_server_port(const hook_server *s);
/* Stops listening and closes connections. A handler already running may still
 * finish afterwards: call nng_fini() (which waits for NNG's threads) before
 * hook_server_free and before freeing rec and t. NULL is a no-op. */
void hook_server_stop(hook_server *s);
/* Frees s after hook_server_stop and nng_fini. NULL is a no-op. */
void hook_server_free(hook_server *s);

#endif
