/* Per-group templates in post texts: the dispatcher renders a text once per
 * group; the scheduler checks it when the post is created, so a template error
 * is the content team's error at post time, never a failed send later.
 *
 *   {{group.id}}    the group's id
 *   {{group.name}}  the group's name (its id when the group has no name)
 *   {{post.id}}     the post's id (decimal)
 *   {{#tag.vip}}...{{/tag.vip}}  the inside only for groups tagged vip
 *   {{^tag.vip}}...{{/tag.vip}}  the inside only for groups not tagged vip
 *   {{"{{"}}        a quoted literal: the text between the quotes, as is
 *
 * Sections nest (at most QF_TEMPLATE_DEPTH deep) and close in order. Spaces
 * inside the braces are allowed ({{ group.name }}). Anything else between
 * {{ and }} is an error, as is a {{ without its }} or a section left open; a
 * "}}" outside a tag is plain text. A text without "{{" is sent as is.
 *
 * Pure code; thread-safe. Errors name what is wrong and where, e.g.
 * "unknown variable {{group.nmae}} at line 1, column 7". */
#ifndef QF_TEMPLATE_H
#define QF_TEMPLATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QF_TEMPLATE_DEPTH 8
#define QF_TEMPLATE_ERROR_LEN 160

/* What a group's rendering knows. Every pointer is borrowed for the call. */
typedef struct qf_template_vars {
  const char *group_id;
  const char *group_name; /* NULL or "" = group_id */
  uint64_t post_id;
  char *const *tags; /* the group's tags */
  size_t ntags;
} qf_template_vars;

/* True when text has anything to render (contains "{{"). */
bool qf_template_has_vars(const char *text);

/* Checks text without rendering it. 0, or QF_EINVAL with a sentence in why. */
int qf_template_check(const char *text, char *why, size_t wlen);

/* Renders text for vars into a new NUL-terminated string *out (caller frees)
 * of *out_len bytes. QF_EINVAL (why says what) when text does not check. */
int qf_template_render(const char *text, const qf_template_vars *vars, char **out,
                       size_t *out_len, char *why, size_t wlen);

#endif
