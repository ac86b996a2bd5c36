/*
 * server.c - the libmicrohttpd daemon: request lifecycle, limits, routing by
 * the table the layers above hand in (contract in http.h).
 *
 * A request goes through the access handler several times (libmicrohttpd's
 * pattern): the first call only allocates the http_req (answering on the
 * first call would cost keep-alive), the next ones collect the body up to
 * max_body, and the last one routes it.  A handler that waits for another
 * thread suspends the connection; http_resume() wakes it and the access
 * handler is called once more to send the answer.
 *
 * Abuse: one client address holds at most [limits] connections_per_ip
 * connections (the library closes more at accept); a request whose body
 * length is ambiguous is refused on the first call; the library's own error
 * messages reach the log only through on_library_log, redacted and capped.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/num.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "metrics.h"
#include "server_int.h"
#include "sse.h"
#include "../base/banned.h"

/* Bodies declared larger than this are not even read before the 413. */
#define DISCARD_MAX ((unsigned long long)64 << 20)

void http_opts_defaults(struct http_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
	o->port = 8080;
	o->max_body = 1 << 20;
	o->conn_limit = 1000;
	o->conn_per_ip = 64;
	o->conn_timeout = 30;
	o->threads = 2;
}

int http_opts_set_listen(struct http_opts *o, const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *host = s;
	size_t hlen;
	long port;

	if (!colon || !num_parse(colon + 1, 0, 65535, &port))
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen >= sizeof(o->listen_host))
		return -1;
	if (hlen == 0) {
		snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
	} else {
		memcpy(o->listen_host, host, hlen);
		o->listen_host[hlen] = '\0';
		if (!strcmp(o->listen_host, "localhost"))
			snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
	}
	o->port = (int)port;
	return 0;
}

int http_config_set(struct http_opts *o, const char *section, const char *name, const char *value)
{
	long n = 0;

	if (!strcmp(section, "server")) {
		if (!strcmp(name, "listen"))
			return http_opts_set_listen(o, value) ? -1 : 1;
		if (!strcmp(name, "threads")) {
			if (!num_parse(value, 1, 64, &n))
				return -1;
			o->threads = (unsigned)n;
			return 1;
		}
	} else if (!strcmp(section, "limits")) {
		if (!strcmp(name, "max_body")) {
			if (!num_parse(value, 1024, 64L << 20, &n))
				return -1;
			o->max_body = (size_t)n;
			return 1;
		}
		if (!strcmp(name, "connections")) {
			if (!num_parse(value, 1, 100000, &n))
				return -1;
			o->conn_limit = (unsigned)n;
			return 1;
		}
		if (!strcmp(name, "connections_per_ip")) {
			/* 0: no cap (behind a reverse proxy every client has its address) */
			if (!num_parse(value, 0, 100000, &n))
				return -1;
			o->conn_per_ip = (unsigned)n;
			return 1;
		}
		if (!strcmp(name, "timeout")) {
			if (!num_parse(value, 1, 3600, &n))
				return -1;
			o->conn_timeout = (unsigned)n;
			return 1;
		}
	} else if (!strcmp(section, "streams")) {
		if (!strcmp(name, "max")) {
			if (!num_parse(value, 1, 100000, &n))
				return -1;
			o->max_streams = (unsigned)n;
			return 1;
		}
		if (!strcmp(name, "max_public")) {
			if (!num_parse(value, 1, 100000, &n))
				return -1;
			o->max_public = (unsigned)n;
			return 1;
		}
		if (!strcmp(name, "public_per_client")) {
			if (!num_parse(value, 1, 100000, &n))
				return -1;
			o->public_per_client = (unsigned)n;
			return 1;
		}
	}
	return 0;
}

void *http_ctx(struct http_req *r)
{
	return r->route_ctx;
}

struct http_metrics *http_server_metrics(struct http_server *s)
{
	return s->metrics;
}

struct sse_hub *http_server_hub(struct http_server *s)
{
	return s->sse;
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_suspend(struct http_req *r)
{
	r->suspended = true;
	MHD_suspend_connection(r->conn);
}

void http_resume(struct http_req *r)
{
	struct MHD_Connection *conn = r->conn;
	bool suspended;

	pthread_mutex_lock(&r->mu);
	r->resumed = true;
	suspended = r->suspended;
	pthread_mutex_unlock(&r->mu);
	/* Once resumed, a pool thread may send the answer, complete the request
	 * and free r (and its mutex) at once: r must not be touched after this
	 * call.  Resuming while still holding r->mu did exactly that and
	 * crashed under load. */
	if (suspended)
		MHD_resume_connection(conn);
}

static void req_free(struct http_req *r)
{
	if (r->handler_free)
		r->handler_free(r->handler_state);
	if (r->principal_free)
		r->principal_free(r->principal);
	for (int i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	buf_release(&r->body);
	buf_release(&r->out);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static enum MHD_Result send_reply(struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;
	char *body;
	int h;

	if (buf_failed(&r->out)) {
		/* a reply cut off at its size limit is never sent as if whole */
		wlog(LOG_ERROR, "reply_too_large", "route", r->route ? r->route->label : "other", NULL);
		r->content_type = NULL;
		http_fail(r, HE_INTERNAL, "the answer is too large");
	}
	len = r->out.len;
	body = buf_detach(&r->out);
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->content_type ? r->content_type : "application/json");
	/* no-store unless the handler chose (static files may be cached) */
	for (h = 0; h < r->nheaders && strcasecmp(r->headers[h].name, MHD_HTTP_HEADER_CACHE_CONTROL); h++)
		;
	if (h == r->nheaders)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->retry_after)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, r->retry_after);
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	for (int i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	ret = MHD_queue_response(r->conn, r->status ? r->status : 500, resp);
	MHD_destroy_response(resp);
	http_metrics_request(r->srv->metrics, r->route ? r->route->label : NULL, r->status);
	return ret;
}

static enum http_result route(struct http_req *r)
{
	struct http_server *s = r->srv;
	const struct http_route *rt;

	rt = http_route_find(s->app.tables, s->app.ntables, r->method, r->url, r->param, sizeof(r->param),
			     r->allow_buf, sizeof(r->allow_buf), &r->route_ctx);
	if (!rt) {
		if (r->allow_buf[0]) {
			/* the path is known: count it under its pattern's label */
			r->route = http_route_find(s->app.tables, s->app.ntables, NULL, r->url, r->param,
						   sizeof(r->param), NULL, 0, NULL);
			r->allow = r->allow_buf;
			http_fail(r, HE_METHOD_NOT_ALLOWED, "use %s on this path", r->allow_buf);
		} else {
			http_fail(r, HE_NOT_FOUND, "no such path; see docs/api.md");
		}
		return HTTP_DONE;
	}
	r->route = rt;
	if (rt->roles && s->app.authorize && !s->app.authorize(s->app.ctx, r, rt->roles))
		return HTTP_DONE;
	return rt->handler(r);
}

static enum MHD_Result too_large(struct http_req *r)
{
	/* counted under the path's route, whatever the method */
	r->route = http_route_find(r->srv->app.tables, r->srv->app.ntables, NULL, r->url, r->param, sizeof(r->param),
				   NULL, 0, NULL);
	http_fail(r, HE_BODY_TOO_LARGE, "the request body is over the limit of %zu bytes", r->srv->opts.max_body);
	return send_reply(r);
}

/* What the first call learns of the framing headers (count_framing). */
struct framing {
	int lengths;     /* Content-Length headers */
	bool bad_length; /* one that is not all digits */
	bool chunked;    /* a Transfer-Encoding header */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		f->lengths++;
		if (!value || !*value || strspn(value, "0123456789") != strlen(value))
			f->bad_length = true;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		f->chunked = true;
	}
	return MHD_YES;
}

/*
 * A request whose body length is ambiguous is refused before any of it is
 * read (RFC 9112 section 6.3): libmicrohttpd 0.9.75 takes the first of two
 * Content-Length headers and lets Transfer-Encoding override one, so a
 * proxy in front that reads the other would see a different request in the
 * same bytes (request smuggling).  A malformed single value never gets
 * here: the library answers it itself (docs/api.md, Limits).
 */
static bool framing_ok(struct http_req *r)
{
	struct framing f = { 0 };

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_framing, &f);
	if (f.lengths <= 1 && !f.bad_length && !(f.lengths && f.chunked))
		return true;
	http_add_header(r, "Connection", "close");
	http_fail(r, HE_INVALID, "%s", f.lengths > 1 ? "more than one Content-Length header"
				     : f.bad_length ? "Content-Length is not a number"
				     : "both Content-Length and Transfer-Encoding");
	return false;
}

static void after_handler(struct http_req *r)
{
	if (r->srv->app.after)
		r->srv->app.after(r->srv->app.ctx, r);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;
	enum http_result res;

	if (!r) {
		const char *cl;
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->srv = s;
		r->conn = conn;
		r->method = method;
		r->url = url;
		buf_init(&r->body, s->opts.max_body);
		buf_init(&r->out, 0);
		pthread_mutex_init(&r->mu, NULL);
		atomic_fetch_add(&s->active, 1);
		*con_cls = r;
		/* Over the connection limit: answer at once (which also closes
		 * the connection) instead of letting the client hang at accept. */
		if ((unsigned)atomic_load(&s->conns) > s->opts.conn_limit) {
			r->retry_after = "1";
			http_fail(r, HE_TOO_MANY_CONNECTIONS,
				  "the server holds its limit of %u connections; retry shortly", s->opts.conn_limit);
			return send_reply(r);
		}
		if (atomic_load(&s->stopping)) {
			r->retry_after = "1";
			http_fail(r, HE_SHUTTING_DOWN, "the server is stopping");
			return send_reply(r);
		}
		if (!framing_ok(r))
			return send_reply(r);
		/* A declared length over the limit: the body is read and dropped,
		 * then refused (answering first and closing would make the kernel
		 * reset the connection under the client's feet, losing the 413).
		 * A length far beyond any sane body is refused at once. */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > s->opts.max_body) {
			r->body_too_large = true;
			if (strtoull(cl, NULL, 10) > DISCARD_MAX)
				return too_large(r);
		}
		return MHD_YES;
	}
	if (r->resumed) {
		r->resumed = false;
		r->suspended = false;
		res = r->resume(r);
		after_handler(r);
		if (res == HTTP_SUSPENDED)
			return MHD_YES;
		return send_reply(r);
	}
	if (*upload_data_size) {
		/* a chunked body over the limit is read to its end and dropped */
		if (!r->body_too_large && buf_append(&r->body, upload_data, *upload_data_size))
			r->body_too_large = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->body_too_large)
		return too_large(r);
	res = route(r);
	after_handler(r);
	if (res == HTTP_SUSPENDED)
		return MHD_YES;
	return send_reply(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;

	if (!r)
		return;
	*con_cls = NULL;
	req_free(r);
	atomic_fetch_sub(&s->active, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	atomic_fetch_add(&s->conns, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.' || c == '=' || c == '+' || c == '%';
}

/* Where a path may start: at the beginning, or after a space or a quote
 * ("</b>" in an HTML body quoted by the library is not a path). */
static bool path_start(const char *in, const char *p)
{
	return *p == '/' && (p == in || strchr(" \t`'\"(=", p[-1]));
}

void http_log_redact(const char *in, char *out, size_t cap)
{
	static const char red[] = "[redacted]";
	size_t o = 0;
	const char *p = in;

#define PUT(c) do { if (o + 1 < cap) out[o++] = (c); } while (0)
	while (*p) {
		if (path_start(in, p)) {
			/* "/" and the first segment, then "/..." for the rest */
			const char *seg = p + 1;
			size_t n = strcspn(seg, "/?# \t'\"`)");
			bool more;
			PUT('/');
			if (n >= 24)
				for (const char *r = red; *r; r++)
					PUT(*r);
			else
				for (size_t i = 0; i < n; i++)
					PUT(seg[i]);
			p = seg + n;
			more = *p == '/' || *p == '?' || *p == '#';
			p += strcspn(p, " \t'\"`)");
			if (more)
				for (const char *r = "/..."; *r; r++)
					PUT(*r);
			continue;
		}
		if (key_char(*p)) {
			size_t n = 0;
			while (key_char(p[n]))
				n++;
			if (n >= 24)
				for (const char *r = red; *r; r++)
					PUT(*r);
			else
				for (size_t i = 0; i < n; i++)
					PUT(p[i]);
			p += n;
			continue;
		}
		PUT(*p == '\n' || *p == '\r' ? ' ' : *p);
		p++;
	}
#undef PUT
	out[o] = '\0';
}

/*
 * libmicrohttpd's error log, through wlog as one JSON line, redacted: its
 * messages quote request paths, and a tracking link's path is its secret.
 * A flood of connections makes a line each; past LIBLOG_PER_S lines in a
 * second they are counted, and the next line written says how many were
 * dropped, so a client cannot fill the disk through the log.
 */
#define LIBLOG_PER_S 20

/* libmicrohttpd hands a printf format: checked as one */
__attribute__((format(printf, 2, 0))) static void on_library_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	char text[1024], safe[1024], dropped[24] = "";
	int64_t second = clock_mono_ms() / 1000;
	size_t n;

	pthread_mutex_lock(&s->log_mu);
	if (second != s->log_second) {
		s->log_second = second;
		s->log_lines = 0;
	}
	if (s->log_lines >= LIBLOG_PER_S) {
		s->log_dropped++;
		pthread_mutex_unlock(&s->log_mu);
		return;
	}
	s->log_lines++;
	if (s->log_dropped)
		snprintf(dropped, sizeof(dropped), "%u", s->log_dropped);
	s->log_dropped = 0;
	pthread_mutex_unlock(&s->log_mu);
	vsnprintf(text, sizeof(text), fmt, ap);
	n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
	http_log_redact(text, safe, sizeof(safe));
	if (dropped[0])
		wlog(LOG_WARN, "http_library", "detail", safe, "dropped_before", dropped, NULL);
	else
		wlog(LOG_WARN, "http_library", "detail", safe, NULL);
}

static void server_free(struct http_server *s)
{
	if (s->fd >= 0)
		close(s->fd);
	sse_hub_free(s->sse);
	http_metrics_free(s->metrics);
	pthread_mutex_destroy(&s->log_mu);
	free(s);
}

enum werr http_server_new(const struct http_opts *o, const struct http_app *app, struct http_server **out,
			  char *errbuf, size_t errcap)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int one = 1;
	struct sse_budget budgets[SSE_AUDIENCES];

	*out = NULL;
	if (!s)
		return WERR_NOMEM;
	s->opts = *o;
	s->app = *app;
	s->fd = -1;
	pthread_mutex_init(&s->log_mu, NULL);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, o->listen_host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)o->port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, o->listen_host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)o->port);
		len = sizeof(*sin6);
		s->ipv6 = true;
	} else {
		snprintf(errbuf, errcap, "listen address '%s' is not an IP address", o->listen_host);
		server_free(s);
		return WERR_INVALID;
	}
	budgets[SSE_STAFF] = (struct sse_budget){ o->max_streams, 0 };
	budgets[SSE_PUBLIC] = (struct sse_budget){ o->max_public,
						   o->public_per_client ? o->public_per_client
									: SSE_PUBLIC_PER_CLIENT_DEFAULT };
	if (!(s->metrics = http_metrics_new(app->tables, app->ntables)) ||
	    sse_hub_new(budgets, s->metrics, &s->sse)) {
		server_free(s);
		return WERR_NOMEM;
	}
	/* Bound here, served from http_server_listen(): the port is known
	 * (even for port 0) before anything can be asked of the server. */
	if ((s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(s->fd, (struct sockaddr *)&ss, len) || listen(s->fd, SOMAXCONN) ||
	    getsockname(s->fd, (struct sockaddr *)&ss, &len)) {
		snprintf(errbuf, errcap, "unable to listen on %s:%d: %s", o->listen_host, o->port, strerror(errno));
		server_free(s);
		return WERR_IO;
	}
	s->port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
	*out = s;
	return WERR_OK;
}

enum werr http_server_listen(struct http_server *s, char *errbuf, size_t errcap)
{
	const struct http_opts *o = &s->opts;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG | (s->ipv6 ? MHD_USE_IPv6 : 0);

	s->daemon = MHD_start_daemon(flags, (uint16_t)s->port, NULL, NULL, on_access, s,
				     /* first, or the library logs the options before it itself */
				     MHD_OPTION_EXTERNAL_LOGGER, on_library_log, s,
				     MHD_OPTION_LISTEN_SOCKET, s->fd,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads ? o->threads : 1),
				     MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				     /* the hard limit leaves room to answer 503 above the soft one */
				     MHD_OPTION_CONNECTION_LIMIT, o->conn_limit + 64,
				     /* one address cannot hold the others out (closed at accept) */
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->conn_per_ip,
				     MHD_OPTION_CONNECTION_TIMEOUT, o->conn_timeout,
				     /* libmicrohttpd's default: it clears the whole pool between
				      * keep-alive requests, 64 KiB cost 13 % of a lookup's CPU */
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
				     MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(errbuf, errcap, "unable to serve on %s:%d: %s", o->listen_host, s->port, strerror(errno));
		return WERR_IO;
	}
	s->fd = -1; /* the daemon's now */
	return WERR_OK;
}

/*
 * Not MHD_quiesce_daemon: libmicrohttpd 0.9.75 aborts the process in it
 * ("Failed to remove listen FD from epoll set") when the daemon sits at its
 * connection limit, where it has already taken the listening socket out of
 * its epoll set - a SIGTERM during a connection flood.  So the socket stays
 * open until MHD_stop_daemon, and every request that arrives meanwhile is
 * answered 503 shutting_down at once (which also closes its connection).
 */
void http_server_quiesce(struct http_server *s)
{
	if (s)
		atomic_store(&s->stopping, true);
}

void http_server_stop(struct http_server *s)
{
	int64_t deadline;

	if (!s)
		return;
	http_server_quiesce(s);
	/* end the live streams (libmicrohttpd must not be stopped with a
	 * suspended connection), let the answers go out */
	sse_hub_close(s->sse);
	deadline = clock_mono_ms() + 5000;
	while (s->daemon && atomic_load(&s->active) > 0 && clock_mono_ms() < deadline)
		usleep(10000);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	server_free(s);
}
