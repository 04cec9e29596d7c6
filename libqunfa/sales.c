/* Flash sales and recalls. */
#include "client.h"

/* Detaches the sale of a SaleReply (handed over) into *out, or frees it. */
static int take_sale(qunfa_client *c, ProtobufCMessage *reply, Qunfa__Sale **out) {
  Qunfa__SaleReply *r = (Qunfa__SaleReply *)reply;
  Qunfa__Sale *s = r->sale;
  if (!s) {
    protobuf_c_message_free_unpacked(reply, NULL);
    return qunfa_client_fail(c, QF_EPROTO, "the scheduler answered without a sale");
  }
  r->sale = NULL;
  protobuf_c_message_free_unpacked(reply, NULL);
  if (out)
    *out = s;
  else
    protobuf_c_message_free_unpacked(&s->base, NULL);
  return 0;
}

int qunfa_sale_create(qunfa_client *c, const qunfa_sale_opts *o, Qunfa__Sale **out) {
  Qunfa__CreateSaleRequest req = QUNFA__CREATE_SALE_REQUEST__INIT;
  ProtobufCMessage *reply;
  int rc;

  if (out)
    *out = NULL;
  if (!o || !o->item || !*o->item)
    return qunfa_client_fail(c, QF_EINVAL, "the item is empty");
  if (!o->audience || !*o->audience)
    return qunfa_client_fail(c, QF_EINVAL, "the audience is empty");
  req.item = (char *)o->item;
  req.price = (char *)(o->price ? o->price : "");
  req.orig_price = (char *)(o->orig_price ? o->orig_price : "");
  req.stock = o->stock;
  req.start_ms = o->start_ms;
  req.end_ms = o->end_ms;
  req.audience = (char *)o->audience;
  req.link = (char *)(o->link ? o->link : "");
  req.remind_ms = (int64_t *)o->remind_ms;
  req.n_remind_ms = o->nremind;
  if ((rc = qunfa_client_call(c, "CreateSale", &req.base, &reply)) != 0)
    return rc;
  return take_sale(c, reply, out);
}

int qunfa_sale_stock(qunfa_client *c, uint64_t sale, uint32_t stock,
                     Qunfa__Sale **out) {
  Qunfa__SaleStockRequest req = QUNFA__SALE_STOCK_REQUEST__INIT;
  ProtobufCMessage *reply;
  int rc;

  if (out)
    *out = NULL;
  req.sale_id = sale;
  req.stock = stock;
  if ((rc = qunfa_client_call(c, "SaleStock", &req.base, &reply)) != 0)
    return rc;
  return take_sale(c, reply, out);
}

int qunfa_sale_get(qunfa_client *c, uint64_t sale, Qunfa__Sale **out) {
  Qunfa__SaleRef req = QUNFA__SALE_REF__INIT;
  ProtobufCMessage *reply;
  int rc;

  *out = NULL;
  req.sale_id = sale;
  if ((rc = qunfa_client_call(c, "GetSale", &req.base, &reply)) != 0)
    return rc;
  return take_sale(c, reply, out);
}

void qunfa_sale_free(Qunfa__Sale *s) {
  if (s)
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

int qunfa_post_recall(qunfa_client *c, qunfa_post_id post, Qunfa__RecallReply **out) {
  Qunfa__PostRef req = QUNFA__POST_REF__INIT;
  ProtobufCMessage *reply;
  int rc;

  *out = NULL;
  req.post_id = post.n;
  if ((rc = qunfa_client_call(c, "RecallPost", &req.base, &reply)) != 0)
    return rc;
  *out = (Qunfa__RecallReply *)reply;
  return 0;
}

void qunfa_recall_free(Qunfa__RecallReply *r) {
  if (r)
    protobuf_c_message_free_unpacked(&r->base, NULL);
}
