/*
 * store_pg_fetch.c - the PostgreSQL backend's fetch jobs (store.h, struct
 * store_fetch_ops): webhook bodies waiting for the fetch they call for
 * (ShipStation's resource_url).  The writer puts a job in the transaction
 * that stores its body; the background fetcher (src/poll/fetcher.c) of
 * each node reads the due ones and records each attempt on its own
 * connection.  Table fetch_jobs (schema/pg_v13.h).
 *
 * Several nodes share the table, so a due job is leased to the connection
 * that read it: fetch_due takes a session-level advisory lock per job it
 * returns (class FETCH_LOCK_CLASS, key the id modulo 2^31) and skips the
 * jobs another connection holds, as FOR UPDATE SKIP LOCKED would; a row
 * lock could not do it, since it ends with fetch_due's transaction, before
 * the fetch is even tried.  The lease ends when fetch_retry or fetch_finish
 * has written the job's new state, or with the connection (a node that
 * dies leaves its jobs due for the others).  The contract of store.h does
 * not change for one handle: its own leased jobs are due to it again (a
 * job the fetcher left for a later tick, the conformance tests' repeated
 * reads), each leased once however often it is read.  Two ids 2^31 apart
 * share a key: the second waits for the first's lease, no more.
 */
#include <string.h>

#include "pg_int.h"
#include "../base/banned.h"

/* The class of the fetch leases ("wfch" in ASCII): the two-key advisory
 * locks never meet the one-key locks of pg_int.h. */
#define FETCH_LOCK_CLASS "2003199848"
/* This connection's fetch leases. */
#define FETCH_HELD                                                                                     \
	"SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid = " FETCH_LOCK_CLASS \
	"::oid AND objsubid = 2 AND pid = pg_backend_pid() AND granted"

static const char SQL_FETCH_PUT[] =
	"INSERT INTO fetch_jobs(source, raw_id, received_at, next_at) VALUES ($1, $2, $3, $3)";
/* The due jobs in SQLite's order; the outer filter takes a lease on each
 * row as the scan reaches it (a subquery with ORDER BY is neither merged
 * nor given the volatile filter, and its scan keeps the sort's order), so
 * LIMIT stops the locking at the rows returned.  OR tries the held leases
 * first: a held job is not locked twice. */
static const char SQL_FETCH_DUE[] =
	"SELECT id, source, raw_id, received_at, attempts FROM"
	" (SELECT id, source, raw_id, received_at, attempts FROM fetch_jobs"
	" WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at, id) j"
	" WHERE j.id % 2147483648 IN (" FETCH_HELD ")"
	" OR pg_try_advisory_lock(" FETCH_LOCK_CLASS ", (j.id % 2147483648)::int4) LIMIT $2";
static const char SQL_FETCH_RELEASE[] =
	"SELECT pg_advisory_unlock(" FETCH_LOCK_CLASS ", ($1::bigint % 2147483648)::int4) FROM (" FETCH_HELD
	") h WHERE h.objid = $1::bigint % 2147483648";
static const char SQL_FETCH_RETRY[] =
	"UPDATE fetch_jobs SET attempts = $2, next_at = $3, last_error = $4 WHERE id = $1 AND state = 'pending'";
static const char SQL_FETCH_DONE[] = "DELETE FROM fetch_jobs WHERE id = $1 AND state = 'pending'";
static const char SQL_FETCH_FAILED[] =
	"UPDATE fetch_jobs SET state = 'failed', last_error = $2, finished_at = $3"
	" WHERE id = $1 AND state = 'pending'";
static const char SQL_FETCH_PENDING[] = "SELECT count(*) FROM fetch_jobs WHERE state = 'pending'";
static const char SQL_FETCH_FAILED_COUNT[] = "SELECT count(*) FROM fetch_jobs WHERE state = 'failed'";

static enum werr pg_fetch_put(struct store *st, const char *source, int64_t raw_id, int64_t received_at)
{
	return pg_run(pg(st), SQL_FETCH_PUT, "unable to store a fetch job", NULL, "Sii", source, raw_id,
		      received_at);
}

static enum werr read_fetch_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct fetch_row *f = out;

	return pg_row(s, r, row, "ifiin", &f->id, PG_FIELD(f->source), &f->raw_id, &f->received_at, &f->attempts);
}

static enum werr pg_fetch_due(struct store *st, int64_t now, int limit, struct fetch_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_FETCH_DUE, "unable to read the fetch jobs", sizeof(struct fetch_row),
			     read_fetch_row, pg_release_plain, (void **)rows, n, "ii", now, (int64_t)limit);
}

/* Ends this connection's lease on job id, if it holds one: after the
 * job's new state is written (a job that is gone or no longer pending
 * leaves no lease behind either). */
static enum werr release_lease(struct pg_store *s, int64_t id, enum werr err)
{
	enum werr rerr;

	if (err && err != WERR_NOT_FOUND)
		return err;
	rerr = pg_run(s, SQL_FETCH_RELEASE, "unable to release a fetch job", NULL, "i", id);
	return rerr ? rerr : err;
}

static enum werr pg_fetch_retry(struct store *st, int64_t id, int attempts, int64_t next_at, const char *error)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	err = pg_run(s, SQL_FETCH_RETRY, "unable to reschedule a fetch job", &r, "iiis", id, (int64_t)attempts,
		     next_at, error);
	if (!err && pg_changes(r) == 0)
		err = WERR_NOT_FOUND;
	PQclear(r);
	return release_lease(s, id, err);
}

static enum werr pg_fetch_finish(struct store *st, int64_t id, bool failed, const char *error, int64_t at)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	if (failed)
		err = pg_run(s, SQL_FETCH_FAILED, "unable to finish a fetch job", &r, "isi", id, error, at);
	else
		err = pg_run(s, SQL_FETCH_DONE, "unable to finish a fetch job", &r, "i", id);
	if (!err && pg_changes(r) == 0)
		err = WERR_NOT_FOUND;
	PQclear(r);
	return release_lease(s, id, err);
}

static enum werr pg_fetch_counts(struct store *st, int64_t *pending, int64_t *failed)
{
	struct pg_store *s = pg(st);
	enum werr err = pg_query_int(s, SQL_FETCH_PENDING, "unable to count fetch jobs", pending, NULL, "");

	return err ? err : pg_query_int(s, SQL_FETCH_FAILED_COUNT, "unable to count fetch jobs", failed, NULL, "");
}

const struct store_fetch_ops pg_fetch_ops = {
	.fetch_put = pg_fetch_put,
	.fetch_due = pg_fetch_due,
	.fetch_retry = pg_fetch_retry,
	.fetch_finish = pg_fetch_finish,
	.fetch_counts = pg_fetch_counts,
};
