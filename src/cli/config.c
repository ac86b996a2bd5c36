/*
 * config.c - the INI file (inih), environment overrides and the command
 * line.  The loader knows no setting: it hands each entry to the modules'
 * setters in turn (the table below) until one takes it.
 */
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../app/links.h"
#include "cli.h"
#include "../base/banned.h"

/*
 * One setter per module: it returns 1 (taken), 0 (not its section or key)
 * or -1 (a bad value).  Each wrapper hands the module its own settings; the
 * sources also write source kinds into the policy.
 */
#define SETTER(name, fn, field)                                                                    \
	static int name(struct config *c, const char *section, const char *key, const char *value) \
	{                                                                                          \
		return fn(&c->field, section, key, value);                                          \
	}
SETTER(set_http, http_config_set, http)
SETTER(set_store, store_config_set, store)
SETTER(set_policy, policy_config_set, policy)
SETTER(set_api, api_config_set, api)
SETTER(set_views, views_config_set, views)
SETTER(set_web, web_config_set, web)
SETTER(set_rules, notify_rules_config_set, rules)
SETTER(set_notify, notify_config_set, notify)
SETTER(set_retention, retention_config_set, retention)
SETTER(set_exceptions, exc_config_set, exceptions)
SETTER(set_promises, promise_config_set, policy.promises)
SETTER(set_parcels, parcel_config_set, policy.parcels)
SETTER(set_milestones, ms_config_set, policy.milestones)
SETTER(set_returns, returns_config_set, returns)
SETTER(set_tickets, helpdesk_config_set, tickets)
#undef SETTER

static int set_sources(struct config *c, const char *section, const char *key, const char *value)
{
	return sources_config_set(&c->sources, &c->policy, section, key, value);
}

static int (*const setters[])(struct config *, const char *, const char *, const char *) = {
	set_http, set_store, set_policy, set_sources, set_api, set_views, set_web, set_rules, set_notify,
	set_retention, set_exceptions, set_promises, set_parcels, set_milestones, set_returns, set_tickets,
};

struct load_ctx {
	struct config *cfg;
	const char *file;
	int bad;
};

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;

	for (size_t i = 0; i < sizeof(setters) / sizeof(setters[0]); i++) {
		int rc = setters[i](c->cfg, section, name, value);
		if (rc > 0)
			return 1;
		if (rc < 0) {
			fprintf(stderr, "wismo: %s: bad value for '%s' in [%s]\n", c->file, name, section);
			c->bad = 1;
			return 1;
		}
	}
	fprintf(stderr, "wismo: %s: unknown setting '%s' in [%s]\n", c->file, name, section);
	c->bad = 1;
	return 1;
}

static void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	http_opts_defaults(&cfg->http);
	store_config_defaults(&cfg->store);
	policy_init_defaults(&cfg->policy);
	api_config_defaults(&cfg->api);
	exc_config_defaults(&cfg->exceptions);
	returns_config_defaults(&cfg->returns);
	helpdesk_config_defaults(&cfg->tickets);
}

struct config *config_new(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		fprintf(stderr, "wismo: out of memory\n");
	return cfg;
}

void config_shop(const struct config *cfg, struct notify_shop *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", cfg->web.name);
	snprintf(out->support_email, sizeof(out->support_email), "%s", cfg->web.support_email);
	snprintf(out->support_phone, sizeof(out->support_phone), "%s", cfg->web.support_phone);
	snprintf(out->return_instructions, sizeof(out->return_instructions), "%s", cfg->returns.instructions);
}

void config_link_signer(const struct config *cfg, struct link_signer *out)
{
	app_link_signer_init(out, cfg->web.link_secret, cfg->store.url);
	app_link_signer_base(out, cfg->web.public_url, cfg->http.listen_host, cfg->http.port);
}

int config_load(struct config *cfg, const struct cli_opts *o)
{
	const char *file = o->config;
	const char *env;

	config_defaults(cfg);
	if (!file && access("wismo.ini", R_OK) == 0)
		file = "wismo.ini";
	if (file) {
		struct load_ctx c = { cfg, file, 0 };
		int rc = ini_parse(file, on_entry, &c);
		if (rc < 0) {
			fprintf(stderr, "wismo: unable to read config '%s'\n", file);
			return -1;
		}
		if (rc > 0) {
			fprintf(stderr, "wismo: %s:%d: syntax error\n", file, rc);
			return -1;
		}
		if (c.bad)
			return -1;
	}
	if (sources_secrets_from_env(&cfg->sources))
		return -1;
	if ((env = getenv("WISMO_STORE")) && *env && store_config_set_url(&cfg->store, env)) {
		fprintf(stderr, "wismo: WISMO_STORE: too long\n");
		return -1;
	}
	if ((env = getenv("WISMO_LISTEN")) && *env && http_opts_set_listen(&cfg->http, env)) {
		fprintf(stderr, "wismo: WISMO_LISTEN: bad address '%s'\n", env);
		return -1;
	}
	if (o->store && store_config_set_url(&cfg->store, o->store)) {
		fprintf(stderr, "wismo: --store: too long\n");
		return -1;
	}
	if (o->listen && http_opts_set_listen(&cfg->http, o->listen)) {
		fprintf(stderr, "wismo: --listen: expected HOST:PORT, got '%s'\n", o->listen);
		return -1;
	}
	return 0;
}
