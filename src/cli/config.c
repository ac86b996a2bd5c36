/*
 * config.c - the INI file (inih), environment overrides and listen address.
 */
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../adapters/adapter.h"
#include "../base/banned.h"

struct load_ctx {
	struct server_config *cfg;
	const char *file;
	int bad;
};

static int num(const char *v, long min, long max, long *out)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* The value of WISMO_SOURCE_<NAME>_SECRET, its name left in var. */
static const char *getenv_source(const char *name, char *var, size_t cap)
{
	size_t at = (size_t)snprintf(var, cap, "WISMO_SOURCE_");
	const char *v;

	for (const char *c = name; *c && at + 8 < cap; c++)
		var[at++] = (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : (*c == '-' || *c == '.') ? '_' : *c;
	snprintf(var + at, cap - at, "_SECRET");
	v = getenv(var);
	return v && v[0] ? v : NULL;
}

static int set_field(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/*
 * WISMO_SOURCE_<NAME>_SECRET (the name upper-cased, '-' and '.' as '_')
 * for every source the file names and every built-in adapter: the
 * environment wins over the file.
 */
static int secrets_from_env(struct server_config *cfg)
{
	char var[EV_SOURCE_MAX + 32];

	for (size_t i = 0; adapters_all[i]; i++)
		if (!server_source(cfg, adapters_all[i]->name) && getenv_source(adapters_all[i]->name, var, sizeof(var)) &&
		    !server_source_add(cfg, adapters_all[i]->name))
			return -1;
	for (int i = 0; i < cfg->nsources; i++) {
		struct source_cfg *sc = &cfg->sources[i];
		const char *v = getenv_source(sc->name, var, sizeof(var));
		if (v && set_field(sc->secret, sizeof(sc->secret), v)) {
			fprintf(stderr, "wismo: %s: too long\n", var);
			return -1;
		}
	}
	return 0;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	struct server_config *cfg = c->cfg;
	long n = 0;

	if (!strcmp(section, "server")) {
		if (!strcmp(name, "listen")) {
			if (config_set_listen(cfg, value))
				goto bad;
		} else if (!strcmp(name, "store")) {
			if (strlen(value) >= sizeof(cfg->store_url))
				goto bad;
			snprintf(cfg->store_url, sizeof(cfg->store_url), "%s", value);
		} else if (!strcmp(name, "threads")) {
			if (num(value, 1, 64, &n))
				goto bad;
			cfg->threads = (unsigned)n;
		} else {
			goto unknown;
		}
	} else if (!strcmp(section, "limits")) {
		if (!strcmp(name, "max_body") && !num(value, 1024, 64L << 20, &n))
			cfg->max_body = (size_t)n;
		else if (!strcmp(name, "max_depth") && !num(value, 2, 512, &n))
			cfg->max_depth = (int)n;
		else if (!strcmp(name, "max_batch") && !num(value, 1, 10000, &n))
			cfg->max_batch = (int)n;
		else if (!strcmp(name, "connections") && !num(value, 1, 100000, &n))
			cfg->conn_limit = (unsigned)n;
		else if (!strcmp(name, "timeout") && !num(value, 1, 3600, &n))
			cfg->conn_timeout = (unsigned)n;
		else if (!strcmp(name, "queue") && !num(value, 1, 10000000, &n))
			cfg->queue_max = (size_t)n;
		else
			goto bad;
	} else if (!strcmp(section, "resolution")) {
		if (!strcmp(name, "terminal_hold_hours") && !num(value, 0, 24 * 30, &n))
			cfg->policy.terminal_hold_ms = (int64_t)n * 3600 * 1000;
		else
			goto bad;
	} else if (!strcmp(section, "adapters")) {
		if (!strcmp(name, "mappings") && strlen(value) < sizeof(cfg->mappings_dir))
			snprintf(cfg->mappings_dir, sizeof(cfg->mappings_dir), "%s", value);
		else if (!strcmp(name, "overrides") && strlen(value) < sizeof(cfg->mappings_override))
			snprintf(cfg->mappings_override, sizeof(cfg->mappings_override), "%s", value);
		else
			goto bad;
	/* BEGIN sections: web pages */
	} else if (!strcmp(section, "web")) {
		static const struct { const char *name; size_t off, cap; } strs[] = {
#define WEB_STR(n, f) { n, offsetof(struct server_config, f), sizeof(((struct server_config *)0)->f) }
			WEB_STR("name", web_name), WEB_STR("logo", web_logo),
			WEB_STR("primary_color", web_primary), WEB_STR("accent_color", web_accent),
			WEB_STR("support_email", web_support_email), WEB_STR("support_phone", web_support_phone),
			WEB_STR("public_url", web_public_url), WEB_STR("link_secret", web_link_secret),
			WEB_STR("templates", web_templates),
#undef WEB_STR
		};
		size_t i;
		for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (!strcmp(name, strs[i].name))
				break;
		if (i < sizeof(strs) / sizeof(strs[0])) {
			if ((!strcmp(name, "primary_color") || !strcmp(name, "accent_color")) &&
			    (strlen(value) != 7 || value[0] != '#' || strspn(value + 1, "0123456789abcdefABCDEF") != 6))
				goto bad;
			if (set_field((char *)cfg + strs[i].off, strs[i].cap, value))
				goto bad;
		} else if (!strcmp(name, "lookups_per_minute")) {
			if (num(value, 1, 100000, &n))
				goto bad;
			cfg->web_lookups_per_minute = (int)n;
		} else if (!strcmp(name, "link_days")) {
			if (num(value, 1, 3650, &n))
				goto bad;
			cfg->web_link_days = (int)n;
		} else {
			goto unknown;
		}
	/* END sections: web pages */
	/* BEGIN sections: KPIs, agent view, streams */
	} else if (!strcmp(section, "kpis")) {
		if (!strcmp(name, "quiet_hours") && !num(value, 1, 24 * 365, &n))
			cfg->kpi_quiet_hours = (int)n;
		else
			goto bad;
	} else if (!strcmp(section, "streams")) {
		if (!strcmp(name, "max") && !num(value, 1, 100000, &n))
			cfg->sse_max_streams = (unsigned)n;
		else
			goto bad;
	/* END sections: KPIs, agent view, streams */
	/* BEGIN sections: notifications */
	/* rules ([rule NAME], and [notify] templates, locale, default_rules): */
	} else if ((n = notify_rules_config_set(cfg, section, name, value)) != 0) {
		if (n < 0)
			goto bad;
	/* delivery: */
	} else if ((n = notify_config_set(&cfg->notify, section, name, value)) != 0) {
		if (n < 0)
			goto bad;
	/* END sections: notifications */
	} else if (!strncmp(section, "source ", 7)) {
		struct source_cfg *sc = server_source_add(cfg, section + 7);
		if (!sc)
			goto bad;
		if (!strcmp(name, "kind")) {
			int k = source_kind_from_name(value);
			if (k < 0 || policy_set_kind(&cfg->policy, section + 7, (enum source_kind)k))
				goto bad;
		} else if (!strcmp(name, "adapter")) {
			if (set_field(sc->adapter, sizeof(sc->adapter), value))
				goto bad;
		} else if (!strcmp(name, "secret")) {
			if (set_field(sc->secret, sizeof(sc->secret), value))
				goto bad;
		} else if (!strcmp(name, "api_base")) {
			if (set_field(sc->api_base, sizeof(sc->api_base), value))
				goto bad;
		} else if (!strcmp(name, "api_key")) {
			if (set_field(sc->api_key, sizeof(sc->api_key), value))
				goto bad;
		} else if (!strcmp(name, "api_secret")) {
			if (set_field(sc->api_secret, sizeof(sc->api_secret), value))
				goto bad;
		} else if (!strcmp(name, "rate_per_minute")) {
			if (num(value, 1, 100000, &n))
				goto bad;
			sc->rate_per_minute = (int)n;
		} else {
			goto unknown;
		}
	} else {
		goto unknown;
	}
	return 1;
bad:
	fprintf(stderr, "wismo: %s: bad value for '%s' in [%s]\n", c->file, name, section);
	c->bad = 1;
	return 1;
unknown:
	fprintf(stderr, "wismo: %s: unknown setting '%s' in [%s]\n", c->file, name, section);
	c->bad = 1;
	return 1;
}

int config_set_listen(struct server_config *cfg, const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *host = s;
	size_t hlen;
	long port;

	if (!colon || num(colon + 1, 0, 65535, &port))
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (hlen >= sizeof(cfg->listen_host))
		return -1;
	if (hlen == 0) {
		snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
	} else {
		memcpy(cfg->listen_host, host, hlen);
		cfg->listen_host[hlen] = '\0';
		if (!strcmp(cfg->listen_host, "localhost"))
			snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
	}
	cfg->port = (int)port;
	return 0;
}

int config_load(struct server_config *cfg, const struct cli_opts *o)
{
	const char *file = o->config;
	const char *env;

	server_config_defaults(cfg);
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
	if (secrets_from_env(cfg))
		return -1;
	if ((env = getenv("WISMO_STORE")) && *env)
		snprintf(cfg->store_url, sizeof(cfg->store_url), "%s", env);
	if ((env = getenv("WISMO_LISTEN")) && *env && config_set_listen(cfg, env)) {
		fprintf(stderr, "wismo: WISMO_LISTEN: bad address '%s'\n", env);
		return -1;
	}
	if (o->store) {
		if (strlen(o->store) >= sizeof(cfg->store_url)) {
			fprintf(stderr, "wismo: --store: too long\n");
			return -1;
		}
		snprintf(cfg->store_url, sizeof(cfg->store_url), "%s", o->store);
	}
	if (o->listen && config_set_listen(cfg, o->listen)) {
		fprintf(stderr, "wismo: --listen: expected HOST:PORT, got '%s'\n", o->listen);
		return -1;
	}
	return 0;
}
