#include "script.h"

#include "platform.h"

#include "qf/err.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAM_MAX 512

static bool parse_num(const char *s, int64_t lo, int64_t hi, int64_t *out) {
  if (!isdigit((unsigned char)*s))
    return false;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

/* Parses a comma-separated list of numbers lo..hi of parameter name into vals
 * (at most SCRIPT_MAX_ANSWERS); what names them in errors. */
static int parse_list(const char *name, const char *what, const char *v, int64_t lo,
                      int64_t hi, int64_t *vals, size_t *n, char *why, size_t len) {
  char buf[PARAM_MAX];
  snprintf(buf, sizeof buf, "%s", v);
  char *save = NULL;
  *n = 0;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (*n == SCRIPT_MAX_ANSWERS) {
      snprintf(why, len, "%s: more than %d values", name, SCRIPT_MAX_ANSWERS);
      return QF_EINVAL;
    }
    if (!parse_num(t, lo, hi, &vals[*n])) {
      snprintf(why, len, "%s: \"%s\" is not %s %lld..%lld", name, t, what,
               (long long)lo, (long long)hi);
      return QF_EINVAL;
    }
    (*n)++;
  }
  return 0;
}

static int parse_answers(const char *v, script *out, char *why, size_t len) {
  int64_t vals[SCRIPT_MAX_ANSWERS];
  int rc = parse_list("answers", "an HTTP status", v, 100, 599, vals, &out->nanswers,
                      why, len);
  for (size_t i = 0; i < out->nanswers; i++)
    out->answers[i] = (uint16_t)vals[i];
  return rc;
}

static int parse_delays(const char *v, script *out, char *why, size_t len) {
  int64_t vals[SCRIPT_MAX_ANSWERS];
  int rc = parse_list("delays", "milliseconds", v, 0, SCRIPT_MAX_DELAY_MS, vals,
                      &out->ndelays, why, len);
  for (size_t i = 0; i < out->ndelays; i++)
    out->delays_ms[i] = (uint32_t)vals[i];
  return rc;
}

/* Applies one name=value pair; unknown names are ignored. */
static int apply(const char *name, const char *v, script *out, char *why, size_t len) {
  int64_t n;
  if (strcmp(name, "answers") == 0)
    return parse_answers(v, out, why, len);
  if (strcmp(name, "delays") == 0)
    return parse_delays(v, out, why, len);
  if (strcmp(name, "always") == 0) {
    if (!parse_num(v, 100, 599, &n)) {
      snprintf(why, len, "always: \"%s\" is not an HTTP status 100..599", v);
      return QF_EINVAL;
    }
    out->always = (uint16_t)n;
  } else if (strcmp(name, "retry_after") == 0) {
    if (!parse_num(v, 0, 86400, &n)) {
      snprintf(why, len, "retry_after: \"%s\" is not 0..86400 seconds", v);
      return QF_EINVAL;
    }
    out->retry_after = n;
  }
  return 0;
}

int script_parse(const char *query, script *out, char *why, size_t len) {
  memset(out, 0, sizeof *out);
  out->retry_after = -1;
  for (const char *p = query; p && *p;) {
    size_t n = strcspn(p, "&");
    const char *eq = memchr(p, '=', n);
    size_t nlen = eq ? (size_t)(eq - p) : n;
    char name[64], value[PARAM_MAX];
    bool ok = mc_pct_decode(p, nlen, name, sizeof name, true) &&
              mc_pct_decode(eq ? eq + 1 : p + n, eq ? n - nlen - 1 : 0, value,
                            sizeof value, true);
    if (ok) {
      int rc = apply(name, value, out, why, len);
      if (rc != 0)
        return rc;
    } /* an overlong parameter is nobody's script: ignore it */
    p += n;
    if (*p == '&')
      p++;
  }
  return 0;
}

uint16_t script_status(const script *s, uint64_t n) {
  if (s->always)
    return s->always;
  if (n < s->nanswers)
    return s->answers[n];
  return 200;
}

uint32_t script_delay_ms(const script *s, uint64_t n) {
  return n < s->ndelays ? s->delays_ms[n] : 0;
}
