#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qf/clock.h"
#include "qf/err.h"
#include "qf/tz.h"

#define HOUR_MS INT64_C(3600000)
#define MIN_MS INT64_C(60000)

static int64_t T(const char *rfc3339) {
  int64_t ms = 0;
  cr_assert_eq(qf_time_parse_rfc3339(rfc3339, &ms), 0, "bad time %s", rfc3339);
  return ms;
}

/* Local ms of a wall-clock reading, for readable expectations. */
static int64_t L(int y, int mo, int d, int h, int mi) {
  return ((qf_tz_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * MIN_MS;
}

static const qf_tz *zone(const char *name) {
  const qf_tz *tz = NULL;
  char why[256] = "";
  cr_assert_eq(qf_tz_load(name, &tz, why, sizeof why), 0, "%s: %s", name, why);
  return tz;
}

/* glibc's offset at t under TZ=tzenv (tests are single-threaded here). */
static long glibc_offset(const char *tzenv, int64_t t) {
  struct tm tm;
  time_t tt = (time_t)t;
  setenv("TZ", tzenv, 1);
  tzset();
  cr_assert(localtime_r(&tt, &tm) != NULL);
  return tm.tm_gmtoff;
}

static uint64_t rng = 88172645463325252u;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

Test(tz, calendar_round_trips) {
  cr_assert_eq(qf_tz_days_from_civil(1970, 1, 1), 0);
  cr_assert_eq(qf_tz_days_from_civil(1969, 12, 31), -1);
  cr_assert_eq(qf_tz_days_from_civil(2000, 3, 1), 11017);
  cr_assert_eq(qf_tz_days_from_civil(2026, 5, 1) * 86400000, T("2026-05-01T00:00:00Z"));
  for (int64_t d = -1000000; d < 1000000; d += 7) {
    int64_t y;
    int m, dd;
    qf_tz_civil_from_days(d, &y, &m, &dd);
    cr_assert(m >= 1 && m <= 12 && dd >= 1 && dd <= 31);
    cr_assert_eq(qf_tz_days_from_civil(y, m, dd), d, "day %lld", (long long)d);
  }
}

Test(tz, names_and_errors) {
  const qf_tz *a, *b;
  char why[256];

  cr_assert_eq(qf_tz_load("Europe/Berlin", &a, why, sizeof why), 0);
  cr_assert_eq(qf_tz_load("Europe/Berlin", &b, why, sizeof why), 0);
  cr_assert_eq(a, b, "loaded twice");
  cr_assert_str_eq(qf_tz_name(a), "Europe/Berlin");
  cr_assert_str_eq(qf_tz_name(qf_tz_utc()), "UTC");
  cr_assert_eq(qf_tz_load("", &a, why, sizeof why), QF_EINVAL);
  cr_assert_str_eq(why, "empty time zone name");
  cr_assert_eq(qf_tz_load(NULL, &a, NULL, 0), QF_EINVAL);
  cr_assert_eq(qf_tz_load("../../etc/passwd", &a, why, sizeof why), QF_EINVAL);
  cr_assert_str_eq(why, "\"../../etc/passwd\" is not an IANA time zone name");
  cr_assert_eq(qf_tz_load("/etc/localtime", &a, why, sizeof why), QF_EINVAL);
  cr_assert_eq(qf_tz_load("Europe/Berlin ", &a, why, sizeof why), QF_EINVAL);
  cr_assert_eq(qf_tz_load("Mars/Olympus_Mons", &a, why, sizeof why), QF_ENOTFOUND);
  cr_assert_str_eq(why, "unknown time zone \"Mars/Olympus_Mons\" (no such zone in "
                        "/usr/share/zoneinfo)");
  cr_assert_eq(qf_tz_load("America", &a, why, sizeof why), QF_ENOTFOUND);
  cr_assert_eq(qf_tz_load("zone.tab", &a, why, sizeof why), QF_EINVAL); /* "." */
}

Test(tz, utc_and_fixed_zones) {
  const qf_tz *utc = qf_tz_utc();
  int64_t next, u;

  cr_assert_eq(qf_tz_offset(utc, 1234567, &next), 0);
  cr_assert_eq(next, INT64_MAX);
  cr_assert_eq(qf_tz_from_local(utc, 42, &u), 1);
  cr_assert_eq(u, 42);
  cr_assert_eq(
      qf_tz_offset(zone("Asia/Shanghai"), T("2026-05-01T00:00:00Z") / 1000, NULL),
      8 * 3600);
  cr_assert_eq(qf_tz_offset(zone("Etc/GMT+5"), 0, NULL), -5 * 3600);
  cr_assert_eq(
      qf_tz_offset(zone("Asia/Kolkata"), T("2026-05-01T00:00:00Z") / 1000, NULL),
      19800);
}

/* Every zone family we care about, against glibc's reading of the same files, at
 * random instants from 1901 to 2150 and around each offset change. */
Test(tz, offsets_agree_with_glibc) {
  static const char *const zones[] = {
      "Europe/Berlin",      "America/New_York",    "Asia/Shanghai", "Australia/Sydney",
      "Europe/Dublin",      "Australia/Lord_Howe", "Pacific/Apia",  "America/Sao_Paulo",
      "Africa/Casablanca",  "Asia/Tehran",         "America/Nuuk",  "Antarctica/Troll",
      "Pacific/Kiritimati", "America/St_Johns",    "Europe/London", "UTC"};
  char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

  for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
    const qf_tz *tz = zone(zones[z]);
    int64_t t = INT32_MIN, next;
    int changes = 0;
    while (t < INT64_C(5680281600)) { /* 2150 */
      int32_t off = qf_tz_offset(tz, t, &next);
      cr_assert_eq(off, glibc_offset(zones[z], t), "%s at %lld", zones[z],
                   (long long)t);
      if (next != INT64_MAX && next - 1 > t) {
        cr_assert_eq(qf_tz_offset(tz, next - 1, NULL), off, "%s before %lld", zones[z],
                     (long long)next);
        cr_assert_eq(qf_tz_offset(tz, next, NULL), glibc_offset(zones[z], next),
                     "%s at change %lld", zones[z], (long long)next);
      }
      int64_t step = (int64_t)(rnd() % (40 * 86400)) + 1;
      t = next != INT64_MAX && next < t + step ? next : t + step;
      changes++;
    }
    cr_assert_gt(changes, 1000);
  }
  if (saved)
    setenv("TZ", saved, 1);
  else
    unsetenv("TZ");
  free(saved);
}

/* The first instant the clock reads >= local, found by scanning minutes. */
static int64_t brute_first_reach(const qf_tz *tz, int64_t local, int *count) {
  int64_t first = INT64_MIN;
  *count = 0;
  for (int64_t u = local - 30 * HOUR_MS; u < local + 30 * HOUR_MS; u += MIN_MS) {
    int64_t l = qf_tz_to_local(tz, u);
    if (first == INT64_MIN && l >= local)
      first = u;
    *count += l == local;
  }
  return first;
}

Test(tz, from_local_matches_brute_force_around_transitions) {
  static const char *const zones[] = {"Europe/Berlin", "America/New_York",
                                      "Australia/Lord_Howe", "Pacific/Apia"};
  for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
    const qf_tz *tz = zone(zones[z]);
    /* Apia skipped 2011-12-30 entirely; the others change twice in 2026. */
    int64_t from = z == 3 ? L(2011, 12, 28, 0, 0) : L(2026, 1, 1, 0, 0);
    int64_t to = z == 3 ? L(2012, 1, 2, 0, 0) : L(2027, 1, 1, 0, 0);
    for (int64_t l = from; l < to; l += (z == 3 ? 15 : 7 * 60 + 13) * MIN_MS) {
      int64_t u = 0;
      int count, got = qf_tz_from_local(tz, l, &u);
      int64_t want = brute_first_reach(tz, l, &count);
      cr_assert_eq(u, want, "%s local %lld", zones[z], (long long)l);
      cr_assert_eq(got, count, "%s local %lld", zones[z], (long long)l);
    }
  }
}

Test(tz, gap_and_overlap) {
  const qf_tz *berlin = zone("Europe/Berlin"), *ny = zone("America/New_York");
  int64_t u;

  cr_assert_eq(qf_tz_from_local(berlin, L(2026, 3, 29, 2, 30), &u), 0);
  cr_assert_eq(u, T("2026-03-29T01:00:00Z"));
  cr_assert_eq(qf_tz_from_local(berlin, L(2026, 3, 29, 2, 0), &u), 0);
  cr_assert_eq(u, T("2026-03-29T01:00:00Z"));
  cr_assert_eq(qf_tz_from_local(berlin, L(2026, 3, 29, 3, 0), &u), 1);
  cr_assert_eq(u, T("2026-03-29T01:00:00Z"));
  cr_assert_eq(qf_tz_from_local(berlin, L(2026, 3, 29, 1, 59), &u), 1);
  cr_assert_eq(u, T("2026-03-29T00:59:00Z"));
  cr_assert_eq(qf_tz_from_local(berlin, L(2026, 10, 25, 2, 30), &u), 2);
  cr_assert_eq(u, T("2026-10-25T00:30:00Z"));
  cr_assert_eq(qf_tz_from_local(berlin, L(2026, 10, 25, 3, 0), &u), 1);
  cr_assert_eq(u, T("2026-10-25T02:00:00Z"));
  cr_assert_eq(qf_tz_from_local(ny, L(2026, 3, 8, 2, 30), &u), 0);
  cr_assert_eq(u, T("2026-03-08T07:00:00Z"));
  cr_assert_eq(qf_tz_from_local(ny, L(2026, 11, 1, 1, 30), &u), 2);
  cr_assert_eq(u, T("2026-11-01T05:30:00Z"));
}

Test(tz, local_reached_holds_through_the_repeated_hour) {
  const qf_tz *ny = zone("America/New_York");

  cr_assert_eq(qf_tz_local_reached(ny, T("2026-11-01T05:30:00Z")),
               L(2026, 11, 1, 1, 30));
  cr_assert_eq(qf_tz_local_reached(ny, T("2026-11-01T06:00:00Z")),
               L(2026, 11, 1, 2, 0) - 1);
  cr_assert_eq(qf_tz_local_reached(ny, T("2026-11-01T06:59:59.999Z")),
               L(2026, 11, 1, 2, 0) - 1);
  cr_assert_eq(qf_tz_local_reached(ny, T("2026-11-01T07:00:00Z")),
               L(2026, 11, 1, 2, 0));
  cr_assert_eq(qf_tz_to_local(ny, T("2026-11-01T06:30:00Z")), L(2026, 11, 1, 1, 30));
}

/* ---- hand-made TZif files ---- */

static char dir[] = "/tmp/qf_tz_test_XXXXXX";

static void put32(unsigned char **p, int64_t v) {
  for (int i = 3; i >= 0; i--)
    *(*p)++ = (unsigned char)((uint64_t)v >> (8 * i));
}

static void header(unsigned char **p, char version, int64_t times, int64_t types,
                   int64_t chars) {
  memcpy(*p, "TZif", 4);
  (*p)[4] = (unsigned char)version;
  memset(*p + 5, 0, 15);
  *p += 20;
  put32(p, 0);     /* isut */
  put32(p, 0);     /* isstd */
  put32(p, 0);     /* leap */
  put32(p, times); /* time */
  put32(p, types); /* type */
  put32(p, chars); /* chars */
}

static void write_file(const char *name, const unsigned char *buf, size_t n) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  cr_assert(f != NULL);
  cr_assert_eq(fwrite(buf, 1, n, f), n);
  fclose(f);
}

/* A version 2 file with no transitions: the footer rule governs all time. */
static void write_rule_only(const char *name, const char *rule) {
  unsigned char buf[512], *p = buf;
  header(&p, '2', 0, 1, 4);
  put32(&p, 0);
  *p++ = 0;
  *p++ = 0;
  memcpy(p, "ABC", 4);
  p += 4;
  header(&p, '2', 0, 1, 4);
  put32(&p, 0);
  *p++ = 0;
  *p++ = 0;
  memcpy(p, "ABC", 4);
  p += 4;
  p += sprintf((char *)p, "\n%s\n", rule);
  write_file(name, buf, (size_t)(p - buf));
}

static void setup_dir(void) {
  cr_assert(mkdtemp(dir) != NULL);
  setenv("TZDIR", dir, 1);
}

static void teardown_dir(void) {
  char cmd[300];
  unsetenv("TZDIR");
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

Test(tz, footer_rules_agree_with_glibc, .init = setup_dir, .fini = teardown_dir) {
  static const char *const rules[] = {
      "EST5EDT,M3.2.0,M11.1.0",
      "CET-1CEST,M3.5.0,M10.5.0/3",
      "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
      "AEST-10AEDT,M10.1.0,M4.1.0/3",
      "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
      "IST-1GMT0,M10.5.0,M3.5.0/1",
      "XXX3YYY,J60/2,J300/2",
      "XXX3YYY,59/2,299/2",
      "<+0330>-3:30",
      "NZST-12NZDT,M9.5.0,M4.1.0/3",
      "<-03>3<-02>,M3.2.0/-2:30,M11.1.0/167",
      "EST5EDT",
  };
  char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

  for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
    char name[32];
    const qf_tz *tz;
    snprintf(name, sizeof name, "Rule%zu", r);
    write_rule_only(name, rules[r]);
    tz = zone(name);
    for (int64_t t = 946684800; t < 4102444800; t += (int64_t)(rnd() % 400000) + 1) {
      int64_t next;
      int32_t off = qf_tz_offset(tz, t, &next);
      cr_assert_eq(off, glibc_offset(rules[r], t), "%s at %lld", rules[r],
                   (long long)t);
      if (next != INT64_MAX)
        cr_assert_eq(qf_tz_offset(tz, next, NULL), glibc_offset(rules[r], next),
                     "%s at change %lld", rules[r], (long long)next);
    }
  }
  if (saved)
    setenv("TZ", saved, 1);
  else
    unsetenv("TZ");
  free(saved);
}

/* RFC 8536 3.3.1: a DST that ends when it starts again is DST all year. glibc
 * 2.36 reads it as standard time for the first hours of each UTC year, so this one
 * is checked by hand. */
Test(tz, footer_rule_for_dst_all_year, .init = setup_dir, .fini = teardown_dir) {
  const qf_tz *tz;
  write_rule_only("AllYear", "EST5EDT,0/0,J365/25");
  tz = zone("AllYear");
  for (int64_t t = 946684800; t < 4102444800; t += (int64_t)(rnd() % 400000) + 1)
    cr_assert_eq(qf_tz_offset(tz, t, NULL), -4 * 3600, "at %lld", (long long)t);
  for (int y = 2000; y < 2100; y++) {
    int64_t jan1 = qf_tz_days_from_civil(y, 1, 1) * 86400;
    for (int64_t t = jan1 - 7200; t < jan1 + 7 * 3600; t += 600)
      cr_assert_eq(qf_tz_offset(tz, t, NULL), -4 * 3600, "at %lld", (long long)t);
  }
}

Test(tz, reads_version_1_files, .init = setup_dir, .fini = teardown_dir) {
  unsigned char buf[256], *p = buf;
  const qf_tz *tz;
  int64_t next;

  header(&p, '\0', 2, 2, 4);
  put32(&p, 1000);
  put32(&p, 2000);
  *p++ = 1;
  *p++ = 0;
  put32(&p, 3600);
  *p++ = 0;
  *p++ = 0;
  put32(&p, 7200);
  *p++ = 1;
  *p++ = 0;
  memcpy(p, "ABC", 4);
  p += 4;
  write_file("Old", buf, (size_t)(p - buf));
  tz = zone("Old");
  cr_assert_eq(qf_tz_offset(tz, 999, &next), 3600);
  cr_assert_eq(next, 1000);
  cr_assert_eq(qf_tz_offset(tz, 1000, &next), 7200);
  cr_assert_eq(next, 2000);
  cr_assert_eq(qf_tz_offset(tz, 5000, &next), 3600);
  cr_assert_eq(next, INT64_MAX);
}

Test(tz, refuses_broken_files, .init = setup_dir, .fini = teardown_dir) {
  unsigned char buf[256], *p = buf;
  const qf_tz *tz;
  char why[512];

  write_file("Junk",
             (const unsigned char *)"hello, world, this is no zone file at all...", 44);
  cr_assert_eq(qf_tz_load("Junk", &tz, why, sizeof why), QF_EPROTO);
  cr_assert(strstr(why, "not a TZif file") != NULL, "%s", why);

  header(&p, '2', 5, 1, 4); /* counts promise more than the file holds */
  write_file("Short", buf, (size_t)(p - buf));
  cr_assert_eq(qf_tz_load("Short", &tz, why, sizeof why), QF_EPROTO);
  cr_assert(strstr(why, "truncated") != NULL, "%s", why);

  write_rule_only("BadRule", "EST5EDT,M13.1.0,M11.1.0");
  cr_assert_eq(qf_tz_load("BadRule", &tz, why, sizeof why), QF_EPROTO);
  cr_assert(strstr(why, "bad TZ rule in footer") != NULL, "%s", why);

  p = buf; /* a transition pointing at a type that does not exist */
  header(&p, '\0', 1, 1, 4);
  put32(&p, 1000);
  *p++ = 3;
  put32(&p, 0);
  *p++ = 0;
  *p++ = 0;
  memcpy(p, "ABC", 4);
  p += 4;
  write_file("BadIndex", buf, (size_t)(p - buf));
  cr_assert_eq(qf_tz_load("BadIndex", &tz, why, sizeof why), QF_EPROTO);
  cr_assert(strstr(why, "bad transition table") != NULL, "%s", why);
}

static void *convert_many(void *arg) {
  static const char *const zones[] = {"Europe/Paris", "America/Chicago", "Asia/Tokyo",
                                      "Europe/Madrid"};
  size_t k = (size_t)(uintptr_t)arg;
  int64_t sum = 0;

  for (int i = 0; i < 2000; i++) {
    const qf_tz *tz;
    int64_t u;
    if (qf_tz_load(zones[(k + (size_t)i) % 4], &tz, NULL, 0) != 0)
      return (void *)1;
    qf_tz_from_local(tz, L(2026, 3, 1, 0, 0) + i * HOUR_MS, &u);
    sum += u;
  }
  return sum != 0 ? NULL : (void *)1;
}

Test(tz, loads_and_converts_from_many_threads) {
  pthread_t th[8];
  for (size_t i = 0; i < 8; i++)
    cr_assert_eq(pthread_create(&th[i], NULL, convert_many, (void *)(uintptr_t)i), 0);
  for (size_t i = 0; i < 8; i++) {
    void *ret;
    cr_assert_eq(pthread_join(th[i], &ret), 0);
    cr_assert_null(ret);
  }
}
