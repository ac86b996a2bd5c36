/*
 * store_config.h - which store to open and how much the writer may queue:
 * [server] store, [store] read_url and [limits] queue (docs/config.md),
 * WISMO_STORE and --store on top (the loader applies those).
 */
#ifndef WISMO_STORE_CONFIG_H
#define WISMO_STORE_CONFIG_H

#include <stddef.h>

struct store_config {
	char url[1024];     /* "sqlite:PATH" or "postgres://..." (store.h) */
	char read_url[1024]; /* "" or a PostgreSQL replica's URI: the request
				threads' lookups read there (docs/scale-out.md) */
	size_t queue_max;   /* writer queue, events; 503 above */
};

void store_config_defaults(struct store_config *c);
/* Sets the URL; -1 when too long. */
int store_config_set_url(struct store_config *c, const char *url);
/* One INI entry: 1 taken, 0 not ours, -1 bad value. */
int store_config_set(struct store_config *c, const char *section, const char *name, const char *value);

#endif
