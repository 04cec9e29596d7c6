#include "qf/salecard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf/alloc.h"
#include "qf/clock.h"

static const char *or_empty(const char *s) {
  return s ? s : "";
}

const char *qf_sale_card_link(const qf_sale_card *c) {
  if (c->kind == QF_SALE_CARD_SOLDOUT || !c->link || !c->link[0])
    return NULL;
  return c->link;
}

const char *qf_sale_card_button(const qf_sale_card *c) {
  return c->kind == QF_SALE_CARD_ANNOUNCE ? "Buy now" : "See the item";
}

const char *qf_sale_card_note(const qf_sale_card *c) {
  return c->kind == QF_SALE_CARD_SOLDOUT ? "Thank you for taking part!" : NULL;
}

/* "5 min", "1 h", "30 s": how long before the start. */
static void span_text(int64_t ms, char *buf, size_t len) {
  if (ms > 0 && ms % 3600000 == 0)
    snprintf(buf, len, "%lld h", (long long)(ms / 3600000));
  else if (ms > 0 && ms % 60000 == 0)
    snprintf(buf, len, "%lld min", (long long)(ms / 60000));
  else
    snprintf(buf, len, "%lld s", (long long)((ms + 999) / 1000));
}

int qf_sale_card_title(const qf_sale_card *c, char *buf, size_t len) {
  char span[32];
  switch (c->kind) {
  case QF_SALE_CARD_REMINDER:
    span_text(c->before_ms, span, sizeof span);
    return snprintf(buf, len, "Flash sale in %s: %s", span, or_empty(c->item));
  case QF_SALE_CARD_SOLDOUT:
    return snprintf(buf, len, "Sold out: %s", or_empty(c->item));
  default:
    return snprintf(buf, len, "Flash sale now: %s", or_empty(c->item));
  }
}

size_t qf_sale_card_fields(const qf_sale_card *c,
                           qf_sale_card_field out[QF_SALE_CARD_FIELDS_MAX]) {
  size_t n = 0;
  if (c->kind == QF_SALE_CARD_SOLDOUT)
    return 0;
  out[n].label = "Price";
  snprintf(out[n++].value, QF_SALE_CARD_VALUE_LEN, "%s", or_empty(c->price));
  out[n].label = "Was";
  snprintf(out[n++].value, QF_SALE_CARD_VALUE_LEN, "%s", or_empty(c->orig_price));
  out[n].label = "In stock";
  snprintf(out[n++].value, QF_SALE_CARD_VALUE_LEN, "%u", c->stock);
  if (c->kind == QF_SALE_CARD_ANNOUNCE) {
    out[n].label = "Until";
    qf_time_format_rfc3339(c->end_ms, out[n++].value, QF_SALE_CARD_VALUE_LEN);
  } else {
    out[n].label = "Starts in";
    span_text(c->before_ms, out[n++].value, QF_SALE_CARD_VALUE_LEN);
  }
  return n;
}

int qf_sale_card_text(const qf_sale_card *c, char *buf, size_t len) {
  const char *link = qf_sale_card_link(c);
  char when[40];
  if (c->kind == QF_SALE_CARD_SOLDOUT)
    return snprintf(buf, len, "Sold out: %s. %s", or_empty(c->item),
                    qf_sale_card_note(c));
  if (c->kind == QF_SALE_CARD_REMINDER) {
    span_text(c->before_ms, when, sizeof when);
    return snprintf(buf, len, "Flash sale in %s: %s at %s (was %s), %u in stock.%s%s",
                    when, or_empty(c->item), or_empty(c->price),
                    or_empty(c->orig_price), c->stock, link ? " " : "",
                    link ? link : "");
  }
  qf_time_format_rfc3339(c->end_ms, when, sizeof when);
  return snprintf(buf, len,
                  "Flash sale now: %s at %s (was %s), %u in stock, until %s.%s%s",
                  or_empty(c->item), or_empty(c->price), or_empty(c->orig_price),
                  c->stock, when, link ? " " : "", link ? link : "");
}

int qf_sale_card_markdown(const qf_sale_card *c, bool with_link, char *buf,
                          size_t len) {
  qf_sale_card_field f[QF_SALE_CARD_FIELDS_MAX];
  size_t nf = qf_sale_card_fields(c, f);
  const char *link = with_link ? qf_sale_card_link(c) : NULL;
  const char *note = qf_sale_card_note(c);
  char title[1024];
  qf_sale_card_title(c, title, sizeof title);
  /* Blank lines between paragraphs: DingTalk joins single newlines. */
  int n = snprintf(buf, len, "#### %s", title);
  for (size_t i = 0; i < nf && n >= 0 && (size_t)n < len; i++)
    n += snprintf(buf + n, len - (size_t)n, "\n\n**%s:** %s", f[i].label, f[i].value);
  if (note && n >= 0 && (size_t)n < len)
    n += snprintf(buf + n, len - (size_t)n, "\n\n%s", note);
  if (link && n >= 0 && (size_t)n < len)
    n += snprintf(buf + n, len - (size_t)n, "\n\n[%s](%s)", qf_sale_card_button(c),
                  link);
  return n;
}

void qf_sale_card_from_proto(const Qunfa__SaleCard *p, qf_sale_card *out) {
  memset(out, 0, sizeof *out);
  switch (p->kind) {
  case QUNFA__SALE_CARD_KIND__SALE_CARD_REMINDER:
    out->kind = QF_SALE_CARD_REMINDER;
    break;
  case QUNFA__SALE_CARD_KIND__SALE_CARD_SOLDOUT:
    out->kind = QF_SALE_CARD_SOLDOUT;
    break;
  default:
    out->kind = QF_SALE_CARD_ANNOUNCE;
    break;
  }
  out->item = or_empty(p->item);
  out->price = or_empty(p->price);
  out->orig_price = or_empty(p->orig_price);
  out->link = or_empty(p->link);
  out->stock = p->stock;
  out->end_ms = p->end_ms;
  out->before_ms = p->before_ms;
}

void qf_sale_card_to_proto(const qf_sale_card *c, Qunfa__SaleCard *out) {
  static const Qunfa__SaleCardKind kinds[] = {
      QUNFA__SALE_CARD_KIND__SALE_CARD_ANNOUNCE,
      QUNFA__SALE_CARD_KIND__SALE_CARD_REMINDER,
      QUNFA__SALE_CARD_KIND__SALE_CARD_SOLDOUT,
  };
  qunfa__sale_card__init(out);
  out->kind = kinds[c->kind <= QF_SALE_CARD_SOLDOUT ? c->kind : 0];
  out->item = (char *)or_empty(c->item);
  out->price = (char *)or_empty(c->price);
  out->orig_price = (char *)or_empty(c->orig_price);
  out->link = (char *)or_empty(c->link);
  out->stock = c->stock;
  out->end_ms = c->end_ms;
  out->before_ms = c->before_ms;
}

/* Copies s to *at and returns where it was put. */
static const char *put(char **at, const char *s) {
  size_t n = strlen(s) + 1;
  char *dst = *at;
  memcpy(dst, s, n);
  *at += n;
  return dst;
}

qf_sale_card *qf_sale_card_copy(const qf_sale_card *c) {
  if (c == NULL)
    return NULL;
  const char *s[4] = {or_empty(c->item), or_empty(c->price), or_empty(c->orig_price),
                      or_empty(c->link)};
  size_t n = sizeof(qf_sale_card);
  for (size_t i = 0; i < 4; i++)
    n += strlen(s[i]) + 1;
  qf_sale_card *out = qf_malloc(n);
  char *at = (char *)(out + 1);
  *out = *c;
  out->item = put(&at, s[0]);
  out->price = put(&at, s[1]);
  out->orig_price = put(&at, s[2]);
  out->link = put(&at, s[3]);
  return out;
}

const char *qf_sale_card_kind_name(qf_sale_card_kind kind) {
  switch (kind) {
  case QF_SALE_CARD_REMINDER:
    return "reminder";
  case QF_SALE_CARD_SOLDOUT:
    return "sold_out";
  default:
    return "announce";
  }
}
