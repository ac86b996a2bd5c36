/*
 * sources.c - [adapters] and [source NAME], secrets from the environment,
 * and loading the mapping and zone tables (contract in sources.h).
 */
#include "sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/num.h"
#include "../base/datadir.h"
#include "adapter.h"
#include "mapping.h"
#include "zones.h"
#include "../base/banned.h"

const struct source_cfg *sources_find(const struct sources_config *c, const char *name)
{
	for (int i = 0; i < c->nsources; i++)
		if (!strcmp(c->sources[i].name, name))
			return &c->sources[i];
	return NULL;
}

struct source_cfg *sources_add(struct sources_config *c, const char *name)
{
	struct source_cfg *sc = (struct source_cfg *)sources_find(c, name);

	if (sc)
		return sc;
	if (c->nsources >= SOURCES_MAX || strlen(name) > EV_SOURCE_MAX || !name[0])
		return NULL;
	sc = &c->sources[c->nsources++];
	memset(sc, 0, sizeof(*sc));
	memcpy(sc->name, name, strlen(name) + 1);
	return sc;
}

static int set_field(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int sources_config_set(struct sources_config *c, struct policy *pol, const char *section, const char *name,
		       const char *value)
{
	static const struct { const char *name; size_t off, cap; } strs[] = {
#define SRC_STR(n, f) { n, offsetof(struct source_cfg, f), sizeof(((struct source_cfg *)0)->f) }
		SRC_STR("adapter", adapter), SRC_STR("secret", secret), SRC_STR("api_base", api_base),
		SRC_STR("api_key", api_key), SRC_STR("api_secret", api_secret), SRC_STR("account", account),
#undef SRC_STR
	};
	struct source_cfg *sc;
	long n;

	if (!strcmp(section, "adapters")) {
		if (!strcmp(name, "mappings"))
			return set_field(c->mappings_dir, sizeof(c->mappings_dir), value) ? -1 : 1;
		if (!strcmp(name, "overrides"))
			return set_field(c->mappings_override, sizeof(c->mappings_override), value) ? -1 : 1;
		return -1;
	}
	if (strncmp(section, "source ", 7))
		return 0;
	if (!(sc = sources_add(c, section + 7)))
		return -1;
	if (!strcmp(name, "kind")) {
		int k = source_kind_from_name(value);
		return k < 0 || policy_set_kind(pol, section + 7, (enum source_kind)k) ? -1 : 1;
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!strcmp(name, strs[i].name))
			return set_field((char *)sc + strs[i].off, strs[i].cap, value) ? -1 : 1;
	if (!strcmp(name, "rate_per_minute")) {
		if (!num_parse(value, 1, 100000, &n))
			return -1;
		sc->rate_per_minute = (int)n;
		return 1;
	}
	return 0; /* an unknown key: the loader says so */
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

int sources_secrets_from_env(struct sources_config *c)
{
	char var[EV_SOURCE_MAX + 32];

	for (size_t i = 0; adapters_all[i]; i++)
		if (!sources_find(c, adapters_all[i]->name) && getenv_source(adapters_all[i]->name, var, sizeof(var)) &&
		    !sources_add(c, adapters_all[i]->name))
			return -1;
	for (int i = 0; i < c->nsources; i++) {
		struct source_cfg *sc = &c->sources[i];
		const char *v = getenv_source(sc->name, var, sizeof(var));
		if (v && set_field(sc->secret, sizeof(sc->secret), v)) {
			fprintf(stderr, "wismo: %s: too long\n", var);
			return -1;
		}
	}
	return 0;
}

static const char *mappings_dir(const struct sources_config *c, char *buf, size_t cap)
{
	const char *env = getenv("WISMO_MAPPINGS");

	if (c->mappings_dir[0])
		return c->mappings_dir;
	if (env && env[0])
		return env;
	return datadir_path("mappings", buf, cap);
}

enum werr sources_load_tables(const struct sources_config *c, struct mappings **maps, struct zones **zones,
			      char *errbuf, size_t errcap)
{
	char buf[1024], zpath[1100];
	const char *dir = mappings_dir(c, buf, sizeof(buf));
	enum werr err;

	*maps = NULL;
	*zones = NULL;
	if ((err = mappings_load(dir, c->mappings_override, maps, errbuf, errcap)))
		return err;
	snprintf(zpath, sizeof(zpath), "%s/zones.tsv", dir);
	if ((err = zones_load(zpath, NULL, zones, errbuf, errcap))) {
		mappings_free(*maps);
		*maps = NULL;
	}
	return err;
}
