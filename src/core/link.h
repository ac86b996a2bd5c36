/*
 * link.h - signed links to the tracking page (pure: no I/O, no clock).
 *
 * A token names one order until an expiry time:
 *
 *   token = base64url(order "|" expiry) "." base64url(HMAC-SHA256(key, that)[0..15])
 *
 * expiry is seconds since the epoch in decimal; base64url has no padding.
 * The HMAC key is derived from the secret and a purpose string, so a token
 * made for one purpose (a tracking link) is worthless for another (a
 * dashboard session) even with the same secret.  Verification recomputes
 * the MAC and compares it in constant time before it looks at anything else;
 * then it checks the expiry.  Nothing here allocates.
 *
 * A link signer is the secret and the public base URL that every part of
 * the program making links shares (the tracking page and its API, the
 * notification planner, `wismo track-link`): made once at start
 * (app/links.h finds the secret) and handed to them, read-only afterwards.
 */
#ifndef WISMO_CORE_LINK_H
#define WISMO_CORE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"
#include "event.h"

#define LINK_MAC_BYTES 16
/* base64url of (EV_ORDER_MAX + 1 + 20 digits), ".", base64url of the MAC, NUL */
#define LINK_TOKEN_MAX (((EV_ORDER_MAX + 21) * 4 + 2) / 3 + 1 + (LINK_MAC_BYTES * 4 + 2) / 3 + 1)

#define LINK_PURPOSE_TRACK "track-link"

/* Makes the token for payload (no '|' needed; up to EV_ORDER_MAX bytes)
 * valid until expires (seconds).  WERR_INVALID for an empty or long payload. */
enum werr link_make(const void *secret, size_t secretlen, const char *purpose, const char *payload,
		    int64_t expires, char out[LINK_TOKEN_MAX]);

/* Checks token at now (seconds).  WERR_OK with the payload in out (cap bytes)
 * and *expires set; WERR_UNAUTHORIZED when malformed, tampered with or made
 * with another secret or purpose; WERR_FORBIDDEN when genuine but expired. */
enum werr link_verify(const void *secret, size_t secretlen, const char *purpose, const char *token,
		      int64_t now, char *out, size_t cap, int64_t *expires);

struct link_signer {
	char secret[256];
	size_t secretlen;
	char base[600];      /* public base URL, no trailing '/' */
};

/* Appends base "/track/" token for order, valid for days from now_ms, to
 * url; *expires_ms receives the expiry.  WERR_INTERNAL without a secret. */
enum werr link_signer_url(const struct link_signer *s, const char *order, int days, int64_t now_ms,
			  struct buf *url, int64_t *expires_ms);

/* base64url without padding: out needs (n * 4 + 2) / 3 + 1 bytes. */
void link_b64url(const unsigned char *in, size_t n, char *out);
/* Decodes up to cap bytes; returns the length, or -1 for bad input. */
long link_unb64url(const char *in, size_t n, unsigned char *out, size_t cap);

#endif
