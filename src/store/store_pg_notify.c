/*
 * store_pg_notify.c - the PostgreSQL backend's notification operations
 * (store.h, struct store_notify_ops): the outbox, SMS consent, the audit
 * log, help-desk tickets and the rules set through the API (tables in
 * schema/pg_v13.h).  The translation of store_sqlite_notify.c, operation by
 * operation: same rows, same order, same errors.
 *
 * The outbox's states and which operation moves a row between them are
 * core/outbox.h's state machine: outbox_put, outbox_finish and
 * outbox_set_state ask its transition check before they write, and their
 * UPDATEs only change a row still in the from-state of that move; the
 * claim's UPDATE selects exactly the from-states of the table's claim rows.
 * So no row takes a move the table does not have.
 *
 * Several nodes share the outbox: the claim locks the rows it takes with
 * FOR UPDATE SKIP LOCKED and sets their lease in the same statement, so two
 * workers (of one node or of several) never claim the same row; a row
 * another node claimed and committed meanwhile is checked again against
 * the WHERE on its newest version, where it is no longer due.
 *
 * Invariant: at most one row per key (UNIQUE), so a planner that runs again
 * for the same milestone finds its row and changes nothing.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "backend.h"
#include "../core/outbox.h"
#include "../base/banned.h"

#define OUTBOX_LIMIT_MAX 1000

/* The columns every outbox SELECT (and the claim's RETURNING) lists, in
 * read_outbox's order. */
#define OUTBOX_COLS \
	"id, key, order_no, rule, milestone, channel, recipient, template, locale, state, attempts," \
	" created_at, next_at, sent_at, last_error, remote_id, view"

/* One outbox row from OUTBOX_COLS. */
static enum werr read_outbox(struct pg_store *s, const PGresult *res, int row, void *p)
{
	struct outbox_row *r = p;

	memset(r, 0, sizeof(*r));
	/* an error or id longer than the field is cut, not refused: it is for people */
	return pg_row(s, res, row, "ifffffffffniiiccd", &r->id, PG_FIELD(r->key), PG_FIELD(r->order),
		      PG_FIELD(r->rule), PG_FIELD(r->milestone), PG_FIELD(r->channel), PG_FIELD(r->recipient),
		      PG_FIELD(r->template_name), PG_FIELD(r->locale), PG_FIELD(r->state), &r->attempts,
		      &r->created_at, &r->next_at, &r->sent_at, PG_FIELD(r->last_error), PG_FIELD(r->remote_id),
		      &r->view);
}

static void release_outbox(void *rows, size_t n)
{
	outbox_rows_free(rows, n);
}

/* The insert returns the new id; on a key already there it returns no row
 * (ON CONFLICT DO NOTHING: no statement fails, so a caller's transaction
 * goes on) and the existing row's id is read. */
static enum werr pg_outbox_put(struct store *st, struct outbox_row *row, bool *dup)
{
	static const char ins[] =
		"INSERT INTO outbox(key, order_no, rule, milestone, channel, recipient, template, locale, state,"
		" attempts, created_at, next_at, last_error, view) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,0,$10,$11,$12,$13)"
		" ON CONFLICT(key) DO NOTHING RETURNING id";
	static const char by_key[] = "SELECT id FROM outbox WHERE key = $1";
	struct pg_store *s = pg(st);
	PGresult *r;
	enum werr err;
	bool found;

	*dup = false;
	if (!row->key[0] || !row->order[0] || !row->milestone[0] || !row->channel[0] || !row->recipient[0] ||
	    !be_outbox_plannable(row->state)) {
		pg_msg(s, "outbox row lacks a key, order, milestone, channel or recipient, or has a bad state");
		return WERR_INVALID;
	}
	/* the planner's locale, "en" when it had none */
	if ((err = pg_run(s, ins, "unable to store outbox row", &r, "SSSSSSSSSiisS", row->key, row->order, row->rule,
			  row->milestone, row->channel, row->recipient, row->template_name,
			  row->locale[0] ? row->locale : "en", row->state, row->created_at, row->next_at,
			  row->last_error, row->view)))
		return err;
	if (PQntuples(r) > 0) {
		err = pg_row(s, r, 0, "i", &row->id);
		PQclear(r);
		return err;
	}
	PQclear(r);
	*dup = true;
	if ((err = pg_query_int(s, by_key, "unable to read outbox row", &row->id, &found, "S", row->key)))
		return err;
	if (!found) {
		pg_msg(s, "unable to read outbox row: key '%s' vanished", row->key);
		return WERR_DB;
	}
	return WERR_OK;
}

static enum werr pg_outbox_get(struct store *st, int64_t id, struct outbox_row *out)
{
	static const char sql[] = "SELECT " OUTBOX_COLS " FROM outbox WHERE id = $1";
	struct pg_store *s = pg(st);
	PGresult *r;
	enum werr err;

	memset(out, 0, sizeof(*out));
	if ((err = pg_run(s, sql, "unable to read outbox row", &r, "i", id)))
		return err;
	if (PQntuples(r) > 0) {
		if ((err = read_outbox(s, r, 0, out))) {
			free(out->view);
			out->view = NULL;
		}
	} else {
		pg_msg(s, "no outbox message %lld", (long long)id);
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

static int cmp_row_id(const void *a, const void *b)
{
	int64_t x = ((const struct outbox_row *)a)->id, y = ((const struct outbox_row *)b)->id;
	return (x > y) - (x < y);
}

/* The claim moves of core/outbox.h (pending -> sending, and sending ->
 * sending once the lease is over).  One statement takes the rows: the
 * MATERIALIZED subquery locks the due rows no one else holds (SKIP LOCKED:
 * a row another worker is claiming is left to it, not waited for, and one
 * claimed and committed meanwhile is re-checked on its new version, no
 * longer due), and the UPDATE sets their lease before the locks are let
 * go.  The rows come back in id order, as SQLite's claim reads them. */
static enum werr pg_outbox_claim(struct store *st, int64_t now, int64_t lease_until, int limit,
				 struct outbox_row **rows, size_t *n)
{
	static const char upd[] =
		"WITH due AS MATERIALIZED (SELECT id FROM outbox"
		"   WHERE (state = '" OUTBOX_S_PENDING "' AND next_at <= $1)"
		"   OR (state = '" OUTBOX_S_SENDING "' AND lease_until <= $1)"
		"   ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)"
		" UPDATE outbox SET state = '" OUTBOX_S_SENDING "', lease_until = $2, attempts = attempts + 1"
		" WHERE id IN (SELECT id FROM due) RETURNING " OUTBOX_COLS;
	struct pg_store *s = pg(st);
	enum werr err;

	*rows = NULL;
	*n = 0;
	if (limit < 1 || limit > OUTBOX_LIMIT_MAX) {
		pg_msg(s, "claim limit %d out of 1..%d", limit, OUTBOX_LIMIT_MAX);
		return WERR_INVALID;
	}
	err = pg_query_rows(s, upd, "unable to claim outbox rows", sizeof(struct outbox_row), read_outbox,
			    release_outbox, (void **)rows, n, "iii", now, lease_until, (int64_t)limit);
	if (!err && *n > 1)
		qsort(*rows, *n, sizeof(**rows), cmp_row_id);
	return err;
}

static enum werr pg_outbox_finish(struct store *st, int64_t id, const char *state, int64_t next_at,
				  const char *error, const char *remote_id, int64_t at)
{
	static const char sql[] =
		"UPDATE outbox SET state = CASE WHEN $2::text = '" OUTBOX_S_PENDING "' AND recipient = 'erased'"
		" THEN '" OUTBOX_S_DEAD "' ELSE $2::text END, lease_until = NULL,"
		" next_at = CASE WHEN $2::text = '" OUTBOX_S_PENDING "' THEN $3::bigint ELSE next_at END,"
		" last_error = CASE WHEN $2::text = '" OUTBOX_S_SENT "' THEN NULL WHEN recipient = 'erased'"
		" THEN 'erased' ELSE $4::text END,"
		" remote_id = coalesce($5::text, remote_id),"
		" sent_at = CASE WHEN $2::text = '" OUTBOX_S_SENT "' THEN $6::bigint ELSE sent_at END"
		" WHERE id = $1 AND state = '" OUTBOX_S_SENDING "'";
	struct pg_store *s = pg(st);
	PGresult *r;
	enum werr err;
	char err_cut[256];
	int to = outbox_state_from_name(state);

	/* the finish moves all leave sending: the UPDATE's WHERE holds the from */
	if (to < 0 || !outbox_move_ok(OUTBOX_FINISH, OUTBOX_SENDING, (enum outbox_state)to)) {
		pg_msg(s, "an attempt ends in sent, pending or dead, not '%s'", state ? state : "(null)");
		return WERR_INVALID;
	}
	snprintf(err_cut, sizeof(err_cut), "%s", error ? error : "");
	if ((err = pg_run(s, sql, "unable to finish outbox attempt", &r, "isissi", id, state, next_at, err_cut,
			  remote_id, at)))
		return err;
	if (!pg_changes(r)) {
		pg_msg(s, "outbox message %lld is not being sent", (long long)id);
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

static enum werr pg_outbox_list(struct store *st, const char *state, const char *order, int limit,
				struct outbox_row **rows, size_t *n)
{
	static const char sql[] =
		"SELECT " OUTBOX_COLS " FROM outbox"
		" WHERE ($1::text IS NULL OR state = $1::text) AND ($2::text IS NULL OR order_no = $2::text)"
		" ORDER BY id DESC LIMIT $3";
	struct pg_store *s = pg(st);

	if (limit < 1 || limit > OUTBOX_LIMIT_MAX)
		limit = OUTBOX_LIMIT_MAX;
	return pg_query_rows(s, sql, "unable to list outbox", sizeof(struct outbox_row), read_outbox, release_outbox,
			     (void **)rows, n, "ssi", state, order, (int64_t)limit);
}

/*
 * approve, reject, retry (a person) and cancel (the worker).  The row's
 * state is read, the move checked against core/outbox.h, and the UPDATE
 * changes the row only if it is still in the state that was read.
 */
static enum werr pg_outbox_set_state(struct store *st, int64_t id, const char *state, int64_t at)
{
	static const char to_pending[] =
		"UPDATE outbox SET state = '" OUTBOX_S_PENDING "', attempts = 0, next_at = $3, lease_until = NULL"
		" WHERE id = $1 AND state = $2";
	static const char to_cancelled[] =
		"UPDATE outbox SET state = '" OUTBOX_S_CANCELLED "', lease_until = NULL WHERE id = $1 AND state = $2";
	struct pg_store *s = pg(st);
	struct outbox_row cur;
	PGresult *r;
	enum werr err;
	int64_t changed;
	int to = outbox_state_from_name(state), from;

	if (to < 0 || !outbox_set_target((enum outbox_state)to)) {
		pg_msg(s, "a message can be set to pending or cancelled, not '%s'", state ? state : "(null)");
		return WERR_INVALID;
	}
	if ((err = pg_outbox_get(st, id, &cur)))
		return err;
	free(cur.view);
	from = outbox_state_from_name(cur.state);
	if (from < 0 || !outbox_set_ok((enum outbox_state)from, (enum outbox_state)to))
		goto refused;
	if (to == OUTBOX_PENDING && !strcmp(cur.recipient, "erased")) {
		pg_msg(s, "message %lld cannot be sent again: its recipient was erased", (long long)id);
		return WERR_EXISTS;
	}
	if (to == OUTBOX_PENDING)
		err = pg_run(s, to_pending, "unable to change outbox state", &r, "iSi", id, cur.state, at);
	else
		err = pg_run(s, to_cancelled, "unable to change outbox state", &r, "iS", id, cur.state);
	if (err)
		return err;
	changed = pg_changes(r);
	PQclear(r);
	if (changed)
		return WERR_OK;
	/* moved by someone else between the read and the write */
	if ((err = pg_outbox_get(st, id, &cur)))
		return err;
	free(cur.view);
refused:
	pg_msg(s, "message %lld is %s; it cannot become %s", (long long)id, cur.state, state);
	return WERR_EXISTS;
}

static enum werr pg_consent_get(struct store *st, const char *phone, bool *opted_in, int64_t *at)
{
	static const char sql[] = "SELECT sms, updated_at FROM consent WHERE phone = $1";
	struct pg_store *s = pg(st);
	PGresult *r;
	enum werr err;
	int64_t when = 0;

	*opted_in = false;
	if (at)
		*at = 0;
	if ((err = pg_run(s, sql, "unable to read consent", &r, "S", phone)))
		return err;
	if (PQntuples(r) > 0) {
		err = pg_row(s, r, 0, "bi", opted_in, &when);
		if (at)
			*at = when;
	} else {
		pg_msg(s, "no consent recorded for this phone");
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

/* The latest decision wins; one recorded at the same millisecond as the
 * stored one replaces it (an opt-out right after an opt-in must count). */
static enum werr pg_consent_put(struct store *st, const char *phone, bool opted_in, const char *source, int64_t at)
{
	static const char sql[] =
		"INSERT INTO consent(phone, sms, source, updated_at) VALUES($1, $2, $3, $4)"
		" ON CONFLICT(phone) DO UPDATE SET sms = excluded.sms, source = excluded.source,"
		"   updated_at = excluded.updated_at WHERE excluded.updated_at >= consent.updated_at";
	struct pg_store *s = pg(st);

	if (!phone || !phone[0]) {
		pg_msg(s, "consent needs a phone number");
		return WERR_INVALID;
	}
	return pg_run(s, sql, "unable to store consent", NULL, "sisi", phone, (int64_t)opted_in, source, at);
}

/* Whether detail (an audit entry's, may be anything) is a JSON object whose
 * "message_sid" is the string message_id: SQLite's
 * json_extract(detail, '$.message_sid') = ?2 under json_valid(detail). */
static bool detail_names(const char *detail, const char *message_id)
{
	cJSON *j = cJSON_ParseWithOpts(detail, NULL, true);
	const cJSON *sid = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "message_sid") : NULL;
	bool same = cJSON_IsString(sid) && !strcmp(sid->valuestring, message_id);

	cJSON_Delete(j);
	return same;
}

/* The seen message ids live in the consent audit entries rather than in a
 * table of their own: the audit entry is written in the same transaction as
 * the change, so "seen" and "applied" cannot disagree, and no schema change
 * is needed.  The cost is a scan of the audit log per inbound keyword.
 * PostgreSQL 15 has no cast that tells a text is JSON without failing the
 * statement (and the transaction) when it is not, so the phone's consent
 * entries are read and their details parsed here, as json_valid and
 * json_extract would: a number 123 is not the message id "123". */
static enum werr pg_consent_message_seen(struct store *st, const char *phone, const char *message_id)
{
	static const char sql[] =
		"SELECT detail FROM audit_log WHERE subject = $1"
		" AND action IN ('consent.sms_opt_in', 'consent.sms_opt_out') AND detail IS NOT NULL";
	struct pg_store *s = pg(st);
	PGresult *r;
	enum werr err;
	int i, rows;

	if (!phone || !phone[0] || !message_id || !message_id[0]) {
		pg_msg(s, "a seen message needs a phone number and a message id");
		return WERR_INVALID;
	}
	if ((err = pg_run(s, sql, "unable to read the audit log", &r, "S", phone)))
		return err;
	err = WERR_NOT_FOUND;
	rows = PQntuples(r);
	for (i = 0; i < rows && err; i++)
		if (detail_names(PQgetvalue(r, i, 0), message_id))
			err = WERR_OK;
	PQclear(r);
	return err;
}

static enum werr pg_audit_put(struct store *st, const char *actor, const char *action, const char *subject,
			      const char *detail_json, int64_t at)
{
	static const char sql[] =
		"INSERT INTO audit_log(at, actor, action, subject, detail) VALUES($1, $2, $3, $4, $5)";
	struct pg_store *s = pg(st);

	if (!actor || !actor[0] || !action || !action[0]) {
		pg_msg(s, "an audit entry needs an actor and an action");
		return WERR_INVALID;
	}
	return pg_run_later(s, sql, NULL, "unable to store audit entry", "issss", at, actor, action, subject,
			    detail_json);
}

static enum werr read_audit(struct pg_store *s, const PGresult *res, int row, void *p)
{
	struct audit_row *r = p;

	return pg_row(s, res, row, "iiffcd", &r->id, &r->at, PG_FIELD(r->actor), PG_FIELD(r->action),
		      PG_FIELD(r->subject), &r->detail);
}

static void release_audit(void *rows, size_t n)
{
	audit_rows_free(rows, n);
}

static enum werr pg_audit_list(struct store *st, int64_t before_id, int limit, struct audit_row **rows, size_t *n)
{
	static const char sql[] =
		"SELECT id, at, actor, action, subject, detail FROM audit_log"
		" WHERE $1::bigint = 0 OR id < $1::bigint ORDER BY id DESC LIMIT $2";
	struct pg_store *s = pg(st);

	if (limit < 1 || limit > OUTBOX_LIMIT_MAX)
		limit = OUTBOX_LIMIT_MAX;
	return pg_query_rows(s, sql, "unable to list audit log", sizeof(struct audit_row), read_audit, release_audit,
			     (void **)rows, n, "ii", before_id, (int64_t)limit);
}

static enum werr pg_ticket_get(struct store *st, const char *order, char ticket_id[128], char state[16])
{
	static const char sql[] = "SELECT ticket_id, state FROM tickets WHERE order_no = $1";
	struct pg_store *s = pg(st);
	PGresult *r;
	enum werr err;

	ticket_id[0] = state[0] = '\0';
	if ((err = pg_run(s, sql, "unable to read ticket", &r, "S", order)))
		return err;
	if (PQntuples(r) > 0) {
		err = pg_row(s, r, 0, "ff", ticket_id, (size_t)128, state, (size_t)16);
	} else {
		pg_msg(s, "no ticket for order '%s'", order);
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

static enum werr pg_ticket_put(struct store *st, const char *order, const char *ticket_id, const char *state,
			       int64_t at)
{
	static const char sql[] =
		"INSERT INTO tickets(order_no, ticket_id, state, updated_at) VALUES($1, $2, $3, $4)"
		" ON CONFLICT(order_no) DO UPDATE SET ticket_id = excluded.ticket_id, state = excluded.state,"
		"   updated_at = excluded.updated_at";
	struct pg_store *s = pg(st);

	if (!order || !order[0] || !ticket_id || !ticket_id[0] || strlen(ticket_id) >= 128 || !state ||
	    !state[0] || strlen(state) >= 16) {
		pg_msg(s, "a ticket needs an order, an id (< 128 bytes) and a state (< 16 bytes)");
		return WERR_INVALID;
	}
	return pg_run(s, sql, "unable to store ticket", NULL, "sssi", order, ticket_id, state, at);
}

static enum werr pg_rule_put(struct store *st, const char *name, const char *json, int64_t at)
{
	static const char sql[] =
		"INSERT INTO rules(name, body, updated_at) VALUES($1, $2, $3)"
		" ON CONFLICT(name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at";
	struct pg_store *s = pg(st);

	if (!name || !name[0] || strlen(name) >= sizeof(((struct rule_row *)0)->name)) {
		pg_msg(s, "a rule needs a name of 1..63 bytes");
		return WERR_INVALID;
	}
	return pg_run(s, sql, "unable to store rule", NULL, "ssi", name, json, at);
}

static enum werr read_rule(struct pg_store *s, const PGresult *res, int row, void *p)
{
	struct rule_row *r = p;

	return pg_row(s, res, row, "fdi", PG_FIELD(r->name), &r->json, &r->updated_at);
}

static void release_rules(void *rows, size_t n)
{
	rule_rows_free(rows, n);
}

static enum werr pg_rule_list(struct store *st, struct rule_row **rows, size_t *n)
{
	static const char sql[] = "SELECT name, body, updated_at FROM rules ORDER BY name";

	return pg_query_rows(pg(st), sql, "unable to list rules", sizeof(struct rule_row), read_rule, release_rules,
			     (void **)rows, n, "");
}

const struct store_notify_ops pg_notify_ops = {
	.outbox_put = pg_outbox_put,
	.outbox_claim = pg_outbox_claim,
	.outbox_finish = pg_outbox_finish,
	.outbox_list = pg_outbox_list,
	.outbox_get = pg_outbox_get,
	.outbox_set_state = pg_outbox_set_state,
	.consent_get = pg_consent_get,
	.consent_put = pg_consent_put,
	.consent_message_seen = pg_consent_message_seen,
	.audit_put = pg_audit_put,
	.audit_list = pg_audit_list,
	.ticket_get = pg_ticket_get,
	.ticket_put = pg_ticket_put,
	.rule_put = pg_rule_put,
	.rule_list = pg_rule_list,
};
