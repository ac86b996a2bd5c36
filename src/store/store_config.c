/* store_config.c - [server] store, [store] read_url and lookup_cache_mb, [limits] queue (contract in store_config.h). */
#include "store_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/num.h"
#include "../base/banned.h"

void store_config_defaults(struct store_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->url, sizeof(c->url), "sqlite:./wismo.db");
	c->queue_max = 100000;
	c->lookup_cache_mb = 64;
}

int store_config_set_url(struct store_config *c, const char *url)
{
	if (strlen(url) >= sizeof(c->url))
		return -1;
	memcpy(c->url, url, strlen(url) + 1);
	return 0;
}

int store_config_set(struct store_config *c, const char *section, const char *name, const char *value)
{
	long n;

	if (!strcmp(section, "server") && !strcmp(name, "store"))
		return store_config_set_url(c, value) ? -1 : 1;
	if (!strcmp(section, "store") && !strcmp(name, "read_url")) {
		/* a replica serves one backend only: a SQLite file has none */
		if (*value && strncmp(value, "postgres://", 11) && strncmp(value, "postgresql://", 13))
			return -1;
		if (strlen(value) >= sizeof(c->read_url))
			return -1;
		memcpy(c->read_url, value, strlen(value) + 1);
		return 1;
	}
	if (!strcmp(section, "store") && !strcmp(name, "lookup_cache_mb")) {
		if (!num_parse(value, 0, 1048576, &n))
			return -1;
		c->lookup_cache_mb = (size_t)n;
		return 1;
	}
	if (!strcmp(section, "limits") && !strcmp(name, "queue")) {
		if (!num_parse(value, 1, 10000000, &n))
			return -1;
		c->queue_max = (size_t)n;
		return 1;
	}
	return 0;
}

size_t store_config_cache_bytes(const struct store_config *c)
{
	if (c->read_url[0] || (strncmp(c->url, "postgres://", 11) && strncmp(c->url, "postgresql://", 13)))
		return 0;
	return c->lookup_cache_mb << 20;
}
