/* Live-share sessions. */
#include "client.h"

int qunfa_live_open(qunfa_client *c, const qunfa_live_opts *o, uint64_t *id) {
  Qunfa__LiveOpenRequest req = QUNFA__LIVE_OPEN_REQUEST__INIT;
  ProtobufCMessage *reply;
  Qunfa__LiveReply *r;
  int rc;

  if (!o || !o->title || !*o->title || !o->guest || !*o->guest)
    return qunfa_client_fail(c, QF_EINVAL, "the title or the guest is empty");
  if (!o->audience || !*o->audience)
    return qunfa_client_fail(c, QF_EINVAL, "the audience is empty");
  req.title = (char *)o->title;
  req.guest = (char *)o->guest;
  req.audience = (char *)o->audience;
  req.open_text = (char *)(o->open_text ? o->open_text : "");
  req.at_ms = o->at_ms;
  req.remind_ms = (int64_t *)o->remind_ms;
  req.n_remind_ms = o->nremind;
  if ((rc = qunfa_client_call(c, "LiveOpen", &req.base, &reply)) != 0)
    return rc;
  r = (Qunfa__LiveReply *)reply;
  *id = r->session ? r->session->id : 0;
  protobuf_c_message_free_unpacked(reply, NULL);
  return 0;
}

static int say(qunfa_client *c, const char *method, uint64_t id, const char *text,
               uint32_t *segment) {
  ProtobufCMessage *reply;
  int rc;
  if (method[4] == 'S') {
    Qunfa__LiveSayRequest req = QUNFA__LIVE_SAY_REQUEST__INIT;
    req.live_id = id;
    req.text = (char *)(text ? text : "");
    rc = qunfa_client_call(c, method, &req.base, &reply);
  } else {
    Qunfa__LiveCloseRequest req = QUNFA__LIVE_CLOSE_REQUEST__INIT;
    req.live_id = id;
    req.text = (char *)(text ? text : "");
    rc = qunfa_client_call(c, method, &req.base, &reply);
  }
  if (rc != 0)
    return rc;
  if (segment)
    *segment = ((Qunfa__LiveReply *)reply)->segment;
  protobuf_c_message_free_unpacked(reply, NULL);
  return 0;
}

int qunfa_live_say(qunfa_client *c, uint64_t id, const char *text, uint32_t *segment) {
  if (!text || !*text)
    return qunfa_client_fail(c, QF_EINVAL, "the text is empty");
  return say(c, "LiveSay", id, text, segment);
}

int qunfa_live_close(qunfa_client *c, uint64_t id, const char *text,
                     uint32_t *segment) {
  return say(c, "LiveClose", id, text, segment);
}

int qunfa_live_status(qunfa_client *c, uint64_t id, Qunfa__LiveStatusReply **out) {
  Qunfa__LiveRef req = QUNFA__LIVE_REF__INIT;
  ProtobufCMessage *reply;
  int rc;

  *out = NULL;
  req.live_id = id;
  if ((rc = qunfa_client_call(c, "LiveStatus", &req.base, &reply)) != 0)
    return rc;
  *out = (Qunfa__LiveStatusReply *)reply;
  return 0;
}

void qunfa_live_status_free(Qunfa__LiveStatusReply *s) {
  if (s)
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

int qunfa_live_cancel(qunfa_client *c, uint64_t id, qunfa_cancel *out) {
  Qunfa__LiveRef req = QUNFA__LIVE_REF__INIT;
  ProtobufCMessage *reply;
  int rc;

  req.live_id = id;
  if ((rc = qunfa_client_call(c, "LiveCancel", &req.base, &reply)) != 0)
    return rc;
  if (out) {
    const Qunfa__LiveCancelReply *r = (const Qunfa__LiveCancelReply *)reply;
    out->cancelled = r->cancelled;
    out->leased = r->leased;
    out->was_done = r->was_cancelled;
  }
  protobuf_c_message_free_unpacked(reply, NULL);
  return 0;
}
