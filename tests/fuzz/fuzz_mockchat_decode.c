/* libFuzzer target: qunfa-mockchat's platform request decoders (platform.h), which
 * read untrusted HTTP bodies, paths and query strings for every dialect.
 *
 * Input: the request target (path and query) on the first line, the
 * Idempotency-Key header on the second (an empty line: none), the body after.
 * Secrets: Feishu hook "h1" and DingTalk robot "t1" sign, "t1" also needs the
 * keyword "qunfa" (so the signature and keyword checks run).
 *
 * Properties: a path routes to at most one platform; a refused request carries
 * an answer (status 200-599, a body; JSON unless the platform answers text); an
 * accepted one names its target "<platform>:..." and its group, both within
 * their buffers, a send has a text, and the platform's accepted and throttled
 * answers render. */
#include "fuzz.h"

#include <jansson.h>
#include <stdbool.h>
#include <unistd.h>

#include "platform.h"
#include "secrets.h"

static secrets *sec;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  char path[] = "/tmp/fuzz-mockchat-secrets-XXXXXX";
  int fd = mkstemp(path);
  static const char doc[] =
      "{\"feishu\":{\"h1\":\"s3cret\"},"
      "\"dingtalk\":{\"t1\":{\"secret\":\"SECx\",\"keywords\":[\"qunfa\"]}}}";
  if (fd < 0 || write(fd, doc, sizeof doc - 1) != (ssize_t)(sizeof doc - 1))
    abort();
  close(fd);
  char why[256];
  if (secrets_load(&sec, path, why, sizeof why) != 0) {
    fprintf(stderr, "secrets: %s\n", why);
    abort();
  }
  unlink(path);
  return 0;
}

/* A JSON reply body parses (a text reply is only non-empty). */
static void check_reply(const mc_reply *r, const char *what) {
  FUZZ_CHECK(r->status >= 200 && r->status <= 599, "%s status %u", what, r->status);
  FUZZ_CHECK(r->body != NULL && r->body[0] != '\0', "%s without a body", what);
  if (!r->content_type) {
    json_t *j = json_loads(r->body, 0, NULL);
    FUZZ_CHECK(j != NULL, "%s body is not JSON: %s", what, r->body);
    json_decref(j);
  }
}

static void check_accepted(const mc_platform *pl, const mc_message *m) {
  size_t n = strlen(pl->name);
  FUZZ_CHECK(strnlen(m->target, sizeof m->target) < sizeof m->target, "target");
  FUZZ_CHECK(strncmp(m->target, pl->name, n) == 0 && m->target[n] == ':' &&
                 m->target[n + 1] != '\0',
             "target \"%s\" of %s", m->target, pl->name);
  FUZZ_CHECK(m->m.group && m->m.group[0] && strlen(m->m.group) < MC_GROUP_MAX,
             "group of %s", pl->name);
  if (m->op == MC_OP_SEND)
    FUZZ_CHECK(m->m.text != NULL, "a send of %s without a text", pl->name);
  mc_reply r = {0};
  pl->accepted(m, 7, 1795461575732, &r);
  check_reply(&r, "accepted");
  mc_reply_clear(&r);
  pl->throttled(m, 1500, &r);
  check_reply(&r, "throttled");
  mc_reply_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  char *in = fuzz_strndup(data, size);
  char *key = memchr(in, '\n', size);
  char *body = key ? memchr(key + 1, '\n', size - (size_t)(key + 1 - in)) : NULL;
  if (!key || !body) {
    free(in);
    return 0;
  }
  *key++ = '\0';
  *body++ = '\0';
  char *query = strchr(in, '?');
  if (query)
    *query++ = '\0';
  const mc_platform *pl = mc_platform_route(in);
  if (!pl) {
    free(in);
    return 0;
  }
  mc_request rq = {.path = in,
                   .query = query,
                   .body = body,
                   .len = size - (size_t)(body - in),
                   .idem_key = *key ? key : NULL,
                   .now_ms = 1795461575732,
                   .secrets = sec};
  mc_message *m = calloc(1, sizeof *m);
  mc_reply rej = {0};
  if (!m)
    abort();
  if (pl->decode(&rq, m, &rej) != 0)
    check_reply(&rej, "refusal");
  else
    check_accepted(pl, m);
  mc_reply_clear(&rej);
  json_decref(m->doc);
  free(m);
  free(in);
  return 0;
}
