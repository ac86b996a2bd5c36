/*
 * copy.c - a SQLite store into a PostgreSQL one (contract in copy.h).
 *
 * It reads the SQLite file with SQLite's own API and writes with libpq's
 * COPY, table by table, so it knows both backends' insides; nothing else
 * does.  The tables and columns come from the source's schema: a table the
 * destination lacks, or whose columns differ, stops the copy with its name.
 */
#include "copy.h"

#include <stdio.h>
#include <string.h>

#include "store.h"

#ifndef WISMO_HAVE_PG

enum werr store_copy(const char *from, const char *to, copy_progress_fn progress, void *ctx, size_t *tables,
		     int64_t *rows, char *errbuf, size_t errcap)
{
	(void)from;
	(void)to;
	(void)progress;
	(void)ctx;
	(void)tables;
	(void)rows;
	snprintf(errbuf, errcap, "this build has no postgresql backend (libpq not found)");
	return WERR_UNSUPPORTED;
}

#else

#include <inttypes.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>

#include "pg_int.h"
#include "../base/buf.h"
#include "../base/banned.h"

#define MAX_COLS 32
#define SQL_MAX 8192 /* a statement naming every column twice, and the table */

struct table {
	char name[64];
	int ncols;
	char cols[MAX_COLS][64];
	bool bytea[MAX_COLS];  /* the destination column is bytea */
	char pk[MAX_COLS * 66]; /* "a, b": the primary key, the copy's order */
	int npk;
	bool int_pk;            /* one integer key column: resumed after the destination's highest */
	char list[MAX_COLS * 66]; /* "a, b, c": every column */
};

struct copy {
	sqlite3 *src;
	PGconn *dst;
	char *err;
	size_t errcap;
	copy_progress_fn progress;
	void *ctx;
};

static enum werr fail(struct copy *c, enum werr err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum werr fail(struct copy *c, enum werr err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errcap, fmt, ap);
	va_end(ap);
	return err;
}

/* libpq's message, its first line. */
static const char *pg_line(PGconn *conn, char *out, size_t cap)
{
	const char *m = PQerrorMessage(conn);
	size_t n = strcspn(m, "\r\n");

	snprintf(out, cap, "%.*s", (int)n, m);
	return out;
}

/* Runs a statement on the destination; *res (may be NULL) gets its result. */
static enum werr pg_do(struct copy *c, const char *sql, int nparams, const char *const *params, PGresult **res)
{
	PGresult *r = PQexecParams(c->dst, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	char line[200];

	if (res)
		*res = NULL;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		PQclear(r);
		return fail(c, WERR_DB, "postgresql: %s", pg_line(c->dst, line, sizeof(line)));
	}
	if (res)
		*res = r;
	else
		PQclear(r);
	return WERR_OK;
}

static enum werr pg_int(struct copy *c, const char *sql, const char *param, int64_t *v)
{
	PGresult *r;
	enum werr err = pg_do(c, sql, param ? 1 : 0, param ? &param : NULL, &r);

	if (err)
		return err;
	*v = PQntuples(r) && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return WERR_OK;
}

static enum werr sq_int(struct copy *c, const char *sql, int64_t *v)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(c->src, sql, -1, &q, NULL);

	*v = 0;
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
		*v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return fail(c, WERR_DB, "sqlite: %s", sqlite3_errmsg(c->src));
	return WERR_OK;
}

static bool plain_name(const char *s)
{
	if (!*s || strlen(s) >= 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* The columns and key of one source table, checked against the destination's. */
static enum werr describe(struct copy *c, struct table *t)
{
	static const char DST_COLS[] =
		"SELECT column_name, data_type FROM information_schema.columns"
		" WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position";
	char sql[128];
	sqlite3_stmt *q;
	PGresult *r;
	const char *name = t->name;
	enum werr err;
	int rc, ndst;

	snprintf(sql, sizeof(sql), "PRAGMA table_info(\"%s\")", t->name);
	if (sqlite3_prepare_v2(c->src, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(c, WERR_DB, "sqlite: %s", sqlite3_errmsg(c->src));
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *col = (const char *)sqlite3_column_text(q, 1), *type = (const char *)sqlite3_column_text(q, 2);
		int pk = sqlite3_column_int(q, 5);

		if (t->ncols == MAX_COLS || !col || !plain_name(col)) {
			sqlite3_finalize(q);
			return fail(c, WERR_UNSUPPORTED, "table %s: unexpected column", t->name);
		}
		snprintf(t->cols[t->ncols], sizeof(t->cols[0]), "%s", col);
		if (pk) {
			t->npk++;
			t->int_pk = t->npk == 1 && type && !strcmp(type, "INTEGER");
		}
		t->ncols++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return fail(c, WERR_DB, "sqlite: %s", sqlite3_errmsg(c->src));
	/* the key's columns in key order (table_info's pk field is 1-based) */
	if ((rc = sqlite3_prepare_v2(c->src, sql, -1, &q, NULL)) != SQLITE_OK)
		return fail(c, WERR_DB, "sqlite: %s", sqlite3_errmsg(c->src));
	for (int k = 1; k <= t->npk; k++) {
		sqlite3_reset(q);
		while (sqlite3_step(q) == SQLITE_ROW)
			if (sqlite3_column_int(q, 5) == k)
				snprintf(t->pk + strlen(t->pk), sizeof(t->pk) - strlen(t->pk), "%s%s", k > 1 ? ", " : "",
					 (const char *)sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);
	if (!t->npk) /* a rerun could not tell its rows from the first run's */
		return fail(c, WERR_UNSUPPORTED, "table %s has no primary key", t->name);
	for (int i = 0; i < t->ncols; i++)
		snprintf(t->list + strlen(t->list), sizeof(t->list) - strlen(t->list), "%s%s", i ? ", " : "",
			 t->cols[i]);
	if ((err = pg_do(c, DST_COLS, 1, &name, &r)))
		return err;
	ndst = PQntuples(r);
	for (int i = 0; i < t->ncols && !err; i++) {
		int j;

		for (j = 0; j < ndst && strcmp(PQgetvalue(r, j, 0), t->cols[i]); j++)
			;
		if (j == ndst)
			err = fail(c, WERR_UNSUPPORTED, "table %s: the destination has no column %s", t->name, t->cols[i]);
		else
			t->bytea[i] = !strcmp(PQgetvalue(r, j, 1), "bytea");
	}
	if (!err && ndst != t->ncols)
		err = fail(c, WERR_UNSUPPORTED, "table %s: %d columns in the source, %d in the destination", t->name,
			   t->ncols, ndst);
	PQclear(r);
	return err;
}

/* Appends one value in COPY's text format. */
static enum werr put_value(struct buf *b, sqlite3_stmt *q, int i, bool bytea)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	int n;
	enum werr err = WERR_OK;

	switch (sqlite3_column_type(q, i)) {
	case SQLITE_NULL:
		return buf_puts(b, "\\N");
	case SQLITE_INTEGER: {
		char num[24];
		snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(q, i));
		return buf_puts(b, num);
	}
	case SQLITE_FLOAT: {
		char num[40];
		snprintf(num, sizeof(num), "%.17g", sqlite3_column_double(q, i));
		return buf_puts(b, num);
	}
	}
	if (bytea) {
		p = sqlite3_column_blob(q, i);
		n = sqlite3_column_bytes(q, i);
		err = buf_puts(b, "\\\\x");
		for (int k = 0; k < n && !err; k++)
			if (!(err = buf_putc(b, hex[p[k] >> 4])))
				err = buf_putc(b, hex[p[k] & 15]);
		return err;
	}
	p = sqlite3_column_text(q, i);
	n = sqlite3_column_bytes(q, i);
	for (int k = 0; k < n && !err; k++) {
		switch (p[k]) {
		case '\\': err = buf_puts(b, "\\\\"); break;
		case '\t': err = buf_puts(b, "\\t"); break;
		case '\n': err = buf_puts(b, "\\n"); break;
		case '\r': err = buf_puts(b, "\\r"); break;
		case '\0': return WERR_INVALID; /* PostgreSQL's text holds no NUL */
		default: err = buf_putc(b, (char)p[k]);
		}
	}
	return err;
}

/* One batch: COPY into the staging table, then into the table, skipping
 * rows that are there; one transaction under the write lock.  *last gets
 * the last row's integer key; *n the rows read (0: the table is done). */
static enum werr copy_batch(struct copy *c, const struct table *t, sqlite3_stmt *q, int64_t *last, int *n)
{
	static const char LOCK[] = "SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")";
	struct buf b = BUF_INIT;
	char sql[SQL_MAX], line[200];
	enum werr err;
	PGresult *r;
	int rc = SQLITE_OK;

	*n = 0;
	if ((err = pg_do(c, "BEGIN", 0, NULL, NULL)) || (err = pg_do(c, LOCK, 0, NULL, NULL)))
		goto out;
	snprintf(sql, sizeof(sql), "COPY wismo_copy_stage (%s) FROM STDIN", t->list);
	r = PQexec(c->dst, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		PQclear(r);
		err = fail(c, WERR_DB, "postgresql: %s", pg_line(c->dst, line, sizeof(line)));
		goto out;
	}
	PQclear(r);
	while (*n < COPY_BATCH && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		b.len = 0;
		for (int i = 0; i < t->ncols && !err; i++)
			if (!(err = i ? buf_putc(&b, '\t') : WERR_OK))
				err = put_value(&b, q, i, t->bytea[i]);
		if (!err)
			err = buf_putc(&b, '\n');
		if (err) {
			PQputCopyEnd(c->dst, "wismo copy: a value does not fit");
			err = fail(c, err, "table %s: a value cannot be copied (a NUL byte in text, or out of memory)",
				   t->name);
			goto drain;
		}
		if (PQputCopyData(c->dst, b.p, (int)b.len) != 1) {
			err = fail(c, WERR_DB, "postgresql: %s", pg_line(c->dst, line, sizeof(line)));
			goto drain;
		}
		if (t->int_pk)
			*last = sqlite3_column_int64(q, 0);
		(*n)++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		PQputCopyEnd(c->dst, "wismo copy: the source failed");
		err = fail(c, WERR_DB, "sqlite: %s", sqlite3_errmsg(c->src));
		goto drain;
	}
	if (PQputCopyEnd(c->dst, NULL) != 1)
		err = fail(c, WERR_DB, "postgresql: %s", pg_line(c->dst, line, sizeof(line)));
drain:
	while ((r = PQgetResult(c->dst))) {
		if (!err && PQresultStatus(r) != PGRES_COMMAND_OK)
			err = fail(c, WERR_DB, "postgresql: %s", pg_line(c->dst, line, sizeof(line)));
		PQclear(r);
	}
	if (err)
		goto out;
	snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) SELECT %s FROM wismo_copy_stage ON CONFLICT DO NOTHING",
		 t->name, t->list, t->list);
	if (!(err = pg_do(c, sql, 0, NULL, NULL)) && !(err = pg_do(c, "TRUNCATE wismo_copy_stage", 0, NULL, NULL)))
		err = pg_do(c, "COMMIT", 0, NULL, NULL);
out:
	if (err) {
		char keep[256];

		snprintf(keep, sizeof(keep), "%s", c->err);
		pg_do(c, "ROLLBACK", 0, NULL, NULL);
		snprintf(c->err, c->errcap, "%s", keep);
	}
	buf_release(&b);
	return err;
}

static enum werr copy_table(struct copy *c, struct table *t, int64_t *total)
{
	char sql[SQL_MAX];
	const char *tname = t->name;
	sqlite3_stmt *q = NULL;
	int64_t last = 0, done = 0;
	enum werr err;
	int n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", t->name);
	if ((err = sq_int(c, sql, total)))
		return err;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", t->name);
	if ((err = pg_int(c, sql, NULL, &done)))
		return err;
	if (done > *total)
		return fail(c, WERR_EXISTS, "table %s: the destination holds %" PRId64 " rows, the source %" PRId64
			    " (copy into a new database)", t->name, done, *total);
	if (done == *total) { /* copied before */
		if (c->progress)
			c->progress(c->ctx, t->name, done, *total);
		return WERR_OK;
	}
	/* the staging table: the destination's columns, no key, no identity */
	snprintf(sql, sizeof(sql), "CREATE TEMP TABLE wismo_copy_stage AS SELECT %s FROM %s WITH NO DATA", t->list,
		 t->name);
	if ((err = pg_do(c, "DROP TABLE IF EXISTS wismo_copy_stage", 0, NULL, NULL)) ||
	    (err = pg_do(c, sql, 0, NULL, NULL)))
		return err;
	if (t->int_pk) {
		snprintf(sql, sizeof(sql), "SELECT coalesce(max(%s), 0) FROM %s", t->pk, t->name);
		if ((err = pg_int(c, sql, NULL, &last)))
			return err;
		snprintf(sql, sizeof(sql), "SELECT %s FROM \"%s\" WHERE %s > ?1 ORDER BY %s", t->list, t->name, t->pk,
			 t->pk);
	} else {
		snprintf(sql, sizeof(sql), "SELECT %s FROM \"%s\" ORDER BY %s", t->list, t->name, t->pk);
	}
	/* an integer key must be the first column for *last (it is in every table) */
	if (t->int_pk && strcmp(t->cols[0], t->pk))
		return fail(c, WERR_UNSUPPORTED, "table %s: the key is not the first column", t->name);
	if (sqlite3_prepare_v2(c->src, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(c, WERR_DB, "sqlite: %s", sqlite3_errmsg(c->src));
	if (t->int_pk)
		sqlite3_bind_int64(q, 1, last);
	do {
		if ((err = copy_batch(c, t, q, &last, &n)))
			break;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", t->name);
		if ((err = pg_int(c, sql, NULL, &done)))
			break;
		if (c->progress)
			c->progress(c->ctx, t->name, done, *total);
	} while (n == COPY_BATCH);
	sqlite3_finalize(q);
	if (err)
		return err;
	/* identity columns go on after the copied ids */
	if (t->int_pk) {
		snprintf(sql, sizeof(sql),
			 "SELECT setval(pg_get_serial_sequence($1, '%s'), max(%s)) FROM %s HAVING max(%s) IS NOT NULL",
			 t->pk, t->pk, t->name, t->pk);
		if ((err = pg_do(c, sql, 1, &tname, NULL)))
			return err;
	}
	return WERR_OK;
}

/* The source's tables, in the order they were made. */
static enum werr list_tables(struct copy *c, struct table **out, size_t *n)
{
	static const char sql[] = "SELECT name FROM sqlite_master WHERE type = 'table'"
				  " AND name NOT IN ('schema_migrations', 'sqlite_sequence') ORDER BY rowid";
	struct table *ts = NULL, *grown;
	sqlite3_stmt *q;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(c->src, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(c, WERR_DB, "sqlite: %s", sqlite3_errmsg(c->src));
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);

		if (!name || !plain_name(name)) {
			sqlite3_finalize(q);
			free(ts);
			return fail(c, WERR_UNSUPPORTED, "unexpected table '%s' in the source", name ? name : "");
		}
		if (!(grown = realloc(ts, (*n + 1) * sizeof(*ts)))) {
			sqlite3_finalize(q);
			free(ts);
			return fail(c, WERR_NOMEM, "out of memory");
		}
		ts = grown;
		memset(&ts[*n], 0, sizeof(ts[0]));
		snprintf(ts[(*n)++].name, sizeof(ts[0].name), "%s", name);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		free(ts);
		return fail(c, WERR_DB, "sqlite: %s", sqlite3_errmsg(c->src));
	}
	*out = ts;
	return WERR_OK;
}

enum werr store_copy(const char *from, const char *to, copy_progress_fn progress, void *ctx, size_t *tables,
		     int64_t *rows, char *errbuf, size_t errcap)
{
	struct copy c = { .err = errbuf, .errcap = errcap, .progress = progress, .ctx = ctx };
	struct table *ts = NULL;
	struct store *st = NULL;
	size_t nt = 0;
	int64_t v, sum = 0;
	char line[200];
	enum werr err;

	if (tables)
		*tables = 0;
	if (rows)
		*rows = 0;
	if (strncmp(from, "sqlite:", 7) || !from[7])
		return fail(&c, WERR_INVALID, "copy reads a sqlite:PATH store");
	if (strncmp(to, "postgres://", 11) && strncmp(to, "postgresql://", 13))
		return fail(&c, WERR_INVALID, "copy writes to a postgres:// store");
	if (sqlite3_open_v2(from + 7, &c.src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		err = fail(&c, WERR_IO, "cannot open %s: %s", from + 7, c.src ? sqlite3_errmsg(c.src) : "no memory");
		goto out;
	}
	sqlite3_busy_timeout(c.src, 5000);
	if ((err = sq_int(&c, "SELECT coalesce(max(version), 0) FROM schema_migrations", &v)))
		goto out;
	if (v != store_schema_version()) {
		err = fail(&c, WERR_UNSUPPORTED, "the source is at schema %" PRId64 ", this build at %d: run 'wismo "
			   "migrate' on it first", v, store_schema_version());
		goto out;
	}
	/* migrates the destination to the same schema */
	if ((err = store_open(to, 0, &st, errbuf, errcap)))
		goto out;
	store_close(st);
	c.dst = PQconnectdb(to);
	if (PQstatus(c.dst) != CONNECTION_OK) {
		err = fail(&c, WERR_STORAGE_DOWN, "unable to connect to postgresql: %s",
			   pg_line(c.dst, line, sizeof(line)));
		goto out;
	}
	/* one snapshot of the source for the whole copy */
	if (sqlite3_exec(c.src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		err = fail(&c, WERR_DB, "sqlite: %s", sqlite3_errmsg(c.src));
		goto out;
	}
	if ((err = pg_do(&c, "SET client_min_messages = warning", 0, NULL, NULL)) ||
	    (err = list_tables(&c, &ts, &nt)))
		goto out;
	for (size_t i = 0; i < nt && !err; i++)
		if (!(err = describe(&c, &ts[i])))
			err = copy_table(&c, &ts[i], &v);
	/* every table counted on both sides */
	for (size_t i = 0; i < nt && !err; i++) {
		char sql[128];
		int64_t a, b;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", ts[i].name);
		if ((err = sq_int(&c, sql, &a)))
			break;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", ts[i].name);
		if ((err = pg_int(&c, sql, NULL, &b)))
			break;
		if (a != b)
			err = fail(&c, WERR_DB, "table %s: %" PRId64 " rows in the source, %" PRId64
				   " in the destination", ts[i].name, a, b);
		sum += a;
	}
	if (!err && tables)
		*tables = nt;
	if (!err && rows)
		*rows = sum;
out:
	free(ts);
	PQfinish(c.dst);
	sqlite3_close(c.src);
	return err;
}

#endif
