/* qunfa-mockchat: a chat-platform simulator. Receives webhook posts the way
 * each platform does (format, signature, limits, error answers), answers as
 * scripted by each group's url and as the fault flags say, and appends every
 * accepted message to the record that tests and benchmarks judge delivery by. */
#include "gateway.h"
#include "hook.h"

#include "qf/config.h"
#include "qf/log.h"
#include "qf/signals.h"
#include "qf/stats.h"
#include "qf/watchdog.h"

#include <nng/nng.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

typedef struct app {
  hook_server *hooks;
  gateway *gateway;
  qf_stop_signals signals;
} app;

static void on_stop(qf_stop_signals *sig, void *arg) {
  app *a = arg;
  /* Every accepted message is already in the record (written before it is
   * answered): nothing is lost if closing the server hangs. */
  qf_watchdog_exit_after(QF_WATCHDOG_SHUTDOWN_MS, "close");
  hook_server_stop(a->hooks);
  gateway_stop(a->gateway);
  qf_stop_signals_close(sig);
}

typedef struct flags {
  const char *listen, *record, *secrets, *fail_rate, *time_scale, *gateway, *stats;
  int64_t latency_ms, throttle_burst, seed;
} flags;

static int usage(const char *flag, const char *value, const char *want) {
  return qf_config_bad_value("qunfa-mockchat", flag, value, want);
}

/* Parses the flags into f, o and scale; -1 to go on, otherwise the exit status. */
static int parse_flags(int argc, char **argv, flags *f, faults_opts *o, double *scale) {
  const char *level = NULL;
  qf_flag spec[] = {
      {"listen", QF_FLAG_STR, &f->listen, NULL, "http://HOST:PORT to serve on", true, 0,
       0},
      {"record", QF_FLAG_STR, &f->record, NULL, "file to append received messages to",
       true, 0, 0},
      {"secrets", QF_FLAG_STR, &f->secrets, NULL,
       "JSON file of signing robots' secrets and keywords (docs/mockchat.md)", false, 0,
       0},
      {"gateway", QF_FLAG_STR, &f->gateway, NULL,
       "also serve the nng dialect's gateway on this NNG URL", false, 0, 0},
      {"fail-rate", QF_FLAG_STR, &f->fail_rate, "0",
       "answer a valid request 500 with this probability (0..1)", false, 0, 0},
      {"latency-ms", QF_FLAG_INT, &f->latency_ms, "0", "hold every answer this long",
       false, 0, 60000},
      {"throttle-burst", QF_FLAG_INT, &f->throttle_burst, "0",
       "answer each target's first N requests with its platform's rate-limit error",
       false, 0, 1000000},
      {"time-scale", QF_FLAG_STR, &f->time_scale, "1",
       "divide the platforms' windows and silences by this (60: a minute lasts 1 s)",
       false, 0, 0},
      {"seed", QF_FLAG_INT, &f->seed, "0", "seed of --fail-rate's draws (0: the clock)",
       false, 0, INT64_MAX},
      {"log-level", QF_FLAG_STR, &level, "info", "debug, info, warn or error", false, 0,
       0},
      {"stats", QF_FLAG_STR, &f->stats, NULL, "stats address (NNG REP, JSON)", false, 0,
       0},
  };
  qf_config_spec cs = {
      "qunfa-mockchat",
      "--listen http://127.0.0.1:PORT --record FILE [--secrets FILE] [--stats URL]",
      "Simulates the chat platforms' webhooks (generic, WeCom, Feishu, DingTalk, "
      "Telegram, Slack) with their formats, signatures, limits and error answers; "
      "each accepted message is appended to FILE as one JSON line. A group url's "
      "query scripts answers: ?answers=500,500, ?always=404, ?delays=MS, "
      "&retry_after=N.",
      spec, sizeof spec / sizeof spec[0]};
  qf_config_result r = qf_config_parse(&cs, argc, argv, NULL, 0, NULL);
  if (r != QF_CONFIG_OK)
    return r == QF_CONFIG_HELP ? 0 : 2;
  if (qf_config_log_level("qunfa-mockchat", level) != 0)
    return 2;
  if (!faults_parse_rate(f->fail_rate, &o->fail_rate))
    return usage("fail-rate", f->fail_rate, "a probability 0..1");
  char *end;
  *scale = strtod(f->time_scale, &end);
  if (*end || end == f->time_scale || !(*scale >= 0.001 && *scale <= 1e6))
    return usage("time-scale", f->time_scale, "a factor 0.001..1000000");
  o->latency_ms = (uint32_t)f->latency_ms;
  o->throttle_burst = (uint32_t)f->throttle_burst;
  o->seed = (uint64_t)f->seed;
  return -1;
}

int main(int argc, char **argv) {
  qf_log_init("mockchat");
  flags f = {0};
  faults_opts fo = {0};
  double scale = 1;
  int status = parse_flags(argc, argv, &f, &fo, &scale);
  if (status >= 0)
    return status;
  status = 1;
  app a = {0};
  uv_loop_t loop;
  uv_loop_init(&loop);
  char why[512];
  hook_env env = {.tally = tally_new(),
                  .limiter = limiter_new(scale),
                  .board = board_new(),
                  .faults = faults_new(&fo)};
  secrets *sec = NULL;
  qf_stats *stats = qf_stats_new("mockchat");
  if (f.stats && qf_stats_serve(stats, f.stats) != 0)
    goto out; /* logged */
  if (secrets_load(&sec, f.secrets, why, sizeof why) != 0) {
    fprintf(stderr, "qunfa-mockchat: --secrets: %s\n", why);
    status = 2;
    goto out;
  }
  env.secrets = sec;
  if (record_open(&env.rec, f.record) != 0)
    goto out;
  if (hook_server_start(&a.hooks, f.listen, &env) != 0)
    goto out;
  if (f.gateway && gateway_start(&a.gateway, f.gateway, &env) != 0)
    goto out;
  if (qf_stop_signals_watch(&a.signals, &loop, on_stop, &a) != 0)
    goto out;
  char q[512];
  qf_log_info("ready",
              "listen=%s port=%d record=%s gateway=%s time_scale=%g fail_rate=%g "
              "latency_ms=%u throttle_burst=%u",
              f.listen, hook_server_port(a.hooks), qf_log_quote(f.record, q, sizeof q),
              f.gateway ? f.gateway : "none", scale, fo.fail_rate, fo.latency_ms,
              fo.throttle_burst);
  uv_run(&loop, UV_RUN_DEFAULT);
  qf_log_info("stopped", "signal=%s", qf_stop_signals_by(&a.signals));
  status = 0;
out:
  hook_server_stop(a.hooks);
  gateway_stop(a.gateway);
  record_close(env.rec);
  qf_stats_free(stats); /* its socket is NNG's: closed before nng_fini */
  nng_fini();           /* waits for handlers still running on NNG's threads */
  hook_server_free(a.hooks);
  gateway_free(a.gateway);
  record_free(env.rec);
  tally_free(env.tally);
  limiter_free(env.limiter);
  board_free(env.board);
  faults_free(env.faults);
  secrets_free(sec);
  qf_stop_signals_close(&a.signals);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return status;
}
