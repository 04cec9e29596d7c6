#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qf/err.h"
#include "qf/group.h"

static char *tags_ok[] = {"moms", "shanghai"};

static Qunfa__Group good(void) {
  Qunfa__Group g = QUNFA__GROUP__INIT;
  g.id = "g1";
  g.name = "Shanghai moms 1";
  g.n_tags = 2;
  g.tags = tags_ok;
  g.dialect = "generic";
  g.url = "http://127.0.0.1:9000/hook/g1";
  g.tz = "Asia/Shanghai";
  g.rate = "20/min";
  return g;
}

/* Expects g to be rejected with a sentence that contains want. */
static void expect_bad(const Qunfa__Group *g, const char *want) {
  char why[256];
  cr_assert_eq(qf_group_validate(g, why, sizeof why), QF_EINVAL);
  cr_assert(strstr(why, want) != NULL, "sentence \"%s\" lacks \"%s\"", why, want);
}

Test(rate, parses_each_unit) {
  qf_rate r;
  cr_assert_eq(qf_rate_parse("20/min", &r), 0);
  cr_assert_eq(r.count, 20);
  cr_assert_eq(r.period_ms, 60000);
  cr_assert_eq(qf_rate_parse("5/s", &r), 0);
  cr_assert_eq(r.count, 5);
  cr_assert_eq(r.period_ms, 1000);
  cr_assert_eq(qf_rate_parse("1000000/h", &r), 0);
  cr_assert_eq(r.count, 1000000);
  cr_assert_eq(r.period_ms, 3600000);
}

Test(rate, rejects_out_of_range_counts) {
  qf_rate r;
  cr_assert_eq(qf_rate_parse("0/s", &r), QF_EINVAL);
  cr_assert_eq(qf_rate_parse("1000001/s", &r), QF_EINVAL);
  cr_assert_eq(qf_rate_parse("99999999999/s", &r), QF_EINVAL);
}

Test(rate, rejects_malformed_text) {
  const char *bad[] = {"",     "/s",    "20",    "20/",   "20/m", "20/minute", "-1/s",
                       "+1/s", " 20/s", "20/s ", "20 /s", "2x/s", "20//s",     "20/S"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(qf_rate_parse(bad[i], NULL), QF_EINVAL, "accepted \"%s\"", bad[i]);
  cr_assert_eq(qf_rate_parse(NULL, NULL), QF_EINVAL);
}

Test(group, accepts_a_complete_group) {
  Qunfa__Group g = good();
  char why[256] = "x";
  cr_assert_eq(qf_group_validate(&g, why, sizeof why), 0);
  cr_assert_str_empty(why);
}

Test(group, accepts_empty_optional_fields) {
  Qunfa__Group g = good();
  g.tz = "";
  g.rate = "";
  g.name = "";
  g.n_tags = 0;
  g.tags = NULL;
  cr_assert_eq(qf_group_validate(&g, NULL, 0), 0);
}

Test(group, id_rules) {
  Qunfa__Group g = good();
  char long_id[QF_GROUP_ID_MAX + 2];

  g.id = "";
  expect_bad(&g, "field \"id\": must not be empty");
  g.id = "g 1";
  expect_bad(&g, "field \"id\"");
  g.id = "g/1";
  expect_bad(&g, "field \"id\"");
  memset(long_id, 'a', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = '\0';
  g.id = long_id;
  expect_bad(&g, "longer than 128");
  long_id[QF_GROUP_ID_MAX] = '\0';
  cr_assert_eq(qf_group_validate(&g, NULL, 0), 0);
  g.id = "team.a_b:c@d-1";
  cr_assert_eq(qf_group_validate(&g, NULL, 0), 0);
}

Test(group, name_rules) {
  Qunfa__Group g = good();
  char long_name[QF_GROUP_NAME_MAX + 2];

  memset(long_name, 'n', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  g.name = long_name;
  expect_bad(&g, "field \"name\": longer than 256");
  g.name = "\xe4\xb8\x8a\xe6\xb5\xb7 moms"; /* 上海 moms */
  cr_assert_eq(qf_group_validate(&g, NULL, 0), 0);
  g.name = "bad \xff utf8";
  expect_bad(&g, "field \"name\": not valid UTF-8");
  g.name = "two\nlines";
  expect_bad(&g, "field \"name\": must not hold control");
}

Test(group, tag_rules) {
  Qunfa__Group g = good();
  char *bad_tags[] = {"ok", "not ok"};
  char *many[QF_GROUP_TAGS_MAX + 1];

  g.tags = bad_tags;
  g.n_tags = 2;
  expect_bad(&g, "field \"tags\": tag 2");
  for (size_t i = 0; i < QF_GROUP_TAGS_MAX + 1; i++)
    many[i] = "t";
  g.tags = many;
  g.n_tags = QF_GROUP_TAGS_MAX + 1;
  expect_bad(&g, "more than 64 tags");
  g.n_tags = QF_GROUP_TAGS_MAX;
  cr_assert_eq(qf_group_validate(&g, NULL, 0), 0);
}

Test(group, dialect_rules) {
  Qunfa__Group g = good();
  g.dialect = "";
  expect_bad(&g, "field \"dialect\": must not be empty");
  g.dialect = "wecom2";
  expect_bad(&g, "unknown dialect \"wecom2\"");
}

Test(group, url_rules) {
  Qunfa__Group g = good();
  char long_url[QF_GROUP_URL_MAX + 2];

  g.url = "ftp://x/hook";
  expect_bad(&g, "field \"url\": must start with http:// or https://");
  g.url = "";
  expect_bad(&g, "must start with http://");
  g.url = "https://";
  expect_bad(&g, "field \"url\": has no host");
  g.url = "http://x/a b";
  expect_bad(&g, "field \"url\": must not hold spaces");
  g.url = "https://qyapi.example.com/cgi-bin/webhook/send?key=abc";
  cr_assert_eq(qf_group_validate(&g, NULL, 0), 0);
  memcpy(long_url, "http://h/", 9);
  memset(long_url + 9, 'p', sizeof long_url - 10);
  long_url[sizeof long_url - 1] = '\0';
  g.url = long_url;
  expect_bad(&g, "longer than 2048");
}

Test(group, url_value_never_appears_in_the_sentence) {
  Qunfa__Group g = good();
  char why[256];
  g.url = "http://x/hook?key=SECRET TOKEN";
  cr_assert_eq(qf_group_validate(&g, why, sizeof why), QF_EINVAL);
  cr_assert(strstr(why, "SECRET") == NULL);
}

Test(group, tz_rules) {
  Qunfa__Group g = good();
  g.tz = "UTC";
  cr_assert_eq(qf_group_validate(&g, NULL, 0), 0);
  g.tz = "Mars/Olympus_Mons";
  expect_bad(&g, "field \"tz\": unknown time zone");
  g.tz = "../../etc/passwd";
  expect_bad(&g, "field \"tz\": not an IANA");
  g.tz = "/etc/passwd";
  expect_bad(&g, "field \"tz\"");
  g.tz = "Asia"; /* a directory, not a zone */
  expect_bad(&g, "field \"tz\": unknown time zone");
  g.tz = "Asia/Shanghai ";
  expect_bad(&g, "field \"tz\"");
}

/* A group once passed with any regular file under the zone directory as its
 * zone, which every later use of the zone then refused. */
Test(group, tz_must_be_a_usable_zone_not_just_a_file) {
  char dir[] = "/tmp/qf-test-tzdir-XXXXXX", path[64];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/Text", dir);
  cr_assert_eq(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/Text/Zone", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("# not a TZif file\n", f);
  fclose(f);
  setenv("TZDIR", dir, 1);
  Qunfa__Group g = good();
  g.tz = "Text/Zone";
  expect_bad(&g, "field \"tz\": unknown time zone \"Text/Zone\"");
  g.tz = "Asia/Shanghai"; /* not in this TZDIR */
  expect_bad(&g, "field \"tz\": unknown time zone");
  unlink(path);
  snprintf(path, sizeof path, "%s/Text", dir);
  rmdir(path);
  rmdir(dir);
  unsetenv("TZDIR");
  /* The system's own non-zones, when tzdata ships them. */
  static char *not_zones[] = {"leapseconds", "right/UTC"};
  for (size_t i = 0; i < sizeof not_zones / sizeof not_zones[0]; i++) {
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", not_zones[i]);
    if (access(path, F_OK) != 0)
      continue;
    g.tz = not_zones[i];
    expect_bad(&g, "field \"tz\": unknown time zone");
  }
}

Test(group, rate_rules) {
  Qunfa__Group g = good();
  g.rate = "20/week";
  expect_bad(&g, "field \"rate\": must be N/s, N/min or N/h");
  g.rate = "0/s";
  expect_bad(&g, "field \"rate\"");
}

Test(group, null_fields_are_treated_as_empty) {
  Qunfa__Group g = QUNFA__GROUP__INIT;
  g.id = "g1";
  g.dialect = "generic";
  g.url = "http://h/x";
  g.name = NULL;
  g.tz = NULL;
  g.rate = NULL;
  cr_assert_eq(qf_group_validate(&g, NULL, 0), 0);
  cr_assert_eq(qf_group_validate(NULL, NULL, 0), QF_EINVAL);
}

Test(group, truncates_sentence_to_buffer) {
  Qunfa__Group g = good();
  char why[8];
  g.url = "ftp://x";
  cr_assert_eq(qf_group_validate(&g, why, sizeof why), QF_EINVAL);
  cr_assert_eq(strlen(why), sizeof why - 1);
}

Test(quiet, parses_windows_that_wrap_or_not) {
  qf_quiet q;
  cr_assert_eq(qf_quiet_parse("23:00-07:00", &q), 0);
  cr_assert_eq(q.start_min, 23 * 60);
  cr_assert_eq(q.end_min, 7 * 60);
  cr_assert_eq(qf_quiet_parse("12:30-13:45", &q), 0);
  cr_assert_eq(q.start_min, 12 * 60 + 30);
  cr_assert_eq(q.end_min, 13 * 60 + 45);
  cr_assert_eq(qf_quiet_parse("00:00-23:59", NULL), 0);
}

Test(quiet, rejects_malformed_and_empty_windows) {
  static const char *const bad[] = {"",
                                    "23:00",
                                    "23:00-7:00",
                                    "24:00-07:00",
                                    "23:60-07:00",
                                    "23:00-07:00 ",
                                    "23.00-07.00",
                                    "07:00-07:00",
                                    "ab:cd-ef:gh"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(qf_quiet_parse(bad[i], NULL), QF_EINVAL, "accepted \"%s\"", bad[i]);
  cr_assert_eq(qf_quiet_parse(NULL, NULL), QF_EINVAL);
}

Test(group, account_quiet_and_daily_cap_rules) {
  Qunfa__Group g = good();
  char why[256];
  g.account = "telegram-bot-1";
  g.quiet = "23:00-07:00";
  g.daily_cap = 3;
  cr_assert_eq(qf_group_validate(&g, why, sizeof why), 0, "%s", why);
  g.account = "bot 1";
  expect_bad(&g, "field \"account\": may only hold");
  g.account = "";
  g.quiet = "late";
  expect_bad(&g, "field \"quiet\": must be HH:MM-HH:MM");
  g.quiet = "07:00-07:00";
  expect_bad(&g, "different start and end");
  g.quiet = "";
  g.daily_cap = 10001;
  expect_bad(&g, "field \"daily_cap\": 10001 is more than 10000");
  g.daily_cap = 10000;
  cr_assert_eq(qf_group_validate(&g, why, sizeof why), 0, "%s", why);
}
