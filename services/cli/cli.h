/* The qunfa command-line tool: one function per command, the command line every
 * command shares (--server, --timeout-ms, --json) and output as tables or JSON.
 *
 * Exit codes: 0 done; 1 the scheduler rejected the request, could not be reached,
 * or a file could not be used (one line "qunfa: <sentence>" on stderr); 2 the
 * command line was wrong (a line naming the problem and pointing at --help). */
#ifndef QUNFA_CLI_H
#define QUNFA_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qf/config.h"
#include "qunfa.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* The flags every command takes. */
typedef struct cli_global {
  const char *server;
  int64_t timeout_ms;
  bool json;
} cli_global;

/* One command's command line: its name ("qunfa groups import"), the usage line
 * after the name, a paragraph for --help, its own flags, and how many positional
 * arguments it takes. */
typedef struct cli_command {
  const char *prog;
  const char *usage;
  const char *summary;
  qf_flag *flags;
  size_t nflags;
  size_t min_pos, max_pos;
} cli_command;

/* ---- cmdline.c ---- */

/* Parses argv (argv[0] is ignored) for cmd plus the global flags into g, and the
 * positionals into pos (at least cmd->max_pos slots). Returns -1 to go on, or the
 * exit code to end with (0 after --help, 2 after a usage error, already
 * reported). */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_global *g, char **pos,
              size_t *npos);
/* Reports a usage error of cmd ("qunfa post: --at: ... Try ...") and returns 2. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reports a failure ("qunfa: <sentence>", one line) and returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Opens a client of g->server. On failure reports it and returns 1. */
int cli_connect(const cli_global *g, qunfa_client **out);
/* Reports the last error of a failed call on c and returns 1. */
int cli_call_failed(qunfa_client *c, int rc);
/* Parses an unsigned decimal number (digits only, no sign, no overflow). */
bool cli_parse_u64(const char *s, uint64_t *out);
/* Parses a post id (decimal). */
bool cli_parse_post_id(const char *s, qunfa_post_id *out);
/* The start of a command on one object: parses argv for cmd into g and pos,
 * pos[0] being the object's decimal ID (into *id), and connects (*c). Returns
 * -1 to go on, or the exit code to end with (already reported). */
int cli_start_id(const cli_command *cmd, int argc, char **argv, cli_global *g,
                 char **pos, uint64_t *id, qunfa_client **c);

/* ---- the commands: (argc, argv) without the command words ---- */

int cli_groups_import(int argc, char **argv);
int cli_groups_list(int argc, char **argv);
int cli_post(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_deliveries(int argc, char **argv);
int cli_audience(int argc, char **argv);
int cli_cancel(int argc, char **argv);
int cli_schedules_list(int argc, char **argv);
int cli_schedules_pause(int argc, char **argv);
int cli_schedules_resume(int argc, char **argv);
int cli_schedules_delete(int argc, char **argv);
/* ---- sale.c: times and durations of the sale and live commands ---- */

/* "1h", "5m", "30s", "500ms" into *ms. */
bool cli_parse_duration(const char *s, int64_t *ms);
/* RFC 3339, or "+DURATION" from now, into UTC ms. */
bool cli_parse_time(const char *s, int64_t *ms);
/* Up to max comma-separated durations into out; -1 when malformed. */
int cli_parse_durations(const char *s, int64_t *out, size_t max, size_t *n);

int cli_sale_create(int argc, char **argv);
int cli_sale_stock(int argc, char **argv);
int cli_sale_show(int argc, char **argv);
int cli_recall(int argc, char **argv);
int cli_live_open(int argc, char **argv);
int cli_live_say(int argc, char **argv);
int cli_live_close(int argc, char **argv);
int cli_live_status(int argc, char **argv);
int cli_live_replay(int argc, char **argv);
int cli_live_cancel(int argc, char **argv);
/* `qunfa post --cron`: creates a schedule (strings borrowed). */
int cli_post_schedule(const cli_global *g, const char *cron, const char *tz,
                      const char *to, const char *text);

#endif
