/*
 * fuzz_tables.c - the mapping tables (mappings_add_text, the NAME.tsv
 * format) and the location -> time zone table (zones_load, zones.tsv) read
 * from the same arbitrary text; a table that loads is then queried with
 * every code and location it holds, which must not fail.
 */
#include "fuzz.h"

#include "adapters/mapping.h"
#include "adapters/zones.h"
#include "base/walloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	walloc_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mappings *m = mappings_new();
	struct zones *z = NULL;
	struct event ev;
	char err[256];
	char *text = fuzz_text(data, size);
	char *line, *save = NULL;

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

	if (zones_load(fuzz_file(data, size), NULL, &z, err, sizeof(err)) == WERR_OK) {
		text = fuzz_text(data, size);
		for (line = strtok_r(text, "\t\n", &save); line; line = strtok_r(NULL, "\t\n", &save)) {
			const char *zone = zones_lookup(z, line, line);
			int64_t utc;
			if (zone)
				(void)zones_to_utc(z, zone, 1700000000000, &utc);
		}
		free(text);
		zones_free(z);
	}
	return 0;
}
