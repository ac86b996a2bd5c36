/*
 * policy.c - source kinds, the trust table and precedence (DESIGN.md
 * section 5); see policy.h.
 *
 * The defaults below are the only place the built-in ownership is written
 * down; configuration changes a policy through policy_set_kind(), and
 * docs/status.md repeats the table for people.
 */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

#include "../base/num.h"
#include "../base/banned.h"

static const char *const kind_names[] = {
	[KIND_GENERIC] = "generic",
	[KIND_STOREFRONT] = "storefront",
	[KIND_WAREHOUSE] = "warehouse",
	[KIND_SHIPPING] = "shipping",
	[KIND_CARRIER] = "carrier",
	[KIND_AGGREGATOR] = "aggregator",
};
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == KIND__COUNT, "one name per kind");

static const struct {
	const char *name;
	enum source_kind kind;
} builtin_sources[] = {
	{ "shopify", KIND_STOREFRONT },
	{ "woocommerce", KIND_STOREFRONT },
	/* a returns portal speaks for the shop (docs/returns.md) */
	{ "loop", KIND_STOREFRONT },
	/* the customer's own requests on wismo's tracking page (docs/web.md) */
	{ "tracking_page", KIND_STOREFRONT },
	/* the returns API: an agent's request or decision (docs/returns.md) */
	{ "returns", KIND_STOREFRONT },
	{ "scans", KIND_WAREHOUSE },
	{ "shipstation", KIND_SHIPPING },
	{ "easypost", KIND_AGGREGATOR },
	{ "aftership", KIND_AGGREGATOR },
	{ "shippo", KIND_AGGREGATOR },
	{ "ups", KIND_CARRIER },
	{ "fedex", KIND_CARRIER },
	{ "usps", KIND_CARRIER },
	{ "dhl", KIND_CARRIER },
};

/* trust[kind][milestone]: who owns, who relays, who is never believed. */
static const enum trust default_trust[KIND__COUNT][MS__COUNT] = {
	/*                     ORDER          WAREHOUSE      LABEL          CARRIER */
	[KIND_GENERIC] =     { TRUST_GENERIC, TRUST_GENERIC, TRUST_GENERIC, TRUST_GENERIC },
	[KIND_STOREFRONT] =  { TRUST_OWNER,   TRUST_NONE,    TRUST_RELAY,   TRUST_RELAY },
	[KIND_WAREHOUSE] =   { TRUST_NONE,    TRUST_OWNER,   TRUST_RELAY,   TRUST_NONE },
	[KIND_SHIPPING] =    { TRUST_NONE,    TRUST_OWNER,   TRUST_OWNER,   TRUST_NONE },
	[KIND_CARRIER] =     { TRUST_NONE,    TRUST_NONE,    TRUST_OWNER,   TRUST_OWNER },
	[KIND_AGGREGATOR] =  { TRUST_NONE,    TRUST_NONE,    TRUST_OWNER,   TRUST_OWNER },
};

static const int default_precedence[KIND__COUNT] = {
	[KIND_CARRIER] = 5,
	[KIND_AGGREGATOR] = 4,
	[KIND_SHIPPING] = 3,
	[KIND_WAREHOUSE] = 2,
	[KIND_GENERIC] = 1,
	[KIND_STOREFRONT] = 0,
};

void policy_init_defaults(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(builtin_sources) / sizeof(builtin_sources[0]); i++)
		(void)policy_set_kind(p, builtin_sources[i].name, builtin_sources[i].kind);
	memcpy(p->trust, default_trust, sizeof(p->trust));
	memcpy(p->precedence, default_precedence, sizeof(p->precedence));
	p->terminal_hold_ms = 12LL * 3600 * 1000;
	p->future_skew_ms = 24LL * 3600 * 1000;
	calendar_init(&p->cal);
	promise_config_defaults(&p->promises);
	parcel_config_defaults(&p->parcels);
}

static int find_source(const struct policy *p, const char *source)
{
	if (!source)
		return -1;
	for (int i = 0; i < p->nsources; i++)
		if (!strcmp(p->sources[i].name, source))
			return i;
	return -1;
}

enum werr policy_set_kind(struct policy *p, const char *source, enum source_kind kind)
{
	size_t len;
	int i;

	if (!source || (unsigned)kind >= KIND__COUNT)
		return WERR_INVALID;
	len = strlen(source);
	if (len == 0 || len > EV_SOURCE_MAX)
		return WERR_INVALID;
	i = find_source(p, source);
	if (i < 0) {
		if (p->nsources >= POLICY_MAX_SOURCES)
			return WERR_TOO_LARGE;
		i = p->nsources++;
		memcpy(p->sources[i].name, source, len + 1);
	}
	p->sources[i].kind = kind;
	return WERR_OK;
}

enum source_kind policy_kind(const struct policy *p, const char *source)
{
	int i = find_source(p, source);
	return i < 0 ? KIND_GENERIC : p->sources[i].kind;
}

enum trust policy_trust(const struct policy *p, const char *source, enum milestone m)
{
	if ((unsigned)m >= MS__COUNT)
		return TRUST_NONE;
	return p->trust[policy_kind(p, source)][m];
}

int policy_precedence(const struct policy *p, const char *source)
{
	return p->precedence[policy_kind(p, source)];
}

const char *source_kind_name(enum source_kind k)
{
	if ((unsigned)k >= KIND__COUNT)
		return "generic";
	return kind_names[k];
}

int source_kind_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < KIND__COUNT; i++)
		if (!strcmp(kind_names[i], name))
			return i;
	return -1;
}

int policy_config_set(struct policy *p, const char *section, const char *name, const char *value)
{
	long n;

	if (!strcmp(section, "calendar") || !strcmp(section, "exceptions")) {
		int mask;
		if (!strcmp(name, "business_days")) {
			if ((mask = calendar_parse_days(value)) < 0)
				return -1;
			p->cal.workdays = (unsigned)mask;
		} else if (!strcmp(name, "holidays")) {
			if (calendar_parse_holidays(&p->cal, value))
				return -1;
		} else if (!strcmp(name, "utc_offset_hours") && num_parse(value, -14, 14, &n)) {
			p->cal.offset_ms = (int64_t)n * 3600 * 1000;
		} else {
			/* the rest of [exceptions] is the exception engine's */
			return strcmp(section, "calendar") ? 0 : -1;
		}
		return 1;
	}
	if (strcmp(section, "resolution"))
		return 0;
	if (!strcmp(name, "terminal_hold_hours") && num_parse(value, 0, 24 * 30, &n))
		p->terminal_hold_ms = (int64_t)n * 3600 * 1000;
	else if (!strcmp(name, "future_skew_hours") && num_parse(value, 0, 24 * 365, &n))
		p->future_skew_ms = (int64_t)n * 3600 * 1000;
	else
		return -1;
	return 1;
}
