/*
 * store_pg.c - the PostgreSQL storage backend (DESIGN.md section 6,
 * docs/scale-out.md): several wismo nodes on one database.
 *
 * Connection: a libpq connection URI (postgres://user:pass@host:port/db?...
 * or postgresql://...), one connection per struct store (store.h: one per
 * thread).  The URI is never written to a message: it may hold a password.
 * Each session runs in UTC with lock_timeout PG_LOCK_TIMEOUT_MS (a lock wait
 * beyond it is WERR_BUSY, as SQLite's busy timeout), read-only handles with
 * default_transaction_read_only.
 *
 * Durability: the server's synchronous_commit as configured (on by
 * default): a COMMIT that returned is on the server's disk (and on its
 * synchronous standbys when it has any) before the event is acknowledged.
 *
 * Schema: the numbered migrations of this backend (pg_migrations below), each
 * in its own transaction under an advisory lock, so that nodes starting at
 * once apply each migration once.  Numbers are those of store_schema_version():
 * migration N means the same schema in both backends.  The backend came with
 * schema 13, so its first migration creates at once what SQLite's 1..13 built
 * up (schema/pg_v13.h); later ones are the same change as SQLite's.
 *
 * Write transactions take the write lock, then run in libpq's pipeline
 * mode and keep a memory of what they learned (pg_int.h): the writer waits
 * for about one answer per event (docs/performance.md, "PostgreSQL").
 *
 * This file holds the connection, the migrations, the transactions, the
 * pipeline, the transaction's memory and the helpers (pg_int.h); the
 * operations live one concern per file (store_pg_<concern>.c).
 */
#include "store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "schema/pg_v13.h"
#include "schema/v14_milestones.h"
#include "schema/v15_batches.h"
#include "../core/event_json.h"
#include "../base/banned.h"

/* The advisory lock migrations take ("wismo-m" in ASCII). */
#define PG_MIGRATE_LOCK "33611466706726253"

struct pg_migration {
	int version;
	const char *sql;
};

static const struct pg_migration pg_migrations[] = {
	{ 13, PG_SCHEMA_V13 },
	{ 14, PG_SCHEMA_V14_MILESTONES },
	{ 15, PG_SCHEMA_V15_BATCHES },
};
#define NPG_MIGRATIONS ((int)(sizeof(pg_migrations) / sizeof(pg_migrations[0])))
#define PG_NEWEST (pg_migrations[NPG_MIGRATIONS - 1].version)

/* ---- helpers (pg_int.h) ---- */

void pg_msg(struct pg_store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->base.errmsg, sizeof(s->base.errmsg), fmt, ap);
	va_end(ap);
}

/* libpq's messages end in a newline (and may run over lines): keep the
 * first line. */
static void first_line(char *dst, size_t cap, const char *msg)
{
	size_t n = strcspn(msg ? msg : "", "\r\n");

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, msg ? msg : "", n);
	dst[n] = '\0';
}

enum werr pg_fail(struct pg_store *s, const PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char line[200];

	first_line(line, sizeof(line), r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
	if (!line[0])
		first_line(line, sizeof(line), PQerrorMessage(s->conn));
	pg_msg(s, "%s: %s", what, line);
	if (PQstatus(s->conn) != CONNECTION_OK)
		return WERR_STORAGE_DOWN; /* the next call reconnects */
	if (!state)
		return WERR_DB;
	/* serialization failure, deadlock, lock timeout, cancel: retry */
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03") ||
	    !strcmp(state, "57014"))
		return WERR_BUSY;
	if (!strcmp(state, "53100")) /* disk_full */
		return WERR_STORAGE_FULL;
	if (!strncmp(state, "53", 2) && strcmp(state, "53200")) /* insufficient resources, not out of memory */
		return WERR_STORAGE_DOWN;
	if (!strcmp(state, "53200"))
		return WERR_NOMEM;
	if (!strncmp(state, "08", 2) || !strcmp(state, "25006") || !strncmp(state, "57P", 3))
		return WERR_STORAGE_DOWN; /* connection, read-only transaction, server shutting down */
	if (!strcmp(state, "23505"))
		return WERR_EXISTS;
	return WERR_DB;
}

/* Session settings, run after each (re)connect. */
static enum werr configure(struct pg_store *s)
{
	char sql[256];
	PGresult *r;
	enum werr err = WERR_OK;

	snprintf(sql, sizeof(sql),
		 "SET TIME ZONE 'UTC'; SET lock_timeout = %d; SET client_min_messages = warning;%s",
		 PG_LOCK_TIMEOUT_MS,
		 (s->flags & STORE_READONLY) ? " SET default_transaction_read_only = on;" : "");
	r = PQexec(s->conn, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		err = pg_fail(s, r, "unable to configure session");
	PQclear(r);
	return err;
}

/* A lost connection (the server restarted, a network cut) is made again
 * before the next statement, outside a transaction only: inside one, the
 * transaction is gone and the caller must see the error. */
static enum werr ensure_connected(struct pg_store *s)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return WERR_OK;
	if (s->in_tx) {
		pg_msg(s, "connection to the database lost inside a transaction");
		return WERR_STORAGE_DOWN;
	}
	PQreset(s->conn);
	/* prepared statements, LISTEN and advisory locks live in the session */
	s->nstmts = 0;
	s->listening = false;
	s->nleases = 0;
	if (PQstatus(s->conn) != CONNECTION_OK) {
		char line[200];

		first_line(line, sizeof(line), PQerrorMessage(s->conn));
		pg_msg(s, "unable to reconnect to the database: %s", line);
		return WERR_STORAGE_DOWN;
	}
	return configure(s);
}

/* ---- the write transaction's memory (pg_int.h) ---- */

struct txent {
	char *key;   /* kind, then the key: one allocation (malloc-aligned) with the value after it, aligned */
	void *val;
	size_t size;
};

struct pg_txmem {
	struct txent *slots; /* open addressing, a power of two, at most half full */
	size_t cap, used;
};

static uint64_t tx_hash(char kind, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ (unsigned char)kind;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return h;
}

static struct txent *tx_find(struct pg_txmem *m, char kind, const char *key)
{
	size_t i = (size_t)tx_hash(kind, key) & (m->cap - 1);

	for (; m->slots[i].key; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].key[0] == kind && !strcmp(m->slots[i].key + 1, key))
			return &m->slots[i];
	return &m->slots[i];
}

void pg_tx_forget_kind(struct pg_store *s, char kind)
{
	struct pg_txmem *m = s->txmem;

	if (!m || !m->used)
		return;
	for (size_t i = 0; i < m->cap; i++) /* kept as empty entries, as pg_tx_put's forget */
		if (m->slots[i].key && m->slots[i].key[0] == kind)
			m->slots[i].size = 0;
}

void pg_tx_forget(struct pg_store *s)
{
	struct pg_txmem *m = s->txmem;

	if (!m || !m->used)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->used = 0;
}

static void tx_free(struct pg_store *s)
{
	pg_tx_forget(s);
	if (s->txmem)
		free(s->txmem->slots);
	free(s->txmem);
	s->txmem = NULL;
}

static enum werr tx_grow(struct pg_txmem *m)
{
	struct pg_txmem bigger = { calloc(m->cap ? 2 * m->cap : 256, sizeof(struct txent)), m->cap ? 2 * m->cap : 256,
				   m->used };

	if (!bigger.slots)
		return WERR_NOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*tx_find(&bigger, m->slots[i].key[0], m->slots[i].key + 1) = m->slots[i];
	free(m->slots);
	*m = bigger;
	return WERR_OK;
}

void *pg_tx_get(struct pg_store *s, char kind, const char *key)
{
	struct txent *e;

	if (!s->piped || !s->txmem || !s->txmem->used)
		return NULL;
	e = tx_find(s->txmem, kind, key);
	return e->key && e->size ? e->val : NULL;
}

size_t pg_tx_size(struct pg_store *s, char kind, const char *key)
{
	struct txent *e;

	if (!s->piped || !s->txmem || !s->txmem->used)
		return 0;
	e = tx_find(s->txmem, kind, key);
	return e->key ? e->size : 0;
}

enum werr pg_tx_put(struct pg_store *s, char kind, const char *key, const void *val, size_t size)
{
	size_t klen = strlen(key), at = (1 + klen + 1 + 15) & ~(size_t)15; /* the value aligned for any type */
	struct txent *e;
	char *p;

	if (!s->piped)
		return WERR_OK;
	if (!val) { /* forgotten: kept as an empty entry, so probes go on past it */
		if (s->txmem && s->txmem->used && (e = tx_find(s->txmem, kind, key))->key)
			e->size = 0;
		return WERR_OK;
	}
	if (!s->txmem && !(s->txmem = calloc(1, sizeof(*s->txmem))))
		return WERR_NOMEM;
	if (2 * (s->txmem->used + 1) > s->txmem->cap && tx_grow(s->txmem))
		return WERR_NOMEM;
	e = tx_find(s->txmem, kind, key);
	if (!(p = malloc(at + size)))
		return WERR_NOMEM;
	p[0] = kind;
	memcpy(p + 1, key, klen + 1);
	memcpy(p + at, val, size);
	if (e->key)
		free(e->key);
	else
		s->txmem->used++;
	*e = (struct txent){ p, p + at, size };
	return WERR_OK;
}

/* A write transaction's first read (pg_int.h): the next id of each counted
 * table, then whether each rarely filled table is empty.  It names every
 * table, so their held-back rows go first. */
static const char SQL_FIRST_READ[] = "SELECT (SELECT coalesce(max(seq), 0) + 1 FROM events),"
				     " (SELECT coalesce(max(id), 0) + 1 FROM tasks),"
				     " (SELECT coalesce(max(id), 0) + 1 FROM raw_payloads),"
				     " EXISTS (SELECT 1 FROM parcel_claims)::int, EXISTS (SELECT 1 FROM parked)::int";
static const char FIRST_COUNTED[] = "sTR", FIRST_EMPTY[] = "CP"; /* its columns' kinds */
static const char TX_EMPTY = 'E', TX_FILLED = 'F';

/* *next (may be NULL) gets the next id of counted table want. */
static enum werr first_read(struct pg_store *s, char want, int64_t *next)
{
	const int ncounted = (int)sizeof(FIRST_COUNTED) - 1;
	PGresult *r = NULL;
	enum werr err;

	if ((err = pg_run(s, SQL_FIRST_READ, "unable to read the next ids", &r, "")))
		return err;
	for (int i = 0; FIRST_COUNTED[i] && !err; i++) {
		int64_t v = strtoll(PQgetvalue(r, 0, i), NULL, 10);
		if (next && FIRST_COUNTED[i] == want)
			*next = v;
		err = pg_tx_put(s, FIRST_COUNTED[i], "", &v, sizeof(v));
	}
	for (int i = 0; FIRST_EMPTY[i] && !err; i++)
		err = pg_tx_put(s, FIRST_EMPTY[i], "", *PQgetvalue(r, 0, ncounted + i) == '0' ? &TX_EMPTY : &TX_FILLED,
				1);
	PQclear(r);
	if (err)
		pg_msg(s, "out of memory remembering the next ids");
	return err;
}

enum werr pg_counted(struct pg_store *s, char kind, int64_t *next)
{
	const int64_t *known = pg_tx_get(s, kind, "");

	*next = 0;
	if (!kind || !strchr(FIRST_COUNTED, kind)) {
		pg_msg(s, "no counter '%c'", kind);
		return WERR_INTERNAL;
	}
	if (!known)
		return first_read(s, kind, next);
	*next = *known;
	return WERR_OK;
}

enum werr pg_tx_empty(struct pg_store *s, char kind, bool *empty)
{
	const char *known = pg_tx_get(s, kind, "");
	enum werr err;

	*empty = false;
	if (!kind || !strchr(FIRST_EMPTY, kind)) {
		pg_msg(s, "no table of kind '%c' in the first read", kind);
		return WERR_INTERNAL;
	}
	if (!s->piped)
		return WERR_OK;
	if (!known) {
		if ((err = first_read(s, kind, NULL)))
			return err;
		known = pg_tx_get(s, kind, "");
	}
	*empty = known && *known == TX_EMPTY;
	return WERR_OK;
}

enum werr pg_tx_filled(struct pg_store *s, char kind)
{
	return pg_tx_put(s, kind, "", &TX_FILLED, 1);
}

bool pg_tx_none(struct pg_store *s, char kind, const char *order)
{
	const char *known = pg_tx_get(s, kind, order);

	return known && *known == 'N';
}

enum werr pg_tx_some(struct pg_store *s, char kind, const char *order)
{
	return pg_tx_none(s, kind, order) ? pg_tx_put(s, kind, order, NULL, 0) : WERR_OK;
}

/* ---- array parameters (pg_int.h) ---- */

void pg_array_elem(struct buf *b, const char *v, size_t len, bool null)
{
	if (b->len && b->p[b->len - 1] != '{')
		buf_putc(b, ',');
	if (null) {
		buf_puts(b, "NULL");
		return;
	}
	buf_putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		size_t run = i;
		while (run < len && v[run] != '"' && v[run] != '\\')
			run++;
		buf_append(b, v + i, run - i);
		if (run == len)
			break;
		buf_putc(b, '\\');
		buf_putc(b, v[run]);
		i = run;
	}
	buf_putc(b, '"');
}

enum werr pg_array_literals(struct buf *cols, size_t k, struct buf *lits)
{
	enum werr err = WERR_OK;

	for (size_t i = 0; i < k; i++) {
		buf_init(&lits[i], BUF_MAX_DEFAULT);
		buf_putc(&lits[i], '{');
		buf_append(&lits[i], cols[i].p, cols[i].len);
		buf_putc(&lits[i], '}');
		if (!err)
			err = buf_error(&lits[i]);
		buf_reset(&cols[i]);
	}
	return err;
}

enum werr pg_text_array(struct pg_store *s, const char *const *strs, size_t n, char **out)
{
	struct buf b = BUF_INIT;
	enum werr err;

	*out = NULL;
	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++)
		pg_array_elem(&b, strs[i], strlen(strs[i]), false);
	buf_putc(&b, '}');
	if ((err = buf_error(&b))) {
		pg_msg(s, "unable to build an array parameter: %s", werr_name(err));
		buf_release(&b);
		return err;
	}
	*out = buf_detach(&b);
	return WERR_OK;
}

/* ---- the pipeline of a write transaction (pg_int.h) ---- */

/* Reads the answers of the first n statements sent ahead (their flush
 * already asked for); the one marked kept (pipe_behind) is handed to
 * s->kept, the others are cleared.  The rest move to the front. */
static enum werr pipe_read(struct pg_store *s, int n)
{
	for (int i = 0; i < n; i++) {
		PGresult *r;
		ExecStatusType st;

		if (!(r = PQgetResult(s->conn))) {
			s->pending = 0;
			return s->pipe_err ? s->pipe_err : (s->pipe_err = pg_fail(s, NULL, s->pending_what[i]));
		}
		st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !s->pipe_err)
			s->pipe_err = st == PGRES_PIPELINE_ABORTED ? (pg_msg(s, "%s: aborted", s->pending_what[i]), WERR_DB)
								  : pg_fail(s, r, s->pending_what[i]);
		if (i + 1 == s->kept_at && !s->pipe_err)
			s->kept = r;
		else
			PQclear(r);
		while ((r = PQgetResult(s->conn))) /* the NULL that ends a statement's answers */
			PQclear(r);
	}
	s->pending -= n;
	memmove(s->pending_what, s->pending_what + n, (size_t)s->pending * sizeof(s->pending_what[0]));
	s->kept_at = s->kept_at > n ? s->kept_at - n : 0;
	return s->pipe_err;
}

/* Reads the answers of every statement sent ahead; the first failure is
 * kept (and returned) until the transaction ends. */
static enum werr pipe_drain(struct pg_store *s)
{
	if (!s->pending)
		return s->pipe_err;
	if (!PQsendFlushRequest(s->conn) || PQflush(s->conn)) {
		s->pending = 0;
		return s->pipe_err ? s->pipe_err : (s->pipe_err = pg_fail(s, NULL, "unable to send"));
	}
	return pipe_read(s, s->pending);
}

/* Notes a statement sent ahead (what: for its failure); drains when the
 * pipeline is full. */
static enum werr pipe_sent(struct pg_store *s, const char *what)
{
	s->pending_what[s->pending++] = what;
	if (s->pending == PG_PIPE_MAX)
		return pipe_drain(s);
	return s->pipe_err;
}

/* The answer of the statement just sent, after those of the statements
 * sent ahead of it; an error (its own or an earlier one) consumes it. */
static enum werr pipe_own(struct pg_store *s, const char *what, PGresult **out)
{
	enum werr err = WERR_OK;
	PGresult *r, *extra;

	*out = NULL;
	if (s->pending)
		err = pipe_drain(s); /* its flush request covers ours */
	else if (!PQsendFlushRequest(s->conn) || PQflush(s->conn))
		return s->pipe_err = pg_fail(s, NULL, what);
	if (!(r = PQgetResult(s->conn)))
		return s->pipe_err ? s->pipe_err : (s->pipe_err = pg_fail(s, NULL, what));
	while ((extra = PQgetResult(s->conn)))
		PQclear(extra);
	if (!err && PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		err = s->pipe_err = pg_fail(s, r, what);
	if (err) {
		PQclear(r);
		return err;
	}
	*out = r;
	return WERR_OK;
}

/* pipe_own for a statement with more sent behind it (pg_run_ahead): the
 * server is asked to flush right after it, so its answer comes back while
 * the server goes on with what followed. */
static enum werr pipe_behind(struct pg_store *s, const char *what, pg_behind_fn behind, PGresult **out)
{
	enum werr err;

	*out = NULL;
	if (!PQsendFlushRequest(s->conn))
		return s->pipe_err = pg_fail(s, NULL, what);
	s->kept_at = s->pending + 1;
	if (!(err = pipe_sent(s, what)))
		err = behind(s);
	/* not read yet while no drain passed it */
	if (s->kept_at && !s->pipe_err) {
		if (PQflush(s->conn))
			err = s->pipe_err = pg_fail(s, NULL, what);
		else
			err = pipe_read(s, s->kept_at);
	}
	s->kept_at = 0;
	if (!err)
		err = s->pipe_err;
	if (err) {
		PQclear(s->kept);
	} else if (!s->kept) {
		pg_msg(s, "%s: no answer", what);
		err = WERR_INTERNAL;
	} else {
		*out = s->kept;
	}
	s->kept = NULL;
	return err;
}

/* Leaves pipeline mode at the end of a transaction: sync, read everything,
 * exit. */
static void pipe_end(struct pg_store *s)
{
	PGresult *r;

	if (!s->piped)
		return;
	if (PQpipelineSync(s->conn)) {
		pipe_drain(s);
		while ((r = PQgetResult(s->conn))) { /* up to the sync */
			ExecStatusType st = PQresultStatus(r);

			PQclear(r);
			if (st == PGRES_PIPELINE_SYNC)
				break;
		}
	}
	PQexitPipelineMode(s->conn);
	s->piped = false;
	s->pending = 0;
	pg_tx_forget(s);
	pg_evq_discard(s);
	pg_owq_discard(s);
	pg_later_discard(s);
}

/* The name of sql's prepared statement, preparing it on first use. */
static enum werr stmt_name(struct pg_store *s, const char *sql, char name[16])
{
	PGresult *r;
	int i;

	for (i = 0; i < s->nstmts; i++)
		if (s->stmts[i].sql == sql) {
			snprintf(name, 16, "w%d", i);
			return WERR_OK;
		}
	if (s->nstmts == PG_STMTS) {
		pg_msg(s, "more than %d statements", PG_STMTS);
		return WERR_INTERNAL;
	}
	snprintf(name, 16, "w%d", i);
	if (s->piped) {
		/* its answer is read with the next ones; a failure fails the
		 * transaction, and its end forgets every statement */
		if (!PQsendPrepare(s->conn, name, sql, 0, NULL))
			return pg_fail(s, NULL, "unable to prepare statement");
		s->stmts[i].sql = sql;
		s->nstmts++;
		return pipe_sent(s, "unable to prepare statement");
	}
	r = PQprepare(s->conn, name, sql, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		enum werr err = pg_fail(s, r, "unable to prepare statement");

		PQclear(r);
		return err;
	}
	PQclear(r);
	s->stmts[i].sql = sql;
	s->nstmts++;
	return WERR_OK;
}

/* What the transaction held back goes before a statement that names its
 * table (pg_int.h). */
static enum werr send_held(struct pg_store *s, const char *sql)
{
	enum werr err = WERR_OK;

	if (pg_evq_waiting(s, sql))
		err = pg_evq_send(s);
	if (!err && pg_owq_waiting(s, sql))
		err = pg_owq_send(s);
	if (!err && s->nlater)
		err = pg_later_send(s, sql);
	return err;
}

/* behind (NULL: none) is sent after sql and before its answer is read. */
static enum werr run_v(struct pg_store *s, bool plan_now, const char *sql, const char *what, PGresult **res,
		       pg_behind_fn behind, const char *fmt, va_list ap)
{
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
	char nums[PG_MAX_PARAMS][24];
	char name[16];
	ExecStatusType status;
	enum werr err;
	PGresult *r;
	int n = 0;

	if (res)
		*res = NULL;
	if ((err = send_held(s, sql)))
		return err;
	if ((err = ensure_connected(s)) || (!plan_now && (err = stmt_name(s, sql, name))))
		return err;
	for (; *fmt; fmt++, n++) {
		if (n == PG_MAX_PARAMS) {
			pg_msg(s, "more than %d parameters", PG_MAX_PARAMS);
			return WERR_INTERNAL;
		}
		lengths[n] = 0;
		formats[n] = 0;
		switch (*fmt) {
		case 's': {
			const char *v = va_arg(ap, const char *);
			values[n] = v && v[0] ? v : NULL;
			break;
		}
		case 'S':
			values[n] = va_arg(ap, const char *);
			break;
		case 't': {
			const char *v = va_arg(ap, const char *);
			size_t len = va_arg(ap, size_t);
			/* text parameters end at their NUL: copy a counted one */
			if (v && memchr(v, '\0', len)) {
				pg_msg(s, "text parameter holds a NUL byte");
				return WERR_INVALID;
			}
			if (len > (size_t)INT32_MAX) {
				pg_msg(s, "text parameter too large (%zu bytes)", len);
				return WERR_TOO_LARGE;
			}
			values[n] = v ? v : "";
			lengths[n] = (int)len;
			formats[n] = 1; /* binary text is the bytes themselves */
			break;
		}
		case 'b': {
			const void *v = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);
			if (len > (size_t)INT32_MAX) {
				pg_msg(s, "bytea parameter too large (%zu bytes)", len);
				return WERR_TOO_LARGE;
			}
			values[n] = v ? v : "";
			lengths[n] = v ? (int)len : 0;
			formats[n] = 1;
			break;
		}
		case 'i':
		case 'o': {
			int64_t v = va_arg(ap, int64_t);
			snprintf(nums[n], sizeof(nums[n]), "%" PRId64, v);
			values[n] = *fmt == 'o' && !v ? NULL : nums[n];
			break;
		}
		default:
			pg_msg(s, "unknown parameter format '%c'", *fmt);
			return WERR_INTERNAL;
		}
	}
	if (s->piped) {
		if (plan_now ? !PQsendQueryParams(s->conn, sql, n, NULL, values, lengths, formats, 0)
			     : !PQsendQueryPrepared(s->conn, name, n, values, lengths, formats, 0))
			return s->pipe_err = pg_fail(s, NULL, what);
		if (!res)
			return pipe_sent(s, what);
		if ((err = behind ? pipe_behind(s, what, behind, &r) : pipe_own(s, what, &r)))
			return err;
	} else if (plan_now) {
		r = PQexecParams(s->conn, sql, n, NULL, values, lengths, formats, 0);
	} else {
		r = PQexecPrepared(s->conn, name, n, values, lengths, formats, 0);
	}
	status = PQresultStatus(r);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		err = pg_fail(s, r, what);
		PQclear(r);
		return err;
	}
	if (behind && !s->piped && (err = behind(s))) {
		PQclear(r);
		return err;
	}
	if (res)
		*res = r;
	else
		PQclear(r);
	return WERR_OK;
}

enum werr pg_run(struct pg_store *s, const char *sql, const char *what, PGresult **res, const char *fmt, ...)
{
	va_list ap;
	enum werr err;

	va_start(ap, fmt);
	err = run_v(s, false, sql, what, res, NULL, fmt, ap);
	va_end(ap);
	return err;
}

enum werr pg_run_v(struct pg_store *s, const char *sql, const char *what, const char *fmt, va_list ap)
{
	return run_v(s, false, sql, what, NULL, NULL, fmt, ap);
}

enum werr pg_run_texts(struct pg_store *s, const char *sql, const char *what, const char *const *values, int n)
{
	char name[16];
	PGresult *r;
	enum werr err;

	if ((err = send_held(s, sql)) || (err = ensure_connected(s)) || (err = stmt_name(s, sql, name)))
		return err;
	if (s->piped) {
		if (!PQsendQueryPrepared(s->conn, name, n, values, NULL, NULL, 0))
			return s->pipe_err = pg_fail(s, NULL, what);
		return pipe_sent(s, what);
	}
	r = PQexecPrepared(s->conn, name, n, values, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		err = pg_fail(s, r, what);
	PQclear(r);
	return err;
}

enum werr pg_run_planned(struct pg_store *s, const char *sql, const char *what, PGresult **res, const char *fmt,
			 ...)
{
	va_list ap;
	enum werr err;

	va_start(ap, fmt);
	err = run_v(s, true, sql, what, res, NULL, fmt, ap);
	va_end(ap);
	return err;
}

enum werr pg_run_ahead(struct pg_store *s, const char *sql, const char *what, PGresult **res, pg_behind_fn behind,
		       const char *fmt, ...)
{
	va_list ap;
	enum werr err;

	va_start(ap, fmt);
	err = run_v(s, true, sql, what, res, behind, fmt, ap);
	va_end(ap);
	return err;
}

int64_t pg_changes(const PGresult *r)
{
	const char *t = PQcmdTuples((PGresult *)r);

	return t && *t ? strtoll(t, NULL, 10) : 0;
}

static enum werr col_field(struct pg_store *s, const PGresult *r, int row, int i, char *dst, size_t cap)
{
	const char *t = PQgetvalue(r, row, i);
	size_t n = (size_t)PQgetlength(r, row, i);

	if (n >= cap) {
		pg_msg(s, "stored value of column '%s' is too long (%zu bytes)", PQfname(r, i), n);
		return WERR_DB;
	}
	memcpy(dst, t, n);
	dst[n] = '\0';
	return WERR_OK;
}

enum werr pg_row(struct pg_store *s, const PGresult *r, int row, const char *fmt, ...)
{
	enum werr err = WERR_OK;
	va_list ap;

	va_start(ap, fmt);
	for (int i = 0; *fmt && !err; fmt++, i++) {
		if (i >= PQnfields(r)) {
			pg_msg(s, "result has %d columns, format asks for more", PQnfields(r));
			err = WERR_INTERNAL;
			break;
		}
		switch (*fmt) {
		case 'f': {
			char *dst = va_arg(ap, char *);
			size_t cap = va_arg(ap, size_t);
			err = col_field(s, r, row, i, dst, cap);
			break;
		}
		case 'c': {
			char *dst = va_arg(ap, char *);
			size_t cap = va_arg(ap, size_t);
			snprintf(dst, cap, "%s", PQgetvalue(r, row, i));
			break;
		}
		case 'i':
			*va_arg(ap, int64_t *) = strtoll(PQgetvalue(r, row, i), NULL, 10);
			break;
		case 'n':
			*va_arg(ap, int *) = (int)strtol(PQgetvalue(r, row, i), NULL, 10);
			break;
		case 'b':
			*va_arg(ap, bool *) = strtoll(PQgetvalue(r, row, i), NULL, 10) != 0;
			break;
		case 'd':
		case 'D': {
			char **dst = va_arg(ap, char **);
			size_t n = (size_t)PQgetlength(r, row, i);
			*dst = NULL;
			if (*fmt == 'd' && PQgetisnull(r, row, i))
				break;
			if (!(*dst = malloc(n + 1))) {
				pg_msg(s, "out of memory reading column '%s'", PQfname(r, i));
				err = WERR_NOMEM;
				break;
			}
			memcpy(*dst, PQgetvalue(r, row, i), n);
			(*dst)[n] = '\0';
			break;
		}
		case '-':
			break;
		default:
			pg_msg(s, "unknown column format '%c'", *fmt);
			err = WERR_INTERNAL;
		}
	}
	va_end(ap);
	return err;
}

enum werr pg_bytea(struct pg_store *s, const PGresult *r, int row, int col, struct buf *out)
{
	size_t n = 0;
	unsigned char *p = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
	enum werr err = WERR_OK;

	if (!p) {
		pg_msg(s, "out of memory reading column '%s'", PQfname(r, col));
		return WERR_NOMEM;
	}
	if (n && buf_append(out, p, n)) {
		pg_msg(s, "column '%s' does not fit (%zu bytes)", PQfname(r, col), n);
		err = WERR_TOO_LARGE;
	}
	PQfreemem(p);
	return err;
}

void pg_release_plain(void *rows, size_t n)
{
	(void)n;
	free(rows);
}

enum werr pg_query_rows(struct pg_store *s, const char *sql, const char *what, size_t elem, pg_read_fn read,
			void (*release)(void *rows, size_t n), void **out, size_t *n, const char *fmt, ...)
{
	PGresult *r = NULL;
	enum werr err;
	va_list ap;
	char *arr = NULL;
	size_t len = 0, rows;

	*out = NULL;
	*n = 0;
	va_start(ap, fmt);
	err = run_v(s, false, sql, what, &r, NULL, fmt, ap);
	va_end(ap);
	if (err)
		return err;
	rows = (size_t)PQntuples(r);
	if (rows && !(arr = calloc(rows, elem))) {
		pg_msg(s, "out of memory: %s", what);
		PQclear(r);
		return WERR_NOMEM;
	}
	for (; len < rows; len++)
		if ((err = read(s, r, (int)len, arr + len * elem)))
			break;
	PQclear(r);
	if (err) {
		release(arr, len + (len < rows)); /* the row that failed may hold allocations too */
		return err;
	}
	*out = arr;
	*n = len;
	return WERR_OK;
}

enum werr pg_query_int(struct pg_store *s, const char *sql, const char *what, int64_t *v, bool *found,
		       const char *fmt, ...)
{
	PGresult *r = NULL;
	enum werr err;
	va_list ap;

	*v = 0;
	if (found)
		*found = false;
	va_start(ap, fmt);
	err = run_v(s, false, sql, what, &r, NULL, fmt, ap);
	va_end(ap);
	if (err)
		return err;
	if (PQntuples(r) > 0 && PQnfields(r) > 0) {
		*v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		if (found)
			*found = true;
	}
	PQclear(r);
	return WERR_OK;
}

/* Runs a statement of the connection's own (no parameters, not prepared). */
static enum werr exec_plain(struct pg_store *s, const char *sql, const char *what)
{
	PGresult *r;
	enum werr err = WERR_OK;
	ExecStatusType st;

	r = PQexec(s->conn, sql);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		err = pg_fail(s, r, what);
	PQclear(r);
	return err;
}

static const char SQL_WRITE_LOCK[] = "SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")";

static enum werr begin_tx(struct pg_store *s, bool write, bool pipeline)
{
	enum werr err;

	/* A reader's transaction reads one snapshot, as SQLite's does; a writer
	 * reads what committed before it took the write lock (READ COMMITTED:
	 * each statement sees the latest commits, and no other writer runs). */
	if ((err = ensure_connected(s)) ||
	    (err = exec_plain(s, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ",
			      "unable to begin transaction")))
		return err;
	s->in_tx = true;
	if (write && (err = pg_run(s, SQL_WRITE_LOCK, "unable to take the write lock", NULL, ""))) {
		exec_plain(s, "ROLLBACK", "unable to roll back");
		s->in_tx = false;
		return err;
	}
	/* a writer's statements go ahead of their answers (pg_int.h) */
	if (write && pipeline) {
		if (!PQenterPipelineMode(s->conn)) {
			err = pg_fail(s, NULL, "unable to enter pipeline mode");
			exec_plain(s, "ROLLBACK", "unable to roll back");
			s->in_tx = false;
			return err;
		}
		s->piped = true;
		s->pending = 0;
		s->pipe_err = WERR_OK;
	}
	return WERR_OK;
}

static enum werr end_tx(struct pg_store *s, bool commit)
{
	enum werr err = WERR_OK;

	if (!s->in_tx)
		return WERR_OK;
	if (s->piped) {
		/* the events held back go before COMMIT (pg_int.h) */
		if (commit && !s->pipe_err) {
			enum werr sent = pg_evq_send(s);
			if (!sent)
				sent = pg_owq_send(s);
			if (!sent)
				sent = pg_later_send(s, NULL);
			if (sent && !s->pipe_err)
				s->pipe_err = sent;
		}
		if (commit && !s->pipe_err) {
			if (!PQsendQueryParams(s->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0))
				s->pipe_err = pg_fail(s, NULL, "unable to commit");
			else
				pipe_sent(s, "unable to commit");
		}
		pipe_end(s);
		err = commit ? s->pipe_err : WERR_OK;
		/* after a failure the transaction is still open, aborted: end it;
		 * the statements prepared after the failure do not exist, so all
		 * are forgotten and made again on their next use */
		if (s->pipe_err || !commit)
			exec_plain(s, "ROLLBACK", "unable to roll back");
		if (s->pipe_err) {
			s->nstmts = 0;
			if (PQstatus(s->conn) == CONNECTION_OK)
				exec_plain(s, "DEALLOCATE ALL", "unable to deallocate");
		}
		s->pipe_err = WERR_OK;
	} else {
		err = exec_plain(s, commit ? "COMMIT" : "ROLLBACK", commit ? "unable to commit" : "unable to roll back");
	}
	s->in_tx = false;
	pg_cache_tx_end(s, commit); /* before the caller learns it committed */
	return err;
}

enum werr pg_op_begin(struct pg_store *s, bool write, bool *own)
{
	enum werr err;

	*own = false;
	if (s->in_tx)
		return WERR_OK;
	if (!(err = begin_tx(s, write && !(s->flags & STORE_READONLY), true)))
		*own = true;
	return err;
}

enum werr pg_op_end(struct pg_store *s, bool own, enum werr err)
{
	char keep[sizeof(s->base.errmsg)];

	if (!own)
		return err;
	if (!err)
		return end_tx(s, true);
	memcpy(keep, s->base.errmsg, sizeof(keep));
	end_tx(s, false);
	memcpy(s->base.errmsg, keep, sizeof(keep));
	return err;
}

enum werr pg_read_event(struct pg_store *s, const PGresult *r, int row, struct event *ev)
{
	const char *text = PQgetvalue(r, row, 0);
	size_t len = (size_t)PQgetlength(r, row, 0);
	int64_t seq = strtoll(PQgetvalue(r, row, 1), NULL, 10);
	struct ev_error everr;
	cJSON *obj;
	enum werr err;

	event_init(ev);
	if (PQgetisnull(r, row, 0)) {
		pg_msg(s, "event seq %" PRId64 " has no body", seq);
		return WERR_DB;
	}
	obj = cJSON_ParseWithLength(text, len);
	if (!obj) {
		pg_msg(s, "stored event seq %" PRId64 " is not valid JSON", seq);
		return WERR_DB;
	}
	memset(&everr, 0, sizeof(everr));
	err = event_from_json(obj, true, ev, &everr);
	cJSON_Delete(obj);
	if (err == WERR_NOMEM) {
		pg_msg(s, "out of memory reading events");
		return err;
	}
	if (err) {
		pg_msg(s, "stored event seq %" PRId64 " does not parse: %s", seq, everr.message);
		return WERR_DB;
	}
	ev->seq = seq;
	ev->received_at = strtoll(PQgetvalue(r, row, 2), NULL, 10);
	return WERR_OK;
}

enum werr pg_read_order_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct order_row *o = out;

	return pg_row(s, r, row, "ffiD", PG_FIELD(o->order), PG_FIELD(o->status), &o->updated_at, &o->json);
}

void pg_release_order_rows(void *rows, size_t n)
{
	order_rows_free(rows, n);
}

enum werr pg_read_tracking(struct pg_store *s, const PGresult *r, int row, void *out)
{
	return pg_row(s, r, row, "f", (char *)out, (size_t)(EV_PACKAGE_MAX + 1));
}

/* ---- schema versions and migrations ---- */

static const char SQL_HAS_MIGRATIONS[] = "SELECT count(*) FROM pg_catalog.pg_tables"
					 " WHERE schemaname = current_schema() AND tablename = 'schema_migrations'";
static const char SQL_VERSION[] = "SELECT coalesce(max(version), 0) FROM schema_migrations";
static const char SQL_MIGRATION_DONE[] =
	"INSERT INTO schema_migrations(version, applied_at)"
	" VALUES($1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)";
static const char SQL_MIGRATE_LOCK[] = "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")";

static enum werr read_version(struct pg_store *s, int *version)
{
	int64_t v = 0;
	enum werr err;

	*version = 0;
	err = pg_query_int(s, SQL_HAS_MIGRATIONS, "unable to read schema", &v, NULL, "");
	if (err || !v)
		return err;
	err = pg_query_int(s, SQL_VERSION, "unable to read schema version", &v, NULL, "");
	if (!err)
		*version = (int)v;
	return err;
}

static enum werr check_not_newer(struct pg_store *s, int version)
{
	if (version <= PG_NEWEST)
		return WERR_OK;
	pg_msg(s, "database schema version %d is newer than this build of wismo knows (%d); upgrade wismo",
	       version, PG_NEWEST);
	return WERR_UNSUPPORTED;
}

/* Applies migration m in its own transaction, under the migration lock,
 * unless another node applied it first. */
static enum werr apply_migration(struct pg_store *s, const struct pg_migration *m)
{
	enum werr err;
	int cur;

	if ((err = begin_tx(s, false, false)))
		return err;
	if (!(err = pg_run(s, SQL_MIGRATE_LOCK, "unable to take the migration lock", NULL, "")) &&
	    !(err = exec_plain(s,
			       "CREATE TABLE IF NOT EXISTS schema_migrations("
			       "version bigint PRIMARY KEY, applied_at bigint NOT NULL)",
			       "unable to create schema_migrations")) &&
	    !(err = read_version(s, &cur)) && cur < m->version) {
		PGresult *r = PQexec(s->conn, m->sql);

		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			char what[64];

			snprintf(what, sizeof(what), "migration %d failed", m->version);
			err = pg_fail(s, r, what);
		}
		PQclear(r);
		if (!err)
			err = pg_run(s, SQL_MIGRATION_DONE, "unable to record migration", NULL, "i",
				     (int64_t)m->version);
	}
	return pg_op_end(s, true, err);
}

static enum werr pg_migrate(struct store *st, int *from, int *to)
{
	struct pg_store *s = pg(st);
	enum werr err;
	int cur, i;

	if (s->in_tx) {
		pg_msg(s, "unable to migrate inside a transaction");
		return WERR_INVALID;
	}
	if ((err = read_version(s, &cur)))
		return err;
	if (from)
		*from = cur;
	if (to)
		*to = cur;
	if ((err = check_not_newer(s, cur)))
		return err;
	if (cur < PG_NEWEST && (s->flags & STORE_READONLY)) {
		pg_msg(s, "database schema version %d needs migrations up to %d; the store is open read-only", cur,
		       PG_NEWEST);
		return WERR_DB;
	}
	for (i = 0; i < NPG_MIGRATIONS; i++)
		if (pg_migrations[i].version > cur && (err = apply_migration(s, &pg_migrations[i])))
			return err;
	err = read_version(s, &cur);
	if (!err && to)
		*to = cur;
	return err;
}

/* ---- open and close ---- */

static void pg_close(struct store *st)
{
	struct pg_store *s = pg(st);

	if (!s)
		return;
	PQfinish(s->conn); /* an open transaction is rolled back by the server */
	pg_cache_release(s);
	tx_free(s);
	pg_evq_discard(s);
	pg_owq_discard(s);
	pg_later_discard(s);
	free(s);
}

static const struct store_ops pg_ops;

/* A notice (e.g. "relation exists, skipping") is not for the log. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

enum werr store_pg_open(const char *url, int flags, struct store **out, char *errbuf, size_t errcap)
{
	struct pg_store *s;
	enum werr err;
	int version;

	*out = NULL;
	if (errbuf && errcap)
		errbuf[0] = '\0';
	if (PG_NEWEST != store_schema_version()) {
		if (errbuf && errcap)
			snprintf(errbuf, errcap, "postgresql backend knows schema %d, schema version is %d",
				 PG_NEWEST, store_schema_version());
		return WERR_INTERNAL;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		if (errbuf && errcap)
			snprintf(errbuf, errcap, "out of memory");
		return WERR_NOMEM;
	}
	s->base.ops = &pg_ops;
	s->flags = flags;
	buf_init(&s->cache.names, BUF_MAX_DEFAULT);
	s->conn = PQconnectdb(url);
	if (!s->conn) {
		pg_msg(s, "out of memory");
		err = WERR_NOMEM;
		goto out;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		char line[200];

		/* libpq's message names host and port, never the password */
		first_line(line, sizeof(line), PQerrorMessage(s->conn));
		pg_msg(s, "unable to connect to postgresql: %s", line);
		err = WERR_STORAGE_DOWN;
		goto out;
	}
	PQsetNoticeProcessor(s->conn, quiet_notice, NULL);
	if ((err = configure(s)) || (err = read_version(s, &version)) || (err = check_not_newer(s, version)))
		goto out;
	if (!(flags & (STORE_READONLY | STORE_NO_MIGRATE))) {
		err = pg_migrate(&s->base, NULL, NULL);
	} else if ((flags & STORE_READONLY) && version < PG_NEWEST) {
		pg_msg(s, "database schema version %d is older than this build (%d); run 'wismo migrate'", version,
		       PG_NEWEST);
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
		pg_close(&s->base);
	}
	return err;
}

/* ---- transactions ---- */

static enum werr pg_begin(struct store *st)
{
	struct pg_store *s = pg(st);

	if (s->in_tx) {
		pg_msg(s, "a transaction is open already");
		return WERR_INVALID;
	}
	return begin_tx(s, !(s->flags & STORE_READONLY), true);
}

static enum werr pg_commit(struct store *st)
{
	return end_tx(pg(st), true);
}

static enum werr pg_rollback(struct store *st)
{
	return end_tx(pg(st), false);
}

static const struct store_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.migrate = pg_migrate,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.log = &pg_log_ops,
	.orders = &pg_order_ops,
	.keys = &pg_key_ops,
	.sources = &pg_source_ops,
	.kpis = &pg_kpi_ops,
	.notify = &pg_notify_ops,
	.settings = &pg_setting_ops,
	.fetch = &pg_fetch_ops,
	.privacy = &pg_privacy_ops,
	.exceptions = &pg_exception_ops,
	.returns = &pg_return_ops,
	.tickets = &pg_ticket_ops,
	.milestones = &pg_milestone_ops,
	.parcels = &pg_parcel_ops,
	.peers = &pg_peer_ops,
};
