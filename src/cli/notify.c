/*
 * notify.c - `wismo notify preview --rule R --order O`: prints what rule R
 * would send for order O's current state (docs/notifications.md).
 *
 * Opens the store read-only, folds the order from its events as the writer
 * does, takes rule R from the effective set (defaults, [rule NAME], rules
 * stored through the API), plans it at now (or --at TIME) with every
 * channel taken as configured, and renders each message with the same
 * templates the outbox worker uses.  Sends nothing and writes nothing
 * (except the tracking-link secret, made on first use as `wismo
 * track-link` does).
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../base/wtime.h"
#include "../notify/planner.h"
#include "../notify/render.h"
#include "../app/links.h"
#include "cli.h"
#include "../base/banned.h"

static int fold_order(const struct config *cfg, struct store *st, const char *id, struct order_state *os)
{
	char order[EV_ORDER_MAX + 1];
	struct event *evs = NULL;
	size_t n = 0;
	int rc = 1;

	snprintf(order, sizeof(order), "%s", id);
	if (store_order_events(st, order, &evs, &n)) {
		fprintf(stderr, "wismo: %s\n", store_errmsg(st));
		return 1;
	}
	if (!n && !store_find_package(st, id, order) && store_order_events(st, order, &evs, &n)) {
		fprintf(stderr, "wismo: %s\n", store_errmsg(st));
		return 1;
	}
	if (!n)
		fprintf(stderr, "wismo: no order '%s'\n", id);
	else if (store_fold(st, &cfg->policy, evs, n, os, NULL))
		fprintf(stderr, "wismo: unable to fold order '%s'\n", id);
	else
		rc = 0;
	event_array_free(evs, n);
	return rc;
}

static void print_row(const struct config *cfg, struct store *st, const struct outbox_row *row, bool sms)
{
	struct rendered out;
	char err[512];

	printf("=== %s to %s\n", row->channel, row->recipient);
	printf("rule: %s\nmilestone: %s\ntemplate: %s\nlocale: %s\nstate: %s\nkey: %s\n", row->rule, row->milestone,
	       row->template_name, row->locale, row->state, row->key);
	if (sms) {
		bool in = false;
		enum werr e = store_consent_get(st, row->recipient, &in, NULL);
		printf("consent: %s\n", e == WERR_NOT_FOUND ? "none recorded (would be suppressed)"
				      : e			  ? "unknown (store error)"
				      : in			  ? "opted in"
								  : "opted out (would be suppressed)");
	}
	if (!strcmp(row->channel, "webhook")) {
		printf("\n%s\n\n", row->view);
		return;
	}
	if (notify_render(cfg->rules.templates, row, &out, err, sizeof(err))) {
		printf("render error: %s\n\n", err);
		return;
	}
	if (strcmp(out.locale, row->locale))
		printf("rendered with locale: %s (no '%s' templates)\n", out.locale, row->locale);
	if (out.subject)
		printf("subject: %s\n", out.subject);
	printf("\n%s", out.text);
	if (out.html)
		printf("\n--- html\n%s", out.html);
	printf("\n");
	rendered_release(&out);
}

static int preview(const struct config *cfg, const char *rule_name, const char *order, int64_t now)
{
	struct rule_set set;
	struct rule_row *stored = NULL;
	struct store *st = NULL;
	struct order_state os;
	struct outbox_row *rows = NULL;
	bool *sms = NULL;
	const struct rule *r;
	struct link_signer links;
	struct notify_shop shop;
	struct notify_planner_opts po = { &cfg->rules,	  &cfg->notify,	      &shop,
					  &links,	  cfg->store.url,     &cfg->exceptions,
					  &cfg->policy.cal,  &cfg->policy.milestones };
	struct rules_exception *x = NULL;
	struct exception_row *xrows = NULL;
	size_t nx = 0;
	char msg[256];
	size_t n = 0, nstored = 0;
	int rc = 1;

	order_init(&os);
	if (notify_rules_base(&cfg->rules, &set, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 2;
	}
	if (store_open(cfg->store.url, STORE_READONLY, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	if (store_rule_list(st, &stored, &nstored)) {
		fprintf(stderr, "wismo: %s\n", store_errmsg(st));
		goto out;
	}
	notify_rules_apply_stored(&set, stored, nstored);
	if (!(r = rule_set_find(&set, rule_name))) {
		fprintf(stderr, "wismo: no rule '%s'\n", rule_name);
		goto out;
	}
	if (fold_order(cfg, st, order, &os))
		goto out;
	config_link_signer(cfg, &links);
	config_shop(cfg, &shop);
	if (notify_order_exceptions(&po, st, &os, &x, &xrows, &nx)) {
		fprintf(stderr, "wismo: %s\n", store_errmsg(st));
		goto out;
	}
	if (notify_build_rows(&po, r, 1, true, &os, x, nx, now, &rows, &sms, &n)) {
		fprintf(stderr, "wismo: out of memory\n");
		goto out;
	}
	printf("order %s: %s; rule %s (trigger %s, %s to %s)%s\n\n", os.order, ord_status_name(os.status), r->name,
	       r->trigger, rule_channel_name(r->channel), rule_audience_name(r->audience),
	       r->enabled ? "" : " [disabled]");
	if (!n) {
		struct rules_milestone ms[32];
		size_t nm = rules_milestones(&os, ms, 32);
		printf("nothing to send now: the order's current milestones are");
		for (size_t i = 0; i < nm; i++)
			printf(" %s", ms[i].key);
		for (size_t i = 0; i < nx; i++) {
			struct rules_milestone m;
			rules_exception_milestone(&os, &x[i], &m);
			printf(" %s", m.key);
		}
		printf("%s (a rule fires on a milestone it names, within its max age of %d h, when the recipient is "
		       "known)\n",
		       nm || nx ? "" : " none", r->max_age_hours ? r->max_age_hours : RULES_MAX_AGE_DEFAULT_H);
	}
	for (size_t i = 0; i < n; i++)
		print_row(cfg, st, &rows[i], sms[i]);
	rc = 0;
out:
	free(x);
	free(xrows);
	outbox_rows_free(rows, n);
	free(sms);
	rule_rows_free(stored, nstored);
	order_release(&os);
	store_close(st);
	return rc;
}

int cmd_notify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "rule", required_argument, NULL, 'r' },
		{ "order", required_argument, NULL, 'o' },
		{ "at", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { 0 };
	struct config *cfg;
	const char *rule = NULL, *order = NULL;
	int64_t now = clock_wall_ms();
	int c, rc;

	/* `wismo notify --help` as well as `wismo notify preview --help` */
	if (argc >= 3 && cli_is_help(argv[2])) {
		cli_help("notify");
		return 0;
	}
	if (argc < 3 || strcmp(argv[2], "preview")) {
		cli_usage("notify");
		return 2;
	}
	optind = 3;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 's': o.store = optarg; break;
		case 'r': rule = optarg; break;
		case 'o': order = optarg; break;
		case 'a':
			if (wtime_parse(optarg, WTIME_FLAG_DATE_OK, &now) != WTIME_OK) {
				fprintf(stderr, "wismo: --at must be an RFC 3339 time\n");
				return 2;
			}
			break;
		case 'h': cli_help("notify"); return 0;
		default: cli_usage("notify"); return 2;
		}
	}
	if (optind != argc || !rule || !order || !order[0] || strlen(order) > EV_ORDER_MAX) {
		cli_usage("notify");
		return 2;
	}
	if (!(cfg = config_new()))
		return 1;
	if (config_load(cfg, &o)) {
		free(cfg);
		return 2;
	}
	rc = preview(cfg, rule, order, now);
	free(cfg);
	return rc;
}
