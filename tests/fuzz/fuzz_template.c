/* libFuzzer target: per-group templates (qf/template.h), as a client sends them in
 * a post's text; the scheduler checks them and the dispatcher renders them once
 * per group.
 *
 * Input: one byte choosing the tags of the fuzzed group (bit i = tag_pool[i]),
 * then the text.
 *
 * Properties:
 *  - any text checks or is refused with a sentence that names its line and
 *    column (also in the scheduler's QF_TEMPLATE_ERROR_LEN buffer), inside the
 *    text; a sentence about valid UTF-8 text is valid UTF-8;
 *  - a text that checks renders for every group without error, and one that
 *    does not is refused by render with the same sentence;
 *  - a text without "{{" renders to itself;
 *  - the output is at most strlen(text) + (strlen(text) / 11) x the longest
 *    value (a variable tag takes 11 bytes or more, "{{post.id}}");
 *  - values are inserted verbatim, never rendered again: a group name made of
 *    template syntax lengthens the output by exactly its length at each place
 *    the name is shown;
 *  - the order of a group's tags does not matter, and a text without sections
 *    renders the same whatever the tags. */
#include "fuzz.h"

#include <stdbool.h>

#include "qf/err.h"
#include "qf/group.h"
#include "qf/template.h"

static char *const tag_pool[] = {"vip", "a", "b",   "shanghai",
                                 "x.y", "1", "a-b", "@:_."};

/* Template syntax as a name: rendering it again would change its length. */
static const char hostile_name[] = "{{post.id}} }}{{#tag.vip}}{{\"{{\"}}{{/tag.vip}}{{";

static const char *render(const char *text, const qf_template_vars *v, size_t *len,
                          char *why, size_t wlen) {
  char *out = NULL;
  int rc = qf_template_render(text, v, &out, len, why, wlen);
  FUZZ_CHECK(rc == 0 || rc == QF_EINVAL, "render rc %d", rc);
  FUZZ_CHECK((rc == 0) == (out != NULL), "rc %d with out %p", rc, (void *)out);
  if (out)
    FUZZ_CHECK(strlen(out) == *len, "out_len %zu for %zu bytes", *len, strlen(out));
  return out;
}

/* Strict UTF-8 (as qf_group_validate checks names). */
static bool utf8_ok(const unsigned char *p) {
  while (*p) {
    size_t n = *p < 0x80             ? 1
               : (*p & 0xe0) == 0xc0 ? 2
               : (*p & 0xf0) == 0xe0 ? 3
               : (*p & 0xf8) == 0xf0 ? 4
                                     : 0;
    if (n == 0 || (n == 2 && *p < 0xc2) || (n == 4 && *p > 0xf4))
      return false;
    for (size_t i = 1; i < n; i++)
      if ((p[i] & 0xc0) != 0x80)
        return false;
    if (n == 3 && ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] > 0x9f)))
      return false;
    if (n == 4 && ((*p == 0xf0 && p[1] < 0x90) || (*p == 0xf4 && p[1] > 0x8f)))
      return false;
    p += n;
  }
  return true;
}

/* The sentence of a refused text names a position inside it. */
static void check_refusal(const char *text, const char *why) {
  const char *at = NULL; /* the last one: a quoted tag may hold the words */
  for (const char *p = why; (p = strstr(p, " at line ")); p++)
    at = p;
  FUZZ_CHECK(at != NULL, "no position in \"%s\"", why);
  int line = 0, col = 0;
  FUZZ_CHECK(sscanf(at, " at line %d, column %d", &line, &col) == 2, "\"%s\"", why);
  int lines = 1;
  size_t start = 0, n = strlen(text);
  for (size_t i = 0; i < n; i++)
    if (text[i] == '\n')
      lines++, start = i + 1;
  FUZZ_CHECK(line >= 1 && line <= lines && col >= 1, "line %d col %d", line, col);
  FUZZ_CHECK(line < lines || (size_t)col <= n - start + 1, "column %d past the end",
             col);
  if (utf8_ok((const unsigned char *)text))
    FUZZ_CHECK(utf8_ok((const unsigned char *)why), "sentence not UTF-8: %s", why);
}

static size_t longest_value(const qf_template_vars *v) {
  size_t m = 20; /* UINT64_MAX in decimal */
  if (v->group_id && strlen(v->group_id) > m)
    m = strlen(v->group_id);
  if (v->group_name && strlen(v->group_name) > m)
    m = strlen(v->group_name);
  return m;
}

/* Renders text for v, which it must, within the bound; returns the output. */
static char *render_ok(const char *text, const qf_template_vars *v, size_t *len) {
  char why[QF_TEMPLATE_ERROR_LEN] = "";
  char *out = (char *)render(text, v, len, why, sizeof why);
  FUZZ_CHECK(out != NULL, "checked text not rendered: %s", why);
  size_t n = strlen(text);
  FUZZ_CHECK(*len <= n + n / 11 * longest_value(v), "%zu bytes from %zu", *len, n);
  return out;
}

/* Renders for v with the name replaced by name; its output's length. */
static size_t len_with_name(const char *text, qf_template_vars v, const char *name) {
  v.group_name = name;
  size_t len;
  free(render_ok(text, &v, &len));
  return len;
}

static void check_groups(const char *text, uint8_t mask) {
  char *tags[8], *reversed[8];
  size_t ntags = 0;
  for (size_t i = 0; i < 8; i++)
    if (mask & (1u << i))
      tags[ntags++] = tag_pool[i];
  for (size_t i = 0; i < ntags; i++)
    reversed[i] = tags[ntags - 1 - i];
  char long_id[QF_GROUP_ID_MAX + 1], long_name[QF_GROUP_NAME_MAX + 1] = "";
  memset(long_id, 'i', QF_GROUP_ID_MAX);
  long_id[QF_GROUP_ID_MAX] = '\0';
  while (strlen(long_name) + 3 <= QF_GROUP_NAME_MAX)
    strcat(long_name, "群");

  qf_template_vars g = {
      .group_id = "g7", .group_name = "x", .post_id = 42, .tags = tags, .ntags = ntags};
  qf_template_vars others[] = {
      {.group_id = "g8"},
      {.group_id = long_id, .group_name = long_name, .post_id = UINT64_MAX},
      {.group_id = "g9", .group_name = "", .tags = reversed, .ntags = ntags},
  };
  size_t base, len;
  char *out = render_ok(text, &g, &base);
  if (!strstr(text, "{{"))
    FUZZ_CHECK(strcmp(out, text) == 0, "plain text changed: \"%s\"", out);
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
    free(render_ok(text, &others[i], &len));

  /* Verbatim values: k places show the name, the "xy" name tells k. */
  size_t k = len_with_name(text, g, "xy") - base;
  size_t hostile = len_with_name(text, g, hostile_name);
  FUZZ_CHECK(hostile == base + k * (sizeof hostile_name - 2),
             "name shown %zu times, output %zu bytes instead of %zu", k, hostile,
             base + k * (sizeof hostile_name - 2));

  qf_template_vars r = g, none = g;
  r.tags = reversed;
  none.ntags = 0;
  char *out_r = render_ok(text, &r, &len);
  FUZZ_CHECK(strcmp(out, out_r) == 0, "tag order matters: \"%s\" / \"%s\"", out, out_r);
  free(out_r);
  if (!strchr(text, '#') && !strchr(text, '^')) {
    char *out_n = render_ok(text, &none, &len);
    FUZZ_CHECK(strcmp(out, out_n) == 0, "tags matter without sections");
    free(out_n);
  }
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384)
    return 0;
  uint8_t mask = (uint8_t)fuzz_take(&data, &size, 1);
  char *text = fuzz_strndup(data, size);
  char why[QF_TEMPLATE_ERROR_LEN] = "", tiny[6];
  int rc = qf_template_check(text, why, sizeof why);
  FUZZ_CHECK(rc == 0 || rc == QF_EINVAL, "check rc %d", rc);
  FUZZ_CHECK(qf_template_check(text, tiny, sizeof tiny) == rc, "depends on buffer");
  FUZZ_CHECK(qf_template_check(text, NULL, 0) == rc, "depends on a buffer");
  FUZZ_CHECK(qf_template_has_vars(text) == (strstr(text, "{{") != NULL), "has_vars");
  if (rc == 0) {
    check_groups(text, mask);
  } else {
    check_refusal(text, why);
    char why2[QF_TEMPLATE_ERROR_LEN] = "";
    size_t len;
    qf_template_vars g = {.group_id = "g1", .tags = tag_pool, .ntags = 8};
    FUZZ_CHECK(render(text, &g, &len, why2, sizeof why2) == NULL,
               "refused text rendered");
    FUZZ_CHECK(strcmp(why, why2) == 0, "\"%s\" / \"%s\"", why, why2);
  }
  free(text);
  return 0;
}
