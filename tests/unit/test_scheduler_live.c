#include <criterion/criterion.h>
#include <string.h>

#include "live.h"

Test(live, join_takes_consecutive_texts_within_the_limit) {
  const char *t[] = {"aaa", "bb", "cccc", "d"};
  char out[64];
  cr_assert_eq(live_join(t, 4, 100, out), 4);
  cr_assert_str_eq(out, "aaa\nbb\ncccc\nd");
  cr_assert_eq(live_join(t, 4, 6, out), 2); /* "aaa\nbb" is 6 bytes */
  cr_assert_str_eq(out, "aaa\nbb");
  cr_assert_eq(live_join(t, 4, 5, out), 1);
  cr_assert_str_eq(out, "aaa");
}

Test(live, join_always_takes_the_first_text) {
  const char *t[] = {"longer than the limit", "x"};
  char out[64];
  cr_assert_eq(live_join(t, 2, 4, out), 1);
  cr_assert_str_eq(out, "longer than the limit");
}

Test(live, join_stops_at_a_text_not_known) {
  const char *t[] = {"a", NULL, "c"};
  char out[16];
  cr_assert_eq(live_join(t, 3, 100, out), 1);
  cr_assert_str_eq(out, "a");
}

Test(live, join_of_one_is_the_text_itself) {
  const char *t[] = {"only"};
  char out[16];
  cr_assert_eq(live_join(t, 1, 100, out), 1);
  cr_assert_str_eq(out, "only");
}
