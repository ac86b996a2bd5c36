/*
 * store_sqlite.c - the SQLite storage backend (DESIGN.md section 6): one
 * database file in WAL mode, so one writer connection and any number of
 * reader connections (STORE_READONLY) work side by side, across threads and
 * processes.
 *
 * Durability: synchronous=FULL, so a commit that returned is on disk before
 * the event is acknowledged; the group-commit writer (writer.c) makes that
 * cheap by putting many events in one transaction.  For benchmarks only, the
 * environment variable WISMO_SQLITE_SYNC=NORMAL|FULL|OFF overrides it
 * (NORMAL may lose the last transactions on power loss, OFF may corrupt the
 * file); any other value refuses to open rather than guess.
 *
 * Schema: the numbered migrations below, applied in order, each in its own
 * transaction, recorded in schema_migrations.  A migration is never edited
 * once released; a change is a new entry at the end (and the same number in
 * every backend, see store_schema_version()).
 *
 * This file holds the connection (open, configure, close), the migrations,
 * the transactions and the helpers every concern uses (sqlite_int.h); the
 * operations live one concern per file (store_sqlite_<concern>.c, see the
 * table in store.h), each with its own SQL.
 *
 * Statements: every query is a prepared statement, prepared on first use and
 * kept for the life of the connection (sq_stmt).  Each use ends with
 * sq_done(), which resets it and clears its bindings, on success and on
 * error alike, so no statement is left holding a read snapshot or a lock.
 * Text parameters are bound SQLITE_STATIC: safe because the bindings are
 * cleared before the caller's strings can go away.
 *
 * Operations that take several statements (append_event with its duplicate
 * bump, put_order, clear_projections) run inside a savepoint when the caller
 * has no transaction open, so each is atomic on its own as well.
 */
#include "store.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "schema/v4_notify.h"
#include "schema/v4_web.h"
#include "schema/v5_privacy.h"
#include "schema/v7_exceptions.h"
#include "schema/v8_lanes.h"
#include "schema/v9_returns.h"
#include "schema/v10_tickets.h"
#include "schema/v11_parcels.h"
#include "schema/v12_remap.h"
#include "schema/v13_supersedes.h"
#include "schema/v14_milestones.h"
#include "schema/v15_batches.h"
#include "sqlite_int.h"
#include "sqlite_walbuf.h"
#include "../base/banned.h"

/*
 * Migrations: index i holds migration i + 1.  Plain SQL run with
 * sqlite3_exec inside the migration's transaction.
 */
static const char *const migrations[] = {
	/* 1: initial schema */
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  source TEXT NOT NULL,"
	"  order_no TEXT NOT NULL,"
	"  package TEXT,"
	"  status TEXT NOT NULL,"
	"  occurred_at INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  raw_id INTEGER,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX events_order ON events(order_no, seq);"
	"CREATE TABLE duplicates ("
	"  key TEXT PRIMARY KEY,"
	"  order_no TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  first_received INTEGER NOT NULL,"
	"  last_received INTEGER NOT NULL);"
	"CREATE INDEX duplicates_order ON duplicates(order_no);"
	"CREATE TABLE raw_payloads ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT,"
	"  content_type TEXT,"
	"  received_at INTEGER,"
	"  body BLOB);"
	"CREATE TABLE orders ("
	"  order_no TEXT PRIMARY KEY,"
	"  status TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  email TEXT,"
	"  postal_code TEXT,"
	"  json TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX orders_updated ON orders(updated_at, order_no);"
	"CREATE INDEX orders_status ON orders(status, updated_at, order_no);"
	"CREATE TABLE packages ("
	"  tracking TEXT PRIMARY KEY,"
	"  order_no TEXT NOT NULL,"
	"  carrier TEXT,"
	"  status TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX packages_order ON packages(order_no);"
	"CREATE TABLE api_keys ("
	"  id INTEGER PRIMARY KEY,"
	"  hash TEXT NOT NULL UNIQUE,"
	"  prefix TEXT,"
	"  role TEXT NOT NULL,"
	"  source TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER);",
	/* 2: sources: aliases, parked events, unmapped codes, rejected bodies */
	"CREATE TABLE aliases ("
	"  source TEXT NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  order_no TEXT,"
	"  package TEXT,"
	"  carrier TEXT,"
	"  updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY(source, ref)) WITHOUT ROWID;"
	"CREATE TABLE parked ("
	"  key TEXT PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  ref TEXT,"
	"  package TEXT,"
	"  raw_id INTEGER,"
	"  received_at INTEGER NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX parked_package ON parked(package);"
	"CREATE INDEX parked_ref ON parked(ref);"
	"CREATE TABLE unmapped ("
	"  source TEXT NOT NULL,"
	"  carrier TEXT NOT NULL,"
	"  code TEXT NOT NULL,"
	"  description TEXT,"
	"  count INTEGER NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  sample_raw_id INTEGER,"
	"  sample_event TEXT,"
	"  PRIMARY KEY(source, carrier, code)) WITHOUT ROWID;"
	"CREATE TABLE rejected ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  raw_id INTEGER);",
	/* 3: orders become a rowid table: a ~1 KB projection no longer spills
	 * into an overflow page of its own (a WITHOUT ROWID row over ~1000 bytes
	 * does at 4 KiB pages), so a lookup reads two leaf pages instead of three
	 * or more, and the file is half the size (docs/performance.md).  And the
	 * poller's schedule. */
	"CREATE TABLE orders_new ("
	"  id INTEGER PRIMARY KEY,"
	"  order_no TEXT NOT NULL UNIQUE,"
	"  status TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  email TEXT,"
	"  postal_code TEXT,"
	"  json TEXT NOT NULL);"
	"INSERT INTO orders_new(order_no, status, updated_at, email, postal_code, json)"
	"  SELECT order_no, status, updated_at, email, postal_code, json FROM orders ORDER BY order_no;"
	"DROP TABLE orders;"
	"ALTER TABLE orders_new RENAME TO orders;"
	"CREATE INDEX orders_updated ON orders(updated_at, order_no);"
	"CREATE INDEX orders_status ON orders(status, updated_at, order_no);"
	"CREATE INDEX packages_carrier ON packages(carrier, status);"
	"CREATE TABLE polls ("
	"  tracking TEXT PRIMARY KEY,"
	"  next_at INTEGER NOT NULL,"
	"  failures INTEGER NOT NULL,"
	"  last_at INTEGER) WITHOUT ROWID;",
	/* 4: the readers' pages and KPIs (schema/v4_web.h), notifications
	 * (schema/v4_notify.h) */
	SCHEMA_V4_WEB SCHEMA_V4_NOTIFY,
	/* 5: personal data: one raw payload per distinct body, the retention
	 * purge's and the erasure's indexes (schema/v5_privacy.h) */
	SCHEMA_V5_PRIVACY,
	/* 6: webhook bodies waiting for the fetch they call for (ShipStation's
	 * resource_url), done by the background fetcher (src/poll/fetcher.h),
	 * never on a request thread.  A row is written in the same transaction
	 * as its raw payload; it is deleted when the fetched events commit and
	 * kept as 'failed' when the fetcher gives up (the body then also
	 * appears in the rejected list). */
	"CREATE TABLE fetch_jobs ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  raw_id INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  finished_at INTEGER);"
	"CREATE INDEX fetch_jobs_due ON fetch_jobs(state, next_at);",
	/* 7: exceptions over time and their tasks (schema/v7_exceptions.h) */
	SCHEMA_V7_EXCEPTIONS,
	/* 8: lanes and predictions (schema/v8_lanes.h) */
	SCHEMA_V8_LANES,
	/* 9: returns (schema/v9_returns.h) */
	SCHEMA_V9_RETURNS,
	/* 10: the customers' help-desk tickets (schema/v10_tickets.h) */
	SCHEMA_V10_TICKETS,
	/* 11: who owns each tracking number (schema/v11_parcels.h) */
	SCHEMA_V11_PARCELS,
	/* 12: unknown codes' raw payloads, kept until remapped (schema/v12_remap.h) */
	SCHEMA_V12_REMAP,
	/* 13: the key an event corrects, as a column (schema/v13_supersedes.h) */
	SCHEMA_V13_SUPERSEDES,
	/* 14: the time orders spend in each of the shop's milestones (schema/v14_milestones.h) */
	SCHEMA_V14_MILESTONES,
	/* 15: no index of events by raw_id (schema/v15_batches.h) */
	SCHEMA_V15_BATCHES,
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* The connection's own statements. */
static const char SQL_BEGIN_WRITE[] = "BEGIN IMMEDIATE";
static const char SQL_BEGIN_READ[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_SAVEPOINT[] = "SAVEPOINT wismo_op";
static const char SQL_RELEASE[] = "RELEASE wismo_op";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO wismo_op";
static const char SQL_HAS_MIGRATIONS[] =
	"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
static const char SQL_VERSION[] = "SELECT coalesce(max(version), 0) FROM schema_migrations";
static const char SQL_MIGRATION_DONE[] =
	"INSERT INTO schema_migrations(version, applied_at)"
	" VALUES(?1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))";

/* ---- helpers (sqlite_int.h) ---- */

void sq_msg(struct sqlite_store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->base.errmsg, sizeof(s->base.errmsg), fmt, ap);
	va_end(ap);
}

enum werr sq_fail(struct sqlite_store *s, int rc, const char *what)
{
	sq_msg(s, "%s: %s", what, sqlite3_errmsg(s->db));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return WERR_BUSY;
	case SQLITE_NOMEM:
		return WERR_NOMEM;
	/* Faults of the disk, not of the data: SQLite has rolled the statement
	 * (or the transaction) back and the connection stays usable, so the
	 * client is told to retry (503) and the next batch succeeds once space
	 * or write access returns (docs/architecture.md, Faults). */
	case SQLITE_FULL:
		return WERR_STORAGE_FULL;
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return WERR_STORAGE_DOWN;
	}
	return WERR_DB;
}

static enum werr stmt_get(struct sqlite_store *s, const char *sql, sqlite3_stmt **out)
{
	int i, rc;

	*out = NULL;
	for (i = 0; i < s->nstmts; i++)
		if (s->stmts[i].sql == sql) {
			*out = s->stmts[i].st;
			return WERR_OK;
		}
	if (s->nstmts == SQ_STMTS) {
		sq_msg(s, "more than %d statements", SQ_STMTS);
		return WERR_INTERNAL;
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[i].st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "unable to prepare statement");
	s->stmts[i].sql = sql;
	s->nstmts++;
	*out = s->stmts[i].st;
	return WERR_OK;
}

/*
 * Kept snapshots (STORE_KEEP_SNAPSHOT, store.h).  Beginning and ending a
 * read transaction costs a lock and an unlock of the WAL's read mark (two
 * fcntl calls) and, while the log is empty, an fstat: three of the ~6 system
 * calls of a lookup.  A kept handle's read transaction therefore stays open
 * after a read, and the next read of its thread reuses it while it is
 * fresh: no commit of this process since it began (sq_commits, counted by
 * every read-write connection's WAL hook after the commit and its lock are
 * done, so a reader that sees the count unchanged began after it or before
 * a commit it need not see) and younger than STORE_SNAPSHOT_MAX_US (other
 * processes' commits are not counted here).  A stale one is ended before
 * the next statement begins unless one of the handle's statements is still
 * stepping (a nested read of one operation: it shares its snapshot).
 * A kept transaction would hold back the checkpoint (the WAL cannot restart
 * while a reader uses it, and a restart blocks the writer while it waits):
 * the owner marks its use with reader_enter/_leave (the handle's mutex), and
 * while a checkpoint runs (sq_snapshots_pause) no snapshot is kept: those
 * of the handles no thread is using end at once, the others at their next
 * statement or when their use ends.
 */
static atomic_uint_fast64_t sq_commits;
static atomic_int kept_paused; /* checkpoints running (sq_snapshots_pause) */
static pthread_mutex_t kept_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sqlite_store *kept_list;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* SQLite's own wal_autocheckpoint installs a WAL hook, which this one
 * replaces: it does the same (arg: the pages that start a checkpoint; 0
 * none, STORE_CHECKPOINT_APART), and counts the commit. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	atomic_fetch_add(&sq_commits, 1);
	if ((intptr_t)arg && pages >= (intptr_t)arg)
		sqlite3_wal_checkpoint(db, name);
	return SQLITE_OK;
}

static void run_tx_stmt(struct sqlite_store *s, const char *sql)
{
	sqlite3_stmt *q;

	if (!stmt_get(s, sql, &q)) {
		sqlite3_step(q);
		sqlite3_reset(q);
	}
}

static bool stepping(sqlite3 *db)
{
	for (sqlite3_stmt *p = sqlite3_next_stmt(db, NULL); p; p = sqlite3_next_stmt(db, p))
		if (sqlite3_stmt_busy(p))
			return true;
	return false;
}

/* Ends the kept read transaction: with nothing written, COMMIT only lets
 * go of the snapshot. */
static void kept_end(struct sqlite_store *s)
{
	if (s->kept && !sqlite3_get_autocommit(s->db))
		run_tx_stmt(s, SQL_COMMIT);
	s->kept = false;
}

/* Before a statement of a kept handle (not one of the four above). */
static void kept_fresh(struct sqlite_store *s)
{
	int64_t now;

	if (!s->entered) { /* used outside enter/leave: as any handle */
		pthread_mutex_lock(&s->use);
		kept_end(s);
		pthread_mutex_unlock(&s->use);
		return;
	}
	if (s->kept && sqlite3_get_autocommit(s->db))
		s->kept = false; /* SQLite ended it (an error rolls back) */
	now = mono_ns();
	if (s->kept &&
	    (atomic_load(&sq_commits) != s->kept_gen || now - s->kept_since_ns > s->kept_max_ns || atomic_load(&kept_paused)) &&
	    !stepping(s->db))
		kept_end(s);
	if (!s->kept && sqlite3_get_autocommit(s->db) && !atomic_load(&kept_paused)) {
		/* counted before the snapshot is taken (at the first step) */
		s->kept_gen = atomic_load(&sq_commits);
		s->kept_since_ns = now;
		run_tx_stmt(s, SQL_BEGIN_READ);
		s->kept = !sqlite3_get_autocommit(s->db);
	}
}

static void sq_reader_enter(struct store *st)
{
	struct sqlite_store *s = sq(st);

	if (s->flags & STORE_KEEP_SNAPSHOT) {
		pthread_mutex_lock(&s->use);
		s->entered = true;
	}
}

static void sq_reader_leave(struct store *st)
{
	struct sqlite_store *s = sq(st);

	if (s->flags & STORE_KEEP_SNAPSHOT) {
		if (atomic_load(&kept_paused))
			kept_end(s);
		s->entered = false;
		pthread_mutex_unlock(&s->use);
	}
}

void sq_snapshots_pause(void)
{
	atomic_fetch_add(&kept_paused, 1);
	pthread_mutex_lock(&kept_mu);
	for (struct sqlite_store *s = kept_list; s; s = s->next_kept)
		if (!pthread_mutex_trylock(&s->use)) {
			kept_end(s);
			pthread_mutex_unlock(&s->use);
		}
	pthread_mutex_unlock(&kept_mu);
}

void sq_snapshots_resume(void)
{
	atomic_fetch_sub(&kept_paused, 1);
}

static void kept_register(struct sqlite_store *s)
{
	/* WISMO_SQLITE_SNAPSHOT_US: the age bound for tests (docs/config.md) */
	const char *v = getenv("WISMO_SQLITE_SNAPSHOT_US");
	char *end = NULL;
	unsigned long long us = v ? strtoull(v, &end, 10) : 0;

	s->kept_max_ns = (v && *v && !*end && us <= 60000000 ? (int64_t)us : STORE_SNAPSHOT_MAX_US) * 1000;
	pthread_mutex_init(&s->use, NULL);
	pthread_mutex_lock(&kept_mu);
	s->next_kept = kept_list;
	kept_list = s;
	pthread_mutex_unlock(&kept_mu);
}

static void kept_unregister(struct sqlite_store *s)
{
	pthread_mutex_lock(&kept_mu);
	for (struct sqlite_store **p = &kept_list; *p; p = &(*p)->next_kept)
		if (*p == s) {
			*p = s->next_kept;
			break;
		}
	pthread_mutex_unlock(&kept_mu);
	pthread_mutex_destroy(&s->use);
}

static bool tx_sql(const char *sql)
{
	return sql == SQL_BEGIN_READ || sql == SQL_BEGIN_WRITE || sql == SQL_COMMIT || sql == SQL_ROLLBACK;
}

enum werr sq_stmt(struct sqlite_store *s, const char *sql, sqlite3_stmt **out)
{
	enum werr err = stmt_get(s, sql, out);

	if (!err && (s->flags & STORE_KEEP_SNAPSHOT) && !tx_sql(sql))
		kept_fresh(s);
	return err;
}

void sq_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

enum werr sq_exec(struct sqlite_store *s, const char *sql, const char *what)
{
	sqlite3_stmt *st;
	enum werr err;
	int rc;

	err = sq_stmt(s, sql, &st);
	if (err)
		return err;
	do
		rc = sqlite3_step(st);
	while (rc == SQLITE_ROW);
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, what);
	sq_done(st);
	return err;
}

enum werr sq_query_int(struct sqlite_store *s, const char *sql, const char *what, int64_t *v)
{
	sqlite3_stmt *st;
	enum werr err;
	int rc;

	err = sq_stmt(s, sql, &st);
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else
		err = sq_fail(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, what);
	sq_done(st);
	return err;
}

static int bind_text(sqlite3_stmt *q, int i, const char *v, size_t n)
{
	if (n > (size_t)INT_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_text(q, i, v, (int)n, SQLITE_STATIC);
}

int sq_bind(sqlite3_stmt *q, const char *fmt, ...)
{
	va_list ap;
	int rc = SQLITE_OK;

	va_start(ap, fmt);
	for (int i = 1; *fmt && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 's': {
			const char *v = va_arg(ap, const char *);
			rc = v && v[0] ? bind_text(q, i, v, strlen(v)) : sqlite3_bind_null(q, i);
			break;
		}
		case 'S': {
			const char *v = va_arg(ap, const char *);
			rc = v ? bind_text(q, i, v, strlen(v)) : sqlite3_bind_null(q, i);
			break;
		}
		case 't': {
			const char *v = va_arg(ap, const char *);
			size_t n = va_arg(ap, size_t);
			rc = bind_text(q, i, v ? v : "", v ? n : 0);
			break;
		}
		case 'b': {
			const void *v = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			rc = n > (size_t)INT_MAX ? SQLITE_TOOBIG :
						   sqlite3_bind_blob(q, i, v ? v : "", v ? (int)n : 0, SQLITE_STATIC);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(q, i, va_arg(ap, int64_t));
			break;
		case 'o': {
			int64_t v = va_arg(ap, int64_t);
			rc = v ? sqlite3_bind_int64(q, i, v) : sqlite3_bind_null(q, i);
			break;
		}
		default:
			rc = SQLITE_MISUSE; /* a format letter this function does not know */
		}
	}
	va_end(ap);
	return rc;
}

/* Copies a text column into a fixed field; NULL reads as "". */
enum werr sq_col_field(struct sqlite_store *s, sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (!t) {
		dst[0] = '\0';
		if (sqlite3_column_type(st, i) != SQLITE_NULL) {
			sq_msg(s, "out of memory reading column '%s'", sqlite3_column_name(st, i));
			return WERR_NOMEM;
		}
		return WERR_OK;
	}
	if (n >= cap) {
		sq_msg(s, "stored value of column '%s' is too long (%zu bytes)",
			sqlite3_column_name(st, i), n);
		return WERR_DB;
	}
	memcpy(dst, t, n);
	dst[n] = '\0';
	return WERR_OK;
}

const char *sq_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

char *sq_col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	if (t)
		memcpy(p, t, n);
	p[n] = '\0';
	return p;
}

enum werr sq_row(struct sqlite_store *s, sqlite3_stmt *q, const char *fmt, ...)
{
	enum werr err = WERR_OK;
	va_list ap;

	va_start(ap, fmt);
	for (int i = 0; *fmt && !err; fmt++, i++) {
		switch (*fmt) {
		case 'f': {
			char *dst = va_arg(ap, char *);
			size_t cap = va_arg(ap, size_t);
			err = sq_col_field(s, q, i, dst, cap);
			break;
		}
		case 'c': {
			char *dst = va_arg(ap, char *);
			size_t cap = va_arg(ap, size_t);
			snprintf(dst, cap, "%s", sq_col_text(q, i));
			break;
		}
		case 'i':
			*va_arg(ap, int64_t *) = sqlite3_column_int64(q, i);
			break;
		case 'n':
			*va_arg(ap, int *) = sqlite3_column_int(q, i);
			break;
		case 'd':
		case 'D': {
			char **dst = va_arg(ap, char **);
			*dst = NULL;
			if (*fmt == 'd' && sqlite3_column_type(q, i) == SQLITE_NULL)
				break;
			if (!(*dst = sq_col_strdup(q, i))) {
				sq_msg(s, "out of memory reading column '%s'", sqlite3_column_name(q, i));
				err = WERR_NOMEM;
			}
			break;
		}
		case '-':
			break;
		default:
			sq_msg(s, "unknown column format '%c'", *fmt);
			err = WERR_INTERNAL;
		}
	}
	va_end(ap);
	return err;
}

/*
 * Savepoint around a multi-statement operation, only when the caller has no
 * transaction (inside one, the caller's rollback covers it).  sq_op_end()
 * releases it on success and undoes it on failure; it returns err.
 */
enum werr sq_op_begin(struct sqlite_store *s, bool *own)
{
	enum werr err;

	*own = false;
	if (!sqlite3_get_autocommit(s->db))
		return WERR_OK;
	err = sq_exec(s, SQL_SAVEPOINT, "unable to start savepoint");
	if (!err)
		*own = true;
	return err;
}

enum werr sq_op_end(struct sqlite_store *s, bool own, enum werr err)
{
	char keep[sizeof(s->base.errmsg)];

	if (!own)
		return err;
	if (!err) {
		err = sq_exec(s, SQL_RELEASE, "unable to release savepoint");
		if (!err)
			return WERR_OK;
	}
	/* Keep the first error's message: it says what went wrong. */
	memcpy(keep, s->base.errmsg, sizeof(keep));
	sq_exec(s, SQL_ROLLBACK_TO, "unable to roll back savepoint");
	sq_exec(s, SQL_RELEASE, "unable to release savepoint");
	memcpy(s->base.errmsg, keep, sizeof(keep));
	return err;
}

/*
 * Steps q to its end, reading each row with read() into a growing array of
 * elem-sized entries.  On success *out and *n hold the rows (the caller
 * frees them).  On failure they hold the rows read so far, also for the
 * caller to free, and the error is returned.  Does not reset q.
 */
enum werr sq_collect_rows(struct sqlite_store *s, sqlite3_stmt *q, size_t elem,
			      enum werr (*read)(struct sqlite_store *s, sqlite3_stmt *q, void *row),
			      const char *what, void **out, size_t *n)
{
	char *arr = NULL, *grown;
	size_t len = 0, cap = 0;
	enum werr err = WERR_OK;
	int rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(arr, cap * elem);
			if (!grown) {
				sq_msg(s, "out of memory: %s", what);
				err = WERR_NOMEM;
				goto out;
			}
			arr = grown;
		}
		memset(arr + len * elem, 0, elem);
		if ((err = read(s, q, arr + len * elem)))
			goto out;
		len++;
	}
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, what);
out:
	*out = arr;
	*n = len;
	return err;
}

void sq_release_plain(void *rows, size_t n)
{
	(void)n;
	free(rows);
}

enum werr sq_read_tracking(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	return sq_row(s, q, "f", (char *)row, (size_t)(EV_PACKAGE_MAX + 1));
}

/*
 * The whole of a list query: q is the prepared statement (err its
 * stmt_get's result) and rc the result of binding its parameters.  Reads
 * every row with sq_collect_rows() and resets q.  On success *out and *n hold
 * the rows, for the caller to free; on failure they are NULL and 0, what was
 * read is handed to release(), and the error is returned.
 */
enum werr sq_query_rows(struct sqlite_store *s, sqlite3_stmt *q, enum werr err, int rc, size_t elem,
			    enum werr (*read)(struct sqlite_store *s, sqlite3_stmt *q, void *row), const char *what,
			    void (*release)(void *rows, size_t n), void **out, size_t *n)
{
	void *arr = NULL;
	size_t len = 0;

	*out = NULL;
	*n = 0;
	if (err)
		return err;
	if (rc != SQLITE_OK)
		err = sq_fail(s, rc, what);
	else
		err = sq_collect_rows(s, q, elem, read, what, &arr, &len);
	sq_done(q);
	if (err) {
		release(arr, len);
		return err;
	}
	*out = arr;
	*n = len;
	return WERR_OK;
}

/* Steps a write statement once; *changed (may be NULL) says whether a row
 * changed. */
enum werr sq_step_write(struct sqlite_store *s, sqlite3_stmt *q, int rc, const char *what, bool *changed)
{
	enum werr err = WERR_OK;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, what);
	else if (changed)
		*changed = sqlite3_changes(s->db) > 0;
	sq_done(q);
	return err;
}

int sq_step_read(struct sqlite_store *s, sqlite3_stmt *q, int rc, const char *what, enum werr *err)
{
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		*err = sq_fail(s, rc, what);
	return rc;
}

/* ---- schema versions and migrations ---- */

static enum werr read_version(struct sqlite_store *s, int *version)
{
	int64_t v = 0;
	enum werr err;

	*version = 0;
	err = sq_query_int(s, SQL_HAS_MIGRATIONS, "unable to read schema", &v);
	if (err || !v)
		return err;
	err = sq_query_int(s, SQL_VERSION, "unable to read schema version", &v);
	if (!err)
		*version = (int)v;
	return err;
}

static enum werr check_not_newer(struct sqlite_store *s, int version)
{
	if (version <= NMIGRATIONS)
		return WERR_OK;
	sq_msg(s, "database schema version %d is newer than this build of wismo knows (%d); "
		"upgrade wismo", version, NMIGRATIONS);
	return WERR_UNSUPPORTED;
}

/* Applies migration v in its own transaction, unless another connection
 * applied it first. */
static enum werr apply_migration(struct sqlite_store *s, int v)
{
	sqlite3_stmt *st = NULL;
	char *msg = NULL;
	enum werr err;
	int cur, rc;

	err = sq_exec(s, SQL_BEGIN_WRITE, "unable to begin migration");
	if (err)
		return err;
	rc = sqlite3_exec(s->db,
			  "CREATE TABLE IF NOT EXISTS schema_migrations("
			  "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		err = sq_fail(s, rc, "unable to create schema_migrations");
		goto out;
	}
	err = read_version(s, &cur);
	if (err || cur >= v)
		goto out;
	rc = sqlite3_exec(s->db, migrations[v - 1], NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		sq_msg(s, "migration %d failed: %s", v, msg ? msg : sqlite3_errstr(rc));
		err = (rc & 0xff) == SQLITE_BUSY ? WERR_BUSY : WERR_DB;
		goto out;
	}
	err = sq_stmt(s, SQL_MIGRATION_DONE, &st);
	if (err)
		goto out;
	rc = sq_bind(st, "i", (int64_t)v);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, "unable to record migration");
out:
	sq_done(st);
	sqlite3_free(msg);
	if (!err)
		err = sq_exec(s, SQL_COMMIT, "unable to commit migration");
	if (err) {
		char keep[sizeof(s->base.errmsg)];

		memcpy(keep, s->base.errmsg, sizeof(keep));
		sq_exec(s, SQL_ROLLBACK, "unable to roll back migration");
		memcpy(s->base.errmsg, keep, sizeof(keep));
	}
	return err;
}

static enum werr sq_migrate(struct store *st, int *from, int *to)
{
	struct sqlite_store *s = sq(st);
	enum werr err;
	int cur, v;

	if (!sqlite3_get_autocommit(s->db)) {
		sq_msg(s, "unable to migrate inside a transaction");
		return WERR_INVALID;
	}
	err = read_version(s, &cur);
	if (err)
		return err;
	if (from)
		*from = cur;
	if (to)
		*to = cur;
	err = check_not_newer(s, cur);
	if (err)
		return err;
	if (cur < NMIGRATIONS && (s->flags & STORE_READONLY)) {
		sq_msg(s, "database schema version %d needs migrations up to %d; "
			"the store is open read-only", cur, NMIGRATIONS);
		return WERR_DB;
	}
	for (v = cur + 1; v <= NMIGRATIONS; v++) {
		err = apply_migration(s, v);
		if (err)
			return err;
	}
	err = read_version(s, &cur);
	if (!err && to)
		*to = cur;
	return err;
}

/* ---- open and close ---- */

/* The synchronous setting: FULL unless WISMO_SQLITE_SYNC says otherwise
 * (benchmarks only, see the top of this file). */
static const char sync_full[] = "PRAGMA synchronous=FULL";

static const char *sync_pragma(void)
{
	const char *v = getenv("WISMO_SQLITE_SYNC");

	if (!v || !*v || !strcasecmp(v, "FULL"))
		return sync_full;
	if (!strcasecmp(v, "NORMAL"))
		return "PRAGMA synchronous=NORMAL";
	if (!strcasecmp(v, "OFF"))
		return "PRAGMA synchronous=OFF";
	return NULL;
}

static int first_column(void *ctx, int ncols, char **vals, char **names)
{
	char *out = ctx;

	(void)names;
	if (ncols > 0 && vals[0])
		snprintf(out, 16, "%s", vals[0]);
	return 0;
}

static enum werr configure(struct sqlite_store *s)
{
	/* 16 MiB page cache per connection and no memory map: pages beyond the
	 * cache are read with pread from the OS page cache.  A map made the
	 * server's resident memory grow with the file (every mapped page read
	 * counts) for ~4% more lookups at 10^5 orders (docs/performance.md). */
	static const char common[] =
		"PRAGMA foreign_keys=ON;"
		"PRAGMA cache_size=-16384;"
		"PRAGMA mmap_size=0;"
		"PRAGMA temp_store=MEMORY;";
	char mode[16] = "";
	const char *sync;
	int rc;

	sqlite3_extended_result_codes(s->db, 1);
	rc = sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, common, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "unable to configure database");
	/* A read-only connection cannot change the journal mode; the writer
	 * made the file WAL for good. */
	if (s->flags & STORE_READONLY)
		return WERR_OK;
	sync = sync_pragma();
	if (!sync) {
		sq_msg(s, "invalid WISMO_SQLITE_SYNC (expected NORMAL, FULL or OFF)");
		return WERR_INVALID;
	}
	rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", first_column, mode, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, sync, NULL, NULL, NULL);
	if (rc == SQLITE_OK && (s->flags & STORE_CHECKPOINT_APART))
		rc = sqlite3_exec(s->db, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA journal_size_limit=67108864", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "unable to configure database");
	if (strcasecmp(mode, "wal") && strcasecmp(mode, "memory")) {
		sq_msg(s, "unable to switch to WAL mode (journal mode is '%s')", mode);
		return WERR_DB;
	}
	/* after the pragma above, which would remove it; 1000 pages is
	 * SQLite's default wal_autocheckpoint */
	sqlite3_wal_hook(s->db, on_wal_commit, (void *)(intptr_t)((s->flags & STORE_CHECKPOINT_APART) ? 0 : 1000));
	return WERR_OK;
}

static void sq_close(struct store *st)
{
	struct sqlite_store *s = sq(st);
	int i;

	if (!s)
		return;
	if (s->flags & STORE_KEEP_SNAPSHOT) {
		if (s->entered)
			sq_reader_leave(st);
		kept_unregister(s);
	}
	for (i = 0; i < s->nstmts; i++)
		sqlite3_finalize(s->stmts[i].st);
	/* An open transaction is rolled back by the close. */
	sqlite3_close_v2(s->db);
	free(s);
}

static const struct store_ops sq_ops;

enum werr store_sqlite_open(const char *path, int flags, struct store **out, char *errbuf, size_t errcap)
{
	struct sqlite_store *s = NULL;
	const char *vfs = NULL;
	enum werr err;
	int oflags, rc, version;

	*out = NULL;
	if (errbuf && errcap)
		errbuf[0] = '\0';
	if (NMIGRATIONS != store_schema_version()) {
		if (errbuf && errcap)
			snprintf(errbuf, errcap, "sqlite backend has %d migrations, schema version is %d",
				 NMIGRATIONS, store_schema_version());
		return WERR_INTERNAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		if (errbuf && errcap)
			snprintf(errbuf, errcap, "out of memory");
		return WERR_NOMEM;
	}
	s->base.ops = &sq_ops;
	if (!(flags & STORE_READONLY))
		flags &= ~STORE_KEEP_SNAPSHOT;
	s->flags = flags;
	if (flags & STORE_KEEP_SNAPSHOT)
		kept_register(s);
	/* NOMUTEX: a handle is used by one thread at a time (store.h). */
	oflags = SQLITE_OPEN_NOMUTEX;
	if (flags & STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	/* A connection that writes and syncs each commit writes its WAL frames
	 * in runs, one system call instead of two per page (sqlite_walbuf.h). */
	if (!(flags & STORE_READONLY) && sync_pragma() == sync_full && sq_walbuf_register() == SQLITE_OK)
		vfs = SQ_WALBUF_VFS;
	rc = sqlite3_open_v2(path, &s->db, oflags, vfs);
	if (rc != SQLITE_OK) {
		sq_msg(s, "unable to open '%s': %s", path,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		err = (rc & 0xff) == SQLITE_NOMEM ? WERR_NOMEM : WERR_DB;
		goto out;
	}
	err = configure(s);
	if (err)
		goto out;
	err = read_version(s, &version);
	if (err)
		goto out;
	err = check_not_newer(s, version);
	if (err)
		goto out;
	if (!(flags & (STORE_READONLY | STORE_NO_MIGRATE))) {
		err = sq_migrate(&s->base, NULL, NULL);
	} else if ((flags & STORE_READONLY) && version < NMIGRATIONS) {
		sq_msg(s, "database schema version %d is older than this build (%d); "
			"run 'wismo migrate'", version, NMIGRATIONS);
		err = WERR_DB;
	}
	if (err)
		goto out;
	*out = &s->base;
	s = NULL;
out:
	if (s) {
		if (errbuf && errcap)
			snprintf(errbuf, errcap, "%s", s->base.errmsg);
		sq_close(&s->base);
	}
	return err;
}

/* ---- transactions ---- */

static enum werr sq_begin(struct store *st)
{
	struct sqlite_store *s = sq(st);

	/* IMMEDIATE takes the write lock now (waiting up to the busy timeout)
	 * instead of failing with SQLITE_BUSY on the first write.  A kept
	 * snapshot ends first: the caller's transaction takes a fresh one. */
	if (s->flags & STORE_KEEP_SNAPSHOT) {
		if (s->entered)
			kept_end(s);
		else
			kept_fresh(s);
	}
	if (s->flags & STORE_READONLY)
		return sq_exec(s, SQL_BEGIN_READ, "unable to begin transaction");
	return sq_exec(s, SQL_BEGIN_WRITE, "unable to begin transaction");
}

static enum werr sq_commit(struct store *st)
{
	return sq_exec(sq(st), SQL_COMMIT, "unable to commit");
}

static enum werr sq_rollback(struct store *st)
{
	struct sqlite_store *s = sq(st);

	/* Nothing open (never begun, or SQLite already rolled back after an
	 * error): nothing to undo. */
	if (sqlite3_get_autocommit(s->db))
		return WERR_OK;
	return sq_exec(s, SQL_ROLLBACK, "unable to roll back");
}

static const struct store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.migrate = sq_migrate,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.log = &sq_log_ops,
	.orders = &sq_order_ops,
	.keys = &sq_key_ops,
	.sources = &sq_source_ops,
	.kpis = &sq_kpi_ops,
	.notify = &sq_notify_ops,
	.settings = &sq_setting_ops,
	.fetch = &sq_fetch_ops,
	.privacy = &sq_privacy_ops,
	.exceptions = &sq_exception_ops,
	.returns = &sq_return_ops,
	.tickets = &sq_ticket_ops,
	.milestones = &sq_milestone_ops,
	.parcels = &sq_parcel_ops,
	.peers = &sq_peer_ops,
	.reader_enter = sq_reader_enter,
	.reader_leave = sq_reader_leave,
};
