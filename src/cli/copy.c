/*
 * copy.c - `wismo copy --from sqlite:PATH --to postgres://...`: a shop's data
 * from SQLite into PostgreSQL (store/copy.h), a progress line per table on
 * stderr, then the projections checked with a rebuild (`rebuild --verify`
 * on the destination).  Run it again after an interruption: it goes on where
 * it stopped.  docs/scale-out.md "Moving from SQLite".
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../store/copy.h"
#include "../base/banned.h"

struct progress {
	bool tty;
	char table[64];
};

static void show(void *ctx, const char *table, int64_t done, int64_t total)
{
	struct progress *p = ctx;
	int pct = total ? (int)(done * 100 / total) : 100;
	char bar[21];

	for (int i = 0; i < 20; i++)
		bar[i] = i < pct / 5 ? '#' : '.';
	bar[20] = '\0';
	/* on a terminal one line per table, redrawn; else one line per batch */
	if (p->tty && strcmp(p->table, table) && p->table[0])
		fputc('\n', stderr);
	fprintf(stderr, p->tty ? "\r  %-18s [%s] %3d%%  %" PRId64 "/%" PRId64 : "  %-18s [%s] %3d%%  %" PRId64
		"/%" PRId64 "\n", table, bar, pct, done, total);
	snprintf(p->table, sizeof(p->table), "%s", table);
}

int cmd_copy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { 0 };
	struct progress p = { .tty = isatty(2) };
	const char *from = NULL, *to = NULL;
	struct config *cfg;
	char err[512], shown[1024];
	size_t tables = 0;
	int64_t rows = 0;
	int c, rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'c': o.config = optarg; break;
		case 'h': cli_help("copy"); return 0;
		default: cli_usage("copy"); return 2;
		}
	}
	if (optind != argc || !from || !to) {
		cli_usage("copy");
		return 2;
	}
	store_url_display(to, shown, sizeof(shown));
	fprintf(stderr, "copying %s to %s\n", from, shown);
	if (store_copy(from, to, show, &p, &tables, &rows, err, sizeof(err))) {
		if (p.tty && p.table[0])
			fputc('\n', stderr);
		fprintf(stderr, "wismo: copy: %s\n(run the same command again to go on)\n", err);
		return 1;
	}
	if (p.tty && p.table[0])
		fputc('\n', stderr);
	printf("copied %zu tables, %" PRId64 " rows; counts equal on both sides\n", tables, rows);
	/* the projections, recomputed from the copied log, must be the copied ones */
	if (!(cfg = config_new()))
		return 1;
	o.store = to;
	if (config_load(cfg, &o)) {
		free(cfg);
		return 2;
	}
	rc = cli_rebuild(cfg, 1);
	free(cfg);
	return rc;
}
