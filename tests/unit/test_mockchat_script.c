/* The simulator's scripted answers (script) and per-group counters (tally). */
#include "script.h"
#include "tally.h"

#include "qf/err.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static script parse_ok(const char *q) {
  script s;
  char why[128] = "";
  cr_assert_eq(script_parse(q, &s, why, sizeof why), 0, "%s: %s", q, why);
  return s;
}

Test(script, no_query_answers_200_always) {
  script s = parse_ok(NULL);
  cr_assert_eq(script_status(&s, 0), 200);
  s = parse_ok("");
  cr_assert_eq(script_status(&s, 5), 200);
  cr_assert_eq(s.retry_after, -1);
}

Test(script, answers_apply_in_order_then_200) {
  script s = parse_ok("answers=500,500");
  cr_assert_eq(script_status(&s, 0), 500);
  cr_assert_eq(script_status(&s, 1), 500);
  cr_assert_eq(script_status(&s, 2), 200);
  cr_assert_eq(script_status(&s, 100), 200);
}

Test(script, always_wins_and_retry_after_is_kept) {
  script s = parse_ok("always=404");
  for (uint64_t n = 0; n < 5; n++)
    cr_assert_eq(script_status(&s, n), 404);
  s = parse_ok("answers=429&retry_after=2");
  cr_assert_eq(script_status(&s, 0), 429);
  cr_assert_eq(s.retry_after, 2);
}

Test(script, ignores_other_parameters_and_decodes_percent) {
  script s = parse_ok("key=SECRET&answers=503%2C502&x");
  cr_assert_eq(s.nanswers, 2);
  cr_assert_eq(script_status(&s, 1), 502);
}

Test(script, rejects_bad_statuses_naming_the_parameter) {
  script s;
  char why[128];
  cr_assert_eq(script_parse("always=abc", &s, why, sizeof why), QF_EINVAL);
  cr_assert(strstr(why, "always"), "%s", why);
  cr_assert_eq(script_parse("answers=500,99", &s, why, sizeof why), QF_EINVAL);
  cr_assert(strstr(why, "answers"), "%s", why);
  cr_assert_eq(script_parse("retry_after=-1", &s, why, sizeof why), QF_EINVAL);
  cr_assert(strstr(why, "retry_after"), "%s", why);
}

Test(tally, counts_each_group_on_its_own) {
  tally *t = tally_new();
  cr_assert_eq(tally_next(t, "g1"), 0);
  cr_assert_eq(tally_next(t, "g1"), 1);
  cr_assert_eq(tally_next(t, "g2"), 0);
  char g[16];
  for (int i = 0; i < 1000; i++) { /* through several table growths */
    snprintf(g, sizeof g, "x%d", i);
    cr_assert_eq(tally_next(t, g), 0);
  }
  cr_assert_eq(tally_next(t, "g1"), 2);
  cr_assert_eq(tally_next(t, "x999"), 1);
  tally_free(t);
}

Test(script, delays_apply_in_order_then_none) {
  script s = parse_ok("delays=2000,0,50");
  cr_assert_eq(script_delay_ms(&s, 0), 2000);
  cr_assert_eq(script_delay_ms(&s, 1), 0);
  cr_assert_eq(script_delay_ms(&s, 2), 50);
  cr_assert_eq(script_delay_ms(&s, 3), 0);
  cr_assert_eq(script_status(&s, 0), 200);
}

Test(script, rejects_a_delay_past_the_limit) {
  script s;
  char why[128];
  cr_assert_eq(script_parse("delays=60001", &s, why, sizeof why), QF_EINVAL);
  cr_assert(strstr(why, "delays"), "%s", why);
}
