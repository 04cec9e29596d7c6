/* DingTalk (钉钉) custom robot, as oapi.dingtalk.com answers it:
 *   POST /robot/send?access_token=T[&timestamp=MS&sign=S]
 *        {"msgtype":"text","text":{"content":T}}
 * A signing robot (its secret in --secrets) wants timestamp (ms, within an hour
 * of now) and sign = urlencode(base64(HMAC-SHA256(key = secret, message =
 * timestamp "\n" secret))), else errcode 310000. A keyword robot takes only
 * text holding one of its keywords (310000 too). Every answer is HTTP 200 with
 * {"errcode":N,"errmsg":"..."}. Limit: 20 per minute per robot; a robot that
 * exceeds it answers 130101 to everything for the next 10 minutes. */
#include "platform.h"

#include "qf/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DINGTALK_TOKEN_MAX 128
#define DINGTALK_TEXT_MAX 20000
#define DINGTALK_SKEW_MS 3600000LL

static bool dingtalk_match(const char *path) {
  return strcmp(path, "/robot/send") == 0;
}

static int dingtalk_error(mc_reply *r, int code, const char *msg) {
  mc_reply_json(r, 200, json_pack("{s:i,s:s}", "errcode", code, "errmsg", msg));
  return QF_EINVAL;
}

static int check_sign(const mc_request *rq, const char *secret, mc_reply *rej) {
  char ts[32], sign[128];
  if (!mc_query_get(rq->query, "timestamp", ts, sizeof ts) ||
      !mc_query_get(rq->query, "sign", sign, sizeof sign))
    return dingtalk_error(rej, 310000, "sign not match");
  char *end;
  long long t = strtoll(ts, &end, 10);
  if (*end || end == ts || llabs(t - rq->now_ms) > DINGTALK_SKEW_MS)
    return dingtalk_error(rej, 310000, "invalid timestamp");
  char msg[512], want[45];
  int n = snprintf(msg, sizeof msg, "%s\n%s", ts, secret);
  if (n < 0 || (size_t)n >= sizeof msg)
    return dingtalk_error(rej, 310000, "sign not match");
  mc_hmac_b64(secret, strlen(secret), msg, (size_t)n, want);
  return mc_same(sign, want) ? 0 : dingtalk_error(rej, 310000, "sign not match");
}

static bool nonempty(const json_t *o, const char *name) {
  const char *s = mc_str(o, name);
  return s && *s;
}

/* An actionCard: title and markdown text, and either one button (singleTitle
 * with singleURL) or a list of buttons, each with title and actionURL. */
static bool action_card_ok(const json_t *o) {
  const json_t *btns = json_object_get(o, "btns");
  size_t i;
  const json_t *b;
  if (!nonempty(o, "title") || !nonempty(o, "text"))
    return false;
  if (nonempty(o, "singleTitle") || nonempty(o, "singleURL"))
    return nonempty(o, "singleTitle") && nonempty(o, "singleURL");
  if (json_array_size(btns) == 0)
    return false;
  json_array_foreach(btns, i, b) {
    if (!nonempty(b, "title") || !nonempty(b, "actionURL"))
      return false;
  }
  return true;
}

/* The text a message shows: text.content, markdown.text, ... */
static int dingtalk_content(mc_message *m, const char **text, mc_reply *rej) {
  const char *type = mc_str(m->doc, "msgtype");
  const json_t *o = type ? json_object_get(m->doc, type) : NULL;
  if (!type || !json_is_object(o))
    return dingtalk_error(rej, 40035, "缺少参数 json");
  m->m.kind = type;
  if (strcmp(type, "text") == 0)
    *text = mc_str(o, "content");
  else if (strcmp(type, "markdown") == 0)
    *text = mc_str(o, "title") ? mc_str(o, "text") : NULL;
  else if (strcmp(type, "link") == 0)
    *text = mc_str(o, "text");
  else if (strcmp(type, "actionCard") == 0)
    *text = action_card_ok(o) ? (m->m.card = o, mc_str(o, "text")) : NULL;
  else if (strcmp(type, "feedCard") == 0)
    *text = "";
  else
    return dingtalk_error(rej, 40035, "缺少参数 json");
  if (!*text)
    return dingtalk_error(rej, 40035, "缺少参数 json");
  if (strlen(*text) > DINGTALK_TEXT_MAX)
    return dingtalk_error(rej, 460101, "message too long, exceed 20000 bytes");
  return 0;
}

static int check_keywords(const json_t *kw, const char *text, mc_reply *rej) {
  size_t i;
  json_t *w;
  json_array_foreach(kw, i, w) {
    if (strstr(text, json_string_value(w)))
      return 0;
  }
  return dingtalk_error(rej, 310000, "keywords not in content");
}

static int dingtalk_decode(const mc_request *rq, mc_message *m, mc_reply *rej) {
  char token[DINGTALK_TOKEN_MAX], why[MC_WHY_MAX];
  if (!mc_query_get(rq->query, "access_token", token, sizeof token) || !token[0])
    return dingtalk_error(rej, 300001, "token is not exist");
  snprintf(m->target, sizeof m->target, "dingtalk:%s", token);
  const char *secret = secrets_get(rq->secrets, "dingtalk", token);
  int rc;
  if (secret && (rc = check_sign(rq, secret, rej)) != 0)
    return rc;
  if (!mc_body_object(rq, &m->doc, why, sizeof why))
    return dingtalk_error(rej, 40035, "缺少参数 json");
  const char *text = NULL;
  if ((rc = dingtalk_content(m, &text, rej)) != 0)
    return rc;
  const json_t *kw = secrets_keywords(rq->secrets, "dingtalk", token);
  if (kw && (rc = check_keywords(kw, text, rej)) != 0)
    return rc;
  mc_identify(m, rq, "dingtalk", m->m.kind, text);
  return 0;
}

static void dingtalk_accepted(const mc_message *m, uint64_t id, int64_t now_ms,
                              mc_reply *out) {
  (void)m, (void)id, (void)now_ms;
  mc_reply_json(out, 200, json_pack("{s:i,s:s}", "errcode", 0, "errmsg", "ok"));
}

static void dingtalk_throttled(const mc_message *m, int64_t wait_ms, mc_reply *out) {
  (void)m, (void)wait_ms;
  dingtalk_error(out, 130101, "send too fast, exceed 20 times per minute");
}

const mc_platform mc_dingtalk = {
    .name = "dingtalk",
    .match = dingtalk_match,
    .decode = dingtalk_decode,
    .accepted = dingtalk_accepted,
    .throttled = dingtalk_throttled,
    .target_rates = {{20, 60000}},
    .silence_ms = 600000,
};
