/* Group import files (JSON Lines and CSV) into a validated, de-duplicated set.
 * Parsing runs to the end or to the first problem; nothing partial escapes. */
#include "qf/group_import.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/group.h"

struct qf_group_set {
  Qunfa__Group **groups;
  size_t *lines;
  size_t n, cap;
};

/* The fields of a group, in the order of the CSV header the docs show. */
enum field {
  F_ID,
  F_NAME,
  F_TAGS,
  F_DIALECT,
  F_URL,
  F_TZ,
  F_RATE,
  F_ACCOUNT,
  F_QUIET,
  F_DAILY_CAP,
  F_COUNT
};
static const char *const field_names[F_COUNT] = {"id",    "name",     "tags", "dialect",
                                                 "url",   "tz",       "rate", "account",
                                                 "quiet", "daily_cap"};
#define COLUMNS "id,name,tags,dialect,url,tz,rate,account,quiet,daily_cap"
static const bool field_required[F_COUNT] = {
    [F_ID] = true, [F_DIALECT] = true, [F_URL] = true};

/* Where the parse stands and, on failure, what went wrong where. */
typedef struct parse {
  qf_group_set *set;
  size_t line;
  char *why;
  size_t whylen;
} parse;

static int fail(parse *ps, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(parse *ps, size_t line, const char *fmt, ...) {
  ps->line = line;
  if (ps->why && ps->whylen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->why, ps->whylen, fmt, ap);
    va_end(ap);
  }
  return QF_EINVAL;
}

/* ---- groups and the set ---- */

static Qunfa__Group *group_new(void) {
  Qunfa__Group *g = qf_malloc(sizeof *g);
  qunfa__group__init(g);
  /* Every string is owned, so one free routine fits all. */
  g->id = qf_strdup("");
  g->name = qf_strdup("");
  g->dialect = qf_strdup("");
  g->url = qf_strdup("");
  g->tz = qf_strdup("");
  g->rate = qf_strdup("");
  g->account = qf_strdup("");
  g->quiet = qf_strdup("");
  return g;
}

static void group_free(Qunfa__Group *g) {
  if (!g)
    return;
  free(g->id);
  free(g->name);
  free(g->dialect);
  free(g->url);
  free(g->tz);
  free(g->rate);
  free(g->account);
  free(g->quiet);
  for (size_t i = 0; i < g->n_tags; i++)
    free(g->tags[i]);
  free(g->tags);
  free(g);
}

static void group_add_tag(Qunfa__Group *g, const char *s, size_t n) {
  g->tags = qf_realloc(g->tags, (g->n_tags + 1) * sizeof *g->tags);
  g->tags[g->n_tags++] = qf_strndup(s, n);
}

static char **string_slot(Qunfa__Group *g, enum field f) {
  switch (f) {
  case F_ID:
    return &g->id;
  case F_NAME:
    return &g->name;
  case F_DIALECT:
    return &g->dialect;
  case F_URL:
    return &g->url;
  case F_TZ:
    return &g->tz;
  case F_RATE:
    return &g->rate;
  case F_ACCOUNT:
    return &g->account;
  case F_QUIET:
    return &g->quiet;
  case F_TAGS:
  case F_DAILY_CAP:
  case F_COUNT:
    break;
  }
  return NULL;
}

static void group_set_string(Qunfa__Group *g, enum field f, const char *s) {
  char **slot = string_slot(g, f);
  free(*slot);
  *slot = qf_strdup(s);
}

static void set_add(qf_group_set *set, Qunfa__Group *g, size_t line) {
  if (set->n == set->cap) {
    set->cap = set->cap ? set->cap * 2 : 64;
    set->groups = qf_realloc(set->groups, set->cap * sizeof *set->groups);
    set->lines = qf_realloc(set->lines, set->cap * sizeof *set->lines);
  }
  set->groups[set->n] = g;
  set->lines[set->n++] = line;
}

void qf_group_set_free(qf_group_set *set) {
  if (!set)
    return;
  for (size_t i = 0; i < set->n; i++)
    group_free(set->groups[i]);
  free(set->groups);
  free(set->lines);
  free(set);
}

size_t qf_group_set_count(const qf_group_set *set) {
  return set->n;
}

Qunfa__Group *const *qf_group_set_groups(const qf_group_set *set) {
  return set->groups;
}

const size_t *qf_group_set_lines(const qf_group_set *set) {
  return set->lines;
}

typedef struct id_pos {
  const char *id;
  size_t pos;
} id_pos;

static int cmp_id_pos(const void *a, const void *b) {
  const id_pos *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  if (c != 0)
    return c;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Keeps the last occurrence of each id, in file order. */
static void set_dedup(qf_group_set *set) {
  id_pos *ix;
  bool *drop;
  size_t n = 0;

  if (set->n < 2)
    return;
  ix = qf_malloc(set->n * sizeof *ix);
  drop = qf_calloc(set->n, sizeof *drop);
  for (size_t i = 0; i < set->n; i++)
    ix[i] = (id_pos){set->groups[i]->id, i};
  qsort(ix, set->n, sizeof *ix, cmp_id_pos);
  for (size_t i = 0; i + 1 < set->n; i++) {
    if (strcmp(ix[i].id, ix[i + 1].id) == 0)
      drop[ix[i].pos] = true;
  }
  for (size_t i = 0; i < set->n; i++) {
    if (drop[i]) {
      group_free(set->groups[i]);
      continue;
    }
    set->groups[n] = set->groups[i];
    set->lines[n++] = set->lines[i];
  }
  set->n = n;
  free(drop);
  free(ix);
}

/* Validates a complete group and adds it; takes g in every case. */
static int finish_group(parse *ps, Qunfa__Group *g, const bool *seen, size_t line) {
  char why[256];

  for (int f = 0; f < F_COUNT; f++) {
    if (field_required[f] && !seen[f]) {
      group_free(g);
      return fail(ps, line, "field \"%s\": missing", field_names[f]);
    }
  }
  if (qf_group_validate(g, why, sizeof why) != 0) {
    group_free(g);
    return fail(ps, line, "%s", why);
  }
  set_add(ps->set, g, line);
  return 0;
}

static int field_lookup(const char *name, size_t n) {
  for (int f = 0; f < F_COUNT; f++) {
    if (strlen(field_names[f]) == n && strncasecmp(field_names[f], name, n) == 0)
      return f;
  }
  return -1;
}

/* Names in messages are quoted only when they are plain, so a message never
 * carries control characters or a stray secret-looking blob. */
static bool plain_name(const char *s, size_t n) {
  if (n == 0 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
      return false;
  }
  return true;
}

/* ---- JSON Lines ---- */

static int json_tags(parse *ps, Qunfa__Group *g, json_t *v, size_t line) {
  size_t i;
  json_t *t;

  if (json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return fail(ps, line, "field \"tags\": must be an array of strings");
  json_array_foreach(v, i, t) {
    if (!json_is_string(t))
      return fail(ps, line, "field \"tags\": must be an array of strings");
    group_add_tag(g, json_string_value(t), json_string_length(t));
  }
  return 0;
}

#define DAILY_CAP_WHY                                                                  \
  "field \"daily_cap\": must be a whole number from 0 (no cap) to 10000"

/* daily_cap from text (a CSV field; blank is 0). */
static int parse_daily_cap(parse *ps, Qunfa__Group *g, const char *s, size_t line) {
  uint32_t n = 0;
  size_t i = 0;

  while (isspace((unsigned char)s[i]))
    i++;
  for (; s[i] >= '0' && s[i] <= '9'; i++) {
    n = n * 10 + (uint32_t)(s[i] - '0');
    if (n > QF_GROUP_DAILY_CAP_MAX)
      return fail(ps, line, DAILY_CAP_WHY);
  }
  while (isspace((unsigned char)s[i]))
    i++;
  if (s[i] != '\0')
    return fail(ps, line, DAILY_CAP_WHY);
  g->daily_cap = n;
  return 0;
}

static int json_daily_cap(parse *ps, Qunfa__Group *g, json_t *v, size_t line) {
  json_int_t n;

  if (json_is_null(v))
    return 0;
  if (!json_is_integer(v))
    return fail(ps, line, DAILY_CAP_WHY);
  n = json_integer_value(v);
  if (n < 0 || n > QF_GROUP_DAILY_CAP_MAX)
    return fail(ps, line, DAILY_CAP_WHY);
  g->daily_cap = (uint32_t)n;
  return 0;
}

static int json_field(parse *ps, Qunfa__Group *g, bool *seen, const char *key,
                      json_t *v, size_t line) {
  int f = field_lookup(key, strlen(key));

  if (f < 0 || strcmp(key, field_names[f]) != 0) {
    if (plain_name(key, strlen(key)))
      return fail(ps, line, "unknown field \"%s\"", key);
    return fail(ps, line, "unknown field");
  }
  seen[f] = !json_is_null(v);
  if (f == F_TAGS)
    return json_tags(ps, g, v, line);
  if (f == F_DAILY_CAP)
    return json_daily_cap(ps, g, v, line);
  if (json_is_null(v))
    return 0;
  if (!json_is_string(v))
    return fail(ps, line, "field \"%s\": must be a string", key);
  if (strlen(json_string_value(v)) != json_string_length(v))
    return fail(ps, line, "field \"%s\": holds a NUL character", key);
  group_set_string(g, (enum field)f, json_string_value(v));
  return 0;
}

static int json_line(parse *ps, const char *s, size_t n, size_t line) {
  json_error_t jerr;
  json_t *obj = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
  Qunfa__Group *g;
  bool seen[F_COUNT] = {false};
  const char *key;
  json_t *v;
  int rc = 0;

  if (!obj)
    return fail(ps, line, "not valid JSON (column %d: %s)", jerr.column, jerr.text);
  if (!json_is_object(obj)) {
    json_decref(obj);
    if (n > 0 && s[0] == '[')
      return fail(ps, line,
                  "a JSON array is not supported: write one group object "
                  "per line (JSON Lines)");
    return fail(ps, line, "expected a JSON object");
  }
  g = group_new();
  json_object_foreach(obj, key, v) {
    if ((rc = json_field(ps, g, seen, key, v, line)) != 0)
      break;
  }
  json_decref(obj);
  if (rc != 0) {
    group_free(g);
    return rc;
  }
  return finish_group(ps, g, seen, line);
}

static bool blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
      return false;
  }
  return true;
}

static int parse_jsonl(parse *ps, const char *data, size_t len) {
  size_t pos = 0, line = 0;

  while (pos < len) {
    const char *nl = memchr(data + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - data) : len;
    size_t n = end - pos;
    int rc;

    line++;
    if (n > 0 && data[pos + n - 1] == '\r')
      n--;
    if (!blank(data + pos, n) && (rc = json_line(ps, data + pos, n, line)) != 0)
      return rc;
    pos = end + 1;
  }
  return 0;
}

/* ---- CSV (RFC 4180) ---- */

typedef struct csv {
  const char *data;
  size_t len, pos;
  size_t line; /* line of data[pos] */
} csv;

typedef struct strbuf {
  char *s;
  size_t n, cap;
} strbuf;

static void sb_put(strbuf *b, char c) {
  if (b->n + 1 >= b->cap) {
    b->cap = b->cap ? b->cap * 2 : 64;
    b->s = qf_realloc(b->s, b->cap);
  }
  b->s[b->n++] = c;
  b->s[b->n] = '\0';
}

typedef struct record {
  char **fields;
  size_t n;
  size_t line; /* where the record starts */
} record;

static void record_clear(record *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->fields[i]);
  free(r->fields);
  r->fields = NULL;
  r->n = 0;
}

static void record_add(record *r, strbuf *b) {
  r->fields = qf_realloc(r->fields, (r->n + 1) * sizeof *r->fields);
  r->fields[r->n++] = b->s ? b->s : qf_strdup("");
  *b = (strbuf){0};
}

/* At a line end ("\n" or "\r\n") or the end of data: consumes it, returns true. */
static bool at_eol(csv *p) {
  if (p->pos >= p->len)
    return true;
  if (p->data[p->pos] == '\n') {
    p->pos++;
    p->line++;
    return true;
  }
  if (p->data[p->pos] == '\r' && p->pos + 1 < p->len && p->data[p->pos + 1] == '\n') {
    p->pos += 2;
    p->line++;
    return true;
  }
  return false;
}

/* After a field: a comma (more fields follow) or a line end. */
static int field_end(parse *ps, csv *p, const record *r, bool *last) {
  if (at_eol(p)) {
    *last = true;
    return 0;
  }
  if (p->data[p->pos] == ',') {
    p->pos++;
    *last = false;
    return 0;
  }
  return fail(ps, r->line,
              "unexpected character after a closing quote (write a quote inside a "
              "quoted field as \"\")");
}

static int quoted_field(parse *ps, csv *p, const record *r, strbuf *b) {
  p->pos++; /* the opening quote */
  for (;;) {
    if (p->pos >= p->len)
      return fail(ps, r->line, "quoted field is never closed");
    char c = p->data[p->pos++];
    if (c == '"') {
      if (p->pos < p->len && p->data[p->pos] == '"') {
        p->pos++;
        sb_put(b, '"');
        continue;
      }
      return 0;
    }
    if (c == '\n')
      p->line++;
    sb_put(b, c);
  }
}

static int plain_field(parse *ps, csv *p, const record *r, strbuf *b) {
  while (p->pos < p->len) {
    char c = p->data[p->pos];
    if (c == ',' || c == '\n' ||
        (c == '\r' && p->pos + 1 < p->len && p->data[p->pos + 1] == '\n'))
      return 0;
    if (c == '"')
      return fail(ps, r->line,
                  "a quote inside an unquoted field (quote the whole field)");
    sb_put(b, c);
    p->pos++;
  }
  return 0;
}

/* Skips blank lines; false at the end of data. */
static bool skip_blank_lines(csv *p) {
  while (p->pos < p->len) {
    const char *nl = memchr(p->data + p->pos, '\n', p->len - p->pos);
    size_t end = nl ? (size_t)(nl - p->data) : p->len;
    if (!blank(p->data + p->pos, end - p->pos))
      return true;
    p->pos = nl ? end + 1 : p->len;
    p->line++;
  }
  return false;
}

/* Reads the next record into r (cleared first). 1 = a record, 0 = end of data. */
static int csv_next(parse *ps, csv *p, record *r, size_t max_fields) {
  bool last = false;

  record_clear(r);
  if (!skip_blank_lines(p))
    return 0;
  r->line = p->line;
  while (!last) {
    strbuf b = {0};
    int rc = p->pos < p->len && p->data[p->pos] == '"' ? quoted_field(ps, p, r, &b)
                                                       : plain_field(ps, p, r, &b);
    if (rc == 0)
      rc = field_end(ps, p, r, &last);
    if (rc != 0) {
      free(b.s);
      return rc;
    }
    record_add(r, &b);
    if (r->n > max_fields)
      return fail(ps, r->line, "more fields than the header has (%zu)", max_fields);
  }
  return 1;
}

static void trim(char *s) {
  size_t n = strlen(s), start = 0;
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    n--;
  while (start < n && (s[start] == ' ' || s[start] == '\t'))
    start++;
  memmove(s, s + start, n - start);
  s[n - start] = '\0';
}

/* Maps each column of the header to a field. */
static int csv_header(parse *ps, const record *r, int *cols) {
  bool seen[F_COUNT] = {false};

  for (size_t i = 0; i < r->n; i++) {
    char *name = r->fields[i];
    trim(name);
    int f = field_lookup(name, strlen(name));
    if (f < 0) {
      if (plain_name(name, strlen(name)))
        return fail(ps, r->line, "unknown column \"%s\" (columns: " COLUMNS ")", name);
      return fail(ps, r->line, "header: column %zu is not one of " COLUMNS, i + 1);
    }
    if (seen[f])
      return fail(ps, r->line, "column \"%s\" appears twice", field_names[f]);
    seen[f] = true;
    cols[i] = f;
  }
  for (int f = 0; f < F_COUNT; f++) {
    if (field_required[f] && !seen[f])
      return fail(ps, r->line, "the header lacks the column \"%s\"", field_names[f]);
  }
  return 0;
}

static void split_tags(Qunfa__Group *g, const char *s) {
  while (*s) {
    size_t n = strcspn(s, ";");
    size_t a = 0, b = n;
    while (a < b && isspace((unsigned char)s[a]))
      a++;
    while (b > a && isspace((unsigned char)s[b - 1]))
      b--;
    if (b > a)
      group_add_tag(g, s + a, b - a);
    s += n;
    if (*s == ';')
      s++;
  }
}

static int csv_group(parse *ps, const record *r, const int *cols, size_t ncols) {
  Qunfa__Group *g;
  bool seen[F_COUNT] = {false};

  if (r->n != ncols)
    return fail(ps, r->line, "%zu fields, but the header has %zu", r->n, ncols);
  g = group_new();
  for (size_t i = 0; i < ncols; i++) {
    seen[cols[i]] = true;
    if (cols[i] == F_TAGS) {
      split_tags(g, r->fields[i]);
    } else if (cols[i] == F_DAILY_CAP) {
      if (parse_daily_cap(ps, g, r->fields[i], r->line) != 0) {
        group_free(g);
        return QF_EINVAL;
      }
    } else {
      group_set_string(g, (enum field)cols[i], r->fields[i]);
    }
  }
  return finish_group(ps, g, seen, r->line);
}

static int parse_csv(parse *ps, const char *data, size_t len) {
  csv p = {.data = data, .len = len, .line = 1};
  record r = {0};
  int cols[F_COUNT];
  size_t ncols;
  int rc;

  rc = csv_next(ps, &p, &r, F_COUNT);
  if (rc <= 0)
    goto out; /* an empty file holds no groups */
  if ((rc = csv_header(ps, &r, cols)) != 0)
    goto out;
  ncols = r.n;
  while ((rc = csv_next(ps, &p, &r, ncols)) == 1) {
    if ((rc = csv_group(ps, &r, cols, ncols)) != 0)
      goto out;
  }
out:
  record_clear(&r);
  return rc < 0 ? rc : 0;
}

/* ---- entry points ---- */

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

qf_import_format qf_group_import_detect(const char *name, const char *data,
                                        size_t len) {
  if (name && ends_with(name, ".csv"))
    return QF_IMPORT_CSV;
  if (name && (ends_with(name, ".jsonl") || ends_with(name, ".ndjson") ||
               ends_with(name, ".json")))
    return QF_IMPORT_JSONL;
  for (size_t i = 0; data && i < len; i++) {
    if (isspace((unsigned char)data[i]))
      continue;
    return data[i] == '{' || data[i] == '[' ? QF_IMPORT_JSONL : QF_IMPORT_CSV;
  }
  return QF_IMPORT_CSV;
}

/* A NUL byte would cut strings short without a word: name its line instead. */
static int check_no_nul(parse *ps, const char *data, size_t len) {
  const char *z = memchr(data, '\0', len);
  size_t line = 1;

  if (!z)
    return 0;
  for (const char *p = data; p < z; p++)
    line += *p == '\n';
  return fail(ps, line, "holds a NUL byte (is this a text file?)");
}

int qf_group_import_parse(const char *data, size_t len, qf_import_format fmt,
                          qf_group_set **out, size_t *line, char *why, size_t whylen) {
  parse ps = {.why = why, .whylen = whylen};
  int rc;

  *out = NULL;
  if (why && whylen > 0)
    why[0] = '\0';
  if (!data)
    len = 0;
  if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    len -= 3;
  }
  if (fmt == QF_IMPORT_AUTO)
    fmt = qf_group_import_detect(NULL, data, len);
  ps.set = qf_calloc(1, sizeof *ps.set);
  rc = check_no_nul(&ps, data, len);
  if (rc == 0)
    rc = fmt == QF_IMPORT_CSV ? parse_csv(&ps, data, len) : parse_jsonl(&ps, data, len);
  if (line)
    *line = rc == 0 ? 0 : ps.line;
  if (rc != 0) {
    qf_group_set_free(ps.set);
    return rc;
  }
  set_dedup(ps.set);
  *out = ps.set;
  return 0;
}
