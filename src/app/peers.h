/*
 * peers.h - what the other nodes on the same database commit, to this
 * node's live streams (docs/scale-out.md).
 *
 * A node's own writer tells its hub directly (app_live_committed); the
 * orders other nodes commit reach it through the store's announcements:
 * peers_start opens a handle of its own and runs a thread that waits on
 * store_listen and hands each announced order to the hub
 * (sse_hub_notify), so a tracking page open on node B updates when node A
 * commits an event.  With a store that has no other nodes (SQLite) it
 * starts nothing and *out is NULL.  When the database is unreachable the
 * thread logs once, waits a second and tries again.
 */
#ifndef WISMO_APP_PEERS_H
#define WISMO_APP_PEERS_H

#include "../base/err.h"
#include "../http/sse.h"

struct peers;

enum werr peers_start(const char *store_url, struct sse_hub *hub, struct peers **out, char *errbuf,
		      size_t errcap);
/* Stops the thread (within a second) and frees; NULL does nothing.  Call
 * before the hub stops. */
void peers_stop(struct peers *p);

#endif
