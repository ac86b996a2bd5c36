/*
 * store_pg_sources.c - the PostgreSQL backend's source operations (store.h,
 * struct store_source_ops): what the adapters keep about their sources
 * (aliases of a source's references, events parked until their order is
 * known, codes no table maps, bodies refused) and the poller's schedule.
 * Tables aliases, parked, unmapped, unmapped_raw, rejected and polls
 * (schema/pg_v13.h).  The same statements as store_sqlite_sources.c; where
 * PostgreSQL differs: a column of the conflicting row is named by its
 * table in ON CONFLICT ... DO UPDATE (a bare name is ambiguous there),
 * unpark takes its rows with one DELETE ... RETURNING, and a parameter
 * PostgreSQL cannot type ($1 IS NULL) is cast.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../core/event_json.h"
#include "../base/banned.h"

/* A later body's word for a reference wins, but never blanks a field (an
 * empty field is sent as NULL: 's'). */
static const char SQL_ALIAS_PUT[] =
	"INSERT INTO aliases(source, ref, order_no, package, carrier, updated_at)"
	" VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(source, ref) DO UPDATE SET"
	" order_no = coalesce(excluded.order_no, aliases.order_no),"
	" package = coalesce(excluded.package, aliases.package),"
	" carrier = coalesce(excluded.carrier, aliases.carrier), updated_at = excluded.updated_at";
static const char SQL_ALIAS_FIND[] = "SELECT order_no, package, carrier FROM aliases WHERE source = $1 AND ref = $2";
static const char SQL_PARK[] =
	"INSERT INTO parked(key, source, ref, package, raw_id, received_at, body)"
	" VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(key) DO NOTHING";
/* Removes and returns in one statement, in SQLite's order.  "body, raw_id,
 * received_at": pg_read_event reads body and received_at (seq is not a
 * parked event's; raw_id takes its place). */
static const char SQL_UNPARK[] =
	"WITH taken AS (DELETE FROM parked"
	" WHERE package = $1::text OR ref = 'tracking:' || $1::text OR (ref = $3::text AND source = $2::text)"
	" RETURNING body, raw_id, received_at, key)"
	" SELECT body, raw_id, received_at, key FROM taken ORDER BY received_at, key";
static const char SQL_UNMAPPED_BUMP[] =
	"INSERT INTO unmapped(source, carrier, code, description, count, first_seen, last_seen,"
	" sample_raw_id, sample_event) VALUES($1, $2, $3, $4, 1, $5, $5, $6, $7)"
	" ON CONFLICT(source, carrier, code) DO UPDATE SET count = unmapped.count + 1,"
	" first_seen = LEAST(unmapped.first_seen, excluded.first_seen),"
	" last_seen = GREATEST(unmapped.last_seen, excluded.last_seen)";
static const char SQL_UNMAPPED_RAW_PUT[] =
	"INSERT INTO unmapped_raw(source, code, raw_id) VALUES($1, $2, $3) ON CONFLICT DO NOTHING";
/* A raw payload is one source's: the source only breaks a tie that cannot
 * happen. */
static const char SQL_REMAP_PENDING[] =
	"SELECT DISTINCT raw_id, source FROM unmapped_raw WHERE ($1::text IS NULL OR source = $1::text)"
	" AND ($2::text IS NULL OR code = $2::text) AND raw_id > $3 ORDER BY raw_id, source LIMIT $4";
static const char SQL_RAW_UNKNOWN_EVENTS[] =
	"SELECT body, seq, received_at FROM events e WHERE raw_id = $1 AND status = 'unknown'"
	" AND NOT EXISTS (SELECT 1 FROM events c WHERE c.supersedes = e.key) ORDER BY seq";
static const char SQL_REMAP_DONE[] = "DELETE FROM unmapped_raw WHERE source = $1 AND code = $2 AND raw_id = $3";
static const char SQL_UNMAPPED_FORGET[] =
	"DELETE FROM unmapped WHERE source = $1 AND code = $2"
	" AND NOT EXISTS (SELECT 1 FROM unmapped_raw r WHERE r.source = $1 AND r.code = $2)";
static const char SQL_UNMAPPED_LIST[] =
	"SELECT source, carrier, code, description, count, first_seen, last_seen, sample_raw_id,"
	" sample_event FROM unmapped ORDER BY last_seen DESC, source, carrier, code LIMIT $1";
static const char SQL_REJECT_PUT[] = "INSERT INTO rejected(source, reason, received_at, raw_id) VALUES($1, $2, $3, $4)";
static const char SQL_REJECTED_LIST[] =
	"SELECT id, source, reason, received_at, raw_id FROM rejected"
	" WHERE ($1::text IS NULL OR source = $1::text) ORDER BY id DESC LIMIT $2";
/* Packages of a carrier that are not final and whose turn has come,
 * the longest waiting first; a package never polled is due at once. */
static const char SQL_POLL_DUE[] =
	"SELECT p.tracking, p.status, coalesce(q.failures, 0) FROM packages p"
	" LEFT JOIN polls q ON q.tracking = p.tracking"
	" WHERE p.carrier = $1 AND p.status NOT IN ('delivered', 'returned_to_sender', 'cancelled')"
	" AND coalesce(q.next_at, 0) <= $2 ORDER BY coalesce(q.next_at, 0), p.tracking LIMIT $3";
static const char SQL_POLL_DONE[] =
	"INSERT INTO polls(tracking, next_at, failures, last_at) VALUES($1, $2, $3, $4)"
	" ON CONFLICT(tracking) DO UPDATE SET next_at = excluded.next_at,"
	" failures = excluded.failures, last_at = excluded.last_at";

static enum werr pg_alias_put(struct store *st, const char *source, const struct store_alias *a, int64_t at)
{
	return pg_run(pg(st), SQL_ALIAS_PUT, "unable to store alias", NULL, "sssssi", source, a->ref, a->order,
		      a->package, a->carrier, at);
}

static enum werr pg_alias_find(struct store *st, const char *source, const char *ref, struct store_alias *out)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	memset(out, 0, sizeof(*out));
	if ((err = pg_run(s, SQL_ALIAS_FIND, "unable to find alias", &r, "ss", source, ref)))
		return err;
	if (PQntuples(r) > 0) {
		err = pg_row(s, r, 0, "fff", PG_FIELD(out->order), PG_FIELD(out->package), PG_FIELD(out->carrier));
		snprintf(out->ref, sizeof(out->ref), "%s", ref);
	} else {
		pg_msg(s, "no alias '%s' of source '%s'", ref, source);
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

static enum werr pg_park_event(struct store *st, const struct event *ev, int64_t raw_id, bool *duplicate)
{
	struct pg_store *s = pg(st);
	struct buf body = BUF_INIT;
	PGresult *r = NULL;
	enum werr err;

	if ((err = event_to_json(ev, true, &body)))
		return err;
	if (!(err = pg_tx_filled(s, 'P')))
		err = pg_run(s, SQL_PARK, "unable to park event", &r, "ssssois", ev->key, ev->source, ev->ref,
			     ev->package, raw_id, ev->received_at, body.p);
	buf_release(&body);
	if (!err && duplicate)
		*duplicate = pg_changes(r) == 0;
	PQclear(r);
	return err;
}

static enum werr read_parked_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct parked_event *p = out;
	enum werr err = pg_read_event(s, r, row, &p->ev);

	p->raw_id = strtoll(PQgetvalue(r, row, 1), NULL, 10);
	p->ev.seq = 0;
	return err;
}

static void release_parked(void *rows, size_t n)
{
	parked_events_free(rows, n);
}

/* The rows go only if they are all read, as in SQLite (which reads before
 * it deletes): a failure rolls the DELETE back with the operation's own
 * transaction, or the caller's rollback does. */
/* 'P' in the write transaction's memory: the parked table is empty. */

static enum werr pg_unpark(struct store *st, const char *package, const char *source, const char *ref,
			   struct parked_event **out, size_t *n)
{
	struct pg_store *s = pg(st);
	bool own, none = false;
	enum werr err;

	*out = NULL;
	*n = 0;
	/* nothing parked (the usual case): nothing to ask */
	if ((err = pg_tx_empty(s, 'P', &none)) || none)
		return err;
	if ((err = pg_op_begin(s, true, &own)))
		return err;
	err = pg_query_rows(s, SQL_UNPARK, "unable to unpark events", sizeof(struct parked_event), read_parked_row,
			    release_parked, (void **)out, n, "sss", package, source, ref);
	if ((err = pg_op_end(s, own, err)) && *out) {
		parked_events_free(*out, *n); /* read, but the commit failed */
		*out = NULL;
		*n = 0;
	}
	return err;
}

static enum werr pg_unmapped_bump(struct store *st, const struct event *ev, int64_t raw_id)
{
	struct pg_store *s = pg(st);
	struct buf body = BUF_INIT;
	enum werr err;
	bool own;

	if ((err = event_to_json(ev, false, &body)))
		return err;
	if ((err = pg_op_begin(s, true, &own))) {
		buf_release(&body);
		return err;
	}
	/* carrier "" is a value here (part of the key), not NULL */
	err = pg_run(s, SQL_UNMAPPED_BUMP, "unable to count unmapped code", NULL, "sSSsiot", ev->source,
		     ev->carrier, ev->code, ev->description, ev->received_at, raw_id, body.p, body.len);
	buf_release(&body);
	/* its body is kept, whatever its age, until the code is remapped */
	if (!err && raw_id > 0)
		err = pg_run(s, SQL_UNMAPPED_RAW_PUT, "unable to keep the body", NULL, "SSi", ev->source, ev->code,
			     raw_id);
	return pg_op_end(s, own, err);
}

static enum werr read_remap_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct remap_row *m = out;

	return pg_row(s, r, row, "if", &m->raw_id, PG_FIELD(m->source));
}

static enum werr pg_remap_pending(struct store *st, const char *source, const char *code, int64_t after, int limit,
				  struct remap_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_REMAP_PENDING, "unable to list unmapped bodies", sizeof(struct remap_row),
			     read_remap_row, pg_release_plain, (void **)rows, n, "ssii", source, code, after,
			     (int64_t)limit);
}

static enum werr read_event_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	return pg_read_event(s, r, row, out);
}

static void release_events(void *rows, size_t n)
{
	event_array_free(rows, n);
}

static enum werr pg_raw_unknown_events(struct store *st, int64_t raw_id, struct event **evs, size_t *n)
{
	return pg_query_rows(pg(st), SQL_RAW_UNKNOWN_EVENTS, "unable to read a body's events", sizeof(struct event),
			     read_event_row, release_events, (void **)evs, n, "i", raw_id);
}

static enum werr pg_remap_done(struct store *st, const char *source, const char *code, int64_t raw_id)
{
	struct pg_store *s = pg(st);
	enum werr err;
	bool own;

	if ((err = pg_op_begin(s, true, &own)))
		return err;
	err = pg_run(s, SQL_REMAP_DONE, "unable to finish a remap", NULL, "SSi", source, code, raw_id);
	if (!err)
		err = pg_run(s, SQL_UNMAPPED_FORGET, "unable to finish a remap", NULL, "SS", source, code);
	return pg_op_end(s, own, err);
}

static enum werr read_unmapped_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct unmapped_row *u = out;

	return pg_row(s, r, row, "ffffiiiiD", PG_FIELD(u->source), PG_FIELD(u->carrier), PG_FIELD(u->code),
		      PG_FIELD(u->description), &u->count, &u->first_seen, &u->last_seen, &u->sample_raw_id,
		      &u->sample_event);
}

static void release_unmapped(void *rows, size_t n)
{
	unmapped_rows_free(rows, n);
}

static enum werr pg_unmapped_list(struct store *st, int limit, struct unmapped_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_UNMAPPED_LIST, "unable to list unmapped codes", sizeof(struct unmapped_row),
			     read_unmapped_row, release_unmapped, (void **)rows, n, "i", (int64_t)limit);
}

static enum werr pg_reject_put(struct store *st, const char *source, const char *reason, int64_t raw_id,
			       int64_t at)
{
	return pg_run(pg(st), SQL_REJECT_PUT, "unable to store rejection", NULL, "ssio", source, reason, at, raw_id);
}

static enum werr read_rejected_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct rejected_row *j = out;

	return pg_row(s, r, row, "ifcii", &j->id, PG_FIELD(j->source), PG_FIELD(j->reason), &j->received_at,
		      &j->raw_id);
}

static enum werr pg_rejected_list(struct store *st, const char *source, int limit, struct rejected_row **rows,
				  size_t *n)
{
	return pg_query_rows(pg(st), SQL_REJECTED_LIST, "unable to list rejected payloads",
			     sizeof(struct rejected_row), read_rejected_row, pg_release_plain, (void **)rows, n, "si",
			     source, (int64_t)limit);
}

static enum werr read_poll_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct poll_row *p = out;
	int st = ev_status_from_name(PQgetvalue(r, row, 1));

	p->status = st < 0 ? PKG_UNKNOWN : (enum pkg_status)st;
	return pg_row(s, r, row, "f-n", PG_FIELD(p->tracking), &p->failures);
}

static enum werr pg_poll_due(struct store *st, const char *carrier, int64_t now, int limit, struct poll_row **rows,
			     size_t *n)
{
	return pg_query_rows(pg(st), SQL_POLL_DUE, "unable to read the poll schedule", sizeof(struct poll_row),
			     read_poll_row, pg_release_plain, (void **)rows, n, "sii", carrier, now, (int64_t)limit);
}

static enum werr pg_poll_done(struct store *st, const char *tracking, int64_t next_at, int failures, int64_t at)
{
	return pg_run(pg(st), SQL_POLL_DONE, "unable to store the poll schedule", NULL, "siii", tracking, next_at,
		      (int64_t)failures, at);
}

const struct store_source_ops pg_source_ops = {
	.alias_put = pg_alias_put,
	.alias_find = pg_alias_find,
	.park_event = pg_park_event,
	.unpark = pg_unpark,
	.unmapped_bump = pg_unmapped_bump,
	.unmapped_list = pg_unmapped_list,
	.remap_pending = pg_remap_pending,
	.raw_unknown_events = pg_raw_unknown_events,
	.remap_done = pg_remap_done,
	.reject_put = pg_reject_put,
	.rejected_list = pg_rejected_list,
	.poll_due = pg_poll_due,
	.poll_done = pg_poll_done,
};
