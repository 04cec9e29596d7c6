/* Audiences: which groups a post goes to, as an expression over groups.
 *
 * Grammar today: `all` | `group:ID[,ID...]` (ids as in group.h). Tag expressions
 * (`tag:moms & (tag:sh | tag:bj) & !tag:vip`) come next: they will be parsed by the
 * same qf_audience_parse and evaluated through the same source, which will then
 * also be asked for the groups carrying a tag; callers do not change.
 *
 * Evaluation never scans by itself: it asks a source (the caller's group index)
 * for what it needs and emits the matching group ids once each, in ascending
 * byte order. */
#ifndef QF_AUDIENCE_H
#define QF_AUDIENCE_H
#include <stddef.h>

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
} qf_audience_source;

/* Parses text into *out (caller frees with qf_audience_free). On QF_EINVAL, why
 * holds a sentence naming the position (1-based, in characters), e.g.
 * `audience: unexpected "foo" at position 1; expected all or group:ID,...`. */
int qf_audience_parse(const char *text, qf_audience **out, char *why, size_t len);
/* NULL is a no-op. */
void qf_audience_free(qf_audience *a);

/* Emits every matching group id, ascending, each once. Returns 0; QF_EINVAL with
 * a sentence in why when the audience names a group the source does not know;
 * emit's non-zero value if it stopped; or the source's negative error. */
int qf_audience_eval(const qf_audience *a, const qf_audience_source *src,
                     qf_audience_id_fn emit, void *arg, char *why, size_t len);

/* The canonical text of a ("all", "group:a,b" with ids sorted and unique), newly
 * allocated (caller frees with free()). */
char *qf_audience_format(const qf_audience *a);

#endif
