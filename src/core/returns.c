/*
 * returns.c - the return lifecycle (returns.h).
 *
 * The fold sorts the events by (id, key) so that duplicates by key sit
 * together and every return's events are one run; each run is then read
 * once, applying rules 1-5 of returns.h.  Nothing depends on the order the
 * events arrived in.
 */
#include "returns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/num.h"
#include "../base/walloc.h"
#include "../base/banned.h"

static const char *const step_names[RET__COUNT] = {
	[RET_REQUESTED] = "requested",
	[RET_APPROVED] = "approved",
	[RET_REJECTED] = "rejected",
	[RET_LABEL_CREATED] = "label_created",
	[RET_PICKUP_SCHEDULED] = "pickup_scheduled",
	[RET_IN_TRANSIT] = "in_transit",
	[RET_RECEIVED] = "received",
	[RET_INSPECTING] = "inspecting",
	[RET_DISPOSED] = "disposed",
	[RET_REFUNDED] = "refunded",
	[RET_REPLACED] = "replaced",
	[RET_STORE_CREDIT] = "store_credit",
	[RET_CLOSED] = "closed",
	[RET_CANCELLED] = "cancelled",
};

static const char *const disposition_names[DISP__COUNT] = {
	[DISP_NONE] = "none",
	[DISP_RESTOCK] = "restock",
	[DISP_REFURBISH] = "refurbish",
	[DISP_SCRAP] = "scrap",
	[DISP_RETURN_TO_CUSTOMER] = "return_to_customer",
};

#define K(kind) (1u << (kind))
/* rule 1: who reports each step (docs/returns.md "Owners"); generic: all */
static const unsigned owners[RET__COUNT] = {
	[RET_REQUESTED] = K(KIND_STOREFRONT),
	[RET_APPROVED] = K(KIND_STOREFRONT),
	[RET_REJECTED] = K(KIND_STOREFRONT),
	[RET_LABEL_CREATED] = K(KIND_STOREFRONT) | K(KIND_SHIPPING) | K(KIND_CARRIER) | K(KIND_AGGREGATOR),
	[RET_PICKUP_SCHEDULED] = K(KIND_SHIPPING) | K(KIND_CARRIER) | K(KIND_AGGREGATOR),
	[RET_IN_TRANSIT] = K(KIND_CARRIER) | K(KIND_AGGREGATOR),
	/* a return parcel's delivery is its receipt; the warehouse scans it in too */
	[RET_RECEIVED] = K(KIND_WAREHOUSE) | K(KIND_CARRIER) | K(KIND_AGGREGATOR),
	/* the warehouse inspects and disposes; a store relays its own warehouse's word */
	[RET_INSPECTING] = K(KIND_WAREHOUSE) | K(KIND_STOREFRONT),
	[RET_DISPOSED] = K(KIND_WAREHOUSE) | K(KIND_STOREFRONT),
	[RET_REFUNDED] = K(KIND_STOREFRONT),
	[RET_REPLACED] = K(KIND_STOREFRONT),
	[RET_STORE_CREDIT] = K(KIND_STOREFRONT),
	[RET_CLOSED] = K(KIND_STOREFRONT),
	[RET_CANCELLED] = K(KIND_STOREFRONT),
};
#undef K

static const int ranks[RET__COUNT] = {
	[RET_REQUESTED] = 0,    [RET_APPROVED] = 1,  [RET_REJECTED] = 1,   [RET_LABEL_CREATED] = 2,
	[RET_PICKUP_SCHEDULED] = 2, [RET_IN_TRANSIT] = 3, [RET_RECEIVED] = 4, [RET_INSPECTING] = 5,
	[RET_DISPOSED] = 6,     [RET_REFUNDED] = 7,  [RET_REPLACED] = 7,   [RET_STORE_CREDIT] = 7,
	[RET_CLOSED] = 8,       [RET_CANCELLED] = -1,
};

const char *ret_step_name(enum ret_step s)
{
	return (unsigned)s < RET__COUNT ? step_names[s] : "unknown";
}

int ret_step_from_name(const char *name)
{
	for (int i = 0; name && i < RET__COUNT; i++)
		if (!strcmp(name, step_names[i]))
			return i;
	return -1;
}

const char *ret_disposition_name(enum ret_disposition d)
{
	return (unsigned)d < DISP__COUNT ? disposition_names[d] : "none";
}

int ret_disposition_from_name(const char *name)
{
	for (int i = 1; name && i < DISP__COUNT; i++)
		if (!strcmp(name, disposition_names[i]))
			return i;
	return -1;
}

bool ret_step_owned_by(enum ret_step step, enum source_kind kind)
{
	if ((unsigned)step >= RET__COUNT)
		return false;
	return kind == KIND_GENERIC || (owners[step] >> kind & 1u);
}

int ret_step_rank(enum ret_step s)
{
	return (unsigned)s < RET__COUNT ? ranks[s] : -1;
}

/* Splits a comma list into words (trimmed, non-empty, each a reason word:
 * letters, digits and '_'; "*" where star is allowed). */
static int parse_list(const char *value, bool star, char (*out)[RET_REASON_MAX + 1], size_t *n)
{
	const char *p = value;

	*n = 0;
	while (*p) {
		size_t len, lead = strspn(p, " \t");
		p += lead;
		len = strcspn(p, ",");
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len) {
			bool ok = len <= RET_REASON_MAX && *n < RET_REASONS_MAX;
			for (size_t i = 0; ok && i < len; i++)
				ok = (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_' ||
				     (star && len == 1 && p[i] == '*');
			if (!ok)
				return -1;
			snprintf(out[*n], RET_REASON_MAX + 1, "%.*s", (int)len, p);
			(*n)++;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

void returns_config_defaults(struct returns_config *c)
{
	memset(c, 0, sizeof(*c));
	c->window_days = 30;
	parse_list("too_small, too_large, changed_mind, not_as_described, damaged, wrong_item, other", false, c->reasons,
		   &c->nreasons);
	/* a person looks at what costs the shop most: damage, a mistake, a
	 * large order (docs/returns.md "Self-service") */
	parse_list("too_small, too_large, changed_mind, other", false, c->auto_reasons, &c->nauto);
	c->has_auto_max = true;
	c->auto_max_value = 250;
}

int returns_config_set(struct returns_config *c, const char *section, const char *name, const char *value)
{
	long n;
	char *end;

	if (strcmp(section, "returns"))
		return 0;
	if (!strcmp(name, "window_days")) {
		if (!num_parse(value, 0, 3650, &n))
			return -1;
		c->window_days = (int)n;
		return 1;
	}
	if (!strcmp(name, "reasons"))
		return parse_list(value, false, c->reasons, &c->nreasons) || !c->nreasons ? -1 : 1;
	if (!strcmp(name, "auto_approve"))
		return parse_list(value, true, c->auto_reasons, &c->nauto) ? -1 : 1;
	if (!strcmp(name, "auto_approve_max_value")) {
		if (!value[0] || !strcmp(value, "none")) {
			c->has_auto_max = false;
			return 1;
		}
		c->auto_max_value = strtod(value, &end);
		if (*end || !(c->auto_max_value >= 0 && c->auto_max_value <= EV_VALUE_MAX))
			return -1;
		c->has_auto_max = true;
		return 1;
	}
	if (!strcmp(name, "instructions")) {
		if (strlen(value) > RET_INSTRUCTIONS_MAX)
			return -1;
		snprintf(c->instructions, sizeof(c->instructions), "%s", value);
		return 1;
	}
	return -1;
}

bool returns_reason_offered(const struct returns_config *c, const char *reason)
{
	for (size_t i = 0; i < c->nreasons; i++)
		if (!strcmp(c->reasons[i], reason))
			return true;
	return false;
}

bool returns_auto_approve(const struct returns_config *c, const char *reason, bool has_value, double value)
{
	bool listed = false;

	for (size_t i = 0; i < c->nauto && !listed; i++)
		listed = !strcmp(c->auto_reasons[i], "*") || !strcmp(c->auto_reasons[i], reason);
	if (!listed)
		return false;
	return !c->has_auto_max || (has_value && value <= c->auto_max_value);
}

_Static_assert(EV_RETURN_CANCELLED - EV_RETURN_REQUESTED == RET_CANCELLED, "one return status per step, in order");

int ret_step_of_status(enum ev_status s)
{
	return ev_status_is_return(s) ? (int)(s - EV_RETURN_REQUESTED) : -1;
}

enum ev_status ret_step_status(enum ret_step s)
{
	return (unsigned)s < RET__COUNT ? (enum ev_status)(EV_RETURN_REQUESTED + s) : EV_UNKNOWN;
}

int ret_step_of_parcel_status(enum ev_status s, bool shipped)
{
	switch (s) {
	case EV_LABEL_CREATED: return RET_LABEL_CREATED;
	case EV_DELIVERED: return RET_RECEIVED;
	case EV_IN_TRANSIT:
	case EV_OUT_FOR_DELIVERY:
	case EV_AVAILABLE_FOR_PICKUP:
	case EV_DELIVERY_ATTEMPTED: return RET_IN_TRANSIT;
	case EV_EXCEPTION: return shipped ? RET_IN_TRANSIT : -1;
	default: return -1;
	}
}

const char *ret_step_label(enum ret_step s)
{
	static const char *const labels[RET__COUNT] = {
		[RET_REQUESTED] = "Return requested",
		[RET_APPROVED] = "Return approved",
		[RET_REJECTED] = "Return declined",
		[RET_LABEL_CREATED] = "Return label created",
		[RET_PICKUP_SCHEDULED] = "Return pickup booked",
		[RET_IN_TRANSIT] = "Return on its way",
		[RET_RECEIVED] = "Return received",
		[RET_INSPECTING] = "Return being checked",
		[RET_DISPOSED] = "Return checked",
		[RET_REFUNDED] = "Refund issued",
		[RET_REPLACED] = "Replacement sent",
		[RET_STORE_CREDIT] = "Store credit issued",
		[RET_CLOSED] = "Return completed",
		[RET_CANCELLED] = "Return cancelled",
	};
	return (unsigned)s < RET__COUNT ? labels[s] : "Return";
}

const char *ret_customer_label(const struct return_state *r)
{
	enum ret_step s = r->state == RET_CLOSED && r->resolved_at ? r->resolution : r->state;

	switch (s) {
	case RET_REQUESTED: return "Return requested";
	case RET_APPROVED:
	case RET_LABEL_CREATED:
	case RET_PICKUP_SCHEDULED: return "Return approved";
	case RET_REJECTED: return "Return declined";
	case RET_IN_TRANSIT: return "Return on its way";
	case RET_RECEIVED:
	case RET_INSPECTING:
	case RET_DISPOSED: return "Return received";
	case RET_REFUNDED: return "Refund issued";
	case RET_REPLACED: return "Replacement sent";
	case RET_STORE_CREDIT: return "Store credit issued";
	case RET_CLOSED: return "Return closed";
	case RET_CANCELLED: return "Return cancelled";
	case RET__COUNT: break;
	}
	return "Return requested";
}

int ret_customer_step(const struct return_state *r)
{
	int rank = ret_step_rank(r->state);

	if (r->state == RET_REJECTED || r->state == RET_CANCELLED)
		return 0;
	if (rank >= 7)
		return 4;
	if (rank >= 4)
		return 3;
	return rank == 3 ? 2 : 1;
}

static int cmp_event(const void *a, const void *b)
{
	const struct return_event *x = *(const struct return_event *const *)a;
	const struct return_event *y = *(const struct return_event *const *)b;
	int c = strcmp(x->id, y->id);
	return c ? c : strcmp(x->key, y->key);
}

/* Whether x is later than y by event time, then key (rule 2's tie-break). */
static bool later(const struct return_event *x, const struct return_event *y)
{
	return !y || x->at > y->at || (x->at == y->at && strcmp(x->key, y->key) > 0);
}

static void earliest(int64_t *slot, int64_t at)
{
	if (!*slot || at < *slot)
		*slot = at;
}

static void add_parcel(struct return_state *r, const char *tracking)
{
	size_t i = 0;

	if (!tracking[0])
		return;
	while (i < r->nparcels && strcmp(r->parcels[i], tracking) < 0)
		i++;
	if ((i < r->nparcels && !strcmp(r->parcels[i], tracking)) || r->nparcels == RET_PARCELS_MAX)
		return;
	memmove(r->parcels[i + 1], r->parcels[i], (r->nparcels - i) * sizeof(r->parcels[0]));
	snprintf(r->parcels[i], sizeof(r->parcels[i]), "%s", tracking);
	r->nparcels++;
}

/* One return from its run of events (sorted by key, duplicates adjacent). */
static void fold_one(const struct return_event *const *e, size_t n, struct return_state *r)
{
	const struct return_event *top = NULL, *cancel = NULL, *items = NULL, *reason = NULL, *disp = NULL;
	const struct return_event *res = NULL, *refund = NULL;

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", e[0]->id);
	for (size_t i = 0; i < n; i++) {
		const struct return_event *x = e[i];
		if (i && !strcmp(x->key, e[i - 1]->key))
			continue; /* a duplicate */
		if ((unsigned)x->step >= RET__COUNT || !ret_step_owned_by(x->step, x->kind)) {
			r->nclaims++;
			continue;
		}
		if (x->at > r->updated_at)
			r->updated_at = x->at;
		add_parcel(r, x->tracking);
		if (x->nitems && later(x, items))
			items = x;
		if (x->reason[0] && later(x, reason))
			reason = x;
		if (x->disposition != DISP_NONE && later(x, disp))
			disp = x;
		if (x->has_refund && later(x, refund))
			refund = x;
		if (ranks[x->step] == ranks[RET_REFUNDED] && later(x, res))
			res = x;
		switch (x->step) {
		case RET_REQUESTED: earliest(&r->requested_at, x->at); break;
		case RET_IN_TRANSIT: earliest(&r->moving_at, x->at); break;
		case RET_RECEIVED:
		case RET_INSPECTING: earliest(&r->received_at, x->at); break; /* the goods are back */
		case RET_DISPOSED:
			earliest(&r->received_at, x->at);
			earliest(&r->disposed_at, x->at);
			break;
		case RET_REFUNDED:
		case RET_REPLACED:
		case RET_STORE_CREDIT: earliest(&r->resolved_at, x->at); break;
		case RET_CLOSED: earliest(&r->closed_at, x->at); break;
		default: break;
		}
		if (x->step == RET_CANCELLED) {
			if (later(x, cancel))
				cancel = x;
			continue;
		}
		/* rule 2: the furthest rank; within a rank, the latest */
		if (!top || ranks[x->step] > ranks[top->step] || (ranks[x->step] == ranks[top->step] && later(x, top)))
			top = x;
	}
	/* rule 4 */
	if (cancel && !r->received_at)
		r->state = RET_CANCELLED;
	else
		r->state = top ? top->step : RET_REQUESTED;
	r->cancel_ignored = cancel && r->received_at;
	/* rule 3 needs nothing more: a later step outranks rejected */
	if (reason)
		snprintf(r->reason, sizeof(r->reason), "%s", reason->reason);
	if (disp)
		r->disposition = disp->disposition;
	if (res)
		r->resolution = res->step;
	if (refund) {
		r->has_refund = true;
		r->refund_amount = refund->refund_amount;
		snprintf(r->currency, sizeof(r->currency), "%s", refund->currency);
	}
	if (items) {
		r->items = wmalloc(items->nitems * sizeof(*r->items));
		memcpy(r->items, items->items, items->nitems * sizeof(*r->items));
		r->nitems = items->nitems;
	}
}

enum werr returns_fold(const struct return_event *evs, size_t n, struct return_state **out, size_t *nout)
{
	const struct return_event **e = wmalloc((n ? n : 1) * sizeof(*e));
	struct return_state *r = NULL;
	size_t m = 0, nr = 0;

	for (size_t i = 0; i < n; i++)
		if (evs[i].id[0])
			e[m++] = &evs[i];
	qsort(e, m, sizeof(*e), cmp_event);
	for (size_t i = 0; i < m; i++)
		nr += !i || strcmp(e[i]->id, e[i - 1]->id);
	r = wcalloc(nr ? nr : 1, sizeof(*r));
	nr = 0;
	for (size_t i = 0; i < m;) {
		size_t j = i;
		while (j < m && !strcmp(e[j]->id, e[i]->id))
			j++;
		fold_one(e + i, j - i, &r[nr++]);
		i = j;
	}
	free(e);
	*out = r;
	*nout = nr;
	return WERR_OK;
}

void returns_free(struct return_state *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		free(r[i].items);
	free(r);
}

static bool fail(char *why, size_t cap, const char *id, const char *what)
{
	if (why)
		snprintf(why, cap, "return '%s': %s", id, what);
	return false;
}

bool returns_check(const struct return_state *r, size_t n, char *why, size_t cap)
{
	for (size_t i = 0; i < n; i++) {
		const struct return_state *x = &r[i];
		if (!x->id[0])
			return fail(why, cap, x->id, "no id");
		if (i && strcmp(r[i - 1].id, x->id) >= 0)
			return fail(why, cap, x->id, "ids not unique and sorted");
		if ((unsigned)x->state >= RET__COUNT || (unsigned)x->disposition >= DISP__COUNT)
			return fail(why, cap, x->id, "state or disposition out of range");
		if (x->state == RET_CANCELLED && x->received_at)
			return fail(why, cap, x->id, "cancelled after its receipt");
		if (x->cancel_ignored && !x->received_at)
			return fail(why, cap, x->id, "a cancellation ignored without a receipt");
		if ((x->state == RET_RECEIVED || x->state == RET_INSPECTING || x->state == RET_DISPOSED) &&
		    !x->received_at)
			return fail(why, cap, x->id, "back at the warehouse without a receipt time");
		if (ranks[x->state] == ranks[RET_REFUNDED] && !x->resolved_at)
			return fail(why, cap, x->id, "resolved without a resolution time");
		if (x->resolved_at && ranks[x->resolution] != ranks[RET_REFUNDED])
			return fail(why, cap, x->id, "a resolution time without a resolution");
		if ((x->state == RET_IN_TRANSIT && !x->moving_at) || (x->state == RET_DISPOSED && !x->disposed_at))
			return fail(why, cap, x->id, "moving or disposed without its time");
		if (x->state == RET_CLOSED && !x->closed_at)
			return fail(why, cap, x->id, "closed without a closing time");
		if (x->nparcels > RET_PARCELS_MAX)
			return fail(why, cap, x->id, "too many parcels");
		for (size_t k = 1; k < x->nparcels; k++)
			if (strcmp(x->parcels[k - 1], x->parcels[k]) >= 0)
				return fail(why, cap, x->id, "parcels not unique and sorted");
		for (size_t k = 0; k < x->nitems; k++)
			if (x->items[k].quantity <= 0)
				return fail(why, cap, x->id, "an item without a quantity");
	}
	return true;
}
