/*
 * server.c - the libmicrohttpd daemon: request lifecycle, limits, routing.
 *
 * A request goes through the access handler several times (libmicrohttpd's
 * pattern): the first call only allocates the http_req (answering on the
 * first call would cost keep-alive), the next ones collect the body up to
 * max_body, and the last one routes it.  A handler that waits for the writer
 * suspends the connection; the writer's done callback resumes it and the
 * access handler is called once more to send the answer.
 *
 * Readers: each thread of the pool opens its own read-only store handle on
 * first use (thread-specific data, closed when the thread ends), so reads
 * never wait for the writer.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../adapters/mapping.h"
#include "../adapters/zones.h"
#include "../base/log.h"
#include "../poll/poller.h"
#include "../notify/planner.h" /* notifications: rules */
#include "../notify/worker.h"
#include "../api/views.h"
#include "auth.h"
#include "metrics.h"
#include "sse.h"
#include "../base/banned.h"

/* Bodies declared larger than this are not even read before the 413. */
#define DISCARD_MAX ((unsigned long long)64 << 20)

struct server {
	struct server_config cfg;
	struct MHD_Daemon *daemon;
	struct writer *writer;
	struct metrics *metrics;
	pthread_key_t reader_key;
	bool key_made;
	atomic_int active; /* requests allocated and not yet completed */
	atomic_int conns;  /* open connections */
	int port;
	struct mappings *maps;
	struct zones *zones;
	struct poller *poller;
	struct worker *worker; /* the outbox worker (notify/worker.h) */
	struct notify_planner *planner; /* notifications: rules, planning hook, side store (notify/planner.h) */
	struct sse_hub *sse; /* live updates (sse.h) */
};

void server_config_defaults(struct server_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->port = 8080;
	snprintf(c->store_url, sizeof(c->store_url), "sqlite:./wismo.db");
	c->max_body = 1 << 20;
	c->max_depth = 32;
	c->max_batch = 1000;
	c->conn_limit = 1000;
	c->conn_timeout = 30;
	c->threads = 2;
	c->queue_max = 100000;
	policy_init_defaults(&c->policy);
}

const struct source_cfg *server_source(const struct server_config *c, const char *name)
{
	for (int i = 0; i < c->nsources; i++)
		if (!strcmp(c->sources[i].name, name))
			return &c->sources[i];
	return NULL;
}

struct source_cfg *server_source_add(struct server_config *c, const char *name)
{
	struct source_cfg *sc = (struct source_cfg *)server_source(c, name);

	if (sc)
		return sc;
	if (c->nsources >= SOURCES_MAX || strlen(name) > EV_SOURCE_MAX || !name[0])
		return NULL;
	sc = &c->sources[c->nsources++];
	memset(sc, 0, sizeof(*sc));
	memcpy(sc->name, name, strlen(name) + 1);
	return sc;
}

const char *server_data_dir(const char *sub, char *out, size_t cap)
{
	const char *const roots[] = { WISMO_DATADIR, WISMO_SOURCE_ROOT };

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(out, cap, "%s/%s", roots[i], sub);
		if (access(out, R_OK) == 0)
			return out;
	}
	snprintf(out, cap, "%s/%s", roots[0], sub);
	return out;
}

static const char *mappings_dir(const struct server_config *cfg)
{
	static const char *const builtin[] = { WISMO_DATADIR "/mappings", WISMO_SOURCE_ROOT "/mappings" };
	const char *env = getenv("WISMO_MAPPINGS");

	if (cfg->mappings_dir[0])
		return cfg->mappings_dir;
	if (env && env[0])
		return env;
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (access(builtin[i], R_OK) == 0)
			return builtin[i];
	return builtin[0];
}

enum werr server_load_tables(const struct server_config *cfg, struct mappings **maps, struct zones **zones,
			     char *errbuf, size_t errcap)
{
	const char *dir = mappings_dir(cfg);
	char zpath[1100];
	enum werr err;

	*maps = NULL;
	*zones = NULL;
	if ((err = mappings_load(dir, cfg->mappings_override, maps, errbuf, errcap)))
		return err;
	snprintf(zpath, sizeof(zpath), "%s/zones.tsv", dir);
	if ((err = zones_load(zpath, NULL, zones, errbuf, errcap))) {
		mappings_free(*maps);
		*maps = NULL;
	}
	return err;
}

const struct mappings *server_mappings(struct server *s)
{
	return s->maps;
}

const struct zones *server_zones(struct server *s)
{
	return s->zones;
}

struct writer *server_writer(struct server *s)
{
	return s->writer;
}

const struct server_config *server_cfg(struct server *s)
{
	return &s->cfg;
}

struct metrics *server_metrics(struct server *s)
{
	return s->metrics;
}

struct sse_hub *server_sse(struct server *s)
{
	return s->sse;
}

/* notifications: the rules and planner, and the side store (planner.h) */
struct notify_planner *server_planner(struct server *s)
{
	return s->planner;
}

struct store *server_side_store_lock(struct server *s)
{
	return notify_side_lock(s->planner);
}

void server_side_store_unlock(struct server *s)
{
	notify_side_unlock(s->planner);
}

/* The writer's commit listener: whoever needs to hear of committed orders
 * (live streams now) is told here, on the writer thread, quickly. */
static void on_commit(void *ctx, const char *const *orders, size_t n)
{
	struct server *s = ctx;

	sse_hub_committed(s->sse, orders, n);
	worker_wake(s->worker);
}

int server_port(const struct server *s)
{
	return s->port;
}

static void reader_close(void *p)
{
	store_close(p);
}

struct store *server_reader(struct http_req *r)
{
	struct server *s = r->srv;
	struct store *st = pthread_getspecific(s->reader_key);
	char msg[256];

	if (st)
		return st;
	if (store_open(s->cfg.store_url, STORE_READONLY, &st, msg, sizeof(msg))) {
		wlog(LOG_ERROR, "reader_open_failed", "detail", msg, NULL);
		http_error(r, 503, "storage_unavailable", "the store cannot be read now");
		r->retry_after = "1";
		return NULL;
	}
	pthread_setspecific(s->reader_key, st);
	return st;
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
	if (r->api_free)
		r->api_free(r->api_state);
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
	size_t len = r->out.len;
	char *body = buf_detach(&r->out);
	int h;

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
	metrics_request(r->srv->metrics, (enum route)r->route, r->status);
	return ret;
}

static bool method_is(struct http_req *r, const char *m, const char *allow)
{
	if (!strcmp(r->method, m) || (!strcmp(m, "GET") && !strcmp(r->method, "HEAD")))
		return true;
	r->allow = allow;
	http_error(r, 405, "method_not_allowed", "use %s on this path", allow);
	return false;
}

static const char *suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && !strcmp(s + n - m, suf) ? s + n - m : NULL;
}

static enum http_result route(struct http_req *r)
{
	const char *u = r->url;
	static const char orders[] = "/v1/orders/";
	static const char hooks[] = "/hooks/";

	if (!strcmp(u, "/v1/events")) {
		r->route = ROUTE_EVENTS;
		return method_is(r, "POST", "POST") ? api_post_events(r) : HTTP_DONE;
	}
	if (!strncmp(u, orders, sizeof(orders) - 1) && u[sizeof(orders) - 1]) {
		const char *order = u + sizeof(orders) - 1;
		const char *tl = suffix(order, "/timeline");
		char num[EV_ORDER_MAX + 1];
		size_t n = tl ? (size_t)(tl - order) : strlen(order);

		r->route = tl ? ROUTE_TIMELINE : ROUTE_ORDER;
		if (!method_is(r, "GET", "GET, HEAD"))
			return HTTP_DONE;
		if (n == 0 || n > EV_ORDER_MAX) {
			http_error(r, 404, "not_found", "no such order");
			return HTTP_DONE;
		}
		memcpy(num, order, n);
		num[n] = '\0';
		return tl ? api_get_timeline(r, num) : api_get_order(r, num);
	}
	if (!strcmp(u, "/v1/orders") || !strcmp(u, "/v1/orders/")) {
		r->route = ROUTE_ORDERS;
		return method_is(r, "GET", "GET, HEAD") ? api_list_orders(r) : HTTP_DONE;
	}
	/* /hooks/{source}: the name is what follows the last '/' (strrchr keeps
	 * GCC's -Wstringop-overread, which misjudges u + 7 under -O2 with the
	 * sanitizers, quiet) */
	if (!strncmp(u, hooks, sizeof(hooks) - 1) && strrchr(u, '/') == u + sizeof(hooks) - 2 && strcmp(u, "/hooks/sms") &&
	    u[sizeof(hooks) - 1]) {
		r->route = ROUTE_HOOKS;
		return method_is(r, "POST", "POST") ? api_post_hook(r, strrchr(u, '/') + 1) : HTTP_DONE;
	}
	if (!strcmp(u, "/v1/unmapped")) {
		r->route = ROUTE_UNMAPPED;
		return method_is(r, "GET", "GET, HEAD") ? api_list_unmapped(r) : HTTP_DONE;
	}
	if (!strcmp(u, "/v1/rejected")) {
		r->route = ROUTE_REJECTED;
		return method_is(r, "GET", "GET, HEAD") ? api_list_rejected(r) : HTTP_DONE;
	}
	/* BEGIN routes: web pages */
	if (!strcmp(u, "/track") || !strcmp(u, "/track/")) {
		r->route = ROUTE_TRACK;
		if (!strcmp(r->method, "POST"))
			return web_track_lookup(r);
		return method_is(r, "GET", "GET, HEAD, POST") ? web_track_form(r) : HTTP_DONE;
	}
	if (!strncmp(u, "/track/", 7)) {
		const char *tok = u + 7, *st = suffix(tok, "/stream");
		char token[256];
		size_t n = st ? (size_t)(st - tok) : strlen(tok);

		r->route = st ? ROUTE_TRACK_STREAM : ROUTE_TRACK;
		if (!method_is(r, "GET", "GET, HEAD"))
			return HTTP_DONE;
		if (n >= sizeof(token))
			n = sizeof(token) - 1; /* too long to be a token: fails verification */
		memcpy(token, tok, n);
		token[n] = '\0';
		return st ? web_track_stream(r, token) : web_track_page(r, token);
	}
	if (!strncmp(u, "/static/", 8)) {
		r->route = ROUTE_STATIC;
		return method_is(r, "GET", "GET, HEAD") ? web_static(r, u + 8) : HTTP_DONE;
	}
	if (!strcmp(u, "/dashboard/login") || !strcmp(u, "/dashboard/logout")) {
		r->route = ROUTE_DASHBOARD;
		if (!method_is(r, "POST", "POST"))
			return HTTP_DONE;
		return !strcmp(u, "/dashboard/login") ? web_dashboard_login(r) : web_dashboard_logout(r);
	}
	if (!strcmp(u, "/dashboard") || !strncmp(u, "/dashboard/", 11)) {
		r->route = ROUTE_DASHBOARD;
		return method_is(r, "GET", "GET, HEAD") ? web_dashboard(r, u + 10) : HTTP_DONE;
	}
	if (!strcmp(u, "/v1/track-links")) {
		r->route = ROUTE_TRACK_LINKS;
		return method_is(r, "POST", "POST") ? api_post_track_link(r) : HTTP_DONE;
	}
	if (!strncmp(u, "/v1/raw/", 8)) {
		r->route = ROUTE_RAW;
		return method_is(r, "GET", "GET, HEAD") ? api_get_raw(r, u + 8) : HTTP_DONE;
	}
	/* END routes: web pages */
	/* BEGIN routes: KPIs, agent view, streams */
	if (!strcmp(u, "/v1/kpis")) {
		r->route = ROUTE_KPIS;
		return method_is(r, "GET", "GET, HEAD") ? api_get_kpis(r) : HTTP_DONE;
	}
	if (!strcmp(u, "/v1/search")) {
		r->route = ROUTE_SEARCH;
		return method_is(r, "GET", "GET, HEAD") ? api_search(r) : HTTP_DONE;
	}
	if (!strcmp(u, "/v1/queues") || !strncmp(u, "/v1/queues/", 11)) {
		r->route = ROUTE_QUEUES;
		if (!method_is(r, "GET", "GET, HEAD"))
			return HTTP_DONE;
		return u[10] && u[11] ? api_get_queue(r, u + 11) : api_get_queues(r);
	}
	if (!strcmp(u, "/v1/stream/dashboard")) {
		r->route = ROUTE_STREAM;
		return method_is(r, "GET", "GET, HEAD") ? api_stream_dashboard(r) : HTTP_DONE;
	}
	if (!strncmp(u, "/v1/stream/orders/", 18) && strrchr(u, '/') == u + 17 && u[18]) {
		r->route = ROUTE_STREAM;
		return method_is(r, "GET", "GET, HEAD") ? api_stream_order(r, strrchr(u, '/') + 1) : HTTP_DONE;
	}
	/* END routes: KPIs, agent view, streams */
	/* BEGIN routes: notifications */
	/* delivery: */
	if (!strcmp(u, "/hooks/sms")) {
		r->route = ROUTE_HOOKS;
		return method_is(r, "POST", "POST") ? api_post_sms_hook(r) : HTTP_DONE;
	}
	/* rules: */
	if (!strcmp(u, "/v1/rules") || !strncmp(u, "/v1/rules/", 10)) {
		r->route = ROUTE_RULES;
		return api_rules(r, u[9] ? u + 10 : NULL);
	}
	if (!strcmp(u, "/v1/audit")) {
		r->route = ROUTE_AUDIT;
		return api_audit(r);
	}
	if (!strcmp(u, "/v1/outbox") || !strncmp(u, "/v1/outbox/", 11)) {
		r->route = ROUTE_OUTBOX;
		return api_outbox(r, u[10] ? u + 11 : NULL);
	}
	if (!strcmp(u, "/v1/consent")) {
		r->route = ROUTE_CONSENT;
		return api_post_consent(r);
	}
	/* END routes: notifications */
	if (!strcmp(u, "/healthz")) {
		r->route = ROUTE_HEALTHZ;
		return method_is(r, "GET", "GET, HEAD") ? api_healthz(r) : HTTP_DONE;
	}
	if (!strcmp(u, "/readyz")) {
		r->route = ROUTE_READYZ;
		return method_is(r, "GET", "GET, HEAD") ? api_readyz(r) : HTTP_DONE;
	}
	if (!strcmp(u, "/metrics")) {
		r->route = ROUTE_METRICS;
		return method_is(r, "GET", "GET, HEAD") ? api_metrics(r) : HTTP_DONE;
	}
	http_error(r, 404, "not_found", "no such path; see docs/api.md");
	return HTTP_DONE;
}

static enum MHD_Result too_large(struct http_req *r)
{
	r->route = !strcmp(r->url, "/v1/events") ? ROUTE_EVENTS : ROUTE_OTHER;
	http_error(r, 413, "body_too_large", "the request body is over the limit of %zu bytes",
		   r->srv->cfg.max_body);
	return send_reply(r);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct http_req *r = *con_cls;

	if (!r) {
		const char *cl;
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->srv = s;
		r->conn = conn;
		r->method = method;
		r->url = url;
		buf_init(&r->body, s->cfg.max_body);
		buf_init(&r->out, 0);
		pthread_mutex_init(&r->mu, NULL);
		atomic_fetch_add(&s->active, 1);
		*con_cls = r;
		/* Over the connection limit: answer at once (which also closes
		 * the connection) instead of letting the client hang at accept. */
		if ((unsigned)atomic_load(&s->conns) > s->cfg.conn_limit) {
			r->retry_after = "1";
			http_error(r, 503, "too_many_connections",
				   "the server holds its limit of %u connections; retry shortly",
				   s->cfg.conn_limit);
			return send_reply(r);
		}
		/* A declared length over the limit: the body is read and dropped,
		 * then refused (answering first and closing would make the kernel
		 * reset the connection under the client's feet, losing the 413).
		 * A length far beyond any sane body is refused at once. */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > s->cfg.max_body) {
			r->body_too_large = true;
			if (strtoull(cl, NULL, 10) > DISCARD_MAX)
				return too_large(r);
		}
		return MHD_YES;
	}
	if (r->resumed) {
		r->resumed = false;
		r->suspended = false;
		if (r->resume(r) == HTTP_SUSPENDED)
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
	if (route(r) == HTTP_SUSPENDED)
		return MHD_YES;
	return send_reply(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
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
	struct server *s = cls;
	atomic_fetch_add(&s->conns, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum werr server_start(const struct server_config *cfg, struct server **out, char *errbuf, size_t errcap)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG;
	enum werr err;
	const union MHD_DaemonInfo *info;

	*out = NULL;
	if (!s)
		return WERR_NOMEM;
	s->cfg = *cfg;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, cfg->listen_host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)cfg->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, cfg->listen_host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)cfg->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(errbuf, errcap, "listen address '%s' is not an IP address", cfg->listen_host);
		free(s);
		return WERR_INVALID;
	}
	if (!(s->metrics = metrics_new())) {
		free(s);
		return WERR_NOMEM;
	}
	if (pthread_key_create(&s->reader_key, reader_close)) {
		err = WERR_INTERNAL;
		goto fail;
	}
	s->key_made = true;
	if ((err = server_load_tables(cfg, &s->maps, &s->zones, errbuf, errcap)))
		goto fail;
	if ((err = writer_new(cfg->store_url, &cfg->policy, cfg->queue_max, &s->writer, errbuf, errcap)))
		goto fail;
	{
		/* the outbox worker: its own store handle, secrets from the
		 * environment; started before the commit listener that wakes it */
		struct worker_opts wo = { s->cfg.store_url, &s->cfg.notify, s->zones, s->cfg.notify_templates };
		if (notify_config_env(&s->cfg.notify)) {
			snprintf(errbuf, errcap, "a notification secret in the environment is too long");
			err = WERR_INVALID;
			goto fail;
		}
		if ((err = worker_start(&wo, &s->worker, errbuf, errcap)))
			goto fail;
	}
	if ((err = sse_hub_new(cfg->store_url, cfg->sse_max_streams, s->metrics, &s->sse))) {
		snprintf(errbuf, errcap, "unable to start the live-update hub");
		goto fail;
	}
	writer_set_commit_listener(s->writer, on_commit, s);
	/* notifications: messages are planned in the writer's transaction */
	if ((err = notify_planner_new(&s->cfg, &s->planner, errbuf, errcap)))
		goto fail;
	writer_set_project_hook(s->writer, notify_planner_hook, s->planner);
	views_configure(cfg->kpi_quiet_hours);
	s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_access, s,
				     MHD_OPTION_SOCK_ADDR, sa,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 1),
				     MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				     /* the hard limit leaves room to answer 503 above the soft one */
				     MHD_OPTION_CONNECTION_LIMIT, cfg->conn_limit + 64,
				     MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
				     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				     MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(errbuf, errcap, "unable to listen on %s:%d: %s", cfg->listen_host, cfg->port,
			 strerror(errno));
		err = WERR_IO;
		goto fail;
	}
	if ((err = poller_start(&s->cfg, s->writer, s->maps, s->zones, &s->poller, errbuf, errcap)))
		goto fail;
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	notify_planner_set_port(s->planner, s->port);
	*out = s;
	return WERR_OK;
fail:
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	writer_stop(s->writer); /* its commit listener wakes the worker */
	worker_stop(s->worker);
	writer_free(s->writer);
	notify_planner_free(s->planner); /* after the writer: its hook */
	sse_hub_free(s->sse);
	mappings_free(s->maps);
	zones_free(s->zones);
	if (s->key_made)
		pthread_key_delete(s->reader_key);
	metrics_free(s->metrics);
	free(s);
	return err;
}

void server_stop(struct server *s)
{
	MHD_socket fd;
	int64_t deadline;

	if (!s)
		return;
	/* 1. stop accepting */
	fd = MHD_quiesce_daemon(s->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	/* 2. no more carrier asks; commit what is queued, every waiting
	 * request is resumed */
	poller_stop(s->poller);
	writer_stop(s->writer);
	/* 2b. the outbox worker finishes the message it is sending; what
	 * the last commits planned is sent after the next start */
	worker_stop(s->worker);
	/* 3. end the live streams (libmicrohttpd must not be stopped with a
	 * suspended connection), let the answers go out */
	sse_hub_close(s->sse);
	deadline = mono_ms() + 5000;
	while (atomic_load(&s->active) > 0 && mono_ms() < deadline)
		usleep(10000);
	MHD_stop_daemon(s->daemon);
	sse_hub_free(s->sse);
	writer_free(s->writer);
	notify_planner_free(s->planner); /* after the writer: its hook */
	pthread_key_delete(s->reader_key);
	metrics_free(s->metrics);
	mappings_free(s->maps);
	zones_free(s->zones);
	auth_cache_clear();
	free(s);
}
