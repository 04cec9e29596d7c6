#include "generic.h"
#include "platform.h"

#include "qf/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The string field name of o, or NULL with a sentence in why. */
static const char *string_field(json_t *o, const char *name, bool nonempty, char *why,
                                size_t wlen) {
  json_t *v = json_object_get(o, name);
  if (!v) {
    snprintf(why, wlen, "field \"%s\" is missing", name);
    return NULL;
  }
  if (!json_is_string(v)) {
    snprintf(why, wlen, "field \"%s\" is not a string", name);
    return NULL;
  }
  if (nonempty && json_string_length(v) == 0) {
    snprintf(why, wlen, "field \"%s\" is empty", name);
    return NULL;
  }
  return json_string_value(v);
}

static int decode_fields(json_t *o, const char *path_group, chat_msg *out, char *why,
                         size_t wlen) {
  if (!(out->group = string_field(o, "group", false, why, wlen)) ||
      !(out->post = string_field(o, "post", true, why, wlen)) ||
      !(out->kind = string_field(o, "kind", true, why, wlen)) ||
      !(out->text = string_field(o, "text", false, why, wlen)))
    return QF_EINVAL;
  json_t *sale = json_object_get(o, "sale");
  if (sale &&
      (!json_is_object(sale) || !mc_str(sale, "kind") || !mc_str(sale, "item"))) {
    snprintf(why, wlen, "field \"sale\" is not an object with kind and item");
    return QF_EINVAL;
  }
  out->card = sale;
  if (strcmp(out->group, path_group) != 0) {
    snprintf(why, wlen, "field \"group\" (\"%.64s\") differs from the url's group",
             out->group);
    return QF_EINVAL;
  }
  return 0;
}

int generic_decode(const void *body, size_t len, const char *path_group,
                   const char *idem_key, json_t **doc, chat_msg *out, char *why,
                   size_t wlen) {
  *doc = NULL;
  memset(out, 0, sizeof *out);
  if (!idem_key || !*idem_key) {
    snprintf(why, wlen, "header Idempotency-Key is missing");
    return QF_EINVAL;
  }
  json_error_t jerr;
  /* Strings with NUL are rejected (no JSON_ALLOW_NUL); jansson checks UTF-8. */
  json_t *o = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
  if (!o) {
    snprintf(why, wlen, "body is not JSON: %s at line %d column %d", jerr.text,
             jerr.line, jerr.column);
    return QF_EINVAL;
  }
  if (!json_is_object(o)) {
    snprintf(why, wlen, "body is not a JSON object");
    json_decref(o);
    return QF_EINVAL;
  }
  if (decode_fields(o, path_group, out, why, wlen) != 0) {
    json_decref(o);
    return QF_EINVAL;
  }
  out->idempotency_key = idem_key;
  *doc = o;
  return 0;
}

/* ---- the generic platform: POST /hook/<group> ---- */

#define HOOK_PREFIX "/hook/"

static bool generic_match(const char *path) {
  return strncmp(path, HOOK_PREFIX, strlen(HOOK_PREFIX)) == 0 ||
         strcmp(path, "/hook") == 0;
}

static void generic_error(mc_reply *r, uint16_t status, const char *why) {
  mc_reply_json(
      r, status,
      json_pack("{s:b,s:i,s:s?}", "ok", 0, "code", (int)status, "error", why));
}

static int generic_plat_decode(const mc_request *rq, mc_message *m, mc_reply *rej) {
  const char *p = rq->path;
  size_t pre = strlen(HOOK_PREFIX);
  char why[MC_WHY_MAX];
  if (strlen(p) <= pre ||
      !mc_path_segment(p + pre, strlen(p + pre), m->group_buf, sizeof m->group_buf)) {
    generic_error(rej, 404, "no such hook: use /hook/<group>");
    return QF_EINVAL;
  }
  if (generic_decode(rq->body, rq->len, m->group_buf, rq->idem_key, &m->doc, &m->m, why,
                     sizeof why) != 0) {
    /* The fields may point into the body's document, freed by now: keep only
     * the group of the path, for the rejection's count. */
    m->m = (chat_msg){.group = m->group_buf};
    generic_error(rej, 400, why);
    return QF_EINVAL;
  }
  m->m.group = m->group_buf;
  snprintf(m->target, sizeof m->target, "generic:%.300s", m->group_buf);
  return 0;
}

static void generic_accepted(const mc_message *m, uint64_t id, int64_t now_ms,
                             mc_reply *out) {
  (void)m, (void)id, (void)now_ms;
  mc_reply_json(out, 200, json_pack("{s:b}", "ok", 1));
}

static void generic_throttled(const mc_message *m, int64_t wait_ms, mc_reply *out) {
  (void)m;
  generic_error(out, 429, "rate limited");
  mc_reply_retry_after(out, "Retry-After", wait_ms);
}

/* Generic records keep their original fields only (no "dialect"): a line
 * without "dialect" is the generic dialect's. */
const mc_platform mc_generic = {
    .name = "generic",
    .match = generic_match,
    .decode = generic_plat_decode,
    .accepted = generic_accepted,
    .throttled = generic_throttled,
};
