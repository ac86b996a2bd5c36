/*
 * remap.c - `wismo remap [--source S] [--code C] [--dry-run] [--url URL]`:
 * asks the running server to read unknown codes' raw payloads again with
 * the tables it has loaded (POST /v1/remap, app/remap.h, docs/adapters.md
 * "Remapping"), call after call until none is left, and prints the totals.
 *
 * The server does the work because the corrected events must go through its
 * writer: that is where orders are refolded and exceptions and messages
 * planned.  The admin key comes from WISMO_API_KEY (never a flag: a flag
 * shows in the process list); the URL defaults to the config's [server]
 * listen address.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../base/buf.h"
#include "../poll/poll_http.h"
#include "cli.h"
#include "../base/banned.h"

#define REMAP_PER_CALL 200

static int64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static int remap(const char *base, const char *key, const char *source, const char *code, bool dry_run)
{
	int64_t after = 0, tot[4] = { 0 };
	char url[600], auth[600];
	bool more = true;
	int rc = 0;

	snprintf(url, sizeof(url), "%s/v1/remap", base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	while (more && !rc) {
		struct poll_response resp = POLL_RESPONSE_INIT;
		struct curl_slist *h = curl_slist_append(NULL, auth);
		cJSON *req = cJSON_CreateObject(), *ans;
		char *body;
		long status;

		h = curl_slist_append(h, "Content-Type: application/json");
		if (source)
			cJSON_AddStringToObject(req, "source", source);
		if (code)
			cJSON_AddStringToObject(req, "code", code);
		cJSON_AddBoolToObject(req, "dry_run", dry_run);
		cJSON_AddNumberToObject(req, "limit", REMAP_PER_CALL);
		cJSON_AddNumberToObject(req, "after", (double)after);
		body = cJSON_PrintUnformatted(req);
		status = poll_http_call("POST", url, h, body, NULL, &resp, NULL);
		free(body);
		cJSON_Delete(req);
		curl_slist_free_all(h);
		ans = resp.body.len ? cJSON_ParseWithLength(resp.body.p, resp.body.len) : NULL;
		if (status != 200 || !cJSON_IsObject(ans)) {
			fprintf(stderr, "wismo: remap: %s answered %ld%s%.300s\n", url, status, resp.body.len ? ": " : "",
				resp.body.len ? resp.body.p : "");
			rc = 1;
		} else {
			tot[0] += num(ans, "bodies");
			tot[1] += num(ans, "corrected");
			tot[2] += num(ans, "still_unknown");
			tot[3] += num(ans, "unreadable");
			more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "more"));
			after = num(ans, "next");
			fprintf(stderr, "\rwismo: remap: %lld payloads read, %lld events %s", (long long)tot[0],
				(long long)tot[1], dry_run ? "would be corrected" : "corrected");
		}
		cJSON_Delete(ans);
		buf_release(&resp.body);
	}
	if (!rc)
		printf("\n%s%lld payloads read again, %lld events %s, %lld still unknown, %lld payloads unreadable\n",
		       dry_run ? "dry run: " : "", (long long)tot[0], (long long)tot[1],
		       dry_run ? "would be corrected" : "corrected", (long long)tot[2], (long long)tot[3]);
	return rc;
}

int cmd_remap(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "source", required_argument, NULL, 'S' },
		{ "code", required_argument, NULL, 'C' },
		{ "url", required_argument, NULL, 'u' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { 0 };
	const char *source = NULL, *code = NULL, *url = NULL, *key = getenv("WISMO_API_KEY");
	struct config *cfg;
	char base[300];
	bool dry_run = false;
	int c, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'S': source = optarg; break;
		case 'C': code = optarg; break;
		case 'u': url = optarg; break;
		case 'n': dry_run = true; break;
		case 'h': cli_help("remap"); return 0;
		default: cli_usage("remap"); return 2;
		}
	}
	if (optind != argc) {
		cli_usage("remap");
		return 2;
	}
	if (!key || !key[0]) {
		fprintf(stderr, "wismo: remap: set WISMO_API_KEY to an admin key (wismo keys create --role admin)\n");
		return 2;
	}
	if (!(cfg = config_new()))
		return 1;
	if (config_load(cfg, &o)) {
		free(cfg);
		return 2;
	}
	if (url)
		snprintf(base, sizeof(base), "%s", url);
	else /* the server's own address; a wildcard listen is reached on loopback */
		snprintf(base, sizeof(base), "http://%s:%d",
			 !strcmp(cfg->http.listen_host, "0.0.0.0") ? "127.0.0.1"
			 : !strcmp(cfg->http.listen_host, "::") ? "[::1]"
			 : strchr(cfg->http.listen_host, ':') ? "[::1]" : cfg->http.listen_host,
			 cfg->http.port);
	rc = remap(base, key, source, code, dry_run);
	free(cfg);
	return rc;
}
