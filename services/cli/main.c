/* qunfa: the command-line client of the scheduler. Finds the command words in
 * argv (global flags may come before them), then hands the rest of the command
 * line to the command, which parses its own flags and the global ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "qf/log.h"
#include "stats.h"

typedef int (*command_fn)(int argc, char **argv);

typedef struct command {
  const char *family; /* "groups" */
  const char *name;   /* "import"; NULL for a command of one word */
  command_fn run;
} command;

static const command commands[] = {
    {"groups", "import", cli_groups_import},
    {"groups", "list", cli_groups_list},
    {"post", NULL, cli_post},
    {"status", NULL, cli_status},
    {"deliveries", NULL, cli_deliveries},
    {"audience", NULL, cli_audience},
    {"stats", NULL, cli_stats},
    {"top", NULL, cli_top},
    {"cancel", NULL, cli_cancel},
    {"schedules", "list", cli_schedules_list},
    {"schedules", "pause", cli_schedules_pause},
    {"schedules", "resume", cli_schedules_resume},
    {"schedules", "delete", cli_schedules_delete},
    {"flash-sale", "create", cli_sale_create},
    {"flash-sale", "stock", cli_sale_stock},
    {"flash-sale", "show", cli_sale_show},
    {"recall", NULL, cli_recall},
    {"live", "open", cli_live_open},
    {"live", "say", cli_live_say},
    {"live", "close", cli_live_close},
    {"live", "status", cli_live_status},
    {"live", "replay", cli_live_replay},
    {"live", "cancel", cli_live_cancel},
};

static const char usage_text[] =
    "Usage: qunfa [--server URL] [--timeout-ms N] COMMAND [ARGS] [--json]\n"
    "\n"
    "The command-line client of qunfa-scheduler: import groups, schedule posts, "
    "follow\n"
    "their deliveries.\n"
    "\n"
    "Commands:\n"
    "  groups import FILE                  create or update groups from JSON Lines or "
    "CSV\n"
    "  groups list                         list every group\n"
    "  post --to AUDIENCE --text TEXT [--at TIME]\n"
    "                                      schedule a post (AUDIENCE: all, "
    "group:g1,g2,\n"
    "                                      tag:NAME, with & | ! and parentheses)\n"
    "  status POST [--watch]               count a post's deliveries by state\n"
    "  deliveries POST                     list a post's delivery to each group\n"
    "  cancel POST                         send nothing more of a post\n"
    "  post --cron EXPR [--tz ZONE] --to AUDIENCE --text TEXT\n"
    "                                      post at every occurrence of a cron "
    "expression\n"
    "  schedules list                      list the recurring posts\n"
    "  schedules pause|resume|delete ID    change a recurring post\n"
    "  audience EXPR                       count and sample the groups EXPR matches\n"
    "  flash-sale create|stock|show        flash sales: reminders, the announcement, "
    "sold out\n"
    "  recall POST                         cancel POST and delete its sent messages\n"
    "  live open|say|close|status|replay|cancel\n"
    "                                      live-share sessions relayed to groups\n"
    "  stats --stats-url URL[,URL...]      every process's counters in one table\n"
    "  top --stats-url URL[,URL...]        the same, live (q quits)\n"
    "\n"
    "Flags of every command:\n"
    "  --server URL      the scheduler's --listen address (env QUNFA_SERVER;\n"
    "                    default " QUNFA_DEFAULT_SERVER ")\n"
    "  --timeout-ms N    wait at most N ms for each answer (env QUNFA_TIMEOUT_MS; "
    "default 10000)\n"
    "  --json            print machine-readable JSON\n"
    "  -h, --help        print help; `qunfa COMMAND --help` for a command's own\n"
    "\n"
    "Exit status: 0 done, 1 request rejected or scheduler unreachable (one line\n"
    "\"qunfa: ...\" on stderr), 2 usage error.\n";

static const char groups_usage[] =
    "Usage: qunfa groups SUBCOMMAND [ARGS] [--json]\n"
    "\n"
    "Subcommands:\n"
    "  import FILE    create or update the groups in FILE (JSON Lines or CSV)\n"
    "  list           list every group\n"
    "\n"
    "`qunfa groups SUBCOMMAND --help` shows a subcommand's flags.\n";

static int is_help(const char *a) {
  return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* The index of the first argument from `from` that is not a flag, skipping the
 * values of the global flags that take one; 0 when there is none. */
static int next_word(int argc, char **argv, int from, int *help) {
  for (int i = from; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0)
      return i + 1 < argc ? i + 1 : 0;
    if (a[0] != '-' || a[1] == '\0')
      return i;
    if (is_help(a))
      *help = 1;
    if ((strcmp(a, "--server") == 0 || strcmp(a, "--timeout-ms") == 0) && i + 1 < argc)
      i++;
  }
  return 0;
}

static const command *find(const char *family, const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    const command *c = &commands[i];
    if (strcmp(c->family, family) == 0 &&
        (!c->name || (name && !strcmp(c->name, name))))
      return c;
  }
  return NULL;
}

static int family_known(const char *family) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].family, family) == 0)
      return 1;
  }
  return 0;
}

/* Runs cmd with argv minus the command words at w1 and w2 (w2 = -1: none). */
static int run(const command *cmd, int argc, char **argv, int w1, int w2) {
  char **args = calloc((size_t)argc + 1, sizeof *args);
  int n = 0, rc;

  if (!args) {
    fprintf(stderr, "qunfa: out of memory\n");
    return CLI_EXIT_FAIL;
  }
  for (int i = 0; i < argc; i++) {
    if (i != w1 && i != w2)
      args[n++] = argv[i];
  }
  rc = cmd->run(n, args);
  free(args);
  return rc;
}

static int usage_error(const char *fmt, const char *arg) {
  fputs("qunfa: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs(". Try 'qunfa --help'.\n", stderr);
  return CLI_EXIT_USAGE;
}

static const char schedules_usage[] =
    "Usage: qunfa schedules SUBCOMMAND [ARGS] [--json]\n"
    "\n"
    "Subcommands:\n"
    "  list           list the recurring posts (made with `qunfa post --cron`)\n"
    "  pause ID       stop firing (the post of an occurrence not yet due is "
    "cancelled)\n"
    "  resume ID      fire again from the first occurrence after now\n"
    "  delete ID      delete the recurring post\n"
    "\n"
    "`qunfa schedules SUBCOMMAND --help` shows a subcommand's flags.\n";

static const char sale_usage[] =
    "Usage: qunfa flash-sale SUBCOMMAND [ARGS] [--json]\n"
    "\n"
    "Subcommands:\n"
    "  create --item NAME --price P --orig-price P --stock N --start TIME --end TIME\n"
    "         --to AUDIENCE [--remind 1h,5m] [--link URL]\n"
    "                 create a sale; prints its id\n"
    "  stock ID N     set the stock; 0 sells out\n"
    "  show ID        the sale and its posts\n"
    "\n"
    "`qunfa flash-sale SUBCOMMAND --help` shows a subcommand's flags.\n";

static const char live_usage[] =
    "Usage: qunfa live SUBCOMMAND [ARGS] [--json]\n"
    "\n"
    "Subcommands:\n"
    "  open --title T --guest G --to AUDIENCE [--at TIME] [--remind 10m,1m]\n"
    "       [--open-text T]   open a session; prints its id\n"
    "  say ID TEXT|-          append a segment (-: one per line of stdin)\n"
    "  close ID [--text T]    the closing message, after every segment\n"
    "  status ID              segments, deliveries by state, the slowest group\n"
    "  replay ID FILE         JSON Lines {\"text\":..,\"offset\":SECONDS} at their "
    "pace\n"
    "  cancel ID              send nothing more of the session; say is refused\n"
    "\n"
    "`qunfa live SUBCOMMAND --help` shows a subcommand's flags.\n";

static int family(int argc, char **argv, int w1, const char *name, const char *usage,
                  const char *subs) {
  int help = 0, w2 = next_word(argc, argv, w1 + 1, &help);
  const command *cmd;

  if (!w2 && help) {
    fputs(usage, stdout);
    return CLI_EXIT_OK;
  }
  if (!w2 || !(cmd = find(name, argv[w2]))) {
    if (w2)
      fprintf(stderr, "qunfa %s: unknown subcommand \"%s\" (%s). ", name, argv[w2],
              subs);
    else
      fprintf(stderr, "qunfa %s: missing subcommand (%s). ", name, subs);
    fprintf(stderr, "Try 'qunfa %s --help'.\n", name);
    return CLI_EXIT_USAGE;
  }
  return run(cmd, argc, argv, w1, w2);
}

static int groups(int argc, char **argv, int w1) {
  int help = 0, w2 = next_word(argc, argv, w1 + 1, &help);
  const command *cmd;

  if (!w2 && help) {
    fputs(groups_usage, stdout);
    return CLI_EXIT_OK;
  }
  if (!w2) {
    fputs("qunfa groups: missing subcommand (import or list). Try 'qunfa groups "
          "--help'.\n",
          stderr);
    return CLI_EXIT_USAGE;
  }
  if (!(cmd = find("groups", argv[w2]))) {
    fprintf(stderr,
            "qunfa groups: unknown subcommand \"%s\" (import or list). Try 'qunfa "
            "groups --help'.\n",
            argv[w2]);
    return CLI_EXIT_USAGE;
  }
  return run(cmd, argc, argv, w1, w2);
}

int main(int argc, char **argv) {
  int help = 0, w1 = next_word(argc, argv, 1, &help);

  /* The tool reports every failure itself, as one line; the key=value log lines
   * of the layers below are for daemons. Above the highest level nothing logs. */
  qf_log_init("qunfa");
  qf_log_set_level((qf_log_level)(QF_LOG_ERROR + 1));

  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("qunfa %s\n", QF_VERSION);
    return CLI_EXIT_OK;
  }
  if ((!w1 && help) || (w1 && strcmp(argv[w1], "help") == 0)) {
    fputs(usage_text, stdout);
    return CLI_EXIT_OK;
  }
  if (!w1) {
    fputs(usage_text, stderr);
    return CLI_EXIT_USAGE;
  }
  if (strcmp(argv[w1], "groups") == 0)
    return groups(argc, argv, w1);
  if (strcmp(argv[w1], "schedules") == 0)
    return family(argc, argv, w1, "schedules", schedules_usage,
                  "list, pause, resume or delete");
  if (strcmp(argv[w1], "live") == 0)
    return family(argc, argv, w1, "live", live_usage,
                  "open, say, close, status, replay or cancel");
  if (strcmp(argv[w1], "flash-sale") == 0)
    return family(argc, argv, w1, "flash-sale", sale_usage, "create, stock or show");
  if (!family_known(argv[w1]))
    return usage_error("unknown command \"%s\"", argv[w1]);
  return run(find(argv[w1], NULL), argc, argv, w1, -1);
}
