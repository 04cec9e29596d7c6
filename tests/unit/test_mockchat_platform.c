/* The simulated platforms' checks: what each accepts, and how it rejects a
 * malformed, unsigned or badly signed request, as the real platform answers. */
#include "mockchat_unit.h"
#include "platform.h"

#include "qf/err.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NOW_MS 1795435200123LL

static secrets *sec;

static void setup(void) {
  sec =
      mockchat_secrets("{\"feishu\":{\"fs1\":\"qfFeishuSecret8r2Kx9\"},"
                       "\"dingtalk\":{\"dt1\":{\"secret\":"
                       "\"SEC9f3b2c6d1e8a7f4b5c0d9e8f7a6b5c4d3e2f1a0b9c8"
                       "d7e6f5a4b3c2d1e0f9a8b\"},\"kw\":{\"keywords\":[\"qunfa\"]}}}");
}

static void teardown(void) {
  secrets_free(sec);
}

TestSuite(platform, .init = setup, .fini = teardown);

typedef struct outcome {
  int rc;
  mc_message m;
  mc_reply rej;
  json_t *answer; /* the rejection's body as JSON, if it is JSON */
} outcome;

static outcome *run(const char *uri, const char *body, const char *key, int64_t now) {
  static outcome o;
  json_decref(o.m.doc);
  json_decref(o.answer);
  mc_reply_clear(&o.rej);
  memset(&o, 0, sizeof o);
  mc_request rq = {.idem_key = key, .now_ms = now ? now : NOW_MS, .secrets = sec};
  o.rc = mockchat_decode(uri, body, rq, &o.m, &o.rej);
  if (o.rc != 0 && o.rej.body)
    o.answer = json_loads(o.rej.body, 0, NULL);
  return &o;
}

static long long num(const json_t *o, const char *k) {
  return json_integer_value(json_object_get(o, k));
}

Test(platform, routes_each_platform_by_path) {
  cr_assert_str_eq(mc_platform_route("/hook/g1")->name, "generic");
  cr_assert_str_eq(mc_platform_route("/cgi-bin/webhook/send")->name, "wecom");
  cr_assert_str_eq(mc_platform_route("/open-apis/bot/v2/hook/x")->name, "feishu");
  cr_assert_str_eq(mc_platform_route("/robot/send")->name, "dingtalk");
  cr_assert_str_eq(mc_platform_route("/bot1:a/sendMessage")->name, "telegram");
  cr_assert_str_eq(mc_platform_route("/services/T/B/X")->name, "slack");
  cr_assert_null(mc_platform_route("/nothing"));
}

Test(platform, wecom_accepts_text_and_names_the_group_from_the_key) {
  outcome *o = run("/cgi-bin/webhook/send?key=K1",
                   "{\"msgtype\":\"text\",\"text\":{\"content\":\"hi\"}}", "7:g1", 0);
  cr_assert_eq(o->rc, 0);
  cr_assert_str_eq(o->m.m.group, "g1");
  cr_assert_str_eq(o->m.m.post, "7");
  cr_assert_str_eq(o->m.m.text, "hi");
  cr_assert_str_eq(o->m.target, "wecom:K1");
}

Test(platform, wecom_rejects_with_http_200_and_an_errcode) {
  struct {
    const char *uri, *body;
    long long errcode;
  } cases[] = {
      {"/cgi-bin/webhook/send", "{\"msgtype\":\"text\",\"text\":{\"content\":\"x\"}}",
       93000},
      {"/cgi-bin/webhook/send?key=K", "not json", 40035},
      {"/cgi-bin/webhook/send?key=K", "{\"msgtype\":\"sticker\"}", 40008},
      {"/cgi-bin/webhook/send?key=K", "{\"text\":{\"content\":\"x\"}}", 40008},
      {"/cgi-bin/webhook/send?key=K",
       "{\"msgtype\":\"text\",\"text\":{\"content\":\"\"}}", 44004},
      {"/cgi-bin/webhook/send?key=K", "{\"msgtype\":\"text\",\"text\":{}}", 40035},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    outcome *o = run(cases[i].uri, cases[i].body, NULL, 0);
    cr_assert_neq(o->rc, 0, "case %zu", i);
    cr_assert_eq(o->rej.status, 200, "case %zu", i);
    cr_assert_eq(num(o->answer, "errcode"), cases[i].errcode, "case %zu: %s", i,
                 o->rej.body);
  }
}

Test(platform, wecom_text_limit_is_2048_bytes) {
  char body[3000], text[2100];
  memset(text, 'a', 2049);
  text[2049] = '\0';
  snprintf(body, sizeof body, "{\"msgtype\":\"text\",\"text\":{\"content\":\"%s\"}}",
           text);
  outcome *o = run("/cgi-bin/webhook/send?key=K", body, NULL, 0);
  cr_assert_eq(num(o->answer, "errcode"), 40058);
  text[2048] = '\0';
  snprintf(body, sizeof body, "{\"msgtype\":\"text\",\"text\":{\"content\":\"%s\"}}",
           text);
  cr_assert_eq(run("/cgi-bin/webhook/send?key=K", body, NULL, 0)->rc, 0);
}

/* The vector of docs/dialects.md: timestamp 1795435200, that secret. */
Test(platform, feishu_verifies_the_signature) {
  const char *good = "{\"timestamp\":\"1795435200\",\"sign\":"
                     "\"qQkOL6/A2zK6thJw0HzYCdvPZ6awH1VPMxUOlo/qM4M=\",\"msg_type\":"
                     "\"text\",\"content\":{\"text\":\"hi\"}}";
  cr_assert_eq(run("/open-apis/bot/v2/hook/fs1", good, "1:g", 0)->rc, 0);
  const char *bad = "{\"timestamp\":\"1795435200\",\"sign\":"
                    "\"rQkOL6/A2zK6thJw0HzYCdvPZ6awH1VPMxUOlo/qM4M=\",\"msg_type\":"
                    "\"text\",\"content\":{\"text\":\"hi\"}}";
  outcome *o = run("/open-apis/bot/v2/hook/fs1", bad, NULL, 0);
  cr_assert_eq(num(o->answer, "code"), 19021);
  o = run("/open-apis/bot/v2/hook/fs1",
          "{\"msg_type\":\"text\",\"content\":{\"text\":\"x\"}}", NULL, 0);
  cr_assert_eq(num(o->answer, "code"), 19021,
               "a signing bot refuses unsigned requests");
  o = run("/open-apis/bot/v2/hook/fs1", good, NULL, NOW_MS + 3601000LL);
  cr_assert_eq(num(o->answer, "code"), 19021, "more than an hour late");
  cr_assert_eq(run("/open-apis/bot/v2/hook/other",
                   "{\"msg_type\":\"text\",\"content\":{\"text\":\"x\"}}", NULL, 0)
                   ->rc,
               0, "an unlisted bot does not sign");
}

Test(platform, feishu_rejects_bad_bodies) {
  outcome *o = run("/open-apis/bot/v2/hook/h", "{", NULL, 0);
  cr_assert_eq(o->rej.status, 400);
  cr_assert_eq(num(o->answer, "code"), 9499);
  o = run("/open-apis/bot/v2/hook/h", "{\"msg_type\":\"text\",\"content\":{}}", NULL,
          0);
  cr_assert_eq(num(o->answer, "code"), 9499);
  o = run("/open-apis/bot/v2/hook/h", "{\"content\":{\"text\":\"x\"}}", NULL, 0);
  cr_assert_eq(num(o->answer, "code"), 19002);
}

Test(platform, dingtalk_verifies_the_signature_in_the_url) {
  const char *body = "{\"msgtype\":\"text\",\"text\":{\"content\":\"hi\"}}";
  outcome *o = run("/robot/send?access_token=dt1&timestamp=1795435200123&sign="
                   "docQzUg4wK5L2lx1%2BTvOouOiATZ42GWeSSCsnq7dR3U%3D",
                   body, "3:g9", 0);
  cr_assert_eq(o->rc, 0, "%s", o->rej.body);
  cr_assert_str_eq(o->m.m.group, "g9");
  o = run("/robot/send?access_token=dt1&timestamp=1795435200124&sign="
          "docQzUg4wK5L2lx1%2BTvOouOiATZ42GWeSSCsnq7dR3U%3D",
          body, NULL, 0);
  cr_assert_eq(num(o->answer, "errcode"), 310000);
  o = run("/robot/send?access_token=dt1", body, NULL, 0);
  cr_assert_eq(num(o->answer, "errcode"), 310000);
  o = run("/robot/send", body, NULL, 0);
  cr_assert_eq(num(o->answer, "errcode"), 300001);
}

Test(platform, dingtalk_keywords_and_formats) {
  outcome *o = run("/robot/send?access_token=kw",
                   "{\"msgtype\":\"text\",\"text\":{\"content\":\"hello\"}}", NULL, 0);
  cr_assert_eq(num(o->answer, "errcode"), 310000);
  cr_assert_eq(run("/robot/send?access_token=kw",
                   "{\"msgtype\":\"text\",\"text\":{\"content\":\"hello qunfa\"}}",
                   NULL, 0)
                   ->rc,
               0);
  o = run("/robot/send?access_token=x",
          "{\"msgtype\":\"markdown\",\"markdown\":{\"text\":"
          "\"no title\"}}",
          NULL, 0);
  cr_assert_eq(num(o->answer, "errcode"), 40035);
  cr_assert_eq(
      run("/robot/send?access_token=x",
          "{\"msgtype\":\"markdown\",\"markdown\":{\"title\":\"t\",\"text\":\"x\"}}",
          NULL, 0)
          ->rc,
      0);
}

Test(platform, telegram_rejects_like_the_bot_api) {
  struct {
    const char *uri, *body;
    int status;
    const char *desc;
  } cases[] = {
      {"/botnot-a-token/sendMessage", "{\"chat_id\":1,\"text\":\"x\"}", 401,
       "Unauthorized"},
      {"/bot1:a/sendPhoto", "{\"chat_id\":1}", 404, "Not Found"},
      {"/bot1:a/sendMessage", "{\"text\":\"x\"}", 400, "Bad Request: chat_id is empty"},
      {"/bot1:a/sendMessage", "{\"chat_id\":1,\"text\":\"\"}", 400,
       "Bad Request: message text is empty"},
      {"/bot1:a/deleteMessage", "{\"chat_id\":1}", 400,
       "Bad Request: message identifier is not specified"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    outcome *o = run(cases[i].uri, cases[i].body, NULL, 0);
    cr_assert_eq(o->rej.status, cases[i].status, "case %zu", i);
    cr_assert(json_is_false(json_object_get(o->answer, "ok")));
    cr_assert_eq(num(o->answer, "error_code"), cases[i].status);
    cr_assert_str_eq(json_string_value(json_object_get(o->answer, "description")),
                     cases[i].desc);
  }
}

Test(platform, telegram_counts_text_in_utf16_units_and_takes_query_params) {
  /* 2048 emoji are 4096 UTF-16 units: the limit exactly; one more is too long. */
  char body[20000] = "{\"chat_id\":-100123,\"text\":\"";
  for (int i = 0; i < 2048; i++)
    strcat(body, "\xF0\x9F\x98\x80");
  strcat(body, "\"}");
  cr_assert_eq(run("/bot1:a/sendMessage", body, NULL, 0)->rc, 0);
  body[strlen(body) - 2] = '\0';
  strcat(body, "x\"}");
  cr_assert_str_eq(
      json_string_value(json_object_get(
          run("/bot1:a/sendMessage", body, NULL, 0)->answer, "description")),
      "Bad Request: message is too long");
  outcome *o = run("/bot1:a/sendMessage?chat_id=%40chan&text=hi", "", "1:g", 0);
  cr_assert_eq(o->rc, 0);
  cr_assert_str_eq(o->m.target, "telegram:1:a/@chan");
  cr_assert_str_eq(o->m.bot, "telegram-bot:1:a");
}

Test(platform, slack_answers_plain_words) {
  outcome *o = run("/services/T/B", "{\"text\":\"x\"}", NULL, 0);
  cr_assert_eq(o->rej.status, 404);
  cr_assert_str_eq(o->rej.body, "no_service");
  o = run("/services/T/B/X", "text=x", NULL, 0);
  cr_assert_eq(o->rej.status, 400);
  cr_assert_str_eq(o->rej.body, "invalid_payload");
  o = run("/services/T/B/X", "{\"text\":\"\"}", NULL, 0);
  cr_assert_str_eq(o->rej.body, "no_text");
  cr_assert_eq(run("/services/T/B/X", "{\"text\":\"ok\"}", NULL, 0)->rc, 0);
}

Test(platform, generic_keeps_its_rules) {
  outcome *o = run("/hook/g1",
                   "{\"group\":\"g1\",\"post\":\"1\",\"kind\":\"post\",\"text\":\"x\"}",
                   "1:g1", 0);
  cr_assert_eq(o->rc, 0);
  cr_assert_null(o->m.m.dialect, "generic records keep their old fields");
  o = run("/hook/", "{}", "1:g1", 0);
  cr_assert_eq(o->rej.status, 404);
  o = run("/hook/g1", "{}", "1:g1", 0);
  cr_assert_eq(o->rej.status, 400);
}

Test(platform, throttled_answers_carry_each_platforms_words) {
  mc_message m = {0};
  mc_reply r = {0};
  mc_wecom.throttled(&m, 5000, &r);
  cr_assert_eq(r.status, 200);
  cr_assert(strstr(r.body, "45009"));
  mc_dingtalk.throttled(&m, 5000, &r);
  cr_assert(strstr(r.body, "130101"));
  mc_feishu.throttled(&m, 5000, &r);
  cr_assert(strstr(r.body, "11232"));
  mc_telegram.throttled(&m, 2500, &r);
  cr_assert_eq(r.status, 429);
  cr_assert(strstr(r.body, "\"retry_after\":3"), "%s", r.body);
  mc_slack.throttled(&m, 400, &r);
  cr_assert_eq(r.status, 429);
  cr_assert_str_eq(r.hname, "Retry-After");
  cr_assert_str_eq(r.hvalue, "1");
  mc_reply_clear(&r);
}
