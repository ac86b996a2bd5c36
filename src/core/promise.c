/*
 * promise.c - promises by shipping method (promise.h).
 */
#include "promise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/num.h"
#include "../base/banned.h"

#define HOUR_MS INT64_C(3600000)

void promise_config_defaults(struct promise_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cutoff_hour = 24;
}

static int parse_days(const char *s, size_t len, int *out)
{
	char buf[8];
	long n;

	while (len && *s == ' ')
		s++, len--;
	while (len && s[len - 1] == ' ')
		len--;
	if (len == 1 && *s == '-') {
		*out = -1;
		return 0;
	}
	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!num_parse(buf, 0, 365, &n))
		return -1;
	*out = (int)n;
	return 0;
}

int promise_config_set(struct promise_config *c, const char *section, const char *name, const char *value)
{
	const char *comma;
	struct promise_rule r = { 0 };
	long n;
	int i;

	if (strcmp(section, "promises"))
		return 0;
	if (!strcmp(name, "cutoff_hour")) {
		if (!num_parse(value, 0, 24, &n))
			return -1;
		c->cutoff_hour = (int)n;
		return 1;
	}
	if (!name[0] || strlen(name) > EV_METHOD_MAX || !(comma = strchr(value, ',')) ||
	    parse_days(value, (size_t)(comma - value), &r.ship_days) ||
	    parse_days(comma + 1, strlen(comma + 1), &r.deliver_days))
		return -1;
	snprintf(r.method, sizeof(r.method), "%s", name);
	for (i = 0; i < c->n && strcasecmp(c->rules[i].method, name); i++)
		;
	if (i == PROMISE_METHODS_MAX)
		return -1;
	c->rules[i] = r;
	if (i == c->n)
		c->n++;
	return 1;
}

const struct promise_rule *promise_rule_for(const struct promise_config *c, const char *method)
{
	const struct promise_rule *fallback = NULL;

	for (int i = 0; i < c->n; i++) {
		if (method[0] && !strcasecmp(c->rules[i].method, method))
			return &c->rules[i];
		if (!strcasecmp(c->rules[i].method, "default"))
			fallback = &c->rules[i];
	}
	return fallback;
}

int64_t promise_deadline(const struct promise_config *c, const struct calendar *cal, int64_t placed_at, int days)
{
	int64_t from = calendar_day_start(cal, placed_at), at;

	/* after the cut-off, or on a day off: the order counts from the next working day */
	if (placed_at - from >= (int64_t)c->cutoff_hour * HOUR_MS)
		from += CAL_DAY_MS;
	while (!calendar_workday(cal, (from + cal->offset_ms) / CAL_DAY_MS))
		from += CAL_DAY_MS;
	/* day 0 is that day; N working days later is the Nth working day after it */
	at = calendar_add(cal, from, (int64_t)days * CAL_DAY_MS + 1);
	if (at == INT64_MAX)
		return 0;
	return calendar_day_start(cal, at) + CAL_DAY_MS - 1;
}
