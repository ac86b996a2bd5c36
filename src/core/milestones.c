/*
 * milestones.c - the shop's own milestones: configuration, the B2B preset
 * and lookups; see milestones.h.
 */
#include "milestones.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../base/num.h"
#include "../base/banned.h"

#define HOUR_MS (3600LL * 1000)

static const struct {
	const char *name;
	enum milestone cls;
} owners[] = {
	{ "storefront", MS_ORDER },
	{ "warehouse", MS_WAREHOUSE },
	{ "shipping", MS_LABEL },
	{ "carrier", MS_CARRIER },
	{ "aggregator", MS_CARRIER },
};

const char *ms_owner_name(enum milestone cls)
{
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
		if (owners[i].cls == cls)
			return owners[i].name;
	return "warehouse";
}

bool ms_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > MS_NAME_MAX || !(name[0] >= 'a' && name[0] <= 'z'))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int ms_find(const struct ms_config *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->defs[i].name, name))
			return i;
	return -1;
}

int ms_position(const struct ms_config *c, int i)
{
	return (int)c->defs[i].after * MS_DEFS_MAX + i;
}

int ms_in_order(const struct ms_config *c, int order[MS_DEFS_MAX])
{
	int n = 0;

	/* insertion by position: a handful of entries */
	for (int i = 0; i < c->n; i++) {
		int j;
		for (j = n++; j > 0 && ms_position(c, order[j - 1]) > ms_position(c, i); j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	return n;
}

const char *ms_label(const struct ms_def *d, const char *locale)
{
	size_t lang = locale ? strcspn(locale, "-_") : 0;

	for (int pass = 0; locale && pass < 2; pass++)
		for (int i = 0; i < d->nlabels; i++)
			if (pass == 0 ? !strcasecmp(d->labels[i].locale, locale)
				      : strlen(d->labels[i].locale) == lang &&
						!strncasecmp(d->labels[i].locale, locale, lang))
				return d->labels[i].text;
	return d->nlabels ? d->labels[0].text : d->name;
}

/* The definition named name, added (owner warehouse, after confirmed,
 * visible, no limit) when there is none yet; NULL when the table is full. */
static struct ms_def *def_for(struct ms_config *c, const char *name)
{
	int i = ms_find(c, name);
	struct ms_def *d;

	if (i >= 0)
		return &c->defs[i];
	if (c->n == MS_DEFS_MAX)
		return NULL;
	d = &c->defs[c->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->cls = MS_WAREHOUSE;
	d->after = ORD_CONFIRMED;
	d->visible = true;
	return d;
}

static int set_label(struct ms_def *d, const char *locale, const char *text)
{
	int i;

	if (!text[0] || strlen(text) > MS_LABEL_MAX || strlen(locale) > MS_LOCALE_MAX)
		return -1;
	for (i = 0; i < d->nlabels && strcasecmp(d->labels[i].locale, locale); i++)
		;
	if (i == MS_LOCALES)
		return -1;
	if (i == d->nlabels)
		d->nlabels++;
	snprintf(d->labels[i].locale, sizeof(d->labels[i].locale), "%s", locale);
	snprintf(d->labels[i].text, sizeof(d->labels[i].text), "%s", text);
	return 1;
}

static int set_field(struct ms_def *d, const char *name, const char *value)
{
	long n;
	int st;

	if (!strcmp(name, "label"))
		return set_label(d, "en", value);
	if (!strncmp(name, "label.", 6) && name[6])
		return set_label(d, name + 6, value);
	if (!strcmp(name, "owner")) {
		for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
			if (!strcmp(owners[i].name, value)) {
				d->cls = owners[i].cls;
				return 1;
			}
		return -1;
	}
	if (!strcmp(name, "after")) {
		st = ord_status_from_name(value);
		/* a place on the one line of progress: not a partial or final state */
		if (st < 0 || st == ORD_PARTIALLY_SHIPPED || st == ORD_PARTIALLY_DELIVERED || st == ORD_CANCELLED)
			return -1;
		d->after = (enum ord_status)st;
		return 1;
	}
	if (!strcmp(name, "visible")) {
		if (strcmp(value, "customer") && strcmp(value, "internal"))
			return -1;
		d->visible = !strcmp(value, "customer");
		return 1;
	}
	if (!strcmp(name, "expected_hours")) {
		if (!num_parse(value, 0, 24 * 365, &n))
			return -1;
		d->expected_ms = n * HOUR_MS;
		return 1;
	}
	return -1;
}

static const struct {
	const char *name, *label, *label_de;
	enum milestone cls;
	enum ord_status after;
	bool visible;
	int hours;
} b2b[] = {
	{ "po_accepted", "Purchase order accepted", "Bestellung angenommen", MS_ORDER, ORD_CONFIRMED, true, 24 },
	{ "materials_received", "Materials received", "Material eingegangen", MS_WAREHOUSE, ORD_CONFIRMED, false,
	  72 },
	{ "production_started", "In production", "In Produktion", MS_WAREHOUSE, ORD_CONFIRMED, true, 120 },
	{ "quality_check_passed", "Quality check passed", "Qualitätsprüfung bestanden", MS_WAREHOUSE,
	  ORD_CONFIRMED, true, 24 },
	{ "freight_booked", "Freight booked", "Fracht gebucht", MS_LABEL, ORD_READY_TO_SHIP, true, 48 },
	{ "customs_cleared", "Cleared customs", "Verzollt", MS_CARRIER, ORD_SHIPPED, true, 48 },
};

void ms_config_preset_b2b(struct ms_config *c)
{
	for (size_t i = 0; i < sizeof(b2b) / sizeof(b2b[0]); i++) {
		struct ms_def *d;
		if (ms_find(c, b2b[i].name) >= 0 || !(d = def_for(c, b2b[i].name)))
			continue; /* the shop's own section wins */
		(void)set_label(d, "en", b2b[i].label);
		(void)set_label(d, "de", b2b[i].label_de);
		d->cls = b2b[i].cls;
		d->after = b2b[i].after;
		d->visible = b2b[i].visible;
		d->expected_ms = b2b[i].hours * HOUR_MS;
	}
}

int ms_config_set(struct ms_config *c, const char *section, const char *name, const char *value)
{
	struct ms_def *d;

	if (!strcmp(section, "milestones")) {
		if (strcmp(name, "preset") || strcmp(value, "b2b"))
			return -1;
		ms_config_preset_b2b(c);
		return 1;
	}
	if (strncmp(section, "milestone ", 10))
		return 0;
	section += 10;
	/* a built-in status cannot be redefined: one word, one meaning */
	if (!ms_name_valid(section) || ev_status_from_name(section) >= 0 || ord_status_from_name(section) >= 0 ||
	    !(d = def_for(c, section)))
		return -1;
	return set_field(d, name, value);
}
