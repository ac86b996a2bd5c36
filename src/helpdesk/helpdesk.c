/*
 * helpdesk.c - the customers' own help-desk tickets (helpdesk.h,
 * docs/helpdesk.md): the inbound webhook, the order match, the first note
 * and the change notes.
 */
#include "helpdesk.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../adapters/adapter.h"
#include "../base/clock.h"
#include "../base/log.h"
#include "../base/num.h"
#include "../base/wtime.h"
#include "../core/answer.h"
#include "../core/notify_view.h"
#include "../core/rules.h"
#include "../core/ticket.h"
#include "../http/sse.h"
#include "../notify/planner.h"
#include "../base/banned.h"

#define SIG_WINDOW_S 300
#define EMAIL_DAYS 90          /* the requester's orders looked at */
#define EMAIL_ORDERS 10
#define TAGS_MAX 32
#define DAY_MS INT64_C(86400000)

/* ---- settings ---- */

void helpdesk_config_defaults(struct helpdesk_config *c)
{
	memset(c, 0, sizeof(*c));
	c->note_minutes = 10;
}

int helpdesk_config_set(struct helpdesk_config *c, const char *section, const char *name, const char *value)
{
	long n;

	if (strcmp(section, "tickets"))
		return 0;
	if (!strcmp(name, "webhook_secret"))
		return snprintf(c->webhook_secret, sizeof(c->webhook_secret), "%s", value) <
				       (int)sizeof(c->webhook_secret) ? 1 : -1;
	if (!strcmp(name, "order_field"))
		return strlen(value) < sizeof(c->order_field) && strspn(value, "0123456789") == strlen(value)
			       ? (snprintf(c->order_field, sizeof(c->order_field), "%s", value), 1)
			       : -1;
	if (!strcmp(name, "resolve_tasks")) {
		if (strcmp(value, "true") && strcmp(value, "false"))
			return -1;
		c->resolve_tasks = !strcmp(value, "true");
		return 1;
	}
	if (!strcmp(name, "note_minutes")) {
		if (!num_parse(value, 0, 24 * 60, &n))
			return -1;
		c->note_minutes = (int)n;
		return 1;
	}
	return -1;
}

int helpdesk_config_env(struct helpdesk_config *c)
{
	const char *v = getenv("WISMO_TICKETS_WEBHOOK_SECRET");

	if (!v || !v[0])
		return 0;
	return snprintf(c->webhook_secret, sizeof(c->webhook_secret), "%s", v) < (int)sizeof(c->webhook_secret) ? 0 : -1;
}

/* ---- the webhook's body ---- */

/* What wismo reads of a ticket, whichever of Zendesk's two shapes it came in. */
struct ticket_in {
	char id[64];
	char status[16];
	const char *subject, *body, *email;
	const char *tags[TAGS_MAX + 1];
	char tagbuf[2048];           /* a space-separated tag string, split */
	char field[EV_ORDER_MAX + 2];
	int64_t opened_at;
};

static bool scalar(const cJSON *o, const char *key, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	out[0] = '\0';
	if (cJSON_IsString(v) && v->valuestring[0])
		return snprintf(out, cap, "%s", v->valuestring) < (int)cap;
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9007199254740992.0 &&
	    v->valuedouble == (double)(int64_t)v->valuedouble)
		return snprintf(out, cap, "%lld", (long long)v->valuedouble) < (int)cap;
	return false;
}

/*
 * A trigger's JSON (docs/helpdesk.md: {"ticket": {"id", "status", "subject",
 * "description", "tags", "requester": {"email"}, "created_at",
 * "custom_fields": [{"id", "value"}]}}), or an event webhook's
 * ({"type": "zen:event-type:ticket.*", "detail": {"id", "status",
 * "subject", "description", "tags", "created_at"}}).  false: not a ticket.
 */
static bool read_ticket(const cJSON *root, const struct helpdesk_config *cfg, struct ticket_in *t)
{
	const cJSON *tk = cJSON_GetObjectItemCaseSensitive(root, "ticket"), *v, *f;
	size_t n = 0;

	memset(t, 0, sizeof(*t));
	if (!cJSON_IsObject(tk))
		tk = cJSON_GetObjectItemCaseSensitive(root, "detail");
	if (!cJSON_IsObject(tk) || !scalar(tk, "id", t->id, sizeof(t->id)))
		return false;
	for (const char *p = t->id; *p; p++)
		if (*p < '0' || *p > '9')
			return false; /* Zendesk's ticket ids are numbers: a URL path is built from it */
	if ((v = cJSON_GetObjectItemCaseSensitive(tk, "status")) && cJSON_IsString(v))
		for (size_t i = 0; v->valuestring[i] && i + 1 < sizeof(t->status); i++)
			t->status[i] = (char)(v->valuestring[i] >= 'A' && v->valuestring[i] <= 'Z'
						      ? v->valuestring[i] - 'A' + 'a'
						      : v->valuestring[i]);
	if (!t->status[0])
		snprintf(t->status, sizeof(t->status), "new");
	t->subject = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tk, "subject"));
	t->body = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tk, "description"));
	t->email = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(tk, "requester"), "email"));
	v = cJSON_GetObjectItemCaseSensitive(tk, "tags");
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(f, v)
			if (cJSON_IsString(f) && n < TAGS_MAX)
				t->tags[n++] = f->valuestring;
	} else if (cJSON_IsString(v)) {
		/* a trigger's {{ticket.tags}}: one string, space-separated */
		char *save = NULL;
		snprintf(t->tagbuf, sizeof(t->tagbuf), "%s", v->valuestring);
		for (char *w = strtok_r(t->tagbuf, " ,", &save); w && n < TAGS_MAX; w = strtok_r(NULL, " ,", &save))
			t->tags[n++] = w;
	}
	t->tags[n] = NULL;
	scalar(tk, "order_number", t->field, sizeof(t->field));
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(tk, "custom_fields")) {
		char id[32];
		if (cfg->order_field[0] && scalar(f, "id", id, sizeof(id)) && !strcmp(id, cfg->order_field))
			scalar(f, "value", t->field, sizeof(t->field));
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(tk, "created_at")) && cJSON_IsString(v))
		wtime_parse(v->valuestring, 0, &t->opened_at);
	return true;
}

/* X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, timestamp + body)),
 * the timestamp within SIG_WINDOW_S of now. */
static bool signed_ok(struct http_req *r, const char *secret, char *why, size_t cap)
{
	const char *sig = http_header(r, "X-Zendesk-Webhook-Signature");
	const char *ts = http_header(r, "X-Zendesk-Webhook-Signature-Timestamp");
	struct buf msg = BUF_INIT;
	int64_t at = 0;
	bool ok;

	if (!secret[0]) {
		snprintf(why, cap, "no [tickets] webhook_secret is configured");
		return false;
	}
	if (!sig || !ts) {
		snprintf(why, cap, "missing %s", !sig ? "X-Zendesk-Webhook-Signature" : "X-Zendesk-Webhook-Signature-Timestamp");
		return false;
	}
	if (wtime_parse(ts, 0, &at) != WTIME_OK || llabs(clock_wall_ms() - at) > SIG_WINDOW_S * 1000) {
		snprintf(why, cap, "X-Zendesk-Webhook-Signature-Timestamp is not a time within %d s of now", SIG_WINDOW_S);
		return false;
	}
	buf_puts(&msg, ts);
	buf_append(&msg, r->body.p, r->body.len);
	ok = !buf_failed(&msg) && sig_hmac_b64_ok(secret, msg.p, msg.len, sig);
	buf_release(&msg);
	if (!ok)
		snprintf(why, cap, "signature mismatch");
	return ok;
}

/* ---- the match ---- */

/* The order a ref names: an order number, else a parcel's tracking number. */
static bool order_of(struct store *st, const char *ref, char order[EV_ORDER_MAX + 1])
{
	char *json = NULL;
	enum werr err = strlen(ref) <= EV_ORDER_MAX ? store_get_order(st, ref, &json) : WERR_NOT_FOUND;

	free(json);
	if (!err) {
		snprintf(order, EV_ORDER_MAX + 1, "%s", ref);
		return true;
	}
	return strlen(ref) <= EV_PACKAGE_MAX && !store_find_package(st, ref, order);
}

/* Finds the order of t into order; the way in *how ("field", "text",
 * "email", "ambiguous", "none").  Storage errors: WERR_*. */
static enum werr match(struct store *st, const struct ticket_in *t, char order[EV_ORDER_MAX + 1], const char **how)
{
	struct ticket_refs refs;
	struct order_row *rows = NULL;
	size_t n = 0, recent = 0;
	int64_t since = clock_wall_ms() - EMAIL_DAYS * DAY_MS;
	enum werr err;

	order[0] = '\0';
	ticket_refs(t->field, t->tags, t->subject, t->body, &refs);
	for (size_t i = 0; i < refs.n; i++)
		if (order_of(st, refs.ref[i], order)) {
			*how = refs.from_field[i] ? "field" : "text";
			return WERR_OK;
		}
	*how = "none";
	if (!t->email || !t->email[0])
		return WERR_OK;
	if ((err = store_orders_by_email(st, t->email, EMAIL_ORDERS, &rows, &n)))
		return err;
	/* never guess between several of the customer's orders */
	for (size_t i = 0; i < n; i++)
		if (rows[i].updated_at >= since && recent++ == 0)
			snprintf(order, EV_ORDER_MAX + 1, "%s", rows[i].order);
	order_rows_free(rows, n);
	if (recent == 1)
		*how = "email";
	else if (recent > 1) {
		*how = "ambiguous";
		order[0] = '\0';
	} else {
		order[0] = '\0';
	}
	return WERR_OK;
}

/* ---- the note's view ---- */

static void tag_add(cJSON *tags, const char *prefix, const char *word)
{
	char t[80];
	size_t k = (size_t)snprintf(t, sizeof(t), "%s", prefix);

	for (const char *p = word; *p && k + 1 < sizeof(t); p++)
		t[k++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p
			 : (*p >= 'A' && *p <= 'Z')			   ? (char)(*p - 'A' + 'a')
									   : '_';
	t[k] = '\0';
	cJSON_AddItemToArray(tags, cJSON_CreateString(t));
}

/* The view of a note on ticket id about o (the found note when change is
 * NULL), with the order's answer, its open exceptions and the tags. */
static char *note_view(const struct helpdesk *h, const struct order_state *o, const struct exception_row *x, size_t nx,
		       const char *how, const char *change, const char *cause, int64_t now)
{
	struct notify_view_ctx c = { .milestone = "ticket_note", .trigger = "ticket_note", .rule = "ticket_note",
				     .package = -1, .ret = -1 };
	struct buf answer = BUF_INIT, url = BUF_INIT;
	cJSON *v, *arr, *tags;
	char *out = NULL, label[64];
	int64_t exp;

	if (h->app->links && !link_signer_url(h->app->links, o->order, 90, now, &url, &exp))
		c.tracking_url = url.p;
	c.milestones = &h->app->policy->milestones;
	if (!(v = notify_view(o, &c)) || answer_text(o, c.milestones, now, &answer))
		goto out;
	cJSON_AddStringToObject(v, "answer", answer.p);
	snprintf(label, sizeof(label), "%s", ord_customer_label(o->status));
	cJSON_ReplaceItemInObject(v, "status_label", cJSON_CreateString(label));
	cJSON_AddStringToObject(v, "matched_by", how);
	if (change)
		cJSON_AddStringToObject(v, "change", change);
	arr = cJSON_AddArrayToObject(v, "open_exceptions");
	for (size_t i = 0; arr && i < nx; i++) {
		cJSON *e = cJSON_CreateObject();
		int k = exc_kind_from_name(x[i].kind);
		if (!e || !cJSON_AddItemToArray(arr, e))
			break;
		cJSON_AddStringToObject(e, "kind", x[i].kind);
		cJSON_AddStringToObject(e, "reason", x[i].reason);
		cJSON_AddStringToObject(e, "team", k >= 0 ? exc_team_name(h->exc->team[k]) : "support");
		cJSON_AddStringToObject(e, "priority", k >= 0 ? exc_priority_name(h->exc->priority[k]) : "normal");
	}
	cJSON_AddBoolToObject(v, "has_open_exceptions", nx > 0);
	if ((tags = cJSON_AddArrayToObject(v, "ticket_tags"))) {
		if (!change) {
			cJSON_AddItemToArray(tags, cJSON_CreateString("wismo_order_found"));
			tag_add(tags, "wismo_cause_", cause);
		}
		tag_add(tags, "wismo_status_", ord_status_name(o->status));
		if (o->nconflicts)
			cJSON_AddItemToArray(tags, cJSON_CreateString("wismo_conflict"));
	}
	out = cJSON_PrintUnformatted(v);
out:
	cJSON_Delete(v);
	buf_release(&answer);
	buf_release(&url);
	return out;
}

/* An outbox row on the ticket channel: rule names its template too; recipient
 * is "ticket:<id>" for a help desk's ticket, or a team for the order's task ticket. */
static void note_row(struct outbox_row *row, const char *rule, const char *order, const char *milestone,
		     const char *recipient, int64_t now, int64_t next_at, char *view)
{
	memset(row, 0, sizeof(*row));
	snprintf(row->order, sizeof(row->order), "%s", order);
	snprintf(row->rule, sizeof(row->rule), "%s", rule);
	snprintf(row->milestone, sizeof(row->milestone), "%s", milestone);
	snprintf(row->channel, sizeof(row->channel), "ticket");
	snprintf(row->recipient, sizeof(row->recipient), "%s", recipient);
	snprintf(row->template_name, sizeof(row->template_name), "%s", rule);
	snprintf(row->locale, sizeof(row->locale), "en");
	snprintf(row->state, sizeof(row->state), "%s", outbox_state_name(OUTBOX_PENDING));
	row->created_at = now;
	row->next_at = next_at;
	notify_outbox_key(row->order, row->milestone, row->channel, row->recipient, row->key);
	row->view = view;
}

/* The carrier of o's outbound parcels: one name, "mixed", or "". */
static void carrier_of(const struct order_state *o, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		if (p->is_return || !p->carrier[0])
			continue;
		if (out[0] && strcmp(out, p->carrier)) {
			snprintf(out, cap, "mixed");
			return;
		}
		snprintf(out, cap, "%s", p->carrier);
	}
}

/* The order folded, the number of its events no table knew (and the first
 * one's source), its open exceptions with when the customer may hear of
 * each. */
struct ticket_order {
	struct order_state o;
	size_t nunmapped;
	char unmapped_source[EV_SOURCE_MAX + 1];
	struct exception_row *xr;
	struct order_exception *x;
	int64_t *told;
	size_t nx;
};

static void ticket_order_release(struct ticket_order *to)
{
	order_release(&to->o);
	free(to->xr);
	free(to->x);
	free(to->told);
}

static enum werr ticket_order_load(const struct helpdesk *h, struct store *st, const char *order, struct ticket_order *to)
{
	struct event *evs = NULL;
	enum ev_outcome *outc = NULL;
	size_t n = 0;
	enum werr err;

	memset(to, 0, sizeof(*to));
	order_init(&to->o);
	if ((err = store_order_events(st, order, &evs, &n)))
		return err;
	if (n && !(outc = calloc(n, sizeof(*outc))))
		err = WERR_NOMEM;
	if (!err && n && !(err = store_fold(st, h->app->policy, evs, n, &to->o, outc)))
		for (size_t i = 0; i < n; i++)
			if (outc[i] == OUT_UNMAPPED && !to->nunmapped++)
				snprintf(to->unmapped_source, sizeof(to->unmapped_source), "%s", evs[i].source);
	free(outc);
	event_array_free(evs, n);
	if (err || (err = store_exc_list(st, order, (int)exceptions_max(&to->o) + 1, &to->xr, &to->nx)))
		return err;
	to->x = calloc(to->nx ? to->nx : 1, sizeof(*to->x));
	to->told = calloc(to->nx ? to->nx : 1, sizeof(*to->told));
	if (!to->x || !to->told)
		return WERR_NOMEM;
	for (size_t i = 0; i < to->nx; i++) {
		int k = exc_kind_from_name(to->xr[i].kind);
		to->x[i].kind = k >= 0 ? (enum exc_kind)k : EXC_CARRIER_EXCEPTION;
		snprintf(to->x[i].package, sizeof(to->x[i].package), "%s", to->xr[i].package);
		to->x[i].since = to->xr[i].since;
		to->told[i] = k >= 0 ? exc_customer_at(h->exc, &h->app->policy->cal, (enum exc_kind)k, to->xr[i].since)
				     : to->xr[i].since;
		/* a kind no customer rule speaks of is never told: the grace is all there is */
	}
	return WERR_OK;
}

/* ---- the tickets wismo opened for its tasks ---- */

/* An agent solved the task ticket of order: with [tickets] resolve_tasks,
 * the order's live tasks are resolved by hand ("manual", audited as the help
 * desk's).  *n gets how many. */
static enum werr resolve_tasks(struct helpdesk *h, const char *order, const char *ticket, int64_t now, size_t *n)
{
	struct task_query q = { "live", NULL, NULL, order, 1000 };
	struct task_row *t = NULL;
	struct store *st;
	size_t nt = 0;
	enum werr err;

	*n = 0;
	if (!(st = notify_side_lock(h->app->planner)))
		return WERR_STORAGE_DOWN;
	if (!(err = store_begin(st))) {
		err = store_task_list(st, &q, &t, &nt);
		for (size_t i = 0; !err && i < nt; i++) {
			char subject[48], detail[160];
			snprintf(t[i].state, sizeof(t[i].state), "resolved");
			snprintf(t[i].resolution, sizeof(t[i].resolution), "manual");
			snprintf(t[i].note, sizeof(t[i].note), "solved in the help desk (ticket %s)", ticket);
			t[i].resolved_at = now;
			snprintf(subject, sizeof(subject), "task:%lld", (long long)t[i].id);
			snprintf(detail, sizeof(detail), "{\"order\":\"%.64s\",\"ticket\":\"%.40s\"}", order, ticket);
			if (!(err = store_task_update(st, &t[i])))
				err = store_audit_put(st, "helpdesk", "task.resolve", subject, detail, now);
		}
		err = err ? err : store_commit(st);
		if (err)
			store_rollback(st);
		else
			*n = nt;
	}
	notify_side_unlock(h->app->planner);
	free(t);
	return err;
}

/* A resolved task's word on its order's ticket: a comment, or the ticket
 * solved when no live task of the order remains (core/exceptions.h: the
 * owning team's ticket, opened by the exception_task rule). */
static enum werr task_ticket_notes(struct store *st, const struct order_state *o, const struct task_row *t, size_t nt,
				   int64_t now)
{
	size_t live = 0;
	enum werr err = WERR_OK;

	for (size_t i = 0; i < nt; i++)
		live += strcmp(t[i].state, "resolved") != 0;
	for (size_t i = 0; i < nt && !err; i++) {
		struct outbox_row row;
		char milestone[64], *view;
		cJSON *v;
		bool dup;
		if (strcmp(t[i].state, "resolved") || t[i].resolved_at != now || strcmp(t[i].resolution, "auto"))
			continue;
		if (!(v = cJSON_CreateObject()))
			return WERR_NOMEM;
		cJSON_AddStringToObject(v, "order_number", o->order);
		cJSON_AddStringToObject(v, "kind", t[i].kind);
		cJSON_AddStringToObject(v, "reason", t[i].reason);
		cJSON_AddNumberToObject(v, "task", (double)t[i].id);
		cJSON_AddStringToObject(v, "status_label", ord_customer_label(o->status));
		cJSON_AddStringToObject(v, "ticket_status", live ? "open" : "solved");
		view = cJSON_PrintUnformatted(v);
		cJSON_Delete(v);
		if (!view)
			return WERR_NOMEM;
		snprintf(milestone, sizeof(milestone), "task_resolved:%lld", (long long)t[i].id);
		/* the order's own task ticket: the team is the recipient, as the rule's rows */
		note_row(&row, "task_resolved", o->order, milestone, t[i].team, now, now, view);
		err = store_outbox_put(st, &row, &dup);
		free(view);
	}
	return err;
}

/* Whether task t closed by itself in this batch (its exception closed). */
static bool closed_now(const struct task_row *t, int64_t now)
{
	return !strcmp(t->state, "resolved") && t->resolved_at == now && !strcmp(t->resolution, "auto");
}

/* ---- the webhook ---- */

static enum http_result post_ticket(struct http_req *r)
{
	struct helpdesk *h = http_ctx(r);
	struct app *a = h->app;
	struct ticket_in t;
	struct ticket_row row;
	struct ticket_order to;
	struct outbox_row note;
	struct store *rd, *st;
	const char *how = "none";
	char why[160], order[EV_ORDER_MAX + 1], *view = NULL, ms[96];
	enum ticket_cause cause = CAUSE_HEALTHY;
	bool created = false, dup, loaded = false;
	int64_t now = clock_wall_ms();
	cJSON *root;
	enum werr err;

	if (!signed_ok(r, h->cfg->webhook_secret, why, sizeof(why))) {
		wlog(LOG_WARN, "ticket_signature_rejected", "detail", why, NULL);
		http_fail(r, HE_INVALID_SIGNATURE, "%s", why);
		return HTTP_DONE;
	}
	if (!(root = app_json_body(r, 0)))
		return HTTP_DONE;
	if (!read_ticket(root, h->cfg, &t)) {
		cJSON_Delete(root);
		http_fail(r, HE_INVALID_BODY, "the body names no ticket: {\"ticket\": {\"id\": ...}} (docs/helpdesk.md)");
		return HTTP_DONE;
	}
	if (!t.opened_at || t.opened_at > now)
		t.opened_at = now;
	memset(&row, 0, sizeof(row));
	if (!(rd = app_reader(a, r))) {
		cJSON_Delete(root);
		return HTTP_DONE;
	}
	/* one of the tickets wismo opened for its tasks: an agent's word on it */
	if (!(err = store_tk_own(rd, t.id, order))) {
		size_t n = 0;
		cJSON_Delete(root);
		if ((!strcmp(t.status, "solved") || !strcmp(t.status, "closed")) && h->cfg->resolve_tasks &&
		    (err = resolve_tasks(h, order, t.id, now, &n))) {
			http_werr(r, err, "unable to resolve the tasks");
			return HTTP_DONE;
		}
		if (n && a->http) {
			const char *o1 = order;
			sse_hub_notify(http_server_hub(a->http), &o1, 1);
		}
		r->status = 200;
		buf_reset(&r->out);
		buf_printf(&r->out, "{\"ticket\":\"%s\",\"order\":", t.id);
		buf_json_str(&r->out, order);
		buf_printf(&r->out, ",\"matched\":\"task_ticket\",\"resolved_tasks\":%zu,\"new\":false}", n);
		return HTTP_DONE;
	}
	if (err != WERR_NOT_FOUND || (err = match(rd, &t, order, &how))) {
		cJSON_Delete(root);
		if (rd)
			http_werr(r, err, store_errmsg(rd));
		return HTTP_DONE;
	}
	if (order[0]) {
		if ((err = ticket_order_load(h, rd, order, &to))) {
			ticket_order_release(&to);
			cJSON_Delete(root);
			http_werr(r, err, "unable to read the order");
			return HTTP_DONE;
		}
		loaded = true;
		cause = ticket_cause(&to.o, to.x, to.told, to.nx, to.nunmapped, to.unmapped_source, t.opened_at, row.link,
				     sizeof(row.link));
		carrier_of(&to.o, row.carrier, sizeof(row.carrier));
	}
	snprintf(row.ticket_id, sizeof(row.ticket_id), "%s", t.id);
	snprintf(row.order, sizeof(row.order), "%s", order);
	snprintf(row.matched, sizeof(row.matched), "%s", how);
	snprintf(row.status, sizeof(row.status), "%s", t.status);
	snprintf(row.cause, sizeof(row.cause), "%s", order[0] ? ticket_cause_name(cause) : "");
	row.opened_at = t.opened_at;
	row.updated_at = now;
	cJSON_Delete(root);
	/* the first note (or, ambiguous, the tag alone); its key makes it once */
	snprintf(ms, sizeof(ms), "ticket_note:%s", t.id);
	if (loaded && h->notes)
		view = note_view(h, &to.o, to.xr, to.nx, how, NULL, ticket_cause_name(cause), now);
	else if (!strcmp(how, "ambiguous") && h->notes)
		view = strdup("{\"ticket_tags\":[\"wismo_order_ambiguous\"],\"tags_only\":true}");
	if (loaded)
		ticket_order_release(&to);
	if (!(st = notify_side_lock(a->planner))) {
		free(view);
		http_fail(r, HE_STORAGE_UNAVAILABLE, "the store cannot be written now");
		r->retry_after = "1";
		return HTTP_DONE;
	}
	if (!(err = store_begin(st))) {
		err = store_tk_put(st, &row, &created);
		if (!err && view && strcmp(t.status, "solved") && strcmp(t.status, "closed")) {
			/* an outbox row names an order: a ticket no order matched stands for itself */
			char self[EV_ORDER_MAX + 16], rcpt[80];
			snprintf(self, sizeof(self), "helpdesk:%.40s", t.id);
			snprintf(rcpt, sizeof(rcpt), "ticket:%s", t.id);
			note_row(&note, "ticket_note", order[0] ? order : self, ms, rcpt, now, now, view);
			err = store_outbox_put(st, &note, &dup);
		}
		err = err ? err : store_commit(st);
		if (err)
			store_rollback(st);
	}
	notify_side_unlock(a->planner);
	free(view);
	if (err) {
		http_werr(r, err, "unable to record the ticket");
		return HTTP_DONE;
	}
	wlog(LOG_INFO, "ticket_received", "ticket", t.id, "matched", how, "cause", row.cause, "new",
	     created ? "true" : "false", NULL);
	{
		struct buf *b = &r->out;
		r->status = 200;
		buf_reset(b);
		buf_puts(b, "{\"ticket\":");
		buf_json_str(b, t.id);
		buf_puts(b, ",\"order\":");
		if (order[0])
			buf_json_str(b, order);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"matched\":");
		buf_json_str(b, how);
		buf_puts(b, ",\"cause\":");
		if (row.cause[0])
			buf_json_str(b, row.cause);
		else
			buf_puts(b, "null");
		buf_puts(b, created ? ",\"new\":true}" : ",\"new\":false}");
	}
	return HTTP_DONE;
}

static const struct http_route rows[] = {
	/* signed by the help desk; a literal, so it is matched before /hooks/{source} */
	{ "POST", "/hooks/helpdesk", 0, "helpdesk", post_ticket },
};

struct http_routes helpdesk_routes(struct helpdesk *h)
{
	return HTTP_ROUTES(rows, h);
}

/* ---- change notes ---- */

enum werr helpdesk_project(void *ctx, struct store *st, const struct order_state *o, int64_t now)
{
	struct helpdesk *h = ctx;
	struct ticket_row *tk = NULL;
	struct rules_milestone ms[32];
	struct exception_row *xr = NULL;
	struct task_query q = { NULL, NULL, NULL, o->order, 1000 };
	struct task_row *tasks = NULL;
	size_t n = 0, nms, nx = 0, nt = 0;
	enum werr err = WERR_OK;

	if (!h->notes)
		return WERR_OK;
	if ((err = store_task_list(st, &q, &tasks, &nt)) || (err = task_ticket_notes(st, o, tasks, nt, now)))
		goto out_tk;
	if (!h->cfg->webhook_secret[0] || (err = store_tk_list(st, o->order, &tk, &n)) || !n)
		goto out_tk;
	if ((err = store_exc_list(st, o->order, (int)exceptions_max(o) + 1, &xr, &nx)))
		goto out_tk;
	nms = rules_milestones(o, ms, sizeof(ms) / sizeof(ms[0]));
	for (size_t i = 0; i < n && !err; i++) {
		struct ticket_row *t = &tk[i];
		int64_t next = now;
		if (!strcmp(t->status, "solved") || !strcmp(t->status, "closed"))
			continue;
		/* each milestone, exception opened and exception closed since the ticket, once; spaced */
		for (size_t k = 0; k < nms + nx + nt && !err; k++) {
			char key[96], change[96], *view;
			struct outbox_row row;
			bool dup;
			int64_t at = k < nms ? ms[k].at : k < nms + nx ? xr[k - nms].since : tasks[k - nms - nx].resolved_at;
			if (k >= nms + nx && !closed_now(&tasks[k - nms - nx], now))
				continue;
			if (at <= t->opened_at)
				continue;
			if (k < nms) {
				snprintf(key, sizeof(key), "note:%.40s", ms[k].key);
				snprintf(change, sizeof(change), "%s", ms[k].trigger);
			} else if (k < nms + nx) {
				snprintf(key, sizeof(key), "note:exc:%.24s:%.20s@%lld", xr[k - nms].kind, xr[k - nms].package,
					 (long long)(xr[k - nms].since / 60000));
				snprintf(change, sizeof(change), "exception %s opened", xr[k - nms].kind);
			} else {
				const struct task_row *tr = &tasks[k - nms - nx];
				snprintf(key, sizeof(key), "note:closed:%lld", (long long)tr->id);
				snprintf(change, sizeof(change), "exception %s closed", tr->kind);
			}
			if (t->noted_at && next < t->noted_at + (int64_t)h->cfg->note_minutes * 60000)
				next = t->noted_at + (int64_t)h->cfg->note_minutes * 60000;
			if (!(view = note_view(h, o, xr, nx, t->matched, change, t->cause, now))) {
				err = WERR_NOMEM;
				break;
			}
			/* the outbox key is per ticket and change: a refold finds it */
			{
				char milestone[64], rcpt[80];
				snprintf(milestone, sizeof(milestone), "%.20s:%.42s", t->ticket_id, key);
				snprintf(rcpt, sizeof(rcpt), "ticket:%s", t->ticket_id);
				note_row(&row, "ticket_note", o->order, milestone, rcpt, now, next, view);
			}
			err = store_outbox_put(st, &row, &dup);
			free(view);
			if (!err && !dup) {
				t->noted_at = next;
				err = store_tk_noted(st, t->ticket_id, next);
				wlog(LOG_INFO, "ticket_note_planned", "ticket", t->ticket_id, "change", change, NULL);
			}
		}
	}
	free(xr);
out_tk:
	free(tk);
	free(tasks);
	return err;
}
