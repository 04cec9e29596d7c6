#include "test_dialect_fixture.h"

#define URL                                                                            \
  "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"

Test(dialect_slack, renders_the_documented_requests) {
  fixture_render_all(&qf_dialect_slack);
}

Test(dialect_slack, classifies_the_documented_answers) {
  fixture_classify_all(&qf_dialect_slack);
}

Test(dialect_slack, carries_the_platform_limits) {
  fixture_limits(&qf_dialect_slack);
}

Test(dialect_slack, counts_characters_not_bytes) {
  /* 40,000 CJK characters are 120,000 bytes but within Slack's limit. */
  size_t n = 40000;
  char *text = malloc(3 * n + 1);
  for (size_t i = 0; i < n; i++)
    memcpy(text + 3 * i, "字", 3);
  text[3 * n] = '\0';
  qf_dialect_request r;
  qf_dialect_request_init(&r);
  qf_dialect_msg m = {.post_id = 1, .group_id = "g", .url = URL, .text = text};
  cr_assert_eq(qf_dialect_slack.render(&m, &r), 0, "%s", r.error);
  cr_assert_gt(r.body_len, 3 * n);
  qf_dialect_request_free(&r);
  free(text);
}

Test(dialect_slack, any_2xx_is_delivered_whatever_the_body) {
  qf_dialect_answer ans = {.xfer = QF_XFER_OK, .status = 204};
  qf_dialect_result res;
  qf_dialect_slack.classify(&ans, &res);
  cr_assert_eq(res.outcome, QF_OUTCOME_DELIVERED);
}

Test(dialect_slack, reads_no_further_than_the_body_length) {
  /* The answer's body is (body, body_len), not a C string: an exact-size copy
   * without a terminator must be enough (AddressSanitizer checks the bound). */
  const char text[] = "rate_limited";
  char *body = malloc(sizeof text - 1);
  memcpy(body, text, sizeof text - 1);
  qf_dialect_answer a = {
      .xfer = QF_XFER_OK, .status = 429, .body = body, .body_len = sizeof text - 1};
  qf_dialect_result res;
  qf_dialect_slack.classify(&a, &res);
  cr_assert_eq(res.outcome, QF_OUTCOME_RETRY);
  cr_assert(strstr(res.error, "rate_limited"), "%s", res.error);
  free(body);
}
