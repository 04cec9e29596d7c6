/* RPC over NNG REQ/REP ("gRPC-like", DESIGN.md "Wire"). Services and methods are
 * the `service` blocks of the .proto files; a call carries one RequestEnvelope
 * (method "qunfa.Scheduler/CreatePost", request id, deadline, auth token, packed
 * request) and gets one ReplyEnvelope (status, error sentence, packed reply).
 *
 * Every socket has a receive size limit (NNG_OPT_RECVMAXSZ) set before it
 * listens or dials. Every decode of a peer's bytes is checked.
 *
 * Server: contexts with aio callbacks receive concurrently on NNG's threads; each
 * decoded request is handed to the libuv loop (uv_async) and its handler runs on
 * the loop thread. A handler replies at once or later (e.g. after a durable
 * commit, or a long poll) with qf_rpc_reply / qf_rpc_reply_error, from the loop
 * thread, exactly once per call. A repeated request id (REQ resends) is answered
 * from the reply already sent, or joins the call still in progress, so the handler
 * runs once per request id.
 *
 * Client: qf_rpc_call_sync for tools; qf_rpc_call_async completes on a libuv loop.
 * The client never returns before its deadline without an answer or an error. */
#ifndef QF_RPC_H
#define QF_RPC_H
#include "qf/ipc_guard.h"
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define QF_RPC_MAX_MSG_DEFAULT (16u << 20) /* receive limit of every socket */

/* ---- server ---- */

typedef struct qf_rpc_server qf_rpc_server;
typedef struct qf_rpc_call qf_rpc_call;

/* A handler gets the decoded request (borrowed: valid until the call is answered)
 * and must answer the call exactly once, now or later, on the loop thread. */
typedef void (*qf_rpc_handler_fn)(qf_rpc_call *call, const ProtobufCMessage *req,
                                  void *arg);

typedef struct qf_rpc_server_opts {
  size_t max_msg;    /* receive limit; 0 = QF_RPC_MAX_MSG_DEFAULT */
  unsigned contexts; /* concurrent receives; 0 = 64 */
  const qf_ipc_guard_opts
      *ipc_guard; /* probing of an ipc:// listener; NULL = defaults */
} qf_rpc_server_opts;

/* Listens on url and serves service: handlers[i] serves service->methods[i]
 * (a NULL handler answers QF_EMETHOD). arg is passed to every handler.
 * QF_EADDR when url cannot be listened on. Call on the loop thread. */
int qf_rpc_server_start(qf_rpc_server **out, uv_loop_t *loop, const char *url,
                        const ProtobufCServiceDescriptor *service,
                        const qf_rpc_handler_fn *handlers, void *arg,
                        const qf_rpc_server_opts *opts);
/* Stops receiving, answers calls still unanswered with QF_EUNAVAIL, closes the
 * socket and frees, after its libuv handles are closed (run the loop once more).
 * A handler still holding a call answers it as usual, later: that answer only
 * releases the call and its request. NULL is a no-op. Loop thread only. */
void qf_rpc_server_stop(qf_rpc_server *s);

/* What a server has done since it started, for stats and tests (any thread). */
typedef struct qf_rpc_server_counters {
  uint64_t calls;    /* requests handed to a handler */
  uint64_t repeats;  /* repeated request ids, answered without running the handler */
  uint64_t rejected; /* answered with an error before any handler: malformed,
                        unknown method, deadline passed, server stopping */
  uint64_t listener_restarts; /* ipc:// listener listened on again (qf/ipc_guard.h) */
} qf_rpc_server_counters;
void qf_rpc_server_get_counters(const qf_rpc_server *s, qf_rpc_server_counters *out);

/* The index of the called method in service->methods. */
unsigned qf_rpc_call_method(const qf_rpc_call *call);
/* The caller's absolute deadline, UTC ms (0 when the caller sent none). */
int64_t qf_rpc_call_deadline_ms(const qf_rpc_call *call);
/* Answers with reply (a message of the method's output type; borrowed, packed
 * before return) and releases the call. */
void qf_rpc_reply(qf_rpc_call *call, const ProtobufCMessage *reply);
/* Answers with an error code (a negative qf code) and a sentence, and releases the
 * call. */
void qf_rpc_reply_error(qf_rpc_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- client ---- */

typedef struct qf_rpc_client qf_rpc_client;

typedef struct qf_rpc_client_opts {
  size_t max_msg;         /* receive limit; 0 = QF_RPC_MAX_MSG_DEFAULT */
  const char *auth_token; /* sent in every envelope; NULL = none */
} qf_rpc_client_opts;

/* Opens a REQ socket dialling url in the background (it reconnects by itself, so
 * the server need not be up yet). QF_EADDR for a malformed url, QF_ENOMEM.
 * Allocation failures are returned, never abort: libqunfa runs in others'
 * programs. */
int qf_rpc_client_open(qf_rpc_client **out, const char *url,
                       const qf_rpc_client_opts *opts);
/* Closes the socket. Outstanding async calls complete with QF_ECANCELED on their
 * loop before their handles close; run the loop until it has no more to do
 * after this. NULL is a no-op. */
void qf_rpc_client_close(qf_rpc_client *c);

/* Calls method number `method` of service with req, waiting at most timeout_ms.
 * On 0, *reply is the decoded reply (caller frees with
 * protobuf_c_message_free_unpacked(*reply, NULL)). On error *reply is NULL and,
 * if errbuf is given, the server's sentence or a local one is copied there.
 * QF_ETIMEDOUT when no answer came in time; a server status is returned as its
 * negative qf code. */
int qf_rpc_call_sync(qf_rpc_client *c, const ProtobufCServiceDescriptor *service,
                     unsigned method, const ProtobufCMessage *req, int64_t timeout_ms,
                     ProtobufCMessage **reply, char *errbuf, size_t errlen);

/* Completion of an async call, on the loop thread. status 0: reply is the decoded
 * reply, handed over (free it with protobuf_c_message_free_unpacked). Otherwise
 * reply is NULL and err a borrowed sentence. */
typedef void (*qf_rpc_done_fn)(int status, const char *err, ProtobufCMessage *reply,
                               void *arg);

/* Binds async completions of c to loop (once, before the first async call; loop
 * thread only). */
int qf_rpc_client_attach(qf_rpc_client *c, uv_loop_t *loop);
/* Starts a call; done runs exactly once on the attached loop. req is packed
 * before return (borrowed). */
int qf_rpc_call_async(qf_rpc_client *c, const ProtobufCServiceDescriptor *service,
                      unsigned method, const ProtobufCMessage *req, int64_t timeout_ms,
                      qf_rpc_done_fn done, void *arg);

#endif
