/*
 * report.c - `wismo report --month YYYY-MM [--format text|html] [--change
 * YYYY-MM-DD]`: the monthly review of "where is my order?" tickets
 * (docs/helpdesk.md "The monthly review"), done by the software: how many
 * tickets per 100 orders shipped, why the customers asked, and which link
 * (carrier, source, warehouse, promise) caused the avoidable ones, most
 * first; with --change, the rate before and after a day of the month (the
 * effect of a change).  Read-only; the figures are GET /v1/kpis' (views.h).
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/clock.h"
#include "../base/wtime.h"
#include "../views/views.h"
#include "cli.h"
#include "../base/banned.h"

#define DAY_MS INT64_C(86400000)

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The first instant of month "YYYY-MM" and of the next one, UTC. */
static bool month_range(const char *m, int64_t *from, int64_t *to)
{
	char a[32], b[32];
	int y, mo;
	char tail;

	if (sscanf(m, "%4d-%2d%c", &y, &mo, &tail) != 2 || strlen(m) != 7 || y < 2000 || y > 9999 || mo < 1 || mo > 12)
		return false;
	snprintf(a, sizeof(a), "%04d-%02d-01T00:00:00Z", y, mo);
	snprintf(b, sizeof(b), "%04d-%02d-01T00:00:00Z", mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1);
	return wtime_parse(a, 0, from) == WTIME_OK && wtime_parse(b, 0, to) == WTIME_OK;
}

static void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

/* One ranked table: key column, tickets, share of total. */
static void table(FILE *f, bool html, const char *title, const cJSON *rows, const char *key, double total, bool rank)
{
	const cJSON *r;
	int i = 0;

	if (html) {
		fputs("<h2>", f);
		html_text(f, title);
		fprintf(f, "</h2>\n<table>\n<thead><tr>%s<th scope=\"col\">%s</th><th scope=\"col\">tickets</th>"
			   "<th scope=\"col\">share</th></tr></thead>\n<tbody>\n",
			rank ? "<th scope=\"col\">#</th>" : "", key);
	} else {
		fprintf(f, "\n%s\n", title);
		fprintf(f, "  %s%-24s %8s %7s\n", rank ? " #  " : "", key, "tickets", "share");
	}
	cJSON_ArrayForEach(r, rows) {
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, key));
		double n = num(r, "tickets");
		i++;
		if (html) {
			fputs("<tr>", f);
			if (rank)
				fprintf(f, "<td>%d</td>", i);
			fputs("<td>", f);
			html_text(f, k ? k : "");
			fprintf(f, "</td><td>%.0f</td><td>%.0f%%</td></tr>\n", n, total > 0 ? 100 * n / total : 0);
		} else {
			if (rank)
				fprintf(f, "  %2d  ", i);
			else
				fputs("  ", f);
			fprintf(f, "%-24s %8.0f %6.0f%%\n", k ? k : "", n, total > 0 ? 100 * n / total : 0);
		}
	}
	if (!i)
		fputs(html ? "<tr><td colspan=\"4\">none</td></tr>\n" : "  none\n", f);
	if (html)
		fputs("</tbody>\n</table>\n", f);
}

static void line(FILE *f, bool html, const char *what, const char *value)
{
	if (html) {
		fputs("<tr><th scope=\"row\">", f);
		html_text(f, what);
		fputs("</th><td>", f);
		html_text(f, value);
		fputs("</td></tr>\n", f);
	} else {
		fprintf(f, "%-36s %s\n", what, value);
	}
}

static enum werr kpis(struct store *st, int64_t from, int64_t to, cJSON **k)
{
	return view_kpis(st, from, to, NULL, clock_wall_ms(), k);
}

static void rate_text(const cJSON *t, char *out, size_t cap)
{
	double r = num(t, "per_100_shipped");
	if (isnan(r))
		snprintf(out, cap, "%.0f tickets, no order shipped", num(t, "linked"));
	else
		snprintf(out, cap, "%.2f per 100 orders shipped (%.0f tickets, %.0f orders)", r, num(t, "linked"),
			 num(t, "orders_shipped"));
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "store", required_argument, NULL, 's' },
		{ "month", required_argument, NULL, 'm' },  { "format", required_argument, NULL, 'f' },
		{ "change", required_argument, NULL, 'g' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { 0 };
	const char *month = NULL, *format = "text", *change = NULL;
	struct config *cfg = NULL;
	struct store *st = NULL;
	cJSON *k = NULL, *before = NULL, *after = NULL;
	const cJSON *t;
	int64_t from, to, at = 0;
	char msg[256], v[160];
	bool html;
	int c, rc = 1;

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 's': o.store = optarg; break;
		case 'm': month = optarg; break;
		case 'f': format = optarg; break;
		case 'g': change = optarg; break;
		case 'h': cli_help("report"); return 0;
		default: cli_usage("report"); return 2;
		}
	}
	if (optind != argc || !month || !month_range(month, &from, &to) || (strcmp(format, "text") && strcmp(format, "html"))) {
		cli_usage("report");
		return 2;
	}
	if (change && (wtime_parse(change, WTIME_FLAG_DATE_OK, &at) != WTIME_OK || at <= from || at >= to)) {
		fprintf(stderr, "wismo: --change must be a day inside the month (YYYY-MM-DD)\n");
		return 2;
	}
	html = !strcmp(format, "html");
	if (!(cfg = config_new()))
		return 1;
	if (config_load(cfg, &o)) {
		free(cfg);
		return 2;
	}
	if (store_open(cfg->store.url, STORE_READONLY, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		goto out;
	}
	if (kpis(st, from, to, &k) || (change && (kpis(st, from, at, &before) || kpis(st, at, to, &after)))) {
		fprintf(stderr, "wismo: unable to compute the figures: %s\n", store_errmsg(st));
		goto out;
	}
	t = cJSON_GetObjectItemCaseSensitive(k, "tickets");
	if (html)
		printf("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<title>WISMO tickets, %s</title>\n</head>\n<body>\n<main>\n<h1>Where-is-my-order tickets, %s</h1>\n"
		       "<table>\n<tbody>\n",
		       month, month);
	else
		printf("Where-is-my-order tickets, %s (UTC)\n\n", month);
	snprintf(v, sizeof(v), "%.0f", num(t, "opened"));
	line(stdout, html, "Tickets opened", v);
	rate_text(t, v, sizeof(v));
	line(stdout, html, "Tickets linked to an order", v);
	snprintf(v, sizeof(v), "%.0f (%.0f%% of the linked)", num(t, "avoidable"),
		 num(t, "linked") > 0 ? 100 * num(t, "avoidable") / num(t, "linked") : 0);
	line(stdout, html, "Avoidable: something was wrong", v);
	snprintf(v, sizeof(v), "%.0f", num(t, "ambiguous"));
	line(stdout, html, "Requester with several orders", v);
	if (change) {
		char label[64];
		snprintf(label, sizeof(label), "Before %s", change);
		rate_text(cJSON_GetObjectItemCaseSensitive(before, "tickets"), v, sizeof(v));
		line(stdout, html, label, v);
		snprintf(label, sizeof(label), "From %s on", change);
		rate_text(cJSON_GetObjectItemCaseSensitive(after, "tickets"), v, sizeof(v));
		line(stdout, html, label, v);
	}
	if (html)
		fputs("</tbody>\n</table>\n", stdout);
	table(stdout, html, "What to fix first: avoidable tickets by link",
	      cJSON_GetObjectItemCaseSensitive(t, "by_link"), "link", num(t, "avoidable"), true);
	table(stdout, html, "Why customers asked", cJSON_GetObjectItemCaseSensitive(t, "by_cause"), "cause",
	      num(t, "linked"), false);
	table(stdout, html, "Tickets by carrier", cJSON_GetObjectItemCaseSensitive(t, "by_carrier"), "carrier",
	      num(t, "linked"), false);
	if (html)
		fputs("</main>\n</body>\n</html>\n", stdout);
	rc = 0;
out:
	cJSON_Delete(k);
	cJSON_Delete(before);
	cJSON_Delete(after);
	store_close(st);
	free(cfg);
	return rc;
}
