/*
 * fuzz_link.c - signed tracking links (core/link): link_verify on arbitrary
 * tokens must refuse all but genuine ones, and a token made from the input
 * must verify to the same payload.  Property: a verified token's payload is
 * NUL-terminated within the buffer, and any token that verifies with this
 * secret was made by link_make (it is the one link_make gives for that
 * payload and expiry).
 */
#include "fuzz.h"

#include "base/walloc.h"
#include "core/link.h"

static const char secret[] = "fuzz-secret-0123456789abcdef";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	walloc_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size);
	char payload[EV_ORDER_MAX + 1], token[LINK_TOKEN_MAX], again[LINK_TOKEN_MAX];
	int64_t expires;
	enum werr e;

	e = link_verify(secret, sizeof(secret) - 1, LINK_PURPOSE_TRACK, s, 1700000000, payload, sizeof(payload),
			&expires);
	if (e == WERR_OK || e == WERR_FORBIDDEN) {
		FUZZ_CHECK(memchr(payload, '\0', sizeof(payload)) != NULL);
		FUZZ_CHECK(link_make(secret, sizeof(secret) - 1, LINK_PURPOSE_TRACK, payload, expires, again) ==
			   WERR_OK);
		FUZZ_CHECK(!strcmp(again, s));
	}
	/* the input as a payload: made, then verified back to itself */
	if (link_make(secret, sizeof(secret) - 1, LINK_PURPOSE_TRACK, s, 1800000000, token) == WERR_OK) {
		FUZZ_CHECK(link_verify(secret, sizeof(secret) - 1, LINK_PURPOSE_TRACK, token, 1700000000, payload,
				       sizeof(payload), &expires) == WERR_OK);
		FUZZ_CHECK(!strcmp(payload, s) && expires == 1800000000);
	}
	free(s);
	return 0;
}
