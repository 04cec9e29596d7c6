#include "dialect_util.h"

#include "qf/err.h"

#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- requests ---- */

int qf_dialect_util_body(const json_t *j, qf_dialect_request *req) {
  size_t cap = req->body_cap ? req->body_cap - 1 : 0;
  size_t n = cap ? json_dumpb(j, req->body, cap, JSON_COMPACT) : 0;
  if (n == 0 || n > cap) {
    n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    if (n == 0)
      return QF_EINVAL;
    json_dumpb(j, qf_dialect_request_body(req, n), n, JSON_COMPACT);
  }
  req->body[n] = '\0';
  req->body_len = n;
  return 0;
}

int qf_dialect_util_finish(json_t *j, const char *why_null, const qf_dialect_msg *msg,
                           qf_dialect_request *req) {
  if (!j)
    return qf_dialect_request_refuse(req, "%s", why_null);
  int rc = qf_dialect_util_body(j, req);
  json_decref(j);
  if (rc != 0)
    return qf_dialect_request_refuse(req, "cannot encode the message as JSON");
  return qf_dialect_util_headers(msg, req);
}

int qf_dialect_util_headers(const qf_dialect_msg *msg, qf_dialect_request *req) {
  if (qf_dialect_request_header(req, "Content-Type: application/json; charset=utf-8") !=
          0 ||
      qf_dialect_request_header(req, "Idempotency-Key: %" PRIu64 ":%s", msg->post_id,
                                msg->group_id ? msg->group_id : "") != 0)
    return qf_dialect_request_refuse(req, "group id too long for a header");
  return 0;
}

bool qf_dialect_util_is_markdown(const qf_dialect_msg *msg) {
  return msg->format && strcmp(msg->format, "markdown") == 0;
}

/* ---- text size ---- */

/* Decodes one UTF-8 sequence at s; returns its length and sets *cp, or 0 when
 * it is not well-formed (overlong, surrogate, past U+10FFFF, truncated). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp) {
  unsigned char c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  *cp = v;
  return n;
}

long qf_dialect_util_count(const char *text, qf_dialect_unit unit) {
  const unsigned char *s = (const unsigned char *)text;
  long count = 0;
  while (*s) {
    uint32_t cp;
    size_t n = utf8_next(s, &cp);
    if (n == 0)
      return -1;
    switch (unit) {
    case QF_DIALECT_UNIT_UTF16:
      count += cp > 0xFFFF ? 2 : 1;
      break;
    case QF_DIALECT_UNIT_CHARS:
      count++;
      break;
    default:
      count += (long)n;
      break;
    }
    s += n;
  }
  return count;
}

static const char *unit_name(qf_dialect_unit unit) {
  switch (unit) {
  case QF_DIALECT_UNIT_UTF16:
    return "UTF-16 units";
  case QF_DIALECT_UNIT_CHARS:
    return "characters";
  default:
    return "bytes";
  }
}

int qf_dialect_util_check_text(const qf_dialect *d, const qf_dialect_msg *msg,
                               qf_dialect_request *req) {
  long n = qf_dialect_util_count(msg->text ? msg->text : "", d->text_unit);
  if (n < 0)
    return qf_dialect_request_refuse(req, "text is not valid UTF-8");
  bool md = qf_dialect_util_is_markdown(msg) && d->max_markdown > 0;
  size_t max = md ? d->max_markdown : d->max_text;
  if (max == 0 || d->text_unit == QF_DIALECT_UNIT_NONE ||
      d->text_unit == QF_DIALECT_UNIT_BODY || (size_t)n <= max)
    return 0;
  return qf_dialect_request_refuse(
      req, "text too long for %s: %ld %s, at most %zu in a %s message (not split)",
      d->name, n, unit_name(d->text_unit), max, md ? "markdown" : "text");
}

/* ---- urls ---- */

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = (char)tolower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into out; '+' stays '+' (RFC 3986 query, not a form). */
static int percent_decode(const char *s, size_t n, char *out, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%' && i + 2 < n) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = (char)(hi * 16 + lo);
        i += 2;
      }
    }
    if (o + 1 >= len)
      return QF_EINVAL;
    out[o++] = c;
  }
  out[o] = '\0';
  return 0;
}

/* Appends n bytes of s to req->url_buf at *pos. */
static void url_put(qf_dialect_request *req, size_t *pos, const char *s, size_t n) {
  char *b = qf_dialect_request_url(req, *pos + n);
  memcpy(b + *pos, s, n);
  *pos += n;
  b[*pos] = '\0';
}

int qf_dialect_util_url_take(const char *url, const char *name, char *val, size_t vlen,
                             qf_dialect_request *req) {
  size_t base = strcspn(url, "?#");
  size_t pos = 0, nlen = strlen(name);
  int found = 0;
  val[0] = '\0';
  url_put(req, &pos, url, base);
  const char *q = url + base;
  if (*q == '?') {
    q++;
    size_t qlen = strcspn(q, "#");
    bool first = true;
    for (size_t i = 0; i <= qlen;) {
      size_t j = i;
      while (j < qlen && q[j] != '&')
        j++;
      if (j - i > nlen && strncmp(q + i, name, nlen) == 0 && q[i + nlen] == '=') {
        if (percent_decode(q + i + nlen + 1, j - i - nlen - 1, val, vlen) != 0)
          return QF_EINVAL;
        found = 1;
      } else if (j > i) {
        url_put(req, &pos, first ? "?" : "&", 1);
        url_put(req, &pos, q + i, j - i);
        first = false;
      }
      i = j + 1;
    }
  }
  /* A fragment is never sent; it is dropped. */
  req->url = req->url_buf;
  return found;
}

void qf_dialect_util_url_append(qf_dialect_request *req, const char *fmt, ...) {
  size_t pos = req->url_buf ? strlen(req->url_buf) : 0;
  char sep = req->url_buf && strchr(req->url_buf, '?') ? '&' : '?';
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *b = qf_dialect_request_url(req, pos + 1 + (size_t)n);
  b[pos] = sep;
  va_start(ap, fmt);
  vsnprintf(b + pos + 1, (size_t)n + 1, fmt, ap);
  va_end(ap);
  req->url = req->url_buf;
}

int qf_dialect_util_urlencode(const char *s, char *out, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    bool keep = isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
    if (o + (keep ? 1 : 3) >= len)
      return QF_EINVAL;
    if (keep) {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = '\0';
  return 0;
}

/* ---- crypto ---- */

int qf_dialect_util_sign(const void *key, size_t key_len, const void *msg,
                         size_t msg_len, char out[QF_DIALECT_SIGN_LEN]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  static const unsigned char empty[1];
  if (!HMAC(EVP_sha256(), key, (int)key_len, msg_len ? msg : empty, msg_len, md,
            &md_len) ||
      md_len != 32)
    return QF_EINTERNAL;
  EVP_EncodeBlock((unsigned char *)out, md, (int)md_len);
  return 0;
}

int qf_dialect_util_account_key(const char *prefix, const char *secret,
                                size_t secret_len, char *out, size_t len) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!EVP_Digest(secret, secret_len, md, &md_len, EVP_sha256(), NULL))
    return QF_EINTERNAL;
  int n = snprintf(out, len, "%s:", prefix);
  if (n < 0 || (size_t)n + 16 >= len)
    return QF_EINVAL;
  for (int i = 0; i < 8; i++)
    snprintf(out + n + 2 * i, 3, "%02x", md[i]);
  return 0;
}

/* ---- answers ---- */

json_t *qf_dialect_util_answer_json(const qf_dialect_answer *ans) {
  if (!ans->body || ans->body_len == 0)
    return NULL;
  json_t *j = json_loadb(ans->body, ans->body_len, 0, NULL);
  if (j && !json_is_object(j)) {
    json_decref(j);
    return NULL;
  }
  return j;
}

bool qf_dialect_util_header(const qf_dialect_answer *ans, const char *name, char *out,
                            size_t len) {
  if (!ans->headers || len == 0)
    return false;
  size_t nlen = strlen(name);
  const char *p = ans->headers, *end = ans->headers + ans->headers_len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = eol ? eol : end;
    if ((size_t)(line_end - p) > nlen && strncasecmp(p, name, nlen) == 0 &&
        p[nlen] == ':') {
      const char *v = p + nlen + 1;
      while (v < line_end && (*v == ' ' || *v == '\t'))
        v++;
      const char *ve = line_end;
      while (ve > v && isspace((unsigned char)ve[-1]))
        ve--;
      size_t n = (size_t)(ve - v) < len - 1 ? (size_t)(ve - v) : len - 1;
      memcpy(out, v, n);
      out[n] = '\0';
      return true;
    }
    p = line_end + 1;
  }
  return false;
}

bool qf_dialect_util_int(const json_t *obj, const char *key, long long *out) {
  const json_t *v = json_object_get(obj, key);
  if (!json_is_integer(v))
    return false;
  *out = json_integer_value(v);
  return true;
}

/* ---- reasons ---- */

static bool token_char(unsigned char c) {
  return isalnum(c) || c == '-' || c == '_';
}

/* Copies s into out, masking words of 16 or more token characters that mix
 * letters and digits (keys, tokens, secrets) and turning control characters
 * into spaces. */
static void mask_tokens(const char *s, char *out, size_t len) {
  size_t o = 0;
  while (*s && o + 1 < len) {
    if (!token_char((unsigned char)*s)) {
      unsigned char c = (unsigned char)*s++;
      out[o++] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
      continue;
    }
    size_t n = 0;
    bool alpha = false, digit = false;
    while (token_char((unsigned char)s[n])) {
      alpha |= isalpha((unsigned char)s[n]) != 0;
      digit |= isdigit((unsigned char)s[n]) != 0;
      n++;
    }
    const char *w = s;
    size_t wn = n;
    if (n >= 16 && alpha && digit)
      w = "***", wn = 3;
    for (size_t i = 0; i < wn && o + 1 < len; i++)
      out[o++] = w[i];
    s += n;
  }
  out[o] = '\0';
}

/* Cuts s so it does not end inside a UTF-8 sequence. */
static void utf8_trim(char *s) {
  size_t n = strlen(s);
  size_t i = n;
  while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
    i--;
  if (i == 0)
    return;
  unsigned char lead = (unsigned char)s[i - 1];
  size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (n - (i - 1) < want)
    s[i - 1] = '\0';
}

void qf_dialect_util_reason(qf_dialect_result *res, qf_outcome outcome, const char *who,
                            long long code, const char *message) {
  char raw[2 * QF_DIALECT_ERROR_LEN], masked[QF_DIALECT_ERROR_LEN];
  if (message && *message)
    snprintf(raw, sizeof raw, "%s %lld: %s", who, code, message);
  else
    snprintf(raw, sizeof raw, "%s %lld", who, code);
  mask_tokens(raw, masked, sizeof masked);
  utf8_trim(masked);
  qf_dialect_result_set(res, outcome, "%s", masked);
}

/* The first line of a short plain-text body (Slack's "invalid_payload"), or "". */
static void short_body(const qf_dialect_answer *ans, char *out, size_t len) {
  out[0] = '\0';
  if (!ans->body || ans->body_len == 0 || ans->body_len > 100 ||
      !isalnum((unsigned char)ans->body[0]))
    return;
  /* The body is body_len bytes, not a C string: scan no further. */
  size_t n = 0;
  while (n < ans->body_len && ans->body[n] != '\r' && ans->body[n] != '\n')
    n++;
  if (n >= len)
    n = len - 1;
  memcpy(out, ans->body, n);
  out[n] = '\0';
}

void qf_dialect_util_by_status(const qf_dialect_answer *ans, const char *who,
                               qf_dialect_result *res) {
  long st = ans->status;
  if (st >= 200 && st < 300) {
    qf_dialect_result_set(res, QF_OUTCOME_DELIVERED, "%s", "");
    return;
  }
  char what[64], body[104];
  snprintf(what, sizeof what, "%s http", who);
  short_body(ans, body, sizeof body);
  bool retry = st == 429 || st >= 500;
  qf_dialect_util_reason(res, retry ? QF_OUTCOME_RETRY : QF_OUTCOME_FAILED, what, st,
                         body);
  if (st == 429 || st == 503)
    res->retry_after_ms = qf_dialect_retry_after_ms(ans->retry_after, ans->now_ms);
  res->throttled = st == 429;
}

void qf_dialect_util_no_code(const qf_dialect_answer *ans, const char *who,
                             qf_dialect_result *res) {
  qf_dialect_util_by_status(ans, who, res);
  if (res->outcome == QF_OUTCOME_DELIVERED)
    qf_dialect_result_set(res, QF_OUTCOME_RETRY, "%s http %ld without a result code",
                          who, ans->status);
}

void qf_dialect_util_classify_errcode(const qf_dialect_answer *ans, const char *who,
                                      const qf_dialect_retry_code *retry, size_t nretry,
                                      qf_dialect_result *res) {
  if (ans->xfer != QF_XFER_OK) {
    qf_dialect_classify_xfer(ans, res);
    return;
  }
  json_t *j = qf_dialect_util_answer_json(ans);
  long long code;
  if (!j || !qf_dialect_util_int(j, "errcode", &code)) {
    json_decref(j);
    qf_dialect_util_no_code(ans, who, res);
    return;
  }
  char label[32];
  snprintf(label, sizeof label, "%s errcode", who);
  const char *msg = json_string_value(json_object_get(j, "errmsg"));
  if (code == 0) {
    qf_dialect_result_set(res, QF_OUTCOME_DELIVERED, "%s", "");
    json_decref(j);
    return;
  }
  const qf_dialect_retry_code *r = NULL;
  for (size_t i = 0; i < nretry && !r; i++)
    r = retry[i].code == code ? &retry[i] : NULL;
  qf_dialect_util_reason(res, r ? QF_OUTCOME_RETRY : QF_OUTCOME_FAILED, label, code,
                         msg);
  if (r) {
    res->retry_after_ms = r->retry_after_ms;
    res->throttled = r->throttled;
  }
  json_decref(j);
}

bool qf_dialect_util_escape_html(const char *s, char *out, size_t len) {
  size_t o = 0;
  for (; *s; s++) {
    const char *rep = *s == '&'   ? "&amp;"
                      : *s == '<' ? "&lt;"
                      : *s == '>' ? "&gt;"
                                  : NULL;
    size_t n = rep ? strlen(rep) : 1;
    if (o + n >= len)
      return false;
    memcpy(out + o, rep ? rep : s, n);
    o += n;
  }
  out[o] = '\0';
  return true;
}
