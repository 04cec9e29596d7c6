/* libFuzzer target: group validation (qf_group_validate) and rates (qf_rate_parse),
 * the checks every group passes before the scheduler stores it.
 *
 * Input: the group's fields one per line, in the order id, name, tags (separated
 * by ';'), dialect, url, tz, rate; missing lines are empty. The whole input is
 * also read as a rate.
 *
 * Properties: a rate parses to 1..1,000,000 per second, minute or hour and its
 * canonical text parses to the same rate; a group is accepted only if every rule
 * of qf/group.h holds (in particular its zone loads and its rate parses), else it
 * is refused with a sentence that never quotes the url. */
#include "fuzz.h"

#include <stdbool.h>

#include "qf/dialect.h"
#include "qf/err.h"
#include "qf/group.h"
#include "qf/tz.h"

enum { F_ID, F_NAME, F_TAGS, F_DIALECT, F_URL, F_TZ, F_RATE, N_FIELDS };

static void check_rate(const char *s) {
  qf_rate r;
  if (qf_rate_parse(s, &r) != 0)
    return;
  FUZZ_CHECK(r.count >= 1 && r.count <= 1000000, "count %u", r.count);
  const char *unit = r.period_ms == 1000      ? "s"
                     : r.period_ms == 60000   ? "min"
                     : r.period_ms == 3600000 ? "h"
                                              : NULL;
  FUZZ_CHECK(unit != NULL, "period %lld", (long long)r.period_ms);
  char canon[32];
  qf_rate again;
  snprintf(canon, sizeof canon, "%u/%s", r.count, unit);
  FUZZ_CHECK(qf_rate_parse(canon, &again) == 0 && again.count == r.count &&
                 again.period_ms == r.period_ms,
             "\"%s\" differs from \"%s\"", canon, s);
}

static bool id_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > QF_GROUP_ID_MAX)
    return false;
  return strspn(
             s,
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-") ==
         n;
}

/* Every rule an accepted group must satisfy. */
static void check_accepted(const Qunfa__Group *g) {
  FUZZ_CHECK(id_ok(g->id), "id \"%s\"", g->id);
  FUZZ_CHECK(strlen(g->name) <= QF_GROUP_NAME_MAX, "name of %zu bytes",
             strlen(g->name));
  FUZZ_CHECK(g->n_tags <= QF_GROUP_TAGS_MAX, "%zu tags", g->n_tags);
  for (size_t i = 0; i < g->n_tags; i++)
    FUZZ_CHECK(id_ok(g->tags[i]), "tag \"%s\"", g->tags[i]);
  FUZZ_CHECK(qf_dialect_find(g->dialect) != NULL, "dialect \"%s\"", g->dialect);
  /* A web url, except for a dialect that speaks NNG to a gateway. */
  bool web = strncmp(g->url, "http://", 7) == 0 || strncmp(g->url, "https://", 8) == 0;
  bool nng = strncmp(g->url, "ipc://", 6) == 0 || strncmp(g->url, "tcp://", 6) == 0 ||
             strncmp(g->url, "tls+tcp://", 10) == 0;
  FUZZ_CHECK(web || (nng && strcmp(g->dialect, "nng") == 0), "url scheme for %s",
             g->dialect);
  FUZZ_CHECK(strlen(g->url) <= QF_GROUP_URL_MAX, "url of %zu bytes", strlen(g->url));
  for (const unsigned char *p = (const unsigned char *)g->url; *p; p++)
    FUZZ_CHECK(*p > 0x20 && *p < 0x7f, "url byte 0x%02x", *p);
  if (*g->tz) {
    const qf_tz *tz;
    char why[256];
    FUZZ_CHECK(qf_tz_load(g->tz, &tz, why, sizeof why) == 0,
               "accepted zone \"%s\" does not load: %s", g->tz, why);
  }
  FUZZ_CHECK(*g->rate == '\0' || qf_rate_parse(g->rate, NULL) == 0, "rate \"%s\"",
             g->rate);
}

/* Splits text in place at '\n' into fields, and the tags field at ';'. */
static void build(char *text, Qunfa__Group *g, char **fields, char **tags,
                  size_t max_tags) {
  char *p = text;
  for (int f = 0; f < N_FIELDS; f++) {
    fields[f] = p;
    char *nl = p ? strchr(p, '\n') : NULL;
    if (nl)
      *nl = '\0';
    p = nl ? nl + 1 : NULL;
    if (!fields[f])
      fields[f] = "";
  }
  g->id = fields[F_ID];
  g->name = fields[F_NAME];
  g->dialect = fields[F_DIALECT];
  g->url = fields[F_URL];
  g->tz = fields[F_TZ];
  g->rate = fields[F_RATE];
  g->tags = tags;
  g->n_tags = 0;
  for (char *t = fields[F_TAGS]; *fields[F_TAGS] && t && g->n_tags < max_tags;) {
    char *semi = strchr(t, ';');
    if (semi)
      *semi = '\0';
    tags[g->n_tags++] = t;
    t = semi ? semi + 1 : NULL;
  }
}

/* The url sentences of qf_group_validate, which never interpolate the url. */
static bool is_fixed_sentence(const char *why) {
  static const char *const fixed[] = {
      "field \"url\": must start with http:// or https://",
      "field \"url\": the nng dialect needs ipc://, tcp:// or tls+tcp://",
      "field \"url\": longer than 2048 bytes",
      "field \"url\": has no host",
      ("field \"url\": must not hold spaces, control or non-ASCII characters "
       "(percent-encode them)"),
  };
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if (strcmp(fixed[i], why) == 0)
      return true;
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192)
    return 0;
  char *text = fuzz_strndup(data, size);
  check_rate(text);
  char *fields[N_FIELDS], *tags[QF_GROUP_TAGS_MAX + 2];
  Qunfa__Group g = QUNFA__GROUP__INIT;
  build(text, &g, fields, tags, sizeof tags / sizeof tags[0]);
  check_rate(g.rate);

  char why[256] = "x", tiny[4];
  int rc = qf_group_validate(&g, why, sizeof why);
  FUZZ_CHECK(rc == 0 || rc == QF_EINVAL, "rc %d", rc);
  FUZZ_CHECK(qf_group_validate(&g, tiny, sizeof tiny) == rc, "depends on buffer");
  if (rc == 0) {
    check_accepted(&g);
  } else {
    FUZZ_CHECK(why[0] != '\0', "refused without a sentence");
    /* The url may carry a key or a token: a sentence about it is always one
     * of the fixed ones, never quoting it. (Other fields' sentences quote
     * those fields, which may by chance contain the url's text.) */
    FUZZ_CHECK(strncmp(why, "field \"url\"", 11) != 0 || is_fixed_sentence(why),
               "a url sentence that is not a fixed one: %s", why);
  }
  free(text);
  return 0;
}
