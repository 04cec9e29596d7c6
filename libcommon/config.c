#include "qf/config.h"

#include "qf/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ENV_NAME_MAX 128
#define REASON_MAX 512

/* Where a flag's value came from, for messages that point at the right place. */
typedef enum source { SRC_NONE, SRC_ARGV, SRC_ENV, SRC_DEFAULT } source;

/* State of one parse: the first usage error is kept and reported once. */
typedef struct parse {
  const qf_config_spec *spec;
  const char **argval; /* value given on the command line, per flag */
  char reason[REASON_MAX];
  bool failed;
  bool help;
} parse;

static void fail(parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(parse *ps, const char *fmt, ...) {
  if (ps->failed)
    return;
  ps->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ps->reason, sizeof ps->reason, fmt, ap);
  va_end(ap);
}

static void env_name(const char *flag, char *buf, size_t len) {
  int n = snprintf(buf, len, "QUNFA_");
  size_t i = n > 0 ? (size_t)n : 0;
  for (; *flag && i + 1 < len; flag++, i++)
    buf[i] = *flag == '-' ? '_' : (char)toupper((unsigned char)*flag);
  buf[i] = '\0';
}

static const qf_flag *find_flag(const qf_config_spec *spec, const char *name,
                                size_t nlen, size_t *idx) {
  for (size_t i = 0; i < spec->nflags; i++) {
    const char *fn = spec->flags[i].name;
    if (strlen(fn) == nlen && strncmp(fn, name, nlen) == 0) {
      *idx = i;
      return &spec->flags[i];
    }
  }
  return NULL;
}

/* One "--name", "--name=value" or "--name value" at argv[*i]; advances *i past a
 * separate value. */
static void parse_flag(parse *ps, int argc, char **argv, int *i) {
  const char *arg = argv[*i] + 2;
  const char *eq = strchr(arg, '=');
  size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
  if (nlen == 4 && strncmp(arg, "help", 4) == 0) {
    ps->help = true;
    return;
  }
  size_t idx;
  const qf_flag *f = find_flag(ps->spec, arg, nlen, &idx);
  if (!f) {
    fail(ps, "unknown flag: --%.*s", (int)nlen, arg);
    return;
  }
  if (eq) {
    ps->argval[idx] = eq + 1;
  } else if (f->type == QF_FLAG_BOOL) {
    ps->argval[idx] = "true";
  } else if (*i + 1 < argc) {
    ps->argval[idx] = argv[++*i];
  } else {
    fail(ps, "--%s: missing value", f->name);
  }
}

static void add_positional(parse *ps, const char *arg, char **pos, size_t maxpos,
                           size_t *npos) {
  if (!pos) {
    fail(ps, "unexpected argument: \"%s\"", arg);
    return;
  }
  if (*npos >= maxpos) {
    fail(ps, "too many arguments: \"%s\"", arg);
    return;
  }
  pos[(*npos)++] = (char *)arg;
}

static void scan_argv(parse *ps, int argc, char **argv, char **pos, size_t maxpos,
                      size_t *npos) {
  bool flags_done = false;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (flags_done || arg[0] != '-' || arg[1] == '\0') { /* "-" is a value */
      add_positional(ps, arg, pos, maxpos, npos);
    } else if (strcmp(arg, "--") == 0) {
      flags_done = true;
    } else if (strcmp(arg, "-h") == 0) {
      ps->help = true;
    } else if (arg[1] == '-') {
      parse_flag(ps, argc, argv, &i);
    } else {
      fail(ps, "unknown flag: %s", arg);
    }
  }
}

static bool parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0)
      return *out = true, true;
    if (strcasecmp(s, no[i]) == 0)
      return *out = false, true;
  }
  return false;
}

static bool parse_int(const char *s, int64_t *out) {
  if (!(isdigit((unsigned char)s[0]) ||
        ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1]))))
    return false;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  *out = v;
  return true;
}

/* Stores value (from src) into f->dst, or records why it cannot be used. */
static void apply(parse *ps, const qf_flag *f, const char *value, source src) {
  char where[ENV_NAME_MAX + 4];
  if (src == SRC_ENV)
    env_name(f->name, where, sizeof where);
  else
    snprintf(where, sizeof where, "--%s", f->name);
  switch (f->type) {
  case QF_FLAG_STR:
    *(const char **)f->dst = value;
    return;
  case QF_FLAG_BOOL:
    if (!parse_bool(value, (bool *)f->dst))
      fail(ps, "%s: not a boolean (true/false): \"%s\"", where, value);
    return;
  case QF_FLAG_INT: {
    int64_t v;
    if (!parse_int(value, &v)) {
      fail(ps, "%s: not a number: \"%s\"", where, value);
      return;
    }
    if ((f->min || f->max) && (v < f->min || v > f->max)) {
      fail(ps, "%s: out of range %lld..%lld: %lld", where, (long long)f->min,
           (long long)f->max, (long long)v);
      return;
    }
    *(int64_t *)f->dst = v;
    return;
  }
  }
}

/* Command line, then environment, then default. A flag with none of them keeps
 * whatever its dst already held, unless it is required. */
static void resolve(parse *ps) {
  const qf_config_spec *spec = ps->spec;
  for (size_t i = 0; i < spec->nflags && !ps->failed; i++) {
    const qf_flag *f = &spec->flags[i];
    char env[ENV_NAME_MAX];
    env_name(f->name, env, sizeof env);
    const char *value = ps->argval[i];
    source src = SRC_ARGV;
    if (!value && (value = getenv(env)) != NULL)
      src = SRC_ENV;
    if (!value && (value = f->def) != NULL)
      src = SRC_DEFAULT;
    if (!value) {
      if (f->required)
        fail(ps, "--%s is required (or set %s)", f->name, env);
      continue;
    }
    apply(ps, f, value, src);
  }
}

qf_config_result qf_config_parse(const qf_config_spec *spec, int argc, char **argv,
                                 char **pos, size_t maxpos, size_t *npos) {
  size_t dummy = 0;
  if (!npos)
    npos = &dummy;
  *npos = 0;
  parse ps = {.spec = spec};
  ps.argval = calloc(spec->nflags ? spec->nflags : 1, sizeof *ps.argval);
  if (!ps.argval) {
    fprintf(stderr, "%s: out of memory\n", spec->prog);
    return QF_CONFIG_USAGE;
  }
  scan_argv(&ps, argc, argv, pos, maxpos, npos);
  /* --help wins over any other mistake on the same command line. */
  if (!ps.help && !ps.failed)
    resolve(&ps);
  free(ps.argval);
  if (ps.help) {
    qf_config_print_help(spec);
    return QF_CONFIG_HELP;
  }
  if (ps.failed) {
    fprintf(stderr, "%s: %s. Try '%s --help'.\n", spec->prog, ps.reason, spec->prog);
    return QF_CONFIG_USAGE;
  }
  return QF_CONFIG_OK;
}

static const char *metavar(const qf_flag *f) {
  switch (f->type) {
  case QF_FLAG_INT:
    return " N";
  case QF_FLAG_STR:
    return " VALUE";
  case QF_FLAG_BOOL:
    break;
  }
  return "";
}

static void print_flag(const qf_flag *f) {
  char head[96], env[ENV_NAME_MAX];
  snprintf(head, sizeof head, "--%s%s", f->name, metavar(f));
  env_name(f->name, env, sizeof env);
  printf("  %-24s %s\n", head, f->help ? f->help : "");
  printf("  %-24s (", "");
  if (f->required)
    printf("required; ");
  else if (f->def)
    printf("default %s; ", f->def);
  if (f->type == QF_FLAG_INT && (f->min || f->max))
    printf("range %lld..%lld; ", (long long)f->min, (long long)f->max);
  printf("env %s)\n", env);
}

void qf_config_print_help(const qf_config_spec *spec) {
  printf("Usage: %s %s\n", spec->prog, spec->usage ? spec->usage : "[flags]");
  if (spec->summary)
    printf("\n%s\n", spec->summary);
  printf("\nFlags:\n");
  for (size_t i = 0; i < spec->nflags; i++)
    print_flag(&spec->flags[i]);
  printf("  %-24s %s\n", "-h, --help", "print this help and exit");
  printf("\nEach flag may also be set in the environment; the command line wins.\n");
  fflush(stdout);
}

int qf_config_bad_value(const char *prog, const char *flag, const char *value,
                        const char *want) {
  fprintf(stderr, "%s: --%s: \"%s\" is not %s. Try '%s --help'.\n", prog, flag, value,
          want, prog);
  return 2;
}

int qf_config_log_level(const char *prog, const char *value) {
  qf_log_level lv;
  if (qf_log_level_parse(value, &lv) != 0)
    return qf_config_bad_value(prog, "log-level", value, "debug, info, warn or error");
  qf_log_set_level(lv);
  return 0;
}
