/*
 * store_config.h - which store to open, how much the writer may queue and
 * how much the lookups may cache: [server] store, [store] read_url and
 * lookup_cache_mb, [limits] queue (docs/config.md), WISMO_STORE and
 * --store on top (the loader applies those).
 */
#ifndef WISMO_STORE_CONFIG_H
#define WISMO_STORE_CONFIG_H

#include <stddef.h>

struct store_config {
	char url[1024];     /* "sqlite:PATH" or "postgres://..." (store.h) */
	char read_url[1024]; /* "" or a PostgreSQL replica's URI: the request
				threads' lookups read there (docs/scale-out.md) */
	size_t queue_max;   /* writer queue, events; 503 above */
	size_t lookup_cache_mb; /* the lookup cache's bound (store_cache.h); 0: off */
};

void store_config_defaults(struct store_config *c);
/* Sets the URL; -1 when too long. */
int store_config_set_url(struct store_config *c, const char *url);
/* One INI entry: 1 taken, 0 not ours, -1 bad value. */
int store_config_set(struct store_config *c, const char *section, const char *name, const char *value);
/* The lookup cache's bound in bytes for a server of c: lookup_cache_mb on
 * PostgreSQL, 0 on SQLite (another process may write the file unheard) and
 * with read_url (a replica applies a change after its announcement). */
size_t store_config_cache_bytes(const struct store_config *c);

#endif
