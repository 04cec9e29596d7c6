/* Audience expressions: parsing into a small tree and evaluation against the
 * caller's group index. Today's nodes are `all` and a sorted id list; tag
 * nodes and the operators &, |, ! and parentheses extend the same tree. */
#include "qf/audience.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/group.h"

typedef enum { AUD_ALL, AUD_GROUPS } aud_kind;

struct qf_audience {
  aud_kind kind;
  char **ids; /* AUD_GROUPS: sorted, unique */
  size_t nids;
};

typedef struct parser {
  const char *text;
  size_t pos;
  char *why;
  size_t len;
} parser;

static void say(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(parser *p, const char *fmt, ...) {
  va_list ap;
  if (p->why == NULL || p->len == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(p->why, p->len, fmt, ap);
  va_end(ap);
}

static int is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == ':' || c == '@' || c == '-';
}

static void skip_space(parser *p) {
  while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t')
    p->pos++;
}

/* Names the token at the current position in an error sentence. */
static int unexpected(parser *p, const char *expected) {
  const char *s = p->text + p->pos;
  size_t n = 0;
  if (*s == '\0') {
    say(p, "audience: unexpected end at position %zu; expected %s", p->pos + 1,
        expected);
    return QF_EINVAL;
  }
  while (s[n] != '\0' && s[n] != ' ' && s[n] != ',' && n < 32)
    n++;
  if (n == 0)
    n = 1;
  say(p, "audience: unexpected \"%.*s\" at position %zu; expected %s", (int)n, s,
      p->pos + 1, expected);
  return QF_EINVAL;
}

static int match_word(parser *p, const char *word) {
  size_t n = strlen(word);
  if (strncmp(p->text + p->pos, word, n) != 0)
    return 0;
  if (is_id_char(p->text[p->pos + n]))
    return 0;
  p->pos += n;
  return 1;
}

static int cmp_ids(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_unique(qf_audience *a) {
  size_t w = 0;
  qsort(a->ids, a->nids, sizeof(char *), cmp_ids);
  for (size_t r = 0; r < a->nids; r++) {
    if (w > 0 && strcmp(a->ids[w - 1], a->ids[r]) == 0) {
      free(a->ids[r]);
      continue;
    }
    a->ids[w++] = a->ids[r];
  }
  a->nids = w;
}

/* One id of a group list; appends it to a. */
static int parse_id(parser *p, qf_audience *a, size_t *cap) {
  size_t start, n;
  skip_space(p);
  start = p->pos;
  while (is_id_char(p->text[p->pos]))
    p->pos++;
  n = p->pos - start;
  if (n == 0)
    return unexpected(p, "a group id");
  if (n > QF_GROUP_ID_MAX) {
    say(p, "audience: group id at position %zu is longer than %d characters", start + 1,
        QF_GROUP_ID_MAX);
    return QF_EINVAL;
  }
  if (a->nids == *cap) {
    *cap = *cap ? *cap * 2 : 8;
    a->ids = qf_realloc(a->ids, *cap * sizeof(char *));
  }
  a->ids[a->nids++] = qf_strndup(p->text + start, n);
  return 0;
}

static int parse_groups(parser *p, qf_audience *a) {
  size_t cap = 0;
  int rc;
  a->kind = AUD_GROUPS;
  for (;;) {
    if ((rc = parse_id(p, a, &cap)) != 0)
      return rc;
    skip_space(p);
    if (p->text[p->pos] != ',')
      break;
    p->pos++;
  }
  sort_unique(a);
  return 0;
}

static int parse_term(parser *p, qf_audience *a) {
  skip_space(p);
  if (match_word(p, "all")) {
    a->kind = AUD_ALL;
    return 0;
  }
  if (strncmp(p->text + p->pos, "group:", 6) == 0) {
    p->pos += 6;
    return parse_groups(p, a);
  }
  return unexpected(p, "all or group:ID,...");
}

int qf_audience_parse(const char *text, qf_audience **out, char *why, size_t len) {
  parser p = {.text = text ? text : "", .pos = 0, .why = why, .len = len};
  qf_audience *a = qf_calloc(1, sizeof(*a));
  int rc;
  *out = NULL;
  if ((rc = parse_term(&p, a)) != 0)
    goto out;
  skip_space(&p);
  if (p.text[p.pos] != '\0') {
    rc = unexpected(&p, "the end of the audience");
    goto out;
  }
  *out = a;
  a = NULL;
out:
  qf_audience_free(a);
  return rc;
}

void qf_audience_free(qf_audience *a) {
  if (a == NULL)
    return;
  for (size_t i = 0; i < a->nids; i++)
    free(a->ids[i]);
  free(a->ids);
  free(a);
}

static int eval_groups(const qf_audience *a, const qf_audience_source *src,
                       qf_audience_id_fn emit, void *arg, char *why, size_t len) {
  int rc;
  /* Every id is checked before the first is emitted: all or nothing. */
  for (size_t i = 0; i < a->nids; i++) {
    rc = src->has_group(src->src, a->ids[i]);
    if (rc < 0)
      return rc;
    if (rc == 0) {
      if (why != NULL && len > 0)
        snprintf(why, len, "audience: unknown group \"%s\"", a->ids[i]);
      return QF_EINVAL;
    }
  }
  for (size_t i = 0; i < a->nids; i++)
    if ((rc = emit(a->ids[i], arg)) != 0)
      return rc;
  return 0;
}

int qf_audience_eval(const qf_audience *a, const qf_audience_source *src,
                     qf_audience_id_fn emit, void *arg, char *why, size_t len) {
  switch (a->kind) {
  case AUD_ALL:
    return src->each_group(src->src, emit, arg);
  case AUD_GROUPS:
    return eval_groups(a, src, emit, arg, why, len);
  }
  return QF_EINTERNAL;
}

char *qf_audience_format(const qf_audience *a) {
  size_t n = 7, off;
  char *s;
  if (a->kind == AUD_ALL)
    return qf_strdup("all");
  for (size_t i = 0; i < a->nids; i++)
    n += strlen(a->ids[i]) + 1;
  s = qf_malloc(n);
  off = (size_t)snprintf(s, n, "group:");
  for (size_t i = 0; i < a->nids; i++)
    off += (size_t)snprintf(s + off, n - off, "%s%s", i ? "," : "", a->ids[i]);
  return s;
}
