/*
 * store_pg_parcels.c - the PostgreSQL backend's parcel ownership (store.h,
 * struct store_parcel_ops; docs/parcels.md): tables parcel_owners and
 * parcel_claims (schema/pg_v13.h), written in log order by the writer and
 * by a rebuild's replay, read as facts by every fold of an order.  The
 * same statements as store_sqlite_parcels.c, in PostgreSQL's words.
 */
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "backend.h"
#include "../base/banned.h"

#define ATTACH_PAGE 1000

static const char SQL_OWNER_GET[] =
	"SELECT order_no, source, last_at, last_status FROM parcel_owners WHERE tracking = $1";
/* One index probe per number, as SQL_KEYS_HELD in store_pg_log.c. */
static const char SQL_OWNERS_GET[] =
	"SELECT p.tracking, p.order_no, p.source, p.last_at, p.last_status FROM unnest($1::text[]) AS t(k)"
	" CROSS JOIN LATERAL (SELECT * FROM parcel_owners WHERE tracking = t.k LIMIT 1) p";
static const char SQL_OWNERS_PUT[] =
	"INSERT INTO parcel_owners(tracking, order_no, source, last_at, last_status)"
	" SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])"
	" ON CONFLICT(tracking) DO UPDATE SET order_no = excluded.order_no, source = excluded.source,"
	" last_at = excluded.last_at, last_status = excluded.last_status";
static const char SQL_OWNER_PUT[] =
	"INSERT INTO parcel_owners(tracking, order_no, source, last_at, last_status) VALUES($1, $2, $3, $4, $5)"
	" ON CONFLICT(tracking) DO UPDATE SET order_no = excluded.order_no, source = excluded.source,"
	" last_at = excluded.last_at, last_status = excluded.last_status";
/* A claim keeps its order's latest claiming event (by event time, then the
 * log); a move keeps the latest move away. */
static const char SQL_CLAIM_PUT[] =
	"INSERT INTO parcel_claims(tracking, order_no, kind, other_order, source, status, at, key)"
	" VALUES($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT(tracking, order_no, kind) DO UPDATE SET"
	" other_order = excluded.other_order, source = excluded.source, status = excluded.status,"
	" at = excluded.at, key = excluded.key WHERE excluded.at >= parcel_claims.at OR excluded.kind = 'moved'";
/* What an order now owning the number no longer claims nor lost. */
static const char SQL_CLAIMS_DROP_ORDER[] = "DELETE FROM parcel_claims WHERE tracking = $1 AND order_no = $2";
/* A reused number starts afresh: the old shipment's claims are moot. */
static const char SQL_CLAIMS_DROP_ALL[] = "DELETE FROM parcel_claims WHERE tracking = $1 AND kind = 'claim'";
static const char SQL_CLAIMANTS[] =
	"SELECT DISTINCT order_no FROM parcel_claims WHERE tracking = $1 AND kind = 'claim' ORDER BY order_no";
/* Role 0 claimant, 1 claimed, 2 moved away (enum parcel_role).  Each
 * (role, tracking, other order) is one row: the order is total. */
static const char SQL_FACTS[] =
	"SELECT 0, c.tracking, o.order_no, c.source, c.status, c.at, c.key, o.source, o.last_status"
	" FROM parcel_claims c JOIN parcel_owners o ON o.tracking = c.tracking"
	" WHERE c.order_no = $1 AND c.kind = 'claim' AND o.order_no <> $1"
	" UNION ALL"
	" SELECT 1, c.tracking, c.order_no, c.source, c.status, c.at, c.key, o.source, o.last_status"
	" FROM parcel_owners o JOIN parcel_claims c ON c.tracking = o.tracking AND c.kind = 'claim'"
	" AND c.order_no <> o.order_no WHERE o.order_no = $1"
	" UNION ALL"
	" SELECT 2, c.tracking, c.other_order, c.source, c.status, c.at, c.key, '', 'unknown'"
	" FROM parcel_claims c WHERE c.order_no = $1 AND c.kind = 'moved' AND NOT EXISTS"
	" (SELECT 1 FROM parcel_owners o WHERE o.tracking = c.tracking AND o.order_no = $1)"
	" ORDER BY 1, 2, 3";
static const char SQL_ATTACHES[] =
	"SELECT seq, key, source, order_no, package, status, occurred_at, received_at FROM events"
	" WHERE seq > $1 AND package <> '' ORDER BY seq LIMIT $2";

/* What the write transaction remembers of a parcel's owner ('o', pg_int.h):
 * the writer reads it for every event naming a parcel. */
struct known_owner {
	bool has;
	struct parcel_owner o;
};

static enum werr pg_parcel_owner(struct store *st, const char *tracking, struct parcel_owner *out)
{
	struct pg_store *s = pg(st);
	const struct known_owner *known = pg_tx_get(s, 'o', tracking);
	struct known_owner k;
	PGresult *r = NULL;
	char status[32] = "";
	enum werr err;

	memset(out, 0, sizeof(*out));
	memset(&k, 0, sizeof(k));
	if (known) {
		*out = known->o;
		return known->has ? WERR_OK : WERR_NOT_FOUND;
	}
	if ((err = pg_run(s, SQL_OWNER_GET, "unable to read parcel owner", &r, "S", tracking)))
		return err;
	if (PQntuples(r) > 0) {
		err = pg_row(s, r, 0, "ffic", PG_FIELD(out->order), PG_FIELD(out->source), &out->last_at,
			     PG_FIELD(status));
		snprintf(out->tracking, sizeof(out->tracking), "%s", tracking);
		out->last_status = be_status_of(status);
		k = (struct known_owner){ true, *out };
	} else {
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	if ((!err || err == WERR_NOT_FOUND) && pg_tx_put(s, 'o', tracking, &k, sizeof(k))) {
		pg_msg(s, "out of memory reading parcel owners");
		err = WERR_NOMEM;
	}
	return err;
}

/* One statement for a batch's parcels: each owner found, or its absence,
 * is remembered ('o') as pg_parcel_owner would. */
static enum werr pg_owner_hint(struct store *st, const char *const *trackings, size_t n)
{
	struct pg_store *s = pg(st);
	struct known_owner none = { 0 };
	const char **want;
	PGresult *r = NULL;
	char *arr = NULL;
	size_t nwant = 0;
	enum werr err = WERR_OK;

	if (!s->piped || !n)
		return WERR_OK; /* only a write transaction remembers */
	if (!(want = malloc(n * sizeof(*want))))
		return WERR_NOMEM;
	for (size_t i = 0; i < n; i++) /* one known already may be newer than the table */
		if (!pg_tx_get(s, 'o', trackings[i]))
			want[nwant++] = trackings[i];
	if (nwant && !(err = pg_text_array(s, want, nwant, &arr)))
		err = pg_run_planned(s, SQL_OWNERS_GET, "unable to read parcel owners", &r, "S", arr);
	for (size_t i = 0; i < nwant && !err; i++)
		err = pg_tx_put(s, 'o', want[i], &none, sizeof(none));
	for (int i = 0; !err && r && i < PQntuples(r); i++) {
		struct known_owner k;
		char status[32] = "";
		memset(&k, 0, sizeof(k));
		k.has = true;
		if (!(err = pg_row(s, r, i, "fffic", PG_FIELD(k.o.tracking), PG_FIELD(k.o.order), PG_FIELD(k.o.source),
				   &k.o.last_at, PG_FIELD(status)))) {
			k.o.last_status = be_status_of(status);
			err = pg_tx_put(s, 'o', k.o.tracking, &k, sizeof(k));
		}
	}
	if (err == WERR_NOMEM)
		pg_msg(s, "out of memory reading parcel owners");
	PQclear(r);
	free(arr);
	free(want);
	return err;
}

/* The owners a write transaction changed (pg_int.h), each once ('d' marks
 * one listed); their values are the 'o' entries. */
struct pg_owq {
	char (*tracking)[EV_PACKAGE_MAX + 1];
	size_t n, cap;
};

bool pg_owq_waiting(const struct pg_store *s, const char *sql)
{
	return s->owq && s->owq->n && strstr(sql, "parcel_owners");
}

enum werr pg_owq_send(struct pg_store *s)
{
	struct pg_owq *q = s->owq;
	struct buf col[5];
	enum werr err = WERR_OK;

	if (!q || !q->n)
		return WERR_OK;
	for (int i = 0; i < 5; i++) {
		buf_init(&col[i], BUF_MAX_DEFAULT);
		buf_putc(&col[i], '{');
	}
	for (size_t i = 0; i < q->n; i++) {
		const struct known_owner *k = pg_tx_get(s, 'o', q->tracking[i]);
		char at[24];
		if (!k || !k->has)
			continue; /* cannot happen: a listed owner is remembered */
		snprintf(at, sizeof(at), "%" PRId64, k->o.last_at);
		pg_array_elem(&col[0], k->o.tracking, strlen(k->o.tracking), false);
		pg_array_elem(&col[1], k->o.order, strlen(k->o.order), false);
		pg_array_elem(&col[2], k->o.source, strlen(k->o.source), false);
		pg_array_elem(&col[3], at, strlen(at), false);
		pg_array_elem(&col[4], ev_status_name(k->o.last_status), strlen(ev_status_name(k->o.last_status)),
			      false);
		pg_tx_put(s, 'd', q->tracking[i], NULL, 0);
	}
	q->n = 0;
	for (int i = 0; i < 5; i++) {
		buf_putc(&col[i], '}');
		if (!err)
			err = buf_error(&col[i]);
	}
	if (err)
		pg_msg(s, "unable to send parcel owners: %s", werr_name(err));
	else
		err = pg_run(s, SQL_OWNERS_PUT, "unable to store parcel owners", NULL, "SSSSS", col[0].p, col[1].p,
			     col[2].p, col[3].p, col[4].p);
	for (int i = 0; i < 5; i++)
		buf_release(&col[i]);
	return err;
}

void pg_owq_discard(struct pg_store *s)
{
	if (!s->owq)
		return;
	free(s->owq->tracking);
	free(s->owq);
	s->owq = NULL;
}

static enum werr put_owner(struct pg_store *s, const struct parcel_owner *o)
{
	static const char listed = 'Y';
	struct known_owner k = { true, *o };
	struct pg_owq *q;
	enum werr err;

	if (!s->piped) /* no transaction's memory to keep it in */
		return pg_run(s, SQL_OWNER_PUT, "unable to store parcel owner", NULL, "SSSiS", o->tracking, o->order,
			      o->source, o->last_at, ev_status_name(o->last_status));
	if ((err = pg_tx_put(s, 'o', o->tracking, &k, sizeof(k))))
		goto nomem;
	if (pg_tx_get(s, 'd', o->tracking))
		return WERR_OK; /* listed already: written with its last value */
	if (!(q = s->owq) && !(q = s->owq = calloc(1, sizeof(*q))))
		goto nomem;
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 256;
		void *more = realloc(q->tracking, cap * sizeof(*q->tracking));
		if (!more)
			goto nomem;
		q->tracking = more;
		q->cap = cap;
	}
	snprintf(q->tracking[q->n++], sizeof(q->tracking[0]), "%s", o->tracking);
	if (!(err = pg_tx_put(s, 'd', o->tracking, &listed, 1)))
		return WERR_OK;
nomem:
	pg_msg(s, "out of memory storing parcel owners");
	return WERR_NOMEM;
}

/* 'c': a parcel the transaction knows has no claims (add_claimants). */
static const char no_claims = 'N';

/* 'C': the claims table is empty (no order claims or lost any parcel):
 * most shops' normal, so the writer does not ask it about every parcel. */

static enum werr put_claim(struct pg_store *s, const struct event *e, const char *order, const char *kind,
			   const char *other, const char *source)
{
	enum werr err;

	pg_tx_put(s, 'c', e->package, NULL, 0);
	if ((err = pg_tx_filled(s, 'C')))
		return err;
	return pg_run(s, SQL_CLAIM_PUT, "unable to store parcel claim", NULL, "SSSSSSiS", e->package, order, kind,
		      other, source, ev_status_name(e->status), e->occurred_at, e->key);
}

/* Dropping claims adds none: what the transaction knows of "no claims" holds. */
static enum werr drop(struct pg_store *s, const char *sql, const char *tracking, const char *order)
{
	return order ? pg_run(s, sql, "unable to drop parcel claims", NULL, "SS", tracking, order)
		     : pg_run(s, sql, "unable to drop parcel claims", NULL, "S", tracking);
}

/* The orders claiming tracking, added to the list. */
static enum werr add_claimants(struct pg_store *s, const char *tracking, char (**orders)[EV_ORDER_MAX + 1],
			       size_t *n)
{
	PGresult *r = NULL;
	bool none = false;
	enum werr err;

	if (pg_tx_get(s, 'c', tracking))
		return WERR_OK;
	if ((err = pg_tx_empty(s, 'C', &none)) || none)
		return err;
	if ((err = pg_run(s, SQL_CLAIMANTS, "unable to list parcel claims", &r, "S", tracking)))
		return err;
	for (int i = 0; !err && i < PQntuples(r); i++)
		err = be_add_order(orders, n, PQgetvalue(r, i, 0));
	if (!err && !PQntuples(r))
		err = pg_tx_put(s, 'c', tracking, &no_claims, 1);
	PQclear(r);
	return err;
}

static enum werr pg_parcel_note(struct store *st, enum parcel_decision d, const struct event *e,
				const struct parcel_owner *prev, const struct parcel_owner *next,
				char (**orders)[EV_ORDER_MAX + 1], size_t *n)
{
	struct pg_store *s = pg(st);
	bool own = false;
	enum werr err;

	*orders = NULL;
	*n = 0;
	if (d == PARCEL_NONE)
		return WERR_OK;
	if ((err = pg_op_begin(s, true, &own)))
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
	if (err == WERR_NOMEM)
		pg_msg(s, "out of memory listing the orders a parcel changes");
	if (err) {
		free(*orders);
		*orders = NULL;
		*n = 0;
	}
	return pg_op_end(s, own, err);
}

static enum werr read_fact(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct parcel_fact *f = out;
	char claim[32] = "", owner[32] = "";
	int role = 0;
	enum werr err;

	err = pg_row(s, r, row, "nfffciffc", &role, PG_FIELD(f->tracking), PG_FIELD(f->other_order),
		     PG_FIELD(f->claim_source), PG_FIELD(claim), &f->claim_at, PG_FIELD(f->claim_key),
		     PG_FIELD(f->owner_source), PG_FIELD(owner));
	f->role = (enum parcel_role)role;
	f->claim_status = be_status_of(claim);
	f->owner_status = be_status_of(owner);
	return err;
}

static enum werr pg_parcel_facts(struct store *st, const char *order, struct parcel_fact **out, size_t *n)
{
	bool none = false;
	enum werr err;

	*out = NULL;
	*n = 0;
	/* every fact is a claim or a move: none without claims */
	if ((err = pg_tx_empty(pg(st), 'C', &none)) || none)
		return err;
	return pg_query_rows(pg(st), SQL_FACTS, "unable to read parcel facts", sizeof(**out), read_fact,
			     pg_release_plain, (void **)out, n, "S", order);
}

static enum werr read_attach(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct event *e = out;
	char status[32] = "";
	enum werr err;

	event_init(e);
	err = pg_row(s, r, row, "ifffffii", &e->seq, PG_FIELD(e->key), PG_FIELD(e->source), PG_FIELD(e->order),
		     PG_FIELD(e->package), PG_FIELD(status), &e->occurred_at, &e->received_at);
	e->status = be_status_of(status);
	return err;
}

/* Pages of events, each read whole before any callback (fn writes, and a
 * page's rows are then in memory, not in a cursor its writes could move). */
static enum werr pg_parcel_each_attach(struct store *st, enum werr (*fn)(const struct event *e, void *ctx),
				       void *ctx)
{
	struct pg_store *s = pg(st);
	struct event *page = NULL;
	int64_t after = 0;
	size_t n = 0;
	enum werr err;

	do {
		err = pg_query_rows(s, SQL_ATTACHES, "unable to read the log", sizeof(*page), read_attach,
				    pg_release_plain, (void **)&page, &n, "ii", after, (int64_t)ATTACH_PAGE);
		for (size_t i = 0; i < n && !err; i++)
			err = fn(&page[i], ctx);
		if (n)
			after = page[n - 1].seq;
		free(page);
		page = NULL;
	} while (!err && n == ATTACH_PAGE);
	return err;
}

const struct store_parcel_ops pg_parcel_ops = {
	.parcel_owner = pg_parcel_owner,
	.owner_hint = pg_owner_hint,
	.parcel_note = pg_parcel_note,
	.parcel_facts = pg_parcel_facts,
	.parcel_each_attach = pg_parcel_each_attach,
};
