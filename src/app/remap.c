/*
 * remap.c - reading unknown codes' raw payloads again with today's tables
 * (contract in remap.h).
 */
#include "remap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../adapters/adapter.h"
#include "../adapters/sources.h"
#include "../base/buf.h"
#include "../base/walloc.h"
#include "../store/store.h"
#include "../store/writer.h"
#include "../base/banned.h"

/* The payload's events as its adapter reads them today: one body, or one
 * body per line of a fetched payload (pages kept as JSON lines). */
static bool read_again(const struct adapter *ad, const struct adapter_env *env, const char *ctype, const struct buf *body,
		       struct adapter_out *out)
{
	struct hook_request rq = { body->p, body->len, ctype[0] ? ctype : NULL, NULL, NULL };

	if (strcmp(ctype, "application/x-ndjson"))
		return adapter_parse(ad, env, &rq, out) == WERR_OK;
	for (const char *p = body->p, *end = body->p + body->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct hook_request line = { p, n, "application/json", NULL, NULL };
		if (n && adapter_parse(ad, env, &line, out) != WERR_OK)
			return false;
		p += n + (nl ? 1 : 0);
	}
	return true;
}

/* Whether every unknown event of code in old[0..n) got a status. */
static bool code_done(const struct event *old, const bool *fixed, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(old[i].code, code) && !fixed[i])
			return false;
	return true;
}

static enum werr remap_body(struct store *st, struct writer *w, const struct mappings *maps,
			    const struct zones *zones, const struct sources_config *sources,
			    const struct remap_opts *o, const struct remap_row *row, struct remap_result *res)
{
	const struct source_cfg *sc = sources_find(sources, row->source);
	const struct adapter *ad = adapter_lookup(maps, sc && sc->adapter[0] ? sc->adapter : row->source);
	struct event *old = NULL, *fix = NULL;
	struct remap_done *done = NULL;
	struct adapter_out out = { 0 };
	struct buf body = BUF_INIT;
	char ctype[128] = "";
	bool *fixed = NULL, *dup = NULL;
	size_t nold = 0, nfix = 0, ndone = 0;
	enum werr err;

	if ((err = store_raw_unknown_events(st, row->raw_id, &old, &nold)))
		return err;
	for (size_t i = 0; i < nold; i++) /* a source's deliberate unknown is not the queue's */
		if (old[i].detail[0] || !old[i].code[0]) {
			event_release(&old[i]);
			memmove(&old[i], &old[i + 1], (nold - i - 1) * sizeof(*old));
			nold--, i--;
		}
	res->bodies++;
	err = store_raw_get(st, row->raw_id, ctype, &body);
	if (err == WERR_NOT_FOUND || !ad || !nold) {
		res->unreadable += nold ? 1 : 0;
		err = WERR_OK;
		goto out;
	}
	if (err)
		goto out;
	{
		struct adapter_env env = { row->source, maps, zones, old[0].received_at, NULL, NULL,
					   old[0].package[0] ? old[0].package : NULL, NULL };
		if (!read_again(ad, &env, ctype, &body, &out)) {
			res->unreadable++;
			goto out;
		}
	}
	fixed = wcalloc(nold, sizeof(*fixed));
	fix = wcalloc(nold, sizeof(*fix));
	done = wcalloc(nold, sizeof(*done));
	dup = wcalloc(nold, sizeof(*dup));
	for (size_t k = 0; k < out.nevents; k++)
		adapter_event_key(maps, &out.events[k]);
	for (size_t i = 0; i < nold; i++) {
		const struct event *now = NULL;
		for (size_t k = 0; k < out.nevents && !now; k++)
			if (!strcmp(out.events[k].key, old[i].key))
				now = &out.events[k];
		if (!now || now->status == EV_UNKNOWN) {
			res->still_unknown++;
			continue;
		}
		/* the same fact as the writer filed it (its order, its parcel), today's status */
		struct event *c = &fix[nfix];
		if ((err = event_copy(c, now)))
			goto out;
		nfix++;
		memcpy(c->order, old[i].order, sizeof(c->order));
		if (!c->package[0])
			memcpy(c->package, old[i].package, sizeof(c->package));
		memcpy(c->supersedes, old[i].key, sizeof(c->supersedes));
		adapter_event_key(maps, c);
		fixed[i] = true;
		res->corrected++;
	}
	for (size_t i = 0; i < nold; i++) {
		bool seen = false;
		for (size_t k = 0; k < ndone; k++)
			seen |= !strcmp(done[k].code, old[i].code);
		if (!seen && code_done(old, fixed, nold, old[i].code))
			done[ndone++] = (struct remap_done){ row->source, old[i].code, row->raw_id };
	}
	if (!o->dry_run && (nfix || ndone)) {
		struct writer_job job = { 0 };
		job.events = fix;
		job.nevents = nfix;
		job.duplicate = dup;
		job.raw_id = row->raw_id;
		job.remapped = done;
		job.nremapped = ndone;
		job.received_at = o->now;
		if (!(err = writer_submit_wait(w, &job)))
			err = job.result;
	}
out:
	for (size_t i = 0; i < nfix; i++)
		event_release(&fix[i]);
	free(fix);
	free(fixed);
	free(done);
	free(dup);
	event_array_free(old, nold);
	adapter_out_free(&out);
	buf_release(&body);
	return err;
}

enum werr remap_run(struct store *st, struct writer *w, const struct mappings *maps, const struct zones *zones,
		    const struct sources_config *sources, const struct remap_opts *o, struct remap_result *res)
{
	int max = o->max_bodies > 0 ? o->max_bodies : 500;
	struct remap_row *rows = NULL;
	size_t n = 0;
	enum werr err;

	memset(res, 0, sizeof(*res));
	if ((err = store_remap_pending(st, o->source, o->code, o->after, max + 1, &rows, &n)))
		return err;
	res->more = n > (size_t)max;
	res->next = o->after;
	for (size_t i = 0; i < n && i < (size_t)max && !err; i++) {
		err = remap_body(st, w, maps, zones, sources, o, &rows[i], res);
		res->next = rows[i].raw_id;
	}
	free(rows);
	return err;
}
