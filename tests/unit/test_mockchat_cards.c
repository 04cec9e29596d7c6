/* The simulated platforms' card checks, judged with the dialect fixtures
 * (tests/fixtures/<dialect>.json): every sale card a dialect renders from the
 * fixtures is accepted and recorded as a card, and each malformed card in the
 * fixture's "mockchat_rejects" ({"name", "url", "body", "status", "answer_has"})
 * is rejected with the platform's status and error. */
#include "mockchat_unit.h"
#include "platform.h"

#include "qf/err.h"
#include "test_dialect_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NOW_MS 1795435200123LL

static secrets *sec;

static void setup(void) {
  sec = mockchat_secrets("{}");
}

static void teardown(void) {
  secrets_free(sec);
}

TestSuite(cards, .init = setup, .fini = teardown);

typedef struct decoded {
  int rc;
  mc_message m;
  mc_reply rej;
} decoded;

/* Decodes body sent to url (scheme and host dropped) as mockchat would. */
static void decode(const char *url, const char *body, decoded *d) {
  const char *p = strstr(url, "://");
  memset(d, 0, sizeof *d);
  mc_request rq = {.idem_key = "1:g", .now_ms = NOW_MS, .secrets = sec};
  d->rc = mockchat_decode(p ? strchr(p + 3, '/') : url, body, rq, &d->m, &d->rej);
}

static void decoded_free(decoded *d) {
  json_decref(d->m.doc);
  mc_reply_clear(&d->rej);
}

/* Every card case of the fixture, rendered by the dialect, is accepted; the
 * record keeps a card unless the dialect sent its markdown form. */
static void accepts_rendered_cards(const char *dialect) {
  const qf_dialect *d = qf_dialect_find(dialect);
  json_t *f = fixture_load(dialect);
  qf_dialect_request req;
  size_t i, ncards = 0;
  const json_t *c;
  qf_dialect_request_init(&req);
  json_array_foreach(json_object_get(f, "render"), i, c) {
    const json_t *m = json_object_get(c, "msg");
    if (!json_object_get(m, "card"))
      continue;
    char *text = fixture_text(m);
    qf_dialect_msg msg;
    qf_sale_card card;
    fixture_msg(m, &msg, text, &card);
    cr_assert_eq(d->render(&msg, &req), 0, "%s: %s", fixture_str(c, "name"), req.error);
    decoded dec;
    decode(req.url, req.body, &dec);
    cr_assert_eq(dec.rc, 0, "%s: rejected: %s", fixture_str(c, "name"),
                 dec.rej.body ? dec.rej.body : "");
    bool markdown = strstr(req.body, "\"msgtype\":\"markdown\"") != NULL;
    cr_assert_eq(dec.m.m.card != NULL, !markdown, "%s: card recorded",
                 fixture_str(c, "name"));
    ncards++;
    decoded_free(&dec);
    free(text);
  }
  cr_assert_gt(ncards, 0, "%s: no card cases", dialect);
  qf_dialect_request_free(&req);
  json_decref(f);
}

/* Each malformed card of the fixture is rejected as the platform does. */
static void rejects_malformed_cards(const char *dialect) {
  json_t *f = fixture_load(dialect);
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(f, "mockchat_rejects"), i, c) {
    const char *name = fixture_str(c, "name");
    char *body = json_dumps(json_object_get(c, "body"), JSON_COMPACT);
    decoded dec;
    decode(fixture_str(c, "url"), body, &dec);
    cr_assert_neq(dec.rc, 0, "%s: accepted", name);
    cr_assert_eq(dec.rej.status, json_integer_value(json_object_get(c, "status")),
                 "%s: status %d", name, dec.rej.status);
    cr_assert_not_null(strstr(dec.rej.body, fixture_str(c, "answer_has")),
                       "%s: answer %s", name, dec.rej.body);
    decoded_free(&dec);
    free(body);
  }
  cr_assert_gt(i, 0, "%s: no mockchat_rejects", dialect);
  json_decref(f);
}

Test(cards, wecom_takes_the_rendered_cards_and_refuses_malformed_ones) {
  accepts_rendered_cards("wecom");
  rejects_malformed_cards("wecom");
}

Test(cards, feishu_takes_the_rendered_cards_and_refuses_malformed_ones) {
  accepts_rendered_cards("feishu");
  rejects_malformed_cards("feishu");
}

Test(cards, dingtalk_takes_the_rendered_cards_and_refuses_malformed_ones) {
  accepts_rendered_cards("dingtalk");
  rejects_malformed_cards("dingtalk");
}

Test(cards, telegram_takes_the_rendered_cards_and_refuses_malformed_ones) {
  accepts_rendered_cards("telegram");
  rejects_malformed_cards("telegram");
}

Test(cards, slack_takes_the_rendered_cards_and_refuses_malformed_ones) {
  accepts_rendered_cards("slack");
  rejects_malformed_cards("slack");
}
