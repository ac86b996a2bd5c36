/*
 * privacy.c - a person's data through the API (docs/api.md "Personal data",
 * docs/privacy.md): POST /v1/erasures erases, POST /v1/exports returns what
 * wismo holds.  Both take the person in the body ({"email"}, {"phone"} or
 * {"order"}), never in the URL, so no access log carries it.
 *
 * The erasure writes through the side store (notify/planner.h), as the
 * other admin changes do, not the ingest writer: it is rare, and its one
 * transaction waits its turn for the database lock like any other writer.
 * The export reads with this thread's read-only store.  A source's privacy
 * webhook (Shopify's customers/redact, shop/redact, customers/data_request)
 * arrives verified from hooks.c and is acted on here; its body is not kept.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../adapters/adapter.h"
#include "../base/clock.h"
#include "../notify/planner.h"
#include "../store/privacy.h"
#include "api_int.h"
#include "../base/banned.h"

/* The person the body names, or false after answering. */
static bool read_who(struct http_req *r, struct privacy_who *who)
{
	static const char *const names[] = { "email", "phone", "order" };
	cJSON *in = app_json_body(r, 0);
	const char *by = NULL, *value = NULL;
	char why[128];
	int n = 0;

	if (!in)
		return false;
	if (!cJSON_IsObject(in)) {
		cJSON_Delete(in);
		http_fail(r, HE_MALFORMED_JSON, "the body must be a JSON object");
		return false;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(in, names[i]);
		if (!v)
			continue;
		n++;
		by = names[i];
		value = cJSON_IsString(v) ? v->valuestring : "";
	}
	if (n != 1 || privacy_who_set(who, by, value, why, sizeof(why))) {
		cJSON_Delete(in);
		http_fail(r, HE_INVALID_FIELD, "%s",
			  n != 1 ? "name the person by exactly one of 'email', 'phone' or 'order' (a string)" : why);
		return false;
	}
	cJSON_Delete(in);
	return true;
}

enum http_result api_post_erasure(struct http_req *r)
{
	struct notify_planner *p = api_app(r)->planner;
	const struct api_key *k = app_key(r);
	struct privacy_result res = { 0 };
	struct privacy_who who;
	struct store *st;
	struct buf *b = &r->out;
	enum werr e;

	if (!read_who(r, &who))
		return HTTP_DONE;
	if (!(st = notify_side_lock(p))) {
		http_fail(r, HE_STORAGE_UNAVAILABLE, "the store cannot be written now");
		r->retry_after = "1";
		return HTTP_DONE;
	}
	if (!(e = store_begin(st))) {
		if (!(e = privacy_erase(st, api_app(r)->policy, &who, k->prefix[0] ? k->prefix : "unknown",
					clock_wall_ms(), &res)))
			e = store_commit(st);
		if (e)
			store_rollback(st);
	}
	notify_side_unlock(p);
	if (e) {
		privacy_result_release(&res);
		http_werr(r, e, "unable to erase; nothing was changed");
		return HTTP_DONE;
	}
	r->status = 200;
	buf_reset(b);
	buf_puts(b, "{\"orders\":[");
	for (size_t i = 0; i < res.norders; i++) {
		if (i)
			buf_putc(b, ',');
		buf_json_str(b, res.orders[i]);
	}
	buf_printf(b,
		   "],\"events\":%lld,\"raw_payloads\":%lld,\"messages\":%lld,\"parked\":%lld,\"consent\":%lld,"
		   "\"audit\":%lld}",
		   (long long)res.counts.events, (long long)res.counts.raws, (long long)res.counts.outbox,
		   (long long)res.counts.parked, (long long)res.counts.consent, (long long)res.counts.audit);
	privacy_result_release(&res);
	return HTTP_DONE;
}

enum http_result api_post_export(struct http_req *r)
{
	struct privacy_who who;
	struct store *st;
	struct buf *b = &r->out;
	enum werr e;

	if (!read_who(r, &who))
		return HTTP_DONE;
	if (!(st = app_reader(api_app(r), r)))
		return HTTP_DONE;
	buf_reset(b);
	if ((e = privacy_export(st, &who, b))) {
		buf_reset(b);
		http_werr(r, e, store_errmsg(st));
		return HTTP_DONE;
	}
	r->status = 200;
	http_add_header(r, "Cache-Control", "no-store"); /* a person's data: no copy on the way */
	return HTTP_DONE;
}

/* The erasures one privacy webhook asks for, in one transaction: each
 * order it names (through the source's aliases), then the person. */
static enum werr hook_erase(struct store *st, const struct policy *pol, const char *source,
			    const struct adapter_privacy *pr, int64_t now, size_t *norders)
{
	struct privacy_who who;
	struct privacy_result res;
	char why[128];
	enum werr e = WERR_OK;

	*norders = 0;
	if (!strcmp(pr->action, "erase_source")) {
		if ((e = privacy_who_set(&who, "source", source, why, sizeof(why))) ||
		    (e = privacy_erase(st, pol, &who, source, now, &res)))
			return e;
		*norders += res.norders;
		privacy_result_release(&res);
		return WERR_OK;
	}
	for (size_t i = 0; i < pr->nrefs && !e; i++) {
		struct store_alias a;

		e = store_alias_find(st, source, pr->refs[i], &a);
		if (e == WERR_NOT_FOUND || (!e && !a.order[0])) {
			e = WERR_OK; /* an order wismo never saw */
			continue;
		}
		if (!e && !(e = privacy_who_set(&who, "order", a.order, why, sizeof(why))) &&
		    !(e = privacy_erase(st, pol, &who, source, now, &res))) {
			*norders += res.norders;
			privacy_result_release(&res);
		}
	}
	if (!e && pr->email[0] && !(e = privacy_who_set(&who, "email", pr->email, why, sizeof(why))) &&
	    !(e = privacy_erase(st, pol, &who, source, now, &res))) {
		*norders += res.norders;
		privacy_result_release(&res);
	}
	if (!e && pr->phone[0] && !(e = privacy_who_set(&who, "phone", pr->phone, why, sizeof(why))) &&
	    !(e = privacy_erase(st, pol, &who, source, now, &res))) {
		*norders += res.norders;
		privacy_result_release(&res);
	}
	return e;
}

/* A data request is recorded for the shop's admin, who answers it with
 * POST /v1/exports: the entry names the request and the orders, never the
 * person (the shop has the customer's address in its own admin). */
static enum werr hook_data_request(struct store *st, const char *source, const struct adapter_privacy *pr,
				   int64_t now)
{
	struct buf d = BUF_INIT;
	char subject[EV_ID_MAX + 16];
	enum werr e = WERR_OK;
	bool first = true;

	snprintf(subject, sizeof(subject), "request %s", pr->request_id[0] ? pr->request_id : "-");
	buf_puts(&d, "{\"orders\":[");
	for (size_t i = 0; i < pr->nrefs && !e; i++) {
		struct store_alias a;

		e = store_alias_find(st, source, pr->refs[i], &a);
		if (e == WERR_NOT_FOUND || (!e && !a.order[0])) {
			e = WERR_OK;
			continue;
		}
		if (!e) {
			if (!first)
				buf_putc(&d, ',');
			first = false;
			buf_json_str(&d, a.order);
		}
	}
	buf_printf(&d, "],\"has_email\":%s,\"has_phone\":%s,\"answer_with\":\"POST /v1/exports\"}",
		   pr->email[0] ? "true" : "false", pr->phone[0] ? "true" : "false");
	if (!e)
		e = buf_failed(&d) ? WERR_TOO_LARGE
				   : store_audit_put(st, source, "privacy.data_request", subject, d.p, now);
	buf_release(&d);
	return e;
}

enum http_result api_privacy_hook(struct http_req *r, const char *source, const struct adapter_privacy *pr)
{
	struct notify_planner *p = api_app(r)->planner;
	int64_t now = clock_wall_ms();
	size_t norders = 0;
	struct store *st;
	enum werr e;

	if (!(st = notify_side_lock(p))) {
		http_fail(r, HE_STORAGE_UNAVAILABLE, "the store cannot be written now");
		r->retry_after = "1";
		return HTTP_DONE;
	}
	if (!(e = store_begin(st))) {
		e = !strcmp(pr->action, "data_request") ? hook_data_request(st, source, pr, now)
							 : hook_erase(st, api_app(r)->policy, source, pr, now, &norders);
		if (!e)
			e = store_commit(st);
		if (e)
			store_rollback(st);
	}
	notify_side_unlock(p);
	if (e) {
		http_werr(r, e, "unable to act on the privacy request; nothing was changed, retry it");
		return HTTP_DONE;
	}
	r->status = 200;
	buf_reset(&r->out);
	buf_puts(&r->out, "{\"source\":");
	buf_json_str(&r->out, source);
	buf_puts(&r->out, ",\"privacy\":");
	buf_json_str(&r->out, pr->action);
	buf_printf(&r->out, ",\"orders\":%zu}", norders);
	return HTTP_DONE;
}
