#include "dialect_util.h"
#include "test_dialect_fixture.h"

#define TOKEN "7d1e3f5a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d2e4f6a8b0c1d3e"
#define SECRET "SEC9f3b2c6d1e8a7f4b5c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b"
#define URL "https://oapi.dingtalk.com/robot/send?access_token=" TOKEN

Test(dialect_dingtalk, renders_the_documented_requests) {
  fixture_render_all(&qf_dialect_dingtalk);
}

Test(dialect_dingtalk, classifies_the_documented_answers) {
  fixture_classify_all(&qf_dialect_dingtalk);
}

Test(dialect_dingtalk, carries_the_platform_limits) {
  fixture_limits(&qf_dialect_dingtalk);
}

Test(dialect_dingtalk, signs_the_known_vector) {
  /* base64(HMAC-SHA256(key = secret, message = "1795435200123\n" + secret)),
   * computed with `openssl dgst -sha256 -hmac` and Python's hmac. */
  char sign[QF_DIALECT_SIGN_LEN], enc[3 * QF_DIALECT_SIGN_LEN];
  const char msg[] = "1795435200123\n" SECRET;
  cr_assert_eq(qf_dialect_util_sign(SECRET, strlen(SECRET), msg, sizeof msg - 1, sign),
               0);
  cr_assert_str_eq(sign, "docQzUg4wK5L2lx1+TvOouOiATZ42GWeSSCsnq7dR3U=");
  cr_assert_eq(qf_dialect_util_urlencode(sign, enc, sizeof enc), 0);
  cr_assert_str_eq(enc, "docQzUg4wK5L2lx1%2BTvOouOiATZ42GWeSSCsnq7dR3U%3D");
  cr_assert_eq(qf_dialect_util_urlencode(sign, enc, 10), QF_EINVAL);
}

Test(dialect_dingtalk, a_new_timestamp_gives_a_new_signature) {
  qf_dialect_request a, b;
  qf_dialect_request_init(&a);
  qf_dialect_request_init(&b);
  qf_dialect_msg m = {.post_id = 1,
                      .group_id = "g",
                      .url = URL "&secret=" SECRET,
                      .text = "x",
                      .now_ms = INT64_C(1795435200123)};
  cr_assert_eq(qf_dialect_dingtalk.render(&m, &a), 0);
  m.now_ms += 1;
  cr_assert_eq(qf_dialect_dingtalk.render(&m, &b), 0);
  cr_assert_str_neq(a.url, b.url);
  cr_assert_not_null(strstr(b.url, "timestamp=1795435200124&sign="));
  cr_assert_null(strstr(b.url, SECRET));
  /* Rendering again into the same request leaves no old parameters behind. */
  m.url = URL;
  cr_assert_eq(qf_dialect_dingtalk.render(&m, &a), 0);
  cr_assert_str_eq(a.url, URL);
  qf_dialect_request_free(&a);
  qf_dialect_request_free(&b);
}

Test(dialect_dingtalk, markdown_title_falls_back_and_is_cut_on_a_character) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  qf_dialect_msg m = {.post_id = 1,
                      .group_id = "g",
                      .url = URL,
                      .text = "\n\n###  \n",
                      .format = "markdown"};
  cr_assert_eq(qf_dialect_dingtalk.render(&m, &r), 0);
  json_t *j = json_loads(r.body, 0, NULL);
  cr_assert_str_eq(
      json_string_value(json_object_get(json_object_get(j, "markdown"), "title")),
      "message");
  json_decref(j);
  char text[200] = "# ";
  for (int i = 0; i < 30; i++)
    strcat(text, "天");
  m.text = text;
  cr_assert_eq(qf_dialect_dingtalk.render(&m, &r), 0, "%s", r.error);
  j = json_loads(r.body, 0, NULL);
  cr_assert_not_null(j, "title cut inside a character would not be JSON");
  const char *title =
      json_string_value(json_object_get(json_object_get(j, "markdown"), "title"));
  cr_assert_eq(strlen(title), 63, "21 whole characters of 3 bytes");
  json_decref(j);
  qf_dialect_request_free(&r);
}
