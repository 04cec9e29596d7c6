/* `qunfa audience EXPR`: how many groups an audience matches now, and a sample. */
#include <stdio.h>

#include "cli.h"
#include "output.h"

static const cli_command audience_cmd = {
    .prog = "qunfa audience",
    .usage = "EXPR [--json]",
    .summary =
        "Shows how many groups the audience EXPR matches now and the first ten of "
        "them, creating\nnothing. EXPR: all, group:g1,g2, tag:NAME, combined with & "
        "(and), | (or), ! (not) and\nparentheses; ! binds tighter than &, & tighter "
        "than |: 'tag:moms & (tag:sh | tag:bj) & !tag:vip'.\n--json: {\"count\":N,"
        "\"sample\":[\"g1\",...]}.",
    .min_pos = 1,
    .max_pos = 1,
};

static void print_preview(const Qunfa__PreviewAudienceReply *p, bool json) {
  if (json) {
    json_t *sample = json_array();
    for (size_t i = 0; i < p->n_sample; i++)
      json_array_append_new(sample, out_json_string(p->sample[i]));
    out_json_print(
        json_pack("{s:I, s:o}", "count", (json_int_t)p->count, "sample", sample));
    return;
  }
  printf("%u group%s match %s\n", p->count, p->count == 1 ? "" : "s", p->audience);
  for (size_t i = 0; i < p->n_sample; i++)
    printf("  %s\n", p->sample[i]);
  if (p->count > p->n_sample)
    printf("  ... and %zu more\n", (size_t)p->count - p->n_sample);
}

int cli_audience(int argc, char **argv) {
  cli_global g = {0};
  char *pos[1];
  size_t npos;
  qunfa_client *c = NULL;
  Qunfa__PreviewAudienceReply *p = NULL;
  int rc;

  if ((rc = cli_parse(&audience_cmd, argc, argv, &g, pos, &npos)) >= 0)
    return rc;
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  if ((rc = qunfa_audience_preview(c, pos[0], 0, &p)) == 0)
    print_preview(p, g.json);
  else
    rc = cli_call_failed(c, rc);
  qunfa_audience_preview_free(p);
  qunfa_close(c);
  return rc;
}
