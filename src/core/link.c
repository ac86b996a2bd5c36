/*
 * link.c - signed tracking links (contract in link.h).
 */
#include "link.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../base/b64url.h"
#include "../base/crypto.h"
#include "../base/banned.h"

/* The link's two parts are base64url (base/b64url.h); these names stay for
 * link.h's callers. */
void link_b64url(const unsigned char *in, size_t n, char *out)
{
	b64url_encode(in, n, out);
}

long link_unb64url(const char *in, size_t n, unsigned char *out, size_t cap)
{
	return b64url_decode(in, n, out, cap);
}

static void derive(const void *secret, size_t secretlen, const char *purpose, unsigned char key[32])
{
	crypto_hmac_sha256(secret, secretlen, purpose, strlen(purpose), key);
}

enum werr link_make(const void *secret, size_t secretlen, const char *purpose, const char *payload,
		    int64_t expires, char out[LINK_TOKEN_MAX])
{
	char msg[EV_ORDER_MAX + 24];
	unsigned char key[32], mac[32];
	size_t plen = strlen(payload), n;
	int m;

	out[0] = '\0';
	if (!plen || plen > EV_ORDER_MAX || expires < 0)
		return WERR_INVALID;
	m = snprintf(msg, sizeof(msg), "%s|%" PRId64, payload, expires);
	if (m < 0 || (size_t)m >= sizeof(msg))
		return WERR_INVALID;
	derive(secret, secretlen, purpose, key);
	link_b64url((const unsigned char *)msg, (size_t)m, out);
	n = strlen(out);
	crypto_hmac_sha256(key, sizeof(key), out, n, mac);
	out[n++] = '.';
	link_b64url(mac, LINK_MAC_BYTES, out + n);
	return WERR_OK;
}

enum werr link_verify(const void *secret, size_t secretlen, const char *purpose, const char *token,
		      int64_t now, char *out, size_t cap, int64_t *expires)
{
	const char *dot = strchr(token, '.');
	unsigned char key[32], mac[32], given[LINK_MAC_BYTES + 4], msg[EV_ORDER_MAX + 24];
	long glen, mlen;
	char *bar;
	int64_t exp = 0;

	if (cap)
		out[0] = '\0';
	if (!dot || dot == token || strlen(token) >= LINK_TOKEN_MAX || strchr(dot + 1, '.'))
		return WERR_UNAUTHORIZED;
	derive(secret, secretlen, purpose, key);
	crypto_hmac_sha256(key, sizeof(key), token, (size_t)(dot - token), mac);
	glen = link_unb64url(dot + 1, strlen(dot + 1), given, sizeof(given));
	if (glen < 0 || !crypto_equal(mac, LINK_MAC_BYTES, given, (size_t)glen))
		return WERR_UNAUTHORIZED;
	mlen = link_unb64url(token, (size_t)(dot - token), msg, sizeof(msg) - 1);
	if (mlen <= 0)
		return WERR_UNAUTHORIZED;
	msg[mlen] = '\0';
	if (memchr(msg, '\0', (size_t)mlen) || !(bar = strrchr((char *)msg, '|')) || bar == (char *)msg ||
	    !bar[1])
		return WERR_UNAUTHORIZED;
	for (const char *c = bar + 1; *c; c++) {
		if (*c < '0' || *c > '9' || exp > (INT64_MAX - 9) / 10)
			return WERR_UNAUTHORIZED;
		exp = exp * 10 + (*c - '0');
	}
	*bar = '\0';
	if ((size_t)(bar - (char *)msg) >= cap)
		return WERR_UNAUTHORIZED;
	if (expires)
		*expires = exp;
	if (exp <= now)
		return WERR_FORBIDDEN;
	memcpy(out, msg, (size_t)(bar - (char *)msg) + 1);
	return WERR_OK;
}

enum werr link_signer_url(const struct link_signer *s, const char *order, int days, int64_t now_ms,
			  struct buf *url, int64_t *expires_ms)
{
	char token[LINK_TOKEN_MAX];
	int64_t exp = now_ms / 1000 + (int64_t)days * 86400;
	enum werr err;

	if (!s->secretlen)
		return WERR_INTERNAL;
	if ((err = link_make(s->secret, s->secretlen, LINK_PURPOSE_TRACK, order, exp, token)))
		return err;
	*expires_ms = exp * 1000;
	return buf_printf(url, "%s/track/%s", s->base, token);
}
