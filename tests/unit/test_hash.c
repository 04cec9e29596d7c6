#include "qf/hash.h"

#include <criterion/criterion.h>
#include <string.h>

static void hex_of(const char *s, char *hex) {
  uint8_t id[QF_SHA256_LEN];
  qf_sha256(s, strlen(s), id);
  qf_sha256_hex(id, hex);
}

Test(hash, sha256_of_abc_matches_the_fips_vector) {
  char hex[QF_SHA256_HEX_LEN];
  hex_of("abc", hex);
  cr_assert_str_eq(hex,
                   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(hash, sha256_of_empty_input_matches_the_known_vector) {
  char hex[QF_SHA256_HEX_LEN];
  hex_of("", hex);
  cr_assert_str_eq(hex,
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(hash, sha256_of_the_two_block_vector) {
  char hex[QF_SHA256_HEX_LEN];
  hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
  cr_assert_str_eq(hex,
                   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(hash, hex_is_lower_case_and_terminated) {
  uint8_t id[QF_SHA256_LEN];
  memset(id, 0xAB, sizeof id);
  char hex[QF_SHA256_HEX_LEN];
  memset(hex, 'x', sizeof hex);
  cr_assert_eq(qf_sha256_hex(id, hex), hex);
  cr_assert_eq(strlen(hex), 64);
  for (int i = 0; i < 64; i += 2)
    cr_assert(hex[i] == 'a' && hex[i + 1] == 'b');
}
