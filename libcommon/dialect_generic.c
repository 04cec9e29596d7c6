/* The generic webhook dialect (docs/wire.md): any receiver that takes a JSON
 * POST. The post id travels as a decimal string so receivers in languages without
 * 64-bit integers read it exactly. */
#include "dialect_util.h"
#include "qf/dialect.h"
#include "qf/err.h"
#include "qf/salecard.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

/* A sale's fields, for receivers that lay out their own card. */
static json_t *generic_sale(const qf_sale_card *c) {
  const char *link = qf_sale_card_link(c);
  json_t *j =
      json_pack("{s:s, s:s, s:s, s:s, s:I}", "kind", qf_sale_card_kind_name(c->kind),
                "item", c->item, "price", c->price, "orig_price", c->orig_price,
                "stock", (json_int_t)c->stock);
  if (j && c->kind == QF_SALE_CARD_ANNOUNCE)
    json_object_set_new(j, "end_ms", json_integer(c->end_ms));
  if (j && c->kind == QF_SALE_CARD_REMINDER)
    json_object_set_new(j, "before_ms", json_integer(c->before_ms));
  if (j && link)
    json_object_set_new(j, "link", json_string(link));
  return j;
}

static int generic_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  char post[24];
  snprintf(post, sizeof post, "%" PRIu64, msg->post_id);
  const char *kind = msg->kind && *msg->kind ? msg->kind : "post";
  qf_dialect_request_reset(req);
  /* json_pack refuses strings that are not UTF-8: such a message cannot be
   * sent as JSON at all. */
  json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "group", msg->group_id, "post", post,
                        "kind", kind, "text", msg->text ? msg->text : "");
  if (j && msg->card) {
    json_t *sale = generic_sale(msg->card);
    if (!sale || json_object_set_new(j, "sale", sale) != 0) {
      json_decref(j);
      j = NULL;
    }
  }
  if (!j)
    return QF_EINVAL;
  int rc = qf_dialect_util_body(j, req);
  json_decref(j);
  if (rc != 0)
    return rc;
  req->url = msg->url;
  if (qf_dialect_request_header(req, "Content-Type: application/json") != 0 ||
      qf_dialect_request_header(req, "Idempotency-Key: %s:%s", post, msg->group_id) !=
          0)
    return QF_EINVAL;
  return 0;
}

static void generic_classify(const qf_dialect_answer *ans, qf_dialect_result *res) {
  if (ans->xfer != QF_XFER_OK) {
    qf_dialect_classify_xfer(ans, res);
    return;
  }
  long st = ans->status;
  if (st >= 200 && st < 300) {
    qf_dialect_result_set(res, QF_OUTCOME_DELIVERED, "%s", "");
    return;
  }
  if (st == 429 || st >= 500) {
    qf_dialect_result_set(res, QF_OUTCOME_RETRY, "http %ld", st);
    /* 503 may carry Retry-After as well (RFC 9110 section 10.2.3). */
    if (st == 429 || st == 503)
      res->retry_after_ms = qf_dialect_retry_after_ms(ans->retry_after, ans->now_ms);
    res->throttled = st == 429;
    return;
  }
  qf_dialect_result_set(res, QF_OUTCOME_FAILED, "http %ld", st);
}

const qf_dialect qf_dialect_generic = {
    .name = "generic",
    .render = generic_render,
    .classify = generic_classify,
};
