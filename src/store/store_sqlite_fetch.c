/*
 * store_sqlite_fetch.c - the SQLite backend's fetch jobs (store.h, struct
 * store_fetch_ops): webhook bodies waiting for the fetch they call for
 * (ShipStation's resource_url).  The writer puts a job in the transaction
 * that stores its body; the background fetcher (src/poll/fetcher.c) reads
 * the due ones and records each attempt on its own connection.  Table
 * fetch_jobs (migration 6).
 */
#include <string.h>

#include "sqlite_int.h"
#include "../base/banned.h"

static const char SQL_FETCH_PUT[] =
	"INSERT INTO fetch_jobs(source, raw_id, received_at, next_at) VALUES (?1, ?2, ?3, ?3)";
static const char SQL_FETCH_DUE[] =
	"SELECT id, source, raw_id, received_at, attempts FROM fetch_jobs"
	" WHERE state = 'pending' AND next_at <= ?1 ORDER BY next_at, id LIMIT ?2";
static const char SQL_FETCH_RETRY[] =
	"UPDATE fetch_jobs SET attempts = ?2, next_at = ?3, last_error = ?4 WHERE id = ?1 AND state = 'pending'";
static const char SQL_FETCH_DONE[] = "DELETE FROM fetch_jobs WHERE id = ?1 AND state = 'pending'";
static const char SQL_FETCH_FAILED[] =
	"UPDATE fetch_jobs SET state = 'failed', last_error = ?2, finished_at = ?3"
	" WHERE id = ?1 AND state = 'pending'";
static const char SQL_FETCH_PENDING[] = "SELECT count(*) FROM fetch_jobs WHERE state = 'pending'";
static const char SQL_FETCH_FAILED_COUNT[] = "SELECT count(*) FROM fetch_jobs WHERE state = 'failed'";

static enum werr sq_fetch_put(struct store *st, const char *source, int64_t raw_id, int64_t received_at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_FETCH_PUT, &q);

	if (err)
		return err;
	return sq_step_write(s, q, sq_bind(q, "Sii", source, raw_id, received_at), "unable to store a fetch job",
			     NULL);
}

static enum werr read_fetch_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct fetch_row *r = row;

	return sq_row(s, q, "ifiin", &r->id, SQ_FIELD(r->source), &r->raw_id, &r->received_at, &r->attempts);
}

static enum werr sq_fetch_due(struct store *st, int64_t now, int limit, struct fetch_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_FETCH_DUE, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", now, (int64_t)limit), sizeof(struct fetch_row),
			     read_fetch_row, "unable to read the fetch jobs", sq_release_plain, (void **)rows, n);
}

static enum werr sq_fetch_retry(struct store *st, int64_t id, int attempts, int64_t next_at, const char *error)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	bool changed = false;
	enum werr err = sq_stmt(s, SQL_FETCH_RETRY, &q);

	if (err)
		return err;
	err = sq_step_write(s, q, sq_bind(q, "iiis", id, (int64_t)attempts, next_at, error),
			    "unable to reschedule a fetch job", &changed);
	return err ? err : changed ? WERR_OK : WERR_NOT_FOUND;
}

static enum werr sq_fetch_finish(struct store *st, int64_t id, bool failed, const char *error, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	bool changed = false;
	enum werr err = sq_stmt(s, failed ? SQL_FETCH_FAILED : SQL_FETCH_DONE, &q);

	if (err)
		return err;
	err = sq_step_write(s, q, failed ? sq_bind(q, "isi", id, error, at) : sq_bind(q, "i", id),
			    "unable to finish a fetch job", &changed);
	return err ? err : changed ? WERR_OK : WERR_NOT_FOUND;
}

static enum werr sq_fetch_counts(struct store *st, int64_t *pending, int64_t *failed)
{
	struct sqlite_store *s = sq(st);
	enum werr err = sq_query_int(s, SQL_FETCH_PENDING, "unable to count fetch jobs", pending);

	return err ? err : sq_query_int(s, SQL_FETCH_FAILED_COUNT, "unable to count fetch jobs", failed);
}

const struct store_fetch_ops sq_fetch_ops = {
	.fetch_put = sq_fetch_put,
	.fetch_due = sq_fetch_due,
	.fetch_retry = sq_fetch_retry,
	.fetch_finish = sq_fetch_finish,
	.fetch_counts = sq_fetch_counts,
};
