/*
 * privacy.c - erasure and export of a person's data (privacy.h,
 * docs/privacy.md), written once over the store interface so that every
 * backend, the CLI, the API and the Shopify privacy webhooks share it.
 */
#include "privacy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "writer.h"
#include "../base/walloc.h"
#include "../base/banned.h"

#define IDS_MAX 16 /* distinct emails or phones of one person's orders */

struct ids {
	size_t nemail, nphone;
	char email[IDS_MAX][EV_EMAIL_MAX + 1];
	char phone[IDS_MAX][EV_PHONE_MAX + 1];
};

enum werr privacy_who_set(struct privacy_who *who, const char *by, const char *value, char *why, size_t whycap)
{
	char *dst;
	size_t cap;

	memset(who, 0, sizeof(*who));
	if (!strcmp(by, "email"))
		dst = who->email, cap = sizeof(who->email);
	else if (!strcmp(by, "phone"))
		dst = who->phone, cap = sizeof(who->phone);
	else if (!strcmp(by, "order"))
		dst = who->order, cap = sizeof(who->order);
	else if (!strcmp(by, "source"))
		dst = who->source, cap = sizeof(who->source);
	else {
		snprintf(why, whycap, "name the person by exactly one of email, phone or order");
		return WERR_INVALID;
	}
	if (!value || !value[0] || strlen(value) >= cap) {
		snprintf(why, whycap, "%s must be 1 to %zu characters", by, cap - 1);
		return WERR_INVALID;
	}
	memcpy(dst, value, strlen(value) + 1);
	return WERR_OK;
}

static const char *who_by(const struct privacy_who *who)
{
	return who->email[0] ? "email" : who->phone[0] ? "phone" : who->order[0] ? "order" : "source";
}

struct by_source {
	struct store *st;
	const char *source;
	struct privacy_result *res;
	size_t cap;
};

static enum werr order_of_source(const char *order, void *ctx)
{
	struct by_source *b = ctx;
	struct event *evs = NULL;
	size_t n = 0;
	bool hit = false;
	enum werr err = store_order_events(b->st, order, &evs, &n);

	for (size_t i = 0; i < n && !hit; i++)
		hit = !strcmp(evs[i].source, b->source);
	event_array_free(evs, n);
	if (err || !hit)
		return err;
	if (b->res->norders == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->res->orders = wrealloc(b->res->orders, b->cap * sizeof(*b->res->orders));
	}
	memcpy(b->res->orders[b->res->norders++], order, strlen(order) + 1);
	return WERR_OK;
}

/* The orders of the person; an order number names one order if the log has it. */
static enum werr find_orders(struct store *st, const struct privacy_who *who, struct privacy_result *res)
{
	struct event *evs = NULL;
	size_t n = 0;
	enum werr err;

	if (who->source[0]) {
		struct by_source b = { st, who->source, res, 0 };
		return store_each_order(st, order_of_source, &b);
	}
	if (!who->order[0])
		return store_person_orders(st, who->email, who->phone, &res->orders, &res->norders);
	if ((err = store_order_events(st, who->order, &evs, &n)))
		return err;
	event_array_free(evs, n);
	if (n) {
		res->orders = wmalloc(sizeof(*res->orders));
		memcpy(res->orders[0], who->order, strlen(who->order) + 1);
		res->norders = 1;
	}
	return WERR_OK;
}

/* Emails compare case-insensitively (the erasure matches them so). */
static void emails_add(struct ids *ids, const char *v)
{
	if (!v[0] || ids->nemail == IDS_MAX)
		return;
	for (size_t i = 0; i < ids->nemail; i++)
		if (!strcasecmp(ids->email[i], v))
			return;
	snprintf(ids->email[ids->nemail++], sizeof(ids->email[0]), "%s", v);
}

static void phones_add(struct ids *ids, const char *v)
{
	if (!v[0] || ids->nphone == IDS_MAX)
		return;
	for (size_t i = 0; i < ids->nphone; i++)
		if (!strcmp(ids->phone[i], v))
			return;
	snprintf(ids->phone[ids->nphone++], sizeof(ids->phone[0]), "%s", v);
}

/* Every email and phone the orders' events name, read before they go. */
static enum werr collect_ids(struct store *st, const struct privacy_result *res, struct ids *ids)
{
	enum werr err = WERR_OK;

	for (size_t i = 0; i < res->norders && !err; i++) {
		struct event *evs = NULL;
		size_t n = 0;

		err = store_order_events(st, res->orders[i], &evs, &n);
		for (size_t k = 0; k < n; k++) {
			emails_add(ids, evs[k].customer.email);
			phones_add(ids, evs[k].customer.phone);
		}
		event_array_free(evs, n);
	}
	return err;
}

static enum werr audit(struct store *st, const struct privacy_who *who, const char *actor, int64_t at,
		       const struct privacy_result *res)
{
	const struct erase_counts *c = &res->counts;
	struct buf d = BUF_INIT;
	char subject[EV_ORDER_MAX + 16];
	enum werr err;

	/* the subject never names the person: an order number is a fact the
	 * event log keeps anyway */
	if (who->order[0])
		snprintf(subject, sizeof(subject), "order %s", who->order);
	else if (who->source[0])
		snprintf(subject, sizeof(subject), "source %s", who->source);
	else
		snprintf(subject, sizeof(subject), "by %s", who_by(who));
	buf_printf(&d, "{\"by\":\"%s\",\"orders\":[", who_by(who));
	for (size_t i = 0; i < res->norders; i++) {
		if (i)
			buf_putc(&d, ',');
		buf_json_str(&d, res->orders[i]);
	}
	buf_printf(&d,
		   "],\"events\":%lld,\"raw_payloads\":%lld,\"messages\":%lld,\"parked\":%lld,\"consent\":%lld,"
		   "\"audit\":%lld}",
		   (long long)c->events, (long long)c->raws, (long long)c->outbox, (long long)c->parked,
		   (long long)c->consent, (long long)c->audit);
	err = buf_failed(&d) ? WERR_TOO_LARGE : store_audit_put(st, actor, "privacy.erase", subject, d.p, at);
	buf_release(&d);
	return err;
}

/* The refolded orders, to the other nodes and to the lookup caches
 * (store_cache.h): a cache that served the projection from before the
 * erasure would show the person's data again. */
static enum werr announce(struct store *st, const struct privacy_result *res)
{
	const char **names;
	enum werr err;

	if (!res->norders)
		return WERR_OK;
	names = wcalloc(res->norders, sizeof(*names));
	for (size_t i = 0; i < res->norders; i++)
		names[i] = res->orders[i];
	err = store_announce(st, names, res->norders);
	free(names);
	return err;
}

enum werr privacy_erase(struct store *st, const struct policy *pol, const struct privacy_who *who,
			const char *actor, int64_t at, struct privacy_result *res)
{
	struct ids *ids = wcalloc(1, sizeof(*ids));
	enum werr err;

	memset(res, 0, sizeof(*res));
	if ((err = find_orders(st, who, res)))
		goto out;
	if (!who->order[0] && !who->source[0]) {
		emails_add(ids, who->email);
		phones_add(ids, who->phone);
		if ((err = collect_ids(st, res, ids)))
			goto out;
	}
	for (size_t i = 0; i < res->norders && !err; i++)
		if (!(err = store_erase_order(st, res->orders[i], at, &res->counts)))
			err = project_order(st, pol, res->orders[i], NULL);
	for (size_t i = 0; i < ids->nemail && !err; i++)
		err = store_erase_person(st, ids->email[i], "", at, &res->counts);
	for (size_t i = 0; i < ids->nphone && !err; i++)
		err = store_erase_person(st, "", ids->phone[i], at, &res->counts);
	if (!err)
		err = announce(st, res);
	if (!err)
		err = audit(st, who, actor, at, res);
out:
	free(ids);
	return err;
}

static enum werr export_messages(struct store *st, const char *order, bool *first, struct buf *out)
{
	struct outbox_row *rows = NULL;
	size_t n = 0;
	enum werr err = store_outbox_list(st, NULL, order, 1000, &rows, &n);

	for (size_t i = 0; i < n; i++) {
		buf_puts(out, *first ? "{\"order\":" : ",{\"order\":");
		*first = false;
		buf_json_str(out, rows[i].order);
		buf_puts(out, ",\"channel\":");
		buf_json_str(out, rows[i].channel);
		buf_puts(out, ",\"recipient\":");
		buf_json_str(out, rows[i].recipient);
		buf_puts(out, ",\"state\":");
		buf_json_str(out, rows[i].state);
		buf_printf(out, ",\"created_at\":%lld,\"sent_at\":%lld}", (long long)rows[i].created_at,
			   (long long)rows[i].sent_at);
	}
	outbox_rows_free(rows, n);
	return err;
}

/* The customer as each order's events gave it: each distinct one once. */
static enum werr export_customers(struct store *st, const char *order, bool *first, struct buf *out)
{
	struct event *evs = NULL;
	size_t n = 0;
	enum werr err = store_order_events(st, order, &evs, &n);

	for (size_t i = 0; i < n; i++) {
		const struct event_customer *c = &evs[i].customer;
		bool seen = !c->name[0] && !c->email[0] && !c->phone[0] && !c->postal_code[0];

		for (size_t k = 0; k < i && !seen; k++)
			seen = !memcmp(c, &evs[k].customer, sizeof(*c));
		if (seen)
			continue;
		buf_puts(out, *first ? "{\"order\":" : ",{\"order\":");
		*first = false;
		buf_json_str(out, order);
		buf_puts(out, ",\"name\":");
		buf_json_str(out, c->name);
		buf_puts(out, ",\"email\":");
		buf_json_str(out, c->email);
		buf_puts(out, ",\"phone\":");
		buf_json_str(out, c->phone);
		buf_puts(out, ",\"postal_code\":");
		buf_json_str(out, c->postal_code);
		buf_putc(out, '}');
	}
	event_array_free(evs, n);
	return err;
}

enum werr privacy_export(struct store *st, const struct privacy_who *who, struct buf *out)
{
	struct privacy_result res = { 0 };
	struct ids *ids = wcalloc(1, sizeof(*ids));
	bool first = true;
	enum werr err;

	if ((err = find_orders(st, who, &res)) || (err = collect_ids(st, &res, ids)))
		goto out;
	phones_add(ids, who->phone);
	buf_puts(out, "{\"by\":");
	buf_json_str(out, who_by(who));
	buf_puts(out, ",\"value\":");
	buf_json_str(out, who->email[0] ? who->email : who->phone[0] ? who->phone : who->order[0] ? who->order
														      : who->source);
	buf_puts(out, ",\"orders\":[");
	for (size_t i = 0; i < res.norders && !err; i++) {
		char *json = NULL;

		err = store_get_order(st, res.orders[i], &json);
		if (err == WERR_NOT_FOUND) { /* events not folded yet: nothing to show */
			err = WERR_OK;
			continue;
		}
		if (!err) {
			if (!first)
				buf_putc(out, ',');
			first = false;
			buf_puts(out, json);
		}
		free(json);
	}
	buf_puts(out, "],\"customers\":[");
	first = true;
	for (size_t i = 0; i < res.norders && !err; i++)
		err = export_customers(st, res.orders[i], &first, out);
	buf_puts(out, "],\"messages\":[");
	first = true;
	for (size_t i = 0; i < res.norders && !err; i++)
		err = export_messages(st, res.orders[i], &first, out);
	buf_puts(out, "],\"consent\":[");
	first = true;
	for (size_t i = 0; i < ids->nphone && !err; i++) {
		bool opted = false;
		int64_t at = 0;

		err = store_consent_get(st, ids->phone[i], &opted, &at);
		if (err == WERR_NOT_FOUND) {
			err = WERR_OK;
			continue;
		}
		if (err)
			break;
		buf_puts(out, first ? "{\"phone\":" : ",{\"phone\":");
		first = false;
		buf_json_str(out, ids->phone[i]);
		buf_printf(out, ",\"sms\":%s,\"at\":%lld}", opted ? "true" : "false", (long long)at);
	}
	buf_puts(out, "]}");
	if (!err && buf_failed(out))
		err = WERR_TOO_LARGE;
out:
	privacy_result_release(&res);
	free(ids);
	return err;
}

void privacy_result_release(struct privacy_result *res)
{
	free(res->orders);
	res->orders = NULL;
	res->norders = 0;
}
