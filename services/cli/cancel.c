/* `qunfa cancel POST`: nothing more of a post is sent. */
#include <stdio.h>

#include "cli.h"
#include "output.h"

static const cli_command cancel_cmd = {
    .prog = "qunfa cancel",
    .usage = "POST [--json]",
    .summary =
        "Cancels POST: every delivery not yet handed to a dispatcher is cancelled at "
        "once; one\nalready handed over is not sent unless its dispatcher has started "
        "sending it. Cancelling\nagain is harmless. --json: {\"post\":\"ID\","
        "\"cancelled\":N,\"leased\":N,\"was_done\":false}\n(leased: deliveries in a "
        "dispatcher's hands at the cancel, which may still arrive).",
    .min_pos = 1,
    .max_pos = 1,
};

static void print_cancel(qunfa_post_id post, const qunfa_cancel *r, bool json) {
  char id[24];

  snprintf(id, sizeof id, "%llu", (unsigned long long)post.n);
  if (json) {
    out_json_print(json_pack("{s:s, s:I, s:I, s:b}", "post", id, "cancelled",
                             (json_int_t)r->cancelled, "leased", (json_int_t)r->leased,
                             "was_done", r->was_done));
  } else if (r->was_done) {
    printf("post %s was already done: nothing to cancel\n", id);
  } else {
    printf("post %s cancelled: %u deliveries will not be sent, %u in dispatchers' "
           "hands may still arrive\n",
           id, r->cancelled, r->leased);
  }
}

int cli_cancel(int argc, char **argv) {
  cli_global g = {0};
  char *pos[1];
  size_t npos;
  qunfa_post_id post;
  qunfa_client *c = NULL;
  qunfa_cancel r;
  int rc;

  if ((rc = cli_parse(&cancel_cmd, argc, argv, &g, pos, &npos)) >= 0)
    return rc;
  if (!cli_parse_post_id(pos[0], &post))
    return cli_usage_error(&cancel_cmd, "POST must be a post id (a decimal number)");
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  if ((rc = qunfa_post_cancel(c, post, &r)) == 0)
    print_cancel(post, &r, g.json);
  else
    rc = cli_call_failed(c, rc);
  qunfa_close(c);
  return rc;
}
