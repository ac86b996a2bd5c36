/*
 * erase.c - `wismo erase --email X | --phone Y | --order Z [--export]`:
 * erases a person's data from the store, or with --export prints what it
 * holds about them as JSON (store/privacy.h, docs/privacy.md).  Runs beside
 * a live server: it opens its own store handle, and SQLite lets one writer
 * at a time in, so the erasure is one transaction between the server's
 * batches.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../store/privacy.h"
#include "cli.h"
#include "../base/banned.h"

static int erase(const struct config *cfg, const struct privacy_who *who)
{
	struct privacy_result res;
	struct store *st;
	char msg[256];
	enum werr err;

	if (store_open(cfg->store.url, 0, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	if (!(err = store_begin(st)) &&
	    !(err = privacy_erase(st, &cfg->policy, who, "cli", clock_wall_ms(), &res)) &&
	    (err = store_commit(st)))
		privacy_result_release(&res);
	if (err) {
		fprintf(stderr, "wismo: erase: %s\n", store_errmsg(st));
		store_rollback(st);
		store_close(st);
		return 1;
	}
	printf("erased %zu orders", res.norders);
	for (size_t i = 0; i < res.norders; i++)
		printf("%s%s", i ? ", " : ": ", res.orders[i]);
	printf("\n%lld events, %lld raw payloads, %lld messages, %lld parked events, %lld consent records, "
	       "%lld audit entries\n",
	       (long long)res.counts.events, (long long)res.counts.raws, (long long)res.counts.outbox,
	       (long long)res.counts.parked, (long long)res.counts.consent, (long long)res.counts.audit);
	privacy_result_release(&res);
	store_close(st);
	return 0;
}

static int export(const struct config *cfg, const struct privacy_who *who)
{
	struct buf out = BUF_INIT;
	struct store *st;
	char msg[256];
	int rc = 0;

	if (store_open(cfg->store.url, STORE_READONLY, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	if (privacy_export(st, who, &out)) {
		fprintf(stderr, "wismo: erase --export: %s\n", store_errmsg(st));
		rc = 1;
	} else {
		printf("%s\n", out.p);
	}
	buf_release(&out);
	store_close(st);
	return rc;
}

int cmd_erase(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "email", required_argument, NULL, 'e' },
		{ "phone", required_argument, NULL, 'p' },
		{ "order", required_argument, NULL, 'o' },
		{ "export", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { 0 };
	struct privacy_who who;
	struct config *cfg;
	const char *by = NULL, *value = NULL;
	char why[128];
	int c, n = 0, want_export = 0, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 's': o.store = optarg; break;
		case 'e': by = "email", value = optarg, n++; break;
		case 'p': by = "phone", value = optarg, n++; break;
		case 'o': by = "order", value = optarg, n++; break;
		case 'x': want_export = 1; break;
		case 'h': cli_help("erase"); return 0;
		default: cli_usage("erase"); return 2;
		}
	}
	if (n != 1 || optind != argc) {
		cli_usage("erase");
		return 2;
	}
	if (privacy_who_set(&who, by, value, why, sizeof(why))) {
		fprintf(stderr, "wismo: erase: %s\n", why);
		return 2;
	}
	if (!(cfg = config_new()))
		return 1;
	if (config_load(cfg, &o)) {
		free(cfg);
		return 2;
	}
	rc = want_export ? export(cfg, &who) : erase(cfg, &who);
	free(cfg);
	return rc;
}
