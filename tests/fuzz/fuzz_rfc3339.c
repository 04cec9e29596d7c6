/* libFuzzer target: RFC 3339 times (qf/clock.h), as the CLI and the RPC layer read
 * them ("2026-11-23T20:00:00+08:00").
 *
 * Properties: any text parses or is refused; a parsed time formats as UTC and
 * that text parses back to the same millisecond; any millisecond formats into a
 * terminated string. */
#include "fuzz.h"

#include "qf/clock.h"
#include "qf/err.h"

#define YEAR_0_MS INT64_C(-62167219200000)     /* 0000-01-01T00:00:00Z */
#define YEAR_10000_MS INT64_C(253402300800000) /* 10000-01-01T00:00:00Z */

static void check_format(int64_t ms) {
  char buf[64];
  qf_time_format_rfc3339(ms, buf, sizeof buf);
  FUZZ_CHECK(memchr(buf, '\0', sizeof buf) != NULL, "unterminated");
  if (ms < YEAR_0_MS || ms >= YEAR_10000_MS)
    return; /* no four-digit year to write */
  int64_t back = 0;
  FUZZ_CHECK(qf_time_parse_rfc3339(buf, &back) == 0, "\"%s\" does not parse", buf);
  FUZZ_CHECK(back == ms, "\"%s\" is %lld, not %lld", buf, (long long)back,
             (long long)ms);
  char small[5];
  qf_time_format_rfc3339(ms, small, sizeof small);
  FUZZ_CHECK(strlen(small) < sizeof small, "overran a short buffer");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_strndup(data, size);
  int64_t ms = 0;
  int rc = qf_time_parse_rfc3339(s, &ms);
  FUZZ_CHECK(rc == 0 || rc == QF_EINVAL, "rc %d", rc);
  if (rc == 0)
    check_format(ms);
  /* The first eight bytes as a raw instant, of any range. */
  const uint8_t *p = data;
  size_t n = size;
  check_format((int64_t)fuzz_take(&p, &n, 8));
  free(s);
  return 0;
}
