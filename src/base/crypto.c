/* crypto.c - OpenSSL wrappers; see crypto.h. */
#include "crypto.h"

#include <limits.h>
#include <pthread.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "invariant.h"
#include "banned.h"

int crypto_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void crypto_hex(const unsigned char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* SHA-256 fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up
 * on every digest, a third of hashing an API key (docs/performance.md).
 * Set once, read-only after. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	pthread_once(&sha256_once, sha256_fetch);
	EVP_Digest(data, len, md, &mdlen, sha256_md ? sha256_md : EVP_sha256(), NULL);
	crypto_hex(md, 32, out);
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
			unsigned char out[32])
{
	unsigned int outlen = 32;
	HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen);
}

enum werr crypto_random(void *buf, size_t len)
{
	/* callers ask for a few dozen bytes; a length RAND_bytes' int cannot
	 * hold is a bug, and must not be cut short silently */
	if (NEVER(len > INT_MAX))
		return WERR_INVALID;
	return RAND_bytes(buf, (int)len) == 1 ? WERR_OK : WERR_IO;
}

int crypto_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	return CRYPTO_memcmp(a, b, alen) == 0;
}
