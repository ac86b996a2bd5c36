/*
 * store_pg_cache.c - the PostgreSQL backend's use of the process's lookup
 * cache (store_cache.h, docs/scale-out.md "The lookup cache").
 *
 * Reads: pg_get_order asks the cache first, outside a caller's
 * transaction only; its miss's ticket is taken before the SELECT starts
 * (a statement of its own, so its snapshot is taken after the ticket),
 * which is what lets an invalidation that follows a commit refuse the old
 * row a concurrent reader is about to insert (lookup_cache.h).
 *
 * Own writes: the names a transaction announces are kept on the handle and
 * invalidated when it ends with a COMMIT (whatever the COMMIT answered: a
 * lost connection leaves the outcome unknown), before store_commit
 * returns, so the writer answers its requests only once the cache forgets
 * the old answers.  A transaction that rewrites every order (rebuild)
 * flushes the whole cache instead.
 *
 * Other processes' writes: the listener (store_pg_peers.c) invalidates
 * each name it hears, and tells the cache when its LISTEN becomes active
 * and when its session is lost: while it is down the cache is empty and
 * takes nothing.
 */
#include <string.h>

#include "pg_int.h"
#include "store_cache.h"
#include "../base/banned.h"

bool pg_cache_get(struct pg_store *s, const char *order, char **json, struct lookup_ticket *t)
{
	struct lookup_cache *c = store_cache__get();

	*json = NULL;
	memset(t, 0, sizeof(*t));
	if (!c || s->in_tx)
		return false;
	return lookup_cache_get(c, order, json, t);
}

void pg_cache_put(struct pg_store *s, const char *order, const char *json, const struct lookup_ticket *t)
{
	struct lookup_cache *c = store_cache__get();

	(void)s;
	if (c && t->valid)
		lookup_cache_put(c, order, json, t);
}

void pg_cache_announced(struct pg_store *s, const char *const *orders, size_t n)
{
	struct lookup_cache *c = store_cache__get();

	for (size_t i = 0; i < n; i++) {
		if (!s->in_tx) {
			/* the NOTIFY committed already */
			if (c)
				lookup_cache_invalidate(c, orders[i]);
		} else if (buf_append(&s->cache.names, orders[i], strlen(orders[i]) + 1)) {
			s->cache.all = true; /* no memory to remember it: flush at commit */
		}
	}
}

void pg_cache_all_changed(struct pg_store *s)
{
	struct lookup_cache *c = store_cache__get();

	if (s->in_tx)
		s->cache.all = true;
	else if (c)
		lookup_cache_flush(c);
}

void pg_cache_tx_end(struct pg_store *s, bool commit)
{
	struct lookup_cache *c = store_cache__get();

	if (commit && c) {
		if (s->cache.all)
			lookup_cache_flush(c);
		for (size_t at = 0; at < s->cache.names.len; at += strlen(s->cache.names.p + at) + 1)
			lookup_cache_invalidate(c, s->cache.names.p + at);
	}
	s->cache.all = false;
	buf_reset(&s->cache.names);
}

void pg_cache_heard(const char *order)
{
	struct lookup_cache *c = store_cache__get();

	if (c)
		lookup_cache_invalidate(c, order);
}

void pg_cache_heard_all(void)
{
	struct lookup_cache *c = store_cache__get();

	if (c)
		lookup_cache_flush(c);
}

void pg_cache_listening(struct pg_store *s, bool up)
{
	struct lookup_cache *c = store_cache__get();

	if (up && c && !s->cache.on) {
		lookup_cache_listening(c, true);
		s->cache.on = c;
	} else if (!up && s->cache.on) {
		/* a cache started again since counts this handle no more */
		if (s->cache.on == c)
			lookup_cache_listening(c, false);
		s->cache.on = NULL;
	}
}

void pg_cache_release(struct pg_store *s)
{
	pg_cache_listening(s, false);
	buf_release(&s->cache.names);
}
