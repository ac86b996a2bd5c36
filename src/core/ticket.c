/*
 * ticket.c - what a ticket names, and why it was opened (ticket.h).
 */
#include "ticket.h"

#include <stdio.h>
#include <string.h>

#include "../base/banned.h"

static const char *const cause_names[CAUSE__COUNT] = {
	[CAUSE_HEALTHY] = "healthy", [CAUSE_STALE] = "stale",         [CAUSE_CONFLICT] = "conflict",
	[CAUSE_UNMAPPED] = "unmapped", [CAUSE_EXCEPTION] = "exception", [CAUSE_LATE] = "late",
};

const char *ticket_cause_name(enum ticket_cause c)
{
	return (unsigned)c < CAUSE__COUNT ? cause_names[c] : "healthy";
}

int ticket_cause_from_name(const char *name)
{
	for (int i = 0; name && i < CAUSE__COUNT; i++)
		if (!strcmp(name, cause_names[i]))
			return i;
	return -1;
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void add(struct ticket_refs *r, const char *s, size_t n, bool field)
{
	if (!n || n > TICKET_REF_MAX || r->n == TICKET_REFS_MAX)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (strlen(r->ref[i]) == n && !strncmp(r->ref[i], s, n))
			return;
	memcpy(r->ref[r->n], s, n);
	r->ref[r->n][n] = '\0';
	r->from_field[r->n++] = field;
}

/* A token worth looking up: digits only (an order number, 3 or more), or
 * letters and digits with at least 3 digits and 5 characters (a tracking
 * number: 1Z..., JD...; an order number "A1001"), or a store's order number
 * with a dash ("BR-1007").  Each is one indexed look-up, at most
 * TICKET_REFS_MAX of them. */
static bool worth(const char *s, size_t n)
{
	size_t digits = 0, letters = 0, dashes = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '-')
			dashes++;
		else
			letters++;
	}
	if (!digits || s[0] == '-' || s[n - 1] == '-')
		return false;
	if (!letters && !dashes)
		return digits >= 3;
	if (dashes)
		return digits >= 3 && dashes <= 2;
	return digits >= 3 && n >= 5;
}

/* Every token of text (runs of letters, digits and inner dashes; a leading
 * '#' dropped) that is worth a look-up. */
static void scan(struct ticket_refs *r, const char *text, bool field)
{
	const char *p = text;

	while (p && *p) {
		size_t n = 0;
		while (*p && !is_alnum(*p))
			p++;
		while (is_alnum(p[n]) || (p[n] == '-' && is_alnum(p[n + 1])))
			n++;
		if (n && worth(p, n))
			add(r, p, n, field);
		p += n;
	}
}

void ticket_refs(const char *field, const char *const *tags, const char *subject, const char *body,
		 struct ticket_refs *out)
{
	memset(out, 0, sizeof(*out));
	if (field && field[0]) {
		const char *f = field[0] == '#' ? field + 1 : field;
		add(out, f, strlen(f), true);
	}
	for (size_t i = 0; tags && tags[i]; i++) {
		const char *t = tags[i];
		if (!strncmp(t, "order_", 6) || !strncmp(t, "order-", 6))
			add(out, t + 6, strlen(t + 6), true);
	}
	scan(out, subject, false);
	scan(out, body, false);
}

enum ticket_cause ticket_cause(const struct order_state *o, const struct order_exception *x, const int64_t *told_at,
			       size_t nx, size_t nunmapped, const char *unmapped_source, int64_t now, char *link,
			       size_t cap)
{
	const struct order_exception *stale = NULL, *late = NULL, *untold = NULL;

	link[0] = '\0';
	if (o->nconflicts) {
		snprintf(link, cap, "source:%s", o->conflicts[0].claim_source);
		return CAUSE_CONFLICT;
	}
	if (nunmapped) {
		snprintf(link, cap, "source:%s", unmapped_source ? unmapped_source : "");
		return CAUSE_UNMAPPED;
	}
	for (size_t i = 0; i < nx; i++) {
		if ((x[i].kind == EXC_STALLED || x[i].kind == EXC_NOT_HANDED_OVER) && !stale)
			stale = &x[i];
		else if ((x[i].kind == EXC_LATE_VS_PROMISE || x[i].kind == EXC_NOT_SHIPPED_BY_PROMISE) && !late)
			late = &x[i];
		else if (told_at && told_at[i] > now && !untold)
			untold = &x[i];
	}
	/* the parcel's carrier is the link to look at */
	if (stale || late || untold) {
		const struct order_exception *e = stale ? stale : late ? late : untold;
		const struct package_state *p = e->package[0] ? order_package(o, e->package) : NULL;
		if (p && p->carrier[0])
			snprintf(link, cap, "carrier:%s", p->carrier);
		else if (e->kind == EXC_NOT_SHIPPED_BY_PROMISE || e->kind == EXC_NOT_HANDED_OVER)
			snprintf(link, cap, "warehouse");
		else
			snprintf(link, cap, "kind:%s", exc_kind_name(e->kind));
		return stale ? CAUSE_STALE : late ? CAUSE_LATE : CAUSE_EXCEPTION;
	}
	if (o->promised_by && now > o->promised_by && o->status != ORD_DELIVERED && o->status != ORD_CANCELLED) {
		snprintf(link, cap, "promise");
		return CAUSE_LATE;
	}
	return CAUSE_HEALTHY;
}
