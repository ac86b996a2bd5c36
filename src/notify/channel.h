/*
 * channel.h - sending one rendered message through one channel.
 *
 * A channel is a real transport: email over SMTP (libcurl), SMS through an
 * HTTP provider API in Twilio's request shape, signed outbound webhooks, and
 * help-desk tickets in Zendesk's ticket API shape (docs/notifications.md).
 * channel_send() is blocking and thread-safe; it is called by the outbox
 * worker (worker.c), never on a request thread.
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
};

struct send_result {
	bool ok;
	bool retry;
	long http_status;          /* 0 when not HTTP */
	char error[256];
	char remote_id[128];
};

enum werr channel_send(const struct notify_config *cfg, const struct message *m, struct send_result *res);

#endif
