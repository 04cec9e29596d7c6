#include "qf/err.h"

#include <criterion/criterion.h>
#include <string.h>

Test(err, every_code_has_its_name_and_a_sentence) {
#define CHECK(name, num, text)                                                         \
  cr_expect_eq(QF_##name, -(num));                                                     \
  cr_expect_str_eq(qf_errname(QF_##name), #name);                                      \
  cr_expect_str_eq(qf_strerror(QF_##name), text);                                      \
  cr_expect_str_neq(qf_strerror(QF_##name), "unknown error");
  QF_ERRNO_MAP(CHECK)
#undef CHECK
}

Test(err, codes_are_negative_and_distinct) {
  static const int codes[] = {
#define CODE(name, num, text) QF_##name,
      QF_ERRNO_MAP(CODE)
#undef CODE
  };
  size_t n = sizeof codes / sizeof codes[0];
  for (size_t i = 0; i < n; i++) {
    cr_expect_lt(codes[i], 0);
    for (size_t j = i + 1; j < n; j++)
      cr_expect_neq(codes[i], codes[j]);
  }
}

Test(err, zero_is_ok) {
  cr_expect_eq(QF_OK, 0);
  cr_expect_str_eq(qf_errname(0), "OK");
  cr_expect_str_eq(qf_strerror(0), "ok");
}

Test(err, unknown_codes_get_a_constant_answer) {
  static const int unknown[] = {-999, 999, 1, -100000, 7};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    cr_expect_str_eq(qf_strerror(unknown[i]), "unknown error");
    cr_expect_str_eq(qf_errname(unknown[i]), "EUNKNOWN");
  }
}
