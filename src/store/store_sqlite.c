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
 * Statements: every query is a prepared statement, prepared on first use and
 * kept for the life of the connection (stmts[]).  Each use ends with
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

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/event_json.h"
#include "../core/kpi.h"
#include "schema/v4_notify.h"
#include "schema/v4_web.h"
#include "sqlite_int.h"
#include "../base/crypto.h"
#include "../base/banned.h"

#define BUSY_TIMEOUT_MS 5000
#define EACH_ORDER_PAGE 256
#define LIST_LIMIT_MAX 1000

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
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum stmt_id {
	ST_BEGIN_WRITE,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_HAS_MIGRATIONS,
	ST_VERSION,
	ST_MIGRATION_DONE,
	ST_PUT_RAW,
	ST_APPEND,
	ST_DUP_BUMP,
	ST_ORDER_EVENTS,
	ST_ORDER_DUPS,
	ST_PUT_ORDER,
	ST_DEL_PACKAGES,
	ST_PUT_PACKAGE,
	ST_GET_ORDER,
	ST_FIND_PACKAGE,
	ST_LIST_ALL,
	ST_LIST_STATUS,
	ST_ORDER_NUMBERS,
	ST_CLEAR_PACKAGES,
	ST_CLEAR_ORDERS,
	ST_DUMP_ORDERS,
	ST_DUMP_PACKAGES,
	ST_COUNT_EVENTS,
	ST_COUNT_DUPS,
	ST_KEY_PUT,
	ST_KEY_FIND,
	ST_KEY_LIST,
	ST_KEY_REVOKE,
	ST_ALIAS_PUT,
	ST_ALIAS_FIND,
	ST_PARK,
	ST_PARKED_TAKE,
	ST_PARKED_DELETE,
	ST_UNMAPPED_BUMP,
	ST_UNMAPPED_LIST,
	ST_REJECT_PUT,
	ST_REJECTED_LIST,
	ST_POLL_DUE,
	ST_POLL_DONE,
	ST__COUNT
};

_Static_assert(ST__COUNT <= SQ_CORE_STMTS, "raise SQ_CORE_STMTS");

#define KEY_COLUMNS "id, role, source, created_at, revoked_at, prefix"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[ST_BEGIN_READ] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT wismo_op",
	[ST_RELEASE] = "RELEASE wismo_op",
	[ST_ROLLBACK_TO] = "ROLLBACK TO wismo_op",
	[ST_HAS_MIGRATIONS] =
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
	[ST_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
	[ST_MIGRATION_DONE] =
		"INSERT INTO schema_migrations(version, applied_at)"
		" VALUES(?1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))",
	[ST_PUT_RAW] =
		"INSERT INTO raw_payloads(source, content_type, received_at, body) VALUES(?1, ?2, ?3, ?4)",
	/* ON CONFLICT(key) rather than OR IGNORE: only a repeated key is a
	 * duplicate; any other constraint failure stays an error. */
	[ST_APPEND] =
		"INSERT INTO events(key, source, order_no, package, status, occurred_at, received_at,"
		" raw_id, body, carrier) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		" ON CONFLICT(key) DO NOTHING",
	/* The duplicate is filed under the first delivery's order and source;
	 * first_received is when that first delivery arrived. */
	[ST_DUP_BUMP] =
		"INSERT INTO duplicates(key, order_no, source, count, first_received, last_received)"
		" SELECT key, order_no, source, 1, received_at, ?2 FROM events WHERE key = ?1"
		" ON CONFLICT(key) DO UPDATE SET count = count + 1,"
		" last_received = max(last_received, excluded.last_received)",
	[ST_ORDER_EVENTS] =
		"SELECT body, seq, received_at FROM events WHERE order_no = ?1 ORDER BY seq",
	[ST_ORDER_DUPS] =
		"SELECT key, source, count, first_received, last_received FROM duplicates"
		" WHERE order_no = ?1 ORDER BY key",
	[ST_PUT_ORDER] =
		"INSERT INTO orders(order_no, status, updated_at, email, postal_code, json,"
		" placed_at, shipped_at, delivered_at, promised_by, conflicts)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(order_no) DO UPDATE SET"
		" status = excluded.status, updated_at = excluded.updated_at, email = excluded.email,"
		" postal_code = excluded.postal_code, json = excluded.json, placed_at = excluded.placed_at,"
		" shipped_at = excluded.shipped_at, delivered_at = excluded.delivered_at,"
		" promised_by = excluded.promised_by, conflicts = excluded.conflicts",
	[ST_DEL_PACKAGES] = "DELETE FROM packages WHERE order_no = ?1",
	/* A tracking number belongs to one order; when two orders name the same
	 * one, the order written last holds it. */
	[ST_PUT_PACKAGE] =
		"INSERT INTO packages(tracking, order_no, carrier, status, updated_at, status_at)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(tracking) DO UPDATE SET"
		" order_no = excluded.order_no, carrier = excluded.carrier, status = excluded.status,"
		" updated_at = excluded.updated_at, status_at = excluded.status_at",
	[ST_GET_ORDER] = "SELECT json FROM orders WHERE order_no = ?1",
	[ST_FIND_PACKAGE] = "SELECT order_no FROM packages WHERE tracking = ?1",
	/* Keyset pagination on (updated_at, order_no): ?1 updated_since, (?2,
	 * ?3) the cursor (exclusive), ?4 the page size plus one. */
	[ST_LIST_ALL] =
		"SELECT order_no, status, updated_at, json FROM orders"
		" WHERE updated_at >= ?1 AND (updated_at, order_no) > (?2, ?3)"
		" ORDER BY updated_at, order_no LIMIT ?4",
	[ST_LIST_STATUS] =
		"SELECT order_no, status, updated_at, json FROM orders"
		" WHERE status = ?5 AND updated_at >= ?1 AND (updated_at, order_no) > (?2, ?3)"
		" ORDER BY updated_at, order_no LIMIT ?4",
	[ST_ORDER_NUMBERS] =
		"SELECT DISTINCT order_no FROM events WHERE order_no > ?1 ORDER BY order_no LIMIT ?2",
	[ST_CLEAR_PACKAGES] = "DELETE FROM packages",
	[ST_CLEAR_ORDERS] = "DELETE FROM orders",
	[ST_DUMP_ORDERS] =
		"SELECT order_no, status, updated_at, email, postal_code, json FROM orders"
		" ORDER BY order_no",
	[ST_DUMP_PACKAGES] =
		"SELECT tracking, order_no, carrier, status, updated_at FROM packages ORDER BY tracking",
	[ST_COUNT_EVENTS] = "SELECT count(*) FROM events",
	[ST_COUNT_DUPS] = "SELECT coalesce(sum(count), 0) FROM duplicates",
	[ST_KEY_PUT] =
		"INSERT INTO api_keys(hash, prefix, role, source, created_at, revoked_at)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_KEY_FIND] =
		"SELECT " KEY_COLUMNS " FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL",
	[ST_KEY_LIST] = "SELECT " KEY_COLUMNS " FROM api_keys ORDER BY id",
	/* Revoking twice keeps the first time. */
	[ST_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
	/* A later body's word for a reference wins, but never blanks a field. */
	[ST_ALIAS_PUT] =
		"INSERT INTO aliases(source, ref, order_no, package, carrier, updated_at)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(source, ref) DO UPDATE SET"
		" order_no = coalesce(excluded.order_no, order_no),"
		" package = coalesce(excluded.package, package),"
		" carrier = coalesce(excluded.carrier, carrier), updated_at = excluded.updated_at",
	[ST_ALIAS_FIND] =
		"SELECT order_no, package, carrier FROM aliases WHERE source = ?1 AND ref = ?2",
	[ST_PARK] =
		"INSERT INTO parked(key, source, ref, package, raw_id, received_at, body)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(key) DO NOTHING",
	[ST_PARKED_TAKE] =
		"SELECT body, raw_id, received_at, key FROM parked"
		" WHERE package = ?1 OR ref = 'tracking:' || ?1 OR (ref = ?3 AND source = ?2)"
		" ORDER BY received_at, key",
	[ST_PARKED_DELETE] = "DELETE FROM parked WHERE key = ?1",
	[ST_UNMAPPED_BUMP] =
		"INSERT INTO unmapped(source, carrier, code, description, count, first_seen, last_seen,"
		" sample_raw_id, sample_event) VALUES(?1, ?2, ?3, ?4, 1, ?5, ?5, ?6, ?7)"
		" ON CONFLICT(source, carrier, code) DO UPDATE SET count = count + 1,"
		" first_seen = min(first_seen, excluded.first_seen),"
		" last_seen = max(last_seen, excluded.last_seen)",
	[ST_UNMAPPED_LIST] =
		"SELECT source, carrier, code, description, count, first_seen, last_seen, sample_raw_id,"
		" sample_event FROM unmapped ORDER BY last_seen DESC, source, carrier, code LIMIT ?1",
	[ST_REJECT_PUT] =
		"INSERT INTO rejected(source, reason, received_at, raw_id) VALUES(?1, ?2, ?3, ?4)",
	[ST_REJECTED_LIST] =
		"SELECT id, source, reason, received_at, raw_id FROM rejected"
		" WHERE (?1 IS NULL OR source = ?1) ORDER BY id DESC LIMIT ?2",
	/* Packages of a carrier that are not final and whose turn has come,
	 * the longest waiting first; a package never polled is due at once. */
	[ST_POLL_DUE] =
		"SELECT p.tracking, p.status, coalesce(q.failures, 0) FROM packages p"
		" LEFT JOIN polls q ON q.tracking = p.tracking"
		" WHERE p.carrier = ?1 AND p.status NOT IN ('delivered', 'returned_to_sender', 'cancelled')"
		" AND coalesce(q.next_at, 0) <= ?2 ORDER BY coalesce(q.next_at, 0), p.tracking LIMIT ?3",
	[ST_POLL_DONE] =
		"INSERT INTO polls(tracking, next_at, failures, last_at) VALUES(?1, ?2, ?3, ?4)"
		" ON CONFLICT(tracking) DO UPDATE SET next_at = excluded.next_at,"
		" failures = excluded.failures, last_at = excluded.last_at",
};

void sq_msg(struct sqlite_store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->base.errmsg, sizeof(s->base.errmsg), fmt, ap);
	va_end(ap);
}

/* Records SQLite's message for a failed call and maps its code. */
enum werr sq_fail(struct sqlite_store *s, int rc, const char *what)
{
	sq_msg(s, "%s: %s", what, sqlite3_errmsg(s->db));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return WERR_BUSY;
	case SQLITE_NOMEM:
		return WERR_NOMEM;
	}
	return WERR_DB;
}

static enum werr stmt_get(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt **out)
{
	int rc;

	*out = NULL;
	if (!s->stmts[id]) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return sq_fail(s, rc, "unable to prepare statement");
	}
	*out = s->stmts[id];
	return WERR_OK;
}

enum werr sq_stmt(struct sqlite_store *s, const char *sql, sqlite3_stmt **out)
{
	int i, rc;

	*out = NULL;
	for (i = 0; i < s->nextra; i++)
		if (s->extra[i].sql == sql) {
			*out = s->extra[i].st;
			return WERR_OK;
		}
	if (s->nextra == SQ_EXTRA_STMTS) {
		sq_msg(s, "more than %d extra statements", SQ_EXTRA_STMTS);
		return WERR_INTERNAL;
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->extra[i].st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "unable to prepare statement");
	s->extra[i].sql = sql;
	s->nextra++;
	*out = s->extra[i].st;
	return WERR_OK;
}

void sq_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Binds a NUL-terminated string from a field of cap bytes; "" binds NULL
 * when empty_null is set. */
int sq_bind_str(sqlite3_stmt *st, int i, const char *s, size_t cap, bool empty_null)
{
	size_t n = strnlen(s, cap);

	if (!n && empty_null)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, (int)n, SQLITE_STATIC);
}


int sq_bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
	return v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
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

#define COL_FIELD(s, st, i, field) sq_col_field((s), (st), (i), (field), sizeof(field))

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

/* Runs a statement without parameters to completion. */
static enum werr exec_stmt(struct sqlite_store *s, enum stmt_id id, const char *what)
{
	sqlite3_stmt *st;
	enum werr err;
	int rc;

	err = stmt_get(s, id, &st);
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

/* Reads one integer from a statement without parameters. */
static enum werr query_int(struct sqlite_store *s, enum stmt_id id, const char *what, int64_t *v)
{
	sqlite3_stmt *st;
	enum werr err;
	int rc;

	err = stmt_get(s, id, &st);
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
	err = exec_stmt(s, ST_SAVEPOINT, "unable to start savepoint");
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
		err = exec_stmt(s, ST_RELEASE, "unable to release savepoint");
		if (!err)
			return WERR_OK;
	}
	/* Keep the first error's message: it says what went wrong. */
	memcpy(keep, s->base.errmsg, sizeof(keep));
	exec_stmt(s, ST_ROLLBACK_TO, "unable to roll back savepoint");
	exec_stmt(s, ST_RELEASE, "unable to release savepoint");
	memcpy(s->base.errmsg, keep, sizeof(keep));
	return err;
}

/* ---- schema versions and migrations ---- */

static enum werr read_version(struct sqlite_store *s, int *version)
{
	int64_t v = 0;
	enum werr err;

	*version = 0;
	err = query_int(s, ST_HAS_MIGRATIONS, "unable to read schema", &v);
	if (err || !v)
		return err;
	err = query_int(s, ST_VERSION, "unable to read schema version", &v);
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

	err = exec_stmt(s, ST_BEGIN_WRITE, "unable to begin migration");
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
	err = stmt_get(s, ST_MIGRATION_DONE, &st);
	if (err)
		goto out;
	sqlite3_bind_int(st, 1, v);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, "unable to record migration");
out:
	sq_done(st);
	sqlite3_free(msg);
	if (!err)
		err = exec_stmt(s, ST_COMMIT, "unable to commit migration");
	if (err) {
		char keep[sizeof(s->base.errmsg)];

		memcpy(keep, s->base.errmsg, sizeof(keep));
		exec_stmt(s, ST_ROLLBACK, "unable to roll back migration");
		memcpy(s->base.errmsg, keep, sizeof(keep));
	}
	return err;
}

static enum werr sqlite_migrate(struct store *st, int *from, int *to)
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
static const char *sync_pragma(void)
{
	const char *v = getenv("WISMO_SQLITE_SYNC");

	if (!v || !*v || !strcasecmp(v, "FULL"))
		return "PRAGMA synchronous=FULL";
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
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA journal_size_limit=67108864", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(s, rc, "unable to configure database");
	if (strcasecmp(mode, "wal") && strcasecmp(mode, "memory")) {
		sq_msg(s, "unable to switch to WAL mode (journal mode is '%s')", mode);
		return WERR_DB;
	}
	return WERR_OK;
}

static void sqlite_close(struct store *st)
{
	struct sqlite_store *s = sq(st);
	int i;

	if (!s)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	for (i = 0; i < s->nextra; i++)
		sqlite3_finalize(s->extra[i].st);
	/* An open transaction is rolled back by the close. */
	sqlite3_close_v2(s->db);
	free(s);
}

static const struct store_ops sqlite_ops;

enum werr store_sqlite_open(const char *path, int flags, struct store **out, char *errbuf, size_t errcap)
{
	struct sqlite_store *s = NULL;
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
	s->base.ops = &sqlite_ops;
	s->flags = flags;
	/* NOMUTEX: a handle is used by one thread at a time (store.h). */
	oflags = SQLITE_OPEN_NOMUTEX;
	if (flags & STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
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
		err = sqlite_migrate(&s->base, NULL, NULL);
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
		sqlite_close(&s->base);
	}
	return err;
}

/* ---- transactions ---- */

static enum werr sqlite_begin(struct store *st)
{
	struct sqlite_store *s = sq(st);

	/* IMMEDIATE takes the write lock now (waiting up to the busy timeout)
	 * instead of failing with SQLITE_BUSY on the first write. */
	if (s->flags & STORE_READONLY)
		return exec_stmt(s, ST_BEGIN_READ, "unable to begin transaction");
	return exec_stmt(s, ST_BEGIN_WRITE, "unable to begin transaction");
}

static enum werr sqlite_commit(struct store *st)
{
	return exec_stmt(sq(st), ST_COMMIT, "unable to commit");
}

static enum werr sqlite_rollback(struct store *st)
{
	struct sqlite_store *s = sq(st);

	/* Nothing open (never begun, or SQLite already rolled back after an
	 * error): nothing to undo. */
	if (sqlite3_get_autocommit(s->db))
		return WERR_OK;
	return exec_stmt(s, ST_ROLLBACK, "unable to roll back");
}

/* ---- events ---- */

static enum werr sqlite_put_raw(struct store *st, const char *source, const char *content_type,
				const void *body, size_t len, int64_t received_at, int64_t *raw_id)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	if (len > (size_t)INT_MAX) {
		sq_msg(s, "raw payload too large (%zu bytes)", len);
		return WERR_TOO_LARGE;
	}
	err = stmt_get(s, ST_PUT_RAW, &q);
	if (err)
		return err;
	rc = source ? BIND_CSTR(q, 1, source) : sqlite3_bind_null(q, 1);
	if (rc == SQLITE_OK)
		rc = content_type ? BIND_CSTR(q, 2, content_type) : sqlite3_bind_null(q, 2);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 3, received_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(q, 4, body ? body : "", (int)len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_DONE) {
		err = sq_fail(s, rc, "unable to store raw payload");
		goto out;
	}
	if (raw_id)
		*raw_id = sqlite3_last_insert_rowid(s->db);
out:
	sq_done(q);
	return err;
}

static enum werr bump_duplicate(struct sqlite_store *s, const struct event *ev)
{
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	err = stmt_get(s, ST_DUP_BUMP, &q);
	if (err)
		return err;
	rc = BIND_FIELD(q, 1, ev->key, false);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 2, ev->received_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, "unable to record duplicate");
	sq_done(q);
	return err;
}

static enum werr sqlite_append_event(struct store *st, struct event *ev, int64_t raw_id, bool *duplicate)
{
	struct sqlite_store *s = sq(st);
	struct buf body = BUF_INIT;
	struct event stored;
	sqlite3_stmt *q = NULL;
	bool own = false;
	enum werr err;
	int rc;

	if (duplicate)
		*duplicate = false;
	if (!ev->key[0] || !ev->source[0] || !ev->order[0]) {
		sq_msg(s, "unable to append event: key, source and order are required");
		return WERR_INVALID;
	}
	/* The body is written before SQLite assigns seq: store it with seq 0;
	 * readers take seq (and received_at) from their columns. */
	stored = *ev;
	stored.seq = 0;
	err = event_to_json(&stored, true, &body);
	if (err) {
		sq_msg(s, "unable to encode event '%s': %s", ev->key, werr_name(err));
		goto out;
	}
	err = sq_op_begin(s, &own);
	if (err)
		goto out;
	err = stmt_get(s, ST_APPEND, &q);
	if (err)
		goto out;
	rc = BIND_FIELD(q, 1, ev->key, false);
	if (rc == SQLITE_OK)
		rc = BIND_FIELD(q, 2, ev->source, false);
	if (rc == SQLITE_OK)
		rc = BIND_FIELD(q, 3, ev->order, false);
	if (rc == SQLITE_OK)
		rc = BIND_FIELD(q, 4, ev->package, true);
	if (rc == SQLITE_OK)
		rc = BIND_CSTR(q, 5, ev_status_name(ev->status));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 6, ev->occurred_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 7, ev->received_at);
	if (rc == SQLITE_OK)
		rc = sq_bind_opt_int(q, 8, raw_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(q, 9, body.p, (int)body.len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = BIND_FIELD(q, 10, ev->carrier, true); /* KPIs by carrier (schema/v4_web.h) */
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_DONE) {
		err = sq_fail(s, rc, "unable to append event");
		goto out;
	}
	if (sqlite3_changes(s->db) == 0) {
		sq_done(q);
		q = NULL;
		err = bump_duplicate(s, ev);
		if (!err && duplicate)
			*duplicate = true;
		goto out;
	}
	ev->seq = sqlite3_last_insert_rowid(s->db);
out:
	sq_done(q);
	err = sq_op_end(s, own, err);
	buf_release(&body);
	return err;
}

/* Parses one stored event body. */
static enum werr parse_event(struct sqlite_store *s, sqlite3_stmt *q, struct event *ev)
{
	const char *text = (const char *)sqlite3_column_text(q, 0);
	size_t len = (size_t)sqlite3_column_bytes(q, 0);
	struct ev_error everr;
	cJSON *obj;
	enum werr err;

	event_init(ev);
	if (!text) {
		sq_msg(s, "event seq %" PRId64 " has no body", (int64_t)sqlite3_column_int64(q, 1));
		return WERR_DB;
	}
	obj = cJSON_ParseWithLength(text, len);
	if (!obj) {
		sq_msg(s, "stored event seq %" PRId64 " is not valid JSON",
			(int64_t)sqlite3_column_int64(q, 1));
		return WERR_DB;
	}
	memset(&everr, 0, sizeof(everr));
	err = event_from_json(obj, true, ev, &everr);
	cJSON_Delete(obj);
	if (err == WERR_NOMEM) {
		sq_msg(s, "out of memory reading events");
		return err;
	}
	if (err) {
		sq_msg(s, "stored event seq %" PRId64 " does not parse: %s",
			(int64_t)sqlite3_column_int64(q, 1), everr.message);
		return WERR_DB;
	}
	ev->seq = sqlite3_column_int64(q, 1);
	ev->received_at = sqlite3_column_int64(q, 2);
	return WERR_OK;
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

static void release_events(void *rows, size_t n)
{
	event_array_free(rows, n);
}

static enum werr read_event_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	return parse_event(s, q, row);
}

static enum werr sqlite_order_events(struct store *st, const char *order, struct event **evs, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = stmt_get(s, ST_ORDER_EVENTS, &q);

	return sq_query_rows(s, q, err, err ? 0 : BIND_CSTR(q, 1, order), sizeof(struct event), read_event_row,
			  "unable to read events", release_events, (void **)evs, n);
}

static enum werr read_dup_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct dup_row *r = row;
	enum werr err = COL_FIELD(s, q, 0, r->key);

	if (!err)
		err = COL_FIELD(s, q, 1, r->source);
	r->count = sqlite3_column_int64(q, 2);
	r->first_received = sqlite3_column_int64(q, 3);
	r->last_received = sqlite3_column_int64(q, 4);
	return err;
}

static enum werr sqlite_order_duplicates(struct store *st, const char *order, struct dup_row **rows,
					 size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = stmt_get(s, ST_ORDER_DUPS, &q);

	return sq_query_rows(s, q, err, err ? 0 : BIND_CSTR(q, 1, order), sizeof(struct dup_row), read_dup_row,
			  "unable to read duplicates", sq_release_plain, (void **)rows, n);
}

/* ---- projections ---- */

static enum werr put_packages(struct sqlite_store *s, const struct order_state *o)
{
	sqlite3_stmt *q = NULL;
	enum werr err;
	size_t i;
	int rc;

	err = stmt_get(s, ST_DEL_PACKAGES, &q);
	if (err)
		return err;
	rc = BIND_FIELD(q, 1, o->order, false);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sq_done(q);
	if (rc != SQLITE_DONE)
		return sq_fail(s, rc, "unable to replace packages");
	err = stmt_get(s, ST_PUT_PACKAGE, &q);
	if (err)
		return err;
	for (i = 0; i < o->npackages; i++) {
		const struct package_state *p = &o->packages[i];

		if (!p->tracking[0])
			continue;
		rc = BIND_FIELD(q, 1, p->tracking, false);
		if (rc == SQLITE_OK)
			rc = BIND_FIELD(q, 2, o->order, false);
		if (rc == SQLITE_OK)
			rc = BIND_FIELD(q, 3, p->carrier, true);
		if (rc == SQLITE_OK)
			rc = BIND_CSTR(q, 4, pkg_status_name(p->status));
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q, 5, o->updated_at);
		if (rc == SQLITE_OK)
			rc = sq_bind_opt_int(q, 6, p->status_at);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(q);
		sq_done(q);
		if (rc != SQLITE_DONE)
			return sq_fail(s, rc, "unable to store package");
	}
	return WERR_OK;
}

static enum werr sqlite_put_order(struct store *st, const struct order_state *o, const char *json)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	bool own = false;
	enum werr err;
	int64_t shipped, delivered;
	int rc;

	if (!o->order[0] || !json) {
		sq_msg(s, "unable to store order: order number and json are required");
		return WERR_INVALID;
	}
	err = sq_op_begin(s, &own);
	if (err)
		return err;
	err = stmt_get(s, ST_PUT_ORDER, &q);
	if (err)
		goto out;
	rc = BIND_FIELD(q, 1, o->order, false);
	if (rc == SQLITE_OK)
		rc = BIND_CSTR(q, 2, ord_status_name(o->status));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 3, o->updated_at);
	if (rc == SQLITE_OK)
		rc = BIND_FIELD(q, 4, o->customer.email, true);
	if (rc == SQLITE_OK)
		rc = BIND_FIELD(q, 5, o->customer.postal_code, true);
	if (rc == SQLITE_OK)
		rc = BIND_CSTR(q, 6, json);
	kpi_order_times(o, &shipped, &delivered); /* columns of schema/v4_web.h */
	if (rc == SQLITE_OK)
		rc = sq_bind_opt_int(q, 7, o->placed_at);
	if (rc == SQLITE_OK)
		rc = sq_bind_opt_int(q, 8, shipped);
	if (rc == SQLITE_OK)
		rc = sq_bind_opt_int(q, 9, delivered);
	if (rc == SQLITE_OK)
		rc = sq_bind_opt_int(q, 10, o->promised_by);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 11, (int64_t)o->nconflicts);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sq_done(q);
	q = NULL;
	if (rc != SQLITE_DONE) {
		err = sq_fail(s, rc, "unable to store order");
		goto out;
	}
	err = put_packages(s, o);
out:
	sq_done(q);
	return sq_op_end(s, own, err);
}

static enum werr sqlite_get_order(struct store *st, const char *order, char **json)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	*json = NULL;
	err = stmt_get(s, ST_GET_ORDER, &q);
	if (err)
		return err;
	rc = BIND_CSTR(q, 1, order);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*json = sq_col_strdup(q, 0);
		if (!*json) {
			sq_msg(s, "out of memory reading order");
			err = WERR_NOMEM;
		}
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no order '%s'", order);
		err = WERR_NOT_FOUND;
	} else {
		err = sq_fail(s, rc, "unable to read order");
	}
	sq_done(q);
	return err;
}

static enum werr sqlite_find_package(struct store *st, const char *tracking, char order[EV_ORDER_MAX + 1])
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	order[0] = '\0';
	err = stmt_get(s, ST_FIND_PACKAGE, &q);
	if (err)
		return err;
	rc = BIND_CSTR(q, 1, tracking);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		err = sq_col_field(s, q, 0, order, EV_ORDER_MAX + 1);
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no package '%s'", tracking);
		err = WERR_NOT_FOUND;
	} else {
		err = sq_fail(s, rc, "unable to find package");
	}
	sq_done(q);
	return err;
}

/*
 * The list cursor: "<updated_at>:<order number in lower-case hex>" of the
 * last row of the page, the position after which the next page starts.  Hex
 * keeps any byte of an order number out of the separator's way.
 */
static void cursor_encode(char out[160], int64_t updated_at, const char *order)
{
	static const char hex[] = "0123456789abcdef";
	size_t at, i, n = strnlen(order, EV_ORDER_MAX);

	at = (size_t)snprintf(out, 160, "%" PRId64 ":", updated_at);
	for (i = 0; i < n && at + 2 < 160; i++) {
		out[at++] = hex[(unsigned char)order[i] >> 4];
		out[at++] = hex[(unsigned char)order[i] & 15];
	}
	out[at] = '\0';
}

static bool cursor_decode(const char *cur, int64_t *updated_at, char order[EV_ORDER_MAX + 1])
{
	const char *p;
	char *end;
	long long v;
	size_t n, i;
	int hi, lo;

	if (!(*cur == '-' || (*cur >= '0' && *cur <= '9')))
		return false;
	errno = 0;
	v = strtoll(cur, &end, 10);
	if (errno || end == cur || *end != ':')
		return false;
	p = end + 1;
	n = strlen(p);
	if (n == 0 || n % 2 || n / 2 > EV_ORDER_MAX)
		return false;
	for (i = 0; i < n / 2; i++) {
		hi = crypto_hex_digit(p[2 * i]);
		lo = crypto_hex_digit(p[2 * i + 1]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return false;
		order[i] = (char)(hi << 4 | lo);
	}
	order[n / 2] = '\0';
	*updated_at = v;
	return true;
}

static enum werr sqlite_list_orders(struct store *st, const struct order_query *q, struct order_page *page)
{
	struct sqlite_store *s = sq(st);
	char after_order[EV_ORDER_MAX + 1] = "";
	int64_t after_at = INT64_MIN;
	sqlite3_stmt *qs = NULL;
	struct order_row *r;
	bool by_status;
	enum werr err;
	int rc;

	memset(page, 0, sizeof(*page));
	if (q->limit < 1 || q->limit > LIST_LIMIT_MAX) {
		sq_msg(s, "invalid limit %d (expected 1 to %d)", q->limit, LIST_LIMIT_MAX);
		return WERR_INVALID;
	}
	by_status = q->status && *q->status;
	if (by_status && ord_status_from_name(q->status) < 0) {
		sq_msg(s, "unknown order status '%s'", q->status);
		return WERR_INVALID;
	}
	if (q->cursor && *q->cursor && !cursor_decode(q->cursor, &after_at, after_order)) {
		sq_msg(s, "invalid cursor");
		return WERR_INVALID;
	}
	page->rows = calloc((size_t)q->limit, sizeof(*page->rows));
	if (!page->rows) {
		sq_msg(s, "out of memory listing orders");
		return WERR_NOMEM;
	}
	err = stmt_get(s, by_status ? ST_LIST_STATUS : ST_LIST_ALL, &qs);
	if (err)
		goto out;
	rc = sqlite3_bind_int64(qs, 1, q->updated_since ? q->updated_since : INT64_MIN);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(qs, 2, after_at);
	if (rc == SQLITE_OK)
		rc = BIND_FIELD(qs, 3, after_order, false);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(qs, 4, q->limit + 1);
	if (rc == SQLITE_OK && by_status)
		rc = BIND_CSTR(qs, 5, q->status);
	if (rc != SQLITE_OK) {
		err = sq_fail(s, rc, "unable to list orders");
		goto out;
	}
	while ((rc = sqlite3_step(qs)) == SQLITE_ROW) {
		if (page->n == (size_t)q->limit) {
			/* One row more than asked for: there is a next page. */
			r = &page->rows[page->n - 1];
			cursor_encode(page->next_cursor, r->updated_at, r->order);
			rc = SQLITE_DONE;
			break;
		}
		r = &page->rows[page->n];
		err = COL_FIELD(s, qs, 0, r->order);
		if (!err)
			err = COL_FIELD(s, qs, 1, r->status);
		if (err)
			goto out;
		r->updated_at = sqlite3_column_int64(qs, 2);
		r->json = sq_col_strdup(qs, 3);
		if (!r->json) {
			sq_msg(s, "out of memory listing orders");
			err = WERR_NOMEM;
			goto out;
		}
		page->n++;
	}
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, "unable to list orders");
out:
	sq_done(qs);
	if (err)
		order_page_release(page);
	return err;
}

static enum werr sqlite_each_order(struct store *st, enum werr (*fn)(const char *order, void *ctx), void *ctx)
{
	struct sqlite_store *s = sq(st);
	char (*batch)[EV_ORDER_MAX + 1];
	char after[EV_ORDER_MAX + 1] = "";
	sqlite3_stmt *q = NULL;
	size_t n, i;
	enum werr err = WERR_OK;
	int rc;

	/* Pages of order numbers, the statement reset before any callback:
	 * fn may use this handle or another one, and may take its time. */
	batch = malloc(EACH_ORDER_PAGE * sizeof(*batch));
	if (!batch) {
		sq_msg(s, "out of memory listing order numbers");
		return WERR_NOMEM;
	}
	do {
		err = stmt_get(s, ST_ORDER_NUMBERS, &q);
		if (err)
			break;
		n = 0;
		rc = BIND_FIELD(q, 1, after, false);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int(q, 2, EACH_ORDER_PAGE);
		while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
			err = COL_FIELD(s, q, 0, batch[n]);
			if (err)
				break;
			n++;
			rc = SQLITE_OK;
		}
		if (!err && rc != SQLITE_DONE)
			err = sq_fail(s, rc, "unable to list order numbers");
		sq_done(q);
		if (err)
			break;
		for (i = 0; i < n && !err; i++)
			err = fn(batch[i], ctx);
		if (n)
			memcpy(after, batch[n - 1], sizeof(after));
	} while (!err && n == EACH_ORDER_PAGE);
	free(batch);
	return err;
}

static enum werr sqlite_clear_projections(struct store *st)
{
	struct sqlite_store *s = sq(st);
	bool own = false;
	enum werr err;

	err = sq_op_begin(s, &own);
	if (err)
		return err;
	err = exec_stmt(s, ST_CLEAR_PACKAGES, "unable to clear packages");
	if (!err)
		err = exec_stmt(s, ST_CLEAR_ORDERS, "unable to clear orders");
	return sq_op_end(s, own, err);
}

/*
 * One line per row, orders then packages, each in primary-key order, fields
 * tab-separated, NULL as "":
 *   order <no> <status> <updated_at> <email> <postal_code> <json>
 *   package <tracking> <order_no> <carrier> <status> <updated_at>
 */
static enum werr sqlite_dump_projections(struct store *st, struct buf *out)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	err = stmt_get(s, ST_DUMP_ORDERS, &q);
	if (err)
		return err;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		err = buf_printf(out, "order\t%s\t%s\t%" PRId64 "\t%s\t%s\t%s\n", sq_col_text(q, 0),
				 sq_col_text(q, 1), (int64_t)sqlite3_column_int64(q, 2), sq_col_text(q, 3),
				 sq_col_text(q, 4), sq_col_text(q, 5));
		if (err) {
			sq_msg(s, "unable to dump orders: %s", werr_name(err));
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		err = sq_fail(s, rc, "unable to dump orders");
		goto out;
	}
	sq_done(q);
	err = stmt_get(s, ST_DUMP_PACKAGES, &q);
	if (err)
		return err;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		err = buf_printf(out, "package\t%s\t%s\t%s\t%s\t%" PRId64 "\n", sq_col_text(q, 0),
				 sq_col_text(q, 1), sq_col_text(q, 2), sq_col_text(q, 3),
				 (int64_t)sqlite3_column_int64(q, 4));
		if (err) {
			sq_msg(s, "unable to dump packages: %s", werr_name(err));
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, "unable to dump packages");
out:
	sq_done(q);
	return err;
}

static enum werr sqlite_count_events(struct store *st, int64_t *events, int64_t *duplicates)
{
	struct sqlite_store *s = sq(st);
	int64_t ne = 0, nd = 0;
	enum werr err;

	err = query_int(s, ST_COUNT_EVENTS, "unable to count events", &ne);
	if (!err)
		err = query_int(s, ST_COUNT_DUPS, "unable to count duplicates", &nd);
	if (err)
		return err;
	if (events)
		*events = ne;
	if (duplicates)
		*duplicates = nd;
	return WERR_OK;
}

/* ---- API keys ---- */

static enum werr sqlite_key_put(struct store *st, const char *hash, const struct api_key *k, int64_t *id)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	if (!hash || !*hash || key_role_from_name(key_role_name(k->role)) < 0) {
		sq_msg(s, "unable to store key: hash and a valid role are required");
		return WERR_INVALID;
	}
	err = stmt_get(s, ST_KEY_PUT, &q);
	if (err)
		return err;
	rc = BIND_CSTR(q, 1, hash);
	if (rc == SQLITE_OK)
		rc = BIND_FIELD(q, 2, k->prefix, true);
	if (rc == SQLITE_OK)
		rc = BIND_CSTR(q, 3, key_role_name(k->role));
	if (rc == SQLITE_OK)
		rc = BIND_FIELD(q, 4, k->source, true);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 5, k->created_at);
	if (rc == SQLITE_OK)
		rc = sq_bind_opt_int(q, 6, k->revoked_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		if (id)
			*id = sqlite3_last_insert_rowid(s->db);
	} else if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		sq_msg(s, "a key with this hash exists already");
		err = WERR_EXISTS;
	} else {
		err = sq_fail(s, rc, "unable to store key");
	}
	sq_done(q);
	return err;
}

static enum werr read_key(struct sqlite_store *s, sqlite3_stmt *q, struct api_key *k)
{
	int role;
	enum werr err;

	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(q, 0);
	role = key_role_from_name(sq_col_text(q, 1));
	if (role < 0) {
		sq_msg(s, "key %" PRId64 " has an unknown role '%s'", k->id, sq_col_text(q, 1));
		return WERR_DB;
	}
	k->role = (enum key_role)role;
	err = COL_FIELD(s, q, 2, k->source);
	if (err)
		return err;
	k->created_at = sqlite3_column_int64(q, 3);
	k->revoked_at = sqlite3_column_int64(q, 4);
	return COL_FIELD(s, q, 5, k->prefix);
}

static enum werr sqlite_key_find(struct store *st, const char *hash, struct api_key *out)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	memset(out, 0, sizeof(*out));
	err = stmt_get(s, ST_KEY_FIND, &q);
	if (err)
		return err;
	rc = BIND_CSTR(q, 1, hash);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		err = read_key(s, q, out);
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no such key");
		err = WERR_NOT_FOUND;
	} else {
		err = sq_fail(s, rc, "unable to find key");
	}
	sq_done(q);
	return err;
}

static enum werr read_key_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	return read_key(s, q, row);
}

static enum werr sqlite_key_list(struct store *st, struct api_key **keys, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = stmt_get(s, ST_KEY_LIST, &q);

	return sq_query_rows(s, q, err, SQLITE_OK, sizeof(struct api_key), read_key_row, "unable to list keys",
			  sq_release_plain, (void **)keys, n);
}

static enum werr sqlite_key_revoke(struct store *st, int64_t id, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	err = stmt_get(s, ST_KEY_REVOKE, &q);
	if (err)
		return err;
	rc = sqlite3_bind_int64(q, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 2, at);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_DONE) {
		err = sq_fail(s, rc, "unable to revoke key");
	} else if (sqlite3_changes(s->db) == 0) {
		sq_msg(s, "no key with id %" PRId64, id);
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

/* ---- sources: aliases, parked events, unmapped codes, rejected bodies ---- */

/*
 * Binds parameters 1.. from a format: 's' a string ("" or NULL binds NULL),
 * 'i' an int64_t, 'o' an int64_t where 0 binds NULL.
 */
int sq_bind(sqlite3_stmt *q, const char *fmt, ...)
{
	va_list ap;
	int rc = SQLITE_OK;

	va_start(ap, fmt);
	for (int i = 1; *fmt && rc == SQLITE_OK; fmt++, i++) {
		if (*fmt == 's') {
			const char *v = va_arg(ap, const char *);
			rc = v && v[0] ? BIND_CSTR(q, i, v) : sqlite3_bind_null(q, i);
		} else if (*fmt == 'i') {
			rc = sqlite3_bind_int64(q, i, va_arg(ap, int64_t));
		} else {
			rc = sq_bind_opt_int(q, i, va_arg(ap, int64_t));
		}
	}
	va_end(ap);
	return rc;
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

static enum werr sqlite_alias_put(struct store *st, const char *source, const struct store_alias *a, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = stmt_get(s, ST_ALIAS_PUT, &q);

	if (err)
		return err;
	return sq_step_write(s, q, sq_bind(q, "sssssi", source, a->ref, a->order, a->package, a->carrier, at),
			  "unable to store alias", NULL);
}

static enum werr sqlite_alias_find(struct store *st, const char *source, const char *ref, struct store_alias *out)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = stmt_get(s, ST_ALIAS_FIND, &q);
	int rc;

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	rc = sq_bind(q, "ss", source, ref);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (!(err = COL_FIELD(s, q, 0, out->order)) && !(err = COL_FIELD(s, q, 1, out->package)))
			err = COL_FIELD(s, q, 2, out->carrier);
		snprintf(out->ref, sizeof(out->ref), "%s", ref);
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no alias '%s' of source '%s'", ref, source);
		err = WERR_NOT_FOUND;
	} else {
		err = sq_fail(s, rc, "unable to find alias");
	}
	sq_done(q);
	return err;
}

static enum werr sqlite_park_event(struct store *st, const struct event *ev, int64_t raw_id, bool *duplicate)
{
	struct sqlite_store *s = sq(st);
	struct buf body = BUF_INIT;
	sqlite3_stmt *q;
	bool changed = false;
	enum werr err;

	if ((err = event_to_json(ev, true, &body)))
		return err;
	if (!(err = stmt_get(s, ST_PARK, &q)))
		err = sq_step_write(s, q,
				 sq_bind(q, "ssssois", ev->key, ev->source, ev->ref, ev->package, raw_id,
					   ev->received_at, body.p),
				 "unable to park event", &changed);
	buf_release(&body);
	if (!err && duplicate)
		*duplicate = !changed;
	return err;
}

static enum werr read_parked_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct parked_event *p = row;
	enum werr err = parse_event(s, q, &p->ev);

	p->raw_id = sqlite3_column_int64(q, 1);
	p->ev.seq = 0;
	return err;
}

static void release_parked(void *rows, size_t n)
{
	parked_events_free(rows, n);
}

static enum werr sqlite_unpark(struct store *st, const char *package, const char *source, const char *ref,
			       struct parked_event **out, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL, *del;
	enum werr err = stmt_get(s, ST_PARKED_TAKE, &q);

	err = sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "sss", package, source, ref), sizeof(struct parked_event),
			 read_parked_row, "unable to read parked events", release_parked, (void **)out, n);
	for (size_t i = 0; !err && i < *n; i++)
		if (!(err = stmt_get(s, ST_PARKED_DELETE, &del)))
			err = sq_step_write(s, del, sq_bind(del, "s", (*out)[i].ev.key), "unable to unpark event", NULL);
	if (err && *out) {
		parked_events_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

static enum werr sqlite_unmapped_bump(struct store *st, const struct event *ev, int64_t raw_id)
{
	struct sqlite_store *s = sq(st);
	struct buf body = BUF_INIT;
	sqlite3_stmt *q;
	enum werr err;

	if ((err = event_to_json(ev, false, &body)))
		return err;
	if (!(err = stmt_get(s, ST_UNMAPPED_BUMP, &q))) {
		/* carrier "" is a value here (part of the key), not NULL */
		int rc = sq_bind(q, "s", ev->source);
		if (rc == SQLITE_OK)
			rc = BIND_FIELD(q, 2, ev->carrier, false);
		if (rc == SQLITE_OK)
			rc = BIND_FIELD(q, 3, ev->code, false);
		if (rc == SQLITE_OK)
			rc = BIND_FIELD(q, 4, ev->description, true);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q, 5, ev->received_at);
		if (rc == SQLITE_OK)
			rc = sq_bind_opt_int(q, 6, raw_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(q, 7, body.p, (int)body.len, SQLITE_STATIC);
		err = sq_step_write(s, q, rc, "unable to count unmapped code", NULL);
	}
	buf_release(&body);
	return err;
}

static enum werr read_unmapped_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct unmapped_row *r = row;
	enum werr err;

	if ((err = COL_FIELD(s, q, 0, r->source)) || (err = COL_FIELD(s, q, 1, r->carrier)) ||
	    (err = COL_FIELD(s, q, 2, r->code)) || (err = COL_FIELD(s, q, 3, r->description)))
		return err;
	r->count = sqlite3_column_int64(q, 4);
	r->first_seen = sqlite3_column_int64(q, 5);
	r->last_seen = sqlite3_column_int64(q, 6);
	r->sample_raw_id = sqlite3_column_int64(q, 7);
	r->sample_event = sq_col_strdup(q, 8);
	if (!r->sample_event) {
		sq_msg(s, "out of memory reading unmapped codes");
		return WERR_NOMEM;
	}
	return WERR_OK;
}

static void release_unmapped(void *rows, size_t n)
{
	unmapped_rows_free(rows, n);
}

static enum werr sqlite_unmapped_list(struct store *st, int limit, struct unmapped_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = stmt_get(s, ST_UNMAPPED_LIST, &q);

	return sq_query_rows(s, q, err, err ? 0 : sqlite3_bind_int(q, 1, limit), sizeof(struct unmapped_row),
			  read_unmapped_row, "unable to list unmapped codes", release_unmapped, (void **)rows, n);
}

static enum werr sqlite_reject_put(struct store *st, const char *source, const char *reason, int64_t raw_id,
				   int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = stmt_get(s, ST_REJECT_PUT, &q);

	if (err)
		return err;
	return sq_step_write(s, q, sq_bind(q, "ssio", source, reason, at, raw_id), "unable to store rejection",
			  NULL);
}

static enum werr read_rejected_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct rejected_row *r = row;
	enum werr err;

	r->id = sqlite3_column_int64(q, 0);
	if ((err = COL_FIELD(s, q, 1, r->source)))
		return err;
	snprintf(r->reason, sizeof(r->reason), "%s", sq_col_text(q, 2));
	r->received_at = sqlite3_column_int64(q, 3);
	r->raw_id = sqlite3_column_int64(q, 4);
	return WERR_OK;
}

static enum werr sqlite_rejected_list(struct store *st, const char *source, int limit, struct rejected_row **rows,
				      size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = stmt_get(s, ST_REJECTED_LIST, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "si", source, (int64_t)limit), sizeof(struct rejected_row),
			  read_rejected_row, "unable to list rejected payloads", sq_release_plain, (void **)rows, n);
}

static enum werr read_poll_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct poll_row *r = row;
	enum werr err = COL_FIELD(s, q, 0, r->tracking);
	int st = ev_status_from_name(sq_col_text(q, 1));

	r->status = st < 0 ? PKG_UNKNOWN : (enum pkg_status)st;
	r->failures = (int)sqlite3_column_int64(q, 2);
	return err;
}

static enum werr sqlite_poll_due(struct store *st, const char *carrier, int64_t now, int limit, struct poll_row **rows,
				 size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = stmt_get(s, ST_POLL_DUE, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "sii", carrier, now, (int64_t)limit),
			  sizeof(struct poll_row), read_poll_row, "unable to read the poll schedule", sq_release_plain,
			  (void **)rows, n);
}

static enum werr sqlite_poll_done(struct store *st, const char *tracking, int64_t next_at, int failures, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = stmt_get(s, ST_POLL_DONE, &q);

	if (err)
		return err;
	return sq_step_write(s, q, sq_bind(q, "siii", tracking, next_at, (int64_t)failures, at),
			  "unable to store the poll schedule", NULL);
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sqlite_close,
	.migrate = sqlite_migrate,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.put_raw = sqlite_put_raw,
	.append_event = sqlite_append_event,
	.order_events = sqlite_order_events,
	.order_duplicates = sqlite_order_duplicates,
	.put_order = sqlite_put_order,
	.get_order = sqlite_get_order,
	.find_package = sqlite_find_package,
	.list_orders = sqlite_list_orders,
	.each_order = sqlite_each_order,
	.clear_projections = sqlite_clear_projections,
	.dump_projections = sqlite_dump_projections,
	.count_events = sqlite_count_events,
	.key_put = sqlite_key_put,
	.key_find = sqlite_key_find,
	.key_list = sqlite_key_list,
	.key_revoke = sqlite_key_revoke,
	.alias_put = sqlite_alias_put,
	.alias_find = sqlite_alias_find,
	.park_event = sqlite_park_event,
	.unpark = sqlite_unpark,
	.unmapped_bump = sqlite_unmapped_bump,
	.unmapped_list = sqlite_unmapped_list,
	.reject_put = sqlite_reject_put,
	.rejected_list = sqlite_rejected_list,
	.poll_due = sqlite_poll_due,
	.poll_done = sqlite_poll_done,
	/* BEGIN ops: web/KPIs (store_sqlite_web.c) */
	/* -- web pages (store_sqlite_pages.c) -- */
	.setting_get_or_create = sqlite_setting_get_or_create,
	.order_contact = sqlite_order_contact,
	.raw_get = sqlite_raw_get,
	/* -- KPIs, agent view, streams (store_sqlite_web.c) -- */
	.mark_visible = sqlite_mark_visible,
	.sync_failure_bump = sqlite_sync_failure_bump,
	.sync_failures = sqlite_sync_failures,
	.kpi_events = sqlite_kpi_events,
	.kpi_orders = sqlite_kpi_orders,
	.orders_by_email = sqlite_orders_by_email,
	.conflict_orders = sqlite_conflict_orders,
	.quiet_packages = sqlite_quiet_packages,
	.web_counts = sqlite_web_counts,
	.event_meta = sqlite_event_meta,
	/* END ops: web/KPIs */
	/* BEGIN ops: notifications (store_sqlite_notify.c) */
	.outbox_put = sqn_outbox_put,
	.outbox_claim = sqn_outbox_claim,
	.outbox_finish = sqn_outbox_finish,
	.outbox_list = sqn_outbox_list,
	.outbox_get = sqn_outbox_get,
	.outbox_set_state = sqn_outbox_set_state,
	.consent_get = sqn_consent_get,
	.consent_put = sqn_consent_put,
	.audit_put = sqn_audit_put,
	.ticket_get = sqn_ticket_get,
	.ticket_put = sqn_ticket_put,
	.rule_put = sqn_rule_put,
	.rule_list = sqn_rule_list,
	.audit_list = sqn_audit_list,
	/* END ops: notifications */
};
