#include "qf/config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Captures what is written to fd (1 or 2) into a temporary file. */
typedef struct capture {
  FILE *f;
  int fd, saved;
} capture;

static void capture_start(capture *c, int fd) {
  fflush(NULL);
  c->f = tmpfile();
  cr_assert_not_null(c->f);
  c->fd = fd;
  c->saved = dup(fd);
  dup2(fileno(c->f), fd);
}

static void capture_end(capture *c, char *buf, size_t len) {
  fflush(NULL);
  dup2(c->saved, c->fd);
  close(c->saved);
  rewind(c->f);
  size_t n = fread(buf, 1, len - 1, c->f);
  buf[n] = '\0';
  fclose(c->f);
}

static size_t count_lines(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* The flags of a scheduler-like program. */
typedef struct opts {
  const char *listen, *data;
  int64_t lease_ms;
  bool verbose;
} opts;

static opts o;
static qf_flag flags[4];
static qf_config_spec spec;

static void setup(void) {
  unsetenv("QUNFA_LISTEN");
  unsetenv("QUNFA_DATA");
  unsetenv("QUNFA_LEASE_MS");
  unsetenv("QUNFA_VERBOSE");
  memset(&o, 0, sizeof o);
  qf_flag f[4] = {
      {"listen", QF_FLAG_STR, &o.listen, NULL, "client API address", true, 0, 0},
      {"data", QF_FLAG_STR, &o.data, "./data", "data directory", false, 0, 0},
      {"lease-ms", QF_FLAG_INT, &o.lease_ms, "30000", "lease deadline", false, 1,
       3600000},
      {"verbose", QF_FLAG_BOOL, &o.verbose, "false", "log debug events", false, 0, 0},
  };
  memcpy(flags, f, sizeof f);
  spec = (qf_config_spec){"qunfa-test", "--listen URL [flags] [FILE...]",
                          "Schedules posts for the tests.", flags, 4};
}

TestSuite(config, .init = setup);

static qf_config_result run(char **pos, size_t maxpos, size_t *npos, char *err,
                            size_t errlen, int argc, ...) {
  char *argv[32];
  va_list ap;
  va_start(ap, argc);
  argv[0] = "qunfa-test";
  for (int i = 1; i < argc; i++)
    argv[i] = va_arg(ap, char *);
  va_end(ap);
  argv[argc] = NULL;
  capture c;
  capture_start(&c, 2);
  qf_config_result r = qf_config_parse(&spec, argc, argv, pos, maxpos, npos);
  char buf[1024];
  capture_end(&c, buf, sizeof buf);
  if (err) {
    /* Truncating a long message is fine: tests match its beginning. */
    size_t n = strnlen(buf, errlen - 1);
    memcpy(err, buf, n);
    err[n] = '\0';
  } else
    cr_assert_str_eq(buf, "", "unexpected stderr: %s", buf);
  return r;
}

Test(config, uses_defaults_when_nothing_is_given) {
  cr_assert_eq(run(NULL, 0, NULL, NULL, 0, 3, "--listen", "ipc:///tmp/a"),
               QF_CONFIG_OK);
  cr_assert_str_eq(o.listen, "ipc:///tmp/a");
  cr_assert_str_eq(o.data, "./data");
  cr_assert_eq(o.lease_ms, 30000);
  cr_assert_eq(o.verbose, false);
}

Test(config, environment_overrides_default) {
  setenv("QUNFA_LISTEN", "ipc:///tmp/env", 1);
  setenv("QUNFA_LEASE_MS", "500", 1);
  setenv("QUNFA_DATA", "/var/lib/qunfa", 1);
  setenv("QUNFA_VERBOSE", "1", 1);
  cr_assert_eq(run(NULL, 0, NULL, NULL, 0, 1), QF_CONFIG_OK);
  cr_assert_str_eq(o.listen, "ipc:///tmp/env");
  cr_assert_eq(o.lease_ms, 500);
  cr_assert_str_eq(o.data, "/var/lib/qunfa");
  cr_assert_eq(o.verbose, true);
}

Test(config, command_line_overrides_environment) {
  setenv("QUNFA_LEASE_MS", "500", 1);
  setenv("QUNFA_DATA", "/from/env", 1);
  setenv("QUNFA_VERBOSE", "true", 1);
  cr_assert_eq(run(NULL, 0, NULL, NULL, 0, 6, "--listen=ipc:///x", "--lease-ms", "700",
                   "--data=/from/argv", "--verbose=false"),
               QF_CONFIG_OK);
  cr_assert_str_eq(o.listen, "ipc:///x");
  cr_assert_eq(o.lease_ms, 700);
  cr_assert_str_eq(o.data, "/from/argv");
  cr_assert_eq(o.verbose, false);
}

Test(config, bool_flag_alone_sets_true) {
  cr_assert_eq(run(NULL, 0, NULL, NULL, 0, 3, "--verbose", "--listen=x"), QF_CONFIG_OK);
  cr_assert_eq(o.verbose, true);
}

Test(config, values_may_start_with_a_dash) {
  cr_assert_eq(run(NULL, 0, NULL, NULL, 0, 3, "--listen", "-"), QF_CONFIG_OK);
  cr_assert_str_eq(o.listen, "-");
}

Test(config, rejects_a_number_that_is_not_one_in_one_line) {
  char err[512];
  cr_assert_eq(
      run(NULL, 0, NULL, err, sizeof err, 4, "--listen=x", "--lease-ms", "abc"),
      QF_CONFIG_USAGE);
  cr_assert_eq(strncmp(err, "qunfa-test: --lease-ms: not a number: \"abc\"", 43), 0,
               "%s", err);
  cr_assert_eq(count_lines(err), 1, "%s", err);
  cr_assert_not_null(strstr(err, "--help"));
}

Test(config, rejects_numbers_out_of_range_and_overflow) {
  char err[512];
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 3, "--listen=x", "--lease-ms=0"),
               QF_CONFIG_USAGE);
  cr_assert_not_null(strstr(err, "qunfa-test: --lease-ms: out of range 1..3600000: 0"),
                     "%s", err);
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 3, "--listen=x",
                   "--lease-ms=99999999999999999999"),
               QF_CONFIG_USAGE);
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 3, "--listen=x", "--lease-ms=12x"),
               QF_CONFIG_USAGE);
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 3, "--listen=x", "--lease-ms="),
               QF_CONFIG_USAGE);
  cr_assert_eq(run(NULL, 0, NULL, NULL, 0, 3, "--listen=x", "--lease-ms=3600000"),
               QF_CONFIG_OK);
  cr_assert_eq(o.lease_ms, 3600000);
}

Test(config, names_the_environment_variable_when_its_value_is_bad) {
  setenv("QUNFA_LEASE_MS", "soon", 1);
  char err[512];
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 2, "--listen=x"), QF_CONFIG_USAGE);
  cr_assert_not_null(strstr(err, "qunfa-test: QUNFA_LEASE_MS: not a number: \"soon\""),
                     "%s", err);
}

Test(config, rejects_a_bad_boolean) {
  char err[512];
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 3, "--listen=x", "--verbose=maybe"),
               QF_CONFIG_USAGE);
  cr_assert_not_null(strstr(err, "--verbose"), "%s", err);
}

Test(config, missing_required_flag_is_a_usage_error) {
  char err[512];
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 1), QF_CONFIG_USAGE);
  cr_assert_not_null(strstr(err, "qunfa-test: --listen is required"), "%s", err);
  cr_assert_not_null(strstr(err, "QUNFA_LISTEN"), "%s", err);
  cr_assert_eq(count_lines(err), 1, "%s", err);
}

Test(config, unknown_flag_is_a_usage_error) {
  char err[512];
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 3, "--listen=x", "--nope"),
               QF_CONFIG_USAGE);
  cr_assert_not_null(strstr(err, "qunfa-test: unknown flag: --nope"), "%s", err);
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 3, "--listen=x", "-q"),
               QF_CONFIG_USAGE);
  cr_assert_not_null(strstr(err, "unknown flag: -q"), "%s", err);
}

Test(config, flag_without_its_value_is_a_usage_error) {
  char err[512];
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 2, "--listen"), QF_CONFIG_USAGE);
  cr_assert_not_null(strstr(err, "qunfa-test: --listen: missing value"), "%s", err);
}

Test(config, collects_positionals_and_double_dash_ends_flags) {
  char *pos[4];
  size_t npos = 99;
  cr_assert_eq(run(pos, 4, &npos, NULL, 0, 7, "import", "--listen", "x", "--",
                   "--verbose", "file.csv"),
               QF_CONFIG_OK);
  cr_assert_eq(npos, 3);
  cr_assert_str_eq(pos[0], "import");
  cr_assert_str_eq(pos[1], "--verbose");
  cr_assert_str_eq(pos[2], "file.csv");
  cr_assert_eq(o.verbose, false);
}

Test(config, rejects_positionals_when_none_are_expected_or_too_many) {
  char err[512];
  cr_assert_eq(run(NULL, 0, NULL, err, sizeof err, 3, "--listen=x", "stray"),
               QF_CONFIG_USAGE);
  cr_assert_not_null(strstr(err, "unexpected argument: \"stray\""), "%s", err);
  char *pos[1];
  size_t npos;
  cr_assert_eq(run(pos, 1, &npos, err, sizeof err, 4, "--listen=x", "a", "b"),
               QF_CONFIG_USAGE);
  cr_assert_not_null(strstr(err, "too many arguments: \"b\""), "%s", err);
}

static void check_help(const char *arg) {
  char *argv[] = {"qunfa-test", "--listen=x", (char *)arg, "--nope", NULL};
  capture c;
  capture_start(&c, 1);
  qf_config_result r = qf_config_parse(&spec, 4, argv, NULL, 0, NULL);
  char out[4096];
  capture_end(&c, out, sizeof out);
  cr_assert_eq(r, QF_CONFIG_HELP);
  cr_assert_not_null(strstr(out, "Usage: qunfa-test --listen URL [flags] [FILE...]"),
                     "%s", out);
  cr_assert_not_null(strstr(out, "Schedules posts for the tests."), "%s", out);
  cr_assert_not_null(strstr(out, "--lease-ms N"), "%s", out);
  cr_assert_not_null(strstr(out, "default 30000"), "%s", out);
  cr_assert_not_null(strstr(out, "QUNFA_LEASE_MS"), "%s", out);
  cr_assert_not_null(strstr(out, "QUNFA_LISTEN"), "%s", out);
  cr_assert_not_null(strstr(out, "required"), "%s", out);
  cr_assert_not_null(strstr(out, "default ./data"), "%s", out);
  cr_assert_not_null(strstr(out, "--verbose"), "%s", out);
}

Test(config, help_prints_usage_summary_and_every_flag_to_stdout) {
  check_help("--help");
}

Test(config, short_h_is_help_too) {
  check_help("-h");
}
