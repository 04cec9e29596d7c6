/* TZif reader (RFC 8536, versions 1 to 4), POSIX TZ footer rules, the per-process
 * zone cache and the local/UTC conversions built on "spans": stretches of UTC time
 * with one offset, walked in order. */
#include "qf/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qf/err.h"

#define TZ_DIR_DEFAULT "/usr/share/zoneinfo"
#define TZ_NAME_MAX 255
#define TZIF_MAX_BYTES (1 << 20)
#define TZIF_HEADER 44
/* RFC 8536 bounds UT offsets to -89999..93599 s; 30 h covers every offset, so a
 * local time is reached within 30 h of the same reading in UTC. */
#define HOUR_MS INT64_C(3600000)
#define REACH_MS (30 * HOUR_MS)
#define DAY_S INT64_C(86400)

/* A POSIX TZ rule date: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d. */
typedef struct rule_date {
  char kind; /* 'J', 'n' or 'M' */
  int n, m, w, d;
  int32_t secs; /* local time of day of the change, -167h..167h */
} rule_date;

typedef struct rule {
  int32_t std_off, dst_off; /* seconds east of UTC */
  bool has_dst;
  rule_date start, end;
} rule;

struct qf_tz {
  char *name;
  size_t n_trans;
  int64_t *trans;  /* ascending UTC seconds */
  int32_t *offset; /* offset after each transition */
  int32_t first_off;
  bool has_rule; /* footer governs instants at and after the last transition */
  rule rule;
  struct qf_tz *next; /* cache list */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct qf_tz *cache;
static struct qf_tz utc_zone = {.name = "UTC"};

static int fail(char *why, size_t len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t len, int code, const char *fmt, ...) {
  va_list ap;

  if (why && len > 0) {
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
  }
  return code;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t qf_tz_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void qf_tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d) {
  int64_t z = days + 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int mm = (int)(mp < 10 ? mp + 3 : mp - 9);

  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = mm;
  *y = yoe + era * 400 + (mm <= 2);
}

static bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int weekday(int64_t days) {
  return (int)((days % 7 + 11) % 7);
}

/* ---- POSIX TZ strings (the TZif footer) ---- */

static const char *parse_name(const char *p) {
  const char *start;

  if (*p == '<') {
    start = ++p;
    while (*p && *p != '>')
      p++;
    return *p == '>' && p > start ? p + 1 : NULL;
  }
  start = p;
  while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
    p++;
  return p - start >= 3 ? p : NULL;
}

static const char *parse_num(const char *p, int lo, int hi, int *out) {
  int v = 0, digits = 0;

  for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
    v = v * 10 + (*p - '0');
  if (digits == 0 || v < lo || v > hi)
    return NULL;
  *out = v;
  return p;
}

/* [+-]hh[:mm[:ss]] with hh up to max_h; seconds in *out. */
static const char *parse_hms(const char *p, int max_h, int32_t *out) {
  int sign = 1, h, mi = 0, s = 0;

  if (*p == '+' || *p == '-')
    sign = *p++ == '-' ? -1 : 1;
  if (!(p = parse_num(p, 0, max_h, &h)))
    return NULL;
  if (*p == ':' && !(p = parse_num(p + 1, 0, 59, &mi)))
    return NULL;
  if (p && *p == ':' && !(p = parse_num(p + 1, 0, 59, &s)))
    return NULL;
  *out = sign * (h * 3600 + mi * 60 + s);
  return p;
}

static const char *parse_rule_date(const char *p, rule_date *rd) {
  rd->secs = 7200;
  if (*p == 'M') {
    rd->kind = 'M';
    if (!(p = parse_num(p + 1, 1, 12, &rd->m)) || *p != '.' ||
        !(p = parse_num(p + 1, 1, 5, &rd->w)) || *p != '.' ||
        !(p = parse_num(p + 1, 0, 6, &rd->d)))
      return NULL;
  } else if (*p == 'J') {
    rd->kind = 'J';
    if (!(p = parse_num(p + 1, 1, 365, &rd->n)))
      return NULL;
  } else {
    rd->kind = 'n';
    if (!(p = parse_num(p, 0, 365, &rd->n)))
      return NULL;
  }
  if (*p == '/')
    p = parse_hms(p + 1, 167, &rd->secs);
  return p;
}

/* Parses a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
static bool parse_posix(const char *p, rule *r) {
  int32_t off;

  memset(r, 0, sizeof *r);
  if (!(p = parse_name(p)) || !(p = parse_hms(p, 24, &off)))
    return false;
  r->std_off = -off; /* POSIX counts west positive */
  if (*p == '\0')
    return true;
  if (!(p = parse_name(p)))
    return false;
  r->has_dst = true;
  r->dst_off = r->std_off + 3600;
  if (*p != ',' && *p != '\0') {
    if (!(p = parse_hms(p, 24, &off)))
      return false;
    r->dst_off = -off;
  }
  if (*p == '\0') /* no rule: the US rule, as glibc assumes */
    p = ",M3.2.0,M11.1.0";
  if (*p != ',' || !(p = parse_rule_date(p + 1, &r->start)) || *p != ',' ||
      !(p = parse_rule_date(p + 1, &r->end)))
    return false;
  return *p == '\0';
}

/* UTC seconds of a rule change in year y; the time is on the clock in force
 * before the change (standard time for the start of DST, DST for its end). */
static int64_t rule_change(const rule_date *rd, int64_t y, int32_t off_before) {
  int64_t days;

  if (rd->kind == 'J') {
    days = qf_tz_days_from_civil(y, 1, 1) + rd->n - 1 + (is_leap(y) && rd->n >= 60);
  } else if (rd->kind == 'n') {
    days = qf_tz_days_from_civil(y, 1, 1) + rd->n;
  } else {
    int64_t first = qf_tz_days_from_civil(y, rd->m, 1);
    int64_t next_month = rd->m == 12 ? qf_tz_days_from_civil(y + 1, 1, 1)
                                     : qf_tz_days_from_civil(y, rd->m + 1, 1);
    days = first + (rd->d - weekday(first) + 7) % 7 + (rd->w - 1) * 7;
    while (days >= next_month)
      days -= 7;
  }
  return days * DAY_S + rd->secs - off_before;
}

typedef struct change {
  int64_t at;
  int32_t off;
  int order; /* at equal instants an end of DST sorts before a start */
} change;

static int change_cmp(const void *a, const void *b) {
  const change *x = a, *y = b;

  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  return x->order - y->order;
}

static int32_t rule_offset(const rule *r, int64_t t, int64_t *next) {
  change ch[8];
  int64_t y, year;
  int m, d;
  int32_t off;
  size_t i = 0, k;

  *next = INT64_MAX;
  if (!r->has_dst)
    return r->std_off;
  qf_tz_civil_from_days(floor_div(t + r->std_off, DAY_S), &year, &m, &d);
  for (y = year - 1; y <= year + 2; y++) {
    ch[i++] = (change){rule_change(&r->start, y, r->std_off), r->dst_off, 1};
    ch[i++] = (change){rule_change(&r->end, y, r->dst_off), r->std_off, 0};
  }
  qsort(ch, 8, sizeof ch[0], change_cmp);
  for (k = 0; k < 8 && ch[k].at <= t; k++)
    ;
  off = k > 0 ? ch[k - 1].off : r->std_off; /* k = 0 cannot happen: y - 1 */
  for (i = k; i < 8; i++) {
    bool last_at_instant = i + 1 == 8 || ch[i + 1].at != ch[i].at;
    if (last_at_instant && ch[i].off != off) {
      *next = ch[i].at;
      return off;
    }
  }
  if (k < 8)
    *next = ch[k].at; /* no real change in view: look again from there */
  return off;
}

int32_t qf_tz_offset(const qf_tz *tz, int64_t utc_s, int64_t *next_s) {
  int64_t next = INT64_MAX;
  int32_t off;
  size_t lo = 0, hi = tz->n_trans;

  if (tz->n_trans == 0 || utc_s < tz->trans[0]) {
    if (tz->n_trans == 0 && tz->has_rule)
      off = rule_offset(&tz->rule, utc_s, &next);
    else {
      off = tz->first_off;
      next = tz->n_trans ? tz->trans[0] : INT64_MAX;
    }
    goto out;
  }
  while (hi - lo > 1) { /* largest i with trans[i] <= utc_s */
    size_t mid = lo + (hi - lo) / 2;
    if (tz->trans[mid] <= utc_s)
      lo = mid;
    else
      hi = mid;
  }
  if (lo + 1 == tz->n_trans && tz->has_rule) {
    off = rule_offset(&tz->rule, utc_s, &next);
  } else {
    off = tz->offset[lo];
    next = lo + 1 < tz->n_trans ? tz->trans[lo + 1] : INT64_MAX;
  }
out:
  if (next_s)
    *next_s = next;
  return off;
}

/* ---- spans and conversions ---- */

typedef struct span {
  int64_t start, end; /* UTC ms, end exclusive (INT64_MAX: no end) */
  int64_t off;        /* ms */
} span;

static span span_at(const qf_tz *tz, int64_t utc_ms) {
  int64_t next_s;
  span sp;

  sp.start = utc_ms;
  sp.off = (int64_t)qf_tz_offset(tz, floor_div(utc_ms, 1000), &next_s) * 1000;
  sp.end = next_s >= INT64_MAX / 1000 ? INT64_MAX : next_s * 1000;
  return sp;
}

int64_t qf_tz_to_local(const qf_tz *tz, int64_t utc_ms) {
  return utc_ms + span_at(tz, utc_ms).off;
}

int64_t qf_tz_local_reached(const qf_tz *tz, int64_t utc_ms) {
  int64_t best = qf_tz_to_local(tz, utc_ms);
  span sp = span_at(tz, utc_ms - REACH_MS);

  while (sp.end <= utc_ms) { /* every span that ended before utc_ms */
    if (sp.end - 1 + sp.off > best)
      best = sp.end - 1 + sp.off;
    sp = span_at(tz, sp.end);
  }
  return best;
}

int qf_tz_from_local(const qf_tz *tz, int64_t local_ms, int64_t *utc_ms) {
  int64_t stop = local_ms + REACH_MS;
  span sp = span_at(tz, local_ms - REACH_MS);
  bool reached = false, in_gap = false;
  int found = 0;

  for (;;) {
    int64_t u = local_ms - sp.off;
    if (u >= sp.start && u < sp.end) {
      found++;
      if (!reached)
        *utc_ms = u;
      reached = true;
    } else if (u < sp.start && !reached) {
      *utc_ms = sp.start; /* the clock jumped over local_ms here */
      reached = in_gap = true;
    }
    if (sp.end == INT64_MAX || sp.end > stop)
      break;
    sp = span_at(tz, sp.end);
  }
  return in_gap ? 0 : found;
}

/* ---- TZif files ---- */

static int64_t be(const unsigned char *p, int n) {
  uint64_t v = 0;

  for (int i = 0; i < n; i++)
    v = v << 8 | p[i];
  if (n == 4)
    return (int32_t)(uint32_t)v;
  return (int64_t)v;
}

typedef struct counts {
  int64_t isut, isstd, leap, time, type, chars;
} counts;

static void read_counts(const unsigned char *h, counts *c) {
  c->isut = be(h + 20, 4);
  c->isstd = be(h + 24, 4);
  c->leap = be(h + 28, 4);
  c->time = be(h + 32, 4);
  c->type = be(h + 36, 4);
  c->chars = be(h + 40, 4);
}

static int64_t block_size(const counts *c, int tsize) {
  return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) +
         c->isstd + c->isut;
}

static const char *check_counts(const counts *c) {
  if (c->isut < 0 || c->isstd < 0 || c->leap < 0 || c->time < 0 || c->chars < 0 ||
      c->type < 1 || c->type > 256 || c->time > 100000 || c->chars > 100000 ||
      (c->isut != 0 && c->isut != c->type) || (c->isstd != 0 && c->isstd != c->type))
    return "bad header counts";
  if (c->leap != 0)
    return "leap-second zones (\"right/\") are not supported";
  return NULL;
}

/* Fills tz from one data block (tsize 4 or 8 bytes per time). */
static const char *load_block(qf_tz *tz, const unsigned char *p, const counts *c,
                              int tsize) {
  const unsigned char *idx = p + c->time * tsize, *types = idx + c->time;

  for (int64_t i = 0; i < c->type; i++) {
    int64_t off = be(types + 6 * i, 4);
    if (off < -89999 || off > 93599)
      return "UT offset out of range";
  }
  tz->first_off = (int32_t)be(types, 4);
  tz->n_trans = (size_t)c->time;
  tz->trans = malloc(sizeof *tz->trans * (tz->n_trans + 1));
  tz->offset = malloc(sizeof *tz->offset * (tz->n_trans + 1));
  if (!tz->trans || !tz->offset)
    return "out of memory";
  for (int64_t i = 0; i < c->time; i++) {
    tz->trans[i] = be(p + i * tsize, tsize);
    if (idx[i] >= c->type || (i > 0 && tz->trans[i] <= tz->trans[i - 1]))
      return "bad transition table";
    tz->offset[i] = (int32_t)be(types + 6 * idx[i], 4);
  }
  return NULL;
}

/* The footer "\n<TZ string>\n" after a version 2+ data block. */
static const char *load_footer(qf_tz *tz, const unsigned char *p,
                               const unsigned char *end) {
  const unsigned char *nl;
  char buf[128];
  size_t n;

  if (p >= end || *p != '\n')
    return "missing footer";
  nl = memchr(p + 1, '\n', (size_t)(end - p - 1));
  n = nl ? (size_t)(nl - p - 1) : 0;
  if (!nl || n >= sizeof buf)
    return "bad footer";
  if (n == 0)
    return NULL; /* no rule: the last transition's offset holds forever */
  memcpy(buf, p + 1, n);
  buf[n] = '\0';
  if (!parse_posix(buf, &tz->rule))
    return "bad TZ rule in footer";
  tz->has_rule = true;
  return NULL;
}

static const char *parse_tzif(qf_tz *tz, const unsigned char *buf, size_t size) {
  const unsigned char *end = buf + size, *p = buf;
  counts c;
  const char *err;
  int64_t need;

  if (size < TZIF_HEADER || memcmp(buf, "TZif", 4) != 0)
    return "not a TZif file";
  read_counts(buf, &c);
  if (buf[4] == '\0' && (err = check_counts(&c)))
    return err;
  need = block_size(&c, 4);
  if (need < 0 || need > end - p - TZIF_HEADER)
    return "truncated";
  p += TZIF_HEADER;
  if (buf[4] == '\0') /* version 1: 32-bit data only, no footer */
    return load_block(tz, p, &c, 4);
  p += need;
  if (end - p < TZIF_HEADER || memcmp(p, "TZif", 4) != 0)
    return "missing version 2 header";
  read_counts(p, &c);
  if ((err = check_counts(&c)))
    return err;
  need = block_size(&c, 8);
  if (need > end - p - TZIF_HEADER)
    return "truncated";
  p += TZIF_HEADER;
  if ((err = load_block(tz, p, &c, 8)))
    return err;
  return load_footer(tz, p + need, end);
}

static bool name_safe(const char *tz) {
  size_t n = strlen(tz);

  if (n == 0 || n > TZ_NAME_MAX || tz[0] == '/' || tz[n - 1] == '/' || strstr(tz, ".."))
    return false;
  for (const char *p = tz; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok)
      return false;
  }
  return true;
}

static void zone_free(qf_tz *tz) {
  if (!tz)
    return;
  free(tz->name);
  free(tz->trans);
  free(tz->offset);
  free(tz);
}

/* Reads the whole file at path into a new buffer; 0 or a QF_ code. */
static int read_file(const char *path, unsigned char **out, size_t *size) {
  struct stat st;
  unsigned char *buf = NULL;
  size_t got = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  int rc = QF_ENOTFOUND;

  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? QF_ENOTFOUND : QF_EIO;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TZIF_MAX_BYTES)
    goto out;
  rc = QF_ENOMEM;
  if (!(buf = malloc((size_t)st.st_size + 1)))
    goto out;
  rc = QF_EIO;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
    if (n <= 0)
      goto out;
    got += (size_t)n;
  }
  *out = buf;
  *size = got;
  buf = NULL;
  rc = 0;
out:
  free(buf);
  close(fd);
  return rc;
}

static int load_zone(const char *name, qf_tz **out, char *why, size_t len) {
  const char *dir = getenv("TZDIR");
  char path[sizeof TZ_DIR_DEFAULT + TZ_NAME_MAX + 4096];
  unsigned char *buf = NULL;
  size_t size = 0;
  const char *err;
  qf_tz *tz;
  int rc;

  if (!dir || !*dir || strlen(dir) > 4000)
    dir = TZ_DIR_DEFAULT;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  rc = read_file(path, &buf, &size);
  if (rc == QF_ENOTFOUND)
    return fail(why, len, rc, "unknown time zone \"%s\" (no such zone in %s)", name,
                dir);
  if (rc != 0)
    return fail(why, len, rc, "time zone \"%s\": cannot read %s: %s", name, path,
                qf_strerror(rc));
  if (!(tz = calloc(1, sizeof *tz)) || !(tz->name = strdup(name))) {
    zone_free(tz);
    free(buf);
    return fail(why, len, QF_ENOMEM, "time zone \"%s\": out of memory", name);
  }
  err = parse_tzif(tz, buf, size);
  free(buf);
  if (err) {
    zone_free(tz);
    return fail(why, len, QF_EPROTO, "time zone \"%s\": %s is not usable: %s", name,
                path, err);
  }
  *out = tz;
  return 0;
}

int qf_tz_load(const char *name, const qf_tz **out, char *why, size_t len) {
  qf_tz *tz;
  int rc = 0;

  if (why && len > 0)
    why[0] = '\0';
  if (!name || !*name)
    return fail(why, len, QF_EINVAL, "empty time zone name");
  if (!name_safe(name))
    return fail(why, len, QF_EINVAL, "\"%.64s\" is not an IANA time zone name", name);
  pthread_mutex_lock(&cache_lock);
  for (tz = cache; tz; tz = tz->next) {
    if (strcmp(tz->name, name) == 0)
      break;
  }
  if (!tz && (rc = load_zone(name, &tz, why, len)) == 0) {
    tz->next = cache;
    cache = tz;
  }
  pthread_mutex_unlock(&cache_lock);
  if (rc == 0)
    *out = tz;
  return rc;
}

const qf_tz *qf_tz_utc(void) {
  return &utc_zone;
}

const char *qf_tz_name(const qf_tz *tz) {
  return tz->name;
}
