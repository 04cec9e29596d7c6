/* `qunfa live open|say|close|status|replay|cancel`: live-share sessions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "output.h"
#include "qf/alloc.h"
#include "qf/clock.h"

#define REMIND_MAX 8
#define LINE_MAX_BYTES (16 * 1024)

static const char *title, *guest, *to, *at, *remind, *open_text, *close_text;

static qf_flag open_flags[] = {
    {.name = "title",
     .type = QF_FLAG_STR,
     .dst = &title,
     .help = "the session's title"},
    {.name = "guest", .type = QF_FLAG_STR, .dst = &guest, .help = "who speaks"},
    {.name = "to", .type = QF_FLAG_STR, .dst = &to, .help = "audience"},
    {.name = "at",
     .type = QF_FLAG_STR,
     .dst = &at,
     .help = "the start: RFC 3339 or +DURATION; omitted = now"},
    {.name = "remind",
     .type = QF_FLAG_STR,
     .dst = &remind,
     .help = "reminders before the start, comma-separated durations: 10m,1m"},
    {.name = "open-text",
     .type = QF_FLAG_STR,
     .dst = &open_text,
     .help = "the opening message (default: made of title and guest)"},
};

static const cli_command open_cmd = {
    .prog = "qunfa live open",
    .usage = "--title T --guest G --to AUDIENCE [--at TIME] [--remind 10m,1m] "
             "[--open-text T] [--json]",
    .summary = "Opens a live-share session: reminders before the start, the opening "
               "message at the start,\nthen every segment appended with `qunfa live "
               "say`, in order, in every group. Prints the\nsession id (--json: "
               "{\"live\":\"ID\"}).",
    .flags = open_flags,
    .nflags = sizeof open_flags / sizeof open_flags[0],
};

/* An id as JSON: a decimal string, since 64-bit ids do not fit a double. */
static json_t *id_json(uint64_t id) {
  char buf[24];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)id);
  return json_string(buf);
}

static void print_id(const char *key, uint64_t id, bool json) {
  if (json)
    out_json_print(json_pack("{s:o}", key, id_json(id)));
  else
    printf("%llu\n", (unsigned long long)id);
}

int cli_live_open(int argc, char **argv) {
  cli_global g = {0};
  size_t npos;
  qunfa_client *c = NULL;
  qunfa_live_opts o = {0};
  int64_t rem[REMIND_MAX];
  uint64_t id;
  int rc;

  if ((rc = cli_parse(&open_cmd, argc, argv, &g, NULL, &npos)) >= 0)
    return rc;
  if (!title || !guest || !to)
    return cli_usage_error(&open_cmd, "--title, --guest and --to are required");
  if (at && !cli_parse_time(at, &o.at_ms))
    return cli_usage_error(&open_cmd, "--at: not RFC 3339 or +DURATION");
  if (remind && cli_parse_durations(remind, rem, REMIND_MAX, &o.nremind) != 0)
    return cli_usage_error(&open_cmd, "--remind: not up to %d durations like 10m,1m",
                           REMIND_MAX);
  o.title = title;
  o.guest = guest;
  o.audience = to;
  o.open_text = open_text;
  o.remind_ms = rem;
  if ((rc = cli_connect(&g, &c)) != 0)
    return rc;
  if ((rc = qunfa_live_open(c, &o, &id)) == 0)
    print_id("live", id, g.json);
  else
    rc = cli_call_failed(c, rc);
  qunfa_close(c);
  return rc;
}

/* ---- say ---- */

/* --json of say and replay. */
static void print_appended(uint64_t id, uint32_t count, uint32_t last) {
  out_json_print(json_pack("{s:o, s:I, s:I}", "live", id_json(id), "appended",
                           (json_int_t)count, "last", (json_int_t)last));
}

static const cli_command say_cmd = {
    .prog = "qunfa live say",
    .usage = "ID TEXT|- [--json]",
    .summary = "Appends a segment to session ID; with -, one segment per line of "
               "stdin (empty lines\nare skipped) as they come. Prints the number of "
               "each segment appended (--json at the\nend: {\"live\":\"ID\","
               "\"appended\":N,\"last\":K}).",
    .min_pos = 2,
    .max_pos = 2,
};

/* Appends each line of in; returns 0 or the exit code of the failed call. */
static int say_lines(qunfa_client *c, uint64_t id, FILE *in, bool json, uint32_t *count,
                     uint32_t *last) {
  char *line = malloc(LINE_MAX_BYTES);
  int rc = 0;
  if (!line)
    return cli_fail("out of memory");
  while (fgets(line, LINE_MAX_BYTES, in)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0])
      continue;
    if ((rc = qunfa_live_say(c, id, line, last)) != 0) {
      rc = cli_call_failed(c, rc);
      break;
    }
    (*count)++;
    if (!json) {
      printf("%u\n", *last);
      fflush(stdout);
    }
  }
  free(line);
  return rc;
}

int cli_live_say(int argc, char **argv) {
  cli_global g = {0};
  char *pos[2];
  uint64_t id;
  qunfa_client *c = NULL;
  uint32_t count = 0, last = 0;
  int rc;

  if ((rc = cli_start_id(&say_cmd, argc, argv, &g, pos, &id, &c)) >= 0)
    return rc;
  if (strcmp(pos[1], "-") == 0) {
    rc = say_lines(c, id, stdin, g.json, &count, &last);
  } else if ((rc = qunfa_live_say(c, id, pos[1], &last)) != 0) {
    rc = cli_call_failed(c, rc);
  } else {
    count = 1;
    if (!g.json)
      printf("%u\n", last);
  }
  if (rc == 0 && g.json)
    print_appended(id, count, last);
  qunfa_close(c);
  return rc;
}

/* ---- close ---- */

static qf_flag close_flags[] = {
    {.name = "text",
     .type = QF_FLAG_STR,
     .dst = &close_text,
     .help = "the closing message (default: made of title and guest)"},
};

static const cli_command close_cmd = {
    .prog = "qunfa live close",
    .usage = "ID [--text T] [--json]",
    .summary = "Closes session ID: the closing message goes to every group after "
               "every segment; nothing\ncan be appended afterwards.",
    .flags = close_flags,
    .nflags = sizeof close_flags / sizeof close_flags[0],
    .min_pos = 1,
    .max_pos = 1,
};

int cli_live_close(int argc, char **argv) {
  cli_global g = {0};
  char *pos[1];
  uint64_t id;
  uint32_t seg = 0;
  qunfa_client *c = NULL;
  int rc;

  if ((rc = cli_start_id(&close_cmd, argc, argv, &g, pos, &id, &c)) >= 0)
    return rc;
  if ((rc = qunfa_live_close(c, id, close_text, &seg)) == 0)
    print_id("segment", seg, g.json);
  else
    rc = cli_call_failed(c, rc);
  qunfa_close(c);
  return rc;
}

/* ---- cancel ---- */

static const cli_command cancel_cmd = {
    .prog = "qunfa live cancel",
    .usage = "ID [--json]",
    .summary = "Cancels session ID as a whole: every delivery of it not yet sent "
               "(reminders, the\nopening, segments, the closing) is cancelled, "
               "and `qunfa live say` is refused from\nnow on. Messages already "
               "sent stay (`qunfa recall POST` deletes them where the\nplatform "
               "can). Deliveries in a dispatcher's hands may still arrive, within "
               "the lease\ntime. Prints how many were cancelled (--json: "
               "{\"live\":\"ID\",\"cancelled\":N,\"leased\":N,\n"
               "\"was_cancelled\":B}).",
    .min_pos = 1,
    .max_pos = 1,
};

int cli_live_cancel(int argc, char **argv) {
  cli_global g = {0};
  char *pos[1];
  uint64_t id;
  qunfa_client *c = NULL;
  qunfa_cancel r;
  int rc;

  if ((rc = cli_start_id(&cancel_cmd, argc, argv, &g, pos, &id, &c)) >= 0)
    return rc;
  if ((rc = qunfa_live_cancel(c, id, &r)) != 0) {
    rc = cli_call_failed(c, rc);
  } else if (g.json) {
    out_json_print(json_pack("{s:o, s:I, s:I, s:b}", "live", id_json(id), "cancelled",
                             (json_int_t)r.cancelled, "leased", (json_int_t)r.leased,
                             "was_cancelled", r.was_done));
  } else if (r.was_done) {
    printf("session %llu was cancelled already\n", (unsigned long long)id);
  } else {
    printf("session %llu cancelled: %u deliveries cancelled, %u in flight may still "
           "arrive\n",
           (unsigned long long)id, r.cancelled, r.leased);
  }
  qunfa_close(c);
  return rc;
}

/* ---- status ---- */

static const cli_command status_cmd = {
    .prog = "qunfa live status",
    .usage = "ID [--json]",
    .summary = "Session ID's progress: segments appended (the opening and closing "
               "count), deliveries of\nsegments by state, groups that had every "
               "segment, and the slowest group: how many\nsegments it has not had "
               "and since when.",
    .min_pos = 1,
    .max_pos = 1,
};

int cli_live_status(int argc, char **argv) {
  cli_global g = {0};
  char *pos[1];
  uint64_t id;
  qunfa_client *c = NULL;
  Qunfa__LiveStatusReply *s = NULL;
  int rc;

  if ((rc = cli_start_id(&status_cmd, argc, argv, &g, pos, &id, &c)) >= 0)
    return rc;
  if ((rc = qunfa_live_status(c, id, &s)) != 0) {
    rc = cli_call_failed(c, rc);
  } else if (g.json) {
    out_json_print(json_pack(
        "{s:o, s:I, s:I, s:I, s:b, s:b, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I}, "
        "s:{s:o, s:I, s:I}}",
        "live", id_json(s->live_id), "segments", (json_int_t)s->segments, "groups",
        (json_int_t)s->groups, "groups_done", (json_int_t)s->groups_done, "closed",
        s->closed, "cancelled", s->session_cancelled, "settled", s->settled,
        "deliveries", "pending", (json_int_t)s->pending, "leased",
        (json_int_t)s->leased, "delivered", (json_int_t)s->delivered, "failed",
        (json_int_t)s->failed, "expired", (json_int_t)s->expired, "cancelled",
        (json_int_t)s->cancelled, "slowest", "group", out_json_string(s->slowest_group),
        "lag_segments", (json_int_t)s->lag_segments, "lag_ms", (json_int_t)s->lag_ms));
  } else {
    printf("session %llu%s: %u segments, %u/%u groups up to date\n",
           (unsigned long long)s->live_id,
           s->session_cancelled ? " (cancelled)"
           : s->closed          ? " (closed)"
                                : "",
           s->segments, s->groups_done, s->groups);
    printf("deliveries: pending %u, leased %u, delivered %u, failed %u, expired %u, "
           "cancelled %u\n",
           s->pending, s->leased, s->delivered, s->failed, s->expired, s->cancelled);
    if (s->lag_segments > 0)
      printf("slowest: %s, %u segments behind, %lld ms\n", s->slowest_group,
             s->lag_segments, (long long)s->lag_ms);
  }
  qunfa_live_status_free(s);
  qunfa_close(c);
  return rc;
}

/* ---- replay ---- */

static const cli_command replay_cmd = {
    .prog = "qunfa live replay",
    .usage = "ID FILE [--json]",
    .summary = "Replays a recorded talk into session ID at its original pace: FILE "
               "holds JSON Lines\n{\"text\":\"...\",\"offset\":SECONDS}, offsets from "
               "the recording's start, ascending; each\ntext is appended at its "
               "offset from the moment the replay starts.",
    .min_pos = 2,
    .max_pos = 2,
};

static void sleep_until(int64_t at_ms) {
  int64_t left = at_ms - qf_clock_mono_ms();
  if (left > 0)
    nanosleep(&(struct timespec){left / 1000, (left % 1000) * 1000000L}, NULL);
}

/* A recorded talk, read and checked whole before anything is sent: a bad line
 * sends nothing, and no connection is opened only to be dropped (NNG 1.5.2's
 * ipc listener stops accepting when a peer leaves mid-handshake:
 * docs/operations.md). */
typedef struct talk {
  char **text;
  int64_t *at_ms; /* offsets from the start */
  size_t n, cap;
} talk;

static void talk_free(talk *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->text[i]);
  free(t->text);
  free(t->at_ms);
}

static void talk_add(talk *t, const char *text, double offset_s) {
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 64;
    t->text = qf_realloc(t->text, t->cap * sizeof *t->text);
    t->at_ms = qf_realloc(t->at_ms, t->cap * sizeof *t->at_ms);
  }
  t->text[t->n] = qf_strdup(text);
  t->at_ms[t->n++] = (int64_t)(offset_s * 1000);
}

/* Reads every line of f into t; returns 0 or the exit code of a bad line. */
static int talk_read(talk *t, FILE *f) {
  char *line = qf_malloc(LINE_MAX_BYTES);
  int rc = 0, n = 0;
  while (rc == 0 && fgets(line, LINE_MAX_BYTES, f)) {
    json_error_t err;
    n++;
    if (line[strspn(line, " \t\r\n")] == '\0')
      continue;
    json_t *j = json_loads(line, 0, &err);
    const char *text = json_string_value(json_object_get(j, "text"));
    json_t *off = json_object_get(j, "offset");
    if (!text || !*text || !json_is_number(off) || json_number_value(off) < 0)
      rc = cli_fail("line %d: not {\"text\":\"...\",\"offset\":SECONDS}", n);
    else
      talk_add(t, text, json_number_value(off));
    json_decref(j);
  }
  free(line);
  return rc;
}

/* Appends each text of t at its offset; returns 0 or an exit code. */
static int replay(qunfa_client *c, uint64_t id, const talk *t, uint32_t *count,
                  uint32_t *last) {
  int64_t t0 = qf_clock_mono_ms();
  for (size_t i = 0; i < t->n; i++) {
    sleep_until(t0 + t->at_ms[i]);
    int rc = qunfa_live_say(c, id, t->text[i], last);
    if (rc != 0)
      return cli_call_failed(c, rc);
    (*count)++;
  }
  return 0;
}

int cli_live_replay(int argc, char **argv) {
  cli_global g = {0};
  char *pos[2];
  size_t npos;
  uint64_t id;
  qunfa_client *c = NULL;
  uint32_t count = 0, last = 0;
  talk t = {0};
  FILE *f;
  int rc;

  if ((rc = cli_parse(&replay_cmd, argc, argv, &g, pos, &npos)) >= 0)
    return rc;
  if (!cli_parse_u64(pos[0], &id))
    return cli_usage_error(&replay_cmd, "ID must be a decimal number");
  if (!(f = fopen(pos[1], "r")))
    return cli_fail("%s: cannot be read", pos[1]);
  rc = talk_read(&t, f);
  fclose(f);
  if (rc == 0 && (rc = cli_connect(&g, &c)) == 0) {
    rc = replay(c, id, &t, &count, &last);
    if (rc == 0 && g.json)
      print_appended(id, count, last);
    else if (rc == 0)
      printf("%u segments replayed\n", count);
    qunfa_close(c);
  }
  talk_free(&t);
  return rc;
}
