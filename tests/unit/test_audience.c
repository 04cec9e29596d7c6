#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf/audience.h"
#include "qf/err.h"

/* A fixed set of known groups, sorted, with their tags. */
typedef struct known_group {
  const char *id;
  const char *tags[4];
} known_group;

static const known_group known[] = {
    {"g1", {"moms", "shanghai"}},
    {"g2", {"moms", "beijing", "vip"}},
    {"g3", {"moms", "beijing"}},
    {"sh-01", {"dads", "shanghai", "vip"}},
};
#define NKNOWN (sizeof known / sizeof known[0])

/* How often the evaluation read every group. */
static int universe_reads;

static int each_known(void *src, qf_audience_id_fn fn, void *arg) {
  (void)src;
  universe_reads++;
  for (size_t i = 0; i < NKNOWN; i++) {
    int rc = fn(known[i].id, arg);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int has_known(void *src, const char *id) {
  (void)src;
  for (size_t i = 0; i < NKNOWN; i++)
    if (strcmp(known[i].id, id) == 0)
      return 1;
  return 0;
}

static int each_tagged(void *src, const char *tag, qf_audience_id_fn fn, void *arg) {
  (void)src;
  for (size_t i = 0; i < NKNOWN; i++) {
    for (size_t t = 0; t < 4 && known[i].tags[t]; t++) {
      if (strcmp(known[i].tags[t], tag) == 0) {
        int rc = fn(known[i].id, arg);
        if (rc != 0)
          return rc;
      }
    }
  }
  return 0;
}

static const qf_audience_source source = {each_known, has_known, NULL, each_tagged};

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
  expect_parse_error("foo", "audience: expected all, group:ID, tag:NAME, \"!\" or "
                            "\"(\" at position 1, found \"foo\"");
  expect_parse_error("  tagx:moms", "at position 3, found \"tagx:moms\"");
  expect_parse_error("", "at position 1, found the end");
}

Test(audience, trailing_text_is_rejected) {
  expect_parse_error("all x", "audience: expected \"&\", \"|\" or the end at "
                              "position 5, found \"x\"");
  expect_parse_error("allx", "at position 1, found \"allx\"");
  expect_parse_error("tag:a tag:b", "at position 7, found \"tag:b\"");
  expect_parse_error("tag:a )", "at position 7, found \")\"");
}

Test(audience, group_list_needs_ids) {
  expect_parse_error("group:", "expected a group id at position 7, found the end");
  expect_parse_error("group:g1,,g2", "expected a group id at position 10, found \",\"");
  expect_parse_error("group:g1,", "expected a group id at position 10, found the end");
  expect_parse_error("group:g1 g2", "at position 10, found \"g2\"");
  expect_parse_error("group:g/1", "at position 8, found \"/\"");
}

Test(audience, tag_needs_a_name) {
  expect_parse_error("tag:",
                     "audience: expected a tag name at position 5, found the end");
  expect_parse_error("tag: & tag:b", "expected a tag name at position 6, found \"&\"");
  expect_parse_error("tag:moms & tag:", "expected a tag name at position 16");
}

Test(audience, missing_parenthesis_names_position) {
  expect_parse_error("tag:moms & (tag:shanghai | tag:beijing",
                     "audience: expected \")\" at position 39, found the end");
  expect_parse_error("(tag:a tag:b)", "expected \")\" at position 8, found \"tag:b\"");
  expect_parse_error("()", "at position 2, found \")\"");
  expect_parse_error("tag:a & (", "at position 10, found the end");
}

Test(audience, operator_needs_operands) {
  expect_parse_error("& tag:a", "at position 1, found \"&\"");
  expect_parse_error("tag:a &", "at position 8, found the end");
  expect_parse_error("tag:a | | tag:b", "at position 9, found \"|\"");
  expect_parse_error("!", "at position 2, found the end");
  expect_parse_error("tag:a && tag:b", "at position 8, found \"&\"");
}

Test(audience, position_counts_characters_not_bytes) {
  expect_parse_error("tag:a & \xe5\xa6\x88\xe5\xa6\x88 x",
                     "at position 9, found \"\xe5\xa6\x88\"");
  expect_parse_error("(tag:\xe5\xa6\x88", "expected a tag name at position 6");
  expect_parse_error("(tag:a \xe5\xa6\x88", "expected \")\" at position 8");
}

Test(audience, nesting_and_length_are_bounded) {
  char text[QF_AUDIENCE_TEXT_MAX + 2];
  memset(text, '(', 40);
  strcpy(text + 40, "all");
  expect_parse_error(text, "nested deeper than 32 at position 33");
  memset(text, '!', 40);
  strcpy(text + 40, "all");
  expect_parse_error(text, "nested deeper than 32");
  memset(text, ' ', sizeof text - 1);
  text[sizeof text - 1] = '\0';
  memcpy(text, "all", 3);
  expect_parse_error(text, "4097 bytes; at most 4096");
}

Test(audience, canonical_text_of_an_accepted_audience_parses) {
  /* "tag:tN|tag:tN+1|..." fits the limit, but its canonical text puts blanks
   * around every "|" and once did not: the text a post stored was refused when
   * parsed again. Now it is refused up front, and anything accepted reparses. */
  char text[QF_AUDIENCE_TEXT_MAX + 1];
  size_t n = 0;
  for (int i = 0; n + 16 < sizeof text; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%stag:t%d", i ? "|" : "", i);
  expect_parse_error(text, "in canonical form");
  /* Half as many terms: accepted, and its canonical text parses again. */
  text[n / 2] = '\0';
  char *bar = strrchr(text, '|');
  *bar = '\0';
  qf_audience *a = NULL, *b = NULL;
  cr_assert_eq(qf_audience_parse(text, &a, NULL, 0), 0);
  char *canon = qf_audience_format(a);
  cr_assert_gt(strlen(canon), strlen(text));
  cr_assert_eq(qf_audience_parse(canon, &b, NULL, 0), 0);
  free(canon);
  qf_audience_free(a);
  qf_audience_free(b);
}

Test(audience, nesting_to_the_limit_parses) {
  char text[100];
  memset(text, '(', 32);
  strcpy(text + 32, "tag:moms");
  memset(text + 40, ')', 32);
  text[72] = '\0';
  expect_groups(text, "g1,g2,g3");
}

Test(audience, tag_selects_its_groups) {
  expect_groups("tag:moms", "g1,g2,g3");
  expect_groups("tag:vip", "g2,sh-01");
  expect_groups("tag:nobody", "");
}

Test(audience, and_binds_tighter_than_or) {
  /* a | b & c is a | (b & c), not (a | b) & c. */
  expect_groups("tag:dads | tag:moms & tag:beijing", "g2,g3,sh-01");
  expect_groups("(tag:dads | tag:moms) & tag:beijing", "g2,g3");
  expect_groups("tag:moms & tag:beijing | tag:dads", "g2,g3,sh-01");
}

Test(audience, not_binds_tighter_than_and) {
  /* !a & b is (!a) & b, not !(a & b). */
  expect_groups("!tag:vip & tag:moms", "g1,g3");
  expect_groups("!(tag:vip & tag:moms)", "g1,g3,sh-01");
  expect_groups("!tag:vip", "g1,g3");
  expect_groups("!!tag:vip", "g2,sh-01");
  expect_groups("!tag:vip | tag:dads", "g1,g3,sh-01");
}

Test(audience, the_design_example) {
  expect_groups("tag:moms & (tag:shanghai | tag:beijing) & !tag:vip", "g1,g3");
  expect_groups("tag:moms&(tag:shanghai|tag:beijing)&!tag:vip", "g1,g3");
}

Test(audience, terms_mix_groups_tags_and_all) {
  expect_groups("group:g1,sh-01 & tag:vip", "sh-01");
  expect_groups("group:g1 | tag:dads", "g1,sh-01");
  expect_groups("all & !tag:moms", "sh-01");
  expect_groups("all | tag:moms", "g1,g2,g3,sh-01");
  expect_groups("all & tag:vip", "g2,sh-01");
  expect_groups("!all", "");
}

/* Counts the universe reads of one evaluation. */
static int reads_of(const char *text) {
  qf_audience *a = NULL;
  collected c = {"", 0};
  cr_assert_eq(qf_audience_parse(text, &a, NULL, 0), 0, "%s", text);
  universe_reads = 0;
  cr_assert_eq(qf_audience_eval(a, &source, collect, &c, NULL, 0), 0);
  qf_audience_free(a);
  return universe_reads;
}

Test(audience, universe_is_read_only_when_needed) {
  cr_assert_eq(reads_of("tag:moms & (tag:shanghai | tag:beijing) & !tag:vip"), 0);
  cr_assert_eq(reads_of("tag:moms | group:sh-01"), 0);
  cr_assert_eq(reads_of("all & tag:vip"), 0);
  cr_assert_eq(reads_of("!tag:vip"), 1);
  cr_assert_eq(reads_of("all"), 1);
}

Test(audience, unknown_group_anywhere_is_refused) {
  qf_audience *a = NULL;
  collected c = {"", 0};
  char why[200] = "";
  cr_assert_eq(qf_audience_parse("tag:moms | !group:g9", &a, why, sizeof why), 0);
  cr_assert_eq(qf_audience_eval(a, &source, collect, &c, why, sizeof why), QF_EINVAL);
  cr_assert_str_eq(why, "audience: unknown group \"g9\"");
  cr_assert_eq(c.count, 0);
  qf_audience_free(a);
}

Test(audience, source_without_tags_matches_no_tag) {
  qf_audience_source plain = {each_known, has_known, NULL, NULL};
  qf_audience *a = NULL;
  collected c = {"", 0};
  cr_assert_eq(qf_audience_parse("tag:moms | group:g2", &a, NULL, 0), 0);
  cr_assert_eq(qf_audience_eval(a, &plain, collect, &c, NULL, 0), 0);
  cr_assert_str_eq(c.text, "g2");
  qf_audience_free(a);
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

static void expect_format(const char *text, const char *want) {
  qf_audience *a = NULL, *b = NULL;
  char *s, *s2;
  cr_assert_eq(qf_audience_parse(text, &a, NULL, 0), 0, "%s", text);
  s = qf_audience_format(a);
  cr_assert_str_eq(s, want);
  cr_assert_eq(qf_audience_parse(s, &b, NULL, 0), 0, "%s", s);
  s2 = qf_audience_format(b);
  cr_assert_str_eq(s2, s);
  free(s);
  free(s2);
  qf_audience_free(a);
  qf_audience_free(b);
}

Test(audience, format_keeps_only_needed_parentheses) {
  expect_format("tag:moms&(tag:shanghai|tag:beijing)&!tag:vip",
                "tag:moms & (tag:shanghai | tag:beijing) & !tag:vip");
  expect_format("((tag:a & tag:b)) & tag:c", "tag:a & tag:b & tag:c");
  expect_format("tag:a | (tag:b | tag:c)", "tag:a | tag:b | tag:c");
  expect_format("(tag:a & tag:b) | tag:c", "tag:a & tag:b | tag:c");
  expect_format("!(tag:a | tag:b)", "!(tag:a | tag:b)");
  expect_format("!(tag:a & tag:b)", "!(tag:a & tag:b)");
  expect_format("! ! tag:a", "!!tag:a");
  expect_format("(all)", "all");
  expect_format("group: g2 ,g1 | tag:x", "group:g1,g2 | tag:x");
}

Test(audience, free_null_is_noop) {
  qf_audience_free(NULL);
}
