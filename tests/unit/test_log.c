#include "qf/clock.h"
#include "qf/err.h"
#include "qf/log.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Captures what is written to fd 2 into a temporary file. */
typedef struct capture {
  FILE *f;
  int saved;
} capture;

static void capture_start(capture *c) {
  c->f = tmpfile();
  cr_assert_not_null(c->f);
  c->saved = dup(2);
  dup2(fileno(c->f), 2);
}

static size_t capture_end(capture *c, char *buf, size_t len) {
  dup2(c->saved, 2);
  close(c->saved);
  rewind(c->f);
  size_t n = fread(buf, 1, len - 1, c->f);
  buf[n] = '\0';
  fclose(c->f);
  return n;
}

static const char *redact(const char *url) {
  static char buf[512];
  return qf_log_redact_url(url, buf, sizeof buf);
}

Test(log, redacts_every_query_value_but_keeps_keys) {
  cr_assert_str_eq(redact("https://x/cgi-bin/webhook/send?key=abc"),
                   "https://x/cgi-bin/webhook/send?key=***");
  cr_assert_str_eq(
      redact("https://oapi.dingtalk.com/robot/send?access_token=abc123&sign=x&t=1"),
      "https://oapi.dingtalk.com/robot/send?access_token=***&sign=***&t=***");
  cr_assert_str_eq(redact("http://h/p?secret"), "http://h/p?***");
  cr_assert_str_eq(redact("http://h/p?a=1#frag"), "http://h/p?a=***#***");
}

Test(log, redacts_userinfo) {
  cr_assert_str_eq(redact("https://user:pa55@example.com/x"),
                   "https://***@example.com/x");
  cr_assert_str_eq(redact("tls+tcp://u:p@w@10.0.0.1:5555"),
                   "tls+tcp://***@10.0.0.1:5555");
}

Test(log, redacts_telegram_bot_token_segment) {
  cr_assert_str_eq(
      redact("https://api.telegram.org/bot123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11/"
             "sendMessage"),
      "https://api.telegram.org/***/sendMessage");
  cr_assert_str_eq(redact("https://gw.example/bot4242:short/send"),
                   "https://gw.example/***/send");
}

Test(log, redacts_long_mixed_path_segments_that_look_like_tokens) {
  cr_assert_str_eq(redact("https://open.feishu.cn/open-apis/bot/v2/hook/"
                          "2b3a1c4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e"),
                   "https://open.feishu.cn/open-apis/bot/v2/hook/***");
  cr_assert_str_eq(
      redact("https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXX1234"),
      "https://hooks.slack.com/services/T0000/B0000/***");
}

Test(log, keeps_ordinary_urls_readable) {
  cr_assert_str_eq(redact("http://127.0.0.1:9000/hook/g1"),
                   "http://127.0.0.1:9000/hook/g1");
  cr_assert_str_eq(redact("ipc:///tmp/qunfa/scheduler.ipc"),
                   "ipc:///tmp/qunfa/scheduler.ipc");
  cr_assert_str_eq(redact("https://example.com/a/very-long-plain-words-path"),
                   "https://example.com/a/very-long-plain-words-path");
  cr_assert_str_eq(redact(""), "");
}

Test(log, redaction_truncates_and_terminates_a_small_buffer) {
  char buf[12];
  memset(buf, 'x', sizeof buf);
  qf_log_redact_url("https://user:pw@example.com/?key=secretvalue", buf, sizeof buf);
  cr_assert_eq(strlen(buf), sizeof buf - 1);
  cr_assert_str_eq(buf, "https://***");
  cr_assert_null(strstr(buf, "pw"));
}

static const char *quote(const char *s) {
  static char buf[256];
  return qf_log_quote(s, buf, sizeof buf);
}

Test(log, quote_leaves_plain_values_alone) {
  cr_assert_str_eq(quote("ipc:///tmp/x"), "ipc:///tmp/x");
  cr_assert_str_eq(quote("群发"), "群发");
  cr_assert_str_eq(quote("back\\slash"), "back\\slash");
}

Test(log, quote_wraps_and_escapes_values_that_need_it) {
  cr_assert_str_eq(quote("two words"), "\"two words\"");
  cr_assert_str_eq(quote("a=b"), "\"a=b\"");
  cr_assert_str_eq(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
  cr_assert_str_eq(quote("line\nnext"), "\"line\\nnext\"");
  cr_assert_str_eq(quote("a \\ b"), "\"a \\\\ b\"");
  cr_assert_str_eq(quote("bell\a"), "\"bell\\x07\"");
}

Test(log, quote_keeps_quotes_balanced_when_truncating) {
  char buf[8];
  qf_log_quote("a b c d e f g", buf, sizeof buf);
  cr_assert_str_eq(buf, "\"a b c\"");
  qf_log_quote("\"\"\"\"", buf, sizeof buf); /* escapes are never cut in half */
  cr_assert_str_eq(buf, "\"\\\"\\\"\"");
}

Test(log, parses_level_names) {
  qf_log_level l;
  cr_assert_eq(qf_log_level_parse("debug", &l), 0);
  cr_assert_eq(l, QF_LOG_DEBUG);
  cr_assert_eq(qf_log_level_parse("info", &l), 0);
  cr_assert_eq(l, QF_LOG_INFO);
  cr_assert_eq(qf_log_level_parse("warn", &l), 0);
  cr_assert_eq(l, QF_LOG_WARN);
  cr_assert_eq(qf_log_level_parse("error", &l), 0);
  cr_assert_eq(l, QF_LOG_ERROR);
  cr_assert_eq(qf_log_level_parse("verbose", &l), QF_EINVAL);
  cr_assert_eq(qf_log_level_parse("", &l), QF_EINVAL);
  cr_assert_eq(qf_log_level_parse(NULL, &l), QF_EINVAL);
}

Test(log, writes_one_prefixed_key_value_line_per_event) {
  qf_log_init("scheduler");
  qf_log_set_level(QF_LOG_INFO);
  capture c;
  capture_start(&c);
  qf_log_info("ready", "listen=%s groups=%d", "ipc:///tmp/s", 3);
  char out[1024];
  capture_end(&c, out, sizeof out);
  cr_assert_eq(strncmp(out, "ts=", 3), 0, "%s", out);
  char ts[32];
  cr_assert_eq(sscanf(out, "ts=%31s", ts), 1);
  int64_t ms;
  cr_assert_eq(qf_time_parse_rfc3339(ts, &ms), 0, "%s", ts);
  cr_assert(ms > qf_clock_now_ms() - 5000);
  const char *rest = out + 3 + strlen(ts);
  cr_assert_str_eq(
      rest, " level=info proc=scheduler event=ready listen=ipc:///tmp/s groups=3\n");
}

Test(log, drops_events_below_the_level) {
  qf_log_init("t");
  qf_log_set_level(QF_LOG_WARN);
  capture c;
  capture_start(&c);
  qf_log_debug("a", "x=1");
  qf_log_info("b", "x=2");
  qf_log_warn("c", "x=3");
  qf_log_error("d", "%s", "");
  char out[1024];
  capture_end(&c, out, sizeof out);
  cr_assert_null(strstr(out, "event=a"));
  cr_assert_null(strstr(out, "event=b"));
  cr_assert_not_null(strstr(out, "level=warn proc=t event=c x=3\n"));
  cr_assert_not_null(strstr(out, "level=error proc=t event=d\n"));
}

Test(log, cuts_an_overlong_event_but_keeps_it_one_line) {
  static char big[10000];
  memset(big, 'v', sizeof big - 1);
  qf_log_set_level(QF_LOG_INFO);
  capture c;
  capture_start(&c);
  qf_log_info("big", "value=%s", big);
  qf_log_info("after", "x=1");
  static char out[20000];
  capture_end(&c, out, sizeof out);
  char *nl = strchr(out, '\n');
  cr_assert_not_null(nl);
  cr_assert_leq(nl - out + 1, 4096);
  cr_assert_eq(strncmp(nl - 3, "...", 3), 0);
  cr_assert_not_null(strstr(nl + 1, "event=after x=1\n"));
}
