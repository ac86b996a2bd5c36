/*
 * notify_config.c - reading the delivery settings (notify_config.h).
 */
#include "notify_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/num.h"
#include "../base/banned.h"

void notify_config_defaults(struct notify_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->sms.provider, sizeof(c->sms.provider), "twilio");
	c->worker = notify_worker_defaults(&c->worker);
}

struct notify_worker_cfg notify_worker_defaults(const struct notify_worker_cfg *in)
{
	struct notify_worker_cfg w = *in;

	if (w.max_attempts <= 0)
		w.max_attempts = 8;
	if (w.backoff_base_s <= 0)
		w.backoff_base_s = 30;
	if (w.backoff_max_s <= 0)
		w.backoff_max_s = 3600;
	if (w.batch <= 0)
		w.batch = 20;
	if (w.lease_s <= 0)
		w.lease_s = 120;
	if (w.poll_ms <= 0)
		w.poll_ms = 1000;
	if (!w.quiet_set) {
		w.quiet_set = true;
		w.quiet_start_h = 21;
		w.quiet_end_h = 8;
	}
	return w;
}

static int set(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);

	if (n >= cap)
		return -1;
	memcpy(dst, v, n + 1);
	return 1;
}
#define SET(field, v) set((field), sizeof(field), (v))

static int num(const char *v, long min, long max, int *out)
{
	long n;

	if (!num_parse(v, min, max, &n))
		return -1;
	*out = (int)n;
	return 1;
}

static int boolean(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = false;
	else
		return -1;
	return 1;
}

/* "21-8": two hours 0..23. */
static int hours(const char *v, int *from, int *to)
{
	char *end;
	long a = strtol(v, &end, 10), b;

	if (end == v || *end != '-' || a < 0 || a > 23)
		return -1;
	v = end + 1;
	b = strtol(v, &end, 10);
	if (end == v || *end || b < 0 || b > 23)
		return -1;
	*from = (int)a;
	*to = (int)b;
	return 1;
}

static int smtp(struct notify_smtp *s, const char *name, const char *v)
{
	if (!strcmp(name, "url"))
		return strncmp(v, "smtp://", 7) && strncmp(v, "smtps://", 8) ? -1 : SET(s->url, v);
	if (!strcmp(name, "user"))
		return SET(s->user, v);
	if (!strcmp(name, "password"))
		return SET(s->password, v);
	if (!strcmp(name, "from"))
		return strchr(v, '@') ? SET(s->from, v) : -1;
	if (!strcmp(name, "from_name"))
		return SET(s->from_name, v);
	if (!strcmp(name, "ca_file"))
		return SET(s->ca_file, v);
	if (!strcmp(name, "verify")) {
		bool b;
		if (boolean(v, &b) < 0)
			return -1;
		s->no_verify = !b;
		return 1;
	}
	if (!strcmp(name, "tls")) {
		if (!strcmp(v, "none"))
			s->tls = SMTP_TLS_NONE;
		else if (!strcmp(v, "try"))
			s->tls = SMTP_TLS_TRY;
		else if (!strcmp(v, "required") || !strcmp(v, "starttls"))
			s->tls = SMTP_TLS_REQUIRED;
		else
			return -1;
		return 1;
	}
	return -1;
}

static int sms(struct notify_sms *s, const char *name, const char *v)
{
	if (!strcmp(name, "provider"))
		return strcmp(v, "twilio") ? -1 : SET(s->provider, v);
	if (!strcmp(name, "api_base"))
		return SET(s->api_base, v);
	if (!strcmp(name, "account_sid"))
		return SET(s->account_sid, v);
	if (!strcmp(name, "auth_token"))
		return SET(s->auth_token, v);
	if (!strcmp(name, "from"))
		return v[0] == '+' ? SET(s->from, v) : -1;
	if (!strcmp(name, "public_url"))
		return SET(s->public_url, v);
	return -1;
}

static struct notify_subscriber *subscriber_add(struct notify_config *c, const char *name)
{
	struct notify_subscriber *s = (struct notify_subscriber *)notify_subscriber(c, name);

	if (s)
		return s;
	if (c->nsubscribers >= NOTIFY_SUBSCRIBERS_MAX || !name[0] || strlen(name) >= sizeof(s->name))
		return NULL;
	s = &c->subscribers[c->nsubscribers++];
	memset(s, 0, sizeof(*s));
	SET(s->name, name);
	return s;
}

int notify_config_set(struct notify_config *c, const char *section, const char *name, const char *v)
{
	if (!strcmp(section, "smtp"))
		return smtp(&c->smtp, name, v);
	if (!strcmp(section, "sms"))
		return sms(&c->sms, name, v);
	if (!strncmp(section, "webhook ", 8)) {
		struct notify_subscriber *s = subscriber_add(c, section + 8);
		if (!s)
			return -1;
		if (!strcmp(name, "url"))
			return strncmp(v, "http://", 7) && strncmp(v, "https://", 8) ? -1 : SET(s->url, v);
		if (!strcmp(name, "secret"))
			return SET(s->secret, v);
		return -1;
	}
	if (!strcmp(section, "helpdesk")) {
		if (!strcmp(name, "base_url"))
			return SET(c->helpdesk.base_url, v);
		if (!strcmp(name, "email"))
			return SET(c->helpdesk.email, v);
		if (!strcmp(name, "api_token"))
			return SET(c->helpdesk.api_token, v);
		return -1;
	}
	if (!strcmp(section, "teams")) {
		if (!strcmp(name, "support"))
			return SET(c->teams.support, v);
		if (!strcmp(name, "warehouse"))
			return SET(c->teams.warehouse, v);
		if (!strcmp(name, "operations"))
			return SET(c->teams.operations, v);
		if (!strcmp(name, "returns"))
			return SET(c->teams.returns, v);
		return -1;
	}
	if (!strcmp(section, "outbox")) {
		struct notify_worker_cfg *w = &c->worker;
		if (!strcmp(name, "max_attempts"))
			return num(v, 1, 100, &w->max_attempts);
		if (!strcmp(name, "backoff_base"))
			return num(v, 1, 86400, &w->backoff_base_s);
		if (!strcmp(name, "backoff_max"))
			return num(v, 1, 7 * 86400, &w->backoff_max_s);
		if (!strcmp(name, "batch"))
			return num(v, 1, 1000, &w->batch);
		if (!strcmp(name, "lease"))
			return num(v, 1, 86400, &w->lease_s);
		if (!strcmp(name, "poll_ms"))
			return num(v, 10, 60000, &w->poll_ms);
		return -1;
	}
	if (!strcmp(section, "notify")) {
		if (!strcmp(name, "quiet_hours")) {
			c->worker.quiet_set = true;
			if (!strcmp(v, "off") || !strcmp(v, "none")) {
				c->worker.quiet_start_h = c->worker.quiet_end_h = 0;
				return 1;
			}
			return hours(v, &c->worker.quiet_start_h, &c->worker.quiet_end_h);
		}
		if (!strcmp(name, "timezone"))
			return SET(c->worker.timezone, v);
		return 0;
	}
	return 0;
}

static int env(char *dst, size_t cap, const char *var)
{
	const char *v = getenv(var);

	if (!v || !v[0])
		return 0;
	if (set(dst, cap, v) < 0) {
		fprintf(stderr, "wismo: %s: too long\n", var);
		return -1;
	}
	return 0;
}

int notify_config_env(struct notify_config *c)
{
	char var[128];

	if (env(c->smtp.password, sizeof(c->smtp.password), "WISMO_SMTP_PASSWORD") ||
	    env(c->sms.auth_token, sizeof(c->sms.auth_token), "WISMO_SMS_AUTH_TOKEN") ||
	    env(c->helpdesk.api_token, sizeof(c->helpdesk.api_token), "WISMO_HELPDESK_API_TOKEN"))
		return -1;
	for (int i = 0; i < c->nsubscribers; i++) {
		size_t at = (size_t)snprintf(var, sizeof(var), "WISMO_WEBHOOK_");
		for (const char *p = c->subscribers[i].name; *p && at + 8 < sizeof(var); p++)
			var[at++] = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') :
				    (*p == '-' || *p == '.') ? '_' : *p;
		snprintf(var + at, sizeof(var) - at, "_SECRET");
		if (env(c->subscribers[i].secret, sizeof(c->subscribers[i].secret), var))
			return -1;
	}
	return 0;
}

const struct notify_subscriber *notify_subscriber(const struct notify_config *c, const char *name)
{
	for (int i = 0; i < c->nsubscribers; i++)
		if (!strcmp(c->subscribers[i].name, name))
			return &c->subscribers[i];
	return NULL;
}
