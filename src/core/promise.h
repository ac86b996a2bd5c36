/*
 * promise.h - what the shop promises when its store does not say
 * (docs/exceptions.md "Promises", [promises] in docs/config.md).
 *
 * A store's order event may carry promised_ship_by / promised_by; when the
 * order has none, its shipping method's policy gives them: ship within N
 * working days and deliver within M working days of the order, each to the
 * end of that day in the shop's time (core/calendar.h).  "0" ships the
 * same day.  An order placed after the cut-off hour counts from the next
 * day.  A method the table does not name takes the "default" row, if any.
 *
 * Pure: no clock, no I/O; a config is plain data shared read-only.
 */
#ifndef WISMO_PROMISE_H
#define WISMO_PROMISE_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "event.h"

#define PROMISE_METHODS_MAX 32

struct promise_rule {
	char method[EV_METHOD_MAX + 1]; /* compared without case; "default" for the rest */
	int ship_days, deliver_days;    /* working days; -1: no promise of that kind */
};

struct promise_config {
	int n;
	struct promise_rule rules[PROMISE_METHODS_MAX];
	int cutoff_hour;                /* 0..24 shop time; 24 (the default): no cut-off */
};

void promise_config_defaults(struct promise_config *c);
/* One INI entry of [promises]: "METHOD = SHIP_DAYS,DELIVER_DAYS" (either may
 * be "-" for none) or "cutoff_hour = H".  1 taken, 0 not ours, -1 bad value. */
int promise_config_set(struct promise_config *c, const char *section, const char *name, const char *value);

/* The rule for a shipping method ("" is none: only "default" applies), or NULL. */
const struct promise_rule *promise_rule_for(const struct promise_config *c, const char *method);

/* The end of the working day `days` working days after the order was
 * placed (after the cut-off: the next day), shop time. */
int64_t promise_deadline(const struct promise_config *c, const struct calendar *cal, int64_t placed_at, int days);

#endif
