/*
 * serve.c - the wiring (contract in serve.h): the modules are made here, in
 * this order, and nowhere else.
 *
 *   start                                     stop (reverse, with care)
 *   1. mapping and zone tables                 1. new requests get 503 (quiesce)
 *   2. writer (opens and migrates the store)   2. poller: no more carrier asks;
 *   3. link signer (secret from the store)        fetcher: abandons its fetch
 *   4. outbox worker (its own store handle)    3. writer: commits what is queued,
 *   5. HTTP server bound (port known), with       resumes every waiting request
 *      the API's and the web's route tables    4. outbox worker: finishes its message
 *   6. exception engine, then planner: project 5. HTTP server: ends the live streams,
 *      hooks of the writer
 *   7. commit listeners: live updates, worker     lets the answers go out, stops
 *   7b. retention purge (its own store handle) 6. the rest is freed
 *   7c. exception sweep (12; it learns the     (2b. the retention purge ends its
 *      lane model before anything is served)      batch, and the exception sweep its
 *   8. serve requests; 9. poller; 10. fetcher     refold, first in serve_free)
 *      (webhook bodies' fetches)
 *
 * A consumer of commits is added here (writer_add_project_hook for work in
 * the batch's transaction, writer_add_commit_listener for work after it);
 * the writer knows only those two interfaces.
 */
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../adapters/mapping.h"
#include "../adapters/zones.h"
#include "../app/auth.h"
#include "../app/counters.h"
#include "../app/links.h"
#include "../app/live.h"
#include "../app/peers.h"
#include "../app/retention.h"
#include "../base/log.h"
#include "../exceptions/engine.h"
#include "../store/backup.h"
#include "../store/store_cache.h"
#include "../store/milestone_times.h"
#include "../notify/worker.h"
#include "../helpdesk/helpdesk.h"
#include "../poll/fetcher.h"
#include "../poll/poller.h"
#include "../base/banned.h"

struct serve {
	const struct config *cfg;
	struct app app;
	struct api api;
	struct web *web;
	struct helpdesk helpdesk;
	struct helpdesk_config tickets; /* cfg's, with the environment's secret */
	struct http_routes tables[3];
	struct link_signer links;
	struct mappings *maps;
	struct zones *zones;
	struct notify_config notify; /* cfg's, with the environment's secrets */
	struct worker *worker;
	struct notify_planner *planner;
	struct app_live *live;
	struct peers *peers;
	struct http_server *http;
	struct poller *poller;
	struct fetcher *fetcher;
	struct retention *retention;
	struct exc_engine engine;
	struct exc_sweep *sweep;
	int lock_fd; /* the serve lock (store/backup.h): no restore while this server runs */
};

static void serve_free(struct serve *s)
{
	/* a purge batch in progress ends before the writer stops */
	retention_stop(s->retention);
	exc_sweep_stop(s->sweep);
	peers_stop(s->peers); /* before the hub stops */
	/* the writer first: its hooks and listeners point at the others */
	writer_stop(s->app.writer);
	worker_stop(s->worker);
	http_server_stop(s->http);
	writer_free(s->app.writer);
	exc_lanes_free(s->engine.lanes);
	notify_planner_free(s->planner);
	app_live_free(s->live);
	web_free(s->web);
	app_counters_free(s->app.counters);
	app_readers_release(&s->app);
	mappings_free(s->maps);
	zones_free(s->zones);
	auth_cache_clear();
	store_cache_stop(); /* every store handle is closed */
	store_lock_release(s->lock_fd); /* last: the store is closed */
	free(s);
}

enum werr serve_start(const struct config *cfg, struct serve **out, char *errbuf, size_t errcap)
{
	struct serve *s = calloc(1, sizeof(*s));
	struct app *a;
	struct http_app happ;
	struct notify_shop shop;
	enum werr err;

	*out = NULL;
	if (errcap)
		errbuf[0] = '\0';
	if (!s)
		return WERR_NOMEM;
	s->cfg = cfg;
	s->lock_fd = -1;
	a = &s->app;
	a->store = &cfg->store;
	a->policy = &cfg->policy;
	a->sources = &cfg->sources;
	a->views = &cfg->views;
	a->returns = &cfg->returns;
	a->links = &s->links;
	if (!(a->counters = app_counters_new()) || app_readers_init(a)) {
		err = WERR_NOMEM;
		goto fail;
	}
	/* 1, 2, 3 */
	if ((err = sources_load_tables(&cfg->sources, &s->maps, &s->zones, errbuf, errcap)))
		goto fail;
	a->maps = s->maps;
	a->zones = s->zones;
	/* before the store is opened: a restore in progress keeps the server from starting */
	if ((err = store_lock_take(cfg->store.url, false, &s->lock_fd, errbuf, errcap)))
		goto fail;
	/* before the first store handle opens (store_cache.h) */
	if ((err = store_cache_start(store_config_cache_bytes(&cfg->store))))
		goto fail;
	if ((err = writer_new(cfg->store.url, &cfg->policy, cfg->store.queue_max, &a->writer, errbuf, errcap)))
		goto fail;
	app_link_signer_init(&s->links, cfg->web.link_secret, cfg->store.url);
	/* 4: secrets from the environment */
	s->notify = cfg->notify;
	if (notify_config_env(&s->notify)) {
		snprintf(errbuf, errcap, "a notification secret in the environment is too long");
		err = WERR_INVALID;
		goto fail;
	}
	{
		struct worker_opts wo = { cfg->store.url, &s->notify, s->zones, cfg->rules.templates };
		if ((err = worker_start(&wo, &s->worker, errbuf, errcap)))
			goto fail;
	}
	/* 5 */
	s->api.app = a;
	s->api.cfg = cfg->api;
	s->api.notify = &s->notify;
	if ((err = web_new(a, &cfg->web, &s->web)))
		goto fail;
	s->tables[0] = api_routes(&s->api);
	s->tables[1] = web_routes(s->web);
	s->tickets = cfg->tickets;
	if (helpdesk_config_env(&s->tickets)) {
		snprintf(errbuf, errcap, "WISMO_TICKETS_WEBHOOK_SECRET is too long");
		err = WERR_INVALID;
		goto fail;
	}
	s->helpdesk = (struct helpdesk){ a, &s->tickets, &cfg->exceptions, s->notify.helpdesk.base_url[0] != '\0' };
	s->tables[2] = helpdesk_routes(&s->helpdesk);
	happ = (struct http_app){ a, app_authorize, s->tables, 3, app_after_handler };
	if ((err = http_server_new(&cfg->http, &happ, &s->http, errbuf, errcap)))
		goto fail;
	a->http = s->http;
	app_link_signer_base(&s->links, cfg->web.public_url, cfg->http.listen_host, http_server_port(s->http));
	/* 6: messages are planned in the writer's transaction */
	config_shop(cfg, &shop);
	{
		struct notify_planner_opts po = { &cfg->rules, &s->notify, &shop,	   &s->links,
						  cfg->store.url, &cfg->exceptions, &cfg->policy.cal,
						  &cfg->policy.milestones };
		if ((err = notify_planner_new(&po, &s->planner, errbuf, errcap)))
			goto fail;
	}
	a->planner = s->planner;
	/* 7: after each commit, live updates then the outbox worker */
	if (!(s->live = app_live_new(cfg->store.url, http_server_hub(s->http)))) {
		err = WERR_NOMEM;
		goto fail;
	}
	sse_hub_set_feed(http_server_hub(s->http), app_live_feed, s->live);
	sse_hub_set_check(http_server_hub(s->http), app_live_check, s->live);
	/* and what the other nodes on the same database commit (none with SQLite) */
	if ((err = peers_start(cfg->store.url, http_server_hub(s->http), &s->peers, errbuf, errcap)))
		goto fail;
	/* the exceptions first: the planner's rules see what they opened */
	s->engine = (struct exc_engine){ &cfg->exceptions, &cfg->policy, exc_lanes_new() };
	a->lanes = s->engine.lanes;
	if ((err = writer_add_project_hook(a->writer, exc_engine_project, &s->engine)) ||
	    (err = writer_add_project_hook(a->writer, notify_planner_hook, s->planner)) ||
	    (err = writer_add_project_hook(a->writer, helpdesk_project, &s->helpdesk)) ||
	    (err = writer_add_project_hook(a->writer, milestone_times_project, NULL)) ||
	    (err = writer_add_commit_listener(a->writer, app_live_committed, s->live)) ||
	    (err = writer_add_commit_listener(a->writer, worker_commit_listener, s->worker)))
		goto fail;
	/* 7b: the raw-payload purge (docs/privacy.md), before anything that
	 * serve_free cannot undo */
	if ((err = retention_start(cfg->store.url, &cfg->retention, &s->retention, errbuf, errcap)))
		goto fail;
	/* 12 (before anything is served): orders whose exceptions may change
	 * though nothing arrives; it learns the lane model first */
	if ((err = exc_sweep_start(&s->engine, cfg->store.url, a->writer, &s->sweep, errbuf, errcap)))
		goto fail;
	/* 8, 9 */
	if ((err = http_server_listen(s->http, errbuf, errcap)))
		goto fail;
	if ((err = poller_start(&cfg->sources, cfg->store.url, a->writer, s->maps, s->zones, &s->poller, errbuf,
				errcap)))
		goto fail;
	/* 10: the fetches webhook bodies call for, off the request threads */
	if ((err = fetcher_start(&cfg->sources, cfg->store.url, a->writer, s->maps, s->zones, &s->fetcher,
				 errbuf, errcap)))
		goto fail;
	*out = s;
	return WERR_OK;
fail:
	if (!errbuf[0])
		snprintf(errbuf, errcap, "unable to start: %s", werr_name(err));
	poller_stop(s->poller); /* started when only the fetcher or the purge failed */
	fetcher_stop(s->fetcher);
	serve_free(s);
	return err;
}

int serve_port(const struct serve *s)
{
	return http_server_port(s->http);
}

const struct link_signer *serve_links(const struct serve *s)
{
	return &s->links;
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	/* 1, 2 */
	http_server_quiesce(s->http);
	poller_stop(s->poller);
	fetcher_stop(s->fetcher);
	/* 2b-6: serve_free's order */
	serve_free(s);
}

int cmd_serve(struct config *cfg)
{
	struct serve *srv;
	char msg[512] = "";
	char port[16];

	cli_block_signals();
	if (serve_start(cfg, &srv, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	snprintf(port, sizeof(port), "%d", serve_port(srv));
	wlog(LOG_INFO, "listening", "host", cfg->http.listen_host, "port", port, NULL);
	cli_wait_signal();
	wlog(LOG_INFO, "stopping", NULL);
	serve_stop(srv);
	wlog(LOG_INFO, "stopped", NULL);
	return 0;
}
