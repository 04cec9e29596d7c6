/* Feishu/Lark custom bot, as open.feishu.cn answers it:
 *   POST /open-apis/bot/v2/hook/<id>   {"msg_type":"text","content":{"text":T}}
 * A signing bot (its secret in --secrets) wants "timestamp" (seconds, within an
 * hour of now) and "sign" = base64(HMAC-SHA256(key = timestamp "\n" secret,
 * message = "")) in the body, else code 19021. Answers are HTTP 200 with
 * {"code":N,"msg":...} (a body that is not JSON: HTTP 400, code 9499).
 * Limits: 100 per minute and 5 per second per bot, else code 11232. */
#include "platform.h"

#include "qf/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEISHU_PREFIX "/open-apis/bot/v2/hook/"
#define FEISHU_ID_MAX 128
#define FEISHU_BODY_MAX 20000
#define FEISHU_SKEW_S 3600

static bool feishu_match(const char *path) {
  return strncmp(path, FEISHU_PREFIX, strlen(FEISHU_PREFIX)) == 0;
}

static int feishu_error(mc_reply *r, uint16_t status, int code, const char *msg) {
  mc_reply_json(r, status,
                json_pack("{s:i,s:{},s:s}", "code", code, "data", "msg", msg));
  return QF_EINVAL;
}

static int check_sign(const mc_request *rq, const json_t *doc, const char *secret,
                      mc_reply *rej) {
  static const char bad[] =
      "sign match fail or timestamp is not within one hour from current time";
  const char *ts = mc_str(doc, "timestamp"), *sign = mc_str(doc, "sign");
  if (!ts || !sign)
    return feishu_error(rej, 200, 19021, bad);
  char *end;
  long long t = strtoll(ts, &end, 10);
  if (*end || end == ts || llabs(t - rq->now_ms / 1000) > FEISHU_SKEW_S)
    return feishu_error(rej, 200, 19021, bad);
  char key[512], want[45];
  int n = snprintf(key, sizeof key, "%s\n%s", ts, secret);
  if (n < 0 || (size_t)n >= sizeof key)
    return feishu_error(rej, 200, 19021, bad);
  mc_hmac_b64(key, (size_t)n, "", 0, want);
  return mc_same(sign, want) ? 0 : feishu_error(rej, 200, 19021, bad);
}

static int card_error(mc_reply *rej) {
  return feishu_error(rej, 200, 19002, "params error, unknown card value");
}

/* A text object: {"tag":"plain_text"|"lark_md","content":"..."}. */
static bool text_ok(const json_t *t) {
  const char *tag = mc_str(t, "tag");
  return tag && (strcmp(tag, "plain_text") == 0 || strcmp(tag, "lark_md") == 0) &&
         mc_str(t, "content");
}

/* A button: a text object and, when it opens a page, an http(s) url. */
static bool button_ok(const json_t *b) {
  const char *url = mc_str(b, "url");
  json_t *u = json_object_get(b, "url");
  if (!mc_str(b, "tag") || !text_ok(json_object_get(b, "text")))
    return false;
  return !u ||
         (url && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0));
}

/* One element of a card: a tag; a div's text or fields, an action's buttons. */
static bool element_ok(const json_t *e) {
  const char *tag = mc_str(e, "tag");
  size_t i;
  const json_t *x;
  if (!tag)
    return false;
  if (strcmp(tag, "div") == 0) {
    const json_t *fields = json_object_get(e, "fields"),
                 *t = json_object_get(e, "text");
    if ((!t && !fields) || (t && !text_ok(t)) || (fields && !json_is_array(fields)))
      return false;
    json_array_foreach(fields, i, x) {
      if (!text_ok(json_object_get(x, "text")))
        return false;
    }
  } else if (strcmp(tag, "action") == 0) {
    const json_t *acts = json_object_get(e, "actions");
    if (json_array_size(acts) == 0)
      return false;
    json_array_foreach(acts, i, x) {
      if (!button_ok(x))
        return false;
    }
  }
  return true;
}

/* An interactive card (message card JSON 1.0) as the bot checks it: elements
 * (or i18n_elements), each valid, and a header with a title when there is one.
 * *text is the header's title. */
static int feishu_card(mc_message *m, const char **text, mc_reply *rej) {
  json_t *c = json_object_get(m->doc, "card");
  const json_t *els = json_object_get(c, "elements"), *h = json_object_get(c, "header");
  size_t i;
  const json_t *e;
  if (!json_is_object(c))
    return json_is_object(json_object_get(m->doc, "content")) ? 0 : card_error(rej);
  if (!json_is_array(els) && !json_is_object(json_object_get(c, "i18n_elements")))
    return card_error(rej);
  json_array_foreach(els, i, e) {
    if (!element_ok(e))
      return card_error(rej);
  }
  if (h && !text_ok(json_object_get(h, "title")))
    return card_error(rej);
  m->m.card = c;
  *text = h ? mc_str(json_object_get(h, "title"), "content") : "";
  return 0;
}

/* The message's text: a text message's, or "" for the other types. */
static int feishu_content(mc_message *m, const char **text, mc_reply *rej) {
  static const char *const others[] = {"post", "image", "share_chat"};
  const char *type = mc_str(m->doc, "msg_type");
  if (!type)
    return feishu_error(rej, 200, 19002, "params error, msg_type need");
  m->m.kind = type;
  if (strcmp(type, "text") == 0) {
    *text = mc_str(json_object_get(m->doc, "content"), "text");
    return *text ? 0 : feishu_error(rej, 200, 9499, "Bad Request");
  }
  if (strcmp(type, "interactive") == 0) {
    *text = "";
    return feishu_card(m, text, rej);
  }
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
    if (strcmp(type, others[i]) == 0) {
      *text = "";
      bool ok = json_is_object(json_object_get(m->doc, "content")) ||
                json_is_object(json_object_get(m->doc, "card"));
      return ok ? 0 : feishu_error(rej, 200, 9499, "Bad Request");
    }
  }
  return feishu_error(rej, 200, 19002, "params error, unknown msg_type");
}

/* A keyword bot takes only text holding one of its keywords. */
static int check_keywords(const json_t *kw, const char *text, mc_reply *rej) {
  size_t i;
  json_t *w;
  json_array_foreach(kw, i, w) {
    if (strstr(text, json_string_value(w)))
      return 0;
  }
  return feishu_error(rej, 200, 19024, "Key Words Not Found");
}

static int feishu_decode(const mc_request *rq, mc_message *m, mc_reply *rej) {
  const char *seg = rq->path + strlen(FEISHU_PREFIX);
  char id[FEISHU_ID_MAX], why[MC_WHY_MAX];
  if (!mc_path_segment(seg, strlen(seg), id, sizeof id))
    return feishu_error(rej, 404, 19001,
                        "param invalid: incoming webhook access token invalid");
  snprintf(m->target, sizeof m->target, "feishu:%s", id);
  if (rq->len > FEISHU_BODY_MAX)
    return feishu_error(rej, 400, 9499, "Bad Request");
  if (!mc_body_object(rq, &m->doc, why, sizeof why))
    return feishu_error(rej, 400, 9499, "Bad Request");
  const char *secret = secrets_get(rq->secrets, "feishu", id);
  int rc;
  if (secret && (rc = check_sign(rq, m->doc, secret, rej)) != 0)
    return rc;
  const char *text = NULL;
  if ((rc = feishu_content(m, &text, rej)) != 0)
    return rc;
  const json_t *kw = secrets_keywords(rq->secrets, "feishu", id);
  if (kw && (rc = check_keywords(kw, text, rej)) != 0)
    return rc;
  mc_identify(m, rq, "feishu", m->m.kind, text);
  return 0;
}

static void feishu_accepted(const mc_message *m, uint64_t id, int64_t now_ms,
                            mc_reply *out) {
  (void)m, (void)id, (void)now_ms;
  mc_reply_json(out, 200,
                json_pack("{s:i,s:s,s:i,s:{},s:s}", "StatusCode", 0, "StatusMessage",
                          "success", "code", 0, "data", "msg", "success"));
}

static void feishu_throttled(const mc_message *m, int64_t wait_ms, mc_reply *out) {
  (void)m, (void)wait_ms; /* the bot webhook does not say when */
  feishu_error(out, 200, 11232,
               "frequency limited psm[lark.oapi.app_platform_runtime]appID[-1]");
}

const mc_platform mc_feishu = {
    .name = "feishu",
    .match = feishu_match,
    .decode = feishu_decode,
    .accepted = feishu_accepted,
    .throttled = feishu_throttled,
    .target_rates = {{100, 60000}, {5, 1000}},
};
