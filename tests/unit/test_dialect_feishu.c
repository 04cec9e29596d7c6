#include "dialect_util.h"
#include "test_dialect_fixture.h"

#include <stdlib.h>

#define HOOK                                                                           \
  "https://open.feishu.cn/open-apis/bot/v2/hook/3f9c1e2a-5b7d-4c8e-9a1f-6d2b8e4c7a90"

Test(dialect_feishu, renders_the_documented_requests) {
  fixture_render_all(&qf_dialect_feishu);
}

Test(dialect_feishu, classifies_the_documented_answers) {
  fixture_classify_all(&qf_dialect_feishu);
}

Test(dialect_feishu, carries_the_platform_limits) {
  fixture_limits(&qf_dialect_feishu);
}

Test(dialect_feishu, signs_the_example_of_the_docs_shape) {
  /* base64(HMAC-SHA256(key = "1795435200\nqfFeishuSecret8r2Kx9", message = "")),
   * computed with `openssl dgst -sha256 -hmac` and Python's hmac. */
  char sign[QF_DIALECT_SIGN_LEN];
  const char key[] = "1795435200\nqfFeishuSecret8r2Kx9";
  cr_assert_eq(qf_dialect_util_sign(key, sizeof key - 1, "", 0, sign), 0);
  cr_assert_str_eq(sign, "qQkOL6/A2zK6thJw0HzYCdvPZ6awH1VPMxUOlo/qM4M=");
}

Test(dialect_feishu, signs_with_the_clock_when_no_time_is_given) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  qf_dialect_msg m = {
      .post_id = 1, .group_id = "g", .url = HOOK "?secret=s3cr3tValue", .text = "x"};
  cr_assert_eq(qf_dialect_feishu.render(&m, &r), 0, "%s", r.error);
  json_t *j = json_loads(r.body, 0, NULL);
  cr_assert_not_null(j);
  long long ts = strtoll(json_string_value(json_object_get(j, "timestamp")), NULL, 10);
  cr_assert_gt(ts, 1700000000LL, "timestamp is in seconds of the current time");
  cr_assert_lt(ts, 100000000000LL, "timestamp is seconds, not ms");
  cr_assert_null(strstr(r.body, "s3cr3tValue"));
  cr_assert_null(strstr(r.url, "secret"));
  json_decref(j);
  qf_dialect_request_free(&r);
}

Test(dialect_feishu, refuses_a_secret_too_long_without_showing_it) {
  char url[600];
  char secret[400];
  memset(secret, 'S', sizeof secret - 1);
  secret[sizeof secret - 1] = '\0';
  snprintf(url, sizeof url, "%s?secret=%s", HOOK, secret);
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  qf_dialect_msg m = {.post_id = 1, .group_id = "g", .url = url, .text = "x"};
  cr_assert_eq(qf_dialect_feishu.render(&m, &r), QF_EINVAL);
  cr_assert_null(strstr(r.error, "SSSS"), "%s", r.error);
  qf_dialect_request_free(&r);
}

Test(dialect_feishu, accepts_a_body_of_exactly_the_limit) {
  /* {"msg_type":"text","content":{"text":""}} is 41 bytes. */
  size_t n = 20000 - 41;
  char *text = malloc(n + 2);
  memset(text, 'a', n + 1);
  text[n] = '\0';
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  qf_dialect_msg m = {.post_id = 1, .group_id = "g", .url = HOOK, .text = text};
  cr_assert_eq(qf_dialect_feishu.render(&m, &r), 0, "%s", r.error);
  cr_assert_eq(r.body_len, 20000);
  text[n] = 'a';
  text[n + 1] = '\0';
  cr_assert_eq(qf_dialect_feishu.render(&m, &r), QF_EINVAL);
  qf_dialect_request_free(&r);
  free(text);
}
