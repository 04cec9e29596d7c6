/* A guard for an NNG ipc:// listener.
 *
 * NNG 1.5.2's ipc transport stops handing new connections to the socket for good
 * when a peer connects and closes before the SP handshake is done
 * (nanomsg/nng#1518): the process keeps its old connections, but no new client
 * is ever answered, although the transport still completes handshakes. A guard
 * owns the listener of one socket: every interval it connects to the socket file
 * as a peer would, completes the handshake and waits for its connection to reach
 * the socket (a pipe event); when it does not in time, or the file is gone, the
 * guard closes the listener and listens again. Clients of the closed listener
 * reconnect by themselves (NNG dialers do) and resend.
 *
 * A url that is not ipc:// is listened on and left alone: other transports do
 * not have the defect. The guard runs on its own thread and takes the socket's
 * NNG_PIPE_EV_ADD_POST callback. Its owner closes the socket first, then stops
 * the guard: until the socket is closed a pipe event may still reach it. */
#ifndef QF_IPC_GUARD_H
#define QF_IPC_GUARD_H
#include <nng/nng.h>
#include <stdint.h>

typedef struct qf_ipc_guard qf_ipc_guard;

#define QF_IPC_GUARD_PROBE_MS 1000  /* default interval between probes */
#define QF_IPC_GUARD_ANSWER_MS 2000 /* how long a probe waits for the handshake */

typedef struct qf_ipc_guard_opts {
  int64_t probe_ms;  /* 0 = QF_IPC_GUARD_PROBE_MS */
  int64_t answer_ms; /* 0 = QF_IPC_GUARD_ANSWER_MS */
} qf_ipc_guard_opts;

/* Listens on url with sock and, for ipc:// urls, starts guarding the listener.
 * peer_proto is the SP protocol number a peer of sock speaks (0x30, REQ, for a
 * REP socket). `what` names the socket in logs (borrowed: a string constant).
 * Returns 0, or the nng_listen error as an NNG code (the caller logs it; nothing
 * is left running). *out is NULL when nothing is guarded. opts may be NULL. */
int qf_ipc_guard_listen(qf_ipc_guard **out, nng_socket sock, const char *url,
                        uint16_t peer_proto, const char *what,
                        const qf_ipc_guard_opts *opts);
/* Stops probing and frees the guard. Call after the socket is closed. NULL is a
 * no-op. */
void qf_ipc_guard_stop(qf_ipc_guard *g);
/* How many times the listener was listened on again (any thread). */
uint64_t qf_ipc_guard_restarts(const qf_ipc_guard *g);

#endif
