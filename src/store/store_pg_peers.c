/*
 * store_pg_peers.c - the PostgreSQL backend's peer operations (store.h,
 * struct store_peer_ops): several wismo nodes on one database.
 *
 * Announcements: NOTIFY on the channel wismo_orders, sent inside the
 * writer's transaction, so the server delivers it when (and only if) the
 * transaction commits, after the data is visible.  A payload is the
 * sending process's random id, then one order number per line, at most
 * PAYLOAD_MAX bytes (the server's limit is 8000): a longer list goes as
 * several; a payload with no order says that every order changed (a
 * rebuild: pg_announce_all).  A listener skips its own process's payloads
 * (its node's commit listeners were told directly).  The listener also
 * keeps the process's lookup cache true (store_pg_cache.c): it invalidates
 * what it hears before handing it on, and tells the cache when its LISTEN
 * becomes active and when its session is lost.  An announcement sent
 * while a listener's connection is down is lost for it (docs/scale-out.md:
 * a page that missed one catches up with the next change or a reload; the
 * cache stays empty until the LISTEN is back).  The process id is made
 * again in a forked child, so that its announcements are heard.
 *
 * Leases: a session advisory lock in a space of wismo's own (the
 * two-integer form, first key LEASE_SPACE, second hashtext(name)); held
 * until the handle closes or its connection ends, so a node that dies
 * gives its leases up as soon as the server sees its connection go (TCP
 * keepalive, or at once when the process is killed: the kernel closes the
 * socket).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "pg_int.h"
#include "../base/banned.h"

#define CHANNEL "wismo_orders"
#define PAYLOAD_MAX 7800
#define LEASE_SPACE "1464421741" /* "WJ!m": any constant of our own */
#define LISTEN_BATCH 256         /* orders handed to fn at once */

static char proc_id[17];
static pid_t proc_pid; /* the process proc_id was made for: a forked child makes its own */
static pthread_mutex_t proc_mu = PTHREAD_MUTEX_INITIALIZER;

static void make_proc_id(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint64_t)(uintptr_t)&v ^ (uint64_t)getpid() << 32;
	snprintf(proc_id, sizeof(proc_id), "%016" PRIx64, v);
}

static const char *self_id(void)
{
	pthread_mutex_lock(&proc_mu);
	if (proc_pid != getpid()) {
		make_proc_id();
		proc_pid = getpid();
	}
	pthread_mutex_unlock(&proc_mu);
	return proc_id;
}

static const char SQL_NOTIFY[] = "SELECT pg_notify('" CHANNEL "', $1)";

static enum werr send_payload(struct pg_store *s, struct buf *b)
{
	enum werr err = pg_run(s, SQL_NOTIFY, "unable to announce changes", NULL, "t", b->p, b->len);

	b->len = 0;
	return err;
}

static enum werr pg_announce(struct store *st, const char *const *orders, size_t n)
{
	struct pg_store *s = pg(st);
	struct buf b = BUF_INIT;
	enum werr err = WERR_OK;

	for (size_t i = 0; i < n && !err; i++) {
		size_t len = strlen(orders[i]);

		if (b.len && b.len + 1 + len > PAYLOAD_MAX)
			err = send_payload(s, &b);
		if (!err && !b.len)
			err = buf_puts(&b, self_id());
		if (!err && !(err = buf_putc(&b, '\n')))
			err = buf_append(&b, orders[i], len);
	}
	if (!err && b.len)
		err = send_payload(s, &b);
	buf_release(&b);
	if (!err)
		pg_cache_announced(s, orders, n);
	return err;
}

/* A payload without orders: every order changed (a rebuild). */
enum werr pg_announce_all(struct pg_store *s)
{
	struct buf b = BUF_INIT;
	enum werr err;

	if (!(err = buf_puts(&b, self_id())) && !(err = buf_putc(&b, '\n')))
		err = send_payload(s, &b);
	buf_release(&b);
	if (!err)
		pg_cache_all_changed(s);
	return err;
}

/* Hands the orders of one payload (not our own) to fn, LISTEN_BATCH at a time. */
static void deliver(char *payload, void (*fn)(void *ctx, const char *const *orders, size_t n), void *ctx)
{
	const char *orders[LISTEN_BATCH];
	size_t n = 0;
	char *line, *next = strchr(payload, '\n');

	if (!next || (size_t)(next - payload) != strlen(self_id()) || !strncmp(payload, self_id(), strlen(self_id())))
		return; /* ours, or not wismo's */
	if (!next[1]) {
		pg_cache_heard_all();
		return;
	}
	for (line = next + 1; line && *line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		/* the cache forgets it before anyone is told to read it again */
		pg_cache_heard(line);
		orders[n++] = line;
		if (n == LISTEN_BATCH) {
			fn(ctx, orders, n);
			n = 0;
		}
	}
	if (n)
		fn(ctx, orders, n);
}

static enum werr pg_listen(struct store *st, int timeout_ms,
			   void (*fn)(void *ctx, const char *const *orders, size_t n), void *ctx)
{
	static const char SQL_LISTEN[] = "LISTEN " CHANNEL;
	struct pg_store *s = pg(st);
	struct pollfd pfd;
	PGnotify *note;
	enum werr err;

	if (s->in_tx) {
		pg_msg(s, "unable to listen inside a transaction");
		return WERR_INVALID;
	}
	/* (re)connects when needed; a new session listens again.  While no
	 * LISTEN is active, announcements are lost: the lookup cache is told
	 * on both edges (store_pg_cache.c) */
	if (!s->listening || PQstatus(s->conn) != CONNECTION_OK) {
		pg_cache_listening(s, false);
		if ((err = pg_run(s, SQL_LISTEN, "unable to listen", NULL, "")))
			return err;
		s->listening = true;
		pg_cache_listening(s, true);
	}
	pfd.fd = PQsocket(s->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0 || (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)) {
		pg_cache_listening(s, false);
		pg_msg(s, "unable to wait for announcements");
		return WERR_STORAGE_DOWN;
	}
	if (!PQconsumeInput(s->conn)) {
		pg_cache_listening(s, false);
		return pg_fail(s, NULL, "unable to read announcements");
	}
	while ((note = PQnotifies(s->conn))) {
		deliver(note->extra, fn, ctx);
		PQfreemem(note);
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		pg_cache_listening(s, false);
		return pg_fail(s, NULL, "unable to read announcements");
	}
	return WERR_OK;
}

static bool has_lease(const struct pg_store *s, const char *name)
{
	for (int i = 0; i < s->nleases; i++)
		if (!strcmp(s->leases[i], name))
			return true;
	return false;
}

static enum werr pg_lease(struct store *st, const char *name, bool *held)
{
	static const char SQL_TRY[] = "SELECT pg_try_advisory_lock(" LEASE_SPACE ", hashtext($1))::int";
	static const char SQL_ALIVE[] = "SELECT 1";
	struct pg_store *s = pg(st);
	int64_t got = 0;
	enum werr err;

	*held = false;
	if (has_lease(s, name)) {
		/* held while the session lives: ask the server, so that a lost
		 * connection (and the lock with it) is noticed now; a reconnect
		 * forgets every lease */
		if ((err = pg_query_int(s, SQL_ALIVE, "unable to check a lease", &got, NULL, "")))
			return err;
		if ((*held = has_lease(s, name)))
			return WERR_OK;
	}
	if (strlen(name) >= sizeof(s->leases[0]) || s->nleases == PG_LEASES) {
		pg_msg(s, "lease name too long or too many leases");
		return WERR_INVALID;
	}
	if ((err = pg_query_int(s, SQL_TRY, "unable to take a lease", &got, NULL, "S", name)))
		return err;
	if (got) {
		snprintf(s->leases[s->nleases++], sizeof(s->leases[0]), "%s", name);
		*held = true;
	}
	return WERR_OK;
}

const struct store_peer_ops pg_peer_ops = {
	.announce = pg_announce,
	.listen = pg_listen,
	.lease = pg_lease,
};
