/* The platform dialects' fixture runner: tests/fixtures/<dialect>.json holds
 * request/response examples written from the platform's documentation, and
 * each test_dialect_<platform>.c runs them through the dialect.
 *
 * A fixture file:
 *   "limits":   {"group_rates": [[count, per_ms]...], "account_rates": [...],
 *                "max_text": N, "max_markdown": N, "unit": "bytes"|"utf16"|
 *                "chars"|"body"}
 *   "secrets":  strings that must never appear in a reason
 *   "render":   [{"name", "msg": {post_id, group_id, url, text | text_repeat:
 *                {piece, count}, format, now_ms, card: {kind: "announce"|
 *                "reminder"|"sold_out", item, price, orig_price, stock, end_ms,
 *                before_ms, link}}, then either "url" and "body"
 *                (the exact JSON, compared byte for byte after compact
 *                encoding) or "refused" (a part of the reason); "hide": strings
 *                that must not appear in the url, body or reason}]
 *   "classify": [{"name", "answer": {xfer, status, body (string or JSON),
 *                retry_after, headers, now_ms}, "outcome", "retry_after_ms",
 *                "throttled" (true for a rate-limit answer; absent: false),
 *                "error" (exact), "error_has" (a part), "msg_id"}] */
#ifndef TEST_DIALECT_FIXTURE_H
#define TEST_DIALECT_FIXTURE_H
#include "qf/dialect.h"
#include "qf/err.h"
#include "qf/salecard.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static inline json_t *fixture_load(const char *dialect) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", QF_FIXTURES_DIR, dialect);
  json_error_t err;
  json_t *j = json_load_file(path, 0, &err);
  cr_assert_not_null(j, "%s:%d: %s", path, err.line, err.text);
  return j;
}

static inline const char *fixture_str(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

/* The message's text: "text", or "piece" repeated "count" times. Caller frees. */
static inline char *fixture_text(const json_t *m) {
  const json_t *rep = json_object_get(m, "text_repeat");
  if (!rep)
    return strdup(fixture_str(m, "text") ? fixture_str(m, "text") : "");
  const char *piece = fixture_str(rep, "piece");
  size_t count = (size_t)json_integer_value(json_object_get(rep, "count"));
  size_t n = strlen(piece);
  char *s = malloc(n * count + 1);
  for (size_t i = 0; i < count; i++)
    memcpy(s + i * n, piece, n);
  s[n * count] = '\0';
  return s;
}

/* The message's sale card into *c, or NULL when it has none. */
static inline const qf_sale_card *fixture_card(const json_t *m, qf_sale_card *c) {
  const json_t *j = json_object_get(m, "card");
  const char *kind = fixture_str(j, "kind");
  if (!j)
    return NULL;
  memset(c, 0, sizeof *c);
  c->kind = kind && strcmp(kind, "reminder") == 0   ? QF_SALE_CARD_REMINDER
            : kind && strcmp(kind, "sold_out") == 0 ? QF_SALE_CARD_SOLDOUT
                                                    : QF_SALE_CARD_ANNOUNCE;
  c->item = fixture_str(j, "item");
  c->price = fixture_str(j, "price");
  c->orig_price = fixture_str(j, "orig_price");
  c->link = fixture_str(j, "link");
  c->stock = (uint32_t)json_integer_value(json_object_get(j, "stock"));
  c->end_ms = json_integer_value(json_object_get(j, "end_ms"));
  c->before_ms = json_integer_value(json_object_get(j, "before_ms"));
  return c;
}

static inline void fixture_msg(const json_t *m, qf_dialect_msg *msg, char *text,
                               qf_sale_card *card) {
  memset(msg, 0, sizeof *msg);
  msg->post_id = (uint64_t)json_integer_value(json_object_get(m, "post_id"));
  msg->group_id = fixture_str(m, "group_id");
  msg->url = fixture_str(m, "url");
  msg->kind = "post";
  msg->text = text;
  msg->format = fixture_str(m, "format");
  msg->now_ms = json_integer_value(json_object_get(m, "now_ms"));
  msg->card = fixture_card(m, card);
}

/* None of the strings in hide occurs in s. */
static inline void fixture_hidden(const json_t *hide, const char *s, const char *what,
                                  const char *name) {
  size_t i;
  const json_t *v;
  json_array_foreach(hide, i, v) {
    cr_assert_null(strstr(s, json_string_value(v)), "%s: a secret shows in the %s: %s",
                   name, what, s);
  }
}

static inline void fixture_has_header(const qf_dialect_request *r, const char *prefix,
                                      const char *name) {
  for (size_t i = 0; i < r->nheaders; i++) {
    if (strncmp(r->headers[i], prefix, strlen(prefix)) == 0)
      return;
  }
  cr_assert_fail("%s: no header %s", name, prefix);
}

static inline void fixture_render_case(const qf_dialect *d, const json_t *c,
                                       const json_t *never, qf_dialect_request *req) {
  const char *name = fixture_str(c, "name");
  char *text = fixture_text(json_object_get(c, "msg"));
  qf_dialect_msg msg;
  qf_sale_card card;
  fixture_msg(json_object_get(c, "msg"), &msg, text, &card);
  int rc = d->render(&msg, req);
  fixture_hidden(never, req->error, "reason", name);
  fixture_hidden(json_object_get(c, "hide"), req->error, "reason", name);
  const char *refused = fixture_str(c, "refused");
  if (refused) {
    cr_assert_eq(rc, QF_EINVAL, "%s: render should refuse", name);
    cr_assert_not_null(strstr(req->error, refused), "%s: reason \"%s\" lacks \"%s\"",
                       name, req->error, refused);
    free(text);
    return;
  }
  cr_assert_eq(rc, 0, "%s: render failed: %s", name, req->error);
  cr_assert_str_eq(req->error, "", "%s", name);
  cr_assert_str_eq(req->url, fixture_str(c, "url"), "%s: url", name);
  char *want = json_dumps(json_object_get(c, "body"), JSON_COMPACT);
  cr_assert_str_eq(req->body, want, "%s: body", name);
  cr_assert_eq(req->body_len, strlen(req->body), "%s", name);
  fixture_hidden(json_object_get(c, "hide"), req->url, "url", name);
  fixture_hidden(json_object_get(c, "hide"), req->body, "body", name);
  fixture_has_header(req, "Content-Type: application/json", name);
  fixture_has_header(req, "Idempotency-Key: ", name);
  free(want);
  free(text);
}

/* Renders every case with one request, as a dispatcher slot does. */
static inline void fixture_render_all(const qf_dialect *d) {
  json_t *f = fixture_load(d->name);
  qf_dialect_request req;
  qf_dialect_request_init(&req);
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(f, "render"), i, c) {
    fixture_render_case(d, c, json_object_get(f, "secrets"), &req);
  }
  cr_assert_gt(i, 0, "no render cases");
  qf_dialect_request_free(&req);
  json_decref(f);
}

static inline qf_xfer fixture_xfer(const char *s) {
  static const struct {
    const char *name;
    qf_xfer x;
  } map[] = {{"timeout", QF_XFER_TIMEOUT}, {"refused", QF_XFER_REFUSED},
             {"dns", QF_XFER_DNS},         {"tls", QF_XFER_TLS},
             {"network", QF_XFER_NETWORK}, {"badurl", QF_XFER_BADURL},
             {"other", QF_XFER_OTHER}};
  for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++) {
    if (strcmp(s, map[i].name) == 0)
      return map[i].x;
  }
  return QF_XFER_OK;
}

static inline qf_outcome fixture_outcome(const char *s) {
  if (strcmp(s, "delivered") == 0)
    return QF_OUTCOME_DELIVERED;
  if (strcmp(s, "retry") == 0)
    return QF_OUTCOME_RETRY;
  cr_assert_str_eq(s, "failed");
  return QF_OUTCOME_FAILED;
}

static inline void fixture_classify_case(const qf_dialect *d, const json_t *c,
                                         const json_t *never) {
  const char *name = fixture_str(c, "name");
  const json_t *a = json_object_get(c, "answer");
  const json_t *body = json_object_get(a, "body");
  char *text = json_is_string(body) ? strdup(json_string_value(body))
               : body               ? json_dumps(body, JSON_COMPACT)
                                    : NULL;
  qf_dialect_answer ans = {
      .xfer = fixture_xfer(fixture_str(a, "xfer")),
      .status = (long)json_integer_value(json_object_get(a, "status")),
      .retry_after = fixture_str(a, "retry_after"),
      .body = text,
      .body_len = text ? strlen(text) : 0,
      .now_ms = json_integer_value(json_object_get(a, "now_ms")),
      .headers = fixture_str(a, "headers"),
      .headers_len = fixture_str(a, "headers") ? strlen(fixture_str(a, "headers")) : 0,
  };
  qf_dialect_result res;
  memset(&res, 0x55, sizeof res);
  d->classify(&ans, &res);
  cr_assert_eq(res.outcome, fixture_outcome(fixture_str(c, "outcome")),
               "%s: outcome %d, reason \"%s\"", name, (int)res.outcome, res.error);
  cr_assert_eq(res.retry_after_ms,
               json_integer_value(json_object_get(c, "retry_after_ms")),
               "%s: retry_after_ms %lld", name, (long long)res.retry_after_ms);
  /* Only a rate-limit answer teaches the scheduler a lower rate. */
  cr_assert_eq(res.throttled, json_is_true(json_object_get(c, "throttled")),
               "%s: throttled %d", name, (int)res.throttled);
  const char *msg_id = fixture_str(c, "msg_id");
  cr_assert_str_eq(res.platform_msg_id, msg_id ? msg_id : "", "%s: message id", name);
  if (fixture_str(c, "error"))
    cr_assert_str_eq(res.error, fixture_str(c, "error"), "%s: reason", name);
  if (fixture_str(c, "error_has"))
    cr_assert_not_null(strstr(res.error, fixture_str(c, "error_has")),
                       "%s: reason \"%s\"", name, res.error);
  if (res.outcome == QF_OUTCOME_DELIVERED)
    cr_assert_str_eq(res.error, "", "%s", name);
  else
    cr_assert_neq(res.error[0], '\0', "%s: no reason", name);
  fixture_hidden(never, res.error, "reason", name);
  free(text);
}

static inline void fixture_classify_all(const qf_dialect *d) {
  json_t *f = fixture_load(d->name);
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(f, "classify"), i, c) {
    fixture_classify_case(d, c, json_object_get(f, "secrets"));
  }
  cr_assert_gt(i, 0, "no classify cases");
  json_decref(f);
}

static inline void fixture_rates(const json_t *want, const qf_dialect_rate *got,
                                 const char *what) {
  for (size_t i = 0; i < QF_DIALECT_RATES_MAX; i++) {
    const json_t *r = json_array_get(want, i);
    cr_assert_eq(got[i].count, r ? json_integer_value(json_array_get(r, 0)) : 0,
                 "%s[%zu].count", what, i);
    cr_assert_eq(got[i].per_ms, r ? json_integer_value(json_array_get(r, 1)) : 0,
                 "%s[%zu].per_ms", what, i);
  }
}

static inline void fixture_limits(const qf_dialect *d) {
  json_t *f = fixture_load(d->name);
  const json_t *l = json_object_get(f, "limits");
  cr_assert_not_null(l);
  fixture_rates(json_object_get(l, "group_rates"), d->group_rates, "group_rates");
  fixture_rates(json_object_get(l, "account_rates"), d->account_rates, "account_rates");
  cr_assert_eq(d->max_text, (size_t)json_integer_value(json_object_get(l, "max_text")));
  cr_assert_eq(d->max_markdown,
               (size_t)json_integer_value(json_object_get(l, "max_markdown")));
  static const char *const units[] = {"none", "bytes", "utf16", "chars", "body"};
  cr_assert_str_eq(units[d->text_unit], fixture_str(l, "unit"));
  cr_assert_eq(d->account != NULL,
               json_array_size(json_object_get(l, "account_rates")) > 0,
               "an account function goes with account rates");
  cr_assert_eq(qf_dialect_find(d->name), d);
  json_decref(f);
}

#endif
