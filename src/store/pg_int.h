/*
 * pg_int.h - what the files of the PostgreSQL backend share (internal).
 *
 * store_pg.c holds the connection, the migrations, the transactions and the
 * helpers below; each concern of store.h has its table of operations in a
 * file of its own (store_pg_<concern>.c), exported as pg_<concern>_ops, the
 * same split as the SQLite backend's (sqlite_int.h).  Nothing outside
 * src/store includes this header.  Every name here starts with pg_ (PG_ for
 * macros).
 *
 * Statements: pg_run() prepares a statement on first use and keeps it for
 * the life of the connection, keyed by the address of its SQL text (so pass
 * a string literal or a static array, never a built string).  Parameters
 * are $1, $2, ... in the SQL and come from a format of one letter each (the
 * letters of sq_bind: s S t b i o); columns are read with pg_row() (the
 * letters of sq_row).  Results are in text format; a bytea column reads
 * with pg_bytea().
 *
 * Pipelining: inside a write transaction a statement run with res NULL (a
 * write whose result nobody reads) is sent without waiting for its answer;
 * the answers are read, in order, before the next statement that returns a
 * result, and at the latest at COMMIT.  A failure is thus reported by a
 * later call of the same transaction (with the failed statement's what),
 * and the commit then fails: callers roll back on any error anyway.  One
 * round trip per read instead of per statement (docs/scale-out.md).
 *
 * Transactions: PostgreSQL aborts the whole transaction on a failed
 * statement, so an operation never "tries and falls back" inside one: a
 * conflict is an ON CONFLICT clause, an absent row a SELECT first.  Every
 * write transaction (store_begin on a handle not opened read-only, and the
 * transaction an operation opens for itself) takes one advisory lock,
 * PG_WRITE_LOCK, first: writes are serialized across all connections and
 * all nodes as SQLite serializes its writers, so the writer's fold (which
 * reads what committed before its batch) sees exactly what one node would
 * (docs/scale-out.md).  Readers never wait for it.
 */
#ifndef WISMO_PG_INT_H
#define WISMO_PG_INT_H

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>

#include "store.h"
#include "lookup_cache.h"

#define PG_STMTS 160      /* prepared statements per connection */
#define PG_MAX_PARAMS 32  /* parameters per statement */
/* The advisory lock every write transaction takes (an arbitrary constant:
 * "wismo" in ASCII, as SQL text). */
#define PG_WRITE_LOCK "512870280559"
#define PG_LOCK_TIMEOUT_MS 5000 /* how long a statement waits for a lock */
#define PG_LEASES 16      /* leases one handle may hold */
#define PG_PIPE_MAX 128   /* statements sent ahead of their results (store_pg.c) */
#define PG_LATER 8        /* statements gathered into multi-row ones (store_pg_later.c) */

struct pg_store {
	struct store base; /* first: a struct store * points here */
	PGconn *conn;
	int flags;
	bool in_tx;        /* between store_begin and commit/rollback */
	/* a write transaction runs in libpq's pipeline mode: statements whose
	 * result nobody reads are sent without waiting (store_pg.c) */
	bool piped;
	int pending;                        /* sent, result not read yet */
	const char *pending_what[PG_PIPE_MAX];
	int kept_at;                        /* 1 + the index of the one whose answer is kept, 0: none */
	PGresult *kept;                     /* that answer, once read (pipe_behind) */
	enum werr pipe_err;                 /* the first failure read back */
	struct {
		const char *sql;
	} stmts[PG_STMTS]; /* statement i is prepared as "w<i>" */
	int nstmts;
	struct pg_txmem *txmem; /* the write transaction's memory (pg_tx_get) */
	struct pg_evq *evq;     /* events appended, not sent yet (store_pg_log.c) */
	struct pg_owq *owq;     /* parcel owners changed, not written yet (store_pg_parcels.c) */
	struct pg_later *later[PG_LATER]; /* rows gathered per statement (store_pg_later.c) */
	int nlater;
	/* session state a reconnect loses (store_pg_peers.c) */
	bool listening;    /* LISTEN issued */
	char leases[PG_LEASES][64];
	int nleases;
	/* the lookup cache's part (store_pg_cache.c) */
	struct {
		struct buf names; /* announced in this transaction, each NUL-ended */
		bool all;         /* this transaction rewrote every order */
		struct lookup_cache *on; /* counted as a listener of this cache */
	} cache;
};

static inline struct pg_store *pg(struct store *st)
{
	return (struct pg_store *)st;
}

void pg_msg(struct pg_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records the server's message for a failed result (or the connection's
 * when r is NULL) with what, and maps its SQLSTATE to an error. */
enum werr pg_fail(struct pg_store *s, const PGresult *r, const char *what);

/*
 * Runs sql (a static string, prepared on first use) with parameters from
 * fmt, one letter each, then the arguments:
 *   's' const char *: NULL or "" sends NULL (an optional value)
 *   'S' const char *: sent as it is, "" as an empty text; NULL sends NULL
 *   't' const char *, size_t: text of that length
 *   'b' const void *, size_t: bytea of that length (NULL: empty)
 *   'i' int64_t
 *   'o' int64_t: 0 sends NULL (an optional time or id)
 * Every integer argument must be an int64_t: cast ints.  On success *res
 * (when res is not NULL; the caller PQclear()s it) holds the result;
 * on failure *res is NULL and the error is returned.
 */
enum werr pg_run(struct pg_store *s, const char *sql, const char *what, PGresult **res, const char *fmt, ...);
/* pg_run, planned for these parameters each time instead of prepared once:
 * for a statement run once per batch whose best plan depends on the size
 * of an array parameter and of tables that grow (a plan made while a table
 * was small would scan it for every batch). */
enum werr pg_run_planned(struct pg_store *s, const char *sql, const char *what, PGresult **res, const char *fmt,
			 ...);
/* pg_run_planned for a read the caller waits for, with behind() called
 * after it is sent and before its answer is read: what behind sends goes
 * after the read, so the server answers the read first and works on the
 * rest while the caller goes on (the writer's held events behind the
 * refold hint, store_pg_log.c).  Outside a write transaction behind() runs
 * after the answer. */
typedef enum werr (*pg_behind_fn)(struct pg_store *s);
enum werr pg_run_ahead(struct pg_store *s, const char *sql, const char *what, PGresult **res, pg_behind_fn behind,
		       const char *fmt, ...);
/* pg_run with the parameters as a va_list, for a write (no result). */
enum werr pg_run_v(struct pg_store *s, const char *sql, const char *what, const char *fmt, va_list ap);
/* sql (static, prepared on first use) with n text parameters. */
enum werr pg_run_texts(struct pg_store *s, const char *sql, const char *what, const char *const *values, int n);
/*
 * A write whose result nobody reads, gathered with the transaction's other
 * rows of the same statement into one multi-row statement
 * (store_pg_later.c, which says which statements have that form and when
 * the rows go).  key: the row's conflict target for an upsert (a row whose
 * key is gathered already sends the others first), NULL for a plain
 * insert.  Formats 's' 'S' 't' 'i' 'o'.  Outside a write transaction, or
 * for a statement of another shape, it runs at once.
 */
enum werr pg_run_later(struct pg_store *s, const char *sql, const char *key, const char *what, const char *fmt,
		       ...);
/* Sends the gathered rows of every statement whose table sql names (every
 * one when sql is NULL); drops them all (a transaction's end). */
enum werr pg_later_send(struct pg_store *s, const char *sql);
void pg_later_discard(struct pg_store *s);

/* Rows a write changed (INSERT, UPDATE, DELETE). */
int64_t pg_changes(const PGresult *r);

/*
 * Reads columns 0.. of row `row` of r from fmt, one letter each:
 *   'f' char *, size_t cap: text into a fixed field; WERR_DB if it does not fit
 *   'c' char *, size_t cap: text into a field, cut to fit (for people)
 *   'i' int64_t *          (NULL reads as 0)
 *   'n' int *
 *   'b' bool *             (an integer column: non-zero is true)
 *   'd' char **: a malloc'd copy, NULL for NULL
 *   'D' char **: a malloc'd copy, "" for NULL
 *   '-' no argument: skips the column
 * NULL text reads as "".
 */
enum werr pg_row(struct pg_store *s, const PGresult *r, int row, const char *fmt, ...);
#define PG_FIELD(f) (f), sizeof(f)
/* Appends the bytea column (row, col) of r to out. */
enum werr pg_bytea(struct pg_store *s, const PGresult *r, int row, int col, struct buf *out);

/*
 * A whole list query: runs sql with fmt's parameters and reads every row
 * with read() into an array of elem-sized zeroed entries.  On success *out
 * and *n hold the rows (the caller frees them; NULL and 0 when none); on
 * failure they are NULL and 0, what was read went to release().
 */
typedef enum werr (*pg_read_fn)(struct pg_store *s, const PGresult *r, int row, void *out);
enum werr pg_query_rows(struct pg_store *s, const char *sql, const char *what, size_t elem, pg_read_fn read,
			void (*release)(void *rows, size_t n), void **out, size_t *n, const char *fmt, ...);
void pg_release_plain(void *rows, size_t n);

/* One integer (the first column of the first row; *found false and *v 0
 * when there is no row). */
enum werr pg_query_int(struct pg_store *s, const char *sql, const char *what, int64_t *v, bool *found,
		       const char *fmt, ...);

/* A transaction around a multi-statement operation when the caller has
 * none (inside one, the caller's rollback covers it): pg_op_begin opens it
 * (taking PG_WRITE_LOCK when write), pg_op_end commits it on success and
 * rolls it back on failure, and returns err. */
enum werr pg_op_begin(struct pg_store *s, bool write, bool *own);
enum werr pg_op_end(struct pg_store *s, bool own, enum werr err);

/*
 * The write transaction's memory: what an operation learned (a key is in the
 * log, a parcel's owner, the next seq) kept for the rest of the transaction,
 * by kind (one letter per use) and key, so that it need not ask the server
 * again.  Valid because the write lock keeps every other writer out, and
 * forgotten when the transaction ends (commit or rollback).  Only inside a
 * write transaction: elsewhere pg_tx_get finds nothing and pg_tx_put keeps
 * nothing.  pg_tx_put copies size bytes (val NULL: forget the entry);
 * pg_tx_get returns the stored bytes or NULL.
 *   kinds: 'k' event keys, 'e' orders without events before a seq
 *          (store_pg_log.c); 's' 'T' 'R' the next seq, task id and raw
 *          payload id, 'C' 'P' the claims and parked tables empty (the
 *          first read, store_pg.c: pg_counted, pg_tx_empty); 'p' 'l' 'x' 't' 'r' 'h' (pg_tx_none);
 *          'X' an order's exceptions as the transaction wrote them
 *          (store_pg_exceptions.c);
 *          '0'..'7' keys gathered per statement
 *          (store_pg_later.c);
 *          'o' parcel owners, 'c' parcels without claims
 *          (store_pg_parcels.c)
 */
void *pg_tx_get(struct pg_store *s, char kind, const char *key);
size_t pg_tx_size(struct pg_store *s, char kind, const char *key); /* 0: nothing stored */
void pg_tx_forget_kind(struct pg_store *s, char kind);
enum werr pg_tx_put(struct pg_store *s, char kind, const char *key, const void *val, size_t size);
/* Forgets everything (an operation that empties tables others remembered). */
void pg_tx_forget(struct pg_store *s);
/* The next id of a table whose ids the writer gives under the write lock
 * instead of the server's identity: 's' events.seq, 'T' tasks.id, 'R'
 * raw_payloads.id.  The first use in a write transaction reads all three
 * with the emptiness of parcel_claims and parked (pg_tx_empty): one round
 * trip, before the batch's events are sent, since a read after them would
 * wait for their insert; the caller that uses the id stores id + 1
 * with pg_tx_put(s, kind, "", ...).  Every insert into these tables gives
 * its id this way, so the identity sequences are not used. */
enum werr pg_counted(struct pg_store *s, char kind, int64_t *next);
/*
 * Whether a table that is empty most of the time is empty, as the write
 * transaction knows it: 'C' parcel_claims, 'P' parked.  Asked in the
 * transaction's first read with the counted ids (pg_counted), then kept;
 * whatever adds rows to the table calls pg_tx_filled.  Outside a write
 * transaction *empty is false: ask the table.  So that the writer does not
 * ask them about every order.
 */
enum werr pg_tx_empty(struct pg_store *s, char kind, bool *empty);
enum werr pg_tx_filled(struct pg_store *s, char kind);
/*
 * Whether an order has no rows of a kind, as the write transaction knows it
 * (store.h refold_hint): pg_tx_none is true only when the hint found none
 * and nothing of the transaction added one since; whatever adds rows of the
 * kind for an order calls pg_tx_some first.  Kinds: 'p' packages, 'l' lanes,
 * 'x' exceptions, 't' tasks, 'r' returns, 'h' exception checks (events
 * before a seq: store_pg_log.c).
 */
bool pg_tx_none(struct pg_store *s, char kind, const char *order);
enum werr pg_tx_some(struct pg_store *s, char kind, const char *order);

/*
 * The events a write transaction appended, held back (store_pg_log.c): an
 * event whose key the transaction knows is new is queued, and the queue goes
 * to the server as one multi-row INSERT: behind the refold hint, so that the
 * server inserts while the writer folds (pg_run_ahead), or at the latest
 * before COMMIT, stamped with visible_at when store_mark_visible comes
 * first.  Rows sent without it get their batch's from one row of
 * event_batches (no UPDATE of every row).  pg_run sends the queue before
 * any statement that names the events table, so no statement of the
 * transaction reads the log without them; pg_evq_discard drops it when the
 * transaction ends without commit.
 */
bool pg_evq_waiting(const struct pg_store *s, const char *sql);
enum werr pg_evq_send(struct pg_store *s);
/* An event's visible_at in a statement reading FROM events (no alias), 0
 * when none: its own, else its batch's (schema/v15_batches.h: the events
 * sent before the fold carry none, their batch's row does). */
#define PG_VISIBLE_AT                                                                                     \
	"coalesce(events.visible_at, (SELECT CASE WHEN b.last_seq >= events.seq THEN b.visible_at END"     \
	" FROM event_batches b WHERE b.first_seq <= events.seq ORDER BY b.first_seq DESC LIMIT 1), 0)"
void pg_evq_discard(struct pg_store *s);
/* The same for parcel owners (store_pg_parcels.c): an owner the writer
 * changes is kept in the transaction's memory ('o') and written once, with
 * its last value, by one multi-row upsert of every changed owner, before
 * COMMIT or before any statement that names parcel_owners. */
bool pg_owq_waiting(const struct pg_store *s, const char *sql);
enum werr pg_owq_send(struct pg_store *s);
void pg_owq_discard(struct pg_store *s);

/* Array input syntax: one element appended to b (a ',' before all but the
 * first), NULL or the value in double quotes with '"' and '\\' escaped. */
void pg_array_elem(struct buf *b, const char *v, size_t len, bool null);
/* The array literals of k columns of elements: lits[i] (initialised here;
 * the caller releases them) is "{" cols[i] "}"; each column starts over.
 * Returns the first error of a buffer. */
enum werr pg_array_literals(struct buf *cols, size_t k, struct buf *lits);
/* A text[] literal of strs[0..n) into *out (malloc'd; the caller frees). */
enum werr pg_text_array(struct pg_store *s, const char *const *strs, size_t n, char **out);

/* Shared readers. */
/* "body, seq, received_at" into a struct event. */
enum werr pg_read_event(struct pg_store *s, const PGresult *r, int row, struct event *ev);
/* "order_no, status, updated_at, json" into a struct order_row. */
enum werr pg_read_order_row(struct pg_store *s, const PGresult *r, int row, void *out);
void pg_release_order_rows(void *rows, size_t n);
/* One tracking number into char[EV_PACKAGE_MAX + 1]. */
enum werr pg_read_tracking(struct pg_store *s, const PGresult *r, int row, void *out);

/* The concerns' tables (store.h), one file each. */
extern const struct store_log_ops pg_log_ops;             /* store_pg_log.c */
extern const struct store_order_ops pg_order_ops;         /* store_pg_orders.c */
extern const struct store_key_ops pg_key_ops;             /* store_pg_keys.c */
extern const struct store_source_ops pg_source_ops;       /* store_pg_sources.c */
extern const struct store_kpi_ops pg_kpi_ops;             /* store_pg_web.c */
extern const struct store_notify_ops pg_notify_ops;       /* store_pg_notify.c */
extern const struct store_setting_ops pg_setting_ops;     /* store_pg_settings.c */
extern const struct store_fetch_ops pg_fetch_ops;         /* store_pg_fetch.c */
extern const struct store_privacy_ops pg_privacy_ops;     /* store_pg_privacy.c */
extern const struct store_exception_ops pg_exception_ops; /* store_pg_exceptions.c */
extern const struct store_return_ops pg_return_ops;       /* store_pg_returns.c */
extern const struct store_ticket_ops pg_ticket_ops;       /* store_pg_tickets.c */
extern const struct store_milestone_ops pg_milestone_ops; /* store_pg_milestones.c */
extern const struct store_parcel_ops pg_parcel_ops;       /* store_pg_parcels.c */
extern const struct store_peer_ops pg_peer_ops;           /* store_pg_peers.c */
/*
 * The process's lookup cache (store_pg_cache.c, store_cache.h).  A miss
 * (pg_cache_get false) gives the ticket that pg_cache_put needs; both do
 * nothing inside a transaction or without a cache.  pg_cache_announced
 * keeps the names a transaction announces (invalidated at once outside
 * one), pg_cache_all_changed marks a transaction that rewrites every
 * order, and pg_cache_tx_end (end_tx, after the COMMIT or ROLLBACK)
 * invalidates them when it committed.  The listener calls pg_cache_heard
 * for each name another process announced, pg_cache_heard_all for a
 * rewrite of every order, and pg_cache_listening on each edge of its
 * LISTEN; pg_close calls pg_cache_release.
 */
bool pg_cache_get(struct pg_store *s, const char *order, char **json, struct lookup_ticket *t);
void pg_cache_put(struct pg_store *s, const char *order, const char *json, const struct lookup_ticket *t);
void pg_cache_announced(struct pg_store *s, const char *const *orders, size_t n);
void pg_cache_all_changed(struct pg_store *s);
void pg_cache_tx_end(struct pg_store *s, bool commit);
void pg_cache_heard(const char *order);
void pg_cache_heard_all(void);
void pg_cache_listening(struct pg_store *s, bool up);
void pg_cache_release(struct pg_store *s);
/* Tells the other processes, in the caller's transaction, that every order
 * changed (store_pg_peers.c). */
enum werr pg_announce_all(struct pg_store *s);

/* Replaces the returns rows of o (store_pg_returns.c; put_order calls it). */
enum werr pg_put_returns(struct pg_store *s, const struct order_state *o);

#endif
