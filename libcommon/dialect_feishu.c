/* Feishu/Lark custom bot webhook: POST {"msg_type":"text","content":{"text":T}}
 * to https://open.feishu.cn/open-apis/bot/v2/hook/<id> (open.larksuite.com for
 * Lark). A bot with signature verification has its secret in the group's url
 * as a "secret" query parameter; it is taken out of the url before sending and
 * the body gets "timestamp" (seconds) and "sign" =
 * base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")).
 * Answers: {"code":0,"msg":"success",...} (older hooks: {"StatusCode":0,...}). */
#include "dialect_util.h"
#include "qf/clock.h"
#include "qf/err.h"
#include "qf/salecard.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define FEISHU_SECRET_MAX 256
#define FEISHU_FREQ_LIMIT 11232 /* over 100 a minute or 5 a second */
/* The bot's request body limit (20 KB); 20,000 so either reading of "K" holds. */
#define FEISHU_BODY_MAX 20000

/* A sale's interactive card: a coloured header with the title, the fields
 * two to a row, the note, and a button opening the link. */
static json_t *feishu_card(const qf_sale_card *c) {
  static const char *const colour[] = {"red", "orange", "grey"};
  char title[1024], md[QF_SALE_CARD_VALUE_LEN + 64];
  qf_sale_card_field f[QF_SALE_CARD_FIELDS_MAX];
  size_t nf = qf_sale_card_fields(c, f);
  const char *link = qf_sale_card_link(c), *note = qf_sale_card_note(c);
  json_t *fields = json_array(), *elements = json_array();
  qf_sale_card_title(c, title, sizeof title);
  for (size_t i = 0; i < nf; i++) {
    snprintf(md, sizeof md, "**%s**\n%s", f[i].label, f[i].value);
    json_array_append_new(fields, json_pack("{s:b, s:{s:s, s:s}}", "is_short", 1,
                                            "text", "tag", "lark_md", "content", md));
  }
  if (nf > 0)
    json_array_append_new(elements,
                          json_pack("{s:s, s:o}", "tag", "div", "fields", fields));
  else
    json_decref(fields);
  if (note)
    json_array_append_new(elements,
                          json_pack("{s:s, s:{s:s, s:s}}", "tag", "div", "text", "tag",
                                    "plain_text", "content", note));
  if (link)
    json_array_append_new(elements,
                          json_pack("{s:s, s:[{s:s, s:{s:s, s:s}, s:s, s:s}]}", "tag",
                                    "action", "actions", "tag", "button", "text", "tag",
                                    "plain_text", "content", qf_sale_card_button(c),
                                    "type", "primary", "url", link));
  return json_pack("{s:s, s:{s:{s:{s:s, s:s}, s:s}, s:o}}", "msg_type", "interactive",
                   "card", "header", "title", "tag", "plain_text", "content", title,
                   "template", colour[c->kind <= QF_SALE_CARD_SOLDOUT ? c->kind : 0],
                   "elements", elements);
}

/* The message: a sale's card, or a text message. */
static json_t *feishu_message(const qf_dialect_msg *msg) {
  if (msg->card)
    return feishu_card(msg->card);
  return json_pack("{s:s, s:{s:s}}", "msg_type", "text", "content", "text",
                   msg->text ? msg->text : "");
}

/* The message, signed when the bot has a secret: "timestamp" and "sign" come
 * first, as in Feishu's example. */
static json_t *feishu_json(const qf_dialect_msg *msg, const char *secret) {
  if (!*secret)
    return feishu_message(msg);
  int64_t now_ms = msg->now_ms ? msg->now_ms : qf_clock_now_ms();
  char ts[24], key[24 + FEISHU_SECRET_MAX], sign[QF_DIALECT_SIGN_LEN];
  snprintf(ts, sizeof ts, "%" PRId64, now_ms / 1000);
  int n = snprintf(key, sizeof key, "%s\n%s", ts, secret);
  if (qf_dialect_util_sign(key, (size_t)n, "", 0, sign) != 0)
    return NULL;
  json_t *m = feishu_message(msg);
  json_t *j = m ? json_pack("{s:s, s:s}", "timestamp", ts, "sign", sign) : NULL;
  if (j && json_object_update(j, m) != 0) {
    json_decref(j);
    j = NULL;
  }
  json_decref(m);
  return j;
}

static int feishu_render(const qf_dialect_msg *msg, qf_dialect_request *req) {
  qf_dialect_request_reset(req);
  int rc = qf_dialect_util_check_text(&qf_dialect_feishu, msg, req);
  if (rc != 0)
    return rc;
  char secret[FEISHU_SECRET_MAX];
  if (qf_dialect_util_url_take(msg->url, "secret", secret, sizeof secret, req) < 0)
    return qf_dialect_request_refuse(req, "feishu url: secret longer than %d bytes",
                                     FEISHU_SECRET_MAX - 1);
  rc = qf_dialect_util_finish(feishu_json(msg, secret),
                              "cannot sign or encode the message", msg, req);
  if (rc != 0)
    return rc;
  if (req->body_len > FEISHU_BODY_MAX)
    return qf_dialect_request_refuse(
        req, "text too long for feishu: request body %zu bytes, at most %d (not split)",
        req->body_len, FEISHU_BODY_MAX);
  return 0;
}

/* The delay a 429 or 11232 asks for: the gateway's x-ogw-ratelimit-reset
 * (seconds until the window resets), else Retry-After, else 0 (backoff). */
static int64_t feishu_delay(const qf_dialect_answer *ans) {
  char v[64];
  if (qf_dialect_util_header(ans, "x-ogw-ratelimit-reset", v, sizeof v))
    return qf_dialect_retry_after_ms(v, ans->now_ms);
  return qf_dialect_retry_after_ms(ans->retry_after, ans->now_ms);
}

static void feishu_by_code(const json_t *j, long long code,
                           const qf_dialect_answer *ans, qf_dialect_result *res) {
  const char *msg = json_string_value(json_object_get(j, "msg"));
  if (!msg)
    msg = json_string_value(json_object_get(j, "StatusMessage"));
  if (code == 0) {
    qf_dialect_result_set(res, QF_OUTCOME_DELIVERED, "%s", "");
  } else if (code == FEISHU_FREQ_LIMIT) {
    qf_dialect_util_reason(res, QF_OUTCOME_RETRY, "feishu code", code, msg);
    res->retry_after_ms = feishu_delay(ans);
    res->throttled = true;
  } else {
    qf_dialect_util_reason(res, QF_OUTCOME_FAILED, "feishu code", code, msg);
  }
}

static void feishu_classify(const qf_dialect_answer *ans, qf_dialect_result *res) {
  if (ans->xfer != QF_XFER_OK) {
    qf_dialect_classify_xfer(ans, res);
    return;
  }
  if (ans->status == 429 || ans->status >= 500) {
    qf_dialect_util_by_status(ans, "feishu", res);
    res->retry_after_ms = feishu_delay(ans);
    return;
  }
  json_t *j = qf_dialect_util_answer_json(ans);
  long long code;
  if (j && (qf_dialect_util_int(j, "code", &code) ||
            qf_dialect_util_int(j, "StatusCode", &code)))
    feishu_by_code(j, code, ans, res);
  else
    qf_dialect_util_no_code(ans, "feishu", res);
  json_decref(j);
}

const qf_dialect qf_dialect_feishu = {
    .name = "feishu",
    .render = feishu_render,
    .classify = feishu_classify,
    /* A custom bot lives in one group: its limits are the group's. */
    .group_rates = {{100, 60000}, {5, 1000}},
    .max_text = FEISHU_BODY_MAX,
    .text_unit = QF_DIALECT_UNIT_BODY,
};
