/* The nng dialect: a custom gateway reached over NNG REQ/REP at the group's url
 * (proto/gateway.proto). render packs a GatewaySend into the request body (the
 * body is protobuf, not text); the dispatcher's NNG transport sends it and hands
 * the reply's bytes back as the answer body, which classify unpacks: the
 * gateway's GatewayReply is the result. A reply that cannot be read is a retry:
 * the message may or may not have gone out, and a duplicate is what
 * at-least-once delivery accepts. */
#include "gateway.pb-c.h"
#include "qf/dialect.h"
#include "qf/err.h"
#include "qf/salecard.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* NNG messages carry the whole text; a gateway that wants less refuses it. */
#define NNG_TEXT_MAX (64 * 1024)
#define NNG_REPLY_MAX 4096

static bool nng_url(const char *u) {
  return u && (strncmp(u, "ipc://", 6) == 0 || strncmp(u, "tcp://", 6) == 0 ||
               strncmp(u, "tls+tcp://", 10) == 0);
}

static int nng_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  qf_dialect_request_reset(req);
  if (!nng_url(msg->url))
    return qf_dialect_request_refuse(req,
                                     "nng url must be ipc://, tcp:// or tls+tcp://");
  const char *text = msg->text ? msg->text : "";
  if (strlen(text) > NNG_TEXT_MAX)
    return qf_dialect_request_refuse(
        req, "text too long for nng: %zu bytes, at most %d (not split)", strlen(text),
        NNG_TEXT_MAX);
  char key[200];
  snprintf(key, sizeof key, "%llu:%s", (unsigned long long)msg->post_id,
           msg->group_id ? msg->group_id : "");
  Qunfa__GatewaySend s = QUNFA__GATEWAY_SEND__INIT;
  s.post_id = msg->post_id;
  s.group_id = (char *)(msg->group_id ? msg->group_id : "");
  s.text = (char *)text;
  s.idempotency_key = key;
  s.kind = (char *)(msg->kind && *msg->kind ? msg->kind : "post");
  s.format = (char *)(msg->format && *msg->format ? msg->format : "text");
  Qunfa__SaleCard sale;
  if (msg->card) {
    qf_sale_card_to_proto(msg->card, &sale);
    s.sale = &sale;
  }
  size_t n = qunfa__gateway_send__get_packed_size(&s);
  char *body = qf_dialect_request_body(req, n);
  qunfa__gateway_send__pack(&s, (uint8_t *)body);
  body[n] = '\0';
  req->body_len = n;
  req->url = msg->url;
  return 0;
}

static void nng_classify(const qf_dialect_answer *ans, qf_dialect_result *res) {
  if (ans->xfer != QF_XFER_OK) {
    qf_dialect_classify_xfer(ans, res);
    return;
  }
  Qunfa__GatewayReply *r = ans->body_len <= NNG_REPLY_MAX
                               ? qunfa__gateway_reply__unpack(
                                     NULL, ans->body_len, (const uint8_t *)ans->body)
                               : NULL;
  if (!r) {
    qf_dialect_result_set(res, QF_OUTCOME_RETRY, "nng gateway: unreadable reply");
    return;
  }
  switch (r->outcome) {
  case QUNFA__OUTCOME__OUTCOME_DELIVERED:
    qf_dialect_result_set(res, QF_OUTCOME_DELIVERED, "%s", "");
    snprintf(res->platform_msg_id, sizeof res->platform_msg_id, "%s",
             r->platform_msg_id ? r->platform_msg_id : "");
    break;
  case QUNFA__OUTCOME__OUTCOME_FAILED:
    qf_dialect_result_set(res, QF_OUTCOME_FAILED, "nng gateway: %s",
                          r->error && *r->error ? r->error : "failed");
    break;
  default:
    qf_dialect_result_set(res, QF_OUTCOME_RETRY, "nng gateway: %s",
                          r->error && *r->error ? r->error : "retry");
    res->throttled = r->throttled;
    res->retry_after_ms = r->retry_after_ms < 0 ? 0
                          : r->retry_after_ms > QF_DIALECT_RETRY_MAX_MS
                              ? QF_DIALECT_RETRY_MAX_MS
                              : r->retry_after_ms;
    break;
  }
  qunfa__gateway_reply__free_unpacked(r, NULL);
}

const qf_dialect qf_dialect_nng = {
    .name = "nng",
    .render = nng_render,
    .classify = nng_classify,
    .max_text = NNG_TEXT_MAX,
    .text_unit = QF_DIALECT_UNIT_BYTES,
};
