/*
 * store_sqlite_privacy.c - the SQLite backend's privacy operations
 * (store.h, struct store_privacy_ops): the retention purge of raw payloads
 * and the erasure of a person (docs/privacy.md).  It owns no table of its
 * own: it deletes or rewrites rows of raw_payloads, events, parked,
 * unmapped, outbox, consent and audit_log.
 *
 * An erased event keeps every fact the fold reads (key, order, package,
 * status, times, location) and loses its "customer" object, so a rebuild
 * gives the same projections as the live refold after the erasure, and
 * cannot bring the person back.  json_remove() rewrites the stored body in
 * place; event_to_json writes "customer" as one object, so removing it
 * removes name, email, phone and postal code together.
 *
 * Finding a person reads every event body (json_extract): there is no
 * index on customer fields, on purpose (one more copy of personal data for
 * an operation that runs a few times a year).
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "../base/walloc.h"
#include "../base/banned.h"

/* oldest first, by rowid within the index on received_at */
/* Bodies a pending fetch job still has to read are kept (src/poll/fetcher.h). */
static const char SQL_PURGE[] =
	"DELETE FROM raw_payloads WHERE id IN (SELECT id FROM raw_payloads WHERE received_at < ?1"
	" AND id NOT IN (SELECT raw_id FROM fetch_jobs WHERE state = 'pending')"
	" AND id NOT IN (SELECT raw_id FROM unmapped_raw)"
	" ORDER BY received_at, id LIMIT ?2)";
static const char SQL_PERSON_ORDERS[] =
	"SELECT DISTINCT order_no FROM events WHERE"
	" (?1 <> '' AND lower(json_extract(body, '$.customer.email')) = lower(?1))"
	" OR (?2 <> '' AND json_extract(body, '$.customer.phone') = ?2)"
	" ORDER BY order_no";
static const char SQL_ERASE_RAWS_OF_ORDER[] =
	"DELETE FROM raw_payloads WHERE id IN"
	" (SELECT raw_id FROM events WHERE order_no = ?1 AND raw_id IS NOT NULL)";
static const char SQL_ERASE_EVENTS[] =
	"UPDATE events SET body = json_remove(body, '$.customer')"
	" WHERE order_no = ?1 AND json_type(body, '$.customer') IS NOT NULL";
/* legal moves of core/outbox.h: pending --cancel--> cancelled, review
 * --reject--> cancelled; the reason is what a person reads in the outbox.
 * A row being sent loses its recipient and view too: the attempt in flight
 * holds its own copy, and outbox_finish turns its retry into dead. */
static const char SQL_ERASE_CANCEL[] =
	"UPDATE outbox SET state = '" OUTBOX_S_CANCELLED "', next_at = ?2, last_error = 'erased'"
	" WHERE order_no = ?1 AND state IN ('" OUTBOX_S_PENDING "', '" OUTBOX_S_REVIEW "')";
static const char SQL_ERASE_OUTBOX_OF_ORDER[] =
	"UPDATE outbox SET recipient = 'erased', view = NULL,"
	" last_error = CASE WHEN last_error IS NULL THEN NULL ELSE 'erased' END"
	" WHERE order_no = ?1 AND (recipient <> 'erased' OR view IS NOT NULL)";
/* ?1 email ("" none), ?2 phone ("" none): does text x name the person? */
#define NAMES(x) \
	"((?1 <> '' AND instr(lower(" x "), lower(?1)) > 0) OR (?2 <> '' AND instr(" x ", ?2) > 0))"
static const char SQL_ERASE_RAWS_NAMING[] =
	"DELETE FROM raw_payloads WHERE " NAMES("CAST(body AS TEXT)");
static const char SQL_ERASE_PARKED[] =
	"UPDATE parked SET body = json_remove(body, '$.customer') WHERE "
	NAMES("body") " AND json_type(body, '$.customer') IS NOT NULL";
static const char SQL_ERASE_UNMAPPED[] =
	"UPDATE unmapped SET sample_event = json_remove(sample_event, '$.customer') WHERE "
	NAMES("sample_event") " AND json_type(sample_event, '$.customer') IS NOT NULL";
static const char SQL_ERASE_CONSENT[] = "DELETE FROM consent WHERE ?2 <> '' AND phone = ?2";
static const char SQL_ERASE_OUTBOX_TO[] =
	"UPDATE outbox SET recipient = 'erased', view = NULL,"
	" last_error = CASE WHEN last_error IS NULL THEN NULL ELSE 'erased' END"
	" WHERE (?1 <> '' AND lower(recipient) = lower(?1)) OR (?2 <> '' AND recipient = ?2)";
static const char SQL_ERASE_AUDIT[] =
	"UPDATE audit_log SET"
	" subject = CASE WHEN " NAMES("coalesce(subject, '')") " THEN 'erased' ELSE subject END,"
	" detail = CASE WHEN " NAMES("coalesce(detail, '')") " THEN NULL ELSE detail END"
	" WHERE " NAMES("coalesce(subject, '')") " OR " NAMES("coalesce(detail, '')");
#undef NAMES

static enum werr sq_raw_purge(struct store *st, int64_t before, int limit, int64_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;

	*n = 0;
	if ((err = sq_stmt(s, SQL_PURGE, &q)))
		return err;
	err = sq_step_write(s, q, sq_bind(q, "ii", before, (int64_t)limit), "unable to purge raw payloads", NULL);
	if (!err)
		*n = sqlite3_changes(s->db);
	return err;
}

static enum werr read_order_no(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	return sq_row(s, q, "f", (char *)row, (size_t)(EV_ORDER_MAX + 1));
}

static enum werr sq_person_orders(struct store *st, const char *email, const char *phone,
				  char (**orders)[EV_ORDER_MAX + 1], size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_PERSON_ORDERS, &q);
	int rc = err ? SQLITE_OK : sq_bind(q, "SS", email ? email : "", phone ? phone : "");

	return sq_query_rows(s, q, err, rc, EV_ORDER_MAX + 1, read_order_no, "unable to find the person's orders",
			     sq_release_plain, (void **)orders, n);
}

/* Runs one write statement with parameters ?1 = a and, when b is not
 * NULL, ?2 = b; adds the rows it changed to *count (may be NULL). */
static enum werr run(struct sqlite_store *s, const char *sql, const char *what, int64_t *count, const char *a,
		     const char *b)
{
	sqlite3_stmt *q;
	enum werr err;

	if ((err = sq_stmt(s, sql, &q)))
		return err;
	err = sq_step_write(s, q, b ? sq_bind(q, "SS", a, b) : sq_bind(q, "S", a), what, NULL);
	if (!err && count)
		*count += sqlite3_changes(s->db);
	return err;
}

static enum werr cancel_unsent(struct sqlite_store *s, const char *order, int64_t at)
{
	sqlite3_stmt *q;
	enum werr err;

	if ((err = sq_stmt(s, SQL_ERASE_CANCEL, &q)))
		return err;
	return sq_step_write(s, q, sq_bind(q, "Si", order, at), "unable to cancel messages", NULL);
}

static enum werr sq_erase_order(struct store *st, const char *order, int64_t at, struct erase_counts *c)
{
	struct sqlite_store *s = sq(st);
	bool own = false;
	enum werr err = sq_op_begin(s, &own);

	if (err)
		return err;
	/* raw payloads first: they are found through the events' raw_id */
	if (!(err = run(s, SQL_ERASE_RAWS_OF_ORDER, "unable to erase raw payloads", &c->raws, order, NULL)) &&
	    !(err = run(s, SQL_ERASE_EVENTS, "unable to erase events", &c->events, order, NULL)) &&
	    !(err = cancel_unsent(s, order, at)))
		err = run(s, SQL_ERASE_OUTBOX_OF_ORDER, "unable to erase messages", &c->outbox, order, NULL);
	return sq_op_end(s, own, err);
}

static enum werr sq_erase_person(struct store *st, const char *email, const char *phone, int64_t at,
				 struct erase_counts *c)
{
	struct sqlite_store *s = sq(st);
	const char *e = email ? email : "", *p = phone ? phone : "";
	bool own = false;
	enum werr err;

	(void)at; /* in the interface for backends that stamp their rewrites */
	if (!e[0] && !p[0])
		return WERR_OK;
	if ((err = sq_op_begin(s, &own)))
		return err;
	if (!(err = run(s, SQL_ERASE_RAWS_NAMING, "unable to erase raw payloads", &c->raws, e, p)) &&
	    !(err = run(s, SQL_ERASE_PARKED, "unable to erase parked events", &c->parked, e, p)) &&
	    !(err = run(s, SQL_ERASE_UNMAPPED, "unable to erase unmapped samples", NULL, e, p)) &&
	    !(err = run(s, SQL_ERASE_CONSENT, "unable to erase consent", &c->consent, e, p)) &&
	    !(err = run(s, SQL_ERASE_OUTBOX_TO, "unable to erase messages", &c->outbox, e, p)))
		err = run(s, SQL_ERASE_AUDIT, "unable to erase audit entries", &c->audit, e, p);
	return sq_op_end(s, own, err);
}

const struct store_privacy_ops sq_privacy_ops = {
	.raw_purge = sq_raw_purge,
	.person_orders = sq_person_orders,
	.erase_order = sq_erase_order,
	.erase_person = sq_erase_person,
};
