/* Content ids: SHA-256 (OpenSSL's libcrypto) of an item's canonical bytes. */
#ifndef QF_HASH_H
#define QF_HASH_H
#include <stddef.h>
#include <stdint.h>

#define QF_SHA256_LEN 32
#define QF_SHA256_HEX_LEN 65 /* 64 hex digits and the NUL */

void qf_sha256(const void *data, size_t len, uint8_t out[QF_SHA256_LEN]);
/* Lower-case hex of 32 bytes into out (65 bytes). Returns out. */
char *qf_sha256_hex(const uint8_t id[QF_SHA256_LEN], char *out);

#endif
