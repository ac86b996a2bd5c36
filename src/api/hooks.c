/*
 * hooks.c - POST /hooks/{source}: a source's own webhook, verified with its
 * signature scheme, turned into events by its adapter (src/adapters/), and
 * handed to the writer like POST /v1/events.
 *
 *   unknown source or one that is polled  -> 404
 *   no secret configured, bad signature   -> 401, nothing stored, counted
 *   body the adapter cannot read          -> 422, body + reason kept in the
 *                                            rejected list (GET /v1/rejected)
 *   body that calls for a fetch           -> 200 once the body and its fetch
 *     (ShipStation's resource_url)           job are committed; the fetch is
 *                                            made by the background fetcher
 *                                            (src/poll/fetcher.h), never here
 *   a fetch with no API access configured -> 502: the source retries
 *   storage failed                        -> 503 / 500: the source retries
 *   otherwise                             -> 200 after the commit, with counts
 *
 * Events that do not name their order yet are parked by the writer and
 * reported as such; a repeated delivery yields the same event ids, so its
 * events come back as duplicates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../adapters/adapter.h"
#include "api_int.h"
#include "../app/counters.h"
#include "../base/log.h"
#include "../base/banned.h"

struct hook {
	char source[EV_SOURCE_MAX + 1];
	struct adapter_out out;
	struct store_alias *aliases;
	bool *dup;
	bool *parked;
	char reason[256];
	struct writer_job job;
	struct http_req *req;
};

static void hook_free(void *p)
{
	struct hook *h = p;

	if (!h)
		return;
	adapter_out_free(&h->out);
	free(h->aliases);
	free(h->dup);
	free(h->parked);
	free(h);
}

static const char *hook_header(const void *ctx, const char *name)
{
	struct http_req *r = (struct http_req *)ctx;

	/* ShipStation and Shippo cannot send headers of ours: a secret may
	 * come as ?token= in the URL configured there instead. */
	if (!strcasecmp(name, "X-Wismo-Query-Token"))
		return http_query(r, "token");
	return http_header(r, name);
}

/*
 * The adapter's env.fetch on a request thread: it never fetches.  It notes
 * that the body calls for a fetch (which the route then stores as a fetch
 * job) and stops the parse, after refusing a resource_url that is not a URL
 * path, so that such a body is a 422 now rather than a failure later.
 */
struct defer {
	bool asked;
};

static enum werr defer_fetch(void *ctx, const char *url, struct buf *out, char *why, size_t whycap)
{
	struct defer *d = ctx;
	const char *path = url;

	(void)out;
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8)) {
		path = strchr(strstr(path, "//") + 2, '/');
		if (!path)
			path = "/";
	}
	if (path[0] != '/') {
		snprintf(why, whycap, "resource_url is not a URL path");
		return WERR_INVALID;
	}
	d->asked = true;
	snprintf(why, whycap, "the fetch is made in the background");
	return WERR_IO;
}

static void job_done(struct writer_job *job)
{
	struct hook *h = job->ctx;
	http_resume(h->req);
}

static enum http_result after_commit(struct http_req *r)
{
	struct hook *h = r->handler_state;
	struct app_counters *m = api_app(r)->counters;
	size_t acc = 0, dups = 0, parked = 0;
	struct buf *b = &r->out;

	if (h->job.result) {
		app_count_hook(m, h->source, HOOK_FAILED);
		http_werr(r, werr_write_result(h->job.result),
			  "the delivery could not be stored; nothing was kept, retry it");
		return HTTP_DONE;
	}
	if (h->job.reject_reason) {
		app_count_hook(m, h->source, HOOK_REJECTED);
		http_fail(r, HE_UNREADABLE_PAYLOAD, "%s", h->reason);
		return HTTP_DONE;
	}
	if (h->job.fetch_later) {
		/* accepted for processing: the events follow the fetch */
		app_count_hook(m, h->source, HOOK_ACCEPTED);
		r->status = 200;
		buf_reset(b);
		buf_printf(b, "{\"source\":");
		buf_json_str(b, h->source);
		buf_puts(b, ",\"fetch\":\"queued\",\"accepted\":0,\"duplicates\":0,\"parked\":0,\"events\":[]}");
		return HTTP_DONE;
	}
	for (size_t i = 0; i < h->out.nevents; i++) {
		if (h->dup[i])
			dups++;
		else if (h->parked[i])
			parked++;
		else
			acc++;
	}
	app_count_hook(m, h->source, HOOK_ACCEPTED);
	app_count_events(m, h->source, EVR_ACCEPTED, acc);
	app_count_events(m, h->source, EVR_DUPLICATE, dups);
	app_count_events(m, h->source, EVR_PARKED, parked);
	r->status = 200;
	buf_reset(b);
	buf_printf(b, "{\"source\":");
	buf_json_str(b, h->source);
	buf_printf(b, ",\"accepted\":%zu,\"duplicates\":%zu,\"parked\":%zu,\"events\":[", acc, dups, parked);
	for (size_t i = 0; i < h->out.nevents; i++) {
		const struct event *ev = &h->out.events[i];
		buf_printf(b, "%s{\"key\":\"%s\",\"outcome\":\"%s\",\"status\":\"%s\"", i ? "," : "", ev->key,
			   h->dup[i] ? "duplicate" : h->parked[i] ? "parked" : "accepted",
			   ev_status_name(ev->status));
		if (ev->order[0]) {
			buf_puts(b, ",\"order\":");
			buf_json_str(b, ev->order);
		}
		buf_putc(b, '}');
	}
	buf_puts(b, "]}");
	return HTTP_DONE;
}

/* Hands the job to the writer; the answer is built after the commit. */
static enum http_result submit(struct http_req *r, struct hook *h)
{
	enum werr err;

	h->job.done = job_done;
	h->job.ctx = h;
	h->job.received_at = clock_wall_ms();
	r->resume = after_commit;
	pthread_mutex_lock(&r->mu);
	err = writer_submit(api_app(r)->writer, &h->job);
	if (!err)
		http_suspend(r);
	pthread_mutex_unlock(&r->mu);
	if (err) {
		app_count_hook(api_app(r)->counters, h->source, HOOK_FAILED);
		http_werr(r, err, err == WERR_BUSY ? "the writer queue is full; retry after a second"
						   : "the server is stopping; retry on another instance");
		return HTTP_DONE;
	}
	return HTTP_SUSPENDED;
}

/* An adapter's event must carry what the writer relies on. */
static const char *event_problem(const struct event *ev)
{
	if (!ev->id[0])
		return "an event without an id";
	if (ev->occurred_at <= 0)
		return "an event without a time";
	if (!ev->order[0] && !ev->ref[0] && !ev->package[0])
		return "an event that names neither order, package nor reference";
	return NULL;
}

enum http_result api_post_hook(struct http_req *r)
{
	const char *source = r->param;
	const struct source_cfg *sc = sources_find(api_app(r)->sources, source);
	const struct adapter *ad = adapter_lookup(api_app(r)->maps, sc && sc->adapter[0] ? sc->adapter : source);
	struct app_counters *m = api_app(r)->counters;
	struct hook_request rq = { r->body.p, r->body.len, http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE),
				   hook_header, r };
	struct adapter_env env = { 0 };
	struct defer defer = { false };
	char why[256] = "";
	struct hook *h;
	enum werr err;

	if (!ad || strlen(source) > EV_SOURCE_MAX) {
		http_fail(r, HE_UNKNOWN_SOURCE, "no source '%s' takes webhooks here (docs/adapters.md)", source);
		return HTTP_DONE;
	}
	if (!ad->verify) {
		http_fail(r, HE_UNKNOWN_SOURCE, "source '%s' is polled, it does not send webhooks", source);
		return HTTP_DONE;
	}
	if (!sc || !sc->secret[0]) {
		app_count_hook(m, source, HOOK_UNAUTHORIZED);
		writer_note_failure(api_app(r)->writer, source, "signature"); /* KPIs (docs/kpis.md) */
		wlog(LOG_WARN, "hook_unauthorized", "source", source, "reason", "no secret configured", NULL);
		http_fail(r, HE_UNAUTHORIZED, "no secret is configured for source '%s'", source);
		return HTTP_DONE;
	}
	if ((err = ad->verify(&rq, sc->secret, clock_wall_ms(), why, sizeof(why)))) {
		app_count_hook(m, source, HOOK_UNAUTHORIZED);
		writer_note_failure(api_app(r)->writer, source, "signature"); /* KPIs (docs/kpis.md) */
		wlog(LOG_WARN, "hook_unauthorized", "source", source, "reason", why, NULL);
		http_fail(r, HE_INVALID_SIGNATURE, "%s", why[0] ? why : "signature mismatch");
		return HTTP_DONE;
	}
	if (!(h = calloc(1, sizeof(*h)))) {
		http_werr(r, WERR_NOMEM, NULL);
		return HTTP_DONE;
	}
	r->handler_state = h;
	r->handler_free = hook_free;
	h->req = r;
	memcpy(h->source, source, strlen(source) + 1);
	env.source = h->source;
	env.maps = api_app(r)->maps;
	env.zones = api_app(r)->zones;
	env.milestones = &api_app(r)->policy->milestones;
	env.now_ms = clock_wall_ms();
	/* no API access configured: the adapter says so (502 below) */
	env.fetch = sc->api_base[0] ? defer_fetch : NULL;
	env.fctx = &defer;
	err = adapter_parse(ad, &env, &rq, &h->out);
	if (!err && h->out.privacy.action[0]) /* erasure or data request: no events, no raw body kept */
		return api_privacy_hook(r, h->source, &h->out.privacy);
	for (size_t i = 0; !err && i < h->out.nevents; i++) {
		const char *bad = event_problem(&h->out.events[i]);
		if (bad)
			err = adapter_fail(&h->out, "the adapter produced %s (index %zu)", bad, i);
	}
	h->job.source = h->source;
	h->job.content_type = rq.content_type ? rq.content_type : "application/octet-stream";
	h->job.raw = r->body.p;
	h->job.rawlen = r->body.len;
	if (err == WERR_IO && defer.asked) {
		adapter_out_free(&h->out);
		h->job.fetch_later = true;
		return submit(r, h);
	}
	if (err == WERR_INVALID || err == WERR_TOO_LARGE) {
		/* keep the body and the reason for the dashboard, then 422 */
		snprintf(h->reason, sizeof(h->reason), "%s",
			 h->out.reason[0] ? h->out.reason : "the body cannot be read");
		adapter_out_free(&h->out);
		h->job.reject_reason = h->reason;
		return submit(r, h);
	}
	if (err) {
		app_count_hook(m, source, HOOK_FAILED);
		/* WERR_IO without a deferred fetch: no API access is
		 * configured for a body that needs one (adapter.h) */
		if (err == WERR_IO)
			writer_note_failure(api_app(r)->writer, source, "fetch"); /* KPIs */
		if (err == WERR_IO)
			http_fail(r, HE_FETCH_FAILED, "%s", h->out.reason[0] ? h->out.reason : werr_name(err));
		else
			http_werr(r, err, h->out.reason[0] ? h->out.reason : NULL);
		return HTTP_DONE;
	}
	size_t n = h->out.nevents;
	h->dup = calloc(n ? n : 1, sizeof(*h->dup));
	h->parked = calloc(n ? n : 1, sizeof(*h->parked));
	h->aliases = calloc(h->out.naliases ? h->out.naliases : 1, sizeof(*h->aliases));
	if (!h->dup || !h->parked || !h->aliases) {
		http_werr(r, WERR_NOMEM, NULL);
		return HTTP_DONE;
	}
	for (size_t i = 0; i < h->out.naliases; i++) {
		const struct adapter_alias *a = &h->out.aliases[i];
		struct store_alias *s = &h->aliases[i];
		memcpy(s->ref, a->ref, sizeof(s->ref));
		memcpy(s->order, a->order, sizeof(s->order));
		memcpy(s->package, a->package, sizeof(s->package));
		memcpy(s->carrier, a->carrier, sizeof(s->carrier));
	}
	for (size_t i = 0; i < n; i++)
		adapter_event_key(api_app(r)->maps, &h->out.events[i]);
	h->job.events = h->out.events;
	h->job.nevents = n;
	h->job.aliases = h->aliases;
	h->job.naliases = h->out.naliases;
	h->job.duplicate = h->dup;
	h->job.parked = h->parked;
	return submit(r, h);
}
