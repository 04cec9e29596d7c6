#include "test_dialect_fixture.h"

#define TOKEN "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
#define BASE "https://api.telegram.org/bot" TOKEN "/sendMessage"

Test(dialect_telegram, renders_the_documented_requests) {
  fixture_render_all(&qf_dialect_telegram);
}

Test(dialect_telegram, classifies_the_documented_answers) {
  fixture_classify_all(&qf_dialect_telegram);
}

Test(dialect_telegram, carries_the_platform_limits) {
  fixture_limits(&qf_dialect_telegram);
}

Test(dialect_telegram, counts_utf16_units) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  /* 2048 emoji: 8192 bytes, 2048 characters, 4096 UTF-16 units: just fits. */
  char *text = malloc(4 * 2048 + 1);
  for (size_t i = 0; i < 2048; i++)
    memcpy(text + 4 * i, "😀", 4);
  text[4 * 2048] = '\0';
  qf_dialect_msg m = {
      .post_id = 1, .group_id = "g", .url = BASE "?chat_id=1", .text = text};
  cr_assert_eq(qf_dialect_telegram.render(&m, &r), 0, "%s", r.error);
  free(text);
  qf_dialect_request_free(&r);
}

Test(dialect_telegram, account_key_is_a_digest_of_the_token) {
  char key[64];
  cr_assert_eq(qf_dialect_telegram.account(BASE "?chat_id=-100123", key, sizeof key),
               0);
  /* sha256("123456789:AAHd...saw") begins a86ae86369fd155f */
  cr_assert_str_eq(key, "telegram:a86ae86369fd155f");
  cr_assert_null(strstr(key, "AAHdq"));
  char other[64];
  cr_assert_eq(qf_dialect_telegram.account("http://127.0.0.1:9000/tg/bot" TOKEN
                                           "/sendMessage?chat_id=7",
                                           other, sizeof other),
               0);
  cr_assert_str_eq(other, key, "same bot, same account, whatever the host");
  cr_assert_eq(qf_dialect_telegram.account("https://api.telegram.org/sendMessage", key,
                                           sizeof key),
               QF_EINVAL);
  cr_assert_eq(qf_dialect_telegram.account(BASE, key, 12), QF_EINVAL);
}

Test(dialect_telegram, rerenders_reuse_the_url_buffer_without_leftovers) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  qf_dialect_msg m = {.post_id = 1,
                      .group_id = "g",
                      .url = BASE "?chat_id=1&disable_notification=true",
                      .text = "a"};
  cr_assert_eq(qf_dialect_telegram.render(&m, &r), 0);
  cr_assert_str_eq(r.url, BASE "?disable_notification=true");
  m.url = BASE "?chat_id=2";
  cr_assert_eq(qf_dialect_telegram.render(&m, &r), 0);
  cr_assert_str_eq(r.url, BASE);
  cr_assert_str_eq(r.body, "{\"chat_id\":2,\"text\":\"a\"}");
  qf_dialect_request_free(&r);
}
