/* The simulator's HTTP face, on NNG's HTTP server. Every platform's endpoints
 * under one listener (platform.h routes a path to its platform):
 *   POST /hook/<group>                      generic
 *   POST /cgi-bin/webhook/send?key=K        WeCom group robot
 *   POST /open-apis/bot/v2/hook/<id>        Feishu/Lark custom bot
 *   POST /robot/send?access_token=T         DingTalk custom robot
 *   POST /bot<TOKEN>/sendMessage            Telegram (and deleteMessage)
 *   POST /services/T/B/X                    Slack incoming webhook
 *   POST /mockchat/recall                   recall a recorded message of any
 *                                           dialect: {"group":G,"message_id":N}
 *   GET  /stats                             per-group counters (board.h) as JSON
 *   GET  /healthz                           200 once serving
 * A request goes: decode (the platform's own rejection when malformed), the
 * script of its url's query (script.h), injected faults (faults.h), the
 * platform's limits (limiter.h), then the record. Requests are served on NNG's
 * threads, concurrently; every module they touch is thread-safe. */
#ifndef MOCKCHAT_HOOK_H
#define MOCKCHAT_HOOK_H

#include "board.h"
#include "faults.h"
#include "limiter.h"
#include "record.h"
#include "secrets.h"
#include "tally.h"

/* What the handlers use; every pointer borrowed, to outlive the server's
 * handlers (see hook_server_stop). */
typedef struct hook_env {
  record *rec;
  tally *tally;
  limiter *limiter;
  board *board;
  const secrets *secrets;
  faults *faults;
} hook_env;

typedef struct hook_server hook_server;

/* Listens on url ("http://HOST:PORT"; PORT 0 picks a free one). env is copied.
 * QF_EADDR, logged, when url is malformed or cannot be listened on. */
int hook_server_start(hook_server **out, const char *url, const hook_env *env);
/* The TCP port actually listened on. */
int hook_server_port(const hook_server *s);
/* Stops listening and closes connections. A handler already running may still
 * finish afterwards: call nng_fini() (which waits for NNG's threads) before
 * hook_server_free and before freeing what env points to. NULL is a no-op. */
void hook_server_stop(hook_server *s);
/* Frees s after hook_server_stop and nng_fini. NULL is a no-op. */
void hook_server_free(hook_server *s);

#endif
