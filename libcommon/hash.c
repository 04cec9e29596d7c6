#include "qf/hash.h"

#include <openssl/sha.h>

void qf_sha256(const void *data, size_t len, uint8_t out[QF_SHA256_LEN]) {
  SHA256(data, len, out);
}

char *qf_sha256_hex(const uint8_t id[QF_SHA256_LEN], char *out) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < QF_SHA256_LEN; i++) {
    out[2 * i] = digits[id[i] >> 4];
    out[2 * i + 1] = digits[id[i] & 15];
  }
  out[2 * QF_SHA256_LEN] = '\0';
  return out;
}
