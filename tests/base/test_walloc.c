/*
 * test_walloc.c - the aborting allocators (base/walloc.h): they return
 * usable memory for every size including zero, and end the process instead
 * of returning NULL; walloc_init() routes cJSON through them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/walloc.h"
#include "base/banned.h"

static void test_sizes(void **state)
{
	char *a = wmalloc(0), *b = wcalloc(0, 8), *c = wcalloc(16, 4), *d;

	(void)state;
	assert_non_null(a); /* zero bytes is not a failure */
	assert_non_null(b);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(c[i], 0);
	c = wrealloc(c, 4096);
	assert_int_equal(c[63], 0); /* kept */
	c = wrealloc(c, 0);
	assert_non_null(c);
	d = wstrdup("order 1001");
	assert_string_equal(d, "order 1001");
	free(a);
	free(b);
	free(c);
	free(d);
}

/* Runs fn in a child; true when the child died instead of returning. */
static bool dies(void (*fn)(void))
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* the message the child writes is expected: keep the log clean */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	/* abort() in a plain build; a sanitizer's own report ends it otherwise */
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static volatile size_t huge = SIZE_MAX - 4096;

static void malloc_huge(void)
{
	free(wmalloc(huge));
}

static void calloc_overflow(void)
{
	free(wcalloc(huge, 16));
}

static void realloc_huge(void)
{
	free(wrealloc(wmalloc(1), huge));
}

static void test_failure_aborts(void **state)
{
	(void)state;
	assert_true(dies(malloc_huge));
	assert_true(dies(calloc_overflow));
	assert_true(dies(realloc_huge));
}

/* cJSON still parses and prints the same with the hooks installed. */
static void test_cjson_hooks(void **state)
{
	cJSON *j;
	char *s;

	(void)state;
	walloc_init();
	j = cJSON_Parse("{\"order\":\"1001\",\"items\":[1,2,3],\"x\":null}");
	assert_non_null(j);
	s = cJSON_PrintUnformatted(j);
	assert_string_equal(s, "{\"order\":\"1001\",\"items\":[1,2,3],\"x\":null}");
	free(s);
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_failure_aborts),
		cmocka_unit_test(test_cjson_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
