/* Cron: a parser into bit sets and a next-occurrence search on the local
 * calendar. The search works on civil minutes only; the zone enters twice: to learn
 * which local times the clock has already reached by after_ms, and to map the
 * chosen local minute back to UTC (qf_tz_from_local), which is where the DST rule
 * of qf/cron.h lives. Since that mapping never decreases, the first matching minute
 * not yet reached is the answer. */
#include "qf/cron.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qf/err.h"

#define MIN_MS INT64_C(60000)
#define DAY_MIN 1440
#define SEARCH_DAYS (12 * 366)
#define YEAR_1_MS INT64_C(-62135596800000)     /* 0001-01-01T00:00:00Z */
#define YEAR_10000_MS INT64_C(253402300800000) /* 10000-01-01T00:00:00Z */

struct qf_cron {
  uint64_t minutes; /* bit 0..59 */
  uint32_t hours;   /* bit 0..23 */
  uint32_t mdays;   /* bit 1..31 */
  uint32_t months;  /* bit 1..12 */
  uint32_t wdays;   /* bit 0..6, Sunday 0 */
  bool mdays_all, wdays_all;
};

enum { F_MINUTE, F_HOUR, F_MDAY, F_MONTH, F_WDAY, N_FIELDS };

typedef struct field_spec {
  const char *name;
  int lo, hi;               /* hi is 7 for weekdays: 7 folds to 0 */
  const char *const *names; /* 3-letter names for lo.., or NULL */
} field_spec;

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const wday_names[] = {"SUN", "MON", "TUE", "WED",
                                         "THU", "FRI", "SAT"};

static const field_spec specs[N_FIELDS] = {
    {"minute", 0, 59, NULL},           {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},     {"month", 1, 12, month_names},
    {"day-of-week", 0, 7, wday_names},
};

/* A parse in progress: the whole expression (for positions) and the error sink. */
typedef struct parser {
  const char *expr;
  int field;
  char *why;
  size_t len;
} parser;

static int fail(const parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(const parser *ps, const char *fmt, ...) {
  char msg[160];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (ps->why && ps->len > 0) {
    if (ps->field < 0)
      snprintf(ps->why, ps->len, "cron: %s", msg);
    else
      snprintf(ps->why, ps->len, "cron: field %d (%s): %s", ps->field + 1,
               specs[ps->field].name, msg);
  }
  return QF_EINVAL;
}

static int pos(const parser *ps, const char *p) {
  return (int)(p - ps->expr) + 1;
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

/* A number or (in month and weekday fields) a name, checked against the field's
 * bounds; advances *pp. */
static int parse_value(const parser *ps, const char **pp, int *out) {
  const field_spec *f = &specs[ps->field];
  const char *p = *pp, *start = p;
  long v = 0;

  if (is_alpha(*p)) {
    while (is_alpha(*p))
      p++;
    int n_names = f->names ? (f->hi == 7 ? 7 : 12) : 0;
    for (int i = 0; i < n_names; i++) {
      if (p - start == 3 && strncasecmp(start, f->names[i], 3) == 0) {
        *out = f->lo + i;
        *pp = p;
        return 0;
      }
    }
    if (!f->names)
      return fail(ps, "\"%.*s\" at character %d is not a number", (int)(p - start),
                  start, pos(ps, start));
    return fail(ps, "unknown name \"%.*s\" at character %d", (int)(p - start), start,
                pos(ps, start));
  }
  if (!is_digit(*p))
    return fail(ps, "expected a number at character %d", pos(ps, p));
  while (is_digit(*p)) {
    if (v < 100000)
      v = v * 10 + (*p - '0');
    p++;
  }
  if (v < f->lo || v > f->hi)
    return fail(ps, "%.*s is out of range %d-%d", (int)(p - start), start, f->lo,
                f->hi);
  *out = (int)v;
  *pp = p;
  return 0;
}

static int parse_step(const parser *ps, const char **pp, int *step) {
  const field_spec *f = &specs[ps->field];
  int span = f->hi - f->lo + 1 - (f->hi == 7); /* weekdays: 7 values */
  const char *p = *pp, *start = p;
  long v = 0;

  if (!is_digit(*p))
    return fail(ps, "expected a step after \"/\" at character %d", pos(ps, p));
  while (is_digit(*p)) {
    if (v < 100000)
      v = v * 10 + (*p - '0');
    p++;
  }
  if (v < 1 || v > span)
    return fail(ps, "step %.*s is out of range 1-%d", (int)(p - start), start, span);
  *step = (int)v;
  *pp = p;
  return 0;
}

/* One list item: "*", "a", "a-b", each optionally "/n". Adds its values to *bits. */
static int parse_item(const parser *ps, const char **pp, uint64_t *bits) {
  const field_spec *f = &specs[ps->field];
  const char *p = *pp, *start = p;
  int top = f->hi == 7 ? 6 : f->hi; /* "*" and "a/n" end at Saturday, not 7 */
  int lo = f->lo, hi = top, step = 1, rc;

  if (*p == '*') {
    p++;
  } else {
    if ((rc = parse_value(ps, &p, &lo)) != 0)
      return rc;
    hi = lo;
    if (*p == '-') {
      p++;
      if ((rc = parse_value(ps, &p, &hi)) != 0)
        return rc;
      if (hi < lo)
        return fail(ps, "range %.*s runs backwards", (int)(p - start), start);
    } else if (*p == '/') {
      /* "a/n": from a to the end; "7/n" is Sunday alone (7 lies past the end,
       * Saturday, so running from 7 to 6 would select no day at all and the
       * schedule would never fire). */
      hi = lo > top ? lo : top;
    }
  }
  if (*p == '/') {
    p++;
    if ((rc = parse_step(ps, &p, &step)) != 0)
      return rc;
  }
  for (int v = lo; v <= hi; v += step)
    *bits |= UINT64_C(1) << (f->hi == 7 && v == 7 ? 0 : v);
  *pp = p;
  return 0;
}

/* A whole field, from p up to the next blank or the end. */
static int parse_field(const parser *ps, const char *p, uint64_t *bits) {
  int rc;

  *bits = 0;
  for (;;) {
    if (*p == ',' || is_blank(*p) || *p == '\0')
      return fail(ps, "empty list item at character %d", pos(ps, p));
    if ((rc = parse_item(ps, &p, bits)) != 0)
      return rc;
    if (*p == '\0' || is_blank(*p))
      return 0;
    if (*p != ',')
      return fail(ps, "unexpected \"%c\" at character %d", *p, pos(ps, p));
    p++;
  }
}

static const struct {
  const char *name, *expr;
} macros[] = {{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
              {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
              {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
              {"@hourly", "0 * * * *"}};

/* Splits expr into its fields (start pointers); returns how many there were. */
static int split(const char *expr, const char *starts[N_FIELDS]) {
  int n = 0;

  for (const char *p = expr; *p;) {
    while (is_blank(*p))
      p++;
    if (!*p)
      break;
    if (n < N_FIELDS)
      starts[n] = p;
    n++;
    while (*p && !is_blank(*p))
      p++;
  }
  return n;
}

static int month_days_max(int month) {
  static const int days[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return days[month];
}

/* With weekdays unrestricted, some selected day must exist in a selected month. */
static bool can_fire(const qf_cron *c) {
  if (!c->wdays_all)
    return true;
  for (int m = 1; m <= 12; m++) {
    uint32_t fits = (uint32_t)((UINT64_C(1) << (month_days_max(m) + 1)) - 2);
    if ((c->months >> m & 1) && (c->mdays & fits))
      return true;
  }
  return false;
}

static int parse_fields(parser *ps, qf_cron *c) {
  const char *starts[N_FIELDS];
  uint64_t bits[N_FIELDS];
  int n = split(ps->expr, starts), rc;

  if (n != N_FIELDS)
    return fail(ps,
                "expected 5 fields (minute hour day-of-month month day-of-week), "
                "found %d",
                n);
  for (ps->field = 0; ps->field < N_FIELDS; ps->field++) {
    if ((rc = parse_field(ps, starts[ps->field], &bits[ps->field])) != 0)
      return rc;
  }
  c->minutes = bits[F_MINUTE];
  c->hours = (uint32_t)bits[F_HOUR];
  c->mdays = (uint32_t)bits[F_MDAY];
  c->months = (uint32_t)bits[F_MONTH];
  c->wdays = (uint32_t)bits[F_WDAY];
  c->mdays_all = c->mdays == 0xFFFFFFFEu;
  c->wdays_all = c->wdays == 0x7Fu;
  ps->field = F_MDAY;
  if (!can_fire(c))
    return fail(ps, "none of these days occurs in the months of field 4 (month)");
  return 0;
}

/* "@daily" and friends, alone on the line (blanks around allowed). */
static int parse_macro(parser *ps, const char *expr, qf_cron **out) {
  size_t n = strcspn(expr, " \t");

  for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
    if (n != strlen(macros[i].name) || strncasecmp(expr, macros[i].name, n) != 0)
      continue;
    if (expr[n + strspn(expr + n, " \t")] != '\0')
      return fail(ps, "%s stands alone: unexpected text at character %d",
                  macros[i].name, pos(ps, expr + n + strspn(expr + n, " \t")));
    return qf_cron_parse(macros[i].expr, out, ps->why, ps->len);
  }
  return fail(ps,
              "unknown macro \"%.*s\" (known: @yearly @annually @monthly @weekly "
              "@daily @midnight @hourly)",
              (int)(n > 32 ? 32 : n), expr);
}

int qf_cron_parse(const char *expr, qf_cron **out, char *why, size_t len) {
  parser ps = {expr, -1, why, len};
  qf_cron *c;
  int rc;

  if (why && len > 0)
    why[0] = '\0';
  if (!expr || split(expr, (const char *[N_FIELDS]){0}) == 0)
    return fail(&ps, "empty expression; expected 5 fields (minute hour day-of-month "
                     "month day-of-week)");
  while (is_blank(*expr))
    expr++;
  if (*expr == '@')
    return parse_macro(&ps, expr, out);
  if (!(c = calloc(1, sizeof *c)))
    return QF_ENOMEM;
  if ((rc = parse_fields(&ps, c)) != 0) {
    free(c);
    return rc;
  }
  *out = c;
  return 0;
}

void qf_cron_free(qf_cron *cron) {
  free(cron);
}

/* ---- search ---- */

static bool day_matches(const qf_cron *c, int64_t days) {
  int64_t y;
  int m, d;
  bool md, wd;

  qf_tz_civil_from_days(days, &y, &m, &d);
  if (!(c->months >> m & 1))
    return false;
  md = c->mdays >> d & 1;
  wd = c->wdays >> ((days % 7 + 11) % 7) & 1;
  return (c->mdays_all || c->wdays_all) ? md && wd : md || wd;
}

/* The first selected minute of the day at or after minute-of-day from, or -1. */
static int first_minute(const qf_cron *c, int from) {
  for (int h = from / 60; h < 24; h++) {
    if (!(c->hours >> h & 1))
      continue;
    uint64_t mins = c->minutes;
    if (h == from / 60)
      mins &= ~UINT64_C(0) << (from % 60);
    if (mins)
      return h * 60 + __builtin_ctzll(mins);
  }
  return -1;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The first selected local minute at or after local_ms (a whole minute). */
static int next_local(const qf_cron *c, int64_t local_ms, int64_t *out) {
  int64_t minute = floor_div(local_ms, MIN_MS);
  int64_t day = floor_div(minute, DAY_MIN);
  int from = (int)(minute - day * DAY_MIN);

  for (int i = 0; i < SEARCH_DAYS; i++, day++, from = 0) {
    int mod;
    if (!day_matches(c, day) || (mod = first_minute(c, from)) < 0)
      continue;
    *out = (day * DAY_MIN + mod) * MIN_MS;
    return 0;
  }
  return QF_ENOTFOUND;
}

int qf_cron_next_in(const qf_cron *cron, const qf_tz *tz, int64_t after_ms,
                    int64_t *next_ms) {
  /* Local minutes already reached by after_ms are done; the answer is the first
   * later one, mapped to its first instant (or the end of its gap). */
  int64_t reached, local;
  int rc;

  if (after_ms < YEAR_1_MS || after_ms >= YEAR_10000_MS)
    return QF_EINVAL;
  reached = qf_tz_local_reached(tz, after_ms);
  rc = next_local(cron, (floor_div(reached, MIN_MS) + 1) * MIN_MS, &local);
  if (rc != 0)
    return rc;
  qf_tz_from_local(tz, local, next_ms);
  return 0;
}

int qf_cron_next(const qf_cron *cron, const char *tz, int64_t after_ms,
                 int64_t *next_ms) {
  const qf_tz *zone = qf_tz_utc();
  int rc;

  if (tz && *tz && (rc = qf_tz_load(tz, &zone, NULL, 0)) != 0)
    return rc;
  return qf_cron_next_in(cron, zone, after_ms, next_ms);
}
