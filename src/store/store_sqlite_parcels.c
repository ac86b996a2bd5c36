/*
 * store_sqlite_parcels.c - the SQLite backend's parcel ownership (store.h,
 * struct store_parcel_ops; docs/parcels.md): tables parcel_owners and
 * parcel_claims (migration 11), written in log order by the writer and by a
 * rebuild's replay, read as facts by every fold of an order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "backend.h"
#include "../base/banned.h"

#define ATTACH_PAGE 1000

static const char SQL_OWNER_GET[] =
	"SELECT order_no, source, last_at, last_status FROM parcel_owners WHERE tracking = ?1";
static const char SQL_OWNER_PUT[] =
	"INSERT INTO parcel_owners(tracking, order_no, source, last_at, last_status) VALUES(?1, ?2, ?3, ?4, ?5)"
	" ON CONFLICT(tracking) DO UPDATE SET order_no = excluded.order_no, source = excluded.source,"
	" last_at = excluded.last_at, last_status = excluded.last_status";
/* A claim keeps its order's latest claiming event (by event time, then the
 * log); a move keeps the latest move away. */
static const char SQL_CLAIM_PUT[] =
	"INSERT INTO parcel_claims(tracking, order_no, kind, other_order, source, status, at, key)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(tracking, order_no, kind) DO UPDATE SET"
	" other_order = excluded.other_order, source = excluded.source, status = excluded.status,"
	" at = excluded.at, key = excluded.key WHERE excluded.at >= parcel_claims.at OR excluded.kind = 'moved'";
/* What an order now owning the number no longer claims nor lost. */
static const char SQL_CLAIMS_DROP_ORDER[] = "DELETE FROM parcel_claims WHERE tracking = ?1 AND order_no = ?2";
/* A reused number starts afresh: the old shipment's claims are moot. */
static const char SQL_CLAIMS_DROP_ALL[] = "DELETE FROM parcel_claims WHERE tracking = ?1 AND kind = 'claim'";
static const char SQL_CLAIMANTS[] =
	"SELECT DISTINCT order_no FROM parcel_claims WHERE tracking = ?1 AND kind = 'claim' ORDER BY order_no";
/* Role 0 claimant, 1 claimed, 2 moved away (enum parcel_role). */
static const char SQL_FACTS[] =
	"SELECT 0, c.tracking, o.order_no, c.source, c.status, c.at, c.key, o.source, o.last_status"
	" FROM parcel_claims c JOIN parcel_owners o ON o.tracking = c.tracking"
	" WHERE c.order_no = ?1 AND c.kind = 'claim' AND o.order_no <> ?1"
	" UNION ALL"
	" SELECT 1, c.tracking, c.order_no, c.source, c.status, c.at, c.key, o.source, o.last_status"
	" FROM parcel_owners o JOIN parcel_claims c ON c.tracking = o.tracking AND c.kind = 'claim'"
	" AND c.order_no <> o.order_no WHERE o.order_no = ?1"
	" UNION ALL"
	" SELECT 2, c.tracking, c.other_order, c.source, c.status, c.at, c.key, '', 'unknown'"
	" FROM parcel_claims c WHERE c.order_no = ?1 AND c.kind = 'moved' AND NOT EXISTS"
	" (SELECT 1 FROM parcel_owners o WHERE o.tracking = c.tracking AND o.order_no = ?1)"
	" ORDER BY 1, 2, 3";
static const char SQL_ATTACHES[] =
	"SELECT seq, key, source, order_no, package, status, occurred_at, received_at FROM events"
	" WHERE seq > ?1 AND package <> '' ORDER BY seq LIMIT ?2";

/* SQLite reads an owner without a round trip: nothing to read ahead. */
static enum werr sq_owner_hint(struct store *st, const char *const *trackings, size_t n)
{
	(void)st;
	(void)trackings;
	(void)n;
	return WERR_OK;
}

static enum werr sq_parcel_owner(struct store *st, const char *tracking, struct parcel_owner *out)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	char status[32] = "";
	enum werr err;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((err = sq_stmt(s, SQL_OWNER_GET, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", tracking), "unable to read parcel owner", &err);
	if (rc == SQLITE_ROW) {
		err = sq_row(s, q, "ffic", SQ_FIELD(out->order), SQ_FIELD(out->source), &out->last_at,
			     SQ_FIELD(status));
		snprintf(out->tracking, sizeof(out->tracking), "%s", tracking);
		out->last_status = be_status_of(status);
	} else if (rc == SQLITE_DONE) {
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

static enum werr put_owner(struct sqlite_store *s, const struct parcel_owner *o)
{
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_OWNER_PUT, &q);

	return err ? err
		   : sq_step_write(s, q,
				   sq_bind(q, "SSSiS", o->tracking, o->order, o->source, o->last_at,
					   ev_status_name(o->last_status)),
				   "unable to store parcel owner", NULL);
}

static enum werr put_claim(struct sqlite_store *s, const struct event *e, const char *order, const char *kind,
			   const char *other, const char *source)
{
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_CLAIM_PUT, &q);

	return err ? err
		   : sq_step_write(s, q,
				   sq_bind(q, "SSSSSSiS", e->package, order, kind, other, source,
					   ev_status_name(e->status), e->occurred_at, e->key),
				   "unable to store parcel claim", NULL);
}

static enum werr drop(struct sqlite_store *s, const char *sql, const char *tracking, const char *order)
{
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, sql, &q);

	return err ? err
		   : sq_step_write(s, q, order ? sq_bind(q, "SS", tracking, order) : sq_bind(q, "S", tracking),
				   "unable to drop parcel claims", NULL);
}

/* The orders claiming tracking, added to the list. */
static enum werr add_claimants(struct sqlite_store *s, const char *tracking, char (**orders)[EV_ORDER_MAX + 1],
			       size_t *n)
{
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_CLAIMANTS, &q);
	int rc;

	if (err)
		return err;
	rc = sq_bind(q, "S", tracking);
	while (!err && rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		err = be_add_order(orders, n, sq_col_text(q, 0));
		rc = SQLITE_OK;
	}
	if (!err && rc != SQLITE_DONE)
		err = sq_fail(s, rc, "unable to list parcel claims");
	sq_done(q);
	return err;
}

static enum werr sq_parcel_note(struct store *st, enum parcel_decision d, const struct event *e,
				const struct parcel_owner *prev, const struct parcel_owner *next,
				char (**orders)[EV_ORDER_MAX + 1], size_t *n)
{
	struct sqlite_store *s = sq(st);
	bool own = false;
	enum werr err;

	*orders = NULL;
	*n = 0;
	if (d == PARCEL_NONE)
		return WERR_OK;
	if ((err = sq_op_begin(s, &own)))
		return err;
	switch (d) {
	case PARCEL_TAKE:
		err = put_owner(s, next);
		break;
	case PARCEL_KEEP:
		/* the claiming orders show the owner's latest status: they
		 * change with it */
		if (!(err = put_owner(s, next)) && prev &&
		    (prev->last_at != next->last_at || prev->last_status != next->last_status))
			err = add_claimants(s, e->package, orders, n);
		break;
	case PARCEL_REUSE:
		/* a new shipment: the old owner keeps its history, the old
		 * claims go */
		if (!(err = be_add_order(orders, n, prev->order)) && !(err = add_claimants(s, e->package, orders, n)) &&
		    !(err = drop(s, SQL_CLAIMS_DROP_ALL, e->package, NULL)) &&
		    !(err = drop(s, SQL_CLAIMS_DROP_ORDER, e->package, e->order)))
			err = put_owner(s, next);
		break;
	case PARCEL_MOVE:
		/* the old owner's events for it become "moved"; claims by other
		 * orders now stand against the new owner */
		if (!(err = be_add_order(orders, n, prev->order)) && !(err = add_claimants(s, e->package, orders, n)) &&
		    !(err = drop(s, SQL_CLAIMS_DROP_ORDER, e->package, e->order)) &&
		    !(err = put_claim(s, e, prev->order, "moved", e->order, prev->source)))
			err = put_owner(s, next);
		break;
	case PARCEL_CLAIM:
		if (!(err = be_add_order(orders, n, prev->order)))
			err = put_claim(s, e, e->order, "claim", prev->order, e->source);
		break;
	case PARCEL_NONE:
		break;
	}
	if (err) {
		free(*orders);
		*orders = NULL;
		*n = 0;
	}
	return sq_op_end(s, own, err);
}

static enum werr read_fact(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct parcel_fact *f = row;
	char claim[32] = "", owner[32] = "";
	int role = 0;
	enum werr err;

	err = sq_row(s, q, "nfffciffc", &role, SQ_FIELD(f->tracking), SQ_FIELD(f->other_order),
		     SQ_FIELD(f->claim_source), SQ_FIELD(claim), &f->claim_at, SQ_FIELD(f->claim_key),
		     SQ_FIELD(f->owner_source), SQ_FIELD(owner));
	f->role = (enum parcel_role)role;
	f->claim_status = be_status_of(claim);
	f->owner_status = be_status_of(owner);
	return err;
}

static enum werr sq_parcel_facts(struct store *st, const char *order, struct parcel_fact **out, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_FACTS, &q);

	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "S", order), sizeof(**out), read_fact,
			     "unable to read parcel facts", sq_release_plain, (void **)out, n);
}

static enum werr read_attach(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct event *e = row;
	char status[32] = "";
	enum werr err;

	event_init(e);
	err = sq_row(s, q, "ifffffii", &e->seq, SQ_FIELD(e->key), SQ_FIELD(e->source), SQ_FIELD(e->order),
		     SQ_FIELD(e->package), SQ_FIELD(status), &e->occurred_at, &e->received_at);
	e->status = be_status_of(status);
	return err;
}

/* Pages of events, the statement reset before any callback (fn writes). */
static enum werr sq_parcel_each_attach(struct store *st, enum werr (*fn)(const struct event *e, void *ctx),
				       void *ctx)
{
	struct sqlite_store *s = sq(st);
	struct event *page = NULL;
	int64_t after = 0;
	size_t n = 0;
	enum werr err;

	do {
		sqlite3_stmt *q = NULL;
		err = sq_stmt(s, SQL_ATTACHES, &q);
		err = sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", after, (int64_t)ATTACH_PAGE),
				    sizeof(*page), read_attach, "unable to read the log", sq_release_plain,
				    (void **)&page, &n);
		for (size_t i = 0; i < n && !err; i++)
			err = fn(&page[i], ctx);
		if (n)
			after = page[n - 1].seq;
		free(page);
		page = NULL;
	} while (!err && n == ATTACH_PAGE);
	return err;
}

const struct store_parcel_ops sq_parcel_ops = {
	.parcel_owner = sq_parcel_owner,
	.owner_hint = sq_owner_hint,
	.parcel_note = sq_parcel_note,
	.parcel_facts = sq_parcel_facts,
	.parcel_each_attach = sq_parcel_each_attach,
};
