/*
 * helpdesk.h - the customers' own help-desk tickets (docs/helpdesk.md):
 * the help desk tells wismo of a ticket, wismo finds the order it is about
 * and answers inside the ticket with an internal note, then adds a short
 * note for each meaningful change while the ticket is open.
 *
 *   POST /hooks/helpdesk   Zendesk's webhook (a trigger's JSON, or an event
 *                          webhook's), signed with X-Zendesk-Webhook-Signature
 *                          (base64 HMAC-SHA256 of timestamp + body) and
 *                          X-Zendesk-Webhook-Signature-Timestamp (within 5 min)
 *
 * The match (core/ticket.h): the order-number field, an "order_N" tag, an
 * order or tracking number in the subject or the first message, else the
 * requester's orders of the last 90 days when exactly one; several: no
 * note, the tag wismo_order_ambiguous.  Each ticket is kept (store.h
 * struct ticket_row) with the cause of the question at the moment it was
 * opened, for the WISMO-ticket figures (docs/kpis.md "Tickets").  Notes go
 * through the outbox (channel ticket, recipient "ticket:ID"), so each is
 * sent once whatever the retries.
 *
 * The tickets wismo opens for its tasks (the ticket channel) are the help
 * desk's too: when the order's last live task resolves, its ticket is
 * solved (a comment while others remain); with [tickets] resolve_tasks, an
 * agent solving that ticket resolves the order's live tasks.
 *
 * Settings: [tickets] (helpdesk_config_set).  Threads: the handler runs on
 * the HTTP threads and writes through the planner's side store; the project
 * hook on the writer thread.
 */
#ifndef WISMO_HELPDESK_H
#define WISMO_HELPDESK_H

#include <stdint.h>

#include "../app/app.h"
#include "../core/exceptions.h"
#include "../http/http.h"

struct helpdesk_config {
	char webhook_secret[256];  /* the Zendesk webhook's signing secret */
	char order_field[32];      /* the id of the ticket field holding the order number, "" none */
	int note_minutes;          /* at least this long between two change notes on one ticket (10) */
	bool resolve_tasks;        /* an agent solving a task's ticket resolves the order's live tasks (false) */
};

void helpdesk_config_defaults(struct helpdesk_config *c);
/* One INI entry of [tickets]: 1 taken, 0 not ours, -1 bad value. */
int helpdesk_config_set(struct helpdesk_config *c, const char *section, const char *name, const char *value);
/* WISMO_TICKETS_WEBHOOK_SECRET overrides the file; -1 when too long. */
int helpdesk_config_env(struct helpdesk_config *c);

struct helpdesk {
	struct app *app;
	const struct helpdesk_config *cfg;
	const struct exc_config *exc;   /* when the customer may hear of an exception */
	bool notes;                     /* the ticket channel is configured ([helpdesk]): write notes */
};

struct http_routes helpdesk_routes(struct helpdesk *h);

/* The writer's project hook (writer.h): a change note for each open ticket
 * of o on each milestone newer than the ticket; ctx is the helpdesk. */
enum werr helpdesk_project(void *ctx, struct store *st, const struct order_state *o, int64_t now);

#endif
