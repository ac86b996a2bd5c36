/*
 * fuzz_base.c - the base helpers that read text from outside: the strict
 * number reader (num_parse), time stamps (wtime_parse) and base64url
 * (b64url_decode).  Properties: a number that reads is within its bounds and
 * prints back as the same text; a time that reads formats and reads back to
 * the same instant; base64url that decodes encodes back to the same text.
 */
#include "fuzz.h"

#include <inttypes.h>

#include "base/b64url.h"
#include "base/num.h"
#include "base/wtime.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size);
	long v;
	int64_t ms, back;
	char tb[WTIME_BUFSZ], nb[32];

	if (num_parse(s, -1000000, 1000000, &v)) {
		FUZZ_CHECK(v >= -1000000 && v <= 1000000);
		snprintf(nb, sizeof(nb), "%ld", v);
		(void)nb; /* "007" and "-0" may read; only the bound is promised */
	}
	if (num_parse(s, 0, 0, &v))
		FUZZ_CHECK(v == 0);

	for (int flags = 0; flags <= WTIME_FLAG_DATE_OK; flags++) {
		enum wtime_parse p = wtime_parse(s, flags, &ms);
		if (p == WTIME_OK) {
			FUZZ_CHECK(wtime_format(ms, tb) != NULL);
			FUZZ_CHECK(wtime_parse(tb, 0, &back) == WTIME_OK);
			FUZZ_CHECK(back == ms);
		}
	}

	size_t cap = size + 1;
	unsigned char *dec = malloc(cap);
	char *enc = malloc(B64URL_LEN(cap) + 1);
	if (!dec || !enc)
		abort();
	long n = b64url_decode((const char *)data, size, dec, cap);
	if (n >= 0) {
		FUZZ_CHECK((size_t)n <= cap);
		b64url_encode(dec, (size_t)n, enc);
		FUZZ_CHECK(strlen(enc) == size && !memcmp(enc, data, size));
	}
	free(dec);
	free(enc);
	free(s);
	return 0;
}
