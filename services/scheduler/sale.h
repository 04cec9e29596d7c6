/* Flash sales (docs/live-and-sales.md). A sale is a record in the sales db and
 * ordinary posts made for it, so every guarantee of a post holds:
 *  - one reminder post per --remind offset still ahead (priority normal,
 *    expiring at the start: a countdown is never sent after the start);
 *  - the announcement at the start (priority urgent, expiring at the end: a sale
 *    is never announced after it ended);
 *  - when the stock reaches 0, the reminders and the announcement expire at once,
 *    and once no announcement is in a dispatcher's hands a sold-out post
 *    (urgent) goes to exactly the groups whose announcement was delivered. That
 *    step is recorded (soldout_settled), so a restart in between resumes it.
 * The texts are made here and put into the content store at creation. */
#ifndef SCHED_SALE_H
#define SCHED_SALE_H
#include <stddef.h>
#include <stdint.h>

#include "model.pb-c.h"
#include "qf/rpc.h"
#include "scheduler.h"

typedef struct sales sales;

/* Reads the next sale id. On 0 *out is new (free with sales_free). */
int sales_new(sched *s, sales **out);
void sales_free(sales *sl);
/* Resumes the sold-out follow-up of sales whose stock reached 0 before a
 * restart. Call once the timeline is loaded. */
int sales_resume(sales *sl);

/* The texts, UTF-8 (pure; exposed for tests). Each writes at most len bytes
 * including the NUL and returns what snprintf returns. */
int sale_text_announce(const Qunfa__Sale *sale, char *buf, size_t len);
int sale_text_reminder(const Qunfa__Sale *sale, int64_t before_ms, char *buf,
                       size_t len);
int sale_text_soldout(const Qunfa__Sale *sale, char *buf, size_t len);
/* A price as the operator wrote it: digits, at most one '.', at most two
 * decimals. */
bool sale_price_ok(const char *s);

/* Handlers: CreateSale, SaleStock, GetSale. */
void sale_on_create(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void sale_on_stock(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);
void sale_on_get(qf_rpc_call *call, const ProtobufCMessage *req, void *arg);

/* Ends every pending delivery of post id EXPIRED with why, now, and makes the
 * post expire now for deliveries still to load or leased (the post is made
 * active if it was not due yet). Changes ride in the work batch. */
void sale_expire_post(sched *s, uint64_t id, const char *why);

#endif
