#include <criterion/criterion.h>
#include <string.h>

#include "sale.h"

static Qunfa__Sale sale_of(void) {
  Qunfa__Sale s = QUNFA__SALE__INIT;
  s.item = "Green tea";
  s.price = "9.90";
  s.orig_price = "99";
  s.stock = 500;
  s.start_ms = 1795460400000LL; /* 2026-11-23T19:00:00Z */
  s.end_ms = 1795464000000LL;   /* 2026-11-23T20:00:00Z */
  s.link = "";
  return s;
}

Test(sale, price_takes_digits_and_two_decimals_at_most) {
  cr_assert(sale_price_ok("9.90"));
  cr_assert(sale_price_ok("99"));
  cr_assert(sale_price_ok("0.5"));
  cr_assert_not(sale_price_ok(""));
  cr_assert_not(sale_price_ok("9."));
  cr_assert_not(sale_price_ok(".9"));
  cr_assert_not(sale_price_ok("9.999"));
  cr_assert_not(sale_price_ok("-1"));
  cr_assert_not(sale_price_ok("1,5"));
  cr_assert_not(sale_price_ok("1e3"));
}

Test(sale, announcement_names_item_prices_stock_and_end) {
  Qunfa__Sale s = sale_of();
  char buf[512];
  sale_text_announce(&s, buf, sizeof buf);
  cr_assert(strstr(buf, "Green tea"), "%s", buf);
  cr_assert(strstr(buf, "9.90"), "%s", buf);
  cr_assert(strstr(buf, "was 99"), "%s", buf);
  cr_assert(strstr(buf, "500 in stock"), "%s", buf);
  cr_assert(strstr(buf, "2026-11-23T20:00:00"), "%s", buf);
  cr_assert_null(strstr(buf, "http"), "no link given: %s", buf);
}

Test(sale, link_is_appended_when_given) {
  Qunfa__Sale s = sale_of();
  char buf[512];
  s.link = "https://shop.example/tea";
  sale_text_announce(&s, buf, sizeof buf);
  cr_assert(strstr(buf, " https://shop.example/tea"), "%s", buf);
  sale_text_reminder(&s, 300000, buf, sizeof buf);
  cr_assert(strstr(buf, " https://shop.example/tea"), "%s", buf);
}

Test(sale, reminder_says_how_long_before_the_start) {
  Qunfa__Sale s = sale_of();
  char buf[512];
  sale_text_reminder(&s, 3600000, buf, sizeof buf);
  cr_assert(strstr(buf, "in 1 h:"), "%s", buf);
  sale_text_reminder(&s, 300000, buf, sizeof buf);
  cr_assert(strstr(buf, "in 5 min:"), "%s", buf);
  sale_text_reminder(&s, 1500, buf, sizeof buf);
  cr_assert(strstr(buf, "in 2 s:"), "%s", buf);
}

Test(sale, soldout_names_the_item) {
  Qunfa__Sale s = sale_of();
  char buf[128];
  sale_text_soldout(&s, buf, sizeof buf);
  cr_assert_str_eq(buf, "Sold out: Green tea. Thank you for taking part!");
}

Test(sale, texts_are_cut_not_overrun) {
  Qunfa__Sale s = sale_of();
  char buf[16];
  int n = sale_text_announce(&s, buf, sizeof buf);
  cr_assert_gt(n, 15);
  cr_assert_eq(strlen(buf), 15);
}
