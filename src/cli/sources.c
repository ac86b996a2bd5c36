/*
 * sources.c - `wismo parse` (what a source's payload becomes) and `wismo
 * check` (is the configuration, are the mapping tables usable).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/clock.h"
#include "../adapters/adapter.h"
#include "../adapters/mapping.h"
#include "../adapters/zones.h"
#include "../core/event_json.h"
#include "serve.h"
#include "cli.h"
#include "../base/banned.h"

#define PARSE_FILE_MAX (64u << 20)

static const char *cli_header(const void *ctx, const char *name)
{
	const struct cli_opts *o = ctx;
	size_t n = strlen(name);

	for (int i = 0; i < o->nheaders; i++) {
		const char *h = o->headers[i];
		if (!strncasecmp(h, name, n) && h[n] == ':') {
			h += n + 1;
			while (*h == ' ')
				h++;
			return h;
		}
	}
	return NULL;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(PARSE_FILE_MAX);
	*len = buf ? fread(buf, 1, PARSE_FILE_MAX, f) : 0;
	if (f != stdin)
		fclose(f);
	if (buf && *len == PARSE_FILE_MAX) {
		free(buf);
		return NULL;
	}
	return buf;
}

int cmd_parse(const struct config *cfg, const struct cli_opts *o)
{
	const struct source_cfg *sc;
	const struct adapter *ad;
	struct mappings *maps = NULL;
	struct zones *zones = NULL;
	struct adapter_out out = { 0 };
	struct adapter_env env = { 0 };
	struct hook_request rq = { 0 };
	struct buf line = BUF_INIT;
	char why[512];
	size_t len = 0;
	char *body = NULL;
	enum werr err;
	int rc = 1;

	if (!o->source || o->nargs != 1) {
		cli_usage("parse");
		return 2;
	}
	sc = sources_find(&cfg->sources, o->source);
	if (sources_load_tables(&cfg->sources, &maps, &zones, why, sizeof(why))) {
		fprintf(stderr, "wismo: %s\n", why);
		return 1;
	}
	ad = adapter_lookup(maps, sc && sc->adapter[0] ? sc->adapter : o->source);
	if (!ad) {
		fprintf(stderr, "wismo: no adapter for source '%s'\n", o->source);
		rc = 2;
		goto out;
	}
	if (!(body = read_file(o->args[0], &len))) {
		fprintf(stderr, "wismo: unable to read '%s' (or larger than 64 MiB)\n", o->args[0]);
		goto out;
	}
	env.source = o->source;
	env.maps = maps;
	env.zones = zones;
	env.now_ms = clock_wall_ms();
	env.tracking = o->tracking; /* a carrier answer that does not repeat the number asked about */
	env.milestones = &cfg->policy.milestones;
	rq.body = body;
	rq.len = len;
	rq.content_type = cli_header(o, "Content-Type");
	rq.header = cli_header;
	rq.hctx = o;
	err = adapter_parse(ad, &env, &rq, &out);
	if (err) {
		fprintf(stderr, "wismo: %s: %s\n", werr_name(err), out.reason[0] ? out.reason : "cannot parse");
		goto out;
	}
	for (size_t i = 0; i < out.nevents; i++) {
		buf_reset(&line);
		if (event_to_json(&out.events[i], false, &line)) {
			fprintf(stderr, "wismo: unable to encode event %zu\n", i);
			goto out;
		}
		printf("%s\n", line.p);
	}
	rc = 0;
out:
	buf_release(&line);
	adapter_out_free(&out);
	mappings_free(maps);
	zones_free(zones);
	free(body);
	return rc;
}

int cmd_check(const struct config *cfg)
{
	struct mappings *maps = NULL;
	struct zones *zones = NULL;
	char why[512];
	int problems = 0;

	if (sources_load_tables(&cfg->sources, &maps, &zones, why, sizeof(why))) {
		fprintf(stderr, "wismo: %s\n", why);
		return 1;
	}
	size_t ncarriers = 0;
	while (mappings_carrier_at(maps, ncarriers))
		ncarriers++;
	printf("mappings: %zu tables and %zu carrier descriptions loaded\n", mappings_ntables(maps), ncarriers);
	for (int i = 0; i < cfg->sources.nsources; i++) {
		const struct source_cfg *sc = &cfg->sources.sources[i];
		const struct adapter *ad = adapter_lookup(maps, sc->adapter[0] ? sc->adapter : sc->name);
		if (!ad) {
			if (sc->adapter[0]) {
				printf("source %s: unknown adapter '%s'\n", sc->name, sc->adapter);
				problems++;
			} else {
				printf("source %s: generic (events through POST /v1/events)\n", sc->name);
			}
			continue;
		}
		if (ad->verify && !sc->secret[0]) {
			printf("source %s: no secret: its webhooks will be refused (401)\n", sc->name);
			problems++;
		} else if (!ad->verify && !sc->api_base[0]) {
			printf("source %s: no api_base: it will not be polled\n", sc->name);
			problems++;
		} else {
			printf("source %s: %s adapter, ok\n", sc->name, ad->name);
		}
	}
	mappings_free(maps);
	zones_free(zones);
	printf("%s\n", problems ? "problems found" : "ok");
	return problems ? 1 : 0;
}
