/*
 * err.h - the one error enum of wismo.
 *
 * Values are stable and never reused (as curl's CURLcode).  Functions that can
 * fail return an enum werr; WERR_OK is zero so "if (err)" reads naturally.
 * The mapping from an error to an HTTP status and a JSON error code lives in
 * exactly one place: src/http/reply.c.
 */
#ifndef WISMO_ERR_H
#define WISMO_ERR_H

enum werr {
	WERR_OK = 0,
	WERR_NOMEM = 1,        /* allocation failed */
	WERR_INVALID = 2,      /* input does not follow the contract */
	WERR_NOT_FOUND = 3,    /* no such object */
	WERR_EXISTS = 4,       /* object exists already (duplicate) */
	WERR_IO = 5,           /* file or socket error */
	WERR_DB = 6,           /* storage backend error */
	WERR_BUSY = 7,         /* temporarily overloaded: retry later */
	WERR_TOO_LARGE = 8,    /* input over a configured limit */
	WERR_UNAUTHORIZED = 9, /* no or bad credentials */
	WERR_FORBIDDEN = 10,   /* credentials lack the right */
	WERR_INTERNAL = 11,    /* a bug: an invariant did not hold */
	WERR_UNSUPPORTED = 12, /* valid request for something not provided */
	WERR_SHUTDOWN = 13,    /* the component is stopping */
	/* The storage faults an operator can clear without a restart: the
	 * transaction was rolled back, nothing of it is kept, and the same
	 * request succeeds once the fault is gone (HTTP 503 + Retry-After). */
	WERR_STORAGE_FULL = 14, /* the disk (or the database's size limit) is full */
	WERR_STORAGE_DOWN = 15, /* the database cannot be written or opened now:
	                         * read-only, an I/O error, a missing file */
};

/* A short lower-case name for the error, e.g. "not_found".  Never NULL. */
const char *werr_name(enum werr err);

/* What a failed write reports to its client: the errors a retry can cure
 * (WERR_BUSY, WERR_SHUTDOWN, WERR_STORAGE_FULL, WERR_STORAGE_DOWN) as they
 * are, anything else as WERR_DB (a failed, rolled-back transaction). */
enum werr werr_write_result(enum werr err);

#endif
