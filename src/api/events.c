/*
 * events.c - POST /v1/events: validate a batch of normalized events, hand
 * the valid ones to the writer, answer after the commit.
 *
 * Every event gets its own outcome (accepted, duplicate, rejected with an
 * error); nothing of a rejected event is stored: when some are rejected, the
 * raw payload kept is the batch of the accepted ones alone.  A batch in which
 * nothing could be accepted is answered 422; a body that is not a batch at
 * all (not JSON, text after the JSON value, not UTF-8, a NUL in a string),
 * 400.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/clock.h"
#include "../adapters/adapter.h"
#include "../base/crypto.h"
#include "../base/media.h"
#include "../core/event_json.h"
#include "api_int.h"
#include "../app/counters.h"
#include "../base/banned.h"

struct item_result {
	enum ev_result outcome;
	size_t slot;             /* index into events[] when valid */
	struct ev_error err;
};

struct ingest {
	size_t n;                /* events in the request */
	struct item_result *res;   /* n */
	size_t nvalid;
	struct event *events;    /* nvalid */
	bool *dup;               /* nvalid */
	char *accepted_raw;      /* the accepted events alone, when some were rejected */
	struct writer_job job;
	struct http_req *req;
};

static void ingest_free(void *p)
{
	struct ingest *in = p;
	if (!in)
		return;
	for (size_t i = 0; i < in->nvalid; i++)
		event_release(&in->events[i]);
	free(in->events);
	free(in->dup);
	free(in->res);
	cJSON_free(in->accepted_raw);
	free(in);
}

static void write_results(struct http_req *r, struct ingest *in)
{
	struct buf *b = &r->out;
	size_t counts[EVR__COUNT] = { 0 };
	const struct ev_error *first_err = NULL;
	struct app_counters *m = api_app(r)->counters;

	for (size_t i = 0; i < in->n; i++) {
		struct item_result *res = &in->res[i];
		if (res->outcome != EVR_REJECTED)
			res->outcome = in->dup[res->slot] ? EVR_DUPLICATE : EVR_ACCEPTED;
		else if (!first_err)
			first_err = &res->err;
		counts[res->outcome]++;
	}
	buf_reset(b);
	buf_putc(b, '{');
	if (!counts[EVR_ACCEPTED] && !counts[EVR_DUPLICATE]) {
		r->status = 422;
		buf_puts(b, "\"error\":{\"code\":");
		buf_json_str(b, first_err->code);
		buf_puts(b, ",\"message\":");
		buf_json_str(b, first_err->message);
		buf_puts(b, "},");
	} else {
		r->status = 200;
	}
	buf_printf(b, "\"accepted\":%zu,\"duplicates\":%zu,\"rejected\":%zu,\"results\":[",
		   counts[EVR_ACCEPTED], counts[EVR_DUPLICATE], counts[EVR_REJECTED]);
	for (size_t i = 0; i < in->n; i++) {
		struct item_result *res = &in->res[i];
		static const char *names[] = { "accepted", "duplicate", "rejected" };
		buf_printf(b, "%s{\"index\":%zu,\"outcome\":\"%s\"", i ? "," : "", i, names[res->outcome]);
		if (res->outcome == EVR_REJECTED) {
			buf_puts(b, ",\"error\":{\"code\":");
			buf_json_str(b, res->err.code);
			buf_puts(b, ",\"message\":");
			buf_json_str(b, res->err.message);
			buf_puts(b, "}}");
		} else {
			buf_printf(b, ",\"key\":\"%s\"}", in->events[res->slot].key);
		}
	}
	buf_puts(b, "]}");

	for (size_t i = 0; i < in->n; i++) {
		struct item_result *res = &in->res[i];
		const char *src = res->outcome == EVR_REJECTED ? "" : in->events[res->slot].source;
		app_count_events(m, src[0] ? src : "unknown", res->outcome, 1);
	}
}

static void job_done(struct writer_job *job)
{
	struct ingest *in = job->ctx;
	http_resume(in->req);
}

static enum http_result after_commit(struct http_req *r)
{
	struct ingest *in = r->handler_state;

	if (in->job.result) {
		http_werr(r, werr_write_result(in->job.result),
			  "the events could not be stored; nothing was kept, retry the request");
		return HTTP_DONE;
	}
	write_results(r, in);
	return HTTP_DONE;
}

enum http_result api_post_events(struct http_req *r)
{
	const struct api_config *cfg = &api_of(r)->cfg;
	const char *ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	const struct policy *pol = api_app(r)->policy;
	cJSON *root = NULL, *kept = NULL, *kept_arr = NULL;
	const cJSON *arr, *it;
	struct ingest *in;
	size_t i = 0;
	int64_t now = clock_wall_ms();
	enum werr err;

	if (ct && !media_type_is(ct, "application/json")) {
		http_fail(r, HE_UNSUPPORTED_MEDIA_TYPE, "send the batch as application/json");
		return HTTP_DONE;
	}
	if (!(root = app_json_body(r, cfg->max_depth)))
		return HTTP_DONE;
	arr = cJSON_GetObjectItemCaseSensitive(root, "events");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(arr)) {
		http_fail(r, HE_INVALID_BODY, "the body must be an object with an 'events' array");
		goto out;
	}
	size_t n = (size_t)cJSON_GetArraySize(arr);
	if (n == 0) {
		http_fail(r, HE_INVALID_BODY, "'events' must not be empty");
		goto out;
	}
	if (n > (size_t)cfg->max_batch) {
		http_fail(r, HE_TOO_MANY_EVENTS, "at most %d events per request", cfg->max_batch);
		goto out;
	}
	in = calloc(1, sizeof(*in));
	if (!in || !(in->res = calloc(n, sizeof(*in->res))) ||
	    !(in->events = calloc(n, sizeof(*in->events))) || !(in->dup = calloc(n, sizeof(*in->dup)))) {
		ingest_free(in);
		http_werr(r, WERR_NOMEM, NULL);
		goto out;
	}
	r->handler_state = in;
	r->handler_free = ingest_free;
	in->n = n;
	in->req = r;
	cJSON_ArrayForEach(it, arr) {
		struct item_result *res = &in->res[i++];
		struct event *ev = &in->events[in->nvalid];

		event_init(ev);
		err = event_from_json(it, false, ev, &res->err);
		if (err == WERR_NOMEM) {
			http_werr(r, err, NULL);
			goto out;
		}
		if (!err && ev->status == EV_MILESTONE && ms_find(&pol->milestones, ev->milestone) < 0) {
			/* a word neither the language nor the shop's configuration has */
			res->err.code = "unknown_status";
			snprintf(res->err.message, sizeof(res->err.message),
				 "'%s' is neither a word of the shared status language (docs/status.md) nor a "
				 "configured milestone (docs/milestones.md)",
				 ev->milestone);
			event_release(ev);
			err = WERR_INVALID;
		}
		/* the fold would hold it (rule 8); refused here, with a clear answer */
		ev->received_at = now;
		if (!err && event_too_far_ahead(pol, ev)) {
			res->err.code = "future_time";
			snprintf(res->err.message, sizeof(res->err.message),
				 "'occurred_at' is more than %lld hours ahead of now",
				 (long long)(pol->future_skew_ms / 3600000));
			event_release(ev);
			err = WERR_INVALID;
		}
		if (!err && app_key(r)->role == ROLE_INGEST && app_key(r)->source[0] &&
		    strcmp(app_key(r)->source, ev->source)) {
			res->err.code = "source_not_allowed";
			snprintf(res->err.message, sizeof(res->err.message),
				 "this key may only send events from source '%s'", app_key(r)->source);
			event_release(ev);
			err = WERR_FORBIDDEN;
		}
		if (err) {
			res->outcome = EVR_REJECTED;
			continue;
		}
		adapter_event_key(api_app(r)->maps, ev);
		res->slot = in->nvalid++;
	}
	if (in->nvalid && in->nvalid < n) {
		/* defect 12.4: the raw payload keeps the accepted events only
		 * (copied only then: most batches have no rejection) */
		i = 0;
		if ((kept = cJSON_CreateObject()))
			kept_arr = cJSON_AddArrayToObject(kept, "events");
		cJSON_ArrayForEach(it, arr)
			if (kept_arr && in->res[i++].outcome != EVR_REJECTED)
				cJSON_AddItemToArray(kept_arr, cJSON_Duplicate(it, true));
		if (!kept_arr || !(in->accepted_raw = cJSON_PrintUnformatted(kept))) {
			http_werr(r, WERR_NOMEM, NULL);
			goto out;
		}
	}
	cJSON_Delete(kept); /* before any way out below: the suspended path returns early */
	kept = NULL;
	if (!in->nvalid) {
		write_results(r, in);
		goto out;
	}
	in->job.source = app_key(r)->source[0] ? app_key(r)->source : in->events[0].source;
	in->job.content_type = ct ? ct : "application/json";
	in->job.raw = in->accepted_raw ? in->accepted_raw : r->body.p;
	in->job.rawlen = in->accepted_raw ? strlen(in->accepted_raw) : r->body.len;
	in->job.events = in->events;
	in->job.nevents = in->nvalid;
	in->job.duplicate = in->dup;
	in->job.received_at = now;
	in->job.done = job_done;
	in->job.ctx = in;
	r->resume = after_commit;
	pthread_mutex_lock(&r->mu);
	err = writer_submit(api_app(r)->writer, &in->job);
	if (!err)
		http_suspend(r);
	pthread_mutex_unlock(&r->mu);
	cJSON_Delete(root);
	if (err) {
		http_werr(r, err, err == WERR_BUSY ? "the writer queue is full; retry after a second"
						   : "the server is stopping; retry on another instance");
		return HTTP_DONE;
	}
	return HTTP_SUSPENDED;
out:
	cJSON_Delete(kept);
	cJSON_Delete(root);
	return HTTP_DONE;
}
