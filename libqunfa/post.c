/* Posts: create one, read its status and its deliveries. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "client.h"

int qunfa_post_create(qunfa_client *c, const char *audience, const char *text,
                      int64_t at_ms, qunfa_post_id *id, uint32_t *total) {
  qunfa_post_opts o = {.at_ms = at_ms};
  return qunfa_post_create_with(c, audience, text, &o, id, total);
}

int qunfa_priority_parse(const char *s, qunfa_priority *out) {
  static const char *const names[] = {"normal", "urgent", "live", "bulk"};
  for (int i = 0; s && i < 4; i++) {
    if (strcmp(s, names[i]) == 0) {
      *out = (qunfa_priority)i;
      return 0;
    }
  }
  return QF_EINVAL;
}

/* A fresh idempotency key for one CreatePost: 128 random bits in hex. The
 * request carries it on every resend, so a post whose reply was lost to a
 * scheduler restart is answered, not created twice. */
static int new_post_key(char out[33]) {
  unsigned char r[16];
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
    return QF_EINTERNAL;
  for (size_t i = 0; i < sizeof r; i++)
    snprintf(out + 2 * i, 3, "%02x", r[i]);
  return 0;
}

int qunfa_post_create_with(qunfa_client *c, const char *audience, const char *text,
                           const qunfa_post_opts *o, qunfa_post_id *id,
                           uint32_t *total) {
  static const qunfa_post_opts defaults;
  int64_t at_ms;
  Qunfa__CreatePostRequest req = QUNFA__CREATE_POST_REQUEST__INIT;
  Qunfa__CreatePostReply *r;
  ProtobufCMessage *reply;
  int rc;

  if (!o)
    o = &defaults;
  at_ms = o->at_ms;
  if (!audience || !*audience)
    return qunfa_client_fail(c, QF_EINVAL, "the audience is empty");
  if (!text || !*text)
    return qunfa_client_fail(c, QF_EINVAL, "the text is empty");
  if (at_ms < 0)
    return qunfa_client_fail(c, QF_EINVAL, "the time is before 1970");
  req.audience = (char *)audience;
  req.text = (char *)text;
  req.at_ms = at_ms;
  req.priority = (Qunfa__Priority)o->priority;
  req.expires_ms = o->expires_ms;
  req.ignore_quiet = o->ignore_quiet != 0;
  char key[33];
  if (o->idempotency_key) {
    req.idempotency_key = (char *)o->idempotency_key;
  } else if (new_post_key(key) == 0) {
    req.idempotency_key = key;
  } else {
    return qunfa_client_fail(c, QF_EINTERNAL, "no randomness for the post's key");
  }
  if ((rc = qunfa_client_call(c, "CreatePost", &req.base, &reply)) != 0)
    return rc;
  r = (Qunfa__CreatePostReply *)reply;
  id->n = r->post_id;
  if (total)
    *total = r->total;
  protobuf_c_message_free_unpacked(reply, NULL);
  return 0;
}

int qunfa_post_status(qunfa_client *c, qunfa_post_id post, qunfa_status *st) {
  Qunfa__PostRef req = QUNFA__POST_REF__INIT;
  Qunfa__PostStatusReply *r;
  ProtobufCMessage *reply;
  int rc;

  req.post_id = post.n;
  if ((rc = qunfa_client_call(c, "PostStatus", &req.base, &reply)) != 0)
    return rc;
  r = (Qunfa__PostStatusReply *)reply;
  *st = (qunfa_status){
      .post = {r->post_id ? r->post_id : post.n},
      .total = r->total,
      .pending = r->pending,
      .leased = r->leased,
      .delivered = r->delivered,
      .failed = r->failed,
      .expired = r->expired,
      .cancelled = r->cancelled,
      .due_ms = r->due_ms,
  };
  protobuf_c_message_free_unpacked(reply, NULL);
  return 0;
}

int qunfa_deliveries_list(qunfa_client *c, qunfa_post_id post, uint32_t after_seq,
                          uint32_t limit, Qunfa__ListDeliveriesReply **page) {
  Qunfa__ListDeliveriesRequest req = QUNFA__LIST_DELIVERIES_REQUEST__INIT;
  ProtobufCMessage *reply;
  int rc;

  *page = NULL;
  req.post_id = post.n;
  req.after_seq = after_seq;
  req.limit = limit ? limit : QUNFA_PAGE_DEFAULT;
  if ((rc = qunfa_client_call(c, "ListDeliveries", &req.base, &reply)) != 0)
    return rc;
  *page = (Qunfa__ListDeliveriesReply *)reply;
  return 0;
}

void qunfa_deliveries_page_free(Qunfa__ListDeliveriesReply *page) {
  if (page)
    protobuf_c_message_free_unpacked(&page->base, NULL);
}

int qunfa_post_cancel(qunfa_client *c, qunfa_post_id post, qunfa_cancel *out) {
  Qunfa__PostRef req = QUNFA__POST_REF__INIT;
  Qunfa__CancelPostReply *r;
  ProtobufCMessage *reply;
  int rc;

  req.post_id = post.n;
  if ((rc = qunfa_client_call(c, "CancelPost", &req.base, &reply)) != 0)
    return rc;
  r = (Qunfa__CancelPostReply *)reply;
  if (out)
    *out = (qunfa_cancel){r->cancelled, r->leased, r->was_done};
  protobuf_c_message_free_unpacked(reply, NULL);
  return 0;
}
