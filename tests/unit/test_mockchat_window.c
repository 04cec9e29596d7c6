/* The simulator's limits: the sliding window and the keyed limiter with its
 * silence and time scale. */
#include "limiter.h"
#include "window.h"

#include <criterion/criterion.h>

Test(window, admits_count_then_refuses_until_the_oldest_leaves) {
  window w;
  window_init(&w, 3, 1000);
  int64_t wait = 0;
  for (int64_t t = 0; t < 3; t++) {
    cr_assert(window_admits(&w, t * 10, &wait));
    window_add(&w, t * 10);
  }
  cr_assert_not(window_admits(&w, 500, &wait));
  cr_assert_eq(wait, 500, "the oldest (t=0) leaves at 1000: wait %lld",
               (long long)wait);
  cr_assert_not(window_admits(&w, 999, &wait));
  cr_assert(window_admits(&w, 1000, &wait));
  window_fini(&w);
}

Test(window, never_more_than_count_in_any_window) {
  window w;
  window_init(&w, 5, 100);
  int64_t times[1000];
  size_t n = 0;
  for (int64_t t = 0; t < 1000; t += 3) {
    int64_t wait;
    if (window_admits(&w, t, &wait)) {
      window_add(&w, t);
      times[n++] = t;
    }
  }
  for (size_t i = 0; i + 5 < n; i++)
    cr_assert_geq(times[i + 5] - times[i], 100, "6 accepted within %lld ms",
                  (long long)(times[i + 5] - times[i]));
  cr_assert_gt(n, 40);
  window_fini(&w);
}

Test(limiter, all_rules_or_none_count) {
  limiter *l = limiter_new(1);
  limit_rule r[2] = {{.key = "chat", .rates = {{20, 60000}}},
                     {.key = "bot", .rates = {{1, 1000}}}};
  int64_t wait = 0;
  size_t which = 9;
  cr_assert_eq(limiter_take(l, r, 2, 0, &wait, &which), LIMIT_OK);
  cr_assert_eq(limiter_take(l, r, 2, 10, &wait, &which), LIMIT_OVER);
  cr_assert_eq(which, 1, "the bot's window refused");
  cr_assert_eq(wait, 990);
  /* The refused message used nothing of the chat's window: 19 more pass. */
  for (int i = 1; i < 20; i++)
    cr_assert_eq(limiter_take(l, r, 2, i * 1000, &wait, &which), LIMIT_OK, "i=%d", i);
  cr_assert_eq(limiter_take(l, r, 2, 20000, &wait, &which), LIMIT_OVER);
  cr_assert_eq(which, 0);
  limiter_free(l);
}

Test(limiter, a_violation_silences_the_key_scaled) {
  limiter *l = limiter_new(60); /* a minute lasts 1 s, 10 minutes 10 s */
  limit_rule r = {.key = "robot", .rates = {{20, 60000}}, .silence_ms = 600000};
  int64_t wait = 0;
  size_t which;
  for (int i = 0; i < 20; i++)
    cr_assert_eq(limiter_take(l, &r, 1, i, &wait, &which), LIMIT_OK);
  cr_assert_eq(limiter_take(l, &r, 1, 100, &wait, &which), LIMIT_OVER);
  cr_assert_eq(wait, 10000);
  /* Long after the window freed up, the robot is still silenced. */
  cr_assert_eq(limiter_take(l, &r, 1, 5000, &wait, &which), LIMIT_SILENCED);
  cr_assert_eq(wait, 5100);
  cr_assert_eq(limiter_take(l, &r, 1, 10100, &wait, &which), LIMIT_OK);
  limiter_free(l);
}
