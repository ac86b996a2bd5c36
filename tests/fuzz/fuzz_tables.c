/*
 * fuzz_tables.c - the mapping tables (mappings_add_text, the NAME.tsv
 * format; built as fuzz_mapping), the location -> time zone table
 * (zones_load, zones.tsv; built as fuzz_zones with FUZZ_ZONES), or a carrier
 * description and an answer read with it (decl_load and decl_parse: the
 * input is "DESCRIPTION\0ANSWER"; built as fuzz_carrier_decl with
 * FUZZ_DECL).  A table
 * that loads is then queried with the fields it holds (the zone table's
 * lookup is a scan: its first 64 fields, or a seed of the shipped table
 * would cost a quadratic number of compares per input), which must not
 * fail.  The zones it names are converted through one long-lived table, as
 * the server's is, so that each system zone file is read once per run and
 * not once per input.
 */
#include "fuzz.h"

#include "adapters/declared.h"
#include "adapters/mapping.h"
#include "adapters/zones.h"
#include "base/walloc.h"

#ifdef FUZZ_ZONES
static struct zones *system_zones;
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	walloc_init();
#ifdef FUZZ_ZONES
	char err[256];
	if (zones_load(NULL, NULL, &system_zones, err, sizeof(err)) != WERR_OK)
		abort();
#endif
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	char *text, *line, *save = NULL;
#if defined(FUZZ_DECL)
	const uint8_t *nul = memchr(data, 0, size);
	struct carrier_decl *d = NULL;

	(void)text;
	(void)line;
	(void)save;
	if (decl_load("fuzz", (const char *)data, nul ? (size_t)(nul - data) : size, "fuzz.carrier", &d, err,
		      sizeof(err)) == WERR_OK) {
		struct adapter_out out = { 0 };
		struct adapter_env env = { "fuzz", NULL, NULL, 1700000000000, NULL, NULL, NULL, NULL };
		struct hook_request rq = { nul ? (const char *)nul + 1 : "", nul ? size - (size_t)(nul - data) - 1 : 0,
					   NULL, NULL, NULL };
		FUZZ_CHECK(decl_adapter(d)->decl == d);
		(void)decl_detect(d, "EE123456785CA");
		if (decl_parse(d, &env, &rq, &out) == WERR_INVALID)
			FUZZ_CHECK(out.reason[0]);
		adapter_out_free(&out);
		decl_free(d);
	}
#elif !defined(FUZZ_ZONES)
	struct mappings *m = mappings_new();
	struct event ev;

	text = fuzz_text(data, size);
	if (mappings_add_text(m, "fuzz", (const char *)data, size, "fuzz.tsv", err, sizeof(err)) == WERR_OK) {
		FUZZ_CHECK(mappings_has_table(m, "fuzz"));
		for (line = strtok_r(text, "\t\n", &save); line; line = strtok_r(NULL, "\t\n", &save))
			{
			event_init(&ev);
			(void)mapping_apply(m, "fuzz", line, line, &ev);
		}
	}
	mappings_free(m);
	free(text);
#else
	struct zones *z = NULL;

	if (zones_load(fuzz_file(data, size), NULL, &z, err, sizeof(err)) == WERR_OK) {
		text = fuzz_text(data, size);
		int n = 0;
		for (line = strtok_r(text, "\t\n", &save); line && n++ < 64; line = strtok_r(NULL, "\t\n", &save)) {
			const char *zone = zones_lookup(z, line, line);
			int64_t utc;
			if (zone)
				(void)zones_to_utc(system_zones, zone, 1700000000000, &utc);
		}
		free(text);
		zones_free(z);
	}
#endif
	return 0;
}
