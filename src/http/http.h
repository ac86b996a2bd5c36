/*
 * http.h - the HTTP transport: a libmicrohttpd server that takes a route
 * table and knows no feature.
 *
 * The layers above build the table (src/api/routes.c, src/web/routes.c) and
 * the wiring (src/cli/serve.c) hands it to http_server_new() with the
 * options below.  For each request the server reads the body within the
 * limits, finds the route (http_route_find, docs/architecture.md), answers
 * 404 or 405 itself, asks the authorize hook when the route names roles, and
 * calls the handler.  A handler either answers at once (HTTP_DONE) or hands
 * work to another thread and returns HTTP_SUSPENDED; the server then
 * suspends the connection until http_resume(), and calls r->resume(r) to
 * build the answer.
 *
 * One struct http_req lives for one request and is freed with it, with
 * everything it owns (body, reply, handler_state through handler_free,
 * principal through principal_free).  A reply whose buffer failed (over its
 * size limit) is sent as a 500, never cut off.
 */
#ifndef WISMO_HTTP_H
#define WISMO_HTTP_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../base/err.h"
#include "errors.h"

struct http_server;
struct http_req;

enum http_result { HTTP_DONE = 0, HTTP_SUSPENDED = 1 };

typedef enum http_result (*http_handler_fn)(struct http_req *r);

/*
 * One row of a route table.  pattern is a path of literal text and at most
 * one parameter: "{name}" matches one non-empty segment (no '/'), "{name*}"
 * matches the rest, '/' included, possibly empty; literal text may follow
 * the parameter ("/track/{token*}/stream").  Literal patterns are tried
 * before patterns with a parameter, each group in table order; the first
 * pattern that matches the path decides: a row of it with the request's
 * method runs (GET rows also take HEAD), otherwise the answer is 405 with
 * Allow listing that pattern's methods.  roles is a bit mask handed to the
 * authorize hook before the handler runs; 0: the handler checks (public
 * pages, signed webhooks).  label names the route in /metrics.
 */
struct http_route {
	const char *method;
	const char *pattern;
	unsigned roles;
	const char *label;
	http_handler_fn handler;
};

/* A table: rows, their count, and the context its handlers get from
 * http_ctx() (a handler folder exports one table with its own context). */
struct http_routes {
	const struct http_route *rows;
	size_t n;
	void *ctx;
};

#define HTTP_ROUTES(table, ctx) ((struct http_routes){ (table), sizeof(table) / sizeof((table)[0]), (ctx) })

/* [server], [limits] and [streams] settings the transport reads (docs/config.md). */
struct http_opts {
	char listen_host[64];   /* "127.0.0.1", "0.0.0.0" or "::1" */
	int port;               /* 0: any free port */
	size_t max_body;        /* bytes; 413 above */
	unsigned conn_limit;    /* concurrent connections */
	unsigned conn_per_ip;   /* concurrent connections from one address; more are closed at accept */
	unsigned conn_timeout;  /* seconds of inactivity before a connection closes */
	unsigned threads;       /* libmicrohttpd thread pool */
	unsigned max_streams;   /* staff live streams open at once; 503 above (0: default) */
	unsigned max_public;    /* tracking-page streams open at once; 503 above (0: default) */
	unsigned public_per_client; /* tracking-page streams from one address (0: default) */
};

void http_opts_defaults(struct http_opts *o);
/* Parses "HOST:PORT", "[V6]:PORT" or ":PORT" into o; -1 when malformed. */
int http_opts_set_listen(struct http_opts *o, const char *s);
/* One INI entry: [server] listen, threads; [limits] max_body, connections,
 * connections_per_ip, timeout; [streams] max, max_public, public_per_client.
 * 1 taken, 0 not ours, -1 bad value. */
int http_config_set(struct http_opts *o, const char *section, const char *name, const char *value);

/*
 * What the layers above hand the server: the route tables and the
 * authorize hook.  authorize(ctx, r, roles) runs before a route with roles;
 * it returns true to go on, or false with the 401/403 (or 503) reply set.
 * after(ctx, r) lets the layer above put away what a handler took for the
 * thread (app.c: its reader's use mark).
 */
struct http_app {
	void *ctx;
	bool (*authorize)(void *ctx, struct http_req *r, unsigned roles);
	const struct http_routes *tables;
	size_t ntables;
	/* after each call of a handler (its first and each resume), on the
	 * thread that called it; NULL: none */
	void (*after)(void *ctx, struct http_req *r);
};

/*
 * Two steps, so that what depends on the port (signed links' base URL) is
 * ready before the first request: http_server_new() binds the address (the
 * port is known, 0 included) and makes the live-update hub;
 * http_server_listen() starts serving.  app's tables must outlive the
 * server.  http_server_stop() also frees a server that never listened.
 */
enum werr http_server_new(const struct http_opts *o, const struct http_app *app, struct http_server **out,
			  char *errbuf, size_t errcap);
enum werr http_server_listen(struct http_server *s, char *errbuf, size_t errcap);
int http_server_port(const struct http_server *s);
/* The first step of a graceful stop: from now on every new request is
 * answered 503 shutting_down (and its connection closed) while those in
 * flight finish. */
void http_server_quiesce(struct http_server *s);
/* Ends the live streams, waits up to 5 s for the requests in flight to be
 * answered, stops the daemon and frees everything. */
void http_server_stop(struct http_server *s);

#define HTTP_MAX_HEADERS 12
#define HTTP_PARAM_MAX 511 /* longer parameters are cut (no id is that long) */

struct http_req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	struct buf body;
	bool body_too_large;
	const struct http_route *route; /* NULL before routing (and for 404s) */
	void *route_ctx;                /* its table's ctx */
	char param[HTTP_PARAM_MAX + 1]; /* the route's parameter, "" when it has none */
	char allow_buf[64];

	/* who asked: set by the authorize hook, opaque to the transport */
	void *principal;
	void (*principal_free)(void *principal);

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
	void *handler_state;
	void (*handler_free)(void *handler_state);
};

/* The ctx of the route table whose row r matched. */
void *http_ctx(struct http_req *r);

/* Suspends r's connection; call with r->mu held, right after handing the
 * work over.  http_resume() is called from the other thread when done. */
void http_suspend(struct http_req *r);
void http_resume(struct http_req *r);

/* Sets the reply to json[0..len). */
void http_json(struct http_req *r, unsigned status, const char *json, size_t len);
/* The error reply {"error":{"code":"...","message":"..."}} of a row of the
 * wire error table (errors.h): its code and status (reply.c). */
void http_fail(struct http_req *r, enum http_error_id e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The one place that maps an enum werr to a row of the table; message NULL:
 * the code itself. */
void http_werr(struct http_req *r, enum werr err, const char *message);
/* ?limit= as a number from 1 to max (def when absent); false after answering 400. */
bool http_query_limit(struct http_req *r, int def, int max, int *out);
/* Adds a response header (copied).  WERR_TOO_LARGE past HTTP_MAX_HEADERS. */
enum werr http_add_header(struct http_req *r, const char *name, const char *value);
const char *http_query(struct http_req *r, const char *name);
const char *http_header(struct http_req *r, const char *name);
const char *http_cookie(struct http_req *r, const char *name);
/* True for GET and HEAD. */
bool http_is_get(const struct http_req *r);
/* The client's IP address as text ("" when unknown); out needs 64 bytes. */
void http_client_ip(struct http_req *r, char out[64]);
/* Decodes s[0..len) (application/x-www-form-urlencoded: '+' a space, %XX a
 * byte) into out, NUL-terminated and cut to cap; a decoded NUL is dropped. */
size_t http_form_decode(const char *s, size_t len, char *out, size_t cap);

/*
 * What may be logged of a text that can carry secrets (libmicrohttpd's
 * error messages quote request paths, and a path can be a signed tracking
 * link): every path is cut after its first segment ("/track/..."), and
 * every run of 24 or more key-like characters (letters, digits, '-', '_',
 * '.', '=', '+') - API keys, tokens, signatures, hashes - becomes
 * "[redacted]".  out is NUL-terminated and cut to cap (cap > 0).
 */
void http_log_redact(const char *in, char *out, size_t cap);

/*
 * The route matcher (exposed for its unit test): the row of tables for
 * method and path, with its parameter copied into param (cut to cap) and
 * its table's ctx in *ctx (ctx may be NULL).  method NULL: the first row of
 * the pattern that matches, whatever its method.
 * NULL when no pattern matches (allow ""), or when one matches without a
 * row for the method (allow lists its methods, e.g. "GET, HEAD, POST").
 */
const struct http_route *http_route_find(const struct http_routes *tables, size_t ntables, const char *method,
					 const char *path, char *param, size_t cap, char *allow, size_t allowcap,
					 void **ctx);

#endif
