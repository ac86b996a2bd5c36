/*
 * store_pg_log.c - the PostgreSQL backend's log operations (store.h, struct
 * store_log_ops): raw payloads, the append-only event log, duplicates, and
 * the per-event stamps the writer adds (visible_at).  Tables raw_payloads,
 * events and duplicates (schema/pg_v13.h).
 *
 * Raw payloads: a body that brought events is stored without a digest
 * (raw_add; the writer drops it again when all its events were duplicates);
 * a body without events is kept once per distinct body (put_raw): the
 * row's digest is the SHA-256 of the source, a NUL and the body (unique),
 * so a rejected webhook a source replays twenty times keeps one row
 * (docs/privacy.md).  Bodies are bytea.
 *
 * An event's columns are for lookups; its body (event_to_json with meta) is
 * what readers parse (pg_read_event), so the two never disagree about what
 * an event says.
 *
 * A repeated key or digest is never a failed statement (which would abort
 * the writer's whole transaction): the inserts say ON CONFLICT DO NOTHING
 * RETURNING the new id, and no row back means the key or digest was there.
 *
 * Appends without waiting: an event's seq is the log's highest plus one,
 * read once per write transaction and counted on (the write lock keeps every
 * other writer out; the column's identity default is not used), and
 * append_hint reads a whole batch's keys in one statement.  An event whose
 * key the transaction knows is new is then inserted without waiting for the
 * answer (without ON CONFLICT: a wrong guess fails the transaction rather
 * than losing the event); a known key is a duplicate at once.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "backend.h"
#include "../base/crypto.h"
#include "../base/walloc.h"
#include "../core/event_json.h"
#include "../base/banned.h"

#define EACH_ORDER_PAGE 256

/* A body with a digest seen before adds no row (no id comes back); one
 * without a digest (NULL) never conflicts. */
static const char SQL_PUT_RAW[] =
	"INSERT INTO raw_payloads(source, content_type, received_at, body, digest) VALUES($1, $2, $3, $4, $5)"
	" ON CONFLICT(digest) DO NOTHING RETURNING id";
static const char SQL_RAW_BY_DIGEST[] = "SELECT id FROM raw_payloads WHERE digest = $1";
static const char SQL_RAW_DROP[] = "DELETE FROM raw_payloads WHERE id = $1";
static const char SQL_RAW_GET[] = "SELECT content_type, body FROM raw_payloads WHERE id = $1";
/* ON CONFLICT(key): only a repeated key is a duplicate; any other
 * constraint failure stays an error.  seq is given here, not by the
 * column's identity: under the write lock the next one is the log's
 * highest plus one, read once per transaction ('s' in the transaction's
 * memory), so an append whose key is known to be new needs no answer. */
static const char SQL_APPEND[] =
	"INSERT INTO events(seq, key, source, order_no, package, status, occurred_at, received_at,"
	" raw_id, body, carrier, supersedes) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
	" ON CONFLICT(key) DO NOTHING RETURNING seq";
/* A key the transaction read as absent: no ON CONFLICT, so that a wrong
 * hint fails the transaction loudly instead of losing the event. */
static const char SQL_APPEND_NEW[] =
	"INSERT INTO events(seq, key, source, order_no, package, status, occurred_at, received_at,"
	" raw_id, body, carrier, supersedes) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
static const char SQL_NEXT_SEQ[] = "SELECT coalesce(max(seq), 0) + 1 FROM events";
static const char SQL_KEYS_HELD[] = "SELECT key FROM events WHERE key = ANY($1::text[])";
/* The duplicate is filed under the first delivery's order and source;
 * first_received is when that first delivery arrived. */
static const char SQL_DUP_BUMP[] =
	"INSERT INTO duplicates(key, order_no, source, count, first_received, last_received)"
	" SELECT key, order_no, source, 1, received_at, $2::bigint FROM events WHERE key = $1"
	" ON CONFLICT(key) DO UPDATE SET count = duplicates.count + 1,"
	" last_received = GREATEST(duplicates.last_received, excluded.last_received)";
static const char SQL_ORDER_EVENTS[] =
	"SELECT body, seq, received_at FROM events WHERE order_no = $1 AND seq < $2 ORDER BY seq";
static const char SQL_ORDER_DUPS[] =
	"SELECT key, source, count, first_received, last_received FROM duplicates"
	" WHERE order_no = $1 ORDER BY key";
static const char SQL_ORDER_NUMBERS[] =
	"SELECT DISTINCT order_no FROM events WHERE order_no > $1 ORDER BY order_no LIMIT $2";
static const char SQL_COUNT_EVENTS[] = "SELECT count(*) FROM events";
static const char SQL_COUNT_DUPS[] = "SELECT coalesce(sum(count), 0)::bigint FROM duplicates";
static const char SQL_MARK_VISIBLE[] =
	"UPDATE events SET visible_at = $2 WHERE seq >= $1 AND visible_at IS NULL";
static const char SQL_EVENT_META[] =
	"SELECT key, coalesce(raw_id, 0), coalesce(visible_at, 0) FROM events WHERE order_no = $1 ORDER BY seq";

/* Inserts a body with its digest (NULL or "": none, never a conflict);
 * *raw_id (may be NULL) gets the new row's id, 0 when none was added (one
 * with the digest exists). */
static enum werr insert_raw(struct pg_store *s, const char *source, const char *content_type, const void *body,
			    size_t len, int64_t received_at, const char *digest, int64_t *raw_id)
{
	PGresult *r = NULL;
	enum werr err;

	if (raw_id)
		*raw_id = 0;
	if (len > (size_t)INT32_MAX) {
		pg_msg(s, "raw payload too large (%zu bytes)", len);
		return WERR_TOO_LARGE;
	}
	/* a body of NULL is stored as an empty bytea, not NULL */
	err = pg_run(s, SQL_PUT_RAW, "unable to store raw payload", &r, "SSibs", source, content_type, received_at,
		     body, len, digest);
	if (err)
		return err;
	if (PQntuples(r) > 0 && raw_id)
		err = pg_row(s, r, 0, "i", raw_id);
	PQclear(r);
	return err;
}

static enum werr pg_put_raw(struct store *st, const char *source, const char *content_type, const void *body,
			    size_t len, int64_t received_at, int64_t *raw_id)
{
	struct pg_store *s = pg(st);
	char digest[SHA256_HEX_LEN + 1] = "";
	int64_t id = 0;
	bool found = false;
	enum werr err;

	if (len <= (size_t)INT32_MAX)
		be_raw_digest(source, body, len, digest);
	err = insert_raw(s, source, content_type, body, len, received_at, digest, &id);
	if (err || !raw_id)
		return err;
	if (id) {
		*raw_id = id;
		return WERR_OK;
	}
	/* the same body came before: its events point to the first copy */
	err = pg_query_int(s, SQL_RAW_BY_DIGEST, "unable to find raw payload", raw_id, &found, "S", digest);
	if (!err && !found) {
		pg_msg(s, "raw payload %s vanished", digest);
		err = WERR_DB;
	}
	return err;
}

/* No digest: no hash of the body, and no entry in the digest index
 * (docs/performance.md). */
static enum werr pg_raw_add(struct store *st, const char *source, const char *content_type, const void *body,
			    size_t len, int64_t received_at, int64_t *raw_id)
{
	return insert_raw(pg(st), source, content_type, body, len, received_at, NULL, raw_id);
}

static enum werr pg_raw_drop(struct store *st, int64_t raw_id)
{
	return pg_run(pg(st), SQL_RAW_DROP, "unable to drop raw payload", NULL, "i", raw_id);
}

static enum werr pg_raw_get(struct store *st, int64_t id, char content_type[128], struct buf *body)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	content_type[0] = '\0';
	if ((err = pg_run(s, SQL_RAW_GET, "unable to read raw payload", &r, "i", id)))
		return err;
	if (PQntuples(r) > 0) {
		pg_row(s, r, 0, "c", content_type, (size_t)128);
		err = pg_bytea(s, r, 0, 1, body);
	} else {
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

static enum werr bump_duplicate(struct pg_store *s, const struct event *ev)
{
	return pg_run(s, SQL_DUP_BUMP, "unable to record duplicate", NULL, "Si", ev->key, ev->received_at);
}

/* The seq the next event gets (read once per transaction, then counted). */
static enum werr next_seq(struct pg_store *s, int64_t *seq)
{
	const int64_t *known = pg_tx_get(s, 's', "");

	if (known) {
		*seq = *known;
		return WERR_OK;
	}
	return pg_query_int(s, SQL_NEXT_SEQ, "unable to read the log's end", seq, NULL, "");
}

/* Inserts ev's row with the next seq; *seq gets it, 0 when the key exists.
 * new_key: the key is known not to be in the log (append_hint), so the
 * answer is not waited for. */
static enum werr insert_event(struct pg_store *s, const struct event *ev, int64_t raw_id, const struct buf *body,
			      bool new_key, int64_t *seq)
{
	static const char present = 'P';
	PGresult *r = NULL;
	int64_t next;
	enum werr err;

	*seq = 0;
	if ((err = next_seq(s, &next)))
		return err;
	/* package and carrier are optional (NULL when empty); carrier is
	 * there for the KPIs by carrier */
	err = pg_run(s, new_key ? SQL_APPEND_NEW : SQL_APPEND, "unable to append event", new_key ? NULL : &r,
		     "iSSSsSiiotss", next, ev->key, ev->source, ev->order, ev->package, ev_status_name(ev->status),
		     ev->occurred_at, ev->received_at, raw_id, body->p, body->len, ev->carrier, ev->supersedes);
	if (err)
		return err;
	if (new_key)
		*seq = next;
	else if (PQntuples(r) > 0)
		err = pg_row(s, r, 0, "i", seq);
	PQclear(r);
	if (!err && *seq) {
		next = *seq + 1;
		if ((err = pg_tx_put(s, 's', "", &next, sizeof(next))) ||
		    (err = pg_tx_put(s, 'k', ev->key, &present, 1)))
			pg_msg(s, "out of memory appending events");
	}
	return err;
}

/* One statement for a job's keys: each is remembered as in the log ('P')
 * or not ('A') for the rest of the transaction (pg_int.h). */
static enum werr pg_append_hint(struct store *st, const char *const *keys, size_t n)
{
	static const char present = 'P', absent = 'A';
	struct pg_store *s = pg(st);
	struct buf arr = BUF_INIT;
	PGresult *r = NULL;
	enum werr err = WERR_OK;

	if (!s->piped || !n)
		return WERR_OK; /* only a write transaction remembers */
	/* a text[] literal; keys are printable ASCII without quotes or backslashes */
	err = buf_putc(&arr, '{');
	for (size_t i = 0; i < n && !err; i++) {
		if (strpbrk(keys[i], "\"{},") || !keys[i][0])
			goto out; /* not a key this hint can carry: no hint */
		if (!(err = buf_puts(&arr, i ? ",\"" : "\"")) && !(err = buf_puts(&arr, keys[i])))
			err = buf_putc(&arr, '"');
	}
	if (!err)
		err = buf_putc(&arr, '}');
	if (err || (err = pg_run(s, SQL_KEYS_HELD, "unable to read event keys", &r, "S", arr.p)))
		goto out;
	for (size_t i = 0; i < n && !err; i++)
		err = pg_tx_put(s, 'k', keys[i], &absent, 1);
	for (int i = 0; i < PQntuples(r) && !err; i++)
		err = pg_tx_put(s, 'k', PQgetvalue(r, i, 0), &present, 1);
	if (err == WERR_NOMEM)
		pg_msg(s, "out of memory reading event keys");
out:
	PQclear(r);
	buf_release(&arr);
	return err;
}

static enum werr pg_append_event(struct store *st, struct event *ev, int64_t raw_id, bool *duplicate)
{
	struct pg_store *s = pg(st);
	struct buf body = BUF_INIT;
	struct event stored;
	const char *known;
	int64_t seq = 0;
	bool own = false;
	enum werr err;

	if (duplicate)
		*duplicate = false;
	if (!ev->key[0] || !ev->source[0] || !ev->order[0]) {
		pg_msg(s, "unable to append event: key, source and order are required");
		return WERR_INVALID;
	}
	/* The body is written before the server assigns seq: store it with
	 * seq 0; readers take seq (and received_at) from their columns. */
	stored = *ev;
	stored.seq = 0;
	err = event_to_json(&stored, true, &body);
	if (err) {
		pg_msg(s, "unable to encode event '%s': %s", ev->key, werr_name(err));
		goto out;
	}
	if ((err = pg_op_begin(s, true, &own)))
		goto out;
	/* a key the transaction knows is in the log is a duplicate at once */
	known = pg_tx_get(s, 'k', ev->key);
	if ((!known || *known != 'P') && (err = insert_event(s, ev, raw_id, &body, known && *known == 'A', &seq)))
		goto end;
	if (!seq) {
		err = bump_duplicate(s, ev);
		if (!err && duplicate)
			*duplicate = true;
		goto end;
	}
	ev->seq = seq;
end:
	err = pg_op_end(s, own, err);
out:
	buf_release(&body);
	return err;
}

static void release_events(void *rows, size_t n)
{
	event_array_free(rows, n);
}

static enum werr read_event_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	return pg_read_event(s, r, row, out);
}

static enum werr pg_order_events(struct store *st, const char *order, int64_t before, struct event **evs,
				 size_t *n)
{
	return pg_query_rows(pg(st), SQL_ORDER_EVENTS, "unable to read events", sizeof(struct event),
			     read_event_row, release_events, (void **)evs, n, "Si", order, before);
}

static enum werr read_dup_row(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct dup_row *d = out;

	return pg_row(s, r, row, "ffiii", PG_FIELD(d->key), PG_FIELD(d->source), &d->count, &d->first_received,
		      &d->last_received);
}

static enum werr pg_order_duplicates(struct store *st, const char *order, struct dup_row **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_ORDER_DUPS, "unable to read duplicates", sizeof(struct dup_row),
			     read_dup_row, pg_release_plain, (void **)rows, n, "S", order);
}

/* Reads one page of order numbers after `after` into batch; *n rows. */
static enum werr order_page(struct pg_store *s, const char *after, char (*batch)[EV_ORDER_MAX + 1], size_t *n)
{
	PGresult *r = NULL;
	enum werr err;
	int i, rows;

	*n = 0;
	err = pg_run(s, SQL_ORDER_NUMBERS, "unable to list order numbers", &r, "Si", after,
		     (int64_t)EACH_ORDER_PAGE);
	if (err)
		return err;
	rows = PQntuples(r);
	for (i = 0; i < rows && i < EACH_ORDER_PAGE && !err; i++)
		err = pg_row(s, r, i, "f", batch[i], sizeof(batch[i]));
	if (!err)
		*n = (size_t)i;
	PQclear(r);
	return err;
}

static enum werr pg_each_order(struct store *st, enum werr (*fn)(const char *order, void *ctx), void *ctx)
{
	struct pg_store *s = pg(st);
	char (*batch)[EV_ORDER_MAX + 1];
	char after[EV_ORDER_MAX + 1] = "";
	size_t n, i;
	enum werr err;

	/* Pages of order numbers, each result released before any callback:
	 * fn may use this handle or another one, and may take its time. */
	batch = malloc(EACH_ORDER_PAGE * sizeof(*batch));
	if (!batch) {
		pg_msg(s, "out of memory listing order numbers");
		return WERR_NOMEM;
	}
	do {
		if ((err = order_page(s, after, batch, &n)))
			break;
		for (i = 0; i < n && !err; i++)
			err = fn(batch[i], ctx);
		if (n)
			memcpy(after, batch[n - 1], sizeof(after));
	} while (!err && n == EACH_ORDER_PAGE);
	free(batch);
	return err;
}

static enum werr pg_count_events(struct store *st, int64_t *events, int64_t *duplicates)
{
	struct pg_store *s = pg(st);
	int64_t ne = 0, nd = 0;
	enum werr err;

	err = pg_query_int(s, SQL_COUNT_EVENTS, "unable to count events", &ne, NULL, "");
	if (!err)
		err = pg_query_int(s, SQL_COUNT_DUPS, "unable to count duplicates", &nd, NULL, "");
	if (err)
		return err;
	if (events)
		*events = ne;
	if (duplicates)
		*duplicates = nd;
	return WERR_OK;
}

static enum werr pg_mark_visible(struct store *st, int64_t first_seq, int64_t at)
{
	return pg_run(pg(st), SQL_MARK_VISIBLE, "unable to mark events visible", NULL, "ii", first_seq, at);
}

static enum werr read_meta(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct event_meta *m = out;

	return pg_row(s, r, row, "fii", PG_FIELD(m->key), &m->raw_id, &m->visible_at);
}

static enum werr pg_event_meta(struct store *st, const char *order, struct event_meta **rows, size_t *n)
{
	return pg_query_rows(pg(st), SQL_EVENT_META, "unable to read event metadata", sizeof(**rows), read_meta,
			     pg_release_plain, (void **)rows, n, "s", order);
}

/* The server keeps its own write-ahead log and checkpoints it itself: there
 * is nothing for a client to copy or rewind, and no log this handle could
 * count pages of.  Always WERR_OK with *logged = 0. */
static enum werr pg_checkpoint(struct store *st, bool rewind, int64_t *logged)
{
	(void)st;
	(void)rewind;
	if (logged)
		*logged = 0;
	return WERR_OK;
}

/* Pages written are the server's business (its statistics views count
 * per server, not per connection): always 0, so the writer's pages per
 * commit read 0 and never call for a checkpoint. */
static uint64_t pg_pages_written(struct store *st)
{
	(void)st;
	return 0;
}

const struct store_log_ops pg_log_ops = {
	.checkpoint = pg_checkpoint,
	.pages_written = pg_pages_written,
	.raw_add = pg_raw_add,
	.raw_drop = pg_raw_drop,
	.put_raw = pg_put_raw,
	.raw_get = pg_raw_get,
	.append_event = pg_append_event,
	.append_hint = pg_append_hint,
	.order_events = pg_order_events,
	.order_duplicates = pg_order_duplicates,
	.each_order = pg_each_order,
	.count_events = pg_count_events,
	.mark_visible = pg_mark_visible,
	.event_meta = pg_event_meta,
};
