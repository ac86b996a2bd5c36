/*
 * fuzz_ticket.c - what a help-desk ticket names (core/ticket.h ticket_refs)
 * on arbitrary text: the input split at its first two NULs into the order
 * field, the subject and the message.  Property: at most TICKET_REFS_MAX
 * refs, each non-empty, NUL-terminated within its field, found in the input,
 * and no two alike.
 */
#include "fuzz.h"

#include "base/walloc.h"
#include "core/ticket.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	walloc_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 3);
	const char *field, *subject, *body;
	struct ticket_refs r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = s[size + 1] = s[size + 2] = '\0';
	field = s;
	subject = field + strlen(field) + 1;
	body = subject + strlen(subject) + 1;
	if (subject > s + size)
		subject = body = "";
	else if (body > s + size + 1)
		body = "";
	ticket_refs(field, NULL, subject, body, &r);
	FUZZ_CHECK(r.n <= TICKET_REFS_MAX);
	for (size_t i = 0; i < r.n; i++) {
		FUZZ_CHECK(memchr(r.ref[i], '\0', sizeof(r.ref[i])) != NULL && r.ref[i][0]);
		FUZZ_CHECK(memmem(data, size, r.ref[i], strlen(r.ref[i])) != NULL);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(r.ref[i], r.ref[j]));
	}
	free(s);
	return 0;
}
