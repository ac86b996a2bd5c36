/*
 * tracklink.c - `wismo track-link ORDER [--days N]`: prints a signed link
 * to the order's tracking page (docs/web.md).  The link uses [web]
 * public_url (default http://HOST:PORT of [server] listen) and the same
 * secret as the server (WISMO_LINK_SECRET, [web] link_secret, else the one
 * kept in the database, made here if the server has not made it yet).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/wtime.h"
#include "../app/links.h"
#include "cli.h"
#include "../base/banned.h"

int cmd_track_link(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { 0 };
	struct config *cfg;
	struct link_signer links;
	struct store *st;
	struct buf url = BUF_INIT;
	char msg[256], ts[WTIME_BUFSZ], *json = NULL, *end;
	int64_t exp = 0;
	long days = 0;
	int c, rc = 1;
	enum werr err;

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 's': o.store = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'd':
			days = strtol(optarg, &end, 10);
			if (!*optarg || *end || days < 1 || days > 3650) {
				fprintf(stderr, "wismo: --days must be a whole number from 1 to 3650\n");
				return 2;
			}
			break;
		case 'h': cli_help("track-link"); return 0;
		default: cli_usage("track-link"); return 2;
		}
	}
	if (argc - optind != 1 || !argv[optind][0] || strlen(argv[optind]) > EV_ORDER_MAX) {
		cli_usage("track-link");
		return 2;
	}
	if (!(cfg = config_new()))
		return 1;
	if (config_load(cfg, &o)) {
		free(cfg);
		return 2;
	}
	if (!days)
		days = cfg->web.link_days > 0 ? cfg->web.link_days : 30;
	if (store_open(cfg->store.url, STORE_READONLY, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		goto out;
	}
	err = store_get_order(st, argv[optind], &json);
	store_close(st);
	free(json);
	if (err == WERR_NOT_FOUND) {
		fprintf(stderr, "wismo: no order '%s'\n", argv[optind]);
		goto out;
	}
	if (err) {
		fprintf(stderr, "wismo: unable to read the order\n");
		goto out;
	}
	config_link_signer(cfg, &links);
	if (link_signer_url(&links, argv[optind], (int)days, clock_wall_ms(), &url, &exp)) {
		fprintf(stderr, "wismo: unable to sign the link (no link secret)\n");
		goto out;
	}
	printf("%s\n", url.p);
	fprintf(stderr, "valid until %s\n", wtime_format(exp, ts));
	rc = 0;
out:
	buf_release(&url);
	free(cfg);
	return rc;
}
