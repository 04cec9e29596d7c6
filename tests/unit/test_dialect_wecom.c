#include "test_dialect_fixture.h"

#define URL "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"

static int render(const char *text, const char *format, qf_dialect_request *r) {
  qf_dialect_msg m = {
      .post_id = 1, .group_id = "g", .url = URL, .text = text, .format = format};
  return qf_dialect_wecom.render(&m, r);
}

static char *repeat(const char *piece, size_t count) {
  size_t n = strlen(piece);
  char *s = malloc(n * count + 1);
  for (size_t i = 0; i < count; i++)
    memcpy(s + i * n, piece, n);
  s[n * count] = '\0';
  return s;
}

Test(dialect_wecom, renders_the_documented_requests) {
  fixture_render_all(&qf_dialect_wecom);
}

Test(dialect_wecom, classifies_the_documented_answers) {
  fixture_classify_all(&qf_dialect_wecom);
}

Test(dialect_wecom, carries_the_platform_limits) {
  fixture_limits(&qf_dialect_wecom);
}

Test(dialect_wecom, accepts_text_of_exactly_the_limit_in_bytes) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  char *text = repeat("字", 682); /* 2046 bytes */
  char *full = malloc(2049);
  snprintf(full, 2049, "%sab", text);
  cr_assert_eq(render(full, NULL, &r), 0, "%s", r.error);
  full[2047] = '\0'; /* 2047 bytes still fine */
  cr_assert_eq(render(full, NULL, &r), 0);
  char *md = repeat("a", 4096);
  cr_assert_eq(render(md, "markdown", &r), 0, "%s", r.error);
  cr_assert_eq(render(md, "text", &r), QF_EINVAL, "4096 bytes is too long for text");
  cr_assert_not_null(strstr(r.error, "4096 bytes"), "%s", r.error);
  free(md);
  free(full);
  free(text);
  qf_dialect_request_free(&r);
}

Test(dialect_wecom, refuses_text_that_is_not_utf8_with_a_reason) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  cr_assert_eq(render("bad \xff", NULL, &r), QF_EINVAL);
  cr_assert_str_eq(r.error, "text is not valid UTF-8");
  cr_assert_eq(render("overlong \xc0\xaf", NULL, &r), QF_EINVAL);
  cr_assert_eq(render("surrogate \xed\xa0\x80", NULL, &r), QF_EINVAL);
  cr_assert_eq(render("cut \xe5\xad", NULL, &r), QF_EINVAL);
  cr_assert_eq(render("fine 字", NULL, &r), 0);
  cr_assert_str_eq(r.error, "", "a successful render clears the reason");
  qf_dialect_request_free(&r);
}

Test(dialect_wecom, sends_to_the_url_as_given_with_an_idempotency_key) {
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  qf_dialect_msg m = {
      .post_id = 18446744073709551615u, .group_id = "g-9", .url = URL, .text = "x"};
  cr_assert_eq(qf_dialect_wecom.render(&m, &r), 0);
  cr_assert_str_eq(r.url, URL);
  cr_assert_eq(r.nheaders, 2);
  cr_assert_str_eq(r.headers[0], "Content-Type: application/json; charset=utf-8");
  cr_assert_str_eq(r.headers[1], "Idempotency-Key: 18446744073709551615:g-9");
  qf_dialect_request_free(&r);
}
