/*
 * fuzz_adapter.c - one adapter's parse() on arbitrary bodies; built once per
 * adapter with FUZZ_ADAPTER naming it (fuzz_adapter_shopify, ...), a
 * described carrier's (mappings/NAME.carrier) included.
 *
 * The adapter runs as the webhook and the poller run it: the shipped mapping
 * and zone tables, no headers.  ShipStation's resource_url fetch answers
 * with the body itself, so the same input also exercises the parser of the
 * fetched shipments.  For the scans source the first byte picks the
 * Content-Type (none: sniffed, JSON lines, CSV), the rest is the body.
 * Property: a body that parses gives events whose key is set.
 */
#include "fuzz.h"

#include <cjson/cJSON.h>

#include "adapters/adapter.h"
#include "adapters/declared.h"
#include "adapters/mapping.h"
#include "adapters/zones.h"
#include "base/walloc.h"

static struct mappings *maps;
static struct zones *zones;
static const struct adapter *ad;

static enum werr fetch_echo(void *fctx, const char *url, struct buf *out, char *why, size_t whycap)
{
	const struct hook_request *rq = fctx;

	(void)url;
	(void)why;
	(void)whycap;
	return buf_append(out, rq->body, rq->len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[1024], err[512] = "";

	(void)argc;
	(void)argv;
	walloc_init();
	snprintf(path, sizeof(path), "%s/mappings", WISMO_SRCDIR);
	if (mappings_load(path, NULL, &maps, err, sizeof(err))) {
		fprintf(stderr, "mappings: %s\n", err);
		abort();
	}
	snprintf(path, sizeof(path), "%s/mappings/zones.tsv", WISMO_SRCDIR);
	if (zones_load(path, NULL, &zones, err, sizeof(err))) {
		fprintf(stderr, "zones: %s\n", err);
		abort();
	}
	ad = adapter_lookup(maps, FUZZ_ADAPTER); /* built in, or described (mappings/NAME.carrier) */
	if (!ad || (!ad->parse && !ad->decl))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctypes[] = { NULL, "application/x-ndjson", "text/csv" };
	struct hook_request rq = { (const char *)data, size, NULL, NULL, NULL };
	struct adapter_env env = { FUZZ_ADAPTER, maps, zones, 1700000000000, fetch_echo, &rq, "FUZZ0001", NULL };
	struct adapter_out out = { 0 };

	if (!strcmp(FUZZ_ADAPTER, "scans")) {
		if (size == 0)
			return 0;
		rq.content_type = ctypes[data[0] % 3];
		rq.body++;
		rq.len--;
	}
	if ((ad->decl ? decl_parse(ad->decl, &env, &rq, &out) : ad->parse(&env, &rq, &out)) == WERR_OK)
		for (size_t i = 0; i < out.nevents; i++) {
			adapter_event_key(maps, &out.events[i]);
			FUZZ_CHECK(out.events[i].key[0]);
		}
	adapter_out_free(&out);
	return 0;
}
