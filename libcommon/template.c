#include "qf/template.h"

#include "qf/alloc.h"
#include "qf/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 160
/* Bytes of a tag quoted in an error: short enough that two of them and the
 * position (" at line L, column C", up to 38 bytes) fit QF_TEMPLATE_ERROR_LEN. */
#define QUOTE_MAX 40

/* Output, grown as needed; NULL buf while only checking. */
typedef struct out {
  char *buf;
  size_t len, cap;
  bool checking;
} out;

typedef struct walk {
  const char *text;
  const qf_template_vars *v;
  out o;
  /* Open sections: tag names and whether their inside is shown. */
  char open[QF_TEMPLATE_DEPTH][NAME_MAX_LEN];
  bool shown[QF_TEMPLATE_DEPTH + 1]; /* shown[d]: output at depth d */
  int depth;
  char *why;
  size_t wlen;
} walk;

static void put(walk *w, const char *s, size_t n) {
  if (w->o.checking || !w->shown[w->depth] || n == 0)
    return;
  if (w->o.len + n + 1 > w->o.cap) {
    size_t cap = w->o.cap ? w->o.cap : 256;
    while (cap < w->o.len + n + 1)
      cap *= 2;
    w->o.buf = qf_realloc(w->o.buf, cap);
    w->o.cap = cap;
  }
  memcpy(w->o.buf + w->o.len, s, n);
  w->o.len += n;
  w->o.buf[w->o.len] = '\0';
}

/* Line and column (1-based, in bytes) of offset at. */
static void where(const char *text, size_t at, int *line, int *col) {
  *line = 1;
  size_t start = 0;
  for (size_t i = 0; i < at; i++) {
    if (text[i] == '\n') {
      (*line)++;
      start = i + 1;
    }
  }
  *col = (int)(at - start) + 1;
}

/* At most QUOTE_MAX bytes of s[0..n) into q (QUOTE_MAX + 1 bytes), cut before a
 * UTF-8 sequence that does not fit: sentences travel in protobuf strings,
 * which must be UTF-8 when the text was. */
static const char *quote(const char *s, size_t n, char q[QUOTE_MAX + 1]) {
  if (n > QUOTE_MAX) {
    n = QUOTE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
      n--; /* s[n] continues a sequence: drop its start too */
  }
  memcpy(q, s, n);
  q[n] = '\0';
  return q;
}

static int fail(walk *w, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(walk *w, size_t at, const char *fmt, ...) {
  char what[QF_TEMPLATE_ERROR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  int line, col;
  where(w->text, at, &line, &col);
  snprintf(w->why, w->wlen, "%s at line %d, column %d", what, line, col);
  return QF_EINVAL;
}

static bool has_tag(const qf_template_vars *v, const char *tag) {
  for (size_t i = 0; v && i < v->ntags; i++)
    if (v->tags[i] && strcmp(v->tags[i], tag) == 0)
      return true;
  return false;
}

/* A tag name as groups have them: [A-Za-z0-9._:@-], 1..128. */
static bool tag_name_ok(const char *s) {
  size_t n = strlen(s);
  return n > 0 && n <= 128 &&
         strspn(
             s,
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-") ==
             n;
}

static int variable(walk *w, const char *name, size_t at) {
  const qf_template_vars *v = w->v;
  char num[24], q[QUOTE_MAX + 1];
  if (strcmp(name, "group.id") == 0) {
    const char *s = v && v->group_id ? v->group_id : "";
    put(w, s, strlen(s));
  } else if (strcmp(name, "group.name") == 0) {
    const char *s = v && v->group_name && *v->group_name ? v->group_name
                    : v && v->group_id                   ? v->group_id
                                                         : "";
    put(w, s, strlen(s));
  } else if (strcmp(name, "post.id") == 0) {
    snprintf(num, sizeof num, "%llu", (unsigned long long)(v ? v->post_id : 0));
    put(w, num, strlen(num));
  } else {
    return fail(w, at, "unknown variable {{%s}}", quote(name, strlen(name), q));
  }
  return 0;
}

static int section_open(walk *w, const char *name, bool inverted, size_t at) {
  char q[QUOTE_MAX + 1];
  if (strncmp(name, "tag.", 4) != 0 || !tag_name_ok(name + 4))
    return fail(w, at, "a section must name a tag: {{%c%s}}", inverted ? '^' : '#',
                quote(name, strlen(name), q));
  if (w->depth == QF_TEMPLATE_DEPTH)
    return fail(w, at, "sections nested deeper than %d", QF_TEMPLATE_DEPTH);
  bool tagged = has_tag(w->v, name + 4);
  snprintf(w->open[w->depth], NAME_MAX_LEN, "%s", name);
  w->shown[w->depth + 1] = w->shown[w->depth] && (tagged != inverted);
  w->depth++;
  return 0;
}

static int section_close(walk *w, const char *name, size_t at) {
  char q[QUOTE_MAX + 1], q2[QUOTE_MAX + 1];
  if (w->depth == 0)
    return fail(w, at, "{{/%s}} closes no section", quote(name, strlen(name), q));
  const char *open = w->open[w->depth - 1];
  if (strcmp(open, name) != 0)
    return fail(w, at, "{{/%s}} closes {{#%s}}", quote(name, strlen(name), q),
                quote(open, strlen(open), q2));
  w->depth--;
  return 0;
}

/* One tag: inner[0..n) is what lies between {{ and }}, at is the offset of
 * its "{{". */
static int tag(walk *w, const char *inner, size_t n, size_t at) {
  while (n > 0 && *inner == ' ')
    inner++, n--;
  while (n > 0 && inner[n - 1] == ' ')
    n--;
  if (n >= 2 && inner[0] == '"' && inner[n - 1] == '"' &&
      !memchr(inner + 1, '"', n - 2)) {
    put(w, inner + 1, n - 2);
    return 0;
  }
  char name[NAME_MAX_LEN], q[QUOTE_MAX + 1];
  char sigil = n > 0 && strchr("#^/", inner[0]) ? inner[0] : 0;
  size_t skip = sigil ? 1 : 0;
  if (n - skip == 0 || n - skip >= sizeof name)
    return fail(w, at, "empty or overlong tag {{%s}}", quote(inner, n, q));
  memcpy(name, inner + skip, n - skip);
  name[n - skip] = '\0';
  if (sigil == '#' || sigil == '^')
    return section_open(w, name, sigil == '^', at);
  if (sigil == '/')
    return section_close(w, name, at);
  return variable(w, name, at);
}

static int run(walk *w) {
  char q[QUOTE_MAX + 1];
  const char *t = w->text;
  size_t i = 0;
  w->shown[0] = true;
  for (;;) {
    const char *open = strstr(t + i, "{{");
    if (!open) {
      put(w, t + i, strlen(t + i));
      break;
    }
    size_t at = (size_t)(open - t);
    put(w, t + i, at - i);
    const char *close = strstr(open + 2, "}}");
    const char *next = strstr(open + 2, "{{");
    if (!close ||
        (next && next < close && !memchr(open + 2, '"', (size_t)(next - open - 2))))
      return fail(w, at, "{{ without its }}");
    int rc = tag(w, open + 2, (size_t)(close - open - 2), at);
    if (rc != 0)
      return rc;
    i = (size_t)(close - t) + 2;
  }
  if (w->depth > 0)
    return fail(w, strlen(t), "{{#%s}} is never closed",
                quote(w->open[w->depth - 1], strlen(w->open[w->depth - 1]), q));
  return 0;
}

bool qf_template_has_vars(const char *text) {
  return text && strstr(text, "{{") != NULL;
}

int qf_template_check(const char *text, char *why, size_t wlen) {
  walk w = {
      .text = text ? text : "", .o = {.checking = true}, .why = why, .wlen = wlen};
  return run(&w);
}

int qf_template_render(const char *text, const qf_template_vars *vars, char **out_s,
                       size_t *out_len, char *why, size_t wlen) {
  walk w = {.text = text ? text : "", .v = vars, .why = why, .wlen = wlen};
  *out_s = NULL;
  int rc = run(&w);
  if (rc != 0) {
    free(w.o.buf);
    return rc;
  }
  if (!w.o.buf)
    w.o.buf = qf_strdup("");
  *out_s = w.o.buf;
  *out_len = w.o.len;
  return 0;
}
