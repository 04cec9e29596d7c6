#include "recall.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf/err.h"

/* The group's url names sendMessage with the chat in the query; deleteMessage
 * takes the same query, with the message id in the body (the Bot API reads
 * parameters from either). */
static int telegram_delete_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  static const char send[] = "/sendMessage";
  const char *at;
  char *url, *body;
  size_t n;
  qf_dialect_request_reset(req);
  if (msg->url == NULL || (at = strstr(msg->url, send)) == NULL)
    return qf_dialect_request_refuse(req, "telegram url does not name sendMessage");
  if (msg->text == NULL || strspn(msg->text, "0123456789") != strlen(msg->text) ||
      msg->text[0] == '\0')
    return qf_dialect_request_refuse(req, "message id \"%.40s\" is not a number",
                                     msg->text ? msg->text : "");
  n = strlen(msg->url) + 2;
  url = qf_dialect_request_url(req, n);
  snprintf(url, n + 1, "%.*s/deleteMessage%s", (int)(at - msg->url), msg->url,
           at + sizeof send - 1);
  req->url = url;
  n = strlen(msg->text) + 16;
  body = qf_dialect_request_body(req, n);
  req->body_len = (size_t)snprintf(body, n + 1, "{\"message_id\":%s}", msg->text);
  if (qf_dialect_request_header(req, "Content-Type: application/json; charset=utf-8") !=
          0 ||
      qf_dialect_request_header(req, "Idempotency-Key: %" PRIu64 ":%s", msg->post_id,
                                msg->group_id ? msg->group_id : "") != 0)
    return qf_dialect_request_refuse(req, "headers do not fit");
  return 0;
}

static const qf_dialect *telegram_delete(void) {
  static qf_dialect d;
  if (d.name == NULL) {
    d.name = "telegram";
    d.render = telegram_delete_render;
    d.classify = qf_dialect_telegram.classify;
  }
  return &d;
}

const qf_dialect *recall_dialect(const qf_dialect *d) {
  return d == &qf_dialect_telegram ? telegram_delete() : NULL;
}
