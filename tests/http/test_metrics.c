/*
 * test_metrics.c - /metrics counts every status code the server answers
 * under its own code (issue 12, defect 16: 201, 204, 303, 409, 429 and 502
 * were folded into code="other", hiding rate limiting and failed fetches).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/http/metrics.h"

static const struct http_route rows[] = {
	{ "POST", "/v1/events", 0, "events", NULL },
	{ "POST", "/hooks/{source}", 0, "hooks", NULL },
};

static void test_12_16_metrics_count_every_status_code(void **state)
{
	static const unsigned seen[] = { 200, 201, 204, 303, 409, 429, 502, 503 };
	struct http_routes t = HTTP_ROUTES(rows, NULL);
	struct http_metrics *m = http_metrics_new(&t, 1);
	struct buf b = BUF_INIT;
	char want[128];

	(void)state;
	assert_non_null(m);
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
		for (unsigned n = 0; n <= i; n++)
			http_metrics_request(m, "hooks", seen[i]);
	http_metrics_request(m, "events", 429);
	http_metrics_request(m, NULL, 404);
	http_metrics_render(m, &b);
	assert_false(buf_failed(&b));
	buf_putc(&b, '\0');
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		snprintf(want, sizeof(want), "wismo_http_requests_total{route=\"hooks\",code=\"%u\"} %zu\n", seen[i],
			 i + 1);
		assert_non_null(strstr(b.p, want));
	}
	assert_non_null(strstr(b.p, "wismo_http_requests_total{route=\"events\",code=\"429\"} 1\n"));
	assert_non_null(strstr(b.p, "wismo_http_requests_total{route=\"other\",code=\"404\"} 1\n"));
	assert_null(strstr(b.p, "code=\"other\""));
	/* a status no server sends stays countable, without an array overrun */
	http_metrics_request(m, "events", 999);
	buf_reset(&b);
	http_metrics_render(m, &b);
	buf_putc(&b, '\0');
	assert_non_null(strstr(b.p, "wismo_http_requests_total{route=\"events\",code=\"other\"} 1\n"));
	buf_release(&b);
	http_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_12_16_metrics_count_every_status_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
