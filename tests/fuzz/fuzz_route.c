/*
 * fuzz_route.c - route matching (http_route_find) against the program's own
 * tables (the API's and the web's): the input is "METHOD path".
 * Properties: a parameter is NUL-terminated within its cap, and a miss with
 * a matching pattern names the allowed methods.
 */
#include "fuzz.h"

#include "api/api.h"
#include "http/http.h"
#include "web/web.h"

static struct api api;
static struct http_routes tables[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	tables[0] = api_routes(&api);
	tables[1] = web_routes(NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size);
	char *sp = strchr(s, ' ');
	const char *method = s, *path = s;
	char param[64], allow[128];
	void *ctx;

	if (sp) {
		*sp = '\0';
		path = sp + 1;
	} else {
		method = NULL;
	}
	memset(param, 'Z', sizeof(param));
	const struct http_route *row = http_route_find(tables, 2, method, path, param, sizeof(param), allow,
						       sizeof(allow), &ctx);
	if (row)
		FUZZ_CHECK(memchr(param, '\0', sizeof(param)) != NULL);
	else
		FUZZ_CHECK(memchr(allow, '\0', sizeof(allow)) != NULL);
	free(s);
	return 0;
}
