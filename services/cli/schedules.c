/* Recurring posts: `qunfa post --cron EXPR [--tz ZONE] ...` creates a schedule;
 * `qunfa schedules list|pause|resume|delete` show and change them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "qf/clock.h"

static const char schedule_json_doc[] =
    "{\"id\":\"ID\",\"cron\":\"0 8 * * *\",\"tz\":\"Asia/Shanghai\",\"audience\":"
    "\"...\",\"next_at\":MS,\n\"paused\":false,\"last_at\":MS,\"last_post\":\"ID\","
    "\"last_error\":\"\"} (times UTC ms, 0 = none)";

static json_t *schedule_json(const Qunfa__Schedule *s) {
  char id[24], last[24];
  snprintf(id, sizeof id, "%llu", (unsigned long long)s->id);
  snprintf(last, sizeof last, "%llu", (unsigned long long)s->last_post_id);
  return json_pack("{s:s, s:o, s:o, s:o, s:I, s:b, s:I, s:s, s:o}", "id", id, "cron",
                   out_json_string(s->cron), "tz", out_json_string(s->tz), "audience",
                   out_json_string(s->audience), "next_at", (json_int_t)s->next_at_ms,
                   "paused", s->paused, "last_at", (json_int_t)s->last_at_ms,
                   "last_post", s->last_post_id ? last : "", "last_error",
                   out_json_string(s->last_error));
}

static void schedule_row(out_table *t, const Qunfa__Schedule *s) {
  char id[24], next[40];
  const char *row[6] = {
      id, s->cron, s->tz, "-", s->paused ? "paused" : "active", s->audience};
  snprintf(id, sizeof id, "%llu", (unsigned long long)s->id);
  if (s->next_at_ms > 0 && !s->paused)
    row[3] = qf_time_format_rfc3339(s->next_at_ms, next, sizeof next);
  out_table_add(t, row);
}

static void print_one(const Qunfa__Schedule *s, bool json, const char *what) {
  char next[40];
  if (json) {
    out_json_print(schedule_json(s));
    return;
  }
  printf("schedule %llu %s", (unsigned long long)s->id, what);
  if (!s->paused && s->next_at_ms > 0 && strcmp(what, "deleted") != 0)
    printf("; next at %s", qf_time_format_rfc3339(s->next_at_ms, next, sizeof next));
  printf("\n");
}

/* ---- post --cron ---- */

int cli_post_schedule(const cli_global *g, const char *cron, const char *tz,
                      const char *to, const char *text) {
  qunfa_client *c = NULL;
  Qunfa__Schedule *s = NULL;
  int rc;

  if ((rc = cli_connect(g, &c)) != 0)
    return rc;
  if ((rc = qunfa_schedule_create(c, cron, tz, to, text, &s)) != 0)
    rc = cli_call_failed(c, rc);
  else if (g->json)
    out_json_print(schedule_json(s));
  else
    print_one(s, false, "created");
  qunfa_schedule_free(s);
  qunfa_close(c);
  return rc;
}

/* ---- schedules list ---- */

static const cli_command list_cmd = {
    .prog = "qunfa schedules list",
    .usage = "[--json]",
    .summary = "Lists every recurring post in id order. --json: an array of",
};

static int fetch_all(qunfa_client *c, json_t *arr, out_table *t) {
  uint64_t after = 0;
  for (;;) {
    Qunfa__ListSchedulesReply *page;
    int rc = qunfa_schedules_list(c, after, 0, &page);
    if (rc != 0)
      return cli_call_failed(c, rc);
    for (size_t i = 0; i < page->n_schedules; i++) {
      if (arr)
        json_array_append_new(arr, schedule_json(page->schedules[i]));
      else
        schedule_row(t, page->schedules[i]);
      after = page->schedules[i]->id;
    }
    bool more = page->more && page->n_schedules > 0;
    qunfa_schedules_page_free(page);
    if (!more)
      return 0;
  }
}

int cli_schedules_list(int argc, char **argv) {
  static const char *const head[] = {"ID",      "CRON",  "TZ",
                                     "NEXT_AT", "STATE", "AUDIENCE"};
  char summary[600];
  cli_command cmd = list_cmd;
  cli_global g = {0};
  size_t npos;
  qunfa_client *c = NULL;
  json_t *arr;
  out_table *t;
  int rc;

  snprintf(summary, sizeof summary, "%s\n%s.", list_cmd.summary, schedule_json_doc);
  cmd.summary = summary;
  if ((rc = cli_parse(&cmd, argc, argv, &g, NULL, &npos)) >= 0)
    return rc;
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  arr = g.json ? json_array() : NULL;
  t = g.json ? NULL : out_table_new(6, head);
  if ((rc = fetch_all(c, arr, t)) == 0) {
    if (arr) {
      out_json_print(arr);
      arr = NULL;
    } else {
      out_table_print(t);
    }
  }
  json_decref(arr);
  out_table_free(t);
  qunfa_close(c);
  return rc;
}

/* ---- pause, resume, delete ---- */

typedef int (*change_fn)(qunfa_client *c, uint64_t id, Qunfa__Schedule **out);

static int change(const char *prog, const char *what, change_fn fn, int argc,
                  char **argv) {
  char summary[600];
  cli_command cmd = {.prog = prog, .usage = "ID [--json]", .min_pos = 1, .max_pos = 1};
  cli_global g = {0};
  char *pos[1], *end;
  size_t npos;
  qunfa_client *c = NULL;
  Qunfa__Schedule *s = NULL;
  unsigned long long id;
  int rc;

  snprintf(summary, sizeof summary,
           "%s the recurring post ID. --json: the schedule afterwards,\n%s.",
           strcmp(what, "paused") == 0    ? "Pauses (the post of an occurrence not yet "
                                            "due is cancelled)"
           : strcmp(what, "resumed") == 0 ? "Resumes, from the first occurrence after "
                                            "now,"
                                          : "Deletes (cancelling the post of an "
                                            "occurrence not yet due)",
           schedule_json_doc);
  cmd.summary = summary;
  if ((rc = cli_parse(&cmd, argc, argv, &g, pos, &npos)) >= 0)
    return rc;
  id = strtoull(pos[0], &end, 10);
  if (pos[0][0] < '0' || pos[0][0] > '9' || *end != '\0')
    return cli_usage_error(&cmd, "ID must be a schedule id (a decimal number)");
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  if ((rc = fn(c, id, &s)) != 0)
    rc = cli_call_failed(c, rc);
  else
    print_one(s, g.json, what);
  qunfa_schedule_free(s);
  qunfa_close(c);
  return rc;
}

int cli_schedules_pause(int argc, char **argv) {
  return change("qunfa schedules pause", "paused", qunfa_schedule_pause, argc, argv);
}

int cli_schedules_resume(int argc, char **argv) {
  return change("qunfa schedules resume", "resumed", qunfa_schedule_resume, argc, argv);
}

int cli_schedules_delete(int argc, char **argv) {
  return change("qunfa schedules delete", "deleted", qunfa_schedule_delete, argc, argv);
}
