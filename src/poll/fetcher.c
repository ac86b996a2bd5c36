/*
 * fetcher.c - the webhook fetcher (see fetcher.h for the contract and the
 * schedule).
 *
 * A job is re-read from its stored body: the adapter parses it again with
 * env.fetch pointing at fetch_page(), which turns resource_url into a URL on
 * the source's configured api_base (so a body cannot make wismo ask any
 * other host) and GETs it with the source's credentials.  Every page
 * fetched is kept, and the pages are stored as the events' raw payload
 * (one page as application/json, several as application/x-ndjson, one page
 * a line), so a later mapping fix can replay them without asking again.
 */
#include "fetcher.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../adapters/adapter.h"
#include "../base/clock.h"
#include "../base/walloc.h"
#include "../base/log.h"
#include "poll_http.h"
#include "../base/text.h"
#include "poller.h"
#include "../base/banned.h"

#define TICK_MS 500
#define DUE_MAX 16
#define PAGE_MAX (8u << 20)

struct bucket {
	double tokens;
	int64_t last;              /* when tokens were last added */
};

struct fetcher {
	struct sources_config sources; /* a copy: the sources outlive the caller's */
	struct bucket buckets[SOURCES_MAX];
	struct writer *w;
	const struct mappings *maps;
	const struct zones *zones;
	struct store *st;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stopping;
	atomic_bool cancel;        /* set with stopping: abandons a transfer */
};

/* One job's fetches. */
struct fetch_ctx {
	struct fetcher *f;
	const struct source_cfg *sc;
	struct buf pages;          /* every page fetched, one a line */
	int npages;
};

int64_t fetcher_retry_ms(int failures)
{
	if (failures >= FETCHER_ATTEMPTS)
		return 0;
	return poll_interval_ms(PKG_UNKNOWN, failures < 1 ? 1 : failures);
}

/* The adapter's env.fetch: GET the path and query of url on api_base. */
static enum werr fetch_page(void *ctx, const char *url, struct buf *out, char *why, size_t whycap)
{
	struct fetch_ctx *fc = ctx;
	const struct source_cfg *sc = fc->sc;
	struct poll_response resp = POLL_RESPONSE_INIT;
	char full[2048], auth[600];
	const char *path = url;
	long status;
	enum text_fault tf;
	size_t at = 0;
	enum werr err = WERR_OK;

	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8)) {
		path = strchr(strstr(path, "//") + 2, '/');
		if (!path)
			path = "/";
	}
	if (path[0] != '/' || snprintf(full, sizeof(full), "%s%s", sc->api_base, path) >= (int)sizeof(full)) {
		snprintf(why, whycap, "resource_url is not a URL path");
		return WERR_INVALID;
	}
	snprintf(auth, sizeof(auth), "%s:%s", sc->api_key, sc->api_secret);
	resp.max = PAGE_MAX;
	status = poll_http_call("GET", full, NULL, NULL, auth, &resp, &fc->f->cancel);
	if (resp.too_big) {
		snprintf(why, whycap, "the resource is larger than %u bytes", PAGE_MAX);
		err = WERR_TOO_LARGE;
	} else if (status != 200) {
		snprintf(why, whycap, status ? "the API answered HTTP %ld" : "the API could not be reached (%ld)",
			 status);
		err = WERR_IO;
	} else if ((tf = text_check(resp.body.p, resp.body.len, true, &at))) {
		/* a fetched page is a body like any other (issue 12, defects 2, 3) */
		snprintf(why, whycap, "the resource %s (byte %zu)", text_fault_name(tf), at);
		err = WERR_INVALID;
	} else if ((fc->npages && buf_putc(&fc->pages, '\n')) ||
		   buf_append(&fc->pages, resp.body.p, resp.body.len) || buf_append(out, resp.body.p, resp.body.len)) {
		snprintf(why, whycap, "the resource's pages are too large together");
		err = WERR_TOO_LARGE;
	} else {
		fc->npages++;
	}
	buf_release(&resp.body);
	return err;
}

/* The same rule as the webhook route: what the writer relies on. */
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

/* Takes a token of the source's budget; false when it has none now. */
static bool take_token(struct fetcher *f, const struct source_cfg *sc, int64_t now)
{
	struct bucket *b = &f->buckets[sc - f->sources.sources];
	int rate = sc->rate_per_minute > 0 ? sc->rate_per_minute : FETCHER_RATE_DEFAULT;
	double burst = rate / 10.0 > 1 ? rate / 10.0 : 1;

	if (!b->last)
		b->tokens = burst;
	else
		b->tokens += (double)(now - b->last) * rate / 60000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last = now;
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

/* Stores the job's body as rejected with the reason, then ends the job. */
static void give_up(struct fetcher *f, const struct fetch_row *row, const char *ctype, const struct buf *body,
		    const char *reason)
{
	struct writer_job job = { 0 };
	enum werr err;

	wlog(LOG_WARN, "fetch_given_up", "source", row->source, "reason", reason, NULL);
	job.source = row->source;
	job.content_type = ctype[0] ? ctype : "application/octet-stream";
	job.raw = body->p;
	job.rawlen = body->len;
	job.reject_reason = reason;
	job.received_at = clock_wall_ms();
	if ((err = writer_submit_wait(f->w, &job)) ||
	    (err = store_fetch_finish(f->st, row->id, true, reason, clock_wall_ms())))
		wlog(LOG_WARN, "fetch_job_not_finished", "source", row->source, "error", werr_name(err), NULL);
}

/* Hands a job's events to the writer; WERR_OK once they are committed. */
static enum werr commit_events(struct fetcher *f, const struct fetch_row *row, struct fetch_ctx *fc,
			       struct adapter_out *out)
{
	struct writer_job job = { 0 };
	struct store_alias *aliases = wcalloc(out->naliases ? out->naliases : 1, sizeof(*aliases));
	bool *dup = wcalloc(out->nevents ? out->nevents : 1, sizeof(*dup));
	bool *parked = wcalloc(out->nevents ? out->nevents : 1, sizeof(*parked));
	enum werr err;

	for (size_t i = 0; i < out->naliases; i++) {
		memcpy(aliases[i].ref, out->aliases[i].ref, sizeof(aliases[i].ref));
		memcpy(aliases[i].order, out->aliases[i].order, sizeof(aliases[i].order));
		memcpy(aliases[i].package, out->aliases[i].package, sizeof(aliases[i].package));
		memcpy(aliases[i].carrier, out->aliases[i].carrier, sizeof(aliases[i].carrier));
	}
	for (size_t i = 0; i < out->nevents; i++)
		adapter_event_key(f->maps, &out->events[i]);
	job.source = row->source;
	job.content_type = fc->npages > 1 ? "application/x-ndjson" : "application/json";
	job.raw = fc->npages ? fc->pages.p : NULL;
	job.rawlen = fc->pages.len;
	job.events = out->events;
	job.nevents = out->nevents;
	job.aliases = aliases;
	job.naliases = out->naliases;
	job.duplicate = dup;
	job.parked = parked;
	job.received_at = clock_wall_ms();
	err = writer_submit_wait(f->w, &job);
	free(aliases);
	free(dup);
	free(parked);
	return err;
}

/* One job: false when the fetcher should stop taking jobs this tick. */
static bool run_job(struct fetcher *f, const struct fetch_row *row, int64_t now)
{
	const struct source_cfg *sc = sources_find(&f->sources, row->source);
	const struct adapter *ad = sc ? adapter_lookup(f->maps, sc->adapter[0] ? sc->adapter : sc->name) : NULL;
	struct fetch_ctx fc = { f, sc, BUF_INIT, 0 };
	struct buf body = BUF_INIT;
	struct adapter_out out = { 0 };
	char ctype[128] = "", reason[300];
	enum werr err;
	bool more = true;

	if (sc && !take_token(f, sc, now))
		return true; /* stays due: asked on a later tick */
	if ((err = store_raw_get(f->st, row->raw_id, ctype, &body))) {
		if (err == WERR_NOT_FOUND)
			give_up(f, row, ctype, &body, "the webhook's stored body is gone");
		goto out;
	}
	if (!ad || !ad->parse || !sc->api_base[0]) {
		give_up(f, row, ctype, &body, "the source is no longer configured with an api_base to fetch from");
		goto out;
	}
	{
		struct hook_request rq = { body.p, body.len, ctype, NULL, NULL };
		struct adapter_env env = { row->source, f->maps, f->zones, now, fetch_page, &fc, NULL, NULL };
		err = adapter_parse(ad, &env, &rq, &out);
	}
	for (size_t i = 0; !err && i < out.nevents; i++) {
		const char *bad = event_problem(&out.events[i]);
		if (bad)
			err = adapter_fail(&out, "the adapter produced %s (index %zu)", bad, i);
	}
	if (err == WERR_IO) {
		int failures = row->attempts + 1;
		int64_t delay = fetcher_retry_ms(failures);
		char n[16];

		snprintf(n, sizeof(n), "%d", failures);
		wlog(LOG_WARN, "fetch_failed", "source", row->source, "attempt", n, "reason", out.reason, NULL);
		writer_note_failure(f->w, row->source, "fetch"); /* KPIs (docs/kpis.md) */
		if (!delay) {
			snprintf(reason, sizeof(reason), "gave up after %d failed fetches: %s", failures, out.reason);
			give_up(f, row, ctype, &body, reason);
		} else if ((err = store_fetch_retry(f->st, row->id, failures, now + delay, out.reason))) {
			wlog(LOG_WARN, "fetch_job_not_rescheduled", "source", row->source, "error", werr_name(err),
			     NULL);
		}
		goto out;
	}
	if (err) {
		snprintf(reason, sizeof(reason), "%s", out.reason[0] ? out.reason : werr_name(err));
		give_up(f, row, ctype, &body, reason);
		goto out;
	}
	err = commit_events(f, row, &fc, &out);
	if (!err)
		err = store_fetch_finish(f->st, row->id, false, NULL, clock_wall_ms());
	if (err) {
		/* the writer is busy, stopping or failing: the job stays due */
		wlog(LOG_WARN, "fetched_events_not_stored", "source", row->source, "error", werr_name(err), NULL);
		more = false;
	}
out:
	adapter_out_free(&out);
	buf_release(&body);
	buf_release(&fc.pages);
	return more;
}

static void *fetcher_main(void *arg)
{
	struct fetcher *f = arg;

	pthread_mutex_lock(&f->mu);
	while (!f->stopping) {
		struct fetch_row *rows = NULL;
		struct timespec until;
		size_t n = 0;

		pthread_mutex_unlock(&f->mu);
		int64_t now = clock_wall_ms();
		if (!store_fetch_due(f->st, now, DUE_MAX, &rows, &n))
			for (size_t i = 0; i < n && !atomic_load(&f->cancel); i++)
				if (!run_job(f, &rows[i], now))
					break;
		free(rows);
		pthread_mutex_lock(&f->mu);
		until = clock_deadline(CLOCK_REALTIME, TICK_MS);
		if (!f->stopping)
			pthread_cond_timedwait(&f->cond, &f->mu, &until);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

enum werr fetcher_start(const struct sources_config *sources, const char *store_url, struct writer *w,
			const struct mappings *maps, const struct zones *zones, struct fetcher **out, char *errbuf,
			size_t errcap)
{
	struct fetcher *f = wcalloc(1, sizeof(*f));
	enum werr err;

	*out = NULL;
	f->sources = *sources;
	f->w = w;
	f->maps = maps;
	f->zones = zones;
	atomic_init(&f->cancel, false);
	if ((err = store_open(store_url, 0, &f->st, errbuf, errcap))) {
		free(f);
		return err;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cond, NULL);
	if (pthread_create(&f->thread, NULL, fetcher_main, f)) {
		store_close(f->st);
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cond);
		free(f);
		return WERR_INTERNAL;
	}
	*out = f;
	return WERR_OK;
}

void fetcher_stop(struct fetcher *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stopping = true;
	atomic_store(&f->cancel, true);
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	store_close(f->st);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cond);
	free(f);
}
