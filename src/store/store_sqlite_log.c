/*
 * store_sqlite_log.c - the SQLite backend's log operations (store.h, struct
 * store_log_ops): raw payloads, the append-only event log, duplicates, and
 * the per-event stamps the writer adds (visible_at).  Tables raw_payloads,
 * events and duplicates (migrations 1 and 4).
 *
 * Raw payloads: a body that brought events is stored without a digest
 * (raw_add; the writer drops it again when all its events were duplicates);
 * a body without events is kept once per distinct body (put_raw): the
 * row's digest is the SHA-256 of the source, a NUL and the body (unique),
 * so a rejected webhook a source replays twenty times keeps one row
 * (docs/privacy.md).
 *
 * An event's columns are for lookups; its body (event_to_json with meta) is
 * what readers parse, so the two never disagree about what an event says.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "backend.h"
#include "../base/crypto.h"
#include "../base/walloc.h"
#include "../core/event_json.h"
#include "../base/banned.h"

#define EACH_ORDER_PAGE 256

/* A body delivered again keeps its first row; its received_at moves to the
 * latest delivery, so retention counts from the last time it came. */
static const char SQL_PUT_RAW[] =
	"INSERT INTO raw_payloads(source, content_type, received_at, body, digest) VALUES(?1, ?2, ?3, ?4, ?5)"
	" ON CONFLICT(digest) DO NOTHING";
static const char SQL_RAW_BY_DIGEST[] = "SELECT id FROM raw_payloads WHERE digest = ?1";
static const char SQL_RAW_DROP[] = "DELETE FROM raw_payloads WHERE id = ?1";
static const char SQL_RAW_GET[] = "SELECT content_type, body FROM raw_payloads WHERE id = ?1";
/* ON CONFLICT(key) rather than OR IGNORE: only a repeated key is a
 * duplicate; any other constraint failure stays an error. */
static const char SQL_APPEND[] =
	"INSERT INTO events(key, source, order_no, package, status, occurred_at, received_at,"
	" raw_id, body, carrier, supersedes) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	" ON CONFLICT(key) DO NOTHING";
/* The duplicate is filed under the first delivery's order and source;
 * first_received is when that first delivery arrived. */
static const char SQL_DUP_BUMP[] =
	"INSERT INTO duplicates(key, order_no, source, count, first_received, last_received)"
	" SELECT key, order_no, source, 1, received_at, ?2 FROM events WHERE key = ?1"
	" ON CONFLICT(key) DO UPDATE SET count = count + 1,"
	" last_received = max(last_received, excluded.last_received)";
static const char SQL_ORDER_EVENTS[] =
	"SELECT body, seq, received_at FROM events WHERE order_no = ?1 AND seq < ?2 ORDER BY seq";
static const char SQL_ORDER_DUPS[] =
	"SELECT key, source, count, first_received, last_received FROM duplicates"
	" WHERE order_no = ?1 ORDER BY key";
static const char SQL_ORDER_NUMBERS[] =
	"SELECT DISTINCT order_no FROM events WHERE order_no > ?1 ORDER BY order_no LIMIT ?2";
static const char SQL_COUNT_EVENTS[] = "SELECT count(*) FROM events";
static const char SQL_COUNT_DUPS[] = "SELECT coalesce(sum(count), 0) FROM duplicates";
static const char SQL_MARK_VISIBLE[] =
	"UPDATE events SET visible_at = ?2 WHERE seq >= ?1 AND visible_at IS NULL";
static const char SQL_EVENT_META[] =
	"SELECT key, coalesce(raw_id, 0), coalesce(visible_at, 0) FROM events WHERE order_no = ?1 ORDER BY seq";

/* Inserts a body with its digest (NULL: none, never a conflict); *inserted
 * says whether a row was added (else one with the digest exists). */
static enum werr insert_raw(struct sqlite_store *s, const char *source, const char *content_type, const void *body,
			    size_t len, int64_t received_at, const char *digest, bool *inserted)
{
	sqlite3_stmt *q = NULL;
	enum werr err;

	if (len > (size_t)INT_MAX) {
		sq_msg(s, "raw payload too large (%zu bytes)", len);
		return WERR_TOO_LARGE;
	}
	if ((err = sq_stmt(s, SQL_PUT_RAW, &q)))
		return err;
	/* a body of NULL is stored as an empty blob, not NULL */
	return sq_step_write(s, q,
			     sq_bind(q, "SSibs", source, content_type, received_at, body ? body : "", len, digest),
			     "unable to store raw payload", inserted);
}

static enum werr sq_put_raw(struct store *st, const char *source, const char *content_type, const void *body,
			    size_t len, int64_t received_at, int64_t *raw_id)
{
	struct sqlite_store *s = sq(st);
	char digest[SHA256_HEX_LEN + 1] = "";
	sqlite3_stmt *q = NULL;
	bool inserted = false;
	enum werr err;
	int rc;

	if (len <= (size_t)INT_MAX)
		be_raw_digest(source, body, len, digest);
	err = insert_raw(s, source, content_type, body, len, received_at, digest, &inserted);
	if (err || !raw_id)
		return err;
	if (inserted) {
		*raw_id = sqlite3_last_insert_rowid(s->db);
		return WERR_OK;
	}
	/* the same body came before: its events point to the first copy */
	if ((err = sq_stmt(s, SQL_RAW_BY_DIGEST, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", digest), "unable to find raw payload", &err);
	if (rc == SQLITE_ROW)
		err = sq_row(s, q, "i", raw_id);
	else if (rc == SQLITE_DONE && !err) {
		sq_msg(s, "raw payload %s vanished", digest);
		err = WERR_DB;
	}
	sq_done(q);
	return err;
}

/* No digest: no hash of the body, and no entry at a random place of the
 * digest index (a page written per request; docs/performance.md). */
static enum werr sq_raw_add(struct store *st, const char *source, const char *content_type, const void *body,
			    size_t len, int64_t received_at, int64_t *raw_id)
{
	struct sqlite_store *s = sq(st);
	enum werr err = insert_raw(s, source, content_type, body, len, received_at, NULL, NULL);

	if (!err && raw_id)
		*raw_id = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum werr sq_raw_drop(struct store *st, int64_t raw_id)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_RAW_DROP, &q);

	return err ? err : sq_step_write(s, q, sq_bind(q, "i", raw_id), "unable to drop raw payload", NULL);
}

static enum werr sq_raw_get(struct store *st, int64_t id, char content_type[128], struct buf *body)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_RAW_GET, &q);
	int rc;

	content_type[0] = '\0';
	if (err)
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "i", id), "unable to read raw payload", &err);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(q, 1);
		size_t n = (size_t)sqlite3_column_bytes(q, 1);

		sq_row(s, q, "c", content_type, (size_t)128);
		if (n && (!p || buf_append(body, p, n))) {
			sq_msg(s, "raw payload %lld does not fit", (long long)id);
			err = p ? WERR_TOO_LARGE : WERR_NOMEM;
		}
	} else if (rc == SQLITE_DONE) {
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

static enum werr bump_duplicate(struct sqlite_store *s, const struct event *ev)
{
	sqlite3_stmt *q = NULL;
	enum werr err;

	if ((err = sq_stmt(s, SQL_DUP_BUMP, &q)))
		return err;
	return sq_step_write(s, q, sq_bind(q, "Si", ev->key, ev->received_at), "unable to record duplicate", NULL);
}

static enum werr sq_append_event(struct store *st, struct event *ev, int64_t raw_id, bool *duplicate)
{
	struct sqlite_store *s = sq(st);
	struct buf body = BUF_INIT;
	struct event stored;
	sqlite3_stmt *q = NULL;
	bool own = false, changed = false;
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
	if ((err = sq_stmt(s, SQL_APPEND, &q)))
		goto out;
	/* package and carrier are optional (NULL when empty); carrier is
	 * there for the KPIs by carrier (schema/v4_web.h) */
	rc = sq_bind(q, "SSSsSiiotss", ev->key, ev->source, ev->order, ev->package, ev_status_name(ev->status),
		     ev->occurred_at, ev->received_at, raw_id, body.p, body.len, ev->carrier, ev->supersedes);
	if ((err = sq_step_write(s, q, rc, "unable to append event", &changed)))
		goto out;
	if (!changed) {
		err = bump_duplicate(s, ev);
		if (!err && duplicate)
			*duplicate = true;
		goto out;
	}
	ev->seq = sqlite3_last_insert_rowid(s->db);
out:
	err = sq_op_end(s, own, err);
	buf_release(&body);
	return err;
}

/* One stored event from "body, seq, received_at" (the parked table's rows
 * start the same way). */
enum werr sq_read_event(struct sqlite_store *s, sqlite3_stmt *q, struct event *ev)
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

/* SQLite answers an append without a round trip: nothing to learn ahead. */
static enum werr sq_append_hint(struct store *st, const char *const *keys, size_t n)
{
	(void)st;
	(void)keys;
	(void)n;
	return WERR_OK;
}

/* Nor a read: nothing to learn ahead of a refold either. */
static enum werr sq_refold_hint(struct store *st, const char *const *orders, size_t n, int64_t before)
{
	(void)st;
	(void)orders;
	(void)n;
	(void)before;
	return WERR_OK;
}

static void release_events(void *rows, size_t n)
{
	event_array_free(rows, n);
}

static enum werr read_event_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	return sq_read_event(s, q, row);
}

static enum werr sq_order_events(struct store *st, const char *order, int64_t before, struct event **evs,
			       size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_ORDER_EVENTS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "Si", order, before), sizeof(struct event),
			     read_event_row, "unable to read events", release_events, (void **)evs, n);
}

static enum werr read_dup_row(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct dup_row *r = row;

	return sq_row(s, q, "ffiii", SQ_FIELD(r->key), SQ_FIELD(r->source), &r->count, &r->first_received,
		      &r->last_received);
}

static enum werr sq_order_duplicates(struct store *st, const char *order, struct dup_row **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_ORDER_DUPS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "S", order), sizeof(struct dup_row), read_dup_row,
			     "unable to read duplicates", sq_release_plain, (void **)rows, n);
}

static enum werr sq_each_order(struct store *st, enum werr (*fn)(const char *order, void *ctx), void *ctx)
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
		err = sq_stmt(s, SQL_ORDER_NUMBERS, &q);
		if (err)
			break;
		n = 0;
		rc = sq_bind(q, "Si", after, (int64_t)EACH_ORDER_PAGE);
		while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
			err = sq_row(s, q, "f", batch[n], sizeof(batch[n]));
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

static enum werr sq_count_events(struct store *st, int64_t *events, int64_t *duplicates)
{
	struct sqlite_store *s = sq(st);
	int64_t ne = 0, nd = 0;
	enum werr err;

	err = sq_query_int(s, SQL_COUNT_EVENTS, "unable to count events", &ne);
	if (!err)
		err = sq_query_int(s, SQL_COUNT_DUPS, "unable to count duplicates", &nd);
	if (err)
		return err;
	if (events)
		*events = ne;
	if (duplicates)
		*duplicates = nd;
	return WERR_OK;
}

static enum werr sq_mark_visible(struct store *st, int64_t first_seq, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_MARK_VISIBLE, &q);

	if (err)
		return err;
	return sq_step_write(s, q, sq_bind(q, "ii", first_seq, at), "unable to mark events visible", NULL);
}

static enum werr read_meta(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct event_meta *r = row;

	return sq_row(s, q, "fii", SQ_FIELD(r->key), &r->raw_id, &r->visible_at);
}

static enum werr sq_event_meta(struct store *st, const char *order, struct event_meta **rows, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_EVENT_META, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "s", order), sizeof(**rows), read_meta,
			     "unable to read event metadata", sq_release_plain, (void **)rows, n);
}

#define REWIND_WAIT_MS 100 /* how long a rewind may hold the writer back */

static enum werr sq_checkpoint(struct store *st, bool rewind, int64_t *logged)
{
	struct sqlite_store *s = sq(st);
	int log = 0, done = 0, rc;

	sq_snapshots_pause();
	if (rewind)
		sqlite3_busy_timeout(s->db, REWIND_WAIT_MS);
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, rewind ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE,
				       &log, &done);
	if (rewind)
		sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	sq_snapshots_resume();
	if (logged)
		*logged = log > 0 ? log : 0;
	/* busy: a writer or reader holds what is left; the next pass takes it */
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? WERR_OK : sq_fail(s, rc, "unable to checkpoint");
}

static uint64_t sq_pages_written(struct store *st)
{
	int cur = 0, high = 0;

	sqlite3_db_status(sq(st)->db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &high, 0);
	return (uint64_t)(unsigned)cur;
}

const struct store_log_ops sq_log_ops = {
	.checkpoint = sq_checkpoint,
	.pages_written = sq_pages_written,
	.raw_add = sq_raw_add,
	.raw_drop = sq_raw_drop,
	.put_raw = sq_put_raw,
	.raw_get = sq_raw_get,
	.append_event = sq_append_event,
	.append_hint = sq_append_hint,
	.refold_hint = sq_refold_hint,
	.order_events = sq_order_events,
	.order_duplicates = sq_order_duplicates,
	.each_order = sq_each_order,
	.count_events = sq_count_events,
	.mark_visible = sq_mark_visible,
	.event_meta = sq_event_meta,
};
