/*
 * parcels.c - the ownership of tracking numbers (parcels.h, docs/parcels.md):
 * the [parcels] settings and the decision table applied to every event the
 * writer appends, and to the whole log again on a rebuild.
 */
#include "parcels.h"

#include <stdio.h>
#include <string.h>

#include "../base/num.h"
#include "../base/banned.h"

#define DAY_MS ((int64_t)24 * 3600 * 1000)

void parcel_config_defaults(struct parcel_config *c)
{
	c->reuse_after_ms = 90 * DAY_MS;
}

int parcel_config_set(struct parcel_config *c, const char *section, const char *name, const char *value)
{
	long n;

	if (strcmp(section, "parcels"))
		return 0;
	if (!strcmp(name, "reuse_after_days")) {
		if (!num_parse(value, 0, 3650, &n))
			return -1;
		c->reuse_after_ms = (int64_t)n * DAY_MS;
		return 1;
	}
	return -1;
}

const char *parcel_decision_name(enum parcel_decision d)
{
	switch (d) {
	case PARCEL_NONE: return "none";
	case PARCEL_TAKE: return "take";
	case PARCEL_KEEP: return "keep";
	case PARCEL_REUSE: return "reuse";
	case PARCEL_MOVE: return "move";
	case PARCEL_CLAIM: return "claim";
	}
	return "none";
}

const char *parcel_role_name(enum parcel_role r)
{
	switch (r) {
	case PARCEL_CLAIMANT: return "claimant";
	case PARCEL_CLAIMED: return "claimed";
	case PARCEL_MOVED_AWAY: return "moved";
	}
	return "claimant";
}

static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}
#define COPY(dst, src) copy((dst), sizeof(dst), (src))

/* The owner after an event of its order (or of the order it passes to). */
static void own(struct parcel_owner *out, const struct event *e, const char *source)
{
	memset(out, 0, sizeof(*out));
	COPY(out->tracking, e->package);
	COPY(out->order, e->order);
	COPY(out->source, source);
	out->last_at = e->occurred_at;
	out->last_status = e->status;
}

enum parcel_decision parcel_decide(const struct parcel_config *cfg, const struct parcel_owner *cur,
				   const struct event *e, bool carrier_class, bool held, struct parcel_owner *out)
{
	struct parcel_owner next;
	enum parcel_decision d;

	if (!e->package[0] || !e->order[0])
		d = PARCEL_NONE;
	else if (!cur)
		d = PARCEL_TAKE;
	else if (!strcmp(cur->order, e->order))
		d = PARCEL_KEEP;
	else if (carrier_class)
		d = PARCEL_CLAIM; /* a carrier never decides whose order a parcel is */
	else if (cfg->reuse_after_ms > 0 && !held && e->occurred_at - cur->last_at > cfg->reuse_after_ms)
		d = PARCEL_REUSE;
	else if (!strcmp(cur->source, e->source))
		d = PARCEL_MOVE;
	else
		d = PARCEL_CLAIM;

	if (cur)
		next = *cur;
	else
		memset(&next, 0, sizeof(next));
	switch (d) {
	case PARCEL_TAKE:
	case PARCEL_REUSE:
		own(&next, e, e->source);
		break;
	case PARCEL_MOVE:
		own(&next, e, cur->source);
		break;
	case PARCEL_KEEP:
		/* the latest event by event time (then key: the fold's order)
		 * gives the owner's last word */
		if (e->occurred_at >= next.last_at) {
			next.last_at = e->occurred_at;
			next.last_status = e->status;
		}
		break;
	case PARCEL_NONE:
	case PARCEL_CLAIM:
		break;
	}
	if (out)
		*out = next;
	return d;
}

const struct parcel_fact *parcel_fact_find(const struct parcel_fact *facts, size_t n, const char *tracking,
					   enum parcel_role role)
{
	for (size_t i = 0; i < n; i++)
		if (facts[i].role == role && !strcmp(facts[i].tracking, tracking))
			return &facts[i];
	return NULL;
}
