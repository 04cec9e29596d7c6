/* `qunfa flash-sale create|stock|show` and `qunfa recall POST`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "output.h"
#include "qf/clock.h"

#define REMIND_MAX 8
#define RECALL_WAIT_MS 60000

static const char *item, *price, *orig_price, *start, *end, *to, *remind, *link;
static int64_t stock = -1;

static qf_flag create_flags[] = {
    {.name = "item", .type = QF_FLAG_STR, .dst = &item, .help = "what is on sale"},
    {.name = "price", .type = QF_FLAG_STR, .dst = &price, .help = "sale price, 9.90"},
    {.name = "orig-price",
     .type = QF_FLAG_STR,
     .dst = &orig_price,
     .help = "original price, 99"},
    {.name = "stock",
     .type = QF_FLAG_INT,
     .dst = &stock,
     .help = "units in stock",
     .min = 0,
     .max = 4294967295LL},
    {.name = "start",
     .type = QF_FLAG_STR,
     .dst = &start,
     .help = "the announcement's time: RFC 3339, or +DURATION from now (+30s)"},
    {.name = "end",
     .type = QF_FLAG_STR,
     .dst = &end,
     .help = "nothing unsent goes out after it: RFC 3339 or +DURATION"},
    {.name = "to", .type = QF_FLAG_STR, .dst = &to, .help = "audience"},
    {.name = "remind",
     .type = QF_FLAG_STR,
     .dst = &remind,
     .help = "reminders before the start, comma-separated durations: 1h,5m"},
    {.name = "link", .type = QF_FLAG_STR, .dst = &link, .help = "a link to the sale"},
};

static const cli_command create_cmd = {
    .prog = "qunfa flash-sale create",
    .usage = "--item NAME --price P --orig-price P --stock N --start TIME --end TIME "
             "--to AUDIENCE [--remind 1h,5m] [--link URL] [--json]",
    .summary = "Creates a flash sale: a reminder at each --remind offset before the "
               "start, the\nannouncement at the start (urgent), and nothing unsent "
               "after the end. Prints the\nsale id (--json: the sale with its post "
               "ids).",
    .flags = create_flags,
    .nflags = sizeof create_flags / sizeof create_flags[0],
};

/* "1h", "5m", "30s", "500ms" into *ms (cli.h). */
bool cli_parse_duration(const char *s, int64_t *ms) {
  char *endp;
  long long v = strtoll(s, &endp, 10);
  if (endp == s || v <= 0)
    return false;
  if (strcmp(endp, "ms") == 0)
    *ms = v;
  else if (strcmp(endp, "s") == 0)
    *ms = v * 1000;
  else if (strcmp(endp, "m") == 0 || strcmp(endp, "min") == 0)
    *ms = v * 60000;
  else if (strcmp(endp, "h") == 0)
    *ms = v * 3600000;
  else
    return false;
  return true;
}

/* RFC 3339, or +DURATION from now. */
bool cli_parse_time(const char *s, int64_t *ms) {
  int64_t d;
  if (s[0] == '+' && cli_parse_duration(s + 1, &d)) {
    *ms = qf_clock_now_ms() + d;
    return true;
  }
  return qf_time_parse_rfc3339(s, ms) == 0;
}

int cli_parse_durations(const char *s, int64_t *out, size_t max, size_t *n) {
  char buf[256], *save = NULL;
  *n = 0;
  if (strlen(s) >= sizeof buf)
    return -1;
  snprintf(buf, sizeof buf, "%s", s);
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (*n == max || !cli_parse_duration(t, &out[*n]))
      return -1;
    (*n)++;
  }
  return 0;
}

static json_t *ids_json(const uint64_t *ids, size_t n) {
  json_t *a = json_array();
  char buf[24];
  for (size_t i = 0; i < n; i++) {
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)ids[i]);
    json_array_append_new(a, json_string(buf));
  }
  return a;
}

static void print_sale(const Qunfa__Sale *s, bool json) {
  char id[24], ann[24], so[24];
  snprintf(id, sizeof id, "%llu", (unsigned long long)s->id);
  snprintf(ann, sizeof ann, "%llu", (unsigned long long)s->announce_post);
  snprintf(so, sizeof so, "%llu", (unsigned long long)s->soldout_post);
  if (!json) {
    printf("%s\n", id);
    return;
  }
  out_json_print(json_pack(
      "{s:s, s:o, s:s, s:s, s:I, s:I, s:I, s:o, s:s, s:o, s:b, s:s, s:b}", "sale", id,
      "item", out_json_string(s->item), "price", s->price, "orig_price", s->orig_price,
      "stock", (json_int_t)s->stock, "start_ms", (json_int_t)s->start_ms, "end_ms",
      (json_int_t)s->end_ms, "audience", out_json_string(s->audience), "announce_post",
      ann, "reminder_posts", ids_json(s->reminder_posts, s->n_reminder_posts),
      "sold_out", s->sold_out, "soldout_post", so, "soldout_settled",
      s->soldout_settled));
}

static int check_create(qunfa_sale_opts *o, int64_t *rem) {
  if (!item || !price || !orig_price || stock < 0 || !start || !end || !to)
    return cli_usage_error(&create_cmd, "--item, --price, --orig-price, --stock, "
                                        "--start, --end and --to are required");
  if (!cli_parse_time(start, &o->start_ms))
    return cli_usage_error(&create_cmd, "--start: not RFC 3339 or +DURATION");
  if (!cli_parse_time(end, &o->end_ms))
    return cli_usage_error(&create_cmd, "--end: not RFC 3339 or +DURATION");
  if (remind && cli_parse_durations(remind, rem, REMIND_MAX, &o->nremind) != 0)
    return cli_usage_error(&create_cmd, "--remind: not up to %d durations like 1h,5m",
                           REMIND_MAX);
  o->item = item;
  o->price = price;
  o->orig_price = orig_price;
  o->stock = (uint32_t)stock;
  o->audience = to;
  o->link = link;
  o->remind_ms = rem;
  return -1;
}

int cli_sale_create(int argc, char **argv) {
  cli_global g = {0};
  size_t npos;
  qunfa_client *c = NULL;
  qunfa_sale_opts o = {0};
  int64_t rem[REMIND_MAX];
  Qunfa__Sale *s = NULL;
  int rc;

  if ((rc = cli_parse(&create_cmd, argc, argv, &g, NULL, &npos)) >= 0)
    return rc;
  if ((rc = check_create(&o, rem)) >= 0)
    return rc;
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  if ((rc = qunfa_sale_create(c, &o, &s)) == 0)
    print_sale(s, g.json);
  else
    rc = cli_call_failed(c, rc);
  qunfa_sale_free(s);
  qunfa_close(c);
  return rc;
}

static const cli_command stock_cmd = {
    .prog = "qunfa flash-sale stock",
    .usage = "ID N [--json]",
    .summary = "Sets the stock of sale ID. At 0 the sale is sold out: its unsent "
               "reminders and\nannouncements expire, and a sold-out message goes to "
               "the groups that received\nthe announcement.",
    .min_pos = 2,
    .max_pos = 2,
};

static const cli_command show_cmd = {
    .prog = "qunfa flash-sale show",
    .usage = "ID [--json]",
    .summary = "Shows sale ID and its posts (follow them with `qunfa status POST`).",
    .min_pos = 1,
    .max_pos = 1,
};

int cli_sale_stock(int argc, char **argv) {
  cli_global g = {0};
  char *pos[2];
  size_t npos;
  uint64_t id, n;
  qunfa_client *c = NULL;
  Qunfa__Sale *s = NULL;
  int rc;

  if ((rc = cli_parse(&stock_cmd, argc, argv, &g, pos, &npos)) >= 0)
    return rc;
  if (!cli_parse_u64(pos[0], &id) || !cli_parse_u64(pos[1], &n) || n > UINT32_MAX)
    return cli_usage_error(&stock_cmd, "ID and N must be decimal numbers");
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  if ((rc = qunfa_sale_stock(c, id, (uint32_t)n, &s)) == 0) {
    if (g.json)
      print_sale(s, true);
    else
      printf("sale %llu: stock %u%s\n", (unsigned long long)id, s->stock,
             s->sold_out ? " (sold out)" : "");
  } else {
    rc = cli_call_failed(c, rc);
  }
  qunfa_sale_free(s);
  qunfa_close(c);
  return rc;
}

int cli_sale_show(int argc, char **argv) {
  cli_global g = {0};
  char *pos[1];
  uint64_t id;
  qunfa_client *c = NULL;
  Qunfa__Sale *s = NULL;
  int rc;

  if ((rc = cli_start_id(&show_cmd, argc, argv, &g, pos, &id, &c)) >= 0)
    return rc;
  if ((rc = qunfa_sale_get(c, id, &s)) == 0) {
    if (g.json) {
      print_sale(s, true);
    } else {
      printf("sale %llu: %s at %s (was %s), stock %u%s\n", (unsigned long long)s->id,
             s->item, s->price, s->orig_price, s->stock,
             s->sold_out ? ", sold out" : "");
      printf("announcement: post %llu\n", (unsigned long long)s->announce_post);
      for (size_t i = 0; i < s->n_reminder_posts; i++)
        printf("reminder: post %llu\n", (unsigned long long)s->reminder_posts[i]);
      if (s->soldout_post)
        printf("sold-out: post %llu\n", (unsigned long long)s->soldout_post);
    }
  } else {
    rc = cli_call_failed(c, rc);
  }
  qunfa_sale_free(s);
  qunfa_close(c);
  return rc;
}
