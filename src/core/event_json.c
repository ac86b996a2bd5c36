/*
 * event_json.c - validate an event object from the API and write an event
 * back as JSON; see event_json.h.  The contract is the table in docs/api.md.
 */
#include "event_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../base/walloc.h"
#include "milestones.h"
#include "returns.h"
#include "../base/wtime.h"
#include "../base/banned.h"

#define MAX_SAFE_INT 9007199254740992.0 /* 2^53: larger ids lose precision */

static enum werr fail(struct ev_error *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum werr fail(struct ev_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return WERR_INVALID;
}

/*
 * An object with a 64-bit summary of the names it holds, one bit per name
 * hash: an event names ~8 of the ~35 fields parse() looks for, and a name
 * whose bit is clear is absent without a look (cJSON's lookup compares the
 * name of every member).  A set bit is only a hint; the lookup decides.
 */
struct jobj {
	const cJSON *o;
	uint64_t names;
};

static unsigned name_bit(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h & 63;
}

static struct jobj jobj_of(const cJSON *o)
{
	struct jobj j = { o, 0 };

	for (const cJSON *c = o ? o->child : NULL; c; c = c->next)
		if (c->string)
			j.names |= (uint64_t)1 << name_bit(c->string);
	return j;
}

static const cJSON *member(const struct jobj *j, const char *name)
{
	if (!(j->names >> name_bit(name) & 1))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(j->o, name);
}

/* Reads an optional string (or an exactly representable integer, for ids and
 * order numbers that some platforms send as numbers) into a fixed field. */
static enum werr get_str(const struct jobj *obj, const char *name, char *field, size_t cap, bool required,
			 bool allow_number, struct ev_error *err)
{
	const cJSON *v = member(obj, name);
	char num[32];
	const char *s;

	if (!v || cJSON_IsNull(v)) {
		if (required)
			return fail(err, "missing_field", "'%s' is required", name);
		field[0] = '\0';
		return WERR_OK;
	}
	if (cJSON_IsString(v)) {
		s = v->valuestring;
	} else if (allow_number && cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d != floor(d) || fabs(d) >= MAX_SAFE_INT)
			return fail(err, "invalid_field",
				    "'%s' must be a string, or an integer below 2^53", name);
		snprintf(num, sizeof(num), "%.0f", d);
		s = num;
	} else {
		return fail(err, "invalid_field", "'%s' must be a string", name);
	}
	if (required && !s[0])
		return fail(err, "missing_field", "'%s' must not be empty", name);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20)
			return fail(err, "invalid_field", "'%s' holds a control character", name);
	if (event_set_str(field, cap, s))
		return fail(err, "too_long", "'%s' is too long", name);
	return WERR_OK;
}

static enum werr get_time(const struct jobj *obj, const char *name, int64_t *out, bool required, int flags,
			  struct ev_error *err)
{
	const cJSON *v = member(obj, name);

	*out = 0;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return fail(err, "missing_field", "'%s' is required", name);
		return WERR_OK;
	}
	if (!cJSON_IsString(v))
		return fail(err, "invalid_time", "'%s' must be an RFC 3339 time string", name);
	switch (wtime_parse(v->valuestring, flags, out)) {
	case WTIME_OK:
		return WERR_OK;
	case WTIME_NO_OFFSET:
		return fail(err, "time_without_offset",
			    "'%s' has no zone offset: add Z or +HH:MM", name);
	default:
		return fail(err, "invalid_time", "'%s' is not an RFC 3339 time", name);
	}
}

static enum werr get_int(const struct jobj *obj, const char *name, int64_t *out, struct ev_error *err)
{
	const cJSON *v = member(obj, name);
	if (!v)
		return WERR_OK;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    fabs(v->valuedouble) >= MAX_SAFE_INT)
		return fail(err, "invalid_field", "'%s' must be an integer", name);
	*out = (int64_t)v->valuedouble;
	return WERR_OK;
}

static const cJSON *get_obj(const struct jobj *obj, const char *name, enum werr *e, struct ev_error *err)
{
	const cJSON *v = member(obj, name);
	*e = WERR_OK;
	if (!v || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsObject(v)) {
		*e = fail(err, "invalid_field", "'%s' must be an object", name);
		return NULL;
	}
	return v;
}

static enum werr get_location(const struct jobj *obj, const char *name, struct event_location *l,
			      struct ev_error *err)
{
	const cJSON *o;
	struct jobj lj, *loc = &lj;
	enum werr e;

	if ((o = get_obj(obj, name, &e, err)) == NULL)
		return e;
	lj = jobj_of(o);
	if ((e = get_str(loc, "city", l->city, sizeof(l->city), false, false, err)) ||
	    (e = get_str(loc, "region", l->region, sizeof(l->region), false, false, err)) ||
	    (e = get_str(loc, "country", l->country, sizeof(l->country), false, false, err)))
		return e;
	return WERR_OK;
}

/* An optional amount: a number from 0 to EV_VALUE_MAX. */
static enum werr get_amount(const struct jobj *obj, const char *name, bool *has, double *out, struct ev_error *err)
{
	const cJSON *v = member(obj, name);

	if (!v || cJSON_IsNull(v))
		return WERR_OK;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= EV_VALUE_MAX))
		return fail(err, "invalid_field", "'%s' must be a number from 0 to 10^12", name);
	*has = true;
	*out = v->valuedouble;
	return WERR_OK;
}

/* "value" and "refund_amount", with "currency": three capital letters (ISO
 * 4217), which only goes with an amount. */
static enum werr get_value(const struct jobj *obj, struct event *ev, struct ev_error *err)
{
	enum werr e;

	if ((e = get_str(obj, "currency", ev->currency, sizeof(ev->currency), false, false, err)))
		return e;
	if (ev->currency[0] && (strlen(ev->currency) != 3 || strspn(ev->currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
		return fail(err, "invalid_field", "'%s' must be three capital letters (ISO 4217)", "currency");
	if ((e = get_amount(obj, "value", &ev->has_value, &ev->value, err)) ||
	    (e = get_amount(obj, "refund_amount", &ev->has_refund_amount, &ev->refund_amount, err)))
		return e;
	if (ev->currency[0] && !ev->has_value && !ev->has_refund_amount)
		return fail(err, "invalid_field", "'%s' needs a '%s'", "currency", "value");
	return WERR_OK;
}

/* obj[name] as a boolean: absent or null leaves *out. */
static enum werr get_bool(const struct jobj *obj, const char *name, bool *out, struct ev_error *err)
{
	const cJSON *v = member(obj, name);

	if (!v || cJSON_IsNull(v))
		return WERR_OK;
	if (!cJSON_IsBool(v))
		return fail(err, "invalid_field", "'%s' must be true or false", name);
	*out = cJSON_IsTrue(v);
	return WERR_OK;
}

/* The return fields (core/returns.h): which return, why, what became of the
 * goods, and whether a package is a return parcel. */
static enum werr get_return(const struct jobj *obj, struct event *ev, struct ev_error *err)
{
	enum werr e;

	if ((e = get_str(obj, "return_id", ev->return_id, sizeof(ev->return_id), false, true, err)) ||
	    (e = get_str(obj, "return_reason", ev->return_reason, sizeof(ev->return_reason), false, false, err)) ||
	    (e = get_str(obj, "disposition", ev->disposition, sizeof(ev->disposition), false, false, err)))
		return e;
	if (ev->disposition[0] && ret_disposition_from_name(ev->disposition) < 0)
		return fail(err, "invalid_field",
			    "'%s' must be restock, refurbish, scrap or return_to_customer", "disposition");
	if ((e = get_bool(obj, "is_return", &ev->is_return, err)))
		return e;
	if (ev->is_return && !ev->package[0] && !ev->ref[0])
		return fail(err, "package_required", "'%s' needs a 'package' (the return parcel)", "is_return");
	return WERR_OK;
}

/* "proof": who signed, a photo or proof link (https), where it was left,
 * and "lat"/"lng" (both or neither). */
static enum werr get_proof(const struct jobj *obj, struct event_proof *pr, struct ev_error *err)
{
	const cJSON *o, *lat, *lng;
	struct jobj pj;
	enum werr e;

	if ((o = get_obj(obj, "proof", &e, err)) == NULL)
		return e;
	pj = jobj_of(o);
	if ((e = get_str(&pj, "signed_by", pr->signed_by, sizeof(pr->signed_by), false, false, err)) ||
	    (e = get_str(&pj, "url", pr->url, sizeof(pr->url), false, false, err)) ||
	    (e = get_str(&pj, "left_at", pr->left_at, sizeof(pr->left_at), false, false, err)))
		return e;
	if (pr->url[0] && strncmp(pr->url, "https://", 8))
		return fail(err, "invalid_field", "'%s' must be an https:// link", "proof.url");
	lat = member(&pj, "lat");
	lng = member(&pj, "lng");
	if (!lat && !lng)
		return WERR_OK;
	if (!cJSON_IsNumber(lat) || !cJSON_IsNumber(lng) || !(fabs(lat->valuedouble) <= 90) ||
	    !(fabs(lng->valuedouble) <= 180))
		return fail(err, "invalid_field", "'%s' needs both 'lat' (-90..90) and 'lng' (-180..180)", "proof");
	pr->has_geo = true;
	pr->lat = lat->valuedouble;
	pr->lng = lng->valuedouble;
	return WERR_OK;
}

/* "window": {"start", "end"}, a delivery window; end after start. */
static enum werr get_window(const struct jobj *obj, struct event *ev, struct ev_error *err)
{
	const cJSON *o;
	struct jobj wj;
	enum werr e;

	if ((o = get_obj(obj, "window", &e, err)) == NULL)
		return e;
	wj = jobj_of(o);
	if ((e = get_time(&wj, "start", &ev->window_start, true, 0, err)) ||
	    (e = get_time(&wj, "end", &ev->window_end, true, 0, err)))
		return e;
	if (ev->window_end <= ev->window_start)
		return fail(err, "invalid_field", "'%s' must end after it starts", "window");
	return WERR_OK;
}

static enum werr get_items(const struct jobj *obj, struct event *ev, struct ev_error *err)
{
	const cJSON *arr = member(obj, "items");
	const cJSON *it;
	size_t n, i = 0;
	enum werr e;

	if (!arr || cJSON_IsNull(arr))
		return WERR_OK;
	if (!cJSON_IsArray(arr))
		return fail(err, "invalid_field", "'%s' must be an array", "items");
	n = (size_t)cJSON_GetArraySize(arr);
	if (n > EV_ITEMS_MAX)
		return fail(err, "too_many_items", "'%s' holds more than 200 entries", "items");
	ev->has_items = true;
	if (!n)
		return WERR_OK;
	ev->items = wcalloc(n, sizeof(*ev->items));
	cJSON_ArrayForEach(it, arr) {
		struct event_item *item = &ev->items[i];
		struct jobj ij = jobj_of(it);
		const cJSON *q;
		if (!cJSON_IsObject(it))
			return fail(err, "invalid_field", "'%s' entries must be objects", "items");
		if ((e = get_str(&ij, "sku", item->sku, sizeof(item->sku), true, true, err)) ||
		    (e = get_str(&ij, "name", item->name, sizeof(item->name), false, false, err)))
			return e;
		item->quantity = 1;
		q = member(&ij, "quantity");
		if (q) {
			if (!cJSON_IsNumber(q) || q->valuedouble != floor(q->valuedouble) ||
			    q->valuedouble < 1 || q->valuedouble > 1000000)
				return fail(err, "invalid_field",
					    "'%s' must be an integer from 1 to 1000000", "items[].quantity");
			item->quantity = (int)q->valuedouble;
		}
		ev->nitems = ++i;
	}
	return WERR_OK;
}

static bool source_name_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static enum werr parse(const cJSON *root, bool with_meta, struct event *ev, struct ev_error *err)
{
	struct jobj j = jobj_of(root), *obj = &j, cj;
	char status[MS_NAME_MAX + 1];
	const cJSON *cust, *ar;
	enum werr e;
	int st;

	if (!cJSON_IsObject(root))
		return fail(err, "invalid_field", "%s must be a JSON object", "an event");
	if ((e = get_str(obj, "source", ev->source, sizeof(ev->source), true, false, err)))
		return e;
	if (!source_name_ok(ev->source))
		return fail(err, "invalid_field", "'%s' may hold only letters, digits, '_', '-' and '.'",
			    "source");
	if ((e = get_str(obj, "id", ev->id, sizeof(ev->id), false, true, err)) ||
	    /* the stored form of a parked event has no order yet (writer.h) */
	    (e = get_str(obj, "order", ev->order, sizeof(ev->order), !with_meta, true, err)) ||
	    (e = get_str(obj, "package", ev->package, sizeof(ev->package), false, true, err)) ||
	    (e = get_str(obj, "ref", ev->ref, sizeof(ev->ref), false, true, err)) ||
	    (e = get_str(obj, "carrier", ev->carrier, sizeof(ev->carrier), false, false, err)) ||
	    (e = get_str(obj, "status", status, sizeof(status), true, false, err)) ||
	    (e = get_str(obj, "detail", ev->detail, sizeof(ev->detail), false, false, err)) ||
	    (e = get_str(obj, "code", ev->code, sizeof(ev->code), false, false, err)) ||
	    (e = get_str(obj, "description", ev->description, sizeof(ev->description), false, false, err)))
		return e;
	if ((e = get_str(obj, "milestone", ev->milestone, sizeof(ev->milestone), false, false, err)))
		return e;
	st = ev_status_from_name(status);
	if (st < 0 && !ev->milestone[0] && ms_name_valid(status) && ord_status_from_name(status) < 0) {
		/* the shop's own word: the caller checks that it is configured */
		st = EV_MILESTONE;
		memcpy(ev->milestone, status, sizeof(ev->milestone));
	}
	if (st == EV_MILESTONE && (!ms_name_valid(ev->milestone) || ord_status_from_name(ev->milestone) >= 0))
		return fail(err, ev->milestone[0] ? "invalid_field" : "missing_field",
			    "status 'milestone' needs a 'milestone': a configured milestone's name");
	if (st >= 0 && st != EV_MILESTONE && ev->milestone[0])
		return fail(err, "invalid_field", "'milestone' goes only with status 'milestone'");
	if (st == EV_MILESTONE && ev->package[0])
		return fail(err, "invalid_field", "a milestone is about the order and must not name a 'package'");
	if (st < 0)
		return fail(err, "unknown_status",
			    "'status' is not a word of the shared status language (docs/status.md): '%s'",
			    status);
	ev->status = (enum ev_status)st;
	if (ev_status_needs_package(ev->status) && !ev->package[0] && !(with_meta && ev->ref[0]))
		return fail(err, "package_required", "status '%s' needs a 'package' (tracking number)",
			    status);
	if (ev_status_is_order_level(ev->status) && ev->package[0])
		return fail(err, "invalid_field",
			    "status '%s' is an order milestone and must not name a 'package'", status);
	ar = member(obj, "action_required");
	if (ar && !cJSON_IsNull(ar)) {
		if (!cJSON_IsBool(ar))
			return fail(err, "invalid_field", "'%s' must be true or false", "action_required");
		ev->action_required = cJSON_IsTrue(ar) ? 1 : 0;
	}
	if ((e = get_time(obj, "occurred_at", &ev->occurred_at, true, 0, err)) ||
	    (e = get_time(obj, "estimated_delivery", &ev->estimated_delivery, false, WTIME_FLAG_DATE_OK, err)) ||
	    (e = get_time(obj, "promised_by", &ev->promised_by, false, WTIME_FLAG_DATE_OK, err)) ||
	    (e = get_time(obj, "promised_ship_by", &ev->promised_ship_by, false, WTIME_FLAG_DATE_OK, err)) ||
	    (e = get_str(obj, "service", ev->service, sizeof(ev->service), false, false, err)) ||
	    (e = get_str(obj, "shipping_method", ev->shipping_method, sizeof(ev->shipping_method), false, false,
			 err)) ||
	    (e = get_str(obj, "channel", ev->channel, sizeof(ev->channel), false, false, err)) ||
	    (e = get_value(obj, ev, err)) ||
	    (e = get_location(obj, "location", &ev->location, err)) ||
	    (e = get_location(obj, "ship_to", &ev->ship_to, err)) ||
	    (e = get_return(obj, ev, err)) ||
	    (e = get_bool(obj, "summary", &ev->summary, err)) ||
	    (e = get_proof(obj, &ev->proof, err)) ||
	    (e = get_window(obj, ev, err)) ||
	    (e = get_str(obj, "supersedes", ev->supersedes, sizeof(ev->supersedes), false, false, err)))
		return e;
	if (member(obj, "installed")) {
		ev->has_installed = true;
		if ((e = get_bool(obj, "installed", &ev->installed, err)))
			return e;
	}
	if (member(obj, "stops_away")) {
		int64_t stops = -1;
		if ((e = get_int(obj, "stops_away", &stops, err)))
			return e;
		if (stops < 0 || stops > 10000)
			return fail(err, "invalid_field", "'%s' must be an integer from 0 to 10000", "stops_away");
		ev->has_stops = true;
		ev->stops_away = (int)stops;
	}
	if (st == EV_NOT_RECEIVED && ev->package[0])
		return fail(err, "invalid_field", "status '%s' is about the order and must not name a 'package'",
			    "not_received");
	if ((cust = get_obj(obj, "customer", &e, err)) != NULL) {
		cj = jobj_of(cust);
		if ((e = get_str(&cj, "name", ev->customer.name, sizeof(ev->customer.name), false, false, err)) ||
		    (e = get_str(&cj, "email", ev->customer.email, sizeof(ev->customer.email), false, false, err)) ||
		    (e = get_str(&cj, "phone", ev->customer.phone, sizeof(ev->customer.phone), false, false, err)) ||
		    (e = get_str(&cj, "postal_code", ev->customer.postal_code, sizeof(ev->customer.postal_code), false, true, err)))
			return e;
	} else if (e) {
		return e;
	}
	if ((e = get_items(obj, ev, err)))
		return e;
	if (with_meta) {
		if ((e = get_str(obj, "key", ev->key, sizeof(ev->key), false, false, err)) ||
		    (e = get_int(obj, "seq", &ev->seq, err)) ||
		    (e = get_int(obj, "received_at", &ev->received_at, err)))
			return e;
	}
	return WERR_OK;
}

enum werr event_from_json(const cJSON *obj, bool with_meta, struct event *ev, struct ev_error *err)
{
	enum werr e;

	event_release(ev);
	e = parse(obj, with_meta, ev, err);
	if (e)
		event_release(ev);
	return e;
}

static void put_str(struct buf *b, bool *first, const char *name, const char *v)
{
	if (!v[0])
		return;
	buf_puts(b, *first ? "" : ",");
	*first = false;
	buf_json_str(b, name);
	buf_putc(b, ':');
	buf_json_str(b, v);
}

static void put_time(struct buf *b, bool *first, const char *name, int64_t ms)
{
	char ts[WTIME_BUFSZ];
	if (!ms)
		return;
	put_str(b, first, name, wtime_format(ms, ts));
}

static void put_location(struct buf *b, const char *name, const struct event_location *l)
{
	bool f = true;

	if (!l->city[0] && !l->region[0] && !l->country[0])
		return;
	buf_printf(b, ",\"%s\":{", name);
	put_str(b, &f, "city", l->city);
	put_str(b, &f, "region", l->region);
	put_str(b, &f, "country", l->country);
	buf_putc(b, '}');
}

enum werr event_to_json(const struct event *ev, bool with_meta, struct buf *b)
{
	bool first = true;
	enum werr e;

	/* The fixed field sizes bound an event's JSON well below this, so once
	 * the room is there no append below can fail. */
	if ((e = buf_grow(b, EVENT_JSON_MAX)))
		return e;
	buf_putc(b, '{');
	if (with_meta)
		put_str(b, &first, "key", ev->key);
	put_str(b, &first, "source", ev->source);
	put_str(b, &first, "id", ev->id);
	put_str(b, &first, "order", ev->order);
	put_str(b, &first, "package", ev->package);
	put_str(b, &first, "ref", ev->ref);
	put_str(b, &first, "carrier", ev->carrier);
	put_str(b, &first, "status", ev_status_name(ev->status));
	put_str(b, &first, "milestone", ev->milestone);
	put_str(b, &first, "detail", ev->detail);
	put_str(b, &first, "code", ev->code);
	put_str(b, &first, "description", ev->description);
	if (ev->action_required >= 0)
		buf_puts(b, ev->action_required ? ",\"action_required\":true" : ",\"action_required\":false");
	put_time(b, &first, "occurred_at", ev->occurred_at);
	put_time(b, &first, "estimated_delivery", ev->estimated_delivery);
	put_time(b, &first, "promised_by", ev->promised_by);
	put_time(b, &first, "promised_ship_by", ev->promised_ship_by);
	if (ev->window_start) {
		bool f = true;
		buf_puts(b, ",\"window\":{");
		put_time(b, &f, "start", ev->window_start);
		put_time(b, &f, "end", ev->window_end);
		buf_putc(b, '}');
	}
	if (ev->has_stops)
		buf_printf(b, ",\"stops_away\":%d", ev->stops_away);
	if (ev->has_installed)
		buf_puts(b, ev->installed ? ",\"installed\":true" : ",\"installed\":false");
	if (ev->proof.signed_by[0] || ev->proof.url[0] || ev->proof.left_at[0] || ev->proof.has_geo) {
		bool f = true;
		buf_puts(b, ",\"proof\":{");
		put_str(b, &f, "signed_by", ev->proof.signed_by);
		put_str(b, &f, "url", ev->proof.url);
		put_str(b, &f, "left_at", ev->proof.left_at);
		if (ev->proof.has_geo)
			buf_printf(b, "%s\"lat\":%.7f,\"lng\":%.7f", f ? "" : ",", ev->proof.lat, ev->proof.lng);
		buf_putc(b, '}');
	}
	put_str(b, &first, "service", ev->service);
	put_str(b, &first, "shipping_method", ev->shipping_method);
	put_str(b, &first, "channel", ev->channel);
	if (ev->has_value)
		buf_printf(b, ",\"value\":%.15g", ev->value);
	if (ev->has_refund_amount)
		buf_printf(b, ",\"refund_amount\":%.15g", ev->refund_amount);
	put_str(b, &first, "currency", ev->currency);
	put_str(b, &first, "return_id", ev->return_id);
	put_str(b, &first, "return_reason", ev->return_reason);
	put_str(b, &first, "disposition", ev->disposition);
	if (ev->is_return)
		buf_puts(b, ",\"is_return\":true");
	if (ev->summary)
		buf_puts(b, ",\"summary\":true");
	put_str(b, &first, "supersedes", ev->supersedes);
	put_location(b, "location", &ev->location);
	put_location(b, "ship_to", &ev->ship_to);
	if (ev->customer.name[0] || ev->customer.email[0] || ev->customer.phone[0] ||
	    ev->customer.postal_code[0]) {
		bool f = true;
		buf_puts(b, ",\"customer\":{");
		put_str(b, &f, "name", ev->customer.name);
		put_str(b, &f, "email", ev->customer.email);
		put_str(b, &f, "phone", ev->customer.phone);
		put_str(b, &f, "postal_code", ev->customer.postal_code);
		buf_putc(b, '}');
	}
	if (ev->has_items) {
		buf_puts(b, ",\"items\":[");
		for (size_t i = 0; i < ev->nitems; i++) {
			bool f = true;
			buf_puts(b, i ? ",{" : "{");
			put_str(b, &f, "sku", ev->items[i].sku);
			put_str(b, &f, "name", ev->items[i].name);
			buf_printf(b, ",\"quantity\":%d}", ev->items[i].quantity);
		}
		buf_putc(b, ']');
	}
	if (with_meta)
		buf_printf(b, ",\"seq\":%lld,\"received_at\":%lld", (long long)ev->seq,
			   (long long)ev->received_at);
	buf_putc(b, '}');
	return WERR_OK;
}
