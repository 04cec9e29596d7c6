#include <criterion/criterion.h>
#include <string.h>

#include "qf/dialect.h"
#include "recall.h"

static qf_dialect_msg msg_of(const char *url, const char *id) {
  qf_dialect_msg m = {
      .post_id = 7, .group_id = "t1", .url = url, .kind = RECALL_KIND, .text = id};
  return m;
}

Test(recall, only_telegram_can_delete) {
  cr_assert_not_null(recall_dialect(&qf_dialect_telegram));
  cr_assert_null(recall_dialect(&qf_dialect_wecom));
  cr_assert_null(recall_dialect(&qf_dialect_generic));
  cr_assert_null(recall_dialect(&qf_dialect_slack));
}

Test(recall, telegram_calls_delete_message_with_the_id) {
  const qf_dialect *d = recall_dialect(&qf_dialect_telegram);
  qf_dialect_request req;
  qf_dialect_msg m =
      msg_of("https://api.telegram.org/bot1:x/sendMessage?chat_id=-1001", "42");
  qf_dialect_request_init(&req);
  cr_assert_eq(d->render(&m, &req), 0, "%s", req.error);
  cr_assert_str_eq(req.url,
                   "https://api.telegram.org/bot1:x/deleteMessage?chat_id=-1001");
  cr_assert_str_eq(req.body, "{\"message_id\":42}");
  cr_assert_eq(req.body_len, strlen(req.body));
  qf_dialect_request_free(&req);
}

Test(recall, refuses_an_id_that_is_not_a_number_and_a_url_without_send) {
  const qf_dialect *d = recall_dialect(&qf_dialect_telegram);
  qf_dialect_request req;
  qf_dialect_request_init(&req);
  qf_dialect_msg m =
      msg_of("https://api.telegram.org/bot1:x/sendMessage?chat_id=1", "4\"2");
  cr_assert_neq(d->render(&m, &req), 0);
  m = msg_of("https://api.telegram.org/bot1:x/sendMessage?chat_id=1", "");
  cr_assert_neq(d->render(&m, &req), 0);
  m = msg_of("https://api.telegram.org/bot1:x/getMe", "4");
  cr_assert_neq(d->render(&m, &req), 0);
  cr_assert(strstr(req.error, "sendMessage"), "%s", req.error);
  qf_dialect_request_free(&req);
}

Test(recall, deleted_and_not_found_are_judged_like_telegram_answers) {
  const qf_dialect *d = recall_dialect(&qf_dialect_telegram);
  const char ok[] = "{\"ok\":true,\"result\":true}";
  const char gone[] =
      "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: message to "
      "delete not found\"}";
  qf_dialect_answer a = {
      .xfer = QF_XFER_OK, .status = 200, .body = ok, .body_len = strlen(ok)};
  qf_dialect_result r;
  d->classify(&a, &r);
  cr_assert_eq(r.outcome, QF_OUTCOME_DELIVERED);
  a.status = 400;
  a.body = gone;
  a.body_len = strlen(gone);
  d->classify(&a, &r);
  cr_assert_eq(r.outcome, QF_OUTCOME_FAILED);
  cr_assert(strstr(r.error, "not found"), "%s", r.error);
}
