/* The nng dialect's gateway, simulated: an NNG REP socket at --gateway URL that
 * takes GatewaySend requests (proto/gateway.proto) and answers GatewayReply,
 * recording every accepted message like the webhooks do (dialect "nng"). */
#ifndef MOCKCHAT_GATEWAY_H
#define MOCKCHAT_GATEWAY_H

#include "hook.h"

typedef struct gateway gateway;

/* Listens on url. env is copied; what it points to must outlive the gateway.
 * QF_EADDR, logged, when url cannot be listened on. */
int gateway_start(gateway **out, const char *url, const hook_env *env);
/* Stops serving (requests in handlers may still finish until nng_fini). NULL is
 * a no-op. */
void gateway_stop(gateway *g);
/* After gateway_stop and nng_fini. NULL is a no-op. */
void gateway_free(gateway *g);

#endif
