/* libFuzzer target: what the log does with values it did not write
 * (qf_log_redact_url, qf_log_quote).
 *
 * Properties, for output buffers of every size: the output is terminated inside
 * the buffer. Redaction: a password in the userinfo, a query value, a fragment and
 * a token-like path segment never reach the output, whatever surrounds them.
 * Quoting: the output holds no control character (one event, one line), is either
 * the value unchanged or a complete quoted string, and, given room, unquotes to
 * exactly the input. */
#include "fuzz.h"

#include <stdbool.h>

#include "qf/log.h"

#define SECRET "Zq7Secret4Fuzz9"         /* no URL delimiter in it */
#define TOKEN "a1b2c3d4e5f6a7b8c9d0e1f2" /* long, letters and digits */

typedef char *(*out_fn)(const char *in, char *buf, size_t len);

/* Runs fn into heap buffers of several sizes (exact, so overruns are caught);
 * returns the output for the largest one (caller frees). */
static char *run_sizes(out_fn fn, const char *in, size_t hint) {
  const size_t sizes[] = {1, 2, 3, 4, 7, hint % 61 + 1, strlen(in) * 4 + 16};
  char *last = NULL;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    char *buf = malloc(sizes[i]);
    FUZZ_CHECK(buf != NULL, "malloc");
    memset(buf, 'X', sizes[i]);
    FUZZ_CHECK(fn(in, buf, sizes[i]) == buf, "returns its buffer");
    FUZZ_CHECK(memchr(buf, '\0', sizes[i]) != NULL, "unterminated in %zu bytes",
               sizes[i]);
    free(last);
    last = buf;
  }
  return last;
}

static void check_redacted(const char *prefix, const char *in, const char *suffix,
                           const char *secret) {
  if (strstr(in, secret))
    return; /* the input itself may show it anywhere */
  size_t n = strlen(prefix) + strlen(in) + strlen(suffix) + 1;
  char *url = malloc(n);
  FUZZ_CHECK(url != NULL, "malloc");
  snprintf(url, n, "%s%s%s", prefix, in, suffix);
  char *out = run_sizes(qf_log_redact_url, url, n);
  FUZZ_CHECK(strstr(out, secret) == NULL, "\"%s\" redacts to \"%s\"", url, out);
  free(out);
  free(url);
}

static bool needs_quotes(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= ' ' || c == '"' || c == '=' || c == 0x7f)
      return true;
  }
  return false;
}

/* Reverses the escapes of qf_log_quote; false when q is not a quoted string. */
static bool unquote(const char *q, char *out) {
  size_t n = strlen(q);
  if (n < 2 || q[0] != '"' || q[n - 1] != '"')
    return false;
  for (size_t i = 1; i < n - 1; i++) {
    if (q[i] != '\\') {
      *out++ = q[i];
      continue;
    }
    char e = q[++i];
    if (e == 'n')
      *out++ = '\n';
    else if (e == 'r')
      *out++ = '\r';
    else if (e == 't')
      *out++ = '\t';
    else if (e == '"' || e == '\\')
      *out++ = e;
    else if (e == 'x' && i + 2 < n - 1) {
      char hex[3] = {q[i + 1], q[i + 2], 0};
      *out++ = (char)strtol(hex, NULL, 16);
      i += 2;
    } else
      return false;
  }
  *out = '\0';
  return true;
}

static void check_quote(const char *in, size_t hint) {
  char *out = run_sizes(qf_log_quote, in, hint);
  for (const unsigned char *p = (const unsigned char *)out; *p; p++)
    FUZZ_CHECK(*p >= 0x20 && *p != 0x7f, "control byte 0x%02x in output", *p);
  if (!needs_quotes(in)) {
    FUZZ_CHECK(strcmp(out, in) == 0, "plain value changed");
  } else {
    char *back = malloc(strlen(out) + 1);
    FUZZ_CHECK(back != NULL, "malloc");
    FUZZ_CHECK(unquote(out, back) && strcmp(back, in) == 0, "\"%s\" does not unquote",
               out);
    free(back);
  }
  /* Cut outputs: still one complete quoted string. */
  char cut[9];
  qf_log_quote(in, cut, sizeof cut);
  size_t n = strlen(cut);
  if (needs_quotes(in))
    FUZZ_CHECK(n >= 2 && cut[0] == '"' && cut[n - 1] == '"', "cut to \"%s\"", cut);
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096)
    return 0;
  char *in = fuzz_strndup(data, size);
  size_t hint = size ? data[0] : 0;
  free(run_sizes(qf_log_redact_url, in, hint));
  check_redacted("https://u:" SECRET "@", in, "", SECRET);
  check_redacted("", in, "?k=" SECRET, SECRET);
  check_redacted("", in, "#" SECRET, SECRET);
  check_redacted("https://h", in, "/" TOKEN "/x", TOKEN);
  check_quote(in, hint);
  free(in);
  return 0;
}
