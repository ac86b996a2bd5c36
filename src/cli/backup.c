/*
 * backup.c - `wismo backup --to FILE` and `wismo restore --from FILE`: the options, the store's URL
 * from the command line or the configuration, and what is said about the outcome.  The work is
 * store/backup.h's; a PostgreSQL store gets pg_dump's instructions instead and exit status 3
 * (CLI_EXIT_USE_PG), so a nightly job that was pointed at the wrong tool fails loudly.
 * docs/operations.md.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../store/backup.h"
#include "../base/banned.h"

#define CLI_EXIT_USE_PG 3

static void pg_guidance(const char *url, bool restore)
{
	char shown[1024];

	store_url_display(url, shown, sizeof(shown));
	printf("this store is PostgreSQL (%s): wismo does not copy it itself; use PostgreSQL's tools.\n", shown);
	if (!restore)
		printf("  pg_dump --format=custom --file=wismo-$(date +%%F).dump 'postgres://USER@HOST/DB'\n"
		       "pg_dump reads one repeatable-read snapshot: the dump is consistent while the servers write,\n"
		       "and they need not stop.  For point-in-time recovery use pg_basebackup with WAL archiving.\n");
	else
		printf("  createdb NEWDB && pg_restore --no-owner --dbname='postgres://USER@HOST/NEWDB' FILE.dump\n"
		       "then point [server] store at the new database and start wismo (migrations run at start).\n");
	printf("docs/operations.md \"Backups\", docs/scale-out.md \"Backups and high availability\".\n");
}

/* Parses --to/--from FILE, --store, --config (and --force for backup); the store URL is the
 * configuration's.  Returns 0 with *cfg set (free() it), else the exit status. */
static int parse(const char *cmd, int argc, char **argv, const char **file, bool *force, struct config **cfg)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },	    { "from", required_argument, NULL, 'f' },
		{ "store", required_argument, NULL, 's' },  { "config", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'F' },	    { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool backup = !strcmp(cmd, "backup");
	struct cli_opts o = { 0 };
	int c;

	*file = NULL;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!backup)
				goto usage;
			*file = optarg;
			break;
		case 'f':
			if (backup)
				goto usage;
			*file = optarg;
			break;
		case 'F':
			if (!backup)
				goto usage;
			*force = true;
			break;
		case 's': o.store = optarg; break;
		case 'c': o.config = optarg; break;
		case 'h': cli_help(cmd); return -1;
		default: goto usage;
		}
	}
	if (optind != argc || !*file || !**file)
		goto usage;
	if (!(*cfg = config_new()))
		return 1;
	if (config_load(*cfg, &o)) {
		free(*cfg);
		return 2;
	}
	return 0;
usage:
	cli_usage(cmd);
	return 2;
}

int cmd_backup(int argc, char **argv)
{
	struct backup_result r;
	struct config *cfg;
	const char *to;
	bool force = false;
	char err[1024];
	enum werr e;
	int rc = parse("backup", argc, argv, &to, &force, &cfg);

	if (rc)
		return rc < 0 ? 0 : rc;
	e = store_backup(cfg->store.url, to, force, &r, err, sizeof(err));
	if (e == WERR_UNSUPPORTED && !strncmp(cfg->store.url, "postgres", 8)) {
		pg_guidance(cfg->store.url, false);
		rc = CLI_EXIT_USE_PG;
	} else if (e) {
		fprintf(stderr, "wismo: backup: %s\n", err);
		rc = 1;
	} else {
		printf("backed up %s to %s: %" PRId64 " pages in %" PRId64 " steps, %" PRId64 " events\n",
		       cfg->store.url + 7, to, r.pages, r.steps, r.events);
	}
	free(cfg);
	return rc;
}

int cmd_restore(int argc, char **argv)
{
	struct restore_result r;
	struct config *cfg;
	const char *from;
	bool force = false;
	char err[1024];
	enum werr e;
	int rc = parse("restore", argc, argv, &from, &force, &cfg);

	if (rc)
		return rc < 0 ? 0 : rc;
	e = store_restore(cfg->store.url, from, &r, err, sizeof(err));
	if (e == WERR_UNSUPPORTED && !strncmp(cfg->store.url, "postgres", 8)) {
		pg_guidance(cfg->store.url, true);
		rc = CLI_EXIT_USE_PG;
	} else if (e) {
		fprintf(stderr, "wismo: restore: %s\n", err);
		rc = 1;
	} else {
		printf("restored %s from %s: %" PRId64 " events, schema version %d (this wismo: %d; migrations "
		       "run at the next start)\n",
		       cfg->store.url + 7, from, r.events, r.schema, store_schema_version());
	}
	free(cfg);
	return rc;
}
