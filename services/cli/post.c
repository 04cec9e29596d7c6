/* `qunfa post --to AUDIENCE --text TEXT [--at TIME]`: schedules one post. */
#include <stdio.h>

#include "cli.h"
#include "output.h"
#include "qf/clock.h"

static const char *to, *text, *at, *priority, *expires, *cron, *tz, *key;
static bool ignore_quiet;

static qf_flag post_flags[] = {
    {.name = "to",
     .type = QF_FLAG_STR,
     .dst = &to,
     .help = "audience: all, group:g1,g2, tag:NAME, with & | ! ( ) (see `qunfa "
             "audience --help`)"},
    {.name = "text", .type = QF_FLAG_STR, .dst = &text, .help = "the message text"},
    {.name = "at",
     .type = QF_FLAG_STR,
     .dst = &at,
     .help = "when to send, RFC 3339 (2026-11-23T20:00:00+08:00); omitted = now"},
    {.name = "cron",
     .type = QF_FLAG_STR,
     .dst = &cron,
     .help = "post at every occurrence of this 5-field cron expression (\"0 8 * * *\") "
             "instead"},
    {.name = "tz",
     .type = QF_FLAG_STR,
     .dst = &tz,
     .help = "the IANA zone the cron expression runs in (Asia/Shanghai); omitted = "
             "UTC"},
    {.name = "priority",
     .type = QF_FLAG_STR,
     .dst = &priority,
     .help = "urgent, live, normal (default) or bulk: a higher class is always sent "
             "first"},
    {.name = "expires",
     .type = QF_FLAG_STR,
     .dst = &expires,
     .help = "RFC 3339: whatever is not sent by then is never sent (it ends expired)"},
    {.name = "ignore-quiet",
     .type = QF_FLAG_BOOL,
     .dst = &ignore_quiet,
     .help = "urgent or live posts only: send during the groups' quiet hours"},
    {.name = "key",
     .type = QF_FLAG_STR,
     .dst = &key,
     .help = "an idempotency key (at most 128 bytes): posting again with the same key "
             "prints the post made first instead of making another"},
};

static const cli_command post_cmd = {
    .prog = "qunfa post",
    .usage =
        "--to AUDIENCE --text TEXT [--at TIME] [--priority CLASS] [--expires TIME] "
        "[--ignore-quiet] [--key KEY] [--json]\n   or: qunfa post --cron EXPR [--tz "
        "ZONE] --to "
        "AUDIENCE --text TEXT [--json]",
    .summary =
        "Schedules a text post to AUDIENCE (all, group:g1,g2, tag:NAME, combined "
        "with & | ! and\nparentheses) at TIME, or now. Prints the post id (--json: "
        "{\"post\":\"ID\"});\nfollow it with `qunfa status ID`. With --cron, "
        "posts at every occurrence instead\n(evaluating AUDIENCE each time) and prints "
        "the schedule (see `qunfa schedules`).",
    .flags = post_flags,
    .nflags = sizeof post_flags / sizeof post_flags[0],
};

/* Checks --priority, --expires and --ignore-quiet into o. */
static int check_guard_flags(qunfa_post_opts *o) {
  if (priority && qunfa_priority_parse(priority, &o->priority) != 0)
    return cli_usage_error(&post_cmd, "--priority: not urgent, live, normal or bulk");
  if (expires && qf_time_parse_rfc3339(expires, &o->expires_ms) != 0)
    return cli_usage_error(
        &post_cmd, "--expires: not an RFC 3339 time (e.g. 2026-11-23T20:00:00+08:00)");
  if (ignore_quiet && o->priority != QUNFA_PRIORITY_URGENT &&
      o->priority != QUNFA_PRIORITY_LIVE)
    return cli_usage_error(&post_cmd, "--ignore-quiet needs --priority urgent or live");
  o->ignore_quiet = ignore_quiet;
  o->idempotency_key = key;
  return -1;
}

/* Checks the flags; returns -1 to go on or the exit code. */
static int check_flags(int64_t *at_ms) {
  *at_ms = 0;
  if (!to || !*to)
    return cli_usage_error(&post_cmd, "--to AUDIENCE is required");
  if (!text || !*text)
    return cli_usage_error(&post_cmd, "--text TEXT is required");
  if (cron && (at || priority || expires || ignore_quiet))
    return cli_usage_error(&post_cmd, "--cron takes no --at, --priority, --expires or "
                                      "--ignore-quiet");
  if (tz && !cron)
    return cli_usage_error(&post_cmd, "--tz needs --cron");
  if (at && qf_time_parse_rfc3339(at, at_ms) != 0)
    return cli_usage_error(
        &post_cmd, "--at: not an RFC 3339 time (e.g. 2026-11-23T20:00:00+08:00)");
  return -1;
}

int cli_post(int argc, char **argv) {
  cli_global g = {0};
  size_t npos;
  qunfa_client *c = NULL;
  qunfa_post_id id;
  qunfa_post_opts o = {0};
  int rc;

  if ((rc = cli_parse(&post_cmd, argc, argv, &g, NULL, &npos)) >= 0)
    return rc;
  if ((rc = check_flags(&o.at_ms)) >= 0)
    return rc;
  if (cron)
    return cli_post_schedule(&g, cron, tz, to, text);
  if ((rc = check_guard_flags(&o)) >= 0)
    return rc;
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  rc = qunfa_post_create_with(c, to, text, &o, &id, NULL);
  if (rc != 0) {
    rc = cli_call_failed(c, rc);
    goto out;
  }
  if (g.json) {
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)id.n);
    out_json_print(json_pack("{s:s}", "post", buf));
  } else {
    printf("%llu\n", (unsigned long long)id.n);
  }
out:
  qunfa_close(c);
  return rc;
}
