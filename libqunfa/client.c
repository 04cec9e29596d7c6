/* The client: one RPC connection to the scheduler, its timeout and the sentence
 * of its last failure. Allocation failures are returned, never fatal: this code
 * runs inside other people's programs. */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf/log.h"
#include "qf/rpc.h"

#define ERR_MAX 512
#define URL_MAX 1024

struct qunfa_client {
  qf_rpc_client *rpc;
  int64_t timeout_ms;
  char *url;
  char err[ERR_MAX];
};

int qunfa_client_fail(qunfa_client *c, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof c->err, fmt, ap);
  va_end(ap);
  return code;
}

int qunfa_open(qunfa_client **out, const char *server_url, const qunfa_opts *opts) {
  qf_rpc_client_opts ro = {0};
  qunfa_client *c;
  int rc;

  *out = NULL;
  if (opts && opts->timeout_ms < 0)
    return QF_EINVAL;
  if (!server_url || !*server_url)
    server_url = QUNFA_DEFAULT_SERVER;
  c = calloc(1, sizeof *c);
  if (!c)
    return QF_ENOMEM;
  c->timeout_ms =
      opts && opts->timeout_ms ? opts->timeout_ms : QUNFA_DEFAULT_TIMEOUT_MS;
  c->url = strdup(server_url);
  if (!c->url) {
    rc = QF_ENOMEM;
    goto fail;
  }
  ro.auth_token = opts ? opts->auth_token : NULL; /* the rpc client copies it */
  if ((rc = qf_rpc_client_open(&c->rpc, server_url, &ro)) != 0)
    goto fail;
  *out = c;
  return 0;
fail:
  free(c->url);
  free(c);
  return rc;
}

void qunfa_close(qunfa_client *c) {
  if (!c)
    return;
  qf_rpc_client_close(c->rpc);
  free(c->url);
  free(c);
}

const char *qunfa_last_error(const qunfa_client *c) {
  return c->err;
}

const char *qunfa_server_url(const qunfa_client *c) {
  return c->url;
}

static int method_index(const char *name, unsigned *index) {
  const ProtobufCServiceDescriptor *sd = &qunfa__scheduler__descriptor;
  const ProtobufCMethodDescriptor *md =
      protobuf_c_service_descriptor_get_method_by_name(sd, name);

  if (!md)
    return QF_EMETHOD;
  *index = (unsigned)(md - sd->methods);
  return 0;
}

int qunfa_client_call(qunfa_client *c, const char *method, const ProtobufCMessage *req,
                      ProtobufCMessage **reply) {
  char url[URL_MAX];
  unsigned index;
  int rc;

  *reply = NULL;
  c->err[0] = '\0';
  if (method_index(method, &index) != 0)
    return qunfa_client_fail(c, QF_EMETHOD, "unknown method %s", method);
  rc = qf_rpc_call_sync(c->rpc, &qunfa__scheduler__descriptor, index, req,
                        c->timeout_ms, reply, c->err, sizeof c->err);
  if (rc == 0)
    return 0;
  *reply = NULL;
  /* Silence from the scheduler is most often its absence: say where we looked. */
  if (rc == QF_ETIMEDOUT)
    return qunfa_client_fail(
        c, rc, "no answer from %s within %lld ms (is qunfa-scheduler running there?)",
        qf_log_redact_url(c->url, url, sizeof url), (long long)c->timeout_ms);
  if (c->err[0] == '\0')
    return qunfa_client_fail(c, rc, "%s", qf_strerror(rc));
  return rc;
}

const char *qunfa_delivery_state_name(Qunfa__DeliveryState state) {
  switch (state) {
  case QUNFA__DELIVERY_STATE__PENDING:
    return "pending";
  case QUNFA__DELIVERY_STATE__LEASED:
    return "leased";
  case QUNFA__DELIVERY_STATE__DELIVERED:
    return "delivered";
  case QUNFA__DELIVERY_STATE__FAILED:
    return "failed";
  case QUNFA__DELIVERY_STATE__EXPIRED:
    return "expired";
  case QUNFA__DELIVERY_STATE__CANCELLED:
    return "cancelled";
  default:
    break;
  }
  return "unknown";
}
