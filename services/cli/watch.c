/* `qunfa status POST --watch`: a progress bar (delivered / total, rate, ETA,
 * failures) redrawn in place until every delivery is final; on a non-terminal,
 * one line per second. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "qf/clock.h"
#include "stats.h"

#define BAR_WIDTH 30
#define TTY_REFRESH_MS 200
#define LINE_REFRESH_MS 1000

static uint32_t finished(const qunfa_status *st) {
  return st->delivered + st->failed + st->expired + st->cancelled;
}

static void format_eta(double secs, char *out, size_t len) {
  if (secs < 0)
    snprintf(out, len, "--");
  else if (secs < 60)
    snprintf(out, len, "%.0fs", secs);
  else if (secs < 3600)
    snprintf(out, len, "%.0fm%02.0fs", secs / 60 - 0.5, (double)((int)secs % 60));
  else
    snprintf(out, len, "%.1fh", secs / 3600);
}

static void draw(const qunfa_status *st, double rate, bool tty) {
  uint32_t done = finished(st);
  double frac = st->total ? (double)done / st->total : 1.0;
  int fill = (int)(frac * BAR_WIDTH);
  char eta[32];
  format_eta(rate > 0 ? (st->total - done) / rate : (done == st->total ? 0 : -1), eta,
             sizeof eta);
  if (tty)
    printf("\r\033[K[%.*s%*s] %3.0f%% ", fill, "##############################",
           BAR_WIDTH - fill, "", frac * 100);
  printf("post %llu: %u/%u delivered, %.1f/s, ETA %s, failed %u, pending %u, "
         "leased %u",
         (unsigned long long)st->post.n, st->delivered, st->total, rate, eta,
         st->failed, st->pending, st->leased);
  if (!tty)
    printf("\n");
  fflush(stdout);
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int cli_watch_post(const cli_global *g, qunfa_post_id post) {
  qunfa_client *c = NULL;
  qunfa_status st;
  bool tty = isatty(STDOUT_FILENO);
  int64_t step = tty ? TTY_REFRESH_MS : LINE_REFRESH_MS;
  int64_t t0 = 0;
  uint32_t done0 = 0;
  double rate = 0;
  int rc;
  if ((rc = cli_connect(g, &c)) != 0)
    return rc;
  for (;;) {
    if ((rc = qunfa_post_status(c, post, &st)) != 0) {
      rc = cli_call_failed(c, rc);
      break;
    }
    int64_t now = qf_clock_mono_ms();
    /* The rate since the first delivery finished, steadier than per step. */
    if (t0 == 0 || finished(&st) == 0) {
      t0 = now;
      done0 = finished(&st);
    } else if (now > t0) {
      rate = (finished(&st) - done0) * 1000.0 / (double)(now - t0);
    }
    draw(&st, rate, tty);
    if (st.pending + st.leased == 0 && st.total > 0) {
      if (tty)
        printf("\n");
      break;
    }
    sleep_ms(step);
  }
  qunfa_close(c);
  return rc;
}
