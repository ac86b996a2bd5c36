/*
 * test_errors.c - docs/api.md's "Error codes" table lists exactly the wire
 * error table of src/http/errors.h: the same codes, in the same order, with
 * the same status and meaning; and every code is unique.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/http/http.h"

static char *read_doc(void)
{
	const char *root = getenv("WISMO_SRCDIR");
	char path[1024];
	FILE *f;
	char *text;
	long n;

	snprintf(path, sizeof(path), "%s/docs/api.md", root ? root : ".");
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static void test_doc_lists_the_table(void **state)
{
	char *doc = read_doc(), *at, *line, *save = NULL;
	size_t i = 0;

	(void)state;
	at = strstr(doc, "\n## Error codes\n");
	assert_non_null(at);
	strtok_r(at, "\n", &save); /* the heading */
	for (line = strtok_r(NULL, "\n", &save); line && strncmp(line, "## ", 3); line = strtok_r(NULL, "\n", &save)) {
		char code[64], meaning[256];
		unsigned status;
		if (strncmp(line, "| `", 3))
			continue;
		assert_int_equal(sscanf(line, "| `%63[^`]` | %u | %255[^\n]", code, &status, meaning), 3);
		meaning[strlen(meaning) - 2] = '\0'; /* " |" */
		assert_true(i < HE__COUNT);
		assert_string_equal(code, http_errors[i].code);
		assert_int_equal(status, http_errors[i].status);
		assert_string_equal(meaning, http_errors[i].meaning);
		i++;
	}
	assert_int_equal(i, HE__COUNT);
	free(doc);
}

static void test_codes_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < HE__COUNT; i++) {
		assert_ptr_equal(http_error_find(http_errors[i].code), &http_errors[i]);
		assert_true(http_errors[i].status >= 400 && http_errors[i].status < 600);
	}
	assert_null(http_error_find("bad_signature")); /* settled: invalid_signature */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_lists_the_table),
		cmocka_unit_test(test_codes_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
