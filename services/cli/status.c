/* `qunfa status POST` and `qunfa deliveries POST`: how a post is doing, in sum
 * and group by group. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "output.h"
#include "qf/alloc.h"
#include "qf/clock.h"
#include "stats.h"

static bool watch;
static qf_flag status_flags[] = {
    {"watch", QF_FLAG_BOOL, &watch, "false",
     "draw a progress bar until every delivery is final", false, 0, 0},
};

static const cli_command status_cmd = {
    .prog = "qunfa status",
    .usage = "POST [--json] [--watch]",
    .flags = status_flags,
    .nflags = 1,
    .summary = "Shows how many deliveries of POST are in each state (--json: {\"post\":"
               "\"ID\",\"total\":N,\n\"pending\":N,\"leased\":N,\"delivered\":N,"
               "\"failed\":N,\"expired\":N,\"cancelled\":N}).",
    .min_pos = 1,
    .max_pos = 1,
};

static const cli_command deliveries_cmd = {
    .prog = "qunfa deliveries",
    .usage = "POST [--json]",
    .summary =
        "Lists POST's delivery to each group: state, attempts, last error and "
        "delivery time\n(--json: an array of {\"group\":G,\"state\":"
        "\"delivered\",\"attempts\":N,\"last_error\":\"\",\n\"delivered_at\":MS}; "
        "delivered_at is UTC ms, 0 until delivered).",
    .min_pos = 1,
    .max_pos = 1,
};

/* Parses the command line and the POST argument; -1 to go on, else exit code. */
static int parse_post_cmd(const cli_command *cmd, int argc, char **argv, cli_global *g,
                          qunfa_post_id *post) {
  char *pos[1];
  size_t npos;
  int rc = cli_parse(cmd, argc, argv, g, pos, &npos);

  if (rc >= 0)
    return rc;
  if (!cli_parse_post_id(pos[0], post))
    return cli_usage_error(cmd, "POST must be a post id (a decimal number)");
  return -1;
}

static void print_status(const qunfa_status *st, bool json) {
  char id[24], due[40];

  snprintf(id, sizeof id, "%llu", (unsigned long long)st->post.n);
  if (json) {
    out_json_print(json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "post", id,
                             "total", (json_int_t)st->total, "pending",
                             (json_int_t)st->pending, "leased", (json_int_t)st->leased,
                             "delivered", (json_int_t)st->delivered, "failed",
                             (json_int_t)st->failed, "expired", (json_int_t)st->expired,
                             "cancelled", (json_int_t)st->cancelled));
    return;
  }
  printf("post %s: %u/%u delivered, %u pending, %u leased, %u failed, %u expired, "
         "%u cancelled",
         id, st->delivered, st->total, st->pending, st->leased, st->failed, st->expired,
         st->cancelled);
  if (st->due_ms > 0)
    printf(" (due %s)", qf_time_format_rfc3339(st->due_ms, due, sizeof due));
  printf("\n");
}

int cli_status(int argc, char **argv) {
  cli_global g = {0};
  qunfa_post_id post;
  qunfa_client *c = NULL;
  qunfa_status st;
  int rc;

  if ((rc = parse_post_cmd(&status_cmd, argc, argv, &g, &post)) >= 0)
    return rc;
  if (watch)
    return cli_watch_post(&g, post);
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  if ((rc = qunfa_post_status(c, post, &st)) == 0)
    print_status(&st, g.json);
  else
    rc = cli_call_failed(c, rc);
  qunfa_close(c);
  return rc;
}

/* ---- deliveries ---- */

static json_t *delivery_json(const Qunfa__DeliveryInfo *d) {
  return json_pack("{s:o, s:s, s:I, s:o, s:I}", "group", out_json_string(d->group_id),
                   "state", qunfa_delivery_state_name(d->state), "attempts",
                   (json_int_t)d->attempts, "last_error",
                   out_json_string(d->last_error), "delivered_at",
                   (json_int_t)d->delivered_at_ms);
}

static void add_delivery(out_list *l, const Qunfa__DeliveryInfo *d) {
  char attempts[16], at[40];
  const char *row[5] = {d->group_id, qunfa_delivery_state_name(d->state), attempts, "-",
                        *d->last_error ? d->last_error : "-"};

  if (out_list_is_json(l)) {
    out_list_add_json(l, delivery_json(d));
    return;
  }
  snprintf(attempts, sizeof attempts, "%u", d->attempts);
  if (d->delivered_at_ms > 0)
    row[3] = qf_time_format_rfc3339(d->delivered_at_ms, at, sizeof at);
  out_list_add_row(l, row);
}

static int list_deliveries(qunfa_client *c, qunfa_post_id post, out_list *l) {
  uint32_t after = 0;

  for (;;) {
    Qunfa__ListDeliveriesReply *page;
    int rc = qunfa_deliveries_list(c, post, after, 0, &page);
    if (rc != 0)
      return cli_call_failed(c, rc);
    for (size_t i = 0; i < page->n_deliveries; i++)
      add_delivery(l, page->deliveries[i]);
    bool more = page->more;
    uint32_t next = page->next_seq;
    qunfa_deliveries_page_free(page);
    if (!more)
      return 0;
    /* A page that claims more but does not advance would loop for ever. */
    if (next <= after)
      return cli_fail("the scheduler's delivery list does not advance past %u", after);
    after = next;
  }
}

int cli_deliveries(int argc, char **argv) {
  cli_global g = {0};
  qunfa_post_id post;
  static const char *const head[] = {"GROUP", "STATE", "ATTEMPTS", "DELIVERED_AT",
                                     "LAST_ERROR"};
  qunfa_client *c = NULL;
  int rc;

  if ((rc = parse_post_cmd(&deliveries_cmd, argc, argv, &g, &post)) >= 0)
    return rc;
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  out_list *l = out_list_new(g.json, 5, head);
  if ((rc = list_deliveries(c, post, l)) == 0)
    out_list_print(l);
  out_list_free(l);
  qunfa_close(c);
  return rc;
}
