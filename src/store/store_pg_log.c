/*
 * store_pg_log.c - the PostgreSQL backend's log operations (store.h, struct
 * store_log_ops): raw payloads, the append-only event log, duplicates, and
 * the per-event stamps the writer adds (visible_at).  Tables raw_payloads,
 * events and duplicates (schema/pg_v13.h), event_batches
 * (schema/v15_batches.h).
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
 * key the transaction knows is new is then held back and the transaction's
 * held-back events go as one multi-row INSERT (pg_int.h: behind the refold
 * hint, before COMMIT stamped with visible_at, or before any statement that
 * names the events table), without ON CONFLICT: a wrong guess fails the
 * transaction rather than losing the event.  A known key is a duplicate at
 * once.  Raw payloads' ids are counted as seq is (pg_counted), so a body's
 * row needs no answer either.
 *
 * refold_hint asks, in one statement for a batch's orders, which of them
 * have no events before the batch, no packages, lanes, exceptions, tasks,
 * returns or exception checks (pg_tx_none): the refold's reads of those
 * are then answered from the transaction's memory (docs/scale-out.md).
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
 * without a digest (NULL) never conflicts, so its answer is not waited
 * for.  The id is counted (pg_counted). */
static const char SQL_PUT_RAW[] =
	"INSERT INTO raw_payloads(id, source, content_type, received_at, body, digest) VALUES($1, $2, $3, $4, $5, $6)"
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
/* The held-back events (pg_int.h): one row per element of the arrays;
 * visible_at $13 (NULL when sent before store_mark_visible). */
static const char SQL_APPEND_MANY[] =
	"INSERT INTO events(seq, key, source, order_no, package, status, occurred_at, received_at,"
	" raw_id, body, carrier, supersedes, visible_at)"
	" SELECT t.*, $13::bigint FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],"
	" $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::text[], $12::text[]) AS t";
/* Which of a batch's orders have rows of each kind the writer's refold reads
 * (store.h refold_hint). */
/* An order without events before the batch has no projection rows
 * (store.h, refold_hint): its other tables are not probed (AND stops at
 * false; OFFSET 0 keeps the planner from copying the events probe into
 * each column), one index probe instead of seven for a new order. */
static const char SQL_REFOLD_HINT[] =
	"SELECT o, e, e AND EXISTS (SELECT 1 FROM packages WHERE order_no = o),"
	" e AND EXISTS (SELECT 1 FROM package_lanes WHERE order_no = o),"
	" e AND EXISTS (SELECT 1 FROM order_exceptions WHERE order_no = o),"
	" e AND EXISTS (SELECT 1 FROM tasks WHERE order_no = o),"
	" e AND EXISTS (SELECT 1 FROM returns WHERE order_no = o),"
	" e AND EXISTS (SELECT 1 FROM exception_checks WHERE order_no = o)"
	" FROM unnest($1::text[]) AS o CROSS JOIN LATERAL"
	" (SELECT EXISTS (SELECT 1 FROM events WHERE order_no = o AND seq < $2) AS e OFFSET 0) AS x";
/* One index probe per key (a lateral subquery cannot become a hash join):
 * "key = ANY($1)" made the planner scan the whole log for a batch of 1,600
 * keys (21 ms at 10^5 events) while the probes take a few. */
static const char SQL_KEYS_HELD[] =
	"SELECT t.k FROM unnest($1::text[]) AS t(k) CROSS JOIN LATERAL (SELECT 1 FROM events WHERE key = t.k LIMIT 1) e";
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
/* events before those of this transaction (pg_mark_visible): $3 its first;
 * neither stamped nor in a stamped batch */
static const char SQL_MARK_VISIBLE[] =
	"UPDATE events SET visible_at = $2 WHERE seq >= $1 AND seq < $3 AND " PG_VISIBLE_AT " = 0";
/* the events of a batch written without their visible_at (pg_mark_visible) */
static const char SQL_BATCH_VISIBLE[] =
	"INSERT INTO event_batches(first_seq, last_seq, visible_at) VALUES($1, $2, $3)";
static const char SQL_EVENT_META[] =
	"SELECT key, coalesce(raw_id, 0), " PG_VISIBLE_AT " FROM events WHERE order_no = $1 ORDER BY seq";

/* Inserts a body with its digest (NULL or "": none, never a conflict);
 * *raw_id (may be NULL) gets the new row's id, 0 when none was added (one
 * with the digest exists). */
static enum werr insert_raw(struct pg_store *s, const char *source, const char *content_type, const void *body,
			    size_t len, int64_t received_at, const char *digest, int64_t *raw_id)
{
	PGresult *r = NULL;
	int64_t id, next;
	bool own = false, added = true;
	enum werr err;

	if (raw_id)
		*raw_id = 0;
	if (len > (size_t)INT32_MAX) {
		pg_msg(s, "raw payload too large (%zu bytes)", len);
		return WERR_TOO_LARGE;
	}
	/* the id is counted under the write lock */
	if ((err = pg_op_begin(s, true, &own)) || (err = pg_counted(s, 'R', &id)))
		return pg_op_end(s, own, err);
	/* a body of NULL is stored as an empty bytea, not NULL */
	err = pg_run(s, SQL_PUT_RAW, "unable to store raw payload", digest && digest[0] ? &r : NULL, "iSSibs", id,
		     source, content_type, received_at, body, len, digest);
	if (!err && r)
		added = PQntuples(r) > 0;
	PQclear(r);
	next = id + 1;
	if (!err && added && (err = pg_tx_put(s, 'R', "", &next, sizeof(next))))
		pg_msg(s, "out of memory storing a raw payload");
	if (!err && added && raw_id)
		*raw_id = id;
	return pg_op_end(s, own, err);
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

/* ---- events held back until one statement carries them (pg_int.h) ---- */

enum { EVQ_COLS = 12, EVQ_MAX = 4096 /* rows per statement */ };
#define EVQ_BYTES ((size_t)8 << 20) /* bodies per statement */

struct pg_evq {
	struct buf col[EVQ_COLS]; /* text[] / bigint[] literals without their braces */
	size_t n;
	int64_t first_seq, last_seq; /* the first and last queued rows' seq */
	bool hold;                /* a read of the log before first_seq: no need to send */
	int64_t mine;             /* the first seq this transaction appended, 0: none */
	int64_t unstamped;        /* the last seq this transaction wrote without visible_at, 0: none */
};

static void evq_int(struct buf *b, int64_t v, bool null)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	pg_array_elem(b, num, strlen(num), null);
}

static void evq_str(struct buf *b, const char *v, bool optional)
{
	pg_array_elem(b, v ? v : "", v ? strlen(v) : 0, optional && (!v || !v[0]));
}

static struct pg_evq *evq_get(struct pg_store *s)
{
	if (s->evq)
		return s->evq;
	if (!(s->evq = calloc(1, sizeof(*s->evq)))) {
		pg_msg(s, "out of memory appending events");
		return NULL;
	}
	for (int i = 0; i < EVQ_COLS; i++)
		buf_init(&s->evq->col[i], BUF_MAX_DEFAULT);
	return s->evq;
}

static enum werr evq_add(struct pg_store *s, const struct event *ev, int64_t seq, int64_t raw_id,
			 const struct buf *body)
{
	struct pg_evq *q = evq_get(s);
	struct buf *c;
	enum werr err = WERR_OK;

	if (!q)
		return WERR_NOMEM;
	if ((q->n == EVQ_MAX || q->col[9].len > EVQ_BYTES) && (err = pg_evq_send(s)))
		return err;
	c = q->col;
	if (!q->n)
		q->first_seq = seq;
	q->last_seq = seq;
	evq_int(&c[0], seq, false);
	evq_str(&c[1], ev->key, false);
	evq_str(&c[2], ev->source, false);
	evq_str(&c[3], ev->order, false);
	evq_str(&c[4], ev->package, true);
	evq_str(&c[5], ev_status_name(ev->status), false);
	evq_int(&c[6], ev->occurred_at, false);
	evq_int(&c[7], ev->received_at, false);
	evq_int(&c[8], raw_id, !raw_id);
	pg_array_elem(&c[9], body->p, body->len, false);
	evq_str(&c[10], ev->carrier, true);
	evq_str(&c[11], ev->supersedes, true);
	q->n++;
	for (int i = 0; i < EVQ_COLS && !err; i++)
		err = buf_error(&c[i]);
	if (err)
		pg_msg(s, "unable to hold back event '%s': %s", ev->key, werr_name(err));
	return err;
}

bool pg_evq_waiting(const struct pg_store *s, const char *sql)
{
	return s->evq && s->evq->n && !s->evq->hold && strstr(sql, "events");
}

/* Sends the queue with visible_at (0: NULL). */
static enum werr evq_send_at(struct pg_store *s, int64_t visible_at)
{
	struct pg_evq *q = s->evq;
	struct buf lit[EVQ_COLS];
	enum werr err;

	if (!q || !q->n)
		return WERR_OK;
	err = pg_array_literals(q->col, EVQ_COLS, lit); /* the queue starts over */
	if (!visible_at && q->last_seq > q->unstamped)
		q->unstamped = q->last_seq;
	q->n = 0;
	if (err)
		pg_msg(s, "unable to send held-back events: %s", werr_name(err));
	else
		err = pg_run(s, SQL_APPEND_MANY, "unable to append events", NULL, "SSSSSSSSSSSSo", lit[0].p, lit[1].p,
			     lit[2].p, lit[3].p, lit[4].p, lit[5].p, lit[6].p, lit[7].p, lit[8].p, lit[9].p, lit[10].p,
			     lit[11].p, visible_at);
	for (int i = 0; i < EVQ_COLS; i++)
		buf_release(&lit[i]);
	return err;
}

enum werr pg_evq_send(struct pg_store *s)
{
	return evq_send_at(s, 0);
}

void pg_evq_discard(struct pg_store *s)
{
	if (!s->evq)
		return;
	for (int i = 0; i < EVQ_COLS; i++)
		buf_release(&s->evq->col[i]);
	free(s->evq);
	s->evq = NULL;
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
	if ((err = pg_counted(s, 's', &next)))
		return err;
	/* package and carrier are optional (NULL when empty); carrier is
	 * there for the KPIs by carrier.  A new key is held back (pg_int.h). */
	if (new_key)
		err = evq_add(s, ev, next, raw_id, body);
	else if (!(err = pg_run(s, SQL_APPEND, "unable to append event", &r, "iSSSsSiiotss", next, ev->key,
				ev->source, ev->order, ev->package, ev_status_name(ev->status), ev->occurred_at,
				ev->received_at, raw_id, body->p, body->len, ev->carrier, ev->supersedes))) {
		if (!evq_get(s))
			err = WERR_NOMEM;
	}
	if (err)
		return err;
	if (new_key)
		*seq = next;
	else if (PQntuples(r) > 0 && !(err = pg_row(s, r, 0, "i", seq)) && *seq > s->evq->unstamped)
		s->evq->unstamped = *seq; /* for store_mark_visible */
	PQclear(r);
	if (!err && *seq && !s->evq->mine)
		s->evq->mine = *seq;
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
	char *arr = NULL;
	PGresult *r = NULL;
	enum werr err;

	if (!s->piped || !n)
		return WERR_OK; /* only a write transaction remembers */
	if ((err = pg_text_array(s, keys, n, &arr)) ||
	    (err = pg_run_planned(s, SQL_KEYS_HELD, "unable to read event keys", &r, "S", arr)))
		goto out;
	for (size_t i = 0; i < n && !err; i++)
		err = pg_tx_put(s, 'k', keys[i], &absent, 1);
	for (int i = 0; i < PQntuples(r) && !err; i++)
		err = pg_tx_put(s, 'k', PQgetvalue(r, i, 0), &present, 1);
	if (err == WERR_NOMEM)
		pg_msg(s, "out of memory reading event keys");
out:
	PQclear(r);
	free(arr);
	return err;
}

/* One statement for a batch's orders: each kind an order has no rows of is
 * remembered (pg_tx_none; 'e' keeps the seq its events were counted before). */
static enum werr pg_refold_hint(struct store *st, const char *const *orders, size_t n, int64_t before)
{
	static const char none = 'N';
	static const char kinds[] = "plxtrh"; /* columns 2.. of SQL_REFOLD_HINT */
	struct pg_store *s = pg(st);
	char *arr = NULL;
	PGresult *r = NULL;
	bool hold;
	enum werr err;

	if (!s->piped || !n)
		return WERR_OK; /* only a write transaction remembers */
	if ((err = pg_text_array(s, orders, n, &arr)))
		return err;
	/* it counts only events before the held-back ones: they go behind it,
	 * and the server inserts them while the writer folds (pg_run_ahead) */
	hold = s->evq && s->evq->n && before <= s->evq->first_seq;
	if (hold)
		s->evq->hold = true;
	err = pg_run_ahead(s, SQL_REFOLD_HINT, "unable to look ahead at orders", &r, hold ? pg_evq_send : NULL, "Si",
			   arr, before);
	if (hold)
		s->evq->hold = false;
	for (int i = 0; !err && i < PQntuples(r); i++) {
		const char *order = PQgetvalue(r, i, 0);
		if (*PQgetvalue(r, i, 1) == 'f')
			err = pg_tx_put(s, 'e', order, &before, sizeof(before));
		for (int k = 0; kinds[k] && !err; k++)
			if (*PQgetvalue(r, i, 2 + k) == 'f')
				err = pg_tx_put(s, kinds[k], order, &none, 1);
	}
	if (err == WERR_NOMEM)
		pg_msg(s, "out of memory looking ahead at orders");
	PQclear(r);
	free(arr);
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
	struct pg_store *s = pg(st);
	/* the rows held back come after `before`: this read needs none of them */
	bool hold = s->evq && s->evq->n && before <= s->evq->first_seq;
	const int64_t *none_before = pg_tx_get(s, 'e', order);
	enum werr err;

	if (none_before && before <= *none_before) { /* refold_hint: none */
		*evs = NULL;
		*n = 0;
		return WERR_OK;
	}

	if (hold)
		s->evq->hold = true;
	err = pg_query_rows(s, SQL_ORDER_EVENTS, "unable to read events", sizeof(struct event), read_event_row,
			    release_events, (void **)evs, n, "Si", order, before);
	if (hold)
		s->evq->hold = false;
	return err;
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

/* The held-back events go with their stamp; rows this transaction wrote
 * without one (sent behind the refold hint, or appended with an unknown key)
 * get it from one row of event_batches (schema/v15_batches.h).  Rows of
 * earlier transactions (first_seq before this one's: never the writer's
 * case) are updated. */
static enum werr pg_mark_visible(struct store *st, int64_t first_seq, int64_t at)
{
	struct pg_store *s = pg(st);
	int64_t mine = s->evq && s->evq->mine ? s->evq->mine : INT64_MAX;
	enum werr err = evq_send_at(s, at);

	if (!err && first_seq < mine)
		err = pg_run(s, SQL_MARK_VISIBLE, "unable to mark events visible", NULL, "iii", first_seq, at, mine);
	if (first_seq < mine)
		first_seq = mine;
	if (!err && s->evq && s->evq->unstamped >= first_seq)
		err = pg_run(s, SQL_BATCH_VISIBLE, "unable to mark events visible", NULL, "iii", first_seq,
			     s->evq->unstamped, at);
	return err;
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
	.refold_hint = pg_refold_hint,
	.order_events = pg_order_events,
	.order_duplicates = pg_order_duplicates,
	.each_order = pg_each_order,
	.count_events = pg_count_events,
	.mark_visible = pg_mark_visible,
	.event_meta = pg_event_meta,
};
