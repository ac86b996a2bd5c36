/*
 * b64url.h - base64url (RFC 4648 section 5) without padding, the one
 * encoder and decoder for tokens that travel in URLs, cookies and headers:
 * signed tracking links (core/link.c) and API keys (app/auth.c).
 *
 * Pure and thread-safe: no allocation, no global state; the caller owns
 * both buffers.  The decoder is strict so that one token has exactly one
 * spelling (a signature is checked over the decoded bytes, and a second
 * spelling of the same bytes would let a token be varied without the key):
 * it refuses padding ('='), the standard alphabet's '+' and '/', any other
 * character, a length that leaves a lone character (n % 4 == 1), and
 * non-zero spare bits in the last character.
 */
#ifndef WISMO_B64URL_H
#define WISMO_B64URL_H

#include <stddef.h>

/* Characters b64url_encode writes for n bytes, without the NUL. */
#define B64URL_LEN(n) (((n) * 4 + 2) / 3)

/* Encodes n bytes of in into out, which needs B64URL_LEN(n) + 1 bytes;
 * out is always NUL-terminated. */
void b64url_encode(const unsigned char *in, size_t n, char *out);

/* Decodes the n characters of in into out (at most cap bytes).  Returns
 * the number of bytes written, or -1 for input the encoder could not have
 * written or a result longer than cap (out then holds a partial result the
 * caller drops). */
long b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap);

#endif
