/* Command-line flags. Every flag --name is also settable as the environment
 * variable QUNFA_NAME (upper case, '-' -> '_'); the command line wins over the
 * environment, which wins over the default. --help prints the flags and their
 * defaults. Arguments that are not flags are collected as positionals; "--" ends
 * the flags. */
#ifndef QF_CONFIG_H
#define QF_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum qf_flag_type {
  QF_FLAG_STR,  /* dst is const char **; points into argv/environ or def */
  QF_FLAG_INT,  /* dst is int64_t *; decimal, range-checked against min..max */
  QF_FLAG_BOOL, /* dst is bool *; "--name" alone sets true; env "1"/"true"/"0"/"false"
                 */
} qf_flag_type;

typedef struct qf_flag {
  const char *name; /* without dashes: "lease-ms" */
  qf_flag_type type;
  void *dst;
  const char *def;  /* default as text, NULL for none */
  const char *help; /* one line */
  bool required;
  int64_t min, max; /* QF_FLAG_INT only; both 0 = no range */
} qf_flag;

typedef struct qf_config_spec {
  const char *prog;    /* "qunfa-scheduler" */
  const char *usage;   /* "--listen URL --work URL ..." */
  const char *summary; /* one paragraph printed by --help */
  qf_flag *flags;
  size_t nflags;
} qf_config_spec;

typedef enum qf_config_result {
  QF_CONFIG_OK = 0,
  QF_CONFIG_HELP = 1,  /* --help was printed to stdout: exit 0 */
  QF_CONFIG_USAGE = 2, /* a one-line reason was printed to stderr: exit 2 */
} qf_config_result;

/* Parses argv[1..argc-1] (argv[0] is the program). Positionals are stored in
 * pos (borrowed pointers into argv, at most maxpos) and counted in *npos; pass
 * pos = NULL to reject any positional. Unknown flags, missing values, bad numbers
 * and missing required flags are usage errors. */
qf_config_result qf_config_parse(const qf_config_spec *spec, int argc, char **argv,
                                 char **pos, size_t maxpos, size_t *npos);

/* Prints the --help text of spec to stdout. */
void qf_config_print_help(const qf_config_spec *spec);

/* Says on stderr that a flag's value is not what it must be, in the words every
 * program uses ("PROG: --FLAG: \"VALUE\" is not WANT. Try 'PROG --help'.") and
 * returns 2, the exit status of a usage error. */
int qf_config_bad_value(const char *prog, const char *flag, const char *value,
                        const char *want);
/* Sets the log level from --log-level's value: 0, or 2 after saying why. */
int qf_config_log_level(const char *prog, const char *value);

#endif
