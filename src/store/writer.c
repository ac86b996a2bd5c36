/*
 * writer.c - the single writer thread with group commit; see writer.h.
 *
 *   request threads --submit--> queue --(take all)--> BEGIN
 *                                                      put_raw, append_event ...
 *                                                      project each touched order
 *                                                      COMMIT
 *                                  done(job) <--------- for every job in the batch
 *
 * The batch is whatever queued while the previous commit was running, capped
 * at BATCH_MAX_EVENTS, so the number of fsyncs follows the load: one request
 * alone commits at once, many requests share one commit; while fewer wait
 * than the last batch took, the writer waits up to GATHER_US for the rest.
 */
#include "writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/clock.h"
#include "../base/buf.h"
#include "../base/log.h"
#include "../core/order.h"
#include "../core/order_json.h"
#include "../base/banned.h"

#define BATCH_MAX_EVENTS 4096

struct writer {
	struct store *st;
	struct policy pol;
	size_t queue_max;

	pthread_mutex_t mu;
	pthread_cond_t nonempty;  /* signalled on submit and stop */
	struct writer_job *head, *tail;
	bool stopping;
	bool started;
	pthread_t thread;
	struct writer_stats stats;
	struct { writer_project_fn fn; void *ctx; } hooks[WRITER_LISTENERS_MAX];
	size_t nhooks;
	struct { writer_commit_fn fn; void *ctx; } listeners[WRITER_LISTENERS_MAX];
	size_t nlisteners;

	/* The checkpointer: the writer's connection never copies the WAL into
	 * the database itself (that took a tenth of its time, inside commits);
	 * this thread does, on its own handle, after CKPT_PAGES written or a
	 * moment of quiet, and starts the WAL over when it grew past that
	 * (docs/performance.md). */
	struct store *ckpt;
	pthread_t ckpt_thread;
	pthread_cond_t ckpt_cv;
	uint64_t pages_since_ckpt;
	bool ckpt_started;
	size_t last_jobs;         /* jobs the last batch took */
};

/* Gathering: while fewer jobs wait than the last batch took, more are
 * likely on their way (the clients the last commit answered); the writer
 * waits up to this long for them, so that they share one commit's pages
 * and fsync (docs/performance.md).  A lone client never waits. */
#define GATHER_US 300
#define CKPT_PAGES 4096   /* pages written (16 MiB) between checkpoints under load; a
			     WAL longer than this is started over */
#define CKPT_IDLE_MS 1000 /* and one after this long without */

static void *ckpt_main(void *p)
{
	struct writer *w = p;

	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		struct timespec until = clock_deadline(CLOCK_REALTIME, CKPT_IDLE_MS);
		if (w->pages_since_ckpt < CKPT_PAGES)
			pthread_cond_timedwait(&w->ckpt_cv, &w->mu, &until);
		if (w->stopping || !w->pages_since_ckpt)
			continue;
		w->pages_since_ckpt = 0;
		pthread_mutex_unlock(&w->mu);
		int64_t logged = 0;
		enum werr err = store_checkpoint(w->ckpt, false, &logged);
		if (!err && logged > CKPT_PAGES)
			err = store_checkpoint(w->ckpt, true, NULL);
		if (err)
			wlog(LOG_WARN, "checkpoint_failed", "error", store_errmsg(w->ckpt), NULL);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

enum werr writer_add_project_hook(struct writer *w, writer_project_fn fn, void *ctx)
{
	if (w->nhooks == WRITER_LISTENERS_MAX)
		return WERR_TOO_LARGE;
	w->hooks[w->nhooks].fn = fn;
	w->hooks[w->nhooks++].ctx = ctx;
	return WERR_OK;
}

enum werr writer_add_commit_listener(struct writer *w, writer_commit_fn fn, void *ctx)
{
	if (w->nlisteners == WRITER_LISTENERS_MAX)
		return WERR_TOO_LARGE;
	w->listeners[w->nlisteners].fn = fn;
	w->listeners[w->nlisteners++].ctx = ctx;
	return WERR_OK;
}



static int bucket(double v)
{
	double bound = 1;
	for (int i = 0; i < WRITER_HIST_BUCKETS - 1; i++, bound *= 2)
		if (v <= bound)
			return i;
	return WRITER_HIST_BUCKETS - 1;
}

/* Folds an order's events (all of them) into o and stores the projection. */
static enum werr put_projection(struct store *st, const struct policy *pol, const struct event *evs, size_t n,
				struct order_state *o)
{
	struct buf json = BUF_INIT;
	enum werr err;

	if (!(err = store_fold(st, pol, evs, n, o, NULL)) && !(err = order_to_json(o, &json)))
		err = store_put_order(st, o, json.p);
	buf_release(&json);
	return err;
}

enum werr project_order(struct store *st, const struct policy *pol, const char *order, struct order_state *out)
{
	struct event *evs = NULL;
	size_t n = 0;
	struct order_state mine, *o = out ? out : &mine;
	enum werr err;

	if (!out)
		order_init(&mine);
	if (!(err = store_order_events(st, order, &evs, &n)))
		err = put_projection(st, pol, evs, n, o);
	if (!out)
		order_release(&mine);
	event_array_free(evs, n);
	return err;
}

struct touched;
static enum werr parcel_step(struct store *st, const struct policy *pol, const struct event *ev,
			     struct touched *t);

struct rebuild_ctx {
	struct store *st;
	const struct policy *pol;
	writer_project_fn fn;
	void *ctx;
	int64_t now;
	size_t n;
};

static enum werr rebuild_one(const char *order, void *p)
{
	struct rebuild_ctx *c = p;
	struct order_state o;
	enum werr err;

	c->n++;
	if (!c->fn)
		return project_order(c->st, c->pol, order, NULL);
	order_init(&o);
	if (!(err = project_order(c->st, c->pol, order, &o)))
		err = c->fn(c->ctx, c->st, &o, c->now);
	order_release(&o);
	return err;
}

static enum werr replay_attach(const struct event *e, void *p)
{
	struct rebuild_ctx *c = p;

	return parcel_step(c->st, c->pol, e, NULL);
}

enum werr store_rebuild(struct store *st, const struct policy *pol, writer_project_fn fn, void *ctx, int64_t now,
			size_t *norders)
{
	struct rebuild_ctx c = { st, pol, fn, ctx, now, 0 };
	enum werr err;

	if ((err = store_begin(st)))
		return err;
	/* ownership first, in log order, as the writer decided it: every fold
	 * below reads it (docs/parcels.md) */
	if ((err = store_clear_projections(st)) || (err = store_parcel_each_attach(st, replay_attach, &c)) ||
	    (err = store_each_order(st, rebuild_one, &c))) {
		store_rollback(st);
		return err;
	}
	if ((err = store_commit(st)))
		return err;
	if (norders)
		*norders = c.n;
	return WERR_OK;
}

/*
 * Fills a missing order (and package, carrier) from the source's alias for
 * ev->ref, then from the package's tracking number.  *ok says whether the
 * event can be applied now.
 */
static enum werr resolve(struct store *st, struct event *ev, bool *ok)
{
	struct store_alias a;
	enum werr err = WERR_OK;

	if (!ev->order[0] && ev->ref[0]) {
		err = store_alias_find(st, ev->source, ev->ref, &a);
		if (!err) {
			if (!ev->package[0] && !ev_status_is_order_level(ev->status))
				memcpy(ev->package, a.package, sizeof(ev->package));
			if (!ev->carrier[0])
				memcpy(ev->carrier, a.carrier, sizeof(ev->carrier));
			memcpy(ev->order, a.order, sizeof(ev->order));
		} else if (err != WERR_NOT_FOUND) {
			return err;
		}
		err = WERR_OK;
	}
	/* "tracking:NUMBER": an order-level fact about the order holding that
	 * parcel (a warehouse scan of a label's barcode) */
	if (!ev->order[0] && !strncmp(ev->ref, "tracking:", 9) && ev->ref[9]) {
		err = store_find_package(st, ev->ref + 9, ev->order);
		if (err != WERR_NOT_FOUND && err)
			return err;
		err = WERR_OK;
	}
	if (!ev->order[0] && ev->package[0]) {
		err = store_find_package(st, ev->package, ev->order);
		if (err == WERR_NOT_FOUND)
			err = WERR_OK;
	}
	*ok = ev->order[0] && (ev->package[0] || !ev_status_needs_package(ev->status));
	return err;
}

/* What became known in a batch: a package, or a source's reference. */
struct tkey {
	char package[EV_PACKAGE_MAX + 1];
	char source[EV_SOURCE_MAX + 1];
	char ref[EV_ID_MAX + 1];
};

/* The orders a batch touched, kept until they are refolded, and the keys
 * whose parked events to release. */
struct touched {
	char (*orders)[EV_ORDER_MAX + 1];
	size_t n, cap;
	char (*done)[EV_ORDER_MAX + 1]; /* refolded in this batch, for the commit listener */
	size_t ndone, donecap;
	struct tkey *keys;
	size_t nkeys, keycap;
	int64_t first_seq; /* first event appended in this batch (visible_at), 0: none */
	/* Every event appended in this batch, as the writer holds it: a refold
	 * reads only the older ones back from the store, so an event's JSON is
	 * not written and parsed again in the batch that brought it. */
	const struct event **fresh;
	size_t nfresh, freshcap;
	struct parked_list { struct parked_event *p; size_t n; } *parked; /* freed after the batch */
	size_t nparked, parkedcap;
};

static int cmp_tkey(const void *a, const void *b)
{
	const struct tkey *x = a, *y = b;
	int c = strcmp(x->package, y->package);
	if (!c)
		c = strcmp(x->source, y->source);
	return c ? c : strcmp(x->ref, y->ref);
}

static enum werr grow(void **p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return WERR_OK;
	size_t nc = *cap ? *cap * 2 : 64;
	void *q = realloc(*p, nc * elem);
	if (!q)
		return WERR_NOMEM;
	*p = q;
	*cap = nc;
	return WERR_OK;
}

static enum werr touch(struct touched *t, const char *order, const char *package, const char *source,
		       const char *ref)
{
	if (order) {
		if (grow((void **)&t->orders, &t->cap, t->n, sizeof(*t->orders)))
			return WERR_NOMEM;
		snprintf(t->orders[t->n++], sizeof(t->orders[0]), "%s", order);
	}
	if ((package && package[0]) || (ref && ref[0])) {
		if (grow((void **)&t->keys, &t->keycap, t->nkeys, sizeof(*t->keys)))
			return WERR_NOMEM;
		snprintf(t->keys[t->nkeys].package, sizeof(t->keys[0].package), "%s", package ? package : "");
		snprintf(t->keys[t->nkeys].source, sizeof(t->keys[0].source), "%s", source ? source : "");
		snprintf(t->keys[t->nkeys].ref, sizeof(t->keys[0].ref), "%s", ref ? ref : "");
		t->nkeys++;
	}
	return WERR_OK;
}

/*
 * Rule 10 (docs/parcels.md): what an appended event does to the ownership of
 * the parcel it names (core/parcels.h), recorded in the store.  The writer
 * runs it on every event it appends and a rebuild on the whole log, both in
 * log order, so the store's answer is a function of the log.  The other
 * orders whose parcel facts changed are touched for a refold when t is not
 * NULL (a rebuild refolds every order anyway).
 */
static enum werr parcel_step(struct store *st, const struct policy *pol, const struct event *ev,
			     struct touched *t)
{
	struct parcel_owner cur, next;
	char (*orders)[EV_ORDER_MAX + 1] = NULL;
	enum parcel_decision d;
	enum source_kind kind;
	size_t n = 0;
	bool have;
	enum werr err;

	if (!ev->package[0] || !ev->order[0])
		return WERR_OK;
	err = store_parcel_owner(st, ev->package, &cur);
	if (err && err != WERR_NOT_FOUND)
		return err;
	have = !err;
	kind = policy_kind(pol, ev->source);
	d = parcel_decide(&pol->parcels, have ? &cur : NULL, ev, kind == KIND_CARRIER || kind == KIND_AGGREGATOR,
			  event_too_far_ahead(pol, ev), &next);
	if ((err = store_parcel_note(st, d, ev, have ? &cur : NULL, &next, &orders, &n)))
		return err;
	for (size_t i = 0; i < n && t && !err; i++)
		err = touch(t, orders[i], NULL, NULL, NULL);
	free(orders);
	return err;
}

/* Appends one resolved event, or parks it. */
static enum werr apply_event(struct writer *w, struct event *ev, int64_t raw_id, bool *dup, bool *parked,
			     struct touched *t)
{
	bool ok;
	enum werr err;

	*parked = false;
	if ((err = resolve(w->st, ev, &ok)))
		return err;
	if (!ok) {
		*parked = true;
		return store_park_event(w->st, ev, raw_id, dup);
	}
	if ((err = store_append_event(w->st, ev, raw_id, dup)) || *dup)
		return err;
	if (!t->first_seq)
		t->first_seq = ev->seq;
	if (grow((void **)&t->fresh, &t->freshcap, t->nfresh, sizeof(*t->fresh)))
		return WERR_NOMEM;
	t->fresh[t->nfresh++] = ev;
	if ((err = parcel_step(w->st, &w->pol, ev, t)))
		return err;
	/* a code no table knows (a table row that says unknown sets a detail) */
	if (ev->status == EV_UNKNOWN && ev->code[0] && !ev->detail[0] &&
	    (err = store_unmapped_bump(w->st, ev, raw_id)))
		return err;
	return touch(t, ev->order, ev->package, NULL, NULL);
}

static int cmp_order(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int cmp_fresh(const void *a, const void *b)
{
	const struct event *const *x = a, *const *y = b;

	return strcmp((*x)->order, (*y)->order);
}

/*
 * Refolds one order from its events older than the batch (read from the
 * store) and the ones the batch appended (t->fresh, sorted by order), runs
 * the project hooks on it, and remembers it for the commit listeners.
 */
static enum werr project_one(struct writer *w, struct touched *t, const char *order)
{
	struct order_state o;
	struct event *evs = NULL;
	size_t n = 0, lo = 0, hi = t->nfresh;
	enum werr err;

	while (lo < hi) { /* the first fresh event of the order */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->fresh[mid]->order, order) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (hi = lo; hi < t->nfresh && !strcmp(t->fresh[hi]->order, order); hi++)
		;
	order_init(&o);
	err = store_order_events_before(w->st, order, t->first_seq ? t->first_seq : INT64_MAX, &evs, &n);
	if (!err && hi > lo) {
		struct event *more = realloc(evs, (n + hi - lo) * sizeof(*evs));
		if (!more)
			err = WERR_NOMEM;
		else
			evs = more;
		for (size_t i = lo; i < hi && !err; i++)
			err = event_copy(&evs[n++], t->fresh[i]);
	}
	if (!err)
		err = put_projection(w->st, &w->pol, evs, n, &o);
	event_array_free(evs, n);
	if (w->nhooks) {
		int64_t now = clock_wall_ms();
		for (size_t i = 0; i < w->nhooks && !err; i++)
			err = w->hooks[i].fn(w->hooks[i].ctx, w->st, &o, now);
	}
	order_release(&o);
	if (!err) {
		if (grow((void **)&t->done, &t->donecap, t->ndone, sizeof(*t->done)))
			return WERR_NOMEM;
		snprintf(t->done[t->ndone++], sizeof(t->done[0]), "%s", order);
	}
	return err;
}

/* Tells the store which orders project_touched is about to refold (store.h:
 * refold_hint), each once. */
static enum werr hint_orders(struct writer *w, struct touched *t)
{
	const char **names = malloc(t->n * sizeof(*names));
	size_t n = 0;
	enum werr err;

	if (!names)
		return WERR_NOMEM;
	for (size_t i = 0; i < t->n; i++)
		if (!i || strcmp(t->orders[i], t->orders[i - 1]))
			names[n++] = t->orders[i];
	err = store_refold_hint(w->st, names, n, t->first_seq ? t->first_seq : INT64_MAX);
	free(names);
	return err;
}

/* Refolds every order touched since the last call, once each. */
static enum werr project_touched(struct writer *w, struct touched *t)
{
	enum werr err = WERR_OK;

	if (!t->n)
		return WERR_OK;
	if (t->n > 1)
		qsort(t->orders, t->n, sizeof(*t->orders), cmp_order);
	if (t->nfresh > 1)
		qsort(t->fresh, t->nfresh, sizeof(*t->fresh), cmp_fresh);
	err = hint_orders(w, t);
	for (size_t i = 0; i < t->n && !err; i++)
		if (!i || strcmp(t->orders[i], t->orders[i - 1]))
			err = project_one(w, t, t->orders[i]);
	t->n = 0;
	return err;
}

/* The orders the batch refolded, each once (names point into t->done;
 * free() the array).  NULL with *n 0 when none, or out of memory. */
static const char **refolded(struct touched *t, size_t *n)
{
	const char **names;

	*n = 0;
	if (!t->ndone)
		return NULL;
	qsort(t->done, t->ndone, sizeof(*t->done), cmp_order);
	if (!(names = malloc(t->ndone * sizeof(*names))))
		return NULL;
	for (size_t i = 0; i < t->ndone; i++)
		if (!i || strcmp(t->done[i], t->done[i - 1]))
			names[(*n)++] = t->done[i];
	return names;
}

/*
 * Applies the events parked for what this batch made known.  A released
 * event may make more known (a package), so this runs until nothing more
 * comes out, at most a few rounds.
 */
static enum werr release_parked(struct writer *w, struct touched *t)
{
	enum werr err = WERR_OK;

	for (int round = 0; round < 4 && t->nkeys && !err; round++) {
		size_t nkeys = t->nkeys;
		struct tkey *keys = t->keys;

		t->keys = NULL;
		t->nkeys = t->keycap = 0;
		qsort(keys, nkeys, sizeof(*keys), cmp_tkey);
		for (size_t k = 0; k < nkeys && !err; k++) {
			struct parked_event *p = NULL;
			size_t n = 0;

			if (k && !cmp_tkey(&keys[k], &keys[k - 1]))
				continue;

			err = store_unpark(w->st, keys[k].package[0] ? keys[k].package : NULL,
					   keys[k].source[0] ? keys[k].source : NULL,
					   keys[k].ref[0] ? keys[k].ref : NULL, &p, &n);
			for (size_t i = 0; i < n && !err; i++) {
				bool dup, parked;
				err = apply_event(w, &p[i].ev, p[i].raw_id, &dup, &parked, t);
			}
			/* kept until the batch ends: t->fresh may point into it */
			if (!grow((void **)&t->parked, &t->parkedcap, t->nparked, sizeof(*t->parked))) {
				t->parked[t->nparked].p = p;
				t->parked[t->nparked++].n = n;
			} else {
				parked_events_free(p, n);
				err = WERR_NOMEM;
			}
		}
		free(keys);
		if (!err)
			err = project_touched(w, t);
	}
	return err;
}

/* Tells the store which keys the batch's events will append and whose
 * parcels' owners it will ask (store.h: append_hint, owner_hint), so that it
 * can learn them in one go. */
static enum werr hint_batch(struct writer *w, const struct writer_job *batch)
{
	const char **keys, **parcels;
	size_t n = 0, np = 0;
	enum werr err;

	for (const struct writer_job *j = batch; j; j = j->next)
		n += j->nevents;
	if (n < 2)
		return WERR_OK; /* one event: its own reads ask as fast */
	keys = malloc(n * sizeof(*keys));
	parcels = malloc(n * sizeof(*parcels));
	if (!keys || !parcels) {
		free(keys);
		free(parcels);
		return WERR_NOMEM;
	}
	n = 0;
	for (const struct writer_job *j = batch; j; j = j->next)
		for (size_t i = 0; i < j->nevents; i++) {
			const struct event *ev = &j->events[i];
			keys[n++] = ev->key;
			if (ev->package[0] && ev->order[0] && (!np || strcmp(parcels[np - 1], ev->package)))
				parcels[np++] = ev->package;
		}
	err = store_append_hint(w->st, keys, n);
	if (!err && np)
		err = store_owner_hint(w->st, parcels, np);
	free(keys);
	free(parcels);
	return err;
}

/* Runs one batch in one transaction.  Returns the batch's result. */
static enum werr run_batch(struct writer *w, struct writer_job *batch)
{
	struct touched t = { 0 };
	const char **names = NULL;
	size_t nnames = 0;
	enum werr err;

	if ((err = store_begin(w->st)))
		goto out;
	if ((err = hint_batch(w, batch)))
		goto fail;
	for (struct writer_job *j = batch; j; j = j->next) {
		int64_t raw_id = 0;
		/* a body that brings events is kept unless they were all seen
		 * (its events' keys dedupe it), any other once per digest */
		bool events = j->nevents && !j->reject_reason && !j->fetch_later && !j->failure_kind;
		if (j->raw && events)
			err = store_raw_add(w->st, j->source, j->content_type, j->raw, j->rawlen, j->received_at,
					    &raw_id);
		else if (j->raw)
			err = store_put_raw(w->st, j->source, j->content_type, j->raw, j->rawlen, j->received_at,
					    &raw_id);
		if (err)
			goto fail;
		if (j->reject_reason) {
			if ((err = store_reject_put(w->st, j->source ? j->source : "", j->reject_reason, raw_id,
						    j->received_at)) ||
			    (j->source && j->source[0] &&
			     (err = store_sync_failure_bump(w->st, j->source, "rejected", 1, j->received_at))))
				goto fail;
			continue;
		}
		if (j->fetch_later) {
			/* the job and its body commit together: an acknowledged
			 * body is never without its fetch */
			if (!raw_id)
				err = WERR_INVALID; /* a fetch job needs its body */
			if (err || (err = store_fetch_put(w->st, j->source, raw_id, j->received_at)))
				goto fail;
			continue;
		}
		if (j->failure_kind) {
			if (j->source && j->source[0] &&
			    (err = store_sync_failure_bump(w->st, j->source, j->failure_kind, 1, j->received_at)))
				goto fail;
			continue;
		}
		if (!raw_id)
			raw_id = j->raw_id;
		for (size_t i = 0; i < j->nremapped; i++)
			if ((err = store_remap_done(w->st, j->remapped[i].source, j->remapped[i].code,
						    j->remapped[i].raw_id)))
				goto fail;
		for (size_t i = 0; i < j->nrefold; i++)
			if ((err = touch(&t, j->refold[i], NULL, NULL, NULL)))
				goto fail;
		for (size_t i = 0; i < j->naliases; i++)
			if ((err = store_alias_put(w->st, j->source, &j->aliases[i], j->received_at)) ||
			    (err = touch(&t, NULL, j->aliases[i].package, j->source, j->aliases[i].ref)))
				goto fail;
		size_t ndup = 0;
		for (size_t i = 0; i < j->nevents; i++) {
			bool parked;
			j->events[i].received_at = j->received_at;
			if ((err = apply_event(w, &j->events[i], raw_id, &j->duplicate[i], &parked, &t)))
				goto fail;
			if (j->parked)
				j->parked[i] = parked;
			ndup += j->duplicate[i];
		}
		if (j->raw && events && ndup == j->nevents && (err = store_raw_drop(w->st, raw_id)))
			goto fail;
	}
	if ((err = project_touched(w, &t)) || (err = release_parked(w, &t)))
		goto fail;
	/* the other nodes hear of the batch's orders when it commits */
	names = refolded(&t, &nnames);
	if (t.ndone && !names) {
		err = WERR_NOMEM;
		goto fail;
	}
	if (nnames && (err = store_announce(w->st, names, nnames)))
		goto fail;
	/* visible_at: just before COMMIT, so it excludes the commit's fsync */
	if (t.first_seq && (err = store_mark_visible(w->st, t.first_seq, clock_wall_ms())))
		goto fail;
	err = store_commit(w->st);
	if (!err) {
		for (size_t i = 0; nnames && i < w->nlisteners; i++)
			w->listeners[i].fn(w->listeners[i].ctx, names, nnames);
		goto out;
	}
fail:
	wlog(LOG_ERROR, "writer_batch_failed", "error", werr_name(err), "detail", store_errmsg(w->st), NULL);
	store_rollback(w->st);
out:
	free(names);
	free(t.orders);
	free(t.keys);
	free(t.done);
	free(t.fresh);
	for (size_t i = 0; i < t.nparked; i++)
		parked_events_free(t.parked[i].p, t.parked[i].n);
	free(t.parked);
	return err;
}

static void *writer_main(void *p)
{
	struct writer *w = p;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct writer_job *batch, *last, *j;
		size_t nev, njobs;
		enum werr err;
		double t0;

		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->nonempty, &w->mu);
		if (!w->head)
			break; /* stopping and drained */
		if (w->stats.queue_jobs < w->last_jobs && !w->stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += GATHER_US * 1000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (w->stats.queue_jobs < w->last_jobs && !w->stopping &&
			       !pthread_cond_timedwait(&w->nonempty, &w->mu, &until))
				;
		}
		/* Take jobs up to the batch cap (always at least one). */
		batch = last = w->head;
		nev = batch->nevents;
		njobs = 1;
		while (last->next && nev + last->next->nevents <= BATCH_MAX_EVENTS) {
			last = last->next;
			nev += last->nevents;
			njobs++;
		}
		w->head = last->next;
		if (!w->head)
			w->tail = NULL;
		last->next = NULL;
		w->stats.queue_events -= nev;
		w->stats.queue_jobs -= njobs;
		w->last_jobs = njobs;
		pthread_mutex_unlock(&w->mu);

		t0 = (clock_mono_us() / 1000.0);
		err = run_batch(w, batch);
		double dt = (clock_mono_us() / 1000.0) - t0;

		uint64_t pages = store_pages_written(w->st);
		pthread_mutex_lock(&w->mu);
		w->pages_since_ckpt += pages - w->stats.pages_written;
		if (w->pages_since_ckpt >= CKPT_PAGES)
			pthread_cond_signal(&w->ckpt_cv);
		w->stats.commits++;
		w->stats.jobs += njobs;
		w->stats.events += nev;
		if (err)
			w->stats.failures++;
		w->stats.batch_hist[bucket((double)nev)]++;
		w->stats.batch_sum += nev;
		w->stats.latency_hist[bucket(dt)]++;
		w->stats.latency_sum_ms += dt;
		w->stats.pages_written = pages;
		pthread_mutex_unlock(&w->mu);

		for (j = batch; j;) {
			struct writer_job *next = j->next;
			j->next = NULL;
			j->result = err;
			j->done(j); /* may free or reuse j */
			j = next;
		}
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

enum werr writer_new(const char *url, const struct policy *pol, size_t queue_max, struct writer **out,
		     char *errbuf, size_t errcap)
{
	struct writer *w = calloc(1, sizeof(*w));
	enum werr err;

	*out = NULL;
	if (!w)
		return WERR_NOMEM;
	if ((err = store_open(url, STORE_CHECKPOINT_APART, &w->st, errbuf, errcap))) {
		free(w);
		return err;
	}
	if ((err = store_open(url, STORE_NO_MIGRATE, &w->ckpt, errbuf, errcap))) {
		store_close(w->st);
		free(w);
		return err;
	}
	w->pol = *pol;
	w->queue_max = queue_max ? queue_max : 100000;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->nonempty, NULL);
	pthread_cond_init(&w->ckpt_cv, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w)) {
		store_close(w->ckpt);
		store_close(w->st);
		free(w);
		return WERR_INTERNAL;
	}
	w->started = true;
	/* without its thread the WAL would only grow: refuse to start */
	if (pthread_create(&w->ckpt_thread, NULL, ckpt_main, w)) {
		writer_free(w);
		return WERR_INTERNAL;
	}
	w->ckpt_started = true;
	*out = w;
	return WERR_OK;
}

enum werr writer_submit(struct writer *w, struct writer_job *job)
{
	enum werr err = WERR_OK;

	job->next = NULL;
	job->result = WERR_OK;
	for (size_t i = 0; i < job->nevents; i++)
		job->duplicate[i] = false;
	pthread_mutex_lock(&w->mu);
	if (w->stopping)
		err = WERR_SHUTDOWN;
	else if (w->stats.queue_events && w->stats.queue_events + job->nevents > w->queue_max)
		err = WERR_BUSY;
	if (!err) {
		if (w->tail)
			w->tail->next = job;
		else
			w->head = job;
		w->tail = job;
		w->stats.queue_events += job->nevents;
		w->stats.queue_jobs++;
		pthread_cond_signal(&w->nonempty);
	}
	pthread_mutex_unlock(&w->mu);
	return err;
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool done;
};

static void wake_waiter(struct writer_job *job)
{
	struct waiter *wt = job->ctx;
	pthread_mutex_lock(&wt->mu);
	wt->done = true;
	pthread_cond_signal(&wt->cond);
	pthread_mutex_unlock(&wt->mu);
}

enum werr writer_submit_wait(struct writer *w, struct writer_job *job)
{
	struct waiter wt = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };
	enum werr err;

	job->done = wake_waiter;
	job->ctx = &wt;
	if ((err = writer_submit(w, job)))
		return err;
	pthread_mutex_lock(&wt.mu);
	while (!wt.done)
		pthread_cond_wait(&wt.cond, &wt.mu);
	pthread_mutex_unlock(&wt.mu);
	return job->result;
}

void writer_stats(struct writer *w, struct writer_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	pthread_mutex_unlock(&w->mu);
}

void writer_stop(struct writer *w)
{
	if (!w || !w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->nonempty);
	pthread_cond_signal(&w->ckpt_cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	if (w->ckpt_started)
		pthread_join(w->ckpt_thread, NULL);
	w->started = w->ckpt_started = false;
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	writer_stop(w);
	/* the data's last copy out of the WAL, before the writer's own
	 * connection closes (and checkpoints what is left) */
	if (w->ckpt)
		store_checkpoint(w->ckpt, false, NULL);
	store_close(w->ckpt);
	store_close(w->st);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->nonempty);
	pthread_cond_destroy(&w->ckpt_cv);
	free(w);
}

/* ---- failed sync events ---- */

struct failure_job {
	struct writer_job job;
	char source[EV_SOURCE_MAX + 1];
	char kind[16];
};

static void failure_done(struct writer_job *job)
{
	free(job->ctx);
}

void writer_note_failure(struct writer *w, const char *source, const char *kind)
{
	struct failure_job *f;

	if (!w || !source || !source[0] || strlen(source) > EV_SOURCE_MAX || strlen(kind) >= sizeof(f->kind))
		return;
	if (!(f = calloc(1, sizeof(*f))))
		return;
	memcpy(f->source, source, strlen(source) + 1);
	memcpy(f->kind, kind, strlen(kind) + 1);
	f->job.source = f->source;
	f->job.failure_kind = f->kind;
	f->job.received_at = clock_wall_ms();
	f->job.done = failure_done;
	f->job.ctx = f;
	if (writer_submit(w, &f->job)) {
		wlog(LOG_WARN, "failure_not_counted", "source", source, "kind", kind, NULL);
		free(f);
	}
}
