/* libFuzzer target: cron schedules (qf/cron.h) and their next occurrence in a
 * zone chosen by the input.
 *
 * Input: one byte choosing the zone (from zones[] below; from 0xf0 up the zone
 * name is the expression's first line instead, so names are fuzzed too), eight
 * bytes of an instant, then the expression.
 *
 * Properties: any text parses or is refused with a sentence; a parsed schedule
 * always has a next occurrence from an instant in the years 1900-2200, and
 * occurrences strictly increase; an instant of any range is answered or refused
 * (QF_EINVAL, or QF_ENOTFOUND near the year 9999), never overflows; an answer
 * lies within the twelve years the search covers. */
#include "fuzz.h"

#include "qf/cron.h"
#include "qf/err.h"
#include "qf/tz.h"

#define YEAR_1900_MS INT64_C(-2208988800000)
#define YEAR_2200_MS INT64_C(7258118400000)
#define TWELVE_YEARS_MS (INT64_C(366) * 12 * 86400000)

/* Zones with what makes the calendar hard: half-hour and 45-minute offsets and
 * DST steps, DST south of the equator, negative DST, a skipped calendar day,
 * a two-hour DST step, and zones whose tzdata ends in a POSIX rule. */
static const char *const zones[] = {
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "Europe/Dublin",
    "Pacific/Apia",
    "Antarctica/Troll",
    "Asia/Tehran",
    "America/St_Johns",
    "Africa/Casablanca",
    "Pacific/Kiritimati",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "",
};
#define N_ZONES (sizeof zones / sizeof zones[0])

static void check_chain(const qf_cron *c, const char *zone, int64_t after) {
  int64_t prev = after, next = 0;
  for (int i = 0; i < 4; i++) {
    int rc = qf_cron_next(c, zone, prev, &next);
    FUZZ_CHECK(rc == 0, "no occurrence after %lld in \"%s\": %d (%s)", (long long)prev,
               zone, rc, qf_errname(rc));
    FUZZ_CHECK(next > prev, "%lld is not after %lld in \"%s\"", (long long)next,
               (long long)prev, zone);
    /* Twelve years and a day: the search window, plus a DST gap. */
    FUZZ_CHECK(next - prev <= TWELVE_YEARS_MS + 86400000, "%lld is too far after %lld",
               (long long)next, (long long)prev);
    prev = next;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 9 || size > 4096)
    return 0;
  uint8_t pick = (uint8_t)fuzz_take(&data, &size, 1);
  int64_t raw = (int64_t)fuzz_take(&data, &size, 8);
  char *text = fuzz_strndup(data, size), *expr = text, *zone_name = NULL;
  if (pick >= 0xf0) {
    char *nl = strchr(text, '\n');
    if (!nl) {
      free(text);
      return 0;
    }
    *nl = '\0';
    zone_name = text;
    expr = nl + 1;
  }
  const char *zone = zone_name ? zone_name : zones[pick % N_ZONES];

  char why[256];
  qf_cron *c = NULL;
  int rc = qf_cron_parse(expr, &c, why, sizeof why);
  if (rc != 0) {
    FUZZ_CHECK(rc == QF_EINVAL && why[0] != '\0', "rc %d without a sentence", rc);
    free(text);
    return 0;
  }
  const qf_tz *tz = NULL;
  if (*zone && qf_tz_load(zone, &tz, why, sizeof why) != 0) {
    int64_t next;
    FUZZ_CHECK(qf_cron_next(c, zone, 0, &next) != 0, "unloadable zone \"%s\" used",
               zone);
  } else {
    uint64_t span = (uint64_t)(YEAR_2200_MS - YEAR_1900_MS);
    check_chain(c, zone, YEAR_1900_MS + (int64_t)((uint64_t)raw % span));
    int64_t next = 0;
    rc = qf_cron_next(c, zone, raw, &next);
    FUZZ_CHECK(rc == 0 || rc == QF_EINVAL || rc == QF_ENOTFOUND, "rc %d", rc);
    if (rc == 0)
      FUZZ_CHECK(next > raw && next - raw <= TWELVE_YEARS_MS + 86400000,
                 "%lld after %lld", (long long)next, (long long)raw);
  }
  qf_cron_free(c);
  free(text);
  return 0;
}
