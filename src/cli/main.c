/*
 * main.c - the wismo command: the usage table, option parsing and the small
 * subcommands (serve, migrate, rebuild, order); keys and demo live in their
 * own files.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "../base/walloc.h"
#include "../base/wtime.h"
#include "../core/order.h"
#include "../exceptions/engine.h"
#include "../store/milestone_times.h"
#include "../store/writer.h"
#include "cli.h"
#include "../base/banned.h"

/*
 * The usage table: one row per subcommand, its synopsis (what follows "wismo NAME") and what it
 * does.  `wismo --help` lists every row; `wismo NAME --help` (or -h) prints NAME's row on stdout
 * and exits 0; a subcommand used wrongly prints its "usage:" line on stderr (cli_usage), so each
 * text is written here once.
 */
static const struct command {
	const char *name;
	const char *synopsis;
	const char *summary;
} commands[] = {
	{ "serve", "[--listen HOST:PORT] [--store URL] [--config FILE]", "run the HTTP server" },
	{ "demo", "[--listen HOST:PORT] [--store URL] [--speed HOURS_PER_SEC] [--rate ORDERS_PER_SEC]",
	  "serve plus a simulated store, warehouse and carriers feeding it" },
	{ "migrate", "[--store URL]", "apply pending schema migrations" },
	{ "rebuild", "[--store URL] [--verify]", "recompute every projection from the event log" },
	{ "order", "ORDER [--store URL]", "print an order's timeline" },
	{ "keys", "create --role admin|ingest|agent [--source S] | list | revoke ID", "API keys" },
	{ "parse", "--source S FILE [--header 'Name: value' ...] [--tracking NUMBER]",
	  "print the normalized events a source's payload yields, one JSON object per line" },
	{ "check", "[--config FILE]", "validate the configuration, the mapping tables and the zone table" },
	{ "erase", "--email X | --phone Y | --order Z [--export] [--store URL] [--config FILE]",
	  "erase a person's data (or print what is held about them); docs/privacy.md" },
	{ "track-link", "ORDER [--days N] [--store URL] [--config FILE]",
	  "print a signed link to an order's tracking page" },
	{ "notify", "preview --rule R --order ORDER [--at TIME] [--store URL] [--config FILE]",
	  "what a notification rule would send now" },
	{ "eval-predictions", "[--seed N] [--weeks N] [--per-day N]",
	  "score delivery predictions against carriers' estimates on a simulated history" },
	{ "remap", "[--source S] [--code C] [--dry-run] [--url URL] [--config FILE]",
	  "read unknown codes' kept payloads again with today's tables (the running server; WISMO_API_KEY)" },
	{ "copy", "--from sqlite:PATH --to postgres://... [--config FILE]",
	  "copy a SQLite store into PostgreSQL (resumable), then check it with a rebuild" },
	{ "report", "--month YYYY-MM [--format text|html] [--change YYYY-MM-DD] [--store URL] [--config FILE]",
	  "the month's where-is-my-order tickets: the rate, their causes, what to fix first" },
	{ "backup", "--to FILE [--force] [--store URL] [--config FILE]",
	  "copy a SQLite store while the server runs (PostgreSQL: prints pg_dump's use, exit 3); docs/operations.md" },
	{ "restore", "--from FILE [--store URL] [--config FILE]",
	  "put a backup in place of a SQLite store no server is running on; docs/operations.md" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char usage_notes[] =
	"--store defaults to the config file's [server] store, else sqlite:./wismo.db\n"
	"(demo: sqlite:./wismo-demo.db).\n"
	"Config: --config FILE, else ./wismo.ini if present; WISMO_STORE and WISMO_LISTEN override it.\n";

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage_all(FILE *to)
{
	fputs("usage: wismo <command> [options]\n"
	      "       wismo <command> --help\n"
	      "\n"
	      "commands:\n",
	      to);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(to, "  %-11s %s\n  %-11s %s\n", commands[i].name, commands[i].summary, "",
			commands[i].synopsis);
	fprintf(to, "\n%s", usage_notes);
}

void cli_usage(const char *name)
{
	const struct command *c = command_find(name);

	if (c)
		fprintf(stderr, "usage: wismo %s %s\n", c->name, c->synopsis);
	else
		usage_all(stderr);
}

void cli_help(const char *name)
{
	const struct command *c = command_find(name);

	if (!c) {
		usage_all(stdout);
		return;
	}
	printf("usage: wismo %s %s\n\n%s.\n\n%s", c->name, c->synopsis, c->summary, usage_notes);
}

/* Writes s as roff text: a backslash is \e, every '-' is \- (an ASCII hyphen, as options are
 * typed), and no line starts with a control character ('.' or '\''). */
static void man_text(FILE *to, const char *s)
{
	for (const char *p = s; *p; p++) {
		if ((p == s || p[-1] == '\n') && (*p == '.' || *p == '\''))
			fputs("\\&", to);
		if (*p == '\\')
			fputs("\\e", to);
		else if (*p == '-')
			fputs("\\-", to);
		else
			fputc(*p, to);
	}
}

/*
 * wismo(1) in roff, from the usage table and its notes: the hidden `wismo --man`, which the
 * build runs to make the installed man page (meson.build), so that --help and the page cannot
 * differ.  The date is SOURCE_DATE_EPOCH's when set (reproducible builds), else today's.
 */
static void usage_man(FILE *to)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	time_t t = epoch && *epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
	struct tm tm;
	char date[16] = "";

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	fprintf(to, ".TH WISMO 1 %s \"wismo %s\" \"User Commands\"\n", date, WISMO_VERSION);
	fputs(".SH NAME\n"
	      "wismo \\- order\\-tracking hub: one timeline per order from storefront, warehouse and carrier events\n"
	      ".SH SYNOPSIS\n"
	      ".B wismo\n.I command\n.RI [ options ]\n"
	      ".br\n.B wismo\n.I command\n.B \\-\\-help\n"
	      ".SH DESCRIPTION\n"
	      "wismo takes the events a shop's storefront, warehouse and carriers emit, maps them into one\n"
	      "status language, keeps one timestamped timeline per order and serves it over HTTP: the JSON\n"
	      "API, the customer's tracking page and the staff dashboard.\n"
	      ".PP\n"
	      "\\fBwismo\\fR \\fIcommand\\fR \\fB\\-\\-help\\fR (or \\fB\\-h\\fR) prints that command's usage and exits 0.\n"
	      ".SH COMMANDS\n",
	      to);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		fputs(".TP\n\\fBwismo ", to);
		man_text(to, commands[i].name);
		fputs("\\fR ", to);
		man_text(to, commands[i].synopsis);
		fputc('\n', to);
		man_text(to, commands[i].summary);
		fputs(".\n", to);
	}
	fputs(".SH OPTIONS\n", to);
	man_text(to, usage_notes); /* lines, each ending in a newline */
	fputs(".SH SIGNALS\n"
	      "\\fBserve\\fR stops on SIGTERM or SIGINT: new requests are answered 503, the carrier poller\n"
	      "stops, the writer commits what is queued, the outbox worker finishes the message it is\n"
	      "sending, and the process exits 0.\n"
	      ".SH FILES\n"
	      ".TP\n.I ./wismo.ini\n"
	      "the configuration file when \\fB\\-\\-config\\fR is not given; see \\fBwismo.ini\\fR(5).\n"
	      ".TP\n.I /etc/wismo/wismo.ini\n"
	      "the configuration the Debian package's service (wismo.service) runs with.\n"
	      ".TP\n.I ",
	      to);
	man_text(to, WISMO_DATADIR);
	fputs("\n"
	      "the mapping tables, templates and web assets.\n"
	      ".SH SEE ALSO\n"
	      ".BR wismo.ini (5)\n",
	      to);
}

bool cli_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}


static int cmd_migrate(const struct config *cfg)
{
	struct store *st;
	char msg[256];
	int from = 0, to = 0;

	if (store_open(cfg->store.url, STORE_NO_MIGRATE, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	if (store_migrate(st, &from, &to)) {
		fprintf(stderr, "wismo: migrate: %s\n", store_errmsg(st));
		store_close(st);
		return 1;
	}
	printf("schema version %d -> %d\n", from, to);
	store_close(st);
	return 0;
}

struct engine_pass {
	struct store *st;
	const struct policy *pol;
	struct exc_engine *engine;
	int64_t now;
};

/* The engine's projections of one order at now, from its events, as the
 * server's sweep would write them (the order's own projection is left as
 * it is: that is what the rebuild checks). */
static enum werr engine_one(const char *order, void *p)
{
	struct engine_pass *c = p;
	struct event *evs = NULL;
	struct order_state o;
	size_t n = 0;
	enum werr err;

	order_init(&o);
	if (!(err = store_order_events(c->st, order, &evs, &n)) && !(err = store_fold(c->st, c->pol, evs, n, &o, NULL)))
		err = exc_engine_project(c->engine, c->st, &o, c->now);
	order_release(&o);
	event_array_free(evs, n);
	return err;
}

/* Brings every order's exceptions, checks and predictions to now and to
 * the lane model of now, so both sides of --verify are taken alike. */
static enum werr engine_inline(struct store *st, const struct config *cfg, struct exc_engine *engine, int64_t now)
{
	struct engine_pass c = { st, &cfg->policy, engine, now };
	enum werr err;

	if ((err = store_begin(st)))
		return err;
	err = store_each_order(st, engine_one, &c);
	return err ? (store_rollback(st), err) : store_commit(st);
}

int cli_rebuild(const struct config *cfg, int verify)
{
	struct store *st;
	struct buf before = BUF_INIT, after = BUF_INIT;
	char msg[256];
	size_t n = 0;
	int rc = 1;
	struct exc_engine engine = { &cfg->exceptions, &cfg->policy, exc_lanes_new() };
	int64_t now = clock_wall_ms();
	struct milestone_times_chain hooks = { exc_engine_project, &engine };

	if (store_open(cfg->store.url, 0, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	before.max = after.max = (size_t)4 << 30;
	/* exceptions depend on the time and on what the lanes learned: one
	 * model, from the deliveries stored now, and one now for both sides */
	if (exc_lanes_refresh(engine.lanes, st, &cfg->policy.cal, NULL) ||
	    (verify && engine_inline(st, cfg, &engine, now))) {
		fprintf(stderr, "wismo: rebuild: %s\n", store_errmsg(st));
		goto out;
	}
	if (verify && store_dump_projections(st, &before)) {
		fprintf(stderr, "wismo: rebuild: %s\n", store_errmsg(st));
		goto out;
	}
	if (store_rebuild(st, &cfg->policy, milestone_times_chain, &hooks, now, &n)) {
		fprintf(stderr, "wismo: rebuild: %s\n", store_errmsg(st));
		goto out;
	}
	printf("rebuilt %zu orders\n", n);
	if (verify) {
		if (store_dump_projections(st, &after)) {
			fprintf(stderr, "wismo: rebuild: %s\n", store_errmsg(st));
			goto out;
		}
		if (before.len != after.len || memcmp(before.p, after.p, before.len)) {
			printf("projections differ from the live ones (%zu bytes before, %zu after)\n",
			       before.len, after.len);
			goto out;
		}
		printf("projections identical to the live ones (%zu bytes)\n", after.len);
	}
	rc = 0;
out:
	buf_release(&before);
	buf_release(&after);
	store_close(st);
	exc_lanes_free(engine.lanes);
	return rc;
}

static int cmd_order(const struct config *cfg, const struct cli_opts *o)
{
	struct store *st;
	struct event *evs = NULL;
	enum ev_outcome *outc = NULL;
	struct order_state os;
	char msg[256], order[EV_ORDER_MAX + 1], t1[WTIME_BUFSZ], t2[WTIME_BUFSZ];
	size_t n = 0;
	int rc = 1;

	if (o->nargs < 1) {
		cli_usage("order");
		return 2;
	}
	if (EVENT_SET(order, o->args[0])) {
		fprintf(stderr, "wismo: order number too long\n");
		return 2;
	}
	if (store_open(cfg->store.url, STORE_READONLY, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	order_init(&os);
	if (store_order_events(st, order, &evs, &n)) {
		fprintf(stderr, "wismo: order: %s\n", store_errmsg(st));
		goto out;
	}
	if (!n && !store_find_package(st, o->args[0], order) && store_order_events(st, order, &evs, &n)) {
		fprintf(stderr, "wismo: order: %s\n", store_errmsg(st));
		goto out;
	}
	if (!n) {
		fprintf(stderr, "wismo: no order '%s'\n", o->args[0]);
		goto out;
	}
	if (!(outc = calloc(n, sizeof(*outc))) || store_fold(st, &cfg->policy, evs, n, &os, outc)) {
		fprintf(stderr, "wismo: out of memory\n");
		goto out;
	}
	printf("order %s: %s (%s)\n", os.order, ord_status_name(os.status),
	       ord_customer_label(os.status));
	for (size_t i = 0; i < os.npackages; i++)
		printf("  package %s %s: %s%s%s%s%s\n", os.packages[i].tracking, os.packages[i].carrier,
		       pkg_status_name(os.packages[i].status), os.packages[i].detail[0] ? " / " : "",
		       os.packages[i].detail, os.packages[i].is_return ? " (return " : "",
		       os.packages[i].is_return ? os.packages[i].return_id : "");
	for (size_t i = 0; i < os.nreturns; i++)
		printf("  return %s: %s\n", os.returns[i].id, ret_step_name(os.returns[i].state));
	for (size_t i = 0; i < os.nconflicts; i++)
		printf("  conflict: %s says %s, resolved %s\n", os.conflicts[i].claim_source,
		       ev_status_name(os.conflicts[i].claim_status), ev_status_name(os.conflicts[i].owner_status));
	printf("%-24s %-24s %-12s %-20s %-20s %-14s %s\n", "OCCURRED", "RECEIVED", "SOURCE", "PACKAGE",
	       "STATUS", "DETAIL", "OUTCOME");
	/* events come in arrival order; print them in event-time order */
	for (size_t done = 0; done < n; done++) {
		size_t best = n;
		for (size_t i = 0; i < n; i++) {
			if (!evs[i].key[0])
				continue;
			if (best == n || evs[i].occurred_at < evs[best].occurred_at ||
			    (evs[i].occurred_at == evs[best].occurred_at && strcmp(evs[i].key, evs[best].key) < 0))
				best = i;
		}
		printf("%-24s %-24s %-12s %-20s %-20s %-14s %s\n", wtime_format(evs[best].occurred_at, t1),
		       wtime_format(evs[best].received_at, t2), evs[best].source,
		       evs[best].package[0] ? evs[best].package : "-", ev_status_name(evs[best].status),
		       evs[best].detail[0] ? evs[best].detail : "-", ev_outcome_name(outc[best]));
		evs[best].key[0] = '\0';
	}
	rc = 0;
out:
	free(outc);
	order_release(&os);
	event_array_free(evs, n);
	store_close(st);
	return rc;
}

static int run(const char *cmd, struct config *cfg, const struct cli_opts *o)
{
	if (!strcmp(cmd, "serve"))
		return cmd_serve(cfg);
	if (!strcmp(cmd, "demo"))
		return cmd_demo(cfg, o);
	if (!strcmp(cmd, "migrate"))
		return cmd_migrate(cfg);
	if (!strcmp(cmd, "rebuild"))
		return cli_rebuild(cfg, o->verify);
	if (!strcmp(cmd, "order"))
		return cmd_order(cfg, o);
	if (!strcmp(cmd, "keys"))
		return cmd_keys(cfg, o);
	if (!strcmp(cmd, "parse"))
		return cmd_parse(cfg, o);
	if (!strcmp(cmd, "check"))
		return cmd_check(cfg);
	/* a row of the usage table without a branch above */
	fprintf(stderr, "wismo: command '%s' is not wired\n", cmd);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "role", required_argument, NULL, 'r' },
		{ "source", required_argument, NULL, 'S' },
		{ "speed", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'R' },
		{ "verify", no_argument, NULL, 'v' },
		{ "header", required_argument, NULL, 'H' },
		{ "tracking", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { 0 };
	struct config *cfg;
	const char *cmd;
	int c, rc;

	walloc_init(); /* before any thread: cJSON allocates through it */
	o.speed = 1.0;
	o.rate = 0.5;
	if (argc == 2 && !strcmp(argv[1], "--man")) { /* hidden: the build's wismo(1) */
		usage_man(stdout);
		return fflush(stdout) ? 1 : 0;
	}
	if (argc < 2 || cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
		usage_all(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	if (!command_find(cmd)) {
		fprintf(stderr, "wismo: unknown command '%s'\n\n", cmd);
		usage_all(stderr);
		return 2;
	}
	if (!strcmp(cmd, "track-link"))
		return cmd_track_link(argc, argv);
	if (!strcmp(cmd, "notify"))
		return cmd_notify(argc, argv);
	if (!strcmp(cmd, "erase"))
		return cmd_erase(argc, argv);
	if (!strcmp(cmd, "eval-predictions"))
		return cmd_eval_predictions(argc, argv);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc, argv);
	if (!strcmp(cmd, "remap"))
		return cmd_remap(argc, argv);
	if (!strcmp(cmd, "copy"))
		return cmd_copy(argc, argv);
	if (!strcmp(cmd, "backup"))
		return cmd_backup(argc, argv);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(argc, argv);
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 's': o.store = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'r': o.role = optarg; break;
		case 'S': o.source = optarg; break;
		case 'p': o.speed = strtod(optarg, NULL); break;
		case 'R': o.rate = strtod(optarg, NULL); break;
		case 'v': o.verify = 1; break;
		case 'H':
			if (o.nheaders == CLI_HEADERS_MAX) {
				fprintf(stderr, "wismo: at most %d --header options\n", CLI_HEADERS_MAX);
				return 2;
			}
			o.headers[o.nheaders++] = optarg;
			break;
		case 'T': o.tracking = optarg; break;
		case 'h': cli_help(cmd); return 0;
		default: cli_usage(cmd); return 2;
		}
	}
	o.args = argv + optind;
	o.nargs = argc - optind;
	if (o.speed <= 0 || o.speed > 10000 || o.rate <= 0 || o.rate > 1000) {
		fprintf(stderr, "wismo: --speed and --rate must be positive (speed <= 10000, rate <= 1000)\n");
		return 2;
	}
	if (!strcmp(cmd, "demo") && !o.store && !getenv("WISMO_STORE"))
		o.store = "sqlite:./wismo-demo.db";
	if (!(cfg = config_new()))
		return 1;
	rc = config_load(cfg, &o) ? 2 : run(cmd, cfg, &o);
	free(cfg);
	return rc;
}
