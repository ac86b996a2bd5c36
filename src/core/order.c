/*
 * order.c - status resolution: folds all events of one order into the order's
 * state (packages, milestone, roll-up, flags, conflicts); see order.h for the
 * rules and docs/status.md for their decision tables.
 *
 * order_fold() runs three steps, none of which looks at the input order:
 *
 *   fold_resolve()    the resolution, itself in three parts:
 *     1. classify     every tracking number named becomes a package
 *                     (fold_make_packages); each event gets a slot (one of
 *                     the packages, or the order itself), a milestone class,
 *                     a trust level and a precedence; per (slot, class) the
 *                     highest trust present decides which events are applied
 *                     and which are claims (fold_classify);
 *     2. sort         events by (occurred_at, precedence, progress, key, ...);
 *     3. replay       the sorted applied events per package (with the terminal
 *                     hold) and the furthest order milestone (fold_replay),
 *                     then the packages' fields (fold_write_packages) and the
 *                     customer (fold_customer);
 *   fold_conflicts()  the claims against the resolved state (rule 5);
 *   fold_rollup()     the order status (rule 7) and the flags.
 *
 * The package state machine replayed in step 3 is "the latest event wins",
 * with one guard:
 *
 *        any status --(event e)--> e.status
 *
 *        terminal at T --(non-terminal e, e.at <= T + hold)--> unchanged
 *
 * so attempt -> out_for_delivery and exception -> in_transit need no special
 * case (rule 3).  order_check() holds the invariants; builds with assertions
 * check them at the end of every fold (fold_assert_invariants).
 *
 * Memory comes from base/walloc.h: running out ends the process, so the fold
 * has no error path for it.
 */
#include "order.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/invariant.h"
#include "../base/walloc.h"
#include "../base/banned.h"

const char *ev_outcome_name(enum ev_outcome o)
{
	switch (o) {
	case OUT_APPLIED: return "applied";
	case OUT_CLAIM: return "claim";
	case OUT_UNMAPPED: return "unmapped";
	case OUT_HELD: return "held";
	case OUT_MOVED: return "moved";
	}
	return "unmapped";
}

void order_init(struct order_state *o)
{
	memset(o, 0, sizeof(*o));
	o->status = ORD_PLACED;
	o->milestone = EV_PLACED;
	o->ms_current = -1;
}

void order_release(struct order_state *o)
{
	for (size_t i = 0; i < o->npackages; i++)
		free(o->packages[i].items);
	free(o->packages);
	free(o->conflicts);
	free(o->moved);
	free(o->items);
	free(o->ms_reached);
	returns_free(o->returns, o->nreturns);
	order_init(o);
}

/* One event as the fold sees it. */
struct fev {
	const struct event *ev;
	enum ev_status status;  /* clamped to the language */
	int pkg;                /* index of the package it names, -1 for none */
	int slot;               /* what it resolves: a package index, npk for the
	                           order's milestones, -1 for nothing */
	enum milestone ms;
	enum trust trust;
	int prec;
	int prog;
	enum ev_outcome out;
	bool foreign;           /* names a parcel that is not this order's (rule 10) */
	int msdef;              /* a shop's milestone: its definition, -1 unknown (rule 11) */
};

/* Per-package accumulators of the replay. */
struct pkg_work {
	const struct fev *cur;         /* deciding event */
	const struct fev *items;       /* latest event for the package with items */
	const struct fev *carrier_any; /* latest event naming a carrier */
	const struct fev *carrier;     /* latest applied event naming a carrier */
	const struct fev *loc;         /* latest applied event with a city */
	const struct fev *eta;         /* latest applied event with an estimate */
	const struct fev *eta_first;   /* first applied event with an estimate */
	const struct fev *service;     /* latest event naming a service */
	const struct fev *origin;      /* first possession event with a country */
	const struct fev *appt;        /* latest applied appointment word (rule 12) */
	const struct fev *appt_window; /* latest applied appointment word giving a window */
	const struct fev *window;      /* latest applied event giving a window */
	const struct fev *stops;       /* latest applied event giving stops_away */
	const struct fev *proof;       /* latest applied event giving proof */
	const struct fev *installed;   /* latest applied event saying whether it was installed */
	int64_t shipped_at;
	int64_t label_at;
	int64_t last_scan_at;
	int64_t max_gap;
};

static enum ev_status clamp_status(enum ev_status s)
{
	return (unsigned)s < EV__COUNT ? s : EV_UNKNOWN;
}

static int status_progress(enum ev_status s)
{
	if (ev_status_is_order_level(s))
		return ev_order_progress(s);
	return pkg_status_progress((enum pkg_status)s);
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* The total order of the fold: event time, then precedence of the source,
 * then progress, then the (unique) key.  The rest only matters for duplicate
 * keys, which the log does not hold, but keeps the order total. */
static int fev_cmp(const void *pa, const void *pb)
{
	const struct fev *a = pa, *b = pb;
	int c;

	if ((c = cmp_i64(a->ev->occurred_at, b->ev->occurred_at)))
		return c;
	if ((c = (a->prec > b->prec) - (a->prec < b->prec)))
		return c;
	if ((c = (a->prog > b->prog) - (a->prog < b->prog)))
		return c;
	if ((c = strcmp(a->ev->key, b->ev->key)))
		return c;
	if ((c = strcmp(a->ev->source, b->ev->source)))
		return c;
	if ((c = strcmp(a->ev->package, b->ev->package)))
		return c;
	if ((c = ((int)a->status > (int)b->status) - ((int)a->status < (int)b->status)))
		return c;
	if ((c = cmp_i64(a->ev->received_at, b->ev->received_at)))
		return c;
	return cmp_i64(a->ev->seq, b->ev->seq);
}

/* Customer fields: latest by event time, then key (then as fev_cmp). */
static int cust_cmp(const void *pa, const void *pb)
{
	const struct fev *a = *(const struct fev *const *)pa, *b = *(const struct fev *const *)pb;
	int c;

	if ((c = cmp_i64(a->ev->occurred_at, b->ev->occurred_at)))
		return c;
	if ((c = strcmp(a->ev->key, b->ev->key)))
		return c;
	return fev_cmp(a, b);
}

static int str_ptr_cmp(const void *pa, const void *pb)
{
	return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* Copies n items into a new array (NULL when n is 0) that the caller owns. */
static void dup_items(const struct event_item *src, size_t n, struct event_item **dst, size_t *ndst)
{
	*dst = NULL;
	*ndst = 0;
	if (!n)
		return;
	*dst = wmalloc(n * sizeof(*src));
	memcpy(*dst, src, n * sizeof(*src));
	*ndst = n;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}
#define COPY_FIELD(dst, src) copy_field((dst), sizeof(dst), (src))

static int find_package(const struct order_state *o, const char *tracking)
{
	size_t lo = 0, hi = o->npackages;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(tracking, o->packages[mid].tracking);
		if (!c)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

const struct package_state *order_package(const struct order_state *o, const char *tracking)
{
	int i = tracking ? find_package(o, tracking) : -1;
	return i < 0 ? NULL : &o->packages[i];
}

static enum ord_status milestone_ord_status(enum ev_status m)
{
	switch (m) {
	case EV_CONFIRMED: return ORD_CONFIRMED;
	case EV_PROCESSING: return ORD_PROCESSING;
	case EV_PICKED: return ORD_PICKED;
	case EV_PACKED: return ORD_PACKED;
	case EV_READY_TO_SHIP: return ORD_READY_TO_SHIP;
	case EV_CANCELLED: return ORD_CANCELLED;
	default: return ORD_PLACED;
	}
}

/* An outbound parcel that still counts: return parcels never do (rule 9). */
static bool pkg_live(const struct package_state *p)
{
	return p->status != PKG_CANCELLED && !p->is_return;
}

/* Every ordered quantity (summed per sku) is in some live package.  Only
 * asked when the order lists items and at least one live package does;
 * otherwise nothing says a part is missing. */
static bool items_covered(const struct order_state *o)
{
	bool listed = false;

	if (!o->nitems)
		return true;
	for (size_t i = 0; i < o->npackages; i++)
		if (pkg_live(&o->packages[i]) && o->packages[i].nitems)
			listed = true;
	if (!listed)
		return true;
	for (size_t i = 0; i < o->nitems; i++) {
		const char *sku = o->items[i].sku;
		long long ordered = 0, packed = 0;

		for (size_t j = 0; j < o->nitems; j++)
			if (!strcmp(o->items[j].sku, sku))
				ordered += o->items[j].quantity;
		for (size_t k = 0; k < o->npackages; k++) {
			const struct package_state *p = &o->packages[k];
			if (!pkg_live(p))
				continue;
			for (size_t j = 0; j < p->nitems; j++)
				if (!strcmp(p->items[j].sku, sku))
					packed += p->items[j].quantity;
		}
		if (packed < ordered)
			return false;
	}
	return true;
}

enum ord_status order_rollup(const struct order_state *o)
{
	size_t n = 0, d = 0, s = 0, ofd = 0;
	bool covered;

	if (o->milestone == EV_CANCELLED)
		return ORD_CANCELLED;
	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		if (!pkg_live(p))
			continue;
		n++;
		if (p->status == PKG_DELIVERED)
			d++;
		/* possession: an exception after a carrier scan still counts as
		 * shipped, one before any scan does not */
		if (p->shipped_at != 0)
			s++;
		if (p->status == PKG_OUT_FOR_DELIVERY)
			ofd++;
	}
	if (n == 0)
		return milestone_ord_status(o->milestone);
	covered = items_covered(o);
	if (d == n && covered)
		return ORD_DELIVERED;
	if (d > 0)
		return ORD_PARTIALLY_DELIVERED;
	if (s == 0)
		return ORD_READY_TO_SHIP;
	if (s < n || !covered)
		return ORD_PARTIALLY_SHIPPED;
	return ofd ? ORD_OUT_FOR_DELIVERY : ORD_SHIPPED;
}

/* The attention flags that follow from the packages (all but conflict). */
static unsigned package_flags(const struct order_state *o)
{
	unsigned flags = 0;

	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		if (!pkg_live(p))
			continue;
		if (p->status == PKG_EXCEPTION || p->status == PKG_DELIVERY_ATTEMPTED ||
		    p->status == PKG_RETURNED_TO_SENDER)
			flags |= FLAG_EXCEPTION;
		if (p->action_required)
			flags |= FLAG_ACTION_REQUIRED;
		if (p->status != PKG_DELIVERED) {
			if (p->status == PKG_EXCEPTION && detail_is_delay(p->detail))
				flags |= FLAG_DELAYED;
			if (p->estimated_delivery && o->promised_by &&
			    p->estimated_delivery > o->promised_by)
				flags |= FLAG_DELAYED;
		}
	}
	return flags;
}

bool event_too_far_ahead(const struct policy *pol, const struct event *e)
{
	return pol->future_skew_ms > 0 && e->received_at && e->occurred_at > e->received_at + pol->future_skew_ms;
}

/* Step 1: slot, class, trust and precedence of one event. */
static void classify(const struct policy *pol, struct fev *f, int npk)
{
	const struct event *e = f->ev;
	bool has_pkg = e->package[0] != '\0';

	f->status = clamp_status(e->status);
	f->ms = ev_milestone(f->status, has_pkg);
	f->prec = policy_precedence(pol, e->source);
	f->prog = status_progress(f->status);
	f->slot = -1;
	f->msdef = -1;
	if (f->foreign) {
		/* rule 10: another order's parcel; fold_classify set the outcome */
	} else if (event_too_far_ahead(pol, e)) {
		f->out = OUT_HELD; /* rule 8: recorded, changes nothing, not even the order's times */
	} else if (f->status == EV_UNKNOWN) {
		f->out = OUT_UNMAPPED; /* rule 6: creates the package, nothing more */
	} else if (ev_status_is_return(f->status)) {
		/* rule 9: the return's own owners decide (fold_returns) */
	} else if (f->status == EV_MILESTONE) {
		/* rule 11: its owner's class decides (classify_milestones) */
		f->msdef = ms_find(&pol->milestones, e->milestone);
		if (f->msdef >= 0) {
			f->ms = pol->milestones.defs[f->msdef].cls;
			f->prog = ms_position(&pol->milestones, f->msdef);
		}
	} else if (ev_status_is_order_level(f->status) || f->status == EV_NOT_RECEIVED ||
		   (f->status == EV_CANCELLED && !has_pkg)) {
		f->ms = ev_milestone(f->status, false);
		f->slot = npk;
	} else if (has_pkg && ALWAYS(f->pkg >= 0)) {
		/* every tracking number named has its package (fold_make_packages) */
		f->slot = f->pkg;
	}
	/* a package status without a package cannot be placed anywhere: it
	 * stays on the timeline as a claim (the validator rejects it anyway) */
	/* a source's summary is never applied: a claim (rule 5) */
	f->trust = e->summary ? TRUST_NONE : policy_trust(pol, e->source, f->ms);
}

static bool is_conflict(const struct order_state *o, const struct fev *f, int npk,
			bool has_newest, int64_t newest)
{
	bool ahead, differ;

	if (f->slot == npk) {
		ahead = ev_order_progress(f->status) > ev_order_progress(o->milestone);
		differ = f->status != o->milestone;
	} else {
		const struct package_state *p = &o->packages[f->slot];
		ahead = pkg_status_progress((enum pkg_status)f->status) > pkg_status_progress(p->status);
		differ = f->status != (enum ev_status)p->status;
	}
	/* "Newer" is against the newest applied event of the whole package (or
	 * of the order's milestones), not only of the claim's class: a relayed
	 * label_created older than the carrier's first scan is old news, not a
	 * contradiction.  With no applied event at all the claim is the newest
	 * word there is. */
	return ahead || (differ && (!has_newest || f->ev->occurred_at >= newest));
}

/*
 * The working state of one fold, shared by its steps.  Arrays indexed by
 * slot have npk + 1 entries: one per package (in out->packages' order), then
 * the order's own milestones at slot npk.
 */
struct fold {
	const struct policy *pol;
	size_t n;                 /* events */
	struct fev *fv;           /* one per event; in fold order after the sort */
	size_t npk, nslots;       /* packages; npk + 1 */
	struct pkg_work *pw;      /* per package */
	int64_t *newest;          /* per slot: time of the newest applied event */
	bool *has_newest;         /* per slot: newest is set */
	const struct fev *mile;   /* the deciding order milestone, NULL if none */
	const struct fev *oitems; /* the latest event without a package listing items */
	bool returns;             /* some event is about a return (rule 9) */
	const struct parcel_fact *facts; /* what the store knows of the parcels (rule 10) */
	size_t nfacts;
	const char *only_return;  /* where a return event naming no return goes (fold_return_parcels) */
	const struct fev *ms_first[MS_DEFS_MAX]; /* per shop milestone, its first applied event */
};

static void fold_release(struct fold *fd)
{
	free(fd->fv);
	free(fd->pw);
	free(fd->newest);
	free(fd->has_newest);
}

/*
 * Rule 10: OUT_CLAIM for a tracking number this order claims and another
 * order owns, OUT_MOVED for one its owning source moved to another order,
 * OUT_APPLIED (not foreign) otherwise.
 */
static enum ev_outcome foreign_outcome(const struct fold *fd, const char *tracking)
{
	if (!fd->nfacts)
		return OUT_APPLIED;
	if (parcel_fact_find(fd->facts, fd->nfacts, tracking, PARCEL_CLAIMANT))
		return OUT_CLAIM;
	if (parcel_fact_find(fd->facts, fd->nfacts, tracking, PARCEL_MOVED_AWAY))
		return OUT_MOVED;
	return OUT_APPLIED;
}

/*
 * Step 1 (classify) for the packages: gives out one package, status unknown,
 * per distinct tracking number that any event names, sorted, whatever the
 * event's status (rule 6 and docs/status.md section 7).  Sets fd->npk and
 * fd->nslots.  out must be empty.
 */
static void fold_make_packages(struct fold *fd, const struct event *events, struct order_state *out)
{
	const char **names = wmalloc(fd->n * sizeof(*names));
	size_t npk = 0, u = 0;

	for (size_t i = 0; i < fd->n; i++)
		if (events[i].package[0] && foreign_outcome(fd, events[i].package) == OUT_APPLIED)
			names[npk++] = events[i].package;
	qsort(names, npk, sizeof(*names), str_ptr_cmp);
	for (size_t i = 0; i < npk; i++)
		if (u == 0 || strcmp(names[u - 1], names[i]))
			names[u++] = names[i];
	npk = u;
	if (npk) {
		out->packages = wcalloc(npk, sizeof(*out->packages));
		out->npackages = npk;
		for (size_t i = 0; i < npk; i++) {
			COPY_FIELD(out->packages[i].tracking, names[i]);
			out->packages[i].status = PKG_UNKNOWN;
		}
	}
	free(names);
	fd->npk = npk;
	fd->nslots = npk + 1;
}

/*
 * Step 1 (classify) for the events: fills fd->fv, one entry per event in
 * input order, with its package, slot, class, trust, precedence and progress
 * (classify()), then, per (slot, class), marks the events at the highest
 * trust present above TRUST_NONE applied and the rest claims (rule 5);
 * unknown statuses stay unmapped (rule 6).  Copies the outcomes to outcomes
 * (indexed like events) when it is not NULL.  Needs the packages in out.
 */
static void fold_classify(struct fold *fd, const struct event *events, const struct order_state *out,
			  enum ev_outcome *outcomes)
{
	enum trust (*level)[MS__COUNT] = wcalloc(fd->nslots, sizeof(*level));
	enum trust mslevel[MS_DEFS_MAX] = { TRUST_NONE };

	for (size_t i = 0; i < fd->n; i++) {
		struct fev *f = &fd->fv[i];
		f->ev = &events[i];
		f->pkg = events[i].package[0] ? find_package(out, events[i].package) : -1;
		if (events[i].package[0] && f->pkg < 0) {
			/* only a foreign parcel has no package (fold_make_packages) */
			f->foreign = true;
			f->out = foreign_outcome(fd, events[i].package);
		}
		classify(fd->pol, f, (int)fd->npk);
		if (f->slot >= 0 && f->trust > level[f->slot][f->ms])
			level[f->slot][f->ms] = f->trust;
		if (f->status == EV_MILESTONE && f->out != OUT_HELD && f->msdef >= 0 && f->trust > mslevel[f->msdef])
			mslevel[f->msdef] = f->trust;
	}
	for (size_t i = 0; i < fd->n; i++) {
		struct fev *f = &fd->fv[i];
		if (f->out == OUT_UNMAPPED || f->out == OUT_HELD || f->foreign)
			continue;
		if (f->status == EV_MILESTONE) {
			f->out = f->msdef >= 0 && f->trust > TRUST_NONE && f->trust == mslevel[f->msdef]
					 ? OUT_APPLIED
					 : OUT_CLAIM;
			continue;
		}
		if (f->slot >= 0 && f->trust > TRUST_NONE && f->trust == level[f->slot][f->ms])
			f->out = OUT_APPLIED;
		else
			f->out = OUT_CLAIM;
	}
	if (outcomes)
		for (size_t i = 0; i < fd->n; i++)
			outcomes[i] = fd->fv[i].out;
	free(level);
}

/* Money back moves no status; the order shows it apart (a refund, or a
 * return's refund: rule 9). */
static void note_refund(struct order_state *out, const struct event *e)
{
	if (e->occurred_at > out->refunded_at)
		out->refunded_at = e->occurred_at;
	if (strcmp(out->refund, "full"))
		snprintf(out->refund, sizeof(out->refund), "%s", strcmp(e->detail, "full") ? "partial" : "full");
}

/*
 * Step 3 (replay): walks fd->fv in fold order.  Every event feeds the order's
 * times, placed_at and promised_by, and its package's latest items and
 * carrier; applied events also feed the per-slot newest time, the refund,
 * the furthest order milestone (rule 4) into fd->mile, and their package's
 * accumulators in fd->pw through the state machine of rules 1 and 2.  Sets
 * out->milestone; the packages themselves are written by fold_write_packages().
 */
static void fold_replay(struct fold *fd, struct order_state *out)
{
	for (size_t i = 0; i < fd->n; i++) {
		const struct fev *f = &fd->fv[i];
		const struct event *e = f->ev;

		if (e->received_at > out->updated_at)
			out->updated_at = e->received_at;
		if (f->out == OUT_HELD)
			continue;
		if (i == 0 || e->occurred_at > out->last_event_at)
			out->last_event_at = e->occurred_at;
		if (f->status == EV_PLACED && !out->placed_at)
			out->placed_at = e->occurred_at;
		if (e->promised_by)
			out->promised_by = e->promised_by;
		if (e->promised_ship_by)
			out->promised_ship_by = e->promised_ship_by;
		if (e->shipping_method[0])
			COPY_FIELD(out->shipping_method, e->shipping_method);
		if (e->channel[0])
			COPY_FIELD(out->channel, e->channel);
		if (e->has_value) {
			out->has_value = true;
			out->value = e->value;
			COPY_FIELD(out->currency, e->currency);
		}
		if (e->ship_to.city[0] || e->ship_to.region[0] || e->ship_to.country[0])
			out->ship_to = e->ship_to;
		/* a return's lines are the return's, not what was ordered */
		if (f->pkg < 0 && !f->foreign && e->has_items && !ev_status_is_return(f->status) &&
		    f->status != EV_REFUNDED)
			fd->oitems = f;
		if (f->pkg >= 0) {
			if (e->has_items)
				fd->pw[f->pkg].items = f;
			if (e->carrier[0])
				fd->pw[f->pkg].carrier_any = f;
			if (e->service[0])
				fd->pw[f->pkg].service = f;
		}
		/* an applied event always has a slot or a milestone (fold_classify) */
		if (f->out != OUT_APPLIED || NEVER(f->slot < 0 && f->status != EV_MILESTONE))
			continue;
		if (f->status == EV_MILESTONE) {
			/* rule 11: reached at its first applied event */
			if (!fd->ms_first[f->msdef])
				fd->ms_first[f->msdef] = f;
			continue;
		}
		fd->newest[f->slot] = e->occurred_at;
		fd->has_newest[f->slot] = true;
		if (f->status == EV_REFUNDED) {
			note_refund(out, e);
			continue;
		}
		if (f->status == EV_NOT_RECEIVED) {
			/* rule 12: a report, not a status; the latest counts */
			out->not_received_at = e->occurred_at;
			COPY_FIELD(out->not_received_note, e->description);
			continue;
		}
		if (f->status == EV_CANCEL_REQUESTED) {
			/* a request, not a cancellation: the store decides */
			if (!out->cancel_requested_at || e->occurred_at < out->cancel_requested_at)
				out->cancel_requested_at = e->occurred_at;
			continue;
		}
		if (f->slot == (int)fd->npk) {
			/* rule 4: the furthest milestone; cancelled is furthest */
			if (!fd->mile || f->prog >= fd->mile->prog)
				fd->mile = f;
			continue;
		}

		struct pkg_work *w = &fd->pw[f->slot];
		/* rule 12: what any applied event of the package says besides its status */
		if (e->window_start)
			w->window = f;
		if (e->has_stops)
			w->stops = f;
		if (e->proof.signed_by[0] || e->proof.url[0] || e->proof.left_at[0] || e->proof.has_geo)
			w->proof = f;
		if (e->has_installed)
			w->installed = f;
		if (ev_status_is_appointment(f->status)) {
			/* a word about the appointment moves no status */
			w->appt = f;
			if (e->window_start)
				w->appt_window = f;
			continue;
		}
		/* rules 1 and 2 */
		if (w->cur && pkg_status_is_terminal((enum pkg_status)w->cur->status) &&
		    !pkg_status_is_terminal((enum pkg_status)f->status) &&
		    e->occurred_at - w->cur->ev->occurred_at <= fd->pol->terminal_hold_ms) {
			/* held: the terminal status stands */
		} else {
			w->cur = f;
		}
		if (f->status == EV_LABEL_CREATED && !w->label_at)
			w->label_at = e->occurred_at;
		if (pkg_status_is_possession((enum pkg_status)f->status) ||
		    (w->shipped_at && f->status == EV_EXCEPTION)) {
			/* a carrier scan: the rhythm of the parcel's progress */
			if (w->last_scan_at) {
				int64_t gap = calendar_between(&fd->pol->cal, w->last_scan_at, e->occurred_at);
				if (gap > w->max_gap)
					w->max_gap = gap;
			}
			w->last_scan_at = e->occurred_at;
			if (!w->origin && e->location.country[0] &&
			    pkg_status_is_possession((enum pkg_status)f->status))
				w->origin = f;
		}
		if (pkg_status_is_possession((enum pkg_status)f->status) &&
		    (!w->shipped_at || e->occurred_at < w->shipped_at))
			w->shipped_at = e->occurred_at;
		if (e->estimated_delivery) {
			w->eta = f;
			if (!w->eta_first)
				w->eta_first = f;
		}
		if (e->carrier[0])
			w->carrier = f;
		if (e->location.city[0])
			w->loc = f;
	}
	/* the first event not held (held ones sort last: they are the latest) */
	if (!out->placed_at && fd->fv[0].out != OUT_HELD)
		out->placed_at = fd->fv[0].ev->occurred_at;
	if (fd->mile)
		out->milestone = fd->mile->status;
}

/* Rule 12: the package's appointment, window, stops, proof and installation. */
static void fold_write_appointment(const struct pkg_work *w, struct package_state *p)
{
	if (w->appt) {
		const struct event *e = w->appt->ev;
		p->appt.state = w->appt->status;
		p->appt.at = e->occurred_at;
		COPY_FIELD(p->appt.reason, e->detail);
		COPY_FIELD(p->appt.source, e->source);
		if (w->appt_window) {
			p->appt.window_start = w->appt_window->ev->window_start;
			p->appt.window_end = w->appt_window->ev->window_end;
		}
	}
	if (w->window) {
		p->window_start = w->window->ev->window_start;
		p->window_end = w->window->ev->window_end;
	}
	if (w->stops) {
		p->has_stops = true;
		p->stops_away = w->stops->ev->stops_away;
	}
	if (w->proof)
		p->proof = w->proof->ev->proof;
	if (w->installed) {
		p->has_installed = true;
		p->installed = w->installed->ev->installed;
	}
}

/*
 * Step 3, continued: writes each package's fields from what the replay kept
 * in fd->pw (docs/status.md section 5), and the order's items.  The items
 * are copied; out owns them.
 */
static void fold_write_packages(const struct fold *fd, struct order_state *out)
{
	for (size_t k = 0; k < fd->npk; k++) {
		struct package_state *p = &out->packages[k];
		const struct pkg_work *w = &fd->pw[k];

		if (w->cur) {
			const struct event *d = w->cur->ev;
			p->status = (enum pkg_status)w->cur->status;
			COPY_FIELD(p->detail, d->detail);
			if (d->action_required >= 0)
				p->action_required = d->action_required != 0;
			else
				p->action_required = pkg_default_action_required(p->status, p->detail);
			p->status_at = d->occurred_at;
			COPY_FIELD(p->decided_by, d->key);
			COPY_FIELD(p->decided_source, d->source);
		}
		p->shipped_at = w->shipped_at;
		p->delivered_at = p->status == PKG_DELIVERED ? p->status_at : 0;
		if (w->eta) {
			p->estimated_delivery = w->eta->ev->estimated_delivery;
			p->estimated_at = w->eta->ev->occurred_at;
		}
		if (w->eta_first)
			p->first_estimate = w->eta_first->ev->estimated_delivery;
		if (w->service)
			COPY_FIELD(p->service, w->service->ev->service);
		if (w->origin)
			p->origin = w->origin->ev->location;
		p->label_at = w->label_at;
		p->last_scan_at = w->last_scan_at;
		p->max_gap = w->max_gap;
		if (w->carrier)
			COPY_FIELD(p->carrier, w->carrier->ev->carrier);
		else if (w->carrier_any)
			COPY_FIELD(p->carrier, w->carrier_any->ev->carrier);
		if (w->loc)
			p->location = w->loc->ev->location;
		if (w->items)
			dup_items(w->items->ev->items, w->items->ev->nitems, &p->items, &p->nitems);
		fold_write_appointment(w, p);
	}
	if (fd->oitems)
		dup_items(fd->oitems->ev->items, fd->oitems->ev->nitems, &out->items, &out->nitems);
}

/*
 * Step 3, continued: the customer, per field the latest non-empty value over
 * all events, "latest" by event time then key (cust_cmp), not fold order.
 */
static void fold_customer(const struct fold *fd, struct order_state *out)
{
	const struct fev **byc = wmalloc(fd->n * sizeof(*byc));

	for (size_t i = 0; i < fd->n; i++)
		byc[i] = &fd->fv[i];
	qsort(byc, fd->n, sizeof(*byc), cust_cmp);
	for (size_t i = 0; i < fd->n; i++) {
		const struct event_customer *c = &byc[i]->ev->customer;
		if (c->name[0])
			COPY_FIELD(out->customer.name, c->name);
		if (c->email[0])
			COPY_FIELD(out->customer.email, c->email);
		if (c->phone[0])
			COPY_FIELD(out->customer.phone, c->phone);
		if (c->postal_code[0])
			COPY_FIELD(out->customer.postal_code, c->postal_code);
	}
	free(byc);
}

/* Rule 9: marks the return parcels and their return ids.  A parcel's id is
 * the latest (by event time, then key) its events give; a parcel no event
 * links to a return belongs to the order's only return when it has exactly
 * one, to a return named by the order number when the events name none, and
 * with several to a return of its own, named by its tracking number. */
static void fold_return_parcels(struct fold *fd, const struct event *events, struct order_state *out)
{
	const struct event **by = wcalloc(fd->npk ? fd->npk : 1, sizeof(*by));
	const char *only = NULL;
	bool several = false;

	for (size_t i = 0; i < fd->n; i++) {
		const struct event *e = &events[i];
		int k = e->package[0] ? find_package(out, e->package) : -1;
		if (e->package[0] && k < 0)
			continue; /* another order's parcel (rule 10) */
		if (e->return_id[0] && (ev_status_is_return(e->status) || e->status == EV_REFUNDED)) {
			if (only && strcmp(only, e->return_id))
				several = true;
			only = e->return_id;
		}
		if (k < 0 || !(e->is_return || e->return_id[0] || ev_status_is_return(e->status)))
			continue;
		out->packages[k].is_return = true;
		if (e->return_id[0] && (!by[k] || e->occurred_at > by[k]->occurred_at ||
					(e->occurred_at == by[k]->occurred_at && strcmp(e->key, by[k]->key) > 0)))
			by[k] = e;
	}
	for (size_t k = 0; k < fd->npk; k++) {
		struct package_state *p = &out->packages[k];
		if (!p->is_return)
			continue;
		COPY_FIELD(p->return_id, by[k] ? by[k]->return_id : several ? p->tracking : only ? only : out->order);
	}
	/* an event naming no return: the order's only one; with none named
	 * anywhere, the order's return, named by the order; with several, it
	 * cannot be placed */
	fd->only_return = several ? NULL : only ? only : out->order;
	free(by);
}

/*
 * Rule 9: the returns.  Every return status (its outcome: applied when its
 * source owns the step, else a claim), every applied refund naming a return,
 * and every applied event of a return parcel become return events, folded
 * by returns_fold() into out->returns.  Needs fold_resolve() done.
 */
static void fold_returns(const struct fold *fd, struct order_state *out, enum ev_outcome *outcomes,
			 const struct event *events)
{
	struct return_event *re = wcalloc(fd->n ? fd->n : 1, sizeof(*re));
	size_t m = 0;

	for (size_t i = 0; i < fd->n; i++) {
		struct fev *f = &fd->fv[i];
		const struct event *e = f->ev;
		const struct package_state *p = f->pkg >= 0 ? &out->packages[f->pkg] : NULL;
		int step = -1;

		if (f->out == OUT_HELD || f->out == OUT_UNMAPPED || f->foreign)
			continue;
		if (ev_status_is_return(f->status)) {
			step = ret_step_of_status(f->status);
			f->out = ret_step_owned_by((enum ret_step)step, policy_kind(fd->pol, e->source)) ? OUT_APPLIED
													: OUT_CLAIM;
			if (outcomes)
				outcomes[e - events] = f->out;
			if (f->status == EV_RETURN_REFUNDED && f->out == OUT_APPLIED)
				note_refund(out, e);
		} else if (f->status == EV_REFUNDED && e->return_id[0] && f->out == OUT_APPLIED) {
			step = RET_REFUNDED;
		} else if (p && p->is_return && f->out == OUT_APPLIED) {
			step = ret_step_of_parcel_status(f->status, fd->pw[f->pkg].shipped_at != 0);
		}
		if (step < 0)
			continue;
		if (!e->return_id[0] && !p && !fd->only_return) {
			/* names no return and the order has several: a claim */
			if (outcomes)
				outcomes[e - events] = OUT_CLAIM;
			f->out = OUT_CLAIM;
			continue;
		}
		struct return_event *r = &re[m++];
		COPY_FIELD(r->key, e->key);
		r->kind = policy_kind(fd->pol, e->source);
		r->step = (enum ret_step)step;
		r->at = e->occurred_at;
		/* no id: the parcel's return, else the order's only one */
		COPY_FIELD(r->id, e->return_id[0] ? e->return_id : p ? p->return_id : fd->only_return);
		if (p)
			COPY_FIELD(r->tracking, p->tracking);
		COPY_FIELD(r->reason, e->return_reason);
		r->disposition = e->disposition[0] ? (enum ret_disposition)ret_disposition_from_name(e->disposition)
						   : DISP_NONE;
		if ((int)r->disposition < 0)
			r->disposition = DISP_NONE;
		if (ev_status_is_return(f->status) || f->status == EV_REFUNDED) {
			r->nitems = e->nitems;
			r->items = e->items;
		}
		r->has_refund = e->has_refund_amount;
		r->refund_amount = e->refund_amount;
		COPY_FIELD(r->currency, e->currency);
	}
	returns_fold(re, m, &out->returns, &out->nreturns);
	free(re);
}

/*
 * The resolution, steps 1 to 3 of the file comment: classify and trust,
 * sort, replay.  Fills fd (which must hold pol, n and nothing else) and
 * every field of out but the conflicts, the status and the flags.
 */
static void fold_resolve(struct fold *fd, const struct event *events, struct order_state *out,
			 enum ev_outcome *outcomes)
{
	fd->fv = wcalloc(fd->n, sizeof(*fd->fv));
	fold_make_packages(fd, events, out);
	for (size_t i = 0; i < fd->n && !fd->returns; i++)
		fd->returns = events[i].is_return || events[i].return_id[0] || ev_status_is_return(events[i].status);
	if (fd->returns) /* most orders never see a return: no work for them */
		fold_return_parcels(fd, events, out);
	fd->pw = wcalloc(fd->nslots, sizeof(*fd->pw));
	fd->newest = wcalloc(fd->nslots, sizeof(*fd->newest));
	fd->has_newest = wcalloc(fd->nslots, sizeof(*fd->has_newest));
	fold_classify(fd, events, out, outcomes);
	/* step 2: the fold order, never the arrival order */
	qsort(fd->fv, fd->n, sizeof(*fd->fv), fev_cmp);
	fold_replay(fd, out);
	fold_write_packages(fd, out);
	fold_customer(fd, out);
}

/*
 * Claims and conflicts (rule 5): checks every claim that has a slot against
 * the resolved state in out (is_conflict()), keeps the latest conflicting
 * claim per (slot, class), and writes them to out->conflicts, the order's
 * own first, then packages by tracking number, each by class.  Needs
 * fold_resolve() done.
 */
static void fold_conflicts(const struct fold *fd, struct order_state *out)
{
	const struct fev *(*cand)[MS__COUNT] = wcalloc(fd->nslots, sizeof(*cand));
	size_t npk = fd->npk, nslots = fd->nslots, ncf = 0;

	for (size_t i = 0; i < fd->n; i++) {
		const struct fev *f = &fd->fv[i];
		if (f->out != OUT_CLAIM || f->slot < 0)
			continue;
		if (is_conflict(out, f, (int)npk, fd->has_newest[f->slot], fd->newest[f->slot]))
			cand[f->slot][f->ms] = f;
	}
	for (size_t s = 0; s < nslots; s++)
		for (int m = 0; m < MS__COUNT; m++)
			ncf += cand[s][m] != NULL;
	if (ncf) {
		out->conflicts = wcalloc(ncf, sizeof(*out->conflicts));
		/* the order's own first (package ""), then packages by tracking */
		for (size_t j = 0; j < nslots; j++) {
			size_t s = (j + npk) % nslots;
			for (int m = 0; m < MS__COUNT; m++) {
				const struct fev *f = cand[s][m];
				struct conflict *c;
				if (!f)
					continue;
				c = &out->conflicts[out->nconflicts++];
				COPY_FIELD(c->package, s == npk ? "" : out->packages[s].tracking);
				c->milestone = (enum milestone)m;
				COPY_FIELD(c->claim_source, f->ev->source);
				c->claim_status = f->status;
				c->claim_at = f->ev->occurred_at;
				COPY_FIELD(c->claim_key, f->ev->key);
				if (s == npk) {
					c->owner_status = out->milestone;
					if (fd->mile)
						COPY_FIELD(c->owner_source, fd->mile->ev->source);
				} else {
					c->owner_status = (enum ev_status)out->packages[s].status;
					COPY_FIELD(c->owner_source, out->packages[s].decided_source);
				}
			}
		}
	}
	free(cand);
}

/* Conflicts in their order: the order's own first, then by tracking
 * number; per package the status conflicts by class, then the parcel
 * conflicts by the orders they name. */
static int conflict_cmp(const void *pa, const void *pb)
{
	const struct conflict *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->package, b->package)))
		return c;
	if ((c = ((int)a->kind > (int)b->kind) - ((int)a->kind < (int)b->kind)))
		return c;
	if ((c = ((int)a->milestone > (int)b->milestone) - ((int)a->milestone < (int)b->milestone)))
		return c;
	if ((c = strcmp(a->claim_order, b->claim_order)))
		return c;
	return strcmp(a->owner_order, b->owner_order);
}

/* A fact that makes a parcel conflict here: a claim on a package this order
 * holds, or this order's claim named by one of its events. */
static bool fact_named(const struct fold *fd, const struct event *events, const struct order_state *out,
		       const struct parcel_fact *pf)
{
	if (pf->role == PARCEL_CLAIMED)
		return order_package(out, pf->tracking) != NULL;
	if (pf->role == PARCEL_CLAIMANT)
		for (size_t k = 0; k < fd->n; k++)
			if (!strcmp(events[k].package, pf->tracking))
				return true;
	return false;
}

/*
 * Rule 10: a parcel this order claims (named by one of its events) and one
 * it owns that other orders claim are parcel conflicts, one per (parcel,
 * claiming order), from the store's facts.  Needs fold_conflicts() done;
 * leaves out->conflicts sorted (conflict_cmp).
 */
static void fold_parcel_conflicts(const struct fold *fd, const struct event *events, struct order_state *out)
{
	size_t m = 0;

	for (size_t i = 0; i < fd->nfacts; i++)
		m += fact_named(fd, events, out, &fd->facts[i]);
	if (!m)
		return;
	out->conflicts = wrealloc(out->conflicts, (out->nconflicts + m) * sizeof(*out->conflicts));
	for (size_t i = 0; i < fd->nfacts; i++) {
		const struct parcel_fact *pf = &fd->facts[i];
		struct conflict *c;

		if (!fact_named(fd, events, out, pf))
			continue;
		c = &out->conflicts[out->nconflicts++];
		memset(c, 0, sizeof(*c));
		c->kind = CONFLICT_PARCEL;
		c->milestone = MS_CARRIER;
		COPY_FIELD(c->package, pf->tracking);
		COPY_FIELD(c->claim_order, pf->role == PARCEL_CLAIMANT ? out->order : pf->other_order);
		COPY_FIELD(c->owner_order, pf->role == PARCEL_CLAIMANT ? pf->other_order : out->order);
		COPY_FIELD(c->claim_source, pf->claim_source);
		c->claim_status = pf->claim_status;
		c->claim_at = pf->claim_at;
		COPY_FIELD(c->claim_key, pf->claim_key);
		COPY_FIELD(c->owner_source, pf->owner_source);
		c->owner_status = pf->owner_status;
	}
	qsort(out->conflicts, out->nconflicts, sizeof(*out->conflicts), conflict_cmp);
}

/* Rule 10: the parcels named here that the owning source moved away, from
 * the facts (which come by tracking number). */
static void fold_moved(const struct fold *fd, const struct event *events, struct order_state *out)
{
	for (size_t i = 0; i < fd->nfacts; i++) {
		const struct parcel_fact *pf = &fd->facts[i];
		struct parcel_move *m;
		bool named = false;

		if (pf->role != PARCEL_MOVED_AWAY || order_package(out, pf->tracking))
			continue;
		for (size_t k = 0; k < fd->n && !named; k++)
			named = !strcmp(events[k].package, pf->tracking);
		if (!named || (out->nmoved && !strcmp(out->moved[out->nmoved - 1].tracking, pf->tracking)))
			continue;
		out->moved = wrealloc(out->moved, (out->nmoved + 1) * sizeof(*out->moved));
		m = &out->moved[out->nmoved++];
		memset(m, 0, sizeof(*m));
		COPY_FIELD(m->tracking, pf->tracking);
		COPY_FIELD(m->to_order, pf->other_order);
		COPY_FIELD(m->source, pf->claim_source);
		m->at = pf->claim_at;
	}
}

/*
 * The roll-up (rule 7) and the flags, from the packages, items and conflicts
 * already in out.
 */
static void fold_rollup(struct order_state *out)
{
	out->status = order_rollup(out);
	out->flags = package_flags(out) | (out->nconflicts ? FLAG_CONFLICT : 0);
}

/*
 * In builds with assertions every fold's result must pass order_check(): a
 * test that folds an order anywhere (store, writer, API) checks the
 * invariants of docs/status.md section 6 as well.  Release builds (NDEBUG)
 * skip it; it is a test, not a guard.
 */
static void fold_assert_invariants(const struct order_state *out)
{
#ifndef NDEBUG
	char why[256];

	if (!order_check(out, why, sizeof(why))) {
		fprintf(stderr, "order_fold: invariant broken: %s\n", why);
		assert(!"order_check() holds after order_fold()");
	}
#else
	(void)out;
#endif
}

/* The order status an applied event brings the order to at least (rule 7's
 * steps: a carrier scan ships, out for delivery, a delivery), -1 for one
 * that brings none (a label, an exception, a return's parcel). */
static int implied_status(const struct fold *fd, const struct order_state *o, const struct fev *f)
{
	if (f->slot == (int)fd->npk)
		return milestone_ord_status(f->status);
	if (f->slot < 0 || o->packages[f->slot].is_return)
		return -1;
	if (f->status == EV_DELIVERED)
		return ORD_PARTIALLY_DELIVERED;
	if (f->status == EV_OUT_FOR_DELIVERY)
		return ORD_OUT_FOR_DELIVERY;
	return pkg_status_is_possession((enum pkg_status)f->status) ? ORD_PARTIALLY_SHIPPED : -1;
}

/* The time of the first applied event at or after since that moves the
 * order past after; 0 when none does. */
static int64_t moved_past(const struct fold *fd, const struct order_state *o, int64_t since, enum ord_status after)
{
	for (size_t i = 0; i < fd->n; i++) {
		const struct fev *f = &fd->fv[i];
		if (f->out == OUT_APPLIED && f->ev->occurred_at >= since && implied_status(fd, o, f) > (int)after)
			return f->ev->occurred_at;
	}
	return 0;
}

/*
 * Rule 11: the shop's milestones the order reached, in progress order, the
 * one it is in and when that one has lasted its expected time.  Needs the
 * roll-up done.
 */
static void fold_shop_milestones(const struct fold *fd, struct order_state *o)
{
	const struct ms_config *mc = &fd->pol->milestones;
	int order[MS_DEFS_MAX], n = 0, all = ms_in_order(mc, order);

	for (int k = 0; k < all; k++)
		if (fd->ms_first[order[k]])
			order[n++] = order[k];
	if (!n)
		return;
	o->ms_reached = wcalloc((size_t)n, sizeof(*o->ms_reached));
	for (int k = 0; k < n; k++) {
		const struct event *e = fd->ms_first[order[k]]->ev;
		struct ms_reached *r = &o->ms_reached[o->nms_reached++];
		COPY_FIELD(r->name, e->milestone);
		COPY_FIELD(r->source, e->source);
		r->at = e->occurred_at;
	}
	/* the furthest one, while the order has not moved past it */
	const struct ms_def *d = &mc->defs[order[n - 1]];
	if (o->status != ORD_CANCELLED && o->status <= d->after) {
		o->ms_current = n - 1;
		if (d->expected_ms)
			o->ms_due = calendar_add(&fd->pol->cal, o->ms_reached[n - 1].at, d->expected_ms);
	}
	/* left: the next milestone reached, or the order's own progress past
	 * "after", whichever came first */
	for (int k = 0; k < n; k++) {
		struct ms_reached *r = &o->ms_reached[k];
		if (k == o->ms_current)
			continue;
		r->left_at = moved_past(fd, o, r->at, mc->defs[order[k]].after);
		if (k + 1 < n && (!r->left_at || o->ms_reached[k + 1].at < r->left_at))
			r->left_at = o->ms_reached[k + 1].at;
	}
}

/* The promises the store did not give, from the shipping method's policy
 * (core/promise.h), for an order a store or warehouse has spoken of (an
 * order milestone decided). */
static void fold_promises(const struct fold *fd, struct order_state *o)
{
	const struct policy *pol = fd->pol;
	const struct promise_rule *r;

	if ((o->promised_by && o->promised_ship_by) || !fd->mile ||
	    !(r = promise_rule_for(&pol->promises, o->shipping_method)))
		return;
	if (!o->promised_ship_by && r->ship_days >= 0 &&
	    (o->promised_ship_by = promise_deadline(&pol->promises, &pol->cal, o->placed_at, r->ship_days)))
		o->promise_from_policy = true;
	if (!o->promised_by && r->deliver_days >= 0 &&
	    (o->promised_by = promise_deadline(&pol->promises, &pol->cal, o->placed_at, r->deliver_days)))
		o->promise_from_policy = true;
}

enum werr order_fold(const struct policy *pol, const struct event *events, size_t n,
		     struct order_state *out, enum ev_outcome *outcomes)
{
	return order_fold_parcels(pol, events, n, NULL, 0, out, outcomes);
}

enum werr order_fold_parcels(const struct policy *pol, const struct event *events, size_t n,
			     const struct parcel_fact *facts, size_t nfacts, struct order_state *out,
			     enum ev_outcome *outcomes)
{
	struct fold fd = { .pol = pol, .n = n, .facts = facts, .nfacts = facts ? nfacts : 0 };

	order_release(out);
	for (size_t i = 1; i < n; i++)
		if (strcmp(events[i].order, events[0].order))
			return WERR_INVALID;
	if (n > 0) {
		COPY_FIELD(out->order, events[0].order);
		out->nevents = n;
		for (size_t i = 0; i < n; i++)
			out->nms_events += events[i].status == EV_MILESTONE;
		fold_resolve(&fd, events, out, outcomes);
		if (fd.returns)
			fold_returns(&fd, out, outcomes, events);
		fold_conflicts(&fd, out);
		fold_parcel_conflicts(&fd, events, out);
		fold_moved(&fd, events, out);
		fold_rollup(out);
		fold_shop_milestones(&fd, out);
		fold_promises(&fd, out);
		fold_release(&fd);
	}
	fold_assert_invariants(out);
	return WERR_OK;
}

static bool fail(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why && cap) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return false;
}

bool order_check(const struct order_state *o, char *why, size_t whycap)
{
	enum ord_status roll;
	enum cust_step step, pstep, maxstep = STEP_ORDERED;
	size_t live = 0, shipped = 0;
	unsigned want;

	if (why && whycap)
		why[0] = '\0';
	if (!ev_status_is_order_level(o->milestone) && o->milestone != EV_CANCELLED)
		return fail(why, whycap, "milestone '%s' is not an order milestone",
			    ev_status_name(o->milestone));
	if ((unsigned)o->status >= ORD__COUNT)
		return fail(why, whycap, "status %d out of range", (int)o->status);
	roll = order_rollup(o);
	if (o->status != roll)
		return fail(why, whycap, "status '%s' but roll-up gives '%s'",
			    ord_status_name(o->status), ord_status_name(roll));
	if (!o->nevents && (o->npackages || o->nconflicts))
		return fail(why, whycap, "packages or conflicts without events");
	if (o->nevents && o->last_event_at < o->placed_at)
		return fail(why, whycap, "last_event_at before placed_at");

	for (size_t i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];
		const char *t = p->tracking;

		if (!t[0])
			return fail(why, whycap, "package %zu has no tracking number", i);
		if (i && strcmp(o->packages[i - 1].tracking, t) >= 0)
			return fail(why, whycap, "packages not sorted or not unique at '%s'", t);
		if ((unsigned)p->status >= PKG__COUNT)
			return fail(why, whycap, "package '%s' status out of range", t);
		if ((p->delivered_at != 0) != (p->status == PKG_DELIVERED))
			return fail(why, whycap, "package '%s' delivered_at does not match '%s'", t,
				    pkg_status_name(p->status));
		if (p->status == PKG_DELIVERED && p->delivered_at != p->status_at)
			return fail(why, whycap, "package '%s' delivered_at differs from status_at", t);
		if (p->shipped_at && p->delivered_at && p->shipped_at > p->delivered_at)
			return fail(why, whycap, "package '%s' shipped after it was delivered", t);
		if (p->status == PKG_DELIVERED && !p->shipped_at)
			return fail(why, whycap, "package '%s' delivered but never shipped", t);
		if ((p->status_at == 0) != (p->decided_by[0] == '\0'))
			return fail(why, whycap, "package '%s' status_at and decided_by disagree", t);
		if ((p->decided_by[0] == '\0') != (p->status == PKG_UNKNOWN))
			return fail(why, whycap, "package '%s' has status '%s' decided by '%s'", t,
				    pkg_status_name(p->status), p->decided_by);
		if (p->is_return != (p->return_id[0] != '\0'))
			return fail(why, whycap, "package '%s' is a return parcel without its return", t);
		if (!pkg_live(p))
			continue;
		live++;
		pstep = pkg_customer_step(p->status);
		if (p->shipped_at) {
			shipped++;
			/* possession is for good (rule 7): a label event after the
			 * carrier's scan leaves the package "label created" and the
			 * order shipped */
			if (pstep < STEP_SHIPPED)
				pstep = STEP_SHIPPED;
		}
		if (pstep > maxstep)
			maxstep = pstep;
	}

	if (o->ms_current != -1 && o->ms_current != (int)o->nms_reached - 1)
		return fail(why, whycap, "current milestone %d of %zu reached", o->ms_current, o->nms_reached);
	if ((o->ms_due != 0) && o->ms_current < 0)
		return fail(why, whycap, "a milestone due time without a current milestone");
	if (((o->flags & FLAG_CONFLICT) != 0) != (o->nconflicts > 0))
		return fail(why, whycap, "conflict flag with %zu conflicts", o->nconflicts);
	want = package_flags(o);
	if ((o->flags & ~(unsigned)FLAG_CONFLICT) != want)
		return fail(why, whycap, "flags %#x but packages give %#x",
			    o->flags & ~(unsigned)FLAG_CONFLICT, want);
	for (size_t i = 0; i < o->nconflicts; i++) {
		const struct conflict *c = &o->conflicts[i];
		bool order_level = c->package[0] == '\0';

		if (c->kind == CONFLICT_PARCEL) {
			/* rule 10: the claimant has no such package, the owner has */
			bool mine = !strcmp(c->owner_order, o->order);
			if (order_level || !c->claim_order[0] || !c->owner_order[0] ||
			    !strcmp(c->claim_order, c->owner_order) || (!mine && strcmp(c->claim_order, o->order)))
				return fail(why, whycap, "parcel conflict on '%s' names orders '%s' and '%s'",
					    c->package, c->claim_order, c->owner_order);
			if ((order_package(o, c->package) != NULL) != mine)
				return fail(why, whycap, "parcel conflict on '%s': package held by the wrong order",
					    c->package);
			if (i && conflict_cmp(&o->conflicts[i - 1], c) >= 0)
				return fail(why, whycap, "conflicts not sorted or not unique at '%s'", c->package);
			continue;
		}
		if (!order_level && !order_package(o, c->package))
			return fail(why, whycap, "conflict on unknown package '%s'", c->package);
		if (order_level != (c->milestone == MS_ORDER || c->milestone == MS_WAREHOUSE))
			return fail(why, whycap, "conflict on '%s' has milestone '%s'", c->package,
				    milestone_name(c->milestone));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(o->conflicts[j].package, c->package) && o->conflicts[j].kind == c->kind &&
			    o->conflicts[j].milestone == c->milestone)
				return fail(why, whycap, "two conflicts for '%s' %s", c->package,
					    milestone_name(c->milestone));
	}

	for (size_t i = 0; i < o->nmoved; i++) {
		if (order_package(o, o->moved[i].tracking))
			return fail(why, whycap, "parcel '%s' moved away but still a package", o->moved[i].tracking);
		if (i && strcmp(o->moved[i - 1].tracking, o->moved[i].tracking) >= 0)
			return fail(why, whycap, "moved parcels not sorted or not unique at '%s'", o->moved[i].tracking);
	}

	if (!returns_check(o->returns, o->nreturns, why, whycap))
		return false;
	for (size_t i = 0; i < o->nreturns; i++)
		for (size_t k = 0; k < o->returns[i].nparcels; k++) {
			const struct package_state *p = order_package(o, o->returns[i].parcels[k]);
			if (!p || !p->is_return)
				return fail(why, whycap, "return '%s' names '%s', not a return parcel", o->returns[i].id,
					    o->returns[i].parcels[k]);
		}

	/* the customer's view: never ahead of the parcels */
	if (o->status != ORD_CANCELLED) {
		step = ord_customer_step(o->status);
		if (!live && step > STEP_PREPARING)
			return fail(why, whycap, "customer step %s without a package",
				    cust_step_name(step));
		if (live && step > maxstep)
			return fail(why, whycap, "customer step %s ahead of the packages' %s",
				    cust_step_name(step), cust_step_name(maxstep));
		if (step >= STEP_SHIPPED && !shipped)
			return fail(why, whycap, "customer step %s but no package was shipped",
				    cust_step_name(step));
		if (step < STEP_SHIPPED && shipped)
			return fail(why, whycap, "customer step %s but a package was shipped",
				    cust_step_name(step));
	} else if (strcmp(ord_customer_label(o->status), "Cancelled")) {
		return fail(why, whycap, "cancelled order not labelled cancelled");
	}
	return true;
}
