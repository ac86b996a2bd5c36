/*
 * sqlite_int.h - what the files of the SQLite backend share (internal).
 *
 * store_sqlite.c holds the connection, the migrations, the transactions and
 * the helpers below; each concern of store.h has its table of operations in
 * a file of its own (store_sqlite_<concern>.c), which exports it as
 * sq_<concern>_ops.  Nothing outside src/store includes this header.  Every
 * name here starts with sq_ (SQ_ for macros).
 *
 * Statements: sq_stmt() prepares a statement on first use and keeps it for
 * the life of the connection, keyed by the address of its SQL text (so pass
 * a string literal or a static array, never a built string).  Every use ends
 * with sq_done() (sq_query_rows and sq_step_write do it), on success and on
 * error alike, so no statement is left holding a read snapshot or a lock.
 * Parameters are bound with sq_bind() and columns read with sq_row(), both
 * driven by a format of one letter per parameter or column.
 */
#ifndef WISMO_SQLITE_INT_H
#define WISMO_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define BUSY_TIMEOUT_MS 5000 /* how long a connection waits for a lock */
#define SQ_STMTS 128 /* prepared statements per connection; sq_stmt refuses more */

struct sqlite_store {
	struct store base; /* first: a struct store * points here */
	sqlite3 *db;
	int flags;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[SQ_STMTS];
	int nstmts;
	/* STORE_KEEP_SNAPSHOT (store_sqlite.c, "Kept snapshots") */
	struct sqlite_store *next_kept; /* the process's list of such handles */
	pthread_mutex_t use;            /* held from reader_enter to reader_leave */
	bool entered;                   /* by the owner, under use */
	bool kept;                      /* a read transaction of ours is open */
	uint64_t kept_gen;              /* sq_commits when it began */
	int64_t kept_since_ns;          /* CLOCK_MONOTONIC when it began */
	int64_t kept_max_ns;            /* how long it may serve */
};

static inline struct sqlite_store *sq(struct store *st)
{
	return (struct sqlite_store *)st;
}

void sq_msg(struct sqlite_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Around a checkpoint: between the two no handle of the process keeps a
 * snapshot (STORE_KEEP_SNAPSHOT); the kept ones of unused handles end at
 * pause, those in use at their next statement or when their use ends, so
 * that the checkpoint can copy and restart the whole log. */
void sq_snapshots_pause(void);
void sq_snapshots_resume(void);
/* Records SQLite's message for a failed call and maps its code. */
enum werr sq_fail(struct sqlite_store *s, int rc, const char *what);
/* The prepared statement for sql (a static string), prepared on first use. */
enum werr sq_stmt(struct sqlite_store *s, const char *sql, sqlite3_stmt **out);
/* Resets a statement and clears its bindings. */
void sq_done(sqlite3_stmt *st);
/* Runs a statement without parameters to its end. */
enum werr sq_exec(struct sqlite_store *s, const char *sql, const char *what);
/* Reads one integer from a statement without parameters. */
enum werr sq_query_int(struct sqlite_store *s, const char *sql, const char *what, int64_t *v);

/*
 * Binds parameters 1.. from fmt, one letter each; text is bound
 * SQLITE_STATIC (safe: sq_done clears the bindings before the caller's
 * strings can go away).  Returns an SQLite result code.
 *   's' const char *: NULL or "" binds NULL (an optional value)
 *   'S' const char *: bound as it is, "" as an empty text; NULL binds NULL
 *       (a value that is part of a key, or a column that is NOT NULL)
 *   't' const char *, size_t: text of that length
 *   'b' const void *, size_t: a blob of that length (NULL: empty)
 *   'i' int64_t
 *   'o' int64_t: 0 binds NULL (an optional time or id)
 * Every integer argument must be an int64_t: cast ints.
 */
int sq_bind(sqlite3_stmt *q, const char *fmt, ...);

/*
 * Reads columns 0.. of the current row from fmt, one letter each:
 *   'f' char *, size_t cap: text into a fixed field; WERR_DB if it does not fit
 *   'c' char *, size_t cap: text into a field, cut to fit (for people)
 *   'i' int64_t *
 *   'n' int *
 *   'd' char **: a malloc'd copy, NULL for NULL
 *   'D' char **: a malloc'd copy, "" for NULL
 *   '-' no argument: skips the column
 * NULL text reads as "".  On error the message is set and the fields read
 * so far keep their values (the caller frees what 'd'/'D' allocated).
 */
enum werr sq_row(struct sqlite_store *s, sqlite3_stmt *q, const char *fmt, ...);
/* The (dst, cap) pair of a fixed field, for 'f' and 'c'. */
#define SQ_FIELD(f) (f), sizeof(f)

/* A text column, "" for NULL. */
const char *sq_col_text(sqlite3_stmt *st, int i);
/* Copies a text column into a fixed field; WERR_DB if it does not fit. */
enum werr sq_col_field(struct sqlite_store *s, sqlite3_stmt *st, int i, char *dst, size_t cap);
/* A malloc'd copy of a text column ("" for NULL; NULL when out of memory). */
char *sq_col_strdup(sqlite3_stmt *st, int i);

/* Savepoint around a multi-statement operation when no transaction is open. */
enum werr sq_op_begin(struct sqlite_store *s, bool *own);
enum werr sq_op_end(struct sqlite_store *s, bool own, enum werr err);
/* Steps q to its end reading each row with read into a growing array. */
enum werr sq_collect_rows(struct sqlite_store *s, sqlite3_stmt *q, size_t elem,
			  enum werr (*read)(struct sqlite_store *s, sqlite3_stmt *q, void *row), const char *what,
			  void **out, size_t *n);
void sq_release_plain(void *rows, size_t n);
/* Reads a row of one tracking number into char[EV_PACKAGE_MAX + 1]. */
enum werr sq_read_tracking(struct sqlite_store *s, sqlite3_stmt *q, void *row);
/* A whole list query: err/rc are those of getting and binding q; collects the
 * rows, always ends q, and on failure releases what was read. */
enum werr sq_query_rows(struct sqlite_store *s, sqlite3_stmt *q, enum werr err, int rc, size_t elem,
			enum werr (*read)(struct sqlite_store *s, sqlite3_stmt *q, void *row), const char *what,
			void (*release)(void *rows, size_t n), void **out, size_t *n);
/* Steps a write statement once (rc: the binding's result); *changed (may be
 * NULL) says whether a row changed.  Ends q. */
enum werr sq_step_write(struct sqlite_store *s, sqlite3_stmt *q, int rc, const char *what, bool *changed);
/* Steps a one-row read once (rc: the binding's result): SQLITE_ROW or
 * SQLITE_DONE as such, any other result recorded with what (then
 * *err is set).  The caller reads the row and ends q. */
int sq_step_read(struct sqlite_store *s, sqlite3_stmt *q, int rc, const char *what, enum werr *err);

/* Shared readers (rows that two concerns list). */
enum werr sq_read_event(struct sqlite_store *s, sqlite3_stmt *q, struct event *ev);
/* "order_no, status, updated_at, json" into a struct order_row. */
enum werr sq_read_order_row(struct sqlite_store *s, sqlite3_stmt *q, void *row);
void sq_release_order_rows(void *rows, size_t n);

/* The concerns' tables (store.h), one file each. */
extern const struct store_log_ops sq_log_ops;         /* store_sqlite_log.c */
extern const struct store_order_ops sq_order_ops;     /* store_sqlite_orders.c */
extern const struct store_key_ops sq_key_ops;         /* store_sqlite_keys.c */
extern const struct store_source_ops sq_source_ops;   /* store_sqlite_sources.c */
extern const struct store_kpi_ops sq_kpi_ops;         /* store_sqlite_web.c */
extern const struct store_notify_ops sq_notify_ops;   /* store_sqlite_notify.c */
extern const struct store_setting_ops sq_setting_ops; /* store_sqlite_settings.c */
extern const struct store_fetch_ops sq_fetch_ops;     /* store_sqlite_fetch.c */
extern const struct store_privacy_ops sq_privacy_ops; /* store_sqlite_privacy.c */
extern const struct store_exception_ops sq_exception_ops; /* store_sqlite_exceptions.c */
extern const struct store_return_ops sq_return_ops;       /* store_sqlite_returns.c */
extern const struct store_ticket_ops sq_ticket_ops;       /* store_sqlite_tickets.c */
extern const struct store_milestone_ops sq_milestone_ops; /* store_sqlite_milestones.c */
extern const struct store_parcel_ops sq_parcel_ops;       /* store_sqlite_parcels.c */
extern const struct store_peer_ops sq_peer_ops;           /* store_sqlite_peers.c */
/* Replaces the returns rows of o (store_sqlite_returns.c; put_order calls it). */
enum werr sq_put_returns(struct sqlite_store *s, const struct order_state *o);

#endif
