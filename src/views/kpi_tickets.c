/*
 * kpi_tickets.c - the WISMO-ticket figures of the KPIs (views.h
 * view_kpis_tickets, docs/kpis.md "Tickets"), read from the help desk's
 * tickets (store.h struct store_ticket_ops).
 *
 * A ticket counts in the range it was opened in.  Linked: matched to an
 * order.  Per 100 orders shipped: linked tickets per order whose first
 * carrier acceptance fell in the range (the cycle time's sample).
 * Avoidable: linked tickets whose cause (core/ticket.h, at the moment the
 * ticket was opened) was not "healthy"; by_link ranks what to fix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "views.h"
#include "../base/banned.h"

enum werr view_kpis_tickets(struct store *st, int64_t from, int64_t to, cJSON *root)
{
	struct counts causes = { 0 }, links = { 0 }, carriers = { 0 };
	size_t n = 0;
	int64_t linked = 0, ambiguous = 0, avoidable = 0, shipped = 0;
	struct ticket_row *rows = NULL;
	const cJSON *cyc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "cycle_time"), "n");
	cJSON *x;
	enum werr err;

	if ((err = store_tk_kpis(st, from, to, &rows, &n)))
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct ticket_row *r = &rows[i];
		ambiguous += !strcmp(r->matched, "ambiguous");
		if (!r->order[0])
			continue;
		linked++;
		counts_bump(&causes, r->cause);
		counts_bump(&carriers, r->carrier[0] ? r->carrier : "none");
		if (strcmp(r->cause, "healthy")) {
			avoidable++;
			counts_bump(&links, r->link[0] ? r->link : r->cause);
		}
	}
	free(rows);
	if (cJSON_IsNumber(cyc))
		shipped = (int64_t)cyc->valuedouble;
	if (!(x = cJSON_AddObjectToObject(root, "tickets")))
		return WERR_NOMEM;
	cJSON_AddNumberToObject(x, "opened", (double)n);
	cJSON_AddNumberToObject(x, "linked", (double)linked);
	cJSON_AddNumberToObject(x, "ambiguous", (double)ambiguous);
	cJSON_AddNumberToObject(x, "orders_shipped", (double)shipped);
	if (shipped)
		cJSON_AddNumberToObject(x, "per_100_shipped", 100.0 * (double)linked / (double)shipped);
	else
		cJSON_AddNullToObject(x, "per_100_shipped");
	cJSON_AddNumberToObject(x, "avoidable", (double)avoidable);
	if (!counts_json(x, "by_cause", "cause", "tickets", &causes) ||
	    !counts_json(x, "by_link", "link", "tickets", &links) ||
	    !counts_json(x, "by_carrier", "carrier", "tickets", &carriers))
		return WERR_NOMEM;
	/* self-service: of the orders delivered in the range, those whose customer opened the page */
	{
		int64_t delivered, opened;
		cJSON *s;
		if ((err = store_open_counts(st, from, to, &delivered, &opened)))
			return err;
		if (!(s = cJSON_AddObjectToObject(x, "self_service")))
			return WERR_NOMEM;
		cJSON_AddNumberToObject(s, "orders_delivered", (double)delivered);
		cJSON_AddNumberToObject(s, "tracking_page_opened", (double)opened);
		if (delivered)
			cJSON_AddNumberToObject(s, "share", (double)opened / (double)delivered);
		else
			cJSON_AddNullToObject(s, "share");
	}
	return WERR_OK;
}
