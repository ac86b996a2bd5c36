/*
 * rules.c - notification rules, their validation, the built-in defaults and
 * the planner (contract in rules.h).
 */
#include "rules.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/num.h"
#include "../base/walloc.h"
#include "../base/wtime.h"
#include "../base/banned.h"

#define HOUR_MS ((int64_t)3600 * 1000)
#define MILESTONES_MAX 64

const char *const rules_triggers[] = {
	"confirmed", "shipped", "out_for_delivery", "delivered", "cancelled", "delivery_attempted",
	"available_for_pickup", "returned_to_sender", "exception", "delayed", "refunded",
	"return_requested", "return_approved", "return_rejected", "return_received", "milestone", "any", NULL,
};

static const char *const channel_names[RCH__COUNT] = { "email", "sms", "webhook", "ticket" };
static const char *const audience_names[AUD__COUNT] = { "customer", "support",     "warehouse", "operations",
							"subscribers", "returns", "owner" };

static const char *const exc_triggers[EXC__COUNT] = {
	[EXC_NOT_HANDED_OVER] = "exception:not_handed_over",
	[EXC_STALLED] = "exception:stalled",
	[EXC_NOT_SHIPPED_BY_PROMISE] = "exception:not_shipped_by_promise",
	[EXC_LATE_VS_PROMISE] = "exception:late_vs_promise",
	[EXC_DELIVERY_ATTEMPTED] = "exception:delivery_attempted",
	[EXC_ADDRESS_ISSUE] = "exception:address_issue",
	[EXC_PICKUP_NOT_COLLECTED] = "exception:pickup_not_collected",
	[EXC_DAMAGED] = "exception:damaged",
	[EXC_LOST] = "exception:lost",
	[EXC_REFUSED] = "exception:refused",
	[EXC_CUSTOMS_HOLD] = "exception:customs_hold",
	[EXC_CARRIER_EXCEPTION] = "exception:carrier_exception",
	[EXC_CONFLICT_UNRESOLVED] = "exception:conflict_unresolved",
	[EXC_CANCEL_REQUESTED] = "exception:cancel_requested",
	[EXC_RETURN_APPROVAL] = "exception:return_approval",
	[EXC_RETURN_MOVING] = "exception:return_moving",
	[EXC_RETURN_NOT_INSPECTED] = "exception:return_not_inspected",
	[EXC_RETURN_NOT_REFUNDED] = "exception:return_not_refunded",
	[EXC_PARCEL_CLAIMED] = "exception:parcel_claimed",
	[EXC_MILESTONE_OVERDUE] = "exception:milestone_overdue",
	[EXC_APPOINTMENT_MISSED] = "exception:appointment_missed",
	[EXC_NOT_RECEIVED] = "exception:not_received",
};

const char *rules_exception_trigger(enum exc_kind k)
{
	return (unsigned)k < EXC__COUNT ? exc_triggers[k] : "exception:any";
}

const char *rule_channel_name(enum rule_channel c)
{
	return (unsigned)c < RCH__COUNT ? channel_names[c] : "?";
}

int rule_channel_from_name(const char *name)
{
	for (int i = 0; name && i < RCH__COUNT; i++)
		if (!strcmp(name, channel_names[i]))
			return i;
	return -1;
}

const char *rule_audience_name(enum rule_audience a)
{
	return (unsigned)a < AUD__COUNT ? audience_names[a] : "?";
}

int rule_audience_from_name(const char *name)
{
	for (int i = 0; name && i < AUD__COUNT; i++)
		if (!strcmp(name, audience_names[i]))
			return i;
	return -1;
}

bool rules_trigger_valid(const char *trigger)
{
	for (size_t i = 0; trigger && rules_triggers[i]; i++)
		if (!strcmp(trigger, rules_triggers[i]))
			return true;
	return trigger && !strncmp(trigger, "exception:", 10) &&
	       (!strcmp(trigger + 10, "any") || exc_kind_from_name(trigger + 10) >= 0);
}

void rule_init(struct rule *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	r->enabled = true;
	r->audience = AUD_CUSTOMER;
	r->channel = RCH_EMAIL;
	snprintf(r->origin, sizeof(r->origin), "config");
}

static bool set_str(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);

	if (n >= cap)
		return false;
	memcpy(dst, v, n + 1);
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = false;
	else
		return false;
	return true;
}

static bool parse_int(const char *v, long lo, long hi, int *out)
{
	long n;

	if (!num_parse(v, lo, hi, &n))
		return false;
	*out = (int)n;
	return true;
}

static bool parse_num(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d < 0)
		return false;
	*out = d;
	return true;
}

/* Template names become file names: letters, digits, '_' and '-' only. */
static bool name_ok(const char *v)
{
	if (!v[0])
		return false;
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	return true;
}

enum werr rule_set(struct rule *r, const char *key, const char *value, char *err, size_t errcap)
{
	int i;

	if (!key || !value)
		goto bad;
	if (!strcmp(key, "trigger")) {
		if (!rules_trigger_valid(value)) {
			snprintf(err, errcap,
				 "unknown trigger '%.64s' (confirmed, shipped, out_for_delivery, delivered, cancelled, "
				 "delivery_attempted, available_for_pickup, returned_to_sender, exception, delayed, "
				 "refunded, any, exception:KIND, exception:any)", value);
			return WERR_INVALID;
		}
		set_str(r->trigger, sizeof(r->trigger), value);
	} else if (!strcmp(key, "detail")) {
		if (!set_str(r->detail, sizeof(r->detail), value))
			goto bad;
	} else if (!strcmp(key, "channel")) {
		if ((i = rule_channel_from_name(value)) < 0) {
			snprintf(err, errcap, "unknown channel '%.64s' (email, sms, webhook, ticket)", value);
			return WERR_INVALID;
		}
		r->channel = (enum rule_channel)i;
	} else if (!strcmp(key, "audience")) {
		if ((i = rule_audience_from_name(value)) < 0) {
			snprintf(err, errcap,
				 "unknown audience '%.64s' (customer, support, warehouse, operations, returns, owner, "
				 "subscribers)", value);
			return WERR_INVALID;
		}
		r->audience = (enum rule_audience)i;
	} else if (!strcmp(key, "template")) {
		if (!name_ok(value) || !set_str(r->template_name, sizeof(r->template_name), value)) {
			snprintf(err, errcap, "bad template name '%.64s' (letters, digits, '_', '-')", value);
			return WERR_INVALID;
		}
	} else if (!strcmp(key, "delay_minutes")) {
		if (!parse_int(value, 0, 60 * 24 * 30, &r->delay_minutes))
			goto bad;
	} else if (!strcmp(key, "max_age_hours")) {
		if (!parse_int(value, 1, 24 * 365, &r->max_age_hours))
			goto bad;
	} else if (!strcmp(key, "requires_approval")) {
		if (!parse_bool(value, &r->requires_approval))
			goto bad;
	} else if (!strcmp(key, "enabled")) {
		if (!parse_bool(value, &r->enabled))
			goto bad;
	} else if (!strcmp(key, "min_value")) {
		if (!parse_num(value, &r->min_value))
			goto bad;
		r->has_min_value = true;
	} else if (!strcmp(key, "max_value")) {
		if (!parse_num(value, &r->max_value))
			goto bad;
		r->has_max_value = true;
	} else {
		snprintf(err, errcap, "unknown rule field '%.64s'", key);
		return WERR_INVALID;
	}
	return WERR_OK;
bad:
	snprintf(err, errcap, "bad value for rule field '%.64s'", key ? key : "");
	return WERR_INVALID;
}

enum werr rule_check(struct rule *r, char *err, size_t errcap)
{
	if (!r->name[0] || !name_ok(r->name)) {
		snprintf(err, errcap, "a rule name is 1..63 letters, digits, '_' or '-'");
		return WERR_INVALID;
	}
	if (!r->trigger[0]) {
		snprintf(err, errcap, "rule '%s' has no trigger", r->name);
		return WERR_INVALID;
	}
	if (r->detail[0] && strcmp(r->trigger, "exception")) {
		snprintf(err, errcap, "rule '%s': detail only applies to the exception trigger", r->name);
		return WERR_INVALID;
	}
	switch (r->channel) {
	case RCH_WEBHOOK:
		r->audience = AUD_SUBSCRIBERS;
		if (!r->template_name[0])
			snprintf(r->template_name, sizeof(r->template_name), "milestone");
		break;
	case RCH_SMS:
		if (r->audience != AUD_CUSTOMER) {
			snprintf(err, errcap, "rule '%s': SMS goes to the customer only", r->name);
			return WERR_INVALID;
		}
		break;
	case RCH_TICKET:
		if (r->audience == AUD_CUSTOMER || r->audience == AUD_SUBSCRIBERS) {
			snprintf(err, errcap,
				 "rule '%s': a ticket goes to a team (support, warehouse, operations, returns, owner)",
				 r->name);
			return WERR_INVALID;
		}
		break;
	case RCH_EMAIL:
		if (r->audience == AUD_SUBSCRIBERS) {
			snprintf(err, errcap, "rule '%s': subscribers are reached by webhook", r->name);
			return WERR_INVALID;
		}
		break;
	default:
		snprintf(err, errcap, "rule '%s' has no channel", r->name);
		return WERR_INVALID;
	}
	if (!r->template_name[0]) {
		snprintf(err, errcap, "rule '%s' has no template", r->name);
		return WERR_INVALID;
	}
	if (r->has_min_value && r->has_max_value && r->min_value > r->max_value) {
		snprintf(err, errcap, "rule '%s': min_value is above max_value", r->name);
		return WERR_INVALID;
	}
	return WERR_OK;
}

enum werr rule_from_json(const cJSON *obj, const char *name, struct rule *out, char *err, size_t errcap)
{
	const cJSON *it;
	char text[64];
	const char *v;
	enum werr e;

	rule_init(out, name);
	snprintf(out->origin, sizeof(out->origin), "api");
	if (!cJSON_IsObject(obj)) {
		snprintf(err, errcap, "a rule is a JSON object");
		return WERR_INVALID;
	}
	cJSON_ArrayForEach(it, obj)
	{
		if (!strcmp(it->string, "name")) {
			if (!cJSON_IsString(it) || strcmp(it->valuestring, name)) {
				snprintf(err, errcap, "the name in the body differs from the one in the path");
				return WERR_INVALID;
			}
			continue;
		}
		if (!strcmp(it->string, "origin"))
			continue; /* shown by GET, ignored on PUT so a listed rule can be sent back */
		if (cJSON_IsString(it)) {
			v = it->valuestring;
		} else if (cJSON_IsBool(it)) {
			v = cJSON_IsTrue(it) ? "true" : "false";
		} else if (cJSON_IsNumber(it)) {
			if (it->valuedouble == floor(it->valuedouble) && fabs(it->valuedouble) < 1e15)
				snprintf(text, sizeof(text), "%.0f", it->valuedouble);
			else
				snprintf(text, sizeof(text), "%.17g", it->valuedouble);
			v = text;
		} else if (cJSON_IsNull(it) && (!strcmp(it->string, "detail") || !strcmp(it->string, "min_value") ||
						!strcmp(it->string, "max_value"))) {
			continue; /* null: not set */
		} else {
			snprintf(err, errcap, "rule field '%.64s' must be a string, number or boolean", it->string);
			return WERR_INVALID;
		}
		if ((e = rule_set(out, it->string, v, err, errcap)))
			return e;
	}
	return rule_check(out, err, errcap);
}

cJSON *rule_to_json(const struct rule *r)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o;

	ok = ok && cJSON_AddStringToObject(o, "name", r->name);
	ok = ok && cJSON_AddStringToObject(o, "trigger", r->trigger);
	ok = ok && (r->detail[0] ? cJSON_AddStringToObject(o, "detail", r->detail) != NULL
				 : cJSON_AddNullToObject(o, "detail") != NULL);
	ok = ok && cJSON_AddStringToObject(o, "audience", rule_audience_name(r->audience));
	ok = ok && cJSON_AddStringToObject(o, "channel", rule_channel_name(r->channel));
	ok = ok && cJSON_AddStringToObject(o, "template", r->template_name);
	ok = ok && cJSON_AddNumberToObject(o, "delay_minutes", r->delay_minutes);
	ok = ok && cJSON_AddNumberToObject(o, "max_age_hours",
					   r->max_age_hours ? r->max_age_hours : RULES_MAX_AGE_DEFAULT_H);
	ok = ok && cJSON_AddBoolToObject(o, "requires_approval", r->requires_approval);
	ok = ok && cJSON_AddBoolToObject(o, "enabled", r->enabled);
	ok = ok && (r->has_min_value ? cJSON_AddNumberToObject(o, "min_value", r->min_value) != NULL
				     : cJSON_AddNullToObject(o, "min_value") != NULL);
	ok = ok && (r->has_max_value ? cJSON_AddNumberToObject(o, "max_value", r->max_value) != NULL
				     : cJSON_AddNullToObject(o, "max_value") != NULL);
	ok = ok && cJSON_AddStringToObject(o, "origin", r->origin);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static const struct {
	const char *name, *trigger;
	enum rule_audience audience;
	enum rule_channel channel;
	const char *tmpl;
	int max_age_hours;
} default_rules[] = {
	{ "order_confirmed", "confirmed", AUD_CUSTOMER, RCH_EMAIL, "order_confirmed", 0 },
	{ "shipped", "shipped", AUD_CUSTOMER, RCH_EMAIL, "shipped", 0 },
	{ "delayed", "delayed", AUD_CUSTOMER, RCH_EMAIL, "delayed", 0 },
	/* on the van today: worth nothing a day later */
	{ "out_for_delivery", "out_for_delivery", AUD_CUSTOMER, RCH_SMS, "out_for_delivery", 12 },
	{ "delivered", "delivered", AUD_CUSTOMER, RCH_EMAIL, "delivered", 0 },
	/* internal first: every exception reaches its owning team at once (a
	 * ticket, and an email where the team has an address), planned before
	 * any customer message; the customer hears only where it helps them
	 * act, and of the kinds a team can fix quietly only after the grace */
	{ "exception_task", "exception:any", AUD_OWNER, RCH_TICKET, "exception", 0 },
	{ "exception_alert", "exception:any", AUD_OWNER, RCH_EMAIL, "exception_alert", 0 },
	{ "delivery_attempted", "delivery_attempted", AUD_CUSTOMER, RCH_EMAIL, "delivery_attempted", 0 },
	{ "address_issue", "exception:address_issue", AUD_CUSTOMER, RCH_EMAIL, "address_issue", 0 },
	{ "pickup_reminder", "exception:pickup_not_collected", AUD_CUSTOMER, RCH_EMAIL, "pickup_reminder", 0 },
	{ "stalled", "exception:stalled", AUD_CUSTOMER, RCH_EMAIL, "taking_longer", 0 },
	{ "not_handed_over", "exception:not_handed_over", AUD_CUSTOMER, RCH_EMAIL, "taking_longer", 0 },
	{ "returning_to_sender", "returned_to_sender", AUD_CUSTOMER, RCH_EMAIL, "returning_to_sender", 0 },
	/* returns (docs/returns.md): what to do next, and that it arrived; the
	 * refund is the "refunded" rule's */
	{ "return_approved", "return_approved", AUD_CUSTOMER, RCH_EMAIL, "return_approved", 0 },
	{ "return_received", "return_received", AUD_CUSTOMER, RCH_EMAIL, "return_received", 0 },
	{ "refund_issued", "refunded", AUD_CUSTOMER, RCH_EMAIL, "refund_issued", 0 },
	/* the shop's own milestones the customer sees (docs/milestones.md) */
	{ "milestone_update", "milestone", AUD_CUSTOMER, RCH_EMAIL, "milestone_update", 0 },
	/* appointments and "I haven't received it" (docs/appointments.md): the
	 * next step, after the team's grace for a missed appointment */
	{ "appointment_missed", "exception:appointment_missed", AUD_CUSTOMER, RCH_EMAIL, "appointment_missed", 0 },
	{ "not_received", "exception:not_received", AUD_CUSTOMER, RCH_EMAIL, "not_received", 0 },
	{ "webhooks", "any", AUD_SUBSCRIBERS, RCH_WEBHOOK, "milestone", 0 },
	{ "webhook_exceptions", "exception:any", AUD_SUBSCRIBERS, RCH_WEBHOOK, "milestone", 0 },
};

size_t rules_defaults(struct rule *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(default_rules) / sizeof(default_rules[0]) && n < cap; i++, n++) {
		struct rule *r = &out[n];
		rule_init(r, default_rules[i].name);
		snprintf(r->trigger, sizeof(r->trigger), "%s", default_rules[i].trigger);
		r->audience = default_rules[i].audience;
		r->channel = default_rules[i].channel;
		snprintf(r->template_name, sizeof(r->template_name), "%s", default_rules[i].tmpl);
		r->max_age_hours = default_rules[i].max_age_hours;
		snprintf(r->origin, sizeof(r->origin), "default");
	}
	return n;
}

enum werr rule_set_put(struct rule_set *s, const struct rule *r)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->r[i].name, r->name)) {
			s->r[i] = *r;
			return WERR_OK;
		}
	if (s->n >= RULES_MAX)
		return WERR_TOO_LARGE;
	s->r[s->n++] = *r;
	return WERR_OK;
}

bool rule_set_remove(struct rule_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->r[i].name, name)) {
			memmove(&s->r[i], &s->r[i + 1], (s->n - i - 1) * sizeof(s->r[0]));
			s->n--;
			return true;
		}
	return false;
}

const struct rule *rule_set_find(const struct rule_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->r[i].name, name))
			return &s->r[i];
	return NULL;
}

/* ---- milestones ---- */

/* 64-bit FNV-1a: a stable short stand-in for a long tracking number in a
 * milestone key (no crypto in the core; collisions only merge two messages
 * of the same order and milestone kind). */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* key = prefix ":" rest, or prefix ":#" hash(rest) when that is too long. */
static void make_key(char out[RULE_MILESTONE_MAX + 1], const char *prefix, const char *rest)
{
	int n = snprintf(out, RULE_MILESTONE_MAX + 1, "%s:%s", prefix, rest);

	if (n < 0 || n > RULE_MILESTONE_MAX)
		snprintf(out, RULE_MILESTONE_MAX + 1, "%.40s:#%016llx", prefix, (unsigned long long)fnv1a(rest));
}

static void day_of(int64_t ms, char out[16])
{
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64_t y;
	unsigned m, d;

	wtime_civil_from_days(days, &y, &m, &d);
	snprintf(out, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

static bool add(struct rules_milestone *out, size_t cap, size_t *n, const char *trigger, int pkg, int64_t at)
{
	if (*n >= cap)
		return false;
	memset(&out[*n], 0, sizeof(out[0]));
	out[*n].trigger = trigger;
	out[*n].package = pkg;
	out[*n].ret = -1;
	out[*n].at = at;
	snprintf(out[*n].key, sizeof(out[0].key), "%s", trigger);
	(*n)++;
	return true;
}

size_t rules_milestones(const struct order_state *o, struct rules_milestone *out, size_t cap)
{
	static const struct {
		enum pkg_status st;
		const char *trigger;
	} pkg_triggers[] = {
		{ PKG_OUT_FOR_DELIVERY, "out_for_delivery" },
		{ PKG_DELIVERY_ATTEMPTED, "delivery_attempted" },
		{ PKG_AVAILABLE_FOR_PICKUP, "available_for_pickup" },
		{ PKG_RETURNED_TO_SENDER, "returned_to_sender" },
		{ PKG_EXCEPTION, "exception" },
	};
	size_t n = 0;
	int64_t first_ship = 0, last_delivered = 0;
	int delayed_pkg = -1;

	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		if (p->is_return)
			continue;
		if (p->shipped_at && (!first_ship || p->shipped_at < first_ship))
			first_ship = p->shipped_at;
		if (p->status == PKG_DELIVERED && p->delivered_at > last_delivered)
			last_delivered = p->delivered_at;
	}
	switch (o->status) {
	case ORD_CONFIRMED:
	case ORD_PROCESSING:
	case ORD_PICKED:
	case ORD_PACKED:
	case ORD_READY_TO_SHIP:
		add(out, cap, &n, "confirmed", -1, o->placed_at);
		break;
	case ORD_PARTIALLY_SHIPPED:
	case ORD_SHIPPED:
	case ORD_OUT_FOR_DELIVERY:
	case ORD_PARTIALLY_DELIVERED:
		add(out, cap, &n, "shipped", -1, first_ship ? first_ship : o->last_event_at);
		break;
	case ORD_DELIVERED:
		add(out, cap, &n, "delivered", -1, last_delivered ? last_delivered : o->last_event_at);
		break;
	case ORD_CANCELLED:
		add(out, cap, &n, "cancelled", -1, o->last_event_at);
		break;
	default:
		break;
	}
	/* package milestones: the status each package has now */
	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		if (p->is_return)
			continue; /* a return parcel's milestones are the return's */
		for (size_t k = 0; k < sizeof(pkg_triggers) / sizeof(pkg_triggers[0]); k++) {
			char rest[EV_DETAIL_MAX + EV_PACKAGE_MAX + 2];
			if (p->status != pkg_triggers[k].st)
				continue;
			if (!add(out, cap, &n, pkg_triggers[k].trigger, (int)i, p->status_at ? p->status_at
											     : o->last_event_at))
				return n;
			if (p->status == PKG_EXCEPTION) {
				snprintf(out[n - 1].detail, sizeof(out[n - 1].detail), "%s", p->detail);
				snprintf(rest, sizeof(rest), "%s:%s", p->detail[0] ? p->detail : "unspecified",
					 p->tracking);
			} else {
				snprintf(rest, sizeof(rest), "%s", p->tracking);
			}
			make_key(out[n - 1].key, pkg_triggers[k].trigger, rest);
		}
		/* late: a delay exception, or an estimate past the promise */
		if (p->status != PKG_DELIVERED && p->status != PKG_CANCELLED &&
		    ((p->status == PKG_EXCEPTION && detail_is_delay(p->detail)) ||
		     (p->estimated_delivery && o->promised_by && p->estimated_delivery > o->promised_by)) &&
		    (delayed_pkg < 0 || p->estimated_delivery > o->packages[delayed_pkg].estimated_delivery))
			delayed_pkg = (int)i;
	}
	if (delayed_pkg >= 0 && o->status != ORD_DELIVERED && o->status != ORD_CANCELLED) {
		const struct package_state *p = &o->packages[delayed_pkg];
		char day[16];
		if (add(out, cap, &n, "delayed", delayed_pkg, p->status_at ? p->status_at : o->last_event_at)) {
			out[n - 1].revised = p->estimated_delivery;
			if (p->estimated_delivery) {
				day_of(p->estimated_delivery, day);
				make_key(out[n - 1].key, "delayed", day);
			}
		}
	}
	/* returns: the step each return stands at now (a step it is past is
	 * stale: approval news after the parcel arrived is not sent) */
	for (size_t i = 0; i < o->nreturns; i++) {
		const struct return_state *r = &o->returns[i];
		const char *trig = NULL;
		switch (r->state) {
		case RET_REQUESTED: trig = "return_requested"; break;
		case RET_APPROVED:
		case RET_LABEL_CREATED:
		case RET_PICKUP_SCHEDULED:
		case RET_IN_TRANSIT: trig = "return_approved"; break;
		case RET_REJECTED: trig = "return_rejected"; break;
		case RET_RECEIVED:
		case RET_INSPECTING:
		case RET_DISPOSED: trig = "return_received"; break;
		default: break;
		}
		if (!trig || !add(out, cap, &n, trig, -1, !strcmp(trig, "return_received") ? r->received_at
							 : r->state == RET_REQUESTED   ? r->requested_at
										       : r->updated_at))
			continue;
		out[n - 1].ret = (int)i;
		make_key(out[n - 1].key, trig, r->id);
	}
	/* the shop's own milestone the order is in (core/order.h rule 11): the
	 * ones it went past are stale; detail is its name */
	if (o->ms_current >= 0 && add(out, cap, &n, "milestone", -1, o->ms_reached[o->ms_current].at)) {
		snprintf(out[n - 1].detail, sizeof(out[n - 1].detail), "%s", o->ms_reached[o->ms_current].name);
		make_key(out[n - 1].key, "ms", out[n - 1].detail);
	}
	if (o->refunded_at && add(out, cap, &n, "refunded", -1, o->refunded_at)) {
		snprintf(out[n - 1].detail, sizeof(out[n - 1].detail), "%s", o->refund[0] ? o->refund : "partial");
		make_key(out[n - 1].key, "refunded", out[n - 1].detail);
	}
	return n;
}

/* ---- planning ---- */

struct plans {
	struct rule_plan *p;
	size_t n, cap;
};

static enum werr push(struct plans *ps, size_t rule, const struct rule *r, const struct rules_milestone *m,
		      const char *recipient, const struct rules_env *env, int64_t now)
{
	struct rule_plan *pl;

	if (!recipient || !recipient[0] || strlen(recipient) >= sizeof(pl->recipient))
		return WERR_OK; /* nobody to send to (an address too long to store is not guessed at) */
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 16;
		ps->p = wrealloc(ps->p, cap * sizeof(*ps->p));
		ps->cap = cap;
	}
	pl = &ps->p[ps->n++];
	memset(pl, 0, sizeof(*pl));
	pl->rule = rule;
	/* Both fields are RULE_MILESTONE_MAX + 1 bytes; a copy of the string's
	 * bytes into the zeroed field, since snprintf here made GCC (once push is
	 * inlined) lose m->key's bound and report a truncation that cannot occur. */
	_Static_assert(sizeof(pl->milestone) == sizeof(m->key), "milestone and key differ in size");
	memcpy(pl->milestone, m->key, strnlen(m->key, sizeof(pl->milestone) - 1));
	pl->channel = r->channel;
	snprintf(pl->recipient, sizeof(pl->recipient), "%s", recipient);
	snprintf(pl->template_name, sizeof(pl->template_name), "%s", r->template_name);
	snprintf(pl->locale, sizeof(pl->locale), "%s", env->locale && env->locale[0] ? env->locale : "en");
	pl->package = m->package;
	pl->ret = m->ret;
	pl->trigger_at = m->at;
	pl->next_at = now + (int64_t)r->delay_minutes * 60000;
	pl->review = r->requires_approval;
	pl->needs_consent = r->channel == RCH_SMS;
	pl->exc = m->exc;
	return WERR_OK;
}

static bool matches(const struct rule *r, const struct rules_milestone *m, const struct order_state *o,
		    int64_t now)
{
	int64_t max_age = (int64_t)(r->max_age_hours ? r->max_age_hours : RULES_MAX_AGE_DEFAULT_H) * HOUR_MS;
	int64_t at = m->at;

	if (!r->enabled)
		return false;
	if (!strcmp(r->trigger, "any")) {
		if (m->exc)
			return false; /* "any" is every status milestone; exceptions have exception:any */
	} else if (!strcmp(r->trigger, "exception:any")) {
		if (!m->exc)
			return false;
	} else if (strcmp(r->trigger, m->trigger)) {
		return false;
	}
	if (r->detail[0] && strcmp(r->detail, m->detail))
		return false;
	if (m->internal && r->audience == AUD_CUSTOMER)
		return false;
	if ((r->has_min_value || r->has_max_value) &&
	    (!o->has_value || (r->has_min_value && o->value < r->min_value) ||
	     (r->has_max_value && o->value > r->max_value)))
		return false;
	if (m->exc && r->audience == AUD_CUSTOMER) {
		/* internal first: the owning team's grace */
		if (now < m->exc->customer_at)
			return false;
		at = m->exc->customer_at;
	}
	return now - at <= max_age;
}

void rules_exception_milestone(const struct order_state *o, const struct rules_exception *x,
			       struct rules_milestone *out)
{
	char rest[EV_PACKAGE_MAX + 32];
	bool pkg = x->package >= 0 && (size_t)x->package < o->npackages;

	memset(out, 0, sizeof(*out));
	out->trigger = rules_exception_trigger(x->kind);
	out->package = pkg ? x->package : -1;
	out->ret = x->ret;
	out->at = x->since;
	out->exc = x;
	/* minutes: the key stays short and still tells two openings apart */
	snprintf(rest, sizeof(rest), "%s:%s@%lld", exc_kind_name(x->kind),
		 pkg ? o->packages[x->package].tracking
		     : x->ret >= 0 && (size_t)x->ret < o->nreturns ? o->returns[x->ret].id : "order",
		 (long long)(x->since / 60000));
	make_key(out->key, "exc", rest);
}

/* The team a rule for the owner reaches: the exception's, else support. */
static enum rule_audience audience(const struct rule *r, const struct rules_milestone *m)
{
	if (r->audience != AUD_OWNER)
		return r->audience;
	return m->exc && m->exc->owner < AUD__COUNT && m->exc->owner != AUD_OWNER ? m->exc->owner : AUD_SUPPORT;
}

enum werr rules_plan(const struct rule *rules, size_t n, const struct rules_env *env, const struct order_state *o,
		     int64_t now, struct rule_plan **out, size_t *nout)
{
	struct rules_milestone ms[MILESTONES_MAX];
	size_t nms = rules_milestones(o, ms, MILESTONES_MAX);
	struct plans ps = { 0 };
	enum werr err = WERR_OK;

	for (size_t i = 0; i < nms; i++) {
		int d = ms[i].trigger && !strcmp(ms[i].trigger, "milestone") && env->milestones
				? ms_find(env->milestones, ms[i].detail)
				: -1;
		ms[i].internal = d >= 0 && !env->milestones->defs[d].visible;
	}
	for (size_t i = 0; i < env->nexceptions && nms < MILESTONES_MAX; i++)
		rules_exception_milestone(o, &env->exceptions[i], &ms[nms++]);

	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < n && !err; i++) {
		const struct rule *r = &rules[i];
		bool on = (r->channel == RCH_EMAIL && env->email) || (r->channel == RCH_SMS && env->sms) ||
			  (r->channel == RCH_WEBHOOK && env->webhook) || (r->channel == RCH_TICKET && env->ticket);
		if (!on)
			continue;
		for (size_t k = 0; k < nms && !err; k++) {
			if (!matches(r, &ms[k], o, now))
				continue;
			switch (r->channel) {
			case RCH_WEBHOOK:
				for (size_t s = 0; s < env->nsubscribers && !err; s++)
					err = push(&ps, i, r, &ms[k], env->subscribers[s], env, now);
				break;
			case RCH_TICKET:
				err = push(&ps, i, r, &ms[k], rule_audience_name(audience(r, &ms[k])), env, now);
				break;
			case RCH_SMS:
				err = push(&ps, i, r, &ms[k], o->customer.phone, env, now);
				break;
			case RCH_EMAIL:
			default:
				err = push(&ps, i, r, &ms[k],
					   r->audience == AUD_CUSTOMER ? o->customer.email : env->team[audience(r, &ms[k])],
					   env, now);
				break;
			}
		}
	}
	if (err) {
		free(ps.p);
		return err;
	}
	*out = ps.p;
	*nout = ps.n;
	return WERR_OK;
}
