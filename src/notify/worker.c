/*
 * worker.c - the outbox worker thread (contract in worker.h).
 *
 * One row's life here:
 *
 *   claimed (sending, lease) --render fails------------------> dead
 *        |                   --SMS, no consent now-----------> cancelled
 *        |                   --SMS, quiet hours, not urgent--> pending (end of quiet hours)
 *        |                   --ticket to solve, none open----> cancelled
 *        v
 *   channel_send --ok--> sent (+ the order's ticket id kept for tickets)
 *                --retry and attempts < max--> pending (backoff)
 *                --otherwise--> dead
 *
 * Nothing here logs a recipient, a message body or a secret: the log lines
 * name the row id, the channel and the error.
 */
#include "worker.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/clock.h"
#include "../adapters/zones.h"
#include "../base/log.h"
#include "../core/notify_view.h"
#include "../store/store.h"
#include "channel.h"
#include "render.h"
#include "../base/banned.h"

struct worker {
	struct notify_config cfg;
	struct notify_worker_cfg wc;   /* cfg.worker with defaults filled */
	const struct zones *zones;
	char templates_override[1024];
	struct store *st;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop, woken;
};


int64_t worker_backoff_ms(const struct notify_worker_cfg *c, int attempts)
{
	int64_t d = (int64_t)(c->backoff_base_s > 0 ? c->backoff_base_s : 30) * 1000;
	int64_t cap = (int64_t)(c->backoff_max_s > 0 ? c->backoff_max_s : 3600) * 1000;

	for (int i = 1; i < attempts && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

int64_t worker_quiet_end(int start_h, int end_h, int64_t local_ms)
{
	const int64_t day = 86400000, hour = 3600000;
	int64_t midnight = local_ms - ((local_ms % day) + day) % day;
	int h = (int)(((local_ms - midnight) / hour) % 24);
	bool quiet;

	if (start_h == end_h)
		return 0;
	quiet = start_h < end_h ? (h >= start_h && h < end_h) : (h >= start_h || h < end_h);
	if (!quiet)
		return 0;
	/* the end is today when we are before it, else tomorrow */
	return h < end_h ? midnight + end_h * hour : midnight + day + end_h * hour;
}

bool worker_sms_urgent(const char *milestone)
{
	return milestone && (strstr(milestone, "out_for_delivery") || strstr(milestone, "delivery_attempted") ||
			     strstr(milestone, "attempt_failed") || !strncmp(milestone, "exception", 9) ||
			     strstr(milestone, ":exception"));
}

/* The wall-clock time in zone at instant utc, read as UTC (zones.h only
 * converts the other way, so solve local - offset(local) = utc by fixed
 * point; two rounds settle except within a DST change's hour). */
static int64_t to_local(const struct zones *z, const char *zone, int64_t utc)
{
	int64_t local = utc, u;

	if (!z || !zone || !zone[0])
		return utc;
	for (int i = 0; i < 3; i++) {
		if (zones_to_utc(z, zone, local, &u))
			return utc;
		if (u == utc)
			break;
		local += utc - u;
	}
	return local;
}

static const char *view_str(const cJSON *view, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(view, name);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* The customer's zone: the view's zone, or its country and region through
 * the zone table, else the shop's [notify] timezone (NULL: UTC). */
static const char *customer_zone(const struct worker *w, const cJSON *view)
{
	const char *zone = view_str(view, "timezone");
	const char *country = view_str(view, "country"), *region = view_str(view, "region");

	if (!zone && country && w->zones)
		zone = zones_lookup(w->zones, country, region ? region : "");
	if (!zone && w->cfg.worker.timezone[0])
		zone = w->cfg.worker.timezone;
	return zone;
}

/* A team named as the recipient ("support", "team:support") is its address. */
static const char *team_address(const struct worker *w, const char *to)
{
	const char *name = !strncmp(to, "team:", 5) ? to + 5 : to;

	if (!strcmp(name, "support") && w->cfg.teams.support[0])
		return w->cfg.teams.support;
	if (!strcmp(name, "warehouse") && w->cfg.teams.warehouse[0])
		return w->cfg.teams.warehouse;
	if (!strcmp(name, "operations") && w->cfg.teams.operations[0])
		return w->cfg.teams.operations;
	if (!strcmp(name, "returns") && w->cfg.teams.returns[0])
		return w->cfg.teams.returns;
	return to;
}

/* The webhook body: the same bytes on every attempt (no send time in it;
 * that is in X-Wismo-Timestamp). */
static char *webhook_event(const struct outbox_row *row, const cJSON *view)
{
	cJSON *j = cJSON_CreateObject();
	char type[96];
	char *s = NULL;

	snprintf(type, sizeof(type), "order.%s", row->milestone);
	if (j && cJSON_AddStringToObject(j, "id", row->key) && cJSON_AddStringToObject(j, "type", type) &&
	    cJSON_AddStringToObject(j, "order", row->order) && cJSON_AddStringToObject(j, "milestone", row->milestone) &&
	    cJSON_AddStringToObject(j, "rule", row->rule) &&
	    cJSON_AddNumberToObject(j, "created_at", (double)row->created_at) &&
	    cJSON_AddItemToObject(j, "data", view ? cJSON_Duplicate(view, 1) : cJSON_CreateObject()))
		s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

/* Whether a ticket message closes the order's ticket rather than opening one. */
static bool ticket_solves(const struct outbox_row *row, const cJSON *view)
{
	const char *st = view_str(view, "ticket_status");

	if (st)
		return !strcmp(st, "solved");
	return strstr(row->milestone, "resolved") || !strncmp(row->milestone, "delivered", 9) ||
	       strstr(row->milestone, ":delivered");
}

static void log_row(enum log_level lvl, const char *event, const struct outbox_row *row, const char *error)
{
	char id[24], att[16];

	snprintf(id, sizeof(id), "%lld", (long long)row->id);
	snprintf(att, sizeof(att), "%d", row->attempts);
	if (error)
		wlog(lvl, event, "id", id, "channel", row->channel, "attempt", att, "error", error, NULL);
	else
		wlog(lvl, event, "id", id, "channel", row->channel, "attempt", att, NULL);
}

static void finish(struct worker *w, const struct outbox_row *row, const char *state, int64_t next_at,
		   const char *error, const char *remote_id)
{
	enum werr err = store_outbox_finish(w->st, row->id, state, next_at, error, remote_id, clock_wall_ms());

	if (err)
		wlog(LOG_ERROR, "outbox_finish_failed", "error", store_errmsg(w->st), NULL);
}

/* Ends the attempt and cancels the row: the store lets a worker end an
 * attempt as sent, pending or dead, and a pending row be cancelled. */
static void cancel(struct worker *w, const struct outbox_row *row, const char *why)
{
	int64_t now = clock_wall_ms();
	enum werr err = store_begin(w->st);

	if (!err)
		err = store_outbox_finish(w->st, row->id, outbox_state_name(OUTBOX_PENDING), now, why, NULL, now);
	if (!err)
		err = store_outbox_set_state(w->st, row->id, outbox_state_name(OUTBOX_CANCELLED), now);
	if (!err)
		err = store_commit(w->st);
	if (err) {
		store_rollback(w->st);
		wlog(LOG_ERROR, "outbox_cancel_failed", "error", store_errmsg(w->st), NULL);
		return;
	}
	log_row(LOG_INFO, "outbox_cancelled", row, why);
}

static void failed(struct worker *w, const struct outbox_row *row, const struct send_result *res)
{
	if (res->retry && row->attempts < w->wc.max_attempts) {
		finish(w, row, outbox_state_name(OUTBOX_PENDING), clock_wall_ms() + worker_backoff_ms(&w->wc, row->attempts),
		       res->error, NULL);
		log_row(LOG_WARN, "outbox_retry", row, res->error);
	} else {
		finish(w, row, outbox_state_name(OUTBOX_DEAD), 0, res->error, NULL);
		log_row(LOG_WARN, "outbox_dead", row, res->error);
	}
}

#define TICKET_TIMELINE_MAX 50

/* A team's ticket carries the order's timeline as it is when the ticket is
 * written (the view stored with the row has the rest): the view with
 * "timeline" added, as JSON (free()), or NULL (then the stored view). */
static char *ticket_view(struct worker *w, const struct outbox_row *row, cJSON *view)
{
	struct event *evs = NULL;
	size_t n = 0;
	char *out = NULL;

	if (store_order_events(w->st, row->order, &evs, &n)) {
		wlog(LOG_WARN, "ticket_timeline_unreadable", "order", row->order, "error", store_errmsg(w->st), NULL);
		return NULL;
	}
	if (notify_view_add_timeline(view, evs, n, TICKET_TIMELINE_MAX))
		out = cJSON_PrintUnformatted(view);
	event_array_free(evs, n);
	return out;
}

#define NOTE_TAGS_MAX 8

static void send_row(struct worker *w, const struct outbox_row *row)
{
	struct message m = { 0 };
	struct send_result res = { 0 };
	struct rendered r = { 0 };
	cJSON *view = row->view ? cJSON_Parse(row->view) : NULL;
	char *event = NULL, *timeline = NULL, ticket_id[128] = "", ticket_state[16] = "";
	const char *tags[4] = { "wismo", NULL, NULL, NULL }, *note_tags[NOTE_TAGS_MAX];
	char tag[64];
	bool solve = false;
	/* unknown: rendered (and refused there), as any templated channel */
	const struct channel *ch = channel_find(row->channel);

	/* erased while it was being sent, and claimed again after the lease */
	if (!strcmp(row->recipient, "erased")) {
		finish(w, row, outbox_state_name(OUTBOX_DEAD), 0, "erased", NULL);
		goto out;
	}
	m.channel = row->channel;
	m.to = row->recipient;
	m.idempotency_key = row->key;
	m.order = row->order;
	if (!strcmp(row->channel, "sms")) {
		bool opted_in = false;
		int64_t at = 0;
		enum werr err = store_consent_get(w->st, row->recipient, &opted_in, &at);
		if (err && err != WERR_NOT_FOUND) {
			snprintf(res.error, sizeof(res.error), "consent unreadable: %s", werr_name(err));
			res.retry = true;
			failed(w, row, &res);
			goto out;
		}
		if (!opted_in) {
			cancel(w, row, "no SMS consent (opted out or never opted in)");
			goto out;
		}
		if (!worker_sms_urgent(row->milestone)) {
			const char *zone = customer_zone(w, view);
			int64_t now = clock_wall_ms(), local = to_local(w->zones, zone, now);
			int64_t end = worker_quiet_end(w->wc.quiet_start_h, w->wc.quiet_end_h, local), utc = 0;
			if (end) {
				if (!zone || zones_to_utc(w->zones, zone, end, &utc))
					utc = now + (end - local);
				finish(w, row, outbox_state_name(OUTBOX_PENDING), utc, "quiet hours", NULL);
				log_row(LOG_INFO, "outbox_quiet_hours", row, NULL);
				goto out;
			}
		}
	}
	if (!ch || ch->templated) {
		char err[256] = "";
		struct outbox_row with = *row;
		if (view && !strcmp(row->channel, "ticket") && (timeline = ticket_view(w, row, view)))
			with.view = timeline;
		if (notify_render(w->templates_override, &with, &r, err, sizeof(err))) {
			snprintf(res.error, sizeof(res.error), "render: %.240s", err);
			res.retry = false;
			failed(w, row, &res);
			goto out;
		}
		m.subject = r.subject;
		m.text = r.text;
		m.html = r.html;
	} else {
		if (!(event = webhook_event(row, view))) {
			snprintf(res.error, sizeof(res.error), "out of memory");
			res.retry = true;
			failed(w, row, &res);
			goto out;
		}
		m.json = event;
	}
	if (!strcmp(row->channel, "email"))
		m.to = team_address(w, row->recipient);
	if (!strcmp(row->channel, "ticket") && !strncmp(row->recipient, "ticket:", 7)) {
		/* a note on a customer's own ticket (docs/helpdesk.md): that
		 * ticket, its status left as it is, the tags the view names */
		const cJSON *t;
		size_t k = 0;
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(view, "ticket_tags"))
			if (cJSON_IsString(t) && k + 1 < NOTE_TAGS_MAX)
				note_tags[k++] = t->valuestring;
		note_tags[k] = NULL;
		m.tags = note_tags;
		m.ticket_id = row->recipient + 7;
		m.ticket_status = NULL;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(view, "tags_only")))
			m.text = NULL;
	} else if (!strcmp(row->channel, "ticket")) {
		enum werr err = store_ticket_get(w->st, row->order, ticket_id, ticket_state);
		size_t k = 0;
		if (err && err != WERR_NOT_FOUND) {
			snprintf(res.error, sizeof(res.error), "ticket unreadable: %s", werr_name(err));
			res.retry = true;
			failed(w, row, &res);
			goto out;
		}
		solve = ticket_solves(row, view);
		if (solve && (err == WERR_NOT_FOUND || !strcmp(ticket_state, "solved"))) {
			cancel(w, row, "no open ticket to solve");
			goto out;
		}
		/* a tag of the milestone: Zendesk tags are lower-case words */
		for (const char *p = row->milestone; *p && k + 1 < sizeof(tag); p++)
			tag[k++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p :
				   (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : '_';
		tag[k] = '\0';
		tags[1] = tag;
		m.tags = tags;
		m.ticket_id = err == WERR_NOT_FOUND ? NULL : ticket_id;
		m.priority = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(view, "exception"), "priority"));
		m.ticket_status = solve ? "solved" : "open";
	}
	channel_send(&w->cfg, &m, &res);
	if (!res.ok) {
		failed(w, row, &res);
		goto out;
	}
	if (!strcmp(row->channel, "ticket") && res.remote_id[0] && strncmp(row->recipient, "ticket:", 7)) {
		enum werr err = store_ticket_put(w->st, row->order, res.remote_id, solve ? "solved" : "open", clock_wall_ms());
		if (err)
			wlog(LOG_ERROR, "ticket_put_failed", "error", store_errmsg(w->st), NULL);
	}
	finish(w, row, outbox_state_name(OUTBOX_SENT), 0, NULL, res.remote_id);
	log_row(LOG_INFO, "outbox_sent", row, NULL);
out:
	rendered_release(&r);
	free(event);
	free(timeline);
	cJSON_Delete(view);
}

/* One pass: claims due rows and sends them.  Returns how many were claimed. */
static size_t run_once(struct worker *w)
{
	struct outbox_row *rows = NULL;
	size_t n = 0;
	int64_t now = clock_wall_ms();
	enum werr err = store_outbox_claim(w->st, now, now + (int64_t)w->wc.lease_s * 1000, w->wc.batch, &rows, &n);

	if (err) {
		if (err != WERR_BUSY)
			wlog(LOG_ERROR, "outbox_claim_failed", "error", store_errmsg(w->st), NULL);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&w->mu);
		bool stop = w->stop;
		pthread_mutex_unlock(&w->mu);
		if (stop) {
			/* claimed but not tried: due again at once for the next
			 * start (the claim's attempt still counts) */
			finish(w, &rows[i], outbox_state_name(OUTBOX_PENDING), now, "stopped before sending", NULL);
			continue;
		}
		send_row(w, &rows[i]);
	}
	outbox_rows_free(rows, n);
	return n;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		struct timespec until;
		size_t n = run_once(w);

		pthread_mutex_lock(&w->mu);
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		/* a full batch: there may be more due at once */
		if (n < (size_t)w->wc.batch && !w->woken) {
			until = clock_deadline(CLOCK_MONOTONIC, w->wc.poll_ms);
			while (!w->stop && !w->woken &&
			       pthread_cond_timedwait(&w->cond, &w->mu, &until) == 0)
				;
		}
		w->woken = false;
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

void worker_wake(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->woken = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

void worker_commit_listener(void *ctx, const char *const *orders, size_t n)
{
	worker_wake(ctx);
}

enum werr worker_start(const struct worker_opts *o, struct worker **out, char *errbuf, size_t errcap)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	enum werr err;

	*out = NULL;
	if (!w)
		return WERR_NOMEM;
	w->cfg = *o->cfg;
	w->wc = notify_worker_defaults(&o->cfg->worker);
	w->zones = o->zones;
	snprintf(w->templates_override, sizeof(w->templates_override), "%s",
		 o->templates_override ? o->templates_override : "");
	if ((err = store_open(o->store_url, 0, &w->st, errbuf, errcap))) {
		free(w);
		return err;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, worker_main, w)) {
		snprintf(errbuf, errcap, "unable to start the outbox worker");
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->mu);
		store_close(w->st);
		free(w);
		return WERR_INTERNAL;
	}
	*out = w;
	return WERR_OK;
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
	store_close(w->st);
	free(w);
}
