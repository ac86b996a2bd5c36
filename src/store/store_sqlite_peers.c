/*
 * store_sqlite_peers.c - the SQLite backend's peer operations (store.h,
 * struct store_peer_ops): a SQLite file serves one node, so there is no one
 * to announce to or hear from, and the one node holds every lease.
 */
#include "sqlite_int.h"
#include "../base/banned.h"

static enum werr sq_announce(struct store *st, const char *const *orders, size_t n)
{
	(void)st;
	(void)orders;
	(void)n;
	return WERR_OK;
}

static enum werr sq_listen(struct store *st, int timeout_ms,
			   void (*fn)(void *ctx, const char *const *orders, size_t n), void *ctx)
{
	(void)timeout_ms;
	(void)fn;
	(void)ctx;
	sq_msg(sq(st), "a sqlite store has no other nodes to listen to");
	return WERR_UNSUPPORTED;
}

static enum werr sq_lease(struct store *st, const char *name, bool *held)
{
	(void)st;
	(void)name;
	*held = true;
	return WERR_OK;
}

const struct store_peer_ops sq_peer_ops = {
	.announce = sq_announce,
	.listen = sq_listen,
	.lease = sq_lease,
};
