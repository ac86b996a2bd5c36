/*
 * store_sqlite_notify.c - the SQLite backend's notification operations
 * (store.h, struct store_notify_ops): the outbox, SMS consent, the audit
 * log, help-desk tickets and the rules set through the API (tables in
 * schema/v4_notify.h).
 *
 * The outbox's states and which operation moves a row between them are
 * core/outbox.h's state machine: outbox_put, outbox_finish and
 * outbox_set_state ask its transition check before they write, and their
 * UPDATEs only change a row still in the from-state of that move; the
 * claim's UPDATE selects exactly the from-states of the table's claim rows.
 * So no row takes a move the table does not have.
 *
 * Invariant: at most one row per key (UNIQUE), so a planner that runs again
 * for the same milestone finds its row and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "backend.h"
#include "../core/outbox.h"
#include "../base/banned.h"

#define OUTBOX_LIMIT_MAX 1000

/* One outbox row from "id, key, order_no, rule, milestone, channel, recipient,
 * template, locale, state, attempts, created_at, next_at, sent_at,
 * last_error, remote_id, view" (every outbox SELECT lists these). */
static enum werr read_outbox(struct sqlite_store *s, sqlite3_stmt *q, void *p)
{
	struct outbox_row *r = p;

	memset(r, 0, sizeof(*r));
	/* an error or id longer than the field is cut, not refused: it is for people */
	return sq_row(s, q, "ifffffffffniiiccd", &r->id, SQ_FIELD(r->key), SQ_FIELD(r->order), SQ_FIELD(r->rule),
		      SQ_FIELD(r->milestone), SQ_FIELD(r->channel), SQ_FIELD(r->recipient), SQ_FIELD(r->template_name),
		      SQ_FIELD(r->locale), SQ_FIELD(r->state), &r->attempts, &r->created_at, &r->next_at,
		      &r->sent_at, SQ_FIELD(r->last_error), SQ_FIELD(r->remote_id), &r->view);
}

static void release_outbox(void *rows, size_t n)
{
	outbox_rows_free(rows, n);
}

static enum werr sq_outbox_put(struct store *st, struct outbox_row *row, bool *dup)
{
	static const char ins[] =
		"INSERT INTO outbox(key, order_no, rule, milestone, channel, recipient, template, locale, state,"
		" attempts, created_at, next_at, last_error, view) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,0,?10,?11,?12,?13)"
		" ON CONFLICT(key) DO NOTHING";
	static const char by_key[] = "SELECT id FROM outbox WHERE key = ?1";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	bool changed = false;
	enum werr err;
	int rc;

	*dup = false;
	if (!row->key[0] || !row->order[0] || !row->milestone[0] || !row->channel[0] || !row->recipient[0] ||
	    !be_outbox_plannable(row->state)) {
		sq_msg(s, "outbox row lacks a key, order, milestone, channel or recipient, or has a bad state");
		return WERR_INVALID;
	}
	if ((err = sq_stmt(s, ins, &q)))
		return err;
	/* the planner's locale, "en" when it had none */
	rc = sq_bind(q, "SSSSSSSSSiisS", row->key, row->order, row->rule, row->milestone, row->channel,
		     row->recipient, row->template_name, row->locale[0] ? row->locale : "en", row->state,
		     row->created_at, row->next_at, row->last_error, row->view);
	if ((err = sq_step_write(s, q, rc, "unable to store outbox row", &changed)))
		return err;
	if (changed) {
		row->id = sqlite3_last_insert_rowid(s->db);
		return WERR_OK;
	}
	*dup = true;
	if ((err = sq_stmt(s, by_key, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", row->key), "unable to read outbox row", &err);
	if (rc == SQLITE_ROW)
		err = sq_row(s, q, "i", &row->id);
	else if (rc == SQLITE_DONE)
		err = sq_fail(s, SQLITE_ERROR, "unable to read outbox row");
	sq_done(q);
	return err;
}

static enum werr sq_outbox_get(struct store *st, int64_t id, struct outbox_row *out)
{
	static const char sql[] =
		"SELECT id, key, order_no, rule, milestone, channel, recipient, template, locale, state, attempts,"
		" created_at, next_at, sent_at, last_error, remote_id, view FROM outbox WHERE id = ?1";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((err = sq_stmt(s, sql, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "i", id), "unable to read outbox row", &err);
	if (rc == SQLITE_ROW) {
		if ((err = read_outbox(s, q, out))) {
			free(out->view);
			out->view = NULL;
		}
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no outbox message %lld", (long long)id);
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The claim moves of core/outbox.h (pending -> sending, and sending ->
 * sending once the lease is over).  One UPDATE takes the rows (so two workers, or two nodes, never claim the
 * same row: the statement holds the write lock), then each is read back. */
static enum werr sq_outbox_claim(struct store *st, int64_t now, int64_t lease_until, int limit,
				 struct outbox_row **rows, size_t *n)
{
	static const char upd[] =
		"UPDATE outbox SET state = '" OUTBOX_S_SENDING "', lease_until = ?2, attempts = attempts + 1"
		" WHERE id IN (SELECT id FROM outbox WHERE (state = '" OUTBOX_S_PENDING "' AND next_at <= ?1)"
		"   OR (state = '" OUTBOX_S_SENDING "' AND lease_until <= ?1) ORDER BY next_at, id LIMIT ?3)"
		" RETURNING id";
	struct sqlite_store *s = sq(st);
	int64_t ids[OUTBOX_LIMIT_MAX];
	struct outbox_row *out;
	size_t k = 0;
	sqlite3_stmt *q;
	enum werr err;
	int rc;

	*rows = NULL;
	*n = 0;
	if (limit < 1 || limit > OUTBOX_LIMIT_MAX) {
		sq_msg(s, "claim limit %d out of 1..%d", limit, OUTBOX_LIMIT_MAX);
		return WERR_INVALID;
	}
	if ((err = sq_stmt(s, upd, &q)))
		return err;
	rc = sq_bind(q, "iii", now, lease_until, (int64_t)limit);
	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(q)) == SQLITE_ROW)
			if (k < (size_t)limit)
				ids[k++] = sqlite3_column_int64(q, 0);
	if (rc != SQLITE_DONE)
		err = sq_fail(s, rc, "unable to claim outbox rows");
	sq_done(q);
	if (err || !k)
		return err;
	qsort(ids, k, sizeof(ids[0]), cmp_id);
	if (!(out = calloc(k, sizeof(*out)))) {
		sq_msg(s, "out of memory claiming outbox rows");
		return WERR_NOMEM;
	}
	for (size_t i = 0; i < k; i++)
		if ((err = sq_outbox_get(st, ids[i], &out[i]))) {
			outbox_rows_free(out, i);
			return err;
		}
	*rows = out;
	*n = k;
	return WERR_OK;
}

static enum werr sq_outbox_finish(struct store *st, int64_t id, const char *state, int64_t next_at, const char *error,
			    const char *remote_id, int64_t at)
{
	static const char sql[] =
		"UPDATE outbox SET state = CASE WHEN ?2 = '" OUTBOX_S_PENDING "' AND recipient = 'erased'"
		" THEN '" OUTBOX_S_DEAD "' ELSE ?2 END, lease_until = NULL,"
		" next_at = CASE WHEN ?2 = '" OUTBOX_S_PENDING "' THEN ?3 ELSE next_at END,"
		" last_error = CASE WHEN ?2 = '" OUTBOX_S_SENT "' THEN NULL WHEN recipient = 'erased' THEN 'erased'"
		" ELSE ?4 END,"
		" remote_id = COALESCE(?5, remote_id),"
		" sent_at = CASE WHEN ?2 = '" OUTBOX_S_SENT "' THEN ?6 ELSE sent_at END"
		" WHERE id = ?1 AND state = '" OUTBOX_S_SENDING "'";
	struct sqlite_store *s = sq(st);
	bool changed = false;
	sqlite3_stmt *q;
	enum werr err;
	char err_cut[256];
	int to = outbox_state_from_name(state);

	/* the finish moves all leave sending: the UPDATE's WHERE holds the from */
	if (to < 0 || !outbox_move_ok(OUTBOX_FINISH, OUTBOX_SENDING, (enum outbox_state)to)) {
		sq_msg(s, "an attempt ends in sent, pending or dead, not '%s'", state ? state : "(null)");
		return WERR_INVALID;
	}
	snprintf(err_cut, sizeof(err_cut), "%s", error ? error : "");
	if ((err = sq_stmt(s, sql, &q)))
		return err;
	err = sq_step_write(s, q, sq_bind(q, "isissi", id, state, next_at, err_cut, remote_id, at),
			    "unable to finish outbox attempt", &changed);
	if (!err && !changed) {
		sq_msg(s, "outbox message %lld is not being sent", (long long)id);
		err = WERR_NOT_FOUND;
	}
	return err;
}

static enum werr sq_outbox_list(struct store *st, const char *state, const char *order, int limit,
			  struct outbox_row **rows, size_t *n)
{
	static const char sql[] =
		"SELECT id, key, order_no, rule, milestone, channel, recipient, template, locale, state, attempts,"
		" created_at, next_at, sent_at, last_error, remote_id, view FROM outbox"
		" WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR order_no = ?2) ORDER BY id DESC LIMIT ?3";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;

	if (limit < 1 || limit > OUTBOX_LIMIT_MAX)
		limit = OUTBOX_LIMIT_MAX;
	err = sq_stmt(s, sql, &q);
	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ssi", state, order, (int64_t)limit),
			     sizeof(struct outbox_row), read_outbox, "unable to list outbox", release_outbox,
			     (void **)rows, n);
}

/*
 * approve, reject, retry (a person) and cancel (the worker).  The row's
 * state is read, the move checked against core/outbox.h, and the UPDATE
 * changes the row only if it is still in the state that was read.
 */
static enum werr sq_outbox_set_state(struct store *st, int64_t id, const char *state, int64_t at)
{
	static const char to_pending[] =
		"UPDATE outbox SET state = '" OUTBOX_S_PENDING "', attempts = 0, next_at = ?3, lease_until = NULL"
		" WHERE id = ?1 AND state = ?2";
	static const char to_cancelled[] =
		"UPDATE outbox SET state = '" OUTBOX_S_CANCELLED "', lease_until = NULL WHERE id = ?1 AND state = ?2";
	struct sqlite_store *s = sq(st);
	struct outbox_row cur;
	bool changed = false;
	sqlite3_stmt *q;
	enum werr err;
	int to = outbox_state_from_name(state), from, rc;

	if (to < 0 || !outbox_set_target((enum outbox_state)to)) {
		sq_msg(s, "a message can be set to pending or cancelled, not '%s'", state ? state : "(null)");
		return WERR_INVALID;
	}
	if ((err = sq_outbox_get(st, id, &cur)))
		return err;
	free(cur.view);
	from = outbox_state_from_name(cur.state);
	if (from < 0 || !outbox_set_ok((enum outbox_state)from, (enum outbox_state)to))
		goto refused;
	if (to == OUTBOX_PENDING && !strcmp(cur.recipient, "erased")) {
		sq_msg(s, "message %lld cannot be sent again: its recipient was erased", (long long)id);
		return WERR_EXISTS;
	}
	if ((err = sq_stmt(s, to == OUTBOX_PENDING ? to_pending : to_cancelled, &q)))
		return err;
	rc = to == OUTBOX_PENDING ? sq_bind(q, "isi", id, cur.state, at) : sq_bind(q, "is", id, cur.state);
	err = sq_step_write(s, q, rc, "unable to change outbox state", &changed);
	if (err || changed)
		return err;
	/* moved by someone else between the read and the write */
	if ((err = sq_outbox_get(st, id, &cur)))
		return err;
	free(cur.view);
refused:
	sq_msg(s, "message %lld is %s; it cannot become %s", (long long)id, cur.state, state);
	return WERR_EXISTS;
}

static enum werr sq_consent_get(struct store *st, const char *phone, bool *opted_in, int64_t *at)
{
	static const char sql[] = "SELECT sms, updated_at FROM consent WHERE phone = ?1";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;
	int rc;

	*opted_in = false;
	if (at)
		*at = 0;
	if ((err = sq_stmt(s, sql, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", phone), "unable to read consent", &err);
	if (rc == SQLITE_ROW) {
		*opted_in = sqlite3_column_int(q, 0) != 0;
		if (at)
			*at = sqlite3_column_int64(q, 1);
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no consent recorded for this phone");
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

/* The latest decision wins; one recorded at the same millisecond as the
 * stored one replaces it (an opt-out right after an opt-in must count). */
static enum werr sq_consent_put(struct store *st, const char *phone, bool opted_in, const char *source, int64_t at)
{
	static const char sql[] =
		"INSERT INTO consent(phone, sms, source, updated_at) VALUES(?1, ?2, ?3, ?4)"
		" ON CONFLICT(phone) DO UPDATE SET sms = excluded.sms, source = excluded.source,"
		"   updated_at = excluded.updated_at WHERE excluded.updated_at >= consent.updated_at";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;

	if (!phone || !phone[0]) {
		sq_msg(s, "consent needs a phone number");
		return WERR_INVALID;
	}
	if ((err = sq_stmt(s, sql, &q)))
		return err;
	return sq_step_write(s, q, sq_bind(q, "sisi", phone, (int64_t)opted_in, source, at),
			     "unable to store consent", NULL);
}

/* The seen message ids live in the consent audit entries rather than in a
 * table of their own: the audit entry is written in the same transaction as
 * the change, so "seen" and "applied" cannot disagree, and no schema change
 * is needed.  The cost is a scan of the audit log per inbound keyword. */
static enum werr sq_consent_message_seen(struct store *st, const char *phone, const char *message_id)
{
	static const char sql[] =
		"SELECT 1 FROM audit_log WHERE subject = ?1"
		" AND action IN ('consent.sms_opt_in', 'consent.sms_opt_out')"
		" AND CASE WHEN json_valid(detail) THEN json_extract(detail, '$.message_sid') END = ?2 LIMIT 1";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;
	int rc;

	if (!phone || !phone[0] || !message_id || !message_id[0]) {
		sq_msg(s, "a seen message needs a phone number and a message id");
		return WERR_INVALID;
	}
	if ((err = sq_stmt(s, sql, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "SS", phone, message_id), "unable to read the audit log", &err);
	if (rc == SQLITE_DONE)
		err = WERR_NOT_FOUND;
	sq_done(q);
	return err;
}

static enum werr sq_audit_put(struct store *st, const char *actor, const char *action, const char *subject,
			const char *detail_json, int64_t at)
{
	static const char sql[] =
		"INSERT INTO audit_log(at, actor, action, subject, detail) VALUES(?1, ?2, ?3, ?4, ?5)";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;

	if (!actor || !actor[0] || !action || !action[0]) {
		sq_msg(s, "an audit entry needs an actor and an action");
		return WERR_INVALID;
	}
	if ((err = sq_stmt(s, sql, &q)))
		return err;
	return sq_step_write(s, q, sq_bind(q, "issss", at, actor, action, subject, detail_json),
			     "unable to store audit entry", NULL);
}

static enum werr read_audit(struct sqlite_store *s, sqlite3_stmt *q, void *p)
{
	struct audit_row *r = p;

	return sq_row(s, q, "iiffcd", &r->id, &r->at, SQ_FIELD(r->actor), SQ_FIELD(r->action), SQ_FIELD(r->subject),
		      &r->detail);
}

static void release_audit(void *rows, size_t n)
{
	audit_rows_free(rows, n);
}

static enum werr sq_audit_list(struct store *st, int64_t before_id, int limit, struct audit_row **rows, size_t *n)
{
	static const char sql[] =
		"SELECT id, at, actor, action, subject, detail FROM audit_log"
		" WHERE ?1 = 0 OR id < ?1 ORDER BY id DESC LIMIT ?2";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;

	if (limit < 1 || limit > OUTBOX_LIMIT_MAX)
		limit = OUTBOX_LIMIT_MAX;
	err = sq_stmt(s, sql, &q);
	return sq_query_rows(s, q, err, err ? 0 : sq_bind(q, "ii", before_id, (int64_t)limit),
			     sizeof(struct audit_row), read_audit, "unable to list audit log", release_audit,
			     (void **)rows, n);
}

static enum werr sq_ticket_get(struct store *st, const char *order, char ticket_id[128], char state[16])
{
	static const char sql[] = "SELECT ticket_id, state FROM tickets WHERE order_no = ?1";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;
	int rc;

	ticket_id[0] = state[0] = '\0';
	if ((err = sq_stmt(s, sql, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", order), "unable to read ticket", &err);
	if (rc == SQLITE_ROW) {
		err = sq_row(s, q, "ff", ticket_id, (size_t)128, state, (size_t)16);
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no ticket for order '%s'", order);
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

static enum werr sq_ticket_put(struct store *st, const char *order, const char *ticket_id, const char *state,
			       int64_t at)
{
	static const char sql[] =
		"INSERT INTO tickets(order_no, ticket_id, state, updated_at) VALUES(?1, ?2, ?3, ?4)"
		" ON CONFLICT(order_no) DO UPDATE SET ticket_id = excluded.ticket_id, state = excluded.state,"
		"   updated_at = excluded.updated_at";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;

	if (!order || !order[0] || !ticket_id || !ticket_id[0] || strlen(ticket_id) >= 128 || !state ||
	    !state[0] || strlen(state) >= 16) {
		sq_msg(s, "a ticket needs an order, an id (< 128 bytes) and a state (< 16 bytes)");
		return WERR_INVALID;
	}
	if ((err = sq_stmt(s, sql, &q)))
		return err;
	return sq_step_write(s, q, sq_bind(q, "sssi", order, ticket_id, state, at), "unable to store ticket", NULL);
}

static enum werr sq_rule_put(struct store *st, const char *name, const char *json, int64_t at)
{
	static const char sql[] =
		"INSERT INTO rules(name, body, updated_at) VALUES(?1, ?2, ?3)"
		" ON CONFLICT(name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err;

	if (!name || !name[0] || strlen(name) >= sizeof(((struct rule_row *)0)->name)) {
		sq_msg(s, "a rule needs a name of 1..63 bytes");
		return WERR_INVALID;
	}
	if ((err = sq_stmt(s, sql, &q)))
		return err;
	return sq_step_write(s, q, sq_bind(q, "ssi", name, json, at), "unable to store rule", NULL);
}

static enum werr read_rule(struct sqlite_store *s, sqlite3_stmt *q, void *p)
{
	struct rule_row *r = p;

	return sq_row(s, q, "fdi", SQ_FIELD(r->name), &r->json, &r->updated_at);
}

static void release_rules(void *rows, size_t n)
{
	rule_rows_free(rows, n);
}

static enum werr sq_rule_list(struct store *st, struct rule_row **rows, size_t *n)
{
	static const char sql[] = "SELECT name, body, updated_at FROM rules ORDER BY name";
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, sql, &q);

	return sq_query_rows(s, q, err, SQLITE_OK, sizeof(struct rule_row), read_rule, "unable to list rules",
			     release_rules, (void **)rows, n);
}

const struct store_notify_ops sq_notify_ops = {
	.outbox_put = sq_outbox_put,
	.outbox_claim = sq_outbox_claim,
	.outbox_finish = sq_outbox_finish,
	.outbox_list = sq_outbox_list,
	.outbox_get = sq_outbox_get,
	.outbox_set_state = sq_outbox_set_state,
	.consent_get = sq_consent_get,
	.consent_put = sq_consent_put,
	.consent_message_seen = sq_consent_message_seen,
	.audit_put = sq_audit_put,
	.audit_list = sq_audit_list,
	.ticket_get = sq_ticket_get,
	.ticket_put = sq_ticket_put,
	.rule_put = sq_rule_put,
	.rule_list = sq_rule_list,
};
