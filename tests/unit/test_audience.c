#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "qf/audience.h"
#include "qf/err.h"

/* A fixed set of known groups, sorted. */
static const char *known[] = {"g1", "g2", "g3", "sh-01"};
#define NKNOWN (sizeof known / sizeof known[0])

static int each_known(void *src, qf_audience_id_fn fn, void *arg) {
  (void)src;
  for (size_t i = 0; i < NKNOWN; i++) {
    int rc = fn(known[i], arg);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int has_known(void *src, const char *id) {
  (void)src;
  for (size_t i = 0; i < NKNOWN; i++)
    if (strcmp(known[i], id) == 0)
      return 1;
  return 0;
}

static const qf_audience_source source = {each_known, has_known, NULL};

typedef struct collected {
  char text[256];
  int count;
} collected;

static int collect(const char *id, void *arg) {
  collected *c = arg;
  if (c->count++ > 0)
    strcat(c->text, ",");
  strcat(c->text, id);
  return 0;
}

static void expect_groups(const char *text, const char *want) {
  qf_audience *a = NULL;
  collected c = {"", 0};
  char why[200] = "";
  cr_assert_eq(qf_audience_parse(text, &a, why, sizeof why), 0, "%s: %s", text, why);
  cr_assert_eq(qf_audience_eval(a, &source, collect, &c, why, sizeof why), 0, "%s",
               why);
  cr_assert_str_eq(c.text, want);
  qf_audience_free(a);
}

static void expect_parse_error(const char *text, const char *want) {
  qf_audience *a = (qf_audience *)1;
  char why[200] = "";
  cr_assert_eq(qf_audience_parse(text, &a, why, sizeof why), QF_EINVAL, "%s", text);
  cr_assert_null(a);
  cr_assert(strstr(why, want) != NULL, "sentence \"%s\" lacks \"%s\"", why, want);
}

Test(audience, all_emits_every_group_in_order) {
  expect_groups("all", "g1,g2,g3,sh-01");
  expect_groups("  all ", "g1,g2,g3,sh-01");
}

Test(audience, group_list_is_sorted_and_unique) {
  expect_groups("group:g3,g1,g3", "g1,g3");
  expect_groups("group:sh-01, g2", "g2,sh-01");
  expect_groups("group:g2", "g2");
}

Test(audience, unknown_word_names_position) {
  expect_parse_error("foo", "audience: unexpected \"foo\" at position 1; expected all "
                            "or group:ID,...");
  expect_parse_error("  tagx:moms", "at position 3");
  expect_parse_error("", "unexpected end at position 1");
}

Test(audience, trailing_text_is_rejected) {
  expect_parse_error("all x", "unexpected \"x\" at position 5");
  expect_parse_error("allx", "unexpected \"allx\" at position 1");
}

Test(audience, group_list_needs_ids) {
  expect_parse_error("group:", "expected a group id");
  expect_parse_error("group:g1,,g2", "unexpected \",\" at position 10");
  expect_parse_error("group:g1,", "unexpected end at position 10");
  expect_parse_error("group:g1 g2", "unexpected \"g2\" at position 10");
  expect_parse_error("group:g/1", "unexpected \"/1\" at position 8");
}

Test(audience, overlong_id_is_rejected) {
  char text[300] = "group:";
  memset(text + 6, 'a', 200);
  text[206] = '\0';
  expect_parse_error(text, "longer than 128");
}

Test(audience, unknown_group_is_named_and_nothing_emitted) {
  qf_audience *a = NULL;
  collected c = {"", 0};
  char why[200] = "";
  cr_assert_eq(qf_audience_parse("group:g1,g9", &a, why, sizeof why), 0);
  cr_assert_eq(qf_audience_eval(a, &source, collect, &c, why, sizeof why), QF_EINVAL);
  cr_assert_str_eq(why, "audience: unknown group \"g9\"");
  cr_assert_eq(c.count, 0);
  qf_audience_free(a);
}

static int stop_after_one(const char *id, void *arg) {
  (void)id;
  (*(int *)arg)++;
  return 7;
}

Test(audience, emit_can_stop_evaluation) {
  qf_audience *a = NULL;
  int n = 0;
  cr_assert_eq(qf_audience_parse("all", &a, NULL, 0), 0);
  cr_assert_eq(qf_audience_eval(a, &source, stop_after_one, &n, NULL, 0), 7);
  cr_assert_eq(n, 1);
  qf_audience_free(a);
}

Test(audience, format_is_canonical) {
  qf_audience *a = NULL;
  char *s;
  cr_assert_eq(qf_audience_parse("group: g2 ,g1,g2", &a, NULL, 0), 0);
  s = qf_audience_format(a);
  cr_assert_str_eq(s, "group:g1,g2");
  free(s);
  qf_audience_free(a);
  cr_assert_eq(qf_audience_parse("all", &a, NULL, 0), 0);
  s = qf_audience_format(a);
  cr_assert_str_eq(s, "all");
  free(s);
  qf_audience_free(a);
}

Test(audience, free_null_is_noop) {
  qf_audience_free(NULL);
}
