#include "platform.h"

#include "qf/alloc.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most specific first: generic's /hook/ and the platforms' own paths do not
 * overlap, and Telegram's /bot<token>/ is tried last. */
static const mc_platform *const platforms[] = {
    &mc_generic, &mc_wecom, &mc_feishu, &mc_dingtalk, &mc_slack, &mc_telegram,
};

const mc_platform *mc_platform_route(const char *path) {
  for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
    if (platforms[i]->match(path))
      return platforms[i];
  return NULL;
}

/* ---- replies ---- */

void mc_reply_clear(mc_reply *r) {
  free(r->body);
  memset(r, 0, sizeof *r);
}

void mc_reply_json(mc_reply *r, uint16_t status, json_t *o) {
  mc_reply_clear(r);
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  r->status = status;
  r->body = s ? s : qf_strdup("{}");
}

void mc_reply_text(mc_reply *r, uint16_t status, const char *text) {
  mc_reply_clear(r);
  r->status = status;
  r->body = qf_strdup(text);
  r->content_type = "text/plain; charset=utf-8";
}

int64_t mc_wait_seconds(int64_t wait_ms) {
  int64_t s = (wait_ms + 999) / 1000;
  return s < 1 ? 1 : s;
}

void mc_reply_retry_after(mc_reply *r, const char *name, int64_t wait_ms) {
  r->hname = name;
  snprintf(r->hvalue, sizeof r->hvalue, "%lld", (long long)mc_wait_seconds(wait_ms));
}

/* ---- requests ---- */

bool mc_body_object(const mc_request *rq, json_t **out, char *why, size_t wlen) {
  json_error_t err;
  *out = NULL;
  json_t *o =
      json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES, &err);
  if (!o) {
    snprintf(why, wlen, "body is not JSON: %s at line %d column %d", err.text, err.line,
             err.column);
    return false;
  }
  if (!json_is_object(o)) {
    snprintf(why, wlen, "body is not a JSON object");
    json_decref(o);
    return false;
  }
  *out = o;
  return true;
}

const char *mc_str(const json_t *o, const char *name) {
  return json_string_value(json_object_get(o, name));
}

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool mc_pct_decode(const char *s, size_t n, char *out, size_t len, bool plus_is_space) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (o + 1 >= len)
      return false;
    int hi, lo;
    if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
        (lo = hexval((unsigned char)s[i + 2])) >= 0) {
      out[o++] = (char)(hi * 16 + lo);
      i += 2;
    } else {
      out[o++] = plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  out[o] = '\0';
  return true;
}

bool mc_query_get(const char *query, const char *name, char *out, size_t len) {
  size_t nlen = strlen(name);
  for (const char *p = query; p && *p;) {
    size_t n = strcspn(p, "&");
    if (n > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
      return mc_pct_decode(p + nlen + 1, n - nlen - 1, out, len, false);
    p += n;
    if (*p == '&')
      p++;
  }
  return false;
}

bool mc_path_segment(const char *s, size_t n, char *out, size_t len) {
  if (n == 0 || !mc_pct_decode(s, n, out, len, false))
    return false;
  size_t d = strlen(out);
  return d > 0 && !memchr(out, '/', d) && d == strnlen(out, len);
}

void mc_identify(mc_message *m, const mc_request *rq, const char *dialect,
                 const char *kind, const char *text) {
  const char *key = rq->idem_key;
  const char *colon = key ? strchr(key, ':') : NULL;
  m->m.dialect = dialect;
  m->m.kind = kind;
  m->m.text = text;
  m->m.idempotency_key = key ? key : "";
  if (colon && colon > key && colon[1] && (size_t)(colon - key) < sizeof m->post_buf) {
    memcpy(m->post_buf, key, (size_t)(colon - key));
    m->post_buf[colon - key] = '\0';
    snprintf(m->group_buf, sizeof m->group_buf, "%s", colon + 1);
  } else {
    m->post_buf[0] = '\0';
    snprintf(m->group_buf, sizeof m->group_buf, "%s", m->target);
  }
  m->m.group = m->group_buf;
  m->m.post = m->post_buf;
}

/* ---- signatures and text ---- */

void mc_hmac_b64(const void *key, size_t klen, const void *msg, size_t mlen,
                 char out[45]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!HMAC(EVP_sha256(), key, (int)klen, msg, mlen, md, &mdlen) || mdlen != 32) {
    out[0] = '\0'; /* matches nothing a sender could send */
    return;
  }
  EVP_EncodeBlock((unsigned char *)out, md, 32);
}

bool mc_same(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char d = la != lb;
  for (size_t i = 0; i < la && i < lb; i++)
    d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

size_t mc_utf16_len(const char *s) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p & 0xC0) == 0x80)
      continue; /* continuation byte */
    n += *p >= 0xF0 ? 2 : 1;
  }
  return n;
}

size_t mc_chars(const char *s) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    n += (*p & 0xC0) != 0x80;
  return n;
}
