/* Per-group templates: variables, tag sections, literals, and the errors the
 * scheduler answers at post time. */
#include "qf/err.h"
#include "qf/template.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static char *tags_vip[] = {"shanghai", "vip"};

static const qf_template_vars vip = {.group_id = "g7",
                                     .group_name = "Moms of Pudong",
                                     .post_id = 42,
                                     .tags = tags_vip,
                                     .ntags = 2};
static const qf_template_vars plain = {.group_id = "g8", .post_id = 42};

static void renders(const char *text, const qf_template_vars *v, const char *want) {
  char *got = NULL, why[QF_TEMPLATE_ERROR_LEN] = "";
  size_t len = 0;
  cr_assert_eq(qf_template_render(text, v, &got, &len, why, sizeof why), 0, "%s: %s",
               text, why);
  cr_assert_str_eq(got, want, "%s", text);
  cr_assert_eq(len, strlen(want));
  free(got);
}

static void refused(const char *text, const char *want_why) {
  char why[QF_TEMPLATE_ERROR_LEN] = "";
  cr_assert_eq(qf_template_check(text, why, sizeof why), QF_EINVAL, "%s", text);
  cr_assert_str_eq(why, want_why, "%s", text);
  char *got = (char *)1;
  size_t len;
  cr_assert_eq(qf_template_render(text, &vip, &got, &len, why, sizeof why), QF_EINVAL);
  cr_assert_null(got);
}

Test(template, plain_text_is_left_alone) {
  cr_assert_not(qf_template_has_vars("hello } {"));
  renders("hello }} {", &vip, "hello }} {");
  renders("", &vip, "");
  cr_assert_eq(qf_template_check("no braces", NULL, 0), 0);
}

Test(template, variables_render_per_group) {
  renders("Hi {{group.name}} ({{group.id}}), post {{post.id}}", &vip,
          "Hi Moms of Pudong (g7), post 42");
  renders("{{ group.name }}", &plain, "g8"); /* no name: the id */
}

Test(template, tag_sections_show_by_presence) {
  const char *t =
      "Sale!{{#tag.vip}} VIP price 9.9{{/tag.vip}}{{^tag.vip}} Join VIP{{/tag.vip}}";
  renders(t, &vip, "Sale! VIP price 9.9");
  renders(t, &plain, "Sale! Join VIP");
  renders("{{#tag.vip}}a{{#tag.shanghai}}b{{/tag.shanghai}}{{^tag.shanghai}}c{{/"
          "tag.shanghai}}{{/tag.vip}}",
          &vip, "ab");
  renders("{{#tag.none}}{{group.id}}{{/tag.none}}x", &vip, "x");
}

Test(template, quoted_literals) {
  renders("{{\"{{\"}}group.id}}", &vip, "{{group.id}}");
}

Test(template, errors_name_what_and_where) {
  refused("Hi {{group.nmae}}", "unknown variable {{group.nmae}} at line 1, column 4");
  refused("a\nb {{x", "{{ without its }} at line 2, column 3");
  refused("{{#tag.vip}}x", "{{#tag.vip}} is never closed at line 1, column 14");
  refused("{{/tag.vip}}", "{{/tag.vip}} closes no section at line 1, column 1");
  refused("{{#tag.a}}{{/tag.b}}", "{{/tag.b}} closes {{#tag.a}} at line 1, column 11");
  refused("{{#group.id}}{{/group.id}}",
          "a section must name a tag: {{#group.id}} at line 1, column 1");
  refused("{{}}", "empty or overlong tag {{}} at line 1, column 1");
  refused("{{ {{group.id}}", "{{ without its }} at line 1, column 1");
}

Test(template, nesting_is_bounded) {
  char t[1024] = "";
  for (int i = 0; i <= QF_TEMPLATE_DEPTH; i++)
    strcat(t, "{{#tag.a}}");
  char why[QF_TEMPLATE_ERROR_LEN];
  cr_assert_eq(qf_template_check(t, why, sizeof why), QF_EINVAL);
  cr_assert(strstr(why, "nested deeper than 8"), "%s", why);
}
