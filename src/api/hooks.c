/*
 * hooks.c - POST /hooks/{source}: a source's own webhook, verified with its
 * signature scheme, turned into events by its adapter (src/adapters/), and
 * handed to the writer like POST /v1/events.
 *
 *   unknown source or one that is polled  -> 404
 *   no secret configured, bad signature   -> 401, nothing stored, counted
 *   body the adapter cannot read          -> 422, body + reason kept in the
 *                                            rejected list (GET /v1/rejected)
 *   fetch (ShipStation) or storage failed -> 502 / 503 / 500: the source retries
 *   otherwise                             -> 200 after the commit, with counts
 *
 * Events that do not name their order yet are parked by the writer and
 * reported as such; a repeated delivery yields the same event ids, so its
 * events come back as duplicates.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/clock.h"
#include "../adapters/adapter.h"
#include "api_int.h"
#include "../app/counters.h"
#include "../base/log.h"
#include "../base/banned.h"

#define FETCH_MAX (8u << 20)
#define FETCH_TIMEOUT_S 15

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

struct fetch_buf {
	struct buf *out;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct fetch_buf *f = ctx;

	if (f->out->len + size * n > FETCH_MAX || buf_append(f->out, p, size * n)) {
		f->too_big = true;
		return 0;
	}
	return size * n;
}

/*
 * GET a source's resource URL.  The host always comes from the configured
 * api_base (only the path and query of url are used), so a body cannot make
 * wismo fetch from anywhere else; the credentials are sent as basic auth.
 */
static enum werr fetch(void *ctx, const char *url, struct buf *out, char *why, size_t whycap)
{
	const struct source_cfg *sc = ctx;
	struct fetch_buf fb = { out, false };
	char full[2048], auth[600];
	const char *path = url;
	CURL *c;
	CURLcode rc;
	long status = 0;

	if (!sc || !sc->api_base[0]) {
		snprintf(why, whycap, "no api_base is configured for this source");
		return WERR_IO;
	}
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8)) {
		path = strchr(strstr(path, "//") + 2, '/');
		if (!path)
			path = "/";
	}
	if (path[0] != '/' || snprintf(full, sizeof(full), "%s%s", sc->api_base, path) >= (int)sizeof(full)) {
		snprintf(why, whycap, "resource_url is not a URL path");
		return WERR_INVALID;
	}
	if (!(c = curl_easy_init()))
		return WERR_NOMEM;
	snprintf(auth, sizeof(auth), "%s:%s", sc->api_key, sc->api_secret);
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERPWD, auth);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &fb);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (fb.too_big) {
		snprintf(why, whycap, "the resource is larger than %u bytes", FETCH_MAX);
		return WERR_TOO_LARGE;
	}
	if (rc != CURLE_OK || status != 200) {
		snprintf(why, whycap, "fetching the resource failed: %s (HTTP %ld)",
			 rc != CURLE_OK ? curl_easy_strerror(rc) : "unexpected status", status);
		return WERR_IO;
	}
	return WERR_OK;
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
		http_werr(r, h->job.result == WERR_BUSY ? WERR_BUSY : WERR_DB,
			  "the delivery could not be stored; nothing was kept, retry it");
		return HTTP_DONE;
	}
	if (h->job.reject_reason) {
		app_count_hook(m, h->source, HOOK_REJECTED);
		http_fail(r, HE_UNREADABLE_PAYLOAD, "%s", h->reason);
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
	const struct adapter *ad = adapter_find(sc && sc->adapter[0] ? sc->adapter : source);
	struct app_counters *m = api_app(r)->counters;
	struct hook_request rq = { r->body.p, r->body.len, http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE),
				   hook_header, r };
	struct adapter_env env = { 0 };
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
	env.now_ms = clock_wall_ms();
	env.fetch = fetch;
	env.fctx = (void *)sc;
	err = ad->parse(&env, &rq, &h->out);
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
		/* WERR_IO from an adapter is a fetch that failed (adapter.h) */
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
		adapter_event_key(&h->out.events[i]);
	h->job.events = h->out.events;
	h->job.nevents = n;
	h->job.aliases = h->aliases;
	h->job.naliases = h->out.naliases;
	h->job.duplicate = h->dup;
	h->job.parked = h->parked;
	return submit(r, h);
}
