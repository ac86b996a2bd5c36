/*
 * channel.h - sending one rendered message through one channel.
 *
 * A channel is a real transport: email over SMTP (libcurl, smtp.c), SMS
 * through an HTTP provider API in Twilio's request shape (sms.c), signed
 * outbound webhooks (webhook.c), and help-desk tickets in Zendesk's ticket
 * API shape (helpdesk.c); docs/channels.md.  Each file exports one struct
 * channel, and one table (channel.c) holds them: channel_find() picks by
 * the outbox row's channel name, so a new channel is one file and one line
 * in that table, and no caller switches on names.
 *
 * channel_send() is blocking and thread-safe; it is called by the outbox
 * worker (worker.c), never on a request thread.  The table is constant:
 * any thread may read it.
 *
 * Result: ok (the receiver accepted it; remote_id says what it called it),
 * or not ok with retry true (a network error, a timeout, 429 or 5xx: try
 * again later) or retry false (4xx other than 408/429, a refused recipient:
 * retrying cannot help, the message goes to the dead letters at once).
 */
#ifndef WISMO_CHANNEL_H
#define WISMO_CHANNEL_H

#include <stdbool.h>

#include "../base/err.h"

struct notify_config; /* channels' settings, notify_config.h */

struct message {
	const char *channel;       /* "email", "sms", "webhook", "ticket" */
	const char *to;            /* email address, E.164 phone, subscriber name, team */
	const char *subject;       /* email, ticket */
	const char *text;          /* plain text: email text part, SMS body, ticket comment */
	const char *html;          /* email HTML part, may be NULL */
	const char *json;          /* webhook body (the event), ticket extra data; may be NULL */
	const char *idempotency_key; /* the outbox key: same on every retry */
	const char *order;         /* the order number (ticket external_id) */
	const char *ticket_id;     /* an open ticket to update, or NULL to open one */
	const char *ticket_status; /* "open", "solved" */
	const char **tags;         /* NULL-terminated, may be NULL */
	const char *priority;      /* ticket: "low", "normal", "high"; NULL leaves it as it is */
};

struct send_result {
	bool ok;
	bool retry;
	long http_status;          /* 0 when not HTTP */
	char error[256];
	char remote_id[128];
};

/* One transport.  send() fills res (zeroed by the caller) and returns
 * WERR_OK exactly when res->ok. */
struct channel {
	const char *name;          /* the outbox row's channel: "email", "sms", ... */
	enum werr (*send)(const struct notify_config *cfg, const struct message *m, struct send_result *res);
	/* Whether its settings are there at all ([smtp] url, [sms] api_base,
	 * a [webhook NAME], [helpdesk] base_url): the planner plans rows only
	 * for such channels.  send() checks the rest and fails for good. */
	bool (*configured)(const struct notify_config *cfg);
	bool templated;            /* the text comes from templates/<name>/ (render.h); else the worker builds JSON */
	bool html;                 /* an HTML part is rendered too (<template>.html) */
};

/* The channel called name, or NULL (name NULL or unknown). */
const struct channel *channel_find(const char *name);

/* channel_find(name)->configured(cfg); false for an unknown name. */
bool channel_configured(const struct notify_config *cfg, const char *name);

/* Clears res, then sends m through the channel m->channel names:
 * WERR_INVALID when m->channel is NULL, WERR_UNSUPPORTED when no channel
 * has that name, else what the channel's send() returns. */
enum werr channel_send(const struct notify_config *cfg, const struct message *m, struct send_result *res);

#endif
