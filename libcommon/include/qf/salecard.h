/* A flash sale's message as a card: the one model every dialect renders from
 * (docs/live-and-sales.md, docs/dialects.md). The scheduler makes a card for
 * each message of a sale (announcement, reminder, sold out) and stores it with
 * the same message as plain text (Content.sale and Content.text); a dialect
 * whose platform has cards turns the parts below into its own card, the others
 * send the text.
 *
 * Wording lives here only: the plain text, the title, the labelled fields, the
 * button and the closing line, so every platform says the same thing. Pure
 * code, no I/O; every string is borrowed. */
#ifndef QF_SALECARD_H
#define QF_SALECARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.pb-c.h"

typedef enum qf_sale_card_kind {
  QF_SALE_CARD_ANNOUNCE = 0, /* the start announcement */
  QF_SALE_CARD_REMINDER = 1, /* a countdown before the start */
  QF_SALE_CARD_SOLDOUT = 2,  /* the sold-out follow-up */
} qf_sale_card_kind;

typedef struct qf_sale_card {
  qf_sale_card_kind kind;
  const char *item, *price, *orig_price;
  const char *link; /* NULL or "" = none */
  uint32_t stock;
  int64_t end_ms;    /* announcement: the sale's end */
  int64_t before_ms; /* reminder: how long before the start */
} qf_sale_card;

#define QF_SALE_CARD_FIELDS_MAX 4
#define QF_SALE_CARD_VALUE_LEN 64

/* One labelled value ("Price", "9.90"). */
typedef struct qf_sale_card_field {
  const char *label;
  char value[QF_SALE_CARD_VALUE_LEN];
} qf_sale_card_field;

/* The message as plain text ("Flash sale now: Green tea at 9.90 (was 99), 500
 * in stock, until ... LINK"). Returns what snprintf returns. */
int qf_sale_card_text(const qf_sale_card *c, char *buf, size_t len);
/* The card's title ("Flash sale now: Green tea", "Flash sale in 5 min: Green
 * tea", "Sold out: Green tea"). Returns what snprintf returns. */
int qf_sale_card_title(const qf_sale_card *c, char *buf, size_t len);
/* The card's labelled values in display order; returns how many (0 for sold
 * out). */
size_t qf_sale_card_fields(const qf_sale_card *c,
                           qf_sale_card_field out[QF_SALE_CARD_FIELDS_MAX]);
/* The link a button opens, or NULL (none given, or sold out: nothing to buy). */
const char *qf_sale_card_link(const qf_sale_card *c);
/* The button's label ("Buy now", "See the item"). */
const char *qf_sale_card_button(const qf_sale_card *c);
/* A closing line ("Thank you for taking part!") or NULL. */
const char *qf_sale_card_note(const qf_sale_card *c);
/* "announce", "reminder" or "sold_out". */
const char *qf_sale_card_kind_name(qf_sale_card_kind kind);
/* The card as markdown for platforms whose card body is markdown (WeCom and
 * DingTalk): a heading, one "**Label:** value" paragraph per field, the note,
 * and the link as [button](url) when with_link. Returns what snprintf returns. */
int qf_sale_card_markdown(const qf_sale_card *c, bool with_link, char *buf, size_t len);

/* The card in p (borrowed: out's strings point into p). */
void qf_sale_card_from_proto(const Qunfa__SaleCard *p, qf_sale_card *out);
/* c as a message in out (borrowed: out's strings point into c's). */
void qf_sale_card_to_proto(const qf_sale_card *c, Qunfa__SaleCard *out);
/* A copy of c in one allocation (free with free()); NULL is NULL. */
qf_sale_card *qf_sale_card_copy(const qf_sale_card *c);

#endif
