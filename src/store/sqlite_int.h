/*
 * sqlite_int.h - what the files of the SQLite backend share (internal).
 *
 * store_sqlite.c holds the connection, the migrations and the core
 * operations; further operations live in files of their own
 * (store_sqlite_*.c) and use these helpers.  Nothing outside src/store
 * includes this header.
 *
 * Statements: the core ones are numbered (stmt_get in store_sqlite.c); the
 * other files prepare theirs with sq_stmt(), which keeps each one for the
 * life of the connection, keyed by the address of its SQL text (so pass a
 * string literal or a static array, never a built string).  Every use ends
 * with sq_done(), on success and on error.
 */
#ifndef WISMO_SQLITE_INT_H
#define WISMO_SQLITE_INT_H

#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "store.h"

#define SQ_CORE_STMTS 64 /* room for store_sqlite.c's numbered statements */
#define SQ_EXTRA_STMTS 96

struct sqlite_store {
	struct store base; /* first: a struct store * points here */
	sqlite3 *db;
	int flags;
	sqlite3_stmt *stmts[SQ_CORE_STMTS];
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} extra[SQ_EXTRA_STMTS];
	int nextra;
};

static inline struct sqlite_store *sq(struct store *st)
{
	return (struct sqlite_store *)st;
}

void sq_msg(struct sqlite_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records SQLite's message for a failed call and maps its code. */
enum werr sq_fail(struct sqlite_store *s, int rc, const char *what);
/* The prepared statement for sql (a static string), prepared on first use. */
enum werr sq_stmt(struct sqlite_store *s, const char *sql, sqlite3_stmt **out);
/* Resets a statement and clears its bindings. */
void sq_done(sqlite3_stmt *st);
/* Binds a NUL-terminated string from a field of cap bytes; "" binds NULL
 * when empty_null is set. */
int sq_bind_str(sqlite3_stmt *st, int i, const char *s, size_t cap, bool empty_null);
#define BIND_FIELD(st, i, field, empty_null) sq_bind_str((st), (i), (field), sizeof(field), (empty_null))
#define BIND_CSTR(st, i, s) sq_bind_str((st), (i), (s), (size_t)INT_MAX, false)
/* Binds v, or NULL when v is 0. */
int sq_bind_opt_int(sqlite3_stmt *st, int i, int64_t v);
/* Binds parameters 1.. from fmt: 's' a string (NULL or "" binds NULL),
 * 'i' an int64_t, 'o' an int64_t where 0 binds NULL.  Returns an SQLite
 * result code. */
int sq_bind(sqlite3_stmt *q, const char *fmt, ...);
/* Copies a text column into a fixed field; WERR_TOO_LARGE if it does not fit. */
enum werr sq_col_field(struct sqlite_store *s, sqlite3_stmt *st, int i, char *dst, size_t cap);
/* A text column, "" for NULL. */
const char *sq_col_text(sqlite3_stmt *st, int i);
/* A malloc'd copy of a text column (NULL for NULL). */
char *sq_col_strdup(sqlite3_stmt *st, int i);
/* Savepoint around a multi-statement operation when no transaction is open. */
enum werr sq_op_begin(struct sqlite_store *s, bool *own);
enum werr sq_op_end(struct sqlite_store *s, bool own, enum werr err);
/* Steps q to its end reading each row with read into a growing array. */
enum werr sq_collect_rows(struct sqlite_store *s, sqlite3_stmt *q, size_t elem,
			  enum werr (*read)(struct sqlite_store *s, sqlite3_stmt *q, void *row), const char *what,
			  void **out, size_t *n);
void sq_release_plain(void *rows, size_t n);
/* A whole list query: err/rc are those of getting and binding q; collects the
 * rows, always ends q, and on failure releases what was read. */
enum werr sq_query_rows(struct sqlite_store *s, sqlite3_stmt *q, enum werr err, int rc, size_t elem,
			enum werr (*read)(struct sqlite_store *s, sqlite3_stmt *q, void *row), const char *what,
			void (*release)(void *rows, size_t n), void **out, size_t *n);
/* Steps a write statement once (rc: the binding's result); *changed (may be
 * NULL) says whether a row changed.  Ends q. */
enum werr sq_step_write(struct sqlite_store *s, sqlite3_stmt *q, int rc, const char *what, bool *changed);

/* BEGIN ops: web pages (store_sqlite_pages.c) */
enum werr sqlite_setting_get_or_create(struct store *st, const char *name, const char *proposed, char *value,
				       size_t cap);
enum werr sqlite_order_contact(struct store *st, const char *order, char email[EV_EMAIL_MAX + 1],
			       char postal[EV_POSTAL_MAX + 1], char **json);
enum werr sqlite_raw_get(struct store *st, int64_t id, char content_type[128], struct buf *body);
/* END ops: web pages */

/* BEGIN ops: KPIs, agent view, streams (store_sqlite_web.c) */
enum werr sqlite_mark_visible(struct store *st, int64_t first_seq, int64_t at);
enum werr sqlite_sync_failure_bump(struct store *st, const char *source, const char *kind, int64_t n, int64_t at);
enum werr sqlite_sync_failures(struct store *st, int64_t from, int64_t to, struct sync_failure_row **rows,
			       size_t *n);
enum werr sqlite_kpi_events(struct store *st, int64_t from, int64_t to, struct kpi_event_row **rows, size_t *n);
enum werr sqlite_kpi_orders(struct store *st, int64_t from, int64_t to, struct kpi_order_row **rows, size_t *n);
enum werr sqlite_orders_by_email(struct store *st, const char *email, int limit, struct order_row **rows,
				 size_t *n);
enum werr sqlite_conflict_orders(struct store *st, int limit, struct order_row **rows, size_t *n);
enum werr sqlite_quiet_packages(struct store *st, int64_t before, int limit, struct quiet_row **rows, size_t *n);
enum werr sqlite_web_counts(struct store *st, int64_t quiet_before, int64_t failures_since, struct web_counts *out);
enum werr sqlite_event_meta(struct store *st, const char *order, struct event_meta **rows, size_t *n);
/* END ops: KPIs, agent view, streams */

/* BEGIN ops: notifications (store_sqlite_notify.c) */
enum werr sqn_outbox_put(struct store *st, struct outbox_row *row, bool *dup);
enum werr sqn_outbox_claim(struct store *st, int64_t now, int64_t lease_until, int limit, struct outbox_row **rows,
			   size_t *n);
enum werr sqn_outbox_finish(struct store *st, int64_t id, const char *state, int64_t next_at, const char *error,
			    const char *remote_id, int64_t at);
enum werr sqn_outbox_list(struct store *st, const char *state, const char *order, int limit,
			  struct outbox_row **rows, size_t *n);
enum werr sqn_outbox_get(struct store *st, int64_t id, struct outbox_row *out);
enum werr sqn_outbox_set_state(struct store *st, int64_t id, const char *state, int64_t at);
enum werr sqn_consent_get(struct store *st, const char *phone, bool *opted_in, int64_t *at);
enum werr sqn_consent_put(struct store *st, const char *phone, bool opted_in, const char *source, int64_t at);
enum werr sqn_audit_put(struct store *st, const char *actor, const char *action, const char *subject,
			const char *detail_json, int64_t at);
enum werr sqn_ticket_get(struct store *st, const char *order, char ticket_id[128], char state[16]);
enum werr sqn_ticket_put(struct store *st, const char *order, const char *ticket_id, const char *state, int64_t at);
enum werr sqn_rule_put(struct store *st, const char *name, const char *json, int64_t at);
enum werr sqn_rule_list(struct store *st, struct rule_row **rows, size_t *n);
enum werr sqn_audit_list(struct store *st, int64_t before_id, int limit, struct audit_row **rows, size_t *n);
/* END ops: notifications */

#endif
