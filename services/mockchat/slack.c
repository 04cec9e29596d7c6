/* Slack incoming webhook, as hooks.slack.com answers it:
 *   POST /services/T.../B.../X...   {"text":T}
 * Answers are plain text: 200 "ok", 400 "invalid_payload" or "no_text", 404
 * "no_service" for a url that names no hook. Text past 40,000 characters is
 * cut (Slack truncates rather than refuses). Limit: one message per second per
 * webhook, else 429 with Retry-After (seconds). */
#include "platform.h"

#include "qf/err.h"

#include <stdio.h>
#include <string.h>

#define SLACK_PREFIX "/services/"
#define SLACK_TEXT_MAX 40000

static bool slack_match(const char *path) {
  return strncmp(path, SLACK_PREFIX, strlen(SLACK_PREFIX)) == 0;
}

static int slack_error(mc_reply *r, uint16_t status, const char *word) {
  mc_reply_text(r, status, word);
  return QF_EINVAL;
}

/* Three non-empty segments T/B/X and nothing else. */
static bool hook_path(const char *p) {
  int segs = 0;
  for (const char *s = p; *s;) {
    size_t n = strcspn(s, "/");
    if (n == 0)
      return false;
    segs++;
    s += n;
    if (*s == '/' && !*++s)
      return false;
  }
  return segs == 3;
}

/* Cuts text past SLACK_TEXT_MAX code points, as Slack does, in the body. */
static const char *cut_text(json_t *doc, const char *text) {
  if (mc_chars(text) <= SLACK_TEXT_MAX)
    return text;
  size_t n = 0, i = 0;
  for (; text[i]; i++) {
    if (((unsigned char)text[i] & 0xC0) != 0x80 && n++ == SLACK_TEXT_MAX)
      break;
  }
  json_object_set_new(doc, "text", json_stringn(text, i));
  return mc_str(doc, "text");
}

#define SLACK_BLOCKS_MAX 50
#define SLACK_FIELDS_MAX 10

/* A text object of type plain_text or mrkdwn (plain_text only when plain),
 * 1 to max characters. */
static bool text_obj_ok(const json_t *t, bool plain, size_t max) {
  const char *type = mc_str(t, "type"), *text = mc_str(t, "text");
  if (!type || !text || !*text || mc_chars(text) > max)
    return false;
  return strcmp(type, "plain_text") == 0 || (!plain && strcmp(type, "mrkdwn") == 0);
}

/* A section's accessory; a button has plain text up to 75 characters and a
 * url up to 3,000. Other element types are taken as they are. */
static bool accessory_ok(const json_t *a) {
  const char *type = mc_str(a, "type"), *url = mc_str(a, "url");
  if (!type)
    return false;
  if (strcmp(type, "button") != 0)
    return true;
  if (json_object_get(a, "url") && (!url || !*url || strlen(url) > 3000))
    return false;
  return text_obj_ok(json_object_get(a, "text"), true, 75);
}

/* A section: text (up to 3,000 characters) or fields (up to 10, each up to
 * 2,000), and an optional accessory. */
static bool section_ok(const json_t *b) {
  const json_t *t = json_object_get(b, "text"), *f = json_object_get(b, "fields");
  const json_t *acc = json_object_get(b, "accessory"), *x;
  size_t i;
  if ((!t && !f) || (t && !text_obj_ok(t, false, 3000)) || (acc && !accessory_ok(acc)))
    return false;
  if (f && (!json_is_array(f) || json_array_size(f) == 0 ||
            json_array_size(f) > SLACK_FIELDS_MAX))
    return false;
  json_array_foreach(f, i, x) {
    if (!text_obj_ok(x, false, 2000))
      return false;
  }
  return true;
}

/* Block Kit as Slack checks a message's blocks: at most 50, each of a known
 * type; sections, headers and dividers are checked in depth. */
static bool blocks_ok(const json_t *blocks) {
  static const char *const others[] = {"actions", "context", "image", "rich_text",
                                       "input",   "file",    "video"};
  size_t i;
  const json_t *b;
  if (!json_is_array(blocks) || json_array_size(blocks) > SLACK_BLOCKS_MAX)
    return false;
  json_array_foreach(blocks, i, b) {
    const char *type = mc_str(b, "type");
    bool known = false;
    if (!type)
      return false;
    if (strcmp(type, "section") == 0)
      known = section_ok(b);
    else if (strcmp(type, "header") == 0)
      known = text_obj_ok(json_object_get(b, "text"), true, 150);
    else if (strcmp(type, "divider") == 0)
      known = true;
    for (size_t k = 0; k < sizeof others / sizeof others[0]; k++)
      known = known || strcmp(type, others[k]) == 0;
    if (!known)
      return false;
  }
  return true;
}

static int slack_decode(const mc_request *rq, mc_message *m, mc_reply *rej) {
  const char *p = rq->path + strlen(SLACK_PREFIX);
  char why[MC_WHY_MAX];
  if (!hook_path(p))
    return slack_error(rej, 404, "no_service");
  snprintf(m->target, sizeof m->target, "slack:%s", p);
  if (!mc_body_object(rq, &m->doc, why, sizeof why))
    return slack_error(rej, 400, "invalid_payload");
  const char *text = mc_str(m->doc, "text");
  bool rich = json_array_size(json_object_get(m->doc, "blocks")) > 0 ||
              json_array_size(json_object_get(m->doc, "attachments")) > 0;
  if ((!text || !*text) && !rich)
    return slack_error(rej, 400, "no_text");
  if (json_object_get(m->doc, "text") && !text)
    return slack_error(rej, 400, "invalid_payload");
  json_t *blocks = json_object_get(m->doc, "blocks");
  if (blocks && !blocks_ok(blocks))
    return slack_error(rej, 400, "invalid_blocks");
  m->m.card = blocks;
  mc_identify(m, rq, "slack", blocks ? "blocks" : "text",
              text ? cut_text(m->doc, text) : "");
  return 0;
}

static void slack_accepted(const mc_message *m, uint64_t id, int64_t now_ms,
                           mc_reply *out) {
  (void)m, (void)id, (void)now_ms;
  mc_reply_text(out, 200, "ok");
}

static void slack_throttled(const mc_message *m, int64_t wait_ms, mc_reply *out) {
  (void)m;
  mc_reply_text(out, 429, "rate_limited");
  mc_reply_retry_after(out, "Retry-After", wait_ms);
}

const mc_platform mc_slack = {
    .name = "slack",
    .match = slack_match,
    .decode = slack_decode,
    .accepted = slack_accepted,
    .throttled = slack_throttled,
    .target_rates = {{1, 1000}},
};
