/* RPC envelope encoding shared by the client (rpc_client.c) and the server
 * (rpc_server.c) of qf/rpc.h: method names, packing into NNG messages by
 * appending only (DESIGN.md, known traps: never nng_msg_insert), and recovering
 * a request id from bytes that do not decode, so a malformed request still gets
 * an answer its sender can match. Nothing here aborts on allocation failure:
 * the client runs inside other people's programs and gets QF_ENOMEM back. */
#ifndef QF_RPC_ENVELOPE_H
#define QF_RPC_ENVELOPE_H
#include "rpc.pb-c.h"

#include <nng/nng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest method string, "<package.Service>/<Method>", with its NUL. */
#define RPC_METHOD_MAX 256

/* Writes "<service name>/<method name>" into buf (len bytes). QF_EINVAL when
 * method is out of range or the name does not fit. */
int rpc_method_name(const ProtobufCServiceDescriptor *svc, unsigned method, char *buf,
                    size_t len);
/* The index in svc->methods of the method named "<service name>/<method name>",
 * or -1 when svc has no such method. */
int rpc_method_find(const ProtobufCServiceDescriptor *svc, const char *name);

/* Packs m into a new buffer *out of *len bytes (free it with free()). QF_ENOMEM. */
int rpc_pack(const ProtobufCMessage *m, uint8_t **out, size_t *len);
/* Packs m into a new NNG message, appending only; *out is handed over on 0.
 * QF_ENOMEM. */
int rpc_pack_msg(const ProtobufCMessage *m, nng_msg **out);
/* Copies len bytes of buf into a new NNG message (*out handed over on 0).
 * QF_ENOMEM. */
int rpc_msg_from_bytes(const void *buf, size_t len, nng_msg **out);

/* Walks the top-level fields of len bytes that may be malformed and stores in
 * *id the last request id (field 2, varint) seen before the bytes stop making
 * sense. false when none was found (*id untouched). */
bool rpc_scan_request_id(const uint8_t *buf, size_t len, uint64_t *id);

/* Maps an NNG error to a qf code: NNG_ETIMEDOUT -> QF_ETIMEDOUT, closed or
 * cancelled -> QF_ECANCELED, NNG_ENOMEM -> QF_ENOMEM, anything else QF_EIO. */
int rpc_err_from_nng(int rv);

#endif
