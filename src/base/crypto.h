/*
 * crypto.h - hashing, HMAC, random bytes and constant-time comparison
 * (thin wrappers over OpenSSL).  Thread-safe.  Outputs are lower-case hex.
 */
#ifndef WISMO_CRYPTO_H
#define WISMO_CRYPTO_H

#include <stddef.h>

#include "err.h"

#define SHA256_HEX_LEN 64

/* out receives 64 hex digits and a NUL. */
void crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

/* out receives 32 raw bytes. */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
			unsigned char out[32]);

/* Fills buf with len bytes from the system's CSPRNG.  WERR_IO when it fails;
 * WERR_INVALID (a bug: asserted in debug builds) when len exceeds INT_MAX. */
enum werr crypto_random(void *buf, size_t len);

/* 1 when a and b are equal; the time taken depends only on the lengths. */
int crypto_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Hex-encodes len bytes into out (2*len+1 bytes). */
void crypto_hex(const unsigned char *in, size_t len, char *out);
/* The value of one hex digit (either case), or -1. */
int crypto_hex_digit(char c);

#endif
