/* `qunfa top`: the stats of every process, redrawn in the terminal every
 * interval like top(1), with ANSI escape codes only (no curses). q quits; the
 * terminal's mode is restored on exit and on SIGINT/SIGTERM. */
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "qf/clock.h"
#include "stats.h"

static const char *top_url;
static int64_t interval_ms, iterations;

static qf_flag top_flags[] = {
    {"stats-url", QF_FLAG_STR, &top_url, NULL,
     "stats addresses (comma-separated); the scheduler's names its relays", true, 0, 0},
    {"interval-ms", QF_FLAG_INT, &interval_ms, "1000", "time between refreshes", false,
     100, 3600000},
    {"iterations", QF_FLAG_INT, &iterations, "0",
     "refreshes before exiting (0: until q)", false, 0, 1000000000},
};

static const cli_command top_cmd = {
    .prog = "qunfa top",
    .usage = "--stats-url URL[,URL...] [--interval-ms N] [--iterations N]",
    .summary = "Shows live figures of the whole system, refreshed every interval: "
               "deliveries per second,\nsends in flight, throttled groups, posts by "
               "state, the busiest posts and every process.\nPress q to quit.",
    .flags = top_flags,
    .nflags = 3,
};

static struct termios saved;
static bool raw;
static volatile sig_atomic_t stop_signal;

static void restore_terminal(void) {
  if (raw) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    raw = false;
  }
  if (isatty(STDOUT_FILENO))
    fputs("\033[?25h", stdout); /* show the cursor again */
  fflush(stdout);
}

static void on_signal(int sig) {
  stop_signal = sig;
}

/* Keys without Enter and without echo, so q quits at once. */
static void enter_raw(void) {
  if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) != 0)
    return;
  struct termios t = saved;
  t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
    raw = true;
}

typedef struct totals {
  double delivered, failed, in_flight, sends_per_s, leases, throttled;
  double posts[3];
  int64_t at_ms;
  bool have;
} totals;

static void sum_doc(const json_t *doc, totals *t) {
  const char *proc = json_string_value(json_object_get(doc, "process"));
  if (proc && strcmp(proc, "scheduler") == 0) {
    t->delivered += cli_stats_num(doc, "counters", "deliveries_total{state=delivered}");
    t->failed += cli_stats_num(doc, "counters", "deliveries_total{state=failed}");
    t->leases += cli_stats_num(doc, "gauges", "leases_outstanding");
    t->throttled += cli_stats_num(doc, "gauges", "limiter_keys_waiting{tier=group}");
    t->posts[0] += cli_stats_num(doc, "gauges", "posts{state=scheduled}");
    t->posts[1] += cli_stats_num(doc, "gauges", "posts{state=active}");
    t->posts[2] += cli_stats_num(doc, "gauges", "posts{state=done}");
  } else if (proc && strcmp(proc, "dispatcher") == 0) {
    t->in_flight += cli_stats_num(doc, "gauges", "sends_in_flight");
    t->sends_per_s += cli_stats_num(doc, "rates", "sends_per_s");
  }
}

static void draw_posts(const json_t *busiest) {
  size_t i;
  json_t *p;
  printf("\n\033[1m%-10s %10s %10s %8s %8s  %s\033[0m\n", "POST", "DELIVERED", "TOTAL",
         "FAILED", "PER_S", "PROGRESS");
  json_array_foreach(busiest, i, p) {
    double total = json_number_value(json_object_get(p, "total"));
    double done = json_number_value(json_object_get(p, "delivered"));
    int bar = total > 0 ? (int)(20 * done / total) : 0;
    printf("%-10s %10.0f %10.0f %8.0f %8.0f  [%.*s%*s]\n",
           json_string_value(json_object_get(p, "post")), done, total,
           json_number_value(json_object_get(p, "failed")),
           json_number_value(json_object_get(p, "per_s")), bar, "####################",
           20 - bar, "");
  }
  if (json_array_size(busiest) == 0)
    printf("(no active post)\n");
}

static void draw_processes(const json_t *all) {
  size_t i;
  json_t *e;
  printf("\n\033[1m%-11s %-8s %10s  %s\033[0m\n", "PROCESS", "STATE", "UPTIME_S",
         "SOURCE");
  json_array_foreach(all, i, e) {
    const json_t *doc = json_object_get(e, "stats");
    printf("%-11s %-8s %10.0f  %s\n",
           doc ? json_string_value(json_object_get(doc, "process")) : "?",
           doc ? "up" : "DOWN",
           doc ? json_number_value(json_object_get(doc, "uptime_ms")) / 1000 : 0.0,
           json_string_value(json_object_get(e, "url")));
  }
}

/* One screen from the documents in all; prev holds the last totals. */
static void draw(const json_t *all, totals *prev, int64_t n) {
  totals t = {0};
  const json_t *busiest = NULL;
  size_t i;
  json_t *e;
  json_array_foreach(all, i, e) {
    const json_t *doc = json_object_get(e, "stats");
    sum_doc(doc, &t);
    const json_t *b = json_object_get(json_object_get(doc, "details"), "busiest_posts");
    busiest = b ? b : busiest;
  }
  t.at_ms = qf_clock_mono_ms();
  double rate = t.sends_per_s;
  if (prev->have && t.at_ms > prev->at_ms)
    rate = (t.delivered - prev->delivered) * 1000.0 / (double)(t.at_ms - prev->at_ms);
  char when[40];
  printf("\033[H\033[2J\033[1mqunfa top\033[0m  %s  refresh %lld  (q quits)\n\n",
         qf_time_format_rfc3339(qf_clock_now_ms(), when, sizeof when), (long long)n);
  printf("deliveries/s %10.1f    delivered %10.0f    failed %8.0f\n", rate, t.delivered,
         t.failed);
  printf("in flight    %10.0f    leased    %10.0f    throttled groups %6.0f\n",
         t.in_flight, t.leases, t.throttled);
  printf("posts        scheduled %.0f  active %.0f  done %.0f\n", t.posts[0],
         t.posts[1], t.posts[2]);
  draw_posts(busiest);
  draw_processes(all);
  fflush(stdout);
  t.have = true;
  *prev = t;
}

/* Waits up to ms for a key; true when q (or Q) was pressed. */
static bool wait_key(int64_t ms, bool *stdin_open) {
  int64_t until = qf_clock_mono_ms() + ms;
  for (int64_t left = ms; left > 0 && !stop_signal; left = until - qf_clock_mono_ms()) {
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    if (!*stdin_open) {
      struct timespec ts = {0, 50 * 1000000L};
      nanosleep(&ts, NULL);
      continue;
    }
    if (poll(&p, 1, (int)(left > 100 ? 100 : left)) <= 0)
      continue;
    char c;
    ssize_t r = read(STDIN_FILENO, &c, 1);
    if (r == 0)
      *stdin_open = false; /* end of input: refresh until a signal */
    else if (r == 1 && (c == 'q' || c == 'Q'))
      return true;
  }
  return false;
}

int cli_top(int argc, char **argv) {
  cli_global g = {0};
  size_t npos;
  int rc = cli_parse(&top_cmd, argc, argv, &g, NULL, &npos);
  if (rc >= 0)
    return rc;
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  enter_raw();
  atexit(restore_terminal);
  if (isatty(STDOUT_FILENO))
    fputs("\033[?25l", stdout); /* hide the cursor while drawing */
  totals prev = {0};
  bool stdin_open = true;
  for (int64_t n = 1; !stop_signal; n++) {
    json_t *all = cli_stats_gather(top_url, g.timeout_ms < interval_ms ? g.timeout_ms
                                                                       : interval_ms);
    draw(all, &prev, n);
    json_decref(all);
    if ((iterations > 0 && n >= iterations) || wait_key(interval_ms, &stdin_open))
      break;
  }
  restore_terminal();
  printf("\n");
  return CLI_EXIT_OK;
}
