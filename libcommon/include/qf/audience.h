/* Audiences: which groups a post goes to, as an expression over groups and tags.
 *
 * Grammar (blanks between tokens are free):
 *   expr    = and { "|" and }
 *   and     = unary { "&" unary }
 *   unary   = "!" unary | primary
 *   primary = "all" | "group:" ID { "," ID } | "tag:" NAME | "(" expr ")"
 * so `!` binds tighter than `&`, which binds tighter than `|`:
 * `tag:moms & (tag:shanghai | tag:beijing) & !tag:vip`. Ids and tag names are as
 * in group.h ([A-Za-z0-9._:@-], at most 128 characters). An expression is at most
 * QF_AUDIENCE_TEXT_MAX bytes and nests at most QF_AUDIENCE_DEPTH_MAX deep.
 *
 * Evaluation never scans by itself: it asks a source (the caller's group index)
 * for the groups carrying a tag, and for every group only where the expression
 * needs the universe (`all`, or a negation with nothing positive beside it:
 * `a & !b` is a minus b; `!b` alone is every group minus b). It emits the
 * matching group ids once each, in ascending byte order. */
#ifndef QF_AUDIENCE_H
#define QF_AUDIENCE_H
#include <stddef.h>

#define QF_AUDIENCE_TEXT_MAX 4096
#define QF_AUDIENCE_DEPTH_MAX 32

typedef struct qf_audience qf_audience;

/* Called for each group id (borrowed: valid during the call); return 0 to go on,
 * non-zero to stop (that value is returned by whoever called the iterator). */
typedef int (*qf_audience_id_fn)(const char *id, void *arg);

/* The caller's view of its groups. */
typedef struct qf_audience_source {
  /* Calls fn for every group id in ascending byte order; returns 0, fn's
   * non-zero value, or a negative qf error. */
  int (*each_group)(void *src, qf_audience_id_fn fn, void *arg);
  /* 1 if a group with this id exists, 0 if not, or a negative qf error. */
  int (*has_group)(void *src, const char *id);
  void *src;
  /* Calls fn for every group carrying tag, ascending, each once; returns like
   * each_group. NULL: no group carries any tag. */
  int (*each_tagged)(void *src, const char *tag, qf_audience_id_fn fn, void *arg);
} qf_audience_source;

/* Parses text into *out (caller frees with qf_audience_free). On QF_EINVAL, *out
 * is NULL and why holds a sentence naming the position (1-based, in characters)
 * and what was expected, e.g. `audience: expected ")" at position 23, found the
 * end`. */
int qf_audience_parse(const char *text, qf_audience **out, char *why, size_t len);
/* NULL is a no-op. */
void qf_audience_free(qf_audience *a);

/* Emits every matching group id, ascending, each once. Returns 0; QF_EINVAL with
 * a sentence in why when the audience names a group the source does not know
 * (nothing is emitted then); emit's non-zero value if it stopped; or the
 * source's negative error. */
int qf_audience_eval(const qf_audience *a, const qf_audience_source *src,
                     qf_audience_id_fn emit, void *arg, char *why, size_t len);

/* The canonical text of a, newly allocated (caller frees with free()): single
 * blanks around & and |, group lists sorted and unique, parentheses only where
 * precedence needs them ("tag:a & (tag:b | !tag:c)"). It parses to the same
 * expression. */
char *qf_audience_format(const qf_audience *a);

#endif
