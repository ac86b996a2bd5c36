/*
 * http.h - what the HTTP server and the API handlers share.
 *
 * The server (server.c) owns the libmicrohttpd daemon, reads request bodies
 * within the limits, authenticates, routes, and sends what a handler put in
 * the request's reply.  A handler (src/api/) either answers at once
 * (HTTP_DONE) or hands work to the writer and returns HTTP_SUSPENDED; the
 * server then suspends the connection until the writer's done callback calls
 * http_resume(), and calls req->resume(req) to build the answer.
 *
 * One struct http_req lives for one request and is freed with it, with
 * everything it owns (body, reply, api_state through api_free).
 */
#ifndef WISMO_HTTP_H
#define WISMO_HTTP_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"
#include "../core/policy.h"
#include "../core/rules.h" /* notifications: struct rule in the config */
#include "../store/store.h"
#include "../store/writer.h"
#include "../notify/notify_config.h"

/* One configured source ([source NAME] in the INI file, docs/config.md). */
#define SOURCES_MAX 32
struct source_cfg {
	char name[EV_SOURCE_MAX + 1];
	char adapter[EV_SOURCE_MAX + 1];  /* built-in adapter it speaks; "" = its name */
	char secret[256];        /* webhook secret; WISMO_SOURCE_<NAME>_SECRET wins */
	char api_base[512];      /* ShipStation, carriers: the API's base URL */
	char api_key[256];       /* API key, user or OAuth client id */
	char api_secret[256];    /* API secret, password or OAuth client secret */
	int rate_per_minute;     /* carriers: polling budget (requests per minute) */
};

struct server_config {
	char listen_host[64];   /* "127.0.0.1", "0.0.0.0" or "::1" */
	int port;               /* 0: any free port */
	char store_url[1024];
	size_t max_body;        /* bytes; 413 above */
	int max_depth;          /* JSON nesting; 400 above */
	int max_batch;          /* events per request; 413 above */
	unsigned conn_limit;    /* concurrent connections */
	unsigned conn_timeout;  /* seconds of inactivity before a connection closes */
	unsigned threads;       /* libmicrohttpd thread pool */
	size_t queue_max;       /* writer queue, events; 503 above */
	struct policy policy;
	char mappings_dir[1024];      /* "" = the installed or source tree's mappings/ */
	char mappings_override[1024]; /* tables here replace built-in ones of the same name */
	struct source_cfg sources[SOURCES_MAX];
	int nsources;
	/* BEGIN config: web pages */
	/* [web] (docs/config.md); "" and 0 mean the built-in default */
	char web_name[128];            /* shop name shown on pages */
	char web_logo[512];            /* URL, or a file name under web/static */
	char web_primary[8];           /* "#rrggbb" */
	char web_accent[8];            /* "#rrggbb" */
	char web_support_email[256];
	char web_support_phone[64];
	char web_public_url[512];      /* base of signed links; default http://127.0.0.1:PORT */
	char web_link_secret[256];     /* WISMO_LINK_SECRET wins; else one kept in the database */
	char web_templates[1024];      /* override directory: page templates found here win */
	int web_lookups_per_minute;    /* lookups per client IP; default 10 */
	int web_link_days;             /* validity of links the lookup form makes; default 30 */
	/* END config: web pages */
	/* BEGIN config: KPIs, agent view, streams */
	/* [kpis] quiet_hours, [streams] max (docs/config.md); 0: the default */
	int kpi_quiet_hours;            /* a carrier-held parcel with no event for this long is "quiet" */
	unsigned sse_max_streams;       /* live event streams open at once; 503 above */
	/* END config: KPIs, agent view, streams */
	/* BEGIN config: notifications */
	/* delivery: */
	struct notify_config notify; /* channels, teams, outbox worker ([smtp], [sms], [webhook NAME], ...) */
	/* rules: [rule NAME] sections, [notify] templates, locale, default_rules */
	char notify_templates[1024];   /* override directory for message templates, "" none */
	char notify_locale[16];        /* message locale, "" = "en" */
	bool notify_no_default_rules;  /* default_rules = false: only configured rules */
	struct rule notify_rules[RULES_MAX];
	int notify_nrules;
	/* END config: notifications */
};

/* The configured source of this name, or NULL. */
const struct source_cfg *server_source(const struct server_config *c, const char *name);
/* Adds (or finds) a source entry; NULL when the table is full. */
struct source_cfg *server_source_add(struct server_config *c, const char *name);

void server_config_defaults(struct server_config *c);

struct server;
struct metrics;

enum http_result { HTTP_DONE = 0, HTTP_SUSPENDED = 1 };

#define HTTP_MAX_HEADERS 12

struct http_req {
	struct server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	struct buf body;
	bool body_too_large;
	bool authed;
	struct api_key key;
	int route;                      /* metrics label index */

	/* reply */
	unsigned status;
	struct buf out;
	const char *retry_after;        /* Retry-After header value, or NULL */
	const char *allow;              /* Allow header value for 405, or NULL */
	const char *content_type;       /* default application/json */
	/* further response headers (http_add_header); values are copied */
	struct { char *name, *value; } headers[HTTP_MAX_HEADERS];
	int nheaders;

	/* suspension */
	pthread_mutex_t mu;
	bool suspended;
	bool resumed;
	enum http_result (*resume)(struct http_req *r);
	void *api_state;
	void (*api_free)(void *api_state);
};

/* Server accessors for handlers. */
struct writer *server_writer(struct server *s);
const struct server_config *server_cfg(struct server *s);
struct metrics *server_metrics(struct server *s);
/* The mapping tables and zone table loaded at start (read-only). */
const struct mappings *server_mappings(struct server *s);
const struct zones *server_zones(struct server *s);
/* This thread's read-only store handle (opened on first use), or NULL with
 * an error reply already set on r. */
struct store *server_reader(struct http_req *r);

/* Suspends r's connection; call with r->mu held, right after handing the
 * work over.  http_resume() is called from the done callback. */
void http_suspend(struct http_req *r);
void http_resume(struct http_req *r);

/* Replies (reply.c).  http_error maps an error code to its JSON body:
 * {"error":{"code":"...","message":"..."}}. */
void http_json(struct http_req *r, unsigned status, const char *json, size_t len);
void http_error(struct http_req *r, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The one place that maps an enum werr to an HTTP status and error code. */
void http_werr(struct http_req *r, enum werr err, const char *message);
/* Adds a response header (copied).  WERR_TOO_LARGE past HTTP_MAX_HEADERS. */
enum werr http_add_header(struct http_req *r, const char *name, const char *value);
const char *http_query(struct http_req *r, const char *name);
/* Decodes s[0..len) (application/x-www-form-urlencoded: '+' a space, %XX a
 * byte) into out, NUL-terminated and cut to cap; a decoded NUL is dropped. */
size_t http_form_decode(const char *s, size_t len, char *out, size_t cap);
/* ?limit= as a number from 1 to max (def when absent); false after answering 400. */
bool http_query_limit(struct http_req *r, int def, int max, int *out);
const char *http_header(struct http_req *r, const char *name);

/* Auth (auth.c): checks the Authorization header.  Returns true when the
 * request may go on; otherwise the 401/403 reply is set. */
bool http_require(struct http_req *r, unsigned roles_mask);
/* The same check without a reply: true when the request carries a valid key
 * (header, or the session cookie on GET/HEAD) of one of the roles. */
bool http_session(struct http_req *r, unsigned roles_mask);
#define ROLE_BIT(r) (1u << (r))

/* Handlers (src/api/). */
enum http_result api_post_events(struct http_req *r);
enum http_result api_post_hook(struct http_req *r, const char *source);
enum http_result api_list_unmapped(struct http_req *r);
enum http_result api_list_rejected(struct http_req *r);
/* Sets the key of an event (event.h), a hash of its key material, and the
 * carrier from the tracking number's format when the source named none. */
void api_event_key(struct event *ev);
int64_t api_wall_ms(void);
enum http_result api_get_order(struct http_req *r, const char *order);
enum http_result api_get_timeline(struct http_req *r, const char *order);
enum http_result api_list_orders(struct http_req *r);
enum http_result api_healthz(struct http_req *r);
enum http_result api_readyz(struct http_req *r);
enum http_result api_metrics(struct http_req *r);
/* BEGIN handlers: web pages */
/* src/web/: the customer page, the dashboard, static files, and the two
 * API resources that belong to them (docs/web.md). */
enum http_result web_track_form(struct http_req *r);
enum http_result web_track_lookup(struct http_req *r);
enum http_result web_track_page(struct http_req *r, const char *token);
enum http_result web_track_stream(struct http_req *r, const char *token);
enum http_result web_static(struct http_req *r, const char *name);
enum http_result web_dashboard(struct http_req *r, const char *rest);
enum http_result web_dashboard_login(struct http_req *r);
enum http_result web_dashboard_logout(struct http_req *r);
enum http_result api_post_track_link(struct http_req *r);
enum http_result api_get_raw(struct http_req *r, const char *id);
/* END handlers: web pages */
/* BEGIN handlers: KPIs, agent view, streams */
/* src/api/kpis.c (docs/api.md, docs/kpis.md) */
enum http_result api_get_kpis(struct http_req *r);
enum http_result api_search(struct http_req *r);
enum http_result api_get_queue(struct http_req *r, const char *name);
enum http_result api_get_queues(struct http_req *r);
enum http_result api_stream_order(struct http_req *r, const char *order);
enum http_result api_stream_dashboard(struct http_req *r);
/* The answer of GET /v1/orders/{order}?view=agent (orders.c calls it). */
enum http_result api_get_order_agent(struct http_req *r, const char *order);
/* Counts one failed sync event of source ("signature", "fetch") through
 * the writer, without waiting (hooks.c, the poller).  Best effort: when
 * the writer is busy the failure is only logged. */
void api_note_failure(struct writer *w, const char *source, const char *kind);
/* END handlers: KPIs, agent view, streams */
/* BEGIN handlers: notifications */
/* delivery: */
/* POST /hooks/sms: inbound SMS (STOP/START) from the provider (src/api/sms_hook.c). */
enum http_result api_post_sms_hook(struct http_req *r);
/* rules (src/api/notify.c, docs/api.md): */
enum http_result api_rules(struct http_req *r, const char *name); /* name NULL: the list */
enum http_result api_audit(struct http_req *r);
enum http_result api_outbox(struct http_req *r, const char *rest); /* rest: "", "ID", "ID/retry" ... */
enum http_result api_post_consent(struct http_req *r);
/* The notification planner and rules (notify/planner.h). */
struct notify_planner *server_planner(struct server *s);
/* The side store: one read-write handle for admin writes from request
 * threads (rules, consent, outbox decisions), locked; NULL when it cannot
 * be opened (logged).  Each successful lock is followed by one unlock.
 * Writes wait (busy timeout) for the group-commit writer. */
struct store *server_side_store_lock(struct server *s);
void server_side_store_unlock(struct server *s);
/* One INI entry of [rule NAME] or of the rules' keys in [notify]
 * (templates, locale, default_rules): 1 taken, 0 not ours, -1 bad (a
 * message on stderr).  notify/planner.c. */
int notify_rules_config_set(struct server_config *cfg, const char *section, const char *name, const char *value);
/* END handlers: notifications */

#endif
