/*
 * test_route.c - the route matcher (http.h): literal patterns before
 * parameters, table order, one-segment and rest parameters, literal text
 * after a parameter, 405 with the pattern's methods, HEAD on GET rows, and
 * each table's context.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/http/http.h"

static enum http_result h_a(struct http_req *r) { (void)r; return HTTP_DONE; }
static enum http_result h_b(struct http_req *r) { (void)r; return HTTP_DONE; }

static const struct http_route api[] = {
	{ "POST", "/v1/events", 1, "events", h_a },
	{ "GET", "/v1/orders", 1, "orders", h_a },
	{ "GET", "/v1/orders/{order*}/timeline", 1, "timeline", h_a },
	{ "GET", "/v1/orders/{order*}", 1, "order", h_a },
	{ "POST", "/hooks/sms", 0, "sms", h_a },
	{ "POST", "/hooks/{source}", 0, "hooks", h_a },
	{ "GET", "/v1/rules/{name*}", 1, "rules", h_a },
	{ "PUT", "/v1/rules/{name*}", 1, "rules", h_b },
};
static const struct http_route web[] = {
	{ "GET", "/track", 0, "track", h_a },
	{ "POST", "/track", 0, "track", h_b },
	{ "GET", "/track/{token*}/stream", 0, "track_stream", h_a },
	{ "GET", "/track/{token*}", 0, "track", h_b },
	{ "GET", "/dashboard/{page*}", 0, "dashboard", h_a },
	{ "POST", "/dashboard/login", 0, "dashboard", h_b },
};
static int api_ctx, web_ctx;

static const struct http_route *find(const char *method, const char *path, char *param, char *allow, void **ctx)
{
	struct http_routes t[2] = { HTTP_ROUTES(api, &api_ctx), HTTP_ROUTES(web, &web_ctx) };
	return http_route_find(t, 2, method, path, param, 64, allow, 64, ctx);
}

static void test_literal_and_params(void **state)
{
	char p[64], allow[64];
	void *ctx = NULL;
	const struct http_route *r;

	(void)state;
	r = find("POST", "/v1/events", p, allow, &ctx);
	assert_non_null(r);
	assert_string_equal(r->label, "events");
	assert_string_equal(p, "");
	assert_ptr_equal(ctx, &api_ctx);
	r = find("GET", "/v1/orders/A-1/timeline", p, allow, &ctx);
	assert_string_equal(r->label, "timeline");
	assert_string_equal(p, "A-1");
	/* a rest parameter keeps slashes (an order number may hold one) */
	r = find("GET", "/v1/orders/A/1", p, allow, &ctx);
	assert_string_equal(r->label, "order");
	assert_string_equal(p, "A/1");
	/* the literal /hooks/sms wins over /hooks/{source}, whatever the order */
	assert_string_equal(find("POST", "/hooks/sms", p, allow, &ctx)->label, "sms");
	r = find("POST", "/hooks/shopify", p, allow, &ctx);
	assert_string_equal(r->label, "hooks");
	assert_string_equal(p, "shopify");
	/* a one-segment parameter takes no '/' and no empty text */
	assert_null(find("POST", "/hooks/a/b", p, allow, &ctx));
	assert_string_equal(allow, "");
	assert_null(find("POST", "/hooks/", p, allow, &ctx));
	/* a rest parameter may be empty */
	r = find("GET", "/v1/rules/", p, allow, &ctx);
	assert_non_null(r);
	assert_string_equal(p, "");
	/* literal text after the parameter */
	r = find("GET", "/track/tok.en/stream", p, allow, &ctx);
	assert_string_equal(r->label, "track_stream");
	assert_string_equal(p, "tok.en");
	assert_ptr_equal(ctx, &web_ctx);
	r = find("GET", "/track/tok.en", p, allow, &ctx);
	assert_string_equal(r->label, "track");
	assert_string_equal(p, "tok.en");
	assert_null(find("GET", "/nowhere", p, allow, &ctx));
	assert_string_equal(allow, "");
}

static void test_methods(void **state)
{
	char p[64], allow[64];
	void *ctx;
	const struct http_route *r;

	(void)state;
	/* GET rows take HEAD */
	assert_non_null(find("HEAD", "/v1/orders", p, allow, &ctx));
	/* rows of one pattern are found by method, in any table position */
	r = find("PUT", "/v1/rules/x", p, allow, &ctx);
	assert_ptr_equal(r->handler, h_b);
	assert_ptr_equal(find("POST", "/track", p, allow, &ctx)->handler, h_b);
	/* 405: the first matching pattern decides, Allow lists its methods */
	assert_null(find("GET", "/v1/events", p, allow, &ctx));
	assert_string_equal(allow, "POST");
	assert_null(find("DELETE", "/track", p, allow, &ctx));
	assert_string_equal(allow, "GET, HEAD, POST");
	/* the literal /dashboard/login is the path's pattern: GET is 405, not the page */
	assert_null(find("GET", "/dashboard/login", p, allow, &ctx));
	assert_string_equal(allow, "POST");
	assert_non_null(find("GET", "/dashboard/kpis", p, allow, &ctx));
	/* method NULL: the pattern's first row (metrics labels of 405 and 413) */
	assert_string_equal(find(NULL, "/v1/events", p, allow, &ctx)->label, "events");
}

static void test_param_cut(void **state)
{
	struct http_routes t[1] = { HTTP_ROUTES(api, NULL) };
	char p[8], allow[8];

	(void)state;
	/* a parameter longer than the buffer is cut, never overrun */
	assert_non_null(http_route_find(t, 1, "GET", "/v1/orders/ABCDEFGHIJKL", p, sizeof(p), allow, sizeof(allow),
					NULL));
	assert_string_equal(p, "ABCDEFG");
	/* an Allow list longer than its buffer is cut at a whole method */
	assert_null(http_route_find(t, 1, "DELETE", "/v1/rules/x", p, sizeof(p), allow, sizeof(allow), NULL));
	assert_string_equal(allow, "GET, HE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_and_params),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_param_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
