/*
 * milestones.h - the shop's own milestones (docs/milestones.md).
 *
 * Not every order is a parcel: a business customer waits through "purchase
 * order accepted -> production started -> quality check passed -> freight
 * booked -> customs cleared".  A shop names such steps in its configuration
 * ([milestone NAME] sections, or the shipped B2B set with [milestones]
 * preset = b2b); an event reports one with status "milestone" and the name in
 * its "milestone" field (the API also takes the name itself as the status).
 *
 * Each definition says:
 *  - its labels, per locale ("en" when none is given);
 *  - which class of sources owns it (owner = storefront, warehouse, shipping,
 *    carrier or aggregator): events from sources of that class are applied,
 *    the rest are claims, as for the built-in milestones (core/policy.h);
 *  - where it sits in the order's progress: after a built-in order status
 *    (after = confirmed ...), and among the milestones after the same status
 *    in the order they were defined;
 *  - whether the customer sees it (visible = customer | internal);
 *  - how long an order may stay in it (expected_hours, working time):
 *    longer raises the exception milestone_overdue and its task.
 *
 * An order is "in" a milestone when it is the furthest one reached and the
 * order's own status has not moved past its "after" status (core/order.h
 * rule 11).  Pure: no I/O, no clock; a config is plain data shared read-only.
 */
#ifndef WISMO_MILESTONES_H
#define WISMO_MILESTONES_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"

#define MS_NAME_MAX 32
#define MS_LABEL_MAX 64
#define MS_LOCALES 4
#define MS_LOCALE_MAX 8
#define MS_DEFS_MAX 32

struct ms_label {
	char locale[MS_LOCALE_MAX + 1];
	char text[MS_LABEL_MAX + 1];
};

struct ms_def {
	char name[MS_NAME_MAX + 1];
	struct ms_label labels[MS_LOCALES]; /* labels[0] is the default ("en" unless set) */
	int nlabels;
	enum milestone cls;       /* the class of sources that owns it */
	enum ord_status after;    /* it sits after this order status */
	bool visible;             /* the customer sees it (tracking page, messages) */
	int64_t expected_ms;      /* working time it may last; 0: no limit */
};

struct ms_config {
	struct ms_def defs[MS_DEFS_MAX];
	int n;
};

/* [milestones] preset = b2b: the shipped business-to-business set. */
void ms_config_preset_b2b(struct ms_config *c);
/* One INI entry of [milestones] (preset) or [milestone NAME] (label,
 * label.LOCALE, owner, after, visible, expected_hours): 1 taken, 0 not
 * ours, -1 bad value. */
int ms_config_set(struct ms_config *c, const char *section, const char *name, const char *value);

/* A well-formed milestone name: 1..MS_NAME_MAX of a-z, 0-9 and '_',
 * starting with a letter. */
bool ms_name_valid(const char *name);
/* The definition's index, or -1. */
int ms_find(const struct ms_config *c, const char *name);
/* Where definition i sits in the order's progress: compares like
 * strcmp (after, then definition order). */
int ms_position(const struct ms_config *c, int i);
/* The definitions' indexes in progress order into order; their number. */
int ms_in_order(const struct ms_config *c, int order[MS_DEFS_MAX]);
/* The label for a locale ("de", "de-AT" falls back to "de"), else the
 * default one; the name itself when the definition has no label. */
const char *ms_label(const struct ms_def *d, const char *locale);

/* The names of owner and after (for docs and the config check). */
const char *ms_owner_name(enum milestone cls);

#endif
