/*
 * store_sqlite_sources.c - the SQLite backend's source operations (store.h,
 * struct store_source_ops): what the adapters keep about their sources
 * (aliases of a source's references, events parked until their order is
 * known, codes no table maps, bodies refused) and the poller's schedule.
 * Tables aliases, parked, unmapped, rejected (migration 2) and polls
 * (migration 3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "../core/event_json.h"
#include "../base/banned.h"

/* A later body's word for a reference wins, but never blanks a field. */
static const char SQL_ALIAS_PUT[] =
	"INSERT INTO aliases(source, ref, order_no, package, carrier, updated_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(source, ref) DO UPDATE SET"
	" order_no = coalesce(excluded.order_no, order_no),"
	" package = coalesce(excluded.package, package),"
	" carrier = coalesce(excluded.carrier, carrier), updated_at = excluded.updated_at";
static const char SQL_ALIAS_FIND[] = "SELECT order_no, package, carrier FROM aliases WHERE source = ?1 AND ref = ?2";
static const char SQL_PARK[] =
	"INSERT INTO parked(key, source, ref, package, raw_id, received_at, body)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(key) DO NOTHING";
/* "body, raw_id, received_at": sq_read_event reads body and received_at
 * (seq is not a parked event's; raw_id takes its place). */
static const char SQL_PARKED_TAKE[] =
	"SELECT body, raw_id, received_at, key FROM parked"
	" WHERE package = ?1 OR ref = 'tracking:' || ?1 OR (ref = ?3 AND source = ?2)"
	" ORDER BY received_at, key";
static const char SQL_PARKED_DELETE[] = "DELETE FROM parked WHERE key = ?1";
static const char SQL_UNMAPPED_BUMP[] =
	"INSERT INTO unmapped(source, carrier, code, description, count, first_seen, last_seen,"
	" sample_raw_id, sample_event) VALUES(?1, ?2, ?3, ?4, 1, ?5, ?5, ?6, ?7)"
	" ON CONFLICT(source, carrier, code) DO UPDATE SET count = count + 1,"
	" first_seen = min(first_seen, excluded.first_seen),"
	" last_seen = max(last_seen, excluded.last_seen)";
static const char SQL_UNMAPPED_RAW_PUT[] =
	"INSERT OR IGNORE INTO unmapped_raw(source, code, raw_id) VALUES(?1, ?2, ?3)";
static const char SQL_REMAP_PENDING[] =
	"SELECT DISTINCT raw_id, source FROM unmapped_raw WHERE (?1 IS NULL OR source = ?1)"
	" AND (?2 IS NULL OR code = ?2) AND raw_id > ?3 ORDER BY raw_id LIMIT ?4";
static const char SQL_RAW_UNKNOWN_EVENTS[] =
	"SELECT body, seq, received_at FROM events e WHERE raw_id = ?1 AND status = 'unknown'"
	" AND NOT EXISTS (SELECT 1 FROM events c WHERE c.supersedes = e.key) ORDER BY seq";
static const char SQL_REMAP_DONE[] = "DELETE FROM unmapped_raw WHERE source = ?1 AND code = ?2 AND raw_id = ?3";
static const char SQL_UNMAPPED_FORGET[] =
	"DELETE FROM unmapped WHERE source = ?1 AND code = ?2"
	" AND NOT EXISTS (SELECT 1 FROM unmapped_raw WHERE source = ?1 AND code = ?2)";
static const char SQL_UNMAPPED_LIST[] =
	"SELECT source, carrier, code, description, count, first_seen, last_seen, sample_raw_id,"
	" sample_event FROM unmapped ORDER BY last_seen DESC, source, carrier, code LIMIT ?1";
static const char SQL_REJECT_PUT[] = "INSERT INTO rejected(source, reason, received_at, raw_id) VALUES(?1, ?2, ?3, ?4)";
static const char SQL_REJECTED_LIST[] =
	"SELECT id, source, reason, received_at, raw_id FROM rejected"
	" WHERE (?1 IS NULL OR source = ?1) ORDER BY id DESC LIMIT ?2";
/* Packages of a carrier that are not final and whose turn has come,
 * the longest waiting first; a package never polled is due at once. */
static const char SQL_POLL_DUE[] =
	"SELECT p.tracking, p.status, coalesce(q.failures, 0) FROM packages p"
	" LEFT JOIN polls q ON q.tracking = p.tracking"
	" WHERE p.carrier = ?1 AND p.status NOT IN ('delivered', 'returned_to_sender', 'cancelled')"
	" AND coalesce(q.next_at, 0) <= ?2 ORDER BY coalesce(q.next_at, 0), p.tracking LIMIT ?3";
static const char SQL_POLL_DONE[] =
	"INSERT INTO polls(tracking, next_at, failures, last_at) VALUES(?1, ?2, ?3, ?4)"
	" ON CONFLICT(tracking) DO UPDATE SET next_at = excluded.next_at,"
	" failures = excluded.failures, last_at = excluded.last_at";

static enum werr sq_alias_put(struct store *st, const char *source, const struct store_alias *a, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_ALIAS_PUT, &q);

	if (err)
		return err;
	return sq_step_write(s, q, sq_bind(q, "sssssi", source, a->ref, a->order, a->package, a->carrier, at),
			     "unable to store alias", NULL);
}

static enum werr sq_alias_find(struct store *st, const char *source, const char *ref, struct store_alias *out)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_ALIAS_FIND, &q);
	int rc;

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "ss", source, ref), "unable to find alias", &err);
	if (rc == SQLITE_ROW) {
		err = sq_row(s, q, "fff", SQ_FIELD(out->order), SQ_FIELD(out->package), SQ_FIELD(out->carrier));
		snprintf(out->ref, sizeof(out->ref), "%s", ref);
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no alias '%s' of source '%s'", ref, source);
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

static enum werr sq_park_event(struct store *st, const struct event *ev, int64_t raw_id, bool *duplicate)
{
	struct sqlite_store *s = sq(st);
	struct buf body = BUF_INIT;
	sqlite3_stmt *q;
	bool changed = false;
	enum werr err;

	if ((err = event_to_json(ev, true, &body)))
		return err;
	if (!(err = sq_stmt(s, SQL_PARK, &q)))
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
	enum werr err = sq_read_event(s, q, &p->ev);

	p->raw_id = sqlite3_column_int64(q, 1);
	p->ev.seq = 0;
	return err;
}

static void release_parked(void *rows, size_t n)
{
	parked_events_free(rows, n);
}

static enum werr sq_unpark(struct store *st, const char *package, const char *source, const char *ref,
			   struct parked_event **out, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL, *del;
	enum werr err = sq_stmt(s, SQL_PARKED_TAKE, &q);

	err = sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "sss", package, source, ref),
			    sizeof(struct parked_event), read_parked_row, "unable to read parked events",
			    release_parked, (void **)out, n);
	for (size_t i = 0; !err && i < *n; i++)
		if (!(err = sq_stmt(s, SQL_PARKED_DELETE, &del)))
			err = sq_step_write(s, del, sq_bind(del, "s", (*out)[i].ev.key), "unable to unpark event",
					    NULL);
	if (err && *out) {
		parked_events_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

static enum werr sq_unmapped_bump(struct store *st, const struct event *ev, int64_t raw_id)
{
	struct sqlite_store *s = sq(st);
	struct buf body = BUF_INIT;
	sqlite3_stmt *q;
	enum werr err;

	if ((err = event_to_json(ev, false, &body)))
		return err;
	/* carrier "" is a value here (part of the key), not NULL */
	if (!(err = sq_stmt(s, SQL_UNMAPPED_BUMP, &q)))
		err = sq_step_write(s, q,
				    sq_bind(q, "sSSsiot", ev->source, ev->carrier, ev->code, ev->description,
					    ev->received_at, raw_id, body.p, body.len),
				    "unable to count unmapped code", NULL);
	buf_release(&body);
	/* its body is kept, whatever its age, until the code is remapped */
	if (!err && raw_id > 0 && !(err = sq_stmt(s, SQL_UNMAPPED_RAW_PUT, &q)))
		err = sq_step_write(s, q, sq_bind(q, "SSi", ev->source, ev->code, raw_id), "unable to keep the body",
				    NULL);
	return err;
}

static enum werr read_remap_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct remap_row *r = row;

	return sq_row(s, q, "if", &r->raw_id, SQ_FIELD(r->source));
}

static enum werr sq_remap_pending(struct store *st, const char *source, const char *code, int64_t after, int limit,
				  struct remap_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_REMAP_PENDING, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ssii", source, code, after, (int64_t)limit),
			     sizeof(struct remap_row), read_remap_row, "unable to list unmapped bodies",
			     sq_release_plain, (void **)rows, n);
}

static enum werr read_event_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	return sq_read_event(s, q, row);
}

static void release_events(void *rows, size_t n)
{
	event_array_free(rows, n);
}

static enum werr sq_raw_unknown_events(struct store *st, int64_t raw_id, struct event **evs, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_RAW_UNKNOWN_EVENTS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "i", raw_id), sizeof(struct event), read_event_row,
			     "unable to read a body's events", release_events, (void **)evs, n);
}

static enum werr sq_remap_done(struct store *st, const char *source, const char *code, int64_t raw_id)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;

	if (!(err = sq_stmt(s, SQL_REMAP_DONE, &q)))
		err = sq_step_write(s, q, sq_bind(q, "SSi", source, code, raw_id), "unable to finish a remap", NULL);
	if (!err && !(err = sq_stmt(s, SQL_UNMAPPED_FORGET, &q)))
		err = sq_step_write(s, q, sq_bind(q, "SS", source, code), "unable to finish a remap", NULL);
	return err;
}

static enum werr read_unmapped_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct unmapped_row *r = row;

	return sq_row(s, q, "ffffiiiiD", SQ_FIELD(r->source), SQ_FIELD(r->carrier), SQ_FIELD(r->code),
		      SQ_FIELD(r->description), &r->count, &r->first_seen, &r->last_seen, &r->sample_raw_id,
		      &r->sample_event);
}

static void release_unmapped(void *rows, size_t n)
{
	unmapped_rows_free(rows, n);
}

static enum werr sq_unmapped_list(struct store *st, int limit, struct unmapped_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_UNMAPPED_LIST, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "i", (int64_t)limit), sizeof(struct unmapped_row),
			     read_unmapped_row, "unable to list unmapped codes", release_unmapped, (void **)rows, n);
}

static enum werr sq_reject_put(struct store *st, const char *source, const char *reason, int64_t raw_id,
			       int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_REJECT_PUT, &q);

	if (err)
		return err;
	return sq_step_write(s, q, sq_bind(q, "ssio", source, reason, at, raw_id), "unable to store rejection",
			     NULL);
}

static enum werr read_rejected_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct rejected_row *r = row;

	return sq_row(s, q, "ifcii", &r->id, SQ_FIELD(r->source), SQ_FIELD(r->reason), &r->received_at,
		      &r->raw_id);
}

static enum werr sq_rejected_list(struct store *st, const char *source, int limit, struct rejected_row **rows,
				  size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_REJECTED_LIST, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "si", source, (int64_t)limit),
			     sizeof(struct rejected_row), read_rejected_row, "unable to list rejected payloads",
			     sq_release_plain, (void **)rows, n);
}

static enum werr read_poll_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct poll_row *r = row;
	int st = ev_status_from_name(sq_col_text(q, 1));

	r->status = st < 0 ? PKG_UNKNOWN : (enum pkg_status)st;
	return sq_row(s, q, "f-n", SQ_FIELD(r->tracking), &r->failures);
}

static enum werr sq_poll_due(struct store *st, const char *carrier, int64_t now, int limit, struct poll_row **rows,
			     size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_POLL_DUE, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "sii", carrier, now, (int64_t)limit),
			     sizeof(struct poll_row), read_poll_row, "unable to read the poll schedule",
			     sq_release_plain, (void **)rows, n);
}

static enum werr sq_poll_done(struct store *st, const char *tracking, int64_t next_at, int failures, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_POLL_DONE, &q);

	if (err)
		return err;
	return sq_step_write(s, q, sq_bind(q, "siii", tracking, next_at, (int64_t)failures, at),
			     "unable to store the poll schedule", NULL);
}

const struct store_source_ops sq_source_ops = {
	.alias_put = sq_alias_put,
	.alias_find = sq_alias_find,
	.park_event = sq_park_event,
	.unpark = sq_unpark,
	.unmapped_bump = sq_unmapped_bump,
	.unmapped_list = sq_unmapped_list,
	.remap_pending = sq_remap_pending,
	.raw_unknown_events = sq_raw_unknown_events,
	.remap_done = sq_remap_done,
	.reject_put = sq_reject_put,
	.rejected_list = sq_rejected_list,
	.poll_due = sq_poll_due,
	.poll_done = sq_poll_done,
};
