/* libFuzzer target: audience expressions (qf/audience.h), as a client sends them in
 * CreatePost.
 *
 * Properties: any text parses or is refused with a sentence; what parses formats
 * to a canonical text that parses again to the same text; evaluation against a
 * small index emits known groups only, ascending and once each, or refuses an
 * unknown group with a sentence. */
#include "fuzz.h"

#include "qf/audience.h"
#include "qf/err.h"

/* The index: groups whose id starts with a letter from a to m exist. */
static const char *const index_ids[] = {"a1", "b.2", "g1", "g2", "m@x"};

static int has_group(void *src, const char *id) {
  (void)src;
  return id[0] >= 'a' && id[0] <= 'm';
}

/* Group i of the index carries the tags whose length is i + 1 or more. */
static int each_tagged(void *src, const char *tag, qf_audience_id_fn fn, void *arg) {
  (void)src;
  for (size_t i = 0; i < sizeof index_ids / sizeof index_ids[0]; i++) {
    if (strlen(tag) < i + 1)
      continue;
    int rc = fn(index_ids[i], arg);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int each_group(void *src, qf_audience_id_fn fn, void *arg) {
  (void)src;
  for (size_t i = 0; i < sizeof index_ids / sizeof index_ids[0]; i++) {
    int rc = fn(index_ids[i], arg);
    if (rc != 0)
      return rc;
  }
  return 0;
}

typedef struct seen {
  char last[256];
  size_t n;
} seen;

static int emit(const char *id, void *arg) {
  seen *s = arg;
  FUZZ_CHECK(has_group(NULL, id), "emitted unknown group \"%s\"", id);
  FUZZ_CHECK(s->n == 0 || strcmp(s->last, id) < 0, "\"%s\" after \"%s\"", id, s->last);
  FUZZ_CHECK(strlen(id) < sizeof s->last, "id of %zu bytes", strlen(id));
  strcpy(s->last, id);
  s->n++;
  return 0;
}

static void check_eval(const qf_audience *a) {
  qf_audience_source src = {
      .each_group = each_group, .has_group = has_group, .each_tagged = each_tagged};
  seen s = {.n = 0};
  char why[256] = "";
  int rc = qf_audience_eval(a, &src, emit, &s, why, sizeof why);
  FUZZ_CHECK(rc == 0 || rc == QF_EINVAL, "eval returned %d", rc);
  if (rc == QF_EINVAL)
    FUZZ_CHECK(why[0] != '\0' && s.n == 0, "refusal without sentence or after emits");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_strndup(data, size);
  char why[256], tiny[8];
  qf_audience *a = NULL;

  /* A short sentence buffer must be cut, never overrun. */
  if (qf_audience_parse(text, &a, tiny, sizeof tiny) == 0)
    qf_audience_free(a);
  why[0] = '\0';
  int rc = qf_audience_parse(text, &a, why, sizeof why);
  if (rc != 0) {
    FUZZ_CHECK(rc == QF_EINVAL && a == NULL && why[0] != '\0', "rc %d", rc);
    free(text);
    return 0;
  }
  char *canon = qf_audience_format(a);
  qf_audience *b = NULL;
  FUZZ_CHECK(qf_audience_parse(canon, &b, why, sizeof why) == 0,
             "canonical \"%s\" refused: %s", canon, why);
  char *canon2 = qf_audience_format(b);
  FUZZ_CHECK(strcmp(canon, canon2) == 0, "\"%s\" formats as \"%s\"", canon, canon2);
  check_eval(a);
  free(canon2);
  free(canon);
  qf_audience_free(b);
  qf_audience_free(a);
  free(text);
  return 0;
}
