/* The command line every command shares: the global flags, usage errors, the
 * one-line failure report and the connection to the scheduler. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_FLAGS 16
#define LINE_MAX_LEN 1024

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_global *g, char **pos,
              size_t *npos) {
  qf_flag flags[MAX_FLAGS];
  size_t n = 0;
  qf_config_result r;

  if (cmd->nflags + 3 > MAX_FLAGS)
    abort(); /* a command with more flags than this table: our own bug */
  for (size_t i = 0; i < cmd->nflags; i++)
    flags[n++] = cmd->flags[i];
  flags[n++] = (qf_flag){.name = "server",
                         .type = QF_FLAG_STR,
                         .dst = &g->server,
                         .def = QUNFA_DEFAULT_SERVER,
                         .help = "scheduler address (its --listen URL)"};
  flags[n++] = (qf_flag){.name = "timeout-ms",
                         .type = QF_FLAG_INT,
                         .dst = &g->timeout_ms,
                         .def = "10000",
                         .help = "wait at most this long for each answer",
                         .min = 1,
                         .max = 3600000};
  flags[n++] = (qf_flag){.name = "json",
                         .type = QF_FLAG_BOOL,
                         .dst = &g->json,
                         .def = "false",
                         .help = "print machine-readable JSON"};
  qf_config_spec spec = {cmd->prog, cmd->usage, cmd->summary, flags, n};

  *npos = 0;
  r = qf_config_parse(&spec, argc, argv, pos, cmd->max_pos, npos);
  if (r == QF_CONFIG_HELP)
    return CLI_EXIT_OK;
  if (r != QF_CONFIG_OK)
    return CLI_EXIT_USAGE;
  if (*npos < cmd->min_pos)
    return cli_usage_error(cmd, "expects %s", cmd->usage);
  return -1;
}

/* Keeps a report on one line whatever the sentence holds. */
static void one_line(char *s) {
  for (; *s; s++) {
    if (*s == '\n' || *s == '\r' || *s == '\t')
      *s = ' ';
  }
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...) {
  char line[LINE_MAX_LEN];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  one_line(line);
  fprintf(stderr, "%s: %s. Try '%s --help'.\n", cmd->prog, line, cmd->prog);
  return CLI_EXIT_USAGE;
}

int cli_fail(const char *fmt, ...) {
  char line[LINE_MAX_LEN];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  one_line(line);
  fprintf(stderr, "qunfa: %s\n", line);
  return CLI_EXIT_FAIL;
}

int cli_connect(const cli_global *g, qunfa_client **out) {
  qunfa_opts opts = {.timeout_ms = g->timeout_ms};
  int rc = qunfa_open(out, g->server, &opts);

  if (rc == QF_EADDR)
    return cli_fail("--server: not a usable address (want ipc://PATH or "
                    "tcp://HOST:PORT)");
  if (rc != 0)
    return cli_fail("cannot open a connection: %s", qf_strerror(rc));
  return 0;
}

int cli_call_failed(qunfa_client *c, int rc) {
  const char *why = qunfa_last_error(c);
  return cli_fail("%s", *why ? why : qf_strerror(rc));
}

bool cli_parse_u64(const char *s, uint64_t *out) {
  char *end;
  unsigned long long v;

  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = v;
  return true;
}

bool cli_parse_post_id(const char *s, qunfa_post_id *out) {
  return cli_parse_u64(s, &out->n);
}

int cli_start_id(const cli_command *cmd, int argc, char **argv, cli_global *g,
                 char **pos, uint64_t *id, qunfa_client **c) {
  size_t npos;
  int rc;

  if ((rc = cli_parse(cmd, argc, argv, g, pos, &npos)) >= 0)
    return rc;
  if (!cli_parse_u64(pos[0], id))
    return cli_usage_error(cmd, "ID must be a decimal number");
  if ((rc = cli_connect(g, c)) != 0)
    return rc;
  return -1;
}
