/* Group import files: JSON Lines (one group object per line) or CSV (RFC 4180,
 * header row naming the columns id,name,tags,dialect,url,tz,rate,account,quiet,
 * daily_cap; tags separated by ';'). A file is parsed and every group validated
 * (qf_group_validate) before anything is used, so a bad line rejects the whole
 * file.
 *
 * JSON Lines: each non-blank line is one object with the string fields id, name,
 * dialect, url, tz, rate, account, quiet, the array of strings tags and the
 * whole number daily_cap (a CSV field holds its digits); id, dialect and url are
 * required, the others may be missing or null. Unknown fields are rejected (a
 * misspelt field would otherwise be silently dropped).
 *
 * CSV: the header names the columns, in any order; id, dialect and url are
 * required, unknown columns are rejected. Every record has as many fields as the
 * header. Fields with commas, quotes or line breaks are quoted ("a ""b"", c"); a
 * quoted field may span lines, and its errors name the line the record starts on.
 *
 * Both: a UTF-8 byte order mark and CRLF line ends are accepted; blank lines are
 * skipped. When one id appears more than once, the last occurrence wins (a file
 * is an upsert of its groups, as re-importing it is); the set keeps the winners
 * in the order of their lines. */
#ifndef QF_GROUP_IMPORT_H
#define QF_GROUP_IMPORT_H
#include <stddef.h>

#include "model.pb-c.h"

typedef enum qf_import_format {
  QF_IMPORT_AUTO,  /* decide with qf_group_import_detect */
  QF_IMPORT_JSONL, /* JSON Lines */
  QF_IMPORT_CSV,
} qf_import_format;

/* The parsed, validated, de-duplicated groups of one file. Opaque. */
typedef struct qf_group_set qf_group_set;

/* The format of a file: by the extension of name (".csv" is CSV; ".jsonl",
 * ".ndjson" and ".json" are JSON Lines), else by the first non-blank character of
 * data ('{' or '[' is JSON Lines), else CSV. name and data may be NULL. */
qf_import_format qf_group_import_detect(const char *name, const char *data, size_t len);

/* Parses len bytes of data (borrowed; need not be NUL-terminated) in format fmt
 * (QF_IMPORT_AUTO detects from the content alone). On 0, *out is a new set the
 * caller frees with qf_group_set_free. On QF_EINVAL, *out is NULL, *line is the
 * 1-based line the problem is on (0 when it concerns no line) and why holds a
 * sentence without the line number, e.g. "field \"url\": must start with http://
 * or https://". Sentences never quote a url. Allocation failure aborts (services'
 * policy, qf/alloc.h). */
int qf_group_import_parse(const char *data, size_t len, qf_import_format fmt,
                          qf_group_set **out, size_t *line, char *why, size_t whylen);

/* The number of distinct groups in the set. */
size_t qf_group_set_count(const qf_group_set *set);
/* The groups, qf_group_set_count of them; borrowed, valid until the set is freed. */
Qunfa__Group *const *qf_group_set_groups(const qf_group_set *set);
/* The line each group came from (same order as qf_group_set_groups). */
const size_t *qf_group_set_lines(const qf_group_set *set);
/* Frees the set and its groups. NULL is a no-op. */
void qf_group_set_free(qf_group_set *set);

#endif
