/* WeCom (企业微信) group robot, as qyapi.weixin.qq.com answers it:
 *   POST /cgi-bin/webhook/send?key=KEY   {"msgtype":"text","text":{"content":T}}
 * Every answer is HTTP 200 with {"errcode":N,"errmsg":"..."}; 0 is success.
 * Limit: 20 messages per minute per robot, else errcode 45009. */
#include "platform.h"

#include "qf/err.h"

#include <stdio.h>
#include <string.h>

#define WECOM_KEY_MAX 128
#define WECOM_TEXT_MAX 2048
#define WECOM_MARKDOWN_MAX 4096

static bool wecom_match(const char *path) {
  return strcmp(path, "/cgi-bin/webhook/send") == 0;
}

static int wecom_error(mc_reply *r, int code, const char *msg) {
  mc_reply_json(r, 200, json_pack("{s:i,s:s}", "errcode", code, "errmsg", msg));
  return QF_EINVAL;
}

/* Checks the content member of a text or markdown message; *text is set. */
static int wecom_content(const json_t *doc, const char *type, size_t max,
                         const char **text, mc_reply *rej) {
  const char *t = mc_str(json_object_get(doc, type), "content");
  char msg[128];
  if (!t) {
    snprintf(msg, sizeof msg, "missing %s.content, invalid Request Parameter", type);
    return wecom_error(rej, 40035, msg);
  }
  if (!*t)
    return wecom_error(rej, 44004, "empty content");
  if (strlen(t) > max) {
    snprintf(msg, sizeof msg,
             "%s.content exceed max length %zu. invalid Request Parameter", type, max);
    return wecom_error(rej, 40058, msg);
  }
  *text = t;
  return 0;
}

/* Types the robot takes without text: their object must be there. */
static bool other_type(const char *type) {
  static const char *const types[] = {"image", "news", "file", "voice",
                                      "template_card"};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(type, types[i]) == 0)
      return true;
  return false;
}

#define WECOM_CARD_LIST_MAX 6
#define WECOM_CARD_JUMPS_MAX 3

static int card_error(mc_reply *rej, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "template_card.%s, invalid Request Parameter", what);
  return wecom_error(rej, 40035, msg);
}

/* A click target: type 1 opens url (http or https), type 2 a mini program by
 * appid; 0 or absent only where the click is optional. */
static bool target_ok(const json_t *o, bool required) {
  json_t *type = json_object_get(o, "type");
  long long t = json_is_integer(type) ? json_integer_value(type) : -1;
  const char *url = mc_str(o, "url");
  if (!type && !required)
    return true;
  if (t == 1)
    return url && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0);
  if (t == 2)
    return mc_str(o, "appid") != NULL;
  return t == 0 && !required;
}

/* Every member of the array at o[name] (at most max) has a string key and a
 * valid target. */
static bool list_ok(const json_t *o, const char *name, const char *key, size_t max) {
  const json_t *a = json_object_get(o, name);
  size_t i;
  const json_t *e;
  if (!a)
    return true;
  if (!json_is_array(a) || json_array_size(a) > max)
    return false;
  json_array_foreach(a, i, e) {
    if (!mc_str(e, key) || !target_ok(e, false))
      return false;
  }
  return true;
}

/* A text_notice or news_notice template card, as the robot checks it: its
 * main title or sub title text, the lists within their sizes, and the
 * card_action every template card needs. *text is the main title. */
static int wecom_template_card(mc_message *m, mc_reply *rej, const char **text) {
  json_t *c = json_object_get(m->doc, "template_card");
  const char *type = mc_str(c, "card_type");
  if (!json_is_object(c))
    return card_error(rej, "missing");
  if (!type || (strcmp(type, "text_notice") != 0 && strcmp(type, "news_notice") != 0))
    return card_error(rej, "card_type invalid");
  const char *title = mc_str(json_object_get(c, "main_title"), "title");
  const char *sub = mc_str(c, "sub_title_text");
  if ((!title || !*title) && (!sub || !*sub))
    return card_error(rej, "main_title.title or sub_title_text missing");
  if (!list_ok(c, "horizontal_content_list", "keyname", WECOM_CARD_LIST_MAX))
    return card_error(rej, "horizontal_content_list invalid");
  if (!list_ok(c, "jump_list", "title", WECOM_CARD_JUMPS_MAX))
    return card_error(rej, "jump_list invalid");
  if (!target_ok(json_object_get(c, "card_action"), true))
    return card_error(rej, "card_action invalid");
  m->m.card = c;
  *text = title && *title ? title : sub;
  return 0;
}

static int wecom_body(mc_message *m, mc_reply *rej, const char **text) {
  const char *type = mc_str(m->doc, "msgtype");
  if (!type)
    return wecom_error(rej, 40008, "invalid message type");
  m->m.kind = type;
  if (strcmp(type, "text") == 0)
    return wecom_content(m->doc, "text", WECOM_TEXT_MAX, text, rej);
  if (strcmp(type, "markdown") == 0 || strcmp(type, "markdown_v2") == 0)
    return wecom_content(m->doc, type, WECOM_MARKDOWN_MAX, text, rej);
  if (strcmp(type, "template_card") == 0)
    return wecom_template_card(m, rej, text);
  if (!other_type(type))
    return wecom_error(rej, 40008, "invalid message type");
  if (!json_is_object(json_object_get(m->doc, type)))
    return wecom_error(rej, 40035, "invalid Request Parameter");
  *text = "";
  return 0;
}

static int wecom_decode(const mc_request *rq, mc_message *m, mc_reply *rej) {
  char key[WECOM_KEY_MAX], why[MC_WHY_MAX];
  if (!mc_query_get(rq->query, "key", key, sizeof key) || !key[0])
    return wecom_error(rej, 93000, "invalid webhook url");
  snprintf(m->target, sizeof m->target, "wecom:%s", key);
  if (!mc_body_object(rq, &m->doc, why, sizeof why))
    return wecom_error(rej, 40035,
                       "Warning: wrong json format. invalid Request Parameter");
  const char *text = NULL;
  int rc = wecom_body(m, rej, &text);
  if (rc != 0)
    return rc;
  mc_identify(m, rq, "wecom", m->m.kind, text);
  return 0;
}

static void wecom_accepted(const mc_message *m, uint64_t id, int64_t now_ms,
                           mc_reply *out) {
  (void)m, (void)id, (void)now_ms;
  mc_reply_json(out, 200, json_pack("{s:i,s:s}", "errcode", 0, "errmsg", "ok"));
}

static void wecom_throttled(const mc_message *m, int64_t wait_ms, mc_reply *out) {
  (void)m, (void)wait_ms; /* WeCom does not say when to come back */
  wecom_error(out, 45009, "api freq out of limit");
}

const mc_platform mc_wecom = {
    .name = "wecom",
    .match = wecom_match,
    .decode = wecom_decode,
    .accepted = wecom_accepted,
    .throttled = wecom_throttled,
    .target_rates = {{20, 60000}},
};
