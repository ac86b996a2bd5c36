/* store_cache.c - the process's lookup cache (contract in store_cache.h). */
#include "store_cache.h"

#include <stdatomic.h>

#include "../base/banned.h"

static _Atomic(struct lookup_cache *) cache;

enum werr store_cache_start(size_t bytes)
{
	struct lookup_cache *c;

	if (!bytes)
		return WERR_OK;
	if (!(c = lookup_cache_new(bytes, 0)))
		return WERR_NOMEM;
	lookup_cache_free(atomic_exchange(&cache, c));
	return WERR_OK;
}

void store_cache_stop(void)
{
	lookup_cache_free(atomic_exchange(&cache, NULL));
}

bool store_cache_stats(struct lookup_cache_stats *out)
{
	struct lookup_cache *c = atomic_load(&cache);

	if (!c)
		return false;
	lookup_cache_stats(c, out);
	return true;
}

struct lookup_cache *store_cache__get(void)
{
	return atomic_load(&cache);
}
