/*
 * exceptions.c - the exception engine (exceptions.h, docs/exceptions.md).
 *
 * Each kind is one small function of (order, package, now) that either
 * opens an exception (its `since` the instant its threshold passed) or
 * names the instant it would open if nothing arrives (a candidate for the
 * next check).  The decision tables in docs/exceptions.md list the rows;
 * tests/core/test_exceptions.c has one test per row.
 */
#include "exceptions.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/num.h"
#include "../base/wtime.h"
#include "kpi.h"
#include "predict.h"

#define HOUR_MS ((int64_t)3600000)

static const char *const kind_names[EXC__COUNT] = {
	[EXC_NOT_HANDED_OVER] = "not_handed_over",
	[EXC_STALLED] = "stalled",
	[EXC_NOT_SHIPPED_BY_PROMISE] = "not_shipped_by_promise",
	[EXC_LATE_VS_PROMISE] = "late_vs_promise",
	[EXC_DELIVERY_ATTEMPTED] = "delivery_attempted",
	[EXC_ADDRESS_ISSUE] = "address_issue",
	[EXC_PICKUP_NOT_COLLECTED] = "pickup_not_collected",
	[EXC_DAMAGED] = "damaged",
	[EXC_LOST] = "lost",
	[EXC_REFUSED] = "refused",
	[EXC_CUSTOMS_HOLD] = "customs_hold",
	[EXC_CARRIER_EXCEPTION] = "carrier_exception",
	[EXC_CONFLICT_UNRESOLVED] = "conflict_unresolved",
	[EXC_CANCEL_REQUESTED] = "cancel_requested",
	[EXC_RETURN_APPROVAL] = "return_approval",
	[EXC_RETURN_MOVING] = "return_moving",
	[EXC_RETURN_NOT_INSPECTED] = "return_not_inspected",
	[EXC_RETURN_NOT_REFUNDED] = "return_not_refunded",
	[EXC_PARCEL_CLAIMED] = "parcel_claimed",
	[EXC_MILESTONE_OVERDUE] = "milestone_overdue",
	[EXC_APPOINTMENT_MISSED] = "appointment_missed",
	[EXC_NOT_RECEIVED] = "not_received",
};
static const char *const team_names[TEAM__COUNT] = { "support", "warehouse", "operations", "returns" };
static const char *const prio_names[PRIO__COUNT] = { "low", "normal", "high" };

static int name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

const char *exc_kind_name(enum exc_kind k)
{
	return (unsigned)k < EXC__COUNT ? kind_names[k] : "unknown";
}
int exc_kind_from_name(const char *name)
{
	return name_index(kind_names, EXC__COUNT, name);
}
const char *exc_team_name(enum exc_team t)
{
	return (unsigned)t < TEAM__COUNT ? team_names[t] : "support";
}
int exc_team_from_name(const char *name)
{
	return name_index(team_names, TEAM__COUNT, name);
}
const char *exc_priority_name(enum exc_priority p)
{
	return (unsigned)p < PRIO__COUNT ? prio_names[p] : "normal";
}
int exc_priority_from_name(const char *name)
{
	return name_index(prio_names, PRIO__COUNT, name);
}

void exc_config_defaults(struct exc_config *c)
{
	/* who fixes what: the warehouse hands parcels over and ships on time,
	 * the customer's own action goes through support, the carrier's
	 * problems through operations (docs/exceptions.md "Owners") */
	static const struct {
		enum exc_team team;
		enum exc_priority prio;
	} route[EXC__COUNT] = {
		[EXC_NOT_HANDED_OVER] = { TEAM_WAREHOUSE, PRIO_NORMAL },
		[EXC_STALLED] = { TEAM_OPERATIONS, PRIO_NORMAL },
		[EXC_NOT_SHIPPED_BY_PROMISE] = { TEAM_WAREHOUSE, PRIO_HIGH },
		[EXC_LATE_VS_PROMISE] = { TEAM_SUPPORT, PRIO_HIGH },
		[EXC_DELIVERY_ATTEMPTED] = { TEAM_SUPPORT, PRIO_NORMAL },
		[EXC_ADDRESS_ISSUE] = { TEAM_SUPPORT, PRIO_HIGH },
		[EXC_PICKUP_NOT_COLLECTED] = { TEAM_SUPPORT, PRIO_NORMAL },
		[EXC_DAMAGED] = { TEAM_OPERATIONS, PRIO_HIGH },
		[EXC_LOST] = { TEAM_OPERATIONS, PRIO_HIGH },
		[EXC_REFUSED] = { TEAM_SUPPORT, PRIO_NORMAL },
		[EXC_CUSTOMS_HOLD] = { TEAM_OPERATIONS, PRIO_NORMAL },
		[EXC_CARRIER_EXCEPTION] = { TEAM_OPERATIONS, PRIO_NORMAL },
		[EXC_CONFLICT_UNRESOLVED] = { TEAM_OPERATIONS, PRIO_LOW },
		[EXC_CANCEL_REQUESTED] = { TEAM_SUPPORT, PRIO_HIGH },
		/* the returns team decides and refunds; the warehouse receives */
		[EXC_RETURN_APPROVAL] = { TEAM_RETURNS, PRIO_NORMAL },
		[EXC_RETURN_MOVING] = { TEAM_WAREHOUSE, PRIO_LOW },
		[EXC_RETURN_NOT_INSPECTED] = { TEAM_WAREHOUSE, PRIO_NORMAL },
		[EXC_RETURN_NOT_REFUNDED] = { TEAM_RETURNS, PRIO_HIGH },
		/* two orders name one tracking number: whoever put the label
		 * on a parcel knows which order it holds */
		[EXC_PARCEL_CLAIMED] = { TEAM_WAREHOUSE, PRIO_HIGH },
		/* production, freight, customs: the people who run the order's
		 * own steps */
		[EXC_MILESTONE_OVERDUE] = { TEAM_OPERATIONS, PRIO_NORMAL },
		/* the customer waits at home, or has nothing: support talks to them */
		[EXC_APPOINTMENT_MISSED] = { TEAM_SUPPORT, PRIO_HIGH },
		[EXC_NOT_RECEIVED] = { TEAM_SUPPORT, PRIO_HIGH },
	};
	/* common carriers' claim windows for loss, in days after delivery: a
	 * default to check against the shop's own contract (docs/appointments.md) */
	static const struct {
		const char *carrier;
		int days;
	} claims[] = { { "ups", 60 }, { "fedex", 60 }, { "usps", 60 }, { "dhl", 30 } };

	memset(c, 0, sizeof(*c));
	c->not_handed_over_ms = 24 * HOUR_MS;
	c->stalled_ms = 48 * HOUR_MS;
	c->stalled_floor_ms = 24 * HOUR_MS;
	c->pickup_ms = 5 * 24 * HOUR_MS;
	c->conflict_ms = 24 * HOUR_MS;
	c->return_inspect_ms = 48 * HOUR_MS;
	c->return_refund_ms = 48 * HOUR_MS;
	c->sweep_seconds = 60;
	c->lanes_refresh_minutes = 60;
	for (int k = 0; k < EXC__COUNT; k++) {
		c->enabled[k] = true;
		c->team[k] = route[k].team;
		c->priority[k] = route[k].prio;
	}
	/* a team can often fix these before the customer notices */
	c->grace_ms[EXC_NOT_HANDED_OVER] = 24 * HOUR_MS;
	c->grace_ms[EXC_STALLED] = 24 * HOUR_MS;
	/* a missed appointment: the team books a new one, then the customer hears */
	c->grace_ms[EXC_APPOINTMENT_MISSED] = HOUR_MS;
	c->claim_days = 30;
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		snprintf(c->claims[i].carrier, sizeof(c->claims[i].carrier), "%s", claims[i].carrier);
		c->claims[i].days = claims[i].days;
	}
	c->nclaims = (int)(sizeof(claims) / sizeof(claims[0]));
}

int64_t exc_claim_until(const struct exc_config *cfg, const char *carrier, int64_t delivered_at)
{
	int days = cfg->claim_days;

	for (int i = 0; i < cfg->nclaims; i++)
		if (!strcmp(cfg->claims[i].carrier, carrier))
			days = cfg->claims[i].days;
	return delivered_at + (int64_t)days * 24 * HOUR_MS;
}

/* [claims]: default_days = N, CARRIER = N (days, 1..730). */
static int claims_set(struct exc_config *c, const char *name, const char *value)
{
	long n;
	int i;

	if (!num_parse(value, 1, 730, &n) || !name[0] || strlen(name) > EV_CARRIER_MAX)
		return -1;
	if (!strcmp(name, "default_days")) {
		c->claim_days = (int)n;
		return 1;
	}
	for (i = 0; i < c->nclaims && strcmp(c->claims[i].carrier, name); i++)
		;
	if (i == EXC_CLAIMS_MAX)
		return -1;
	if (i == c->nclaims)
		snprintf(c->claims[c->nclaims++].carrier, sizeof(c->claims[i].carrier), "%s", name);
	c->claims[i].days = (int)n;
	return 1;
}

int64_t exc_customer_at(const struct exc_config *cfg, const struct calendar *cal, enum exc_kind kind, int64_t since)
{
	if ((unsigned)kind >= EXC__COUNT || !cfg->grace_ms[kind])
		return since;
	return calendar_add(cal, since, cfg->grace_ms[kind]);
}

int exc_config_set(struct exc_config *c, const char *section, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t off;
		long max, unit;
	} durations[] = {
		{ "not_handed_over_hours", offsetof(struct exc_config, not_handed_over_ms), 24 * 60, HOUR_MS },
		{ "stalled_hours", offsetof(struct exc_config, stalled_ms), 24 * 60, HOUR_MS },
		{ "stalled_floor_hours", offsetof(struct exc_config, stalled_floor_ms), 24 * 60, HOUR_MS },
		{ "pickup_days", offsetof(struct exc_config, pickup_ms), 60, 24 * HOUR_MS },
		{ "conflict_hours", offsetof(struct exc_config, conflict_ms), 24 * 60, HOUR_MS },
		{ "return_inspect_hours", offsetof(struct exc_config, return_inspect_ms), 24 * 60, HOUR_MS },
		{ "return_refund_hours", offsetof(struct exc_config, return_refund_ms), 24 * 60, HOUR_MS },
	};
	long n;
	int k, v;

	if (!strcmp(section, "claims"))
		return claims_set(c, name, value);
	if (strcmp(section, "exceptions"))
		return 0;
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		if (strcmp(name, durations[i].name))
			continue;
		if (!num_parse(value, 1, durations[i].max, &n))
			return -1;
		*(int64_t *)((char *)c + durations[i].off) = (int64_t)n * durations[i].unit;
		return 1;
	}
	if (!strcmp(name, "sweep_seconds")) {
		if (!num_parse(value, 1, 3600, &n))
			return -1;
		c->sweep_seconds = (int)n;
		return 1;
	}
	if (!strcmp(name, "lanes_refresh_minutes")) {
		if (!num_parse(value, 1, 7 * 24 * 60, &n))
			return -1;
		c->lanes_refresh_minutes = (int)n;
		return 1;
	}
	/* team.KIND, priority.KIND, enabled.KIND, grace.KIND (hours, 0 none) */
	if (!strncmp(name, "grace.", 6) && (k = exc_kind_from_name(name + 6)) >= 0) {
		if (!num_parse(value, 0, 24 * 60, &n))
			return -1;
		c->grace_ms[k] = (int64_t)n * HOUR_MS;
		return 1;
	}
	if (!strncmp(name, "team.", 5) && (k = exc_kind_from_name(name + 5)) >= 0) {
		if ((v = exc_team_from_name(value)) < 0)
			return -1;
		c->team[k] = (enum exc_team)v;
		return 1;
	}
	if (!strncmp(name, "priority.", 9) && (k = exc_kind_from_name(name + 9)) >= 0) {
		if ((v = exc_priority_from_name(value)) < 0)
			return -1;
		c->priority[k] = (enum exc_priority)v;
		return 1;
	}
	if (!strncmp(name, "enabled.", 8) && (k = exc_kind_from_name(name + 8)) >= 0) {
		if (strcmp(value, "true") && strcmp(value, "false"))
			return -1;
		c->enabled[k] = !strcmp(value, "true");
		return 1;
	}
	/* business_days, holidays, utc_offset_hours: the calendar's (core/policy.h) */
	if (!strcmp(name, "business_days") || !strcmp(name, "holidays") || !strcmp(name, "utc_offset_hours"))
		return 0;
	return -1;
}

void exceptions_lane(const struct order_state *o, const struct package_state *p, struct lane *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->carrier, sizeof(out->carrier), "%s", p->carrier);
	snprintf(out->service, sizeof(out->service), "%s", p->service);
	lane_region(p->origin.country, p->origin.region, out->origin);
	lane_region(o->ship_to.country, o->ship_to.region, out->destination);
}

size_t exceptions_max(const struct order_state *o)
{
	return 6 + 3 * o->npackages + o->nreturns + o->nconflicts;
}

/* The scan of one order: what opened, and the earliest threshold ahead. */
struct scan {
	const struct exc_config *cfg;
	const struct calendar *cal;
	int64_t now;
	struct order_exception *out;
	size_t cap, n;
	int64_t next;
};

static void fmt_time(int64_t t, char buf[WTIME_BUFSZ])
{
	wtime_format(t, buf);
}

/* Opens kind at since when the threshold has passed, else notes since as a
 * check to come.  Returns the exception to fill, or NULL. */
static struct order_exception *at(struct scan *s, enum exc_kind kind, const char *package, int64_t since,
				  int64_t threshold)
{
	struct order_exception *x;

	if (!s->cfg->enabled[kind] || since == INT64_MAX)
		return NULL;
	if (since > s->now) {
		if (!s->next || since < s->next)
			s->next = since;
		return NULL;
	}
	if (s->n == s->cap)
		return NULL;
	x = &s->out[s->n++];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	snprintf(x->package, sizeof(x->package), "%s", package);
	x->since = since;
	x->threshold = threshold;
	/* the customer's rules may fire when the grace ends: look again then */
	since = exc_customer_at(s->cfg, s->cal, kind, since);
	if (since > s->now && since != INT64_MAX && (!s->next || since < s->next))
		s->next = since;
	return x;
}

static bool detail_is(const char *d, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(d, *names))
			return true;
	return false;
}

/* A carrier's attention state: the kind it stays open as, or -1. */
static int attention_kind(const struct package_state *p)
{
	static const char *const address[] = { "address_issue", "incorrect_address", "bad_address", NULL };
	static const char *const damaged[] = { "damaged", NULL };
	static const char *const lost[] = { "lost", "missing", NULL };
	static const char *const refused[] = { "refused", "rejected", NULL };
	static const char *const customs[] = { "customs_hold", "customs", NULL };

	if (p->status == PKG_DELIVERY_ATTEMPTED)
		return EXC_DELIVERY_ATTEMPTED;
	if (p->status != PKG_EXCEPTION)
		return -1;
	if (detail_is(p->detail, address))
		return EXC_ADDRESS_ISSUE;
	if (detail_is(p->detail, damaged))
		return EXC_DAMAGED;
	if (detail_is(p->detail, lost))
		return EXC_LOST;
	if (detail_is(p->detail, refused))
		return EXC_REFUSED;
	if (detail_is(p->detail, customs))
		return EXC_CUSTOMS_HOLD;
	return EXC_CARRIER_EXCEPTION;
}

static void package_checks(struct scan *s, const struct order_state *o, const struct package_state *p,
			   const struct lane_stat *st)
{
	struct order_exception *x;
	char t[WTIME_BUFSZ];
	int k;

	switch (p->status) {
	case PKG_CANCELLED:
	case PKG_DELIVERED:
	case PKG_RETURNED_TO_SENDER:
		return;
	default:
		break;
	}
	/* a missed appointment, until a new one (or the delivery) */
	if (p->appt.state == EV_APPOINTMENT_MISSED && (x = at(s, EXC_APPOINTMENT_MISSED, p->tracking, p->appt.at, 0))) {
		fmt_time(p->appt.at, t);
		snprintf(x->reason, sizeof(x->reason),
			 "The delivery appointment for parcel %s was missed on %s%s%s: book a new one with the "
			 "customer.",
			 p->tracking, t, p->appt.reason[0] ? " - " : "", p->appt.reason);
	}
	/* not handed over: a label and no carrier scan yet */
	if (p->label_at && !p->shipped_at && (p->status == PKG_LABEL_CREATED || p->status == PKG_UNKNOWN)) {
		int64_t due = calendar_add(s->cal, p->label_at, s->cfg->not_handed_over_ms);
		if ((x = at(s, EXC_NOT_HANDED_OVER, p->tracking, due, s->cfg->not_handed_over_ms))) {
			fmt_time(p->label_at, t);
			snprintf(x->reason, sizeof(x->reason),
				 "Label created %s, and no carrier scan after %lld working hours: the carrier may "
				 "not have the parcel (tracking number not found).",
				 t, (long long)(s->cfg->not_handed_over_ms / HOUR_MS));
		}
		return;
	}
	/* carrier attention states stay open while the status holds */
	if ((k = attention_kind(p)) >= 0) {
		if ((x = at(s, (enum exc_kind)k, p->tracking, p->status_at, 0))) {
			fmt_time(p->status_at, t);
			snprintf(x->reason, sizeof(x->reason), "The carrier reported %s%s%s on %s.",
				 p->status == PKG_DELIVERY_ATTEMPTED ? "a failed delivery attempt" : "an exception",
				 p->detail[0] ? ": " : "", p->detail, t);
		}
		return;
	}
	if (p->status == PKG_AVAILABLE_FOR_PICKUP) {
		int64_t due = p->status_at + s->cfg->pickup_ms;
		if ((x = at(s, EXC_PICKUP_NOT_COLLECTED, p->tracking, due, s->cfg->pickup_ms))) {
			fmt_time(p->status_at, t);
			snprintf(x->reason, sizeof(x->reason),
				 "Waiting for pickup since %s and not collected after %lld days; the carrier "
				 "returns uncollected parcels.",
				 t, (long long)(s->cfg->pickup_ms / (24 * HOUR_MS)));
		}
		return;
	}
	/* stalled: with the carrier, and no scan within the lane's rhythm */
	if (p->shipped_at && p->last_scan_at &&
	    (p->status == PKG_IN_TRANSIT || p->status == PKG_OUT_FOR_DELIVERY)) {
		int64_t rhythm = s->cfg->stalled_ms;
		const char *basis = "default";
		static const char *const level_names[LANES_LEVELS] = {
			"lane (carrier, service, origin, destination)", "lane (carrier, service, destination)",
			"lane (carrier, service)", "carrier"
		};
		if (st && st->level >= 0 && st->level < LANES_LEVELS) {
			rhythm = st->gap_p90 > s->cfg->stalled_floor_ms ? st->gap_p90 : s->cfg->stalled_floor_ms;
			basis = level_names[st->level];
		}
		/* a parcel waiting for its appointment is not stalled: the wait
		 * counts from the latest word about it, or the window's end */
		int64_t base = p->last_scan_at;
		if (p->appt.state != EV_UNKNOWN) {
			base = p->appt.at > base ? p->appt.at : base;
			base = p->appt.window_end > base ? p->appt.window_end : base;
		}
		int64_t due = calendar_add(s->cal, base, rhythm);
		if ((x = at(s, EXC_STALLED, p->tracking, due, rhythm))) {
			fmt_time(p->last_scan_at, t);
			snprintf(x->basis, sizeof(x->basis), "%s", st && st->level >= 0 ? "learned" : "default");
			if (st && st->level >= 0)
				snprintf(x->reason, sizeof(x->reason),
					 "No carrier scan since %s: longer than this lane's usual longest wait of %lld "
					 "working hours (90th percentile of %zu delivered parcels, %s).",
					 t, (long long)(rhythm / HOUR_MS), st->n, basis);
			else
				snprintf(x->reason, sizeof(x->reason),
					 "No carrier scan since %s: longer than the default %lld working hours (no "
					 "lane history yet).",
					 t, (long long)(rhythm / HOUR_MS));
		}
	}
}

static bool order_shipped(const struct order_state *o)
{
	for (size_t i = 0; i < o->npackages; i++)
		if (o->packages[i].shipped_at && o->packages[i].status != PKG_CANCELLED && !o->packages[i].is_return)
			return true;
	return false;
}

/* The order's live packages are all delivered (or it has none). */
static bool order_done(const struct order_state *o)
{
	return o->status == ORD_DELIVERED || o->status == ORD_CANCELLED;
}

/* When a parcel on its way became known to miss deadline by wismo's own
 * prediction (core/predict.h): even its earliest predicted day is after the
 * promise; 0 when it is not known late.  A carrier's estimate revised after
 * it took the parcel speaks instead (it knows about this parcel). */
static int64_t predicted_late(const struct scan *s, const struct package_state *p, const struct lane_stat *st,
			      int64_t deadline, struct prediction *pr)
{
	bool revised = p->estimated_delivery && p->estimated_at > p->shipped_at;

	if (!st || st->level < 0 || !p->shipped_at || revised || p->is_return || p->status == PKG_DELIVERED ||
	    p->status == PKG_CANCELLED || p->status == PKG_RETURNED_TO_SENDER ||
	    !predict_delivery(st, s->cal, p->shipped_at, 0, pr) || pr->earliest < deadline)
		return 0;
	return p->shipped_at;
}

static void promise_checks(struct scan *s, const struct order_state *o, const struct lane_stat *stats)
{
	struct order_exception *x;
	char t[WTIME_BUFSZ], t2[WTIME_BUFSZ];

	if (o->status == ORD_CANCELLED)
		return;
	if (o->promised_ship_by && !order_shipped(o) && !order_done(o)) {
		/* late from the first instant past the promise (kpi.h: a date holds all day) */
		int64_t due = kpi_promise_deadline(o->promised_ship_by) + 1;
		if ((x = at(s, EXC_NOT_SHIPPED_BY_PROMISE, "", due, 0))) {
			fmt_time(o->promised_ship_by, t);
			snprintf(x->reason, sizeof(x->reason),
				 "Promised to ship by %s, and no parcel is with a carrier yet.", t);
		}
	}
	if (o->promised_by && !order_done(o)) {
		int64_t deadline = kpi_promise_deadline(o->promised_by) + 1;
		const struct package_state *late = NULL;
		/* the first live, undelivered parcel whose estimate misses the promise */
		for (size_t i = 0; i < o->npackages; i++) {
			const struct package_state *p = &o->packages[i];
			if (p->status == PKG_CANCELLED || p->status == PKG_DELIVERED || p->is_return)
				continue;
			if (p->estimated_delivery && kpi_promise_deadline(p->estimated_delivery) >= deadline &&
			    (!late || p->estimated_at < late->estimated_at))
				late = p;
		}
		fmt_time(o->promised_by, t);
		/* wismo's own prediction, where it knows late sooner than the carrier says */
		for (size_t i = 0; stats && i < o->npackages; i++) {
			struct prediction pr;
			int64_t known = predicted_late(s, &o->packages[i], &stats[i], deadline, &pr);
			if (known && known < deadline && (!late || late->estimated_at >= deadline || known < late->estimated_at) &&
			    (x = at(s, EXC_LATE_VS_PROMISE, "", known, 0))) {
				fmt_time(pr.earliest, t2);
				snprintf(x->reason, sizeof(x->reason),
					 "Promised by %s; from %zu deliveries on its lane, parcel %s is not expected before "
					 "%s.",
					 t, pr.n, o->packages[i].tracking, t2);
				return;
			}
		}
		if (late && late->estimated_at < deadline) {
			/* known late before the promise passed: open from that news */
			x = at(s, EXC_LATE_VS_PROMISE, "", late->estimated_at, 0);
			if (x) {
				fmt_time(late->estimated_delivery, t2);
				snprintf(x->reason, sizeof(x->reason),
					 "Promised by %s; the carrier now expects %s for parcel %s.", t, t2,
					 late->tracking);
			}
		} else if ((x = at(s, EXC_LATE_VS_PROMISE, "", deadline, 0))) {
			snprintf(x->reason, sizeof(x->reason), "Promised by %s, and not delivered yet.", t);
		}
	}
}

static void conflict_check(struct scan *s, const struct order_state *o)
{
	struct order_exception *x;
	int64_t first = 0;
	char t[WTIME_BUFSZ];

	size_t n = 0;

	/* parcel conflicts have their own task at once (parcel_checks) */
	for (size_t i = 0; i < o->nconflicts; i++) {
		if (o->conflicts[i].kind == CONFLICT_PARCEL)
			continue;
		n++;
		if (!first || o->conflicts[i].claim_at < first)
			first = o->conflicts[i].claim_at;
	}
	if (!n)
		return;
	if ((x = at(s, EXC_CONFLICT_UNRESOLVED, "", calendar_add(s->cal, first, s->cfg->conflict_ms),
		    s->cfg->conflict_ms))) {
		fmt_time(first, t);
		snprintf(x->reason, sizeof(x->reason),
			 "Sources disagree since %s (%zu conflict%s), unresolved after %lld working hours.", t,
			 n, n == 1 ? "" : "s", (long long)(s->cfg->conflict_ms / HOUR_MS));
	}
}

/* Rule 10 of docs/status.md (docs/parcels.md): a parcel this order owns
 * that other orders claim opens one task on the owner, at once, naming
 * every order involved; the claiming orders show the conflict and point
 * here.  Conflicts come sorted by tracking number (order.h). */
static void parcel_checks(struct scan *s, const struct order_state *o)
{
	for (size_t i = 0; i < o->nconflicts;) {
		const struct conflict *c = &o->conflicts[i];
		struct order_exception *x;
		size_t j = i, len;
		int64_t since = 0;
		char t[WTIME_BUFSZ];

		if (c->kind != CONFLICT_PARCEL || strcmp(c->owner_order, o->order)) {
			i++;
			continue;
		}
		for (; j < o->nconflicts && o->conflicts[j].kind == CONFLICT_PARCEL &&
		       !strcmp(o->conflicts[j].package, c->package); j++)
			if (!since || o->conflicts[j].claim_at < since)
				since = o->conflicts[j].claim_at;
		if ((x = at(s, EXC_PARCEL_CLAIMED, c->package, since, 0))) {
			fmt_time(since, t);
			len = (size_t)snprintf(x->reason, sizeof(x->reason),
					       "Tracking number %s is claimed by orders %s", c->package, o->order);
			for (size_t k = i; k < j && len < sizeof(x->reason); k++)
				len += (size_t)snprintf(x->reason + len, sizeof(x->reason) - len, "%s%s",
							k + 1 < j ? ", " : " and ", o->conflicts[k].claim_order);
			if (len < sizeof(x->reason))
				snprintf(x->reason + len, sizeof(x->reason) - len,
					 "; claimed since %s. It stays with %s until the source that attached it "
					 "moves it.", t, o->order);
		}
		i = j;
	}
}

/* A customer's cancellation request waits for the store: open from the
 * request until the order is cancelled or refunded. */
static void cancel_check(struct scan *s, const struct order_state *o)
{
	struct order_exception *x;
	char t[WTIME_BUFSZ];

	if (!o->cancel_requested_at || o->status == ORD_CANCELLED || o->refunded_at >= o->cancel_requested_at)
		return;
	if ((x = at(s, EXC_CANCEL_REQUESTED, "", o->cancel_requested_at, 0))) {
		fmt_time(o->cancel_requested_at, t);
		snprintf(x->reason, sizeof(x->reason),
			 "The customer asked to cancel on %s%s; cancel the order and refund it in the store, or "
			 "contact the customer.",
			 t, o->status == ORD_DELIVERED ? " (the order has been delivered since)" : "");
	}
}

/* The returns' waits (docs/returns.md "Tasks"): at most one per return,
 * named by its id.  The goods are back or on their way, so each step has
 * someone to act: decide, prepare, inspect, refund. */
static void return_checks(struct scan *s, const struct order_state *o)
{
	const struct exc_config *c = s->cfg;
	struct order_exception *x;
	char t[WTIME_BUFSZ];

	for (size_t i = 0; i < o->nreturns; i++) {
		const struct return_state *r = &o->returns[i];
		switch (r->state) {
		case RET_REQUESTED:
			if ((x = at(s, EXC_RETURN_APPROVAL, r->id, r->requested_at ? r->requested_at : r->updated_at, 0))) {
				fmt_time(x->since, t);
				snprintf(x->reason, sizeof(x->reason),
					 "Return %s was requested on %s%s%s and waits for a decision: approve or reject it.",
					 r->id, t, r->reason[0] ? "; reason: " : "", r->reason);
			}
			break;
		case RET_IN_TRANSIT:
			if ((x = at(s, EXC_RETURN_MOVING, r->id, r->moving_at, 0)))
				snprintf(x->reason, sizeof(x->reason),
					 "Return %s is on its way back%s%s: plan its inspection and the refund.", r->id,
					 r->nparcels ? " in parcel " : "", r->nparcels ? r->parcels[0] : "");
			break;
		case RET_RECEIVED:
			if ((x = at(s, EXC_RETURN_NOT_INSPECTED, r->id, calendar_add(s->cal, r->received_at, c->return_inspect_ms),
				    c->return_inspect_ms))) {
				fmt_time(r->received_at, t);
				snprintf(x->reason, sizeof(x->reason),
					 "Return %s arrived on %s and was not inspected within %lld working hours.", r->id, t,
					 (long long)(c->return_inspect_ms / HOUR_MS));
			}
			break;
		case RET_DISPOSED:
			if (r->disposition == DISP_RETURN_TO_CUSTOMER)
				break; /* the goods go back: nothing to refund */
			if ((x = at(s, EXC_RETURN_NOT_REFUNDED, r->id, calendar_add(s->cal, r->disposed_at, c->return_refund_ms),
				    c->return_refund_ms))) {
				fmt_time(r->disposed_at, t);
				snprintf(x->reason, sizeof(x->reason),
					 "Return %s was processed on %s (%s) but the customer has no refund, replacement or "
					 "credit after %lld working hours.",
					 r->id, t, r->disposition ? ret_disposition_name(r->disposition) : "no disposition given",
					 (long long)(c->return_refund_ms / HOUR_MS));
			}
			break;
		default:
			break;
		}
	}
}

/* The shop's own milestones (core/order.h rule 11): the one the order is
 * in, past its expected time (the fold gives when). */
static void milestone_check(struct scan *s, const struct order_state *o)
{
	const struct ms_reached *m;
	struct order_exception *x;
	char t[WTIME_BUFSZ];

	if (o->ms_current < 0 || !o->ms_due)
		return;
	m = &o->ms_reached[o->ms_current];
	if ((x = at(s, EXC_MILESTONE_OVERDUE, m->name, o->ms_due, 0))) {
		fmt_time(m->at, t);
		snprintf(x->reason, sizeof(x->reason),
			 "The order reached '%s' on %s (%s) and has not moved on within the expected time.", m->name, t,
			 m->source);
	}
}

/* "I haven't received it" (docs/appointments.md): the latest delivered
 * parcel's proof and its carrier's claim window, for the support task.  A
 * refund or a delivery after the report settles it. */
static void not_received_check(struct scan *s, const struct order_state *o)
{
	const struct package_state *d = NULL;
	struct order_exception *x;
	char t[WTIME_BUFSZ], dt[WTIME_BUFSZ], until[WTIME_BUFSZ], text[1536];
	size_t len;

	if (!o->not_received_at || o->refunded_at >= o->not_received_at)
		return;
	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		if (p->is_return || p->status != PKG_DELIVERED)
			continue;
		if (p->delivered_at > o->not_received_at)
			return;
		if (!d || p->delivered_at > d->delivered_at)
			d = p;
	}
	if (!(x = at(s, EXC_NOT_RECEIVED, d ? d->tracking : "", o->not_received_at, 0)))
		return;
	fmt_time(o->not_received_at, t);
	len = (size_t)snprintf(text, sizeof(text), "The customer reports on %s that the order has not arrived.", t);
	if (d) {
		const struct event_proof *pr = &d->proof;
		fmt_time(d->delivered_at, dt);
		wtime_format(exc_claim_until(s->cfg, d->carrier, d->delivered_at), until);
		snprintf(text + len, sizeof(text) - len, " %s %s delivered %s%s%s%s%s; claim with the carrier by %s.%s%s",
			 d->carrier[0] ? d->carrier : "Parcel", d->tracking, dt, pr->left_at[0] ? ", left at " : "",
			 pr->left_at, pr->signed_by[0] ? ", signed by " : "", pr->signed_by, until,
			 pr->url[0] ? " Proof: " : "", pr->url);
	}
	/* the reason's room; the agent view has the whole proof */
	len = strnlen(text, sizeof(x->reason) - 1);
	memcpy(x->reason, text, len);
	x->reason[len] = '\0';
}

static int exc_cmp(const void *a, const void *b)
{
	const struct order_exception *x = a, *y = b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return strcmp(x->package, y->package);
}

void exceptions_compute(const struct order_state *o, const struct calendar *cal, const struct exc_config *cfg,
			const struct lane_stat *stats, int64_t now, struct order_exception *out, size_t cap,
			size_t *n, int64_t *next_check)
{
	struct scan s = { cfg, cal, now, out, cap, 0, 0 };

	for (size_t i = 0; i < o->npackages; i++)
		if (!o->packages[i].is_return) /* a return's waits are return_checks' */
			package_checks(&s, o, &o->packages[i], stats ? &stats[i] : NULL);
	promise_checks(&s, o, stats);
	conflict_check(&s, o);
	parcel_checks(&s, o);
	cancel_check(&s, o);
	return_checks(&s, o);
	milestone_check(&s, o);
	not_received_check(&s, o);
	qsort(out, s.n, sizeof(*out), exc_cmp);
	*n = s.n;
	*next_check = s.next;
}
