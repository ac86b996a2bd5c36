/*
 * store_pg_privacy.c - the PostgreSQL backend's privacy operations
 * (store.h, struct store_privacy_ops): the retention purge of raw payloads
 * and the erasure of a person (docs/privacy.md).  It owns no table of its
 * own: it deletes or rewrites rows of raw_payloads, events, parked,
 * unmapped, outbox, consent and audit_log.  The same operations as
 * store_sqlite_privacy.c, row for row and count for count.
 *
 * An erased event keeps every fact the fold reads (key, order, package,
 * status, times, location) and loses its "customer" object, so a rebuild
 * gives the same projections as the live refold after the erasure, and
 * cannot bring the person back.  SQLite rewrites the stored body with
 * json_remove(); PostgreSQL's jsonb would reorder the members and change
 * the text, so the body is rewritten here in C (json_without below) into
 * exactly the text json_remove() gives: the same JSON without whitespace,
 * strings and numbers as they were written, the member gone.
 * event_to_json writes "customer" as one object, so removing it removes
 * name, email, phone and postal code together.
 *
 * "Does this text name the person" is SQLite's instr(lower(x), lower(email))
 * or instr(x, phone): lower() of both backends changes ASCII letters only
 * (here through COLLATE "C", whatever the database's locale).  A raw body is
 * bytea: it is searched as bytes (position()), lowered byte by byte through
 * its escape form, which keeps every other byte as it is.
 *
 * Finding a person reads every event body (as jsonb): there is no index on
 * customer fields, on purpose (one more copy of personal data for an
 * operation that runs a few times a year).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../base/walloc.h"
#include "../base/banned.h"

/* oldest first, by id among equal received_at */
/* Bodies a pending fetch job still has to read are kept (src/poll/fetcher.h). */
static const char SQL_PURGE[] =
	"DELETE FROM raw_payloads WHERE id IN (SELECT id FROM raw_payloads WHERE received_at < $1"
	" AND id NOT IN (SELECT raw_id FROM fetch_jobs WHERE state = 'pending')"
	" AND id NOT IN (SELECT raw_id FROM unmapped_raw)"
	" ORDER BY received_at, id LIMIT $2)";
static const char SQL_PERSON_ORDERS[] =
	"SELECT DISTINCT order_no FROM events WHERE"
	" ($1::text <> '' AND lower((body::jsonb #>> '{customer,email}') COLLATE \"C\")"
	"  = lower($1::text COLLATE \"C\"))"
	" OR ($2::text <> '' AND (body::jsonb #>> '{customer,phone}') = $2::text)"
	" ORDER BY order_no";
static const char SQL_ERASE_RAWS_OF_ORDER[] =
	"DELETE FROM raw_payloads WHERE id IN"
	" (SELECT raw_id FROM events WHERE order_no = $1 AND raw_id IS NOT NULL)";
/* the events whose body may hold a "customer" member (json_without decides) */
static const char SQL_EVENTS_NAMED[] =
	"SELECT seq, body FROM events WHERE order_no = $1 AND strpos(body, '\"customer\"') > 0 ORDER BY seq";
static const char SQL_EVENT_PUT[] = "UPDATE events SET body = $2 WHERE seq = $1::bigint";
/* legal moves of core/outbox.h: pending --cancel--> cancelled, review
 * --reject--> cancelled; the reason is what a person reads in the outbox.
 * A row being sent loses its recipient and view too: the attempt in flight
 * holds its own copy, and outbox_finish turns its retry into dead. */
static const char SQL_ERASE_CANCEL[] =
	"UPDATE outbox SET state = '" OUTBOX_S_CANCELLED "', next_at = $2, last_error = 'erased'"
	" WHERE order_no = $1 AND state IN ('" OUTBOX_S_PENDING "', '" OUTBOX_S_REVIEW "')";
static const char SQL_ERASE_OUTBOX_OF_ORDER[] =
	"UPDATE outbox SET recipient = 'erased', view = NULL,"
	" last_error = CASE WHEN last_error IS NULL THEN NULL ELSE 'erased' END"
	" WHERE order_no = $1 AND (recipient <> 'erased' OR view IS NOT NULL)";
/* $1 email ("" none), $2 phone ("" none): does text x name the person? */
#define NAMES(x)                                                                                 \
	"(($1::text <> '' AND strpos(lower(" x "), lower($1::text COLLATE \"C\")) > 0)"          \
	" OR ($2::text <> '' AND strpos(" x ", $2::text) > 0))"
/* $1 the email lowered (ASCII), $2 the phone, as bytes ("" none) */
static const char SQL_ERASE_RAWS_NAMING[] =
	"DELETE FROM raw_payloads WHERE (octet_length($1::bytea) > 0 AND position($1::bytea IN"
	" decode(translate(encode(body, 'escape'), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),"
	" 'escape')) > 0) OR (octet_length($2::bytea) > 0 AND position($2::bytea IN body) > 0)";
static const char SQL_PARKED_NAMING[] = "SELECT key, body FROM parked WHERE " NAMES("body") " ORDER BY key";
static const char SQL_PARKED_PUT[] = "UPDATE parked SET body = $2 WHERE key = $1";
static const char SQL_UNMAPPED_NAMING[] =
	"SELECT source, carrier, code, sample_event FROM unmapped WHERE " NAMES("sample_event")
	" ORDER BY source, carrier, code";
static const char SQL_UNMAPPED_PUT[] =
	"UPDATE unmapped SET sample_event = $4 WHERE source = $1 AND carrier = $2 AND code = $3";
/* $1 phone (SQLite's ?2: PostgreSQL must see every parameter it is given) */
static const char SQL_ERASE_CONSENT[] = "DELETE FROM consent WHERE $1::text <> '' AND phone = $1::text";
static const char SQL_ERASE_OUTBOX_TO[] =
	"UPDATE outbox SET recipient = 'erased', view = NULL,"
	" last_error = CASE WHEN last_error IS NULL THEN NULL ELSE 'erased' END"
	" WHERE ($1::text <> '' AND lower(recipient) = lower($1::text COLLATE \"C\"))"
	" OR ($2::text <> '' AND recipient = $2::text)";
static const char SQL_ERASE_AUDIT[] =
	"UPDATE audit_log SET"
	" subject = CASE WHEN " NAMES("coalesce(subject, '')") " THEN 'erased' ELSE subject END,"
	" detail = CASE WHEN " NAMES("coalesce(detail, '')") " THEN NULL ELSE detail END"
	" WHERE " NAMES("coalesce(subject, '')") " OR " NAMES("coalesce(detail, '')");
#undef NAMES

/* ---- json_remove(body, '$.<name>') in C ---- */

/* The index just past the string that starts at m[i] ('"'), SIZE_MAX if
 * it does not end. */
static size_t skip_string(const char *m, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (m[i] == '\\')
			i++;
		else if (m[i] == '"')
			return i + 1;
	}
	return SIZE_MAX;
}

/* The index just past the value that starts at m[i] (minified text): the
 * ',' or '}' that follows a member's value. */
static size_t skip_value(const char *m, size_t i, size_t n)
{
	int depth = 0;

	while (i < n) {
		char c = m[i];

		if (c == '"') {
			if ((i = skip_string(m, i, n)) == SIZE_MAX || !depth)
				return i;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (!depth)
				return i;
			if (!--depth)
				return i + 1;
		} else if (c == ',' && !depth) {
			return i;
		}
		i++;
	}
	return depth ? SIZE_MAX : i;
}

/* Copies in without the whitespace outside strings into m (room for len
 * bytes); returns the length. */
static size_t minify(const char *in, size_t len, char *m)
{
	bool str = false;
	size_t k = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (str) {
			m[k++] = c;
			if (c == '\\' && i + 1 < len)
				m[k++] = in[++i];
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		str = c == '"';
		m[k++] = c;
	}
	return k;
}

/*
 * SQLite's json_remove(in, '$.name') for a text that is one JSON object: a
 * malloc'd *out (NUL-terminated, *outlen bytes) holding in without its
 * whitespace and without its first member called name (the key as written,
 * as SQLite 3.40 compares it).  Returns 1 when it removed one, 0 when in has
 * no such member (*out NULL), -1 when in is not an object.
 */
static int json_without(const char *in, size_t len, const char *name, char **out, size_t *outlen)
{
	char *m = wmalloc(len + 1);
	size_t n = minify(in, len, m), nl = strlen(name), i = 1;

	*out = NULL;
	*outlen = 0;
	if (n < 2 || m[0] != '{')
		goto bad;
	while (i < n && m[i] != '}') {
		size_t ks = i, ve;

		if (m[i] != '"' || (i = skip_string(m, i, n)) >= n || m[i] != ':')
			goto bad;
		if ((ve = skip_value(m, i + 1, n)) >= n)
			goto bad;
		if (i - ks == nl + 2 && !memcmp(m + ks + 1, name, nl)) {
			size_t from = ks, to = ve;

			if (m[ve] == ',')
				to++;   /* the comma after it goes with it */
			else if (ks > 1)
				from--; /* the last member: the comma before it */
			memmove(m + from, m + to, n - to);
			n -= to - from;
			m[n] = '\0';
			*out = m;
			*outlen = n;
			return 1;
		}
		i = ve + (m[ve] == ',');
	}
	free(m);
	return 0;
bad:
	free(m);
	return -1;
}

/* ---- operations ---- */

static enum werr pg_raw_purge(struct store *st, int64_t before, int limit, int64_t *n)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	*n = 0;
	err = pg_run(s, SQL_PURGE, "unable to purge raw payloads", &r, "ii", before, (int64_t)limit);
	if (!err)
		*n = pg_changes(r);
	PQclear(r);
	return err;
}

static enum werr read_order_no(struct pg_store *s, const PGresult *r, int row, void *out)
{
	return pg_row(s, r, row, "f", (char *)out, (size_t)(EV_ORDER_MAX + 1));
}

static enum werr pg_person_orders(struct store *st, const char *email, const char *phone,
				  char (**orders)[EV_ORDER_MAX + 1], size_t *n)
{
	return pg_query_rows(pg(st), SQL_PERSON_ORDERS, "unable to find the person's orders", EV_ORDER_MAX + 1,
			     read_order_no, pg_release_plain, (void **)orders, n, "SS", email ? email : "",
			     phone ? phone : "");
}

/* Runs one write statement with parameters $1 = a and, when b is not
 * NULL, $2 = b; adds the rows it changed to *count (may be NULL). */
static enum werr run(struct pg_store *s, const char *sql, const char *what, int64_t *count, const char *a,
		     const char *b)
{
	PGresult *r = NULL;
	enum werr err = b ? pg_run(s, sql, what, &r, "SS", a, b) : pg_run(s, sql, what, &r, "S", a);

	if (!err && count)
		*count += pg_changes(r);
	PQclear(r);
	return err;
}

/* Writes body into the row of r's row `row` whose key is its first nkeys
 * columns (put: the keys as $1.., the body last); adds the rows changed to
 * *count (may be NULL). */
static enum werr put_body(struct pg_store *s, const char *put, const PGresult *r, int row, int nkeys,
			  const char *body, size_t len, const char *what, int64_t *count)
{
	PGresult *w = NULL;
	enum werr err;

	if (nkeys == 1)
		err = pg_run(s, put, what, &w, "St", PQgetvalue(r, row, 0), body, len);
	else
		err = pg_run(s, put, what, &w, "SSSt", PQgetvalue(r, row, 0), PQgetvalue(r, row, 1),
			     PQgetvalue(r, row, 2), body, len);
	if (!err && count)
		*count += pg_changes(w);
	PQclear(w);
	return err;
}

/*
 * SQLite's "UPDATE t SET body = json_remove(body, '$.customer') WHERE ...
 * AND json_type(body, '$.customer') IS NOT NULL": the rows sel gives (the
 * nkeys columns of their key, then the body; parameters a, b as run()),
 * each rewritten with put when its body has a customer.  The rows are read
 * whole first (a PGresult is a copy), then written.
 */
static enum werr drop_customers(struct pg_store *s, const char *sel, const char *put, int nkeys, const char *a,
				const char *b, const char *what, int64_t *count)
{
	PGresult *r = NULL;
	enum werr err = b ? pg_run(s, sel, what, &r, "SS", a, b) : pg_run(s, sel, what, &r, "S", a);

	for (int i = 0; !err && i < PQntuples(r); i++) {
		char *body = NULL;
		size_t len = 0;
		int found = json_without(PQgetvalue(r, i, nkeys), (size_t)PQgetlength(r, i, nkeys), "customer", &body,
					 &len);

		if (found < 0) {
			pg_msg(s, "%s: a stored body is not a JSON object", what);
			err = WERR_DB;
		} else if (found) {
			err = put_body(s, put, r, i, nkeys, body, len, what, count);
		}
		free(body);
	}
	PQclear(r);
	return err;
}

static enum werr cancel_unsent(struct pg_store *s, const char *order, int64_t at)
{
	return pg_run(s, SQL_ERASE_CANCEL, "unable to cancel messages", NULL, "Si", order, at);
}

static enum werr pg_erase_order(struct store *st, const char *order, int64_t at, struct erase_counts *c)
{
	struct pg_store *s = pg(st);
	bool own = false;
	enum werr err = pg_op_begin(s, true, &own);

	if (err)
		return err;
	/* raw payloads first: they are found through the events' raw_id */
	if (!(err = run(s, SQL_ERASE_RAWS_OF_ORDER, "unable to erase raw payloads", &c->raws, order, NULL)) &&
	    !(err = drop_customers(s, SQL_EVENTS_NAMED, SQL_EVENT_PUT, 1, order, NULL, "unable to erase events",
				   &c->events)) &&
	    !(err = cancel_unsent(s, order, at)))
		err = run(s, SQL_ERASE_OUTBOX_OF_ORDER, "unable to erase messages", &c->outbox, order, NULL);
	return pg_op_end(s, own, err);
}

/* The raw payloads whose bytes name the person: the email lowered as
 * SQLite's lower() does (ASCII letters only), both as bytea. */
static enum werr erase_raws_naming(struct pg_store *s, const char *email, const char *phone, int64_t *count)
{
	size_t elen = strlen(email);
	char *low = wmalloc(elen + 1);
	PGresult *r = NULL;
	enum werr err;

	for (size_t i = 0; i <= elen; i++)
		low[i] = email[i] >= 'A' && email[i] <= 'Z' ? (char)(email[i] - 'A' + 'a') : email[i];
	err = pg_run(s, SQL_ERASE_RAWS_NAMING, "unable to erase raw payloads", &r, "bb", (const void *)low, elen,
		     (const void *)phone, strlen(phone));
	if (!err)
		*count += pg_changes(r);
	PQclear(r);
	free(low);
	return err;
}

static enum werr pg_erase_person(struct store *st, const char *email, const char *phone, int64_t at,
				 struct erase_counts *c)
{
	struct pg_store *s = pg(st);
	const char *e = email ? email : "", *p = phone ? phone : "";
	bool own = false;
	enum werr err;

	(void)at; /* in the interface for backends that stamp their rewrites */
	if (!e[0] && !p[0])
		return WERR_OK;
	if ((err = pg_op_begin(s, true, &own)))
		return err;
	if (!(err = erase_raws_naming(s, e, p, &c->raws)) &&
	    !(err = drop_customers(s, SQL_PARKED_NAMING, SQL_PARKED_PUT, 1, e, p, "unable to erase parked events",
				   &c->parked)) &&
	    !(err = drop_customers(s, SQL_UNMAPPED_NAMING, SQL_UNMAPPED_PUT, 3, e, p,
				   "unable to erase unmapped samples", NULL)) &&
	    !(err = run(s, SQL_ERASE_CONSENT, "unable to erase consent", &c->consent, p, NULL)) &&
	    !(err = run(s, SQL_ERASE_OUTBOX_TO, "unable to erase messages", &c->outbox, e, p)))
		err = run(s, SQL_ERASE_AUDIT, "unable to erase audit entries", &c->audit, e, p);
	return pg_op_end(s, own, err);
}

const struct store_privacy_ops pg_privacy_ops = {
	.raw_purge = pg_raw_purge,
	.person_orders = pg_person_orders,
	.erase_order = pg_erase_order,
	.erase_person = pg_erase_person,
};
