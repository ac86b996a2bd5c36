/*
 * sources.h - the configured sources and where the mapping tables come from:
 * the [adapters] section and the [source NAME] sections (docs/config.md),
 * with WISMO_SOURCE_<NAME>_SECRET from the environment on top.
 *
 * A source has a name (what /hooks/NAME and the events carry), the built-in
 * adapter it speaks, its webhook secret, and for polled carriers and
 * ShipStation the API's base URL and credentials.  Its kind goes into the
 * ownership policy (core/policy.h).
 *
 * Secrets are never logged.  Not thread-safe while loading; read-only after.
 */
#ifndef WISMO_ADAPTERS_SOURCES_H
#define WISMO_ADAPTERS_SOURCES_H

#include "../base/err.h"
#include "../core/event.h"
#include "../core/policy.h"

#define SOURCES_MAX 32

/* One configured source ([source NAME]). */
struct source_cfg {
	char name[EV_SOURCE_MAX + 1];
	char adapter[EV_SOURCE_MAX + 1];  /* built-in adapter it speaks; "" = its name */
	char secret[256];        /* webhook secret; WISMO_SOURCE_<NAME>_SECRET wins */
	char api_base[512];      /* ShipStation, carriers: the API's base URL */
	char api_key[256];       /* API key, user or OAuth client id */
	char api_secret[256];    /* API secret, password or OAuth client secret */
	char account[128];       /* an account number or user name a carrier asks
	                            for beside its key ({account} in a described
	                            carrier's request, docs/carriers.md) */
	int rate_per_minute;     /* carriers: polling budget (requests per minute) */
};

struct sources_config {
	char mappings_dir[1024];      /* "" = $WISMO_MAPPINGS, else the installed or source tree's mappings/ */
	char mappings_override[1024]; /* tables here replace built-in ones of the same name */
	struct source_cfg sources[SOURCES_MAX];
	int nsources;
};

/* The configured source of this name, or NULL. */
const struct source_cfg *sources_find(const struct sources_config *c, const char *name);
/* Adds (or finds) a source entry; NULL when the table is full or the name is bad. */
struct source_cfg *sources_add(struct sources_config *c, const char *name);

/* One INI entry of [adapters] or [source NAME]; a kind goes into pol.
 * 1 taken, 0 not ours (or an unknown key), -1 bad value. */
int sources_config_set(struct sources_config *c, struct policy *pol, const char *section, const char *name,
		       const char *value);
/* WISMO_SOURCE_<NAME>_SECRET (the name upper-cased, '-' and '.' as '_') for
 * every configured source and every built-in adapter: the environment wins
 * over the file.  -1 (a message on stderr) when a value is too long. */
int sources_secrets_from_env(struct sources_config *c);

struct mappings;
struct zones;
/*
 * Loads the mapping tables and the zone table: from c->mappings_dir, else
 * $WISMO_MAPPINGS, else the installed data directory, else the source tree's
 * mappings/ (a build that was not installed); the override directory on top.
 */
enum werr sources_load_tables(const struct sources_config *c, struct mappings **maps, struct zones **zones,
			      char *errbuf, size_t errcap);

#endif
