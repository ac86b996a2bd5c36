/*
 * notify_config.h - the settings of the delivery side of notifications:
 * the channels' endpoints and credentials, the team addresses and the
 * outbox worker's schedule (docs/channels.md, docs/config.md).
 *
 * Filled once at start from the INI file (notify_config_set, called by
 * src/cli/config.c for the sections below) and then only read, from any
 * thread.  Plain fixed-size strings: the struct is copied with the server's
 * configuration.
 *
 *   [smtp]       url (smtp://host:port or smtps://), user, password, from,
 *                from_name, tls = none | try | required (STARTTLS),
 *                ca_file, verify = true | false
 *   [sms]        provider (default twilio), api_base, account_sid,
 *                auth_token, from, public_url (the URL the provider calls
 *                for /hooks/sms, part of its signature)
 *   [webhook NAME] url, secret (one subscriber per section)
 *   [helpdesk]   base_url, email, api_token (Zendesk's API shape)
 *   [teams]      support, warehouse, operations, returns (addresses)
 *   [outbox]     max_attempts (8), backoff_base (30 s), backoff_max (3600 s),
 *                batch (20), lease (120 s), poll_ms (1000)
 *   [notify]     quiet_hours = 21-8, timezone = Europe/Paris
 *
 * Secrets may come from the environment instead: WISMO_SMTP_PASSWORD,
 * WISMO_SMS_AUTH_TOKEN, WISMO_HELPDESK_API_TOKEN, WISMO_WEBHOOK_<NAME>_SECRET
 * (notify_config_env; the environment wins).
 */
#ifndef WISMO_NOTIFY_CONFIG_H
#define WISMO_NOTIFY_CONFIG_H

#include <stdbool.h>

#define NOTIFY_SUBSCRIBERS_MAX 16

enum smtp_tls { SMTP_TLS_NONE = 0, SMTP_TLS_TRY = 1, SMTP_TLS_REQUIRED = 2 };

struct notify_smtp {
	char url[512];        /* "" = email channel not configured */
	char user[256];
	char password[256];
	char from[256];       /* envelope and From: address */
	char from_name[128];  /* display name, may be "" */
	enum smtp_tls tls;
	char ca_file[512];
	bool no_verify;       /* verify = false: skip certificate checks (tests only) */
};

struct notify_sms {
	char provider[32];    /* "twilio" */
	char api_base[512];   /* "" = SMS channel not configured */
	char account_sid[128];
	char auth_token[256];
	char from[32];        /* E.164 sender number */
	char public_url[512]; /* the full URL the provider posts inbound SMS to */
};

struct notify_subscriber {
	char name[64];
	char url[512];
	char secret[256];
};

struct notify_helpdesk {
	char base_url[512];   /* "" = ticket channel not configured */
	char email[256];
	char api_token[256];
};

struct notify_teams {
	char support[256];
	char warehouse[256];
	char operations[256];
	char returns[256];
};

struct notify_worker_cfg {
	int max_attempts;     /* attempts before a message is dead; default 8 */
	int backoff_base_s;   /* first retry after this; doubles; default 30 */
	int backoff_max_s;    /* cap; default 3600 */
	int batch;            /* rows claimed at once; default 20 */
	int lease_s;          /* a claim older than this is due again; default 120 */
	int poll_ms;          /* the worker looks for due rows at least this often; default 1000 */
	bool quiet_set;       /* false: the default 21-8 */
	int quiet_start_h;    /* non-urgent SMS wait from this hour ... */
	int quiet_end_h;      /* ... to this one (local); equal = no quiet hours */
	char timezone[64];    /* the shop's zone when the customer's is unknown; "" = UTC */
};

struct notify_config {
	struct notify_smtp smtp;
	struct notify_sms sms;
	struct notify_subscriber subscribers[NOTIFY_SUBSCRIBERS_MAX];
	int nsubscribers;
	struct notify_helpdesk helpdesk;
	struct notify_teams teams;
	struct notify_worker_cfg worker;
};

/* Every field zero is a valid configuration: no channel configured, and
 * the worker's defaults (zero numbers and quiet_set false read as the
 * defaults above, notify_worker_defaults).  notify_config_defaults() writes
 * them out explicitly. */
void notify_config_defaults(struct notify_config *c);
/* w with each zero field replaced by its default. */
struct notify_worker_cfg notify_worker_defaults(const struct notify_worker_cfg *w);

/*
 * One INI entry.  Returns 1 when it was taken, 0 when the section is not
 * one of the above (or the name is unknown in [notify], which other parts
 * share), -1 for a bad value or an unknown name in a section of its own.
 */
int notify_config_set(struct notify_config *c, const char *section, const char *name, const char *value);

/* Applies the environment's secrets (see above).  Returns -1 when one is too long. */
int notify_config_env(struct notify_config *c);

/* The subscriber of this name, or NULL. */
const struct notify_subscriber *notify_subscriber(const struct notify_config *c, const char *name);

#endif
