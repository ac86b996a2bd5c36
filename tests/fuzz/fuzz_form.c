/*
 * fuzz_form.c - the form decoder of the lookup form and the dashboard's
 * login (http_form_decode).  Properties: the result is NUL-terminated within
 * cap, holds no NUL before its end, is never longer than the input, and the
 * returned length is the string's.  Run with several caps, 1 and 0 included.
 */
#include "fuzz.h"

#include "http/http.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 0, 1, 2, 3, 16, 256, 4096 };
	char *out = malloc(4096);

	if (!out)
		abort();
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t cap = caps[i];
		memset(out, 'Z', 4096);
		size_t n = http_form_decode((const char *)data, size, out, cap);
		if (cap == 0)
			continue;
		FUZZ_CHECK(n < cap);
		FUZZ_CHECK(n <= size);
		FUZZ_CHECK(out[n] == '\0');
		FUZZ_CHECK(strlen(out) == n);
	}
	free(out);
	return 0;
}
