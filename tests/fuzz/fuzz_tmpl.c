/*
 * fuzz_tmpl.c - message templates (core/tmpl): the input is a template,
 * checked with tmpl_check and rendered with both escapes against a view
 * that has strings, numbers, booleans, a list and a nested object, with a
 * partial that includes itself (recursion must be bounded).  Property: a
 * template tmpl_check refuses does not render either.
 */
#include "fuzz.h"

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/walloc.h"
#include "core/tmpl.h"

static cJSON *view;

static const char *partial(void *ctx, const char *name, size_t *len)
{
	static const char self[] = "{{name}}{{> self}}";
	static const char item[] = "<li>{{sku}} x{{quantity}}</li>";

	(void)ctx;
	if (!strcmp(name, "self")) {
		*len = sizeof(self) - 1;
		return self;
	}
	if (!strcmp(name, "item")) {
		*len = sizeof(item) - 1;
		return item;
	}
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	walloc_init();
	view = cJSON_Parse("{\"name\":\"A <b>&amp; \\\"c\\\"\",\"order\":\"1001\",\"n\":3,\"late\":true,"
			   "\"none\":false,\"empty\":[],\"items\":[{\"sku\":\"S1\",\"quantity\":2},"
			   "{\"sku\":\"S2\",\"quantity\":1}],\"shop\":{\"name\":\"Shop\",\"url\":\"https://x/?a=1&b=2\"}}");
	if (!view)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_partials parts = { partial, NULL };
	char err[256];
	struct buf out;
	enum werr checked, rendered;

	checked = tmpl_check((const char *)data, size, err, sizeof(err));
	/* 64 KiB: the limit is reached (WERR_TOO_LARGE is exercised) without
	 * spending most of the run writing megabytes of repeated partials */
	buf_init(&out, 1 << 16);
	rendered = tmpl_render((const char *)data, size, view, TMPL_ESC_HTML, &parts, &out, err, sizeof(err));
	if (checked != WERR_OK)
		FUZZ_CHECK(rendered != WERR_OK);
	buf_reset(&out);
	(void)tmpl_render((const char *)data, size, view, TMPL_ESC_NONE, NULL, &out, err, sizeof(err));
	buf_release(&out);
	return 0;
}
