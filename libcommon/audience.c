/* Audience expressions: parsing into a small tree (audience_node.h) by recursive
 * descent, one function per grammar rule, and formatting it back to its
 * canonical text. Evaluation is in audience_eval.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience_node.h"
#include "qf/alloc.h"
#include "qf/err.h"
#include "qf/group.h"

typedef struct parser {
  const char *text;
  size_t pos;
  int depth;
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

/* The 1-based position of byte offset off, counted in characters (UTF-8). */
static size_t position(const parser *p, size_t off) {
  size_t n = 1;
  for (size_t i = 0; i < off; i++)
    if (((unsigned char)p->text[i] & 0xC0) != 0x80)
      n++;
  return n;
}

/* Says what was expected at the current position and what is there instead: a
 * word of id characters, or one (UTF-8) character. */
static int expected(parser *p, const char *what) {
  const char *s = p->text + p->pos;
  size_t n = 0;
  if (*s == '\0') {
    say(p, "audience: expected %s at position %zu, found the end", what,
        position(p, p->pos));
    return QF_EINVAL;
  }
  while (is_id_char(s[n]) && n < 32)
    n++;
  if (n == 0)
    for (n = 1; n < 4 && ((unsigned char)s[n] & 0xC0) == 0x80; n++)
      ;
  say(p, "audience: expected %s at position %zu, found \"%.*s\"", what,
      position(p, p->pos), (int)n, s);
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

static qf_audience *node_new(aud_kind kind) {
  qf_audience *a = qf_calloc(1, sizeof(*a));
  a->kind = kind;
  return a;
}

void qf_audience_free(qf_audience *a) {
  if (a == NULL)
    return;
  for (size_t i = 0; i < a->nids; i++)
    free(a->ids[i]);
  for (size_t i = 0; i < a->nkids; i++)
    qf_audience_free(a->kids[i]);
  free(a->ids);
  free(a->kids);
  free(a);
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

/* One id or tag name; appended to a->ids. what names it in errors. */
static int parse_name(parser *p, qf_audience *a, size_t *cap, const char *what) {
  size_t start, n;
  skip_space(p);
  start = p->pos;
  while (is_id_char(p->text[p->pos]))
    p->pos++;
  n = p->pos - start;
  if (n == 0)
    return expected(p, what);
  if (n > QF_GROUP_ID_MAX) {
    say(p, "audience: %s at position %zu is longer than %d characters", what,
        position(p, start), QF_GROUP_ID_MAX);
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
  for (;;) {
    if ((rc = parse_name(p, a, &cap, "a group id")) != 0)
      return rc;
    skip_space(p);
    if (p->text[p->pos] != ',')
      break;
    p->pos++;
  }
  sort_unique(a);
  return 0;
}

static int parse_expr(parser *p, qf_audience **out);

/* Guards the recursion: "((((" or "!!!!" nest one level per character. Called
 * just after that character. */
static int enter(parser *p) {
  if (++p->depth <= QF_AUDIENCE_DEPTH_MAX)
    return 0;
  say(p, "audience: nested deeper than %d at position %zu", QF_AUDIENCE_DEPTH_MAX,
      position(p, p->pos - 1));
  return QF_EINVAL;
}

static int parse_paren(parser *p, qf_audience **out) {
  int rc;
  p->pos++; /* "(" */
  if ((rc = enter(p)) != 0 || (rc = parse_expr(p, out)) != 0)
    return rc;
  p->depth--;
  skip_space(p);
  if (p->text[p->pos] != ')') {
    qf_audience_free(*out);
    *out = NULL;
    return expected(p, "\")\"");
  }
  p->pos++;
  return 0;
}

static int parse_primary(parser *p, qf_audience **out) {
  size_t cap = 0;
  int rc;
  skip_space(p);
  if (p->text[p->pos] == '(')
    return parse_paren(p, out);
  if (match_word(p, "all")) {
    *out = node_new(AUD_ALL);
    return 0;
  }
  if (strncmp(p->text + p->pos, "group:", 6) == 0) {
    p->pos += 6;
    *out = node_new(AUD_GROUPS);
    rc = parse_groups(p, *out);
  } else if (strncmp(p->text + p->pos, "tag:", 4) == 0) {
    p->pos += 4;
    *out = node_new(AUD_TAG);
    rc = parse_name(p, *out, &cap, "a tag name");
  } else {
    return expected(p, "all, group:ID, tag:NAME, \"!\" or \"(\"");
  }
  if (rc != 0) {
    qf_audience_free(*out);
    *out = NULL;
  }
  return rc;
}

static int parse_unary(parser *p, qf_audience **out) {
  qf_audience *kid = NULL;
  int rc;
  skip_space(p);
  if (p->text[p->pos] != '!')
    return parse_primary(p, out);
  p->pos++;
  if ((rc = enter(p)) != 0 || (rc = parse_unary(p, &kid)) != 0)
    return rc;
  p->depth--;
  *out = node_new(AUD_NOT);
  (*out)->kids = qf_malloc(sizeof(*(*out)->kids));
  (*out)->kids[0] = kid;
  (*out)->nkids = 1;
  return 0;
}

/* Adds kid to n (an AND or OR node), splicing a kid of the same kind. */
static void add_kid(qf_audience *n, qf_audience *kid, size_t *cap) {
  size_t need = n->nkids + (kid->kind == n->kind ? kid->nkids : 1);
  if (need > *cap) {
    *cap = need * 2;
    n->kids = qf_realloc(n->kids, *cap * sizeof(*n->kids));
  }
  if (kid->kind != n->kind) {
    n->kids[n->nkids++] = kid;
    return;
  }
  for (size_t i = 0; i < kid->nkids; i++)
    n->kids[n->nkids++] = kid->kids[i];
  kid->nkids = 0;
  qf_audience_free(kid);
}

typedef int (*rule_fn)(parser *p, qf_audience **out);

/* operand { op operand }: one node of kind when op appears, else the operand. */
static int parse_chain(parser *p, qf_audience **out, char op, aud_kind kind,
                       rule_fn operand) {
  qf_audience *first = NULL, *n = NULL, *kid = NULL;
  size_t cap = 0;
  int rc;
  *out = NULL;
  if ((rc = operand(p, &first)) != 0)
    return rc;
  for (;;) {
    skip_space(p);
    if (p->text[p->pos] != op)
      break;
    p->pos++;
    if ((rc = operand(p, &kid)) != 0)
      goto fail;
    if (n == NULL) {
      n = node_new(kind);
      add_kid(n, first, &cap);
      first = NULL;
    }
    add_kid(n, kid, &cap);
  }
  *out = n ? n : first;
  return 0;
fail:
  qf_audience_free(first);
  qf_audience_free(n);
  return rc;
}

static int parse_and(parser *p, qf_audience **out) {
  return parse_chain(p, out, '&', AUD_AND, parse_unary);
}

static int parse_expr(parser *p, qf_audience **out) {
  return parse_chain(p, out, '|', AUD_OR, parse_and);
}

int qf_audience_parse(const char *text, qf_audience **out, char *why, size_t len) {
  parser p = {.text = text ? text : "", .why = why, .len = len};
  qf_audience *a = NULL;
  size_t n = strlen(p.text);
  int rc;
  *out = NULL;
  if (n > QF_AUDIENCE_TEXT_MAX) {
    say(&p, "audience: %zu bytes; at most %d", n, QF_AUDIENCE_TEXT_MAX);
    return QF_EINVAL;
  }
  if ((rc = parse_expr(&p, &a)) != 0)
    return rc;
  skip_space(&p);
  if (p.text[p.pos] != '\0') {
    qf_audience_free(a);
    return expected(&p, "\"&\", \"|\" or the end");
  }
  /* The canonical text is what gets stored and parsed again, and it can be
   * longer than what was typed (blanks around every & and |): the limit holds
   * for it too, or a stored audience could no longer be read back. */
  char *canon = qf_audience_format(a);
  size_t cn = strlen(canon);
  free(canon);
  if (cn > QF_AUDIENCE_TEXT_MAX) {
    qf_audience_free(a);
    say(&p, "audience: %zu bytes in canonical form (blanks around & and |); at most %d",
        cn, QF_AUDIENCE_TEXT_MAX);
    return QF_EINVAL;
  }
  *out = a;
  return 0;
}

/* ---- formatting ---- */

typedef struct sbuf {
  char *s;
  size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->s = qf_realloc(b->s, b->cap);
  }
  memcpy(b->s + b->n, s, n + 1);
  b->n += n;
}

static void format(sbuf *b, const qf_audience *a);

/* A kid of an operator (parent kind) in parentheses where precedence needs them:
 * an OR inside an AND or NOT, an AND inside a NOT. */
static void format_kid(sbuf *b, const qf_audience *kid, aud_kind parent) {
  int paren = (kid->kind == AUD_OR && parent != AUD_OR) ||
              (kid->kind == AUD_AND && parent == AUD_NOT);
  if (paren)
    put(b, "(");
  format(b, kid);
  if (paren)
    put(b, ")");
}

static void format(sbuf *b, const qf_audience *a) {
  switch (a->kind) {
  case AUD_ALL:
    put(b, "all");
    break;
  case AUD_GROUPS:
    put(b, "group:");
    for (size_t i = 0; i < a->nids; i++) {
      if (i > 0)
        put(b, ",");
      put(b, a->ids[i]);
    }
    break;
  case AUD_TAG:
    put(b, "tag:");
    put(b, a->ids[0]);
    break;
  case AUD_NOT:
    put(b, "!");
    format_kid(b, a->kids[0], AUD_NOT);
    break;
  case AUD_AND:
  case AUD_OR:
    for (size_t i = 0; i < a->nkids; i++) {
      if (i > 0)
        put(b, a->kind == AUD_AND ? " & " : " | ");
      format_kid(b, a->kids[i], a->kind);
    }
    break;
  }
}

char *qf_audience_format(const qf_audience *a) {
  sbuf b = {0};
  put(&b, "");
  format(&b, a);
  return b.s;
}
