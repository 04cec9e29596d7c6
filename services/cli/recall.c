/* `qunfa recall POST`: nothing more of POST is sent, and its sent messages are
 * deleted where the platform can; says per group what was not deleted and why. */
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "output.h"
#include "qf/clock.h"

static int64_t wait_ms = 60000;

static qf_flag recall_flags[] = {
    {.name = "wait-ms",
     .type = QF_FLAG_INT,
     .dst = &wait_ms,
     .def = "60000",
     .help = "wait at most this long for the deletions to end (0: do not wait)",
     .min = 0,
     .max = 3600000},
};

static const cli_command recall_cmd = {
    .prog = "qunfa recall",
    .usage = "POST [--wait-ms N] [--json]",
    .summary =
        "Recalls POST: cancels what is unsent, then deletes the messages already sent "
        "where the\nplatform lets a robot do so (Telegram), and waits for the "
        "deletions. Prints each group\nwhose message was not deleted and why. "
        "--json: {\"post\":..,\"recall_post\":..,\n\"cancelled\":N,\"recalled\":"
        "[groups],\"not_recalled\":[{\"group\":..,\"reason\":..}]}.",
    .flags = recall_flags,
    .nflags = sizeof recall_flags / sizeof recall_flags[0],
    .min_pos = 1,
    .max_pos = 1,
};

/* Waits until the recall post has nothing pending or leased, or the deadline. */
static int wait_done(qunfa_client *c, qunfa_post_id post) {
  int64_t until = qf_clock_now_ms() + wait_ms;
  qunfa_status st;
  int rc;
  for (;;) {
    if ((rc = qunfa_post_status(c, post, &st)) != 0)
      return rc;
    if (st.pending + st.leased == 0 || qf_clock_now_ms() >= until)
      return 0;
    nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
  }
}

static json_t *failure(const char *group, const char *reason) {
  return json_pack("{s:o, s:o}", "group", out_json_string(group), "reason",
                   out_json_string(reason));
}

/* Adds the recall post's outcomes to done and failed. */
static int collect(qunfa_client *c, qunfa_post_id post, json_t *done, json_t *failed) {
  uint32_t after = 0;
  Qunfa__ListDeliveriesReply *page = NULL;
  int rc;
  do {
    if ((rc = qunfa_deliveries_list(c, post, after, 0, &page)) != 0)
      return rc;
    for (size_t i = 0; i < page->n_deliveries; i++) {
      const Qunfa__DeliveryInfo *d = page->deliveries[i];
      if (d->state == QUNFA__DELIVERY_STATE__DELIVERED)
        json_array_append_new(done, out_json_string(d->group_id));
      else if (d->state == QUNFA__DELIVERY_STATE__PENDING ||
               d->state == QUNFA__DELIVERY_STATE__LEASED)
        json_array_append_new(
            failed, failure(d->group_id, "still being deleted at the wait's end"));
      else
        json_array_append_new(failed, failure(d->group_id, d->last_error));
    }
    after = page->next_seq;
    bool more = page->more;
    qunfa_deliveries_page_free(page);
    if (!more)
      break;
  } while (1);
  return 0;
}

static void print(const Qunfa__RecallReply *r, json_t *done, json_t *failed,
                  bool json) {
  char id[24], rid[24];
  snprintf(id, sizeof id, "%llu", (unsigned long long)r->post_id);
  snprintf(rid, sizeof rid, "%llu", (unsigned long long)r->recall_post_id);
  if (json) {
    out_json_print(json_pack("{s:s, s:s, s:I, s:O, s:O}", "post", id, "recall_post",
                             rid, "cancelled", (json_int_t)r->cancelled, "recalled",
                             done, "not_recalled", failed));
    return;
  }
  printf("post %s recalled: %u unsent cancelled, %zu messages deleted, %zu not\n", id,
         r->cancelled, json_array_size(done), json_array_size(failed));
  size_t i;
  json_t *f;
  json_array_foreach(failed, i, f) {
    printf("  %s: %s\n", json_string_value(json_object_get(f, "group")),
           json_string_value(json_object_get(f, "reason")));
  }
}

int cli_recall(int argc, char **argv) {
  cli_global g = {0};
  char *pos[1];
  size_t npos;
  qunfa_post_id post;
  qunfa_client *c = NULL;
  Qunfa__RecallReply *r = NULL;
  json_t *done = json_array(), *failed = json_array();
  int rc;

  if ((rc = cli_parse(&recall_cmd, argc, argv, &g, pos, &npos)) >= 0)
    goto out;
  if (!cli_parse_post_id(pos[0], &post)) {
    rc = cli_usage_error(&recall_cmd, "POST must be a post id (a decimal number)");
    goto out;
  }
  if ((rc = cli_connect(&g, &c)) != 0)
    goto out;
  if ((rc = qunfa_post_recall(c, post, &r)) != 0) {
    rc = cli_call_failed(c, rc);
    goto out;
  }
  for (size_t i = 0; i < r->n_skipped; i++)
    json_array_append_new(failed,
                          failure(r->skipped[i]->group_id, r->skipped[i]->reason));
  if (r->recall_post_id != 0) {
    qunfa_post_id rp = {r->recall_post_id};
    if ((rc = wait_done(c, rp)) != 0 || (rc = collect(c, rp, done, failed)) != 0) {
      rc = cli_call_failed(c, rc);
      goto out;
    }
  }
  print(r, done, failed, g.json);
out:
  json_decref(done);
  json_decref(failed);
  qunfa_recall_free(r);
  qunfa_close(c);
  return rc < 0 ? CLI_EXIT_OK : rc;
}
